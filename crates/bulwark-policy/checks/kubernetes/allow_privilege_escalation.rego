# METADATA
# title: "Privilege escalation allowed"
# description: "Unless allowPrivilegeEscalation is false, a process can gain more privileges than its parent through setuid binaries or file capabilities."
# custom:
#   id: misconfig-k8s-allow-privilege-escalation
#   severity: MEDIUM
#   input: [kubernetes]
#   remediation: "Set `securityContext.allowPrivilegeEscalation: false` in every container."
#   references:
#     - https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted
#     - https://kubernetes.io/docs/tasks/configure-pod-container/security-context/
#   frameworks:
#     pss: ["restricted"]
package bulwark.kubernetes.allow_privilege_escalation

import rego.v1

import data.lib.kubernetes as k8s

deny contains result if {
	some entry in k8s.containers
	c := entry.container
	not c.securityContext.allowPrivilegeEscalation == false
	result := k8s.result(entry.path, sprintf("%s does not set securityContext.allowPrivilegeEscalation to false", [k8s.container_label(entry)]))
}
