//! Reads pnpm's `pnpm-lock.yaml`, in the formats of lockfile version 5
//! (`/name/1.0.0_peer@2.0.0` keys), 6 (`/name@1.0.0(peer@2.0.0)`) and 9
//! (`name@1.0.0` keys, with the dependency graph under `snapshots`).

use std::collections::HashMap;

use bulwark_image::EntryInfo;
use serde::Deserialize;
use yaml_serde::{Mapping, Value};

use super::node::{DevWalk, Grouped, is_valid_name, split_name_spec};
use crate::analyzer::{Analyzer, Fact};
use crate::package::Package;

/// Reads the packages a pnpm lockfile installs. Local directories of the
/// project (`file:` directories, `link:` targets) are not listed.
pub struct PnpmLockAnalyzer;

/// One installed package instance: a `packages` key before version 9, a
/// `snapshots` key from version 9 on.
struct Node<'a> {
    name: String,
    version: String,
    /// The lockfile's own `dev` flag (versions 5 and 6).
    dev: Option<bool>,
    dependencies: Vec<(&'a str, String)>,
}

impl Analyzer for PnpmLockAnalyzer {
    fn name(&self) -> &'static str {
        "pnpm-lock"
    }

    fn wants(&self, info: &EntryInfo<'_>) -> bool {
        (info.path == "pnpm-lock.yaml" || info.path.ends_with("/pnpm-lock.yaml"))
            && !info.path.split('/').any(|part| part == "node_modules")
    }

    fn analyze(&self, _path: &str, data: &[u8]) -> Result<Vec<Fact>, String> {
        let text = std::str::from_utf8(data).map_err(|e| format!("not UTF-8 text: {e}"))?;
        let mut facts = Vec::new();
        for document in yaml_serde::Deserializer::from_str(text) {
            let lock = Value::deserialize(document).map_err(|e| e.to_string())?;
            if lock.is_null() {
                continue;
            }
            let lock = lock.as_mapping().ok_or("lockfile is not a mapping")?;
            if is_environment_document(lock) {
                continue;
            }
            facts.extend(read_document(lock)?.into_iter().map(Fact::Package));
        }
        Ok(facts)
    }
}

/// Returns whether a document is pnpm's environment lockfile, which pnpm
/// 10 writes before the project's lockfile and which only pins pnpm itself
/// and its configuration dependencies.
fn is_environment_document(lock: &Mapping) -> bool {
    let importers: Vec<&Mapping> = lock
        .get("importers")
        .and_then(Value::as_mapping)
        .map(|m| m.values().filter_map(Value::as_mapping).collect())
        .unwrap_or_default();
    let has = |keys: &[&str]| {
        importers
            .iter()
            .any(|i| keys.iter().any(|k| i.contains_key(*k)))
    };
    has(&["packageManagerDependencies", "configDependencies"])
        && !has(&["dependencies", "devDependencies", "optionalDependencies"])
}

fn read_document(lock: &Mapping) -> Result<Vec<Package>, String> {
    let version = match lock.get("lockfileVersion") {
        Some(Value::String(s)) => s.trim().parse::<f64>().ok(),
        Some(Value::Number(n)) => n.as_f64(),
        _ => None,
    }
    .ok_or("no lockfileVersion")?;
    let slash_keys = version < 6.0;
    let mapping = |key: &str| lock.get(key).and_then(Value::as_mapping);
    let packages = mapping("packages");
    let graph_source = if version >= 9.0 {
        mapping("snapshots").or(packages)
    } else {
        packages
    };
    let mut keys: Vec<&str> = Vec::new();
    let mut nodes: Vec<Node<'_>> = Vec::new();
    for (key, entry) in graph_source.into_iter().flatten() {
        let key = key.as_str().ok_or("package key is not a string")?;
        let entry = entry.as_mapping();
        // Version 9 keeps name, version and resolution under `packages`,
        // keyed without the peer suffix.
        let described = if version >= 9.0 {
            packages
                .and_then(|p| p.get(strip_peers(key, false)))
                .and_then(Value::as_mapping)
                .or(entry)
        } else {
            entry
        };
        let Some((name, package_version)) = identity(key, described, slash_keys) else {
            continue;
        };
        let dev = entry.and_then(|e| e.get("dev")).and_then(Value::as_bool);
        let dependencies = ["dependencies", "optionalDependencies"]
            .iter()
            .filter_map(|field| {
                entry
                    .and_then(|e| e.get(*field))
                    .and_then(Value::as_mapping)
            })
            .flatten()
            .filter_map(|(n, v)| Some((n.as_str()?, version_text(v)?)))
            .collect();
        keys.push(key);
        nodes.push(Node {
            name,
            version: package_version,
            dev,
            dependencies,
        });
    }
    let by_key: HashMap<&str, usize> = keys.iter().enumerate().map(|(i, k)| (*k, i)).collect();
    let find = |name: &str, reference: &str| {
        candidate_keys(name, reference)
            .iter()
            .find_map(|k| by_key.get(k.as_str()).copied())
    };
    let mut edges: HashMap<usize, Vec<usize>> = HashMap::new();
    for (i, node) in nodes.iter().enumerate() {
        let targets = node
            .dependencies
            .iter()
            .filter_map(|(n, r)| find(n, r))
            .collect();
        edges.insert(i, targets);
    }
    let importers = importer_dependencies(lock);
    let resolve_all = |list: &[(String, String)]| -> Vec<usize> {
        list.iter().filter_map(|(n, r)| find(n, r)).collect()
    };
    let runtime_roots = resolve_all(&importers.runtime);
    let dev_roots = resolve_all(&importers.development);
    let walk = DevWalk::new(
        runtime_roots.iter().copied(),
        dev_roots.iter().copied(),
        &edges,
    );
    let has_importers = !importers.runtime.is_empty() || !importers.development.is_empty();

    let mut grouped = Grouped::default();
    for (i, node) in nodes.iter().enumerate() {
        let dev = node.dev.or_else(|| walk.dev(i));
        let direct = has_importers.then(|| runtime_roots.contains(&i) || dev_roots.contains(&i));
        let depends_on = edges.get(&i).into_iter().flatten().map(|&target| {
            let target = &nodes[target];
            format!("{}@{}", target.name, target.version)
        });
        grouped.add(&node.name, &node.version, dev, direct, depends_on);
    }
    // Declared packages missing from `packages` (seen in truncated
    // lockfiles) are still installed at the version the importer names.
    for (list, dev) in [(&importers.runtime, false), (&importers.development, true)] {
        for (name, reference) in list.iter() {
            let version = strip_peers(reference, slash_keys);
            let plain = version.starts_with(|c: char| c.is_ascii_digit());
            if plain && find(name, reference).is_none() && is_valid_name(name) {
                grouped.add(name, version, Some(dev), Some(true), []);
            }
        }
    }
    Ok(grouped.into_packages())
}

/// The name and version of a package key, preferring the entry's own
/// `name` and `version` fields (tarball and git packages). Local
/// directories give `None`.
fn identity(key: &str, entry: Option<&Mapping>, slash_keys: bool) -> Option<(String, String)> {
    let field = |k: &str| entry.and_then(|e| e.get(k)).and_then(value_text);
    let is_directory = entry
        .and_then(|e| e.get("resolution"))
        .and_then(Value::as_mapping)
        .is_some_and(|r| r.contains_key("directory"));
    if is_directory || key.starts_with("link:") {
        return None;
    }
    let bare = strip_peers(key, slash_keys);
    let parsed = match bare.strip_prefix('/') {
        Some(path) if slash_keys => path.rsplit_once('/'),
        // Packages of another registry are keyed by its host:
        // `registry.example.com/foo/1.0.0`.
        None if slash_keys => bare
            .split_once('/')
            .filter(|(host, _)| host.contains('.'))
            .and_then(|(_, path)| path.rsplit_once('/')),
        Some(path) => split_name_spec(path),
        None => split_name_spec(bare),
    };
    let name = field("name").or_else(|| parsed.map(|(n, _)| n.to_owned()))?;
    // A key's version part is a version only when it starts with a digit.
    // Tarball and git keys have a URL there, and a `version` field.
    let version = field("version").or_else(|| {
        parsed
            .map(|(_, v)| v.to_owned())
            .filter(|v| v.starts_with(|c: char| c.is_ascii_digit()))
    })?;
    is_valid_name(&name).then_some((name, version))
}

/// Removes the peer-dependency suffix of a key or version:
/// `(peer@1.0.0)` from version 6 on, `_peer@1.0.0` before.
fn strip_peers(key: &str, slash_keys: bool) -> &str {
    let end = if slash_keys {
        // The suffix follows the version, after the last `/`.
        let last = key.rfind('/').map_or(0, |i| i + 1);
        key[last..].find('_').map(|i| last + i)
    } else {
        key.find('(')
    };
    end.map_or(key, |end| &key[..end])
}

/// The keys a dependency reference can point at, in every format: a
/// version (`1.0.0`, with peer suffix), an alias (`/real@1.0.0`,
/// `real@1.0.0`, `/real/1.0.0`) or a tarball or git key.
fn candidate_keys(name: &str, reference: &str) -> Vec<String> {
    vec![
        format!("{name}@{reference}"),
        format!("/{name}@{reference}"),
        format!("/{name}/{reference}"),
        reference.to_owned(),
        format!("/{reference}"),
    ]
}

/// Returns a scalar as text, because YAML reads some versions as numbers.
fn value_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A dependency's version: a scalar, or the `version` of a
/// `{specifier, version}` mapping (version 6 on).
fn version_text(value: &Value) -> Option<String> {
    match value {
        Value::Mapping(m) => m.get("version").and_then(value_text),
        other => value_text(other),
    }
}

/// The dependencies the project and its workspaces declare, as
/// `(name, reference)`.
#[derive(Default)]
struct Importers {
    runtime: Vec<(String, String)>,
    development: Vec<(String, String)>,
}

fn importer_dependencies(lock: &Mapping) -> Importers {
    let mut projects: Vec<&Mapping> = vec![lock];
    if let Some(importers) = lock.get("importers").and_then(Value::as_mapping) {
        projects.extend(importers.values().filter_map(Value::as_mapping));
    }
    let mut out = Importers::default();
    for project in projects {
        for (field, development) in [
            ("dependencies", false),
            ("optionalDependencies", false),
            ("devDependencies", true),
        ] {
            let Some(deps) = project.get(field).and_then(Value::as_mapping) else {
                continue;
            };
            for (name, value) in deps {
                let (Some(name), Some(reference)) = (name.as_str(), version_text(value)) else {
                    continue;
                };
                let list = if development {
                    &mut out.development
                } else {
                    &mut out.runtime
                };
                list.push((name.to_owned(), reference));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_of_each_version() {
        assert_eq!(strip_peers("/foo/1.0.0_bar@2.0.0", true), "/foo/1.0.0");
        assert_eq!(strip_peers("/@a/b_c/1.0.0_d@1", true), "/@a/b_c/1.0.0");
        assert_eq!(strip_peers("/foo@1.0.0(bar@2.0.0)", false), "/foo@1.0.0");
        assert_eq!(
            identity("/@babel/core/7.0.0_x@1", None, true),
            Some(("@babel/core".into(), "7.0.0".into()))
        );
        assert_eq!(
            identity("/@babel/core@7.0.0(x@1)", None, false),
            Some(("@babel/core".into(), "7.0.0".into()))
        );
        assert_eq!(identity("debug@https://x/tarball/4.3.5", None, false), None);
    }
}
