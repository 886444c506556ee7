# METADATA
# title: "Capabilities not dropped"
# description: "Containers start with a default set of Linux capabilities. Dropping ALL and adding back only what is needed limits what a compromised process can do."
# custom:
#   id: misconfig-k8s-capabilities-no-drop-all
#   severity: LOW
#   input: [kubernetes]
#   remediation: "Add `securityContext.capabilities.drop: [\"ALL\"]` to every container."
#   references:
#     - https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted
#     - https://kubernetes.io/docs/tasks/configure-pod-container/security-context/#set-capabilities-for-a-container
#   frameworks:
#     pss: ["restricted"]
package bulwark.kubernetes.capabilities_no_drop_all

import rego.v1

import data.lib.kubernetes as k8s

deny contains result if {
	some entry in k8s.containers
	c := entry.container
	not drops_all(c)
	result := k8s.result(entry.path, sprintf("%s does not drop ALL capabilities", [k8s.container_label(entry)]))
}

drops_all(c) if {
	some cap in c.securityContext.capabilities.drop
	upper(cap) == "ALL"
}
