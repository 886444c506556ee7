//! Damaged databases derived from the real fixtures: truncations, flipped bytes,
//! looping overflow chains, absurd header counts and random mutations.
//!
//! Each read must return an error or a subset of the packages of the intact
//! file, and must not panic. `tests/memory.rs` bounds the memory of the same kind
//! of reads.

mod common;

use std::collections::HashSet;

use bulwark_rpmdb::{RpmDbError, RpmPackage, read_header_blob, read_packages};
use common::{Rng, go_rpmdb_fixture, local_fixture};

const LIBUUID: &str = "testdata/libuuid/Packages";
const MARINER: &str = "testdata/cbl-mariner-2.0/rpmdb.sqlite";
const SLE15: &str = "testdata/sle15-bci/Packages.db";
const BLOB: &str = "testdata/blob.bin";
const BDB_PAGE_SIZE: usize = 4096;
const BDB_PAGE_HEADER_LEN: usize = 26;
const NDB_SLOT_PAGE_LEN: usize = 4096;

/// Returns the packages of an intact file, to compare partial results with.
fn intact_packages(name: &str, bytes: &[u8]) -> HashSet<String> {
    read_packages(name, bytes)
        .unwrap_or_else(|error| panic!("intact {name} failed: {error}"))
        .iter()
        .map(describe)
        .collect()
}

fn describe(package: &RpmPackage) -> String {
    format!("{package:?}")
}

/// Checks that a damaged read returned an error naming the file, or only
/// packages of the intact file.
fn assert_error_or_subset(
    name: &str,
    result: &Result<Vec<RpmPackage>, RpmDbError>,
    intact: &HashSet<String>,
    case: &str,
) {
    match result {
        Ok(packages) => {
            for package in packages {
                assert!(
                    intact.contains(&describe(package)),
                    "{case}: package {} {}-{} is not in the intact file",
                    package.name,
                    package.version,
                    package.release
                );
            }
        }
        Err(error) => {
            let message = error.to_string();
            assert!(
                message.contains(name),
                "{case}: message lacks the file name: {message}"
            );
        }
    }
}

/// Returns truncation lengths: every 1/`steps` of the file plus the bytes around
/// every boundary of `boundary` bytes.
fn truncation_lengths(len: usize, steps: usize, boundary: usize) -> Vec<usize> {
    let mut lengths: Vec<usize> = (0..steps).map(|step| len * step / steps).collect();
    for edge in (0..len).step_by(boundary) {
        lengths.extend([edge.saturating_sub(1), edge, edge + 1, edge + 26]);
    }
    lengths.retain(|&length| length < len);
    lengths.sort_unstable();
    lengths.dedup();
    lengths
}

fn check_truncations(name: &str, bytes: &[u8], steps: usize, boundary: usize) -> usize {
    let intact = intact_packages(name, bytes);
    let lengths = truncation_lengths(bytes.len(), steps, boundary);
    for &length in &lengths {
        let result = read_packages(name, &bytes[..length]);
        assert_error_or_subset(name, &result, &intact, &format!("truncated to {length}"));
    }
    lengths.len()
}

#[test]
fn bdb_truncations_fail_cleanly() {
    let bytes = go_rpmdb_fixture(LIBUUID);
    let cases = check_truncations("var/lib/rpm/Packages", &bytes, 200, BDB_PAGE_SIZE);
    assert!(cases > 200, "only {cases} truncations");
    // Any cut inside the overflow chain loses the only package.
    let result = read_packages("var/lib/rpm/Packages", &bytes[..bytes.len() - 1]);
    assert!(result.is_err(), "{result:?}");
}

#[test]
fn sqlite_truncations_fail_cleanly() {
    let bytes = go_rpmdb_fixture(MARINER);
    check_truncations("var/lib/rpm/rpmdb.sqlite", &bytes, 40, 1 << 20);
}

#[test]
fn ndb_truncations_fail_cleanly() {
    let bytes = go_rpmdb_fixture(SLE15);
    check_truncations("var/lib/rpm/Packages.db", &bytes, 150, NDB_SLOT_PAGE_LEN);
}

#[test]
fn header_blob_truncations_fail_cleanly() {
    let bytes = go_rpmdb_fixture(BLOB);
    for length in 0..bytes.len() {
        let result = read_header_blob("blob.bin", &bytes[..length]);
        let error = result.expect_err("a truncated header must be rejected");
        assert!(error.to_string().contains("blob.bin"), "{error}");
    }
}

#[test]
fn bdb_flipped_page_header_bytes_fail_cleanly() {
    let name = "var/lib/rpm/Packages";
    let bytes = go_rpmdb_fixture(LIBUUID);
    let intact = intact_packages(name, &bytes);
    let pages = bytes.len() / BDB_PAGE_SIZE;
    let mut errors = 0;
    for page in 0..pages {
        for offset in 0..BDB_PAGE_HEADER_LEN {
            let mut damaged = bytes.clone();
            damaged[page * BDB_PAGE_SIZE + offset] ^= 0xff;
            let result = read_packages(name, &damaged);
            assert_error_or_subset(
                name,
                &result,
                &intact,
                &format!("page {page} byte {offset}"),
            );
            errors += usize::from(result.is_err());
        }
    }
    // Flips of the page number, type, next page or data length of any page in
    // the chain must be caught, not read as a different package.
    assert!(errors > pages * 4, "only {errors} flips were rejected");
}

#[test]
fn ndb_flipped_header_and_slot_bytes_fail_cleanly() {
    let name = "var/lib/rpm/Packages.db";
    let bytes = go_rpmdb_fixture(SLE15);
    let intact = intact_packages(name, &bytes);
    // The file header and the first 40 slots.
    for offset in 0..32 + 40 * 16 {
        let mut damaged = bytes.clone();
        damaged[offset] ^= 0xff;
        let result = read_packages(name, &damaged);
        assert_error_or_subset(name, &result, &intact, &format!("byte {offset}"));
    }
}

/// Returns the overflow pages of the libuuid fixture: the chain's first page
/// (no previous page) and last page (no next page).
fn overflow_chain_ends(bytes: &[u8]) -> (u32, usize) {
    let mut first = None;
    let mut last = None;
    for page in 1..bytes.len() / BDB_PAGE_SIZE {
        let start = page * BDB_PAGE_SIZE;
        let header = &bytes[start..start + BDB_PAGE_HEADER_LEN];
        if header[25] != 7 {
            continue;
        }
        let previous = u32::from_le_bytes(header[12..16].try_into().unwrap());
        let next = u32::from_le_bytes(header[16..20].try_into().unwrap());
        if previous == 0 {
            first = Some(page as u32);
        }
        if next == 0 {
            last = Some(page);
        }
    }
    (first.expect("a chain start"), last.expect("a chain end"))
}

#[test]
fn bdb_overflow_chain_loop_is_reported() {
    let bytes = go_rpmdb_fixture(LIBUUID);
    let (first, last) = overflow_chain_ends(&bytes);
    assert_ne!(first as usize, last);
    for (case, from, to) in [
        ("last page back to the first", last, first),
        ("first page to itself", first as usize, first),
    ] {
        let mut damaged = bytes.clone();
        let next = from * BDB_PAGE_SIZE + 16;
        damaged[next..next + 4].copy_from_slice(&to.to_le_bytes());
        let error = read_packages("var/lib/rpm/Packages", &damaged).expect_err(case);
        let message = error.to_string();
        assert!(
            message.contains("overflow chain loops"),
            "{case}: {message}"
        );
        assert!(
            message.contains(&format!(
                "invalid Berkeley DB page {first} in var/lib/rpm/Packages"
            )),
            "{case}: {message}"
        );
    }
}

#[test]
fn bdb_overflow_chain_out_of_file_is_reported() {
    let bytes = go_rpmdb_fixture(LIBUUID);
    let (_, last) = overflow_chain_ends(&bytes);
    let mut damaged = bytes.clone();
    let next = last * BDB_PAGE_SIZE + 16;
    damaged[next..next + 4].copy_from_slice(&0x7fff_ffff_u32.to_le_bytes());
    let error = read_packages("var/lib/rpm/Packages", &damaged).unwrap_err();
    assert!(
        error.to_string().contains("overflow page 2147483647"),
        "{error}"
    );
}

#[test]
fn header_with_huge_index_count_is_rejected() {
    let mut blob = go_rpmdb_fixture(BLOB);
    blob[..4].copy_from_slice(&u32::MAX.to_be_bytes());
    let error = read_header_blob("blob.bin", &blob).unwrap_err();
    assert!(
        error.to_string().contains("index count 4294967295"),
        "{error}"
    );

    let mut blob = go_rpmdb_fixture(BLOB);
    blob[4..8].copy_from_slice(&0xffff_fff0_u32.to_be_bytes());
    let error = read_header_blob("blob.bin", &blob).unwrap_err();
    assert!(
        error.to_string().contains("exceeds rpm's maximum"),
        "{error}"
    );
}

#[test]
fn bdb_header_with_huge_index_count_is_rejected() {
    // The header blob of libuuid starts right after the header of the first
    // overflow page.
    let bytes = go_rpmdb_fixture(LIBUUID);
    let (first, _) = overflow_chain_ends(&bytes);
    let mut damaged = bytes.clone();
    let il = first as usize * BDB_PAGE_SIZE + BDB_PAGE_HEADER_LEN;
    damaged[il..il + 4].copy_from_slice(&u32::MAX.to_be_bytes());
    let error = read_packages("var/lib/rpm/Packages", &damaged).unwrap_err();
    let message = error.to_string();
    assert!(message.contains("index count 4294967295"), "{message}");
    assert!(message.contains("at Berkeley DB key"), "{message}");
}

/// Adler-32 of RFC 1950, to keep NDB blobs valid after editing them.
fn adler32(bytes: &[u8]) -> u32 {
    let (mut a, mut b) = (1u64, 0u64);
    for &byte in bytes {
        a = (a + u64::from(byte)) % 65521;
        b = (b + a) % 65521;
    }
    ((b << 16) | a) as u32
}

#[test]
fn ndb_huge_index_count_skips_package() {
    let name = "var/lib/rpm/Packages.db";
    let bytes = go_rpmdb_fixture(SLE15);
    let intact = read_packages(name, &bytes).unwrap();
    // Slot 2, the first one after the file header, points at a blob: edit the
    // header blob's index count and store a matching checksum.
    let block_offset = u32::from_le_bytes(bytes[40..44].try_into().unwrap()) as usize;
    let block_count = u32::from_le_bytes(bytes[44..48].try_into().unwrap()) as usize;
    let start = block_offset * 16;
    let end = start + block_count * 16;
    assert_eq!(&bytes[start..start + 4], b"BlbS");
    let mut damaged = bytes.clone();
    damaged[start + 16..start + 20].copy_from_slice(&u32::MAX.to_be_bytes());
    let checksum = adler32(&damaged[start..end - 12]);
    damaged[end - 12..end - 8].copy_from_slice(&checksum.to_le_bytes());

    let packages = read_packages(name, &damaged).unwrap();
    assert_eq!(packages.len(), intact.len() - 1);
}

#[test]
fn ndb_flipped_blob_byte_fails_checksum() {
    let name = "var/lib/rpm/Packages.db";
    let bytes = go_rpmdb_fixture(SLE15);
    let intact = read_packages(name, &bytes).unwrap();
    let block_offset = u32::from_le_bytes(bytes[40..44].try_into().unwrap()) as usize;
    let mut damaged = bytes.clone();
    // A byte inside the header blob's data store, where a flip could otherwise
    // change a version string unnoticed.
    damaged[block_offset * 16 + 200] ^= 0x01;
    let packages = read_packages(name, &damaged).unwrap();
    assert_eq!(packages.len(), intact.len() - 1);
}

#[test]
fn bdb_big_endian_metadata_is_read() {
    // Swap every field that the reader uses from little-endian to big-endian,
    // as Berkeley DB on a big-endian machine writes them.
    let bytes = go_rpmdb_fixture(LIBUUID);
    let intact = read_packages("Packages", &bytes).unwrap();
    let mut swapped = bytes.clone();
    for (field, width) in [(12, 4), (20, 4), (32, 4)] {
        swapped[field..field + width].reverse();
    }
    for page in 1..bytes.len() / BDB_PAGE_SIZE {
        let start = page * BDB_PAGE_SIZE;
        for (field, width) in [(8, 4), (12, 4), (16, 4), (20, 2), (22, 2)] {
            swapped[start + field..start + field + width].reverse();
        }
        if swapped[start + 25] == 13 {
            let entries = u16::from_be_bytes([swapped[start + 20], swapped[start + 21]]) as usize;
            for index in 0..entries {
                let at = start + BDB_PAGE_HEADER_LEN + index * 2;
                let offset = u16::from_le_bytes([bytes[at], bytes[at + 1]]) as usize;
                swapped[at..at + 2].reverse();
                let item = start + offset;
                match bytes[item] {
                    // Off-page item: page number and total length.
                    3 => {
                        swapped[item + 4..item + 8].reverse();
                        swapped[item + 8..item + 12].reverse();
                    }
                    // A key: rpm's header numbers are native-endian.
                    1 if index % 2 == 0 => {
                        swapped[item + 1..item + 5].reverse();
                    }
                    _ => {}
                }
            }
        }
    }
    let packages = read_packages("Packages", &swapped).unwrap();
    assert_eq!(packages, intact);
}

/// How much of a damaged file's result can be checked.
#[derive(Clone, Copy)]
enum Check {
    /// Every package returned must equal one of the intact file: the format
    /// checksums its records (NDB).
    Subset,
    /// No more packages than in the intact file: without a checksum, a changed
    /// byte inside a header's strings yields a valid package with other text.
    Count,
}

/// Applies `rounds` rounds of 1 to 8 random byte changes and checks each result.
fn check_mutations(name: &str, bytes: &[u8], seed: u64, rounds: usize, check: Check) {
    let intact = intact_packages(name, bytes);
    let mut rng = Rng::new(seed);
    for round in 0..rounds {
        let mut damaged = bytes.to_vec();
        for _ in 0..1 + rng.below(8) {
            let position = rng.below(damaged.len());
            damaged[position] = match rng.below(4) {
                0 => 0,
                1 => 0xff,
                _ => rng.next_u64() as u8,
            };
        }
        let result = read_packages(name, &damaged);
        let case = format!("seed {seed} round {round}");
        match (check, &result) {
            (Check::Count, Ok(packages)) => assert!(
                packages.len() <= intact.len(),
                "{case}: {} packages, the intact file has {}",
                packages.len(),
                intact.len()
            ),
            _ => assert_error_or_subset(name, &result, &intact, &case),
        }
    }
}

#[test]
fn bdb_random_mutations_fail_cleanly() {
    check_mutations(
        "var/lib/rpm/Packages",
        &go_rpmdb_fixture(LIBUUID),
        0x5eed_0001,
        400,
        Check::Count,
    );
    check_mutations(
        "usr/lib/sysimage/rpm/Packages",
        &local_fixture("osv-scalibr/Packages_epoch"),
        0x5eed_0002,
        400,
        Check::Count,
    );
}

#[test]
fn ndb_random_mutations_fail_cleanly() {
    check_mutations(
        "var/lib/rpm/Packages.db",
        &go_rpmdb_fixture(SLE15),
        0x5eed_0003,
        300,
        Check::Subset,
    );
}

#[test]
fn sqlite_random_mutations_fail_cleanly() {
    check_mutations(
        "var/lib/rpm/rpmdb.sqlite",
        &go_rpmdb_fixture(MARINER),
        0x5eed_0004,
        40,
        Check::Count,
    );
}

#[test]
fn header_blob_random_mutations_fail_cleanly() {
    let blob = go_rpmdb_fixture(BLOB);
    let mut rng = Rng::new(0x5eed_0005);
    for _ in 0..3000 {
        let mut damaged = blob.clone();
        for _ in 0..1 + rng.below(4) {
            let position = rng.below(damaged.len());
            damaged[position] = rng.next_u64() as u8;
        }
        if let Err(error) = read_header_blob("blob.bin", &damaged) {
            assert!(error.to_string().contains("blob.bin"), "{error}");
        }
    }
}
