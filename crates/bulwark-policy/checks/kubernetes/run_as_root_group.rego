# METADATA
# title: "Container runs with GID 0"
# description: "runAsGroup, fsGroup or supplementalGroups of 0 gives the process the root group, which owns many files on the node."
# custom:
#   id: misconfig-k8s-root-group
#   severity: LOW
#   input: [kubernetes]
#   remediation: "Use non-zero group ids."
#   references:
#     - https://kubernetes.io/docs/tasks/configure-pod-container/security-context/
package bulwark.kubernetes.run_as_root_group

import rego.v1

import data.lib.kubernetes as k8s

deny contains result if {
	some entry in k8s.containers
	k8s.effective(entry.container, "runAsGroup") == 0
	result := k8s.result(entry.path, sprintf("%s runs with GID 0", [k8s.container_label(entry)]))
}

deny contains result if {
	k8s.pod_security_context.fsGroup == 0
	result := k8s.result(array.concat(k8s.pod_spec_path, ["securityContext", "fsGroup"]), sprintf("%s sets fsGroup to 0", [k8s.name]))
}

deny contains result if {
	0 in k8s.pod_security_context.supplementalGroups
	result := k8s.result(array.concat(k8s.pod_spec_path, ["securityContext", "supplementalGroups"]), sprintf("%s sets supplementalGroups to include 0", [k8s.name]))
}
