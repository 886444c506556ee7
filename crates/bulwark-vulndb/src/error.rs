//! Errors of the vulnerability database.

use std::path::PathBuf;

/// An error opening, building, querying or updating the database.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file or directory could not be read or written.
    #[error("{action} {}: {source}", path.display())]
    Io {
        /// Failed action, such as "failed to read".
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// SQLite reported an error.
    #[error("database {}: {source}", path.display())]
    Sqlite {
        /// The database file.
        path: PathBuf,
        /// The underlying error.
        source: rusqlite::Error,
    },
    /// No database exists yet.
    #[error(
        "no vulnerability database at {}; run `bulwark db import` or `bulwark db update` first",
        path.display()
    )]
    Missing {
        /// The expected database file.
        path: PathBuf,
    },
    /// The database was written by a different schema version.
    #[error(
        "database {} has schema version {found}, but this build reads version {expected}; \
         run `bulwark db update` or `bulwark db import` to rebuild it",
        path.display()
    )]
    SchemaVersion {
        /// The database file.
        path: PathBuf,
        /// Version stored in the file.
        found: String,
        /// Version this build reads and writes.
        expected: u32,
    },
    /// A stored record could not be decoded.
    #[error("database {}: stored record {id} is corrupt: {reason}", path.display())]
    Corrupt {
        /// The database file.
        path: PathBuf,
        /// Id of the advisory.
        id: String,
        /// Reason for the error.
        reason: String,
    },
    /// An import input could not be read at all.
    #[error("{input}: {reason}")]
    Input {
        /// The input path.
        input: String,
        /// Reason for the error.
        reason: String,
    },
    /// A requested `--format` names no converter.
    #[error("unknown feed format {0:?}; run `bulwark db import --help` for the list")]
    UnknownFormat(String),
    /// Another import or update holds the database lock.
    #[error("another import or update is writing {}; wait for it to finish", path.display())]
    Locked {
        /// The lock file.
        path: PathBuf,
    },
    /// A download failed.
    #[error("failed to download {url}: {reason}")]
    Download {
        /// The URL.
        url: String,
        /// What failed.
        reason: String,
    },
}

impl Error {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        Self::Io {
            action,
            path: path.into(),
            source,
        }
    }

    pub(crate) fn sqlite(path: impl Into<PathBuf>, source: rusqlite::Error) -> Self {
        Self::Sqlite {
            path: path.into(),
            source,
        }
    }
}

/// A `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
