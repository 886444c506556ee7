//! CycloneDX 1.6 JSON.

use std::collections::{HashMap, HashSet};

use serde_json::{Value, json};

use bulwark_inventory::{Inventory, Package, SourceInfo};

use crate::license::{LicenseTerm, classify_all};
use crate::meta::{DocumentMeta, content_digest, uuid_from_digest};

const ROOT_REF: &str = "bulwark:target";

fn property(name: &str, value: impl Into<String>) -> Value {
    json!({ "name": name, "value": value.into() })
}

/// Renders a package's licenses. CycloneDX takes either one SPDX
/// expression or a list of licenses, each an SPDX id or a name. Licenses
/// that are all SPDX ids or expressions become one expression joined with
/// `AND` when any of them is an expression; otherwise each license is
/// listed, and an expression next to a name not on the SPDX list is kept
/// as a name, since the list form has no place for expressions.
fn licenses(package: &Package) -> Option<Value> {
    let terms = classify_all(&package.licenses);
    if terms.is_empty() {
        return None;
    }
    let all_spdx = terms.iter().all(|t| !matches!(t, LicenseTerm::Name(_)));
    let any_expression = terms
        .iter()
        .any(|t| matches!(t, LicenseTerm::Expression(_)));
    if all_spdx && any_expression {
        let several = terms.len() > 1;
        let parts: Vec<String> = terms
            .into_iter()
            .map(|term| match term {
                LicenseTerm::Expression(text) if several => format!("({text})"),
                LicenseTerm::Id(text) | LicenseTerm::Expression(text) | LicenseTerm::Name(text) => {
                    text
                }
            })
            .collect();
        return Some(json!([{ "expression": parts.join(" AND ") }]));
    }
    let list: Vec<Value> = terms
        .into_iter()
        .map(|term| match term {
            LicenseTerm::Id(id) => json!({ "license": { "id": id } }),
            LicenseTerm::Expression(text) | LicenseTerm::Name(text) => {
                json!({ "license": { "name": text } })
            }
        })
        .collect();
    Some(Value::Array(list))
}

fn component(package: &Package) -> Value {
    let mut properties = vec![property("bulwark:package:type", package.kind.as_str())];
    if let Some(source) = &package.source_name {
        properties.push(property("bulwark:package:source_name", source.clone()));
    }
    if let Some(source_version) = &package.source_version {
        properties.push(property(
            "bulwark:package:source_version",
            source_version.clone(),
        ));
    }
    if let Some(layer) = &package.layer {
        if let Some(diff_id) = &layer.diff_id {
            properties.push(property("bulwark:layer:diff_id", diff_id.clone()));
        }
        properties.push(property("bulwark:layer:index", layer.index.to_string()));
    }
    for location in &package.locations {
        properties.push(property("bulwark:location", location.clone()));
    }
    if let Some(dev) = package.dev {
        properties.push(property("bulwark:package:dev", dev.to_string()));
    }
    if let Some(direct) = package.direct {
        properties.push(property("bulwark:package:direct", direct.to_string()));
    }
    let mut value = json!({
        "bom-ref": package.id,
        "type": "library",
        "name": package.name,
        "version": package.full_version(),
        "properties": properties,
    });
    if !package.purl.is_empty() {
        value["purl"] = json!(package.purl);
    }
    if let Some(licenses) = licenses(package) {
        value["licenses"] = licenses;
    }
    if let Some(maintainer) = &package.maintainer {
        value["supplier"] = json!({ "name": maintainer });
    }
    value
}

/// The `metadata.component` that describes the scanned target.
fn root_component(source: &SourceInfo) -> Value {
    let root_type = if source.kind == "image" {
        "container"
    } else {
        "file"
    };
    let mut root = json!({
        "bom-ref": ROOT_REF,
        "type": root_type,
        "name": source.target,
    });
    let mut root_properties = Vec::new();
    if let Some(digest) = &source.manifest_digest {
        root["version"] = json!(digest);
    }
    if let Some(digest) = &source.config_digest {
        root_properties.push(property("bulwark:image:config_digest", digest.clone()));
    }
    for tag in &source.repo_tags {
        root_properties.push(property("bulwark:image:tag", tag.clone()));
    }
    for layer in &source.layers {
        root_properties.push(property("bulwark:image:layer_diff_id", layer.clone()));
    }
    if !root_properties.is_empty() {
        root["properties"] = Value::Array(root_properties);
    }
    root
}

/// Chooses the packages the target depends on directly: every package
/// that no other package depends on, plus one package of each dependency
/// cycle that nothing outside the cycle reaches, so that every package is
/// reachable from the target.
fn target_dependencies(packages: &[Package]) -> Vec<String> {
    let edges: HashMap<&str, &[String]> = packages
        .iter()
        .map(|p| (p.id.as_str(), p.depends_on.as_slice()))
        .collect();
    let depended: HashSet<&str> = packages
        .iter()
        .flat_map(|p| p.depends_on.iter().map(String::as_str))
        .collect();
    let mut reached: HashSet<&str> = HashSet::new();
    let visit = |start: &str, reached: &mut HashSet<_>| {
        let mut stack = vec![start];
        while let Some(id) = stack.pop() {
            let Some((&id, next)) = edges.get_key_value(id) else {
                continue;
            };
            if reached.insert(id) {
                stack.extend(next.iter().map(String::as_str));
            }
        }
    };
    let mut roots = Vec::new();
    for package in packages
        .iter()
        .filter(|p| !depended.contains(p.id.as_str()))
    {
        visit(&package.id, &mut reached);
        roots.push(package.id.clone());
    }
    for package in packages {
        if !reached.contains(package.id.as_str()) {
            visit(&package.id, &mut reached);
            roots.push(package.id.clone());
        }
    }
    roots
}

/// Writes a CycloneDX 1.6 JSON BOM. The serial number is derived from the
/// content, so equal inventories give equal documents.
pub fn write_cyclonedx(inventory: &Inventory, meta: &DocumentMeta) -> String {
    let digest = content_digest(inventory, meta);
    let serial = format!("urn:uuid:{}", uuid_from_digest(&digest));
    let root = root_component(&inventory.source);

    let mut components = Vec::new();
    let mut root_depends = Vec::new();
    let mut os_dependency = None;
    if let Some(os) = &inventory.os {
        let os_ref = format!("bulwark:os:{}@{}", os.family, os.version);
        components.push(json!({
            "bom-ref": os_ref,
            "type": "operating-system",
            "name": os.family,
            "version": os.version,
        }));
        // The CycloneDX 1.6 schema requires an empty entry for components
        // without dependencies. The OS packages are listed under the target.
        os_dependency = Some(json!({ "ref": os_ref, "dependsOn": [] }));
        root_depends.push(os_ref);
    }
    components.extend(inventory.packages.iter().map(component));

    root_depends.extend(target_dependencies(&inventory.packages));
    let mut dependencies = vec![json!({ "ref": ROOT_REF, "dependsOn": root_depends })];
    dependencies.extend(os_dependency);
    for package in &inventory.packages {
        dependencies.push(json!({ "ref": package.id, "dependsOn": package.depends_on }));
    }

    let document = json!({
        "$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": serial,
        "version": 1,
        "metadata": {
            "timestamp": meta.timestamp,
            "tools": {
                "components": [{
                    "type": "application",
                    "name": meta.tool_name,
                    "version": meta.tool_version,
                }]
            },
            "component": root,
        },
        "components": components,
        "dependencies": dependencies,
    });
    let mut text = serde_json::to_string_pretty(&document).unwrap_or_default();
    text.push('\n');
    text
}
