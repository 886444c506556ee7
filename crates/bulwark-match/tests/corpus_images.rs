//! The corpus images `py-app` and `node-app`: every advisory in the data
//! that affects an installed language package is reported, and no other.
//! The expected matches come from independent implementations run on the
//! same advisory files: Python's `packaging` for PyPI (PEP 440) and npm's
//! `semver` for npm (see `oracle/`).

mod oracle;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use bulwark_image::{Limits, Target};
use bulwark_inventory::{AnalyzerSet, Inventory, PackageKind};
use bulwark_match::{Report, match_inventory};
use bulwark_vulndb::Database;
use bulwark_vulndb::import::{ImportOptions, Input, import};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/scan")
}

fn image_dir(name: &str) -> PathBuf {
    let root = std::env::var_os("BULWARK_CORPUS_IMAGES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/tmp/corpus-images"));
    let dir = root.join("oci").join(name);
    assert!(
        dir.join("index.json").is_file(),
        "{} is missing: build the corpus images with \
         `OUT=/tmp/corpus-images /work/shared/corpus/images/build.sh` \
         (or set BULWARK_CORPUS_IMAGES)",
        dir.display()
    );
    dir
}

fn pypa_archive() -> PathBuf {
    corpus().join("pypa-advisory-database/vulns.tar.gz")
}

fn ghsa_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus().join("ghsa-sample"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

fn database(dir: &Path) -> Database {
    let path = bulwark_vulndb::paths::db_path(dir);
    let inputs = [
        Input::new(pypa_archive()),
        Input::new(corpus().join("ghsa-sample")),
    ];
    let report = import(&path, &inputs, ImportOptions::default()).unwrap();
    assert!(report.failed_inputs.is_empty(), "{:?}", report.problems);
    Database::open(&path).unwrap()
}

fn inventory(name: &str) -> Inventory {
    let target = Target::parse(&format!("oci:{}", image_dir(name).display())).unwrap();
    let limits = Limits::default();
    let image = bulwark_image::open_image(&target, None, &limits).unwrap();
    let inventory = bulwark_inventory::inventory_image(&image, &limits, &AnalyzerSet::all());
    assert!(inventory.errors.is_empty(), "{:?}", inventory.errors);
    inventory
}

fn installed(inventory: &Inventory, kind: PackageKind) -> Vec<(String, String)> {
    let set: BTreeSet<(String, String)> = inventory
        .packages
        .iter()
        .filter(|p| p.kind == kind)
        .map(|p| (p.name.clone(), p.version.clone()))
        .collect();
    set.into_iter().collect()
}

/// (package, version, advisory id) for every advisory behind every finding
/// on packages of `kind`.
fn reported(report: &Report, kind: &str) -> BTreeSet<(String, String, String)> {
    report
        .findings
        .iter()
        .filter(|f| f.package.kind == kind)
        .flat_map(|f| {
            f.advisories.iter().map(|id| {
                (
                    f.package.name.clone(),
                    f.package.version.clone(),
                    id.clone(),
                )
            })
        })
        .collect()
}

fn has_note(report: &Report, code: &str) -> bool {
    report.notes.iter().any(|n| n.code == code)
}

#[test]
fn py_app_matches_packaging_oracle() {
    let dir = tempfile::tempdir().unwrap();
    let db = database(dir.path());
    let inventory = inventory("py-app");
    let packages = installed(&inventory, PackageKind::Pypi);
    assert!(packages.len() >= 18, "{packages:?}");
    let report = match_inventory(&db, &inventory).unwrap();

    let expected: BTreeSet<_> = oracle::pypi_matches(&pypa_archive(), &packages)
        .into_iter()
        .collect();
    let got = reported(&report, "pypi");
    assert!(
        !expected.is_empty(),
        "the PyPA data affects the pinned packages"
    );
    let missing: Vec<_> = expected.difference(&got).collect();
    let extra: Vec<_> = got.difference(&expected).collect();
    assert!(missing.is_empty(), "not reported: {missing:?}");
    assert!(extra.is_empty(), "reported but not affected: {extra:?}");
    eprintln!(
        "py-app: {} PyPI packages, {} (package, advisory) matches, {} findings",
        packages.len(),
        got.len(),
        report.findings.len()
    );
    // Debian 12 has no data in this database: a note, not a clean result.
    assert!(
        has_note(&report, "unknown-os-release"),
        "{:?}",
        report.notes
    );
}

#[test]
fn node_app_matches_semver_oracle() {
    let dir = tempfile::tempdir().unwrap();
    let db = database(dir.path());
    let inventory = inventory("node-app");
    let packages = installed(&inventory, PackageKind::Npm);
    assert!(packages.len() >= 55, "{packages:?}");
    let report = match_inventory(&db, &inventory).unwrap();

    let expected: BTreeSet<_> = oracle::npm_matches(&ghsa_files(), &packages)
        .into_iter()
        .collect();
    let got = reported(&report, "npm");
    assert!(
        !expected.is_empty(),
        "the GHSA sample affects minimist 1.2.0"
    );
    assert_eq!(got, expected);
    // lodash 4.17.15 is installed and named by GHSA-jf85-cpcp-j695, whose
    // fix is 4.17.12: named, but not affected.
    assert!(packages.iter().any(|(name, _)| name == "lodash"));
    assert!(!got.iter().any(|(name, _, _)| name == "lodash"));
    eprintln!(
        "node-app: {} npm packages, {} (package, advisory) matches",
        packages.len(),
        got.len()
    );
}
