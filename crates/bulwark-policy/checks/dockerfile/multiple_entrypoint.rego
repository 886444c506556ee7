# METADATA
# title: "More than one ENTRYPOINT in a stage"
# description: "Only the last ENTRYPOINT of a stage takes effect, so the image may not start the program the author expected."
# custom:
#   id: misconfig-dockerfile-multiple-entrypoint
#   severity: CRITICAL
#   input: [dockerfile]
#   remediation: "Keep one ENTRYPOINT per stage."
#   references:
#     - https://docs.docker.com/reference/dockerfile/#entrypoint
package bulwark.dockerfile.multiple_entrypoint

import rego.v1

import data.lib.docker

deny contains result if {
	some stage in input.stages
	entrypoints := [inst | some inst in stage.instructions; inst.cmd == "entrypoint"]
	count(entrypoints) > 1
	some inst in array.slice(entrypoints, 0, count(entrypoints) - 1)
	result := docker.result(inst, "This ENTRYPOINT is overridden by a later ENTRYPOINT in the same stage")
}
