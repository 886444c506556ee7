# METADATA
# title: "Downloaded script piped into a shell"
# description: "`curl ... | sh` runs whatever the server returns at build time, without a checksum or signature check, so a compromised or spoofed server controls the image."
# custom:
#   id: misconfig-dockerfile-pipe-to-shell
#   severity: HIGH
#   input: [dockerfile, image-config]
#   remediation: "Download the script to a file, verify its checksum or signature, then run it."
#   references:
#     - https://docs.docker.com/build/building/best-practices/#run
#     - https://owasp.org/www-project-top-ten/2017/A9_2017-Using_Components_with_Known_Vulnerabilities
package bulwark.dockerfile.pipe_to_shell

import rego.v1

import data.lib.docker

deny contains result if {
	some inst in docker.runs
	script := docker.run_script(inst)
	regex.match(`(curl|wget)\s[^|;&]*\|\s*(sudo\s+)?(/usr)?(/bin/)?(ba|z|da|k)?sh\b`, script)
	result := docker.result(inst, "RUN pipes a downloaded script straight into a shell")
}
