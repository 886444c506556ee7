//! Red Hat OVAL files (`rhel-8-including-unpatched.oval.xml`) and the
//! Rocky Linux files that share their layout, see [`super::rocky_oval`].
//!
//! Package criteria name binary RPMs, because RPM distributions publish
//! advisories against binary packages:
//!
//! - "`<rpm>` is earlier than `<evr>`" (a state with `evr` `less than`) is
//!   fixed in that EVR;
//! - "`<rpm>` is installed" (a test with no state) in an unpatched CVE
//!   definition is affected without a fix, or has the status its
//!   `advisory/affected/resolution` gives the component ("Will not fix",
//!   "Fix deferred", …);
//! - every package of an `oval:com.redhat.unaffected:` definition is not
//!   affected.
//!
//! The release comes from the release check ("Red Hat Enterprise Linux 8 is
//! installed", an `rpmverifyfile` state whose version pattern is `^8[^\d]`),
//! else from the advisory's CPEs. A sibling "Module nodejs:12 is enabled"
//! criterion is kept as `ecosystem_specific.module`.

use std::path::Path;

use bulwark_osv::{Advisory, Reference, Status};
use serde_json::{Map, Value};

use super::oval::{self, Constraint, Definition, Node, Tables};
use super::{FeedConverter, FeedError, Record, RecordError};

/// Converts Red Hat OVAL files.
#[derive(Debug, Default, Clone, Copy)]
pub struct RedHatOval;

impl FeedConverter for RedHatOval {
    fn name(&self) -> &'static str {
        "redhat-oval"
    }

    fn detect(&self, _path: &Path, head: &[u8]) -> bool {
        oval::is_oval_with(head, "Red Hat OVAL Patch Definition Merger")
    }

    fn convert(
        &self,
        path: &Path,
        data: &[u8],
        sink: &mut dyn FnMut(Result<Record, RecordError>),
    ) -> Result<(), FeedError> {
        oval::convert_file(path, data, sink, |definition, tables| {
            convert_definition(definition, tables, Distribution::RedHat)
        })
    }
}

/// The distribution an RPM OVAL file is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Distribution {
    RedHat,
    Rocky,
}

impl Distribution {
    fn ecosystem(self) -> &'static str {
        match self {
            Self::RedHat => "Red Hat",
            Self::Rocky => "Rocky Linux",
        }
    }
}

/// Converts one definition of a Red Hat or Rocky Linux OVAL file.
pub(crate) fn convert_definition(
    definition: &Definition,
    tables: &Tables,
    distribution: Distribution,
) -> Result<Option<Advisory>, RecordError> {
    let fail = |reason: String| RecordError::new(&definition.id, reason);
    if definition.class != "patch" && definition.class != "vulnerability" {
        return Ok(None);
    }
    let unaffected = definition.id.contains(".unaffected:");
    let title = definition
        .title
        .strip_prefix("Unaffected components for: ")
        .unwrap_or(&definition.title);
    let first_word = title
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .trim_end_matches(':');
    let cves = definition.ref_ids("CVE");
    let (id, aliases, upstream) = if first_word.starts_with("CVE-") {
        let prefix = match distribution {
            Distribution::RedHat => "REDHAT",
            Distribution::Rocky => "ROCKY",
        };
        (
            format!("{prefix}-{first_word}"),
            vec![first_word.to_owned()],
            Vec::new(),
        )
    } else if first_word.contains('-') && first_word.contains(':') {
        // RHSA-2020:0134, RHBA-2020:0784, RLSA-2022:4582.
        (first_word.to_owned(), Vec::new(), cves)
    } else {
        return Err(fail(format!(
            "title {:?} does not start with a CVE or advisory id",
            definition.title
        )));
    };
    let release = release(definition, tables).ok_or_else(|| {
        fail("no release: no release check and no CPE with a major version".to_owned())
    })?;
    let ecosystem = format!("{}:{release}", distribution.ecosystem());

    let checks = oval::package_checks(definition, tables).map_err(fail)?;
    let mut affected = Vec::new();
    for check in &checks.packages {
        let (fixed, status) = match (&check.constraint, unaffected) {
            (_, true) => (None, Status::NotAffected),
            (Constraint::Before(evr), false) => {
                (Some(oval::strip_zero_epoch(evr)), Status::Affected)
            }
            (Constraint::Installed, false) => (None, resolution_status(definition, &check.name)),
            (Constraint::NotInstalled, false) => continue,
        };
        let specific = check.module.as_ref().map(|module| {
            let mut map = Map::new();
            map.insert("module".to_owned(), Value::String(module.clone()));
            map
        });
        affected.push(oval::affected_entry(
            &ecosystem,
            &check.name,
            fixed,
            status,
            specific,
        ));
    }
    if affected.is_empty() {
        return Err(fail(
            "no package criterion (\"is earlier than\" or \"is installed\")".to_owned(),
        ));
    }

    let references = definition
        .references
        .iter()
        .filter(|reference| !reference.ref_url.is_empty())
        .map(|reference| Reference {
            kind: if reference.source == "CVE" {
                "REPORT"
            } else {
                "ADVISORY"
            }
            .to_owned(),
            url: reference.ref_url.clone(),
        })
        .collect();
    let mut database_specific = Map::new();
    if let Some(severity) = &definition.severity {
        database_specific.insert("severity".to_owned(), Value::String(severity.clone()));
    }
    if !definition.affected_cpes.is_empty() {
        let cpes = definition
            .affected_cpes
            .iter()
            .cloned()
            .map(Value::String)
            .collect();
        database_specific.insert("cpes".to_owned(), Value::Array(cpes));
    }
    Ok(Some(Advisory {
        schema_version: Some("1.6.0".to_owned()),
        id,
        modified: definition.updated.clone().unwrap_or_default(),
        published: definition.issued.clone(),
        withdrawn: None,
        aliases,
        related: Vec::new(),
        upstream,
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

/// Returns the status of an unpatched package from the definition's
/// resolutions, or [`Status::Affected`] when none names it.
fn resolution_status(definition: &Definition, package: &str) -> Status {
    let Some(resolution) = definition
        .resolutions
        .iter()
        .find(|resolution| resolution.components.iter().any(|c| c == package))
    else {
        return Status::Affected;
    };
    match resolution.state.to_ascii_lowercase().as_str() {
        "will not fix" | "out of support scope" => Status::WillNotFix,
        "fix deferred" => Status::FixDeferred,
        "under investigation" => Status::UnderInvestigation,
        "not affected" => Status::NotAffected,
        _ => Status::Affected,
    }
}

/// Returns the major release a definition applies to.
fn release(definition: &Definition, tables: &Tables) -> Option<String> {
    for leaf in definition.criteria_leaves() {
        let Node::Criterion {
            test_ref, comment, ..
        } = leaf
        else {
            continue;
        };
        let Some(test) = tables.tests.get(test_ref) else {
            continue;
        };
        if test.kind != "rpmverifyfile_test" || test.attr("check") == Some("none satisfy") {
            continue;
        }
        let from_state = test
            .field("state")
            .and_then(|field| field.attr("state_ref"))
            .and_then(|state_ref| tables.states.get(state_ref))
            .and_then(|state| state.field("version"))
            .and_then(|version| leading_number(version.text.trim_start_matches('^')));
        if let Some(number) = from_state.or_else(|| number_in_comment(comment)) {
            return Some(number);
        }
    }
    for cpe in definition
        .affected_cpes
        .iter()
        .chain(&definition.advisory_from)
    {
        if let Some(number) = cpe_release(cpe) {
            return Some(number);
        }
    }
    None
}

/// Returns the digits a string starts with.
fn leading_number(text: &str) -> Option<String> {
    let digits: String = text.chars().take_while(char::is_ascii_digit).collect();
    (!digits.is_empty()).then_some(digits)
}

/// Returns the number in "Red Hat Enterprise Linux 8 is installed" or
/// "Rocky Linux 9 must be installed".
fn number_in_comment(comment: &str) -> Option<String> {
    comment
        .split_whitespace()
        .find(|word| word.chars().all(|c| c.is_ascii_digit()))
        .map(str::to_owned)
}

/// Returns the major release of `cpe:/o:redhat:enterprise_linux:8`,
/// `cpe:/a:redhat:enterprise_linux:8::appstream` or `cpe:/o:rocky:rocky:9:GA`.
fn cpe_release(cpe: &str) -> Option<String> {
    let parts: Vec<&str> = cpe.split(':').collect();
    let product = parts.get(3)?;
    if *product != "enterprise_linux" && *product != "rocky" {
        return None;
    }
    leading_number(parts.get(4)?)
}

#[cfg(test)]
mod tests {
    use super::cpe_release;

    #[test]
    fn cpe_release_major_version() {
        assert_eq!(cpe_release("cpe:/o:rocky:rocky:9:GA").as_deref(), Some("9"));
        assert_eq!(
            cpe_release("cpe:/a:redhat:enterprise_linux:8::appstream").as_deref(),
            Some("8")
        );
        assert_eq!(cpe_release("cpe:/a:redhat:rhel_dotnet:3.1::el7"), None);
    }
}
