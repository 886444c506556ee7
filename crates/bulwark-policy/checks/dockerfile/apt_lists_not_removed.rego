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
	some inst in docker.runs
	some command in docker.commands(inst)
	docker.runs_subcommand(command, "apt-get", "install")
	not contains(docker.run_script(inst), "/var/lib/apt/lists")
	not cache_mount(inst)
	result := docker.result(inst, "RUN installs apt packages but does not remove /var/lib/apt/lists")
}

cache_mount(inst) if contains(object.get(inst, ["flags", "mount"], ""), "/var/lib/apt")
