# sluice: the two commands a new machine needs are `make demo` and `make test`.
# Everything else here is a convenience around CMake.

BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 30
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_ARGS ?=

.PHONY: all build deps demo test unit e2e crash asan-build fuzz-build fuzz bench bench-json \
	bench-validate bench-latency bench-parquet bench-crawl bench-etl clean

all: build

deps:
	@bash scripts/deps.sh

$(BUILD)/Makefile: CMakeLists.txt | deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_ARGS) >/dev/null

build: deps $(BUILD)/Makefile
	cmake --build $(BUILD) -j $(JOBS)

$(ASAN_BUILD)/Makefile: CMakeLists.txt | deps
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DSLUICE_SANITIZE=ON >/dev/null

asan-build: deps $(ASAN_BUILD)/Makefile
	cmake --build $(ASAN_BUILD) -j $(JOBS)

$(FUZZ_BUILD)/Makefile: CMakeLists.txt | deps
	CC=clang cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=Debug -DSLUICE_FUZZ=ON \
		-DSLUICE_TESTS=OFF >/dev/null

fuzz-build: deps $(FUZZ_BUILD)/Makefile
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzz_config fuzz_key fuzz_json fuzz_format fuzz_schema \
		fuzz_compat fuzz_glob fuzz_pqenc fuzz_pqmeta fuzz_types fuzz_pqwriter fuzz_parquet \
		fuzz_crawlkey fuzz_cron fuzz_expr

# Every fuzz harness for FUZZ_SECONDS each (make test runs them briefly; run longer with
# e.g. `make fuzz FUZZ_SECONDS=600`).
fuzz: fuzz-build
	@bash tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

demo: build
	@bash scripts/demo.sh $(BUILD)

# Unit tests, end-to-end tests and crash tests on the normal build, then the unit and
# end-to-end tests again under AddressSanitizer + UndefinedBehaviorSanitizer.
test: build asan-build fuzz-build
	@bash tests/run.sh $(BUILD) $(ASAN_BUILD)
	@bash tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

unit: build
	cd $(BUILD) && ctest --output-on-failure

e2e: build
	@bash tests/e2e/run.sh $(BUILD)/sluice

crash: build
	@python3 tests/crash/crash_put.py $(BUILD)/sluice
	@python3 tests/crash/crash_validate.py $(BUILD)/sluice
	@python3 tests/crash/crash_crawl.py $(BUILD)/sluice
	@python3 tests/crash/crash_etl.py $(BUILD)/sluice

bench: build
	@bash bench/run.sh $(BUILD)

# A 1 KiB object from put to raw through a running `sluice validate`: p50/p99 over 1,000.
bench-latency: build
	@bash bench/run_latency.sh $(BUILD)

# The JSON engine side by side with simdjson and Node (installs them when missing).
bench-json: build
	@bash bench/run_json.sh $(BUILD)

# Schema validation side by side with ajv + ajv-formats (installs Node and the pinned npm
# packages when missing).
bench-validate: build
	@bash bench/run_validate.sh $(BUILD)

# NDJSON to Parquet and reading it back, side by side with DuckDB (installs Node and the
# pinned DuckDB Node API when missing).
bench-parquet: build
	@bash bench/run_parquet.sh $(BUILD)

# The crawler: a burst of 10,000 small objects (time, catalog transactions) and one 1 GiB
# NDJSON object (MB/s), beside DuckDB's DESCRIBE read_json on the same file.
bench-crawl: build
	@bash bench/run_crawl.sh $(BUILD)

# ETL: the default job's full run over 1 GiB in raw beside DuckDB, then a run after 1% more.
bench-etl: build
	@bash bench/run_etl.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
