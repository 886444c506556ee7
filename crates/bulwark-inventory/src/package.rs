//! The package model shared by every analyzer and report.

use serde::Serialize;

/// The packaging system a package belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PackageKind {
    Apk,
    Deb,
    Rpm,
    Npm,
    Pypi,
    Cargo,
    Golang,
    Maven,
    Gem,
    Composer,
    Nuget,
    Pub,
    Swift,
    Hex,
    Conan,
}

impl PackageKind {
    /// Returns whether the OS package manager owns packages of this kind.
    pub fn is_os(self) -> bool {
        matches!(self, Self::Apk | Self::Deb | Self::Rpm)
    }

    /// The purl type for this kind.
    pub fn purl_type(self) -> &'static str {
        match self {
            Self::Apk => "apk",
            Self::Deb => "deb",
            Self::Rpm => "rpm",
            Self::Npm => "npm",
            Self::Pypi => "pypi",
            Self::Cargo => "cargo",
            Self::Golang => "golang",
            Self::Maven => "maven",
            Self::Gem => "gem",
            Self::Composer => "composer",
            Self::Nuget => "nuget",
            Self::Pub => "pub",
            Self::Swift => "swift",
            Self::Hex => "hex",
            Self::Conan => "conan",
        }
    }

    /// The lowercase name used in reports.
    pub fn as_str(self) -> &'static str {
        self.purl_type()
    }
}

/// The layer that introduced a package.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct LayerInfo {
    /// Index of the layer, 0 for the base layer.
    pub index: usize,
    /// Digest of the uncompressed layer, when the source has layers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff_id: Option<String>,
}

/// One installed or declared package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Package {
    /// Stable identifier, unique within one inventory: the purl, with the
    /// location appended when the same purl occurs in several places.
    pub id: String,
    pub kind: PackageKind,
    /// Name as the package manager or registry spells it.
    pub name: String,
    /// Version without the epoch.
    pub version: String,
    /// Epoch of dpkg and rpm versions, when not zero or absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub epoch: Option<u32>,
    /// Release part of rpm versions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub release: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arch: Option<String>,
    /// Source package name (dpkg `Source:`, apk origin, rpm source RPM).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_version: Option<String>,
    /// Package URL, per the purl specification.
    pub purl: String,
    /// License expressions or names as the metadata states them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub licenses: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub maintainer: Option<String>,
    /// Layer that introduced the package, for images.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer: Option<LayerInfo>,
    /// Files that prove the package: the database or manifest it was read from.
    pub locations: Vec<String>,
    /// Files the package installs, for OS packages.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<String>,
    /// Packages this one depends on. Analyzers return `name@version` or a
    /// bare `name`; the assembled inventory holds package ids.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
    /// Whether the manifest marks it as a direct dependency.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub direct: Option<bool>,
    /// Whether the manifest marks it as a development-only dependency.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dev: Option<bool>,
}

impl Package {
    /// Creates a package with the required fields; the rest start empty.
    pub fn new(kind: PackageKind, name: impl Into<String>, version: impl Into<String>) -> Self {
        Self {
            id: String::new(),
            kind,
            name: name.into(),
            version: version.into(),
            epoch: None,
            release: None,
            arch: None,
            source_name: None,
            source_version: None,
            purl: String::new(),
            licenses: Vec::new(),
            maintainer: None,
            layer: None,
            locations: Vec::new(),
            files: Vec::new(),
            depends_on: Vec::new(),
            direct: None,
            dev: None,
        }
    }

    /// The full version as the package manager prints it: `epoch:version`
    /// for dpkg, `epoch:version-release` for rpm.
    pub fn full_version(&self) -> String {
        let mut text = String::new();
        if let Some(epoch) = self.epoch {
            text.push_str(&format!("{epoch}:"));
        }
        text.push_str(&self.version);
        if let Some(release) = &self.release {
            text.push('-');
            text.push_str(release);
        }
        text
    }

    /// Key that identifies the same package across layers of one file.
    pub(crate) fn identity(&self) -> (PackageKind, String, String, Option<String>) {
        (
            self.kind,
            self.name.clone(),
            self.full_version(),
            self.arch.clone(),
        )
    }
}
