# METADATA
# title: "runAsNonRoot not set"
# description: "Unless runAsNonRoot is true, the kubelet starts the container as whatever user the image names, which is often root."
# custom:
#   id: misconfig-k8s-run-as-non-root
#   severity: MEDIUM
#   input: [kubernetes]
#   remediation: "Set `securityContext.runAsNonRoot: true` on the pod or on each container."
#   references:
#     - https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted
#     - https://kubernetes.io/docs/tasks/configure-pod-container/security-context/
#   frameworks:
#     pss: ["restricted"]
package bulwark.kubernetes.run_as_non_root

import rego.v1

import data.lib.kubernetes as k8s

deny contains result if {
	some entry in k8s.containers
	not k8s.effective(entry.container, "runAsNonRoot") == true
	not non_root_uid(entry.container)
	result := k8s.result(entry.path, sprintf("%s does not set runAsNonRoot to true", [k8s.container_label(entry)]))
}

non_root_uid(c) if k8s.effective(c, "runAsUser") > 0
