# METADATA
# title: "Windows HostProcess container"
# description: "A Windows HostProcess container runs directly on the node with the node's privileges."
# custom:
#   id: misconfig-k8s-windows-host-process
#   severity: HIGH
#   input: [kubernetes]
#   remediation: "Remove windowsOptions.hostProcess."
#   references:
#     - https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline
#   frameworks:
#     pss: ["baseline"]
package bulwark.kubernetes.windows_host_process

import rego.v1

import data.lib.kubernetes as k8s

deny contains result if {
	some entry in k8s.containers
	c := entry.container
	k8s.effective(c, "windowsOptions").hostProcess == true
	result := k8s.result(entry.path, sprintf("%s is a Windows HostProcess container", [k8s.container_label(entry)]))
}

# A forbidden pod-level value is reported even when every container sets
# its own, as the Pod Security admission rejects such a pod. When a
# container inherits it, the rule above reports that container instead.
deny contains result if {
	k8s.pod_security_context.windowsOptions.hostProcess == true
	every entry in k8s.containers {
		k8s.has_field(object.get(entry.container, "securityContext", {}), "windowsOptions")
	}
	result := k8s.result(array.concat(k8s.pod_spec_path, ["securityContext", "windowsOptions", "hostProcess"]), sprintf("%s makes the pod a Windows HostProcess pod, and no container inherits it", [k8s.name]))
}
