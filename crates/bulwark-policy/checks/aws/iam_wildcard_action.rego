# METADATA
# title: "IAM policy allows all actions"
# description: "An Allow statement with Action \"*\" or \"service:*\" grants every current and future action of the service, far beyond what a workload needs."
# custom:
#   id: misconfig-aws-iam-wildcard-action
#   severity: HIGH
#   input: [terraform, cloudformation]
#   remediation: "List the specific actions the principal needs."
#   references:
#     - https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege
#     - https://www.cisecurity.org/benchmark/amazon_web_services
#   frameworks:
#     cis-aws: ["1.16"]
package bulwark.aws.iam_wildcard_action

import rego.v1

import data.lib.aws

# Policy documents as {"doc", "path", "name"}.
documents contains {"doc": r.attrs.policy, "path": array.concat(r.path, ["policy"]), "name": r.address} if {
	some type in ["aws_iam_policy", "aws_iam_role_policy", "aws_iam_user_policy", "aws_iam_group_policy", "aws_s3_bucket_policy", "aws_sqs_queue_policy", "aws_sns_topic_policy"]
	some r in aws.tf_resources(type)
}

documents contains {"doc": r.attrs.inline_policy, "path": array.concat(r.path, ["inline_policy"]), "name": r.address} if {
	some r in aws.tf_resources("aws_ssoadmin_permission_set_inline_policy")
}

documents contains {"doc": r.attrs.inline_policy[i].policy, "path": array.concat(r.path, ["inline_policy", i]), "name": r.address} if {
	some r in aws.tf_resources("aws_iam_role")
	some i, _ in aws.blocks(r.attrs, "inline_policy")
}

# aws_iam_policy_document data sources: statement blocks with plural keys.
documents contains {"doc": {"Statement": [s |
	some st in aws.blocks(d.attrs, "statement")
	s := {"Effect": object.get(st, "effect", "Allow"), "Action": object.get(st, "actions", []), "Resource": object.get(st, "resources", [])}
]}, "path": d.path, "name": d.address} if {
	some d in aws.tf_data("aws_iam_policy_document")
}

documents contains {"doc": r.props.PolicyDocument, "path": array.concat(r.path, ["Properties", "PolicyDocument"]), "name": r.name} if {
	some type in ["AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"]
	some r in aws.cfn_resources(type)
}

documents contains {"doc": p.PolicyDocument, "path": array.concat(r.path, ["Properties", "Policies", i]), "name": r.name} if {
	some type in ["AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group"]
	some r in aws.cfn_resources(type)
	some i, p in object.get(r.props, "Policies", [])
}

allow_statements contains [d, s] if {
	some d in documents
	some s in aws.policy_statements(d.doc)
	object.get(s, "Effect", "Allow") == "Allow"
}

deny contains result if {
	some [d, s] in allow_statements
	some action in aws.as_list(object.get(s, "Action", []))
	regex.match(`^(\*|[a-zA-Z0-9-]+:\*)$`, action)
	result := aws.result(d.path, sprintf("%s allows the wildcard action %s", [d.name, action]))
}
