//! Version boundaries and object kinds, checked on upstream fixtures copied
//! into `testdata/` (see `testdata/SOURCE.md`). Variants are derived from
//! those files in code, so these tests run without the corpus.

use std::path::Path;

use bulwark_pss::{Evaluation, Level, Version, evaluate_pod, objects, pod_templates};
use serde_json::{Value, json};

fn fixture(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    yaml_serde::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn evaluate(document: &Value, level: Level, minor: u32) -> Evaluation {
    let pods = pod_templates(document);
    assert_eq!(pods.len(), 1, "expected one pod in {document}");
    let pod = pods[0].decode().unwrap();
    evaluate_pod(&pod.metadata, &pod.spec, level, Version::Minor(minor))
}

fn failed_ids(evaluation: &Evaluation) -> Vec<&'static str> {
    evaluation
        .failures
        .iter()
        .map(|failure| failure.control_id)
        .collect()
}

#[test]
fn windows_exemption_starts_at_v1_25() {
    let pod = fixture("restricted-v1.32-pass-base_windows.yaml");
    let before = evaluate(&pod, Level::Restricted, 24);
    assert_eq!(
        failed_ids(&before),
        [
            "allowPrivilegeEscalation",
            "capabilities_restricted",
            "seccompProfile_restricted"
        ]
    );
    assert!(evaluate(&pod, Level::Restricted, 25).allowed);
}

#[test]
fn tcp_buffer_sysctls_safe_from_v1_32() {
    let pod = fixture("baseline-v1.32-pass-sysctls1.yaml");
    let before = evaluate(&pod, Level::Baseline, 31);
    assert_eq!(failed_ids(&before), ["sysctls"]);
    assert_eq!(
        before.failures[0].detail,
        "net.ipv4.tcp_rmem, net.ipv4.tcp_wmem"
    );
    assert!(evaluate(&pod, Level::Baseline, 32).allowed);
}

#[test]
fn user_namespace_exempts_run_as_non_root() {
    let mut pod = fixture("restricted-v1.32-fail-runasnonroot1.yaml");
    pod["spec"]["hostUsers"] = json!(false);
    let before = evaluate(&pod, Level::Restricted, 34);
    assert_eq!(failed_ids(&before), ["runAsNonRoot"]);
    assert!(evaluate(&pod, Level::Restricted, 35).allowed);
    assert!(evaluate(&pod, Level::Restricted, 35).failures.is_empty());
}

#[test]
fn user_namespace_relaxes_proc_mount_for_baseline_only() {
    // The fixture already sets `hostUsers: false`.
    let pod = fixture("baseline-v1.32-fail-procmount0.yaml");
    assert_eq!(
        failed_ids(&evaluate(&pod, Level::Baseline, 34)),
        ["procMount"]
    );
    assert!(evaluate(&pod, Level::Baseline, 35).allowed);

    let restricted = evaluate(&pod, Level::Restricted, 35);
    assert!(failed_ids(&restricted).contains(&"procMount_restricted"));
    assert!(!failed_ids(&restricted).contains(&"procMount"));
}

#[test]
fn seccomp_annotations_checked_before_v1_19() {
    let pod = fixture("baseline-v1.18-fail-seccompprofile_baseline1.yaml");
    let before = evaluate(&pod, Level::Baseline, 18);
    assert_eq!(failed_ids(&before), ["seccompProfile_baseline"]);
    assert!(
        before.failures[0]
            .detail
            .contains("container.seccomp.security.alpha.kubernetes.io/container1"),
        "{}",
        before.failures[0].detail
    );
    // From v1.19 on only the seccompProfile fields count.
    assert!(evaluate(&pod, Level::Baseline, 19).allowed);
}

#[test]
fn probe_host_forbidden_from_v1_34() {
    let mut pod = fixture("restricted-v1.32-pass-base.yaml");
    pod["spec"]["containers"][0]["livenessProbe"] =
        json!({"httpGet": {"host": "10.0.0.1", "port": 80}});
    assert!(evaluate(&pod, Level::Restricted, 33).allowed);
    let after = evaluate(&pod, Level::Restricted, 34);
    assert_eq!(failed_ids(&after), ["hostProbesAndHostLifecycle"]);
    assert!(after.failures[0].detail.contains("\"10.0.0.1\""));
}

#[test]
fn latest_and_future_versions_use_newest_policy() {
    let mut pod = fixture("restricted-v1.32-pass-base.yaml");
    pod["spec"]["containers"][0]["lifecycle"] =
        json!({"preStop": {"tcpSocket": {"host": "example.com", "port": 1}}});
    let pods = pod_templates(&pod);
    let decoded = pods[0].decode().unwrap();
    for version in [Version::Latest, Version::Minor(99)] {
        let evaluation = evaluate_pod(&decoded.metadata, &decoded.spec, Level::Restricted, version);
        assert_eq!(failed_ids(&evaluation), ["hostProbesAndHostLifecycle"]);
    }
}

#[test]
fn privileged_level_allows_everything() {
    let pod = fixture("baseline-v1.32-fail-procmount0.yaml");
    assert!(evaluate(&pod, Level::Privileged, 32).allowed);
}

#[test]
fn workload_templates_match_pod_result() {
    let pod = fixture("restricted-v1.32-fail-runasnonroot1.yaml");
    let template = json!({"metadata": pod["metadata"], "spec": pod["spec"]});
    let workloads = [
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"template": template}}),
        json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "spec": {"template": template}}),
        json!({"apiVersion": "apps/v1", "kind": "DaemonSet", "spec": {"template": template}}),
        json!({"apiVersion": "apps/v1", "kind": "ReplicaSet", "spec": {"template": template}}),
        json!({"apiVersion": "v1", "kind": "ReplicationController", "spec": {"template": template}}),
        json!({"apiVersion": "v1", "kind": "PodTemplate", "template": template}),
        json!({"apiVersion": "batch/v1", "kind": "Job", "spec": {"template": template}}),
        json!({"apiVersion": "batch/v1", "kind": "CronJob",
               "spec": {"jobTemplate": {"spec": {"template": template}}}}),
    ];
    let expected = evaluate(&pod, Level::Restricted, 32);
    assert!(!expected.allowed);
    for workload in &workloads {
        assert_eq!(
            evaluate(workload, Level::Restricted, 32),
            expected,
            "{}",
            workload["kind"]
        );
    }
}

#[test]
fn non_pod_objects_carry_no_pod() {
    let config_map = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}});
    let found = objects(&config_map);
    assert_eq!(found.len(), 1);
    assert!(found[0].pod.is_none());
    assert_eq!(found[0].kind, "ConfigMap");
    assert!(objects(&Value::Null).is_empty());
}

#[test]
fn volume_without_source_defaults_to_empty_dir() {
    let mut pod = fixture("restricted-v1.32-pass-base.yaml");
    pod["spec"]["volumes"] = json!([{"name": "scratch"}, {"name": "odd", "unknownSource": {}}]);
    assert!(evaluate(&pod, Level::Restricted, 32).allowed);

    pod["spec"]["volumes"] = json!([{"name": "logs", "hostPath": {"path": "/var/log"}}]);
    let denied = evaluate(&pod, Level::Restricted, 32);
    assert_eq!(failed_ids(&denied), ["restrictedVolumes"]);
    assert!(denied.failures[0].detail.contains("\"hostPath\""));
    let baseline = evaluate(&pod, Level::Baseline, 32);
    assert_eq!(failed_ids(&baseline), ["hostPathVolumes"]);
}

#[test]
fn explicit_nulls_read_as_zero_values() {
    let mut pod = fixture("restricted-v1.32-pass-base.yaml");
    pod["spec"]["hostNetwork"] = Value::Null;
    pod["spec"]["volumes"] = Value::Null;
    pod["metadata"]["annotations"] = json!({"example.com/note": null});
    assert!(evaluate(&pod, Level::Restricted, 32).allowed);
}
