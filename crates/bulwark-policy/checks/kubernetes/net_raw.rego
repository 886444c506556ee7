# METADATA
# title: "NET_RAW capability not dropped"
# description: "NET_RAW is in the default capability set and lets a process craft packets, which enables ARP and DNS spoofing inside the cluster network."
# custom:
#   id: misconfig-k8s-net-raw
#   severity: LOW
#   input: [kubernetes]
#   remediation: "Drop NET_RAW, or better ALL, in securityContext.capabilities.drop."
#   references:
#     - https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted
#     - https://www.cisecurity.org/benchmark/kubernetes
#   frameworks:
#     pss: ["restricted"]
package bulwark.kubernetes.net_raw

import rego.v1

import data.lib.kubernetes as k8s

deny contains result if {
	some entry in k8s.containers
	c := entry.container
	not drops_all(c)
	not drops(c, "NET_RAW")
	result := k8s.result(entry.path, sprintf("%s does not drop NET_RAW", [k8s.container_label(entry)]))
}

drops_all(c) if {
	some cap in c.securityContext.capabilities.drop
	upper(cap) == "ALL"
}

drops(c, name) if {
	some cap in c.securityContext.capabilities.drop
	upper(trim_prefix(cap, "CAP_")) == name
}
