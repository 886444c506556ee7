//! SemVer 2.0.0 versions (npm, crates.io and other ecosystems whose OSV ranges are of type
//! `SEMVER`), ordered by precedence as semver.org defines it.
//!
//! Precedence compares major, minor and patch numerically, then ranks a version without a
//! pre-release above one with a pre-release, then compares pre-release identifiers left to
//! right: numeric identifiers as numbers, below alphanumeric ones, which compare in ASCII order;
//! a shorter list of equal identifiers ranks lower. Build metadata is ignored.
//!
//! Parsing accepts what the SemVer grammar accepts, with the allowances OSV makes when it
//! compares `SEMVER` versions:
//! - one leading `v`, as npm and Go write versions (`v1.2.3` equals `1.2.3`),
//! - a missing minor or patch number, read as 0 (`1.2` equals `1.2.0`),
//! - a fourth or later dot-separated number, which starts the build metadata and so is
//!   ignored (`1.1.3.4.5` equals `1.1.3`),
//! - numbers of any size: semver.org sets no limit, so they are compared as digit strings.

use std::cmp::Ordering;
use std::fmt;

use crate::num::{cmp_digits, is_digits, split_digits};
use crate::{Scheme, VersionError};

/// The parts of a SemVer-like version, with numbers kept as ASCII digits.
#[derive(Debug, Clone)]
pub(crate) struct Parts {
    pub(crate) original: String,
    /// Major, minor and patch; missing ones are `"0"`.
    pub(crate) core: [String; 3],
    pub(crate) pre: Vec<String>,
    pub(crate) build: Vec<String>,
    /// Whether the string had build metadata, even an empty list.
    pub(crate) has_build: bool,
}

/// Strictness settings for [`parse_parts`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rules {
    pub(crate) scheme: Scheme,
    /// Accept numbers with leading zeros (Dart's pub accepts them).
    pub(crate) leading_zeros: bool,
    /// Accept a fourth or later number and move it into the build metadata.
    pub(crate) extra_numbers: bool,
    /// Accept a pre-release or build metadata after a shortened core (`1.2-beta`).
    pub(crate) suffix_after_short_core: bool,
}

/// Parses `version` into its parts under `rules`.
pub(crate) fn parse_parts(version: &str, rules: Rules) -> Result<Parts, VersionError> {
    crate::check_length(rules.scheme, version)?;
    let error = |reason: &str| VersionError::new(rules.scheme, version, reason);
    let rest = version.strip_prefix('v').unwrap_or(version);
    let mut core: [String; 3] = Default::default();
    let mut core_len = 0;
    let mut rest = rest;
    loop {
        let (digits, after) = split_digits(rest);
        if digits.is_empty() {
            return Err(error(if core_len == 0 {
                "version does not start with a number"
            } else {
                "a '.' is not followed by a number"
            }));
        }
        if !rules.leading_zeros && digits.len() > 1 && digits.starts_with('0') {
            return Err(error("a version number has a leading zero"));
        }
        core[core_len] = digits.to_owned();
        core_len += 1;
        rest = after;
        if core_len == 3 || !rest.starts_with('.') {
            break;
        }
        rest = &rest[1..];
    }
    for slot in core.iter_mut().skip(core_len) {
        *slot = "0".to_owned();
    }

    let mut build_text = None;
    if core_len == 3
        && rules.extra_numbers
        && let Some(extra) = rest
            .strip_prefix('.')
            .filter(|extra| extra.starts_with(|c: char| c.is_ascii_digit()))
    {
        build_text = Some(extra);
        rest = "";
    }
    let mut pre_text = None;
    if let Some(after) = rest.strip_prefix('-') {
        let (pre, build) = match after.split_once('+') {
            Some((pre, build)) => (pre, Some(build)),
            None => (after, None),
        };
        pre_text = Some(pre);
        build_text = build;
    } else if let Some(build) = rest.strip_prefix('+') {
        build_text = Some(build);
    } else if !rest.is_empty() {
        return Err(error(
            "unexpected text after the version numbers; expected '-' or '+'",
        ));
    }
    if core_len < 3
        && (pre_text.is_some() || build_text.is_some())
        && !rules.suffix_after_short_core
    {
        return Err(error(
            "a pre-release or build metadata needs all of major, minor and patch",
        ));
    }

    let pre = match pre_text {
        Some(text) => split_identifiers(text, true, rules)
            .map_err(|reason| error(&format!("pre-release {reason}")))?,
        None => Vec::new(),
    };
    let build = match build_text {
        Some(text) => split_identifiers(text, false, rules)
            .map_err(|reason| error(&format!("build metadata {reason}")))?,
        None => Vec::new(),
    };
    Ok(Parts {
        original: version.to_owned(),
        core,
        pre,
        has_build: build_text.is_some(),
        build,
    })
}

/// Splits dot-separated identifiers, checking each against the SemVer grammar.
fn split_identifiers(text: &str, pre_release: bool, rules: Rules) -> Result<Vec<String>, String> {
    let mut identifiers = Vec::new();
    for identifier in text.split('.') {
        if identifier.is_empty() {
            return Err("has an empty identifier".to_owned());
        }
        if !identifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return Err(format!(
                "identifier {identifier:?} has a character other than letters, digits and '-'"
            ));
        }
        if pre_release
            && !rules.leading_zeros
            && is_digits(identifier)
            && identifier.len() > 1
            && identifier.starts_with('0')
        {
            return Err(format!("identifier {identifier:?} has a leading zero"));
        }
        identifiers.push(identifier.to_owned());
    }
    Ok(identifiers)
}

/// Compares identifier lists by SemVer pre-release precedence.
pub(crate) fn cmp_identifiers(a: &[String], b: &[String]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        let order = match (is_digits(x), is_digits(y)) {
            (true, true) => cmp_digits(x, y),
            (true, false) => Ordering::Less,
            (false, true) => Ordering::Greater,
            (false, false) => x.as_bytes().cmp(y.as_bytes()),
        };
        if order != Ordering::Equal {
            return order;
        }
    }
    a.len().cmp(&b.len())
}

impl Parts {
    /// Compares major, minor and patch, then pre-releases; build metadata is not compared.
    pub(crate) fn cmp_precedence(&self, other: &Self) -> Ordering {
        for (x, y) in self.core.iter().zip(&other.core) {
            let order = cmp_digits(x, y);
            if order != Ordering::Equal {
                return order;
            }
        }
        match (self.pre.is_empty(), other.pre.is_empty()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            (false, false) => cmp_identifiers(&self.pre, &other.pre),
        }
    }
}

/// A SemVer 2.0.0 version.
#[derive(Debug, Clone)]
pub struct SemVersion(Parts);

impl SemVersion {
    /// Parses a SemVer version, with the allowances listed in the module documentation.
    ///
    /// # Errors
    ///
    /// Returns [`VersionError`] when the string breaks the SemVer grammar beyond those
    /// allowances, for example an empty identifier or a number with a leading zero.
    pub fn parse(version: &str) -> Result<Self, VersionError> {
        parse_parts(
            version,
            Rules {
                scheme: Scheme::SemVer,
                leading_zeros: false,
                extra_numbers: true,
                suffix_after_short_core: true,
            },
        )
        .map(Self)
    }

    /// Major, minor and patch numbers as ASCII digits.
    pub fn core(&self) -> [&str; 3] {
        [&self.0.core[0], &self.0.core[1], &self.0.core[2]]
    }

    /// Pre-release identifiers; empty for a release.
    pub fn pre_release(&self) -> &[String] {
        &self.0.pre
    }

    /// Build metadata identifiers.
    pub fn build(&self) -> &[String] {
        &self.0.build
    }
}

impl fmt::Display for SemVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.original)
    }
}

impl Ord for SemVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.cmp_precedence(&other.0)
    }
}

impl PartialOrd for SemVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for SemVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for SemVersion {}

/// Compares two SemVer version strings by precedence.
///
/// # Errors
///
/// Returns [`VersionError`] if either string is not a SemVer version.
pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    Ok(SemVersion::parse(a)?.cmp(&SemVersion::parse(b)?))
}
