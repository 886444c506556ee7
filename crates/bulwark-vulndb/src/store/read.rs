//! Read-only access for scans.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use bulwark_osv::{Advisory, Affected, PackageRef};
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use serde::Deserialize;
use zstd::bulk::Decompressor;

use super::{
    EPSS_SCALE, SCHEMA_VERSION, decode_postings, known_ecosystem, package_key, split_ecosystem,
};
use crate::codec;
use crate::error::{Error, Result};
use crate::feeds::{EpssScore, KevEntry};

/// Provenance of one stored feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedInfo {
    /// Feed name: the input's path for `db import`, `osv/<Ecosystem>`,
    /// `kev` or `epss` for `db update`.
    pub name: String,
    /// Converters that read the feed's files, such as `osv` or `kev`.
    pub formats: Vec<String>,
    /// Path or URL the feed was read from.
    pub source: String,
    /// SHA-256 of the input file, or for a directory of the sorted list of
    /// its files' digests and paths, in lowercase hex.
    pub sha256: String,
    /// Size of the input in bytes, as read (compressed).
    pub size: u64,
    /// Records stored: advisories, KEV entries and EPSS scores.
    pub records: u64,
    /// Records skipped as invalid.
    pub skipped: u64,
    /// Newest `modified` time of the feed's advisories, RFC 3339.
    pub newest_modified: Option<String>,
    /// Import time, Unix seconds.
    pub imported_at: i64,
    /// HTTP `ETag` of the download, for conditional requests.
    pub etag: Option<String>,
    /// HTTP `Last-Modified` of the download, for conditional requests.
    pub last_modified: Option<String>,
}

/// Row counts of the whole database.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Advisory rows, one per advisory and feed.
    pub advisories: u64,
    /// Indexed (ecosystem, package) pairs.
    pub packages: u64,
    /// KEV entries.
    pub kev: u64,
    /// EPSS scores.
    pub epss: u64,
}

/// A vulnerability database opened read-only.
///
/// Imports replace the file by renaming a new one over it, so an open
/// database keeps reading the file it opened.
pub struct Database {
    conn: Connection,
    path: PathBuf,
    ecosystems: HashMap<(String, String), i64>,
    decoding: Mutex<Decoding>,
}

/// What decoding records reuses from one record to the next.
#[derive(Default)]
struct Decoding {
    /// Decompressor of each feed, with the feed's dictionary loaded.
    decompressors: HashMap<i64, Decompressor<'static>>,
    /// Decompressed JSON of the record being parsed.
    buffer: Vec<u8>,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// One `affected` entry of a stored advisory, as
/// [`Database::affected_entries_for`] returns it.
#[derive(Debug, Clone, PartialEq)]
pub struct AffectedEntry {
    /// Id of the advisory.
    pub id: String,
    /// Key of the advisory's row in the database that returned the entry.
    row: i64,
    /// The entry, as stored in the advisory's `affected` array.
    pub affected: Affected,
}

/// The fields of an OSV record that [`Database::affected_entries_for`]
/// reads. Deserializing it skips the other fields without allocating.
#[derive(Deserialize)]
struct AffectedOnly {
    #[serde(default)]
    affected: Vec<Affected>,
}

/// A package lookup: the canonical query and the rows of the advisories
/// that the index lists for it.
struct Candidates {
    ecosystem: String,
    release: String,
    key: String,
    rows: Vec<Row>,
}

/// One stored advisory row, before its record is decompressed.
struct Row {
    key: i64,
    feed: i64,
    id: String,
    modified: Option<i64>,
    record: Vec<u8>,
}

impl Database {
    /// Opens the database at `path` read-only.
    ///
    /// # Errors
    ///
    /// [`Error::Missing`] when there is no file, [`Error::SchemaVersion`]
    /// when another schema version wrote it, [`Error::Sqlite`] when it is
    /// not a database.
    pub fn open(path: &Path) -> Result<Self> {
        if !path.is_file() {
            return Err(Error::Missing {
                path: path.to_owned(),
            });
        }
        let sqlite = |e| Error::sqlite(path, e);
        // Imports never change a database file in place, they rename a new
        // one over it, so the file is opened as immutable: SQLite then
        // takes no file lock and checks for no change at each statement.
        let conn = Connection::open_with_flags(
            immutable_uri(path),
            OpenFlags::SQLITE_OPEN_READ_ONLY
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
                | OpenFlags::SQLITE_OPEN_URI,
        )
        .map_err(sqlite)?;
        let version: Option<String> = conn
            .query_row(
                "SELECT value FROM meta WHERE key = 'schema_version'",
                [],
                |row| row.get(0),
            )
            .optional()
            .map_err(sqlite)?;
        if version.as_deref() != Some(SCHEMA_VERSION.to_string().as_str()) {
            return Err(Error::SchemaVersion {
                path: path.to_owned(),
                found: version.unwrap_or_else(|| "none".to_owned()),
                expected: SCHEMA_VERSION,
            });
        }
        let mut ecosystems = HashMap::new();
        {
            let mut statement = conn
                .prepare("SELECT id, ecosystem, release FROM ecosystems")
                .map_err(sqlite)?;
            let mut rows = statement.query([]).map_err(sqlite)?;
            while let Some(row) = rows.next().map_err(sqlite)? {
                ecosystems.insert(
                    (row.get(1).map_err(sqlite)?, row.get(2).map_err(sqlite)?),
                    row.get(0).map_err(sqlite)?,
                );
            }
        }
        Ok(Self {
            conn,
            path: path.to_owned(),
            ecosystems,
            decoding: Mutex::new(Decoding::default()),
        })
    }

    /// Opens the database in `cache_dir` (`db/bulwark.db`) read-only.
    ///
    /// # Errors
    ///
    /// As [`Database::open`].
    pub fn open_in(cache_dir: &Path) -> Result<Self> {
        Self::open(&crate::paths::db_path(cache_dir))
    }

    /// Returns the database file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn sqlite(&self, error: rusqlite::Error) -> Error {
        Error::sqlite(&self.path, error)
    }

    /// Returns the advisories that affect package `name` in `ecosystem`
    /// (`PyPI`, `Alpine`) and `release` (`v3.19`; `None` for ecosystems
    /// without releases), each with the `affected` entry that names the
    /// package.
    ///
    /// The ecosystem is matched without regard to ASCII case, and `name`
    /// is normalized as the ecosystem compares names (PEP 503 for PyPI).
    /// Advisories from several feeds with the same id are returned once,
    /// from the feed whose copy was modified last. Withdrawn advisories are
    /// never returned. An advisory with several entries for the package is
    /// returned once per entry.
    ///
    /// # Errors
    ///
    /// [`Error::Sqlite`] or [`Error::Corrupt`] when the file is damaged.
    pub fn affected_for(
        &self,
        ecosystem: &str,
        release: Option<&str>,
        name: &str,
    ) -> Result<Vec<(Advisory, Affected)>> {
        let Some(query) = self.candidates(ecosystem, release, name)? else {
            return Ok(Vec::new());
        };
        // NOTE: parsing whole records into the model dominates this
        // function, about 11 µs of CPU per returned pair (`bench/db.sh`).
        // [`Database::affected_entries_for`] parses only the entries.
        let mut matches = Vec::new();
        for row in query.rows {
            let advisory = self.decode(row)?;
            let entries: Vec<Affected> = advisory
                .affected
                .iter()
                .filter(|affected| {
                    affected.package.as_ref().is_some_and(|package| {
                        names_package(package, &query.ecosystem, &query.release, &query.key)
                    })
                })
                .cloned()
                .collect();
            // Most advisories name a package once: move the advisory into
            // the last pair instead of copying it.
            let mut entries = entries.into_iter().peekable();
            while let Some(affected) = entries.next() {
                if entries.peek().is_some() {
                    matches.push((advisory.clone(), affected));
                } else {
                    matches.push((advisory, affected));
                    break;
                }
            }
        }
        Ok(matches)
    }

    /// Returns the `affected` entries that name package `name` in
    /// `ecosystem` and `release`, each with the id of its advisory but
    /// without the rest of the advisory, which [`Database::advisory_of`]
    /// loads on request.
    ///
    /// Finds the same entries, in the same order, as
    /// [`Database::affected_for`], but parses only each record's `affected`
    /// array: about three quarters of the CPU time on the corpus
    /// (`bench/db.sh`).
    /// Matchers that need the whole advisory only for the entries whose
    /// ranges contain the installed version should call this.
    ///
    /// # Errors
    ///
    /// [`Error::Sqlite`] or [`Error::Corrupt`] when the file is damaged.
    pub fn affected_entries_for(
        &self,
        ecosystem: &str,
        release: Option<&str>,
        name: &str,
    ) -> Result<Vec<AffectedEntry>> {
        let Some(query) = self.candidates(ecosystem, release, name)? else {
            return Ok(Vec::new());
        };
        let mut entries = Vec::new();
        for row in query.rows {
            let affected: Vec<Affected> = self.decode_as::<AffectedOnly>(&row)?.affected;
            let mut matching = affected.into_iter().filter(|affected| {
                affected.package.as_ref().is_some_and(|package| {
                    names_package(package, &query.ecosystem, &query.release, &query.key)
                })
            });
            // Most records name the package once, so the id is moved
            // into the last entry instead of copied.
            let mut next = matching.next();
            let mut id = Some(row.id);
            while let Some(affected) = next {
                next = matching.next();
                let id = if next.is_some() {
                    id.clone()
                } else {
                    id.take()
                };
                entries.push(AffectedEntry {
                    id: id.unwrap_or_default(),
                    row: row.key,
                    affected,
                });
            }
        }
        Ok(entries)
    }

    /// Loads the whole advisory that an entry from
    /// [`Database::affected_entries_for`] belongs to: the one
    /// [`Database::affected_for`] pairs with that entry.
    ///
    /// # Errors
    ///
    /// [`Error::Sqlite`] or [`Error::Corrupt`] when the file is damaged.
    pub fn advisory_of(&self, entry: &AffectedEntry) -> Result<Advisory> {
        let row = self.row(entry.row)?;
        self.decode(row)
    }

    /// Looks up the index entry of a package and returns the rows of the
    /// advisories it lists, one per id, or `None` when no advisory names
    /// the package.
    fn candidates(
        &self,
        ecosystem: &str,
        release: Option<&str>,
        name: &str,
    ) -> Result<Option<Candidates>> {
        let (ecosystem, _) = split_ecosystem(ecosystem);
        let release = release.map(str::trim).unwrap_or_default();
        let Some(&ecosystem_id) = self
            .ecosystems
            .get(&(ecosystem.clone(), release.to_owned()))
        else {
            return Ok(None);
        };
        let key = package_key(&ecosystem, name);
        let postings: Option<Vec<u8>> = self
            .conn
            .prepare_cached("SELECT advisories FROM packages WHERE ecosystem = ?1 AND name = ?2")
            .and_then(|mut s| {
                s.query_row(params![ecosystem_id, key], |row| row.get(0))
                    .optional()
            })
            .map_err(|e| self.sqlite(e))?;
        let Some(postings) = postings else {
            return Ok(None);
        };
        let keys = decode_postings(&postings).ok_or_else(|| Error::Corrupt {
            path: self.path.clone(),
            id: format!("{ecosystem}:{release}/{key}"),
            reason: "malformed package index entry".to_owned(),
        })?;

        // Several feeds may hold the same id: keep the copy modified last.
        let mut rows: Vec<Row> = Vec::with_capacity(keys.len());
        let mut position: HashMap<String, usize> = HashMap::new();
        for advisory_key in keys {
            let row = self.row(advisory_key)?;
            match position.get(&row.id) {
                Some(&i) if row.modified <= rows[i].modified => {}
                Some(&i) => rows[i] = row,
                None => {
                    position.insert(row.id.clone(), rows.len());
                    rows.push(row);
                }
            }
        }

        Ok(Some(Candidates {
            ecosystem,
            release: release.to_owned(),
            key,
            rows,
        }))
    }

    /// Returns the releases of `ecosystem` that have advisories, sorted
    /// (`["v3.18", "v3.19"]` for `Alpine`; `[""]` for an ecosystem without
    /// releases). Scans use it to tell an unknown release from a clean one.
    pub fn releases(&self, ecosystem: &str) -> Vec<String> {
        let (ecosystem, _) = split_ecosystem(ecosystem);
        let mut releases: Vec<String> = self
            .ecosystems
            .keys()
            .filter(|(name, _)| *name == ecosystem)
            .map(|(_, release)| release.clone())
            .collect();
        releases.sort();
        releases
    }

    /// Returns every stored copy of the advisory with id or alias `id`, one
    /// per feed that has it, newest `modified` first.
    ///
    /// # Errors
    ///
    /// [`Error::Sqlite`] or [`Error::Corrupt`] when the file is damaged.
    pub fn advisories_with_id(&self, id: &str) -> Result<Vec<Advisory>> {
        let keys: Vec<i64> = self
            .conn
            .prepare_cached("SELECT advisory FROM aliases WHERE alias = ?1")
            .and_then(|mut s| {
                s.query_map([id], |row| row.get(0))?
                    .collect::<rusqlite::Result<Vec<i64>>>()
            })
            .map_err(|e| self.sqlite(e))?;
        let mut advisories = keys
            .into_iter()
            .map(|key| self.row(key).and_then(|row| self.decode(row)))
            .collect::<Result<Vec<_>>>()?;
        advisories.sort_by(|a, b| {
            crate::time::parse_rfc3339(&b.modified).cmp(&crate::time::parse_rfc3339(&a.modified))
        });
        Ok(advisories)
    }

    /// Returns the ids an advisory is known by: its own id, its aliases,
    /// and the ids of stored advisories that list any of those as an alias.
    ///
    /// # Errors
    ///
    /// [`Error::Sqlite`] when the file is damaged.
    pub fn related_ids(&self, advisory: &Advisory) -> Result<BTreeSet<String>> {
        let mut ids: BTreeSet<String> = BTreeSet::new();
        ids.insert(advisory.id.clone());
        ids.extend(advisory.aliases.iter().cloned());
        let mut statement = self
            .conn
            .prepare_cached(
                "SELECT advisories.id FROM aliases JOIN advisories ON advisories.key = aliases.advisory \
                 WHERE aliases.alias = ?1",
            )
            .map_err(|e| self.sqlite(e))?;
        let mut found = Vec::new();
        for id in &ids {
            let rows = statement
                .query_map([id], |row| row.get::<_, String>(0))
                .map_err(|e| self.sqlite(e))?;
            for row in rows {
                found.push(row.map_err(|e| self.sqlite(e))?);
            }
        }
        ids.extend(found);
        Ok(ids)
    }

    /// Returns the KEV entry of a CVE id.
    ///
    /// # Errors
    ///
    /// [`Error::Sqlite`] when the file is damaged.
    pub fn kev(&self, cve: &str) -> Result<Option<KevEntry>> {
        self.conn
            .prepare_cached(
                "SELECT cve, date_added, due_date, vendor, product, name, ransomware_use, notes \
                 FROM kev WHERE cve = ?1",
            )
            .and_then(|mut s| {
                s.query_row([cve], |row| {
                    Ok(KevEntry {
                        cve: row.get(0)?,
                        date_added: row.get(1)?,
                        due_date: row.get(2)?,
                        vendor: row.get(3)?,
                        product: row.get(4)?,
                        name: row.get(5)?,
                        ransomware_use: row.get(6)?,
                        notes: row.get(7)?,
                    })
                })
                .optional()
            })
            .map_err(|e| self.sqlite(e))
    }

    /// Returns the EPSS score of a CVE id.
    ///
    /// # Errors
    ///
    /// [`Error::Sqlite`] when the file is damaged.
    pub fn epss(&self, cve: &str) -> Result<Option<EpssScore>> {
        self.conn
            .prepare_cached("SELECT cve, score, percentile, day FROM epss WHERE cve = ?1")
            .and_then(|mut s| {
                s.query_row([cve], |row| {
                    Ok(EpssScore {
                        cve: row.get(0)?,
                        score: row.get::<_, i64>(1)? as f64 / EPSS_SCALE,
                        percentile: row.get::<_, i64>(2)? as f64 / EPSS_SCALE,
                        date: crate::time::format_rfc3339(row.get::<_, i64>(3)? * 86_400)[..10]
                            .to_owned(),
                    })
                })
                .optional()
            })
            .map_err(|e| self.sqlite(e))
    }

    /// Returns the KEV entries of every CVE id an advisory is known by (see
    /// [`Database::related_ids`]), so an advisory `GHSA-x` with alias
    /// `CVE-y` gets `CVE-y`'s entry.
    ///
    /// # Errors
    ///
    /// [`Error::Sqlite`] when the file is damaged.
    pub fn kev_for(&self, advisory: &Advisory) -> Result<Vec<KevEntry>> {
        let mut entries = Vec::new();
        for id in self.related_ids(advisory)? {
            if id.starts_with("CVE-")
                && let Some(entry) = self.kev(&id)?
            {
                entries.push(entry);
            }
        }
        Ok(entries)
    }

    /// Returns the EPSS scores of every CVE id an advisory is known by, as
    /// for [`Database::kev_for`].
    ///
    /// # Errors
    ///
    /// [`Error::Sqlite`] when the file is damaged.
    pub fn epss_for(&self, advisory: &Advisory) -> Result<Vec<EpssScore>> {
        let mut scores = Vec::new();
        for id in self.related_ids(advisory)? {
            if id.starts_with("CVE-")
                && let Some(score) = self.epss(&id)?
            {
                scores.push(score);
            }
        }
        Ok(scores)
    }

    /// Returns the stored feeds, by name.
    ///
    /// # Errors
    ///
    /// [`Error::Sqlite`] when the file is damaged.
    pub fn feeds(&self) -> Result<Vec<FeedInfo>> {
        let mut statement = self
            .conn
            .prepare(
                "SELECT name, formats, source, sha256, size, records, skipped, newest_modified, \
                 imported_at, etag, last_modified FROM feeds ORDER BY name",
            )
            .map_err(|e| self.sqlite(e))?;
        let rows = statement
            .query_map([], |row| {
                Ok(FeedInfo {
                    name: row.get(0)?,
                    formats: row
                        .get::<_, String>(1)?
                        .split(',')
                        .filter(|f| !f.is_empty())
                        .map(str::to_owned)
                        .collect(),
                    source: row.get(2)?,
                    sha256: row.get(3)?,
                    size: row.get::<_, i64>(4)?.try_into().unwrap_or(0),
                    records: row.get::<_, i64>(5)?.try_into().unwrap_or(0),
                    skipped: row.get::<_, i64>(6)?.try_into().unwrap_or(0),
                    newest_modified: row.get(7)?,
                    imported_at: row.get(8)?,
                    etag: row.get(9)?,
                    last_modified: row.get(10)?,
                })
            })
            .map_err(|e| self.sqlite(e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.sqlite(e))
    }

    /// Returns row counts of the whole database.
    ///
    /// # Errors
    ///
    /// [`Error::Sqlite`] when the file is damaged.
    pub fn counts(&self) -> Result<Counts> {
        let count = |table: &str| -> Result<u64> {
            self.conn
                .query_row(&format!("SELECT count(*) FROM {table}"), [], |row| {
                    row.get::<_, i64>(0)
                })
                .map(|n| n.try_into().unwrap_or(0))
                .map_err(|e| self.sqlite(e))
        };
        Ok(Counts {
            advisories: count("advisories")?,
            packages: count("packages")?,
            kev: count("kev")?,
            epss: count("epss")?,
        })
    }

    /// Returns the ids of the advisories stored for `feed`, sorted, for
    /// audits and tests.
    ///
    /// # Errors
    ///
    /// [`Error::Sqlite`] when the file is damaged.
    pub fn advisory_ids(&self, feed: &str) -> Result<Vec<String>> {
        let mut statement = self
            .conn
            .prepare(
                "SELECT advisories.id FROM advisories JOIN feeds ON feeds.id = advisories.feed \
                 WHERE feeds.name = ?1 ORDER BY advisories.id",
            )
            .map_err(|e| self.sqlite(e))?;
        let rows = statement
            .query_map([feed], |row| row.get(0))
            .map_err(|e| self.sqlite(e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.sqlite(e))
    }

    fn row(&self, key: i64) -> Result<Row> {
        self.conn
            .prepare_cached("SELECT feed, id, modified, record FROM advisories WHERE key = ?1")
            .and_then(|mut s| {
                s.query_row([key], |row| {
                    Ok(Row {
                        key,
                        feed: row.get(0)?,
                        id: row.get(1)?,
                        modified: row.get(2)?,
                        record: row.get(3)?,
                    })
                })
            })
            .map_err(|e| self.sqlite(e))
    }

    /// Decompresses and parses a row's record.
    fn decode(&self, row: Row) -> Result<Advisory> {
        self.decode_as(&row)
    }

    /// Decompresses a row's record and deserializes it as `T`.
    fn decode_as<T: serde::de::DeserializeOwned>(&self, row: &Row) -> Result<T> {
        let corrupt = |reason: String| Error::Corrupt {
            path: self.path.clone(),
            id: row.id.clone(),
            reason,
        };
        let mut decoding = self
            .decoding
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let Decoding {
            decompressors,
            buffer,
        } = &mut *decoding;
        {
            let decompressor = match decompressors.entry(row.feed) {
                std::collections::hash_map::Entry::Occupied(entry) => entry.into_mut(),
                std::collections::hash_map::Entry::Vacant(entry) => {
                    let dictionary: Option<Vec<u8>> = self
                        .conn
                        .prepare_cached("SELECT dictionary FROM feeds WHERE id = ?1")
                        .and_then(|mut s| s.query_row([row.feed], |r| r.get(0)))
                        .map_err(|e| self.sqlite(e))?;
                    let decompressor = codec::decompressor(dictionary.as_deref())
                        .map_err(|e| corrupt(format!("invalid dictionary: {e}")))?;
                    entry.insert(decompressor)
                }
            };
            codec::decompress(decompressor, &row.record, buffer).map_err(&corrupt)?;
        }
        // Checking UTF-8 once for the whole record is faster than the
        // per-string checks of `from_slice`.
        let text =
            std::str::from_utf8(buffer).map_err(|e| corrupt(format!("invalid UTF-8: {e}")))?;
        serde_json::from_str(text).map_err(|e| corrupt(format!("invalid JSON: {e}")))
    }
}

/// Tells whether an `affected` entry's package is `key` in the canonical
/// `ecosystem` and `release`, as [`split_ecosystem`] and [`package_key`]
/// compare them. It allocates only for entries of `ecosystem` and
/// `release`, because records often list many other packages.
fn names_package(package: &PackageRef, ecosystem: &str, release: &str, key: &str) -> bool {
    let (entry_ecosystem, entry_release) = package
        .ecosystem
        .split_once(':')
        .unwrap_or((&package.ecosystem, ""));
    if entry_release.trim() != release {
        return false;
    }
    let entry_ecosystem = entry_ecosystem.trim();
    // `split_ecosystem` keeps an unknown name as it is and spells a known
    // one as OSV does, so only a known name can differ from `ecosystem`
    // and still match it.
    let same_ecosystem = entry_ecosystem == ecosystem
        || known_ecosystem(entry_ecosystem).is_some_and(|known| known.osv_name() == ecosystem);
    same_ecosystem && package_key(ecosystem, &package.name) == key
}

/// Returns a `file:` URI for `path` with `immutable=1`.
fn immutable_uri(path: &Path) -> String {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
    let mut uri = String::from("file:");
    for byte in absolute.as_os_str().as_encoded_bytes() {
        if byte.is_ascii_alphanumeric() || b"/-._~".contains(byte) {
            uri.push(char::from(*byte));
        } else {
            uri.push_str(&format!("%{byte:02X}"));
        }
    }
    uri.push_str("?immutable=1");
    uri
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::{ImportOptions, Input, import};

    /// Writes OSV records to `dir`, one file each.
    fn write_records(dir: &Path, records: &[serde_json::Value]) {
        std::fs::create_dir_all(dir).expect("creates feed directory");
        for (i, record) in records.iter().enumerate() {
            let path = dir.join(format!("record-{i}.json"));
            std::fs::write(path, record.to_string()).expect("writes record");
        }
    }

    fn entry(ecosystem: &str, name: &str, fixed: &str) -> serde_json::Value {
        serde_json::json!({
            "package": {"ecosystem": ecosystem, "name": name},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}],
            "versions": ["0.1", "0.2"],
            "ecosystem_specific": {"imports": [{"path": name, "symbols": ["A", "B"]}]}
        })
    }

    #[test]
    fn entries_agree_with_affected_for() {
        let dir = tempfile::tempdir().expect("temp dir");
        let older = serde_json::json!({
            "id": "PYSEC-1", "modified": "2024-01-01T00:00:00Z",
            "summary": "older copy",
            "affected": [entry("PyPI", "Zope.Interface", "1.0")]
        });
        let newer = serde_json::json!({
            "id": "PYSEC-1", "modified": "2024-06-01T00:00:00Z",
            "summary": "newer copy", "details": "Escaped \"text\"\nand more.",
            "affected": [
                entry("pypi", "zope_interface", "2.0"),
                entry("PyPI", "requests", "3.0"),
                entry("PyPI", "zope-interface", "2.5"),
            ]
        });
        let alpine = serde_json::json!({
            "id": "ALPINE-1", "modified": "2024-01-01T00:00:00Z",
            "affected": [
                entry("Alpine:v3.19", "openssl", "3.1.4-r1"),
                entry("Alpine:v3.18", "openssl", "3.1.4-r0"),
            ]
        });
        let withdrawn = serde_json::json!({
            "id": "PYSEC-2", "modified": "2024-01-01T00:00:00Z",
            "withdrawn": "2024-02-01T00:00:00Z",
            "affected": [entry("PyPI", "requests", "1.0")]
        });
        write_records(&dir.path().join("a"), &[older, alpine]);
        write_records(&dir.path().join("b"), &[newer, withdrawn]);
        let db_path = crate::paths::db_path(dir.path());
        let inputs = [
            Input::new(dir.path().join("a")),
            Input::new(dir.path().join("b")),
        ];
        import(&db_path, &inputs, ImportOptions::default()).expect("import succeeds");
        let db = Database::open(&db_path).expect("database opens");

        let queries = [
            ("PyPI", None, "ZOPE.interface", 2),
            ("pypi", None, "requests", 1),
            ("Alpine", Some("v3.19"), "openssl", 1),
            ("Alpine", Some("v3.20"), "openssl", 0),
            ("npm", None, "requests", 0),
        ];
        for (ecosystem, release, name, expected) in queries {
            let pairs = db
                .affected_for(ecosystem, release, name)
                .expect("affected_for");
            let entries = db
                .affected_entries_for(ecosystem, release, name)
                .expect("affected_entries_for");
            assert_eq!(pairs.len(), expected, "{ecosystem} {name}: pairs");
            assert_eq!(entries.len(), expected, "{ecosystem} {name}: entries");
            for ((advisory, affected), entry) in pairs.iter().zip(&entries) {
                assert_eq!(entry.id, advisory.id, "{ecosystem} {name}: id");
                assert_eq!(&entry.affected, affected, "{ecosystem} {name}: entry");
                let loaded = db.advisory_of(entry).expect("advisory_of");
                assert_eq!(&loaded, advisory, "{ecosystem} {name}: advisory");
            }
        }
        let zope = db
            .affected_entries_for("PyPI", None, "zope.interface")
            .expect("affected_entries_for");
        let loaded = db.advisory_of(&zope[0]).expect("advisory_of");
        assert_eq!(loaded.summary.as_deref(), Some("newer copy"));
    }
}
