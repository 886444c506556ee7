//! A streaming reader for OVAL 5 definition files, shared by the Debian,
//! Ubuntu, Red Hat and Rocky Linux converters.
//!
//! An OVAL file lists its definitions first and the tests, objects, states
//! and variables they refer to after them. The reader makes two passes over
//! the file: the first keeps only those four tables, the second yields one
//! definition at a time. Memory stays bounded by the tables and one
//! definition, never by the whole definition list.
//!
//! Input may be plain XML or bzip2- or xz-compressed XML; compressed input
//! is decompressed as it is read, once per pass.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::{BufRead, BufReader};

use bulwark_osv::{Affected, Event, PackageRef, Range, Status};
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event as XmlEvent};
use serde_json::{Map, Value};

use super::{FeedError, RecordError};

/// Maximum length of one text node, such as a description, in bytes.
pub(crate) const MAX_TEXT_LEN: usize = 1 << 20;

/// Maximum nesting depth of `criteria` elements in one definition.
pub(crate) const MAX_CRITERIA_DEPTH: usize = 64;

/// Maximum number of criteria nodes in one definition.
const MAX_CRITERIA_NODES: usize = 100_000;

/// Returns a reader over `data`, decompressing bzip2 or xz input.
pub(crate) fn open(data: &[u8]) -> Box<dyn BufRead + '_> {
    if data.starts_with(b"BZh") {
        Box::new(BufReader::new(bzip2::read::MultiBzDecoder::new(data)))
    } else if data.starts_with(&[0xFD, b'7', b'z', b'X', b'Z', 0x00]) {
        Box::new(BufReader::new(liblzma::read::XzDecoder::new_multi_decoder(
            data,
        )))
    } else {
        Box::new(data)
    }
}

/// Returns whether the start of a feed file is an OVAL document whose
/// text contains `marker`, such as the generator name of one distribution.
pub(crate) fn is_oval_with(data: &[u8], marker: &str) -> bool {
    let head = head(data, super::DETECT_HEAD_LEN);
    let text = String::from_utf8_lossy(&head);
    text.contains("<oval_definitions") && text.contains(marker)
}

/// Returns the first `len` bytes of `data`, decompressed when it is bzip2 or
/// xz, for format detection. Returns an empty vector when decompression
/// fails.
pub(crate) fn head(data: &[u8], len: usize) -> Cow<'_, [u8]> {
    if !data.starts_with(b"BZh") && !data.starts_with(&[0xFD, b'7', b'z', b'X', b'Z', 0x00]) {
        return Cow::Borrowed(&data[..data.len().min(len)]);
    }
    let mut reader = open(data);
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        match reader.fill_buf() {
            Ok([]) | Err(_) => break,
            Ok(chunk) => {
                let take = chunk.len().min(len - out.len());
                out.extend_from_slice(&chunk[..take]);
                reader.consume(take);
            }
        }
    }
    Cow::Owned(out)
}

/// One child element of a test, object, state or variable, such as
/// `<evr operation="less than">0:1.2-3</evr>` or `<object object_ref="…"/>`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Field {
    /// Local element name, such as `evr`, `name`, `object` or `value`.
    pub name: String,
    /// Text content, unescaped.
    pub text: String,
    /// Attributes by local name.
    pub attrs: Vec<(String, String)>,
}

impl Field {
    /// Returns the attribute named `name`.
    pub fn attr(&self, name: &str) -> Option<&str> {
        attr_of(&self.attrs, name)
    }
}

/// A test, object, state or variable: an element with an `id` and a flat
/// list of child fields.
#[derive(Debug, Clone, Default)]
pub(crate) struct Entity {
    /// Local element name, such as `dpkginfo_test` or `rpminfo_state`.
    pub kind: String,
    /// Attributes by local name (`id`, `comment`, `check_existence`, …).
    pub attrs: Vec<(String, String)>,
    /// Child elements in document order.
    pub fields: Vec<Field>,
}

impl Entity {
    /// Returns the attribute named `name`.
    pub fn attr(&self, name: &str) -> Option<&str> {
        attr_of(&self.attrs, name)
    }

    /// Returns the first child field named `name`.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|field| field.name == name)
    }
}

fn attr_of<'a>(attrs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    attrs
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

/// The tests, objects, states and variables of one OVAL file, by id.
#[derive(Debug, Default)]
pub(crate) struct Tables {
    pub tests: HashMap<String, Entity>,
    pub objects: HashMap<String, Entity>,
    pub states: HashMap<String, Entity>,
    pub variables: HashMap<String, Entity>,
}

/// A reference in a definition's metadata.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct DefinitionRef {
    /// `CVE`, `USN`, `RHSA`, `DSA`, …
    pub source: String,
    pub ref_id: String,
    pub ref_url: String,
}

/// A `resolution` in a Red Hat definition's `advisory/affected` block.
#[derive(Debug, Clone, Default)]
pub(crate) struct Resolution {
    /// `Will not fix`, `Fix deferred`, `Affected`, …
    pub state: String,
    pub components: Vec<String>,
}

/// A node of a definition's criteria tree.
#[derive(Debug, Clone)]
pub(crate) enum Node {
    /// `<criteria operator="AND|OR">` with its children.
    Criteria {
        operator: String,
        negate: bool,
        children: Vec<Node>,
    },
    /// `<criterion test_ref="…">`.
    Criterion {
        test_ref: String,
        comment: String,
        negate: bool,
    },
    /// `<extend_definition>`, whose comment names the release it checks.
    Extend { comment: String },
}

/// One OVAL definition with the metadata the converters use.
#[derive(Debug, Clone, Default)]
pub(crate) struct Definition {
    pub id: String,
    /// `vulnerability`, `patch` or `inventory`.
    pub class: String,
    pub title: String,
    pub description: String,
    pub platforms: Vec<String>,
    pub products: Vec<String>,
    pub references: Vec<DefinitionRef>,
    pub severity: Option<String>,
    pub issued: Option<String>,
    pub updated: Option<String>,
    pub advisory_from: Option<String>,
    /// CVE ids listed in the `advisory` block.
    pub cves: Vec<String>,
    pub affected_cpes: Vec<String>,
    pub resolutions: Vec<Resolution>,
    /// The top-level `criteria`, when the definition has one.
    pub criteria: Option<Node>,
}

impl Definition {
    /// Returns the ids of the references whose source is `source`, in order
    /// and without repeats.
    pub fn ref_ids(&self, source: &str) -> Vec<String> {
        let mut ids: Vec<String> = Vec::new();
        for reference in &self.references {
            if reference.source == source && !ids.contains(&reference.ref_id) {
                ids.push(reference.ref_id.clone());
            }
        }
        ids
    }

    /// Returns every criterion in the tree, depth first.
    pub fn criteria_leaves(&self) -> Vec<&Node> {
        let mut leaves = Vec::new();
        let mut stack: Vec<&Node> = self.criteria.iter().collect();
        while let Some(node) = stack.pop() {
            match node {
                Node::Criteria { children, .. } => stack.extend(children.iter().rev()),
                leaf => leaves.push(leaf),
            }
        }
        leaves
    }
}

fn xml_error(error: impl std::fmt::Display, reader_position: u64) -> FeedError {
    FeedError::new(format!(
        "invalid OVAL XML at byte {reader_position}: {error}"
    ))
}

/// Collects an element's attributes by local name, unescaped.
fn attributes(start: &BytesStart<'_>) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for attr in start.attributes() {
        let attr = attr.map_err(|error| format!("invalid attribute: {error}"))?;
        let key = String::from_utf8_lossy(attr.key.local_name().as_ref()).into_owned();
        let value = attr
            .unescape_value()
            .map_err(|error| format!("invalid attribute {key}: {error}"))?
            .into_owned();
        out.push((key, value));
    }
    Ok(out)
}

fn local_name(start: &BytesStart<'_>) -> String {
    String::from_utf8_lossy(start.local_name().as_ref()).into_owned()
}

/// Appends an entity or character reference (`amp`, `#x30`) to `text`.
fn push_reference(text: &mut String, name: &str) -> Result<(), String> {
    let resolved = match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        _ => {
            let code = if let Some(hex) = name.strip_prefix("#x") {
                u32::from_str_radix(hex, 16).ok()
            } else if let Some(decimal) = name.strip_prefix('#') {
                decimal.parse().ok()
            } else {
                None
            };
            code.and_then(char::from_u32)
                .ok_or_else(|| format!("unknown entity reference &{name};"))?
        }
    };
    text.push(resolved);
    Ok(())
}

/// Appends text to a bounded buffer; returns false when the bound is hit.
fn push_text(buffer: &mut String, text: &str) -> bool {
    if buffer.len() + text.len() > MAX_TEXT_LEN {
        return false;
    }
    buffer.push_str(text);
    true
}

/// Reads the tests, objects, states and variables of an OVAL file.
///
/// # Errors
///
/// Returns [`FeedError`] when the XML is malformed or an entry of the tables
/// has no `id`.
pub(crate) fn read_tables(data: &[u8]) -> Result<Tables, FeedError> {
    let mut reader = Reader::from_reader(open(data));
    let mut buf = Vec::new();
    let mut tables = Tables::default();
    // Local names of the open elements.
    let mut path: Vec<String> = Vec::new();
    let mut entity: Option<(String, Entity)> = None;
    let mut field: Option<Field> = None;
    let mut saw_root = false;
    loop {
        let position = reader.buffer_position();
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|error| xml_error(error, position))?;
        match event {
            XmlEvent::Start(start) => {
                let name = local_name(&start);
                if path.is_empty() {
                    check_root(&name)?;
                    saw_root = true;
                }
                if path.len() == 1 && name == "definitions" {
                    let end = start.to_end().into_owned();
                    reader
                        .read_to_end_into(end.name(), &mut Vec::new())
                        .map_err(|error| xml_error(error, position))?;
                    continue;
                }
                open_table_element(&name, &start, &path, &mut entity, &mut field)?;
                path.push(name);
            }
            XmlEvent::Empty(start) => {
                let name = local_name(&start);
                if path.is_empty() {
                    check_root(&name)?;
                    saw_root = true;
                }
                open_table_element(&name, &start, &path, &mut entity, &mut field)?;
                close_table_element(path.len() + 1, &mut tables, &mut entity, &mut field)?;
            }
            XmlEvent::End(_) => {
                close_table_element(path.len(), &mut tables, &mut entity, &mut field)?;
                path.pop();
            }
            XmlEvent::Text(text) => {
                if let Some(field) = field.as_mut() {
                    let text = text
                        .xml10_content()
                        .map_err(|error| xml_error(error, position))?;
                    if !push_text(&mut field.text, &text) {
                        return Err(FeedError::new(format!(
                            "OVAL {} text is longer than {MAX_TEXT_LEN} bytes",
                            field.name
                        )));
                    }
                }
            }
            XmlEvent::CData(text) => {
                if let Some(field) = field.as_mut() {
                    let text = String::from_utf8_lossy(&text);
                    if !push_text(&mut field.text, &text) {
                        return Err(FeedError::new(format!(
                            "OVAL {} text is longer than {MAX_TEXT_LEN} bytes",
                            field.name
                        )));
                    }
                }
            }
            XmlEvent::GeneralRef(reference) => {
                if let Some(field) = field.as_mut() {
                    let name = reference
                        .decode()
                        .map_err(|error| xml_error(error, position))?;
                    push_reference(&mut field.text, &name)
                        .map_err(|error| xml_error(error, position))?;
                }
            }
            XmlEvent::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if !saw_root {
        return Err(FeedError::new(
            "not an OVAL file: no oval_definitions element",
        ));
    }
    if !path.is_empty() {
        return Err(FeedError::new(format!(
            "truncated OVAL XML: element {} is not closed",
            path.join("/")
        )));
    }
    Ok(tables)
}

fn check_root(name: &str) -> Result<(), FeedError> {
    if name == "oval_definitions" {
        Ok(())
    } else {
        Err(FeedError::new(format!(
            "not an OVAL file: the root element is {name}, expected oval_definitions"
        )))
    }
}

const TABLES: [&str; 4] = ["tests", "objects", "states", "variables"];

/// Starts an entity (depth 3 under a table) or one of its fields (depth 4).
fn open_table_element(
    name: &str,
    start: &BytesStart<'_>,
    path: &[String],
    entity: &mut Option<(String, Entity)>,
    field: &mut Option<Field>,
) -> Result<(), FeedError> {
    let attrs = || attributes(start).map_err(|error| FeedError::new(format!("{name}: {error}")));
    if path.len() == 2 && TABLES.contains(&path[1].as_str()) {
        *entity = Some((
            path[1].clone(),
            Entity {
                kind: name.to_owned(),
                attrs: attrs()?,
                fields: Vec::new(),
            },
        ));
    } else if path.len() == 3 && entity.is_some() {
        *field = Some(Field {
            name: name.to_owned(),
            text: String::new(),
            attrs: attrs()?,
        });
    }
    Ok(())
}

/// Finishes the entity or field that the element at `depth` opened.
fn close_table_element(
    depth: usize,
    tables: &mut Tables,
    entity: &mut Option<(String, Entity)>,
    field: &mut Option<Field>,
) -> Result<(), FeedError> {
    if depth == 4 {
        if let (Some(done), Some((_, entity))) = (field.take(), entity.as_mut()) {
            entity.fields.push(done);
        }
    } else if depth == 3
        && let Some((table, done)) = entity.take()
    {
        let Some(id) = done.attr("id").map(str::to_owned) else {
            return Err(FeedError::new(format!(
                "OVAL {} in {table} has no id attribute",
                done.kind
            )));
        };
        let map = match table.as_str() {
            "tests" => &mut tables.tests,
            "objects" => &mut tables.objects,
            "states" => &mut tables.states,
            _ => &mut tables.variables,
        };
        map.insert(id, done);
    }
    Ok(())
}

/// Where text inside a definition goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TextTarget {
    Title,
    Description,
    Platform,
    Product,
    Severity,
    Cve,
    Cpe,
    Component,
}

/// Builds one definition from the events between its start and end tags.
#[derive(Default)]
struct DefinitionBuilder {
    definition: Definition,
    /// Open `criteria` elements, innermost last.
    criteria_stack: Vec<(String, bool, Vec<Node>)>,
    nodes: usize,
    text: String,
    target: Option<TextTarget>,
    error: Option<String>,
}

impl DefinitionBuilder {
    fn fail(&mut self, message: String) {
        if self.error.is_none() {
            self.error = Some(message);
        }
    }

    fn add_node(&mut self, node: Node) {
        self.nodes += 1;
        if self.nodes > MAX_CRITERIA_NODES {
            self.fail(format!("criteria has more than {MAX_CRITERIA_NODES} nodes"));
            return;
        }
        match self.criteria_stack.last_mut() {
            Some((_, _, children)) => children.push(node),
            None => {
                if self.definition.criteria.is_some() {
                    self.fail("definition has more than one top-level criteria".to_owned());
                } else {
                    self.definition.criteria = Some(node);
                }
            }
        }
    }

    /// Handles a start or empty tag at `path` (the definition's inner path).
    fn start(&mut self, name: &str, start: &BytesStart<'_>, path: &[String], empty: bool) {
        let attrs = match attributes(start) {
            Ok(attrs) => attrs,
            Err(error) => {
                self.fail(format!("{name}: {error}"));
                return;
            }
        };
        let get = |key: &str| attr_of(&attrs, key).unwrap_or_default().to_owned();
        let negate = attr_of(&attrs, "negate") == Some("true");
        let parent = path.last().map(String::as_str).unwrap_or_default();
        match name {
            "criteria" => {
                if self.criteria_stack.len() >= MAX_CRITERIA_DEPTH {
                    self.fail(format!(
                        "criteria are nested deeper than {MAX_CRITERIA_DEPTH} levels"
                    ));
                }
                let operator = attr_of(&attrs, "operator").unwrap_or("AND").to_owned();
                if empty {
                    self.add_node(Node::Criteria {
                        operator,
                        negate,
                        children: Vec::new(),
                    });
                } else {
                    self.criteria_stack.push((operator, negate, Vec::new()));
                }
            }
            "criterion" => self.add_node(Node::Criterion {
                test_ref: get("test_ref"),
                comment: get("comment"),
                negate,
            }),
            "extend_definition" => self.add_node(Node::Extend {
                comment: get("comment"),
            }),
            "reference" if parent == "metadata" => {
                self.definition.references.push(DefinitionRef {
                    source: get("source"),
                    ref_id: get("ref_id"),
                    ref_url: get("ref_url"),
                });
            }
            "advisory" if parent == "metadata" => {
                self.definition.advisory_from = attr_of(&attrs, "from").map(str::to_owned);
            }
            "issued" if parent == "advisory" => {
                self.definition.issued = attr_of(&attrs, "date").map(str::to_owned);
            }
            "updated" if parent == "advisory" => {
                self.definition.updated = attr_of(&attrs, "date").map(str::to_owned);
            }
            "cve" if parent == "advisory" => {
                self.definition.cves.push(String::new());
                self.begin_text(TextTarget::Cve, empty);
            }
            "resolution" if parent == "affected" => {
                self.definition.resolutions.push(Resolution {
                    state: get("state"),
                    components: Vec::new(),
                });
            }
            "title" if parent == "metadata" => self.begin_text(TextTarget::Title, empty),
            "description" if parent == "metadata" => {
                self.begin_text(TextTarget::Description, empty);
            }
            "platform" if parent == "affected" => self.begin_text(TextTarget::Platform, empty),
            "product" if parent == "affected" => self.begin_text(TextTarget::Product, empty),
            "severity" if parent == "advisory" => self.begin_text(TextTarget::Severity, empty),
            "cpe" if parent == "affected_cpe_list" => self.begin_text(TextTarget::Cpe, empty),
            "component" if parent == "resolution" => {
                self.begin_text(TextTarget::Component, empty);
            }
            _ => {}
        }
    }

    fn begin_text(&mut self, target: TextTarget, empty: bool) {
        self.text.clear();
        self.target = Some(target);
        if empty {
            self.end_text();
        }
    }

    fn push_text(&mut self, text: &str) {
        if self.target.is_some() && !push_text(&mut self.text, text) {
            self.fail(format!("a text node is longer than {MAX_TEXT_LEN} bytes"));
        }
    }

    fn end_text(&mut self) {
        let Some(target) = self.target.take() else {
            return;
        };
        let text = std::mem::take(&mut self.text);
        let definition = &mut self.definition;
        match target {
            TextTarget::Title => definition.title = text.trim().to_owned(),
            TextTarget::Description => definition.description = text.trim().to_owned(),
            TextTarget::Platform => definition.platforms.push(text.trim().to_owned()),
            TextTarget::Product => definition.products.push(text.trim().to_owned()),
            TextTarget::Severity => definition.severity = Some(text.trim().to_owned()),
            TextTarget::Cve => {
                if let Some(cve) = definition.cves.last_mut() {
                    *cve = text.trim().to_owned();
                }
            }
            TextTarget::Cpe => definition.affected_cpes.push(text.trim().to_owned()),
            TextTarget::Component => {
                if let Some(resolution) = definition.resolutions.last_mut() {
                    resolution.components.push(text.trim().to_owned());
                }
            }
        }
    }

    fn end(&mut self, name: &str) {
        if name == "criteria"
            && let Some((operator, negate, children)) = self.criteria_stack.pop()
        {
            self.add_node(Node::Criteria {
                operator,
                negate,
                children,
            });
            return;
        }
        self.end_text();
    }

    fn finish(self, index: usize) -> Result<Definition, RecordError> {
        let record = if self.definition.id.is_empty() {
            format!("definition #{index}")
        } else {
            self.definition.id.clone()
        };
        if let Some(error) = self.error {
            return Err(RecordError::new(record, error));
        }
        if self.definition.id.is_empty() {
            return Err(RecordError::new(record, "definition has no id attribute"));
        }
        Ok(self.definition)
    }
}

/// Streams the definitions of an OVAL file to `sink`, one at a time, in
/// file order. A definition that cannot be read goes to `sink` as a
/// [`RecordError`].
///
/// # Errors
///
/// Returns [`FeedError`] when the XML is malformed.
pub(crate) fn for_each_definition(
    data: &[u8],
    sink: &mut dyn FnMut(Result<Definition, RecordError>),
) -> Result<(), FeedError> {
    let mut reader = Reader::from_reader(open(data));
    let mut buf = Vec::new();
    let mut path: Vec<String> = Vec::new();
    let mut builder: Option<DefinitionBuilder> = None;
    let mut index = 0usize;
    loop {
        let position = reader.buffer_position();
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|error| xml_error(error, position))?;
        match event {
            XmlEvent::Start(start) => {
                let name = local_name(&start);
                if path.len() == 1 && TABLES.contains(&name.as_str()) {
                    // The tables were read by the first pass.
                    let end = start.to_end().into_owned();
                    reader
                        .read_to_end_into(end.name(), &mut Vec::new())
                        .map_err(|error| xml_error(error, position))?;
                    continue;
                }
                if path.len() == 2 && path[1] == "definitions" && name == "definition" {
                    builder = Some(new_builder(&start));
                } else if let Some(builder) = builder.as_mut() {
                    builder.start(&name, &start, &path[3..], false);
                }
                path.push(name);
            }
            XmlEvent::Empty(start) => {
                let name = local_name(&start);
                if path.len() == 2 && path[1] == "definitions" && name == "definition" {
                    index += 1;
                    sink(new_builder(&start).finish(index));
                } else if let Some(builder) = builder.as_mut() {
                    builder.start(&name, &start, &path[3..], true);
                }
            }
            XmlEvent::End(end) => {
                let name = String::from_utf8_lossy(end.local_name().as_ref()).into_owned();
                path.pop();
                if path.len() == 2 && name == "definition" {
                    if let Some(done) = builder.take() {
                        index += 1;
                        sink(done.finish(index));
                    }
                } else if let Some(builder) = builder.as_mut() {
                    builder.end(&name);
                }
            }
            XmlEvent::Text(text) => {
                if let Some(builder) = builder.as_mut() {
                    match text.xml10_content() {
                        Ok(text) => builder.push_text(&text),
                        Err(error) => builder.fail(format!("invalid text: {error}")),
                    }
                }
            }
            XmlEvent::CData(text) => {
                if let Some(builder) = builder.as_mut() {
                    builder.push_text(&String::from_utf8_lossy(&text));
                }
            }
            XmlEvent::GeneralRef(reference) => {
                if let Some(builder) = builder.as_mut()
                    && builder.target.is_some()
                {
                    let name = reference
                        .decode()
                        .map_err(|error| xml_error(error, position))?;
                    if let Err(error) = push_reference(&mut builder.text, &name) {
                        builder.fail(error);
                    }
                }
            }
            XmlEvent::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if !path.is_empty() {
        return Err(FeedError::new(format!(
            "truncated OVAL XML: element {} is not closed",
            path.join("/")
        )));
    }
    Ok(())
}

fn new_builder(start: &BytesStart<'_>) -> DefinitionBuilder {
    let mut builder = DefinitionBuilder::default();
    match attributes(start) {
        Ok(attrs) => {
            builder.definition.id = attr_of(&attrs, "id").unwrap_or_default().to_owned();
            builder.definition.class = attr_of(&attrs, "class").unwrap_or_default().to_owned();
        }
        Err(error) => builder.fail(format!("definition: {error}")),
    }
    builder
}

/// Converts every definition of an OVAL file with `convert`, which returns
/// `None` for definitions that are not advisories.
///
/// # Errors
///
/// Returns [`FeedError`], naming `path`, when the XML is malformed.
pub(crate) fn convert_file(
    path: &std::path::Path,
    data: &[u8],
    sink: &mut dyn FnMut(Result<super::Record, RecordError>),
    convert: fn(&Definition, &Tables) -> Result<Option<bulwark_osv::Advisory>, RecordError>,
) -> Result<(), FeedError> {
    let named = |error: FeedError| FeedError::new(format!("{}: {error}", path.display()));
    let tables = read_tables(data).map_err(named)?;
    for_each_definition(data, &mut |definition| match definition
        .and_then(|definition| convert(&definition, &tables))
    {
        Ok(Some(advisory)) => sink(Ok(advisory.into())),
        Ok(None) => {}
        Err(error) => sink(Err(error)),
    })
    .map_err(named)
}

/// What a package test says about the installed version.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Constraint {
    /// The package is affected when its version is before this EVR.
    Before(String),
    /// The package is affected in any version (a test with no state).
    Installed,
    /// The test checks that the package is absent (`check_existence`
    /// `none_exist`).
    NotInstalled,
}

/// A package version check found in a definition's criteria.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct PackageCheck {
    /// Package name as the object names it.
    pub name: String,
    pub constraint: Constraint,
    /// The module stream (`nodejs:12`) a sibling criterion requires, for
    /// Red Hat style modular content.
    pub module: Option<String>,
}

/// The package checks of a definition and the tests it skipped.
#[derive(Debug, Default)]
pub(crate) struct Checks {
    pub packages: Vec<PackageCheck>,
    /// Kinds of the other tests, such as release checks or Ubuntu's kernel
    /// `variable_test`.
    pub skipped_kinds: Vec<String>,
}

/// Collects the package version checks of a definition.
///
/// Package tests are `dpkginfo_test` and `rpminfo_test`. A test whose
/// states carry no `evr` (a signing key or architecture check) adds
/// nothing. A negated package criterion or criteria block adds nothing
/// either, because it states when a package is safe rather than when it
/// is affected.
///
/// # Errors
///
/// Returns a message naming the first test, object, state or variable that
/// a criterion refers to and that the file does not contain, or a package
/// state whose EVR operation is not `less than`.
pub(crate) fn package_checks(definition: &Definition, tables: &Tables) -> Result<Checks, String> {
    let mut checks = Checks::default();
    if let Some(root) = &definition.criteria {
        walk(root, None, tables, &mut checks)?;
    }
    checks.packages.sort();
    checks.packages.dedup();
    checks.skipped_kinds.sort();
    checks.skipped_kinds.dedup();
    Ok(checks)
}

fn walk(
    node: &Node,
    module: Option<&str>,
    tables: &Tables,
    checks: &mut Checks,
) -> Result<(), String> {
    match node {
        // A negated block states when a system is safe, not affected.
        Node::Criteria { negate: true, .. } => Ok(()),
        Node::Criteria {
            operator, children, ..
        } => {
            let mut module = module.map(str::to_owned);
            if operator.eq_ignore_ascii_case("AND") {
                for child in children {
                    if let Node::Criterion { comment, .. } = child
                        && let Some(stream) = module_stream(comment)
                    {
                        module = Some(stream.to_owned());
                    }
                }
            }
            for child in children {
                walk(child, module.as_deref(), tables, checks)?;
            }
            Ok(())
        }
        Node::Criterion {
            test_ref, negate, ..
        } => criterion(test_ref, *negate, module, tables, checks),
        Node::Extend { .. } => Ok(()),
    }
}

/// Returns the module stream of a Red Hat "Module nodejs:12 is enabled"
/// criterion comment.
fn module_stream(comment: &str) -> Option<&str> {
    comment
        .strip_prefix("Module ")?
        .strip_suffix(" is enabled")
        .map(str::trim)
}

fn criterion(
    test_ref: &str,
    negate: bool,
    module: Option<&str>,
    tables: &Tables,
    checks: &mut Checks,
) -> Result<(), String> {
    let test = tables.tests.get(test_ref).ok_or_else(|| {
        format!("criterion refers to test {test_ref}, which the file does not contain")
    })?;
    if test.kind != "dpkginfo_test" && test.kind != "rpminfo_test" {
        checks.skipped_kinds.push(test.kind.clone());
        return Ok(());
    }
    if negate {
        return Ok(());
    }
    let object_ref = test
        .field("object")
        .and_then(|field| field.attr("object_ref"))
        .ok_or_else(|| format!("test {test_ref} has no object_ref"))?;
    let object = tables.objects.get(object_ref).ok_or_else(|| {
        format!("test {test_ref} refers to object {object_ref}, which the file does not contain")
    })?;
    let names = object_names(object, object_ref, tables)?;
    let state_refs: Vec<&str> = test
        .fields
        .iter()
        .filter(|field| field.name == "state")
        .filter_map(|field| field.attr("state_ref"))
        .collect();
    let mut constraints = Vec::new();
    if state_refs.is_empty() {
        if test.attr("check_existence") == Some("none_exist") {
            constraints.push(Constraint::NotInstalled);
        } else {
            constraints.push(Constraint::Installed);
        }
    }
    for state_ref in state_refs {
        let state = tables.states.get(state_ref).ok_or_else(|| {
            format!("test {test_ref} refers to state {state_ref}, which the file does not contain")
        })?;
        let Some(evr) = state.field("evr") else {
            continue;
        };
        let operation = evr.attr("operation").unwrap_or("equals");
        if operation != "less than" {
            return Err(format!(
                "state {state_ref} compares the EVR with {operation:?}; only \"less than\" is supported"
            ));
        }
        let version = evr.text.trim();
        if version.is_empty() {
            return Err(format!("state {state_ref} has an empty evr"));
        }
        constraints.push(Constraint::Before(version.to_owned()));
    }
    for name in names {
        for constraint in &constraints {
            checks.packages.push(PackageCheck {
                name: name.clone(),
                constraint: constraint.clone(),
                module: module.map(str::to_owned),
            });
        }
    }
    Ok(())
}

/// Returns the package names an object matches: its `name` text, or the
/// values of the constant variable its `name` refers to.
fn object_names(object: &Entity, object_ref: &str, tables: &Tables) -> Result<Vec<String>, String> {
    let name = object
        .field("name")
        .ok_or_else(|| format!("object {object_ref} has no name"))?;
    if let Some(var_ref) = name.attr("var_ref") {
        let variable = tables.variables.get(var_ref).ok_or_else(|| {
            format!(
                "object {object_ref} refers to variable {var_ref}, which the file does not contain"
            )
        })?;
        let values: Vec<String> = variable
            .fields
            .iter()
            .filter(|field| field.name == "value")
            .map(|field| field.text.trim().to_owned())
            .filter(|value| !value.is_empty())
            .collect();
        if values.is_empty() {
            return Err(format!(
                "variable {var_ref} of object {object_ref} has no values"
            ));
        }
        return Ok(values);
    }
    let text = name.text.trim();
    if text.is_empty() {
        return Err(format!("object {object_ref} has an empty name"));
    }
    Ok(vec![text.to_owned()])
}

/// Removes a zero epoch (`0:`) from an EVR, as distributions write versions
/// in their own advisories.
pub(crate) fn strip_zero_epoch(evr: &str) -> &str {
    evr.strip_prefix("0:").unwrap_or(evr)
}

/// Builds an `affected` entry for one package of a distribution.
///
/// `fixed` is the first fixed version. Packages that are affected without a
/// fix get the range `introduced: 0`, and packages that are not affected get
/// no range at all, so only their status speaks.
pub(crate) fn affected_entry(
    ecosystem: &str,
    name: &str,
    fixed: Option<&str>,
    status: Status,
    ecosystem_specific: Option<Map<String, Value>>,
) -> Affected {
    let mut affected = Affected {
        package: Some(PackageRef {
            ecosystem: ecosystem.to_owned(),
            name: name.to_owned(),
            purl: None,
        }),
        ..Affected::default()
    };
    if status != Status::NotAffected {
        let mut events = vec![Event::introduced("0")];
        if let Some(fixed) = fixed {
            events.push(Event::fixed(fixed));
        }
        affected.ranges.push(Range {
            kind: "ECOSYSTEM".to_owned(),
            events,
            ..Range::default()
        });
    }
    affected.ecosystem_specific = ecosystem_specific.map(Value::Object);
    affected.set_status(status);
    affected
}
