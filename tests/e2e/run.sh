#!/usr/bin/env bash
# Runs the end-to-end tests against one sluice binary.
# usage: tests/e2e/run.sh BINARY     (exit status non-zero when a test fails)
set -euo pipefail
if [ $# -ne 1 ]; then
	echo "usage: $0 BINARY" >&2
	exit 1
fi
bin=$(realpath -- "$1")
if [ ! -x "$bin" ]; then
	echo "$0: $1 is not an executable" >&2
	exit 1
fi
py=/usr/bin/python3
[ -x "$py" ] || py=python3
cd "$(dirname "$0")"
SLUICE="$bin" exec "$py" -m unittest -v test_cli test_bad_input test_json_cli test_schema_cli \
	test_validate test_convert test_parquet_cli test_catalog test_crawl_bad_input test_etl \
	test_compact
