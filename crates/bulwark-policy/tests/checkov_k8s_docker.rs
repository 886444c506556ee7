//! Compares our Dockerfile and Kubernetes checks with Checkov's expected
//! results (checkov/expected/{dockerfile,kubernetes}.json, derived from
//! bridgecrewio/checkov's unit tests) on Checkov's own fixtures.
//!
//! Where the expected results name resources, each is compared: a failing
//! resource must get a finding of the mapped check and a passing one must
//! not. Most Kubernetes tests give counts only, so their fixtures are
//! judged by file name instead: a `*FAILED*` file must get a finding and a
//! `*PASSED*` file must not. Files named `UNKNOWN`, or both `PASSED` and
//! `FAILED`, are not compared.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use bulwark_iac::FileKind;
use serde_json::Value;

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus/config");

/// Checkov Dockerfile check id -> our rule id.
const DOCKERFILE: &[(&str, &str)] = &[
    ("CKV_DOCKER_1", "misconfig-dockerfile-expose-ssh"),
    ("CKV_DOCKER_2", "misconfig-dockerfile-no-healthcheck"),
    ("CKV_DOCKER_3", "misconfig-dockerfile-root-user"),
    ("CKV_DOCKER_4", "misconfig-dockerfile-add-instead-of-copy"),
    ("CKV_DOCKER_5", "misconfig-dockerfile-update-alone"),
    ("CKV_DOCKER_6", "misconfig-dockerfile-maintainer"),
    ("CKV_DOCKER_7", "misconfig-dockerfile-latest-tag"),
    ("CKV_DOCKER_8", "misconfig-dockerfile-root-user"),
    ("CKV_DOCKER_10", "misconfig-dockerfile-relative-workdir"),
    ("CKV_DOCKER_11", "misconfig-dockerfile-duplicate-stage-name"),
];

/// Checkov Kubernetes check id and fixture directory -> our rule ids (a
/// resource fails when any of them fires).
const KUBERNETES: &[(&str, &str, &[&str])] = &[
    (
        "CKV_K8S_10",
        "example_Requests_Limits",
        &["misconfig-k8s-cpu-request"],
    ),
    (
        "CKV_K8S_11",
        "example_Requests_Limits",
        &["misconfig-k8s-cpu-limit"],
    ),
    (
        "CKV_K8S_12",
        "example_Requests_Limits",
        &["misconfig-k8s-memory-request"],
    ),
    (
        "CKV_K8S_13",
        "example_Requests_Limits",
        &["misconfig-k8s-memory-limit"],
    ),
    (
        "CKV_K8S_14",
        "example_ImageTagFixed",
        &["misconfig-k8s-image-latest"],
    ),
    (
        "CKV_K8S_15",
        "example_ImagePullPolicy",
        &["misconfig-k8s-image-pull-policy"],
    ),
    (
        "CKV_K8S_16",
        "example_PrivilegedContainers",
        &["misconfig-k8s-privileged"],
    ),
    (
        "CKV_K8S_17",
        "example_ShareHost",
        &["misconfig-k8s-host-pid"],
    ),
    (
        "CKV_K8S_18",
        "example_ShareHost",
        &["misconfig-k8s-host-ipc"],
    ),
    (
        "CKV_K8S_19",
        "example_ShareHost",
        &["misconfig-k8s-host-network"],
    ),
    (
        "CKV_K8S_20",
        "example_AllowPrivilegeEscalation",
        &["misconfig-k8s-allow-privilege-escalation"],
    ),
    (
        "CKV_K8S_21",
        "example_DefaultNamespace",
        &["misconfig-k8s-default-namespace"],
    ),
    (
        "CKV_K8S_22",
        "example_ReadOnlyFilesystem",
        &["misconfig-k8s-read-only-root-fs"],
    ),
    (
        "CKV_K8S_23",
        "example_RootContainers",
        &["misconfig-k8s-run-as-non-root"],
    ),
    (
        "CKV_K8S_25",
        "example_AllowedCapabilities",
        &["misconfig-k8s-capabilities-added"],
    ),
    (
        "CKV_K8S_26",
        "example_HostPort",
        &["misconfig-k8s-host-port"],
    ),
    (
        "CKV_K8S_27",
        "example_DockerSocketVolume",
        &["misconfig-k8s-docker-socket"],
    ),
    (
        "CKV_K8S_28",
        "example_DropCapabilities",
        &["misconfig-k8s-net-raw"],
    ),
    (
        "CKV_K8S_31",
        "example_Seccomp",
        &["misconfig-k8s-seccomp-not-set"],
    ),
    (
        "CKV_K8S_37",
        "example_DropCapabilities",
        &["misconfig-k8s-capabilities-no-drop-all"],
    ),
    (
        "CKV_K8S_38",
        "example_ServiceAccountTokens",
        &["misconfig-k8s-automount-token"],
    ),
    (
        "CKV_K8S_39",
        "example_AllowedCapabilitiesSysAdmin",
        &["misconfig-k8s-sys-admin"],
    ),
    (
        "CKV_K8S_40",
        "example_RootContainersHighUID",
        &["misconfig-k8s-low-uid"],
    ),
    (
        "CKV_K8S_49",
        "example_WildcardRoles",
        &[
            "misconfig-k8s-rbac-wildcard-verbs",
            "misconfig-k8s-rbac-wildcard-resources",
        ],
    ),
];

/// Verdicts where we deliberately disagree with Checkov: (check id,
/// resource or fixture file, reason).
const KNOWN_DIFFERENCES: &[(&str, &str, &str)] = &[
    (
        "CKV_DOCKER_4",
        "example_AddExists/failure/Dockerfile",
        "the ADD fetches a URL; misconfig-dockerfile-add-instead-of-copy reports only ADD of local files, which COPY can replace",
    ),
    (
        "CKV_K8S_20",
        "example_AllowPrivilegeEscalation/oc-deploymentConfig-FAILED.yml",
        "OpenShift DeploymentConfig is not one of the workload kinds our checks read",
    ),
    (
        "CKV_K8S_21",
        "example_DefaultNamespace/nginx-statefulset-FAILED.yaml",
        "the objects set no namespace; misconfig-k8s-default-namespace reports only an explicit namespace: default, because kubectl applies the others to the namespace it targets",
    ),
    (
        "CKV_K8S_23",
        "example_RootContainers/rootContainersFAILED-malformed-spec.yaml",
        "`spec` is a list instead of a mapping, so our checks find no containers",
    ),
    (
        "CKV_K8S_37",
        "example_DropCapabilities/pod-drop-NET_RAW-capabilities-PASSED.yaml",
        "the container drops only NET_RAW; misconfig-k8s-capabilities-no-drop-all follows the restricted Pod Security Standard, which requires dropping ALL",
    ),
    (
        "CKV_K8S_39",
        "example_AllowedCapabilitiesSysAdmin/pod-FAILED2.yaml",
        "the pod's container list is null, so no container adds SYS_ADMIN; Checkov fails the pod because it cannot find the capabilities at all",
    ),
    (
        "CKV_K8S_40",
        "example_RootContainersHighUID/rootContainersHighUIDPASSED.yaml",
        "pod1 runs as UID 10000; Checkov accepts UIDs from 10000 on, while misconfig-k8s-low-uid (like trivy KSV-0020) wants a UID above 10000",
    ),
    (
        "CKV_K8S_49",
        "ClusterRole/test/test-should-fail-3",
        "the rule's only wildcard is in apiGroups; our RBAC checks report wildcard verbs and resources",
    ),
];

/// Fixtures that our parsers reject, or where evaluation fails, so their
/// verdicts are not compared: (file kind, fixture file, reason).
const UNPARSABLE: &[(FileKind, &str, &str)] = &[
    (
        FileKind::Dockerfile,
        "example_UpdateNotAlone/failure/Dockerfile",
        "the file ends with a stray `~` line, which is not a Dockerfile instruction (docker build rejects it too)",
    ),
    (
        FileKind::Kubernetes,
        "example_ImageTagFixed/kafka-ImageWithRepo-PASSED.yaml",
        QUOTED_SCALAR_INDENT,
    ),
    (
        FileKind::Kubernetes,
        "example_ImagePullPolicy/kafka-PullPolicyAlways-PASSED.yaml",
        QUOTED_SCALAR_INDENT,
    ),
];

const QUOTED_SCALAR_INDENT: &str = "a double-quoted scalar continues on lines indented less than its sequence entry, which YAML 1.2 does not allow";

/// Outcome of comparing one Checkov verdict.
#[derive(Default)]
struct Tally {
    compared: usize,
    agreed: usize,
    known: BTreeSet<usize>,
    listed: usize,
    unexpected: Vec<String>,
    unparsable: BTreeSet<usize>,
}

impl Tally {
    /// Returns the findings of `rule_ids` in one file, or `None` after
    /// noting a listed parse failure.
    fn flagged(
        &mut self,
        path: &Path,
        display: &str,
        kind: FileKind,
        rule_ids: &[&str],
    ) -> Option<BTreeSet<String>> {
        match flagged(path, display, kind, rule_ids) {
            Ok(found) => Some(found),
            Err(err) => {
                let index = UNPARSABLE
                    .iter()
                    .position(|(_, file, _)| *file == display)
                    .unwrap_or_else(|| panic!("{display}: {err}"));
                self.unparsable.insert(index);
                None
            }
        }
    }

    fn record(&mut self, check_id: &str, subject: &str, checkov_fails: bool, fired: bool) {
        self.compared += 1;
        if checkov_fails == fired {
            self.agreed += 1;
            return;
        }
        match KNOWN_DIFFERENCES
            .iter()
            .position(|(id, s, _)| *id == check_id && *s == subject)
        {
            Some(index) => {
                self.known.insert(index);
                self.listed += 1;
            }
            None => self.unexpected.push(format!(
                "(\"{check_id}\", \"{subject}\", \"Checkov {}, ours {}\"),",
                if checkov_fails { "fails" } else { "passes" },
                if fired { "fires" } else { "silent" },
            )),
        }
    }
}

fn checkov_dir() -> Option<PathBuf> {
    let dir = Path::new(CORPUS).join("checkov");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("skipping: corpus directory {} not found", dir.display());
        None
    }
}

fn records(root: &Path, name: &str) -> Vec<Value> {
    let path = root.join(format!("expected/{name}.json"));
    let document: Value = serde_json::from_slice(&std::fs::read(&path).unwrap())
        .unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    document["records"].as_array().unwrap().clone()
}

/// Returns the findings of `rule_ids` in one file, as resource names (the
/// file's display path for Dockerfiles).
fn flagged(
    path: &Path,
    display: &str,
    kind: FileKind,
    rule_ids: &[&str],
) -> Result<BTreeSet<String>, String> {
    let bytes = std::fs::read(path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    let file =
        bulwark_iac::parse_file(path, display, kind, &bytes).map_err(|err| err.to_string())?;
    let result = common::policies().evaluate(&file);
    if !result.errors.is_empty() {
        return Err(format!("evaluation failed: {:?}", result.errors));
    }
    Ok(result
        .findings
        .iter()
        .filter(|finding| rule_ids.contains(&finding.rule_id.as_str()))
        .map(|finding| {
            finding
                .resource
                .clone()
                .unwrap_or_else(|| display.to_owned())
        })
        .collect())
}

/// Returns the Dockerfile a Checkov Dockerfile resource id names:
/// `/failure/Dockerfile.simple.RUN` names `failure/Dockerfile.simple`.
fn dockerfile_of(resource: &str) -> String {
    let trimmed = resource.trim_start_matches('/');
    let (file, _instruction) = trimmed.rsplit_once('.').unwrap();
    file.to_owned()
}

fn finish(what: &str, kind: FileKind, tally: &Tally, minimum: usize) {
    let stale: Vec<_> = UNPARSABLE
        .iter()
        .enumerate()
        .filter(|(index, (file_kind, _, _))| {
            *file_kind == kind && !tally.unparsable.contains(index)
        })
        .map(|(_, (_, file, _))| *file)
        .collect();
    assert!(
        stale.is_empty(),
        "files listed as unparsable now parse: {stale:?}"
    );
    eprintln!(
        "{what}: {} Checkov verdicts compared, {} agree, {} listed differences",
        tally.compared, tally.agreed, tally.listed
    );
    assert!(
        tally.compared >= minimum,
        "only {} verdicts compared",
        tally.compared
    );
    assert!(
        tally.unexpected.is_empty(),
        "{what}: disagreements with Checkov:\n{}",
        tally.unexpected.join("\n")
    );
}

#[test]
fn checkov_dockerfile_verdicts() {
    let Some(root) = checkov_dir() else {
        return;
    };
    let records = records(&root, "dockerfile");
    let mut tally = Tally::default();
    for (check_id, rule_id) in DOCKERFILE {
        let record = records
            .iter()
            .find(|record| record["check_id"] == *check_id)
            .unwrap_or_else(|| panic!("{check_id} not in expected results"));
        let example = record["example_dirs"][0].as_str().unwrap();
        let dir = root.join("tests/dockerfile/checks").join(example);
        for test in record["tests"].as_array().unwrap() {
            let list = |key: &str| -> BTreeSet<String> {
                test[key]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|resource| dockerfile_of(resource.as_str().unwrap()))
                    .collect()
            };
            let failing = list("failing_resources");
            let passing = list("passing_resources");
            for file in failing.iter().chain(passing.difference(&failing)) {
                let display = format!("{example}/{file}");
                let Some(found) =
                    tally.flagged(&dir.join(file), &display, FileKind::Dockerfile, &[rule_id])
                else {
                    continue;
                };
                tally.record(
                    check_id,
                    &display,
                    failing.contains(file),
                    !found.is_empty(),
                );
            }
        }
    }
    assert_known_observed(&tally, "CKV_DOCKER_");
    finish("Dockerfile", FileKind::Dockerfile, &tally, 20);
}

#[test]
fn checkov_kubernetes_verdicts() {
    let Some(root) = checkov_dir() else {
        return;
    };
    let records = records(&root, "kubernetes");
    let mut tally = Tally::default();
    for (check_id, example, rule_ids) in KUBERNETES {
        let record = records
            .iter()
            .find(|record| record["check_id"] == *check_id && record["example_dirs"][0] == *example)
            .unwrap_or_else(|| panic!("{check_id} {example} not in expected results"));
        let dir = root.join("tests/kubernetes/checks").join(example);
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .collect();
        files.sort();
        let by_resource = record["tests"].as_array().unwrap().iter().any(|test| {
            test["failing_resources"].is_array() || test["passing_resources"].is_array()
        });
        let mut all_flagged = BTreeSet::new();
        for path in &files {
            let name = path.file_name().unwrap().to_str().unwrap();
            let display = format!("{example}/{name}");
            let Some(found) = tally.flagged(path, &display, FileKind::Kubernetes, rule_ids) else {
                continue;
            };
            if by_resource {
                all_flagged.extend(found);
                continue;
            }
            let upper = name.to_uppercase();
            let fails = upper.contains("FAILED");
            let passes = upper.contains("PASS");
            if fails != passes {
                tally.record(check_id, &display, fails, !found.is_empty());
            }
        }
        if by_resource {
            for test in record["tests"].as_array().unwrap() {
                for (key, fails) in [("failing_resources", true), ("passing_resources", false)] {
                    for resource in test[key].as_array().into_iter().flatten() {
                        // Checkov writes `Kind.namespace.name`; we write `Kind/namespace/name`.
                        let ours = resource.as_str().unwrap().replacen('.', "/", 2);
                        tally.record(check_id, &ours, fails, all_flagged.contains(&ours));
                    }
                }
            }
        }
    }
    assert_known_observed(&tally, "CKV_K8S_");
    finish("Kubernetes", FileKind::Kubernetes, &tally, 60);
}

/// Asserts that every listed difference for the checks starting with
/// `prefix` was observed.
fn assert_known_observed(tally: &Tally, prefix: &str) {
    let stale: Vec<_> = KNOWN_DIFFERENCES
        .iter()
        .enumerate()
        .filter(|(index, (id, _, _))| id.starts_with(prefix) && !tally.known.contains(index))
        .map(|(_, entry)| format!("{entry:?}"))
        .collect();
    assert!(
        stale.is_empty(),
        "listed differences no longer observed:\n{}",
        stale.join("\n")
    );
}
