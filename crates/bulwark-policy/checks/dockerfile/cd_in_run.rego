# METADATA
# title: "RUN cd instead of WORKDIR"
# description: "A `cd` at the start of a RUN only affects that RUN, which hides the directory the command works in. WORKDIR makes it explicit."
# custom:
#   id: misconfig-dockerfile-cd-in-run
#   severity: MEDIUM
#   input: [dockerfile]
#   remediation: "Use WORKDIR to change directory."
#   references:
#     - https://docs.docker.com/build/building/best-practices/#workdir
package bulwark.dockerfile.cd_in_run

import rego.v1

import data.lib.docker

deny contains result if {
	some command in docker.run_commands
	command.index == 0
	command.words[0] == "cd"
	result := docker.result(command.inst, "RUN starts with 'cd'; use WORKDIR instead")
}
