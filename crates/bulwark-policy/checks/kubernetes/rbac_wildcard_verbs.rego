# METADATA
# title: "Role grants all verbs"
# description: "A rule with verbs: ['*'] grants every current and future verb, including escalate, bind and impersonate where they apply."
# custom:
#   id: misconfig-k8s-rbac-wildcard-verbs
#   severity: CRITICAL
#   input: [kubernetes]
#   remediation: "List only the verbs the subject needs."
#   references:
#     - https://kubernetes.io/docs/reference/access-authn-authz/rbac/
#     - https://kubernetes.io/docs/concepts/security/rbac-good-practices/
#   frameworks:
#     cis-kubernetes: ["5.1.3"]
package bulwark.kubernetes.rbac_wildcard_verbs

import rego.v1

deny contains result if {
	input.kind in {"Role", "ClusterRole"}
	rules := object.get(input, "rules", [])

	# A Role without rules may carry `rules: null`.
	is_array(rules)
	some i, rule in rules
	"*" in object.get(rule, "verbs", [])
	result := {"msg": sprintf("%s '%s' grants all verbs in rule %d", [input.kind, input.metadata.name, i]), "path": ["rules", i, "verbs"]}
}
