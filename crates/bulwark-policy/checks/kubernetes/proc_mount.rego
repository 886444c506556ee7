# METADATA
# title: "Unmasked /proc mount"
# description: "procMount: Unmasked exposes parts of /proc that the runtime normally hides, such as kernel settings."
# custom:
#   id: misconfig-k8s-proc-mount
#   severity: MEDIUM
#   input: [kubernetes]
#   remediation: "Remove procMount or set it to Default."
#   references:
#     - https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline
#   frameworks:
#     pss: ["baseline"]
package bulwark.kubernetes.proc_mount

import rego.v1

import data.lib.kubernetes as k8s

deny contains result if {
	some entry in k8s.containers
	c := entry.container
	proc_mount := c.securityContext.procMount

	# An explicit null is the same as leaving procMount unset.
	proc_mount != null
	proc_mount != "Default"
	result := k8s.result(array.concat(entry.path, ["securityContext", "procMount"]), sprintf(sprintf("%%s sets procMount to %s", [proc_mount]), [k8s.container_label(entry)]))
}
