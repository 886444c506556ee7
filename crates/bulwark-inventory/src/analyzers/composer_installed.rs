//! Reads `vendor/composer/installed.json`, Composer's record of what it
//! installed. Composer 1 writes a bare array of packages, and Composer 2
//! writes `{"packages": [...], "dev-package-names": [...]}`.

use bulwark_image::EntryInfo;
use serde::Deserialize;

use crate::analyzer::{Analyzer, Fact};
use crate::analyzers::composer_lock::{ComposerPackage, to_packages};

/// Reads the packages that Composer installed into a `vendor` directory.
pub struct ComposerInstalledAnalyzer;

impl Analyzer for ComposerInstalledAnalyzer {
    fn name(&self) -> &'static str {
        "composer-installed"
    }

    fn wants(&self, info: &EntryInfo<'_>) -> bool {
        info.path == "vendor/composer/installed.json"
            || info.path.ends_with("/vendor/composer/installed.json")
    }

    fn analyze(&self, _path: &str, data: &[u8]) -> Result<Vec<Fact>, String> {
        let value: serde_json::Value =
            serde_json::from_slice(data).map_err(|e| format!("invalid installed.json: {e}"))?;
        let entries = if value.is_array() {
            // Composer 1 does not record which packages are for development.
            let packages: Vec<ComposerPackage> =
                serde_json::from_value(value).map_err(|e| format!("invalid package entry: {e}"))?;
            packages.into_iter().map(|p| (p, None)).collect()
        } else if value.get("packages").is_some() {
            let installed: InstalledV2 =
                serde_json::from_value(value).map_err(|e| format!("invalid package entry: {e}"))?;
            let dev_names = installed.dev_package_names;
            installed
                .packages
                .into_iter()
                .map(|p| {
                    let dev = dev_names.as_ref().map(|names| names.contains(&p.name));
                    (p, dev)
                })
                .collect()
        } else {
            return Err("expected a package array or an object with `packages`".to_owned());
        };
        Ok(to_packages(entries)
            .into_iter()
            .map(Fact::Package)
            .collect())
    }
}

#[derive(Deserialize)]
struct InstalledV2 {
    packages: Vec<ComposerPackage>,
    #[serde(default, rename = "dev-package-names")]
    dev_package_names: Option<Vec<String>>,
}
