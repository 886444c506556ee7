//! Berkeley DB hash databases: the legacy `Packages` file.
//!
//! The file is an array of fixed-size pages. Page 0 is the hash metadata page
//! (magic 0x061561 at offset 12, in the byte order of the machine that wrote
//! it). Hash pages (type 13, or 2 before Berkeley DB 4.6) hold key/data pairs:
//! the key is rpm's header number and the data is the header blob. A blob too
//! big for a hash page is an H_OFFPAGE item that names the first page of a
//! chain of overflow pages (type 7) and the blob's total length.
//!
//! The layout follows `dbinc/db_page.h` of Berkeley DB 4.x and 5.x. Every page
//! number is checked against the file size, and every overflow page may belong
//! to one item only, which detects loops and bounds memory by the file size.

use crate::bytes::{ByteOrder, to_usize};
use crate::collect::Collector;
use crate::error::{Record, RpmDbError};

const HASH_MAGIC: u32 = 0x0006_1561;
/// The smallest page size Berkeley DB supports, which also bounds the metadata page.
const MIN_PAGE_SIZE: usize = 512;
const MAX_PAGE_SIZE: usize = 65536;
/// Size of the generic page header (`SIZEOF_PAGE`).
const PAGE_HEADER_LEN: usize = 26;
/// Page header size when pages carry checksums: `SIZEOF_PAGE` plus `PG_CHKSUM`.
const CHECKSUM_PAGE_HEADER_LEN: usize = 32;
/// `DBMETA_CHKSUM` in the metadata flags byte.
const META_FLAG_CHECKSUM: u8 = 0x01;

const PAGE_HASH_UNSORTED: u8 = 2;
const PAGE_OVERFLOW: u8 = 7;
const PAGE_HASH_META: u8 = 8;
const PAGE_HASH: u8 = 13;

const ITEM_KEY_DATA: u8 = 1;
const ITEM_OFF_PAGE: u8 = 3;
/// Size of an H_OFFPAGE item: type, 3 unused bytes, first page number, total length.
const OFF_PAGE_ITEM_LEN: usize = 12;

// Offsets of page header fields.
const PAGE_NUMBER_OFFSET: usize = 8;
const NEXT_PAGE_OFFSET: usize = 16;
const ENTRIES_OFFSET: usize = 20;
/// `hf_offset`, which on an overflow page is the number of data bytes on the page.
const HIGH_FREE_OFFSET: usize = 22;
const PAGE_TYPE_OFFSET: usize = 25;

/// Geometry of the file, from the metadata page.
struct Layout {
    order: ByteOrder,
    page_size: usize,
    /// Number of pages present, from page 0 up to the declared last page or the
    /// end of the file, whichever comes first.
    page_count: u32,
    /// Number of pages the metadata page declares.
    declared_pages: u64,
    /// Bytes before the first item index on each page.
    page_header_len: usize,
}

/// Tracks which item each overflow page belongs to.
struct OverflowOwners {
    owner: Vec<u32>,
    next_item: u32,
}

/// Reads every header blob of a Berkeley DB hash file into `collector`.
pub(crate) fn read(name: &str, bytes: &[u8], collector: &mut Collector) -> Result<(), RpmDbError> {
    let layout = parse_metadata(name, bytes)?;
    if layout.declared_pages > u64::from(layout.page_count) {
        // Counted as a skipped record, so that a cut that leaves no package fails the read.
        collector.skip(RpmDbError::BerkeleyDbMetadata {
            name: name.into(),
            reason: format!(
                "the file is truncated: the metadata declares {} pages but the file contains {}",
                layout.declared_pages, layout.page_count
            ),
        });
    }
    let mut owners = OverflowOwners {
        owner: vec![0; to_usize(layout.page_count)],
        next_item: 1,
    };
    for page_number in 1..layout.page_count {
        let page = page(bytes, &layout, page_number);
        let page_type = page.get(PAGE_TYPE_OFFSET).copied().unwrap_or_default();
        if page_type == PAGE_HASH || page_type == PAGE_HASH_UNSORTED {
            read_hash_page(name, bytes, &layout, page_number, &mut owners, collector)?;
        }
    }
    Ok(())
}

/// Reads the page geometry from the metadata page and checks that this reader supports it.
fn parse_metadata(name: &str, bytes: &[u8]) -> Result<Layout, RpmDbError> {
    let invalid = |reason: String| RpmDbError::BerkeleyDbMetadata {
        name: name.into(),
        reason,
    };
    if bytes.len() < MIN_PAGE_SIZE {
        return Err(invalid(format!(
            "the file is {} bytes, shorter than the {MIN_PAGE_SIZE}-byte metadata page",
            bytes.len()
        )));
    }

    let order = if ByteOrder::Little.u32_at(bytes, 12) == Some(HASH_MAGIC) {
        ByteOrder::Little
    } else if ByteOrder::Big.u32_at(bytes, 12) == Some(HASH_MAGIC) {
        ByteOrder::Big
    } else {
        return Err(invalid(
            "the magic at offset 12 is not the hash magic 0x061561".into(),
        ));
    };
    let field = |offset| order.u32_at(bytes, offset).unwrap_or_default();
    let version = field(16);
    let page_size = to_usize(field(20));
    if !page_size.is_power_of_two() || !(MIN_PAGE_SIZE..=MAX_PAGE_SIZE).contains(&page_size) {
        return Err(invalid(format!(
            "page size {page_size} is not a power of two from {MIN_PAGE_SIZE} to {MAX_PAGE_SIZE}"
        )));
    }

    let encryption = bytes.get(24).copied().unwrap_or_default();
    if encryption != 0 {
        return Err(invalid(format!(
            "the file is encrypted (algorithm {encryption}), which rpm does not use and this reader does not support"
        )));
    }

    let page_type = bytes.get(PAGE_TYPE_OFFSET).copied().unwrap_or_default();
    if page_type != PAGE_HASH_META {
        return Err(invalid(format!(
            "page 0 has type {page_type}, expected hash metadata ({PAGE_HASH_META})"
        )));
    }
    if bytes.len() < page_size {
        return Err(invalid(format!(
            "the file is {} bytes, shorter than one {page_size}-byte page",
            bytes.len()
        )));
    }

    let meta_flags = bytes.get(26).copied().unwrap_or_default();
    // NOTE: no corpus file has checksummed pages; the header size comes from
    // `P_INP` in Berkeley DB's `dbinc/db_page.h` and the checksums are not verified.
    let page_header_len = if meta_flags & META_FLAG_CHECKSUM != 0 {
        CHECKSUM_PAGE_HEADER_LEN
    } else {
        PAGE_HEADER_LEN
    };

    let declared_pages = u64::from(field(32)) + 1;
    let present_pages = (bytes.len() / page_size) as u64;
    let page_count = u32::try_from(declared_pages.min(present_pages)).unwrap_or(u32::MAX);
    tracing::debug!(
        file = name,
        version,
        page_size,
        page_count,
        ?order,
        "read Berkeley DB hash metadata"
    );
    Ok(Layout {
        order,
        page_size,
        page_count,
        declared_pages,
        page_header_len,
    })
}

/// Returns page `number`, which the caller has checked to be below `page_count`.
fn page<'a>(bytes: &'a [u8], layout: &Layout, number: u32) -> &'a [u8] {
    let start = to_usize(number).saturating_mul(layout.page_size);
    bytes
        .get(start..start.saturating_add(layout.page_size))
        .unwrap_or_default()
}

/// Reads the key/data pairs of one hash page into `collector`.
///
/// A malformed page or item is skipped. Only the error that ends the whole read,
/// blobs exceeding the file size, is returned.
fn read_hash_page(
    name: &str,
    bytes: &[u8],
    layout: &Layout,
    page_number: u32,
    owners: &mut OverflowOwners,
    collector: &mut Collector,
) -> Result<(), RpmDbError> {
    let invalid = |reason: String| RpmDbError::BerkeleyDbPage {
        name: name.into(),
        page: page_number,
        reason,
    };
    let page = page(bytes, layout, page_number);
    let offsets = match item_offsets(page, layout, page_number) {
        Ok(offsets) => offsets,
        Err(reason) => {
            collector.skip(invalid(reason));
            return Ok(());
        }
    };
    for pair in 0..offsets.len() / 2 {
        let key_index = pair * 2;
        let data_index = key_index + 1;
        let key = key_data_item(page, &offsets, key_index, layout.page_size);
        let record =
            match key.and_then(|key| layout.order.u32_at(key, 0).filter(|_| key.len() == 4)) {
                Some(header_number) => Record::BerkeleyDbKey(header_number),
                None => Record::BerkeleyDbPage(page_number),
            };
        let data_offset = offsets.get(data_index).copied().unwrap_or_default();
        match page.get(data_offset).copied().unwrap_or_default() {
            ITEM_OFF_PAGE => {
                let item = page
                    .get(data_offset..data_offset + OFF_PAGE_ITEM_LEN)
                    .unwrap_or_default();
                let (Some(first_page), Some(total_len)) =
                    (layout.order.u32_at(item, 4), layout.order.u32_at(item, 8))
                else {
                    collector.skip(invalid(format!(
                        "off-page item {data_index} at offset {data_offset} runs past the page end"
                    )));
                    continue;
                };
                match read_overflow_chain(
                    name,
                    bytes,
                    layout,
                    page_number,
                    first_page,
                    total_len,
                    owners,
                ) {
                    Ok(blob) => collector.add_blob(record, &blob)?,
                    Err(error) => collector.skip(error),
                }
            }
            ITEM_KEY_DATA => {
                // rpm keeps its next header number under key 0; it is no package.
                if record == Record::BerkeleyDbKey(0) {
                    continue;
                }
                match key_data_item(page, &offsets, data_index, layout.page_size) {
                    Some(blob) => collector.add_blob(record, blob)?,
                    None => collector.skip(invalid(format!(
                        "item {data_index} at offset {data_offset} has an invalid length"
                    ))),
                }
            }
            other => collector.skip(invalid(format!(
                "item {data_index} has type {other}, which rpm does not write for package data"
            ))),
        }
    }
    Ok(())
}

/// Returns the item offsets of a hash page after checking that they lie in the page.
fn item_offsets(page: &[u8], layout: &Layout, page_number: u32) -> Result<Vec<usize>, String> {
    let order = layout.order;
    let stored_number = order.u32_at(page, PAGE_NUMBER_OFFSET).unwrap_or_default();
    if stored_number != page_number {
        return Err(format!("the page header gives page number {stored_number}"));
    }
    let entries = usize::from(order.u16_at(page, ENTRIES_OFFSET).unwrap_or_default());
    if !entries.is_multiple_of(2) {
        return Err(format!(
            "{entries} items, but hash items come in key/data pairs"
        ));
    }
    let index_end = layout.page_header_len + entries * 2;
    if index_end > layout.page_size {
        return Err(format!(
            "{entries} items do not fit a {}-byte page",
            layout.page_size
        ));
    }
    (0..entries)
        .map(|index| {
            let offset = order
                .u16_at(page, layout.page_header_len + index * 2)
                .map(usize::from)
                .unwrap_or_default();
            if offset < index_end || offset >= layout.page_size {
                Err(format!(
                    "item {index} at offset {offset} lies outside the data area \
                     {index_end}..{}",
                    layout.page_size
                ))
            } else {
                Ok(offset)
            }
        })
        .collect()
}

/// Returns the bytes of an H_KEYDATA item after its type byte.
///
/// Items are packed from the page end downwards, so an item ends where the
/// previous one starts (`LEN_HITEM` in `dbinc/db_page.h`).
fn key_data_item<'a>(
    page: &'a [u8],
    offsets: &[usize],
    index: usize,
    page_size: usize,
) -> Option<&'a [u8]> {
    let start = *offsets.get(index)?;
    let end = match index.checked_sub(1) {
        Some(previous) => *offsets.get(previous)?,
        None => page_size,
    };
    if page.get(start).copied() != Some(ITEM_KEY_DATA) {
        return None;
    }
    page.get(start + 1..end)
}

/// Assembles a value from its chain of overflow pages.
fn read_overflow_chain(
    name: &str,
    bytes: &[u8],
    layout: &Layout,
    hash_page: u32,
    first_page: u32,
    total_len: u32,
    owners: &mut OverflowOwners,
) -> Result<Vec<u8>, RpmDbError> {
    let invalid = |page: u32, reason: String| RpmDbError::BerkeleyDbPage {
        name: name.into(),
        page,
        reason,
    };
    let total_len = to_usize(total_len);
    if total_len > bytes.len() {
        return Err(invalid(
            hash_page,
            format!(
                "an off-page item claims {total_len} bytes, more than the {}-byte file",
                bytes.len()
            ),
        ));
    }
    let item = owners.next_item;
    owners.next_item = owners.next_item.wrapping_add(1);
    let mut value = Vec::with_capacity(total_len);
    let mut referring_page = hash_page;
    let mut page_number = first_page;
    loop {
        let Some(owner) = owners
            .owner
            .get_mut(to_usize(page_number))
            .filter(|_| page_number != 0)
        else {
            return Err(invalid(
                referring_page,
                format!(
                    "points to overflow page {page_number}, outside pages 1..{}",
                    layout.page_count
                ),
            ));
        };
        if *owner == item {
            return Err(invalid(page_number, "overflow chain loops".into()));
        }
        if *owner != 0 {
            return Err(invalid(
                page_number,
                "overflow page belongs to two items".into(),
            ));
        }
        *owner = item;

        let page = page(bytes, layout, page_number);
        let page_type = page.get(PAGE_TYPE_OFFSET).copied().unwrap_or_default();
        if page_type != PAGE_OVERFLOW {
            return Err(invalid(
                page_number,
                format!("page type is {page_type}, expected overflow ({PAGE_OVERFLOW})"),
            ));
        }
        let stored_number = layout
            .order
            .u32_at(page, PAGE_NUMBER_OFFSET)
            .unwrap_or_default();
        if stored_number != page_number {
            return Err(invalid(
                page_number,
                format!("the page header gives page number {stored_number}"),
            ));
        }
        let data_len = usize::from(
            layout
                .order
                .u16_at(page, HIGH_FREE_OFFSET)
                .unwrap_or_default(),
        );
        let Some(data) = page.get(layout.page_header_len..layout.page_header_len + data_len) else {
            return Err(invalid(
                page_number,
                format!("overflow data length {data_len} exceeds the page"),
            ));
        };
        if value.len() + data.len() > total_len {
            return Err(invalid(
                page_number,
                format!("overflow chain holds more than the item length of {total_len} bytes"),
            ));
        }
        value.extend_from_slice(data);

        let next = layout
            .order
            .u32_at(page, NEXT_PAGE_OFFSET)
            .unwrap_or_default();
        if next == 0 {
            break;
        }
        referring_page = page_number;
        page_number = next;
    }
    if value.len() != total_len {
        return Err(invalid(
            page_number,
            format!(
                "overflow chain ends after {} bytes, but the item length is {total_len}",
                value.len()
            ),
        ));
    }
    Ok(value)
}
