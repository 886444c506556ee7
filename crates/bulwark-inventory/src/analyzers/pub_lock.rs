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
    source: Option<String>,
    description: Option<Description>,
}

/// `description` is a map for hosted, git and path packages and a plain
/// string (the SDK name) for SDK packages.
#[derive(Deserialize)]
#[serde(untagged)]
enum Description {
    Map {
        url: Option<String>,
        #[serde(rename = "resolved-ref")]
        resolved_ref: Option<String>,
    },
    Other(serde::de::IgnoredAny),
}

/// Builds one package. SDK packages such as `flutter` carry the placeholder
/// version `0.0.0` in the lockfile, and it is kept as written.
fn to_package(name: &str, entry: &Entry) -> Package {
    let mut package = Package::new(PackageKind::Pub, name, &entry.version);
    let (mut vcs_url, mut repository_url) = (None, None);
    if let (
        Some(source),
        Some(Description::Map {
            url: Some(url),
            resolved_ref,
        }),
    ) = (&entry.source, &entry.description)
    {
        match source.as_str() {
            "git" => vcs_url = Some(vcs(url, resolved_ref.as_deref().unwrap_or_default())),
            "hosted" if !is_default_host(url) => repository_url = Some(url.as_str()),
            _ => {}
        }
    }
    package.purl = PurlBuilder::new("pub", name)
        .version(&entry.version)
        .qualifier("repository_url", repository_url)
        .qualifier("vcs_url", vcs_url.as_deref())
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

/// Builds a purl `vcs_url`: `git+https://host/repo@revision` for URLs with
/// a scheme, and the scp-like `git@host:repo` form as written.
fn vcs(url: &str, revision: &str) -> String {
    let base = if url.contains("://") && !url.starts_with("git+") {
        format!("git+{url}")
    } else {
        url.to_owned()
    };
    if revision.is_empty() {
        base
    } else {
        format!("{base}@{revision}")
    }
}

/// Returns whether `url` is pub.dev, the default repository of the `pub`
/// purl type, under its current or former name.
fn is_default_host(url: &str) -> bool {
    let host = url.split_once("://").map_or(url, |(_, rest)| rest);
    let host = host.split('/').next().unwrap_or(host);
    matches!(host, "pub.dev" | "pub.dartlang.org")
}
