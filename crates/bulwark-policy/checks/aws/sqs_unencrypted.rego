# METADATA
# title: "SQS queue not encrypted"
# description: "A queue with neither a KMS key nor SQS-managed encryption stores its messages unencrypted."
# custom:
#   id: misconfig-aws-sqs-unencrypted
#   severity: HIGH
#   input: [terraform, cloudformation]
#   remediation: "Set kms_master_key_id or sqs_managed_sse_enabled = true (KmsMasterKeyId or SqsManagedSseEnabled)."
#   references:
#     - https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-server-side-encryption.html
package bulwark.aws.sqs_unencrypted

import rego.v1

import data.lib.aws

deny contains result if {
	some queue in aws.tf_resources("aws_sqs_queue")
	object.get(queue.attrs, "kms_master_key_id", "") == ""
	aws.not_enabled(queue.attrs, "sqs_managed_sse_enabled")
	result := aws.result(queue.path, sprintf("%s is not encrypted", [queue.address]))
}

deny contains result if {
	some queue in aws.cfn_resources("AWS::SQS::Queue")
	object.get(queue.props, "KmsMasterKeyId", "") == ""
	aws.not_enabled(queue.props, "SqsManagedSseEnabled")
	result := aws.result(queue.path, sprintf("Queue %s is not encrypted", [queue.name]))
}
