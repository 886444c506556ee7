# METADATA
# title: "CPU request not set"
# description: "Without a CPU request the scheduler cannot place the pod on a node with enough capacity."
# custom:
#   id: misconfig-k8s-cpu-request
#   severity: LOW
#   input: [kubernetes]
#   remediation: "Set resources.requests.cpu."
#   references:
#     - https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/
package bulwark.kubernetes.cpu_request

import rego.v1

import data.lib.kubernetes as k8s

deny contains result if {
	some entry in k8s.containers
	c := entry.container
	not c.resources.requests.cpu
	result := k8s.result(entry.path, sprintf("%s sets no CPU request", [k8s.container_label(entry)]))
}
