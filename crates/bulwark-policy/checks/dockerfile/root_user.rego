# METADATA
# title: "Image runs as root"
# description: "The final stage has no USER instruction, or its last USER is root, so processes in the container run as root. A process that escapes the container then has root on the host unless user namespaces are in use."
# custom:
#   id: misconfig-dockerfile-root-user
#   severity: HIGH
#   input: [dockerfile, image-config]
#   remediation: "Add a USER instruction with a non-root user (for example `USER 10001`) after the last step that needs root."
#   references:
#     - https://www.cisecurity.org/benchmark/docker
#     - https://docs.docker.com/build/building/best-practices/#user
#   frameworks:
#     cis-docker-1.6: ["4.1"]
package bulwark.dockerfile.root_user

import rego.v1

import data.lib.docker

users := [inst | some inst in docker.final_stage.instructions; inst.cmd == "user"]

deny contains result if {
	count(users) == 0
	first := docker.final_stage.instructions[0]
	result := docker.result(first, "The final stage sets no USER, so the container runs as root")
}

deny contains result if {
	count(users) > 0
	last := users[count(users) - 1]
	name := split(last.args[0], ":")[0]
	name in {"root", "0"}
	result := docker.result(last, sprintf("The last USER instruction switches to '%s'", [last.args[0]]))
}
