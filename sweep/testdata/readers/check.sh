#!/usr/bin/env bash
# Checks that runs.parquet reads back, cell for cell, as runs.csv in two Parquet readers
# independent of parquet-go: DuckDB (C++) and hyparquet (JavaScript). The fixtures come
# from sweep's TestWriteReaderFixtures; the readers install from the npm registry into a
# temporary folder. Without Node.js or the registry it says so and exits 0; a difference
# exits 1. Usage, from the repository root: bash sweep/testdata/readers/check.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "runs.parquet readers: no Node.js/npm here, skipped"
  exit 0
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp "$here/package.json" "$here/package-lock.json" "$here/check.mjs" "$work/"
if ! (cd "$work" && npm ci --no-audit --no-fund --loglevel=error >"$work/npm.log" 2>&1); then
  echo "runs.parquet readers: npm ci failed (no registry?), skipped:"
  tail -3 "$work/npm.log"
  exit 0
fi
(cd "$root" && GRIDCELLS_PARQUET_FIXTURES="$work/fixtures" go test -count=1 -run '^TestWriteReaderFixtures$' ./sweep >/dev/null)
node "$work/check.mjs" "$work/fixtures/mixed" "$work/fixtures/large"
