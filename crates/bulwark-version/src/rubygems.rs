//! Ruby gem versions (RubyGems), ordered as `Gem::Version#<=>` orders them.
//!
//! A version is a number followed by dot-separated parts of letters and digits, optionally
//! followed by `-` and more parts; `-` stands for `.pre.`. The version splits into segments:
//! runs of digits (integers of any size) and runs of letters, so `1.0.a10` and `1.0.a.10`
//! both have the segments `1, 0, a, 10`. Trailing zero segments are dropped from the
//! leading numeric part and from the rest. Then segments compare left to right, and a
//! missing segment counts as 0. Integers compare as numbers and strings bytewise. Any string
//! sorts below any integer, which makes `1.0.b1` a pre-release of `1.0`.

use std::cmp::Ordering;
use std::fmt;

use crate::num::{cmp_digits, is_zero, split_while};
use crate::{Scheme, VersionError};

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    /// ASCII digits without leading zeros.
    Number(String),
    Text(String),
}

impl Segment {
    fn is_zero(&self) -> bool {
        matches!(self, Self::Number(digits) if is_zero(digits))
    }

    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Self::Number(a), Self::Number(b)) => cmp_digits(a, b),
            (Self::Number(_), Self::Text(_)) => Ordering::Greater,
            (Self::Text(_), Self::Number(_)) => Ordering::Less,
            (Self::Text(a), Self::Text(b)) => a.as_bytes().cmp(b.as_bytes()),
        }
    }
}

/// A Ruby gem version.
#[derive(Debug, Clone)]
pub struct GemVersion {
    original: String,
    segments: Vec<Segment>,
}

/// Returns whether `s` matches RubyGems' version pattern:
/// `[0-9]+(\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?`.
fn matches_pattern(s: &str) -> bool {
    let (head, tail) = match s.split_once('-') {
        Some((head, tail)) => (head, Some(tail)),
        None => (s, None),
    };
    let mut parts = head.split('.');
    let first_ok = parts
        .next()
        .is_some_and(|first| !first.is_empty() && first.bytes().all(|b| b.is_ascii_digit()));
    let rest_ok =
        parts.all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_alphanumeric()));
    let tail_ok = tail.is_none_or(|tail| {
        tail.split('.').all(|part| {
            !part.is_empty() && part.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
    });
    first_ok && rest_ok && tail_ok
}

impl GemVersion {
    /// Parses a gem version. Surrounding whitespace is ignored and an empty string is
    /// version 0, as in `Gem::Version.new`.
    ///
    /// # Errors
    ///
    /// Returns [`VersionError`] when the string does not match RubyGems' version pattern.
    pub fn parse(version: &str) -> Result<Self, VersionError> {
        crate::check_length(Scheme::RubyGems, version)?;
        let trimmed = version.trim_matches(|c: char| c.is_ascii_whitespace());
        let text = if trimmed.is_empty() { "0" } else { trimmed };
        if !matches_pattern(text) {
            return Err(VersionError::new(
                Scheme::RubyGems,
                version,
                "expected a number followed by dot-separated letters and digits, \
                 optionally followed by '-' and more",
            ));
        }
        let text = text.replace('-', ".pre.");
        let mut segments = Vec::new();
        let mut rest = text.as_str();
        while !rest.is_empty() {
            let (digits, after) = split_while(rest, |b| b.is_ascii_digit());
            if !digits.is_empty() {
                segments.push(Segment::Number(digits.trim_start_matches('0').to_owned()));
                rest = after;
                continue;
            }
            let (letters, after) = split_while(rest, |b| b.is_ascii_alphabetic());
            if !letters.is_empty() {
                segments.push(Segment::Text(letters.to_owned()));
                rest = after;
                continue;
            }
            rest = rest.get(1..).unwrap_or_default();
        }
        Ok(Self {
            original: version.to_owned(),
            segments: canonical_segments(segments),
        })
    }

    /// Returns whether the version has a letter in it, which makes it a pre-release.
    pub fn is_prerelease(&self) -> bool {
        self.original.bytes().any(|b| b.is_ascii_alphabetic())
    }
}

/// Drops trailing zeros from the leading numeric segments and from the segments after them.
fn canonical_segments(mut segments: Vec<Segment>) -> Vec<Segment> {
    let split = segments
        .iter()
        .position(|segment| matches!(segment, Segment::Text(_)))
        .unwrap_or(segments.len());
    let mut tail = segments.split_off(split);
    while segments.last().is_some_and(Segment::is_zero) {
        segments.pop();
    }
    while tail.last().is_some_and(Segment::is_zero) {
        tail.pop();
    }
    segments.extend(tail);
    segments
}

impl fmt::Display for GemVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.original)
    }
}

impl Ord for GemVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        let zero = Segment::Number(String::new());
        for index in 0..self.segments.len().max(other.segments.len()) {
            let a = self.segments.get(index).unwrap_or(&zero);
            let b = other.segments.get(index).unwrap_or(&zero);
            let order = a.cmp(b);
            if order != Ordering::Equal {
                return order;
            }
        }
        Ordering::Equal
    }
}

impl PartialOrd for GemVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for GemVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for GemVersion {}

/// Compares two gem version strings.
///
/// # Errors
///
/// Returns [`VersionError`] if either string is not a gem version.
pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    Ok(GemVersion::parse(a)?.cmp(&GemVersion::parse(b)?))
}
