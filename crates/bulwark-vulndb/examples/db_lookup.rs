//! Times `Database::affected_for` and `Database::affected_entries_for`
//! over a 1,000-package inventory drawn from the database's own index: the
//! PyPI, Go and crates.io packages the imported feeds name, evenly spaced
//! in name order.
//!
//! Usage: `db_lookup DB_FILE`. Prints, for each function, the first pass
//! (cold caches in the process) and the median of 20 passes, as wall time
//! and as the CPU time of the thread (from `/proc/thread-self/schedstat`),
//! which a machine shared with other jobs inflates less.

use std::time::Instant;

use bulwark_vulndb::Database;
use rusqlite::{Connection, OpenFlags};

/// Packages per ecosystem in the inventory.
const SHARE: [(&str, usize); 3] = [("PyPI", 400), ("Go", 300), ("crates.io", 300)];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args_os()
        .nth(1)
        .ok_or("usage: db_lookup DB_FILE")?;
    let path = std::path::PathBuf::from(path);
    let inventory = inventory(&path)?;
    let db = Database::open(&path)?;
    println!("{} packages", inventory.len());
    time_passes("affected_for", || {
        let mut matches = 0;
        for (ecosystem, name) in &inventory {
            matches += db.affected_for(ecosystem, None, name)?.len();
        }
        Ok(matches)
    })?;
    time_passes("affected_entries_for", || {
        let mut matches = 0;
        for (ecosystem, name) in &inventory {
            matches += db.affected_entries_for(ecosystem, None, name)?.len();
        }
        Ok(matches)
    })?;
    Ok(())
}

/// Runs `pass` 21 times and prints the matches it counts and its times.
fn time_passes(
    label: &str,
    mut pass: impl FnMut() -> Result<usize, bulwark_vulndb::Error>,
) -> Result<(), bulwark_vulndb::Error> {
    let mut wall = Vec::new();
    let mut cpu = Vec::new();
    let mut matches = 0;
    for _ in 0..21 {
        let start = Instant::now();
        let cpu_start = thread_cpu_ns();
        matches = pass()?;
        wall.push(start.elapsed().as_secs_f64() * 1e3);
        cpu.push((thread_cpu_ns() - cpu_start) as f64 / 1e6);
    }
    println!("{label}: {matches} (advisory, affected) pairs");
    for (what, times) in [("wall", wall), ("CPU", cpu)] {
        let mut rest = times[1..].to_vec();
        rest.sort_by(f64::total_cmp);
        println!(
            "  {what}: first pass {:.1} ms, median of {} passes {:.1} ms",
            times[0],
            rest.len(),
            rest[rest.len() / 2]
        );
    }
    Ok(())
}

/// Returns the CPU time of this thread in nanoseconds, or 0 where
/// `/proc/thread-self/schedstat` is missing.
fn thread_cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|text| text.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// Picks the inventory from the `packages` index.
fn inventory(path: &std::path::Path) -> Result<Vec<(String, String)>, Box<dyn std::error::Error>> {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let mut inventory = Vec::new();
    for (ecosystem, count) in SHARE {
        let mut statement = conn.prepare(
            "SELECT packages.name FROM packages JOIN ecosystems \
             ON ecosystems.id = packages.ecosystem \
             WHERE ecosystems.ecosystem = ?1 AND ecosystems.release = '' ORDER BY packages.name",
        )?;
        let names: Vec<String> = statement
            .query_map([ecosystem], |row| row.get(0))?
            .collect::<Result<_, _>>()?;
        if names.is_empty() {
            return Err(format!("no {ecosystem} packages in the database").into());
        }
        let step = (names.len() / count).max(1);
        inventory.extend(
            names
                .iter()
                .step_by(step)
                .take(count)
                .map(|name| (ecosystem.to_owned(), name.clone())),
        );
    }
    Ok(inventory)
}
