//! Hostile and broken inputs, derived from real corpus files: each bad
//! entry or record is reported with its file and skipped, and the rest
//! imports.

mod db_support;

use std::io::Write;
use std::path::Path;

use bulwark_vulndb::import::{ImportOptions, ImportReport, Input, Limits, Problem, import};
use bulwark_vulndb::{Database, paths};
use db_support::{corpus, json_id, tar_members};
use zip::write::SimpleFileOptions;

/// Real RustSec OSV records: (file name, content).
fn rustsec_records(count: usize) -> Vec<(String, Vec<u8>)> {
    let archive = corpus().join("rustsec-advisory-db/osv-crates.tar.gz");
    tar_members(&archive, |p| {
        p.contains("/crates/RUSTSEC-") && p.ends_with(".json")
    })
    .into_iter()
    .take(count)
    .map(|(path, data)| {
        let name = Path::new(&path)
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        (name, data)
    })
    .collect()
}

fn import_with(db: &Path, input: &Path, limits: Limits) -> ImportReport {
    import(
        db,
        &[Input::new(input)],
        ImportOptions {
            limits,
            ..ImportOptions::default()
        },
    )
    .expect("import succeeds")
}

fn problem_for<'a>(report: &'a ImportReport, file_suffix: &str) -> &'a Problem {
    report
        .problems
        .iter()
        .find(|p| p.file.ends_with(file_suffix))
        .unwrap_or_else(|| panic!("no problem for {file_suffix}: {:?}", report.problems))
}

#[test]
fn hostile_zip_entries_skipped() {
    let records = rustsec_records(20);
    let dir = tempfile::tempdir().expect("temp dir");
    let zip_path = dir.path().join("all.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&zip_path).expect("create"));
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in &records {
        zip.start_file(name.as_str(), options).expect("entry");
        zip.write_all(data).expect("write");
    }
    // Path traversal and absolute paths, each with a real record inside.
    for name in [
        "../escape.json",
        "nested/../../escape2.json",
        "/absolute.json",
    ] {
        zip.start_file(name, options).expect("entry");
        zip.write_all(&records[0].1).expect("write");
    }
    // A zip bomb: 16 MiB of one byte deflates about a thousandfold.
    zip.start_file("bomb.json", options).expect("entry");
    let block = vec![b' '; 1 << 20];
    for _ in 0..16 {
        zip.write_all(&block).expect("write");
    }
    zip.finish().expect("zip finishes");

    let db_path = paths::db_path(&dir.path().join("cache"));
    let report = import_with(&db_path, &zip_path, Limits::default());
    assert_eq!(report.feeds[0].advisories as usize, records.len());
    for name in [
        "../escape.json",
        "nested/../../escape2.json",
        "/absolute.json",
    ] {
        let problem = problem_for(&report, &format!("!{name}"));
        assert!(
            problem.reason.contains("unsafe entry path"),
            "{}",
            problem.reason
        );
    }
    let bomb = problem_for(&report, "!bomb.json");
    assert!(bomb.reason.contains("ratio limit"), "{}", bomb.reason);
    assert_eq!(report.problems.len(), 4, "{:?}", report.problems);
    // Nothing was written outside the cache directory.
    assert!(!dir.path().join("escape.json").exists());
    assert!(!Path::new("/absolute.json").exists());
}

#[test]
fn zip_entry_over_size_limit_skipped() {
    let records = rustsec_records(5);
    let largest = records.iter().map(|(_, d)| d.len()).max().expect("records");
    let dir = tempfile::tempdir().expect("temp dir");
    let zip_path = dir.path().join("all.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&zip_path).expect("create"));
    let options = SimpleFileOptions::default();
    for (name, data) in &records {
        zip.start_file(name.as_str(), options).expect("entry");
        zip.write_all(data).expect("write");
    }
    // A real record padded past the limit set below.
    let mut padded = records[0].1.clone();
    padded.extend(std::iter::repeat_n(b'\n', largest * 2));
    zip.start_file("huge.json", options).expect("entry");
    zip.write_all(&padded).expect("write");
    zip.finish().expect("zip finishes");

    let limits = Limits {
        max_file_bytes: (largest * 2) as u64,
        ..Limits::default()
    };
    let db_path = paths::db_path(&dir.path().join("cache"));
    let report = import_with(&db_path, &zip_path, limits);
    assert_eq!(report.feeds[0].advisories as usize, records.len());
    let huge = problem_for(&report, "!huge.json");
    assert!(huge.reason.contains("over the limit"), "{}", huge.reason);
}

#[test]
fn broken_records_reported_and_rest_imports() {
    let records = rustsec_records(12);
    let dir = tempfile::tempdir().expect("temp dir");
    let feed = dir.path().join("feed");
    std::fs::create_dir(&feed).expect("mkdir");
    for (name, data) in &records[4..] {
        std::fs::write(feed.join(name), data).expect("write");
    }

    // Truncated JSON: a real record cut in half.
    let truncated = &records[0].1[..records[0].1.len() / 2];
    std::fs::write(feed.join("truncated.json"), truncated).expect("write");

    // A record without an id.
    let mut no_id: serde_json::Value = serde_json::from_slice(&records[1].1).expect("JSON");
    no_id.as_object_mut().expect("object").remove("id");
    std::fs::write(
        feed.join("no-id.json"),
        serde_json::to_vec(&no_id).expect("JSON"),
    )
    .expect("write");

    // An unknown range type.
    let mut bad_range: serde_json::Value = serde_json::from_slice(&records[2].1).expect("JSON");
    let bad_range_id = json_id(&records[2].1).expect("id");
    bad_range["affected"][0]["ranges"][0]["type"] = "BOGUS".into();
    std::fs::write(
        feed.join("bad-range.json"),
        serde_json::to_vec(&bad_range).expect("JSON"),
    )
    .expect("write");

    // A JSON array whose second record has no id: the first still imports.
    let mut second: serde_json::Value = serde_json::from_slice(&records[3].1).expect("JSON");
    second.as_object_mut().expect("object").remove("id");
    let first: serde_json::Value = serde_json::from_slice(&records[4].1).expect("JSON");
    let array = serde_json::Value::Array(vec![first, second]);
    std::fs::write(
        feed.join("array.json"),
        serde_json::to_vec(&array).expect("JSON"),
    )
    .expect("write");

    // A YAML record without an id, from the PyPA feed.
    let pypa = corpus().join("pypa-advisory-database/vulns.tar.gz");
    let (_, yaml) = tar_members(&pypa, |p| p.ends_with(".yaml")).remove(0);
    let without_id: String = String::from_utf8(yaml)
        .expect("UTF-8")
        .lines()
        .filter(|line| !line.starts_with("id:"))
        .map(|line| format!("{line}\n"))
        .collect();
    std::fs::write(feed.join("no-id.yaml"), without_id).expect("write");

    let db_path = paths::db_path(&dir.path().join("cache"));
    let report = import_with(&db_path, &feed, Limits::default());

    let truncated = problem_for(&report, "truncated.json");
    assert_eq!(truncated.record, None);
    assert!(
        truncated.reason.contains("invalid JSON"),
        "{}",
        truncated.reason
    );
    let no_id = problem_for(&report, "no-id.json");
    assert_eq!(no_id.record.as_deref(), Some("#0"));
    assert!(no_id.reason.contains("\"id\""), "{}", no_id.reason);
    let bad_range = problem_for(&report, "bad-range.json");
    assert_eq!(bad_range.record.as_deref(), Some(bad_range_id.as_str()));
    assert!(
        bad_range.reason.contains("unknown range type \"BOGUS\""),
        "{}",
        bad_range.reason
    );
    let array = problem_for(&report, "array.json");
    assert_eq!(array.record.as_deref(), Some("#1"));
    let yaml = problem_for(&report, "no-id.yaml");
    assert!(yaml.reason.contains("id"), "{}", yaml.reason);
    assert_eq!(report.problems.len(), 5, "{:?}", report.problems);

    // The 8 intact files, and the first record of the array (a repeat of
    // one of them, merged).
    assert_eq!(report.feeds[0].advisories, 8);
    assert_eq!(report.feeds[0].skipped, 5);
    let db = Database::open(&db_path).expect("database opens");
    assert_eq!(db.counts().expect("counts").advisories, 8);
}

#[test]
fn truncated_archive_keeps_previous_feed() {
    let archive = corpus().join("rustsec-advisory-db/osv-crates.tar.gz");
    let dir = tempfile::tempdir().expect("temp dir");
    let copy = dir.path().join("osv-crates.tar.gz");
    std::fs::copy(&archive, &copy).expect("copy");
    let db_path = paths::db_path(&dir.path().join("cache"));
    let first = import_with(&db_path, &copy, Limits::default());
    let stored = first.feeds[0].advisories;
    assert!(stored > 1000);

    // The same path, now cut short: the import fails for that input and
    // the feed stored before stays whole.
    let data = std::fs::read(&archive).expect("reads");
    std::fs::write(&copy, &data[..data.len() / 2]).expect("truncate");
    let second = import_with(&db_path, &copy, Limits::default());
    assert_eq!(second.failed_inputs, [copy.display().to_string()]);
    assert!(second.feeds.is_empty());
    let db = Database::open(&db_path).expect("database opens");
    assert_eq!(db.counts().expect("counts").advisories, stored);
}
