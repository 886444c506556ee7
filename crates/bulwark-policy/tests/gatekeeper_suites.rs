//! Compares our Kubernetes checks with the gator suites of the
//! gatekeeper-library pod-security-policy templates
//! (open-policy-agent/gatekeeper-library,
//! library/pod-security-policy/*/suite.yaml).
//!
//! Each suite test pairs a template with a constraint and lists cases: an
//! `object` file and the expected `violations` (yes, no or a count). A
//! constraint has parameters (allowed capabilities, port ranges, exempt
//! images and so on) while our checks apply one fixed policy, so a test is
//! compared only when its constraint's parameters match what the mapped
//! checks enforce. Our checks must fire exactly on the objects gatekeeper
//! reports.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use bulwark_iac::FileKind;
use serde_json::Value;

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus/config");

/// How one constraint is compared.
enum Mapping {
    /// Gatekeeper reports a violation exactly when one of these checks fires.
    Checks(&'static [&'static str]),
    /// Not compared, for the reason given.
    NotCompared(&'static str),
}

use Mapping::{Checks, NotCompared};

/// Constraint file (relative to library/pod-security-policy) -> mapping.
const CONSTRAINTS: &[(&str, Mapping)] = &[
    (
        "allow-privilege-escalation/samples/psp-allow-privilege-escalation-container/constraint.yaml",
        Checks(&["misconfig-k8s-allow-privilege-escalation"]),
    ),
    (
        "apparmor/samples/psp-apparmor/constraint.yaml",
        Checks(&["misconfig-k8s-apparmor-unconfined"]),
    ),
    (
        "capabilities/samples/psp-capabilities-baseline/constraint.yaml",
        Checks(&["misconfig-k8s-capabilities-added"]),
    ),
    (
        "capabilities/samples/psp-capabilities-restricted/constraint.yaml",
        Checks(&[
            "misconfig-k8s-capabilities-added",
            "misconfig-k8s-capabilities-no-drop-all",
        ]),
    ),
    (
        "flexvolume-drivers/samples/psp-flexvolume-drivers/constraint.yaml",
        NotCompared(
            "the constraint allows two named flexVolume drivers; misconfig-k8s-restricted-volume-types rejects every flexVolume",
        ),
    ),
    (
        "forbidden-sysctls/samples/psp-forbidden-sysctls/constraint.yaml",
        Checks(&["misconfig-k8s-unsafe-sysctls"]),
    ),
    (
        "forbidden-sysctls/samples/psp-forbidden-sysctls/constraint2.yaml",
        NotCompared("the constraint forbids every sysctl; we allow the safe set"),
    ),
    (
        "forbidden-sysctls/samples/psp-forbidden-sysctls/constraint3.yaml",
        NotCompared("the constraint forbids kernel.* and allows net.*; we allow the safe set"),
    ),
    (
        "forbidden-sysctls/samples/psp-forbidden-sysctls/constraint4.yaml",
        NotCompared("the constraint forbids kernel.* and allows none; we allow the safe set"),
    ),
    (
        "forbidden-sysctls/samples/psp-forbidden-sysctls/constraint5.yaml",
        NotCompared("the constraint forbids kernel.* only; we allow the safe set"),
    ),
    (
        "fsgroup/samples/psp-fsgroup/constraint.yaml",
        NotCompared("fsGroup ranges: we have no fsGroup range check"),
    ),
    (
        "fsgroup/samples/psp-fsgroup/constraint2.yaml",
        NotCompared("fsGroup ranges: we have no fsGroup range check"),
    ),
    (
        "fsgroup/samples/psp-fsgroup/constraint3.yaml",
        NotCompared("fsGroup ranges: we have no fsGroup range check"),
    ),
    (
        "host-filesystem/samples/psp-host-filesystem/constraint.yaml",
        NotCompared(
            "the constraint allows read-only hostPath volumes under /foo; misconfig-k8s-host-path rejects every hostPath",
        ),
    ),
    (
        "host-filesystem/samples/no-host-paths/constraint.yaml",
        Checks(&["misconfig-k8s-host-path"]),
    ),
    (
        "host-namespaces/samples/psp-host-namespace/constraint.yaml",
        Checks(&["misconfig-k8s-host-pid", "misconfig-k8s-host-ipc"]),
    ),
    (
        "host-network-ports/samples/psp-host-network-ports/constraint.yaml",
        NotCompared(
            "the constraint allows hostNetwork and hostPorts 80 to 9000; misconfig-k8s-host-network and misconfig-k8s-host-port reject both",
        ),
    ),
    (
        "host-network-ports/samples/block_host_network/constraint.yaml",
        Checks(&["misconfig-k8s-host-network"]),
    ),
    (
        "host-network-ports/samples/port_range_block_host_network/constraint.yaml",
        NotCompared(
            "the constraint allows hostPorts 80 to 9000; misconfig-k8s-host-port rejects every hostPort",
        ),
    ),
    (
        "host-probes-lifecycle/samples/psp-host-probes-lifecycle/constraint.yaml",
        NotCompared(
            "no Rego check covers probe and lifecycle hosts; only bulwark-pss implements the hostProbesAndHostLifecycle control",
        ),
    ),
    (
        "host-process/samples/psp-host-process/constraint.yaml",
        Checks(&["misconfig-k8s-windows-host-process"]),
    ),
    (
        "privileged-containers/samples/psp-privileged-container/constraint.yaml",
        Checks(&["misconfig-k8s-privileged"]),
    ),
    (
        "proc-mount/samples/psp-proc-mount/constraint.yaml",
        Checks(&["misconfig-k8s-proc-mount"]),
    ),
    (
        "read-only-root-filesystem/samples/psp-readonlyrootfilesystem/constraint.yaml",
        Checks(&["misconfig-k8s-read-only-root-fs"]),
    ),
    (
        "read-only-root-filesystem/samples/full_wildcard/constraint.yaml",
        NotCompared("the constraint exempts every image"),
    ),
    (
        "read-only-root-filesystem/samples/wildcard-prefix/constraint.yaml",
        NotCompared(
            "the suite's cases differ only in whether the image matches the exempt prefix safe-images.com/",
        ),
    ),
    (
        "seccomp/samples/psp-seccomp/constraint.yaml",
        Checks(&[
            "misconfig-k8s-seccomp-not-set",
            "misconfig-k8s-seccomp-unconfined",
        ]),
    ),
    (
        "seccompv2/samples/psp-seccomp-baseline/constraint.yaml",
        Checks(&["misconfig-k8s-seccomp-unconfined"]),
    ),
    (
        "seccompv2/samples/psp-seccomp-restricted/constraint.yaml",
        Checks(&[
            "misconfig-k8s-seccomp-not-set",
            "misconfig-k8s-seccomp-unconfined",
        ]),
    ),
    (
        "selinux/samples/psp-selinux-v2/constraint.yaml",
        Checks(&["misconfig-k8s-selinux-custom"]),
    ),
    (
        "users/samples/psp-pods-allowed-user-ranges/constraint.yaml",
        Checks(&["misconfig-k8s-run-as-non-root"]),
    ),
    (
        "volumes/samples/psp-volume-types/constraint.yaml",
        Checks(&["misconfig-k8s-restricted-volume-types"]),
    ),
];

/// Cases of compared constraints that are left out: (constraint, object,
/// reason). Paths are relative to library/pod-security-policy.
const CASES_NOT_COMPARED: &[(&str, &str, &str)] = &[
    (
        "allow-privilege-escalation/samples/psp-allow-privilege-escalation-container/constraint.yaml",
        "allow-privilege-escalation/samples/psp-allow-privilege-escalation-container/example_allowed_exempt.yaml",
        EXEMPT_IMAGE,
    ),
    (
        "privileged-containers/samples/psp-privileged-container/constraint.yaml",
        "privileged-containers/samples/psp-privileged-container/example_allowed_exempt.yaml",
        EXEMPT_IMAGE,
    ),
    (
        "proc-mount/samples/psp-proc-mount/constraint.yaml",
        "proc-mount/samples/psp-proc-mount/example_allowed_exempt_image.yaml",
        EXEMPT_IMAGE,
    ),
    (
        "read-only-root-filesystem/samples/psp-readonlyrootfilesystem/constraint.yaml",
        "read-only-root-filesystem/samples/psp-readonlyrootfilesystem/example_allowed_exempted.yaml",
        EXEMPT_IMAGE,
    ),
    (
        "seccomp/samples/psp-seccomp/constraint.yaml",
        "seccomp/samples/psp-seccomp/example_allowed_exempt_image.yaml",
        EXEMPT_IMAGE,
    ),
    (
        "seccompv2/samples/psp-seccomp-baseline/constraint.yaml",
        "seccompv2/samples/psp-seccomp-baseline/example_allowed_exempt_image.yaml",
        EXEMPT_IMAGE,
    ),
    (
        "seccompv2/samples/psp-seccomp-restricted/constraint.yaml",
        "seccompv2/samples/psp-seccomp-restricted/example_allowed_exempt_image.yaml",
        EXEMPT_IMAGE,
    ),
];

const EXEMPT_IMAGE: &str = "the constraint exempts the object's image; our checks have no image exemptions (use inline ignores)";

/// Compared cases where our checks disagree with gatekeeper: (constraint,
/// object, reason).
const DIFFERENCES: &[(&str, &str, &str)] = &[
    (
        "seccomp/samples/psp-seccomp/constraint.yaml",
        "seccomp/samples/psp-seccomp/example_disallowed_localhost.yaml",
        "the constraint allows only the Localhost profile profile.json; misconfig-k8s-seccomp-not-set accepts any Localhost profile",
    ),
    (
        "apparmor/samples/psp-apparmor/constraint.yaml",
        "apparmor/samples/psp-apparmor/example_allowed_override.yaml",
        "the pod-level AppArmor profile is Unconfined and the only container overrides it; gatekeeper checks the effective profile of each container, while the Pod Security admission (and bulwark policy pss) also rejects the pod-level value",
    ),
];

struct Suite {
    /// Directory of the suite, relative to library/pod-security-policy.
    dir: String,
    document: Value,
}

fn library_dir() -> Option<PathBuf> {
    let dir = Path::new(CORPUS).join("gatekeeper-library/library/pod-security-policy");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("skipping: corpus directory {} not found", dir.display());
        None
    }
}

fn read_yaml(path: &Path) -> Value {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    yaml_serde::from_str(&text).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

fn suites(root: &Path) -> Vec<Suite> {
    let mut suites = Vec::new();
    let mut dirs: Vec<_> = std::fs::read_dir(root)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.join("suite.yaml").exists())
        .collect();
    dirs.sort();
    for dir in dirs {
        suites.push(Suite {
            dir: dir.file_name().unwrap().to_str().unwrap().to_owned(),
            document: read_yaml(&dir.join("suite.yaml")),
        });
    }
    suites
}

/// Returns whether gatekeeper expects violations: `yes`, `no` or a count.
fn expects_violation(assertions: &Value) -> bool {
    let assertion = &assertions[0]["violations"];
    match assertion {
        Value::Bool(expected) => *expected,
        Value::String(text) if text == "yes" => true,
        Value::String(text) if text == "no" => false,
        Value::Number(count) => count.as_u64().unwrap() > 0,
        other => panic!("unexpected violations assertion {other:?}"),
    }
}

/// Returns the object a case submits, or `None` for an `UPDATE` admission
/// review, which the pod-security-policy templates never report.
fn case_object(path: &Path) -> Option<Value> {
    let document = read_yaml(path);
    if document["kind"] != "AdmissionReview" {
        return Some(document);
    }
    let request = &document["request"];
    if request["operation"] == "UPDATE" {
        return None;
    }
    Some(request["object"].clone())
}

/// Returns the mapped checks that fire on `object`.
fn fired_checks(object: &Value, display: &str, rule_ids: &[&str]) -> Vec<String> {
    let text = serde_json::to_string(object).unwrap();
    let file = common::parse(FileKind::Kubernetes, display, &text);
    let result = common::policies().evaluate(&file);
    assert!(result.errors.is_empty(), "{display}: {:?}", result.errors);
    let fired: BTreeSet<String> = result
        .findings
        .iter()
        .filter(|finding| rule_ids.contains(&finding.rule_id.as_str()))
        .map(|finding| finding.rule_id.clone())
        .collect();
    fired.into_iter().collect()
}

#[test]
fn gatekeeper_suites_match_kubernetes_checks() {
    let Some(root) = library_dir() else {
        return;
    };
    let mut constraints_seen = BTreeSet::new();
    let mut skipped_seen = BTreeSet::new();
    let mut differences_seen = BTreeSet::new();
    let mut unexpected = Vec::new();
    let mut unmapped = Vec::new();
    let (mut compared, mut agreed, mut updates, mut not_compared) = (0, 0, 0, 0);

    for suite in suites(&root) {
        for test in suite.document["tests"].as_array().unwrap() {
            let constraint = format!("{}/{}", suite.dir, test["constraint"].as_str().unwrap());
            let Some(index) = CONSTRAINTS.iter().position(|(path, _)| *path == constraint) else {
                unmapped.push(constraint);
                continue;
            };
            constraints_seen.insert(index);
            let rule_ids = match &CONSTRAINTS[index].1 {
                Checks(rule_ids) => *rule_ids,
                NotCompared(reason) => {
                    let cases = test["cases"].as_array().unwrap().len();
                    eprintln!("not compared: {constraint} ({cases} cases): {reason}");
                    not_compared += cases;
                    continue;
                }
            };
            for case in test["cases"].as_array().unwrap() {
                let object_path = format!("{}/{}", suite.dir, case["object"].as_str().unwrap());
                if let Some(skip) = CASES_NOT_COMPARED
                    .iter()
                    .position(|(c, o, _)| *c == constraint && *o == object_path)
                {
                    skipped_seen.insert(skip);
                    not_compared += 1;
                    continue;
                }
                let Some(object) = case_object(&root.join(&object_path)) else {
                    updates += 1;
                    continue;
                };
                let expected = expects_violation(&case["assertions"]);
                let fired = fired_checks(&object, &object_path, rule_ids);
                compared += 1;
                if fired.is_empty() != expected {
                    agreed += 1;
                    continue;
                }
                match DIFFERENCES
                    .iter()
                    .position(|(c, o, _)| *c == constraint && *o == object_path)
                {
                    Some(difference) => {
                        differences_seen.insert(difference);
                    }
                    None => unexpected.push(format!(
                        "(\"{constraint}\", \"{object_path}\", \"gatekeeper {}, ours {fired:?}\"),",
                        if expected {
                            "violation"
                        } else {
                            "no violation"
                        },
                    )),
                }
            }
        }
    }

    eprintln!(
        "gatekeeper: {compared} cases compared, {agreed} agree, {} listed differences; \
         {not_compared} not compared, {updates} UPDATE reviews left out",
        differences_seen.len()
    );
    assert!(
        unmapped.is_empty(),
        "constraints missing from CONSTRAINTS: {unmapped:?}"
    );
    let stale_constraints: Vec<_> = CONSTRAINTS
        .iter()
        .enumerate()
        .filter(|(index, _)| !constraints_seen.contains(index))
        .map(|(_, (path, _))| *path)
        .collect();
    assert!(
        stale_constraints.is_empty(),
        "constraints not in any suite: {stale_constraints:?}"
    );
    let stale_skips: Vec<_> = CASES_NOT_COMPARED
        .iter()
        .enumerate()
        .filter(|(index, _)| !skipped_seen.contains(index))
        .map(|(_, (c, o, _))| format!("{c} {o}"))
        .collect();
    assert!(
        stale_skips.is_empty(),
        "cases not in any suite: {stale_skips:?}"
    );
    let stale_differences: Vec<_> = DIFFERENCES
        .iter()
        .enumerate()
        .filter(|(index, _)| !differences_seen.contains(index))
        .map(|(_, (c, o, _))| format!("{c} {o}"))
        .collect();
    assert!(
        stale_differences.is_empty(),
        "listed differences no longer observed: {stale_differences:?}"
    );
    assert!(compared >= 50, "only {compared} cases compared");
    assert!(
        unexpected.is_empty(),
        "disagreements with gatekeeper:\n{}",
        unexpected.join("\n")
    );
}
