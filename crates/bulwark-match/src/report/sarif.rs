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
use crate::finding::{Finding, Report, SeverityLevel, Suppression};
use crate::rule_finding::{RuleFinding, RuleKind};

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
    let mut rules: Vec<Value> = first_by_id.values().map(|finding| rule(finding)).collect();

    let mut results: Vec<Value> = findings
        .iter()
        .map(|finding| result(finding, rule_index[finding.id.as_str()], report))
        .collect();

    // Secret and misconfiguration rules follow the vulnerabilities, sorted
    // by id, and their results follow the report's order.
    let rule_findings: Vec<&RuleFinding> = report
        .rule_findings
        .iter()
        .chain(&report.rule_suppressed)
        .collect();
    let mut first_by_rule: BTreeMap<&str, &RuleFinding> = BTreeMap::new();
    for finding in &rule_findings {
        first_by_rule
            .entry(finding.rule_id.as_str())
            .or_insert(finding);
    }
    let offset = rules.len();
    let rule_finding_index: BTreeMap<&str, usize> = first_by_rule
        .keys()
        .enumerate()
        .map(|(index, id)| (*id, offset + index))
        .collect();
    rules.extend(first_by_rule.values().map(|finding| scanner_rule(finding)));
    results.extend(
        rule_findings
            .iter()
            .map(|finding| scanner_result(finding, rule_finding_index[finding.rule_id.as_str()])),
    );

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
        result["suppressions"] = suppressions(suppression);
    }
    result
}

/// Returns the `suppressions` array of a suppressed result. Exceptions and
/// VEX statements live outside the scanned file (`external`); inline
/// ignore comments live in it (`inSource`).
fn suppressions(suppression: &Suppression) -> Value {
    let justification = [
        suppression.status.as_deref(),
        suppression.justification.as_deref(),
        suppression.reason.as_deref(),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(": ");
    let kind = if suppression.kind == "inline" {
        "inSource"
    } else {
        "external"
    };
    json!([{
        "kind": kind,
        "status": "accepted",
        "justification": format!("{} ({}): {justification}", suppression.kind, suppression.source),
    }])
}

fn scanner_rule(finding: &RuleFinding) -> Value {
    let kind_tag = match finding.kind {
        RuleKind::Secret => "secret",
        RuleKind::Misconfig => "misconfiguration",
    };
    // SARIF wants a rule name different from its id: the id in
    // PascalCase, without the kind prefix.
    let name: String = finding
        .rule_id
        .split('-')
        .skip(1)
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect();
    json!({
        "id": finding.rule_id,
        "name": name,
        "shortDescription": {"text": finding.title},
        "fullDescription": {"text": finding.title},
        "defaultConfiguration": {"level": level(finding.severity)},
        "help": {
            "text": format!("{}\nSeverity: {}\nMore information: bulwark rules explain {}\n",
                finding.title, finding.severity, finding.rule_id),
        },
        "properties": {
            "tags": ["security", kind_tag, finding.severity.as_str()],
            "precision": "high",
            "security-severity": severity_band(finding.severity),
        },
    })
}

/// Returns a `security-severity` score that puts a rule in the dashboard
/// band of its severity (GitHub: 9.0 and up critical, 7.0 high, 4.0
/// medium, below that low).
fn severity_band(severity: SeverityLevel) -> &'static str {
    match severity {
        SeverityLevel::Critical => "9.5",
        SeverityLevel::High => "8.0",
        SeverityLevel::Medium => "5.5",
        SeverityLevel::Low => "2.0",
        SeverityLevel::Unknown => "0.0",
    }
}

fn scanner_result(finding: &RuleFinding, rule_index: usize) -> Value {
    let mut region = json!({"startLine": finding.line.unwrap_or(1)});
    if let Some(column) = finding.column {
        region["startColumn"] = json!(column);
    }
    if let Some(snippet) = &finding.snippet {
        region["snippet"] = json!({"text": snippet});
    }
    let mut message = finding.message.clone();
    if let Some(layer) = &finding.layer {
        message.push_str(&format!(" (image layer {}", layer.index));
        if finding.removed_in_later_layer {
            message.push_str(", removed by a later layer but still shipped in the image");
        }
        message.push(')');
    }
    let mut result = json!({
        "ruleId": finding.rule_id,
        "ruleIndex": rule_index,
        "level": level(finding.severity),
        "message": {"text": message},
        "locations": [{
            "physicalLocation": {
                "artifactLocation": {"uri": relative_uri(&finding.path)},
                "region": region,
            },
        }],
        "properties": {
            "kind": finding.kind.as_str(),
        },
    });
    if let Some(fingerprint) = &finding.fingerprint {
        result["partialFingerprints"] = json!({"bulwarkRule/v1": fingerprint});
    }
    if let Some(resource) = &finding.resource {
        result["properties"]["resource"] = json!(resource);
    }
    if let Some(layer) = &finding.layer {
        result["properties"]["layer"] = json!(layer.index);
        if let Some(diff_id) = &layer.diff_id {
            result["properties"]["layerDiffId"] = json!(diff_id);
        }
        result["properties"]["removedInLaterLayer"] = json!(finding.removed_in_later_layer);
    }
    if let Some(suppression) = &finding.suppressed {
        result["suppressions"] = suppressions(suppression);
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
