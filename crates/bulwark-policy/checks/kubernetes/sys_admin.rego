# METADATA
# title: "SYS_ADMIN capability added"
# description: "SYS_ADMIN allows mounting file systems, changing namespaces and many other operations that amount to root on the node."
# custom:
#   id: misconfig-k8s-sys-admin
#   severity: HIGH
#   input: [kubernetes]
#   remediation: "Remove SYS_ADMIN from capabilities.add."
#   references:
#     - https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline
#   frameworks:
#     pss: ["baseline"]
package bulwark.kubernetes.sys_admin

import rego.v1

import data.lib.kubernetes as k8s

deny contains result if {
	some entry in k8s.containers
	c := entry.container
	some i, cap in object.get(c, ["securityContext", "capabilities", "add"], [])
	upper(trim_prefix(cap, "CAP_")) in {"SYS_ADMIN", "ALL"}
	result := k8s.result(array.concat(entry.path, ["securityContext", "capabilities", "add", i]), sprintf(sprintf("%%s adds %s", [cap]), [k8s.container_label(entry)]))
}
