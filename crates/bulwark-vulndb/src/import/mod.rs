//! Imports feed files into the database.
//!
//! Each input (a file, a directory, or a `.tar`, `.tar.gz` or `.zip` archive
//! of them) becomes one feed. Its files go to the converter that detects
//! them, its records are collected in memory, and the feed replaces the one
//! of the same name in a copy of the database, which is then renamed over
//! the old file. Invalid records and files are reported as [`Problem`]s and
//! skipped; the rest imports.

mod walk;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use bulwark_osv::Advisory;

use crate::error::{Error, Result};
use crate::feeds::{self, FeedConverter, Record};
use crate::store::write::{FeedBatch, FeedSummary, Writer};

/// Bounds on what one import reads, against hostile or broken inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Maximum size of one file after decompression, in bytes.
    pub max_file_bytes: u64,
    /// Maximum ratio of decompressed to compressed size of one compressed
    /// file or archive entry larger than 1 MiB.
    pub max_ratio: u64,
    /// Maximum decompressed bytes read from one input in all.
    pub max_input_bytes: u64,
    /// Maximum number of files in one input.
    pub max_files: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_file_bytes: 512 << 20,
            max_ratio: 200,
            max_input_bytes: 8 << 30,
            max_files: 2_000_000,
        }
    }
}

/// One input of an import.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Input {
    /// File or directory to read.
    pub path: PathBuf,
    /// Feed name; by default the input's absolute path, so importing the
    /// same path again replaces what it stored before.
    pub name: Option<String>,
    /// Origin of the input, such as a download URL. The default is its
    /// path.
    pub source: Option<String>,
    /// HTTP `ETag` of a download, kept for conditional requests.
    pub etag: Option<String>,
    /// HTTP `Last-Modified` of a download, kept for conditional requests.
    pub last_modified: Option<String>,
}

impl Input {
    /// Creates an input for `path` with the default name and source.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            ..Self::default()
        }
    }
}

/// Progress of an import, for a progress bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// Reading an input of `total` bytes (compressed, as stored on disk).
    Reading {
        /// The input's path.
        input: String,
        /// Its size in bytes; for a directory, the sum of its files.
        total: u64,
    },
    /// `done` bytes of the current input were read.
    Advance {
        /// Bytes read so far.
        done: u64,
    },
    /// Writing the database.
    Writing,
}

/// Options of an import.
#[derive(Default)]
pub struct ImportOptions<'a> {
    /// Converter to use for every file instead of detection, by name.
    pub format: Option<String>,
    /// Bounds on the inputs.
    pub limits: Limits,
    /// Receives progress events.
    pub progress: Option<&'a mut dyn FnMut(Progress)>,
}

/// An input, file or record that was skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file: a path, or `ARCHIVE!MEMBER` for an archive member.
    pub file: String,
    /// The record's id or position, when one record was skipped.
    pub record: Option<String>,
    /// Reason the input, file or record was skipped.
    pub reason: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.record {
            Some(record) => write!(f, "{}: record {record}: {}", self.file, self.reason),
            None => write!(f, "{}: {}", self.file, self.reason),
        }
    }
}

/// Feeds an import stored, and what it skipped.
#[derive(Debug, Clone, Default)]
pub struct ImportReport {
    /// One summary per stored feed, in input order.
    pub feeds: Vec<FeedSummary>,
    /// Skipped inputs, files and records.
    pub problems: Vec<Problem>,
    /// Inputs that were not stored at all because they could not be read;
    /// the feeds they would replace are kept.
    pub failed_inputs: Vec<String>,
}

/// Imports `inputs` into the database at `db_path`, creating it if needed.
///
/// # Errors
///
/// Fails without changing the database when an input does not exist, the
/// format is unknown, another import holds the lock, or the database
/// cannot be written. Unreadable files and records are not errors: they
/// are listed in [`ImportReport::problems`].
pub fn import(
    db_path: &Path,
    inputs: &[Input],
    options: ImportOptions<'_>,
) -> Result<ImportReport> {
    let ImportOptions {
        format,
        limits,
        mut progress,
    } = options;
    let converters = feeds::converters();
    let forced = match &format {
        Some(name) => Some(
            converters
                .iter()
                .position(|c| c.name() == name)
                .ok_or_else(|| Error::UnknownFormat(name.clone()))?,
        ),
        None => None,
    };
    for input in inputs {
        if std::fs::symlink_metadata(&input.path).is_err() {
            return Err(Error::Input {
                input: input.path.display().to_string(),
                reason: "no such file or directory".to_owned(),
            });
        }
    }
    let mut report_progress = |event: Progress| {
        if let Some(progress) = progress.as_deref_mut() {
            progress(event);
        }
    };
    let mut writer = Writer::begin(db_path, crate::time::now_unix())?;
    let mut report = ImportReport::default();
    for input in inputs {
        let mut walker = walk::Walker {
            converters: &converters,
            forced: forced.map(|i| &*converters[i]),
            limits,
            collector: Collector::default(),
            problems: Vec::new(),
            progress: &mut report_progress,
            files: 0,
            bytes: 0,
        };
        let read = walker.read_input(&input.path);
        let walk::Walker {
            collector,
            mut problems,
            ..
        } = walker;
        report.problems.append(&mut problems);
        let (sha256, size) = match read {
            Ok(digest) => digest,
            Err(reason) => {
                let input_name = input.path.display().to_string();
                tracing::error!("{input_name}: {reason}; its feed was not changed");
                report.problems.push(Problem {
                    file: input_name.clone(),
                    record: None,
                    reason: format!("{reason}; the input was not imported"),
                });
                report.failed_inputs.push(input_name);
                continue;
            }
        };
        if !collector.recognized {
            // Nothing in the input was a feed (a README given by mistake,
            // an empty directory): keep the database as it was.
            let input_name = input.path.display().to_string();
            let reason = "no converter recognizes any file in it (name one with --format); \
                          the input was not imported";
            tracing::error!("{input_name}: {reason}");
            report.problems.push(Problem {
                file: input_name.clone(),
                record: None,
                reason: reason.to_owned(),
            });
            report.failed_inputs.push(input_name);
            continue;
        }
        let batch = collector.into_batch(input, sha256, size);
        report_progress(Progress::Writing);
        report.feeds.push(writer.replace_feed(batch)?);
    }
    writer.commit()?;
    Ok(report)
}

/// Returns the default feed name of an input: its absolute path.
pub fn default_feed_name(path: &Path) -> String {
    std::path::absolute(path)
        .unwrap_or_else(|_| path.to_owned())
        .display()
        .to_string()
}

/// Records of one input, with advisories of the same id merged.
#[derive(Default)]
pub(crate) struct Collector {
    advisories: Vec<Advisory>,
    by_id: HashMap<String, usize>,
    kev: Vec<feeds::KevEntry>,
    epss: Vec<feeds::EpssScore>,
    formats: BTreeSet<&'static str>,
    skipped: u64,
    merged: u64,
    /// Whether any file of the input was handed to a converter.
    pub(crate) recognized: bool,
}

impl Collector {
    pub(crate) fn add(&mut self, record: Record, format: &'static str) {
        self.formats.insert(format);
        match record {
            Record::Advisory(advisory) => match self.by_id.get(&advisory.id) {
                Some(&index) => {
                    self.merged += 1;
                    merge(&mut self.advisories[index], *advisory);
                }
                None => {
                    self.by_id
                        .insert(advisory.id.clone(), self.advisories.len());
                    self.advisories.push(*advisory);
                }
            },
            Record::Kev(entry) => self.kev.push(entry),
            Record::Epss(score) => self.epss.push(score),
        }
    }

    pub(crate) fn skip(&mut self) {
        self.skipped += 1;
    }

    fn into_batch(self, input: &Input, sha256: String, size: u64) -> FeedBatch {
        let name = input
            .name
            .clone()
            .unwrap_or_else(|| default_feed_name(&input.path));
        FeedBatch {
            source: input.source.clone().unwrap_or_else(|| name.clone()),
            name,
            formats: self.formats.iter().map(|f| (*f).to_owned()).collect(),
            sha256,
            size,
            etag: input.etag.clone(),
            last_modified: input.last_modified.clone(),
            advisories: self.advisories,
            kev: self.kev,
            epss: self.epss,
            skipped: self.skipped,
            merged: self.merged,
        }
    }
}

/// Merges a second record with the same id into `into`: `affected` entries,
/// aliases, severities and references not already present are appended, and
/// the later `modified` is kept.
fn merge(into: &mut Advisory, other: Advisory) {
    if crate::time::parse_rfc3339(&other.modified) > crate::time::parse_rfc3339(&into.modified) {
        into.modified = other.modified;
    }
    append_new(&mut into.aliases, other.aliases);
    append_new(&mut into.related, other.related);
    append_new(&mut into.severity, other.severity);
    append_new(&mut into.references, other.references);
    append_new(&mut into.affected, other.affected);
    if into.summary.is_none() {
        into.summary = other.summary;
    }
    if into.details.is_none() {
        into.details = other.details;
    }
}

fn append_new<T: PartialEq>(into: &mut Vec<T>, items: Vec<T>) {
    for item in items {
        if !into.contains(&item) {
            into.push(item);
        }
    }
}

/// Counts advisories per ecosystem over several feed summaries.
pub fn per_ecosystem(feeds: &[FeedSummary]) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    for feed in feeds {
        for (ecosystem, count) in &feed.per_ecosystem {
            *counts.entry(ecosystem.clone()).or_default() += count;
        }
    }
    counts
}

/// Returns the converter for `head`: the forced one, or the first that
/// detects it.
pub(crate) fn pick<'c>(
    converters: &'c [Box<dyn FeedConverter>],
    forced: Option<&'c dyn FeedConverter>,
    path: &Path,
    head: &[u8],
    top_level: bool,
) -> Option<&'c dyn FeedConverter> {
    match forced {
        // A file named on the command line is converted with the requested
        // format. Inside an archive or directory, files the format does not
        // recognize (a LICENSE, a README) are left alone.
        Some(converter) if top_level || converter.detect(path, head) => Some(converter),
        Some(_) => None,
        None => converters
            .iter()
            .find(|c| c.detect(path, head))
            .map(|c| &**c),
    }
}
