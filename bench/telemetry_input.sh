# Sourced by bench/run_json.sh and bench/run_validate.sh: the generated game-telemetry
# NDJSON both measure. Needs $build, $work, $bytes and $seed; sets $file (kept in
# $JSON_CACHE, default /tmp/sluice-json-cache, when JSON_KEEP is set, so one file serves
# both scripts) and $size.
gen="$build/gen_telemetry"
if [ ! -x "$gen" ] || [ "$gen" -ot bench/gen_telemetry.c ]; then
	gen="$work/gen_telemetry"
	gcc -O2 -std=c17 -Wall -Wextra -Werror -o "$gen" bench/gen_telemetry.c
fi
if [ -n "${JSON_KEEP:-}" ]; then
	cache=${JSON_CACHE:-/tmp/sluice-json-cache}
	mkdir -p "$cache"
	# the name carries the generator's source hash: a changed generator makes a new file
	tag=$(sha256sum bench/gen_telemetry.c | cut -c1-12)
	file="$cache/telemetry-$bytes-seed$seed-$tag.ndjson"
else
	file="$work/telemetry.ndjson"
fi
if [ ! -s "$file" ]; then
	"$gen" "$file.tmp" --bytes "$bytes" --seed "$seed"
	mv "$file.tmp" "$file"
fi
size=$(stat -c %s "$file")
