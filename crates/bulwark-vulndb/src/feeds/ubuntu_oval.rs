//! Ubuntu USN OVAL files (`com.ubuntu.noble.usn.oval.xml`), one per
//! release.
//!
//! Each `patch` definition is one Ubuntu Security Notice. Its package
//! criteria compare binary packages, named through constant variables, with
//! `less than` the fixed version. The release comes from the inventory
//! definition every notice extends ("Ubuntu 24.04 LTS (noble) is
//! installed."), and LTS releases get OSV's `Ubuntu:24.04:LTS` spelling.
//!
//! The feed names binary packages, not source packages, so `affected`
//! entries are per binary package and say so in `ecosystem_specific`.

use std::path::Path;

use bulwark_osv::{Advisory, Reference, Status};
use serde_json::{Map, Value};

use super::oval::{self, Constraint, Definition, Node, Tables};
use super::{FeedConverter, FeedError, Record, RecordError};

/// Converts Ubuntu USN OVAL files.
#[derive(Debug, Default, Clone, Copy)]
pub struct UbuntuOval;

impl FeedConverter for UbuntuOval {
    fn name(&self) -> &'static str {
        "ubuntu-oval"
    }

    fn detect(&self, _path: &Path, head: &[u8]) -> bool {
        oval::is_oval_with(head, "Canonical USN OVAL Generator")
    }

    fn convert(
        &self,
        path: &Path,
        data: &[u8],
        sink: &mut dyn FnMut(Result<Record, RecordError>),
    ) -> Result<(), FeedError> {
        oval::convert_file(path, data, sink, convert_definition)
    }
}

fn convert_definition(
    definition: &Definition,
    tables: &Tables,
) -> Result<Option<Advisory>, RecordError> {
    let fail = |reason: String| RecordError::new(&definition.id, reason);
    if definition.class != "patch" && definition.class != "vulnerability" {
        return Ok(None);
    }
    let id = definition
        .title
        .split_whitespace()
        .next()
        .filter(|word| word.starts_with("USN-") || word.starts_with("LSN-"))
        .ok_or_else(|| {
            fail(format!(
                "title {:?} does not start with a USN id",
                definition.title
            ))
        })?
        .to_owned();
    let release = release(definition).ok_or_else(|| {
        fail("no Ubuntu release: no \"Ubuntu NN.NN (name) is installed\" criterion".to_owned())
    })?;
    let ecosystem = format!("Ubuntu:{release}");

    let checks = oval::package_checks(definition, tables).map_err(fail)?;
    let mut affected = Vec::new();
    for check in &checks.packages {
        let fixed = match &check.constraint {
            Constraint::Before(evr) => Some(oval::strip_zero_epoch(evr)),
            Constraint::Installed => None,
            Constraint::NotInstalled => continue,
        };
        let mut specific = Map::new();
        specific.insert("binary".to_owned(), Value::Bool(true));
        affected.push(oval::affected_entry(
            &ecosystem,
            &check.name,
            fixed,
            Status::Affected,
            Some(specific),
        ));
    }
    if affected.is_empty() {
        // TODO: Kernel notices (LSN, and USNs for linux-image-*) check the
        // running kernel with variable_test and uname patterns, which have
        // no package name to convert.
        return Err(fail(format!(
            "{}: no package criterion, only {}",
            definition.title,
            checks.skipped_kinds.join(", ")
        )));
    }

    let references = definition
        .references
        .iter()
        .filter(|reference| !reference.ref_url.is_empty())
        .map(|reference| Reference {
            kind: if reference.source == "USN" {
                "ADVISORY"
            } else {
                "REPORT"
            }
            .to_owned(),
            url: reference.ref_url.clone(),
        })
        .collect();
    let mut database_specific = Map::new();
    if let Some(severity) = &definition.severity {
        database_specific.insert("severity".to_owned(), Value::String(severity.clone()));
    }
    Ok(Some(Advisory {
        schema_version: Some("1.6.0".to_owned()),
        id,
        modified: String::new(),
        published: definition.issued.clone(),
        withdrawn: None,
        aliases: Vec::new(),
        related: Vec::new(),
        upstream: definition.ref_ids("CVE"),
        summary: Some(definition.title.clone()),
        details: (!definition.description.is_empty()).then(|| definition.description.clone()),
        severity: Vec::new(),
        affected,
        references,
        credits: Vec::new(),
        database_specific: (!database_specific.is_empty())
            .then_some(Value::Object(database_specific)),
    }))
}

/// Returns the release part of the ecosystem (`24.04:LTS`, `23.04`) from the
/// comment of the release check a definition extends.
fn release(definition: &Definition) -> Option<String> {
    definition
        .criteria_leaves()
        .into_iter()
        .find_map(|leaf| match leaf {
            Node::Extend { comment, .. } => parse_release(comment),
            _ => None,
        })
}

/// Parses "Ubuntu 24.04 LTS (noble) is installed." into `24.04:LTS`.
fn parse_release(comment: &str) -> Option<String> {
    let rest = comment.strip_prefix("Ubuntu ")?;
    let mut words = rest.split_whitespace();
    let version = words.next()?;
    let valid = version.split('.').count() == 2
        && version
            .split('.')
            .all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_digit()));
    if !valid {
        return None;
    }
    if words.next() == Some("LTS") {
        Some(format!("{version}:LTS"))
    } else {
        Some(version.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::parse_release;

    #[test]
    fn release_comment_parsing() {
        assert_eq!(
            parse_release("Ubuntu 24.04 LTS (noble) is installed.").as_deref(),
            Some("24.04:LTS")
        );
        assert_eq!(
            parse_release("Ubuntu 23.04 (lunar) is installed.").as_deref(),
            Some("23.04")
        );
        assert_eq!(parse_release("Debian 12 is installed"), None);
    }
}
