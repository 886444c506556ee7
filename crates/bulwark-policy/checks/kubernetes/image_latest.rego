# METADATA
# title: "Image uses the latest tag or no tag"
# description: "An image without a tag or with `latest` can change under a running deployment, so nodes may run different code and rollbacks do not work."
# custom:
#   id: misconfig-k8s-image-latest
#   severity: MEDIUM
#   input: [kubernetes]
#   remediation: "Pin the image to a version tag or a digest."
#   references:
#     - https://kubernetes.io/docs/concepts/containers/images/#image-names
package bulwark.kubernetes.image_latest

import rego.v1

import data.lib.kubernetes as k8s

deny contains result if {
	some entry in k8s.containers
	c := entry.container
	image := c.image
	not contains(image, "@")
	tag := image_tag(image)
	tag in {"", "latest"}
	result := k8s.result(array.concat(entry.path, ["image"]), sprintf(sprintf("%%s uses image '%s' without a pinned tag", [c.image]), [k8s.container_label(entry)]))
}

# The tag of an image reference, or "" without one. A colon before the
# last slash belongs to a registry port.
image_tag(image) := tag if {
	parts := split(image, "/")
	last := parts[count(parts) - 1]
	contains(last, ":")
	tag := split(last, ":")[1]
}

image_tag(image) := "" if {
	parts := split(image, "/")
	not contains(parts[count(parts) - 1], ":")
}
