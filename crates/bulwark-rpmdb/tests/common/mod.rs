//! Paths to the test inputs and readers for the expected-value tables.
//!
//! The go-rpmdb fixtures and all expected-value tables are read in place from the
//! shared corpus next to the repository; the few files taken from tarballs are
//! copied under `testdata/rpmdb/` (see `SOURCE.md` there).

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use bulwark_rpmdb::RpmPackage;

/// Root of the Bulwark repository.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The `scan` part of the shared corpus, next to the repository.
pub fn corpus() -> PathBuf {
    repo_root().join("../shared/corpus/scan")
}

/// Reads a file or fails the test with its path.
pub fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()))
}

/// Reads a go-rpmdb fixture, such as `testdata/libuuid/Packages`.
pub fn go_rpmdb_fixture(relative: &str) -> Vec<u8> {
    read(&corpus().join("go-rpmdb").join(relative))
}

/// Reads a file copied under `testdata/rpmdb/`.
pub fn local_fixture(relative: &str) -> Vec<u8> {
    read(&repo_root().join("testdata/rpmdb").join(relative))
}

/// Returns the rows of a tab-separated table, without its header line.
pub fn tsv_rows(path: &Path) -> Vec<Vec<String>> {
    let text = String::from_utf8(read(path)).expect("table is UTF-8");
    text.lines()
        .skip(1)
        .filter(|line| !line.is_empty())
        .map(|line| line.split('\t').map(str::to_owned).collect())
        .collect()
}

/// Returns the string arguments of the rows of go-rpmdb's positional table whose
/// scope (the Go variable they belong to) is `scope`, in file order.
pub fn positional_rows(scope: &str) -> Vec<Vec<String>> {
    let path = corpus().join("go-rpmdb/EXPECTED-positional-from-go-tests.tsv");
    let rows: Vec<Vec<String>> = tsv_rows(&path)
        .into_iter()
        .filter(|row| row.get(2).map(String::as_str) == Some(scope))
        .map(|row| {
            let json = row.get(5).expect("positional row has string_args_json");
            serde_json::from_str(json).expect("string_args_json is a JSON string array")
        })
        .collect();
    assert!(!rows.is_empty(), "no positional rows for scope {scope}");
    rows
}

/// The fields `rpm -qa` oracles list: name, epoch (0 when none), version,
/// release, arch and source RPM.
pub fn nevra_row(package: &RpmPackage) -> Vec<String> {
    vec![
        package.name.clone(),
        package.epoch.unwrap_or(0).to_string(),
        package.version.clone(),
        package.release.clone(),
        package.arch.clone().unwrap_or_default(),
        package.source_rpm.clone().unwrap_or_default(),
    ]
}

/// Returns `rows` sorted, for comparing sets of rows.
pub fn sorted(mut rows: Vec<Vec<String>>) -> Vec<Vec<String>> {
    rows.sort();
    rows
}

/// A small deterministic pseudo-random generator (xorshift64*), so that the
/// mutation tests run the same cases every time.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Returns a value in `0..bound`; `bound` must be positive.
    pub fn below(&mut self, bound: usize) -> usize {
        (self.next_u64() % bound as u64) as usize
    }
}
