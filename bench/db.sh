#!/usr/bin/env bash
# Benchmarks the vulnerability database: imports every feed of the corpus
# that bulwark converts (wall time and peak RSS from /usr/bin/time -v),
# compares the database size with the inputs, and times a 1,000-package
# lookup. Builds in release mode. Usage: bench/db.sh [CORPUS_SCAN_DIR]
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
corpus=${1:-$repo/../shared/corpus/scan}
cd "$repo"

cargo build --release -p bulwark -p bulwark-vulndb --example db_lookup >&2

inputs=(
  "$corpus/pypa-advisory-database/vulns.tar.gz"
  "$corpus/rustsec-advisory-db/osv-crates.tar.gz"
  "$corpus/golang-vulndb/osv.tar.gz"
  "$corpus/almalinux-osv/advisories.tar.gz"
  "$corpus/ghsa-sample"
  "$corpus/cisa-kev/known_exploited_vulnerabilities.json"
  "$corpus/pschou-oval/alpine-secdb-json"
  "$corpus/alpine-secdb"
)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== import (cold database)"
/usr/bin/time -v target/release/bulwark db import --cache-dir "$work/cache" "${inputs[@]}" \
  >"$work/import.out" 2>"$work/time.txt"
grep -E "Elapsed \(wall clock\)|Maximum resident set size|User time|System time" "$work/time.txt"

db="$work/cache/db/bulwark.db"
input_bytes=0
for input in "${inputs[@]}"; do
  # Directories count the files the importer reads: JSON and YAML.
  size=$(find "$input" -type f \( -name '*.json' -o -name '*.yaml' -o -name '*.tar.gz' \) -printf '%s\n' \
    | awk '{ s += $1 } END { print s + 0 }')
  printf '  input %-60s %10d bytes\n' "${input#"$corpus"/}" "$size"
  input_bytes=$((input_bytes + size))
done
db_bytes=$(stat -c %s "$db")
echo "== size"
echo "  inputs (as stored, compressed where the corpus compresses them): $input_bytes bytes"
echo "  database: $db_bytes bytes ($(awk -v d="$db_bytes" -v i="$input_bytes" 'BEGIN { printf "%.2f", d / i }') of the inputs)"

echo "== lookup"
target/release/examples/db_lookup "$db"
