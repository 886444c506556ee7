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
mod fixtures;

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
