//! OSV ecosystem strings and the versions sent with them, as recorded by osv-scanner in
//! its osv.dev query cassettes (`EXPECTED-osv-api-querybatch-from-cassettes.tsv`).

use std::path::PathBuf;

use bulwark_version::{Ecosystem, OsvEcosystem, Scheme};

/// Rows of (ecosystem string, version) from the recorded osv.dev queries.
fn recorded_queries() -> Vec<(String, String)> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpus/scan/osv-scanner")
        .join("EXPECTED-osv-api-querybatch-from-cassettes.tsv");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or_default().split('\t').collect();
    let column = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .unwrap_or_else(|| panic!("column {name} missing from {}", path.display()))
    };
    let (ecosystem, version) = (column("ecosystem"), column("version_or_commit"));
    lines
        .map(|line| line.split('\t').collect::<Vec<_>>())
        .filter(|fields| !fields[ecosystem].is_empty())
        .map(|fields| (fields[ecosystem].to_owned(), fields[version].to_owned()))
        .collect()
}

#[test]
fn recorded_ecosystems_round_trip() {
    let rows = recorded_queries();
    assert!(!rows.is_empty());
    let mut parsed = 0;
    for (text, _) in &rows {
        let (name, release) = match text.split_once(':') {
            Some((name, release)) => (name, Some(release)),
            None => (text.as_str(), None),
        };
        // OSV's GIT ecosystem lists commits, not versions, so no scheme covers it.
        if name == "GIT" {
            assert!(text.parse::<OsvEcosystem>().is_err(), "{text} was accepted");
            continue;
        }
        let ecosystem: OsvEcosystem = text
            .parse()
            .unwrap_or_else(|error| panic!("{text}: {error}"));
        assert_eq!(ecosystem.to_string(), *text);
        assert_eq!(ecosystem.ecosystem().osv_name(), name);
        assert_eq!(ecosystem.release(), release);
        parsed += 1;
    }
    assert!(parsed > 0);
}

#[test]
fn recorded_versions_valid_under_their_scheme() {
    let mut checked = 0;
    for (text, version) in recorded_queries() {
        let Ok(ecosystem) = text.parse::<OsvEcosystem>() else {
            continue;
        };
        let scheme = Scheme::for_ecosystem(&ecosystem.ecosystem());
        // Go reports a binary's main module built from a work tree as "(devel)", which is
        // not a version.
        if scheme == Scheme::Go && version == "(devel)" {
            assert!(scheme.validate(&version).is_err());
            continue;
        }
        if let Err(error) = scheme.validate(&version) {
            panic!("{text} {version}: {error}");
        }
        if scheme == Scheme::Apk {
            let parsed = bulwark_version::apk::ApkVersion::parse(&version)
                .unwrap_or_else(|error| panic!("{error}"));
            assert!(parsed.is_valid(), "{text} {version} breaks apk's grammar");
        }
        checked += 1;
    }
    assert!(checked > 1000, "only {checked} versions checked");
}

#[test]
fn release_suffixes_kept() {
    for (text, ecosystem, release, scheme) in [
        ("Debian:12", Ecosystem::Debian, Some("12"), Scheme::Dpkg),
        (
            "Alpine:v3.19",
            Ecosystem::Alpine,
            Some("v3.19"),
            Scheme::Apk,
        ),
        ("AlmaLinux:9", Ecosystem::AlmaLinux, Some("9"), Scheme::Rpm),
        (
            "Ubuntu:22.04:LTS",
            Ecosystem::Ubuntu,
            Some("22.04:LTS"),
            Scheme::Dpkg,
        ),
        (
            "Rocky Linux:8",
            Ecosystem::RockyLinux,
            Some("8"),
            Scheme::Rpm,
        ),
        ("PyPI", Ecosystem::PyPi, None, Scheme::Pep440),
        ("crates.io", Ecosystem::CratesIo, None, Scheme::SemVer),
        ("Go", Ecosystem::Go, None, Scheme::Go),
    ] {
        let parsed: OsvEcosystem = text.parse().unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(parsed.ecosystem(), ecosystem, "{text}");
        assert_eq!(parsed.release(), release, "{text}");
        assert_eq!(ecosystem.scheme(), scheme, "{text}");
    }
}

#[test]
fn unknown_ecosystem_names_the_input() {
    let error = "Debain:12".parse::<OsvEcosystem>().unwrap_err();
    assert_eq!(error.name(), "Debain");
    assert!(error.to_string().contains("\"Debain\""), "{error}");
    // OSV names are case-sensitive.
    assert!("pypi".parse::<Ecosystem>().is_err());
}

#[test]
fn every_ecosystem_round_trips() {
    for ecosystem in Ecosystem::all() {
        assert_eq!(
            Ecosystem::from_osv_name(ecosystem.osv_name()),
            Some(ecosystem),
            "{ecosystem:?}"
        );
    }
}
