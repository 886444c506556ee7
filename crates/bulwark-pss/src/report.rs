//! Evaluating whole manifest files and rendering the results as a table or
//! as JSON.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{ControlFailure, Level, Version, evaluate_pod, objects};

/// Encoding of a manifest file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One or more YAML documents separated by `---`.
    Yaml,
    /// One JSON value.
    Json,
}

impl Format {
    /// Picks JSON for a `.json` file name and YAML for anything else.
    pub fn from_file_name(name: &str) -> Self {
        let is_json = std::path::Path::new(name)
            .extension()
            .is_some_and(|extension| extension.eq_ignore_ascii_case("json"));
        if is_json { Format::Json } else { Format::Yaml }
    }
}

/// A manifest that could not be parsed, with the 1-based position the
/// parser stopped at when it reports one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ParseError {
    pub message: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
}

/// Parses a manifest into its documents, in file order. Empty YAML
/// documents parse as `null`.
pub fn parse_manifest(text: &str, format: Format) -> Result<Vec<Value>, ParseError> {
    match format {
        Format::Json => serde_json::from_str(text)
            .map(|value| vec![value])
            .map_err(|error| ParseError {
                message: error.to_string(),
                line: Some(error.line()),
                column: Some(error.column()),
            }),
        Format::Yaml => yaml_serde::Deserializer::from_str(text)
            .map(Value::deserialize)
            .collect::<Result<_, _>>()
            .map_err(|error: yaml_serde::Error| {
                let location = error.location();
                ParseError {
                    message: error.to_string(),
                    line: location.as_ref().map(yaml_serde::Location::line),
                    column: location.as_ref().map(yaml_serde::Location::column),
                }
            }),
    }
}

/// The outcome for one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// A pod or pod template that passes every control.
    Allowed,
    /// A pod or pod template that fails at least one control.
    Denied,
    /// An object that carries no pod, which the admission controller ignores.
    Skipped,
    /// A pod or pod template with a field of the wrong type.
    Error,
}

/// The result for one object of a manifest.
#[derive(Debug, Clone, Serialize)]
pub struct ObjectResult {
    pub file: String,
    /// Position of the document in the file, starting at 1.
    pub document: usize,
    /// Index in the document's `List` `items`, starting at 0.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item: Option<usize>,
    pub api_version: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub status: Status,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub failures: Vec<ControlFailure>,
    /// Reason the object was skipped or could not be evaluated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl ObjectResult {
    /// Formats where the object is: `FILE (document N)` or
    /// `FILE (document N, items[I])`.
    pub fn location(&self) -> String {
        match self.item {
            Some(item) => format!("{} (document {}, items[{item}])", self.file, self.document),
            None => format!("{} (document {})", self.file, self.document),
        }
    }

    /// Formats `namespace/name`, `name`, or `(unnamed)`.
    pub fn display_name(&self) -> String {
        match (self.namespace.is_empty(), self.name.is_empty()) {
            (_, true) => "(unnamed)".to_owned(),
            (true, false) => self.name.clone(),
            (false, false) => format!("{}/{}", self.namespace, self.name),
        }
    }
}

/// A file that could not be evaluated at all.
#[derive(Debug, Clone, Serialize)]
pub struct FileError {
    pub file: String,
    #[serde(flatten)]
    pub error: ParseError,
}

/// Counts of object outcomes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub allowed: usize,
    pub denied: usize,
    pub skipped: usize,
    pub errors: usize,
}

/// Results of evaluating manifest files against one level and version, in
/// input order.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub level: Level,
    pub version: Version,
    /// The version whose policy was applied, `latest` resolved.
    pub effective_version: Version,
    pub summary: Summary,
    pub objects: Vec<ObjectResult>,
    /// Files that could not be read or parsed.
    pub errors: Vec<FileError>,
}

impl Report {
    /// Creates an empty report.
    pub fn new(level: Level, version: Version) -> Self {
        Report {
            level,
            version,
            effective_version: Version::Minor(version.effective_minor()),
            summary: Summary::default(),
            objects: Vec::new(),
            errors: Vec::new(),
        }
    }

    /// Parses one manifest and evaluates each of its objects. `file` names
    /// the manifest in the results.
    pub fn add_manifest(&mut self, file: &str, text: &str, format: Format) {
        let documents = match parse_manifest(text, format) {
            Ok(documents) => documents,
            Err(error) => {
                self.add_file_error(file, error);
                return;
            }
        };
        for (index, document) in documents.iter().enumerate() {
            for object in objects(document) {
                let mut result = ObjectResult {
                    file: file.to_owned(),
                    document: index + 1,
                    item: object.item,
                    api_version: object.api_version,
                    kind: object.kind,
                    namespace: object.namespace,
                    name: object.name,
                    status: Status::Skipped,
                    failures: Vec::new(),
                    message: None,
                };
                match object.pod.map(|pod| pod.decode()) {
                    None => {
                        result.message = Some("not a pod or pod template".to_owned());
                    }
                    Some(Err(error)) => {
                        result.status = Status::Error;
                        result.message = Some(error.to_string());
                    }
                    Some(Ok(pod)) => {
                        let evaluation =
                            evaluate_pod(&pod.metadata, &pod.spec, self.level, self.version);
                        result.status = if evaluation.allowed {
                            Status::Allowed
                        } else {
                            Status::Denied
                        };
                        result.failures = evaluation.failures;
                    }
                }
                self.count(result.status);
                self.objects.push(result);
            }
        }
    }

    /// Records a file that could not be read or parsed.
    pub fn add_file_error(&mut self, file: &str, error: ParseError) {
        self.errors.push(FileError {
            file: file.to_owned(),
            error,
        });
    }

    fn count(&mut self, status: Status) {
        let counter = match status {
            Status::Allowed => &mut self.summary.allowed,
            Status::Denied => &mut self.summary.denied,
            Status::Skipped => &mut self.summary.skipped,
            Status::Error => &mut self.summary.errors,
        };
        *counter += 1;
    }

    /// Returns whether any file or object could not be evaluated.
    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty() || self.summary.errors > 0
    }

    /// Returns whether any object was denied.
    pub fn has_denied(&self) -> bool {
        self.summary.denied > 0
    }

    /// Renders the report as pretty-printed JSON with a trailing newline.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self)
            .expect("a report contains only strings, numbers and lists");
        text.push('\n');
        text
    }

    /// Renders the report as text: one line per object, one indented line
    /// per failed control, then a summary line. File errors are left to the
    /// caller, which reports them on stderr.
    pub fn to_table(&self) -> String {
        let mut out = String::new();
        let policy = match self.version {
            Version::Latest => format!("{}:latest ({})", self.level, self.effective_version),
            Version::Minor(_) if self.version != self.effective_version => format!(
                "{}:{} (evaluated as {})",
                self.level, self.version, self.effective_version
            ),
            Version::Minor(_) => format!("{}:{}", self.level, self.version),
        };
        let _ = writeln!(out, "Pod Security Standards {policy}");
        for object in &self.objects {
            let status = match object.status {
                Status::Allowed => "ALLOWED",
                Status::Denied => "DENIED",
                Status::Skipped => "SKIPPED",
                Status::Error => "ERROR",
            };
            let _ = write!(
                out,
                "{status:<8} {} {} {}",
                object.location(),
                if object.kind.is_empty() {
                    "(no kind)"
                } else {
                    &object.kind
                },
                object.display_name()
            );
            match &object.message {
                Some(message) => {
                    let _ = writeln!(out, ": {message}");
                }
                None => out.push('\n'),
            }
            for failure in &object.failures {
                let _ = writeln!(
                    out,
                    "         {}: {} ({})",
                    failure.control_id, failure.reason, failure.detail
                );
            }
        }
        let summary = &self.summary;
        let _ = writeln!(
            out,
            "{} objects: {} allowed, {} denied, {} skipped, {} with errors",
            self.objects.len(),
            summary.allowed,
            summary.denied,
            summary.skipped,
            summary.errors
        );
        if !self.errors.is_empty() {
            let _ = writeln!(
                out,
                "{} files could not be read or parsed",
                self.errors.len()
            );
        }
        out
    }
}
