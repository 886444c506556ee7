//! The human-readable table.

use std::fmt::Write;

use bulwark_inventory::Inventory;

/// Writes a summary line and one row per package.
pub fn write_table(inventory: &Inventory) -> String {
    let mut out = String::new();
    let os = inventory.os.as_ref().map_or_else(
        || "unknown OS".to_owned(),
        |os| format!("{} {}", os.family, os.version),
    );
    let _ = writeln!(
        out,
        "{} ({}, {}): {} packages",
        inventory.source.target,
        inventory.source.kind,
        os,
        inventory.packages.len()
    );
    let headers = ["NAME", "VERSION", "TYPE", "SOURCE", "LOCATION"];
    let rows: Vec<[String; 5]> = inventory
        .packages
        .iter()
        .map(|p| {
            let source = match (&p.source_name, &p.source_version) {
                (Some(name), _) if *name != p.name => name.clone(),
                _ => String::new(),
            };
            [
                p.name.clone(),
                p.full_version(),
                p.kind.as_str().to_owned(),
                source,
                p.locations.first().cloned().unwrap_or_default(),
            ]
        })
        .collect();
    let mut widths = headers.map(str::len);
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    if !rows.is_empty() {
        out.push('\n');
        push_row(&mut out, &headers.map(str::to_owned), &widths);
        for row in &rows {
            push_row(&mut out, row, &widths);
        }
    }
    for error in &inventory.errors {
        let _ = writeln!(out, "\nerror: {error}");
    }
    out
}

fn push_row(out: &mut String, cells: &[String; 5], widths: &[usize; 5]) {
    let mut line = String::new();
    for (i, (cell, width)) in cells.iter().zip(widths).enumerate() {
        if i + 1 == cells.len() {
            line.push_str(cell);
        } else {
            let _ = write!(line, "{cell:<width$}  ");
        }
    }
    out.push_str(line.trim_end());
    out.push('\n');
}
