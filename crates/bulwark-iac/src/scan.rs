//! Directory walking for [`crate::scan_tree`].

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use walkdir::WalkDir;

use crate::{FileContent, FileKind, MAX_FILE_SIZE, ParseError, ParsedFile, ReadError, ScanTree};

const SKIPPED_DIRS: &[&str] = &[".git", "node_modules", ".terraform", "vendor"];

/// Returns `path` relative to `root` with `/` separators, or `.` for the
/// root itself.
fn display_path(root: &Path, path: &Path) -> String {
    let relative = path.strip_prefix(root).unwrap_or(path);
    let parts: Vec<String> = relative
        .components()
        .map(|part| part.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.is_empty() {
        ".".to_owned()
    } else {
        parts.join("/")
    }
}

pub(crate) fn scan_tree(root: &Path) -> ScanTree {
    let mut files: Vec<PathBuf> = Vec::new();
    let mut module_dirs: BTreeSet<PathBuf> = BTreeSet::new();
    let mut results: Vec<Result<ParsedFile, ParseError>> = Vec::new();

    let walker = WalkDir::new(root).follow_links(false).into_iter();
    let walker = walker.filter_entry(|entry| {
        entry.depth() == 0
            || !entry.file_type().is_dir()
            || !SKIPPED_DIRS.contains(&entry.file_name().to_string_lossy().as_ref())
    });
    for entry in walker {
        let entry = match entry {
            Ok(entry) => entry,
            Err(err) => {
                let path = err
                    .path()
                    .map_or_else(|| ".".to_owned(), |path| display_path(root, path));
                tracing::warn!(path, error = %err, "cannot read directory entry");
                results.push(Err(ParseError::new(path, format!("cannot read: {err}"))));
                continue;
            }
        };
        let file_type = entry.file_type();
        if file_type.is_symlink() {
            // The walk does not follow links, and a link may point outside
            // the scan root.
            tracing::warn!(
                path = display_path(root, entry.path()),
                "skipping a symbolic link; links are not followed"
            );
            continue;
        }
        if !file_type.is_file() {
            if !file_type.is_dir() {
                tracing::warn!(
                    path = display_path(root, entry.path()),
                    "skipping a FIFO, socket or device file"
                );
            }
            continue;
        }
        let name = entry.file_name().to_string_lossy().to_ascii_lowercase();
        if name.ends_with(".tf") || name.ends_with(".tf.json") {
            if let Some(parent) = entry.path().parent() {
                module_dirs.insert(parent.to_path_buf());
            }
            continue;
        }
        files.push(entry.into_path());
    }

    let file_results: Vec<Result<ParsedFile, ParseError>> = files
        .par_iter()
        .filter_map(|path| scan_file(root, path))
        .collect();
    let module_results: Vec<Result<ParsedFile, ParseError>> = module_dirs
        .into_par_iter()
        .map(|dir| crate::terraform::parse_module(&dir, &display_path(root, &dir), root))
        .collect();
    results.extend(file_results);
    results.extend(module_results);
    results.sort_by(|a, b| result_path(a).cmp(result_path(b)));
    ScanTree {
        root: root.to_path_buf(),
        results,
    }
}

fn result_path(result: &Result<ParsedFile, ParseError>) -> &str {
    match result {
        Ok(file) => &file.path,
        Err(err) => &err.path,
    }
}

/// Detects and parses one file; `None` if it is not configuration.
fn scan_file(root: &Path, path: &Path) -> Option<Result<ParsedFile, ParseError>> {
    let relative_path = display_path(root, path);
    let content = match crate::read_regular_file(path) {
        Ok(FileContent::Whole(content)) => content,
        Ok(FileContent::TooLarge { size, head }) => {
            // Only files that look like configuration are reported.
            let Some(kind) = crate::detect(path, &head) else {
                tracing::debug!(
                    path = relative_path.as_str(),
                    size,
                    "skipping a large file that is not configuration"
                );
                return None;
            };
            return Some(Err(ParseError::new(
                relative_path,
                format!("{kind} file is {size} bytes, larger than the {MAX_FILE_SIZE}-byte limit"),
            )));
        }
        Err(err @ (ReadError::SymbolicLink | ReadError::NotRegular(_) | ReadError::Replaced)) => {
            // The walk saw a regular file, so it changed since then.
            tracing::warn!(path = relative_path.as_str(), error = %err, "skipping a file that changed during the scan");
            return None;
        }
        Err(ReadError::Io(err)) => {
            return Some(Err(ParseError::new(
                relative_path,
                format!("cannot read file: {err}"),
            )));
        }
    };
    let kind = crate::detect(path, &content)?;
    debug_assert_ne!(
        kind,
        FileKind::Terraform,
        "Terraform files are parsed per directory"
    );
    Some(crate::parse_file(path, &relative_path, kind, &content))
}
