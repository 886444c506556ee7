//! Kubernetes Pod Security Standards evaluation.
//!
//! [`evaluate_pod`] judges a pod spec and its metadata against the
//! `baseline` or `restricted` level of a given policy version (`v1.0` up to
//! [`NEWEST_MINOR`], or `latest`), control by control, the way the Pod
//! Security admission controller (k8s.io/pod-security-admission) does.
//! [`objects`] and [`pod_templates`] find the pods in manifests: Pods and
//! the pod templates of workloads, including `List` items.
//!
//! ```
//! use bulwark_pss::{Level, Version, evaluate_pod, pod_templates};
//!
//! let manifest = serde_json::json!({
//!     "apiVersion": "v1",
//!     "kind": "Pod",
//!     "metadata": {"name": "web"},
//!     "spec": {"hostNetwork": true, "containers": [{"name": "app"}]}
//! });
//! let pod = pod_templates(&manifest)[0].decode().unwrap();
//! let evaluation = evaluate_pod(&pod.metadata, &pod.spec, Level::Baseline, Version::Latest);
//! assert!(!evaluation.allowed);
//! assert_eq!(evaluation.failures[0].control_id, "hostNamespaces");
//! ```

mod checks;
mod level;
mod objects;
pub mod pod;
pub mod report;

pub use level::{Level, NEWEST_MINOR, Version};
pub use objects::{ManifestObject, Pod, PodRef, objects, pod_templates};
use pod::{PodMetadata, PodSpec};

/// Errors of this crate.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A level name other than `privileged`, `baseline` or `restricted`.
    #[error("invalid level {0:?}: expected privileged, baseline or restricted")]
    InvalidLevel(String),
    /// A version other than `latest` or `v1.N`.
    #[error("invalid version {0:?}: expected \"latest\" or \"v1.N\" such as \"v1.32\"")]
    InvalidVersion(String),
    /// A pod field whose value has the wrong type.
    #[error("invalid field {path}: {message}")]
    InvalidField { path: String, message: String },
}

/// The outcome of evaluating one pod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    /// Whether the pod passes every control of the level.
    pub allowed: bool,
    /// The controls the pod fails, in the admission controller's order:
    /// baseline controls first, each group sorted by id.
    pub failures: Vec<ControlFailure>,
}

/// One control that a pod fails.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ControlFailure {
    /// The upstream check id, for example `allowPrivilegeEscalation` or
    /// `capabilities_restricted`.
    pub control_id: &'static str,
    /// A short reason, for example `host namespaces`.
    pub reason: String,
    /// The offending containers, fields and values.
    pub detail: String,
}

/// Evaluates a pod (or pod template) against `level` at `version`.
///
/// At `restricted`, a restricted control that replaces a baseline one (for
/// example `restrictedVolumes` replacing `hostPathVolumes`) runs in its
/// place, so each problem is reported once.
pub fn evaluate_pod(
    metadata: &PodMetadata,
    spec: &PodSpec,
    level: Level,
    version: Version,
) -> Evaluation {
    let minor = version.effective_minor();
    let failures: Vec<ControlFailure> = checks::active_controls(level, minor)
        .into_iter()
        .filter_map(|control| {
            (control.check)(metadata, spec, minor).map(|violation| ControlFailure {
                control_id: control.id,
                reason: violation.reason,
                detail: violation.detail,
            })
        })
        .collect();
    Evaluation {
        allowed: failures.is_empty(),
        failures,
    }
}

/// Returns the ids of the controls that `level` enforces at `version`, in
/// report order.
pub fn control_ids(level: Level, version: Version) -> Vec<&'static str> {
    checks::active_controls(level, version.effective_minor())
        .into_iter()
        .map(|control| control.id)
        .collect()
}
