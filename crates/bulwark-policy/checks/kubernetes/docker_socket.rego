# METADATA
# title: "Container runtime socket mounted"
# description: "Mounting the Docker or containerd socket gives the pod full control of the node's container runtime, which is root on the node."
# custom:
#   id: misconfig-k8s-docker-socket
#   severity: HIGH
#   input: [kubernetes]
#   remediation: "Do not mount /var/run/docker.sock, /run/containerd/containerd.sock or /var/run/crio/crio.sock into pods."
#   references:
#     - https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline
#     - https://www.cisecurity.org/benchmark/kubernetes
#   frameworks:
#     pss: ["baseline"]
package bulwark.kubernetes.docker_socket

import rego.v1

import data.lib.kubernetes as k8s

sockets := {"/var/run/docker.sock", "/run/docker.sock", "/var/run/containerd/containerd.sock", "/run/containerd/containerd.sock", "/var/run/crio/crio.sock", "/run/crio/crio.sock"}

deny contains result if {
	some entry in k8s.volumes
	path := trim_right(entry.volume.hostPath.path, "/")
	path in sockets
	result := k8s.result(array.concat(entry.path, ["hostPath", "path"]), sprintf("%s mounts the container runtime socket %s", [k8s.name, path]))
}
