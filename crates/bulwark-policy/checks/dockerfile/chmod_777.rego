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
	some command in docker.run_commands
	command.programs.chmod
	regex.match(`(^|\s)(-[a-zA-Z]+\s+)*([0-7]?[0-7][0-7][2367]|[ao]?\+[rx]*w|o=[rx]*w)(\s|$)`, command.command)
	result := docker.result(command.inst, "RUN makes files world-writable with chmod")
}
