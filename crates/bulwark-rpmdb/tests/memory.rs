//! Bounds the memory that reading damaged databases allocates.
//!
//! The global allocator refuses any allocation beyond a limit set before each
//! read, which aborts the test binary. This file contains a single test so that no
//! other test allocates concurrently. SQLite allocates through its own
//! allocator, so only the Berkeley DB, NDB and header readers are covered.

mod common;

use std::alloc::System;

use bulwark_rpmdb::{read_header_blob, read_packages};
use cap::Cap;
use common::{Rng, go_rpmdb_fixture, local_fixture};

#[global_allocator]
static ALLOCATOR: Cap<System> = Cap::new(System, usize::MAX);

/// Allowed allocation for reading a file of `len` bytes: 8 bytes per input byte
/// plus 8 MiB. A reader that trusted a stored count or length could ask for
/// gigabytes.
fn budget(len: usize) -> usize {
    8 * len + (8 << 20)
}

/// Runs `read` with the allocator limited to the current use plus `budget(len)`.
fn with_limit(len: usize, read: impl FnOnce()) {
    let limit = ALLOCATOR.allocated() + budget(len);
    ALLOCATOR
        .set_limit(limit)
        .expect("the limit is above the current use");
    read();
    ALLOCATOR.set_limit(usize::MAX).expect("lifting the limit");
}

fn mutate(bytes: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut damaged = bytes.to_vec();
    for _ in 0..1 + rng.below(8) {
        let position = rng.below(damaged.len());
        damaged[position] = match rng.below(3) {
            0 => 0xff,
            _ => rng.next_u64() as u8,
        };
    }
    damaged
}

#[test]
fn damaged_reads_stay_within_memory_budget() {
    let files = [
        ("Packages", go_rpmdb_fixture("testdata/libuuid/Packages")),
        (
            "Packages.db",
            go_rpmdb_fixture("testdata/sle15-bci/Packages.db"),
        ),
        (
            "Packages_epoch",
            local_fixture("osv-scalibr/Packages_epoch"),
        ),
    ];
    let mut rng = Rng::new(0x6d65_6d6f);
    for (name, bytes) in &files {
        with_limit(bytes.len(), || {
            read_packages(name, bytes).expect("intact file reads");
        });
        for _ in 0..200 {
            let damaged = mutate(bytes, &mut rng);
            with_limit(damaged.len(), || {
                let _ = read_packages(name, &damaged);
            });
        }
    }

    let blob = go_rpmdb_fixture("testdata/blob.bin");
    let mut counts = blob.clone();
    counts[..4].copy_from_slice(&u32::MAX.to_be_bytes());
    counts[4..8].copy_from_slice(&u32::MAX.to_be_bytes());
    with_limit(counts.len(), || {
        read_header_blob("blob.bin", &counts).expect_err("absurd counts are rejected");
    });
    for _ in 0..2000 {
        let damaged = mutate(&blob, &mut rng);
        with_limit(damaged.len(), || {
            let _ = read_header_blob("blob.bin", &damaged);
        });
    }
}
