# METADATA
# title: "pip install without --no-cache-dir"
# description: "pip keeps downloaded wheels in its cache, which then stays in the image layer."
# custom:
#   id: misconfig-dockerfile-pip-no-cache-dir
#   severity: LOW
#   input: [dockerfile, image-config]
#   remediation: "Use `pip install --no-cache-dir`, or set PIP_NO_CACHE_DIR=1."
#   references:
#     - https://docs.docker.com/build/building/best-practices/
package bulwark.dockerfile.pip_no_cache_dir

import rego.v1

import data.lib.docker

env_disables_cache if {
	some inst in docker.instructions
	inst.cmd == "env"
	some arg in inst.args
	regex.match(`^PIP_NO_CACHE_DIR=(1|true|on|yes)$`, lower(arg))
}

deny contains result if {
	not env_disables_cache
	some command in docker.run_commands
	some pip, after in command.programs
	pip in {"pip", "pip3"}
	"install" in after
	not contains(command.command, "--no-cache-dir")
	not contains(command.command, "PIP_NO_CACHE_DIR")
	not contains(object.get(command.inst, ["flags", "mount"], ""), "cache/pip")
	result := docker.result(command.inst, sprintf("%s install runs without --no-cache-dir", [pip]))
}
