//! Hostile and damaged images, derived by code from real ones: tampered
//! and truncated layers, decompression bombs, path traversal, links that
//! point out of the root, oversized metadata and malformed whiteouts. The
//! reader must reject or skip each one without panicking, write nothing,
//! name the file and the problem, and keep the undamaged layers.

mod support;

use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::path::Path;

use bulwark_image::{Expected, ImageError, LayerError, Limits, NodeKind, scan_layer, scan_layers};
use serde_json::{Value, json};
use support::{
    Capture, RealImage, TarWriter, clean, decompress, digest_of, final_files, gzip, layer_entries,
    list_tree, open, problems, scan, sha256_hex, small_limits, stacked_files, write_blob, zstd,
};
use tempfile::TempDir;

const GZIP_LAYER: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
const ZSTD_LAYER: &str = "application/vnd.oci.image.layer.v1.tar+zstd";
const TAR_LAYER: &str = "application/vnd.oci.image.layer.v1.tar";

/// Builds an image from `layers` (stored blob, media type), using the
/// Alpine config with the given diff ids.
fn image_with(layers: Vec<(Vec<u8>, &str)>, diff_ids: Vec<String>) -> RealImage {
    let mut config = RealImage::alpine().config;
    config["rootfs"]["diff_ids"] = json!(diff_ids);
    RealImage {
        config,
        media_types: layers.iter().map(|(_, m)| (*m).to_owned()).collect(),
        layers: layers.into_iter().map(|(l, _)| l).collect(),
    }
}

/// Builds an image from layer tars, compressing each with gzip and setting
/// matching diff ids.
fn image_from_tars(tars: Vec<Vec<u8>>) -> RealImage {
    let diff_ids = tars.iter().map(|t| digest_of(t)).collect();
    image_with(
        tars.into_iter().map(|t| (gzip(&t), GZIP_LAYER)).collect(),
        diff_ids,
    )
}

/// The real Alpine layer under the first real `bins` layer, written as an
/// OCI layout. Tests then damage the Alpine blob in place.
struct Stack {
    dir: TempDir,
    alpine_blob: Vec<u8>,
    bins_blob: Vec<u8>,
}

impl Stack {
    fn new() -> Self {
        let alpine = RealImage::alpine();
        let bins = RealImage::bins();
        let image = image_with(
            vec![
                (alpine.layers[0].clone(), GZIP_LAYER),
                (bins.layers[0].clone(), GZIP_LAYER),
            ],
            vec![alpine.diff_ids()[0].clone(), bins.diff_ids()[0].clone()],
        );
        let dir = tempfile::tempdir().unwrap();
        image.write_layout(dir.path(), "stack");
        Self {
            dir,
            alpine_blob: alpine.layers[0].clone(),
            bins_blob: bins.layers[0].clone(),
        }
    }

    fn target(&self) -> String {
        format!("oci:{}:stack", self.dir.path().display())
    }

    fn alpine_blob_path(&self) -> std::path::PathBuf {
        self.dir
            .path()
            .join("blobs/sha256")
            .join(sha256_hex(&self.alpine_blob))
    }

    /// Stores `damaged` under the digest of the real Alpine layer.
    fn replace_alpine(&self, damaged: &[u8]) {
        fs::write(self.alpine_blob_path(), damaged).unwrap();
    }

    /// Asserts that layer 0 failed and that every file of the top layer is
    /// in the final view with its content. Returns the error.
    fn assert_top_survives(&self, view: &bulwark_image::FinalView<Vec<u8>>) -> String {
        assert_eq!(view.layer_errors.len(), 1, "{}", problems(view));
        let (index, error) = &view.layer_errors[0];
        assert_eq!(*index, 0, "{}", problems(view));
        let files = final_files(view);
        let top = stacked_files(std::slice::from_ref(&self.bins_blob));
        assert!(!top.is_empty());
        for (path, content) in &top {
            assert_eq!(files.get(path), Some(content), "top-layer file {path}");
        }
        error.to_string()
    }
}

/// Asserts that a layer message names the blob file.
fn assert_names_blob(message: &str, blob: &[u8]) {
    assert!(
        message.contains(&sha256_hex(blob)),
        "the message names the blob: {message}"
    );
}

#[test]
fn blob_digest_mismatch_drops_layer() {
    let stack = Stack::new();
    let mut tampered = stack.alpine_blob.clone();
    // Byte 4 starts the gzip MTIME field: the blob no longer matches its
    // digest, yet it decompresses to the same tar and diff id.
    tampered[4] ^= 0x01;
    assert_eq!(decompress(&tampered), decompress(&stack.alpine_blob));
    stack.replace_alpine(&tampered);

    let view = scan(&stack.target(), &Limits::default());
    let message = stack.assert_top_survives(&view);
    assert!(
        matches!(
            view.layer_errors[0].1,
            LayerError::DigestMismatch {
                what: "blob digest",
                ..
            }
        ),
        "{message}"
    );
    assert_names_blob(&message, &stack.alpine_blob);
    assert!(
        view.tree.values().all(|n| n.layer == 1),
        "entries of the tampered layer are dropped"
    );
    assert!(view.hidden.is_empty());
}

#[test]
fn corrupt_deflate_data_fails_layer() {
    let stack = Stack::new();
    let mut tampered = stack.alpine_blob.clone();
    let middle = tampered.len() / 2;
    for byte in &mut tampered[middle..middle + 64] {
        *byte = !*byte;
    }
    stack.replace_alpine(&tampered);
    let view = scan(&stack.target(), &Limits::default());
    let message = stack.assert_top_survives(&view);
    assert!(
        matches!(
            view.layer_errors[0].1,
            LayerError::Corrupt { .. } | LayerError::DigestMismatch { .. }
        ),
        "{message}"
    );
}

#[test]
fn diff_id_mismatch_drops_layer() {
    let alpine = RealImage::alpine();
    let bins = RealImage::bins();
    let mut wrong = alpine.diff_ids()[0].clone();
    let last = wrong.pop().unwrap();
    wrong.push(if last == '0' { '1' } else { '0' });
    let image = image_with(
        vec![
            (alpine.layers[0].clone(), GZIP_LAYER),
            (bins.layers[0].clone(), GZIP_LAYER),
        ],
        vec![wrong.clone(), bins.diff_ids()[0].clone()],
    );
    let dir = tempfile::tempdir().unwrap();
    image.write_layout(dir.path(), "edited");
    let view = scan(
        &format!("oci:{}:edited", dir.path().display()),
        &Limits::default(),
    );

    assert_eq!(view.layer_errors.len(), 1, "{}", problems(&view));
    let message = view.layer_errors[0].1.to_string();
    match &view.layer_errors[0].1 {
        LayerError::DigestMismatch {
            what,
            expected,
            actual,
            ..
        } => {
            assert_eq!(*what, "diff id");
            assert_eq!(expected.to_string(), wrong);
            assert_eq!(actual.to_string(), alpine.diff_ids()[0]);
        }
        other => panic!("expected a diff id mismatch, got {other}"),
    }
    assert!(message.contains("diff id"), "{message}");
    assert!(view.tree.values().all(|n| n.layer == 1));
    assert_eq!(
        final_files(&view),
        stacked_files(std::slice::from_ref(&bins.layers[0]))
    );
}

#[test]
fn missing_layer_blob_reported() {
    let stack = Stack::new();
    fs::remove_file(stack.alpine_blob_path()).unwrap();
    let image = open(&stack.target(), &Limits::default()).expect("metadata is intact");
    let view = scan_layers(&image, &Limits::default(), &Capture);
    let message = stack.assert_top_survives(&view);
    assert!(
        matches!(view.layer_errors[0].1, LayerError::Open { .. }),
        "{message}"
    );
    assert!(message.contains("missing"), "{message}");
    assert_names_blob(&message, &stack.alpine_blob);
}

#[test]
fn docker_archive_missing_layer_rejected() {
    let alpine = RealImage::alpine();
    let archive = alpine.docker_archive("alpine:3.19.4");
    // Drop the layer member by rewriting the archive without it.
    let mut rewritten = TarWriter::new();
    let mut layer_name = String::new();
    for entry in layer_entries(&archive) {
        if entry.path.ends_with("/layer.tar") {
            layer_name = entry.path.clone();
            continue;
        }
        rewritten.copy_entries(&[entry]);
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("no-layer.tar");
    fs::write(&path, rewritten.finish()).unwrap();
    let error = open(path.to_str().unwrap(), &Limits::default()).expect_err("missing layer");
    let message = error.to_string();
    assert!(matches!(error, ImageError::MissingBlob { .. }), "{message}");
    assert!(message.contains(&layer_name), "{message}");
    assert!(message.contains("no-layer.tar"), "{message}");
}

#[test]
fn truncated_gzip_layer_fails() {
    let stack = Stack::new();
    stack.replace_alpine(&stack.alpine_blob[..stack.alpine_blob.len() / 2]);
    let view = scan(&stack.target(), &Limits::default());
    let message = stack.assert_top_survives(&view);
    assert!(
        matches!(view.layer_errors[0].1, LayerError::Corrupt { .. }),
        "{message}"
    );
    assert_names_blob(&message, &stack.alpine_blob);
    assert_eq!(
        view.diff_ids[0], None,
        "no diff id for a layer not read to the end"
    );
}

#[test]
fn truncated_zstd_layer_fails() {
    let alpine = RealImage::alpine();
    let bins = RealImage::bins();
    let zstd_blob = zstd(&alpine.layer_tars()[0]);
    let image = image_with(
        vec![
            (zstd_blob.clone(), ZSTD_LAYER),
            (bins.layers[0].clone(), GZIP_LAYER),
        ],
        vec![alpine.diff_ids()[0].clone(), bins.diff_ids()[0].clone()],
    );
    let dir = tempfile::tempdir().unwrap();
    image.write_layout(dir.path(), "zstd");
    let blob_path = dir.path().join("blobs/sha256").join(sha256_hex(&zstd_blob));
    fs::write(&blob_path, &zstd_blob[..zstd_blob.len() / 3]).unwrap();

    let view = scan(
        &format!("oci:{}:zstd", dir.path().display()),
        &Limits::default(),
    );
    assert_eq!(view.layer_errors.len(), 1, "{}", problems(&view));
    assert_eq!(view.layer_errors[0].0, 0);
    let message = view.layer_errors[0].1.to_string();
    assert!(
        matches!(view.layer_errors[0].1, LayerError::Corrupt { .. }),
        "{message}"
    );
    for (path, content) in stacked_files(std::slice::from_ref(&bins.layers[0])) {
        assert_eq!(final_files(&view).get(&path), Some(&content), "{path}");
    }
}

#[test]
fn corrupt_tar_header_fails_layer() {
    // The real Alpine tar, uncompressed, with the checksum of a header in
    // the middle broken.
    let alpine = RealImage::alpine();
    let mut tar_bytes = alpine.layer_tars().remove(0);
    let mut offset = 0;
    let mut headers = Vec::new();
    while offset + 512 <= tar_bytes.len() && tar_bytes[offset] != 0 {
        headers.push(offset);
        let size_field =
            String::from_utf8_lossy(&tar_bytes[offset + 124..offset + 135]).into_owned();
        let size =
            u64::from_str_radix(size_field.trim_matches(|c| c == '\0' || c == ' '), 8).unwrap();
        offset += 512 + size.div_ceil(512) as usize * 512;
    }
    let victim = headers[headers.len() / 2];
    tar_bytes[victim + 148] = b'7';
    tar_bytes[victim + 149] = b'7';
    let entries_before = headers.iter().filter(|&&h| h < victim).count();

    let bins = RealImage::bins();
    let image = image_with(
        vec![(tar_bytes, TAR_LAYER), (bins.layers[0].clone(), GZIP_LAYER)],
        vec![alpine.diff_ids()[0].clone(), bins.diff_ids()[0].clone()],
    );
    let dir = tempfile::tempdir().unwrap();
    image.write_layout(dir.path(), "broken");
    let view = scan(
        &format!("oci:{}:broken", dir.path().display()),
        &Limits::default(),
    );
    assert_eq!(view.layer_errors.len(), 1, "{}", problems(&view));
    let message = view.layer_errors[0].1.to_string();
    assert!(
        matches!(view.layer_errors[0].1, LayerError::Corrupt { .. }),
        "{message}"
    );
    assert!(message.contains("checksum"), "{message}");
    let from_layer_0 = view.tree.values().filter(|n| n.layer == 0).count();
    assert!(
        from_layer_0 < entries_before,
        "nothing after the broken header is kept"
    );
    for (path, content) in stacked_files(std::slice::from_ref(&bins.layers[0])) {
        assert_eq!(final_files(&view).get(&path), Some(&content), "{path}");
    }
}

/// Builds a layer tar with one file of `size` zero bytes, named after a
/// real Alpine file.
fn zeros_layer(size: usize) -> Vec<u8> {
    let name = clean(&layer_entries(&RealImage::alpine().layers[0])[1].path);
    let mut tar = TarWriter::new();
    tar.file(&format!("{name}.zeros"), &vec![0u8; size]);
    tar.finish()
}

fn scan_blob(blob: Vec<u8>, limits: &Limits) -> bulwark_image::LayerScan<Vec<u8>> {
    scan_layer(
        "bomb-layer",
        0,
        Box::new(std::io::Cursor::new(blob)),
        &Expected::default(),
        limits,
        &Capture,
    )
}

#[test]
fn gzip_bomb_stops_at_layer_size() {
    let tar_bytes = zeros_layer(8 << 20);
    let limits = Limits {
        max_ratio: u64::MAX,
        ..small_limits()
    };
    for blob in [gzip(&tar_bytes), zstd(&tar_bytes), tar_bytes.clone()] {
        assert!(blob.len() < (9 << 20));
        let scan = scan_blob(blob, &limits);
        let error = scan.error.expect("bomb detected");
        let message = error.to_string();
        assert!(matches!(error, LayerError::Bomb { .. }), "{message}");
        assert!(message.contains("1048576"), "{message}");
        assert!(message.contains("bomb-layer"), "{message}");
        // The stream stops soon after the limit: one read buffer past it.
        assert!(
            scan.uncompressed_bytes <= limits.max_layer_bytes + (1 << 20),
            "{}",
            scan.uncompressed_bytes
        );
    }
}

#[test]
fn ratio_guard_stops_bomb() {
    let tar_bytes = zeros_layer(8 << 20);
    let limits = Limits {
        max_layer_bytes: 1 << 40,
        ..small_limits()
    };
    for blob in [gzip(&tar_bytes), zstd(&tar_bytes)] {
        let compressed = blob.len() as u64;
        let scan = scan_blob(blob, &limits);
        let error = scan.error.expect("bomb detected");
        let message = error.to_string();
        assert!(matches!(error, LayerError::Bomb { .. }), "{message}");
        assert!(
            message.contains("compression ratio exceeds 50:1"),
            "{message}"
        );
        assert!(scan.uncompressed_bytes < 8 << 20, "stopped before the end");
        // It stops within one read buffer of the allowed expansion.
        let allowed = limits.ratio_grace_bytes.max(compressed * limits.max_ratio);
        assert!(
            scan.uncompressed_bytes <= allowed + (1 << 20),
            "{}",
            scan.uncompressed_bytes
        );
    }
    // The plain tar never trips the ratio guard.
    let scan = scan_blob(tar_bytes, &limits);
    assert!(scan.error.is_none(), "{:?}", scan.error);
}

#[test]
fn compressed_archive_bomb_rejected() {
    // A docker archive with a 16 MiB layer of zeros, gzip-compressed as
    // a whole: the archive is spooled to disk, so the ratio guard must
    // apply to it as it does to layers.
    let bomb = image_from_tars(vec![zeros_layer(16 << 20)]);
    let plain = bomb.with_layers(vec![decompress(&bomb.layers[0])], vec![TAR_LAYER.into()]);
    let archive = gzip(&plain.docker_archive("bomb:latest"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bomb.tar.gz");
    fs::write(&path, &archive).unwrap();
    let limits = Limits {
        max_layer_bytes: 1 << 40,
        ..small_limits()
    };
    for target in [
        format!("docker-archive:{}", path.display()),
        path.display().to_string(),
    ] {
        let error = open(&target, &limits).expect_err("archive bomb");
        let message = error.to_string();
        assert!(message.contains("bomb.tar.gz"), "{message}");
        assert!(
            message.contains("ratio") || message.contains("limit"),
            "{message}"
        );
    }
    // Under the size limit alone it is rejected as well.
    let error = open(path.to_str().unwrap(), &small_limits()).expect_err("archive bomb");
    assert!(error.to_string().contains("bomb.tar.gz"), "{error}");
}

#[test]
fn oci_archive_bomb_rejected() {
    // An OCI archive whose first member is `oci-layout` followed by a large
    // zero-filled member, gzip-compressed as a whole. Detecting the format
    // reads past the first entries, so it must stop at the limits too.
    let mut tar = TarWriter::new();
    tar.file("oci-layout", br#"{"imageLayoutVersion": "1.0.0"}"#);
    tar.file("blobs/sha256/zeros", &vec![0u8; 16 << 20]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bomb.oci.tar.gz");
    fs::write(&path, gzip(&tar.finish())).unwrap();
    let limits = Limits {
        max_layer_bytes: 1 << 40,
        ..small_limits()
    };
    let error = open(path.to_str().unwrap(), &limits).expect_err("archive bomb");
    let message = error.to_string();
    assert!(message.contains("bomb.oci.tar.gz"), "{message}");
    assert!(message.contains("ratio"), "{message}");
}

#[test]
fn zstd_window_over_limit_rejected() {
    // A zstd frame header that asks for a 2 GiB window (window log 31),
    // followed by one empty raw block. Decoding must fail instead of
    // reserving the window.
    let frame = [0x28, 0xb5, 0x2f, 0xfd, 0x00, 21 << 3, 0x01, 0x00, 0x00];
    let scan = scan_blob(frame.to_vec(), &Limits::default());
    let error = scan.error.expect("window rejected");
    assert!(matches!(error, LayerError::Corrupt { .. }), "{error}");
}

/// A layer of real `bins` entries followed by `extra`.
fn bins_layer_with(extra: impl FnOnce(&mut TarWriter)) -> Vec<u8> {
    let bins = RealImage::bins();
    let mut tar = TarWriter::new();
    tar.copy_entries(&layer_entries(&bins.layers[0]));
    extra(&mut tar);
    tar.finish()
}

/// Writes `image` as an OCI layout under `work/image` and scans it.
fn scan_in(work: &Path, image: &RealImage, limits: &Limits) -> bulwark_image::FinalView<Vec<u8>> {
    let layout = work.join("image");
    fs::create_dir_all(&layout).unwrap();
    image.write_layout(&layout, "hostile");
    scan(&format!("oci:{}:hostile", layout.display()), limits)
}

/// A work directory with an empty `outside/` sibling of the image, where
/// a traversal would land.
fn work_dir() -> TempDir {
    let work = tempfile::tempdir().unwrap();
    fs::create_dir(work.path().join("outside")).unwrap();
    work
}

#[test]
fn parent_dir_entries_skipped() {
    let work = work_dir();
    let layer = bins_layer_with(|tar| {
        tar.file("../outside/escaped.txt", b"escaped");
        tar.file("src/../../outside/escaped2.txt", b"escaped");
        tar.file("./../../../../outside/escaped3.txt", b"escaped");
        tar.dir("../outside/dir/");
        tar.symlink("../outside/link", "/etc/passwd");
    });
    let image = image_from_tars(vec![layer.clone()]);
    let before = list_tree(work.path());
    let view = scan_in(work.path(), &image, &Limits::default());
    let after: Vec<_> = list_tree(work.path())
        .into_iter()
        .filter(|p| !p.starts_with(work.path().join("image")))
        .collect();

    assert!(view.layer_errors.is_empty(), "{}", problems(&view));
    let skipped: Vec<&String> = view
        .warnings
        .iter()
        .map(|(_, w)| w)
        .filter(|w| w.contains("'..'"))
        .collect();
    assert_eq!(skipped.len(), 5, "{}", problems(&view));
    assert!(skipped.iter().any(|w| w.contains("../outside/escaped.txt")));
    assert!(
        !view
            .tree
            .keys()
            .any(|p| p.contains("escaped") || p.contains("outside"))
    );
    assert!(
        !view
            .outputs
            .values()
            .flatten()
            .any(|(_, c)| c == b"escaped")
    );
    // The real entries are all there.
    let real = stacked_files(&[RealImage::bins().layers[0].clone()]);
    for path in real.keys() {
        assert!(view.tree.contains_key(path), "{path}");
    }
    // Nothing was written next to the image.
    let before: Vec<_> = before
        .into_iter()
        .filter(|p| !p.starts_with(work.path().join("image")))
        .collect();
    assert_eq!(before, after);
    assert!(
        fs::read_dir(work.path().join("outside"))
            .unwrap()
            .next()
            .is_none()
    );
}

#[test]
fn absolute_entries_stay_in_root() {
    let work = work_dir();
    let outside = work.path().join("outside");
    let absolute = format!("{}/absolute.txt", outside.display());
    let layer = bins_layer_with(|tar| {
        tar.file(&absolute, b"absolute");
        tar.file("/etc/bulwark-absolute-entry", b"absolute");
    });
    let view = scan_in(
        work.path(),
        &image_from_tars(vec![layer]),
        &Limits::default(),
    );
    assert!(view.layer_errors.is_empty(), "{}", problems(&view));
    // The path is read relative to the image root.
    let inside = absolute.trim_start_matches('/').to_owned();
    assert_eq!(view.outputs[&inside].last().unwrap().1, b"absolute");
    assert!(view.tree.contains_key("etc/bulwark-absolute-entry"));
    assert!(fs::read_dir(&outside).unwrap().next().is_none());
    assert!(!Path::new("/etc/bulwark-absolute-entry").exists());
}

#[test]
fn symlink_escape_write_lands_inside_root() {
    let work = work_dir();
    let outside = work.path().join("outside");
    let outside_text = outside.display().to_string();
    let layer = bins_layer_with(|tar| {
        tar.symlink("evil", "/etc");
        tar.file("evil/passwd", b"root::0:0::/:/bin/sh\n");
        tar.symlink("out", &outside_text);
        tar.file("out/pwned", b"pwned");
        tar.symlink("up", "../../../../..");
        tar.file("up/climbed", b"climbed");
    });
    let passwd_before = fs::symlink_metadata("/etc/passwd")
        .ok()
        .map(|m| (m.len(), m.modified().ok()));
    let view = scan_in(
        work.path(),
        &image_from_tars(vec![layer]),
        &Limits::default(),
    );
    assert!(view.layer_errors.is_empty(), "{}", problems(&view));

    // A runtime applying the layer resolves `evil` inside the root, so the
    // file lands at etc/passwd of the image.
    assert_eq!(view.resolve("evil/passwd").as_deref(), Some("etc/passwd"));
    assert_eq!(
        view.outputs["etc/passwd"].last().unwrap().1,
        b"root::0:0::/:/bin/sh\n"
    );
    assert!(!view.tree.contains_key("evil/passwd"));
    let pwned = format!("{}/pwned", outside_text.trim_start_matches('/'));
    assert_eq!(view.resolve("out/pwned").as_deref(), Some(pwned.as_str()));
    assert_eq!(view.outputs[&pwned].last().unwrap().1, b"pwned");
    assert_eq!(view.resolve("up/climbed").as_deref(), Some("climbed"));
    assert_eq!(view.outputs["climbed"].last().unwrap().1, b"climbed");

    assert!(
        fs::read_dir(&outside).unwrap().next().is_none(),
        "nothing written through the link"
    );
    let passwd_after = fs::symlink_metadata("/etc/passwd")
        .ok()
        .map(|m| (m.len(), m.modified().ok()));
    assert_eq!(passwd_before, passwd_after);
}

#[test]
fn symlink_from_lower_layer_redirects_upper_entries() {
    // usr-merged images: `lib -> usr/lib` in a lower layer, and an upper
    // layer that writes `lib/apk/db/installed` and deletes through the link.
    let alpine = RealImage::alpine();
    let installed = layer_entries(&alpine.layers[0])
        .into_iter()
        .find(|e| clean(&e.path) == "lib/apk/db/installed")
        .unwrap();
    let mut lower = TarWriter::new();
    lower
        .dir("usr/")
        .dir("usr/lib/")
        .symlink("lib", "usr/lib")
        .file("usr/lib/old", b"old");
    let mut upper = TarWriter::new();
    upper
        .file("lib/apk/db/installed", &installed.data)
        .file("lib/.wh.old", b"");
    let work = work_dir();
    let image = image_from_tars(vec![lower.finish(), upper.finish()]);
    let view = scan_in(work.path(), &image, &Limits::default());
    assert!(view.layer_errors.is_empty(), "{}", problems(&view));
    assert_eq!(
        view.outputs["usr/lib/apk/db/installed"].last().unwrap().1,
        installed.data
    );
    assert!(view.is_file("lib/apk/db/installed"));
    assert!(
        !view.tree.contains_key("usr/lib/old"),
        "whiteout through the link applies"
    );
    assert!(!view.tree.contains_key("lib/apk/db/installed"));
}

#[test]
fn hardlink_outside_root_skipped() {
    let layer = bins_layer_with(|tar| {
        tar.hardlink("shadow-copy", "../../etc/shadow");
        tar.hardlink("shadow-copy2", "src/../../etc/shadow");
        tar.hardlink("abs-link", "/etc/shadow");
    });
    let work = work_dir();
    let view = scan_in(
        work.path(),
        &image_from_tars(vec![layer]),
        &Limits::default(),
    );
    assert!(view.layer_errors.is_empty(), "{}", problems(&view));
    for name in ["shadow-copy", "shadow-copy2"] {
        assert!(!view.tree.contains_key(name), "{name}");
        assert!(
            view.warnings
                .iter()
                .any(|(_, w)| w.contains(name) && w.contains("leaves the root")),
            "{}",
            problems(&view)
        );
    }
    // An absolute hard link target is a path inside the image root.
    assert_eq!(
        view.tree["abs-link"].kind,
        NodeKind::Hardlink("etc/shadow".into())
    );
    assert!(
        !view
            .outputs
            .values()
            .flatten()
            .any(|(_, c)| c.starts_with(b"root:"))
    );
}

#[test]
fn long_paths_skipped() {
    let long_path = format!("src/{}", "d/".repeat(5 * 1024));
    let long_path = format!("{long_path}file");
    let long_target = "x/".repeat(5 * 1024);
    let layer = bins_layer_with(|tar| {
        tar.file(&long_path, b"long");
        tar.symlink("long-link", &long_target);
        tar.file("after-long", b"after");
    });
    let work = work_dir();
    let view = scan_in(
        work.path(),
        &image_from_tars(vec![layer]),
        &Limits::default(),
    );
    assert!(view.layer_errors.is_empty(), "{}", problems(&view));
    assert!(
        view.warnings
            .iter()
            .any(|(_, w)| w.contains(&format!("{}-byte path", long_path.len()))),
        "{}",
        problems(&view)
    );
    assert!(
        view.warnings.iter().any(|(_, w)| w.contains("long-link")),
        "{}",
        problems(&view)
    );
    assert!(!view.tree.keys().any(|p| p.len() > 4096));
    assert!(!view.tree.contains_key("long-link"));
    assert_eq!(view.outputs["after-long"].last().unwrap().1, b"after");
}

#[test]
fn pax_size_claims_fail_layer() {
    let bins = RealImage::bins();
    type AddEntries = Box<dyn Fn(&mut TarWriter)>;
    let cases: Vec<(&str, AddEntries)> = vec![
        // A PAX record that claims a 1 TiB file with ten bytes behind it.
        (
            "pax size record",
            Box::new(|tar: &mut TarWriter| {
                tar.pax(&[("size", "1099511627776")]);
                tar.file("claimed", b"ten bytes!");
            }),
        ),
        // A PAX header block whose own size field claims 1 TiB.
        (
            "pax header size",
            Box::new(|tar: &mut TarWriter| {
                let header = TarWriter::header(b"PaxHeaders/huge", 1 << 40, b'x', b"", 0o644);
                tar.raw(&header, b"20 path=whatever.txt\n");
            }),
        ),
        // A GNU long name whose size field claims 1 TiB.
        (
            "gnu long name size",
            Box::new(|tar: &mut TarWriter| {
                let header = TarWriter::header(b"././@LongLink", 1 << 40, b'L', b"", 0o644);
                tar.raw(&header, b"name");
            }),
        ),
        // A regular file header claiming 200 MiB, under the per-file limit.
        (
            "file size",
            Box::new(|tar: &mut TarWriter| {
                let header = TarWriter::header(b"claimed-200m", 200 << 20, b'0', b"", 0o644);
                tar.raw(&header, b"short");
            }),
        ),
    ];
    for (what, extra) in cases {
        let mut tar = TarWriter::new();
        extra(&mut tar);
        let image = image_with(
            vec![
                (gzip(tar.bytes()), GZIP_LAYER),
                (bins.layers[0].clone(), GZIP_LAYER),
            ],
            vec![digest_of(tar.bytes()), bins.diff_ids()[0].clone()],
        );
        let work = work_dir();
        let view = scan_in(work.path(), &image, &Limits::default());
        assert_eq!(view.layer_errors.len(), 1, "{what}: {}", problems(&view));
        assert_eq!(view.layer_errors[0].0, 0, "{what}");
        assert!(
            matches!(view.layer_errors[0].1, LayerError::Corrupt { .. }),
            "{what}: {}",
            view.layer_errors[0].1
        );
        // Layer 0 keeps what it read before the failure, which has no
        // content for the claimed file, so compare file by file.
        for (path, content) in stacked_files(std::slice::from_ref(&bins.layers[0])) {
            let got = view
                .outputs
                .get(&path)
                .and_then(|h| h.last())
                .map(|(_, c)| c);
            assert_eq!(got, Some(&content), "{what}: {path}");
        }
    }
}

#[test]
fn pax_path_override_checked() {
    let layer = bins_layer_with(|tar| {
        tar.pax(&[("path", "../../outside/pax-escape.txt")]);
        tar.file("innocent.txt", b"pax");
        tar.pax(&[("linkpath", "../../../etc/shadow")]);
        tar.hardlink("pax-link", "harmless");
    });
    let work = work_dir();
    let view = scan_in(
        work.path(),
        &image_from_tars(vec![layer]),
        &Limits::default(),
    );
    assert!(view.layer_errors.is_empty(), "{}", problems(&view));
    assert!(
        !view.tree.contains_key("innocent.txt"),
        "the PAX path replaces the header name"
    );
    assert!(!view.tree.keys().any(|p| p.contains("pax-escape")));
    assert!(!view.tree.contains_key("pax-link"));
    assert!(
        view.warnings.iter().any(|(_, w)| w.contains("pax-escape")),
        "{}",
        problems(&view)
    );
}

/// A tar stream of `total` empty files generated on the fly, named after
/// the real Alpine paths.
struct ManyEntries {
    names: Vec<String>,
    total: usize,
    produced: usize,
    block: Vec<u8>,
    pos: usize,
}

impl Read for ManyEntries {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.pos == self.block.len() {
            if self.produced == self.total {
                return Ok(0);
            }
            let name = format!(
                "{}.{}",
                self.names[self.produced % self.names.len()],
                self.produced
            );
            self.block = TarWriter::header(name.as_bytes(), 0, b'0', b"", 0o644).to_vec();
            self.pos = 0;
            self.produced += 1;
        }
        let n = buf.len().min(self.block.len() - self.pos);
        buf[..n].copy_from_slice(&self.block[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

#[test]
fn entry_count_limit_stops_layer() {
    let names: Vec<String> = layer_entries(&RealImage::alpine().layers[0])
        .iter()
        .map(|e| clean(&e.path))
        .filter(|p| !p.is_empty() && p.len() < 80)
        .collect();
    let stream = ManyEntries {
        names,
        total: 100_000,
        produced: 0,
        block: Vec::new(),
        pos: 0,
    };
    let limits = Limits {
        max_entries: 1000,
        ..Limits::default()
    };
    let scan = scan_layer(
        "many-entries",
        0,
        Box::new(stream),
        &Expected::default(),
        &limits,
        &Capture,
    );
    let error = scan.error.expect("entry limit");
    let message = error.to_string();
    assert!(matches!(error, LayerError::Bomb { .. }), "{message}");
    assert!(message.contains("more than 1000 entries"), "{message}");
    assert!(scan.entries.len() <= 1000);
    assert!(scan.uncompressed_bytes < 100_000 * 512, "stopped early");
}

#[test]
fn oversized_metadata_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let alpine = RealImage::alpine();
    let layout = dir.path().join("alpine");
    fs::create_dir(&layout).unwrap();
    alpine.write_layout(&layout, "big");
    let index = fs::read(layout.join("index.json")).unwrap();
    let limits = Limits {
        max_metadata_bytes: 4096,
        ..Limits::default()
    };

    // index.json padded past the limit with JSON whitespace.
    let mut padded = index.clone();
    padded.extend(std::iter::repeat_n(b' ', 5000));
    fs::write(layout.join("index.json"), &padded).unwrap();
    let error = open(&format!("oci:{}", layout.display()), &limits).expect_err("big index");
    let message = error.to_string();
    assert!(matches!(error, ImageError::TooLarge { .. }), "{message}");
    assert!(
        message.contains("index.json") && message.contains("4096"),
        "{message}"
    );
    fs::write(layout.join("index.json"), &index).unwrap();

    // The manifest and then the config over a limit that the documents
    // before them fit.
    let manifest_len = fs::read(
        layout.join("blobs/sha256").join(
            serde_json::from_slice::<Value>(&index).unwrap()["manifests"][0]["digest"]
                .as_str()
                .unwrap()
                .trim_start_matches("sha256:"),
        ),
    )
    .unwrap()
    .len() as u64;
    let config_len = alpine.config_bytes().len() as u64;
    let under_manifest = Limits {
        max_metadata_bytes: manifest_len - 1,
        ..Limits::default()
    };
    assert!((index.len() as u64) < manifest_len);
    let error =
        open(&format!("oci:{}", layout.display()), &under_manifest).expect_err("big manifest");
    assert!(matches!(error, ImageError::TooLarge { .. }), "{error}");
    assert!(error.to_string().contains("manifest"), "{error}");
    if config_len > manifest_len {
        let under_config = Limits {
            max_metadata_bytes: config_len - 1,
            ..Limits::default()
        };
        let error =
            open(&format!("oci:{}", layout.display()), &under_config).expect_err("big config");
        assert!(error.to_string().contains("config"), "{error}");
    }

    // manifest.json of a docker archive.
    let archive = dir.path().join("alpine.tar");
    fs::write(&archive, alpine.docker_archive("alpine:3.19.4")).unwrap();
    let tiny = Limits {
        max_metadata_bytes: 64,
        ..Limits::default()
    };
    let error = open(archive.to_str().unwrap(), &tiny).expect_err("big manifest.json");
    let message = error.to_string();
    assert!(matches!(error, ImageError::TooLarge { .. }), "{message}");
    assert!(
        message.contains("manifest.json") && message.contains("alpine.tar"),
        "{message}"
    );
}

/// Writes an OCI index document as a blob and returns its descriptor.
fn index_blob(dir: &Path, manifests: Vec<Value>) -> Value {
    let bytes = serde_json::to_vec(&json!({"schemaVersion": 2, "manifests": manifests})).unwrap();
    let digest = write_blob(dir, &bytes);
    json!({"mediaType": "application/vnd.oci.image.index.v1+json", "digest": digest, "size": bytes.len()})
}

/// The Alpine layout with index.json replaced by a chain of nested
/// indexes `depth` levels deep, each listing the one below `fan_out` times.
fn nested_layout(depth: usize, fan_out: usize) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    let manifest_digest = RealImage::alpine().write_layout(dir.path(), "nested");
    let manifest_len = fs::read(
        dir.path()
            .join("blobs/sha256")
            .join(manifest_digest.trim_start_matches("sha256:")),
    )
    .unwrap()
    .len();
    let mut descriptor = json!({
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "digest": manifest_digest,
        "size": manifest_len,
    });
    for _ in 0..depth {
        descriptor = index_blob(dir.path(), vec![descriptor; fan_out]);
    }
    let index = json!({"schemaVersion": 2, "manifests": vec![descriptor; fan_out]});
    fs::write(
        dir.path().join("index.json"),
        serde_json::to_vec(&index).unwrap(),
    )
    .unwrap();
    dir
}

#[test]
fn nested_index_fan_out_bounded() {
    // Four levels of indexes that each list the next one 40 times would
    // expand to 40^5 descriptors if every reference were followed.
    let dir = nested_layout(4, 40);
    let image = open(&format!("oci:{}", dir.path().display()), &Limits::default()).expect("nested");
    let view = scan_layers(&image, &Limits::default(), &Capture);
    assert!(view.layer_errors.is_empty(), "{}", problems(&view));
    assert_eq!(
        final_files(&view),
        stacked_files(&RealImage::alpine().layers)
    );
}

#[test]
fn nested_index_too_deep_rejected() {
    let dir = nested_layout(6, 1);
    let error =
        open(&format!("oci:{}", dir.path().display()), &Limits::default()).expect_err("too deep");
    let message = error.to_string();
    assert!(
        matches!(error, ImageError::InvalidMetadata { .. }),
        "{message}"
    );
    assert!(message.contains("nested"), "{message}");
}

#[test]
fn self_referencing_index_rejected() {
    // A blob stored under digest D that lists D: content addressing makes
    // a real loop impossible, so the digest check must catch it.
    let dir = tempfile::tempdir().unwrap();
    RealImage::alpine().write_layout(dir.path(), "loop");
    let fake = format!("sha256:{}", "ab".repeat(32));
    let looping = json!({"schemaVersion": 2, "manifests": [
        {"mediaType": "application/vnd.oci.image.index.v1+json", "digest": fake, "size": 100}
    ]});
    fs::write(
        dir.path().join("blobs/sha256").join("ab".repeat(32)),
        serde_json::to_vec(&looping).unwrap(),
    )
    .unwrap();
    fs::write(
        dir.path().join("index.json"),
        serde_json::to_vec(&looping).unwrap(),
    )
    .unwrap();
    let error =
        open(&format!("oci:{}", dir.path().display()), &Limits::default()).expect_err("loop");
    let message = error.to_string();
    assert!(
        matches!(error, ImageError::DigestMismatch { .. }),
        "{message}"
    );
    assert!(message.contains(&"ab".repeat(32)), "{message}");
}

#[test]
fn invalid_whiteout_names_ignored() {
    let bins = RealImage::bins();
    let base = decompress(&bins.layers[0]);
    let mut upper = TarWriter::new();
    upper
        .file(".wh.", b"")
        .file(".wh..", b"")
        .file(".wh...", b"")
        .file("src/.wh...", b"")
        .file("src/rust-app/.wh..", b"");
    let work = work_dir();
    let view = scan_in(
        work.path(),
        &image_from_tars(vec![base.clone(), upper.finish()]),
        &Limits::default(),
    );
    assert!(view.layer_errors.is_empty(), "{}", problems(&view));
    let invalid = view
        .warnings
        .iter()
        .filter(|(_, w)| w.contains("invalid whiteout"))
        .count();
    assert_eq!(invalid, 5, "{}", problems(&view));
    assert_eq!(final_files(&view), stacked_files(&[base]));
    assert!(!view.tree.keys().any(|p| p.contains(".wh.")));
}

#[test]
fn opaque_root_hides_lower_layers() {
    let bins = RealImage::bins();
    let lower = decompress(&bins.layers[0]);
    let upper_real = decompress(&bins.layers[1]);
    for marker in [".wh..wh..opq", "./.wh..wh..opq", "/.wh..wh..opq"] {
        let mut upper = TarWriter::new();
        upper.copy_entries(&layer_entries(&upper_real));
        upper.file(marker, b"");
        let work = work_dir();
        let view = scan_in(
            work.path(),
            &image_from_tars(vec![lower.clone(), upper.finish()]),
            &Limits::default(),
        );
        assert!(
            view.layer_errors.is_empty(),
            "{marker}: {}",
            problems(&view)
        );
        assert_eq!(
            final_files(&view),
            stacked_files(std::slice::from_ref(&upper_real)),
            "{marker}"
        );
        assert!(view.tree.values().all(|n| n.layer == 1), "{marker}");
        // Every file of the lower layer still ships in the image, hidden.
        assert_eq!(
            view.hidden.len(),
            stacked_files(std::slice::from_ref(&lower)).len(),
            "{marker}"
        );
    }
}

#[test]
fn opaque_dir_applies_before_entries() {
    // The OCI layer spec example: `a/b` is replaced with `a/b/c/foo`, and
    // the opaque marker may come before or after the new entries.
    let alpine = RealImage::alpine();
    let content = layer_entries(&alpine.layers[0])
        .into_iter()
        .find(|e| clean(&e.path) == "etc/alpine-release")
        .unwrap()
        .data;
    let mut base = TarWriter::new();
    base.dir("a/")
        .dir("a/b/")
        .dir("a/b/c/")
        .file("a/b/c/bar", &content)
        .file("keep", &content);
    let base = base.finish();
    let mut first = TarWriter::new();
    first
        .dir("a/")
        .file("a/.wh..wh..opq", b"")
        .dir("a/b/")
        .dir("a/b/c/")
        .file("a/b/c/foo", &content);
    let mut last = TarWriter::new();
    last.dir("a/")
        .dir("a/b/")
        .dir("a/b/c/")
        .file("a/b/c/foo", &content)
        .file("a/.wh..wh..opq", b"");
    for upper in [first.finish(), last.finish()] {
        let work = work_dir();
        let view = scan_in(
            work.path(),
            &image_from_tars(vec![base.clone(), upper]),
            &Limits::default(),
        );
        assert!(view.layer_errors.is_empty(), "{}", problems(&view));
        let files: Vec<String> = final_files(&view).into_keys().collect();
        assert_eq!(files, vec!["a/b/c/foo".to_owned(), "keep".to_owned()]);
    }
}

#[test]
fn whiteout_does_not_hide_same_layer() {
    let bins = RealImage::bins();
    let lower = decompress(&bins.layers[0]);
    let victim = stacked_files(std::slice::from_ref(&lower))
        .into_keys()
        .next()
        .unwrap();
    let (parent, name) = victim.rsplit_once('/').unwrap();
    let mut upper = TarWriter::new();
    upper.file("new.txt", b"new").file(".wh.new.txt", b"");
    upper.file(&format!("{parent}/.wh.{name}"), b"");
    let work = work_dir();
    let view = scan_in(
        work.path(),
        &image_from_tars(vec![lower, upper.finish()]),
        &Limits::default(),
    );
    assert!(view.layer_errors.is_empty(), "{}", problems(&view));
    assert!(
        view.tree.contains_key("new.txt"),
        "a whiteout applies to lower layers only"
    );
    assert!(!view.tree.contains_key(&victim), "{victim} is deleted");
}

#[test]
fn duplicate_entry_last_wins() {
    // A layer that writes etc/os-release and then replaces it with a link
    // in the same archive: the first content must not survive.
    let alpine = RealImage::alpine();
    let entries = layer_entries(&alpine.layers[0]);
    let release = entries
        .iter()
        .find(|e| clean(&e.path) == "etc/os-release")
        .unwrap();
    let mut layer = TarWriter::new();
    layer.dir("etc/").dir("usr/").dir("usr/lib/");
    layer.file("etc/os-release", b"ID=forged\nVERSION_ID=0.0\n");
    layer.file("usr/lib/os-release", &release.data);
    layer.symlink("etc/os-release", "../usr/lib/os-release");
    let work = work_dir();
    let view = scan_in(
        work.path(),
        &image_from_tars(vec![layer.finish()]),
        &Limits::default(),
    );
    assert!(view.layer_errors.is_empty(), "{}", problems(&view));
    assert!(matches!(
        view.tree["etc/os-release"].kind,
        NodeKind::Symlink(_)
    ));
    assert!(
        !view.outputs.contains_key("etc/os-release"),
        "stale forged content"
    );
    let resolved = view.resolve("etc/os-release").unwrap();
    assert_eq!(view.outputs[&resolved].last().unwrap().1, release.data);
}

#[test]
fn file_replaced_by_directory() {
    let mut lower = TarWriter::new();
    lower.file("x", b"was a file");
    let mut upper = TarWriter::new();
    upper.dir("x/").file("x/y", b"child");
    let work = work_dir();
    let view = scan_in(
        work.path(),
        &image_from_tars(vec![lower.finish(), upper.finish()]),
        &Limits::default(),
    );
    assert!(view.layer_errors.is_empty(), "{}", problems(&view));
    assert_eq!(view.tree["x"].kind, NodeKind::Dir);
    assert!(!view.outputs.contains_key("x"), "the file's output is gone");
    assert!(
        view.hidden
            .iter()
            .any(|(p, layer, c)| p == "x" && *layer == 0 && c == b"was a file")
    );
}

#[test]
fn implicit_directory_replaced_by_link() {
    // `a/b` creates the directory `a` without an entry for it; a later
    // entry turns `a` into a symlink, which removes what was under it.
    let mut layer = TarWriter::new();
    layer.file("a/b", b"under a").symlink("a", "/tmp");
    let mut upper = TarWriter::new();
    upper.file("c/d", b"under c");
    let mut top = TarWriter::new();
    top.symlink("c", "/tmp");
    let work = work_dir();
    let view = scan_in(
        work.path(),
        &image_from_tars(vec![layer.finish(), upper.finish(), top.finish()]),
        &Limits::default(),
    );
    assert!(view.layer_errors.is_empty(), "{}", problems(&view));
    assert!(!view.tree.contains_key("a/b"));
    assert!(!view.tree.contains_key("c/d"));
    assert!(!view.outputs.contains_key("a/b"));
    assert!(!view.outputs.contains_key("c/d"));
}

#[test]
fn scalibr_symlink_attack_stays_in_root() {
    let images = "osv-scalibr/artifact/image/layerscanning/image/testdata";
    let work = work_dir();
    support::unpack(
        "scan/osv-scalibr/artifact-image-testdata.tar.gz",
        &[&format!("{images}/symlink-attack.tar")],
        work.path(),
    );
    // secret.txt where `../../secret.txt` would land if links were followed
    // on the host.
    let secret = b"host secret, never read";
    let image_dir = work.path().join(images);
    for up in [
        image_dir.clone(),
        image_dir.parent().unwrap().to_owned(),
        work.path().to_owned(),
    ] {
        fs::write(up.join("secret.txt"), secret).unwrap();
    }
    let view = scan(
        image_dir.join("symlink-attack.tar").to_str().unwrap(),
        &Limits::default(),
    );
    assert!(view.layer_errors.is_empty(), "{}", problems(&view));
    for link in [
        "dir1/attack-symlink.txt",
        "dir1/attack-symlink-absolute.txt",
    ] {
        assert_eq!(view.resolve(link).as_deref(), Some("secret.txt"), "{link}");
        assert!(!view.is_file(link), "{link}");
    }
    assert!(!view.outputs.values().flatten().any(|(_, c)| c == secret));
}

#[test]
fn scalibr_escape_tar_stays_in_root() {
    let unpack = "osv-scalibr/artifact/image/unpack/testdata";
    let work = work_dir();
    support::unpack(
        "scan/osv-scalibr/artifact-image-testdata.tar.gz",
        &[&format!("{unpack}/escape.tar")],
        work.path(),
    );
    let tmp_poc = Path::new("/tmp/poc.txt");
    let before = fs::symlink_metadata(tmp_poc).ok().map(|m| m.len());
    let listing = list_tree(work.path());

    let view = scan(
        work.path()
            .join(unpack)
            .join("escape.tar")
            .to_str()
            .unwrap(),
        &Limits::default(),
    );
    assert!(view.layer_errors.is_empty(), "{}", problems(&view));
    // `escape` climbs through `trampoline -> .` and eleven `..` to /tmp:
    // inside the root that is `tmp`, and poc.txt is not there.
    assert_eq!(view.resolve("escape").as_deref(), Some("tmp"));
    assert_eq!(
        view.resolve("usr/share/doc/c/copyright").as_deref(),
        Some("tmp/poc.txt")
    );
    assert!(!view.is_file("usr/share/doc/c/copyright"));
    // The `escape` link replaced the directory that held poc.txt.
    assert!(!view.tree.contains_key("escape/poc.txt"));
    assert_eq!(list_tree(work.path()), listing);
    assert_eq!(fs::symlink_metadata(tmp_poc).ok().map(|m| m.len()), before);
}

#[test]
fn symlink_chain_limit() {
    let mut layer = TarWriter::new();
    layer.file("target", b"end of chain");
    for i in 1..=41 {
        let previous = if i == 1 {
            "target".to_owned()
        } else {
            format!("link{}", i - 1)
        };
        layer.symlink(&format!("link{i}"), &previous);
    }
    let work = work_dir();
    let view = scan_in(
        work.path(),
        &image_from_tars(vec![layer.finish()]),
        &Limits::default(),
    );
    assert_eq!(view.resolve("link40").as_deref(), Some("target"));
    assert!(view.is_file("link40"));
    assert_eq!(view.resolve("link41"), None);
    assert!(!view.is_file("link41"));
}

#[test]
fn layout_blob_symlink_not_followed() {
    let work = work_dir();
    let alpine = RealImage::alpine();
    let layout = work.path().join("image");
    fs::create_dir(&layout).unwrap();
    alpine.write_layout(&layout, "linked");
    // The layer blob becomes a link to a copy outside the layout.
    let outside_copy = work.path().join("outside/layer");
    let blob = layout
        .join("blobs/sha256")
        .join(sha256_hex(&alpine.layers[0]));
    fs::rename(&blob, &outside_copy).unwrap();
    std::os::unix::fs::symlink(&outside_copy, &blob).unwrap();

    let view = scan(
        &format!("oci:{}:linked", layout.display()),
        &Limits::default(),
    );
    assert_eq!(view.layer_errors.len(), 1, "{}", problems(&view));
    let message = view.layer_errors[0].1.to_string();
    assert!(message.contains("not a regular file"), "{message}");
    assert!(view.tree.is_empty());

    // index.json as a link.
    let index = layout.join("index.json");
    let moved = work.path().join("outside/index.json");
    fs::rename(&index, &moved).unwrap();
    std::os::unix::fs::symlink(&moved, &index).unwrap();
    let error =
        open(&format!("oci:{}", layout.display()), &Limits::default()).expect_err("linked index");
    assert!(error.to_string().contains("index.json"), "{error}");
}

#[test]
fn docker_archive_members_stay_in_archive() {
    let alpine = RealImage::alpine();
    let plain = alpine.with_layers(alpine.layer_tars(), vec![TAR_LAYER.into()]);
    let archive = plain.docker_archive("alpine:3.19.4");
    let config_name = layer_entries(&archive)
        .into_iter()
        .find(|e| e.path.ends_with(".json") && e.path != "manifest.json")
        .unwrap()
        .path;

    let work = work_dir();
    fs::write(
        work.path().join("outside/layer.tar"),
        decompress(&alpine.layers[0]),
    )
    .unwrap();
    let build = |layers: Vec<&str>, extra: &dyn Fn(&mut TarWriter)| {
        let mut tar = TarWriter::new();
        for entry in layer_entries(&archive) {
            if entry.path != "manifest.json" {
                tar.copy_entries(&[entry]);
            }
        }
        extra(&mut tar);
        let manifest = json!([{"Config": config_name, "RepoTags": ["x:y"], "Layers": layers}]);
        tar.file("manifest.json", &serde_json::to_vec(&manifest).unwrap());
        tar.finish()
    };

    // A member that climbs out, and a layer.tar that links out of the archive.
    let with_escapes = build(vec!["evil/layer.tar"], &|tar| {
        tar.file("../../outside/member.txt", b"escaped");
        tar.symlink("evil/layer.tar", "../../../outside/layer.tar");
    });
    let path = work.path().join("escapes.tar");
    fs::write(&path, with_escapes).unwrap();
    let before = list_tree(work.path());
    let error =
        open(path.to_str().unwrap(), &Limits::default()).expect_err("link leaves the archive");
    let message = error.to_string();
    assert!(matches!(error, ImageError::MissingBlob { .. }), "{message}");
    assert!(
        message.contains("evil/layer.tar") || message.contains("outside/layer.tar"),
        "{message}"
    );
    assert_eq!(list_tree(work.path()), before);

    // A manifest whose layer path climbs out.
    let climbing = build(vec!["../outside/layer.tar"], &|_| {});
    let path = work.path().join("climbing.tar");
    fs::write(&path, climbing).unwrap();
    let error = open(path.to_str().unwrap(), &Limits::default()).expect_err("layer path with ..");
    let message = error.to_string();
    assert!(
        matches!(error, ImageError::InvalidMetadata { .. }),
        "{message}"
    );
    assert!(
        message.contains("climbing.tar") && message.contains(".."),
        "{message}"
    );
}

#[test]
fn garbage_file_rejected() {
    let work = work_dir();
    // The real Alpine blob with its gzip magic broken: neither compressed
    // nor a tar archive.
    let mut garbage = RealImage::alpine().layers[0].clone();
    garbage[0] = b'X';
    let path = work.path().join("garbage.bin");
    fs::write(&path, &garbage).unwrap();
    let error = open(path.to_str().unwrap(), &Limits::default()).expect_err("garbage");
    let message = error.to_string();
    assert!(
        matches!(error, ImageError::UnknownFormat { .. }),
        "{message}"
    );
    assert!(message.contains("garbage.bin"), "{message}");

    // The same bytes named as each archive kind.
    for prefix in ["docker-archive", "oci-archive"] {
        let error =
            open(&format!("{prefix}:{}", path.display()), &Limits::default()).expect_err(prefix);
        assert!(
            error.to_string().contains("garbage.bin"),
            "{prefix}: {error}"
        );
    }
}

#[test]
fn directory_scan_does_not_follow_links() {
    let work = work_dir();
    let secret = b"outside the scanned tree";
    fs::write(work.path().join("outside/secret"), secret).unwrap();
    let root = work.path().join("rootfs");
    fs::create_dir_all(root.join("etc")).unwrap();
    let alpine = RealImage::alpine();
    let release = layer_entries(&alpine.layers[0])
        .into_iter()
        .find(|e| clean(&e.path) == "etc/os-release")
        .unwrap();
    fs::write(root.join("etc/os-release"), &release.data).unwrap();
    std::os::unix::fs::symlink(work.path().join("outside/secret"), root.join("etc/shadow"))
        .unwrap();
    std::os::unix::fs::symlink(work.path().join("outside"), root.join("mnt")).unwrap();

    let view = bulwark_image::scan_directory(&root, &Limits::default(), &Capture).unwrap();
    assert!(view.layer_errors.is_empty(), "{}", problems(&view));
    assert!(matches!(view.tree["etc/shadow"].kind, NodeKind::Symlink(_)));
    assert!(!view.tree.contains_key("mnt/secret"));
    assert!(!view.outputs.values().flatten().any(|(_, c)| c == secret));
    assert_eq!(
        view.outputs["etc/os-release"].last().unwrap().1,
        release.data
    );
    let mut names: BTreeMap<String, ()> = BTreeMap::new();
    for path in view.tree.keys() {
        names.insert(path.clone(), ());
    }
    assert_eq!(names.len(), 4, "{:?}", view.tree.keys().collect::<Vec<_>>());
}

#[test]
fn oversized_file_skipped_not_buffered() {
    let alpine = RealImage::alpine();
    let limits = Limits {
        max_file_bytes: 64 << 10,
        ..Limits::default()
    };
    let view = scan(
        &format!("oci:{}:3.19.4", support::alpine_layout().display()),
        &limits,
    );
    assert!(view.layer_errors.is_empty(), "{}", problems(&view));
    let expected = stacked_files(&alpine.layers);
    let (big, small): (Vec<_>, Vec<_>) = expected
        .iter()
        .partition(|(_, c)| c.len() as u64 > limits.max_file_bytes);
    assert!(!big.is_empty() && !small.is_empty());
    for (path, _) in &big {
        assert!(view.tree.contains_key(*path), "{path} is still listed");
        assert!(!view.outputs.contains_key(*path), "{path} was not read");
        assert!(
            view.warnings
                .iter()
                .any(|(_, w)| w.contains(path.as_str()) && w.contains("per-file limit")),
            "{path}: {}",
            problems(&view)
        );
    }
    for (path, content) in &small {
        assert_eq!(&view.outputs[*path].last().unwrap().1, *content, "{path}");
    }
}

#[test]
fn entry_under_symlink_loop_skipped() {
    let mut layer = TarWriter::new();
    layer.symlink("loop1", "loop2").symlink("loop2", "/loop1");
    layer.file("loop1/x", b"under a loop").file("ok", b"fine");
    let work = work_dir();
    let view = scan_in(
        work.path(),
        &image_from_tars(vec![layer.finish()]),
        &Limits::default(),
    );
    assert!(view.layer_errors.is_empty(), "{}", problems(&view));
    assert!(
        !view.tree.keys().any(|p| p.ends_with("/x")),
        "{:?}",
        view.tree.keys().collect::<Vec<_>>()
    );
    assert!(
        view.warnings
            .iter()
            .any(|(_, w)| w.contains("loop1/x") && w.contains("loop")),
        "{}",
        problems(&view)
    );
    assert_eq!(view.outputs["ok"].last().unwrap().1, b"fine");
}
