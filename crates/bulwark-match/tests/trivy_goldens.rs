//! Trivy's integration goldens: the expected reports of Trivy's own test
//! suite, and the vulnerability DB fixtures they were produced with.
//!
//! The DB fixtures are converted into OSV records (see `trivy/`) and
//! imported; the same inputs are scanned (the lockfile repositories with
//! the directory inventory, the OS images from the package lists Trivy's
//! goldens record); and the (package, vulnerability, installed version)
//! sets are compared. Every difference must be listed in `KNOWN` with its
//! reason, and every listed difference must still occur.

mod trivy;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use bulwark_image::Limits;
use bulwark_inventory::{AnalyzerSet, Inventory, SourceInfo};
use bulwark_match::{Finding, match_inventory};
use bulwark_vulndb::Database;
use bulwark_vulndb::import::{ImportOptions, Input, import};
use serde_json::Value;

use trivy::Expected;

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/scan/trivy")
}

/// Golden and lockfile repository of each language case.
const LOCKFILE_CASES: [(&str, &str); 25] = [
    ("bun.json.golden", "bun"),
    ("cargo.lock.json.golden", "cargo"),
    ("cocoapods.json.golden", "cocoapods"),
    ("composer.lock.json.golden", "composer"),
    ("composer.vendor.json.golden", "composer-vendor"),
    ("conan.json.golden", "conan"),
    ("dotnet.json.golden", "dotnet"),
    ("gomod.json.golden", "gomod"),
    ("gradle.json.golden", "gradle"),
    ("mix.lock.json.golden", "mixlock"),
    ("npm-with-dev.json.golden", "npm"),
    ("nuget.json.golden", "nuget"),
    ("packagesprops.json.golden", "packagesprops"),
    ("pip.json.golden", "pip"),
    ("pipenv.json.golden", "pipenv"),
    ("pnpm.json.golden", "pnpm"),
    ("poetry.json.golden", "poetry"),
    ("pom.json.golden", "pom"),
    ("pubspec.lock.json.golden", "pubspec"),
    ("pylock.json.golden", "pylock"),
    ("sbt.json.golden", "sbt"),
    ("swift.json.golden", "swift"),
    ("test-repo.json.golden", "trivy-ci-test"),
    ("uv.json.golden", "uv"),
    ("yarn.json.golden", "yarn"),
];

/// OS goldens whose image has a package-list golden in Trivy's tests.
const LISTED_OS_CASES: [(&str, &str); 3] = [
    ("alpine-310.json.golden", "alpine-310.json.golden"),
    ("debian-buster.json.golden", "debian-buster.json.golden"),
    ("ubuntu-1804.json.golden", "ubuntu-18.04.json.golden"),
];

/// OS goldens whose packages are read from the reported vulnerabilities.
const VULNERABILITY_OS_CASES: [&str; 6] = [
    "alpine-39.json.golden",
    "almalinux-8.json.golden",
    "debian-stretch.json.golden",
    "distroless-base.json.golden",
    "distroless-python27.json.golden",
    "rockylinux-8.json.golden",
];

/// Differences from the goldens: (case, package, vulnerability id, side
/// that has it, reason). See docs/scan-differences.md.
const KNOWN: &[(&str, &str, &str, &str, &str)] = &[
    (
        "cocoapods.json.golden",
        "_NIODataStructures",
        "CVE-2022-3215",
        "golden",
        "no CocoaPods analyzer or OSV ecosystem: Trivy matches pods against Swift advisories",
    ),
    (
        "composer.vendor.json.golden",
        "guzzlehttp/psr7",
        "CVE-2022-24775",
        "golden",
        "inventory: installed.json outside vendor/composer/ is not read",
    ),
    (
        "conan.json.golden",
        "pcre",
        "CVE-2020-14155",
        "golden",
        "no OSV ecosystem for Conan: Trivy uses GitLab's ConanCenter data",
    ),
    (
        "debian-stretch.json.golden",
        "e2fslibs",
        "CVE-2019-5094",
        "golden",
        "the golden omits source packages and no package list names e2fslibs' source",
    ),
    (
        "debian-stretch.json.golden",
        "libcomerr2",
        "CVE-2019-5094",
        "golden",
        "the golden omits source packages and no package list names libcomerr2's source",
    ),
    (
        "gradle.json.golden",
        "com.fasterxml.jackson.core:jackson-databind",
        "CVE-2020-9548",
        "fixed",
        "`<= 2.9.10.3` is last_affected, which names no fix; Trivy shows a separate patched list",
    ),
    (
        "mix.lock.json.golden",
        "phoenix",
        "CVE-2022-42975",
        "fixed",
        "the fixture marks 1.6.14 both vulnerable (`<= 1.6.14`) and patched; last_affected names no fix",
    ),
    (
        "packagesprops.json.golden",
        "Newtonsoft.Json",
        "GHSA-5crp-9r3c-p9vr",
        "golden",
        "inventory: Directory.Packages.props is not read",
    ),
    (
        "pom.json.golden",
        "com.fasterxml.jackson.core:jackson-databind",
        "CVE-2020-9548",
        "fixed",
        "`<= 2.9.10.3` is last_affected, which names no fix; Trivy shows a separate patched list",
    ),
    (
        "pubspec.lock.json.golden",
        "http",
        "CVE-2020-35669",
        "fixed",
        "the fixture marks 0.13.3 both vulnerable (`<= 0.13.3`) and patched; last_affected names no fix",
    ),
    (
        "pylock.json.golden",
        "werkzeug",
        "CVE-2019-14806",
        "golden",
        "inventory: pylock.toml is not read",
    ),
    (
        "pylock.json.golden",
        "werkzeug",
        "CVE-2020-28724",
        "golden",
        "inventory: pylock.toml is not read",
    ),
    (
        "sbt.json.golden",
        "com.fasterxml.jackson.core:jackson-databind",
        "CVE-2020-9548",
        "golden",
        "inventory: build.sbt.lock is not read",
    ),
    (
        "sbt.json.golden",
        "com.fasterxml.jackson.core:jackson-databind",
        "CVE-2021-20190",
        "golden",
        "inventory: build.sbt.lock is not read",
    ),
];

struct Setup {
    _dir: tempfile::TempDir,
    testdata: PathBuf,
    packages: PathBuf,
    db: Database,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("unpacked");
    let count = trivy::unpack(
        &corpus().join("integration-testdata.tar.gz"),
        &root,
        |path| {
            path.contains("/fixtures/db/")
                || path.contains("/fixtures/repo/")
                || path.ends_with(".json.golden")
        },
    );
    assert!(count > 50, "only {count} members unpacked");
    trivy::unpack(
        &corpus().join("fanal-test-images-and-goldens.tar.gz"),
        &root,
        |path| path.contains("/goldens/packages/"),
    );
    let testdata = root.join("trivy/integration/testdata");
    let packages = root.join("trivy/pkg/fanal/test/integration/testdata/goldens/packages");

    let (advisories, skipped) = trivy::convert_db(&testdata.join("fixtures/db"));
    eprintln!("fixture buckets not converted: {skipped:?}");
    let osv = dir.path().join("osv");
    std::fs::create_dir_all(&osv).unwrap();
    for advisory in &advisories {
        let name = advisory.id.replace([':', '/'], "_");
        std::fs::write(
            osv.join(format!("{name}.json")),
            serde_json::to_vec_pretty(advisory).unwrap(),
        )
        .unwrap();
    }
    let db_path = bulwark_vulndb::paths::db_path(&dir.path().join("cache"));
    let report = import(&db_path, &[Input::new(&osv)], ImportOptions::default()).unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    let db = Database::open(&db_path).unwrap();
    Setup {
        _dir: dir,
        testdata,
        packages,
        db,
    }
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A difference between a golden and our report.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Difference {
    case: String,
    package: String,
    id: String,
    /// `golden` when only the golden has it, `bulwark` when only we do,
    /// `fixed` when both have it with different fixed versions.
    side: &'static str,
}

/// Compares our findings with the golden's vulnerabilities.
fn compare(case: &str, expected: &[Expected], findings: &[Finding]) -> Vec<Difference> {
    let key = |package: &str, id: &str, installed: &str| {
        (package.to_owned(), id.to_owned(), installed.to_owned())
    };
    let golden: BTreeMap<_, _> = expected
        .iter()
        .map(|e| (key(&e.package, &e.id, &e.installed), &e.fixed))
        .collect();
    let ours: BTreeMap<_, _> = findings
        .iter()
        .map(|f| {
            (
                key(&f.package.name, &f.id, &f.package.version),
                &f.fixed_versions,
            )
        })
        .collect();
    let mut differences = Vec::new();
    let difference = |(package, id, _): &(String, String, String), side| Difference {
        case: case.to_owned(),
        package: package.clone(),
        id: id.clone(),
        side,
    };
    for (entry, fixed) in &golden {
        match ours.get(entry) {
            None => differences.push(difference(entry, "golden")),
            // Trivy lists every patched version; ours is the fix of the
            // interval holding the installed version, which must be one.
            Some(our_fixed) => {
                let subset = our_fixed.iter().all(|f| fixed.contains(f));
                if !subset || our_fixed.is_empty() != fixed.is_empty() {
                    differences.push(difference(entry, "fixed"));
                }
            }
        }
    }
    for entry in ours.keys() {
        if !golden.contains_key(entry) {
            differences.push(difference(entry, "bulwark"));
        }
    }
    differences
}

fn os_inventory(golden: &Value, packages: Vec<bulwark_inventory::Package>) -> Inventory {
    Inventory {
        source: SourceInfo {
            target: "golden".to_owned(),
            kind: "image".to_owned(),
            ..SourceInfo::default()
        },
        os: trivy::os_of(golden),
        packages,
        errors: Vec::new(),
        warnings: Vec::new(),
    }
}

#[test]
fn trivy_goldens_agree() {
    let setup = setup();
    let mut differences = Vec::new();
    let mut compared = 0;

    for (golden_name, repo) in LOCKFILE_CASES {
        let golden = read_json(&setup.testdata.join(golden_name));
        let expected = trivy::golden_vulnerabilities(&golden, "lang-pkgs");
        let dir = setup.testdata.join("fixtures/repo").join(repo);
        let inventory =
            bulwark_inventory::inventory_directory(&dir, &Limits::default(), &AnalyzerSet::all())
                .unwrap();
        let report = match_inventory(&setup.db, &inventory).unwrap();
        compared += expected.len();
        differences.extend(compare(golden_name, &expected, &report.findings));
    }

    // Binary to source package names, from every package-list golden.
    let mut sources = BTreeMap::new();
    for entry in std::fs::read_dir(&setup.packages).unwrap() {
        let list = read_json(&entry.unwrap().path());
        for package in list.as_array().unwrap() {
            if let (Some(name), Some(source)) =
                (package["Name"].as_str(), package["SrcName"].as_str())
            {
                sources.insert(name.to_owned(), source.to_owned());
            }
        }
    }

    for (golden_name, list_name) in LISTED_OS_CASES {
        let golden = read_json(&setup.testdata.join(golden_name));
        let expected = trivy::golden_vulnerabilities(&golden, "os-pkgs");
        let os = trivy::os_of(&golden).unwrap();
        let list = read_json(&setup.packages.join(list_name));
        let packages = trivy::packages_from_list(&list, &os.family);
        let report = match_inventory(&setup.db, &os_inventory(&golden, packages)).unwrap();
        assert!(
            report.os.as_ref().unwrap().ecosystem.is_some(),
            "{golden_name}"
        );
        compared += expected.len();
        differences.extend(compare(golden_name, &expected, &report.findings));
    }

    for golden_name in VULNERABILITY_OS_CASES {
        let golden = read_json(&setup.testdata.join(golden_name));
        let expected = trivy::golden_vulnerabilities(&golden, "os-pkgs");
        let os = trivy::os_of(&golden).unwrap();
        let packages = trivy::packages_from_vulnerabilities(&expected, &os.family, &sources);
        let report = match_inventory(&setup.db, &os_inventory(&golden, packages)).unwrap();
        compared += expected.len();
        differences.extend(compare(golden_name, &expected, &report.findings));
    }

    let known: BTreeSet<Difference> = KNOWN
        .iter()
        .map(|(case, package, id, side, _)| Difference {
            case: (*case).to_owned(),
            package: (*package).to_owned(),
            id: (*id).to_owned(),
            side,
        })
        .collect();
    let found: BTreeSet<Difference> = differences.into_iter().collect();
    eprintln!(
        "compared {compared} golden findings; {} known differences",
        known.len()
    );
    let unexplained: Vec<_> = found.difference(&known).collect();
    let gone: Vec<_> = known.difference(&found).collect();
    assert!(
        unexplained.is_empty(),
        "unexplained differences: {unexplained:#?}"
    );
    assert!(
        gone.is_empty(),
        "listed differences that no longer occur: {gone:#?}"
    );
    assert!(compared > 60, "only {compared} golden findings compared");
}
