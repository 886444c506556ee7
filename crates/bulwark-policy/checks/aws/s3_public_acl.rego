# METADATA
# title: "S3 bucket ACL grants public access"
# description: "A canned ACL of public-read, public-read-write or authenticated-read lets anyone (or any AWS account) list or change the bucket's objects."
# custom:
#   id: misconfig-aws-s3-public-acl
#   severity: HIGH
#   input: [terraform, cloudformation]
#   remediation: "Use the private ACL, or disable ACLs with object ownership BucketOwnerEnforced."
#   references:
#     - https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html#canned-acl
#     - https://www.cisecurity.org/benchmark/amazon_web_services
package bulwark.aws.s3_public_acl

import rego.v1

import data.lib.aws

public_acls := {"public-read", "public-read-write", "authenticated-read"}

public_cfn := {"PublicRead", "PublicReadWrite", "AuthenticatedRead"}

deny contains result if {
	some type in ["aws_s3_bucket", "aws_s3_bucket_acl"]
	some r in aws.tf_resources(type)
	r.attrs.acl in public_acls
	result := aws.result(array.concat(r.path, ["acl"]), sprintf("%s sets the ACL %s", [r.address, r.attrs.acl]))
}

deny contains result if {
	some bucket in aws.cfn_resources("AWS::S3::Bucket")
	bucket.props.AccessControl in public_cfn
	result := aws.result(array.concat(bucket.path, ["Properties", "AccessControl"]), sprintf("Bucket %s sets AccessControl %s", [bucket.name, bucket.props.AccessControl]))
}
