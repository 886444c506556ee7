//! Streaming one layer blob: decompression, digest checks and tar walking.

use std::collections::HashSet;
use std::io::{self, BufRead, BufReader, Read};
use std::sync::{Arc, Mutex};

use crate::digest::{BackgroundHasher, Digest, HashingReader};
use crate::error::LayerError;
use crate::limits::Limits;
use crate::merge::{Node, NodeKind};
use crate::path::normalize_entry_path;

/// The kind of filesystem object a tar entry creates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    File,
    Dir,
    Symlink,
    Hardlink,
    Other,
}

/// Metadata of one entry, as handed to [`FileHandler::wants`].
#[derive(Debug, Clone, Copy)]
pub struct EntryInfo<'a> {
    /// Normalized path relative to the root, without a leading slash.
    pub path: &'a str,
    /// Size of the file content in bytes.
    pub size: u64,
    /// Permission bits from the tar header.
    pub mode: u32,
    pub kind: EntryKind,
    /// Index of the layer in the image, 0 for the base layer.
    pub layer: usize,
}

/// Receives the regular files that it wants while layers are streamed.
///
/// `wants` is called for every regular file and must be cheap; `handle` gets
/// the whole content of each wanted file (at most `Limits::max_file_bytes`).
/// Handlers run on several layers at once, so they must be `Sync`.
pub trait FileHandler: Sync {
    /// The value the handler extracts from one file.
    type Output: Send;

    /// Returns whether the file's content should be read and handed over.
    fn wants(&self, info: &EntryInfo<'_>) -> bool;

    /// Extracts the output of one file. `None` means nothing of interest.
    fn handle(&self, info: &EntryInfo<'_>, data: &[u8]) -> Option<Self::Output>;
}

/// Everything learned from one layer.
#[derive(Debug)]
pub struct LayerScan<O> {
    /// Entries in archive order; a later entry for the same path wins.
    pub entries: Vec<(String, Node)>,
    /// Paths deleted by `.wh.NAME` files.
    pub whiteouts: Vec<String>,
    /// Directories whose lower-layer content is hidden by `.wh..wh..opq`.
    pub opaque_dirs: Vec<String>,
    /// Handler outputs keyed by the path of the file they came from.
    pub outputs: Vec<(String, O)>,
    /// Entries skipped for safety or size, with the reason.
    pub warnings: Vec<String>,
    /// The failure that stopped the walk early, if any.
    pub error: Option<LayerError>,
    /// Digest of the uncompressed tar stream, when it was read to the end.
    pub diff_id: Option<Digest>,
    /// Uncompressed size in bytes.
    pub uncompressed_bytes: u64,
}

impl<O> LayerScan<O> {
    pub(crate) fn new() -> Self {
        Self {
            entries: Vec::new(),
            whiteouts: Vec::new(),
            opaque_dirs: Vec::new(),
            outputs: Vec::new(),
            warnings: Vec::new(),
            error: None,
            diff_id: None,
            uncompressed_bytes: 0,
        }
    }

    /// A scan that holds only the error that prevented reading the layer.
    pub fn failed(error: LayerError) -> Self {
        let mut scan = Self::new();
        scan.error = Some(error);
        scan
    }
}

/// Digest and byte count of the raw blob, shared with the reader that
/// feeds the decompressor. Hashing stops for uncompressed blobs, whose
/// digest equals the diff id computed downstream.
#[derive(Clone)]
struct RawTap(Arc<Mutex<TapState>>);

struct TapState {
    hasher: Option<BackgroundHasher>,
    bytes: u64,
}

struct TappedReader<R> {
    inner: R,
    tap: RawTap,
}

impl<R: Read> Read for TappedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut state = self.tap.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(hasher) = state.hasher.as_mut() {
            hasher.update(&buf[..n]);
        }
        state.bytes += n as u64;
        Ok(n)
    }
}

impl RawTap {
    fn new() -> Self {
        Self(Arc::new(Mutex::new(TapState {
            hasher: Some(BackgroundHasher::new()),
            bytes: 0,
        })))
    }

    fn bytes(&self) -> u64 {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).bytes
    }

    fn is_hashing(&self) -> bool {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .hasher
            .is_some()
    }

    fn stop_hashing(&self) {
        let hasher = self
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .hasher
            .take();
        if let Some(hasher) = hasher {
            hasher.finish();
        }
    }

    /// The digest of the blob; `None` once hashing was stopped.
    fn digest(&self) -> Option<Digest> {
        let hasher = self
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .hasher
            .take();
        hasher.map(|h| h.finish().0)
    }
}

/// Stops a decompressed stream that grows past the size or ratio limits.
struct BombGuard<R> {
    inner: R,
    tap: RawTap,
    produced: u64,
    limits: Limits,
}

impl<R: Read> Read for BombGuard<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.produced += n as u64;
        if self.produced > self.limits.max_layer_bytes {
            return Err(io::Error::other(BombSignal(format!(
                "uncompressed size exceeds {} bytes",
                self.limits.max_layer_bytes
            ))));
        }
        if self.produced > self.limits.ratio_grace_bytes {
            let raw = self.tap.bytes().max(1);
            if self.produced / raw > self.limits.max_ratio {
                return Err(io::Error::other(BombSignal(format!(
                    "compression ratio exceeds {}:1 ({} bytes from {} compressed bytes)",
                    self.limits.max_ratio, self.produced, raw
                ))));
            }
        }
        Ok(n)
    }
}

#[derive(Debug)]
struct BombSignal(String);

impl std::fmt::Display for BombSignal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BombSignal {}

/// Turns an I/O error from the stream into a layer error, telling
/// decompression bombs apart from corrupt data.
fn classify(layer: &str, error: &io::Error) -> LayerError {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = source {
        if let Some(signal) = current.downcast_ref::<BombSignal>() {
            return LayerError::Bomb {
                layer: layer.to_owned(),
                reason: signal.0.clone(),
            };
        }
        if let Some(io_error) = current.downcast_ref::<io::Error>()
            && let Some(inner) = io_error.get_ref()
            && let Some(signal) = inner.downcast_ref::<BombSignal>()
        {
            return LayerError::Bomb {
                layer: layer.to_owned(),
                reason: signal.0.clone(),
            };
        }
        source = current.source();
    }
    LayerError::Corrupt {
        layer: layer.to_owned(),
        reason: error.to_string(),
    }
}

/// Expected digests of a layer blob.
#[derive(Debug, Clone, Default)]
pub struct Expected {
    /// Digest of the blob as stored (compressed).
    pub blob: Option<Digest>,
    /// Digest of the uncompressed tar stream.
    pub diff_id: Option<Digest>,
}

/// Streams one layer blob (gzip, zstd or plain tar, detected from the
/// first bytes) and hands its wanted files to `handler`.
///
/// `name` identifies the layer in messages. Digests in `expected` are
/// checked once the stream is read to the end; on a mismatch the layer's
/// entries and outputs are dropped, because its content cannot be trusted.
pub fn scan_layer<H: FileHandler>(
    name: &str,
    index: usize,
    blob: Box<dyn Read + Send + '_>,
    expected: &Expected,
    limits: &Limits,
    handler: &H,
) -> LayerScan<H::Output> {
    let tap = RawTap::new();
    let tapped = TappedReader {
        inner: blob,
        tap: tap.clone(),
    };
    let mut buffered = BufReader::with_capacity(256 << 10, tapped);
    let magic = match buffered.fill_buf() {
        Ok(bytes) => bytes.get(..4).map(<[u8]>::to_vec).unwrap_or_default(),
        Err(e) => {
            return LayerScan::failed(LayerError::Open {
                layer: name.to_owned(),
                reason: e.to_string(),
            });
        }
    };
    let decompressed: Box<dyn Read + '_> = if magic.starts_with(&[0x1f, 0x8b]) {
        Box::new(flate2::bufread::MultiGzDecoder::new(buffered))
    } else if magic.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        match zstd::stream::read::Decoder::with_buffer(buffered) {
            Ok(decoder) => Box::new(decoder),
            Err(e) => {
                return LayerScan::failed(LayerError::Corrupt {
                    layer: name.to_owned(),
                    reason: format!("invalid zstd stream: {e}"),
                });
            }
        }
    } else {
        tap.stop_hashing();
        Box::new(buffered)
    };
    let compressed = tap.is_hashing();
    let guarded = BombGuard {
        inner: decompressed,
        tap: tap.clone(),
        produced: 0,
        limits: limits.clone(),
    };
    // Large reads keep the hashing thread's hand-offs few; the tar parser
    // itself reads in 512-byte blocks.
    let hashing = BufReader::with_capacity(1 << 20, HashingReader::new(guarded));
    let mut archive = tar::Archive::new(hashing);
    let mut scan = LayerScan::new();

    if let Err(error) = walk_entries(name, index, &mut archive, limits, handler, &mut scan) {
        scan.error = Some(error);
    }
    let mut rest = archive.into_inner();
    if scan.error.is_none()
        && let Err(e) = io::copy(&mut rest, &mut io::sink())
    {
        scan.error = Some(classify(name, &e));
    }
    let (diff_id, uncompressed) = rest.into_inner().finish();
    scan.uncompressed_bytes = uncompressed;
    if scan.error.is_some() {
        return scan;
    }
    scan.diff_id = Some(diff_id.clone());
    let checks = [
        (
            "blob digest",
            expected.blob.as_ref(),
            match tap.digest() {
                Some(digest) if compressed => digest,
                _ => diff_id.clone(),
            },
        ),
        ("diff id", expected.diff_id.as_ref(), diff_id),
    ];
    for (what, want, actual) in checks {
        if let Some(want) = want
            && *want != actual
        {
            scan.entries.clear();
            scan.outputs.clear();
            scan.whiteouts.clear();
            scan.opaque_dirs.clear();
            scan.error = Some(LayerError::DigestMismatch {
                layer: name.to_owned(),
                what,
                expected: want.clone(),
                actual,
            });
            break;
        }
    }
    scan
}

// TODO: the `tar` crate reads a PAX header or GNU long name whole into
// memory before handing over the entry, so one such header can hold up to
// `max_layer_bytes` in memory; bounding it needs raw entry iteration.
fn walk_entries<R: Read, H: FileHandler>(
    name: &str,
    index: usize,
    archive: &mut tar::Archive<R>,
    limits: &Limits,
    handler: &H,
    scan: &mut LayerScan<H::Output>,
) -> Result<(), LayerError> {
    let entries = archive.entries().map_err(|e| classify(name, &e))?;
    let mut count: u64 = 0;
    // Paths that have outputs in `scan.outputs`, so that a later entry for
    // the same path can drop them: within one archive the last entry wins.
    let mut with_outputs: HashSet<String> = HashSet::new();
    for entry in entries {
        let mut entry = entry.map_err(|e| classify(name, &e))?;
        count += 1;
        if count > limits.max_entries {
            return Err(LayerError::Bomb {
                layer: name.to_owned(),
                reason: format!("more than {} entries", limits.max_entries),
            });
        }
        let raw_path = entry.path_bytes();
        if raw_path.len() > limits.max_path_bytes {
            scan.warnings.push(format!(
                "skipped entry with a {}-byte path (limit {})",
                raw_path.len(),
                limits.max_path_bytes
            ));
            continue;
        }
        let raw_path = String::from_utf8_lossy(&raw_path).into_owned();
        let path = match normalize_entry_path(&raw_path) {
            Ok(path) => path,
            Err(reason) => {
                scan.warnings
                    .push(format!("skipped unsafe entry: {reason}"));
                continue;
            }
        };
        let (parent, base) = match path.rsplit_once('/') {
            Some((parent, base)) => (parent, base),
            None => ("", path.as_str()),
        };
        if let Some(hidden) = base.strip_prefix(".wh.") {
            if hidden == ".wh..opq" {
                scan.opaque_dirs.push(parent.to_owned());
            } else if hidden.is_empty() || hidden == "." || hidden == ".." {
                scan.warnings
                    .push(format!("skipped invalid whiteout {raw_path:?}"));
            } else if parent.is_empty() {
                scan.whiteouts.push(hidden.to_owned());
            } else {
                scan.whiteouts.push(format!("{parent}/{hidden}"));
            }
            continue;
        }
        if path.is_empty() {
            continue;
        }
        if with_outputs.remove(&path) {
            scan.outputs.retain(|(p, _)| *p != path);
        }
        let header = entry.header();
        let mode = header.mode().unwrap_or(0);
        let entry_type = header.entry_type();
        let size = entry.size();
        let kind = match entry_type {
            tar::EntryType::Regular | tar::EntryType::Continuous | tar::EntryType::GNUSparse => {
                NodeKind::File
            }
            tar::EntryType::Directory => NodeKind::Dir,
            tar::EntryType::Symlink | tar::EntryType::Link => {
                let target = entry.link_name_bytes().unwrap_or_default();
                if target.len() > limits.max_path_bytes {
                    scan.warnings.push(format!(
                        "skipped link {path:?} with a {}-byte target",
                        target.len()
                    ));
                    continue;
                }
                let target = String::from_utf8_lossy(&target).into_owned();
                if entry_type == tar::EntryType::Symlink {
                    NodeKind::Symlink(target)
                } else {
                    match normalize_entry_path(&target) {
                        Ok(target) if !target.is_empty() => NodeKind::Hardlink(target),
                        Ok(_) | Err(_) => {
                            scan.warnings.push(format!(
                                "skipped hard link {path:?} whose target {target:?} leaves the root"
                            ));
                            continue;
                        }
                    }
                }
            }
            _ => NodeKind::Other,
        };
        if kind == NodeKind::File {
            let info = EntryInfo {
                path: &path,
                size,
                mode,
                kind: EntryKind::File,
                layer: index,
            };
            if handler.wants(&info) {
                if size > limits.max_file_bytes {
                    scan.warnings.push(format!(
                        "skipped {path:?}: {size} bytes is over the per-file limit of {} bytes",
                        limits.max_file_bytes
                    ));
                } else {
                    // The size comes from the header, which may lie, so
                    // the buffer grows with the data actually read.
                    let mut data = Vec::with_capacity(size.min(1 << 20) as usize);
                    entry
                        .by_ref()
                        .take(size)
                        .read_to_end(&mut data)
                        .map_err(|e| classify(name, &e))?;
                    if let Some(output) = handler.handle(&info, &data) {
                        scan.outputs.push((path.clone(), output));
                        with_outputs.insert(path.clone());
                    }
                }
            }
        }
        scan.entries.push((
            path,
            Node {
                kind,
                layer: index,
                size,
                mode,
            },
        ));
    }
    Ok(())
}
