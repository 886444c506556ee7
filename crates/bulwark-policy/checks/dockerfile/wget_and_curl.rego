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

# Whether the RUN instruction at `key` in docker.parsed_runs runs the tool.
uses(key, tool) if {
	some command in docker.parsed_runs[key]
	command.programs[tool]
}

deny contains result if {
	some s, stage in input.stages
	wget := [inst | some i, inst in stage.instructions; inst.cmd == "run"; uses([s, i], "wget")]
	curl := [inst | some i, inst in stage.instructions; inst.cmd == "run"; uses([s, i], "curl")]
	count(wget) > 0
	count(curl) > 0
	result := docker.result(wget[0], "This stage uses both wget and curl")
}
