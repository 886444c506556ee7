//! Reads Dart's `pubspec.lock`. Each entry under `packages` has a
//! `dependency` kind (`direct main`, `direct dev`, `direct overridden` or
//! `transitive`), a `source` (`hosted`, `git`, `path` or `sdk`) and a
//! `version`. The lockfile has no dependency edges.

use std::collections::BTreeMap;

use bulwark_image::EntryInfo;
use serde::Deserialize;

use crate::analyzer::{Analyzer, Fact};
use crate::package::{Package, PackageKind};
use crate::purl::PurlBuilder;

/// Reads Dart and Flutter lockfiles.
pub struct PubLockAnalyzer;

impl Analyzer for PubLockAnalyzer {
    fn name(&self) -> &'static str {
        "pubspec-lock"
    }

    fn wants(&self, info: &EntryInfo<'_>) -> bool {
        info.path.rsplit('/').next() == Some("pubspec.lock")
    }

    fn analyze(&self, _path: &str, data: &[u8]) -> Result<Vec<Fact>, String> {
        let lock: Option<Lockfile> =
            yaml_serde::from_slice(data).map_err(|e| format!("invalid pubspec.lock: {e}"))?;
        let entries = lock.and_then(|l| l.packages).unwrap_or_default();
        Ok(entries
            .into_iter()
            .map(|(name, entry)| Fact::Package(to_package(&name, &entry)))
            .collect())
    }
}

#[derive(Deserialize)]
struct Lockfile {
    packages: Option<BTreeMap<String, Entry>>,
}

#[derive(Deserialize)]
struct Entry {
    dependency: Option<String>,
    version: String,
}

/// Builds one package. SDK packages such as `flutter` carry the version
/// `0.0.0`, which the lockfile writes for every package shipped inside the
/// Flutter SDK; it is kept as written.
fn to_package(name: &str, entry: &Entry) -> Package {
    let mut package = Package::new(PackageKind::Pub, name, &entry.version);
    package.purl = PurlBuilder::new("pub", name)
        .version(&entry.version)
        .build();
    match entry.dependency.as_deref() {
        Some("direct main") => {
            package.direct = Some(true);
            package.dev = Some(false);
        }
        Some("direct dev") => {
            package.direct = Some(true);
            package.dev = Some(true);
        }
        Some("direct overridden") => package.direct = Some(true),
        Some("transitive") => package.direct = Some(false),
        _ => {}
    }
    package
}
