//! `bulwark scan --scanners secret` through the real binary, on the corpus
//! `layers` image: throwaway credentials planted in its third layer, one
//! set deleted by the fourth layer and one left in place. The tests check
//! that every planted secret is found in the layer that ships it, that
//! deleted files are reported as removed, that no report or log carries a
//! secret value, and that exceptions, `--fail-on` and SARIF apply to
//! secret findings.
//!
//! Prerequisites, which fail the tests with instructions when missing: the
//! Debian test images that `../shared/corpus/images/build.sh` builds into
//! `BULWARK_CORPUS_IMAGES` (default `/tmp/corpus-images`), and the SARIF
//! validator of `tests/python-requirements.txt`.

#[path = "../../bulwark-match/tests/support/mod.rs"]
mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use sha2::Digest;

/// Index of the layer that adds the planted files (`L3` in the image's
/// description, counting from 1).
const PLANTING_LAYER: u64 = 2;

fn corpus_images_dir() -> PathBuf {
    std::env::var_os("BULWARK_CORPUS_IMAGES")
        .map_or_else(|| PathBuf::from("/tmp/corpus-images"), PathBuf::from)
}

fn layers_layout() -> PathBuf {
    let dir = corpus_images_dir().join("oci/layers");
    assert!(
        dir.join("index.json").is_file(),
        "test image {} is missing: build it as root with `OUT={} ../shared/corpus/images/build.sh`",
        dir.display(),
        corpus_images_dir().display()
    );
    dir
}

/// The source files of the planted credentials.
fn planted_sources() -> PathBuf {
    support::repo_root().join("../shared/corpus/images/src/layers")
}

/// Every secret value planted in the image: the values of the `.env`
/// files and the base64 body lines of the private keys.
fn planted_values() -> Vec<String> {
    let mut values = Vec::new();
    for name in [
        "aws-deleted.env",
        "aws-kept.env",
        "id_rsa_deleted",
        "id_rsa_kept",
    ] {
        let path = planted_sources().join(name);
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
        for line in text.lines() {
            if line.starts_with('#') || line.starts_with("-----") || line.trim().is_empty() {
                continue;
            }
            // Key bodies are base64 and may end in `=` padding, so only the
            // `.env` files are split at `=`.
            let value = match line.split_once('=') {
                Some((_, value)) if name.ends_with(".env") => value,
                _ => line,
            };
            values.push(value.trim().to_owned());
        }
    }
    assert!(values.len() > 10, "planted values: {values:?}");
    values
}

fn bulwark(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_bulwark"));
    command
        .current_dir(dir)
        .env_remove("BULWARK_SCANNERS")
        .env("SOURCE_DATE_EPOCH", "1790000000");
    command
}

fn scan(dir: &Path, target: &str, extra: &[&str]) -> Output {
    bulwark(dir)
        .args(["scan", "image", "--scanners", "secret", target])
        .args(extra)
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

/// `(path, rule id, layer, removed)` of each secret finding.
fn secrets_of(report: &Value, key: &str) -> BTreeSet<(String, String, u64, bool)> {
    report[key]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter(|finding| finding["kind"] == "secret")
        .map(|finding| {
            (
                finding["path"].as_str().unwrap_or_default().to_owned(),
                finding["rule_id"].as_str().unwrap_or_default().to_owned(),
                finding["layer"]["index"].as_u64().unwrap_or(u64::MAX),
                finding["removed_in_later_layer"].as_bool().unwrap_or(false),
            )
        })
        .collect()
}

fn expected_layers_secrets() -> BTreeSet<(String, String, u64, bool)> {
    [
        ("app/kept/aws-kept.env", "secret-aws-access-key-id", false),
        (
            "app/kept/aws-kept.env",
            "secret-aws-secret-access-key",
            false,
        ),
        ("app/kept/id_rsa_kept", "secret-private-key-pkcs8", false),
        (
            "app/secrets/aws-deleted.env",
            "secret-aws-access-key-id",
            true,
        ),
        (
            "app/secrets/aws-deleted.env",
            "secret-aws-secret-access-key",
            true,
        ),
        ("app/secrets/id_rsa_deleted", "secret-private-key-rsa", true),
    ]
    .into_iter()
    .map(|(path, rule, removed)| (path.to_owned(), rule.to_owned(), PLANTING_LAYER, removed))
    .collect()
}

fn assert_no_planted_value(output: &str, what: &str) {
    for value in planted_values() {
        assert!(!output.contains(&value), "{what} contains a planted secret");
    }
}

#[test]
fn layers_image_secrets_found_per_layer() {
    let dir = tempfile::tempdir().unwrap();
    let target = format!("oci:{}", layers_layout().display());
    let output = scan(dir.path(), &target, &["-f", "json"]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let report = json_of(&output);
    assert_eq!(
        secrets_of(&report, "rule_findings"),
        expected_layers_secrets()
    );
    assert_eq!(report["rule_summary"]["secrets"], 6);
    // A secret-only scan lists no packages and matches no advisories.
    assert_eq!(report["scanners"], serde_json::json!(["secret"]));
    assert_eq!(report["packages"], 0);
    // Layer 5 re-adds aws-deleted.env with harmless content: the visible
    // file has no finding.
    let findings = report["rule_findings"].as_array().unwrap();
    assert!(
        findings
            .iter()
            .all(|finding| finding["layer"]["index"] == PLANTING_LAYER),
        "{findings:#?}"
    );
    for finding in findings {
        let diff_id = finding["layer"]["diff_id"].as_str().unwrap_or_default();
        assert!(diff_id.starts_with("sha256:"), "{finding:#}");
        let fingerprint = finding["fingerprint"].as_str().unwrap_or_default();
        assert_eq!(fingerprint.len(), 64, "{finding:#}");
    }
}

#[test]
fn docker_archive_gives_same_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let archive = corpus_images_dir().join("docker/layers.tar");
    assert!(archive.is_file(), "{} is missing", archive.display());
    let output = scan(
        dir.path(),
        &format!("docker-archive:{}", archive.display()),
        &["-f", "json"],
    );
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    assert_eq!(
        secrets_of(&json_of(&output), "rule_findings"),
        expected_layers_secrets()
    );
}

#[test]
fn reports_and_logs_never_show_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let target = format!("oci:{}", layers_layout().display());
    for format in ["table", "json", "sarif"] {
        let output = scan(dir.path(), &target, &["-f", format, "-vvv"]);
        assert_eq!(output.status.code(), Some(1), "{format}");
        assert_no_planted_value(&text(&output.stdout), format);
        assert_no_planted_value(&text(&output.stderr), "the trace log");
    }
    let table = text(&scan(dir.path(), &target, &[]).stdout);
    assert!(table.contains("2 (removed later)"), "{table}");
    assert!(!table.contains("vulnerabilities"), "{table}");
    assert!(table.contains("AWS_ACCESS_KEY_ID=AKIA****"), "{table}");
}

#[test]
fn secret_sarif_is_valid() {
    let dir = tempfile::tempdir().unwrap();
    let target = format!("oci:{}", layers_layout().display());
    let output = scan(dir.path(), &target, &["-f", "sarif"]);
    let log_text = text(&output.stdout);
    let problems = support::validate_sarif(&log_text);
    assert!(problems.is_empty(), "{problems:#?}");
    let log: Value = serde_json::from_str(&log_text).unwrap();
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 6);
    let rules: BTreeSet<&str> = log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|rule| rule["id"].as_str())
        .collect();
    assert!(rules.contains("secret-private-key-rsa"), "{rules:?}");
    for result in results {
        let region = &result["locations"][0]["physicalLocation"]["region"];
        assert!(region["startLine"].as_u64().is_some(), "{result:#}");
        assert!(result["partialFingerprints"]["bulwarkRule/v1"].is_string());
    }
}

#[test]
fn fail_on_and_severity_filter_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let target = format!("oci:{}", layers_layout().display());
    assert_eq!(
        scan(dir.path(), &target, &["--fail-on", "critical"])
            .status
            .code(),
        Some(1)
    );
    assert_eq!(
        scan(dir.path(), &target, &["--exit-zero"]).status.code(),
        Some(0)
    );
    let filtered = scan(dir.path(), &target, &["-f", "json", "--severity", "low"]);
    assert_eq!(filtered.status.code(), Some(0));
    assert!(secrets_of(&json_of(&filtered), "rule_findings").is_empty());
}

#[test]
fn rule_exception_suppresses_secret() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(".bulwark.yaml"),
        "exceptions:\n  - rule: secret-private-key-pkcs8\n    path: app/kept/*\n    \
         reason: throwaway test key\n    owner: platform-team\n    expires: 2030-01-31\n  \
         - rule: aws-access-key-id\n    reason: misspelled id\n    owner: platform-team\n    \
         expires: 2030-01-31\n",
    )
    .unwrap();
    let target = format!("oci:{}", layers_layout().display());
    let report = json_of(&scan(dir.path(), &target, &["-f", "json"]));
    let suppressed = secrets_of(&report, "rule_suppressed");
    let expected: BTreeSet<_> = expected_layers_secrets()
        .into_iter()
        .filter(|(_, rule, _, _)| rule == "secret-private-key-pkcs8")
        .collect();
    assert_eq!(suppressed, expected);
    assert_eq!(report["rule_summary"]["secrets"], 5);
    assert_eq!(report["rule_summary"]["suppressed"], 1);
    // The id without its `secret-` prefix matches no rule, and the scan
    // says so.
    let notes = report["notes"].as_array().expect("notes");
    let unknown: Vec<&Value> = notes
        .iter()
        .filter(|note| note["code"] == "exception-unknown-rule")
        .collect();
    assert_eq!(unknown.len(), 1, "{notes:#?}");
    assert!(
        unknown[0]["message"]
            .as_str()
            .unwrap()
            .contains("\"aws-access-key-id\""),
        "{unknown:#?}"
    );
}

#[test]
fn directory_secrets_have_no_layer() {
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("tree");
    std::fs::create_dir_all(tree.join("config")).unwrap();
    for name in ["aws-kept.env", "id_rsa_deleted"] {
        std::fs::copy(planted_sources().join(name), tree.join("config").join(name)).unwrap();
    }
    let output = bulwark(dir.path())
        .args(["scan", "fs", "--scanners", "secret", "-f", "json"])
        .arg(&tree)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let report = json_of(&output);
    let found: BTreeSet<(String, String)> = report["rule_findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|finding| {
            assert!(finding.get("layer").is_none(), "{finding:#}");
            (
                finding["path"].as_str().unwrap().to_owned(),
                finding["rule_id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected: BTreeSet<(String, String)> = [
        ("config/aws-kept.env", "secret-aws-access-key-id"),
        ("config/aws-kept.env", "secret-aws-secret-access-key"),
        ("config/id_rsa_deleted", "secret-private-key-rsa"),
    ]
    .into_iter()
    .map(|(path, rule)| (path.to_owned(), rule.to_owned()))
    .collect();
    assert_eq!(found, expected);
}

/// Copies the `layers` OCI layout with a new config whose `Env` and history
/// carry credentials, as `ENV` and `ARG` instructions leave them.
fn layout_with_config_secrets(dir: &Path, token: &str, npm_token: &str) -> PathBuf {
    let source = layers_layout();
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
    let blob = |digest: &str| -> Value {
        let path = source
            .join("blobs/sha256")
            .join(digest.trim_start_matches("sha256:"));
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
    };
    let write_blob = |value: &Value| -> (String, usize) {
        let bytes = serde_json::to_vec(value).unwrap();
        let digest = hex(&sha2::Sha256::digest(&bytes));
        std::fs::write(out.join("blobs/sha256").join(&digest), &bytes).unwrap();
        (format!("sha256:{digest}"), bytes.len())
    };
    let mut index: Value =
        serde_json::from_slice(&std::fs::read(source.join("index.json")).unwrap()).unwrap();
    let mut manifest = blob(index["manifests"][0]["digest"].as_str().unwrap());
    let mut config = blob(manifest["config"]["digest"].as_str().unwrap());
    let mut env = config["config"]["Env"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    env.push(Value::String(format!("GITHUB_TOKEN={token}")));
    config["config"]["Env"] = Value::Array(env);
    config["history"]
        .as_array_mut()
        .expect("the image has a history")
        .push(serde_json::json!({
            "created_by": format!("RUN |1 NPM_TOKEN={npm_token} /bin/sh -c npm ci"),
            "empty_layer": true,
        }));
    let (config_digest, config_size) = write_blob(&config);
    manifest["config"]["digest"] = Value::String(config_digest);
    manifest["config"]["size"] = config_size.into();
    let (manifest_digest, manifest_size) = write_blob(&manifest);
    index["manifests"][0]["digest"] = Value::String(manifest_digest);
    index["manifests"][0]["size"] = manifest_size.into();
    std::fs::write(out.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Builds a token body of `len` characters from a fixed seed, so the test
/// needs no real credential.
fn token_body(len: usize, seed: u64) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut state = seed;
    (0..len)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            char::from(ALPHABET[(state >> 33) as usize % ALPHABET.len()])
        })
        .collect()
}

#[test]
fn image_config_env_and_history_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let token = format!("ghp_{}", token_body(36, 7));
    let npm_token = format!("npm_{}", token_body(36, 11));
    let layout = layout_with_config_secrets(dir.path(), &token, &npm_token);
    let output = scan(
        dir.path(),
        &format!("oci:{}", layout.display()),
        &["-f", "json"],
    );
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(!stdout.contains(&token), "the report shows the token");
    assert!(
        !stdout.contains(&npm_token),
        "the report shows the npm token"
    );
    let report = json_of(&output);
    let config_findings: BTreeSet<(String, String)> = report["rule_findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|finding| finding["path"] == "image config")
        .map(|finding| {
            (
                finding["rule_id"].as_str().unwrap().to_owned(),
                finding["resource"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let rules: BTreeSet<&str> = config_findings
        .iter()
        .map(|(rule, _)| rule.as_str())
        .collect();
    assert!(rules.contains("secret-github-pat"), "{config_findings:?}");
    assert!(
        rules.contains("secret-npm-access-token"),
        "{config_findings:?}"
    );
    let resources: BTreeSet<&str> = config_findings
        .iter()
        .map(|(_, resource)| resource.as_str())
        .collect();
    assert!(
        resources.iter().any(|r| r.starts_with("config.Env[")),
        "{resources:?}"
    );
    assert!(
        resources.iter().any(|r| r.starts_with("history[")),
        "{resources:?}"
    );
    // The planted files are still found next to the config findings.
    let files = secrets_of(&report, "rule_findings")
        .into_iter()
        .filter(|(path, ..)| path != "image config")
        .collect::<BTreeSet<_>>();
    assert_eq!(files, expected_layers_secrets());
}

#[test]
fn archives_scanned_only_when_asked() {
    use std::io::Write;

    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("tree");
    std::fs::create_dir_all(&tree).unwrap();
    let mut jar = zip::ZipWriter::new(std::fs::File::create(tree.join("app.jar")).unwrap());
    jar.start_file(
        "BOOT-INF/classes/application.env",
        zip::write::SimpleFileOptions::default(),
    )
    .unwrap();
    jar.write_all(&std::fs::read(planted_sources().join("aws-kept.env")).unwrap())
        .unwrap();
    jar.finish().unwrap();

    let scan_tree = |extra: &[&str]| {
        bulwark(dir.path())
            .args(["scan", "fs", "--scanners", "secret", "-f", "json"])
            .args(extra)
            .arg(&tree)
            .output()
            .unwrap()
    };
    let plain = scan_tree(&[]);
    assert_eq!(plain.status.code(), Some(0), "{}", text(&plain.stderr));
    let with_archives = scan_tree(&["--scan-archives"]);
    assert_eq!(with_archives.status.code(), Some(1));
    let report = json_of(&with_archives);
    let paths: BTreeSet<&str> = report["rule_findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|finding| finding["path"].as_str())
        .collect();
    assert_eq!(
        paths,
        BTreeSet::from(["app.jar!/BOOT-INF/classes/application.env"])
    );
    assert_no_planted_value(&text(&with_archives.stdout), "the archive report");
}
