//! Reads the rpm database in its three formats (SQLite, Berkeley DB, NDB).

use bulwark_image::EntryInfo;

use crate::analyzer::{Analyzer, Fact};
use crate::package::{Package, PackageKind};

/// Reads rpm databases (RHEL, CentOS, Fedora, SUSE, Amazon Linux, ...).
pub struct RpmAnalyzer;

const DB_DIRS: [&str; 2] = ["var/lib/rpm/", "usr/lib/sysimage/rpm/"];
const DB_NAMES: [&str; 3] = ["Packages", "Packages.db", "rpmdb.sqlite"];

impl Analyzer for RpmAnalyzer {
    fn name(&self) -> &'static str {
        "rpm"
    }

    fn wants(&self, info: &EntryInfo<'_>) -> bool {
        DB_DIRS.iter().any(|dir| {
            info.path
                .strip_prefix(dir)
                .is_some_and(|name| DB_NAMES.contains(&name))
        })
    }

    fn analyze(&self, path: &str, data: &[u8]) -> Result<Vec<Fact>, String> {
        let packages = bulwark_rpmdb::read_packages(path, data).map_err(|e| e.to_string())?;
        let mut facts = Vec::new();
        for rpm in packages {
            if rpm.is_gpg_pubkey() {
                continue;
            }
            let mut package = Package::new(PackageKind::Rpm, rpm.name.clone(), rpm.version.clone());
            package.epoch = rpm.epoch.filter(|e| *e != 0);
            package.release = Some(rpm.release.clone());
            package.arch = rpm.arch.clone();
            if let Some((name, version, release)) = rpm.source_nvr() {
                package.source_name = Some(name);
                package.source_version = Some(format!("{version}-{release}"));
            }
            package.licenses = rpm.license.iter().cloned().collect();
            package.maintainer = rpm.vendor.clone();
            package.files = rpm.files.clone();
            facts.push(Fact::Package(package));
        }
        Ok(facts)
    }
}
