//! False-positive checks on real text that contains no live secrets: the
//! corpus's third-party configuration, policy and manifest collections and
//! this repository's own crates. Every finding must appear in a reviewed
//! table with the reason it is expected; an unexpected finding or a stale
//! table entry fails the test.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use bulwark_secrets::{Scanner, SecretConfig};

/// Reviewed findings: (path relative to the scanned root, rule id, count,
/// reason).
type Reviewed = &'static [(&'static str, &'static str, usize, &'static str)];

const CHECKOV_TEST_PASSWORD: &str = "Checkov's Terraform test fixtures with hard-coded passwords, which Checkov's own secret checks are tested to flag";

const CORPUS_REVIEWED: Reviewed = &[
    (
        "checkov/tests/terraform/checks/resource/aws/example_RedshiftClusterWithCommonUsernameAndPublicAccess/main.tf",
        "secret-generic-assignment",
        4,
        CHECKOV_TEST_PASSWORD,
    ),
    (
        "checkov/tests/terraform/checks/resource/azure/example_VMAgentIsInstalled/main.tf",
        "secret-generic-assignment",
        5,
        CHECKOV_TEST_PASSWORD,
    ),
    (
        "checkov/tests/terraform/checks/resource/azure/example_VMStorageOsDisk/main.tf",
        "secret-generic-assignment",
        4,
        CHECKOV_TEST_PASSWORD,
    ),
    (
        "checkov/tests/terraform/checks/resource/azure/example_WinVMAutomaticUpdates/main.tf",
        "secret-generic-assignment",
        6,
        CHECKOV_TEST_PASSWORD,
    ),
    (
        "checkov/tests/terraform/checks/resource/azure/example_WinVMEncryptionAtHost/main.tf",
        "secret-generic-assignment",
        3,
        CHECKOV_TEST_PASSWORD,
    ),
    (
        "checkov/tests/terraform/graph/checks/resources/AccessToPostgreSQLFromAzureServicesIsDisabled/main.tf",
        "secret-generic-assignment",
        2,
        CHECKOV_TEST_PASSWORD,
    ),
    (
        "checkov/tests/terraform/graph/checks/resources/AzureActiveDirectoryAdminIsConfigured/main.tf",
        "secret-generic-assignment",
        2,
        CHECKOV_TEST_PASSWORD,
    ),
    (
        "checkov/tests/terraform/graph/checks/resources/AzureConfigMSSQLwithAD/main.tf",
        "secret-generic-assignment",
        1,
        CHECKOV_TEST_PASSWORD,
    ),
    (
        "checkov/tests/terraform/graph/checks/resources/AzureMSSQLServerHasSecurityAlertPolicy/main.tf",
        "secret-generic-assignment",
        3,
        CHECKOV_TEST_PASSWORD,
    ),
    (
        "checkov/tests/terraform/graph/checks/resources/VAconfiguredToSendReports/main.tf",
        "secret-generic-assignment",
        2,
        CHECKOV_TEST_PASSWORD,
    ),
    (
        "checkov/tests/terraform/graph/checks/resources/VAconfiguredToSendReportsToAdmins/main.tf",
        "secret-generic-assignment",
        2,
        CHECKOV_TEST_PASSWORD,
    ),
    (
        "checkov/tests/terraform/graph/checks/resources/VAisEnabledInStorageAccount/main.tf",
        "secret-generic-assignment",
        1,
        CHECKOV_TEST_PASSWORD,
    ),
    (
        "checkov/tests/terraform/graph/checks/resources/VAsetPeriodicScansOnSQL/main.tf",
        "secret-generic-assignment",
        2,
        CHECKOV_TEST_PASSWORD,
    ),
    (
        "checkov/tests/terraform/graph/checks/resources/VirtualMachinesUtilizingManagedDisks/main.tf",
        "secret-generic-assignment",
        2,
        CHECKOV_TEST_PASSWORD,
    ),
    (
        "signing/sigstore-rs/examples/key_interface/key_pair_import/ECDSA_P256_ASN1_PRIVATE_PEM.key",
        "secret-private-key-pkcs8",
        1,
        "sigstore-rs example key pair, a real unencrypted PKCS#8 key published for tests",
    ),
    (
        "signing/sigstore-rs/tests/data/keys/ecdsa_private.key",
        "secret-private-key-pkcs8",
        1,
        "sigstore-rs test key, a real unencrypted PKCS#8 key published for tests",
    ),
    (
        "signing/sigstore-rs/tests/data/keys/ed25519_private.key",
        "secret-private-key-pkcs8",
        1,
        "sigstore-rs test key, a real unencrypted PKCS#8 key published for tests",
    ),
    (
        "signing/sigstore-rs/tests/data/keys/rsa_private.key",
        "secret-private-key-rsa",
        1,
        "sigstore-rs test key, a real unencrypted PKCS#1 key published for tests",
    ),
    (
        "admission/kubewarden-policies/policies/env-variable-secrets-scanner-policy/test_data/pod_creation_with_secrets.json",
        "secret-private-key-rsa",
        1,
        "test input of Kubewarden's env-variable secrets scanner: a pod with an RSA key in an env value, which that policy must reject",
    ),
    (
        "admission/kubewarden-policies/policies/env-variable-secrets-scanner-policy/test_data/pod_creation_with_secrets_init_and_ephemeral_containers.json",
        "secret-private-key-rsa",
        1,
        "same Kubewarden secrets-scanner test input for init and ephemeral containers",
    ),
];

const CRATES_REVIEWED: Reviewed = &[
    (
        "bulwark-image/src/registry/auth.rs",
        "secret-docker-config-auth",
        4,
        "unit-test Docker config.json fixtures whose auth values are base64 of made-up logins (user:pa:ss, hub:secret)",
    ),
    (
        "bulwark-secrets/src/scanner.rs",
        "secret-aws-access-key-id",
        1,
        "masking unit test uses the corpus's made-up AWS key ID",
    ),
    (
        "bulwark-secrets/tests/layers.rs",
        "secret-aws-access-key-id",
        2,
        "names the corpus's made-up AWS key IDs to check that output never contains them",
    ),
    (
        "bulwark-secrets/tests/rules.rs",
        "secret-url-password",
        1,
        "masking test of a made-up short URL password",
    ),
];

fn corpus_root() -> Option<PathBuf> {
    let root = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/corpus"
    ));
    if root.is_dir() {
        Some(root)
    } else {
        eprintln!("skipping: corpus not found at {}", root.display());
        None
    }
}

/// Scans every wanted file under `root/dir` for each dir and counts the
/// findings per (path relative to `root`, rule id).
fn scan_tree(
    root: &Path,
    dirs: &[&str],
    skip: &[&str],
) -> (BTreeMap<(String, String), usize>, usize) {
    let scanner = Scanner::new(&SecretConfig::default()).expect("built-in rules compile");
    let mut counts = BTreeMap::new();
    let mut files = 0;
    for dir in dirs {
        for entry in walkdir::WalkDir::new(root.join(dir)).sort_by_file_name() {
            let entry = entry.expect("walk corpus");
            if !entry.file_type().is_file() {
                continue;
            }
            let relative = entry
                .path()
                .strip_prefix(root)
                .expect("entry under root")
                .to_string_lossy()
                .into_owned();
            if skip.iter().any(|s| relative.starts_with(s)) {
                continue;
            }
            let size = entry.metadata().expect("metadata").len();
            if !scanner.wants(&relative, size) {
                continue;
            }
            let data = std::fs::read(entry.path()).expect("read file");
            files += 1;
            for finding in scanner.scan(&relative, &data) {
                *counts.entry((finding.path, finding.rule_id)).or_insert(0) += 1;
            }
        }
    }
    (counts, files)
}

fn assert_only_reviewed(counts: &BTreeMap<(String, String), usize>, reviewed: Reviewed) {
    let mut problems = Vec::new();
    for ((path, rule), count) in counts {
        match reviewed.iter().find(|(p, r, _, _)| p == path && r == rule) {
            Some((_, _, expected, _)) if expected == count => {}
            Some((_, _, expected, _)) => {
                problems.push(format!(
                    "{path} {rule}: {count} findings, reviewed {expected}"
                ));
            }
            None => problems.push(format!("unreviewed: {path} {rule} x{count}")),
        }
    }
    for (path, rule, _, reason) in reviewed {
        assert!(!reason.is_empty());
        if !counts.contains_key(&((*path).to_owned(), (*rule).to_owned())) {
            problems.push(format!("stale table entry: {path} {rule}"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn realworld_manifests_have_no_findings() {
    let Some(root) = corpus_root() else { return };
    let (counts, files) = scan_tree(&root.join("config"), &["realworld"], &[]);
    assert!(files > 500, "only {files} files scanned");
    assert!(counts.is_empty(), "{counts:#?}");
}

#[test]
fn policy_and_config_corpora_have_only_reviewed_findings() {
    let Some(root) = corpus_root() else { return };
    let dirs = [
        "admission",
        "checkov",
        "docker-bench-security",
        "falco",
        "gatekeeper-library",
        "hadolint",
        "k8s-pod-security-admission",
        "kube-bench",
        "kyverno-policies",
        "signing",
        "trivy-checks",
    ];
    let (counts, files) = scan_tree(&root.join("config"), &dirs, &[]);
    assert!(files > 10_000, "only {files} files scanned");
    assert_only_reviewed(&counts, CORPUS_REVIEWED);
}

#[test]
fn repository_crates_have_only_reviewed_findings() {
    let crates = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    let names: Vec<String> = std::fs::read_dir(&crates)
        .expect("list crates")
        .map(|e| {
            e.expect("crate entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let (counts, files) = scan_tree(&crates, &names, &["bulwark-secrets/testdata/"]);
    assert!(files > 50, "only {files} files scanned");
    assert_only_reviewed(&counts, CRATES_REVIEWED);
}

/// Line 598 of werkzeug/urls.py in Werkzeug 0.14.1 (installed in the
/// corpus py-app image): a doctest of `uri_to_iri` whose URL password is
/// "pässword" percent-encoded.
const WERKZEUG_DOCTEST: &str =
    "    >>> uri_to_iri(b'http://%C3%BCser:p%C3%A4ssword@xn--n3h.net/p%C3%A5th')\n";

#[test]
fn werkzeug_url_doctest_is_allowed() {
    let scanner = Scanner::new(&SecretConfig::default()).expect("built-in rules compile");
    let path = "app/venv/lib/python3.11/site-packages/werkzeug/urls.py";
    let findings = scanner.scan(path, WERKZEUG_DOCTEST.as_bytes());
    assert!(findings.is_empty(), "{findings:#?}");

    // The allow-list contains only that value, so another password in the
    // same URL is still reported.
    let changed = WERKZEUG_DOCTEST.replace("p%C3%A4ssword", "p%C3%A4ssw0rd7Q");
    let findings = scanner.scan(path, changed.as_bytes());
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(findings[0].rule_id, "secret-url-password");
}
