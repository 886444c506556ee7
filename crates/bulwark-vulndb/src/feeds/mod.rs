//! Feed converters: each one turns the files of one feed format into
//! [`Record`]s, mostly OSV [`Advisory`] documents.
//!
//! The importer walks its inputs (files, directories, `.tar.gz` and `.zip`
//! archives), decompresses `.gz`, `.bz2` and `.xz` files, and hands every
//! file to the first converter whose [`FeedConverter::detect`] accepts it, or to the one named
//! with `--format`. To add a format, write `feeds/<name>.rs` with a type that
//! implements [`FeedConverter`] and add one line to [`converters`].

pub mod alpine;
pub mod debian_dsa;
pub mod debian_oval;
pub mod debian_tracker;
pub mod epss;
pub mod kev;
pub mod osv;
mod oval;
pub mod redhat_csaf;
pub mod redhat_oval;
pub mod rocky_oval;
pub mod rustsec;
pub mod ubuntu_oval;

use std::fmt;
use std::path::Path;

pub use bulwark_osv::Advisory;

/// Number of leading bytes of a file passed to [`FeedConverter::detect`].
pub const DETECT_HEAD_LEN: usize = 4096;

/// Converts the files of one feed format.
pub trait FeedConverter: Send + Sync {
    /// Returns the format name, as given to `--format` (`osv`, `alpine-secdb`).
    fn name(&self) -> &'static str;

    /// Returns whether this converter reads the file.
    ///
    /// `path` is the file's path, or for an archive member its path inside
    /// the archive. `head` is at most [`DETECT_HEAD_LEN`] leading bytes of
    /// the decompressed content. Detection should look at the content and
    /// use the path only to tell apart formats whose content is alike.
    fn detect(&self, path: &Path, head: &[u8]) -> bool;

    /// Converts one file, passing each record or each skipped record to
    /// `sink` in file order.
    ///
    /// `path` is as for [`detect`](Self::detect), and converters may read a
    /// release from it (`v3.19/main.json`). A record that cannot be
    /// converted goes to `sink` as a [`RecordError`] and the rest of the
    /// file is still converted.
    ///
    /// # Errors
    ///
    /// Returns [`FeedError`] when the file as a whole cannot be read, such as
    /// truncated JSON or XML; records already passed to `sink` are kept.
    fn convert(
        &self,
        path: &Path,
        data: &[u8],
        sink: &mut dyn FnMut(Result<Record, RecordError>),
    ) -> Result<(), FeedError>;
}

/// Returns every converter, in detection order: the first one whose
/// [`FeedConverter::detect`] accepts a file converts it.
pub fn converters() -> Vec<Box<dyn FeedConverter>> {
    vec![
        Box::new(kev::KevConverter),
        Box::new(epss::EpssConverter),
        Box::new(alpine::AlpineSecdbConverter),
        Box::new(debian_oval::DebianOval),
        Box::new(debian_tracker::DebianTracker),
        Box::new(debian_dsa::DebianDsa),
        Box::new(ubuntu_oval::UbuntuOval),
        Box::new(redhat_oval::RedHatOval),
        Box::new(rocky_oval::RockyOval),
        Box::new(redhat_csaf::RedHatCsaf),
        Box::new(rustsec::RustSec),
        // Register new converters above this line: OSV detection is the
        // loosest, so it goes last.
        Box::new(osv::OsvConverter),
    ]
}

/// Returns the names of every converter, for help and error messages.
pub fn converter_names() -> Vec<&'static str> {
    converters().iter().map(|c| c.name()).collect()
}

/// Returns the converter named `name`, as given to `--format`.
pub fn converter_named(name: &str) -> Option<Box<dyn FeedConverter>> {
    converters().into_iter().find(|c| c.name() == name)
}

/// One record from a feed.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    /// An OSV advisory. Records with the same id from several files of one
    /// import input are merged: their `affected` entries and aliases are
    /// joined and the newest `modified` is kept.
    Advisory(Box<Advisory>),
    /// An entry of CISA's Known Exploited Vulnerabilities catalog.
    Kev(KevEntry),
    /// An EPSS score.
    Epss(EpssScore),
}

impl From<Advisory> for Record {
    fn from(advisory: Advisory) -> Self {
        Self::Advisory(Box::new(advisory))
    }
}

/// One entry of CISA's Known Exploited Vulnerabilities catalog.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KevEntry {
    /// CVE id, such as `CVE-2021-44228`.
    pub cve: String,
    /// Date CISA added the CVE to the catalog, `YYYY-MM-DD`.
    pub date_added: String,
    /// Date by which US federal agencies must remediate, `YYYY-MM-DD`.
    pub due_date: Option<String>,
    /// Vendor or project name.
    pub vendor: String,
    /// Product name.
    pub product: String,
    /// Short name of the vulnerability.
    pub name: String,
    /// `Known` when the CVE is known to be used in ransomware campaigns,
    /// otherwise `Unknown`, as CISA spells it.
    pub ransomware_use: String,
    /// Free-text notes, usually links.
    pub notes: String,
}

/// One EPSS score: the probability of exploitation in the next 30 days.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EpssScore {
    /// CVE id.
    pub cve: String,
    /// Probability from 0 to 1.
    pub score: f64,
    /// Share of scored CVEs with a lower or equal score, from 0 to 1.
    pub percentile: f64,
    /// Date of the scores, `YYYY-MM-DD`.
    pub date: String,
}

/// A record a converter skipped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("record {record}: {reason}")]
pub struct RecordError {
    /// The record's id, or its position such as `#12` or `packages[3]`
    /// when it has no usable id.
    pub record: String,
    /// Reason the record was skipped.
    pub reason: String,
}

impl RecordError {
    /// Creates an error for the record named `record`.
    pub fn new(record: impl fmt::Display, reason: impl fmt::Display) -> Self {
        Self {
            record: record.to_string(),
            reason: reason.to_string(),
        }
    }
}

/// A file a converter could not read as a whole.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct FeedError {
    /// Reason the file could not be read, such as a JSON syntax error and
    /// its position.
    pub reason: String,
}

impl FeedError {
    /// Creates an error with the reason the file could not be read.
    pub fn new(reason: impl fmt::Display) -> Self {
        Self {
            reason: reason.to_string(),
        }
    }
}
