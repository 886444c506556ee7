# METADATA
# title: "EKS API endpoint open to the internet"
# description: "The cluster's public API endpoint is on (the default) and accepts connections from 0.0.0.0/0 (the default), so anyone can reach the Kubernetes API and try credentials or exploits."
# custom:
#   id: misconfig-aws-eks-public-endpoint
#   severity: CRITICAL
#   input: [terraform, cloudformation]
#   remediation: "Set endpoint_public_access = false, or restrict public_access_cidrs to known ranges."
#   references:
#     - https://docs.aws.amazon.com/eks/latest/userguide/cluster-endpoint.html
package bulwark.aws.eks_public_endpoint

import rego.v1

import data.lib.aws

deny contains result if {
	some cluster in aws.tf_resources("aws_eks_cluster")
	some i, config in aws.blocks(cluster.attrs, "vpc_config")
	not aws.is_false(object.get(config, "endpoint_public_access", true))
	not aws.unknown(object.get(config, "endpoint_public_access", true))
	open_to_all(object.get(config, "public_access_cidrs", ["0.0.0.0/0"]))
	result := aws.result(array.concat(cluster.path, ["vpc_config", i]), sprintf("%s exposes its API endpoint to 0.0.0.0/0", [cluster.address]))
}

deny contains result if {
	some cluster in aws.cfn_resources("AWS::EKS::Cluster")
	config := object.get(cluster.props, "ResourcesVpcConfig", {})
	not aws.is_false(object.get(config, "EndpointPublicAccess", true))
	open_to_all(object.get(config, "PublicAccessCidrs", ["0.0.0.0/0"]))
	result := aws.result(cluster.path, sprintf("Cluster %s exposes its API endpoint to 0.0.0.0/0", [cluster.name]))
}

open_to_all(cidrs) if {
	is_array(cidrs)
	some cidr in cidrs
	aws.open_cidr(cidr)
}

# An empty list means the default, which is 0.0.0.0/0.
open_to_all(cidrs) if {
	is_array(cidrs)
	count(cidrs) == 0
}
