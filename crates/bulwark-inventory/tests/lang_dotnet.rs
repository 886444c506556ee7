//! .NET analyzers against the peers' fixtures: `packages.lock.json`,
//! `*.deps.json` and `packages.config`, compared with the packages the
//! peers' own tests expect.

mod support;

use std::collections::BTreeSet;

use bulwark_inventory::Package;
use bulwark_inventory::analyzers::{DotnetDepsAnalyzer, NugetConfigAnalyzer, NugetLockAnalyzer};

use crate::fixtures::{
    Fixture, SCALIBR, SYFT, Source, TRIVY_FANAL, TRIVY_PARSER, assert_err, assert_flags,
    assert_names, expected, expected_purls, run, wants,
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

const TRIVY_LOCK: &str = "pkg/dependency/parser/nuget/lock";
const TRIVY_CONFIG: &str = "pkg/dependency/parser/nuget/config";
const TRIVY_CORE_DEPS: &str = "pkg/dependency/parser/dotnet/core_deps";
const TRIVY_FANAL_NUGET: &str = "pkg/fanal/analyzer/language/dotnet/nuget";
const TRIVY_FANAL_DEPS: &str = "pkg/fanal/analyzer/language/dotnet/deps";
const SCALIBR_DEPS: &str = "extractor/filesystem/language/dotnet/depsjson";
const SCALIBR_CONFIG: &str = "extractor/filesystem/language/dotnet/packagesconfig";
const SCALIBR_LOCK: &str = "extractor/filesystem/language/dotnet/packageslockjson";
const SYFT_DOTNET: &str = "syft/pkg/cataloger/dotnet";

fn fixture(source: Source, dir: &'static str, path: &'static str) -> Fixture {
    Fixture { source, dir, path }
}

fn check(analyzer: &dyn bulwark_inventory::Analyzer, fixture: &Fixture) -> (Vec<Package>, usize) {
    let ours = run(analyzer, fixture);
    let expected = expected(fixture);
    assert_names(&ours, &expected, &[], fixture.path);
    let flags = assert_flags(&ours, &expected, fixture.path);
    (ours, flags)
}

#[test]
fn nuget_lock_trivy_fixtures() {
    let mut flags = 0;
    for path in [
        "testdata/packages_lock_simple.json",
        "testdata/packages_lock_subdependencies.json",
        "testdata/packages_lock_multi.json",
        "testdata/packages_lock_legacy.json",
    ] {
        flags += check(&NugetLockAnalyzer, &fixture(TRIVY_PARSER, TRIVY_LOCK, path)).1;
    }
    assert!(flags > 0, "Trivy states direct and indirect packages here");
}

/// Trivy's analyzer test lists the packages of `lock/packages.lock.json`.
#[test]
fn nuget_lock_trivy_analyzer_fixture() {
    let lock = fixture(
        TRIVY_FANAL,
        TRIVY_FANAL_NUGET,
        "testdata/lock/packages.lock.json",
    );
    let ours = run(&NugetLockAnalyzer, &lock);
    let expected = expected(&fixture(TRIVY_FANAL, TRIVY_FANAL_NUGET, "testdata/lock"));
    assert_names(&ours, &expected, &[], lock.path);
}

#[test]
fn nuget_lock_scalibr_valid() {
    check(
        &NugetLockAnalyzer,
        &fixture(SCALIBR, SCALIBR_LOCK, "testdata/valid/packages.lock.json"),
    );
}

#[test]
fn nuget_lock_syft_types_and_purls() {
    let fixture = fixture(SYFT, SYFT_DOTNET, "testdata/packages.lock.json");
    let (ours, flags) = check(&NugetLockAnalyzer, &fixture);
    assert!(flags > 0, "Syft states Direct and Transitive types here");
    let purls: BTreeSet<String> = ours.iter().map(|p| p.purl.clone()).collect();
    assert_eq!(purls, expected_purls(&expected(&fixture)));
}

/// Edges name the version resolved for the same target framework.
#[test]
fn nuget_lock_edges_name_locked_packages() {
    let fixture = fixture(
        TRIVY_PARSER,
        TRIVY_LOCK,
        "testdata/packages_lock_subdependencies.json",
    );
    let ours = run(&NugetLockAnalyzer, &fixture);
    let locked: BTreeSet<String> = ours
        .iter()
        .map(|p| format!("{}@{}", p.name, p.version))
        .collect();
    let edges: Vec<&String> = ours.iter().flat_map(|p| &p.depends_on).collect();
    assert!(!edges.is_empty(), "Swashbuckle has dependencies");
    for edge in edges {
        assert!(
            locked.contains(edge),
            "edge {edge} does not name a locked package"
        );
    }
}

#[test]
fn nuget_lock_without_dependencies_gives_nothing() {
    let fixture = fixture(
        TRIVY_FANAL,
        TRIVY_FANAL_NUGET,
        "testdata/lock-without-deps/packages.lock.json",
    );
    assert!(run(&NugetLockAnalyzer, &fixture).is_empty());
}

#[test]
fn nuget_lock_malformed_is_error() {
    assert_err(
        &NugetLockAnalyzer,
        &fixture(SCALIBR, SCALIBR_LOCK, "testdata/invalid/invalid"),
    );
    assert_err(
        &NugetLockAnalyzer,
        &fixture(TRIVY_FANAL, TRIVY_FANAL_NUGET, "testdata/sad/invalid.txt"),
    );
}

#[test]
fn deps_json_trivy_fixtures() {
    let mut flags = 0;
    for path in [
        "testdata/happy.deps.json",
        "testdata/without-runtime.deps.json",
        "testdata/missing-target.deps.json",
        "testdata/self-contained.deps.json",
        "testdata/multi-project.deps.json",
        "testdata/ambiguous-root.deps.json",
    ] {
        flags += check(
            &DotnetDepsAnalyzer,
            &fixture(TRIVY_PARSER, TRIVY_CORE_DEPS, path),
        )
        .1;
    }
    assert!(flags > 0, "Trivy states direct and indirect packages here");
}

#[test]
fn deps_json_trivy_analyzer_fixture() {
    check(
        &DotnetDepsAnalyzer,
        &fixture(
            TRIVY_FANAL,
            TRIVY_FANAL_DEPS,
            "testdata/datacollector.deps.json",
        ),
    );
}

#[test]
fn deps_json_scalibr_fixtures() {
    for path in ["testdata/valid", "testdata/nopackagename"] {
        check(&DotnetDepsAnalyzer, &fixture(SCALIBR, SCALIBR_DEPS, path));
    }
}

#[test]
fn deps_json_without_libraries_gives_nothing() {
    let fixture = fixture(
        TRIVY_PARSER,
        TRIVY_CORE_DEPS,
        "testdata/no-libraries.deps.json",
    );
    assert!(run(&DotnetDepsAnalyzer, &fixture).is_empty());
}

/// OSV-SCALIBR rejects `{}`; Trivy accepts a file with `targets` but no
/// `libraries`. Both hold: a file with neither is not a deps.json.
#[test]
fn deps_json_malformed_is_error() {
    assert_err(
        &DotnetDepsAnalyzer,
        &fixture(TRIVY_PARSER, TRIVY_CORE_DEPS, "testdata/invalid.deps.json"),
    );
    assert_err(
        &DotnetDepsAnalyzer,
        &fixture(TRIVY_FANAL, TRIVY_FANAL_DEPS, "testdata/invalid.txt"),
    );
    assert_err(
        &DotnetDepsAnalyzer,
        &fixture(SCALIBR, SCALIBR_DEPS, "testdata/empty"),
    );
    assert_err(
        &DotnetDepsAnalyzer,
        &fixture(SCALIBR, SCALIBR_DEPS, "testdata/invalid"),
    );
}

/// Trivy drops packages marked `developmentDependency="true"`; we keep them
/// marked as dev, so only our runtime packages are compared with Trivy.
#[test]
fn packages_config_trivy_fixtures() {
    let mut dev_seen = 0;
    for path in ["testdata/packages.config", "testdata/dev_dependency.config"] {
        let fixture = fixture(TRIVY_PARSER, TRIVY_CONFIG, path);
        let (dev, runtime): (Vec<Package>, Vec<Package>) = run(&NugetConfigAnalyzer, &fixture)
            .into_iter()
            .partition(|p| p.dev == Some(true));
        dev_seen += dev.len();
        assert_names(&runtime, &expected(&fixture), &[], path);
    }
    assert!(
        dev_seen > 0,
        "dev_dependency.config has a development package"
    );
}

#[test]
fn packages_config_trivy_analyzer_fixture() {
    let config = fixture(
        TRIVY_FANAL,
        TRIVY_FANAL_NUGET,
        "testdata/config/packages.config",
    );
    let ours = run(&NugetConfigAnalyzer, &config);
    assert_names(
        &ours,
        &expected(&fixture(TRIVY_FANAL, TRIVY_FANAL_NUGET, "testdata/config")),
        &[],
        config.path,
    );
}

/// OSV-SCALIBR skips `<package>` elements without a version or id and keeps
/// the rest of the file; so do we.
#[test]
fn packages_config_scalibr_fixtures() {
    for path in ["testdata/valid", "testdata/noversion", "testdata/nopackage"] {
        check(
            &NugetConfigAnalyzer,
            &fixture(SCALIBR, SCALIBR_CONFIG, path),
        );
    }
}

#[test]
fn packages_config_malformed_is_error() {
    assert_err(
        &NugetConfigAnalyzer,
        &fixture(TRIVY_PARSER, TRIVY_CONFIG, "testdata/malformed_xml.config"),
    );
    assert_err(
        &NugetConfigAnalyzer,
        &fixture(SCALIBR, SCALIBR_CONFIG, "testdata/invalid"),
    );
}

#[test]
fn dotnet_wants_real_paths() {
    assert!(wants(&NugetLockAnalyzer, "src/App/packages.lock.json"));
    assert!(!wants(&NugetLockAnalyzer, "src/App/package-lock.json"));
    assert!(wants(&DotnetDepsAnalyzer, "app/MyApp.deps.json"));
    assert!(!wants(&DotnetDepsAnalyzer, "app/MyApp.runtimeconfig.json"));
    assert!(wants(&NugetConfigAnalyzer, "src/Web/packages.config"));
    assert!(!wants(&NugetConfigAnalyzer, "src/Web/nuget.config"));
}
