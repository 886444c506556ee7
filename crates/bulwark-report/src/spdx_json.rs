//! SPDX 2.3 JSON.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use bulwark_inventory::{Inventory, Package};

use crate::license::{LicenseTerm, classify, license_ref};
use crate::meta::{DocumentMeta, content_digest};

const ROOT_ID: &str = "SPDXRef-Target";

/// Builds an SPDX element id from a package id: SPDX allows only letters,
/// digits, `.` and `-`, so the id is a readable prefix plus a digest.
fn element_id(package: &Package) -> String {
    use sha2::{Digest, Sha256};
    let readable: String = format!("{}-{}", package.kind.as_str(), package.name)
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' { c } else { '-' })
        .take(60)
        .collect();
    let hash = hex::encode(&Sha256::digest(package.id.as_bytes())[..8]);
    format!("SPDXRef-Package-{readable}-{hash}")
}

/// Writes an SPDX 2.3 JSON document. The namespace is derived from the
/// content, so equal inventories give equal documents.
pub fn write_spdx_json(inventory: &Inventory, meta: &DocumentMeta) -> String {
    let digest = content_digest(inventory, meta);
    let source = &inventory.source;
    let mut extracted: BTreeMap<String, String> = BTreeMap::new();
    let mut declared_license = |package: &Package| -> String {
        if package.licenses.is_empty() {
            return "NOASSERTION".to_owned();
        }
        let parts: Vec<String> = package
            .licenses
            .iter()
            .map(|text| match classify(text) {
                LicenseTerm::Id(id) => id,
                LicenseTerm::Expression(expression) => format!("({expression})"),
                LicenseTerm::Name(name) => {
                    let id = license_ref(&name);
                    extracted.entry(id.clone()).or_insert(name);
                    id
                }
            })
            .collect();
        if parts.len() == 1 {
            parts[0].trim_start_matches('(').trim_end_matches(')').to_owned()
        } else {
            parts.join(" AND ")
        }
    };

    let mut root = json!({
        "SPDXID": ROOT_ID,
        "name": source.target,
        "downloadLocation": "NOASSERTION",
        "filesAnalyzed": false,
        "primaryPackagePurpose": if source.kind == "image" { "CONTAINER" } else { "SOURCE" },
    });
    if let Some(digest) = source.manifest_digest.as_deref().and_then(|d| d.strip_prefix("sha256:")) {
        root["checksums"] = json!([{ "algorithm": "SHA256", "checksumValue": digest }]);
        root["versionInfo"] = json!(format!("sha256:{digest}"));
    }
    let mut packages = vec![root];
    let mut relationships = vec![json!({
        "spdxElementId": "SPDXRef-DOCUMENT",
        "relationshipType": "DESCRIBES",
        "relatedSpdxElement": ROOT_ID,
    })];
    if let Some(os) = &inventory.os {
        let os_id = "SPDXRef-OperatingSystem";
        packages.push(json!({
            "SPDXID": os_id,
            "name": os.family,
            "versionInfo": os.version,
            "downloadLocation": "NOASSERTION",
            "filesAnalyzed": false,
            "primaryPackagePurpose": "OPERATING-SYSTEM",
        }));
        relationships.push(json!({
            "spdxElementId": ROOT_ID,
            "relationshipType": "CONTAINS",
            "relatedSpdxElement": os_id,
        }));
    }
    let ids: BTreeMap<&str, String> = inventory
        .packages
        .iter()
        .map(|p| (p.id.as_str(), element_id(p)))
        .collect();
    for package in &inventory.packages {
        let id = element_id(package);
        let mut entry = json!({
            "SPDXID": id,
            "name": package.name,
            "versionInfo": package.full_version(),
            "downloadLocation": "NOASSERTION",
            "filesAnalyzed": false,
            "licenseConcluded": "NOASSERTION",
            "licenseDeclared": declared_license(package),
            "copyrightText": "NOASSERTION",
            "primaryPackagePurpose": "LIBRARY",
            "externalRefs": [{
                "referenceCategory": "PACKAGE-MANAGER",
                "referenceType": "purl",
                "referenceLocator": package.purl,
            }],
        });
        let mut notes = Vec::new();
        if let Some(source_name) = &package.source_name {
            let version = package.source_version.as_deref().unwrap_or_default();
            entry["sourceInfo"] = json!(format!("built from source package {source_name} {version}").trim_end().to_owned());
        }
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
        packages.push(entry);
        relationships.push(json!({
            "spdxElementId": ROOT_ID,
            "relationshipType": "CONTAINS",
            "relatedSpdxElement": id,
        }));
        for dependency in &package.depends_on {
            if let Some(target) = ids.get(dependency.as_str()) {
                relationships.push(json!({
                    "spdxElementId": id,
                    "relationshipType": "DEPENDS_ON",
                    "relatedSpdxElement": target,
                }));
            }
        }
    }
    let name: String = source
        .target
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' { c } else { '-' })
        .collect();
    let mut document = json!({
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": source.target,
        "documentNamespace": format!(
            "https://spdx.org/spdxdocs/bulwark/{}-{}",
            name.trim_matches('-'),
            hex::encode(&digest[..16])
        ),
        "creationInfo": {
            "created": meta.timestamp,
            "creators": [format!("Tool: {}-{}", meta.tool_name, meta.tool_version)],
        },
        "packages": packages,
        "relationships": relationships,
    });
    if !extracted.is_empty() {
        document["hasExtractedLicensingInfos"] = Value::Array(
            extracted
                .into_iter()
                .map(|(id, name)| {
                    json!({
                        "licenseId": id,
                        "name": name,
                        "extractedText": format!("The package metadata names the license as {name:?}."),
                    })
                })
                .collect(),
        );
    }
    let mut text = serde_json::to_string_pretty(&document).unwrap_or_default();
    text.push('\n');
    text
}
