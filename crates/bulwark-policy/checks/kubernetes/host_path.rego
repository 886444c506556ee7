# METADATA
# title: "hostPath volume mounted"
# description: "A hostPath volume exposes a directory of the node to the pod. Writable host paths are a common way to escape to the node."
# custom:
#   id: misconfig-k8s-host-path
#   severity: MEDIUM
#   input: [kubernetes]
#   remediation: "Use a persistentVolumeClaim, emptyDir, configMap or secret volume instead of hostPath."
#   references:
#     - https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline
#     - https://kubernetes.io/docs/concepts/storage/volumes/#hostpath
#   frameworks:
#     pss: ["baseline"]
package bulwark.kubernetes.host_path

import rego.v1

import data.lib.kubernetes as k8s

deny contains result if {
	some entry in k8s.volumes
	entry.volume.hostPath
	result := k8s.result(array.concat(entry.path, ["hostPath"]), sprintf("%s mounts the host path '%s' as volume '%s'", [k8s.name, object.get(entry.volume.hostPath, "path", ""), object.get(entry.volume, "name", "")]))
}
