# METADATA
# title: "apt-get install without --no-install-recommends"
# description: "Without --no-install-recommends apt-get also installs recommended packages, which enlarges the image and its attack surface."
# custom:
#   id: misconfig-dockerfile-apt-no-install-recommends
#   severity: LOW
#   input: [dockerfile, image-config]
#   remediation: "Add --no-install-recommends to apt-get install."
#   references:
#     - https://docs.docker.com/build/building/best-practices/#apt-get
package bulwark.dockerfile.apt_no_install_recommends

import rego.v1

import data.lib.docker

deny contains result if {
	some command in docker.run_commands
	"install" in command.programs["apt-get"]
	not regex.match(`--no-install-recommends|APT::Install-Recommends=(false|0)`, command.command)
	result := docker.result(command.inst, "apt-get install runs without --no-install-recommends")
}
