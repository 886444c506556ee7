//! Reads dpkg's status database, distroless `status.d`, file lists and
//! machine-readable copyright files.

use bulwark_image::EntryInfo;

use crate::analyzer::{Analyzer, Fact, paragraphs};
use crate::package::{Package, PackageKind};

/// Reads Debian and Ubuntu package metadata.
pub struct DpkgAnalyzer;

const STATUS: &str = "var/lib/dpkg/status";
const STATUS_D: &str = "var/lib/dpkg/status.d/";
const INFO: &str = "var/lib/dpkg/info/";
const DOC: &str = "usr/share/doc/";

impl Analyzer for DpkgAnalyzer {
    fn name(&self) -> &'static str {
        "dpkg"
    }

    fn wants(&self, info: &EntryInfo<'_>) -> bool {
        let path = info.path;
        if path == STATUS {
            return true;
        }
        if let Some(name) = path.strip_prefix(STATUS_D) {
            return !name.contains('/') && !name.ends_with(".md5sums");
        }
        if let Some(name) = path.strip_prefix(INFO) {
            return !name.contains('/') && name.ends_with(".list");
        }
        if let Some(rest) = path.strip_prefix(DOC) {
            return rest.ends_with("/copyright") && rest.matches('/').count() == 1;
        }
        false
    }

    fn analyze(&self, path: &str, data: &[u8]) -> Result<Vec<Fact>, String> {
        let text = String::from_utf8_lossy(data);
        if let Some(name) = path.strip_prefix(INFO) {
            let package = name.trim_end_matches(".list");
            let package = package.split_once(':').map_or(package, |(n, _)| n);
            let files = text
                .lines()
                .filter(|l| l.starts_with('/') && *l != "/.")
                .map(str::to_owned)
                .collect();
            return Ok(vec![Fact::OwnedFiles {
                kind: PackageKind::Deb,
                package: package.to_owned(),
                files,
            }]);
        }
        if let Some(rest) = path.strip_prefix(DOC) {
            let package = rest.trim_end_matches("/copyright");
            let licenses = copyright_licenses(&text);
            if licenses.is_empty() {
                return Ok(Vec::new());
            }
            return Ok(vec![Fact::Licenses {
                kind: PackageKind::Deb,
                package: package.to_owned(),
                licenses,
            }]);
        }
        let in_status_d = path.starts_with(STATUS_D);
        let mut facts = Vec::new();
        let records = paragraphs(&text, ':');
        if records.is_empty() && !text.trim().is_empty() {
            return Err("no `Field: value` records found".to_owned());
        }
        for (index, paragraph) in records.into_iter().enumerate() {
            let get = |key: &str| {
                paragraph
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(key))
                    .map(|(_, v)| v.as_str())
            };
            let Some(name) = get("Package") else {
                facts.push(Fact::Skipped {
                    reason: format!("paragraph {} has no Package field", index + 1),
                });
                continue;
            };
            // Distroless status.d entries usually have no Status field:
            // their presence means the package is installed.
            let installed = match get("Status") {
                Some(status) => is_installed(status),
                None => in_status_d,
            };
            if !installed {
                continue;
            }
            let Some(full_version) = get("Version") else {
                facts.push(Fact::Skipped {
                    reason: format!("package {name} has no Version field"),
                });
                continue;
            };
            let Some((epoch, version)) = split_epoch(full_version) else {
                facts.push(Fact::Skipped {
                    reason: format!("package {name} has an invalid epoch in {full_version:?}"),
                });
                continue;
            };
            let mut package = Package::new(PackageKind::Deb, name, version);
            package.epoch = epoch;
            package.arch = get("Architecture").map(str::to_owned);
            package.maintainer = get("Maintainer").map(str::to_owned);
            // `Source: name (version)` when the source version differs.
            let (source_name, source_version) = match get("Source") {
                Some(source) => match source.split_once('(') {
                    Some((n, v)) => (
                        n.trim().to_owned(),
                        v.trim_end_matches(')').trim().to_owned(),
                    ),
                    None => (source.trim().to_owned(), full_version.to_owned()),
                },
                None => (name.to_owned(), full_version.to_owned()),
            };
            package.source_name = Some(source_name);
            package.source_version = Some(source_version);
            if let Some(depends) = get("Depends") {
                package.depends_on = dependency_names(depends);
            }
            facts.push(Fact::Package(package));
        }
        Ok(facts)
    }
}

/// Returns whether a `Status:` value means installed: the third word is
/// the package state, and only `installed` leaves all files in place.
fn is_installed(status: &str) -> bool {
    status.split_whitespace().nth(2) == Some("installed")
}

/// Splits `epoch:version`; an epoch of 0 is dropped, as dpkg prints it.
fn split_epoch(full: &str) -> Option<(Option<u32>, String)> {
    match full.split_once(':') {
        Some((epoch, version)) => {
            let epoch: u32 = epoch.parse().ok()?;
            Some(((epoch != 0).then_some(epoch), version.to_owned()))
        }
        None => Some((None, full.to_owned())),
    }
}

/// Package names from a `Depends:` field, keeping the first alternative.
fn dependency_names(field: &str) -> Vec<String> {
    let mut names: Vec<String> = field
        .split(',')
        .filter_map(|group| group.split('|').next())
        .map(|dep| {
            let dep = dep.trim();
            let end = dep.find([' ', '(', '[', '<']).unwrap_or(dep.len());
            let name = &dep[..end];
            name.split_once(':').map_or(name, |(n, _)| n).to_owned()
        })
        .filter(|name| !name.is_empty())
        .collect();
    names.sort();
    names.dedup();
    names
}

/// Collects the `License:` short names of a machine-readable (DEP-5)
/// copyright file, in order of first appearance.
fn copyright_licenses(text: &str) -> Vec<String> {
    if !text.starts_with("Format:") && !text.contains("\nFiles:") {
        // TODO: free-form copyright files need license text classification.
        return Vec::new();
    }
    let mut licenses: Vec<String> = Vec::new();
    for line in text.lines() {
        let Some(value) = line.strip_prefix("License:") else {
            continue;
        };
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        for part in value.split(" or ").flat_map(|p| p.split(" and ")) {
            let part = part
                .trim()
                .trim_matches(|c| c == '(' || c == ')')
                .to_owned();
            if !part.is_empty() && !licenses.contains(&part) {
                licenses.push(part);
            }
        }
    }
    licenses
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_words() {
        assert!(is_installed("install ok installed"));
        assert!(is_installed("hold ok installed"));
        assert!(!is_installed("deinstall ok config-files"));
        assert!(!is_installed("install ok half-installed"));
    }

    #[test]
    fn epochs_split() {
        assert_eq!(split_epoch("1:2.38-5"), Some((Some(1), "2.38-5".into())));
        assert_eq!(split_epoch("0:1.0"), Some((None, "1.0".into())));
        assert_eq!(split_epoch("x:1.0"), None);
    }

    #[test]
    fn depends_keep_first_alternative() {
        assert_eq!(
            dependency_names("libc6 (>= 2.34), debconf (>= 0.5) | debconf-2.0, libfoo:any"),
            vec!["debconf", "libc6", "libfoo"]
        );
    }
}
