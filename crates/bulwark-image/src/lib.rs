//! Reading container images and root filesystems for analysis.
//!
//! A [`Target`] names what to read: a `docker save` archive, an OCI image
//! layout or archive, a registry reference or a directory. Opening it gives
//! an [`Image`]: the image config and an ordered list of layers whose blobs
//! can be streamed. [`scan_layers`] walks every layer once, in parallel,
//! hands each wanted regular file to a [`FileHandler`], and merges the
//! layers in order so that whiteouts and opaque directories decide which
//! outputs describe the final filesystem.
//!
//! Nothing is extracted to disk. Entries with `..` or absolute paths are
//! normalized or skipped, links are resolved inside the image root only,
//! and every blob digest and layer diff id is verified while streaming.

mod archive;
mod digest;
mod dir;
mod error;
mod layer;
mod limits;
mod merge;
mod path;
pub mod registry;
mod target;

pub use archive::{Image, ImageConfigInfo, LayerRef, open_image};
pub use digest::Digest;
pub use dir::scan_directory;
pub use error::{ImageError, LayerError};
pub use layer::{EntryInfo, EntryKind, Expected, FileHandler, LayerScan, scan_layer};
pub use limits::Limits;
pub use merge::{FileHistory, FinalView, Node, NodeKind, merge_layers, scan_layers};
pub use path::{normalize_entry_path, resolve_in_root};
pub use target::{Platform, Target};
