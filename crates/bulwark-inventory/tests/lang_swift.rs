//! Swift analyzer against the peers' fixtures: `Package.resolved` in its
//! three formats, compared with the packages the peers' own tests expect.
//!
//! Package names: Trivy and OSV-SCALIBR name a Swift package by its
//! repository (`github.com/apple/swift-nio`), which is also how OSV and
//! GitHub advisories name Swift packages. Syft uses the last URL segment.
//! We follow the repository form and compare Syft's purls instead, which
//! agree with ours.

mod support;

use std::collections::BTreeSet;

use bulwark_inventory::analyzers::SwiftResolvedAnalyzer;

use crate::fixtures::{
    Fixture, SCALIBR, SYFT, Source, TRIVY_FANAL, TRIVY_PARSER, assert_err, assert_names, expected,
    expected_purls, run, wants,
};

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

const TRIVY_SWIFT: &str = "pkg/dependency/parser/swift/swift";
const TRIVY_FANAL_SWIFT: &str = "pkg/fanal/analyzer/language/swift/swift";
const SCALIBR_SWIFT: &str = "extractor/filesystem/language/swift/packageresolved";
const SYFT_SWIFT: &str = "syft/pkg/cataloger/swift";

fn fixture(source: Source, dir: &'static str, path: &'static str) -> Fixture {
    Fixture { source, dir, path }
}

#[test]
fn package_resolved_trivy_v1() {
    let fixture = fixture(
        TRIVY_PARSER,
        TRIVY_SWIFT,
        "testdata/happy-v1-Package.resolved",
    );
    assert_names(
        &run(&SwiftResolvedAnalyzer, &fixture),
        &expected(&fixture),
        &[],
        fixture.path,
    );
}

/// Trivy uses the branch name as the version of a pin that has no version
/// (`swift-ogg` is pinned to branch `0.0.1`). A branch moves, so it is not
/// a version; like Syft, we leave the version empty for such pins.
#[test]
fn package_resolved_trivy_v2() {
    let fixture = fixture(
        TRIVY_PARSER,
        TRIVY_SWIFT,
        "testdata/happy-v2-Package.resolved",
    );
    let ours = run(&SwiftResolvedAnalyzer, &fixture);
    let branch_pins: Vec<String> = ours
        .iter()
        .filter(|p| p.version.is_empty())
        .map(|p| p.name.clone())
        .collect();
    assert_eq!(branch_pins, vec!["github.com/element-hq/swift-ogg"]);
    let mut expected = expected(&fixture);
    expected.retain(|row| !branch_pins.contains(&row.name));
    assert_names(
        &ours,
        &expected,
        &[("github.com/element-hq/swift-ogg", "")],
        fixture.path,
    );
}

#[test]
fn package_resolved_trivy_analyzer_happy() {
    let fixture = fixture(
        TRIVY_FANAL,
        TRIVY_FANAL_SWIFT,
        "testdata/happy/Package.resolved",
    );
    assert_names(
        &run(&SwiftResolvedAnalyzer, &fixture),
        &expected(&fixture),
        &[],
        fixture.path,
    );
}

#[test]
fn package_resolved_scalibr_valid() {
    let fixture = fixture(SCALIBR, SCALIBR_SWIFT, "testdata/valid");
    assert_names(
        &run(&SwiftResolvedAnalyzer, &fixture),
        &expected(&fixture),
        &[],
        fixture.path,
    );
}

#[test]
fn package_resolved_syft_purls() {
    for path in ["testdata/Package.resolved", "testdata/PackageV3.resolved"] {
        let fixture = fixture(SYFT, SYFT_SWIFT, path);
        let ours = run(&SwiftResolvedAnalyzer, &fixture);
        let want = expected_purls(&expected(&fixture));
        assert!(!want.is_empty(), "{path}");
        let purls: BTreeSet<String> = ours.iter().map(|p| p.purl.clone()).collect();
        assert_eq!(purls, want, "{path}");
        // Syft's name is the last segment of ours.
        let syft_names: BTreeSet<String> =
            expected(&fixture).iter().map(|r| r.name.clone()).collect();
        let last: BTreeSet<String> = ours
            .iter()
            .map(|p| p.name.rsplit('/').next().unwrap_or_default().to_owned())
            .collect();
        assert_eq!(last, syft_names, "{path}");
    }
}

/// `{}` and a file with only a version hold no pins.
#[test]
fn package_resolved_without_pins_gives_nothing() {
    for fixture in [
        fixture(TRIVY_PARSER, TRIVY_SWIFT, "testdata/empty-Package.resolved"),
        fixture(
            TRIVY_FANAL,
            TRIVY_FANAL_SWIFT,
            "testdata/empty/Package.resolved",
        ),
        fixture(SYFT, SYFT_SWIFT, "testdata/empty-packages.resolved"),
        fixture(SYFT, SYFT_SWIFT, "testdata/bad-version-packages.resolved"),
    ] {
        assert!(
            run(&SwiftResolvedAnalyzer, &fixture).is_empty(),
            "{}",
            fixture.path
        );
    }
}

/// A zero-byte file is not JSON; SwiftPM cannot read it either.
#[test]
fn package_resolved_malformed_is_error() {
    assert_err(
        &SwiftResolvedAnalyzer,
        &fixture(SCALIBR, SCALIBR_SWIFT, "testdata/invalid"),
    );
    assert_err(
        &SwiftResolvedAnalyzer,
        &fixture(SCALIBR, SCALIBR_SWIFT, "testdata/empty"),
    );
}

#[test]
fn swift_wants_real_paths() {
    assert!(wants(&SwiftResolvedAnalyzer, "src/App/Package.resolved"));
    assert!(wants(
        &SwiftResolvedAnalyzer,
        "App.xcodeproj/project.xcworkspace/xcshareddata/swiftpm/Package.resolved"
    ));
    assert!(!wants(&SwiftResolvedAnalyzer, "src/App/Package.swift"));
}
