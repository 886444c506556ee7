# METADATA
# title: "hostPort used"
# description: "A hostPort binds the container port on the node's address, which bypasses Services and network policies and limits scheduling."
# custom:
#   id: misconfig-k8s-host-port
#   severity: MEDIUM
#   input: [kubernetes]
#   remediation: "Remove hostPort and expose the port through a Service."
#   references:
#     - https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline
#   frameworks:
#     pss: ["baseline"]
package bulwark.kubernetes.host_port

import rego.v1

import data.lib.kubernetes as k8s

deny contains result if {
	some entry in k8s.containers
	c := entry.container
	ports := object.get(c, "ports", [])

	# `ports: null` (or another non-list) is the same as no ports.
	is_array(ports)
	some i, port in ports
	is_object(port)
	object.get(port, "hostPort", 0) != 0
	result := k8s.result(array.concat(entry.path, ["ports", i, "hostPort"]), sprintf(sprintf("%%s binds host port %v", [port.hostPort]), [k8s.container_label(entry)]))
}
