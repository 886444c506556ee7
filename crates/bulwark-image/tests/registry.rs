//! Pulls a real image through real registries started on 127.0.0.1.
//!
//! Each test starts its own Debian `docker-registry` (distribution 2.8)
//! with storage in a temporary directory and pushes the corpus `bins`
//! image into it with `skopeo`. Bearer tokens come from a small token
//! endpoint in this file that signs JWTs with a key made by `openssl`,
//! which the registry trusts through its `rootcertbundle`.
//!
//! Needs the Debian packages docker-registry, skopeo, apache2-utils and
//! openssl.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::thread::JoinHandle;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use bulwark_image::registry::{PullOptions, pull};
use bulwark_image::{
    Digest, EntryInfo, FileHandler, FinalView, Image, Limits, Platform, Target, open_image,
    scan_layers,
};
use serde_json::{Value, json};
use tempfile::TempDir;

const USER: &str = "scanner";
const PASSWORD: &str = "correct horse";
const SERVICE: &str = "bulwark-test-registry";
const ISSUER: &str = "bulwark-test-issuer";
const IDENTITY_TOKEN: &str = "refresh-token-for-scanner";
const INSTALL_HINT: &str = "apt-get install -y docker-registry skopeo apache2-utils openssl";

// ---------------------------------------------------------------------------
// Programs and the corpus image

fn require(program: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| {
            panic!("{program} not found on PATH; these tests need it: {INSTALL_HINT}")
        })
}

fn run(command: &mut Command) -> Vec<u8> {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("failed to run {command:?}: {e}"));
    assert!(
        output.status.success(),
        "{command:?} failed with {}:\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

/// Returns the OCI layout of the corpus `bins` image: two gzip layers of
/// static binaries.
fn corpus_layout() -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/images/oci");
    assert!(
        path.join("index.json").is_file(),
        "corpus image missing at {}",
        path.display()
    );
    path
}

fn open_corpus() -> Image {
    let target = Target::OciDir {
        path: corpus_layout(),
        tag: Some("bins".into()),
    };
    open_image(&target, None, &Limits::default()).expect("open corpus layout")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("bind a free port on 127.0.0.1")
        .port()
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs()
}

// ---------------------------------------------------------------------------
// The registry

/// A running `docker-registry`, killed when dropped.
struct Registry {
    child: Child,
    port: u16,
    storage: PathBuf,
    log: Arc<Mutex<String>>,
    _dir: TempDir,
}

impl Registry {
    /// Starts a registry with `extra` YAML (auth or middleware sections)
    /// and waits for it to log that it listens.
    fn start(extra: &str) -> Self {
        let program = require("docker-registry");
        let dir = tempfile::tempdir().expect("temp dir");
        let storage = dir.path().join("storage");
        std::fs::create_dir(&storage).expect("storage dir");
        // A port picked here can be taken by another process before the
        // registry binds it, so a failed bind is tried again.
        for _attempt in 0..5 {
            let port = free_port();
            let config = dir.path().join("config.yml");
            let yaml = format!(
                "version: 0.1\n\
                 log:\n  level: info\n  accesslog:\n    disabled: true\n\
                 storage:\n  filesystem:\n    rootdirectory: {}\n  \
                 maintenance:\n    uploadpurging:\n      enabled: false\n\
                 http:\n  addr: 127.0.0.1:{port}\n  secret: bulwark-test-secret\n\
                 {extra}",
                storage.display()
            );
            std::fs::write(&config, yaml).expect("write registry config");
            let mut child = Command::new(&program)
                .arg("serve")
                .arg(&config)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .expect("start docker-registry");
            let log = Arc::new(Mutex::new(String::new()));
            let (ready, listening) = mpsc::channel();
            let stderr = child.stderr.take().expect("registry stderr");
            let thread_log = Arc::clone(&log);
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    if line.contains("listening on") {
                        let _ = ready.send(());
                    }
                    let mut log = thread_log.lock().unwrap();
                    log.push_str(&line);
                    log.push('\n');
                }
            });
            // The sender is dropped when the registry exits, so a registry
            // that fails to start ends this wait too.
            if listening.recv().is_ok() {
                return Self {
                    child,
                    port,
                    storage,
                    log,
                    _dir: dir,
                };
            }
            let _ = child.wait();
            let text = log.lock().unwrap().clone();
            assert!(
                text.contains("address already in use"),
                "docker-registry failed to start:\n{text}"
            );
        }
        panic!("docker-registry found no free port after 5 attempts");
    }

    fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// Pushes an OCI layout reference such as `oci:DIR:TAG` to `name`.
    fn push(&self, source: &str, name: &str, creds: Option<&str>, all: bool) {
        let mut command = Command::new(require("skopeo"));
        command.args([
            "--insecure-policy",
            "copy",
            "--quiet",
            "--dest-tls-verify=false",
        ]);
        if all {
            command.arg("--all");
        }
        match creds {
            Some(creds) => command.args(["--dest-creds", creds]),
            None => command.arg("--dest-no-creds"),
        };
        command
            .arg(source)
            .arg(format!("docker://{}/{name}", self.host()));
        let output = command.output().expect("run skopeo");
        assert!(
            output.status.success(),
            "skopeo copy failed: {}\nregistry log:\n{}",
            String::from_utf8_lossy(&output.stderr),
            self.log()
        );
    }

    fn push_corpus(&self, name: &str, creds: Option<&str>) {
        let source = format!("oci:{}:bins", corpus_layout().display());
        self.push(&source, name, creds, false);
    }

    /// Returns the file that stores a blob in the registry's filesystem
    /// driver.
    fn blob_data(&self, digest: &Digest) -> PathBuf {
        let hex = digest.hex();
        self.storage
            .join("docker/registry/v2/blobs/sha256")
            .join(&hex[..2])
            .join(hex)
            .join("data")
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn htpasswd_section(dir: &Path) -> String {
    let line = run(Command::new(require("htpasswd")).args(["-Bbn", USER, PASSWORD]));
    let path = dir.join("htpasswd");
    std::fs::write(&path, line).expect("write htpasswd");
    format!(
        "auth:\n  htpasswd:\n    realm: bulwark-test\n    path: {}\n",
        path.display()
    )
}

// ---------------------------------------------------------------------------
// Docker config files and pulling

fn write_docker_config(dir: &Path, config: &Value) -> PathBuf {
    let path = dir.join("config.json");
    std::fs::write(&path, config.to_string()).expect("write docker config");
    path
}

fn basic_config(dir: &Path, host: &str, password: &str) -> PathBuf {
    let auth = STANDARD.encode(format!("{USER}:{password}"));
    write_docker_config(dir, &json!({"auths": {host: {"auth": auth}}}))
}

fn pull_options(docker_config: &Path) -> PullOptions {
    PullOptions {
        insecure: true,
        docker_config: Some(docker_config.to_owned()),
        ..PullOptions::default()
    }
}

/// Hashes every regular file, so two scans can be compared file by file.
struct FileDigests;

impl FileHandler for FileDigests {
    type Output = Digest;

    fn wants(&self, _info: &EntryInfo<'_>) -> bool {
        true
    }

    fn handle(&self, _info: &EntryInfo<'_>, data: &[u8]) -> Option<Digest> {
        Some(Digest::of(data))
    }
}

fn scan(image: &Image) -> FinalView<Digest> {
    scan_layers(image, &Limits::default(), &FileDigests)
}

/// Checks that a pulled image is the corpus image, layer by layer and
/// file by file.
fn assert_same_as_corpus(pulled: &Image) {
    let local = open_corpus();
    assert_eq!(pulled.manifest_digest, local.manifest_digest);
    assert_eq!(pulled.config_digest, local.config_digest);
    assert_eq!(pulled.info.diff_ids, local.info.diff_ids);
    let digests = |image: &Image| -> Vec<Option<Digest>> {
        image.layers.iter().map(|l| l.digest.clone()).collect()
    };
    assert_eq!(digests(pulled), digests(&local));
    assert_eq!(pulled.layers.len(), 2);

    let remote_view = scan(pulled);
    assert!(
        remote_view.layer_errors.is_empty(),
        "layer errors: {:?}",
        remote_view.layer_errors
    );
    let computed: Vec<Option<Digest>> = local.info.diff_ids.iter().cloned().map(Some).collect();
    assert_eq!(remote_view.diff_ids, computed);
    let local_view = scan(&local);
    assert!(!remote_view.outputs.is_empty());
    assert_eq!(remote_view.tree, local_view.tree);
    assert_eq!(remote_view.outputs, local_view.outputs);
}

// ---------------------------------------------------------------------------
// Anonymous pulls

#[test]
fn anonymous_pull_by_tag_and_digest() {
    let registry = Registry::start("");
    registry.push_corpus("bins:latest", None);
    let dir = tempfile::tempdir().unwrap();
    let options = pull_options(&write_docker_config(dir.path(), &json!({})));

    let by_tag = pull(&format!("{}/bins:latest", registry.host()), &options).expect("pull by tag");
    assert_same_as_corpus(&by_tag);
    assert_eq!(
        by_tag.repo_tags,
        vec![format!("{}/bins:latest", registry.host())]
    );

    let digest = by_tag.manifest_digest.clone().expect("manifest digest");
    let reference = format!("{}/bins@{digest}", registry.host());
    let by_digest = pull(&reference, &options).expect("pull by digest");
    assert_same_as_corpus(&by_digest);
    assert!(by_digest.repo_tags.is_empty());
}

#[test]
fn plain_http_registry_needs_insecure() {
    let registry = Registry::start("");
    let reference = format!("{}/bins:latest", registry.host());
    let dir = tempfile::tempdir().unwrap();
    let options = PullOptions {
        insecure: false,
        ..pull_options(&write_docker_config(dir.path(), &json!({})))
    };
    let error = pull(&reference, &options).unwrap_err().to_string();
    assert!(error.contains("TLS"), "{error}");
    assert!(error.contains("--insecure"), "{error}");
}

#[test]
fn missing_manifest_is_not_found() {
    let registry = Registry::start("");
    registry.push_corpus("bins:latest", None);
    let dir = tempfile::tempdir().unwrap();
    let options = pull_options(&write_docker_config(dir.path(), &json!({})));
    // A digest that no pushed manifest has.
    let unknown = Digest::of(b"no manifest has this content");
    for reference in ["bins:absent", "absent:latest", &format!("bins@{unknown}")] {
        let error = pull(&format!("{}/{reference}", registry.host()), &options)
            .unwrap_err()
            .to_string();
        assert!(error.contains("not found"), "{reference}: {error}");
        assert!(
            error.contains("MANIFEST_UNKNOWN") || error.contains("NAME_UNKNOWN"),
            "{error}"
        );
    }
}

#[test]
fn stopped_registry_is_connection_refused() {
    let host = {
        let registry = Registry::start("");
        registry.host()
    };
    let dir = tempfile::tempdir().unwrap();
    let options = pull_options(&write_docker_config(dir.path(), &json!({})));
    let error = pull(&format!("{host}/bins:latest"), &options)
        .unwrap_err()
        .to_string();
    assert!(error.contains("connection refused"), "{error}");
    assert!(error.contains(&host), "{error}");
}

// ---------------------------------------------------------------------------
// Digest checks

/// Changes one hex digit inside a stored manifest, keeping its length and
/// JSON syntax, so the registry serves content that no longer matches the
/// digest it is stored under.
fn tamper_manifest(registry: &Registry, manifest: &Digest, config: &Digest) {
    let path = registry.blob_data(manifest);
    let text = std::fs::read_to_string(&path).expect("stored manifest");
    let last = config.hex().chars().last().unwrap();
    let replacement = if last == '0' { '1' } else { '0' };
    let altered = format!("sha256:{}{replacement}", &config.hex()[..63]);
    let tampered = text.replacen(config.as_str(), &altered, 1);
    assert_ne!(tampered, text);
    assert_eq!(tampered.len(), text.len());
    std::fs::write(&path, tampered).expect("rewrite stored manifest");
}

#[test]
fn manifest_digest_mismatch_is_detected() {
    let registry = Registry::start("");
    registry.push_corpus("bins:latest", None);
    let local = open_corpus();
    let manifest = local.manifest_digest.clone().unwrap();
    let config = local.config_digest.clone().unwrap();
    tamper_manifest(&registry, &manifest, &config);
    let dir = tempfile::tempdir().unwrap();
    let options = pull_options(&write_docker_config(dir.path(), &json!({})));

    let by_digest = format!("{}/bins@{manifest}", registry.host());
    let error = pull(&by_digest, &options).unwrap_err().to_string();
    assert!(error.contains("manifest digest mismatch"), "{error}");
    assert!(error.contains(manifest.as_str()), "{error}");

    // By tag, the registry still announces the original digest in
    // Docker-Content-Digest, which the content no longer matches.
    let by_tag = format!("{}/bins:latest", registry.host());
    let error = pull(&by_tag, &options).unwrap_err().to_string();
    assert!(error.contains("manifest digest mismatch"), "{error}");
    assert!(error.contains("Docker-Content-Digest"), "{error}");
}

// ---------------------------------------------------------------------------
// Multi-platform indexes

/// An OCI layout with a two-platform index, and the digests it contains.
struct MultiPlatform {
    layout: TempDir,
    amd64: Digest,
    arm64: Digest,
    arm64_config: Digest,
}

/// Builds an OCI layout whose tag `multi` is an index: the corpus manifest
/// as linux/amd64, and a derived manifest whose config is linux/arm64.
fn multi_platform_layout() -> MultiPlatform {
    let source = corpus_layout();
    let dir = tempfile::tempdir().unwrap();
    let blobs = dir.path().join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    for entry in std::fs::read_dir(source.join("blobs/sha256")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), blobs.join(entry.file_name())).unwrap();
    }
    std::fs::copy(source.join("oci-layout"), dir.path().join("oci-layout")).unwrap();
    let write_blob = |data: &[u8]| -> Digest {
        let digest = Digest::of(data);
        std::fs::write(blobs.join(digest.hex()), data).unwrap();
        digest
    };
    let read_json = |digest: &Digest| -> Value {
        serde_json::from_slice(&std::fs::read(blobs.join(digest.hex())).unwrap()).unwrap()
    };

    let local = open_corpus();
    let amd64 = local.manifest_digest.clone().unwrap();
    let amd64_size = std::fs::metadata(blobs.join(amd64.hex())).unwrap().len();
    let mut config = read_json(local.config_digest.as_ref().unwrap());
    assert_eq!(config["architecture"], "amd64");
    config["architecture"] = json!("arm64");
    let config_bytes = serde_json::to_vec(&config).unwrap();
    let config_digest = write_blob(&config_bytes);
    let mut manifest = read_json(&amd64);
    manifest["config"]["digest"] = json!(config_digest.as_str());
    manifest["config"]["size"] = json!(config_bytes.len());
    let manifest_bytes = serde_json::to_vec(&manifest).unwrap();
    let arm64 = write_blob(&manifest_bytes);

    let media_type = "application/vnd.oci.image.manifest.v1+json";
    let index = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [
            {"mediaType": media_type, "digest": amd64.as_str(), "size": amd64_size,
             "platform": {"os": "linux", "architecture": "amd64"}},
            {"mediaType": media_type, "digest": arm64.as_str(), "size": manifest_bytes.len(),
             "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"}},
        ]
    });
    let index_bytes = serde_json::to_vec(&index).unwrap();
    let index_digest = write_blob(&index_bytes);
    let top = json!({
        "schemaVersion": 2,
        "manifests": [{
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "digest": index_digest.as_str(),
            "size": index_bytes.len(),
            "annotations": {"org.opencontainers.image.ref.name": "multi"}
        }]
    });
    std::fs::write(dir.path().join("index.json"), top.to_string()).unwrap();
    MultiPlatform {
        layout: dir,
        amd64,
        arm64,
        arm64_config: config_digest,
    }
}

#[test]
fn index_selects_requested_platform() {
    let registry = Registry::start("");
    let MultiPlatform {
        layout,
        amd64,
        arm64,
        ..
    } = multi_platform_layout();
    let source = format!("oci:{}:multi", layout.path().display());
    registry.push(&source, "multi:latest", None, true);
    let dir = tempfile::tempdir().unwrap();
    let base = pull_options(&write_docker_config(dir.path(), &json!({})));
    let reference = format!("{}/multi:latest", registry.host());
    let with_platform = |text: &str| PullOptions {
        platform: Some(Platform::parse(text).unwrap()),
        ..base.clone()
    };

    let image = pull(&reference, &with_platform("linux/amd64")).expect("pull amd64");
    assert_eq!(image.manifest_digest.as_ref(), Some(&amd64));
    assert_eq!(image.info.architecture.as_deref(), Some("amd64"));
    assert_same_as_corpus(&image);

    let image = pull(&reference, &with_platform("linux/arm64")).expect("pull arm64");
    assert_eq!(image.manifest_digest.as_ref(), Some(&arm64));
    assert_eq!(image.info.architecture.as_deref(), Some("arm64"));
    let view = scan(&image);
    assert!(view.layer_errors.is_empty(), "{:?}", view.layer_errors);

    let error = pull(&reference, &with_platform("linux/s390x"))
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("no manifest for platform linux/s390x"),
        "{error}"
    );
    assert!(error.contains("linux/amd64, linux/arm64/v8"), "{error}");
}

#[test]
fn docker_manifest_list_selects_platform() {
    let registry = Registry::start("");
    let multi = multi_platform_layout();
    // skopeo converts the index to a Docker manifest list and each
    // manifest to Docker schema 2, with Docker media types throughout.
    let source = format!("oci:{}:multi", multi.layout.path().display());
    let mut command = Command::new(require("skopeo"));
    command
        .args([
            "--insecure-policy",
            "copy",
            "--quiet",
            "--all",
            "--format",
            "v2s2",
        ])
        .args(["--dest-tls-verify=false", "--dest-no-creds"])
        .arg(&source)
        .arg(format!("docker://{}/multi-docker:latest", registry.host()));
    run(&mut command);
    let list_url = format!(
        "http://{}/v2/multi-docker/manifests/latest",
        registry.host()
    );
    let response = ureq::get(&list_url)
        .header(
            "Accept",
            "application/vnd.docker.distribution.manifest.list.v2+json",
        )
        .call()
        .expect("fetch the manifest list");
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    assert_eq!(
        content_type.as_deref(),
        Some("application/vnd.docker.distribution.manifest.list.v2+json")
    );

    let dir = tempfile::tempdir().unwrap();
    let options = PullOptions {
        platform: Some(Platform::parse("linux/arm64/v8").unwrap()),
        ..pull_options(&write_docker_config(dir.path(), &json!({})))
    };
    let reference = format!("{}/multi-docker:latest", registry.host());
    let image = pull(&reference, &options).expect("pull arm64 from the manifest list");
    assert_eq!(image.config_digest.as_ref(), Some(&multi.arm64_config));
    assert_eq!(image.info.architecture.as_deref(), Some("arm64"));
    let layer_types: Vec<Option<&str>> = image
        .layers
        .iter()
        .map(|l| l.media_type.as_deref())
        .collect();
    let docker_layer = Some("application/vnd.docker.image.rootfs.diff.tar.gzip");
    assert_eq!(layer_types, vec![docker_layer, docker_layer]);
    let view = scan(&image);
    assert!(view.layer_errors.is_empty(), "{:?}", view.layer_errors);
    assert_eq!(view.diff_ids.len(), 2);
}

// ---------------------------------------------------------------------------
// Basic auth

#[test]
fn basic_auth_reads_docker_config() {
    let dir = tempfile::tempdir().unwrap();
    let registry = Registry::start(&htpasswd_section(dir.path()));
    registry.push_corpus("bins:latest", Some(&format!("{USER}:{PASSWORD}")));
    let reference = format!("{}/bins:latest", registry.host());

    let config = basic_config(dir.path(), &registry.host(), PASSWORD);
    let image = pull(&reference, &pull_options(&config)).expect("pull with credentials");
    assert_same_as_corpus(&image);

    let empty_dir = tempfile::tempdir().unwrap();
    let empty = write_docker_config(empty_dir.path(), &json!({}));
    let error = pull(&reference, &pull_options(&empty))
        .unwrap_err()
        .to_string();
    assert!(error.contains("unauthorized"), "{error}");
    assert!(error.contains(&registry.host()), "{error}");
    assert!(error.contains(&empty.display().to_string()), "{error}");

    let wrong_dir = tempfile::tempdir().unwrap();
    let wrong = basic_config(wrong_dir.path(), &registry.host(), "wrong password");
    let error = pull(&reference, &pull_options(&wrong))
        .unwrap_err()
        .to_string();
    assert!(error.contains("rejected the credentials"), "{error}");
    assert!(!error.contains("wrong password"), "{error}");
}

// ---------------------------------------------------------------------------
// Redirects to blob storage

/// Requests seen by a test server: URL and `Authorization` header.
type RequestLog = Arc<Mutex<Vec<(String, Option<String>)>>>;

/// Serves the registry's storage directory over HTTP, the way a cloud
/// storage backend serves blobs after a registry redirect, and records
/// the `Authorization` header of each request.
struct StorageServer {
    server: Arc<tiny_http::Server>,
    port: u16,
    root: Arc<Mutex<PathBuf>>,
    requests: RequestLog,
    thread: Option<JoinHandle<()>>,
}

impl StorageServer {
    /// Listens on `address`; files are served from the root set later
    /// with `serve_from`.
    fn start(address: &str) -> Self {
        let server = Arc::new(tiny_http::Server::http(address).expect("storage server"));
        let port = server.server_addr().to_ip().unwrap().port();
        let root = Arc::new(Mutex::new(PathBuf::new()));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let thread = {
            let server = Arc::clone(&server);
            let root = Arc::clone(&root);
            let requests = Arc::clone(&requests);
            std::thread::spawn(move || {
                for request in server.incoming_requests() {
                    let url = request.url().to_owned();
                    let authorization = header_value(&request, "Authorization");
                    requests.lock().unwrap().push((url.clone(), authorization));
                    let relative = url.split('?').next().unwrap().trim_start_matches('/');
                    let path = root.lock().unwrap().join(relative);
                    let found = if relative.split('/').any(|c| c == "..") {
                        None
                    } else {
                        std::fs::read(&path).ok()
                    };
                    let response = match found {
                        Some(data) => tiny_http::Response::from_data(data),
                        None => tiny_http::Response::from_data(Vec::new()).with_status_code(404),
                    };
                    let _ = request.respond(response);
                }
            })
        };
        Self {
            server,
            port,
            root,
            requests,
            thread: Some(thread),
        }
    }

    fn serve_from(&self, root: &Path) {
        *self.root.lock().unwrap() = root.to_owned();
    }

    fn requests(&self) -> Vec<(String, Option<String>)> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for StorageServer {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn header_value(request: &tiny_http::Request, name: &str) -> Option<String> {
    request
        .headers()
        .iter()
        .find(|h| h.field.as_str().as_str().eq_ignore_ascii_case(name))
        .map(|h| h.value.as_str().to_owned())
}

#[test]
fn redirected_blobs_get_no_credentials() {
    let dir = tempfile::tempdir().unwrap();
    // Another loopback address makes the storage a different host from
    // the registry on 127.0.0.1.
    let storage = StorageServer::start("127.0.0.2:0");
    let middleware = format!(
        "middleware:\n  storage:\n    - name: redirect\n      options:\n        \
         baseurl: http://127.0.0.2:{}\n",
        storage.port
    );
    let registry = Registry::start(&format!("{}{middleware}", htpasswd_section(dir.path())));
    storage.serve_from(&registry.storage);
    registry.push_corpus("bins:latest", Some(&format!("{USER}:{PASSWORD}")));
    let reference = format!("{}/bins:latest", registry.host());
    let before = storage.requests().len();

    let config = basic_config(dir.path(), &registry.host(), PASSWORD);
    let image = pull(&reference, &pull_options(&config)).expect("pull through redirects");
    assert_same_as_corpus(&image);

    let ours = &storage.requests()[before..];
    // The config blob and both layers come from storage.
    let blobs: Vec<&String> = ours
        .iter()
        .map(|(url, _)| url)
        .filter(|url| url.contains("/blobs/sha256/"))
        .collect();
    assert!(blobs.len() >= 3, "storage requests: {ours:?}");
    for (url, authorization) in ours {
        assert_eq!(
            authorization, &None,
            "credentials sent to storage for {url}"
        );
    }
}

// ---------------------------------------------------------------------------
// Bearer tokens

#[derive(Debug, Clone)]
struct TokenRequest {
    method: String,
    service: Option<String>,
    scopes: Vec<String>,
    basic_user: Option<String>,
    refresh_token: Option<String>,
}

/// A token endpoint in the style of the docker token specification:
/// `GET ?service=&scope=` with basic auth, or an OAuth2 refresh-token POST.
/// It issues RS256 JWTs whose `x5c` header carries the signing
/// certificate, which the registry checks against its rootcertbundle.
struct TokenServer {
    server: Arc<tiny_http::Server>,
    port: u16,
    cert_path: PathBuf,
    requests: Arc<Mutex<Vec<TokenRequest>>>,
    thread: Option<JoinHandle<()>>,
}

struct Signer {
    key_path: PathBuf,
    cert_der: Vec<u8>,
}

impl Signer {
    fn new(dir: &Path) -> (Self, PathBuf) {
        let openssl = require("openssl");
        let key_path = dir.join("token.key");
        let cert_path = dir.join("token.crt");
        run(Command::new(&openssl)
            .args([
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            ])
            .args(["-subj", "/CN=bulwark-test-token-issuer"])
            .arg("-keyout")
            .arg(&key_path)
            .arg("-out")
            .arg(&cert_path));
        let cert_der = run(Command::new(&openssl)
            .args(["x509", "-outform", "DER", "-in"])
            .arg(&cert_path));
        (Self { key_path, cert_der }, cert_path)
    }

    fn sign(&self, claims: &Value) -> String {
        let header =
            json!({"typ": "JWT", "alg": "RS256", "x5c": [STANDARD.encode(&self.cert_der)]});
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let mut child = Command::new(require("openssl"))
            .args(["dgst", "-sha256", "-sign"])
            .arg(&self.key_path)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("run openssl dgst");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "openssl dgst failed");
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(output.stdout))
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
                out.push(u8::from_str_radix(hex, 16).unwrap());
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap()
}

fn parse_form(text: &str) -> Vec<(String, String)> {
    text.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(key), percent_decode(value))
        })
        .collect()
}

/// Grants every action requested in `repository:NAME:ACTIONS` scopes.
fn access_claims(scopes: &[String]) -> Value {
    let access: Vec<Value> = scopes
        .iter()
        .flat_map(|scope| scope.split(' '))
        .filter_map(|scope| {
            let (kind, rest) = scope.split_once(':')?;
            let (name, actions) = rest.rsplit_once(':')?;
            Some(json!({"type": kind, "name": name, "actions": actions.split(',').collect::<Vec<_>>()}))
        })
        .collect();
    Value::Array(access)
}

fn handle_token_request(
    mut request: tiny_http::Request,
    signer: &Signer,
    requests: &Mutex<Vec<TokenRequest>>,
    serial: u64,
) {
    let (path, query) = request
        .url()
        .split_once('?')
        .map_or((request.url().to_owned(), String::new()), |(p, q)| {
            (p.to_owned(), q.to_owned())
        });
    let method = request.method().as_str().to_owned();
    let mut body = String::new();
    let _ = request.as_reader().take(1 << 16).read_to_string(&mut body);
    let params = if method == "POST" {
        parse_form(&body)
    } else {
        parse_form(&query)
    };
    let param = |key: &str| {
        params
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    };
    let basic_user = header_value(&request, "Authorization")
        .and_then(|value| value.strip_prefix("Basic ").map(str::to_owned))
        .and_then(|encoded| STANDARD.decode(encoded).ok())
        .and_then(|decoded| String::from_utf8(decoded).ok());
    let record = TokenRequest {
        method: method.clone(),
        service: param("service"),
        scopes: params
            .iter()
            .filter(|(k, _)| k == "scope")
            .map(|(_, v)| v.clone())
            .collect(),
        basic_user: basic_user.clone(),
        refresh_token: param("refresh_token"),
    };
    requests.lock().unwrap().push(record.clone());
    let authorized = match method.as_str() {
        "GET" => basic_user.as_deref() == Some(&format!("{USER}:{PASSWORD}")),
        "POST" => {
            param("grant_type").as_deref() == Some("refresh_token")
                && record.refresh_token.as_deref() == Some(IDENTITY_TOKEN)
        }
        _ => false,
    };
    if path != "/token" || !authorized {
        let response =
            tiny_http::Response::from_string(r#"{"details":"unauthorized"}"#).with_status_code(401);
        let _ = request.respond(response);
        return;
    }
    let now = unix_now();
    let claims = json!({
        "iss": ISSUER,
        "sub": USER,
        "aud": record.service.clone().unwrap_or_default(),
        "exp": now + 600,
        "nbf": now - 10,
        "iat": now,
        "jti": format!("token-{serial}"),
        "access": access_claims(&record.scopes),
    });
    let token = signer.sign(&claims);
    // The OAuth2 grant returns access_token only and the GET returns
    // token, so the client reads both fields.
    let body = if method == "POST" {
        json!({"access_token": token, "expires_in": 600})
    } else {
        json!({"token": token, "expires_in": 600})
    };
    let response = tiny_http::Response::from_string(body.to_string()).with_header(
        "Content-Type: application/json"
            .parse::<tiny_http::Header>()
            .unwrap(),
    );
    let _ = request.respond(response);
}

impl TokenServer {
    fn start(dir: &Path) -> Self {
        let (signer, cert_path) = Signer::new(dir);
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("token server"));
        let port = server.server_addr().to_ip().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let thread = {
            let server = Arc::clone(&server);
            let requests = Arc::clone(&requests);
            std::thread::spawn(move || {
                for (serial, request) in server.incoming_requests().enumerate() {
                    handle_token_request(request, &signer, &requests, serial as u64);
                }
            })
        };
        Self {
            server,
            port,
            cert_path,
            requests,
            thread: Some(thread),
        }
    }

    fn registry_section(&self) -> String {
        format!(
            "auth:\n  token:\n    realm: http://127.0.0.1:{}/token\n    service: {SERVICE}\n    \
             issuer: {ISSUER}\n    rootcertbundle: {}\n",
            self.port,
            self.cert_path.display()
        )
    }

    fn requests(&self) -> Vec<TokenRequest> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for TokenServer {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[test]
fn bearer_token_flow_with_credentials() {
    let dir = tempfile::tempdir().unwrap();
    let tokens = TokenServer::start(dir.path());
    let registry = Registry::start(&tokens.registry_section());
    registry.push_corpus("team/bins:v1", Some(&format!("{USER}:{PASSWORD}")));
    let reference = format!("{}/team/bins:v1", registry.host());
    let pushed = tokens.requests().len();

    let config = basic_config(dir.path(), &registry.host(), PASSWORD);
    let image = pull(&reference, &pull_options(&config)).expect("pull with bearer token");
    assert_same_as_corpus(&image);

    let ours = &tokens.requests()[pushed..];
    assert!(!ours.is_empty(), "no token was requested");
    for request in ours {
        assert_eq!(request.method, "GET");
        assert_eq!(request.service.as_deref(), Some(SERVICE));
        assert_eq!(request.scopes, vec!["repository:team/bins:pull".to_owned()]);
        assert_eq!(
            request.basic_user.as_deref(),
            Some(format!("{USER}:{PASSWORD}").as_str())
        );
    }

    let empty_dir = tempfile::tempdir().unwrap();
    let empty = write_docker_config(empty_dir.path(), &json!({}));
    let error = pull(&reference, &pull_options(&empty))
        .unwrap_err()
        .to_string();
    assert!(error.contains("unauthorized"), "{error}");
    assert!(
        error.contains(&format!("127.0.0.1:{}", tokens.port)),
        "{error}"
    );
    assert!(error.contains(&empty.display().to_string()), "{error}");
    assert!(!error.contains(PASSWORD), "{error}");
}

#[test]
fn bearer_token_from_identity_token() {
    let dir = tempfile::tempdir().unwrap();
    let tokens = TokenServer::start(dir.path());
    let registry = Registry::start(&tokens.registry_section());
    registry.push_corpus("bins:latest", Some(&format!("{USER}:{PASSWORD}")));
    let reference = format!("{}/bins:latest", registry.host());
    let pushed = tokens.requests().len();

    let config = write_docker_config(
        dir.path(),
        &json!({"auths": {registry.host(): {"identitytoken": IDENTITY_TOKEN}}}),
    );
    let image = pull(&reference, &pull_options(&config)).expect("pull with identity token");
    assert_same_as_corpus(&image);
    let ours = &tokens.requests()[pushed..];
    assert!(!ours.is_empty(), "no token was requested");
    assert!(ours.iter().all(|r| r.method == "POST"), "{ours:?}");
    assert!(ours.iter().all(|r| r.basic_user.is_none()), "{ours:?}");
    assert!(
        ours.iter()
            .all(|r| r.scopes == vec!["repository:bins:pull".to_owned()]),
        "{ours:?}"
    );
}
