//! The Pod Security Standards controls and their behaviour per policy
//! version.
//!
//! Control ids, the fields each control reads, the allowed values and the
//! minor version each behaviour starts at follow the checks of
//! k8s.io/pod-security-admission (`policy/check_*.go`, commit 8f84a87c7f61).
//! Reasons and details are worded for this crate.

use std::collections::BTreeSet;

use crate::Level;
use crate::pod::{Container, PodMetadata, PodSpec, ProfileType, SeLinuxOptions};

/// A control that denied a pod: a short reason and the offending fields.
pub(crate) struct Violation {
    pub reason: String,
    pub detail: String,
}

type CheckFn = fn(&PodMetadata, &PodSpec, u32) -> Option<Violation>;

/// One Pod Security Standards control.
pub(crate) struct Control {
    /// Upstream check id, for example `allowPrivilegeEscalation`.
    pub id: &'static str,
    /// The lowest level that enforces the control.
    pub level: Level,
    /// First minor version (v1.N) that enforces the control.
    pub since: u32,
    /// The baseline control this restricted control replaces at the
    /// restricted level, from `since` on.
    pub replaces: Option<&'static str>,
    /// Runs the control for the given effective minor version.
    pub check: CheckFn,
}

/// Every control: baseline ones first, each group sorted by id in byte order,
/// which is the order the admission controller reports them in.
pub(crate) const CONTROLS: &[Control] = &[
    baseline("appArmorProfile", app_armor_profile),
    baseline("capabilities_baseline", capabilities_baseline),
    baseline("hostNamespaces", host_namespaces),
    baseline("hostPathVolumes", host_path_volumes),
    baseline("hostPorts", host_ports),
    Control {
        since: 34,
        ..baseline("hostProbesAndHostLifecycle", host_probes_and_lifecycle)
    },
    baseline("privileged", privileged),
    baseline("procMount", proc_mount_baseline),
    baseline("seLinuxOptions", se_linux_options),
    baseline("seccompProfile_baseline", seccomp_profile_baseline),
    baseline("sysctls", sysctls),
    baseline("windowsHostProcess", windows_host_process),
    restricted(
        "allowPrivilegeEscalation",
        8,
        None,
        allow_privilege_escalation,
    ),
    restricted(
        "capabilities_restricted",
        22,
        Some("capabilities_baseline"),
        capabilities_restricted,
    ),
    restricted(
        "procMount_restricted",
        35,
        Some("procMount"),
        proc_mount_restricted,
    ),
    restricted(
        "restrictedVolumes",
        0,
        Some("hostPathVolumes"),
        restricted_volumes,
    ),
    restricted("runAsNonRoot", 0, None, run_as_non_root),
    restricted("runAsUser", 23, None, run_as_user),
    restricted(
        "seccompProfile_restricted",
        19,
        Some("seccompProfile_baseline"),
        seccomp_profile_restricted,
    ),
];

const fn baseline(id: &'static str, check: CheckFn) -> Control {
    Control {
        id,
        level: Level::Baseline,
        since: 0,
        replaces: None,
        check,
    }
}

const fn restricted(
    id: &'static str,
    since: u32,
    replaces: Option<&'static str>,
    check: CheckFn,
) -> Control {
    Control {
        id,
        level: Level::Restricted,
        since,
        replaces,
        check,
    }
}

/// Returns the controls that `level` enforces at effective minor version
/// `minor`, in report order.
pub(crate) fn active_controls(level: Level, minor: u32) -> Vec<&'static Control> {
    if level == Level::Privileged {
        return Vec::new();
    }
    let enforced = |control: &Control| control.level <= level && control.since <= minor;
    let replaced: BTreeSet<&str> = CONTROLS
        .iter()
        .filter(|control| enforced(control))
        .filter_map(|control| control.replaces)
        .collect();
    CONTROLS
        .iter()
        .filter(|control| enforced(control) && !replaced.contains(control.id))
        .collect()
}

/// Formats `container "a"` or `containers "a", "b"`.
fn containers(names: &[&str]) -> String {
    let noun = if names.len() == 1 {
        "container"
    } else {
        "containers"
    };
    format!("{noun} {}", quote_list(names))
}

/// Formats `"a", "b"`.
fn quote_list<S: AsRef<str>>(items: &[S]) -> String {
    items
        .iter()
        .map(|item| format!("{:?}", item.as_ref()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn plural(count: usize, singular: &'static str, plural: &'static str) -> &'static str {
    if count == 1 { singular } else { plural }
}

fn violation(reason: impl Into<String>, detail: String) -> Option<Violation> {
    Some(Violation {
        reason: reason.into(),
        detail,
    })
}

/// Names of the containers for which `bad` holds, in visiting order.
fn bad_containers(spec: &PodSpec, bad: impl Fn(&Container) -> bool) -> Vec<&str> {
    spec.all_containers()
        .filter(|container| bad(container))
        .map(|container| container.name.as_str())
        .collect()
}

/// Joins `pod` (when the pod-level field is bad) and the bad containers into
/// the subject of a detail sentence.
fn setters(pod_is_bad: bool, bad_containers: &[&str]) -> String {
    let mut parts = Vec::new();
    if pod_is_bad {
        parts.push("pod".to_owned());
    }
    if !bad_containers.is_empty() {
        parts.push(containers(bad_containers));
    }
    parts.join(" and ")
}

// Baseline controls.

fn allowed_app_armor_type(profile: &ProfileType) -> bool {
    matches!(profile.type_.as_str(), "RuntimeDefault" | "Localhost")
}

/// AppArmor: the `appArmorProfile` fields may only select `RuntimeDefault` or
/// `Localhost`, and the beta annotations only `runtime/default`,
/// `localhost/*` or the empty string. Both forms are checked at every version.
fn app_armor_profile(metadata: &PodMetadata, spec: &PodSpec, _minor: u32) -> Option<Violation> {
    const ANNOTATION_PREFIX: &str = "container.apparmor.security.beta.kubernetes.io/";
    let mut bad_values = BTreeSet::new();
    let pod_profile = spec
        .security_context
        .as_ref()
        .and_then(|context| context.app_armor_profile.as_ref());
    let pod_is_bad = pod_profile.is_some_and(|profile| !allowed_app_armor_type(profile));
    if let Some(profile) = pod_profile.filter(|_| pod_is_bad) {
        bad_values.insert(profile.type_.clone());
    }
    let mut bad = Vec::new();
    for container in spec.all_containers() {
        if let Some(profile) = container
            .security_context
            .as_ref()
            .and_then(|context| context.app_armor_profile.as_ref())
            .filter(|profile| !allowed_app_armor_type(profile))
        {
            bad.push(container.name.as_str());
            bad_values.insert(profile.type_.clone());
        }
    }
    let mut values: Vec<String> = bad_values.into_iter().collect();
    let mut subject = setters(pod_is_bad, &bad);

    let bad_annotations: Vec<String> = metadata
        .annotations
        .iter()
        .filter(|(key, value)| {
            key.starts_with(ANNOTATION_PREFIX)
                && !(value.is_empty()
                    || value.as_str() == "runtime/default"
                    || value.starts_with("localhost/"))
        })
        .map(|(key, value)| format!("{key}={value:?}"))
        .collect();
    if !bad_annotations.is_empty() {
        let noun = plural(bad_annotations.len(), "annotation", "annotations");
        subject = if subject.is_empty() {
            noun.to_owned()
        } else {
            format!("{subject} and {noun}")
        };
        values.extend(bad_annotations);
    }

    if subject.is_empty() {
        return None;
    }
    violation(
        plural(
            values.len(),
            "forbidden AppArmor profile",
            "forbidden AppArmor profiles",
        ),
        format!(
            "{subject} must not select the AppArmor profile {}",
            quote_list(&values)
        ),
    )
}

/// Capabilities outside the container runtime's default set may not be added.
fn capabilities_baseline(_: &PodMetadata, spec: &PodSpec, _minor: u32) -> Option<Violation> {
    const DEFAULT_SET: &[&str] = &[
        "AUDIT_WRITE",
        "CHOWN",
        "DAC_OVERRIDE",
        "FOWNER",
        "FSETID",
        "KILL",
        "MKNOD",
        "NET_BIND_SERVICE",
        "SETFCAP",
        "SETGID",
        "SETPCAP",
        "SETUID",
        "SYS_CHROOT",
    ];
    let mut added = BTreeSet::new();
    let mut bad = Vec::new();
    for container in spec.all_containers() {
        let Some(capabilities) = container
            .security_context
            .as_ref()
            .and_then(|context| context.capabilities.as_ref())
        else {
            continue;
        };
        let mut container_is_bad = false;
        for capability in &capabilities.add {
            if !DEFAULT_SET.contains(&capability.as_str()) {
                added.insert(capability.as_str());
                container_is_bad = true;
            }
        }
        if container_is_bad {
            bad.push(container.name.as_str());
        }
    }
    if bad.is_empty() {
        return None;
    }
    let added: Vec<&str> = added.into_iter().collect();
    violation(
        "non-default capabilities",
        format!(
            "{} must not add {} in securityContext.capabilities.add",
            containers(&bad),
            quote_list(&added)
        ),
    )
}

fn host_namespaces(_: &PodMetadata, spec: &PodSpec, _minor: u32) -> Option<Violation> {
    let shared: Vec<&str> = [
        (spec.host_network, "hostNetwork=true"),
        (spec.host_pid, "hostPID=true"),
        (spec.host_ipc, "hostIPC=true"),
    ]
    .into_iter()
    .filter_map(|(set, field)| set.then_some(field))
    .collect();
    if shared.is_empty() {
        return None;
    }
    violation("host namespaces", shared.join(", "))
}

fn host_path_volumes(_: &PodMetadata, spec: &PodSpec, _minor: u32) -> Option<Violation> {
    let bad: Vec<&str> = spec
        .volumes
        .iter()
        .filter(|volume| volume.has_source("hostPath"))
        .map(|volume| volume.name.as_str())
        .collect();
    if bad.is_empty() {
        return None;
    }
    violation(
        "hostPath volumes",
        format!(
            "{} {}",
            plural(bad.len(), "volume", "volumes"),
            quote_list(&bad)
        ),
    )
}

// NOTE: the API server defaults `hostPort` to `containerPort` for pods with
// `hostNetwork: true` (pod templates only on some versions). That defaulting
// is not applied here, so such a pod fails `hostNamespaces` alone instead of
// `hostNamespaces` and `hostPorts`. The decision is the same.
fn host_ports(_: &PodMetadata, spec: &PodSpec, _minor: u32) -> Option<Violation> {
    let mut ports = BTreeSet::new();
    let bad = bad_containers(spec, |container| {
        container.ports.iter().any(|port| port.host_port != 0)
    });
    for container in spec.all_containers() {
        ports.extend(
            container
                .ports
                .iter()
                .map(|port| port.host_port)
                .filter(|&port| port != 0),
        );
    }
    if bad.is_empty() {
        return None;
    }
    let ports: Vec<String> = ports.iter().map(i32::to_string).collect();
    violation(
        "hostPort",
        format!(
            "{} must not set {} {}",
            containers(&bad),
            plural(ports.len(), "hostPort", "hostPorts"),
            ports.join(", ")
        ),
    )
}

/// Probes and lifecycle handlers may not target another host (since v1.34).
fn host_probes_and_lifecycle(_: &PodMetadata, spec: &PodSpec, _minor: u32) -> Option<Violation> {
    let mut bad = BTreeSet::new();
    let mut hosts = BTreeSet::new();
    for container in spec.all_containers() {
        let lifecycle = container.lifecycle.as_ref();
        let handlers = [
            container.liveness_probe.as_ref(),
            container.readiness_probe.as_ref(),
            container.startup_probe.as_ref(),
            lifecycle.and_then(|lifecycle| lifecycle.post_start.as_ref()),
            lifecycle.and_then(|lifecycle| lifecycle.pre_stop.as_ref()),
        ];
        for host in handlers
            .into_iter()
            .flatten()
            .flat_map(|handler| handler.hosts())
        {
            bad.insert(container.name.as_str());
            hosts.insert(host);
        }
    }
    if bad.is_empty() {
        return None;
    }
    let bad: Vec<&str> = bad.into_iter().collect();
    let hosts: Vec<&str> = hosts.into_iter().collect();
    violation(
        "probe or lifecycle host",
        format!(
            "{} must not set the probe or lifecycle {} {}",
            containers(&bad),
            plural(hosts.len(), "host", "hosts"),
            quote_list(&hosts)
        ),
    )
}

fn privileged(_: &PodMetadata, spec: &PodSpec, _minor: u32) -> Option<Violation> {
    let bad = bad_containers(spec, |container| {
        container
            .security_context
            .as_ref()
            .and_then(|context| context.privileged)
            == Some(true)
    });
    if bad.is_empty() {
        return None;
    }
    violation(
        "privileged",
        format!(
            "{} must not set securityContext.privileged=true",
            containers(&bad)
        ),
    )
}

/// `procMount` must be unset or `Default`. From v1.35 on, baseline allows any
/// value in a user namespace (`hostUsers: false`).
fn proc_mount_baseline(metadata: &PodMetadata, spec: &PodSpec, minor: u32) -> Option<Violation> {
    if minor >= 35 && spec.in_user_namespace() {
        return None;
    }
    proc_mount_restricted(metadata, spec, minor)
}

fn proc_mount_restricted(_: &PodMetadata, spec: &PodSpec, _minor: u32) -> Option<Violation> {
    let proc_mount = |container: &Container| {
        container
            .security_context
            .as_ref()
            .and_then(|context| context.proc_mount.clone())
            .filter(|value| value != "Default")
    };
    let bad = bad_containers(spec, |container| proc_mount(container).is_some());
    if bad.is_empty() {
        return None;
    }
    let values: BTreeSet<String> = spec.all_containers().filter_map(proc_mount).collect();
    let values: Vec<String> = values.into_iter().collect();
    violation(
        "procMount",
        format!(
            "{} must not set securityContext.procMount to {}",
            containers(&bad),
            quote_list(&values)
        ),
    )
}

/// SELinux: `type` must be empty or a container type, `user` and `role` must
/// be empty. `container_engine_t` is allowed since v1.31.
fn se_linux_options(_: &PodMetadata, spec: &PodSpec, minor: u32) -> Option<Violation> {
    let allowed_type = |type_: &str| {
        matches!(
            type_,
            "" | "container_t" | "container_init_t" | "container_kvm_t"
        ) || (minor >= 31 && type_ == "container_engine_t")
    };
    let mut bad_types = BTreeSet::new();
    let mut user_set = false;
    let mut role_set = false;
    let mut judge = |options: &SeLinuxOptions| {
        let mut valid = true;
        if !allowed_type(&options.type_) {
            bad_types.insert(options.type_.clone());
            valid = false;
        }
        if !options.user.is_empty() {
            user_set = true;
            valid = false;
        }
        if !options.role.is_empty() {
            role_set = true;
            valid = false;
        }
        valid
    };

    let pod_is_bad = spec
        .security_context
        .as_ref()
        .and_then(|context| context.se_linux_options.as_ref())
        .is_some_and(|options| !judge(options));
    let mut bad = Vec::new();
    for container in spec.all_containers() {
        if let Some(options) = container
            .security_context
            .as_ref()
            .and_then(|context| context.se_linux_options.as_ref())
            && !judge(options)
        {
            bad.push(container.name.as_str());
        }
    }
    if !pod_is_bad && bad.is_empty() {
        return None;
    }

    let mut problems = Vec::new();
    if !bad_types.is_empty() {
        let types: Vec<String> = bad_types.into_iter().collect();
        problems.push(format!(
            "{} {}",
            plural(types.len(), "type", "types"),
            quote_list(&types)
        ));
    }
    if user_set {
        problems.push("user must be empty".to_owned());
    }
    if role_set {
        problems.push("role must be empty".to_owned());
    }
    violation(
        "seLinuxOptions",
        format!(
            "{} set forbidden securityContext.seLinuxOptions: {}",
            setters(pod_is_bad, &bad),
            problems.join("; ")
        ),
    )
}

fn valid_seccomp_type(profile: &ProfileType) -> bool {
    matches!(profile.type_.as_str(), "RuntimeDefault" | "Localhost")
}

/// Seccomp profiles, when set, must be `RuntimeDefault` or `Localhost`.
/// Before v1.19 the control reads the alpha annotations instead, which must
/// be `runtime/default`, `docker/default` or `localhost/*`.
fn seccomp_profile_baseline(
    metadata: &PodMetadata,
    spec: &PodSpec,
    minor: u32,
) -> Option<Violation> {
    if minor < 19 {
        return seccomp_annotations(metadata, spec);
    }
    let (pod_is_bad, bad, values, _) = seccomp_fields(spec);
    if !pod_is_bad && bad.is_empty() {
        return None;
    }
    violation(
        "seccompProfile",
        format!(
            "{} must not set securityContext.seccompProfile.type to {}",
            setters(pod_is_bad, &bad),
            quote_list(&values)
        ),
    )
}

fn seccomp_annotations(metadata: &PodMetadata, spec: &PodSpec) -> Option<Violation> {
    const POD_KEY: &str = "seccomp.security.alpha.kubernetes.io/pod";
    const CONTAINER_PREFIX: &str = "container.seccomp.security.alpha.kubernetes.io/";
    let valid = |value: &str| {
        value == "runtime/default" || value == "docker/default" || value.starts_with("localhost/")
    };
    let container_keys = spec
        .all_containers()
        .map(|container| format!("{CONTAINER_PREFIX}{}", container.name));
    let mut forbidden = BTreeSet::new();
    for key in std::iter::once(POD_KEY.to_owned()).chain(container_keys) {
        if let Some(value) = metadata.annotations.get(&key)
            && !valid(value)
        {
            forbidden.insert(format!("{key}={value:?}"));
        }
    }
    if forbidden.is_empty() {
        return None;
    }
    let forbidden: Vec<String> = forbidden.into_iter().collect();
    violation(
        "seccompProfile",
        format!(
            "forbidden {} {}",
            plural(forbidden.len(), "annotation", "annotations"),
            forbidden.join(", ")
        ),
    )
}

/// Reads the `seccompProfile` fields: whether the pod-level profile is
/// invalid, the containers that set an invalid one, the invalid values, and
/// the containers that set none.
fn seccomp_fields(spec: &PodSpec) -> (bool, Vec<&str>, Vec<String>, Vec<&str>) {
    let pod_profile = spec
        .security_context
        .as_ref()
        .and_then(|context| context.seccomp_profile.as_ref());
    let pod_is_bad = pod_profile.is_some_and(|profile| !valid_seccomp_type(profile));
    let pod_is_valid = pod_profile.is_some_and(valid_seccomp_type);
    let mut values = BTreeSet::new();
    if let Some(profile) = pod_profile.filter(|_| pod_is_bad) {
        values.insert(profile.type_.clone());
    }
    let mut explicitly_bad = Vec::new();
    let mut unset = Vec::new();
    for container in spec.all_containers() {
        match container
            .security_context
            .as_ref()
            .and_then(|context| context.seccomp_profile.as_ref())
        {
            Some(profile) if !valid_seccomp_type(profile) => {
                explicitly_bad.push(container.name.as_str());
                values.insert(profile.type_.clone());
            }
            Some(_) => {}
            None if !pod_is_valid => unset.push(container.name.as_str()),
            None => {}
        }
    }
    (
        pod_is_bad,
        explicitly_bad,
        values.into_iter().collect(),
        unset,
    )
}

/// Allows only sysctls that are namespaced and isolated per pod. The set
/// grows with the version.
fn sysctls(_: &PodMetadata, spec: &PodSpec, minor: u32) -> Option<Violation> {
    const SAFE: &[(u32, &str)] = &[
        (0, "kernel.shm_rmid_forced"),
        (0, "net.ipv4.ip_local_port_range"),
        (0, "net.ipv4.tcp_syncookies"),
        (0, "net.ipv4.ping_group_range"),
        (0, "net.ipv4.ip_unprivileged_port_start"),
        (27, "net.ipv4.ip_local_reserved_ports"),
        (29, "net.ipv4.tcp_keepalive_time"),
        (29, "net.ipv4.tcp_fin_timeout"),
        (29, "net.ipv4.tcp_keepalive_intvl"),
        (29, "net.ipv4.tcp_keepalive_probes"),
        (32, "net.ipv4.tcp_rmem"),
        (32, "net.ipv4.tcp_wmem"),
        (37, "net.ipv4.tcp_slow_start_after_idle"),
        (37, "net.ipv4.tcp_notsent_lowat"),
    ];
    let safe = |name: &str| {
        SAFE.iter()
            .any(|&(since, safe_name)| since <= minor && safe_name == name)
    };
    let forbidden: Vec<&str> = spec
        .security_context
        .iter()
        .flat_map(|context| &context.sysctls)
        .map(|sysctl| sysctl.name.as_str())
        .filter(|name| !safe(name))
        .collect();
    if forbidden.is_empty() {
        return None;
    }
    violation("forbidden sysctls", forbidden.join(", "))
}

fn windows_host_process(_: &PodMetadata, spec: &PodSpec, _minor: u32) -> Option<Violation> {
    let pod_is_bad = spec
        .security_context
        .as_ref()
        .and_then(|context| context.windows_options.as_ref())
        .and_then(|options| options.host_process)
        == Some(true);
    let bad = bad_containers(spec, |container| {
        container
            .security_context
            .as_ref()
            .and_then(|context| context.windows_options.as_ref())
            .and_then(|options| options.host_process)
            == Some(true)
    });
    if !pod_is_bad && bad.is_empty() {
        return None;
    }
    violation(
        "hostProcess",
        format!(
            "{} must not set securityContext.windowsOptions.hostProcess=true",
            setters(pod_is_bad, &bad)
        ),
    )
}

// Restricted controls.

/// Windows pods (`spec.os.name: windows`) are exempt from some restricted
/// controls since v1.25, because the API rejects those Linux-only fields
/// for them.
fn windows_exempt(spec: &PodSpec, minor: u32) -> bool {
    minor >= 25 && spec.is_windows()
}

fn allow_privilege_escalation(_: &PodMetadata, spec: &PodSpec, minor: u32) -> Option<Violation> {
    if windows_exempt(spec, minor) {
        return None;
    }
    let bad = bad_containers(spec, |container| {
        container
            .security_context
            .as_ref()
            .and_then(|context| context.allow_privilege_escalation)
            != Some(false)
    });
    if bad.is_empty() {
        return None;
    }
    violation(
        "allowPrivilegeEscalation is not false",
        format!(
            "{} must set securityContext.allowPrivilegeEscalation=false",
            containers(&bad)
        ),
    )
}

/// Containers must drop `ALL` and may add only `NET_BIND_SERVICE`.
fn capabilities_restricted(_: &PodMetadata, spec: &PodSpec, minor: u32) -> Option<Violation> {
    if windows_exempt(spec, minor) {
        return None;
    }
    let mut missing_drop_all = Vec::new();
    let mut adding = Vec::new();
    let mut added = BTreeSet::new();
    for container in spec.all_containers() {
        let Some(capabilities) = container
            .security_context
            .as_ref()
            .and_then(|context| context.capabilities.as_ref())
        else {
            missing_drop_all.push(container.name.as_str());
            continue;
        };
        if !capabilities
            .drop
            .iter()
            .any(|capability| capability == "ALL")
        {
            missing_drop_all.push(container.name.as_str());
        }
        let forbidden: Vec<&str> = capabilities
            .add
            .iter()
            .map(String::as_str)
            .filter(|&capability| capability != "NET_BIND_SERVICE")
            .collect();
        if !forbidden.is_empty() {
            adding.push(container.name.as_str());
            added.extend(forbidden);
        }
    }
    let mut problems = Vec::new();
    if !missing_drop_all.is_empty() {
        problems.push(format!(
            r#"{} must set securityContext.capabilities.drop=["ALL"]"#,
            containers(&missing_drop_all)
        ));
    }
    if !adding.is_empty() {
        let added: Vec<&str> = added.into_iter().collect();
        problems.push(format!(
            "{} must not add {} in securityContext.capabilities.add",
            containers(&adding),
            quote_list(&added)
        ));
    }
    if problems.is_empty() {
        return None;
    }
    violation("unrestricted capabilities", problems.join("; "))
}

/// Allows only the volume sources configMap, csi, downwardAPI, emptyDir,
/// ephemeral, image, persistentVolumeClaim, projected and secret.
fn restricted_volumes(_: &PodMetadata, spec: &PodSpec, _minor: u32) -> Option<Violation> {
    const ALLOWED: &[&str] = &[
        "configMap",
        "csi",
        "downwardAPI",
        "emptyDir",
        "ephemeral",
        "image",
        "persistentVolumeClaim",
        "projected",
        "secret",
    ];
    // Listed in the order the upstream check tests them, which decides which
    // type is reported for a volume that sets several sources.
    const RESTRICTED: &[&str] = &[
        "hostPath",
        "gcePersistentDisk",
        "awsElasticBlockStore",
        "gitRepo",
        "nfs",
        "iscsi",
        "glusterfs",
        "rbd",
        "flexVolume",
        "cinder",
        "cephfs",
        "flocker",
        "fc",
        "azureFile",
        "vsphereVolume",
        "quobyte",
        "azureDisk",
        "photonPersistentDisk",
        "portworxVolume",
        "scaleIO",
        "storageos",
    ];
    let mut bad = Vec::new();
    let mut types = BTreeSet::new();
    for volume in &spec.volumes {
        if ALLOWED.iter().any(|source| volume.has_source(source)) {
            continue;
        }
        bad.push(volume.name.as_str());
        let source = RESTRICTED
            .iter()
            .find(|source| volume.has_source(source))
            .copied()
            .unwrap_or("unknown");
        types.insert(source);
    }
    if bad.is_empty() {
        return None;
    }
    let types: Vec<&str> = types.into_iter().collect();
    violation(
        "restricted volume types",
        format!(
            "{} {} {} restricted volume {} {}",
            plural(bad.len(), "volume", "volumes"),
            quote_list(&bad),
            plural(bad.len(), "uses", "use"),
            plural(types.len(), "type", "types"),
            quote_list(&types)
        ),
    )
}

/// `runAsNonRoot` must be true on the pod or on every container. From v1.35
/// on, pods in a user namespace (`hostUsers: false`) are exempt.
fn run_as_non_root(_: &PodMetadata, spec: &PodSpec, minor: u32) -> Option<Violation> {
    if minor >= 35 && spec.in_user_namespace() {
        return None;
    }
    let pod_value = spec
        .security_context
        .as_ref()
        .and_then(|context| context.run_as_non_root);
    let pod_is_bad = pod_value == Some(false);
    let mut explicitly_bad = Vec::new();
    let mut unset = Vec::new();
    for container in spec.all_containers() {
        match container
            .security_context
            .as_ref()
            .and_then(|context| context.run_as_non_root)
        {
            Some(false) => explicitly_bad.push(container.name.as_str()),
            Some(true) => {}
            None if pod_value != Some(true) => unset.push(container.name.as_str()),
            None => {}
        }
    }
    if pod_is_bad || !explicitly_bad.is_empty() {
        return violation(
            "runAsNonRoot is not true",
            format!(
                "{} must not set securityContext.runAsNonRoot=false",
                setters(pod_is_bad, &explicitly_bad)
            ),
        );
    }
    if !unset.is_empty() {
        return violation(
            "runAsNonRoot is not true",
            format!(
                "pod or {} must set securityContext.runAsNonRoot=true",
                containers(&unset)
            ),
        );
    }
    None
}

/// `runAsUser` may not be 0 (since v1.23). From v1.35 on, pods in a user
/// namespace are exempt.
fn run_as_user(_: &PodMetadata, spec: &PodSpec, minor: u32) -> Option<Violation> {
    if minor >= 35 && spec.in_user_namespace() {
        return None;
    }
    let pod_is_bad = spec
        .security_context
        .as_ref()
        .and_then(|context| context.run_as_user)
        == Some(0);
    let bad = bad_containers(spec, |container| {
        container
            .security_context
            .as_ref()
            .and_then(|context| context.run_as_user)
            == Some(0)
    });
    if !pod_is_bad && bad.is_empty() {
        return None;
    }
    violation(
        "runAsUser=0",
        format!("{} must not set runAsUser=0", setters(pod_is_bad, &bad)),
    )
}

/// Seccomp must be `RuntimeDefault` or `Localhost`, set on the pod or on
/// every container (since v1.19).
fn seccomp_profile_restricted(_: &PodMetadata, spec: &PodSpec, minor: u32) -> Option<Violation> {
    if windows_exempt(spec, minor) {
        return None;
    }
    let (pod_is_bad, bad, values, unset) = seccomp_fields(spec);
    if pod_is_bad || !bad.is_empty() {
        return violation(
            "seccompProfile",
            format!(
                "{} must not set securityContext.seccompProfile.type to {}",
                setters(pod_is_bad, &bad),
                quote_list(&values)
            ),
        );
    }
    if !unset.is_empty() {
        return violation(
            "seccompProfile",
            format!(
                r#"pod or {} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost""#,
                containers(&unset)
            ),
        );
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(level: Level, minor: u32) -> Vec<&'static str> {
        active_controls(level, minor)
            .iter()
            .map(|control| control.id)
            .collect()
    }

    #[test]
    fn privileged_level_has_no_controls() {
        assert!(ids(Level::Privileged, 37).is_empty());
    }

    #[test]
    fn restricted_replaces_baseline_controls() {
        let v1_18 = ids(Level::Restricted, 18);
        assert!(v1_18.contains(&"seccompProfile_baseline"));
        assert!(v1_18.contains(&"capabilities_baseline"));
        assert!(!v1_18.contains(&"hostPathVolumes"));

        let v1_35 = ids(Level::Restricted, 35);
        for replaced in [
            "seccompProfile_baseline",
            "capabilities_baseline",
            "hostPathVolumes",
            "procMount",
        ] {
            assert!(!v1_35.contains(&replaced), "{replaced} still active");
        }
        assert!(v1_35.contains(&"procMount_restricted"));
    }

    #[test]
    fn baseline_ignores_restricted_controls() {
        let baseline = ids(Level::Baseline, 37);
        assert_eq!(baseline.len(), 12);
        assert!(baseline.contains(&"hostPathVolumes"));
        assert!(!baseline.contains(&"runAsNonRoot"));
    }

    #[test]
    fn controls_are_in_report_order() {
        for level in [Level::Baseline, Level::Restricted] {
            let group: Vec<&str> = CONTROLS
                .iter()
                .filter(|control| control.level == level)
                .map(|control| control.id)
                .collect();
            let mut sorted = group.clone();
            sorted.sort_unstable();
            assert_eq!(group, sorted);
        }
    }
}
