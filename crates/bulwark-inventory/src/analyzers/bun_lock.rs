//! Reads Bun's text lockfile `bun.lock` (JSON with comments and trailing
//! commas). The older binary `bun.lockb` is not read.

use std::collections::HashMap;

use bulwark_image::EntryInfo;
use serde_json::{Map, Value};

use super::node::{
    DevWalk, Grouped, dependency_names, is_local_spec, is_valid_name, split_name_spec,
};
use crate::analyzer::{Analyzer, Fact};
use crate::package::Package;

/// Reads the packages a Bun lockfile installs. Workspace packages are
/// listed when their workspace has a version; dependencies without a
/// registry version (git, local paths) are not listed. Malformed entries
/// are skipped with a warning.
pub struct BunLockAnalyzer;

impl Analyzer for BunLockAnalyzer {
    fn name(&self) -> &'static str {
        "bun-lock"
    }

    fn wants(&self, info: &EntryInfo<'_>) -> bool {
        (info.path == "bun.lock" || info.path.ends_with("/bun.lock"))
            && !info.path.split('/').any(|part| part == "node_modules")
    }

    fn analyze(&self, _path: &str, data: &[u8]) -> Result<Vec<Fact>, String> {
        let text = std::str::from_utf8(data).map_err(|e| format!("not UTF-8 text: {e}"))?;
        let lock: Value = serde_json::from_str(&strict_json(text)).map_err(|e| e.to_string())?;
        let lock = lock.as_object().ok_or("lockfile is not a JSON object")?;
        if lock.get("lockfileVersion").is_some_and(|v| !v.is_u64()) {
            return Err("lockfileVersion is not a number".to_owned());
        }
        let empty = Map::new();
        let packages = match lock.get("packages") {
            Some(Value::Object(packages)) => packages,
            None => &empty,
            Some(_) => return Err("packages is not an object".to_owned()),
        };
        let (packages, skipped) = read(lock, packages)?;
        Ok(packages
            .into_iter()
            .map(Fact::Package)
            .chain(skipped.into_iter().map(|reason| Fact::Skipped { reason }))
            .collect())
    }
}

struct Node<'a> {
    key: &'a str,
    name: &'a str,
    version: &'a str,
    dependencies: Vec<String>,
}

/// Reads the packages, and the reasons for entries that were skipped
/// because they are malformed.
fn read<'a>(
    lock: &'a Map<String, Value>,
    packages: &'a Map<String, Value>,
) -> Result<(Vec<Package>, Vec<String>), String> {
    let workspaces = lock.get("workspaces").and_then(Value::as_object);
    let mut nodes: Vec<Node<'a>> = Vec::new();
    let mut skipped = Vec::new();
    for (key, value) in packages {
        let id = value
            .as_array()
            .and_then(|t| t.first())
            .and_then(Value::as_str);
        let Some((name, spec)) = id.and_then(split_name_spec) else {
            skipped.push(format!("package {key:?} has no name@version"));
            continue;
        };
        // Workspace packages take their version from their workspace
        // entry. Git, tarball-URL and local entries carry their source
        // instead of a version.
        let version = match spec.strip_prefix("workspace:") {
            Some(path) => workspaces
                .and_then(|w| w.get(path))
                .and_then(|w| w.get("version"))
                .and_then(Value::as_str),
            None if is_local_spec(spec) || spec.contains([':', '/', '#']) => None,
            None => Some(spec),
        };
        let Some(version) = version.filter(|_| is_valid_name(name)) else {
            continue;
        };
        let metadata = value
            .as_array()
            .and_then(|t| t.iter().skip(1).find(|v| v.is_object()));
        let dependencies = metadata
            .map(|m| {
                dependency_names(
                    m,
                    &["dependencies", "optionalDependencies", "peerDependencies"],
                )
            })
            .unwrap_or_default();
        nodes.push(Node {
            key,
            name,
            version,
            dependencies,
        });
    }
    let by_key: HashMap<&str, usize> = nodes.iter().enumerate().map(|(i, n)| (n.key, i)).collect();
    let mut edges: HashMap<usize, Vec<usize>> = HashMap::new();
    for (i, node) in nodes.iter().enumerate() {
        let targets = node
            .dependencies
            .iter()
            .filter_map(|dep| resolve(&by_key, node.key, dep))
            .collect();
        edges.insert(i, targets);
    }
    let (runtime, development) = workspace_roots(lock, &by_key);
    let walk = DevWalk::new(runtime.iter().copied(), development.iter().copied(), &edges);
    let has_roots = !runtime.is_empty() || !development.is_empty();

    let mut grouped = Grouped::default();
    for (i, node) in nodes.iter().enumerate() {
        let direct = has_roots.then(|| runtime.contains(&i) || development.contains(&i));
        let depends_on = edges
            .get(&i)
            .into_iter()
            .flatten()
            .map(|&target| format!("{}@{}", nodes[target].name, nodes[target].version));
        grouped.add(node.name, node.version, walk.dev(i), direct, depends_on);
    }
    Ok((grouped.into_packages(), skipped))
}

/// Finds the packages the workspaces declare: run-time ones (`dependencies`,
/// `optionalDependencies`, `peerDependencies`) and development ones.
fn workspace_roots(
    lock: &Map<String, Value>,
    by_key: &HashMap<&str, usize>,
) -> (Vec<usize>, Vec<usize>) {
    let mut runtime = Vec::new();
    let mut development = Vec::new();
    let Some(workspaces) = lock.get("workspaces").and_then(Value::as_object) else {
        return (runtime, development);
    };
    for workspace in workspaces.values() {
        // A workspace's own copy of a package is keyed under its name.
        let prefix = workspace
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let find = |dep: &String| {
            by_key
                .get(format!("{prefix}/{dep}").as_str())
                .or_else(|| by_key.get(dep.as_str()))
                .copied()
        };
        let names = dependency_names(
            workspace,
            &["dependencies", "optionalDependencies", "peerDependencies"],
        );
        runtime.extend(names.iter().filter_map(find));
        let names = dependency_names(workspace, &["devDependencies"]);
        development.extend(names.iter().filter_map(find));
    }
    (runtime, development)
}

/// Finds the package a dependency of the package at `from` resolves to.
/// Keys nest package names with `/` (`parent/child`, `@s/parent/@s/child`):
/// the nearest enclosing copy wins, as in a `node_modules` tree.
fn resolve(by_key: &HashMap<&str, usize>, from: &str, dependency: &str) -> Option<usize> {
    let segments = name_segments(from);
    (0..=segments.len()).rev().find_map(|depth| {
        let key = if depth == 0 {
            dependency.to_owned()
        } else {
            format!("{}/{dependency}", segments[..depth].join("/"))
        };
        by_key.get(key.as_str()).copied()
    })
}

/// Splits a nested key into package names, keeping scopes together.
fn name_segments(key: &str) -> Vec<&str> {
    let mut segments = Vec::new();
    let mut rest = key;
    while !rest.is_empty() {
        let mut end = rest.find('/').unwrap_or(rest.len());
        if rest.starts_with('@') && end < rest.len() {
            end = rest[end + 1..]
                .find('/')
                .map_or(rest.len(), |i| end + 1 + i);
        }
        segments.push(&rest[..end]);
        rest = rest.get(end + 1..).unwrap_or("");
    }
    segments
}

/// Turns JSON with comments and trailing commas into strict JSON.
/// Strings are copied untouched.
fn strict_json(text: &str) -> String {
    without_trailing_commas(&without_comments(text))
}

/// Returns the end of the string literal starting at `start` (a `"`),
/// past its closing quote.
fn string_end(bytes: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while i < bytes.len() && bytes[i] != b'"' {
        i += if bytes[i] == b'\\' { 2 } else { 1 };
    }
    (i + 1).min(bytes.len())
}

fn without_comments(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let (mut i, mut start) = (0, 0);
    while i < bytes.len() {
        match (bytes[i], bytes.get(i + 1)) {
            (b'"', _) => i = string_end(bytes, i),
            (b'/', Some(b'/')) => {
                out.push_str(&text[start..i]);
                i = text[i..].find('\n').map_or(bytes.len(), |n| i + n);
                start = i;
            }
            (b'/', Some(b'*')) => {
                out.push_str(&text[start..i]);
                i = text[i + 2..].find("*/").map_or(bytes.len(), |n| i + n + 4);
                start = i;
            }
            _ => i += 1,
        }
    }
    out.push_str(&text[start..]);
    out
}

fn without_trailing_commas(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let (mut i, mut start) = (0, 0);
    while i < bytes.len() {
        match bytes[i] {
            b'"' => i = string_end(bytes, i),
            b',' => {
                let next = bytes[i + 1..].iter().find(|b| !b.is_ascii_whitespace());
                if matches!(next, Some(b'}' | b']')) {
                    out.push_str(&text[start..i]);
                    start = i + 1;
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    out.push_str(&text[start..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailing_commas_and_comments_are_removed() {
        let text = "{\n  // c\n  \"a\": [1, 2,],\n  \"b\": \"x,}\", /* d */\n}";
        let value: Value = serde_json::from_str(&strict_json(text)).unwrap();
        assert_eq!(value, serde_json::json!({"a": [1, 2], "b": "x,}"}));
    }

    #[test]
    fn nested_keys_split_into_names() {
        assert_eq!(name_segments("a"), vec!["a"]);
        assert_eq!(name_segments("@s/a/b"), vec!["@s/a", "b"]);
        assert_eq!(name_segments("a/@s/b"), vec!["a", "@s/b"]);
    }
}
