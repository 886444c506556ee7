# METADATA
# title: "Security group allows SSH from the internet"
# description: "A security group rule allows SSH (port 22) from 0.0.0.0/0 or ::/0, so anyone on the internet can reach it and try credentials or exploits."
# custom:
#   id: misconfig-aws-sg-ssh-open
#   severity: CRITICAL
#   input: [terraform, cloudformation]
#   remediation: "Restrict the rule's CIDR to known address ranges, or reach hosts through a bastion, VPN or Systems Manager Session Manager."
#   references:
#     - https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html
#     - https://www.cisecurity.org/benchmark/amazon_web_services
#   frameworks:
#     cis-aws: ["5.2"]
package bulwark.aws.sg_ssh_open

import rego.v1

import data.lib.aws

deny contains result if {
	some rule in aws.ingress_rules
	aws.public(rule)
	not aws.all_ports(rule)
	aws.covers_port(rule, 22)
	result := aws.result(rule.path, sprintf("%s allows SSH (22) from anywhere", [rule.name]))
}
