//! OS package inventories against independent oracles and peers'
//! expectations from the corpus.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use bulwark_image::{Limits, Target, open_image};
use bulwark_inventory::analyzers::{ApkAnalyzer, DpkgAnalyzer};
use bulwark_inventory::{Analyzer, AnalyzerSet, Fact, Inventory, Package, PackageKind};
use support::{corpus, read_member, tsv_records, unpack};

fn inventory_target(target: &str) -> Inventory {
    let target = Target::parse(target).unwrap_or_else(|e| panic!("parse {target}: {e}"));
    let image = open_image(&target, None, &Limits::default())
        .unwrap_or_else(|e| panic!("open {target}: {e}"));
    bulwark_inventory::inventory_image(&image, &Limits::default(), &AnalyzerSet::all())
}

fn packages_of(facts: &[Fact]) -> Vec<&Package> {
    facts
        .iter()
        .filter_map(|f| match f {
            Fact::Package(p) => Some(p),
            _ => None,
        })
        .collect()
}

#[test]
fn alpine_minirootfs_matches_installed_oracle() {
    let oracle =
        tsv_records(&corpus().join("scan/alpine-minirootfs/ORACLE-installed-packages.tsv"));
    let mut by_tarball: BTreeMap<String, Vec<BTreeMap<String, String>>> = BTreeMap::new();
    for row in oracle {
        by_tarball
            .entry(row["tarball"].clone())
            .or_default()
            .push(row);
    }
    assert_eq!(by_tarball.len(), 5, "the oracle covers five releases");
    for (tarball, rows) in by_tarball {
        let path = corpus().join("scan/alpine-minirootfs").join(&tarball);
        // A bare root filesystem tarball is detected and read as one layer.
        let inventory = inventory_target(path.to_str().unwrap());
        let os = inventory.os.as_ref().expect("OS detected");
        assert_eq!(os.family, "alpine", "{tarball}");
        assert_eq!(os.version, rows[0]["alpine_release"], "{tarball}");
        let want: BTreeSet<(String, String, String, String, String)> = rows
            .iter()
            .map(|r| {
                (
                    r["package"].clone(),
                    r["version"].clone(),
                    r["origin"].clone(),
                    r["arch"].clone(),
                    r["license"].clone(),
                )
            })
            .collect();
        let have: BTreeSet<(String, String, String, String, String)> = inventory
            .packages
            .iter()
            .map(|p| {
                (
                    p.name.clone(),
                    p.version.clone(),
                    p.source_name.clone().unwrap_or_default(),
                    p.arch.clone().unwrap_or_default(),
                    p.licenses.join(" "),
                )
            })
            .collect();
        assert_eq!(have, want, "{tarball}");
        assert!(
            inventory.errors.is_empty(),
            "{tarball}: {:?}",
            inventory.errors
        );
        for package in &inventory.packages {
            assert!(
                package
                    .purl
                    .starts_with(&format!("pkg:apk/alpine/{}@", package.name)),
                "{}",
                package.purl
            );
        }
        // Every package except meta packages (libc-utils) owns files.
        let busybox = inventory
            .packages
            .iter()
            .find(|p| p.name == "busybox")
            .unwrap();
        assert!(
            busybox.files.iter().any(|f| f == "/bin/busybox"),
            "{tarball}"
        );
        let with_files = inventory
            .packages
            .iter()
            .filter(|p| !p.files.is_empty())
            .count();
        assert!(
            with_files + 2 >= inventory.packages.len(),
            "{tarball}: {with_files} own files"
        );
    }
}

#[test]
fn trivy_alpine_images_match_layer_oracle() {
    let oracle = tsv_records(&corpus().join("scan/trivy/ORACLE-image-apk-installed.tsv"));
    let images: BTreeSet<String> = oracle.iter().map(|r| r["image_archive"].clone()).collect();
    assert_eq!(images.len(), 2);
    let dir = unpack(
        "scan/trivy/fanal-test-images-and-goldens.tar.gz",
        "trivy/pkg/fanal/test/testdata/alpine-3",
    );
    for image in images {
        let rows: Vec<_> = oracle
            .iter()
            .filter(|r| r["image_archive"] == image)
            .collect();
        let path = dir.path().join("trivy").join(&image);
        let inventory = inventory_target(&format!("docker-archive:{}", path.display()));
        assert_eq!(
            inventory.os.as_ref().map(|o| o.version.as_str()),
            Some(rows[0]["alpine_release"].as_str())
        );
        let want: BTreeSet<(String, String, String, String)> = rows
            .iter()
            .map(|r| {
                (
                    r["package"].clone(),
                    r["version"].clone(),
                    r["origin"].clone(),
                    r["arch"].clone(),
                )
            })
            .collect();
        let have: BTreeSet<(String, String, String, String)> = inventory
            .packages
            .iter()
            .map(|p| {
                (
                    p.name.clone(),
                    p.version.clone(),
                    p.source_name.clone().unwrap_or_default(),
                    p.arch.clone().unwrap_or_default(),
                )
            })
            .collect();
        assert_eq!(have, want, "{image}");
        // Both images have one layer, which introduced every package.
        let layer = rows[0]["layer"].trim_end_matches("/layer.tar");
        for package in &inventory.packages {
            let info = package.layer.as_ref().expect("layer recorded");
            assert_eq!(info.index, 0);
            assert!(info.diff_id.is_some(), "{}: no diff id", package.name);
            assert!(!layer.is_empty());
        }
    }
}

const TRIVY_DPKG: &str = "trivy/pkg/fanal/analyzer/pkg/dpkg/testdata";

fn trivy_dpkg_status(fixture: &str) -> String {
    let data = read_member(
        "scan/trivy/fanal-analyzer-testdata.tar.gz",
        &format!("{TRIVY_DPKG}/{fixture}"),
    );
    let files = support::txtar(&data);
    String::from_utf8_lossy(&files["var/lib/dpkg/status"]).into_owned()
}

#[test]
fn dpkg_status_matches_dpkg_query_oracle() {
    let status = trivy_dpkg_status("valid.txtar");
    let facts = DpkgAnalyzer
        .analyze("var/lib/dpkg/status", status.as_bytes())
        .unwrap();
    let packages = packages_of(&facts);
    let oracle = tsv_records(&corpus().join("scan/trivy/ORACLE-dpkg-query-valid.txtar.tsv"));
    // dpkg-query lists every record; `ii` (want install, installed) ones
    // are the installed packages.
    let want: BTreeSet<(String, String, String)> = oracle
        .iter()
        .filter(|r| r["status"].trim() == "ii")
        .map(|r| {
            let (source, source_version) = r["source"].split_once('=').unwrap();
            (
                r["package"].clone(),
                r["version"].clone(),
                format!("{source} {source_version}"),
            )
        })
        .collect();
    assert_eq!(want.len(), 90);
    let have: BTreeSet<(String, String, String)> = packages
        .iter()
        .map(|p| {
            (
                p.name.clone(),
                p.full_version(),
                format!(
                    "{} {}",
                    p.source_name.clone().unwrap_or_default(),
                    p.source_version.clone().unwrap_or_default()
                ),
            )
        })
        .collect();
    assert_eq!(have, want);
}

#[test]
fn dpkg_trivy_fixtures_match_expectations() {
    let rows = support::expected_rows("trivy");
    let fixtures = [
        "corrupsed.txtar",
        "digest.txtar",
        "md5sums.txtar",
        "only-apt.txtar",
        "third-party.txtar",
    ];
    for fixture in fixtures {
        let want: BTreeSet<(String, String)> = rows
            .iter()
            .filter(|r| {
                r.test_file.ends_with("dpkg/dpkg_test.go")
                    && r.fixture == format!("testdata/{fixture}")
            })
            .map(|r| {
                // Trivy splits the revision off into Release; compare the
                // full upstream-revision version.
                let extra: serde_json::Value = serde_json::from_str(&r.extra).unwrap();
                let release = extra
                    .get("Release")
                    .and_then(|v| v.as_str())
                    .unwrap_or_default();
                let version = if release.is_empty() {
                    r.version.clone()
                } else {
                    format!("{}-{release}", r.version)
                };
                (r.name.clone(), version)
            })
            .collect();
        assert!(!want.is_empty(), "{fixture}: no expectations found");
        let status = trivy_dpkg_status(fixture);
        let facts = DpkgAnalyzer
            .analyze("var/lib/dpkg/status", status.as_bytes())
            .unwrap();
        let have: BTreeSet<(String, String)> = packages_of(&facts)
            .iter()
            .map(|p| (p.name.clone(), p.version.clone()))
            .collect();
        assert_eq!(have, want, "{fixture}");
    }
}

const SCALIBR_OS: &str = "scan/osv-scalibr/extractor-os-testdata.tar.gz";

#[test]
fn dpkg_scalibr_fixtures_match_expectations() {
    let rows = support::expected_rows("osv-scalibr");
    // Fixtures whose expectations come from a single test case (`case`);
    // `statusfield` mixes several configurations and is checked below.
    for fixture in [
        "valid",
        "single",
        "trailingnewlines",
        "nopackage",
        "noversion",
        "transitional",
    ] {
        let want: BTreeSet<(String, String)> = rows
            .iter()
            .filter(|r| {
                r.test_file.ends_with("os/dpkg/dpkg_test.go")
                    && r.fixture == format!("testdata/dpkg/{fixture}")
                    // `ref->` rows name result metrics, not packages.
                    && !r.via.starts_with("ref->")
            })
            .map(|r| (r.name.clone(), r.version.clone()))
            .collect();
        assert!(!want.is_empty(), "{fixture}: no expectations found");
        let data = read_member(
            SCALIBR_OS,
            &format!("osv-scalibr/extractor/filesystem/os/dpkg/testdata/dpkg/{fixture}"),
        );
        let facts = DpkgAnalyzer.analyze("var/lib/dpkg/status", &data).unwrap();
        let have: BTreeSet<(String, String)> = packages_of(&facts)
            .iter()
            .map(|p| (p.name.clone(), p.full_version()))
            .collect();
        assert_eq!(have, want, "{fixture}");
        if fixture == "nopackage" || fixture == "noversion" {
            // The malformed record is reported, the others are kept.
            assert!(
                facts.iter().any(|f| matches!(f, Fact::Skipped { .. })),
                "{fixture}"
            );
        }
    }
    // statusfield: the installed state is the third word of Status.
    let data = read_member(
        SCALIBR_OS,
        "osv-scalibr/extractor/filesystem/os/dpkg/testdata/dpkg/statusfield",
    );
    let facts = DpkgAnalyzer.analyze("var/lib/dpkg/status", &data).unwrap();
    let names: BTreeSet<String> = packages_of(&facts).iter().map(|p| p.name.clone()).collect();
    let want: BTreeSet<String> = [
        "wantinstall_installed",
        "wantdeinstall_installed",
        "wantpurge_installed",
    ]
    .into_iter()
    .map(str::to_owned)
    .filter(|n| {
        rows.iter()
            .any(|r| &r.name == n && r.fixture.ends_with("statusfield"))
    })
    .collect();
    assert_eq!(want.len(), 3);
    assert_eq!(names, want);
    // Garbage and empty files.
    let invalid = read_member(
        SCALIBR_OS,
        "osv-scalibr/extractor/filesystem/os/dpkg/testdata/dpkg/invalid",
    );
    assert!(
        DpkgAnalyzer
            .analyze("var/lib/dpkg/status", &invalid)
            .is_err()
    );
    let empty = read_member(
        SCALIBR_OS,
        "osv-scalibr/extractor/filesystem/os/dpkg/testdata/dpkg/empty",
    );
    assert!(packages_of(&DpkgAnalyzer.analyze("var/lib/dpkg/status", &empty).unwrap()).is_empty());
}

#[test]
fn dpkg_status_d_entries_are_installed() {
    let rows = support::expected_rows("osv-scalibr");
    let want: BTreeSet<(String, String)> = rows
        .iter()
        .filter(|r| r.fixture == "testdata/dpkg/status.d/foo" && !r.via.starts_with("ref->"))
        .map(|r| (r.name.clone(), r.version.clone()))
        .collect();
    assert!(!want.is_empty());
    let data = read_member(
        SCALIBR_OS,
        "osv-scalibr/extractor/filesystem/os/dpkg/testdata/dpkg/status.d/foo",
    );
    let facts = DpkgAnalyzer
        .analyze("var/lib/dpkg/status.d/foo", &data)
        .unwrap();
    let have: BTreeSet<(String, String)> = packages_of(&facts)
        .iter()
        .map(|p| (p.name.clone(), p.full_version()))
        .collect();
    assert_eq!(have, want);
}

#[test]
fn apk_scalibr_installed_matches_expectations() {
    let path = corpus().join("scan/osv-scalibr/EXPECTED-positional-from-go-tests.tsv");
    let rows: Vec<Vec<String>> = tsv_records(&path)
        .into_iter()
        .filter(|r| r["test_file"].ends_with("os/apk/apk_test.go") && r["call"] == "getPackage")
        .filter_map(|r| serde_json::from_str::<Vec<String>>(&r["string_args_json"]).ok())
        .filter(|args| args.first().map(String::as_str) == Some("testdata/installed"))
        .collect();
    // Arguments: fixture, name, origin, version, OS id, OS version,
    // maintainer, arch, license, commit.
    let want: BTreeSet<(String, String, String, String, String)> = rows
        .iter()
        .map(|a| {
            (
                a[1].clone(),
                a[3].clone(),
                a[2].clone(),
                a[7].clone(),
                a[8].clone(),
            )
        })
        .collect();
    assert!(
        want.len() >= 10,
        "expected the installed fixture's packages, found {}",
        want.len()
    );
    let data = read_member(
        SCALIBR_OS,
        "osv-scalibr/extractor/filesystem/os/apk/testdata/installed",
    );
    let facts = ApkAnalyzer.analyze("lib/apk/db/installed", &data).unwrap();
    let have: BTreeSet<(String, String, String, String, String)> = packages_of(&facts)
        .iter()
        .map(|p| {
            (
                p.name.clone(),
                p.version.clone(),
                p.source_name.clone().unwrap_or_default(),
                p.arch.clone().unwrap_or_default(),
                p.licenses.join(" "),
            )
        })
        .collect();
    assert_eq!(have, want);
    let invalid = read_member(
        SCALIBR_OS,
        "osv-scalibr/extractor/filesystem/os/apk/testdata/invalid",
    );
    assert!(
        ApkAnalyzer
            .analyze("lib/apk/db/installed", &invalid)
            .is_err()
    );
}

/// Reads the dpkg status of an OCI image's last layer that has one with
/// GNU tar and lists installed packages with `dpkg-query`, independently
/// of our reader.
fn dpkg_query_oracle(layout: &Path) -> BTreeSet<(String, String)> {
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(layout.join("index.json")).unwrap()).unwrap();
    let digest = index["manifests"][0]["digest"]
        .as_str()
        .unwrap()
        .trim_start_matches("sha256:")
        .to_owned();
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(layout.join("blobs/sha256").join(digest)).unwrap())
            .unwrap();
    let temp = tempfile::tempdir().unwrap();
    for layer in manifest["layers"].as_array().unwrap() {
        let blob = layout.join("blobs/sha256").join(
            layer["digest"]
                .as_str()
                .unwrap()
                .trim_start_matches("sha256:"),
        );
        // Later layers overwrite the status file of earlier ones.
        let _ = std::process::Command::new("tar")
            .args([
                "-xzf",
                blob.to_str().unwrap(),
                "-C",
                temp.path().to_str().unwrap(),
                "var/lib/dpkg/status",
            ])
            .stderr(std::process::Stdio::null())
            .status();
    }
    let admin = temp.path().join("var/lib/dpkg");
    assert!(
        admin.join("status").is_file(),
        "no dpkg status in {}",
        layout.display()
    );
    std::fs::create_dir_all(admin.join("info")).unwrap();
    std::fs::create_dir_all(admin.join("updates")).unwrap();
    let output = std::process::Command::new("dpkg-query")
        .arg(format!("--admindir={}", admin.display()))
        .args(["-W", "-f", "${db:Status-Abbrev}\t${Package}\t${Version}\n"])
        .output()
        .expect("run dpkg-query (Debian package dpkg)");
    assert!(
        output.status.success(),
        "dpkg-query failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|l| l.starts_with("ii"))
        .filter_map(|l| {
            let mut cols = l.split('\t').skip(1);
            Some((cols.next()?.to_owned(), cols.next()?.to_owned()))
        })
        .collect()
}

#[test]
fn debian_images_match_dpkg_query() {
    for name in ["debian-bookworm-minbase", "py-app", "node-app", "layers"] {
        let layout = support::corpus_image(name);
        let want = dpkg_query_oracle(&layout);
        let inventory = inventory_target(&format!("oci:{}", layout.display()));
        let have: BTreeSet<(String, String)> = inventory
            .packages
            .iter()
            .filter(|p| p.kind == PackageKind::Deb)
            .map(|p| (p.name.clone(), p.full_version()))
            .collect();
        assert_eq!(have, want, "{name}");
        let os = inventory.os.as_ref().expect("OS detected");
        assert_eq!(os.family, "debian");
        assert!(os.version.starts_with("12."), "{name}: {}", os.version);
        assert!(
            inventory.errors.is_empty(),
            "{name}: {:?}",
            inventory.errors
        );
    }
}

#[test]
fn layers_image_final_state() {
    let layout = support::corpus_image("layers");
    let inventory = inventory_target(&format!("oci:{}", layout.display()));
    let names: BTreeSet<&str> = inventory.packages.iter().map(|p| p.name.as_str()).collect();
    // `less` was installed in layer 2 and purged in layer 4.
    assert!(!names.contains("less"));
    let deb = inventory
        .packages
        .iter()
        .filter(|p| p.kind == PackageKind::Deb)
        .count();
    assert_eq!(deb, 88);
    // The base packages came with layer 1, even though layers 2 and 4
    // rewrote the dpkg status file.
    let diff_ids = &inventory.source.layers;
    assert_eq!(diff_ids.len(), 5);
    for package in inventory
        .packages
        .iter()
        .filter(|p| p.kind == PackageKind::Deb)
    {
        let layer = package.layer.as_ref().unwrap();
        assert_eq!(layer.index, 0, "{}", package.name);
        assert_eq!(layer.diff_id.as_ref(), Some(&diff_ids[0]));
    }
}

#[test]
fn py_app_python_debs_come_from_second_layer() {
    let base = dpkg_query_oracle(&support::corpus_image("debian-bookworm-minbase"));
    let layout = support::corpus_image("py-app");
    let inventory = inventory_target(&format!("oci:{}", layout.display()));
    let mut added = 0;
    for package in inventory
        .packages
        .iter()
        .filter(|p| p.kind == PackageKind::Deb)
    {
        let in_base = base.contains(&(package.name.clone(), package.full_version()));
        let layer = package.layer.as_ref().unwrap().index;
        assert_eq!(layer, if in_base { 0 } else { 1 }, "{}", package.name);
        added += usize::from(!in_base);
    }
    assert!(added > 0);
    assert!(
        inventory
            .packages
            .iter()
            .any(|p| p.name == "python3.11" && p.layer.as_ref().unwrap().index == 1)
    );
}
