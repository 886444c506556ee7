# METADATA
# title: "Service shares a host namespace"
# description: "network_mode, pid or ipc set to host gives the container the host's network stack, process table or shared memory."
# custom:
#   id: misconfig-compose-host-namespace
#   severity: HIGH
#   input: [compose]
#   remediation: "Remove `network_mode: host`, `pid: host` and `ipc: host`."
#   references:
#     - https://docs.docker.com/reference/compose-file/services/#network_mode
#     - https://www.cisecurity.org/benchmark/docker
#   frameworks:
#     cis-docker-1.6: ["5.10", "5.16", "5.17"]
package bulwark.compose.host_namespaces

import rego.v1

deny contains result if {
	some name, service in object.get(input, "services", {})
	some field in ["network_mode", "pid", "ipc"]
	service[field] == "host"
	result := {"msg": sprintf(sprintf("Service '%%s' sets %s to host", [field]), [name]), "path": ["services", name, field], "resource": sprintf("service %s", [name])}
}
