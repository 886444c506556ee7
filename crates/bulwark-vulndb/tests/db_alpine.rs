//! Alpine secdb conversion, checked against the records vunnel and
//! trivy-db expect from the same inputs and against the corpus files.
//!
//! Mapping between their records and ours:
//! - vunnel's namespace `alpine:3.15` is our ecosystem `Alpine:v3.15`;
//!   trivy-db's bucket `alpine 3.12` is `Alpine:v3.12`.
//! - Their record per CVE (`CVE-2022-37434`) is our advisory
//!   `ALPINE-CVE-2022-37434` with the CVE id as an alias.
//! - Their fixed version (vunnel `FixedIn.Version`, trivy-db
//!   `FixedVersion`) is the `fixed` event of our package's ECOSYSTEM range.

mod db_support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use bulwark_osv::{Affected, Status};
use bulwark_vulndb::import::{ImportOptions, ImportReport, Input, import};
use bulwark_vulndb::{Database, paths};
use db_support::{corpus, unpack};

fn import_paths(db: &Path, inputs: &[&Path]) -> ImportReport {
    let inputs: Vec<Input> = inputs.iter().map(Input::new).collect();
    import(db, &inputs, ImportOptions::default()).expect("import succeeds")
}

fn fixed_version(affected: &Affected) -> Option<&str> {
    affected
        .ranges
        .iter()
        .flat_map(|r| &r.events)
        .find_map(|e| e.fixed.as_deref())
}

/// (advisory id, package, fixed version) of every entry for `package`.
fn fixes_for(db: &Database, release: &str, package: &str) -> BTreeSet<(String, String, String)> {
    db.affected_for("Alpine", Some(release), package)
        .expect("lookup")
        .into_iter()
        .filter_map(|(advisory, affected)| {
            let fixed = fixed_version(&affected)?.to_owned();
            Some((advisory.id, package.to_owned(), fixed))
        })
        .collect()
}

#[test]
fn alpine_yaml_matches_vunnel_snapshots() {
    let fixtures = corpus().join("anchore-vunnel-fixtures/test-fixtures.tar.gz");
    let dir = tempfile::tempdir().expect("temp dir");
    let unpacked = unpack(&fixtures, dir.path(), |p| {
        p.contains("/providers/alpine/test-fixtures/")
    });
    assert!(unpacked > 2, "alpine fixtures unpacked");
    let base = dir
        .path()
        .join("vunnel-test-fixtures/tests/unit/providers/alpine/test-fixtures");
    let db_path = paths::db_path(&dir.path().join("cache"));
    let report = import_paths(&db_path, &[&base.join("input/secdb")]);
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    let db = Database::open(&db_path).expect("database opens");

    // Expected: (ALPINE-<CVE>, package, fixed) from each vunnel snapshot.
    let mut expected = BTreeSet::new();
    let mut packages = BTreeSet::new();
    for entry in std::fs::read_dir(base.join("snapshots/3.15")).expect("snapshots list") {
        let data = std::fs::read(entry.expect("entry").path()).expect("snapshot reads");
        let snapshot: serde_json::Value = serde_json::from_slice(&data).expect("snapshot JSON");
        let vulnerability = &snapshot["item"]["Vulnerability"];
        assert_eq!(vulnerability["NamespaceName"], "alpine:3.15");
        let cve = vulnerability["Name"].as_str().expect("Name");
        for fixed in vulnerability["FixedIn"].as_array().expect("FixedIn") {
            let package = fixed["Name"].as_str().expect("package").to_owned();
            let version = fixed["Version"].as_str().expect("version").to_owned();
            packages.insert(package.clone());
            expected.insert((format!("ALPINE-{cve}"), package, version));
        }
        let stored = db.advisories_with_id(cve).expect("lookup by alias");
        assert_eq!(stored.len(), 1, "{cve}: one advisory has it as alias");
        assert_eq!(stored[0].id, format!("ALPINE-{cve}"));
    }
    assert_eq!(expected.len(), 16, "vunnel has 16 snapshots for v3.15");
    let found: BTreeSet<_> = packages
        .iter()
        .flat_map(|package| fixes_for(&db, "v3.15", package))
        .collect();
    assert_eq!(found, expected);
    let stored = db.counts().expect("counts").advisories;
    assert_eq!(stored, 16, "no advisories beyond vunnel's");
}

#[test]
fn alpine_vuln_list_matches_trivy_db() {
    let fixtures = corpus().join("trivy-db/vulnsrc-testdata.tar.gz");
    let dir = tempfile::tempdir().expect("temp dir");
    unpack(&fixtures, dir.path(), |p| p.contains("/alpine/testdata/"));
    let testdata = dir.path().join("trivy-db/pkg/vulnsrc/alpine/testdata");
    let db_path = paths::db_path(&dir.path().join("cache"));
    let happy = testdata.join("happy/vuln-list/alpine/ansible.json");
    let sad = testdata.join("sad/vuln-list/alpine/ansible.json");
    let report = import_paths(&db_path, &[&happy, &sad]);
    let db = Database::open(&db_path).expect("database opens");

    // trivy-db's alpine_test.go expects these advisory-detail keys
    // (CVE, "alpine 3.12", package) with these fixed versions.
    let trivy_expects = [
        ("CVE-2019-14904", "ansible", "2.9.3-r0"),
        ("CVE-2019-14905", "ansible", "2.9.3-r0"),
        ("CVE-2020-1737", "ansible", "2.9.6-r0"),
    ];
    let found = fixes_for(&db, "v3.12", "ansible");
    for (cve, package, fixed) in trivy_expects {
        let key = (
            format!("ALPINE-{cve}"),
            package.to_owned(),
            fixed.to_owned(),
        );
        assert!(found.contains(&key), "missing {key:?} in {found:?}");
    }
    // An entry with two ids keeps the second as an alias; comments in
    // parentheses are dropped.
    let ghsa = db
        .advisories_with_id("GHSA-h5c8-rqwp-cp95")
        .expect("lookup");
    assert_eq!(ghsa.len(), 1);
    assert_eq!(ghsa[0].id, "ALPINE-CVE-2024-22195");
    assert!(found.contains(&(
        "ALPINE-CVE-2017-2616".to_owned(),
        "ansible".to_owned(),
        "2.9.3-r0".to_owned()
    )));

    // trivy-db fails the sad file ("failed to decode Alpine advisory");
    // here it is reported and skipped while the happy file imports.
    let sad_name = sad.display().to_string();
    let problems: Vec<_> = report
        .problems
        .iter()
        .filter(|p| p.file == sad_name)
        .collect();
    assert_eq!(problems.len(), 1, "{:?}", report.problems);
    assert!(
        problems[0].reason.contains("invalid Alpine secdb JSON"),
        "{}",
        problems[0].reason
    );
    assert_eq!(report.feeds[1].advisories, 0);
}

/// Reads `{package: {fixed version: [ids]}}` from a secdb JSON file
/// without the converter.
fn secfixes(path: &Path) -> BTreeMap<String, BTreeMap<String, Vec<String>>> {
    let data = std::fs::read(path).expect("secdb reads");
    let value: serde_json::Value = serde_json::from_slice(&data).expect("secdb JSON");
    let mut out = BTreeMap::new();
    for package in value["packages"].as_array().expect("packages") {
        let name = package["pkg"]["name"].as_str().expect("name").to_owned();
        let mut fixes = BTreeMap::new();
        for (version, ids) in package["pkg"]["secfixes"].as_object().into_iter().flatten() {
            let ids = ids
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|id| id.as_str().map(str::to_owned))
                .collect();
            fixes.insert(version.clone(), ids);
        }
        out.insert(name, fixes);
    }
    out
}

/// Returns whether `id` is exactly `CVE-YYYY-NNNN`.
fn is_plain_cve(id: &str) -> bool {
    let parts: Vec<&str> = id.split('-').collect();
    parts.len() == 3
        && parts[0] == "CVE"
        && parts[1].len() == 4
        && parts[1..]
            .iter()
            .all(|p| p.bytes().all(|b| b.is_ascii_digit()))
}

#[test]
fn alpine_json_release_matches_source_file() {
    let file = corpus().join("pschou-oval/alpine-secdb-json/v3.19/main.json");
    let dir = tempfile::tempdir().expect("temp dir");
    let db_path = paths::db_path(dir.path());
    let report = import_paths(&db_path, &[&file]);
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    let db = Database::open(&db_path).expect("database opens");

    let mut checked = 0;
    let mut not_affected = 0;
    for (package, fixes) in secfixes(&file) {
        let found = db
            .affected_for("Alpine", Some("v3.19"), &package)
            .expect("lookup");
        for (version, ids) in fixes {
            for id in ids.iter().filter(|id| is_plain_cve(id)) {
                let entry = found
                    .iter()
                    .find(|(a, _)| a.id == format!("ALPINE-{id}"))
                    .unwrap_or_else(|| panic!("{package}: no entry for {id}"));
                if version == "0" {
                    assert_eq!(
                        entry.1.status(),
                        Some(Status::NotAffected),
                        "{package} {id}"
                    );
                    assert!(entry.1.ranges.is_empty());
                    not_affected += 1;
                } else if let Some(fixed) = fixed_version(&entry.1) {
                    // A CVE listed under two versions keeps the later one.
                    let order = bulwark_version::apk::compare(fixed, &version).expect("apk");
                    assert_ne!(order, std::cmp::Ordering::Less, "{package} {id}");
                } else {
                    panic!("{package} {id}: no fixed version");
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 1000, "checked {checked} fixes");
    assert!(not_affected > 0, "the file lists fixed version 0");
}

#[test]
fn alpine_release_read_from_path_without_distroversion() {
    let source = corpus().join("pschou-oval/alpine-secdb-json/v3.19/community.json");
    let mut value: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&source).expect("reads")).expect("JSON");
    value
        .as_object_mut()
        .expect("object")
        .remove("distroversion");
    let dir = tempfile::tempdir().expect("temp dir");
    let copy = dir.path().join("feeds/v3.19/community.json");
    std::fs::create_dir_all(copy.parent().expect("parent")).expect("mkdir");
    std::fs::write(&copy, serde_json::to_vec(&value).expect("JSON")).expect("write");
    let db_path = paths::db_path(&dir.path().join("cache"));
    let report = import_paths(&db_path, &[&copy]);
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    let ecosystems: Vec<_> = report.feeds[0].per_ecosystem.keys().cloned().collect();
    assert_eq!(ecosystems, ["Alpine:v3.19"]);
}

#[test]
fn alpine_legacy_yaml_imports_every_release() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db_path = paths::db_path(dir.path());
    let secdb = corpus().join("alpine-secdb");
    let report = import_paths(&db_path, &[&secdb]);
    let releases: BTreeSet<String> = std::fs::read_dir(&secdb)
        .expect("lists")
        .filter_map(|e| {
            let name = e.expect("entry").file_name().to_string_lossy().into_owned();
            name.starts_with('v').then(|| format!("Alpine:{name}"))
        })
        .collect();
    let imported: BTreeSet<String> = report.feeds[0].per_ecosystem.keys().cloned().collect();
    assert_eq!(imported, releases);
    for problem in &report.problems {
        assert!(
            problem.record.is_some(),
            "only records are skipped: {problem}"
        );
    }
}
