//! The Debian tracker JSON against vunnel's normalized records: for each
//! snapshot `debian:<N>/cve-*.json`, the packages and fixed versions must
//! match our entries for `Debian:<N>`.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use bulwark_osv::Status;
use bulwark_vulndb::feeds::debian_tracker::DebianTracker;
use common::{convert, fixed_of, members};
use serde_json::Value;

#[test]
fn debian_tracker_matches_vunnel_snapshots() {
    let root = "providers/debian/test-fixtures/";
    let archive = "anchore-vunnel-fixtures/test-fixtures.tar.gz";
    let input = members(archive, &[root, "input/debian.json"]);
    let snapshots = members(archive, &[root, "snapshots/debian:"]);
    assert_eq!(input.len(), 1);
    let converted = convert(&DebianTracker, Path::new(&input[0].0), &input[0].1).unwrap();
    assert!(converted.errors.is_empty(), "{:?}", converted.errors);

    let mut compared = 0;
    for (path, data) in &snapshots {
        let release = path
            .split("snapshots/debian:")
            .nth(1)
            .unwrap()
            .split('/')
            .next()
            .unwrap();
        // OSV's Debian ecosystem has no unnumbered releases.
        if release == "unstable" {
            continue;
        }
        let snapshot: Value = serde_json::from_slice(data).unwrap();
        let vulnerability = &snapshot["item"]["Vulnerability"];
        let cve = vulnerability["Name"].as_str().unwrap();
        // vunnel also builds records from its DSA list and legacy inputs,
        // which this converter does not read.
        if !converted
            .advisories
            .iter()
            .any(|a| a.aliases.iter().any(|alias| alias == cve))
        {
            continue;
        }
        let mut expected = BTreeSet::new();
        for fixed_in in vulnerability["FixedIn"].as_array().unwrap() {
            let name = fixed_in["Name"].as_str().unwrap().to_owned();
            // vunnel writes "0" for not affected and "None" for no fix.
            let entry = match fixed_in["Version"].as_str().unwrap() {
                "0" => (name, None, Status::NotAffected),
                "None" => (name, None, Status::Affected),
                version => (name, Some(version.to_owned()), Status::Affected),
            };
            expected.insert(entry);
        }
        let ecosystem = format!("Debian:{release}");
        let actual: BTreeSet<_> = converted
            .advisories
            .iter()
            .filter(|a| a.aliases.iter().any(|alias| alias == cve))
            .flat_map(|a| &a.affected)
            .filter(|a| a.package.as_ref().unwrap().ecosystem == ecosystem)
            .map(|a| {
                let status = match a.status().unwrap() {
                    Status::WillNotFix | Status::FixDeferred => Status::Affected,
                    other => other,
                };
                (
                    a.package.as_ref().unwrap().name.clone(),
                    fixed_of(a).map(str::to_owned),
                    status,
                )
            })
            .collect();
        assert_eq!(actual, expected, "{path}");
        compared += 1;
    }
    assert!(compared >= 15, "{compared}");
}

#[test]
fn debian_tracker_bad_release_is_reported() {
    let data = br#"{"pkg": {"CVE-2020-1": {"releases": {"bookworm": {"status": "weird"}}},
                            "CVE-2020-2": {"releases": {"bookworm": {"status": "resolved", "fixed_version": "1.0-1"}}}}}"#;
    let converted = convert(&DebianTracker, Path::new("debian.json"), data).unwrap();
    assert_eq!(converted.advisories.len(), 1);
    assert_eq!(converted.errors.len(), 1);
    assert_eq!(converted.errors[0].record, "pkg CVE-2020-1");
    assert!(
        converted.errors[0].reason.contains("unknown status"),
        "{}",
        converted.errors[0]
    );
    let error = convert(&DebianTracker, Path::new("debian.json"), b"{\"pkg\": ")
        .err()
        .unwrap();
    assert!(error.reason.contains("debian.json"), "{error}");
}
