#!/usr/bin/env bash
# `make demo`: a scratch lake, a generated sample of realistic files landed in it, then
# what a user would look at: the zones, the objects, the queues; schemas registered, the
# validator run, raw and the dead letters with their reasons, a schema fix and a replay;
# the crawler's tables, partitions, versions and DDL; the counters and an fsck; then the
# ETL jobs: raw -> curated Parquet, a late file, the history, a rewind and a re-run, and
# a nested job whose struct and list columns the crawler catalogues.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
sluice="$PWD/$build/sluice"
lake="$PWD/demo-lake"
sample="$PWD/$build/demo-sample"

rm -rf "$lake" "$sample"
export SLUICE_LAKE="$lake"
say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

say "sluice init $lake"
"$sluice" init "$lake"

"$PWD/$build/sl-gen" tree "$sample" --days 2 --files-per-day 3 --records 200
say "sluice put ... (landing $(find "$sample" -type f | wc -l) generated files: orders and clicks per day, customers)"
(cd "$sample" && find . -type f | sort | sed 's|^\./||' | while read -r f; do
	"$sluice" put "$f" --key "$f"
done) | tail -n 3
echo "..."

say "sluice ls"
"$sluice" ls
say "sluice ls landing/orders/"
"$sluice" ls landing/orders/
say "sluice cat landing/customers/customers.json | head -n 4"
"$sluice" cat landing/customers/customers.json | head -n 4
say "sluice queue ls"
"$sluice" queue ls
say "sluice queue peek landing --limit 2"
"$sluice" queue peek landing --limit 2
first=$(cd "$sample" && find orders -type f | sort | head -n 1)
say "sluice cat landing/$first | sluice json check --ndjson -   (the generator plants bad records)"
"$sluice" cat "landing/$first" | "$sluice" json check --ndjson --max-errors 5 - || true
say "sluice json stats --ndjson (clicks of one day)"
"$sluice" cat "landing/$(cd "$sample" && find clicks -type f | sort | head -n 1)" |
	"$sluice" json stats --ndjson - | head -n 16

# ---- the validator: schemas, validate, raw and the dead letters -------------------------
schemas="$PWD/$build/demo-schemas"
rm -rf "$schemas"
mkdir -p "$schemas"
cat > "$schemas/orders.json" <<'JSON'
{"$schema": "https://json-schema.org/draft/2020-12/schema",
 "type": "object",
 "required": ["order_id", "customer_id", "ts", "country", "total", "items", "paid"],
 "properties": {
   "order_id": {"type": "string", "format": "uuid"},
   "customer_id": {"type": "string", "format": "uuid"},
   "ts": {"type": "string", "format": "date-time"},
   "country": {"type": "string", "pattern": "^[A-Z]{2}$"},
   "total": {"type": "number", "minimum": 0},
   "items": {"type": "array", "minItems": 1, "items": {
     "type": "object", "required": ["sku", "qty"],
     "properties": {"sku": {"type": "string"}, "qty": {"type": "integer", "minimum": 1}}}},
   "paid": {"type": "boolean"},
   "seq": {"type": "integer"}}}
JSON
cat > "$schemas/clicks.json" <<'JSON'
{"type": "object",
 "required": ["event", "session_id", "ts", "page"],
 "properties": {
   "event": {"enum": ["page_view", "click", "purchase"]},
   "session_id": {"type": "string", "format": "uuid"},
   "user_id": {"type": "integer", "minimum": 0},
   "ts": {"type": "string", "format": "date-time"},
   "page": {"type": "string"},
   "referrer": {"type": ["string", "null"]},
   "duration_ms": {"type": "integer", "minimum": 0},
   "geo": {"type": "object", "properties": {
     "lat": {"type": "number", "minimum": -90, "maximum": 90},
     "lon": {"type": "number", "minimum": -180, "maximum": 180}}}}}
JSON
cat > "$schemas/customers.json" <<'JSON'
{"type": "object", "required": ["customer_id", "name", "country"],
 "properties": {"customer_id": {"type": "string", "format": "uuid"},
   "name": {"type": "string", "minLength": 1}, "country": {"type": "string"},
   "signup": {"type": "string", "format": "date"}, "vip": {"type": "boolean"}}}
JSON
say "sluice schema register orders|clicks|customers ...   (one schema per subject)"
for subject in orders clicks customers; do
	"$sluice" schema register "$subject" "$schemas/$subject.json"
done
say "sluice validate --drain --quiet   (every landed object: raw, or deadletter with reasons)"
"$sluice" validate --drain --quiet
say "sluice ls"
"$sluice" ls
say "sluice validate --stats"
"$sluice" validate --stats
say "sluice deadletter ls --subject orders"
"$sluice" deadletter ls --subject orders
dead=$("$sluice" deadletter ls --subject orders --json | python3 -c \
	'import json,sys; print(json.load(sys.stdin)[0]["key"])')
say "sluice deadletter show $dead"
"$sluice" deadletter show "$dead"

# A fix: orders from an older shop send "total" as text ("12.50 EUR") or not at all;
# version 2 accepts both (backward compatible), and the dead letters are replayed.
python3 - "$schemas/orders.json" "$schemas/orders-v2.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
s["properties"]["total"] = {"anyOf": [{"type": "number", "minimum": 0},
                                      {"type": "string", "pattern": "^[0-9]+[.][0-9]{2} EUR$"}]}
s["required"].remove("total")
json.dump(s, open(sys.argv[2], "w"))
PY
say "sluice schema register orders orders-v2.json   (\"total\": a number, \"12.50 EUR\", or none)"
"$sluice" schema register orders "$schemas/orders-v2.json"
say "sluice deadletter replay --subject orders | tail -n 2"
"$sluice" deadletter replay --subject orders | tail -n 2
say "sluice validate --drain"
"$sluice" validate --drain | tail -n 3
say "sluice deadletter ls --subject orders   (what is left: records that are not JSON)"
"$sluice" deadletter ls --subject orders | head -n 4

# ---- the crawler: raw objects -> catalog tables ------------------------------------------
say "sluice crawl --drain   (raw objects -> tables, partitions and types in the catalog)"
"$sluice" crawl --drain
say "sluice catalog ls"
"$sluice" catalog ls
say "sluice catalog show raw.clicks   (types from the registered schema: validated data needs no guessing)"
"$sluice" catalog show raw.clicks
say "sluice catalog partitions raw.orders"
"$sluice" catalog partitions raw.orders
first_order=$("$sluice" ls raw/orders/ --json | python3 -c \
	'import json,sys; print(sorted(o["key"] for o in json.load(sys.stdin))[0])')
say "sluice crawl --explain raw/$first_order   (the table rule)"
"$sluice" crawl --explain "raw/$first_order"

# A family without a schema: its types are inferred, and they evolve. The sensors' files
# go straight into raw here (a trusted producer); the second day brings a double where an
# int was and a new column, which makes version 2 of the table, with drift entries.
sensors="$PWD/$build/demo-sensors"
rm -rf "$sensors"
mkdir -p "$sensors/dt=2026-11-23" "$sensors/dt=2026-11-24"
for i in 1 2 3; do
	printf '{"sensor":"s%d","ts":"2026-11-23T10:0%d:00Z","reading":%d,"ok":true}\n' "$i" "$i" "$((i * 10))"
done > "$sensors/dt=2026-11-23/part-1.ndjson"
for i in 1 2 3; do
	printf '{"sensor":"s%d","ts":"2026-11-24T10:0%d:00Z","reading":%d.5,"ok":true,"battery":0.9}\n' "$i" "$i" "$((i * 10))"
done > "$sensors/dt=2026-11-24/part-1.ndjson"
say "sluice put -r demo-sensors --zone raw --prefix sensors/; sluice crawl --drain"
"$sluice" put -r "$sensors/dt=2026-11-23" --zone raw --prefix sensors/dt=2026-11-23/ > /dev/null
"$sluice" crawl --drain > /dev/null
"$sluice" put -r "$sensors/dt=2026-11-24" --zone raw --prefix sensors/dt=2026-11-24/ > /dev/null
"$sluice" crawl --drain
say "sluice catalog history raw.sensors   (reading: int64 -> double, battery added)"
"$sluice" catalog history raw.sensors
say "sluice catalog ddl raw.sensors --dialect duckdb   (DuckDB reads the files in place)"
"$sluice" catalog ddl raw.sensors --dialect duckdb

say "sluice status"
"$sluice" status
say "sluice fsck"
"$sluice" fsck

# Parquet: one day of validated clicks from raw to a Parquet file, under the subject's
# schema (the ETL stage will do this for whole tables), then a look inside it.
clicks=$("$sluice" ls raw/clicks/ --json | python3 -c \
	'import json,sys; print(sorted(o["key"] for o in json.load(sys.stdin))[0])')
out="$PWD/$build/demo-clicks.parquet"
say "sluice cat raw/$clicks | sluice convert - demo-clicks.parquet --subject clicks"
"$sluice" cat "raw/$clicks" | "$sluice" convert - "$out" --subject clicks
say "sluice parquet schema demo-clicks.parquet"
"$sluice" parquet schema "$out"
say "sluice parquet head -n 3 demo-clicks.parquet"
"$sluice" parquet head -n 3 "$out"

# ---- ETL: raw -> curated Parquet, with bookmarks --------------------------------------
# The default job of a family (all its columns, cast to the catalog's schema, partitioned
# as the source) is switched on with one line of sluice.yaml.
say "sluice.yaml: etl.default_jobs: [clicks, orders]   (the default job for two families)"
sed -i 's/^  default_jobs: \[\]$/  default_jobs: [clicks, orders]/' "$lake/sluice.yaml"
grep -n '^  default_jobs:' "$lake/sluice.yaml"
say "sluice etl ls"
"$sluice" etl ls
say "sluice etl run   (each job reads what arrived since its bookmark; one commit per run)"
"$sluice" etl run
say "sluice crawl --drain   (curated is crawled too; a flat job registered its files at commit)"
"$sluice" crawl --drain
say "sluice catalog ls --db curated"
"$sluice" catalog ls --db curated
say "sluice catalog files curated.clicks"
"$sluice" catalog files curated.clicks
curated_file=$("$sluice" catalog files curated.clicks --json | python3 -c \
	'import json,sys; print(json.load(sys.stdin)[0]["key"])')
say "sluice parquet head -n 3 demo-lake/curated/$curated_file"
"$sluice" parquet head -n 3 "$lake/curated/$curated_file"

records() {
	"$sluice" catalog ls --db curated --json | python3 -c \
		'import json,sys; print([t["records"] for t in json.load(sys.stdin) if t["name"] == "clicks"][0])'
}
# A late file: clicks of the first day that arrive now. Its landing sequence is new, so
# the next run reads it (and only it) and writes it into that day's partition.
late="$PWD/$build/demo-late-clicks.ndjson"
python3 - "$late" <<'PY'
import json, sys, uuid
with open(sys.argv[1], "w") as f:
    for i in range(5):
        f.write(json.dumps({"event": "click", "session_id": str(uuid.UUID(int=4242 + i)),
                            "user_id": 7000 + i, "ts": "2026-11-23T23:5%d:00Z" % i,
                            "page": "/late", "referrer": None, "duration_ms": 100 * i}) + "\n")
PY
say "sluice put demo-late-clicks.ndjson --key clicks/dt=2026-11-23/clicks-late.ndjson; validate; crawl"
"$sluice" put "$late" --key clicks/dt=2026-11-23/clicks-late.ndjson
"$sluice" validate --drain --quiet
"$sluice" crawl --drain > /dev/null
say "sluice etl bookmark show clicks   (one object pending: the late file)"
"$sluice" etl bookmark show clicks
say "sluice etl run   (clicks reads 1 object; orders has nothing new)"
"$sluice" etl run
say "sluice catalog files curated.clicks --partition dt=2026-11-23   (the late records in their day)"
"$sluice" catalog files curated.clicks --partition dt=2026-11-23
say "sluice etl history clicks"
"$sluice" etl history clicks
before=$(records)
say "sluice etl bookmark rewind clicks --to-run 1   (undoes run 2: its files are retired)"
"$sluice" etl bookmark rewind clicks --to-run 1
after_rewind=$(records)
say "sluice etl run clicks   (reads the late file again: its records are written exactly once)"
"$sluice" etl run clicks
after=$(records)
printf 'curated.clicks records: %s before the rewind, %s after it, %s after the re-run\n' \
	"$before" "$after_rewind" "$after"
if [ "$before" != "$after" ]; then
	echo "demo: the re-run did not reproduce the rewound records exactly once" >&2
	exit 1
fi
# A nested job: sessions with a struct (the user, with the device inside) and lists (the
# pages seen, as structs; tags). layout: nested writes them as Parquet struct and list
# columns and announces the files to the crawler, which makes the curated table from
# their footers; partition_by: dt files each session under the day of its ts.
sessions="$PWD/$build/demo-sessions"
rm -rf "$sessions"
python3 - "$sessions" <<'PY'
import json, os, sys
top = sys.argv[1]
oses = ["linux", "ios", "android"]
n = 0
for day in (23, 24):
    for part in (1, 2):
        folder = os.path.join(top, "2026-11-%02d" % day)
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, "part-%d.ndjson" % part), "w") as f:
            for i in range(10):
                n += 1
                user = {"id": 1000 + n % 7, "country": ["NO", "DE", "FR"][n % 3],
                        "device": {"os": oses[n % 3], "version": "%d.%d" % (n % 5, n % 3)}}
                if n % 9 == 0:
                    user = None
                elif n % 4 == 0:
                    user["device"] = None
                pages = [{"page": "/p%d" % k, "ms": 250 * (k + 1)} for k in range(n % 4)]
                f.write(json.dumps({"session_id": "s%04d" % n,
                                    "ts": "2026-11-%02dT%02d:%02d:00Z" % (day, 8 + i, n % 60),
                                    "user": user, "pages": pages,
                                    "tags": ["new"] if n % 2 else []}) + "\n")
PY
n_sessions=$(cat "$sessions"/*/*.ndjson | wc -l)
say "sluice put -r demo-sessions --zone raw --prefix sessions/; sluice crawl --drain"
"$sluice" put -r "$sessions" --zone raw --prefix sessions/ > /dev/null
"$sluice" crawl --drain > /dev/null
say "sluice.yaml: etl.jobs.sessions_nested   (source: sessions, layout: nested, partition_by: dt)"
python3 - "$lake/sluice.yaml" <<'PY'
import sys
path = sys.argv[1]
text = open(path).read()
job = ("  jobs:\n"
       "    sessions_nested:\n"
       "      source: sessions\n"
       "      target: sessions\n"
       "      layout: nested\n"
       "      partition_by: dt\n")
assert text.count("\n  jobs: {}\n") == 1
open(path, "w").write(text.replace("\n  jobs: {}\n", "\n" + job))
PY
"$sluice" config check > /dev/null
sed -n '/^  jobs:$/,/partition_by: dt$/p' "$lake/sluice.yaml"
say "sluice etl run sessions_nested   (nested: the files are announced to the crawler, not registered)"
"$sluice" etl run sessions_nested
say "sluice crawl --drain   (the crawler reads the new files' footers: curated.sessions)"
"$sluice" crawl --drain
say "sluice catalog show curated.sessions   (struct and list columns, from the Parquet footers)"
"$sluice" catalog show curated.sessions
say "sluice catalog files curated.sessions"
"$sluice" catalog files curated.sessions
nested_file=$("$sluice" catalog files curated.sessions --json | python3 -c \
	'import json,sys; print(json.load(sys.stdin)[0]["key"])')
say "sluice parquet head -n 2 demo-lake/curated/$nested_file"
"$sluice" parquet head -n 2 "$lake/curated/$nested_file"
# every session once, read back from the files the catalog lists
read_back=$("$sluice" catalog files curated.sessions --json | python3 -c '
import json, subprocess, sys
sluice, lake = sys.argv[1], sys.argv[2]
ids = []
for f in json.load(sys.stdin):
    out = subprocess.run([sluice, "parquet", "cat", lake + "/curated/" + f["key"]],
                         check=True, capture_output=True, text=True).stdout
    ids += [json.loads(line)["session_id"] for line in out.splitlines()]
print(len(ids) if len(ids) == len(set(ids)) else -1)' "$sluice" "$lake")
printf 'curated.sessions: %s sessions read back from its files, %s put\n' "$read_back" "$n_sessions"
if [ "$read_back" != "$n_sessions" ]; then
	echo "demo: the nested job did not write every session exactly once" >&2
	exit 1
fi

# Transforms: a mapping (select, rename, cast, derive, filter on the fast path) and SQL
# (SQLite over the records new since the job's last run).
say "sluice.yaml: etl.jobs.orders_paid (a mapping) and etl.jobs.revenue (SQL)"
python3 - "$lake/sluice.yaml" <<'PY'
import sys
path = sys.argv[1]
text = open(path).read()
jobs = ("    orders_paid:\n"
        "      source: orders\n"
        "      target: orders_paid\n"
        "      partition_by: country\n"
        "      mapping:\n"
        "        select: [order_id, customer_id, ts, country, total]\n"
        "        rename: {order_id: id}\n"
        "        cast: {total: double}\n"
        "        derive:\n"
        "          day: date(ts)\n"
        "          evening: hour(ts) >= 18\n"
        "        filter: paid\n"
        "    revenue:\n"
        "      source: orders\n"
        "      target: revenue\n"
        "      sql: |\n"
        "        SELECT date(ts) AS day, country, count(*) AS orders\n"
        "        FROM source WHERE paid GROUP BY 1, 2\n")
anchor = "      partition_by: dt\n"
assert text.count(anchor) == 1
open(path, "w").write(text.replace(anchor, anchor + jobs))
PY
"$sluice" config check > /dev/null
say "sluice etl show orders_paid   (what a run will write, from the mapping and the catalog)"
"$sluice" etl show orders_paid | sed -n '/^mapping/,/^partition keys/p'
say "sluice etl run orders_paid revenue   (a text total is refused by the cast, with its reason)"
"$sluice" etl run orders_paid revenue
refused=$("$sluice" etl history orders_paid --json | python3 -c \
	'import json,sys; print(json.load(sys.stdin)[0]["rows_rejected"])')
say "sluice deadletter ls --job orders_paid"
"$sluice" deadletter ls --job orders_paid
paid_file=$("$sluice" catalog files curated.orders_paid --json | python3 -c \
	'import json,sys; print(json.load(sys.stdin)[0]["key"])')
say "sluice parquet head -n 2 demo-lake/curated/$paid_file"
"$sluice" parquet head -n 2 "$lake/curated/$paid_file"
# the two jobs read the same paid orders: the SQL's counts add up to the mapping's rows
# and its refused records
counted=$("$sluice" catalog files curated.revenue --json | python3 -c '
import json, subprocess, sys
sluice, lake = sys.argv[1], sys.argv[2]
n = 0
for f in json.load(sys.stdin):
    out = subprocess.run([sluice, "parquet", "cat", lake + "/curated/" + f["key"]],
                         check=True, capture_output=True, text=True).stdout
    n += sum(json.loads(line)["orders"] for line in out.splitlines())
print(n)' "$sluice" "$lake")
paid=$("$sluice" catalog show curated.orders_paid --json | python3 -c \
	'import json,sys; print(json.load(sys.stdin)["records"])')
printf 'paid orders: %s rows in curated.orders_paid and %s refused, %s counted by the revenue job\n' \
	"$paid" "$refused" "$counted"
if [ $((paid + refused)) != "$counted" ] || [ "$paid" -eq 0 ]; then
	echo "demo: the mapping and the SQL job disagree on the paid orders" >&2
	exit 1
fi

say "sluice status   (the ETL part)"
"$sluice" status | sed -n '/^etl/,/^$/p'

printf '\nThe demo lake is in %s; try: SLUICE_LAKE=%s %s help\n' "$lake" "$lake" "$sluice"
