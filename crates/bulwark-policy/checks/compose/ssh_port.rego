# METADATA
# title: "Port 22 published"
# description: "Publishing port 22 suggests an SSH daemon in the container, which adds a remote login path."
# custom:
#   id: misconfig-compose-ssh-port
#   severity: MEDIUM
#   input: [compose]
#   remediation: "Remove the port 22 mapping and use `docker exec`."
#   references:
#     - https://docs.docker.com/reference/compose-file/services/#ports
#     - https://www.cisecurity.org/benchmark/docker
#   frameworks:
#     cis-docker-1.6: ["5.7"]
package bulwark.compose.ssh_port

import rego.v1

deny contains result if {
	some name, service in object.get(input, "services", {})
	some i, port in object.get(service, "ports", [])
	container_port(port) == "22"
	result := {"msg": sprintf("Service '%s' publishes port 22", [name]), "path": ["services", name, "ports", i], "resource": sprintf("service %s", [name])}
}

container_port(port) := sprintf("%v", [port.target]) if is_object(port)

container_port(port) := sprintf("%v", [port]) if is_number(port)

container_port(port) := p if {
	is_string(port)
	parts := split(split(port, "/")[0], ":")
	p := parts[count(parts) - 1]
}
