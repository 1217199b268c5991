# softsgx: the short commands. Builds go to build/<mode>; CMake does the work.
#   make demo   build (release) and run the demo on the bundled default
#   make test   the release build, all tests under ASan+UBSan, the threaded ones under TSan
#   make build  the default debug build in build/debug
#   make fuzz   the fuzz targets under libFuzzer, FUZZ_SECONDS (60) each
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=

.PHONY: all deps deps-test deps-bench build release demo bench test test-asan test-tsan test-clang format clean

all: build

deps:
	@./scripts/deps.sh

deps-test:
	@./scripts/deps.sh test

deps-bench:
	@./scripts/deps.sh bench

build/%/CMakeCache.txt: | deps
	@mkdir -p build/$*
	@case "$*" in \
	  release) cmake -S . -B build/$* -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS) >/dev/null ;; \
	  asan)    cmake -S . -B build/$* -DSOFTSGX_SANITIZE=address,undefined $(CMAKE_FLAGS) >/dev/null ;; \
	  tsan)    cmake -S . -B build/$* -DSOFTSGX_SANITIZE=thread $(CMAKE_FLAGS) >/dev/null ;; \
	  clang)   cmake -S . -B build/$* -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS) >/dev/null ;; \
	  *)       cmake -S . -B build/$* $(CMAKE_FLAGS) >/dev/null ;; \
	esac

build: build/debug/CMakeCache.txt
	cmake --build build/debug -j$(JOBS)

release: build/release/CMakeCache.txt
	cmake --build build/release -j$(JOBS)

demo: release
	./build/release/softsgx demo

# make bench [BENCH_FLAGS=--quick]: every benchmark; the figures as CSV and the
# RESTRICT_PERMISSIONS sweep as SVG in build/bench/ (gnuplot comes with deps-bench).
BENCH_FLAGS ?=
bench: release deps-bench
	@mkdir -p build/bench
	./build/release/softsgx bench $(BENCH_FLAGS) --csv build/bench/bench.csv --plot build/bench/sweep.svg

test-asan: build/asan/CMakeCache.txt
	cmake --build build/asan -j$(JOBS)
	cd build/asan && ctest --output-on-failure -j$(JOBS)

test-tsan: build/tsan/CMakeCache.txt
	cmake --build build/tsan -j$(JOBS)
	cd build/tsan && TSAN_OPTIONS=halt_on_error=1 ctest --output-on-failure -j$(JOBS) -L threads

# The tree builds warning-free with clang as with gcc (warnings are errors),
# and the clang build passes the tests too.
build/clang/CMakeCache.txt: | deps-test
test-clang: build/clang/CMakeCache.txt
	cmake --build build/clang -j$(JOBS)
	cd build/clang && ctest --output-on-failure -j$(JOBS)

# The release build is part of the tests: -O2 brings warnings of its own.
test: release test-clang test-asan test-tsan

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build

# make install [PREFIX=/usr/local] [DESTDIR=]: the release build's libsoftsgx
# (shared and static), public headers, softsgx.pc, the softsgx command and
# its man page; as root, ldconfig then makes the new library known.
PREFIX ?= /usr/local
.PHONY: install
install: release
	DESTDIR="$(DESTDIR)" cmake --install build/release --prefix "$(PREFIX)"
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ]; then ldconfig; fi

# make fuzz [FUZZ_SECONDS=60]: the fuzz targets of tests/fuzz built with clang
# and libFuzzer (ASan+UBSan) in build/fuzz, each run on its committed corpus;
# findings go to build/fuzz/findings/. `make test` replays the corpora.
FUZZ_SECONDS ?= 60
.PHONY: fuzz
fuzz:
	@./scripts/deps.sh fuzz
	cmake -S . -B build/fuzz -DCMAKE_C_COMPILER=clang -DSOFTSGX_SANITIZE=address,undefined \
		-DCMAKE_C_FLAGS=-fsanitize=fuzzer-no-link -DSOFTSGX_FUZZ=libfuzzer $(CMAKE_FLAGS) >/dev/null
	cmake --build build/fuzz -j$(JOBS) --target softsgx_fuzz
	tests/fuzz/run.sh build/fuzz $(FUZZ_SECONDS)
