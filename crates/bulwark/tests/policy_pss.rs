//! End-to-end tests of `bulwark policy pss` through the real binary, on
//! manifests built from upstream Pod Security admission fixtures (copied in
//! crates/bulwark-pss/testdata, see SOURCE.md there): table and JSON
//! output, exit codes 0, 1 and 2, and errors naming the file and position.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use bulwark_pss::report::{Format, parse_manifest};
use serde_json::{Value, json};

fn fixture_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../bulwark-pss/testdata")
        .join(name)
}

fn fixture_text(name: &str) -> String {
    let path = fixture_path(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn fixture(name: &str) -> Value {
    let mut documents = parse_manifest(&fixture_text(name), Format::Yaml).unwrap();
    assert_eq!(documents.len(), 1);
    documents.remove(0)
}

/// Returns the fixture's pod as a pod template: its metadata and spec.
fn template(name: &str) -> Value {
    let pod = fixture(name);
    json!({"metadata": pod["metadata"], "spec": pod["spec"]})
}

const ALLOWED_POD: &str = "restricted-v1.32-pass-base.yaml";
const DENIED_POD: &str = "restricted-v1.32-fail-runasnonroot1.yaml";

/// A five-object manifest: an allowed Deployment, a denied Pod (the fixture
/// text itself), a ConfigMap, and a List of a denied CronJob and an
/// allowed Pod. Documents other than the fixture are JSON, which is YAML.
fn multi_document_manifest() -> String {
    let deployment = json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {"template": template(ALLOWED_POD)}
    });
    let config_map = json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "settings", "namespace": "shop"},
        "data": {"mode": "fast"}
    });
    let list = json!({
        "apiVersion": "v1",
        "kind": "List",
        "items": [
            {
                "apiVersion": "batch/v1",
                "kind": "CronJob",
                "metadata": {"name": "nightly", "namespace": "jobs"},
                "spec": {"jobTemplate": {"spec": {"template": template(DENIED_POD)}}}
            },
            fixture(ALLOWED_POD)
        ]
    });
    format!(
        "{deployment}\n---\n{}---\n{config_map}\n---\n{list}\n",
        fixture_text(DENIED_POD)
    )
}

fn write(dir: &Path, name: &str, contents: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

fn pss(args: &[&str], files: &[&Path]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bulwark"))
        .args(["policy", "pss"])
        .args(args)
        .args(files)
        .output()
        .expect("bulwark runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn table_lists_every_object() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = write(dir.path(), "app.yaml", &multi_document_manifest());
    let output = pss(
        &["--level", "restricted", "--version", "v1.32"],
        &[&manifest],
    );
    let text = stdout(&output);
    let file = manifest.display().to_string();

    assert_eq!(output.status.code(), Some(1), "{text}{}", stderr(&output));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "Pod Security Standards restricted:v1.32");
    assert_eq!(
        lines[1],
        format!("ALLOWED  {file} (document 1) Deployment shop/web")
    );
    assert_eq!(
        lines[2],
        format!("DENIED   {file} (document 2) Pod runasnonroot1")
    );
    assert!(
        lines[3].trim_start().starts_with("runAsNonRoot: "),
        "{}",
        lines[3]
    );
    assert!(
        lines[3].contains("securityContext.runAsNonRoot"),
        "{}",
        lines[3]
    );
    assert_eq!(
        lines[4],
        format!("SKIPPED  {file} (document 3) ConfigMap shop/settings: not a pod or pod template")
    );
    assert_eq!(
        lines[5],
        format!("DENIED   {file} (document 4, items[0]) CronJob jobs/nightly")
    );
    assert!(lines[6].trim_start().starts_with("runAsNonRoot: "));
    assert_eq!(
        lines[7],
        format!("ALLOWED  {file} (document 4, items[1]) Pod base")
    );
    assert_eq!(
        lines[8],
        "5 objects: 2 allowed, 2 denied, 1 skipped, 0 with errors"
    );
    assert_eq!(lines.len(), 9);
}

#[test]
fn json_output_in_input_order() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = write(dir.path(), "app.yaml", &multi_document_manifest());
    let output = pss(
        &["--level", "restricted", "--version", "v1.32", "-f", "json"],
        &[&manifest],
    );
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();

    assert_eq!(report["level"], "restricted");
    assert_eq!(report["version"], "v1.32");
    assert_eq!(
        report["summary"],
        json!({"allowed": 2, "denied": 2, "skipped": 1, "errors": 0})
    );
    let objects = report["objects"].as_array().unwrap();
    let statuses: Vec<&str> = objects
        .iter()
        .map(|object| object["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        ["allowed", "denied", "skipped", "denied", "allowed"]
    );
    let documents: Vec<u64> = objects
        .iter()
        .map(|object| object["document"].as_u64().unwrap())
        .collect();
    assert_eq!(documents, [1, 2, 3, 4, 4]);
    assert_eq!(objects[3]["item"], 0);
    assert_eq!(objects[3]["kind"], "CronJob");
    assert_eq!(objects[3]["namespace"], "jobs");
    assert_eq!(objects[3]["failures"][0]["control_id"], "runAsNonRoot");
    assert_eq!(objects[1]["failures"].as_array().unwrap().len(), 1);
    assert!(objects[0].get("failures").is_none());
    assert_eq!(report["errors"], json!([]));

    // The same input gives byte-identical output.
    let again = pss(
        &["--level", "restricted", "--version", "v1.32", "-f", "json"],
        &[&manifest],
    );
    assert_eq!(again.stdout, output.stdout);
}

#[test]
fn all_allowed_exits_zero() {
    // runAsNonRoot is a restricted control, so baseline allows the pod.
    let output = pss(
        &["--level", "baseline"],
        &[&fixture_path(DENIED_POD), &fixture_path(ALLOWED_POD)],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert!(stdout(&output).contains("2 objects: 2 allowed, 0 denied"));
}

#[test]
fn version_selects_policy() {
    let sysctls = fixture_path("baseline-v1.32-pass-sysctls1.yaml");
    let before = pss(&["--level", "baseline", "--version", "v1.31"], &[&sysctls]);
    assert_eq!(before.status.code(), Some(1));
    assert!(stdout(&before).contains("sysctls: forbidden sysctls"));

    let after = pss(&["--level", "baseline", "--version", "v1.32"], &[&sysctls]);
    assert_eq!(after.status.code(), Some(0), "{}", stdout(&after));

    let latest = pss(&["--level", "baseline"], &[&sysctls]);
    assert_eq!(latest.status.code(), Some(0));
    assert!(stdout(&latest).starts_with("Pod Security Standards baseline:latest (v1."));
}

#[test]
fn malformed_yaml_names_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    // Open a flow sequence that is never closed.
    let broken = fixture_text(ALLOWED_POD).replacen("containers:\n", "containers: [\n", 1);
    assert_ne!(broken, fixture_text(ALLOWED_POD));
    let opened_at = broken
        .lines()
        .position(|line| line.ends_with("containers: ["))
        .unwrap()
        + 1;
    let manifest = write(dir.path(), "broken.yaml", &broken);
    let good = fixture_path(ALLOWED_POD);

    let output = pss(&["--level", "restricted"], &[&manifest, &good]);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    let prefix = format!("bulwark: error: {}:", manifest.display());
    let rest = message
        .lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no error naming the file in {message:?}"));
    let mut position = rest.splitn(3, ':');
    let line: usize = position.next().unwrap().parse().unwrap();
    let column: usize = position.next().unwrap().parse().unwrap();
    assert!(
        line > opened_at,
        "line {line} is before the opening bracket"
    );
    assert!(line <= broken.lines().count() + 1);
    assert!(column >= 1);

    // The readable file is still evaluated and reported.
    let text = stdout(&output);
    assert!(text.contains("Pod base"), "{text}");
    assert!(text.contains("1 files could not be read or parsed"));
}

#[test]
fn missing_file_exits_two() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("absent.yaml");
    let output = pss(&["--level", "baseline", "-f", "json"], &[&missing]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains(&format!("{}: failed to read", missing.display())),
        "{}",
        stderr(&output)
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["errors"][0]["file"], missing.display().to_string());
}

#[test]
fn wrong_field_type_is_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut pod = fixture(ALLOWED_POD);
    pod["spec"]["containers"][0]["ports"] = json!([{"containerPort": 80, "hostPort": "80"}]);
    let manifest = write(dir.path(), "pod.json", &pod.to_string());
    let output = pss(&["--level", "baseline"], &[&manifest]);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(
        message.contains("spec.containers[0].ports[0].hostPort"),
        "{message}"
    );
    assert!(stdout(&output).contains("ERROR    "));
}

#[test]
fn json_input_file_is_evaluated() {
    let dir = tempfile::tempdir().unwrap();
    let pod = fixture(DENIED_POD);
    let manifest = write(dir.path(), "pod.json", &pod.to_string());
    let output = pss(&["--level", "restricted", "-f", "json"], &[&manifest]);
    assert_eq!(output.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["objects"][0]["status"], "denied");
    assert_eq!(
        report["effective_version"].as_str().unwrap().get(..3),
        Some("v1.")
    );

    // A JSON syntax error reports the file, line and column too.
    let broken = write(
        dir.path(),
        "broken.json",
        "{\n  \"kind\": \"Pod\",\n  oops\n}\n",
    );
    let output = pss(&["--level", "restricted"], &[&broken]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains(&format!("{}:3:", broken.display())),
        "{}",
        stderr(&output)
    );
}

#[test]
fn invalid_version_is_rejected() {
    let output = pss(
        &["--level", "baseline", "--version", "1.29"],
        &[&fixture_path(ALLOWED_POD)],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("invalid version \"1.29\""));
}

#[test]
fn dash_reads_stdin() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_bulwark"))
        .args(["policy", "pss", "--level", "restricted", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("bulwark starts");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(multi_document_manifest().as_bytes())
        .expect("stdin written");
    let output = child.wait_with_output().expect("bulwark finishes");
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.contains("DENIED   - (document 4, items[0]) CronJob jobs/nightly"),
        "{text}"
    );
    assert!(
        text.contains("5 objects: 2 allowed, 2 denied, 1 skipped"),
        "{text}"
    );
}

#[test]
fn fifo_is_rejected_without_blocking() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pods.yaml");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(status.success());
    // Nothing ever writes to the FIFO: reading it would block forever.
    let output = pss(&["--level", "restricted"], &[&fifo]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("not a regular file"),
        "{}",
        stderr(&output)
    );
}
