# METADATA
# title: "Binding to cluster-admin"
# description: "cluster-admin can do anything in the cluster. Binding it to a user, group or service account should be rare and reviewed."
# custom:
#   id: misconfig-k8s-rbac-cluster-admin-binding
#   severity: HIGH
#   input: [kubernetes]
#   remediation: "Bind a role with only the needed permissions."
#   references:
#     - https://kubernetes.io/docs/reference/access-authn-authz/rbac/#user-facing-roles
#     - https://www.cisecurity.org/benchmark/kubernetes
#   frameworks:
#     cis-kubernetes: ["5.1.1"]
package bulwark.kubernetes.rbac_cluster_admin_binding

import rego.v1

deny contains result if {
	input.kind in {"RoleBinding", "ClusterRoleBinding"}
	input.roleRef.kind == "ClusterRole"
	input.roleRef.name == "cluster-admin"
	result := {"msg": sprintf("%s '%s' binds cluster-admin", [input.kind, input.metadata.name]), "path": ["roleRef", "name"]}
}
