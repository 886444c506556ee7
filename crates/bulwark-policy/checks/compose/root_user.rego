# METADATA
# title: "Service runs as root"
# description: "The `user` setting is root or 0, so the container's processes run as root."
# custom:
#   id: misconfig-compose-root-user
#   severity: MEDIUM
#   input: [compose]
#   remediation: "Set `user` to a non-root UID, or leave it unset when the image sets a non-root USER."
#   references:
#     - https://docs.docker.com/reference/compose-file/services/#user
#     - https://www.cisecurity.org/benchmark/docker
#   frameworks:
#     cis-docker-1.6: ["4.1"]
package bulwark.compose.root_user

import rego.v1

deny contains result if {
	some name, service in object.get(input, "services", {})
	user := sprintf("%v", [service.user])
	split(user, ":")[0] in {"root", "0"}
	result := {"msg": sprintf("Service '%s' runs as root", [name]), "path": ["services", name, "user"], "resource": sprintf("service %s", [name])}
}
