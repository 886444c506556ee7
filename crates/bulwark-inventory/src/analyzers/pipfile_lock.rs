//! Reads Pipenv's `Pipfile.lock`.

use std::collections::BTreeMap;

use bulwark_image::EntryInfo;
use serde::Deserialize;

use super::python::{is_project_file, pypi_package};
use crate::analyzer::{Analyzer, Fact};

/// Reads the packages locked by Pipenv: `default` ones, and `develop`
/// ones marked as development dependencies.
pub struct PipfileLockAnalyzer;

#[derive(Deserialize)]
struct Lock {
    #[serde(default)]
    default: BTreeMap<String, Entry>,
    #[serde(default)]
    develop: BTreeMap<String, Entry>,
}

#[derive(Deserialize)]
struct Entry {
    /// `==1.2.3`; absent for editable, path and VCS entries.
    version: Option<String>,
}

impl Analyzer for PipfileLockAnalyzer {
    fn name(&self) -> &'static str {
        "pipfile-lock"
    }

    fn wants(&self, info: &EntryInfo<'_>) -> bool {
        is_project_file(info.path, "Pipfile.lock")
    }

    fn analyze(&self, _path: &str, data: &[u8]) -> Result<Vec<Fact>, String> {
        let lock: Lock = serde_json::from_slice(data).map_err(|e| e.to_string())?;
        let mut facts = Vec::new();
        for (section, dev) in [(&lock.default, false), (&lock.develop, true)] {
            for (name, entry) in section {
                let Some(version) = entry.version.as_deref() else {
                    continue;
                };
                let version = version.trim_start_matches("===").trim_start_matches("==");
                // A package locked at the same version in both sections
                // is installed for production.
                if dev
                    && lock
                        .default
                        .get(name)
                        .is_some_and(|e| e.version == entry.version)
                {
                    continue;
                }
                let mut package = pypi_package(name, version);
                package.dev = Some(dev);
                facts.push(Fact::Package(package));
            }
        }
        Ok(facts)
    }
}
