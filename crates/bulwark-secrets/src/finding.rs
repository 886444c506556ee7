use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::rule::Severity;

/// One secret found in a file or config string.
///
/// The secret itself is never stored here: `snippet` masks it and
/// `fingerprint` is a one-way digest of it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct SecretFinding {
    pub rule_id: String,
    pub title: String,
    pub severity: Severity,
    /// File path, `outer.jar!/inner/path` for archive entries, or the
    /// location given to [`crate::Scanner::scan_text`].
    pub path: String,
    /// 1-based line of the match start.
    pub line: u32,
    /// 1-based column in characters of the secret, or of the match start
    /// when the secret begins on a later line.
    pub column: u32,
    /// The line of the match with every secret on it masked, cut to about
    /// 120 characters around the match.
    pub snippet: String,
    /// Hex SHA-256 of `rule_id`, a `:` byte and the secret bytes; see
    /// [`fingerprint`].
    pub fingerprint: String,
}

/// Something that kept a file or archive entry from being scanned whole.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ScanWarning {
    pub path: String,
    pub message: String,
}

/// Computes the fingerprint of a secret found by a rule: the lowercase hex
/// SHA-256 of the rule id, a `:` byte and the secret bytes.
pub fn fingerprint(rule_id: &str, secret: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(rule_id.as_bytes());
    hasher.update(b":");
    hasher.update(secret);
    let digest = hasher.finalize();
    let mut hex = String::with_capacity(64);
    for byte in digest {
        hex.push(char::from(b"0123456789abcdef"[usize::from(byte >> 4)]));
        hex.push(char::from(b"0123456789abcdef"[usize::from(byte & 0xf)]));
    }
    hex
}
