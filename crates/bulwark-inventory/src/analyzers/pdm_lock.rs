//! Reads PDM's `pdm.lock`.

use bulwark_image::EntryInfo;
use serde::Deserialize;

use super::python::{LockIndex, is_project_file, pypi_package, requirement_names};
use crate::analyzer::{Analyzer, Fact};

/// Reads the packages locked by PDM.
pub struct PdmLockAnalyzer;

#[derive(Deserialize)]
struct Lock {
    #[serde(default)]
    package: Vec<LockedPackage>,
}

#[derive(Deserialize)]
struct LockedPackage {
    name: String,
    version: Option<String>,
    groups: Option<Vec<String>>,
    #[serde(default)]
    dependencies: Vec<String>,
}

impl Analyzer for PdmLockAnalyzer {
    fn name(&self) -> &'static str {
        "pdm-lock"
    }

    fn wants(&self, info: &EntryInfo<'_>) -> bool {
        is_project_file(info.path, "pdm.lock")
    }

    fn analyze(&self, _path: &str, data: &[u8]) -> Result<Vec<Fact>, String> {
        let text = std::str::from_utf8(data).map_err(|e| format!("not UTF-8 text: {e}"))?;
        let lock: Lock = toml::from_str(text).map_err(|e| e.to_string())?;
        let locked: Vec<(&LockedPackage, &str)> = lock
            .package
            .iter()
            .filter_map(|p| p.version.as_deref().map(|v| (p, v)))
            .collect();
        let index = LockIndex::new(locked.iter().map(|(p, v)| (p.name.as_str(), *v)));
        let mut facts: Vec<Fact> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (entry, version) in locked {
            // PDM writes one entry per extra of a package, with the same
            // name and version.
            if !seen.insert((entry.name.as_str(), version)) {
                continue;
            }
            let mut package = pypi_package(&entry.name, version);
            package.dev = entry.groups.as_deref().and_then(dev_flag);
            package.depends_on = requirement_names(entry.dependencies.iter().map(String::as_str))
                .iter()
                .map(|name| index.reference(name))
                .collect();
            facts.push(Fact::Package(package));
        }
        Ok(facts)
    }
}

/// Returns whether a package's groups make it a development dependency. The lock
/// does not say which groups are development groups and which are
/// optional extras, so only the conventional `dev` group counts.
fn dev_flag(groups: &[String]) -> Option<bool> {
    if groups.iter().any(|g| g == "default") {
        Some(false)
    } else if !groups.is_empty() && groups.iter().all(|g| g == "dev") {
        Some(true)
    } else {
        // TODO: telling development groups from optional extras needs
        // pyproject.toml, which this analyzer does not see.
        None
    }
}
