//! Hostile inputs for `bulwark scan config`, the secret and misconfig
//! scanners of `scan fs` and `--scan-archives`, through the real binary.
//! Every input is derived from a real file of the shared corpus. The cases
//! are symbolic links out of the scan root, FIFOs and devices, Terraform
//! modules that escape the root or call themselves, and deep YAML or alias
//! bombs. Oversized and invalid UTF-8 files, unterminated heredocs and
//! hostile zip archives follow.
//!
//! The tests set no time limit: a scan that hangs keeps its test from
//! finishing, and the test runner names it as running for a long time.

#[path = "../../bulwark-match/tests/support/mod.rs"]
mod support;

use std::fs;
use std::io::Write;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn realworld() -> PathBuf {
    let dir = support::repo_root().join("../shared/corpus/config/realworld");
    assert!(
        dir.is_dir(),
        "corpus directory {} is missing",
        dir.display()
    );
    dir
}

fn layers() -> PathBuf {
    let dir = support::repo_root().join("../shared/corpus/images/src/layers");
    assert!(
        dir.is_dir(),
        "corpus directory {} is missing",
        dir.display()
    );
    dir
}

fn frontend_manifest() -> String {
    let path =
        realworld().join("k8s-manifests/microservices-demo/kubernetes-manifests/frontend.yaml");
    fs::read_to_string(path).expect("frontend manifest is readable")
}

fn redis_dockerfile() -> String {
    let path = realworld().join("dockerfiles/redis/7.0/debian/Dockerfile");
    fs::read_to_string(path).expect("redis Dockerfile is readable")
}

fn vpc_main_tf() -> String {
    let path = realworld().join("terraform/terraform-aws-vpc/main.tf");
    fs::read_to_string(path).expect("VPC main.tf is readable")
}

/// Exit status and output of one finished run.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs bulwark in `work` with its output in files, so that a full pipe
/// cannot stall it.
fn bulwark(work: &Path, args: &[&str]) -> Run {
    let stdout_path = work.join("bulwark.stdout");
    let stderr_path = work.join("bulwark.stderr");
    let mut child = Command::new(env!("CARGO_BIN_EXE_bulwark"))
        .current_dir(work)
        .args(args)
        .env_remove("BULWARK_SCANNERS")
        .env_remove("BULWARK_FORMAT")
        .env("BULWARK_CACHE_DIR", work.join("cache"))
        .env("SOURCE_DATE_EPOCH", "1790000000")
        .stdin(Stdio::null())
        .stdout(fs::File::create(&stdout_path).expect("stdout file"))
        .stderr(fs::File::create(&stderr_path).expect("stderr file"))
        .spawn()
        .expect("bulwark starts");
    let status = child.wait().expect("wait for bulwark");
    Run {
        code: status.code(),
        stdout: fs::read_to_string(&stdout_path).unwrap_or_default(),
        stderr: fs::read_to_string(&stderr_path).unwrap_or_default(),
    }
}

/// Asserts that the run ended with an exit code (no signal, so no panic
/// abort or stack overflow) other than 101, Rust's panic code.
fn assert_no_crash(run: &Run) {
    let code = run
        .code
        .unwrap_or_else(|| panic!("bulwark was killed by a signal:\n{}", run.stderr));
    assert_ne!(code, 101, "bulwark panicked:\n{}", run.stderr);
    assert!(
        !run.stderr.contains("panicked"),
        "bulwark panicked:\n{}",
        run.stderr
    );
}

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs");
    assert!(status.success(), "mkfifo {} failed", path.display());
}

#[test]
fn symlinks_out_of_root_skipped() {
    let work = tempfile::tempdir().unwrap();
    let outside = work.path().join("outside");
    let root = work.path().join("root");
    fs::create_dir_all(&outside).unwrap();
    fs::create_dir_all(root.join("sub")).unwrap();
    // A privileged copy outside the root must never be read.
    let privileged = frontend_manifest().replace(
        "securityContext:\n",
        "securityContext:\n          privileged: true\n",
    );
    fs::write(outside.join("privileged.yaml"), privileged).unwrap();
    fs::write(root.join("frontend.yaml"), frontend_manifest()).unwrap();
    symlink("/etc/passwd", root.join("passwd.yaml")).unwrap();
    symlink("/etc/passwd", root.join("Dockerfile")).unwrap();
    symlink("../outside/privileged.yaml", root.join("linked.yaml")).unwrap();
    symlink("../outside", root.join("sub/outside-dir")).unwrap();
    symlink("..", root.join("sub/parent")).unwrap();
    symlink("loop", root.join("loop")).unwrap();

    let run = bulwark(work.path(), &["scan", "config", "-f", "json", "root"]);

    assert_no_crash(&run);
    assert_eq!(run.code, Some(1), "stderr:\n{}", run.stderr);
    assert!(run.stdout.contains("frontend.yaml"), "{}", run.stdout);
    assert!(!run.stdout.contains("linked.yaml"), "{}", run.stdout);
    assert!(!run.stdout.contains("outside-dir"), "{}", run.stdout);
    assert!(!run.stdout.contains("passwd"), "{}", run.stdout);
    assert!(!run.stdout.contains("privileged"), "{}", run.stdout);
    assert!(
        run.stderr.contains("symbolic link"),
        "a skipped link is not reported:\n{}",
        run.stderr
    );
    assert!(run.stderr.contains("linked.yaml"), "{}", run.stderr);
}

#[test]
fn secret_scan_ignores_outside_links() {
    let work = tempfile::tempdir().unwrap();
    let outside = work.path().join("outside");
    let root = work.path().join("root");
    fs::create_dir_all(&outside).unwrap();
    fs::create_dir_all(&root).unwrap();
    fs::copy(layers().join("aws-kept.env"), outside.join("aws.env")).unwrap();
    fs::copy(layers().join("id_rsa_kept"), outside.join("id_rsa")).unwrap();
    symlink("../outside/aws.env", root.join("aws.env")).unwrap();
    symlink("../outside", root.join("keys")).unwrap();
    fs::write(root.join("Dockerfile"), redis_dockerfile()).unwrap();

    let run = bulwark(
        work.path(),
        &[
            "scan",
            "fs",
            "--scanners",
            "secret,misconfig",
            "-f",
            "json",
            "root",
        ],
    );

    assert_no_crash(&run);
    assert!(!run.stdout.contains("aws.env"), "{}", run.stdout);
    assert!(!run.stdout.contains("id_rsa"), "{}", run.stdout);
    assert!(run.stdout.contains("Dockerfile"), "{}", run.stdout);
}

#[test]
fn fifo_in_tree_does_not_block() {
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("root");
    fs::create_dir_all(&root).unwrap();
    fs::write(root.join("Dockerfile"), redis_dockerfile()).unwrap();
    for name in ["Dockerfile.pipe", "pipe.yaml", "main.tf", "pipe.env"] {
        mkfifo(&root.join(name));
    }

    let config = bulwark(work.path(), &["scan", "config", "root"]);
    assert_no_crash(&config);
    assert_eq!(config.code, Some(1), "stderr:\n{}", config.stderr);
    assert!(
        config.stderr.contains("pipe.yaml"),
        "a skipped FIFO is not reported:\n{}",
        config.stderr
    );

    let fs_scan = bulwark(
        work.path(),
        &["scan", "fs", "--scanners", "secret,misconfig", "root"],
    );
    assert_no_crash(&fs_scan);
    assert_eq!(fs_scan.code, Some(1), "stderr:\n{}", fs_scan.stderr);
}

#[test]
fn fifo_or_device_as_path_rejected() {
    let work = tempfile::tempdir().unwrap();
    let fifo = work.path().join("deployment.yaml");
    mkfifo(&fifo);

    let run = bulwark(work.path(), &["scan", "config", "deployment.yaml"]);
    assert_no_crash(&run);
    assert_eq!(run.code, Some(2), "stderr:\n{}", run.stderr);
    assert!(run.stderr.contains("deployment.yaml"), "{}", run.stderr);
    assert!(run.stderr.contains("FIFO"), "{}", run.stderr);

    let run = bulwark(work.path(), &["scan", "config", "/dev/zero"]);
    assert_no_crash(&run);
    assert_eq!(run.code, Some(2), "stderr:\n{}", run.stderr);
    assert!(run.stderr.contains("/dev/zero"), "{}", run.stderr);
    assert!(run.stderr.contains("character device"), "{}", run.stderr);
}

#[test]
fn terraform_module_escape_not_followed() {
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("root");
    let module_dir = root.join("envs/prod");
    fs::create_dir_all(&module_dir).unwrap();
    fs::write(
        work.path().join("main.tf"),
        "resource \"aws_s3_bucket\" \"outside\" {\n  bucket = \"outside-the-root\"\n}\n",
    )
    .unwrap();
    let mut main_tf = vpc_main_tf();
    main_tf.push_str("\nmodule \"up\" {\n  source = \"../../..\"\n}\n");
    main_tf.push_str("\nmodule \"absolute\" {\n  source = \"/etc\"\n}\n");
    main_tf.push_str("\nmodule \"far\" {\n  source = \"../../../../../../../../etc\"\n}\n");
    fs::write(module_dir.join("main.tf"), main_tf).unwrap();

    let run = bulwark(work.path(), &["scan", "config", "-f", "json", "root"]);

    assert_no_crash(&run);
    assert!(run.code.is_some_and(|code| code < 2), "{}", run.stderr);
    assert!(!run.stdout.contains("outside-the-root"), "{}", run.stdout);
    assert!(!run.stderr.contains("outside-the-root"), "{}", run.stderr);
}

#[test]
fn terraform_self_calls_stay_bounded() {
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("root");
    fs::create_dir_all(&root).unwrap();
    // Eight blocks calling their own directory used to load 8^5 modules.
    let mut main_tf = vpc_main_tf();
    for index in 0..8 {
        main_tf.push_str(&format!(
            "\nmodule \"self{index}\" {{\n  source = \"./\"\n}}\n"
        ));
    }
    fs::write(root.join("main.tf"), main_tf).unwrap();
    // Five directories where each calls the next eight times.
    for level in 0..5 {
        let dir = root.join(format!("chain/l{level}"));
        fs::create_dir_all(&dir).unwrap();
        let mut text = vpc_main_tf();
        for index in 0..8 {
            let next = level + 1;
            text.push_str(&format!(
                "\nmodule \"next{index}\" {{\n  source = \"../l{next}\"\n}}\n"
            ));
        }
        fs::write(dir.join("main.tf"), text).unwrap();
    }

    let run = bulwark(work.path(), &["scan", "config", "-f", "json", "root"]);

    assert_no_crash(&run);
    assert!(run.code.is_some_and(|code| code < 2), "{}", run.stderr);
    assert!(
        run.stderr.contains("calls a module that contains it"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("local modules under one root module"),
        "{}",
        run.stderr
    );
}

#[test]
fn deep_yaml_rejected_with_position() {
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("root");
    fs::create_dir_all(&root).unwrap();
    let manifest = frontend_manifest();
    let depth = 100_000;
    let flow = format!(
        "{manifest}\n---\napiVersion: v1\nkind: ConfigMap\ndata: {}{}\n",
        "[".repeat(depth),
        "]".repeat(depth)
    );
    fs::write(root.join("flow.yaml"), flow).unwrap();
    let mut block = format!("{manifest}\n---\napiVersion: v1\nkind: ConfigMap\ndata:\n");
    for level in 1..=400 {
        block.push_str(&"  ".repeat(level));
        block.push_str("k:\n");
    }
    fs::write(root.join("block.yaml"), block).unwrap();

    let run = bulwark(work.path(), &["scan", "config", "root"]);

    assert_no_crash(&run);
    assert_eq!(run.code, Some(2), "stderr:\n{}", run.stderr);
    assert!(run.stderr.contains("flow.yaml:"), "{}", run.stderr);
    assert!(run.stderr.contains("block.yaml:"), "{}", run.stderr);
    assert!(run.stderr.contains("nesting"), "{}", run.stderr);
}

#[test]
fn yaml_alias_bomb_rejected() {
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("root");
    fs::create_dir_all(&root).unwrap();
    let mut bomb = frontend_manifest();
    bomb.push_str("\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bomb\ndata:\n");
    bomb.push_str("  a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for level in 1..10 {
        let previous = format!("*a{}", level - 1);
        let items = [previous.as_str(); 10].join(", ");
        bomb.push_str(&format!("  a{level}: &a{level} [{items}]\n"));
    }
    fs::write(root.join("bomb.yaml"), bomb).unwrap();

    let run = bulwark(work.path(), &["scan", "config", "root"]);

    assert_no_crash(&run);
    assert_eq!(run.code, Some(2), "stderr:\n{}", run.stderr);
    assert!(run.stderr.contains("bomb.yaml"), "{}", run.stderr);
    assert!(run.stderr.contains("alias"), "{}", run.stderr);
}

#[test]
fn oversized_and_invalid_files_reported() {
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("root");
    fs::create_dir_all(&root).unwrap();
    let manifest = frontend_manifest();
    let padding = "# padding\n".repeat(1_100_000);
    fs::write(root.join("big.yaml"), format!("{manifest}{padding}")).unwrap();
    let dockerfile = redis_dockerfile();
    fs::write(root.join("Dockerfile"), format!("{dockerfile}{padding}")).unwrap();
    let mut bad = manifest.clone().into_bytes();
    bad.splice(300..300, [0xff, 0xfe, 0xc3]);
    fs::write(root.join("bad.yaml"), bad).unwrap();
    // A 9 MB annotation on one line is under the limit and must parse.
    let long_line = manifest.replacen(
        "metadata:\n",
        &format!(
            "metadata:\n  annotations:\n    big: \"{}\"\n",
            "A".repeat(9_000_000)
        ),
        1,
    );
    fs::create_dir_all(root.join("long")).unwrap();
    fs::write(root.join("long/frontend.yaml"), long_line).unwrap();

    let run = bulwark(work.path(), &["scan", "config", "root"]);

    assert_no_crash(&run);
    assert_eq!(run.code, Some(2), "stderr:\n{}", run.stderr);
    assert!(
        run.stderr.contains("big.yaml: kubernetes file is"),
        "an oversized manifest is skipped silently:\n{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("Dockerfile: dockerfile file is"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("bad.yaml: file is not valid UTF-8 (at byte 300)"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("long/frontend.yaml"), "{}", run.stderr);
}

#[test]
fn unterminated_heredoc_located() {
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("root");
    fs::create_dir_all(&root).unwrap();
    let dockerfile = redis_dockerfile();
    let opening_line = dockerfile.lines().count() + 1;
    let body = "echo building\n".repeat(100_000);
    fs::write(
        root.join("Dockerfile"),
        format!("{dockerfile}RUN <<EOF\n{body}"),
    )
    .unwrap();

    let run = bulwark(work.path(), &["scan", "config", "root"]);

    assert_no_crash(&run);
    assert_eq!(run.code, Some(2), "stderr:\n{}", run.stderr);
    let expected = format!("Dockerfile:{opening_line}:1: heredoc `<<EOF` is not terminated");
    assert!(run.stderr.contains(&expected), "{}", run.stderr);
}

#[test]
fn line_continuations_parse() {
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("root");
    fs::create_dir_all(&root).unwrap();
    let dockerfile = redis_dockerfile();
    let continued = " \\\n\t&& true".repeat(5_000);
    let hostile = dockerfile.replacen("RUN ", &format!("RUN true{continued} && "), 1);
    fs::write(root.join("Dockerfile"), hostile).unwrap();

    let run = bulwark(work.path(), &["scan", "config", "-f", "json", "root"]);

    assert_no_crash(&run);
    assert_eq!(run.code, Some(1), "stderr:\n{}", run.stderr);
    assert!(
        run.stdout.contains("misconfig-dockerfile"),
        "{}",
        run.stdout
    );
}

#[test]
fn cloudformation_unknown_tags_parse() {
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("root");
    fs::create_dir_all(&root).unwrap();
    let template = "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Bucket:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketName: !Bogus name\n      Tags: !!python/object:os.system [\"id\"]\n      Other: !<tag:yaml.org,2002:weird> 1\n      List: !Sub\n        - a\n        - !Unknown {x: !Ref Missing}\n";
    fs::write(root.join("template.yaml"), template).unwrap();

    let run = bulwark(work.path(), &["scan", "config", "-f", "json", "root"]);

    assert_no_crash(&run);
    assert!(run.code.is_some_and(|code| code < 2), "{}", run.stderr);
    assert!(run.stdout.contains("template.yaml"), "{}", run.stdout);
}

/// Builds a zip of `entries` (name, stored content) with deflate.
fn zip_bytes(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut buffer = std::io::Cursor::new(Vec::new());
    let mut writer = zip::ZipWriter::new(&mut buffer);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, content) in entries {
        writer.start_file(*name, options).unwrap();
        writer.write_all(content).unwrap();
    }
    writer.finish().unwrap();
    buffer.into_inner()
}

#[test]
fn hostile_archives_write_nothing() {
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("root");
    fs::create_dir_all(&root).unwrap();
    let key = fs::read(layers().join("id_rsa_kept")).unwrap();
    let env = fs::read(layers().join("aws-kept.env")).unwrap();
    let traversal = zip_bytes(&[
        ("../../escaped.env", env.as_slice()),
        ("/tmp/absolute-escape.env", env.as_slice()),
        ("ok/id_rsa", key.as_slice()),
    ]);
    fs::write(root.join("traversal.zip"), &traversal).unwrap();
    let zeros = vec![0u8; 64 * 1024 * 1024];
    let mut bomb_text = env.clone();
    bomb_text.resize(64 * 1024 * 1024, b' ');
    fs::write(
        root.join("bomb.jar"),
        zip_bytes(&[
            ("zeros.bin", zeros.as_slice()),
            ("app.env", bomb_text.as_slice()),
        ]),
    )
    .unwrap();
    let mut nested = traversal.clone();
    for _ in 0..5 {
        nested = zip_bytes(&[("inner.jar", nested.as_slice())]);
    }
    fs::write(root.join("nested.jar"), nested).unwrap();
    let before = listing(work.path());

    let run = bulwark(
        work.path(),
        &[
            "scan",
            "fs",
            "--scanners",
            "secret",
            "--scan-archives",
            "-f",
            "json",
            "root",
        ],
    );

    assert_no_crash(&run);
    assert_eq!(run.code, Some(1), "stderr:\n{}", run.stderr);
    assert!(
        run.stdout.contains("traversal.zip!/ok/id_rsa"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("traversal.zip!/../../escaped.env"),
        "{}",
        run.stdout
    );
    assert!(!Path::new("/tmp/absolute-escape.env").exists());
    assert!(!work.path().parent().unwrap().join("escaped.env").exists());
    let after: Vec<_> = listing(work.path())
        .into_iter()
        .filter(|path| !path.starts_with("bulwark.") && !path.starts_with("cache"))
        .collect();
    let before: Vec<_> = before
        .into_iter()
        .filter(|path| !path.starts_with("bulwark.") && !path.starts_with("cache"))
        .collect();
    assert_eq!(before, after, "the scan wrote files into the scanned tree");
}

fn listing(dir: &Path) -> Vec<String> {
    let mut paths: Vec<String> = walk(dir)
        .into_iter()
        .map(|path| {
            path.strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    paths.sort();
    paths
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut paths = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let path = entry.path();
        if entry.file_type().unwrap().is_dir() {
            paths.extend(walk(&path));
        }
        paths.push(path);
    }
    paths
}
