#!/usr/bin/env python3
"""Score CVSS vectors with Red Hat's `cvss` package, an independent oracle.

Reads one vector a line on standard input and writes one line per vector:
`ok<TAB>SCORE<TAB>RATING` with the score to one decimal and the rating in
lowercase, or `error<TAB>MESSAGE` when the package rejects the vector.
For v3.x the score is the base score; for v4.0 it is the score of every
metric the vector contains, as the v4.0 specification defines.

Exits with status 3 when the `cvss` module is missing (install
tests/python-requirements.txt).
"""

import sys

try:
    from cvss import CVSS3, CVSS4
except ImportError as error:
    print(
        f"missing Python module {error.name!r}: install tests/python-requirements.txt "
        "into the venv named by BULWARK_PYTHON",
        file=sys.stderr,
    )
    sys.exit(3)


def score(vector):
    """Return (score, rating) of one vector; raise on an invalid vector."""
    if vector.startswith("CVSS:4.0/"):
        parsed = CVSS4(vector)
        return float(parsed.base_score), parsed.severity
    if vector.startswith(("CVSS:3.0/", "CVSS:3.1/")):
        parsed = CVSS3(vector)
        return float(parsed.base_score), parsed.severities()[0]
    raise ValueError("not a CVSS v3.x or v4.0 vector")


def main():
    out = []
    for line in sys.stdin:
        vector = line.rstrip("\n")
        try:
            value, rating = score(vector)
        except Exception as error:  # the oracle's verdict, whatever its type
            message = " ".join(str(error).split())
            out.append(f"error\t{type(error).__name__}: {message}")
            continue
        out.append(f"ok\t{value:.1f}\t{rating.lower()}")
    sys.stdout.write("\n".join(out) + ("\n" if out else ""))


if __name__ == "__main__":
    main()
