# METADATA
# title: "DynamoDB table without a customer managed key"
# description: "DynamoDB encrypts every table, but with an AWS owned key by default, so key use is not logged in CloudTrail and access cannot be revoked through KMS."
# custom:
#   id: misconfig-aws-dynamodb-no-cmk
#   severity: LOW
#   input: [terraform, cloudformation]
#   remediation: "Add server_side_encryption { enabled = true, kms_key_arn = ... } (SSESpecification with SSEEnabled and KMSMasterKeyId)."
#   references:
#     - https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/EncryptionAtRest.html
package bulwark.aws.dynamodb_no_cmk

import rego.v1

import data.lib.aws

deny contains result if {
	some table in aws.tf_resources("aws_dynamodb_table")
	not customer_key(aws.blocks(table.attrs, "server_side_encryption"))
	result := aws.result(table.path, sprintf("%s does not use a customer managed KMS key", [table.address]))
}

deny contains result if {
	some table in aws.cfn_resources("AWS::DynamoDB::Table")
	aws.not_enabled(object.get(table.props, "SSESpecification", {}), "SSEEnabled")
	result := aws.result(table.path, sprintf("Table %s does not use a KMS key", [table.name]))
}

customer_key(blocks) if {
	some b in blocks
	not aws.not_enabled(b, "enabled")
	key := object.get(b, "kms_key_arn", "")
	key != ""
	key != "alias/aws/dynamodb"
}
