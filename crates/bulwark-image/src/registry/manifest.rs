//! Manifest and index documents served by registries.

use serde::Deserialize;

use crate::target::Platform;

pub(crate) const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub(crate) const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub(crate) const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub(crate) const DOCKER_MANIFEST_LIST: &str =
    "application/vnd.docker.distribution.manifest.list.v2+json";
const DOCKER_SCHEMA1: &str = "application/vnd.docker.distribution.manifest.v1+json";
const DOCKER_SCHEMA1_SIGNED: &str = "application/vnd.docker.distribution.manifest.v1+prettyjws";

/// The `Accept` header for manifest requests: every type this client reads.
pub(crate) const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.index.v1+json, \
     application/vnd.docker.distribution.manifest.list.v2+json, \
     application/vnd.oci.image.manifest.v1+json, \
     application/vnd.docker.distribution.manifest.v2+json";

const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";

/// Layer media types whose blobs are tar streams, plain or compressed.
/// The layer walker detects the compression from the content.
const LAYER_TYPES: &[&str] = &[
    "application/vnd.oci.image.layer.v1.tar",
    "application/vnd.oci.image.layer.v1.tar+gzip",
    "application/vnd.oci.image.layer.v1.tar+zstd",
    "application/vnd.oci.image.layer.nondistributable.v1.tar",
    "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
    "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
    "application/vnd.docker.image.rootfs.diff.tar",
    "application/vnd.docker.image.rootfs.diff.tar.gzip",
    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
];

/// A content descriptor in a manifest or index.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Descriptor {
    #[serde(rename = "mediaType", default)]
    pub media_type: Option<String>,
    pub digest: String,
    pub size: u64,
    #[serde(default)]
    pub platform: Option<DescriptorPlatform>,
}

/// The platform of one manifest in an index.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct DescriptorPlatform {
    pub os: String,
    pub architecture: String,
    #[serde(default)]
    pub variant: Option<String>,
}

impl std::fmt::Display for DescriptorPlatform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(variant) = &self.variant {
            write!(f, "/{variant}")?;
        }
        Ok(())
    }
}

/// An image index or manifest list.
#[derive(Debug, Deserialize)]
pub(crate) struct Index {
    #[serde(default)]
    pub manifests: Vec<Descriptor>,
}

/// An image manifest.
#[derive(Debug, Deserialize)]
pub(crate) struct Manifest {
    pub config: Descriptor,
    #[serde(default)]
    pub layers: Vec<Descriptor>,
}

#[derive(Deserialize)]
struct Probe {
    #[serde(rename = "mediaType", default)]
    media_type: Option<String>,
    #[serde(rename = "schemaVersion", default)]
    schema_version: Option<u32>,
    #[serde(default)]
    manifests: Option<serde_json::Value>,
}

/// A parsed manifest response.
pub(crate) enum Document {
    Index(Index),
    Manifest(Manifest),
}

/// Parses a manifest response, using the `Content-Type` header and falling
/// back to the document's own `mediaType`.
pub(crate) fn parse_document(content_type: Option<&str>, body: &[u8]) -> Result<Document, String> {
    let probe: Probe =
        serde_json::from_slice(body).map_err(|e| format!("invalid manifest JSON: {e}"))?;
    let header_type = content_type
        .map(|value| value.split(';').next().unwrap_or_default().trim())
        .filter(|value| !value.is_empty() && *value != "application/json");
    let media_type = header_type
        .or(probe.media_type.as_deref())
        .map(str::to_owned);
    let media_type = match media_type {
        Some(media_type) => media_type,
        // An OCI document may omit mediaType; tell the two apart by shape.
        None if probe.manifests.is_some() => OCI_INDEX.to_owned(),
        None => OCI_MANIFEST.to_owned(),
    };
    match media_type.as_str() {
        OCI_INDEX | DOCKER_MANIFEST_LIST => serde_json::from_slice(body)
            .map(Document::Index)
            .map_err(|e| format!("invalid image index: {e}")),
        OCI_MANIFEST | DOCKER_MANIFEST => {
            if probe.schema_version != Some(2) {
                return Err(format!(
                    "unsupported manifest schemaVersion {:?}: expected 2",
                    probe.schema_version
                ));
            }
            serde_json::from_slice(body)
                .map(Document::Manifest)
                .map_err(|e| format!("invalid image manifest: {e}"))
        }
        DOCKER_SCHEMA1 | DOCKER_SCHEMA1_SIGNED => Err(
            "the registry returned a Docker schema 1 manifest, which is deprecated and not supported"
                .into(),
        ),
        other => Err(format!("unsupported manifest media type {other:?}")),
    }
}

impl Manifest {
    /// Checks that the manifest describes a container image whose layers
    /// are tar streams.
    pub(crate) fn check_image(&self) -> Result<(), String> {
        let config_type = self.config.media_type.as_deref().unwrap_or(OCI_CONFIG);
        if config_type != OCI_CONFIG && config_type != DOCKER_CONFIG {
            return Err(format!(
                "not a container image: the config media type is {config_type:?}"
            ));
        }
        for layer in &self.layers {
            if let Some(media_type) = &layer.media_type
                && !LAYER_TYPES.contains(&media_type.as_str())
            {
                return Err(format!(
                    "layer {} has unsupported media type {media_type:?}",
                    layer.digest
                ));
            }
        }
        Ok(())
    }
}

impl Index {
    /// Chooses the manifest for `platform`, or explains which platforms the
    /// index offers.
    pub(crate) fn select(&self, platform: &Platform) -> Result<&Descriptor, String> {
        let images: Vec<&Descriptor> = self
            .manifests
            .iter()
            .filter(|d| {
                matches!(
                    d.media_type.as_deref(),
                    None | Some(OCI_MANIFEST | DOCKER_MANIFEST)
                )
            })
            .collect();
        let mut matching = images.iter().filter(|d| {
            d.platform
                .as_ref()
                .is_some_and(|p| platform.matches(&p.os, &p.architecture, p.variant.as_deref()))
        });
        // The first matching entry wins. With no variant requested, any
        // variant matches.
        if let Some(found) = matching.next() {
            return Ok(found);
        }
        if images.len() == 1 && images[0].platform.is_none() {
            return Ok(images[0]);
        }
        let available: Vec<String> = images
            .iter()
            .filter_map(|d| d.platform.as_ref().map(ToString::to_string))
            .collect();
        if available.is_empty() {
            return Err("the index lists no image manifests".into());
        }
        Err(format!(
            "no manifest for platform {platform}; the index offers {} (choose one with --platform)",
            available.join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INDEX: &str = r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[
        {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:aa","size":1,"platform":{"os":"linux","architecture":"amd64"}},
        {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:bb","size":1,"platform":{"os":"linux","architecture":"arm","variant":"v7"}},
        {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:cc","size":1,"platform":{"os":"unknown","architecture":"unknown"}}
    ]}"#;

    fn index() -> Index {
        match parse_document(None, INDEX.as_bytes()).unwrap() {
            Document::Index(index) => index,
            Document::Manifest(_) => panic!("parsed as a manifest"),
        }
    }

    #[test]
    fn index_selects_platform_and_variant() {
        let index = index();
        let amd64 = Platform::parse("linux/amd64").unwrap();
        assert_eq!(index.select(&amd64).unwrap().digest, "sha256:aa");
        let arm = Platform::parse("linux/arm/v7").unwrap();
        assert_eq!(index.select(&arm).unwrap().digest, "sha256:bb");
        let error = index
            .select(&Platform::parse("linux/arm/v6").unwrap())
            .unwrap_err();
        assert!(error.contains("linux/amd64, linux/arm/v7"), "{error}");
        assert!(error.contains("linux/arm/v6"), "{error}");
    }

    #[test]
    fn schema1_and_unknown_types_are_rejected() {
        let error = parse_document(Some(DOCKER_SCHEMA1_SIGNED), b"{}")
            .err()
            .unwrap();
        assert!(error.contains("schema 1"), "{error}");
        let error = parse_document(Some("text/html"), b"{}").err().unwrap();
        assert!(error.contains("text/html"), "{error}");
        let error = parse_document(Some(OCI_MANIFEST), b"<html>").err().unwrap();
        assert!(error.contains("invalid manifest JSON"), "{error}");
    }

    #[test]
    fn artifact_manifests_are_not_images() {
        let body = br#"{"schemaVersion":2,"config":{"mediaType":"application/vnd.cncf.helm.config.v1+json","digest":"sha256:aa","size":1},"layers":[]}"#;
        let Document::Manifest(manifest) = parse_document(Some(OCI_MANIFEST), body).unwrap() else {
            panic!("parsed as an index");
        };
        let error = manifest.check_image().unwrap_err();
        assert!(error.contains("not a container image"), "{error}");
    }
}
