# METADATA
# title: "Root file system writable"
# description: "Without `read_only: true` the container can change its own files, which makes tampering after a compromise easy."
# custom:
#   id: misconfig-compose-read-only
#   severity: LOW
#   input: [compose]
#   remediation: "Set `read_only: true` and mount tmpfs where the program writes."
#   references:
#     - https://docs.docker.com/reference/compose-file/services/#read_only
#     - https://www.cisecurity.org/benchmark/docker
#   frameworks:
#     cis-docker-1.6: ["5.13"]
package bulwark.compose.read_only

import rego.v1

deny contains result if {
	some name, service in object.get(input, "services", {})
	not service.read_only == true
	service.image
	result := {"msg": sprintf("Service '%s' does not set read_only to true", [name]), "path": ["services", name], "resource": sprintf("service %s", [name])}
}
