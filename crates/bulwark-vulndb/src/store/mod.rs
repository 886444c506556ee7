//! The SQLite store: its schema, and what readers and writers share.
//!
//! Layout (schema version [`SCHEMA_VERSION`]):
//! - `meta`: `schema_version`.
//! - `feeds`: one row per import input, with its provenance and the zstd
//!   dictionary of its records.
//! - `advisories`: one row per advisory and feed: the id, the times as Unix
//!   seconds (`modified`, `published`, `withdrawn`), the `severity` array as
//!   JSON, and in `record` the whole OSV document as zstd-compressed JSON.
//!   The same id may come from several feeds. The summary, aliases and
//!   references are read from the record: columns of their own would store
//!   them twice, uncompressed.
//! - `aliases`: alias or own id to advisory row, for lookups by any id.
//! - `ecosystems` and `packages`: the match index. Each `packages` row is
//!   one (ecosystem and release, normalized package name) with the sorted
//!   list of advisory rows that affect it, delta- and varint-encoded.
//! - `kev` and `epss`: enrichment by CVE id.

pub(crate) mod read;
pub(crate) mod write;

use bulwark_version::{Ecosystem, normalize_name};

/// Version of the layout below; a reader rejects any other.
pub const SCHEMA_VERSION: u32 = 1;

pub(crate) const SCHEMA: &str = "
CREATE TABLE meta (
    key TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE feeds (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    formats TEXT NOT NULL,
    source TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    records INTEGER NOT NULL,
    skipped INTEGER NOT NULL,
    newest_modified TEXT,
    imported_at INTEGER NOT NULL,
    etag TEXT,
    last_modified TEXT,
    dictionary BLOB
);
CREATE TABLE advisories (
    key INTEGER PRIMARY KEY,
    feed INTEGER NOT NULL,
    id TEXT NOT NULL,
    modified INTEGER,
    published INTEGER,
    withdrawn INTEGER,
    severity TEXT,
    record BLOB NOT NULL
);
CREATE TABLE aliases (
    alias TEXT NOT NULL,
    advisory INTEGER NOT NULL,
    PRIMARY KEY (alias, advisory)
) WITHOUT ROWID;
CREATE TABLE ecosystems (
    id INTEGER PRIMARY KEY,
    ecosystem TEXT NOT NULL,
    release TEXT NOT NULL,
    UNIQUE (ecosystem, release)
);
CREATE TABLE packages (
    ecosystem INTEGER NOT NULL,
    name TEXT NOT NULL,
    advisories BLOB NOT NULL,
    PRIMARY KEY (ecosystem, name)
) WITHOUT ROWID;
CREATE TABLE kev (
    cve TEXT PRIMARY KEY NOT NULL,
    feed INTEGER NOT NULL,
    date_added TEXT NOT NULL,
    due_date TEXT,
    vendor TEXT NOT NULL,
    product TEXT NOT NULL,
    name TEXT NOT NULL,
    ransomware_use TEXT NOT NULL,
    notes TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE epss (
    cve TEXT PRIMARY KEY NOT NULL,
    feed INTEGER NOT NULL,
    score INTEGER NOT NULL,
    percentile INTEGER NOT NULL,
    day INTEGER NOT NULL
) WITHOUT ROWID;
";

/// EPSS probabilities are stored as integers in units of 10^-5, the
/// precision of FIRST's files.
pub(crate) const EPSS_SCALE: f64 = 100_000.0;

/// Splits an OSV ecosystem string into its canonical ecosystem name and its
/// release (empty when there is none). Known ecosystems are matched without
/// regard to ASCII case and spelled as OSV spells them; others are kept.
pub(crate) fn split_ecosystem(text: &str) -> (String, String) {
    let (name, release) = text.split_once(':').unwrap_or((text, ""));
    let name = name.trim();
    let canonical =
        known_ecosystem(name).map_or_else(|| name.to_owned(), |e| e.osv_name().to_owned());
    (canonical, release.trim().to_owned())
}

/// Looks up an ecosystem by name, without regard to ASCII case.
pub(crate) fn known_ecosystem(name: &str) -> Option<Ecosystem> {
    Ecosystem::from_osv_name(name)
        .or_else(|| Ecosystem::all().find(|e| e.osv_name().eq_ignore_ascii_case(name)))
}

/// Returns the index key for a package name in `ecosystem`.
pub(crate) fn package_key(ecosystem: &str, name: &str) -> String {
    match known_ecosystem(ecosystem) {
        Some(known) => normalize_name(known, name.trim()),
        None => name.trim().to_owned(),
    }
}

/// Encodes sorted advisory row keys as varint deltas.
pub(crate) fn encode_postings(keys: &[i64]) -> Vec<u8> {
    let mut out = Vec::with_capacity(keys.len() * 2);
    let mut previous = 0i64;
    for &key in keys {
        let mut delta = u64::try_from(key - previous).unwrap_or(0);
        previous = key;
        loop {
            let byte = (delta & 0x7f) as u8;
            delta >>= 7;
            if delta == 0 {
                out.push(byte);
                break;
            }
            out.push(byte | 0x80);
        }
    }
    out
}

/// Decodes a list written by [`encode_postings`], or `None` when the bytes
/// are malformed.
pub(crate) fn decode_postings(bytes: &[u8]) -> Option<Vec<i64>> {
    let mut keys = Vec::new();
    let mut previous = 0i64;
    let mut delta = 0u64;
    let mut shift = 0u32;
    for &byte in bytes {
        if shift > 56 {
            return None;
        }
        delta |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            previous = previous.checked_add(i64::try_from(delta).ok()?)?;
            keys.push(previous);
            delta = 0;
            shift = 0;
        } else {
            shift += 7;
        }
    }
    (shift == 0).then_some(keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postings_round_trip() {
        let keys = [1, 2, 130, 20_000, 5_000_000_000];
        let bytes = encode_postings(&keys);
        assert_eq!(decode_postings(&bytes).as_deref(), Some(&keys[..]));
        assert_eq!(decode_postings(&[0x80]), None);
    }

    #[test]
    fn ecosystems_canonicalized() {
        assert_eq!(split_ecosystem("pypi"), ("PyPI".into(), String::new()));
        assert_eq!(
            split_ecosystem("Alpine:v3.19"),
            ("Alpine".into(), "v3.19".into())
        );
        assert_eq!(
            split_ecosystem("Ubuntu:22.04:LTS"),
            ("Ubuntu".into(), "22.04:LTS".into())
        );
        assert_eq!(
            split_ecosystem("OSS-Fuzz"),
            ("OSS-Fuzz".into(), String::new())
        );
        assert_eq!(package_key("PyPI", "Zope.Interface"), "zope-interface");
    }
}
