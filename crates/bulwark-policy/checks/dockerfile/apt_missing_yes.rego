# METADATA
# title: "apt-get install without -y"
# description: "apt-get install asks for confirmation unless -y (or --yes, --assume-yes, -qq) is given. A build has no terminal, so the step fails or hangs."
# custom:
#   id: misconfig-dockerfile-apt-missing-yes
#   severity: LOW
#   input: [dockerfile, image-config]
#   remediation: "Add -y to apt-get install."
#   references:
#     - https://docs.docker.com/build/building/best-practices/#apt-get
package bulwark.dockerfile.apt_missing_yes

import rego.v1

import data.lib.docker

deny contains result if {
	some command in docker.run_commands
	"install" in command.programs["apt-get"]
	not regex.match(`(^|\s)(-[a-zA-Z]*y[a-zA-Z]*|--yes|--assume-yes|-qq|-q=2|--quiet=2)(\s|$)`, command.command)
	result := docker.result(command.inst, "apt-get install runs without -y")
}
