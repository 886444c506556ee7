# METADATA
# title: "Port 22 exposed"
# description: "Exposing SSH suggests that an SSH daemon runs in the container, which adds credentials to manage and a remote login path. Use `docker exec` instead."
# custom:
#   id: misconfig-dockerfile-expose-ssh
#   severity: MEDIUM
#   input: [dockerfile, image-config]
#   remediation: "Remove port 22 from EXPOSE and do not run sshd in the container."
#   references:
#     - https://www.cisecurity.org/benchmark/docker
#     - https://docs.docker.com/reference/dockerfile/#expose
#   frameworks:
#     cis-docker-1.6: ["5.7"]
package bulwark.dockerfile.expose_ssh

import rego.v1

import data.lib.docker

deny contains result if {
	some inst in docker.instructions
	inst.cmd == "expose"
	some port in inst.args
	split(port, "/")[0] == "22"
	result := docker.result(inst, "EXPOSE publishes port 22 (SSH)")
}
