//! Pulling images through the OCI distribution API.
//!
//! [`pull`] resolves a reference to one image manifest (choosing a platform
//! from a multi-platform index), reads the image config, and returns an
//! [`Image`] whose layers stream from the registry when opened. Manifests
//! and configs are read whole, size-limited and digest-checked here; layer
//! blobs are checked by the layer walker while they stream.
//!
//! Authentication follows the docker CLI: anonymous first, then on a 401
//! the `WWW-Authenticate` challenge decides between basic auth and a bearer
//! token, with credentials from the docker config file or a credential
//! helper.

mod auth;
mod client;
mod manifest;
mod reference;

use std::collections::HashMap;
use std::io::{self, Read};
use std::path::PathBuf;

use serde_json::Value;

use crate::archive::{BlobSource, Image, LayerRef};
use crate::digest::Digest;
use crate::error::ImageError;
use crate::limits::Limits;
use crate::target::Platform;
use auth::{Credentials, DockerConfig, docker_config_path};
use client::Client;
use manifest::{Document, MANIFEST_ACCEPT, Manifest, parse_document};
use reference::Reference;

/// Options for [`pull`].
#[derive(Debug, Clone, Default)]
pub struct PullOptions {
    /// Platform to choose from a multi-platform index; the host's when unset.
    pub platform: Option<Platform>,
    /// Allow plain HTTP, only for registries on loopback addresses.
    pub insecure: bool,
    /// Size limits for manifests, configs and layers.
    pub limits: Limits,
    /// Docker config file to read credentials from. When unset,
    /// `$DOCKER_CONFIG/config.json` or `~/.docker/config.json` is read if
    /// it exists.
    pub docker_config: Option<PathBuf>,
}

/// Resolves `reference` and returns an image whose layers stream from the
/// registry.
///
/// The reference is `[host[:port]/]path[:tag][@sha256:digest]`; names
/// without a host are on Docker Hub. A digest in the reference must match
/// the manifest that the registry returns.
pub fn pull(reference: &str, options: &PullOptions) -> Result<Image, ImageError> {
    let error = |reason: String| ImageError::Registry {
        reference: reference.to_owned(),
        reason,
    };
    let parsed =
        Reference::parse(reference).map_err(|e| error(format!("invalid reference: {e}")))?;
    if options.insecure && !parsed.is_loopback() {
        return Err(error(format!(
            "--insecure allows plain HTTP only for loopback registries (127.0.0.0/8, ::1, \
             localhost), and {} is not one",
            parsed.authority()
        )));
    }
    let (credentials, config_path) = load_credentials(&parsed, options).map_err(error)?;
    tracing::debug!(
        registry = %parsed.authority(),
        repository = %parsed.path,
        has_credentials = credentials.is_some(),
        "pulling image"
    );
    let client = Client::new(
        parsed.clone(),
        reference,
        options.insecure,
        credentials,
        config_path,
    );

    let platform = options.platform.clone().unwrap_or_else(Platform::host);
    let (manifest_digest, manifest) =
        resolve_manifest(&client, &parsed, &platform, &options.limits)?;
    manifest.check_image().map_err(|e| client.error(e))?;
    let config_digest = parse_digest(&client, &manifest.config.digest)?;
    let config_bytes = fetch_config(&client, &parsed, &config_digest, &manifest, &options.limits)?;
    let config: Value = serde_json::from_slice(&config_bytes)
        .map_err(|e| client.error(format!("invalid image config {config_digest}: {e}")))?;
    let layers = layer_refs(&client, &manifest, &config)?;
    if let Some(requested) = &options.platform {
        warn_on_platform_mismatch(reference, requested, &config);
    }

    let sizes = layers
        .iter()
        .filter_map(|layer| Some((layer.key.clone(), layer.size?)))
        .collect();
    let repo_tags = match &parsed.tag {
        Some(_) => {
            let mut tagged = parsed.clone();
            tagged.digest = None;
            vec![tagged.to_string()]
        }
        None => Vec::new(),
    };

    tracing::info!(reference, manifest = %manifest_digest, layers = layers.len(), "resolved image");
    Ok(Image::from_parts(
        reference.to_owned(),
        repo_tags,
        Some(manifest_digest),
        Some(config_digest),
        config,
        layers,
        Box::new(RegistryBlobs { client, sizes }),
    ))
}

/// Warns when the image config names another platform than the one the
/// user requested, as happens when the reference is a single-platform
/// manifest rather than an index.
fn warn_on_platform_mismatch(reference: &str, requested: &Platform, config: &Value) {
    let field = |key: &str| config.get(key).and_then(Value::as_str);
    let (Some(os), Some(architecture)) = (field("os"), field("architecture")) else {
        return;
    };
    if !requested.matches(os, architecture, field("variant")) {
        tracing::warn!(
            reference,
            requested = %requested,
            image = %format!("{os}/{architecture}"),
            "the image is for another platform than the one requested"
        );
    }
}

/// Reads the credentials for the reference's registry from the docker
/// config file. Returns them with the path of the file, for messages.
fn load_credentials(
    reference: &Reference,
    options: &PullOptions,
) -> Result<(Option<Credentials>, Option<PathBuf>), String> {
    let Some(path) = docker_config_path(options.docker_config.as_deref()) else {
        return Ok((None, None));
    };
    let config = DockerConfig::load(&path, options.docker_config.is_some())?;
    let credentials = config.credentials_for(&reference.authority(), None)?;
    Ok((credentials, Some(path)))
}

fn parse_digest(client: &Client, text: &str) -> Result<Digest, ImageError> {
    Digest::parse(text).map_err(|e| client.error(format!("invalid digest in manifest: {e}")))
}

/// Fetches the manifest for the reference, descending into an index for
/// `platform`, and checks every digest on the way.
fn resolve_manifest(
    client: &Client,
    reference: &Reference,
    platform: &Platform,
    limits: &Limits,
) -> Result<(Digest, Manifest), ImageError> {
    let key = reference.manifest_key();
    let separator = if reference.digest.is_some() { '@' } else { ':' };
    let what = format!("manifest {}{separator}{key}", reference.path);
    let path = format!("/v2/{}/manifests/{key}", reference.path);
    let document = client.get_document(
        &path,
        Some(MANIFEST_ACCEPT),
        &what,
        limits.max_metadata_bytes,
    )?;
    let digest = Digest::of(&document.body);
    if let Some(expected) = &reference.digest {
        if *expected != digest {
            return Err(client.error(format!(
                "manifest digest mismatch: requested {expected}, but the registry returned a \
                 manifest whose digest is {digest}"
            )));
        }
    } else if let Some(header) = &document.header_digest
        && let Ok(announced) = Digest::parse(header)
        && announced != digest
    {
        return Err(client.error(format!(
            "manifest digest mismatch: the registry announced {announced} in \
             Docker-Content-Digest, but the manifest it returned has digest {digest}"
        )));
    }
    let parsed = parse_document(document.content_type.as_deref(), &document.body)
        .map_err(|e| client.error(format!("{what}: {e}")))?;
    let index = match parsed {
        Document::Manifest(manifest) => return Ok((digest, manifest)),
        Document::Index(index) => index,
    };
    let descriptor = index
        .select(platform)
        .map_err(|e| client.error(format!("{what}: {e}")))?;
    let child_digest = parse_digest(client, &descriptor.digest)?;
    tracing::debug!(%platform, manifest = %child_digest, "chose manifest from index");
    let child_what = format!("manifest {child_digest}");
    let child_path = format!("/v2/{}/manifests/{child_digest}", reference.path);
    let child = client.get_document(
        &child_path,
        Some(MANIFEST_ACCEPT),
        &child_what,
        limits.max_metadata_bytes,
    )?;
    check_blob(
        client,
        &child_what,
        &child.body,
        &child_digest,
        descriptor.size,
    )?;
    match parse_document(child.content_type.as_deref(), &child.body)
        .map_err(|e| client.error(format!("{child_what}: {e}")))?
    {
        Document::Manifest(manifest) => Ok((child_digest, manifest)),
        Document::Index(_) => Err(client.error(format!(
            "{child_what}: an index points at another index for {platform}, which is not \
             supported"
        ))),
    }
}

/// Checks the digest and size of a blob read whole.
fn check_blob(
    client: &Client,
    what: &str,
    body: &[u8],
    digest: &Digest,
    size: u64,
) -> Result<(), ImageError> {
    let actual = Digest::of(body);
    if actual != *digest {
        return Err(client.error(format!(
            "digest mismatch for {what}: expected {digest}, computed {actual}"
        )));
    }
    if body.len() as u64 != size {
        return Err(client.error(format!(
            "{what} is {} bytes, but its descriptor says {size}",
            body.len()
        )));
    }
    Ok(())
}

fn fetch_config(
    client: &Client,
    reference: &Reference,
    digest: &Digest,
    manifest: &Manifest,
    limits: &Limits,
) -> Result<Vec<u8>, ImageError> {
    let what = format!("image config {digest}");
    let path = format!("/v2/{}/blobs/{digest}", reference.path);
    let document = client.get_document(&path, None, &what, limits.max_metadata_bytes)?;
    check_blob(client, &what, &document.body, digest, manifest.config.size)?;
    Ok(document.body)
}

fn layer_refs(
    client: &Client,
    manifest: &Manifest,
    config: &Value,
) -> Result<Vec<LayerRef>, ImageError> {
    let diff_ids: Vec<&str> = config
        .pointer("/rootfs/diff_ids")
        .and_then(Value::as_array)
        .map(|ids| ids.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if diff_ids.len() != manifest.layers.len() {
        return Err(client.error(format!(
            "{} layers in the manifest but {} diff ids in the image config",
            manifest.layers.len(),
            diff_ids.len()
        )));
    }
    manifest
        .layers
        .iter()
        .zip(diff_ids)
        .map(|(descriptor, diff_id)| {
            let digest = parse_digest(client, &descriptor.digest)?;
            let diff_id = Digest::parse(diff_id)
                .map_err(|e| client.error(format!("invalid diff id in the image config: {e}")))?;
            Ok(LayerRef {
                key: digest.to_string(),
                digest: Some(digest),
                diff_id: Some(diff_id),
                media_type: descriptor.media_type.clone(),
                size: Some(descriptor.size),
            })
        })
        .collect()
}

/// Layer blobs streamed from the registry, keyed by digest.
struct RegistryBlobs {
    client: Client,
    /// Sizes from the manifest, by digest.
    sizes: HashMap<String, u64>,
}

impl BlobSource for RegistryBlobs {
    fn open(&self, key: &str) -> Result<Box<dyn Read + Send + '_>, ImageError> {
        let digest =
            Digest::parse(key).map_err(|e| self.client.error(format!("invalid blob key: {e}")))?;
        let expected = self.sizes.get(key).copied();
        let reader = self.client.open_blob(&digest, expected)?;
        Ok(Box::new(SizeCheckedReader {
            inner: reader,
            expected,
            read: 0,
        }))
    }
}

/// Fails a stream that runs past, or ends before, the size given in the
/// manifest, so a hostile registry cannot stream without end.
struct SizeCheckedReader<R> {
    inner: R,
    expected: Option<u64>,
    read: u64,
}

impl<R: Read> Read for SizeCheckedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let Some(expected) = self.expected else {
            return self.inner.read(buf);
        };
        // Ask for one byte past the end so that overlong blobs are seen.
        let room = (expected - self.read).saturating_add(1);
        let len = buf.len().min(usize::try_from(room).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..len])?;
        self.read += n as u64;
        if self.read > expected {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("blob is longer than the {expected} bytes given in the manifest"),
            ));
        }
        if n == 0 && len > 0 && self.read < expected {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "blob ended after {} of the {expected} bytes given in the manifest",
                    self.read
                ),
            ));
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(data: &[u8], expected: Option<u64>) -> io::Result<Vec<u8>> {
        let mut reader = SizeCheckedReader {
            inner: data,
            expected,
            read: 0,
        };
        let mut out = Vec::new();
        reader.read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn size_checked_reader_enforces_manifest_size() {
        assert_eq!(read_all(b"abcd", Some(4)).unwrap(), b"abcd");
        assert_eq!(read_all(b"abcd", None).unwrap(), b"abcd");
        let error = read_all(b"abcde", Some(4)).unwrap_err();
        assert!(
            error.to_string().contains("longer than the 4 bytes"),
            "{error}"
        );
        let error = read_all(b"abc", Some(4)).unwrap_err();
        assert!(
            error.to_string().contains("after 3 of the 4 bytes"),
            "{error}"
        );
    }

    #[test]
    fn insecure_is_rejected_for_remote_hosts_before_connecting() {
        // 192.0.2.0/24 is reserved for documentation, so nothing listens
        // there; the check runs before any connection is attempted.
        for reference in [
            "192.0.2.1:5000/bins:latest",
            "registry.example/bins",
            "alpine",
        ] {
            let options = PullOptions {
                insecure: true,
                ..PullOptions::default()
            };
            let error = pull(reference, &options).unwrap_err().to_string();
            assert!(
                error.contains("--insecure allows plain HTTP only"),
                "{error}"
            );
        }
    }

    #[test]
    fn invalid_reference_is_rejected_before_connecting() {
        let error = pull("Registry.Example/UPPER:tag", &PullOptions::default())
            .unwrap_err()
            .to_string();
        assert!(error.contains("invalid reference"), "{error}");
        assert!(error.contains("lowercase"), "{error}");
    }
}
