//! Exceptions from `.bulwark.yaml` applied to a report built from the GHSA
//! sample records.

mod support;

use std::path::Path;

use bulwark_match::Report;
use bulwark_match::policy::{Config, Date, apply_policy};
use bulwark_match::vex::VexDocument;
use serde_json::json;
use support::ghsa_report;

fn config(entries: &str) -> Config {
    Config::parse(
        &format!("exceptions:\n{entries}"),
        Path::new("ci/.bulwark.yaml"),
    )
    .expect("valid config")
}

fn date(text: &str) -> Date {
    Date::parse(text).expect("valid date")
}

/// Applies `config` on `today` and returns the ids of the suppressed
/// findings.
fn suppressed_ids(report: &mut Report, config: &Config, today: &str) -> Vec<String> {
    apply_policy(report, config, &[], date(today));
    let mut ids: Vec<String> = report.suppressed.iter().map(|f| f.id.clone()).collect();
    ids.sort();
    ids
}

/// Returns a config with one exception for log4j, with `extra` lines.
fn log4j_exception(extra: &str) -> Config {
    config(&format!(
        "  - vulnerability: CVE-2021-44228\n{extra}    reason: JNDI lookups are disabled\n    owner: platform-team\n    expires: 2024-06-30\n"
    ))
}

#[test]
fn exception_suppresses_by_id_or_alias() {
    for id in [
        "CVE-2021-44228",
        "GHSA-jfh8-c2jp-5v3q",
        "ghsa-jfh8-c2jp-5v3q",
    ] {
        let config = config(&format!(
            "  - vulnerability: {id}\n    reason: r\n    owner: o\n    expires: 2024-06-30\n"
        ));
        let mut report = ghsa_report();
        assert_eq!(
            suppressed_ids(&mut report, &config, "2024-06-01"),
            ["CVE-2021-44228"],
            "{id}"
        );
        assert_eq!(report.summary.suppressed, 1);
        assert_eq!(report.summary.total, 3);
    }
}

#[test]
fn suppression_records_the_exception() {
    let mut report = ghsa_report();
    suppressed_ids(&mut report, &log4j_exception(""), "2024-06-01");
    let suppression = report.suppressed[0].suppressed.clone().expect("suppressed");
    assert_eq!(suppression.kind, "exception");
    assert_eq!(
        suppression.source,
        "ci/.bulwark.yaml exceptions[0] (CVE-2021-44228)"
    );
    assert_eq!(
        suppression.reason.as_deref(),
        Some("JNDI lookups are disabled")
    );
    assert_eq!(suppression.owner.as_deref(), Some("platform-team"));
    assert_eq!(suppression.expires.as_deref(), Some("2024-06-30"));
}

#[test]
fn scopes_must_all_match() {
    let cases = [
        ("    package: org.apache.logging.log4j:log4j-core\n", true),
        ("    package: log4j-api\n", false),
        (
            "    purl: pkg:maven/org.apache.logging.log4j/log4j-core\n",
            true,
        ),
        (
            "    purl: pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1\n",
            true,
        ),
        (
            "    purl: pkg:maven/org.apache.logging.log4j/log4j-core@2.17.0\n",
            false,
        ),
        (
            "    purl: pkg:maven/org.apache.logging.log4j/log4j-core?type=pom\n",
            false,
        ),
        ("    path: app/lib/*.jar\n", true),
        ("    path: /app/**\n", true),
        ("    path: app/*.jar\n", false),
        ("    image: registry.example.com/shop:*\n", true),
        ("    image: registry.example.com/cart:*\n", false),
        ("    image: 'sha256:4f1a*'\n", true),
        (
            "    package: org.apache.logging.log4j:log4j-core\n    path: web/**\n",
            false,
        ),
    ];
    for (scope, expected) in cases {
        let mut report = ghsa_report();
        let ids = suppressed_ids(&mut report, &log4j_exception(scope), "2024-06-01");
        assert_eq!(!ids.is_empty(), expected, "{scope}");
    }
}

#[test]
fn image_scope_needs_an_image() {
    let mut report = ghsa_report();
    report.target.kind = "directory".to_owned();
    report.target.name = "registry.example.com/shop:1.4".to_owned();
    let config = log4j_exception("    image: registry.example.com/shop:*\n");
    assert!(suppressed_ids(&mut report, &config, "2024-06-01").is_empty());
}

#[test]
fn expiry_day_is_the_last_day() {
    let mut report = ghsa_report();
    let config = log4j_exception("");
    assert_eq!(
        suppressed_ids(&mut report, &config, "2024-06-30"),
        ["CVE-2021-44228"]
    );
    let mut report = ghsa_report();
    assert!(suppressed_ids(&mut report, &config, "2024-07-01").is_empty());
}

#[test]
fn expired_exception_leaves_a_note() {
    let mut report = ghsa_report();
    suppressed_ids(&mut report, &log4j_exception(""), "2025-01-01");
    assert_eq!(report.summary.total, 4);
    let log4j = report
        .findings
        .iter()
        .find(|f| f.id == "CVE-2021-44228")
        .expect("log4j stays active");
    assert_eq!(log4j.notes.len(), 1);
    assert_eq!(log4j.notes[0].code, "exception-expired");
    let message = &log4j.notes[0].message;
    assert!(message.contains("expired after 2024-06-30"), "{message}");
    assert!(message.contains("platform-team"), "{message}");
    assert!(message.contains("ci/.bulwark.yaml"), "{message}");
    let others = report.findings.iter().filter(|f| f.id != "CVE-2021-44228");
    assert!(others.into_iter().all(|f| f.notes.is_empty()));
}

#[test]
fn exception_in_force_beats_expired_one() {
    let config = config(
        "  - vulnerability: CVE-2021-44228\n    reason: old\n    owner: a\n    expires: 2023-01-01\n\
         \x20 - vulnerability: GHSA-jfh8-c2jp-5v3q\n    reason: renewed\n    owner: b\n    expires: 2025-01-01\n",
    );
    let mut report = ghsa_report();
    assert_eq!(
        suppressed_ids(&mut report, &config, "2024-06-01"),
        ["CVE-2021-44228"]
    );
    let finding = &report.suppressed[0];
    assert_eq!(
        finding.suppressed.as_ref().and_then(|s| s.owner.as_deref()),
        Some("b")
    );
    assert!(finding.notes.is_empty());
}

#[test]
fn rule_exception_skips_vulnerabilities() {
    let config =
        config("  - rule: CVE-2021-44228\n    reason: r\n    owner: o\n    expires: 2030-01-01\n");
    let mut report = ghsa_report();
    assert!(suppressed_ids(&mut report, &config, "2024-06-01").is_empty());
}

#[test]
fn vex_suppression_comes_first() {
    let document = json!({
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": "https://example.com/vex", "author": "a", "version": 1,
        "timestamp": "2024-01-01T00:00:00Z",
        "statements": [{
            "vulnerability": {"name": "CVE-2021-44228"},
            "products": [{"@id": "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"}],
            "status": "not_affected",
            "justification": "vulnerable_code_not_present",
        }],
    });
    let vex = VexDocument::parse(document.to_string().as_bytes(), Path::new("a.json"))
        .expect("valid OpenVEX");
    let mut report = ghsa_report();
    apply_policy(
        &mut report,
        &log4j_exception(""),
        &[vex],
        date("2024-06-01"),
    );
    let suppression = report.suppressed[0].suppressed.clone().expect("suppressed");
    assert_eq!(suppression.kind, "vex");
}

#[test]
fn reapplying_gives_the_same_report() {
    let config = log4j_exception("");
    let mut once = ghsa_report();
    apply_policy(&mut once, &config, &[], date("2025-01-01"));
    let mut twice = once.clone();
    apply_policy(&mut twice, &config, &[], date("2025-01-01"));
    assert_eq!(once, twice);
    // A later run with the exception in force moves the finding back.
    apply_policy(&mut twice, &config, &[], date("2024-01-01"));
    assert_eq!(twice.suppressed.len(), 1);
    assert!(
        twice.suppressed[0].notes.is_empty(),
        "the expiry note is gone"
    );
}
