#!/usr/bin/env bash
# Runs every libFuzzer harness for SECONDS each, starting from the seed corpus in
# tests/fuzz/corpus/NAME (new finds go to a scratch copy, never into the repo). Fails on
# any crash, leak, sanitizer report or timeout, and shows the input that caused it.
# usage: tests/fuzz/run.sh BUILD_FUZZ_DIR [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
build=$1
seconds=${2:-20}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for bin in "$build"/fuzz_*; do
	name=$(basename "$bin")
	mkdir -p "$work/$name"
	cp -r "tests/fuzz/corpus/${name#fuzz_}"/. "$work/$name"/
	printf '\n=== fuzz %s for %ss ===\n' "$name" "$seconds"
	rc=0
	"$bin" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$work/$name-" "$work/$name" \
		>"$work/$name.log" 2>&1 || rc=$?
	grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss_mb)' "$work/$name.log" || true
	if [ "$rc" -ne 0 ]; then
		tail -n 40 "$work/$name.log"
		for a in "$work/$name"-*; do
			[ -f "$a" ] && { echo "failing input $a:"; od -c "$a" | head -n 20; }
		done
		echo "fuzz $name: FAILED (exit $rc)"
		exit 1
	fi
done
