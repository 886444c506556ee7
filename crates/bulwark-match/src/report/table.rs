//! The human-readable scan table.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::finding::{Finding, FixStatus, Report, Summary};
use crate::matcher::upgrade_target;
use crate::rule_finding::{RuleFinding, RuleKind};

const HEADERS: [&str; 7] = [
    "PACKAGE",
    "INSTALLED",
    "UPGRADE TO",
    "VULNERABILITY",
    "SEVERITY",
    "FIX",
    "EXPLOIT",
];

/// Writes the report as a table: a header with the target and OS, one
/// block of rows per package (the package with the most urgent finding
/// first), the summary counts, then notes and errors. Control characters
/// from the target are escaped so a crafted package name cannot drive the
/// terminal.
pub fn write_table(report: &Report) -> String {
    let mut out = String::new();
    let target = &report.target;
    let _ = writeln!(
        out,
        "{} ({})",
        escape_controls(&target.name),
        escape_controls(&target.kind)
    );
    if let Some(os) = &report.os {
        let ecosystem = os.ecosystem.as_deref().unwrap_or("no advisories");
        let _ = writeln!(
            out,
            "OS: {} {} ({})",
            escape_controls(&os.family),
            escape_controls(&os.version),
            escape_controls(ecosystem)
        );
    }
    // A configuration scan has no packages, and a scan without the
    // vulnerability scanner matched none, so neither has a vulnerability
    // part.
    let has_packages = target.kind != "config" && report.ran_vulnerability_scan();
    if has_packages {
        let _ = writeln!(
            out,
            "Packages: {}; advisory feeds: {}",
            report.packages,
            report.database.len()
        );
    }

    let rows = rows(&report.findings);
    if !rows.is_empty() {
        let mut widths = HEADERS.map(str::len);
        for row in &rows {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }
        out.push('\n');
        push_row(&mut out, &HEADERS.map(str::to_owned), &widths);
        for row in &rows {
            push_row(&mut out, row, &widths);
        }
    }
    if has_packages {
        out.push('\n');
        out.push_str(&summary_line(&report.summary));
        out.push('\n');
    }
    push_rule_findings(&mut out, report);
    push_policy_lines(&mut out, report);
    for note in &report.notes {
        let _ = writeln!(out, "note: {}", escape_controls(&note.message));
    }
    for error in &report.errors {
        let _ = writeln!(out, "error: {}", escape_controls(error));
    }
    out
}

const RULE_HEADERS: [&str; 5] = ["RULE", "SEVERITY", "LOCATION", "LAYER", "DETAIL"];

/// Writes the secret and misconfiguration findings, one table per kind,
/// then their summary line.
fn push_rule_findings(out: &mut String, report: &Report) {
    let Some(summary) = &report.rule_summary else {
        return;
    };
    for (kind, heading) in [
        (RuleKind::Secret, "Secrets"),
        (RuleKind::Misconfig, "Misconfigurations"),
    ] {
        let rows: Vec<[String; 5]> = report
            .rule_findings
            .iter()
            .filter(|finding| finding.kind == kind)
            .map(rule_row)
            .collect();
        if rows.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n{heading}:");
        let has_layers = report
            .rule_findings
            .iter()
            .any(|finding| finding.kind == kind && finding.layer.is_some());
        if has_layers {
            push_table(out, RULE_HEADERS, &rows);
        } else {
            // Directories and configuration files have no layers.
            let [rule, severity, location, _, detail] = RULE_HEADERS;
            let rows: Vec<[String; 4]> = rows
                .into_iter()
                .map(|[rule, severity, location, _, detail]| [rule, severity, location, detail])
                .collect();
            push_table(out, [rule, severity, location, detail], &rows);
        }
    }
    // Name only the kinds whose scanner ran; reports without the list of
    // scanners name both.
    let ran = |name: &str| report.scanners.is_empty() || report.scanners.iter().any(|s| s == name);
    let plural = |count: usize, noun: &str| {
        if count == 1 {
            format!("{count} {noun}")
        } else {
            format!("{count} {noun}s")
        }
    };
    let mut kinds = Vec::new();
    if ran("secret") {
        kinds.push(plural(summary.secrets, "secret"));
    }
    if ran("misconfig") {
        kinds.push(plural(summary.misconfigurations, "misconfiguration"));
    }
    let mut line = format!(
        "\nTotal: {} (critical: {}, high: {}, medium: {}, low: {}, unknown: {})",
        kinds.join(", "),
        summary.critical,
        summary.high,
        summary.medium,
        summary.low,
        summary.unknown,
    );
    if summary.suppressed > 0 {
        let _ = write!(line, ", {} suppressed", summary.suppressed);
    }
    out.push_str(&line);
    out.push('\n');
}

/// Writes a header and rows, each column as wide as its widest cell.
fn push_table<const N: usize>(out: &mut String, headers: [&str; N], rows: &[[String; N]]) {
    let mut widths = headers.map(str::len);
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    push_row(out, &headers.map(str::to_owned), &widths);
    for row in rows {
        push_row(out, row, &widths);
    }
}

fn rule_row(finding: &RuleFinding) -> [String; 5] {
    let layer = match &finding.layer {
        Some(layer) if finding.removed_in_later_layer => {
            format!("{} (removed later)", layer.index)
        }
        Some(layer) => layer.index.to_string(),
        None => "-".to_owned(),
    };
    let detail = match &finding.snippet {
        Some(snippet) if finding.kind == RuleKind::Secret => snippet.trim().to_owned(),
        _ => finding.message.clone(),
    };
    [
        finding.rule_id.clone(),
        finding.severity.as_str().to_owned(),
        finding.location(),
        layer,
        detail,
    ]
    .map(|cell| escape_controls(&cell))
}

/// Writes the notes that policy left on active findings (an expired
/// exception, a VEX statement), then one line per suppressed finding with
/// what suppressed it.
fn push_policy_lines(out: &mut String, report: &Report) {
    for finding in &report.findings {
        for note in &finding.notes {
            let _ = writeln!(
                out,
                "note: {} in {} {}: {}",
                escape_controls(&finding.id),
                escape_controls(&finding.package.name),
                escape_controls(&finding.package.version),
                escape_controls(&note.message)
            );
        }
    }
    for finding in &report.rule_findings {
        for note in &finding.notes {
            let _ = writeln!(
                out,
                "note: {} at {}: {}",
                escape_controls(&finding.rule_id),
                escape_controls(&finding.location()),
                escape_controls(&note.message)
            );
        }
    }
    let vulnerabilities = report.suppressed.iter().filter_map(|finding| {
        let suppression = finding.suppressed.as_ref()?;
        let subject = format!(
            "{} in {} {}",
            finding.id, finding.package.name, finding.package.version
        );
        Some((subject, suppression))
    });
    let rules = report.rule_suppressed.iter().filter_map(|finding| {
        let suppression = finding.suppressed.as_ref()?;
        Some((
            format!("{} at {}", finding.rule_id, finding.location()),
            suppression,
        ))
    });
    for (subject, suppression) in vulnerabilities.chain(rules) {
        let mut line = format!(
            "suppressed: {subject} by {} {}",
            suppression.kind, suppression.source
        );
        if let Some(status) = &suppression.status {
            let _ = write!(line, " ({status})");
        }
        if let Some(owner) = &suppression.owner {
            let _ = write!(line, ", owner {owner}");
        }
        if let Some(expires) = &suppression.expires {
            let _ = write!(line, ", expires {expires}");
        }
        if let Some(reason) = &suppression.reason {
            let _ = write!(line, ": {reason}");
        }
        let _ = writeln!(out, "{}", escape_controls(&line));
    }
}

/// Returns the summary line: totals by severity, fixable, known exploited.
fn summary_line(summary: &Summary) -> String {
    let noun = if summary.total == 1 {
        "vulnerability"
    } else {
        "vulnerabilities"
    };
    let mut line = format!(
        "Total: {} {noun} (critical: {}, high: {}, medium: {}, low: {}, unknown: {}); {} with a fix, {} known exploited",
        summary.total,
        summary.critical,
        summary.high,
        summary.medium,
        summary.low,
        summary.unknown,
        summary.fixable,
        summary.known_exploited,
    );
    if summary.suppressed > 0 {
        let _ = write!(line, ", {} suppressed", summary.suppressed);
    }
    line
}

/// Builds the rows: findings grouped by package in the order of each
/// package's most urgent finding, which the report order already gives.
fn rows(findings: &[Finding]) -> Vec<[String; 7]> {
    let mut order: Vec<&str> = Vec::new();
    let mut by_package: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for finding in findings {
        let key = finding.package.id.as_str();
        if !by_package.contains_key(key) {
            order.push(key);
        }
        by_package.entry(key).or_default().push(finding);
    }
    // A package name found in several files (a requirements.txt and a
    // poetry.lock of one project) gets its file next to it, so the rows
    // can be told apart.
    let spelling = |name: &str| name.to_ascii_lowercase().replace(['_', '.'], "-");
    let mut name_counts: BTreeMap<String, usize> = BTreeMap::new();
    for group in by_package.values() {
        *name_counts
            .entry(spelling(&group[0].package.name))
            .or_default() += 1;
    }
    let mut rows = Vec::new();
    for key in order {
        let group = &by_package[key];
        let upgrade = upgrade_target(group.iter().copied()).unwrap_or_else(|| "-".to_owned());
        for (index, finding) in group.iter().enumerate() {
            let package = &finding.package;
            let (name, installed, upgrade) = if index == 0 {
                let repeated = name_counts
                    .get(&spelling(&package.name))
                    .is_some_and(|count| *count > 1);
                let name = match package.locations.first() {
                    Some(location) if repeated => format!("{} ({location})", package.name),
                    _ => package.name.clone(),
                };
                (name, package.version.clone(), upgrade.clone())
            } else {
                (String::new(), String::new(), String::new())
            };
            rows.push(
                [
                    name,
                    installed,
                    upgrade,
                    finding.id.clone(),
                    finding.severity.level.as_str().to_owned(),
                    fix_cell(finding),
                    exploit_cell(finding),
                ]
                .map(|cell| escape_controls(&cell)),
            );
        }
    }
    rows
}

fn fix_cell(finding: &Finding) -> String {
    match finding.status {
        FixStatus::Fixed => finding.fixed_versions.join(", "),
        FixStatus::Affected => "no fix yet".to_owned(),
        FixStatus::WillNotFix => "will not fix".to_owned(),
        FixStatus::FixDeferred => "fix deferred".to_owned(),
        FixStatus::UnderInvestigation => "under investigation".to_owned(),
        FixStatus::NotAffected => "not affected".to_owned(),
    }
}

fn exploit_cell(finding: &Finding) -> String {
    let mut parts = Vec::new();
    if finding.kev.is_some() {
        parts.push("KEV".to_owned());
    }
    if let Some(epss) = &finding.epss {
        parts.push(format!("EPSS {:.1}%", epss.score * 100.0));
    }
    if parts.is_empty() {
        "-".to_owned()
    } else {
        parts.join(" ")
    }
}

fn push_row<const N: usize>(out: &mut String, row: &[String; N], widths: &[usize; N]) {
    let mut line = String::new();
    for (index, (cell, width)) in row.iter().zip(widths).enumerate() {
        if index + 1 == row.len() {
            line.push_str(cell);
        } else {
            let _ = write!(line, "{cell:<width$}  ");
        }
    }
    out.push_str(line.trim_end());
    out.push('\n');
}

/// Replaces control characters with `\u{..}` escapes.
fn escape_controls(text: &str) -> String {
    if !text.chars().any(char::is_control) {
        return text.to_owned();
    }
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}
