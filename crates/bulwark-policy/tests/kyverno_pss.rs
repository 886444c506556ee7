//! Compares our Pod Security Standards evaluator (crate bulwark-pss) and our
//! Kubernetes checks with the test cases of the kyverno pod-security
//! policies (kyverno/policies, pod-security/**).
//!
//! Each kyverno policy enforces one Pod Security Standards control (or, for
//! the `subrule` policies, a whole level). Its cases come from
//! `.kyverno-test/kyverno-test.yaml` (pass or fail per resource of
//! `resource.yaml`) and from the chainsaw files `pod-good.yaml`,
//! `podcontroller-good.yaml` (every object admitted) and `pod-bad.yaml`,
//! `podcontroller-bad.yaml` (every object rejected). A resource that passes
//! one control may fail another, so each case is judged only by the
//! policy's own controls: it is denied when our evaluator reports one of
//! them at the policy's level (latest version), or when one of the mapped
//! checks fires.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use bulwark_iac::{FileKind, ParsedFile};
use bulwark_pss::{Level, Version};
use serde_json::Value;

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus/config");

/// Which Pod Security Standards controls a kyverno policy enforces.
#[derive(Clone, Copy)]
enum Controls {
    /// Only these control ids.
    Only(&'static [&'static str]),
    /// Every control of the level.
    All,
    /// Every control except these.
    AllExcept(&'static [&'static str]),
    /// Every control, but the capabilities controls ignore containers whose
    /// image starts with one of these prefixes (kyverno `exclude` with
    /// `controlName: Capabilities` and `images`).
    AllWithCapabilitiesExemptImages(&'static [&'static str]),
}

/// Which of our checks correspond to a kyverno policy.
#[derive(Clone, Copy)]
enum Checks {
    /// Denied when any of these checks fires.
    AnyOf(&'static [&'static str]),
    /// Denied when any check tagged with this Pod Security Standards level
    /// (or with `baseline`, for `restricted`) fires, except the listed ones.
    PssLevel(Level, &'static [&'static str]),
}

struct Policy {
    /// Directory under kyverno-policies/pod-security.
    dir: &'static str,
    level: Level,
    controls: Controls,
    checks: Checks,
    /// Narrower check lists for the `.kyverno-test` results of one kyverno
    /// rule, when the policy splits its control into several rules.
    rule_checks: &'static [(&'static str, &'static [&'static str])],
}

const fn policy(dir: &'static str, level: Level, controls: Controls, checks: Checks) -> Policy {
    Policy {
        dir,
        level,
        controls,
        checks,
        rule_checks: &[],
    }
}

use Checks::AnyOf;
use Controls::Only;
use Level::{Baseline, Restricted};

/// kyverno policy -> Pod Security Standards controls and our checks.
const POLICIES: &[Policy] = &[
    policy(
        "baseline/disallow-capabilities",
        Baseline,
        Only(&["capabilities_baseline"]),
        AnyOf(&["misconfig-k8s-capabilities-added"]),
    ),
    policy(
        "baseline/disallow-host-namespaces",
        Baseline,
        Only(&["hostNamespaces"]),
        AnyOf(&[
            "misconfig-k8s-host-network",
            "misconfig-k8s-host-pid",
            "misconfig-k8s-host-ipc",
        ]),
    ),
    policy(
        "baseline/disallow-host-path",
        Baseline,
        Only(&["hostPathVolumes"]),
        AnyOf(&["misconfig-k8s-host-path"]),
    ),
    policy(
        "baseline/disallow-host-ports",
        Baseline,
        Only(&["hostPorts"]),
        AnyOf(&["misconfig-k8s-host-port"]),
    ),
    policy(
        "baseline/disallow-host-ports-range",
        Baseline,
        Only(&["hostPorts"]),
        AnyOf(&["misconfig-k8s-host-port"]),
    ),
    policy(
        "baseline/disallow-host-process",
        Baseline,
        Only(&["windowsHostProcess"]),
        AnyOf(&["misconfig-k8s-windows-host-process"]),
    ),
    policy(
        "baseline/disallow-privileged-containers",
        Baseline,
        Only(&["privileged"]),
        AnyOf(&["misconfig-k8s-privileged"]),
    ),
    policy(
        "baseline/disallow-proc-mount",
        Baseline,
        Only(&["procMount"]),
        AnyOf(&["misconfig-k8s-proc-mount"]),
    ),
    policy(
        "baseline/disallow-selinux",
        Baseline,
        Only(&["seLinuxOptions"]),
        AnyOf(&["misconfig-k8s-selinux-custom"]),
    ),
    policy(
        "baseline/restrict-apparmor-profiles",
        Baseline,
        Only(&["appArmorProfile"]),
        AnyOf(&["misconfig-k8s-apparmor-unconfined"]),
    ),
    policy(
        "baseline/restrict-seccomp",
        Baseline,
        Only(&["seccompProfile_baseline"]),
        AnyOf(&["misconfig-k8s-seccomp-unconfined"]),
    ),
    policy(
        "baseline/restrict-sysctls",
        Baseline,
        Only(&["sysctls"]),
        AnyOf(&["misconfig-k8s-unsafe-sysctls"]),
    ),
    Policy {
        rule_checks: &[
            (
                "require-drop-all",
                &["misconfig-k8s-capabilities-no-drop-all"],
            ),
            (
                "adding-capabilities-strict",
                &["misconfig-k8s-capabilities-restricted"],
            ),
        ],
        ..policy(
            "restricted/disallow-capabilities-strict",
            Restricted,
            Only(&["capabilities_restricted"]),
            AnyOf(&[
                "misconfig-k8s-capabilities-no-drop-all",
                "misconfig-k8s-capabilities-restricted",
            ]),
        )
    },
    policy(
        "restricted/disallow-privilege-escalation",
        Restricted,
        Only(&["allowPrivilegeEscalation"]),
        AnyOf(&["misconfig-k8s-allow-privilege-escalation"]),
    ),
    policy(
        "restricted/require-run-as-non-root-user",
        Restricted,
        Only(&["runAsUser"]),
        AnyOf(&["misconfig-k8s-run-as-root-uid"]),
    ),
    policy(
        "restricted/require-run-as-nonroot",
        Restricted,
        Only(&["runAsNonRoot"]),
        AnyOf(&["misconfig-k8s-run-as-non-root"]),
    ),
    policy(
        "restricted/restrict-seccomp-strict",
        Restricted,
        Only(&["seccompProfile_restricted"]),
        AnyOf(&[
            "misconfig-k8s-seccomp-not-set",
            "misconfig-k8s-seccomp-unconfined",
        ]),
    ),
    policy(
        "restricted/restrict-volume-types",
        Restricted,
        Only(&["restrictedVolumes"]),
        AnyOf(&["misconfig-k8s-restricted-volume-types"]),
    ),
    policy(
        "subrule/podsecurity-subrule-baseline",
        Baseline,
        Controls::All,
        Checks::PssLevel(Baseline, &[]),
    ),
    policy(
        "subrule/restricted/restricted-latest",
        Restricted,
        Controls::All,
        Checks::PssLevel(Restricted, &[]),
    ),
    policy(
        "subrule/restricted/restricted-exclude-seccomp",
        Restricted,
        Controls::AllExcept(&["seccompProfile_baseline", "seccompProfile_restricted"]),
        Checks::PssLevel(
            Restricted,
            &[
                "misconfig-k8s-seccomp-not-set",
                "misconfig-k8s-seccomp-unconfined",
            ],
        ),
    ),
    policy(
        "subrule/restricted/restricted-exclude-capabilities",
        Restricted,
        Controls::AllWithCapabilitiesExemptImages(&["ghcr.io/kyverno/test-nginx", "redis"]),
        Checks::PssLevel(Restricted, &[]),
    ),
];

/// Cases where our Pod Security Standards evaluator disagrees with kyverno:
/// (policy directory, case file, `Kind/name`, reason). A `*` in the file or
/// resource matches any run of characters.
const PSS_DIFFERENCES: &[(&str, &str, &str, &str)] = &[
    (
        "baseline/disallow-host-ports-range",
        "*",
        "*",
        HOST_PORT_RANGE,
    ),
    (
        "baseline/disallow-proc-mount",
        "pod-bad.yaml",
        "Pod/badpod01",
        USER_NAMESPACE_PROC_MOUNT,
    ),
    (
        "baseline/disallow-proc-mount",
        "pod-bad.yaml",
        "Pod/badpod02",
        USER_NAMESPACE_PROC_MOUNT,
    ),
    (
        "baseline/disallow-proc-mount",
        "pod-bad.yaml",
        "Pod/badpod03",
        USER_NAMESPACE_PROC_MOUNT,
    ),
    (
        "baseline/disallow-proc-mount",
        "pod-bad.yaml",
        "Pod/badpod04",
        USER_NAMESPACE_PROC_MOUNT,
    ),
    (
        "baseline/disallow-proc-mount",
        "pod-bad.yaml",
        "Pod/badpod05",
        USER_NAMESPACE_PROC_MOUNT,
    ),
    (
        "baseline/disallow-selinux",
        "pod-bad.yaml",
        "Pod/badpod01-new",
        CONTAINER_ENGINE_T,
    ),
    (
        "baseline/disallow-selinux",
        "pod-bad.yaml",
        "Pod/badpod03-new",
        CONTAINER_ENGINE_T,
    ),
    (
        "baseline/disallow-selinux",
        "pod-bad.yaml",
        "Pod/badpod04-new",
        CONTAINER_ENGINE_T,
    ),
    (
        "baseline/disallow-selinux",
        "podcontroller-bad.yaml",
        "Deployment/baddeployment01-new",
        CONTAINER_ENGINE_T,
    ),
    (
        "baseline/disallow-selinux",
        "podcontroller-bad.yaml",
        "CronJob/badcronjob01-new",
        CONTAINER_ENGINE_T,
    ),
    (
        "restricted/disallow-capabilities-strict",
        "resource.yaml",
        "*/addcap-good*",
        SPLIT_CAPABILITIES_RULES,
    ),
];

/// Cases where our checks disagree with kyverno: (policy directory, case
/// file, `Kind/name`, reason), with the same patterns as [`PSS_DIFFERENCES`].
const CHECK_DIFFERENCES: &[(&str, &str, &str, &str)] = &[
    (
        "baseline/disallow-host-ports-range",
        "*",
        "*",
        HOST_PORT_RANGE,
    ),
    (
        "baseline/disallow-selinux",
        "pod-bad.yaml",
        "Pod/badpod01-new",
        CONTAINER_ENGINE_T,
    ),
    (
        "baseline/disallow-selinux",
        "pod-bad.yaml",
        "Pod/badpod03-new",
        CONTAINER_ENGINE_T,
    ),
    (
        "baseline/disallow-selinux",
        "pod-bad.yaml",
        "Pod/badpod04-new",
        CONTAINER_ENGINE_T,
    ),
    (
        "baseline/disallow-selinux",
        "podcontroller-bad.yaml",
        "Deployment/baddeployment01-new",
        CONTAINER_ENGINE_T,
    ),
    (
        "baseline/disallow-selinux",
        "podcontroller-bad.yaml",
        "CronJob/badcronjob01-new",
        CONTAINER_ENGINE_T,
    ),
];

const HOST_PORT_RANGE: &str = "this kyverno policy is a relaxed variant that admits hostPorts 5000 to 6000; the Pod Security Standards baseline admits only 0 or unset";

const USER_NAMESPACE_PROC_MOUNT: &str = "the pod sets hostUsers: false; since Kubernetes v1.35 the baseline procMount control admits Unmasked in user namespaces (only procMount_restricted rejects it), and the kyverno policy predates that";

const CONTAINER_ENGINE_T: &str = "the pod uses SELinux type container_engine_t, which the baseline seLinuxOptions control admits since Kubernetes v1.31; the kyverno policy still allows only container_t, container_init_t and container_kvm_t";

const SPLIT_CAPABILITIES_RULES: &str = "kyverno splits capabilities_restricted into two rules and these results are for adding-capabilities-strict only; the objects also drop no capabilities, which the same Pod Security Standards control rejects";

/// One resource with kyverno's expected verdict.
struct Case {
    policy: &'static Policy,
    /// `.kyverno-test/resource.yaml` or the chainsaw file name.
    file: String,
    /// `Kind/name`.
    resource: String,
    /// The kyverno rule named by `.kyverno-test` results, `None` for
    /// chainsaw files.
    rule: Option<String>,
    document: bulwark_iac::Document,
    expect_denied: bool,
}

fn corpus_dir() -> Option<PathBuf> {
    let dir = Path::new(CORPUS).join("kyverno-policies/pod-security");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("skipping: corpus directory {} not found", dir.display());
        None
    }
}

fn parse_kubernetes(path: &Path) -> ParsedFile {
    let bytes = std::fs::read(path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    let display = path.display().to_string();
    bulwark_iac::parse_file(path, &display, FileKind::Kubernetes, &bytes)
        .unwrap_or_else(|err| panic!("{display}: parse failed: {err}"))
}

fn kind_and_name(input: &Value) -> String {
    format!(
        "{}/{}",
        input["kind"].as_str().unwrap_or(""),
        input["metadata"]["name"].as_str().unwrap_or("")
    )
}

/// Collects the cases of every policy in [`POLICIES`].
fn collect_cases(root: &Path) -> Vec<Case> {
    let mut cases = Vec::new();
    for policy in POLICIES {
        let dir = root.join(policy.dir);
        let before = cases.len();
        collect_kyverno_test(policy, &dir, &mut cases);
        for (file, expect_denied) in [
            ("pod-good.yaml", false),
            ("podcontroller-good.yaml", false),
            ("pod-bad.yaml", true),
            ("podcontroller-bad.yaml", true),
        ] {
            let path = dir.join(".chainsaw-test").join(file);
            if !path.exists() {
                continue;
            }
            for document in parse_kubernetes(&path).documents {
                cases.push(Case {
                    policy,
                    file: file.to_owned(),
                    resource: kind_and_name(&document.input),
                    rule: None,
                    document,
                    expect_denied,
                });
            }
        }
        assert!(cases.len() > before, "{}: no test cases found", policy.dir);
    }
    cases
}

/// Adds the resources named in `.kyverno-test/kyverno-test.yaml`.
fn collect_kyverno_test(policy: &'static Policy, dir: &Path, cases: &mut Vec<Case>) {
    let test_dir = dir.join(".kyverno-test");
    let test_path = test_dir.join("kyverno-test.yaml");
    let test: Value = yaml_serde::from_str(&std::fs::read_to_string(&test_path).unwrap())
        .unwrap_or_else(|err| panic!("{}: {err}", test_path.display()));
    let resources = parse_kubernetes(&test_dir.join("resource.yaml")).documents;
    for result in test["results"].as_array().unwrap() {
        let expect_denied = match result["result"].as_str().unwrap() {
            "fail" => true,
            "pass" => false,
            other => panic!("{}: unexpected result {other:?}", test_path.display()),
        };
        let kind = result["kind"].as_str().unwrap();
        let rule = result["rule"].as_str().unwrap().to_owned();
        for name in result["resources"].as_array().unwrap() {
            let resource = format!("{kind}/{}", name.as_str().unwrap());
            let matching: Vec<_> = resources
                .iter()
                .filter(|document| kind_and_name(&document.input) == resource)
                .collect();
            assert_eq!(
                matching.len(),
                1,
                "{}: {resource} must name exactly one object of resource.yaml",
                test_path.display()
            );
            cases.push(Case {
                policy,
                file: "resource.yaml".to_owned(),
                resource,
                rule: Some(rule.clone()),
                document: matching[0].clone(),
                expect_denied,
            });
        }
    }
}

/// Returns the case's object as the policy judges it: with the exempt
/// containers' capabilities made compliant.
fn judged_input(case: &Case) -> Value {
    let mut input = case.document.input.clone();
    if let Controls::AllWithCapabilitiesExemptImages(prefixes) = case.policy.controls {
        exempt_capabilities(&mut input, prefixes);
    }
    input
}

/// Returns whether one of the policy's controls denies the case's pod.
fn pss_denies(case: &Case) -> bool {
    let input = judged_input(case);
    let counted = |id: &str| match case.policy.controls {
        Controls::Only(ids) => ids.contains(&id),
        Controls::All | Controls::AllWithCapabilitiesExemptImages(_) => true,
        Controls::AllExcept(ids) => !ids.contains(&id),
    };
    let templates = bulwark_pss::pod_templates(&input);
    assert!(
        !templates.is_empty(),
        "{} {} {}: no pod or pod template",
        case.policy.dir,
        case.file,
        case.resource
    );
    let mut denied = false;
    for template in templates {
        let pod = template.decode().unwrap_or_else(|err| {
            panic!("{} {} {}: {err}", case.policy.dir, case.file, case.resource)
        });
        let evaluation =
            bulwark_pss::evaluate_pod(&pod.metadata, &pod.spec, case.policy.level, Version::Latest);
        denied |= evaluation
            .failures
            .iter()
            .any(|failure| counted(failure.control_id));
    }
    denied
}

/// Gives containers whose image starts with one of `prefixes` a security
/// context that passes both capabilities controls, which is how kyverno's
/// per-image `exclude` of the Capabilities control treats them.
fn exempt_capabilities(input: &mut Value, prefixes: &[&str]) {
    let spec = match input["kind"].as_str() {
        Some("Pod") => &mut input["spec"],
        Some("CronJob") => &mut input["spec"]["jobTemplate"]["spec"]["template"]["spec"],
        _ => &mut input["spec"]["template"]["spec"],
    };
    for field in ["containers", "initContainers", "ephemeralContainers"] {
        let Some(containers) = spec.get_mut(field).and_then(Value::as_array_mut) else {
            continue;
        };
        for container in containers {
            let image = container["image"].as_str().unwrap_or("");
            if prefixes.iter().any(|prefix| image.starts_with(prefix)) {
                container["securityContext"]["capabilities"] = serde_json::json!({"drop": ["ALL"]});
            }
        }
    }
}

/// Returns the rule ids that count as a denial for the case.
fn check_ids(case: &Case) -> BTreeSet<String> {
    let policy = case.policy;
    let for_rule = policy
        .rule_checks
        .iter()
        .find(|(rule, _)| case.rule.as_deref() == Some(*rule));
    if let Some((_, ids)) = for_rule {
        return ids.iter().map(|id| (*id).to_owned()).collect();
    }
    match policy.checks {
        Checks::AnyOf(ids) => ids.iter().map(|id| (*id).to_owned()).collect(),
        Checks::PssLevel(level, excluded) => common::policies()
            .catalogue()
            .into_iter()
            .filter(|check| {
                check.frameworks.get("pss").is_some_and(|levels| {
                    levels.iter().any(|tagged| {
                        tagged == "baseline" || (level == Restricted && tagged == "restricted")
                    })
                })
            })
            .map(|check| check.id)
            .filter(|id| !excluded.contains(&id.as_str()))
            .collect(),
    }
}

/// Returns the mapped checks that fire on the case's object.
fn fired_checks(case: &Case, ids: &BTreeSet<String>) -> Vec<String> {
    let mut document = case.document.clone();
    document.input = judged_input(case);
    let file = ParsedFile {
        path: format!("{}/{}", case.policy.dir, case.file),
        kind: FileKind::Kubernetes,
        documents: vec![document],
        ignores: Vec::new(),
    };
    let result = common::policies().evaluate(&file);
    assert!(
        result.errors.is_empty(),
        "{}: {:?}",
        file.path,
        result.errors
    );
    let fired: BTreeSet<String> = result
        .findings
        .iter()
        .filter(|finding| ids.contains(&finding.rule_id))
        .map(|finding| finding.rule_id.clone())
        .collect();
    fired.into_iter().collect()
}

/// Matches `value` against `pattern`, in which each `*` matches any run of
/// characters.
fn matches_pattern(pattern: &str, value: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or("");
    let Some(mut rest) = value.strip_prefix(first) else {
        return false;
    };
    let mut parts: Vec<&str> = parts.collect();
    let Some(last) = parts.pop() else {
        return rest.is_empty();
    };
    for part in parts {
        match rest.find(part) {
            Some(index) => rest = &rest[index + part.len()..],
            None => return false,
        }
    }
    rest.ends_with(last)
}

/// Compares `denied` with each case's expectation, allowing the listed
/// differences, and asserts every listed difference is still observed.
fn compare(
    what: &str,
    cases: &[Case],
    differences: &[(&str, &str, &str, &str)],
    denied: impl Fn(&Case) -> (bool, String),
) {
    let mut unexpected = Vec::new();
    let mut observed = BTreeSet::new();
    let mut agreed = 0;
    let mut listed = 0;
    for case in cases {
        let (ours, detail) = denied(case);
        if ours == case.expect_denied {
            agreed += 1;
            continue;
        }
        match differences.iter().position(|(dir, file, resource, _)| {
            *dir == case.policy.dir
                && matches_pattern(file, &case.file)
                && matches_pattern(resource, &case.resource)
        }) {
            Some(index) => {
                observed.insert(index);
                listed += 1;
            }
            None => unexpected.push(format!(
                "(\"{}\", \"{}\", \"{}\", \"kyverno {}, ours {} {detail}\"),",
                case.policy.dir,
                case.file,
                case.resource,
                if case.expect_denied {
                    "denies"
                } else {
                    "admits"
                },
                if ours { "denies" } else { "admits" },
            )),
        }
    }
    eprintln!(
        "{what}: {} kyverno cases compared, {agreed} agree, {listed} listed differences",
        cases.len()
    );
    let stale: Vec<_> = differences
        .iter()
        .enumerate()
        .filter(|(index, _)| !observed.contains(index))
        .map(|(_, entry)| format!("{entry:?}"))
        .collect();
    assert!(
        stale.is_empty(),
        "{what}: listed differences no longer observed:\n{}",
        stale.join("\n")
    );
    assert!(
        unexpected.is_empty(),
        "{what}: disagreements with kyverno:\n{}",
        unexpected.join("\n")
    );
}

#[test]
fn kyverno_cases_match_pss_evaluator() {
    let Some(root) = corpus_dir() else {
        return;
    };
    let cases = collect_cases(&root);
    assert!(cases.len() >= 300, "only {} kyverno cases", cases.len());
    compare(
        "Pod Security Standards evaluator",
        &cases,
        PSS_DIFFERENCES,
        |case| (pss_denies(case), String::new()),
    );
}

#[test]
fn kyverno_cases_match_kubernetes_checks() {
    let Some(root) = corpus_dir() else {
        return;
    };
    let cases = collect_cases(&root);
    compare("Kubernetes checks", &cases, CHECK_DIFFERENCES, |case| {
        let fired = fired_checks(case, &check_ids(case));
        (!fired.is_empty(), format!("{fired:?}"))
    });
}
