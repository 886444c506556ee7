# METADATA
# title: "DAX cluster not encrypted at rest"
# description: "A DynamoDB Accelerator cluster without server-side encryption stores cached table data unencrypted on its nodes."
# custom:
#   id: misconfig-aws-dax-unencrypted
#   severity: HIGH
#   input: [terraform, cloudformation]
#   remediation: "Add server_side_encryption { enabled = true } (SSESpecification SSEEnabled: true)."
#   references:
#     - https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/DAXEncryptionAtRest.html
package bulwark.aws.dax_unencrypted

import rego.v1

import data.lib.aws

deny contains result if {
	some cluster in aws.tf_resources("aws_dax_cluster")
	not encrypted(aws.blocks(cluster.attrs, "server_side_encryption"))
	result := aws.result(cluster.path, sprintf("%s is not encrypted at rest", [cluster.address]))
}

deny contains result if {
	some cluster in aws.cfn_resources("AWS::DAX::Cluster")
	aws.not_enabled(object.get(cluster.props, "SSESpecification", {}), "SSEEnabled")
	result := aws.result(cluster.path, sprintf("DAX cluster %s is not encrypted at rest", [cluster.name]))
}

encrypted(blocks) if {
	some b in blocks
	not aws.not_enabled(b, "enabled")
}
