# METADATA
# title: "Instance block device not encrypted"
# description: "The root or an additional EBS block device of an instance or launch configuration is not encrypted, so its data and snapshots are stored in clear text."
# custom:
#   id: misconfig-aws-instance-disk-unencrypted
#   severity: HIGH
#   input: [terraform, cloudformation]
#   remediation: "Set encrypted = true in root_block_device and ebs_block_device (Ebs.Encrypted: true in BlockDeviceMappings)."
#   references:
#     - https://docs.aws.amazon.com/ebs/latest/userguide/ebs-encryption.html
package bulwark.aws.instance_disk_unencrypted

import rego.v1

import data.lib.aws

types := ["aws_instance", "aws_launch_configuration"]

deny contains result if {
	some type in types
	some r in aws.tf_resources(type)
	some field in ["root_block_device", "ebs_block_device"]
	some i, device in aws.blocks(r.attrs, field)
	aws.not_enabled(device, "encrypted")
	not device.snapshot_id
	result := aws.result(array.concat(r.path, [field, i]), sprintf("%s has an unencrypted %s", [r.address, field]))
}

deny contains result if {
	some r in aws.tf_resources("aws_launch_template")
	some i, mapping in aws.blocks(r.attrs, "block_device_mappings")
	some ebs in aws.blocks(mapping, "ebs")
	aws.not_enabled(ebs, "encrypted")
	not ebs.snapshot_id
	result := aws.result(array.concat(r.path, ["block_device_mappings", i]), sprintf("%s has an unencrypted block device", [r.address]))
}

deny contains result if {
	some type in ["AWS::EC2::Instance", "AWS::AutoScaling::LaunchConfiguration"]
	some r in aws.cfn_resources(type)
	some i, mapping in object.get(r.props, "BlockDeviceMappings", [])
	ebs := mapping.Ebs
	aws.not_enabled(ebs, "Encrypted")
	not ebs.SnapshotId
	result := aws.result(array.concat(r.path, ["Properties", "BlockDeviceMappings", i]), sprintf("%s has an unencrypted block device", [r.name]))
}
