# METADATA
# title: "Privileged service"
# description: "A privileged container has all capabilities and every host device, so a compromise of it is a compromise of the host."
# custom:
#   id: misconfig-compose-privileged
#   severity: HIGH
#   input: [compose]
#   remediation: "Remove `privileged: true`."
#   references:
#     - https://docs.docker.com/reference/compose-file/services/#privileged
#     - https://www.cisecurity.org/benchmark/docker
#   frameworks:
#     cis-docker-1.6: ["5.5"]
package bulwark.compose.privileged

import rego.v1

deny contains result if {
	some name, service in object.get(input, "services", {})
	service.privileged == true
	result := {"msg": sprintf("Service '%s' runs privileged", [name]), "path": ["services", name, "privileged"], "resource": sprintf("service %s", [name])}
}
