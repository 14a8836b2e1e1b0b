#!/usr/bin/env bash
# Runs the foundation benchmarks and prints markdown tables (docs/benchmarks.md keeps the
# figures of the last recorded run). usage: bench/run.sh [BUILD_DIR]
# Environment: BENCH_DIR (scratch space), PUTS (default 4000), BIG_MIB (default 1024),
# MESSAGES (default 40000).
#
# Without BENCH_DIR, and when run as root, the benchmarks run on a fresh ext4 file system
# with its default journal (a loop-mounted sparse image under /tmp): the figures then do
# not depend on what else the machine's disk did in the last minutes. (On a file system
# without a journal, ext4 skips inodes deleted in the last 1 to 6 minutes when it
# allocates new ones, and after a mass delete that scan dominated the cost of a put.)
set -euo pipefail
cd "$(dirname "$0")/.."
build=$(cd "${1:-build}" && pwd)
img=""
if [ -z "${BENCH_DIR:-}" ] && [ "$(id -u)" -eq 0 ] && command -v mkfs.ext4 >/dev/null; then
	img=$(mktemp /tmp/sluice-bench-XXXXXX.img)
	dir=$(mktemp -d /tmp/sluice-bench-mnt-XXXXXX)
	truncate -s 8G "$img"
	mkfs.ext4 -q -F "$img"
	if mount -o loop "$img" "$dir"; then
		trap 'umount "$dir"; rm -rf "$img" "$dir"' EXIT
		fs="fresh ext4 with journal (loop image)"
	else
		rm -f "$img"; img=""
	fi
fi
if [ -z "$img" ]; then
	dir=${BENCH_DIR:-/tmp/sluice-bench}
	fs="$(df -T "$dir" 2>/dev/null | awk 'NR==2 {print $2}') at $dir"
fi
mkdir -p "$dir"
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
