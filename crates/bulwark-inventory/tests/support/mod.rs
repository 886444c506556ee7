//! Helpers shared by the inventory tests: corpus paths, unpacking single
//! members of corpus archives, and the peers' expectation tables.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use bulwark_image::{Limits, Target};
use bulwark_inventory::{Analyzer, AnalyzerSet, Fact, Inventory, Package};

/// The shared corpus, next to the repository.
pub fn corpus() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let corpus = root.join("../shared/corpus");
    assert!(
        corpus.is_dir(),
        "corpus not found at {}: tests read real inputs from ../shared/corpus next to the repository",
        corpus.display()
    );
    corpus
}

/// Unpacks the members of a corpus `.tar.gz` whose path starts with
/// `prefix` into a new temporary directory, keeping their paths.
pub fn unpack(archive: &str, prefix: &str) -> tempfile::TempDir {
    let path = corpus().join(archive);
    let file = File::open(&path).unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let dir = tempfile::tempdir().expect("create temp dir");
    let mut found = 0;
    for entry in tar.entries().expect("read corpus archive") {
        let mut entry = entry.expect("read corpus archive entry");
        let name = entry
            .path()
            .expect("entry path")
            .to_string_lossy()
            .into_owned();
        let name = name.trim_start_matches("./").to_owned();
        if !name.starts_with(prefix) {
            continue;
        }
        found += 1;
        entry.unpack_in(dir.path()).expect("unpack corpus member");
    }
    assert!(found > 0, "no member of {archive} starts with {prefix:?}");
    dir
}

/// Reads one file out of a corpus `.tar.gz`.
pub fn read_member(archive: &str, member: &str) -> Vec<u8> {
    let path = corpus().join(archive);
    let file = File::open(&path).unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(file));
    for entry in tar.entries().expect("read corpus archive") {
        let mut entry = entry.expect("read corpus archive entry");
        let name = entry
            .path()
            .expect("entry path")
            .to_string_lossy()
            .into_owned();
        if name.trim_start_matches("./") == member {
            let mut data = Vec::new();
            entry.read_to_end(&mut data).expect("read member");
            return data;
        }
    }
    panic!("{member} not found in {archive}");
}

/// One row of a peer's `EXPECTED-from-go-tests.tsv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedRow {
    pub test_file: String,
    pub fixture: String,
    pub via: String,
    pub name: String,
    pub version: String,
    pub extra: String,
}

/// Reads every row of `<peer>/EXPECTED-from-go-tests.tsv`.
pub fn expected_rows(peer: &str) -> Vec<ExpectedRow> {
    let path = corpus()
        .join("scan")
        .join(peer)
        .join("EXPECTED-from-go-tests.tsv");
    let text =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let cols: Vec<&str> = line.split('\t').collect();
            (cols.len() >= 5).then(|| ExpectedRow {
                test_file: cols[0].to_owned(),
                fixture: cols[1].to_owned(),
                via: cols[2].to_owned(),
                name: cols[3].to_owned(),
                version: cols[4].to_owned(),
                extra: cols.get(5).copied().unwrap_or_default().to_owned(),
            })
        })
        .collect()
}

/// Rows of a TSV file with a header line, as maps from column to value.
pub fn tsv_records(path: &Path) -> Vec<std::collections::BTreeMap<String, String>> {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or_default().split('\t').collect();
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            header
                .iter()
                .zip(line.split('\t'))
                .map(|(k, v)| ((*k).to_owned(), v.to_owned()))
                .collect()
        })
        .collect()
}

/// Inventories a directory with every analyzer.
pub fn inventory_dir(path: &Path) -> Inventory {
    bulwark_inventory::inventory_directory(path, &Limits::default(), &AnalyzerSet::all())
        .unwrap_or_else(|e| panic!("inventory {}: {e}", path.display()))
}

// Helpers of the table-driven language tests.

/// Reads every member of a corpus archive under `prefix` in one pass.
pub fn members(archive: &str, prefix: &str) -> BTreeMap<String, Vec<u8>> {
    let path = corpus().join(archive);
    let file = File::open(&path).unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let mut out = BTreeMap::new();
    for entry in tar.entries().expect("read corpus archive") {
        let mut entry = entry.expect("read corpus archive entry");
        let name = entry
            .path()
            .expect("entry path")
            .to_string_lossy()
            .into_owned();
        let name = name.trim_start_matches("./").to_owned();
        if name.starts_with(prefix) && entry.header().entry_type().is_file() {
            let mut data = Vec::new();
            entry.read_to_end(&mut data).expect("read member");
            out.insert(name, data);
        }
    }
    assert!(
        !out.is_empty(),
        "no member of {archive} starts with {prefix:?}"
    );
    out
}

/// Splits a txtar archive into its files.
pub fn txtar(data: &[u8]) -> BTreeMap<String, Vec<u8>> {
    let text = String::from_utf8_lossy(data);
    let mut files = BTreeMap::new();
    let mut current: Option<(String, String)> = None;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_end();
        if let Some(name) = trimmed
            .strip_prefix("-- ")
            .and_then(|rest| rest.strip_suffix(" --"))
        {
            if let Some((name, body)) = current.take() {
                files.insert(name, body.into_bytes());
            }
            current = Some((name.to_owned(), String::new()));
        } else if let Some((_, body)) = current.as_mut() {
            body.push_str(line);
        }
    }
    if let Some((name, body)) = current {
        files.insert(name, body.into_bytes());
    }
    files
}

pub fn name_versions(rows: &[ExpectedRow]) -> BTreeSet<(String, String)> {
    rows.iter()
        .map(|r| (r.name.clone(), r.version.clone()))
        .collect()
}

pub fn packages(analyzer: &dyn Analyzer, path: &str, data: &[u8]) -> Result<Vec<Package>, String> {
    analyzer.analyze(path, data).map(|facts| {
        facts
            .into_iter()
            .filter_map(|f| match f {
                Fact::Package(p) => Some(p),
                _ => None,
            })
            .collect()
    })
}

pub fn found(packages: &[Package]) -> BTreeSet<(String, String)> {
    packages
        .iter()
        .map(|p| (p.name.clone(), p.version.clone()))
        .collect()
}

pub fn pairs(items: &[(&str, &str)]) -> BTreeSet<(String, String)> {
    items
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect()
}

/// Returns the OCI layout of a rebuilt corpus image, failing with the
/// command that builds it when it is missing.
pub fn corpus_image(name: &str) -> PathBuf {
    let dir =
        std::env::var("BULWARK_CORPUS_IMAGES").unwrap_or_else(|_| "/tmp/corpus-images".into());
    let layout = PathBuf::from(&dir).join("oci").join(name);
    assert!(
        layout.join("index.json").is_file(),
        "rebuilt test images not found in {dir}: run `OUT={dir} ../shared/corpus/images/build.sh`"
    );
    layout
}

/// Inventories an image once per test binary; the tests share it.
pub fn image_inventory(name: &'static str) -> &'static Inventory {
    static CACHE: OnceLock<Mutex<BTreeMap<&'static str, &'static Inventory>>> = OnceLock::new();
    let mut cache = CACHE
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    cache.entry(name).or_insert_with(|| {
        let layout = corpus_image(name);
        let target = Target::parse(&format!("oci:{}", layout.display())).expect("parse target");
        let image =
            bulwark_image::open_image(&target, None, &Limits::default()).expect("open image");
        let inventory =
            bulwark_inventory::inventory_image(&image, &Limits::default(), &AnalyzerSet::all());
        Box::leak(Box::new(inventory))
    })
}
