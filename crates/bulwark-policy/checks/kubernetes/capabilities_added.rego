# METADATA
# title: "Capabilities added beyond the baseline set"
# description: "The baseline Pod Security Standard allows adding only the default runtime capabilities. Others, such as NET_ADMIN or SYS_PTRACE, widen what the container can do to the node."
# custom:
#   id: misconfig-k8s-capabilities-added
#   severity: MEDIUM
#   input: [kubernetes]
#   remediation: "Remove capabilities outside AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, MKNOD, NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID and SYS_CHROOT from capabilities.add."
#   references:
#     - https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline
#   frameworks:
#     pss: ["baseline"]
package bulwark.kubernetes.capabilities_added

import rego.v1

import data.lib.kubernetes as k8s

deny contains result if {
	some entry in k8s.containers
	c := entry.container
	some i, cap in object.get(c, ["securityContext", "capabilities", "add"], [])
	# Names compare exactly, as the Pod Security admission compares them.
	not cap in baseline_capabilities
	result := k8s.result(array.concat(entry.path, ["securityContext", "capabilities", "add", i]), sprintf(sprintf("%%s adds capability %s", [cap]), [k8s.container_label(entry)]))
}

baseline_capabilities := {
	"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
	"NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
}
