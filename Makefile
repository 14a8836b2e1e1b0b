# sluice: the two commands a new machine needs are `make demo` and `make test`.
# Everything else here is a convenience around CMake.

BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_ARGS ?=

.PHONY: all build deps demo test unit e2e crash asan-build bench clean

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

demo: build
	@bash scripts/demo.sh $(BUILD)

# Unit tests, end-to-end tests and crash tests on the normal build, then the unit and
# end-to-end tests again under AddressSanitizer + UndefinedBehaviorSanitizer.
test: build asan-build
	@bash tests/run.sh $(BUILD) $(ASAN_BUILD)

unit: build
	cd $(BUILD) && ctest --output-on-failure

e2e: build
	@bash tests/e2e/run.sh $(BUILD)/sluice

crash: build
	@python3 tests/crash/crash_put.py $(BUILD)/sluice

bench: build
	@bash bench/run.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
