//! OSV ecosystem names, their releases, and the version scheme each one uses.

use std::fmt;
use std::str::FromStr;

use crate::Scheme;

/// An OSV ecosystem whose versions Bulwark can order, spelled as in the OSV schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Ecosystem {
    /// AlmaLinux (RPM).
    AlmaLinux,
    /// Alpaquita Linux (apk).
    Alpaquita,
    /// Alpine Linux (apk).
    Alpine,
    /// BellSoft Hardened Containers (apk).
    BellSoftHardenedContainers,
    /// Bioconductor R packages.
    Bioconductor,
    /// Bitnami images and charts (SemVer).
    Bitnami,
    /// Chainguard images (apk).
    Chainguard,
    /// CRAN R packages.
    Cran,
    /// Rust crates on crates.io.
    CratesIo,
    /// Debian (dpkg).
    Debian,
    /// The Glasgow Haskell Compiler.
    Ghc,
    /// Go modules.
    Go,
    /// Haskell packages on Hackage.
    Hackage,
    /// Erlang and Elixir packages on Hex.
    Hex,
    /// Mageia (RPM).
    Mageia,
    /// Maven artifacts.
    Maven,
    /// MinimOS (apk).
    MinimOs,
    /// npm packages.
    Npm,
    /// NuGet packages.
    NuGet,
    /// openEuler (RPM).
    OpenEuler,
    /// openSUSE (RPM).
    OpenSuse,
    /// PHP packages on Packagist.
    Packagist,
    /// Photon OS (RPM).
    PhotonOs,
    /// Dart and Flutter packages on pub.dev.
    Pub,
    /// Python packages on PyPI.
    PyPi,
    /// Red Hat (RPM).
    RedHat,
    /// Rocky Linux (RPM).
    RockyLinux,
    /// Ruby gems on RubyGems.org.
    RubyGems,
    /// SUSE (RPM).
    Suse,
    /// Swift packages identified by URL (SemVer).
    SwiftUrl,
    /// Ubuntu (dpkg).
    Ubuntu,
    /// Wolfi (apk).
    Wolfi,
}

/// Every ecosystem with its OSV spelling.
const NAMES: [(Ecosystem, &str); 32] = [
    (Ecosystem::AlmaLinux, "AlmaLinux"),
    (Ecosystem::Alpaquita, "Alpaquita"),
    (Ecosystem::Alpine, "Alpine"),
    (
        Ecosystem::BellSoftHardenedContainers,
        "BellSoft Hardened Containers",
    ),
    (Ecosystem::Bioconductor, "Bioconductor"),
    (Ecosystem::Bitnami, "Bitnami"),
    (Ecosystem::Chainguard, "Chainguard"),
    (Ecosystem::Cran, "CRAN"),
    (Ecosystem::CratesIo, "crates.io"),
    (Ecosystem::Debian, "Debian"),
    (Ecosystem::Ghc, "GHC"),
    (Ecosystem::Go, "Go"),
    (Ecosystem::Hackage, "Hackage"),
    (Ecosystem::Hex, "Hex"),
    (Ecosystem::Mageia, "Mageia"),
    (Ecosystem::Maven, "Maven"),
    (Ecosystem::MinimOs, "MinimOS"),
    (Ecosystem::Npm, "npm"),
    (Ecosystem::NuGet, "NuGet"),
    (Ecosystem::OpenEuler, "openEuler"),
    (Ecosystem::OpenSuse, "openSUSE"),
    (Ecosystem::Packagist, "Packagist"),
    (Ecosystem::PhotonOs, "Photon OS"),
    (Ecosystem::Pub, "Pub"),
    (Ecosystem::PyPi, "PyPI"),
    (Ecosystem::RedHat, "Red Hat"),
    (Ecosystem::RockyLinux, "Rocky Linux"),
    (Ecosystem::RubyGems, "RubyGems"),
    (Ecosystem::Suse, "SUSE"),
    (Ecosystem::SwiftUrl, "SwiftURL"),
    (Ecosystem::Ubuntu, "Ubuntu"),
    (Ecosystem::Wolfi, "Wolfi"),
];

impl Ecosystem {
    /// Returns every supported ecosystem.
    pub fn all() -> impl Iterator<Item = Self> {
        NAMES.iter().map(|(ecosystem, _)| *ecosystem)
    }

    /// Returns the ecosystem's name as OSV spells it, without a release.
    pub fn osv_name(self) -> &'static str {
        NAMES
            .iter()
            .find(|(ecosystem, _)| *ecosystem == self)
            .map_or("", |(_, name)| name)
    }

    /// Looks up an ecosystem by its exact OSV name, without a release suffix.
    pub fn from_osv_name(name: &str) -> Option<Self> {
        NAMES
            .iter()
            .find(|(_, known)| *known == name)
            .map(|(ecosystem, _)| *ecosystem)
    }

    /// Returns the version scheme that orders this ecosystem's versions.
    pub fn scheme(self) -> Scheme {
        Scheme::for_ecosystem(&self)
    }
}

impl fmt::Display for Ecosystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.osv_name())
    }
}

/// An OSV ecosystem string that names no supported ecosystem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown OSV ecosystem {name:?}; expected a name such as \"Debian\", \"PyPI\" or \"npm\"")]
pub struct UnknownEcosystem {
    name: String,
}

impl UnknownEcosystem {
    /// Returns the unrecognized ecosystem name, without its release suffix.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl FromStr for Ecosystem {
    type Err = UnknownEcosystem;

    /// Parses a bare OSV ecosystem name such as `Debian` or `crates.io`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_osv_name(s).ok_or_else(|| UnknownEcosystem {
            name: s.chars().take(120).collect(),
        })
    }
}

/// An OSV ecosystem string: an ecosystem and an optional release, such as `Debian:12`,
/// `Alpine:v3.19`, `Ubuntu:22.04:LTS` or `Red Hat:enterprise_linux:9::appstream`.
///
/// The release is everything after the first `:`, kept verbatim.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OsvEcosystem {
    ecosystem: Ecosystem,
    release: Option<String>,
}

impl OsvEcosystem {
    /// Creates an ecosystem string from its parts.
    pub fn new(ecosystem: Ecosystem, release: Option<String>) -> Self {
        Self { ecosystem, release }
    }

    /// Returns the ecosystem.
    pub fn ecosystem(&self) -> Ecosystem {
        self.ecosystem
    }

    /// Returns the release after the first `:`, if the string had a non-empty one.
    pub fn release(&self) -> Option<&str> {
        self.release.as_deref()
    }
}

impl FromStr for OsvEcosystem {
    type Err = UnknownEcosystem;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (name, release) = match s.split_once(':') {
            Some((name, release)) => (name, Some(release)),
            None => (s, None),
        };
        Ok(Self {
            ecosystem: name.parse()?,
            release: release.filter(|r| !r.is_empty()).map(str::to_owned),
        })
    }
}

impl fmt::Display for OsvEcosystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.ecosystem.osv_name())?;
        if let Some(release) = &self.release {
            write!(f, ":{release}")?;
        }
        Ok(())
    }
}
