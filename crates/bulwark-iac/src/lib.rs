//! Parsers that turn infrastructure-as-code files into JSON input documents
//! for the policy engine.
//!
//! Supported kinds: Dockerfile, Kubernetes manifests, Docker Compose files,
//! Terraform modules and CloudFormation templates. Every document carries a
//! [`Positions`] table that maps JSON paths into the `input` value back to
//! 1-based source lines and columns, and every file carries the
//! `# bulwark:ignore` comments found in it. The input schema of each kind is
//! described in `INPUT.md` next to this crate's manifest.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::ignore::{CommentStyle, find_ignores};

mod cloudformation;
mod compose;
mod detect;
mod dockerfile;
mod ignore;
mod kubernetes;
mod read;
mod scan;
mod terraform;
mod yaml;

pub use read::{FileContent, ReadError, read_regular_file};
pub use terraform::{DYNAMIC_KEY, LABELS_KEY};

/// Kind of configuration file, which selects the parser and the checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FileKind {
    Dockerfile,
    Kubernetes,
    Compose,
    Terraform,
    CloudFormation,
}

impl FileKind {
    /// Every kind, in a fixed order.
    pub const ALL: [FileKind; 5] = [
        FileKind::Dockerfile,
        FileKind::Kubernetes,
        FileKind::Compose,
        FileKind::Terraform,
        FileKind::CloudFormation,
    ];

    /// Returns the lowercase name used in `input.kind` and in check metadata.
    pub fn as_str(self) -> &'static str {
        match self {
            FileKind::Dockerfile => "dockerfile",
            FileKind::Kubernetes => "kubernetes",
            FileKind::Compose => "compose",
            FileKind::Terraform => "terraform",
            FileKind::CloudFormation => "cloudformation",
        }
    }
}

impl fmt::Display for FileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One step of a path into an `input` value: a mapping key or a sequence index.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PathSegment {
    Key(String),
    Index(usize),
}

impl PathSegment {
    /// Converts a JSON array such as `["spec", "containers", 0, "image"]`
    /// into path segments. Returns `None` unless `value` is an array of
    /// strings and non-negative integers.
    pub fn path_from_json(value: &serde_json::Value) -> Option<Vec<PathSegment>> {
        let items = value.as_array()?;
        items
            .iter()
            .map(|item| match item {
                serde_json::Value::String(key) => Some(PathSegment::Key(key.clone())),
                serde_json::Value::Number(n) => n.as_u64().map(|i| PathSegment::Index(i as usize)),
                _ => None,
            })
            .collect()
    }
}

impl From<&serde_json::Value> for PathSegment {
    /// Strings become keys and non-negative integers become indices; any
    /// other value becomes a key holding its JSON text, which matches nothing.
    fn from(value: &serde_json::Value) -> Self {
        match value {
            serde_json::Value::String(key) => PathSegment::Key(key.clone()),
            serde_json::Value::Number(n) if n.as_u64().is_some() => {
                PathSegment::Index(n.as_u64().unwrap_or_default() as usize)
            }
            other => PathSegment::Key(other.to_string()),
        }
    }
}

impl From<&str> for PathSegment {
    fn from(key: &str) -> Self {
        PathSegment::Key(key.to_owned())
    }
}

impl From<usize> for PathSegment {
    fn from(index: usize) -> Self {
        PathSegment::Index(index)
    }
}

impl fmt::Display for PathSegment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PathSegment::Key(key) => f.write_str(key),
            PathSegment::Index(index) => write!(f, "{index}"),
        }
    }
}

/// Largest file the parsers accept, in bytes.
pub const MAX_FILE_SIZE: u64 = 10 * 1024 * 1024;

/// Deepest YAML nesting of mappings and sequences the parsers accept.
pub const MAX_YAML_DEPTH: usize = 256;

/// Source location of one node, as returned by [`Positions::locate_source`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourceLocation<'a> {
    /// Display path of the file that contains the node when a document spans
    /// several files (Terraform modules); `None` means the file of the
    /// enclosing [`ParsedFile`].
    pub file: Option<&'a str>,
    pub line: u32,
    pub column: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    line: u32,
    column: u32,
    /// Index into `Positions::files`, or `u32::MAX` for none.
    file: u32,
}

/// Source positions of the nodes of one document: JSON path to 1-based
/// `(line, column)`, plus the file for documents built from several files.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Positions {
    map: HashMap<Vec<PathSegment>, Entry>,
    files: Vec<String>,
}

impl Positions {
    /// Creates an empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records the position of `path`, replacing an earlier entry.
    pub fn insert(&mut self, path: Vec<PathSegment>, line: u32, column: u32) {
        let file = u32::MAX;
        self.map.insert(path, Entry { line, column, file });
    }

    /// Records the position of `path` in the file `file` (a display path).
    pub fn insert_in_file(&mut self, path: Vec<PathSegment>, file: &str, line: u32, column: u32) {
        let index = match self.files.iter().position(|known| known == file) {
            Some(index) => index,
            None => {
                self.files.push(file.to_owned());
                self.files.len() - 1
            }
        };
        let file = u32::try_from(index).unwrap_or(u32::MAX);
        self.map.insert(path, Entry { line, column, file });
    }

    /// Returns the position of `path`, or of its longest prefix that has a
    /// position. The empty path matches only if the document root was recorded.
    pub fn locate(&self, path: &[PathSegment]) -> Option<(u32, u32)> {
        self.locate_source(path)
            .map(|location| (location.line, location.column))
    }

    /// Returns the location of `path` or of its longest recorded prefix,
    /// including the file for documents built from several files.
    pub fn locate_source(&self, path: &[PathSegment]) -> Option<SourceLocation<'_>> {
        (0..=path.len()).rev().find_map(|len| {
            let entry = self.map.get(&path[..len])?;
            Some(SourceLocation {
                file: self.files.get(entry.file as usize).map(String::as_str),
                line: entry.line,
                column: entry.column,
            })
        })
    }

    /// Returns the position recorded for exactly `path`.
    pub fn get(&self, path: &[PathSegment]) -> Option<(u32, u32)> {
        self.map.get(path).map(|entry| (entry.line, entry.column))
    }

    /// Returns the positions under `prefix`, with the prefix removed.
    pub(crate) fn subtree(&self, prefix: &[PathSegment]) -> Positions {
        let mut result = Positions {
            map: HashMap::new(),
            files: self.files.clone(),
        };
        for (path, entry) in &self.map {
            if let Some(rest) = path.strip_prefix(prefix) {
                result.map.insert(rest.to_vec(), *entry);
            }
        }
        result
    }

    /// Moves all positions of `other` under `prefix`.
    pub(crate) fn absorb(&mut self, prefix: &[PathSegment], other: Positions) {
        for (path, entry) in other.map {
            let mut full = prefix.to_vec();
            full.extend(path);
            match other.files.get(entry.file as usize) {
                Some(file) => self.insert_in_file(full, file, entry.line, entry.column),
                None => self.insert(full, entry.line, entry.column),
            }
        }
    }

    /// Returns the largest recorded line.
    pub(crate) fn max_line(&self) -> Option<u32> {
        self.map.values().map(|entry| entry.line).max()
    }

    /// Number of recorded paths.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Returns true if no path has a position.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Iterates over all recorded paths in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&[PathSegment], (u32, u32))> {
        self.map
            .iter()
            .map(|(path, entry)| (path.as_slice(), (entry.line, entry.column)))
    }
}

/// One input document: what the checks see as `input`.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// Index of the document within its file (YAML stream order, after
    /// `List` expansion).
    pub index: usize,
    pub input: serde_json::Value,
    pub positions: Positions,
    /// First and last source line of the document, 1-based.
    pub start_line: u32,
    pub end_line: u32,
    /// Short resource name for reports, such as `Deployment/default/web`.
    pub resource: Option<String>,
}

/// A `# bulwark:ignore RULE-ID[,RULE-ID] [reason="..."] [owner=...]
/// [expires=YYYY-MM-DD]` comment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InlineIgnore {
    /// Line the comment applies to: its own line for a trailing comment,
    /// otherwise the next line that is not blank or a comment.
    pub line: u32,
    pub rule_ids: Vec<String>,
    pub reason: Option<String>,
    pub owner: Option<String>,
    pub expires: Option<String>,
    /// Display path of the file holding the comment when the parsed unit
    /// spans several files (Terraform modules); `None` means
    /// [`ParsedFile::path`].
    pub file: Option<String>,
}

/// One parsed configuration file or Terraform module directory.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedFile {
    /// Display path relative to the scan root, with `/` separators.
    pub path: String,
    pub kind: FileKind,
    pub documents: Vec<Document>,
    pub ignores: Vec<InlineIgnore>,
}

/// A file that could not be read or parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ParseError {
    pub path: String,
    pub line: Option<u32>,
    pub column: Option<u32>,
    pub message: String,
}

impl ParseError {
    /// Creates an error without a position.
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            line: None,
            column: None,
            message: message.into(),
        }
    }

    /// Creates an error at a 1-based line and column.
    pub fn at(path: impl Into<String>, line: u32, column: u32, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            line: Some(line),
            column: Some(column),
            message: message.into(),
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.path)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        write!(f, ": {}", self.message)
    }
}

/// Result of [`scan_tree`]: one entry per detected file or Terraform module
/// directory, sorted by display path.
#[derive(Debug, Default)]
pub struct ScanTree {
    pub root: PathBuf,
    pub results: Vec<Result<ParsedFile, ParseError>>,
}

/// Detects the kind of a configuration file from its content, using the
/// file name as a hint. Returns `None` for files that are not configuration.
/// The rules are listed in `INPUT.md`.
pub fn detect(path: &Path, content: &[u8]) -> Option<FileKind> {
    detect::detect(path, content)
}

/// Parses one file of a known kind into its documents. A Terraform file is
/// parsed alone as a module without tfvars; use [`parse_terraform_module`]
/// for a whole directory.
pub fn parse_file(
    path: &Path,
    display_path: &str,
    kind: FileKind,
    content: &[u8],
) -> Result<ParsedFile, ParseError> {
    if content.len() as u64 > MAX_FILE_SIZE {
        return Err(ParseError::new(
            display_path,
            format!(
                "file is {} bytes, larger than the {MAX_FILE_SIZE}-byte limit",
                content.len()
            ),
        ));
    }
    let text = std::str::from_utf8(content).map_err(|err| {
        ParseError::new(
            display_path,
            format!("file is not valid UTF-8 (at byte {})", err.valid_up_to()),
        )
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let (documents, style) = match kind {
        FileKind::Dockerfile => (
            dockerfile::parse(text, display_path)?,
            CommentStyle::HashLine,
        ),
        FileKind::Kubernetes => (kubernetes::parse(text, display_path)?, CommentStyle::Hash),
        FileKind::Compose => (compose::parse(text, display_path)?, CommentStyle::Hash),
        FileKind::CloudFormation => (
            cloudformation::parse(text, display_path)?,
            CommentStyle::Hash,
        ),
        FileKind::Terraform => {
            return terraform::parse_single_file(path, display_path, text);
        }
    };
    Ok(ParsedFile {
        path: display_path.to_owned(),
        kind,
        documents,
        ignores: find_ignores(text, style),
    })
}

/// Parses all `*.tf` and `*.tf.json` files of one directory as one module.
/// Local module sources are followed only inside `dir`; use
/// [`parse_terraform_module_within`] to allow a wider root.
pub fn parse_terraform_module(dir: &Path, display_dir: &str) -> Result<ParsedFile, ParseError> {
    terraform::parse_module(dir, display_dir, dir)
}

/// Like [`parse_terraform_module`], but follows local module sources
/// anywhere inside `scan_root`, with display paths relative to it.
pub fn parse_terraform_module_within(
    dir: &Path,
    display_dir: &str,
    scan_root: &Path,
) -> Result<ParsedFile, ParseError> {
    terraform::parse_module(dir, display_dir, scan_root)
}

/// Walks `root`, detects configuration files and parses them. Directories
/// named `.git`, `node_modules`, `.terraform` and `vendor` are skipped, and
/// every directory that contains `*.tf` files is parsed as one module.
/// Symbolic links below `root`, FIFOs, sockets and devices are skipped with
/// a warning and never opened.
pub fn scan_tree(root: &Path) -> ScanTree {
    scan::scan_tree(root)
}
