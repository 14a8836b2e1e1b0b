#!/usr/bin/env bash
# The validator's latency: 1 KiB objects put one at a time, each timed until it is in raw
# through a running `sluice validate` (bench/bench_validate_latency.c). Prints a markdown
# table (docs/benchmarks.md keeps the last recorded run).
# usage: bench/run_latency.sh [BUILD_DIR]    Environment: OBJECTS (default 1000),
# BENCH_DIR (scratch space; default: a fresh journaled ext4 image when root).
set -euo pipefail
cd "$(dirname "$0")/.."
build=$(cd "${1:-build}" && pwd)
. bench/scratch_fs.sh
echo "File system: $fs"
echo
echo "## Validator latency ($(date -u +%Y-%m-%d), $(nproc) cores)"
"$build/bench_validate_latency" "$dir/latency" --objects "${OBJECTS:-1000}" \
	--sluice "$build/sluice"
[ -n "$img" ] || rm -rf "$dir/latency"
