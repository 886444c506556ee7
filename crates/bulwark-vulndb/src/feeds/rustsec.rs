//! RustSec advisories in their native format: a Markdown file whose TOML
//! front matter sits in a leading ```` ```toml ```` block.
//!
//! `[versions] patched` and `unaffected` are lists of Cargo version
//! requirements (`">= 1.2.3, < 1.3"`). A version is affected when no
//! requirement of either list matches it, which is what the converter turns
//! into one OSV `SEMVER` range: the union of the requirements is complemented
//! into `introduced`/`fixed` events. Upper bounds that Cargo derives (the
//! `2.0.0` of `^1.2`) and the version after an inclusive bound (`<= 1.2.3`)
//! get the pre-release `-0`, so `1.2.4-0` is the first version above
//! `1.2.3`, as in RustSec's own OSV export.

use std::path::Path;

use bulwark_osv::{Advisory, Affected, Event, PackageRef, Range, Reference, Severity};
use semver::{Comparator, Op, Prerelease, Version, VersionReq};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{FeedConverter, FeedError, Record, RecordError};

/// Converts RustSec advisory Markdown files.
#[derive(Debug, Default, Clone, Copy)]
pub struct RustSec;

impl FeedConverter for RustSec {
    fn name(&self) -> &'static str {
        "rustsec"
    }

    fn detect(&self, path: &Path, head: &[u8]) -> bool {
        let text = String::from_utf8_lossy(head);
        path.extension().is_some_and(|ext| ext == "md")
            && text.trim_start().starts_with("```toml")
            && text.contains("[advisory]")
    }

    fn convert(
        &self,
        path: &Path,
        data: &[u8],
        sink: &mut dyn FnMut(Result<Record, RecordError>),
    ) -> Result<(), FeedError> {
        let record = path.display().to_string();
        let text = std::str::from_utf8(data)
            .map_err(|error| FeedError::new(format!("{record}: invalid UTF-8: {error}")))?;
        match convert_text(text) {
            Ok(advisory) => sink(Ok(advisory.into())),
            Err(reason) => sink(Err(RecordError::new(record, reason))),
        }
        Ok(())
    }
}

#[derive(Debug, Deserialize)]
struct FrontMatter {
    advisory: AdvisoryMeta,
    #[serde(default)]
    versions: Versions,
    #[serde(default)]
    affected: Option<AffectedMeta>,
}

#[derive(Debug, Deserialize)]
struct AdvisoryMeta {
    id: String,
    package: String,
    date: String,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    categories: Vec<String>,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    related: Vec<String>,
    #[serde(default)]
    cvss: Option<String>,
    #[serde(default)]
    informational: Option<String>,
    #[serde(default)]
    withdrawn: Option<String>,
    #[serde(default)]
    references: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Versions {
    #[serde(default)]
    patched: Vec<String>,
    #[serde(default)]
    unaffected: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
struct AffectedMeta {
    #[serde(default)]
    arch: Vec<String>,
    #[serde(default)]
    os: Vec<String>,
    #[serde(default)]
    functions: toml::Table,
}

/// Converts the text of one advisory file.
///
/// # Errors
///
/// Returns a message when the front matter is missing or invalid, or a
/// version requirement does not parse.
pub fn convert_text(text: &str) -> Result<Advisory, String> {
    let rest = text
        .trim_start()
        .strip_prefix("```toml")
        .ok_or("missing the ```toml front matter block")?;
    let (front, body) = rest
        .split_once("\n```")
        .ok_or("the ```toml front matter block is not closed")?;
    let meta: FrontMatter =
        toml::from_str(front).map_err(|error| format!("invalid front matter: {error}"))?;
    let events = affected_events(&meta.versions.patched, &meta.versions.unaffected)?;

    let body = body.trim_start_matches('`').trim();
    let (summary, details) = match body.strip_prefix("# ") {
        Some(rest) => {
            let (title, details) = rest.split_once('\n').unwrap_or((rest, ""));
            (Some(title.trim().to_owned()), details.trim().to_owned())
        }
        None => (None, body.to_owned()),
    };

    let advisory = meta.advisory;
    let mut severity = Vec::new();
    if let Some(cvss) = &advisory.cvss {
        let kind = if cvss.starts_with("CVSS:4") {
            "CVSS_V4"
        } else {
            "CVSS_V3"
        };
        severity.push(Severity {
            kind: kind.to_owned(),
            score: cvss.clone(),
        });
    }
    let affects = meta.affected.unwrap_or_default();
    let functions: Vec<String> = affects.functions.keys().cloned().collect();
    let affected = Affected {
        package: Some(PackageRef {
            ecosystem: "crates.io".to_owned(),
            name: advisory.package.clone(),
            purl: Some(format!("pkg:cargo/{}", advisory.package)),
        }),
        ranges: vec![Range {
            kind: "SEMVER".to_owned(),
            events,
            ..Range::default()
        }],
        ecosystem_specific: Some(json!({
            "affects": {"arch": affects.arch, "os": affects.os, "functions": functions},
        })),
        database_specific: Some(json!({
            "categories": advisory.categories,
            "cvss": advisory.cvss,
            "informational": advisory.informational,
        })),
        ..Affected::default()
    };
    let mut references = vec![Reference {
        kind: "PACKAGE".to_owned(),
        url: format!("https://crates.io/crates/{}", advisory.package),
    }];
    for url in advisory.url.iter().chain(&advisory.references) {
        references.push(Reference {
            kind: "WEB".to_owned(),
            url: url.clone(),
        });
    }
    let mut database_specific = Map::new();
    database_specific.insert("license".to_owned(), Value::String("CC0-1.0".to_owned()));
    Ok(Advisory {
        schema_version: Some("1.6.0".to_owned()),
        id: advisory.id,
        modified: String::new(),
        published: Some(format!("{}T12:00:00Z", advisory.date)),
        withdrawn: advisory.withdrawn.map(|date| format!("{date}T12:00:00Z")),
        aliases: advisory.aliases,
        related: advisory.related,
        upstream: Vec::new(),
        summary,
        details: (!details.is_empty()).then_some(details),
        severity,
        affected: vec![affected],
        references,
        credits: Vec::new(),
        database_specific: Some(Value::Object(database_specific)),
    })
}

/// A half-open interval of versions: `low` included, `high` excluded.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Interval {
    low: Version,
    high: Option<Version>,
}

/// Returns the OSV events of the versions that no requirement matches.
///
/// # Errors
///
/// Returns a message naming the requirement that does not parse.
fn affected_events(patched: &[String], unaffected: &[String]) -> Result<Vec<Event>, String> {
    let mut intervals = Vec::new();
    for text in patched.iter().chain(unaffected) {
        let requirement = VersionReq::parse(text)
            .map_err(|error| format!("invalid version requirement {text:?}: {error}"))?;
        if let Some(interval) = requirement_interval(&requirement) {
            intervals.push(interval);
        }
    }
    intervals.sort_by(|a, b| a.low.cmp(&b.low));

    // Merge overlapping or touching intervals.
    let mut merged: Vec<Interval> = Vec::new();
    for interval in intervals {
        if let Some(last) = merged.last_mut()
            && last.high.as_ref().is_none_or(|high| interval.low <= *high)
        {
            last.high = match (&last.high, &interval.high) {
                (Some(a), Some(b)) => Some(a.max(b).clone()),
                _ => None,
            };
            continue;
        }
        merged.push(interval);
    }

    // The affected versions are the gaps between the merged intervals.
    let minimum = Version {
        pre: Prerelease::new("0").expect("0 is a valid pre-release"),
        ..Version::new(0, 0, 0)
    };
    let mut events = Vec::new();
    let mut start = Some(minimum.clone());
    for interval in &merged {
        if let Some(from) = start.take()
            && from < interval.low
        {
            events.push(Event::introduced(from.to_string()));
            events.push(Event::fixed(interval.low.to_string()));
        }
        start = interval.high.clone();
    }
    if let Some(from) = start {
        events.push(Event::introduced(from.to_string()));
    }
    Ok(events)
}

/// Returns the interval a requirement matches, or `None` when it matches
/// nothing.
fn requirement_interval(requirement: &VersionReq) -> Option<Interval> {
    let mut low = Version::new(0, 0, 0);
    low.pre = Prerelease::new("0").ok()?;
    let mut high: Option<Version> = None;
    for comparator in &requirement.comparators {
        let (from, to) = comparator_bounds(comparator);
        if let Some(from) = from
            && from > low
        {
            low = from;
        }
        if let Some(to) = to
            && high.as_ref().is_none_or(|high| to < *high)
        {
            high = Some(to);
        }
    }
    match &high {
        Some(high) if *high <= low => None,
        _ => Some(Interval { low, high }),
    }
}

/// Returns the included lower and excluded upper bound of one comparator.
fn comparator_bounds(comparator: &Comparator) -> (Option<Version>, Option<Version>) {
    let major = comparator.major;
    let minor = comparator.minor;
    let patch = comparator.patch;
    let at = Version {
        pre: comparator.pre.clone(),
        ..Version::new(major, minor.unwrap_or(0), patch.unwrap_or(0))
    };
    // The version just above every version the comparator's digits name.
    let after = match (minor, patch) {
        (Some(minor), Some(patch)) => bump(major, minor, patch + 1),
        (Some(minor), None) => bump(major, minor + 1, 0),
        (None, _) => bump(major + 1, 0, 0),
    };
    match comparator.op {
        Op::Exact | Op::Wildcard => (Some(at), Some(after)),
        Op::Greater => (Some(after), None),
        Op::GreaterEq => (Some(at), None),
        Op::Less => (None, Some(at)),
        Op::LessEq => (None, Some(after)),
        Op::Tilde => {
            let high = match minor {
                Some(minor) => bump(major, minor + 1, 0),
                None => bump(major + 1, 0, 0),
            };
            (Some(at), Some(high))
        }
        Op::Caret => {
            let high = match (major, minor, patch) {
                (0, Some(0), Some(patch)) => bump(0, 0, patch + 1),
                (0, Some(0), None) => bump(0, 1, 0),
                (0, Some(minor), _) => bump(0, minor + 1, 0),
                _ => bump(major + 1, 0, 0),
            };
            (Some(at), Some(high))
        }
        // `Op` is non-exhaustive; an unknown operator bounds nothing.
        _ => (None, None),
    }
}

/// Returns `major.minor.patch-0`, the lowest version with those digits.
fn bump(major: u64, minor: u64, patch: u64) -> Version {
    Version {
        pre: Prerelease::new("0").expect("0 is a valid pre-release"),
        ..Version::new(major, minor, patch)
    }
}

#[cfg(test)]
mod tests {
    use super::affected_events;

    fn events(patched: &[&str], unaffected: &[&str]) -> Vec<(String, String)> {
        let patched: Vec<String> = patched.iter().map(|s| s.to_string()).collect();
        let unaffected: Vec<String> = unaffected.iter().map(|s| s.to_string()).collect();
        affected_events(&patched, &unaffected)
            .unwrap()
            .into_iter()
            .map(|event| match (event.introduced, event.fixed) {
                (Some(v), None) => ("introduced".to_owned(), v),
                (None, Some(v)) => ("fixed".to_owned(), v),
                other => panic!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn inclusive_unaffected_bound_starts_after_it() {
        assert_eq!(
            events(&[">= 0.4.5"], &["<= 0.1.3"]),
            [
                ("introduced".to_owned(), "0.1.4-0".to_owned()),
                ("fixed".to_owned(), "0.4.5".to_owned())
            ]
        );
    }

    #[test]
    fn caret_requirement_leaves_gap_to_next_major() {
        assert_eq!(
            events(&["^1.2.3", ">= 2.0.1"], &[]),
            [
                ("introduced".to_owned(), "0.0.0-0".to_owned()),
                ("fixed".to_owned(), "1.2.3".to_owned()),
                ("introduced".to_owned(), "2.0.0-0".to_owned()),
                ("fixed".to_owned(), "2.0.1".to_owned()),
            ]
        );
    }

    #[test]
    fn no_patched_version_is_open_ended() {
        assert_eq!(
            events(&[], &[]),
            [("introduced".to_owned(), "0.0.0-0".to_owned())]
        );
    }
}
