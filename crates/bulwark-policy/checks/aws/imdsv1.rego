# METADATA
# title: "Instance metadata service v1 allowed"
# description: "Unless http_tokens is required, the instance metadata service answers unauthenticated IMDSv1 requests, which server-side request forgery can abuse to steal the instance role's credentials."
# custom:
#   id: misconfig-aws-imdsv1-allowed
#   severity: HIGH
#   input: [terraform, cloudformation]
#   remediation: "Set metadata_options { http_tokens = \"required\" } (MetadataOptions HttpTokens: required)."
#   references:
#     - https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-instance-metadata-service.html
package bulwark.aws.imdsv1

import rego.v1

import data.lib.aws

deny contains result if {
	some type in ["aws_instance", "aws_launch_template", "aws_launch_configuration"]
	some r in aws.tf_resources(type)
	not requires_tokens(aws.blocks(r.attrs, "metadata_options"))
	result := aws.result(r.path, sprintf("%s does not require IMDSv2 session tokens", [r.address]))
}

deny contains result if {
	some r in aws.cfn_resources("AWS::EC2::LaunchTemplate")
	options := object.get(r.props, ["LaunchTemplateData", "MetadataOptions"], {})
	not cfn_requires_tokens(options)
	result := aws.result(r.path, sprintf("Launch template %s does not require IMDSv2 session tokens", [r.name]))
}

deny contains result if {
	some r in aws.cfn_resources("AWS::AutoScaling::LaunchConfiguration")
	options := object.get(r.props, "MetadataOptions", {})
	not cfn_requires_tokens(options)
	result := aws.result(r.path, sprintf("Launch configuration %s does not require IMDSv2 session tokens", [r.name]))
}

requires_tokens(options) if {
	some o in options
	o.http_tokens == "required"
}

requires_tokens(options) if {
	some o in options
	o.http_endpoint == "disabled"
}

requires_tokens(options) if {
	some o in options
	aws.unknown(o.http_tokens)
}

cfn_requires_tokens(options) if options.HttpTokens == "required"

cfn_requires_tokens(options) if options.HttpEndpoint == "disabled"

cfn_requires_tokens(options) if aws.unknown(options.HttpTokens)
