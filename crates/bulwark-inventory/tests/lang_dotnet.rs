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
mod fixtures;

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
