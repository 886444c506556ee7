//! Red Hat OVAL against vuln-list-update's golden files: each golden file is
//! one definition of the same OVAL input, parsed by vuln-list-update. The
//! test derives the expected packages, fixed versions and statuses from
//! the golden criteria comments and compares them with our conversion.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use bulwark_osv::Status;
use bulwark_vulndb::feeds::redhat_oval::RedHatOval;
use common::{convert, fixed_of, members};
use serde_json::Value;

const ARCHIVE: &str = "vuln-list-update/testdata.tar.gz";

/// (package, fixed version, status) triples of one advisory.
type Expected = BTreeSet<(String, Option<String>, Status)>;

/// Walks vuln-list-update's `Criteria` tree and collects the package
/// criteria by their comments.
fn expected_from_criteria(criteria: &Value, unaffected: bool, out: &mut Expected) {
    for criterion in criteria["Criterions"].as_array().into_iter().flatten() {
        let comment = criterion["Comment"].as_str().unwrap();
        let status = if unaffected {
            Status::NotAffected
        } else {
            Status::Affected
        };
        if let Some((package, version)) = comment.split_once(" is earlier than ") {
            let fixed = (!unaffected).then(|| version.trim_start_matches("0:").to_owned());
            out.insert((package.to_owned(), fixed, status));
        } else if let Some(package) = comment.strip_suffix(" is installed")
            && !package.starts_with("Red Hat Enterprise Linux")
        {
            out.insert((package.to_owned(), None, status));
        }
    }
    for nested in criteria["Criterias"].as_array().into_iter().flatten() {
        expected_from_criteria(nested, unaffected, out);
    }
}

#[test]
fn redhat_oval_matches_vuln_list_update_golden() {
    let inputs = members(
        ARCHIVE,
        &["redhat/oval/testdata/happy/RHEL", ".oval.xml.bz2"],
    );
    let goldens = members(ARCHIVE, &["redhat/oval/testdata/golden/", "/definitions/"]);
    assert_eq!(inputs.len(), 3);
    assert!(goldens.len() >= 15, "{}", goldens.len());
    let converter = RedHatOval;
    let mut compared = 0;
    for (input_path, data) in &inputs {
        // ".../happy/RHEL8/ansible-2-including-unpatched.oval.xml.bz2"
        let release = input_path
            .split("/RHEL")
            .nth(1)
            .unwrap()
            .split('/')
            .next()
            .unwrap();
        let stem = input_path
            .rsplit('/')
            .next()
            .unwrap()
            .trim_end_matches(".oval.xml.bz2");
        let converted = convert(&converter, Path::new(input_path), data).unwrap();
        assert!(
            converted.errors.is_empty(),
            "{input_path}: {:?}",
            converted.errors
        );
        let prefix = format!("golden/{release}/{stem}/definitions/");
        let mine: Vec<_> = goldens
            .iter()
            .filter(|(path, _)| path.contains(&prefix))
            .collect();
        assert!(!mine.is_empty(), "{prefix}");
        for (golden_path, golden) in mine {
            let golden: Value = serde_json::from_slice(golden).unwrap();
            let unaffected = golden_path.ends_with(".unaffected.json");
            let title = golden["Metadata"]["Title"].as_str().unwrap();
            let title = title
                .strip_prefix("Unaffected components for: ")
                .unwrap_or(title);
            let first = title
                .split_whitespace()
                .next()
                .unwrap()
                .trim_end_matches(':');
            let id = if first.starts_with("CVE-") {
                format!("REDHAT-{first}")
            } else {
                first.to_owned()
            };
            let mut expected = Expected::new();
            expected_from_criteria(&golden["Criteria"], unaffected, &mut expected);
            let advisory = converted
                .advisories
                .iter()
                .find(|a| {
                    a.id == id && a.summary.as_deref() == golden["Metadata"]["Title"].as_str()
                })
                .unwrap_or_else(|| panic!("{golden_path}: no advisory {id}"));
            let mut actual = Expected::new();
            for entry in &advisory.affected {
                let package = entry.package.as_ref().unwrap();
                assert_eq!(
                    package.ecosystem,
                    format!("Red Hat:{release}"),
                    "{golden_path}"
                );
                let status = entry.status().unwrap();
                // "Will not fix" and other resolutions refine "affected".
                let status = match status {
                    Status::WillNotFix | Status::FixDeferred | Status::UnderInvestigation => {
                        Status::Affected
                    }
                    other => other,
                };
                actual.insert((
                    package.name.clone(),
                    fixed_of(entry).map(str::to_owned),
                    status,
                ));
            }
            assert_eq!(actual, expected, "{golden_path}");
            compared += 1;
        }
    }
    assert!(compared >= 15, "{compared}");
}

#[test]
fn redhat_oval_unaffected_wins_over_resolution() {
    // RHEL 7's "Unaffected components for: CVE-2020-0605" carries a "Will
    // not fix" resolution for rh-dotnet31; the definition's own claim, not
    // affected, is what the converter keeps.
    let inputs = members(
        ARCHIVE,
        &["redhat/oval/testdata/happy/RHEL7/", ".oval.xml.bz2"],
    );
    let (path, data) = &inputs[0];
    let converted = convert(&RedHatOval, Path::new(path), data).unwrap();
    let unaffected = converted
        .advisories
        .iter()
        .find(|a| {
            a.id == "REDHAT-CVE-2020-0605"
                && a.summary
                    .as_deref()
                    .is_some_and(|s| s.starts_with("Unaffected"))
        })
        .expect("unaffected CVE-2020-0605");
    let entry = &unaffected.affected[0];
    assert_eq!(entry.package.as_ref().unwrap().name, "rh-dotnet31");
    assert_eq!(entry.status(), Some(Status::NotAffected));
    assert!(entry.ranges.is_empty());
}

#[test]
fn redhat_oval_broken_inputs_fail_cleanly() {
    for case in ["invalid-bzip2", "broken-xml"] {
        let inputs = members(
            ARCHIVE,
            &[&format!("redhat/oval/testdata/{case}/"), ".oval.xml.bz2"],
        );
        assert_eq!(inputs.len(), 1, "{case}");
        let (path, data) = &inputs[0];
        let error = convert(&RedHatOval, Path::new(path), data)
            .err()
            .unwrap_or_else(|| panic!("{case} must fail"));
        assert!(error.reason.contains(path.as_str()), "{case}: {error}");
    }
}
