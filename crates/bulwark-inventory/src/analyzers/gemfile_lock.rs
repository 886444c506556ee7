//! Reads Bundler's `Gemfile.lock`.
//!
//! The lockfile is a list of sections whose headers start in column 0.
//! Source sections (`GEM`, `GIT`, `PATH`, `PLUGIN SOURCE`) hold a `specs:`
//! block: each locked gem at four spaces of indentation as `name (version)`,
//! followed by its own dependencies at six spaces. `DEPENDENCIES` lists the
//! gems that the Gemfile names, at two spaces, which makes them direct.

use std::collections::{BTreeMap, BTreeSet};

use bulwark_image::EntryInfo;

use crate::analyzer::{Analyzer, Fact};
use crate::package::{Package, PackageKind};
use crate::purl::PurlBuilder;

/// Reads Bundler lockfiles (`Gemfile.lock`, `gems.locked`).
pub struct GemfileLockAnalyzer;

impl Analyzer for GemfileLockAnalyzer {
    fn name(&self) -> &'static str {
        "gemfile-lock"
    }

    fn wants(&self, info: &EntryInfo<'_>) -> bool {
        let name = info.path.rsplit('/').next().unwrap_or(info.path);
        name == "Gemfile.lock" || name == "gems.locked"
    }

    fn analyze(&self, _path: &str, data: &[u8]) -> Result<Vec<Fact>, String> {
        let text = std::str::from_utf8(data).map_err(|e| format!("not UTF-8 text: {e}"))?;
        let lock = parse(text)?;
        Ok(lock
            .into_packages()
            .into_iter()
            .map(Fact::Package)
            .collect())
    }
}

/// One locked gem of a source section.
struct Spec {
    name: String,
    version: String,
    platform: Option<String>,
    dependencies: Vec<String>,
}

#[derive(Default)]
struct Lockfile {
    specs: Vec<Spec>,
    /// Gems named in `DEPENDENCIES`, or `None` when the section is absent.
    direct: Option<BTreeSet<String>>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Section {
    Source,
    Dependencies,
    Other,
}

fn parse(text: &str) -> Result<Lockfile, String> {
    let mut lock = Lockfile::default();
    let mut section = Section::Other;
    let mut in_specs = false;
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        let indent = line.len() - line.trim_start_matches(' ').len();
        let content = line.trim_start_matches(' ');
        if indent == 0 {
            section = section_kind(content)
                .ok_or_else(|| format!("line {number}: expected a section header such as GEM or DEPENDENCIES, found {content:?}"))?;
            in_specs = false;
            if section == Section::Dependencies {
                lock.direct.get_or_insert_with(BTreeSet::new);
            }
            continue;
        }
        match section {
            Section::Source => {
                if indent == 2 {
                    in_specs = content == "specs:";
                } else if indent == 4 && in_specs {
                    let (name, version) = split_entry(content)
                        .filter(|(_, version)| version.is_some())
                        .ok_or_else(|| {
                            format!("line {number}: expected a locked gem as `name (version)`, found {content:?}")
                        })?;
                    let (version, platform) = split_platform(version.unwrap_or_default());
                    lock.specs.push(Spec {
                        name: name.to_owned(),
                        version: version.to_owned(),
                        platform: platform.map(str::to_owned),
                        dependencies: Vec::new(),
                    });
                } else if indent == 6 && in_specs {
                    let Some(spec) = lock.specs.last_mut() else {
                        return Err(format!(
                            "line {number}: dependency {content:?} before any locked gem"
                        ));
                    };
                    let (name, _) = split_entry(content)
                        .ok_or_else(|| format!("line {number}: invalid dependency {content:?}"))?;
                    spec.dependencies.push(name.to_owned());
                }
            }
            Section::Dependencies if indent == 2 => {
                let (name, _) = split_entry(content)
                    .ok_or_else(|| format!("line {number}: invalid dependency {content:?}"))?;
                // A trailing `!` marks a gem pinned to a GIT or PATH source.
                let name = name.trim_end_matches('!');
                lock.direct
                    .get_or_insert_with(BTreeSet::new)
                    .insert(name.to_owned());
            }
            _ => {}
        }
    }
    Ok(lock)
}

/// Classifies a column-0 line. Bundler writes upper-case headers and
/// ignores sections it does not know, so any upper-case header is valid.
fn section_kind(header: &str) -> Option<Section> {
    match header {
        "GEM" | "GIT" | "PATH" | "PLUGIN SOURCE" => Some(Section::Source),
        "DEPENDENCIES" => Some(Section::Dependencies),
        _ if header
            .chars()
            .all(|c| c.is_ascii_uppercase() || matches!(c, ' ' | '_' | '-')) =>
        {
            Some(Section::Other)
        }
        _ => None,
    }
}

/// Splits `name (requirement)` or a bare `name`.
fn split_entry(content: &str) -> Option<(&str, Option<&str>)> {
    let (name, rest) = match content.split_once(' ') {
        Some((name, rest)) => (name, Some(rest.trim())),
        None => (content, None),
    };
    if name.is_empty() {
        return None;
    }
    match rest {
        None => Some((name, None)),
        Some(rest) => {
            let inner = rest.strip_prefix('(')?.strip_suffix(')')?.trim();
            (!inner.is_empty()).then_some((name, Some(inner)))
        }
    }
}

/// Splits `1.13.6-x86_64-linux` into the version and the platform. Gem
/// versions never contain `-` (RubyGems rewrites it to `.pre.`), so the
/// first `-` starts the platform.
fn split_platform(version: &str) -> (&str, Option<&str>) {
    match version.split_once('-') {
        Some((version, platform)) if !platform.is_empty() => (version, Some(platform)),
        _ => (version, None),
    }
}

impl Lockfile {
    fn into_packages(self) -> Vec<Package> {
        // The same gem is locked once per platform when the lockfile lists
        // several platforms. Which one is installed is unknown, so the
        // platform is kept only when there is one.
        let mut merged: BTreeMap<(String, String), Spec> = BTreeMap::new();
        let mut order = Vec::new();
        for spec in self.specs {
            let key = (spec.name.clone(), spec.version.clone());
            match merged.get_mut(&key) {
                Some(existing) => {
                    if existing.platform != spec.platform {
                        existing.platform = None;
                    }
                    for dependency in spec.dependencies {
                        if !existing.dependencies.contains(&dependency) {
                            existing.dependencies.push(dependency);
                        }
                    }
                }
                None => {
                    order.push(key.clone());
                    merged.insert(key, spec);
                }
            }
        }
        let versions: BTreeMap<String, String> = order
            .iter()
            .map(|(name, version)| (name.clone(), version.clone()))
            .collect();
        order
            .into_iter()
            .filter_map(|key| merged.remove(&key))
            .map(|spec| {
                let mut package = Package::new(PackageKind::Gem, &spec.name, &spec.version);
                package.purl = PurlBuilder::new("gem", &spec.name)
                    .version(&spec.version)
                    .qualifier("platform", spec.platform.as_deref())
                    .build();
                package.direct = self
                    .direct
                    .as_ref()
                    .map(|direct| direct.contains(&spec.name));
                package.depends_on = spec
                    .dependencies
                    .iter()
                    .map(|name| match versions.get(name) {
                        Some(version) => format!("{name}@{version}"),
                        None => name.clone(),
                    })
                    .collect();
                package
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platform_suffix_becomes_qualifier() {
        let lock = "GEM\n  remote: https://rubygems.org/\n  specs:\n    nokogiri (1.13.6-x86_64-linux)\n      racc (~> 1.4)\n    racc (1.6.0)\n\nDEPENDENCIES\n  nokogiri\n";
        let packages = parse(lock).unwrap().into_packages();
        assert_eq!(packages[0].version, "1.13.6");
        assert_eq!(
            packages[0].purl,
            "pkg:gem/nokogiri@1.13.6?platform=x86_64-linux"
        );
        assert_eq!(packages[0].depends_on, vec!["racc@1.6.0"]);
        assert_eq!(packages[0].direct, Some(true));
        assert_eq!(packages[1].direct, Some(false));
    }

    #[test]
    fn several_platforms_drop_qualifier() {
        let lock = "GEM\n  specs:\n    ffi (1.15.5-x86_64-linux)\n    ffi (1.15.5-arm64-darwin)\n";
        let packages = parse(lock).unwrap().into_packages();
        assert_eq!(packages.len(), 1);
        assert_eq!(packages[0].purl, "pkg:gem/ffi@1.15.5");
        assert_eq!(packages[0].direct, None);
    }
}
