# METADATA
# title: "yum, dnf, microdnf or zypper cache not cleaned"
# description: "yum, dnf, microdnf and zypper keep downloaded packages and metadata in their cache. Unless the same RUN cleans it, the cache stays in the layer."
# custom:
#   id: misconfig-dockerfile-package-cache-not-cleaned
#   severity: LOW
#   input: [dockerfile, image-config]
#   remediation: "End the RUN with `yum clean all`, `dnf clean all`, `microdnf clean all` or `zypper clean`."
#   references:
#     - https://docs.docker.com/build/building/best-practices/
package bulwark.dockerfile.package_cache_not_cleaned

import rego.v1

import data.lib.docker

cleaners := {"yum": "clean", "dnf": "clean", "microdnf": "clean", "zypper": "clean"}

deny contains result if {
	some inst in docker.runs
	cmds := docker.commands(inst)
	some manager, clean in cleaners
	some command in cmds
	contains(command, manager)
	some install in ["install", "in", "update", "up"]
	docker.runs_subcommand(command, manager, install)
	not cleaned(cmds, manager, clean, inst)
	result := docker.result(inst, sprintf("RUN installs with %s but does not run '%s %s'", [manager, manager, clean]))
}

cleaned(cmds, manager, clean, _) if {
	some command in cmds
	docker.runs_subcommand(command, manager, clean)
}

cleaned(_, _, _, inst) if regex.match(`rm\s+-[a-z]*r[a-z]*f?\s+/var/cache/(yum|dnf|zypp)`, docker.run_script(inst))
