//! Runs a language analyzer over every fixture of one peer test file and
//! compares what it finds with the peer's expected rows, read at test
//! time from the corpus. Deliberate differences are declared per fixture
//! with their reason; everything else must match.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use bulwark_image::Limits;
use bulwark_inventory::{Analyzer, AnalyzerSet, Fact, Package};

use crate::support::{ExpectedRow, corpus, expected_rows};

/// A corpus archive of peer fixtures.
#[derive(Clone, Copy)]
pub struct Archive {
    /// The peer's folder under `scan/`.
    pub peer: &'static str,
    /// The archive, relative to the corpus.
    pub path: &'static str,
    /// What precedes the test file's directory in member paths.
    pub root: &'static str,
}

pub const TRIVY_PARSER: Archive = Archive {
    peer: "trivy",
    path: "scan/trivy/dependency-parser-testdata.tar.gz",
    root: "trivy/",
};
pub const TRIVY_FANAL: Archive = Archive {
    peer: "trivy",
    path: "scan/trivy/fanal-analyzer-testdata.tar.gz",
    root: "trivy/",
};
pub const SCALIBR: Archive = Archive {
    peer: "osv-scalibr",
    path: "scan/osv-scalibr/extractor-language-testdata.tar.gz",
    root: "osv-scalibr/",
};
pub const SYFT: Archive = Archive {
    peer: "syft",
    path: "scan/syft/pkg-cataloger-testdata.tar.gz",
    root: "syft/",
};

/// How package names compare.
#[derive(Clone, Copy)]
pub enum Ecosystem {
    /// PEP 503: case, `-`, `_` and `.` runs do not matter.
    Python,
    /// Exact.
    Node,
}

impl Ecosystem {
    fn key(self, name: &str) -> String {
        match self {
            Self::Node => name.to_owned(),
            Self::Python => {
                let mut out = String::new();
                for c in name.chars() {
                    if matches!(c, '-' | '_' | '.') {
                        if !out.ends_with('-') {
                            out.push('-');
                        }
                    } else {
                        out.push(c.to_ascii_lowercase());
                    }
                }
                out
            }
        }
    }
}

/// Deliberate differences from a peer, per fixture, as `name@version`
/// (`*` for every expected row).
#[derive(Default)]
pub struct Differences {
    missing: Vec<(&'static str, Vec<&'static str>, &'static str)>,
    extra: Vec<(&'static str, Vec<&'static str>, &'static str)>,
    dev: Vec<(&'static str, Vec<&'static str>, &'static str)>,
    partial: Vec<(&'static str, &'static str)>,
    dev_omitted: Vec<(&'static str, &'static str)>,
}

impl Differences {
    pub fn new() -> Self {
        Self::default()
    }

    /// Rows the peer expects that we do not list.
    pub fn missing(
        mut self,
        fixture: &'static str,
        ids: &[&'static str],
        reason: &'static str,
    ) -> Self {
        self.missing.push((fixture, ids.to_vec(), reason));
        self
    }

    /// Packages we list that the peer does not.
    pub fn extra(
        mut self,
        fixture: &'static str,
        ids: &[&'static str],
        reason: &'static str,
    ) -> Self {
        self.extra.push((fixture, ids.to_vec(), reason));
        self
    }

    /// Packages whose development flag differs from the peer's.
    pub fn dev(
        mut self,
        fixture: &'static str,
        ids: &[&'static str],
        reason: &'static str,
    ) -> Self {
        self.dev.push((fixture, ids.to_vec(), reason));
        self
    }

    /// Fixtures whose expected rows are an incomplete extraction of the
    /// peer's test: only that every expected row is listed is checked.
    pub fn partial(mut self, fixture: &'static str, reason: &'static str) -> Self {
        self.partial.push((fixture, reason));
        self
    }

    /// Fixtures where the peer leaves development packages out: ours
    /// that are marked as development dependencies are not extra.
    pub fn dev_omitted(mut self, fixture: &'static str, reason: &'static str) -> Self {
        self.dev_omitted.push((fixture, reason));
        self
    }

    fn ids<'a>(
        list: &'a [(&'static str, Vec<&'static str>, &'static str)],
        fixture: &str,
    ) -> Vec<&'a str> {
        list.iter()
            .filter(|(f, _, _)| *f == fixture)
            .flat_map(|(_, ids, _)| ids.iter().copied())
            .collect()
    }
}

/// One peer test file and how to check our analyzer against it.
pub struct PeerTest {
    archive: Archive,
    test_file: &'static str,
    analyzer: &'static dyn Analyzer,
    ecosystem: Ecosystem,
    analyzers: fn() -> Vec<Box<dyn Analyzer>>,
    errors: Vec<&'static str>,
    tolerated: Vec<&'static str>,
    skip: Vec<(&'static str, &'static str)>,
    differences: Differences,
}

impl PeerTest {
    /// `analyzer` reads file fixtures; directory fixtures are inventoried
    /// with the set `analyzers` gives, which also proves their `wants`.
    pub fn new(
        archive: Archive,
        test_file: &'static str,
        analyzer: &'static dyn Analyzer,
        ecosystem: Ecosystem,
        analyzers: fn() -> Vec<Box<dyn Analyzer>>,
    ) -> Self {
        Self {
            archive,
            test_file,
            analyzer,
            ecosystem,
            analyzers,
            errors: Vec::new(),
            tolerated: Vec::new(),
            skip: Vec::new(),
            differences: Differences::default(),
        }
    }

    /// Fixtures that are malformed and must give an error.
    pub fn errors(mut self, fixtures: &[&'static str]) -> Self {
        self.errors.extend_from_slice(fixtures);
        self
    }

    /// Directory fixtures holding a malformed file beside good ones: the
    /// error is expected, and the packages of the good files are compared.
    pub fn tolerate_errors(mut self, fixtures: &[&'static str]) -> Self {
        self.tolerated.extend_from_slice(fixtures);
        self
    }

    /// Fixtures not compared at all, with the reason.
    pub fn skip(mut self, fixtures: &[(&'static str, &'static str)]) -> Self {
        self.skip.extend_from_slice(fixtures);
        self
    }

    pub fn differences(mut self, differences: Differences) -> Self {
        self.differences = differences;
        self
    }

    /// Checks every fixture; at least `min_compared` of them must have
    /// expected packages, so the test cannot pass by comparing nothing.
    pub fn run(self, min_compared: usize) {
        let dir = self.test_file.rsplit_once('/').map_or("", |(d, _)| d);
        let prefix = format!("{}{dir}/", self.archive.root);
        let unpacked = unpacked(self.archive.path);
        let rows = expected_rows(self.archive.peer);
        let fixtures = fixtures(self.archive.peer, self.test_file);
        assert!(
            !fixtures.is_empty(),
            "no fixtures indexed for {}",
            self.test_file
        );
        let mut problems: Vec<String> = Vec::new();
        let mut compared = 0;
        for fixture in &fixtures {
            if self.skip.iter().any(|(f, _)| f == fixture) {
                continue;
            }
            let path = unpacked.join(&prefix).join(fixture);
            let member = format!("{prefix}{fixture}");
            let result = if path.is_dir() {
                let (packages, errors) = self.inventory(&path);
                match (
                    errors.is_empty(),
                    self.tolerated.contains(&fixture.as_str()),
                ) {
                    (true, true) => {
                        problems.push(format!("{fixture}: expected an error beside the packages"));
                        continue;
                    }
                    (false, false) => Err(errors.join("; ")),
                    _ => Ok(packages),
                }
            } else if path.is_file() {
                let data = std::fs::read(&path).expect("read fixture");
                self.analyzer.analyze(&member, &data).map(packages)
            } else {
                // Index entries that name no file (messages, globs).
                continue;
            };
            let must_fail = self.errors.contains(&fixture.as_str());
            let packages = match (result, must_fail) {
                (Ok(_), true) => {
                    problems.push(format!("{fixture}: expected an error"));
                    continue;
                }
                (Err(_), true) => continue,
                (Err(e), false) => {
                    problems.push(format!("{fixture}: unexpected error: {e}"));
                    continue;
                }
                (Ok(packages), false) => packages,
            };
            let expected = expected_for(&rows, self.test_file, fixture);
            if expected.is_empty() {
                continue;
            }
            compared += 1;
            problems.extend(self.compare(fixture, &packages, &expected));
        }
        assert!(
            problems.is_empty(),
            "{}:\n{}",
            self.test_file,
            problems.join("\n")
        );
        assert!(
            compared >= min_compared,
            "{}: compared {compared} fixtures with expectations, wanted at least {min_compared}",
            self.test_file
        );
    }

    /// Inventories a directory fixture: its packages, and the errors of
    /// files that failed to parse.
    fn inventory(&self, path: &Path) -> (Vec<Package>, Vec<String>) {
        let set = AnalyzerSet::new((self.analyzers)());
        let inventory = bulwark_inventory::inventory_directory(path, &Limits::default(), &set)
            .unwrap_or_else(|e| panic!("inventory {}: {e}", path.display()));
        (inventory.packages, inventory.errors)
    }

    fn compare(&self, fixture: &str, got: &[Package], expected: &[ExpectedRow]) -> Vec<String> {
        let id = |name: &str, version: &str| format!("{}@{version}", self.ecosystem.key(name));
        let listed = |list, fixture| -> BTreeSet<String> {
            Differences::ids(list, fixture)
                .iter()
                .filter_map(|i| i.rsplit_once('@').map(|(n, v)| id(n, v)))
                .collect()
        };
        let missing_ok = listed(&self.differences.missing, fixture);
        let all_missing_ok = Differences::ids(&self.differences.missing, fixture).contains(&"*");
        let extra_ok = listed(&self.differences.extra, fixture);
        let dev_ok = listed(&self.differences.dev, fixture);
        let partial = self.differences.partial.iter().any(|(f, _)| *f == fixture);
        let dev_omitted = self
            .differences
            .dev_omitted
            .iter()
            .any(|(f, _)| *f == fixture);

        let mut ours: BTreeMap<String, Option<bool>> = BTreeMap::new();
        for package in got {
            ours.insert(id(&package.name, &package.version), package.dev);
        }
        let states_dev = expected.iter().any(|r| dev_of(r).is_some());
        let mut theirs: BTreeMap<String, bool> = BTreeMap::new();
        for row in expected {
            theirs.insert(id(&row.name, &row.version), dev_of(row).unwrap_or(false));
        }
        let mut problems = Vec::new();
        for (key, dev) in &theirs {
            match ours.get(key) {
                None if all_missing_ok || missing_ok.contains(key) => {}
                None => problems.push(format!("{fixture}: missing {key}")),
                Some(_) if missing_ok.contains(key) => problems.push(format!(
                    "{fixture}: {key} is declared missing but is listed"
                )),
                Some(ours_dev) => {
                    if states_dev && ours_dev.unwrap_or(false) != *dev && !dev_ok.contains(key) {
                        problems.push(format!(
                            "{fixture}: {key} dev is {ours_dev:?}, peer says {dev}"
                        ));
                    }
                }
            }
        }
        for (key, dev) in &ours {
            if dev_omitted && *dev == Some(true) {
                continue;
            }
            // The corpus tables hold no scoped npm rows (`@scope/name`) at
            // all: their extraction from the peers' Go tests dropped them
            // (Trivy's npmV1Pkgs, for one, starts with
            // @babel/helper-string-parser, which the table lacks). So a
            // scoped package cannot be judged extra.
            let scoped = matches!(self.ecosystem, Ecosystem::Node) && key.starts_with('@');
            if !theirs.contains_key(key) && !extra_ok.contains(key) && !partial && !scoped {
                problems.push(format!("{fixture}: extra {key}"));
            }
        }
        for key in &extra_ok {
            if !ours.contains_key(key) {
                problems.push(format!(
                    "{fixture}: {key} is declared extra but is not listed"
                ));
            }
        }
        problems
    }
}

fn packages(facts: Vec<Fact>) -> Vec<Package> {
    facts
        .into_iter()
        .filter_map(|f| match f {
            Fact::Package(p) => Some(p),
            _ => None,
        })
        .collect()
}

/// Returns the development flag a row states, if any (Trivy's `Dev`
/// field).
fn dev_of(row: &ExpectedRow) -> Option<bool> {
    let extra: serde_json::Value = serde_json::from_str(&row.extra).ok()?;
    match extra.get("Dev")?.as_str()? {
        "@true" => Some(true),
        "@false" => Some(false),
        _ => None,
    }
}

/// Lists the fixtures that the peer's index names for a test file.
fn fixtures(peer: &str, test_file: &str) -> Vec<String> {
    let index = corpus().join("scan").join(peer).join("EXPECTED-index.tsv");
    let text = std::fs::read_to_string(&index).expect("read index");
    let mut fixtures: Vec<String> = text
        .lines()
        .filter_map(|line| {
            let mut cols = line.split('\t');
            (cols.next() == Some(test_file)).then(|| cols.next().unwrap_or_default().to_owned())
        })
        .collect();
    fixtures.sort();
    fixtures.dedup();
    fixtures
}

/// Fields of `ref->FIELD` rows that name the variable holding the
/// expected packages (other fields hold dependencies, errors or metrics).
const PACKAGE_FIELDS: &[&str] = &[
    "want",
    "wantPkgs",
    "wantPackages",
    "expected",
    "ExpectedPkg",
    "Packages",
];

/// The rows a peer expects for one fixture: rows of the test case itself,
/// and rows of the variables the case refers to. Rows whose version is a
/// requirement range are dependency specifiers, not packages; rows without
/// a version (git and local dependencies, which scalibr lists) are not
/// compared, because we only list packages that have a version.
fn expected_for(rows: &[ExpectedRow], test_file: &str, fixture: &str) -> Vec<ExpectedRow> {
    let dir = test_file.rsplit_once('/').map_or("", |(d, _)| d);
    let same_dir = |row: &ExpectedRow| row.test_file.rsplit_once('/').map_or("", |(d, _)| d) == dir;
    let names_fixture = |row: &ExpectedRow| row.fixture.split(" | ").any(|f| f == fixture);
    let vars: Vec<String> = rows
        .iter()
        .filter(|r| r.test_file == test_file && r.fixture == fixture)
        .filter_map(|r| {
            let field = r.via.strip_prefix("ref->")?;
            (PACKAGE_FIELDS.contains(&field) && r.name != "nil").then(|| format!("var:{}", r.name))
        })
        .collect();
    rows.iter()
        .filter(|r| {
            (r.test_file == test_file
                && matches!(r.via.as_str(), "case" | "case-multi")
                && names_fixture(r))
                || (same_dir(r) && vars.contains(&r.via))
        })
        .filter(|r| {
            !r.version.is_empty() && !r.version.contains(['*', '<', '>', '=', ',', '~', '^'])
        })
        .cloned()
        .collect()
}

/// Unpacks the Python and Node.js members of a corpus archive under
/// Cargo's temporary directory for tests, once, so later runs reuse them.
fn unpacked(archive: &'static str) -> PathBuf {
    static LOCK: Mutex<()> = Mutex::new(());
    let _guard = LOCK
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let name = archive.replace('/', "_");
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("lang-peers")
        .join(name);
    let path = corpus().join(archive);
    // The marker records the archive's size and time, so a changed corpus
    // is unpacked again.
    let metadata = std::fs::metadata(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let stamp = format!("{} {:?}", metadata.len(), metadata.modified().ok());
    let complete = dir.join(".complete");
    if std::fs::read_to_string(&complete).is_ok_and(|s| s == stamp) {
        return dir;
    }
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create unpack directory");
    let file =
        std::fs::File::open(&path).unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(file));
    for entry in tar.entries().expect("read corpus archive") {
        let mut entry = entry.expect("read corpus archive entry");
        let member = entry
            .path()
            .expect("entry path")
            .to_string_lossy()
            .into_owned();
        if ["/python/", "/javascript/", "/nodejs/"]
            .iter()
            .any(|k| member.contains(k))
        {
            entry.unpack_in(&dir).expect("unpack corpus member");
        }
    }
    std::fs::write(&complete, stamp).expect("mark unpack complete");
    dir
}

/// Every fixture file of the four archives whose path contains one of
/// `needles`, for robustness tests.
pub fn fixture_files(needles: &[&str]) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for archive in [TRIVY_PARSER, TRIVY_FANAL, SCALIBR, SYFT] {
        let mut stack = vec![unpacked(archive.path)];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).expect("read fixture directory") {
                let path = entry.expect("fixture entry").path();
                if path.is_dir() {
                    stack.push(path);
                } else if needles.iter().any(|n| path.to_string_lossy().contains(n)) {
                    files.push(path);
                }
            }
        }
    }
    files.sort();
    files
}

/// Runs `analyzer` on every prefix cut of `data` at a few places: a
/// truncated or damaged file must give an error or packages, never a
/// panic.
pub fn analyze_truncated(analyzer: &dyn Analyzer, path: &str, data: &[u8]) {
    let len = data.len();
    for cut in [0, 1.min(len), len / 3, len / 2, len.saturating_sub(1), len] {
        let _ = analyzer.analyze(path, &data[..cut]);
    }
}
