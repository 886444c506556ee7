//! Maven artifact versions, ordered as Maven's `ComparableVersion` orders them.
//!
//! The lowercased version is split into items at `.`, at `-`, and where digits meet
//! letters; an empty item is 0. A `-`, or a switch between digits and letters, opens a
//! nested list that contains the rest of the version, so `1-1.foo-bar1baz-.1` reads as
//! `[1, [1, foo, [bar, [1, [baz, [0, 1]]]]]]`. Each list then drops its trailing null items
//! (`0`, the empty qualifier and its aliases `ga`, `final` and `release`, and empty lists),
//! looking past nested lists, so `1.0-1` equals `1-1`. A list left holding only a nested
//! list is replaced by it, because Maven's version order documentation trims null items
//! "at each hyphen": `1-ga-1` equals `1-1`.
//!
//! This is `ComparableVersion` as Maven 3.8 shipped it. Maven 3.9 also reads a qualifier
//! after a `.` as if it followed a `-` (`1.foo` equals `1-foo`); that rule is not applied,
//! because it reorders released artifacts such as `2.9.0-1 < 2.9.0.RC1`.
//!
//! Numbers compare numerically, with no size limit. Qualifiers compare in the order
//! `alpha < beta < milestone < rc < snapshot < "" < sp`, then every other qualifier in
//! alphabetical order. `cr` is `rc`, and `a`, `b` and `m` directly followed by a digit
//! are `alpha`, `beta` and `milestone`. A number sorts above a qualifier and a list; a
//! list sorts above a qualifier. A missing item compares like 0 or the empty qualifier.

use std::cmp::Ordering;
use std::fmt;

use crate::num::{cmp_digits, is_zero};
use crate::{Scheme, VersionError};

/// Known qualifiers in ascending order; unknown ones sort after all of them.
const QUALIFIERS: [&str; 7] = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];

/// Position of the empty qualifier (a release) in [`QUALIFIERS`].
const RELEASE_INDEX: usize = 5;

#[derive(Debug, Clone)]
enum Item {
    /// A number as ASCII digits without leading zeros.
    Int(String),
    /// A qualifier with its aliases resolved.
    Qualifier(String),
    List(Vec<Item>),
}

/// Sort key of a qualifier: its index among the known ones, or after them, by name.
fn qualifier_key(qualifier: &str) -> (usize, &str) {
    match QUALIFIERS.iter().position(|known| *known == qualifier) {
        Some(index) => (index, ""),
        None => (QUALIFIERS.len(), qualifier),
    }
}

impl Item {
    fn qualifier(text: &str, followed_by_digit: bool) -> Self {
        let text = match text {
            "a" if followed_by_digit => "alpha",
            "b" if followed_by_digit => "beta",
            "m" if followed_by_digit => "milestone",
            "ga" | "final" | "release" => "",
            "cr" => "rc",
            other => other,
        };
        Self::Qualifier(text.to_owned())
    }

    fn number(digits: &str) -> Self {
        Self::Int(digits.trim_start_matches('0').to_owned())
    }

    fn is_null(&self) -> bool {
        match self {
            Self::Int(digits) => is_zero(digits),
            Self::Qualifier(text) => text.is_empty(),
            Self::List(items) => items.is_empty(),
        }
    }

    /// Compares this item with a missing one.
    fn cmp_missing(&self) -> Ordering {
        match self {
            Self::Int(digits) if is_zero(digits) => Ordering::Equal,
            Self::Int(_) => Ordering::Greater,
            Self::Qualifier(text) => qualifier_key(text).cmp(&(RELEASE_INDEX, "")),
            Self::List(items) => items
                .iter()
                .map(Item::cmp_missing)
                .find(|order| *order != Ordering::Equal)
                .unwrap_or(Ordering::Equal),
        }
    }

    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Self::Int(a), Self::Int(b)) => cmp_digits(a, b),
            (Self::Int(_), _) => Ordering::Greater,
            (_, Self::Int(_)) => Ordering::Less,
            (Self::Qualifier(a), Self::Qualifier(b)) => qualifier_key(a).cmp(&qualifier_key(b)),
            (Self::Qualifier(_), Self::List(_)) => Ordering::Less,
            (Self::List(_), Self::Qualifier(_)) => Ordering::Greater,
            (Self::List(a), Self::List(b)) => cmp_lists(a, b),
        }
    }
}

fn cmp_lists(a: &[Item], b: &[Item]) -> Ordering {
    for index in 0..a.len().max(b.len()) {
        let order = match (a.get(index), b.get(index)) {
            (Some(x), Some(y)) => x.cmp(y),
            (Some(x), None) => x.cmp_missing(),
            (None, Some(y)) => y.cmp_missing().reverse(),
            (None, None) => Ordering::Equal,
        };
        if order != Ordering::Equal {
            return order;
        }
    }
    Ordering::Equal
}

/// Removes trailing null items, looking past nested lists.
fn normalize(items: &mut Vec<Item>) {
    let mut index = items.len();
    while index > 0 {
        index -= 1;
        if items[index].is_null() {
            items.remove(index);
        } else if !matches!(items[index], Item::List(_)) {
            break;
        }
    }
}

/// Splits a lowercased version into items, returning the chain of nested lists from the
/// outermost to the innermost.
fn parse_items(version: &str) -> Vec<Item> {
    // levels[k + 1] is the list nested as the last item of levels[k].
    let mut levels: Vec<Vec<Item>> = vec![Vec::new()];
    let bytes = version.as_bytes();
    let mut start = 0;
    let mut in_digits = false;
    let push = |levels: &mut Vec<Vec<Item>>, item: Item| {
        if let Some(current) = levels.last_mut() {
            current.push(item);
        }
    };
    let item_at = |start: usize, end: usize, in_digits: bool| {
        let text = version.get(start..end).unwrap_or_default();
        if in_digits {
            Item::number(text)
        } else {
            Item::qualifier(text, false)
        }
    };
    for (index, &byte) in bytes.iter().enumerate() {
        match byte {
            b'.' | b'-' => {
                let item = if index == start {
                    Item::Int(String::new())
                } else {
                    item_at(start, index, in_digits)
                };
                push(&mut levels, item);
                start = index + 1;
                if byte == b'-' {
                    levels.push(Vec::new());
                }
            }
            b'0'..=b'9' => {
                if !in_digits && index > start {
                    push(
                        &mut levels,
                        Item::qualifier(version.get(start..index).unwrap_or_default(), true),
                    );
                    start = index;
                    levels.push(Vec::new());
                }
                in_digits = true;
            }
            _ => {
                if in_digits && index > start {
                    push(&mut levels, item_at(start, index, true));
                    start = index;
                    levels.push(Vec::new());
                }
                in_digits = false;
            }
        }
    }
    if version.len() > start {
        push(&mut levels, item_at(start, version.len(), in_digits));
    }
    while levels.len() > 1 {
        let mut inner = levels.pop().unwrap_or_default();
        normalize(&mut inner);
        // A list left holding only the next nested list stands for a `-` section made
        // only of null items, which the trimming removes: `1-ga-1` equals `1-1`.
        if let [Item::List(nested)] = inner.as_mut_slice() {
            inner = std::mem::take(nested);
        }
        push(&mut levels, Item::List(inner));
    }
    let mut root = levels.pop().unwrap_or_default();
    normalize(&mut root);
    root
}

/// A Maven artifact version.
#[derive(Debug, Clone)]
pub struct MavenVersion {
    original: String,
    items: Vec<Item>,
}

impl MavenVersion {
    /// Parses a Maven version. `ComparableVersion` accepts any string, so only strings that
    /// cannot be a version are rejected.
    ///
    /// # Errors
    ///
    /// Returns [`VersionError`] for an empty string or one containing whitespace or control
    /// characters.
    pub fn parse(version: &str) -> Result<Self, VersionError> {
        crate::check_length(Scheme::Maven, version)?;
        let error = |reason: &str| VersionError::new(Scheme::Maven, version, reason);
        if version.is_empty() {
            return Err(error("version is empty"));
        }
        if version.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(error("version contains whitespace or a control character"));
        }
        Ok(Self {
            original: version.to_owned(),
            items: parse_items(&version.to_lowercase()),
        })
    }
}

impl fmt::Display for MavenVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.original)
    }
}

impl Ord for MavenVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        cmp_lists(&self.items, &other.items)
    }
}

impl PartialOrd for MavenVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for MavenVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for MavenVersion {}

/// Compares two Maven version strings.
///
/// # Errors
///
/// Returns [`VersionError`] if either string is empty or contains whitespace.
pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    Ok(MavenVersion::parse(a)?.cmp(&MavenVersion::parse(b)?))
}
