# METADATA
# title: "Volume type outside the restricted set"
# description: "The restricted Pod Security Standard allows only configMap, csi, downwardAPI, emptyDir, ephemeral, persistentVolumeClaim, projected and secret volumes. Other types reach storage on the node or need node-level drivers."
# custom:
#   id: misconfig-k8s-restricted-volume-types
#   severity: LOW
#   input: [kubernetes]
#   remediation: "Use a persistentVolumeClaim for storage instead of a volume source of another type."
#   references:
#     - https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted
#   frameworks:
#     pss: ["restricted"]
package bulwark.kubernetes.restricted_volume_types

import rego.v1

import data.lib.kubernetes as k8s

allowed := {"name", "configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"}

deny contains result if {
	some entry in k8s.volumes

	# A malformed manifest can hold a string where a volume belongs.
	is_object(entry.volume)
	some field, _ in entry.volume
	not field in allowed
	result := k8s.result(array.concat(entry.path, [field]), sprintf("%s uses the %s volume type for '%s'", [k8s.name, field, entry.volume.name]))
}
