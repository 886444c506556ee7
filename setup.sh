#!/usr/bin/env bash
# Installs build dependencies on Debian and builds the release binary.
set -euo pipefail
cd "$(dirname "$0")"
missing=()
command -v cc >/dev/null || missing+=(gcc libc6-dev)
command -v pkg-config >/dev/null || missing+=(pkg-config)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  else
    echo "setup.sh: please install: ${missing[*]}" >&2
    exit 1
  fi
fi
command -v cargo >/dev/null || { echo "setup.sh: cargo not found; install Rust 1.95 or newer from https://rustup.rs" >&2; exit 1; }
cargo build --release --locked -p bulwark
