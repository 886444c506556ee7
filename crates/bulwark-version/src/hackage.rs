//! Haskell package versions (Hackage), ordered as Cabal's `Version` orders them.
//!
//! A version is one or more non-negative integers separated by `.`. Versions compare as
//! lists of integers of any size, so a version sorts before its own extensions:
//! `1.0 < 1.0.0 < 1.0.1`. Like Cabal, a number with a leading zero is rejected.

use std::cmp::Ordering;
use std::fmt;

use crate::num::{cmp_digits, is_digits};
use crate::{Scheme, VersionError};

/// A Haskell package version.
#[derive(Debug, Clone)]
pub struct HackageVersion {
    original: String,
    components: Vec<String>,
}

impl HackageVersion {
    /// Parses a Haskell package version.
    ///
    /// # Errors
    ///
    /// Returns [`VersionError`] unless the string is numbers separated by single dots, none
    /// with a leading zero.
    pub fn parse(version: &str) -> Result<Self, VersionError> {
        crate::check_length(Scheme::Hackage, version)?;
        let error = |reason: &str| VersionError::new(Scheme::Hackage, version, reason);
        let mut components = Vec::new();
        for part in version.split('.') {
            if !is_digits(part) {
                return Err(error("expected numbers separated by '.'"));
            }
            if part.len() > 1 && part.starts_with('0') {
                return Err(error("a version number has a leading zero"));
            }
            components.push(part.to_owned());
        }
        Ok(Self {
            original: version.to_owned(),
            components,
        })
    }
}

impl fmt::Display for HackageVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.original)
    }
}

impl Ord for HackageVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        for (a, b) in self.components.iter().zip(&other.components) {
            let order = cmp_digits(a, b);
            if order != Ordering::Equal {
                return order;
            }
        }
        self.components.len().cmp(&other.components.len())
    }
}

impl PartialOrd for HackageVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for HackageVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for HackageVersion {}

/// Compares two Haskell package version strings.
///
/// # Errors
///
/// Returns [`VersionError`] if either string is not a Haskell package version.
pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    Ok(HackageVersion::parse(a)?.cmp(&HackageVersion::parse(b)?))
}
