# METADATA
# title: "Container UID not above 10000"
# description: "A UID of 10000 or less may collide with a user that exists on the node, so a breakout gets that user's rights. Without runAsUser the image decides, which is usually a low UID."
# custom:
#   id: misconfig-k8s-low-uid
#   severity: LOW
#   input: [kubernetes]
#   remediation: "Set runAsUser to a value above 10000."
#   references:
#     - https://kubernetes.io/docs/tasks/configure-pod-container/security-context/
package bulwark.kubernetes.low_uid

import rego.v1

import data.lib.kubernetes as k8s

deny contains result if {
	not in_user_namespace
	some entry in k8s.containers
	uid := k8s.effective(entry.container, "runAsUser")
	uid <= 10000
	result := k8s.result(entry.path, sprintf("%s runs as UID %v", [k8s.container_label(entry), uid]))
}

deny contains result if {
	not in_user_namespace
	some entry in k8s.containers
	not k8s.effective(entry.container, "runAsUser")
	result := k8s.result(entry.path, sprintf("%s sets no runAsUser, so the image's user applies", [k8s.container_label(entry)]))
}

# With hostUsers: false the pod gets its own user namespace, so its UIDs map
# to unprivileged host UIDs and cannot collide with host users.
in_user_namespace if k8s.pod_spec.hostUsers == false
