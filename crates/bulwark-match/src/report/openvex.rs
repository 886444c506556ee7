//! OpenVEX v0.2.0 output: one statement per finding.
//!
//! Active findings are `affected`, with the upgrade as the action
//! statement. Findings that a VEX statement suppressed keep that
//! statement's status and justification. Findings that an exception
//! suppressed stay `affected`, because accepting a risk does not change
//! whether the package is affected, and the action statement names the
//! exception, its owner and its expiry.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use super::common::{action_statement, derived_urn_uuid, openvex_justification};
use crate::finding::{Finding, Report, Suppression};

/// Writes `report` as an OpenVEX document issued at `timestamp` (Unix
/// seconds; callers pass `SOURCE_DATE_EPOCH` or the database's newest modification time), with a
/// final newline. The `@id` is derived from the content, so equal reports
/// and timestamps give equal documents.
///
/// NOTE: the OpenVEX schema requires at least one statement, so the
/// document of a report without findings does not validate.
pub fn write_openvex(report: &Report, timestamp: i64) -> String {
    let mut seen = BTreeSet::new();
    let mut statements = Vec::new();
    for finding in report.findings.iter().chain(&report.suppressed) {
        let statement = statement(finding);
        let key = statement.to_string();
        if seen.insert(key) {
            statements.push(statement);
        }
    }

    let issued = bulwark_vulndb::time::format_rfc3339(timestamp);
    let content = Value::Array(statements.clone()).to_string();
    let id = derived_urn_uuid(&[&report.target.name, &issued, &content]);
    let document = json!({
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": id,
        "author": "Bulwark",
        "role": "Scanner",
        "timestamp": issued,
        "version": 1,
        "tooling": format!("Bulwark {}", env!("CARGO_PKG_VERSION")),
        "statements": statements,
    });
    let mut text = serde_json::to_string_pretty(&document).expect("OpenVEX always serializes");
    text.push('\n');
    text
}

/// Returns the purl of a finding's package, or a `pkg:generic` purl
/// built from its name and version when the inventory had none.
fn product_id(finding: &Finding) -> String {
    let package = &finding.package;
    if package.purl.is_empty() {
        let encode = |text: &str| {
            text.bytes()
                .map(|byte| {
                    if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
                        char::from(byte).to_string()
                    } else {
                        format!("%{byte:02X}")
                    }
                })
                .collect::<String>()
        };
        format!(
            "pkg:generic/{}@{}",
            encode(&package.name),
            encode(&package.version)
        )
    } else {
        package.purl.clone()
    }
}

fn statement(finding: &Finding) -> Value {
    let mut vulnerability = Map::new();
    vulnerability.insert("name".to_owned(), json!(finding.id));
    let aliases: BTreeSet<&str> = finding.aliases.iter().map(String::as_str).collect();
    if !aliases.is_empty() {
        vulnerability.insert("aliases".to_owned(), json!(aliases));
    }
    let purl = product_id(finding);
    let mut statement = Map::new();
    statement.insert("vulnerability".to_owned(), Value::Object(vulnerability));
    statement.insert(
        "products".to_owned(),
        json!([{"@id": purl, "identifiers": {"purl": purl}}]),
    );
    match &finding.suppressed {
        Some(suppression) if suppression.kind == "vex" => vex_status(suppression, &mut statement),
        Some(suppression) => {
            statement.insert("status".to_owned(), json!("affected"));
            statement.insert(
                "action_statement".to_owned(),
                json!(format!(
                    "Risk accepted by {} until {}: {}",
                    suppression.owner.as_deref().unwrap_or("an unnamed owner"),
                    suppression.expires.as_deref().unwrap_or("an unstated date"),
                    suppression.reason.as_deref().unwrap_or("no reason stated")
                )),
            );
            statement.insert(
                "status_notes".to_owned(),
                json!(format!("Suppressed by {}.", suppression.source)),
            );
        }
        None => {
            let status = if finding
                .notes
                .iter()
                .any(|note| note.code == crate::vex::NOTE_UNDER_INVESTIGATION)
            {
                "under_investigation"
            } else {
                "affected"
            };
            statement.insert("status".to_owned(), json!(status));
            if status == "affected" {
                statement.insert(
                    "action_statement".to_owned(),
                    json!(action_statement(finding)),
                );
            }
            let notes: Vec<&str> = finding.notes.iter().map(|n| n.message.as_str()).collect();
            if !notes.is_empty() {
                statement.insert("status_notes".to_owned(), json!(notes.join(" ")));
            }
        }
    }
    Value::Object(statement)
}

/// Fills status, justification and impact statement from the VEX
/// statement that suppressed a finding, in OpenVEX terms.
fn vex_status(suppression: &Suppression, statement: &mut Map<String, Value>) {
    let stated = suppression.status.as_deref().unwrap_or("not_affected");
    let status = match stated {
        "fixed" | "resolved" | "resolved_with_pedigree" => "fixed",
        _ => "not_affected",
    };
    statement.insert("status".to_owned(), json!(status));
    if status == "not_affected" {
        let justification = suppression
            .justification
            .as_deref()
            .and_then(openvex_justification);
        if let Some(justification) = justification {
            statement.insert("justification".to_owned(), json!(justification));
        }
        // not_affected needs a justification or an impact statement.
        let impact = match (stated, suppression.reason.as_deref()) {
            ("false_positive", Some(reason)) => Some(format!("False positive: {reason}")),
            ("false_positive", None) => Some("False positive.".to_owned()),
            (_, Some(reason)) if Some(reason) != suppression.justification.as_deref() => {
                Some(reason.to_owned())
            }
            _ if justification.is_none() => Some(format!("Stated in {}.", suppression.source)),
            _ => None,
        };
        if let Some(impact) = impact {
            statement.insert("impact_statement".to_owned(), json!(impact));
        }
    }
    statement.insert(
        "status_notes".to_owned(),
        json!(format!("Stated as {stated} in {}.", suppression.source)),
    );
}
