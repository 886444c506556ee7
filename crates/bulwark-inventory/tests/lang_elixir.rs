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
mod fixtures;

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
