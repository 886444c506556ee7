//! Checks every ordering assertion in OSV-Scalibr's semantic test data.
//!
//! Each corpus line is `A < B`, `A = B` or `A > B`; lines starting with `#` or `//` are
//! notes. Every assertion is checked in both directions, and every failing line is reported
//! with its file and line number before the test fails.

use std::cmp::Ordering;
use std::path::PathBuf;

use bulwark_version::{Scheme, compare};

/// Directory of the corpus files: `<repo root>/../shared/corpus/...`.
fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpus/scan/osv-scalibr/semantic-testdata")
}

/// A corpus assertion that disagrees with the scheme's documented rules, with the reason.
struct Disagreement {
    line: &'static str,
    reason: &'static str,
}

fn describe(result: &Result<Ordering, bulwark_version::VersionError>) -> String {
    match result {
        Ok(Ordering::Less) => "<".to_owned(),
        Ok(Ordering::Equal) => "=".to_owned(),
        Ok(Ordering::Greater) => ">".to_owned(),
        Err(error) => format!("error: {error}"),
    }
}

/// Checks all assertions of `file` under `scheme` and returns how many were checked.
fn check_file(scheme: Scheme, file: &str, disagreements: &[Disagreement]) -> usize {
    let path = corpus_dir().join(file);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("cannot read corpus file {}: {error}", path.display()));
    let mut checked = 0;
    let mut failures = Vec::new();
    let mut disagreements_seen = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with("//") {
            continue;
        }
        let fields: Vec<&str> = trimmed.split_whitespace().collect();
        let [a, op, b] = fields[..] else {
            failures.push(format!("{file}:{number}: malformed line {line:?}"));
            continue;
        };
        let expected = match op {
            "<" => Ordering::Less,
            "=" => Ordering::Equal,
            ">" => Ordering::Greater,
            _ => {
                failures.push(format!("{file}:{number}: unknown operator in {line:?}"));
                continue;
            }
        };
        checked += 1;
        let forward = compare(scheme, a, b);
        let backward = compare(scheme, b, a);
        let passes = forward.as_ref().ok() == Some(&expected)
            && backward.as_ref().ok() == Some(&expected.reverse());
        if disagreements.iter().any(|known| known.line == trimmed) {
            disagreements_seen.push(trimmed.to_owned());
            assert!(
                !passes,
                "{file}:{number}: {trimmed:?} is listed as a known disagreement but passes; \
                 remove it from the list"
            );
            continue;
        }
        if !passes {
            failures.push(format!(
                "{file}:{number}: expected {a} {op} {b}, got {a} {} {b} and {b} {} {a}",
                describe(&forward),
                describe(&backward),
            ));
        }
    }
    for known in disagreements {
        assert!(
            disagreements_seen.iter().any(|seen| seen == known.line),
            "known disagreement {:?} ({}) is not in {file}",
            known.line,
            known.reason
        );
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} assertions failed under {scheme}:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(checked > 0, "{file} has no assertions");
    eprintln!(
        "{file} under {scheme}: {} assertions pass, {} known disagreements",
        checked - disagreements_seen.len(),
        disagreements_seen.len()
    );
    checked
}

/// Lines where this corpus follows apk-tools 3 and the comparator follows apk-tools 2.x.
///
/// apk-tools 2.x (`src/version.c`, v2.14, used by Alpine 3.0 to 3.22) reads a missing
/// number after `.` or `-r` as 0, which the same file relies on elsewhere (`1-r = 1-r0`,
/// `0..1..0 < 0..1..1`). apk-tools 3 instead marks the version invalid at that point, and an
/// invalid version sorts lower. The lines below only hold under the apk-tools 3 reading.
const ALPINE_DISAGREEMENTS: &[Disagreement] = &[
    Disagreement {
        line: "0.r1 < 0r2",
        reason: "apk-tools 2.x reads `0.r1` as `0.0r1`, which is newer than `0r2`",
    },
    Disagreement {
        line: "0.8.21.r2 < 0.8.21r2",
        reason: "apk-tools 2.x reads `0.8.21.r2` as `0.8.21.0r2`, newer than `0.8.21r2`",
    },
    Disagreement {
        line: "1 > 1-ruff",
        reason: "apk-tools 2.x reads `-r` as revision 0, so `1-ruff` has a revision and is \
                 newer than `1` before its invalid rest is reached",
    },
];

#[test]
fn alpine_versions() {
    check_file(Scheme::Apk, "alpine-versions.txt", ALPINE_DISAGREEMENTS);
}

#[test]
fn alpine_versions_generated() {
    check_file(Scheme::Apk, "alpine-versions-generated.txt", &[]);
}

#[test]
fn cran_versions() {
    check_file(Scheme::Cran, "cran-versions.txt", &[]);
}

#[test]
fn cran_versions_generated() {
    check_file(Scheme::Cran, "cran-versions-generated.txt", &[]);
}

#[test]
fn debian_versions() {
    check_file(Scheme::Dpkg, "debian-versions.txt", &[]);
}

#[test]
fn debian_versions_generated() {
    check_file(Scheme::Dpkg, "debian-versions-generated.txt", &[]);
}

#[test]
fn hackage_versions() {
    check_file(Scheme::Hackage, "hackage-versions.txt", &[]);
}

#[test]
fn maven_versions() {
    check_file(Scheme::Maven, "maven-versions.txt", &[]);
}

#[test]
fn maven_versions_generated() {
    check_file(Scheme::Maven, "maven-versions-generated.txt", &[]);
}

#[test]
fn nuget_versions() {
    check_file(Scheme::NuGet, "nuget-versions.txt", &[]);
}

#[test]
fn packagist_versions() {
    check_file(Scheme::Composer, "packagist-versions.txt", &[]);
}

#[test]
fn packagist_versions_generated() {
    check_file(Scheme::Composer, "packagist-versions-generated.txt", &[]);
}

#[test]
fn pub_versions() {
    check_file(Scheme::Pub, "pub-versions.txt", &[]);
}

#[test]
fn pypi_versions() {
    check_file(Scheme::Pep440, "pypi-versions.txt", &[]);
}

#[test]
fn pypi_versions_generated() {
    check_file(Scheme::Pep440, "pypi-versions-generated.txt", &[]);
}

#[test]
fn redhat_versions() {
    check_file(Scheme::Rpm, "redhat-versions.txt", &[]);
}

/// `Gem::Version` accepts only strings matching
/// `[0-9]+(\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?`, so letters must follow a
/// `.` or `-`; `Gem::Version.new("1beta")` raises "Malformed version number string".
const RUBYGEMS_DISAGREEMENTS: &[Disagreement] = &[
    Disagreement {
        line: "1 > 1beta",
        reason: "`1beta` is not a valid gem version",
    },
    Disagreement {
        line: "1 > 1gamma",
        reason: "`1gamma` is not a valid gem version",
    },
];

#[test]
fn rubygems_versions() {
    check_file(
        Scheme::RubyGems,
        "rubygems-versions.txt",
        RUBYGEMS_DISAGREEMENTS,
    );
}

#[test]
fn rubygems_versions_generated() {
    check_file(Scheme::RubyGems, "rubygems-versions-generated.txt", &[]);
}

/// OSV compares npm, crates.io, Go and Hex versions with this file.
#[test]
fn semver_versions() {
    check_file(Scheme::SemVer, "semver-versions.txt", &[]);
}

/// `golang.org/x/mod/semver` allows at most three numbers (`vMAJOR.MINOR.PATCH`), so
/// `1.1.3.4.5` is not a Go version; the corpus asserts OSV's generic SemVer reading.
const GO_DISAGREEMENTS: &[Disagreement] = &[Disagreement {
    line: "1.1.3.4.5 = 1.1.3.4.5",
    reason: "a Go version has at most three numbers",
}];

#[test]
fn semver_versions_as_go() {
    check_file(Scheme::Go, "semver-versions.txt", GO_DISAGREEMENTS);
}
