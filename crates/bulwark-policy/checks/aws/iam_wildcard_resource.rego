# METADATA
# title: "IAM policy allows actions on all resources"
# description: "An Allow statement with Resource \"*\" applies its actions to every resource in the account, including ones created later."
# custom:
#   id: misconfig-aws-iam-wildcard-resource
#   severity: MEDIUM
#   input: [terraform, cloudformation]
#   remediation: "Name the resource ARNs the actions apply to."
#   references:
#     - https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege
package bulwark.aws.iam_wildcard_resource

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
	"*" in aws.as_list(object.get(s, "Resource", []))
	not read_only(s)
	result := aws.result(d.path, sprintf("%s allows actions on all resources", [d.name]))
}

# Statements made only of Describe/List/Get actions need "*" for many
# services, so they are not reported.
read_only(s) if {
	actions := aws.as_list(object.get(s, "Action", []))
	count(actions) > 0
	every action in actions {
		regex.match(`^[a-zA-Z0-9-]+:(Describe|List|Get)[A-Za-z*]*$`, action)
	}
}
