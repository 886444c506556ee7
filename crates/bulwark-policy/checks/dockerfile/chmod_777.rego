# METADATA
# title: "RUN makes files world-writable"
# description: "chmod 777 (or o+w) lets any user in the container modify the files, including a process that was meant to run without that right."
# custom:
#   id: misconfig-dockerfile-chmod-777
#   severity: MEDIUM
#   input: [dockerfile, image-config]
#   remediation: "Grant the owner or group only the permissions needed, for example `chmod 755` or `chown app`."
#   references:
#     - https://www.cisecurity.org/benchmark/docker
package bulwark.dockerfile.chmod_777

import rego.v1

import data.lib.docker

deny contains result if {
	some inst in docker.runs
	some command in docker.commands(inst)
	docker.runs_program(command, "chmod")
	regex.match(`(^|\s)(-[a-zA-Z]+\s+)*([0-7]?[0-7][0-7][2367]|[ao]?\+[rx]*w|o=[rx]*w)(\s|$)`, command)
	result := docker.result(inst, "RUN makes files world-writable with chmod")
}
