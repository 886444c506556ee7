//! Helpers shared by the feed tests: corpus paths and archive members.

#![allow(dead_code)]

use std::io::Read;
use std::path::{Path, PathBuf};

use bulwark_osv::{Advisory, Affected};
use bulwark_vulndb::feeds::{FeedConverter, FeedError, Record, RecordError};

/// Returns the corpus `scan` directory.
pub fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/scan")
}

/// Reads the members of a `.tar.gz` whose path contains every one of
/// `parts`, in archive order, into memory.
pub fn members(archive: &str, parts: &[&str]) -> Vec<(String, Vec<u8>)> {
    let file = std::fs::File::open(corpus().join(archive)).unwrap();
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let mut out = Vec::new();
    for entry in tar.entries().unwrap() {
        let mut entry = entry.unwrap();
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let path = entry.path().unwrap().to_string_lossy().into_owned();
        if parts.iter().all(|part| path.contains(part)) {
            let mut data = Vec::new();
            entry.read_to_end(&mut data).unwrap();
            out.push((path, data));
        }
    }
    out
}

/// The records one conversion produced.
pub struct Converted {
    pub advisories: Vec<Advisory>,
    pub errors: Vec<RecordError>,
}

/// Converts one file and collects its records.
pub fn convert(
    converter: &dyn FeedConverter,
    path: &Path,
    data: &[u8],
) -> Result<Converted, FeedError> {
    let mut converted = Converted {
        advisories: Vec::new(),
        errors: Vec::new(),
    };
    converter.convert(path, data, &mut |record| match record {
        Ok(Record::Advisory(advisory)) => converted.advisories.push(*advisory),
        Ok(other) => panic!("unexpected record {other:?}"),
        Err(error) => converted.errors.push(error),
    })?;
    Ok(converted)
}

/// Returns the first `fixed` event of an entry.
pub fn fixed_of(affected: &Affected) -> Option<&str> {
    affected
        .ranges
        .iter()
        .flat_map(|range| &range.events)
        .find_map(|event| event.fixed.as_deref())
}
