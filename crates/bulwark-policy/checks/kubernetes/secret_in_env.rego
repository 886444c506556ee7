# METADATA
# title: "Secret value in an environment variable"
# description: "A password or token written as a literal env value is stored in the manifest, in etcd without Secret encryption, and in every copy of the manifest."
# custom:
#   id: misconfig-k8s-secret-in-env
#   severity: HIGH
#   input: [kubernetes]
#   remediation: "Use `valueFrom.secretKeyRef` to read the value from a Secret."
#   references:
#     - https://kubernetes.io/docs/concepts/configuration/secret/#using-secrets-as-environment-variables
#     - https://www.cisecurity.org/benchmark/kubernetes
#   frameworks:
#     cis-kubernetes: ["5.4.1"]
package bulwark.kubernetes.secret_in_env

import rego.v1

import data.lib.kubernetes as k8s

deny contains result if {
	some entry in k8s.containers
	c := entry.container
	some i, env in object.get(c, "env", [])
	regex.match(`(?i)(passw(or)?d|secret|token|api_?key|access_?key|private_?key|credential)`, env.name)
	not regex.match(`(?i)(_file|_path|_dir|_url|_version|_length|_id|_name)$`, env.name)
	value := env.value
	is_string(value)
	value != ""
	result := k8s.result(array.concat(entry.path, ["env", i, "value"]), sprintf(sprintf("%%s sets %s to a literal value", [env.name]), [k8s.container_label(entry)]))
}
