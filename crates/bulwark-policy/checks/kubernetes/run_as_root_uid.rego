# METADATA
# title: "Container runs with UID 0"
# description: "runAsUser: 0 runs the container as root, overriding the image's USER."
# custom:
#   id: misconfig-k8s-run-as-root-uid
#   severity: HIGH
#   input: [kubernetes]
#   remediation: "Set runAsUser to a non-zero UID."
#   references:
#     - https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted
#     - https://kubernetes.io/docs/tasks/configure-pod-container/security-context/
#   frameworks:
#     pss: ["restricted"]
package bulwark.kubernetes.run_as_root_uid

import rego.v1

import data.lib.kubernetes as k8s

deny contains result if {
	some entry in k8s.containers
	c := entry.container
	k8s.effective(c, "runAsUser") == 0
	result := k8s.result(entry.path, sprintf("%s runs as UID 0", [k8s.container_label(entry)]))
}

# A forbidden pod-level value is reported even when every container sets
# its own, as the Pod Security admission rejects such a pod. When a
# container inherits it, the rule above reports that container instead.
deny contains result if {
	k8s.pod_security_context.runAsUser == 0
	every entry in k8s.containers {
		k8s.has_field(object.get(entry.container, "securityContext", {}), "runAsUser")
	}
	result := k8s.result(array.concat(k8s.pod_spec_path, ["securityContext", "runAsUser"]), sprintf("%s sets UID 0 for the pod, and no container inherits it", [k8s.name]))
}
