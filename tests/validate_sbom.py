#!/usr/bin/env python3
"""Validate an SBOM that `bulwark sbom` wrote.

Usage: validate_sbom.py cyclonedx|spdx-json FILE

CycloneDX documents are checked against the CycloneDX 1.6 JSON schema in
strict mode (cyclonedx-python-lib). SPDX documents are parsed and checked
with the SPDX project's own tools (spdx-tools), which apply the SPDX 2.3
rules. Both also get checks the schemas cannot express: unique element
ids, references that resolve, package URLs that parse and are in canonical
form, and license expressions made of known SPDX ids or declared
`LicenseRef-` ids.

Prints every problem found, one per line, and exits with status 1 when
there is any, 0 when the document is valid, 2 on usage errors and 3 when
a validator module is missing (install tests/python-requirements.txt).
"""

import json
import sys

EXIT_VALID = 0
EXIT_INVALID = 1
EXIT_USAGE = 2
EXIT_MISSING_MODULE = 3

try:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator
    from license_expression import ExpressionError, get_spdx_licensing
    from packageurl import PackageURL
    from spdx_tools.spdx.parser.error import SPDXParsingError
    from spdx_tools.spdx.parser.json import json_parser
    from spdx_tools.spdx.validation.document_validator import (
        validate_full_spdx_document,
    )
except ImportError as error:
    print(
        f"missing Python module {error.name!r}: run "
        "`python3 -m venv /tmp/bulwark-ci-venv && "
        "/tmp/bulwark-ci-venv/bin/pip install -r tests/python-requirements.txt` "
        "and set BULWARK_PYTHON=/tmp/bulwark-ci-venv/bin/python",
        file=sys.stderr,
    )
    sys.exit(EXIT_MISSING_MODULE)


def check_purl(purl, where):
    """Return the problems of one package URL: unparsable or not canonical."""
    try:
        parsed = PackageURL.from_string(purl)
    except ValueError as error:
        return [f"{where}: invalid purl {purl!r}: {error}"]
    canonical = parsed.to_string()
    if canonical != purl:
        return [f"{where}: purl {purl!r} is not canonical, expected {canonical!r}"]
    return []


def check_expression(expression, where, declared_refs=None):
    """Return the problems of one SPDX license expression.

    `declared_refs` is the set of `LicenseRef-` ids the document declares;
    None means the format does not declare them (CycloneDX).
    """
    licensing = get_spdx_licensing()
    try:
        parsed = licensing.parse(expression, validate=False)
    except ExpressionError as error:
        return [f"{where}: invalid license expression {expression!r}: {error}"]
    problems = []
    for key in licensing.license_keys(parsed):
        if key.startswith("LicenseRef-"):
            if declared_refs is not None and key not in declared_refs:
                problems.append(
                    f"{where}: {key} is not declared in hasExtractedLicensingInfos"
                )
        elif licensing.validate(key).errors:
            problems.append(f"{where}: {key!r} is not an SPDX license id")
    return problems


def walk_components(components, path):
    """Yield (json path, component) for components and nested components."""
    for index, component in enumerate(components):
        here = f"{path}[{index}]"
        yield here, component
        yield from walk_components(component.get("components", []), f"{here}.components")


def validate_cyclonedx(text):
    """Return every problem of a CycloneDX 1.6 JSON document."""
    problems = []
    validator = JsonStrictValidator(SchemaVersion.V1_6)
    for error in validator.validate_str(text, all_errors=True) or []:
        detail = error.data
        location = "$" + "".join(f"[{p!r}]" for p in detail.absolute_path)
        problems.append(f"schema: {location}: {detail.message}")
    document = json.loads(text)

    refs = {}
    root = document.get("metadata", {}).get("component")
    listed = [("$.metadata.component", root)] if root else []
    listed += list(walk_components(document.get("components", []), "$.components"))
    for where, component in listed:
        ref = component.get("bom-ref")
        if ref is None:
            continue
        if ref in refs:
            problems.append(f"{where}: bom-ref {ref!r} repeats {refs[ref]}")
        refs.setdefault(ref, where)
        if "purl" in component:
            problems += check_purl(component["purl"], where)
        for index, choice in enumerate(component.get("licenses", [])):
            if "expression" in choice:
                problems += check_expression(
                    choice["expression"], f"{where}.licenses[{index}]"
                )

    seen_refs = set()
    for index, entry in enumerate(document.get("dependencies", [])):
        where = f"$.dependencies[{index}]"
        ref = entry.get("ref")
        if ref not in refs:
            problems.append(f"{where}: ref {ref!r} names no component")
        if ref in seen_refs:
            problems.append(f"{where}: ref {ref!r} has more than one entry")
        seen_refs.add(ref)
        for target in entry.get("dependsOn", []):
            if target not in refs:
                problems.append(f"{where}: dependsOn {target!r} names no component")
    return problems


def validate_spdx(path):
    """Return every problem of an SPDX 2.3 JSON document."""
    try:
        document = json_parser.parse_from_file(path)
    except SPDXParsingError as error:
        return [f"parse: {message}" for message in error.get_messages()]
    problems = []
    for message in validate_full_spdx_document(document):
        context = message.context
        element = context.spdx_id or (context.element_type and context.element_type.name)
        prefix = f"{element}: " if element else ""
        problems.append(f"spdx: {prefix}{message.validation_message}")

    with open(path, encoding="utf-8") as file:
        raw = json.load(file)
    declared = {info["licenseId"] for info in raw.get("hasExtractedLicensingInfos", [])}
    for package in raw.get("packages", []):
        where = package.get("SPDXID", "?")
        for field in ("licenseDeclared", "licenseConcluded"):
            value = package.get(field)
            if value and value not in ("NOASSERTION", "NONE"):
                problems += check_expression(value, f"{where}.{field}", declared)
        for ref in package.get("externalRefs", []):
            if ref.get("referenceType") == "purl":
                problems += check_purl(ref["referenceLocator"], where)
    return problems


def main(argv):
    if len(argv) != 3 or argv[1] not in ("cyclonedx", "spdx-json"):
        print("usage: validate_sbom.py cyclonedx|spdx-json FILE", file=sys.stderr)
        return EXIT_USAGE
    kind, path = argv[1], argv[2]
    if kind == "cyclonedx":
        with open(path, encoding="utf-8") as file:
            problems = validate_cyclonedx(file.read())
    else:
        problems = validate_spdx(path)
    for problem in problems:
        print(problem)
    if problems:
        print(f"{path}: {len(problems)} problems", file=sys.stderr)
        return EXIT_INVALID
    print(f"{path}: valid {kind}", file=sys.stderr)
    return EXIT_VALID


if __name__ == "__main__":
    sys.exit(main(sys.argv))
