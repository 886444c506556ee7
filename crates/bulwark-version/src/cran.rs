//! R package versions (CRAN), ordered as R's `package_version` orders them.
//!
//! A package version is at least two non-negative integers separated by `.` or `-`
//! (`1.0-3` reads as `1, 0, 3`). Versions compare component by component as integers of
//! any size. When one is a prefix of the other, the shorter one is older, so `0.1.0` sorts
//! before `0.1.0.0`.

use std::cmp::Ordering;
use std::fmt;

use crate::num::{cmp_digits, is_digits};
use crate::{Scheme, VersionError};

/// An R package version.
#[derive(Debug, Clone)]
pub struct CranVersion {
    original: String,
    components: Vec<String>,
}

impl CranVersion {
    /// Parses an R package version.
    ///
    /// # Errors
    ///
    /// Returns [`VersionError`] unless the string is two or more runs of digits separated by
    /// single `.` or `-` characters.
    pub fn parse(version: &str) -> Result<Self, VersionError> {
        crate::check_length(Scheme::Cran, version)?;
        let components: Vec<&str> = version.split(['.', '-']).collect();
        if components.len() < 2 || !components.iter().all(|part| is_digits(part)) {
            return Err(VersionError::new(
                Scheme::Cran,
                version,
                "expected two or more numbers separated by '.' or '-'",
            ));
        }
        Ok(Self {
            original: version.to_owned(),
            components: components.into_iter().map(str::to_owned).collect(),
        })
    }
}

impl fmt::Display for CranVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.original)
    }
}

impl Ord for CranVersion {
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

impl PartialOrd for CranVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for CranVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for CranVersion {}

/// Compares two R package version strings.
///
/// # Errors
///
/// Returns [`VersionError`] if either string is not an R package version.
pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    Ok(CranVersion::parse(a)?.cmp(&CranVersion::parse(b)?))
}
