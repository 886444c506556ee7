//! Decoding of RPM header blobs.
//!
//! A header blob, as rpm stores it in its database, is laid out as:
//!
//! - `il` (u32, big-endian): number of index entries,
//! - `dl` (u32, big-endian): length of the data store in bytes,
//! - `il` index entries of 16 bytes: tag, type, offset into the data store and
//!   count, each a big-endian u32,
//! - the data store, `dl` bytes.
//!
//! Headers written by rpm 4 start with an immutable region: entry 0 has tag 63
//! (HEADERIMMUTABLE) and points at a 16-byte trailer in the data store, whose
//! negated offset is the size of the region's index in bytes. Entries after the
//! region ("dribble" entries, added at install time) override region entries with
//! the same tag. Headers older than rpm 4 have no region.
//!
//! The checks follow `hdrblobVerifyInfo` in rpm's `lib/header.c` (rpm 4.14 and
//! later): entries must use known types, be aligned for their type, stay inside
//! the data store and not overlap each other. This reader also rejects region
//! entries whose data overlaps the region trailer.

use crate::RpmPackage;
use crate::bytes::{ByteOrder, to_usize};

/// Largest index count rpm accepts: `hdrchkTags` in `lib/header.c` rejects
/// any bit above the low 16.
const MAX_INDEX_ENTRIES: u32 = 0xffff;
/// Largest header rpm 4.14 and later accept (`headerMaxbytes` in `lib/header.c`).
const MAX_HEADER_BYTES: u64 = 256 * 1024 * 1024;
/// The `il` and `dl` fields.
const INTRO_LEN: usize = 8;
const ENTRY_LEN: usize = 16;
/// Upper bound on the bytes of the joined file paths, as a multiple of the
/// header size. Paths share their directory names, so a hostile header could
/// otherwise expand quadratically. Real packages stay below about 4 times
/// (estimate: each file costs at least a basename, a directory index, a digest,
/// a mode and a size in the header).
const MAX_PATH_BYTES_PER_HEADER_BYTE: usize = 64;

/// Tag numbers from rpm's `include/rpm/rpmtag.h`.
mod tag {
    pub(super) const HEADER_IMAGE: u32 = 61;
    pub(super) const HEADER_SIGNATURES: u32 = 62;
    pub(super) const HEADER_IMMUTABLE: u32 = 63;
    /// The lowest tag of an ordinary entry.
    pub(super) const HEADER_I18N_TABLE: u32 = 100;
    pub(super) const SIGMD5: u32 = 261;
    pub(super) const NAME: u32 = 1000;
    pub(super) const VERSION: u32 = 1001;
    pub(super) const RELEASE: u32 = 1002;
    pub(super) const EPOCH: u32 = 1003;
    pub(super) const SUMMARY: u32 = 1004;
    pub(super) const SIZE: u32 = 1009;
    pub(super) const VENDOR: u32 = 1011;
    pub(super) const LICENSE: u32 = 1014;
    pub(super) const ARCH: u32 = 1022;
    pub(super) const OLD_FILENAMES: u32 = 1027;
    pub(super) const SOURCE_RPM: u32 = 1044;
    pub(super) const PROVIDE_NAME: u32 = 1047;
    pub(super) const REQUIRE_NAME: u32 = 1049;
    pub(super) const DIR_INDEXES: u32 = 1116;
    pub(super) const BASENAMES: u32 = 1117;
    pub(super) const DIRNAMES: u32 = 1118;
    pub(super) const LONG_SIZE: u32 = 5009;
    pub(super) const MODULARITY_LABEL: u32 = 5096;
}

/// Data types of index entries (`rpmTagType` in rpm's `include/rpm/rpmtag.h`).
mod kind {
    pub(super) const CHAR: u32 = 1;
    pub(super) const INT8: u32 = 2;
    pub(super) const INT16: u32 = 3;
    pub(super) const INT32: u32 = 4;
    pub(super) const INT64: u32 = 5;
    pub(super) const STRING: u32 = 6;
    pub(super) const BIN: u32 = 7;
    pub(super) const STRING_ARRAY: u32 = 8;
    pub(super) const I18N_STRING: u32 = 9;
}

/// One index entry whose data has been checked to lie inside the data store.
#[derive(Debug, Clone, Copy)]
struct Entry {
    tag: u32,
    kind: u32,
    offset: usize,
    count: u32,
    len: usize,
}

/// An index entry as stored, before any check.
#[derive(Debug, Clone, Copy)]
struct RawEntry {
    tag: u32,
    kind: u32,
    offset: u32,
    count: u32,
}

/// A header blob whose index has been validated.
struct Header<'a> {
    entries: Vec<Entry>,
    data: &'a [u8],
}

/// A package decoded from a header, with any problem found in its file list.
pub(crate) struct Decoded {
    pub(crate) package: RpmPackage,
    /// Reason why `package.files` is empty although the header lists files.
    pub(crate) file_list_error: Option<String>,
}

/// Decodes the package fields from one header blob.
///
/// Returns the reason when the blob is malformed or lacks NAME, VERSION or
/// RELEASE. A file list whose tags disagree does not fail the package. It is
/// left empty and the problem is returned in [`Decoded::file_list_error`].
pub(crate) fn decode_package(blob: &[u8]) -> Result<Decoded, String> {
    let header = Header::parse(blob)?;
    let name = header.required_string(tag::NAME, "NAME")?;
    let version = header.required_string(tag::VERSION, "VERSION")?;
    let release = header.required_string(tag::RELEASE, "RELEASE")?;
    let size = match header.first_u32(tag::SIZE)? {
        Some(size) => Some(u64::from(size)),
        None => header.first_u64(tag::LONG_SIZE)?,
    };
    let (files, file_list_error) = match header.file_paths(blob.len()) {
        Ok(files) => (files, None),
        Err(reason) => (Vec::new(), Some(reason)),
    };
    let package = RpmPackage {
        name,
        epoch: header.first_u32(tag::EPOCH)?,
        version,
        release,
        arch: header.string(tag::ARCH)?,
        source_rpm: header.string(tag::SOURCE_RPM)?,
        license: header.string(tag::LICENSE)?,
        vendor: header.string(tag::VENDOR)?,
        summary: header.string(tag::SUMMARY)?,
        size,
        sigmd5: header.binary(tag::SIGMD5)?.map(to_hex),
        modularity_label: header.string(tag::MODULARITY_LABEL)?,
        provides: header.string_array(tag::PROVIDE_NAME)?,
        requires: header.string_array(tag::REQUIRE_NAME)?,
        files,
    };
    Ok(Decoded {
        package,
        file_list_error,
    })
}

impl<'a> Header<'a> {
    fn parse(blob: &'a [u8]) -> Result<Self, String> {
        const BE: ByteOrder = ByteOrder::Big;
        let (Some(il), Some(dl)) = (BE.u32_at(blob, 0), BE.u32_at(blob, 4)) else {
            return Err(format!(
                "blob is {} bytes, shorter than the 8-byte count fields",
                blob.len()
            ));
        };
        if il == 0 {
            return Err("index count is 0".into());
        }
        if il > MAX_INDEX_ENTRIES {
            return Err(format!(
                "index count {il} exceeds rpm's maximum of {MAX_INDEX_ENTRIES}"
            ));
        }
        let total = INTRO_LEN as u64 + u64::from(il) * ENTRY_LEN as u64 + u64::from(dl);
        if total > MAX_HEADER_BYTES {
            return Err(format!(
                "header size {total} bytes (index count {il}, data length {dl}) \
                 exceeds rpm's maximum of {MAX_HEADER_BYTES} bytes"
            ));
        }
        if total > blob.len() as u64 {
            return Err(format!(
                "header needs {total} bytes (index count {il}, data length {dl}) \
                 but the blob has only {}",
                blob.len()
            ));
        }
        // Both fit below 256 MiB, checked above.
        let data_start = INTRO_LEN + to_usize(il) * ENTRY_LEN;
        let index = blob.get(INTRO_LEN..data_start).unwrap_or_default();
        let data = blob
            .get(data_start..data_start + to_usize(dl))
            .unwrap_or_default();

        let raw: Vec<RawEntry> = index
            .chunks_exact(ENTRY_LEN)
            .map(|chunk| RawEntry {
                tag: BE.u32_at(chunk, 0).unwrap_or_default(),
                kind: BE.u32_at(chunk, 4).unwrap_or_default(),
                offset: BE.u32_at(chunk, 8).unwrap_or_default(),
                count: BE.u32_at(chunk, 12).unwrap_or_default(),
            })
            .collect();
        let region_end = match raw.first() {
            Some(first) if is_region_tag(first.tag) => Some(check_region(first, &raw, data)?),
            _ => None,
        };
        let first_entry = usize::from(region_end.is_some());
        let mut entries = Vec::with_capacity(raw.len());
        let mut previous_end = 0;
        for (position, entry) in raw.iter().enumerate().skip(first_entry) {
            let entry = check_entry(position, entry, data, previous_end, region_end)?;
            previous_end = entry.offset + entry.len;
            entries.push(entry);
        }
        Ok(Self { entries, data })
    }

    /// Returns the entry for `tag`; a later entry (a dribble entry) wins over an earlier one.
    fn find(&self, tag: u32) -> Option<&Entry> {
        self.entries.iter().rev().find(|entry| entry.tag == tag)
    }

    fn bytes_of(&self, entry: &Entry) -> &'a [u8] {
        self.data
            .get(entry.offset..entry.offset + entry.len)
            .unwrap_or_default()
    }

    /// Returns the strings of a string-typed entry, or an error for another type.
    fn strings_of(&self, entry: &Entry) -> Result<Vec<String>, String> {
        match entry.kind {
            kind::STRING | kind::STRING_ARRAY | kind::I18N_STRING => Ok(self
                .bytes_of(entry)
                .split(|&byte| byte == 0)
                .take(to_usize(entry.count))
                .map(|raw| String::from_utf8_lossy(raw).into_owned())
                .collect()),
            other => Err(format!(
                "tag {} has type {other}, expected a string type",
                entry.tag
            )),
        }
    }

    /// Returns the first string of `tag`, which is the untranslated text for I18NSTRING.
    fn string(&self, tag: u32) -> Result<Option<String>, String> {
        match self.find(tag) {
            Some(entry) => Ok(self.strings_of(entry)?.into_iter().next()),
            None => Ok(None),
        }
    }

    fn required_string(&self, tag: u32, tag_name: &str) -> Result<String, String> {
        self.string(tag)?
            .ok_or_else(|| format!("missing the {tag_name} tag ({tag})"))
    }

    /// Returns all strings of `tag`, or an empty list when the tag is absent.
    fn string_array(&self, tag: u32) -> Result<Vec<String>, String> {
        match self.find(tag) {
            Some(entry) => self.strings_of(entry),
            None => Ok(Vec::new()),
        }
    }

    /// Returns the values of an INT32 entry, or an empty list when the tag is absent.
    fn u32_array(&self, tag: u32) -> Result<Vec<u32>, String> {
        let Some(entry) = self.find(tag) else {
            return Ok(Vec::new());
        };
        if entry.kind != kind::INT32 {
            return Err(format!(
                "tag {tag} has type {}, expected INT32 ({})",
                entry.kind,
                kind::INT32
            ));
        }
        Ok(self
            .bytes_of(entry)
            .chunks_exact(4)
            .filter_map(|chunk| ByteOrder::Big.u32_at(chunk, 0))
            .collect())
    }

    fn first_u32(&self, tag: u32) -> Result<Option<u32>, String> {
        let Some(entry) = self.find(tag) else {
            return Ok(None);
        };
        if entry.kind != kind::INT32 {
            return Err(format!(
                "tag {tag} has type {}, expected INT32 ({})",
                entry.kind,
                kind::INT32
            ));
        }
        Ok(ByteOrder::Big.u32_at(self.bytes_of(entry), 0))
    }

    fn first_u64(&self, tag: u32) -> Result<Option<u64>, String> {
        let Some(entry) = self.find(tag) else {
            return Ok(None);
        };
        if entry.kind != kind::INT64 {
            return Err(format!(
                "tag {tag} has type {}, expected INT64 ({})",
                entry.kind,
                kind::INT64
            ));
        }
        Ok(ByteOrder::Big.u64_at(self.bytes_of(entry), 0))
    }

    fn binary(&self, tag: u32) -> Result<Option<&'a [u8]>, String> {
        let Some(entry) = self.find(tag) else {
            return Ok(None);
        };
        if entry.kind != kind::BIN {
            return Err(format!(
                "tag {tag} has type {}, expected BIN ({})",
                entry.kind,
                kind::BIN
            ));
        }
        Ok(Some(self.bytes_of(entry)))
    }

    /// Builds the absolute file paths, as rpm's `fnTag` does: each BASENAMES entry
    /// appended to the DIRNAMES entry that DIRINDEXES selects. Headers older than
    /// rpm 4 carry the paths whole in OLDFILENAMES.
    fn file_paths(&self, header_len: usize) -> Result<Vec<String>, String> {
        let basenames = self.string_array(tag::BASENAMES)?;
        if basenames.is_empty() {
            return self.string_array(tag::OLD_FILENAMES);
        }
        let dirnames = self.string_array(tag::DIRNAMES)?;
        let dir_indexes = self.u32_array(tag::DIR_INDEXES)?;
        if dir_indexes.len() != basenames.len() {
            return Err(format!(
                "{} BASENAMES entries but {} DIRINDEXES entries",
                basenames.len(),
                dir_indexes.len()
            ));
        }
        let mut dirs = Vec::with_capacity(dir_indexes.len());
        let mut total_len = 0usize;
        for (basename, &index) in basenames.iter().zip(&dir_indexes) {
            let dir = dirnames.get(to_usize(index)).ok_or_else(|| {
                format!(
                    "DIRINDEXES entry {index} is out of range for {} DIRNAMES entries",
                    dirnames.len()
                )
            })?;
            total_len = total_len.saturating_add(dir.len() + basename.len());
            dirs.push(dir);
        }
        let max_len = header_len.saturating_mul(MAX_PATH_BYTES_PER_HEADER_BYTE);
        if total_len > max_len {
            return Err(format!(
                "file paths would take {total_len} bytes, more than \
                 {MAX_PATH_BYTES_PER_HEADER_BYTE} times the header size"
            ));
        }
        Ok(dirs
            .into_iter()
            .zip(&basenames)
            .map(|(dir, basename)| format!("{dir}{basename}"))
            .collect())
    }
}

fn is_region_tag(tag: u32) -> bool {
    matches!(
        tag,
        tag::HEADER_IMAGE | tag::HEADER_SIGNATURES | tag::HEADER_IMMUTABLE
    )
}

/// Checks the region entry and its trailer, returning the region's data length,
/// which ends just after the trailer.
fn check_region(first: &RawEntry, raw: &[RawEntry], data: &[u8]) -> Result<usize, String> {
    const BE: ByteOrder = ByteOrder::Big;
    if first.kind != kind::BIN || first.count != ENTRY_LEN as u32 {
        return Err(format!(
            "region tag {} has type {} and count {}, expected BIN and {ENTRY_LEN}",
            first.tag, first.kind, first.count
        ));
    }

    let trailer_offset = to_usize(first.offset);
    let region_end = trailer_offset
        .checked_add(ENTRY_LEN)
        .filter(|&end| end <= data.len())
        .ok_or_else(|| {
            format!(
                "region trailer at offset {trailer_offset} lies outside the {}-byte data store",
                data.len()
            )
        })?;

    let trailer = data.get(trailer_offset..region_end).unwrap_or_default();
    let trailer_tag = BE.u32_at(trailer, 0).unwrap_or_default();
    let trailer_kind = BE.u32_at(trailer, 4).unwrap_or_default();
    // The trailer stores minus the size of the region's index.
    let index_size = BE.u32_at(trailer, 8).unwrap_or_default().wrapping_neg();
    let trailer_count = BE.u32_at(trailer, 12).unwrap_or_default();
    // rpm accepts HEADERIMAGE in the trailer of a signature region, written by old rpm versions.
    let tag_matches = trailer_tag == first.tag
        || (first.tag == tag::HEADER_SIGNATURES && trailer_tag == tag::HEADER_IMAGE);
    if !tag_matches || trailer_kind != kind::BIN || trailer_count != ENTRY_LEN as u32 {
        return Err(format!(
            "region trailer has tag {trailer_tag}, type {trailer_kind} and count \
             {trailer_count}, expected tag {}, BIN and {ENTRY_LEN}",
            first.tag
        ));
    }

    let region_entries = to_usize(index_size / ENTRY_LEN as u32);
    if !index_size.is_multiple_of(ENTRY_LEN as u32)
        || region_entries == 0
        || region_entries > raw.len()
    {
        return Err(format!(
            "region trailer gives an index size of {index_size} bytes, which is not a \
             multiple of {ENTRY_LEN} between 1 and {} entries",
            raw.len()
        ));
    }
    Ok(region_end)
}

/// Checks one index entry against the data store and returns it with its data length.
///
/// Entries must appear in data store order without overlap, as rpm writes them,
/// which also keeps the total scanning work linear in the data size.
fn check_entry(
    position: usize,
    raw: &RawEntry,
    data: &[u8],
    previous_end: usize,
    region_end: Option<usize>,
) -> Result<Entry, String> {
    let RawEntry {
        tag,
        kind,
        offset,
        count,
    } = *raw;
    let describe = || format!("index entry {position} (tag {tag}, type {kind})");
    if tag < tag::HEADER_I18N_TABLE {
        return Err(format!("{} has a tag below 100", describe()));
    }
    let offset = to_usize(offset);
    if offset > data.len() {
        return Err(format!(
            "{} starts at offset {offset}, past the {}-byte data store",
            describe(),
            data.len()
        ));
    }
    if offset < previous_end {
        return Err(format!(
            "{} at offset {offset} overlaps the data of the previous entry, which ends at {previous_end}",
            describe()
        ));
    }
    let alignment = match kind {
        kind::INT16 => 2,
        kind::INT32 => 4,
        kind::INT64 => 8,
        _ => 1,
    };
    if !offset.is_multiple_of(alignment) {
        return Err(format!(
            "{} at offset {offset} is not aligned to {alignment} bytes",
            describe()
        ));
    }
    let len = data_len(kind, count, data, offset).ok_or_else(|| {
        format!(
            "{} with count {count} at offset {offset} does not fit the {}-byte data store",
            describe(),
            data.len()
        )
    })?;
    if let Some(region_end) = region_end {
        let trailer_start = region_end - ENTRY_LEN;
        if offset < region_end && offset + len > trailer_start {
            return Err(format!("{} overlaps the region trailer", describe()));
        }
    }
    Ok(Entry {
        tag,
        kind,
        offset,
        count,
        len,
    })
}

/// Returns the length in bytes of an entry's data, or `None` when the type is
/// unknown, the count is 0 or the data would run past the data store.
fn data_len(kind: u32, count: u32, data: &[u8], offset: usize) -> Option<usize> {
    if count == 0 {
        return None;
    }
    let rest = data.get(offset..)?;
    let count = to_usize(count);
    let len = match kind {
        kind::CHAR | kind::INT8 | kind::BIN => count,
        kind::INT16 => count.checked_mul(2)?,
        kind::INT32 => count.checked_mul(4)?,
        kind::INT64 => count.checked_mul(8)?,
        kind::STRING if count == 1 => strings_len(rest, 1)?,
        kind::STRING_ARRAY | kind::I18N_STRING => strings_len(rest, count)?,
        _ => return None,
    };
    (len <= rest.len()).then_some(len)
}

/// Returns the length of `count` NUL-terminated strings at the start of `bytes`.
fn strings_len(bytes: &[u8], count: usize) -> Option<usize> {
    let mut len = 0;
    for _ in 0..count {
        let rest = bytes.get(len..)?;
        let nul = rest.iter().position(|&byte| byte == 0)?;
        len += nul + 1;
    }
    Some(len)
}

fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut hex = String::with_capacity(bytes.len() * 2);
    for &byte in bytes {
        hex.push(char::from(DIGITS[usize::from(byte >> 4)]));
        hex.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    hex
}
