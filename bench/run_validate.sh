#!/usr/bin/env bash
# Runs the schema-validation benchmark and prints a markdown table: sluice
# (BUILD_DIR/bench_validate) and ajv with ajv-formats (bench/ajv_validate.js) validating
# the same generated game-telemetry NDJSON against bench/schemas/events.schema.json, in
# one run, each pinned to one core (taskset -c 0), best of 3. Each tool also runs once
# more with --parse-only (reading and parsing without validating), the floor its
# validation stands on.
#
# usage: bench/run_validate.sh [BUILD_DIR]      (BUILD_DIR defaults to build)
# Environment (the same as bench/run_json.sh, so one kept file serves both):
#   JSON_BYTES  size of the generated NDJSON in bytes (default 1073741824 = 1 GiB)
#   JSON_SEED   generator seed (default 42)
#   JSON_KEEP   when set, keep the generated file in JSON_CACHE (default
#               /tmp/sluice-json-cache) and reuse it next time; otherwise it lives in a
#               temporary directory under /tmp that is removed at the end.
#   RUNS        runs per tool, the best kept (default 3)
#
# Installs what it lacks with apt-get (nodejs, npm, util-linux) and the pinned npm
# packages (bench/package.json, package-lock.json) with `npm ci` into
# BUILD_DIR/bench-node. Both tools time their streaming loop (reading the page-cached
# file, framing, parsing, validating) and leave out start-up and compiling the schema.
# Fails when the two disagree on the number of records or of invalid records.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p "${1:-build}"
build=$(cd "${1:-build}" && pwd)
bytes=${JSON_BYTES:-1073741824}
seed=${JSON_SEED:-42}
runs=${RUNS:-3}
case "$bytes$seed$runs" in *[!0-9]*) echo "JSON_BYTES, JSON_SEED and RUNS must be numbers" >&2; exit 1 ;; esac
schema=bench/schemas/events.schema.json

work=$(mktemp -d /tmp/sluice-validate-XXXXXX)
trap 'rm -rf "$work"' EXIT

# ---- tools ----
need=()
command -v gcc >/dev/null || need+=(gcc)
command -v node >/dev/null || need+=(nodejs)
command -v npm >/dev/null || need+=(npm)
command -v taskset >/dev/null || need+=(util-linux)
command -v python3 >/dev/null || need+=(python3)
if [ ${#need[@]} -gt 0 ]; then
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	echo "Installing ${need[*]} ..." >&2
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		"${need[@]}" >&2
fi
node_dir="$build/bench-node"
if [ ! -d "$node_dir/node_modules/ajv-formats" ] ||
	! cmp -s bench/package-lock.json "$node_dir/package-lock.json"; then
	echo "Installing the npm packages of bench/package-lock.json into $node_dir ..." >&2
	rm -rf "$node_dir"
	mkdir -p "$node_dir"
	cp bench/package.json bench/package-lock.json "$node_dir"/
	(cd "$node_dir" && npm ci --no-audit --no-fund --loglevel=error >&2)
fi

# ---- builds ----
if [ ! -x "$build/bench_validate" ]; then
	echo "$build/bench_validate does not exist: build the project first (make build)" >&2
	exit 1
fi

# ---- input ----
source bench/telemetry_input.sh
cat "$file" > /dev/null # into the page cache

# ---- machine ----
cpu=$(awk -F': *' '/^model name/ {print $2; exit}' /proc/cpuinfo)
flags=$(awk -F': *' '/^flags/ {print $2; exit}' /proc/cpuinfo)
has() { case " $flags " in *" $1 "*) echo yes ;; *) echo no ;; esac; }

echo "## Schema validation, one core ($(date -u +%Y-%m-%d))"
echo
echo "- CPU: $cpu, $(nproc) cores; AVX2: $(has avx2); AVX-512: $(has avx512f)"
echo "- Input: game telemetry from bench/gen_telemetry (seed $seed), $size bytes;" \
	"schema $schema"

# ---- measurements ----
# One JSON line per run; the fastest of the runs is kept in $work/NAME.best.
field() { # FILE KEY -> the value of KEY in the JSON line in FILE
	python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"
}
best_of() { # NAME RUNS COMMAND... -> $work/NAME.best, or exits with the command's errors
	local name=$1 n=$2 i
	shift 2
	rm -f "$work/$name.best" "$work/$name.runs"
	for ((i = 0; i < n; i++)); do
		if ! taskset -c 0 "$@" > "$work/$name.out" 2> "$work/$name.err"; then
			echo "FAILED: $*" >&2
			head -n 20 "$work/$name.err" >&2
			exit 1
		fi
		printf ' %s' "$(field "$work/$name.out" mb_s)" >> "$work/$name.runs"
		if [ ! -s "$work/$name.best" ] || awk -v a="$(field "$work/$name.out" seconds)" \
			-v b="$(field "$work/$name.best" seconds)" 'BEGIN {exit !(a < b)}'; then
			cp "$work/$name.out" "$work/$name.best"
		fi
	done
	sed "s/^/    $name: /" "$work/$name.err" >&2
}

ajv=(env NODE_PATH="$node_dir/node_modules" node bench/ajv_validate.js "$schema" "$file")
best_of sluice "$runs" "$build/bench_validate" "$schema" "$file"
best_of ajv "$runs" "${ajv[@]}"
best_of sluice_parse 1 "$build/bench_validate" "$schema" "$file" --parse-only
best_of ajv_parse 1 "${ajv[@]}" --parse-only

# ---- table ----
ajv_mbs=$(field "$work/ajv.best" mb_s)
echo
echo "| tool | MB/s | records/s | records | invalid | vs ajv |"
echo "| --- | ---: | ---: | ---: | ---: | ---: |"
for name in sluice ajv sluice_parse ajv_parse; do
	f="$work/$name.best"
	mbs=$(field "$f" mb_s)
	echo "| $(field "$f" tool) | $mbs | $(field "$f" records_s) | $(field "$f" records) |" \
		"$(field "$f" invalid) | $(awk -v a="$mbs" -v b="$ajv_mbs" 'BEGIN {printf "%.1fx", a / b}') |"
done
echo
echo "MB = 10^6 bytes of NDJSON. Each tool pinned to CPU 0; validation rows best of $runs runs,"
echo "parse-only rows (reading and parsing, no validation: the floor under each) one run."
echo "Times cover the streaming loop (reading the page-cached file, framing, parsing,"
echo "validating), not start-up or compiling the schema. MB/s of every run: sluice$(cat "$work/sluice.runs"),"
echo "ajv$(cat "$work/ajv.runs")."

s_mbs=$(field "$work/sluice.best" mb_s)
awk -v s="$s_mbs" -v a="$ajv_mbs" 'BEGIN {
	printf "\nTarget (at least 1,000 MB/s on one core and at least 6x ajv): %s (%.0f MB/s, %.1fx)\n",
		(s >= 1000 && s >= 6 * a) ? "met" : "NOT met", s, s / a }'

status=0
for key in records invalid; do
	a=$(field "$work/sluice.best" "$key")
	b=$(field "$work/ajv.best" "$key")
	if [ "$a" != "$b" ]; then
		echo "MISMATCH: sluice counts $a $key, ajv $b" >&2
		status=1
	fi
done
exit "$status"
