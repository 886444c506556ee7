# METADATA
# title: "COPY --from refers to its own stage"
# description: "A stage cannot copy from itself. COPY --from naming the current stage fails the build or copies from an unexpected image."
# custom:
#   id: misconfig-dockerfile-copy-from-own-stage
#   severity: CRITICAL
#   input: [dockerfile]
#   remediation: "Point --from at an earlier stage or an image."
#   references:
#     - https://docs.docker.com/reference/dockerfile/#copy---from
package bulwark.dockerfile.copy_from_own_stage

import rego.v1

import data.lib.docker

deny contains result if {
	some stage in input.stages
	is_string(stage.name)
	some inst in stage.instructions
	inst.cmd == "copy"
	from := object.get(inst, ["flags", "from"], "")
	lower(from) == lower(stage.name)
	result := docker.result(inst, sprintf("COPY --from=%s refers to the stage it is in", [from]))
}
