//! The Debian security tracker's JSON export
//! (`security-tracker.debian.org/tracker/data/json`):
//! `{source package: {CVE: {releases: {codename: {status, fixed_version,
//! urgency, nodsa, nodsa_reason}}}}}`.
//!
//! Each release entry becomes one `affected` entry of the advisory
//! `DEBIAN-<CVE>`, with these statuses:
//!
//! - `resolved` with `fixed_version` `0`: not affected;
//! - `resolved` with a version: affected, fixed in that version;
//! - `open` with `nodsa_reason` `ignored`, or urgency `end-of-life`: will
//!   not fix;
//! - `open` with `nodsa_reason` `postponed`: fix deferred;
//! - other `open`: affected, no fix;
//! - `undetermined`: under investigation.
//!
//! Releases without a version number (`sid`) are left out, because OSV's
//! Debian ecosystem is numbered.

use std::collections::BTreeMap;
use std::path::Path;

use bulwark_osv::{Advisory, Reference, Status};
use serde_json::{Map, Value};

use super::oval::affected_entry;
use super::{FeedConverter, FeedError, Record, RecordError};

/// Converts the Debian security tracker JSON.
#[derive(Debug, Default, Clone, Copy)]
pub struct DebianTracker;

impl FeedConverter for DebianTracker {
    fn name(&self) -> &'static str {
        "debian-tracker"
    }

    fn detect(&self, _path: &Path, head: &[u8]) -> bool {
        let text = String::from_utf8_lossy(head);
        text.trim_start().starts_with('{')
            && text.contains("\"releases\"")
            && text.contains("\"CVE-")
            && !text.contains("\"schema_version\"")
    }

    fn convert(
        &self,
        path: &Path,
        data: &[u8],
        sink: &mut dyn FnMut(Result<Record, RecordError>),
    ) -> Result<(), FeedError> {
        // NOTE: the whole document is parsed at once; the full export is
        // about 70 MB, so memory grows with the file.
        let document: BTreeMap<String, BTreeMap<String, Value>> = serde_json::from_slice(data)
            .map_err(|error| {
                FeedError::new(format!("{}: invalid tracker JSON: {error}", path.display()))
            })?;
        for (package, issues) in &document {
            for (issue, entry) in issues {
                match convert_issue(package, issue, entry) {
                    Ok(Some(advisory)) => sink(Ok(advisory.into())),
                    Ok(None) => {}
                    Err(reason) => {
                        sink(Err(RecordError::new(format!("{package} {issue}"), reason)))
                    }
                }
            }
        }
        Ok(())
    }
}

/// Returns the major version of a Debian codename.
pub(crate) fn release_number(codename: &str) -> Option<&'static str> {
    Some(match codename {
        "etch" => "4",
        "lenny" => "5",
        "squeeze" => "6",
        "wheezy" => "7",
        "jessie" => "8",
        "stretch" => "9",
        "buster" => "10",
        "bullseye" => "11",
        "bookworm" => "12",
        "trixie" => "13",
        "forky" => "14",
        "duke" => "15",
        _ => return None,
    })
}

fn convert_issue(package: &str, issue: &str, entry: &Value) -> Result<Option<Advisory>, String> {
    let releases = match entry.get("releases") {
        Some(Value::Object(releases)) => releases,
        // The tracker writes an empty list for issues with no release data.
        Some(Value::Array(list)) if list.is_empty() => return Ok(None),
        Some(_) => return Err("releases is neither an object nor an empty list".to_owned()),
        None => return Err("missing releases".to_owned()),
    };
    let mut affected = Vec::new();
    for (codename, release) in releases {
        let Some(number) = release_number(codename) else {
            continue;
        };
        let text = |key: &str| release.get(key).and_then(Value::as_str).unwrap_or_default();
        let status = text("status");
        let fixed = text("fixed_version");
        let (fixed, status) = match status {
            "resolved" if fixed == "0" => (None, Status::NotAffected),
            "resolved" if !fixed.is_empty() => (Some(fixed), Status::Affected),
            "resolved" => return Err(format!("{codename} is resolved without a fixed_version")),
            "open" if text("nodsa_reason") == "ignored" || text("urgency") == "end-of-life" => {
                (None, Status::WillNotFix)
            }
            "open" if text("nodsa_reason") == "postponed" => (None, Status::FixDeferred),
            "open" => (None, Status::Affected),
            "undetermined" => (None, Status::UnderInvestigation),
            other => return Err(format!("{codename} has unknown status {other:?}")),
        };
        let mut specific = Map::new();
        for key in ["urgency", "nodsa", "nodsa_reason"] {
            if !text(key).is_empty() {
                specific.insert(key.to_owned(), Value::String(text(key).to_owned()));
            }
        }
        let mut entry = affected_entry(&format!("Debian:{number}"), package, fixed, status, None);
        if !specific.is_empty() {
            entry.ecosystem_specific = Some(Value::Object(specific));
        }
        affected.push(entry);
    }
    if affected.is_empty() {
        return Ok(None);
    }
    let is_cve = issue.starts_with("CVE-");
    Ok(Some(Advisory {
        schema_version: Some("1.6.0".to_owned()),
        id: format!("DEBIAN-{issue}"),
        modified: String::new(),
        published: None,
        withdrawn: None,
        aliases: if is_cve {
            vec![issue.to_owned()]
        } else {
            Vec::new()
        },
        related: Vec::new(),
        upstream: Vec::new(),
        summary: None,
        details: entry
            .get("description")
            .and_then(Value::as_str)
            .filter(|text| !text.is_empty())
            .map(str::to_owned),
        severity: Vec::new(),
        affected,
        references: vec![Reference {
            kind: "ADVISORY".to_owned(),
            url: format!("https://security-tracker.debian.org/tracker/{issue}"),
        }],
        credits: Vec::new(),
        database_specific: None,
    }))
}
