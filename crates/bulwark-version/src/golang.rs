//! Go module versions, ordered as `golang.org/x/mod/semver` orders them.
//!
//! A Go version is SemVer with a leading `v`. `v1` and `v1.2` are shorthands for `v1.0.0`
//! and `v1.2.0`, and a shorthand takes no pre-release or build suffix. OSV writes Go versions
//! without the `v`, so the `v` is optional here.
//!
//! Pseudo-versions such as `v0.0.0-20191109021931-daa7c04131f5` are pre-releases, so plain
//! SemVer precedence already orders them by base version and then by commit time.
//! `+incompatible` is build metadata and, like all build metadata, does not affect the order.

use std::cmp::Ordering;
use std::fmt;

use crate::semver::{Parts, Rules, parse_parts};
use crate::{Scheme, VersionError};

/// Length of the UTC timestamp `yyyymmddhhmmss` in a pseudo-version.
const TIMESTAMP_DIGITS: usize = 14;

/// A Go module version.
#[derive(Debug, Clone)]
pub struct GoVersion(Parts);

impl GoVersion {
    /// Parses a Go module version, with or without the leading `v`.
    ///
    /// # Errors
    ///
    /// Returns [`VersionError`] when the string is not a valid `x/mod/semver` version: for
    /// example more than three numbers, a number with a leading zero, or a pre-release on a
    /// shorthand such as `v1.2-pre`.
    pub fn parse(version: &str) -> Result<Self, VersionError> {
        parse_parts(
            version,
            Rules {
                scheme: Scheme::Go,
                leading_zeros: false,
                extra_numbers: false,
                suffix_after_short_core: false,
            },
        )
        .map(Self)
    }

    /// Returns whether the version carries the `+incompatible` build suffix, which marks a
    /// major version of 2 or more from a module without a `go.mod` file.
    pub fn is_incompatible(&self) -> bool {
        self.0.build == ["incompatible"]
    }

    /// Returns the commit timestamp (`yyyymmddhhmmss`) and revision of a pseudo-version,
    /// or `None` for any other version.
    pub fn pseudo_version(&self) -> Option<(&str, &str)> {
        let parts = &self.0;
        let (last, before) = parts.pre.split_last()?;
        let (timestamp, revision) = last.split_once('-')?;
        let well_formed = timestamp.len() == TIMESTAMP_DIGITS
            && timestamp.bytes().all(|b| b.is_ascii_digit())
            && !revision.is_empty()
            && revision.bytes().all(|b| b.is_ascii_alphanumeric());
        // The three forms: vX.0.0-timestamp-rev, vX.Y.Z-pre.0.timestamp-rev and
        // vX.Y.Z-0.timestamp-rev.
        let base_ok = match before {
            [] => parts.core[1] == "0" && parts.core[2] == "0",
            [.., zero] => zero == "0",
        };
        (well_formed && base_ok).then_some((timestamp, revision))
    }
}

impl fmt::Display for GoVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.original)
    }
}

impl Ord for GoVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.cmp_precedence(&other.0)
    }
}

impl PartialOrd for GoVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for GoVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for GoVersion {}

/// Compares two Go module version strings.
///
/// # Errors
///
/// Returns [`VersionError`] if either string is not a Go module version.
pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    Ok(GoVersion::parse(a)?.cmp(&GoVersion::parse(b)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pseudo_versions_recognized() {
        // The three pseudo-version forms from the Go modules reference.
        for (version, timestamp, revision) in [
            (
                "v0.0.0-20191109021931-daa7c04131f5",
                "20191109021931",
                "daa7c04131f5",
            ),
            (
                "v1.2.3-pre.0.20191109021931-daa7c04131f5",
                "20191109021931",
                "daa7c04131f5",
            ),
            (
                "v1.2.4-0.20191109021931-daa7c04131f5",
                "20191109021931",
                "daa7c04131f5",
            ),
        ] {
            let parsed = GoVersion::parse(version).unwrap_or_else(|error| panic!("{error}"));
            assert_eq!(
                parsed.pseudo_version(),
                Some((timestamp, revision)),
                "{version}"
            );
        }
        let release = GoVersion::parse("v1.2.4-rc.1").unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(release.pseudo_version(), None);
    }

    #[test]
    fn pseudo_version_below_its_release() {
        let pseudo = GoVersion::parse("v1.2.4-0.20191109021931-daa7c04131f5");
        let release = GoVersion::parse("v1.2.4");
        assert!(
            pseudo.unwrap_or_else(|e| panic!("{e}")) < release.unwrap_or_else(|e| panic!("{e}"))
        );
    }

    #[test]
    fn incompatible_suffix_ignored_in_order() {
        let plus = GoVersion::parse("v2.0.0+incompatible").unwrap_or_else(|e| panic!("{e}"));
        let bare = GoVersion::parse("v2.0.0").unwrap_or_else(|e| panic!("{e}"));
        assert!(plus.is_incompatible());
        assert_eq!(plus.cmp(&bare), Ordering::Equal);
    }

    #[test]
    fn shorthand_with_suffix_rejected() {
        assert!(GoVersion::parse("v1.2").is_ok());
        assert!(GoVersion::parse("v1.2-pre").is_err());
        assert!(GoVersion::parse("v1.02.0").is_err());
    }
}
