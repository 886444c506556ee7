//! Conan analyzer against the peers' fixtures: `conan.lock` in the Conan 1
//! graph formats (0.0 to 0.4) and the Conan 2 list format (0.5), compared
//! with the packages the peers' own tests expect.

mod support;

use bulwark_inventory::Package;
use bulwark_inventory::analyzers::ConanLockAnalyzer;

use crate::fixtures::{
    Fixture, SCALIBR, SYFT, Source, TRIVY_FANAL, TRIVY_PARSER, assert_err, assert_flags,
    assert_names, expected, run, wants,
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

const TRIVY_CONAN: &str = "pkg/dependency/parser/c/conan";
const TRIVY_FANAL_CONAN: &str = "pkg/fanal/analyzer/language/c/conan";
const SCALIBR_CONAN: &str = "extractor/filesystem/language/cpp/conanlock";
const SYFT_CPP: &str = "syft/pkg/cataloger/cpp";

fn fixture(source: Source, dir: &'static str, path: &'static str) -> Fixture {
    Fixture { source, dir, path }
}

/// Packages we mark as build tools, which Trivy leaves out of Conan 2 locks.
fn build_tools(packages: &[Package]) -> Vec<(&str, &str)> {
    packages
        .iter()
        .filter(|p| p.dev == Some(true))
        .map(|p| (p.name.as_str(), p.version.as_str()))
        .collect()
}

#[test]
fn conan_lock_trivy_v1() {
    let mut flags = 0;
    for path in [
        "testdata/happy_v1_case1.lock",
        "testdata/happy_v1_case2.lock",
    ] {
        let fixture = fixture(TRIVY_PARSER, TRIVY_CONAN, path);
        let ours = run(&ConanLockAnalyzer, &fixture);
        let expected = expected(&fixture);
        assert_names(&ours, &expected, &[], path);
        flags += assert_flags(&ours, &expected, path);
    }
    assert!(flags > 0, "Trivy states direct and indirect packages here");
}

/// Trivy reads only `requires` of a Conan 2 lock. `build_requires` and
/// `python_requires` are packages of the lock too (OSV-SCALIBR reports
/// them); we report them marked as dev.
#[test]
fn conan_lock_trivy_v2() {
    let fixture = fixture(TRIVY_PARSER, TRIVY_CONAN, "testdata/happy_v2.lock");
    let ours = run(&ConanLockAnalyzer, &fixture);
    let tools = build_tools(&ours);
    assert_eq!(
        tools.len(),
        2,
        "the fixture has two build requirements: {tools:?}"
    );
    assert_names(&ours, &expected(&fixture), &tools, fixture.path);
}

#[test]
fn conan_lock_trivy_analyzer_happy() {
    let lock = fixture(TRIVY_FANAL, TRIVY_FANAL_CONAN, "testdata/happy/conan.lock");
    let ours = run(&ConanLockAnalyzer, &lock);
    let expected = expected(&fixture(TRIVY_FANAL, TRIVY_FANAL_CONAN, "testdata/happy"));
    assert_names(&ours, &expected, &[], lock.path);
    assert!(assert_flags(&ours, &expected, lock.path) > 0);
}

/// Trivy's fixture names its Conan 2 lock `release.lock`; the analyzer is
/// called on it directly, since `wants` looks for `conan.lock` only.
#[test]
fn conan_lock_trivy_analyzer_v2() {
    let lock = fixture(
        TRIVY_FANAL,
        TRIVY_FANAL_CONAN,
        "testdata/happy_v2/release.lock",
    );
    let ours = run(&ConanLockAnalyzer, &lock);
    let expected = expected(&fixture(
        TRIVY_FANAL,
        TRIVY_FANAL_CONAN,
        "testdata/happy_v2",
    ));
    assert_names(&ours, &expected, &build_tools(&ours), lock.path);
}

#[test]
fn conan_lock_scalibr_fixtures() {
    for path in [
        "testdata/one-package.v1.json",
        "testdata/two-packages.v1.json",
        "testdata/nested-dependencies.v1.json",
        "testdata/one-package-dev.v1.json",
        "testdata/old-format-0.0.json",
        "testdata/old-format-0.1.json",
        "testdata/old-format-0.2.json",
        "testdata/old-format-0.3.json",
        "testdata/one-package.v1.revisions.json",
        "testdata/two-packages.v1.revisions.json",
        "testdata/nested-dependencies.v1.revisions.json",
        "testdata/one-package-dev.v1.revisions.json",
        "testdata/one-package.v2.json",
        "testdata/two-packages.v2.json",
        "testdata/nested-dependencies.v2.json",
        "testdata/one-package-dev.v2.json",
    ] {
        let fixture = fixture(SCALIBR, SCALIBR_CONAN, path);
        assert_names(
            &run(&ConanLockAnalyzer, &fixture),
            &expected(&fixture),
            &[],
            path,
        );
    }
}

/// A package reached only through `build_requires` is a build tool.
#[test]
fn conan_lock_build_requirement_is_dev() {
    for path in [
        "testdata/one-package-dev.v1.json",
        "testdata/one-package-dev.v2.json",
    ] {
        let ours = run(&ConanLockAnalyzer, &fixture(SCALIBR, SCALIBR_CONAN, path));
        assert_eq!(ours.len(), 1, "{path}");
        assert_eq!(ours[0].dev, Some(true), "{path}");
    }
    let ours = run(
        &ConanLockAnalyzer,
        &fixture(SCALIBR, SCALIBR_CONAN, "testdata/one-package.v1.json"),
    );
    assert_eq!(ours[0].dev, Some(false));
}

/// Graph edges name the packages of the same lock.
#[test]
fn conan_lock_edges_name_locked_packages() {
    let ours = run(
        &ConanLockAnalyzer,
        &fixture(
            SCALIBR,
            SCALIBR_CONAN,
            "testdata/nested-dependencies.v1.json",
        ),
    );
    let locked: std::collections::BTreeSet<String> = ours
        .iter()
        .map(|p| format!("{}@{}", p.name, p.version))
        .collect();
    let edges: Vec<&String> = ours.iter().flat_map(|p| &p.depends_on).collect();
    assert!(!edges.is_empty(), "freetype requires other packages");
    for edge in edges {
        assert!(
            locked.contains(edge),
            "edge {edge} does not name a locked package"
        );
    }
}

/// Syft puts the Conan user in the purl namespace. The purl specification
/// keeps the namespace for the vendor and has `user` and `channel`
/// qualifiers, which we follow. Names and versions agree.
#[test]
fn conan_lock_syft_fixtures() {
    for path in ["testdata/conan.lock", "testdata/conanlock-v2/conan.lock"] {
        let fixture = fixture(SYFT, SYFT_CPP, path);
        let ours = run(&ConanLockAnalyzer, &fixture);
        assert_names(&ours, &expected(&fixture), &build_tools(&ours), path);
    }
    let ours = run(
        &ConanLockAnalyzer,
        &fixture(SYFT, SYFT_CPP, "testdata/conan.lock"),
    );
    let mfast = ours
        .iter()
        .find(|p| p.name == "mfast")
        .expect("mfast is locked");
    assert!(mfast.purl.contains("user=my_user"), "{}", mfast.purl);
    assert!(mfast.purl.contains("channel=my_channel"), "{}", mfast.purl);
}

#[test]
fn conan_lock_empty_gives_nothing() {
    for fixture in [
        fixture(TRIVY_PARSER, TRIVY_CONAN, "testdata/empty_v1.lock"),
        fixture(TRIVY_FANAL, TRIVY_FANAL_CONAN, "testdata/empty/conan.lock"),
        fixture(SCALIBR, SCALIBR_CONAN, "testdata/empty.v1.json"),
        fixture(SCALIBR, SCALIBR_CONAN, "testdata/empty.v1.revisions.json"),
        fixture(SCALIBR, SCALIBR_CONAN, "testdata/empty.v2.json"),
    ] {
        assert!(
            run(&ConanLockAnalyzer, &fixture).is_empty(),
            "{}",
            fixture.path
        );
    }
}

/// OSV-SCALIBR skips a reference without a name (`1.2.3#…`) and keeps the
/// rest; Trivy rejects the file for `wrong/ref/format`. Conan writes every
/// reference as `name/version`, so both mean a damaged lock, and we reject
/// the file in both cases.
#[test]
fn conan_lock_malformed_is_error() {
    assert_err(
        &ConanLockAnalyzer,
        &fixture(TRIVY_PARSER, TRIVY_CONAN, "testdata/sad_v1.lock"),
    );
    for path in [
        "testdata/no-name.v1.json",
        "testdata/no-name.v1.revisions.json",
        "testdata/no-name.v2.json",
        "testdata/not-json.txt",
        "testdata/null.v2.jsontest",
    ] {
        assert_err(&ConanLockAnalyzer, &fixture(SCALIBR, SCALIBR_CONAN, path));
    }
    assert_err(
        &ConanLockAnalyzer,
        &fixture(SYFT, SYFT_CPP, "testdata/corrupt/conan.lock"),
    );
}

#[test]
fn conan_wants_real_paths() {
    assert!(wants(&ConanLockAnalyzer, "src/conan.lock"));
    assert!(!wants(&ConanLockAnalyzer, "src/conanfile.txt"));
}
