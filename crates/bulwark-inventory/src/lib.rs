//! Package inventory: which OS and language packages a target contains.
//!
//! Each package format is an [`Analyzer`] that declares the paths it
//! wants and returns [`Fact`]s. The image layer walker hands every wanted
//! file to the analyzers while it streams the layers; [`assemble`] then
//! keeps the facts of files that survive in the final filesystem, detects
//! the OS, attaches file lists and licenses, and records the layer that
//! introduced each package.

mod analyzer;
pub mod analyzers;
mod assemble;
mod os;
mod package;
mod purl;

use std::path::Path;

pub use analyzer::{AnalyzeError, Analyzer, AnalyzerSet, Fact, FileFacts};
pub use assemble::{Inventory, SourceInfo, assemble};
use bulwark_image::{Image, ImageError, Limits};
pub use os::{Os, OsFile};
pub use package::{LayerInfo, Package, PackageKind};
pub use purl::PurlBuilder;

/// Reads every layer of an opened image and lists its packages.
pub fn inventory_image(image: &Image, limits: &Limits, analyzers: &AnalyzerSet) -> Inventory {
    let view = bulwark_image::scan_layers(image, limits, analyzers);
    let layer_ids: Vec<Option<String>> = image
        .layers
        .iter()
        .enumerate()
        .map(|(i, layer)| {
            layer.diff_id.as_ref().map(ToString::to_string).or_else(|| {
                view.diff_ids
                    .get(i)
                    .cloned()
                    .flatten()
                    .map(|d| d.to_string())
            })
        })
        .collect();
    let source = SourceInfo {
        target: image.name.clone(),
        kind: "image".to_owned(),
        repo_tags: image.repo_tags.clone(),
        manifest_digest: image.manifest_digest.as_ref().map(ToString::to_string),
        config_digest: image.config_digest.as_ref().map(ToString::to_string),
        architecture: image.info.architecture.clone(),
        created: image.info.created.clone(),
        layers: layer_ids.iter().flatten().cloned().collect(),
    };
    assemble(view, source, &layer_ids)
}

/// Walks a directory in place and lists its packages.
pub fn inventory_directory(
    root: &Path,
    limits: &Limits,
    analyzers: &AnalyzerSet,
) -> Result<Inventory, ImageError> {
    let view = bulwark_image::scan_directory(root, limits, analyzers)?;
    let source = SourceInfo {
        target: root.display().to_string(),
        kind: "directory".to_owned(),
        ..SourceInfo::default()
    };
    Ok(assemble(view, source, &[]))
}
