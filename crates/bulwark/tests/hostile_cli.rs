//! `bulwark sbom` on damaged and hostile images derived from the committed
//! Alpine 3.19 layout and the trivy corpus. A partial scan exits 2 and names
//! the broken file on stderr. Nothing is written outside the temporary
//! directories the command is given.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// File name (the digest) of the one layer blob of the committed Alpine layout.
const ALPINE_LAYER: &str = "a2a87004e87720cbb0372c08b7de9b80748afdfd7fd72d2eab2ec0b074b92211";

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn corpus() -> PathBuf {
    repo_root().join("../shared/corpus")
}

/// Runs `bulwark sbom ARGS` with its working directory and `TMPDIR` set to
/// directories of `work`, which must stay empty.
fn sbom(work: &Path, args: &[&str]) -> Output {
    let cwd = work.join("cwd");
    let tmp = work.join("tmp");
    fs::create_dir_all(&cwd).unwrap();
    fs::create_dir_all(&tmp).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_bulwark"))
        .arg("sbom")
        .args(args)
        .current_dir(&cwd)
        .env("TMPDIR", &tmp)
        .env_remove("BULWARK_LOG")
        .output()
        .expect("run bulwark");
    for dir in [&cwd, &tmp] {
        let left: Vec<_> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert!(
            left.is_empty(),
            "bulwark left files in {}: {left:?}",
            dir.display()
        );
    }
    output
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Copies the committed Alpine layout into `dir` with writable files.
fn copy_alpine(dir: &Path) -> PathBuf {
    let source = repo_root().join("testdata/images/alpine-3.19");
    let layout = dir.join("alpine-3.19");
    fs::create_dir_all(layout.join("blobs/sha256")).unwrap();
    for name in ["index.json", "oci-layout"] {
        fs::copy(source.join(name), layout.join(name)).unwrap();
    }
    for entry in fs::read_dir(source.join("blobs/sha256")).unwrap() {
        let entry = entry.unwrap();
        fs::copy(
            entry.path(),
            layout.join("blobs/sha256").join(entry.file_name()),
        )
        .unwrap();
    }
    layout
}

#[test]
fn truncated_layer_exits_2() {
    let work = tempfile::tempdir().unwrap();
    let layout = copy_alpine(work.path());
    let blob = layout.join("blobs/sha256").join(ALPINE_LAYER);
    let length = fs::metadata(&blob).unwrap().len();
    fs::OpenOptions::new()
        .write(true)
        .open(&blob)
        .unwrap()
        .set_len(length / 3)
        .unwrap();

    let output = sbom(work.path(), &[&format!("oci:{}:3.19.4", layout.display())]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let message = stderr(&output);
    assert!(message.contains("corrupt layer"), "{message}");
    assert!(
        message.contains(&format!("blobs/sha256/{ALPINE_LAYER}")),
        "{message}"
    );
}

#[test]
fn layer_over_size_limit_exits_2() {
    let work = tempfile::tempdir().unwrap();
    let layout = repo_root().join("testdata/images/alpine-3.19");
    let output = sbom(
        work.path(),
        &["--max-layer-size", "1", layout.to_str().unwrap()],
    );
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let message = stderr(&output);
    assert!(message.contains("expands past the limit"), "{message}");
    assert!(message.contains("1048576 bytes"), "{message}");
    assert!(message.contains(ALPINE_LAYER), "{message}");
}

#[test]
fn tampered_layer_exits_2() {
    let work = tempfile::tempdir().unwrap();
    let layout = copy_alpine(work.path());
    let blob = layout.join("blobs/sha256").join(ALPINE_LAYER);
    let mut bytes = fs::read(&blob).unwrap();
    // The gzip MTIME field: same content, different blob digest.
    bytes[4] ^= 0x01;
    fs::write(&blob, bytes).unwrap();

    let output = sbom(work.path(), &["--format", "json", layout.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let message = stderr(&output);
    assert!(message.contains("digest mismatch"), "{message}");
    assert!(message.contains(ALPINE_LAYER), "{message}");
    // The tampered layer contributes no packages.
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json report");
    assert!(
        !String::from_utf8_lossy(&output.stdout).contains("busybox"),
        "{report}"
    );
}

#[test]
fn garbage_file_exits_2() {
    let work = tempfile::tempdir().unwrap();
    let mut bytes = fs::read(
        repo_root()
            .join("testdata/images/alpine-3.19/blobs/sha256")
            .join(ALPINE_LAYER),
    )
    .unwrap();
    bytes[0] = b'X';
    let path = work.path().join("not-an-image.bin");
    fs::write(&path, bytes).unwrap();
    let output = sbom(work.path(), &[path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let message = stderr(&output);
    assert!(message.contains("not-an-image.bin"), "{message}");
    assert!(message.contains("not a supported image"), "{message}");
}

/// Appends one ustar entry to `out`.
fn tar_entry(out: &mut Vec<u8>, name: &str, typeflag: u8, link: &str, data: &[u8]) {
    let mut header = [0u8; 512];
    header[..name.len()].copy_from_slice(name.as_bytes());
    header[100..108].copy_from_slice(b"0000644\0");
    header[108..116].copy_from_slice(b"0000000\0");
    header[116..124].copy_from_slice(b"0000000\0");
    header[124..136].copy_from_slice(format!("{:011o}\0", data.len()).as_bytes());
    header[136..148].copy_from_slice(b"00000000000\0");
    header[156] = typeflag;
    header[157..157 + link.len()].copy_from_slice(link.as_bytes());
    header[257..265].copy_from_slice(b"ustar\x0000");
    header[148..156].copy_from_slice(b"        ");
    let sum: u32 = header.iter().map(|&b| u32::from(b)).sum();
    header[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    out.extend_from_slice(&header);
    out.extend_from_slice(data);
    out.resize(out.len().div_ceil(512) * 512, 0);
}

#[test]
fn traversal_entries_write_nothing() {
    let work = tempfile::tempdir().unwrap();
    let outside = work.path().join("outside");
    fs::create_dir(&outside).unwrap();
    // Any real file serves as the payload; this one is the committed index.
    let payload = fs::read(repo_root().join("testdata/images/alpine-3.19/index.json")).unwrap();
    let outside_text = outside.display().to_string();
    let mut rootfs = Vec::new();
    tar_entry(
        &mut rootfs,
        "../../outside/escaped.json",
        b'0',
        "",
        &payload,
    );
    tar_entry(
        &mut rootfs,
        &format!("{outside_text}/absolute.json"),
        b'0',
        "",
        &payload,
    );
    tar_entry(&mut rootfs, "evil", b'2', &outside_text, b"");
    tar_entry(&mut rootfs, "evil/through-link.json", b'0', "", &payload);
    tar_entry(&mut rootfs, "shadow", b'1', "../../etc/shadow", b"");
    rootfs.resize(rootfs.len() + 1024, 0);
    let path = work.path().join("rootfs.tar");
    fs::write(&path, rootfs).unwrap();

    let output = sbom(work.path(), &[path.to_str().unwrap()]);
    // Skipped entries are warnings: the scan itself is complete.
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(report.contains("'..'"), "{report}");
    assert!(report.contains("leaves the root"), "{report}");
    let written: Vec<_> = fs::read_dir(&outside).unwrap().collect();
    assert!(written.is_empty(), "files appeared outside: {written:?}");
}

#[test]
fn compressed_archive_spool_removed() {
    // trivy's alpine-310.tar.gz is a gzip-compressed docker archive, which
    // the reader decompresses into TMPDIR and must delete afterwards.
    let work = tempfile::tempdir().unwrap();
    let member = "trivy/pkg/fanal/test/testdata/alpine-310.tar.gz";
    let status = Command::new("tar")
        .arg("-xzf")
        .arg(corpus().join("scan/trivy/fanal-test-images-and-goldens.tar.gz"))
        .arg("-C")
        .arg(work.path())
        .arg(member)
        .status()
        .expect("run tar");
    assert!(status.success());
    let archive = work.path().join(member);
    let output = sbom(
        work.path(),
        &["--format", "json", archive.to_str().unwrap()],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(report.contains("musl"), "{report}");
}
