# METADATA
# title: "Both wget and curl used"
# description: "Using both download tools in one image installs two programs that do the same job."
# custom:
#   id: misconfig-dockerfile-wget-and-curl
#   severity: LOW
#   input: [dockerfile]
#   remediation: "Pick one of wget or curl."
#   references:
#     - https://docs.docker.com/build/building/best-practices/
package bulwark.dockerfile.wget_and_curl

import rego.v1

import data.lib.docker

uses(inst, tool) if {
	some command in docker.commands(inst)
	docker.runs_program(command, tool)
}

deny contains result if {
	some stage in input.stages
	wget := [inst | some inst in stage.instructions; inst.cmd == "run"; uses(inst, "wget")]
	curl := [inst | some inst in stage.instructions; inst.cmd == "run"; uses(inst, "curl")]
	count(wget) > 0
	count(curl) > 0
	result := docker.result(wget[0], "This stage uses both wget and curl")
}
