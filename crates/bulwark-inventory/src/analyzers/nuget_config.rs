//! Reads NuGet's `packages.config`, the package list of .NET Framework
//! projects: `<packages><package id="…" version="…"/></packages>`.

use bulwark_image::EntryInfo;
use quick_xml::events::{BytesStart, Event};

use crate::analyzer::{Analyzer, Fact};
use crate::package::{Package, PackageKind};
use crate::purl::PurlBuilder;

/// Reads `packages.config` files.
pub struct NugetConfigAnalyzer;

impl Analyzer for NugetConfigAnalyzer {
    fn name(&self) -> &'static str {
        "nuget-packages-config"
    }

    fn wants(&self, info: &EntryInfo<'_>) -> bool {
        info.path.rsplit('/').next() == Some("packages.config")
    }

    fn analyze(&self, _path: &str, data: &[u8]) -> Result<Vec<Fact>, String> {
        Ok(parse(data)?.into_iter().map(Fact::Package).collect())
    }
}

fn parse(data: &[u8]) -> Result<Vec<Package>, String> {
    let mut reader = quick_xml::Reader::from_reader(data);
    let mut packages = Vec::new();
    let mut open: Vec<Vec<u8>> = Vec::new();
    let mut saw_root = false;
    loop {
        let position = reader.buffer_position();
        let event = reader
            .read_event()
            .map_err(|e| format!("invalid XML at byte {position}: {e}"))?;
        match event {
            Event::Start(element) => {
                check_element(&element, &open, &mut saw_root)?;
                open.push(element.name().as_ref().to_vec());
            }
            Event::Empty(element) => {
                check_element(&element, &open, &mut saw_root)?;
                if open.len() == 1 && element.name().as_ref() == b"package" {
                    packages.extend(package(&element)?);
                }
            }
            Event::End(_) => {
                open.pop();
            }
            Event::Text(text) if open.is_empty() && !text.iter().all(u8::is_ascii_whitespace) => {
                return Err(format!(
                    "invalid XML at byte {position}: text outside the root element"
                ));
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if let Some(element) = open.last() {
        return Err(format!(
            "unexpected end of file: <{}> is not closed",
            String::from_utf8_lossy(element)
        ));
    }
    if !saw_root {
        return Err("no <packages> element".to_owned());
    }
    Ok(packages)
}

/// Checks that the document root is `<packages>`.
fn check_element(
    element: &BytesStart<'_>,
    open: &[Vec<u8>],
    saw_root: &mut bool,
) -> Result<(), String> {
    if open.is_empty() {
        if *saw_root || element.name().as_ref() != b"packages" {
            return Err(format!(
                "expected one <packages> root element, found <{}>",
                String::from_utf8_lossy(element.name().as_ref())
            ));
        }
        *saw_root = true;
    }
    Ok(())
}

/// Builds the package of one `<package>` element. An element without an id
/// or a version names nothing installable and is skipped.
fn package(element: &BytesStart<'_>) -> Result<Option<Package>, String> {
    let mut id = None;
    let mut version = None;
    let mut dev = false;
    for attribute in element.attributes() {
        let attribute = attribute.map_err(|e| format!("invalid <package> attribute: {e}"))?;
        let value = attribute
            .unescape_value()
            .map_err(|e| format!("invalid <package> attribute value: {e}"))?
            .into_owned();
        match attribute.key.as_ref() {
            b"id" => id = Some(value),
            b"version" => version = Some(value),
            b"developmentDependency" => dev = value.eq_ignore_ascii_case("true"),
            _ => {}
        }
    }
    let (Some(id), Some(version)) = (
        id.filter(|i| !i.is_empty()),
        version.filter(|v| !v.is_empty()),
    ) else {
        tracing::debug!("skipping <package> element without id or version");
        return Ok(None);
    };
    let mut package = Package::new(PackageKind::Nuget, &id, &version);
    package.purl = PurlBuilder::new("nuget", &id).version(&version).build();
    package.dev = Some(dev);
    // packages.config lists transitive packages too, without marking them,
    // so `direct` stays unknown.
    Ok(Some(package))
}
