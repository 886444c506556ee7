//! Compares our checks with Checkov's expected results
//! (checkov/expected/*.json, derived from bridgecrewio/checkov's unit
//! tests): per fixture, the resources Checkov expects to fail must be
//! reported by our corresponding check and the passing ones must not.

mod common;

use std::collections::BTreeSet;

use serde_json::Value;

/// Checkov Terraform check id -> our rule id.
const TERRAFORM_AWS: &[(&str, &str)] = &[
    ("CKV_AWS_3", "misconfig-aws-ebs-unencrypted"),
    ("CKV_AWS_16", "misconfig-aws-rds-unencrypted"),
    ("CKV_AWS_35", "misconfig-aws-cloudtrail-no-kms"),
    ("CKV_AWS_38", "misconfig-aws-eks-public-endpoint"),
    ("CKV_AWS_47", "misconfig-aws-dax-unencrypted"),
    ("CKV_AWS_62", "misconfig-aws-iam-wildcard-action"),
    ("CKV_AWS_79", "misconfig-aws-imdsv1-allowed"),
    ("CKV_AWS_119", "misconfig-aws-dynamodb-no-cmk"),
    ("CKV_AWS_355", "misconfig-aws-iam-wildcard-resource"),
];

/// Resources where we deliberately disagree with Checkov, with the reason.
const KNOWN_DIFFERENCES: &[(&str, &str, &str)] = &[
    ("CKV_AWS_355", "aws_iam_policy.fail", DESCRIBE_ONLY),
    ("CKV_AWS_355", "aws_iam_role_policy.fail", DESCRIBE_ONLY),
    ("CKV_AWS_355", "aws_iam_user_policy.fail", DESCRIBE_ONLY),
    ("CKV_AWS_355", "aws_iam_group_policy.fail", DESCRIBE_ONLY),
    (
        "CKV_AWS_355",
        "aws_ssoadmin_permission_set_inline_policy.fail",
        DESCRIBE_ONLY,
    ),
];

const DESCRIBE_ONLY: &str = "we do not report Resource \"*\" for statements made only of Describe, List and Get actions, which many services require on all resources";

fn records(name: &str) -> Option<Vec<Value>> {
    let path = common::corpus(&format!("config/checkov/expected/{name}.json"))?;
    let doc: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    Some(doc["records"].as_array().unwrap().clone())
}

#[test]
fn checkov_terraform_aws_resources() {
    let Some(records) = records("terraform_aws") else {
        return;
    };
    let fixtures = common::corpus("config/checkov/tests/terraform/checks/resource/aws").unwrap();
    let mut mismatches = Vec::new();
    let mut compared = 0;
    let mut observed_known = 0;
    for (check_id, rule_id) in TERRAFORM_AWS {
        let record = records
            .iter()
            .find(|r| r["check_id"] == *check_id)
            .unwrap_or_else(|| panic!("{check_id} not in expected results"));
        let example = record["example_dirs"][0].as_str().unwrap();
        let parsed = bulwark_iac::parse_terraform_module(&fixtures.join(example), example)
            .unwrap_or_else(|err| panic!("{example}: {err}"));
        let result = common::policies().evaluate(&parsed);
        assert!(result.errors.is_empty(), "{example}: {:?}", result.errors);
        let flagged: BTreeSet<&str> = result
            .findings
            .iter()
            .filter(|f| f.rule_id == *rule_id)
            .filter_map(|f| f.resource.as_deref())
            .collect();
        for test in record["tests"].as_array().unwrap() {
            for (key, expect) in [("failing_resources", true), ("passing_resources", false)] {
                for resource in test[key].as_array().into_iter().flatten() {
                    let resource = resource.as_str().unwrap();
                    compared += 1;
                    if flagged.contains(resource) != expect {
                        let known = KNOWN_DIFFERENCES
                            .iter()
                            .any(|(c, r, _)| c == check_id && *r == resource);
                        if known {
                            observed_known += 1;
                        } else {
                            mismatches.push(format!(
                                "{check_id} {example} {resource}: Checkov {}, {rule_id} {}",
                                if expect { "fails" } else { "passes" },
                                if expect { "silent" } else { "fired" }
                            ));
                        }
                    }
                }
            }
        }
    }
    eprintln!("{compared} Checkov resource verdicts compared");
    assert_eq!(
        observed_known,
        KNOWN_DIFFERENCES.len(),
        "a known difference is no longer observed"
    );
    assert!(compared >= 30, "only {compared} verdicts compared");
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
