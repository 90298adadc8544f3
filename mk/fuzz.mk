# mk/fuzz.mk - fuzzing (issue 6), included by the Makefile. Harnesses are
# found by name, fuzz/fuzz_<name>.c, each with fuzz/corpus/<name>/ (seeds),
# fuzz/regress/<name>/ (every crash ever found) and maybe fuzz/dict/<name>.dict.
# tools/fuzz.sh does the work; fuzz/README.md tells users how to run it.
#
#   make test         also builds each harness's replay program (with ASan and
#                     UBSan when $(CC) has them) and replays its corpus and
#                     regression inputs: $(O)/fuzz/replay/fuzz_<name>
#   make fuzz         AFL++ on every harness, FUZZ_SECONDS each (default 60),
#                     one at a time under nice; prints executions, coverage,
#                     crashes and hangs per harness; fails if any crash or
#                     hang was saved (they are in $(O)/fuzz/out/<name>/)
#   make fuzz-ci      the same, FUZZ_CI_SECONDS (default 10) per harness;
#                     installs nothing (.ci/run installs afl++)
#   make fuzz-build   builds every harness three ways (AFL++, libFuzzer with
#                     ASan+UBSan, replay): a check that each source still does
#   make coverage     line and branch coverage of each header by the unit
#                     tests and the replayed corpora (clang, llvm-cov)

FUZZ_NAMES      := $(patsubst fuzz/fuzz_%.c,%,$(wildcard fuzz/fuzz_*.c))
FUZZ_SECONDS    ?= 60
FUZZ_CI_SECONDS ?= 10
FUZZ_REPLAYS    := $(addprefix $(O)/fuzz/replay/fuzz_,$(FUZZ_NAMES))
EXTRA_TEST_BINS += $(FUZZ_REPLAYS)

.PHONY: fuzz fuzz-ci fuzz-build coverage

$(O)/fuzz/replay/fuzz_%: fuzz/fuzz_%.c fuzz/fuzz.h fuzz/replay.c tools/fuzz.sh $(HEADERS)
	@mkdir -p $(@D)
	@echo "build $@"
	@O='$(O)' CC='$(CC)' sh tools/fuzz.sh build replay $* $@

fuzz:
	@O='$(O)' sh tools/fuzz.sh campaign $(FUZZ_SECONDS) $(FUZZ_NAMES)

fuzz-ci:
	@O='$(O)' sh tools/fuzz.sh campaign $(FUZZ_CI_SECONDS) $(FUZZ_NAMES)

fuzz-build:
	@set -e; for n in $(FUZZ_NAMES); do for k in afl libfuzzer replay; do \
	  echo "build $$k fuzz_$$n"; O='$(O)' sh tools/fuzz.sh build $$k $$n; done; done

coverage:
	@O='$(O)' sh tools/fuzz.sh coverage
