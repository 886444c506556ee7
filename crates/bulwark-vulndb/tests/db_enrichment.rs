//! KEV and EPSS: imported from the corpus and joined to advisories through
//! their aliases.

mod db_support;

use std::path::Path;

use bulwark_vulndb::import::{ImportOptions, ImportReport, Input, import};
use bulwark_vulndb::{Database, paths};
use db_support::{corpus, unpack};

fn import_paths(db: &Path, inputs: &[&Path]) -> ImportReport {
    let inputs: Vec<Input> = inputs.iter().map(Input::new).collect();
    import(db, &inputs, ImportOptions::default()).expect("import succeeds")
}

#[test]
fn kev_catalog_joins_through_aliases() {
    let kev = corpus().join("cisa-kev/known_exploited_vulnerabilities.json");
    let catalog: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&kev).expect("reads")).expect("KEV JSON");
    let entries = catalog["vulnerabilities"]
        .as_array()
        .expect("vulnerabilities");
    let dir = tempfile::tempdir().expect("temp dir");
    let db_path = paths::db_path(dir.path());
    let report = import_paths(&db_path, &[&kev, &corpus().join("ghsa-sample")]);
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert_eq!(report.feeds[0].kev as usize, entries.len());
    assert_eq!(catalog["count"].as_u64(), Some(1404));
    let db = Database::open(&db_path).expect("database opens");
    assert_eq!(db.counts().expect("counts").kev, 1404);

    // Every entry reads back with the catalog's fields.
    for entry in entries {
        let cve = entry["cveID"].as_str().expect("cveID");
        let stored = db.kev(cve).expect("lookup").expect("stored");
        assert_eq!(
            stored.date_added,
            entry["dateAdded"].as_str().expect("dateAdded")
        );
        assert_eq!(stored.due_date.as_deref(), entry["dueDate"].as_str());
        assert_eq!(
            stored.vendor,
            entry["vendorProject"].as_str().expect("vendor")
        );
        assert_eq!(stored.product, entry["product"].as_str().expect("product"));
        assert_eq!(
            stored.ransomware_use,
            entry["knownRansomwareCampaignUse"]
                .as_str()
                .expect("ransomware")
        );
        assert_eq!(stored.notes, entry["notes"].as_str().expect("notes"));
    }

    // Each GHSA sample gets the KEV entries of its CVE aliases, and only
    // those.
    for file in std::fs::read_dir(corpus().join("ghsa-sample")).expect("lists") {
        let path = file.expect("entry").path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let advisory: bulwark_osv::Advisory =
            serde_json::from_slice(&std::fs::read(&path).expect("reads")).expect("OSV");
        let expected: Vec<&str> = advisory
            .aliases
            .iter()
            .map(String::as_str)
            .filter(|alias| entries.iter().any(|e| e["cveID"].as_str() == Some(alias)))
            .collect();
        let found = db.kev_for(&advisory).expect("kev_for");
        let found: Vec<&str> = found.iter().map(|e| e.cve.as_str()).collect();
        assert_eq!(found, expected, "{}", advisory.id);
    }
    let log4j = db
        .advisories_with_id("GHSA-jfh8-c2jp-5v3q")
        .expect("lookup");
    let kev = db.kev_for(&log4j[0]).expect("kev_for");
    assert_eq!(kev.len(), 1, "log4j's CVE-2021-44228 is in the catalog");
    assert_eq!(kev[0].cve, "CVE-2021-44228");
}

#[test]
fn epss_samples_match_vunnel_snapshots() {
    let fixtures = corpus().join("anchore-vunnel-fixtures/test-fixtures.tar.gz");
    let dir = tempfile::tempdir().expect("temp dir");
    unpack(&fixtures, dir.path(), |p| p.contains("/providers/epss/"));
    let base = dir
        .path()
        .join("vunnel-test-fixtures/tests/unit/providers/epss/test-fixtures");
    let db_path = paths::db_path(&dir.path().join("cache"));
    let example = base.join("example-1.csv");
    let invalid_header = base.join("invalid-header.csv");
    let missing_date = base.join("missing-date.csv");
    let report = import_paths(&db_path, &[&example, &invalid_header, &missing_date]);
    let db = Database::open(&db_path).expect("database opens");

    let mut snapshots = 0;
    for entry in std::fs::read_dir(base.join("snapshots/example-1")).expect("lists") {
        let data = std::fs::read(entry.expect("entry").path()).expect("reads");
        let snapshot: serde_json::Value = serde_json::from_slice(&data).expect("JSON");
        let item = &snapshot["item"];
        let cve = item["cve"].as_str().expect("cve");
        let stored = db.epss(cve).expect("lookup").expect("stored");
        assert_eq!(stored.date, item["date"].as_str().expect("date"), "{cve}");
        assert_eq!(Some(stored.score), item["epss"].as_f64(), "{cve}");
        assert_eq!(
            Some(stored.percentile),
            item["percentile"].as_f64(),
            "{cve}"
        );
        snapshots += 1;
    }
    assert_eq!(snapshots, 5);
    assert_eq!(report.feeds[0].epss, 5);

    // vunnel rejects the other two samples; here each is reported and
    // stores nothing.
    for (path, reason) in [
        (&invalid_header, "invalid header"),
        (&missing_date, "missing score_date"),
    ] {
        let name = path.display().to_string();
        let problem = report
            .problems
            .iter()
            .find(|p| p.file == name)
            .unwrap_or_else(|| panic!("{name} not reported: {:?}", report.problems));
        assert!(problem.reason.contains(reason), "{}", problem.reason);
    }
    assert_eq!(report.feeds[1].epss + report.feeds[2].epss, 0);
    assert_eq!(db.counts().expect("counts").epss, 5);
}

#[test]
fn epss_joins_through_aliases() {
    // An EPSS file for CVE-2021-44228, written from the sample's header so
    // the format is the real one.
    let fixtures = corpus().join("anchore-vunnel-fixtures/test-fixtures.tar.gz");
    let dir = tempfile::tempdir().expect("temp dir");
    unpack(&fixtures, dir.path(), |p| {
        p.ends_with("epss/test-fixtures/example-1.csv")
    });
    let sample = std::fs::read_to_string(
        dir.path()
            .join("vunnel-test-fixtures/tests/unit/providers/epss/test-fixtures/example-1.csv"),
    )
    .expect("reads");
    let header: Vec<&str> = sample.lines().take(2).collect();
    let csv = dir.path().join("epss.csv");
    std::fs::write(
        &csv,
        format!("{}\nCVE-2021-44228,0.94358,0.99957\n", header.join("\n")),
    )
    .expect("write");
    let db_path = paths::db_path(&dir.path().join("cache"));
    import_paths(&db_path, &[&csv, &corpus().join("ghsa-sample")]);
    let db = Database::open(&db_path).expect("database opens");
    let log4j = db
        .advisories_with_id("GHSA-jfh8-c2jp-5v3q")
        .expect("lookup");
    let scores = db.epss_for(&log4j[0]).expect("epss_for");
    assert_eq!(scores.len(), 1);
    assert_eq!(scores[0].cve, "CVE-2021-44228");
    assert_eq!(scores[0].score, 0.94358);
}
