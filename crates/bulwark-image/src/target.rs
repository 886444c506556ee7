//! Parsing of the TARGET argument.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::error::ImageError;

/// What the user asked to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A `docker save` or `podman save` archive, optionally compressed.
    DockerArchive { path: PathBuf, tag: Option<String> },
    /// An OCI image layout directory.
    OciDir { path: PathBuf, tag: Option<String> },
    /// A tar archive of an OCI image layout.
    OciArchive { path: PathBuf, tag: Option<String> },
    /// A root filesystem or source tree on disk.
    Dir(PathBuf),
    /// A file whose format is detected from its content.
    File(PathBuf),
    /// An image reference pulled from a registry.
    Registry(String),
}

impl Target {
    /// Parses a target such as `docker-archive:img.tar`, `oci:dir:tag`,
    /// `dir:rootfs`, a bare path or a registry reference.
    pub fn parse(text: &str) -> Result<Self, ImageError> {
        let invalid = |reason: &str| ImageError::InvalidTarget {
            target: text.to_owned(),
            reason: reason.to_owned(),
        };
        if let Some(rest) = text.strip_prefix("docker-archive:") {
            let (path, tag) = split_tag(rest);
            return Ok(Self::DockerArchive { path, tag });
        }
        if let Some(rest) = text.strip_prefix("oci-archive:") {
            let (path, tag) = split_tag(rest);
            return Ok(Self::OciArchive { path, tag });
        }
        if let Some(rest) = text.strip_prefix("oci:") {
            let (path, tag) = split_tag(rest);
            return Ok(Self::OciDir { path, tag });
        }
        if let Some(rest) = text.strip_prefix("dir:") {
            return Ok(Self::Dir(PathBuf::from(rest)));
        }
        for prefix in ["registry:", "docker://"] {
            if let Some(rest) = text.strip_prefix(prefix) {
                return Ok(Self::Registry(rest.to_owned()));
            }
        }
        if text.is_empty() {
            return Err(invalid("the target is empty"));
        }
        let path = Path::new(text);
        if path.is_dir() {
            if path.join("oci-layout").is_file() && path.join("index.json").is_file() {
                return Ok(Self::OciDir {
                    path: path.to_owned(),
                    tag: None,
                });
            }
            return Ok(Self::Dir(path.to_owned()));
        }
        if path.exists() {
            return Ok(Self::File(path.to_owned()));
        }
        if looks_like_file_name(text) {
            // A missing archive must not turn into a registry pull: that
            // would send the mistyped name to Docker Hub.
            return Err(invalid(
                "no such file; to pull an image whose name ends like a file, write registry:NAME",
            ));
        }
        if looks_like_reference(text) {
            return Ok(Self::Registry(text.to_owned()));
        }
        Err(invalid(
            "no such file or directory, and not an image reference (use registry/repo:tag)",
        ))
    }
}

/// Splits `PATH[:TAG]`, preferring an existing path that contains a colon.
fn split_tag(text: &str) -> (PathBuf, Option<String>) {
    if Path::new(text).exists() {
        return (PathBuf::from(text), None);
    }
    match text.rsplit_once(':') {
        Some((path, tag)) if !tag.is_empty() && !tag.contains('/') => {
            (PathBuf::from(path), Some(tag.to_owned()))
        }
        _ => (PathBuf::from(text), None),
    }
}

/// Returns whether `text` ends like an archive or document file name
/// rather than an image tag.
fn looks_like_file_name(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    [
        ".tar", ".tgz", ".gz", ".zst", ".zstd", ".json", ".oci", ".sbom", ".xz", ".bz2",
    ]
    .iter()
    .any(|suffix| lower.ends_with(suffix))
}

fn looks_like_reference(text: &str) -> bool {
    !text.starts_with('.')
        && !text.starts_with('/')
        && !text.contains("//")
        && text.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'/' | b':' | b'@')
        })
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let with_tag =
            |f: &mut fmt::Formatter<'_>, kind: &str, path: &Path, tag: &Option<String>| {
                write!(f, "{kind}:{}", path.display())?;
                if let Some(tag) = tag {
                    write!(f, ":{tag}")?;
                }
                Ok(())
            };
        match self {
            Self::DockerArchive { path, tag } => with_tag(f, "docker-archive", path, tag),
            Self::OciDir { path, tag } => with_tag(f, "oci", path, tag),
            Self::OciArchive { path, tag } => with_tag(f, "oci-archive", path, tag),
            Self::Dir(path) => write!(f, "dir:{}", path.display()),
            Self::File(path) => write!(f, "{}", path.display()),
            Self::Registry(reference) => f.write_str(reference),
        }
    }
}

/// An image platform such as `linux/amd64` or `linux/arm64/v8`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    pub os: String,
    pub architecture: String,
    pub variant: Option<String>,
}

impl Platform {
    /// Parses `os/arch[/variant]`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let parts: Vec<&str> = text.split('/').collect();
        match parts.as_slice() {
            [os, arch] if !os.is_empty() && !arch.is_empty() => Ok(Self {
                os: (*os).to_owned(),
                architecture: (*arch).to_owned(),
                variant: None,
            }),
            [os, arch, variant] if !os.is_empty() && !arch.is_empty() => Ok(Self {
                os: (*os).to_owned(),
                architecture: (*arch).to_owned(),
                variant: Some((*variant).to_owned()),
            }),
            _ => Err(format!(
                "invalid platform {text:?}: expected os/arch or os/arch/variant"
            )),
        }
    }

    /// The platform of the running machine, in OCI spelling.
    pub fn host() -> Self {
        let architecture = match std::env::consts::ARCH {
            "x86_64" => "amd64",
            "aarch64" => "arm64",
            "x86" => "386",
            "powerpc64" => "ppc64le",
            other => other,
        };
        Self {
            os: "linux".to_owned(),
            architecture: architecture.to_owned(),
            variant: None,
        }
    }

    /// Returns whether a manifest's platform fields match this platform.
    /// A missing variant on either side matches any variant.
    pub fn matches(&self, os: &str, architecture: &str, variant: Option<&str>) -> bool {
        self.os == os
            && self.architecture == architecture
            && match (&self.variant, variant) {
                (Some(want), Some(have)) => want == have,
                _ => true,
            }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(variant) = &self.variant {
            write!(f, "/{variant}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixed_targets_parse() {
        assert_eq!(
            Target::parse("oci:/nonexistent/layout:bins").unwrap(),
            Target::OciDir {
                path: PathBuf::from("/nonexistent/layout"),
                tag: Some("bins".into())
            }
        );
        assert_eq!(
            Target::parse("docker-archive:/nonexistent/a.tar").unwrap(),
            Target::DockerArchive {
                path: PathBuf::from("/nonexistent/a.tar"),
                tag: None
            }
        );
    }

    #[test]
    fn missing_archives_are_not_pulled() {
        for name in ["nosuchfile.tar", "image.tar.gz", "layout.oci", "bom.json"] {
            let error = Target::parse(name).unwrap_err().to_string();
            assert!(error.contains("no such file"), "{name}: {error}");
        }
        assert_eq!(
            Target::parse("registry:example.tar").unwrap(),
            Target::Registry("example.tar".into())
        );
    }

    #[test]
    fn unknown_paths_become_references() {
        assert_eq!(
            Target::parse("alpine:3.19").unwrap(),
            Target::Registry("alpine:3.19".into())
        );
        assert!(Target::parse("./missing-file.tar").is_err());
    }

    #[test]
    fn platform_parses_variant() {
        let platform = Platform::parse("linux/arm64/v8").unwrap();
        assert!(platform.matches("linux", "arm64", Some("v8")));
        assert!(!platform.matches("linux", "amd64", None));
        assert!(Platform::parse("linux").is_err());
    }
}
