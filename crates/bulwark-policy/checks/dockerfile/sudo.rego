# METADATA
# title: "sudo used in RUN"
# description: "RUN already runs as the current USER, and sudo in an image brings a setuid binary and unclear privilege changes."
# custom:
#   id: misconfig-dockerfile-sudo
#   severity: MEDIUM
#   input: [dockerfile, image-config]
#   remediation: "Switch with USER root before the step and back to the unprivileged user after it, or use gosu at run time."
#   references:
#     - https://docs.docker.com/build/building/best-practices/#user
package bulwark.dockerfile.sudo

import rego.v1

import data.lib.docker

deny contains result if {
	some command in docker.run_commands
	command.words[0] == "sudo"
	result := docker.result(command.inst, "RUN uses sudo")
}
