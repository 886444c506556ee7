//! Corpus location shared by the integration tests.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// Returns the shared corpus directory, or `None` (after printing why) when
/// `BULWARK_SKIP_CORPUS=1` is set. Panics with a clear message when the
/// corpus is missing without that variable.
pub fn corpus() -> Option<PathBuf> {
    let dir = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/corpus"
    ));
    if std::env::var("BULWARK_SKIP_CORPUS").is_ok_and(|v| v == "1") {
        eprintln!(
            "BULWARK_SKIP_CORPUS=1: skipping a test that reads {}",
            dir.display()
        );
        return None;
    }
    assert!(
        dir.is_dir(),
        "corpus directory {} is missing; lay out the shared corpus beside the repository \
         or set BULWARK_SKIP_CORPUS=1 to skip corpus tests",
        dir.display()
    );
    Some(dir.to_path_buf())
}

pub fn realworld() -> Option<PathBuf> {
    corpus().map(|dir| dir.join("config/realworld"))
}

pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path)
        .unwrap_or_else(|err| panic!("cannot read {}: {err}", path.display()))
}

/// Returns the 1-based number of the first line of `text` containing
/// `needle` at or after line `from`.
pub fn line_of(text: &str, needle: &str, from: usize) -> u32 {
    let index = text
        .lines()
        .enumerate()
        .skip(from.saturating_sub(1))
        .find(|(_, line)| line.contains(needle))
        .unwrap_or_else(|| panic!("no line contains {needle:?}"))
        .0;
    u32::try_from(index + 1).unwrap()
}
