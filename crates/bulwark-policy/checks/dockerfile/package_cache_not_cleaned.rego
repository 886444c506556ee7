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
	some command in docker.run_commands
	some manager, after in command.programs
	clean := cleaners[manager]
	some install in ["install", "in", "update", "up"]
	install in after
	not cleaned(command, manager, clean)
	result := docker.result(command.inst, sprintf("RUN installs with %s but does not run '%s %s'", [manager, manager, clean]))
}

# Whether the RUN instruction of the command also cleans the cache.
cleaned(command, manager, clean) if {
	some other in docker.parsed_runs[command.key]
	clean in other.programs[manager]
}

cleaned(command, _, _) if regex.match(`rm\s+-[a-z]*r[a-z]*f?\s+/var/cache/(yum|dnf|zypp)`, docker.run_script(command.inst))
