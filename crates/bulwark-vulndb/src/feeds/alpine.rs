//! Alpine secdb (<https://secdb.alpinelinux.org/>) in JSON or YAML, and the
//! one-package-per-file JSON layout of aquasecurity/vuln-list.
//!
//! A secdb file lists, per package, the version that fixed each
//! vulnerability. Each file becomes one advisory per vulnerability id, named
//! `ALPINE-<id>` (`ALPINE-CVE-2021-30473`) with the vulnerability id as an
//! alias, and one `affected` entry per package in the file's release
//! (`Alpine:v3.19`). The id is the same in every release, so the advisories
//! of the files of one import input are merged into one with an entry per
//! release and package. A fixed version of `0` means the package was never
//! affected and becomes an entry with the `not_affected` status.

use std::collections::BTreeMap;
use std::path::Path;

use bulwark_osv::{Advisory, Affected, Event, PackageRef, Range, Reference, Status};
use serde::Deserialize;

use super::{FeedConverter, FeedError, Record, RecordError};

/// Reads Alpine secdb files.
#[derive(Debug, Default, Clone, Copy)]
pub struct AlpineSecdbConverter;

/// A secdb file, or a vuln-list file holding one package at the top level.
#[derive(Deserialize)]
struct SecDb {
    #[serde(default)]
    distroversion: Option<String>,
    #[serde(default)]
    packages: Vec<PackageEntry>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    secfixes: Option<SecFixes>,
}

#[derive(Deserialize)]
struct PackageEntry {
    pkg: Package,
}

#[derive(Deserialize)]
struct Package {
    name: String,
    #[serde(default)]
    secfixes: Option<SecFixes>,
}

/// Fixed version to the vulnerability ids it fixes. YAML keys are read as
/// their source text, so `1.10:` stays `1.10`.
type SecFixes = BTreeMap<String, Option<Vec<Option<String>>>>;

impl FeedConverter for AlpineSecdbConverter {
    fn name(&self) -> &'static str {
        "alpine-secdb"
    }

    fn detect(&self, _path: &Path, head: &[u8]) -> bool {
        let text = String::from_utf8_lossy(head);
        if text.trim_start().starts_with('{') {
            return text.contains("\"secfixes\"")
                || (text.contains("\"distroversion\"") && text.contains("\"packages\""));
        }
        text.lines()
            .any(|line| line.starts_with("distroversion:") || line.trim() == "secfixes:")
    }

    fn convert(
        &self,
        path: &Path,
        data: &[u8],
        sink: &mut dyn FnMut(Result<Record, RecordError>),
    ) -> Result<(), FeedError> {
        let text = String::from_utf8_lossy(data);
        let db: SecDb = if text.trim_start().starts_with('{') {
            serde_json::from_slice(data)
                .map_err(|e| FeedError::new(format!("invalid Alpine secdb JSON: {e}")))?
        } else {
            yaml_serde::from_slice(data)
                .map_err(|e| FeedError::new(format!("invalid Alpine secdb YAML: {e}")))?
        };
        let release = db
            .distroversion
            .clone()
            .filter(|r| !r.trim().is_empty())
            .or_else(|| release_from_path(path))
            .ok_or_else(|| {
                FeedError::new(
                    "no release: the file has no distroversion and its path no vX.Y or edge directory",
                )
            })?;
        let packages = match (db.name, db.secfixes) {
            (Some(name), secfixes) if db.packages.is_empty() => vec![PackageEntry {
                pkg: Package { name, secfixes },
            }],
            _ => db.packages,
        };
        convert_packages(&release, packages, sink);
        Ok(())
    }
}

/// Finds a release directory such as `v3.19` or `edge` in `path`.
fn release_from_path(path: &Path) -> Option<String> {
    path.components().rev().skip(1).find_map(|c| {
        let part = c.as_os_str().to_str()?;
        let is_release = part == "edge"
            || part.strip_prefix('v').is_some_and(|rest| {
                rest.split('.').count() == 2
                    && rest
                        .split('.')
                        .all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            });
        is_release.then(|| part.to_owned())
    })
}

fn convert_packages(
    release: &str,
    packages: Vec<PackageEntry>,
    sink: &mut dyn FnMut(Result<Record, RecordError>),
) {
    let ecosystem = format!("Alpine:{release}");
    // Advisory id to (aliases, package to fixed version), in id order so
    // output is deterministic.
    let mut by_id: BTreeMap<String, (Vec<String>, BTreeMap<String, String>)> = BTreeMap::new();
    for (index, entry) in packages.into_iter().enumerate() {
        let name = entry.pkg.name.trim().to_owned();
        if name.is_empty() {
            sink(Err(RecordError::new(
                format!("packages[{index}]"),
                "package has no name",
            )));
            continue;
        }
        for (fixed, ids) in entry.pkg.secfixes.unwrap_or_default() {
            let fixed = fixed.trim().to_owned();
            for text in ids.unwrap_or_default().into_iter().flatten() {
                let parsed = parse_ids(&text);
                let Some(primary) = parsed.first().cloned() else {
                    sink(Err(RecordError::new(
                        format!("packages[{index}] {name} {fixed}"),
                        format!(
                            "no vulnerability id in {:?}",
                            text.chars().take(80).collect::<String>()
                        ),
                    )));
                    continue;
                };
                let (aliases, fixes) = by_id.entry(format!("ALPINE-{primary}")).or_default();
                for id in parsed {
                    if !aliases.contains(&id) {
                        aliases.push(id);
                    }
                }
                fixes
                    .entry(name.clone())
                    .and_modify(|current| {
                        if later_fix(&fixed, current) {
                            current.clone_from(&fixed);
                        }
                    })
                    .or_insert_with(|| fixed.clone());
            }
        }
    }
    for (id, (aliases, fixes)) in by_id {
        let affected = fixes
            .into_iter()
            .map(|(name, fixed)| affected_entry(&ecosystem, release, name, fixed))
            .collect();
        let references = aliases
            .iter()
            .filter(|alias| alias.starts_with("CVE-"))
            .map(|cve| Reference {
                kind: "ADVISORY".to_owned(),
                url: format!("https://security.alpinelinux.org/vuln/{cve}"),
            })
            .collect();
        sink(Ok(Advisory {
            schema_version: None,
            id,
            modified: String::new(),
            published: None,
            withdrawn: None,
            aliases,
            related: Vec::new(),
            upstream: Vec::new(),
            summary: None,
            details: None,
            severity: Vec::new(),
            affected,
            references,
            credits: Vec::new(),
            database_specific: None,
        }
        .into()));
    }
}

/// Returns whether `candidate` is a later fix than `current`. A
/// vulnerability listed under two versions of one package was fixed again,
/// for a regression, so the later version is the complete fix.
fn later_fix(candidate: &str, current: &str) -> bool {
    bulwark_version::apk::compare(candidate, current)
        .is_ok_and(|order| order == std::cmp::Ordering::Greater)
}

fn affected_entry(ecosystem: &str, release: &str, name: String, fixed: String) -> Affected {
    let purl_release = release.strip_prefix('v').unwrap_or(release);
    let mut affected = Affected {
        package: Some(PackageRef {
            ecosystem: ecosystem.to_owned(),
            purl: Some(format!(
                "pkg:apk/alpine/{name}?distro=alpine-{purl_release}"
            )),
            name,
        }),
        ..Affected::default()
    };
    if fixed == "0" {
        affected.set_status(Status::NotAffected);
    } else {
        affected.ranges.push(Range {
            kind: "ECOSYSTEM".to_owned(),
            repo: None,
            events: vec![Event::introduced("0"), Event::fixed(fixed)],
            database_specific: None,
        });
    }
    affected
}

/// Extracts vulnerability ids from one secfixes entry, CVE ids first.
///
/// Entries are mostly one CVE id, but also several ids (`CVE-2016-6258
/// XSA-182`), comments (`CVE-2017-2616 (+ regression fix)`), a space for
/// the dash (`CVE 2018-16859`), an underscore for it (`CVE_2019-2426`) or a
/// part suffix (`CVE-2017-17434-1`).
fn parse_ids(text: &str) -> Vec<String> {
    let mut without_comments = String::with_capacity(text.len());
    let mut depth = 0usize;
    for c in text.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            _ if depth == 0 => without_comments.push(c),
            _ => {}
        }
    }
    let tokens: Vec<&str> = without_comments
        .split(|c: char| c.is_whitespace() || c == ',' || c == ';')
        .filter(|t| !t.is_empty())
        .collect();
    let mut cves = Vec::new();
    let mut others = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let token = tokens[i];
        if token.eq_ignore_ascii_case("CVE")
            && let Some(cve) = tokens
                .get(i + 1)
                .and_then(|next| cve_prefix(&format!("CVE-{next}")))
        {
            cves.push(cve);
            i += 2;
            continue;
        }
        if let Some(cve) = cve_prefix(token) {
            cves.push(cve);
        } else if is_id(token) {
            others.push(token.to_owned());
        }
        i += 1;
    }
    cves.extend(others);
    cves.dedup();
    cves
}

/// Returns the `CVE-YYYY-NNNN` prefix of `token`, uppercased.
fn cve_prefix(token: &str) -> Option<String> {
    let upper = token.to_ascii_uppercase();
    let rest = upper
        .strip_prefix("CVE-")
        .or_else(|| upper.strip_prefix("CVE_"))?;
    let (year, rest) = rest.split_at_checked(4)?;
    if !year.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let number: String = rest
        .strip_prefix('-')?
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    (number.len() >= 4).then(|| format!("CVE-{year}-{number}"))
}

/// Returns whether `token` looks like a vulnerability id of another
/// namespace: `XSA-182`, `GHSA-f7r5-w49x-gxm3`, `wnpa-sec-2017-18`.
fn is_id(token: &str) -> bool {
    let mut parts = token.split('-');
    let prefix = parts.next().unwrap_or_default();
    let rest: Vec<&str> = parts.collect();
    prefix
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic())
        && prefix.chars().all(|c| c.is_ascii_alphanumeric())
        && !rest.is_empty()
        && rest
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric()))
        && token.chars().any(|c| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secfix_entries_split_into_ids() {
        assert_eq!(parse_ids("CVE-2019-14904"), ["CVE-2019-14904"]);
        assert_eq!(
            parse_ids("CVE-2024-22195 GHSA-h5c8-rqwp-cp95"),
            ["CVE-2024-22195", "GHSA-h5c8-rqwp-cp95"]
        );
        assert_eq!(
            parse_ids("CVE-2017-2616 (+ regression fix)"),
            ["CVE-2017-2616"]
        );
        assert_eq!(parse_ids("CVE 2018-16859"), ["CVE-2018-16859"]);
        assert_eq!(parse_ids("CVE-2017-17434-1"), ["CVE-2017-17434"]);
        assert_eq!(parse_ids("CVE_2019-2426"), ["CVE-2019-2426"]);
        assert_eq!(parse_ids("XSA-207"), ["XSA-207"]);
        assert_eq!(parse_ids("wnpa-sec-2017-18"), ["wnpa-sec-2017-18"]);
        assert!(parse_ids("(+regression fix)").is_empty());
    }

    #[test]
    fn release_read_from_path() {
        assert_eq!(
            release_from_path(Path::new("a/v3.19/main.json")).as_deref(),
            Some("v3.19")
        );
        assert_eq!(
            release_from_path(Path::new("edge/community.json")).as_deref(),
            Some("edge")
        );
        assert_eq!(release_from_path(Path::new("v3/main.json")), None);
    }
}
