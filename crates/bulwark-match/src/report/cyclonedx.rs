//! CycloneDX 1.6 JSON output with a `vulnerabilities` section (VEX).
//!
//! Every affected package is a component, referenced by its inventory id.
//! Each finding is one vulnerability entry, so that a suppression or a
//! note applies to exactly one package: its ratings (severity and CVSS),
//! the affected component and version, and for suppressed or annotated
//! findings an `analysis`.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::common::{
    action_statement, cvss_data, cyclonedx_justification, derived_urn_uuid, help_uri,
    short_description,
};
use crate::finding::{Finding, Report, SeverityLevel};

/// Writes `report` as a CycloneDX 1.6 BOM with vulnerabilities, issued at
/// `timestamp` (Unix seconds; callers pass `SOURCE_DATE_EPOCH` or the database's newest modification
/// time), with a final newline. The serial number is derived from the
/// content, so equal reports and timestamps give equal documents.
pub fn write_cyclonedx(report: &Report, timestamp: i64) -> String {
    let findings: Vec<&Finding> = report.findings.iter().chain(&report.suppressed).collect();

    let mut components: BTreeMap<&str, Value> = BTreeMap::new();
    for finding in &findings {
        let package = &finding.package;
        components.entry(package.id.as_str()).or_insert_with(|| {
            let mut component = json!({
                "type": "library",
                "bom-ref": package.id,
                "name": package.name,
                "version": package.version,
            });
            if !package.purl.is_empty() {
                component["purl"] = json!(package.purl);
            }
            component
        });
    }
    let components: Vec<Value> = components.into_values().collect();
    let vulnerabilities: Vec<Value> = findings.iter().map(|f| vulnerability(f)).collect();

    let issued = bulwark_vulndb::time::format_rfc3339(timestamp);
    let content = json!([components, vulnerabilities]).to_string();
    let serial = derived_urn_uuid(&[&report.target.name, &issued, &content]);
    let target_type = match report.target.kind.as_str() {
        "image" => "container",
        _ => "application",
    };
    let bom = json!({
        "$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": serial,
        "version": 1,
        "metadata": {
            "timestamp": issued,
            "tools": {
                "components": [{
                    "type": "application",
                    "name": "bulwark",
                    "version": env!("CARGO_PKG_VERSION"),
                }],
            },
            "component": {
                "type": target_type,
                "bom-ref": "bulwark:target",
                "name": report.target.name,
            },
        },
        "components": components,
        "vulnerabilities": vulnerabilities,
    });
    let mut text = serde_json::to_string_pretty(&bom).expect("CycloneDX always serializes");
    text.push('\n');
    text
}

/// Returns the CycloneDX rating method of a CVSS version.
fn cvss_method(version: &str) -> &'static str {
    match version {
        "2.0" => "CVSSv2",
        "3.0" => "CVSSv3",
        "3.1" => "CVSSv31",
        "4.0" => "CVSSv4",
        _ => "other",
    }
}

fn severity_name(level: SeverityLevel) -> &'static str {
    match level {
        SeverityLevel::Unknown => "unknown",
        other => other.as_str(),
    }
}

fn vulnerability(finding: &Finding) -> Value {
    let package = &finding.package;
    let mut rating = Map::new();
    if !finding.severity.source.is_empty() {
        rating.insert(
            "source".to_owned(),
            json!({"name": finding.severity.source}),
        );
    }
    if let Some(cvss) = cvss_data(finding) {
        if let Some(score) = cvss.score {
            rating.insert("score".to_owned(), json!(score));
        }
        rating.insert("method".to_owned(), json!(cvss_method(&cvss.version)));
        rating.insert("vector".to_owned(), json!(cvss.vector));
    }
    rating.insert(
        "severity".to_owned(),
        json!(severity_name(finding.severity.level)),
    );

    let mut entry = json!({
        "bom-ref": format!("{}:{}", finding.id, package.id),
        "id": finding.id,
        "source": {"url": help_uri(&finding.id)},
        "ratings": [Value::Object(rating)],
        "description": short_description(finding),
        "recommendation": action_statement(finding),
        "affects": [{
            "ref": package.id,
            "versions": [{"version": package.version, "status": "affected"}],
        }],
    });
    let cwes: Vec<u32> = finding
        .cwes
        .iter()
        .filter_map(|id| id.strip_prefix("CWE-")?.parse().ok())
        .collect();
    if !cwes.is_empty() {
        entry["cwes"] = json!(cwes);
    }
    if !finding.aliases.is_empty() {
        entry["references"] = finding
            .aliases
            .iter()
            .map(|alias| json!({"id": alias, "source": {"url": help_uri(alias)}}))
            .collect();
    }
    let advisories: Vec<Value> = finding
        .references
        .iter()
        .filter(|url| url.starts_with("https://") || url.starts_with("http://"))
        .map(|url| json!({"url": url}))
        .collect();
    if !advisories.is_empty() {
        entry["advisories"] = Value::Array(advisories);
    }
    if let Some(analysis) = analysis(finding) {
        entry["analysis"] = analysis;
    }
    entry
}

/// Returns the analysis of a suppressed finding, or of an active one that
/// a VEX statement declared affected or under investigation.
fn analysis(finding: &Finding) -> Option<Value> {
    let mut analysis = Map::new();
    match &finding.suppressed {
        Some(suppression) if suppression.kind == "vex" => {
            let state = match suppression.status.as_deref() {
                Some("fixed" | "resolved") => "resolved",
                Some("resolved_with_pedigree") => "resolved_with_pedigree",
                Some("false_positive") => "false_positive",
                _ => "not_affected",
            };
            analysis.insert("state".to_owned(), json!(state));
            if let Some(justification) = suppression
                .justification
                .as_deref()
                .and_then(cyclonedx_justification)
            {
                analysis.insert("justification".to_owned(), json!(justification));
            }
            let stated = suppression.status.as_deref().unwrap_or(state);
            let detail = match suppression.reason.as_deref() {
                Some(reason) => format!("{reason} (stated as {stated} in {})", suppression.source),
                None => format!("Stated as {stated} in {}.", suppression.source),
            };
            analysis.insert("detail".to_owned(), json!(detail));
        }
        Some(suppression) => {
            // CycloneDX has no state for an accepted risk: the analysis
            // carries the exception in its detail.
            analysis.insert(
                "detail".to_owned(),
                json!(format!(
                    "Risk accepted by {} until {} ({}): {}",
                    suppression.owner.as_deref().unwrap_or("an unnamed owner"),
                    suppression.expires.as_deref().unwrap_or("an unstated date"),
                    suppression.source,
                    suppression.reason.as_deref().unwrap_or("no reason stated")
                )),
            );
        }
        None => {
            let code = |code: &str| finding.notes.iter().any(|note| note.code == code);
            let state = if code(crate::vex::NOTE_UNDER_INVESTIGATION) {
                "in_triage"
            } else if code(crate::vex::NOTE_AFFECTED) {
                "exploitable"
            } else if finding.notes.is_empty() {
                return None;
            } else {
                ""
            };
            if !state.is_empty() {
                analysis.insert("state".to_owned(), json!(state));
            }
            let notes: Vec<&str> = finding.notes.iter().map(|n| n.message.as_str()).collect();
            analysis.insert("detail".to_owned(), json!(notes.join(" ")));
        }
    }
    Some(Value::Object(analysis))
}
