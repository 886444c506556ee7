# Helpers shared by the Kubernetes checks: where the pod spec of each
# workload kind lives, and every container with its path in the input.
package lib.kubernetes

import rego.v1

template_kinds := {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job"}

# Path from the object root to the pod spec, per workload kind.
pod_spec_path := ["spec"] if input.kind == "Pod"

pod_spec_path := ["spec", "template", "spec"] if input.kind in template_kinds

pod_spec_path := ["spec", "jobTemplate", "spec", "template", "spec"] if input.kind == "CronJob"

pod_spec_path := ["template", "spec"] if input.kind == "PodTemplate"

# Path to the metadata that carries the pod's annotations.
pod_metadata_path := ["metadata"] if input.kind == "Pod"

pod_metadata_path := array.concat(array.slice(pod_spec_path, 0, count(pod_spec_path) - 1), ["metadata"]) if input.kind != "Pod"

is_workload if pod_spec_path

# Fields that are null or of the wrong type count as absent, so that one
# malformed field cannot make every check fail with an evaluation error.
pod_spec := object_or_empty(object.get(input, pod_spec_path, {}))

pod_metadata := object_or_empty(object.get(input, pod_metadata_path, {}))

pod_security_context := object_or_empty(object.get(pod_spec, "securityContext", {}))

object_or_empty(value) := value if is_object(value)

object_or_empty(value) := {} if not is_object(value)

array_or_empty(value) := value if is_array(value)

array_or_empty(value) := [] if not is_array(value)

# Every container, init container and ephemeral container as
# {"container", "path", "field"}.
containers contains {"container": c, "path": array.concat(pod_spec_path, [field, i]), "field": field} if {
	some field in ["containers", "initContainers", "ephemeralContainers"]
	some i, c in array_or_empty(object.get(pod_spec, field, []))
	is_object(c)
}

# Every volume with its path.
volumes contains {"volume": v, "path": array.concat(pod_spec_path, ["volumes", i])} if {
	some i, v in array_or_empty(object.get(pod_spec, "volumes", []))
}

# A container's security context field, falling back to the pod's.
effective(container, field) := container.securityContext[field]

effective(container, field) := pod_security_context[field] if not has_field(object.get(container, "securityContext", {}), field)

has_field(obj, field) if _ = obj[field]

# Display name for messages, such as "Deployment 'web'".
name := sprintf("%s '%s'", [input.kind, object.get(input, ["metadata", "name"], "")])

container_label(entry) := sprintf("%s '%s' of %s", [kind_word(entry.field), object.get(entry.container, "name", ""), name])

kind_word("containers") := "container"

kind_word("initContainers") := "init container"

kind_word("ephemeralContainers") := "ephemeral container"

# Result pointing at a path inside the input.
result(path, msg) := {"msg": msg, "path": path}
