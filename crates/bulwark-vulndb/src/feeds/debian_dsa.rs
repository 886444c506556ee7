//! The Debian security tracker's advisory lists: `data/DSA/list` (Debian
//! Security Advisories), `data/DLA/list` (Debian LTS Advisories) and
//! `data/DTSA/list` (Debian Testing Security Advisories).
//!
//! Each advisory is a header line at column 0 followed by lines indented
//! with a tab or spaces:
//!
//! ```text
//! [29 Mar 2023] DSA-5380-1 xorg-server - security update
//!     {CVE-2023-1393}
//!     [bullseye] - xorg-server 2:1.20.11-1+deb11u6
//! ```
//!
//! DTSA headers write the date as `[August 26th, 2005]`. The indented lines
//! are a `{…}` list of CVE ids (a list may wrap onto the next lines), package
//! lines `[release] - package version (notes)` or `[release] - package
//! <kind> (comment)`, and `NOTE:` or `TODO:` lines.
//!
//! Each header becomes one advisory: its id (`DSA-5380-1`), the header text
//! after the id as summary and the date as `published`. The CVE ids go to
//! `upstream`, as for the DSA definitions of [`super::debian_oval`], because
//! one DSA fixes several CVEs and so is not an alias of any of them. Each
//! package line becomes an `affected` entry for the source package in
//! `Debian:N`:
//!
//! - a version: affected, fixed in that version;
//! - `<not-affected>`: not affected;
//! - `<unfixed>`, `<removed>`, `<no-dsa>` or no version: affected without a
//!   fix, because `no-dsa` only says that no advisory will be issued and a
//!   point release may still fix it;
//! - `<ignored>`: will not fix, `<postponed>`: fix deferred, as
//!   [`super::debian_tracker`] reads the tracker's `nodsa_reason`;
//! - `<undetermined>`: under investigation;
//! - `<end-of-life>`: no entry, because security support for the package
//!   ended; the package is listed in `database_specific.end_of_life`;
//! - `<itp>`: no entry, because the package is not in Debian yet.
//!
//! Releases are numbered as in the `version` column of distro-info-data's
//! `debian.csv`, since the tracker's `config.json` names releases without
//! numbers. From etch on, the major number of [`super::debian_tracker`] is
//! used (`Debian:4`), so both converters name a release alike. Earlier
//! releases keep their full number (`Debian:3.0` for woody, `Debian:3.1` for
//! sarge), as OSV.dev does, because woody and sarge share the major 3.
//! Package lines without a release or for `sid` and `experimental` are left
//! out, because OSV's Debian ecosystem is numbered.
//!
//! A line that cannot be read makes its whole advisory a [`RecordError`]
//! naming the line, so every header yields one record or one error.

use std::borrow::Cow;
use std::path::Path;

use bulwark_osv::{Advisory, Affected, Reference, Status};
use bulwark_version::dpkg::DpkgVersion;
use serde_json::{Map, Value, json};

use super::oval::affected_entry;
use super::{FeedConverter, FeedError, Record, RecordError, debian_tracker};

/// Converts the Debian security tracker's DSA, DLA and DTSA lists.
#[derive(Debug, Default, Clone, Copy)]
pub struct DebianDsa;

impl FeedConverter for DebianDsa {
    fn name(&self) -> &'static str {
        "debian-dsa"
    }

    fn detect(&self, _path: &Path, head: &[u8]) -> bool {
        let text = String::from_utf8_lossy(head);
        text.lines()
            .find(|line| !line.trim().is_empty())
            .is_some_and(|line| parse_header(line).is_ok())
    }

    fn convert(
        &self,
        _path: &Path,
        data: &[u8],
        sink: &mut dyn FnMut(Result<Record, RecordError>),
    ) -> Result<(), FeedError> {
        let mut state = State::BeforeFirst;
        for (index, raw) in data.split(|byte| *byte == b'\n').enumerate() {
            let number = index + 1;
            let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
            let line = String::from_utf8_lossy(raw);
            let invalid_utf8 = matches!(line, Cow::Owned(_));
            if line.trim().is_empty() || line.starts_with("--") {
                continue;
            }
            if line.starts_with([' ', '\t']) {
                match &mut state {
                    State::Advisory(builder) if invalid_utf8 => {
                        builder.fail(number, "the line is not valid UTF-8".to_owned());
                    }
                    State::Advisory(builder) => builder.add_line(number, line.trim()),
                    State::Skipping => {}
                    State::BeforeFirst => sink(Err(RecordError::new(
                        format!("line {number}"),
                        "indented line before the first advisory header",
                    ))),
                }
                continue;
            }
            if let State::Advisory(builder) = std::mem::replace(&mut state, State::Skipping) {
                sink(builder.finish().map(Record::from));
            }
            let header = if invalid_utf8 {
                Err("the line is not valid UTF-8".to_owned())
            } else {
                parse_header(&line)
            };
            match header {
                Ok(header) => state = State::Advisory(Box::new(Builder::new(header))),
                Err(reason) => sink(Err(RecordError::new(
                    format!("line {number}"),
                    format!("invalid advisory header {:?}: {reason}", line.trim_end()),
                ))),
            }
        }
        if let State::Advisory(builder) = state {
            sink(builder.finish().map(Record::from));
        }
        Ok(())
    }
}

/// Position of the reader in the list.
enum State {
    /// No header seen yet.
    BeforeFirst,
    /// After a header that could not be read: its lines are skipped.
    Skipping,
    /// Inside an advisory.
    Advisory(Box<Builder>),
}

/// An advisory header: `[29 Mar 2023] DSA-5380-1 xorg-server - security
/// update`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Header {
    id: String,
    /// `YYYY-MM-DD`.
    date: String,
    /// The text after the id, such as `xorg-server - security update`.
    description: String,
}

/// Parses an advisory header line.
fn parse_header(line: &str) -> Result<Header, String> {
    let rest = line
        .strip_prefix('[')
        .ok_or("the line does not start with a [date]")?;
    let (date, rest) = rest
        .split_once(']')
        .ok_or("the date has no closing bracket")?;
    let date = parse_date(date.trim()).ok_or_else(|| format!("invalid date {date:?}"))?;
    let rest = rest.trim_start();
    let (id, description) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    if !is_advisory_id(id) {
        return Err(format!("{id:?} is not a DSA, DLA or DTSA id"));
    }
    Ok(Header {
        id: id.to_owned(),
        date,
        description: description.trim().to_owned(),
    })
}

/// Returns whether `id` reads `DSA-N`, `DSA-N-N`, `DLA-N-N` or `DTSA-N-N`.
fn is_advisory_id(id: &str) -> bool {
    let Some((prefix, rest)) = id.split_once('-') else {
        return false;
    };
    if !matches!(prefix, "DSA" | "DLA" | "DTSA") {
        return false;
    }
    let parts: Vec<&str> = rest.split('-').collect();
    parts.len() <= 2
        && parts
            .iter()
            .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Parses `29 Mar 2023` (DSA, DLA) or `August 26th, 2005` (DTSA) into
/// `YYYY-MM-DD`.
fn parse_date(text: &str) -> Option<String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let (day, month, year) = match words.as_slice() {
        [day, month, year] if day.bytes().all(|b| b.is_ascii_digit()) => (*day, *month, *year),
        [month, day, year] => {
            let day = day.strip_suffix(',')?;
            let day = ["st", "nd", "rd", "th"]
                .iter()
                .find_map(|suffix| day.strip_suffix(suffix))
                .unwrap_or(day);
            (day, *month, *year)
        }
        _ => return None,
    };
    let month = MONTHS.iter().position(|name| {
        name.eq_ignore_ascii_case(month) || (month.len() == 3 && name.starts_with(month))
    })? + 1;
    let day: u32 = day.parse().ok()?;
    if !(1..=31).contains(&day) || year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(format!("{year}-{month:02}-{day:02}"))
}

/// Returns the number OSV's Debian ecosystem gives a codename, or `None`
/// for a codename without one.
fn release_number(codename: &str) -> Option<&'static str> {
    match codename {
        "hamm" => Some("2.0"),
        "slink" => Some("2.1"),
        "potato" => Some("2.2"),
        "woody" => Some("3.0"),
        "sarge" => Some("3.1"),
        other => debian_tracker::release_number(other),
    }
}

/// Codenames that never get a number.
const UNNUMBERED: [&str; 4] = ["sid", "unstable", "experimental", "testing"];

/// Urgencies as the tracker spells them in package notes.
const URGENCIES: [&str; 6] = [
    "high",
    "medium",
    "low",
    "unimportant",
    "end-of-life",
    "not yet assigned",
];

/// One package line after its release was mapped.
struct Entry {
    ecosystem: String,
    package: String,
    fixed: Option<String>,
    status: Status,
    specific: Map<String, Value>,
}

/// Collects the lines of one advisory.
struct Builder {
    header: Header,
    upstream: Vec<String>,
    related: Vec<String>,
    entries: Vec<Entry>,
    notes: Vec<String>,
    end_of_life: Vec<Value>,
    /// Text of a `{…}` list whose closing brace is on a later line.
    open_list: Option<String>,
    /// The first line that could not be read, with the reason.
    error: Option<String>,
}

impl Builder {
    fn new(header: Header) -> Self {
        Self {
            header,
            upstream: Vec::new(),
            related: Vec::new(),
            entries: Vec::new(),
            notes: Vec::new(),
            end_of_life: Vec::new(),
            open_list: None,
            error: None,
        }
    }

    fn fail(&mut self, number: usize, reason: String) {
        if self.error.is_none() {
            self.error = Some(format!("line {number}: {reason}"));
        }
    }

    /// Adds one indented line, already trimmed.
    fn add_line(&mut self, number: usize, line: &str) {
        if self.error.is_some() {
            return;
        }
        if let Some(mut open) = self.open_list.take() {
            open.push(' ');
            open.push_str(line);
            self.add_list(number, open);
            return;
        }
        let result = if line.starts_with('{') {
            self.add_list(number, line.to_owned());
            Ok(())
        } else if let Some(note) = line.strip_prefix("NOTE:") {
            self.notes.push(note.trim().to_owned());
            Ok(())
        } else if line.starts_with("TODO:") {
            // TODO lines are the tracker team's work items, not package data.
            Ok(())
        } else if line.starts_with('[') || line.starts_with('-') {
            self.add_package(line)
        } else {
            Err(format!(
                "expected a {{CVE list}}, a package line or NOTE:, got {line:?}"
            ))
        };
        if let Err(reason) = result {
            self.fail(number, reason);
        }
    }

    /// Adds the ids of a `{…}` list, or keeps it open until its `}`.
    fn add_list(&mut self, number: usize, text: String) {
        let Some(inner) = text.trim_end().strip_suffix('}') else {
            self.open_list = Some(text);
            return;
        };
        for id in inner.trim_start_matches('{').split_whitespace() {
            if is_cve(id) {
                if !self.upstream.iter().any(|known| known == id) {
                    self.upstream.push(id.to_owned());
                }
            } else if is_advisory_id(id) || is_vu_id(id) {
                if !self.related.iter().any(|known| known == id) {
                    self.related.push(id.to_owned());
                }
            } else {
                self.fail(
                    number,
                    format!("{id:?} in the id list is not a CVE or advisory id"),
                );
                return;
            }
        }
    }

    fn add_package(&mut self, line: &str) -> Result<(), String> {
        let parsed = parse_package_line(line)?;
        let Some(codename) = parsed.release else {
            // No release: the line is about unstable.
            return Ok(());
        };
        let Some(number) = release_number(codename) else {
            if UNNUMBERED.contains(&codename) {
                return Ok(());
            }
            return Err(format!("unknown release {codename:?}"));
        };
        let ecosystem = format!("Debian:{number}");
        let mut specific = Map::new();
        let (fixed, status) = match parsed.state {
            PackageState::Version(version) => {
                DpkgVersion::parse(version).map_err(|error| error.to_string())?;
                read_notes(parsed.notes, &mut specific);
                (Some(version.to_owned()), Status::Affected)
            }
            PackageState::Missing => {
                read_notes(parsed.notes, &mut specific);
                (None, Status::Affected)
            }
            PackageState::Special(kind) => {
                let Some(status) = special_status(kind, parsed.notes, &mut specific)? else {
                    if kind == "end-of-life" {
                        self.end_of_life
                            .push(json!({"ecosystem": ecosystem, "package": parsed.package}));
                    }
                    return Ok(());
                };
                (None, status)
            }
        };
        self.push_entry(Entry {
            ecosystem,
            package: parsed.package.to_owned(),
            fixed,
            status,
            specific,
        })
    }

    /// Adds an entry. A package listed twice for one release keeps the
    /// higher fixed version, as the tracker merges such lines.
    fn push_entry(&mut self, entry: Entry) -> Result<(), String> {
        let Some(known) = self
            .entries
            .iter_mut()
            .find(|known| known.ecosystem == entry.ecosystem && known.package == entry.package)
        else {
            self.entries.push(entry);
            return Ok(());
        };
        match (&known.fixed, &entry.fixed) {
            (Some(old), Some(new)) => {
                let old_version = DpkgVersion::parse(old).map_err(|e| e.to_string())?;
                let new_version = DpkgVersion::parse(new).map_err(|e| e.to_string())?;
                if new_version > old_version {
                    *known = entry;
                }
                Ok(())
            }
            _ => Err(format!(
                "package {} is listed twice for {} with different states",
                entry.package, entry.ecosystem
            )),
        }
    }

    fn finish(self) -> Result<Advisory, RecordError> {
        let id = self.header.id;
        if let Some(error) = self.error {
            return Err(RecordError::new(id, error));
        }
        if self.open_list.is_some() {
            return Err(RecordError::new(id, "the {CVE list} has no closing }"));
        }
        let affected: Vec<Affected> = self
            .entries
            .into_iter()
            .map(|entry| {
                let specific = (!entry.specific.is_empty()).then_some(entry.specific);
                affected_entry(
                    &entry.ecosystem,
                    &entry.package,
                    entry.fixed.as_deref(),
                    entry.status,
                    specific,
                )
            })
            .collect();
        let mut database_specific = Map::new();
        if !self.notes.is_empty() {
            database_specific.insert("notes".to_owned(), json!(self.notes));
        }
        if !self.end_of_life.is_empty() {
            database_specific.insert("end_of_life".to_owned(), Value::Array(self.end_of_life));
        }
        Ok(Advisory {
            schema_version: Some("1.6.0".to_owned()),
            modified: String::new(),
            published: Some(format!("{}T00:00:00Z", self.header.date)),
            withdrawn: None,
            aliases: Vec::new(),
            related: self.related,
            upstream: self.upstream,
            summary: (!self.header.description.is_empty()).then_some(self.header.description),
            details: None,
            severity: Vec::new(),
            affected,
            references: vec![Reference {
                kind: "ADVISORY".to_owned(),
                url: format!("https://security-tracker.debian.org/tracker/{id}"),
            }],
            credits: Vec::new(),
            database_specific: (!database_specific.is_empty())
                .then_some(Value::Object(database_specific)),
            id,
        })
    }
}

/// Returns whether `id` reads `CVE-YYYY-NNNN`.
fn is_cve(id: &str) -> bool {
    let Some(rest) = id.strip_prefix("CVE-") else {
        return false;
    };
    let Some((year, number)) = rest.split_once('-') else {
        return false;
    };
    year.len() == 4
        && year.bytes().all(|b| b.is_ascii_digit())
        && number.len() >= 4
        && number.bytes().all(|b| b.is_ascii_digit())
}

/// Returns whether `id` is a CERT vulnerability note id (`VU#123456`).
fn is_vu_id(id: &str) -> bool {
    id.strip_prefix("VU#")
        .is_some_and(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
}

/// The state a package line gives after the package name.
#[derive(Debug, PartialEq, Eq)]
enum PackageState<'a> {
    /// A fixed version.
    Version(&'a str),
    /// A `<kind>` such as `not-affected`, without the angle brackets.
    Special(&'a str),
    /// Nothing: the package is affected without a fix.
    Missing,
}

/// A package line: `[release] - package version-or-<kind> (notes)`.
#[derive(Debug, PartialEq, Eq)]
struct PackageLine<'a> {
    release: Option<&'a str>,
    package: &'a str,
    state: PackageState<'a>,
    /// The text inside the trailing parentheses.
    notes: Option<&'a str>,
}

fn parse_package_line(line: &str) -> Result<PackageLine<'_>, String> {
    let (release, rest) = match line.strip_prefix('[') {
        Some(rest) => {
            let (release, rest) = rest
                .split_once(']')
                .ok_or("the release has no closing bracket")?;
            if release.is_empty() || !release.bytes().all(|b| b.is_ascii_lowercase() || b == b'-') {
                return Err(format!("invalid release {release:?}"));
            }
            (Some(release), rest.trim_start())
        }
        None => (None, line),
    };
    let rest = rest
        .strip_prefix('-')
        .filter(|rest| rest.starts_with(char::is_whitespace))
        .ok_or_else(|| format!("expected \"- package\" after the release in {line:?}"))?
        .trim_start();
    let (package, rest) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    if package.is_empty()
        || !package
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+-.:".contains(&b))
    {
        return Err(format!("invalid package name {package:?}"));
    }
    let rest = rest.trim();
    let (state, rest) = if let Some(special) = rest.strip_prefix('<') {
        let (kind, rest) = special
            .split_once('>')
            .ok_or_else(|| format!("{rest:?} has no closing >"))?;
        (PackageState::Special(kind), rest.trim_start())
    } else if rest.is_empty() || rest.starts_with('(') {
        (PackageState::Missing, rest)
    } else {
        let (version, rest) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        (PackageState::Version(version), rest.trim_start())
    };
    let notes = if rest.is_empty() {
        None
    } else {
        let inner = rest
            .strip_prefix('(')
            .and_then(|inner| inner.strip_suffix(')'))
            .ok_or_else(|| format!("unexpected text {rest:?} after the version"))?;
        Some(inner.trim())
    };
    Ok(PackageLine {
        release,
        package,
        state,
        notes,
    })
}

/// Reads the notes of a versioned line (`high`, `bug #327431; medium`)
/// into `ecosystem_specific`: `urgency`, `bugs`, and `note` for other text.
fn read_notes(notes: Option<&str>, specific: &mut Map<String, Value>) {
    let Some(notes) = notes else {
        return;
    };
    let mut bugs = Vec::new();
    let mut other = Vec::new();
    for part in notes.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        if URGENCIES.contains(&part) {
            specific.insert("urgency".to_owned(), json!(part));
        } else if let Some(bug) = part
            .strip_prefix("bug #")
            .and_then(|n| n.parse::<u64>().ok())
        {
            bugs.push(bug);
        } else if part != "bug filed" {
            other.push(part);
        }
    }
    if !bugs.is_empty() {
        specific.insert("bugs".to_owned(), json!(bugs));
    }
    if !other.is_empty() {
        specific.insert("note".to_owned(), json!(other.join("; ")));
    }
}

/// Returns the status of a `<kind>` line, or `None` for kinds that give no
/// entry (`end-of-life`, `itp`). The comment goes into `specific` under the
/// keys [`super::debian_tracker`] uses.
fn special_status(
    kind: &str,
    comment: Option<&str>,
    specific: &mut Map<String, Value>,
) -> Result<Option<Status>, String> {
    let mut keep_comment = |key: &str| {
        if let Some(comment) = comment.filter(|c| !c.is_empty()) {
            specific.insert(key.to_owned(), json!(comment));
        }
    };
    let status = match kind {
        "not-affected" => {
            keep_comment("note");
            Status::NotAffected
        }
        "unfixed" | "removed" => {
            read_notes(comment, specific);
            Status::Affected
        }
        "no-dsa" => {
            keep_comment("nodsa");
            Status::Affected
        }
        "ignored" | "postponed" => {
            keep_comment("nodsa");
            specific.insert("nodsa_reason".to_owned(), json!(kind));
            if kind == "ignored" {
                Status::WillNotFix
            } else {
                Status::FixDeferred
            }
        }
        "undetermined" => {
            keep_comment("note");
            Status::UnderInvestigation
        }
        "end-of-life" | "itp" => return Ok(None),
        other => return Err(format!("unknown package state <{other}>")),
    };
    Ok(Some(status))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_dates_in_both_styles() {
        let dsa = parse_header("[29 Mar 2023] DSA-5380-1 xorg-server - security update").unwrap();
        assert_eq!(dsa.id, "DSA-5380-1");
        assert_eq!(dsa.date, "2023-03-29");
        assert_eq!(dsa.description, "xorg-server - security update");
        let dtsa = parse_header("[September 1st, 2005] DTSA-8-2 mozilla-firefox - fix").unwrap();
        assert_eq!(dtsa.date, "2005-09-01");
        let old = parse_header("[14 Feb 2007] DSA-1260 imagemagick").unwrap();
        assert_eq!(old.id, "DSA-1260");
        assert_eq!(old.description, "imagemagick");
        assert!(parse_header("[19 Jul 2021] MALFORMED HEADER").is_err());
        assert!(parse_header("[31 Foo 2021] DSA-1-1 x").is_err());
    }

    #[test]
    fn package_line_parts() {
        let line = parse_package_line("[wheezy] - curl  7.26.0-1+wheezy5").unwrap();
        assert_eq!(line.release, Some("wheezy"));
        assert_eq!(line.package, "curl");
        assert_eq!(line.state, PackageState::Version("7.26.0-1+wheezy5"));
        let line = parse_package_line("[etch] - clamav <end-of-life> (no signatures)").unwrap();
        assert_eq!(line.state, PackageState::Special("end-of-life"));
        assert_eq!(line.notes, Some("no signatures"));
        let line = parse_package_line("- foo (bug #12)").unwrap();
        assert_eq!(line.release, None);
        assert_eq!(line.state, PackageState::Missing);
        assert!(parse_package_line("[buster] - foo 1.0 trailing").is_err());
        assert!(parse_package_line("[Buster] - foo 1.0").is_err());
    }
}
