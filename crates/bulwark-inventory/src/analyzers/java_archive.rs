//! Reads Java archives (jar, war, ear and their relatives) and the
//! archives nested in them, from memory.
//!
//! An archive names its Maven coordinates in `META-INF/maven/<groupId>/
//! <artifactId>/pom.properties`; a shaded ("fat") jar contains one such file
//! per bundled library. When none of them describes the archive itself,
//! the main section of `META-INF/MANIFEST.MF` and then the file name
//! (`artifact-version.jar`) name it.

use std::collections::BTreeSet;
use std::io::{Cursor, Read};

use bulwark_image::EntryInfo;

use super::java_maven::{is_valid_id, maven_package};
use crate::analyzer::{Analyzer, Fact};
use crate::package::Package;

/// Reads Java archives by file extension.
pub struct JavaArchiveAnalyzer;

/// File extensions of zip-based Java archives: plain, web and enterprise
/// applications, and the plugin formats of Jenkins (hpi, jpi), Karaf
/// (kar), Liferay (lpkg), JBoss (sar, par) and NiFi (nar).
const EXTENSIONS: &[&str] = &[
    "jar", "war", "ear", "par", "sar", "jpi", "hpi", "kar", "lpkg", "nar", "rar",
];

/// Maximum nesting depth of archives inside archives.
const MAX_DEPTH: usize = 16;
/// Maximum uncompressed size of one nested archive, which is held in
/// memory while it is read.
const MAX_NESTED_BYTES: u64 = 64 << 20;
/// Maximum number of bytes inflated while reading one top-level archive
/// and everything nested in it.
const MAX_INFLATED_BYTES: u64 = 256 << 20;
/// Maximum uncompressed size of a `pom.properties` or `MANIFEST.MF`.
const MAX_METADATA_BYTES: u64 = 1 << 20;
/// Maximum number of entries in one archive.
const MAX_ENTRIES: usize = 500_000;

impl Analyzer for JavaArchiveAnalyzer {
    fn name(&self) -> &'static str {
        "java-archive"
    }

    fn wants(&self, info: &EntryInfo<'_>) -> bool {
        is_java_archive(info.path)
    }

    fn analyze(&self, path: &str, data: &[u8]) -> Result<Vec<Fact>, String> {
        let mut budget = MAX_INFLATED_BYTES;
        let mut facts = Vec::new();
        read_archive(data, path, None, 0, &mut budget, &mut facts)?;
        Ok(facts)
    }
}

/// Returns whether a path has a Java archive extension.
pub(crate) fn is_java_archive(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.rsplit_once('.').is_some_and(|(stem, ext)| {
        !stem.is_empty() && EXTENSIONS.iter().any(|e| ext.eq_ignore_ascii_case(e))
    })
}

/// Reads one archive and, recursively, the archives in it. `outer` is the
/// location of the top-level file; `inner` the path of this archive inside
/// it, `None` at the top. Packages of nested archives carry the location
/// `outer!/inner`; top-level ones get theirs from the caller. Entries
/// skipped for size, depth or damage become [`Fact::Skipped`] warnings.
fn read_archive(
    data: &[u8],
    outer: &str,
    inner: Option<&str>,
    depth: usize,
    budget: &mut u64,
    out: &mut Vec<Fact>,
) -> Result<(), String> {
    let mut zip = zip::ZipArchive::new(Cursor::new(data))
        .map_err(|e| format!("not a readable zip archive: {e}"))?;
    if zip.len() > MAX_ENTRIES {
        return Err(format!(
            "{} entries, more than the limit of {MAX_ENTRIES}",
            zip.len()
        ));
    }
    let location = inner.map(|i| format!("{outer}!/{i}"));
    let file_name = inner
        .unwrap_or(outer)
        .rsplit('/')
        .next()
        .unwrap_or_default();

    let mut poms: Vec<PomProperties> = Vec::new();
    let mut manifest: Option<Manifest> = None;
    let mut nested: Vec<String> = Vec::new();
    for index in 0..zip.len() {
        let mut entry = match zip.by_index(index) {
            Ok(entry) => entry,
            Err(e) => {
                out.push(skipped(inner, &format!("entry {index}"), &e.to_string()));
                continue;
            }
        };
        if entry.is_dir() {
            continue;
        }
        let Ok(name) = entry.name().map(|n| n.into_owned()) else {
            continue;
        };
        let base = name.rsplit('/').next().unwrap_or(&name);
        if base == "pom.properties" {
            match read_limited(&mut entry, MAX_METADATA_BYTES, budget) {
                Ok(bytes) => {
                    if let Some(pom) = PomProperties::parse(&String::from_utf8_lossy(&bytes)) {
                        poms.push(pom);
                    }
                }
                Err(e) => out.push(skipped(inner, &name, &e)),
            }
        } else if name.eq_ignore_ascii_case("META-INF/MANIFEST.MF") {
            match read_limited(&mut entry, MAX_METADATA_BYTES, budget) {
                Ok(bytes) => manifest = Some(Manifest::parse(&String::from_utf8_lossy(&bytes))),
                Err(e) => out.push(skipped(inner, &name, &e)),
            }
        } else if is_java_archive(&name) {
            nested.push(name);
        }
    }

    let mut found: Vec<Package> = Vec::new();
    let stem = FileNameCoordinates::parse(file_name);
    // A pom.properties describes the archive itself when the file name
    // carries its artifactId, or when the name has no version to compare
    // (`app.war`). Otherwise they all describe bundled libraries.
    let describes_archive = poms.iter().any(|pom| {
        stem.as_ref().is_none_or(|s| {
            s.version.is_none()
                || s.artifact_id == pom.artifact_id
                || s.artifact_id.ends_with(&format!(".{}", pom.artifact_id))
        })
    });
    for pom in &poms {
        found.push(maven_package(&pom.group_id, &pom.artifact_id, &pom.version));
    }
    if !describes_archive && let Some(package) = fallback_package(manifest.as_ref(), stem.as_ref())
    {
        found.push(package);
    }
    let mut seen: BTreeSet<(String, String)> = BTreeSet::new();
    for mut package in found {
        if seen.insert((package.name.clone(), package.version.clone())) {
            if let Some(location) = &location {
                package.locations.push(location.clone());
            }
            out.push(Fact::Package(package));
        }
    }

    for name in nested {
        if depth + 1 > MAX_DEPTH {
            let reason = format!("archive nested more than {MAX_DEPTH} levels deep");
            out.push(skipped(inner, &name, &reason));
            continue;
        }
        let bytes = match zip.by_name(&name) {
            Ok(mut entry) => read_limited(&mut entry, MAX_NESTED_BYTES, budget),
            Err(e) => Err(e.to_string()),
        };
        let inner_path = match inner {
            Some(parent) => format!("{parent}!/{name}"),
            None => name.clone(),
        };
        let result = bytes.and_then(|bytes| {
            read_archive(&bytes, outer, Some(&inner_path), depth + 1, budget, out)
        });
        if let Err(e) = result {
            out.push(skipped(inner, &name, &e));
        }
    }
    Ok(())
}

/// Builds the warning for an entry that was not read. `inner` is the path
/// of the containing archive inside the top-level file.
fn skipped(inner: Option<&str>, entry: &str, reason: &str) -> Fact {
    let prefix = inner.map(|i| format!("{i}!/")).unwrap_or_default();
    Fact::Skipped {
        reason: format!("skipped {prefix}{entry}: {reason}"),
    }
}

/// Reads a zip entry whole, refusing entries larger than `limit` or than
/// the remaining inflation budget. Declared sizes can lie, so the read
/// itself is bounded too.
fn read_limited(entry: &mut impl Read, limit: u64, budget: &mut u64) -> Result<Vec<u8>, String> {
    let cap = limit.min(*budget);
    let mut bytes = Vec::new();
    entry
        .take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("read failed: {e}"))?;
    let read = bytes.len() as u64;
    *budget = budget.saturating_sub(read);
    if read > cap {
        return Err(if cap < limit {
            format!("the archive inflates to more than {MAX_INFLATED_BYTES} bytes in total")
        } else {
            format!("entry is larger than {limit} bytes")
        });
    }
    Ok(bytes)
}

/// Builds the package for an archive without a `pom.properties` of its own:
/// coordinates from the manifest where they are valid Maven identifiers,
/// else from the file name.
fn fallback_package(
    manifest: Option<&Manifest>,
    stem: Option<&FileNameCoordinates>,
) -> Option<Package> {
    let from_manifest = manifest.and_then(Manifest::coordinates);
    let artifact_id = from_manifest
        .as_ref()
        .map(|c| c.artifact_id.clone())
        .or_else(|| stem.map(|s| s.artifact_id.clone()))?;
    let group_id = from_manifest
        .as_ref()
        .map(|c| c.group_id.clone())
        .or_else(|| manifest.and_then(Manifest::group_id))
        .unwrap_or_default();
    let version = from_manifest
        .as_ref()
        .map(|c| c.version.clone())
        .filter(|v| !v.is_empty())
        .or_else(|| stem.and_then(|s| s.version.clone()))
        .or_else(|| manifest.and_then(Manifest::version))?;
    Some(maven_package(&group_id, &artifact_id, &version))
}

/// The keys of a `pom.properties` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PomProperties {
    pub(crate) group_id: String,
    pub(crate) artifact_id: String,
    pub(crate) version: String,
}

impl PomProperties {
    /// Parses Java properties text (`key=value` or `key:value` lines, `#`
    /// and `!` comments). Returns `None` unless groupId, artifactId and
    /// version are all present, as Maven always writes them.
    pub(crate) fn parse(text: &str) -> Option<Self> {
        let (mut group_id, mut artifact_id, mut version) = (None, None, None);
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') || line.starts_with('!') {
                continue;
            }
            let Some(split) = line.find(['=', ':']) else {
                continue;
            };
            let key = line[..split].trim();
            let value = line[split + 1..].trim().to_owned();
            match key {
                "groupId" => group_id = Some(value),
                "artifactId" => artifact_id = Some(value),
                "version" => version = Some(value),
                _ => {}
            }
        }
        Some(Self {
            group_id: group_id.filter(|g| !g.is_empty())?,
            artifact_id: artifact_id.filter(|a| !a.is_empty())?,
            version: version.filter(|v| !v.is_empty())?,
        })
    }
}

/// Artifact and version taken from a file name such as
/// `commons-lang3-3.11.jar`: the version starts at the first `-` that is
/// followed by a digit. A name without one is all artifactId.
#[derive(Debug, Clone, PartialEq, Eq)]
struct FileNameCoordinates {
    artifact_id: String,
    version: Option<String>,
}

impl FileNameCoordinates {
    fn parse(file_name: &str) -> Option<Self> {
        let stem = file_name
            .rsplit_once('.')
            .map_or(file_name, |(stem, _)| stem);
        let split = stem
            .char_indices()
            .find(|&(i, c)| c == '-' && stem[i + 1..].starts_with(|d: char| d.is_ascii_digit()))
            .map(|(i, _)| i);
        let (artifact_id, version) = match split {
            Some(i) => (&stem[..i], Some(stem[i + 1..].to_owned())),
            None => (stem, None),
        };
        (!artifact_id.is_empty()).then(|| Self {
            artifact_id: artifact_id.to_owned(),
            version,
        })
    }
}

/// The attributes of a JAR manifest: the main section, then the
/// per-entry sections, which some builds use for the version.
#[derive(Debug, Clone, Default)]
pub(crate) struct Manifest {
    sections: Vec<Vec<(String, String)>>,
}

/// Coordinates derived from a manifest.
struct Coordinates {
    group_id: String,
    artifact_id: String,
    version: String,
}

impl Manifest {
    /// Parses `Name: value` lines into sections separated by blank lines;
    /// a line starting with one space continues the previous value.
    pub(crate) fn parse(text: &str) -> Self {
        let mut sections: Vec<Vec<(String, String)>> = vec![Vec::new()];
        for line in text.lines() {
            let line = line.trim_end_matches('\r');
            let current = sections.last_mut().expect("at least one section");
            if line.is_empty() {
                if !current.is_empty() {
                    sections.push(Vec::new());
                }
                continue;
            }
            if let Some(rest) = line.strip_prefix(' ') {
                if let Some((_, value)) = current.last_mut() {
                    value.push_str(rest);
                }
                continue;
            }
            if let Some((key, value)) = line.split_once(':') {
                current.push((key.trim().to_owned(), value.trim().to_owned()));
            }
        }
        Self { sections }
    }

    /// The value of an attribute in the main section, else in the first
    /// per-entry section that has it.
    fn get(&self, key: &str) -> Option<&str> {
        self.sections.iter().find_map(|section| {
            section
                .iter()
                .find(|(k, v)| k.eq_ignore_ascii_case(key) && !v.is_empty())
                .map(|(_, v)| v.as_str())
        })
    }

    /// Returns the OSGi symbolic name without directives such as
    /// `;singleton:=true`.
    fn symbolic_name(&self) -> Option<&str> {
        self.get("Bundle-SymbolicName")
            .map(|n| n.split(';').next().unwrap_or(n).trim())
            .filter(|n| is_valid_id(n))
    }

    /// The artifactId: the first valid Maven identifier among the
    /// implementation title, the last element of the symbolic name, the
    /// specification title and the bundle name.
    fn artifact_id(&self) -> Option<String> {
        let from_symbolic = self
            .symbolic_name()
            .map(|n| n.rsplit('.').next().unwrap_or(n));
        [
            self.get("Implementation-Title"),
            from_symbolic,
            self.get("Specification-Title"),
            self.get("Bundle-Name"),
        ]
        .into_iter()
        .flatten()
        .find(|id| is_valid_id(id))
        .map(str::to_owned)
    }

    /// The groupId: the implementation vendor id, else the symbolic name
    /// without its last element, else the extension name.
    fn group_id(&self) -> Option<String> {
        if let Some(vendor) = self
            .get("Implementation-Vendor-Id")
            .filter(|v| is_valid_id(v))
        {
            return Some(vendor.to_owned());
        }
        if let Some((group, _)) = self.symbolic_name().and_then(|n| n.rsplit_once('.')) {
            return Some(group.to_owned());
        }
        self.get("Extension-Name")
            .filter(|n| is_valid_id(n))
            .map(str::to_owned)
    }

    /// The version: the first word of the implementation, bundle or
    /// specification version (`1.4 1855 April 22 2006` names 1.4).
    fn version(&self) -> Option<String> {
        [
            "Implementation-Version",
            "Bundle-Version",
            "Specification-Version",
        ]
        .into_iter()
        .filter_map(|key| self.get(key))
        .filter_map(|v| v.split_whitespace().next())
        .find(|v| !v.starts_with("${"))
        .map(str::to_owned)
    }

    fn coordinates(&self) -> Option<Coordinates> {
        Some(Coordinates {
            artifact_id: self.artifact_id()?,
            group_id: self.group_id().unwrap_or_default(),
            version: self.version().unwrap_or_default(),
        })
    }
}
