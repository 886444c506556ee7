# METADATA
# title: "CloudTrail trail covers one region"
# description: "A single-region trail misses activity in every other region, where an attacker can work unlogged."
# custom:
#   id: misconfig-aws-cloudtrail-single-region
#   severity: MEDIUM
#   input: [terraform, cloudformation]
#   remediation: "Set is_multi_region_trail = true (IsMultiRegionTrail: true)."
#   references:
#     - https://docs.aws.amazon.com/awscloudtrail/latest/userguide/receive-cloudtrail-log-files-from-multiple-regions.html
#     - https://www.cisecurity.org/benchmark/amazon_web_services
#   frameworks:
#     cis-aws: ["3.1"]
package bulwark.aws.cloudtrail_multi_region

import rego.v1

import data.lib.aws

deny contains result if {
	some trail in aws.tf_resources("aws_cloudtrail")
	aws.not_enabled(trail.attrs, "is_multi_region_trail")
	result := aws.result(trail.path, sprintf("%s covers one region only", [trail.address]))
}

deny contains result if {
	some trail in aws.cfn_resources("AWS::CloudTrail::Trail")
	aws.not_enabled(trail.props, "IsMultiRegionTrail")
	result := aws.result(trail.path, sprintf("Trail %s covers one region only", [trail.name]))
}
