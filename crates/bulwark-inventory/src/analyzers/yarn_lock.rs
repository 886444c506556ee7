//! Reads Yarn's `yarn.lock`: the classic format of Yarn 1 and the YAML
//! format of Yarn 2 and later ("berry", with a `__metadata` entry).
//!
//! Both are read by one indentation-based parser: entries start at column
//! 0 with their descriptors, fields sit two spaces in, and the members of
//! `dependencies` four spaces in. Yarn 1 writes `key "value"`, berry
//! writes `key: value`.

use std::collections::HashMap;

use bulwark_image::EntryInfo;

use super::node::{Grouped, is_local_spec, is_valid_name, split_name_spec};
use crate::analyzer::{Analyzer, Fact};

/// Reads the packages a Yarn lockfile resolves. Workspaces, links and
/// local directories are the project's own code and are not listed. The
/// lockfile does not record which packages are for development. Entries
/// without a version are skipped with a warning.
pub struct YarnLockAnalyzer;

#[derive(Default)]
struct Entry {
    descriptors: Vec<String>,
    version: Option<String>,
    resolution: Option<String>,
    dependencies: Vec<(String, String)>,
    line: usize,
}

impl Analyzer for YarnLockAnalyzer {
    fn name(&self) -> &'static str {
        "yarn-lock"
    }

    fn wants(&self, info: &EntryInfo<'_>) -> bool {
        (info.path == "yarn.lock" || info.path.ends_with("/yarn.lock"))
            && !info.path.split('/').any(|part| part == "node_modules")
    }

    fn analyze(&self, _path: &str, data: &[u8]) -> Result<Vec<Fact>, String> {
        let text = std::str::from_utf8(data).map_err(|e| format!("not UTF-8 text: {e}"))?;
        let entries = parse(text)?;
        // Each descriptor (`name@range`) points at the entry resolving it.
        let mut by_descriptor: HashMap<&str, usize> = HashMap::new();
        for (i, entry) in entries.iter().enumerate() {
            for descriptor in &entry.descriptors {
                by_descriptor.insert(descriptor, i);
            }
        }
        // Entries that cannot be read are skipped with a warning.
        let mut skipped = Vec::new();
        let resolved: Vec<Option<(String, String)>> = entries
            .iter()
            .map(|entry| {
                identity(entry).unwrap_or_else(|reason| {
                    skipped.push(reason);
                    None
                })
            })
            .collect();
        let mut packages = Grouped::default();
        for (entry, id) in entries.iter().zip(&resolved) {
            let Some((name, version)) = id else {
                continue;
            };
            let depends_on = entry.dependencies.iter().filter_map(|(dep, range)| {
                let index = [format!("{dep}@{range}"), format!("{dep}@npm:{range}")]
                    .iter()
                    .find_map(|d| by_descriptor.get(d.as_str()).copied())?;
                resolved[index].as_ref().map(|(n, v)| format!("{n}@{v}"))
            });
            packages.add(name, version, None, None, depends_on);
        }
        Ok(packages
            .into_packages()
            .into_iter()
            .map(Fact::Package)
            .chain(skipped.into_iter().map(|reason| Fact::Skipped { reason }))
            .collect())
    }
}

/// The name and version an entry installs, or `None` for the project's
/// own code (workspaces, links, directories).
fn identity(entry: &Entry) -> Result<Option<(String, String)>, String> {
    let first = entry
        .descriptors
        .first()
        .ok_or_else(|| format!("line {}: entry without descriptors", entry.line))?;
    // A descriptor without a range (`name:`) is seen in hand-written files.
    let (alias, range) = split_name_spec(first).unwrap_or((first, ""));
    // Berry's resolution names the real package of an alias; Yarn 1 keeps
    // it in the range (`alias@npm:real@^1.0.0`).
    let (name, spec) = match &entry.resolution {
        Some(resolution) => split_name_spec(resolution)
            .ok_or_else(|| format!("line {}: invalid resolution {resolution:?}", entry.line))?,
        // `npm:real` without a range stands for the latest version.
        None => match range.strip_prefix("npm:") {
            Some(aliased) if is_valid_name(aliased) => (aliased, ""),
            Some(aliased) => split_name_spec(aliased).unwrap_or((alias, range)),
            None => (alias, range),
        },
    };
    if is_local_spec(spec) || is_local_spec(range) {
        return Ok(None);
    }
    let Some(version) = entry.version.as_deref().filter(|v| !v.is_empty()) else {
        return Err(format!("line {}: {first} has no version", entry.line));
    };
    if version == "0.0.0-use.local" || !is_valid_name(name) {
        return Ok(None);
    }
    Ok(Some((name.to_owned(), version.to_owned())))
}

/// Splits the lockfile into entries.
fn parse(text: &str) -> Result<Vec<Entry>, String> {
    let mut entries: Vec<Entry> = Vec::new();
    let mut current: Option<Entry> = None;
    let mut in_dependencies = false;
    for (number, line) in text.lines().enumerate() {
        let number = number + 1;
        let line = line.trim_end_matches('\r');
        let content = line.trim_start();
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        let indent = line.len() - content.len();
        if indent == 0 {
            entries.extend(current.take());
            in_dependencies = false;
            let header = content.strip_suffix(':').ok_or_else(|| {
                format!("line {number}: expected an entry header ending with ':'")
            })?;
            if header == "__metadata" {
                continue;
            }
            current = Some(Entry {
                descriptors: header
                    .split(',')
                    .map(|d| d.trim().trim_matches('"').to_owned())
                    .filter(|d| !d.is_empty())
                    .collect(),
                line: number,
                ..Entry::default()
            });
            continue;
        }
        let Some(entry) = current.as_mut() else {
            // Fields of `__metadata`.
            continue;
        };
        let (key, value) = split_field(content)
            .ok_or_else(|| format!("line {number}: cannot read field {content:?}"))?;
        if indent == 2 {
            in_dependencies = matches!(key.as_str(), "dependencies" | "optionalDependencies");
            match key.as_str() {
                "version" => entry.version = Some(value),
                "resolution" => entry.resolution = Some(value),
                _ => {}
            }
        } else if indent == 4 && in_dependencies {
            entry.dependencies.push((key, value));
        }
    }
    entries.extend(current);
    Ok(entries)
}

/// Splits `key "value"`, `key: value` or `key:` into key and unquoted
/// value. Keys may be quoted (`"@babel/core"`); unquoted ones end at the
/// first space or colon, as field and package names hold neither.
fn split_field(content: &str) -> Option<(String, String)> {
    let (key, rest) = if let Some(quoted) = content.strip_prefix('"') {
        let end = quoted.find('"')?;
        (&quoted[..end], &quoted[end + 1..])
    } else {
        let end = content.find([' ', ':']).unwrap_or(content.len());
        (&content[..end], &content[end..])
    };
    let rest = rest.strip_prefix(':').unwrap_or(rest).trim();
    let value = rest
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(rest);
    Some((key.to_owned(), value.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_of_both_formats() {
        let field = |s: &str| split_field(s).unwrap();
        assert_eq!(
            field(r#"version "2.0.6""#),
            ("version".into(), "2.0.6".into())
        );
        assert_eq!(field("version: 4.3.4"), ("version".into(), "4.3.4".into()));
        assert_eq!(
            field(r#"resolution: "debug@npm:4.3.4""#),
            ("resolution".into(), "debug@npm:4.3.4".into())
        );
        assert_eq!(
            field(r#""@babel/highlight" "^7.12.13""#),
            ("@babel/highlight".into(), "^7.12.13".into())
        );
        assert_eq!(
            field(r#""@types/node": "npm:*""#),
            ("@types/node".into(), "npm:*".into())
        );
        assert_eq!(field("ms: npm:2.1.2"), ("ms".into(), "npm:2.1.2".into()));
        assert_eq!(
            field("dependencies:"),
            ("dependencies".into(), String::new())
        );
    }

    #[test]
    fn classic_and_berry_entries() {
        let classic = "# yarn lockfile v1\n\n\"@a/b@^1.0.0\", \"@a/b@^1.1.0\":\n  version \"1.2.0\"\n  dependencies:\n    c \"~2.0.0\"\n\nc@~2.0.0:\n  version \"2.0.6\"\n";
        let facts = YarnLockAnalyzer
            .analyze("yarn.lock", classic.as_bytes())
            .unwrap();
        let packages: Vec<_> = facts
            .iter()
            .filter_map(|f| match f {
                Fact::Package(p) => {
                    Some((p.name.as_str(), p.version.as_str(), p.depends_on.clone()))
                }
                _ => None,
            })
            .collect();
        assert_eq!(
            packages,
            vec![
                ("@a/b", "1.2.0", vec!["c@2.0.6".to_owned()]),
                ("c", "2.0.6", vec![])
            ]
        );
        let berry = "__metadata:\n  version: 6\n\n\"app@workspace:.\":\n  version: 0.0.0-use.local\n  resolution: \"app@workspace:.\"\n\n\"x@npm:^1.0.0\":\n  version: 1.0.1\n  resolution: \"x@npm:1.0.1\"\n";
        let facts = YarnLockAnalyzer
            .analyze("yarn.lock", berry.as_bytes())
            .unwrap();
        assert_eq!(facts.len(), 1);
    }
}
