# METADATA
# title: "S3 public access block honours public ACLs"
# description: "Unless ignore_public_acls (IgnorePublicAcls in CloudFormation) is true in the bucket's public access block, existing public ACLs still grant access."
# custom:
#   id: misconfig-aws-s3-ignore-public-acls
#   severity: HIGH
#   input: [terraform, cloudformation]
#   remediation: "Set ignore_public_acls = true in aws_s3_bucket_public_access_block, or IgnorePublicAcls: true in PublicAccessBlockConfiguration."
#   references:
#     - https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html
#     - https://www.cisecurity.org/benchmark/amazon_web_services
#   frameworks:
#     cis-aws: ["2.1.4"]
package bulwark.aws.s3_ignore_public_acls

import rego.v1

import data.lib.aws

deny contains result if {
	some block in aws.tf_resources("aws_s3_bucket_public_access_block")
	aws.not_enabled(block.attrs, "ignore_public_acls")
	result := aws.result(block.path, sprintf("%s does not set ignore_public_acls to true", [block.address]))
}

deny contains result if {
	some bucket in aws.tf_resources("aws_s3_bucket")
	not has_block(bucket)
	result := aws.result(bucket.path, sprintf("%s has no public access block, so ignore_public_acls is off", [bucket.address]))
}

deny contains result if {
	some bucket in aws.cfn_resources("AWS::S3::Bucket")
	config := object.get(bucket.props, "PublicAccessBlockConfiguration", {})
	aws.not_enabled(config, "IgnorePublicAcls")
	result := aws.result(bucket.path, sprintf("Bucket %s does not set IgnorePublicAcls to true", [bucket.name]))
}

has_block(bucket) if {
	some block in aws.tf_resources("aws_s3_bucket_public_access_block")
	aws.refers_to(block.attrs.bucket, bucket, object.get(bucket.attrs, "bucket", null))
}
