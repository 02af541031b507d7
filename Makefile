# Thin wrapper over CMake. The README's two commands are `make demo` and `make check`.
#   make          configure + build (build/)
#   make check    install dependencies, build, run every test (ctest), then the
#                 ASan+UBSan build (clang, with libFuzzer targets) of the unit tests
#   make demo     install dependencies, build what the demo needs, run the demo
#   make bench    build and run the benchmarks (figures as ratios to a same-run baseline)
BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE      ?= cmake
CTEST      ?= ctest

.PHONY: all build deps check check-main check-asan check-vm demo bench clean packages

all: build

deps:
	@packaging/install-deps.sh

build:
	$(CMAKE) -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo
	$(CMAKE) --build $(BUILD) -j$(JOBS)

check: deps
	$(MAKE) check-main
	$(MAKE) check-asan

check-main: build
	$(CTEST) --test-dir $(BUILD) --output-on-failure --timeout 600

# Sanitizer build of the unit tests and fuzz-corpus replays, with clang so the
# libFuzzer targets build too (each gets a short smoke run).
check-asan:
	CC=clang $(CMAKE) -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug \
		-DPITLANE_SANITIZE=ON -DPITLANE_FUZZ=ON -DPITLANE_BENCH=OFF
	$(CMAKE) --build $(ASAN_BUILD) -j$(JOBS)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		$(CTEST) --test-dir $(ASAN_BUILD) --output-on-failure -L 'unit|fuzz-smoke' --timeout 600

# Only the qemu SocketCAN tier (also part of check-main).
check-vm: build
	$(CTEST) --test-dir $(BUILD) --output-on-failure -L vm --timeout 600

# The demo needs only its programs (and ecu-client, the UDS tester that plays the thief's
# laptop at the car in the scenes of root on the broker host), not the test suite.
DEMO_TARGETS ?= pitlane pitlaned pitlanectl pitlane-ecusim pitlane-cosignd ecu-client
demo: deps
	$(CMAKE) -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo
	$(CMAKE) --build $(BUILD) -j$(JOBS) --target $(DEMO_TARGETS)
	@packaging/demo.sh $(BUILD)

PKG_OUT ?= $(BUILD)/debs
packages: deps
	packaging/build-debs.sh $(PKG_OUT)

bench: build
	@bench/run.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
