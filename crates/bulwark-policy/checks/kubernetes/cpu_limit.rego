# METADATA
# title: "CPU limit not set"
# description: "Without a CPU limit one container can starve others on the node."
# custom:
#   id: misconfig-k8s-cpu-limit
#   severity: LOW
#   input: [kubernetes]
#   remediation: "Set resources.limits.cpu."
#   references:
#     - https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/
#     - https://www.cisecurity.org/benchmark/kubernetes
package bulwark.kubernetes.cpu_limit

import rego.v1

import data.lib.kubernetes as k8s

deny contains result if {
	some entry in k8s.containers
	c := entry.container
	not c.resources.limits.cpu
	result := k8s.result(entry.path, sprintf("%s sets no CPU limit", [k8s.container_label(entry)]))
}
