//! Reads Conan's `conan.lock`.
//!
//! Conan 1 writes a graph: `graph_lock.nodes` maps node ids to a reference
//! (`ref`, or `pref` with the binary package id in old formats) and the ids
//! of the nodes it `requires` or `build_requires`. Node `0`, or in old
//! formats the root node with a `path`, is the consumer project itself. Conan 2 writes flat lists of references: `requires`,
//! `build_requires` and `python_requires`, with no edges.
//!
//! A reference is `name/version[@user/channel][#recipe_revision][%timestamp]`.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use bulwark_image::EntryInfo;
use serde_json::Value;

use crate::analyzer::{Analyzer, Fact};
use crate::package::{Package, PackageKind};
use crate::purl::PurlBuilder;

/// Reads Conan lockfiles (format 0.0 to 0.5).
pub struct ConanLockAnalyzer;

impl Analyzer for ConanLockAnalyzer {
    fn name(&self) -> &'static str {
        "conan-lock"
    }

    fn wants(&self, info: &EntryInfo<'_>) -> bool {
        info.path.rsplit('/').next() == Some("conan.lock")
    }

    fn analyze(&self, _path: &str, data: &[u8]) -> Result<Vec<Fact>, String> {
        let lock: Value =
            serde_json::from_slice(data).map_err(|e| format!("invalid conan.lock JSON: {e}"))?;
        let Value::Object(lock) = lock else {
            return Err("expected a JSON object".to_owned());
        };
        let packages = match lock.get("graph_lock") {
            Some(graph) => from_graph(graph)?,
            None => from_lists(&lock)?,
        };
        Ok(packages.into_iter().map(Fact::Package).collect())
    }
}

/// A parsed recipe reference.
#[derive(Debug, PartialEq, Eq)]
struct Reference<'a> {
    name: &'a str,
    version: &'a str,
    user: Option<&'a str>,
    channel: Option<&'a str>,
    revision: Option<&'a str>,
}

fn parse_reference(text: &str) -> Result<Reference<'_>, String> {
    let invalid =
        || format!("invalid reference {text:?}: expected name/version[@user/channel][#revision]");
    // A package reference appends `:package_id#package_revision`.
    let recipe = text.split_once(':').map_or(text, |(recipe, _)| recipe);
    let recipe = recipe.split_once('%').map_or(recipe, |(recipe, _)| recipe);
    let (recipe, revision) = match recipe.split_once('#') {
        Some((recipe, revision)) => (recipe, Some(revision).filter(|r| !r.is_empty())),
        None => (recipe, None),
    };
    let (name_version, user_channel) = match recipe.split_once('@') {
        Some((name_version, user_channel)) => (name_version, Some(user_channel)),
        None => (recipe, None),
    };
    let (name, version) = name_version.split_once('/').ok_or_else(invalid)?;
    if name.is_empty() || version.is_empty() || version.contains('/') {
        return Err(invalid());
    }
    let (user, channel) = match user_channel {
        Some(user_channel) => {
            let (user, channel) = user_channel.split_once('/').unwrap_or((user_channel, ""));
            // `_` stands for "no user" and "no channel".
            (
                Some(user).filter(|u| !u.is_empty() && *u != "_"),
                Some(channel).filter(|c| !c.is_empty() && *c != "_"),
            )
        }
        None => (None, None),
    };
    Ok(Reference {
        name,
        version,
        user,
        channel,
        revision,
    })
}

fn new_package(reference: &Reference<'_>) -> Package {
    let mut package = Package::new(PackageKind::Conan, reference.name, reference.version);
    package.purl = PurlBuilder::new("conan", reference.name)
        .version(reference.version)
        .qualifier("user", reference.user)
        .qualifier("channel", reference.channel)
        .qualifier("rrev", reference.revision)
        .build();
    package
}

/// Reads the Conan 2 lists. Build and Python requirements are tools used
/// while building, so they are marked as development packages.
fn from_lists(lock: &serde_json::Map<String, Value>) -> Result<Vec<Package>, String> {
    if !lock.contains_key("requires") && !lock.contains_key("build_requires") {
        return Err("neither `graph_lock` (Conan 1) nor `requires` (Conan 2) found".to_owned());
    }
    let mut packages = Vec::new();
    for (field, dev) in [
        ("requires", false),
        ("build_requires", true),
        ("python_requires", true),
    ] {
        let Some(list) = lock.get(field) else {
            continue;
        };
        let list = list
            .as_array()
            .ok_or_else(|| format!("`{field}` is not a list"))?;
        for (index, item) in list.iter().enumerate() {
            let text = item
                .as_str()
                .ok_or_else(|| format!("{field}[{index}]: expected a reference string"))?;
            let reference = parse_reference(text).map_err(|e| format!("{field}[{index}]: {e}"))?;
            let mut package = new_package(&reference);
            package.dev = Some(dev);
            packages.push(package);
        }
    }
    Ok(packages)
}

/// One node of a Conan 1 graph.
struct Node<'a> {
    reference: Option<Reference<'a>>,
    /// Set on the consumer: the conanfile that the lock was made for.
    has_path: bool,
    requires: Vec<&'a str>,
    build_requires: Vec<&'a str>,
}

/// Returns the node ids of a `requires` field: a list of ids, or in old
/// formats a map from reference to id.
fn node_ids<'a>(id: &str, field: &str, value: Option<&'a Value>) -> Result<Vec<&'a str>, String> {
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| {
                item.as_str()
                    .ok_or_else(|| format!("node {id}: `{field}` holds a non-string id"))
            })
            .collect(),
        Some(Value::Object(map)) => map
            .values()
            .map(|item| {
                item.as_str()
                    .ok_or_else(|| format!("node {id}: `{field}` holds a non-string id"))
            })
            .collect(),
        Some(_) => Err(format!("node {id}: `{field}` is not a list")),
    }
}

/// Reads `graph_lock.nodes` into nodes by id.
fn read_nodes(graph: &Value) -> Result<BTreeMap<&str, Node<'_>>, String> {
    let nodes = graph
        .get("nodes")
        .and_then(Value::as_object)
        .ok_or_else(|| "`graph_lock.nodes` is missing or not an object".to_owned())?;
    let mut graph_nodes: BTreeMap<&str, Node<'_>> = BTreeMap::new();
    for (id, node) in nodes {
        let text = node
            .get("ref")
            .or_else(|| node.get("pref"))
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty());
        let reference = text
            .map(parse_reference)
            .transpose()
            .map_err(|e| format!("node {id}: {e}"))?;
        graph_nodes.insert(
            id,
            Node {
                reference,
                has_path: node.get("path").is_some_and(|p| !p.is_null()),
                requires: node_ids(id, "requires", node.get("requires"))?,
                build_requires: node_ids(id, "build_requires", node.get("build_requires"))?,
            },
        );
    }
    Ok(graph_nodes)
}

fn from_graph(graph: &Value) -> Result<Vec<Package>, String> {
    let graph_nodes = read_nodes(graph)?;
    // The consumer is node "0". Old formats use random ids, and there the
    // consumer is the node that no other node requires.
    let required: BTreeSet<&str> = graph_nodes
        .values()
        .flat_map(|n| n.requires.iter().chain(&n.build_requires).copied())
        .collect();
    let roots: Vec<&str> = if graph_nodes.contains_key("0") {
        vec!["0"]
    } else {
        graph_nodes
            .keys()
            .copied()
            .filter(|id| !required.contains(id))
            .collect()
    };
    let mut runtime = reachable(&graph_nodes, &roots, false);
    let mut any = reachable(&graph_nodes, &roots, true);
    runtime.extend(roots.iter().copied());
    any.extend(roots.iter().copied());
    // A lock made for a reference (`conan lock create --reference`) has
    // that package as its root instead of a consumer. That root is then a
    // package of its own, and a direct one.
    let is_consumer = |id: &str| {
        id == "0"
            || graph_nodes
                .get(id)
                .is_none_or(|n| n.has_path || n.reference.is_none())
    };
    let direct: BTreeSet<&str> = roots
        .iter()
        .flat_map(|root| match graph_nodes.get(root) {
            Some(node) if is_consumer(root) => node
                .requires
                .iter()
                .chain(&node.build_requires)
                .copied()
                .collect(),
            _ => vec![*root],
        })
        .collect();
    let mut packages = Vec::new();
    for (id, node) in &graph_nodes {
        if roots.contains(id) && is_consumer(id) {
            continue;
        }
        let Some(reference) = &node.reference else {
            tracing::debug!(node = id, "skipping conan.lock node without a reference");
            continue;
        };
        let mut package = new_package(reference);
        package.direct = Some(direct.contains(id));
        if any.contains(id) {
            package.dev = Some(!runtime.contains(id));
        }
        package.depends_on = node
            .requires
            .iter()
            .chain(&node.build_requires)
            .filter_map(|child| graph_nodes.get(child)?.reference.as_ref())
            .map(|r| format!("{}@{}", r.name, r.version))
            .collect();
        packages.push(package);
    }
    Ok(packages)
}

/// Node ids reachable from the roots, following build requirements only
/// when `with_build` is set.
fn reachable<'a>(
    nodes: &BTreeMap<&'a str, Node<'a>>,
    roots: &[&'a str],
    with_build: bool,
) -> BTreeSet<&'a str> {
    let mut seen = BTreeSet::new();
    let mut queue: VecDeque<&str> = roots.iter().copied().collect();
    while let Some(id) = queue.pop_front() {
        let Some(node) = nodes.get(id) else { continue };
        let build: &[&str] = if with_build {
            &node.build_requires
        } else {
            &[]
        };
        for child in node.requires.iter().chain(build) {
            if seen.insert(*child) {
                queue.push_back(child);
            }
        }
    }
    seen
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_with_user_channel_and_revision() {
        let reference =
            parse_reference("zlib/1.2.11@bincrafters/testing#5f49%1667396813.184").unwrap();
        assert_eq!(reference.name, "zlib");
        assert_eq!(reference.version, "1.2.11");
        assert_eq!(reference.user, Some("bincrafters"));
        assert_eq!(reference.channel, Some("testing"));
        assert_eq!(reference.revision, Some("5f49"));
        assert_eq!(
            new_package(&reference).purl,
            "pkg:conan/zlib@1.2.11?channel=testing&rrev=5f49&user=bincrafters"
        );
    }

    #[test]
    fn reference_without_name_is_an_error() {
        assert!(parse_reference("1.2.3#ffa7").is_err());
        assert!(parse_reference("wrong/ref/format").is_err());
    }
}
