//! Helpers shared by the database tests: corpus paths and independent
//! readers of the corpus archives.

#![allow(dead_code)]

use std::io::Read;
use std::path::{Path, PathBuf};

/// Returns the shared corpus of real scan inputs.
pub fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/scan")
}

/// Returns the path and content of every regular member of a `.tar.gz`
/// whose path satisfies `keep`.
pub fn tar_members(archive: &Path, keep: impl Fn(&str) -> bool) -> Vec<(String, Vec<u8>)> {
    let file = std::fs::File::open(archive).expect("corpus archive opens");
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

/// Unpacks the members of a `.tar.gz` whose path satisfies `keep` into
/// `dir`, keeping their paths, and returns how many were written.
pub fn unpack(archive: &Path, dir: &Path, keep: impl Fn(&str) -> bool) -> usize {
    let members = tar_members(archive, keep);
    for (path, data) in &members {
        let target = dir.join(path);
        std::fs::create_dir_all(target.parent().expect("member has a parent"))
            .expect("create member directory");
        std::fs::write(&target, data).expect("write member");
    }
    members.len()
}

/// Reads the `id` of an OSV JSON document, without the crate's model.
pub fn json_id(data: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(data).ok()?;
    value.get("id")?.as_str().map(str::to_owned)
}

/// Reads the top-level `id:` line of an OSV YAML document.
pub fn yaml_id(data: &[u8]) -> Option<String> {
    String::from_utf8_lossy(data).lines().find_map(|line| {
        line.strip_prefix("id:")
            .map(|id| id.trim().trim_matches('"').to_owned())
    })
}
