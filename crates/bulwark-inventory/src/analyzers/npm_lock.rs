//! Reads npm's `package-lock.json` and `npm-shrinkwrap.json`, in every
//! lockfile version: 1 (a nested `dependencies` tree), 2 (both forms) and
//! 3 (a flat `packages` map keyed by install path).

use std::collections::HashMap;

use bulwark_image::EntryInfo;
use serde_json::{Map, Value};

use super::node::{Grouped, dependency_names, is_valid_name, licenses};
use crate::analyzer::{Analyzer, Fact};
use crate::package::Package;

/// Reads the packages an npm lockfile installs. A package installed at
/// several paths is listed once; it is a development dependency only when
/// every copy is.
pub struct NpmLockAnalyzer;

/// One install path of the lockfile.
struct Entry {
    /// `node_modules/a/node_modules/b`, or a workspace directory.
    path: String,
    name: String,
    /// `None` for entries without a registry version (v1 git and local
    /// dependencies), which are not listed.
    version: Option<String>,
    dev: bool,
    /// A symlink to a workspace directory: the target path.
    link: Option<String>,
    dependencies: Vec<String>,
    licenses: Vec<String>,
}

impl Analyzer for NpmLockAnalyzer {
    fn name(&self) -> &'static str {
        "npm-lock"
    }

    fn wants(&self, info: &EntryInfo<'_>) -> bool {
        let file = info.path.rsplit('/').next().unwrap_or(info.path);
        (file == "package-lock.json" || file == "npm-shrinkwrap.json")
            && !info.path.split('/').any(|part| part == "node_modules")
    }

    fn analyze(&self, _path: &str, data: &[u8]) -> Result<Vec<Fact>, String> {
        let lock: Value = serde_json::from_slice(data).map_err(|e| e.to_string())?;
        let Some(lock) = lock.as_object() else {
            return Err("not a JSON object".to_owned());
        };
        let (entries, root) = match lock.get("packages") {
            Some(Value::Object(packages)) => {
                (name_workspaces(flat_entries(packages)?), packages.get(""))
            }
            Some(_) => return Err("packages is not an object".to_owned()),
            None => {
                let mut entries = Vec::new();
                if let Some(deps) = lock.get("dependencies") {
                    let deps = deps.as_object().ok_or("dependencies is not an object")?;
                    tree_entries(deps, "", false, &mut entries)?;
                }
                (entries, None)
            }
        };
        Ok(packages(&entries, root)
            .into_iter()
            .map(Fact::Package)
            .collect())
    }
}

/// Entries of the `packages` map (lockfile versions 2 and 3).
fn flat_entries(packages: &Map<String, Value>) -> Result<Vec<Entry>, String> {
    let mut entries = Vec::new();
    for (path, value) in packages {
        if path.is_empty() {
            continue;
        }
        let object = value
            .as_object()
            .ok_or_else(|| format!("packages entry {path:?} is not an object"))?;
        let text = |key: &str| {
            object
                .get(key)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
        };
        let flag = |key: &str| object.get(key).and_then(Value::as_bool).unwrap_or(false);
        let name = text("name")
            .map(str::to_owned)
            .or_else(|| name_from_path(path).map(str::to_owned))
            .unwrap_or_default();
        let link = flag("link").then(|| text("resolved").unwrap_or_default().to_owned());
        entries.push(Entry {
            path: path.clone(),
            name,
            version: text("version").map(str::to_owned),
            dev: flag("dev") || flag("devOptional"),
            link,
            dependencies: dependency_names(
                value,
                &["dependencies", "optionalDependencies", "peerDependencies"],
            ),
            licenses: licenses(value),
        });
    }
    Ok(entries)
}

/// Names workspace directories that lack a `name` after the link that
/// points at them (`node_modules/NAME` → `functions/func1`).
fn name_workspaces(mut entries: Vec<Entry>) -> Vec<Entry> {
    let links: HashMap<String, String> = entries
        .iter()
        .filter_map(|e| Some((e.link.clone()?, e.name.clone())))
        .collect();
    for entry in &mut entries {
        if entry.name.is_empty()
            && let Some(name) = links.get(&entry.path)
        {
            entry.name = name.clone();
        }
    }
    entries
}

/// Entries of the nested `dependencies` tree (lockfile version 1), with
/// the install path each one would have in the v2 form.
fn tree_entries(
    deps: &Map<String, Value>,
    parent: &str,
    parent_dev: bool,
    out: &mut Vec<Entry>,
) -> Result<(), String> {
    for (key, value) in deps {
        let object = value
            .as_object()
            .ok_or_else(|| format!("dependency {key:?} is not an object"))?;
        let path = if parent.is_empty() {
            format!("node_modules/{key}")
        } else {
            format!("{parent}/node_modules/{key}")
        };
        let version = object
            .get("version")
            .and_then(Value::as_str)
            .unwrap_or_default();
        // Aliases lock as `npm:real-name@version`; git and local
        // dependencies lock their URL, which is not a version.
        let (name, version) = match version
            .strip_prefix("npm:")
            .and_then(super::node::split_name_spec)
        {
            Some((real, version)) => (real.to_owned(), Some(version.to_owned())),
            None if version.is_empty() || version.contains([':', '/', '#']) => (key.clone(), None),
            None => (key.clone(), Some(version.to_owned())),
        };
        let requires = object
            .get("requires")
            .and_then(Value::as_object)
            .map(|r| r.keys().cloned().collect())
            .unwrap_or_default();
        out.push(Entry {
            path: path.clone(),
            name,
            version,
            // A copy nested in a development package's directory is only
            // loaded by it.
            dev: parent_dev || object.get("dev").and_then(Value::as_bool).unwrap_or(false),
            link: None,
            dependencies: requires,
            licenses: Vec::new(),
        });
        if let Some(nested) = object.get("dependencies") {
            let nested = nested
                .as_object()
                .ok_or_else(|| format!("dependencies of {key:?} is not an object"))?;
            let dev = out.last().is_some_and(|e| e.dev);
            tree_entries(nested, &path, dev, out)?;
        }
    }
    Ok(())
}

/// Returns the package name an install path implies: what follows its
/// last `node_modules/`.
fn name_from_path(path: &str) -> Option<&str> {
    let start = path.rfind("node_modules/")? + "node_modules/".len();
    Some(&path[start..])
}

/// Finds the entry Node.js would load for `name` required from the
/// package at `from`: `from/node_modules/name`, then the same in each
/// enclosing `node_modules` directory up to the project root. Links are
/// followed to their target.
fn resolve(
    by_path: &HashMap<&str, usize>,
    entries: &[Entry],
    from: &str,
    name: &str,
) -> Option<usize> {
    let mut base = from;
    loop {
        let candidate = if base.is_empty() {
            format!("node_modules/{name}")
        } else {
            format!("{base}/node_modules/{name}")
        };
        if let Some(&index) = by_path.get(candidate.as_str()) {
            return match &entries[index].link {
                Some(target) => by_path.get(target.as_str()).copied(),
                None => Some(index),
            };
        }
        if base.is_empty() {
            return None;
        }
        base = base.rfind("/node_modules/").map_or("", |i| &base[..i]);
    }
}

/// Groups the entries into packages, one per name and version.
fn packages(entries: &[Entry], root: Option<&Value>) -> Vec<Package> {
    let by_path: HashMap<&str, usize> = entries
        .iter()
        .enumerate()
        .map(|(i, e)| (e.path.as_str(), i))
        .collect();
    // Direct dependencies are those the project root and its workspaces
    // declare. A lockfile without a root entry (version 1) does not record
    // them.
    let direct: Option<Vec<usize>> = root.map(|root| {
        let root_names = dependency_names(
            root,
            &[
                "dependencies",
                "devDependencies",
                "optionalDependencies",
                "peerDependencies",
            ],
        );
        let mut direct: Vec<usize> = root_names
            .iter()
            .filter_map(|n| resolve(&by_path, entries, "", n))
            .collect();
        for (i, entry) in entries.iter().enumerate() {
            if is_workspace(entry) {
                direct.extend(
                    entry
                        .dependencies
                        .iter()
                        .filter_map(|n| resolve(&by_path, entries, &entry.path, n)),
                );
                direct.push(i);
            }
        }
        direct
    });
    let mut grouped = Grouped::default();
    for (i, entry) in entries.iter().enumerate() {
        let Some(version) = entry.version.as_deref() else {
            continue;
        };
        if entry.link.is_some() || !is_valid_name(&entry.name) {
            continue;
        }
        let depends_on = entry.dependencies.iter().filter_map(|n| {
            let target = &entries[resolve(&by_path, entries, &entry.path, n)?];
            Some(format!("{}@{}", target.name, target.version.as_deref()?))
        });
        let is_direct = direct.as_ref().map(|d| d.contains(&i));
        let package = grouped.add(&entry.name, version, Some(entry.dev), is_direct, depends_on);
        if package.licenses.is_empty() {
            package.licenses = entry.licenses.clone();
        }
    }
    grouped.into_packages()
}

/// Returns whether an entry is a workspace directory of the project
/// rather than an installed package.
fn is_workspace(entry: &Entry) -> bool {
    entry.link.is_none() && !entry.path.split('/').any(|part| part == "node_modules")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolution_walks_up_the_tree() {
        let entry = |path: &str| Entry {
            path: path.to_owned(),
            name: name_from_path(path).unwrap_or(path).to_owned(),
            version: Some("1".to_owned()),
            dev: false,
            link: None,
            dependencies: Vec::new(),
            licenses: Vec::new(),
        };
        let entries = vec![
            entry("node_modules/a"),
            entry("node_modules/b"),
            entry("node_modules/a/node_modules/b"),
            entry("packages/w"),
        ];
        let by_path: HashMap<&str, usize> = entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.path.as_str(), i))
            .collect();
        assert_eq!(resolve(&by_path, &entries, "node_modules/a", "b"), Some(2));
        assert_eq!(
            resolve(&by_path, &entries, "node_modules/a/node_modules/b", "b"),
            Some(2)
        );
        assert_eq!(resolve(&by_path, &entries, "node_modules/b", "a"), Some(0));
        assert_eq!(resolve(&by_path, &entries, "packages/w", "b"), Some(1));
        assert_eq!(resolve(&by_path, &entries, "", "c"), None);
    }
}
