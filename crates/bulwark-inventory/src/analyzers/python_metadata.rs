//! Reads installed Python distributions: `*.dist-info/METADATA` (wheels),
//! `*.egg-info/PKG-INFO` and `EGG-INFO/PKG-INFO` (eggs), and the
//! single-file `*.egg-info` that distutils writes.

use bulwark_image::EntryInfo;

use super::python::{pypi_package, requirement_names};
use crate::analyzer::{Analyzer, Fact};

/// Reads the core metadata file of installed Python distributions.
///
/// Files are wanted wherever they are, not only under `site-packages` or
/// `dist-packages`: virtual environments live anywhere, and
/// `pip install --target` (AWS Lambda, vendored apps) puts distributions
/// in arbitrary directories.
pub struct PythonMetadataAnalyzer;

impl Analyzer for PythonMetadataAnalyzer {
    fn name(&self) -> &'static str {
        "python-metadata"
    }

    fn wants(&self, info: &EntryInfo<'_>) -> bool {
        is_metadata_path(info.path)
    }

    fn analyze(&self, _path: &str, data: &[u8]) -> Result<Vec<Fact>, String> {
        let text = String::from_utf8_lossy(data);
        let headers = parse_headers(&text);
        let get = |key: &str| {
            headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| v.trim())
                .filter(|v| !v.is_empty())
        };
        let name = get("Name").ok_or("no Name field")?;
        let version =
            get("Version").ok_or_else(|| format!("distribution {name} has no Version field"))?;
        let mut package = pypi_package(name, version);
        package.licenses = licenses(&headers);
        package.depends_on = requirement_names(
            headers
                .iter()
                .filter(|(k, _)| k.eq_ignore_ascii_case("Requires-Dist"))
                .map(|(_, v)| v.as_str()),
        );
        Ok(vec![Fact::Package(package)])
    }
}

/// Returns whether `path` is the metadata file of an installed
/// distribution.
pub(crate) fn is_metadata_path(path: &str) -> bool {
    let (dir, file) = path.rsplit_once('/').unwrap_or(("", path));
    let dir_name = dir.rsplit('/').next().unwrap_or(dir);
    match file {
        "METADATA" => dir_name.ends_with(".dist-info"),
        "PKG-INFO" => dir_name.ends_with(".egg-info") || dir_name == "EGG-INFO",
        _ => file.ends_with(".egg-info"),
    }
}

/// Reads the header block: `Key: value` lines, with indented lines
/// (even blank ones, as old `Description` fields have) continuing the
/// previous value. The header ends at the first empty line; the description body after it is not needed. Lines that are
/// neither headers nor continuations (seen in hand-edited files) are
/// skipped.
fn parse_headers(text: &str) -> Vec<(String, String)> {
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = headers.last_mut() {
                value.push('\n');
                value.push_str(line.trim());
            }
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        if key.is_empty() || key.contains(' ') {
            continue;
        }
        headers.push((key.to_owned(), value.trim().to_owned()));
    }
    headers
}

/// Picks the license, in order of precision: the SPDX `License-Expression`
/// (metadata 2.4), the free-form `License` field when it is a short name,
/// and otherwise the names of `License ::` trove classifiers.
fn licenses(headers: &[(String, String)]) -> Vec<String> {
    fn values<'a>(headers: &'a [(String, String)], key: &'a str) -> impl Iterator<Item = &'a str> {
        headers
            .iter()
            .filter(move |(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    }
    if let Some(expression) = values(headers, "License-Expression").next() {
        return vec![expression.to_owned()];
    }
    if let Some(license) = values(headers, "License").next()
        && is_license_name(license)
    {
        return vec![license.to_owned()];
    }
    let mut found: Vec<String> = Vec::new();
    for classifier in values(headers, "Classifier") {
        let mut parts = classifier.split("::").map(str::trim);
        if parts.next() != Some("License") {
            continue;
        }
        let Some(last) = parts.last() else {
            continue;
        };
        if last != "OSI Approved" && !found.iter().any(|f| f == last) {
            found.push(last.to_owned());
        }
    }
    found
}

/// Returns whether a `License:` value names a license rather than holding
/// the whole license text or a placeholder.
fn is_license_name(value: &str) -> bool {
    // TODO: license texts pasted into the field are skipped rather than
    // classified; that needs a license text matcher.
    !value.eq_ignore_ascii_case("UNKNOWN") && !value.contains('\n') && value.len() <= 100
}

#[cfg(test)]
mod tests {
    use super::*;

    fn package(text: &str) -> crate::package::Package {
        let facts = PythonMetadataAnalyzer
            .analyze("x", text.as_bytes())
            .expect("parses");
        match facts.into_iter().next() {
            Some(Fact::Package(p)) => p,
            other => panic!("expected a package, got {other:?}"),
        }
    }

    #[test]
    fn wanted_paths() {
        for path in [
            "usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA",
            "app/venv/lib/python3.11/site-packages/Django-3.2.dist-info/METADATA",
            "usr/lib/python3/dist-packages/pycups-2.0.1.egg-info",
            "x/httplib2-0.20.4.egg-info/PKG-INFO",
            "x/setuptools-57.4.0-py3.9.egg/EGG-INFO/PKG-INFO",
        ] {
            assert!(is_metadata_path(path), "{path}");
        }
        for path in [
            "x/pip-22.2.2.dist-info/TEST",
            "x/pip-22.2.2.dist-info/RECORD",
            "x/METADATA",
            "x/src/PKG-INFO",
        ] {
            assert!(!is_metadata_path(path), "{path}");
        }
    }

    #[test]
    fn license_prefers_expression_then_field_then_classifiers() {
        let p =
            package("Name: a\nVersion: 1\nLicense-Expression: MIT OR Apache-2.0\nLicense: MIT\n");
        assert_eq!(p.licenses, vec!["MIT OR Apache-2.0"]);
        let p = package(
            "Name: a\nVersion: 1\nLicense: UNKNOWN\nClassifier: License :: OSI Approved :: MIT License\n",
        );
        assert_eq!(p.licenses, vec!["MIT License"]);
        let p = package("Name: a\nVersion: 1\nLicense: BSD\n");
        assert_eq!(p.licenses, vec!["BSD"]);
    }

    #[test]
    fn first_value_wins_and_keys_ignore_case() {
        let p = package("name: root\nversion: 1.0.0\nVersion: 2.0.0\nRequires-Dist: dep1\n");
        assert_eq!((p.name.as_str(), p.version.as_str()), ("root", "1.0.0"));
        assert_eq!(p.depends_on, vec!["dep1"]);
    }

    #[test]
    fn missing_name_is_an_error() {
        assert!(PythonMetadataAnalyzer.analyze("x", b"").is_err());
        assert!(
            PythonMetadataAnalyzer
                .analyze("x", b"Version: 1\n")
                .is_err()
        );
    }
}
