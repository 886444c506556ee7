# METADATA
# title: "Docker socket mounted"
# description: "A service with the Docker socket can start privileged containers, which is root on the host."
# custom:
#   id: misconfig-compose-docker-socket
#   severity: CRITICAL
#   input: [compose]
#   remediation: "Do not mount /var/run/docker.sock; use a socket proxy with a narrow API if the service must talk to Docker."
#   references:
#     - https://docs.docker.com/reference/compose-file/services/#volumes
#     - https://www.cisecurity.org/benchmark/docker
#   frameworks:
#     cis-docker-1.6: ["5.31"]
package bulwark.compose.docker_socket

import rego.v1

deny contains result if {
	some name, service in object.get(input, "services", {})
	some i, volume in object.get(service, "volumes", [])
	source := volume_source(volume)
	trim_right(source, "/") in {"/var/run/docker.sock", "/run/docker.sock"}
	result := {"msg": sprintf("Service '%s' mounts the Docker socket", [name]), "path": ["services", name, "volumes", i], "resource": sprintf("service %s", [name])}
}

volume_source(volume) := split(volume, ":")[0] if is_string(volume)

volume_source(volume) := volume.source if is_object(volume)
