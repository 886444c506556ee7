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
use bulwark_image::{EntryInfo, FileHandler, FileHistory, FinalView, Image, ImageError, Limits};
pub use os::{Os, OsFile};
pub use package::{LayerInfo, Package, PackageKind};
pub use purl::PurlBuilder;

/// Reads every layer of an opened image and lists its packages.
pub fn inventory_image(image: &Image, limits: &Limits, analyzers: &AnalyzerSet) -> Inventory {
    let view = bulwark_image::scan_layers(image, limits, analyzers);
    image_inventory_from_view(image, view)
}

/// Outputs of an extra file handler that ran in the same pass as the
/// analyzers, such as a secret scanner.
#[derive(Debug)]
pub struct ExtraOutputs<O> {
    /// Outputs of files in the final filesystem, by path, oldest first.
    /// Entries from a layer older than the path's last writer belong to
    /// versions of the file that a later layer replaced.
    pub outputs: std::collections::BTreeMap<String, FileHistory<O>>,
    /// Layer that last wrote each path of `outputs`.
    pub final_layers: std::collections::BTreeMap<String, usize>,
    /// Outputs of files that a later layer deleted or replaced, with the
    /// path and the layer that contains them.
    pub hidden: Vec<(String, usize, O)>,
}

impl<O> ExtraOutputs<O> {
    /// Splits each output in two with `split`, keeping the paths and
    /// layers, so that one pass can serve two consumers.
    pub fn split<A, B>(
        self,
        split: impl Fn(O) -> (Option<A>, Option<B>),
    ) -> (ExtraOutputs<A>, ExtraOutputs<B>) {
        let mut first = ExtraOutputs {
            outputs: std::collections::BTreeMap::new(),
            final_layers: std::collections::BTreeMap::new(),
            hidden: Vec::new(),
        };
        let mut second = ExtraOutputs {
            outputs: std::collections::BTreeMap::new(),
            final_layers: std::collections::BTreeMap::new(),
            hidden: Vec::new(),
        };
        for (path, history) in self.outputs {
            let final_layer = self.final_layers.get(&path).copied();
            for (layer, output) in history {
                let (a, b) = split(output);
                if let Some(a) = a {
                    first
                        .outputs
                        .entry(path.clone())
                        .or_default()
                        .push((layer, a));
                    if let Some(last) = final_layer {
                        first.final_layers.insert(path.clone(), last);
                    }
                }
                if let Some(b) = b {
                    second
                        .outputs
                        .entry(path.clone())
                        .or_default()
                        .push((layer, b));
                    if let Some(last) = final_layer {
                        second.final_layers.insert(path.clone(), last);
                    }
                }
            }
        }
        for (path, layer, output) in self.hidden {
            let (a, b) = split(output);
            if let Some(a) = a {
                first.hidden.push((path.clone(), layer, a));
            }
            if let Some(b) = b {
                second.hidden.push((path, layer, b));
            }
        }
        (first, second)
    }
}

/// Streams every layer of an image once, feeding both the package
/// analyzers and `extra`, and returns the inventory with `extra`'s outputs.
pub fn inventory_image_with<H: FileHandler>(
    image: &Image,
    limits: &Limits,
    analyzers: &AnalyzerSet,
    extra: &H,
) -> (Inventory, ExtraOutputs<H::Output>) {
    let both = Both { analyzers, extra };
    let view = bulwark_image::scan_layers(image, limits, &both);
    let (view, extra) = split_view(view);
    (image_inventory_from_view(image, view), extra)
}

/// Walks a directory once, feeding both the package analyzers and
/// `extra`, and returns the inventory with `extra`'s outputs.
///
/// # Errors
///
/// [`ImageError`] when `root` is not a readable directory.
pub fn inventory_directory_with<H: FileHandler>(
    root: &Path,
    limits: &Limits,
    analyzers: &AnalyzerSet,
    extra: &H,
) -> Result<(Inventory, ExtraOutputs<H::Output>), ImageError> {
    let both = Both { analyzers, extra };
    let view = bulwark_image::scan_directory(root, limits, &both)?;
    let (view, extra) = split_view(view);
    Ok((directory_inventory_from_view(root, view), extra))
}

/// The analyzers and one more handler, run as one handler.
struct Both<'a, H> {
    analyzers: &'a AnalyzerSet,
    extra: &'a H,
}

impl<H: FileHandler> FileHandler for Both<'_, H> {
    type Output = (Option<FileFacts>, Option<H::Output>);

    fn wants(&self, info: &EntryInfo<'_>) -> bool {
        self.analyzers.wants(info) || self.extra.wants(info)
    }

    fn handle(&self, info: &EntryInfo<'_>, data: &[u8]) -> Option<Self::Output> {
        let facts = if self.analyzers.wants(info) {
            self.analyzers.handle(info, data)
        } else {
            None
        };
        let extra = if self.extra.wants(info) {
            self.extra.handle(info, data)
        } else {
            None
        };
        (facts.is_some() || extra.is_some()).then_some((facts, extra))
    }
}

/// Splits the view of a combined pass into the analyzers' view and the
/// extra handler's outputs.
fn split_view<O>(
    view: FinalView<(Option<FileFacts>, Option<O>)>,
) -> (FinalView<FileFacts>, ExtraOutputs<O>) {
    let FinalView {
        tree,
        outputs,
        hidden,
        layer_errors,
        warnings,
        diff_ids,
    } = view;
    let mut facts_outputs = std::collections::BTreeMap::new();
    let mut extra_outputs = std::collections::BTreeMap::new();
    let mut final_layers = std::collections::BTreeMap::new();
    for (path, history) in outputs {
        let mut facts_history = Vec::new();
        let mut extra_history = Vec::new();
        for (layer, (facts, extra)) in history {
            if let Some(facts) = facts {
                facts_history.push((layer, facts));
            }
            if let Some(extra) = extra {
                extra_history.push((layer, extra));
            }
        }
        if !extra_history.is_empty() {
            if let Some(node) = tree.get(&path) {
                final_layers.insert(path.clone(), node.layer);
            }
            extra_outputs.insert(path.clone(), extra_history);
        }
        if !facts_history.is_empty() {
            facts_outputs.insert(path, facts_history);
        }
    }
    let mut facts_hidden = Vec::new();
    let mut extra_hidden = Vec::new();
    for (path, layer, (facts, extra)) in hidden {
        if let Some(facts) = facts {
            facts_hidden.push((path.clone(), layer, facts));
        }
        if let Some(extra) = extra {
            extra_hidden.push((path, layer, extra));
        }
    }
    let view = FinalView {
        tree,
        outputs: facts_outputs,
        hidden: facts_hidden,
        layer_errors,
        warnings,
        diff_ids,
    };
    let extra = ExtraOutputs {
        outputs: extra_outputs,
        final_layers,
        hidden: extra_hidden,
    };
    (view, extra)
}

fn image_inventory_from_view(image: &Image, view: FinalView<FileFacts>) -> Inventory {
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
    Ok(directory_inventory_from_view(root, view))
}

fn directory_inventory_from_view(root: &Path, view: FinalView<FileFacts>) -> Inventory {
    let source = SourceInfo {
        target: root.display().to_string(),
        kind: "directory".to_owned(),
        ..SourceInfo::default()
    };
    assemble(view, source, &[])
}
