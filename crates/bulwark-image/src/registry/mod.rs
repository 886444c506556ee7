//! Pulling images through the OCI distribution API.

use crate::archive::Image;
use crate::error::ImageError;
use crate::limits::Limits;
use crate::target::Platform;

/// Options for [`pull`].
#[derive(Debug, Clone, Default)]
pub struct PullOptions {
    /// Platform to choose from a multi-platform index; the host's when unset.
    pub platform: Option<Platform>,
    /// Allow plain HTTP, only for registries on loopback addresses.
    pub insecure: bool,
    pub limits: Limits,
}

/// Resolves `reference` and returns an image whose layers stream from the
/// registry.
pub fn pull(reference: &str, _options: &PullOptions) -> Result<Image, ImageError> {
    // TODO: the registry client is not written yet.
    Err(ImageError::Registry {
        reference: reference.to_owned(),
        reason: "registry pulls are not supported yet".into(),
    })
}
