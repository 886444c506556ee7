//! The subset of the Kubernetes core/v1 Pod API that the Pod Security
//! Standards read.
//!
//! Decoding follows the Go API types: unknown fields are ignored, an
//! explicit `null` reads as the zero value (empty string, `false`, empty
//! list), and a value of the wrong type is an error.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};

/// Deserializes `null` as `T::default()`, as Go does for non-pointer fields.
fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// Pod or pod template metadata.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PodMetadata {
    #[serde(deserialize_with = "null_as_default")]
    pub name: String,
    #[serde(deserialize_with = "null_as_default")]
    pub namespace: String,
    /// Annotations, where a `null` value reads as the empty string.
    #[serde(deserialize_with = "deserialize_annotations")]
    pub annotations: BTreeMap<String, String>,
}

fn deserialize_annotations<'de, D>(deserializer: D) -> Result<BTreeMap<String, String>, D::Error>
where
    D: Deserializer<'de>,
{
    let raw: Option<BTreeMap<String, Option<String>>> = Option::deserialize(deserializer)?;
    Ok(raw
        .unwrap_or_default()
        .into_iter()
        .map(|(key, value)| (key, value.unwrap_or_default()))
        .collect())
}

/// A pod spec (`core/v1 PodSpec`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PodSpec {
    #[serde(deserialize_with = "null_as_default")]
    pub host_network: bool,
    #[serde(rename = "hostPID", deserialize_with = "null_as_default")]
    pub host_pid: bool,
    #[serde(rename = "hostIPC", deserialize_with = "null_as_default")]
    pub host_ipc: bool,
    /// `false` runs the pod in a user namespace.
    pub host_users: Option<bool>,
    pub os: Option<PodOs>,
    pub security_context: Option<PodSecurityContext>,
    #[serde(deserialize_with = "null_as_default")]
    pub init_containers: Vec<Container>,
    #[serde(deserialize_with = "null_as_default")]
    pub containers: Vec<Container>,
    #[serde(deserialize_with = "null_as_default")]
    pub ephemeral_containers: Vec<Container>,
    #[serde(deserialize_with = "null_as_default")]
    pub volumes: Vec<Volume>,
}

impl PodSpec {
    /// Iterates over init containers, containers and ephemeral containers,
    /// in that order.
    pub fn all_containers(&self) -> impl Iterator<Item = &Container> {
        self.init_containers
            .iter()
            .chain(&self.containers)
            .chain(&self.ephemeral_containers)
    }

    /// Returns whether `spec.os.name` is `windows`.
    pub fn is_windows(&self) -> bool {
        self.os.as_ref().is_some_and(|os| os.name == "windows")
    }

    /// Returns whether `spec.hostUsers` is explicitly `false`.
    pub fn in_user_namespace(&self) -> bool {
        self.host_users == Some(false)
    }
}

/// `spec.os`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct PodOs {
    #[serde(deserialize_with = "null_as_default")]
    pub name: String,
}

/// `spec.securityContext`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PodSecurityContext {
    pub run_as_non_root: Option<bool>,
    pub run_as_user: Option<i64>,
    #[serde(rename = "seLinuxOptions")]
    pub se_linux_options: Option<SeLinuxOptions>,
    pub seccomp_profile: Option<ProfileType>,
    pub app_armor_profile: Option<ProfileType>,
    pub windows_options: Option<WindowsOptions>,
    #[serde(deserialize_with = "null_as_default")]
    pub sysctls: Vec<Sysctl>,
}

/// One entry of `spec.securityContext.sysctls`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Sysctl {
    #[serde(deserialize_with = "null_as_default")]
    pub name: String,
}

/// A container, init container or ephemeral container.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Container {
    #[serde(deserialize_with = "null_as_default")]
    pub name: String,
    #[serde(deserialize_with = "null_as_default")]
    pub ports: Vec<ContainerPort>,
    pub security_context: Option<SecurityContext>,
    pub liveness_probe: Option<Handler>,
    pub readiness_probe: Option<Handler>,
    pub startup_probe: Option<Handler>,
    pub lifecycle: Option<Lifecycle>,
}

/// One entry of a container's `ports`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ContainerPort {
    #[serde(deserialize_with = "null_as_default")]
    pub host_port: i32,
}

/// The `httpGet` and `tcpSocket` actions of a probe or lifecycle handler.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Handler {
    pub http_get: Option<HostAction>,
    pub tcp_socket: Option<HostAction>,
}

impl Handler {
    /// Iterates over the non-empty `host` values of the handler's actions.
    pub fn hosts(&self) -> impl Iterator<Item = &str> {
        [&self.http_get, &self.tcp_socket]
            .into_iter()
            .flatten()
            .map(|action| action.host.as_str())
            .filter(|host| !host.is_empty())
    }
}

/// An `httpGet` or `tcpSocket` action.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct HostAction {
    #[serde(deserialize_with = "null_as_default")]
    pub host: String,
}

/// A container's `lifecycle`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Lifecycle {
    pub post_start: Option<Handler>,
    pub pre_stop: Option<Handler>,
}

/// A container's `securityContext`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SecurityContext {
    pub allow_privilege_escalation: Option<bool>,
    pub privileged: Option<bool>,
    pub capabilities: Option<Capabilities>,
    pub proc_mount: Option<String>,
    pub run_as_non_root: Option<bool>,
    pub run_as_user: Option<i64>,
    #[serde(rename = "seLinuxOptions")]
    pub se_linux_options: Option<SeLinuxOptions>,
    pub seccomp_profile: Option<ProfileType>,
    pub app_armor_profile: Option<ProfileType>,
    pub windows_options: Option<WindowsOptions>,
}

/// `securityContext.capabilities`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Capabilities {
    #[serde(deserialize_with = "null_as_default")]
    pub add: Vec<String>,
    #[serde(deserialize_with = "null_as_default")]
    pub drop: Vec<String>,
}

/// `seLinuxOptions`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct SeLinuxOptions {
    #[serde(rename = "type", deserialize_with = "null_as_default")]
    pub type_: String,
    #[serde(deserialize_with = "null_as_default")]
    pub user: String,
    #[serde(deserialize_with = "null_as_default")]
    pub role: String,
}

/// A `seccompProfile` or `appArmorProfile`, of which only `type` matters here.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ProfileType {
    #[serde(rename = "type", deserialize_with = "null_as_default")]
    pub type_: String,
}

/// `securityContext.windowsOptions`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct WindowsOptions {
    pub host_process: Option<bool>,
}

/// The source fields of the Go `VolumeSource` type.
pub const VOLUME_SOURCES: &[&str] = &[
    "hostPath",
    "emptyDir",
    "gcePersistentDisk",
    "awsElasticBlockStore",
    "gitRepo",
    "secret",
    "nfs",
    "iscsi",
    "glusterfs",
    "persistentVolumeClaim",
    "rbd",
    "flexVolume",
    "cinder",
    "cephfs",
    "flocker",
    "downwardAPI",
    "fc",
    "azureFile",
    "configMap",
    "vsphereVolume",
    "quobyte",
    "azureDisk",
    "photonPersistentDisk",
    "projected",
    "portworxVolume",
    "scaleIO",
    "storageos",
    "csi",
    "ephemeral",
    "image",
];

/// A pod volume: its name and the source fields it sets (`hostPath`,
/// `emptyDir`, ...).
///
/// Decoding drops `null` and unknown source fields, and applies the API
/// server's defaulting: a volume without a source becomes an `emptyDir`.
#[derive(Debug, Clone, Default)]
pub struct Volume {
    pub name: String,
    pub sources: BTreeMap<String, serde_json::Value>,
}

impl<'de> Deserialize<'de> for Volume {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut fields: BTreeMap<String, serde_json::Value> = null_as_default(deserializer)?;
        let name = match fields.remove("name") {
            None | Some(serde_json::Value::Null) => String::new(),
            Some(serde_json::Value::String(name)) => name,
            Some(other) => {
                return Err(serde::de::Error::invalid_type(
                    unexpected(&other),
                    &"a volume name string",
                ));
            }
        };
        fields.retain(|key, value| !value.is_null() && VOLUME_SOURCES.contains(&key.as_str()));
        if fields.is_empty() {
            fields.insert("emptyDir".to_owned(), serde_json::json!({}));
        }
        Ok(Volume {
            name,
            sources: fields,
        })
    }
}

impl Volume {
    /// Returns whether the volume sets the source field `key`, such as `hostPath`.
    pub fn has_source(&self, key: &str) -> bool {
        self.sources.contains_key(key)
    }
}

fn unexpected(value: &serde_json::Value) -> serde::de::Unexpected<'_> {
    use serde::de::Unexpected;
    match value {
        serde_json::Value::Null => Unexpected::Unit,
        serde_json::Value::Bool(b) => Unexpected::Bool(*b),
        serde_json::Value::Number(_) => Unexpected::Other("number"),
        serde_json::Value::String(s) => Unexpected::Str(s),
        serde_json::Value::Array(_) => Unexpected::Seq,
        serde_json::Value::Object(_) => Unexpected::Map,
    }
}
