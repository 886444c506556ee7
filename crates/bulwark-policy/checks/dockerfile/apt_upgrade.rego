# METADATA
# title: "apt-get upgrade or dist-upgrade in a build"
# description: "Upgrading all packages inside a build makes the result depend on the day of the build. The base image maintainer is the one who should ship the updates."
# custom:
#   id: misconfig-dockerfile-apt-upgrade
#   severity: LOW
#   input: [dockerfile, image-config]
#   remediation: "Use a newer base image instead of upgrading in place, or install specific package versions."
#   references:
#     - https://docs.docker.com/build/building/best-practices/#apt-get
package bulwark.dockerfile.apt_upgrade

import rego.v1

import data.lib.docker

deny contains result if {
	some command in docker.run_commands
	some sub in ["upgrade", "dist-upgrade", "full-upgrade"]
	sub in command.programs["apt-get"]
	result := docker.result(command.inst, sprintf("RUN runs apt-get %s", [sub]))
}
