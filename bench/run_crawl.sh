#!/usr/bin/env bash
# Runs the crawler benchmark and prints markdown tables (docs/benchmarks.md, issue 6):
#   1. a burst of BURST (default 10,000) small NDJSON objects put into raw (one table,
#      partitioned by day and hour), then `sluice crawl --drain`: wall time and catalog
#      transactions, with the default batching and, side by side, with --batch 1 (one
#      transaction per object, what an unbatched event consumer does);
#   2. crawling one ~1 GiB NDJSON object (the game telemetry of bench/gen_telemetry):
#      with the default sample (types from the first 10 MiB, every record counted) and
#      with sample_bytes: 0 (types from every record), against DuckDB's
#      `DESCRIBE SELECT * FROM read_json(...)` on the same file in the same run, with its
#      default sample and with sample_size=-1 (every record), one thread each.
#
# usage: bench/run_crawl.sh [BUILD_DIR]      (BUILD_DIR defaults to build)
# Environment: JSON_BYTES, JSON_SEED, JSON_KEEP, JSON_CACHE as in bench/run_json.sh;
#   BURST  objects in the burst (default 10000); RUNS  runs of each crawl, best kept (3)
# Crawl times are wall-clock times of the whole `sluice crawl` command (start-up and the
# final commit included), pinned to CPU 0; DuckDB's are of the DESCRIBE statement.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p "${1:-build}"
build=$(cd "${1:-build}" && pwd)
bytes=${JSON_BYTES:-1073741824}
seed=${JSON_SEED:-42}
burst=${BURST:-10000}
runs=${RUNS:-3}
case "$bytes$seed$burst$runs" in *[!0-9]*) echo "JSON_BYTES, JSON_SEED, BURST and RUNS must be numbers" >&2; exit 1 ;; esac

work=$(mktemp -d /tmp/sluice-crawl-XXXXXX)
trap 'rm -rf "$work"' EXIT
sluice="$build/sluice"
[ -x "$sluice" ] || { echo "$sluice does not exist: build the project first (make build)" >&2; exit 1; }
command -v taskset >/dev/null || {
	sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends util-linux >&2
}
node_path=$(bash tests/interop/setup.sh "$build")

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", b - a}'; }
# crawl LAKE ARGS... -> "seconds commits objects" of one `sluice crawl ARGS --json`
crawl() {
	local lake=$1 t0 t1
	shift
	t0=$(now)
	taskset -c 0 "$sluice" --lake "$lake" crawl "$@" --json > "$work/crawl.json"
	t1=$(now)
	python3 - "$work/crawl.json" "$(secs "$t0" "$t1")" <<'PY'
import json, sys
last = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
t = last.get("totals") or last.get("result") or last
print(sys.argv[2], t["commits"], t["objects"])
PY
}

cpu=$(awk -F': *' '/^model name/ {print $2; exit}' /proc/cpuinfo)
echo "## Crawler (issue 6), $(date -u +%Y-%m-%d), $cpu, $(nproc) cores"

# ---- 1. a burst of small objects --------------------------------------------------------
src="$work/burst"
python3 - "$src" "$burst" <<'PY'
import json, os, random, sys
root, n = sys.argv[1], int(sys.argv[2])
rnd = random.Random(6)
for i in range(n):
    d = f"{root}/dt=2026-11-{1 + i % 10:02d}/hour={i % 24:02d}"
    os.makedirs(d, exist_ok=True)
    with open(f"{d}/part-{i:05d}.ndjson", "w") as f:
        for r in range(5):
            f.write(json.dumps({"id": i * 5 + r, "user": rnd.randrange(1000),
                                "page": f"/p/{rnd.randrange(50)}", "ms": rnd.random() * 1e3,
                                "ok": r % 2 == 0}) + "\n")
PY
echo
echo "### A burst of $burst small objects (5 records each, one table, $(find "$src" -mindepth 2 -maxdepth 2 -type d | wc -l) partitions)"
echo
echo "| batching | crawl seconds | objects/s | catalog transactions |"
echo "| --- | ---: | ---: | ---: |"
for mode in default one; do
	lake="$work/lake-$mode"
	"$sluice" init "$lake" > /dev/null
	"$sluice" --lake "$lake" put -r "$src" --zone raw --prefix clicks/ > /dev/null
	if [ "$mode" = default ]; then
		read -r s commits objects < <(crawl "$lake" --drain)
		label="default (up to 1000 messages or 5 s)"
	else
		read -r s commits objects < <(crawl "$lake" --drain --batch 1)
		label="--batch 1 (one object a transaction)"
	fi
	[ "$objects" -eq "$burst" ] || { echo "crawl catalogued $objects objects, not $burst" >&2; exit 1; }
	echo "| $label | $s | $(awk -v n="$burst" -v t="$s" 'BEGIN {printf "%.0f", n / t}') | $commits |"
done

# ---- 2. one large object ----------------------------------------------------------------
source bench/telemetry_input.sh
lake="$work/lake-big"
"$sluice" init "$lake" > /dev/null
"$sluice" --lake "$lake" put "$file" --zone raw --key telemetry/dt=2026-11-25/events.ndjson > /dev/null
cat "$lake/raw/telemetry/dt=2026-11-25/events.ndjson" > /dev/null # into the page cache
mbs() { awk -v s="$size" -v t="$1" 'BEGIN {printf "%.0f", s / 1e6 / t}'; }
best() { # COMMAND... run RUNS times -> the smallest first word of its output
	local i b="" t
	for ((i = 0; i < runs; i++)); do
		t=$("$@" | awk '{print $1}')
		if [ -z "$b" ] || awk -v a="$t" -v b="$b" 'BEGIN {exit !(a < b)}'; then b=$t; fi
	done
	echo "$b"
}
duck() { # SQL -> seconds
	env NODE_PATH="$node_path" taskset -c 0 node tests/interop/duck.js --time "SET threads=1" "$1" \
		2>&1 >/dev/null |
		python3 -c 'import json, sys; print("%.3f" % json.loads(sys.stdin.read().strip().splitlines()[-1])["seconds"])'
}
set_sample() { # LAKE BYTES: crawl.sample_bytes in the lake's sluice.yaml
	python3 - "$1/sluice.yaml" "$2" <<'PY'
import re, sys
p, v = sys.argv[1], sys.argv[2]
s = open(p).read()
s, n = re.subn(r"(?m)^(\s*)sample_bytes:.*$", lambda m: f"{m.group(1)}sample_bytes: {v}", s)
assert n == 1, "sluice.yaml has no crawl.sample_bytes line"
open(p, "w").write(s)
PY
}
echo
echo "### Crawling one $(awk -v s="$size" 'BEGIN {printf "%.2f", s / 1073741824}') GiB NDJSON object (game telemetry, seed $seed), one thread"
echo
echo "| tool | records typed | seconds | MB/s |"
echo "| --- | --- | ---: | ---: |"
full() { crawl "$lake" --full raw.telemetry; }
crawl "$lake" --drain > /dev/null # the table exists from here on; --full re-reads its object
s_sample=$(best full)
set_sample "$lake" 0
s_all=$(best full)
d_sample=$(best duck "DESCRIBE SELECT * FROM read_json('$file')")
d_all=$(best duck "DESCRIBE SELECT * FROM read_json('$file', sample_size=-1)")
echo "| sluice crawl | first 10 MiB (default), every record counted | $s_sample | $(mbs "$s_sample") |"
echo "| sluice crawl | every record (sample_bytes: 0) | $s_all | $(mbs "$s_all") |"
echo "| DuckDB DESCRIBE read_json | first 20,480 records (default) | $d_sample | $(mbs "$d_sample") |"
echo "| DuckDB DESCRIBE read_json | every record (sample_size=-1) | $d_all | $(mbs "$d_all") |"
echo
echo "Target: at least 1 GB/s on one core. Re-run: make bench-crawl (or bash bench/run_crawl.sh build)."
