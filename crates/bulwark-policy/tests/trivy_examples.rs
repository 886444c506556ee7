//! Runs our checks on the `good:` and `bad:` examples that trivy-checks
//! ships next to each of its checks (aquasecurity/trivy-checks,
//! checks/**/*.yaml). For every trivy check that one of ours corresponds
//! to, our check must fire on each bad example and stay silent on each good
//! one. COVERAGE.md lists the trivy checks left out and why.

mod common;

use bulwark_iac::FileKind;
use serde_json::Value;

/// trivy example file (relative to trivy-checks/checks) -> our rule id.
const MAPPING: &[(&str, &str)] = &[
    // Dockerfile
    ("docker/latest_tag.yaml", "misconfig-dockerfile-latest-tag"),
    ("docker/root_user.yaml", "misconfig-dockerfile-root-user"),
    ("docker/port22.yaml", "misconfig-dockerfile-expose-ssh"),
    (
        "docker/add_instead_of_copy.yaml",
        "misconfig-dockerfile-add-instead-of-copy",
    ),
    (
        "docker/copy_from_references_current_from_alias.yaml",
        "misconfig-dockerfile-copy-from-own-stage",
    ),
    (
        "docker/unix_ports_out_of_range.yaml",
        "misconfig-dockerfile-port-out-of-range",
    ),
    (
        "docker/workdir_path_not_absolute.yaml",
        "misconfig-dockerfile-relative-workdir",
    ),
    ("docker/run_using_sudo.yaml", "misconfig-dockerfile-sudo"),
    (
        "docker/copy_with_more_than_two_arguments_not_ending_with_slash.yaml",
        "misconfig-dockerfile-copy-multiple-sources",
    ),
    (
        "docker/same_alias_in_different_froms.yaml",
        "misconfig-dockerfile-duplicate-stage-name",
    ),
    (
        "docker/run_command_cd_instead_of_workdir.yaml",
        "misconfig-dockerfile-cd-in-run",
    ),
    (
        "docker/run_using_wget_and_curl.yaml",
        "misconfig-dockerfile-wget-and-curl",
    ),
    (
        "docker/yum_clean_all_missing.yaml",
        "misconfig-dockerfile-package-cache-not-cleaned",
    ),
    (
        "docker/multiple_cmd_instructions_listed.yaml",
        "misconfig-dockerfile-multiple-cmd",
    ),
    (
        "docker/update_instruction_alone.yaml",
        "misconfig-dockerfile-update-alone",
    ),
    (
        "docker/missing_dnf_clean_all.yaml",
        "misconfig-dockerfile-package-cache-not-cleaned",
    ),
    (
        "docker/missing_zypper_clean.yaml",
        "misconfig-dockerfile-package-cache-not-cleaned",
    ),
    (
        "docker/apt_get_missing_yes_flag_to_avoid_manual_input.yaml",
        "misconfig-dockerfile-apt-missing-yes",
    ),
    (
        "docker/maintainer_is_deprecated.yaml",
        "misconfig-dockerfile-maintainer",
    ),
    (
        "docker/multiple_healthcheck_instructions.yaml",
        "misconfig-dockerfile-multiple-healthcheck",
    ),
    (
        "docker/run_apt_get_dist_upgrade.yaml",
        "misconfig-dockerfile-apt-upgrade",
    ),
    (
        "docker/multiple_entrypoint_instructions_listed.yaml",
        "misconfig-dockerfile-multiple-entrypoint",
    ),
    // Kubernetes
    (
        "kubernetes/can_elevate_its_own_privileges.yaml",
        "misconfig-k8s-allow-privilege-escalation",
    ),
    (
        "kubernetes/apparmor_policy_disabled.yaml",
        "misconfig-k8s-apparmor-unconfined",
    ),
    (
        "kubernetes/capabilities_no_drop_all.yaml",
        "misconfig-k8s-capabilities-no-drop-all",
    ),
    (
        "kubernetes/SYS_ADMIN_capability.yaml",
        "misconfig-k8s-sys-admin",
    ),
    (
        "kubernetes/mounts_docker_socket.yaml",
        "misconfig-k8s-docker-socket",
    ),
    ("kubernetes/host_ipc.yaml", "misconfig-k8s-host-ipc"),
    ("kubernetes/host_network.yaml", "misconfig-k8s-host-network"),
    ("kubernetes/host_pid.yaml", "misconfig-k8s-host-pid"),
    ("kubernetes/CPU_not_limited.yaml", "misconfig-k8s-cpu-limit"),
    (
        "kubernetes/runs_as_root.yaml",
        "misconfig-k8s-run-as-non-root",
    ),
    (
        "kubernetes/uses_image_tag_latest.yaml",
        "misconfig-k8s-image-latest",
    ),
    (
        "kubernetes/file_system_not_read_only.yaml",
        "misconfig-k8s-read-only-root-fs",
    ),
    (
        "kubernetes/CPU_requests_not_specified.yaml",
        "misconfig-k8s-cpu-request",
    ),
    (
        "kubernetes/memory_requests_not_specified.yaml",
        "misconfig-k8s-memory-request",
    ),
    ("kubernetes/privileged.yaml", "misconfig-k8s-privileged"),
    (
        "kubernetes/memory_not_limited.yaml",
        "misconfig-k8s-memory-limit",
    ),
    (
        "kubernetes/runs_with_UID_le_10000.yaml",
        "misconfig-k8s-low-uid",
    ),
    (
        "kubernetes/hostpath_volumes_mounted.yaml",
        "misconfig-k8s-host-path",
    ),
    (
        "kubernetes/access_to_host_ports.yaml",
        "misconfig-k8s-host-port",
    ),
    (
        "kubernetes/selinux_custom_options_set.yaml",
        "misconfig-k8s-selinux-custom",
    ),
    (
        "kubernetes/unsafe_sysctl_options_set.yaml",
        "misconfig-k8s-unsafe-sysctls",
    ),
    (
        "kubernetes/non_default_proc_masks_set.yaml",
        "misconfig-k8s-proc-mount",
    ),
    (
        "kubernetes/non_core_volume_types.yaml",
        "misconfig-k8s-restricted-volume-types",
    ),
    (
        "kubernetes/runtime_default_seccomp_profile_not_set.yaml",
        "misconfig-k8s-seccomp-not-set",
    ),
    (
        "kubernetes/protecting_pod_service_account_tokens.yaml",
        "misconfig-k8s-automount-token",
    ),
    (
        "kubernetes/protect_core_components_namespace.yaml",
        "misconfig-k8s-kube-system-namespace",
    ),
    // AWS (Terraform and CloudFormation examples)
    (
        "cloud/aws/s3/no_public_access_with_acl.yaml",
        "misconfig-aws-s3-public-acl",
    ),
    (
        "cloud/aws/s3/specify_public_access_block.yaml",
        "misconfig-aws-s3-public-access-block-missing",
    ),
    (
        "cloud/aws/s3/block_public_acls.yaml",
        "misconfig-aws-s3-block-public-acls",
    ),
    (
        "cloud/aws/s3/block_public_policy.yaml",
        "misconfig-aws-s3-block-public-policy",
    ),
    (
        "cloud/aws/s3/ignore_public_acls.yaml",
        "misconfig-aws-s3-ignore-public-acls",
    ),
    (
        "cloud/aws/s3/no_public_buckets.yaml",
        "misconfig-aws-s3-restrict-public-buckets",
    ),
    (
        "cloud/aws/s3/enable_bucket_encryption.yaml",
        "misconfig-aws-s3-no-encryption",
    ),
    (
        "cloud/aws/s3/enable_versioning.yaml",
        "misconfig-aws-s3-versioning-disabled",
    ),
    (
        "cloud/aws/ec2/no_public_ingress_sgr.yaml",
        "misconfig-aws-sg-ssh-open",
    ),
    (
        "cloud/aws/ec2/enable_volume_encryption.yaml",
        "misconfig-aws-ebs-unencrypted",
    ),
    (
        "cloud/aws/ec2/enable_at_rest_encryption.yaml",
        "misconfig-aws-instance-disk-unencrypted",
    ),
    (
        "cloud/aws/ec2/as_enable_at_rest_encryption.yaml",
        "misconfig-aws-instance-disk-unencrypted",
    ),
    (
        "cloud/aws/ec2/enforce_http_token_imds.yaml",
        "misconfig-aws-imdsv1-allowed",
    ),
    (
        "cloud/aws/ec2/as_enforce_http_token_imds.yaml",
        "misconfig-aws-imdsv1-allowed",
    ),
    (
        "cloud/aws/rds/disable_public_access.yaml",
        "misconfig-aws-rds-public",
    ),
    (
        "cloud/aws/rds/encrypt_instance_storage_data.yaml",
        "misconfig-aws-rds-unencrypted",
    ),
    (
        "cloud/aws/rds/encrypt_cluster_storage_data.yaml",
        "misconfig-aws-rds-unencrypted",
    ),
    (
        "cloud/aws/iam/no_policy_wildcards.yaml",
        "misconfig-aws-iam-wildcard-action",
    ),
    (
        "cloud/aws/cloudtrail/enable_log_validation.yaml",
        "misconfig-aws-cloudtrail-log-validation",
    ),
    (
        "cloud/aws/cloudtrail/encryption_customer_key.yaml",
        "misconfig-aws-cloudtrail-no-kms",
    ),
    (
        "cloud/aws/cloudtrail/enable_all_regions.yaml",
        "misconfig-aws-cloudtrail-single-region",
    ),
    (
        "cloud/aws/eks/no_public_cluster_access_to_cidr.yaml",
        "misconfig-aws-eks-public-endpoint",
    ),
    (
        "cloud/aws/elb/http_not_used.yaml",
        "misconfig-aws-lb-http-listener",
    ),
    (
        "cloud/aws/dynamodb/enable_at_rest_encryption.yaml",
        "misconfig-aws-dax-unencrypted",
    ),
    (
        "cloud/aws/dynamodb/table_customer_key.yaml",
        "misconfig-aws-dynamodb-no-cmk",
    ),
    (
        "cloud/aws/sqs/enable_queue_encryption.yaml",
        "misconfig-aws-sqs-unencrypted",
    ),
    (
        "cloud/aws/sns/enable_topic_encryption.yaml",
        "misconfig-aws-sns-unencrypted",
    ),
];

/// Examples where our check deliberately disagrees with trivy, with the
/// reason. Each must still disagree, so the list cannot go stale.
const KNOWN_DIFFERENCES: &[(&str, &str)] = &[
    (
        "kubernetes/protecting_pod_service_account_tokens.yaml kubernetes good[0]",
        "we report any pod that does not set automountServiceAccountToken to false (CIS 5.1.6); \
         trivy only reports an explicit true or a mounted token path",
    ),
    (
        "cloud/aws/rds/encrypt_cluster_storage_data.yaml terraform bad[1]",
        "storage_encrypted = true without kms_key_id is encrypted with the AWS managed key; \
         trivy also requires a customer managed key",
    ),
    (
        "cloud/aws/iam/no_policy_wildcards.yaml cloudformation bad[0]",
        "the example's YAML indentation puts Statement outside PolicyDocument, so the policy is empty",
    ),
];

fn kind_of(section: &str) -> Option<(FileKind, &'static str)> {
    match section {
        "dockerfile" => Some((FileKind::Dockerfile, "Dockerfile")),
        "kubernetes" => Some((FileKind::Kubernetes, "pod.yaml")),
        "terraform" => Some((FileKind::Terraform, "main.tf")),
        "cloudformation" => Some((FileKind::CloudFormation, "template.yaml")),
        _ => None,
    }
}

#[test]
fn trivy_good_and_bad_examples() {
    let Some(root) = common::corpus("config/trivy-checks/checks") else {
        return;
    };
    let mut failures = Vec::new();
    let mut examples = 0;
    for (file, rule_id) in MAPPING {
        assert!(
            common::policies().check(rule_id).is_some(),
            "unknown rule {rule_id}"
        );
        let text = std::fs::read_to_string(root.join(file)).unwrap();
        let doc: Value = yaml_serde::from_str(&text).unwrap();
        for (section, content) in doc.as_object().unwrap() {
            let Some((kind, name)) = kind_of(section) else {
                continue;
            };
            for (expect_findings, key) in [(true, "bad"), (false, "good")] {
                let items = content.get(key).and_then(Value::as_array);
                for (i, example) in items.into_iter().flatten().enumerate() {
                    let example = example.as_str().unwrap();
                    let label = format!("{file} {section} {key}[{i}]");
                    let parsed = match bulwark_iac::parse_file(
                        std::path::Path::new(name),
                        name,
                        kind,
                        example.as_bytes(),
                    ) {
                        Ok(parsed) => parsed,
                        Err(err) => {
                            failures.push(format!("{label}: parse failed: {err}"));
                            continue;
                        }
                    };
                    examples += 1;
                    let n = match common::count_rule(&parsed, rule_id) {
                        Ok(n) => n,
                        Err(err) => {
                            failures.push(format!("{label}: {err}"));
                            continue;
                        }
                    };
                    if expect_findings && n == 0 {
                        failures.push(format!("{label}: {rule_id} did not fire"));
                    } else if !expect_findings && n > 0 {
                        failures.push(format!("{label}: {rule_id} fired {n} times"));
                    }
                }
            }
        }
    }
    for (label, reason) in KNOWN_DIFFERENCES {
        let before = failures.len();
        failures.retain(|f| !f.starts_with(&format!("{label}:")));
        assert_eq!(
            before - failures.len(),
            1,
            "known difference no longer observed: {label} ({reason})"
        );
    }
    eprintln!("{} trivy checks mapped, {examples} examples", MAPPING.len());
    assert!(examples > 150, "only {examples} examples evaluated");
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
