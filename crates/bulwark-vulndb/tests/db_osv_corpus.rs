//! Imports every OSV feed of the corpus and checks that each record is
//! stored, indexed and read back whole.

mod db_support;

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use bulwark_vulndb::import::{ImportOptions, ImportReport, Input, import};
use bulwark_vulndb::{Database, paths};
use db_support::{corpus, json_id, tar_members, yaml_id};

/// One OSV feed of the corpus and how to recognize its advisory files.
struct Feed {
    input: PathBuf,
    /// Every member or file that is an advisory; the rest are READMEs and
    /// licenses.
    is_advisory: fn(&str) -> bool,
}

fn feeds() -> Vec<Feed> {
    let c = corpus();
    vec![
        Feed {
            input: c.join("pypa-advisory-database/vulns.tar.gz"),
            is_advisory: |p| p.contains("/vulns/") && p.ends_with(".yaml"),
        },
        Feed {
            input: c.join("rustsec-advisory-db/osv-crates.tar.gz"),
            is_advisory: |p| p.contains("/crates/") && p.ends_with(".json"),
        },
        Feed {
            input: c.join("golang-vulndb/osv.tar.gz"),
            is_advisory: |p| p.contains("/data/osv/") && p.ends_with(".json"),
        },
        Feed {
            input: c.join("almalinux-osv/advisories.tar.gz"),
            is_advisory: |p| p.contains("/advisories/") && p.ends_with(".json"),
        },
        Feed {
            input: c.join("ghsa-sample"),
            is_advisory: |p| p.ends_with(".json"),
        },
    ]
}

/// Returns (path, content) of every advisory file of a feed.
fn advisory_files(feed: &Feed) -> Vec<(String, Vec<u8>)> {
    if feed.input.is_dir() {
        let mut files: Vec<_> = std::fs::read_dir(&feed.input)
            .expect("corpus directory lists")
            .map(|e| e.expect("entry").path())
            .filter(|p| (feed.is_advisory)(&p.display().to_string()))
            .map(|p| (p.display().to_string(), std::fs::read(&p).expect("reads")))
            .collect();
        files.sort();
        files
    } else {
        tar_members(&feed.input, feed.is_advisory)
    }
}

fn import_all(db: &Path, inputs: &[PathBuf]) -> ImportReport {
    let inputs: Vec<Input> = inputs.iter().map(Input::new).collect();
    import(db, &inputs, ImportOptions::default()).expect("import succeeds")
}

#[test]
fn osv_corpus_feeds_store_every_record() {
    let feeds = feeds();
    let dir = tempfile::tempdir().expect("temp dir");
    let db_path = paths::db_path(dir.path());
    let inputs: Vec<PathBuf> = feeds.iter().map(|f| f.input.clone()).collect();
    let report = import_all(&db_path, &inputs);
    let db = Database::open(&db_path).expect("database opens");

    for (feed, summary) in feeds.iter().zip(&report.feeds) {
        let input = feed.input.display().to_string();
        let files = advisory_files(feed);
        let bad: Vec<_> = report
            .problems
            .iter()
            .filter(|p| p.file.starts_with(&input))
            .collect();
        for problem in &bad {
            eprintln!("skipped: {problem}");
        }
        // Ids read without the importer; a file whose id cannot be read is
        // one the importer must have reported.
        let ids: BTreeSet<String> = files
            .iter()
            .filter_map(|(path, data)| {
                if path.ends_with(".yaml") {
                    yaml_id(data)
                } else {
                    json_id(data)
                }
            })
            .collect();
        let stored: BTreeSet<String> = db
            .advisory_ids(&bulwark_vulndb::import::default_feed_name(&feed.input))
            .expect("ids list")
            .into_iter()
            .collect();
        assert!(!files.is_empty(), "{input}: no advisory files found");
        assert_eq!(
            summary.advisories as usize + summary.merged as usize,
            files.len() - bad.len(),
            "{input}: stored plus merged must be the files less the skipped ones"
        );
        assert_eq!(
            stored.len(),
            ids.len() - bad.len(),
            "{input}: one stored advisory per distinct id"
        );
        assert!(
            stored.is_subset(&ids),
            "{input}: stored ids come from the files"
        );
        assert_eq!(
            summary.merged as usize,
            files.len() - ids.len(),
            "{input}: only files repeating an id are merged"
        );
    }
}

#[test]
fn osv_records_round_trip_and_match_by_package() {
    let corpus = corpus();
    let go = corpus.join("golang-vulndb/osv.tar.gz");
    let ghsa = corpus.join("ghsa-sample");
    let dir = tempfile::tempdir().expect("temp dir");
    let db_path = paths::db_path(dir.path());
    import_all(&db_path, &[go.clone(), ghsa.clone()]);
    let db = Database::open(&db_path).expect("database opens");

    // Every 40th Go record: read back whole, and found through each of its
    // packages.
    let members = tar_members(&go, |p| p.contains("/data/osv/") && p.ends_with(".json"));
    let mut checked = 0;
    for (path, data) in members.iter().step_by(40) {
        let original: serde_json::Value = serde_json::from_slice(data).expect("corpus JSON");
        let id = original["id"].as_str().expect("id");
        let stored = db.advisories_with_id(id).expect("lookup by id");
        assert_eq!(stored.len(), 1, "{path}: one stored copy");
        let expected: bulwark_osv::Advisory =
            serde_json::from_value(original.clone()).expect("model reads corpus JSON");
        assert_eq!(stored[0], expected, "{path}: record read back whole");
        // Withdrawn advisories are kept, but never match a package.
        let withdrawn = original.get("withdrawn").is_some();
        for affected in original["affected"].as_array().into_iter().flatten() {
            let name = affected["package"]["name"].as_str().expect("package name");
            let found = db.affected_for("Go", None, name).expect("lookup");
            let matched = found
                .iter()
                .any(|(a, f)| a.id == id && f.package.as_ref().is_some_and(|p| p.name == name));
            assert_eq!(matched, !withdrawn, "{path}: {id} for Go package {name}");
        }
        checked += 1;
    }
    assert!(checked > 50, "checked {checked} Go records");

    // GHSA's npm and Maven entries, with names as an inventory spells them.
    let lodash = db.affected_for("npm", None, "lodash").expect("lookup");
    assert!(lodash.iter().any(|(a, _)| a.id == "GHSA-jf85-cpcp-j695"));
    let log4j = db
        .affected_for("Maven", None, "org.apache.logging.log4j:log4j-core")
        .expect("lookup");
    assert!(log4j.iter().any(|(a, _)| a.id == "GHSA-jfh8-c2jp-5v3q"));
    assert!(
        db.affected_for("npm", None, "no-such-package")
            .expect("lookup")
            .is_empty()
    );
}

#[test]
fn pypi_names_match_after_normalization() {
    let corpus = corpus();
    let pypa = corpus.join("pypa-advisory-database/vulns.tar.gz");
    let dir = tempfile::tempdir().expect("temp dir");
    let db_path = paths::db_path(dir.path());
    import_all(&db_path, std::slice::from_ref(&pypa));
    let db = Database::open(&db_path).expect("database opens");

    // Package name as the advisory spells it, and the ids per package, read
    // from the YAML without the importer.
    let mut by_name: HashMap<String, BTreeSet<String>> = HashMap::new();
    for (_, data) in tar_members(&pypa, |p| p.contains("/vulns/") && p.ends_with(".yaml")) {
        let text = String::from_utf8_lossy(&data).into_owned();
        let id = yaml_id(&data).expect("id");
        // Withdrawn advisories never match a package.
        if text.lines().any(|line| line.starts_with("withdrawn:")) {
            continue;
        }
        for line in text.lines() {
            if let Some(name) = line.trim().strip_prefix("name: ") {
                by_name
                    .entry(name.trim().to_owned())
                    .or_default()
                    .insert(id.clone());
            }
        }
    }
    let mut names: Vec<_> = by_name.keys().cloned().collect();
    names.sort();
    let mut checked = 0;
    for name in names.iter().step_by(10) {
        // Same project, spelled as pip might: upper case, `_` for `-`.
        let variant = name.to_uppercase().replace('-', "_");
        let found: BTreeSet<String> = db
            .affected_for("PyPI", None, &variant)
            .expect("lookup")
            .into_iter()
            .map(|(a, _)| a.id)
            .collect();
        let expected = &by_name[name];
        assert!(
            expected.is_subset(&found),
            "{variant}: expected {expected:?}, found {found:?}"
        );
        checked += 1;
    }
    assert!(checked > 50, "checked {checked} names");
}
