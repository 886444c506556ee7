//! rpm databases read through the whole inventory: OS detection, purls
//! and the package list against `rpm -qa` output recorded in the corpus.

mod support;

use std::collections::BTreeSet;

use support::{corpus, inventory_dir, read_member, tsv_records};

const RELEASES: &str = "scan/trivy/fanal-analyzer-testdata.tar.gz";

/// Builds a root filesystem with a real os-release file and a real rpm
/// database at `db_path`.
fn rootfs(os_release: &str, db_fixture: &str, db_path: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let release = read_member(
        RELEASES,
        &format!("trivy/pkg/fanal/analyzer/os/release/testdata/{os_release}"),
    );
    std::fs::create_dir_all(dir.path().join("etc")).unwrap();
    std::fs::write(dir.path().join("etc/os-release"), release).unwrap();
    let target = dir.path().join(db_path);
    std::fs::create_dir_all(target.parent().unwrap()).unwrap();
    std::fs::copy(corpus().join("scan/go-rpmdb").join(db_fixture), target).unwrap();
    dir
}

#[test]
fn mariner_sqlite_database_matches_rpm_qa() {
    let fixture = "testdata/cbl-mariner-2.0/rpmdb.sqlite";
    let dir = rootfs("mariner-2.0", fixture, "var/lib/rpm/rpmdb.sqlite");
    let inventory = inventory_dir(dir.path());
    let os = inventory.os.as_ref().expect("OS detected");
    assert_eq!(os.family, "cbl-mariner");
    let oracle = tsv_records(&corpus().join("scan/go-rpmdb/ORACLE-rpm-qa.tsv"));
    let want: BTreeSet<(String, String, String, String)> = oracle
        .iter()
        .filter(|r| r["fixture"] == fixture)
        .map(|r| {
            (
                r["name"].clone(),
                r["version"].clone(),
                r["release"].clone(),
                r["arch"].clone(),
            )
        })
        .collect();
    assert_eq!(want.len(), 129);
    let have: BTreeSet<(String, String, String, String)> = inventory
        .packages
        .iter()
        .map(|p| {
            (
                p.name.clone(),
                p.version.clone(),
                p.release.clone().unwrap_or_default(),
                p.arch.clone().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(have, want);
    let curl = inventory
        .packages
        .iter()
        .find(|p| p.name == "curl")
        .unwrap();
    assert_eq!(curl.source_name.as_deref(), Some("curl"));
    assert!(
        curl.purl
            .starts_with("pkg:rpm/cbl-mariner/curl@7.76.0-6.cm2?arch=x86_64"),
        "{}",
        curl.purl
    );
    assert!(
        curl.files.iter().any(|f| f == "/usr/bin/curl"),
        "{:?}",
        curl.files
    );
}

#[test]
fn berkeley_db_under_sysimage_is_read() {
    let fixture = "testdata/libuuid/Packages";
    let dir = rootfs("rhel", fixture, "var/lib/rpm/Packages");
    let inventory = inventory_dir(dir.path());
    assert_eq!(
        inventory.os.as_ref().map(|o| o.family.as_str()),
        Some("redhat")
    );
    let names: Vec<(&str, String)> = inventory
        .packages
        .iter()
        .map(|p| (p.name.as_str(), p.full_version()))
        .collect();
    let oracle = tsv_records(&corpus().join("scan/go-rpmdb/ORACLE-rpm-qa.tsv"));
    let want: Vec<(&str, String)> = oracle
        .iter()
        .filter(|r| r["fixture"] == fixture)
        .map(|r| {
            (
                r["name"].as_str(),
                format!("{}-{}", r["version"], r["release"]),
            )
        })
        .collect();
    assert_eq!(names, want);
    let libuuid = &inventory.packages[0];
    assert_eq!(libuuid.source_name.as_deref(), Some("util-linux"));
    assert!(
        libuuid
            .purl
            .starts_with("pkg:rpm/redhat/libuuid@2.32.1-42.el8_8?"),
        "{}",
        libuuid.purl
    );
}

#[test]
fn suse_ndb_database_is_read() {
    let dir = rootfs(
        "sles",
        "testdata/sle15-bci/Packages.db",
        "var/lib/rpm/Packages.db",
    );
    let inventory = inventory_dir(dir.path());
    assert_eq!(
        inventory.os.as_ref().map(|o| o.family.as_str()),
        Some("suse linux enterprise")
    );
    // The expected tuples are go-rpmdb's SLE15WithNDB table.
    let path = corpus().join("scan/go-rpmdb/EXPECTED-positional-from-go-tests.tsv");
    let rows = tsv_records(&path);
    let want: BTreeSet<String> = rows
        .iter()
        .filter(|r| r["scope"] == "SLE15WithNDB")
        .filter_map(|r| serde_json::from_str::<Vec<String>>(&r["string_args_json"]).ok())
        .filter_map(|args| args.first().cloned())
        .collect();
    assert_eq!(want.len(), 35, "{want:?}");
    let have: BTreeSet<String> = inventory.packages.iter().map(|p| p.name.clone()).collect();
    assert_eq!(have, want);
    assert!(
        inventory
            .packages
            .iter()
            .all(|p| p.purl.starts_with("pkg:rpm/suse/"))
    );
}
