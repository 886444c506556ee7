//! `bulwark scan config`, the misconfig scanner of `scan fs` and `scan
//! image`, `bulwark rules` and `bulwark policy test`, through the real
//! binary on real-world configuration from the shared corpus
//! (kubernetes/examples, microservices-demo, docker-library Dockerfiles)
//! and gatekeeper-library's Rego unit tests. Inline ignores, malformed
//! files and user policies are derived from those files by the tests.

#[path = "../../bulwark-match/tests/support/mod.rs"]
mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn realworld() -> PathBuf {
    let dir = support::repo_root().join("../shared/corpus/config/realworld");
    assert!(
        dir.is_dir(),
        "corpus directory {} is missing",
        dir.display()
    );
    dir
}

/// A Deployment whose container sets `privileged: true`.
fn nfs_deployment() -> PathBuf {
    realworld()
        .join("k8s-manifests/kubernetes-examples/_archived/volumes/nfs/nfs-server-deployment.yaml")
}

fn bulwark(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_bulwark"));
    command
        .current_dir(dir)
        .env_remove("BULWARK_SCANNERS")
        .env("SOURCE_DATE_EPOCH", "1790000000");
    command
}

fn scan_config(dir: &Path, path: &Path, extra: &[&str]) -> Output {
    bulwark(dir)
        .args(["scan", "config"])
        .args(extra)
        .arg(path)
        .output()
        .expect("bulwark runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn json_of(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("JSON report: {e}\n{}", text(&output.stderr)))
}

fn findings<'a>(report: &'a Value, key: &str) -> &'a [Value] {
    report[key].as_array().map_or(&[], Vec::as_slice)
}

/// Returns the 1-based line of the first line of `text` that contains
/// `needle`.
fn line_of(text: &str, needle: &str) -> u64 {
    let index = text
        .lines()
        .position(|line| line.contains(needle))
        .unwrap_or_else(|| panic!("{needle:?} not in the file"));
    index as u64 + 1
}

#[test]
fn privileged_container_found_at_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let output = scan_config(dir.path(), &nfs_deployment(), &["-f", "json"]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let report = json_of(&output);
    let source = std::fs::read_to_string(nfs_deployment()).unwrap();
    let privileged: Vec<&Value> = findings(&report, "rule_findings")
        .iter()
        .filter(|finding| finding["rule_id"] == "misconfig-k8s-privileged")
        .collect();
    assert_eq!(privileged.len(), 1, "{report:#}");
    assert_eq!(privileged[0]["line"], line_of(&source, "privileged: true"));
    assert_eq!(privileged[0]["kind"], "misconfig");
    assert_eq!(privileged[0]["severity"], "high");
    assert!(
        privileged[0]["resource"]
            .as_str()
            .unwrap()
            .contains("nfs-server"),
        "{:#}",
        privileged[0]
    );
}

#[test]
fn inline_ignore_suppresses_with_fields() {
    let dir = tempfile::tempdir().unwrap();
    let source = std::fs::read_to_string(nfs_deployment()).unwrap();
    // Put an ignore comment with every field above `privileged: true`, and
    // one without a reason after the container's name, the line that
    // container-level findings point to.
    let mut lines: Vec<String> = Vec::new();
    for line in source.lines() {
        let indent: String = line.chars().take_while(|c| *c == ' ').collect();
        if line.contains("privileged: true") {
            lines.push(format!(
                "{indent}# bulwark:ignore misconfig-k8s-privileged reason=\"NFS server needs it\" owner=storage-team expires=2030-01-31"
            ));
        }
        if line.trim_start() == "- name: nfs-server" {
            lines.push(format!(
                "{line} # bulwark:ignore misconfig-k8s-image-pull-policy"
            ));
            continue;
        }
        lines.push(line.to_owned());
    }
    let path = dir.path().join("nfs.yaml");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let report = json_of(&scan_config(dir.path(), &path, &["-f", "json"]));
    let active: BTreeSet<&str> = findings(&report, "rule_findings")
        .iter()
        .filter_map(|finding| finding["rule_id"].as_str())
        .collect();
    assert!(!active.contains("misconfig-k8s-privileged"), "{active:?}");
    let suppressed = findings(&report, "rule_suppressed");
    let privileged = suppressed
        .iter()
        .find(|finding| finding["rule_id"] == "misconfig-k8s-privileged")
        .expect("privileged is suppressed");
    assert_eq!(privileged["suppressed"]["kind"], "inline");
    assert_eq!(privileged["suppressed"]["owner"], "storage-team");
    assert_eq!(privileged["suppressed"]["expires"], "2030-01-31");
    assert_eq!(privileged["suppressed"]["reason"], "NFS server needs it");
    if let Some(pull) = suppressed
        .iter()
        .find(|finding| finding["rule_id"] == "misconfig-k8s-image-pull-policy")
    {
        let notes = pull["notes"]
            .as_array()
            .expect("a note on the missing reason");
        assert!(
            notes
                .iter()
                .any(|note| note["code"] == "inline-ignore-without-reason"),
            "{pull:#}"
        );
    } else {
        panic!("the image-pull-policy finding is not suppressed: {report:#}");
    }
}

#[test]
fn expired_inline_ignore_counts_again() {
    let dir = tempfile::tempdir().unwrap();
    let source = std::fs::read_to_string(nfs_deployment()).unwrap();
    let edited = source.replace(
        "privileged: true",
        "privileged: true # bulwark:ignore misconfig-k8s-privileged reason=\"old\" owner=ops expires=2020-01-31",
    );
    let path = dir.path().join("nfs.yaml");
    std::fs::write(&path, edited).unwrap();
    let report = json_of(&scan_config(dir.path(), &path, &["-f", "json"]));
    let privileged = findings(&report, "rule_findings")
        .iter()
        .find(|finding| finding["rule_id"] == "misconfig-k8s-privileged")
        .expect("an expired ignore does not suppress");
    assert!(
        privileged["notes"][0]["message"]
            .as_str()
            .unwrap()
            .contains("expired after 2020-01-31"),
        "{privileged:#}"
    );
}

#[test]
fn malformed_file_is_located_and_scan_continues() {
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("tree");
    std::fs::create_dir_all(&tree).unwrap();
    std::fs::copy(nfs_deployment(), tree.join("good.yaml")).unwrap();
    // Break the indentation of a real manifest in the middle of a mapping.
    let source = std::fs::read_to_string(nfs_deployment()).unwrap();
    let broken = source.replacen("      containers:", "   containers:\n  - : :", 1);
    std::fs::write(tree.join("broken.yaml"), broken).unwrap();
    let output = scan_config(dir.path(), &tree, &["-f", "json"]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    let report = json_of(&output);
    let errors: Vec<&str> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].starts_with("broken.yaml:"), "{errors:?}");
    let location: Vec<&str> = errors[0].splitn(4, ':').collect();
    assert!(location[1].parse::<u32>().is_ok(), "no line: {errors:?}");
    assert!(location[2].parse::<u32>().is_ok(), "no column: {errors:?}");
    assert!(
        findings(&report, "rule_findings")
            .iter()
            .any(|finding| finding["path"] == "good.yaml"),
        "the good file was not scanned"
    );
}

#[test]
fn realworld_trees_scan_deterministically() {
    let dir = tempfile::tempdir().unwrap();
    let demo = realworld().join("k8s-manifests/microservices-demo");
    let first = scan_config(dir.path(), &demo, &["-f", "json"]);
    assert_eq!(first.status.code(), Some(1), "{}", text(&first.stderr));
    let second = scan_config(dir.path(), &demo, &["-f", "json"]);
    assert_eq!(first.stdout, second.stdout);
    let report = json_of(&first);
    assert!(report["errors"].is_null(), "{:#}", report["errors"]);
    let kinds: BTreeSet<&str> = findings(&report, "rule_findings")
        .iter()
        .filter_map(|finding| finding["rule_id"].as_str())
        .map(|id| id.split('-').nth(1).unwrap_or_default())
        .collect();
    assert!(kinds.contains("k8s"), "{kinds:?}");
    assert!(kinds.contains("dockerfile"), "{kinds:?}");
    // Every located finding points inside its file.
    for finding in findings(&report, "rule_findings") {
        let (Some(path), Some(line)) = (finding["path"].as_str(), finding["line"].as_u64()) else {
            continue;
        };
        let lines = std::fs::read_to_string(demo.join(path))
            .unwrap()
            .lines()
            .count() as u64;
        assert!(line >= 1 && line <= lines, "{finding:#}");
    }
}

#[test]
fn config_sarif_is_valid() {
    let dir = tempfile::tempdir().unwrap();
    let demo = realworld().join("dockerfiles/python");
    let output = scan_config(dir.path(), &demo, &["-f", "sarif"]);
    let log = text(&output.stdout);
    let problems = support::validate_sarif(&log);
    assert!(problems.is_empty(), "{problems:#?}");
    let log: Value = serde_json::from_str(&log).unwrap();
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert!(!results.is_empty());
    for result in results {
        let fingerprint = result["partialFingerprints"]["bulwarkRule/v1"]
            .as_str()
            .unwrap_or_default();
        assert_eq!(fingerprint.len(), 64, "{result:#}");
    }
}

const USER_CHECK: &str = r#"# METADATA
# title: Deployment without a team label
# description: Every Deployment names the team that owns it in a `team` label.
# custom:
#   id: misconfig-custom-team-label
#   severity: LOW
#   input: [kubernetes]
#   remediation: Add metadata.labels.team.
package custom.team_label

import rego.v1

deny contains result if {
    input.kind == "Deployment"
    not input.metadata.labels.team
    result := {"msg": sprintf("Deployment %s has no team label", [input.metadata.name]), "path": ["metadata"]}
}
"#;

#[test]
fn user_policy_runs_and_is_listed() {
    let dir = tempfile::tempdir().unwrap();
    let policies = dir.path().join("policies");
    std::fs::create_dir_all(&policies).unwrap();
    std::fs::write(policies.join("team_label.rego"), USER_CHECK).unwrap();
    let output = scan_config(
        dir.path(),
        &nfs_deployment(),
        &["-f", "json", "--policy", "policies"],
    );
    let report = json_of(&output);
    let custom: Vec<&Value> = findings(&report, "rule_findings")
        .iter()
        .filter(|finding| finding["rule_id"] == "misconfig-custom-team-label")
        .collect();
    assert_eq!(custom.len(), 1, "{report:#}");
    assert_eq!(
        custom[0]["message"],
        "Deployment nfs-server has no team label"
    );

    let listed = bulwark(dir.path())
        .args([
            "rules",
            "list",
            "--kind",
            "misconfig",
            "--policy",
            "policies",
        ])
        .output()
        .unwrap();
    assert!(text(&listed.stdout).contains("misconfig-custom-team-label"));

    std::fs::write(
        policies.join("broken.rego"),
        "package broken\n\ndeny contains x if {\n",
    )
    .unwrap();
    let output = scan_config(dir.path(), &nfs_deployment(), &["--policy", "policies"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("broken.rego"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn image_config_checks_in_image_scan() {
    let dir = tempfile::tempdir().unwrap();
    let layout = std::env::var_os("BULWARK_CORPUS_IMAGES")
        .map_or_else(|| PathBuf::from("/tmp/corpus-images"), PathBuf::from)
        .join("oci/layers");
    assert!(
        layout.join("index.json").is_file(),
        "{} is missing",
        layout.display()
    );
    let output = bulwark(dir.path())
        .args(["scan", "image", "--scanners", "misconfig", "-f", "json"])
        .arg(format!("oci:{}", layout.display()))
        .output()
        .unwrap();
    let report = json_of(&output);
    let config: Vec<&Value> = findings(&report, "rule_findings")
        .iter()
        .filter(|finding| finding["path"] == "image config")
        .collect();
    // The image's config sets no User, so it runs as root.
    assert!(
        config
            .iter()
            .any(|finding| finding["rule_id"] == "misconfig-dockerfile-root-user"),
        "{report:#}"
    );
}

#[test]
fn rules_catalogue_lists_both_kinds() {
    let dir = tempfile::tempdir().unwrap();
    let output = bulwark(dir.path())
        .args(["rules", "list", "-f", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let rules = json_of(&output);
    let rules = rules.as_array().unwrap();
    let secrets = rules.iter().filter(|rule| rule["kind"] == "secret").count();
    let misconfig = rules
        .iter()
        .filter(|rule| rule["kind"] == "misconfig")
        .count();
    assert!(secrets >= 80, "{secrets} secret rules");
    assert!(misconfig >= 80, "{misconfig} misconfiguration checks");
    for rule in rules {
        let id = rule["id"].as_str().unwrap();
        let kind = rule["kind"].as_str().unwrap();
        assert!(
            id.starts_with(&format!("{kind}-")),
            "{id} is not prefixed by {kind}"
        );
        assert!(!rule["description"].as_str().unwrap().is_empty(), "{id}");
    }
    let explain = bulwark(dir.path())
        .args(["rules", "explain", "misconfig-k8s-privileged"])
        .output()
        .unwrap();
    assert_eq!(explain.status.code(), Some(0));
    assert!(text(&explain.stdout).contains("Remediation:"));
    let unknown = bulwark(dir.path())
        .args(["rules", "explain", "secret-no-such-rule"])
        .output()
        .unwrap();
    assert_eq!(unknown.status.code(), Some(2));
}

#[test]
fn policy_test_runs_gatekeeper_suite() {
    let dir = tempfile::tempdir().unwrap();
    let suite = support::repo_root()
        .join("../shared/corpus/config/gatekeeper-library/src/general/allowedrepos");
    let output = bulwark(dir.path())
        .args(["policy", "test"])
        .arg(&suite)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stdout));
    let stdout = text(&output.stdout);
    let summary = stdout.lines().last().unwrap();
    assert!(summary.starts_with("PASS: "), "{stdout}");
    let (passed, total) = summary["PASS: ".len()..].split_once('/').unwrap();
    assert_eq!(passed, total);
    assert!(total.parse::<u32>().unwrap() > 0);

    // A copy whose policy no longer denies anything makes the deny tests
    // fail.
    let copy = dir.path().join("suite");
    std::fs::create_dir_all(&copy).unwrap();
    for entry in std::fs::read_dir(&suite).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        let mut content = std::fs::read_to_string(entry.path()).unwrap();
        if name == "src.rego" {
            content = content.replace("violation[", "unused_violation[");
            content = content.replace("violation contains", "unused_violation contains");
        }
        std::fs::write(copy.join(name), content).unwrap();
    }
    let output = bulwark(dir.path())
        .args(["policy", "test"])
        .arg(&copy)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stdout));
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains(": FAIL") || stdout.contains(": ERROR"),
        "{stdout}"
    );
    assert!(
        !stdout.contains(&format!("PASS: {total}/{total}")),
        "{stdout}"
    );
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Copies the `layers` OCI layout and adds one uncompressed layer with
/// `files` (path, content) on top, updating the config's diff ids and the
/// manifest.
fn layout_with_layer(dir: &Path, files: &[(&str, Vec<u8>)]) -> PathBuf {
    use sha2::Digest;

    let source = corpus_layers_layout();
    let out = dir.join("layout");
    std::fs::create_dir_all(out.join("blobs/sha256")).unwrap();
    std::fs::copy(source.join("oci-layout"), out.join("oci-layout")).unwrap();
    for entry in std::fs::read_dir(source.join("blobs/sha256")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(
            entry.path(),
            out.join("blobs/sha256").join(entry.file_name()),
        )
        .unwrap();
    }
    let write_blob = |bytes: &[u8]| -> (String, usize) {
        let digest = hex(&sha2::Sha256::digest(bytes));
        std::fs::write(out.join("blobs/sha256").join(&digest), bytes).unwrap();
        (format!("sha256:{digest}"), bytes.len())
    };
    let read_blob = |digest: &str| -> Value {
        let path = source
            .join("blobs/sha256")
            .join(digest.trim_start_matches("sha256:"));
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
    };

    let mut builder = tar::Builder::new(Vec::new());
    for (path, content) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(content.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        builder
            .append_data(&mut header, path, content.as_slice())
            .unwrap();
    }
    let layer = builder.into_inner().unwrap();
    let (layer_digest, layer_size) = write_blob(&layer);

    let mut index: Value =
        serde_json::from_slice(&std::fs::read(source.join("index.json")).unwrap()).unwrap();
    let mut manifest = read_blob(index["manifests"][0]["digest"].as_str().unwrap());
    let mut config = read_blob(manifest["config"]["digest"].as_str().unwrap());
    config["rootfs"]["diff_ids"]
        .as_array_mut()
        .unwrap()
        .push(Value::String(layer_digest.clone()));
    let (config_digest, config_size) = write_blob(&serde_json::to_vec(&config).unwrap());
    manifest["config"]["digest"] = Value::String(config_digest);
    manifest["config"]["size"] = config_size.into();
    manifest["layers"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({
            "mediaType": "application/vnd.oci.image.layer.v1.tar",
            "digest": layer_digest,
            "size": layer_size,
        }));
    let (manifest_digest, manifest_size) = write_blob(&serde_json::to_vec(&manifest).unwrap());
    index["manifests"][0]["digest"] = Value::String(manifest_digest);
    index["manifests"][0]["size"] = manifest_size.into();
    std::fs::write(out.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
    out
}

fn corpus_layers_layout() -> PathBuf {
    let layout = std::env::var_os("BULWARK_CORPUS_IMAGES")
        .map_or_else(|| PathBuf::from("/tmp/corpus-images"), PathBuf::from)
        .join("oci/layers");
    assert!(
        layout.join("index.json").is_file(),
        "{} is missing",
        layout.display()
    );
    layout
}

#[test]
fn config_files_inside_image_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = std::fs::read(nfs_deployment()).unwrap();
    let dockerfile =
        std::fs::read(realworld().join("k8s-manifests/microservices-demo/src/frontend/Dockerfile"))
            .unwrap();
    let layout = layout_with_layer(
        dir.path(),
        &[
            ("app/deploy/nfs.yaml", manifest.clone()),
            ("app/Dockerfile", dockerfile),
            // Package data, not a deployment: skipped.
            ("usr/lib/python3/dist-packages/x/nfs.yaml", manifest),
        ],
    );
    let output = bulwark(dir.path())
        .args(["scan", "image", "--scanners", "misconfig", "-f", "json"])
        .arg(format!("oci:{}", layout.display()))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let report = json_of(&output);
    let paths: BTreeSet<&str> = findings(&report, "rule_findings")
        .iter()
        .filter_map(|finding| finding["path"].as_str())
        .collect();
    assert!(paths.contains("app/deploy/nfs.yaml"), "{paths:?}");
    assert!(paths.contains("app/Dockerfile"), "{paths:?}");
    assert!(paths.contains("image config"), "{paths:?}");
    assert!(
        !paths.iter().any(|path| path.contains("dist-packages")),
        "{paths:?}"
    );
    let privileged = findings(&report, "rule_findings")
        .iter()
        .find(|finding| finding["rule_id"] == "misconfig-k8s-privileged")
        .expect("the privileged container in the image's manifest");
    let source = std::fs::read_to_string(nfs_deployment()).unwrap();
    assert_eq!(privileged["line"], line_of(&source, "privileged: true"));
}

#[test]
fn vex_formats_are_rejected_for_config() {
    let dir = tempfile::tempdir().unwrap();
    for format in ["openvex", "cyclonedx"] {
        let output = scan_config(dir.path(), &nfs_deployment(), &["-f", format]);
        assert_eq!(output.status.code(), Some(2), "{format}");
        assert!(output.stdout.is_empty(), "{format}");
        assert!(
            text(&output.stderr).contains("use table, json or sarif"),
            "{}",
            text(&output.stderr)
        );
    }
}

#[test]
fn helm_chart_alone_gets_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let chart = realworld().join("k8s-manifests/microservices-demo/helm-chart");
    assert!(chart.is_dir(), "{} is missing", chart.display());
    let output = scan_config(dir.path(), &chart, &["-f", "json"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let report = json_of(&output);
    let notes = report["notes"].as_array().expect("a note");
    assert!(
        notes.iter().any(|note| note["code"] == "no-config-files"),
        "{notes:#?}"
    );
    assert!(text(&output.stderr).contains("helm template"));
}

#[test]
fn recursive_user_function_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let policies = dir.path().join("policies");
    std::fs::create_dir_all(&policies).unwrap();
    // The team-label check with a helper that calls itself without end:
    // regorus would overflow the stack and abort the process.
    let recursive = USER_CHECK.replace(
        "import rego.v1\n",
        "import rego.v1\n\ndepth(n) := depth(n + 1)\n",
    );
    std::fs::write(policies.join("team_label.rego"), &recursive).unwrap();
    let output = scan_config(dir.path(), &nfs_deployment(), &["--policy", "policies"]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    assert!(
        text(&output.stderr).contains("function depth calls itself"),
        "{}",
        text(&output.stderr)
    );

    std::fs::write(
        policies.join("team_label_test.rego"),
        "package custom.team_label\n\nimport rego.v1\n\ntest_depth if {\n\tdepth(1) == 2\n}\n",
    )
    .unwrap();
    let output = bulwark(dir.path())
        .args(["policy", "test", "policies"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stdout));
    assert!(text(&output.stdout).contains("function depth calls itself"));
}

#[test]
fn interpreter_panic_is_a_test_error() {
    // trivy-checks' own library tests call object.subset with an empty
    // array, on which regorus 0.14 panics; each such test must end as an
    // ERROR line, not abort the run.
    let dir = tempfile::tempdir().unwrap();
    let suite = support::repo_root().join("../shared/corpus/config/trivy-checks/lib/cloud");
    let output = bulwark(dir.path())
        .args(["policy", "test"])
        .arg(&suite)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains(": ERROR (") && stdout.contains("the Rego interpreter failed"),
        "{stdout}"
    );
    assert!(!text(&output.stderr).contains("panicked"));
}
