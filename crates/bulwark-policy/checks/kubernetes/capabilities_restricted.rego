# METADATA
# title: "Capabilities added beyond NET_BIND_SERVICE"
# description: "The restricted Pod Security Standard allows a container to add only NET_BIND_SERVICE. Every other added capability, even one of the runtime defaults such as CHOWN, fails the restricted level."
# custom:
#   id: misconfig-k8s-capabilities-restricted
#   severity: LOW
#   input: [kubernetes]
#   remediation: "Drop ALL capabilities and add back only NET_BIND_SERVICE, when the process binds a port below 1024."
#   references:
#     - https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted
#   frameworks:
#     pss: ["restricted"]
package bulwark.kubernetes.capabilities_restricted

import rego.v1

import data.lib.kubernetes as k8s

# Names compare exactly, as the Pod Security admission compares them:
# `CAP_NET_BIND_SERVICE` or `net_bind_service` is not the allowed name.
deny contains result if {
	some entry in k8s.containers
	c := entry.container
	some i, cap in object.get(c, ["securityContext", "capabilities", "add"], [])
	cap != "NET_BIND_SERVICE"
	result := k8s.result(array.concat(entry.path, ["securityContext", "capabilities", "add", i]), sprintf("%s adds capability %v, which the restricted level forbids", [k8s.container_label(entry), cap]))
}
