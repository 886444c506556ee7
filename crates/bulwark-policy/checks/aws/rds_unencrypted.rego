# METADATA
# title: "RDS storage not encrypted"
# description: "An RDS instance or cluster without storage encryption keeps its data, backups and snapshots in clear text. Encryption cannot be turned on later without a copy."
# custom:
#   id: misconfig-aws-rds-unencrypted
#   severity: HIGH
#   input: [terraform, cloudformation]
#   remediation: "Set storage_encrypted = true (StorageEncrypted: true)."
#   references:
#     - https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Overview.Encryption.html
#     - https://www.cisecurity.org/benchmark/amazon_web_services
#   frameworks:
#     cis-aws: ["2.3.1"]
package bulwark.aws.rds_unencrypted

import rego.v1

import data.lib.aws

deny contains result if {
	some db in aws.tf_resources("aws_db_instance")
	aws.not_enabled(db.attrs, "storage_encrypted")
	not db.attrs.replicate_source_db
	not startswith(object.get(db.attrs, "engine", ""), "aurora")
	result := aws.result(db.path, sprintf("%s does not encrypt its storage", [db.address]))
}

deny contains result if {
	some db in aws.tf_resources("aws_rds_cluster")
	aws.not_enabled(db.attrs, "storage_encrypted")
	not db.attrs.replication_source_identifier
	result := aws.result(db.path, sprintf("%s does not encrypt its storage", [db.address]))
}

deny contains result if {
	some type in ["AWS::RDS::DBInstance", "AWS::RDS::DBCluster"]
	some db in aws.cfn_resources(type)
	aws.not_enabled(db.props, "StorageEncrypted")
	not db.props.SourceDBInstanceIdentifier
	not db.props.DBClusterIdentifier
	result := aws.result(db.path, sprintf("%s does not encrypt its storage", [db.name]))
}
