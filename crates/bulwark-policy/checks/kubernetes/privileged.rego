# METADATA
# title: "Privileged container"
# description: "A privileged container has all capabilities and access to every host device, so a compromise of it is a compromise of the node."
# custom:
#   id: misconfig-k8s-privileged
#   severity: HIGH
#   input: [kubernetes]
#   remediation: "Remove `securityContext.privileged: true` or set it to false."
#   references:
#     - https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline
#     - https://kubernetes.io/docs/tasks/configure-pod-container/security-context/
#   frameworks:
#     pss: ["baseline"]
package bulwark.kubernetes.privileged

import rego.v1

import data.lib.kubernetes as k8s

deny contains result if {
	some entry in k8s.containers
	c := entry.container
	c.securityContext.privileged == true
	result := k8s.result(array.concat(entry.path, ["securityContext", "privileged"]), sprintf("%s is privileged", [k8s.container_label(entry)]))
}
