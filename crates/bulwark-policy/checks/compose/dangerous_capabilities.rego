# METADATA
# title: "Dangerous capability added"
# description: "ALL, SYS_ADMIN, NET_ADMIN, SYS_PTRACE and SYS_MODULE let the container change the host's kernel, network or other processes."
# custom:
#   id: misconfig-compose-dangerous-capabilities
#   severity: HIGH
#   input: [compose]
#   remediation: "Remove these capabilities from cap_add."
#   references:
#     - https://docs.docker.com/reference/compose-file/services/#cap_add
#     - https://www.cisecurity.org/benchmark/docker
#   frameworks:
#     cis-docker-1.6: ["5.3"]
package bulwark.compose.dangerous_capabilities

import rego.v1

deny contains result if {
	some name, service in object.get(input, "services", {})
	some i, cap in object.get(service, "cap_add", [])
	upper(trim_prefix(upper(cap), "CAP_")) in {"ALL", "SYS_ADMIN", "NET_ADMIN", "SYS_PTRACE", "SYS_MODULE"}
	result := {"msg": sprintf(sprintf("Service '%%s' adds capability %s", [cap]), [name]), "path": ["services", name, "cap_add", i], "resource": sprintf("service %s", [name])}
}
