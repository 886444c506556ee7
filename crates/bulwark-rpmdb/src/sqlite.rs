//! SQLite databases: `rpmdb.sqlite`, written by rpm 4.16 and later.
//!
//! rpm keeps one row per package in the table `Packages(hnum, blob)`; the other
//! tables are indexes. The file is loaded into an in-memory SQLite database
//! with `sqlite3_deserialize`, so nothing is written to disk.

use std::io::Read;

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};

use crate::collect::Collector;
use crate::error::{Record, RpmDbError};

/// Offsets of the file format's write and read version bytes, which are 2 in WAL mode.
const WRITE_VERSION_OFFSET: usize = 18;
const READ_VERSION_OFFSET: usize = 19;
const LEGACY_JOURNAL_VERSION: u8 = 1;
/// The part of the file that is copied and patched before loading.
const FILE_HEADER_LEN: usize = 100;
/// Largest blob SQLite may return: rpm's 256 MiB header limit.
const MAX_BLOB_BYTES: i32 = 256 * 1024 * 1024;

/// Reads every header blob of an SQLite database into `collector`.
pub(crate) fn read(name: &str, bytes: &[u8], collector: &mut Collector) -> Result<(), RpmDbError> {
    let sqlite_error = |source| RpmDbError::Sqlite {
        name: name.into(),
        source,
    };
    let connection = open(bytes).map_err(sqlite_error)?;
    check_packages_table(name, &connection)?;

    let mut statement = connection
        .prepare("SELECT hnum, blob FROM Packages")
        .map_err(sqlite_error)?;
    let mut rows = statement.query([]).map_err(sqlite_error)?;
    loop {
        let row = match rows.next() {
            Ok(Some(row)) => row,
            Ok(None) => break,
            Err(source) => {
                // A corrupt page ends the scan; the rows read so far are kept.
                collector.skip(sqlite_error(source));
                break;
            }
        };
        let hnum = match row.get_ref(0) {
            Ok(ValueRef::Integer(hnum)) => hnum,
            _ => {
                collector.skip(RpmDbError::SqliteLayout {
                    name: name.into(),
                    reason: "a Packages row has a non-integer hnum".into(),
                });
                continue;
            }
        };
        match row.get_ref(1) {
            Ok(ValueRef::Blob(blob)) => collector.add_blob(Record::Hnum(hnum), blob)?,
            Ok(other) => collector.skip(RpmDbError::Header {
                name: name.into(),
                record: Record::Hnum(hnum),
                reason: format!("the blob column holds {:?}, not a blob", other.data_type()),
            }),
            Err(source) => collector.skip(sqlite_error(source)),
        }
    }
    Ok(())
}

/// Loads the file into a read-only in-memory database.
fn open(bytes: &[u8]) -> rusqlite::Result<Connection> {
    let mut connection = Connection::open_in_memory_with_flags(
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;

    connection.set_limit(rusqlite::limits::Limit::SQLITE_LIMIT_LENGTH, MAX_BLOB_BYTES)?;

    // rpm writes its database in WAL mode, which an in-memory database cannot
    // open, so the copy is marked as a rollback-journal database.
    // NOTE: only the main file is read, so transactions still in an
    // `rpmdb.sqlite-wal` file are missed. SQLite moves them into the main file
    // when the last connection closes cleanly.
    let header_len = bytes.len().min(FILE_HEADER_LEN);
    let mut header = bytes.get(..header_len).unwrap_or_default().to_vec();
    for offset in [WRITE_VERSION_OFFSET, READ_VERSION_OFFSET] {
        if let Some(version) = header.get_mut(offset) {
            *version = LEGACY_JOURNAL_VERSION;
        }
    }
    let rest = bytes.get(header_len..).unwrap_or_default();
    connection.deserialize_read_exact(
        rusqlite::MAIN_DB,
        header.as_slice().chain(rest),
        bytes.len(),
        true,
    )?;

    // Defences for a database file from an untrusted source, as SQLite's
    // "Defense Against The Dark Arts" guidance lists them.
    connection.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true)?;
    connection.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_TRUSTED_SCHEMA,
        false,
    )?;
    connection.pragma_update(None, "cell_size_check", true)?;
    connection.pragma_update(None, "query_only", true)?;
    Ok(connection)
}

/// Checks that `Packages` is an ordinary table, so the query cannot run a view
/// or a virtual table defined by the file.
fn check_packages_table(name: &str, connection: &Connection) -> Result<(), RpmDbError> {
    let definition: Option<(String, String)> = connection
        .query_row(
            "SELECT type, sql FROM sqlite_schema WHERE name = 'Packages'",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .map(Some)
        .or_else(|error| match error {
            rusqlite::Error::QueryReturnedNoRows => Ok(None),
            other => Err(other),
        })
        .map_err(|source| RpmDbError::Sqlite {
            name: name.into(),
            source,
        })?;
    let invalid = |reason: &str| RpmDbError::SqliteLayout {
        name: name.into(),
        reason: reason.into(),
    };
    match definition {
        None => Err(invalid("there is no Packages table")),
        Some((kind, sql)) if kind != "table" || !sql.trim_start().starts_with("CREATE TABLE") => {
            Err(invalid("Packages is not an ordinary table"))
        }
        Some(_) => Ok(()),
    }
}
