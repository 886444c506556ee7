//! YAML loading shared by the Kubernetes, Compose and CloudFormation parsers.
//!
//! Values come from `yaml_serde`, which rejects alias expansion bombs. A
//! pass over the `saphyr-parser` event stream, which does not expand
//! aliases, records the line and column of every mapping key and sequence
//! item.

use saphyr_parser::{Event, Parser, Span};
use serde::Deserialize;

use crate::{MAX_YAML_DEPTH, ParseError, PathSegment, Positions};

/// One YAML document of a stream with its positions.
pub(crate) struct YamlDocument {
    pub value: yaml_serde::Value,
    pub positions: Positions,
    pub start_line: u32,
    pub end_line: u32,
}

/// Conversion rule for tagged values such as `!Ref x`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TagMode {
    /// Drop the tag and keep the value.
    Strip,
    /// Convert CloudFormation short-form intrinsic functions to long form.
    CloudFormation,
}

/// One document converted to JSON.
pub(crate) struct JsonDocument {
    pub value: serde_json::Value,
    pub positions: Positions,
    pub start_line: u32,
    pub end_line: u32,
}

/// Loads a YAML stream or a JSON text and converts each document to JSON.
/// Text whose first non-blank character is `{` is read as JSON, which also
/// accepts tab indentation that the YAML loader rejects.
pub(crate) fn load_json_documents(
    text: &str,
    display_path: &str,
    mode: TagMode,
) -> Result<Vec<JsonDocument>, ParseError> {
    if text.trim_start().starts_with('{') {
        let value: serde_json::Value = serde_json::from_str(text).map_err(|err| {
            ParseError::at(
                display_path,
                to_u32(err.line()),
                to_u32(err.column()),
                json_message(&err),
            )
        })?;
        // Positions are a bonus for JSON: the YAML event parser may reject
        // JSON that serde_json accepts, for example tab indentation.
        let (positions, end_line) = match track_positions(text, display_path) {
            Ok(mut docs) if !docs.is_empty() => {
                let doc = docs.swap_remove(0);
                (doc.positions, doc.end_line)
            }
            _ => (Positions::new(), to_u32(text.lines().count().max(1))),
        };
        return Ok(vec![JsonDocument {
            value,
            positions,
            start_line: 1,
            end_line,
        }]);
    }
    let documents = load_documents(text, display_path)?;
    Ok(documents
        .into_iter()
        .map(|doc| JsonDocument {
            value: to_json(&doc.value, mode),
            positions: doc.positions,
            start_line: doc.start_line,
            end_line: doc.end_line,
        })
        .collect())
}

fn json_message(err: &serde_json::Error) -> String {
    let message = err.to_string();
    match message.find(" at line ") {
        Some(cut) => message[..cut].to_owned(),
        None => message,
    }
}

/// Loads every document of a YAML stream. Empty documents are kept as
/// `Null` so that indices match the stream.
pub(crate) fn load_documents(
    text: &str,
    display_path: &str,
) -> Result<Vec<YamlDocument>, ParseError> {
    // The event parser runs first because it stops at MAX_YAML_DEPTH (and
    // saphyr-parser 0.3 at 255 flow levels) as it reads. yaml_serde 0.10
    // instead scans deep flow collections (`[[[[...`) in time quadratic in
    // their depth before it reports its own limit.
    let mut tracked = track_positions(text, display_path)?;
    let mut values = Vec::new();
    for document in yaml_serde::Deserializer::from_str(text) {
        let mut value = yaml_serde::Value::deserialize(document)
            .map_err(|err| yaml_error(display_path, &err))?;
        value
            .apply_merge()
            .map_err(|err| yaml_error(display_path, &err))?;
        values.push(value);
    }

    let mut documents = Vec::with_capacity(values.len());
    for (index, value) in values.into_iter().enumerate() {
        let (positions, start_line, end_line) = match tracked.get_mut(index) {
            Some(doc) => (
                std::mem::take(&mut doc.positions),
                doc.start_line,
                doc.end_line,
            ),
            None => (Positions::new(), 1, 1),
        };
        documents.push(YamlDocument {
            value,
            positions,
            start_line,
            end_line,
        });
    }
    Ok(documents)
}

fn yaml_error(display_path: &str, err: &yaml_serde::Error) -> ParseError {
    let mut message = err.to_string();
    if message.starts_with("recursion limit exceeded") {
        message =
            "YAML nesting is too deep (the YAML loader accepts at most 128 levels)".to_owned();
    } else if message.starts_with("repetition limit exceeded") {
        message = "YAML aliases expand to too many nodes (an alias expansion bomb)".to_owned();
    }
    // The location is repeated in the message as "at line X column Y".
    if let Some(cut) = message.find(" at line ") {
        message.truncate(cut);
    }
    match err.location() {
        Some(location) => ParseError::at(
            display_path,
            to_u32(location.line()),
            to_u32(location.column()),
            message,
        ),
        None => ParseError::new(display_path, message),
    }
}

pub(crate) fn to_u32(value: usize) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

struct TrackedDocument {
    positions: Positions,
    start_line: u32,
    end_line: u32,
}

enum Frame {
    Mapping {
        path: Vec<PathSegment>,
        /// Key of the value being read, or `None` while a key is expected.
        key: Option<PathSegment>,
        /// Depth of a complex (non-scalar) key being skipped.
        skipping_key: bool,
    },
    Sequence {
        path: Vec<PathSegment>,
        next: usize,
    },
    /// A complex mapping key: its content has no path of its own.
    Skipped,
}

fn position(span: &Span) -> (u32, u32) {
    (to_u32(span.start.line()), to_u32(span.start.col() + 1))
}

/// Walks the event stream and records a position for every node.
fn track_positions(text: &str, display_path: &str) -> Result<Vec<TrackedDocument>, ParseError> {
    let mut documents = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut current: Option<TrackedDocument> = None;

    for event in Parser::new_from_str(text) {
        let (event, span) = event.map_err(|err| {
            let message = match err.info() {
                // saphyr-parser 0.3 counts flow levels in a u8.
                "recursion limit exceeded" => {
                    "YAML flow nesting is too deep (the YAML parser accepts at most 255 levels of [ and {)"
                }
                info => info,
            };
            ParseError::at(
                display_path,
                to_u32(err.marker().line()),
                to_u32(err.marker().col() + 1),
                message.to_owned(),
            )
        })?;
        if let Some(doc) = current.as_mut() {
            doc.end_line = doc.end_line.max(to_u32(span.end.line()));
        }
        match event {
            Event::DocumentStart(_) => {
                stack.clear();
                let line = to_u32(span.start.line());
                current = Some(TrackedDocument {
                    positions: Positions::new(),
                    start_line: line,
                    end_line: line,
                });
            }
            Event::DocumentEnd => {
                if let Some(doc) = current.take() {
                    documents.push(doc);
                }
            }
            Event::Scalar(ref value, ..) => {
                let key = PathSegment::Key(value.to_string());
                if let Some(doc) = current.as_mut() {
                    node(&mut stack, &mut doc.positions, &span, Some(key), false);
                }
            }
            Event::Alias(_) => {
                if let Some(doc) = current.as_mut() {
                    node(&mut stack, &mut doc.positions, &span, None, false);
                }
            }
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                let is_mapping = matches!(event, Event::MappingStart(..));
                if stack.len() >= MAX_YAML_DEPTH {
                    let (line, column) = position(&span);
                    return Err(ParseError::at(
                        display_path,
                        line,
                        column,
                        format!("YAML nesting is deeper than {MAX_YAML_DEPTH} levels"),
                    ));
                }
                if let Some(doc) = current.as_mut() {
                    let path = node(&mut stack, &mut doc.positions, &span, None, true);
                    stack.push(match path {
                        Some(path) if is_mapping => Frame::Mapping {
                            path,
                            key: None,
                            skipping_key: false,
                        },
                        Some(path) => Frame::Sequence { path, next: 0 },
                        None => Frame::Skipped,
                    });
                }
            }
            Event::MappingEnd | Event::SequenceEnd => {
                stack.pop();
                if let Some(Frame::Mapping {
                    key, skipping_key, ..
                }) = stack.last_mut()
                    && *skipping_key
                {
                    // A complex key ended, so its value comes next. The
                    // value gets no path of its own.
                    *skipping_key = false;
                    *key = Some(PathSegment::Key(String::new()));
                }
            }
            Event::StreamStart | Event::StreamEnd | Event::Nothing => {}
        }
    }
    Ok(documents)
}

/// Handles one node event (scalar, alias or collection start) and returns
/// the path of the node when it is a value with a path.
fn node(
    stack: &mut [Frame],
    positions: &mut Positions,
    span: &Span,
    scalar_key: Option<PathSegment>,
    is_collection: bool,
) -> Option<Vec<PathSegment>> {
    let (line, column) = position(span);
    match stack.last_mut() {
        None => {
            positions.insert(Vec::new(), line, column);
            Some(Vec::new())
        }
        Some(Frame::Skipped) => None,
        Some(Frame::Sequence { path, next }) => {
            let mut item = path.clone();
            item.push(PathSegment::Index(*next));
            *next += 1;
            positions.insert(item.clone(), line, column);
            Some(item)
        }
        Some(Frame::Mapping {
            path,
            key,
            skipping_key,
        }) => match key.take() {
            None => {
                // This node is a key.
                match scalar_key {
                    Some(segment) if !is_collection => {
                        let mut item = path.clone();
                        item.push(segment.clone());
                        positions.insert(item, line, column);
                        *key = Some(segment);
                        None
                    }
                    _ => {
                        if is_collection {
                            *skipping_key = true;
                        } else {
                            *key = Some(PathSegment::Key(String::new()));
                        }
                        None
                    }
                }
            }
            Some(segment) => {
                // This node is the value of `segment`; its position is the
                // key's, which is already recorded.
                let mut item = path.clone();
                item.push(segment);
                if is_collection { Some(item) } else { None }
            }
        },
    }
}

/// Converts a YAML value to JSON. Mapping keys that are not strings become
/// their YAML text; floats that JSON cannot hold (NaN, infinities) become
/// strings.
pub(crate) fn to_json(value: &yaml_serde::Value, mode: TagMode) -> serde_json::Value {
    use yaml_serde::Value as Y;
    match value {
        Y::Null => serde_json::Value::Null,
        Y::Bool(b) => serde_json::Value::Bool(*b),
        Y::Number(n) => number_to_json(n),
        Y::String(s) => serde_json::Value::String(s.clone()),
        Y::Sequence(items) => items.iter().map(|item| to_json(item, mode)).collect(),
        Y::Mapping(mapping) => {
            let mut object = serde_json::Map::new();
            for (key, item) in mapping {
                object.insert(key_to_string(key), to_json(item, mode));
            }
            serde_json::Value::Object(object)
        }
        Y::Tagged(tagged) => match mode {
            TagMode::Strip => to_json(&tagged.value, mode),
            TagMode::CloudFormation => crate::cloudformation::intrinsic(tagged, mode),
        },
    }
}

fn number_to_json(n: &yaml_serde::Number) -> serde_json::Value {
    if let Some(i) = n.as_i64() {
        serde_json::Value::from(i)
    } else if let Some(u) = n.as_u64() {
        serde_json::Value::from(u)
    } else {
        let f = n.as_f64().unwrap_or(f64::NAN);
        serde_json::Number::from_f64(f)
            .map(serde_json::Value::Number)
            .unwrap_or_else(|| serde_json::Value::String(n.to_string()))
    }
}

/// Returns the text used as a JSON object key for a YAML mapping key.
pub(crate) fn key_to_string(key: &yaml_serde::Value) -> String {
    use yaml_serde::Value as Y;
    match key {
        Y::String(s) => s.clone(),
        Y::Null => "null".to_owned(),
        Y::Bool(b) => b.to_string(),
        Y::Number(n) => n.to_string(),
        Y::Tagged(tagged) => key_to_string(&tagged.value),
        complex => serde_json::to_string(&to_json(complex, TagMode::Strip)).unwrap_or_default(),
    }
}
