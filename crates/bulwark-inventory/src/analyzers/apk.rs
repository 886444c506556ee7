//! Reads Alpine's installed database, `lib/apk/db/installed`.

use bulwark_image::EntryInfo;

use crate::analyzer::{Analyzer, Fact};
use crate::package::{Package, PackageKind};

/// Reads apk's installed database (Alpine, Wolfi, Chainguard).
pub struct ApkAnalyzer;

const DB_PATH: &str = "lib/apk/db/installed";

impl Analyzer for ApkAnalyzer {
    fn name(&self) -> &'static str {
        "apk"
    }

    fn wants(&self, info: &EntryInfo<'_>) -> bool {
        info.path == DB_PATH
    }

    fn analyze(&self, _path: &str, data: &[u8]) -> Result<Vec<Fact>, String> {
        let text = std::str::from_utf8(data).map_err(|e| format!("not UTF-8 text: {e}"))?;
        let mut facts = Vec::new();
        // The database is a list of stanzas of single-letter keys in any
        // order. File entries (`R:`) belong to the directory named by the
        // last `F:` line before them.
        let mut current: Option<Package> = None;
        let mut dir = String::new();
        let mut stanza_start = 1;
        for (index, line) in text.lines().chain(std::iter::once("")).enumerate() {
            let line_number = index + 1;
            if line.is_empty() {
                if let Some(package) = current.take() {
                    if package.name.is_empty() {
                        return Err(format!(
                            "the package record at line {stanza_start} has no name (P:)"
                        ));
                    }
                    if package.version.is_empty() {
                        return Err(format!(
                            "package {} at line {stanza_start} has no version (V:)",
                            package.name
                        ));
                    }
                    facts.push(Fact::Package(package));
                }
                dir.clear();
                stanza_start = line_number + 1;
                continue;
            }
            let Some((key, value)) = line.split_once(':') else {
                return Err(format!(
                    "line {line_number}: expected KEY:VALUE, found {line:?}"
                ));
            };
            let package = current.get_or_insert_with(|| Package::new(PackageKind::Apk, "", ""));
            match key {
                "P" => package.name = value.to_owned(),
                "V" => package.version = value.to_owned(),
                "A" => package.arch = Some(value.to_owned()),
                "o" => package.source_name = Some(value.to_owned()),
                "L" if !value.is_empty() => package.licenses = vec![value.to_owned()],
                "m" => package.maintainer = Some(value.to_owned()),
                "D" => {
                    package.depends_on = value
                        .split_whitespace()
                        .filter(|d| !d.starts_with('!'))
                        .map(|d| {
                            // Strip version constraints such as `musl>=1.2`.
                            let end = d.find(['<', '>', '=', '~']).unwrap_or(d.len());
                            d[..end].to_owned()
                        })
                        .collect();
                }
                "F" => dir = value.to_owned(),
                "R" => {
                    let file = if dir.is_empty() {
                        format!("/{value}")
                    } else {
                        format!("/{dir}/{value}")
                    };
                    package.files.push(file);
                }
                _ => {}
            }
        }
        for fact in &mut facts {
            if let Fact::Package(package) = fact {
                // apk's origin is the source package; its version is the
                // binary package's version.
                if package.source_name.is_none() {
                    package.source_name = Some(package.name.clone());
                }
                package.source_version = Some(package.version.clone());
            }
        }
        Ok(facts)
    }
}
