//! Reads Cargo's lockfile, `Cargo.lock`, in every format version (v1 with
//! its `[metadata]` checksum table, v2, v3 and v4).

use std::collections::{BTreeSet, HashMap};

use bulwark_image::EntryInfo;
use serde::Deserialize;

use crate::analyzer::{Analyzer, Fact};
use crate::package::{Package, PackageKind};
use crate::purl::PurlBuilder;

/// Reads `Cargo.lock` files.
pub struct CargoLockAnalyzer;

impl Analyzer for CargoLockAnalyzer {
    fn name(&self) -> &'static str {
        "cargo-lock"
    }

    fn wants(&self, info: &EntryInfo<'_>) -> bool {
        info.path == "Cargo.lock" || info.path.ends_with("/Cargo.lock")
    }

    fn analyze(&self, _path: &str, data: &[u8]) -> Result<Vec<Fact>, String> {
        let packages = parse_cargo_lock(data)?;
        Ok(packages.into_iter().map(Fact::Package).collect())
    }
}

#[derive(Deserialize)]
struct Lockfile {
    #[serde(default)]
    package: Vec<LockedPackage>,
}

#[derive(Deserialize)]
struct LockedPackage {
    name: String,
    version: String,
    source: Option<String>,
    #[serde(default)]
    dependencies: Vec<String>,
}

/// Parses a `Cargo.lock` into packages.
///
/// A lockfile does not say which crate is the project, because
/// `Cargo.toml` does. Packages without a `source` are the workspace
/// members and path dependencies, that is the project's own crates. They
/// are marked direct, as are the crates they depend on, and every other
/// crate is marked indirect. A lockfile without any local package leaves
/// `direct` unset.
pub(crate) fn parse_cargo_lock(data: &[u8]) -> Result<Vec<Package>, String> {
    let text = std::str::from_utf8(data).map_err(|e| format!("not UTF-8 text: {e}"))?;
    let lockfile: Lockfile = toml::from_str(text).map_err(|e| format!("invalid TOML: {e}"))?;
    for (i, package) in lockfile.package.iter().enumerate() {
        if package.name.is_empty() || package.version.is_empty() {
            return Err(format!(
                "[[package]] entry {} has an empty name or version",
                i + 1
            ));
        }
    }

    let mut by_name: HashMap<&str, Vec<&LockedPackage>> = HashMap::new();
    for package in &lockfile.package {
        by_name.entry(&package.name).or_default().push(package);
    }
    let local: Vec<&LockedPackage> = lockfile
        .package
        .iter()
        .filter(|p| p.source.is_none())
        .collect();
    let mut direct: BTreeSet<(&str, &str)> = BTreeSet::new();
    for package in &local {
        direct.insert((&package.name, &package.version));
        for dependency in &package.dependencies {
            if let Some(target) = resolve_dependency(dependency, &by_name) {
                direct.insert((&target.name, &target.version));
            }
        }
    }

    let packages = lockfile
        .package
        .iter()
        .map(|locked| {
            let mut package = Package::new(PackageKind::Cargo, &locked.name, &locked.version);
            package.purl = cargo_purl(&locked.name, &locked.version);
            package.depends_on = locked
                .dependencies
                .iter()
                .map(
                    |dependency| match resolve_dependency(dependency, &by_name) {
                        Some(target) => format!("{}@{}", target.name, target.version),
                        None => dependency_name(dependency).to_owned(),
                    },
                )
                .collect();
            if !local.is_empty() {
                package.direct = Some(direct.contains(&(&locked.name, &locked.version)));
            }
            package
        })
        .collect();
    Ok(packages)
}

/// Builds the purl of a crate.
pub(crate) fn cargo_purl(name: &str, version: &str) -> String {
    PurlBuilder::new("cargo", name).version(version).build()
}

fn dependency_name(entry: &str) -> &str {
    entry.split_whitespace().next().unwrap_or(entry)
}

/// Finds the package a `dependencies` entry names. Entries are `name`,
/// `name version` or, in v1 lockfiles, `name version (source)`; the
/// version is written only where the name alone is ambiguous.
fn resolve_dependency<'a>(
    entry: &str,
    by_name: &HashMap<&str, Vec<&'a LockedPackage>>,
) -> Option<&'a LockedPackage> {
    let mut parts = entry.split_whitespace();
    let name = parts.next()?;
    let version = parts.next();
    let source = parts
        .next()
        .map(|s| s.trim_start_matches('(').trim_end_matches(')'));
    let candidates = by_name.get(name)?;
    let matching: Vec<&&LockedPackage> = candidates
        .iter()
        .filter(|p| version.is_none_or(|v| p.version == v))
        .collect();
    if let Some(source) = source {
        // Git sources carry a `#commit` fragment on the package but not in
        // the dependency entry.
        let same_source = matching.iter().find(|p| {
            p.source
                .as_deref()
                .is_some_and(|s| s.split('#').next() == source.split('#').next())
        });
        if let Some(found) = same_source {
            return Some(found);
        }
    }
    matching.first().map(|p| **p)
}
