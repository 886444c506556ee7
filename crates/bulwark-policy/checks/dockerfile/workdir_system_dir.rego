# METADATA
# title: "WORKDIR set to a system directory"
# description: "Setting WORKDIR to /, /proc, /sys, /dev, /etc, /boot or similar makes later COPY and RUN steps write over system files."
# custom:
#   id: misconfig-dockerfile-workdir-system-dir
#   severity: HIGH
#   input: [dockerfile]
#   remediation: "Use a dedicated directory such as /app."
#   references:
#     - https://docs.docker.com/build/building/best-practices/#workdir
package bulwark.dockerfile.workdir_system_dir

import rego.v1

import data.lib.docker

system_dirs := {"/", "/proc", "/sys", "/dev", "/boot", "/etc", "/bin", "/sbin", "/lib", "/lib64", "/usr", "/usr/bin", "/usr/sbin", "/usr/lib", "/var/run", "/run"}

deny contains result if {
	some inst in docker.instructions
	inst.cmd == "workdir"
	dir := trim(concat(" ", inst.args), "\"'")
	normalized := trim_right(dir, "/")
	some system in system_dirs
	any_match(normalized, system)
	result := docker.result(inst, sprintf("WORKDIR '%s' is a system directory", [dir]))
}

any_match(dir, system) if dir == trim_right(system, "/")
