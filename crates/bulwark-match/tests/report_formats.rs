//! The SARIF, OpenVEX and CycloneDX VEX writers on a report built from the
//! GHSA sample records, with findings that are active, suppressed by VEX,
//! suppressed by an exception, and annotated by an `affected` statement.
//!
//! Each output is checked by an independent validator: Microsoft's SARIF
//! multitool with its GitHub rules, the OpenVEX v0.2.0 JSON schema, and the
//! CycloneDX 1.6 schema through `tests/validate_sbom.py`.

mod support;

use std::collections::BTreeSet;
use std::path::Path;

use bulwark_match::cvss::CvssVector;
use bulwark_match::policy::{Config, Date, apply_policy};
use bulwark_match::report::{write_cyclonedx, write_openvex, write_sarif};
use bulwark_match::vex::VexDocument;
use bulwark_match::{Finding, Report};
use serde_json::{Value, json};
use support::{ghsa_report, validate_cyclonedx, validate_openvex, validate_sarif};

/// Issue time of the VEX outputs: 2023-11-14T22:13:20Z.
const TIMESTAMP: i64 = 1_700_000_000;

/// An OpenVEX document: minimist is not affected (its vulnerable code is
/// not in the execute path), jackson-databind is affected.
fn input_vex() -> VexDocument {
    let document = json!({
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": "https://example.com/vex/shop-1.4",
        "author": "Shop team",
        "timestamp": "2024-05-01T10:00:00Z",
        "version": 1,
        "statements": [
            {
                "vulnerability": {"name": "GHSA-xvch-5gv4-984h"},
                "products": [{"@id": "pkg:npm/minimist"}],
                "status": "not_affected",
                "justification": "vulnerable_code_not_in_execute_path",
                "impact_statement": "minimist only parses our own build flags",
            },
            {
                "vulnerability": {"name": "CVE-2020-36518"},
                "products": [{"identifiers": {"purl": "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.9.10.3"}}],
                "status": "affected",
                "action_statement": "Limit request body nesting at the proxy",
            },
        ],
    });
    VexDocument::parse(
        document.to_string().as_bytes(),
        Path::new("shop.openvex.json"),
    )
    .expect("valid OpenVEX")
}

/// A configuration with one exception in force for lodash.
fn input_config() -> Config {
    let text = "\
exceptions:
  - vulnerability: GHSA-jf85-cpcp-j695
    package: lodash
    reason: templates are compiled at build time only
    owner: web-team
    expires: 2024-12-31
";
    Config::parse(text, Path::new(".bulwark.yaml")).expect("valid config")
}

fn policy_report() -> Report {
    let mut report = ghsa_report();
    let today = Date::parse("2024-06-01").expect("valid date");
    apply_policy(&mut report, &input_config(), &[input_vex()], today);
    report
}

fn finding<'a>(report: &'a Report, id: &str) -> &'a Finding {
    report
        .findings
        .iter()
        .chain(&report.suppressed)
        .find(|finding| finding.id == id)
        .unwrap_or_else(|| panic!("no finding {id}"))
}

fn parse(text: &str) -> Value {
    serde_json::from_str(text).expect("writer output is JSON")
}

#[test]
fn policy_report_has_every_state() {
    let report = policy_report();
    assert_eq!(report.findings.len(), 2);
    assert_eq!(report.suppressed.len(), 2);
    let minimist = finding(&report, "CVE-2021-44906");
    assert_eq!(
        minimist.suppressed.as_ref().map(|s| s.kind.as_str()),
        Some("vex")
    );
    let lodash = finding(&report, "CVE-2019-10744");
    assert_eq!(
        lodash.suppressed.as_ref().map(|s| s.kind.as_str()),
        Some("exception")
    );
    let jackson = finding(&report, "CVE-2020-36518");
    assert!(jackson.suppressed.is_none());
    assert_eq!(jackson.notes.len(), 1);
    assert_eq!(jackson.notes[0].code, "vex-affected");
    assert!(
        jackson.notes[0]
            .message
            .contains("Limit request body nesting")
    );
}

#[test]
fn sarif_passes_multitool() {
    let log = write_sarif(&policy_report());
    let problems = validate_sarif(&log);
    assert!(problems.is_empty(), "{}\n{log}", problems.join("\n"));
}

#[test]
fn sarif_rules_and_results() {
    let report = policy_report();
    let log = parse(&write_sarif(&report));
    let run = &log["runs"][0];
    assert_eq!(log["version"], "2.1.0");
    assert_eq!(run["tool"]["driver"]["name"], "Bulwark");

    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    let rule_ids: Vec<&str> = rules
        .iter()
        .map(|r| r["id"].as_str().expect("id"))
        .collect();
    let mut sorted = rule_ids.clone();
    sorted.sort_unstable();
    assert_eq!(rule_ids, sorted, "rules are sorted by id");
    assert_eq!(rule_ids.len(), 4);
    for rule in rules {
        let id = rule["id"].as_str().expect("id");
        let finding = finding(&report, id);
        // Every GHSA sample rates the same level as its CVSS score, so the
        // security severity is that score.
        let vector = &finding
            .severity
            .cvss
            .as_ref()
            .expect("a CVSS vector")
            .vector;
        let score = CvssVector::parse(vector).expect("a valid vector").score();
        assert_eq!(
            rule["properties"]["security-severity"],
            score.to_string(),
            "{id}"
        );
        assert_eq!(
            rule["shortDescription"]["text"],
            finding.title.clone().expect("a title"),
            "{id}"
        );
        assert!(
            rule["helpUri"].as_str().expect("helpUri").ends_with(id),
            "{id}"
        );
        let tags = rule["properties"]["tags"].as_array().expect("tags");
        assert!(tags.contains(&json!("security")), "{id}");
        assert!(
            tags.contains(&json!(finding.severity.level.as_str())),
            "{id}"
        );
    }

    let results = run["results"].as_array().expect("results");
    assert_eq!(
        results.len(),
        report.findings.len() + report.suppressed.len()
    );
    for (result, finding) in results
        .iter()
        .zip(report.findings.iter().chain(&report.suppressed))
    {
        assert_eq!(result["ruleId"], finding.id);
        let rule = &rules[result["ruleIndex"].as_u64().expect("ruleIndex") as usize];
        assert_eq!(rule["id"], finding.id);
        let uri = &result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"];
        assert_eq!(*uri, finding.package.locations[0]);
        assert_eq!(
            result["locations"][0]["physicalLocation"]["region"]["startLine"],
            1
        );
        let expected_level = match finding.severity.level.as_str() {
            "critical" | "high" => "error",
            "medium" => "warning",
            _ => "note",
        };
        assert_eq!(result["level"], expected_level, "{}", finding.id);
        assert_eq!(
            result.get("suppressions").is_some(),
            finding.suppressed.is_some(),
            "{}",
            finding.id
        );
    }
    let fingerprints: BTreeSet<&str> = results
        .iter()
        .map(|r| {
            r["partialFingerprints"]["bulwarkFinding/v1"]
                .as_str()
                .expect("fingerprint")
        })
        .collect();
    assert_eq!(
        fingerprints.len(),
        results.len(),
        "fingerprints are distinct"
    );
}

#[test]
fn sarif_fingerprint_tracks_identity() {
    let report = ghsa_report();
    let fingerprint = |report: &Report| {
        parse(&write_sarif(report))["runs"][0]["results"][0]["partialFingerprints"]
            ["bulwarkFinding/v1"]
            .clone()
    };
    let before = fingerprint(&report);

    let mut retitled = report.clone();
    retitled.findings[0].title = Some("Another summary".to_owned());
    retitled.findings[0].references.clear();
    assert_eq!(
        fingerprint(&retitled),
        before,
        "presentation changes keep it"
    );

    let mut upgraded = report.clone();
    upgraded.findings[0].package.version.push_str(".1");
    assert_ne!(fingerprint(&upgraded), before, "another version changes it");
}

#[test]
fn writers_are_deterministic() {
    let report = policy_report();
    assert_eq!(write_sarif(&report), write_sarif(&policy_report()));
    assert_eq!(
        write_openvex(&report, TIMESTAMP),
        write_openvex(&policy_report(), TIMESTAMP)
    );
    assert_eq!(
        write_cyclonedx(&report, TIMESTAMP),
        write_cyclonedx(&policy_report(), TIMESTAMP)
    );
}

#[test]
fn openvex_passes_schema() {
    let document = write_openvex(&policy_report(), TIMESTAMP);
    let (code, output) = validate_openvex(&document);
    assert_eq!(code, 0, "{output}\n{document}");
}

#[test]
fn openvex_states_each_finding() {
    let document = parse(&write_openvex(&policy_report(), TIMESTAMP));
    assert_eq!(document["timestamp"], "2023-11-14T22:13:20Z");
    let id = document["@id"].as_str().expect("@id");
    assert!(id.starts_with("urn:uuid:"), "{id}");
    let later = parse(&write_openvex(&policy_report(), TIMESTAMP + 1));
    assert_ne!(later["@id"], document["@id"], "@id follows the content");

    let statements = document["statements"].as_array().expect("statements");
    assert_eq!(statements.len(), 4);
    let statement = |name: &str| {
        statements
            .iter()
            .find(|s| s["vulnerability"]["name"] == name)
            .unwrap_or_else(|| panic!("no statement for {name}"))
    };
    let log4j = statement("CVE-2021-44228");
    assert_eq!(log4j["status"], "affected");
    assert_eq!(
        log4j["vulnerability"]["aliases"],
        json!(["GHSA-jfh8-c2jp-5v3q"])
    );
    assert!(
        log4j["action_statement"]
            .as_str()
            .expect("action")
            .contains("2.15.0"),
        "{log4j}"
    );
    assert_eq!(
        log4j["products"][0]["identifiers"]["purl"],
        "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"
    );

    let minimist = statement("CVE-2021-44906");
    assert_eq!(minimist["status"], "not_affected");
    assert_eq!(
        minimist["justification"],
        "vulnerable_code_not_in_execute_path"
    );
    assert_eq!(
        minimist["impact_statement"],
        "minimist only parses our own build flags"
    );

    let lodash = statement("CVE-2019-10744");
    assert_eq!(lodash["status"], "affected");
    let action = lodash["action_statement"].as_str().expect("action");
    assert!(action.contains("web-team"), "{action}");
    assert!(action.contains("2024-12-31"), "{action}");

    let jackson = statement("CVE-2020-36518");
    assert_eq!(jackson["status"], "affected");
    assert!(
        jackson["status_notes"]
            .as_str()
            .expect("notes")
            .contains("Limit request body nesting"),
        "{jackson}"
    );
}

#[test]
fn cyclonedx_passes_validator() {
    let document = write_cyclonedx(&policy_report(), TIMESTAMP);
    let (code, output) = validate_cyclonedx(&document);
    assert_eq!(code, 0, "{output}\n{document}");
}

#[test]
fn cyclonedx_rates_and_analyses() {
    let report = policy_report();
    let bom = parse(&write_cyclonedx(&report, TIMESTAMP));
    assert_eq!(bom["specVersion"], "1.6");
    assert_eq!(bom["metadata"]["timestamp"], "2023-11-14T22:13:20Z");
    let components: BTreeSet<&str> = bom["components"]
        .as_array()
        .expect("components")
        .iter()
        .map(|c| c["bom-ref"].as_str().expect("bom-ref"))
        .collect();
    let vulnerabilities = bom["vulnerabilities"].as_array().expect("vulnerabilities");
    assert_eq!(vulnerabilities.len(), 4);
    for vulnerability in vulnerabilities {
        let id = vulnerability["id"].as_str().expect("id");
        let finding = finding(&report, id);
        let reference = vulnerability["affects"][0]["ref"].as_str().expect("ref");
        assert!(components.contains(reference), "{id}: {reference}");
        let rating = &vulnerability["ratings"][0];
        let vector = &finding
            .severity
            .cvss
            .as_ref()
            .expect("a CVSS vector")
            .vector;
        assert_eq!(rating["vector"], *vector, "{id}");
        assert_eq!(rating["method"], "CVSSv31", "{id}");
        let score = CvssVector::parse(vector).expect("a valid vector").score();
        assert_eq!(rating["score"], json!(score.value()), "{id}");
        assert_eq!(rating["severity"], finding.severity.level.as_str(), "{id}");
        assert_eq!(
            vulnerability["references"][0]["id"], finding.aliases[0],
            "{id}"
        );
        let cwes: Vec<String> = vulnerability["cwes"]
            .as_array()
            .expect("cwes")
            .iter()
            .map(|cwe| format!("CWE-{cwe}"))
            .collect();
        assert!(!cwes.is_empty(), "{id}");
        assert_eq!(cwes, finding.cwes, "{id}");
    }
    let analysis = |id: &str| {
        vulnerabilities
            .iter()
            .find(|v| v["id"] == id)
            .map(|v| v["analysis"].clone())
            .expect("a vulnerability")
    };
    assert_eq!(analysis("CVE-2021-44906")["state"], "not_affected");
    assert_eq!(
        analysis("CVE-2021-44906")["justification"],
        "code_not_reachable"
    );
    assert_eq!(analysis("CVE-2020-36518")["state"], "exploitable");
    assert!(
        analysis("CVE-2019-10744")["detail"]
            .as_str()
            .expect("detail")
            .contains("web-team")
    );
    assert_eq!(analysis("CVE-2021-44228"), Value::Null);
}

/// Suppressions as (id, kind, status) of every finding.
fn suppressions(report: &Report) -> BTreeSet<(String, String, String)> {
    report
        .suppressed
        .iter()
        .map(|f| {
            let s = f.suppressed.as_ref().expect("suppressed");
            (
                f.id.clone(),
                s.kind.clone(),
                s.status.clone().unwrap_or_default(),
            )
        })
        .collect()
}

#[test]
fn vex_outputs_read_back() {
    let report = policy_report();
    let no_exceptions = Config::default();
    let today = Date::parse("2024-06-01").expect("valid date");
    for (name, text) in [
        ("out.openvex.json", write_openvex(&report, TIMESTAMP)),
        ("out.cdx.json", write_cyclonedx(&report, TIMESTAMP)),
    ] {
        let document =
            VexDocument::parse(text.as_bytes(), Path::new(name)).expect("own output parses");
        let mut again = ghsa_report();
        apply_policy(&mut again, &no_exceptions, &[document], today);
        let suppressed: BTreeSet<String> = suppressions(&again).into_iter().map(|s| s.0).collect();
        assert_eq!(
            suppressed,
            BTreeSet::from(["CVE-2021-44906".to_owned()]),
            "{name}: only the VEX suppression carries over, not the exception"
        );
        let jackson = finding(&again, "CVE-2020-36518");
        assert_eq!(jackson.notes.len(), 1, "{name}");
        assert_eq!(jackson.notes[0].code, "vex-affected", "{name}");
    }
}
