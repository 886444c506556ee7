# METADATA
# title: "Host IPC namespace shared"
# description: "With hostIPC the pod can read and write the shared memory of every process on the node."
# custom:
#   id: misconfig-k8s-host-ipc
#   severity: HIGH
#   input: [kubernetes]
#   remediation: "Remove `hostIPC: true`."
#   references:
#     - https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline
#   frameworks:
#     pss: ["baseline"]
package bulwark.kubernetes.host_ipc

import rego.v1

import data.lib.kubernetes as k8s

deny contains result if {
	k8s.pod_spec.hostIPC == true
	result := k8s.result(array.concat(k8s.pod_spec_path, ["hostIPC"]), sprintf("%s shares the host IPC namespace", [k8s.name]))
}
