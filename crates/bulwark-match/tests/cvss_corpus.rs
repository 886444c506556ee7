//! CVSS scores checked against real data and an independent oracle.
//!
//! - Every (vector, score) pair that an advisory record in the corpus states
//!   must match the score computed here.
//! - Every vector found in the corpus, every v3.0 and v3.1 base vector,
//!   every v4.0 base vector and a deterministic sample of v4.0 vectors with
//!   threat and environmental metrics must get the same score and rating as
//!   Red Hat's Python `cvss` package (`tests/cvss_oracle.py`, interpreter
//!   from `BULWARK_PYTHON`).

mod support;

use std::collections::{BTreeMap, BTreeSet};

use bulwark_match::cvss::{CvssVector, CvssVersion};
use serde_json::Value;
use support::{corpus, run_python, tar_members};

/// Archives whose advisory records state scores next to vectors: NVD API
/// pages, Red Hat CSAF and security data, SUSE and GitHub records as vunnel
/// and vuln-list store them, and OSV records. Trivy's integration fixture
/// database is left out because it is hand-edited test data: it pairs
/// `CVSS:3.1/AV:L/AC:L/PR:H/UI:N/S:C/C:H/I:N/A:N` with 7.5, where the v3.1
/// equations and the oracle both give 6.0.
const SCORED_ARCHIVES: &[&str] = &[
    "anchore-vunnel-fixtures/test-fixtures.tar.gz",
    "vuln-list-update/testdata.tar.gz",
    "trivy-db/vulnsrc-testdata.tar.gz",
    "golang-vulndb/osv.tar.gz",
    "rustsec-advisory-db/osv-crates.tar.gz",
];

/// Archives searched for vectors, with or without a stated score.
const VECTOR_ARCHIVES: &[&str] = &[
    "anchore-vunnel-fixtures/test-fixtures.tar.gz",
    "vuln-list-update/testdata.tar.gz",
    "trivy-db/vulnsrc-testdata.tar.gz",
    "golang-vulndb/osv.tar.gz",
    "rustsec-advisory-db/osv-crates.tar.gz",
    "pypa-advisory-database/vulns.tar.gz",
    "osv-scanner/testdata-and-snapshots.tar.gz",
    "trivy/integration-testdata.tar.gz",
];

/// Returns the GHSA sample files: path and content.
fn ghsa_sample() -> Vec<(String, Vec<u8>)> {
    let dir = corpus().join("ghsa-sample");
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .expect("read ghsa-sample")
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .map(|path| {
            let data = std::fs::read(&path).expect("read GHSA file");
            (path.display().to_string(), data)
        })
        .collect();
    files.sort();
    files
}

fn is_vector(text: &str) -> bool {
    ["CVSS:3.0/", "CVSS:3.1/", "CVSS:4.0/"]
        .iter()
        .any(|prefix| text.starts_with(prefix))
}

/// Parses a stated score: a JSON number, or a string holding one.
fn stated_score(value: &Value) -> Option<f64> {
    match value {
        Value::Number(number) => number.as_f64(),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

/// Returns the score stated next to a vector found under `key` in `object`,
/// in the layouts the corpus uses: `baseScore` (NVD, CSAF), `base_score`
/// and `base_metrics.base_score` (vunnel), `cvss3_base_score` (Red Hat
/// security data), and `V3Score` beside `V3Vector` (vuln-list, trivy-db).
fn score_beside(object: &serde_json::Map<String, Value>, key: &str) -> Option<f64> {
    let mut keys = vec![
        "baseScore".to_owned(),
        "base_score".to_owned(),
        "cvss3_base_score".to_owned(),
        "cvss4_base_score".to_owned(),
    ];
    if let Some(stem) = key.strip_suffix("Vector") {
        keys.push(format!("{stem}Score"));
    }
    keys.iter()
        .find_map(|name| object.get(name).and_then(stated_score))
        .or_else(|| {
            object
                .get("base_metrics")?
                .get("base_score")
                .and_then(stated_score)
        })
}

/// Collects (vector, stated score, file) from a JSON document.
fn collect_pairs(value: &Value, file: &str, pairs: &mut Vec<(String, f64, String)>) {
    match value {
        Value::Object(object) => {
            for (key, item) in object {
                if let Value::String(text) = item
                    && is_vector(text)
                    && let Some(score) = score_beside(object, key)
                {
                    pairs.push((text.clone(), score, file.to_owned()));
                }
                collect_pairs(item, file, pairs);
            }
        }
        Value::Array(items) => {
            for item in items {
                collect_pairs(item, file, pairs);
            }
        }
        _ => {}
    }
}

/// Returns every string in `data` that starts like a CVSS v3.x or v4.0
/// vector, up to the first character that cannot be part of one.
fn scan_vectors(data: &[u8], vectors: &mut BTreeSet<String>) {
    let text = String::from_utf8_lossy(data);
    let mut rest: &str = &text;
    while let Some(start) = rest.find("CVSS:") {
        let candidate = &rest[start..];
        let end = candidate
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | ':' | '/')))
            .unwrap_or(candidate.len());
        let vector = &candidate[..end];
        if is_vector(vector) {
            vectors.insert(vector.to_owned());
        }
        rest = &candidate[5..];
    }
}

fn scored_pairs() -> Vec<(String, f64, String)> {
    let mut files = ghsa_sample();
    for archive in SCORED_ARCHIVES {
        files.extend(tar_members(&corpus().join(archive), |path| {
            path.ends_with(".json")
        }));
    }
    let mut pairs = Vec::new();
    for (file, data) in &files {
        if let Ok(document) = serde_json::from_slice::<Value>(data) {
            collect_pairs(&document, file, &mut pairs);
        }
    }
    pairs
}

fn corpus_vectors() -> BTreeSet<String> {
    let mut vectors = BTreeSet::new();
    for (_, data) in ghsa_sample() {
        scan_vectors(&data, &mut vectors);
    }
    for archive in VECTOR_ARCHIVES {
        for (_, data) in tar_members(&corpus().join(archive), |_| true) {
            scan_vectors(&data, &mut vectors);
        }
    }
    vectors
}

#[test]
fn stated_scores_match() {
    let pairs = scored_pairs();
    let mut per_version: BTreeMap<&str, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    for (vector, stated, file) in &pairs {
        let parsed = match CvssVector::parse(vector) {
            Ok(parsed) => parsed,
            Err(error) => {
                failures.push(format!("{file}: {error}"));
                continue;
            }
        };
        *per_version.entry(parsed.version().as_str()).or_default() += 1;
        let computed = parsed.score();
        if f64::from(computed.tenths()) != (stated * 10.0).round() {
            failures.push(format!(
                "{file}: {vector} states {stated}, computed {computed}"
            ));
        }
    }
    let distinct: BTreeSet<(&str, u64)> = pairs
        .iter()
        .map(|(vector, stated, _)| (vector.as_str(), stated.to_bits()))
        .collect();
    eprintln!(
        "checked {} stated scores ({} distinct pairs): {per_version:?}",
        pairs.len(),
        distinct.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {} stated scores differ:\n{}",
        failures.len(),
        pairs.len(),
        failures.join("\n")
    );
    for version in ["3.0", "3.1", "4.0"] {
        assert!(
            per_version.get(version).copied().unwrap_or(0) > 0,
            "the corpus yielded no CVSS {version} vector with a stated score"
        );
    }
}

/// Scores `vectors` with the oracle and with this crate, and returns one
/// line per disagreement.
fn compare_with_oracle(vectors: &[String]) -> Vec<String> {
    let script = support::script("cvss_oracle.py");
    let mut input = vectors.join("\n");
    input.push('\n');
    let (code, stdout, stderr) = run_python(&script, &[], input.as_bytes());
    assert_eq!(code, 0, "cvss_oracle.py failed: {stderr}");
    let verdicts: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        verdicts.len(),
        vectors.len(),
        "the oracle returned {} lines for {} vectors",
        verdicts.len(),
        vectors.len()
    );

    let mut disagreements = Vec::new();
    for (vector, verdict) in vectors.iter().zip(verdicts) {
        let ours = CvssVector::parse(vector);
        let fields: Vec<&str> = verdict.split('\t').collect();
        match (fields.as_slice(), &ours) {
            (["ok", score, rating], Ok(parsed)) => {
                let computed = format!("{}\t{}", parsed.score(), parsed.rating());
                if computed != format!("{score}\t{rating}") {
                    disagreements.push(format!(
                        "{vector}: oracle {score} {rating}, computed {computed}"
                    ));
                }
            }
            (["error", _], Err(_)) => {}
            (["ok", score, _], Err(error)) => {
                disagreements.push(format!(
                    "{vector}: oracle scores {score}, we reject: {error}"
                ));
            }
            (["error", message], Ok(parsed)) => disagreements.push(format!(
                "{vector}: oracle rejects ({message}), we score {}",
                parsed.score()
            )),
            _ => disagreements.push(format!("{vector}: unreadable oracle line {verdict:?}")),
        }
    }
    disagreements
}

fn assert_oracle_agrees(what: &str, vectors: &[String]) {
    let disagreements = compare_with_oracle(vectors);
    eprintln!("{what}: {} vectors compared with the oracle", vectors.len());
    assert!(
        disagreements.is_empty(),
        "{what}: {} of {} vectors disagree with the oracle:\n{}",
        disagreements.len(),
        vectors.len(),
        disagreements
            .iter()
            .take(50)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn oracle_agrees_on_corpus_vectors() {
    let vectors: Vec<String> = corpus_vectors().into_iter().collect();
    let parsed: Vec<CvssVersion> = vectors
        .iter()
        .filter_map(|vector| CvssVector::parse(vector).ok())
        .map(|vector| vector.version())
        .collect();
    for version in [CvssVersion::V3_0, CvssVersion::V3_1, CvssVersion::V4_0] {
        let count = parsed.iter().filter(|v| **v == version).count();
        eprintln!("corpus: {count} valid CVSS {version} vectors");
        assert!(
            count > 0,
            "the corpus yielded no valid CVSS {version} vector"
        );
    }
    assert_oracle_agrees("corpus", &vectors);
}

/// Returns every combination of one value per metric, as `NAME:VALUE`
/// parts joined by slashes, in metric order.
fn every_combination(metrics: &[(&str, &[&str])]) -> Vec<String> {
    let mut vectors = vec![String::new()];
    for (name, values) in metrics {
        let mut next = Vec::with_capacity(vectors.len() * values.len());
        for prefix in &vectors {
            for value in *values {
                next.push(format!("{prefix}/{name}:{value}"));
            }
        }
        vectors = next;
    }
    vectors
}

#[test]
fn oracle_agrees_on_every_v3_base_vector() {
    let base: &[(&str, &[&str])] = &[
        ("AV", &["N", "A", "L", "P"]),
        ("AC", &["L", "H"]),
        ("PR", &["N", "L", "H"]),
        ("UI", &["N", "R"]),
        ("S", &["U", "C"]),
        ("C", &["H", "L", "N"]),
        ("I", &["H", "L", "N"]),
        ("A", &["H", "L", "N"]),
    ];
    let mut vectors = Vec::new();
    for version in ["3.0", "3.1"] {
        for metrics in every_combination(base) {
            vectors.push(format!("CVSS:{version}{metrics}"));
        }
    }
    assert_eq!(vectors.len(), 2 * 2592);
    assert_oracle_agrees("v3 base space", &vectors);
}

const V4_BASE: &[(&str, &[&str])] = &[
    ("AV", &["N", "A", "L", "P"]),
    ("AC", &["L", "H"]),
    ("AT", &["N", "P"]),
    ("PR", &["N", "L", "H"]),
    ("UI", &["N", "P", "A"]),
    ("VC", &["H", "L", "N"]),
    ("VI", &["H", "L", "N"]),
    ("VA", &["H", "L", "N"]),
    ("SC", &["H", "L", "N"]),
    ("SI", &["H", "L", "N"]),
    ("SA", &["H", "L", "N"]),
];

#[test]
fn oracle_agrees_on_every_v4_base_vector() {
    let vectors: Vec<String> = every_combination(V4_BASE)
        .into_iter()
        .map(|metrics| format!("CVSS:4.0{metrics}"))
        .collect();
    assert_eq!(vectors.len(), 104_976);
    assert_oracle_agrees("v4 base space", &vectors);
}

#[test]
fn oracle_agrees_on_v4_threat_environmental_sample() {
    let optional: &[(&str, &[&str])] = &[
        ("E", &["X", "A", "P", "U"]),
        ("CR", &["X", "H", "M", "L"]),
        ("IR", &["X", "H", "M", "L"]),
        ("AR", &["X", "H", "M", "L"]),
        ("MAV", &["X", "N", "A", "L", "P"]),
        ("MAC", &["X", "L", "H"]),
        ("MAT", &["X", "N", "P"]),
        ("MPR", &["X", "N", "L", "H"]),
        ("MUI", &["X", "N", "P", "A"]),
        ("MVC", &["X", "H", "L", "N"]),
        ("MVI", &["X", "H", "L", "N"]),
        ("MVA", &["X", "H", "L", "N"]),
        ("MSC", &["X", "H", "L", "N"]),
        ("MSI", &["X", "S", "H", "L", "N"]),
        ("MSA", &["X", "S", "H", "L", "N"]),
    ];
    // A fixed linear congruential generator (Knuth's MMIX constants) picks
    // the values, so every run checks the same 30,000 vectors. Each
    // optional metric is left out about a third of the time.
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = |bound: usize| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((state >> 33) as usize) % bound
    };
    let mut vectors = BTreeSet::new();
    while vectors.len() < 30_000 {
        let mut vector = String::from("CVSS:4.0");
        for (name, values) in V4_BASE {
            vector.push_str(&format!("/{name}:{}", values[next(values.len())]));
        }
        for (name, values) in optional {
            if next(3) != 0 {
                vector.push_str(&format!("/{name}:{}", values[next(values.len())]));
            }
        }
        vectors.insert(vector);
    }
    let vectors: Vec<String> = vectors.into_iter().collect();
    assert_oracle_agrees("v4 threat and environmental sample", &vectors);
}
