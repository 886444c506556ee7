# METADATA
# title: "imagePullPolicy not Always"
# description: "With IfNotPresent a node reuses a cached image, so a pod may start with an image that the registry has since replaced or that another tenant pulled."
# custom:
#   id: misconfig-k8s-image-pull-policy
#   severity: LOW
#   input: [kubernetes]
#   remediation: "Set imagePullPolicy: Always, or pin images by digest."
#   references:
#     - https://kubernetes.io/docs/concepts/containers/images/#image-pull-policy
package bulwark.kubernetes.image_pull_policy

import rego.v1

import data.lib.kubernetes as k8s

deny contains result if {
	some entry in k8s.containers
	c := entry.container
	not contains(c.image, "@")
	object.get(c, "imagePullPolicy", "") != "Always"
	not implicit_always(c)
	result := k8s.result(entry.path, sprintf("%s does not set imagePullPolicy to Always", [k8s.container_label(entry)]))
}

# Kubernetes defaults imagePullPolicy to Always for :latest and untagged images.
implicit_always(c) if {
	not c.imagePullPolicy
	parts := split(c.image, "/")
	last := parts[count(parts) - 1]
	not contains(last, ":")
}

implicit_always(c) if {
	not c.imagePullPolicy
	endswith(c.image, ":latest")
}
