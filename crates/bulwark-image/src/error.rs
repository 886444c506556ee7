use std::path::PathBuf;

use crate::digest::Digest;

/// Failure to open an image or read its metadata.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error("failed to read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not a supported image or archive: {reason}")]
    UnknownFormat { path: PathBuf, reason: String },
    #[error("invalid {what} in {path}: {reason}")]
    InvalidMetadata {
        path: PathBuf,
        what: &'static str,
        reason: String,
    },
    #[error("{what} {name} is missing from {path}")]
    MissingBlob {
        path: PathBuf,
        what: &'static str,
        name: String,
    },
    #[error("digest mismatch for {what} in {path}: expected {expected}, computed {actual}")]
    DigestMismatch {
        path: PathBuf,
        what: String,
        expected: Digest,
        actual: Digest,
    },
    #[error("{what} in {path} is {size} bytes, over the limit of {limit} bytes")]
    TooLarge {
        path: PathBuf,
        what: String,
        size: u64,
        limit: u64,
    },
    #[error(
        "{path} expands past the limit when decompressed: {reason}; raise --max-layer-size or --max-ratio if the image is trusted"
    )]
    Bomb { path: PathBuf, reason: String },
    #[error("no image tagged {tag:?} in {path}; tags present: {available}")]
    TagNotFound {
        path: PathBuf,
        tag: String,
        available: String,
    },
    #[error("no manifest for platform {platform} in {path}; platforms present: {available}")]
    PlatformNotFound {
        path: PathBuf,
        platform: String,
        available: String,
    },
    #[error("invalid target {target:?}: {reason}")]
    InvalidTarget { target: String, reason: String },
    #[error("registry error for {reference}: {reason}")]
    Registry { reference: String, reason: String },
}

/// Failure while streaming one layer. The scan records it, keeps the other
/// layers, and the command exits with status 2.
#[derive(Debug, thiserror::Error)]
pub enum LayerError {
    #[error("failed to open layer {layer}: {reason}")]
    Open { layer: String, reason: String },
    #[error("corrupt layer {layer}: {reason}")]
    Corrupt { layer: String, reason: String },
    #[error(
        "layer {layer} expands past the limit: {reason}; raise --max-layer-size or --max-ratio if the image is trusted"
    )]
    Bomb { layer: String, reason: String },
    #[error("digest mismatch in layer {layer}: {what} expected {expected}, computed {actual}")]
    DigestMismatch {
        layer: String,
        what: &'static str,
        expected: Digest,
        actual: Digest,
    },
}
