//! Kubernetes manifests: every YAML document is one input document, and the
//! items of `List` kinds are expanded into documents of their own.

use crate::yaml::{self, TagMode};
use crate::{Document, ParseError, PathSegment};

pub(crate) fn parse(text: &str, display_path: &str) -> Result<Vec<Document>, ParseError> {
    let mut documents = Vec::new();
    for doc in yaml::load_json_documents(text, display_path, TagMode::Strip)? {
        if !doc.value.is_object() {
            if !doc.value.is_null() {
                tracing::debug!(
                    path = display_path,
                    "skipping a YAML document that is not a mapping"
                );
            }
            continue;
        }
        if let Some(items) = list_items(&doc.value) {
            for (item_index, item) in items.iter().enumerate() {
                if !item.is_object() {
                    continue;
                }
                let prefix = [
                    PathSegment::Key("items".to_owned()),
                    PathSegment::Index(item_index),
                ];
                let positions = doc.positions.subtree(&prefix);
                let start_line = positions.get(&[]).map_or(doc.start_line, |(line, _)| line);
                let end_line = positions.max_line().unwrap_or(doc.end_line);
                documents.push(Document {
                    index: documents.len(),
                    resource: resource_name(item),
                    input: item.clone(),
                    positions,
                    start_line,
                    end_line,
                });
            }
            continue;
        }
        documents.push(Document {
            index: documents.len(),
            resource: resource_name(&doc.value),
            input: doc.value,
            positions: doc.positions,
            start_line: doc.start_line,
            end_line: doc.end_line,
        });
    }
    Ok(documents)
}

/// Returns the items of a `List` or `*List` object.
fn list_items(value: &serde_json::Value) -> Option<&Vec<serde_json::Value>> {
    let kind = value.get("kind")?.as_str()?;
    if !kind.ends_with("List") {
        return None;
    }
    value.get("items")?.as_array()
}

/// Kinds without a namespace, named `Kind/name` in reports.
const CLUSTER_SCOPED: &[&str] = &[
    "APIService",
    "CertificateSigningRequest",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "IngressClass",
    "MutatingWebhookConfiguration",
    "Namespace",
    "Node",
    "PersistentVolume",
    "PodSecurityPolicy",
    "PriorityClass",
    "RuntimeClass",
    "StorageClass",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "ValidatingWebhookConfiguration",
    "VolumeAttachment",
];

/// Returns `Kind/namespace/name`, with namespace `default` when the
/// manifest sets none, or `Kind/name` for cluster-scoped kinds.
pub(crate) fn resource_name(value: &serde_json::Value) -> Option<String> {
    let kind = value.get("kind")?.as_str()?;
    let metadata = value.get("metadata");
    let name = metadata
        .and_then(|m| m.get("name").or_else(|| m.get("generateName")))
        .and_then(serde_json::Value::as_str)
        .unwrap_or("");
    if CLUSTER_SCOPED.contains(&kind) {
        return Some(format!("{kind}/{name}"));
    }
    let namespace = metadata
        .and_then(|m| m.get("namespace"))
        .and_then(serde_json::Value::as_str)
        .unwrap_or("default");
    Some(format!("{kind}/{namespace}/{name}"))
}
