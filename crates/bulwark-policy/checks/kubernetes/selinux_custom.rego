# METADATA
# title: "Custom SELinux options set"
# description: "Setting the SELinux user or role, or a type other than the container types, can give the container access that the default policy denies."
# custom:
#   id: misconfig-k8s-selinux-custom
#   severity: MEDIUM
#   input: [kubernetes]
#   remediation: "Remove seLinuxOptions.user and role, and keep type to container_t, container_init_t, container_kvm_t or container_engine_t."
#   references:
#     - https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline
#   frameworks:
#     pss: ["baseline"]
package bulwark.kubernetes.selinux_custom

import rego.v1

import data.lib.kubernetes as k8s

deny contains result if {
	some entry in k8s.containers
	c := entry.container
	options := k8s.effective(c, "seLinuxOptions")
	not selinux_allowed(options)
	result := k8s.result(entry.path, sprintf("%s sets custom SELinux options", [k8s.container_label(entry)]))
}

selinux_allowed(options) if {
	not options.user
	not options.role
	object.get(options, "type", "") in {"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"}
}
