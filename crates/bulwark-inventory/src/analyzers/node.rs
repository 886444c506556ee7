//! Helpers shared by the Node.js analyzers: package names, purls,
//! licenses and dependency-graph walks.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::Value;

use crate::package::{Package, PackageKind};
use crate::purl::PurlBuilder;

/// Creates an npm package with its purl: the scope is the namespace, and
/// both are lowercased as the purl specification requires.
pub(crate) fn npm_package(name: &str, version: &str) -> Package {
    let mut package = Package::new(PackageKind::Npm, name, version);
    let lower = name.to_ascii_lowercase();
    let (scope, bare) = match lower.split_once('/') {
        Some((scope, bare)) if scope.starts_with('@') => (scope, bare),
        _ => ("", lower.as_str()),
    };
    package.purl = PurlBuilder::new("npm", bare)
        .namespace(scope)
        .version(version)
        .build();
    package
}

/// Returns whether `name` can be an npm package name: `name` or
/// `@scope/name`, without empty parts, further slashes or spaces.
pub(crate) fn is_valid_name(name: &str) -> bool {
    let valid_part = |part: &str| {
        !part.is_empty()
            && !part.starts_with('.')
            && !part.contains(['/', '@', ':', ' ', '\\', '\n'])
    };
    match name.strip_prefix('@') {
        Some(scoped) => scoped
            .split_once('/')
            .is_some_and(|(scope, bare)| valid_part(scope) && valid_part(bare)),
        None => valid_part(name),
    }
}

/// Splits `name@spec` (`@scope/name@spec` for scoped packages) at the
/// `@` that ends the name.
pub(crate) fn split_name_spec(text: &str) -> Option<(&str, &str)> {
    let at = text.get(1..)?.find('@')? + 1;
    Some((&text[..at], &text[at + 1..]))
}

/// Reads the licenses of a `license` or legacy `licenses` field: a
/// string, an object with a `type`, or an array of either.
pub(crate) fn licenses(manifest: &Value) -> Vec<String> {
    let field = match manifest.get("license") {
        Some(Value::Null) | None => manifest.get("licenses"),
        found => found,
    };
    let mut found: Vec<String> = Vec::new();
    let mut add = |value: &Value| {
        let text = match value {
            Value::String(s) => Some(s.as_str()),
            Value::Object(object) => object.get("type").and_then(Value::as_str),
            _ => None,
        };
        if let Some(text) = text.map(str::trim).filter(|t| !t.is_empty())
            && !found.iter().any(|f| f == text)
        {
            found.push(text.to_owned());
        }
    };
    match field {
        Some(Value::Array(items)) => items.iter().for_each(&mut add),
        Some(value) => add(value),
        None => {}
    }
    found
}

/// Collects the names in the `dependencies`-style objects `fields` of a
/// manifest.
pub(crate) fn dependency_names(manifest: &Value, fields: &[&str]) -> Vec<String> {
    let mut names: Vec<String> = fields
        .iter()
        .filter_map(|field| manifest.get(*field).and_then(Value::as_object))
        .flat_map(|deps| deps.keys().cloned())
        .collect();
    names.sort();
    names.dedup();
    names
}

/// Returns whether a dependency specifier or resolution points at local
/// code of the project (a workspace, a directory or a link) rather than at
/// a published package.
pub(crate) fn is_local_spec(spec: &str) -> bool {
    ["workspace:", "file:", "link:", "portal:", "exec:"]
        .iter()
        .any(|p| spec.starts_with(p))
}

/// The packages of one lockfile by name and version. A package installed
/// at several places is listed once: as a development dependency only when
/// every copy is one, as direct when any copy is, with the dependencies of
/// all copies.
#[derive(Default)]
pub(crate) struct Grouped {
    packages: BTreeMap<(String, String), Package>,
}

impl Grouped {
    /// Adds one installed copy and returns its package.
    pub(crate) fn add(
        &mut self,
        name: &str,
        version: &str,
        dev: Option<bool>,
        direct: Option<bool>,
        depends_on: impl IntoIterator<Item = String>,
    ) -> &mut Package {
        let package = self
            .packages
            .entry((name.to_owned(), version.to_owned()))
            .or_insert_with(|| {
                let mut package = npm_package(name, version);
                package.dev = dev;
                package.direct = direct;
                package
            });
        package.dev = match (package.dev, dev) {
            (Some(a), Some(b)) => Some(a && b),
            (a, b) => a.or(b),
        };
        package.direct = match (package.direct, direct) {
            (Some(a), Some(b)) => Some(a || b),
            (a, b) => a.or(b),
        };
        package.depends_on.extend(depends_on);
        package.depends_on.sort();
        package.depends_on.dedup();
        package
    }

    pub(crate) fn into_packages(self) -> Vec<Package> {
        self.packages.into_values().collect()
    }
}

/// The split of a lockfile's packages into run-time and development ones,
/// found by walking the dependency graph from the project's own
/// declarations.
#[derive(Default)]
pub(crate) struct DevWalk {
    runtime: HashSet<usize>,
    development: HashSet<usize>,
}

impl DevWalk {
    /// Walks from `runtime_roots` and `dev_roots` along `edges`.
    pub(crate) fn new(
        runtime_roots: impl IntoIterator<Item = usize>,
        dev_roots: impl IntoIterator<Item = usize>,
        edges: &HashMap<usize, Vec<usize>>,
    ) -> Self {
        Self {
            runtime: reachable(runtime_roots, edges),
            development: reachable(dev_roots, edges),
        }
    }

    /// `Some(false)` for run-time packages, `Some(true)` for packages only
    /// development needs, `None` for packages neither walk reached.
    pub(crate) fn dev(&self, index: usize) -> Option<bool> {
        if self.runtime.contains(&index) {
            Some(false)
        } else {
            self.development.contains(&index).then_some(true)
        }
    }
}

fn reachable(
    start: impl IntoIterator<Item = usize>,
    edges: &HashMap<usize, Vec<usize>>,
) -> HashSet<usize> {
    let mut seen = HashSet::new();
    let mut stack: Vec<usize> = start.into_iter().collect();
    while let Some(index) = stack.pop() {
        if seen.insert(index)
            && let Some(next) = edges.get(&index)
        {
            stack.extend(next.iter().copied());
        }
    }
    seen
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purls_use_the_scope_as_namespace() {
        assert_eq!(
            npm_package("@babel/core", "7.0.0").purl,
            "pkg:npm/%40babel/core@7.0.0"
        );
        assert_eq!(
            npm_package("JSONStream", "1.3.5").purl,
            "pkg:npm/jsonstream@1.3.5"
        );
    }

    #[test]
    fn names() {
        assert!(is_valid_name("lodash"));
        assert!(is_valid_name("@types/node"));
        assert!(!is_valid_name("@invalid/packageName/"));
        assert!(!is_valid_name("@scope"));
        assert!(!is_valid_name(""));
        assert!(!is_valid_name("string-width@^4.2.0"));
        assert_eq!(
            split_name_spec("@babel/core@^7.0.0"),
            Some(("@babel/core", "^7.0.0"))
        );
        assert_eq!(split_name_spec("a@npm:b@1"), Some(("a", "npm:b@1")));
        assert_eq!(split_name_spec("lodash"), None);
    }

    #[test]
    fn license_forms() {
        let cases = [
            (r#"{"license": "MIT"}"#, vec!["MIT"]),
            (r#"{"license": {"type": "ISC", "url": "x"}}"#, vec!["ISC"]),
            (
                r#"{"license": [{"type": ""}, {"type": "MIT"}]}"#,
                vec!["MIT"],
            ),
            (
                r#"{"licenses": [{"type": "Public Domain"}, {"type": "MIT"}]}"#,
                vec!["Public Domain", "MIT"],
            ),
            (r#"{"license": null, "licenses": ["BSD"]}"#, vec!["BSD"]),
            (r#"{"license": 42}"#, vec![]),
            (r#"{"license": {"foo": "bar"}}"#, vec![]),
        ];
        for (json, expected) in cases {
            let manifest: Value = serde_json::from_str(json).unwrap();
            assert_eq!(licenses(&manifest), expected, "{json}");
        }
    }
}
