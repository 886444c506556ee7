//! Reads uv's `uv.lock`.

use std::collections::{BTreeMap, HashMap, HashSet};

use bulwark_image::EntryInfo;
use serde::Deserialize;

use super::node::DevWalk;
use super::python::{is_project_file, normalize_name, pypi_package};
use crate::analyzer::{Analyzer, Fact};

/// Reads the packages locked by uv. The project itself and workspace
/// members (editable or virtual sources) are listed too; packages only
/// reachable through their development groups are marked as development
/// dependencies.
pub struct UvLockAnalyzer;

#[derive(Deserialize)]
struct Lock {
    #[serde(default)]
    package: Vec<LockedPackage>,
}

#[derive(Deserialize)]
struct LockedPackage {
    name: String,
    /// Absent for some virtual workspace roots.
    version: Option<String>,
    #[serde(default)]
    source: BTreeMap<String, toml::Value>,
    #[serde(default)]
    dependencies: Vec<Dependency>,
    #[serde(default, rename = "optional-dependencies")]
    optional_dependencies: BTreeMap<String, Vec<Dependency>>,
    #[serde(default, rename = "dev-dependencies")]
    dev_dependencies: BTreeMap<String, Vec<Dependency>>,
}

#[derive(Deserialize)]
struct Dependency {
    name: String,
    /// Present when the lock holds several versions of the name.
    version: Option<String>,
}

impl LockedPackage {
    fn is_workspace_member(&self) -> bool {
        self.source.contains_key("editable") || self.source.contains_key("virtual")
    }

    fn runtime_dependencies(&self) -> impl Iterator<Item = &Dependency> {
        self.dependencies
            .iter()
            .chain(self.optional_dependencies.values().flatten())
    }
}

impl Analyzer for UvLockAnalyzer {
    fn name(&self) -> &'static str {
        "uv-lock"
    }

    fn wants(&self, info: &EntryInfo<'_>) -> bool {
        is_project_file(info.path, "uv.lock")
    }

    fn analyze(&self, _path: &str, data: &[u8]) -> Result<Vec<Fact>, String> {
        let text = std::str::from_utf8(data).map_err(|e| format!("not UTF-8 text: {e}"))?;
        let lock: Lock = toml::from_str(text).map_err(|e| e.to_string())?;
        let graph = Graph::new(&lock.package);
        let roots: Vec<usize> = (0..lock.package.len())
            .filter(|&i| lock.package[i].is_workspace_member())
            .collect();
        let edges: HashMap<usize, Vec<usize>> = (0..lock.package.len())
            .map(|i| (i, graph.runtime_edges(i).collect()))
            .collect();
        let walk = DevWalk::new(
            roots.iter().flat_map(|&r| graph.runtime_edges(r)),
            roots
                .iter()
                .flat_map(|&r| lock.package[r].dev_dependencies.values().flatten())
                .filter_map(|d| graph.find(d)),
            &edges,
        );
        let direct: HashSet<usize> = roots
            .iter()
            .flat_map(|&r| {
                let locked = &lock.package[r];
                locked
                    .runtime_dependencies()
                    .chain(locked.dev_dependencies.values().flatten())
                    .filter_map(|d| graph.find(d))
            })
            .collect();
        let mut facts = Vec::new();
        for (i, locked) in lock.package.iter().enumerate() {
            let Some(version) = locked.version.as_deref() else {
                continue;
            };
            let mut package = pypi_package(&locked.name, version);
            if !roots.is_empty() && !locked.is_workspace_member() {
                package.direct = Some(direct.contains(&i));
                package.dev = walk.dev(i);
            }
            let mut depends_on: Vec<String> = locked
                .runtime_dependencies()
                .chain(locked.dev_dependencies.values().flatten())
                .map(|d| match graph.find(d).and_then(|j| graph.reference(j)) {
                    Some(reference) => reference,
                    None => d.name.clone(),
                })
                .collect();
            depends_on.sort();
            depends_on.dedup();
            package.depends_on = depends_on;
            facts.push(Fact::Package(package));
        }
        Ok(facts)
    }
}

/// The dependency graph of one lock, by package index.
struct Graph<'a> {
    packages: &'a [LockedPackage],
    by_name: HashMap<String, Vec<usize>>,
}

impl<'a> Graph<'a> {
    fn new(packages: &'a [LockedPackage]) -> Self {
        let mut by_name: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, package) in packages.iter().enumerate() {
            by_name
                .entry(normalize_name(&package.name))
                .or_default()
                .push(i);
        }
        Self { packages, by_name }
    }

    /// The package a dependency names: the one with its version, or the
    /// only one of its name.
    fn find(&self, dependency: &Dependency) -> Option<usize> {
        let candidates = self.by_name.get(&normalize_name(&dependency.name))?;
        match &dependency.version {
            Some(version) => candidates
                .iter()
                .copied()
                .find(|&i| self.packages[i].version.as_ref() == Some(version)),
            None => candidates.first().copied(),
        }
    }

    fn reference(&self, index: usize) -> Option<String> {
        let package = &self.packages[index];
        Some(format!("{}@{}", package.name, package.version.as_deref()?))
    }

    fn runtime_edges(&self, index: usize) -> impl Iterator<Item = usize> + '_ {
        self.packages[index]
            .runtime_dependencies()
            .filter_map(|d| self.find(d))
    }
}
