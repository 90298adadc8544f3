# mk/portability.mk - the portability proof (issue 7), included by the
# Makefile. Every rule finds headers and tests by name (xalloc*.h,
# tests/test_*.c, tests/freestanding/<name>.c), so a new header is covered
# with no change here. `make test` needs none of this; each target below names
# the tool (and Debian package) it misses, and fails then. .ci/run installs
# them and runs every target.
#
#   make cross      bare metal: each header's implementation for Cortex-M0/M4
#                   (arm-none-eabi-gcc), RV64/RV32 (riscv64-unknown-elf-gcc),
#                   the host (gcc, clang, g++, clang++) and clang for
#                   Cortex-M0/M4, RV32 and i386 (objects), -O0/-O2/-Os,
#                   PORT_LEVELS, WSTRICT, -ffreestanding: `nm -u` empty; the
#                   header's freestanding program tests/freestanding/<name>.c
#                   linked -nostdlib with no undefined symbol, and run under
#                   qemu-user where present (tools/cross.sh)
#   make langs      every header in one translation unit with the
#                   implementation: gcc/clang C99/C11/C17, g++/clang++
#                   C++11/C++17, every level, extern and XALLOC_STATIC
#                   (tools/langs.sh; `make warnings` does each header alone)
#   make qemu       the unit tests (every tests/test_*.c but the sanitizer
#                   tests and HOST_ONLY_TESTS, at PORT_LEVELS) and the C
#                   include tests, -static,
#                   under qemu-arm (32-bit ARM) and qemu-s390x (big-endian
#                   64-bit)
#   make sanitize   the unit tests (at PORT_LEVELS) and include tests under clang
#                   -fsanitize=address,undefined -fno-sanitize-recover=all,
#                   plus $(SANITIZE_EXTRA_BINS)
#   make valgrind   the unit tests once (XALLOC_DEBUG=$(VALGRIND_LEVELS)),
#                   built with -DXALLOC_VALGRIND=1, under valgrind memcheck
#                   (--error-exitcode=1), plus $(VALGRIND_EXTRA_BINS)
#   make analyze    cppcheck and clang-tidy on each header (tools/analyze.sh)
#   make size       (in the Makefile) runs tools/size.sh
#   make portability  all of the above, in the order .ci/run uses
#
# For mk/fuzz.mk (included before this file): append programs to
# SANITIZE_EXTRA_BINS / VALGRIND_EXTRA_BINS with +=, and build them in your
# own rules with $(SAN_CC) $(SAN_FLAGS) (these are expanded when the recipe
# runs, so they may be used before this file defines them). Each program must
# print "<prog>: N passed, M failed" as its last summary line (like the unit
# tests), e.g. a corpus replay that counts the inputs it ran.

PORT := $(O)/port
# $(call PORT_TESTS,DIR,TEST-SOURCES,LEVELS): the test programs of a flavour
PORT_TESTS = $(foreach t,$2,$(foreach l,$3,$1/$(basename $(notdir $(t)))_d$(l)))
# Programs of a flavour are built with -k and a failed build does not stop
# the run: run_under.sh counts a program that is not there as a failure.
# $(call port_build,PROGRAMS), in a recipe line marked + (a sub-make that
# make cannot see through the call: without +, it builds with -j1)
port_build = $(MAKE) -k --no-print-directory $1 || echo "$@: some programs did not build (above): each counts as a failed test"
# Programs run JOBS at a time (tools/run_under.sh).
PORT_JOBS ?= 2
# Under an emulator or valgrind a program runs 10 to 20 times slower: the
# runs below set XTEST_SLOW=1 in the environment, which a test may read to
# cut its stress iterations (the unit tests themselves stay the same).
PORT_SLOW := XTEST_SLOW=1
# The debug levels that make cross, qemu and sanitize build (`make test` and
# `make langs` build every level). Each level adds checks to the one below and level 3 is level 2
# plus canaries or red zones, so levels 1 and 3 between them run the code
# level 2 does; `make test` runs level 2 itself. Leaving it out here saves a
# fifth of these three steps, the longest in CI.
PORT_LEVELS ?= 0 1 3 4
INCLUDE_SRC := tests/include/main.c tests/include/other.c

# $(call port_need,COMMAND,DEBIAN-PACKAGE): fail with a clear message unless
# COMMAND is installed.
port_need = command -v $1 >/dev/null 2>&1 || { echo "make $@: needs $1 (Debian package $2); .ci/run installs it"; exit 1; }

# Unit-test build rules for one flavour: $(call port_test_rule,DIR,CC-VAR,FLAGS-VAR,LEVEL)
define port_test_rule
$1/%_d$4: tests/%.c $$(HEADERS) $$(TEST_DEPS)
	@mkdir -p $$(@D)
	$$($2) $$(CFLAGS_TEST) $$($3) -DXALLOC_DEBUG=$4 $$< -o $$@
endef
# Include-test programs (C; and C++ where the flavour has a C++ compiler):
# $(call port_include_rules,DIR,CC-VAR,FLAGS-VAR)
define port_include_rules
$1/include_c: $$(INCLUDE_SRC) $$(HEADERS)
	@mkdir -p $$(@D)
	$$($2) -std=c99 -I. $$(WSTRICT) $$($3) $$(INCLUDE_SRC) -o $$@
$1/include_static: $$(INCLUDE_SRC) $$(HEADERS)
	@mkdir -p $$(@D)
	$$($2) -std=c99 -I. $$(WSTRICT) $$($3) -DXALLOC_STATIC $$(INCLUDE_SRC) -o $$@
endef
port_flavour = $(foreach l,$(PORT_LEVELS),$(eval $(call port_test_rule,$1,$2,$3,$(l))))$(eval $(call port_include_rules,$1,$2,$3))

.PHONY: cross langs qemu sanitize valgrind analyze portability
portability: cross langs qemu sanitize valgrind analyze size

# ---- bare metal --------------------------------------------------------------
CROSS_TARGETS := m0 m4 rv64 rv32 gcc clang g++ clang++ clang-m0 clang-m4 clang-rv32 clang-i386
cross:
	@$(call port_need,arm-none-eabi-gcc,gcc-arm-none-eabi)
	@$(call port_need,riscv64-unknown-elf-gcc,gcc-riscv64-unknown-elf)
	@$(MAKE) -k --no-print-directory $(addprefix port-cross-,$(CROSS_TARGETS))
port-cross-%:
	@O='$(O)' WSTRICT='$(WSTRICT)' LEVELS='$(PORT_LEVELS)' sh tools/cross.sh $*

langs:
	@O='$(O)' WSTRICT='$(WSTRICT)' LEVELS='$(LEVELS)' sh tools/langs.sh

# ---- 32-bit ARM and big-endian s390x under qemu-user ----------------------------
QEMU_ARM_CC     := arm-linux-gnueabihf-gcc
QEMU_S390X_CC   := s390x-linux-gnu-gcc
QEMU_FLAGS      := -static
$(call port_flavour,$(PORT)/qemu-arm,QEMU_ARM_CC,QEMU_FLAGS)
$(call port_flavour,$(PORT)/qemu-s390x,QEMU_S390X_CC,QEMU_FLAGS)
# tests/test_sanitize_*.c have nothing to check without ASan or valgrind
# Configuration variants of another test that run with the plain host build
# only (make test), to keep the flavours below within CI's time: 32-bit ARM
# has test_xalloc_configs.c's 8-byte granules by default anyway, and the
# bitmap without its run tree runs code that the other bitmap variants run
# on these targets (the passes, the summaries).
HOST_ONLY_TESTS := tests/test_xalloc_configs.c tests/test_bitmap_notree.c
QEMU_TESTS      := $(filter-out tests/test_sanitize_% $(HOST_ONLY_TESTS),$(TESTS))
QEMU_ARM_BINS   := $(call PORT_TESTS,$(PORT)/qemu-arm,$(QEMU_TESTS),$(PORT_LEVELS)) $(PORT)/qemu-arm/include_c $(PORT)/qemu-arm/include_static
QEMU_S390X_BINS := $(call PORT_TESTS,$(PORT)/qemu-s390x,$(QEMU_TESTS),$(PORT_LEVELS)) $(PORT)/qemu-s390x/include_c $(PORT)/qemu-s390x/include_static

qemu:
	@$(call port_need,$(QEMU_ARM_CC),gcc-arm-linux-gnueabihf)
	@$(call port_need,$(QEMU_S390X_CC),gcc-s390x-linux-gnu)
	@$(call port_need,qemu-arm,qemu-user)
	@$(call port_need,qemu-s390x,qemu-user)
	@$(MAKE) -k --no-print-directory port-qemu-arm port-qemu-s390x
.PHONY: port-qemu-arm port-qemu-s390x
port-qemu-arm:
	+@$(call port_build,$(QEMU_ARM_BINS))
	@$(PORT_SLOW) JOBS=$(PORT_JOBS) sh tools/run_under.sh "qemu-arm (32-bit ARM, little-endian)" $(PORT)/run/qemu-arm qemu-arm $(QEMU_ARM_BINS)
port-qemu-s390x:
	+@$(call port_build,$(QEMU_S390X_BINS))
	@$(PORT_SLOW) JOBS=$(PORT_JOBS) sh tools/run_under.sh "qemu-s390x (64-bit s390x, big-endian)" $(PORT)/run/qemu-s390x qemu-s390x $(QEMU_S390X_BINS)

# ---- sanitizers ----------------------------------------------------------------
SAN_CC    ?= clang
SAN_CXX   ?= clang++
SAN_FLAGS  = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
SAN_ENV   := ASAN_OPTIONS=detect_leaks=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_string_checks=1 \
             UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
SANITIZE_EXTRA_BINS ?=
$(call port_flavour,$(PORT)/san,SAN_CC,SAN_FLAGS)
$(PORT)/san/include_cxx: $(INCLUDE_SRC) $(HEADERS)
	@mkdir -p $(@D)
	$(SAN_CXX) -std=c++11 -I. $(WSTRICT) $(SAN_FLAGS) -x c++ tests/include/main.c -x c++ tests/include/other.c -o $@
SAN_BINS := $(call PORT_TESTS,$(PORT)/san,$(filter-out $(HOST_ONLY_TESTS),$(TESTS)),$(PORT_LEVELS)) $(PORT)/san/include_c $(PORT)/san/include_static $(PORT)/san/include_cxx

sanitize:
	@$(call port_need,$(SAN_CC),clang)
	@mkdir -p $(PORT)
	@printf 'int main(void) { return 0; }\n' > $(PORT)/san-probe.c
	@$(SAN_CC) $(SAN_FLAGS) $(PORT)/san-probe.c -o $(PORT)/san-probe 2>/dev/null || \
	  { echo "make sanitize: $(SAN_CC) cannot link -fsanitize=address,undefined: needs the runtime (Debian package libclang-rt-14-dev)"; exit 1; }
	@$(MAKE) --no-print-directory port-sanitize
.PHONY: port-sanitize
port-sanitize:
	+@$(call port_build,$(SAN_BINS) $(SANITIZE_EXTRA_BINS))
	@$(SAN_ENV) JOBS=$(PORT_JOBS) sh tools/run_under.sh "sanitize (clang ASan+UBSan)" $(PORT)/run/san "" $(SAN_BINS) $(SANITIZE_EXTRA_BINS)

# ---- valgrind ------------------------------------------------------------------
VALGRIND_LEVELS ?= 1
VALGRIND_EXTRA_BINS ?=
VALGRIND_RUN := valgrind -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite
VG_CC    = $(CC)
VG_FLAGS = -DXALLOC_VALGRIND=1
$(foreach l,$(VALGRIND_LEVELS),$(eval $(call port_test_rule,$(PORT)/vg,VG_CC,VG_FLAGS,$(l))))
VG_BINS := $(call PORT_TESTS,$(PORT)/vg,$(filter-out $(HOST_ONLY_TESTS),$(TESTS)),$(VALGRIND_LEVELS))

valgrind:
	@$(call port_need,valgrind,valgrind)
	@mkdir -p $(PORT)
	@printf '#include <valgrind/memcheck.h>\nint main(void) { return (int)RUNNING_ON_VALGRIND; }\n' > $(PORT)/vg-probe.c
	@$(CC) $(PORT)/vg-probe.c -o $(PORT)/vg-probe 2>/dev/null || \
	  { echo "make valgrind: <valgrind/memcheck.h> not found (Debian package valgrind)"; exit 1; }
	@$(MAKE) --no-print-directory port-valgrind
.PHONY: port-valgrind
port-valgrind:
	+@$(call port_build,$(VG_BINS) $(VALGRIND_EXTRA_BINS))
	@$(PORT_SLOW) JOBS=$(PORT_JOBS) sh tools/run_under.sh "valgrind memcheck (XALLOC_DEBUG=$(VALGRIND_LEVELS), XALLOC_VALGRIND=1)" $(PORT)/run/vg "$(VALGRIND_RUN)" $(VG_BINS) $(VALGRIND_EXTRA_BINS)

# ---- static analysis -----------------------------------------------------------
analyze:
	@O='$(O)' LEVELS='$(LEVELS)' sh tools/analyze.sh
