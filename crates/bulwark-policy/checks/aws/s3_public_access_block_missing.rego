# METADATA
# title: "S3 bucket without a public access block"
# description: "A bucket without its own public access block relies on account-level settings to stop a public ACL or policy from exposing it."
# custom:
#   id: misconfig-aws-s3-public-access-block-missing
#   severity: LOW
#   input: [terraform, cloudformation]
#   remediation: "Add an aws_s3_bucket_public_access_block for the bucket, or PublicAccessBlockConfiguration in CloudFormation."
#   references:
#     - https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html
package bulwark.aws.s3_public_access_block_missing

import rego.v1

import data.lib.aws

deny contains result if {
	some bucket in aws.tf_resources("aws_s3_bucket")
	not has_block(bucket)
	result := aws.result(bucket.path, sprintf("%s has no aws_s3_bucket_public_access_block", [bucket.address]))
}

deny contains result if {
	some bucket in aws.cfn_resources("AWS::S3::Bucket")
	not bucket.props.PublicAccessBlockConfiguration
	result := aws.result(bucket.path, sprintf("Bucket %s has no PublicAccessBlockConfiguration", [bucket.name]))
}

has_block(bucket) if {
	some block in aws.tf_resources("aws_s3_bucket_public_access_block")
	aws.refers_to(block.attrs.bucket, bucket, object.get(bucket.attrs, "bucket", null))
}
