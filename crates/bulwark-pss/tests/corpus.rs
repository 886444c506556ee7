//! Checks every fixture of the upstream Pod Security admission test data:
//! `{baseline,restricted}/v1.N/{pass,fail}/<check id><i>.yaml`.
//!
//! A `pass` fixture must be allowed at its level and version. A `fail`
//! fixture must be denied, and the denying controls must include the check
//! its file name names or, at the restricted level, the restricted check
//! that replaces that baseline check at that version. Some fixtures fail
//! other controls too (a privileged container also lacks
//! `allowPrivilegeEscalation: false`), so other failures are allowed.

use std::fs;
use std::path::{Path, PathBuf};

use bulwark_pss::{Level, Version, evaluate_pod, pod_templates};

const CORPUS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/corpus/config/k8s-pod-security-admission"
);

/// Baseline checks that a restricted check replaces at the restricted level,
/// with the first minor version the replacement applies to. Written down
/// from the upstream check definitions, independently of the crate's
/// registry, so that a wrong replacement there fails this test.
const RESTRICTED_REPLACEMENTS: &[(&str, &str, u32)] = &[
    ("hostPathVolumes", "restrictedVolumes", 0),
    ("seccompProfile_baseline", "seccompProfile_restricted", 19),
    ("capabilities_baseline", "capabilities_restricted", 22),
    ("procMount", "procMount_restricted", 35),
];

struct Fixture {
    path: PathBuf,
    level: Level,
    minor: u32,
    expect_pass: bool,
    /// Lowercase check id from the file name, `None` for `base*` fixtures.
    check: Option<String>,
}

fn fixtures(root: &Path) -> Vec<Fixture> {
    let mut found = Vec::new();
    for (level_dir, level) in [
        ("baseline", Level::Baseline),
        ("restricted", Level::Restricted),
    ] {
        let level_path = root.join(level_dir);
        for version_entry in
            fs::read_dir(&level_path).unwrap_or_else(|e| panic!("{}: {e}", level_path.display()))
        {
            let version_path = version_entry.unwrap().path();
            let version_name = version_path.file_name().unwrap().to_str().unwrap();
            let Ok(Version::Minor(minor)) = Version::parse(version_name) else {
                panic!("unexpected version directory {}", version_path.display());
            };
            for (outcome_dir, expect_pass) in [("pass", true), ("fail", false)] {
                let outcome_path = version_path.join(outcome_dir);
                for entry in fs::read_dir(&outcome_path)
                    .unwrap_or_else(|e| panic!("{}: {e}", outcome_path.display()))
                {
                    let path = entry.unwrap().path();
                    let stem = path.file_stem().unwrap().to_str().unwrap();
                    let check = stem.trim_end_matches(|c: char| c.is_ascii_digit());
                    let check = (!check.starts_with("base")).then(|| check.to_owned());
                    found.push(Fixture {
                        path,
                        level,
                        minor,
                        expect_pass,
                        check,
                    });
                }
            }
        }
    }
    found.sort_by(|a, b| a.path.cmp(&b.path));
    found
}

/// The check id, in upstream spelling, that must deny a `fail` fixture.
fn expected_control(level: Level, minor: u32, file_check: &str) -> String {
    if level == Level::Restricted {
        for &(baseline, replacement, since) in RESTRICTED_REPLACEMENTS {
            if baseline.eq_ignore_ascii_case(file_check) && minor >= since {
                return replacement.to_lowercase();
            }
        }
    }
    file_check.to_owned()
}

/// Evaluates one fixture, returning a description of the mismatch if any.
fn judge(fixture: &Fixture) -> Option<String> {
    let text = fs::read_to_string(&fixture.path).unwrap();
    let document: serde_json::Value = match yaml_serde::from_str(&text) {
        Ok(document) => document,
        Err(error) => return Some(format!("invalid YAML: {error}")),
    };

    let pods = pod_templates(&document);
    if pods.len() != 1 {
        return Some(format!("expected one pod, found {}", pods.len()));
    }
    let pod = match pods[0].decode() {
        Ok(pod) => pod,
        Err(error) => return Some(error.to_string()),
    };

    let evaluation = evaluate_pod(
        &pod.metadata,
        &pod.spec,
        fixture.level,
        Version::Minor(fixture.minor),
    );
    let failed: Vec<String> = evaluation
        .failures
        .iter()
        .map(|failure| {
            format!(
                "{}: {} ({})",
                failure.control_id, failure.reason, failure.detail
            )
        })
        .collect();
    if fixture.expect_pass {
        return (!evaluation.allowed).then(|| format!("denied: {}", failed.join("; ")));
    }

    if evaluation.allowed {
        return Some("allowed".to_owned());
    }
    let check = fixture
        .check
        .as_deref()
        .expect("fail fixtures name a check");
    let expected = expected_control(fixture.level, fixture.minor, check);
    let named = evaluation
        .failures
        .iter()
        .any(|failure| failure.control_id.to_lowercase() == expected);
    (!named).then(|| format!("expected {expected} to fail, got: {}", failed.join("; ")))
}

#[test]
fn every_upstream_fixture_matches() {
    let root = Path::new(CORPUS).join("test/testdata");
    if !root.is_dir() {
        if std::env::var_os("BULWARK_SKIP_CORPUS").is_some_and(|value| value == "1") {
            eprintln!("skipping: {} is missing", root.display());
            return;
        }
        panic!(
            "the Pod Security admission fixtures are missing at {}; \
             set BULWARK_SKIP_CORPUS=1 to skip this test",
            root.display()
        );
    }

    let fixtures = fixtures(&root);
    let mut mismatches = Vec::new();
    let (mut passes, mut fails) = (0, 0);
    for fixture in &fixtures {
        if fixture.expect_pass {
            passes += 1;
        } else {
            fails += 1;
        }
        if let Some(problem) = judge(fixture) {
            let relative = fixture.path.strip_prefix(&root).unwrap();
            mismatches.push(format!("{}: {problem}", relative.display()));
        }
    }
    eprintln!(
        "{} fixtures ({passes} pass, {fails} fail), {} mismatches",
        fixtures.len(),
        mismatches.len()
    );

    // The upstream data covers v1.0 to v1.32 at both levels.
    assert!(
        fixtures.len() > 3_000,
        "only {} fixtures found",
        fixtures.len()
    );
    assert!(
        mismatches.is_empty(),
        "{} of {} fixtures mismatch:\n{}",
        mismatches.len(),
        fixtures.len(),
        mismatches.join("\n")
    );
}
