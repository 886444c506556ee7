//! Every image format the reader accepts, read from real images: the
//! committed Alpine 3.19 layout and the `bins` layout re-packed by code into
//! the other formats, and the test images of go-containerregistry, trivy and
//! osv-scalibr. The expected final filesystem comes from reading the layer
//! tars directly with the `tar` crate, or from the fixture's documented
//! intent where layers delete files.

mod support;

use std::fs;

use bulwark_image::{
    ImageError, Limits, NodeKind, Target, open_image, scan_directory, scan_layers,
};
use support::{
    Capture, RealImage, final_files, final_symlinks, ggcr, gzip, layer_entries, open, problems,
    scan, stacked_files, stacked_symlinks, tar_dir, unpack_temp, zstd,
};

const ZSTD_LAYER: &str = "application/vnd.oci.image.layer.v1.tar+zstd";
const TAR_LAYER: &str = "application/vnd.oci.image.layer.v1.tar";

/// Asserts that `target` reads back exactly the files and symlinks of
/// `image`, with verified diff ids and no warnings.
fn assert_same_filesystem(target: &str, image: &RealImage) {
    let limits = Limits::default();
    let view = scan(target, &limits);
    assert!(
        view.layer_errors.is_empty(),
        "{target}: {}",
        problems(&view)
    );
    assert!(view.warnings.is_empty(), "{target}: {}", problems(&view));
    let expected = stacked_files(&image.layers);
    let files = final_files(&view);
    assert_eq!(files.len(), expected.len(), "{target}: file count");
    for (path, content) in &expected {
        let got = files
            .get(path)
            .unwrap_or_else(|| panic!("{target}: {path} missing"));
        assert!(got == content, "{target}: content of {path} differs");
    }
    assert_eq!(
        final_symlinks(&view),
        stacked_symlinks(&image.layers),
        "{target}: symlinks"
    );
    let diff_ids: Vec<Option<String>> = view
        .diff_ids
        .iter()
        .map(|d| d.as_ref().map(|d| d.to_string()))
        .collect();
    let expected_ids: Vec<Option<String>> = image.diff_ids().into_iter().map(Some).collect();
    assert_eq!(diff_ids, expected_ids, "{target}: diff ids");
}

#[test]
fn alpine_layout_reads_every_file() {
    let image = RealImage::alpine();
    let target = format!("oci:{}:3.19.4", support::alpine_layout().display());
    assert_same_filesystem(&target, &image);

    let view = scan(&target, &Limits::default());
    assert_eq!(view.resolve("bin/sh").as_deref(), Some("bin/busybox"));
    assert!(view.is_file("bin/sh"));
    let os_release = view.resolve("etc/os-release").expect("resolve os-release");
    let content = &view.outputs[&os_release].last().unwrap().1;
    assert!(String::from_utf8_lossy(content).contains("VERSION_ID=3.19.4"));
}

#[test]
fn alpine_layout_detected_without_prefix() {
    let image = RealImage::alpine();
    let path = support::alpine_layout();
    let target = Target::parse(path.to_str().unwrap()).unwrap();
    assert!(matches!(target, Target::OciDir { .. }), "{target:?}");
    assert_same_filesystem(path.to_str().unwrap(), &image);
}

#[test]
fn alpine_as_oci_archive() {
    let image = RealImage::alpine();
    let work = tempfile::tempdir().unwrap();
    let layout = work.path().join("layout");
    fs::create_dir(&layout).unwrap();
    image.write_layout(&layout, "3.19.4");
    let archive = work.path().join("alpine.oci.tar");
    fs::write(&archive, tar_dir(&layout)).unwrap();

    assert_same_filesystem(&format!("oci-archive:{}", archive.display()), &image);
    assert_same_filesystem(&format!("oci-archive:{}:3.19.4", archive.display()), &image);
    assert_same_filesystem(archive.to_str().unwrap(), &image);
}

#[test]
fn alpine_as_docker_archive() {
    let image = RealImage::alpine();
    // `docker save` stores layers uncompressed.
    let plain = image.with_layers(image.layer_tars(), vec![TAR_LAYER.into()]);
    let work = tempfile::tempdir().unwrap();
    let archive = work.path().join("alpine.tar");
    fs::write(&archive, plain.docker_archive("alpine:3.19.4")).unwrap();

    assert_same_filesystem(&format!("docker-archive:{}", archive.display()), &image);
    assert_same_filesystem(archive.to_str().unwrap(), &image);
    let opened = open(
        &format!("docker-archive:{}:3.19.4", archive.display()),
        &Limits::default(),
    )
    .expect("open by tag");
    assert_eq!(opened.repo_tags, vec!["alpine:3.19.4".to_owned()]);
}

#[test]
fn alpine_as_compressed_docker_archive() {
    let image = RealImage::alpine();
    let plain = image.with_layers(image.layer_tars(), vec![TAR_LAYER.into()]);
    let archive = plain.docker_archive("alpine:3.19.4");
    let work = tempfile::tempdir().unwrap();
    for (name, bytes) in [
        ("alpine.tar.gz", gzip(&archive)),
        ("alpine.tar.zst", zstd(&archive)),
    ] {
        let path = work.path().join(name);
        fs::write(&path, bytes).unwrap();
        assert_same_filesystem(&format!("docker-archive:{}", path.display()), &image);
        assert_same_filesystem(path.to_str().unwrap(), &image);
    }
}

#[test]
fn alpine_with_zstd_layer() {
    let image = RealImage::alpine();
    let tars = image.layer_tars();
    let recompressed = image.with_layers(
        tars.iter().map(|t| zstd(t)).collect(),
        vec![ZSTD_LAYER.into()],
    );
    assert_eq!(recompressed.diff_ids(), image.diff_ids());
    let work = tempfile::tempdir().unwrap();
    recompressed.write_layout(work.path(), "zstd");
    assert_same_filesystem(&format!("oci:{}:zstd", work.path().display()), &image);

    // The same zstd layer inside a docker archive.
    let archive = work.path().join("zstd-layers.tar");
    fs::write(&archive, recompressed.docker_archive("alpine:zstd")).unwrap();
    assert_same_filesystem(&format!("docker-archive:{}", archive.display()), &image);
}

#[test]
fn alpine_with_uncompressed_layer() {
    let image = RealImage::alpine();
    let plain = image.with_layers(image.layer_tars(), vec![TAR_LAYER.into()]);
    assert_eq!(plain.diff_ids(), image.diff_ids());
    let work = tempfile::tempdir().unwrap();
    plain.write_layout(work.path(), "plain");
    assert_same_filesystem(&format!("oci:{}:plain", work.path().display()), &image);
}

#[test]
fn alpine_rootfs_tarball_as_one_layer() {
    let path =
        support::corpus().join("scan/alpine-minirootfs/alpine-minirootfs-3.19.4-x86_64.tar.gz");
    let blob = fs::read(&path).unwrap();
    let image = open(path.to_str().unwrap(), &Limits::default()).expect("open rootfs tarball");
    assert_eq!(image.layers.len(), 1);
    assert!(image.config.is_null());
    let view = scan_layers(&image, &Limits::default(), &Capture);
    assert!(view.layer_errors.is_empty(), "{}", problems(&view));
    assert_eq!(
        final_files(&view),
        stacked_files(std::slice::from_ref(&blob))
    );
    assert_eq!(final_symlinks(&view), stacked_symlinks(&[blob]));
}

#[test]
fn bins_layout_stacks_two_layers() {
    let image = RealImage::bins();
    assert_eq!(image.layers.len(), 2);
    let target = format!("oci:{}:bins", support::bins_layout().display());
    assert_same_filesystem(&target, &image);
    let view = scan(&target, &Limits::default());
    let layers: Vec<usize> = view.tree.values().map(|n| n.layer).collect();
    assert!(
        layers.contains(&0) && layers.contains(&1),
        "both layers contribute"
    );
}

#[test]
fn bins_as_docker_and_oci_archives() {
    let image = RealImage::bins();
    let work = tempfile::tempdir().unwrap();
    let docker = work.path().join("bins-docker.tar");
    fs::write(&docker, image.docker_archive("corpus/bins:latest")).unwrap();
    assert_same_filesystem(docker.to_str().unwrap(), &image);

    let layout = work.path().join("layout");
    fs::create_dir(&layout).unwrap();
    image.write_layout(&layout, "bins");
    let oci = work.path().join("bins-oci.tar");
    fs::write(&oci, tar_dir(&layout)).unwrap();
    assert_same_filesystem(oci.to_str().unwrap(), &image);
}

/// Reads one member of a tar archive.
fn archive_member(archive: &std::path::Path, member: &str) -> Vec<u8> {
    let mut tar = tar::Archive::new(fs::File::open(archive).unwrap());
    for entry in tar.entries().unwrap() {
        let mut entry = entry.unwrap();
        if entry.path().unwrap().to_str() == Some(member) {
            let mut data = Vec::new();
            std::io::Read::read_to_end(&mut entry, &mut data).unwrap();
            return data;
        }
    }
    panic!("{member} not in {}", archive.display());
}

#[test]
fn ggcr_single_image_tarballs() {
    let dir = ggcr(&["v1/tarball/testdata/"]);
    let root = dir
        .path()
        .join("go-containerregistry/pkg/v1/tarball/testdata");
    let cases = [
        (
            "test_image_1.tar",
            "555b1001d54ed229f56990845856f080b0707348b26b3aa85aaf58d5570cdee0/layer.tar",
        ),
        (
            "test_image_2.tar",
            "8e17bd53a9cb6d38a0c7d21e8a0f943449f494aa0c3de2425a3dd9be8844a19b/layer.tar",
        ),
        (
            "test_load_manifest.tar",
            "555b1001d54ed229f56990845856f080b0707348b26b3aa85aaf58d5570cdee0/layer.tar",
        ),
    ];
    for (name, layer) in cases {
        let path = root.join(name);
        let blob = archive_member(&path, layer);
        let view = scan(path.to_str().unwrap(), &Limits::default());
        assert!(view.layer_errors.is_empty(), "{name}: {}", problems(&view));
        let files = final_files(&view);
        assert!(!files.is_empty(), "{name}: no files");
        assert_eq!(files, stacked_files(&[blob]), "{name}");
    }
}

#[test]
fn ggcr_bundle_selects_image_by_tag() {
    let dir = ggcr(&["v1/tarball/testdata/"]);
    let root = dir
        .path()
        .join("go-containerregistry/pkg/v1/tarball/testdata");
    let bundle = root.join("test_bundle.tar");
    let one = scan(
        &format!("docker-archive:{}:test_image_1", bundle.display()),
        &Limits::default(),
    );
    let two = scan(
        &format!("docker-archive:{}:test_image_2", bundle.display()),
        &Limits::default(),
    );
    // The bundle contains the same images as the single-image tarballs.
    let single_one = scan(
        root.join("test_image_1.tar").to_str().unwrap(),
        &Limits::default(),
    );
    let single_two = scan(
        root.join("test_image_2.tar").to_str().unwrap(),
        &Limits::default(),
    );
    assert_eq!(final_files(&one), final_files(&single_one));
    assert_eq!(final_files(&two), final_files(&single_two));
    assert_ne!(final_files(&one), final_files(&two));

    // Without a tag the first image in manifest.json is read.
    let first = scan(bundle.to_str().unwrap(), &Limits::default());
    assert_eq!(final_files(&first), final_files(&two));

    let error = open(
        &format!("docker-archive:{}:no-such-tag", bundle.display()),
        &Limits::default(),
    )
    .expect_err("unknown tag");
    let message = error.to_string();
    assert!(matches!(error, ImageError::TagNotFound { .. }), "{message}");
    assert!(
        message.contains("test_image_1") && message.contains("test_image_2"),
        "{message}"
    );
}

#[test]
fn ggcr_linked_layers_resolve() {
    let dir = ggcr(&["v1/tarball/testdata/"]);
    let archive = dir
        .path()
        .join("go-containerregistry/pkg/v1/tarball/testdata/test_link.tar");
    // test_image_3's first layer.tar is a symlink to test_image_1's layer.
    let linked = archive_member(
        &archive,
        "6e77476643c3155b1e9ae07dd5a4c8288bdb6590c131c222b7a3f277dec1e266/layer.tar",
    );
    let top = archive_member(
        &archive,
        "3fe17a762ab6ad87de78c88326e1667b3e6a8924a0eb92a34a2bfeb40f49824d/layer.tar",
    );
    let view = scan(
        &format!("docker-archive:{}:test_image_3", archive.display()),
        &Limits::default(),
    );
    assert!(view.layer_errors.is_empty(), "{}", problems(&view));
    assert_eq!(view.diff_ids.len(), 2);
    assert_eq!(final_files(&view), stacked_files(&[linked.clone(), top]));

    let one = scan(
        &format!("docker-archive:{}:test_image_1", archive.display()),
        &Limits::default(),
    );
    assert_eq!(final_files(&one), stacked_files(&[linked]));
}

#[test]
fn ggcr_docker25_archive_with_oci_index() {
    let dir = ggcr(&["v1/tarball/testdata/"]);
    let archive = dir
        .path()
        .join("go-containerregistry/pkg/v1/tarball/testdata/hello-world-v25.tar");
    let layer = archive_member(
        &archive,
        "blobs/sha256/12660636fe55438cc3ae7424da7ac56e845cdb52493ff9cf949c47a7f57f8b43",
    );
    let image =
        open(archive.to_str().unwrap(), &Limits::default()).expect("open docker 25 archive");
    assert_eq!(
        image.layers[0]
            .digest
            .as_ref()
            .map(|d| d.to_string())
            .as_deref(),
        Some("sha256:12660636fe55438cc3ae7424da7ac56e845cdb52493ff9cf949c47a7f57f8b43"),
        "the blob digest is taken from the blobs/sha256 name and checked"
    );
    let view = scan_layers(&image, &Limits::default(), &Capture);
    assert!(view.layer_errors.is_empty(), "{}", problems(&view));
    let files = final_files(&view);
    assert_eq!(files, stacked_files(&[layer]));
    assert!(files.contains_key("hello"));
}

#[test]
fn ggcr_archives_without_usable_manifest() {
    let dir = ggcr(&["v1/tarball/testdata/"]);
    let root = dir
        .path()
        .join("go-containerregistry/pkg/v1/tarball/testdata");

    // Only the legacy `repositories` file: manifest.json is missing.
    let path = root.join("no_manifest.tar");
    let error = open(path.to_str().unwrap(), &Limits::default()).expect_err("no manifest.json");
    let message = error.to_string();
    assert!(matches!(error, ImageError::MissingBlob { .. }), "{message}");
    assert!(message.contains("manifest.json"), "{message}");
    assert!(message.contains("no_manifest.tar"), "{message}");

    // manifest.json contains `null`.
    let path = root.join("null_manifest.tar");
    let error = open(path.to_str().unwrap(), &Limits::default()).expect_err("null manifest");
    let message = error.to_string();
    assert!(
        matches!(error, ImageError::InvalidMetadata { .. }),
        "{message}"
    );
    assert!(message.contains("null_manifest.tar"), "{message}");
}

#[test]
fn ggcr_layout_index_with_nested_indexes() {
    let dir = ggcr(&["v1/layout/testdata/test_index/"]);
    let layout = dir
        .path()
        .join("go-containerregistry/pkg/v1/layout/testdata/test_index");
    let blob = |hex: &str| fs::read(layout.join("blobs/sha256").join(hex)).unwrap();
    let image_one = stacked_files(&[blob(
        "dc52c6e48a1d51a96047b059f16889bc889c4b4c28f3b36b3f93187f62fc0b2b",
    )]);
    let image_two = stacked_files(&[blob(
        "321460fa87fd42433950b42d04b7aff249f4ed960d43404a9f699886906cc9d3",
    )]);
    assert_ne!(image_one, image_two);
    // Tag 1 is a manifest, 2 a manifest with an unusual descriptor media
    // type, 3 an OCI index and 4 a Docker manifest list, both listing 1.
    for (tag, expected) in [
        ("1", &image_one),
        ("2", &image_two),
        ("3", &image_one),
        ("4", &image_one),
    ] {
        let view = scan(
            &format!("oci:{}:{tag}", layout.display()),
            &Limits::default(),
        );
        assert!(
            view.layer_errors.is_empty(),
            "tag {tag}: {}",
            problems(&view)
        );
        assert_eq!(&final_files(&view), expected, "tag {tag}");
    }
    let untagged = scan(&format!("oci:{}", layout.display()), &Limits::default());
    assert_eq!(final_files(&untagged), image_one);
}

#[test]
fn ggcr_layout_single_images() {
    let dir = ggcr(&["v1/layout/testdata/"]);
    let root = dir
        .path()
        .join("go-containerregistry/pkg/v1/layout/testdata");
    let cases = [
        (
            "test_index_one_image",
            "492b89b9dd3cda4596f94916d17f6901455fb8bd7f4c5a2a90df8d39c90f48a0",
        ),
        (
            "test_gc_index",
            "dc52c6e48a1d51a96047b059f16889bc889c4b4c28f3b36b3f93187f62fc0b2b",
        ),
    ];
    for (name, layer) in cases {
        let layout = root.join(name);
        let blob = fs::read(layout.join("blobs/sha256").join(layer)).unwrap();
        let image = open(&format!("oci:{}", layout.display()), &Limits::default())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let view = scan_layers(&image, &Limits::default(), &Capture);
        assert!(view.layer_errors.is_empty(), "{name}: {}", problems(&view));
        assert_eq!(final_files(&view), stacked_files(&[blob]), "{name}");
    }
}

#[test]
fn ggcr_helm_artifact_rejected() {
    // A Helm chart stored as an OCI artifact: its config is `{}`, so it has
    // no root filesystem to scan.
    let dir = ggcr(&["v1/layout/testdata/test_index_media_type/"]);
    let layout = dir
        .path()
        .join("go-containerregistry/pkg/v1/layout/testdata/test_index_media_type");
    let error =
        open(&format!("oci:{}", layout.display()), &Limits::default()).expect_err("artifact");
    let message = error.to_string();
    assert!(
        matches!(error, ImageError::InvalidMetadata { .. }),
        "{message}"
    );
    assert!(message.contains("test_index_media_type"), "{message}");
    assert!(message.contains("0 diff ids"), "{message}");
}

#[test]
fn ggcr_layout_with_missing_manifest_blob() {
    // The index names a manifest whose blob the layout does not hold.
    let dir = ggcr(&["v1/layout/testdata/test_gc_image_unknown_mediatype/"]);
    let layout = dir
        .path()
        .join("go-containerregistry/pkg/v1/layout/testdata/test_gc_image_unknown_mediatype");
    let error =
        open(&format!("oci:{}", layout.display()), &Limits::default()).expect_err("no blobs");
    let message = error.to_string();
    assert!(matches!(error, ImageError::MissingBlob { .. }), "{message}");
    assert!(
        message.contains("32589985702551b6c56033bb3334432a0a513bf9d6aceda0f67c42b003850720"),
        "{message}"
    );
}

/// Reads the layer blobs of a docker archive, in manifest order.
fn docker_layers(archive: &std::path::Path) -> Vec<Vec<u8>> {
    let manifest: serde_json::Value =
        serde_json::from_slice(&archive_member(archive, "manifest.json")).unwrap();
    manifest[0]["Layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| archive_member(archive, l.as_str().unwrap()))
        .collect()
}

#[test]
fn ggcr_whiteout_removes_lower_file() {
    let dir = ggcr(&["v1/mutate/testdata/"]);
    let archive = dir
        .path()
        .join("go-containerregistry/pkg/v1/mutate/testdata/whiteout_image.tar");
    let layers = docker_layers(&archive);
    // Precondition from the fixture: foo.txt and bar.txt in the base layer,
    // `.wh.foo.txt` in the next one.
    assert!(
        layer_entries(&layers[0])
            .iter()
            .any(|e| e.path == "./foo.txt")
    );
    assert!(
        layer_entries(&layers[1])
            .iter()
            .any(|e| e.path == "./.wh.foo.txt")
    );

    let view = scan(archive.to_str().unwrap(), &Limits::default());
    assert!(view.layer_errors.is_empty(), "{}", problems(&view));
    // go-containerregistry's own test: no path names foo after flattening.
    for path in view.tree.keys() {
        assert!(
            !path.contains("foo"),
            "whiteout or its target surfaced: {path}"
        );
    }
    // The OCI layer spec: the whiteout itself is hidden and the sibling stays.
    assert!(!view.tree.keys().any(|p| p.contains(".wh.")));
    let files = final_files(&view);
    assert_eq!(files.keys().collect::<Vec<_>>(), vec!["bar.txt"]);
    // The deleted file's content is still reported as hidden in layer 0.
    assert!(
        view.hidden
            .iter()
            .any(|(path, layer, _)| path == "foo.txt" && *layer == 0)
    );
}

#[test]
fn ggcr_whiteout_removes_lower_directory() {
    let dir = ggcr(&["v1/mutate/testdata/"]);
    let archive = dir
        .path()
        .join("go-containerregistry/pkg/v1/mutate/testdata/whiteout_dir.tar");
    let view = scan(archive.to_str().unwrap(), &Limits::default());
    assert!(view.layer_errors.is_empty(), "{}", problems(&view));
    // Layers: a/foo, b/bar, .wh.a, a/baz. go-containerregistry's test: no
    // entry is named foo. The spec: `a` is deleted with its children and
    // then recreated by the last layer.
    for path in view.tree.keys() {
        assert_ne!(path.rsplit('/').next(), Some("foo"), "{path}");
    }
    let files: Vec<String> = final_files(&view).into_keys().collect();
    assert_eq!(files, vec!["a/baz".to_owned(), "b/bar".to_owned()]);
    assert_eq!(view.tree["a"].layer, 3, "a is recreated by the last layer");
}

#[test]
fn ggcr_overwritten_file_takes_upper_content() {
    let dir = ggcr(&["v1/mutate/testdata/"]);
    let archive = dir
        .path()
        .join("go-containerregistry/pkg/v1/mutate/testdata/overwritten_file.tar");
    let view = scan(archive.to_str().unwrap(), &Limits::default());
    assert!(view.layer_errors.is_empty(), "{}", problems(&view));
    // foo.txt (content "foo") is replaced by a symlink to bar.txt.
    assert_eq!(
        view.tree["foo.txt"].kind,
        NodeKind::Symlink("bar.txt".into())
    );
    let resolved = view.resolve("foo.txt").unwrap();
    assert_eq!(resolved, "bar.txt");
    let content = &view.outputs[&resolved].last().unwrap().1;
    // go-containerregistry's own test: the content must not contain "foo".
    assert!(!String::from_utf8_lossy(content).contains("foo"));
    assert!(
        !view.outputs.contains_key("foo.txt"),
        "stale content of the replaced file"
    );
}

#[test]
fn ggcr_zstd_rootfs_tarball() {
    let dir = ggcr(&["crane/testdata/"]);
    let root = dir.path().join("go-containerregistry/pkg/crane/testdata");
    let compressed = root.join("content.tar.zst");
    let plain = fs::read(root.join("content.tar")).unwrap();
    let view = scan(compressed.to_str().unwrap(), &Limits::default());
    assert!(view.layer_errors.is_empty(), "{}", problems(&view));
    let files = final_files(&view);
    assert!(!files.is_empty());
    assert_eq!(files, stacked_files(&[plain]));
}

const TRIVY: &str = "scan/trivy/fanal-test-images-and-goldens.tar.gz";
const TRIVY_DATA: &str = "trivy/pkg/fanal/test/testdata";

#[test]
fn trivy_gzip_docker_archives() {
    for name in ["alpine-310.tar.gz", "alpine-311.tar.gz"] {
        let dir = unpack_temp(TRIVY, &[&format!("{TRIVY_DATA}/{name}")]);
        let path = dir.path().join(TRIVY_DATA).join(name);
        // The oracle reads the decompressed archive with the tar crate.
        let plain_archive = support::decompress(&fs::read(&path).unwrap());
        let plain_path = dir.path().join("plain.tar");
        fs::write(&plain_path, &plain_archive).unwrap();
        let layers = docker_layers(&plain_path);
        assert_eq!(layers.len(), 1, "{name}");

        let view = scan(path.to_str().unwrap(), &Limits::default());
        assert!(view.layer_errors.is_empty(), "{name}: {}", problems(&view));
        let files = final_files(&view);
        assert_eq!(files.len(), stacked_files(&layers).len(), "{name}");
        assert_eq!(files, stacked_files(&layers), "{name}");
        let release = view.resolve("etc/alpine-release").unwrap();
        let version =
            String::from_utf8_lossy(&view.outputs[&release].last().unwrap().1).into_owned();
        let expected = if name.contains("310") {
            "3.10."
        } else {
            "3.11."
        };
        assert!(version.starts_with(expected), "{name}: {version}");
    }
}

#[test]
fn trivy_oci_layouts() {
    let dir = unpack_temp(TRIVY, &[&format!("{TRIVY_DATA}/test")]);
    let root = dir.path().join(TRIVY_DATA);
    let layer = fs::read(root.join(
        "test.oci/blobs/sha256/cdd16bd695eda2819e7637648f573c2ca64896c4f7bff9732ac9db734ca3bc2c",
    ))
    .unwrap();
    let expected = stacked_files(&[layer]);
    for target in [
        format!("oci:{}", root.join("test.oci").display()),
        format!("oci:{}:0.0.1", root.join("test_image_tag.oci").display()),
    ] {
        let view = scan(&target, &Limits::default());
        assert!(
            view.layer_errors.is_empty(),
            "{target}: {}",
            problems(&view)
        );
        assert_eq!(final_files(&view), expected, "{target}");
    }
    let error = open(
        &format!("oci:{}:9.9.9", root.join("test_image_tag.oci").display()),
        &Limits::default(),
    )
    .expect_err("unknown tag");
    assert!(error.to_string().contains("0.0.1"), "{error}");
}

#[test]
fn trivy_broken_oci_layouts() {
    let dir = unpack_temp(TRIVY, &[&format!("{TRIVY_DATA}/test_")]);
    let root = dir.path().join(TRIVY_DATA);
    let cases = [
        // index.json contains "foobar".
        ("test_bad_index_json.oci", "index.json"),
        // index.json is a directory.
        ("test_index_json_dir.oci", "index.json"),
        // The only manifest has a digest with no blob.
        (
            "test_invalid_oci_image.oci",
            "bad744871f99e0ff8e6f253244836ed34c5d805fdb096d3a205ffaf5e9073cab",
        ),
        // index.json is `{}`.
        ("test_no_valid_manifests.oci", "index.json"),
    ];
    for (name, named) in cases {
        let layout = root.join(name);
        let error = open(&format!("oci:{}", layout.display()), &Limits::default()).expect_err(name);
        let message = error.to_string();
        assert!(
            message.contains(name),
            "{name}: the error names the layout: {message}"
        );
        assert!(
            message.contains(named),
            "{name}: the error names {named}: {message}"
        );
    }
}

const SCALIBR: &str = "scan/osv-scalibr/artifact-image-testdata.tar.gz";
const SCALIBR_IMAGES: &str = "osv-scalibr/artifact/image/layerscanning/image/testdata";

#[test]
fn scalibr_images_stack_layers() {
    let names = [
        "basic",
        "single-file",
        "two-files",
        "multiple-files",
        "overwrite-file",
    ];
    let dir = unpack_temp(SCALIBR, &[&format!("{SCALIBR_IMAGES}/")]);
    for name in names {
        let path = dir.path().join(SCALIBR_IMAGES).join(format!("{name}.tar"));
        let layers = docker_layers(&path);
        let view = scan(path.to_str().unwrap(), &Limits::default());
        assert!(view.layer_errors.is_empty(), "{name}: {}", problems(&view));
        let files = final_files(&view);
        assert!(!files.is_empty(), "{name}");
        assert_eq!(files, stacked_files(&layers), "{name}");
    }
    // overwrite-file: both layers write sample.txt. The upper content is
    // the latest, and the history keeps both versions, oldest first, so
    // that findings can name the layer that introduced them.
    let path = dir.path().join(SCALIBR_IMAGES).join("overwrite-file.tar");
    let layers = docker_layers(&path);
    let lower = layer_entries(&layers[0])
        .into_iter()
        .find(|e| e.path == "sample.txt")
        .unwrap();
    let upper = layer_entries(&layers[1])
        .into_iter()
        .find(|e| e.path == "sample.txt")
        .unwrap();
    let view = scan(path.to_str().unwrap(), &Limits::default());
    let history = &view.outputs["sample.txt"];
    assert_eq!(history.len(), 2);
    assert_eq!(history[0], (0, lower.data));
    assert_eq!(history[1], (1, upper.data));
}

#[test]
fn scalibr_empty_archive_rejected() {
    let dir = unpack_temp(SCALIBR, &[&format!("{SCALIBR_IMAGES}/empty.tar")]);
    let path = dir.path().join(SCALIBR_IMAGES).join("empty.tar");
    let error = open(path.to_str().unwrap(), &Limits::default()).expect_err("empty archive");
    let message = error.to_string();
    assert!(
        matches!(error, ImageError::UnknownFormat { .. }),
        "{message}"
    );
    assert!(
        message.contains("empty.tar") && message.contains("empty"),
        "{message}"
    );
}

#[test]
fn scalibr_symlinks_resolve_inside_root() {
    let dir = unpack_temp(SCALIBR, &[&format!("{SCALIBR_IMAGES}/symlink-")]);
    let image = |name: &str| dir.path().join(SCALIBR_IMAGES).join(format!("{name}.tar"));

    let view = scan(image("symlink-basic").to_str().unwrap(), &Limits::default());
    let sample = view.outputs["dir1/sample.txt"].last().unwrap().1.clone();
    for link in [
        "absolute-symlink.txt",
        "chain-symlink.txt",
        "relative-dot-symlink.txt",
        "relative-symlink.txt",
    ] {
        let path = format!("dir1/{link}");
        assert_eq!(
            view.resolve(&path).as_deref(),
            Some("dir1/sample.txt"),
            "{path}"
        );
        assert!(view.is_file(&path), "{path}");
    }
    assert!(!sample.is_empty());

    // A chain of seven links is well under the 40-hop limit.
    let view = scan(
        image("symlink-depth-exceeded").to_str().unwrap(),
        &Limits::default(),
    );
    assert_eq!(
        view.resolve("dir1/symlink7.txt").as_deref(),
        Some("dir1/sample.txt")
    );

    // sample.txt -> chain -> absolute -> sample.txt never ends.
    let view = scan(image("symlink-cycle").to_str().unwrap(), &Limits::default());
    for link in [
        "dir1/sample.txt",
        "dir1/chain-symlink.txt",
        "dir1/absolute-symlink.txt",
    ] {
        assert_eq!(view.resolve(link), None, "{link}");
        assert!(!view.is_file(link), "{link}");
    }

    // The links of the lower layer point at a sample.txt that no layer has.
    let view = scan(
        image("symlink-dangling").to_str().unwrap(),
        &Limits::default(),
    );
    assert!(view.layer_errors.is_empty(), "{}", problems(&view));
    for link in [
        "dir1/absolute-symlink.txt",
        "dir1/relative-symlink.txt",
        "dir2/dir3/absolute-chain-symlink.txt",
        "dir2/dir3/relative-subfolder-symlink.txt",
    ] {
        assert_eq!(
            view.resolve(link).as_deref(),
            Some("dir1/sample.txt"),
            "{link}"
        );
        assert!(!view.is_file(link), "{link}");
    }
}

#[test]
fn scalibr_symlinks_across_layers() {
    let unpack = "osv-scalibr/artifact/image/unpack/testdata";
    let dir = unpack_temp(SCALIBR, &[&format!("{unpack}/symlinks.tar")]);
    let view = scan(
        dir.path()
            .join(unpack)
            .join("symlinks.tar")
            .to_str()
            .unwrap(),
        &Limits::default(),
    );
    assert!(view.layer_errors.is_empty(), "{}", problems(&view));
    for link in [
        "dir2/dir3/absolute-chain-symlink.txt",
        "dir2/dir3/absolute-subfolder-symlink.txt",
        "dir2/dir3/absolute-symlink-inside-root.txt",
        "dir2/dir3/relative-subfolder-symlink.txt",
    ] {
        assert_eq!(
            view.resolve(link).as_deref(),
            Some("dir1/sample.txt"),
            "{link}"
        );
        assert!(view.is_file(link), "{link}");
    }
}

#[test]
fn scalibr_permissions_kept() {
    let unpack = "osv-scalibr/artifact/image/unpack/testdata";
    let dir = unpack_temp(SCALIBR, &[&format!("{unpack}/permissions.tar")]);
    let view = scan(
        dir.path()
            .join(unpack)
            .join("permissions.tar")
            .to_str()
            .unwrap(),
        &Limits::default(),
    );
    // sample.txt has mode 0000; the scanner reads it anyway, since nothing
    // is extracted.
    assert_eq!(view.tree["sample.txt"].mode & 0o777, 0);
    assert!(!view.outputs["sample.txt"].last().unwrap().1.is_empty());
}

#[test]
fn directory_scan_matches_layer() {
    // Unpack the real Alpine layer with the tar crate, then scan the tree.
    let image = RealImage::alpine();
    let rootfs = tempfile::tempdir().unwrap();
    let tar_bytes = image.layer_tars().remove(0);
    tar::Archive::new(tar_bytes.as_slice())
        .unpack(rootfs.path())
        .unwrap();
    let view = scan_directory(rootfs.path(), &Limits::default(), &Capture).unwrap();
    assert!(view.layer_errors.is_empty(), "{}", problems(&view));
    assert_eq!(final_files(&view), stacked_files(&image.layers));
    assert_eq!(final_symlinks(&view), stacked_symlinks(&image.layers));
}

#[test]
fn target_parse_picks_format() {
    let work = tempfile::tempdir().unwrap();
    let plain_dir = work.path().join("rootfs");
    fs::create_dir(&plain_dir).unwrap();
    assert_eq!(
        Target::parse(plain_dir.to_str().unwrap()).unwrap(),
        Target::Dir(plain_dir.clone())
    );
    let error = open_image(&Target::Dir(plain_dir), None, &Limits::default()).expect_err("dir");
    assert!(matches!(error, ImageError::InvalidTarget { .. }), "{error}");
}
