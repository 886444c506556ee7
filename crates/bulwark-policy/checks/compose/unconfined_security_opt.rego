# METADATA
# title: "Seccomp or AppArmor turned off"
# description: "security_opt seccomp:unconfined or apparmor:unconfined removes the default system call filter or mandatory access control."
# custom:
#   id: misconfig-compose-unconfined
#   severity: HIGH
#   input: [compose]
#   remediation: "Remove the unconfined security_opt entries."
#   references:
#     - https://docs.docker.com/reference/compose-file/services/#security_opt
#     - https://www.cisecurity.org/benchmark/docker
#   frameworks:
#     cis-docker-1.6: ["5.1", "5.22"]
package bulwark.compose.unconfined_security_opt

import rego.v1

deny contains result if {
	some name, service in object.get(input, "services", {})
	some i, opt in object.get(service, "security_opt", [])
	regex.match(`^(seccomp|apparmor)[:=]unconfined$`, lower(opt))
	result := {"msg": sprintf(sprintf("Service '%%s' sets %s", [opt]), [name]), "path": ["services", name, "security_opt", i], "resource": sprintf("service %s", [name])}
}
