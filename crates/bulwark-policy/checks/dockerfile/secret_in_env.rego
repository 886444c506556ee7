# METADATA
# title: "Secret value in ENV or ARG"
# description: "ENV values are stored in the image config and ARG values in the build history, so anyone who can pull the image can read a password or token set this way."
# custom:
#   id: misconfig-dockerfile-secret-in-env
#   severity: CRITICAL
#   input: [dockerfile, image-config]
#   remediation: "Pass secrets with `RUN --mount=type=secret` or supply them at run time, not through ENV or ARG."
#   references:
#     - https://docs.docker.com/build/building/secrets/
#     - https://www.cisecurity.org/benchmark/docker
#   frameworks:
#     cis-docker-1.6: ["4.10"]
package bulwark.dockerfile.secret_in_env

import rego.v1

import data.lib.docker

secret_name := `(?i)(passw(or)?d|secret|token|api_?key|access_?key|private_?key|credential|auth_?key)`

deny contains result if {
	some inst in docker.instructions
	inst.cmd in {"env", "arg"}
	some arg in inst.args
	contains(arg, "=")
	parts := split(arg, "=")
	name := parts[0]
	value := trim(concat("=", array.slice(parts, 1, count(parts))), "\"'")
	regex.match(secret_name, name)
	not regex.match(`(?i)(_file|_path|_dir|_url|_version|_length|_id)$`, name)
	value != ""
	not regex.match(`^\$\{?[A-Za-z_]`, value)
	result := docker.result(inst, sprintf("%s sets '%s' to a literal value", [upper(inst.cmd), name]))
}
