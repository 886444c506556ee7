//! Reads the `*.deps.json` file that the .NET SDK writes next to a built
//! application. `libraries` lists every library as `Name/Version` with its
//! type (`project`, `package`, `runtimepack`, ...). `targets` contains, per
//! target framework, each library's dependencies and the assets it ships.

use std::collections::{BTreeMap, BTreeSet};

use bulwark_image::EntryInfo;
use serde::Deserialize;

use crate::analyzer::{Analyzer, Fact};
use crate::package::{Package, PackageKind};
use crate::purl::PurlBuilder;

/// Reads .NET dependency manifests (`*.deps.json`).
pub struct DotnetDepsAnalyzer;

impl Analyzer for DotnetDepsAnalyzer {
    fn name(&self) -> &'static str {
        "dotnet-deps"
    }

    fn wants(&self, info: &EntryInfo<'_>) -> bool {
        info.path.ends_with(".deps.json")
    }

    fn analyze(&self, _path: &str, data: &[u8]) -> Result<Vec<Fact>, String> {
        let deps: DepsFile =
            serde_json::from_slice(data).map_err(|e| format!("invalid deps.json: {e}"))?;
        Ok(to_packages(deps)?.into_iter().map(Fact::Package).collect())
    }
}

#[derive(Deserialize)]
struct DepsFile {
    #[serde(default, rename = "runtimeTarget")]
    runtime_target: Option<RuntimeTarget>,
    targets: Option<BTreeMap<String, BTreeMap<String, TargetEntry>>>,
    libraries: Option<BTreeMap<String, Library>>,
}

#[derive(Deserialize)]
struct RuntimeTarget {
    name: String,
}

#[derive(Deserialize)]
struct TargetEntry {
    #[serde(default)]
    dependencies: BTreeMap<String, String>,
    runtime: Option<serde_json::Value>,
    #[serde(rename = "runtimeTargets")]
    runtime_targets: Option<serde_json::Value>,
    native: Option<serde_json::Value>,
    resources: Option<serde_json::Value>,
}

impl TargetEntry {
    fn ships_assets(&self) -> bool {
        self.runtime.is_some()
            || self.runtime_targets.is_some()
            || self.native.is_some()
            || self.resources.is_some()
    }
}

#[derive(Deserialize)]
struct Library {
    #[serde(rename = "type")]
    kind: String,
}

/// Removes the `runtimepack.` prefix that self-contained apps put on the
/// runtime packs; the rest is the pack's NuGet name.
fn nuget_name(name: &str) -> &str {
    name.strip_prefix("runtimepack.").unwrap_or(name)
}

fn to_packages(deps: DepsFile) -> Result<Vec<Package>, String> {
    if deps.targets.is_none() && deps.libraries.is_none() {
        return Err("no `targets` or `libraries`: not a deps.json file".to_owned());
    }
    let targets = deps.targets.unwrap_or_default();
    // The runtime target names the framework the app runs on; without it
    // every target framework counts.
    let target: BTreeMap<&str, &TargetEntry> = match deps.runtime_target.as_ref() {
        Some(runtime) => targets
            .get(&runtime.name)
            .into_iter()
            .flatten()
            .map(|(key, entry)| (key.as_str(), entry))
            .collect(),
        None => targets
            .values()
            .flatten()
            .map(|(key, entry)| (key.as_str(), entry))
            .collect(),
    };
    let libraries = deps.libraries.unwrap_or_default();
    let versions: BTreeMap<&str, &str> = libraries
        .keys()
        .filter_map(|key| key.split_once('/'))
        .map(|(name, version)| (nuget_name(name), version))
        .collect();
    // Libraries that a project of this build depends on directly.
    let mut direct: BTreeSet<&str> = BTreeSet::new();
    let mut have_graph = false;
    for (key, library) in &libraries {
        if library.kind == "project"
            && let Some(entry) = target.get(key.as_str())
        {
            have_graph = true;
            direct.extend(entry.dependencies.keys().map(|name| nuget_name(name)));
        }
    }
    let mut packages = Vec::new();
    for (key, library) in &libraries {
        let Some((name, version)) = key.split_once('/') else {
            tracing::debug!(library = %key, "skipping library without a version");
            continue;
        };
        let entry = target.get(key.as_str());
        let is_project = library.kind == "project";
        // A package whose target entry ships no assets is only needed at
        // compile time (reference and meta packages), so nothing of it is
        // deployed with the app.
        if !is_project && entry.is_some_and(|e| !e.ships_assets()) {
            continue;
        }
        let name = nuget_name(name);
        let mut package = Package::new(PackageKind::Nuget, name, version);
        package.purl = PurlBuilder::new("nuget", name).version(version).build();
        if !is_project && have_graph {
            package.direct = Some(direct.contains(name));
        }
        if let Some(entry) = entry {
            package.depends_on = entry
                .dependencies
                .keys()
                .map(|dependency| {
                    let dependency = nuget_name(dependency);
                    match versions.get(dependency) {
                        Some(version) => format!("{dependency}@{version}"),
                        None => dependency.to_owned(),
                    }
                })
                .collect();
        }
        packages.push(package);
    }
    Ok(packages)
}
