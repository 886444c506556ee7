# METADATA
# title: "CloudTrail logs not encrypted with KMS"
# description: "Without a KMS key, CloudTrail logs get only S3's default encryption, so anyone with read access to the bucket can read them."
# custom:
#   id: misconfig-aws-cloudtrail-no-kms
#   severity: HIGH
#   input: [terraform, cloudformation]
#   remediation: "Set kms_key_id (KmsKeyId) to a customer managed key."
#   references:
#     - https://docs.aws.amazon.com/awscloudtrail/latest/userguide/encrypting-cloudtrail-log-files-with-aws-kms.html
#     - https://www.cisecurity.org/benchmark/amazon_web_services
#   frameworks:
#     cis-aws: ["3.5"]
package bulwark.aws.cloudtrail_kms

import rego.v1

import data.lib.aws

deny contains result if {
	some trail in aws.tf_resources("aws_cloudtrail")
	object.get(trail.attrs, "kms_key_id", "") == ""
	result := aws.result(trail.path, sprintf("%s does not encrypt logs with a KMS key", [trail.address]))
}

deny contains result if {
	some trail in aws.cfn_resources("AWS::CloudTrail::Trail")
	object.get(trail.props, "KmsKeyId", "") == ""
	result := aws.result(trail.path, sprintf("Trail %s does not encrypt logs with a KMS key", [trail.name]))
}
