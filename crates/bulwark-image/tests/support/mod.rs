//! Helpers shared by the image reader's format and hostile-input tests:
//! corpus access, a handler that captures every file, an independent
//! layer reader used as the oracle, and writers for tar archives, OCI
//! layouts and docker archives derived from real images.
#![allow(dead_code, reason = "each test binary uses a different subset")]

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use bulwark_image::{
    EntryInfo, FileHandler, FinalView, Image, ImageError, Limits, NodeKind, Target, open_image,
    scan_layers,
};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use tempfile::TempDir;

/// Returns the shared corpus directory, next to the repository.
pub fn corpus() -> PathBuf {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    assert!(
        corpus.is_dir(),
        "corpus not found at {}: tests read real inputs from ../shared/corpus next to the repository",
        corpus.display()
    );
    corpus
}

/// Returns the repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Returns the committed Alpine 3.19 OCI layout (tag `3.19.4`).
pub fn alpine_layout() -> PathBuf {
    repo_root().join("testdata/images/alpine-3.19")
}

/// Returns the shipped `bins` OCI layout (tag `bins`).
pub fn bins_layout() -> PathBuf {
    corpus().join("images/oci")
}

/// Unpacks the members of a corpus `.tar.gz` whose path starts with one of
/// `prefixes` into `dest`, keeping their paths. Panics when nothing matches.
pub fn unpack(archive: &str, prefixes: &[&str], dest: &Path) {
    let path = corpus().join(archive);
    let file = File::open(&path).unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let mut found = 0;
    for entry in tar.entries().expect("read corpus archive") {
        let mut entry = entry.expect("read corpus archive entry");
        let name = entry
            .path()
            .expect("entry path")
            .to_string_lossy()
            .into_owned();
        if prefixes.iter().any(|p| name.starts_with(p)) {
            assert!(entry.unpack_in(dest).expect("unpack corpus member"));
            found += 1;
        }
    }
    assert!(found > 0, "no member of {archive} starts with {prefixes:?}");
}

/// Unpacks corpus members into a new temporary directory.
pub fn unpack_temp(archive: &str, prefixes: &[&str]) -> TempDir {
    let dir = tempfile::tempdir().expect("create temp dir");
    unpack(archive, prefixes, dir.path());
    dir
}

/// go-containerregistry test data unpacked into a temporary directory;
/// `path` is relative to the repository's `pkg/v1` or `pkg/crane`.
pub fn ggcr(prefixes: &[&str]) -> TempDir {
    let full: Vec<String> = prefixes
        .iter()
        .map(|p| format!("go-containerregistry/pkg/{p}"))
        .collect();
    let full: Vec<&str> = full.iter().map(String::as_str).collect();
    unpack_temp("scan/go-containerregistry/testdata.tar.gz", &full)
}

/// A handler that wants every regular file and keeps its content.
pub struct Capture;

impl FileHandler for Capture {
    type Output = Vec<u8>;

    fn wants(&self, _info: &EntryInfo<'_>) -> bool {
        true
    }

    fn handle(&self, _info: &EntryInfo<'_>, data: &[u8]) -> Option<Vec<u8>> {
        Some(data.to_vec())
    }
}

/// Parses and opens a target with the host platform.
pub fn open(target: &str, limits: &Limits) -> Result<Image, ImageError> {
    let target = Target::parse(target).expect("parse target");
    open_image(&target, None, limits)
}

/// Opens a target that must open, and scans every layer.
pub fn scan(target: &str, limits: &Limits) -> FinalView<Vec<u8>> {
    let image = open(target, limits).unwrap_or_else(|e| panic!("open {target}: {e}"));
    scan_layers(&image, limits, &Capture)
}

/// The regular files of the final filesystem with their latest content.
/// Panics when a file in the tree has no captured content, since
/// [`Capture`] wants every file.
pub fn final_files(view: &FinalView<Vec<u8>>) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    for (path, node) in &view.tree {
        if node.kind != NodeKind::File {
            continue;
        }
        let history = view
            .outputs
            .get(path)
            .unwrap_or_else(|| panic!("file {path} has no captured content"));
        let (_, content) = history.last().expect("non-empty history");
        files.insert(path.clone(), content.clone());
    }
    files
}

/// Symlinks of the final filesystem with their targets.
pub fn final_symlinks(view: &FinalView<Vec<u8>>) -> BTreeMap<String, String> {
    view.tree
        .iter()
        .filter_map(|(path, node)| match &node.kind {
            NodeKind::Symlink(target) => Some((path.clone(), target.clone())),
            _ => None,
        })
        .collect()
}

/// Warnings and layer errors as one text, for assertion messages.
pub fn problems<O>(view: &FinalView<O>) -> String {
    let mut lines: Vec<String> = view
        .layer_errors
        .iter()
        .map(|(i, e)| format!("layer {i} error: {e}"))
        .collect();
    lines.extend(
        view.warnings
            .iter()
            .map(|(i, w)| format!("layer {i} warning: {w}")),
    );
    lines.join("\n")
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

pub fn digest_of(data: &[u8]) -> String {
    format!("sha256:{}", sha256_hex(data))
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(data).expect("gzip");
    encoder.finish().expect("gzip")
}

pub fn zstd(data: &[u8]) -> Vec<u8> {
    zstd::encode_all(data, 3).expect("zstd")
}

/// Decompresses a blob by its magic bytes, as a plain reader of the
/// formats would; plain data is returned as it is.
pub fn decompress(blob: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    if blob.starts_with(&[0x1f, 0x8b]) {
        flate2::read::MultiGzDecoder::new(blob)
            .read_to_end(&mut out)
            .expect("gunzip");
    } else if blob.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        out = zstd::decode_all(blob).expect("unzstd");
    } else {
        out = blob.to_vec();
    }
    out
}

/// One entry of a layer as the `tar` crate reads it, without any of the
/// reader's normalization or merging.
#[derive(Debug, Clone)]
pub struct RawEntry {
    pub path: String,
    pub kind: tar::EntryType,
    pub link: Option<String>,
    pub mode: u32,
    pub data: Vec<u8>,
}

/// Lists the entries of a layer blob (gzip, zstd or plain tar).
pub fn layer_entries(blob: &[u8]) -> Vec<RawEntry> {
    let tar_bytes = decompress(blob);
    let mut archive = tar::Archive::new(tar_bytes.as_slice());
    let mut entries = Vec::new();
    for entry in archive.entries().expect("read layer") {
        let mut entry = entry.expect("read layer entry");
        let path = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let kind = entry.header().entry_type();
        let link = entry
            .link_name_bytes()
            .map(|l| String::from_utf8_lossy(&l).into_owned());
        let mode = entry.header().mode().unwrap_or(0);
        let mut data = Vec::new();
        entry.read_to_end(&mut data).expect("read layer entry data");
        entries.push(RawEntry {
            path,
            kind,
            link,
            mode,
            data,
        });
    }
    entries
}

/// Strips `./` and `/` prefixes and a trailing slash, the way every image
/// tool treats layer paths.
pub fn clean(path: &str) -> String {
    path.split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect::<Vec<_>>()
        .join("/")
}

/// The regular files that stacking `layers` gives, computed straight from
/// the tar entries. It handles layers without whiteouts only, and asserts
/// that there are none.
pub fn stacked_files(layers: &[Vec<u8>]) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    for blob in layers {
        for entry in layer_entries(blob) {
            let path = clean(&entry.path);
            let base = path.rsplit('/').next().unwrap_or_default();
            assert!(
                !base.starts_with(".wh."),
                "the oracle does not apply whiteouts: {path}"
            );
            if entry.kind.is_file() {
                files.insert(path, entry.data);
            } else {
                files.remove(&path);
            }
        }
    }
    files
}

/// Symlinks that stacking whiteout-free `layers` gives.
pub fn stacked_symlinks(layers: &[Vec<u8>]) -> BTreeMap<String, String> {
    let mut links = BTreeMap::new();
    for blob in layers {
        for entry in layer_entries(blob) {
            let path = clean(&entry.path);
            if entry.kind.is_symlink() {
                links.insert(path, entry.link.unwrap_or_default());
            } else {
                links.remove(&path);
            }
        }
    }
    links
}

/// Writes tar archives entry by entry with raw ustar headers, so tests can
/// produce names and sizes that a well-behaved builder rejects.
#[derive(Default)]
pub struct TarWriter {
    out: Vec<u8>,
}

impl TarWriter {
    pub fn new() -> Self {
        Self::default()
    }

    /// A ustar header with the name and link name cut to their fields.
    pub fn header(name: &[u8], size: u64, typeflag: u8, link: &[u8], mode: u32) -> [u8; 512] {
        let mut h = [0u8; 512];
        let name_len = name.len().min(100);
        h[..name_len].copy_from_slice(&name[..name_len]);
        h[100..108].copy_from_slice(format!("{mode:07o}\0").as_bytes());
        h[108..116].copy_from_slice(b"0000000\0");
        h[116..124].copy_from_slice(b"0000000\0");
        if size < 8_589_934_592 {
            h[124..136].copy_from_slice(format!("{size:011o}\0").as_bytes());
        } else {
            // GNU base-256 encoding for sizes that do not fit 11 octal digits.
            h[124] = 0x80;
            h[128..136].copy_from_slice(&size.to_be_bytes());
        }
        h[136..148].copy_from_slice(b"00000000000\0");
        h[156] = typeflag;
        let link_len = link.len().min(100);
        h[157..157 + link_len].copy_from_slice(&link[..link_len]);
        h[257..263].copy_from_slice(b"ustar\0");
        h[263..265].copy_from_slice(b"00");
        Self::set_checksum(&mut h);
        h
    }

    pub fn set_checksum(h: &mut [u8; 512]) {
        h[148..156].copy_from_slice(b"        ");
        let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
        h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    }

    fn pad(&mut self) {
        let rem = self.out.len() % 512;
        if rem != 0 {
            self.out.resize(self.out.len() + 512 - rem, 0);
        }
    }

    /// Appends a header and data; `size` may differ from the data length
    /// to write a header that lies.
    pub fn raw(&mut self, header: &[u8; 512], data: &[u8]) -> &mut Self {
        self.out.extend_from_slice(header);
        self.out.extend_from_slice(data);
        self.pad();
        self
    }

    pub fn entry(
        &mut self,
        typeflag: u8,
        name: &str,
        link: &str,
        mode: u32,
        data: &[u8],
    ) -> &mut Self {
        if name.len() > 100 {
            self.gnu_long(b'L', name.as_bytes());
        }
        if link.len() > 100 {
            self.gnu_long(b'K', link.as_bytes());
        }
        let header = Self::header(
            name.as_bytes(),
            data.len() as u64,
            typeflag,
            link.as_bytes(),
            mode,
        );
        self.raw(&header, data)
    }

    pub fn file(&mut self, name: &str, data: &[u8]) -> &mut Self {
        self.entry(b'0', name, "", 0o644, data)
    }

    pub fn dir(&mut self, name: &str) -> &mut Self {
        self.entry(b'5', name, "", 0o755, b"")
    }

    pub fn symlink(&mut self, name: &str, target: &str) -> &mut Self {
        self.entry(b'2', name, target, 0o777, b"")
    }

    pub fn hardlink(&mut self, name: &str, target: &str) -> &mut Self {
        self.entry(b'1', name, target, 0o644, b"")
    }

    /// Appends a GNU long name (`L`) or long link (`K`) entry.
    pub fn gnu_long(&mut self, typeflag: u8, value: &[u8]) -> &mut Self {
        let mut data = value.to_vec();
        data.push(0);
        let header = Self::header(b"././@LongLink", data.len() as u64, typeflag, b"", 0o644);
        self.raw(&header, &data)
    }

    /// Appends a PAX extended header (`x`) with the given records.
    pub fn pax(&mut self, records: &[(&str, &str)]) -> &mut Self {
        let mut data = Vec::new();
        for (key, value) in records {
            let body = format!(" {key}={value}\n");
            // The length prefix counts itself, so grow it until it fits.
            let mut len = body.len() + 1;
            while format!("{len}{body}").len() != len {
                len += 1;
            }
            data.extend_from_slice(format!("{len}{body}").as_bytes());
        }
        let header = Self::header(b"PaxHeaders/x", data.len() as u64, b'x', b"", 0o644);
        self.raw(&header, &data)
    }

    /// Copies the entries of a real layer.
    pub fn copy_entries(&mut self, entries: &[RawEntry]) -> &mut Self {
        for e in entries {
            let typeflag = e.kind.as_byte();
            self.entry(
                typeflag,
                &e.path,
                e.link.as_deref().unwrap_or(""),
                e.mode,
                &e.data,
            );
        }
        self
    }

    /// The archive so far, without the end-of-archive blocks.
    pub fn bytes(&self) -> &[u8] {
        &self.out
    }

    /// The archive with the two zero blocks that end it.
    pub fn finish(&self) -> Vec<u8> {
        let mut out = self.out.clone();
        out.resize(out.len() + 1024, 0);
        out
    }
}

/// A real image read by the test code from an OCI layout, independently
/// of the reader under test.
#[derive(Clone)]
pub struct RealImage {
    pub config: Value,
    /// Stored layer blobs, base first.
    pub layers: Vec<Vec<u8>>,
    pub media_types: Vec<String>,
}

impl RealImage {
    /// Reads the image tagged `tag` from the layout at `dir`.
    pub fn from_layout(dir: &Path, tag: &str) -> Self {
        let read_json = |path: PathBuf| -> Value {
            serde_json::from_slice(&fs::read(&path).expect("read layout file")).expect("parse json")
        };
        let blob = |digest: &str| {
            dir.join("blobs/sha256")
                .join(digest.trim_start_matches("sha256:"))
        };
        let index = read_json(dir.join("index.json"));
        let descriptor = index["manifests"]
            .as_array()
            .expect("manifests")
            .iter()
            .find(|d| d["annotations"]["org.opencontainers.image.ref.name"] == tag)
            .expect("tagged manifest")
            .clone();
        let manifest = read_json(blob(descriptor["digest"].as_str().unwrap()));
        let config = read_json(blob(manifest["config"]["digest"].as_str().unwrap()));
        let mut layers = Vec::new();
        let mut media_types = Vec::new();
        for layer in manifest["layers"].as_array().unwrap() {
            layers.push(fs::read(blob(layer["digest"].as_str().unwrap())).expect("read layer"));
            media_types.push(layer["mediaType"].as_str().unwrap().to_owned());
        }
        Self {
            config,
            layers,
            media_types,
        }
    }

    pub fn alpine() -> Self {
        Self::from_layout(&alpine_layout(), "3.19.4")
    }

    pub fn bins() -> Self {
        Self::from_layout(&bins_layout(), "bins")
    }

    /// Uncompressed layer tars.
    pub fn layer_tars(&self) -> Vec<Vec<u8>> {
        self.layers.iter().map(|l| decompress(l)).collect()
    }

    /// Replaces the layers and sets the config's diff ids to match them.
    pub fn with_layers(&self, layers: Vec<Vec<u8>>, media_types: Vec<String>) -> Self {
        let mut config = self.config.clone();
        let diff_ids: Vec<Value> = layers
            .iter()
            .map(|l| Value::String(digest_of(&decompress(l))))
            .collect();
        config["rootfs"]["diff_ids"] = Value::Array(diff_ids);
        Self {
            config,
            layers,
            media_types,
        }
    }

    pub fn config_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(&self.config).expect("serialize config")
    }

    pub fn diff_ids(&self) -> Vec<String> {
        self.config["rootfs"]["diff_ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d.as_str().unwrap().to_owned())
            .collect()
    }

    /// Writes the image as an OCI layout tagged `tag` and returns the
    /// manifest digest.
    pub fn write_layout(&self, dir: &Path, tag: &str) -> String {
        let config = self.config_bytes();
        let layers: Vec<Value> = self
            .layers
            .iter()
            .zip(&self.media_types)
            .map(|(blob, media_type)| {
                json!({"mediaType": media_type, "digest": digest_of(blob), "size": blob.len()})
            })
            .collect();
        let manifest = json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": digest_of(&config),
                "size": config.len(),
            },
            "layers": layers,
        });
        let manifest = serde_json::to_vec(&manifest).unwrap();
        let mut blobs = vec![config, manifest.clone()];
        blobs.extend(self.layers.iter().cloned());
        for blob in &blobs {
            write_blob(dir, blob);
        }
        let manifest_digest = digest_of(&manifest);
        let index = json!({
            "schemaVersion": 2,
            "manifests": [{
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": manifest_digest,
                "size": manifest.len(),
                "annotations": {"org.opencontainers.image.ref.name": tag},
            }],
        });
        fs::write(dir.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
        fs::write(
            dir.join("oci-layout"),
            br#"{"imageLayoutVersion": "1.0.0"}"#,
        )
        .unwrap();
        manifest_digest
    }

    /// The image as a legacy `docker save` archive: `manifest.json`, the
    /// config as `<digest>.json` and each layer as `<id>/layer.tar`.
    pub fn docker_archive(&self, repo_tag: &str) -> Vec<u8> {
        let config = self.config_bytes();
        let config_name = format!("{}.json", sha256_hex(&config));
        let mut tar = TarWriter::new();
        let mut layer_names = Vec::new();
        for (i, blob) in self.layers.iter().enumerate() {
            let id = sha256_hex(format!("{i}:{}", sha256_hex(blob)).as_bytes());
            tar.dir(&format!("{id}/"));
            tar.file(&format!("{id}/VERSION"), b"1.0");
            tar.file(&format!("{id}/layer.tar"), blob);
            layer_names.push(format!("{id}/layer.tar"));
        }
        tar.file(&config_name, &config);
        let manifest = json!([{
            "Config": config_name,
            "RepoTags": [repo_tag],
            "Layers": layer_names,
        }]);
        tar.file("manifest.json", &serde_json::to_vec(&manifest).unwrap());
        tar.finish()
    }
}

/// Writes `blob` under `blobs/sha256/` of a layout and returns its digest.
pub fn write_blob(dir: &Path, blob: &[u8]) -> String {
    let blobs = dir.join("blobs/sha256");
    fs::create_dir_all(&blobs).unwrap();
    let hex = sha256_hex(blob);
    fs::write(blobs.join(&hex), blob).unwrap();
    format!("sha256:{hex}")
}

/// Packs a directory tree (an OCI layout) into a tar, as `oci-archive`.
pub fn tar_dir(dir: &Path) -> Vec<u8> {
    fn walk(tar: &mut TarWriter, root: &Path, rel: &str) {
        let mut children: Vec<_> = fs::read_dir(root.join(rel))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        children.sort();
        for name in children {
            let path = if rel.is_empty() {
                name
            } else {
                format!("{rel}/{name}")
            };
            let full = root.join(&path);
            if full.is_dir() {
                tar.dir(&format!("{path}/"));
                walk(tar, root, &path);
            } else {
                tar.file(&path, &fs::read(&full).unwrap());
            }
        }
    }
    let mut tar = TarWriter::new();
    walk(&mut tar, dir, "");
    tar.finish()
}

/// Lists every file under `dir`, recursively, without following links.
pub fn list_tree(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(current) = stack.pop() {
        let Ok(entries) = fs::read_dir(&current) else {
            continue;
        };
        for entry in entries {
            let entry = entry.unwrap();
            let path = entry.path();
            if entry.file_type().unwrap().is_dir() {
                stack.push(path.clone());
            }
            out.push(path);
        }
    }
    out.sort();
    out
}

/// Limits small enough for the bomb tests to stay fast.
pub fn small_limits() -> Limits {
    Limits {
        max_layer_bytes: 1 << 20,
        max_ratio: 50,
        ratio_grace_bytes: 256 << 10,
        ..Limits::default()
    }
}
