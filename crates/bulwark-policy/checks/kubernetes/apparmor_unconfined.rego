# METADATA
# title: "AppArmor profile overridden"
# description: "The baseline Pod Security Standard allows only the runtime default or a localhost AppArmor profile. Unconfined or other values turn off or replace the default confinement."
# custom:
#   id: misconfig-k8s-apparmor-unconfined
#   severity: MEDIUM
#   input: [kubernetes]
#   remediation: "Remove the AppArmor annotation or set it to runtime/default, or set `appArmorProfile.type: RuntimeDefault`."
#   references:
#     - https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline
#     - https://kubernetes.io/docs/tutorials/security/apparmor/
#   frameworks:
#     pss: ["baseline"]
package bulwark.kubernetes.apparmor_unconfined

import rego.v1

import data.lib.kubernetes as k8s

prefix := "container.apparmor.security.beta.kubernetes.io/"

deny contains result if {
	annotations := object.get(k8s.pod_metadata, "annotations", {})

	# `annotations: null` (or another non-mapping) is the same as none.
	is_object(annotations)
	some key, value in annotations
	startswith(key, prefix)
	not allowed_annotation(value)
	result := k8s.result(array.concat(k8s.pod_metadata_path, ["annotations", key]), sprintf("%s sets AppArmor profile '%s' for container '%s'", [k8s.name, value, substring(key, count(prefix), -1)]))
}

deny contains result if {
	some entry in k8s.containers
	k8s.effective(entry.container, "appArmorProfile").type == "Unconfined"
	result := k8s.result(entry.path, sprintf("%s runs without AppArmor confinement", [k8s.container_label(entry)]))
}

allowed_annotation(value) if value == "runtime/default"

allowed_annotation(value) if startswith(value, "localhost/")

# A forbidden pod-level value is reported even when every container sets
# its own, as the Pod Security admission rejects such a pod. When a
# container inherits it, the rule above reports that container instead.
deny contains result if {
	k8s.pod_security_context.appArmorProfile.type == "Unconfined"
	every entry in k8s.containers {
		k8s.has_field(object.get(entry.container, "securityContext", {}), "appArmorProfile")
	}
	result := k8s.result(array.concat(k8s.pod_spec_path, ["securityContext", "appArmorProfile", "type"]), sprintf("%s runs the pod without AppArmor confinement, and no container inherits it", [k8s.name]))
}
