//! Rego policy engine for Bulwark's misconfiguration checks.
//!
//! [`PolicySet`] loads the built-in checks under `checks/` (embedded at
//! build time) plus user checks from directories, prepares one
//! [`regorus::Engine`] with all of them, and evaluates `data.<package>.deny`
//! of every check whose `custom.input` kinds include the kind of a parsed
//! document. [`run_tests`] runs the `test_*` rules of Rego unit tests the
//! way `opa test` does.

mod engine;
mod image_config;
mod metadata;
mod recursion;
mod testing;

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use serde::Serialize;

pub use engine::PolicySet;
pub use image_config::image_config_document;
pub use metadata::{CheckInfo, INPUT_KINDS};
pub use testing::{TestOutcome, TestReport, TestResult, run_tests};

/// Severity of a check, ordered from least to most severe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "LOW",
            Severity::Medium => "MEDIUM",
            Severity::High => "HIGH",
            Severity::Critical => "CRITICAL",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = ();

    /// Parses a severity name in any letter case.
    fn from_str(s: &str) -> Result<Self, ()> {
        match s.to_ascii_uppercase().as_str() {
            "LOW" => Ok(Severity::Low),
            "MEDIUM" => Ok(Severity::Medium),
            "HIGH" => Ok(Severity::High),
            "CRITICAL" => Ok(Severity::Critical),
            _ => Err(()),
        }
    }
}

/// The inline `bulwark:ignore` comment that suppressed a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InlineIgnoreInfo {
    /// Line the comment applies to.
    pub line: u32,
    pub reason: Option<String>,
    pub owner: Option<String>,
    /// Expiry date as written (`YYYY-MM-DD`). The engine reports it but does
    /// not compare it with the current date, so output stays deterministic.
    pub expires: Option<String>,
    /// Set when the comment gives no `reason=`: the ignore is still honoured
    /// but reports should flag it.
    pub reason_missing: bool,
}

/// One finding of one check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Misconfiguration {
    pub rule_id: String,
    pub title: String,
    pub severity: Severity,
    /// Display path of the file the finding is in.
    pub path: String,
    /// 1-based line of the finding; 0 when the check gave no location and the
    /// document has no start line.
    pub line: u32,
    pub end_line: Option<u32>,
    /// Resource the finding belongs to, such as `Deployment/default/web`.
    pub resource: Option<String>,
    pub message: String,
    /// Set when an inline ignore comment covers the finding. Suppressed
    /// findings stay in the list so reports can show them separately.
    pub suppressed_inline: Option<InlineIgnoreInfo>,
}

/// Result of evaluating all matching checks against one parsed file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FileResult {
    /// Findings sorted by path, line, rule id and message.
    pub findings: Vec<Misconfiguration>,
    /// Evaluation errors, each naming the check's file and, where regorus
    /// reports one, the line. One failing check does not stop the others.
    pub errors: Vec<String>,
}

/// Error loading a policy set.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("failed to read policy directory {path}: {source}")]
    ReadDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("failed to read policy {path}: {source}")]
    ReadFile {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A check whose METADATA is missing or invalid; the message names the file.
    #[error("invalid check: {0}")]
    InvalidCheck(String),
    /// Two checks with the same id or package.
    #[error("duplicate check: {0}")]
    Duplicate(String),
    /// A built-in module that regorus rejects; this is a bug in Bulwark.
    #[error("built-in policy failed to load: {0}")]
    Builtin(String),
}
