//! osv-scanner's recorded osv.dev answers: for each (ecosystem, package,
//! version) query whose feed the corpus holds, our matches must agree with
//! the ids osv.dev returned.
//!
//! The answers were recorded from the live osv.dev while the corpus feeds
//! are snapshots, so an id osv.dev returned that is in none of our feeds
//! is counted as data age, not as a difference. Every other disagreement
//! must be listed in `KNOWN` with its reason.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use bulwark_inventory::{Inventory, Os, Package, PackageKind, SourceInfo};
use bulwark_match::match_inventory;
use bulwark_vulndb::Database;
use bulwark_vulndb::import::{ImportOptions, Input, import};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/scan")
}

/// Packages the GHSA sample covers; other npm and Maven queries are not
/// compared because the corpus holds no feed for them.
const GHSA_SAMPLE_PACKAGES: [&str; 6] = [
    "lodash",
    "lodash-es",
    "minimist",
    "org.apache.logging.log4j:log4j-core",
    "com.fasterxml.jackson.core:jackson-databind",
    "lodash.defaultsdeep",
];

/// Ecosystems whose corpus feed is newer than the recording: golang/vulndb
/// and RustSec at 2026-08-21, while no answer was recorded after
/// 2026-08-07. An id of theirs that appears in no recorded answer at all
/// was published after the recording. (golang/vulndb's repository files
/// carry no publication times to check this by date.)
const NEWER_FEEDS: [&str; 2] = ["Go", "crates.io"];

/// Alpine's secdb states only fixed versions, so every lower version is
/// affected in it; osv.dev's current Alpine records no longer match these
/// (they carry upstream introduced versions for OpenSSL 3.0-only bugs, and
/// have dropped entries the secdb snapshot of 2024-12 still lists).
const ALPINE_SECDB_ONLY: &str = "secdb lists only fixed versions; osv.dev's record differs";

/// Disagreements: (ecosystem, package, version, id, side, reason).
const KNOWN: &[(&str, &str, &str, &str, &str, &str)] = &[
    (
        "Alpine:v3.18",
        "apk-tools",
        "2.10.6-r0",
        "ALPINE-CVE-2021-30139",
        "bulwark",
        ALPINE_SECDB_ONLY,
    ),
    (
        "Alpine:v3.18",
        "busybox",
        "1.30.1-r5",
        "ALPINE-ALPINE-13661",
        "bulwark",
        "secdb's own id ALPINE-13661; osv.dev keeps only CVE ids",
    ),
    (
        "Alpine:v3.18",
        "busybox",
        "1.30.1-r5",
        "ALPINE-CVE-2021-28831",
        "bulwark",
        ALPINE_SECDB_ONLY,
    ),
    (
        "Alpine:v3.18",
        "openssl",
        "1.1.1k-r0",
        "ALPINE-CVE-2022-1343",
        "bulwark",
        ALPINE_SECDB_ONLY,
    ),
    (
        "Alpine:v3.18",
        "openssl",
        "1.1.1k-r0",
        "ALPINE-CVE-2022-1434",
        "bulwark",
        ALPINE_SECDB_ONLY,
    ),
    (
        "Alpine:v3.18",
        "openssl",
        "1.1.1k-r0",
        "ALPINE-CVE-2022-1473",
        "bulwark",
        ALPINE_SECDB_ONLY,
    ),
    (
        "Alpine:v3.18",
        "openssl",
        "1.1.1k-r0",
        "ALPINE-CVE-2022-3358",
        "bulwark",
        ALPINE_SECDB_ONLY,
    ),
    (
        "Alpine:v3.18",
        "openssl",
        "1.1.1k-r0",
        "ALPINE-CVE-2022-3602",
        "bulwark",
        ALPINE_SECDB_ONLY,
    ),
    (
        "Alpine:v3.18",
        "openssl",
        "1.1.1k-r0",
        "ALPINE-CVE-2022-3786",
        "bulwark",
        ALPINE_SECDB_ONLY,
    ),
    (
        "Alpine:v3.18",
        "openssl",
        "1.1.1k-r0",
        "ALPINE-CVE-2022-3996",
        "bulwark",
        ALPINE_SECDB_ONLY,
    ),
    (
        "Alpine:v3.18",
        "openssl",
        "1.1.1k-r0",
        "ALPINE-CVE-2022-4203",
        "bulwark",
        ALPINE_SECDB_ONLY,
    ),
    (
        "Alpine:v3.18",
        "openssl",
        "1.1.1k-r0",
        "ALPINE-CVE-2023-0216",
        "bulwark",
        ALPINE_SECDB_ONLY,
    ),
    (
        "Alpine:v3.18",
        "openssl",
        "1.1.1k-r0",
        "ALPINE-CVE-2023-0217",
        "bulwark",
        ALPINE_SECDB_ONLY,
    ),
    (
        "Alpine:v3.18",
        "openssl",
        "1.1.1k-r0",
        "ALPINE-CVE-2023-0401",
        "bulwark",
        ALPINE_SECDB_ONLY,
    ),
    (
        "Alpine:v3.18",
        "openssl",
        "1.1.1k-r0",
        "ALPINE-CVE-2023-1255",
        "bulwark",
        ALPINE_SECDB_ONLY,
    ),
    (
        "Alpine:v3.18",
        "openssl",
        "1.1.1k-r0",
        "ALPINE-CVE-2023-2975",
        "bulwark",
        ALPINE_SECDB_ONLY,
    ),
    (
        "Alpine:v3.18",
        "openssl",
        "1.1.1k-r0",
        "ALPINE-CVE-2023-3817",
        "bulwark",
        ALPINE_SECDB_ONLY,
    ),
    (
        "Alpine:v3.18",
        "openssl",
        "1.1.1k-r0",
        "ALPINE-CVE-2023-5363",
        "bulwark",
        ALPINE_SECDB_ONLY,
    ),
    (
        "Alpine:v3.18",
        "openssl",
        "1.1.1k-r0",
        "ALPINE-CVE-2023-6129",
        "bulwark",
        ALPINE_SECDB_ONLY,
    ),
    (
        "Alpine:v3.18",
        "openssl",
        "1.1.1k-r0",
        "ALPINE-CVE-2024-6119",
        "bulwark",
        ALPINE_SECDB_ONLY,
    ),
    (
        "PyPI",
        "django",
        "1.11.29",
        "GHSA-8x94-hmjh-97hq",
        "osv.dev",
        "osv.dev answers from the GHSA record; PYSEC-2022-245, its alias in the 2024-10 PyPA snapshot, has narrower ranges",
    ),
    (
        "PyPI",
        "django",
        "2.2.24",
        "GHSA-8x94-hmjh-97hq",
        "osv.dev",
        "osv.dev answers from the GHSA record; PYSEC-2022-245, its alias in the 2024-10 PyPA snapshot, has narrower ranges",
    ),
    (
        "PyPI",
        "urllib3",
        "1.24.3",
        "PYSEC-2021-108",
        "bulwark",
        "the 2024-10 PyPA snapshot says fixed in 1.26.5 from version 0; osv.dev no longer returns it for 1.24.3",
    ),
];

struct Row {
    /// Newest `modified` time among the returned ids: the answer was
    /// recorded at or after it.
    recorded_after: String,
    ecosystem: String,
    name: String,
    version: String,
    ids: BTreeSet<String>,
}

fn rows() -> Vec<Row> {
    let path = corpus().join("osv-scanner/EXPECTED-osv-api-querybatch-from-cassettes.tsv");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut seen = BTreeSet::new();
    let mut rows = Vec::new();
    for line in text.lines().skip(1) {
        let fields: Vec<&str> = line.split('\t').collect();
        let [_, _, ecosystem, name, _, version, ids] = fields[..] else {
            continue;
        };
        let held = match ecosystem {
            "PyPI" | "crates.io" | "Go" => true,
            "npm" | "Maven" => GHSA_SAMPLE_PACKAGES.contains(&name),
            _ => ecosystem.starts_with("Alpine:v"),
        };
        if !held || !seen.insert((ecosystem, name, version)) {
            continue;
        }
        let recorded_after = ids
            .split(',')
            .filter_map(|id| id.split_once('@').map(|(_, modified)| modified.to_owned()))
            .max()
            .unwrap_or_default();
        rows.push(Row {
            recorded_after,
            ecosystem: ecosystem.to_owned(),
            name: name.to_owned(),
            version: version.to_owned(),
            ids: ids
                .split(',')
                .filter(|id| !id.is_empty())
                .map(|id| id.split('@').next().unwrap().to_owned())
                .collect(),
        });
    }
    rows
}

fn database(dir: &Path) -> Database {
    let path = bulwark_vulndb::paths::db_path(dir);
    let inputs = [
        Input::new(corpus().join("pypa-advisory-database/vulns.tar.gz")),
        Input::new(corpus().join("rustsec-advisory-db/osv-crates.tar.gz")),
        Input::new(corpus().join("golang-vulndb/osv.tar.gz")),
        Input::new(corpus().join("ghsa-sample")),
        Input::new(corpus().join("pschou-oval/alpine-secdb-json")),
    ];
    let report = import(&path, &inputs, ImportOptions::default()).unwrap();
    assert!(report.failed_inputs.is_empty(), "{:?}", report.problems);
    Database::open(&path).unwrap()
}

fn inventory(row: &Row) -> Inventory {
    let (kind, os) = match row.ecosystem.as_str() {
        "PyPI" => (PackageKind::Pypi, None),
        "crates.io" => (PackageKind::Cargo, None),
        "Go" => (PackageKind::Golang, None),
        "npm" => (PackageKind::Npm, None),
        "Maven" => (PackageKind::Maven, None),
        alpine => {
            let release = alpine.trim_start_matches("Alpine:v");
            let os = Os {
                family: "alpine".to_owned(),
                version: format!("{release}.0"),
                pretty_name: None,
                codename: None,
                distroless: false,
            };
            (PackageKind::Apk, Some(os))
        }
    };
    let mut package = Package::new(kind, row.name.clone(), row.version.clone());
    package.id = format!("{}@{}", row.name, row.version);
    // osv-scanner queries Alpine by origin (source) package name.
    package.source_name = Some(row.name.clone());
    Inventory {
        source: SourceInfo::default(),
        os,
        packages: vec![package],
        errors: Vec::new(),
        warnings: Vec::new(),
    }
}

#[derive(Default, Debug)]
struct Tally {
    queries: usize,
    returned: usize,
    agreed: usize,
    not_in_snapshot: usize,
    /// Ours, from advisories published after the answer was recorded.
    newer_than_answer: usize,
}

#[test]
fn osv_dev_answers_agree() {
    let dir = tempfile::tempdir().unwrap();
    let db = database(dir.path());
    let rows = rows();
    assert!(rows.len() > 100, "only {} rows", rows.len());

    let mut tallies: BTreeMap<String, Tally> = BTreeMap::new();
    let mut differences = BTreeSet::new();
    // Every answer was recorded at or after the newest modified time of
    // any returned id.
    let recorded = rows.iter().map(|r| r.recorded_after.clone()).max().unwrap();
    let answered: BTreeSet<&String> = rows.iter().flat_map(|r| &r.ids).collect();
    for row in &rows {
        let report = match_inventory(&db, &inventory(row)).unwrap();
        let family = row.ecosystem.split(':').next().unwrap().to_owned();
        let tally = tallies.entry(family).or_default();
        tally.queries += 1;
        tally.returned += row.ids.len();
        let ours: BTreeSet<String> = report
            .findings
            .iter()
            .flat_map(|f| {
                f.all_ids()
                    .map(str::to_owned)
                    .chain(f.advisories.iter().cloned())
                    .collect::<Vec<_>>()
            })
            .collect();
        let release_missing = report.notes.iter().any(|n| n.code == "unknown-os-release");
        for id in &row.ids {
            if ours.contains(id) {
                tally.agreed += 1;
            } else if release_missing || db.advisories_with_id(id).unwrap().is_empty() {
                tally.not_in_snapshot += 1;
            } else {
                differences.insert((
                    row.ecosystem.clone(),
                    row.name.clone(),
                    row.version.clone(),
                    id.clone(),
                    "osv.dev",
                ));
            }
        }
        for finding in &report.findings {
            let known_to_osv = finding.all_ids().any(|id| row.ids.contains(id))
                || finding.advisories.iter().any(|id| row.ids.contains(id));
            let published = db
                .advisories_with_id(&finding.advisories[0])
                .unwrap()
                .first()
                .and_then(|a| a.published.clone())
                .unwrap_or_default();
            let unanswered = NEWER_FEEDS.contains(&row.ecosystem.as_str())
                && !finding
                    .all_ids()
                    .any(|id| answered.contains(&id.to_owned()));
            if !known_to_osv && (published > recorded || unanswered) {
                tally.newer_than_answer += 1;
            } else if !known_to_osv {
                differences.insert((
                    row.ecosystem.clone(),
                    row.name.clone(),
                    row.version.clone(),
                    finding.advisories[0].clone(),
                    "bulwark",
                ));
            }
        }
    }
    for (ecosystem, tally) in &tallies {
        eprintln!("{ecosystem}: {tally:?}");
    }
    let known: BTreeSet<_> = KNOWN
        .iter()
        .map(|(e, n, v, id, side, _)| {
            (
                (*e).to_owned(),
                (*n).to_owned(),
                (*v).to_owned(),
                (*id).to_owned(),
                *side,
            )
        })
        .collect();
    let unexplained: Vec<_> = differences.difference(&known).collect();
    let gone: Vec<_> = known.difference(&differences).collect();
    assert!(unexplained.is_empty(), "unexplained: {unexplained:#?}");
    assert!(gone.is_empty(), "listed but no longer occurring: {gone:#?}");
    let agreed: usize = tallies.values().map(|t| t.agreed).sum();
    assert!(agreed > 100, "only {agreed} ids agreed");
}
