//! Reference implementations used as independent oracles: Python's
//! `packaging` for PEP 440 and npm's `semver`, installed on first use from
//! PyPI and the npm registry into `$BULWARK_ORACLE_DIR` (default
//! `/tmp/bulwark-oracles`).

use std::path::{Path, PathBuf};
use std::process::Command;

/// Pinned versions of the reference implementations.
const PYTHON_PACKAGES: [&str; 2] = ["packaging==24.2", "PyYAML==6.0.2"];
const NPM_PACKAGE: &str = "semver@7.6.3";

fn oracle_dir() -> PathBuf {
    std::env::var_os("BULWARK_ORACLE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/tmp/bulwark-oracles"))
}

fn scripts() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oracle")
}

fn check(command: &mut Command, what: &str) -> Vec<u8> {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("{what}: failed to start: {e}"));
    assert!(
        output.status.success(),
        "{what} failed: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

/// Returns a Python interpreter with `packaging` and PyYAML, creating a
/// venv on first use (needs `python3-venv` and access to PyPI).
pub fn python() -> PathBuf {
    let venv = oracle_dir().join("venv");
    let python = venv.join("bin/python");
    let ready = python.is_file()
        && Command::new(&python)
            .args(["-c", "import packaging, yaml"])
            .status()
            .is_ok_and(|s| s.success());
    if !ready {
        check(
            Command::new("python3").args(["-m", "venv"]).arg(&venv),
            "python3 -m venv (install python3-venv)",
        );
        check(
            Command::new(&python)
                .args(["-m", "pip", "install", "-q"])
                .args(PYTHON_PACKAGES),
            "pip install packaging PyYAML",
        );
    }
    python
}

/// Returns a directory whose `node_modules` holds npm's `semver`,
/// installing it on first use (needs node, npm and the npm registry).
pub fn semver_dir() -> PathBuf {
    let dir = oracle_dir().join("npm");
    if !dir.join("node_modules/semver/package.json").is_file() {
        std::fs::create_dir_all(&dir).unwrap();
        check(
            Command::new("npm")
                .args(["install", "--no-audit", "--no-fund", "--silent", "--prefix"])
                .arg(&dir)
                .arg(NPM_PACKAGE),
            "npm install semver",
        );
    }
    dir
}

/// Affected (name, version, advisory id) triples for PyPI packages,
/// computed by `pep440_oracle.py` from an archive of OSV files.
pub fn pypi_matches(
    archive: &Path,
    installed: &[(String, String)],
) -> Vec<(String, String, String)> {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("installed.json");
    std::fs::write(&input, serde_json::to_vec(installed).unwrap()).unwrap();
    let stdout = check(
        Command::new(python())
            .arg(scripts().join("pep440_oracle.py"))
            .arg(archive)
            .arg(&input),
        "pep440_oracle.py",
    );
    serde_json::from_slice(&stdout).unwrap()
}

/// Affected (name, version, advisory id) triples for npm packages,
/// computed by `npm_oracle.js` from OSV JSON files.
pub fn npm_matches(
    advisories: &[PathBuf],
    installed: &[(String, String)],
) -> Vec<(String, String, String)> {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("installed.json");
    std::fs::write(&input, serde_json::to_vec(installed).unwrap()).unwrap();
    let stdout = check(
        Command::new("node")
            .arg(scripts().join("npm_oracle.js"))
            .arg(semver_dir())
            .arg(&input)
            .args(advisories),
        "npm_oracle.js",
    );
    serde_json::from_slice(&stdout).unwrap()
}
