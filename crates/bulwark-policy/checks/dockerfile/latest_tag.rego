# METADATA
# title: "Base image uses the latest tag or no tag"
# description: "A FROM image without a tag or with the `latest` tag resolves to whatever was pushed last, so builds are not reproducible and may pull in unreviewed changes."
# custom:
#   id: misconfig-dockerfile-latest-tag
#   severity: MEDIUM
#   input: [dockerfile]
#   remediation: "Pin the base image to a specific version tag, or better to a digest (`image@sha256:...`)."
#   references:
#     - https://docs.docker.com/build/building/best-practices/#from
#     - https://www.cisecurity.org/benchmark/docker
#   frameworks:
#     cis-docker-1.6: ["4.2"]
package bulwark.dockerfile.latest_tag

import rego.v1

import data.lib.docker

stage_names := {lower(s.name) | some s in input.stages; is_string(s.name)}

deny contains result if {
	some stage in input.stages
	some inst in stage.instructions
	inst.cmd == "from"
	image := [a | some a in inst.args; not startswith(a, "--")][0]
	not contains(image, "@")
	not contains(image, "$")
	lower(image) != "scratch"
	not lower(image) in stage_names
	tag := image_tag(image)
	tag in {"", "latest"}
	result := docker.result(inst, sprintf("FROM image '%s' is not pinned to a version", [image]))
}

# The tag of an image reference, or "" without one. A colon before the last
# slash belongs to a registry port, not to a tag.
image_tag(image) := tag if {
	parts := split(image, "/")
	last := parts[count(parts) - 1]
	contains(last, ":")
	tag := split(last, ":")[1]
}

image_tag(image) := "" if {
	parts := split(image, "/")
	last := parts[count(parts) - 1]
	not contains(last, ":")
}
