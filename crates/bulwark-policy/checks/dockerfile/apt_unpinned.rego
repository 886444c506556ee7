# METADATA
# title: "apt-get install without version pins"
# description: "Packages installed without a version (`pkg=1.2-3`) change between builds, so two builds of the same Dockerfile can differ."
# custom:
#   id: misconfig-dockerfile-apt-unpinned
#   severity: LOW
#   input: [dockerfile]
#   remediation: "Pin versions with `apt-get install pkg=VERSION`, or accept the drift and rebuild regularly."
#   references:
#     - https://docs.docker.com/build/building/best-practices/#apt-get
package bulwark.dockerfile.apt_unpinned

import rego.v1

import data.lib.docker

deny contains result if {
	some command in docker.run_commands
	"install" in command.programs["apt-get"]
	ws := command.words
	some i, w in ws
	w == "install"
	some pkg in array.slice(ws, i + 1, count(ws))
	not startswith(pkg, "-")
	not contains(pkg, "=")
	not contains(pkg, "$")
	not endswith(pkg, ".deb")
	result := docker.result(command.inst, sprintf("apt-get installs '%s' without a version pin", [pkg]))
}
