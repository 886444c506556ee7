# METADATA
# title: "Windows HostProcess container"
# description: "A Windows HostProcess container runs directly on the node with the node's privileges."
# custom:
#   id: misconfig-k8s-windows-host-process
#   severity: HIGH
#   input: [kubernetes]
#   remediation: "Remove windowsOptions.hostProcess."
#   references:
#     - https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline
#   frameworks:
#     pss: ["baseline"]
package bulwark.kubernetes.windows_host_process

import rego.v1

import data.lib.kubernetes as k8s

deny contains result if {
	some entry in k8s.containers
	c := entry.container
	k8s.effective(c, "windowsOptions").hostProcess == true
	result := k8s.result(entry.path, sprintf("%s is a Windows HostProcess container", [k8s.container_label(entry)]))
}
