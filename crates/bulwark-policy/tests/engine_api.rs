//! The library API around the checks: user policy directories, load errors,
//! inline ignores, image configs and `run_tests`.

mod common;

use std::fs;
use std::path::PathBuf;

use bulwark_iac::FileKind;
use bulwark_policy::{PolicyError, PolicySet, TestOutcome, run_tests};
use serde_json::{Value, json};

const USER_CHECK: &str = r#"# METADATA
# title: "Deployment without a team label"
# description: "Every Deployment must name its owning team."
# custom:
#   id: user-team-label
#   severity: MEDIUM
#   input: [kubernetes]
#   remediation: "Add metadata.labels.team."
#   references: ["https://example.invalid/policies"]
package user.team_label

import rego.v1

deny contains result if {
	input.kind == "Deployment"
	not input.metadata.labels.team
	result := {"msg": sprintf("Deployment '%s' has no team label", [input.metadata.name]), "path": ["metadata"]}
}
"#;

/// Reads a real Deployment: the kubernetes/examples guestbook frontend.
fn guestbook_frontend() -> Option<String> {
    let path = common::corpus(
        "config/realworld/k8s-manifests/kubernetes-examples/web/guestbook/frontend-deployment.yaml",
    )?;
    Some(fs::read_to_string(path).unwrap())
}

#[test]
fn user_check_fires() {
    let Some(manifest) = guestbook_frontend() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("team_label.rego"), USER_CHECK).unwrap();
    fs::write(
        dir.path().join("team_label_test.rego"),
        "package user.team_label_test\n",
    )
    .unwrap();

    let set = PolicySet::with_user_dirs(&[dir.path().to_path_buf()]).unwrap();
    assert!(set.load_errors().is_empty(), "{:?}", set.load_errors());
    let info = set
        .check("user-team-label")
        .expect("user check in catalogue");
    assert_eq!(info.severity.as_str(), "MEDIUM");

    let parsed = common::parse(FileKind::Kubernetes, "frontend-deployment.yaml", &manifest);
    let result = set.evaluate(&parsed);
    let hits: Vec<_> = result
        .findings
        .iter()
        .filter(|f| f.rule_id == "user-team-label")
        .collect();
    assert_eq!(hits.len(), 1, "{:?}", result.findings);
    assert_eq!(hits[0].message, "Deployment 'frontend' has no team label");
    assert!(hits[0].line > 0, "path should map to a line");
    // The built-in checks still run next to the user check.
    assert!(
        result
            .findings
            .iter()
            .any(|f| f.rule_id == "misconfig-k8s-run-as-non-root")
    );
}

#[test]
fn user_check_syntax_error_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let broken = USER_CHECK.replace(
        "\tinput.kind == \"Deployment\"\n",
        "\tinput.kind == \"Deployment\" +\n",
    );
    fs::write(dir.path().join("broken.rego"), broken).unwrap();

    let set = PolicySet::with_user_dirs(&[dir.path().to_path_buf()]).unwrap();
    assert_eq!(set.load_errors().len(), 1, "{:?}", set.load_errors());
    let error = &set.load_errors()[0];
    let expected_prefix = format!("{}:", dir.path().join("broken.rego").display());
    assert!(error.starts_with(&expected_prefix), "{error}");
    let line: u32 = error[expected_prefix.len()..]
        .split(':')
        .next()
        .unwrap()
        .parse()
        .unwrap_or_else(|_| panic!("no line number in {error}"));
    assert!((16..=19).contains(&line), "{error}");
    assert!(set.check("user-team-label").is_none());
    assert!(set.check("misconfig-k8s-privileged").is_some());
}

#[test]
fn user_check_without_severity_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("nosev.rego"),
        USER_CHECK.replace("#   severity: MEDIUM\n", ""),
    )
    .unwrap();
    let err = PolicySet::with_user_dirs(&[dir.path().to_path_buf()]).unwrap_err();
    assert!(matches!(err, PolicyError::InvalidCheck(_)), "{err}");
    let text = err.to_string();
    assert!(text.contains("nosev.rego"), "{text}");
    assert!(text.contains("custom.severity"), "{text}");
}

#[test]
fn user_check_runtime_error_does_not_abort() {
    let Some(manifest) = guestbook_frontend() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    // Two complete definitions with different values conflict at run time,
    // but only for Deployments, so the empty input used at load passes.
    let conflicting = USER_CHECK.replace(
        "deny contains result if {",
        "value := 1 if input.kind == \"Deployment\"\n\nvalue := 2 if input.kind == \"Deployment\"\n\ndeny contains result if {\n\tvalue > 0",
    );
    fs::write(dir.path().join("conflict.rego"), conflicting).unwrap();
    let set = PolicySet::with_user_dirs(&[dir.path().to_path_buf()]).unwrap();
    let parsed = common::parse(FileKind::Kubernetes, "frontend-deployment.yaml", &manifest);
    let result = set.evaluate(&parsed);
    assert_eq!(result.errors.len(), 1, "{:?}", result.errors);
    assert!(
        result.errors[0].contains("conflict.rego"),
        "{}",
        result.errors[0]
    );
    assert!(
        result
            .findings
            .iter()
            .any(|f| f.rule_id == "misconfig-k8s-run-as-non-root")
    );
}

#[test]
fn inline_ignore_suppresses_finding() {
    let Some(root) = common::corpus("config/trivy-checks/checks/docker/port22.yaml") else {
        return;
    };
    let doc: Value = yaml_serde::from_str(&fs::read_to_string(root).unwrap()).unwrap();
    let bad = doc["dockerfile"]["bad"][0].as_str().unwrap();
    let expose_line = bad.lines().position(|l| l.starts_with("EXPOSE")).unwrap();

    let mut with_reason: Vec<&str> = bad.lines().collect();
    with_reason.insert(
        expose_line,
        "# bulwark:ignore misconfig-dockerfile-expose-ssh reason=\"bastion image\" owner=ops expires=2030-01-01",
    );
    let parsed = common::parse(FileKind::Dockerfile, "Dockerfile", &with_reason.join("\n"));
    let result = common::policies().evaluate(&parsed);
    let finding = result
        .findings
        .iter()
        .find(|f| f.rule_id == "misconfig-dockerfile-expose-ssh")
        .expect("finding kept in the list");
    let ignore = finding.suppressed_inline.as_ref().expect("suppressed");
    assert_eq!(ignore.reason.as_deref(), Some("bastion image"));
    assert_eq!(ignore.owner.as_deref(), Some("ops"));
    assert_eq!(ignore.expires.as_deref(), Some("2030-01-01"));
    assert!(!ignore.reason_missing);
    // Other rules on the same file are not suppressed.
    assert!(
        result
            .findings
            .iter()
            .filter(|f| f.rule_id != "misconfig-dockerfile-expose-ssh")
            .all(|f| f.suppressed_inline.is_none())
    );

    let mut without_reason: Vec<&str> = bad.lines().collect();
    without_reason.insert(
        expose_line,
        "# bulwark:ignore misconfig-dockerfile-expose-ssh",
    );
    let parsed = common::parse(
        FileKind::Dockerfile,
        "Dockerfile",
        &without_reason.join("\n"),
    );
    let result = common::policies().evaluate(&parsed);
    let finding = result
        .findings
        .iter()
        .find(|f| f.rule_id == "misconfig-dockerfile-expose-ssh")
        .unwrap();
    assert!(finding.suppressed_inline.as_ref().unwrap().reason_missing);

    let mut other_rule: Vec<&str> = bad.lines().collect();
    other_rule.insert(
        expose_line,
        "# bulwark:ignore misconfig-dockerfile-sudo reason=\"x\"",
    );
    let parsed = common::parse(FileKind::Dockerfile, "Dockerfile", &other_rule.join("\n"));
    let result = common::policies().evaluate(&parsed);
    let finding = result
        .findings
        .iter()
        .find(|f| f.rule_id == "misconfig-dockerfile-expose-ssh")
        .unwrap();
    assert!(finding.suppressed_inline.is_none());
}

/// Reads the config blob of the corpus' Go/Rust app image.
fn real_image_config() -> Option<Value> {
    let path = common::corpus(
        "images/oci/blobs/sha256/3fd81e26af357a2fa8c1a334343af9d481a3e61f2a07b2cd5b4117e36e8da0ee",
    )?;
    Some(serde_json::from_slice(&fs::read(path).unwrap()).unwrap())
}

fn rules(findings: &[bulwark_policy::Misconfiguration]) -> Vec<&str> {
    findings.iter().map(|f| f.rule_id.as_str()).collect()
}

#[test]
fn image_config_real_blob() {
    let Some(config) = real_image_config() else {
        return;
    };
    let findings = common::policies().evaluate_image_config(&config);
    let ids = rules(&findings);
    // No config.User: the image runs as root. No Healthcheck either.
    assert!(ids.contains(&"misconfig-dockerfile-root-user"), "{ids:?}");
    assert!(
        ids.contains(&"misconfig-dockerfile-no-healthcheck"),
        "{ids:?}"
    );
    assert!(!ids.contains(&"misconfig-dockerfile-expose-ssh"), "{ids:?}");
    // Dockerfile-only checks do not run on image configs.
    assert!(!ids.contains(&"misconfig-dockerfile-latest-tag"), "{ids:?}");
    assert!(findings.iter().all(|f| f.path == "image-config"));
}

#[test]
fn image_config_variants() {
    let Some(mut config) = real_image_config() else {
        return;
    };
    config["config"]["User"] = json!("10001");
    config["config"]["ExposedPorts"] = json!({"22/tcp": {}, "8080/tcp": {}});
    config["config"]["Healthcheck"] =
        json!({"Test": ["CMD", "/usr/local/bin/corpus-go-app", "-health"]});
    config["config"]["Env"]
        .as_array_mut()
        .unwrap()
        .push(json!("DB_PASSWORD=hunter2"));
    let history = config["history"].as_array_mut().unwrap();
    history.insert(
        0,
        json!({"created_by": "RUN /bin/sh -c curl -fsSL https://get.example.invalid | sh # buildkit"}),
    );
    history.insert(0, json!({"created_by": "/bin/sh -c #(nop)  USER root"}));

    let findings = common::policies().evaluate_image_config(&config);
    let ids = rules(&findings);
    assert!(!ids.contains(&"misconfig-dockerfile-root-user"), "{ids:?}");
    assert!(
        !ids.contains(&"misconfig-dockerfile-no-healthcheck"),
        "{ids:?}"
    );
    assert!(ids.contains(&"misconfig-dockerfile-expose-ssh"), "{ids:?}");
    assert!(
        ids.contains(&"misconfig-dockerfile-secret-in-env"),
        "{ids:?}"
    );
    let pipe = findings
        .iter()
        .find(|f| f.rule_id == "misconfig-dockerfile-pipe-to-shell")
        .expect("curl | sh in history");
    assert_eq!(pipe.line, 2, "history index of the RUN line");
}

fn gatekeeper_src() -> Option<PathBuf> {
    common::corpus("config/gatekeeper-library/src")
}

#[test]
fn run_tests_gatekeeper_suites() {
    let Some(src) = gatekeeper_src() else {
        return;
    };
    let report = run_tests(&[src]);
    let pass = report.count(TestOutcome::Pass);
    let total = report.results.len();
    eprintln!("{}", report.to_string().lines().last().unwrap_or_default());
    eprintln!(
        "gatekeeper src: {pass}/{total} pass, {} fail, {} error, {} load errors",
        report.count(TestOutcome::Fail),
        report.count(TestOutcome::Error),
        report.load_errors.len()
    );
    for line in report
        .to_string()
        .lines()
        .filter(|l| !l.ends_with(": PASS"))
    {
        eprintln!("  {line}");
    }
    assert!(total >= 400, "only {total} tests found");
    assert!(pass >= MEASURED_GATEKEEPER_PASS, "{pass}/{total} pass");
    assert!(
        report
            .to_string()
            .contains(&format!("PASS: {pass}/{total}\n"))
    );
}

/// Gatekeeper library tests that pass under regorus, measured when this
/// test was written; the test asserts at least this many.
const MEASURED_GATEKEEPER_PASS: usize = 856;

#[test]
fn run_tests_detects_flipped_expectation() {
    let Some(src) = gatekeeper_src() else {
        return;
    };
    let suite = src.join("general/requiredlabels");
    let report = run_tests(std::slice::from_ref(&suite));
    assert!(report.is_success(), "{report}");

    let dir = tempfile::tempdir().unwrap();
    for name in ["src.rego", "src_test.rego"] {
        fs::copy(suite.join(name), dir.path().join(name)).unwrap();
    }
    let test_path = dir.path().join("src_test.rego");
    let text = fs::read_to_string(&test_path).unwrap();
    // Flip the expectation of a test defined once (a test name defined
    // twice passes when either body holds, as in OPA).
    let start = text
        .find("test_input_has_label {")
        .expect("test_input_has_label in the suite");
    let offset = text[start..]
        .find("count(results) == 0")
        .expect("count(results) == 0 in test_input_has_label");
    let mut flipped = text.clone();
    flipped.replace_range(
        start + offset..start + offset + "count(results) == 0".len(),
        "count(results) == 1",
    );
    fs::write(&test_path, flipped).unwrap();

    let report = run_tests(&[dir.path().to_path_buf()]);
    assert_eq!(report.count(TestOutcome::Fail), 1, "{report}");
    assert!(!report.is_success());
    assert!(report.to_string().contains("FAIL: 1/"), "{report}");
}
