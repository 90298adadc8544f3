/* fuzz.h - what every fuzz/fuzz_<name>.c harness shares.
 *
 * A harness defines only LLVMFuzzerTestOneInput, so that one source builds
 * three ways (tools/fuzz.sh does it; see fuzz/README.md):
 *   AFL++     afl-clang-fast -fsanitize=fuzzer   (persistent, shared-memory input)
 *   libFuzzer clang -fsanitize=fuzzer,address,undefined
 *   replay    any C compiler, linked with fuzz/replay.c: runs the files and
 *             directories named on its command line (by default the harness's
 *             corpus and regression inputs) and prints "<prog>: N passed, M failed"
 *
 * Variants. The headers' debug level and layout options are compile-time
 * macros, so a harness is compiled once per variant (-DFUZZ_VARIANT=k, k = 0 ..
 * FUZZ_VARIANTS-1, each a set of XALLOC_* options the harness lists) plus once
 * without FUZZ_VARIANT: that object holds LLVMFuzzerTestOneInput, which runs
 * the variant named by the input's first byte (modulo FUZZ_VARIANTS). Every
 * object is built from the same file; the fuzzer explores debug levels and
 * layouts as it explores the rest of the input. With -DFUZZ_ONLY=k the
 * dispatcher links variant k alone and skips other inputs (coverage builds:
 * one configuration per program).
 *
 * A harness includes this file after defining FUZZ_VARIANTS (and, in a
 * variant object, after including its header), then writes
 *   FUZZ_RUN(const uint8_t *data, size_t size) { ... }
 * which is the test of one input. Violations go through FUZZ_CHECK, which
 * prints what broke and traps (AFL++ and libFuzzer record a crash; the
 * replay counts a failure). Hosted code: harnesses may use libc. */
#ifndef XALLOC_FUZZ_H
#define XALLOC_FUZZ_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef FUZZ_VARIANTS
#error "define FUZZ_VARIANTS before including fuzz.h"
#endif

#define FUZZ_CAT_(a, b) a##b
#define FUZZ_CAT(a, b) FUZZ_CAT_(a, b)

/* Set by the replay's -v: harnesses print each operation as they run it. */
extern int fuzz_verbose;

/* A small deterministic generator (xorshift32) for arena contents. */
static inline uint32_t fuzz_rand(uint32_t *s)
{
    uint32_t x = *s ? *s : 0x9E3779B9u;
    x ^= x << 13; x ^= x >> 17; x ^= x << 5;
    return *s = x;
}

/* Two pools of bytes, made once per process (before AFL++'s fork server
 * starts, where the compiler runs constructors) and shared by every variant:
 *   fuzz_pool     random bytes that arenas are filled with before init;
 *   fuzz_patpool  random bytes with the top bit set, the patterns of blocks.
 * Filling and checking memory is then a memcpy or memcmp (tens of bytes a
 * cycle), not a generator call or a computed byte per byte. */
#define FUZZ_POOL     (1u << 18)
#define FUZZ_PAT_RUN  (1u << 17) /* bytes of a pattern before it repeats */
#define FUZZ_PAT_OFFS (1u << 16) /* places a pattern can start at */
extern unsigned char fuzz_pool[FUZZ_POOL + 4096];
extern unsigned char fuzz_patpool[FUZZ_PAT_OFFS + FUZZ_PAT_RUN];
extern int fuzz_pools_made;
void fuzz_make_pools(void);

#ifdef FUZZ_VARIANT
#define FUZZ_LOG(...) do { if (fuzz_verbose) { fprintf(stderr, __VA_ARGS__); } } while (0)

/* ---- violations ------------------------------------------------------------- */
/* The operation being run, for the message printed before the trap. */
static unsigned long fuzz_op_index;
static const char *fuzz_op_name = "init";

#if defined(__GNUC__) || defined(__clang__)
__attribute__((noreturn, noinline, cold, unused))
#endif
static void fuzz_fail(const char *file, int line, const char *what)
{
    fprintf(stderr, "%s:%d: violation: %s (operation %lu, %s)\n", file, line, what, fuzz_op_index, fuzz_op_name);
    fflush(stderr);
#if defined(__GNUC__) || defined(__clang__)
    __builtin_trap();
#else
    abort();
#endif
}
#define FUZZ_CHECK(cond, what) do { if (!(cond)) fuzz_fail(__FILE__, __LINE__, (what)); } while (0)

/* ---- when to run the checks ------------------------------------------------- */
/* A harness checks everything after init, at the end of the program, and in
 * between on two schedules: "own", the allocator's own check, and "model",
 * the walk against the model, every live block's bytes, the stats and the
 * guards. Each runs at the interval the input picks (every 1, 4, 16 or 64
 * operations), or later when one run of it costs more than
 * FUZZ_CHECK_BUDGET: cost / FUZZ_CHECK_BUDGET operations later, so that
 * checking adds about that much work per operation at most (units: about an
 * instruction; each harness estimates the cost of a check from the size of
 * what it just checked: poisoned bytes, bitmap words, blocks, objects, live
 * bytes). What needs no walk (the bytes of a block when it is freed or
 * reallocated, every result, every error report, the lock) is checked at
 * every operation. fuzz_changes counts the calls that may have changed the
 * allocator since its own check last passed: the own check of an unchanged
 * allocator is skipped, its answer would be the same. After init only the
 * model check runs (an input of no operations checks that state at its
 * end). At level 4 every call of the allocator runs its own check first:
 * the harness runs it every 64 operations at most.
 *
 * An operation that asks for a check (FUZZ_ASK) gets one unless the last
 * check's cost is not paid off yet: it skips the input's interval but not
 * the budget, so an input cannot make every operation a full check of a
 * huge allocator (AFL++ saved as a hang an input of 130 check operations on
 * a map of 15.7M units: 6 G instructions).
 *
 * A harness's full check, called with FUZZ_INIT, FUZZ_DUE (after each
 * operation), FUZZ_ASK (an operation that asks for one) or FUZZ_END (the
 * end):
 *     if (fuzz_own_due(when)) { run the own check; fuzz_own_done(every, cost); }
 *     if (!fuzz_model_due(when)) return;
 *     ...the model check...; fuzz_model_done(when, every, cost, own_cost);
 * and the operation loop counts fuzz_changes++ after every operation. */
#ifndef FUZZ_CHECK_BUDGET
#define FUZZ_CHECK_BUDGET 2048u /* -DFUZZ_CHECK_BUDGET=0: exactly at the input's intervals */
#endif
enum { FUZZ_INIT, FUZZ_DUE, FUZZ_ASK, FUZZ_END };
/* next: the operation the next check is due at; paid: the operation from
 * which the last check's cost is paid off (FUZZ_ASK). */
typedef struct fuzz_sched { unsigned long next, paid; } fuzz_sched;
static fuzz_sched fuzz_own, fuzz_model;
#if defined(__GNUC__) || defined(__clang__)
__attribute__((unused))
#endif
static unsigned long fuzz_changes;
static inline int fuzz_due(const fuzz_sched *s, int when)
{
    return fuzz_op_index >= (when == FUZZ_ASK ? s->paid : s->next);
}
/* After a check of the given cost, at the interval the input picked. */
static inline void fuzz_done(fuzz_sched *s, unsigned every, size_t cost)
{
    size_t gap = FUZZ_CHECK_BUDGET ? cost / FUZZ_CHECK_BUDGET : 0;
    s->next = fuzz_op_index + (gap > every ? gap : every);
    s->paid = fuzz_op_index + gap;
}
/* Does the allocator's own check run now? (FUZZ_INIT resets the schedules.) */
static inline int fuzz_own_due(int when)
{
    if (when == FUZZ_INIT) {
        fuzz_changes = 1;
        fuzz_own.next = fuzz_model.next = fuzz_own.paid = fuzz_model.paid = 0;
        return 0;
    }
    return fuzz_changes && (when == FUZZ_END || fuzz_due(&fuzz_own, when));
}
/* The own check passed; it cost about `cost`. */
static inline void fuzz_own_done(unsigned every, size_t cost)
{
    fuzz_changes = 0;
#if defined(XALLOC_DEBUG) && XALLOC_DEBUG >= 4
    if (FUZZ_CHECK_BUDGET && every < 64) every = 64;
#endif
    fuzz_done(&fuzz_own, every, cost);
}
static inline int fuzz_model_due(int when) { return when == FUZZ_INIT || when == FUZZ_END || fuzz_due(&fuzz_model, when); }
/* The model check passed; it cost about `cost` (after init: the own check
 * would have cost about own_cost). */
static inline void fuzz_model_done(int when, unsigned every, size_t cost, size_t own_cost)
{
    fuzz_done(&fuzz_model, every, cost);
    if (when == FUZZ_INIT) fuzz_done(&fuzz_own, every, own_cost);
}

/* ---- lock hooks -------------------------------------------------------------- */
/* Every harness reads two bits of lock mode: 0 none, 1 both hooks, 2 lock
 * alone, 3 unlock alone. A lone hook is refused by every init at level 1
 * and up (XALLOC_E_BADARG), whatever else it is given: FUZZ_LONE_LOCK runs
 * the init `call` once with it, checks the refusal (`expect`: the
 * harness's statement that one XALLOC_E_BADARG is due), then drops the
 * hook (`hooks`: the description's hooks) so that the program goes on
 * without it. At level 0 a lone hook is ignored, and the harness's hooks
 * trap if one is called. Needs the harness's S.hooked, S.lock_mode and
 * settle. */
#define FUZZ_LONE_LOCK(call, hooks, expect) do {                                           \
        if (XALLOC_DEBUG >= 1 && S.hooked && (S.lock_mode == 2 || S.lock_mode == 3)) {     \
            FUZZ_CHECK((call) == NULL, "init accepted a lone lock or unlock hook");         \
            expect;                                                                        \
            settle();                                                                      \
            (hooks).lock = (hooks).unlock = NULL;                                          \
            S.lock_mode = 0;                                                               \
        }                                                                                  \
    } while (0)

/* ---- reading the input ------------------------------------------------------ */
/* Bytes past the end read as 0, so every input decodes to a program. */
typedef struct fuzz_in { const uint8_t *p; size_t n; } fuzz_in;
static inline unsigned fuzz_u8(fuzz_in *in)
{
    if (!in->n) return 0;
    in->n--;
    return *in->p++;
}
static inline unsigned fuzz_u16(fuzz_in *in) { unsigned lo = fuzz_u8(in); return lo | fuzz_u8(in) << 8; }
static inline uint32_t fuzz_u32(fuzz_in *in) { uint32_t lo = fuzz_u16(in); return lo | (uint32_t)fuzz_u16(in) << 16; }

/* Fill memory with pseudo-random bytes: allocators must not rely on zeroed
 * memory (o1heap's tests do the same). Copies from fuzz_pool at a place the
 * seed picks; costs a copy of n bytes (callers fill only what the input's
 * configuration uses). */
static inline void fuzz_scribble(unsigned char *p, size_t n, uint32_t seed)
{
    size_t at;
    if (!fuzz_pools_made) fuzz_make_pools();
    at = (size_t)(seed * 2654435761u) % 4096;
    while (n) {
        size_t k = n < FUZZ_POOL ? n : FUZZ_POOL;
        memcpy(p, fuzz_pool + at, k);
        p += k;
        n -= k;
        at = (at + 1237) % 4096;
    }
}

/* Block contents: byte i of the block with id `id` is byte i % FUZZ_PAT_RUN
 * of a window of fuzz_patpool that starts at a place the id picks (65536
 * places, spread by a multiplicative hash: blocks made one after the other
 * get windows far apart). The top bit is always set, so four caller bytes
 * never read as a plausible block header or granule count (detection of an
 * interior pointer is then certain, not just likely); the rest is random,
 * so bytes moved within a block, or copied from another block, differ from
 * the pattern with probability 127/128 each. */
static inline size_t fuzz_pat_at(uint32_t id) { return (size_t)((id * 2654435761u) >> 16); }
static inline void fuzz_fill(unsigned char *p, size_t from, size_t to, uint32_t id)
{
    const unsigned char *pat = fuzz_patpool + fuzz_pat_at(id);
    if (!fuzz_pools_made) fuzz_make_pools();
    while (from < to) {
        size_t i = from % FUZZ_PAT_RUN, k = FUZZ_PAT_RUN - i;
        if (k > to - from) k = to - from;
        memcpy(p + from, pat + i, k);
        from += k;
    }
}
/* Do the n bytes at p still hold the pattern of id? One memcmp per 128 KiB. */
static inline int fuzz_intact(const unsigned char *p, size_t n, uint32_t id)
{
    const unsigned char *pat = fuzz_patpool + fuzz_pat_at(id);
    size_t at = 0;
    if (!fuzz_pools_made) fuzz_make_pools();
    while (at < n) {
        size_t k = n - at < FUZZ_PAT_RUN ? n - at : FUZZ_PAT_RUN;
        if (memcmp(p + at, pat, k) != 0) return 0;
        at += k;
    }
    return 1;
}

/* ---- sanitizers ------------------------------------------------------------- */
/* Under ASan the headers mark everything but the caller's bytes off limits.
 * Misuse tests that overrun a block on purpose write through fuzz_poke (not
 * instrumented), and each run first makes its arenas addressable again. */
#if defined(__SANITIZE_ADDRESS__)
#define FUZZ_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FUZZ_ASAN 1
#endif
#endif
#ifdef FUZZ_ASAN
#include <sanitizer/asan_interface.h>
#define FUZZ_NOSAN __attribute__((no_sanitize_address))
#define fuzz_unpoison(p, n) __asan_unpoison_memory_region((p), (n))
#else
#define FUZZ_NOSAN
#define fuzz_unpoison(p, n) ((void)(p), (void)(n))
#endif
static inline FUZZ_NOSAN void fuzz_poke(unsigned char *p, unsigned char v) { *(volatile unsigned char *)p = v; }
static inline FUZZ_NOSAN unsigned char fuzz_peek(const unsigned char *p) { return *(const volatile unsigned char *)p; }

/* ---- the entry points ------------------------------------------------------- */
/* A variant object: the harness body, compiled with this variant's options. */
int FUZZ_CAT(fuzz_run_, FUZZ_VARIANT)(const uint8_t *data, size_t size);
#define FUZZ_RUN int FUZZ_CAT(fuzz_run_, FUZZ_VARIANT)
#else
/* The dispatcher object: the pools and the entry point. */
int fuzz_verbose;
unsigned char fuzz_pool[FUZZ_POOL + 4096];
unsigned char fuzz_patpool[FUZZ_PAT_OFFS + FUZZ_PAT_RUN];
int fuzz_pools_made;
#if defined(__GNUC__) || defined(__clang__)
__attribute__((constructor))
#endif
void fuzz_make_pools(void)
{
    uint32_t s = 0x2545F491u, i;
    if (fuzz_pools_made) return;
    for (i = 0; i < sizeof fuzz_pool; i++) fuzz_pool[i] = (unsigned char)(fuzz_rand(&s) >> 7);
    for (i = 0; i < sizeof fuzz_patpool; i++) fuzz_patpool[i] = (unsigned char)(0x80u | fuzz_rand(&s) >> 25);
    fuzz_pools_made = 1;
}
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
#define FUZZ_DECL_(k) int fuzz_run_##k(const uint8_t *data, size_t size);
#ifndef FUZZ_ONLY
FUZZ_DECL_(0) FUZZ_DECL_(1) FUZZ_DECL_(2) FUZZ_DECL_(3) FUZZ_DECL_(4) FUZZ_DECL_(5) FUZZ_DECL_(6) FUZZ_DECL_(7)
FUZZ_DECL_(8) FUZZ_DECL_(9) FUZZ_DECL_(10) FUZZ_DECL_(11) FUZZ_DECL_(12) FUZZ_DECL_(13) FUZZ_DECL_(14) FUZZ_DECL_(15)
/* Variants that do not exist are never linked: the table names only the
 * first FUZZ_VARIANTS (at most 16). */
typedef int (*fuzz_run_fn)(const uint8_t *, size_t);
static const fuzz_run_fn fuzz_runs[FUZZ_VARIANTS] = {
    fuzz_run_0
#if FUZZ_VARIANTS > 1
    , fuzz_run_1
#endif
#if FUZZ_VARIANTS > 2
    , fuzz_run_2
#endif
#if FUZZ_VARIANTS > 3
    , fuzz_run_3
#endif
#if FUZZ_VARIANTS > 4
    , fuzz_run_4
#endif
#if FUZZ_VARIANTS > 5
    , fuzz_run_5
#endif
#if FUZZ_VARIANTS > 6
    , fuzz_run_6
#endif
#if FUZZ_VARIANTS > 7
    , fuzz_run_7
#endif
#if FUZZ_VARIANTS > 8
    , fuzz_run_8
#endif
#if FUZZ_VARIANTS > 9
    , fuzz_run_9
#endif
#if FUZZ_VARIANTS > 10
    , fuzz_run_10
#endif
#if FUZZ_VARIANTS > 11
    , fuzz_run_11
#endif
#if FUZZ_VARIANTS > 12
    , fuzz_run_12
#endif
#if FUZZ_VARIANTS > 13
    , fuzz_run_13
#endif
#if FUZZ_VARIANTS > 14
    , fuzz_run_14
#endif
#if FUZZ_VARIANTS > 15
    , fuzz_run_15
#endif
};
#else
int FUZZ_CAT(fuzz_run_, FUZZ_ONLY)(const uint8_t *data, size_t size);
#endif
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned v;
    if (size == 0) return 0;
    v = data[0] % FUZZ_VARIANTS;
#ifdef FUZZ_ONLY
    if (v != FUZZ_ONLY) return 0;
    return FUZZ_CAT(fuzz_run_, FUZZ_ONLY)(data + 1, size - 1);
#else
    return fuzz_runs[v](data + 1, size - 1);
#endif
}
#endif /* FUZZ_VARIANT */
#endif /* XALLOC_FUZZ_H */
