//! SARIF 2.1.0 output for code-scanning dashboards such as GitHub code
//! scanning.
//!
//! Each vulnerability is a rule, and each finding is a result located at
//! the file that proves its package, so a dashboard groups findings by
//! vulnerability and links them to a file. Suppressed findings stay in the
//! log with a `suppressions` entry. Rules are sorted by id and results
//! follow the report's order, so equal reports give equal logs.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::common::{
    finding_fingerprint, help_uri, representative_score, severity_score, short_description,
};
use crate::finding::{Finding, Report, SeverityLevel};

/// `$schema` of the logs: the OASIS final SARIF 2.1.0 schema.
const SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// Writes `report` as a SARIF 2.1.0 log, pretty-printed, with a final
/// newline.
pub fn write_sarif(report: &Report) -> String {
    let findings: Vec<&Finding> = report.findings.iter().chain(&report.suppressed).collect();

    // One rule per vulnerability id, described by its first finding.
    let mut first_by_id: BTreeMap<&str, &Finding> = BTreeMap::new();
    for finding in &findings {
        first_by_id.entry(finding.id.as_str()).or_insert(finding);
    }
    let rule_index: BTreeMap<&str, usize> = first_by_id
        .keys()
        .enumerate()
        .map(|(index, id)| (*id, index))
        .collect();
    let rules: Vec<Value> = first_by_id.values().map(|finding| rule(finding)).collect();

    let results: Vec<Value> = findings
        .iter()
        .map(|finding| result(finding, rule_index[finding.id.as_str()], report))
        .collect();

    let log = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "Bulwark",
                    "version": env!("CARGO_PKG_VERSION"),
                    "semanticVersion": env!("CARGO_PKG_VERSION"),
                    "informationUri": env!("CARGO_PKG_REPOSITORY"),
                    "rules": rules,
                }
            },
            "results": results,
            "properties": {
                "target": report.target.name,
                "targetKind": report.target.kind,
            },
        }],
    });
    let mut text = serde_json::to_string_pretty(&log).expect("SARIF logs always serialize");
    text.push('\n');
    text
}

/// Returns the SARIF level of a severity: critical and high are errors,
/// medium a warning, low and unknown a note.
fn level(severity: SeverityLevel) -> &'static str {
    match severity {
        SeverityLevel::Critical | SeverityLevel::High => "error",
        SeverityLevel::Medium => "warning",
        SeverityLevel::Low | SeverityLevel::Unknown => "note",
    }
}

fn rule(finding: &Finding) -> Value {
    let severity = finding.severity.level;
    let description = short_description(finding);
    let mut full = description.clone();
    if !finding.aliases.is_empty() {
        full.push_str(&format!(" Also known as {}.", finding.aliases.join(", ")));
    }
    let uri = help_uri(&finding.id);
    let mut help = format!(
        "Vulnerability {}\nSeverity: {}\nPackage: {} {}\n",
        finding.id, severity, finding.package.name, finding.package.version
    );
    if !finding.fixed_versions.is_empty() {
        help.push_str(&format!(
            "Fixed in: {}\n",
            finding.fixed_versions.join(", ")
        ));
    }
    help.push_str(&format!("More information: {uri}\n"));
    let mut markdown = format!(
        "**Vulnerability [{}]({uri})**\n\n| Severity | Package | Fixed in |\n| --- | --- | --- |\n| {} | {} | {} |\n",
        finding.id,
        severity,
        finding.package.name,
        if finding.fixed_versions.is_empty() {
            "no fix yet".to_owned()
        } else {
            finding.fixed_versions.join(", ")
        }
    );
    for reference in &finding.references {
        markdown.push_str(&format!("\n- <{reference}>"));
    }

    let mut properties = json!({
        "tags": ["security", "vulnerability", severity.as_str(), finding.package.kind],
        "precision": "very-high",
    });
    if let Some(score) = representative_score(finding) {
        properties["security-severity"] = Value::String(format!("{score:.1}"));
    }
    json!({
        "id": finding.id,
        "name": "VulnerablePackage",
        "shortDescription": {"text": description},
        "fullDescription": {"text": full},
        "defaultConfiguration": {"level": level(severity)},
        "helpUri": uri,
        "help": {"text": help, "markdown": markdown},
        "properties": properties,
    })
}

fn result(finding: &Finding, rule_index: usize, report: &Report) -> Value {
    let package = &finding.package;
    let mut message = format!(
        "Package {} {} is affected by {} (severity {}).",
        package.name, package.version, finding.id, finding.severity.level
    );
    if finding.fixed_versions.is_empty() {
        message.push_str(&format!(" Status: {}.", finding.status));
    } else {
        message.push_str(&format!(" Fixed in {}.", finding.fixed_versions.join(", ")));
    }
    for note in &finding.notes {
        message.push_str(&format!(" Note: {}.", note.message.trim_end_matches('.')));
    }

    let location = package
        .locations
        .first()
        .map_or_else(|| report.target.name.as_str(), String::as_str);
    let mut result = json!({
        "ruleId": finding.id,
        "ruleIndex": rule_index,
        "level": level(finding.severity.level),
        "message": {"text": message},
        "locations": [{
            "physicalLocation": {
                "artifactLocation": {"uri": relative_uri(location)},
                "region": {"startLine": 1},
            },
            "message": {"text": format!("{} {}", package.name, package.version)},
        }],
        "partialFingerprints": {
            "bulwarkFinding/v1": finding_fingerprint(finding),
        },
        "properties": {
            "package": package.name,
            "installedVersion": package.version,
            "purl": package.purl,
            "status": finding.status.as_str(),
        },
    });
    if let Some(score) = severity_score(finding) {
        result["properties"]["cvssScore"] = json!(score);
    }
    if let Some(layer) = &package.layer {
        result["properties"]["layer"] = json!(layer.index);
    }
    if let Some(suppression) = &finding.suppressed {
        let justification = [
            suppression.status.as_deref(),
            suppression.justification.as_deref(),
            suppression.reason.as_deref(),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(": ");
        result["suppressions"] = json!([{
            "kind": "external",
            "status": "accepted",
            "justification": format!("{} ({}): {justification}", suppression.kind, suppression.source),
        }]);
    }
    result
}

/// Returns `path` as a relative URI reference: without a leading `/`, with
/// characters outside the URI path set percent-encoded.
fn relative_uri(path: &str) -> String {
    let mut uri = String::with_capacity(path.len());
    for byte in path.trim_start_matches('/').bytes() {
        let allowed = byte.is_ascii_alphanumeric()
            || matches!(
                byte,
                b'/' | b'-'
                    | b'.'
                    | b'_'
                    | b'~'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b'@'
            );
        if allowed {
            uri.push(char::from(byte));
        } else {
            uri.push_str(&format!("%{byte:02X}"));
        }
    }
    if uri.is_empty() {
        uri.push('.');
    }
    uri
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_uri_encodes() {
        assert_eq!(
            relative_uri("/lib/apk/db/installed"),
            "lib/apk/db/installed"
        );
        assert_eq!(relative_uri("app/my file.jar"), "app/my%20file.jar");
        assert_eq!(relative_uri("a:b#c?d%"), "a%3Ab%23c%3Fd%25");
        assert_eq!(relative_uri("é"), "%C3%A9");
        assert_eq!(relative_uri("/"), ".");
    }
}
