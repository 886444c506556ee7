//! Finding pods and pod templates in Kubernetes manifests.

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::Error;
use crate::pod::{PodMetadata, PodSpec};

/// One Kubernetes object of a manifest document: the document itself, or
/// one entry of a `List`'s `items`.
#[derive(Debug, Clone)]
pub struct ManifestObject<'a> {
    /// Index in the enclosing `List`'s `items`, if the object came from one.
    pub item: Option<usize>,
    /// `apiVersion`, empty when missing.
    pub api_version: String,
    /// `kind`, empty when missing.
    pub kind: String,
    /// `metadata.namespace`, empty when missing.
    pub namespace: String,
    /// `metadata.name`, empty when missing.
    pub name: String,
    /// The pod or pod template the object carries, or `None` for objects
    /// that do not create pods (the admission controller ignores those).
    pub pod: Option<PodRef<'a>>,
}

/// Location of a pod-bearing object's pod metadata and spec.
#[derive(Debug, Clone, Copy)]
pub struct PodRef<'a> {
    /// JSON path of the pod template, `""` for a Pod itself, for example
    /// `spec.template` for a Deployment.
    pub path: &'static str,
    /// The pod's or template's `metadata`, if present.
    pub metadata: Option<&'a Value>,
    /// The pod's or template's `spec`, if present.
    pub spec: Option<&'a Value>,
}

/// A pod decoded from a [`PodRef`].
#[derive(Debug, Clone, Default)]
pub struct Pod {
    pub metadata: PodMetadata,
    pub spec: PodSpec,
}

impl PodRef<'_> {
    /// Decodes the metadata and spec. A field of the wrong type is an error
    /// naming its path.
    pub fn decode(&self) -> Result<Pod, Error> {
        let prefix = if self.path.is_empty() {
            String::new()
        } else {
            format!("{}.", self.path)
        };
        Ok(Pod {
            metadata: decode_part(self.metadata, &format!("{prefix}metadata"))?,
            spec: decode_part(self.spec, &format!("{prefix}spec"))?,
        })
    }
}

fn decode_part<T: DeserializeOwned + Default>(
    value: Option<&Value>,
    path: &str,
) -> Result<T, Error> {
    let Some(value) = value else {
        return Ok(T::default());
    };
    serde_path_to_error::deserialize(value).map_err(|error| {
        let inner = error.path().to_string();
        let path = if inner == "." {
            path.to_owned()
        } else {
            format!("{path}.{inner}")
        };
        Error::InvalidField {
            path,
            message: error.into_inner().to_string(),
        }
    })
}

/// Kinds that carry a pod, the API groups they belong to, and the path of
/// their pod template. Older beta groups (`extensions`, `apps/v1beta*`,
/// `batch/v1beta1`) are accepted as they carry the same template.
const POD_KINDS: &[(&str, &[&str], &str)] = &[
    ("Pod", &[""], ""),
    ("PodTemplate", &[""], "template"),
    ("ReplicationController", &[""], "spec.template"),
    ("ReplicaSet", &["apps", "extensions"], "spec.template"),
    ("Deployment", &["apps", "extensions"], "spec.template"),
    ("DaemonSet", &["apps", "extensions"], "spec.template"),
    ("StatefulSet", &["apps"], "spec.template"),
    ("Job", &["batch"], "spec.template"),
    ("CronJob", &["batch"], "spec.jobTemplate.spec.template"),
];

/// Lists the objects of one manifest document, expanding `kind: List` (and
/// typed lists such as `PodList`) into their items. A `null` document (an
/// empty YAML document) has no objects.
pub fn objects(document: &Value) -> Vec<ManifestObject<'_>> {
    if document.is_null() {
        return Vec::new();
    }
    let kind = document.get("kind").and_then(Value::as_str).unwrap_or("");
    if kind.ends_with("List")
        && let Some(items) = document.get("items").and_then(Value::as_array)
    {
        return items
            .iter()
            .enumerate()
            .map(|(index, item)| ManifestObject {
                item: Some(index),
                ..object(item)
            })
            .collect();
    }
    vec![object(document)]
}

/// Lists the pods and pod templates of one manifest document.
pub fn pod_templates(document: &Value) -> Vec<PodRef<'_>> {
    objects(document)
        .into_iter()
        .filter_map(|object| object.pod)
        .collect()
}

fn object(value: &Value) -> ManifestObject<'_> {
    let text = |value: Option<&Value>| value.and_then(Value::as_str).unwrap_or("").to_owned();
    let api_version = text(value.get("apiVersion"));
    let kind = text(value.get("kind"));
    let metadata = value.get("metadata");
    ManifestObject {
        item: None,
        namespace: text(metadata.and_then(|metadata| metadata.get("namespace"))),
        name: text(metadata.and_then(|metadata| metadata.get("name"))),
        pod: pod_ref(value, &api_version, &kind),
        api_version,
        kind,
    }
}

fn pod_ref<'a>(value: &'a Value, api_version: &str, kind: &str) -> Option<PodRef<'a>> {
    // `v1` is the core group, and every other apiVersion is `group/version`.
    let group = api_version
        .rsplit_once('/')
        .map_or("", |(group, _version)| group);
    let &(_, _, path) = POD_KINDS
        .iter()
        .find(|(pod_kind, groups, _)| *pod_kind == kind && groups.contains(&group))?;
    let mut template = Some(value);
    if !path.is_empty() {
        for segment in path.split('.') {
            template = template.and_then(|node| node.get(segment));
        }
    }
    let template = template.filter(|node| !node.is_null());
    Some(PodRef {
        path,
        metadata: template.and_then(|node| node.get("metadata")),
        spec: template.and_then(|node| node.get("spec")),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn cron_job_template_is_found() {
        let document = json!({
            "apiVersion": "batch/v1",
            "kind": "CronJob",
            "metadata": {"name": "nightly", "namespace": "jobs"},
            "spec": {"jobTemplate": {"spec": {"template": {
                "metadata": {"annotations": {"a": "b"}},
                "spec": {"hostPID": true}
            }}}}
        });
        let found = objects(&document);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].name, "nightly");
        let pod = found[0].pod.unwrap().decode().unwrap();
        assert!(pod.spec.host_pid);
        assert_eq!(pod.metadata.annotations["a"], "b");
    }

    #[test]
    fn list_items_are_expanded() {
        let document = json!({
            "apiVersion": "v1",
            "kind": "List",
            "items": [
                {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}},
                {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"}}
            ]
        });
        let found = objects(&document);
        assert_eq!(found.len(), 2);
        assert_eq!(found[1].item, Some(1));
        assert!(found[0].pod.is_none());
        assert!(found[1].pod.is_some());
    }

    #[test]
    fn unknown_group_is_not_a_pod() {
        let document = json!({"apiVersion": "example.com/v1", "kind": "Deployment"});
        assert!(pod_templates(&document).is_empty());
    }

    #[test]
    fn wrong_field_type_names_path() {
        let document = json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "spec": {"template": {"spec": {"containers": [{"name": "a", "ports": [{"hostPort": "80"}]}]}}}
        });
        let error = pod_templates(&document)[0]
            .decode()
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("spec.template.spec.containers[0].ports[0].hostPort"),
            "{error}"
        );
    }
}
