#!/usr/bin/env bash
# Runs the foundation benchmarks and prints markdown tables (docs/benchmarks.md keeps the
# figures of the last recorded run). usage: bench/run.sh [BUILD_DIR]
# Environment: BENCH_DIR (scratch space), PUTS (default 4000), BIG_MIB (default 1024),
# MESSAGES (default 40000).
#
# The file system: see bench/scratch_fs.sh (a fresh journaled ext4 image when root).
set -euo pipefail
cd "$(dirname "$0")/.."
build=$(cd "${1:-build}" && pwd)
. bench/scratch_fs.sh
echo "File system: $fs"
echo

echo "## Object store ($(date -u +%Y-%m-%d), $(nproc) cores)"
"$build/bench_store" "$dir" --puts "${PUTS:-4000}" --big-mib "${BIG_MIB:-1024}"
echo
echo "## Queue"
"$build/bench_queue" "$dir" --messages "${MESSAGES:-40000}"

# Where the time of a durable put goes: system calls of one CLI burst of 1000 puts.
if command -v strace >/dev/null; then
	echo
	echo "## Where a durable put's time goes (strace -c, 1000 puts of 1 KiB by one process)"
	rm -rf "$dir/strace-lake" "$dir/strace-files"
	mkdir -p "$dir/strace-files"
	for i in $(seq 1 1000); do head -c 1024 /dev/urandom > "$dir/strace-files/f$i.json"; done
	"$build/sluice" init "$dir/strace-lake" >/dev/null
	( cd "$dir/strace-files" && /usr/bin/time -f 'wall %e s, user %U s, sys %S s' \
		strace -c -f -o "$dir/strace.txt" "$build/sluice" --lake "$dir/strace-lake" \
		put f*.json >/dev/null )
	echo '```'
	head -n 14 "$dir/strace.txt"
	echo '```'
fi
[ -n "$img" ] || rm -rf "$dir"
