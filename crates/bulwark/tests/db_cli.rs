//! End-to-end tests of `bulwark db` through the real binary: version
//! comparison on corpus lines, status and its exit codes, an import killed
//! midway, and `db update` against a mirror served on loopback.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/scan")
}

fn bulwark() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_bulwark"));
    command
        .env_remove("BULWARK_CACHE_DIR")
        .env_remove("BULWARK_DB_MIRROR");
    command
}

fn run(command: &mut Command) -> Output {
    command.output().expect("bulwark runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs `db compare-versions ECOSYSTEM` with `input` on stdin.
fn compare_versions(ecosystem: &str, input: &str) -> Output {
    let mut child = bulwark()
        .args(["db", "compare-versions", ecosystem])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("bulwark starts");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("stdin written");
    child.wait_with_output().expect("bulwark finishes")
}

/// Corpus lines where bulwark-version deliberately differs from
/// osv-scalibr; its corpus test lists the same lines with the reasons.
const DISAGREEMENTS: [(&str, &str); 5] = [
    ("0.r1 < 0r2", "apk-tools 2.x reads `0.r1` as `0.0r1`"),
    (
        "0.8.21.r2 < 0.8.21r2",
        "apk-tools 2.x reads `0.8.21.r2` as `0.8.21.0r2`",
    ),
    ("1 > 1-ruff", "apk-tools 2.x reads `-r` as revision 0"),
    ("1 > 1beta", "`1beta` is not a valid gem version"),
    ("1 > 1gamma", "`1gamma` is not a valid gem version"),
];

#[test]
fn compare_versions_agrees_with_scalibr_lines() {
    let cases = [
        ("pypi-versions.txt", "PyPI"),
        ("debian-versions.txt", "Debian"),
        ("alpine-versions.txt", "Alpine"),
        ("semver-versions.txt", "npm"),
        ("maven-versions.txt", "Maven"),
        ("nuget-versions.txt", "NuGet"),
        ("rubygems-versions.txt", "RubyGems"),
        ("redhat-versions.txt", "Red Hat"),
        ("packagist-versions.txt", "Packagist"),
    ];
    for (file, ecosystem) in cases {
        let path = corpus().join("osv-scalibr/semantic-testdata").join(file);
        let content = std::fs::read_to_string(&path).expect("testdata reads");
        // Lines are `A <op> B`; the command reads `A B` and prints `<op>`.
        let mut pairs = String::new();
        let mut expected = Vec::new();
        for line in content.lines() {
            if DISAGREEMENTS.iter().any(|(known, _)| line.trim() == *known) {
                continue;
            }
            let fields: Vec<&str> = line.split_whitespace().collect();
            if let [a, op @ ("<" | "=" | ">"), b] = fields[..] {
                pairs.push_str(&format!("{a} {b}\n"));
                expected.push(op.to_owned());
            }
        }
        assert!(expected.len() >= 10, "{file}: {} pairs", expected.len());
        let output = compare_versions(ecosystem, &pairs);
        assert!(output.status.success(), "{file}: {}", text(&output.stderr));
        let found: Vec<String> = text(&output.stdout).lines().map(str::to_owned).collect();
        assert_eq!(found.len(), expected.len(), "{file}");
        for (index, (found, expected)) in found.iter().zip(&expected).enumerate() {
            let pair = pairs.lines().nth(index).unwrap_or_default();
            assert_eq!(found, expected, "{file}: {pair}");
        }
    }
}

#[test]
fn compare_versions_rejects_bad_input() {
    let output = compare_versions("NoSuchEcosystem", "1 2\n");
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("unknown ecosystem \"NoSuchEcosystem\""),
        "{}",
        text(&output.stderr)
    );

    // A version Debian rejects on line 3, after two valid lines.
    let output = compare_versions("Debian", "1.0-1 1.0-2\n\n1:1.0 abc:1.0\n2.0 1.0\n");
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(text(&output.stdout), "<\n");
    let stderr = text(&output.stderr);
    assert!(stderr.contains("line 3"), "{stderr}");
    assert!(stderr.contains("abc:1.0"), "{stderr}");

    let output = compare_versions("PyPI", "1.0\n");
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("line 1: expected two versions"));
}

#[test]
fn import_reports_bad_records_and_status_ages() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cache = dir.path().join("cache");
    // A real GHSA record without its id, beside the intact samples.
    let feed = dir.path().join("feed");
    std::fs::create_dir(&feed).expect("mkdir");
    for entry in std::fs::read_dir(corpus().join("ghsa-sample")).expect("lists") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "json") {
            std::fs::copy(&path, feed.join(path.file_name().expect("name"))).expect("copy");
        }
    }
    let mut broken: serde_json::Value = serde_json::from_slice(
        &std::fs::read(feed.join("GHSA-xvch-5gv4-984h.json")).expect("reads"),
    )
    .expect("JSON");
    broken.as_object_mut().expect("object").remove("id");
    std::fs::write(
        feed.join("broken.json"),
        serde_json::to_vec(&broken).expect("JSON"),
    )
    .expect("write");

    let imported_at = 1_700_000_000u64;
    let output = run(bulwark()
        .args(["db", "import"])
        .arg(&feed)
        .arg("--cache-dir")
        .arg(&cache)
        .env("SOURCE_DATE_EPOCH", imported_at.to_string()));
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("broken.json: record #0"), "{stderr}");
    let stdout = text(&output.stdout);
    assert!(stdout.contains("4 advisories"), "{stdout}");
    assert!(stdout.contains("1 skipped"), "{stdout}");
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("npm ") && l.ends_with(" 2")),
        "{stdout}"
    );

    // Ten days later, a week is too old and a month is not.
    let later = (imported_at + 10 * 86_400).to_string();
    let status = |max_age: &str| {
        run(bulwark()
            .args(["db", "status", "--max-age", max_age, "--cache-dir"])
            .arg(&cache)
            .env("SOURCE_DATE_EPOCH", &later))
    };
    let stale = status("7d");
    assert_eq!(stale.status.code(), Some(1), "{}", text(&stale.stderr));
    assert!(text(&stale.stderr).contains("longer than --max-age"));
    let stdout = text(&stale.stdout);
    assert!(stdout.contains("schema version: 1"), "{stdout}");
    assert!(stdout.contains("records: 4 (1 skipped)"), "{stdout}");
    assert!(
        stdout.contains("imported: 2023-11-14T22:13:20Z (10d00h ago)"),
        "{stdout}"
    );
    let fresh = status("30d");
    assert_eq!(fresh.status.code(), Some(0), "{}", text(&fresh.stderr));

    // A path that does not exist fails the import and changes nothing.
    let missing = run(bulwark()
        .args(["db", "import", "/nonexistent/feed.json", "--cache-dir"])
        .arg(&cache));
    assert_eq!(missing.status.code(), Some(2));
    assert!(text(&missing.stderr).contains("/nonexistent/feed.json"));

    // No database at all: status prints how to make one.
    let empty = run(bulwark()
        .args(["db", "status", "--cache-dir"])
        .arg(dir.path().join("empty")));
    assert_eq!(empty.status.code(), Some(2));
    assert!(text(&empty.stderr).contains("bulwark db import"));
}

/// Returns the advisory count `db status` prints.
fn status_advisories(cache: &Path) -> u64 {
    let output = run(bulwark().args(["db", "status", "--cache-dir"]).arg(cache));
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    let line = stdout
        .lines()
        .find(|l| l.starts_with("advisories: "))
        .expect("advisories line");
    line["advisories: ".len()..]
        .split(',')
        .next()
        .expect("count")
        .trim()
        .parse()
        .expect("number")
}

#[test]
fn killed_import_leaves_previous_database() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cache = dir.path().join("cache");
    let first = run(bulwark()
        .args(["db", "import"])
        .arg(corpus().join("ghsa-sample"))
        .arg(corpus().join("rustsec-advisory-db/osv-crates.tar.gz"))
        .arg("--cache-dir")
        .arg(&cache));
    assert!(first.status.success(), "{}", text(&first.stderr));
    let before = status_advisories(&cache);
    assert!(before > 1000);
    let db_file = cache.join("db/bulwark.db");
    let old_size = std::fs::metadata(&db_file).expect("database exists").len();

    let mut child = bulwark()
        .args(["db", "import"])
        .arg(corpus().join("almalinux-osv/advisories.tar.gz"))
        .arg(corpus().join("golang-vulndb/osv.tar.gz"))
        .arg(corpus().join("pypa-advisory-database/vulns.tar.gz"))
        .arg(corpus().join("pschou-oval/alpine-secdb-json"))
        .arg("--cache-dir")
        .arg(&cache)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("import starts");
    let tmp = cache.join(format!("db/bulwark.db.tmp-{}", child.id()));
    // Wait until the new file has grown past the copy of the old one: the
    // first feed has been written into it.
    loop {
        if let Some(status) = child.try_wait().expect("child status") {
            panic!("the import finished ({status}) before it could be killed");
        }
        if std::fs::metadata(&tmp).is_ok_and(|m| m.len() > old_size) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    child.kill().expect("SIGKILL sent");
    let status = child.wait().expect("child reaped");
    {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(status.signal(), Some(9), "{status}");
    }

    assert_eq!(status_advisories(&cache), before, "old database unchanged");
    assert_eq!(std::fs::metadata(&db_file).expect("exists").len(), old_size);

    // The next import removes the leftover file and succeeds.
    assert!(tmp.exists(), "the killed import left its temporary file");
    let again = run(bulwark()
        .args(["db", "import"])
        .arg(corpus().join("ghsa-sample"))
        .arg("--cache-dir")
        .arg(&cache));
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert!(!tmp.exists());
    assert_eq!(status_advisories(&cache), before);
}

/// Requests a mirror received: path and `If-None-Match` header.
type RequestLog = Arc<Mutex<Vec<(String, Option<String>)>>>;

/// A feed mirror on 127.0.0.1 that honors `If-None-Match` and logs every
/// request.
struct Mirror {
    url: String,
    requests: RequestLog,
    _server: Arc<tiny_http::Server>,
}

fn etag(data: &[u8]) -> String {
    format!("\"{}\"", hex(&Sha256::digest(data)[..8]))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Mirror {
    fn start(files: HashMap<String, Vec<u8>>) -> Self {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("server binds"));
        let url = format!(
            "http://{}/",
            server.server_addr().to_ip().expect("ip address")
        );
        let requests: RequestLog = Arc::new(Mutex::new(Vec::new()));
        let (srv, log) = (Arc::clone(&server), Arc::clone(&requests));
        std::thread::spawn(move || {
            for request in srv.incoming_requests() {
                let path = request.url().to_owned();
                let if_none_match = request
                    .headers()
                    .iter()
                    .find(|h| h.field.equiv("If-None-Match"))
                    .map(|h| h.value.as_str().to_owned());
                log.lock()
                    .expect("log")
                    .push((path.clone(), if_none_match.clone()));
                let response = match files.get(&path) {
                    Some(data) if if_none_match.as_deref() == Some(etag(data).as_str()) => {
                        tiny_http::Response::from_data(Vec::new()).with_status_code(304)
                    }
                    Some(data) => tiny_http::Response::from_data(data.clone()).with_header(
                        tiny_http::Header::from_bytes("ETag", etag(data)).expect("header"),
                    ),
                    None => tiny_http::Response::from_data(Vec::new()).with_status_code(404),
                };
                let _ = request.respond(response);
            }
        });
        Self {
            url,
            requests,
            _server: server,
        }
    }
}

/// Packs the JSON members of a corpus `.tar.gz` under `prefix` into an
/// OSV-style `all.zip`, returning it and the number of records.
fn pack_all_zip(archive: &Path, prefix: &str) -> (Vec<u8>, usize) {
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(
        std::fs::File::open(archive).expect("corpus archive"),
    ));
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    let mut count = 0;
    for entry in tar.entries().expect("entries") {
        let mut entry = entry.expect("entry");
        let path = entry.path().expect("path").display().to_string();
        if !(path.contains(prefix) && path.ends_with(".json")) {
            continue;
        }
        let mut data = Vec::new();
        entry.read_to_end(&mut data).expect("member reads");
        let name = Path::new(&path)
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        zip.start_file(name, options).expect("zip entry");
        zip.write_all(&data).expect("zip write");
        count += 1;
    }
    (zip.finish().expect("zip").into_inner(), count)
}

#[test]
fn update_from_loopback_mirror() {
    let (crates_zip, crates_count) = pack_all_zip(
        &corpus().join("rustsec-advisory-db/osv-crates.tar.gz"),
        "/crates/",
    );
    let (go_zip, go_count) = pack_all_zip(&corpus().join("golang-vulndb/osv.tar.gz"), "/data/osv/");
    let kev = std::fs::read(corpus().join("cisa-kev/known_exploited_vulnerabilities.json"))
        .expect("KEV reads");
    // EPSS: vunnel's sample, gzipped as FIRST serves it.
    let mut epss_csv = String::new();
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(
        std::fs::File::open(corpus().join("anchore-vunnel-fixtures/test-fixtures.tar.gz"))
            .expect("fixtures"),
    ));
    for entry in tar.entries().expect("entries") {
        let mut entry = entry.expect("entry");
        if entry
            .path()
            .expect("path")
            .ends_with("epss/test-fixtures/example-1.csv")
        {
            entry.read_to_string(&mut epss_csv).expect("reads");
        }
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(epss_csv.as_bytes()).expect("gzip");
    let epss = gz.finish().expect("gzip");

    let go_sha256 = hex(&Sha256::digest(&go_zip));
    let files = HashMap::from([
        ("/crates.io/all.zip".to_owned(), crates_zip),
        ("/Go/all.zip".to_owned(), go_zip),
        (
            "/sites/default/files/feeds/known_exploited_vulnerabilities.json".to_owned(),
            kev,
        ),
        ("/epss_scores-current.csv.gz".to_owned(), epss),
    ]);
    let mirror = Mirror::start(files);
    let dir = tempfile::tempdir().expect("temp dir");
    let cache = dir.path().join("cache");
    let update = |ecosystems: &[&str]| {
        let mut command = bulwark();
        command
            .args(["db", "update", "--mirror", &mirror.url, "--cache-dir"])
            .arg(&cache);
        for ecosystem in ecosystems {
            command.args(["--ecosystem", ecosystem]);
        }
        run(&mut command)
    };

    let first = update(&["crates.io", "Go"]);
    let stdout = text(&first.stdout);
    assert!(first.status.success(), "{}\n{stdout}", text(&first.stderr));
    assert!(
        stdout.contains(&format!("osv/Go: {go_count} advisories")),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("osv/crates.io: {crates_count} advisories")),
        "{stdout}"
    );
    assert!(
        stdout.contains("kev: 0 advisories, 1404 KEV entries"),
        "{stdout}"
    );
    assert!(
        stdout.contains("epss: 0 advisories, 0 KEV entries, 5 EPSS scores"),
        "{stdout}"
    );
    assert_eq!(status_advisories(&cache), (go_count + crates_count) as u64);
    let status = text(&run(bulwark().args(["db", "status", "--cache-dir"]).arg(&cache)).stdout);
    assert!(status.contains(&format!("sha256: {go_sha256}")), "{status}");
    assert!(
        status.contains(&format!("source: {}Go/all.zip", mirror.url)),
        "{status}"
    );
    assert!(
        !cache.join("downloads/osv-Go/all.zip").exists(),
        "downloads are removed once imported"
    );

    // Nothing changed: every request is conditional and gets a 304.
    let before = mirror.requests.lock().expect("log").len();
    let second = update(&["crates.io", "Go"]);
    assert!(second.status.success(), "{}", text(&second.stderr));
    let stdout = text(&second.stdout);
    assert_eq!(stdout.matches("not modified").count(), 4, "{stdout}");
    let requests = mirror.requests.lock().expect("log");
    assert_eq!(requests.len(), before + 4);
    assert!(
        requests[before..].iter().all(|(_, tag)| tag.is_some()),
        "{requests:?}"
    );
    drop(requests);

    // An ecosystem the mirror lacks fails the command; the rest is kept.
    let partial = update(&["PyPI"]);
    assert_eq!(partial.status.code(), Some(2));
    assert!(
        text(&partial.stdout).contains("osv/PyPI: failed: server responded HTTP 404"),
        "{}",
        text(&partial.stdout)
    );
    assert_eq!(status_advisories(&cache), (go_count + crates_count) as u64);
}

#[test]
fn import_of_a_non_feed_file_fails() {
    let cache = tempfile::tempdir().expect("temp dir");
    let readme = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md");
    let output = run(bulwark()
        .args(["db", "import", "--cache-dir"])
        .arg(cache.path())
        .arg(&readme));
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    assert!(
        text(&output.stderr).contains("no converter recognizes"),
        "{}",
        text(&output.stderr)
    );
    // Nothing was stored for it: the database has no feed at all.
    let status = run(bulwark()
        .args(["db", "status", "--cache-dir"])
        .arg(cache.path()));
    assert!(
        !text(&status.stdout).contains("README.md"),
        "{}",
        text(&status.stdout)
    );
}
