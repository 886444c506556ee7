//! Alpine package versions (Alpine, Wolfi, Chainguard), ordered as apk-tools orders them.
//!
//! apk-package(5) defines a version as `number{.number}...{letter}{_suffix{number}}...{~hash}{-r#}`
//! with the suffixes ordered `_alpha < _beta < _pre < _rc < (none) < _cvs < _svn < _git < _hg
//! < _p`. apk-tools compares two versions token by token: numbers, then the letter, then
//! each suffix and its number, then the commit hash, then the `-r` revision. When one version
//! runs out of tokens of a kind first, the other one is newer, except that a pre-release
//! suffix (`_alpha` to `_rc`) makes it older.
//!
//! The lexer follows apk-tools 2.x (`src/version.c` as of v2.14), which every Alpine release
//! from 3.0 to 3.22 ships:
//! - a number after a `.` that starts with `0` ranks below one without leading zeros, and
//!   more zeros rank lower: `1.005 < 1.05 < 1.5`. The first number is always an integer
//!   (`006 > 1.0.0`),
//! - digits may follow the letter (`6.6.2p1 < 6.6.2p2`), as real Alpine packages use them,
//! - a missing number after `.`, `-r`, or at the start counts as 0 (`1-r` equals `1-r0`),
//! - suffix names are matched by prefix, and an unknown suffix sorts as a pre-release.
//!
//! Two rules come from apk-tools 3 (v3.0): the `~hash` token, compared as a string, and the
//! rank of an invalid token: where two versions part ways, the one that turns invalid there
//! is older (`1.2.0A < 1.2.0d`). apk-tools 2.x ranked it newer.
//!
//! Numbers of any length compare exactly. apk-tools 2.x rejects numbers of 18 digits or more,
//! and apk-tools 3 wraps them at 64 bits.
//!
//! Like `apk version -t`, the comparison orders any string, including ones that break the
//! grammar above; [`ApkVersion::is_valid`] tells them apart.

use std::cmp::Ordering;
use std::fmt;

use crate::num::{cmp_digits, split_digits, split_while};
use crate::{Scheme, VersionError};

/// Kind of a token, in the order in which kinds may follow each other.
///
/// When two versions reach tokens of different kinds at the same position, the version
/// whose token kind comes later in this order is the older one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    /// A number after a `.`, with the leading-zero rule.
    DotNumber,
    /// The first number, or a number after the letter: always an integer.
    Number,
    Letter,
    Suffix,
    SuffixNumber,
    Hash,
    Revision,
    End,
    Invalid,
}

/// Value of one token. Only values of tokens of the same kind are compared.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Value {
    /// A run of n + 1 leading zeros, ranking below 0: `-n` in apk-tools 2.x.
    ZeroRun(usize),
    /// An integer as its ASCII digits; an empty string is 0.
    Integer(String),
    Letter(u8),
    /// Suffix rank: -4 for `_alpha` up to -1 for `_rc`, 0 for `_cvs` up to 4 for `_p`, and
    /// -1 for an unknown name, as in apk-tools 2.x.
    Suffix(i8),
    Hash(String),
}

impl Value {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Self::ZeroRun(a), Self::ZeroRun(b)) => b.cmp(a),
            (Self::ZeroRun(_), Self::Integer(_)) => Ordering::Less,
            (Self::Integer(_), Self::ZeroRun(_)) => Ordering::Greater,
            (Self::Integer(a), Self::Integer(b)) => cmp_digits(a, b),
            (Self::Letter(a), Self::Letter(b)) => a.cmp(b),
            (Self::Suffix(a), Self::Suffix(b)) => a.cmp(b),
            (Self::Hash(a), Self::Hash(b)) => a.cmp(b),
            // Tokens of one kind always carry values of one variant.
            _ => Ordering::Equal,
        }
    }
}

/// Suffix names in the order apk-tools 2.x tries them as prefixes, with their ranks.
const SUFFIXES: [(&str, i8); 9] = [
    ("alpha", -4),
    ("beta", -3),
    ("pre", -2),
    ("rc", -1),
    ("cvs", 0),
    ("svn", 1),
    ("git", 2),
    ("hg", 3),
    ("p", 4),
];

/// Rank apk-tools 2.x gives an unknown suffix name.
const UNKNOWN_SUFFIX: i8 = -1;

/// A parsed Alpine package version.
#[derive(Debug, Clone)]
pub struct ApkVersion {
    original: String,
    tokens: Vec<(Kind, Value)>,
    /// [`Kind::End`] or [`Kind::Invalid`].
    terminal: Kind,
    /// Whether a number was missing where the grammar requires one.
    missing_number: bool,
}

impl ApkVersion {
    /// Parses an Alpine version the way `apk version -t` reads it.
    ///
    /// # Errors
    ///
    /// Returns [`VersionError`] for an empty string or one with a character outside
    /// printable ASCII, neither of which can occur in an apk package.
    pub fn parse(version: &str) -> Result<Self, VersionError> {
        crate::check_length(Scheme::Apk, version)?;
        let error = |reason: &str| VersionError::new(Scheme::Apk, version, reason);
        if version.is_empty() {
            return Err(error("version is empty"));
        }
        if !version.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(error(
                "version contains whitespace or a character outside printable ASCII",
            ));
        }
        let mut lexer = Lexer {
            tokens: Vec::new(),
            missing_number: false,
        };
        let terminal = lexer.run(version);
        Ok(Self {
            original: version.to_owned(),
            tokens: lexer.tokens,
            terminal,
            missing_number: lexer.missing_number,
        })
    }

    /// Returns whether the version follows apk's grammar, as apk-tools 2.x validates it,
    /// with no number left empty.
    pub fn is_valid(&self) -> bool {
        self.terminal == Kind::End && !self.missing_number
    }

    fn kind_at(&self, index: usize) -> Kind {
        self.tokens
            .get(index)
            .map_or(self.terminal, |(kind, _)| *kind)
    }

    /// Returns whether the token at `index` is a suffix ranking below a release.
    fn is_pre_release_suffix_at(&self, index: usize) -> bool {
        matches!(self.tokens.get(index), Some((Kind::Suffix, Value::Suffix(rank))) if *rank < 0)
    }
}

impl fmt::Display for ApkVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.original)
    }
}

impl Ord for ApkVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        let mut index = 0;
        loop {
            let (a, b) = (self.kind_at(index), other.kind_at(index));
            if a != b || a >= Kind::End {
                break;
            }
            if let (Some((_, x)), Some((_, y))) = (self.tokens.get(index), other.tokens.get(index))
            {
                let order = x.cmp(y);
                if order != Ordering::Equal {
                    return order;
                }
            }
            index += 1;
        }
        let (a, b) = (self.kind_at(index), other.kind_at(index));
        if a == b {
            return Ordering::Equal;
        }
        if self.is_pre_release_suffix_at(index) {
            return Ordering::Less;
        }
        if other.is_pre_release_suffix_at(index) {
            return Ordering::Greater;
        }
        b.cmp(&a)
    }
}

impl PartialOrd for ApkVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for ApkVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for ApkVersion {}

struct Lexer {
    tokens: Vec<(Kind, Value)>,
    missing_number: bool,
}

impl Lexer {
    /// Splits `version` into tokens and returns the terminal kind.
    fn run(&mut self, version: &str) -> Kind {
        let mut kind = Kind::Number;
        let mut rest = version;
        loop {
            let Some((after, forced_next)) = self.read_token(kind, rest) else {
                return Kind::Invalid;
            };
            rest = after;
            if rest.is_empty() {
                return Kind::End;
            }
            kind = match forced_next {
                Some(next) => next,
                None => match next_kind(kind, rest) {
                    Some((next, after)) => {
                        rest = after;
                        next
                    }
                    None => return Kind::Invalid,
                },
            };
        }
    }

    /// Reads a token of `kind` at the start of `rest` and stores it.
    ///
    /// Returns the rest after the token and, after a run of leading zeros, the kind of the
    /// token that must follow. Returns `None` when the token makes the version invalid: an
    /// unknown suffix (stored, with its rank) or an empty hash (not stored).
    fn read_token<'a>(&mut self, kind: Kind, rest: &'a str) -> Option<(&'a str, Option<Kind>)> {
        match kind {
            Kind::DotNumber if rest.starts_with('0') => {
                let (zeros, _) = split_while(rest, |b| b == b'0');
                // Keep the last zero, so that the number read next is never empty.
                let run = zeros.len() - 1;
                let value = if run == 0 {
                    Value::Integer(String::new())
                } else {
                    Value::ZeroRun(run)
                };
                self.tokens.push((kind, value));
                Some((&rest[run..], Some(Kind::Number)))
            }
            Kind::DotNumber | Kind::Number | Kind::SuffixNumber | Kind::Revision => {
                let (digits, after) = split_digits(rest);
                if digits.is_empty() {
                    self.missing_number = true;
                }
                self.tokens.push((kind, Value::Integer(digits.to_owned())));
                Some((after, None))
            }
            Kind::Letter => {
                let letter = rest.as_bytes().first().copied().unwrap_or_default();
                self.tokens.push((kind, Value::Letter(letter)));
                Some((rest.get(1..).unwrap_or_default(), None))
            }
            Kind::Suffix => match SUFFIXES.iter().find(|(name, _)| rest.starts_with(name)) {
                Some((name, rank)) => {
                    self.tokens.push((kind, Value::Suffix(*rank)));
                    Some((&rest[name.len()..], None))
                }
                None => {
                    self.tokens.push((kind, Value::Suffix(UNKNOWN_SUFFIX)));
                    None
                }
            },
            Kind::Hash => {
                let (hash, after) = split_while(rest, |b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
                if hash.is_empty() {
                    return None;
                }
                self.tokens.push((kind, Value::Hash(hash.to_owned())));
                Some((after, None))
            }
            Kind::End | Kind::Invalid => None,
        }
    }
}

/// Determines the kind of the token after one of kind `current`, from the next characters.
///
/// Returns the kind and the rest after its separator, or `None` when no token may follow.
fn next_kind(current: Kind, rest: &str) -> Option<(Kind, &str)> {
    let first = *rest.as_bytes().first()?;
    let (next, after) = match first {
        b'a'..=b'z' if matches!(current, Kind::Number | Kind::DotNumber) => (Kind::Letter, rest),
        b'0'..=b'9' if current == Kind::Letter => (Kind::Number, rest),
        b'0'..=b'9' if current == Kind::Suffix => (Kind::SuffixNumber, rest),
        b'.' => (Kind::DotNumber, &rest[1..]),
        b'_' => (Kind::Suffix, &rest[1..]),
        b'~' => (Kind::Hash, &rest[1..]),
        b'-' => (Kind::Revision, rest.strip_prefix("-r")?),
        _ => return None,
    };
    let allowed = match next {
        Kind::DotNumber => matches!(current, Kind::Number | Kind::DotNumber),
        Kind::Suffix => current <= Kind::SuffixNumber,
        Kind::Hash => current < Kind::Hash,
        Kind::Revision => current != Kind::Invalid,
        _ => true,
    };
    allowed.then_some((next, after))
}

/// Compares two Alpine version strings.
///
/// # Errors
///
/// Returns [`VersionError`] if either string is empty or has a character outside printable
/// ASCII.
pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    Ok(ApkVersion::parse(a)?.cmp(&ApkVersion::parse(b)?))
}
