# METADATA
# title: "Root file system writable"
# description: "A writable root file system lets an attacker drop tools or change binaries in the running container."
# custom:
#   id: misconfig-k8s-read-only-root-fs
#   severity: LOW
#   input: [kubernetes]
#   remediation: "Set `securityContext.readOnlyRootFilesystem: true` and mount emptyDir volumes where the program writes."
#   references:
#     - https://kubernetes.io/docs/tasks/configure-pod-container/security-context/
#     - https://www.cisecurity.org/benchmark/kubernetes
package bulwark.kubernetes.read_only_root_fs

import rego.v1

import data.lib.kubernetes as k8s

deny contains result if {
	some entry in k8s.containers
	c := entry.container
	not c.securityContext.readOnlyRootFilesystem == true
	result := k8s.result(entry.path, sprintf("%s does not set readOnlyRootFilesystem to true", [k8s.container_label(entry)]))
}
