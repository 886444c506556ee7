//! Reads Composer's `composer.lock`: `packages` are needed at run time and
//! `packages-dev` only for development.

use std::collections::BTreeMap;

use bulwark_image::EntryInfo;
use serde::Deserialize;

use crate::analyzer::{Analyzer, Fact};
use crate::package::{Package, PackageKind};
use crate::purl::PurlBuilder;

/// Reads Composer lockfiles.
pub struct ComposerLockAnalyzer;

impl Analyzer for ComposerLockAnalyzer {
    fn name(&self) -> &'static str {
        "composer-lock"
    }

    fn wants(&self, info: &EntryInfo<'_>) -> bool {
        info.path.rsplit('/').next() == Some("composer.lock")
    }

    fn analyze(&self, _path: &str, data: &[u8]) -> Result<Vec<Fact>, String> {
        let lock: Lockfile =
            serde_json::from_slice(data).map_err(|e| format!("invalid composer.lock JSON: {e}"))?;
        let mut entries: Vec<(ComposerPackage, Option<bool>)> = Vec::new();
        entries.extend(lock.packages.into_iter().map(|p| (p, Some(false))));
        entries.extend(lock.packages_dev.into_iter().map(|p| (p, Some(true))));
        // TODO: direct dependencies are listed in the neighbouring
        // composer.json, which an analyzer of one file cannot read.
        Ok(to_packages(entries)
            .into_iter()
            .map(Fact::Package)
            .collect())
    }
}

#[derive(Deserialize)]
struct Lockfile {
    #[serde(default)]
    packages: Vec<ComposerPackage>,
    #[serde(default, rename = "packages-dev")]
    packages_dev: Vec<ComposerPackage>,
}

/// One package entry, as `composer.lock` and `installed.json` share it.
#[derive(Deserialize)]
pub(crate) struct ComposerPackage {
    pub(crate) name: String,
    pub(crate) version: String,
    #[serde(default)]
    license: Licenses,
    #[serde(default)]
    require: BTreeMap<String, serde_json::Value>,
}

/// `license` is a list of SPDX identifiers, or one string as composer.json
/// also allows.
#[derive(Deserialize, Default)]
#[serde(untagged)]
enum Licenses {
    #[default]
    None,
    One(String),
    Many(Vec<String>),
}

/// Turns entries with their dev flag into packages. `require` edges name
/// other entries; platform requirements such as `php` or `ext-json` have
/// no vendor and are dropped.
pub(crate) fn to_packages(entries: Vec<(ComposerPackage, Option<bool>)>) -> Vec<Package> {
    let versions: BTreeMap<String, String> = entries
        .iter()
        .map(|(p, _)| (p.name.to_ascii_lowercase(), p.version.clone()))
        .collect();
    entries
        .into_iter()
        .map(|(entry, dev)| {
            let mut package = Package::new(PackageKind::Composer, &entry.name, &entry.version);
            package.purl = purl(&entry.name, &entry.version);
            package.licenses = match entry.license {
                Licenses::None => Vec::new(),
                Licenses::One(license) => vec![license],
                Licenses::Many(licenses) => licenses,
            };
            package.dev = dev;
            package.depends_on = entry
                .require
                .keys()
                .filter(|name| name.contains('/'))
                .map(|name| match versions.get(&name.to_ascii_lowercase()) {
                    Some(version) => format!("{name}@{version}"),
                    None => name.clone(),
                })
                .collect();
            package
        })
        .collect()
}

/// Builds `pkg:composer/vendor/name@version`: the vendor is the namespace.
fn purl(name: &str, version: &str) -> String {
    match name.split_once('/') {
        Some((vendor, project)) => PurlBuilder::new("composer", project).namespace(vendor),
        None => PurlBuilder::new("composer", name),
    }
    .version(version)
    .build()
}
