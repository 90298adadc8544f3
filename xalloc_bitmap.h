/* xalloc_bitmap.h - a bitmap allocator of units: page frames, disk blocks,
 * slots, IDs. Fast on maps of billions of units.   v0.1
 * Part of xalloc: drop-in, freestanding allocators in single C headers.
 *
 * WHAT IT IS
 *   Hands out indices, not pointers: one unit, or a run of n contiguous
 *   units at a power-of-two alignment (a 2 MiB huge page is 512 aligned
 *   4 KiB frames), or the units at a given index. Units can be reserved
 *   (BIOS, kernel image, ACPI, MMIO): never handed out, never freed.
 *   One bit per unit plus summary bitmaps (about 1/8 more, see MEMORY)
 *   in a buffer you supply; no pointer into the managed memory, so it
 *   manages memory it cannot touch (physical frames, disk blocks).
 *   No libc, no global state, no recursion; C99/C++11 and later.
 *
 * USE
 *   In exactly one C or C++ file:
 *       #define XALLOC_IMPLEMENTATION
 *       #include "xalloc_bitmap.h"
 *   Everywhere else just #include "xalloc_bitmap.h".
 *
 *       static uint64_t meta[4096];            // xbitmap_meta_size(frames) bytes
 *       xbitmap *b = xbitmap_init(meta, sizeof meta, frames, NULL);
 *       xbitmap_reserve(b, 0, 256);            // the first MiB: BIOS
 *       xbitmap_index f = xbitmap_alloc(b);    // one frame, XBITMAP_NONE if full
 *       xbitmap_index h = xbitmap_alloc_run(b, 512, 512);  // a 2 MiB page
 *       xbitmap_free(b, f, 1);
 *       xbitmap_free(b, h, 512);
 *
 * INDICES
 *   xbitmap_index is the word type: uint64_t where pointers have 64 bits
 *   (maps of up to 2^56 units), uint32_t where they have 32 (up to
 *   2^32 - 1 units), so a 32-bit target never does 64-bit arithmetic.
 *   XBITMAP_NONE (all ones) is never a unit. XBITMAP_WORD_BITS forces 32
 *   or 64 (64 on a 32-bit target needs libgcc's 64-bit shift, multiply
 *   and bit-scan helpers).
 *
 * API (every function takes the map first; cost in brackets: L = levels
 * of a summary tower, max(1, ceil(log64(count / 64))): 3 for 2^22 units,
 * 5 for 2^32, 6 for 2^40; O = orders, floor(log2(count)) + 1; W = bits per
 * word; R = reserved ranges; a "fix-up" is the summary update after a
 * change: O(n/W + O*L) for n units, and for one unit O(o + f*L), o the
 * order of the free block around it and f the orders that flip: O(1) on
 * average, O(O*L) when the unit splits or completes a wide free block)
 *   xbitmap_meta_size(count)          -> bytes of metadata for count units,
 *                                        0 if count is 0 or too large  [O(L*O)]
 *   xbitmap_init(meta, bytes, count, desc) -> map or NULL (NULL meta, count
 *                                        0 or too large, bytes too few,
 *                                        an unknown policy, a lone lock
 *                                        hook at XALLOC_DEBUG >= 1) [O(bytes)]
 *   xbitmap_alloc(b)                  -> one unit: the lowest free one at or
 *                                        after the search start, wrapping
 *                                        around; XBITMAP_NONE if none    [O(L) + fix-up]
 *   xbitmap_alloc_run(b, n, align)    -> first of n free units at a multiple
 *                                        of align (a power of two; 0 = 1),
 *                                        placed by desc.policy           [see SEARCH]
 *   xbitmap_alloc_at(b, index, n)     -> true if [index, index+n) was all
 *                                        free and is now allocated       [O(n/W) + fix-up]
 *   xbitmap_free(b, index, n)         -> frees a run (any run of allocated
 *                                        units: several allocations at once,
 *                                        or part of one); false on misuse [O(n/W) + fix-up]
 *   xbitmap_reserve(b, index, n)      -> units become reserved; each must
 *                                        be free or reserved already
 *                                        [O(n/W + R) + a fix-up per stretch
 *                                        between the ranges it covers]
 *   xbitmap_release(b, index, n)      -> reserved units become free      [O(n/W + R) + fix-up]
 *   xbitmap_state(b, index)           -> XBITMAP_FREE, _USED, _RESERVED,
 *                                        or _OUTSIDE past the end        [O(R) reserved, else O(1)]
 *   xbitmap_stats_get(b, out)         -> counts, largest free run, free runs
 *                                        [O(1) + largest run: the run tree's
 *                                        root, O(log C) plus O(W + log C) per
 *                                        chunk an allocation left stale (see
 *                                        SEARCH); O(count/W) after a fill;
 *                                        without the tree O(L + run/W) per
 *                                        run holding a free aligned block
 *                                        of half the largest order]
 *   xbitmap_check(b)                  -> NULL or the broken invariant
 *                                        [O(count/W * (log W + R))]
 *   xbitmap_walk(b, fn, user)         -> free, used and reserved runs in
 *                                        index order                     [O(count/W + runs)]
 *   xbitmap_dump(b, print, user)      -> counts, free aligned blocks per
 *                                        order, reserved ranges          [O(count/W * log W)]
 *
 * SEARCH (xbitmap_alloc_run; k = floor(log2 n), a = align)
 *   Every fit holds a wholly free aligned block of 2^c units, c = k if
 *   a >= 2^k (the fit starts with it) else k - 1 (it lies inside). The
 *   summaries find the next such block in O(L); the search then checks
 *   the rest of the run, O(n/W), and on failure goes on past the unit that
 *   was in the way. So:
 *   - n a power of two, a == n (a buddy-style request, e.g. 512 at 512),
 *     and n == 1: every block found is a fit: O(L).
 *   - otherwise O(L + n/W) per free run that holds such a block but is
 *     too short (its first such block only: the search goes on past the
 *     run), or (a > 2^k) per block at a position that is not a multiple of
 *     a. Before it, the run tree (DATA STRUCTURES) says whether a free
 *     run of n units exists at all (O(1) if a free aligned block of
 *     2^ceil(log2 n) does): a search that must fail for want of such a
 *     run stops there, in O(log C) (C = count/W^2, the tree's chunks)
 *     plus O(W + log C) per chunk an allocation changed since it was last
 *     measured, amortized over those allocations (SPEED: 40 ns on 2^32
 *     units for one unit longer than the longest free run, where the
 *     search alone took 20 ms; with XBITMAP_RUN_TREE 0 it still does:
 *     18 ms, 2026-12-03, with two fuzzers on the machine's two cores).
 *     One that fails only for the alignment still costs O(r*(L + n/W))
 *     after meeting r runs, at worst all of the map: the price of never
 *     failing while a fit exists.
 *   Placement (desc.policy):
 *   - XBITMAP_FIRST_FIT (default): the lowest fit at or after the search
 *     start (the hint, or a random unit), wrapping around.
 *   - XBITMAP_BEST_FIT: looks at up to XBITMAP_BEST_FIT_TRIES fits, in
 *     first-fit order, and takes the one in the shortest run (a hole
 *     before a wide free area, which keeps wide areas whole). A fit's run
 *     is measured up to max(n, 64 W) units on each side of it; a longer
 *     run counts as that long, and the search goes on from where the
 *     measure stopped, so one long run may supply several of the fits
 *     looked at (a short hole past a run of millions of free units may go
 *     unseen: finding the run's end would cost O(run/W)). Stops early at a
 *     run of exactly n. Cost: that many first-fit searches, plus
 *     O(max(n, 64 W) / W) per fit looked at.
 *   The search start is the next-free hint (a bound below which no unit is
 *     free: allocations move it up, frees and releases down, so first fit
 *     from it is first fit from 0), or, with desc.random, a random unit.
 *   xbitmap_alloc is always first fit from the search start.
 *
 * ERRORS
 *   Reported through desc->hooks.error with the unit index as `ptr` (for
 *   alloc_run's bad arguments: the bad alignment, or the count); the call
 *   then returns false or XBITMAP_NONE and changes nothing.
 *     XALLOC_E_BADARG      n == 0; align not a power of two; n larger
 *                          than the map; reserve over allocated units;
 *                          release of units that are not reserved; more
 *                          than XBITMAP_MAX_RESERVED ranges; bad init
 *     XALLOC_E_FOREIGN     units past the end of the map (free, alloc_at,
 *                          reserve, release)
 *     XALLOC_E_DOUBLE_FREE free of a unit that is free (ptr: the first one)
 *     XALLOC_E_RESERVED    free of a reserved unit (ptr: the first one);
 *                          a range with both reserved and free units
 *                          reports this, whichever comes first
 *     XALLOC_E_CORRUPT     xbitmap_check found a broken invariant
 *   No room is not an error: XBITMAP_NONE (or false from alloc_at) and
 *   stats.failures counts it.
 *
 * CONFIGURATION (define before including; the same in every file)
 *   XBITMAP_WORD_BITS      32 or 64: word and index width (see INDICES)
 *   XBITMAP_MAX_RESERVED   reserved ranges a map can hold (default 16;
 *                          adjacent and overlapping ones merge)
 *   XBITMAP_BEST_FIT_TRIES fits best fit compares (default 8)
 *   XBITMAP_SMALL          1: leave out the fast paths that repeat general
 *                          code (one unit, one summary word, aligned blocks):
 *                          same results, less code, slower one-unit calls
 *                          (default: 1 under -Os, else 0)
 *   XBITMAP_RUN_TREE       0: leave out the run tree (DATA STRUCTURES):
 *                          same results, 2.0 KiB less code and 3 words
 *                          less metadata per W*W units, but a run search
 *                          that must fail, and the largest free run in
 *                          stats, may meet every free run holding a block
 *                          of half the length (18 ms on 2^32 units for
 *                          one unit more than the longest free run, see
 *                          SEARCH): for small maps (firmware) (default 1)
 *   XALLOC_NO_INTROSPECTION  leave out xbitmap_check, xbitmap_walk and
 *                          xbitmap_dump (not declared either; stats and
 *                          state stay); not with XALLOC_DEBUG 4
 *   XALLOC_DEBUG           0..4, see below (default 1)
 *   XALLOC_STATIC, XALLOC_ASSERT, XALLOC_NO_BUILTINS as in every header
 *
 * DEBUG LEVELS (XALLOC_DEBUG)
 *   0  free checks only the bounds: freeing free or reserved units
 *      corrupts the counts
 *   1  free also rejects free and reserved units: O(n/W) for the free
 *      units; for the reserved ones O(R), none while nothing is reserved
 *      (the default)
 *   2, 3  as 1: the allocator hands out no memory to poison or guard
 *   4  + xbitmap_check() on every call that changes the map or allocates
 *      (not state, stats_get or dump)                            [O(meta)]
 *
 * DESCRIPTION (xbitmap_desc; zero or NULL gives the defaults)
 *   hooks        error, lock, unlock, user: as in every xalloc header
 *   policy       XBITMAP_FIRST_FIT (0) or XBITMAP_BEST_FIT
 *   random       NULL: search from the hint; else called once per
 *                allocation for random bits (an xbitmap_index), which pick
 *                the search start (randomized placement, as kernels do for
 *                address-space layout); roughly uniform: a unit is at most
 *                twice as likely as another
 *   random_user  passed to random
 *   start_used   every unit starts allocated (a kernel then frees what
 *                the firmware memory map says is usable); default all free
 *
 * DATA STRUCTURES (W = XBITMAP_WORD_BITS; "free" bit = 1)
 *   bits[]     one bit per unit, 1 = free. Bits past count are 0.
 *   For each order o = 0 .. omax (omax = floor(log2 count)), a summary
 *   bitmap Q[o] of "wholly free aligned blocks of 2^o units":
 *     o <= log2 W: one bit per word of bits[]: the word holds an aligned
 *                  free block of 2^o units (Q[0]: the word has a free unit;
 *                  Q[log2 W]: the word is all free);
 *     o >  log2 W: one bit per aligned block of 2^o units inside the map:
 *                  the block is all free (= both halves' bits in Q[o-1]).
 *   Each Q[o] is the bottom of a tower: level l+1 has a bit per
 *   word of level l, set iff that word is not zero; the top level is one
 *   word. "Next set bit at or after x" climbs until a word has one and
 *   comes down with bit scans: O(L). The levels lie one after the other,
 *   each followed by a zero word (a search may read it); a tower records
 *   its bottom and top only.
 *   ranges[]   the reserved ranges, sorted, merged (no two overlap or
 *              touch), at most XBITMAP_MAX_RESERVED; whether a unit is
 *              reserved is a pass over them (O(R)).
 *   leaves, rt[] the run tree over chunks of W*W units: for each span, the
 *              free units at its start and end and a bound on its longest
 *              free run (its comment, "the run tree", says how it is kept:
 *              an allocation marks one leaf, a free raises what it must).
 *   A change to a word of bits[] changes Q[o] for the orders between the
 *   word's largest free aligned block before and after (one unit: at most
 *   one order, that of the free aligned block around it); a word that
 *   fills or empties changes the block orders above it while blocks stay
 *   whole.
 *
 * INVARIANTS (all checked by xbitmap_check)
 *   - the map record's sizes and pointers and every tower record are as
 *     init laid them out for count, and count agrees with its complement,
 *     kept beside it (checked first: the check reads no word through a
 *     damaged record; the hooks are called as they are);
 *   - bits past count are 0; reserved units are 0 in bits[];
 *   - every Q[o] bit agrees with bits[] (o <= log2 W) or with Q[o-1];
 *   - every tower level agrees with the level below; bits past the end of
 *     a level and the padding words are 0;
 *   - ranges are sorted, inside the map, apart;
 *   - free = popcount(bits[]); reserved = the units in ranges[];
 *     free + reserved <= count; free runs = the runs in bits[];
 *   - no unit below the hint is free;
 *   - the run tree (XBITMAP_RUN_TREE 1): a leaf not stale holds its
 *     chunk's longest free run, a stale one at least that (at most a
 *     chunk); each node at least the combination of its halves (so at
 *     least the truth for its span).
 *
 * MEMORY (xbitmap_meta_size; W = 64)
 *   count/8 bytes of bits; one 8-word group per W words of bits for the
 *   per-word orders (1/8 of the bits at W = 64, 1/4 at W = 32);
 *   count/W bits for the block orders; 1/63 more for the levels above; the
 *   map record with one tower record per order (about 1 KiB); the run
 *   tree, 3 words per node above the chunks of W*W units (about 3 words
 *   per chunk: 3/64 bit per unit at W = 64, 3/32 at W = 32; none
 *   with XBITMAP_RUN_TREE 0); up
 *   to 70 bytes of alignment.
 *     units        bytes          bits per unit
 *     1,000        1,286          10.3   (the record dominates)
 *     65,536       11,310         1.38
 *     2^22         625,646        1.193  (16 GiB of 4 KiB frames)
 *     2^32         638,602,318    1.189
 *   At W = 32: about 1.39 bits per unit. A smaller
 *   XBITMAP_MAX_RESERVED shrinks the record (16 bytes per range at W = 64).
 *
 * SPEED (bench/bench_bitmap.c, `make bench`; gcc -O2, XALLOC_DEBUG=1, one
 * core of a 2-core AMD EPYC VM shared with other jobs; ns per call: the
 * median over 5 runs of the benchmark, each the median of 5, and the range)
 *   A map of 2^22 units, half of it used by random single units and short
 *   runs, one aligned 512-unit window in eight wholly free:
 *     one unit (first fit from the hint):   alloc 8.3 (8.2-9.0), free 8.0 (7.5-8.1)
 *     one unit from a random start:         alloc 31 (30-31),    free 15 (15-16)
 *     512 units at 512:                     alloc 44 (44-45),    free 50 (50-51)
 *   (2026-12-02, 5 calls alternated with the version before the run
 *   tree: 7.3 / 5.7, 29 / 12 and 42 / 39: the tree's upkeep costs about
 *   1 ns per one-unit alloc, 2 per free and 11 per 512-unit free.)
 *   The same pattern over 2^32 units (609 MiB of metadata, so most calls
 *   miss the caches): one unit: alloc 8.3, free 7.9; 512 units at 512:
 *   alloc 153, free 363; failing searches (512 at 512, 1024 at 1 and 513
 *   at 1 with no free window left, 65536 at 65536, and one unit longer
 *   than the longest free run, also with a one-unit alloc and free
 *   elsewhere before each): 40 ns. Without the run tree the last took
 *   20 ms (the search met every free run holding a 2^11 block).
 *   A one-unit call finds the one per-word order that can change without
 *   walking up the orders (xbitmap__order_at), and a free then updates
 *   one summary word; the walk cost a branch per order, mispredicted about
 *   once in two frees (valgrind --branch-sim), 4-5 ns of the 10-12.
 *   Rerun: make bench (BENCH_QUICK=1: 2^28 units; BENCH_RUNS=n;
 *   BENCH_MAPS=small or big: one map only).
 *
 * CODE SIZE (arm-none-eabi-gcc -Os -mthumb -mcpu=cortex-m4
 * -ffunction-sections, XALLOC_DEBUG=0; tools/size.sh, `make size`)
 *   -Os (XBITMAP_SMALL 1): everything 8.8 KiB (9,016 bytes); what a
 *   program calling init, alloc, alloc_run and free links in
 *   (--gc-sections): 4.9 KiB (5,029). With XBITMAP_SMALL 0: everything
 *   10.2 KiB (10,412). With XALLOC_NO_INTROSPECTION: everything 5.8 KiB
 *   (5,903). With XBITMAP_RUN_TREE 0: everything 6.8 KiB (6,923), the
 *   program 3.2 KiB (3,249), the smallest build. Roughly: summary upkeep
 *   1.1 KiB, the run tree 2.0 KiB (its upkeep in every change, the proof
 *   walk, its check), search (runs and, under XBITMAP_SMALL, one unit)
 *   1.1 KiB, reserved ranges 0.6 KiB, set-up 0.6 KiB, stats 0.2 KiB,
 *   check/walk/dump 2.5 KiB (with their texts), the texts of errors 0.3
 *   KiB.
 *   XBITMAP_SMALL 1 costs speed (same machine as SPEED, -O2, 2^22 units,
 *   ranges over runs): one unit alloc about 50 ns (48-53) and free 40
 *   (39-41), 7 and 6.5 times slower: one unit is a run of one, and every
 *   per-word order of its word is recomputed; 512-unit runs about 100 ns
 *   (97-105) each way (2.4 times).
 *
 * THREADS
 *   A map is not thread-safe by itself; set desc.hooks.lock/unlock (for
 *   example to xalloc_spin_lock/xalloc_spin_unlock) to serialise calls.
 *
 * LICENSE: MIT or public domain (Unlicense), at the end of this file.
 */
#ifndef XALLOC_BITMAP_H
#define XALLOC_BITMAP_H

/* ==== xalloc common prelude v2 (identical in every xalloc header; `make check-prelude`) ==== */
#ifndef XALLOC_COMMON_PRELUDE_V2
#define XALLOC_COMMON_PRELUDE_V2
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <limits.h>

/* XALLOC_STATIC: every public function of every xalloc header in this
 * translation unit becomes `static` (define it before the first include). */
#if defined(__GNUC__) || defined(__clang__)
#define XALLOC_UNUSED __attribute__((unused))
#else
#define XALLOC_UNUSED
#endif
#ifndef XALLOC_DEF
#ifdef XALLOC_STATIC
#define XALLOC_DEF static XALLOC_UNUSED
#else
#define XALLOC_DEF extern
#endif
#endif

/* Assertions guard internal invariants only (never user input, which is
 * reported through the error hook). Off unless the user supplies one. */
#ifndef XALLOC_ASSERT
#define XALLOC_ASSERT(x) ((void)0)
#endif

/* Debug level, shared by every header (0..4). Each header documents what
 * each level adds for it; the common meaning is:
 *   0  no checks at all (trust the caller)
 *   1  cheap O(1) checks on free: double free, foreign pointer, broken
 *      back-links; init refuses a lone lock or unlock hook (the default)
 *   2  + poisoning: freed memory is filled and checked when handed out again
 *   3  + canaries / red zones after each block, checked on free
 *   4  + the full structural check on every public call (slow) */
#ifndef XALLOC_DEBUG
#define XALLOC_DEBUG 1
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* What went wrong, as passed to the error hook. XALLOC_OK is never passed. */
typedef enum xalloc_error {
    XALLOC_OK = 0,
    XALLOC_E_BADARG,        /* bad argument: size, count, alignment, region  */
    XALLOC_E_FOREIGN,       /* pointer outside everything this allocator owns */
    XALLOC_E_NOT_BLOCK,     /* inside the allocator, but not a block's start */
    XALLOC_E_DOUBLE_FREE,   /* the block is already free                     */
    XALLOC_E_CORRUPT,       /* metadata damaged (header, back-link, list)     */
    XALLOC_E_OVERRUN,       /* canary or red zone after a block overwritten   */
    XALLOC_E_USE_AFTER_FREE,/* poison in freed memory overwritten             */
    XALLOC_E_RESERVED,      /* free of reserved memory                        */
    XALLOC_E_SIZE_MISMATCH, /* size given to free does not match the block    */
    XALLOC_E_COUNT
} xalloc_error;

/* Error hook: `ptr` is the offending pointer (or address/index cast to a
 * pointer-sized integer where the header hands out no pointers), `what` a
 * short static text. The call that reported the error returns its failure
 * value and leaves the allocator unchanged. */
typedef void (*xalloc_error_fn)(void *user, xalloc_error err, uintptr_t ptr, const char *what);
/* Lock hook: called with `user` on entry to and exit from every public call. */
typedef void (*xalloc_lock_fn)(void *user);
/* Print hook for the dump functions: one NUL-terminated line per call,
 * newline included. */
typedef void (*xalloc_print_fn)(void *user, const char *line);

/* Hooks every allocator takes in its description; all may be NULL. */
typedef struct xalloc_hooks {
    xalloc_error_fn error;  /* misuse reports (NULL: not reported)          */
    xalloc_lock_fn  lock;   /* both or neither: lock around every call      */
    xalloc_lock_fn  unlock; /* (one alone: init fails, XALLOC_E_BADARG, at
                               XALLOC_DEBUG >= 1; ignored at level 0)      */
    void           *user;   /* passed to all three                          */
} xalloc_hooks;

static inline const char *xalloc_error_name(xalloc_error e)
{
    switch (e) {
    case XALLOC_OK:               return "ok";
    case XALLOC_E_BADARG:         return "bad argument";
    case XALLOC_E_FOREIGN:        return "foreign pointer";
    case XALLOC_E_NOT_BLOCK:      return "not the start of a block";
    case XALLOC_E_DOUBLE_FREE:    return "double free";
    case XALLOC_E_CORRUPT:        return "corrupt metadata";
    case XALLOC_E_OVERRUN:        return "overrun";
    case XALLOC_E_USE_AFTER_FREE: return "write after free";
    case XALLOC_E_RESERVED:       return "reserved memory";
    case XALLOC_E_SIZE_MISMATCH:  return "size mismatch";
    case XALLOC_E_COUNT:          break;
    }
    return "unknown";
}

/* A ready-made spinlock for the lock hooks, on compiler atomics (gcc and
 * clang builtins). Point hooks.user at an xalloc_spinlock initialised to 0.
 * Needs hardware atomics: on Cortex-M0 (no LDREX/STREX) use a hook that
 * masks interrupts instead. */
typedef struct xalloc_spinlock { volatile int word; } xalloc_spinlock;
#if defined(__GNUC__) || defined(__clang__)
static inline void xalloc_spin_lock(void *lock)
{
    xalloc_spinlock *l = (xalloc_spinlock *)lock;
    while (__atomic_exchange_n(&l->word, 1, __ATOMIC_ACQUIRE))
        while (__atomic_load_n(&l->word, __ATOMIC_RELAXED)) { }
}
static inline void xalloc_spin_unlock(void *lock)
{
    __atomic_store_n(&((xalloc_spinlock *)lock)->word, 0, __ATOMIC_RELEASE);
}
#endif

#ifdef __cplusplus
}
#endif
#endif /* XALLOC_COMMON_PRELUDE_V2 */
/* ==== end of xalloc common prelude v2 ==== */

/* ---- configuration ------------------------------------------------------ */
#ifndef XBITMAP_WORD_BITS
#if UINTPTR_MAX > 0xFFFFFFFFu
#define XBITMAP_WORD_BITS 64
#else
#define XBITMAP_WORD_BITS 32
#endif
#endif
#ifndef XBITMAP_MAX_RESERVED
#define XBITMAP_MAX_RESERVED 16
#endif
#ifndef XBITMAP_BEST_FIT_TRIES
#define XBITMAP_BEST_FIT_TRIES 8
#endif
/* 1: only the general code paths (no separate fast paths for one unit,
 * for updates inside one summary word, for aligned blocks): the same
 * results from less code. Default: 1 when compiling for size (-Os). */
#ifndef XBITMAP_SMALL
#ifdef __OPTIMIZE_SIZE__
#define XBITMAP_SMALL 1
#else
#define XBITMAP_SMALL 0
#endif
#endif

/* 1: the run tree (DATA STRUCTURES), which bounds a run search that must
 * fail. 0: no tree: less code and metadata, the same results; a failing
 * search then meets every free run holding a block of half its size. */
#ifndef XBITMAP_RUN_TREE
#define XBITMAP_RUN_TREE 1
#endif

#if XBITMAP_WORD_BITS == 64
typedef uint64_t xbitmap_index;
#define XBITMAP_MAX_COUNT ((xbitmap_index)1 << 56)
#elif XBITMAP_WORD_BITS == 32
typedef uint32_t xbitmap_index;
#define XBITMAP_MAX_COUNT ((xbitmap_index)0xFFFFFFFFu)
#else
#error "XBITMAP_WORD_BITS must be 32 or 64"
#endif
/* Returned when nothing was allocated; never a unit. */
#define XBITMAP_NONE ((xbitmap_index) ~(xbitmap_index)0)

#ifdef __cplusplus
extern "C" {
#endif

typedef struct xbitmap xbitmap; /* lives at the start of the metadata buffer */

typedef enum xbitmap_policy {
    XBITMAP_FIRST_FIT = 0, /* lowest fit from the search start             */
    XBITMAP_BEST_FIT  = 1  /* smallest free aligned block among a few fits  */
} xbitmap_policy;

typedef enum xbitmap_kind {
    XBITMAP_FREE = 0,
    XBITMAP_USED = 1,
    XBITMAP_RESERVED = 2,
    XBITMAP_OUTSIDE = 3 /* xbitmap_state of an index past the end */
} xbitmap_kind;

/* Random bits for randomized placement (desc.random). */
typedef xbitmap_index (*xbitmap_random_fn)(void *user);

/* Description for xbitmap_init; zero (or NULL) means defaults. */
typedef struct xbitmap_desc {
    xalloc_hooks      hooks;       /* error, lock, unlock, user               */
    xbitmap_policy    policy;      /* placement of runs (alloc_run)           */
    xbitmap_random_fn random;      /* NULL: search from the next-free hint    */
    void             *random_user; /* passed to random                        */
    bool              start_used;  /* every unit starts allocated             */
} xbitmap_desc;

typedef struct xbitmap_stats {
    xbitmap_index total;           /* units in the map                        */
    xbitmap_index free, used, reserved; /* add up to total                   */
    xbitmap_index largest_free;    /* longest run of free units               */
    xbitmap_index free_runs;       /* maximal runs of free units: 1 = one
                                      hole, high = fragmented                 */
    xbitmap_index reserved_ranges;
    uint64_t      allocs, frees, failures; /* successful alloc and free
                                      calls; allocations that found no room   */
    size_t        meta_bytes;      /* xbitmap_meta_size(total)                */
} xbitmap_stats;

/* Walk callback: one call per maximal run of units of one kind, in index
 * order (used runs join adjacent allocations: the map does not record
 * where one ends). Return false to stop. Do not change the map meanwhile. */
typedef bool (*xbitmap_walk_fn)(void *user, xbitmap_index start, xbitmap_index count, xbitmap_kind kind);

XALLOC_DEF size_t        xbitmap_meta_size(xbitmap_index count);
XALLOC_DEF xbitmap      *xbitmap_init(void *meta, size_t meta_bytes, xbitmap_index count, const xbitmap_desc *desc);
XALLOC_DEF xbitmap_index xbitmap_alloc(xbitmap *b);
XALLOC_DEF xbitmap_index xbitmap_alloc_run(xbitmap *b, xbitmap_index n, xbitmap_index align);
XALLOC_DEF bool          xbitmap_alloc_at(xbitmap *b, xbitmap_index index, xbitmap_index n);
XALLOC_DEF bool          xbitmap_free(xbitmap *b, xbitmap_index index, xbitmap_index n);
XALLOC_DEF bool          xbitmap_reserve(xbitmap *b, xbitmap_index index, xbitmap_index n);
XALLOC_DEF bool          xbitmap_release(xbitmap *b, xbitmap_index index, xbitmap_index n);
XALLOC_DEF xbitmap_kind  xbitmap_state(xbitmap *b, xbitmap_index index);
XALLOC_DEF void          xbitmap_stats_get(xbitmap *b, xbitmap_stats *out);
#ifndef XALLOC_NO_INTROSPECTION
/* NULL when every invariant holds, else a static text naming the first one
 * that broke (also reported through the error hook as XALLOC_E_CORRUPT). */
XALLOC_DEF const char   *xbitmap_check(xbitmap *b);
XALLOC_DEF void          xbitmap_walk(xbitmap *b, xbitmap_walk_fn fn, void *user);
XALLOC_DEF void          xbitmap_dump(xbitmap *b, xalloc_print_fn print, void *user);
#endif

#ifdef __cplusplus
}
#endif
#endif /* XALLOC_BITMAP_H */

/* ========================================================================= */
/*                              IMPLEMENTATION                               */
/* ========================================================================= */
#if defined(XALLOC_IMPLEMENTATION) && !defined(XALLOC_BITMAP_IMPLEMENTED)
#define XALLOC_BITMAP_IMPLEMENTED

/* ==== xalloc common implementation prelude v3 (identical in every xalloc header) ==== */
#ifndef XALLOC_COMMON_IMPL_V3
#define XALLOC_COMMON_IMPL_V3
/* Private helpers shared by the headers: bit scans, byte fills and copies,
 * a division that never calls libgcc, and a line builder for the dumps.
 * All are `static`, so two headers' implementations in one program, in one
 * or in several translation units, never clash. */
#define XALLOC__PRIV static XALLOC_UNUSED

/* Bit-scan builtins only where the target has the instruction: elsewhere
 * (Cortex-M0, RISC-V without Zbb) they become libgcc calls. */
#if (defined(__GNUC__) || defined(__clang__)) && !defined(XALLOC_NO_BUILTINS) && \
    !(defined(__arm__) && !defined(__ARM_FEATURE_CLZ)) && !(defined(__riscv) && !defined(__riscv_zbb))
#define XALLOC__HAVE_CLZ 1
#endif
#if (defined(__GNUC__) || defined(__clang__)) && !defined(XALLOC_NO_BUILTINS)
#define XALLOC__LIKELY(x)   __builtin_expect(!!(x), 1)
#define XALLOC__UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define XALLOC__LIKELY(x)   (x)
#define XALLOC__UNLIKELY(x) (x)
#endif

/* Lock hooks come in pairs. At XALLOC_DEBUG >= 1 every init refuses a
 * description (a hooks struct k) with one of lock and unlock but not the
 * other: XALLOC_E_BADARG, nothing written. A lone lock would be taken and
 * never released; dropping it would run unlocked where the caller meant
 * to lock. At level 0 a lone hook is ignored: neither is called. */
#if XALLOC_DEBUG >= 1
#define XALLOC__LONE_LOCK(k) (((k).lock == NULL) != ((k).unlock == NULL))
#else
#define XALLOC__LONE_LOCK(k) false
#endif
#define XALLOC__LONE_LOCK_TEXT "lone lock or unlock hook"

/* Every init ends its copy of the hooks (field by field: a struct
 * assignment may become a memcpy call) with this: a lone lock, which level
 * 0 lets through, is dropped, and every call tests lock alone before
 * calling either hook (a lone unlock is then never called either). */
XALLOC__PRIV void xalloc__pair_hooks(xalloc_hooks *k)
{
    if (!k->unlock) k->lock = NULL;
}

/* Index of the lowest set bit; x != 0. One or two instructions with
 * builtins, a multiply and a table lookup without. (One whole definition
 * per case, so that no function holds code another target compiles.) */
#if defined(XALLOC__HAVE_CLZ) && defined(__arm__)
XALLOC__PRIV unsigned xalloc__ctz32(uint32_t x) { return 31u - (unsigned)__builtin_clz(x & (0u - x)); }
#elif defined(XALLOC__HAVE_CLZ)
XALLOC__PRIV unsigned xalloc__ctz32(uint32_t x) { return (unsigned)__builtin_ctz(x); }
#else
XALLOC__PRIV unsigned xalloc__ctz32(uint32_t x)
{
    static const unsigned char debruijn[32] = {
        0, 1, 28, 2, 29, 14, 24, 3, 30, 22, 20, 15, 25, 17, 4, 8,
        31, 27, 13, 23, 21, 19, 16, 7, 26, 12, 18, 6, 11, 5, 10, 9 };
    return debruijn[(uint32_t)((x & (0u - x)) * 0x077CB531u) >> 27];
}
#endif

/* Index of the highest set bit (floor of log2); x != 0. */
#if defined(XALLOC__HAVE_CLZ)
XALLOC__PRIV unsigned xalloc__log2_32(uint32_t x) { return 31u - (unsigned)__builtin_clz(x); }
#else
XALLOC__PRIV unsigned xalloc__log2_32(uint32_t x)
{
    unsigned r = 0;
    if (x >> 16) { x >>= 16; r += 16; }
    if (x >> 8)  { x >>= 8;  r += 8; }
    if (x >> 4)  { x >>= 4;  r += 4; }
    if (x >> 2)  { x >>= 2;  r += 2; }
    return r + (unsigned)(x >> 1);
}
#endif

XALLOC__PRIV unsigned xalloc__ctz64(uint64_t x)
{
    return (uint32_t)x ? xalloc__ctz32((uint32_t)x) : 32u + xalloc__ctz32((uint32_t)(x >> 32));
}

XALLOC__PRIV unsigned xalloc__log2_64(uint64_t x)
{
    return (x >> 32) ? 32u + xalloc__log2_32((uint32_t)(x >> 32)) : xalloc__log2_32((uint32_t)x);
}

/* Sanitizer hooks. Under AddressSanitizer (detected) and valgrind memcheck
 * (XALLOC_VALGRIND=1, needs <valgrind/memcheck.h>), an allocator tells the
 * tool which bytes of the caller's memory a program may touch, so that an
 * overflow or a use after free inside a region is caught as it would be
 * with malloc. Elsewhere they compile to nothing.
 *   XALLOC__POOL_CREATE(pool)       at init (pool: the handle)
 *   XALLOC__ON_ALLOC(pool, p, n)    p..p+n handed to the caller
 *   XALLOC__ON_RESIZE(pool, p, n)   the block at p now has n bytes (in place)
 *   XALLOC__ON_FREE(pool, p)        the block at p taken back
 *   XALLOC__HIDE(p, n)              p..p+n off limits (free memory, slack)
 *   XALLOC__SHOW(p, n)              p..p+n addressable again
 * The allocator's own reads and writes of hidden memory go through
 * functions marked XALLOC__NOSAN (not instrumented by ASan), bracketed by
 * XALLOC__QUIET_BEGIN/END (valgrind error reporting off), so they neither
 * trip the tool nor change what is hidden; XALLOC__LAUNDER(v) tells
 * valgrind a value so read is the allocator's own, defined. XALLOC__SANITIZING is defined
 * when either tool is in use. */
#if defined(__SANITIZE_ADDRESS__)
#define XALLOC__ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define XALLOC__ASAN 1
#endif
#endif
#ifdef XALLOC__ASAN
#ifdef __cplusplus
extern "C" {
#endif
void __asan_poison_memory_region(void const volatile *addr, size_t size);
void __asan_unpoison_memory_region(void const volatile *addr, size_t size);
#ifdef __cplusplus
}
#endif
#define XALLOC__SANITIZING 1
#define XALLOC__NOSAN __attribute__((no_sanitize_address))
#define XALLOC__ASAN_HIDE(p, n) __asan_poison_memory_region((p), (n))
#define XALLOC__ASAN_SHOW(p, n) __asan_unpoison_memory_region((p), (n))
#else
#define XALLOC__NOSAN
#define XALLOC__ASAN_HIDE(p, n) ((void)0)
#define XALLOC__ASAN_SHOW(p, n) ((void)0)
#endif
#if defined(XALLOC_VALGRIND) && XALLOC_VALGRIND
#include <valgrind/memcheck.h>
#define XALLOC__SANITIZING 1
#define XALLOC__POOL_CREATE(pool)    do { if (VALGRIND_MEMPOOL_EXISTS(pool)) VALGRIND_DESTROY_MEMPOOL(pool); \
                                          VALGRIND_CREATE_MEMPOOL((pool), 0, 0); } while (0)
#define XALLOC__VG_ALLOC(pool, p, n) VALGRIND_MEMPOOL_ALLOC((pool), (p), (n))
#define XALLOC__VG_FREE(pool, p)     VALGRIND_MEMPOOL_FREE((pool), (p))
#define XALLOC__VG_RESIZE(pool, p, n) do { VALGRIND_MEMPOOL_CHANGE((pool), (p), (p), (n)); \
                                           VALGRIND_MAKE_MEM_DEFINED((p), (n)); } while (0)
#define XALLOC__VG_HIDE(p, n)        VALGRIND_MAKE_MEM_NOACCESS((p), (n))
#define XALLOC__VG_SHOW(p, n)        VALGRIND_MAKE_MEM_DEFINED((p), (n))
#define XALLOC__QUIET_BEGIN          VALGRIND_DISABLE_ERROR_REPORTING
#define XALLOC__QUIET_END            VALGRIND_ENABLE_ERROR_REPORTING
#define XALLOC__LAUNDER(v)           VALGRIND_MAKE_MEM_DEFINED(&(v), sizeof(v))
#else
#define XALLOC__POOL_CREATE(pool)    ((void)0)
#define XALLOC__VG_ALLOC(pool, p, n) ((void)0)
#define XALLOC__VG_FREE(pool, p)     ((void)0)
#define XALLOC__VG_RESIZE(pool, p, n) ((void)0)
#define XALLOC__VG_HIDE(p, n)        ((void)0)
#define XALLOC__VG_SHOW(p, n)        ((void)0)
#define XALLOC__QUIET_BEGIN          ((void)0)
#define XALLOC__QUIET_END            ((void)0)
#define XALLOC__LAUNDER(v)           ((void)0)
#endif
#define XALLOC__ON_ALLOC(pool, p, n) do { XALLOC__ASAN_SHOW((p), (n)); XALLOC__VG_ALLOC((pool), (p), (n)); } while (0)
#define XALLOC__ON_RESIZE(pool, p, n) do { XALLOC__ASAN_SHOW((p), (n)); XALLOC__VG_RESIZE((pool), (p), (n)); } while (0)
#define XALLOC__ON_FREE(pool, p)     XALLOC__VG_FREE((pool), (p))
#define XALLOC__HIDE(p, n)           do { XALLOC__ASAN_HIDE((p), (n)); XALLOC__VG_HIDE((p), (n)); } while (0)
#define XALLOC__SHOW(p, n)           do { XALLOC__ASAN_SHOW((p), (n)); XALLOC__VG_SHOW((p), (n)); } while (0)

/* Byte fill and copy. A platform may supply its own (XALLOC_MEMSET,
 * XALLOC_MEMCPY, with the libc signatures); the fallbacks are plain loops,
 * which a hosted -O2 build may itself turn into memset/memcpy calls. */
#ifndef XALLOC_MEMSET
#define XALLOC_MEMSET(d, c, n) xalloc__memset((d), (c), (n))
XALLOC__PRIV void *xalloc__memset(void *dst, int c, size_t n)
{
    unsigned char *d = (unsigned char *)dst;
    while (n--) *d++ = (unsigned char)c;
    return dst;
}
#endif
#ifndef XALLOC_MEMCPY
#define XALLOC_MEMCPY(d, s, n) xalloc__memcpy((d), (s), (n))
XALLOC__PRIV void *xalloc__memcpy(void *dst, const void *src, size_t n)
{
    unsigned char *d = (unsigned char *)dst;
    const unsigned char *s = (const unsigned char *)src;
    while (n--) *d++ = *s++;
    return dst;
}
#endif

/* n / d by shift and subtract, with shifts by constants only, so that no
 * 32-bit target needs a libgcc helper. Off the hot paths (dumps). d != 0. */
XALLOC__PRIV uint64_t xalloc__divmod64(uint64_t n, uint64_t d, uint64_t *rem)
{
    uint64_t q = 0, r = 0;
    int i;
    for (i = 0; i < 64; i++) {
        r = (r << 1) | (n >> 63);
        n <<= 1;
        q <<= 1;
        if (r >= d) { r -= d; q |= 1u; }
    }
    if (rem) *rem = r;
    return q;
}
#define xalloc__div64(n, d) xalloc__divmod64((n), (d), NULL)

/* n / 10 and n % 10 by shifts and adds (Hacker's Delight's divu10
 * widened to 64 bits): about 15 operations where divmod64 takes 64 rounds;
 * the estimate is low by at most one ten, which one step corrects. No
 * 64-bit multiply or division for a compiler to rebuild: clang turns a
 * correcting loop back into a division, and q * 10 in 64 bits into a
 * multiply, both libgcc calls on 32-bit targets (on Cortex-M0 at least).
 * For the decimal digits of the dumps. */
XALLOC__PRIV uint64_t xalloc__divmod10(uint64_t n, uint32_t *rem)
{
    uint64_t q = (n >> 1) + (n >> 2);
    uint32_t r;
    q += q >> 4;
    q += q >> 8;
    q += q >> 16;
    q += q >> 32;
    q >>= 3;
    r = (uint32_t)n - (uint32_t)q * 10u; /* n - 10q < 20: its low 32 bits are all of it */
    if (r > 9) { q++; r -= 10; }
    *rem = r;
    return q;
}

/* A line of dump output, built without printf. */
typedef struct xalloc__line { char buf[192]; unsigned len; } xalloc__line;

/* Append c unless the line is full: the last two bytes of buf stay for
 * put_end's "\n\0", so a line too long is cut, never overflowed. Every
 * put_* appends through here. */
XALLOC__PRIV void xalloc__put_c(xalloc__line *l, char c)
{
    if (l->len < sizeof l->buf - 2) l->buf[l->len++] = c;
}

XALLOC__PRIV void xalloc__put_str(xalloc__line *l, const char *s)
{
    while (*s) xalloc__put_c(l, *s++);
}

/* Decimal, through xalloc__divmod10 (a 64-bit division on a 32-bit target
 * would otherwise call a libgcc helper). */
XALLOC__PRIV void xalloc__put_u(xalloc__line *l, uint64_t v)
{
    char digits[20];
    unsigned n = 0;
    do {
        uint32_t r;
        v = xalloc__divmod10(v, &r);
        digits[n++] = (char)('0' + (int)r);
    } while (v);
    while (n) xalloc__put_c(l, digits[--n]);
}

/* Hexadecimal without leading zeros ("0x0" for 0), a 32-bit half at a
 * time: a variable shift of a 64-bit value is a libgcc call on 32-bit
 * targets. */
XALLOC__PRIV void xalloc__put_hex(xalloc__line *l, uint64_t v)
{
    uint32_t half[2];
    int i = 0, shift = 28;
    half[0] = (uint32_t)(v >> 32);
    half[1] = (uint32_t)v;
    xalloc__put_str(l, "0x");
    if (!half[0]) i = 1;
    while (shift > 0 && !(half[i] >> shift)) shift -= 4;
    for (; i < 2; i++, shift = 28)
        for (; shift >= 0; shift -= 4) xalloc__put_c(l, "0123456789abcdef"[(half[i] >> shift) & 0xFu]);
}

/* Percentage with one decimal, num/den (den may be 0). */
XALLOC__PRIV void xalloc__put_pct(xalloc__line *l, uint64_t num, uint64_t den)
{
    /* scale down so that num * 1000 is a 32-bit multiply (no libgcc call) */
    uint64_t t;
    uint32_t frac;
    while (num >> 22) { num >>= 1; den >>= 1; }
    t = den ? xalloc__div64((uint64_t)((uint32_t)num * 1000u), den) : 0;
    xalloc__put_u(l, xalloc__divmod10(t, &frac));
    xalloc__put_str(l, ".");
    xalloc__put_u(l, frac);
    xalloc__put_str(l, "%");
}

XALLOC__PRIV void xalloc__put_end(xalloc__line *l, xalloc_print_fn print, void *user)
{
    l->buf[l->len++] = '\n';
    l->buf[l->len] = '\0';
    print(user, l->buf);
    l->len = 0;
}
#endif /* XALLOC_COMMON_IMPL_V3 */
/* ==== end of xalloc common implementation prelude v3 ==== */

#ifdef __cplusplus
extern "C" {
#endif

/* ---- private constants (tunables are in the configuration section) ------- */
typedef xbitmap_index xbitmap__word;            /* words are as wide as indices */
#define XBITMAP__W    XBITMAP_WORD_BITS
#define XBITMAP__LW   (XBITMAP__W == 64 ? 6u : 5u)   /* log2 W                 */
#define XBITMAP__M    ((xbitmap_index)(XBITMAP__W - 1))
#define XBITMAP__ALL  ((xbitmap__word) ~(xbitmap__word)0)
#define XBITMAP__NONE XBITMAP_NONE
/* Levels a tower can have at XBITMAP_MAX_COUNT: 10 at W = 64 (2^56 bits,
 * a W-th of them per level up, to one word), 7 at W = 32. */
#define XBITMAP__MAXLEV (XBITMAP__W == 64 ? 10 : 7)
#define XBITMAP__BIT(x) ((xbitmap__word)1 << ((x) & XBITMAP__M))
/* words holding nb bits */
#define XBITMAP__NW(nb) (((nb) >> XBITMAP__LW) + (((nb) & XBITMAP__M) != 0))

#if (defined(__GNUC__) || defined(__clang__)) && !defined(__OPTIMIZE_SIZE__)
#define XBITMAP__HOT static inline __attribute__((always_inline))
/* the rare paths of the one-unit calls, kept out of line so that those
 * calls stay small (fewer registers to save) */
#define XBITMAP__COLD static __attribute__((noinline, cold))
#else
#define XBITMAP__HOT static inline
#define XBITMAP__COLD static
#endif

typedef char xbitmap__assert_res[(XBITMAP_MAX_RESERVED >= 1 && XBITMAP_MAX_RESERVED <= 65535) ? 1 : -1];
typedef char xbitmap__assert_tries[(XBITMAP_BEST_FIT_TRIES >= 1 && XBITMAP_BEST_FIT_TRIES <= 65535) ? 1 : -1];

/* A summary bitmap and the levels above it. Level 0 has n0 bits, word j
 * at base[j << sh]: the per-word orders, which all have a bit per word of
 * bits[], share their level 0 as one array of 8-word groups (group j holds
 * word j of each, order o in slot o, the rest unused: one cache line per
 * update at W = 64); the block
 * orders' level 0 is plain (sh 0). Level l+1 has one bit per word of level
 * l, set iff that word is not 0; level 1 is at up, and each level above
 * follows the one below it in memory. Every level (and the group array)
 * ends with a zero word or group, which a search may read. The top level,
 * one word, is at top. */
typedef struct xbitmap__tower {
    xbitmap__word *base, *up, *top;
    xbitmap_index  n0;
    unsigned       nlev, sh;
} xbitmap__tower;
#define XBITMAP__L0(t, j) ((t)->base[(xbitmap_index)(j) << (t)->sh])
/* where level l + 1 starts, level l being at p with nb bits */
#define XBITMAP__LNEXT(t, l, p, nb) ((l) == 0 ? (t)->up : (p) + XBITMAP__NW(nb) + 1)
#define XBITMAP__GROUP 8u /* words per group */

typedef struct xbitmap__range { xbitmap_index start, end; } xbitmap__range; /* [start, end) */
/* Append [s, e) to out[0 .. *m), ranges in order of start, merging it
 * with the last one if they overlap or touch; nothing if it is empty.
 * Field by field: a struct assignment may become a memcpy call. */
static void xbitmap__emit(xbitmap__range *out, unsigned *m, xbitmap_index s, xbitmap_index e)
{
    if (s >= e) return;
    if (*m && out[*m - 1].end >= s) {
        if (e > out[*m - 1].end) out[*m - 1].end = e;
    } else {
        out[*m].start = s;
        out[(*m)++].end = e;
    }
}

/* The map record, at the start of the metadata buffer; then tw[omax + 1],
 * then the words: bits[], each order's tower. */
struct xbitmap {
    xbitmap_index     count, nwords;
    xbitmap_index     notcount;     /* ~count: a damaged count shows           */
    xbitmap_index     nfree, nres;  /* free units; reserved units             */
    xbitmap_index     nruns;        /* maximal runs of free units             */
    xbitmap_index     hint;         /* no unit below it is free               */
    xbitmap__word    *bits;
    xbitmap__tower   *tw;           /* tw[o]: Q[o], o = 0 .. omax             */
    xbitmap__word    *rt;           /* the run tree's nodes above its leaves  */
    xbitmap_index     nch;          /* its leaves: chunks of W words          */
    unsigned          omax, pw;     /* floor(log2 count); min(omax, log2 W)   */
    unsigned          nranges;
    xbitmap__range    ranges[XBITMAP_MAX_RESERVED];
    xbitmap_policy    policy;
    xbitmap_random_fn random;
    void             *random_user;
    xalloc_hooks      hooks;
    uint64_t          allocs, frees, failures;
    size_t            meta_bytes;
};

/* ---- bit scans and counts on words ----------------------------------------- */
static inline unsigned xbitmap__ctz(xbitmap__word w)
{
#if XBITMAP__W == 64 && defined(XALLOC__HAVE_CLZ) && UINTPTR_MAX > 0xFFFFFFFFu
    return (unsigned)__builtin_ctzll(w);
#elif XBITMAP__W == 64
    return xalloc__ctz64(w);
#else
    return xalloc__ctz32(w);
#endif
}

static inline unsigned xbitmap__log2(xbitmap__word w)
{
#if XBITMAP__W == 64 && defined(XALLOC__HAVE_CLZ) && UINTPTR_MAX > 0xFFFFFFFFu
    return 63u - (unsigned)__builtin_clzll(w);
#elif XBITMAP__W == 64
    return xalloc__log2_64(w);
#else
    return xalloc__log2_32(w);
#endif
}

#ifndef XALLOC_NO_INTROSPECTION /* (only the debugging aids count bits) */
/* Set bits; SWAR, so no compiler helper is called (a word-wide multiply). */
static unsigned xbitmap__popcount(xbitmap__word w)
{
    w = w - ((w >> 1) & (XBITMAP__ALL / 3u));
    w = (w & (XBITMAP__ALL / 5u)) + ((w >> 2) & (XBITMAP__ALL / 5u));
    w = (w + (w >> 4)) & (XBITMAP__ALL / 17u);
    return (unsigned)((w * (XBITMAP__ALL / 255u)) >> (XBITMAP__W - 8));
}
#endif

/* pat[o]: a bit at every multiple of 2^o, o = 0 .. log2 W. */
static const xbitmap__word xbitmap__pat[XBITMAP__LW + 1] = {
    XBITMAP__ALL, XBITMAP__ALL / 3u, XBITMAP__ALL / 15u, XBITMAP__ALL / 255u, XBITMAP__ALL / 65535u,
#if XBITMAP__W == 64
    XBITMAP__ALL / 0xFFFFFFFFu,
#endif
    1u };

/* Bit j set iff the aligned block of 2^c units at bit j of w is all free:
 *   F(0) = w;  F(o) = F(o-1) & F(o-1) >> 2^(o-1) & pat[o]. */
static xbitmap__word xbitmap__fold(xbitmap__word w, unsigned c)
{
    unsigned o;
    for (o = 1; o <= c; o++) w &= (w >> (1u << (o - 1))) & xbitmap__pat[o];
    return w;
}

/* x rounded up to a multiple of 2^g, NONE if that overflows. */
static inline xbitmap_index xbitmap__up(xbitmap_index x, unsigned g)
{
    xbitmap_index m = ((xbitmap_index)1 << g) - 1;
    return x > XBITMAP__NONE - m ? XBITMAP__NONE : (x + m) & ~m;
}

/* ---- towers ------------------------------------------------------------------ */
static inline bool xbitmap__tget(const xbitmap__tower *t, xbitmap_index x)
{
    return (XBITMAP__L0(t, x >> XBITMAP__LW) >> (x & XBITMAP__M)) & 1u;
}

/* Set bit x of level l >= 1 (at p, nb bits) and the levels above while
 * words were zero; or clear it and the levels above while words become
 * zero. O(L). */
XBITMAP__HOT void xbitmap__tup(const xbitmap__tower *t, xbitmap__word *p, xbitmap_index nb, unsigned l, xbitmap_index x, bool set)
{
    for (; l < t->nlev; l++, x >>= XBITMAP__LW) {
        xbitmap__word *w = &p[x >> XBITMAP__LW], old = *w;
        *w = set ? old | XBITMAP__BIT(x) : old & ~XBITMAP__BIT(x);
        if (set ? old != 0 : *w != 0) return;
        nb = XBITMAP__NW(nb);
        p += nb + 1;
    }
}
/* the same from level 1 (level 0 done): bit j of level 1 */
#define xbitmap__tup1(t, j, set) xbitmap__tup((t), (t)->up, XBITMAP__NW((t)->n0), 1, (j), (set))

#if XBITMAP_SMALL
/* The same from level 0 (bit x of the bottom level): a range of one. */
#define xbitmap__tbit(t, x, set) ((void)xbitmap__trange_long((t), (x), (x), (set)))
#else
/* The same from level 0: bit x of the bottom level. */
XBITMAP__HOT void xbitmap__tbit(const xbitmap__tower *t, xbitmap_index x, bool set)
{
    xbitmap__word *w = &XBITMAP__L0(t, x >> XBITMAP__LW), old = *w;
    *w = set ? old | XBITMAP__BIT(x) : old & ~XBITMAP__BIT(x);
    if (set ? old == 0 : *w == 0) xbitmap__tup1(t, x >> XBITMAP__LW, set);
}
#endif
#define xbitmap__tset(t, x) xbitmap__tbit((t), (x), true)
#define xbitmap__tclr(t, x) xbitmap__tbit((t), (x), false)

/* Set (or clear) bits x0..x1 of t's bottom level and fix the levels above.
 * Returns whether a bottom bit changed. O((x1 - x0)/W + L). */
static bool xbitmap__trange_long(xbitmap__tower *t, xbitmap_index x0, xbitmap_index x1, bool set)
{
    unsigned l, sh = t->sh;
    bool changed = false;
    xbitmap__word *w = t->base;
    xbitmap_index nb = t->n0;
    for (l = 0; l < t->nlev; w = XBITMAP__LNEXT(t, l, w, nb), nb = XBITMAP__NW(nb), l++, sh = 0) {
        xbitmap_index j0 = x0 >> XBITMAP__LW, j1 = x1 >> XBITMAP__LW, j;
        bool flipped = false; /* a word went from 0 to not 0, or back */
        for (j = j0; j <= j1; j++) {
            xbitmap__word m = XBITMAP__ALL, old = w[j << sh], nw;
            if (j == j0) m &= XBITMAP__ALL << (x0 & XBITMAP__M);
            if (j == j1) m &= XBITMAP__ALL >> (XBITMAP__M - (x1 & XBITMAP__M));
            nw = set ? old | m : old & ~m;
            w[j << sh] = nw;
            changed |= l == 0 && nw != old;
            flipped |= (old == 0) != (nw == 0);
        }
        if (!flipped) break;
        if (set) {
            x0 = j0; /* every word in j0..j1 is now non-zero */
            x1 = j1;
        } else {     /* the inner words are now zero; the end words may not be.
                      * Some word went to zero (flipped): an inner one, or an
                      * end one that stays in, so j0 <= j1 after these. */
            if (w[j1 << sh]) j1--;
            if (w[j0 << sh]) j0++;
            x0 = j0;
            x1 = j1;
        }
    }
    return changed;
}

#if XBITMAP_SMALL
#define xbitmap__trange xbitmap__trange_long
#else
/* The same; bits within one word (the usual case) the short way. */
XBITMAP__HOT bool xbitmap__trange(xbitmap__tower *t, xbitmap_index x0, xbitmap_index x1, bool set)
{
    xbitmap_index j = x0 >> XBITMAP__LW;
    xbitmap__word *w = &XBITMAP__L0(t, j), old = *w, m;
    if (j != x1 >> XBITMAP__LW) return xbitmap__trange_long(t, x0, x1, set);
    m = (XBITMAP__ALL << (x0 & XBITMAP__M)) & (XBITMAP__ALL >> (XBITMAP__M - (x1 & XBITMAP__M)));
    *w = set ? old | m : old & ~m;
    if (*w == old) return false;
    if ((old == 0) != (*w == 0)) xbitmap__tup1(t, j, set);
    return true;
}
#endif

/* First set bit of t's bottom level at index >= x, or NONE. Climbs while
 * the rest of a word is empty, then comes down with bit scans. O(L). */
XBITMAP__HOT xbitmap_index xbitmap__next(const xbitmap__tower *t, xbitmap_index x)
{
    unsigned l = 0;
    xbitmap__word m, *lv[XBITMAP__MAXLEV];
    xbitmap_index nb = t->n0;
    if (x >= nb) return XBITMAP__NONE;
    m = XBITMAP__L0(t, x >> XBITMAP__LW) & (XBITMAP__ALL << (x & XBITMAP__M));
    if (m) return (x & ~XBITMAP__M) | xbitmap__ctz(m);
    lv[1] = t->up;
    for (l = 1; l < t->nlev; l++) {
        if (l > 1) lv[l] = lv[l - 1] + XBITMAP__NW(nb) + 1; /* nb: bits of level l - 1 */
        nb = XBITMAP__NW(nb);
        x = (x >> XBITMAP__LW) + 1; /* the next word, at the level above */
        m = lv[l][x >> XBITMAP__LW] & (XBITMAP__ALL << (x & XBITMAP__M));
        if (m) {
            x = (x & ~XBITMAP__M) | xbitmap__ctz(m);
            while (--l) x = (x << XBITMAP__LW) | xbitmap__ctz(lv[l][x]);
            return (x << XBITMAP__LW) | xbitmap__ctz(XBITMAP__L0(t, x));
        }
    }
    return XBITMAP__NONE;
}

/* ---- the bitmap and its summaries ------------------------------------------- */
static inline bool xbitmap__isfree(const xbitmap *h, xbitmap_index u)
{
    return (h->bits[u >> XBITMAP__LW] >> (u & XBITMAP__M)) & 1u;
}

#if !XBITMAP_SMALL /* the fast paths' helpers */
/* Block i of order k (k >= log2 W; order log2 W: word i of bits[])
 * became whole (fr) or stopped being whole: the block orders above follow
 * while the blocks are (or were) whole. O(O * L) at worst. */
static void xbitmap__climb_from(xbitmap *h, unsigned k, xbitmap_index i, bool fr)
{
    xbitmap__tower *t = h->tw;
    unsigned o;
    for (o = k + 1; o <= h->omax; o++) {
        if (fr && !xbitmap__tget(&t[o - 1], i ^ 1u)) break; /* the buddy half */
        i >>= 1;
        if (i >= t[o].n0) break;
        if (fr) {
            xbitmap__tset(&t[o], i);
        } else {
            if (!xbitmap__tget(&t[o], i)) break;
            xbitmap__tclr(&t[o], i);
        }
    }
}
#define xbitmap__climb(h, i, fr) xbitmap__climb_from((h), XBITMAP__LW, (i), (fr))

/* Largest o with an aligned free block of 2^o units in w; -1 if w is 0. */
static int xbitmap__maxord(xbitmap__word w)
{
    unsigned o;
    if (w == XBITMAP__ALL) return (int)XBITMAP__LW;
    if (!w) return -1;
    for (o = 1; o < XBITMAP__LW; o++) {
        w &= (w >> (1u << (o - 1))) & xbitmap__pat[o];
        if (!w) break;
    }
    return (int)o - 1;
}

/* Word i of bits[] went from old to nw (old != nw): the per-word orders
 * between the largest free aligned block before and after flip. The block
 * orders above are the caller's (xbitmap__climb if the word filled or
 * emptied). O(log W * L). */
static void xbitmap__word_changed(xbitmap *h, xbitmap_index i, xbitmap__word old, xbitmap__word nw)
{
    int mo = xbitmap__maxord(old), mn = xbitmap__maxord(nw), o;
    for (o = mn + 1; o <= mo; o++) xbitmap__tclr(&h->tw[o], i);
    for (o = mo + 1; o <= mn; o++) xbitmap__tset(&h->tw[o], i);
}

/* Order of the free aligned block around unit b of w (b free in w): the
 * largest o with the aligned 2^o units around b all free. That block
 * holds a unit q iff q ^ b < 2^o, so o is floor(log2) of the least q ^ b
 * over the units q that are not free (or W, if all are): and the least is
 * that of the nearest such unit below b or above it. O(1), no loop. */
XBITMAP__HOT unsigned xbitmap__order_at(xbitmap__word w, unsigned b)
{
    xbitmap__word below = ~w & (XBITMAP__BIT(b) - 1u), above = ~w & (XBITMAP__ALL << b);
    unsigned d = XBITMAP__W, e;
    if (below) d = b ^ xbitmap__log2(below);
    if (above && (e = b ^ xbitmap__ctz(above)) < d) d = e;
    return xbitmap__log2(d);
}

/* Unit b of word i became free (fr) or not; w: the word with b free. Of
 * the per-word orders only o = xbitmap__order_at(w, b) can flip: below
 * it, the other half of each aligned block around b is a free block of
 * that order both before and after; above it, no block around b is free.
 * Q[o] gets word i on a free (a no-op if it had it), and loses it on an
 * allocation unless the word still holds another free 2^o block. O(1)
 * but for that fold (O(o)) and xbitmap__climb if the word filled or
 * emptied (o == log2 W). */
XBITMAP__HOT void xbitmap__bit_changed(xbitmap *h, xbitmap_index i, unsigned b, xbitmap__word w, bool fr)
{
    unsigned o = xbitmap__order_at(w, b);
    if (fr) xbitmap__tset(&h->tw[o], i);
    else if (!xbitmap__fold(w & ~XBITMAP__BIT(b), o)) xbitmap__tclr(&h->tw[o], i);
    if (o == XBITMAP__LW) xbitmap__climb(h, i, fr);
}
#endif

/* Units [p, p+n) become free (fr) or not, n >= 1; every summary follows.
 * The words are written (the whole ones directly), then each order is
 * fixed the same way, from the bottom: the summary bits of the whole words
 * (o <= log2 W) or of the blocks inside them (o > log2 W) are set or
 * cleared as a range; the (at most two) others that overlap the range,
 * the end words or the blocks around them, are recomputed: a word from
 * its bits (xbitmap__fold), a block from its halves in Q[o-1]. Above
 * log2 W, stops at the first order where nothing changed. O(n/W + O*L). */
XBITMAP__HOT void xbitmap__mark_dir(xbitmap *h, xbitmap_index p, xbitmap_index n, bool fr)
{
    xbitmap_index i0 = p >> XBITMAP__LW, i1 = (p + n - 1) >> XBITMAP__LW, a, e, x;
    xbitmap__word hm = XBITMAP__ALL << (p & XBITMAP__M), tm = XBITMAP__ALL >> (XBITMAP__M - ((p + n - 1) & XBITMAP__M));
    unsigned o;
    bool grouped = false; /* the whole words' per-word bits are set */
    if (i0 == i1) tm = hm &= tm; /* one word: both ends are it */
#if !XBITMAP_SMALL
    if (i0 == i1 && hm != XBITMAP__ALL) { /* inside one word: the orders that flip */
        xbitmap__word old = h->bits[i0], nw = fr ? old | hm : old & ~hm;
        if (nw == old) return;
        h->bits[i0] = nw;
        xbitmap__word_changed(h, i0, old, nw);
        /* the blocks around it change only if it filled or emptied */
        if (nw == XBITMAP__ALL || old == XBITMAP__ALL) xbitmap__climb(h, i0, fr);
        return;
    }
#endif
    h->bits[i0] = fr ? h->bits[i0] | hm : h->bits[i0] & ~hm;
    h->bits[i1] = fr ? h->bits[i1] | tm : h->bits[i1] & ~tm;
    if (i1 - i0 > 1) /* the words between: all ones or zeros */
        XALLOC_MEMSET(h->bits + (size_t)i0 + 1, fr ? 0xFF : 0, (size_t)(i1 - i0 - 1) * sizeof(xbitmap__word));
    a = hm == XBITMAP__ALL ? i0 : i0 + 1; /* whole words [a, e), maybe none */
    e = tm == XBITMAP__ALL ? i1 + 1 : i1;
#if !XBITMAP_SMALL
    if (a < e && a >> XBITMAP__LW == (e - 1) >> XBITMAP__LW) {
        /* whole words in one group (word j of each per-word order): every
         * per-word order gets the same bits, without a range per order */
        xbitmap_index j = a >> XBITMAP__LW;
        xbitmap__word m = (XBITMAP__ALL << (a & XBITMAP__M)) & (XBITMAP__ALL >> (XBITMAP__M - ((e - 1) & XBITMAP__M)));
        xbitmap__word *g = &XBITMAP__L0(&h->tw[0], j);
        for (o = 0; o <= h->pw; o++) {
            xbitmap__word old = g[o], nw = fr ? old | m : old & ~m;
            g[o] = nw;
            if ((old == 0) != (nw == 0)) xbitmap__tup1(&h->tw[o], j, fr);
        }
        grouped = true;
        if (!(n & (n - 1)) && !(p & (n - 1))) {
            /* a whole aligned block of 2^k units (k >= log2 W: a smaller
             * one fits in one word, done above), so of whole words: the
             * blocks inside it at each order up to k, then those around it */
            unsigned k = xbitmap__log2(n);
            for (o = XBITMAP__LW + 1; o <= k; o++) xbitmap__trange(&h->tw[o], p >> o, (p + n - 1) >> o, fr);
            xbitmap__climb_from(h, k, p >> k, fr);
            return;
        }
    }
#endif
    for (o = 0; o <= h->omax; o++) {
        xbitmap__tower *t = &h->tw[o];
        unsigned d = o > XBITMAP__LW ? o - XBITMAP__LW : 0; /* bits of Q[o]: words, then blocks of 2^d words */
        xbitmap_index x0 = i0 >> d, x1 = i1 >> d;
        /* bits inside the whole words: [xa, xb) (inside the map) */
        xbitmap_index xa = (a + ((xbitmap_index)1 << d) - 1) >> d, xb = e >> d;
        bool changed = false;
        if (x1 >= t->n0) x1 = t->n0 - 1;
        if (x0 > x1) break;
        if (grouped && o <= XBITMAP__LW) changed = true; /* (done above) */
        else if (xa < xb) changed = xbitmap__trange(t, xa, xb - 1, fr);
        for (x = x0;; x = x1) {
            if (x < xa || x >= xb) {
                bool v = o <= XBITMAP__LW ? xbitmap__fold(h->bits[x], o) != 0
                                          : xbitmap__tget(&h->tw[o - 1], 2 * x) && xbitmap__tget(&h->tw[o - 1], 2 * x + 1);
                if (v != xbitmap__tget(t, x)) {
                    xbitmap__trange(t, x, x, v);
                    changed = true;
                }
            }
            if (x == x1) break;
        }
        /* Q[o+1] above log2 W follows Q[o] only */
        if (!changed && o >= XBITMAP__LW) break;
    }
}

#if XBITMAP_RUN_TREE
/* ---- the run tree: longest free runs ---------------------------------------
 * Bounds a run search that must fail. Units are cut into chunks of W words
 * (W*W units: 4096 at W = 64, 1024 at W = 32); chunk j is group j, so its
 * "word is all free" bits are one word, Q[log2 W] word j. Above the chunks
 * lies a binary tree: level 0 is the chunks (nch leaves), each level above
 * has a node per two of the level below (the last one alone if they are
 * odd; its missing half counts as all used), up to one node, the root.
 * For a node's span of units it keeps upper bounds of
 *   pre  the free units at its start, suf  the free units at its end,
 *   max  the longest free run inside it;
 * the combination of two halves is pre = l.pre if l.pre < half, else
 * half + r.pre; suf likewise; max = max(l.max, r.max, l.suf + r.pre).
 * Invariant: every node is at least the combination of its halves, and a
 * leaf at least its chunk's truth, so every node is at least its span's.
 *   leaf j       max, with XBITMAP__STALE set if an allocation may have
 *                cut the chunk's longest run since it was measured; kept
 *                in the last, unused word of group j (XBITMAP__LEAF).
 *                Its pre and suf are not stored: xbitmap__edges reads them
 *                from the chunk's all-free word bits and two words, O(1).
 *   rt[]         the levels above, from level 1 up, 3 words a node (pre,
 *                suf, max); node k of level l has children 2k and 2k + 1
 *                of level l - 1 and spans 2^(l + 2 log2 W) units.
 * Upkeep (xbitmap__rt_changed, after every change of bits[]): an
 * allocation only marks its leaf stale (every bound stays a bound). A free
 * raises the leaf's max to the run it made inside the chunk (O(1),
 * xbitmap__leaf_free), and when the max rose or the run meets an end of
 * the chunk, raises the nodes above to their halves' combination,
 * stopping at the first node that need not rise: O(1) usually, O(log nch)
 * at worst; a run over k chunks O(k + log nch).
 * A run search asks xbitmap__has_run first: it follows nodes whose max
 * reaches n down to a proof (an exact leaf, or a run across a node's
 * middle measured in the bitmap); what fails to prove is tightened (a
 * stale leaf measured, O(W) words; nodes recomputed from their halves)
 * and the walk starts again. So a search that must fail costs O(log nch),
 * plus O(W + log nch) for each chunk an allocation has changed since it
 * was last measured and whose old bound still reached n: amortized, the
 * measuring is paid for by the allocations that loosened the bounds. */
#define XBITMAP__LC    (2u * XBITMAP__LW) /* log2 units per chunk */
#define XBITMAP__CS    ((xbitmap_index)1 << XBITMAP__LC)
#define XBITMAP__STALE XBITMAP__BIT(XBITMAP__M)
/* Leaf j: the last word of group j (the per-word orders use slots 0 to
 * log2 W), in the cache line that a change in chunk j writes anyway. */
#define XBITMAP__LEAF(h, j) ((h)->tw[0].base[((xbitmap_index)(j) << 3) + 7])

/* Levels a run tree can have above its chunks. */
#define XBITMAP__MAXH (XBITMAP__W == 64 ? 45 : 23)

/* Words of the run tree's levels above nch chunks. */
static xbitmap_index xbitmap__tree_words(xbitmap_index nch)
{
    xbitmap_index words = 0;
    while (nch > 1) {
        nch = (nch + 1) >> 1;
        words += 3 * nch;
    }
    return words;
}

/* Free units at the low end of w, and at its high end. */
static inline unsigned xbitmap__lowfree(xbitmap__word w)
{
    return w == XBITMAP__ALL ? XBITMAP__W : xbitmap__ctz(~w);
}
static inline unsigned xbitmap__highfree(xbitmap__word w)
{
    return w == XBITMAP__ALL ? XBITMAP__W : (unsigned)XBITMAP__M - xbitmap__log2(~w);
}

/* Bit k: word k of chunk j is all free (0 for words past the end). */
static inline xbitmap__word xbitmap__fullw(const xbitmap *h, xbitmap_index j)
{
    return h->pw == XBITMAP__LW ? XBITMAP__L0(&h->tw[XBITMAP__LW], j) : 0;
}

/* pre and suf of chunk j < chunks. O(1). A chunk cut short by the end of
 * the map has suf 0: its last units do not exist. */
static void xbitmap__edges(const xbitmap *h, xbitmap_index j, xbitmap_index *pre, xbitmap_index *suf)
{
    xbitmap__word g = xbitmap__fullw(h, j);
    xbitmap_index i = j << XBITMAP__LW;
    unsigned t;
    if (g == XBITMAP__ALL) {
        *pre = *suf = XBITMAP__CS;
        return;
    }
    t = xbitmap__ctz(~g);
    *pre = ((xbitmap_index)t << XBITMAP__LW) + (i + t < h->nwords ? xbitmap__lowfree(h->bits[i + t]) : 0);
    *suf = 0;
    if (i + XBITMAP__W <= h->nwords) {
        t = xbitmap__log2(~g);
        *suf = ((xbitmap_index)(XBITMAP__M - t) << XBITMAP__LW) + xbitmap__highfree(h->bits[i + t]);
    }
}

/* Node k of a level at q with n nodes (q NULL: the leaves): its pre, suf
 * and max; past the end (the missing half of a last node), all 0. */
static xbitmap_index xbitmap__node(const xbitmap *h, const xbitmap__word *q, xbitmap_index n, xbitmap_index k,
                                   xbitmap_index *pre, xbitmap_index *suf)
{
    *pre = *suf = 0;
    if (k >= n) return 0;
    if (!q) {
        xbitmap__edges(h, k, pre, suf);
        return XBITMAP__LEAF(h, k) & ~XBITMAP__STALE;
    }
    *pre = q[3 * k];
    *suf = q[3 * k + 1];
    return q[3 * k + 2];
}

/* Node k from its children, nodes 2k and 2k + 1 of the level below (at q,
 * n nodes), halves of 2^sh units: out = pre, suf, max. */
static void xbitmap__combine(const xbitmap *h, const xbitmap__word *q, xbitmap_index n, xbitmap_index k, unsigned sh,
                             xbitmap_index *out)
{
    xbitmap_index lp, ls, rp, rs, lm = xbitmap__node(h, q, n, 2 * k, &lp, &ls), rm = xbitmap__node(h, q, n, 2 * k + 1, &rp, &rs);
    xbitmap_index half = (xbitmap_index)1 << sh, m = ls + rp;
    out[0] = lp == half ? half + rp : lp;
    out[1] = rs == half ? half + ls : rs;
    out[2] = lm > m ? (lm > rm ? lm : rm) : (m > rm ? m : rm);
}

/* Recompute nodes k0..k1 of level l0 >= 1 from their children, then the
 * levels above: up to level lall whatever happens, then up to the first
 * level where none changed. up: after a free, a node only rises to its
 * children's combination (a higher bound stays: lowering it is left to
 * the searches that need it, so a free stops early); else it becomes
 * that combination (a search tightening). O(k1 - k0 + log nch). */
XBITMAP__COLD void xbitmap__rt_fix(xbitmap *h, unsigned l0, xbitmap_index k0, xbitmap_index k1, unsigned lall, bool up)
{
    const xbitmap__word *cq = NULL; /* the level below: the leaves first */
    xbitmap__word *q = h->rt;
    xbitmap_index cn = h->nch, k;
    unsigned l = 1;
    for (; cn > 1; cq = q, q += 3 * ((cn + 1) >> 1), cn = (cn + 1) >> 1, l++) {
        bool changed = false;
        if (l < l0) continue;
        if (l > l0) {
            k0 >>= 1;
            k1 >>= 1;
        }
        for (k = k0; k <= k1; k++) {
            xbitmap_index v[3], *w = &q[3 * k];
            xbitmap__combine(h, cq, cn, k, XBITMAP__LC + l - 1u, v);
            if (up) {
                if (v[0] < w[0]) v[0] = w[0];
                if (v[1] < w[1]) v[1] = w[1];
                if (v[2] < w[2]) v[2] = w[2];
            }
            if (w[0] != v[0] || w[1] != v[1] || w[2] != v[2]) {
                w[0] = v[0];
                w[1] = v[1];
                w[2] = v[2];
                changed = true;
            }
        }
        if (!changed && l >= lall) break;
    }
}
#define xbitmap__rt_fix_leaves(h, j0, j1) xbitmap__rt_fix((h), 1, (j0) >> 1, (j1) >> 1, 0, true)

/* Raise leaf j's max to at least m (a free run now in chunk j); true if
 * it rose. Exactness is kept: the new longest run is that one or an old. */
static inline bool xbitmap__raise(xbitmap *h, xbitmap_index j, xbitmap_index m)
{
    if (m <= (XBITMAP__LEAF(h, j) & ~XBITMAP__STALE)) return false;
    XBITMAP__LEAF(h, j) = (XBITMAP__LEAF(h, j) & XBITMAP__STALE) | m;
    return true;
}

/* Units [p, e] of one chunk became free: raise its leaf to the run they
 * are now part of. The run below p: in p's word, then whole words by
 * their bits in g; at the first word that is not all free, at most W - 1
 * more (not read: that word is most often in another cache line; the leaf
 * may then become an upper bound, and stale). No such word: the run meets
 * the chunk's start. Above e the same way. True if the nodes above must
 * follow: the leaf rose, or the run meets an end of the chunk. O(1). */
static bool xbitmap__leaf_free(xbitmap *h, xbitmap_index p, xbitmap_index e)
{
    xbitmap_index j = p >> XBITMAP__LC, i0 = p >> XBITMAP__LW, i1 = e >> XBITMAP__LW, len = e - p + 1;
    unsigned b0 = (unsigned)(p & XBITMAP__M), b1 = (unsigned)(e & XBITMAP__M);
    unsigned k0 = (unsigned)(i0 & XBITMAP__M), k1 = (unsigned)(i1 & XBITMAP__M);
    xbitmap__word g = xbitmap__fullw(h, j), x;
    bool fix = false, loose = false;
    x = ~h->bits[i0] & (XBITMAP__BIT(b0) - 1u);
    if (x) {
        len += b0 - 1u - xbitmap__log2(x);
    } else {
        len += b0;
        x = ~g & (XBITMAP__BIT(k0) - 1u);
        if (!x) fix = true;
        else loose = true;
        len += x ? ((xbitmap_index)(k0 - 1u - xbitmap__log2(x)) << XBITMAP__LW) + XBITMAP__M : (xbitmap_index)k0 << XBITMAP__LW;
    }
    x = ~h->bits[i1] & ((XBITMAP__ALL << b1) ^ XBITMAP__BIT(b1));
    if (x) {
        len += xbitmap__ctz(x) - b1 - 1u;
    } else {
        len += XBITMAP__M - b1;
        x = ~g & ((XBITMAP__ALL << k1) ^ XBITMAP__BIT(k1));
        if (!x) fix = true;
        else loose = true;
        len += x ? ((xbitmap_index)(xbitmap__ctz(x) - k1 - 1u) << XBITMAP__LW) + XBITMAP__M
                 : (xbitmap_index)(XBITMAP__M - k1) << XBITMAP__LW;
    }
    if (len > (XBITMAP__LEAF(h, j) & ~XBITMAP__STALE)) {
        XBITMAP__LEAF(h, j) = len | (loose ? XBITMAP__STALE : XBITMAP__LEAF(h, j) & XBITMAP__STALE);
        fix = true;
    }
    return fix;
}

/* A change over chunks j0 < j1: the chunks between are now all free or all
 * used (exact); the end ones as in the one-chunk case. */
XBITMAP__COLD void xbitmap__rt_many(xbitmap *h, xbitmap_index p, xbitmap_index n, bool fr)
{
    xbitmap_index j0 = p >> XBITMAP__LC, j1 = (p + n - 1) >> XBITMAP__LC, j;
    for (j = j0 + 1; j < j1; j++) XBITMAP__LEAF(h, j) = fr ? XBITMAP__CS : 0;
    if (fr) {
        (void)xbitmap__leaf_free(h, p, ((j0 + 1) << XBITMAP__LC) - 1);
        (void)xbitmap__leaf_free(h, j1 << XBITMAP__LC, p + n - 1);
        xbitmap__rt_fix_leaves(h, j0, j1);
    } else { /* the nodes above stay upper bounds */
        XBITMAP__LEAF(h, j0) |= XBITMAP__STALE;
        XBITMAP__LEAF(h, j1) |= XBITMAP__STALE;
    }
}

/* An allocation inside one chunk marks its leaf stale: O(1). A free
 * inside one word, with a unit that is not free on each side of it in
 * that word, makes a run inside the word, away from the chunk's ends: the
 * leaf's max may rise, nothing else. Other frees: xbitmap__leaf_free. */
XBITMAP__HOT void xbitmap__rt_changed(xbitmap *h, xbitmap_index p, xbitmap_index n, bool fr)
{
    xbitmap_index i = p >> XBITMAP__LW, e = p + n - 1;
    if (XALLOC__UNLIKELY((p >> XBITMAP__LC) != (e >> XBITMAP__LC))) {
        xbitmap__rt_many(h, p, n, fr);
    } else if (!fr) {
        XBITMAP__LEAF(h, p >> XBITMAP__LC) |= XBITMAP__STALE;
    } else {
        xbitmap__word w = ~h->bits[i], lo = w & (XBITMAP__BIT(p) - 1u), hi = w & (XBITMAP__ALL << (e & XBITMAP__M) << 1);
        if (i == e >> XBITMAP__LW && lo && hi) {
            if (xbitmap__raise(h, i >> XBITMAP__LW, xbitmap__ctz(hi) - xbitmap__log2(lo) - 1u))
                xbitmap__rt_fix_leaves(h, i >> XBITMAP__LW, i >> XBITMAP__LW);
        } else {
            if (xbitmap__leaf_free(h, p, e)) xbitmap__rt_fix_leaves(h, p >> XBITMAP__LC, p >> XBITMAP__LC);
        }
    }
}

/* Longest free run in chunk j, measured from its words; its pre and suf
 * too (for the check). O(W) words. */
static xbitmap_index xbitmap__chunk_scan(const xbitmap *h, xbitmap_index j, xbitmap_index *pre, xbitmap_index *suf)
{
    xbitmap_index i = j << XBITMAP__LW, e = i + XBITMAP__W, cur = 0, best = 0;
    bool lead = true;
    if (e > h->nwords) e = h->nwords;
    for (; i < e; i++) {
        xbitmap__word w = h->bits[i], x;
        unsigned r;
        if (w == XBITMAP__ALL) {
            cur += XBITMAP__W;
            continue;
        }
        cur += xbitmap__lowfree(w);
        if (lead) *pre = cur;
        lead = false;
        if (cur > best) best = cur;
        for (r = 0, x = w; x && best < XBITMAP__W; r++) x &= x >> 1; /* longest run inside w */
        if (r > best) best = r;
        cur = xbitmap__highfree(w);
    }
    if (lead) *pre = cur;
    *suf = (j << XBITMAP__LW) + XBITMAP__W <= h->nwords ? cur : 0;
    return cur > best ? cur : best;
}

/* The run tree's levels, bottom up: lv[l] (NULL for the leaves) with cnt[l]
 * nodes; returns the top level, the root's. O(log nch). */
static unsigned xbitmap__levels(const xbitmap *h, xbitmap__word **lv, xbitmap_index *cnt)
{
    unsigned top = 0;
    lv[0] = NULL;
    cnt[0] = h->nch;
    while (top < XBITMAP__MAXH && cnt[top] > 1) {
        lv[top + 1] = top ? lv[top] + 3 * cnt[top] : h->rt;
        cnt[top + 1] = (cnt[top] + 1) >> 1;
        top++;
    }
    return top;
}

/* Is there a free run of n units? Follows nodes whose max reaches n
 * (leftmost first) to a proof: an exact leaf, or a run across the middle
 * of a node, measured in the bitmap (O(n/W): the halves' pre and suf are
 * upper bounds). What fails to prove is made tighter, and the walk starts
 * again: a stale leaf is measured (O(W)) and made exact; halves whose run
 * across is shorter than they say get the measured suf and pre; a node
 * whose halves cannot reach n is recomputed. Each restart lowers a bound
 * that only frees raise again (see the run tree). */
static xbitmap_index xbitmap__scan(const xbitmap *h, xbitmap_index from, xbitmap_index to, xbitmap__word inv);
static xbitmap_index xbitmap__back(const xbitmap *h, xbitmap_index lo, xbitmap_index to);
static bool xbitmap__has_run(xbitmap *h, xbitmap_index n)
{
    xbitmap__word *lv[XBITMAP__MAXH + 1];
    xbitmap_index cnt[XBITMAP__MAXH + 1], pre, suf;
    unsigned top = xbitmap__levels(h, lv, cnt), l;
    for (;;) {
        xbitmap_index k = 0;
        if (xbitmap__node(h, lv[top], cnt[top], 0, &pre, &suf) < n) return false;
        for (l = top; l > 0; l--) {
            xbitmap_index lp, ls, rp, rs, lm = xbitmap__node(h, lv[l - 1], cnt[l - 1], 2 * k, &lp, &ls),
                          rm = xbitmap__node(h, lv[l - 1], cnt[l - 1], 2 * k + 1, &rp, &rs);
            if (ls + rp >= n) { /* measure the run across the middle, up to n each way */
                unsigned sh = XBITMAP__LC + l - 1u;
                xbitmap_index mid = (2 * k + 1) << sh, s, e;
                if (l == 1) return true; /* (a leaf's pre and suf are exact) */
                s = xbitmap__back(h, mid > n ? mid - n : 0, mid);
                e = xbitmap__scan(h, mid, h->count - mid > n ? mid + n : h->count, XBITMAP__ALL);
                if (e - s >= n) return true;
                /* Too short: recompute the nodes whose span holds an end of
                 * the run (unit s - 1, unit e or the map's end) up to this
                 * node; each end's path then gives exact values (the nodes
                 * beside it lie inside the run, wholly free, so exact). */
                if (s > mid - ((xbitmap_index)1 << sh)) xbitmap__rt_fix(h, 1, (s - 1) >> (XBITMAP__LC + 1), (s - 1) >> (XBITMAP__LC + 1), l, false);
                if (e < mid + ((xbitmap_index)1 << sh)) {
                    if (e == h->count) e--;
                    xbitmap__rt_fix(h, 1, e >> (XBITMAP__LC + 1), e >> (XBITMAP__LC + 1), l, false);
                }
                break;
            }
            if (lm < n && rm < n) break;
            k = lm >= n ? 2 * k : 2 * k + 1;
        }
        if (l == 0) { /* a leaf */
            if (!(XBITMAP__LEAF(h, k) & XBITMAP__STALE)) return true;
            XBITMAP__LEAF(h, k) = xbitmap__chunk_scan(h, k, &pre, &suf);
            if (top) xbitmap__rt_fix(h, 1, k >> 1, k >> 1, 0, false);
        } else {
            xbitmap__rt_fix(h, l, k, k, 0, false);
        }
    }
}
#else /* no run tree: no upkeep, and every search goes on to the passes */
static inline xbitmap_index xbitmap__tree_words(xbitmap_index nch) { (void)nch; return 0; }
static inline void xbitmap__rt_changed(xbitmap *h, xbitmap_index p, xbitmap_index n, bool fr)
{
    (void)h; (void)p; (void)n; (void)fr;
}
static inline bool xbitmap__has_run(xbitmap *h, xbitmap_index n) { (void)h; (void)n; return true; }
#endif /* XBITMAP_RUN_TREE */

/* One copy per direction where speed matters (fr is then a constant);
 * then the run tree follows. */
static void xbitmap__mark(xbitmap *h, xbitmap_index p, xbitmap_index n, bool fr)
{
    if (fr) xbitmap__mark_dir(h, p, n, true);
    else xbitmap__mark_dir(h, p, n, false);
    xbitmap__rt_changed(h, p, n, fr);
}

/* First unit in [from, to) whose bit, xor inv, is 1 (inv 0: the first free
 * unit; inv ALL: the first unit that is not free), or to. O((to-from)/W). */
static xbitmap_index xbitmap__scan(const xbitmap *h, xbitmap_index from, xbitmap_index to, xbitmap__word inv)
{
    xbitmap_index i, last;
    xbitmap__word w;
    if (from >= to) return to;
    i = from >> XBITMAP__LW;
    last = (to - 1) >> XBITMAP__LW;
    w = (h->bits[i] ^ inv) & (XBITMAP__ALL << (from & XBITMAP__M));
    for (;;) {
        if (w) {
            xbitmap_index u = (i << XBITMAP__LW) | xbitmap__ctz(w);
            return u < to ? u : to;
        }
        if (i == last) return to;
        w = h->bits[++i] ^ inv;
    }
}

/* Smallest s in [lo, to] with [s, to) all free. O((to-lo)/W). */
static xbitmap_index xbitmap__back(const xbitmap *h, xbitmap_index lo, xbitmap_index to)
{
    xbitmap_index i, first;
    xbitmap__word w;
    if (lo >= to) return to;
    i = (to - 1) >> XBITMAP__LW;
    first = lo >> XBITMAP__LW;
    w = ~h->bits[i] & (XBITMAP__ALL >> (XBITMAP__M - ((to - 1) & XBITMAP__M)));
    for (;;) {
        if (w) {
            xbitmap_index u = (i << XBITMAP__LW) | xbitmap__log2(w);
            return u >= lo ? u + 1 : lo;
        }
        if (i == first) return lo;
        w = ~h->bits[--i];
    }
}

/* ---- searching ------------------------------------------------------------- */
/* The next unit q >= x, a multiple of 2^g (g >= c), where an aligned block
 * of 2^c units is all free; NONE if none. O(L) per word or block looked at:
 * one, unless g > c and blocks at other multiples of 2^c come first. */
static xbitmap_index xbitmap__cand(const xbitmap *h, unsigned c, unsigned g, xbitmap_index x)
{
    const xbitmap__tower *t = &h->tw[c];
    for (;;) {
        xbitmap_index y;
        x = xbitmap__up(x, g);
        if (x >= h->count) return XBITMAP__NONE;
        if (c < XBITMAP__LW) { /* Q[c] has a bit per word: look inside the word */
            xbitmap_index i = xbitmap__next(t, x >> XBITMAP__LW);
            xbitmap__word m;
            if (i == XBITMAP__NONE) return XBITMAP__NONE;
            y = i << XBITMAP__LW;
            if (y > x) {
                x = y;
                if (g > XBITMAP__LW && xbitmap__up(y, g) != y) continue;
            }
            m = xbitmap__fold(h->bits[i], c) & xbitmap__pat[g < XBITMAP__LW ? g : XBITMAP__LW] &
                (XBITMAP__ALL << (x & XBITMAP__M));
            if (m) return y | xbitmap__ctz(m);
            if (i + 1 >= h->nwords) return XBITMAP__NONE;
            x = (i + 1) << XBITMAP__LW;
        } else {               /* a bit per block of 2^c */
            xbitmap_index blk = xbitmap__next(t, x >> c);
            if (blk == XBITMAP__NONE) return XBITMAP__NONE;
            y = blk << c;
            if ((y & (((xbitmap_index)1 << g) - 1)) == 0) return y;
            x = y + 1;
        }
    }
}

/* Best fit measures the free run around a fit up to this many units (or n)
 * on each side: O(this/W) per fit looked at. */
#define XBITMAP__BEST_SCAN ((xbitmap_index)64 * XBITMAP__W)

typedef struct xbitmap__req {
    xbitmap_index n;
    unsigned      al, k, c;     /* log2 align, floor(log2 n), candidate order */
    bool          exact;        /* fits start at a candidate (al >= k)        */
    unsigned      tries;        /* best fit: fits still to look at (0: first) */
    xbitmap_index best;         /* best fit so far                             */
    xbitmap_index bestlen;      /* the free run around it                      */
} xbitmap__req;

/* The lowest fit p in [lo, hi) for r, or NONE; best fit records fits in r
 * and returns NONE until it has looked at enough (then r->tries is 0). */
static xbitmap_index xbitmap__pass(const xbitmap *h, xbitmap__req *r, xbitmap_index lo, xbitmap_index hi)
{
    xbitmap_index x = lo, bs = (xbitmap_index)1 << r->c;
    xbitmap_index ext = r->n < XBITMAP__BEST_SCAN ? XBITMAP__BEST_SCAN : r->n;
    for (;;) {
        xbitmap_index q = xbitmap__cand(h, r->c, r->exact ? r->al : r->c, x), p, u, rs;
        if (q == XBITMAP__NONE) return XBITMAP__NONE;
        if (r->exact) {
            p = q;
        } else { /* q is the first aligned 2^c block of its run at or after lo,
                    so the lowest fit in the run starts less than 2^c before it */
            p = xbitmap__up(xbitmap__back(h, q - lo > bs - 1 ? q - (bs - 1) : lo, q), r->al);
        }
        if (p >= hi || r->n > h->count - p) return XBITMAP__NONE;
        u = xbitmap__scan(h, q + bs, p + r->n, XBITMAP__ALL);
        if (u < p + r->n) { /* too short: go on past the unit in the way */
            x = u + 1;
            continue;
        }
        if (!r->tries) return p;
        /* best fit: the free run around the fit, measured up to ext units
         * on each side (longer runs all count as long) */
        rs = xbitmap__back(h, p > ext ? p - ext : 0, p);
        u = xbitmap__scan(h, p + r->n, h->count - (p + r->n) > ext ? p + r->n + ext : h->count, XBITMAP__ALL);
        if (r->best == XBITMAP__NONE || u - rs < r->bestlen) {
            r->best = p;
            r->bestlen = u - rs;
        }
        if (u - rs == r->n || --r->tries == 0) { /* an exact fit, or enough */
            r->tries = 0;
            return XBITMAP__NONE;
        }
        x = u; /* the next free run */
    }
}

/* ---- entry and exit of every public call ----------------------------------- */
static void xbitmap__report(const xbitmap *h, xalloc_error e, xbitmap_index at, const char *what)
{
    if (h->hooks.error) h->hooks.error(h->hooks.user, e, (uintptr_t)at, what);
}

static inline void xbitmap__lock(const xbitmap *h)   { if (h->hooks.lock) h->hooks.lock(h->hooks.user); }
static inline void xbitmap__unlock(const xbitmap *h) { if (h->hooks.lock) h->hooks.unlock(h->hooks.user); }

#if XALLOC_DEBUG >= 4
#ifdef XALLOC_NO_INTROSPECTION
#error "XALLOC_DEBUG 4 runs xbitmap_check on every call: it needs the introspection (drop XALLOC_NO_INTROSPECTION)"
#endif
static const char *xbitmap__check_locked(const xbitmap *h);
static bool xbitmap__full_check(const xbitmap *h)
{
    const char *why = xbitmap__check_locked(h);
    if (why) xbitmap__report(h, XALLOC_E_CORRUPT, 0, why);
    return why == NULL;
}
#define XBITMAP__FULL_CHECK(h) xbitmap__full_check(h)
#else
#define XBITMAP__FULL_CHECK(h) true
#endif

/* [p, p+n) is a non-empty range inside the map; reports if not. */
static bool xbitmap__range_ok(const xbitmap *h, xbitmap_index p, xbitmap_index n)
{
    if (n == 0) {
        xbitmap__report(h, XALLOC_E_BADARG, p, "zero units");
        return false;
    }
    if (p >= h->count || n > h->count - p) {
        xbitmap__report(h, XALLOC_E_FOREIGN, p, "units past the end of the map");
        return false;
    }
    return true;
}

/* Free neighbours of [p, p+n): 0, 1 or 2. */
static inline unsigned xbitmap__nbrs(const xbitmap *h, xbitmap_index p, xbitmap_index n)
{
    return (unsigned)(p > 0 && xbitmap__isfree(h, p - 1)) + (unsigned)(n < h->count - p && xbitmap__isfree(h, p + n));
}

#if !XBITMAP_SMALL
/* Free neighbours of unit b of word i (whose value is w). */
XBITMAP__HOT unsigned xbitmap__nbrs1(const xbitmap *h, xbitmap_index i, unsigned b, xbitmap__word w)
{
    unsigned l = b ? (unsigned)(w >> (b - 1)) & 1u : i ? (unsigned)(h->bits[i - 1] >> XBITMAP__M) : 0u;
    unsigned r = b < XBITMAP__M ? (unsigned)(w >> (b + 1)) & 1u : i + 1 < h->nwords ? (unsigned)h->bits[i + 1] & 1u : 0u;
    return l + r;
}
#endif

/* [p, p+n) becomes free (fr: all of it was not free) or not free (all of
 * it was free): the summaries, the free count, the free runs and the hint
 * follow. */
static void xbitmap__flip(xbitmap *h, xbitmap_index p, xbitmap_index n, bool fr)
{
    xbitmap_index nb = xbitmap__nbrs(h, p, n);
    xbitmap__mark(h, p, n, fr);
    if (fr) {
        h->nruns += 1u - nb;
        h->nfree += n;
        if (p < h->hint) h->hint = p;
    } else {
        h->nruns += nb - 1u;
        h->nfree -= n;
        if (h->hint == p) h->hint = p + n; /* (p was free: p >= hint) */
    }
}

/* Allocate [p, p+n), all free. */
static void xbitmap__take(xbitmap *h, xbitmap_index p, xbitmap_index n)
{
    xbitmap__flip(h, p, n, false);
    h->allocs++;
}

/* Start of a search: the hint, or a random unit. */
XBITMAP__COLD xbitmap_index xbitmap__random_start(const xbitmap *h)
{
    xbitmap_index r, mask;
    r = h->random(h->random_user);
    if (h->count == 1) return 0;
    mask = XBITMAP__ALL >> (XBITMAP__M - xbitmap__log2(h->count - 1));
    r &= mask;
    return r < h->count ? r : r - h->count; /* r - count < count - 1 */
}
#define xbitmap__start(h) ((h)->random ? xbitmap__random_start(h) : (h)->hint)

/* The first reserved unit in [p, p+n), or NONE. O(R). */
static xbitmap_index xbitmap__reserved_in(const xbitmap *h, xbitmap_index p, xbitmap_index n)
{
    unsigned k;
    for (k = 0; k < h->nranges && h->ranges[k].start < p + n; k++)
        if (h->ranges[k].end > p) return h->ranges[k].start > p ? h->ranges[k].start : p;
    return XBITMAP__NONE;
}

/* ---- set-up ----------------------------------------------------------------- */
/* Metadata words for count units: bits[], the group array (at a multiple
 * of 8 words), then each tower's levels. With tw, also points the tower
 * records of the n orders from `from` on at them, in tw[0 .. n) (base: the
 * word array, at a 64-byte boundary): init sets all, the check compares
 * them a few at a time. Counted in xbitmap_index, which is as wide as a
 * count: with 64-bit words on a 32-bit target the total may exceed
 * SIZE_MAX (xbitmap_meta_size then says 0); with tw it fits, as init
 * checked. */
static xbitmap_index xbitmap__layout(xbitmap_index count, xbitmap__tower *tw, xbitmap__word *base, unsigned from, unsigned n)
{
    xbitmap_index nwords = XBITMAP__NW(count);
    unsigned omax = xbitmap__log2(count), o;
    xbitmap_index words = (nwords + 1 + XBITMAP__GROUP - 1) & ~(xbitmap_index)(XBITMAP__GROUP - 1), groups = words;
    words += (XBITMAP__NW(nwords) + 1) * XBITMAP__GROUP;
    for (o = 0; o <= omax; o++) {
        bool grouped = o <= XBITMAP__LW;
        xbitmap_index nb = grouped ? nwords : count >> o, n0 = nb, bottom = grouped ? groups + o : words, up;
        unsigned l = 0;
        if (!grouped) words += XBITMAP__NW(nb) + 1;
        up = words;
        for (; XBITMAP__NW(nb) > 1; l++) { /* the levels above, each with its zero word */
            nb = XBITMAP__NW(nb);
            words += XBITMAP__NW(nb) + 1;
        }
        if (tw && o - from < n) { /* (o < from wraps around: false) */
            xbitmap__tower *t = &tw[o - from];
            t->n0 = n0;
            t->sh = grouped ? 3u : 0u;
            t->nlev = l + 1;
            t->base = base + (size_t)bottom;
            t->up = base + (size_t)up; /* (unused if nlev is 1) */
            t->top = l ? base + (size_t)words - 2 : t->base;
        }
    }
    return words + xbitmap__tree_words(XBITMAP__NW(nwords)); /* the run tree last */
}

#define XBITMAP__ALIGN 8u
#define XBITMAP__RUP(x) (((x) + XBITMAP__ALIGN - 1) & ~(size_t)(XBITMAP__ALIGN - 1))

XALLOC_DEF size_t xbitmap_meta_size(xbitmap_index count)
{
    size_t fixed;
    xbitmap_index words;
    if (count == 0 || count > XBITMAP_MAX_COUNT) return 0;
    fixed = XBITMAP__ALIGN - 1 + XBITMAP__RUP(sizeof(xbitmap)) +
            XBITMAP__RUP((xbitmap__log2(count) + 1) * sizeof(xbitmap__tower)) + 63; /* words at 64 */
    words = xbitmap__layout(count, NULL, NULL, 0, 0);
    if (words > (SIZE_MAX - fixed) / sizeof(xbitmap__word)) return 0; /* more than the address space */
    return fixed + (size_t)words * sizeof(xbitmap__word);
}

/* Where the tower records and the words of map h go: the records after
 * the map record, the words at the next 64-byte boundary after them. */
static inline xbitmap__tower *xbitmap__tw_at(const xbitmap *h)
{
    return (xbitmap__tower *)(void *)((unsigned char *)(uintptr_t)h + XBITMAP__RUP(sizeof(xbitmap)));
}
static inline xbitmap__word *xbitmap__bits_at(const xbitmap *h)
{
    unsigned char *m = (unsigned char *)xbitmap__tw_at(h) + XBITMAP__RUP((h->omax + 1) * sizeof(xbitmap__tower));
    return (xbitmap__word *)(void *)(m + ((64u - ((uintptr_t)m & 63u)) & 63u));
}

XALLOC_DEF xbitmap *xbitmap_init(void *meta, size_t meta_bytes, xbitmap_index count, const xbitmap_desc *desc)
{
    size_t need = xbitmap_meta_size(count);
    unsigned char *m = (unsigned char *)meta;
    xbitmap *h;
    size_t words;
    static const xbitmap_desc defaults = { { NULL, NULL, NULL, NULL }, XBITMAP_FIRST_FIT, NULL, NULL, false };
    if (!desc) desc = &defaults;
    if (!meta || !need || meta_bytes < need || (unsigned)desc->policy > XBITMAP_BEST_FIT ||
        XALLOC__LONE_LOCK(desc->hooks)) {
        if (desc->hooks.error)
            desc->hooks.error(desc->hooks.user, XALLOC_E_BADARG, (uintptr_t)meta,
                              !need ? "count is 0 or too large" : meta_bytes < need || !meta
                              ? "no metadata buffer of xbitmap_meta_size(count) bytes"
                              : XALLOC__LONE_LOCK(desc->hooks) ? XALLOC__LONE_LOCK_TEXT : "unknown policy");
        return NULL;
    }
    m += (XBITMAP__ALIGN - ((uintptr_t)m & (XBITMAP__ALIGN - 1))) & (XBITMAP__ALIGN - 1);
    h = (xbitmap *)(void *)m;
    XALLOC_MEMSET(h, 0, sizeof *h); /* counts, ranges, hint, statistics */
    h->count = count;
    h->notcount = ~count;
    h->nwords = XBITMAP__NW(count);
    h->omax = xbitmap__log2(count);
    h->pw = h->omax < XBITMAP__LW ? h->omax : XBITMAP__LW;
    h->tw = xbitmap__tw_at(h);
    h->bits = xbitmap__bits_at(h);
    words = (size_t)xbitmap__layout(count, h->tw, h->bits, 0, h->omax + 1); /* fits: meta_size said so */
    h->nch = XBITMAP__NW(h->nwords);
    h->rt = h->bits + (words - (size_t)xbitmap__tree_words(h->nch));
    h->policy = desc->policy;
    h->random = desc->random;
    h->random_user = desc->random_user;
    h->hooks.error = desc->hooks.error;
    h->hooks.lock = desc->hooks.lock;
    h->hooks.unlock = desc->hooks.unlock;
    h->hooks.user = desc->hooks.user;
    xalloc__pair_hooks(&h->hooks);
    h->meta_bytes = need;
    /* Every word zero (all units allocated, every summary and padding word
     * empty), then, unless start_used, every unit freed as by xbitmap_free. */
    XALLOC_MEMSET(h->bits, 0, words * sizeof(xbitmap__word));
    if (!desc->start_used) {
        xbitmap__mark(h, 0, count, true);
        h->nfree = count;
        h->nruns = 1;
    }
    return h;
}

/* ---- allocation ------------------------------------------------------------- */
static xbitmap_index xbitmap__alloc_run(xbitmap *h, xbitmap_index n, xbitmap_index align, xbitmap_policy pol);

#if XBITMAP_SMALL
/* One unit: a run of one, first fit from the search start, found by the
 * general search (the hint then moves only if the unit was at it).
 * O(L) + fix-up. */
#define xbitmap__alloc1(h) xbitmap__alloc_run((h), 1, 1, XBITMAP_FIRST_FIT)
#else
/* The word holding the first free unit after word i (wrapping around if s,
 * the search start, is not 0), or NONE. O(L). */
XBITMAP__COLD xbitmap_index xbitmap__next_word(const xbitmap *h, xbitmap_index i, xbitmap_index s)
{
    i = xbitmap__next(&h->tw[0], i + 1);
    if (i == XBITMAP__NONE && s) i = xbitmap__next(&h->tw[0], 0); /* wrap */
    return i;
}

/* One unit: the first free unit from the search start. O(L) + fix-up. */
static xbitmap_index xbitmap__alloc1(xbitmap *h)
{
    xbitmap_index s = xbitmap__start(h), i = s >> XBITMAP__LW, p;
    xbitmap__word w;
    unsigned b;
    if (XALLOC__UNLIKELY(s >= h->count)) goto none; /* hint past the end: full */
    w = h->bits[i] & (XBITMAP__ALL << (s & XBITMAP__M));
    if (XALLOC__UNLIKELY(!w)) {
        if ((i = xbitmap__next_word(h, i, s)) == XBITMAP__NONE) goto none;
        w = h->bits[i];
    }
    b = xbitmap__ctz(w);
    p = (i << XBITMAP__LW) | b;
    w = h->bits[i];
    h->nruns += (xbitmap_index)xbitmap__nbrs1(h, i, b, w) - 1u;
    h->bits[i] = w & ~XBITMAP__BIT(b);
    xbitmap__bit_changed(h, i, b, w, false);
    xbitmap__rt_changed(h, p, 1, false);
    h->nfree--;
    h->allocs++;
    if (h->hint == p || (!h->random && h->hint < p)) h->hint = p + 1; /* nothing free in [hint, p] */
    return p;
none:
    h->failures++;
    return XBITMAP__NONE;
}
#endif

XALLOC_DEF xbitmap_index xbitmap_alloc(xbitmap *h)
{
    xbitmap_index p = XBITMAP__NONE;
    xbitmap__lock(h);
    if (XBITMAP__FULL_CHECK(h)) p = xbitmap__alloc1(h);
    xbitmap__unlock(h);
    return p;
}

/* pol: desc.policy, or first fit for one unit */
static xbitmap_index xbitmap__alloc_run(xbitmap *h, xbitmap_index n, xbitmap_index align, xbitmap_policy pol)
{
    xbitmap__req r;
    xbitmap_index s, lo, hi = h->count, p;
    unsigned up;
    if (align == 0) align = 1;
    if (n == 0 || (align & (align - 1))) {
        xbitmap__report(h, XALLOC_E_BADARG, n ? align : 0, n ? "alignment is not a power of two" : "zero units");
        return XBITMAP__NONE;
    }
    if (n > h->count) {
        xbitmap__report(h, XALLOC_E_BADARG, n, "more units than the map holds");
        return XBITMAP__NONE;
    }
    r.n = n;
    r.al = xbitmap__log2(align);
    r.k = xbitmap__log2(n);
    if (r.al > h->omax) { /* no multiple of align but 0 is inside the map */
        r.al = h->omax;
        hi = 1;
    }
    r.exact = r.al >= r.k;
    r.c = r.exact ? r.k : r.k - 1;
    r.tries = pol == XBITMAP_BEST_FIT ? XBITMAP_BEST_FIT_TRIES : 0;
    r.best = XBITMAP__NONE;
    r.bestlen = 0;
    s = lo = xbitmap__start(h);
    /* A fit needs a free run of n: a free aligned block of 2^ceil(log2 n)
     * units shows one in O(1); else the run tree tells, and a search that
     * must fail skips the passes. */
    up = r.k + ((n & (n - 1)) != 0);
    if ((up > h->omax || !*h->tw[up].top) && !xbitmap__has_run(h, n)) hi = 0;
    for (p = XBITMAP__NONE;; lo = 0) { /* from the start, then (random start) wrapping around */
        if (lo < hi) p = xbitmap__pass(h, &r, lo, hi);
        /* (below the hint nothing is free) */
        if (p != XBITMAP__NONE || !h->random || !lo || (pol == XBITMAP_BEST_FIT && !r.tries)) break;
        if (s < hi) hi = s;
    }
    if (pol == XBITMAP_BEST_FIT) p = r.best;
    if (p == XBITMAP__NONE) {
        h->failures++;
        return XBITMAP__NONE;
    }
    xbitmap__take(h, p, n);
    return p;
}

XALLOC_DEF xbitmap_index xbitmap_alloc_run(xbitmap *h, xbitmap_index n, xbitmap_index align)
{
    xbitmap_index p = XBITMAP__NONE;
    xbitmap__lock(h);
    if (XBITMAP__FULL_CHECK(h)) p = xbitmap__alloc_run(h, n, align, h->policy);
    xbitmap__unlock(h);
    return p;
}

XALLOC_DEF bool xbitmap_alloc_at(xbitmap *h, xbitmap_index p, xbitmap_index n)
{
    bool ok = false;
    xbitmap__lock(h);
    if (XBITMAP__FULL_CHECK(h) && xbitmap__range_ok(h, p, n)) {
        ok = xbitmap__scan(h, p, p + n, XBITMAP__ALL) == p + n;
        if (ok) xbitmap__take(h, p, n);
        else h->failures++;
    }
    xbitmap__unlock(h);
    return ok;
}

/* ---- free, reserve, release ------------------------------------------------- */
XBITMAP__COLD bool xbitmap__free_run(xbitmap *h, xbitmap_index p, xbitmap_index n);

static bool xbitmap__free(xbitmap *h, xbitmap_index p, xbitmap_index n)
{
#if !XBITMAP_SMALL
    if (n == 1 && p < h->count) { /* one unit: the short way */
        xbitmap_index i = p >> XBITMAP__LW;
        unsigned b = (unsigned)(p & XBITMAP__M);
        xbitmap__word old = h->bits[i];
#if XALLOC_DEBUG >= 1
        if (XALLOC__UNLIKELY((old >> b) & 1u)) {
            xbitmap__report(h, XALLOC_E_DOUBLE_FREE, p, "unit is already free");
            return false;
        }
        if (XALLOC__UNLIKELY(h->nranges && xbitmap__reserved_in(h, p, 1) != XBITMAP__NONE)) {
            xbitmap__report(h, XALLOC_E_RESERVED, p, "unit is reserved");
            return false;
        }
#endif
        h->nruns += 1u - (xbitmap_index)xbitmap__nbrs1(h, i, b, old);
        h->bits[i] = old | XBITMAP__BIT(b);
        xbitmap__bit_changed(h, i, b, old | XBITMAP__BIT(b), true);
        xbitmap__rt_changed(h, p, 1, true);
        h->nfree++;
        if (p < h->hint) h->hint = p;
        h->frees++;
        return true;
    }
#endif
    return xbitmap__free_run(h, p, n);
}

XBITMAP__COLD bool xbitmap__free_run(xbitmap *h, xbitmap_index p, xbitmap_index n)
{
    if (!xbitmap__range_ok(h, p, n)) return false;
#if XALLOC_DEBUG >= 1
    {
        xbitmap_index u = xbitmap__reserved_in(h, p, n);
        if (XALLOC__UNLIKELY(u != XBITMAP__NONE)) {
            xbitmap__report(h, XALLOC_E_RESERVED, u, "unit is reserved");
            return false;
        }
        u = xbitmap__scan(h, p, p + n, 0);
        if (XALLOC__UNLIKELY(u < p + n)) {
            xbitmap__report(h, XALLOC_E_DOUBLE_FREE, u, "unit is already free");
            return false;
        }
    }
#endif
    xbitmap__flip(h, p, n, true);
    h->frees++;
    return true;
}

XALLOC_DEF bool xbitmap_free(xbitmap *h, xbitmap_index p, xbitmap_index n)
{
    bool ok = false;
    xbitmap__lock(h);
    if (XBITMAP__FULL_CHECK(h)) ok = xbitmap__free(h, p, n);
    xbitmap__unlock(h);
    return ok;
}

/* Reserve (res) or release [p, e = p+n). Reserved units are 0 in bits[],
 * as allocated ones are; ranges[] tells them apart. Reserving: every unit
 * outside the ranges must be free; releasing: [p, e) must lie in one
 * range. The new table, the ranges with [p, e) added (merged with those
 * it overlaps or touches) or taken out, is built in out[] (one more entry
 * than fits: a release may split a range) and must fit. Then reserving
 * takes each gap between the old ranges as an allocation would, releasing
 * frees [p, e) as xbitmap_free would (counts, runs and hint follow).
 * O(n/W + R) + fix-up (one per gap: at most R + 1). */
static bool xbitmap__reserve(xbitmap *h, xbitmap_index p, xbitmap_index n, bool res)
{
    xbitmap__range *r = h->ranges, out[XBITMAP_MAX_RESERVED + 1];
    xbitmap_index e, u, lim;
    unsigned k, m = 0, pass;
    if (!xbitmap__range_ok(h, p, n)) return false;
    e = p + n;
    if (!res) {
        for (k = 0; k < h->nranges && r[k].end <= p; k++) { }
        if (k == h->nranges || r[k].start > p || r[k].end < e) {
            xbitmap__report(h, XALLOC_E_BADARG, k < h->nranges && r[k].start <= p ? r[k].end : p, "unit is not reserved");
            return false;
        }
    }
    /* The gaps of [p, e) between the ranges (none when releasing): first
     * checked to be free, then, once the new table is known to fit, taken. */
    for (pass = 0; pass < 2; pass++) {
        if (pass) {
            for (k = 0; k <= h->nranges; k++) {
                xbitmap_index rs = k < h->nranges ? r[k].start : XBITMAP__NONE;
                if (res && p <= rs && (!k || r[k - 1].start < p)) xbitmap__emit(out, &m, p, e); /* [p, e) in order */
                if (k == h->nranges) break;
                if (res) {
                    xbitmap__emit(out, &m, rs, r[k].end);
                } else { /* the parts before and after [p, e) */
                    xbitmap__emit(out, &m, rs, r[k].end < p ? r[k].end : p);
                    xbitmap__emit(out, &m, rs > e ? rs : e, r[k].end);
                }
            }
            if (m > XBITMAP_MAX_RESERVED) {
                xbitmap__report(h, XALLOC_E_BADARG, p, "too many reserved ranges (XBITMAP_MAX_RESERVED)");
                return false;
            }
        }
        for (u = p, k = 0; res; k++) {
            lim = k < h->nranges && r[k].start < e ? r[k].start : e;
            if (u < lim) {
                if (!pass && (u = xbitmap__scan(h, u, lim, XBITMAP__ALL)) < lim) {
                    xbitmap__report(h, XALLOC_E_BADARG, u, "cannot reserve an allocated unit");
                    return false;
                }
                if (pass) {
                    xbitmap__flip(h, u, lim - u, false);
                    h->nres += lim - u;
                }
            }
            if (lim == e) break;
            if (r[k].end > u) u = r[k].end;
        }
    }
    if (!res) {
        xbitmap__flip(h, p, n, true);
        h->nres -= n;
    }
    for (k = 0; k < m; k++) {
        r[k].start = out[k].start;
        r[k].end = out[k].end;
    }
    h->nranges = m;
    return true;
}

XALLOC_DEF bool xbitmap_reserve(xbitmap *h, xbitmap_index p, xbitmap_index n)
{
    bool ok = false;
    xbitmap__lock(h);
    if (XBITMAP__FULL_CHECK(h)) ok = xbitmap__reserve(h, p, n, true);
    xbitmap__unlock(h);
    return ok;
}

XALLOC_DEF bool xbitmap_release(xbitmap *h, xbitmap_index p, xbitmap_index n)
{
    bool ok = false;
    xbitmap__lock(h);
    if (XBITMAP__FULL_CHECK(h)) ok = xbitmap__reserve(h, p, n, false);
    xbitmap__unlock(h);
    return ok;
}

static xbitmap_kind xbitmap__state(const xbitmap *h, xbitmap_index p)
{
    if (p >= h->count) return XBITMAP_OUTSIDE;
    if (xbitmap__isfree(h, p)) return XBITMAP_FREE;
    return xbitmap__reserved_in(h, p, 1) != XBITMAP__NONE ? XBITMAP_RESERVED : XBITMAP_USED;
}

XALLOC_DEF xbitmap_kind xbitmap_state(xbitmap *h, xbitmap_index p)
{
    xbitmap_kind k;
    xbitmap__lock(h);
    k = xbitmap__state(h, p);
    xbitmap__unlock(h);
    return k;
}

/* ---- introspection -------------------------------------------------------- */
#if XBITMAP_RUN_TREE
/* Longest free run: the root's max, once a run that long is proven
 * (each failed proof measured a stale leaf, and the max came down). */
static xbitmap_index xbitmap__largest(xbitmap *h)
{
    xbitmap__word *lv[XBITMAP__MAXH + 1];
    xbitmap_index cnt[XBITMAP__MAXH + 1], m, pre, suf;
    unsigned top = xbitmap__levels(h, lv, cnt);
    while ((m = xbitmap__node(h, lv[top], cnt[top], 0, &pre, &suf)) != 0 && !xbitmap__has_run(h, m)) { }
    return m;
}
#else
/* Longest free run, without the tree. The largest order o* with a free
 * aligned block gives 2^o* <= longest < 2^(o*+2), and a run of 2^o* units
 * holds a free aligned block of 2^(o*-1): measure only the runs around
 * those. O(L + run/W) per such run; O(count/W) at worst. */
static xbitmap_index xbitmap__largest(xbitmap *h)
{
    unsigned o = h->omax + 1, c;
    xbitmap_index x = 0, q, best = 0;
    while (o-- > 0)
        if (*h->tw[o].top) break;
    if (o > h->omax) return 0; /* nothing free */
    c = o ? o - 1 : 0;
    while ((q = xbitmap__cand(h, c, c, x)) != XBITMAP__NONE) {
        xbitmap_index s = xbitmap__back(h, 0, q), e = xbitmap__scan(h, q, h->count, XBITMAP__ALL);
        if (e - s > best) best = e - s;
        if (e >= h->count) break;
        x = e + 1;
    }
    return best;
}
#endif

static void xbitmap__stats(xbitmap *h, xbitmap_stats *o)
{
    o->total = h->count;
    o->free = h->nfree;
    o->reserved = h->nres;
    o->used = h->count - h->nfree - h->nres;
    o->largest_free = xbitmap__largest(h);
    o->free_runs = h->nruns;
    o->reserved_ranges = h->nranges;
    o->allocs = h->allocs;
    o->frees = h->frees;
    o->failures = h->failures;
    o->meta_bytes = h->meta_bytes;
}

XALLOC_DEF void xbitmap_stats_get(xbitmap *h, xbitmap_stats *o)
{
    xbitmap__lock(h);
    xbitmap__stats(h, o);
    xbitmap__unlock(h);
}

#ifndef XALLOC_NO_INTROSPECTION
/* Free units in [lo, hi), lo < hi (starts: only those that begin a free run). */
static xbitmap_index xbitmap__tally(const xbitmap *h, xbitmap_index lo, xbitmap_index hi, bool starts)
{
    xbitmap_index i, last = (hi - 1) >> XBITMAP__LW, n = 0;
    for (i = lo >> XBITMAP__LW; i <= last; i++) {
        xbitmap__word w = h->bits[i], m = XBITMAP__ALL;
        if (starts) w &= ~((w << 1) | (i ? h->bits[i - 1] >> XBITMAP__M : 0));
        if (i == lo >> XBITMAP__LW) m &= XBITMAP__ALL << (lo & XBITMAP__M);
        if (i == last) m &= XBITMAP__ALL >> (XBITMAP__M - ((hi - 1) & XBITMAP__M));
        n += xbitmap__popcount(w & m);
    }
    return n;
}

/* A tower's levels agree with each other, and nothing is set past the end
 * of a level (its record was checked against the layout). O(words of the
 * tower). */
static const char *xbitmap__tcheck(const xbitmap__tower *t)
{
    xbitmap_index nb = t->n0;
    xbitmap__word *w = t->base;
    unsigned l, sh = t->sh;
    for (l = 0; l < t->nlev; l++, sh = 0) {
        xbitmap_index nw = XBITMAP__NW(nb), j;
        xbitmap__word *up = XBITMAP__LNEXT(t, l, w, nb);
        if (w[nw << sh] || ((nb & XBITMAP__M) && (w[(nw - 1) << sh] & (XBITMAP__ALL << (nb & XBITMAP__M)))))
            return "summary bit past the end";
        if (l + 1 < t->nlev) /* (the top's place and size: the record check) */
            for (j = 0; j < nw; j++)
                if (((up[j >> XBITMAP__LW] >> (j & XBITMAP__M)) & 1u) != (w[j << sh] != 0)) return "summary level wrong";
        nb = nw;
        w = up;
    }
    return NULL;
}

/* Every invariant of the manual. O(count/W * log W + meta words). */
static const char *xbitmap__check_locked(const xbitmap *h)
{
    xbitmap_index i, x, nres = 0;
    unsigned o, k;
    const char *why;
    /* first the records every search follows: count (and its complement),
     * sizes and pointers as init set them */
    if (h->notcount != ~h->count || h->meta_bytes != xbitmap_meta_size(h->count) ||
        h->omax != xbitmap__log2(h->count) || h->nwords != XBITMAP__NW(h->count) ||
        h->pw != (h->omax < XBITMAP__LW ? h->omax : XBITMAP__LW) || h->tw != xbitmap__tw_at(h) ||
        h->bits != xbitmap__bits_at(h) || h->nch != XBITMAP__NW(h->nwords) ||
        h->rt != h->bits + (size_t)(xbitmap__layout(h->count, NULL, NULL, 0, 0) - xbitmap__tree_words(h->nch)))
        return "map record damaged";
    for (o = 0; o <= h->omax; o += 8) { /* the tower records, 8 at a time */
        xbitmap__tower want[8];
        (void)xbitmap__layout(h->count, want, h->bits, o, 8);
        for (k = o; k <= h->omax && k < o + 8; k++) {
            const xbitmap__tower *t = &h->tw[k], *w = &want[k - o];
            if (t->n0 != w->n0 || t->sh != w->sh || t->nlev != w->nlev || t->base != w->base || t->up != w->up ||
                t->top != w->top)
                return "summary tower record damaged";
        }
    }
    if ((h->count & XBITMAP__M) && (h->bits[h->nwords - 1] & (XBITMAP__ALL << (h->count & XBITMAP__M))))
        return "free bit past the end";
    if (h->nranges > XBITMAP_MAX_RESERVED) return "reserved range count wrong";
    for (k = 0; k < h->nranges; k++) {
        const xbitmap__range *r = &h->ranges[k];
        if (r->start >= r->end || r->end > h->count) return "reserved range out of bounds";
        if (k && h->ranges[k - 1].end >= r->start) return "reserved ranges unsorted or touching";
        if (xbitmap__scan(h, r->start, r->end, 0) < r->end) return "reserved unit free";
        nres += r->end - r->start;
    }
    if (nres != h->nres) return "reserved count wrong";
    if (h->nfree > h->count || h->nres > h->count - h->nfree) return "counts exceed the map";
    if (xbitmap__tally(h, 0, h->count, false) != h->nfree) return "free count wrong";
    if (xbitmap__tally(h, 0, h->count, true) != h->nruns) return "free run count wrong";
    if (h->hint > h->count) return "hint past the end";
    if (xbitmap__scan(h, 0, h->hint, 0) < h->hint) return "free unit below the hint";
    /* per-word orders: Q[o] bit i iff word i holds an aligned free 2^o block */
    for (i = 0; i < h->nwords; i += XBITMAP__W) {
        xbitmap__word want[XBITMAP__LW + 1];
        xbitmap_index j;
        XALLOC_MEMSET(want, 0, sizeof want);
        for (j = i; j < h->nwords && j - i < XBITMAP__W; j++) {
            for (o = 0; o <= h->pw; o++)
                if (xbitmap__fold(h->bits[j], o)) want[o] |= XBITMAP__BIT(j);
        }
        for (o = 0; o <= h->pw; o++)
            if (XBITMAP__L0(&h->tw[o], i >> XBITMAP__LW) != want[o]) return "word summary wrong";
    }
    /* block orders: Q[o] bit x iff both halves are whole in Q[o-1] */
    for (o = XBITMAP__LW + 1; o <= h->omax; o++)
        for (x = 0; x < h->tw[o].n0; x++)
            if (xbitmap__tget(&h->tw[o], x) != (xbitmap__tget(&h->tw[o - 1], 2 * x) && xbitmap__tget(&h->tw[o - 1], 2 * x + 1)))
                return "block summary wrong";
    for (o = 0; o <= h->omax; o++)
        if ((why = xbitmap__tcheck(&h->tw[o])) != NULL) return why;
#if XBITMAP_RUN_TREE
    /* the run tree: each leaf's max at least (not stale: exactly) the
     * longest free run of its chunk, the O(1) edges as measured; each
     * node at least its halves' combination */
    for (x = 0; x < h->nch; x++) {
        xbitmap_index pre, suf, p2, s2, m = xbitmap__chunk_scan(h, x, &pre, &suf), ub = XBITMAP__LEAF(h, x) & ~XBITMAP__STALE;
        xbitmap__edges(h, x, &p2, &s2);
        if (pre != p2 || suf != s2) return "chunk edges wrong";
        if (ub < m || ub > XBITMAP__CS || (ub != m && !(XBITMAP__LEAF(h, x) & XBITMAP__STALE))) return "run tree leaf wrong";
    }
    {
        xbitmap__word *lv[XBITMAP__MAXH + 1];
        xbitmap_index cnt[XBITMAP__MAXH + 1];
        unsigned top = xbitmap__levels(h, lv, cnt);
        for (o = 1; o <= top; o++)
            for (x = 0; x < cnt[o]; x++) {
                xbitmap_index v[3];
                xbitmap__combine(h, lv[o - 1], cnt[o - 1], x, XBITMAP__LC + o - 1u, v);
                if (lv[o][3 * x] < v[0] || lv[o][3 * x + 1] < v[1] || lv[o][3 * x + 2] < v[2]) return "run tree node below its halves";
            }
    }
#endif
    return NULL;
}

XALLOC_DEF const char *xbitmap_check(xbitmap *h)
{
    const char *why;
    xbitmap__lock(h);
    why = xbitmap__check_locked(h);
    if (why) xbitmap__report(h, XALLOC_E_CORRUPT, 0, why);
    xbitmap__unlock(h);
    return why;
}

XALLOC_DEF void xbitmap_walk(xbitmap *h, xbitmap_walk_fn fn, void *user)
{
    xbitmap_index pos = 0;
    unsigned k = 0;
    xbitmap__lock(h);
    if (!XBITMAP__FULL_CHECK(h)) goto out;
    while (pos < h->count) {
        xbitmap_index lim = k < h->nranges ? h->ranges[k].start : h->count, e;
        xbitmap_kind kind;
        if (pos == lim) {
            e = h->ranges[k++].end;
            kind = XBITMAP_RESERVED;
        } else if (xbitmap__isfree(h, pos)) {
            e = xbitmap__scan(h, pos, lim, XBITMAP__ALL);
            kind = XBITMAP_FREE;
        } else {
            e = xbitmap__scan(h, pos, lim, 0);
            kind = XBITMAP_USED;
        }
        if (!fn(user, pos, e - pos, kind)) break;
        pos = e;
    }
out:
    xbitmap__unlock(h);
}

/* Lines of dump output: text[0], v[0], text[1], ..., v[nv - 1], text[nv];
 * a text that starts with a newline ends the line before it. */
static void xbitmap__put_lines(xalloc__line *l, const char *const *text, const uint64_t *v, unsigned nv,
                               xalloc_print_fn print, void *user)
{
    unsigned k;
    for (k = 0;; k++) {
        const char *t = text[k];
        if (*t == '\n') {
            xalloc__put_end(l, print, user);
            t++;
        }
        xalloc__put_str(l, t);
        if (k == nv) break;
        xalloc__put_u(l, v[k]);
    }
    xalloc__put_end(l, print, user);
}

XALLOC_DEF void xbitmap_dump(xbitmap *h, xalloc_print_fn print, void *user)
{
    static const char *const head[] = { "xbitmap: units ", ", free ", ", used ", ", reserved ", "\n  free runs ",
        ", largest ", ", next-free hint ", "\n  allocs ", ", frees ", ", failures ", ", metadata bytes ", "" };
    static const char *const order[] = { "  order ", " (", " units): ", " free aligned blocks" };
    static const char *const range[] = { "  reserved ", "..", " (", " units)" };
    xbitmap_stats s;
    xalloc__line l;
    uint64_t v[11];
    unsigned o, k;
    xbitmap__lock(h);
    xbitmap__stats(h, &s);
    v[0] = s.total;
    v[1] = s.free;
    v[2] = s.used;
    v[3] = s.reserved;
    v[4] = s.free_runs;
    v[5] = s.largest_free;
    v[6] = h->hint;
    v[7] = s.allocs;
    v[8] = s.frees;
    v[9] = s.failures;
    v[10] = s.meta_bytes;
    l.len = 0;
    xbitmap__put_lines(&l, head, v, 11, print, user);
    for (o = 0; o <= h->omax; o++) { /* free aligned blocks of each order */
        xbitmap_index n = 0, i;
        if (o <= h->pw) {
            for (i = 0; i < h->nwords; i++) n += xbitmap__popcount(xbitmap__fold(h->bits[i], o));
        } else {
            for (i = 0; i < XBITMAP__NW(h->tw[o].n0); i++) n += xbitmap__popcount(XBITMAP__L0(&h->tw[o], i));
        }
        if (!n) continue;
        v[0] = o;
        v[1] = (xbitmap_index)1 << o;
        v[2] = n;
        xbitmap__put_lines(&l, order, v, 3, print, user);
    }
    for (k = 0; k < h->nranges; k++) {
        v[0] = h->ranges[k].start;
        v[1] = h->ranges[k].end - 1;
        v[2] = h->ranges[k].end - h->ranges[k].start;
        xbitmap__put_lines(&l, range, v, 3, print, user);
    }
    xbitmap__unlock(h);
}
#endif /* XALLOC_NO_INTROSPECTION */

#ifdef __cplusplus
}
#endif
#endif /* XALLOC_IMPLEMENTATION */

/*
------------------------------------------------------------------------------
This software is available under 2 licenses -- choose whichever you prefer.
------------------------------------------------------------------------------
ALTERNATIVE A - MIT License
Copyright (c) 2026 the xalloc authors
Permission is hereby granted, free of charge, to any person obtaining a copy of
this software and associated documentation files (the "Software"), to deal in
the Software without restriction, including without limitation the rights to
use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies
of the Software, and to permit persons to whom the Software is furnished to do
so, subject to the following conditions:
The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.
THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
------------------------------------------------------------------------------
ALTERNATIVE B - Public Domain (www.unlicense.org)
This is free and unencumbered software released into the public domain.
Anyone is free to copy, modify, publish, use, compile, sell, or distribute this
software, either in source code form or as a compiled binary, for any purpose,
commercial or non-commercial, and by any means.
In jurisdictions that recognize copyright laws, the author or authors of this
software dedicate any and all copyright interest in the software to the public
domain. We make this dedication in good faith to the benefit of the public at
large and to the detriment of our heirs and successors. We intend this
dedication to be an overt act of relinquishment in perpetuity of all present
and future rights to this software under copyright law.
THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN
ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION
WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
------------------------------------------------------------------------------
*/
