//! Dart package versions (Pub), ordered as Dart's `pub_semver` package orders them.
//!
//! Pub versions are SemVer, with two differences in ordering: build metadata counts, and a
//! version without it sorts before the same version with it (`1.0.0 < 1.0.0+1`), and
//! identifiers made only of digits compare as numbers even with leading zeros. Build
//! identifiers compare like pre-release identifiers.
//!
//! Parsing makes the same allowances as [`crate::semver`] (leading `v`, missing minor or
//! patch, extra numbers moved into the build metadata, numbers of any size) and, like
//! `pub_semver`, accepts leading zeros.

use std::cmp::Ordering;
use std::fmt;

use crate::semver::{Parts, Rules, cmp_identifiers, parse_parts};
use crate::{Scheme, VersionError};

/// A Pub package version.
#[derive(Debug, Clone)]
pub struct PubVersion(Parts);

impl PubVersion {
    /// Parses a Pub package version.
    ///
    /// # Errors
    ///
    /// Returns [`VersionError`] when the string breaks the SemVer grammar beyond the
    /// allowances in the module documentation.
    pub fn parse(version: &str) -> Result<Self, VersionError> {
        parse_parts(
            version,
            Rules {
                scheme: Scheme::Pub,
                leading_zeros: true,
                extra_numbers: true,
                suffix_after_short_core: true,
            },
        )
        .map(Self)
    }
}

impl fmt::Display for PubVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.original)
    }
}

impl Ord for PubVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0
            .cmp_precedence(&other.0)
            .then_with(|| match (self.0.has_build, other.0.has_build) {
                (false, false) => Ordering::Equal,
                (false, true) => Ordering::Less,
                (true, false) => Ordering::Greater,
                (true, true) => cmp_identifiers(&self.0.build, &other.0.build),
            })
    }
}

impl PartialOrd for PubVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for PubVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for PubVersion {}

/// Compares two Pub package version strings.
///
/// # Errors
///
/// Returns [`VersionError`] if either string is not a Pub version.
pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    Ok(PubVersion::parse(a)?.cmp(&PubVersion::parse(b)?))
}
