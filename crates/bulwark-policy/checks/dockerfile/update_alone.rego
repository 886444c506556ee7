# METADATA
# title: "Package index update in its own RUN"
# description: "A RUN that only updates the package index is cached as its own layer, so a later RUN that installs packages can use an outdated index."
# custom:
#   id: misconfig-dockerfile-update-alone
#   severity: HIGH
#   input: [dockerfile]
#   remediation: "Combine the update and the install in one RUN: `apt-get update && apt-get install -y ...`."
#   references:
#     - https://docs.docker.com/build/building/best-practices/#apt-get
package bulwark.dockerfile.update_alone

import rego.v1

import data.lib.docker

managers := {"apt-get": "install", "apt": "install", "apk": "add", "yum": "install", "dnf": "install", "zypper": "install"}

deny contains result if {
	some command in docker.run_commands
	some manager, after in command.programs
	install := managers[manager]
	"update" in after
	not installs(command.key, manager, install)
	not upgrades(command.key, manager)
	result := docker.result(command.inst, sprintf("RUN runs '%s update' without installing in the same step", [manager]))
}

# Whether the RUN instruction at `key` in docker.parsed_runs installs with the manager.
installs(key, manager, install) if {
	some command in docker.parsed_runs[key]
	install in command.programs[manager]
}

# Whether the RUN instruction at `key` upgrades with the manager: an upgrade
# in the same step uses the index that the update fetched.
upgrades(key, manager) if {
	some command in docker.parsed_runs[key]
	some word in command.programs[manager]
	word in {"upgrade", "dist-upgrade", "full-upgrade"}
}
