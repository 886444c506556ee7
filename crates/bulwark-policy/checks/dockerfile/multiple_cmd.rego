# METADATA
# title: "More than one CMD in a stage"
# description: "Only the last CMD of a stage takes effect, so earlier ones are dead code that misleads readers."
# custom:
#   id: misconfig-dockerfile-multiple-cmd
#   severity: MEDIUM
#   input: [dockerfile]
#   remediation: "Keep one CMD per stage."
#   references:
#     - https://docs.docker.com/reference/dockerfile/#cmd
package bulwark.dockerfile.multiple_cmd

import rego.v1

import data.lib.docker

deny contains result if {
	some stage in input.stages
	cmds := [inst | some inst in stage.instructions; inst.cmd == "cmd"]
	count(cmds) > 1
	some inst in array.slice(cmds, 0, count(cmds) - 1)
	result := docker.result(inst, "This CMD is overridden by a later CMD in the same stage")
}
