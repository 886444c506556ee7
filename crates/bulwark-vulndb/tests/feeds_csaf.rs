//! Red Hat CSAF documents: vunnel's CSAF security advisories against the
//! Red Hat Security Data API records (hydra) in the same fixture folder,
//! against their own product trees, and vuln-list-update's VEX samples.
//!
//! Mapping between hydra's records and ours:
//! - hydra's `affected_release[]` entry (CVE, `advisory`, `cpe`, `package`)
//!   is our advisory named by `advisory` (`RHSA-2024:6163`) with the CVE in
//!   `upstream`, and an entry in `Red Hat:<major release of the cpe>`;
//! - hydra names the source RPM (`python3.9-0:3.9.18-3.el9_4.5`). The
//!   RHSA's main binary RPM has the same name and version, so the entry
//!   with hydra's name is fixed in hydra's `epoch:version-release`, where a
//!   zero epoch is dropped.
//!
//! vunnel's own snapshots (`snapshots/rhel:*`) are built from the OVAL and
//! hydra inputs, for CVEs none of the CSAF files carries, so they are not
//! compared here.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use bulwark_osv::{Advisory, Status};
use bulwark_vulndb::feeds::redhat_csaf::RedHatCsaf;
use bulwark_vulndb::feeds::{FeedConverter, converter_named};
use common::{convert, fixed_of, members};
use serde_json::{Value, json};

const VUNNEL: &str = "anchore-vunnel-fixtures/test-fixtures.tar.gz";
const CSAF_DIR: &str = "providers/rhel/test-fixtures/csaf/";

/// Converts every CSAF advisory of vunnel's rhel fixtures, one advisory
/// each, keyed by file.
fn vunnel_advisories() -> Vec<(String, Value, Advisory)> {
    let files = members(VUNNEL, &[CSAF_DIR, "/rhsa-", ".json"]);
    assert!(files.len() >= 8, "{}", files.len());
    let mut out = Vec::new();
    for (path, data) in files {
        assert!(RedHatCsaf.detect(Path::new(&path), &data[..4096]), "{path}");
        let converted = convert(&RedHatCsaf, Path::new(&path), &data).unwrap();
        assert!(
            converted.errors.is_empty(),
            "{path}: {:?}",
            converted.errors
        );
        assert_eq!(converted.advisories.len(), 1, "{path}");
        let document: Value = serde_json::from_slice(&data).unwrap();
        let advisory = converted.advisories.into_iter().next().unwrap();
        out.push((path, document, advisory));
    }
    out
}

/// Returns the major release in a Red Hat CPE such as
/// `cpe:/a:redhat:rhel_eus:8.6::appstream`.
fn cpe_major(cpe: &str) -> String {
    let version = cpe.split(':').nth(4).unwrap();
    version.chars().take_while(char::is_ascii_digit).collect()
}

/// Splits a source NEVR such as `bind-32:9.8.2-0.68.rc1.el6_10.17` into
/// name and EVR, dropping a zero epoch.
fn split_nevr(nevr: &str) -> (String, String) {
    let (name_version, release) = nevr.rsplit_once('-').unwrap();
    let (name, version) = name_version.rsplit_once('-').unwrap();
    let version = version.strip_prefix("0:").unwrap_or(version);
    (name.to_owned(), format!("{version}-{release}"))
}

#[test]
fn csaf_advisories_match_hydra_records() {
    let advisories = vunnel_advisories();
    let hydra = members(VUNNEL, &[CSAF_DIR, "/hydra/", ".json"]);
    assert_eq!(hydra.len(), 2);
    let mut compared = BTreeSet::new();
    for (path, data) in &hydra {
        let record: Value = serde_json::from_slice(data).unwrap();
        let cve = record["name"].as_str().unwrap();
        for release in record["affected_release"].as_array().unwrap() {
            let id = release["advisory"].as_str().unwrap();
            let Some((_, _, advisory)) = advisories.iter().find(|(_, _, a)| a.id == id) else {
                // hydra lists every RHSA for the CVE; vunnel keeps a few.
                continue;
            };
            assert!(advisory.upstream.iter().any(|c| c == cve), "{path}: {id}");
            let ecosystem = format!("Red Hat:{}", cpe_major(release["cpe"].as_str().unwrap()));
            let (name, evr) = split_nevr(release["package"].as_str().unwrap());
            let found = advisory.affected.iter().any(|entry| {
                let package = entry.package.as_ref().unwrap();
                package.ecosystem == ecosystem
                    && package.name == name
                    && fixed_of(entry) == Some(evr.as_str())
            });
            assert!(found, "{path}: {id} has no {ecosystem} {name} {evr}");
            compared.insert((cve.to_owned(), id.to_owned()));
        }
    }
    // CVE-2024-8088 in RHSA-2024:6163 and RHSA-2024:9371, CVE-2021-25220
    // in RHSA-2025:23414.
    assert_eq!(compared.len(), 3, "{compared:?}");
}

/// An RPM component of a fixture, read from its package URL.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Rpm {
    name: String,
    evr: Option<String>,
    arch: Option<String>,
    module: Option<String>,
}

/// Reads `pkg:rpm/redhat/name@version?arch=x&epoch=1&rpmmod=m:s:v:c`.
fn rpm_of(purl: &str) -> Option<Rpm> {
    let rest = purl.strip_prefix("pkg:rpm/redhat/")?;
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (name, version) = match path.split_once('@') {
        Some((name, version)) => (name, Some(version.replace("%2B", "+"))),
        None => (path, None),
    };
    let qualifier = |key: &str| {
        query
            .split('&')
            .find_map(|pair| pair.strip_prefix(&format!("{key}=")))
    };
    let evr = version.map(|version| match qualifier("epoch") {
        Some(epoch) if epoch != "0" => format!("{epoch}:{version}"),
        _ => version,
    });
    let module = qualifier("rpmmod").map(|m| m.split(':').take(2).collect::<Vec<_>>().join(":"));
    Some(Rpm {
        name: name.to_owned(),
        evr,
        arch: qualifier("arch").map(str::to_owned),
        module,
    })
}

/// Resolves a full product id of a fixture to (release, RPM) through its
/// relationships, platform CPE and component package URL.
fn resolve(document: &Value, product_id: &str) -> Option<(String, Rpm)> {
    let tree = &document["product_tree"];
    let relationship = tree["relationships"]
        .as_array()?
        .iter()
        .find(|r| r["full_product_name"]["product_id"] == product_id)?;
    let mut products = BTreeMap::new();
    let mut stack: Vec<&Value> = tree["branches"].as_array()?.iter().collect();
    while let Some(branch) = stack.pop() {
        if let Some(id) = branch["product"]["product_id"].as_str() {
            products.insert(id.to_owned(), &branch["product"]);
        }
        stack.extend(branch["branches"].as_array().into_iter().flatten());
    }
    let platform = relationship["relates_to_product_reference"].as_str()?;
    let component = relationship["product_reference"].as_str()?;
    let cpe = products[platform]["product_identification_helper"]["cpe"].as_str()?;
    let purl = products[component]["product_identification_helper"]["purl"].as_str()?;
    Some((cpe_major(cpe), rpm_of(purl)?))
}

#[test]
fn csaf_fixed_entries_follow_product_tree() {
    let mut sources = 0;
    for (path, document, advisory) in vunnel_advisories() {
        assert_eq!(
            advisory.id, document["document"]["tracking"]["id"],
            "{path}"
        );
        // (release, name, fixed version, module) of every fixed RPM. A
        // source RPM counts only when no binary RPM of the same version is
        // fixed on the same release.
        let mut binaries = BTreeSet::new();
        let mut source_rpms = BTreeSet::new();
        for vulnerability in document["vulnerabilities"].as_array().unwrap() {
            for id in vulnerability["product_status"]["fixed"].as_array().unwrap() {
                let (release, rpm) = resolve(&document, id.as_str().unwrap()).unwrap();
                let key = (release, rpm.name, rpm.evr.unwrap(), rpm.module);
                if rpm.arch.as_deref() == Some("src") {
                    source_rpms.insert(key);
                } else {
                    binaries.insert(key);
                }
            }
        }
        let versions: BTreeSet<_> = binaries.iter().map(|(r, _, v, _)| (r, v)).collect();
        let kept_sources: BTreeSet<_> = source_rpms
            .into_iter()
            .filter(|(r, _, v, _)| !versions.contains(&(r, v)))
            .collect();
        sources += kept_sources.len();
        let expected: BTreeSet<_> = binaries.union(&kept_sources).cloned().collect();
        let actual: BTreeSet<_> = advisory
            .affected
            .iter()
            .filter_map(|entry| {
                let package = entry.package.as_ref().unwrap();
                let fixed = fixed_of(entry)?.to_owned();
                assert_eq!(entry.status(), Some(Status::Affected));
                let specific = entry.ecosystem_specific.as_ref().unwrap();
                let module = specific.get("module").and_then(Value::as_str);
                let release = package.ecosystem.strip_prefix("Red Hat:").unwrap();
                Some((
                    release.to_owned(),
                    package.name.clone(),
                    fixed,
                    module.map(str::to_owned),
                ))
            })
            .collect();
        assert_eq!(actual, expected, "{path}");
        assert!(!advisory.upstream.is_empty(), "{path}");
        let impact = document["document"]["aggregate_severity"]["text"]
            .as_str()
            .unwrap();
        let severity = &advisory.database_specific.as_ref().unwrap()["severity"];
        assert!(
            severity.as_str().unwrap().eq_ignore_ascii_case(impact),
            "{path}"
        );
        assert!(
            advisory.severity.iter().all(|s| s.kind == "CVSS_V3"),
            "{path}"
        );
        assert!(!advisory.severity.is_empty(), "{path}");
    }
    // RHSA-2024:6163 and RHSA-2024:9371 name only the python3.9 source RPM.
    assert!(sources >= 2, "{sources}");
}

#[test]
fn csaf_modules_and_not_affected_components() {
    let advisories = vunnel_advisories();
    let by_id = |id: &str| {
        let found = advisories.iter().find(|(_, _, a)| a.id == id);
        &found.unwrap_or_else(|| panic!("no {id}")).2
    };
    // Module streams from `rpmmod`, in both product id spellings.
    for (id, module) in [
        ("RHSA-2024:1431", "ruby:3.1"),
        ("RHSA-2023:3821", "ruby:2.7"),
    ] {
        for entry in &by_id(id).affected {
            let specific = entry.ecosystem_specific.as_ref().unwrap();
            assert_eq!(specific["module"], module, "{id}");
        }
    }
    // RHSA-2025:23414 fixes bind on RHEL 6 ELS and lists other binaries of
    // the SRPM as not affected.
    let (_, document, advisory) = advisories
        .iter()
        .find(|(_, _, a)| a.id == "RHSA-2025:23414")
        .unwrap();
    let mut not_affected = BTreeSet::new();
    for vulnerability in document["vulnerabilities"].as_array().unwrap() {
        for id in vulnerability["product_status"]["known_not_affected"]
            .as_array()
            .unwrap()
        {
            let (release, rpm) = resolve(document, id.as_str().unwrap()).unwrap();
            if rpm.arch.as_deref() != Some("src") {
                not_affected.insert((format!("Red Hat:{release}"), rpm.name));
            }
        }
    }
    let actual: BTreeSet<_> = advisory
        .affected
        .iter()
        .filter(|entry| entry.status() == Some(Status::NotAffected))
        .map(|entry| {
            let package = entry.package.as_ref().unwrap();
            assert!(entry.ranges.is_empty());
            (package.ecosystem.clone(), package.name.clone())
        })
        .collect();
    assert!(!actual.is_empty());
    assert_eq!(actual, not_affected);
    let cpes = &advisory.affected[0].ecosystem_specific.as_ref().unwrap()["cpes"];
    assert_eq!(cpes, &json!(["cpe:/o:redhat:rhel_els:6"]));
}

/// Reads the members of a txtar archive: `-- name --` lines start them.
fn txtar(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if let Some(name) = line.strip_prefix("-- ").and_then(|l| l.strip_suffix(" --")) {
            out.push((name.to_owned(), String::new()));
        } else if let Some((_, body)) = out.last_mut() {
            body.push_str(line);
            body.push('\n');
        }
    }
    out
}

#[test]
fn csaf_vuln_list_update_samples() {
    let archives = members(
        "vuln-list-update/testdata.tar.gz",
        &["redhat/csaf/", ".txtar"],
    );
    assert_eq!(archives.len(), 6);
    let mut documents = 0;
    let mut advisories = Vec::new();
    for (archive, data) in &archives {
        for (name, body) in txtar(std::str::from_utf8(data).unwrap()) {
            if !name.ends_with(".json") {
                continue;
            }
            documents += 1;
            let value: Value = serde_json::from_str(&body).unwrap();
            let has_version = value["document"]["csaf_version"].is_string();
            let head = &body.as_bytes()[..body.len().min(4096)];
            assert_eq!(
                RedHatCsaf.detect(Path::new(&name), head),
                has_version,
                "{name}"
            );
            let converted = convert(&RedHatCsaf, Path::new(&name), body.as_bytes()).unwrap();
            assert!(converted.errors.is_empty(), "{archive} {name}");
            let listed = value["vulnerabilities"].as_array().map_or(0, Vec::len);
            assert_eq!(converted.advisories.len(), listed, "{archive} {name}");
            advisories.extend(converted.advisories);
        }
    }
    assert_eq!(documents, 7);
    // Only CVE-2024-0002 has a vulnerability, and it states that the RHEL 9
    // platform as a whole is not affected: no package to list.
    assert_eq!(advisories.len(), 1);
    let advisory = &advisories[0];
    assert_eq!(advisory.id, "REDHAT-CVE-2024-0002");
    assert_eq!(advisory.aliases, ["CVE-2024-0002"]);
    assert!(advisory.affected.is_empty());
    assert_eq!(
        advisory.details.as_deref(),
        Some("Test vulnerability from delta update.")
    );
    assert_eq!(advisory.modified, "2025-12-10T10:00:00+00:00");
    let specific = advisory.database_specific.as_ref().unwrap();
    assert_eq!(specific["severity"], "Important");
    assert_eq!(specific["cwe"], "CWE-79");
}

/// trivy-db's VEX sample for CVE-2024-10041 with its vulnerability changed
/// by `change`.
fn vex_with(change: impl FnOnce(&mut Value)) -> Vec<Advisory> {
    let files = members(
        "trivy-db/vulnsrc-testdata.tar.gz",
        &["redhat-csaf/testdata/happy/csaf-vex/cve-2024-10041.json"],
    );
    let mut document: Value = serde_json::from_slice(&files[0].1).unwrap();
    change(&mut document["vulnerabilities"][0]);
    let data = serde_json::to_vec(&document).unwrap();
    let converted = convert(&RedHatCsaf, Path::new("cve-2024-10041.json"), &data).unwrap();
    assert!(converted.errors.is_empty(), "{:?}", converted.errors);
    converted.advisories
}

#[test]
fn csaf_product_status_maps_to_statuses() {
    let x86 = "BaseOS-9.5.0.Z.MAIN:pam-0:1.5.1-21.el9_5.x86_64";
    let cases = [
        ("known_affected", None, Status::Affected),
        (
            "known_affected",
            Some(("none_available", "Affected")),
            Status::Affected,
        ),
        (
            "known_affected",
            Some(("none_available", "Deferred")),
            Status::FixDeferred,
        ),
        (
            "known_affected",
            Some(("no_fix_planned", "Will not fix")),
            Status::WillNotFix,
        ),
        (
            "known_affected",
            Some(("no_fix_planned", "Out of support scope")),
            Status::WillNotFix,
        ),
        ("known_not_affected", None, Status::NotAffected),
        ("under_investigation", None, Status::UnderInvestigation),
    ];
    for (list, remediation, status) in cases {
        let advisories = vex_with(|vulnerability| {
            vulnerability["product_status"] = json!({ list: [x86] });
            vulnerability["remediations"] = match remediation {
                Some((category, details)) => {
                    json!([{"category": category, "details": details, "product_ids": [x86]}])
                }
                None => json!([]),
            };
        });
        let entries = &advisories[0].affected;
        assert_eq!(entries.len(), 1, "{list} {remediation:?}");
        assert_eq!(entries[0].status(), Some(status), "{list} {remediation:?}");
        assert_eq!(fixed_of(&entries[0]), None, "{list} {remediation:?}");
    }
    // `fixed` gives the component's version.
    let advisories = vex_with(|vulnerability| {
        vulnerability["product_status"] = json!({ "fixed": [x86] });
    });
    let entry = &advisories[0].affected[0];
    assert_eq!(fixed_of(entry), Some("1.5.1-21.el9_5"));
    assert_eq!(entry.package.as_ref().unwrap().ecosystem, "Red Hat:9");
    assert_eq!(
        entry.database_specific.as_ref().unwrap()["severity"],
        "Moderate"
    );
}

#[test]
fn csaf_bad_input_is_reported() {
    let files = members(
        "trivy-db/vulnsrc-testdata.tar.gz",
        &["redhat-csaf/testdata/happy/csaf-vex/cve-2024-10041.json"],
    );
    let data = &files[0].1;
    // A truncated file fails as a whole and names the file.
    let error = convert(&RedHatCsaf, Path::new("cut.json"), &data[..data.len() / 2])
        .err()
        .unwrap();
    assert!(error.reason.contains("cut.json"), "{error}");
    assert!(error.reason.contains("invalid CSAF JSON"), "{error}");

    // A malformed vulnerability fails alone.
    let mut document: Value = serde_json::from_slice(data).unwrap();
    let good = document["vulnerabilities"][0].clone();
    let mut bad = good.clone();
    bad["remediations"] = json!("none");
    document["vulnerabilities"] = json!([bad, good]);
    let data = serde_json::to_vec(&document).unwrap();
    let converted = convert(&RedHatCsaf, Path::new("two.json"), &data).unwrap();
    assert_eq!(converted.advisories.len(), 1);
    assert_eq!(converted.errors.len(), 1);
    assert_eq!(converted.errors[0].record, "vulnerabilities[0]");

    // A fixed version that is not an EVR names the product.
    let mut document: Value = serde_json::from_slice(&files[0].1).unwrap();
    let purl =
        "/product_tree/branches/0/branches/2/branches/0/product/product_identification_helper/purl";
    *document.pointer_mut(purl).unwrap() = json!("pkg:rpm/redhat/pam@1.5 1?arch=x86_64");
    let data = serde_json::to_vec(&document).unwrap();
    let converted = convert(&RedHatCsaf, Path::new("evr.json"), &data).unwrap();
    assert_eq!(converted.errors.len(), 1);
    assert_eq!(converted.errors[0].record, "CVE-2024-10041");
    assert!(
        converted.errors[0]
            .reason
            .contains("pam-0:1.5.1-21.el9_5.x86_64")
    );
}

#[test]
fn csaf_converter_is_registered() {
    let converter = converter_named("redhat-csaf").expect("registered");
    let hydra = members(VUNNEL, &[CSAF_DIR, "/hydra/cve-2024-8088.json"]);
    let (path, data) = &hydra[0];
    assert!(!converter.detect(Path::new(path), data));
}
