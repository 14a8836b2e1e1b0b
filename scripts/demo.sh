#!/usr/bin/env bash
# `make demo`: a scratch lake, a generated sample of realistic files landed in it, then
# what a user would look at: the zones, the objects, the queues and an fsck.
# Later stages extend this script until it runs the whole pipeline.
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
say "sluice status"
"$sluice" status
say "sluice fsck"
"$sluice" fsck
printf '\nThe demo lake is in %s; try: SLUICE_LAKE=%s %s help\n' "$lake" "$lake" "$sluice"
