//! `bulwark scan` with exceptions (`--config`, `.bulwark.yaml`), VEX input
//! (`--vex`) and the SARIF, OpenVEX and CycloneDX outputs, through the real
//! binary: on the committed Alpine image and advisory data, and on SBOMs
//! matched against the GHSA sample, PyPA's advisories and the KEV catalog
//! with Chainguard's real OpenVEX documents.

#[path = "../../bulwark-match/tests/support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use serde_json::{Value, json};
use support::{
    corpus, repo_root, tar_members, validate_cyclonedx, validate_openvex, validate_sarif,
};

/// 2024-06-01T00:00:00Z, a day before every exception here expires.
const BEFORE_EXPIRY: &str = "1717200000";
/// 2024-07-01T00:00:00Z, after they expire.
const AFTER_EXPIRY: &str = "1719792000";
/// Expiry date of the exceptions.
const EXPIRES: &str = "2024-06-30";

fn bulwark(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_bulwark"));
    command
        .current_dir(dir)
        .env("SOURCE_DATE_EPOCH", BEFORE_EXPIRY)
        .env_remove("BULWARK_CACHE_DIR")
        .env_remove("BULWARK_FORMAT")
        .env_remove("BULWARK_OUTPUT");
    command
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn json_of(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}); stderr: {}", text(&output.stderr)))
}

fn import(cache: &Path, inputs: &[PathBuf]) {
    let output = bulwark(cache)
        .args(["db", "import", "--cache-dir"])
        .arg(cache)
        .args(inputs)
        .output()
        .expect("bulwark runs");
    assert!(
        output.status.success(),
        "import failed: {}",
        text(&output.stderr)
    );
}

/// Returns a database with the committed Alpine 3.19 secdb.
fn alpine_cache() -> &'static Path {
    static CACHE: OnceLock<tempfile::TempDir> = OnceLock::new();
    CACHE
        .get_or_init(|| {
            let dir = tempfile::tempdir().expect("temporary directory");
            import(
                dir.path(),
                &[repo_root().join("testdata/vulndb/alpine-v3.19")],
            );
            dir
        })
        .path()
}

/// Returns a database with the GHSA sample, PyPA's advisories and the KEV
/// catalog.
fn language_cache() -> &'static Path {
    static CACHE: OnceLock<tempfile::TempDir> = OnceLock::new();
    CACHE
        .get_or_init(|| {
            let dir = tempfile::tempdir().expect("temporary directory");
            import(
                dir.path(),
                &[
                    corpus().join("ghsa-sample"),
                    corpus().join("pypa-advisory-database/vulns.tar.gz"),
                    corpus().join("cisa-kev/known_exploited_vulnerabilities.json"),
                ],
            );
            dir
        })
        .path()
}

/// Scans the committed Alpine image from `dir` with `extra` arguments.
fn scan_alpine(dir: &Path, extra: &[&str]) -> Output {
    let image = format!(
        "oci:{}",
        repo_root().join("testdata/images/alpine-3.19").display()
    );
    bulwark(dir)
        .args(["scan", "image", "--cache-dir"])
        .arg(alpine_cache())
        .arg(image)
        .args(extra)
        .output()
        .expect("bulwark runs")
}

/// Returns the Alpine findings without policy, as (id, package name)
/// pairs.
fn alpine_findings() -> Vec<(String, String)> {
    let dir = tempfile::tempdir().expect("temporary directory");
    let report = json_of(&scan_alpine(dir.path(), &["-f", "json"]));
    let findings: Vec<(String, String)> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["id"].as_str().expect("id").to_owned(),
                f["package"]["name"].as_str().expect("name").to_owned(),
            )
        })
        .collect();
    assert!(findings.len() >= 2, "the image has findings: {findings:?}");
    findings
}

fn exception(id: &str, scope: &str) -> String {
    format!(
        "  - vulnerability: {id}\n{scope}    reason: TLS is terminated at the proxy\n    owner: platform-team\n    expires: {EXPIRES}\n"
    )
}

fn write_config(dir: &Path, entries: &str) -> PathBuf {
    let path = dir.join("policy.yaml");
    std::fs::write(&path, format!("exceptions:\n{entries}")).expect("write config");
    path
}

fn ids(report: &Value, list: &str) -> Vec<(String, String)> {
    let mut ids: Vec<(String, String)> = report[list]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|f| {
                    (
                        f["id"].as_str().expect("id").to_owned(),
                        f["package"]["name"].as_str().expect("name").to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    ids.sort();
    ids
}

#[test]
fn exception_suppresses_and_lists_finding() {
    let findings = alpine_findings();
    let (id, package) = findings[0].clone();
    let dir = tempfile::tempdir().expect("temporary directory");
    let config = write_config(
        dir.path(),
        &exception(&id, &format!("    package: {package}\n")),
    );
    let config = config.to_str().expect("UTF-8 path");

    let output = scan_alpine(dir.path(), &["-f", "json", "--config", config]);
    let report = json_of(&output);
    assert_eq!(ids(&report, "suppressed"), [(id.clone(), package.clone())]);
    assert_eq!(ids(&report, "findings").len(), findings.len() - 1);
    assert_eq!(report["summary"]["suppressed"], 1);
    let suppression = &report["suppressed"][0]["suppressed"];
    assert_eq!(suppression["kind"], "exception");
    assert_eq!(suppression["owner"], "platform-team");
    assert_eq!(suppression["expires"], EXPIRES);
    assert_eq!(suppression["reason"], "TLS is terminated at the proxy");
    assert_eq!(output.status.code(), Some(1), "other findings still fail");

    let table = scan_alpine(dir.path(), &["--config", config]);
    let table = text(&table.stdout);
    let line = table
        .lines()
        .find(|l| l.starts_with("suppressed: "))
        .unwrap_or_else(|| panic!("no suppressed line: {table}"));
    assert!(line.contains(&id), "{line}");
    assert!(line.contains("owner platform-team"), "{line}");

    // One exception per finding suppresses everything: the build passes.
    let entries: String = findings.iter().map(|(id, _)| exception(id, "")).collect();
    let config = write_config(dir.path(), &entries);
    let output = scan_alpine(
        dir.path(),
        &["-f", "json", "--config", config.to_str().expect("path")],
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let report = json_of(&output);
    assert_eq!(report["summary"]["total"], 0);
    assert_eq!(ids(&report, "suppressed").len(), findings.len());
}

#[test]
fn expired_exception_fails_again() {
    let findings = alpine_findings();
    let dir = tempfile::tempdir().expect("temporary directory");
    let entries: String = findings.iter().map(|(id, _)| exception(id, "")).collect();
    let config = write_config(dir.path(), &entries);
    let config = config.to_str().expect("UTF-8 path");

    let in_force = scan_alpine(dir.path(), &["-f", "json", "--config", config]);
    assert_eq!(
        in_force.status.code(),
        Some(0),
        "{}",
        text(&in_force.stderr)
    );

    let expired = bulwark(dir.path())
        .env("SOURCE_DATE_EPOCH", AFTER_EXPIRY)
        .args([
            "scan",
            "image",
            "-f",
            "json",
            "--config",
            config,
            "--cache-dir",
        ])
        .arg(alpine_cache())
        .arg(format!(
            "oci:{}",
            repo_root().join("testdata/images/alpine-3.19").display()
        ))
        .output()
        .expect("bulwark runs");
    assert_eq!(expired.status.code(), Some(1), "{}", text(&expired.stderr));
    let report = json_of(&expired);
    assert_eq!(ids(&report, "findings").len(), findings.len());
    assert!(ids(&report, "suppressed").is_empty());
    for finding in report["findings"].as_array().expect("findings") {
        let note = &finding["notes"][0];
        assert_eq!(note["code"], "exception-expired", "{finding}");
        let message = note["message"].as_str().expect("message");
        assert!(
            message.contains(&format!("expired after {EXPIRES}")),
            "{message}"
        );
    }

    let table = bulwark(dir.path())
        .env("SOURCE_DATE_EPOCH", AFTER_EXPIRY)
        .args(["scan", "image", "--config", config, "--cache-dir"])
        .arg(alpine_cache())
        .arg(format!(
            "oci:{}",
            repo_root().join("testdata/images/alpine-3.19").display()
        ))
        .output()
        .expect("bulwark runs");
    assert_eq!(table.status.code(), Some(1));
    assert!(
        text(&table.stdout).contains("expired after"),
        "{}",
        text(&table.stdout)
    );
}

#[test]
fn working_directory_config_is_read() {
    let (id, _) = alpine_findings()[0].clone();
    let dir = tempfile::tempdir().expect("temporary directory");
    std::fs::write(
        dir.path().join(".bulwark.yaml"),
        format!("exceptions:\n{}", exception(&id, "")),
    )
    .expect("write .bulwark.yaml");
    let report = json_of(&scan_alpine(dir.path(), &["-f", "json"]));
    let suppressed = ids(&report, "suppressed");
    assert!(
        suppressed.iter().all(|(found, _)| *found == id),
        "{suppressed:?}"
    );
    assert!(!suppressed.is_empty());
    let source = report["suppressed"][0]["suppressed"]["source"]
        .as_str()
        .expect("source");
    assert!(source.contains(".bulwark.yaml exceptions[0]"), "{source}");
}

#[test]
fn invalid_config_exits_2() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let cases = [
        (
            "exceptions:\n  - vulnerability: CVE-2024-9143\n    reason: r\n    ownr: o\n    expires: 2030-01-01\n",
            "unknown field `ownr`",
        ),
        (
            "exceptions:\n  - vulnerability: CVE-2024-9143\n    reason: r\n",
            "exceptions[0] (CVE-2024-9143): missing `owner`, `expires`",
        ),
        (
            "exceptions:\n  - vulnerability: CVE-2024-9143\n    reason: r\n    owner: o\n    expires: next year\n",
            "`expires` is \"next year\", expected a date as YYYY-MM-DD",
        ),
    ];
    for (content, expected) in cases {
        let path = dir.path().join("bad.yaml");
        std::fs::write(&path, content).expect("write config");
        let output = scan_alpine(dir.path(), &["--config", path.to_str().expect("path")]);
        assert_eq!(output.status.code(), Some(2), "{content}");
        let stderr = text(&output.stderr);
        assert!(stderr.contains("bad.yaml"), "{stderr}");
        assert!(stderr.contains(expected), "{stderr}");
    }
    let missing = scan_alpine(dir.path(), &["--config", "/nonexistent/policy.yaml"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(text(&missing.stderr).contains("/nonexistent/policy.yaml"));
}

#[test]
fn invalid_source_date_epoch_exits_2() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let output = bulwark(dir.path())
        .env("SOURCE_DATE_EPOCH", "tomorrow")
        .args(["scan", "image", "--cache-dir"])
        .arg(alpine_cache())
        .arg(format!(
            "oci:{}",
            repo_root().join("testdata/images/alpine-3.19").display()
        ))
        .output()
        .expect("bulwark runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("invalid SOURCE_DATE_EPOCH \"tomorrow\""));
}

/// Writes a CycloneDX SBOM listing `purls` into `dir`.
fn write_sbom(dir: &Path, purls: &[&str]) -> PathBuf {
    let components: Vec<Value> = purls
        .iter()
        .map(|purl| json!({"type": "library", "name": purl, "purl": purl}))
        .collect();
    let document = json!({
        "bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
        "components": components,
    });
    let path = dir.join("app.cdx.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&document).expect("JSON")).expect("write");
    path
}

/// Writes Chainguard's OpenVEX documents for urllib3 and joblib from the
/// vunnel fixtures into `dir` and returns their paths.
fn chainguard_vex(dir: &Path) -> Vec<PathBuf> {
    let members = tar_members(
        &corpus().join("anchore-vunnel-fixtures/test-fixtures.tar.gz"),
        |path| {
            path.contains("chainguard_libraries/test-fixtures/input/openvex/pypi/")
                && path.ends_with(".openvex.json")
        },
    );
    assert_eq!(members.len(), 2, "urllib3 and joblib documents");
    members
        .into_iter()
        .map(|(path, data)| {
            let name = Path::new(&path).file_name().expect("file name");
            let target = dir.join(name);
            std::fs::write(&target, data).expect("write VEX");
            target
        })
        .collect()
}

/// The packages of the language SBOM: the versions Chainguard's documents
/// name, and the GHSA sample's minimist and log4j.
const LANGUAGE_PURLS: [&str; 4] = [
    "pkg:pypi/urllib3@1.26.16%2Bcgr.0",
    "pkg:pypi/joblib@1.0.0%2Bcgr.1",
    "pkg:npm/minimist@1.2.0",
    "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
];

/// Writes our own OpenVEX document: minimist not affected, log4j affected.
fn own_vex(dir: &Path) -> PathBuf {
    let document = json!({
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": "https://example.com/vex/app",
        "author": "App team",
        "timestamp": "2024-05-01T00:00:00Z",
        "version": 1,
        "statements": [
            {
                "vulnerability": {"name": "GHSA-xvch-5gv4-984h"},
                "products": [{"@id": "pkg:npm/minimist@1.2.0"}],
                "status": "not_affected",
                "justification": "vulnerable_code_not_in_execute_path",
            },
            {
                "vulnerability": {"name": "CVE-2021-44228"},
                "products": [{"@id": "pkg:maven/org.apache.logging.log4j/log4j-core"}],
                "status": "affected",
                "action_statement": "Upgrade log4j-core this sprint",
            },
        ],
    });
    let path = dir.join("app.openvex.json");
    std::fs::write(&path, document.to_string()).expect("write VEX");
    path
}

fn scan_language(dir: &Path, extra: &[&str]) -> Output {
    let sbom = write_sbom(dir, &LANGUAGE_PURLS);
    let mut command = bulwark(dir);
    command
        .args(["scan", "sbom", "--cache-dir"])
        .arg(language_cache())
        .arg(sbom)
        .args(extra);
    for path in chainguard_vex(dir).into_iter().chain([own_vex(dir)]) {
        command.arg("--vex").arg(path);
    }
    command.output().expect("bulwark runs")
}

#[test]
fn vex_not_affected_suppresses_affected_keeps() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let baseline = bulwark(dir.path())
        .args(["scan", "sbom", "-f", "json", "--cache-dir"])
        .arg(language_cache())
        .arg(write_sbom(dir.path(), &LANGUAGE_PURLS))
        .output()
        .expect("bulwark runs");
    let baseline = ids(&json_of(&baseline), "findings");
    for expected in [
        "CVE-2023-45803",
        "CVE-2022-21797",
        "CVE-2021-44906",
        "CVE-2021-44228",
    ] {
        assert!(
            baseline.iter().any(|(id, _)| id == expected),
            "{expected}: {baseline:?}"
        );
    }

    let output = scan_language(dir.path(), &["-f", "json"]);
    let report = json_of(&output);
    let suppressed: Vec<String> = ids(&report, "suppressed")
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    assert_eq!(
        suppressed,
        ["CVE-2021-44906", "CVE-2022-21797", "CVE-2023-45803"],
        "Chainguard's fixed statements and our not_affected one"
    );
    for finding in report["suppressed"].as_array().expect("suppressed") {
        let suppression = &finding["suppressed"];
        assert_eq!(suppression["kind"], "vex");
        let expected = if finding["id"] == "CVE-2021-44906" {
            "not_affected"
        } else {
            "fixed"
        };
        assert_eq!(suppression["status"], expected, "{finding}");
    }
    let log4j = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["id"] == "CVE-2021-44228")
        .expect("log4j stays active");
    assert_eq!(log4j["notes"][0]["code"], "vex-affected");
    assert!(
        log4j["notes"][0]["message"]
            .as_str()
            .expect("message")
            .contains("this sprint"),
        "{log4j}"
    );
    assert_eq!(output.status.code(), Some(1), "active findings still fail");
    assert_eq!(
        ids(&report, "findings").len(),
        baseline.len() - suppressed.len(),
        "nothing is dropped"
    );
}

#[test]
fn invalid_vex_exits_2() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("broken.openvex.json");
    std::fs::write(
        &path,
        r#"{"@context": "https://openvex.dev/ns/v0.2.0", "statements": [{"vulnerability": {"name": "CVE-1"}, "status": "fine"}]}"#,
    )
    .expect("write VEX");
    let output = scan_alpine(dir.path(), &["--vex", path.to_str().expect("path")]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("broken.openvex.json"), "{stderr}");
    assert!(
        stderr.contains("statements[0]: unknown status \"fine\""),
        "{stderr}"
    );
}

#[test]
fn report_formats_validate() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let config = write_config(
        dir.path(),
        &exception(
            "CVE-2021-44228",
            "    package: org.apache.logging.log4j:log4j-core\n",
        ),
    );
    let config = config.to_str().expect("path").to_owned();
    let args = |format: &'static str| vec!["-f", format, "--exit-zero", "--config", &config];

    let sarif = scan_language(dir.path(), &args("sarif"));
    assert_eq!(sarif.status.code(), Some(0), "{}", text(&sarif.stderr));
    let problems = validate_sarif(&text(&sarif.stdout));
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    let log: Value = serde_json::from_slice(&sarif.stdout).expect("SARIF is JSON");
    let results = log["runs"][0]["results"].as_array().expect("results");
    assert!(
        results.iter().any(|r| r.get("suppressions").is_some()),
        "suppressed findings stay in the log"
    );

    let openvex = scan_language(dir.path(), &args("openvex"));
    let (code, verdict) = validate_openvex(&text(&openvex.stdout));
    assert_eq!(code, 0, "{verdict}");
    let document: Value = serde_json::from_slice(&openvex.stdout).expect("OpenVEX is JSON");
    assert_eq!(
        document["timestamp"], "2024-06-01T00:00:00Z",
        "from SOURCE_DATE_EPOCH"
    );

    let cyclonedx = scan_language(dir.path(), &args("cyclonedx"));
    let (code, verdict) = validate_cyclonedx(&text(&cyclonedx.stdout));
    assert_eq!(code, 0, "{verdict}");

    for (format, first) in [
        ("sarif", &sarif),
        ("openvex", &openvex),
        ("cyclonedx", &cyclonedx),
    ] {
        let again = scan_language(dir.path(), &args(format));
        assert_eq!(
            again.stdout, first.stdout,
            "{format} output is reproducible"
        );
    }
}
