# METADATA
# title: "ADD used to copy local files"
# description: "ADD also fetches URLs and unpacks archives, which makes its effect depend on the source. For plain local files COPY does the same with no surprises."
# custom:
#   id: misconfig-dockerfile-add-instead-of-copy
#   severity: LOW
#   input: [dockerfile]
#   remediation: "Use COPY for local files and directories. Keep ADD only to unpack a local tar archive."
#   references:
#     - https://docs.docker.com/build/building/best-practices/#add-or-copy
#     - https://www.cisecurity.org/benchmark/docker
#   frameworks:
#     cis-docker-1.6: ["4.9"]
package bulwark.dockerfile.add_instead_of_copy

import rego.v1

import data.lib.docker

deny contains result if {
	some inst in docker.instructions
	inst.cmd == "add"
	sources := array.slice(operands(inst), 0, count(operands(inst)) - 1)
	some src in sources
	not is_remote(src)
	not is_archive(src)
	result := docker.result(inst, sprintf("ADD copies the local file '%s'; use COPY instead", [src]))
}

operands(inst) := [trim(a, "\"") | some a in inst.args; not startswith(a, "--")]

is_remote(src) if regex.match(`^(https?|git)://|^git@`, src)

is_archive(src) if regex.match(`\.(tar|tar\.gz|tgz|tar\.bz2|tbz2?|tar\.xz|txz|tar\.zst|tzst)$`, lower(src))
