//! The error returned for a version string that a scheme rejects.

use crate::Scheme;

/// Longest prefix of an offending version kept in a [`VersionError`], in characters.
///
/// Versions come from untrusted files, so the error must not copy an unbounded string.
const MAX_QUOTED_CHARS: usize = 120;

/// A version string that is invalid under its scheme's rules.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {scheme} version {version:?}: {reason}")]
pub struct VersionError {
    scheme: Scheme,
    version: String,
    reason: String,
}

impl VersionError {
    /// Creates an error for `version`, truncating it to a bounded length.
    pub(crate) fn new(scheme: Scheme, version: &str, reason: impl Into<String>) -> Self {
        let mut quoted: String = version.chars().take(MAX_QUOTED_CHARS).collect();
        if quoted.len() < version.len() {
            quoted.push('…');
        }
        Self {
            scheme,
            version: quoted,
            reason: reason.into(),
        }
    }

    /// Returns the scheme whose rules the version breaks.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// Returns the offending version, truncated to 120 characters.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Returns what is wrong with the version, in words.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}
