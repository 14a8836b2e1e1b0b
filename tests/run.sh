#!/usr/bin/env bash
# Runs every test: unit tests (cmocka), end-to-end tests, the Parquet and catalog DDL
# interop tests with DuckDB (installed by tests/interop/setup.sh) and the SIGKILL crash
# tests on the normal build, then the unit and end-to-end tests again under ASan + UBSan.
# usage: tests/run.sh BUILD_DIR ASAN_BUILD_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
asan=${2:-build-asan}

step() { printf '\n=== %s ===\n' "$*"; }

step "unit tests ($build)"
(cd "$build" && ctest --output-on-failure)

step "end-to-end tests ($build)"
bash tests/e2e/run.sh "$build/sluice"

step "Parquet interop with DuckDB ($build)"
node_path=$(bash tests/interop/setup.sh "$build")
NODE_PATH="$node_path" SLUICE="$build/sluice" python3 -m unittest -v \
	tests/interop/test_parquet_interop.py

step "Catalog DDL run in DuckDB ($build)"
NODE_PATH="$node_path" SLUICE="$build/sluice" python3 -m unittest -v \
	tests/interop/test_catalog_interop.py

step "crash test: SIGKILL during bursts of puts ($build)"
python3 tests/crash/crash_put.py "$build/sluice"

step "crash test: SIGKILL of validators while objects land ($build)"
python3 tests/crash/crash_validate.py "$build/sluice"

step "crash test: SIGKILL of the crawler before and after its commits ($build)"
python3 tests/crash/crash_crawl.py "$build/sluice"

step "crash test: SIGKILL of ETL runs while writing and committing, and rewinds ($build)"
python3 tests/crash/crash_etl.py "$build/sluice"

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

step "unit tests under ASan+UBSan ($asan)"
(cd "$asan" && ctest --output-on-failure)

step "end-to-end tests under ASan+UBSan ($asan)"
bash tests/e2e/run.sh "$asan/sluice"

step "all tests passed"
