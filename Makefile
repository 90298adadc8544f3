# xalloc: build, test, measure. Everything is driven by file names, so a new
# header brings its own files and no rule here changes:
#   xalloc*.h                  the headers
#   tests/test_<name>.c        unit tests, built at every XALLOC_DEBUG level
#   examples/<name>*.c         hosted examples (make demo runs them)
#   examples/*_firmware.c      freestanding examples: -ffreestanding -nostdlib
#   bench/bench_<name>.c       benchmarks (make bench)
#   fuzz/fuzz_<name>.c         fuzz harnesses (make fuzz, replayed by make test)
#
#   make test    all unit tests (+ prelude check, warnings, include tests)
#   make demo    build and run the examples
#   make bench   benchmarks against the system malloc
#   make size    code size for Cortex-M0/M4 and RV64 (needs cross compilers)

CC      ?= cc
CXX     ?= c++
O       := build
HEADERS := $(wildcard xalloc*.h)
TESTS   := $(wildcard tests/test_*.c)
# What a test program may include besides its source and the headers: a
# variant (test_slab_nomag.c, test_xalloc_configs.c, ...) is a few defines
# and an #include of another test's source.
TEST_DEPS := tests/xtest.h tests/san_probe.h $(TESTS)
LEVELS  := 0 1 2 3 4
CFLAGS_TEST := -std=c99 -O2 -g -I. -Itests -Wall -Wextra -Werror -fno-strict-aliasing -pthread
# The headers themselves are held to this, in C and C++:
WSTRICT := -Wall -Wextra -Wpedantic -Wshadow -Wcast-align -Wconversion -Wsign-conversion -Werror

TEST_BINS := $(foreach t,$(TESTS),$(foreach l,$(LEVELS),$(O)/tests/$(basename $(notdir $(t)))_d$(l)))
# mk/*.mk add targets (fuzz, cross, ...) and may append programs that
# `make test` runs to EXTRA_TEST_BINS (each ends with "N passed, M failed").
EXTRA_TEST_BINS :=
-include $(sort $(wildcard mk/*.mk))

.PHONY: all test demo bench size check-prelude warnings clean
all: test

$(O)/tests/%_d0: tests/%.c $(HEADERS) $(TEST_DEPS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_TEST) -DXALLOC_DEBUG=0 $< -o $@
$(O)/tests/%_d1: tests/%.c $(HEADERS) $(TEST_DEPS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_TEST) -DXALLOC_DEBUG=1 $< -o $@
$(O)/tests/%_d2: tests/%.c $(HEADERS) $(TEST_DEPS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_TEST) -DXALLOC_DEBUG=2 $< -o $@
$(O)/tests/%_d3: tests/%.c $(HEADERS) $(TEST_DEPS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_TEST) -DXALLOC_DEBUG=3 $< -o $@
$(O)/tests/%_d4: tests/%.c $(HEADERS) $(TEST_DEPS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_TEST) -DXALLOC_DEBUG=4 $< -o $@

# Include tests: every header five times, implementation five times, in C and
# C++, with and without XALLOC_STATIC; two translation units each with an
# implementation of different headers link together.
$(O)/tests/include_c: tests/include/main.c tests/include/other.c $(HEADERS)
	@mkdir -p $(@D)
	$(CC) -std=c99 -I. $(WSTRICT) tests/include/main.c tests/include/other.c -o $@
$(O)/tests/include_cxx: tests/include/main.c tests/include/other.c $(HEADERS)
	@mkdir -p $(@D)
	$(CXX) -std=c++11 -I. $(WSTRICT) -x c++ tests/include/main.c -x c++ tests/include/other.c -o $@
$(O)/tests/include_static: tests/include/main.c tests/include/other.c $(HEADERS)
	@mkdir -p $(@D)
	$(CC) -std=c99 -I. $(WSTRICT) -DXALLOC_STATIC tests/include/main.c tests/include/other.c -o $@

check-prelude:
	@sh tools/prelude.sh check

# Each header's implementation alone, warning-free at WSTRICT with gcc and
# clang, C99/C11/C17 and C++11/C++17, at every debug level, and at every
# level but 4 also with XALLOC_NO_INTROSPECTION (C99 and C++11; one target
# per header, so that -j runs them side by side).
WARN_STAMPS := $(patsubst %.h,$(O)/warn/%.ok,$(HEADERS))
warnings: $(WARN_STAMPS)
$(O)/warn/%.ok: %.h
	@mkdir -p $(@D)
	@set -e; for l in $(LEVELS); do \
	  printf '#define XALLOC_IMPLEMENTATION\n#include "%s"\n' $< > $(O)/warn/$*.c; \
	  for cc in gcc clang; do command -v $$cc >/dev/null || continue; \
	    for std in c99 c11 c17; do $$cc -std=$$std -I. $(WSTRICT) -DXALLOC_DEBUG=$$l -c $(O)/warn/$*.c -o $(O)/warn/$*.o; done; done; \
	  for cxx in g++ clang++; do command -v $$cxx >/dev/null || continue; \
	    for std in c++11 c++17; do $$cxx -std=$$std -I. $(WSTRICT) -DXALLOC_DEBUG=$$l -x c++ -c $(O)/warn/$*.c -o $(O)/warn/$*.o; done; done; \
	  [ $$l -ge 4 ] || for cc in gcc clang g++ clang++; do command -v $$cc >/dev/null || continue; \
	    case $$cc in *++) std="c++11 -x c++";; *) std=c99;; esac; \
	    $$cc -std=$$std -I. $(WSTRICT) -DXALLOC_DEBUG=$$l -DXALLOC_NO_INTROSPECTION -c $(O)/warn/$*.c -o $(O)/warn/$*.o; done; \
	done; echo "warnings: $< clean (gcc/clang, C99-C17, C++11/17, levels $(LEVELS); without introspection below 4)"; touch $@

# The programs run TEST_JOBS at a time (outputs in order, then the total).
TEST_JOBS ?= 2
INCLUDE_BINS := $(O)/tests/include_c $(O)/tests/include_cxx $(O)/tests/include_static
test: check-prelude $(TEST_BINS) $(INCLUDE_BINS) $(EXTRA_TEST_BINS) $(WARN_STAMPS)
	@JOBS=$(TEST_JOBS) sh tools/run_under.sh "make test" $(O)/run/host "" $(TEST_BINS) $(INCLUDE_BINS) $(EXTRA_TEST_BINS)

# ---- examples --------------------------------------------------------------
EXAMPLES_HOSTED := $(filter-out %_firmware.c,$(wildcard examples/*.c))
EXAMPLES_FW     := $(wildcard examples/*_firmware.c)
DEMO_BINS := $(patsubst examples/%.c,$(O)/examples/%,$(EXAMPLES_HOSTED)) \
             $(patsubst examples/%.c,$(O)/examples/%,$(EXAMPLES_FW))
$(O)/examples/%_firmware: examples/%_firmware.c $(HEADERS)
	@mkdir -p $(@D)
	$(CC) -std=c99 -Os -I. -ffreestanding -nostdlib -static -fno-builtin -fno-stack-protector -fno-pie -no-pie $(WSTRICT) $< -o $@
$(O)/examples/%: examples/%.c $(HEADERS)
	@mkdir -p $(@D)
	$(CC) -std=c99 -O2 -I. -Wall -Wextra -Werror $< -o $@
demo: $(DEMO_BINS)
	@set -e; for e in $(DEMO_BINS); do echo "==== $$e"; $$e; done

# ---- benchmarks ------------------------------------------------------------
BENCHES := $(patsubst bench/%.c,$(O)/bench/%,$(wildcard bench/bench_*.c))
$(O)/bench/%: bench/%.c bench/bench.h $(HEADERS)
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -O2 -g -I. -DNDEBUG -DXALLOC_DEBUG=$${XALLOC_DEBUG:-1} $< -o $@ -lm
bench: $(BENCHES)
	@set -e; for b in $(BENCHES); do $$b; done

# ---- code size -------------------------------------------------------------
size:
	@sh tools/size.sh

clean:
	rm -rf $(O)
