#!/usr/bin/env bash
# Test entry point (the README's test command): installs system packages,
# builds the test images, runs the test suite. Run from a clean clone, as
# root, on Debian 12.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)
# Tests read the corpus at ../shared/corpus next to the repository. A clone
# made elsewhere gets a link to the corpus named by $BULWARK_CORPUS or
# found at /work/shared/corpus.
if [ ! -d "$ROOT/../shared/corpus" ]; then
  for candidate in "${BULWARK_CORPUS:-}" /work/shared/corpus; do
    if [ -n "$candidate" ] && [ -d "$candidate" ]; then
      ln -sfn "$(cd "$candidate/.." && pwd)" "$ROOT/../shared"
      break
    fi
  done
fi
[ -d "$ROOT/../shared/corpus" ] || { echo "corpus not found at $ROOT/../shared/corpus; set BULWARK_CORPUS" >&2; exit 1; }
CORPUS=$ROOT/../shared/corpus
export BULWARK_CORPUS_IMAGES=${BULWARK_CORPUS_IMAGES:-/tmp/corpus-images}

log() { printf '\n=== [%s] %s\n' "$(date +%T)" "$*"; }

# System packages the tests use. The OCI registry and skopeo serve the
# pull tests; htpasswd and openssl give the registry basic and token auth.
# dpkg-query is an independent oracle. python3-venv provides the venv of
# the schema validators and the PEP 440 oracle, and Node.js with npm the
# semver oracle. The image build needs debootstrap, pip and npm. Node.js
# and pip come from Debian only when no other install provides them.
PACKAGES=(docker-registry skopeo apache2-utils openssl dpkg python3-venv debootstrap)
command -v npm >/dev/null || PACKAGES+=(nodejs npm)
command -v pip >/dev/null || PACKAGES+=(python3-pip)
need=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  log "apt-get install ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
# The Debian package starts a registry on 127.0.0.1:5000; tests start their
# own on free ports, so stop the packaged one to keep the machine quiet.
systemctl stop docker-registry 2>/dev/null || true

# Python validators for SBOM schemas (CycloneDX, SPDX), in a private venv.
VENV=${BULWARK_PY_VENV:-/tmp/bulwark-ci-venv}
if [ ! -x "$VENV/bin/python" ]; then
  log "python venv for schema validation"
  python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install -q -r "$ROOT/tests/python-requirements.txt"
export BULWARK_PYTHON="$VENV/bin/python"

# Microsoft's SARIF multitool validates SARIF reports (npm registry).
export BULWARK_SARIF_MULTITOOL_DIR=${BULWARK_SARIF_MULTITOOL_DIR:-/tmp/bulwark-sarif-multitool}
if [ ! -d "$BULWARK_SARIF_MULTITOOL_DIR/node_modules/@microsoft/sarif-multitool-linux" ]; then
  log "npm install @microsoft/sarif-multitool-linux"
  npm install --no-audit --no-fund --prefix "$BULWARK_SARIF_MULTITOOL_DIR" \
    @microsoft/sarif-multitool-linux@5.7.0
fi

# Test images rebuilt from the registries (about 3 minutes), once per machine.
if [ ! -f "$BULWARK_CORPUS_IMAGES/oci/layers/index.json" ]; then
  log "building test images into $BULWARK_CORPUS_IMAGES"
  IMAGES="debian-bookworm-minbase py-app node-app layers" OUT="$BULWARK_CORPUS_IMAGES" \
    "$CORPUS/images/build.sh"
fi

log "cargo fmt and clippy"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings

log "tests"
cargo test --workspace --locked --no-fail-fast
log "done"
