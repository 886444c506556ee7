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
mod fixtures;

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
