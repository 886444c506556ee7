//! Rule definitions: severity, the compiled form the scanner runs, and the
//! catalogue shown by `bulwark rules list|explain`.

use std::fmt;

use regex::bytes::{Regex, RegexBuilder};
use serde::{Deserialize, Serialize};

use crate::builtin::BUILTIN_RULES;

/// How much damage a leaked secret of this kind can do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    /// Returns the lowercase name used in reports and config files.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Documentation of one rule, for listing and explaining rules.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleDoc {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    /// Lowercase literals of the prefilter. The rule's regex runs only on
    /// content that contains one of them (ASCII case-insensitive).
    pub keywords: Vec<String>,
    /// What the rule finds, why it matters and how to rotate the secret.
    pub description: String,
}

/// Lists the built-in rules, sorted by id.
pub fn catalogue() -> Vec<RuleDoc> {
    let mut docs: Vec<RuleDoc> = BUILTIN_RULES
        .iter()
        .map(|spec| RuleDoc {
            id: spec.id.to_owned(),
            title: spec.title.to_owned(),
            severity: spec.severity,
            keywords: spec.keywords.iter().map(|k| (*k).to_owned()).collect(),
            description: spec.description.to_owned(),
        })
        .collect();
    docs.sort_by(|a, b| a.id.cmp(&b.id));
    docs
}

/// A built-in rule as written in the source table.
pub(crate) struct RuleSpec {
    pub id: &'static str,
    pub title: &'static str,
    pub severity: Severity,
    pub keywords: &'static [&'static str],
    pub regex: &'static str,
    /// Capture group that contains the secret, or 0 for the whole match.
    pub secret_group: usize,
    /// Minimum Shannon entropy of the secret in bits per byte.
    pub entropy: Option<f64>,
    /// Well-known example values that are never reported.
    pub allow: &'static [&'static str],
    /// A catch-all rule whose findings give way to a specific rule's
    /// finding on the same secret.
    pub generic: bool,
    pub description: &'static str,
}

/// A rule ready to run.
pub(crate) struct Rule {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub keywords: Vec<String>,
    pub regex: Regex,
    pub secret_group: usize,
    pub entropy: Option<f64>,
    pub allow_values: Vec<String>,
    pub allow_regexes: Vec<Regex>,
    pub generic: bool,
}

/// Compiles a pattern the way every rule is compiled: bytes API with
/// Unicode off, so `\b`, `\w` and `.` are ASCII-only and the lazy DFA
/// never falls back to a slower engine on non-ASCII input.
pub(crate) fn compile_regex(pattern: &str) -> Result<Regex, regex::Error> {
    RegexBuilder::new(pattern)
        .unicode(false)
        .size_limit(16 * 1024 * 1024)
        .build()
}

impl Rule {
    pub(crate) fn from_spec(spec: &RuleSpec) -> Result<Rule, regex::Error> {
        Ok(Rule {
            id: spec.id.to_owned(),
            title: spec.title.to_owned(),
            severity: spec.severity,
            keywords: spec.keywords.iter().map(|k| (*k).to_owned()).collect(),
            regex: compile_regex(spec.regex)?,
            secret_group: spec.secret_group,
            entropy: spec.entropy,
            allow_values: spec.allow.iter().map(|v| (*v).to_owned()).collect(),
            allow_regexes: Vec::new(),
            generic: spec.generic,
        })
    }
}

/// Shannon entropy of `bytes` in bits per byte.
pub(crate) fn shannon_entropy(bytes: &[u8]) -> f64 {
    if bytes.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in bytes {
        counts[usize::from(b)] += 1;
    }
    let len = bytes.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / len;
            -p * p.log2()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entropy_of_uniform_and_repeated_bytes() {
        assert_eq!(shannon_entropy(b"aaaaaaaa"), 0.0);
        assert!((shannon_entropy(b"abcd") - 2.0).abs() < 1e-9);
        assert!((shannon_entropy(b"0123456789abcdef") - 4.0).abs() < 1e-9);
    }

    #[test]
    fn builtin_rules_compile_with_valid_ids() {
        for spec in BUILTIN_RULES {
            assert!(spec.id.starts_with("secret-"), "{}", spec.id);
            assert!(
                spec.id
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "{}",
                spec.id
            );
            let rule = Rule::from_spec(spec).unwrap_or_else(|e| panic!("{}: {e}", spec.id));
            assert!(
                rule.secret_group < rule.regex.captures_len(),
                "{}: group {} missing",
                spec.id,
                spec.secret_group
            );
            assert!(!spec.keywords.is_empty(), "{} has no keyword", spec.id);
            for keyword in spec.keywords {
                assert_eq!(*keyword, keyword.to_ascii_lowercase(), "{}", spec.id);
            }
            assert!(!spec.description.is_empty(), "{}", spec.id);
        }
    }
}
