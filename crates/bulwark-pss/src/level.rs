//! Policy levels and policy versions.

use std::fmt;
use std::str::FromStr;

use crate::Error;

/// The newest Kubernetes minor version whose policy differs from the one
/// before it (sysctls: `tcp_slow_start_after_idle` and `tcp_notsent_lowat`
/// became safe in v1.37, per k8s.io/pod-security-admission at commit
/// 8f84a87c7f61). `latest`, and any newer `v1.N`, evaluate as this version.
pub const NEWEST_MINOR: u32 = 37;

/// A Pod Security Standards level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// No restrictions.
    Privileged,
    /// Prevents known privilege escalations.
    Baseline,
    /// Baseline plus current pod hardening practice.
    Restricted,
}

impl Level {
    /// Parses `privileged`, `baseline` or `restricted`.
    pub fn parse(text: &str) -> Result<Self, Error> {
        match text {
            "privileged" => Ok(Level::Privileged),
            "baseline" => Ok(Level::Baseline),
            "restricted" => Ok(Level::Restricted),
            _ => Err(Error::InvalidLevel(text.to_owned())),
        }
    }

    /// Returns the level's name as the `pod-security.kubernetes.io/*` labels spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Privileged => "privileged",
            Level::Baseline => "baseline",
            Level::Restricted => "restricted",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for Level {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl FromStr for Level {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self, Error> {
        Level::parse(text)
    }
}

/// A policy version: the Pod Security Standards as of Kubernetes `v1.N`,
/// or `latest`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Version {
    /// The policy of Kubernetes v1.`minor`.
    Minor(u32),
    /// The newest policy this crate implements.
    Latest,
}

impl Version {
    /// Parses `latest` or `v1.N`, as the `pod-security.kubernetes.io/*-version`
    /// labels accept them (no leading zeros, no patch number).
    pub fn parse(text: &str) -> Result<Self, Error> {
        if text == "latest" {
            return Ok(Version::Latest);
        }
        let invalid = || Error::InvalidVersion(text.to_owned());
        let minor = text.strip_prefix("v1.").ok_or_else(invalid)?;
        let well_formed = !minor.is_empty()
            && minor.bytes().all(|b| b.is_ascii_digit())
            && (minor == "0" || !minor.starts_with('0'));
        if !well_formed {
            return Err(invalid());
        }
        minor.parse().map(Version::Minor).map_err(|_| invalid())
    }

    /// Returns the minor version whose policy applies: `latest` and versions newer
    /// than [`NEWEST_MINOR`] evaluate as [`NEWEST_MINOR`].
    pub fn effective_minor(self) -> u32 {
        match self {
            Version::Minor(minor) => minor.min(NEWEST_MINOR),
            Version::Latest => NEWEST_MINOR,
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Version::Minor(minor) => write!(f, "v1.{minor}"),
            Version::Latest => f.write_str("latest"),
        }
    }
}

impl serde::Serialize for Version {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl FromStr for Version {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self, Error> {
        Version::parse(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_parse_accepts_label_forms() {
        assert_eq!(Version::parse("latest").unwrap(), Version::Latest);
        assert_eq!(Version::parse("v1.0").unwrap(), Version::Minor(0));
        assert_eq!(Version::parse("v1.29").unwrap(), Version::Minor(29));
    }

    #[test]
    fn version_parse_rejects_other_forms() {
        for text in [
            "", "v1.", "1.29", "v2.1", "v1.029", "v1.29.1", "v1.x", "Latest",
        ] {
            assert!(Version::parse(text).is_err(), "{text:?} was accepted");
        }
    }

    #[test]
    fn version_newer_than_known_clamps() {
        assert_eq!(Version::Minor(99).effective_minor(), NEWEST_MINOR);
        assert_eq!(Version::Latest.effective_minor(), NEWEST_MINOR);
        assert_eq!(Version::Minor(25).effective_minor(), 25);
    }

    #[test]
    fn level_parse_round_trips() {
        for level in [Level::Privileged, Level::Baseline, Level::Restricted] {
            assert_eq!(Level::parse(level.as_str()).unwrap(), level);
        }
        assert!(Level::parse("Restricted").is_err());
    }
}
