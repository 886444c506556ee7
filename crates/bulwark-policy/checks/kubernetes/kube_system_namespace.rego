# METADATA
# title: "Workload in kube-system"
# description: "kube-system holds cluster components and their service accounts. Other workloads there share that trust boundary."
# custom:
#   id: misconfig-k8s-kube-system-namespace
#   severity: MEDIUM
#   input: [kubernetes]
#   remediation: "Deploy application workloads to their own namespace."
#   references:
#     - https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces/
package bulwark.kubernetes.kube_system_namespace

import rego.v1

import data.lib.kubernetes as k8s

deny contains result if {
	k8s.is_workload
	input.metadata.namespace == "kube-system"
	not startswith(object.get(input, ["metadata", "name"], ""), "kube-")
	not object.get(k8s.pod_spec, "priorityClassName", "") in {"system-node-critical", "system-cluster-critical"}
	result := k8s.result(["metadata", "namespace"], sprintf("%s is deployed to kube-system", [k8s.name]))
}
