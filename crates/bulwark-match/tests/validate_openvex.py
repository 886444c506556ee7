#!/usr/bin/env python3
"""Validate an OpenVEX document against the OpenVEX v0.2.0 JSON schema.

Usage: validate_openvex.py SCHEMA FILE

Checks with Python's jsonschema (Draft 2020-12) and its format checker, so
`date-time` and `iri` values are checked too. Prints every problem, one per
line, and exits 1 when there is any, 0 when the document is valid, 2 on
usage errors and 3 when a module is missing (install
tests/python-requirements.txt).
"""

import json
import sys

try:
    from jsonschema import Draft202012Validator
except ImportError as error:
    print(
        f"missing Python module {error.name!r}: install tests/python-requirements.txt "
        "into the venv named by BULWARK_PYTHON",
        file=sys.stderr,
    )
    sys.exit(3)


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    with open(sys.argv[1], encoding="utf-8") as file:
        schema = json.load(file)
    with open(sys.argv[2], encoding="utf-8") as file:
        document = json.load(file)
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    problems = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    for problem in problems:
        path = "/".join(str(part) for part in problem.absolute_path) or "(root)"
        print(f"{sys.argv[2]}: {path}: {problem.message}")
    if problems:
        return 1
    print(f"{sys.argv[2]}: valid OpenVEX")
    return 0


if __name__ == "__main__":
    sys.exit(main())
