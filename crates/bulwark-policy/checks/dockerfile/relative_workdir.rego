# METADATA
# title: "WORKDIR with a relative path"
# description: "A relative WORKDIR depends on every earlier WORKDIR, which makes the working directory hard to follow."
# custom:
#   id: misconfig-dockerfile-relative-workdir
#   severity: HIGH
#   input: [dockerfile]
#   remediation: "Use an absolute path in WORKDIR."
#   references:
#     - https://docs.docker.com/build/building/best-practices/#workdir
package bulwark.dockerfile.relative_workdir

import rego.v1

import data.lib.docker

deny contains result if {
	some inst in docker.instructions
	inst.cmd == "workdir"
	dir := trim(concat(" ", inst.args), "\"'")
	not startswith(dir, "/")
	not startswith(dir, "$")
	not regex.match(`^[A-Za-z]:[\\/]`, dir)
	result := docker.result(inst, sprintf("WORKDIR '%s' is not an absolute path", [dir]))
}
