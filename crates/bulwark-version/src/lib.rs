//! Exact version ordering and package name normalization for the ecosystems Bulwark matches
//! vulnerabilities in.
//!
//! Each version scheme has its own module with a version type that implements [`Ord`] and a
//! `parse` that rejects invalid versions with a [`VersionError`]. [`compare`] dispatches on
//! a [`Scheme`], and [`Scheme::for_ecosystem`] picks the scheme for an OSV [`Ecosystem`].
//!
//! ```
//! use std::cmp::Ordering;
//! use bulwark_version::{compare, OsvEcosystem, Scheme};
//!
//! let ecosystem: OsvEcosystem = "Debian:12".parse().unwrap();
//! let scheme = Scheme::for_ecosystem(&ecosystem.ecosystem());
//! assert_eq!(scheme, Scheme::Dpkg);
//! assert_eq!(compare(scheme, "1.2-1~deb12u1", "1.2-1").unwrap(), Ordering::Less);
//! ```
//!
//! All schemes compare numbers of any length exactly, without overflow.

use std::cmp::Ordering;
use std::fmt;

pub mod apk;
pub mod composer;
pub mod cran;
pub mod dart;
pub mod dpkg;
mod ecosystem;
mod error;
pub mod golang;
pub mod hackage;
pub mod maven;
mod name;
pub mod nuget;
mod num;
pub mod pep440;
pub mod rpm;
pub mod rubygems;
pub mod semver;

pub use ecosystem::{Ecosystem, OsvEcosystem, UnknownEcosystem};
pub use error::VersionError;
pub use name::normalize_name;

/// Maximum length of a version string under any scheme, in bytes.
///
/// Real versions are far shorter. The bound keeps Maven's list nesting, and so its
/// recursion depth, and every token list small for hostile input.
pub const MAX_VERSION_LEN: usize = 1024;

/// Rejects a version longer than [`MAX_VERSION_LEN`].
pub(crate) fn check_length(scheme: Scheme, version: &str) -> Result<(), VersionError> {
    if version.len() > MAX_VERSION_LEN {
        return Err(VersionError::new(
            scheme,
            version,
            format!(
                "version is {} bytes long; at most {MAX_VERSION_LEN} are accepted",
                version.len()
            ),
        ));
    }
    Ok(())
}

/// A version ordering scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Scheme {
    /// Debian package versions, see [`dpkg`].
    Dpkg,
    /// Alpine package versions, see [`apk`].
    Apk,
    /// RPM EVR strings, see [`rpm`].
    Rpm,
    /// Python package versions, see [`pep440`].
    Pep440,
    /// SemVer 2.0.0 with OSV's allowances, see [`semver`].
    SemVer,
    /// Go module versions, see [`golang`].
    Go,
    /// NuGet package versions, see [`nuget`].
    NuGet,
    /// Maven artifact versions, see [`maven`].
    Maven,
    /// Ruby gem versions, see [`rubygems`].
    RubyGems,
    /// Packagist package versions, see [`composer`].
    Composer,
    /// Dart package versions, see [`dart`].
    Pub,
    /// R package versions, see [`cran`].
    Cran,
    /// Haskell package versions, see [`hackage`].
    Hackage,
}

impl Scheme {
    /// Returns the scheme that orders the versions of `ecosystem`.
    pub fn for_ecosystem(ecosystem: &Ecosystem) -> Self {
        match ecosystem {
            Ecosystem::Debian | Ecosystem::Ubuntu => Self::Dpkg,
            Ecosystem::Alpine
            | Ecosystem::Alpaquita
            | Ecosystem::BellSoftHardenedContainers
            | Ecosystem::Chainguard
            | Ecosystem::MinimOs
            | Ecosystem::Wolfi => Self::Apk,
            Ecosystem::AlmaLinux
            | Ecosystem::Mageia
            | Ecosystem::OpenEuler
            | Ecosystem::OpenSuse
            | Ecosystem::PhotonOs
            | Ecosystem::RedHat
            | Ecosystem::RockyLinux
            | Ecosystem::Suse => Self::Rpm,
            Ecosystem::PyPi => Self::Pep440,
            Ecosystem::Npm
            | Ecosystem::CratesIo
            | Ecosystem::Hex
            | Ecosystem::Bitnami
            | Ecosystem::SwiftUrl => Self::SemVer,
            Ecosystem::Go => Self::Go,
            Ecosystem::NuGet => Self::NuGet,
            Ecosystem::Maven => Self::Maven,
            Ecosystem::RubyGems => Self::RubyGems,
            Ecosystem::Packagist => Self::Composer,
            Ecosystem::Pub => Self::Pub,
            Ecosystem::Cran | Ecosystem::Bioconductor => Self::Cran,
            Ecosystem::Hackage | Ecosystem::Ghc => Self::Hackage,
        }
    }

    /// Checks that `version` is valid under this scheme.
    ///
    /// # Errors
    ///
    /// Returns [`VersionError`] naming the version and what is wrong with it.
    pub fn validate(self, version: &str) -> Result<(), VersionError> {
        match self {
            Self::Dpkg => dpkg::DpkgVersion::parse(version).map(drop),
            Self::Apk => apk::ApkVersion::parse(version).map(drop),
            Self::Rpm => rpm::RpmVersion::parse(version).map(drop),
            Self::Pep440 => pep440::Pep440Version::parse(version).map(drop),
            Self::SemVer => semver::SemVersion::parse(version).map(drop),
            Self::Go => golang::GoVersion::parse(version).map(drop),
            Self::NuGet => nuget::NuGetVersion::parse(version).map(drop),
            Self::Maven => maven::MavenVersion::parse(version).map(drop),
            Self::RubyGems => rubygems::GemVersion::parse(version).map(drop),
            Self::Composer => composer::ComposerVersion::parse(version).map(drop),
            Self::Pub => dart::PubVersion::parse(version).map(drop),
            Self::Cran => cran::CranVersion::parse(version).map(drop),
            Self::Hackage => hackage::HackageVersion::parse(version).map(drop),
        }
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Dpkg => "Debian",
            Self::Apk => "Alpine",
            Self::Rpm => "RPM",
            Self::Pep440 => "PEP 440",
            Self::SemVer => "SemVer",
            Self::Go => "Go",
            Self::NuGet => "NuGet",
            Self::Maven => "Maven",
            Self::RubyGems => "RubyGems",
            Self::Composer => "Packagist",
            Self::Pub => "Pub",
            Self::Cran => "CRAN",
            Self::Hackage => "Hackage",
        })
    }
}

/// Compares two version strings under `scheme`.
///
/// # Errors
///
/// Returns [`VersionError`] for the first of the two strings that is invalid under `scheme`.
pub fn compare(scheme: Scheme, a: &str, b: &str) -> Result<Ordering, VersionError> {
    match scheme {
        Scheme::Dpkg => dpkg::compare(a, b),
        Scheme::Apk => apk::compare(a, b),
        Scheme::Rpm => rpm::compare(a, b),
        Scheme::Pep440 => pep440::compare(a, b),
        Scheme::SemVer => semver::compare(a, b),
        Scheme::Go => golang::compare(a, b),
        Scheme::NuGet => nuget::compare(a, b),
        Scheme::Maven => maven::compare(a, b),
        Scheme::RubyGems => rubygems::compare(a, b),
        Scheme::Composer => composer::compare(a, b),
        Scheme::Pub => dart::compare(a, b),
        Scheme::Cran => cran::compare(a, b),
        Scheme::Hackage => hackage::compare(a, b),
    }
}
