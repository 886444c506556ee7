# METADATA
# title: "Workload in the default namespace"
# description: "Workloads in the default namespace share it with everything deployed without a namespace, which makes RBAC and network policy separation hard."
# custom:
#   id: misconfig-k8s-default-namespace
#   severity: LOW
#   input: [kubernetes]
#   remediation: "Deploy into a dedicated namespace."
#   references:
#     - https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces/
#     - https://www.cisecurity.org/benchmark/kubernetes
#   frameworks:
#     cis-kubernetes: ["5.7.4"]
package bulwark.kubernetes.default_namespace

import rego.v1

import data.lib.kubernetes as k8s

deny contains result if {
	k8s.is_workload
	input.metadata.namespace == "default"
	result := k8s.result(["metadata", "namespace"], sprintf("%s is in the default namespace", [k8s.name]))
}
