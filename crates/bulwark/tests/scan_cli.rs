//! End-to-end tests of `bulwark scan` through the real binary, on the
//! committed Alpine image and advisory data, and on SBOMs matched against
//! real GHSA, PyPI and KEV feeds from the corpus.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use serde_json::{Value, json};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/scan")
}

fn bulwark() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_bulwark"));
    command
        .current_dir(repo())
        .env_remove("BULWARK_CACHE_DIR")
        .env_remove("BULWARK_FORMAT")
        .env_remove("BULWARK_OUTPUT");
    command
}

fn run(command: &mut Command) -> Output {
    command.output().expect("bulwark runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn import(cache: &Path, inputs: &[PathBuf]) {
    let output = run(bulwark()
        .args(["db", "import", "--cache-dir"])
        .arg(cache)
        .args(inputs));
    assert!(
        output.status.success(),
        "import failed: {}",
        text(&output.stderr)
    );
}

/// A database with the committed Alpine 3.19 secdb, shared by the tests.
fn alpine_cache() -> &'static Path {
    static CACHE: OnceLock<tempfile::TempDir> = OnceLock::new();
    CACHE
        .get_or_init(|| {
            let dir = tempfile::tempdir().unwrap();
            import(dir.path(), &[repo().join("testdata/vulndb/alpine-v3.19")]);
            dir
        })
        .path()
}

/// A database with the GHSA sample, PyPA's advisories and the KEV catalog.
fn language_cache() -> &'static Path {
    static CACHE: OnceLock<tempfile::TempDir> = OnceLock::new();
    CACHE
        .get_or_init(|| {
            let dir = tempfile::tempdir().unwrap();
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

fn scan_image(extra: &[&str]) -> Output {
    run(bulwark()
        .args(["scan", "image", "--cache-dir"])
        .arg(alpine_cache())
        .arg("oci:testdata/images/alpine-3.19")
        .args(extra))
}

fn json_of(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}); stderr: {}", text(&output.stderr)))
}

/// Writes a CycloneDX 1.5 SBOM listing `purls`, with an OS component when
/// `os` is set.
fn write_sbom(dir: &Path, name: &str, purls: &[&str], os: Option<(&str, &str)>) -> PathBuf {
    let mut components: Vec<Value> = purls
        .iter()
        .map(|purl| json!({"type": "library", "name": purl, "purl": purl}))
        .collect();
    if let Some((family, version)) = os {
        components.push(json!({"type": "operating-system", "name": family, "version": version}));
    }
    let document = json!({
        "bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
        "components": components,
    });
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_vec_pretty(&document).unwrap()).unwrap();
    path
}

fn scan_sbom(sbom: &Path, extra: &[&str]) -> Output {
    run(bulwark()
        .args(["scan", "sbom", "--cache-dir"])
        .arg(language_cache())
        .arg(sbom)
        .args(extra))
}

/// Ids of the findings in a JSON report, as (package name, id) pairs.
fn findings(report: &Value) -> BTreeSet<(String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["package"]["name"].as_str().unwrap().to_owned(),
                f["id"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// CVE ids in the KEV catalog of the corpus.
fn kev_cves() -> BTreeSet<String> {
    let data =
        std::fs::read(corpus().join("cisa-kev/known_exploited_vulnerabilities.json")).unwrap();
    let catalog: Value = serde_json::from_slice(&data).unwrap();
    catalog["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["cveID"].as_str().unwrap().to_owned())
        .collect()
}

/// The expected findings of the Alpine image, computed from the secdb file
/// and the image's apk database: every secfix of a package's origin whose
/// fixed version is above the installed version.
fn expected_alpine_findings() -> BTreeSet<(String, String, String)> {
    let secdb: Value = serde_json::from_slice(
        &std::fs::read(repo().join("testdata/vulndb/alpine-v3.19/v3.19/main.json")).unwrap(),
    )
    .unwrap();
    let inventory =
        run(bulwark().args(["sbom", "-f", "json", "oci:testdata/images/alpine-3.19"])).stdout;
    let inventory: Value = serde_json::from_slice(&inventory).unwrap();
    let mut expected = BTreeSet::new();
    for package in inventory["packages"].as_array().unwrap() {
        let name = package["name"].as_str().unwrap();
        let version = package["version"].as_str().unwrap();
        let origin = package["source_name"].as_str().unwrap_or(name);
        for entry in secdb["packages"].as_array().unwrap() {
            if entry["pkg"]["name"] != origin {
                continue;
            }
            let Some(secfixes) = entry["pkg"]["secfixes"].as_object() else {
                continue;
            };
            for (fixed, ids) in secfixes {
                let newer = bulwark_version::compare(bulwark_version::Scheme::Apk, version, fixed)
                    .unwrap()
                    .is_lt();
                if !newer {
                    continue;
                }
                for id in ids.as_array().unwrap() {
                    let id = id.as_str().unwrap().split_whitespace().next().unwrap();
                    expected.insert((name.to_owned(), id.to_owned(), fixed.clone()));
                }
            }
        }
    }
    expected
}

#[test]
fn alpine_image_reports_every_open_secfix() {
    let output = scan_image(&["-f", "json"]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let report = json_of(&output);
    let got: BTreeSet<(String, String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["package"]["name"].as_str().unwrap().to_owned(),
                f["id"].as_str().unwrap().to_owned(),
                f["fixed_versions"][0].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected = expected_alpine_findings();
    assert!(
        !expected.is_empty(),
        "the secdb has open fixes for the image"
    );
    assert_eq!(got, expected);
    assert_eq!(report["os"]["ecosystem"], "Alpine:v3.19");
    assert_eq!(report["packages"], 15);
    assert_eq!(report["summary"]["total"], expected.len());
}

#[test]
fn table_shows_upgrade_target_and_summary() {
    let output = scan_image(&[]);
    assert_eq!(output.status.code(), Some(1));
    let table = text(&output.stdout);
    assert!(
        table.contains("OS: alpine 3.19.4 (Alpine:v3.19)"),
        "{table}"
    );
    assert!(table.contains("UPGRADE TO"), "{table}");
    for (package, id, fixed) in expected_alpine_findings() {
        let line = table
            .lines()
            .find(|l| l.contains(&id) && (l.starts_with(&package) || l.starts_with(' ')))
            .unwrap_or_else(|| panic!("no row for {package} {id}: {table}"));
        assert!(line.contains(&fixed), "{line}");
    }
    assert!(table.contains("Total: "), "{table}");
}

#[test]
fn scans_are_byte_identical() {
    for format in ["json", "table", "sarif", "cyclonedx", "openvex"] {
        let scan = || {
            run(bulwark()
                .env_remove("SOURCE_DATE_EPOCH")
                .args(["scan", "image", "--cache-dir"])
                .arg(alpine_cache())
                .arg("oci:testdata/images/alpine-3.19")
                .args(["-f", format]))
        };
        let first = scan();
        // Let the clock move to another second: documents that carry a
        // time must take it from the input and database, not the clock.
        std::thread::sleep(std::time::Duration::from_millis(1100));
        let second = scan();
        assert!(!first.stdout.is_empty(), "{format}: no output");
        assert_eq!(first.stdout, second.stdout, "{format} output differs");
    }
}

#[test]
fn output_file_matches_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.json");
    let to_file = scan_image(&["-f", "json", "-o", path.to_str().unwrap()]);
    assert_eq!(to_file.status.code(), Some(1));
    assert!(to_file.stdout.is_empty());
    assert_eq!(
        std::fs::read(&path).unwrap(),
        scan_image(&["-f", "json"]).stdout
    );
}

#[test]
fn fail_on_threshold_and_exit_zero() {
    // The Alpine secdb rates nothing, so every finding is `unknown`.
    assert_eq!(scan_image(&["--fail-on", "unknown"]).status.code(), Some(1));
    assert_eq!(scan_image(&["--fail-on", "low"]).status.code(), Some(0));
    assert_eq!(scan_image(&["--exit-zero"]).status.code(), Some(0));
    let filtered = scan_image(&["-f", "json", "--severity", "high,critical"]);
    assert_eq!(filtered.status.code(), Some(0));
    assert_eq!(json_of(&filtered)["summary"]["total"], 0);
}

#[test]
fn missing_database_exits_2_with_advice() {
    let dir = tempfile::tempdir().unwrap();
    let output = run(bulwark()
        .args(["scan", "image", "--cache-dir"])
        .arg(dir.path())
        .arg("oci:testdata/images/alpine-3.19"));
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("bulwark db import"), "{stderr}");
    assert!(stderr.contains("bulwark db update"), "{stderr}");
}

#[test]
fn invalid_scanner_lists_are_errors() {
    let output = scan_image(&["--scanners", "vuln,unknown"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("unknown scanner"));
    let dir = tempfile::tempdir().unwrap();
    let sbom = write_sbom(dir.path(), "empty.json", &[], None);
    for scanner in ["secret", "misconfig"] {
        let output = scan_sbom(&sbom, &["--scanners", scanner]);
        assert_eq!(output.status.code(), Some(2), "{scanner}");
        assert!(
            text(&output.stderr).contains("an SBOM has none"),
            "{scanner}"
        );
    }
    assert_eq!(scan_image(&["--scanners", "vuln"]).status.code(), Some(1));
}

#[test]
fn unknown_release_is_a_note_not_a_result() {
    let dir = tempfile::tempdir().unwrap();
    let sbom = write_sbom(
        dir.path(),
        "alpine-3-99.json",
        &["pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64"],
        Some(("alpine", "3.99.1")),
    );
    let output = run(bulwark()
        .args(["scan", "sbom", "-f", "json", "--cache-dir"])
        .arg(alpine_cache())
        .arg(&sbom));
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let report = json_of(&output);
    let codes: Vec<&str> = report["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"unknown-os-release"), "{codes:?}");
    assert!(report["os"].get("ecosystem").is_none());
    // The same package on the known release is checked.
    let known = write_sbom(
        dir.path(),
        "alpine-3-19.json",
        &["pkg:apk/alpine/musl@1.2.4_git20230717-r4?arch=x86_64"],
        Some(("alpine", "3.19.4")),
    );
    let output = run(bulwark()
        .args(["scan", "sbom", "-f", "json", "--cache-dir"])
        .arg(alpine_cache())
        .arg(&known));
    let report = json_of(&output);
    assert_eq!(report["os"]["ecosystem"], "Alpine:v3.19");
    assert!(report.get("notes").is_none(), "{report}");
}

#[test]
fn log4j_advisory_never_matches_npm() {
    let dir = tempfile::tempdir().unwrap();
    let sbom = write_sbom(
        dir.path(),
        "mixed.json",
        &[
            "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
            "pkg:npm/log4j@2.14.1",
            "pkg:npm/log4j-core@2.14.1",
            "pkg:npm/%40apache/log4j-core@2.14.1",
        ],
        None,
    );
    let output = scan_sbom(&sbom, &["-f", "json"]);
    let report = json_of(&output);
    let found = findings(&report);
    assert!(
        found.contains(&(
            "org.apache.logging.log4j:log4j-core".to_owned(),
            "CVE-2021-44228".to_owned()
        )),
        "{found:?}"
    );
    for finding in report["findings"].as_array().unwrap() {
        assert_eq!(
            finding["package"]["kind"], "maven",
            "an npm package matched: {finding}"
        );
    }
}

#[test]
fn kev_severity_and_unfixed_flags() {
    let dir = tempfile::tempdir().unwrap();
    let sbom = write_sbom(
        dir.path(),
        "apps.json",
        &[
            "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
            "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.12.0",
            "pkg:npm/lodash@4.17.11",
            "pkg:npm/minimist@1.2.0",
            "pkg:pypi/gateone@1.2.0",
        ],
        None,
    );
    let full = json_of(&scan_sbom(&sbom, &["-f", "json"]));
    let all = full["findings"].as_array().unwrap().clone();
    assert!(all.len() >= 5, "{all:?}");

    // KEV entries come from the catalog for exactly the listed CVEs, and
    // known-exploited findings rank first.
    let kev = kev_cves();
    for finding in &all {
        let ids: Vec<&str> = std::iter::once(&finding["id"])
            .chain(finding["aliases"].as_array().into_iter().flatten())
            .map(|v| v.as_str().unwrap())
            .collect();
        let listed = ids.iter().any(|id| kev.contains(*id));
        assert_eq!(finding.get("kev").is_some(), listed, "{finding}");
    }
    let first_without_kev = all.iter().position(|f| f.get("kev").is_none());
    let last_with_kev = all.iter().rposition(|f| f.get("kev").is_some());
    if let (Some(first), Some(last)) = (first_without_kev, last_with_kev) {
        assert!(last < first, "KEV findings must come first");
    }

    // The PyPI advisory for gateone names no fix.
    let gateone: Vec<&Value> = all
        .iter()
        .filter(|f| f["package"]["name"] == "gateone")
        .collect();
    assert!(!gateone.is_empty());
    assert!(gateone.iter().all(|f| f["status"] == "affected"));
    let fixed_only = json_of(&scan_sbom(&sbom, &["-f", "json", "--ignore-unfixed"]));
    let expected: BTreeSet<_> = findings(&full)
        .into_iter()
        .filter(|(name, _)| name != "gateone")
        .collect();
    assert_eq!(findings(&fixed_only), expected);

    // --severity keeps exactly the findings of those levels.
    let critical = json_of(&scan_sbom(&sbom, &["-f", "json", "--severity", "critical"]));
    let expected: BTreeSet<_> = all
        .iter()
        .filter(|f| f["severity"]["level"] == "critical")
        .map(|f| {
            (
                f["package"]["name"].as_str().unwrap().to_owned(),
                f["id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(findings(&critical), expected);

    // --fail-on-kev alone fails only when a KEV finding exists.
    let has_kev = all.iter().any(|f| f.get("kev").is_some());
    let code = scan_sbom(&sbom, &["--fail-on-kev"]).status.code();
    assert_eq!(code, Some(if has_kev { 1 } else { 0 }));
    let no_kev = write_sbom(
        dir.path(),
        "gateone.json",
        &["pkg:pypi/gateone@1.2.0"],
        None,
    );
    assert_eq!(
        scan_sbom(&no_kev, &["--fail-on-kev"]).status.code(),
        Some(0)
    );
    assert_eq!(scan_sbom(&no_kev, &[]).status.code(), Some(1));
}

#[test]
fn invalid_sbom_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.json");
    std::fs::write(&path, b"{\"bomFormat\": ").unwrap();
    let output = scan_sbom(&path, &[]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("broken.json"), "{stderr}");
    assert!(stderr.contains("invalid JSON"), "{stderr}");
    std::fs::write(&path, b"{\"hello\": 1}").unwrap();
    let stderr = text(&scan_sbom(&path, &[]).stderr);
    assert!(stderr.contains("not a CycloneDX or SPDX"), "{stderr}");
}

#[test]
fn fs_scan_reads_lockfiles() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("package-lock.json"),
        serde_json::to_vec_pretty(&json!({
            "name": "app", "version": "1.0.0", "lockfileVersion": 3,
            "packages": {
                "": {"name": "app", "version": "1.0.0", "dependencies": {"minimist": "1.2.0"}},
                "node_modules/minimist": {"version": "1.2.0"}
            }
        }))
        .unwrap(),
    )
    .unwrap();
    let output = run(bulwark()
        .args(["scan", "fs", "-f", "json", "--cache-dir"])
        .arg(language_cache())
        .arg(dir.path()));
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let found = findings(&json_of(&output));
    assert!(
        found.contains(&("minimist".to_owned(), "CVE-2021-44906".to_owned())),
        "{found:?}"
    );
    let missing = run(bulwark()
        .args(["scan", "fs", "--cache-dir"])
        .arg(language_cache())
        .arg(dir.path().join("nope")));
    assert_eq!(missing.status.code(), Some(2));
}
