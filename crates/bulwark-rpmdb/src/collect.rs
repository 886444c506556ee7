//! Decoding of header blobs as the format readers find them, with skip accounting.

use crate::error::{Record, RpmDbError};
use crate::{RpmPackage, header};

/// Number of problems logged one by one; later ones are only counted.
const MAX_LOGGED_SKIPS: usize = 10;

/// Receives the header blobs found by a format reader and decodes them.
///
/// It also enforces that the blobs add up to no more than the file size. Every
/// format stores each blob once and uncompressed, so a larger total means that
/// corrupt records point at shared storage, which could otherwise make the output
/// grow with the square of the input.
pub(crate) struct Collector<'a> {
    name: &'a str,
    file_size: usize,
    blob_budget: usize,
    packages: Vec<RpmPackage>,
    skipped: usize,
    first_skip: Option<RpmDbError>,
}

impl<'a> Collector<'a> {
    pub(crate) fn new(name: &'a str, file_size: usize) -> Self {
        Self {
            name,
            file_size,
            blob_budget: file_size,
            packages: Vec::new(),
            skipped: 0,
            first_skip: None,
        }
    }

    /// Decodes one header blob; a malformed blob is skipped with a warning.
    ///
    /// Fails only when the blobs seen so far exceed the file size, which ends the read.
    pub(crate) fn add_blob(&mut self, record: Record, blob: &[u8]) -> Result<(), RpmDbError> {
        self.blob_budget = self.blob_budget.checked_sub(blob.len()).ok_or_else(|| {
            RpmDbError::BlobsExceedFile {
                name: self.name.into(),
                file_size: self.file_size,
            }
        })?;
        match header::decode_package(blob) {
            Ok(decoded) => {
                if let Some(reason) = decoded.file_list_error {
                    warn_file_list(self.name, record, &decoded.package.name, &reason);
                }
                self.packages.push(decoded.package);
            }
            Err(reason) => self.skip(RpmDbError::Header {
                name: self.name.into(),
                record,
                reason,
            }),
        }
        Ok(())
    }

    /// Counts a record or file region that could not be read, logging the first few.
    pub(crate) fn skip(&mut self, error: RpmDbError) {
        self.skipped += 1;
        if self.skipped <= MAX_LOGGED_SKIPS {
            tracing::warn!(file = self.name, error = %error, "skipping an unreadable part of an RPM database");
        }
        if self.first_skip.is_none() {
            self.first_skip = Some(error);
        }
    }

    /// Returns the packages read, or an error when problems were found and no package was read.
    pub(crate) fn finish(self) -> Result<Vec<RpmPackage>, RpmDbError> {
        if self.skipped > MAX_LOGGED_SKIPS {
            tracing::warn!(
                file = self.name,
                skipped = self.skipped,
                "skipped more unreadable parts of an RPM database than were logged"
            );
        }
        match self.first_skip {
            Some(first) if self.packages.is_empty() => Err(RpmDbError::NoReadablePackage {
                name: self.name.into(),
                skipped: self.skipped,
                first: Box::new(first),
            }),
            _ => Ok(self.packages),
        }
    }
}

/// Logs a header whose package was read but whose file list was dropped.
pub(crate) fn warn_file_list(name: &str, record: Record, package: &str, reason: &str) {
    tracing::warn!(
        file = name,
        %record,
        package,
        reason,
        "ignoring the invalid file list of an RPM header"
    );
}
