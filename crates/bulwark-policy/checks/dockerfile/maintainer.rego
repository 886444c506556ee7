# METADATA
# title: "Deprecated MAINTAINER used"
# description: "MAINTAINER has been deprecated since Docker 1.13. A LABEL carries the same information and tools read it."
# custom:
#   id: misconfig-dockerfile-maintainer
#   severity: HIGH
#   input: [dockerfile]
#   remediation: "Replace MAINTAINER with `LABEL org.opencontainers.image.authors=...`."
#   references:
#     - https://docs.docker.com/reference/dockerfile/#maintainer-deprecated
package bulwark.dockerfile.maintainer

import rego.v1

import data.lib.docker

deny contains result if {
	some inst in docker.instructions
	inst.cmd == "maintainer"
	result := docker.result(inst, "MAINTAINER is deprecated; use a LABEL")
}
