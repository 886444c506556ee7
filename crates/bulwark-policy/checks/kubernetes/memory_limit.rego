# METADATA
# title: "Memory limit not set"
# description: "Without a memory limit one container can exhaust the node's memory and cause other pods to be evicted."
# custom:
#   id: misconfig-k8s-memory-limit
#   severity: LOW
#   input: [kubernetes]
#   remediation: "Set resources.limits.memory."
#   references:
#     - https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/
#     - https://www.cisecurity.org/benchmark/kubernetes
package bulwark.kubernetes.memory_limit

import rego.v1

import data.lib.kubernetes as k8s

deny contains result if {
	some entry in k8s.containers
	c := entry.container
	not c.resources.limits.memory
	result := k8s.result(entry.path, sprintf("%s sets no memory limit", [k8s.container_label(entry)]))
}
