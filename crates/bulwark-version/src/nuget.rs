//! NuGet package versions, ordered as NuGet.Versioning's default comparer orders them.
//!
//! A version is `Major[.Minor[.Patch[.Revision]]][-Release][+Metadata]`. Missing numbers are
//! 0, so `1.0` equals `1.0.0.0`, and numbers may have leading zeros (`1.0.01` equals
//! `1.0.1`). Release labels are compared left to right. Numeric labels compare as numbers
//! and sort below alphanumeric labels, which compare case-insensitively. A version without
//! release labels sorts above one with them. Metadata is ignored.
//!
//! NuGet stores each number in a 32-bit integer; numbers of any size are compared exactly
//! here.

use std::cmp::Ordering;
use std::fmt;

use crate::num::{cmp_digits, is_digits, split_digits};
use crate::{Scheme, VersionError};

/// Most numbers a NuGet version has before its release labels.
const MAX_NUMBERS: usize = 4;

/// A NuGet package version.
#[derive(Debug, Clone)]
pub struct NuGetVersion {
    original: String,
    numbers: [String; MAX_NUMBERS],
    release: Vec<String>,
}

impl NuGetVersion {
    /// Parses a NuGet package version.
    ///
    /// # Errors
    ///
    /// Returns [`VersionError`] for more than four numbers, a missing number, an empty
    /// release label or metadata identifier, or a character other than letters, digits and
    /// `-` in a label.
    pub fn parse(version: &str) -> Result<Self, VersionError> {
        crate::check_length(Scheme::NuGet, version)?;
        let error = |reason: &str| VersionError::new(Scheme::NuGet, version, reason);
        let (rest, metadata) = match version.split_once('+') {
            Some((rest, metadata)) => (rest, Some(metadata)),
            None => (version, None),
        };
        let (numbers_text, release_text) = match rest.split_once('-') {
            Some((numbers, release)) => (numbers, Some(release)),
            None => (rest, None),
        };
        let mut numbers: [String; MAX_NUMBERS] = Default::default();
        for (count, part) in numbers_text.split('.').enumerate() {
            let (digits, after) = split_digits(part);
            if digits.is_empty() || !after.is_empty() {
                return Err(error("version numbers must be dot-separated digits"));
            }
            let Some(slot) = numbers.get_mut(count) else {
                return Err(error("more than four version numbers"));
            };
            *slot = digits.to_owned();
        }
        let check = |text: &str, what: &str| -> Result<Vec<String>, VersionError> {
            text.split('.')
                .map(|label| {
                    if label.is_empty() {
                        Err(error(&format!("{what} has an empty identifier")))
                    } else if !label
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                    {
                        Err(error(&format!(
                            "{what} has a character other than letters, digits and '-'"
                        )))
                    } else {
                        Ok(label.to_owned())
                    }
                })
                .collect()
        };
        let release = match release_text {
            Some(text) => check(text, "release label")?,
            None => Vec::new(),
        };
        if let Some(text) = metadata {
            check(text, "metadata")?;
        }
        Ok(Self {
            original: version.to_owned(),
            numbers,
            release,
        })
    }

    /// Returns whether the version has release labels.
    pub fn is_prerelease(&self) -> bool {
        !self.release.is_empty()
    }
}

impl fmt::Display for NuGetVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.original)
    }
}

/// Compares two release labels the way NuGet does.
fn cmp_label(a: &str, b: &str) -> Ordering {
    match (is_digits(a), is_digits(b)) {
        (true, true) => cmp_digits(a, b),
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        (false, false) => a
            .bytes()
            .map(|c| c.to_ascii_uppercase())
            .cmp(b.bytes().map(|c| c.to_ascii_uppercase())),
    }
}

impl Ord for NuGetVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        for (x, y) in self.numbers.iter().zip(&other.numbers) {
            let order = cmp_digits(x, y);
            if order != Ordering::Equal {
                return order;
            }
        }
        match (self.release.is_empty(), other.release.is_empty()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            (false, false) => {
                for (x, y) in self.release.iter().zip(&other.release) {
                    let order = cmp_label(x, y);
                    if order != Ordering::Equal {
                        return order;
                    }
                }
                self.release.len().cmp(&other.release.len())
            }
        }
    }
}

impl PartialOrd for NuGetVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for NuGetVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for NuGetVersion {}

/// Compares two NuGet version strings.
///
/// # Errors
///
/// Returns [`VersionError`] if either string is not a NuGet version.
pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    Ok(NuGetVersion::parse(a)?.cmp(&NuGetVersion::parse(b)?))
}
