//! End-to-end tests of `bulwark sbom` on real images and a real root
//! filesystem. They prove that the CycloneDX and SPDX documents pass the
//! official validators, list every package and dependency of the native
//! JSON, agree with the package databases read by independent tools, and
//! are byte-identical across runs.
//!
//! Prerequisites, which fail the tests with instructions when missing:
//! - the Python validators of `tests/python-requirements.txt`, in the
//!   interpreter named by `BULWARK_PYTHON` (default `python3`);
//! - the Debian test images that `../shared/corpus/images/build.sh` builds
//!   into `BULWARK_CORPUS_IMAGES` (default `/tmp/corpus-images`);
//! - `tar`, `date`, `dpkg` and `dpkg-query`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::Value;

/// The `bom-ref` that the CycloneDX writer gives the scanned target.
const CYCLONEDX_ROOT_REF: &str = "bulwark:target";
/// Exit status of `tests/validate_sbom.py` when a validator module is
/// missing.
const VALIDATOR_MISSING_MODULE: i32 = 3;

// ---------------------------------------------------------------------
// Inputs

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repository root exists")
}

fn shared_images_dir() -> PathBuf {
    repo_root().join("../shared/corpus/images")
}

fn corpus_images_dir() -> PathBuf {
    std::env::var_os("BULWARK_CORPUS_IMAGES")
        .map_or_else(|| PathBuf::from("/tmp/corpus-images"), PathBuf::from)
}

fn alpine_layout() -> PathBuf {
    repo_root().join("testdata/images/alpine-3.19")
}

fn alpine_target() -> String {
    format!("oci:{}", alpine_layout().display())
}

/// Fails with the command that builds the Debian test images.
fn missing_corpus_image(path: &Path) -> ! {
    panic!(
        "test image {} is missing: build the Debian test images as root with \
         `OUT={} {}/build.sh` (about 4 minutes; needs the Debian, PyPI and npm registries)",
        path.display(),
        corpus_images_dir().display(),
        shared_images_dir().display()
    )
}

/// Returns the OCI layout of a rebuilt Debian test image.
fn debian_layout(name: &str) -> PathBuf {
    let dir = corpus_images_dir().join("oci").join(name);
    if !dir.join("index.json").is_file() {
        missing_corpus_image(&dir);
    }
    dir
}

fn debian_oci_target(name: &str) -> String {
    format!("oci:{}", debian_layout(name).display())
}

fn debian_archive_target(name: &str) -> String {
    let path = corpus_images_dir()
        .join("docker")
        .join(format!("{name}.tar"));
    if !path.is_file() {
        missing_corpus_image(&path);
    }
    format!("docker-archive:{}", path.display())
}

fn bins_target() -> String {
    let dir = shared_images_dir().join("oci");
    assert!(
        dir.join("index.json").is_file(),
        "the shipped `bins` test image is missing at {}: it comes with ../shared/corpus",
        dir.display()
    );
    format!("oci:{}:bins", dir.display())
}

/// Unpacks the Alpine 3.19.4 minirootfs from the shared corpus.
fn unpack_alpine_minirootfs() -> tempfile::TempDir {
    let tarball = repo_root()
        .join("../shared/corpus/scan/alpine-minirootfs/alpine-minirootfs-3.19.4-x86_64.tar.gz");
    assert!(
        tarball.is_file(),
        "{} is missing: it comes with ../shared/corpus",
        tarball.display()
    );
    let dir = tempfile::tempdir().expect("create a temporary directory");
    run_tool(
        Command::new("tar")
            .arg("-xzf")
            .arg(&tarball)
            .arg("-C")
            .arg(dir.path()),
    );
    dir
}

/// Runs an external tool and returns its stdout, failing on errors.
fn run_tool(command: &mut Command) -> String {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("failed to run {command:?}: {e}"));
    assert!(
        output.status.success(),
        "{command:?} failed with {}: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("tool output is UTF-8")
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    serde_json::from_slice(&text).unwrap_or_else(|e| panic!("parse {}: {e}", path.display()))
}

/// Reads the manifest of the only image in an OCI layout.
fn oci_manifest(layout: &Path) -> Value {
    let index = read_json(&layout.join("index.json"));
    let manifests = index["manifests"]
        .as_array()
        .expect("index lists manifests");
    assert_eq!(manifests.len(), 1, "{} holds one image", layout.display());
    read_json(&blob_path(layout, &manifests[0]["digest"]))
}

fn blob_path(layout: &Path, digest: &Value) -> PathBuf {
    let digest = digest.as_str().expect("digest is a string");
    let (algorithm, hex) = digest.split_once(':').expect("digest has an algorithm");
    layout.join("blobs").join(algorithm).join(hex)
}

/// Extracts files from a single-layer OCI image with `tar`, independently
/// of Bulwark's layer reader.
fn extract_from_single_layer(layout: &Path, paths: &[&str]) -> tempfile::TempDir {
    let manifest = oci_manifest(layout);
    let layers = manifest["layers"]
        .as_array()
        .expect("manifest lists layers");
    assert_eq!(
        layers.len(),
        1,
        "{} must have one layer for this check",
        layout.display()
    );
    let blob = blob_path(layout, &layers[0]["digest"]);
    let members = run_tool(Command::new("tar").arg("-tf").arg(&blob));
    let wanted: Vec<&str> = members
        .lines()
        .filter(|member| paths.contains(&member.trim_start_matches("./")))
        .collect();
    assert_eq!(
        wanted.len(),
        paths.len(),
        "layer of {} lacks some of {paths:?}",
        layout.display()
    );
    let dir = tempfile::tempdir().expect("create a temporary directory");
    run_tool(
        Command::new("tar")
            .arg("-xf")
            .arg(&blob)
            .arg("-C")
            .arg(dir.path())
            .args(&wanted),
    );
    dir
}

/// Reads the `created` time of the image config in an OCI layout.
fn image_created(layout: &Path) -> String {
    let manifest = oci_manifest(layout);
    let config = read_json(&blob_path(layout, &manifest["config"]["digest"]));
    config["created"]
        .as_str()
        .expect("config has created")
        .to_owned()
}

/// Formats Unix seconds with GNU `date`, as an oracle for the writers.
fn date_utc(seconds: i64) -> String {
    run_tool(Command::new("date").args(["-u", "-d", &format!("@{seconds}"), "+%Y-%m-%dT%H:%M:%SZ"]))
        .trim()
        .to_owned()
}

/// Reads `(name, version)` of every package in an apk database file.
fn apk_database_packages(path: &Path) -> BTreeSet<(String, String)> {
    let text = std::fs::read_to_string(path).expect("read the apk database");
    text.split("\n\n")
        .filter_map(|stanza| {
            let field = |key: &str| {
                stanza
                    .lines()
                    .find_map(|line| line.strip_prefix(key))
                    .map(str::to_owned)
            };
            Some((field("P:")?, field("V:")?))
        })
        .collect()
}

// ---------------------------------------------------------------------
// Running bulwark and the validators

/// Runs `bulwark sbom TARGET -f FORMAT` with a clean environment plus
/// `envs`, failing on a non-zero exit, and returns stdout.
fn sbom_fresh(target: &str, format: &str, envs: &[(&str, &str)]) -> Vec<u8> {
    let output = bulwark_sbom(target, format, envs);
    assert!(
        output.status.success(),
        "bulwark sbom {target} -f {format} exited with {}: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

fn bulwark_sbom(target: &str, format: &str, envs: &[(&str, &str)]) -> std::process::Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_bulwark"));
    command.args(["sbom", target, "-f", format]);
    for name in [
        "SOURCE_DATE_EPOCH",
        "BULWARK_FORMAT",
        "BULWARK_OUTPUT",
        "BULWARK_PLATFORM",
        "BULWARK_LOG",
    ] {
        command.env_remove(name);
    }
    command.envs(envs.iter().copied());
    command.output().expect("failed to run bulwark")
}

type OutputCache = Mutex<HashMap<(String, String), Arc<OnceLock<Vec<u8>>>>>;

/// Like [`sbom_fresh`] without extra environment, but each target and
/// format runs once per test binary: a debug build takes up to a minute
/// per Debian image.
fn sbom(target: &str, format: &str) -> Vec<u8> {
    static CACHE: OnceLock<OutputCache> = OnceLock::new();
    let slot = CACHE
        .get_or_init(Default::default)
        .lock()
        .expect("cache lock")
        .entry((target.to_owned(), format.to_owned()))
        .or_default()
        .clone();
    slot.get_or_init(|| sbom_fresh(target, format, &[])).clone()
}

fn parse(document: &[u8]) -> Value {
    serde_json::from_slice(document).expect("output is JSON")
}

fn python() -> String {
    std::env::var("BULWARK_PYTHON").unwrap_or_else(|_| "python3".to_owned())
}

/// Runs `tests/validate_sbom.py FORMAT FILE` and returns its exit code,
/// stdout and stderr.
fn run_validator(format: &str, document: &[u8]) -> (i32, String, String) {
    let dir = tempfile::tempdir().expect("create a temporary directory");
    let name = if format == "cyclonedx" {
        "bom.cdx.json"
    } else {
        "bom.spdx.json"
    };
    let path = dir.path().join(name);
    std::fs::write(&path, document).expect("write the document");
    let python = python();
    let output = Command::new(&python)
        .arg(repo_root().join("tests/validate_sbom.py"))
        .arg(format)
        .arg(&path)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "failed to run {python} ({e}): create the validator venv with \
                 `python3 -m venv /tmp/bulwark-ci-venv && /tmp/bulwark-ci-venv/bin/pip install \
                 -r tests/python-requirements.txt` and set \
                 BULWARK_PYTHON=/tmp/bulwark-ci-venv/bin/python"
            )
        });
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let code = output.status.code().unwrap_or(-1);
    assert_ne!(
        code, VALIDATOR_MISSING_MODULE,
        "the SBOM validators are not installed for {python}: {stderr}"
    );
    (code, stdout, stderr)
}

fn assert_valid(format: &str, document: &[u8], target: &str) {
    let (code, stdout, stderr) = run_validator(format, document);
    assert_eq!(
        code, 0,
        "{format} output for {target} is invalid:\n{stdout}{stderr}"
    );
}

// ---------------------------------------------------------------------
// Completeness

/// The version a package manager prints: `epoch:version-release`.
fn full_version(package: &Value) -> String {
    let mut text = String::new();
    if let Some(epoch) = package["epoch"].as_u64() {
        text.push_str(&format!("{epoch}:"));
    }
    text.push_str(package["version"].as_str().expect("version"));
    if let Some(release) = package["release"].as_str() {
        text.push('-');
        text.push_str(release);
    }
    text
}

fn str_of<'a>(value: &'a Value, key: &str) -> &'a str {
    value[key].as_str().unwrap_or_default()
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Lists how the CycloneDX document fails to copy the native JSON:
/// missing or extra components, different purls, names, versions or
/// dependencies, licenses that appear or vanish, unreachable components.
fn cyclonedx_problems(native: &Value, cdx: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let packages = native["packages"].as_array().expect("packages");
    let components: BTreeMap<&str, &Value> = cdx["components"]
        .as_array()
        .expect("components")
        .iter()
        .map(|c| (str_of(c, "bom-ref"), c))
        .collect();
    let dependencies: BTreeMap<&str, BTreeSet<String>> = cdx["dependencies"]
        .as_array()
        .expect("dependencies")
        .iter()
        .map(|d| {
            (
                str_of(d, "ref"),
                strings(&d["dependsOn"]).into_iter().collect(),
            )
        })
        .collect();
    let os_components = usize::from(native.get("os").is_some());
    if components.len() != packages.len() + os_components {
        problems.push(format!(
            "CycloneDX has {} components for {} packages and {os_components} OS",
            components.len(),
            packages.len()
        ));
    }
    for package in packages {
        let id = str_of(package, "id");
        let Some(component) = components.get(id) else {
            problems.push(format!("no CycloneDX component has bom-ref {id}"));
            continue;
        };
        for (field, expected) in [
            ("purl", str_of(package, "purl").to_owned()),
            ("name", str_of(package, "name").to_owned()),
            ("version", full_version(package)),
        ] {
            if str_of(component, field) != expected {
                problems.push(format!(
                    "component {id}: {field} {:?}, expected {expected:?}",
                    component[field]
                ));
            }
        }
        let licenses = strings(&package["licenses"]);
        let has_licenses = component.get("licenses").is_some();
        if has_licenses == licenses.iter().all(|l| l.trim().is_empty()) {
            problems.push(format!(
                "component {id}: licenses present is {has_licenses} for {licenses:?}"
            ));
        }
        for choice in component["licenses"].as_array().into_iter().flatten() {
            if let Some(name) = choice["license"]["name"].as_str()
                && !licenses.iter().any(|l| l.trim() == name)
            {
                problems.push(format!(
                    "component {id}: license name {name:?} is not in {licenses:?}"
                ));
            }
        }
        let expected: BTreeSet<String> = strings(&package["depends_on"]).into_iter().collect();
        match dependencies.get(id) {
            Some(found) if *found == expected => {}
            found => problems.push(format!(
                "component {id}: dependsOn {found:?}, expected {expected:?}"
            )),
        }
    }
    // Every component must be reachable from the target.
    let mut reached: BTreeSet<&str> = BTreeSet::new();
    let mut queue = vec![CYCLONEDX_ROOT_REF];
    while let Some(reference) = queue.pop() {
        if reached.insert(reference) {
            for next in dependencies.get(reference).into_iter().flatten() {
                queue.push(next.as_str());
            }
        }
    }
    for reference in components.keys() {
        if !reached.contains(reference) {
            problems.push(format!(
                "component {reference} is not reachable from the target"
            ));
        }
    }
    problems
}

/// Lists how the SPDX document fails to copy the native JSON, matching
/// packages by purl because SPDX has no field for Bulwark's package ids.
fn spdx_problems(native: &Value, spdx: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let packages = native["packages"].as_array().expect("packages");
    let spdx_packages = spdx["packages"].as_array().expect("packages");
    let mut purl_of: BTreeMap<&str, &str> = BTreeMap::new();
    for entry in spdx_packages {
        let purls: Vec<&str> = entry["externalRefs"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|r| r["referenceType"] == "purl")
            .map(|r| str_of(r, "referenceLocator"))
            .collect();
        if let [purl] = purls.as_slice() {
            purl_of.insert(str_of(entry, "SPDXID"), purl);
        }
    }
    let mut expected_purls: Vec<&str> = packages.iter().map(|p| str_of(p, "purl")).collect();
    let mut found_purls: Vec<&str> = purl_of.values().copied().collect();
    expected_purls.sort_unstable();
    found_purls.sort_unstable();
    if expected_purls != found_purls {
        let expected: BTreeSet<&str> = expected_purls.iter().copied().collect();
        let found: BTreeSet<&str> = found_purls.iter().copied().collect();
        problems.push(format!(
            "SPDX purls differ from the native JSON: missing {:?}, extra {:?} \
             ({} expected, {} found)",
            expected.difference(&found).collect::<Vec<_>>(),
            found.difference(&expected).collect::<Vec<_>>(),
            expected_purls.len(),
            found_purls.len()
        ));
    }

    let purl_by_id: BTreeMap<&str, &str> = packages
        .iter()
        .map(|p| (str_of(p, "id"), str_of(p, "purl")))
        .collect();
    let purl_by_id = &purl_by_id;
    let mut expected_edges: Vec<(&str, &str)> = packages
        .iter()
        .flat_map(|p| {
            let from = str_of(p, "purl");
            p["depends_on"]
                .as_array()
                .into_iter()
                .flatten()
                .map(move |to| (from, purl_by_id[to.as_str().expect("id")]))
        })
        .collect();
    let relationships = spdx["relationships"].as_array().expect("relationships");
    let mut found_edges: Vec<(&str, &str)> = relationships
        .iter()
        .filter(|r| r["relationshipType"] == "DEPENDS_ON")
        .filter_map(|r| {
            Some((
                *purl_of.get(str_of(r, "spdxElementId"))?,
                *purl_of.get(str_of(r, "relatedSpdxElement"))?,
            ))
        })
        .collect();
    expected_edges.sort_unstable();
    found_edges.sort_unstable();
    if expected_edges != found_edges {
        problems.push(format!(
            "SPDX has {} DEPENDS_ON relationships between packages, the native JSON {} edges",
            found_edges.len(),
            expected_edges.len()
        ));
    }
    let contained: BTreeSet<&str> = relationships
        .iter()
        .filter(|r| r["relationshipType"] == "CONTAINS" && r["spdxElementId"] == "SPDXRef-Target")
        .map(|r| str_of(r, "relatedSpdxElement"))
        .collect();
    for id in purl_of.keys() {
        if !contained.contains(id) {
            problems.push(format!("the target does not CONTAIN {id}"));
        }
    }

    let native_licenses: BTreeSet<String> = packages
        .iter()
        .flat_map(|p| strings(&p["licenses"]))
        .map(|l| l.trim().to_owned())
        .collect();
    for info in spdx["hasExtractedLicensingInfos"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let name = str_of(info, "name");
        let from_expression = str_of(info, "extractedText").contains("in the expression");
        if !from_expression && !native_licenses.contains(name) {
            problems.push(format!(
                "extracted license {name:?} is not a license of the native JSON"
            ));
        }
    }
    for entry in spdx_packages {
        let Some(purl) = purl_of.get(str_of(entry, "SPDXID")) else {
            continue;
        };
        let declared = str_of(entry, "licenseDeclared");
        let native_has = packages
            .iter()
            .filter(|p| str_of(p, "purl") == *purl)
            .any(|p| strings(&p["licenses"]).iter().any(|l| !l.trim().is_empty()));
        if native_has == (declared == "NOASSERTION") {
            problems.push(format!(
                "{purl}: licenseDeclared {declared:?} but native licenses present is {native_has}"
            ));
        }
    }
    problems
}

/// Writes every format for a target, checks that both SBOM formats pass
/// the validators and copy every package, dependency and license of the
/// native JSON, and returns the native JSON.
fn check_target(target: &str) -> Value {
    let native = parse(&sbom(target, "json"));
    let cdx_bytes = sbom(target, "cyclonedx");
    let spdx_bytes = sbom(target, "spdx-json");
    assert_valid("cyclonedx", &cdx_bytes, target);
    assert_valid("spdx-json", &spdx_bytes, target);
    let cdx = parse(&cdx_bytes);
    let spdx = parse(&spdx_bytes);
    let mut problems = cyclonedx_problems(&native, &cdx);
    problems.extend(spdx_problems(&native, &spdx));
    assert!(
        problems.is_empty(),
        "{target}: SBOMs differ from the native JSON:\n{}",
        problems.join("\n")
    );
    let packages = native["packages"].as_array().expect("packages");
    let edges: usize = packages
        .iter()
        .map(|p| p["depends_on"].as_array().map_or(0, Vec::len))
        .sum();
    println!(
        "{target}: {} packages, {edges} dependency edges, {} extracted licenses: valid and complete",
        packages.len(),
        spdx["hasExtractedLicensingInfos"]
            .as_array()
            .map_or(0, Vec::len)
    );
    native
}

fn package_set(native: &Value) -> BTreeSet<(String, String)> {
    native["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .map(|p| (str_of(p, "name").to_owned(), full_version(p)))
        .collect()
}

// ---------------------------------------------------------------------
// Validity and completeness per target

#[test]
fn alpine_image_sboms_are_valid_and_complete() {
    let native = check_target(&alpine_target());
    let files = extract_from_single_layer(&alpine_layout(), &["lib/apk/db/installed"]);
    let expected = apk_database_packages(&files.path().join("lib/apk/db/installed"));
    assert!(!expected.is_empty(), "the apk database lists packages");
    assert_eq!(package_set(&native), expected);
}

#[test]
fn alpine_directory_sboms_are_valid_and_complete() {
    let root = unpack_alpine_minirootfs();
    let target = format!("dir:{}", root.path().display());
    let native = check_target(&target);
    let expected = apk_database_packages(&root.path().join("lib/apk/db/installed"));
    assert!(!expected.is_empty(), "the apk database lists packages");
    assert_eq!(package_set(&native), expected);
    assert_eq!(native["source"]["kind"], "directory");
}

#[test]
fn bins_image_sboms_are_valid_and_complete() {
    let native = check_target(&bins_target());
    // The image contains Rust and Go binaries, so an empty list means the
    // binary analyzers found nothing.
    assert!(
        !native["packages"].as_array().expect("packages").is_empty(),
        "no packages found in the bins image"
    );
}

#[test]
fn debian_minbase_sboms_are_valid_and_complete() {
    check_target(&debian_oci_target("debian-bookworm-minbase"));
}

#[test]
fn py_app_sboms_are_valid_and_complete() {
    check_target(&debian_oci_target("py-app"));
}

#[test]
fn node_app_sboms_are_valid_and_complete() {
    check_target(&debian_oci_target("node-app"));
}

#[test]
fn layers_image_sboms_are_valid_and_complete() {
    check_target(&debian_oci_target("layers"));
}

#[test]
fn validator_reports_broken_documents() {
    let target = alpine_target();
    let mut cdx = parse(&sbom(&target, "cyclonedx"));
    cdx.as_object_mut().expect("object").remove("bomFormat");
    let components = cdx["components"].as_array_mut().expect("components");
    let first_ref = components[1]["bom-ref"].clone();
    components[2]["bom-ref"] = first_ref;
    components[3]["purl"] = "pkg:not a purl".into();
    components[4]["licenses"] = serde_json::json!([{ "license": { "id": "Not-A-License-1.0" } }]);
    cdx["dependencies"][0]["dependsOn"]
        .as_array_mut()
        .expect("dependsOn")
        .push("no-such-ref".into());
    let (code, stdout, _) = run_validator("cyclonedx", cdx.to_string().as_bytes());
    assert_eq!(code, 1, "broken CycloneDX must fail:\n{stdout}");
    for needle in [
        "bomFormat",
        "repeats",
        "invalid purl",
        "Not-A-License-1.0",
        "no-such-ref",
    ] {
        assert!(
            stdout.contains(needle),
            "no problem mentions {needle:?}:\n{stdout}"
        );
    }

    let mut spdx = parse(&sbom(&target, "spdx-json"));
    spdx["packages"][2]["licenseDeclared"] = "MIT AND LicenseRef-undeclared".into();
    spdx["relationships"][0]["relatedSpdxElement"] = "SPDXRef-missing".into();
    spdx["packages"][3]["externalRefs"][0]["referenceLocator"] = "pkg:apk/alpine/x@1?a=%zz".into();
    let (code, stdout, _) = run_validator("spdx-json", spdx.to_string().as_bytes());
    assert_eq!(code, 1, "broken SPDX must fail:\n{stdout}");
    for needle in ["LicenseRef-undeclared", "SPDXRef-missing", "purl"] {
        assert!(
            stdout.contains(needle),
            "no problem mentions {needle:?}:\n{stdout}"
        );
    }
}

// ---------------------------------------------------------------------
// Determinism

#[test]
fn alpine_outputs_are_byte_identical_across_runs() {
    let target = alpine_target();
    for format in ["table", "json", "cyclonedx", "spdx-json"] {
        let first = sbom(&target, format);
        let second = sbom_fresh(&target, format, &[]);
        assert!(!first.is_empty(), "{format} output is empty");
        assert!(first == second, "two runs of -f {format} differ");
    }
}

#[test]
fn debian_outputs_are_byte_identical_across_runs() {
    let target = debian_oci_target("debian-bookworm-minbase");
    for format in ["cyclonedx", "spdx-json"] {
        let first = sbom(&target, format);
        let second = sbom_fresh(&target, format, &[]);
        assert!(first == second, "two runs of -f {format} differ");
    }
}

#[test]
fn timestamp_follows_source_date_epoch() {
    let target = alpine_target();
    // An arbitrary instant that differs from the image creation time.
    let seconds: i64 = 1_234_567_890;
    let epoch = seconds.to_string();
    let env = [("SOURCE_DATE_EPOCH", epoch.as_str())];
    let expected = date_utc(seconds);
    let cdx_bytes = sbom_fresh(&target, "cyclonedx", &env);
    let spdx_bytes = sbom_fresh(&target, "spdx-json", &env);
    let cdx = parse(&cdx_bytes);
    let spdx = parse(&spdx_bytes);
    assert_eq!(cdx["metadata"]["timestamp"], expected.as_str());
    assert_eq!(spdx["creationInfo"]["created"], expected.as_str());
    assert_valid("cyclonedx", &cdx_bytes, &target);
    assert_valid("spdx-json", &spdx_bytes, &target);

    // The same epoch gives the same document; the timestamp is part of
    // the document, so another one gives a new serial and namespace.
    assert!(cdx_bytes == sbom_fresh(&target, "cyclonedx", &env));
    let default_cdx = parse(&sbom(&target, "cyclonedx"));
    let default_spdx = parse(&sbom(&target, "spdx-json"));
    assert_ne!(cdx["serialNumber"], default_cdx["serialNumber"]);
    assert_ne!(spdx["documentNamespace"], default_spdx["documentNamespace"]);
    assert_eq!(cdx["components"], default_cdx["components"]);
}

#[test]
fn invalid_source_date_epoch_is_rejected() {
    for value in ["yesterday", "-1", "99999999999999"] {
        let output = bulwark_sbom(
            &alpine_target(),
            "cyclonedx",
            &[("SOURCE_DATE_EPOCH", value)],
        );
        assert_eq!(output.status.code(), Some(2), "SOURCE_DATE_EPOCH={value}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("invalid SOURCE_DATE_EPOCH"),
            "SOURCE_DATE_EPOCH={value}: {stderr}"
        );
    }
}

#[test]
fn timestamp_defaults_to_image_created() {
    let layout = alpine_layout();
    let created = image_created(&layout);
    let target = alpine_target();
    let cdx = parse(&sbom(&target, "cyclonedx"));
    let spdx = parse(&sbom(&target, "spdx-json"));
    // The writers keep whole seconds in UTC; `date` does the same here.
    let seconds: i64 = run_tool(Command::new("date").args(["-u", "-d", &created, "+%s"]))
        .trim()
        .parse()
        .expect("date prints seconds");
    let expected = date_utc(seconds);
    assert_eq!(cdx["metadata"]["timestamp"], expected.as_str());
    assert_eq!(spdx["creationInfo"]["created"], expected.as_str());
}

#[test]
fn serial_changes_only_with_content() {
    let root = unpack_alpine_minirootfs();
    let target = format!("dir:{}", root.path().display());
    let database = root.path().join("lib/apk/db/installed");
    let identifiers = || {
        let cdx = parse(&sbom_fresh(&target, "cyclonedx", &[]));
        let spdx = parse(&sbom_fresh(&target, "spdx-json", &[]));
        (
            cdx["serialNumber"].as_str().expect("serial").to_owned(),
            spdx["documentNamespace"]
                .as_str()
                .expect("namespace")
                .to_owned(),
        )
    };
    let original = identifiers();
    assert_eq!(original, identifiers(), "same content, same identifiers");

    // Remove the last package from the apk database.
    let text = std::fs::read_to_string(&database).expect("read the apk database");
    let stanzas: Vec<&str> = text.trim_end().split("\n\n").collect();
    let removed = stanzas
        .last()
        .and_then(|s| s.lines().find_map(|l| l.strip_prefix("P:")))
        .expect("the last stanza names a package")
        .to_owned();
    let shorter = format!("{}\n\n", stanzas[..stanzas.len() - 1].join("\n\n"));
    std::fs::write(&database, shorter).expect("write the apk database");
    let changed = identifiers();
    assert_ne!(
        changed.0, original.0,
        "serial number after removing {removed}"
    );
    assert_ne!(changed.1, original.1, "namespace after removing {removed}");
    let native = parse(&sbom_fresh(&target, "json", &[]));
    assert!(
        !package_set(&native)
            .iter()
            .any(|(name, _)| *name == removed),
        "{removed} is still listed"
    );

    std::fs::write(&database, text).expect("restore the apk database");
    assert_eq!(
        identifiers(),
        original,
        "restored content, same identifiers"
    );
}

#[test]
fn oci_and_docker_archive_list_same_packages() {
    for name in ["debian-bookworm-minbase", "layers"] {
        let oci = parse(&sbom(&debian_oci_target(name), "json"));
        let archive = parse(&sbom(&debian_archive_target(name), "json"));
        assert!(
            !oci["packages"].as_array().expect("packages").is_empty(),
            "{name} has packages"
        );
        assert_eq!(oci["packages"], archive["packages"], "{name}: packages");
        assert_eq!(oci["os"], archive["os"], "{name}: os");
        assert_eq!(
            oci["source"]["layers"], archive["source"]["layers"],
            "{name}: layers"
        );
        let oci_cdx = parse(&sbom(&debian_oci_target(name), "cyclonedx"));
        let archive_cdx = parse(&sbom(&debian_archive_target(name), "cyclonedx"));
        assert_eq!(
            oci_cdx["components"], archive_cdx["components"],
            "{name}: CycloneDX components"
        );
    }
}

// ---------------------------------------------------------------------
// Table

#[test]
fn table_lists_one_row_per_package() {
    let target = alpine_target();
    let table = String::from_utf8(sbom(&target, "table")).expect("table is UTF-8");
    let native = parse(&sbom(&target, "json"));
    let packages = native["packages"].as_array().expect("packages");
    let os = &native["os"];
    let mut lines = table.lines();
    let summary = lines.next().expect("summary line");
    assert_eq!(
        summary,
        format!(
            "{target} (image, {} {}): {} packages",
            str_of(os, "family"),
            str_of(os, "version"),
            packages.len()
        )
    );
    assert_eq!(lines.next(), Some(""), "blank line after the summary");
    let header = lines.next().expect("header line");
    let columns = ["NAME", "VERSION", "TYPE", "SOURCE", "LOCATION"];
    let starts: Vec<usize> = columns
        .iter()
        .map(|c| header.find(c).unwrap_or_else(|| panic!("no {c} column")))
        .collect();
    assert!(starts.windows(2).all(|w| w[0] < w[1]), "column order");
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), packages.len(), "one row per package");
    for (row, package) in rows.iter().zip(packages) {
        let cell = |i: usize| {
            let end = starts
                .get(i + 1)
                .copied()
                .unwrap_or(row.len())
                .min(row.len());
            row.get(starts[i]..end).unwrap_or_default().trim()
        };
        let source = match package["source_name"].as_str() {
            Some(source) if source != str_of(package, "name") => source,
            _ => "",
        };
        let location = strings(&package["locations"])
            .first()
            .cloned()
            .unwrap_or_default();
        assert_eq!(cell(0), str_of(package, "name"), "{row}");
        assert_eq!(cell(1), full_version(package), "{row}");
        assert_eq!(cell(2), str_of(package, "kind"), "{row}");
        assert_eq!(cell(3), source, "{row}");
        assert_eq!(cell(4), location, "{row}");
    }
}

// ---------------------------------------------------------------------
// Comparison with dpkg-query and peer scanners

/// One installed package as `dpkg-query` prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct DpkgEntry {
    version: String,
    arch: String,
    source: String,
    source_version: String,
}

/// Reads the dpkg status file of the rebuilt image with `dpkg-query`.
fn dpkg_query_packages(admin_dir: &Path) -> BTreeMap<String, DpkgEntry> {
    let text = run_tool(
        Command::new("dpkg-query")
            .arg(format!("--admindir={}", admin_dir.display()))
            .arg("-W")
            .arg(
                "-f=${Status}\t${Package}\t${Version}\t${Architecture}\t${source:Package}\t\
                 ${source:Version}\n",
            ),
    );
    text.lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            let [status, name, version, arch, source, source_version] = fields.as_slice() else {
                panic!("unexpected dpkg-query line {line:?}");
            };
            (*status == "install ok installed").then(|| {
                (
                    (*name).to_owned(),
                    DpkgEntry {
                        version: (*version).to_owned(),
                        arch: (*arch).to_owned(),
                        source: (*source).to_owned(),
                        source_version: (*source_version).to_owned(),
                    },
                )
            })
        })
        .collect()
}

/// The parts of a purl that these tests compare, percent-decoded.
#[derive(Debug)]
struct Purl {
    kind: String,
    namespace: String,
    name: String,
    version: String,
    qualifiers: BTreeMap<String, String>,
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = text.get(i + 1..i + 3)
            && let Ok(byte) = u8::from_str_radix(hex, 16)
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).expect("purl decodes to UTF-8")
}

/// Splits a purl without a subpath, such as
/// `pkg:deb/debian/libc6@2.36-9%2Bdeb12u14?arch=amd64&distro=debian-12.15`.
fn parse_purl(text: &str) -> Purl {
    let rest = text.strip_prefix("pkg:").expect("purl starts with pkg:");
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (path, version) = path.split_once('@').expect("purl has a version");
    let mut segments: Vec<&str> = path.split('/').collect();
    let name = segments.pop().expect("purl has a name");
    let kind = segments.remove(0);
    let qualifiers = query
        .split('&')
        .filter(|q| !q.is_empty())
        .map(|q| {
            let (key, value) = q.split_once('=').expect("qualifier has a value");
            (key.to_owned(), percent_decode(value))
        })
        .collect();
    Purl {
        kind: kind.to_owned(),
        namespace: segments.join("/"),
        name: percent_decode(name),
        version: percent_decode(version),
        qualifiers,
    }
}

/// The Debian version that a purl names: Bulwark and Trivy carry the
/// epoch in an `epoch` qualifier, Syft and the deb type definition in the
/// version (`1:2.4.47-2`).
fn purl_debian_version(purl: &Purl) -> String {
    match purl.qualifiers.get("epoch") {
        Some(epoch) => format!("{epoch}:{}", purl.version),
        None => purl.version.clone(),
    }
}

fn dpkg_version_lower(lower: &str, higher: &str) -> bool {
    Command::new("dpkg")
        .args(["--compare-versions", lower, "lt", higher])
        .status()
        .expect("run dpkg --compare-versions")
        .success()
}

/// Qualifiers that Bulwark's deb purls have and Trivy 0.76's lack, with
/// the reason we keep each.
// TODO: the purl deb type definition defines only `arch`, `distro` and
// `repository_url`, and its examples put the epoch in the version
// (`pkg:deb/debian/attr@1:2.4.47-2`). Bulwark and Trivy both use an
// `epoch` qualifier; moving it into the version, as Syft 1.18 does, is a
// change to the inventory's purl builder.
const OUR_EXTRA_QUALIFIERS: &[(&str, &str)] = &[(
    "upstream",
    "source package name when it differs from the binary package; Syft 1.18 writes the \
     same qualifier, Trivy keeps the source only as a CycloneDX property",
)];

/// Trivy 0.76 values that we consider wrong, as (package, field, Trivy's
/// value, reason). No value of the `debian-bookworm-minbase` baseline is
/// wrong today: names, versions, arch, distro and epoch all agree with
/// `dpkg-query`, apart from point-release version updates, which the test
/// checks separately.
const TRIVY_EXCEPTIONS: &[(&str, &str, &str, &str)] = &[];

fn peer_baseline(image: &str, tool: &str) -> Value {
    let archive = shared_images_dir().join("baselines.tar.gz");
    assert!(
        archive.is_file(),
        "{} is missing: it comes with ../shared/corpus",
        archive.display()
    );
    let member = format!("baselines/{image}/{tool}.cdx.json");
    let text = run_tool(Command::new("tar").arg("-xzOf").arg(&archive).arg(&member));
    serde_json::from_str(&text).expect("baseline is JSON")
}

#[test]
fn minbase_packages_match_dpkg_query_and_trivy() {
    let image = "debian-bookworm-minbase";
    let layout = debian_layout(image);
    let files = extract_from_single_layer(&layout, &["var/lib/dpkg/status", "etc/debian_version"]);
    let dpkg = dpkg_query_packages(&files.path().join("var/lib/dpkg"));
    let debian_version = std::fs::read_to_string(files.path().join("etc/debian_version"))
        .expect("read etc/debian_version")
        .trim()
        .to_owned();
    assert!(!dpkg.is_empty(), "dpkg-query lists packages");

    // Bulwark against dpkg-query on the same image: exact.
    let native = parse(&sbom(&debian_oci_target(image), "json"));
    assert_eq!(native["os"]["version"], debian_version.as_str());
    let ours: BTreeMap<String, &Value> = native["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .filter(|p| p["kind"] == "deb")
        .map(|p| (str_of(p, "name").to_owned(), p))
        .collect();
    let our_names: BTreeSet<&String> = ours.keys().collect();
    let dpkg_names: BTreeSet<&String> = dpkg.keys().collect();
    assert_eq!(our_names, dpkg_names, "package names against dpkg-query");
    let distro = format!("debian-{debian_version}");
    let mut problems = Vec::new();
    for (name, entry) in &dpkg {
        let package = ours[name];
        let purl = parse_purl(str_of(package, "purl"));
        let checks = [
            ("version", full_version(package), entry.version.clone()),
            (
                "purl version",
                purl_debian_version(&purl),
                entry.version.clone(),
            ),
            ("purl type", purl.kind.clone(), "deb".to_owned()),
            (
                "purl namespace",
                purl.namespace.clone(),
                "debian".to_owned(),
            ),
            ("purl name", purl.name.clone(), name.clone()),
            (
                "purl arch",
                purl.qualifiers.get("arch").cloned().unwrap_or_default(),
                entry.arch.clone(),
            ),
            (
                "purl distro",
                purl.qualifiers.get("distro").cloned().unwrap_or_default(),
                distro.clone(),
            ),
            (
                "source",
                package["source_name"].as_str().unwrap_or(name).to_owned(),
                entry.source.clone(),
            ),
            (
                "source version",
                package["source_version"]
                    .as_str()
                    .map_or_else(|| full_version(package), str::to_owned),
                entry.source_version.clone(),
            ),
        ];
        for (field, found, expected) in checks {
            if found != expected {
                problems.push(format!(
                    "{name}: {field} {found:?}, dpkg-query {expected:?}"
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));

    // Trivy's baseline against dpkg-query. The baseline was built from the
    // mirror on another day, so a lower Debian version there is a point
    // release, not a disagreement.
    let trivy = peer_baseline(image, "trivy");
    let components = trivy["components"].as_array().expect("components");
    let trivy_os = components
        .iter()
        .find(|c| c["type"] == "operating-system")
        .expect("Trivy lists the OS");
    let trivy_debian = str_of(trivy_os, "version");
    assert!(
        trivy_debian == debian_version || dpkg_version_lower(trivy_debian, &debian_version),
        "Trivy's Debian {trivy_debian} is newer than the image's {debian_version}"
    );
    let trivy_packages: BTreeMap<String, Purl> = components
        .iter()
        .filter(|c| str_of(c, "purl").starts_with("pkg:deb/"))
        .map(|c| (str_of(c, "name").to_owned(), parse_purl(str_of(c, "purl"))))
        .collect();
    let mut differences = Vec::new();
    let mut older_in_baseline = Vec::new();
    let mut known_extra_qualifiers = 0;
    let trivy_names: BTreeSet<&String> = trivy_packages.keys().collect();
    for name in dpkg_names.symmetric_difference(&trivy_names) {
        differences.push((
            name.to_string(),
            "presence",
            format!("{}", trivy_names.contains(name)),
        ));
    }
    for (name, purl) in &trivy_packages {
        let Some(entry) = dpkg.get(name) else {
            continue;
        };
        let version = purl_debian_version(purl);
        if version != entry.version {
            if dpkg_version_lower(&version, &entry.version) {
                older_in_baseline.push(format!("{name} {version} < {}", entry.version));
            } else {
                differences.push((name.clone(), "version", version));
            }
        }
        let trivy_distro = format!("debian-{trivy_debian}");
        let fields = [
            ("type", purl.kind.as_str(), "deb"),
            ("namespace", purl.namespace.as_str(), "debian"),
            (
                "arch",
                purl.qualifiers.get("arch").map_or("", String::as_str),
                entry.arch.as_str(),
            ),
            (
                "distro",
                purl.qualifiers.get("distro").map_or("", String::as_str),
                trivy_distro.as_str(),
            ),
        ];
        for (field, found, expected) in fields {
            if found != expected {
                differences.push((name.clone(), field, found.to_owned()));
            }
        }
        let our_purl = parse_purl(str_of(ours[name], "purl"));
        let our_keys: BTreeSet<&String> = our_purl.qualifiers.keys().collect();
        let trivy_keys: BTreeSet<&String> = purl.qualifiers.keys().collect();
        for key in our_keys.difference(&trivy_keys) {
            if OUR_EXTRA_QUALIFIERS.iter().any(|(k, _)| k == key) {
                known_extra_qualifiers += 1;
            } else {
                differences.push((name.clone(), "qualifier only in ours", key.to_string()));
            }
        }
        for key in trivy_keys.difference(&our_keys) {
            differences.push((name.clone(), "qualifier only in Trivy", key.to_string()));
        }
    }
    let unexplained: Vec<String> = differences
        .iter()
        .filter(|(name, field, value)| {
            !TRIVY_EXCEPTIONS
                .iter()
                .any(|(n, f, v, _)| n == name && f == field && v == value)
        })
        .map(|(name, field, value)| format!("{name}: {field} {value:?}"))
        .collect();
    println!(
        "{image}: {} packages; Trivy baseline: {} packages, {} with an older point-release \
         version, {known_extra_qualifiers} purls with a qualifier only Bulwark writes, {} \
         differences in TRIVY_EXCEPTIONS",
        dpkg.len(),
        trivy_packages.len(),
        older_in_baseline.len(),
        differences.len() - unexplained.len()
    );
    for line in &older_in_baseline {
        println!("  older in baseline: {line}");
    }
    assert!(
        unexplained.is_empty(),
        "Trivy differs from dpkg-query or Bulwark; decide who is right and list \
         peer values we reject in TRIVY_EXCEPTIONS:\n{}",
        unexplained.join("\n")
    );

    // Syft's baseline: names and versions only, since its purls follow
    // other conventions (epoch in the version, distro `debian-12`).
    let syft = peer_baseline(image, "syft");
    let syft_packages: BTreeMap<String, String> = syft["components"]
        .as_array()
        .expect("components")
        .iter()
        .filter(|c| str_of(c, "purl").starts_with("pkg:deb/"))
        .map(|c| {
            (
                str_of(c, "name").to_owned(),
                str_of(c, "version").to_owned(),
            )
        })
        .collect();
    let syft_names: BTreeSet<&String> = syft_packages.keys().collect();
    assert_eq!(
        syft_names, dpkg_names,
        "Syft's package names against dpkg-query"
    );
    for (name, version) in &syft_packages {
        let expected = &dpkg[name].version;
        assert!(
            version == expected || dpkg_version_lower(version, expected),
            "{name}: Syft {version}, dpkg-query {expected}"
        );
    }
}
