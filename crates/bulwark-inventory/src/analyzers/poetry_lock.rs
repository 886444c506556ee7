//! Reads Poetry's `poetry.lock`, in the format of Poetry 1 (`category`)
//! and Poetry 2 (`groups`).

use std::collections::BTreeMap;

use bulwark_image::EntryInfo;
use serde::Deserialize;

use super::python::{LockIndex, is_project_file, pypi_package};
use crate::analyzer::{Analyzer, Fact};

/// Reads the packages locked by Poetry.
pub struct PoetryLockAnalyzer;

#[derive(Deserialize)]
struct Lock {
    #[serde(default)]
    package: Vec<LockedPackage>,
}

#[derive(Deserialize)]
struct LockedPackage {
    name: String,
    version: String,
    /// Poetry 1: `main` or `dev`.
    category: Option<String>,
    /// Poetry 2: the dependency groups that need the package.
    groups: Option<Vec<String>>,
    #[serde(default)]
    dependencies: BTreeMap<String, toml::Value>,
}

impl Analyzer for PoetryLockAnalyzer {
    fn name(&self) -> &'static str {
        "poetry-lock"
    }

    fn wants(&self, info: &EntryInfo<'_>) -> bool {
        is_project_file(info.path, "poetry.lock")
    }

    fn analyze(&self, _path: &str, data: &[u8]) -> Result<Vec<Fact>, String> {
        let text = std::str::from_utf8(data).map_err(|e| format!("not UTF-8 text: {e}"))?;
        let lock: Lock = toml::from_str(text).map_err(|e| e.to_string())?;
        let index = LockIndex::new(
            lock.package
                .iter()
                .map(|p| (p.name.as_str(), p.version.as_str())),
        );
        let facts = lock
            .package
            .iter()
            .map(|locked| {
                let mut package = pypi_package(&locked.name, &locked.version);
                package.dev = match (&locked.groups, &locked.category) {
                    (Some(groups), _) => Some(!groups.iter().any(|g| g == "main")),
                    (None, Some(category)) => Some(category == "dev"),
                    (None, None) => None,
                };
                package.depends_on = locked
                    .dependencies
                    .keys()
                    .map(|name| index.reference(name))
                    .collect();
                Fact::Package(package)
            })
            .collect();
        Ok(facts)
    }
}
