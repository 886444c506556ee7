//! SPDX 2.3 JSON.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use bulwark_inventory::{Inventory, Package};

use crate::license::{LicenseTerm, classify_all, license_ref, license_refs_in};
use crate::meta::{DocumentMeta, content_digest};

const ROOT_ID: &str = "SPDXRef-Target";
const OS_ID: &str = "SPDXRef-OperatingSystem";

/// Replaces every character that SPDX ids and document names do not allow
/// (anything but ASCII letters, digits, `.` and `-`) with `-`.
fn id_safe(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// Builds an SPDX element id from a package id: a readable prefix plus a
/// digest of the package id, which is unique within the inventory.
fn element_id(package: &Package) -> String {
    let readable: String = id_safe(&format!("{}-{}", package.kind.as_str(), package.name))
        .chars()
        .take(60)
        .collect();
    let hash = hex::encode(&Sha256::digest(package.id.as_bytes())[..8]);
    format!("SPDXRef-Package-{readable}-{hash}")
}

/// A license that is not on the SPDX list, for `hasExtractedLicensingInfos`.
struct ExtractedLicense {
    name: String,
    text: String,
}

/// The `LicenseRef-` licenses of one document, by id.
#[derive(Default)]
struct ExtractedLicenses(BTreeMap<String, ExtractedLicense>);

impl ExtractedLicenses {
    /// Renders a package's licenses as one SPDX expression, joined with
    /// `AND` because each license covers part of the package. Names not on
    /// the SPDX list become `LicenseRef-` ids declared in the document.
    fn declared_license(&mut self, package: &Package) -> String {
        let terms = classify_all(&package.licenses);
        if terms.is_empty() {
            return "NOASSERTION".to_owned();
        }
        let several = terms.len() > 1;
        let mut parts: Vec<String> = Vec::new();
        for term in terms {
            let part = match term {
                LicenseTerm::Id(id) => id,
                LicenseTerm::Expression(expression) => {
                    for id in license_refs_in(&expression) {
                        let text = format!(
                            "The package metadata names {id} in the expression {expression:?} \
                             without its text."
                        );
                        self.0.entry(id.clone()).or_insert(ExtractedLicense {
                            name: id.trim_start_matches("LicenseRef-").to_owned(),
                            text,
                        });
                    }
                    if several {
                        format!("({expression})")
                    } else {
                        expression
                    }
                }
                LicenseTerm::Name(name) => {
                    let id = license_ref(&name);
                    let text = format!("The package metadata names the license as {name:?}.");
                    self.0
                        .entry(id.clone())
                        .or_insert(ExtractedLicense { name, text });
                    id
                }
            };
            if !parts.contains(&part) {
                parts.push(part);
            }
        }
        parts.join(" AND ")
    }

    fn into_json(self) -> Option<Value> {
        if self.0.is_empty() {
            return None;
        }
        let infos = self
            .0
            .into_iter()
            .map(|(id, license)| {
                json!({
                    "licenseId": id,
                    "name": license.name,
                    "extractedText": license.text,
                })
            })
            .collect();
        Some(Value::Array(infos))
    }
}

fn relationship(from: &str, kind: &str, to: &str) -> Value {
    json!({
        "spdxElementId": from,
        "relationshipType": kind,
        "relatedSpdxElement": to,
    })
}

fn package_entry(package: &Package, id: &str, extracted: &mut ExtractedLicenses) -> Value {
    let mut entry = json!({
        "SPDXID": id,
        "name": package.name,
        "versionInfo": package.full_version(),
        "downloadLocation": "NOASSERTION",
        "filesAnalyzed": false,
        "licenseConcluded": "NOASSERTION",
        "licenseDeclared": extracted.declared_license(package),
        "copyrightText": "NOASSERTION",
        "primaryPackagePurpose": "LIBRARY",
    });
    if !package.purl.is_empty() {
        entry["externalRefs"] = json!([{
            "referenceCategory": "PACKAGE-MANAGER",
            "referenceType": "purl",
            "referenceLocator": package.purl,
        }]);
    }
    if let Some(source_name) = &package.source_name {
        let info = match &package.source_version {
            Some(version) => format!("built from source package {source_name} {version}"),
            None => format!("built from source package {source_name}"),
        };
        entry["sourceInfo"] = json!(info);
    }
    let mut notes = Vec::new();
    if let Some(layer) = &package.layer
        && let Some(diff_id) = &layer.diff_id
    {
        notes.push(format!("layer {diff_id}"));
    }
    for location in &package.locations {
        notes.push(format!("found in {location}"));
    }
    if !notes.is_empty() {
        entry["comment"] = json!(notes.join("; "));
    }
    entry
}

fn root_package(inventory: &Inventory) -> Value {
    let source = &inventory.source;
    let purpose = if source.kind == "image" {
        "CONTAINER"
    } else {
        "SOURCE"
    };
    let mut root = json!({
        "SPDXID": ROOT_ID,
        "name": source.target,
        "downloadLocation": "NOASSERTION",
        "filesAnalyzed": false,
        "primaryPackagePurpose": purpose,
    });
    let manifest_hex = source
        .manifest_digest
        .as_deref()
        .and_then(|d| d.strip_prefix("sha256:"));
    if let Some(hex) = manifest_hex {
        root["checksums"] = json!([{ "algorithm": "SHA256", "checksumValue": hex }]);
        root["versionInfo"] = json!(format!("sha256:{hex}"));
    }
    root
}

/// Writes an SPDX 2.3 JSON document. The namespace is derived from the
/// content, so equal inventories give equal documents.
pub fn write_spdx_json(inventory: &Inventory, meta: &DocumentMeta) -> String {
    let digest = content_digest(inventory, meta);
    let mut extracted = ExtractedLicenses::default();
    let mut packages = vec![root_package(inventory)];
    let mut relationships = vec![relationship("SPDXRef-DOCUMENT", "DESCRIBES", ROOT_ID)];
    if let Some(os) = &inventory.os {
        packages.push(json!({
            "SPDXID": OS_ID,
            "name": os.family,
            "versionInfo": os.version,
            "downloadLocation": "NOASSERTION",
            "filesAnalyzed": false,
            "primaryPackagePurpose": "OPERATING-SYSTEM",
        }));
        relationships.push(relationship(ROOT_ID, "CONTAINS", OS_ID));
    }
    let ids: BTreeMap<&str, String> = inventory
        .packages
        .iter()
        .map(|p| (p.id.as_str(), element_id(p)))
        .collect();
    for package in &inventory.packages {
        let id = &ids[package.id.as_str()];
        packages.push(package_entry(package, id, &mut extracted));
        relationships.push(relationship(ROOT_ID, "CONTAINS", id));
        for dependency in &package.depends_on {
            if let Some(target) = ids.get(dependency.as_str()) {
                relationships.push(relationship(id, "DEPENDS_ON", target));
            }
        }
    }
    let namespace = format!(
        "https://spdx.org/spdxdocs/bulwark/{}-{}",
        id_safe(&inventory.source.target).trim_matches('-'),
        hex::encode(&digest[..16])
    );
    let mut document = json!({
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": inventory.source.target,
        "documentNamespace": namespace,
        "creationInfo": {
            "created": meta.timestamp,
            "creators": [format!("Tool: {}-{}", meta.tool_name, meta.tool_version)],
        },
        "packages": packages,
        "relationships": relationships,
    });
    if let Some(infos) = extracted.into_json() {
        document["hasExtractedLicensingInfos"] = infos;
    }
    let mut text = serde_json::to_string_pretty(&document).unwrap_or_default();
    text.push('\n');
    text
}
