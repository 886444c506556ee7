//! Reads NuGet's `packages.lock.json`, which locks the packages of one
//! project for each target framework it builds.

use std::collections::BTreeMap;

use bulwark_image::EntryInfo;
use serde::Deserialize;

use crate::analyzer::{Analyzer, Fact};
use crate::package::{Package, PackageKind};
use crate::purl::PurlBuilder;

/// Reads NuGet lockfiles.
pub struct NugetLockAnalyzer;

impl Analyzer for NugetLockAnalyzer {
    fn name(&self) -> &'static str {
        "nuget-lock"
    }

    fn wants(&self, info: &EntryInfo<'_>) -> bool {
        info.path.rsplit('/').next() == Some("packages.lock.json")
    }

    fn analyze(&self, _path: &str, data: &[u8]) -> Result<Vec<Fact>, String> {
        let lock: Lockfile =
            serde_json::from_slice(data).map_err(|e| format!("invalid packages.lock.json: {e}"))?;
        Ok(to_packages(lock)?.into_iter().map(Fact::Package).collect())
    }
}

#[derive(Deserialize)]
struct Lockfile {
    version: u32,
    /// Target framework, then package name, then the locked entry.
    dependencies: BTreeMap<String, BTreeMap<String, Entry>>,
}

#[derive(Deserialize)]
struct Entry {
    #[serde(rename = "type")]
    kind: String,
    resolved: Option<String>,
    #[serde(default)]
    dependencies: BTreeMap<String, serde_json::Value>,
}

/// Merges the frameworks: a package locked for several frameworks at the
/// same version is one package, direct when any framework names it.
fn to_packages(lock: Lockfile) -> Result<Vec<Package>, String> {
    if !(1..=2).contains(&lock.version) {
        return Err(format!("unsupported lockfile version {}", lock.version));
    }
    let mut packages: BTreeMap<(String, String), Package> = BTreeMap::new();
    for (framework, entries) in &lock.dependencies {
        for (name, entry) in entries {
            // Project references are other projects of the same build,
            // with no version of their own.
            if entry.kind.eq_ignore_ascii_case("project") {
                continue;
            }
            let version = entry
                .resolved
                .as_deref()
                .filter(|v| !v.is_empty())
                .ok_or_else(|| format!("{framework}: {name} has no resolved version"))?;
            let package = packages
                .entry((name.clone(), version.to_owned()))
                .or_insert_with(|| {
                    let mut package = Package::new(PackageKind::Nuget, name, version);
                    package.purl = PurlBuilder::new("nuget", name).version(version).build();
                    package.direct = Some(false);
                    package
                });
            if entry.kind.eq_ignore_ascii_case("direct") {
                package.direct = Some(true);
            }
            // The version next to a dependency is the lower bound that the
            // package requires. The framework's own entry for that name has
            // the version that was resolved.
            for dependency in entry.dependencies.keys() {
                let reference = match entries.get(dependency).and_then(|e| e.resolved.as_deref()) {
                    Some(resolved) => format!("{dependency}@{resolved}"),
                    None => dependency.clone(),
                };
                if !package.depends_on.contains(&reference) {
                    package.depends_on.push(reference);
                }
            }
        }
    }
    Ok(packages.into_values().collect())
}
