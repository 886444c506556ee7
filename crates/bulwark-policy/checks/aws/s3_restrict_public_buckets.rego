# METADATA
# title: "S3 public access block does not restrict public buckets"
# description: "Unless restrict_public_buckets (RestrictPublicBuckets in CloudFormation) is true in the bucket's public access block, a public bucket policy still grants anonymous and cross-account access."
# custom:
#   id: misconfig-aws-s3-restrict-public-buckets
#   severity: HIGH
#   input: [terraform, cloudformation]
#   remediation: "Set restrict_public_buckets = true in aws_s3_bucket_public_access_block, or RestrictPublicBuckets: true in PublicAccessBlockConfiguration."
#   references:
#     - https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html
#     - https://www.cisecurity.org/benchmark/amazon_web_services
#   frameworks:
#     cis-aws: ["2.1.4"]
package bulwark.aws.s3_restrict_public_buckets

import rego.v1

import data.lib.aws

deny contains result if {
	some block in aws.tf_resources("aws_s3_bucket_public_access_block")
	aws.not_enabled(block.attrs, "restrict_public_buckets")
	result := aws.result(block.path, sprintf("%s does not set restrict_public_buckets to true", [block.address]))
}

deny contains result if {
	some bucket in aws.tf_resources("aws_s3_bucket")
	not has_block(bucket)
	result := aws.result(bucket.path, sprintf("%s has no public access block, so restrict_public_buckets is off", [bucket.address]))
}

deny contains result if {
	some bucket in aws.cfn_resources("AWS::S3::Bucket")
	config := object.get(bucket.props, "PublicAccessBlockConfiguration", {})
	aws.not_enabled(config, "RestrictPublicBuckets")
	result := aws.result(bucket.path, sprintf("Bucket %s does not set RestrictPublicBuckets to true", [bucket.name]))
}

has_block(bucket) if {
	some block in aws.tf_resources("aws_s3_bucket_public_access_block")
	aws.refers_to(block.attrs.bucket, bucket, object.get(bucket.attrs, "bucket", null))
}
