//! Errors returned while reading an RPM database.

use std::fmt;

/// An error reading an RPM package database.
///
/// Every message names the database file and what is wrong with it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RpmDbError {
    /// The file has no bytes.
    #[error("{name} is empty, so it is not an RPM database")]
    Empty {
        /// Path of the database file.
        name: String,
    },

    /// The first bytes match none of the three database formats.
    #[error(
        "{name} is not an RPM database: its first bytes match none of SQLite, \
         Berkeley DB hash or NDB"
    )]
    UnknownFormat {
        /// Path of the database file.
        name: String,
    },

    /// The Berkeley DB metadata page (page 0) cannot be used.
    #[error("invalid Berkeley DB metadata page in {name}: {reason}")]
    BerkeleyDbMetadata {
        /// Path of the database file.
        name: String,
        /// Description of the problem.
        reason: String,
    },

    /// A Berkeley DB page is malformed or a page reference points nowhere.
    #[error("invalid Berkeley DB page {page} in {name}: {reason}")]
    BerkeleyDbPage {
        /// Path of the database file.
        name: String,
        /// Number of the page at fault.
        page: u32,
        /// Description of the problem.
        reason: String,
    },

    /// The NDB file header cannot be used.
    #[error("invalid NDB header in {name}: {reason}")]
    NdbHeader {
        /// Path of the database file.
        name: String,
        /// Description of the problem.
        reason: String,
    },

    /// An NDB slot or the blob it points to is malformed.
    #[error("invalid NDB slot {slot} in {name}: {reason}")]
    NdbSlot {
        /// Path of the database file.
        name: String,
        /// Number of the slot, counted from the start of the file in 16-byte steps.
        slot: u32,
        /// Description of the problem.
        reason: String,
    },

    /// SQLite could not open or query the database.
    #[error("failed to read SQLite database {name}: {source}")]
    Sqlite {
        /// Path of the database file.
        name: String,
        /// The error from SQLite.
        #[source]
        source: rusqlite::Error,
    },

    /// The SQLite database opened but does not have the layout rpm writes.
    #[error("invalid SQLite RPM database {name}: {reason}")]
    SqliteLayout {
        /// Path of the database file.
        name: String,
        /// Description of the problem.
        reason: String,
    },

    /// One RPM header blob is malformed.
    #[error("invalid RPM header {record} in {name}: {reason}")]
    Header {
        /// Path of the database file.
        name: String,
        /// Record that contains the blob, such as `hnum 12` or `Berkeley DB key 3`.
        record: Record,
        /// Description of the problem.
        reason: String,
    },

    /// The header blobs add up to more bytes than the file holds.
    #[error(
        "invalid RPM database {name}: its header blobs add up to more than the \
         file size of {file_size} bytes, so records share storage"
    )]
    BlobsExceedFile {
        /// Path of the database file.
        name: String,
        /// Size of the database file in bytes.
        file_size: usize,
    },

    /// The database is damaged and no package could be read from it.
    #[error("no readable package in {name}: {first} (problems found: {skipped})")]
    NoReadablePackage {
        /// Path of the database file.
        name: String,
        /// Number of problems found, mostly records skipped.
        skipped: usize,
        /// The first problem found.
        first: Box<RpmDbError>,
    },
}

/// Location of a header blob in the database, for error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Record {
    /// A row of the SQLite `Packages` table, by its `hnum` column.
    Hnum(i64),
    /// A Berkeley DB hash item, by its key (the rpm header number).
    BerkeleyDbKey(u32),
    /// A Berkeley DB hash item whose key could not be read, by its hash page.
    BerkeleyDbPage(u32),
    /// An NDB blob, by its package index.
    NdbPackage(u32),
    /// A header blob given on its own.
    Standalone,
}

impl fmt::Display for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Hnum(hnum) => write!(f, "at hnum {hnum}"),
            Self::BerkeleyDbKey(key) => write!(f, "at Berkeley DB key {key}"),
            Self::BerkeleyDbPage(page) => write!(f, "on Berkeley DB page {page}"),
            Self::NdbPackage(index) => write!(f, "at NDB package index {index}"),
            Self::Standalone => f.write_str("blob"),
        }
    }
}
