#!/usr/bin/env bash
# Runs the JSON benchmarks and prints a markdown table: one core each (taskset -c 0),
# simdjson (DOM and On-Demand), Node's JSON.parse and `sluice json check --ndjson` on the
# same generated game-telemetry NDJSON, plus sluice on a gzip -1 copy next to `gzip -dc`,
# a rough floor for decompression alone (gzip inflates more slowly than the zlib library).
#
# usage: bench/run_json.sh [BUILD_DIR]          (BUILD_DIR defaults to build)
# Environment:
#   JSON_BYTES  size of the generated NDJSON in bytes (default 1073741824 = 1 GiB)
#   JSON_SEED   generator seed (default 42)
#   JSON_KEEP   when set, keep the generated files in JSON_CACHE (default
#               /tmp/sluice-json-cache) and reuse them next time; otherwise they live in a
#               temporary directory under /tmp that is removed at the end.
#
# Installs what it lacks with apt-get (g++, libsimdjson-dev, nodejs). Builds
# BUILD_DIR/simdjson_bench with g++ and uses BUILD_DIR/gen_telemetry when CMake has built
# it from the current source (else compiles the generator into the temporary directory).
# sluice figures are wall-clock times of the whole command (start-up, reading the file
# from the page cache, checking); the others time their parse loop only. Best of 3 for all.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p "${1:-build}"
build=$(cd "${1:-build}" && pwd)
bytes=${JSON_BYTES:-1073741824}
seed=${JSON_SEED:-42}
case "$bytes$seed" in *[!0-9]*) echo "JSON_BYTES and JSON_SEED must be numbers" >&2; exit 1 ;; esac

work=$(mktemp -d /tmp/sluice-json-XXXXXX)
trap 'rm -rf "$work"' EXIT

# ---- tools ----
need=()
command -v g++ >/dev/null || need+=(g++)
command -v gcc >/dev/null || need+=(gcc)
dpkg-query -W -f='${Status}' libsimdjson-dev 2>/dev/null | grep -q 'ok installed' ||
	need+=(libsimdjson-dev)
command -v node >/dev/null || need+=(nodejs)
command -v gzip >/dev/null || need+=(gzip)
command -v taskset >/dev/null || need+=(util-linux)
if [ ${#need[@]} -gt 0 ]; then
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	echo "Installing ${need[*]} ..." >&2
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		"${need[@]}" >&2
fi

# ---- builds ----
g++ -O3 -march=native -std=c++17 bench/simdjson_bench.cpp -lsimdjson -o "$build/simdjson_bench"

# ---- input ----
source bench/telemetry_input.sh
if [ ! -s "$file.gz" ]; then
	gzip -1 -c "$file" > "$file.gz.tmp"
	mv "$file.gz.tmp" "$file.gz"
fi
gz_size=$(stat -c %s "$file.gz")
records=$(wc -l < "$file")
cat "$file" "$file.gz" > /dev/null # into the page cache

# ---- machine ----
cpu=$(awk -F': *' '/^model name/ {print $2; exit}' /proc/cpuinfo)
flags=$(awk -F': *' '/^flags/ {print $2; exit}' /proc/cpuinfo)
has() { case " $flags " in *" $1 "*) echo yes ;; *) echo no ;; esac; }
avx512=$(tr ' ' '\n' <<< "$flags" | grep '^avx512' | sort | tr '\n' ' ' | sed 's/ $//' || true)

echo "## JSON parsing, one core ($(date -u +%Y-%m-%d))"
echo
echo "- CPU: $cpu, $(nproc) cores; AVX2: $(has avx2); AVX-512: $(has avx512f)${avx512:+ ($avx512)}"
echo "- Input: game telemetry from bench/gen_telemetry (seed $seed): $size bytes," \
	"$records records, $(awk -v b="$size" -v n="$records" 'BEGIN {printf "%.1f", b / n}')" \
	"bytes per record; gzip -1 copy $gz_size bytes" \
	"($(awk -v a="$gz_size" -v b="$size" 'BEGIN {printf "%.1f", 100 * a / b}')%)"

# ---- measurements ----
declare -a rows=()  # "tool|MB/s|records/s"
notes=()

taskset -c 0 "$build/simdjson_bench" "$file" > "$work/simdjson.txt" 2> "$work/simdjson.err"
while read -r tool mbs rps _; do
	rows+=("$tool|$mbs|$rps")
done < "$work/simdjson.txt"
notes+=("simdjson: $(head -n 1 "$work/simdjson.err"); $(sed -n 2p "$work/simdjson.err")")

heap_mb=$(( size * 3 / 1048576 + 1024 )) # the line strings take about 1.2 times the file
[ "$heap_mb" -ge 2048 ] || heap_mb=2048
taskset -c 0 node --max-old-space-size="$heap_mb" bench/node_json_parse.js "$file" \
	> "$work/node.txt" 2> "$work/node.err"
read -r tool mbs rps _ < "$work/node.txt"
rows+=("node $(node --version) JSON.parse|$mbs|$rps")

# Best wall-clock seconds of 3 runs of a command (its output discarded); exits the script
# with the command's output when a run fails.
best_wall() {
	local best="" t0 t1 s rc _
	for _ in 1 2 3; do
		t0=$(date +%s%N)
		if "$@" > /dev/null 2> "$work/cmd.err"; then rc=0; else rc=$?; fi
		t1=$(date +%s%N)
		if [ "$rc" -ne 0 ]; then
			echo "FAILED (exit $rc): $*" >&2
			head -n 20 "$work/cmd.err" >&2
			return "$rc"
		fi
		s=$(( t1 - t0 ))
		if [ -z "$best" ] || [ "$s" -lt "$best" ]; then best=$s; fi
	done
	awk -v ns="$best" 'BEGIN {printf "%.4f", ns / 1e9}'
}
rate_row() { # tool seconds -> row
	awk -v t="$1" -v s="$2" -v b="$size" -v n="$records" \
		'BEGIN {printf "%s|%.1f|%.0f", t, b / s / 1e6, n / s}'
}

sluice="$build/sluice"
if [ ! -x "$sluice" ]; then
	notes+=("sluice rows skipped: $sluice does not exist (build the project first)")
else
	if "$sluice" json check --help > /dev/null 2>&1; then rc=0; else rc=$?; fi
	if [ "$rc" -eq 1 ]; then
		notes+=("sluice rows skipped: this build has no 'sluice json check' ('sluice json check --help' exits with usage error 1)")
	else
		if s=$(best_wall taskset -c 0 "$sluice" json check --ndjson "$file"); then
			rows+=("$(rate_row "sluice json check --ndjson" "$s")")
		else
			rows+=("sluice json check --ndjson (FAILED, see above)|-|-")
		fi
		if s=$(best_wall taskset -c 0 "$sluice" json check --ndjson "$file.gz"); then
			rows+=("$(rate_row "sluice json check --ndjson (gzip -1 input)" "$s")")
		else
			rows+=("sluice json check --ndjson on .gz (FAILED, see above)|-|-")
		fi
	fi
fi
s=$(best_wall taskset -c 0 gzip -dc "$file.gz")
rows+=("$(rate_row "gzip -dc > /dev/null (decompression floor)" "$s")")

# ---- table ----
ref=""
for r in "${rows[@]}"; do
	if [ "${r%%|*}" = simdjson-dom ]; then ref=${r#*|}; ref=${ref%%|*}; fi
done
echo
echo "| tool | MB/s | records/s | % of simdjson-dom |"
echo "| --- | ---: | ---: | ---: |"
for r in "${rows[@]}"; do
	IFS='|' read -r tool mbs rps <<< "$r"
	pct=$(awk -v a="$mbs" -v b="$ref" 'BEGIN {if (a + 0 > 0 && b + 0 > 0) printf "%.0f%%", 100 * a / b; else print "-"}')
	echo "| $tool | $mbs | $rps | $pct |"
done
echo
echo "MB = 10^6 bytes of uncompressed NDJSON (also for the gzip rows). All pinned to CPU 0,"
echo "best of 3. simdjson and node time their parse loop only, on input already in memory:"
echo "simdjson-dom and -ondemand visit every value, simdjson-dom-nowalk only builds the DOM"
echo "(the peer of a checker), node reads one field of each record. The sluice and gzip rows"
echo "are wall-clock times of the whole command (start-up, reading the page-cached file)."
echo "gzip -dc inflates more slowly than the zlib library, so its row is a loose floor."
for n in "${notes[@]}"; do echo "- $n"; done
grep -h '' "$work/simdjson.err" "$work/node.err" | sed 's/^/    /' >&2
