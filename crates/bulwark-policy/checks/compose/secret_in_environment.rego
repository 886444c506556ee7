# METADATA
# title: "Secret value in environment"
# description: "A password or token written in the compose file is readable by everyone with the file and by `docker inspect`."
# custom:
#   id: misconfig-compose-secret-in-environment
#   severity: HIGH
#   input: [compose]
#   remediation: "Use compose `secrets`, or reference a variable such as `${DB_PASSWORD}` supplied at deploy time."
#   references:
#     - https://docs.docker.com/reference/compose-file/services/#environment
#     - https://docs.docker.com/compose/how-tos/use-secrets/
package bulwark.compose.secret_in_environment

import rego.v1

deny contains result if {
	some name, service in object.get(input, "services", {})
	some key, value in environment(service)
	regex.match(`(?i)(passw(or)?d|secret|token|api_?key|access_?key|private_?key|credential)`, key)
	not regex.match(`(?i)(_file|_path|_dir|_url|_version|_length|_id|_name|_user)$`, key)
	is_string(value)
	value != ""
	not contains(value, "$")
	result := {"msg": sprintf(sprintf("Service '%%s' sets %s to a literal value", [key]), [name]), "path": ["services", name, "environment"], "resource": sprintf("service %s", [name])}
}

environment(service) := service.environment if is_object(service.environment)

environment(service) := {key: value |
	some entry in service.environment
	is_string(entry)
	contains(entry, "=")
	parts := split(entry, "=")
	key := parts[0]
	value := concat("=", array.slice(parts, 1, count(parts)))
} if is_array(service.environment)
