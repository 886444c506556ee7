# METADATA
# title: "SNS topic not encrypted"
# description: "A topic without a KMS key stores published messages unencrypted until delivery."
# custom:
#   id: misconfig-aws-sns-unencrypted
#   severity: HIGH
#   input: [terraform, cloudformation]
#   remediation: "Set kms_master_key_id (KmsMasterKeyId), for example to alias/aws/sns."
#   references:
#     - https://docs.aws.amazon.com/sns/latest/dg/sns-server-side-encryption.html
package bulwark.aws.sns_unencrypted

import rego.v1

import data.lib.aws

deny contains result if {
	some topic in aws.tf_resources("aws_sns_topic")
	object.get(topic.attrs, "kms_master_key_id", "") == ""
	result := aws.result(topic.path, sprintf("%s is not encrypted", [topic.address]))
}

deny contains result if {
	some topic in aws.cfn_resources("AWS::SNS::Topic")
	object.get(topic.props, "KmsMasterKeyId", "") == ""
	result := aws.result(topic.path, sprintf("Topic %s is not encrypted", [topic.name]))
}
