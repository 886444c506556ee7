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
