# METADATA
# title: "apt lists not removed after install"
# description: "apt-get update leaves package lists in /var/lib/apt/lists. Left in the layer they only add size and stale metadata."
# custom:
#   id: misconfig-dockerfile-apt-lists-not-removed
#   severity: LOW
#   input: [dockerfile]
#   remediation: "End the same RUN with `rm -rf /var/lib/apt/lists/*`."
#   references:
#     - https://docs.docker.com/build/building/best-practices/#apt-get
package bulwark.dockerfile.apt_lists_not_removed

import rego.v1

import data.lib.docker

deny contains result if {
	some command in docker.run_commands
	"install" in command.programs["apt-get"]
	not contains(docker.run_script(command.inst), "/var/lib/apt/lists")
	not cache_mount(command.inst)
	result := docker.result(command.inst, "RUN installs apt packages but does not remove /var/lib/apt/lists")
}

cache_mount(inst) if contains(object.get(inst, ["flags", "mount"], ""), "/var/lib/apt")
