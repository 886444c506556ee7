//! NDB databases: rpm's own `Packages.db` format, used by SUSE.
//!
//! The layout follows `lib/backend/ndb/rpmpkg.c` in rpm 4.16 to 4.19. All
//! integers are little-endian.
//!
//! - A 32-byte header: magic `RpmP`, format version 0, generation, number of
//!   slot pages, next package index.
//! - Slot pages of 4096 bytes each, starting at offset 0, so the header takes
//!   the place of the first two slots. A slot is 16 bytes: magic `Slot`,
//!   package index, offset and length of the package's blob in 16-byte blocks.
//!   A slot with offset 0 is free.
//! - Blobs after the slot pages: a 16-byte head (magic `BlbS`, package index,
//!   timestamp, blob length), the RPM header blob, zero padding, and a 12-byte
//!   tail (Adler-32 of everything before the tail, blob length, magic `BlbE`).

use crate::bytes::{ByteOrder, to_usize};
use crate::collect::Collector;
use crate::error::{Record, RpmDbError};

const LE: ByteOrder = ByteOrder::Little;
const HEADER_LEN: usize = 32;
const FORMAT_VERSION: u32 = 0;
const SLOT_PAGE_LEN: usize = 4096;
const SLOT_LEN: usize = 16;
const BLOCK_LEN: usize = 16;
const SLOT_MAGIC: &[u8] = b"Slot";
const BLOB_HEAD_MAGIC: &[u8] = b"BlbS";
const BLOB_TAIL_MAGIC: &[u8] = b"BlbE";
const BLOB_HEAD_LEN: usize = 16;
const BLOB_TAIL_LEN: usize = 12;

/// A used slot whose blob range lies inside the file.
#[derive(Debug, Clone, Copy)]
struct Slot {
    number: u32,
    package_index: u32,
    block_offset: usize,
    block_count: usize,
}

/// Reads every header blob of an NDB file into `collector`.
pub(crate) fn read(name: &str, bytes: &[u8], collector: &mut Collector) -> Result<(), RpmDbError> {
    let slot_pages = read_header(name, bytes)?;
    let mut slots = read_slots(name, bytes, slot_pages, collector);

    // Blobs must not overlap, as rpm's `rpmpkgFindEmptyOffset` also checks.
    slots.sort_by_key(|slot| slot.block_offset);
    let mut previous: Option<Slot> = None;
    for slot in slots {
        if let Some(previous) =
            previous.filter(|p| slot.block_offset < p.block_offset + p.block_count)
        {
            collector.skip(RpmDbError::NdbSlot {
                name: name.into(),
                slot: slot.number,
                reason: format!("its blob overlaps the blob of slot {}", previous.number),
            });
            continue;
        }
        previous = Some(slot);
        match read_blob(bytes, &slot) {
            Ok(blob) => collector.add_blob(Record::NdbPackage(slot.package_index), blob)?,
            Err(reason) => collector.skip(RpmDbError::NdbSlot {
                name: name.into(),
                slot: slot.number,
                reason,
            }),
        }
    }
    Ok(())
}

/// Checks the file header and returns the number of slot pages.
fn read_header(name: &str, bytes: &[u8]) -> Result<usize, RpmDbError> {
    let invalid = |reason: String| RpmDbError::NdbHeader {
        name: name.into(),
        reason,
    };
    if bytes.len() < HEADER_LEN {
        return Err(invalid(format!(
            "the file is {} bytes, shorter than the {HEADER_LEN}-byte header",
            bytes.len()
        )));
    }
    let version = LE.u32_at(bytes, 4).unwrap_or_default();
    if version != FORMAT_VERSION {
        return Err(invalid(format!(
            "format version {version} is not the supported version {FORMAT_VERSION}"
        )));
    }
    let slot_pages = to_usize(LE.u32_at(bytes, 12).unwrap_or_default());
    if slot_pages == 0 {
        return Err(invalid("the header gives 0 slot pages".into()));
    }
    let slots_len = slot_pages.saturating_mul(SLOT_PAGE_LEN);
    if slots_len > bytes.len() {
        return Err(invalid(format!(
            "{slot_pages} slot pages need {slots_len} bytes, but the file has only {}",
            bytes.len()
        )));
    }
    Ok(slot_pages)
}

/// Returns the used slots whose blobs lie inside the file; other used slots are skipped.
fn read_slots(name: &str, bytes: &[u8], slot_pages: usize, collector: &mut Collector) -> Vec<Slot> {
    let file_blocks = bytes.len() / BLOCK_LEN;
    let first_blob_block = slot_pages * SLOT_PAGE_LEN / BLOCK_LEN;
    let slots_end = slot_pages * SLOT_PAGE_LEN;
    let mut slots = Vec::new();
    for (position, raw) in bytes
        .get(HEADER_LEN..slots_end)
        .unwrap_or_default()
        .chunks_exact(SLOT_LEN)
        .enumerate()
    {
        let number = u32::try_from(position + HEADER_LEN / SLOT_LEN).unwrap_or(u32::MAX);
        let invalid = |reason: String| RpmDbError::NdbSlot {
            name: name.into(),
            slot: number,
            reason,
        };
        if raw.get(..4) != Some(SLOT_MAGIC) {
            collector.skip(invalid("the slot magic is not \"Slot\"".into()));
            continue;
        }
        let package_index = LE.u32_at(raw, 4).unwrap_or_default();
        let block_offset = to_usize(LE.u32_at(raw, 8).unwrap_or_default());
        let block_count = to_usize(LE.u32_at(raw, 12).unwrap_or_default());
        if block_offset == 0 {
            continue;
        }
        if package_index == 0 || block_count == 0 {
            collector.skip(invalid(format!(
                "a used slot has package index {package_index} and block count {block_count}"
            )));
            continue;
        }
        if block_offset < first_blob_block {
            collector.skip(invalid(format!(
                "its blob starts at block {block_offset}, inside the slot pages"
            )));
            continue;
        }
        if block_offset.saturating_add(block_count) > file_blocks {
            collector.skip(invalid(format!(
                "its blob (blocks {block_offset} to {}) runs past the end of the \
                 {file_blocks}-block file",
                block_offset.saturating_add(block_count)
            )));
            continue;
        }
        slots.push(Slot {
            number,
            package_index,
            block_offset,
            block_count,
        });
    }
    slots
}

/// Returns the header blob stored for a slot after checking its head and tail.
fn read_blob<'a>(bytes: &'a [u8], slot: &Slot) -> Result<&'a [u8], String> {
    let start = slot.block_offset * BLOCK_LEN;
    let stored = bytes
        .get(start..start + slot.block_count * BLOCK_LEN)
        .unwrap_or_default();
    if stored.len() < BLOB_HEAD_LEN + BLOB_TAIL_LEN {
        return Err(format!(
            "{} blocks cannot hold a blob head and tail",
            slot.block_count
        ));
    }

    if stored.get(..4) != Some(BLOB_HEAD_MAGIC) {
        return Err("the blob head magic is not \"BlbS\"".into());
    }
    let head_index = LE.u32_at(stored, 4).unwrap_or_default();
    if head_index != slot.package_index {
        return Err(format!(
            "the blob head gives package index {head_index}, the slot gives {}",
            slot.package_index
        ));
    }

    let blob_len = to_usize(LE.u32_at(stored, 12).unwrap_or_default());
    let needed_blocks =
        (BLOB_HEAD_LEN as u64 + blob_len as u64 + BLOB_TAIL_LEN as u64).div_ceil(BLOCK_LEN as u64);
    if needed_blocks != slot.block_count as u64 {
        return Err(format!(
            "a {blob_len}-byte blob needs {needed_blocks} blocks, the slot gives {}",
            slot.block_count
        ));
    }

    let tail_start = stored.len() - BLOB_TAIL_LEN;
    let stored_checksum = LE.u32_at(stored, tail_start).unwrap_or_default();
    let tail_len = to_usize(LE.u32_at(stored, tail_start + 4).unwrap_or_default());
    if tail_len != blob_len || stored.get(tail_start + 8..) != Some(BLOB_TAIL_MAGIC) {
        return Err("the blob tail does not match its head".into());
    }
    let checksum = adler32(stored.get(..tail_start).unwrap_or_default());
    if checksum != stored_checksum {
        return Err(format!(
            "the blob's Adler-32 is {checksum:#010x}, the tail stores {stored_checksum:#010x}"
        ));
    }
    Ok(stored
        .get(BLOB_HEAD_LEN..BLOB_HEAD_LEN + blob_len)
        .unwrap_or_default())
}

/// Computes the Adler-32 checksum of RFC 1950.
fn adler32(bytes: &[u8]) -> u32 {
    const MODULUS: u32 = 65521;
    // The largest run of bytes whose sums cannot overflow a u32 before the modulo.
    const MAX_RUN: usize = 5552;
    let (mut a, mut b) = (1u32, 0u32);
    for run in bytes.chunks(MAX_RUN) {
        for &byte in run {
            a += u32::from(byte);
            b += a;
        }
        a %= MODULUS;
        b %= MODULUS;
    }
    (b << 16) | a
}
