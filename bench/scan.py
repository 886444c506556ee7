#!/usr/bin/env python3
"""Times a full `bulwark scan image` against Trivy's SBOM step on the same images.

Usage: bench/scan.py [--runs N] [--images DIR] [--trivy PATH] [--bulwark PATH]

Bulwark's time covers the whole scan: reading the layers, the inventory,
matching every package against a database of real feeds (Alpine 3.19
secdb, Debian 12 OVAL, PyPA's advisories, the GHSA sample, CISA KEV) and writing the JSON report.
Trivy has no vulnerability database on this machine, so it runs with
`--scanners=` and writes only its CycloneDX SBOM: its time is a lower bound
of what its vulnerability scan would take. Runs alternate between the two
tools; Trivy gets a fresh cache directory per run. Prints a Markdown table
of medians (wall time from the kernel, peak RSS).
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sbom import ROOT, fetch_trivy, run  # noqa: E402

FEEDS = [
    "scan/pschou-oval/debian-oval/oval-definitions-bookworm.xml.bz2",
    "scan/pypa-advisory-database/vulns.tar.gz",
    "scan/ghsa-sample",
    "scan/cisa-kev/known_exploited_vulnerabilities.json",
]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--images", default=os.environ.get("BULWARK_CORPUS_IMAGES", "/tmp/corpus-images"))
    parser.add_argument("--trivy", default=None)
    parser.add_argument("--bulwark", default=os.path.join(ROOT, "target/release/bulwark"))
    args = parser.parse_args()
    trivy = args.trivy or fetch_trivy(os.path.join(ROOT, "bench/out/peers"))
    corpus = os.path.join(ROOT, "..", "shared", "corpus")

    cache = tempfile.mkdtemp(prefix="bulwark-scan-bench-")
    subprocess.run([args.bulwark, "db", "import", "-q", "--cache-dir", cache]
                   + [os.path.join(corpus, feed) for feed in FEEDS]
                   + [os.path.join(ROOT, "testdata/vulndb/alpine-v3.19")], check=True)

    cases = [("alpine-3.19 (committed)", os.path.join(ROOT, "testdata/images/alpine-3.19"))]
    for name in ["debian-bookworm-minbase", "py-app", "node-app"]:
        cases.append((name, os.path.join(args.images, "oci", name)))

    print(f"runs per command: {args.runs}; machine: {os.cpu_count()} CPUs; bulwark {args.bulwark}; trivy {trivy}")
    print()
    print("| image (OCI layout) | findings | bulwark scan wall s | trivy SBOM wall s | ratio bulwark/trivy |")
    print("|---|---|---|---|---|")
    for name, path in cases:
        if not os.path.exists(path):
            print(f"| {name} | missing: {path} | | | |")
            continue
        report = subprocess.run([args.bulwark, "scan", "image", "-q", "-f", "json", "--exit-zero",
                                 "--cache-dir", cache, f"oci:{path}"], capture_output=True, check=True)
        findings = report.stdout.count(b'"advisories": [')
        ours, theirs, ratios = [], [], []
        for _ in range(args.runs):
            wall, _, code = run([args.bulwark, "scan", "image", "-q", "-f", "json", "-o", "/dev/null",
                                   "--cache-dir", cache, f"oci:{path}"])
            assert code in (0, 1), f"bulwark exited {code} on {path}"
            trivy_cache = tempfile.mkdtemp(prefix="trivy-cache-")
            twall, _, tcode = run([trivy, "image", "--quiet", "--cache-dir", trivy_cache,
                                      "--format", "cyclonedx", "-o", "/dev/null", "--skip-db-update",
                                      "--skip-java-db-update", "--skip-check-update", "--skip-version-check",
                                      "--offline-scan", "--scanners=", "--disable-telemetry", "--input", path])
            assert tcode == 0, f"trivy exited {tcode} on {path}"
            shutil.rmtree(trivy_cache, ignore_errors=True)
            ours.append(wall)
            theirs.append(twall)
            ratios.append(wall / twall)
        print(f"| {name} | {findings} | {statistics.median(ours):.3f} | {statistics.median(theirs):.3f} | "
              f"{statistics.median(ratios):.2f} |")
    shutil.rmtree(cache, ignore_errors=True)


if __name__ == "__main__":
    main()
