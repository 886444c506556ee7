//! Builds a new database file beside the current one and renames it into
//! place, so readers only ever see a complete database.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::File;
use std::path::{Path, PathBuf};

use bulwark_osv::Advisory;
use rusqlite::{Connection, OptionalExtension, params};

use super::{
    EPSS_SCALE, SCHEMA, SCHEMA_VERSION, decode_postings, encode_postings, package_key,
    split_ecosystem,
};
use crate::codec;
use crate::error::{Error, Result};
use crate::feeds::{EpssScore, KevEntry};

/// Everything one import input produced, ready to be stored as one feed.
#[derive(Debug, Default)]
pub(crate) struct FeedBatch {
    pub name: String,
    pub formats: Vec<String>,
    pub source: String,
    pub sha256: String,
    pub size: u64,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub advisories: Vec<Advisory>,
    pub kev: Vec<KevEntry>,
    pub epss: Vec<EpssScore>,
    pub skipped: u64,
    pub merged: u64,
}

/// Contents of a stored feed, for the import summary.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeedSummary {
    /// Feed name.
    pub name: String,
    /// Advisories stored.
    pub advisories: u64,
    /// Advisories per ecosystem and release (`PyPI`, `Alpine:v3.19`). An
    /// advisory that affects packages of several ecosystems counts in each.
    pub per_ecosystem: BTreeMap<String, u64>,
    /// KEV entries stored.
    pub kev: u64,
    /// EPSS scores stored.
    pub epss: u64,
    /// Records skipped as invalid.
    pub skipped: u64,
    /// Records merged into an earlier record of the feed with the same id.
    pub merged: u64,
}

/// A database being built in a temporary file.
pub(crate) struct Writer {
    conn: Option<Connection>,
    tmp_path: PathBuf,
    final_path: PathBuf,
    _lock: File,
    ecosystems: HashMap<(String, String), i64>,
    postings: HashMap<(i64, String), Vec<i64>>,
    imported_at: i64,
}

impl Writer {
    /// Starts a new database at `final_path`: a copy of the current one when
    /// it exists and has this schema version, otherwise an empty one.
    ///
    /// Holds `<final_path>.lock` until the writer is dropped, so a second
    /// import fails at once instead of racing.
    pub(crate) fn begin(final_path: &Path, imported_at: i64) -> Result<Self> {
        let dir = final_path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|e| Error::io("failed to create", dir, e))?;
        let file_name = final_path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("bulwark.db");
        let lock_path = dir.join(format!("{file_name}.lock"));
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| Error::io("failed to open", &lock_path, e))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(Error::Locked { path: lock_path });
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(Error::io("failed to lock", &lock_path, e));
            }
        }
        remove_stale_temporaries(dir, file_name);
        let tmp_path = dir.join(format!("{file_name}.tmp-{}", std::process::id()));
        let copied = final_path.exists() && copy_if_current(final_path, &tmp_path)?;
        let conn = Connection::open(&tmp_path).map_err(|e| Error::sqlite(&tmp_path, e))?;
        let mut writer = Self {
            conn: Some(conn),
            tmp_path,
            final_path: final_path.to_owned(),
            _lock: lock,
            ecosystems: HashMap::new(),
            postings: HashMap::new(),
            imported_at,
        };
        writer.prepare(copied)?;
        Ok(writer)
    }

    fn conn(&self) -> &Connection {
        self.conn.as_ref().expect("connection is open until commit")
    }

    fn sqlite(&self, error: rusqlite::Error) -> Error {
        Error::sqlite(&self.tmp_path, error)
    }

    fn prepare(&mut self, copied: bool) -> Result<()> {
        // The file is renamed into place only once complete, so the journal
        // and fsyncs of each statement would protect nothing.
        self.conn()
            .execute_batch(
                "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; \
                 PRAGMA temp_store = MEMORY; PRAGMA cache_size = -65536;",
            )
            .map_err(|e| self.sqlite(e))?;
        if !copied {
            self.conn()
                .execute_batch(SCHEMA)
                .map_err(|e| self.sqlite(e))?;
            self.conn()
                .execute(
                    "INSERT INTO meta (key, value) VALUES ('schema_version', ?1)",
                    [SCHEMA_VERSION.to_string()],
                )
                .map_err(|e| self.sqlite(e))?;
        }
        self.conn()
            .execute_batch("BEGIN")
            .map_err(|e| self.sqlite(e))?;
        self.load_index()
    }

    fn load_index(&mut self) -> Result<()> {
        let conn = self.conn.as_ref().expect("connection is open");
        let mut ecosystems = HashMap::new();
        let mut postings = HashMap::new();
        let result: rusqlite::Result<()> = (|| {
            let mut statement = conn.prepare("SELECT id, ecosystem, release FROM ecosystems")?;
            let mut rows = statement.query([])?;
            while let Some(row) = rows.next()? {
                ecosystems.insert((row.get(1)?, row.get(2)?), row.get(0)?);
            }
            let mut statement = conn.prepare("SELECT ecosystem, name, advisories FROM packages")?;
            let mut rows = statement.query([])?;
            while let Some(row) = rows.next()? {
                let bytes: Vec<u8> = row.get(2)?;
                let keys = decode_postings(&bytes).unwrap_or_default();
                postings.insert((row.get(0)?, row.get(1)?), keys);
            }
            Ok(())
        })();
        result.map_err(|e| self.sqlite(e))?;
        self.ecosystems = ecosystems;
        self.postings = postings;
        Ok(())
    }

    /// Replaces the feed named `batch.name` with the contents of `batch`.
    pub(crate) fn replace_feed(&mut self, batch: FeedBatch) -> Result<FeedSummary> {
        let tmp_path = self.tmp_path.clone();
        let sqlite = |e| Error::sqlite(&tmp_path, e);
        let feed_id = self.remove_feed(&batch.name)?;
        let mut summary = FeedSummary {
            name: batch.name.clone(),
            skipped: batch.skipped,
            merged: batch.merged,
            ..FeedSummary::default()
        };

        let mut headers = Vec::with_capacity(batch.advisories.len());
        let mut bodies = Vec::with_capacity(batch.advisories.len());
        let mut index_entries = Vec::with_capacity(batch.advisories.len());
        let mut newest: Option<(i64, String)> = None;
        for advisory in batch.advisories {
            let header = Header::of(&advisory);
            if let Some(seconds) = header.modified
                && newest.as_ref().is_none_or(|(s, _)| seconds > *s)
            {
                newest = Some((seconds, advisory.modified.clone()));
            }
            let mut ids: Vec<String> = vec![advisory.id.clone()];
            ids.extend(advisory.aliases.iter().cloned());
            let packages = index_keys(&advisory);
            for ecosystem in packages.iter().map(|(e, _)| e).collect::<HashSet<_>>() {
                *summary.per_ecosystem.entry(ecosystem.clone()).or_default() += 1;
            }
            index_entries.push((ids, header.withdrawn.is_some(), packages));
            let body = serde_json::to_vec(&advisory).expect("advisories serialize to JSON");
            bodies.push(body);
            headers.push(header);
        }
        let dictionary = codec::train(&bodies);
        let mut compressor = codec::compressor(dictionary.as_deref())
            .map_err(|e| Error::io("failed to start compression for", &self.tmp_path, e))?;

        self.conn()
            .execute(
                "INSERT INTO feeds (id, name, formats, source, sha256, size, records, skipped, \
                 newest_modified, imported_at, etag, last_modified, dictionary) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                params![
                    feed_id,
                    batch.name,
                    batch.formats.join(","),
                    batch.source,
                    batch.sha256,
                    i64::try_from(batch.size).unwrap_or(i64::MAX),
                    i64::try_from(headers.len() + batch.kev.len() + batch.epss.len())
                        .unwrap_or(i64::MAX),
                    i64::try_from(batch.skipped).unwrap_or(i64::MAX),
                    newest.map(|(_, text)| text),
                    self.imported_at,
                    batch.etag,
                    batch.last_modified,
                    dictionary,
                ],
            )
            .map_err(sqlite)?;
        let feed_id = self.conn().last_insert_rowid();

        let mut ecosystem_ids = HashMap::new();
        for (_, _, packages) in &index_entries {
            for (ecosystem, _) in packages {
                if !ecosystem_ids.contains_key(ecosystem) {
                    let id = self.ecosystem_id(ecosystem)?;
                    ecosystem_ids.insert(ecosystem.clone(), id);
                }
            }
        }
        let mut new_postings: Vec<((i64, String), i64)> = Vec::new();
        {
            let conn = self.conn.as_ref().expect("connection is open");
            let mut insert_advisory = conn
                .prepare(
                    "INSERT INTO advisories (feed, id, modified, published, withdrawn, severity, \
                     record) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )
                .map_err(sqlite)?;
            let mut insert_alias = conn
                .prepare("INSERT OR IGNORE INTO aliases (alias, advisory) VALUES (?1, ?2)")
                .map_err(sqlite)?;
            for ((header, body), (ids, withdrawn, packages)) in
                headers.iter().zip(&bodies).zip(&index_entries)
            {
                let record = compressor
                    .compress(body)
                    .map_err(|e| Error::io("failed to compress a record for", &self.tmp_path, e))?;
                insert_advisory
                    .execute(params![
                        feed_id,
                        header.id,
                        header.modified,
                        header.published,
                        header.withdrawn,
                        header.severity,
                        record,
                    ])
                    .map_err(sqlite)?;
                let key = conn.last_insert_rowid();
                for id in ids {
                    insert_alias.execute(params![id, key]).map_err(sqlite)?;
                }
                // Withdrawn advisories are kept for lookups by id, but never
                // match a package.
                if !withdrawn {
                    for (ecosystem, name) in packages {
                        new_postings.push(((ecosystem_ids[ecosystem], name.clone()), key));
                    }
                }
            }
        }
        summary.advisories = headers.len() as u64;
        for (package, key) in new_postings {
            let keys = self.postings.entry(package).or_default();
            if keys.last() != Some(&key) {
                keys.push(key);
            }
        }
        summary.kev = self.insert_kev(feed_id, &batch.kev)?;
        summary.epss = self.insert_epss(feed_id, &batch.epss)?;
        // Each feed is written to the temporary file as soon as it is
        // converted, so memory keeps one feed at a time.
        self.conn()
            .execute_batch("COMMIT; BEGIN")
            .map_err(|e| self.sqlite(e))?;
        Ok(summary)
    }

    /// Returns the id of `ecosystem` (with release), adding it when new.
    fn ecosystem_id(&mut self, ecosystem: &str) -> Result<i64> {
        let key = split_ecosystem(ecosystem);
        if let Some(id) = self.ecosystems.get(&key) {
            return Ok(*id);
        }
        self.conn()
            .execute(
                "INSERT INTO ecosystems (ecosystem, release) VALUES (?1, ?2)",
                params![key.0, key.1],
            )
            .map_err(|e| self.sqlite(e))?;
        let id = self.conn().last_insert_rowid();
        self.ecosystems.insert(key, id);
        Ok(id)
    }

    /// Deletes the feed named `name` and everything it stored, returning its
    /// id so the new rows keep it.
    fn remove_feed(&mut self, name: &str) -> Result<Option<i64>> {
        let conn = self.conn.as_ref().expect("connection is open");
        let sqlite = |e| Error::sqlite(&self.tmp_path, e);
        let id: Option<i64> = conn
            .query_row("SELECT id FROM feeds WHERE name = ?1", [name], |row| {
                row.get(0)
            })
            .optional()
            .map_err(sqlite)?;
        let Some(id) = id else {
            return Ok(None);
        };
        let mut removed = HashSet::new();
        {
            let mut statement = conn
                .prepare("SELECT key FROM advisories WHERE feed = ?1")
                .map_err(sqlite)?;
            let keys = statement
                .query_map([id], |row| row.get::<_, i64>(0))
                .map_err(sqlite)?;
            for key in keys {
                removed.insert(key.map_err(sqlite)?);
            }
        }
        conn.execute_batch(&format!(
            "DELETE FROM aliases WHERE advisory IN (SELECT key FROM advisories WHERE feed = {id});
             DELETE FROM advisories WHERE feed = {id};
             DELETE FROM kev WHERE feed = {id};
             DELETE FROM epss WHERE feed = {id};
             DELETE FROM feeds WHERE id = {id};"
        ))
        .map_err(sqlite)?;
        if !removed.is_empty() {
            self.postings.retain(|_, keys| {
                keys.retain(|key| !removed.contains(key));
                !keys.is_empty()
            });
        }
        Ok(Some(id))
    }

    fn insert_kev(&self, feed_id: i64, entries: &[KevEntry]) -> Result<u64> {
        let mut statement = self
            .conn()
            .prepare(
                "INSERT OR REPLACE INTO kev (cve, feed, date_added, due_date, vendor, product, \
                 name, ransomware_use, notes) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )
            .map_err(|e| self.sqlite(e))?;
        for entry in entries {
            statement
                .execute(params![
                    entry.cve,
                    feed_id,
                    entry.date_added,
                    entry.due_date,
                    entry.vendor,
                    entry.product,
                    entry.name,
                    entry.ransomware_use,
                    entry.notes,
                ])
                .map_err(|e| self.sqlite(e))?;
        }
        Ok(entries.len() as u64)
    }

    fn insert_epss(&self, feed_id: i64, scores: &[EpssScore]) -> Result<u64> {
        let mut statement = self
            .conn()
            .prepare(
                "INSERT OR REPLACE INTO epss (cve, feed, score, percentile, day) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )
            .map_err(|e| self.sqlite(e))?;
        for score in scores {
            let day = crate::time::parse_rfc3339(&score.date).unwrap_or(0) / 86_400;
            statement
                .execute(params![
                    score.cve,
                    feed_id,
                    (score.score * EPSS_SCALE).round() as i64,
                    (score.percentile * EPSS_SCALE).round() as i64,
                    day,
                ])
                .map_err(|e| self.sqlite(e))?;
        }
        Ok(scores.len() as u64)
    }

    /// Writes the match index, compacts the file, and renames it over the
    /// current database.
    pub(crate) fn commit(mut self) -> Result<()> {
        self.write_postings()?;
        let conn = self.conn.take().expect("connection is open");
        let tmp_path = self.tmp_path.clone();
        conn.execute_batch("COMMIT; VACUUM;")
            .map_err(|e| Error::sqlite(&tmp_path, e))?;
        conn.close().map_err(|(_, e)| Error::sqlite(&tmp_path, e))?;
        File::open(&tmp_path)
            .and_then(|f| f.sync_all())
            .map_err(|e| Error::io("failed to sync", &tmp_path, e))?;
        std::fs::rename(&tmp_path, &self.final_path)
            .map_err(|e| Error::io("failed to move the new database to", &self.final_path, e))?;
        if let Some(dir) = self.final_path.parent() {
            // Makes the rename durable; some file systems reject syncing a
            // directory, and the rename has happened either way.
            let _ = File::open(dir).and_then(|d| d.sync_all());
        }
        Ok(())
    }

    fn write_postings(&mut self) -> Result<()> {
        let conn = self.conn.as_ref().expect("connection is open");
        let sqlite = |e| Error::sqlite(&self.tmp_path, e);
        conn.execute("DELETE FROM packages", []).map_err(sqlite)?;
        let mut statement = conn
            .prepare("INSERT INTO packages (ecosystem, name, advisories) VALUES (?1, ?2, ?3)")
            .map_err(sqlite)?;
        let mut entries: Vec<_> = self.postings.iter_mut().collect();
        entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
        for ((ecosystem, name), keys) in entries {
            keys.sort_unstable();
            keys.dedup();
            statement
                .execute(params![ecosystem, name, encode_postings(keys)])
                .map_err(sqlite)?;
        }
        Ok(())
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            drop(conn);
            let _ = std::fs::remove_file(&self.tmp_path);
        }
    }
}

/// Copies the current database to `tmp_path` when its schema version is
/// this build's, so the import adds to it. Returns `false` when it starts
/// from an empty database instead.
fn copy_if_current(final_path: &Path, tmp_path: &Path) -> Result<bool> {
    let current =
        Connection::open_with_flags(final_path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .and_then(|conn| {
                conn.query_row(
                    "SELECT value FROM meta WHERE key = 'schema_version'",
                    [],
                    |row| row.get::<_, String>(0),
                )
            });
    match current {
        Ok(version) if version == SCHEMA_VERSION.to_string() => {
            std::fs::copy(final_path, tmp_path)
                .map_err(|e| Error::io("failed to copy the database to", tmp_path, e))?;
            Ok(true)
        }
        Ok(version) => {
            tracing::warn!(
                "{} has schema version {version}, not {SCHEMA_VERSION}; starting a new database",
                final_path.display()
            );
            Ok(false)
        }
        Err(error) => {
            tracing::warn!(
                "{} is not a readable database ({error}); starting a new database",
                final_path.display()
            );
            Ok(false)
        }
    }
}

/// Removes temporary files left by imports that were killed. The caller
/// holds the lock, so no other import is writing one.
fn remove_stale_temporaries(dir: &Path, file_name: &str) {
    let prefix = format!("{file_name}.tmp-");
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().starts_with(&prefix) {
            tracing::info!(
                "removing {} left by an interrupted import",
                entry.path().display()
            );
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// The fields of an advisory kept in columns, for queries that filter or
/// sort on them without decompressing the record.
pub(crate) struct Header {
    pub id: String,
    pub modified: Option<i64>,
    pub published: Option<i64>,
    pub withdrawn: Option<i64>,
    pub severity: Option<String>,
}

impl Header {
    fn of(advisory: &Advisory) -> Self {
        let time = |text: Option<&String>| text.and_then(|t| crate::time::parse_rfc3339(t));
        Self {
            id: advisory.id.clone(),
            modified: time(Some(&advisory.modified)),
            published: time(advisory.published.as_ref()),
            // A withdrawn time that is not a timestamp still withdraws.
            withdrawn: advisory
                .withdrawn
                .as_ref()
                .map(|t| crate::time::parse_rfc3339(t).unwrap_or(0)),
            severity: (!advisory.severity.is_empty())
                .then(|| serde_json::to_string(&advisory.severity).expect("severities serialize")),
        }
    }
}

/// Returns the (ecosystem, package key) pairs an advisory is indexed under:
/// its `affected` entries that name a package and have something a version
/// can be matched against. GIT ranges are commits, not versions, so an entry
/// with only GIT ranges and no listed versions is stored but not indexed.
pub(crate) fn index_keys(advisory: &Advisory) -> Vec<(String, String)> {
    let mut keys = Vec::new();
    for affected in &advisory.affected {
        let Some(package) = &affected.package else {
            continue;
        };
        if package.ecosystem.trim().is_empty() || package.name.trim().is_empty() {
            continue;
        }
        let matchable = !affected.versions.is_empty()
            || affected.ranges.iter().any(|r| r.kind != "GIT")
            || affected.status().is_some();
        if !matchable {
            continue;
        }
        let (ecosystem, release) = split_ecosystem(&package.ecosystem);
        let name = package_key(&ecosystem, &package.name);
        let full = if release.is_empty() {
            ecosystem
        } else {
            format!("{ecosystem}:{release}")
        };
        let key = (full, name);
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    keys
}
