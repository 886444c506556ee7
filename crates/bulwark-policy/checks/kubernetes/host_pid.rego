# METADATA
# title: "Host PID namespace shared"
# description: "With hostPID the pod sees and can signal every process on the node, and can read their environment and memory through /proc."
# custom:
#   id: misconfig-k8s-host-pid
#   severity: HIGH
#   input: [kubernetes]
#   remediation: "Remove `hostPID: true`."
#   references:
#     - https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline
#   frameworks:
#     pss: ["baseline"]
package bulwark.kubernetes.host_pid

import rego.v1

import data.lib.kubernetes as k8s

deny contains result if {
	k8s.pod_spec.hostPID == true
	result := k8s.result(array.concat(k8s.pod_spec_path, ["hostPID"]), sprintf("%s shares the host PID namespace", [k8s.name]))
}
