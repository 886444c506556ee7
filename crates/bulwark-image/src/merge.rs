//! Applying layers in order to get the final filesystem.

use std::collections::BTreeMap;

use rayon::prelude::*;

use crate::archive::Image;
use crate::error::LayerError;
use crate::layer::{FileHandler, LayerScan, scan_layer};
use crate::limits::Limits;
use crate::path::resolve_in_root;

/// Kind of a filesystem node, with link targets as written in the layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeKind {
    File,
    Dir,
    /// Symlink target, unresolved and possibly absolute.
    Symlink(String),
    /// Hard link target, a normalized path.
    Hardlink(String),
    Other,
}

/// One path of a layer or of the final filesystem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub kind: NodeKind,
    /// Layer that last wrote the path.
    pub layer: usize,
    pub size: u64,
    pub mode: u32,
}

/// Handler outputs of one path, oldest first, since the path was last
/// created. Each entry is `(layer index, output)`.
pub type FileHistory<O> = Vec<(usize, O)>;

/// The final filesystem after all layers, with handler outputs.
#[derive(Debug)]
pub struct FinalView<O> {
    /// Every path that exists in the final filesystem.
    pub tree: BTreeMap<String, Node>,
    /// Outputs of files present in the final filesystem, by path.
    pub outputs: BTreeMap<String, FileHistory<O>>,
    /// Outputs of files that a later layer deleted or replaced, with the
    /// path and the layer that held them. They still ship in the image.
    pub hidden: Vec<(String, usize, O)>,
    /// Layers that failed, by index.
    pub layer_errors: Vec<(usize, LayerError)>,
    /// Entries skipped for safety or size, prefixed with the layer index.
    pub warnings: Vec<(usize, String)>,
    /// Diff ids computed while streaming, by layer index.
    pub diff_ids: Vec<Option<crate::Digest>>,
}

impl<O> FinalView<O> {
    /// Resolves `path` through the symlinks of the final filesystem,
    /// without ever leaving the root.
    pub fn resolve(&self, path: &str) -> Option<String> {
        resolve_in_root(path, |p| match self.tree.get(p) {
            Some(Node {
                kind: NodeKind::Symlink(target),
                ..
            }) => Some(target.as_str()),
            _ => None,
        })
    }

    /// Returns whether a regular file exists at `path`, following links.
    pub fn is_file(&self, path: &str) -> bool {
        self.resolve(path)
            .and_then(|p| self.tree.get(&p))
            .is_some_and(|node| matches!(node.kind, NodeKind::File | NodeKind::Hardlink(_)))
    }
}

/// Streams every layer of `image` in parallel and merges the results.
pub fn scan_layers<H: FileHandler>(
    image: &Image,
    limits: &Limits,
    handler: &H,
) -> FinalView<H::Output> {
    let scans: Vec<LayerScan<H::Output>> = image
        .layers
        .par_iter()
        .enumerate()
        .map(|(index, layer)| {
            let name = layer.display_name();
            tracing::debug!(layer = %name, "streaming layer");
            match image.open_layer(layer) {
                Ok(blob) => scan_layer(&name, index, blob, &layer.expected(), limits, handler),
                Err(e) => LayerScan::failed(LayerError::Open {
                    layer: name,
                    reason: e.to_string(),
                }),
            }
        })
        .collect();
    merge_layers(scans)
}

fn remove_under<V>(
    map: &mut BTreeMap<String, V>,
    dir: &str,
    include_dir: bool,
) -> Vec<(String, V)> {
    let keys: Vec<String> = if dir.is_empty() {
        map.keys().cloned().collect()
    } else {
        let prefix = format!("{dir}/");
        let mut keys: Vec<String> = map
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .map(|(k, _)| k.clone())
            .collect();
        if include_dir && map.contains_key(dir) {
            keys.push(dir.to_owned());
        }
        keys
    };
    keys.into_iter()
        .filter_map(|k| map.remove(&k).map(|v| (k, v)))
        .collect()
}

/// Returns the target of the symlink at `path`, if `path` is one.
fn symlink_target<'a>(tree: &'a BTreeMap<String, Node>, path: &str) -> Option<&'a str> {
    match tree.get(path) {
        Some(Node {
            kind: NodeKind::Symlink(target),
            ..
        }) => Some(target.as_str()),
        _ => None,
    }
}

/// Resolves the parent directories of `path` through the symlinks already
/// in `tree`, inside the root, and keeps the last component as it is. This
/// is where a runtime applying the layer puts the entry: with `lib` linked
/// to `usr/lib`, `lib/x` lands at `usr/lib/x`. Returns `None` when the
/// parents form a symlink loop.
fn resolve_parent(tree: &BTreeMap<String, Node>, path: &str) -> Option<String> {
    let through_link = path
        .match_indices('/')
        .any(|(i, _)| symlink_target(tree, &path[..i]).is_some());
    if !through_link {
        return Some(path.to_owned());
    }
    let (parent, base) = path.rsplit_once('/')?;
    let parent = resolve_in_root(parent, |p| symlink_target(tree, p))?;
    Some(if parent.is_empty() {
        base.to_owned()
    } else {
        format!("{parent}/{base}")
    })
}

/// Applies layer scans in order: each layer's opaque directories and
/// whiteouts act on the layers below it, then its entries are added.
/// Paths are placed the way a runtime extracts a layer: symlinks in their
/// parent directories are followed inside the root.
pub fn merge_layers<O>(scans: Vec<LayerScan<O>>) -> FinalView<O> {
    let mut view = FinalView {
        tree: BTreeMap::new(),
        outputs: BTreeMap::new(),
        hidden: Vec::new(),
        layer_errors: Vec::new(),
        warnings: Vec::new(),
        diff_ids: Vec::new(),
    };
    for (index, scan) in scans.into_iter().enumerate() {
        let LayerScan {
            entries,
            whiteouts,
            opaque_dirs,
            outputs,
            warnings,
            error,
            diff_id,
            ..
        } = scan;
        view.diff_ids.push(diff_id);
        view.warnings
            .extend(warnings.into_iter().map(|w| (index, w)));
        if let Some(error) = error {
            view.layer_errors.push((index, error));
        }
        let loop_warning =
            |path: &str| format!("skipped {path:?}: its parent directories form a symlink loop");
        for dir in &opaque_dirs {
            let Some(dir) = resolve_in_root(dir, |p| symlink_target(&view.tree, p)) else {
                view.warnings.push((index, loop_warning(dir)));
                continue;
            };
            remove_under(&mut view.tree, &dir, false);
            hide(&mut view, &dir, false);
        }
        for path in &whiteouts {
            let Some(path) = resolve_parent(&view.tree, path) else {
                view.warnings.push((index, loop_warning(path)));
                continue;
            };
            remove_under(&mut view.tree, &path, true);
            hide(&mut view, &path, true);
        }
        let mut new_outputs: BTreeMap<String, Vec<O>> = BTreeMap::new();
        for (path, output) in outputs {
            new_outputs.entry(path).or_default().push(output);
        }
        // Entries of this layer that have outputs: where each one landed,
        // with its path in the layer. A later entry of the same layer that
        // replaces one drops it.
        let mut placed: BTreeMap<String, String> = BTreeMap::new();
        for (raw_path, node) in entries {
            let Some(path) = resolve_parent(&view.tree, &raw_path) else {
                view.warnings.push((index, loop_warning(&raw_path)));
                continue;
            };
            placed.remove(&path);
            if node.kind != NodeKind::Dir {
                // A non-directory replaces the whole subtree at its path,
                // including a directory that exists only through the
                // paths beneath it.
                remove_under(&mut view.tree, &path, false);
                remove_under(&mut placed, &path, false);
                hide(&mut view, &path, false);
            }
            if !new_outputs.contains_key(&raw_path) {
                // Replaced by a directory, or rewritten with content that
                // no handler produced output for.
                if let Some(history) = view.outputs.remove(&path) {
                    view.hidden
                        .extend(history.into_iter().map(|(l, o)| (path.clone(), l, o)));
                }
            } else {
                placed.insert(path.clone(), raw_path);
            }
            view.tree.insert(path, node);
        }
        for (path, raw_path) in placed {
            let Some(outputs) = new_outputs.remove(&raw_path) else {
                continue;
            };
            let history = view.outputs.entry(path).or_default();
            history.extend(outputs.into_iter().map(|o| (index, o)));
        }
    }
    view
}

fn hide<O>(view: &mut FinalView<O>, path: &str, include_path: bool) {
    for (path, history) in remove_under(&mut view.outputs, path, include_path) {
        view.hidden
            .extend(history.into_iter().map(|(l, o)| (path.clone(), l, o)));
    }
}
