# METADATA
# title: "Role can read Secrets"
# description: "get, list or watch on secrets exposes every credential in scope, including service account tokens."
# custom:
#   id: misconfig-k8s-rbac-secrets-read
#   severity: HIGH
#   input: [kubernetes]
#   remediation: "Grant access to named secrets with resourceNames, or remove the rule."
#   references:
#     - https://kubernetes.io/docs/reference/access-authn-authz/rbac/
#     - https://kubernetes.io/docs/concepts/security/rbac-good-practices/#listing-secrets
#   frameworks:
#     cis-kubernetes: ["5.1.2"]
package bulwark.kubernetes.rbac_secrets_read

import rego.v1

deny contains result if {
	input.kind in {"Role", "ClusterRole"}
	rules := object.get(input, "rules", [])

	# A Role without rules may carry `rules: null`.
	is_array(rules)
	some i, rule in rules
	some group in object.get(rule, "apiGroups", [""])
	group in {"", "*"}
	some resource in object.get(rule, "resources", [])
	resource in {"secrets", "*"}
	some verb in object.get(rule, "verbs", [])
	verb in {"get", "list", "watch", "*"}
	count(object.get(rule, "resourceNames", [])) == 0
	result := {"msg": sprintf("%s '%s' can %s secrets", [input.kind, input.metadata.name, verb]), "path": ["rules", i]}
}
