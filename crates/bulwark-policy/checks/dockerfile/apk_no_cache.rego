# METADATA
# title: "apk add without --no-cache"
# description: "apk add keeps the package index in the image unless --no-cache is given."
# custom:
#   id: misconfig-dockerfile-apk-no-cache
#   severity: LOW
#   input: [dockerfile, image-config]
#   remediation: "Use `apk add --no-cache`."
#   references:
#     - https://docs.docker.com/build/building/best-practices/
package bulwark.dockerfile.apk_no_cache

import rego.v1

import data.lib.docker

deny contains result if {
	some command in docker.run_commands
	"add" in command.programs["apk"]
	not contains(command.command, "--no-cache")
	not cache_mount(command.inst)
	result := docker.result(command.inst, "apk add runs without --no-cache")
}

cache_mount(inst) if contains(object.get(inst, ["flags", "mount"], ""), "/var/cache/apk")
