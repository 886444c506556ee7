//! Findings of the rule-based scanners: secrets and misconfigurations.
//!
//! Both scanners report a rule that fired at a place in the target (a file
//! and line, or the image config), so one type serves both. The JSON report
//! carries them in `rule_findings` and `rule_suppressed`; the table and
//! SARIF writers list them after the vulnerabilities.

use serde::{Deserialize, Serialize};

use crate::finding::{Layer, Note, SeverityLevel, Suppression};

/// The scanner that produced a rule finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleKind {
    /// A credential or key found in a file or in the image config.
    Secret,
    /// A configuration that breaks a misconfiguration check.
    Misconfig,
}

impl RuleKind {
    /// Returns the name used in reports and in `--scanners`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Secret => "secret",
            Self::Misconfig => "misconfig",
        }
    }
}

/// One rule that fired at one place of the target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleFinding {
    /// Scanner that produced it.
    pub kind: RuleKind,
    /// Rule id, prefixed by its kind (`secret-aws-access-key-id`,
    /// `misconfig-dockerfile-root-user`).
    pub rule_id: String,
    /// Rule title.
    pub title: String,
    /// Severity of the rule.
    pub severity: SeverityLevel,
    /// File the finding is in, relative to the target root, or
    /// `image config` for the configuration of an image.
    pub path: String,
    /// Line in the file, from 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// Column in the line, from 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
    /// Object the finding is about: a Kubernetes object, a Terraform
    /// resource, a Dockerfile stage, an image config field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    /// What is wrong, for people.
    pub message: String,
    /// The offending line. Secret values in it are masked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snippet: Option<String>,
    /// Stable hash that identifies the finding without revealing a secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
    /// Image layer that contains the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<Layer>,
    /// Whether a later layer deleted or replaced the file. The layer still
    /// ships it, so the secret is still in the image.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub removed_in_later_layer: bool,
    /// The exception or inline ignore comment that suppressed it, when it
    /// is in `rule_suppressed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<Suppression>,
    /// Policy notes, such as an expired exception.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<Note>,
}

impl RuleFinding {
    /// Returns the location as `path:line`, or the path alone.
    pub fn location(&self) -> String {
        match self.line {
            Some(line) => format!("{}:{line}", self.path),
            None => self.path.clone(),
        }
    }

    /// Returns the order of reports: most severe first, then by kind,
    /// path, line, column and rule id, so equal inputs give equal reports.
    pub fn sort_key(&self) -> impl Ord + '_ {
        (
            std::cmp::Reverse(self.severity),
            self.kind,
            &self.path,
            self.line,
            self.column,
            &self.rule_id,
            self.layer.as_ref().map(|layer| layer.index),
            &self.fingerprint,
        )
    }
}

/// Counts of rule findings by kind and severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RuleSummary {
    /// Unsuppressed secret findings.
    pub secrets: usize,
    /// Unsuppressed misconfiguration findings.
    pub misconfigurations: usize,
    /// Unsuppressed findings rated critical.
    pub critical: usize,
    /// Unsuppressed findings rated high.
    pub high: usize,
    /// Unsuppressed findings rated medium.
    pub medium: usize,
    /// Unsuppressed findings rated low.
    pub low: usize,
    /// Unsuppressed findings without a rating.
    pub unknown: usize,
    /// Suppressed findings.
    pub suppressed: usize,
}

impl RuleSummary {
    /// Counts `findings` and `suppressed`.
    pub fn count(findings: &[RuleFinding], suppressed: &[RuleFinding]) -> Self {
        let mut summary = Self {
            suppressed: suppressed.len(),
            ..Self::default()
        };
        for finding in findings {
            match finding.kind {
                RuleKind::Secret => summary.secrets += 1,
                RuleKind::Misconfig => summary.misconfigurations += 1,
            }
            match finding.severity {
                SeverityLevel::Critical => summary.critical += 1,
                SeverityLevel::High => summary.high += 1,
                SeverityLevel::Medium => summary.medium += 1,
                SeverityLevel::Low => summary.low += 1,
                SeverityLevel::Unknown => summary.unknown += 1,
            }
        }
        summary
    }

    /// Returns whether no unsuppressed finding was counted.
    pub fn is_empty(&self) -> bool {
        self.secrets == 0 && self.misconfigurations == 0
    }
}
