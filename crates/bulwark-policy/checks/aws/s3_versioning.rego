# METADATA
# title: "S3 bucket versioning not enabled"
# description: "Without versioning an overwritten or deleted object cannot be recovered, including after ransomware or a mistaken sync."
# custom:
#   id: misconfig-aws-s3-versioning-disabled
#   severity: LOW
#   input: [terraform, cloudformation]
#   remediation: "Enable versioning (versioning_configuration { status = \"Enabled\" }, or VersioningConfiguration Status Enabled)."
#   references:
#     - https://docs.aws.amazon.com/AmazonS3/latest/userguide/Versioning.html
package bulwark.aws.s3_versioning

import rego.v1

import data.lib.aws

deny contains result if {
	some bucket in aws.tf_resources("aws_s3_bucket")
	not inline_versioning(bucket)
	not linked_versioning(bucket)
	not unknown_versioning(bucket)
	result := aws.result(bucket.path, sprintf("%s does not enable versioning", [bucket.address]))
}

deny contains result if {
	some bucket in aws.cfn_resources("AWS::S3::Bucket")
	not object.get(bucket.props, ["VersioningConfiguration", "Status"], "") == "Enabled"
	not aws.unknown(object.get(bucket.props, ["VersioningConfiguration", "Status"], ""))
	result := aws.result(bucket.path, sprintf("Bucket %s does not enable versioning", [bucket.name]))
}

inline_versioning(bucket) if {
	some v in aws.blocks(bucket.attrs, "versioning")
	aws.is_true(v.enabled)
}

unknown_versioning(bucket) if {
	some v in aws.blocks(bucket.attrs, "versioning")
	aws.unknown(v.enabled)
}

linked_versioning(bucket) if {
	some v in aws.tf_resources("aws_s3_bucket_versioning")
	aws.refers_to(v.attrs.bucket, bucket, object.get(bucket.attrs, "bucket", null))
	some config in aws.blocks(v.attrs, "versioning_configuration")
	not config.status in {"Disabled", "Suspended"}
}
