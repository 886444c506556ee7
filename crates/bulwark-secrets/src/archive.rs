//! Scanning of text entries inside zip-format archives (zip, jar, war,
//! ear), in memory and with zip-bomb guards.

use std::io::{Cursor, Read};

use zip::ZipArchive;

use crate::finding::ScanWarning;
use crate::scanner::{FileScan, Scanner, is_binary};

/// Entries that inflate to at most this many bytes are exempt from the
/// ratio check, because small text files compress very well.
const RATIO_FLOOR: u64 = 1024 * 1024;

/// Guards against zip bombs and oversized archives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveLimits {
    /// Archives larger than this many bytes are not opened.
    pub max_archive_size: u64,
    /// Archives with more entries than this are not scanned.
    pub max_entries: usize,
    /// Maximum uncompressed bytes read from one archive, nested archives
    /// included.
    pub max_total_size: u64,
    /// Maximum uncompressed size of one entry.
    pub max_entry_size: u64,
    /// Maximum ratio of uncompressed to compressed size of an entry larger
    /// than 1 MiB.
    pub max_ratio: u64,
}

impl Default for ArchiveLimits {
    fn default() -> Self {
        ArchiveLimits {
            max_archive_size: 128 * 1024 * 1024,
            max_entries: 20_000,
            max_total_size: 256 * 1024 * 1024,
            max_entry_size: 10 * 1024 * 1024,
            max_ratio: 100,
        }
    }
}

impl ArchiveLimits {
    /// Checks that every limit is positive; returns the offending key.
    pub(crate) fn validate(&self) -> Result<(), (&'static str, String)> {
        let checks = [
            ("max_archive_size", self.max_archive_size),
            ("max_entries", self.max_entries as u64),
            ("max_total_size", self.max_total_size),
            ("max_entry_size", self.max_entry_size),
            ("max_ratio", self.max_ratio),
        ];
        for (key, value) in checks {
            if value == 0 {
                return Err((key, "must be greater than 0".to_owned()));
            }
        }
        Ok(())
    }
}

/// Scans the text entries of `data`, a zip-format archive, and of zip
/// archives nested one level inside it. Findings are reported with paths
/// like `outer.jar!/inner/path`.
pub(crate) fn scan_archive(scanner: &Scanner, path: &str, data: &[u8], out: &mut FileScan) {
    let mut budget = scanner.archive_limits().max_total_size;
    scan_level(scanner, path, data, out, 0, &mut budget);
}

fn warn(out: &mut FileScan, path: &str, message: String) {
    out.warnings.push(ScanWarning {
        path: path.to_owned(),
        message,
    });
}

fn scan_level(
    scanner: &Scanner,
    path: &str,
    data: &[u8],
    out: &mut FileScan,
    depth: u8,
    budget: &mut u64,
) {
    let limits = scanner.archive_limits().clone();
    let mut archive = match ZipArchive::new(Cursor::new(data)) {
        Ok(archive) => archive,
        Err(err) => {
            warn(
                out,
                path,
                format!("archive not scanned: invalid zip: {err}"),
            );
            return;
        }
    };
    if archive.len() > limits.max_entries {
        warn(
            out,
            path,
            format!(
                "archive not scanned: {} entries is more than max_entries of {}",
                archive.len(),
                limits.max_entries
            ),
        );
        return;
    }
    for index in 0..archive.len() {
        let mut entry = match archive.by_index(index) {
            Ok(entry) => entry,
            Err(err) => {
                warn(out, path, format!("entry {index} not scanned: {err}"));
                continue;
            }
        };
        if entry.is_dir() {
            continue;
        }
        let name = match entry.name() {
            Ok(name) => name.into_owned(),
            Err(err) => {
                warn(out, path, format!("entry {index} not scanned: {err}"));
                continue;
            }
        };
        let entry_path = format!("{path}!/{name}");
        let nested = Scanner::is_archive_name(&name);
        if nested && depth > 0 {
            warn(
                out,
                &entry_path,
                "nested archive not scanned: only one level of nesting is opened".to_owned(),
            );
            continue;
        }
        if (!nested && Scanner::has_binary_extension(&name)) || scanner.is_path_allowed(&entry_path)
        {
            continue;
        }
        let declared = entry.size();
        let compressed = entry.compressed_size().max(1);
        if declared > limits.max_entry_size {
            warn(
                out,
                &entry_path,
                format!(
                    "entry not scanned: {declared} bytes is more than max_entry_size of {}",
                    limits.max_entry_size
                ),
            );
            continue;
        }
        if declared > RATIO_FLOOR && declared / compressed > limits.max_ratio {
            warn(
                out,
                &entry_path,
                format!(
                    "entry not scanned: compression ratio {} is more than max_ratio of {} (possible zip bomb)",
                    declared / compressed,
                    limits.max_ratio
                ),
            );
            continue;
        }
        if *budget == 0 {
            warn(
                out,
                path,
                format!(
                    "archive scan stopped: read max_total_size of {} uncompressed bytes",
                    limits.max_total_size
                ),
            );
            return;
        }
        // The header sizes can lie, so the read itself is bounded by the
        // same limits.
        let cap = limits.max_entry_size.min(*budget);
        let mut content = Vec::with_capacity(usize::try_from(declared.min(cap)).unwrap_or(0));
        if let Err(err) = (&mut entry).take(cap + 1).read_to_end(&mut content) {
            warn(out, &entry_path, format!("entry not scanned: {err}"));
            continue;
        }
        let read = content.len() as u64;
        *budget = budget.saturating_sub(read.min(cap));
        if read > cap {
            let message = if cap < limits.max_entry_size {
                format!(
                    "entry not scanned: archive reached max_total_size of {} uncompressed bytes",
                    limits.max_total_size
                )
            } else {
                format!(
                    "entry not scanned: inflates to more than max_entry_size of {} bytes",
                    limits.max_entry_size
                )
            };
            warn(out, &entry_path, message);
            continue;
        }
        if read > RATIO_FLOOR && read / compressed > limits.max_ratio {
            warn(
                out,
                &entry_path,
                format!(
                    "entry not scanned: compression ratio {} is more than max_ratio of {} (possible zip bomb)",
                    read / compressed,
                    limits.max_ratio
                ),
            );
            continue;
        }
        drop(entry);
        if nested {
            scan_level(scanner, &entry_path, &content, out, depth + 1, budget);
        } else if !is_binary(&content) {
            scanner.scan_bytes_into(&entry_path, &content, out);
        }
    }
}
