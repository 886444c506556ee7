//! The analyzer interface: one module per package format.

use bulwark_image::{EntryInfo, FileHandler};

use crate::os::OsFile;
use crate::package::{Package, PackageKind};

/// What an analyzer learned from one file.
#[derive(Debug, Clone)]
#[expect(
    clippy::large_enum_variant,
    reason = "packages are by far the most common fact; boxing each would add an allocation per package"
)]
pub enum Fact {
    /// A package. Its `locations` are filled in by the caller.
    Package(Package),
    /// An OS identification file such as `etc/os-release`.
    Os(OsFile),
    /// The files that an OS package installs, from a separate file list
    /// (dpkg's `info/*.list`).
    OwnedFiles {
        kind: PackageKind,
        package: String,
        files: Vec<String>,
    },
    /// Licenses of an OS package, from a separate file (dpkg copyright).
    Licenses {
        kind: PackageKind,
        package: String,
        licenses: Vec<String>,
    },
    /// A record that was skipped because it is malformed, while the rest
    /// of the file was read. Reported as a warning.
    Skipped { reason: String },
}

/// A file that an analyzer wanted but could not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{analyzer}: invalid {path}: {message}")]
pub struct AnalyzeError {
    pub analyzer: &'static str,
    pub path: String,
    pub message: String,
}

/// Reads one kind of file. Each ecosystem is one module implementing this
/// trait: it declares the paths it wants and returns what it found.
pub trait Analyzer: Send + Sync {
    /// Short name used in messages, such as `dpkg` or `npm-lock`.
    fn name(&self) -> &'static str;

    /// Returns whether this analyzer reads the file. Called for every
    /// regular file of every layer, so it must be cheap.
    fn wants(&self, info: &EntryInfo<'_>) -> bool;

    /// Parses one wanted file. A malformed file gives an error that names
    /// the problem; `path` is prefixed by the caller.
    fn analyze(&self, path: &str, data: &[u8]) -> Result<Vec<Fact>, String>;
}

/// Everything the analyzers learned from one file.
#[derive(Debug, Clone, Default)]
pub struct FileFacts {
    pub facts: Vec<Fact>,
    pub errors: Vec<AnalyzeError>,
}

/// Runs a set of analyzers as one [`FileHandler`].
pub struct AnalyzerSet {
    analyzers: Vec<Box<dyn Analyzer>>,
}

impl AnalyzerSet {
    /// The analyzers for every supported format.
    pub fn all() -> Self {
        Self {
            analyzers: crate::analyzers::all(),
        }
    }

    /// A set of the given analyzers, for tests and custom scans.
    pub fn new(analyzers: Vec<Box<dyn Analyzer>>) -> Self {
        Self { analyzers }
    }
}

impl FileHandler for AnalyzerSet {
    type Output = FileFacts;

    fn wants(&self, info: &EntryInfo<'_>) -> bool {
        self.analyzers.iter().any(|a| a.wants(info))
    }

    fn handle(&self, info: &EntryInfo<'_>, data: &[u8]) -> Option<FileFacts> {
        let mut out = FileFacts::default();
        for analyzer in self.analyzers.iter().filter(|a| a.wants(info)) {
            match analyzer.analyze(info.path, data) {
                Ok(facts) => out.facts.extend(facts.into_iter().map(|mut fact| {
                    if let Fact::Package(package) = &mut fact
                        && package.locations.is_empty()
                    {
                        package.locations.push(info.path.to_owned());
                    }
                    fact
                })),
                Err(message) => {
                    tracing::warn!(analyzer = analyzer.name(), path = info.path, %message, "failed to parse file");
                    out.errors.push(AnalyzeError {
                        analyzer: analyzer.name(),
                        path: info.path.to_owned(),
                        message,
                    });
                }
            }
        }
        (!out.facts.is_empty() || !out.errors.is_empty()).then_some(out)
    }
}

/// Splits a control-file style document (dpkg status, apk installed) into
/// paragraphs of `(key, value)` pairs. Continuation lines, which start with
/// a space or tab, are appended to the previous value with a newline.
pub(crate) fn paragraphs(text: &str, separator: char) -> Vec<Vec<(String, String)>> {
    let mut out = Vec::new();
    let mut current: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
            continue;
        }
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = current.last_mut() {
                value.push('\n');
                value.push_str(line.trim());
            }
            continue;
        }
        if let Some((key, value)) = line.split_once(separator) {
            current.push((key.trim().to_owned(), value.trim().to_owned()));
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}
