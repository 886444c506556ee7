//! PHP package versions (Packagist), ordered as PHP's `version_compare` orders them, after
//! dropping the leading `v` that Composer's version normalization also drops.
//!
//! PHP's documentation describes the algorithm: `_`, `-` and `+` become `.`, and a `.` is
//! inserted wherever digits meet other characters, so `4.3.2RC1` reads as `4.3.2.RC.1`.
//! The parts then compare left to right: numbers as numbers, and words by the first of
//! these prefixes they start with, in this order: any other word < `dev` < `alpha` = `a`
//! < `beta` = `b` < `RC` = `rc` < `#` < `pl` = `p`. A number ranks as `#` against a word.
//! When one version has parts left over, a number there makes it newer, and otherwise its
//! next word is compared with `#` in the same way.
//!
//! Two details follow PHP's documentation rather than its C code. First, `#` stays a part
//! of its own (`1.2.3.#` equals `1.2.3.1` and `1.2.3`); the C code turns it into a
//! separator, so the `#` form it lists can never match. Second, numbers compare exactly at
//! any size, where the C code saturates at the largest `long`. Other characters that are not ASCII
//! letters or digits separate parts, as in the C code.

use std::cmp::Ordering;
use std::fmt;

use crate::num::cmp_digits;
use crate::{Scheme, VersionError};

/// Rank of a number when it is compared with a word: the rank of `#`.
const NUMBER_RANK: i8 = 4;

/// Word prefixes in the order PHP tries them, with their ranks.
const SPECIAL_FORMS: [(&str, i8); 10] = [
    ("dev", 0),
    ("alpha", 1),
    ("a", 1),
    ("beta", 2),
    ("b", 2),
    ("RC", 3),
    ("rc", 3),
    ("#", NUMBER_RANK),
    ("pl", 5),
    ("p", 5),
];

/// Rank of a word that starts with none of the special forms.
const UNKNOWN_RANK: i8 = -1;

fn rank(word: &str) -> i8 {
    SPECIAL_FORMS
        .iter()
        .find(|(prefix, _)| word.starts_with(prefix))
        .map_or(UNKNOWN_RANK, |(_, rank)| *rank)
}

fn is_number(part: &str) -> bool {
    part.starts_with(|c: char| c.is_ascii_digit())
}

fn cmp_part(a: &str, b: &str) -> Ordering {
    match (is_number(a), is_number(b)) {
        (true, true) => cmp_digits(a, b),
        (false, false) => rank(a).cmp(&rank(b)),
        (true, false) => NUMBER_RANK.cmp(&rank(b)),
        (false, true) => rank(a).cmp(&NUMBER_RANK),
    }
}

/// Compares the parts a longer version has left over with the end of the shorter one.
fn cmp_leftover(parts: &[String]) -> Ordering {
    for part in parts {
        if is_number(part) {
            return Ordering::Greater;
        }
        let order = rank(part).cmp(&NUMBER_RANK);
        if order != Ordering::Equal {
            return order;
        }
    }
    Ordering::Equal
}

/// Splits a version into PHP's canonical parts.
fn split_parts(version: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut ends_with_separator = false;
    for c in version.chars() {
        let joins_current = match current.chars().last() {
            None => true,
            Some(last) => {
                (last.is_ascii_digit() && c.is_ascii_digit())
                    || (last.is_ascii_alphabetic() && c.is_ascii_alphabetic())
            }
        };
        if c.is_ascii_alphanumeric() || c == '#' {
            let starts_part = !joins_current || c == '#' || current.ends_with('#');
            if starts_part && !current.is_empty() {
                parts.push(std::mem::take(&mut current));
            }
            current.push(c);
            ends_with_separator = false;
        } else {
            // A separator at the very start leaves an empty first part, as in PHP.
            if !current.is_empty() || parts.is_empty() {
                parts.push(std::mem::take(&mut current));
            }
            ends_with_separator = true;
        }
    }
    if !current.is_empty() {
        parts.push(current);
    } else if ends_with_separator {
        parts.push(String::new());
    }
    parts
}

/// A Packagist (Composer) package version.
#[derive(Debug, Clone)]
pub struct ComposerVersion {
    original: String,
    parts: Vec<String>,
}

impl ComposerVersion {
    /// Parses a Composer package version. `version_compare` orders any string, so only
    /// strings that cannot be a version are rejected.
    ///
    /// # Errors
    ///
    /// Returns [`VersionError`] for an empty string or one with a character outside
    /// printable ASCII.
    pub fn parse(version: &str) -> Result<Self, VersionError> {
        crate::check_length(Scheme::Composer, version)?;
        let error = |reason: &str| VersionError::new(Scheme::Composer, version, reason);
        if version.is_empty() {
            return Err(error("version is empty"));
        }
        if !version.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(error(
                "version contains whitespace or a character outside printable ASCII",
            ));
        }
        let without_v = version
            .strip_prefix(['v', 'V'])
            .filter(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
            .unwrap_or(version);
        Ok(Self {
            original: version.to_owned(),
            parts: split_parts(without_v),
        })
    }

    /// Returns whether the version is a branch (`dev-name`), which Composer never orders
    /// against other versions.
    pub fn is_branch(&self) -> bool {
        self.original.starts_with("dev-")
    }
}

impl fmt::Display for ComposerVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.original)
    }
}

impl Ord for ComposerVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        let (a, b) = (&self.parts, &other.parts);
        for (x, y) in a.iter().zip(b) {
            let order = cmp_part(x, y);
            if order != Ordering::Equal {
                return order;
            }
        }
        match a.len().cmp(&b.len()) {
            Ordering::Equal => Ordering::Equal,
            Ordering::Greater => cmp_leftover(&a[b.len()..]),
            Ordering::Less => cmp_leftover(&b[a.len()..]).reverse(),
        }
    }
}

impl PartialOrd for ComposerVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for ComposerVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for ComposerVersion {}

/// Compares two Packagist version strings.
///
/// # Errors
///
/// Returns [`VersionError`] if either string is empty or has a character outside printable
/// ASCII.
pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    Ok(ComposerVersion::parse(a)?.cmp(&ComposerVersion::parse(b)?))
}
