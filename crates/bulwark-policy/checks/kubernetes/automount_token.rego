# METADATA
# title: "Service account token mounted automatically"
# description: "Unless automountServiceAccountToken is false, every container gets an API token. A compromised container can use it against the API server."
# custom:
#   id: misconfig-k8s-automount-token
#   severity: MEDIUM
#   input: [kubernetes]
#   remediation: "Set `automountServiceAccountToken: false` in the pod spec unless the pod calls the API."
#   references:
#     - https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/#opt-out-of-api-credential-automounting
#     - https://www.cisecurity.org/benchmark/kubernetes
#   frameworks:
#     cis-kubernetes: ["5.1.6"]
package bulwark.kubernetes.automount_token

import rego.v1

import data.lib.kubernetes as k8s

deny contains result if {
	k8s.is_workload
	not k8s.pod_spec.automountServiceAccountToken == false
	result := k8s.result(k8s.pod_spec_path, sprintf("%s does not set automountServiceAccountToken to false", [k8s.name]))
}
