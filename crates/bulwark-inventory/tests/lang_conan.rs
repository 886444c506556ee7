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
mod fixtures;

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
