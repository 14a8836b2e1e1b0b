#!/usr/bin/env bash
# Runs the ETL benchmark (issue 7) and prints markdown tables:
#   1. a full run of the default job over the ~1 GiB game-telemetry NDJSON already in raw
#      (raw/telemetry/dt=2026-11-25/, typed by bench/schemas/events.schema.json registered
#      as subject "telemetry", crawled) to zstd Parquet, one thread, against DuckDB's
#      `COPY (SELECT * FROM read_json(...)) TO ... (FORMAT parquet, COMPRESSION zstd)` with
#      `SET threads=1` in the same run;
#   2. the same full run through the SQL transform (a job whose sql is
#      `SELECT * FROM source`, the same target settings, no partitions), as a reference:
#      what the SQL path (spool, SQLite virtual table, result rows) costs over the default;
#   3. the same full run through the mapping transform (select 8 columns, 2 of them from
#      structs, renamed; derive a date and a boolean; filter out one event type), against
#      DuckDB running the same SELECT ... WHERE in COPY TO PARQUET, one thread;
#   4. a second run after 1% new data lands (a new object of ~1% of the bytes): its time
#      against the full run's (best of RUNS, the job rewound to the run before each time).
#
# usage: bench/run_etl.sh [BUILD_DIR]      (BUILD_DIR defaults to build)
# Environment: JSON_BYTES, JSON_SEED, JSON_KEEP, JSON_CACHE as in bench/run_json.sh;
#   RUNS  full runs (each after a reset of the job), the best kept (default 3)
# Times are wall-clock times of the whole `sluice etl run` command (start-up, lease,
# reading, writing, fsync and commit included), pinned to CPU 0.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p "${1:-build}"
build=$(cd "${1:-build}" && pwd)
bytes=${JSON_BYTES:-1073741824}
seed=${JSON_SEED:-42}
runs=${RUNS:-3}
case "$bytes$seed$runs" in *[!0-9]*) echo "JSON_BYTES, JSON_SEED and RUNS must be numbers" >&2; exit 1 ;; esac

work=$(mktemp -d /tmp/sluice-etl-XXXXXX)
trap 'rm -rf "$work"' EXIT
sluice="$build/sluice"
[ -x "$sluice" ] || { echo "$sluice does not exist: build the project first (make build)" >&2; exit 1; }
command -v taskset >/dev/null || {
	sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends util-linux >&2
}
node_path=$(bash tests/interop/setup.sh "$build")
source bench/telemetry_input.sh

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", b - a}'; }
mbs() { awk -v s="$1" -v t="$2" 'BEGIN {printf "%.0f", s / 1e6 / t}'; }

lake="$work/lake"
sl() { "$sluice" --lake "$lake" "$@"; }
"$sluice" init "$lake" > /dev/null
cat > "$lake/sluice.yaml" <<'YAML'
version: 1
etl:
  jobs:
    telemetry:
      source: telemetry
    telemetry_sql:
      source: telemetry
      target: telemetry_sql
      sql: SELECT * FROM source
    telemetry_map:
      source: telemetry
      target: telemetry_map
      mapping:
        select: [event_id, event, ts, session_id, player.id, player.level, device.os,
                 device.ping_ms]
        rename: {player.id: player_id, player.level: level, device.os: os,
                 device.ping_ms: ping_ms}
        derive: {day: date(ts), slow: device.ping_ms > 150}
        filter: event <> 'chat_message'
YAML
sl schema register telemetry bench/schemas/events.schema.json > /dev/null
sl put "$file" --zone raw --key telemetry/dt=2026-11-25/events.ndjson > /dev/null
sl crawl --drain > /dev/null
cat "$lake/raw/telemetry/dt=2026-11-25/events.ndjson" > /dev/null # into the page cache

etl_run() { # JOB -> "seconds rows_out rows_rejected"
	local t0 t1
	t0=$(now)
	taskset -c 0 "$sluice" --lake "$lake" etl run "$1" --json > "$work/run.json"
	t1=$(now)
	python3 - "$work/run.json" "$(secs "$t0" "$t1")" "$1" <<'PY'
import json, sys
r = next(x for x in json.load(open(sys.argv[1]))["jobs"] if x["job"] == sys.argv[3])
assert r["state"] == "committed", r
print(sys.argv[2], r["rows_out"], r["rows_rejected"])
PY
}

full_runs() { # JOB TABLE -> "best_seconds rows_out rows_rejected output_bytes"
	local i s rows rej best="" best_rows=0 best_rej=0
	for ((i = 0; i < runs; i++)); do
		[ "$i" -eq 0 ] || sl etl bookmark reset "$1" > /dev/null
		read -r s rows rej < <(etl_run "$1")
		if [ -z "$best" ] || awk -v a="$s" -v b="$best" 'BEGIN {exit !(a < b)}'; then
			best=$s best_rows=$rows best_rej=$rej
		fi
	done
	echo "$best" "$best_rows" "$best_rej" "$(sl catalog show "curated.$2" --json |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["bytes"])')"
}

read -r best_s best_rows rejected out_bytes < <(full_runs telemetry telemetry)
read -r sql_s sql_rows sql_rejected sql_bytes < <(full_runs telemetry_sql telemetry_sql)
read -r map_s map_rows map_rejected map_bytes < <(full_runs telemetry_map telemetry_map)

duck_s=""
for ((i = 0; i < runs; i++)); do
	t=$(env NODE_PATH="$node_path" taskset -c 0 node tests/interop/duck.js --time "SET threads=1" \
		"COPY (SELECT * FROM read_json('$file')) TO '$work/duck.parquet' (FORMAT parquet, COMPRESSION zstd)" \
		2>&1 >/dev/null | python3 -c 'import json, sys; print("%.3f" % json.loads(sys.stdin.read().strip().splitlines()[-1])["seconds"])')
	if [ -z "$duck_s" ] || awk -v a="$t" -v b="$duck_s" 'BEGIN {exit !(a < b)}'; then duck_s=$t; fi
done

duck_best() { # SQL -> the best of $runs times of DuckDB running it on one thread
	local i t best=""
	for ((i = 0; i < runs; i++)); do
		t=$(env NODE_PATH="$node_path" taskset -c 0 node tests/interop/duck.js --time "SET threads=1" "$1" \
			2>&1 >/dev/null | python3 -c 'import json, sys; print("%.3f" % json.loads(sys.stdin.read().strip().splitlines()[-1])["seconds"])')
		if [ -z "$best" ] || awk -v a="$t" -v b="$best" 'BEGIN {exit !(a < b)}'; then best=$t; fi
	done
	echo "$best"
}
duck_map_s=$(duck_best "COPY (SELECT event_id, event, ts, session_id, player.id AS player_id, \
player.level AS level, device.os AS os, device.ping_ms AS ping_ms, CAST(ts AS DATE) AS day, \
device.ping_ms > 150 AS slow FROM read_json('$file') WHERE event <> 'chat_message') \
TO '$work/duck_map.parquet' (FORMAT parquet, COMPRESSION zstd)")
duck_map_rows=$(env NODE_PATH="$node_path" node tests/interop/duck.js \
	"SELECT count(*) AS n FROM '$work/duck_map.parquet'" | python3 -c 'import json,sys; print(int(json.loads(sys.stdin.readline())["n"]))')

# 1% new data: the first ~1% of the file's lines as a new object of another day
head -c $((size / 100)) "$file" | head -n -1 > "$work/more.ndjson"
more_size=$(stat -c %s "$work/more.ndjson")
sl put "$work/more.ndjson" --zone raw --key telemetry/dt=2026-11-26/more.ndjson > /dev/null
sl crawl --drain > /dev/null
# best of $runs too: each time the job is rewound to the run before and runs again
inc_s="" inc_rows=0
base=$(sl etl bookmark show telemetry --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["bookmark"]["last_committed"])')
for ((i = 0; i < runs; i++)); do
	[ "$i" -eq 0 ] || sl etl bookmark rewind telemetry --to-run "$base" > /dev/null
	read -r s rows _ < <(etl_run telemetry)
	if [ -z "$inc_s" ] || awk -v a="$s" -v b="$inc_s" 'BEGIN {exit !(a < b)}'; then inc_s=$s inc_rows=$rows; fi
done

cpu=$(awk -F': *' '/^model name/ {print $2; exit}' /proc/cpuinfo)
echo "## ETL (issue 7), $(date -u +%Y-%m-%d), $cpu, $(nproc) cores"
echo
echo "| run | tool | seconds | MB/s | rows/s | output MB |"
echo "| --- | --- | ---: | ---: | ---: | ---: |"
echo "| full, default job, zstd | sluice etl run | $best_s | $(mbs "$size" "$best_s") | $(awk -v r="$best_rows" -v t="$best_s" 'BEGIN {printf "%.0f", r / t}') | $(awk -v b="$out_bytes" 'BEGIN {printf "%.1f", b / 1e6}') |"
echo "| full, SQL job \`SELECT * FROM source\`, zstd | sluice etl run | $sql_s | $(mbs "$size" "$sql_s") | $(awk -v r="$sql_rows" -v t="$sql_s" 'BEGIN {printf "%.0f", r / t}') | $(awk -v b="$sql_bytes" 'BEGIN {printf "%.1f", b / 1e6}') |"
echo "| full, mapping job, zstd | sluice etl run | $map_s | $(mbs "$size" "$map_s") | $(awk -v r="$map_rows" -v t="$map_s" 'BEGIN {printf "%.0f", r / t}') | $(awk -v b="$map_bytes" 'BEGIN {printf "%.1f", b / 1e6}') |"
echo "| full, the mapping's SELECT, zstd | DuckDB read_json -> COPY TO parquet, 1 thread | $duck_map_s | $(mbs "$size" "$duck_map_s") | | $(awk -v b="$(stat -c %s "$work/duck_map.parquet")" 'BEGIN {printf "%.1f", b / 1e6}') |"
echo "| full, zstd | DuckDB read_json -> COPY TO parquet, 1 thread | $duck_s | $(mbs "$size" "$duck_s") | | $(awk -v b="$(stat -c %s "$work/duck.parquet")" 'BEGIN {printf "%.1f", b / 1e6}') |"
echo "| +1% new data ($more_size bytes) | sluice etl run | $inc_s | $(mbs "$more_size" "$inc_s") | $(awk -v r="$inc_rows" -v t="$inc_s" 'BEGIN {printf "%.0f", r / t}') | |"
echo
awk -v d="$duck_s" -v s="$best_s" -v i="$inc_s" -v rej="$rejected" 'BEGIN {
	printf "- full run: %.2fx DuckDB one thread (target 2x: %s); %d records refused\n", d / s, (d / s >= 2 ? "met" : "NOT met"), rej
	printf "- run after 1%% new data: %.1f%% of the full run'"'"'s time (target at most 2%%: %s)\n", 100 * i / s, (i / s <= 0.02 ? "met" : "NOT met") }'
awk -v q="$sql_s" -v s="$best_s" -v d="$duck_s" -v rej="$sql_rejected" -v r="$sql_rows" -v b="$best_rows" 'BEGIN {
	printf "- SQL job (reference, no target): %.2fx the default job'"'"'s time, %.2fx DuckDB one thread; %d rows out (default: %d), %d refused\n", q / s, d / q, r, b, rej }'
awk -v m="$map_s" -v d="$duck_map_s" -v r="$map_rows" -v dr="$duck_map_rows" -v rej="$map_rejected" 'BEGIN {
	printf "- mapping job: %.2fx DuckDB one thread running the same SELECT; %d rows out (DuckDB: %d), %d refused\n", d / m, r, dr, rej }'
echo
echo "Re-run: make bench-etl (or bash bench/run_etl.sh build)."
