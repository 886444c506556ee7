# METADATA
# title: "Memory request not set"
# description: "Without a memory request the scheduler cannot place the pod on a node with enough memory."
# custom:
#   id: misconfig-k8s-memory-request
#   severity: LOW
#   input: [kubernetes]
#   remediation: "Set resources.requests.memory."
#   references:
#     - https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/
package bulwark.kubernetes.memory_request

import rego.v1

import data.lib.kubernetes as k8s

deny contains result if {
	some entry in k8s.containers
	c := entry.container
	not c.resources.requests.memory
	result := k8s.result(entry.path, sprintf("%s sets no memory request", [k8s.container_label(entry)]))
}
