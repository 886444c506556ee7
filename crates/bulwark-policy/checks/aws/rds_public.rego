# METADATA
# title: "RDS instance publicly accessible"
# description: "publicly_accessible gives the database a public DNS name and address, so only security groups stand between it and the internet."
# custom:
#   id: misconfig-aws-rds-public
#   severity: CRITICAL
#   input: [terraform, cloudformation]
#   remediation: "Set publicly_accessible = false (PubliclyAccessible: false)."
#   references:
#     - https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_VPC.WorkingWithRDSInstanceinaVPC.html#USER_VPC.Hiding
#     - https://www.cisecurity.org/benchmark/amazon_web_services
#   frameworks:
#     cis-aws: ["2.3.3"]
package bulwark.aws.rds_public

import rego.v1

import data.lib.aws

deny contains result if {
	some type in ["aws_db_instance", "aws_rds_cluster_instance"]
	some db in aws.tf_resources(type)
	aws.is_true(db.attrs.publicly_accessible)
	result := aws.result(array.concat(db.path, ["publicly_accessible"]), sprintf("%s is publicly accessible", [db.address]))
}

deny contains result if {
	some db in aws.cfn_resources("AWS::RDS::DBInstance")
	aws.is_true(db.props.PubliclyAccessible)
	result := aws.result(array.concat(db.path, ["Properties", "PubliclyAccessible"]), sprintf("DB instance %s is publicly accessible", [db.name]))
}
