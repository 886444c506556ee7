//! Reads Gradle dependency lock files: `gradle.lockfile`,
//! `buildscript-gradle.lockfile` and the per-configuration files of
//! Gradle 6 and older, `gradle/dependency-locks/*.lockfile`.
//!
//! Each line is `group:artifact:version=configuration,configuration`;
//! `#` starts a comment and `empty=` lists configurations that resolve
//! nothing.

use bulwark_image::EntryInfo;

use super::java_maven::{is_valid_id, maven_package};
use crate::analyzer::{Analyzer, Fact};

/// Reads Gradle lock files.
pub struct GradleLockAnalyzer;

impl Analyzer for GradleLockAnalyzer {
    fn name(&self) -> &'static str {
        "gradle-lock"
    }

    fn wants(&self, info: &EntryInfo<'_>) -> bool {
        let name = info.path.rsplit('/').next().unwrap_or(info.path);
        name == "gradle.lockfile"
            || name == "buildscript-gradle.lockfile"
            || (name.ends_with(".lockfile") && info.path.contains("gradle/dependency-locks/"))
    }

    fn analyze(&self, _path: &str, data: &[u8]) -> Result<Vec<Fact>, String> {
        let text = std::str::from_utf8(data).map_err(|e| format!("not UTF-8 text: {e}"))?;
        let mut facts = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') || line.starts_with("empty=") {
                continue;
            }
            let (coordinates, configurations) = line.split_once('=').unwrap_or((line, ""));
            let parts: Vec<&str> = coordinates.split(':').collect();
            let [group, artifact, version] = parts.as_slice() else {
                // Gradle writes only coordinate lines; anything else is a
                // manual edit, which Gradle itself rejects.
                facts.push(Fact::Skipped {
                    reason: format!("line {}: {line:?} is not group:artifact:version", index + 1),
                });
                continue;
            };
            if !is_valid_id(group) || !is_valid_id(artifact) || version.is_empty() {
                facts.push(Fact::Skipped {
                    reason: format!("line {}: invalid coordinates {coordinates:?}", index + 1),
                });
                continue;
            }
            let mut package = maven_package(group, artifact, version);
            // Only test configurations (testCompileClasspath, …) need it.
            let configurations: Vec<&str> = configurations
                .split(',')
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .collect();
            if !configurations.is_empty() {
                package.dev = Some(configurations.iter().all(|c| c.starts_with("test")));
            }
            facts.push(Fact::Package(package));
        }
        Ok(facts)
    }
}
