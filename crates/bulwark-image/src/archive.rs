//! Opening image archives and layouts into an [`Image`].

use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

use crate::digest::Digest;
use crate::error::ImageError;
use crate::layer::Expected;
use crate::limits::Limits;
use crate::path::{join_link_target, normalize_entry_path};
use crate::target::{Platform, Target};

/// The source of an image's blobs.
pub(crate) trait BlobSource: Send + Sync {
    /// Opens the blob stored under `key` (a path inside an archive or
    /// layout, or a digest for a registry).
    fn open(&self, key: &str) -> Result<Box<dyn Read + Send + '_>, ImageError>;
}

/// One layer of an image.
#[derive(Debug, Clone)]
pub struct LayerRef {
    /// Location of the blob in its source.
    pub key: String,
    /// Digest of the stored blob, checked while streaming when known.
    pub digest: Option<Digest>,
    /// Digest of the uncompressed tar, from the image config.
    pub diff_id: Option<Digest>,
    pub media_type: Option<String>,
    /// Stored size in bytes, when the manifest gives it.
    pub size: Option<u64>,
}

impl LayerRef {
    /// Returns the name used for this layer in messages: its diff id (or
    /// blob digest) when known, and where its blob is stored.
    pub fn display_name(&self) -> String {
        match (&self.diff_id, &self.digest) {
            (Some(diff_id), _) => format!("{diff_id} ({})", self.key),
            (None, Some(digest)) => format!("{digest} ({})", self.key),
            (None, None) => self.key.clone(),
        }
    }

    pub(crate) fn expected(&self) -> Expected {
        Expected {
            blob: self.digest.clone(),
            diff_id: self.diff_id.clone(),
        }
    }
}

/// The fields of an image config that reports use.
#[derive(Debug, Clone, Default)]
pub struct ImageConfigInfo {
    pub os: Option<String>,
    pub architecture: Option<String>,
    pub variant: Option<String>,
    pub created: Option<String>,
    pub diff_ids: Vec<Digest>,
}

/// An opened image: metadata plus layers that can be streamed.
pub struct Image {
    /// The image name as the user gave it.
    pub name: String,
    /// Tags recorded in the archive, such as `corpus/bins:latest`.
    pub repo_tags: Vec<String>,
    /// Digest of the manifest, when the source has one.
    pub manifest_digest: Option<Digest>,
    /// Digest of the config blob.
    pub config_digest: Option<Digest>,
    /// The raw image config document, `Value::Null` for root filesystems.
    pub config: Value,
    pub info: ImageConfigInfo,
    /// Layers, base first.
    pub layers: Vec<LayerRef>,
    blobs: Box<dyn BlobSource>,
    // Keeps a decompressed copy of a compressed archive alive while the
    // image is in use.
    _spool: Option<tempfile::NamedTempFile>,
}

impl std::fmt::Debug for Image {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Image")
            .field("name", &self.name)
            .field("manifest_digest", &self.manifest_digest)
            .field("layers", &self.layers)
            .finish_non_exhaustive()
    }
}

impl Image {
    /// Opens the blob of one layer as a stream.
    pub fn open_layer(&self, layer: &LayerRef) -> Result<Box<dyn Read + Send + '_>, ImageError> {
        self.blobs.open(&layer.key)
    }

    /// Assembles an image from parts, for sources outside this module.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn from_parts(
        name: String,
        repo_tags: Vec<String>,
        manifest_digest: Option<Digest>,
        config_digest: Option<Digest>,
        config: Value,
        layers: Vec<LayerRef>,
        blobs: Box<dyn BlobSource>,
    ) -> Self {
        let info = config_info(&config);
        Self {
            name,
            repo_tags,
            manifest_digest,
            config_digest,
            config,
            info,
            layers,
            blobs,
            _spool: None,
        }
    }
}

fn config_info(config: &Value) -> ImageConfigInfo {
    let text = |key: &str| config.get(key).and_then(Value::as_str).map(str::to_owned);
    let diff_ids = config
        .pointer("/rootfs/diff_ids")
        .and_then(Value::as_array)
        .map(|ids| {
            ids.iter()
                .filter_map(Value::as_str)
                .filter_map(|id| Digest::parse(id).ok())
                .collect()
        })
        .unwrap_or_default();
    ImageConfigInfo {
        os: text("os"),
        architecture: text("architecture"),
        variant: text("variant"),
        created: text("created"),
        diff_ids,
    }
}

/// Opens any file-based target. Registry references are opened by the
/// registry client.
pub fn open_image(
    target: &Target,
    platform: Option<&Platform>,
    limits: &Limits,
) -> Result<Image, ImageError> {
    let name = target.to_string();
    match target {
        Target::DockerArchive { path, tag } => {
            let archive = TarArchive::open(path, limits)?;
            open_docker_archive(name, archive, tag.as_deref(), limits)
        }
        Target::OciArchive { path, tag } => {
            let archive = TarArchive::open(path, limits)?;
            open_oci(
                name,
                Box::new(archive),
                path,
                tag.as_deref(),
                platform,
                limits,
            )
        }
        Target::OciDir { path, tag } => {
            let layout = DirBlobs { root: path.clone() };
            open_oci(
                name,
                Box::new(layout),
                path,
                tag.as_deref(),
                platform,
                limits,
            )
        }
        Target::File(path) => open_detected_file(name, path, platform, limits),
        Target::Dir(path) => Err(ImageError::InvalidTarget {
            target: path.display().to_string(),
            reason: "a directory is scanned in place, not opened as an image".into(),
        }),
        Target::Registry(reference) => Err(ImageError::Registry {
            reference: reference.clone(),
            reason: "use the registry client to pull references".into(),
        }),
    }
}

/// The kind of a file, decided from its first entries.
enum Detected {
    DockerArchive,
    OciArchive,
    RootFs,
}

fn open_detected_file(
    name: String,
    path: &Path,
    platform: Option<&Platform>,
    limits: &Limits,
) -> Result<Image, ImageError> {
    match detect_tar_kind(path, limits)? {
        Detected::DockerArchive => {
            let archive = TarArchive::open(path, limits)?;
            open_docker_archive(name, archive, None, limits)
        }
        Detected::OciArchive => {
            let archive = TarArchive::open(path, limits)?;
            open_oci(name, Box::new(archive), path, None, platform, limits)
        }
        Detected::RootFs => {
            // A root filesystem tarball is an image with one layer and no
            // config; the file itself is the layer blob.
            let blobs = SingleFile {
                path: path.to_owned(),
            };
            let layer = LayerRef {
                key: path.display().to_string(),
                digest: None,
                diff_id: None,
                media_type: None,
                size: std::fs::metadata(path).ok().map(|m| m.len()),
            };
            Ok(Image::from_parts(
                name,
                Vec::new(),
                None,
                None,
                Value::Null,
                vec![layer],
                Box::new(blobs),
            ))
        }
    }
}

/// Opens `path`, transparently decompressing gzip or zstd. Decompressed
/// data stops with an [`ExpansionLimit`] error past the limits of
/// [`expansion_guard`].
fn open_maybe_compressed(path: &Path, limits: &Limits) -> Result<Box<dyn Read>, ImageError> {
    let file = File::open(path).map_err(|source| ImageError::Io {
        path: path.to_owned(),
        source,
    })?;
    let compressed_bytes = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut reader = BufReader::new(file);
    let magic = reader
        .fill_buf()
        .map_err(|source| ImageError::Io {
            path: path.to_owned(),
            source,
        })?
        .get(..4)
        .map(<[u8]>::to_vec)
        .unwrap_or_default();
    if magic.starts_with(&[0x1f, 0x8b]) {
        let decoder = flate2::bufread::MultiGzDecoder::new(reader);
        return Ok(Box::new(expansion_guard(decoder, compressed_bytes, limits)));
    }
    if magic.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        let decoder = zstd::stream::read::Decoder::with_buffer(reader).map_err(|e| {
            ImageError::UnknownFormat {
                path: path.to_owned(),
                reason: format!("invalid zstd stream: {e}"),
            }
        })?;
        return Ok(Box::new(expansion_guard(decoder, compressed_bytes, limits)));
    }
    Ok(Box::new(reader))
}

/// Bounds the decompression of a whole archive the way layers are bounded:
/// at most four layers' worth of bytes, and at most `max_ratio` times the
/// compressed size once past `ratio_grace_bytes`. Both bounds are known up
/// front because the compressed size is the file's size.
fn expansion_guard<R: Read>(inner: R, compressed_bytes: u64, limits: &Limits) -> ExpansionGuard<R> {
    let by_size = limits.max_layer_bytes.saturating_mul(4);
    let by_ratio = compressed_bytes
        .saturating_mul(limits.max_ratio)
        .max(limits.ratio_grace_bytes);
    let (limit, reason) = if by_ratio < by_size {
        (
            by_ratio,
            format!(
                "compression ratio exceeds {}:1 ({compressed_bytes} compressed bytes)",
                limits.max_ratio
            ),
        )
    } else {
        (
            by_size,
            format!("decompressed size exceeds {by_size} bytes"),
        )
    };
    ExpansionGuard {
        inner,
        produced: 0,
        limit,
        reason,
    }
}

struct ExpansionGuard<R> {
    inner: R,
    produced: u64,
    limit: u64,
    reason: String,
}

impl<R: Read> Read for ExpansionGuard<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.produced += n as u64;
        if self.produced > self.limit {
            return Err(io::Error::other(ExpansionLimit(self.reason.clone())));
        }
        Ok(n)
    }
}

/// The error an [`ExpansionGuard`] stops with.
#[derive(Debug)]
struct ExpansionLimit(String);

impl std::fmt::Display for ExpansionLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ExpansionLimit {}

/// Finds an [`ExpansionLimit`] in an error chain. The `tar` crate wraps
/// reader errors, and `io::Error::source` skips the wrapped error itself,
/// so each `io::Error` is opened with `get_ref`.
fn expansion_reason(error: &(dyn std::error::Error + 'static)) -> Option<String> {
    if let Some(limit) = error.downcast_ref::<ExpansionLimit>() {
        return Some(limit.0.clone());
    }
    if let Some(io_error) = error.downcast_ref::<io::Error>() {
        let inner: &(dyn std::error::Error + 'static) = io_error.get_ref()?;
        return expansion_reason(inner);
    }
    error.source().and_then(expansion_reason)
}

/// Turns an error from reading an archive into an [`ImageError`]: a bomb
/// when the expansion limit stopped it, otherwise `what: error`.
fn archive_error(path: &Path, error: &io::Error, what: &str) -> ImageError {
    match expansion_reason(error) {
        Some(reason) => ImageError::Bomb {
            path: path.to_owned(),
            reason,
        },
        None => ImageError::UnknownFormat {
            path: path.to_owned(),
            reason: format!("{what}: {error}"),
        },
    }
}

/// Looks at the first entries of a tar file to tell image archives from
/// root filesystem tarballs.
fn detect_tar_kind(path: &Path, limits: &Limits) -> Result<Detected, ImageError> {
    // Check the first header's `ustar` magic (offset 257) so that text or
    // binary files get a plain message instead of a tar parser error that
    // quotes their bytes.
    let mut head = [0u8; 512];
    let mut reader = open_maybe_compressed(path, limits)?;
    let read = read_up_to(&mut reader, &mut head).map_err(|e| ImageError::Io {
        path: path.to_owned(),
        source: e,
    })?;
    let magic = head.get(257..262).unwrap_or_default();
    if read < head.len() || (magic != b"ustar" && head.iter().any(|b| *b != 0)) {
        return Err(ImageError::UnknownFormat {
            path: path.to_owned(),
            reason: "not a tar archive (docker-archive, oci-archive or root filesystem), \
                     optionally gzip or zstd compressed"
                .into(),
        });
    }
    drop(reader);
    let reader = open_maybe_compressed(path, limits)?;
    let mut archive = tar::Archive::new(reader);
    let not_tar = |e: io::Error| archive_error(path, &e, "not a tar archive");
    let entries = archive.entries().map_err(not_tar)?;
    let mut has_oci_layout = false;
    let mut seen = 0;
    for entry in entries.take(256) {
        let entry = entry.map_err(not_tar)?;
        seen += 1;
        let raw = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let Ok(entry_path) = normalize_entry_path(&raw) else {
            continue;
        };
        match entry_path.as_str() {
            "manifest.json" | "repositories" => return Ok(Detected::DockerArchive),
            "oci-layout" | "index.json" => has_oci_layout = true,
            p if p.ends_with("/layer.tar") => return Ok(Detected::DockerArchive),
            p if is_hex_name(p, ".json") => return Ok(Detected::DockerArchive),
            _ => {}
        }
    }
    if seen == 0 {
        return Err(ImageError::UnknownFormat {
            path: path.to_owned(),
            reason: "the archive is empty".into(),
        });
    }
    if has_oci_layout {
        // Docker 25 archives carry both index.json and manifest.json; the
        // latter may come after the first 256 entries only in huge images,
        // so look for it across the whole archive before deciding.
        let reader = open_maybe_compressed(path, limits)?;
        let mut archive = tar::Archive::new(reader);
        for entry in archive.entries().map_err(not_tar)? {
            let entry = entry.map_err(not_tar)?;
            let raw = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            if normalize_entry_path(&raw).is_ok_and(|p| p == "manifest.json") {
                return Ok(Detected::DockerArchive);
            }
        }
        return Ok(Detected::OciArchive);
    }
    Ok(Detected::RootFs)
}

/// Reads until `buf` is full or the stream ends; returns the bytes read.
fn read_up_to(reader: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

fn is_hex_name(path: &str, suffix: &str) -> bool {
    path.strip_suffix(suffix)
        .is_some_and(|stem| stem.len() == 64 && stem.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Blobs stored as files under a directory, such as an OCI layout.
struct DirBlobs {
    root: PathBuf,
}

impl BlobSource for DirBlobs {
    fn open(&self, key: &str) -> Result<Box<dyn Read + Send + '_>, ImageError> {
        let relative = normalize_entry_path(key).map_err(|reason| ImageError::InvalidMetadata {
            path: self.root.clone(),
            what: "blob path",
            reason,
        })?;
        let path = self.root.join(&relative);
        // Reject blobs that are symlinks: a hostile layout could point one
        // at any file on the machine.
        let meta = std::fs::symlink_metadata(&path).map_err(|_| ImageError::MissingBlob {
            path: self.root.clone(),
            what: "blob",
            name: relative.clone(),
        })?;
        if !meta.file_type().is_file() {
            return Err(ImageError::InvalidMetadata {
                path: self.root.clone(),
                what: "blob",
                reason: format!("{relative} is not a regular file"),
            });
        }
        let file = File::open(&path).map_err(|source| ImageError::Io { path, source })?;
        Ok(Box::new(file))
    }
}

/// A single file used as one blob, for root filesystem tarballs.
struct SingleFile {
    path: PathBuf,
}

impl BlobSource for SingleFile {
    fn open(&self, _key: &str) -> Result<Box<dyn Read + Send + '_>, ImageError> {
        let file = File::open(&self.path).map_err(|source| ImageError::Io {
            path: self.path.clone(),
            source,
        })?;
        Ok(Box::new(file))
    }
}

/// An uncompressed tar file indexed for random access to its members.
struct TarArchive {
    path: PathBuf,
    /// The file read for member data: the archive itself, or a
    /// decompressed copy of it.
    data_path: PathBuf,
    members: BTreeMap<String, (u64, u64)>,
    spool: Option<tempfile::NamedTempFile>,
}

impl TarArchive {
    fn open(path: &Path, limits: &Limits) -> Result<Self, ImageError> {
        let io_error = |source| ImageError::Io {
            path: path.to_owned(),
            source,
        };
        let mut reader = open_maybe_compressed(path, limits)?;
        let mut spool = None;
        let data_path = {
            let mut file = File::open(path).map_err(io_error)?;
            let mut magic = [0u8; 4];
            let n = file.read(&mut magic).map_err(io_error)?;
            let compressed = magic[..n].starts_with(&[0x1f, 0x8b])
                || magic[..n].starts_with(&[0x28, 0xb5, 0x2f, 0xfd]);
            if compressed {
                // Members of a compressed archive need random access, so the
                // archive is decompressed once into the temporary directory.
                let mut temp = tempfile::NamedTempFile::new().map_err(io_error)?;
                io::copy(&mut reader, temp.as_file_mut())
                    .map_err(|e| archive_error(path, &e, "failed to decompress"))?;
                let temp_path = temp.path().to_owned();
                spool = Some(temp);
                temp_path
            } else {
                path.to_owned()
            }
        };
        let file = File::open(&data_path).map_err(io_error)?;
        let mut archive = tar::Archive::new(file);
        // Seeking past member data instead of reading it halves the I/O
        // of indexing an uncompressed archive of large layers.
        let entries = archive
            .entries_with_seek()
            .map_err(|e| ImageError::UnknownFormat {
                path: path.to_owned(),
                reason: format!("not a tar archive: {e}"),
            })?;
        let mut members = BTreeMap::new();
        let mut links = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| ImageError::UnknownFormat {
                path: path.to_owned(),
                reason: format!("corrupt tar archive: {e}"),
            })?;
            let raw = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            let Ok(name) = normalize_entry_path(&raw) else {
                tracing::warn!(archive = %path.display(), entry = %raw, "skipped archive member with '..' in its path");
                continue;
            };
            match entry.header().entry_type() {
                tar::EntryType::Regular | tar::EntryType::Continuous => {
                    members.insert(name, (entry.raw_file_position(), entry.size()));
                }
                tar::EntryType::Symlink | tar::EntryType::Link => {
                    let target = entry
                        .link_name_bytes()
                        .map(|t| String::from_utf8_lossy(&t).into_owned())
                        .unwrap_or_default();
                    let target = if entry.header().entry_type() == tar::EntryType::Symlink {
                        join_link_target(&name, &target)
                    } else {
                        normalize_entry_path(&target).unwrap_or_default()
                    };
                    links.push((name, target));
                }
                _ => {}
            }
        }
        // Links between members (some `docker save` versions link
        // identical layers) resolve to the member they point at.
        for _ in 0..8 {
            let mut changed = false;
            for (name, target) in &links {
                if !members.contains_key(name)
                    && let Some(location) = members.get(target).copied()
                {
                    members.insert(name.clone(), location);
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        Ok(Self {
            path: path.to_owned(),
            data_path,
            members,
            spool,
        })
    }

    fn read_small(
        &self,
        key: &str,
        what: &'static str,
        limits: &Limits,
    ) -> Result<Vec<u8>, ImageError> {
        read_limited(
            self.open(key)?,
            &self.path,
            what,
            key,
            limits.max_metadata_bytes,
        )
    }
}

impl BlobSource for TarArchive {
    fn open(&self, key: &str) -> Result<Box<dyn Read + Send + '_>, ImageError> {
        let name = normalize_entry_path(key).unwrap_or_else(|_| key.to_owned());
        let Some(&(offset, size)) = self.members.get(&name) else {
            return Err(ImageError::MissingBlob {
                path: self.path.clone(),
                what: "member",
                name,
            });
        };
        let mut file = File::open(&self.data_path).map_err(|source| ImageError::Io {
            path: self.path.clone(),
            source,
        })?;
        file.seek(SeekFrom::Start(offset))
            .map_err(|source| ImageError::Io {
                path: self.path.clone(),
                source,
            })?;
        Ok(Box::new(file.take(size)))
    }
}

fn read_limited(
    reader: Box<dyn Read + Send + '_>,
    path: &Path,
    what: &'static str,
    key: &str,
    limit: u64,
) -> Result<Vec<u8>, ImageError> {
    let mut data = Vec::new();
    reader
        .take(limit + 1)
        .read_to_end(&mut data)
        .map_err(|source| ImageError::Io {
            path: path.to_owned(),
            source,
        })?;
    if data.len() as u64 > limit {
        return Err(ImageError::TooLarge {
            path: path.to_owned(),
            what: format!("{what} {key}"),
            size: data.len() as u64,
            limit,
        });
    }
    Ok(data)
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DockerManifestEntry {
    config: String,
    #[serde(default)]
    repo_tags: Option<Vec<String>>,
    layers: Vec<String>,
}

fn open_docker_archive(
    name: String,
    mut archive: TarArchive,
    tag: Option<&str>,
    limits: &Limits,
) -> Result<Image, ImageError> {
    let path = archive.path.clone();
    let invalid = |what: &'static str, reason: String| ImageError::InvalidMetadata {
        path: path.clone(),
        what,
        reason,
    };
    let manifest_bytes = archive.read_small("manifest.json", "manifest", limits)?;
    let manifest: Option<Vec<DockerManifestEntry>> = serde_json::from_slice(&manifest_bytes)
        .map_err(|e| invalid("manifest.json", e.to_string()))?;
    let entries = manifest.unwrap_or_default();
    let entry = match tag {
        Some(tag) => {
            let wanted = |t: &String| t == tag || t.rsplit_once(':').is_some_and(|(_, t)| t == tag);
            entries
                .iter()
                .find(|e| e.repo_tags.iter().flatten().any(wanted))
                .ok_or_else(|| ImageError::TagNotFound {
                    path: path.clone(),
                    tag: tag.to_owned(),
                    available: entries
                        .iter()
                        .flat_map(|e| e.repo_tags.iter().flatten())
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", "),
                })?
        }
        None => {
            if entries.len() > 1 {
                tracing::warn!(archive = %path.display(), images = entries.len(), "archive contains several images; reading the first (name one as docker-archive:PATH:TAG)");
            }
            entries
                .first()
                .ok_or_else(|| invalid("manifest.json", "the manifest lists no images".into()))?
        }
    };
    let config_bytes = archive.read_small(&entry.config, "config", limits)?;
    let config_digest = Digest::of(&config_bytes);
    if let Some(expected) = digest_from_name(&entry.config)
        && expected != config_digest
    {
        return Err(ImageError::DigestMismatch {
            path,
            what: format!("config {}", entry.config),
            expected,
            actual: config_digest,
        });
    }
    let config: Value = serde_json::from_slice(&config_bytes)
        .map_err(|e| invalid("image config", e.to_string()))?;
    let info = config_info(&config);
    if info.diff_ids.len() != entry.layers.len() {
        return Err(invalid(
            "image config",
            format!(
                "{} layers in manifest.json but {} diff ids in the config",
                entry.layers.len(),
                info.diff_ids.len()
            ),
        ));
    }
    let mut layers = Vec::new();
    for (key, diff_id) in entry.layers.iter().zip(&info.diff_ids) {
        let normalized =
            normalize_entry_path(key).map_err(|reason| invalid("layer path", reason))?;
        if !archive.members.contains_key(&normalized) {
            return Err(ImageError::MissingBlob {
                path,
                what: "layer",
                name: normalized,
            });
        }
        layers.push(LayerRef {
            digest: digest_from_name(&normalized),
            diff_id: Some(diff_id.clone()),
            media_type: None,
            size: archive.members.get(&normalized).map(|m| m.1),
            key: normalized,
        });
    }
    let repo_tags = entry.repo_tags.clone().unwrap_or_default();
    let spool = archive.spool.take();
    let mut image = Image::from_parts(
        name,
        repo_tags,
        None,
        Some(config_digest),
        config,
        layers,
        Box::new(archive),
    );
    image._spool = spool;
    Ok(image)
}

/// Reads the digest out of a blob name such as `blobs/sha256/<hex>` or
/// `<hex>.json`, where the format makes the name the content's digest.
fn digest_from_name(name: &str) -> Option<Digest> {
    if let Some(hex) = name.strip_prefix("blobs/sha256/") {
        return Digest::parse(&format!("sha256:{hex}")).ok();
    }
    let stem = name
        .strip_suffix(".json")
        .or_else(|| name.strip_suffix(".tar"))?;
    if stem.contains('/') {
        return None;
    }
    Digest::parse(&format!("sha256:{stem}")).ok()
}

#[derive(Deserialize)]
struct Descriptor {
    #[serde(rename = "mediaType", default)]
    media_type: Option<String>,
    digest: String,
    #[serde(default)]
    size: Option<u64>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
    #[serde(default)]
    platform: Option<DescriptorPlatform>,
}

#[derive(Deserialize)]
struct DescriptorPlatform {
    os: String,
    architecture: String,
    #[serde(default)]
    variant: Option<String>,
}

#[derive(Deserialize)]
struct IndexDocument {
    #[serde(default)]
    manifests: Vec<Descriptor>,
}

#[derive(Deserialize)]
struct ManifestDocument {
    config: Descriptor,
    #[serde(default)]
    layers: Vec<Descriptor>,
}

const REF_NAME: &str = "org.opencontainers.image.ref.name";

/// Levels of nested indexes followed below index.json.
const MAX_INDEX_DEPTH: usize = 4;

fn is_index(media_type: Option<&str>) -> bool {
    matches!(
        media_type,
        Some(
            "application/vnd.oci.image.index.v1+json"
                | "application/vnd.docker.distribution.manifest.list.v2+json"
        )
    )
}

/// Reads a blob by descriptor from an OCI layout, checking its digest.
fn read_blob(
    blobs: &dyn BlobSource,
    path: &Path,
    digest: &Digest,
    what: &'static str,
    limits: &Limits,
) -> Result<Vec<u8>, ImageError> {
    let key = format!("blobs/sha256/{}", digest.hex());
    let data = read_limited(
        blobs.open(&key)?,
        path,
        what,
        &key,
        limits.max_metadata_bytes,
    )?;
    let actual = Digest::of(&data);
    if actual != *digest {
        return Err(ImageError::DigestMismatch {
            path: path.to_owned(),
            what: format!("{what} {key}"),
            expected: digest.clone(),
            actual,
        });
    }
    Ok(data)
}

fn open_oci(
    name: String,
    blobs: Box<dyn BlobSource>,
    path: &Path,
    tag: Option<&str>,
    platform: Option<&Platform>,
    limits: &Limits,
) -> Result<Image, ImageError> {
    let invalid = |what: &'static str, reason: String| ImageError::InvalidMetadata {
        path: path.to_owned(),
        what,
        reason,
    };
    let index_bytes = read_limited(
        blobs.open("index.json")?,
        path,
        "index",
        "index.json",
        limits.max_metadata_bytes,
    )?;
    let index: IndexDocument =
        serde_json::from_slice(&index_bytes).map_err(|e| invalid("index.json", e.to_string()))?;
    let mut candidates: Vec<Descriptor> = index.manifests;
    if let Some(tag) = tag {
        let available: Vec<String> = candidates
            .iter()
            .filter_map(|d| d.annotations.get(REF_NAME).cloned())
            .collect();
        candidates.retain(|d| {
            d.annotations
                .get(REF_NAME)
                .is_some_and(|r| r == tag || r.rsplit_once(':').is_some_and(|(_, t)| t == tag))
        });
        if candidates.is_empty() {
            return Err(ImageError::TagNotFound {
                path: path.to_owned(),
                tag: tag.to_owned(),
                available: available.join(", "),
            });
        }
    }
    let wanted_platform = platform.cloned().unwrap_or_else(Platform::host);
    // Nested indexes (multi-platform images) are followed a few levels
    // deep. Each digest is kept once: an index that lists another one many
    // times would otherwise multiply the descriptors at every level.
    let mut seen_digests = HashSet::new();
    candidates.retain(|d| seen_digests.insert(d.digest.clone()));
    for _ in 0..MAX_INDEX_DEPTH {
        if !candidates.iter().any(|d| is_index(d.media_type.as_deref())) {
            break;
        }
        let mut expanded = Vec::new();
        for descriptor in candidates {
            if !is_index(descriptor.media_type.as_deref()) {
                expanded.push(descriptor);
                continue;
            }
            let digest = Digest::parse(&descriptor.digest)
                .map_err(|reason| invalid("index.json", reason))?;
            let bytes = read_blob(blobs.as_ref(), path, &digest, "index", limits)?;
            let nested_index: IndexDocument = serde_json::from_slice(&bytes)
                .map_err(|e| invalid("nested index", e.to_string()))?;
            expanded.extend(
                nested_index
                    .manifests
                    .into_iter()
                    .filter(|d| seen_digests.insert(d.digest.clone())),
            );
        }
        candidates = expanded;
    }
    if candidates.iter().any(|d| is_index(d.media_type.as_deref())) {
        return Err(invalid(
            "index.json",
            format!("nested indexes go deeper than {MAX_INDEX_DEPTH} levels"),
        ));
    }
    if candidates.len() > 1 && candidates.iter().any(|d| d.platform.is_some()) {
        let available: Vec<String> = candidates
            .iter()
            .filter_map(|d| d.platform.as_ref())
            .map(|p| format!("{}/{}", p.os, p.architecture))
            .collect();
        candidates.retain(|d| {
            d.platform.as_ref().is_some_and(|p| {
                wanted_platform.matches(&p.os, &p.architecture, p.variant.as_deref())
            })
        });
        if candidates.is_empty() {
            return Err(ImageError::PlatformNotFound {
                path: path.to_owned(),
                platform: wanted_platform.to_string(),
                available: available.join(", "),
            });
        }
    }
    if candidates.len() > 1 {
        tracing::warn!(layout = %path.display(), manifests = candidates.len(), "layout contains several images; reading the first (name one as oci:DIR:TAG)");
    }
    let descriptor = candidates
        .into_iter()
        .next()
        .ok_or_else(|| invalid("index.json", "the index lists no manifests".into()))?;
    let repo_tags = descriptor
        .annotations
        .get(REF_NAME)
        .cloned()
        .into_iter()
        .collect();
    let manifest_digest =
        Digest::parse(&descriptor.digest).map_err(|reason| invalid("index.json", reason))?;
    let manifest_bytes = read_blob(blobs.as_ref(), path, &manifest_digest, "manifest", limits)?;
    let manifest: ManifestDocument =
        serde_json::from_slice(&manifest_bytes).map_err(|e| invalid("manifest", e.to_string()))?;
    let config_digest =
        Digest::parse(&manifest.config.digest).map_err(|reason| invalid("manifest", reason))?;
    let config_bytes = read_blob(blobs.as_ref(), path, &config_digest, "config", limits)?;
    let config: Value = serde_json::from_slice(&config_bytes)
        .map_err(|e| invalid("image config", e.to_string()))?;
    let info = config_info(&config);
    if info.diff_ids.len() != manifest.layers.len() {
        return Err(invalid(
            "image config",
            format!(
                "{} layers in the manifest but {} diff ids in the config",
                manifest.layers.len(),
                info.diff_ids.len()
            ),
        ));
    }
    let mut layers = Vec::new();
    for (descriptor, diff_id) in manifest.layers.into_iter().zip(&info.diff_ids) {
        let digest =
            Digest::parse(&descriptor.digest).map_err(|reason| invalid("manifest", reason))?;
        layers.push(LayerRef {
            key: format!("blobs/sha256/{}", digest.hex()),
            digest: Some(digest),
            diff_id: Some(diff_id.clone()),
            media_type: descriptor.media_type,
            size: descriptor.size,
        });
    }
    Ok(Image::from_parts(
        name,
        repo_tags,
        Some(manifest_digest),
        Some(config_digest),
        config,
        layers,
        blobs,
    ))
}
