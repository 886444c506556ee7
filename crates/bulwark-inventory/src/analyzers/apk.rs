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
        // The database is a list of stanzas of single-letter keys. File
        // entries (`R:`) belong to the directory named by the last `F:`.
        let mut current: Option<Package> = None;
        let mut dir = String::new();
        let mut line_number = 0;
        for line in text.lines().chain(std::iter::once("")) {
            line_number += 1;
            if line.is_empty() {
                if let Some(package) = current.take() {
                    if package.version.is_empty() {
                        return Err(format!(
                            "package {} has no version (V:) before line {line_number}",
                            package.name
                        ));
                    }
                    facts.push(Fact::Package(package));
                }
                dir.clear();
                continue;
            }
            let Some((key, value)) = line.split_once(':') else {
                return Err(format!("line {line_number}: expected KEY:VALUE, found {line:?}"));
            };
            if key == "P" {
                if let Some(package) = current.take() {
                    facts.push(Fact::Package(package));
                }
                current = Some(Package::new(PackageKind::Apk, value, ""));
                continue;
            }
            let Some(package) = current.as_mut() else {
                // Fields before the first P: cannot belong to a package.
                return Err(format!("line {line_number}: {key}: field before any P: line"));
            };
            match key {
                "V" => package.version = value.to_owned(),
                "A" => package.arch = Some(value.to_owned()),
                "o" => package.source_name = Some(value.to_owned()),
                "L" if !value.is_empty() => package.licenses = vec![value.to_owned()],
                "m" => package.maintainer = Some(value.to_owned()),
                "D" => {
                    package.depends_on = value
                        .split_whitespace()
                        .filter(|d| !d.starts_with('!'))
                        .map(str::to_owned)
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
