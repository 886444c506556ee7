//! RPM package versions (Red Hat, AlmaLinux, Rocky Linux, SUSE, openSUSE and others),
//! ordered as rpm's `rpmvercmp` orders them.
//!
//! An EVR string is `[epoch:]version[-release]`. As in rpm's own EVR parser, the epoch is
//! the run of digits before a `:` at the start, and the release is everything after the last
//! `-`. A string like `a:1` therefore has no epoch, and its colon is just a separator.
//!
//! `rpmvercmp` splits each string into runs of ASCII letters and runs of ASCII digits; every
//! other character only separates runs, except two:
//! - `~` sorts before everything, even the end of the string (`1.0~rc1 < 1.0`),
//! - `^` sorts after the end of the string but before anything else (`1.0 < 1.0^git1 < 1.0.1`).
//!
//! Digit runs compare numerically with no size limit, letter runs compare bytewise, and a digit
//! run is newer than a letter run. When every run matched, the string with runs left over is
//! newer.
//!
//! rpm compares releases only when both versions have one, which treats a missing release
//! as a wildcard. A wildcard cannot be part of a total order (`1-1 = 1 = 1-2` but `1-1 < 1-2`),
//! so here a version without a release sorts before the same version with any release,
//! including an empty one.

use std::cmp::Ordering;
use std::fmt;

use crate::num::{cmp_digits, split_while};
use crate::{Scheme, VersionError};

/// A parsed RPM EVR (epoch, version, release).
#[derive(Debug, Clone)]
pub struct RpmVersion {
    epoch: String,
    version: String,
    release: Option<String>,
}

impl RpmVersion {
    /// Parses an `[epoch:]version[-release]` string.
    ///
    /// `rpmvercmp` orders any string, so only strings that cannot be a package version are
    /// rejected.
    ///
    /// # Errors
    ///
    /// Returns [`VersionError`] for an empty string or one containing whitespace or control
    /// characters, which rpmbuild rejects in the Version and Release tags.
    pub fn parse(evr: &str) -> Result<Self, VersionError> {
        crate::check_length(Scheme::Rpm, evr)?;
        let error = |reason: &str| VersionError::new(Scheme::Rpm, evr, reason);
        if evr.is_empty() {
            return Err(error("version is empty"));
        }
        if evr.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(error("version contains whitespace or a control character"));
        }
        let (digits, after_digits) = split_while(evr, |b| b.is_ascii_digit());
        let (epoch, rest) = match after_digits.strip_prefix(':') {
            Some(rest) => (digits, rest),
            None => ("", evr),
        };
        let (version, release) = match rest.rsplit_once('-') {
            Some((version, release)) => (version, Some(release.to_owned())),
            None => (rest, None),
        };
        Ok(Self {
            epoch: epoch.to_owned(),
            version: version.to_owned(),
            release,
        })
    }

    /// Epoch digits; empty when the string has no epoch, which counts as 0.
    pub fn epoch(&self) -> &str {
        &self.epoch
    }

    /// Version, between the epoch and the last hyphen.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Release after the last hyphen, if the string has one.
    pub fn release(&self) -> Option<&str> {
        self.release.as_deref()
    }
}

impl fmt::Display for RpmVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.epoch.is_empty() {
            write!(f, "{}:", self.epoch)?;
        }
        f.write_str(&self.version)?;
        if let Some(release) = &self.release {
            write!(f, "-{release}")?;
        }
        Ok(())
    }
}

impl Ord for RpmVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        cmp_digits(&self.epoch, &other.epoch)
            .then_with(|| rpmvercmp(&self.version, &other.version))
            .then_with(|| match (&self.release, &other.release) {
                (Some(a), Some(b)) => rpmvercmp(a, b),
                (a, b) => a.is_some().cmp(&b.is_some()),
            })
    }
}

impl PartialOrd for RpmVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for RpmVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for RpmVersion {}

/// Returns whether a byte is a pure separator for `rpmvercmp`.
fn is_separator(b: u8) -> bool {
    !b.is_ascii_alphanumeric() && b != b'~' && b != b'^'
}

/// Compares two version or release strings with rpm's `rpmvercmp` algorithm.
pub fn rpmvercmp(a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let (mut a, mut b) = (a.as_bytes(), b.as_bytes());
    loop {
        a = skip_separators(a);
        b = skip_separators(b);
        match (a.first(), b.first()) {
            (Some(b'~'), Some(b'~')) | (Some(b'^'), Some(b'^')) => {
                a = &a[1..];
                b = &b[1..];
                continue;
            }
            (Some(b'~'), _) => return Ordering::Less,
            (_, Some(b'~')) => return Ordering::Greater,
            (None, Some(b'^')) => return Ordering::Less,
            (Some(b'^'), None) => return Ordering::Greater,
            (Some(b'^'), _) => return Ordering::Less,
            (_, Some(b'^')) => return Ordering::Greater,
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(first), Some(_)) => {
                let numeric = first.is_ascii_digit();
                let run = |s: &[u8]| -> usize {
                    s.iter()
                        .position(|c| {
                            if numeric {
                                !c.is_ascii_digit()
                            } else {
                                !c.is_ascii_alphabetic()
                            }
                        })
                        .unwrap_or(s.len())
                };
                let (a_len, b_len) = (run(a), run(b));
                if b_len == 0 {
                    // The runs have different kinds: a digit run is newer than a letter run.
                    return if numeric {
                        Ordering::Greater
                    } else {
                        Ordering::Less
                    };
                }
                let (a_run, b_run) = (&a[..a_len], &b[..b_len]);
                let order = if numeric {
                    // Both runs contain only ASCII digits, which are valid UTF-8.
                    cmp_digits(
                        std::str::from_utf8(a_run).unwrap_or_default(),
                        std::str::from_utf8(b_run).unwrap_or_default(),
                    )
                } else {
                    a_run.cmp(b_run)
                };
                if order != Ordering::Equal {
                    return order;
                }
                a = &a[a_len..];
                b = &b[b_len..];
            }
        }
    }
}

fn skip_separators(s: &[u8]) -> &[u8] {
    let start = s.iter().position(|&b| !is_separator(b)).unwrap_or(s.len());
    &s[start..]
}

/// Compares two RPM EVR strings.
///
/// # Errors
///
/// Returns [`VersionError`] if either string is empty or contains whitespace.
pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    Ok(RpmVersion::parse(a)?.cmp(&RpmVersion::parse(b)?))
}
