//! Helpers shared by the integration tests: corpus archives and the
//! Python tools that serve as independent oracles and validators.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Returns the shared corpus of real scan inputs.
pub fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/scan")
}

/// Returns the repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Returns the path and content of every regular member of a `.tar.gz`
/// whose path satisfies `keep`.
pub fn tar_members(archive: &Path, keep: impl Fn(&str) -> bool) -> Vec<(String, Vec<u8>)> {
    let file = std::fs::File::open(archive)
        .unwrap_or_else(|e| panic!("open corpus archive {}: {e}", archive.display()));
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let mut members = Vec::new();
    for entry in tar.entries().expect("tar entries") {
        let mut entry = entry.expect("tar entry");
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let path = entry.path().expect("member path").display().to_string();
        if keep(&path) {
            let mut data = Vec::new();
            entry.read_to_end(&mut data).expect("member reads");
            members.push((path, data));
        }
    }
    members
}

/// Returns the Python interpreter of the test venv: `BULWARK_PYTHON`, or
/// `python3` when unset.
pub fn python() -> String {
    std::env::var("BULWARK_PYTHON").unwrap_or_else(|_| "python3".to_owned())
}

/// Exit status of the Python helpers when a module is missing.
pub const PYTHON_MISSING_MODULE: i32 = 3;

/// Runs a Python script with `args`, feeding `input` on standard input, and
/// returns its exit code, stdout and stderr. Panics with setup instructions
/// when the interpreter cannot start or a module is missing.
pub fn run_python(script: &Path, args: &[&str], input: &[u8]) -> (i32, String, String) {
    let python = python();
    let mut child = Command::new(&python)
        .arg(script)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "failed to run {python} ({e}): create the test venv with \
                 `python3 -m venv /tmp/bulwark-ci-venv && /tmp/bulwark-ci-venv/bin/pip install \
                 -r tests/python-requirements.txt` and set \
                 BULWARK_PYTHON=/tmp/bulwark-ci-venv/bin/python"
            )
        });

    let mut stdin = child.stdin.take().expect("child stdin");
    let input = input.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let output = child.wait_with_output().expect("wait for python");
    writer
        .join()
        .expect("stdin writer thread")
        .expect("write python stdin");

    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let code = output.status.code().unwrap_or(-1);
    assert_ne!(
        code, PYTHON_MISSING_MODULE,
        "a Python module is missing for {python}: {stderr}"
    );
    (code, stdout, stderr)
}

/// Returns the path of a Python helper script of the `bulwark-match`
/// tests. The `bulwark` crate's tests include this module too.
pub fn script(name: &str) -> PathBuf {
    repo_root().join("crates/bulwark-match/tests").join(name)
}

/// Writes `document` to a temporary file named `name` and runs `script`
/// with `args` followed by that file. Returns the exit code and the
/// combined output.
fn validate_with(script: &Path, args: &[&str], name: &str, document: &str) -> (i32, String) {
    let dir = tempfile::tempdir().expect("create a temporary directory");
    let path = dir.path().join(name);
    std::fs::write(&path, document).expect("write the document");
    let mut all_args: Vec<&str> = args.to_vec();
    let path_text = path.display().to_string();
    all_args.push(&path_text);
    let (code, stdout, stderr) = run_python(script, &all_args, b"");
    (code, format!("{stdout}{stderr}"))
}

/// Validates an OpenVEX document against the committed OpenVEX v0.2.0
/// JSON schema and returns the validator's verdict.
pub fn validate_openvex(document: &str) -> (i32, String) {
    let schema = repo_root().join("testdata/schemas/openvex_json_schema.json");
    let schema = schema.display().to_string();
    validate_with(
        &script("validate_openvex.py"),
        &[&schema],
        "report.openvex.json",
        document,
    )
}

/// Validates a CycloneDX document with `tests/validate_sbom.py` (CycloneDX
/// 1.6 schema in strict mode, plus reference and purl checks).
pub fn validate_cyclonedx(document: &str) -> (i32, String) {
    validate_with(
        &repo_root().join("tests/validate_sbom.py"),
        &["cyclonedx"],
        "report.cdx.json",
        document,
    )
}

/// Default install location of the SARIF multitool, as `./test.sh` puts
/// it: `npm install --prefix /tmp/bulwark-sarif-multitool
/// @microsoft/sarif-multitool-linux@5.7.0`.
const SARIF_MULTITOOL: &str =
    "/tmp/bulwark-sarif-multitool/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool";

/// Rule configuration for the multitool. SARIF2006 sends an HTTP GET to
/// every URI in the log to check that it is reachable, so it is disabled:
/// tests reach no host.
const SARIF_RULE_CONFIG: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<Properties>
  <Properties Key="SARIF2006.UrisShouldBeReachable.Options">
    <Property Key="RuleEnabled" Value="Disabled" Type="Driver.RuleEnabledState" />
  </Properties>
</Properties>
"#;

/// Validates a SARIF log with Microsoft's SARIF multitool (`validate` with
/// the SARIF and GitHub rule sets) and returns the error and warning
/// results it reports, one line each: empty means valid. The tool comes
/// from `BULWARK_SARIF_MULTITOOL`, else the default install location. It
/// runs in an empty network namespace when `unshare` allows it.
pub fn validate_sarif(log: &str) -> Vec<String> {
    let tool = std::env::var("BULWARK_SARIF_MULTITOOL").unwrap_or_else(|_| SARIF_MULTITOOL.into());
    assert!(
        Path::new(&tool).is_file(),
        "the SARIF multitool is not at {tool}: install it with `npm install --prefix \
         /tmp/bulwark-sarif-multitool @microsoft/sarif-multitool-linux@5.7.0` or set \
         BULWARK_SARIF_MULTITOOL"
    );

    let dir = tempfile::tempdir().expect("create a temporary directory");
    let input = dir.path().join("report.sarif");
    let output = dir.path().join("validation.sarif");
    let config = dir.path().join("rules.xml");
    std::fs::write(&input, log).expect("write the log");
    std::fs::write(&config, SARIF_RULE_CONFIG).expect("write the rule config");
    let arguments = |command: &mut Command| {
        command
            .arg("validate")
            .arg("--config")
            .arg(&config)
            .args(["--rule-kind", "Sarif;Gh", "--level", "Error;Warning", "-o"])
            .arg(&output)
            .arg(&input);
    };

    let isolated = Command::new("unshare")
        .args(["--net", "true"])
        .output()
        .is_ok_and(|result| result.status.success());
    let mut command = if isolated {
        let mut command = Command::new("unshare");
        command.args(["--net", &tool]);
        command
    } else {
        Command::new(&tool)
    };
    arguments(&mut command);

    let run = command.output().expect("run the SARIF multitool");
    assert!(
        run.status.success(),
        "the SARIF multitool failed: {}{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );

    let verdict: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&output).expect("read the validation log"))
            .expect("the validation log is JSON");
    let mut problems = Vec::new();
    for run in verdict["runs"].as_array().into_iter().flatten() {
        for result in run["results"].as_array().into_iter().flatten() {
            problems.push(format!(
                "{} {}: {}",
                result["level"].as_str().unwrap_or("warning"),
                result["ruleId"].as_str().unwrap_or("?"),
                result["message"]["arguments"]
            ));
        }
    }
    problems
}

/// Package and file of each GHSA sample record, as a scan of a Java and
/// Node.js application would find them: record id, purl of the installed
/// package, installed version and the lockfile that proves it.
pub const GHSA_PACKAGES: [(&str, &str, &str, &str); 4] = [
    (
        "GHSA-jfh8-c2jp-5v3q",
        "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
        "2.14.1",
        "app/lib/log4j-core-2.14.1.jar",
    ),
    (
        "GHSA-57j2-w4cx-62h2",
        "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.9.10.3",
        "2.9.10.3",
        "app/lib/jackson-databind-2.9.10.3.jar",
    ),
    (
        "GHSA-jf85-cpcp-j695",
        "pkg:npm/lodash@4.17.11",
        "4.17.11",
        "web/package-lock.json",
    ),
    (
        "GHSA-xvch-5gv4-984h",
        "pkg:npm/minimist@1.2.0",
        "1.2.0",
        "web/package-lock.json",
    ),
];

/// Builds a finding from a GHSA sample record: its CVE as id, the GHSA id
/// as alias, its summary, CVSS vector, severity, references and the fixed
/// version of its first range, on the package `GHSA_PACKAGES` names.
pub fn ghsa_finding(record_id: &str) -> bulwark_match::Finding {
    use bulwark_match::{AffectedPackage, Cvss, Finding, FixStatus, Severity, SeverityLevel};

    let (_, purl, version, location) = GHSA_PACKAGES
        .iter()
        .find(|(id, ..)| *id == record_id)
        .expect("a GHSA sample record");
    let path = corpus().join(format!("ghsa-sample/{record_id}.json"));
    let record: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).expect("read the GHSA record"))
            .expect("the GHSA record is JSON");
    let text = |value: &serde_json::Value| value.as_str().expect("a string").to_owned();
    let cve = text(&record["aliases"][0]);
    let affected = &record["affected"][0];
    let name = text(&affected["package"]["name"]);
    let ecosystem = text(&affected["package"]["ecosystem"]);
    let fixed = affected["ranges"][0]["events"]
        .as_array()
        .expect("range events")
        .iter()
        .find_map(|event| event.get("fixed").map(text))
        .expect("a fixed version");
    let vector = text(&record["severity"][0]["score"]);
    let level = SeverityLevel::parse(
        record["database_specific"]["severity"]
            .as_str()
            .expect("severity"),
    )
    .expect("a known severity word");
    let mut references: Vec<String> = record["references"]
        .as_array()
        .expect("references")
        .iter()
        .map(|reference| text(&reference["url"]))
        .collect();
    references.sort();
    references.dedup();

    Finding {
        id: cve,
        aliases: vec![record_id.to_owned()],
        advisories: vec![record_id.to_owned()],
        package: AffectedPackage {
            id: format!("{ecosystem}:{name}@{version}"),
            name,
            kind: if ecosystem == "npm" { "npm" } else { "maven" }.to_owned(),
            ecosystem,
            advisory_name: None,
            version: (*version).to_owned(),
            purl: (*purl).to_owned(),
            layer: None,
            locations: vec![(*location).to_owned()],
        },
        status: FixStatus::Fixed,
        fixed_versions: vec![fixed],
        severity: Severity {
            level,
            source: record_id.to_owned(),
            cvss: Some(Cvss {
                version: vector["CVSS:".len()..vector.find('/').expect("a vector")].to_owned(),
                vector,
                score: None,
            }),
        },
        kev: None,
        epss: None,
        title: record["summary"].as_str().map(str::to_owned),
        references,
        suppressed: None,
        notes: Vec::new(),
        cwes: record["database_specific"]["cwe_ids"]
            .as_array()
            .expect("CWE ids")
            .iter()
            .map(text)
            .collect(),
    }
}

/// Returns a report of an image scan with one finding per GHSA sample
/// record, ranked as scans rank them.
pub fn ghsa_report() -> bulwark_match::Report {
    let mut report = bulwark_match::Report::new(bulwark_match::TargetInfo {
        name: "registry.example.com/shop:1.4".to_owned(),
        kind: "image".to_owned(),
        digest: Some(
            "sha256:4f1a0c1d2b3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a".to_owned(),
        ),
        repo_tags: vec!["registry.example.com/shop:1.4".to_owned()],
        architecture: Some("amd64".to_owned()),
    });
    report.packages = GHSA_PACKAGES.len();
    report.findings = GHSA_PACKAGES
        .iter()
        .map(|(id, ..)| ghsa_finding(id))
        .collect();
    report.settle_suppressions();
    report
}
