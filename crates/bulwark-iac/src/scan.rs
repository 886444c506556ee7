//! Directory walking for [`crate::scan_tree`].

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use walkdir::WalkDir;

use crate::{FileKind, MAX_FILE_SIZE, ParseError, ParsedFile, ScanTree};

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
        if !entry.file_type().is_file() {
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
    let display = display_path(root, path);
    let size = match fs::metadata(path) {
        Ok(metadata) => metadata.len(),
        Err(err) => {
            return Some(Err(ParseError::new(
                display,
                format!("cannot read file: {err}"),
            )));
        }
    };
    if size > MAX_FILE_SIZE {
        // Only files whose name says they are configuration are reported.
        let kind = crate::detect(path, b"")?;
        return Some(Err(ParseError::new(
            display,
            format!("{kind} file is {size} bytes, larger than the {MAX_FILE_SIZE}-byte limit"),
        )));
    }
    let content = match fs::read(path) {
        Ok(content) => content,
        Err(err) => {
            return Some(Err(ParseError::new(
                display,
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
    Some(crate::parse_file(path, &display, kind, &content))
}
