//! VEX input: real OpenVEX documents from Ubuntu, Chainguard and Trivy's
//! fixtures, CycloneDX VEX documents, and malformed documents.

mod support;

use std::path::Path;

use bulwark_match::policy::{Config, Date, apply_policy};
use bulwark_match::vex::{VexDocument, VexFormat, VexStatus};
use bulwark_match::{Finding, Report, TargetInfo};
use serde_json::{Value, json};
use support::{corpus, ghsa_finding, tar_members};

const VUNNEL: &str = "anchore-vunnel-fixtures/test-fixtures.tar.gz";
const UBUNTU_VEX: &str =
    "tests/unit/providers/ubuntu/test-fixtures/vex/cve/2023/CVE-2023-38545.json";
const CHAINGUARD_VEX: &str =
    "tests/unit/providers/chainguard_libraries/test-fixtures/input/openvex/";
const TRIVY_VEX: &str = "trivy/integration/testdata/fixtures/vex/file/openvex.json";

/// Returns the corpus members under `prefix` of an archive, parsed as VEX
/// documents, with their JSON.
fn corpus_vex(archive: &str, prefix: &str) -> Vec<(VexDocument, Value)> {
    let members = tar_members(&corpus().join(archive), |path| {
        path.contains(prefix) && (path.ends_with(".openvex.json") || path.ends_with(prefix))
    });
    assert!(!members.is_empty(), "no {prefix} in {archive}");
    members
        .into_iter()
        .map(|(path, data)| {
            let document = VexDocument::parse(&data, Path::new(&path))
                .unwrap_or_else(|e| panic!("{path}: {e}"));
            let json: Value = serde_json::from_slice(&data).expect("JSON");
            (document, json)
        })
        .collect()
}

/// Returns a finding of `id` on the package `purl`: a GHSA sample finding
/// with the package fields replaced.
fn finding_on(id: &str, aliases: &[&str], purl: &str) -> Finding {
    let mut finding = ghsa_finding("GHSA-xvch-5gv4-984h");
    finding.id = id.to_owned();
    finding.aliases = aliases.iter().map(|a| (*a).to_owned()).collect();
    let parsed = bulwark_match::purl::parse(purl).expect("a valid purl");
    finding.package.name = parsed.name.clone();
    finding.package.version = parsed.version.clone().unwrap_or_default();
    finding.package.id = purl.to_owned();
    finding.package.purl = purl.to_owned();
    finding
}

fn report_of(findings: Vec<Finding>) -> Report {
    let mut report = Report::new(TargetInfo {
        name: "registry.example.com/app:2".to_owned(),
        kind: "image".to_owned(),
        digest: Some("sha256:aaaa".to_owned()),
        repo_tags: vec!["registry.example.com/app:2".to_owned()],
        architecture: None,
    });
    report.findings = findings;
    report.settle_suppressions();
    report
}

fn apply(report: &mut Report, documents: &[VexDocument]) {
    let today = Date::parse("2025-01-01").expect("valid date");
    apply_policy(report, &Config::default(), documents, today);
}

fn find<'a>(report: &'a Report, purl: &str) -> &'a Finding {
    report
        .findings
        .iter()
        .chain(&report.suppressed)
        .find(|f| f.package.purl == purl)
        .unwrap_or_else(|| panic!("no finding on {purl}"))
}

#[test]
fn chainguard_statements_read_as_written() {
    let documents = corpus_vex(VUNNEL, CHAINGUARD_VEX);
    assert_eq!(documents.len(), 3);
    for (document, json) in &documents {
        assert_eq!(document.format, VexFormat::OpenVex);
        let statements = json["statements"].as_array().expect("statements");
        assert_eq!(document.statements.len(), statements.len());
        for (statement, raw) in document.statements.iter().zip(statements) {
            assert_eq!(statement.vulnerability, raw["vulnerability"]["name"]);
            assert_eq!(statement.stated_status, raw["status"]);
            let aliases: Vec<&str> = raw["vulnerability"]["aliases"]
                .as_array()
                .expect("aliases")
                .iter()
                .map(|a| a.as_str().expect("alias"))
                .collect();
            for alias in aliases {
                assert!(statement.aliases.iter().any(|a| a == alias), "{alias}");
            }
            assert_eq!(
                statement.products.len(),
                raw["products"].as_array().expect("products").len()
            );
        }
    }
}

#[test]
fn chainguard_fixed_suppresses_stated_versions() {
    let documents: Vec<VexDocument> = corpus_vex(VUNNEL, CHAINGUARD_VEX)
        .into_iter()
        .map(|(d, _)| d)
        .collect();
    let mut findings = Vec::new();
    let mut expected_suppressed = Vec::new();
    for document in &documents {
        for statement in &document.statements {
            // Each CVE alias of the statement on each stated product
            // version is suppressed; the same package at another version
            // is not.
            let cve = statement
                .aliases
                .iter()
                .find(|a| a.starts_with("CVE-"))
                .expect("a CVE alias");
            for product in &statement.products {
                let p = &product.purl;
                let ns = if p.namespace.is_empty() {
                    String::new()
                } else {
                    format!("{}/", p.namespace)
                };
                let version = p.version.clone().expect("versioned product");
                let purl = format!(
                    "pkg:{}/{ns}{}@{}",
                    p.ty,
                    p.name,
                    version.replace('+', "%2B")
                );
                findings.push(finding_on(cve, &[], &purl));
                expected_suppressed.push(purl);
            }
            let p = &statement.products[0].purl;
            let ns = if p.namespace.is_empty() {
                String::new()
            } else {
                format!("{}/", p.namespace)
            };
            findings.push(finding_on(
                cve,
                &[],
                &format!("pkg:{}/{ns}{}@0.0.1", p.ty, p.name),
            ));
        }
    }
    let mut report = report_of(findings);
    apply(&mut report, &documents);
    let suppressed: Vec<&str> = report
        .suppressed
        .iter()
        .map(|f| f.package.purl.as_str())
        .collect();
    assert_eq!(
        suppressed.len(),
        expected_suppressed.len(),
        "{suppressed:?}"
    );
    for purl in &expected_suppressed {
        assert!(suppressed.contains(&purl.as_str()), "{purl} not suppressed");
        let suppression = find(&report, purl).suppressed.clone().expect("suppressed");
        assert_eq!(suppression.kind, "vex");
        assert_eq!(suppression.status.as_deref(), Some("fixed"));
    }
    assert_eq!(report.findings.len(), 3, "the unlisted versions stay");
}

#[test]
fn ubuntu_statuses_apply_per_product() {
    let (document, json) = corpus_vex(VUNNEL, UBUNTU_VEX).remove(0);
    let statements = json["statements"].as_array().expect("statements");
    assert_eq!(document.statements.len(), statements.len());

    // For each statement, its first binary package product, with the
    // distro qualifier written the way inventories write it.
    let mut findings = Vec::new();
    let mut expectations = Vec::new();
    for raw in statements {
        let product = raw["products"]
            .as_array()
            .expect("products")
            .iter()
            .map(|p| p["@id"].as_str().expect("@id"))
            .find(|id| !id.contains("arch=source"))
            .expect("a binary package");
        let purl = product
            .split('&')
            .map(|part| {
                if part.starts_with("distro=") {
                    "distro=ubuntu"
                } else {
                    part
                }
            })
            .collect::<Vec<_>>()
            .join("&");
        findings.push(finding_on(
            raw["vulnerability"]["name"].as_str().expect("name"),
            &[],
            &purl,
        ));
        expectations.push((
            purl,
            raw["status"].as_str().expect("status").to_owned(),
            raw.clone(),
        ));
    }
    let mut report = report_of(findings);
    apply(&mut report, &[document]);

    for (purl, status, raw) in &expectations {
        let finding = find(&report, purl);
        match status.as_str() {
            "not_affected" | "fixed" => {
                let suppression = finding
                    .suppressed
                    .as_ref()
                    .unwrap_or_else(|| panic!("{purl}"));
                assert_eq!(
                    suppression.status.as_deref(),
                    Some(status.as_str()),
                    "{purl}"
                );
                assert_eq!(
                    suppression.justification.as_deref(),
                    raw["justification"].as_str(),
                    "{purl}"
                );
            }
            _ => {
                assert!(finding.suppressed.is_none(), "{purl}");
                assert_eq!(finding.notes.len(), 1, "{purl}");
                assert!(finding.notes[0].message.contains(status.as_str()), "{purl}");
            }
        }
    }
    let statuses: Vec<&str> = expectations.iter().map(|e| e.1.as_str()).collect();
    for status in ["fixed", "affected", "not_affected"] {
        assert!(
            statuses.contains(&status),
            "the document has a {status} statement"
        );
    }
}

#[test]
fn trivy_subcomponent_statement_suppresses() {
    let (document, _) = corpus_vex("trivy/integration-testdata.tar.gz", TRIVY_VEX).remove(0);
    let statement = &document.statements[0];
    assert_eq!(statement.vulnerability, "CVE-2022-23628", "read from `@id`");
    assert_eq!(statement.status, VexStatus::NotAffected);
    let sub = "pkg:golang/github.com/open-policy-agent/opa@v0.35.0";
    let other = "pkg:golang/github.com/open-policy-agent/opa@v0.36.0";
    let mut report = report_of(vec![
        finding_on("CVE-2022-23628", &[], sub),
        finding_on("CVE-2022-23628", &[], other),
    ]);
    apply(&mut report, &[document]);
    let suppression = find(&report, sub).suppressed.clone().expect("suppressed");
    assert_eq!(
        suppression.justification.as_deref(),
        Some("vulnerable_code_not_in_execute_path")
    );
    assert_eq!(
        suppression.reason.as_deref(),
        Some("The vulnerable code isn't called")
    );
    assert!(find(&report, other).suppressed.is_none());
}

fn openvex(statements: Value) -> VexDocument {
    let document = json!({
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": "https://example.com/vex",
        "author": "tests",
        "timestamp": "2024-01-01T00:00:00Z",
        "version": 1,
        "statements": statements,
    });
    VexDocument::parse(
        document.to_string().as_bytes(),
        Path::new("test.openvex.json"),
    )
    .expect("valid OpenVEX")
}

#[test]
fn image_product_needs_matching_digest() {
    let package = "pkg:npm/minimist@1.2.0";
    let statement = |digest: &str| {
        openvex(json!([{
            "vulnerability": {"name": "CVE-2021-44906"},
            "products": [{
                "@id": format!("pkg:oci/app@{}", digest.replace(':', "%3A")),
                "subcomponents": [{"@id": "pkg:npm/minimist"}],
            }],
            "status": "not_affected",
            "justification": "vulnerable_code_not_present",
        }]))
    };
    let mut report = report_of(vec![finding_on("CVE-2021-44906", &[], package)]);
    apply(&mut report, &[statement("sha256:bbbb")]);
    assert!(report.suppressed.is_empty(), "another image's statement");
    apply(&mut report, &[statement("sha256:aaaa")]);
    assert_eq!(report.suppressed.len(), 1, "the scanned image's statement");
}

#[test]
fn latest_statement_wins() {
    let package = "pkg:npm/minimist@1.2.0";
    let at = |time: &str, status: &str| {
        json!({
            "vulnerability": {"name": "CVE-2021-44906"},
            "timestamp": time,
            "products": [{"@id": package}],
            "status": status,
            "justification": "vulnerable_code_not_present",
            "action_statement": "upgrade",
        })
    };
    // The affected statement is newer although it comes first.
    let documents = [openvex(json!([
        at("2024-03-01T00:00:00Z", "affected"),
        at("2024-02-01T00:00:00Z", "not_affected"),
    ]))];
    let mut report = report_of(vec![finding_on("CVE-2021-44906", &[], package)]);
    apply(&mut report, &documents);
    assert!(report.suppressed.is_empty());
    assert_eq!(report.findings[0].notes[0].code, "vex-affected");
    // Without timestamps the later statement in the input wins.
    let undated = |status: &str| {
        let mut statement = at("2024-01-01T00:00:00Z", status);
        statement
            .as_object_mut()
            .expect("object")
            .remove("timestamp");
        statement
    };
    let mut document = json!({
        "@context": "https://openvex.dev/ns/v0.2.0", "@id": "x", "author": "a", "version": 1,
        "statements": [undated("affected"), undated("not_affected")],
    });
    let parsed = VexDocument::parse(document.to_string().as_bytes(), Path::new("undated.json"))
        .expect("valid OpenVEX");
    apply(&mut report, &[parsed]);
    assert_eq!(report.suppressed.len(), 1);
    document["statements"] = json!([undated("not_affected"), undated("affected")]);
    let parsed = VexDocument::parse(document.to_string().as_bytes(), Path::new("undated.json"))
        .expect("valid OpenVEX");
    apply(&mut report, &[parsed]);
    assert!(report.suppressed.is_empty());
}

#[test]
fn cyclonedx_states_map() {
    let document = json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
        "version": 1,
        "components": [{
            "type": "application", "bom-ref": "app", "name": "app",
            "components": [
                {"type": "library", "bom-ref": "lib-minimist", "name": "minimist", "purl": "pkg:npm/minimist@1.2.0"},
                {"type": "library", "bom-ref": "lib-lodash", "name": "lodash", "purl": "pkg:npm/lodash@4.17.11"},
            ],
        }],
        "vulnerabilities": [
            {
                "id": "CVE-2021-44906",
                "analysis": {"state": "not_affected", "justification": "code_not_reachable", "detail": "flags are ours"},
                "affects": [{"ref": "urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1#lib-minimist"}],
            },
            {
                "id": "GHSA-jf85-cpcp-j695",
                "analysis": {"state": "in_triage"},
                "affects": [{"ref": "lib-lodash"}],
            },
            {
                "id": "CVE-2021-44228",
                "analysis": {"state": "false_positive"},
                "affects": [{"ref": "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"}],
            },
            {
                "id": "CVE-2020-36518",
                "analysis": {"state": "resolved", "response": ["update"]},
                "affects": [{"ref": "no-such-component"}],
            },
            {"id": "CVE-2000-0001", "affects": [{"ref": "lib-lodash"}]},
        ],
    });
    let parsed = VexDocument::parse(document.to_string().as_bytes(), Path::new("app.cdx.json"))
        .expect("valid CycloneDX VEX");
    assert_eq!(parsed.format, VexFormat::CycloneDx);
    assert_eq!(
        parsed.statements.len(),
        4,
        "the entry without analysis is no statement"
    );
    let mut report = support::ghsa_report();
    apply(&mut report, &[parsed]);

    let minimist = find(&report, "pkg:npm/minimist@1.2.0");
    let suppression = minimist
        .suppressed
        .as_ref()
        .expect("not_affected suppresses");
    assert_eq!(
        suppression.justification.as_deref(),
        Some("code_not_reachable")
    );
    assert_eq!(suppression.reason.as_deref(), Some("flags are ours"));
    assert!(
        suppression
            .source
            .ends_with("app.cdx.json vulnerabilities[0]"),
        "{}",
        suppression.source
    );

    let lodash = find(&report, "pkg:npm/lodash@4.17.11");
    assert!(lodash.suppressed.is_none(), "in_triage keeps the finding");
    assert_eq!(lodash.notes[0].code, "vex-under-investigation");

    let log4j = find(
        &report,
        "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
    );
    assert_eq!(
        log4j.suppressed.as_ref().and_then(|s| s.status.as_deref()),
        Some("false_positive")
    );
    let jackson = find(
        &report,
        "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.9.10.3",
    );
    assert!(
        jackson.suppressed.is_none(),
        "an unresolved reference applies to nothing"
    );
}

#[test]
fn malformed_documents_name_file_and_place() {
    let cases: [(&str, &str); 8] = [
        ("{", "not valid JSON"),
        ("{\"hello\": 1}", "neither OpenVEX"),
        (
            r#"{"@context": "https://openvex.dev/ns/v0.2.0"}"#,
            "missing `statements`",
        ),
        (
            r#"{"@context": "https://openvex.dev/ns/v0.2.0", "statements": [{"status": "fixed"}]}"#,
            "statements[0]: missing `vulnerability`",
        ),
        (
            r#"{"@context": "https://openvex.dev/ns/v0.2.0", "statements": [{"vulnerability": {"name": "CVE-1"}, "status": "maybe"}]}"#,
            "statements[0]: unknown status \"maybe\"",
        ),
        (
            r#"{"@context": "https://openvex.dev/ns/v0.2.0", "timestamp": "yesterday", "statements": []}"#,
            "`timestamp` \"yesterday\" is not an RFC 3339 date-time",
        ),
        (
            r#"{"bomFormat": "CycloneDX", "specVersion": "1.6"}"#,
            "missing `vulnerabilities`",
        ),
        (
            r#"{"bomFormat": "CycloneDX", "vulnerabilities": [{"id": "CVE-1", "analysis": {"state": "fine"}}]}"#,
            "vulnerabilities[0] (CVE-1): unknown `analysis.state` \"fine\"",
        ),
    ];
    for (text, expected) in cases {
        let error = VexDocument::parse(text.as_bytes(), Path::new("dir/input.vex.json"))
            .expect_err("malformed document");
        let message = error.to_string();
        assert!(
            message.starts_with("invalid VEX document dir/input.vex.json: "),
            "{message}"
        );
        assert!(message.contains(expected), "{message}");
    }
    let missing = VexDocument::load(Path::new("/nonexistent/doc.json")).expect_err("missing file");
    assert!(
        missing
            .to_string()
            .contains("/nonexistent/doc.json: failed to read it"),
        "{missing}"
    );
}
