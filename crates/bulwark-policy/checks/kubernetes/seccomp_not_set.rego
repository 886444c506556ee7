# METADATA
# title: "Seccomp profile not set"
# description: "Without a seccomp profile, containers run with no system call filter on most runtimes. The restricted Pod Security Standard requires RuntimeDefault or Localhost."
# custom:
#   id: misconfig-k8s-seccomp-not-set
#   severity: MEDIUM
#   input: [kubernetes]
#   remediation: "Set `securityContext.seccompProfile.type: RuntimeDefault` on the pod."
#   references:
#     - https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted
#     - https://kubernetes.io/docs/tutorials/security/seccomp/
#   frameworks:
#     pss: ["restricted"]
package bulwark.kubernetes.seccomp_not_set

import rego.v1

import data.lib.kubernetes as k8s

deny contains result if {
	some entry in k8s.containers
	not confined(entry.container)
	result := k8s.result(entry.path, sprintf("%s sets no RuntimeDefault or Localhost seccomp profile", [k8s.container_label(entry)]))
}

confined(c) if k8s.effective(c, "seccompProfile").type in {"RuntimeDefault", "Localhost"}

# The annotations used before Kubernetes 1.19.
confined(c) if {
	annotations := object.get(k8s.pod_metadata, "annotations", {})
	key := sprintf("container.seccomp.security.alpha.kubernetes.io/%s", [c.name])
	profile_confined(annotations[key])
}

confined(c) if {
	annotations := object.get(k8s.pod_metadata, "annotations", {})
	not has_container_annotation(annotations, c)
	profile_confined(annotations["seccomp.security.alpha.kubernetes.io/pod"])
}

has_container_annotation(annotations, c) if annotations[sprintf("container.seccomp.security.alpha.kubernetes.io/%s", [c.name])]

profile_confined(profile) if profile in {"runtime/default", "docker/default"}

profile_confined(profile) if startswith(profile, "localhost/")
