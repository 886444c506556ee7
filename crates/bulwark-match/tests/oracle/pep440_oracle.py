"""Independent PyPI matcher for the corpus image tests.

Reads OSV advisories from a .tar.gz of YAML or JSON files, and for each
installed (name, version) pair prints the advisory ids whose `affected`
entries cover the version. Versions are ordered by the `packaging` library
(PEP 440), names compared after PEP 503 normalization. Ranges follow the
OSV schema's evaluation: events sorted by version, `introduced` opens an
interval, `fixed` closes it at the version, `last_affected` after it.

Usage: python pep440_oracle.py ADVISORIES.tar.gz INSTALLED.json
INSTALLED.json holds [[name, version], ...]; output is JSON
[[name, version, advisory_id], ...] on stdout.
"""

import json
import sys
import tarfile

import yaml
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version


def key(text):
    return (0, None) if text == "0" else (1, Version(text))


def in_range(version, events):
    ordered = []
    limits = []
    for event in events:
        for kind in ("introduced", "fixed", "last_affected"):
            if kind in event:
                ordered.append((key(str(event[kind])), kind))
        if "limit" in event:
            limits.append(str(event["limit"]))
    if limits and not any(l == "*" or version < Version(l) for l in limits):
        return False
    ordered.sort(key=lambda item: item[0])
    affected = False
    for (zero, bound), kind in ordered:
        if kind == "introduced" and (bound is None or version >= bound):
            affected = True
        elif kind == "fixed" and version >= bound:
            affected = False
        elif kind == "last_affected" and version > bound:
            affected = False
    return affected


def covers(entry, text):
    version = Version(text)
    for listed in entry.get("versions") or []:
        try:
            if Version(str(listed)) == version:
                return True
        except InvalidVersion:
            if str(listed) == text:
                return True
    for range_ in entry.get("ranges") or []:
        if range_.get("type") == "ECOSYSTEM" and in_range(version, range_.get("events") or []):
            return True
    return False


def main():
    installed = {}
    for name, version in json.load(open(sys.argv[2])):
        installed.setdefault(canonicalize_name(name), []).append((name, version))
    found = set()
    with tarfile.open(sys.argv[1]) as archive:
        for member in archive:
            if not member.isfile() or not member.name.endswith((".yaml", ".json")):
                continue
            document = yaml.safe_load(archive.extractfile(member))
            if not isinstance(document, dict) or document.get("withdrawn"):
                continue
            for entry in document.get("affected") or []:
                package = entry.get("package") or {}
                if package.get("ecosystem") != "PyPI":
                    continue
                for name, version in installed.get(canonicalize_name(package["name"]), []):
                    if covers(entry, version):
                        found.add((name, version, document["id"]))
    json.dump(sorted(found), sys.stdout)


main()
