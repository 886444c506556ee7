//! Debian package versions, ordered as `dpkg --compare-versions` orders them.
//!
//! A version is `[epoch:]upstream_version[-debian_revision]` (deb-version(7)). The epoch is
//! a decimal number, and the revision is everything after the last hyphen. Upstream version
//! and revision are compared with dpkg's `verrevcmp`, which walks alternating non-digit and
//! digit runs. Non-digit runs compare character by character, with `~` before the end of
//! the string, the end before letters, and letters before every other character. Digit runs
//! compare numerically with no size limit.

use std::cmp::Ordering;
use std::fmt;

use crate::num::{cmp_digits, split_digits, split_while};
use crate::{Scheme, VersionError};

/// Largest epoch dpkg accepts (`INT_MAX`).
const MAX_EPOCH: u64 = i32::MAX as u64;

/// A parsed Debian version.
#[derive(Debug, Clone)]
pub struct DpkgVersion {
    epoch: u64,
    upstream: String,
    revision: String,
}

impl DpkgVersion {
    /// Parses a Debian version, rejecting what deb-version(7) forbids.
    ///
    /// # Errors
    ///
    /// Returns [`VersionError`] for an empty or non-numeric epoch, an epoch above
    /// 2147483647, an empty upstream version or revision, an upstream version that does not
    /// start with a digit, or a character outside `[A-Za-z0-9.+~-]` (no `-` in the revision).
    pub fn parse(version: &str) -> Result<Self, VersionError> {
        crate::check_length(Scheme::Dpkg, version)?;
        let error = |reason: &str| VersionError::new(Scheme::Dpkg, version, reason);
        if version.is_empty() {
            return Err(error("version is empty"));
        }
        let (epoch, rest) = match version.split_once(':') {
            Some((epoch, rest)) => (Some(epoch), rest),
            None => (None, version),
        };
        let epoch = match epoch {
            None => 0,
            Some("") => return Err(error("epoch before ':' is empty")),
            Some(text) if !text.bytes().all(|b| b.is_ascii_digit()) => {
                return Err(error("epoch before ':' is not a number"));
            }
            Some(text) => match text.parse::<u64>() {
                Ok(value) if value <= MAX_EPOCH => value,
                _ => return Err(error("epoch is larger than 2147483647")),
            },
        };
        if rest.is_empty() {
            return Err(error("nothing follows the epoch"));
        }
        let (upstream, revision) = match rest.rsplit_once('-') {
            Some((_, "")) => return Err(error("revision after the last '-' is empty")),
            Some((upstream, revision)) => (upstream, revision),
            None => (rest, ""),
        };
        if upstream.is_empty() {
            return Err(error("upstream version is empty"));
        }
        if !upstream.starts_with(|c: char| c.is_ascii_digit()) {
            return Err(error("upstream version does not start with a digit"));
        }
        let allowed = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'+' | b'~' | b'-');
        if !upstream.bytes().all(allowed) {
            return Err(error(
                "upstream version contains a character other than letters, digits and .+~-",
            ));
        }
        if !revision.bytes().all(|b| b != b'-' && allowed(b)) {
            return Err(error(
                "revision contains a character other than letters, digits and .+~",
            ));
        }
        Ok(Self {
            epoch,
            upstream: upstream.to_owned(),
            revision: revision.to_owned(),
        })
    }

    /// Epoch, 0 when the version has none.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// Upstream version, between the epoch and the last hyphen.
    pub fn upstream(&self) -> &str {
        &self.upstream
    }

    /// Debian revision after the last hyphen, empty when the version has none.
    pub fn revision(&self) -> &str {
        &self.revision
    }
}

impl fmt::Display for DpkgVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.epoch != 0 {
            write!(f, "{}:", self.epoch)?;
        }
        f.write_str(&self.upstream)?;
        if !self.revision.is_empty() {
            write!(f, "-{}", self.revision)?;
        }
        Ok(())
    }
}

impl Ord for DpkgVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| verrevcmp(&self.upstream, &other.upstream))
            .then_with(|| verrevcmp(&self.revision, &other.revision))
    }
}

impl PartialOrd for DpkgVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for DpkgVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for DpkgVersion {}

/// Weight of one character in a non-digit run; `None` is the end of the run.
fn char_order(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(b'~') => -1,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(c) => i32::from(c) + 256,
    }
}

/// Compares two upstream versions or two revisions by dpkg's rules.
fn verrevcmp(mut a: &str, mut b: &str) -> Ordering {
    while !a.is_empty() || !b.is_empty() {
        let (a_text, a_rest) = split_while(a, |c| !c.is_ascii_digit());
        let (b_text, b_rest) = split_while(b, |c| !c.is_ascii_digit());
        let (a_text, b_text) = (a_text.as_bytes(), b_text.as_bytes());
        for i in 0..a_text.len().max(b_text.len()) {
            let order = char_order(a_text.get(i).copied()).cmp(&char_order(b_text.get(i).copied()));
            if order != Ordering::Equal {
                return order;
            }
        }
        let (a_number, a_rest) = split_digits(a_rest);
        let (b_number, b_rest) = split_digits(b_rest);
        let order = cmp_digits(a_number, b_number);
        if order != Ordering::Equal {
            return order;
        }
        a = a_rest;
        b = b_rest;
    }
    Ordering::Equal
}

/// Compares two Debian version strings.
///
/// # Errors
///
/// Returns [`VersionError`] if either string is not a valid Debian version.
pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    Ok(DpkgVersion::parse(a)?.cmp(&DpkgVersion::parse(b)?))
}
