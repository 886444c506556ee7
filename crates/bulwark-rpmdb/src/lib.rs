//! Reader for the three RPM package database formats, from bytes in memory.
//!
//! rpm has stored its package database in three formats over the years:
//!
//! - Berkeley DB hash (`var/lib/rpm/Packages`), used up to RHEL 8 and CentOS 8,
//! - SQLite (`rpmdb.sqlite`), used from Fedora 33, RHEL 9 and CBL-Mariner 2,
//! - NDB (`Packages.db`), rpm's own format, used by SUSE.
//!
//! Each format stores one RPM header blob per installed package. [`read_packages`]
//! detects the format, walks the file and decodes every header blob into an
//! [`RpmPackage`]. The bytes are never written to disk.
//!
//! Input is treated as hostile. Every offset, length and page number is checked
//! against the file size, so bad input yields an [`RpmDbError`], never a panic.
//! Memory use stays proportional to the file size. A record that cannot be read
//! is skipped with a warning, and the other packages are still returned.

mod bdb;
mod bytes;
mod collect;
mod error;
mod header;
mod ndb;
mod sqlite;

pub use error::{Record, RpmDbError};

use collect::Collector;

/// On-disk format of an RPM database file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DbFormat {
    /// SQLite, `rpmdb.sqlite`: table `Packages(hnum, blob)`.
    Sqlite,
    /// Berkeley DB hash, the legacy `Packages` file.
    BerkeleyDb,
    /// NDB, SUSE's `Packages.db`.
    Ndb,
}

const SQLITE_MAGIC: &[u8] = b"SQLite format 3\0";
const NDB_MAGIC: &[u8] = b"RpmP";
/// The Berkeley DB hash magic 0x061561 at offset 12, little-endian and big-endian.
const BDB_HASH_MAGIC_LE: [u8; 4] = [0x61, 0x15, 0x06, 0x00];
const BDB_HASH_MAGIC_BE: [u8; 4] = [0x00, 0x06, 0x15, 0x61];

/// Detects the format from the first bytes of a database file.
///
/// Returns `None` when the bytes start with none of the SQLite header
/// `SQLite format 3\0`, the Berkeley DB hash magic 0x061561 at offset 12 (in
/// either byte order) or the NDB magic `RpmP`. A Berkeley DB btree file, such as
/// rpm's `Name` index, is not a package database and yields `None`.
pub fn detect_format(bytes: &[u8]) -> Option<DbFormat> {
    if bytes.starts_with(SQLITE_MAGIC) {
        return Some(DbFormat::Sqlite);
    }
    if bytes.starts_with(NDB_MAGIC) {
        return Some(DbFormat::Ndb);
    }
    let magic = bytes.get(12..16)?;
    if magic == BDB_HASH_MAGIC_LE || magic == BDB_HASH_MAGIC_BE {
        return Some(DbFormat::BerkeleyDb);
    }
    None
}

/// Reads every installed package from an RPM database held in memory.
///
/// `name` is the file's path, used only in error messages and logs. Packages are
/// returned sorted by name, epoch, version, release and arch, compared as plain
/// strings (not with rpm's version comparison). `gpg-pubkey` entries, which rpm
/// creates for imported signing keys, are returned like any other package because
/// `rpm -qa` lists them too; [`RpmPackage::is_gpg_pubkey`] identifies them.
///
/// A record whose header blob is malformed is skipped with a `tracing` warning.
/// The call fails when the file is not an RPM database, when its structure (the
/// Berkeley DB metadata page, the NDB header, the SQLite schema) is unusable, or
/// when it is damaged (a skipped record, a truncated file) and no package was read.
pub fn read_packages(name: &str, bytes: &[u8]) -> Result<Vec<RpmPackage>, RpmDbError> {
    if bytes.is_empty() {
        return Err(RpmDbError::Empty { name: name.into() });
    }
    let format =
        detect_format(bytes).ok_or_else(|| RpmDbError::UnknownFormat { name: name.into() })?;
    tracing::debug!(
        file = name,
        ?format,
        size = bytes.len(),
        "reading RPM database"
    );

    let mut collector = Collector::new(name, bytes.len());
    match format {
        DbFormat::Sqlite => sqlite::read(name, bytes, &mut collector)?,
        DbFormat::BerkeleyDb => bdb::read(name, bytes, &mut collector)?,
        DbFormat::Ndb => ndb::read(name, bytes, &mut collector)?,
    }
    let mut packages = collector.finish()?;
    packages.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    Ok(packages)
}

/// Decodes one RPM header blob, as stored in any of the three database formats.
///
/// `name` names the blob's source in error messages.
pub fn read_header_blob(name: &str, blob: &[u8]) -> Result<RpmPackage, RpmDbError> {
    let decoded = header::decode_package(blob).map_err(|reason| RpmDbError::Header {
        name: name.into(),
        record: Record::Standalone,
        reason,
    })?;
    if let Some(reason) = decoded.file_list_error {
        collect::warn_file_list(name, Record::Standalone, &decoded.package.name, &reason);
    }
    Ok(decoded.package)
}

/// One installed package, decoded from its RPM header.
///
/// Optional fields are `None` when the header lacks the tag.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RpmPackage {
    /// Package name (tag NAME).
    pub name: String,
    /// Epoch (tag EPOCH); `None` when the package has none, which rpm treats as 0.
    pub epoch: Option<u32>,
    /// Upstream version (tag VERSION).
    pub version: String,
    /// Release (tag RELEASE).
    pub release: String,
    /// Architecture such as `x86_64` or `noarch` (tag ARCH).
    pub arch: Option<String>,
    /// File name of the source package, such as `curl-7.76.0-6.cm2.src.rpm` (tag SOURCERPM).
    pub source_rpm: Option<String>,
    /// License expression (tag LICENSE).
    pub license: Option<String>,
    /// Vendor (tag VENDOR).
    pub vendor: Option<String>,
    /// One-line summary (tag SUMMARY).
    pub summary: Option<String>,
    /// Installed size in bytes (tag SIZE, or LONGSIZE for packages over 4 GiB).
    pub size: Option<u64>,
    /// MD5 digest of header and payload as lowercase hex (tag SIGMD5).
    pub sigmd5: Option<String>,
    /// Module stream label such as `nodejs:10:8020020200707141642:6a468ee4` (tag MODULARITYLABEL).
    pub modularity_label: Option<String>,
    /// Capabilities the package provides (tag PROVIDENAME).
    pub provides: Vec<String>,
    /// Capabilities the package requires (tag REQUIRENAME).
    pub requires: Vec<String>,
    /// Absolute paths of the files the package installs.
    ///
    /// Built from DIRNAMES, BASENAMES and DIRINDEXES, or taken from OLDFILENAMES in
    /// headers written before rpm 4. Empty, with a warning logged, when those tags
    /// disagree with each other.
    pub files: Vec<String>,
}

impl RpmPackage {
    /// Parses the source package name, version and release from `source_rpm`.
    ///
    /// Returns `None` when there is no source RPM or its file name does not have
    /// the form `NAME-VERSION-RELEASE.src.rpm` (or `.nosrc.rpm`).
    ///
    /// ```
    /// let package = bulwark_rpmdb::RpmPackage {
    ///     source_rpm: Some("util-linux-2.32.1-42.el8_8.src.rpm".into()),
    ///     ..Default::default()
    /// };
    /// assert_eq!(
    ///     package.source_nvr(),
    ///     Some(("util-linux".into(), "2.32.1".into(), "42.el8_8".into()))
    /// );
    /// ```
    pub fn source_nvr(&self) -> Option<(String, String, String)> {
        let file_name = self.source_rpm.as_deref()?;
        let stem = file_name.strip_suffix(".rpm")?;
        let (nvr, arch) = stem.rsplit_once('.')?;
        if arch != "src" && arch != "nosrc" {
            return None;
        }
        let (name_version, release) = nvr.rsplit_once('-')?;
        let (name, version) = name_version.rsplit_once('-')?;
        if name.is_empty() || version.is_empty() || release.is_empty() {
            return None;
        }
        Some((name.into(), version.into(), release.into()))
    }

    /// Returns whether this entry is a `gpg-pubkey` record, which rpm creates for an
    /// imported signing key rather than for installed software.
    pub fn is_gpg_pubkey(&self) -> bool {
        self.name == "gpg-pubkey"
    }

    fn sort_key(&self) -> (&str, Option<u32>, &str, &str, Option<&str>) {
        (
            &self.name,
            self.epoch,
            &self.version,
            &self.release,
            self.arch.as_deref(),
        )
    }
}
