# METADATA
# title: "Host network namespace shared"
# description: "With hostNetwork the pod uses the node's network stack, so it can bind node ports, reach services on localhost and sniff traffic, and network policies do not apply to it."
# custom:
#   id: misconfig-k8s-host-network
#   severity: HIGH
#   input: [kubernetes]
#   remediation: "Remove `hostNetwork: true`."
#   references:
#     - https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline
#   frameworks:
#     pss: ["baseline"]
package bulwark.kubernetes.host_network

import rego.v1

import data.lib.kubernetes as k8s

deny contains result if {
	k8s.pod_spec.hostNetwork == true
	result := k8s.result(array.concat(k8s.pod_spec_path, ["hostNetwork"]), sprintf("%s shares the host network namespace", [k8s.name]))
}
