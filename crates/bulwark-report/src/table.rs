//! The human-readable table.

use std::fmt::Write;

use bulwark_inventory::Inventory;

const HEADERS: [&str; 5] = ["NAME", "VERSION", "TYPE", "SOURCE", "LOCATION"];

/// Writes a summary line, one row per package in inventory order, then
/// one line per read error and per skipped entry. Control characters from
/// the image are escaped so that a crafted package name cannot drive the
/// terminal.
pub fn write_table(inventory: &Inventory) -> String {
    let mut out = String::new();
    let os = inventory.os.as_ref().map_or_else(
        || "unknown OS".to_owned(),
        |os| format!("{} {}", os.family, os.version),
    );
    let count = inventory.packages.len();
    let noun = if count == 1 { "package" } else { "packages" };
    let summary = format!(
        "{} ({}, {}): {count} {noun}",
        inventory.source.target, inventory.source.kind, os
    );
    let _ = writeln!(out, "{}", escape_controls(&summary));
    let rows: Vec<[String; 5]> = inventory
        .packages
        .iter()
        .map(|p| {
            let source = match &p.source_name {
                Some(name) if *name != p.name => name.clone(),
                _ => String::new(),
            };
            [
                p.name.clone(),
                p.full_version(),
                p.kind.as_str().to_owned(),
                source,
                p.locations.first().cloned().unwrap_or_default(),
            ]
            .map(|cell| escape_controls(&cell))
        })
        .collect();
    let mut widths = HEADERS.map(str::len);
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    if !rows.is_empty() {
        out.push('\n');
        push_row(&mut out, &HEADERS.map(str::to_owned), &widths);
        for row in &rows {
            push_row(&mut out, row, &widths);
        }
    }
    for error in &inventory.errors {
        let _ = writeln!(out, "\nerror: {}", escape_controls(error));
    }
    for warning in &inventory.warnings {
        let _ = writeln!(out, "\nwarning: {}", escape_controls(warning));
    }
    out
}

/// Replaces control characters with their Rust escape, such as `\u{1b}`.
fn escape_controls(text: &str) -> String {
    if !text.chars().any(char::is_control) {
        return text.to_owned();
    }
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(escape_controls("evil\u{1b}[2Jname"), "evil\\u{1b}[2Jname");
        assert_eq!(escape_controls("tab\there"), "tab\\there");
        assert_eq!(escape_controls("plain-ü"), "plain-ü");
    }
}
