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

# The Pod Security Standards judge the pod-level options on their own, so
# they are reported even when every container sets options of its own (when
# some container inherits them, the rule above reports that container).
deny contains result if {
	options := k8s.pod_security_context.seLinuxOptions
	not selinux_allowed(options)
	not inherited_by_a_container
	result := k8s.result(array.concat(k8s.pod_spec_path, ["securityContext", "seLinuxOptions"]), sprintf("%s sets custom SELinux options in its pod security context", [k8s.name]))
}

inherited_by_a_container if {
	some entry in k8s.containers
	not k8s.has_field(object.get(entry.container, "securityContext", {}), "seLinuxOptions")
}
