# METADATA
# title: "No HEALTHCHECK"
# description: "Without a HEALTHCHECK, Docker and Compose cannot tell a hung service from a working one."
# custom:
#   id: misconfig-dockerfile-no-healthcheck
#   severity: LOW
#   input: [dockerfile, image-config]
#   remediation: "Add a HEALTHCHECK instruction that probes the service, or `HEALTHCHECK NONE` to state that none applies."
#   references:
#     - https://docs.docker.com/reference/dockerfile/#healthcheck
#     - https://www.cisecurity.org/benchmark/docker
#   frameworks:
#     cis-docker-1.6: ["4.6"]
package bulwark.dockerfile.no_healthcheck

import rego.v1

import data.lib.docker

deny contains result if {
	count(input.stages) > 0
	count([inst | some inst in docker.instructions; inst.cmd == "healthcheck"]) == 0
	first := docker.final_stage.instructions[0]
	result := docker.result(first, "The image defines no HEALTHCHECK")
}
