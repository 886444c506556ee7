# METADATA
# title: "EBS volume not encrypted"
# description: "An unencrypted EBS volume stores its data and snapshots in clear text."
# custom:
#   id: misconfig-aws-ebs-unencrypted
#   severity: HIGH
#   input: [terraform, cloudformation]
#   remediation: "Set encrypted = true (Encrypted: true), or turn on EBS encryption by default for the account."
#   references:
#     - https://docs.aws.amazon.com/ebs/latest/userguide/ebs-encryption.html
#     - https://www.cisecurity.org/benchmark/amazon_web_services
#   frameworks:
#     cis-aws: ["2.2.1"]
package bulwark.aws.ebs_unencrypted

import rego.v1

import data.lib.aws

deny contains result if {
	some volume in aws.tf_resources("aws_ebs_volume")
	aws.not_enabled(volume.attrs, "encrypted")
	result := aws.result(volume.path, sprintf("%s is not encrypted", [volume.address]))
}

deny contains result if {
	some volume in aws.cfn_resources("AWS::EC2::Volume")
	aws.not_enabled(volume.props, "Encrypted")
	result := aws.result(volume.path, sprintf("Volume %s is not encrypted", [volume.name]))
}
