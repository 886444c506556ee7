# METADATA
# title: "Role grants access to all resources"
# description: "A rule with resources: ['*'] covers every resource of its API groups, including Secrets and any added later."
# custom:
#   id: misconfig-k8s-rbac-wildcard-resources
#   severity: CRITICAL
#   input: [kubernetes]
#   remediation: "List only the resources the subject needs."
#   references:
#     - https://kubernetes.io/docs/reference/access-authn-authz/rbac/
#     - https://kubernetes.io/docs/concepts/security/rbac-good-practices/
#   frameworks:
#     cis-kubernetes: ["5.1.3"]
package bulwark.kubernetes.rbac_wildcard_resources

import rego.v1

deny contains result if {
	input.kind in {"Role", "ClusterRole"}
	rules := object.get(input, "rules", [])

	# A Role without rules may carry `rules: null`.
	is_array(rules)
	some i, rule in rules
	"*" in object.get(rule, "resources", [])
	result := {"msg": sprintf("%s '%s' grants access to all resources in rule %d", [input.kind, input.metadata.name, i]), "path": ["rules", i, "resources"]}
}
