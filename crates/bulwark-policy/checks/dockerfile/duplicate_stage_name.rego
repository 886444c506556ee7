# METADATA
# title: "Two stages with the same name"
# description: "When two FROM instructions use the same AS name, COPY --from and --target refer to one of them ambiguously."
# custom:
#   id: misconfig-dockerfile-duplicate-stage-name
#   severity: CRITICAL
#   input: [dockerfile]
#   remediation: "Give each stage a unique name."
#   references:
#     - https://docs.docker.com/reference/dockerfile/#from
package bulwark.dockerfile.duplicate_stage_name

import rego.v1

import data.lib.docker

deny contains result if {
	some i, a in input.stages
	some j, b in input.stages
	i < j
	is_string(a.name)
	is_string(b.name)
	lower(a.name) == lower(b.name)
	result := docker.result(b.instructions[0], sprintf("Stage name '%s' is also used by stage %d", [b.name, i]))
}
