//! Python package versions (PyPI), ordered by PEP 440.
//!
//! Parsing follows PEP 440's normalization rules:
//! - surrounding whitespace and a leading `v` are ignored, and letters are case-insensitive,
//! - `-`, `_` and `.` between segments are optional and interchangeable,
//! - `alpha`, `beta`, `c`, `pre` and `preview` spell `a`, `b` and `rc`; `rev` and `r` spell
//!   `post`, and `1.0-1` is the post-release `1.0.post1`,
//! - a missing pre-, post- or dev-release number is 0,
//! - the local version's separators become `.`.
//!
//! Ordering follows PEP 440's sort rules: epoch, then release (trailing zeros ignored), then
//! `devN` < `aN` < `bN` < `rcN` < release < `postN`, with a dev release of any of those
//! just before it, then the local version, where a version without one sorts first and
//! numeric local segments sort above alphanumeric ones.
//!
//! A string that is not a PEP 440 version is ordered as a legacy version, the way `packaging`
//! (and so pip) did before release 22.0 removed `LegacyVersion`: every legacy version sorts
//! below every PEP 440 version. PyPI still serves old releases with such versions.

use std::cmp::Ordering;
use std::fmt;

use crate::num::{cmp_digits, is_digits, is_zero, split_digits, split_while};
use crate::{Scheme, VersionError};

/// Pre-release phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PreRelease {
    /// `aN`, also spelled `alphaN`.
    Alpha,
    /// `bN`, also spelled `betaN`.
    Beta,
    /// `rcN`, also spelled `cN`, `preN` or `previewN`.
    ReleaseCandidate,
}

/// A PEP 440 version, or a legacy version that is not one.
#[derive(Debug, Clone)]
pub struct Pep440Version {
    original: String,
    form: Form,
}

#[derive(Debug, Clone)]
enum Form {
    Legacy(Vec<String>),
    Standard(Standard),
}

/// The parts of a PEP 440 version; numbers are kept as ASCII digits.
#[derive(Debug, Clone)]
struct Standard {
    epoch: String,
    release: Vec<String>,
    pre: Option<(PreRelease, String)>,
    post: Option<String>,
    dev: Option<String>,
    local: Vec<String>,
    has_local: bool,
}

impl Pep440Version {
    /// Parses a Python package version.
    ///
    /// # Errors
    ///
    /// Returns [`VersionError`] for an empty string, or for a string that is not a PEP 440
    /// version and also cannot be a legacy one because it contains whitespace or a
    /// character outside printable ASCII.
    pub fn parse(version: &str) -> Result<Self, VersionError> {
        crate::check_length(Scheme::Pep440, version)?;
        let error = |reason: &str| VersionError::new(Scheme::Pep440, version, reason);
        let trimmed = version.trim();
        if trimmed.is_empty() {
            return Err(error("version is empty"));
        }
        let form = match parse_standard(&trimmed.to_ascii_lowercase()) {
            Some(standard) => Form::Standard(standard),
            None if version.bytes().all(|b| b.is_ascii_graphic()) => {
                Form::Legacy(legacy_key(&version.to_ascii_lowercase()))
            }
            None => {
                return Err(error(
                    "not a PEP 440 version, and whitespace or a character outside printable \
                     ASCII rules out a legacy version",
                ));
            }
        };
        Ok(Self {
            original: version.to_owned(),
            form,
        })
    }

    /// Returns whether the version is a legacy version rather than a PEP 440 one.
    pub fn is_legacy(&self) -> bool {
        matches!(self.form, Form::Legacy(_))
    }

    /// Returns whether the version is a pre-release or a development release.
    pub fn is_pre_release(&self) -> bool {
        matches!(&self.form, Form::Standard(s) if s.pre.is_some() || s.dev.is_some())
    }
}

impl fmt::Display for Pep440Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.original)
    }
}

impl Ord for Pep440Version {
    fn cmp(&self, other: &Self) -> Ordering {
        match (&self.form, &other.form) {
            (Form::Legacy(a), Form::Legacy(b)) => a.cmp(b),
            (Form::Legacy(_), Form::Standard(_)) => Ordering::Less,
            (Form::Standard(_), Form::Legacy(_)) => Ordering::Greater,
            (Form::Standard(a), Form::Standard(b)) => a.cmp(b),
        }
    }
}

impl PartialOrd for Pep440Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Pep440Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Pep440Version {}

/// Position of a version among the releases sharing its epoch and release segment.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Phase<'a> {
    /// A dev release with no pre- or post-release part: before every pre-release.
    DevOnly,
    Pre(PreRelease, Number<'a>),
    Release,
}

/// A digit string ordered numerically.
#[derive(Debug, PartialEq, Eq)]
struct Number<'a>(&'a str);

impl Ord for Number<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        cmp_digits(self.0, other.0)
    }
}

impl PartialOrd for Number<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Standard {
    fn phase(&self) -> Phase<'_> {
        match &self.pre {
            Some((kind, number)) => Phase::Pre(*kind, Number(number)),
            None if self.post.is_none() && self.dev.is_some() => Phase::DevOnly,
            None => Phase::Release,
        }
    }

    /// Release segment without its trailing zeros.
    fn trimmed_release(&self) -> &[String] {
        let len = self
            .release
            .iter()
            .rposition(|part| !is_zero(part))
            .map_or(0, |last| last + 1);
        &self.release[..len]
    }

    fn cmp(&self, other: &Self) -> Ordering {
        cmp_digits(&self.epoch, &other.epoch)
            .then_with(|| cmp_number_lists(self.trimmed_release(), other.trimmed_release()))
            .then_with(|| self.phase().cmp(&other.phase()))
            // No post-release sorts before any post-release.
            .then_with(|| {
                self.post
                    .as_deref()
                    .map(Number)
                    .cmp(&other.post.as_deref().map(Number))
            })
            // No dev release sorts after any dev release.
            .then_with(|| match (&self.dev, &other.dev) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Greater,
                (Some(_), None) => Ordering::Less,
                (Some(a), Some(b)) => cmp_digits(a, b),
            })
            .then_with(|| {
                self.has_local
                    .cmp(&other.has_local)
                    .then_with(|| cmp_local(&self.local, &other.local))
            })
    }
}

fn cmp_number_lists(a: &[String], b: &[String]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        let order = cmp_digits(x, y);
        if order != Ordering::Equal {
            return order;
        }
    }
    a.len().cmp(&b.len())
}

/// Compares local version labels: numeric segments compare as numbers and sort above
/// alphanumeric ones, which compare as strings.
fn cmp_local(a: &[String], b: &[String]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        let order = match (is_digits(x), is_digits(y)) {
            (true, true) => cmp_digits(x, y),
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            (false, false) => x.cmp(y),
        };
        if order != Ordering::Equal {
            return order;
        }
    }
    a.len().cmp(&b.len())
}

/// Removes one of `-`, `_` or `.` from the start of `s`, if there is one.
fn skip_separator(s: &str) -> &str {
    s.strip_prefix(['-', '_', '.']).unwrap_or(s)
}

/// Removes the first of `labels` that starts `s`, returning its index and the rest.
fn strip_label<'a>(s: &'a str, labels: &[&str]) -> Option<(usize, &'a str)> {
    labels
        .iter()
        .enumerate()
        .find_map(|(index, label)| s.strip_prefix(label).map(|rest| (index, rest)))
}

/// Reads `[sep]label[sep][digits]` for one of `labels`; the number defaults to 0.
fn parse_labelled<'a>(s: &'a str, labels: &[&str]) -> Option<(usize, String, &'a str)> {
    let (index, rest) = strip_label(skip_separator(s), labels)?;
    let (digits, rest) = split_digits(skip_separator(rest));
    let number = if digits.is_empty() { "0" } else { digits };
    Some((index, number.to_owned(), rest))
}

/// Parses a lowercased, trimmed string as a PEP 440 version.
fn parse_standard(s: &str) -> Option<Standard> {
    let s = s.strip_prefix('v').unwrap_or(s);
    let (first, rest) = split_digits(s);
    let (epoch, mut rest) = match rest.strip_prefix('!') {
        Some(after) if !first.is_empty() => (first.to_owned(), after),
        _ => (String::from("0"), s),
    };
    let mut release = Vec::new();
    loop {
        let (digits, after) = split_digits(rest);
        if digits.is_empty() {
            return None;
        }
        release.push(digits.to_owned());
        match after.strip_prefix('.') {
            Some(next) if next.starts_with(|c: char| c.is_ascii_digit()) => rest = next,
            _ => {
                rest = after;
                break;
            }
        }
    }

    // Longer spellings come first, so that `alpha` is not read as `a` followed by `lpha`.
    const PRE_LABELS: [&str; 8] = ["alpha", "a", "beta", "b", "preview", "pre", "rc", "c"];
    let mut pre = None;
    if let Some((index, number, after)) = parse_labelled(rest, &PRE_LABELS) {
        let kind = match index {
            0 | 1 => PreRelease::Alpha,
            2 | 3 => PreRelease::Beta,
            _ => PreRelease::ReleaseCandidate,
        };
        pre = Some((kind, number));
        rest = after;
    }

    let mut post = None;
    let implicit_post = rest
        .strip_prefix('-')
        .map(split_digits)
        .filter(|(digits, _)| !digits.is_empty());
    if let Some((digits, after)) = implicit_post {
        post = Some(digits.to_owned());
        rest = after;
    } else if let Some((_, number, after)) = parse_labelled(rest, &["post", "rev", "r"]) {
        post = Some(number);
        rest = after;
    }

    let mut dev = None;
    if let Some((_, number, after)) = parse_labelled(rest, &["dev"]) {
        dev = Some(number);
        rest = after;
    }

    let mut local = Vec::new();
    let has_local = rest.starts_with('+');
    if let Some(label) = rest.strip_prefix('+') {
        for part in label.split(['-', '_', '.']) {
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return None;
            }
            local.push(part.to_owned());
        }
        rest = "";
    }
    if !rest.is_empty() {
        return None;
    }
    Some(Standard {
        epoch,
        release,
        pre,
        post,
        dev,
        local,
        has_local,
    })
}

/// Builds the sort key `packaging` gave a legacy version before release 22.0.
///
/// The lowercased string is split into digit runs, letter runs, `.`, `-` and runs of other
/// characters. `pre`, `preview` and `rc` become `c`, `dev` becomes `@` and `-` becomes
/// `final-`; dots are dropped. Digit runs are zero-padded to 8 characters and every other part
/// gets a `*` prefix, so parts compare as strings. A `*final` part closes the key. Before each
/// `*` part, trailing `00000000` parts are dropped, and before a part that sorts below
/// `*final`, trailing `*final-` parts are dropped too.
fn legacy_key(lowercased: &str) -> Vec<String> {
    let mut key: Vec<String> = Vec::new();
    let mut rest = lowercased;
    let mut pieces = Vec::new();
    while !rest.is_empty() {
        let (piece, after) = if rest.starts_with(|c: char| c.is_ascii_digit()) {
            split_digits(rest)
        } else if rest.starts_with(|c: char| c.is_ascii_lowercase()) {
            split_while(rest, |b| b.is_ascii_lowercase())
        } else if rest.starts_with(['.', '-']) {
            rest.split_at(1)
        } else {
            split_while(rest, |b| {
                !(b.is_ascii_digit() || b.is_ascii_lowercase() || b == b'.' || b == b'-')
            })
        };
        pieces.push(piece);
        rest = after;
    }
    let parts = pieces
        .into_iter()
        .filter(|piece| *piece != ".")
        .map(|piece| match piece {
            "pre" | "preview" | "rc" => "*c".to_owned(),
            "dev" => "*@".to_owned(),
            "-" => "*final-".to_owned(),
            digits if digits.starts_with(|c: char| c.is_ascii_digit()) => {
                format!("{digits:0>8}")
            }
            text => format!("*{text}"),
        })
        .chain(std::iter::once("*final".to_owned()));
    for part in parts {
        if part.starts_with('*') {
            if part.as_str() < "*final" {
                while key.last().is_some_and(|last| last == "*final-") {
                    key.pop();
                }
            }
            while key.last().is_some_and(|last| last == "00000000") {
                key.pop();
            }
        }
        key.push(part);
    }
    key
}

/// Compares two Python package version strings.
///
/// # Errors
///
/// Returns [`VersionError`] if either string is empty, or is neither a PEP 440 version nor
/// a legacy version.
pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    Ok(Pep440Version::parse(a)?.cmp(&Pep440Version::parse(b)?))
}
