# METADATA
# title: "EXPOSE port out of range"
# description: "TCP and UDP ports range from 0 to 65535. A larger number is a typo and the build or the run will fail."
# custom:
#   id: misconfig-dockerfile-port-out-of-range
#   severity: CRITICAL
#   input: [dockerfile]
#   remediation: "Correct the port number."
#   references:
#     - https://docs.docker.com/reference/dockerfile/#expose
package bulwark.dockerfile.port_out_of_range

import rego.v1

import data.lib.docker

deny contains result if {
	some inst in docker.instructions
	inst.cmd == "expose"
	some port in inst.args
	some bound in split(split(port, "/")[0], "-")
	regex.match(`^[0-9]+$`, bound)
	to_number(bound) > 65535
	result := docker.result(inst, sprintf("EXPOSE uses port %s, above 65535", [bound]))
}
