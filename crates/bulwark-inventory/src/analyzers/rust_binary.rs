//! Reads the dependency list that `cargo auditable` embeds in Rust
//! executables: a zlib-compressed JSON document in a section named
//! `.dep-v0` (ELF, PE) or `__dep_v0` (Mach-O).

use std::io::Read;

use bulwark_image::EntryInfo;
use serde::Deserialize;

use super::binary::{Executable, wants_executable};
use super::cargo_lock::cargo_purl;
use crate::analyzer::{Analyzer, Fact};
use crate::package::{Package, PackageKind};

/// Reads Rust executables built with `cargo auditable`.
pub struct RustBinaryAnalyzer;

/// Maximum size of the decompressed dependency list. cargo-auditable
/// itself rejects documents over 8 MiB; real ones are a few kilobytes.
const MAX_JSON_BYTES: u64 = 8 << 20;

impl Analyzer for RustBinaryAnalyzer {
    fn name(&self) -> &'static str {
        "rust-binary"
    }

    fn wants(&self, info: &EntryInfo<'_>) -> bool {
        wants_executable(info)
    }

    fn analyze(&self, _path: &str, data: &[u8]) -> Result<Vec<Fact>, String> {
        let Some(executable) = Executable::parse(data)? else {
            return Ok(Vec::new());
        };
        let Some(section) = executable.section(&[".dep-v0", "__dep_v0"])? else {
            return Ok(Vec::new());
        };
        let packages = parse_audit_data(section.data)?;
        Ok(packages.into_iter().map(Fact::Package).collect())
    }
}

#[derive(Deserialize)]
struct AuditData {
    packages: Vec<AuditPackage>,
}

#[derive(Deserialize)]
struct AuditPackage {
    name: String,
    version: String,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    dependencies: Vec<usize>,
    #[serde(default)]
    root: bool,
}

/// Decodes the compressed content of a `.dep-v0` section.
///
/// Build-time dependencies (`"kind": "build"`: build scripts and their
/// dependencies) are left out because their code is not in the
/// executable. The root package is the executable's own crate and is
/// marked direct, as are the crates it depends on.
pub(crate) fn parse_audit_data(compressed: &[u8]) -> Result<Vec<Package>, String> {
    let mut json = Vec::new();
    flate2::read::ZlibDecoder::new(compressed)
        .take(MAX_JSON_BYTES + 1)
        .read_to_end(&mut json)
        .map_err(|e| format!("invalid zlib data in the .dep-v0 section: {e}"))?;
    if json.len() as u64 > MAX_JSON_BYTES {
        return Err(format!(
            "the .dep-v0 section expands to more than {MAX_JSON_BYTES} bytes"
        ));
    }
    let audit: AuditData = serde_json::from_slice(&json)
        .map_err(|e| format!("invalid JSON in the .dep-v0 section: {e}"))?;
    let count = audit.packages.len();
    for (i, package) in audit.packages.iter().enumerate() {
        if let Some(bad) = package.dependencies.iter().find(|&&d| d >= count) {
            return Err(format!(
                "package {} ({}) depends on index {bad}, but the list has {count} packages",
                i, package.name
            ));
        }
    }

    let root_deps: Vec<usize> = audit
        .packages
        .iter()
        .filter(|p| p.root)
        .flat_map(|p| p.dependencies.iter().copied())
        .collect();
    let has_root = audit.packages.iter().any(|p| p.root);
    let packages = audit
        .packages
        .iter()
        .enumerate()
        .filter(|(_, p)| p.kind.as_deref() != Some("build"))
        .map(|(i, audited)| {
            let mut package = Package::new(PackageKind::Cargo, &audited.name, &audited.version);
            package.purl = cargo_purl(&audited.name, &audited.version);
            package.depends_on = audited
                .dependencies
                .iter()
                .map(|&d| &audit.packages[d])
                .filter(|d| d.kind.as_deref() != Some("build"))
                .map(|d| format!("{}@{}", d.name, d.version))
                .collect();
            if has_root {
                package.direct = Some(audited.root || root_deps.contains(&i));
            }
            package
        })
        .collect();
    Ok(packages)
}
