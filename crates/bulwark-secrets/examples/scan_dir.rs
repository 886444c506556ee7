//! Scans every file under a directory with the built-in rules and reports
//! throughput.
//!
//! Usage: `cargo run --release -p bulwark-secrets --example scan_dir -- DIR`
//! (default DIR: `$BULWARK_BENCH_DIR`, else the corpus `config/realworld`
//! folder beside the repository). Prints bytes scanned, seconds and MB/s
//! (10^6 bytes per second) on stderr and the finding count on stdout. The
//! files are read into memory first, so the figure measures scanning only.
//! Set `SCAN_DIR_VERBOSE=1` to print each finding as JSON on stdout.

use std::path::PathBuf;
use std::time::Instant;

use bulwark_secrets::{Scanner, SecretConfig};
use rayon::prelude::*;

fn main() {
    let dir = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("BULWARK_BENCH_DIR").map(PathBuf::from))
        .unwrap_or_else(|| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../../shared/corpus/config/realworld"
            ))
        });
    let scanner = Scanner::new(&SecretConfig::default()).expect("built-in rules compile");

    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(&dir).sort_by_file_name() {
        let entry = match entry {
            Ok(entry) => entry,
            Err(err) => {
                eprintln!("warning: {err}");
                continue;
            }
        };
        if !entry.file_type().is_file() {
            continue;
        }
        let path = entry.path().to_string_lossy().into_owned();
        let size = entry.metadata().map(|m| m.len()).unwrap_or(u64::MAX);
        if !scanner.wants(&path, size) {
            continue;
        }
        match std::fs::read(entry.path()) {
            Ok(data) => files.push((path, data)),
            Err(err) => eprintln!("warning: {path}: {err}"),
        }
    }
    let bytes: usize = files.iter().map(|(_, data)| data.len()).sum();

    let start = Instant::now();
    let findings: Vec<_> = files
        .par_iter()
        .flat_map_iter(|(path, data)| scanner.scan(path, data))
        .collect();
    let seconds = start.elapsed().as_secs_f64();

    eprintln!(
        "scanned {} files, {bytes} bytes in {seconds:.3} s: {:.1} MB/s on {} threads",
        files.len(),
        bytes as f64 / seconds / 1e6,
        rayon::current_num_threads()
    );
    if std::env::var_os("SCAN_DIR_VERBOSE").is_some() {
        for finding in &findings {
            println!(
                "{}",
                serde_json::to_string(finding).expect("findings serialize")
            );
        }
    }
    println!("{} findings", findings.len());
}
