//! Elixir analyzer against the peers' fixtures: `mix.lock`, compared with
//! the packages the peers' own tests expect.

mod support;

use std::collections::BTreeSet;

use bulwark_inventory::Package;
use bulwark_inventory::analyzers::MixLockAnalyzer;

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

const TRIVY_MIX: &str = "pkg/dependency/parser/hex/mix";
const TRIVY_FANAL_MIX: &str = "pkg/fanal/analyzer/language/elixir/mix";
const SCALIBR_ELIXIR: &str = "extractor/filesystem/language/elixir/mixlock";
const SCALIBR_ERLANG: &str = "extractor/filesystem/language/erlang/mixlock";
const SYFT_ELIXIR: &str = "syft/pkg/cataloger/elixir";

fn fixture(source: Source, dir: &'static str, path: &'static str) -> Fixture {
    Fixture { source, dir, path }
}

/// Dependencies fetched with git, which have no release version.
fn git_deps(packages: &[Package]) -> Vec<(&str, &str)> {
    packages
        .iter()
        .filter(|p| p.version.is_empty())
        .map(|p| (p.name.as_str(), p.version.as_str()))
        .collect()
}

/// Trivy leaves out git dependencies; OSV-SCALIBR reports them without a
/// version, and so do we, so they are the exception here.
#[test]
fn mix_lock_trivy_happy() {
    let fixture = fixture(TRIVY_PARSER, TRIVY_MIX, "testdata/happy.mix.lock");
    let ours = run(&MixLockAnalyzer, &fixture);
    let git = git_deps(&ours);
    assert_eq!(git, vec![("esaml", "")]);
    assert_names(&ours, &expected(&fixture), &git, fixture.path);
}

#[test]
fn mix_lock_trivy_analyzer_happy() {
    let fixture = fixture(TRIVY_FANAL, TRIVY_FANAL_MIX, "testdata/happy.mix.lock");
    assert_names(
        &run(&MixLockAnalyzer, &fixture),
        &expected(&fixture),
        &[],
        fixture.path,
    );
}

#[test]
fn mix_lock_scalibr_fixtures() {
    for (dir, path) in [
        (SCALIBR_ELIXIR, "testdata/valid"),
        (SCALIBR_ERLANG, "testdata/one-package.lock"),
        (SCALIBR_ERLANG, "testdata/two-packages.lock"),
        (SCALIBR_ERLANG, "testdata/many.lock"),
        (SCALIBR_ERLANG, "testdata/git.lock"),
    ] {
        let fixture = fixture(SCALIBR, dir, path);
        assert_names(
            &run(&MixLockAnalyzer, &fixture),
            &expected(&fixture),
            &[],
            path,
        );
    }
}

#[test]
fn mix_lock_git_dependency_keeps_revision() {
    let fixture = fixture(SCALIBR, SCALIBR_ERLANG, "testdata/git.lock");
    let ours = run(&MixLockAnalyzer, &fixture);
    let text = String::from_utf8(fixture.data()).expect("UTF-8 fixture");
    assert!(!ours.is_empty());
    for package in &ours {
        let (_, vcs) = package
            .purl
            .split_once("vcs_url=")
            .expect("git purl has vcs_url");
        let revision = vcs.rsplit("%40").next().unwrap_or_default();
        assert_eq!(revision.len(), 40, "{}", package.purl);
        assert!(text.contains(revision), "{revision} not in the fixture");
    }
}

/// Syft takes the git revision as the version of a git dependency. We keep
/// the revision in the purl's `vcs_url` and leave the version empty, as
/// OSV-SCALIBR does, because a commit is no Hex version. Syft gives such
/// dependencies no purl.
#[test]
fn mix_lock_syft_purls() {
    let fixture = fixture(SYFT, SYFT_ELIXIR, "testdata/mix.lock");
    let ours = run(&MixLockAnalyzer, &fixture);
    let mut expected = expected(&fixture);
    let git: Vec<&Package> = ours
        .iter()
        .filter(|p| p.purl.contains("vcs_url="))
        .collect();
    assert_eq!(git.len(), 1, "the fixture has one git dependency");
    let revision = git[0].purl.rsplit("%40").next().unwrap_or_default();
    let before = expected.len();
    expected.retain(|row| !(row.name == git[0].name && row.version == revision));
    assert!(
        expected.len() < before,
        "Syft's row for the git dependency uses its revision"
    );

    assert_names(
        &ours,
        &expected,
        &[(git[0].name.as_str(), "")],
        fixture.path,
    );
    let purls: BTreeSet<String> = ours
        .iter()
        .filter(|p| !p.version.is_empty())
        .map(|p| p.purl.clone())
        .collect();
    let want: BTreeSet<String> = expected_purls(&expected)
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect();
    assert_eq!(purls, want);
}

/// Each `{:app, "requirement", [...]}` entry becomes an edge to the locked
/// package of that application.
#[test]
fn mix_lock_edges_name_locked_packages() {
    let fixture = fixture(SYFT, SYFT_ELIXIR, "testdata/mix.lock");
    let ours = run(&MixLockAnalyzer, &fixture);
    let locked: BTreeSet<String> = ours
        .iter()
        .map(|p| format!("{}@{}", p.name, p.version))
        .collect();
    let edges: Vec<&String> = ours.iter().flat_map(|p| &p.depends_on).collect();
    assert!(!edges.is_empty(), "cowboy depends on cowlib and ranch");
    // The fixture leaves some dependencies out of the lock (`ranch`); those
    // edges stay bare application names.
    let names: BTreeSet<&str> = ours.iter().map(|p| p.name.as_str()).collect();
    for edge in edges {
        match edge.split_once('@') {
            Some(_) => assert!(
                locked.contains(edge),
                "edge {edge} does not name a locked package"
            ),
            None => assert!(
                !names.contains(edge.as_str()),
                "edge {edge} lost the version of a locked package"
            ),
        }
    }
}

#[test]
fn mix_lock_empty_map_gives_nothing() {
    for fixture in [
        fixture(TRIVY_PARSER, TRIVY_MIX, "testdata/empty.mix.lock"),
        fixture(TRIVY_FANAL, TRIVY_FANAL_MIX, "testdata/empty.mix.lock"),
        fixture(SCALIBR, SCALIBR_ELIXIR, "testdata/empty"),
        fixture(SCALIBR, SCALIBR_ERLANG, "testdata/empty.lock"),
    ] {
        assert!(
            run(&MixLockAnalyzer, &fixture).is_empty(),
            "{}",
            fixture.path
        );
    }
}

/// OSV-SCALIBR skips the broken `"certifi": {:hex, }` entry and keeps
/// `bunt`. An entry that lost its name and version means the file is
/// damaged, so we report the file, naming the line.
#[test]
fn mix_lock_malformed_is_error() {
    let fixture = fixture(SCALIBR, SCALIBR_ELIXIR, "testdata/invalid");
    assert_err(&MixLockAnalyzer, &fixture);
    let error = bulwark_inventory::Analyzer::analyze(&MixLockAnalyzer, "mix.lock", &fixture.data())
        .expect_err("invalid entry");
    assert!(
        error.contains("line 3") && error.contains("certifi"),
        "{error}"
    );
}

/// A real lockfile cut short in the middle of an entry must fail.
#[test]
fn mix_lock_truncated_is_error() {
    let fixture = fixture(SYFT, SYFT_ELIXIR, "testdata/mix.lock");
    let data = fixture.data();
    for cut in [data.len() / 3, data.len() / 2, data.len() - 3] {
        let result =
            bulwark_inventory::Analyzer::analyze(&MixLockAnalyzer, "mix.lock", &data[..cut]);
        assert!(result.is_err(), "cut at byte {cut} was accepted");
    }
}

#[test]
fn elixir_wants_real_paths() {
    assert!(wants(&MixLockAnalyzer, "app/mix.lock"));
    assert!(!wants(&MixLockAnalyzer, "app/mix.exs"));
}
