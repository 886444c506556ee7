# METADATA
# title: "CloudTrail log file validation off"
# description: "Without log file validation, changes to or deletion of delivered CloudTrail logs cannot be detected."
# custom:
#   id: misconfig-aws-cloudtrail-log-validation
#   severity: HIGH
#   input: [terraform, cloudformation]
#   remediation: "Set enable_log_file_validation = true (EnableLogFileValidation: true)."
#   references:
#     - https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-validation-intro.html
#     - https://www.cisecurity.org/benchmark/amazon_web_services
#   frameworks:
#     cis-aws: ["3.2"]
package bulwark.aws.cloudtrail_log_validation

import rego.v1

import data.lib.aws

deny contains result if {
	some trail in aws.tf_resources("aws_cloudtrail")
	aws.not_enabled(trail.attrs, "enable_log_file_validation")
	result := aws.result(trail.path, sprintf("%s does not validate log files", [trail.address]))
}

deny contains result if {
	some trail in aws.cfn_resources("AWS::CloudTrail::Trail")
	aws.not_enabled(trail.props, "EnableLogFileValidation")
	result := aws.result(trail.path, sprintf("Trail %s does not validate log files", [trail.name]))
}
