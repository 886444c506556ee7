# METADATA
# title: "Seccomp profile Unconfined"
# description: "An Unconfined seccomp profile lets the container call every system call, including those used in kernel exploits."
# custom:
#   id: misconfig-k8s-seccomp-unconfined
#   severity: HIGH
#   input: [kubernetes]
#   remediation: "Use `seccompProfile.type: RuntimeDefault` or a Localhost profile."
#   references:
#     - https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline
#     - https://kubernetes.io/docs/tutorials/security/seccomp/
#   frameworks:
#     pss: ["baseline"]
package bulwark.kubernetes.seccomp_unconfined

import rego.v1

import data.lib.kubernetes as k8s

deny contains result if {
	some entry in k8s.containers
	c := entry.container
	k8s.effective(c, "seccompProfile").type == "Unconfined"
	result := k8s.result(entry.path, sprintf("%s uses the Unconfined seccomp profile", [k8s.container_label(entry)]))
}
