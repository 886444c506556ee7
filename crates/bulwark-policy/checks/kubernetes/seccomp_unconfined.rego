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

# A forbidden pod-level value is reported even when every container sets
# its own, as the Pod Security admission rejects such a pod. When a
# container inherits it, the rule above reports that container instead.
deny contains result if {
	k8s.pod_security_context.seccompProfile.type == "Unconfined"
	every entry in k8s.containers {
		k8s.has_field(object.get(entry.container, "securityContext", {}), "seccompProfile")
	}
	result := k8s.result(array.concat(k8s.pod_spec_path, ["securityContext", "seccompProfile", "type"]), sprintf("%s sets the Unconfined seccomp profile for the pod, and no container inherits it", [k8s.name]))
}
