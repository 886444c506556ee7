//! Reads Maven project files, `pom.xml`: the project itself and the
//! dependencies it declares, with `${property}` references resolved from
//! the file's `<properties>`, the project's own coordinates and its
//! `<dependencyManagement>`.
//!
//! A `pom.xml` often inherits versions and properties from a parent POM
//! in another file or in a remote repository. This analyzer reads one
//! file: what only a parent defines stays unresolved (an empty version).

use std::collections::BTreeMap;

use bulwark_image::EntryInfo;
use quick_xml::events::Event;

use super::java_maven::maven_package;
use crate::analyzer::{Analyzer, Fact};
use crate::package::Package;

/// Reads `pom.xml` files.
pub struct PomAnalyzer;

/// Maximum element nesting in a POM; real ones stay below 10.
const MAX_DEPTH: usize = 64;
/// Maximum number of elements in one POM.
const MAX_ELEMENTS: usize = 200_000;
/// Maximum number of `${…}` substitutions in one value, which stops
/// self-referencing properties.
const MAX_SUBSTITUTIONS: usize = 32;

impl Analyzer for PomAnalyzer {
    fn name(&self) -> &'static str {
        "pom"
    }

    fn wants(&self, info: &EntryInfo<'_>) -> bool {
        info.path == "pom.xml" || info.path.ends_with("/pom.xml")
    }

    fn analyze(&self, path: &str, data: &[u8]) -> Result<Vec<Fact>, String> {
        let root = parse_xml(&decode_text(data))?;
        if root.name != "project" {
            return Err(format!(
                "root element is <{}>, expected <project>",
                root.name
            ));
        }
        let mut packages = pom_packages(&root);
        // Projects under src/it are maven-invoker integration tests, not
        // part of what the build ships.
        if path.starts_with("src/it/") || path.contains("/src/it/") {
            for package in &mut packages {
                package.dev = Some(true);
            }
        }
        Ok(packages.into_iter().map(Fact::Package).collect())
    }
}

/// Decodes a POM as UTF-8, or as ISO-8859-1 when it is not valid UTF-8:
/// older POMs declare that encoding, and every byte sequence is valid in
/// it.
fn decode_text(data: &[u8]) -> String {
    let data = data.strip_prefix(b"\xef\xbb\xbf").unwrap_or(data);
    match std::str::from_utf8(data) {
        Ok(text) => text.to_owned(),
        Err(_) => data.iter().map(|&b| char::from(b)).collect(),
    }
}

/// An XML element with its text content and children.
#[derive(Debug, Default)]
pub(crate) struct Element {
    pub(crate) name: String,
    pub(crate) text: String,
    pub(crate) children: Vec<Element>,
}

impl Element {
    fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    fn children<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// Returns the trimmed text of a child element, if present and not empty.
    fn value(&self, name: &str) -> Option<&str> {
        self.child(name)
            .map(|c| c.text.trim())
            .filter(|t| !t.is_empty())
    }

    /// Follows a path of child names.
    fn path(&self, names: &[&str]) -> Option<&Element> {
        names
            .iter()
            .try_fold(self, |element, name| element.child(name))
    }
}

/// Parses XML into a tree of elements, keeping local names only.
pub(crate) fn parse_xml(text: &str) -> Result<Element, String> {
    let mut reader = quick_xml::Reader::from_str(text);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let mut count = 0;
    loop {
        let position = reader.buffer_position();
        let event = reader
            .read_event()
            .map_err(|e| format!("invalid XML at byte {position}: {e}"))?;
        match event {
            Event::Start(_) | Event::Empty(_) if root.is_some() => {
                return Err("content after the root element".to_owned());
            }
            Event::Start(start) => {
                count += 1;
                if stack.len() >= MAX_DEPTH || count > MAX_ELEMENTS {
                    return Err(format!(
                        "XML nests deeper than {MAX_DEPTH} levels or has more than {MAX_ELEMENTS} elements"
                    ));
                }
                stack.push(Element {
                    name: local_name(start.local_name().as_ref())?,
                    ..Element::default()
                });
            }
            Event::Empty(start) => {
                count += 1;
                let element = Element {
                    name: local_name(start.local_name().as_ref())?,
                    ..Element::default()
                };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(element),
                    None => root = Some(element),
                }
            }
            Event::End(_) => {
                let element = stack.pop().ok_or("unexpected closing tag")?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(element),
                    None => root = Some(element),
                }
            }
            Event::Text(text) => {
                if let Some(current) = stack.last_mut() {
                    let decoded = text
                        .xml_content()
                        .map_err(|e| format!("invalid text at byte {position}: {e}"))?;
                    current.text.push_str(&decoded);
                }
            }
            Event::CData(data) => {
                if let Some(current) = stack.last_mut() {
                    current.text.push_str(&String::from_utf8_lossy(&data));
                }
            }
            Event::GeneralRef(reference) => {
                let Some(current) = stack.last_mut() else {
                    continue;
                };
                if let Ok(Some(c)) = reference.resolve_char_ref() {
                    current.text.push(c);
                } else {
                    let name = reference
                        .decode()
                        .map_err(|e| format!("invalid entity at byte {position}: {e}"))?;
                    let value = quick_xml::escape::resolve_predefined_entity(&name)
                        .ok_or_else(|| format!("unknown entity &{name}; at byte {position}"))?;
                    current.text.push_str(value);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !stack.is_empty() {
        return Err(format!("XML ends inside <{}>", stack[stack.len() - 1].name));
    }
    root.ok_or_else(|| "no root element".to_owned())
}

/// Decodes an element's local name and rejects characters that XML does
/// not allow in names, such as `$`, `{` or `}`. The XML reader itself
/// does not check them.
fn local_name(bytes: &[u8]) -> Result<String, String> {
    let name = String::from_utf8_lossy(bytes).into_owned();
    let mut chars = name.chars();
    let valid_start = |c: char| c.is_alphabetic() || c == '_' || c == ':';
    let valid = chars.next().is_some_and(valid_start)
        && chars
            .all(|c| valid_start(c) || c.is_alphanumeric() || matches!(c, '-' | '.' | '\u{b7}'));
    if valid {
        Ok(name)
    } else {
        Err(format!("invalid XML element name {name:?}"))
    }
}

/// A dependency as declared, before interpolation.
struct Declared<'a> {
    group_id: Option<&'a str>,
    artifact_id: Option<&'a str>,
    version: Option<&'a str>,
    scope: Option<&'a str>,
}

impl<'a> Declared<'a> {
    fn from(element: &'a Element) -> Self {
        Self {
            group_id: element.value("groupId"),
            artifact_id: element.value("artifactId"),
            version: element.value("version"),
            scope: element.value("scope"),
        }
    }
}

/// Builds the packages of a parsed POM: the project (direct, with its
/// licenses) and each declared dependency (direct; `dev` for test scope).
pub(crate) fn pom_packages(project: &Element) -> Vec<Package> {
    let properties = Properties::of(project);
    // TODO: resolve `<parent>` POMs of the same tree (`relativePath`,
    // by default `../pom.xml`) once every file is read. Until then the
    // properties, managed versions and dependencies that only a parent
    // defines are missing, and such versions stay empty.
    let parent = project.child("parent");
    let group_id = project
        .value("groupId")
        .or_else(|| parent.and_then(|p| p.value("groupId")))
        .map(|g| properties.interpolate(g).unwrap_or_default())
        .unwrap_or_default();

    let mut managed: BTreeMap<(String, String), (String, Option<String>)> = BTreeMap::new();
    for element in project
        .path(&["dependencyManagement", "dependencies"])
        .into_iter()
        .flat_map(|d| d.children("dependency"))
    {
        let declared = Declared::from(element);
        let (Some(group), Some(artifact)) = (
            declared.group_id.and_then(|g| properties.interpolate(g)),
            declared.artifact_id.and_then(|a| properties.interpolate(a)),
        ) else {
            continue;
        };
        let version = declared
            .version
            .and_then(|v| properties.interpolate(v))
            .unwrap_or_default();
        let scope = declared.scope.and_then(|s| properties.interpolate(s));
        managed.insert((group, artifact), (version, scope));
    }

    // Dependencies of profiles that are active by default count; other
    // profiles apply only when a build selects them.
    let active_profiles = project
        .path(&["profiles"])
        .into_iter()
        .flat_map(|p| p.children("profile"))
        .filter(|p| {
            p.path(&["activation", "activeByDefault"])
                .is_some_and(|a| a.text.trim() == "true")
        });
    let declared: Vec<&Element> = project
        .child("dependencies")
        .into_iter()
        .chain(active_profiles.filter_map(|p| p.child("dependencies")))
        .flat_map(|d| d.children("dependency"))
        .collect();

    let mut dependencies: Vec<Package> = Vec::new();
    for element in declared {
        let declared = Declared::from(element);
        // Dependencies without a groupId are invalid in Maven's model.
        let Some(group) = declared.group_id.and_then(|g| properties.interpolate(g)) else {
            continue;
        };
        let Some(artifact) = declared.artifact_id.and_then(|a| properties.interpolate(a)) else {
            continue;
        };
        let management = managed.get(&(group.clone(), artifact.clone()));
        let version = match declared.version {
            Some(v) => properties.interpolate(v).map(|v| requirement_version(&v)),
            None => management.map(|(v, _)| requirement_version(v)),
        }
        .unwrap_or_default();
        let scope = declared
            .scope
            .and_then(|s| properties.interpolate(s))
            .or_else(|| management.and_then(|(_, s)| s.clone()));
        let mut package = maven_package(&group, &artifact, &version);
        package.direct = Some(true);
        package.dev = Some(scope.as_deref() == Some("test"));
        if !dependencies
            .iter()
            .any(|p| p.name == package.name && p.version == package.version)
        {
            dependencies.push(package);
        }
    }

    let mut packages = Vec::new();
    if let Some(artifact) = project
        .value("artifactId")
        .and_then(|a| properties.interpolate(a))
    {
        let version = properties.project_version().unwrap_or_default();
        let mut root = maven_package(&group_id, &artifact, &version);
        root.direct = Some(true);
        root.licenses = project
            .path(&["licenses"])
            .into_iter()
            .flat_map(|l| l.children("license"))
            .filter_map(|l| l.value("name").map(str::to_owned))
            .collect();
        root.depends_on = dependencies
            .iter()
            .map(|d| format!("{}@{}", d.name, d.version))
            .collect();
        packages.push(root);
    }
    packages.extend(dependencies);
    packages
}

/// Returns the version a requirement selects where the file alone can
/// tell. A plain version is itself, and a range with an inclusive lower
/// bound such as `[1.2,2.0)` gives its lower bound. Other ranges name no
/// version.
fn requirement_version(requirement: &str) -> String {
    let requirement = requirement.trim();
    if let Some(range) = requirement.strip_prefix('[') {
        let lower = range.split([',', ']']).next().unwrap_or_default().trim();
        return lower.to_owned();
    }
    if requirement.starts_with('(') {
        return String::new();
    }
    requirement.to_owned()
}

/// The values `${…}` references resolve to within one POM.
struct Properties<'a> {
    project: &'a Element,
    defined: BTreeMap<String, String>,
}

impl<'a> Properties<'a> {
    fn of(project: &'a Element) -> Self {
        let defined = project
            .child("properties")
            .map(|p| {
                p.children
                    .iter()
                    .map(|c| (c.name.clone(), c.text.trim().to_owned()))
                    .collect()
            })
            .unwrap_or_default();
        Self { project, defined }
    }

    /// Returns the raw value of a property: `<properties>`, then the project's
    /// and its parent's coordinates.
    fn raw(&self, key: &str) -> Option<&str> {
        if let Some(value) = self.defined.get(key) {
            return Some(value);
        }
        let parent = self.project.child("parent");
        let key = key
            .strip_prefix("project.")
            .or_else(|| key.strip_prefix("pom."))
            .unwrap_or(key);
        match key {
            "groupId" => self
                .project
                .value("groupId")
                .or_else(|| parent.and_then(|p| p.value("groupId"))),
            "artifactId" => self.project.value("artifactId"),
            "version" => self
                .project
                .value("version")
                .or_else(|| parent.and_then(|p| p.value("version"))),
            "parent.groupId" => parent.and_then(|p| p.value("groupId")),
            "parent.artifactId" => parent.and_then(|p| p.value("artifactId")),
            "parent.version" => parent.and_then(|p| p.value("version")),
            _ => None,
        }
    }

    fn project_version(&self) -> Option<String> {
        self.raw("version").and_then(|v| self.interpolate(v))
    }

    /// Replaces every `${key}` in `value`. Returns `None` when a reference
    /// stays unresolved, such as one only a parent POM defines.
    fn interpolate(&self, value: &str) -> Option<String> {
        let mut text = value.trim().to_owned();
        for _ in 0..MAX_SUBSTITUTIONS {
            let Some(start) = text.find("${") else {
                return (!text.is_empty()).then_some(text);
            };
            let end = start + text[start..].find('}')?;
            let replacement = self.raw(&text[start + 2..end])?.to_owned();
            text.replace_range(start..=end, &replacement);
        }
        tracing::debug!(value, "property references nest too deeply");
        None
    }
}
