//! Helpers shared by the corpus tests.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use bulwark_iac::{FileKind, ParsedFile};
use bulwark_policy::PolicySet;

/// Returns a path in the shared third-party corpus next to the repository,
/// or `None` (after printing why) when it is not there.
pub fn corpus(relative: &str) -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpus")
        .join(relative);
    if path.exists() {
        Some(path)
    } else {
        eprintln!("skipping: corpus directory {} not found", path.display());
        None
    }
}

/// Returns the built-in policy set, loaded once per test binary.
pub fn policies() -> &'static PolicySet {
    static SET: OnceLock<PolicySet> = OnceLock::new();
    SET.get_or_init(|| PolicySet::builtin().expect("built-in checks load"))
}

/// Parses an in-memory example the way the scanner parses a file.
pub fn parse(kind: FileKind, name: &str, text: &str) -> ParsedFile {
    let path = Path::new(name);
    bulwark_iac::parse_file(path, name, kind, text.as_bytes())
        .unwrap_or_else(|err| panic!("{name}: parse failed: {err}"))
}

/// Number of findings of `rule_id` in a parsed file, ignoring suppression,
/// or the evaluation errors.
pub fn count_rule(file: &ParsedFile, rule_id: &str) -> Result<usize, String> {
    let result = policies().evaluate(file);
    if !result.errors.is_empty() {
        return Err(format!("evaluation errors: {:?}", result.errors));
    }
    Ok(result
        .findings
        .iter()
        .filter(|f| f.rule_id == rule_id)
        .count())
}
