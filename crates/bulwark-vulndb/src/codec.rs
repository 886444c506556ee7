//! Compression of stored records: zstd with a dictionary trained per feed.
//!
//! OSV records are small JSON documents that repeat the same keys, URLs and
//! ecosystem names, so one record alone compresses poorly. A dictionary
//! trained on the feed's own records contains what they share. Each record
//! is still compressed on its own, so a lookup decompresses only what it
//! returns.

use zstd::bulk::{Compressor, Decompressor};

/// zstd compression level for records. Measured on the corpus feeds
/// (`bench/db.sh`, 2 cores): level 12 imports in 3.6 s of CPU, and level 19
/// takes 24 s for a database 1.2% smaller. Levels 9 and 14 give larger
/// files than 12.
pub(crate) const LEVEL: i32 = 12;

/// Maximum size of a trained dictionary, in bytes: zstd's default size.
/// The corpus feeds compress 0.2% better than with 64 KiB, and 1.9%
/// better than with 32 KiB.
const MAX_DICTIONARY_LEN: usize = 110 * 1024;

/// Maximum sample bytes fed to dictionary training; training time grows
/// with it, and a few MiB of records teach all a feed repeats.
const MAX_SAMPLE_BYTES: usize = 4 << 20;

/// Feeds with fewer records than this are compressed without a dictionary:
/// training needs enough samples, and the dictionary would outweigh them.
const MIN_SAMPLES: usize = 64;

/// Maximum size of one decompressed record, in bytes.
pub(crate) const MAX_RECORD_LEN: usize = 64 << 20;

/// Trains a dictionary on `records`, or returns `None` when there are too
/// few of them or training fails.
pub(crate) fn train(records: &[Vec<u8>]) -> Option<Vec<u8>> {
    if records.len() < MIN_SAMPLES {
        return None;
    }
    let total: usize = records.iter().map(Vec::len).sum();
    let step = total.div_ceil(MAX_SAMPLE_BYTES).max(1);
    let samples: Vec<&[u8]> = records
        .iter()
        .step_by(step)
        .map(|r| &r[..r.len().min(128 << 10)])
        .collect();
    let sample_total: usize = samples.iter().map(|s| s.len()).sum();
    let max_len = MAX_DICTIONARY_LEN.min(sample_total / 25).max(1024);
    match zstd::dict::from_samples(&samples, max_len) {
        Ok(dictionary) => Some(dictionary),
        Err(error) => {
            tracing::debug!("dictionary training failed, compressing without one: {error}");
            None
        }
    }
}

/// Creates a compressor for records of a feed with `dictionary`.
pub(crate) fn compressor(dictionary: Option<&[u8]>) -> std::io::Result<Compressor<'static>> {
    let mut compressor = match dictionary {
        Some(dictionary) => Compressor::with_dictionary(LEVEL, dictionary)?,
        None => Compressor::new(LEVEL)?,
    };
    // Record lengths are kept in the frame, so decompression can size its
    // buffer. Checksums and dictionary ids are left out to save space.
    compressor.include_contentsize(true)?;
    compressor.include_checksum(false)?;
    compressor.include_dictid(false)?;
    Ok(compressor)
}

/// Creates a decompressor for records of a feed with `dictionary`.
pub(crate) fn decompressor(dictionary: Option<&[u8]>) -> std::io::Result<Decompressor<'static>> {
    match dictionary {
        Some(dictionary) => Decompressor::with_dictionary(dictionary),
        None => Decompressor::new(),
    }
}

/// Decompresses one record into `output`, replacing its contents. Lookups
/// pass the same buffer for every record, so decompression allocates only
/// when a record is larger than any before it.
pub(crate) fn decompress(
    decompressor: &mut Decompressor<'static>,
    data: &[u8],
    output: &mut Vec<u8>,
) -> Result<(), String> {
    let length = zstd::zstd_safe::get_frame_content_size(data)
        .map_err(|_| "not a zstd frame".to_owned())?
        .ok_or_else(|| "zstd frame without a content size".to_owned())?;
    let length = usize::try_from(length)
        .ok()
        .filter(|&l| l <= MAX_RECORD_LEN)
        .ok_or_else(|| format!("record of {length} bytes is over the limit"))?;
    output.clear();
    output.reserve(length);
    decompressor
        .decompress_to_buffer(data, output)
        .map_err(|e| format!("zstd: {e}"))?;
    Ok(())
}
