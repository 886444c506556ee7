//! Debian OVAL definitions, as the Debian security tracker generates them
//! per release (`oval-definitions-bookworm.xml`).
//!
//! Each `vulnerability` definition names one CVE and one source package;
//! each `patch` definition names one DSA. A package criterion reads
//! "`<package>` DPKG is earlier than `<version>`" and its state compares the
//! EVR with `less than`:
//!
//! - a real version is the first fixed version;
//! - `0:0` marks an issue that is still open in the release (tracker status
//!   `open` or `undetermined`). The generator writes `0` as the fixed
//!   version of every unresolved issue and leaves out the releases where
//!   the tracker's fixed version is `0` (not affected), so `0:0` means
//!   "affected, no fix", not "not affected".

use std::path::Path;

use bulwark_osv::{Advisory, Reference, Status};

use super::oval::{self, Constraint, Definition, Tables};
use super::{FeedConverter, FeedError, Record, RecordError};

/// Converts Debian OVAL files.
#[derive(Debug, Default, Clone, Copy)]
pub struct DebianOval;

impl FeedConverter for DebianOval {
    fn name(&self) -> &'static str {
        "debian-oval"
    }

    fn detect(&self, _path: &Path, head: &[u8]) -> bool {
        oval::is_oval_with(head, "<oval:product_name>Debian</oval:product_name>")
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

/// Converts one definition; returns `None` for definitions that are not
/// advisories.
fn convert_definition(
    definition: &Definition,
    tables: &Tables,
) -> Result<Option<Advisory>, RecordError> {
    let fail = |reason: String| RecordError::new(&definition.id, reason);
    if definition.class != "vulnerability" && definition.class != "patch" {
        return Ok(None);
    }
    let release = release(definition, tables).ok_or_else(|| {
        fail("no Debian release: the definition has no \"Debian GNU/Linux N\" platform".to_owned())
    })?;
    let ecosystem = format!("Debian:{release}");
    let cves = definition.ref_ids("CVE");
    let first_word = definition
        .title
        .split_whitespace()
        .next()
        .unwrap_or_default();
    let (id, aliases, upstream) =
        if first_word.starts_with("DSA-") || first_word.starts_with("DLA-") {
            (first_word.to_owned(), Vec::new(), cves)
        } else if first_word.starts_with("CVE-") || first_word.starts_with("TEMP-") {
            (
                format!("DEBIAN-{first_word}"),
                vec![first_word.to_owned()],
                Vec::new(),
            )
        } else {
            return Err(fail(format!(
                "title {:?} does not start with a CVE, DSA or DLA id",
                definition.title
            )));
        };

    let checks = oval::package_checks(definition, tables).map_err(fail)?;
    let mut affected = Vec::new();
    for check in &checks.packages {
        let (fixed, status) = match &check.constraint {
            Constraint::Before(evr) if evr == "0:0" || evr == "0" => (None, Status::Affected),
            Constraint::Before(evr) => (Some(oval::strip_zero_epoch(evr)), Status::Affected),
            Constraint::Installed => (None, Status::Affected),
            Constraint::NotInstalled => continue,
        };
        affected.push(oval::affected_entry(
            &ecosystem,
            &check.name,
            fixed,
            status,
            None,
        ));
    }
    if affected.is_empty() {
        return Err(fail(
            "no package criterion (\"DPKG is earlier than\")".to_owned(),
        ));
    }

    let mut references = Vec::new();
    for reference in &definition.references {
        if !reference.ref_url.is_empty() {
            references.push(Reference {
                kind: "ADVISORY".to_owned(),
                url: reference.ref_url.clone(),
            });
        }
    }
    let details = match definition.description.as_str() {
        "" => None,
        text => Some(text.to_owned()),
    };
    Ok(Some(Advisory {
        schema_version: Some("1.6.0".to_owned()),
        id,
        modified: String::new(),
        published: None,
        withdrawn: None,
        aliases,
        related: Vec::new(),
        upstream,
        summary: None,
        details,
        severity: Vec::new(),
        affected,
        references,
        credits: Vec::new(),
        database_specific: None,
    }))
}

/// Returns the Debian major release of a definition: from its platform
/// ("Debian GNU/Linux 12"), else from the release test it uses
/// ("Debian 12 is installed").
fn release(definition: &Definition, tables: &Tables) -> Option<String> {
    for platform in &definition.platforms {
        if let Some(number) = platform.strip_prefix("Debian GNU/Linux ") {
            let number = number.trim();
            if !number.is_empty() && number.chars().all(|c| c.is_ascii_digit()) {
                return Some(number.to_owned());
            }
        }
    }
    for leaf in definition.criteria_leaves() {
        if let oval::Node::Criterion { test_ref, .. } = leaf
            && let Some(test) = tables.tests.get(test_ref)
            && test.kind == "textfilecontent54_test"
            && let Some(state_ref) = test.field("state").and_then(|f| f.attr("state_ref"))
            && let Some(state) = tables.states.get(state_ref)
            && let Some(value) = state.field("subexpression")
        {
            let number = value.text.trim();
            if !number.is_empty() && number.chars().all(|c| c.is_ascii_digit()) {
                return Some(number.to_owned());
            }
        }
    }
    None
}
