# METADATA
# title: "Unsafe sysctl set"
# description: "Sysctls outside the namespaced safe set change kernel settings that affect every pod on the node."
# custom:
#   id: misconfig-k8s-unsafe-sysctls
#   severity: HIGH
#   input: [kubernetes]
#   remediation: "Set only the safe sysctls listed by the baseline Pod Security Standard."
#   references:
#     - https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline
#     - https://kubernetes.io/docs/tasks/administer-cluster/sysctl-cluster/
#   frameworks:
#     pss: ["baseline"]
package bulwark.kubernetes.unsafe_sysctls

import rego.v1

import data.lib.kubernetes as k8s

safe := {
	"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start",
	"net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
	"net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
	"net.ipv4.tcp_keepalive_probes",
}

deny contains result if {
	some i, sysctl in object.get(k8s.pod_security_context, "sysctls", [])
	not sysctl.name in safe
	result := k8s.result(array.concat(k8s.pod_spec_path, ["securityContext", "sysctls", i]), sprintf("%s sets the unsafe sysctl %s", [k8s.name, sysctl.name]))
}
