# METADATA
# title: "COPY with several sources to a non-directory"
# description: "When COPY has more than one source, the destination must be a directory ending in a slash, or the build fails."
# custom:
#   id: misconfig-dockerfile-copy-multiple-sources
#   severity: CRITICAL
#   input: [dockerfile]
#   remediation: "End the destination with a slash."
#   references:
#     - https://docs.docker.com/reference/dockerfile/#copy
package bulwark.dockerfile.copy_multiple_sources

import rego.v1

import data.lib.docker

deny contains result if {
	some inst in docker.instructions
	inst.cmd == "copy"
	operands := [a | some a in inst.args; not startswith(a, "--")]
	count(operands) > 2
	dest := operands[count(operands) - 1]
	not endswith(dest, "/")
	result := docker.result(inst, sprintf("COPY has %d sources but '%s' does not end with a slash", [count(operands) - 1, dest]))
}
