//! trivy-db's test inputs for the distribution feeds we convert natively,
//! compared with our conversion where the input is in a format we read.
//!
//! trivy-db's `testdata/fixtures/*.yaml` files are the database buckets its
//! tests load before they run, not the results they expect. The expected
//! results are in trivy-db's Go test files, which the corpus does not hold.
//! So each comparison below takes its expected side from the input itself
//! (vuln-list's parsed DSA and DLA annotations, the remediations of the
//! CSAF VEX files) and checks our records against it.
//!
//! Compared:
//! - `debian/…/tracker/{DSA,DLA}/*.json`: vuln-list's parse of one DSA or
//!   DLA list record, with each source line kept in `Original`. The lines
//!   are joined back into list text for [`DebianDsa`], and the advisory must
//!   carry every `xref` CVE, `package` line and `NOTE` that vuln-list read.
//!   The release numbers come from the fixture's own `distributions.json`.
//! - `redhat-csaf/…/csaf-vex/*.json`: Red Hat CSAF VEX, read by
//!   [`RedHatCsaf`].
//!
//! Where trivy-db's CSAF reader and ours disagree, ours follows Red Hat's
//! CSAF/VEX guide (security-data-guidelines, `csaf-vex.md`):
//! - "Out of support scope" under `no_fix_planned`: trivy-db stores
//!   end-of-life, we store will not fix, because the guide lists both
//!   "Will not fix" and "Out of support scope" as `no_fix_planned`, the
//!   products "that will not be fixed by Red Hat".
//! - Source RPMs: trivy-db always drops them. We keep one when the
//!   vulnerability names no binary RPM of the same platform and version,
//!   because the guide says binary expansion is incomplete (end-of-life
//!   products, older files) and the source RPM is then the only record.
//! - A `vendor_fix` product without a version (CVE-2025-33333's flatpak
//!   module): trivy-db stores "fixed" with an empty version. We report the
//!   vulnerability as an error, because the guide places fixed components
//!   under an architecture with their version, and a fix without a version
//!   cannot be compared.
//! - Ids: trivy-db files fixed entries under the RHSA of the remediation
//!   URL and unfixed ones under the CVE. We keep one record per VEX file,
//!   `REDHAT-<CVE>`, with the RHSA URL among its references.
//! - A file without vulnerabilities: trivy-db fails ("invalid number of
//!   vulnerabilities"); we convert nothing, since there is nothing to
//!   convert. An empty `cve` is an error in both.
//!
//! Not compared, with the reason:
//! - `alpine`: vuln-list's one-package secdb files; compared with trivy-db's
//!   expectations in `db_alpine.rs`.
//! - `debian/…/tracker/CVE/*.json` and `source/`: vuln-list's parse of the
//!   tracker's `data/CVE/list` text and of `Sources` indexes, neither of
//!   which we convert (we read the tracker's JSON export instead).
//! - `redhat-oval`: OVAL split by vuln-list into per-definition JSON files
//!   plus JSON test, object and state tables; we read OVAL XML.
//! - `rocky`: vuln-list's per-RLSA JSON built from Rocky's updateinfo; we
//!   read Rocky's OVAL.
//! - `ubuntu`: vuln-list's JSON of ubuntu-cve-tracker files; we read USN
//!   OVAL.
//! - `redhat`: Red Hat Security Data API JSON, which we do not read.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use bulwark_osv::Status;
use bulwark_vulndb::feeds::debian_dsa::DebianDsa;
use bulwark_vulndb::feeds::redhat_csaf::RedHatCsaf;
use common::{convert, corpus, fixed_of, members};
use serde_json::Value;

const ARCHIVE: &str = "trivy-db/vulnsrc-testdata.tar.gz";

#[test]
fn trivydb_debian_advisories_match_vuln_list_annotations() {
    let root = "debian/testdata/happy/vuln-list-debian/tracker/";
    let distributions = members(ARCHIVE, &[root, "distributions.json"]);
    let distributions: Value = serde_json::from_slice(&distributions[0].1).unwrap();
    let files: Vec<_> = members(ARCHIVE, &[root, ".json"])
        .into_iter()
        .filter(|(path, _)| path.contains("/DSA/") || path.contains("/DLA/"))
        .collect();
    assert_eq!(files.len(), 2);

    let mut corpus_lists = BTreeMap::new();
    for kind in ["DSA", "DLA"] {
        let path = corpus().join(format!("debian-security-tracker/data/{kind}/list"));
        let data = std::fs::read(&path).unwrap();
        corpus_lists.insert(kind, convert(&DebianDsa, &path, &data).unwrap());
    }

    for (path, data) in &files {
        let record: Value = serde_json::from_slice(data).unwrap();
        let header = &record["Header"];
        let annotations = record["Annotations"].as_array().unwrap();
        let mut text = header["Original"].as_str().unwrap().to_owned();
        for annotation in annotations {
            text.push_str("\n\t");
            text.push_str(annotation["Original"].as_str().unwrap());
        }
        let converted = convert(&DebianDsa, Path::new(path), text.as_bytes()).unwrap();
        assert!(
            converted.errors.is_empty(),
            "{path}: {:?}",
            converted.errors
        );
        assert_eq!(converted.advisories.len(), 1, "{path}");
        let advisory = &converted.advisories[0];
        assert_eq!(advisory.id, header["ID"].as_str().unwrap(), "{path}");
        assert_eq!(
            advisory.summary.as_deref(),
            header["Description"].as_str(),
            "{path}"
        );

        let mut cves = BTreeSet::new();
        let mut fixed = BTreeSet::new();
        let mut notes = Vec::new();
        for annotation in annotations {
            match annotation["Type"].as_str().unwrap() {
                "xref" => {
                    let bugs = annotation["Bugs"].as_array().unwrap();
                    cves.extend(bugs.iter().map(|b| b.as_str().unwrap().to_owned()));
                }
                "package" => {
                    assert_eq!(annotation["Kind"], "fixed", "{path}");
                    let release = annotation["Release"].as_str().unwrap();
                    let number = distributions[release]["major-version"].as_str().unwrap();
                    fixed.insert((
                        format!("Debian:{number}"),
                        annotation["Package"].as_str().unwrap().to_owned(),
                        annotation["Version"].as_str().unwrap().to_owned(),
                    ));
                }
                "NOTE" => notes.push(annotation["Description"].clone()),
                other => panic!("{path}: annotation type {other}"),
            }
        }
        let upstream: BTreeSet<String> = advisory.upstream.iter().cloned().collect();
        assert_eq!(upstream, cves, "{path}");
        let actual: BTreeSet<_> = advisory
            .affected
            .iter()
            .map(|entry| {
                let package = entry.package.as_ref().unwrap();
                let version = fixed_of(entry).unwrap().to_owned();
                (package.ecosystem.clone(), package.name.clone(), version)
            })
            .collect();
        assert_eq!(actual, fixed, "{path}");
        let stored_notes = advisory
            .database_specific
            .as_ref()
            .and_then(|specific| specific.get("notes"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        assert_eq!(stored_notes, notes, "{path}");

        // The same record converted from the corpus list has the same
        // packages and date. Its CVEs may differ: the fixture's DLA-2691-1
        // names CVE-2021-33560 where the corpus copy of the list names
        // CVE-2021-40528, as the tracker's list was edited between the two.
        let kind = if path.contains("/DSA/") { "DSA" } else { "DLA" };
        let from_corpus = corpus_lists[kind]
            .advisories
            .iter()
            .find(|a| a.id == advisory.id)
            .unwrap_or_else(|| panic!("{path}: not in the corpus {kind} list"));
        assert_eq!(from_corpus.affected, advisory.affected, "{path}");
        assert_eq!(from_corpus.published, advisory.published, "{path}");
    }
}

/// (ecosystem, package, status, fixed version) of one entry.
type Entry = (String, String, Status, Option<String>);

/// An RPM on one platform of a VEX file.
struct Rpm {
    platform: String,
    /// `Red Hat:<major>`.
    ecosystem: String,
    name: String,
    /// `epoch:version-release`, without a zero epoch.
    evr: Option<String>,
    arch: Option<String>,
}

/// Reads the RPM a product id names through the document's relationships,
/// platform CPE and component package URL.
fn resolve(document: &Value, product_id: &str) -> Option<Rpm> {
    let tree = &document["product_tree"];
    let relationship = tree["relationships"]
        .as_array()?
        .iter()
        .find(|r| r["full_product_name"]["product_id"] == product_id)?;
    let mut helpers = BTreeMap::new();
    let mut stack: Vec<&Value> = tree["branches"].as_array()?.iter().collect();
    while let Some(branch) = stack.pop() {
        if let Some(id) = branch["product"]["product_id"].as_str() {
            helpers.insert(id, &branch["product"]["product_identification_helper"]);
        }
        stack.extend(branch["branches"].as_array().into_iter().flatten());
    }
    let platform = relationship["relates_to_product_reference"].as_str()?;
    let cpe = helpers[platform]["cpe"].as_str()?;
    let major: String = cpe
        .split(':')
        .nth(4)?
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let component = relationship["product_reference"].as_str()?;
    let purl = helpers[component]["purl"].as_str()?;
    let rest = purl.strip_prefix("pkg:rpm/redhat/")?;
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let qualifier = |key: &str| {
        query
            .split('&')
            .find_map(|pair| pair.strip_prefix(&format!("{key}=")))
    };
    let (name, version) = match path.split_once('@') {
        Some((name, version)) => (name, Some(version.replace("%2B", "+"))),
        None => (path, None),
    };
    let evr = version.map(|version| match qualifier("epoch") {
        Some(epoch) if epoch != "0" => format!("{epoch}:{version}"),
        _ => version,
    });
    Some(Rpm {
        platform: platform.to_owned(),
        ecosystem: format!("Red Hat:{major}"),
        name: name.to_owned(),
        evr,
        arch: qualifier("arch").map(str::to_owned),
    })
}

/// Derives the entries of a VEX file from its remediations, the way
/// trivy-db reads them, with the decisions listed in the file comment.
/// Returns `None` when a fixed product has no version.
fn expected_from_remediations(document: &Value) -> Option<BTreeSet<Entry>> {
    let vulnerability = &document["vulnerabilities"][0];
    let mut resolved = Vec::new();
    for remediation in vulnerability["remediations"].as_array().unwrap() {
        let details = remediation["details"].as_str().unwrap_or_default();
        let status = match (remediation["category"].as_str().unwrap(), details) {
            ("vendor_fix", _) => None,
            ("none_available", "Deferred") => Some(Status::FixDeferred),
            ("none_available", _) => Some(Status::Affected),
            ("no_fix_planned", _) => Some(Status::WillNotFix),
            _ => continue,
        };
        for id in remediation["product_ids"].as_array().unwrap() {
            if let Some(rpm) = resolve(document, id.as_str().unwrap()) {
                resolved.push((status, rpm));
            }
        }
    }
    let binaries: BTreeSet<_> = resolved
        .iter()
        .filter(|(_, rpm)| rpm.arch.as_deref() != Some("src"))
        .map(|(_, rpm)| (rpm.platform.clone(), rpm.evr.clone()))
        .collect();
    let mut expected = BTreeSet::new();
    for (status, rpm) in resolved {
        let source = rpm.arch.as_deref() == Some("src");
        if source && binaries.contains(&(rpm.platform, rpm.evr.clone())) {
            continue;
        }
        let entry = match status {
            None => (rpm.ecosystem, rpm.name, Status::Affected, Some(rpm.evr?)),
            Some(status) => (rpm.ecosystem, rpm.name, status, None),
        };
        expected.insert(entry);
    }
    Some(expected)
}

#[test]
fn trivydb_redhat_csaf_vex_matches_remediations() {
    let files = members(ARCHIVE, &["redhat-csaf/testdata/", "/csaf-vex/", ".json"]);
    assert_eq!(files.len(), 8);
    let mut compared = 0;
    let mut without_version = 0;
    for (path, data) in &files {
        let document: Value = serde_json::from_slice(data).unwrap();
        let converted = convert(&RedHatCsaf, Path::new(path), data).unwrap();
        let listed = document["vulnerabilities"].as_array().unwrap();
        assert_eq!(
            converted.advisories.len() + converted.errors.len(),
            listed.len(),
            "{path}"
        );
        if listed.is_empty() {
            continue;
        }
        let cve = listed[0]["cve"].as_str().unwrap();
        if cve.is_empty() {
            assert_eq!(converted.errors[0].record, "vulnerabilities[0]", "{path}");
            assert!(converted.errors[0].reason.contains("no cve"), "{path}");
            continue;
        }
        let Some(expected) = expected_from_remediations(&document) else {
            assert_eq!(converted.errors.len(), 1, "{path}");
            assert_eq!(converted.errors[0].record, cve, "{path}");
            assert!(
                converted.errors[0]
                    .reason
                    .contains("names no package version")
            );
            without_version += 1;
            continue;
        };
        assert!(
            converted.errors.is_empty(),
            "{path}: {:?}",
            converted.errors
        );
        let advisory = &converted.advisories[0];
        assert_eq!(advisory.id, format!("REDHAT-{cve}"), "{path}");
        assert_eq!(advisory.aliases, [cve], "{path}");
        let actual: BTreeSet<Entry> = advisory
            .affected
            .iter()
            .map(|entry| {
                let package = entry.package.as_ref().unwrap();
                (
                    package.ecosystem.clone(),
                    package.name.clone(),
                    entry.status().unwrap(),
                    fixed_of(entry).map(str::to_owned),
                )
            })
            .collect();
        assert_eq!(actual, expected, "{path}");
        let errata = advisory
            .references
            .iter()
            .any(|r| r.url.contains("/errata/RHSA-"));
        assert!(errata, "{path}");
        compared += 1;
    }
    // cve-2024-10041 twice, cve-2024-9999, cve-2024-11111, cve-2024-22222.
    assert_eq!(compared, 5);
    assert_eq!(without_version, 1);
}

#[test]
fn trivydb_skipped_sources_exist() {
    // The inputs listed as not compared in the file comment, so the list
    // stays true when the corpus changes.
    let skipped = [
        "alpine/testdata/happy/vuln-list/alpine/",
        "debian/testdata/happy/vuln-list-debian/tracker/CVE/",
        "redhat-oval/testdata/happy/vuln-list-redhat/oval/",
        "rocky/testdata/happy/vuln-list/rocky/",
        "ubuntu/testdata/vuln-list/ubuntu/",
        "redhat/testdata/happy1/vuln-list-redhat/api/",
    ];
    for dir in skipped {
        let found = members(ARCHIVE, &[&format!("pkg/vulnsrc/{dir}"), ".json"]);
        assert!(!found.is_empty(), "{dir}");
        for (path, data) in &found {
            let head = &data[..data.len().min(4096)];
            let claimed: Vec<_> = bulwark_vulndb::feeds::converters()
                .into_iter()
                .filter(|c| c.detect(Path::new(path), head))
                .map(|c| c.name())
                .collect();
            // Only the Alpine converter reads vuln-list's layout, and
            // nothing else should claim these files.
            let allowed = if dir.starts_with("alpine") {
                vec!["alpine-secdb"]
            } else {
                Vec::new()
            };
            assert!(
                claimed.iter().all(|name| allowed.contains(name)),
                "{path}: {claimed:?}"
            );
        }
    }
}
