# METADATA
# title: "Service image uses the latest tag or no tag"
# description: "An image without a tag or with `latest` changes whenever it is pushed, so two deployments of the same file can run different code."
# custom:
#   id: misconfig-compose-image-latest
#   severity: MEDIUM
#   input: [compose]
#   remediation: "Pin the image to a version tag or a digest."
#   references:
#     - https://docs.docker.com/reference/compose-file/services/#image
package bulwark.compose.image_latest

import rego.v1

deny contains result if {
	some name, service in object.get(input, "services", {})
	image := service.image
	not contains(image, "@")
	not contains(image, "$")
	parts := split(image, "/")
	last := parts[count(parts) - 1]
	tag_missing_or_latest(last)
	result := {"msg": sprintf(sprintf("Service '%%s' uses image '%s' without a pinned tag", [image]), [name]), "path": ["services", name, "image"], "resource": sprintf("service %s", [name])}
}

tag_missing_or_latest(last) if not contains(last, ":")

tag_missing_or_latest(last) if split(last, ":")[1] == "latest"
