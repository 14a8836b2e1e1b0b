#!/usr/bin/env bash
# Runs the Parquet benchmark and prints markdown tables: `sluice convert` against DuckDB
# (COPY (SELECT * FROM read_json(...)) TO ... (FORMAT parquet)) on the same generated
# game-telemetry NDJSON, zstd and snappy, one thread each (pinned to CPU 0, DuckDB with
# SET threads=1), and DuckDB with two threads for reference; then reading: a full scan
# of every column and of one column, by sluice (BUILD_DIR/bench_pqscan) and by DuckDB
# (sum(hash(...)) over the columns, so every value is decoded), of both tools' zstd files.
#
# usage: bench/run_parquet.sh [BUILD_DIR]      (BUILD_DIR defaults to build)
# Environment: JSON_BYTES, JSON_SEED, JSON_KEEP, JSON_CACHE as in bench/run_json.sh;
#   RUNS   runs per measurement, the best kept (default 3)
#
# sluice validates every record against bench/schemas/events.schema.json on the way
# (DuckDB does not validate). Times are wall-clock times of the whole command for
# sluice (start-up included) and of the COPY or SELECT statement for DuckDB.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p "${1:-build}"
build=$(cd "${1:-build}" && pwd)
bytes=${JSON_BYTES:-1073741824}
seed=${JSON_SEED:-42}
runs=${RUNS:-3}
case "$bytes$seed$runs" in *[!0-9]*) echo "JSON_BYTES, JSON_SEED and RUNS must be numbers" >&2; exit 1 ;; esac
schema=bench/schemas/events.schema.json
one_column=event_id

work=$(mktemp -d /tmp/sluice-parquet-XXXXXX)
trap 'rm -rf "$work"' EXIT

command -v taskset >/dev/null || {
	sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends util-linux >&2
}
node_path=$(bash tests/interop/setup.sh "$build")
for bin in sluice bench_pqscan; do
	if [ ! -x "$build/$bin" ]; then
		echo "$build/$bin does not exist: build the project first (make build)" >&2
		exit 1
	fi
done

source bench/telemetry_input.sh
cat "$file" > /dev/null # into the page cache

cpu=$(awk -F': *' '/^model name/ {print $2; exit}' /proc/cpuinfo)
echo "## Parquet: NDJSON to Parquet and reading it back ($(date -u +%Y-%m-%d))"
echo
echo "- CPU: $cpu, $(nproc) cores"
echo "- Input: game telemetry from bench/gen_telemetry (seed $seed), $size bytes; schema $schema"

duck() { # CPUS THREADS SQL... -> seconds of the last statement on stdout
	local cpus=$1 threads=$2
	shift 2
	env NODE_PATH="$node_path" taskset -c "$cpus" node tests/interop/duck.js --time \
		"SET threads=$threads" "$@" 2>&1 >/dev/null |
		python3 -c 'import json, sys; print(json.loads(sys.stdin.read().strip().splitlines()[-1])["seconds"])'
}
sluice_convert() { # CODEC OUT -> seconds on stdout
	local t0 t1
	t0=$(date +%s.%N)
	if ! taskset -c 0 "$build/sluice" convert "$file" "$2" --schema "$schema" --codec "$1" \
		2> "$work/convert.err"; then
		cat "$work/convert.err" >&2
		exit 1
	fi
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f\n", b - a}'
}
best() { # COMMAND... run RUNS times -> the smallest output
	local i b="" t
	for ((i = 0; i < runs; i++)); do
		t=$("$@")
		if [ -z "$b" ] || awk -v a="$t" -v b="$b" 'BEGIN {exit !(a < b)}'; then b=$t; fi
	done
	echo "$b"
}
mbs() { awk -v s="$size" -v t="$1" 'BEGIN {printf "%.0f", s / 1e6 / t}'; }
filemb() { awk -v s="$(stat -c %s "$1")" 'BEGIN {printf "%.1f", s / 1e6}'; }

echo
echo "### NDJSON to Parquet"
echo
echo "| codec | tool | threads | seconds | MB/s | output MB | vs DuckDB 1 thread | size vs DuckDB |"
echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"
summary=""
for codec in zstd snappy; do
	s_out="$work/sluice-$codec.parquet"
	d_out="$work/duck-$codec.parquet"
	copy="COPY (SELECT * FROM read_json('$file')) TO '$d_out' (FORMAT parquet, COMPRESSION $codec)"
	s_t=$(best sluice_convert "$codec" "$s_out")
	d1_t=$(best duck 0 1 "$copy")
	d1_t=$(printf '%.3f' "$d1_t")
	d2_t=$(printf '%.3f' "$(best duck 0,1 2 "$copy")")
	d_mb=$(filemb "$d_out")
	s_mb=$(filemb "$s_out")
	speed=$(awk -v a="$d1_t" -v b="$s_t" 'BEGIN {printf "%.2f", a / b}')
	ratio=$(awk -v a="$s_mb" -v b="$d_mb" 'BEGIN {printf "%.3f", a / b}')
	echo "| $codec | sluice convert | 1 | $s_t | $(mbs "$s_t") | $s_mb | ${speed}x | ${ratio}x |"
	echo "| $codec | DuckDB | 1 | $d1_t | $(mbs "$d1_t") | $d_mb | 1.00x | 1.000x |"
	echo "| $codec | DuckDB | 2 | $d2_t | $(mbs "$d2_t") | $d_mb | $(awk -v a="$d1_t" -v b="$d2_t" 'BEGIN {printf "%.2f", a / b}')x | |"
	summary+=$(awk -v c="$codec" -v s="$speed" -v r="$ratio" 'BEGIN {
		printf "\n- %s: %.2fx the one-thread throughput of DuckDB (target 2x: %s), size %.3fx (target at most 1.05x: %s)",
			c, s, (s >= 2 ? "met" : "NOT met"), r, (r <= 1.05 ? "met" : "NOT met") }')
done
echo "$summary"

echo
echo "### Reading (zstd files, one thread)"
echo
echo "| file | columns | sluice s | sluice MB/s | DuckDB s | DuckDB MB/s |"
echo "| --- | --- | ---: | ---: | ---: | ---: |"
scan() { # FILE [COLUMN] -> seconds
	taskset -c 0 "$build/bench_pqscan" "$@" |
		python3 -c 'import json, sys; print("%.3f" % json.load(sys.stdin)["seconds"])'
}
for who in sluice duck; do
	f="$work/$who-zstd.parquet"
	fsize=$(stat -c %s "$f")
	for cols in all "$one_column"; do
		if [ "$cols" = all ]; then
			s_t=$(best scan "$f")
			d_t=$(best duck 0 1 "SELECT sum(hash(COLUMNS(*))) FROM read_parquet('$f')")
			d_t=$(printf '%.3f' "$d_t")
		else
			s_t=$(best scan "$f" --column "$cols")
			d_t=$(printf '%.3f' "$(best duck 0 1 "SELECT sum(hash($cols)) FROM read_parquet('$f')")")
		fi
		echo "| $who's | $cols | $s_t | $(awk -v s="$fsize" -v t="$s_t" 'BEGIN {printf "%.0f", s / 1e6 / t}') |" \
			"$d_t | $(awk -v s="$fsize" -v t="$d_t" 'BEGIN {printf "%.0f", s / 1e6 / t}') |"
	done
done
echo
echo "MB/s for reading = MB of the Parquet file per second. Best of $runs runs each."
