//! Dart analyzer against the peers' fixtures: `pubspec.lock`, compared with
//! the packages the peers' own tests expect.
//!
//! SDK packages (`source: sdk`, such as `flutter`) carry the placeholder
//! version `0.0.0` in the lockfile. We keep it as written, as Trivy does by
//! default and OSV-SCALIBR does. Syft instead takes the lower bound of the
//! `sdks.flutter` constraint and drops the package when there is none.
//! Trivy does the same behind an option. Those expectations are the
//! exceptions below.

mod support;

use std::collections::BTreeSet;

use bulwark_inventory::Package;
use bulwark_inventory::analyzers::PubLockAnalyzer;

use crate::fixtures::{
    Fixture, SCALIBR, SYFT, Source, TRIVY_FANAL, TRIVY_PARSER, assert_err, assert_flags,
    assert_names, expected, expected_purls, run, wants,
};
use crate::support::ExpectedRow;

/// Shared helpers of the language tests: fixture loading, expectation
/// lookup and comparison. Each language test file carries its own copy,
/// and not every file uses every helper.
#[allow(dead_code)]
mod fixtures {
    use std::collections::{BTreeMap, BTreeSet};
    use std::fs::File;
    use std::sync::{Arc, Mutex};

    use bulwark_image::{EntryInfo, EntryKind};
    use bulwark_inventory::{Analyzer, Fact, Package};

    use crate::support::{ExpectedRow, corpus, expected_rows};

    /// Where a peer keeps its fixtures and the test files that expect them.
    #[derive(Clone, Copy)]
    pub struct Source {
        pub peer: &'static str,
        pub archive: &'static str,
        /// Prefix of member paths in the archive, before the test directory.
        pub root: &'static str,
    }

    pub const TRIVY_PARSER: Source = Source {
        peer: "trivy",
        archive: "scan/trivy/dependency-parser-testdata.tar.gz",
        root: "trivy/",
    };
    pub const TRIVY_FANAL: Source = Source {
        peer: "trivy",
        archive: "scan/trivy/fanal-analyzer-testdata.tar.gz",
        root: "trivy/",
    };
    pub const SCALIBR: Source = Source {
        peer: "osv-scalibr",
        archive: "scan/osv-scalibr/extractor-language-testdata.tar.gz",
        root: "osv-scalibr/",
    };
    pub const SYFT: Source = Source {
        peer: "syft",
        archive: "scan/syft/pkg-cataloger-testdata.tar.gz",
        root: "syft/",
    };

    /// One fixture: the test directory of the peer (where its Go test
    /// lives) and the fixture path as that test names it.
    #[derive(Clone, Copy)]
    pub struct Fixture {
        pub source: Source,
        pub dir: &'static str,
        pub path: &'static str,
    }

    impl Fixture {
        pub fn member(&self) -> String {
            format!("{}{}/{}", self.source.root, self.dir, self.path)
        }

        pub fn data(&self) -> Vec<u8> {
            let member = self.member();
            let members = archive_members(self.source.archive);
            members
                .get(&member)
                .cloned()
                .unwrap_or_else(|| panic!("{member} not found in {}", self.source.archive))
        }
    }

    /// Test directories of interest; only their members are kept in memory.
    const KEEP: &[&str] = &[
        "/ruby/",
        "/php/",
        "/composer",
        "/dotnet/",
        "/nuget/",
        "/dart/",
        "/swift/",
        "/hex/",
        "/elixir/",
        "/erlang/",
        "/conan",
        "/cpp/",
        "/c/conan/",
    ];

    /// Archive members by path.
    type Members = BTreeMap<String, Vec<u8>>;

    fn archive_members(archive: &str) -> Arc<Members> {
        static CACHE: Mutex<BTreeMap<String, Arc<Members>>> = Mutex::new(BTreeMap::new());
        let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
        cache
            .entry(archive.to_owned())
            .or_insert_with(|| Arc::new(load(archive)))
            .clone()
    }

    fn load(archive: &str) -> Members {
        use std::io::Read;
        let path = corpus().join(archive);
        let file = File::open(&path).unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
        let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(file));
        let mut members = BTreeMap::new();
        for entry in tar.entries().expect("read corpus archive") {
            let mut entry = entry.expect("read corpus archive entry");
            let name = entry
                .path()
                .expect("entry path")
                .to_string_lossy()
                .into_owned();
            let name = name.trim_start_matches("./").to_owned();
            if !KEEP.iter().any(|k| name.contains(k)) || !entry.header().entry_type().is_file() {
                continue;
            }
            let mut data = Vec::new();
            entry.read_to_end(&mut data).expect("read member");
            members.insert(name, data);
        }
        members
    }

    /// The packages a peer's test expects from one fixture: rows of its own
    /// test case, or the rows of the variable that the case refers to.
    pub fn expected(fixture: &Fixture) -> Vec<ExpectedRow> {
        let prefix = format!("{}/", fixture.dir);
        let rows: Vec<ExpectedRow> = expected_rows(fixture.source.peer)
            .into_iter()
            .filter(|row| {
                row.test_file.starts_with(&prefix) && !row.test_file[prefix.len()..].contains('/')
            })
            .collect();
        let direct: Vec<ExpectedRow> = rows
            .iter()
            .filter(|row| {
                (row.via == "case" || row.via == "case-multi")
                    && row.fixture.split(" | ").any(|f| f == fixture.path)
            })
            .cloned()
            .collect();
        if !direct.is_empty() {
            return direct;
        }
        let variables: BTreeSet<&str> = rows
            .iter()
            .filter(|row| {
                row.fixture == fixture.path
                    && matches!(row.via.as_str(), "ref->want" | "ref->wantPkgs")
            })
            .map(|row| row.name.as_str())
            .collect();
        rows.iter()
            .filter(|row| {
                row.via
                    .strip_prefix("var:")
                    .is_some_and(|var| variables.contains(var))
            })
            .cloned()
            .collect()
    }

    /// Runs one analyzer on one fixture and returns its packages.
    pub fn run(analyzer: &dyn Analyzer, fixture: &Fixture) -> Vec<Package> {
        let member = fixture.member();
        analyzer
            .analyze(&member, &fixture.data())
            .unwrap_or_else(|e| panic!("{}: {member}: {e}", analyzer.name()))
            .into_iter()
            .filter_map(|fact| match fact {
                Fact::Package(package) => Some(package),
                _ => None,
            })
            .collect()
    }

    /// Asserts that the analyzer rejects a malformed fixture with a message.
    pub fn assert_err(analyzer: &dyn Analyzer, fixture: &Fixture) {
        let member = fixture.member();
        match analyzer.analyze(&member, &fixture.data()) {
            Ok(facts) => panic!("{member}: expected an error, got {} facts", facts.len()),
            Err(message) => assert!(!message.is_empty(), "{member}: empty error message"),
        }
    }

    /// Compares (name, version) sets. `not_expected` lists packages we
    /// report that the peer leaves out; each use carries its reason.
    pub fn assert_names(
        ours: &[Package],
        expected: &[ExpectedRow],
        not_expected: &[(&str, &str)],
        context: &str,
    ) {
        let want: BTreeSet<(String, String)> = expected
            .iter()
            .map(|r| (r.name.clone(), r.version.clone()))
            .collect();
        assert!(
            !want.is_empty(),
            "{context}: no expected packages found in the peer's table"
        );
        let got: BTreeSet<(String, String)> = ours
            .iter()
            .map(|p| (p.name.clone(), p.version.clone()))
            .filter(|(n, v)| !not_expected.contains(&(n.as_str(), v.as_str())))
            .collect();
        let missing: Vec<_> = want.difference(&got).collect();
        let extra: Vec<_> = got.difference(&want).collect();
        assert!(missing.is_empty(), "{context}: missing {missing:?}");
        assert!(
            extra.is_empty(),
            "{context}: not expected by the peer {extra:?}"
        );
    }

    /// Checks the direct and dev flags wherever the peer states them:
    /// Trivy's `Relationship` and `Dev`, Syft's `Type` of NuGet locks.
    /// Returns how many flags were compared.
    pub fn assert_flags(ours: &[Package], expected: &[ExpectedRow], context: &str) -> usize {
        let mut checked = 0;
        for row in expected {
            let extra: serde_json::Value = serde_json::from_str(&row.extra).unwrap_or_default();
            let field = |key: &str| extra.get(key).and_then(|v| v.as_str()).unwrap_or_default();
            let direct = match (field("Relationship"), field("Type")) {
                (r, _) if r.ends_with("RelationshipDirect") => Some(true),
                (r, _) if r.ends_with("RelationshipIndirect") => Some(false),
                (_, "Direct") => Some(true),
                (_, "Transitive") => Some(false),
                _ => None,
            };
            let dev = (field("Dev") == "@true").then_some(true);
            if direct.is_none() && dev.is_none() {
                continue;
            }
            let package = ours
                .iter()
                .find(|p| p.name == row.name && p.version == row.version)
                .unwrap_or_else(|| panic!("{context}: {}@{} not found", row.name, row.version));
            if let Some(direct) = direct {
                assert_eq!(
                    package.direct,
                    Some(direct),
                    "{context}: direct flag of {}@{}",
                    row.name,
                    row.version
                );
                checked += 1;
            }
            if let Some(dev) = dev {
                assert_eq!(
                    package.dev,
                    Some(dev),
                    "{context}: dev flag of {}@{}",
                    row.name,
                    row.version
                );
                checked += 1;
            }
        }
        checked
    }

    /// Returns whether the analyzer wants a file at `path`.
    pub fn wants(analyzer: &dyn Analyzer, path: &str) -> bool {
        analyzer.wants(&EntryInfo {
            path,
            size: 100,
            mode: 0o644,
            kind: EntryKind::File,
            layer: 0,
        })
    }

    /// Syft's expected purls, from the `PURL` field of its rows.
    pub fn expected_purls(expected: &[ExpectedRow]) -> BTreeSet<String> {
        expected
            .iter()
            .filter_map(|row| {
                let extra: serde_json::Value = serde_json::from_str(&row.extra).ok()?;
                Some(extra.get("PURL")?.as_str()?.to_owned())
            })
            .collect()
    }
}

const TRIVY_PUB: &str = "pkg/dependency/parser/dart/pub";
const TRIVY_FANAL_PUB: &str = "pkg/fanal/analyzer/language/dart/pub";
const SCALIBR_PUB: &str = "extractor/filesystem/language/dart/pubspec";
const SYFT_DART: &str = "syft/pkg/cataloger/dart";

fn fixture(source: Source, dir: &'static str, path: &'static str) -> Fixture {
    Fixture { source, dir, path }
}

/// Drops the expected rows of SDK packages whose version a peer derived
/// from the `sdks` constraint, and returns them.
fn without_sdk_versions(expected: &mut Vec<ExpectedRow>, ours: &[Package]) -> Vec<ExpectedRow> {
    let sdk_names: BTreeSet<&str> = ours
        .iter()
        .filter(|p| p.version == "0.0.0")
        .map(|p| p.name.as_str())
        .collect();
    let (dropped, kept) = expected
        .drain(..)
        .partition(|row| sdk_names.contains(row.name.as_str()) && row.version != "0.0.0");
    *expected = kept;
    dropped
}

#[test]
fn pub_lock_trivy_happy() {
    let fixture = fixture(TRIVY_PARSER, TRIVY_PUB, "testdata/happy.lock");
    let ours = run(&PubLockAnalyzer, &fixture);
    let mut expected = expected(&fixture);
    // Trivy's second case reads the same file with its minimum-SDK option.
    let dropped = without_sdk_versions(&mut expected, &ours);
    assert_eq!(
        dropped.len(),
        1,
        "one SDK row from the option case: {dropped:?}"
    );
    assert_names(&ours, &expected, &[], fixture.path);
    assert!(assert_flags(&ours, &expected, fixture.path) > 0);
}

#[test]
fn pub_lock_trivy_analyzer_happy() {
    let lock = fixture(TRIVY_FANAL, TRIVY_FANAL_PUB, "testdata/happy/pubspec.lock");
    let ours = run(&PubLockAnalyzer, &lock);
    let expected = expected(&fixture(TRIVY_FANAL, TRIVY_FANAL_PUB, "testdata/happy"));
    assert_names(&ours, &expected, &[], lock.path);
    assert!(assert_flags(&ours, &expected, lock.path) > 0);
}

#[test]
fn pub_lock_scalibr_fixtures() {
    for path in [
        "testdata/mixed-packages.lock",
        "testdata/one-package.lock",
        "testdata/one-package-dev.lock",
        "testdata/two-packages.lock",
        "testdata/source-git.lock",
        "testdata/source-path.lock",
        "testdata/source-sdk.lock",
    ] {
        let fixture = fixture(SCALIBR, SCALIBR_PUB, path);
        assert_names(
            &run(&PubLockAnalyzer, &fixture),
            &expected(&fixture),
            &[],
            path,
        );
    }
}

#[test]
fn pub_lock_direct_dev_marks_dev() {
    let fixture = fixture(SCALIBR, SCALIBR_PUB, "testdata/one-package-dev.lock");
    let ours = run(&PubLockAnalyzer, &fixture);
    let text = String::from_utf8(fixture.data()).expect("UTF-8 fixture");
    assert!(text.contains("direct dev"), "fixture changed");
    assert_eq!(ours.len(), 1);
    assert_eq!(ours[0].dev, Some(true));
    assert_eq!(ours[0].direct, Some(true));
}

#[test]
fn pub_lock_syft_fixtures() {
    for path in [
        "testdata/pubspec_locks/pubspec.lock",
        "testdata/missing-sdk/pubspec.lock",
        "testdata/invalid-sdk/pubspec.lock",
    ] {
        let fixture = fixture(SYFT, SYFT_DART, path);
        let ours = run(&PubLockAnalyzer, &fixture);
        let mut expected = expected(&fixture);
        without_sdk_versions(&mut expected, &ours);
        // Syft drops SDK packages whose version it cannot derive.
        let sdk: Vec<(&str, &str)> = ours
            .iter()
            .filter(|p| p.version == "0.0.0")
            .map(|p| (p.name.as_str(), p.version.as_str()))
            .collect();
        assert_eq!(sdk, vec![("flutter", "0.0.0")], "{path}");
        assert_names(&ours, &expected, &sdk, path);
        // Syft names a non-default host with its own `hosted_url`
        // qualifier, where the purl specification has `repository_url`,
        // and encodes `:`, which the specification leaves as is. Purls are
        // compared without qualifiers, and `vcs_url` on its own.
        let base = |purl: &str| purl.split('?').next().unwrap_or(purl).to_owned();
        let vcs = |purl: &str| {
            purl.replace("%3A", ":")
                .split_once("vcs_url=")
                .map(|(_, v)| v.split('&').next().unwrap_or(v).to_owned())
        };
        let ours_runtime: Vec<&Package> = ours.iter().filter(|p| p.version != "0.0.0").collect();
        let want = expected_purls(&expected);
        let purls: BTreeSet<String> = ours_runtime.iter().map(|p| base(&p.purl)).collect();
        assert_eq!(purls, want.iter().map(|p| base(p)).collect(), "{path}");
        let vcs_ours: BTreeSet<String> = ours_runtime.iter().filter_map(|p| vcs(&p.purl)).collect();
        let vcs_want: BTreeSet<String> = want.iter().filter_map(|p| vcs(p)).collect();
        assert_eq!(vcs_ours, vcs_want, "{path}");
    }
}

#[test]
fn pub_lock_empty_gives_nothing() {
    for fixture in [
        fixture(TRIVY_PARSER, TRIVY_PUB, "testdata/empty.lock"),
        fixture(TRIVY_FANAL, TRIVY_FANAL_PUB, "testdata/empty/pubspec.lock"),
        fixture(SCALIBR, SCALIBR_PUB, "testdata/empty.lock"),
        fixture(SCALIBR, SCALIBR_PUB, "testdata/no-packages.lock"),
    ] {
        assert!(
            run(&PubLockAnalyzer, &fixture).is_empty(),
            "{}",
            fixture.path
        );
    }
}

#[test]
fn pub_lock_malformed_is_error() {
    assert_err(
        &PubLockAnalyzer,
        &fixture(TRIVY_PARSER, TRIVY_PUB, "testdata/broken.lock"),
    );
    assert_err(
        &PubLockAnalyzer,
        &fixture(TRIVY_FANAL, TRIVY_FANAL_PUB, "testdata/broken/pubspec.lock"),
    );
    assert_err(
        &PubLockAnalyzer,
        &fixture(SCALIBR, SCALIBR_PUB, "testdata/not-yaml.txt"),
    );
    assert_err(
        &PubLockAnalyzer,
        &fixture(SYFT, SYFT_DART, "testdata/corrupt/pubspec.lock"),
    );
}

#[test]
fn dart_wants_real_paths() {
    assert!(wants(&PubLockAnalyzer, "app/pubspec.lock"));
    assert!(!wants(&PubLockAnalyzer, "app/pubspec.yaml"));
}
