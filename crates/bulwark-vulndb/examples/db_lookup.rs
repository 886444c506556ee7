//! Times `Database::affected_for` over a 1,000-package inventory drawn
//! from the database's own index: the PyPI, Go and crates.io packages the
//! imported feeds name, evenly spaced in name order.
//!
//! Usage: `db_lookup DB_FILE`. Prints the first pass (cold caches in the
//! process) and the median of 20 passes.

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
    let mut passes = Vec::new();
    let mut matches = 0;
    for _ in 0..21 {
        let start = Instant::now();
        matches = 0;
        for (ecosystem, name) in &inventory {
            matches += db.affected_for(ecosystem, None, name)?.len();
        }
        passes.push(start.elapsed());
    }
    let first = passes[0];
    let mut rest = passes[1..].to_vec();
    rest.sort();
    println!(
        "{} packages, {matches} (advisory, affected) pairs; first pass {:.1} ms, median of {} passes {:.1} ms",
        inventory.len(),
        first.as_secs_f64() * 1e3,
        rest.len(),
        rest[rest.len() / 2].as_secs_f64() * 1e3
    );
    Ok(())
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
