# METADATA
# title: "More than one HEALTHCHECK in a stage"
# description: "Only the last HEALTHCHECK of a stage takes effect, so earlier ones are dead code that misleads readers."
# custom:
#   id: misconfig-dockerfile-multiple-healthcheck
#   severity: LOW
#   input: [dockerfile]
#   remediation: "Keep one HEALTHCHECK per stage."
#   references:
#     - https://docs.docker.com/reference/dockerfile/#healthcheck
package bulwark.dockerfile.multiple_healthcheck

import rego.v1

import data.lib.docker

deny contains result if {
	some stage in input.stages
	checks := [inst | some inst in stage.instructions; inst.cmd == "healthcheck"]
	count(checks) > 1
	some inst in array.slice(checks, 0, count(checks) - 1)
	result := docker.result(inst, "This HEALTHCHECK is overridden by a later one in the same stage")
}
