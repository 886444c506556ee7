//! CycloneDX 1.6 JSON.

use serde_json::{Value, json};

use bulwark_inventory::{Inventory, Package};

use crate::license::{LicenseTerm, classify};
use crate::meta::{DocumentMeta, content_digest, uuid_from_digest};

const ROOT_REF: &str = "bulwark:target";

fn property(name: &str, value: impl Into<String>) -> Value {
    json!({ "name": name, "value": value.into() })
}

fn licenses(package: &Package) -> Option<Value> {
    if package.licenses.is_empty() {
        return None;
    }
    let terms: Vec<LicenseTerm> = package.licenses.iter().map(|l| classify(l)).collect();
    // CycloneDX allows either one expression or a list of licenses.
    if let [LicenseTerm::Expression(expression)] = terms.as_slice() {
        return Some(json!([{ "expression": expression }]));
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
        properties.push(property("bulwark:package:source_version", source_version.clone()));
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
        "purl": package.purl,
        "properties": properties,
    });
    if let Some(licenses) = licenses(package) {
        value["licenses"] = licenses;
    }
    if let Some(maintainer) = &package.maintainer {
        value["supplier"] = json!({ "name": maintainer });
    }
    value
}

/// Writes a CycloneDX 1.6 JSON BOM. The serial number is derived from the
/// content, so equal inventories give equal documents.
pub fn write_cyclonedx(inventory: &Inventory, meta: &DocumentMeta) -> String {
    let digest = content_digest(inventory, meta);
    let serial = format!("urn:uuid:{}", uuid_from_digest(&digest));
    let source = &inventory.source;
    let root_type = if source.kind == "image" { "container" } else { "file" };
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

    let mut components = Vec::new();
    let mut root_depends = Vec::new();
    if let Some(os) = &inventory.os {
        let os_ref = format!("bulwark:os:{}@{}", os.family, os.version);
        components.push(json!({
            "bom-ref": os_ref,
            "type": "operating-system",
            "name": os.family,
            "version": os.version,
        }));
        root_depends.push(os_ref);
    }
    components.extend(inventory.packages.iter().map(component));

    // The target depends on every package that no other package depends
    // on, so the graph has one root and every package is reachable.
    let depended: std::collections::BTreeSet<&str> = inventory
        .packages
        .iter()
        .flat_map(|p| p.depends_on.iter().map(String::as_str))
        .collect();
    root_depends.extend(
        inventory
            .packages
            .iter()
            .filter(|p| !depended.contains(p.id.as_str()))
            .map(|p| p.id.clone()),
    );
    let mut dependencies = vec![json!({ "ref": ROOT_REF, "dependsOn": root_depends })];
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
