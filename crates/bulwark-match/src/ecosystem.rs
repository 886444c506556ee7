//! Which advisories a package is looked up in: the OSV ecosystem, release
//! and package name, and the version compared with their ranges.

use bulwark_inventory::{Os, Package, PackageKind};
use bulwark_version::{Ecosystem, Scheme};

/// Where the advisories of one package are, and what to compare.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lookup {
    /// OSV ecosystem.
    pub ecosystem: Ecosystem,
    /// Release suffix for distributions (`v3.19`, `12`, `22.04:LTS`).
    pub release: Option<String>,
    /// Name the advisories use.
    pub name: String,
    /// Version compared with the advisories' ranges.
    pub version: String,
    /// Scheme that orders the ecosystem's versions.
    pub scheme: Scheme,
}

impl Lookup {
    /// Returns the ecosystem as OSV writes it, with the release
    /// (`Alpine:v3.19`).
    pub fn ecosystem_string(&self) -> String {
        match &self.release {
            Some(release) if !release.is_empty() => format!("{}:{release}", self.ecosystem),
            _ => self.ecosystem.to_string(),
        }
    }
}

/// The distribution ecosystem of an OS and the release names its feeds may
/// use, most specific first. `None` when no feed covers the distribution.
pub fn os_ecosystem(os: &Os) -> Option<(Ecosystem, Vec<String>)> {
    let version = os.version.trim();
    let mut numbers = version.split('.');
    let major = numbers
        .next()
        .filter(|m| !m.is_empty() && m.bytes().all(|b| b.is_ascii_digit()))?;
    let minor = numbers.next();
    let (ecosystem, releases) = match os.family.as_str() {
        // Alpine feeds are per minor release: 3.19.4 uses `v3.19`.
        "alpine" => (Ecosystem::Alpine, vec![format!("v{major}.{}", minor?)]),
        "debian" => (Ecosystem::Debian, vec![major.to_owned()]),
        // OSV spells LTS releases `Ubuntu:22.04:LTS`; the others `Ubuntu:23.04`.
        "ubuntu" => {
            let release = format!("{major}.{}", minor?);
            (Ecosystem::Ubuntu, vec![format!("{release}:LTS"), release])
        }
        "redhat" => (Ecosystem::RedHat, vec![major.to_owned()]),
        "almalinux" => (Ecosystem::AlmaLinux, vec![major.to_owned()]),
        "rocky" => (Ecosystem::RockyLinux, vec![major.to_owned()]),
        _ => return None,
    };
    Some((ecosystem, releases))
}

/// The ecosystem of a language package, or `None` when OSV has none for
/// its kind (Conan) or the kind is an OS package.
pub fn language_ecosystem(kind: PackageKind) -> Option<Ecosystem> {
    Some(match kind {
        PackageKind::Npm => Ecosystem::Npm,
        PackageKind::Pypi => Ecosystem::PyPi,
        PackageKind::Cargo => Ecosystem::CratesIo,
        PackageKind::Golang => Ecosystem::Go,
        PackageKind::Maven => Ecosystem::Maven,
        PackageKind::Gem => Ecosystem::RubyGems,
        PackageKind::Composer => Ecosystem::Packagist,
        PackageKind::Nuget => Ecosystem::NuGet,
        PackageKind::Pub => Ecosystem::Pub,
        PackageKind::Swift => Ecosystem::SwiftUrl,
        PackageKind::Hex => Ecosystem::Hex,
        PackageKind::Apk | PackageKind::Deb | PackageKind::Rpm | PackageKind::Conan => {
            return None;
        }
    })
}

/// Returns whether packages of `kind` belong to the distribution family.
pub fn kind_matches_os(kind: PackageKind, ecosystem: Ecosystem) -> bool {
    matches!(
        (kind, Scheme::for_ecosystem(&ecosystem)),
        (PackageKind::Apk, Scheme::Apk)
            | (PackageKind::Deb, Scheme::Dpkg)
            | (PackageKind::Rpm, Scheme::Rpm)
    )
}

/// The lookup of an OS package in `ecosystem` and `release`.
///
/// Debian, Ubuntu and Alpine publish advisories per source package, so the
/// source name and version are used; the RPM distributions publish them
/// per binary package, with `epoch:version-release`.
pub fn os_lookup(package: &Package, ecosystem: Ecosystem, release: &str) -> Lookup {
    let scheme = Scheme::for_ecosystem(&ecosystem);
    let (name, version) = match package.kind {
        PackageKind::Deb | PackageKind::Apk => (
            package
                .source_name
                .clone()
                .unwrap_or_else(|| package.name.clone()),
            package
                .source_version
                .clone()
                .unwrap_or_else(|| package.full_version()),
        ),
        _ => (package.name.clone(), package.full_version()),
    };
    Lookup {
        ecosystem,
        release: Some(release.to_owned()),
        name,
        version,
        scheme,
    }
}

/// The lookup of a language package, or `None` for kinds OSV lacks.
pub fn language_lookup(package: &Package) -> Option<Lookup> {
    let ecosystem = language_ecosystem(package.kind)?;
    Some(Lookup {
        ecosystem,
        release: None,
        name: package.name.clone(),
        version: package.version.clone(),
        scheme: Scheme::for_ecosystem(&ecosystem),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(family: &str, version: &str) -> Os {
        Os {
            family: family.to_owned(),
            version: version.to_owned(),
            pretty_name: None,
            codename: None,
            distroless: false,
        }
    }

    #[test]
    fn releases_follow_feed_spelling() {
        let check = |family, version| os_ecosystem(&os(family, version));
        assert_eq!(
            check("alpine", "3.19.4"),
            Some((Ecosystem::Alpine, vec!["v3.19".to_owned()]))
        );
        assert_eq!(
            check("debian", "12.15"),
            Some((Ecosystem::Debian, vec!["12".to_owned()]))
        );
        assert_eq!(
            check("ubuntu", "22.04"),
            Some((
                Ecosystem::Ubuntu,
                vec!["22.04:LTS".to_owned(), "22.04".to_owned()]
            ))
        );
        assert_eq!(
            check("rocky", "9.3"),
            Some((Ecosystem::RockyLinux, vec!["9".to_owned()]))
        );
        assert_eq!(check("debian", "trixie/sid"), None);
        assert_eq!(check("photon", "5.0"), None);
    }

    #[test]
    fn debian_uses_the_source_package() {
        let mut package = Package::new(PackageKind::Deb, "libssl3", "3.0.11-1~deb12u2");
        package.source_name = Some("openssl".to_owned());
        package.source_version = Some("3.0.11-1~deb12u2".to_owned());
        let lookup = os_lookup(&package, Ecosystem::Debian, "12");
        assert_eq!(lookup.name, "openssl");
        assert_eq!(lookup.ecosystem_string(), "Debian:12");
    }

    #[test]
    fn rpm_uses_the_binary_package() {
        let mut package = Package::new(PackageKind::Rpm, "openssl-libs", "3.0.7");
        package.epoch = Some(1);
        package.release = Some("24.el9".to_owned());
        package.source_name = Some("openssl".to_owned());
        let lookup = os_lookup(&package, Ecosystem::AlmaLinux, "9");
        assert_eq!(lookup.name, "openssl-libs");
        assert_eq!(lookup.version, "1:3.0.7-24.el9");
    }
}
