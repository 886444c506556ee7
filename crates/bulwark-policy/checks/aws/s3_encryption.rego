# METADATA
# title: "S3 bucket without default encryption"
# description: "The bucket declares no server-side encryption configuration. AWS now applies SSE-S3 by default, but an explicit configuration documents the choice and allows KMS keys."
# custom:
#   id: misconfig-aws-s3-no-encryption
#   severity: HIGH
#   input: [terraform, cloudformation]
#   remediation: "Add a server_side_encryption_configuration (or aws_s3_bucket_server_side_encryption_configuration) with an sse_algorithm, or BucketEncryption in CloudFormation."
#   references:
#     - https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-encryption.html
#     - https://www.cisecurity.org/benchmark/amazon_web_services
#   frameworks:
#     cis-aws: ["2.1.1"]
package bulwark.aws.s3_encryption

import rego.v1

import data.lib.aws

deny contains result if {
	some bucket in aws.tf_resources("aws_s3_bucket")
	not inline_encryption(bucket)
	not linked_encryption(bucket)
	result := aws.result(bucket.path, sprintf("%s has no server-side encryption configuration", [bucket.address]))
}

deny contains result if {
	some bucket in aws.cfn_resources("AWS::S3::Bucket")
	not cfn_encryption(bucket)
	result := aws.result(bucket.path, sprintf("Bucket %s has no BucketEncryption", [bucket.name]))
}

has_algorithm(rules) if {
	some rule in rules
	some by_default in aws.blocks(rule, "apply_server_side_encryption_by_default")
	by_default.sse_algorithm
}

inline_encryption(bucket) if {
	some config in aws.blocks(bucket.attrs, "server_side_encryption_configuration")
	has_algorithm(aws.blocks(config, "rule"))
}

linked_encryption(bucket) if {
	some config in aws.tf_resources("aws_s3_bucket_server_side_encryption_configuration")
	aws.refers_to(config.attrs.bucket, bucket, object.get(bucket.attrs, "bucket", null))
	has_algorithm(aws.blocks(config.attrs, "rule"))
}

cfn_encryption(bucket) if {
	some rule in bucket.props.BucketEncryption.ServerSideEncryptionConfiguration
	rule.ServerSideEncryptionByDefault.SSEAlgorithm
}
