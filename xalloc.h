/* xalloc.h - a boundary-tag heap over memory you hand it.   v0.1
 * Part of xalloc: drop-in, freestanding allocators in single C headers.
 *
 * WHAT IT IS
 *   malloc/free/realloc/calloc/aligned alloc over one or more caller regions.
 *   Boundary tags with immediate coalescing, segregated free lists found
 *   through two levels of bitmaps (as in TLSF), and a fallback search that
 *   makes sure no request fails while a free block could hold it.
 *   No libc, no global state, no recursion; C99/C++11 and later.
 *
 * USE
 *   In exactly one C or C++ file:
 *       #define XALLOC_IMPLEMENTATION
 *       #include "xalloc.h"
 *   Everywhere else just #include "xalloc.h".
 *
 *       static unsigned char arena[64 * 1024];
 *       xalloc_heap *h = xalloc_init(arena, sizeof arena, NULL);
 *       char *p = (char *)xalloc_alloc(h, 100);
 *       xalloc_free(h, p);
 *
 * API (every function takes the heap first; cost in brackets, n = number of
 * free blocks in one size class, R = number of regions)
 *   xalloc_init(mem, size, desc)     -> heap or NULL (region too small, bad
 *                                       arguments)                       [O(size/max_block)]
 *   xalloc_add_region(h, mem, size)  -> false if too small or overlapping
 *                                                                  [O(size/max_block + R)]
 *                                       (init and add_region: O(size) at
 *                                       level >= 2 and under a sanitizer) 
 *   xalloc_alloc(h, size)            -> NULL when nothing fits            [O(1), fallback O(n)]
 *   xalloc_calloc(h, count, size)    -> zeroed; NULL on overflow          [+ O(size)]
 *   xalloc_aligned_alloc(h, a, size) -> a: any power of two, else NULL    [O(1), fallback O(free blocks)]
 *   xalloc_realloc(h, p, size)       -> in place when it can; on failure
 *                                       NULL and p intact; size 0 frees p
 *                                       [O(1) in place, else an alloc + copy;
 *                                       in a heap with no other room, a move
 *                                       down into a free predecessor + copy]
 *   xalloc_realloc_aligned(h, p, a, size)  keeps alignment a               [same]
 *   xalloc_free(h, p)                -> NULL is a no-op                    [O(1)]
 *   xalloc_usable_size(h, p)         -> bytes the caller may use at p       [O(1)]
 *   (free, realloc and usable_size also check p at level >= 1: O(R))
 *   xalloc_max_alloc(h)              -> largest size that would succeed now [O(n) + flush]
 *   xalloc_overhead(size)            -> bytes of a region of `size` that
 *                                       never become block space, with
 *                                       max_block at least `size` (each
 *                                       segment more costs a 1-granule
 *                                       fence)                               [O(1)]
 *   xalloc_stats_get / xalloc_reset_peak                                  [O(n + R) + flush]
 *   xalloc_check(h)                  -> NULL, or which invariant broke     [O(heap)]
 *   xalloc_walk(h, fn, user)         -> fn per block, address order        [O(heap)]
 *   xalloc_dump(h, print, user)      -> the stats (four to a line), one line
 *                                       per region and per non-empty bin   [O(heap)]
 *
 * ERRORS
 *   Misuse (double free, foreign or interior pointer, damaged header, bad
 *   alignment, overrun canary, write after free) is reported through
 *   desc->hooks.error with an xalloc_error code and the pointer; the call
 *   then does nothing (free) or returns NULL/0, and every live block is left
 *   as it was. One exception: a write after free (level >= 2) is found when
 *   the memory is handed out again; it is reported, and the block still
 *   handed out (its bytes are the caller's to fill). Running out of memory
 *   is not an error: the call returns NULL and stats.failures counts it.
 *
 * CONFIGURATION (define before including; the same in every file)
 *   XALLOC_ALIGNMENT   default alignment and granule: 2*sizeof(void*)
 *                      (16 on 64-bit, 8 on 32-bit); a power of two >= 8
 *   XALLOC_SL_LOG2     log2 of size classes per power of two (default 4:
 *                      16 classes, so a class spans at most 1/16 of its size)
 *   XALLOC_QUICK       blocks kept per class on a quick list (default 16; 0:
 *                      no quick lists, the smallest and most predictable build)
 *   XALLOC_QUICK_CLASSES  classes with a quick list (default 128: blocks up to
 *                      32 KiB at G=16)
 *   XALLOC_VALGRIND    1: tell valgrind memcheck about blocks (needs
 *                      <valgrind/memcheck.h>); ASan is detected by itself
 *   XALLOC_DEBUG       0..4, see below (default 1)
 *   XALLOC_STATIC      make every function static
 *   XALLOC_ASSERT(x)   internal sanity asserts (default: none)
 *   XALLOC_MEMSET / XALLOC_MEMCPY   libc-compatible replacements
 *   XALLOC_NO_BUILTINS portable bit scans instead of compiler builtins
 *   XALLOC_NO_INTROSPECTION  leave out the debugging aids: xalloc_check,
 *                      xalloc_walk, xalloc_dump (not declared either) and the
 *                      trace hook (desc has no `trace`); stats stay. For the
 *                      smallest firmware build; not with XALLOC_DEBUG 4
 *
 * DEBUG LEVELS (XALLOC_DEBUG)
 *   0  no checks: a bad free corrupts the heap
 *   1  O(1) checks on free and realloc: alignment, bounds, the used bit
 *      (double free), a sane size, the next block's prev-used bit and the
 *      previous free block's footer (back-links). Catches every double free
 *      of a block that is still free and every pointer outside the heap;
 *      interior pointers, stale pointers into memory freed since (whose old
 *      bytes may read as a header) and overwritten headers with high
 *      probability; level 2 poisons free memory and catches the stale ones.
 *   2  + freed memory filled with XALLOC_POISON_BYTE; the fill is checked
 *      when the memory is handed out again (write after free)   [O(size)]
 *   3  + a canary after each block's requested size and the size itself,
 *      checked on free (overruns of even one byte); usable size becomes the
 *      requested size                                           [O(slack)]
 *   4  + xalloc_check() on every call that allocates or frees
 *      (alloc, calloc, aligned_alloc, realloc*, free)            [O(heap)]
 *
 * BLOCK LAYOUT (G = XALLOC_ALIGNMENT, P = sizeof(void *))
 *   A block is addressed by its payload pointer b, which is G-aligned. Its
 *   4-byte header sits just before b; its size is a multiple of G that
 *   counts the header:
 *
 *      b-4   b                                        b+size-8  b+size-4
 *      [hdr ][ payload ........................................][next hdr]
 *   used:    [ caller's bytes (size - 4) ...........................]
 *   free:    [ next | prev | (poison) .................. | footer ]
 *
 *   hdr = granules << 3 | QUICK << 2 | PREV_USED << 1 | USED  (granules =
 *   size / G, 29 bits: blocks up to 8 GiB at G=16, 4 GiB at G=8).
 *   A free block's footer repeats its granule count, so the block after it
 *   can find its start; a used block needs no footer, its successor's
 *   PREV_USED bit says so. Overhead of a used block: 4 bytes, plus rounding
 *   up to G. Smallest block: 4 + 2P + 4 rounded up to G, and at least two
 *   granules (32 bytes on 64-bit, 16 on 32-bit; 2G when G >= 32). A block on a quick list is USED|QUICK, its first word
 *   the list link.
 *
 *   The heap record sits at the start of the first region, followed by its
 *   tables: SL * (levels for the largest block) list heads, up to
 *   XALLOC_QUICK_CLASSES quick-list heads and counts, and the bitmaps;
 *   xalloc_overhead(size) gives the total (about 2.9 KiB for a 128 KiB
 *   region on 64-bit, 1.7 KiB with XALLOC_QUICK 0).
 *
 * INVARIANTS (all checked by xalloc_check)
 *   - The heap record's table sizes and pointers are as init set them;
 *     each region record's blocks lie G-aligned inside its memory, after
 *     the records; regions do not overlap and none is listed twice
 *     (checked first: no block or list is read through a damaged record;
 *     the link to the next region record, tested only for alignment, and
 *     the hooks are followed as they are).
 *   - Blocks tile each region from its first block to its sentinel (a used
 *     header of 0 granules); regions larger than the largest block are cut
 *     into segments separated by fences (used headers of 1 granule).
 *   - No two free blocks are adjacent (coalescing is immediate).
 *   - A block's PREV_USED bit equals its predecessor's USED bit (1 for the
 *     first block of a segment).
 *   - Every free block is in exactly the bin of its size class, its footer
 *     equals its size, and bitmap bits are set exactly for non-empty bins.
 *   - Every QUICK block is on the quick list of its class, each list holds
 *     at most XALLOC_QUICK blocks, and counts match.
 *   - used + free bytes = the sum of all segments; counters match a walk.
 *
 * SIZE CLASSES AND COST
 *   Sizes below 2*SL granules (512 bytes at G=16) have one class each;
 *   above, each power of two splits into SL classes. Alloc looks at the head
 *   of its own class (O(1)); if that does not fit, it takes the head of the
 *   first non-empty larger class, found with two bit scans (O(1)). Only if
 *   no larger class has a block does it search its own class list (O(n), n
 *   the blocks of that class): that is the no-false-out-of-memory fallback,
 *   which only runs when the O(1) path would have failed. Free is O(1):
 *   at most two unlinks and one insert.
 *   Quick lists (deferred coalescing, as dlmalloc's fastbins): a freed block
 *   whose neighbours are both in use may wait on a short list of its class
 *   instead of entering the bins, and the next request of that class takes
 *   it back with a pop. They hold at most XALLOC_QUICK blocks per class and
 *   take blocks only while the heap is less than half full; they are merged
 *   back (O(blocks held), at most XALLOC_QUICK * XALLOC_QUICK_CLASSES) when
 *   the heap fills past half, before any request fails, and before stats or
 *   max_alloc answer. With XALLOC_QUICK 0 every call is strictly the O(1)
 *   path above. Free also validates (level >= 1) in O(R), R = regions.
 *   Realloc grows in place into a free successor (O(1)); else it allocates
 *   and copies; and where that fails, when a free predecessor, the block
 *   and a free successor together hold the new size (and the
 *   predecessor's start has the alignment), the block moves down there,
 *   its bytes copied front to back: a realloc fails only when neither a
 *   free block nor the block's own free neighbours can hold the result.
 *
 * FRAGMENTATION BOUND (to size a heap)
 *   No allocator that never moves blocks escapes Robson's bound: with at
 *   most M bytes live in blocks of m..n bytes (n/m a power of two), some
 *   request sequence makes any such allocator need M * (1 + log2(n/m) / 2)
 *   bytes, and first fit about M * log2(n/m). A segregated good fit like
 *   this heap has no better worst-case guarantee than first fit, so a heap
 *   that must never fail, whatever the order of requests, needs
 *       H = M' * (1 + log2(n/m)) + n + xalloc_overhead(H)
 *   where M' = M + k * (4 + G - 1) adds the header and rounding of at most
 *   k live blocks. Typical programs need far less: with random sizes of
 *   16 B..2 KiB and random frees, the live bytes at the first failure are
 *   about 88 % of a 128 KiB region and 96.4 % of a 16 MiB one (make bench,
 *   medians of 101 seeds).
 *
 * THREADS
 *   A heap is not thread-safe by itself; set desc.hooks.lock/unlock (for
 *   example to xalloc_spin_lock/xalloc_spin_unlock) to serialise calls.
 *
 * SANITIZERS
 *   Under AddressSanitizer (detected) or valgrind (XALLOC_VALGRIND=1) all of
 *   a region but the caller's bytes is marked off limits: headers, free
 *   memory, the slack after each request. A use after free or an overflow
 *   inside the heap is then reported by the tool as it would be for malloc.
 *
 * CODE SIZE (.text with .rodata, Cortex-M4, arm-none-eabi-gcc 12 -Os
 * -ffunction-sections, XALLOC_DEBUG 0; `make size` measures these)
 *   whole implementation: 5.5 KiB (5,652 bytes); with
 *   XALLOC_NO_INTROSPECTION (no check, walk, dump or trace hook) 3.0 KiB
 *   (3,025; realloc's move into a free predecessor is 168 of them). A
 *   program that calls only init, alloc and free links 1.4 KiB;
 *   1,003 bytes with XALLOC_QUICK 0 and XALLOC_NO_INTROSPECTION (the
 *   smallest build). XALLOC_DEBUG 1 adds about 0.6 KiB.
 *
 * DEPENDENCIES
 *   None: stddef.h, stdint.h, stdbool.h, limits.h. No division on any path
 *   (shifts by the constant granule), no 64-bit multiply or variable shift
 *   on 32-bit targets; built with -ffreestanding (or -fno-builtin), as
 *   `make cross` does with gcc and clang, a Cortex-M0 object has no
 *   undefined symbol. Without it a compiler may turn the byte loops of the
 *   XALLOC_MEMSET/XALLOC_MEMCPY fallbacks into memset/memcpy calls: define
 *   those macros then, if the platform has no libc.
 *
 * LICENSE: MIT or public domain (Unlicense), at the end of this file.
 */
#ifndef XALLOC_H
#define XALLOC_H

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
#ifndef XALLOC_ALIGNMENT
#define XALLOC_ALIGNMENT (2 * sizeof(void *))
#endif
#ifndef XALLOC_SL_LOG2
#define XALLOC_SL_LOG2 4
#endif
/* Quick lists: freed blocks kept per small class for reuse without a merge
 * and a split (0 turns them off; the code then has no trace of them). */
#ifndef XALLOC_QUICK
#define XALLOC_QUICK 16
#endif
#ifndef XALLOC_QUICK_CLASSES
#define XALLOC_QUICK_CLASSES 128
#endif
#ifndef XALLOC_POISON_BYTE
#define XALLOC_POISON_BYTE 0xDC /* bits 0 and 1 clear: reads as a free header */
#endif
#ifndef XALLOC_CANARY_BYTE
#define XALLOC_CANARY_BYTE 0xCA
#endif

/* A region of this size is accepted by xalloc_init at any start address,
 * in every configuration: the heap's record and class tables, a smallest
 * block and alignment slack (tests/test_xalloc.c checks it on every build,
 * and tests/test_xalloc_configs.c in others). 1926 bytes on 64-bit with
 * the defaults. The tables grow with the region, so the constant is the
 * room needed by a region twice a first estimate (XALLOC__MR_GUESS), which
 * is at least the room its own size needs as long as it stays below twice
 * the guess (a static assert in the implementation makes sure). */
#define XALLOC__MR_G      ((size_t)(XALLOC_ALIGNMENT))
#define XALLOC__MR_SL     ((size_t)1 << (XALLOC_SL_LOG2))
#define XALLOC__MR_P      sizeof(void *)
#define XALLOC__MR_REC    (48 + 20 * XALLOC__MR_P) /* >= sizeof(xalloc_heap): asserted */
#define XALLOC__MR_BLOCK  (XALLOC__MR_G * ((8 + 2 * XALLOC__MR_P + XALLOC__MR_G - 1) / XALLOC__MR_G < 2 ? 2 : \
                                          (8 + 2 * XALLOC__MR_P + XALLOC__MR_G - 1) / XALLOC__MR_G))
#define XALLOC__MR_LOG2_4(x)  ((x) >= 8 ? 3 : (x) >= 4 ? 2 : (x) >= 2 ? 1 : 0)
#define XALLOC__MR_LOG2_8(x)  ((x) >= 16 ? 4 + XALLOC__MR_LOG2_4((x) >> 4) : XALLOC__MR_LOG2_4(x))
#define XALLOC__MR_LOG2(x)    ((x) >= 256 ? 8 + XALLOC__MR_LOG2_8((x) >> 8) : XALLOC__MR_LOG2_8(x)) /* x < 2^16 */
/* first-level classes for blocks of up to g granules (as xalloc__class) */
#define XALLOC__MR_NFL(g) ((g) >= XALLOC__MR_SL ? XALLOC__MR_LOG2(g) - (XALLOC_SL_LOG2) + 2 : 1)
#define XALLOC__MR_NQ(g)  ((XALLOC_QUICK) == 0 ? 0 : XALLOC__MR_NFL(g) * XALLOC__MR_SL < (size_t)(XALLOC_QUICK_CLASSES) \
                           ? XALLOC__MR_NFL(g) * XALLOC__MR_SL : (size_t)(XALLOC_QUICK_CLASSES))
/* room for a region of s bytes: alignment gap, record, tables, header, a smallest block */
#define XALLOC__MR_ROOM(s) (XALLOC__MR_REC + XALLOC__MR_NFL((s) / XALLOC__MR_G) * (XALLOC__MR_SL * XALLOC__MR_P + 4) + 4 + \
                            XALLOC__MR_NQ((s) / XALLOC__MR_G) * (XALLOC__MR_P + 1) + 4 + 2 * (XALLOC__MR_G - 1) + \
                            XALLOC__MR_BLOCK)
#define XALLOC__MR_GUESS  (200 * XALLOC__MR_P + 512 + 4 * XALLOC__MR_G)
#define XALLOC_MIN_REGION XALLOC__MR_ROOM(2 * XALLOC__MR_GUESS)
/* Bytes a used block costs beyond the caller's request, before rounding up
 * to XALLOC_ALIGNMENT (XALLOC_DEBUG >= 3 adds 4 more). */
#define XALLOC_BLOCK_OVERHEAD 4

#ifdef __cplusplus
extern "C" {
#endif

typedef struct xalloc_heap xalloc_heap; /* lives at the start of the first region */

typedef enum xalloc_trace_op { XALLOC_TRACE_ALLOC = 1, XALLOC_TRACE_FREE = 2 } xalloc_trace_op;
/* Trace hook: every successful allocation and every free (a realloc is a
 * free of the old block and an allocation of the new, even in place: the
 * allocation first where the new block lies apart from the old, the free
 * first where they overlap).
 * A debugging aid: not with XALLOC_NO_INTROSPECTION (desc has no `trace`). */
typedef void (*xalloc_trace_fn)(void *user, xalloc_trace_op op, void *ptr, size_t size);

/* Description for xalloc_init; zero (or NULL) means defaults. */
typedef struct xalloc_desc {
    xalloc_hooks    hooks;     /* error, lock, unlock, user                   */
#ifndef XALLOC_NO_INTROSPECTION
    xalloc_trace_fn trace;     /* alloc/free trace (NULL: none), gets hooks.user */
#endif
    size_t          max_block; /* largest block, in bytes; sizes the class table
                                  (0: the first region's size). Regions added
                                  later are cut into segments of at most this. */
} xalloc_desc;

typedef struct xalloc_stats {
    size_t   region_bytes;    /* all bytes handed to init and add_region       */
    size_t   block_bytes;     /* of those, in blocks (the rest is overhead)     */
    size_t   used_bytes;      /* in used blocks, headers included               */
    size_t   free_bytes;      /* in free blocks                                 */
    size_t   peak_used_bytes; /* highest used_bytes since init or reset_peak    */
    size_t   largest_free;    /* largest request that would succeed now         */
    size_t   free_blocks;
    size_t   live_blocks;
    size_t   regions;
    uint64_t allocs, frees, failures; /* successful allocs, frees; NULL returns */
} xalloc_stats;

/* Walk callback: one call per block, in address order, region by region.
 * size: usable bytes of a used block, payload bytes of a free one.
 * Return false to stop. The heap must not be changed during the walk. */
typedef bool (*xalloc_walk_fn)(void *user, void *ptr, size_t size, bool used);

XALLOC_DEF xalloc_heap *xalloc_init(void *mem, size_t size, const xalloc_desc *desc);
XALLOC_DEF bool   xalloc_add_region(xalloc_heap *h, void *mem, size_t size);
XALLOC_DEF void  *xalloc_alloc(xalloc_heap *h, size_t size);
XALLOC_DEF void  *xalloc_calloc(xalloc_heap *h, size_t count, size_t size);
XALLOC_DEF void  *xalloc_aligned_alloc(xalloc_heap *h, size_t align, size_t size);
XALLOC_DEF void  *xalloc_realloc(xalloc_heap *h, void *ptr, size_t size);
XALLOC_DEF void  *xalloc_realloc_aligned(xalloc_heap *h, void *ptr, size_t align, size_t size);
XALLOC_DEF void   xalloc_free(xalloc_heap *h, void *ptr);
XALLOC_DEF size_t xalloc_usable_size(xalloc_heap *h, const void *ptr);
XALLOC_DEF size_t xalloc_max_alloc(xalloc_heap *h);
XALLOC_DEF size_t xalloc_overhead(size_t region_size);
XALLOC_DEF void   xalloc_stats_get(xalloc_heap *h, xalloc_stats *out);
XALLOC_DEF void   xalloc_reset_peak(xalloc_heap *h);
#ifndef XALLOC_NO_INTROSPECTION
/* NULL when every invariant holds, else a static text naming the first one
 * that broke (also reported through the error hook as XALLOC_E_CORRUPT). */
XALLOC_DEF const char *xalloc_check(xalloc_heap *h);
XALLOC_DEF void   xalloc_walk(xalloc_heap *h, xalloc_walk_fn fn, void *user);
XALLOC_DEF void   xalloc_dump(xalloc_heap *h, xalloc_print_fn print, void *user);
#endif

#ifdef __cplusplus
}
#endif
#endif /* XALLOC_H */

/* ========================================================================= */
/*                              IMPLEMENTATION                               */
/* ========================================================================= */
#if defined(XALLOC_IMPLEMENTATION) && !defined(XALLOC_HEAP_IMPLEMENTED)
#define XALLOC_HEAP_IMPLEMENTED

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
#define XALLOC__G          ((size_t)(XALLOC_ALIGNMENT))
/* log2(G), so that every division by G is a shift even at -O0 */
#define XALLOC__GLOG2      (XALLOC__G == 8 ? 3u : XALLOC__G == 16 ? 4u : XALLOC__G == 32 ? 5u : XALLOC__G == 64 ? 6u : \
                            XALLOC__G == 128 ? 7u : XALLOC__G == 256 ? 8u : XALLOC__G == 512 ? 9u : 10u)
#define XALLOC__P          sizeof(void *)
#define XALLOC__HDR        4u                        /* header bytes             */
#define XALLOC__USED       1u                        /* header flag bits         */
#define XALLOC__PREV_USED  2u
#define XALLOC__QUICK      4u
#define XALLOC__FLAGS      7u
#define XALLOC__SHIFT      3u                        /* granules start at bit 3  */
#define XALLOC__MAX_GRAN   ((uint32_t)0x1FFFFFFFu)   /* 29-bit granule count     */
#define XALLOC__SL         (1u << XALLOC_SL_LOG2)     /* classes per power of two */
/* Smallest block: header, two links, footer; and never one granule, which
 * is a fence's size. */
#define XALLOC__MIN_GRAN   ((uint32_t)(XALLOC__MR_BLOCK >> XALLOC__GLOG2)) /* one definition, beside XALLOC_MIN_REGION */
/* Extra bytes a used block carries at level 3: the requested size. */
#define XALLOC__TAIL       (XALLOC_DEBUG >= 3 ? 4u : 0u)

/* XALLOC__HOT: a hot-path step, forced inline when optimizing for speed
 * (at -Os the compiler weighs each call). XALLOC__TINY: a few instructions
 * that fold into their caller's arithmetic, inlined in every build (out of
 * line they cost more than their body: the call and its argument moves). */
#if defined(__GNUC__) || defined(__clang__)
#define XALLOC__TINY static inline __attribute__((always_inline))
#else
#define XALLOC__TINY static inline
#endif
#if (defined(__GNUC__) || defined(__clang__)) && !defined(__OPTIMIZE_SIZE__)
#define XALLOC__HOT XALLOC__TINY
#else
#define XALLOC__HOT static inline
#endif

typedef char xalloc__assert_align[((XALLOC__G & (XALLOC__G - 1)) == 0 && XALLOC__G >= 8 && XALLOC__G <= 1024) ? 1 : -1];
typedef char xalloc__assert_sl[(XALLOC_SL_LOG2 >= 1 && XALLOC_SL_LOG2 <= 5) ? 1 : -1];
typedef char xalloc__assert_ptr[(XALLOC__P <= XALLOC__G) ? 1 : -1];
typedef char xalloc__assert_quick[(XALLOC_QUICK >= 0 && XALLOC_QUICK <= 255) ? 1 : -1];
typedef char xalloc__assert_min_region[(XALLOC_MIN_REGION <= 2 * XALLOC__MR_GUESS && 2 * XALLOC__MR_GUESS / XALLOC__MR_G < 65536) ? 1 : -1];
#if defined(XALLOC_NO_INTROSPECTION) && XALLOC_DEBUG >= 4
#error "XALLOC_DEBUG 4 runs xalloc_check on every call: it needs the introspection (drop XALLOC_NO_INTROSPECTION)"
#endif

/* A region: the heap's first region record is inside the heap; each added
 * region starts with its own. Blocks run from `first` to the sentinel whose
 * payload address is `end`. */
typedef struct xalloc__region {
    struct xalloc__region *next;
    unsigned char *mem, *first, *end;
    size_t bytes; /* mem and bytes: as handed to init/add_region */
} xalloc__region;

/* The heap record, at the (G-aligned) start of the first region. After it,
 * in the same memory:
 *   unsigned char *bins[nfl * SL];  free lists (doubly linked), one per class
 *   unsigned char *quick[nquick];   quick lists (singly linked), small classes
 *   uint32_t       sl_map[nfl + 1]; bit 31-s of sl_map[f]: bins[f*SL+s] non-empty
 *   uint8_t        qcount[nquick];  blocks on each quick list
 * fl_map bit 31-f is set iff sl_map[f] != 0. sl_map[nfl] is always 0, so a
 * search that starts one past the last bin finds nothing without a bounds
 * test. The bits run from the top (XALLOC__BIT) so that the first non-empty
 * bin at or after a position is a count of leading zeros: one instruction
 * (CLZ, LZCNT), where a count of trailing zeros is four on ARMv7-M. */
struct xalloc_heap {
    uint32_t        fl_map;
    uint32_t        nfl;        /* first-level classes in the table              */
    uint32_t        nquick;     /* classes with a quick list (0 if XALLOC_QUICK 0) */
    uint32_t        max_gran;   /* largest block, in granules                    */
    unsigned char **bins;
    unsigned char **quick;
    uint32_t       *sl_map;
    uint8_t        *qcount;
    xalloc__region  region;     /* the first region                              */
    size_t          block_bytes; /* in blocks, all regions (their number and
                                    bytes: a walk of the region list)        */
    size_t          used;       /* bytes in blocks the caller holds              */
    size_t          peak, free_blocks;
    size_t          live;       /* blocks the caller holds                       */
    size_t          quick_bytes; /* in quick lists (0 iff they are empty)       */
    /* Outcomes of the allocating calls: [0] blocks handed out, [1] NULL
     * returns; 64-bit, so that they never wrap. Frees are not counted:
     * every free ends a live block, so frees = [0] - live (an in-place
     * realloc counts one of each), and the free path pays for no 64-bit add. */
    uint64_t        outcomes[2];
    xalloc_hooks    hooks;
#ifndef XALLOC_NO_INTROSPECTION
    xalloc_trace_fn trace;
#endif
};
typedef char xalloc__assert_rec[(sizeof(struct xalloc_heap) <= XALLOC__MR_REC) ? 1 : -1]; /* XALLOC_MIN_REGION counts on it */

/* ---- block access: the only code that knows the block format -------------- */
/* Under ASan/valgrind everything in the block space but the caller's bytes
 * is hidden from the program (headers, links, footers, poison, slack), as
 * malloc's metadata is; the allocator reaches it only through these
 * accessors, which the tools do not watch (and which do not change what is
 * hidden: a wild pointer's "header" may be a caller's byte). Without a
 * sanitizer they are plain loads and stores. */
#ifdef XALLOC__SANITIZING
XALLOC__NOSAN static unsigned char *xalloc__ldp(const unsigned char *at)
{
    unsigned char *v;
    XALLOC__QUIET_BEGIN;
    v = *(unsigned char *const volatile *)(const void *)at;
    XALLOC__QUIET_END;
    XALLOC__LAUNDER(v);
    return v;
}
XALLOC__NOSAN static void xalloc__stp(unsigned char *at, unsigned char *v)
{
    XALLOC__QUIET_BEGIN;
    *(unsigned char *volatile *)(void *)at = v;
    XALLOC__QUIET_END;
}
XALLOC__NOSAN static uint32_t xalloc__ld32(const unsigned char *at)
{
    uint32_t v;
    XALLOC__QUIET_BEGIN;
    v = *(const volatile uint32_t *)(const void *)at;
    XALLOC__QUIET_END;
    XALLOC__LAUNDER(v);
    return v;
}
XALLOC__NOSAN static void xalloc__st32(unsigned char *at, uint32_t v)
{
    XALLOC__QUIET_BEGIN;
    *(volatile uint32_t *)(void *)at = v;
    XALLOC__QUIET_END;
}
/* Byte fill, compare and copy over memory that may be hidden. */
XALLOC__NOSAN XALLOC__PRIV void xalloc__fill(unsigned char *d, int c, size_t n)
{
    XALLOC__QUIET_BEGIN;
    while (n--) *(volatile unsigned char *)d++ = (unsigned char)c;
    XALLOC__QUIET_END;
}
XALLOC__NOSAN XALLOC__PRIV bool xalloc__all(const unsigned char *d, int c, size_t n)
{
    bool ok = true;
    XALLOC__QUIET_BEGIN;
    for (; n && ok; n--) ok = *(const volatile unsigned char *)d++ == (unsigned char)c;
    XALLOC__QUIET_END;
    XALLOC__LAUNDER(ok);
    return ok;
}
XALLOC__NOSAN XALLOC__PRIV void xalloc__copy(unsigned char *d, const unsigned char *s, size_t n)
{
    XALLOC__QUIET_BEGIN;
    while (n--) *(volatile unsigned char *)d++ = *(const volatile unsigned char *)s++;
    XALLOC__QUIET_END;
}
#else
#define xalloc__ldp(at)     (*(unsigned char *const *)(const void *)(at))
#define xalloc__stp(at, v)  (*(unsigned char **)(void *)(at) = (v))
#define xalloc__ld32(at)    (*(const uint32_t *)(const void *)(at))
#define xalloc__st32(at, v) (*(uint32_t *)(void *)(at) = (v))
#define xalloc__fill(d, c, n) ((void)XALLOC_MEMSET((d), (c), (n)))
#define xalloc__copy(d, s, n) ((void)XALLOC_MEMCPY((d), (s), (n)))
XALLOC__PRIV bool xalloc__all(const unsigned char *d, int c, size_t n)
{
    for (; n; n--)
        if (*d++ != (unsigned char)c) return false;
    return true;
}
#endif
/* The header: the 4 bytes before the payload address b. */
#define xalloc__hdr(b)        xalloc__ld32((const unsigned char *)(b) - XALLOC__HDR)
#define xalloc__put_hdr(b, w) xalloc__st32((unsigned char *)(b) - XALLOC__HDR, (w))
static inline uint32_t xalloc__gran(uint32_t hdr)   { return hdr >> XALLOC__SHIFT; }
static inline size_t   xalloc__bytes(uint32_t gran) { return (size_t)gran << XALLOC__GLOG2; }
static inline unsigned char *xalloc__next(const unsigned char *b) { return (unsigned char *)(uintptr_t)b + xalloc__bytes(xalloc__gran(xalloc__hdr(b))); }
static inline void xalloc__set_hdr(unsigned char *b, uint32_t gran, uint32_t flags) { xalloc__put_hdr(b, gran << XALLOC__SHIFT | flags); }
/* A free block's links are its first two words; a quick block uses the first. */
#define xalloc__nxt(b)        xalloc__ldp(b)
#define xalloc__prv(b)        xalloc__ldp((b) + XALLOC__P)
#define xalloc__set_nxt(b, v) xalloc__stp((b), (v))
#define xalloc__set_prv(b, v) xalloc__stp((b) + XALLOC__P, (v))
/* Footer of the block that ends where b's header starts (valid only when
 * that block is free): the 4 bytes before b's header. */
#define xalloc__prev_footer(b)        xalloc__ld32((b) - XALLOC__HDR - 4)
#define xalloc__set_footer(end, gran) xalloc__st32((end) - XALLOC__HDR - 4, (gran))


/* ---- size classes and bins ------------------------------------------------ */
#define XALLOC__BIT(i) (0x80000000u >> (i)) /* bitmap bit of bin or level i */
/* Leading zeros of x != 0 (one CLZ instruction where the target has it). */
static inline uint32_t xalloc__clz32(uint32_t x) { return 31u - xalloc__log2_32(x); }

/* Class of a block of `gran` granules: exact below 2*SL granules, then SL
 * classes per power of two. Monotone in gran. One bit scan, no branch:
 * with s = log2(gran | SL) - log2(SL), gran >> s keeps the top
 * XALLOC_SL_LOG2 + 1 bits of gran (in SL..2*SL-1 once gran >= SL), and
 * each step of s adds SL classes. Below SL, s = 0 and the class is gran. */
static inline uint32_t xalloc__class(uint32_t gran)
{
    uint32_t s = xalloc__log2_32(gran | XALLOC__SL) - XALLOC_SL_LOG2;
    return s * XALLOC__SL + (gran >> s);
}

/* Make b a free block of gran granules and push it onto the bin of its
 * class: the only way a block becomes free, so header, footer and bin
 * always agree. Its predecessor is used (free neighbours are merged
 * first). O(1): header, footer, b's links, the old head's back-link, two
 * bitmap bits. */
XALLOC__HOT void xalloc__insert(xalloc_heap *h, unsigned char *b, uint32_t gran)
{
    uint32_t c = xalloc__class(gran);
    unsigned char *head = h->bins[c];
    xalloc__set_hdr(b, gran, XALLOC__PREV_USED);
    xalloc__set_footer(b + xalloc__bytes(gran), gran);
    xalloc__set_nxt(b, head);
    xalloc__set_prv(b, NULL);
    if (head) xalloc__set_prv(head, b);
    h->bins[c] = b;
    h->sl_map[c / XALLOC__SL] |= XALLOC__BIT(c % XALLOC__SL);
    h->fl_map |= XALLOC__BIT(c / XALLOC__SL);
    h->free_blocks++;
}

/* Remove free block b from its bin. O(1). Only the head of a bin needs
 * its class (from its header, one bit scan), to update the bin and the
 * bitmaps. */
XALLOC__HOT void xalloc__unlink(xalloc_heap *h, unsigned char *b)
{
    unsigned char *next = xalloc__nxt(b), *prev = xalloc__prv(b);
    if (next) xalloc__set_prv(next, prev);
    if (prev) {
        xalloc__set_nxt(prev, next);
    } else {
        uint32_t c = xalloc__class(xalloc__gran(xalloc__hdr(b)));
        if ((h->bins[c] = next) == NULL) {
            uint32_t fl = c / XALLOC__SL;
            if ((h->sl_map[fl] &= ~XALLOC__BIT(c % XALLOC__SL)) == 0) h->fl_map &= ~XALLOC__BIT(fl);
        }
    }
    h->free_blocks--;
}

/* Head of the first non-empty bin with index >= c, or NULL; c <= nfl * SL
 * (one past the last bin reads the zero sl_map[nfl]). Two bit scans. */
static inline unsigned char *xalloc__first_free(const xalloc_heap *h, uint32_t c)
{
    uint32_t fl = c / XALLOC__SL, m = h->sl_map[fl] & (~0u >> (c % XALLOC__SL));
    if (!m) {
        uint32_t fm = h->fl_map & (~0u >> fl >> 1); /* levels above fl */
        if (!fm) return NULL;
        fl = xalloc__clz32(fm);
        m = h->sl_map[fl];
    }
    return h->bins[fl * XALLOC__SL + xalloc__clz32(m)];
}

/* ---- debugging aids (compiled out below their level) ---------------------- */
static void xalloc__report(const xalloc_heap *h, xalloc_error e, const void *p, const char *what)
{
    if (h->hooks.error) h->hooks.error(h->hooks.user, e, (uintptr_t)p, what);
}

#if XALLOC_DEBUG >= 2
#define XALLOC__POISON_WORD ((uint32_t)XALLOC_POISON_BYTE * 0x01010101u)
/* Level 2 keeps everything of a free block but its header, links and footer
 * (and everything of a quick block but its header and links) filled with
 * XALLOC_POISON_BYTE, and checks the fill when the memory is handed out.
 * from <= to at every call of both (a block holds a header, two links and a
 * footer; equal for a smallest block when 2P + 8 is a whole number of
 * granules, as with 8-byte granules). */
static void xalloc__poison(unsigned char *from, const unsigned char *to)
{
    xalloc__fill(from, XALLOC_POISON_BYTE, (size_t)(to - from));
}
static bool xalloc__poisoned(const unsigned char *from, const unsigned char *to)
{
    return xalloc__all(from, XALLOC_POISON_BYTE, (size_t)(to - from));
}
/* The interior of free block b of g granules: all but its links, its
 * footer and the next block's header. */
static bool xalloc__free_poisoned(const unsigned char *b, uint32_t g)
{
    return xalloc__poisoned(b + 2 * XALLOC__P, b + xalloc__bytes(g) - 8);
}
#endif

#if XALLOC_DEBUG >= 3
/* Level 3 keeps, in the last 4 bytes of a used block's payload (the tail),
 * the length of the canary: the bytes between the request and the tail,
 * filled with XALLOC_CANARY_BYTE. The length is stored multiplied by an odd
 * constant and mixed with the block's address, so that an overrun reaching
 * into the tail (or a stray copy of another block's tail) decodes to a
 * length spread over all 32 bits: it passes only if that length is at most
 * the payload and every byte it covers is a canary byte (odds about
 * payload / 2^32 times 2^-8 per byte). A plain size would not do: a
 * one-byte overrun of the canary's last byte and the size's low byte can
 * turn the size into exactly the payload, which leaves no canary to check. */
#define XALLOC__TAIL_MUL 2654435761u /* odd: invertible modulo 2^32 */
#define XALLOC__TAIL_INV 244002641u  /* XALLOC__TAIL_MUL * XALLOC__TAIL_INV == 1 (mod 2^32) */
static inline uint32_t xalloc__tail_key(const unsigned char *b) { return (uint32_t)((uintptr_t)b >> 4) * 2654435761u; }
static void xalloc__canary_set(unsigned char *b, size_t req)
{
    unsigned char *tail = xalloc__next(b) - XALLOC__HDR - 4;
    size_t gap = (size_t)(tail - (b + req));
    xalloc__fill(b + req, XALLOC_CANARY_BYTE, gap);
    xalloc__st32(tail, ((uint32_t)gap * XALLOC__TAIL_MUL) ^ xalloc__tail_key(b));
}
/* Requested size of used block b, or SIZE_MAX if its canary is damaged. */
static size_t xalloc__canary_req(const unsigned char *b)
{
    const unsigned char *tail = xalloc__next(b) - XALLOC__HDR - 4;
    uint32_t g = (xalloc__ld32(tail) ^ xalloc__tail_key(b)) * XALLOC__TAIL_INV; /* mod 2^32 */
    size_t gap = g;
    if (gap > (size_t)(tail - b)) return SIZE_MAX;
    return xalloc__all(tail - gap, XALLOC_CANARY_BYTE, gap) ? (size_t)(tail - b) - gap : SIZE_MAX;
}
#endif

/* Bytes the caller may use in used block b. */
static inline size_t xalloc__usable(const unsigned char *b)
{
#if XALLOC_DEBUG >= 3
    return xalloc__canary_req(b);
#else
    return xalloc__bytes(xalloc__gran(xalloc__hdr(b))) - XALLOC__HDR;
#endif
}

/* The region whose block space holds b, or NULL. O(R), R = regions. */
XALLOC__PRIV const xalloc__region *xalloc__region_of(const xalloc_heap *h, const unsigned char *b)
{
    const xalloc__region *r;
    for (r = &h->region; r; r = r->next)
        if (b >= r->first && b < r->end) return r;
    return NULL;
}

#if XALLOC_DEBUG >= 1
/* Does a free block that ends at `end` (a block start in region r, read from
 * the footer before it) contain b? Then b is a stale header: b was freed
 * and merged into that block, and is being freed again. The callers have
 * checked that end <= r->end. */
static bool xalloc__in_free(const xalloc_heap *h, const xalloc__region *r, const unsigned char *b, const unsigned char *end)
{
    uint32_t fn;
    const unsigned char *fb;
    if (end <= b) return false;
    fn = xalloc__prev_footer(end);
    if (fn < XALLOC__MIN_GRAN || fn > h->max_gran || (size_t)(end - r->first) < xalloc__bytes(fn)) return false;
    fb = end - xalloc__bytes(fn); /* formed only once it is known to lie in r */
    return fb < b && xalloc__hdr(fb) == (fn << XALLOC__SHIFT | XALLOC__PREV_USED);
}

/* Validate b as a block the caller holds (level >= 1). O(R): finds b's
 * region, then reads b's header, its successor's header and, if its
 * predecessor is free, that one's footer and header; every read stays
 * inside b's region. Returns XALLOC_OK or the error to report. */
static xalloc_error xalloc__check_used(const xalloc_heap *h, const unsigned char *b)
{
    const xalloc__region *r = xalloc__region_of(h, b);
    uint32_t w, n, nw, nn;
    if (!r) return XALLOC_E_FOREIGN;
    if ((uintptr_t)b & (XALLOC__G - 1)) return XALLOC_E_NOT_BLOCK;
    w = xalloc__hdr(b);
    n = xalloc__gran(w);
#if XALLOC_DEBUG >= 2
    if (w == XALLOC__POISON_WORD) return XALLOC_E_DOUBLE_FREE; /* inside freed memory */
#endif
    if (n < XALLOC__MIN_GRAN || n > h->max_gran || (size_t)(r->end - b) < xalloc__bytes(n))
        return XALLOC_E_NOT_BLOCK;
    if (!(w & XALLOC__USED))
        return xalloc__prev_footer(b + xalloc__bytes(n)) == n ? XALLOC_E_DOUBLE_FREE : XALLOC_E_NOT_BLOCK;
    if (w & XALLOC__QUICK) return XALLOC_E_DOUBLE_FREE;
    /* successor: sentinel (0), fence (1) or a block that fits the region */
    nw = xalloc__hdr(b + xalloc__bytes(n));
    nn = xalloc__gran(nw);
    if (!(nw & XALLOC__PREV_USED)) /* it says b is free: a stale header? */
        return xalloc__in_free(h, r, b, b + xalloc__bytes(n)) ? XALLOC_E_DOUBLE_FREE : XALLOC_E_CORRUPT;
    if ((nn < XALLOC__MIN_GRAN && (nn > 1 || !(nw & XALLOC__USED))) ||
        (size_t)(r->end - b) < xalloc__bytes(n) + xalloc__bytes(nn))
        return XALLOC_E_CORRUPT;
    if (!(w & XALLOC__PREV_USED)) {
        uint32_t pn = xalloc__prev_footer(b), pw;
        const unsigned char *pb;
        size_t pbytes;
        if (pn < XALLOC__MIN_GRAN || pn > h->max_gran || (size_t)(b - r->first) < xalloc__bytes(pn))
            return XALLOC_E_CORRUPT;
        pb = b - xalloc__bytes(pn);
        pw = xalloc__hdr(pb);
        if (pw != (pn << XALLOC__SHIFT | XALLOC__PREV_USED)) {
            pbytes = xalloc__bytes(xalloc__gran(pw)); /* what pb's header claims: may be anything */
            return (size_t)(r->end - pb) >= pbytes && xalloc__in_free(h, r, b, pb + pbytes) ? XALLOC_E_DOUBLE_FREE
                                                                                         : XALLOC_E_CORRUPT;
        }
    }
#if XALLOC_DEBUG >= 3
    if (xalloc__canary_req(b) == SIZE_MAX) return XALLOC_E_OVERRUN;
#endif
    return XALLOC_OK;
}

static const char *xalloc__what(xalloc_error e)
{
    switch (e) {
    case XALLOC_E_FOREIGN:     return "pointer outside the heap";
    case XALLOC_E_NOT_BLOCK:   return "not the start of a used block (or its header is damaged)";
    case XALLOC_E_DOUBLE_FREE: return "block is already free";
    case XALLOC_E_OVERRUN:     return "canary after the block overwritten";
    default:                   return "neighbouring block's header or back-link damaged";
    }
}
#endif

/* Is ptr a block the caller holds? Reports and returns false if not. */
static bool xalloc__valid(const xalloc_heap *h, const void *ptr)
{
#if XALLOC_DEBUG >= 1
    xalloc_error e = xalloc__check_used(h, (const unsigned char *)ptr);
    if (XALLOC__UNLIKELY(e != XALLOC_OK)) {
        xalloc__report(h, e, ptr, xalloc__what(e));
        return false;
    }
#endif
    (void)h; (void)ptr;
    return true;
}

/* ---- entry and exit of every public call ----------------------------------- */
/* The trace hook, where there is one (not with XALLOC_NO_INTROSPECTION). */
#ifndef XALLOC_NO_INTROSPECTION
#define XALLOC__TRACE(h, op, p, n) do { if ((h)->trace) (h)->trace((h)->hooks.user, (op), (p), (n)); } while (0)
#else
#define XALLOC__TRACE(h, op, p, n) ((void)sizeof(p), (void)sizeof(n)) /* no evaluation */
#endif
static inline void xalloc__lock(const xalloc_heap *h)   { if (h->hooks.lock) h->hooks.lock(h->hooks.user); }
static inline void xalloc__unlock(const xalloc_heap *h) { if (h->hooks.lock) h->hooks.unlock(h->hooks.user); }
#if XALLOC_DEBUG >= 4
static const char *xalloc__check_locked(const xalloc_heap *h);
static bool xalloc__full_check(const xalloc_heap *h)
{
    const char *why = xalloc__check_locked(h);
    if (why) xalloc__report(h, XALLOC_E_CORRUPT, NULL, why);
    return why == NULL;
}
#define XALLOC__FULL_CHECK(h) xalloc__full_check(h)
#else
#define XALLOC__FULL_CHECK(h) true
#endif

/* ---- the core ------------------------------------------------------------- */
/* Granules for a request of `size` bytes, or 0 if no block can be that big. */
XALLOC__TINY uint32_t xalloc__req_gran(const xalloc_heap *h, size_t size)
{
    size_t g;
    if (size > xalloc__bytes(h->max_gran) - XALLOC__HDR - XALLOC__TAIL) return 0;
    g = (size + XALLOC__HDR + XALLOC__TAIL + XALLOC__G - 1) >> XALLOC__GLOG2;
    return g < XALLOC__MIN_GRAN ? XALLOC__MIN_GRAN : (uint32_t)g;
}

/* Find a free block of at least n granules and unlink it, or NULL.
 *   1. the head of n's own class, if it is large enough;        O(1)
 *   2. the head of the first non-empty larger class;             O(1)
 *   3. any block of n's own class that is large enough.          O(bin)
 * Step 3 runs only when steps 1 and 2 found nothing. n <= max_gran (every
 * caller sizes its request by xalloc__req_gran or against max_gran), so c
 * is a bin. */
XALLOC__HOT unsigned char *xalloc__take(xalloc_heap *h, uint32_t n)
{
    uint32_t c = xalloc__class(n);
    unsigned char *f, *g;
    XALLOC_ASSERT(c < h->nfl * XALLOC__SL);
    f = h->bins[c];
    if (!f || xalloc__gran(xalloc__hdr(f)) < n) {
        if (XALLOC__LIKELY((g = xalloc__first_free(h, c + 1)) != NULL))
            f = g;
        else
            while (f && xalloc__gran(xalloc__hdr(f)) < n) f = xalloc__nxt(f);
    }
    if (f) xalloc__unlink(h, f);
    return f;
}

/* Turn b, an unlinked free block (its header gives its size `have` and a
 * true PREV_USED bit), into a used block of n <= have granules: the rest
 * becomes a free block if it can hold one, else stays in b.
 *
 *   [ b: have ............................ ][ next ]
 *   [ b: n (used) ][ rest: have-n (free) ][ next ]
 */
XALLOC__HOT void xalloc__carve(xalloc_heap *h, unsigned char *b, uint32_t n)
{
    uint32_t w = xalloc__hdr(b), have = xalloc__gran(w);
    if (have - n >= XALLOC__MIN_GRAN) {
        unsigned char *rest = b + xalloc__bytes(n);
        xalloc__insert(h, rest, have - n);
    } else {
        unsigned char *nx = b + xalloc__bytes(have);
        n = have;
        xalloc__put_hdr(nx, xalloc__hdr(nx) | XALLOC__PREV_USED);
    }
    xalloc__set_hdr(b, n, XALLOC__USED | (w & XALLOC__PREV_USED));
    h->used += xalloc__bytes(n);
    if (h->used > h->peak) h->peak = h->used;
}

/* Last step of every allocation: b is a used block of the right size. */
XALLOC__HOT void *xalloc__finish(xalloc_heap *h, unsigned char *b, size_t req)
{
#if XALLOC_DEBUG >= 3
    xalloc__canary_set(b, req);
#endif
    XALLOC__ON_ALLOC(h, b, xalloc__usable(b)); /* what usable_size promises */
    h->live++; /* allocs: counted by the public call (xalloc__counted) */
    XALLOC__TRACE(h, XALLOC_TRACE_ALLOC, b, req);
    return b;
}

/* Every public call that allocates ends here with its result: a block is
 * an allocation, NULL a failure; one 64-bit add either way. */
static inline void *xalloc__counted(xalloc_heap *h, void *p)
{
    h->outcomes[p == NULL]++;
    return p;
}

/* Hand out b (just unlinked from a bin) as a block of n granules. */
XALLOC__HOT void *xalloc__hand_out(xalloc_heap *h, unsigned char *b, uint32_t n, size_t req)
{
#if XALLOC_DEBUG >= 2
    {   /* all but the links, and the footer if it stays inside */
        uint32_t have = xalloc__gran(xalloc__hdr(b));
        unsigned char *end = b + (have - n >= XALLOC__MIN_GRAN ? xalloc__bytes(n) - XALLOC__HDR : xalloc__bytes(have) - 8);
        if (!xalloc__poisoned(b + 2 * XALLOC__P, end))
            xalloc__report(h, XALLOC_E_USE_AFTER_FREE, b, "freed memory was written to");
    }
#endif
    xalloc__carve(h, b, n);
    return xalloc__finish(h, b, req);
}

/* Return used block b (stats already updated) to the bins, merging with
 * free neighbours:
 *
 *   [ prev (free) ][ b ][ next (free) ]  =>  [ ------- prev ------- ]
 *   [ prev (used) ][ b ][ next (free) ]  =>  [ prev ][ ---- b ---- ]
 *   [ prev (free) ][ b ][ next (used) ]  =>  [ ---- prev ---- ][ next ]
 */
static void xalloc__release(xalloc_heap *h, unsigned char *b)
{
    uint32_t w = xalloc__hdr(b), n = xalloc__gran(w);
    unsigned char *nx = b + xalloc__bytes(n);
    uint32_t nw = xalloc__hdr(nx);
#if XALLOC_DEBUG >= 2
    xalloc__poison(b, nx - XALLOC__HDR);
#endif
    if (!(nw & XALLOC__USED)) {
        uint32_t ng = xalloc__gran(nw);
        xalloc__unlink(h, nx);
        n += ng;
#if XALLOC_DEBUG >= 2
        xalloc__poison(nx - XALLOC__HDR, nx + 2 * XALLOC__P);
#endif
    } else {
        xalloc__put_hdr(nx, nw & ~XALLOC__PREV_USED);
    }
    if (!(w & XALLOC__PREV_USED)) {
        uint32_t pn = xalloc__prev_footer(b);
        unsigned char *pb = b - xalloc__bytes(pn);
        xalloc__unlink(h, pb);
#if XALLOC_DEBUG >= 2
        xalloc__poison(b - XALLOC__HDR - 4, b);
#endif
        n += pn;
        b = pb;
    }
    xalloc__insert(h, b, n);
}

/* Quick lists (XALLOC_QUICK > 0): up to XALLOC_QUICK freed blocks per class
 * (of the first XALLOC_QUICK_CLASSES) wait, still marked used (and QUICK),
 * for a request of their class. A hit costs a pop and a header write; no
 * split, no merge, no bitmap. They are merged back (flushed, O(blocks held))
 * when the heap fills past half, before any request could fail (so they
 * never cause an out-of-memory), and before stats and max_alloc answer. */
#if XALLOC_QUICK > 0
/* Quick lists take blocks only while the heap is less than half full (in
 * use or cached): caching in a fuller heap pins memory that merging needs. */
static inline bool xalloc__quick_open(const xalloc_heap *h)
{
    return h->used + h->quick_bytes < h->block_bytes / 2;
}

static void xalloc__flush(xalloc_heap *h)
{
    uint32_t c;
    for (c = 0; h->quick_bytes && c < h->nquick; c++) {
        unsigned char *b;
        while ((b = h->quick[c]) != NULL) {
            h->quick[c] = xalloc__nxt(b);
            h->quick_bytes -= xalloc__bytes(xalloc__gran(xalloc__hdr(b)));
            xalloc__put_hdr(b, xalloc__hdr(b) & ~XALLOC__QUICK);
            xalloc__release(h, b);
        }
        h->qcount[c] = 0;
    }
}
#define XALLOC__FLUSHED(h) ((h)->quick_bytes ? (xalloc__flush(h), true) : false)
#else
#define XALLOC__FLUSHED(h) false
#endif

/* Free used block b, already validated. */
XALLOC__HOT void xalloc__free_block(xalloc_heap *h, unsigned char *b)
{
    uint32_t w = xalloc__hdr(b), n = xalloc__gran(w);
    XALLOC__TRACE(h, XALLOC_TRACE_FREE, b, xalloc__usable(b));
    XALLOC__ON_FREE(h, b);
    XALLOC__HIDE(b, xalloc__bytes(n) - XALLOC__HDR);
    h->used -= xalloc__bytes(n);
    h->live--;
#if XALLOC_QUICK > 0
    {
        uint32_t c = xalloc__class(n);
        /* only blocks with no free neighbour: those would merge */
        if (c < h->nquick && h->qcount[c] < XALLOC_QUICK && xalloc__quick_open(h) && (w & XALLOC__PREV_USED) &&
            (xalloc__hdr(b + xalloc__bytes(n)) & XALLOC__USED)) {
#if XALLOC_DEBUG >= 2
            xalloc__poison(b, b + xalloc__bytes(n) - XALLOC__HDR);
#endif
            xalloc__put_hdr(b, w | XALLOC__QUICK);
            xalloc__set_nxt(b, h->quick[c]);
            h->quick[c] = b;
            h->qcount[c]++;
            h->quick_bytes += xalloc__bytes(n);
            return;
        }
    }
#endif
    (void)w;
    xalloc__release(h, b);
}

/* Allocate req bytes at the default alignment, or NULL. */
XALLOC__HOT void *xalloc__alloc_plain(xalloc_heap *h, size_t req)
{
    uint32_t n = xalloc__req_gran(h, req);
    unsigned char *b;
    if (XALLOC__UNLIKELY(n == 0)) return NULL;
#if XALLOC_QUICK > 0
    {   /* the head of n's quick list, if large enough */
        uint32_t c = xalloc__class(n), w;
        if (c < h->nquick && (b = h->quick[c]) != NULL && xalloc__gran(w = xalloc__hdr(b)) >= n) {
            h->quick[c] = xalloc__nxt(b);
            h->qcount[c]--;
            h->quick_bytes -= xalloc__bytes(xalloc__gran(w));
#if XALLOC_DEBUG >= 2
            if (!xalloc__poisoned(b + XALLOC__P, b + xalloc__bytes(xalloc__gran(w)) - XALLOC__HDR))
                xalloc__report(h, XALLOC_E_USE_AFTER_FREE, b, "freed memory was written to");
#endif
            xalloc__put_hdr(b, w & ~XALLOC__QUICK);
            h->used += xalloc__bytes(xalloc__gran(w));
            if (h->used > h->peak) h->peak = h->used;
            return xalloc__finish(h, b, req);
        }
    }
    if (XALLOC__UNLIKELY(h->quick_bytes != 0) && !xalloc__quick_open(h))
        xalloc__flush(h); /* the heap filled up past half: merge them back */
#endif
    b = xalloc__take(h, n);
    if (XALLOC__UNLIKELY(!b) && XALLOC__FLUSHED(h)) b = xalloc__take(h, n);
    return b ? xalloc__hand_out(h, b, n, req) : NULL;
}

/* ---- regions --------------------------------------------------------------- */
/* Lay out blocks over [p, end) (both G-aligned payload addresses, at least
 * a smallest block apart): free segments of at most max_gran granules
 * separated by 1-granule fences, then a sentinel. Returns the sentinel's
 * payload address. A fence is laid only where a smallest block follows it,
 * so every pass of the loop has room for a segment. */
static unsigned char *xalloc__lay_out(xalloc_heap *h, unsigned char *p, const unsigned char *end)
{
    size_t t = (size_t)(end - p) >> XALLOC__GLOG2;
    XALLOC__HIDE(p - XALLOC__HDR, (size_t)(end - p));
    for (;;) {
        uint32_t seg = t > h->max_gran ? h->max_gran : (uint32_t)t;
        xalloc__insert(h, p, seg);
#if XALLOC_DEBUG >= 2
        xalloc__poison(p + 2 * XALLOC__P, p + xalloc__bytes(seg) - 8);
#endif
        h->block_bytes += xalloc__bytes(seg);
        p += xalloc__bytes(seg);
        t -= seg;
        if (t < 1 + XALLOC__MIN_GRAN) break;
        xalloc__set_hdr(p, 1, XALLOC__USED); /* fence */
        p += XALLOC__G;
        t -= 1;
    }
    xalloc__set_hdr(p, 0, XALLOC__USED); /* sentinel (0 granules) after a free block */
    return p;
}

/* The room test of init and add_region: [mem, mem+size) ends below the top
 * of the address space, and holds what comes before `first` (records and
 * tables, up to the first block's G-aligned payload address: no wrap
 * either) and then, up to `end` (mem + size rounded down to G), a smallest
 * block. */
static inline bool xalloc__room(const void *mem, size_t size, uintptr_t first, uintptr_t end)
{
    return mem && (uintptr_t)mem + size > (uintptr_t)mem && first > (uintptr_t)mem && first <= end &&
           end - first >= xalloc__bytes(XALLOC__MIN_GRAN);
}

/* Set up region record r over [mem, mem+size), its blocks over [first,
 * end): both G-aligned payload addresses, at least a smallest block apart
 * (the caller has checked). */
static void xalloc__add(xalloc_heap *h, xalloc__region *r, unsigned char *mem, size_t size, uintptr_t first, uintptr_t end)
{
    r->mem = mem;
    r->first = (unsigned char *)first;
    r->bytes = size;
    r->end = xalloc__lay_out(h, r->first, (unsigned char *)end);
}

static inline uintptr_t xalloc__align_up(uintptr_t a, uintptr_t to) { return (a + to - 1) & ~(to - 1); }

/* Size of the heap record and its tables for blocks of up to max_gran. */
static size_t xalloc__meta_size(uint32_t max_gran, uint32_t *nfl, uint32_t *nquick)
{
    *nfl = xalloc__class(max_gran) / XALLOC__SL + 1;
    *nquick = XALLOC_QUICK > 0 ? *nfl * XALLOC__SL : 0;
    if (*nquick > XALLOC_QUICK_CLASSES) *nquick = XALLOC_QUICK_CLASSES;
    return sizeof(xalloc_heap) + *nfl * (XALLOC__SL * XALLOC__P + sizeof(uint32_t)) + sizeof(uint32_t) +
           *nquick * (XALLOC__P + 1);
}

static uint32_t xalloc__max_gran_for(size_t bytes)
{
    size_t g = bytes >> XALLOC__GLOG2;
    if (g > XALLOC__MAX_GRAN) return XALLOC__MAX_GRAN;
    return g < XALLOC__MIN_GRAN ? XALLOC__MIN_GRAN : (uint32_t)g;
}

XALLOC_DEF size_t xalloc_overhead(size_t region_size)
{
    uint32_t nfl, nquick;
    size_t meta = xalloc__meta_size(xalloc__max_gran_for(region_size), &nfl, &nquick);
    /* worst-case start alignment, first header, sentinel slack */
    return meta + (XALLOC__G - 1) + XALLOC__HDR + (XALLOC__G - 1) + XALLOC__G;
}

XALLOC_DEF xalloc_heap *xalloc_init(void *mem, size_t size, const xalloc_desc *desc)
{
    uintptr_t a = xalloc__align_up((uintptr_t)mem, XALLOC__G), first, end;
    xalloc_heap *h = (xalloc_heap *)a;
    uint32_t nfl, nquick, max_gran;
    size_t meta;
    const char *why = "bad region";
    max_gran = xalloc__max_gran_for(desc && desc->max_block ? desc->max_block : size);
    meta = xalloc__meta_size(max_gran, &nfl, &nquick);
    /* After the alignment gap: the record and its tables, then (G-aligned,
     * after its header) a smallest block; tested before anything is
     * written, so a region that is too small is left untouched. */
    first = a + xalloc__align_up(meta + XALLOC__HDR, XALLOC__G);
    end = ((uintptr_t)mem + size) & ~(uintptr_t)(XALLOC__G - 1);
    if (desc && XALLOC__LONE_LOCK(desc->hooks)) {
        why = XALLOC__LONE_LOCK_TEXT;
    } else if (xalloc__room(mem, size, first, end)) {
        XALLOC__SHOW(mem, size); /* an earlier heap here may have hidden parts */
        /* The record and its tables start all zero: counters 0, lists empty
         * (a null pointer is all zero bits on every target this supports).
         * One fill, not field by field: smaller, and XALLOC_MEMSET never
         * needs libc (the fallback is a loop). */
        XALLOC_MEMSET(h, 0, meta);
        h->nfl = nfl;
        h->nquick = nquick;
        h->max_gran = max_gran;
        h->bins = (unsigned char **)(void *)(h + 1);
        h->quick = h->bins + (size_t)nfl * XALLOC__SL;
        h->sl_map = (uint32_t *)(void *)(h->quick + nquick);
        h->qcount = (uint8_t *)(h->sl_map + nfl + 1);
        if (desc) {
            h->hooks.error = desc->hooks.error;
            h->hooks.lock = desc->hooks.lock;
            h->hooks.unlock = desc->hooks.unlock;
            h->hooks.user = desc->hooks.user;
            xalloc__pair_hooks(&h->hooks);
#ifndef XALLOC_NO_INTROSPECTION
            h->trace = desc->trace;
#endif
        }
        XALLOC__POOL_CREATE(h);
        xalloc__add(h, &h->region, (unsigned char *)mem, size, first, end);
        return h;
    }
    if (desc && desc->hooks.error) desc->hooks.error(desc->hooks.user, XALLOC_E_BADARG, (uintptr_t)mem, why);
    return NULL;
}

XALLOC_DEF bool xalloc_add_region(xalloc_heap *h, void *mem, size_t size)
{
    uintptr_t a = xalloc__align_up((uintptr_t)mem, XALLOC__P);
    xalloc__region *r = (xalloc__region *)a, *last;
    /* the record, then (G-aligned, after its header) a smallest block */
    uintptr_t first = xalloc__align_up(a + sizeof *r + XALLOC__HDR, XALLOC__G);
    uintptr_t end = ((uintptr_t)mem + size) & ~(uintptr_t)(XALLOC__G - 1);
    bool ok;
    if (!h) return false;
    xalloc__lock(h);
    ok = xalloc__room(mem, size, first, end);
    for (last = &h->region; ok && last; last = last->next) /* no overlap */
        ok = (unsigned char *)mem >= last->mem + last->bytes || last->mem >= (unsigned char *)mem + size;
    if (ok) {
        XALLOC__SHOW(mem, size); /* an earlier heap here may have hidden parts */
        xalloc__add(h, r, (unsigned char *)mem, size, first, end);
        r->next = NULL;
        for (last = &h->region; last->next; last = last->next) { }
        last->next = r;
    } else {
        xalloc__report(h, XALLOC_E_BADARG, mem, "region too small or already in the heap");
    }
    xalloc__unlock(h);
    return ok;
}

/* ---- allocation -------------------------------------------------------------- */
XALLOC_DEF void *xalloc_alloc(xalloc_heap *h, size_t size)
{
    void *p = NULL;
    xalloc__lock(h);
    if (XALLOC__FULL_CHECK(h)) p = xalloc__counted(h, xalloc__alloc_plain(h, size));
    xalloc__unlock(h);
    return p;
}

XALLOC_DEF void *xalloc_calloc(xalloc_heap *h, size_t count, size_t size)
{
    /* count * size from half-width products (no division and no double-width
     * multiply: both are libgcc calls on Cortex-M0); on overflow, a request
     * for SIZE_MAX fails (and is counted) like any request too large */
    const unsigned hb = sizeof(size_t) * CHAR_BIT / 2;
    const size_t lo = ((size_t)1 << hb) - 1;
    size_t cross = (count >> hb) * (size & lo) + (size >> hb) * (count & lo);
    size_t n = (count & lo) * (size & lo) + (cross << hb);
    void *p;
    if (((count >> hb) && (size >> hb)) || (cross >> hb) || n < (cross << hb)) return xalloc_alloc(h, SIZE_MAX);
    p = xalloc_alloc(h, n);
    if (p) XALLOC_MEMSET(p, 0, n);
    return p;
}

/* Position for an `align`-aligned block of n granules inside free block b
 * (have granules): the first aligned payload address that leaves either no
 * gap or a gap that can be a free block. 0 if it does not fit. */
static uintptr_t xalloc__aligned_pos(const unsigned char *b, uint32_t have, uint32_t n, size_t align)
{
    uintptr_t s = (uintptr_t)b, end = s + xalloc__bytes(have), p = xalloc__align_up(s, align);
    if (p != s && p - s < xalloc__bytes(XALLOC__MIN_GRAN))
        p = xalloc__align_up(s + xalloc__bytes(XALLOC__MIN_GRAN), align);
    /* s <= p <= end in one compare: where no aligned address lies above s,
     * align_up wraps around to below s, and p - s is then larger than any
     * block */
    return p - s <= end - s && xalloc__bytes(n) <= end - p ? p : 0;
}

/* Aligned take: O(1) through the head of a class above a request padded
 * for the worst gap (any block there fits), else a search of every bin
 * from n's class up (bounded by the free blocks). */
static unsigned char *xalloc__take_aligned(xalloc_heap *h, uint32_t n, size_t align, uintptr_t *pos)
{
    size_t pad = (align >> XALLOC__GLOG2) + XALLOC__MIN_GRAN;
    uint32_t c = xalloc__class(n);
    unsigned char *b;
    if ((size_t)n + pad <= h->max_gran && (b = xalloc__first_free(h, xalloc__class(n + (uint32_t)pad) + 1)) != NULL) {
        *pos = xalloc__aligned_pos(b, xalloc__gran(xalloc__hdr(b)), n, align);
        xalloc__unlink(h, b);
        return b;
    }
    while ((b = xalloc__first_free(h, c)) != NULL) {
        c = xalloc__class(xalloc__gran(xalloc__hdr(b))) + 1; /* past the bin b heads */
        for (; b; b = xalloc__nxt(b)) {
            if ((*pos = xalloc__aligned_pos(b, xalloc__gran(xalloc__hdr(b)), n, align)) != 0) {
                xalloc__unlink(h, b);
                return b;
            }
        }
    }
    return NULL;
}

static inline bool xalloc__bad_align(const xalloc_heap *h, size_t align)
{
    if (align && !(align & (align - 1))) return false;
    xalloc__report(h, XALLOC_E_BADARG, NULL, "alignment is not a power of two");
    return true;
}

/* Allocate n granules at alignment align > G.
 *   [ b: free ................ ]  =>  [ gap (free) ][ p: n (used) ][ rest ] */
static void *xalloc__alloc_aligned(xalloc_heap *h, uint32_t n, size_t align, size_t req)
{
    uintptr_t pos = 0;
    unsigned char *b = xalloc__take_aligned(h, n, align, &pos), *p;
    uint32_t w, have;
    if (!b && XALLOC__FLUSHED(h)) b = xalloc__take_aligned(h, n, align, &pos);
    if (!b) return NULL;
    p = (unsigned char *)pos;
    w = xalloc__hdr(b);
    have = xalloc__gran(w);
    if (p != b) {
        uint32_t gap = (uint32_t)((size_t)(p - b) >> XALLOC__GLOG2);
        xalloc__insert(h, b, gap);
        xalloc__set_hdr(p, have - gap, 0); /* PREV_USED clear: the gap is free */
    }
    return xalloc__hand_out(h, p, n, req);
}

/* Allocation at any alignment; the lock is held. */
static void *xalloc__alloc_any(xalloc_heap *h, size_t align, size_t size)
{
    uint32_t n;
    if (align <= XALLOC__G) return xalloc__alloc_plain(h, size);
    n = xalloc__req_gran(h, size);
    return n ? xalloc__alloc_aligned(h, n, align, size) : NULL;
}

XALLOC_DEF void *xalloc_aligned_alloc(xalloc_heap *h, size_t align, size_t size)
{
    void *p = NULL;
    xalloc__lock(h);
    if (XALLOC__FULL_CHECK(h) && !xalloc__bad_align(h, align)) p = xalloc__counted(h, xalloc__alloc_any(h, align, size));
    xalloc__unlock(h);
    return p;
}

/* ---- free and realloc ------------------------------------------------------- */
XALLOC_DEF void xalloc_free(xalloc_heap *h, void *ptr)
{
    if (!ptr) return;
    xalloc__lock(h);
    if (XALLOC__FULL_CHECK(h) && xalloc__valid(h, ptr))
        xalloc__free_block(h, (unsigned char *)ptr);
    xalloc__unlock(h);
}

XALLOC_DEF size_t xalloc_usable_size(xalloc_heap *h, const void *ptr)
{
    size_t s = 0;
    if (!ptr) return 0;
    xalloc__lock(h);
    if (xalloc__valid(h, ptr)) s = xalloc__usable((const unsigned char *)ptr);
    xalloc__unlock(h);
    return s;
}

/* Resize used block b to n granules in place if it can: shrink by freeing
 * the tail, grow by absorbing a free successor. Stats follow. */
static bool xalloc__resize(xalloc_heap *h, unsigned char *b, uint32_t n)
{
    uint32_t w = xalloc__hdr(b), have = xalloc__gran(w);
    unsigned char *nx = b + xalloc__bytes(have);
    uint32_t nw = xalloc__hdr(nx);
    if (n > have) {
        /* [ b ][ next (free) ] => [ b ...... ][ rest (free) ] */
        uint32_t ng = xalloc__gran(nw);
        if ((nw & XALLOC__USED) || have + ng < n) return false;
        xalloc__unlink(h, nx);
#if XALLOC_DEBUG >= 2
        if (!xalloc__free_poisoned(nx, ng))
            xalloc__report(h, XALLOC_E_USE_AFTER_FREE, nx, "freed memory was written to");
#endif
        h->used -= xalloc__bytes(have);
        xalloc__set_hdr(b, have + ng, w & XALLOC__PREV_USED); /* one unlinked free block */
        xalloc__carve(h, b, n);
        return true;
    }
    /* Shrink: the tail goes back as a free block if it can be one, alone or
     * merged with a free successor; otherwise b keeps it.
     *   [ b ................ ][ next ] => [ b ][ tail (free) ][ next ] */
    if (have - n >= XALLOC__MIN_GRAN || (have > n && !(nw & XALLOC__USED))) {
        unsigned char *tail = b + xalloc__bytes(n);
        xalloc__set_hdr(b, n, w & XALLOC__FLAGS);
        xalloc__set_hdr(tail, have - n, XALLOC__USED | XALLOC__PREV_USED);
        XALLOC__HIDE(tail, xalloc__bytes(have - n) - XALLOC__HDR);
        h->used -= xalloc__bytes(have - n);
        xalloc__release(h, tail);
    }
    return true;
}

/* Copy n bytes down from s to d < s, front to back: the ranges may overlap,
 * so neither XALLOC_MEMCPY nor a libc memcpy will do. Under a sanitizer
 * xalloc__copy is such a loop already (and unwatched: d is free memory). */
#ifdef XALLOC__SANITIZING
#define xalloc__move_down(d, s, n) xalloc__copy((d), (s), (n))
#else
static void xalloc__move_down(unsigned char *d, const unsigned char *s, size_t n)
{
    while (n--) *d++ = *s++;
}
#endif

/* realloc's last resort, once no free block holds n granules (alloc_any
 * has failed, and has merged the quick lists back): a free predecessor of
 * b, b and a free successor together may. Then the block moves down to
 * the predecessor's start, if that has the alignment: its first `keep`
 * bytes are copied front to back, and carve frees what lies past n
 * granules. Like xalloc__resize, this changes the blocks and `used`; the
 * caller does the rest of a realloc (counts, canary, sanitizers, trace).
 *
 *   [ prev (free) ][ b (used) ][ next (free) ] => [ b' (used) ][ rest (free) ]
 *
 * The new block's start, or NULL with nothing changed if they do not hold
 * n granules. O(keep) for the copy. */
static unsigned char *xalloc__grow_down(xalloc_heap *h, unsigned char *b, uint32_t n, size_t align, size_t keep)
{
    uint32_t w = xalloc__hdr(b), have = xalloc__gran(w), pn, total;
    unsigned char *nx = b + xalloc__bytes(have), *pb;
    uint32_t nw = xalloc__hdr(nx), ng = (nw & XALLOC__USED) ? 0 : xalloc__gran(nw);
    if (w & XALLOC__PREV_USED) return NULL;
    pn = xalloc__prev_footer(b);
    pb = b - xalloc__bytes(pn);
    total = pn + have + ng;
    if (total < n || ((uintptr_t)pb & (align - 1))) return NULL;
#if XALLOC_DEBUG >= 2
    if (!xalloc__free_poisoned(pb, pn) || (ng && !xalloc__free_poisoned(nx, ng)))
        xalloc__report(h, XALLOC_E_USE_AFTER_FREE, pb, "freed memory was written to");
#endif
    xalloc__unlink(h, pb);
    if (ng) xalloc__unlink(h, nx);
    else xalloc__put_hdr(nx, nw & ~XALLOC__PREV_USED); /* what carve may leave free before it */
    xalloc__move_down(pb, b, keep);
    XALLOC__HIDE(pb, xalloc__bytes(total) - XALLOC__HDR); /* the caller shows the new block */
#if XALLOC_DEBUG >= 2
    xalloc__poison(pb + keep, pb + xalloc__bytes(total) - XALLOC__HDR); /* the free rest's interior */
#endif
    h->used -= xalloc__bytes(have);
    xalloc__set_hdr(pb, total, XALLOC__PREV_USED); /* one unlinked free block */
    xalloc__carve(h, pb, n);
    return pb;
}

/* realloc with the lock held; align >= G, a power of two. */
static void *xalloc__realloc(xalloc_heap *h, void *ptr, size_t align, size_t size)
{
    unsigned char *b = (unsigned char *)ptr;
    void *q = NULL;
    uint32_t n;
    size_t old, keep;
    bool stay;
    if (!XALLOC__FULL_CHECK(h) || !xalloc__valid(h, ptr)) return NULL;
    if (size == 0) goto release; /* a free */
    n = xalloc__req_gran(h, size);
    old = xalloc__usable(b);
    keep = old < size ? old : size; /* the bytes a move copies */
    stay = n && ((uintptr_t)b & (align - 1)) == 0; /* b may be resized in place */
    if (!stay || !xalloc__resize(h, b, n)) {
        /* Elsewhere; before it fails, alloc_any merges the quick lists
         * back, and the block after b may have been on one: then b can
         * grow in place after all (no false out-of-memory). */
        q = xalloc__alloc_any(h, align, size);
        if (q || !stay || !xalloc__resize(h, b, n)) {
            if (q || !n || !(q = xalloc__grow_down(h, b, n, align, keep))) {
                if (!xalloc__counted(h, q)) return NULL;
                xalloc__copy((unsigned char *)q, b, keep);
                goto release;
            }
        }
    }
    {   /* b resized in place, or moved down to q (over b: freed first) */
        unsigned char *nb = q ? (unsigned char *)q : b;
        size_t now;
#if XALLOC_DEBUG >= 3
        xalloc__canary_set(nb, size);
#endif
        now = xalloc__usable(nb); /* the caller may use so much, no more */
        if (nb == b) {
            XALLOC__ON_RESIZE(h, b, now);
            if (now < old) XALLOC__HIDE(b + now, old - now);
        } else {
            XALLOC__ON_FREE(h, b);
            XALLOC__ON_ALLOC(h, nb, now);
            XALLOC__SHOW(nb, keep); /* the bytes kept stay defined */
        }
        (void)now;
        h->outcomes[0]++; /* and a free: live stays */
        XALLOC__TRACE(h, XALLOC_TRACE_FREE, b, old);
        XALLOC__TRACE(h, XALLOC_TRACE_ALLOC, nb, size);
        return nb;
    }
release:
    xalloc__free_block(h, b);
    return q;
}

XALLOC_DEF void *xalloc_realloc(xalloc_heap *h, void *ptr, size_t size)
{
    return xalloc_realloc_aligned(h, ptr, XALLOC__G, size);
}

XALLOC_DEF void *xalloc_realloc_aligned(xalloc_heap *h, void *ptr, size_t align, size_t size)
{
    void *q = NULL;
    if (!ptr) return xalloc_aligned_alloc(h, align, size);
    xalloc__lock(h);
    if (!xalloc__bad_align(h, align)) q = xalloc__realloc(h, ptr, align < XALLOC__G ? XALLOC__G : align, size);
    xalloc__unlock(h);
    return q;
}

/* ---- introspection -------------------------------------------------------- */
/* Largest request that would succeed now; quick lists flushed first. O(bin). */
static size_t xalloc__largest_free(xalloc_heap *h)
{
    uint32_t fl, c, best = 0;
    unsigned char *f;
    (void)XALLOC__FLUSHED(h);
    if (!h->fl_map) return 0;
    fl = 31u - xalloc__ctz32(h->fl_map); /* the highest non-empty bin */
    c = fl * XALLOC__SL + 31u - xalloc__ctz32(h->sl_map[fl]);
    for (f = h->bins[c]; f; f = xalloc__nxt(f)) {
        uint32_t g = xalloc__gran(xalloc__hdr(f));
        if (g > best) best = g;
    }
    return xalloc__bytes(best) - XALLOC__HDR - XALLOC__TAIL;
}

XALLOC_DEF size_t xalloc_max_alloc(xalloc_heap *h)
{
    size_t s;
    xalloc__lock(h);
    s = xalloc__largest_free(h);
    xalloc__unlock(h);
    return s;
}

static void xalloc__stats(xalloc_heap *h, xalloc_stats *o)
{
    const xalloc__region *r;
    o->largest_free = xalloc__largest_free(h); /* flushes the quick lists */
    o->region_bytes = 0;
    o->regions = 0;
    for (r = &h->region; r; r = r->next) {
        o->region_bytes += r->bytes;
        o->regions++;
    }
    o->block_bytes = h->block_bytes;
    o->used_bytes = h->used;
    o->free_bytes = h->block_bytes - h->used;
    o->peak_used_bytes = h->peak;
    o->free_blocks = h->free_blocks;
    o->live_blocks = h->live;
    o->allocs = h->outcomes[0];
    o->frees = h->outcomes[0] - h->live;
    o->failures = h->outcomes[1];
}

XALLOC_DEF void xalloc_stats_get(xalloc_heap *h, xalloc_stats *o)
{
    xalloc__lock(h);
    xalloc__stats(h, o);
    xalloc__unlock(h);
}

XALLOC_DEF void xalloc_reset_peak(xalloc_heap *h)
{
    xalloc__lock(h);
    h->peak = h->used;
    xalloc__unlock(h);
}

#ifndef XALLOC_NO_INTROSPECTION
/* A mix of a block address, summed over the blocks a walk finds and over the
 * list entries: with equal counts and equal sums the two are the same set
 * (but for a 2^-(pointer bits) chance), without memory of our own. */
static inline uintptr_t xalloc__mix(const void *p)
{
    uintptr_t x = (uintptr_t)p * (uintptr_t)0x9E3779B97F4A7C15u;
    return x ^ (x >> 13);
}

/* Walk one list: bin c (kind 0: free blocks, doubly linked) or quick list c
 * (kind USED|QUICK). Every entry must be a G-aligned address inside a
 * region whose block is of that kind and class, with an intact back-link
 * on a bin. Counts entries into *entries (giving up past max, so a cycle
 * ends) and mixes them into *sum. */
static const char *xalloc__check_list(const xalloc_heap *h, const unsigned char *f, uint32_t c, uint32_t kind,
                                      size_t *entries, size_t max, uintptr_t *sum)
{
    const unsigned char *prev = NULL;
    for (; f; prev = f, f = xalloc__nxt(f)) {
        uint32_t w;
        if (++*entries > max) return "list longer than its blocks";
        if (!xalloc__region_of(h, f) || ((uintptr_t)f & (XALLOC__G - 1))) return "list entry outside the heap";
        w = xalloc__hdr(f);
        if ((w & (XALLOC__USED | XALLOC__QUICK)) != kind || xalloc__class(xalloc__gran(w)) != c)
            return "block on the wrong list";
        if (!kind && xalloc__prv(f) != prev) return "free list back-link broken";
        *sum += xalloc__mix(f);
    }
    return NULL;
}

/* The records every walk follows: the heap record's table sizes and
 * pointers as init set them, and each region record's bounds (its memory
 * not wrapping around, its blocks G-aligned inside it after the record and
 * tables at its start; no two regions overlap, no record comes twice: a
 * loop in the list ends). A link to the next region record can only be
 * tested for alignment, then followed: the check reads the record it
 * points to (so do the hooks it calls). O(R^2). */
static const char *xalloc__check_records(const xalloc_heap *h)
{
    const xalloc__region *r, *q;
    uint32_t nfl, nquick;
    size_t meta, i, j;
    if (h->max_gran < XALLOC__MIN_GRAN || h->max_gran > XALLOC__MAX_GRAN) return "heap record damaged";
    meta = xalloc__meta_size(h->max_gran, &nfl, &nquick);
    if (h->nfl != nfl || h->nquick != nquick || h->bins != (unsigned char **)(void *)(uintptr_t)(h + 1) ||
        h->quick != h->bins + (size_t)nfl * XALLOC__SL || h->sl_map != (uint32_t *)(void *)(h->quick + nquick) ||
        h->qcount != (uint8_t *)(h->sl_map + nfl + 1))
        return "heap record damaged";
    for (r = &h->region, i = 0; r; r = r->next, i++) {
        uintptr_t mem = (uintptr_t)r->mem, start = r == &h->region ? (uintptr_t)h + meta : (uintptr_t)(r + 1);
        if ((uintptr_t)r < mem || r->bytes > UINTPTR_MAX - mem || (uintptr_t)r->first < start + XALLOC__HDR ||
            (uintptr_t)r->end < (uintptr_t)r->first ||
            (uintptr_t)r->end - (uintptr_t)r->first < xalloc__bytes(XALLOC__MIN_GRAN) ||
            ((uintptr_t)r->first | (uintptr_t)r->end) & (XALLOC__G - 1) || (uintptr_t)r->end - mem > r->bytes ||
            (uintptr_t)r->next & (XALLOC__P - 1)) /* add_region aligns a record to P */
            return "region record damaged";
        for (q = &h->region, j = 0; j < i; q = q->next, j++) /* the i records before r */
            if (q == r || (mem < (uintptr_t)q->mem + q->bytes && (uintptr_t)q->mem < mem + r->bytes))
                return "region record damaged";
    }
    return NULL;
}

/* The full check: the records, then every block of every region, then
 * every list. O(blocks + list entries * R + R^2); needs no memory of its
 * own. */
static const char *xalloc__check_locked(const xalloc_heap *h)
{
    const xalloc__region *r;
    const char *why;
    size_t used = 0, nfree = 0, nquick = 0, quick_bytes = 0, free_bytes = 0, live = 0, entries = 0;
    uintptr_t block_sum = 0, list_sum = 0;
    uint32_t fl, c;
    if ((why = xalloc__check_records(h)) != NULL) return why;
    for (r = &h->region; r; r = r->next) {
        unsigned char *b = r->first;
        uint32_t prev_used = XALLOC__PREV_USED;
        for (;;) {
            uint32_t w = xalloc__hdr(b), n = xalloc__gran(w);
            if ((w & XALLOC__PREV_USED) != prev_used) return "PREV_USED bit wrong";
            if (b == r->end) {
                if (w != (XALLOC__USED | prev_used)) return "sentinel damaged";
                break;
            }
            if ((size_t)(r->end - b) < xalloc__bytes(n)) return "block runs past its region";
            prev_used = XALLOC__PREV_USED;
            if ((w & ~XALLOC__PREV_USED) == (1u << XALLOC__SHIFT | XALLOC__USED)) { /* fence */
                b += XALLOC__G;
                continue;
            }
            if (n < XALLOC__MIN_GRAN || n > h->max_gran) return "block size out of range";
            switch (w & (XALLOC__USED | XALLOC__QUICK)) {
            case XALLOC__USED:
                used += xalloc__bytes(n);
                live++;
#if XALLOC_DEBUG >= 3
                if (xalloc__canary_req(b) == SIZE_MAX) return "canary after a used block damaged";
#endif
                break;
            case XALLOC__USED | XALLOC__QUICK:
#if XALLOC_DEBUG >= 2
                if (!xalloc__poisoned(b + XALLOC__P, b + xalloc__bytes(n) - XALLOC__HDR)) return "poison in a quick block overwritten";
#endif
                block_sum += xalloc__mix(b);
                nquick++;
                quick_bytes += xalloc__bytes(n);
                break;
            case 0:
                if (!(w & XALLOC__PREV_USED)) return "adjacent free blocks";
                if (xalloc__prev_footer(b + xalloc__bytes(n)) != n) return "free block footer wrong";
#if XALLOC_DEBUG >= 2
                if (!xalloc__free_poisoned(b, n)) return "poison in a free block overwritten";
#endif
                block_sum += xalloc__mix(b);
                nfree++;
                free_bytes += xalloc__bytes(n);
                prev_used = 0;
                break;
            default:
                return "free block marked quick";
            }
            b += xalloc__bytes(n);
        }
    }
    if (used != h->used || live != h->live || nfree != h->free_blocks || quick_bytes != h->quick_bytes ||
        used + quick_bytes + free_bytes != h->block_bytes || h->peak < used || h->outcomes[0] < live)
        return "counters differ from the blocks";
    for (fl = 0; fl < h->nfl; fl++) {
        uint32_t s, m = 0;
        for (s = 0; s < XALLOC__SL; s++) {
            c = fl * XALLOC__SL + s;
            if (h->bins[c]) m |= XALLOC__BIT(s);
            if ((why = xalloc__check_list(h, h->bins[c], c, 0, &entries, nfree, &list_sum)) != NULL) return why;
        }
        if (h->sl_map[fl] != m || !(h->fl_map & XALLOC__BIT(fl)) != !m) return "bitmaps disagree with the bins";
    }
    /* nfl <= 30 - XALLOC_SL_LOG2 (29-bit granule counts): the shift is defined */
    if ((h->fl_map & ~0u >> h->nfl) || h->sl_map[h->nfl]) return "bitmaps disagree with the bins";
#if XALLOC_QUICK > 0
    for (c = 0; c < h->nquick; c++) {
        size_t before = entries;
        if ((why = xalloc__check_list(h, h->quick[c], c, XALLOC__USED | XALLOC__QUICK, &entries, nfree + nquick, &list_sum)) != NULL)
            return why;
        if (entries - before != h->qcount[c] || entries - before > XALLOC_QUICK) return "quick list count wrong";
    }
#endif
    if (entries != nfree + nquick || list_sum != block_sum) return "lists and blocks differ";
    return NULL;
}

XALLOC_DEF const char *xalloc_check(xalloc_heap *h)
{
    const char *why;
    xalloc__lock(h);
    why = xalloc__check_locked(h);
    if (why) xalloc__report(h, XALLOC_E_CORRUPT, NULL, why);
    xalloc__unlock(h);
    return why;
}

XALLOC_DEF void xalloc_walk(xalloc_heap *h, xalloc_walk_fn fn, void *user)
{
    const xalloc__region *r;
    xalloc__lock(h);
    for (r = &h->region; r; r = r->next) {
        unsigned char *b;
        for (b = r->first; b < r->end; b = xalloc__next(b)) {
            uint32_t w = xalloc__hdr(b);
            bool used = (w & (XALLOC__USED | XALLOC__QUICK)) == XALLOC__USED;
            if (xalloc__gran(w) < XALLOC__MIN_GRAN) continue; /* fence */
            if (!fn(user, b, used ? xalloc__usable(b) : xalloc__bytes(xalloc__gran(w)) - XALLOC__HDR, used))
                goto out;
        }
    }
out:
    xalloc__unlock(h);
}

/* An address in hex, all digits (no printf, no 64-bit shift on 32-bit). */
static void xalloc__put_addr(xalloc__line *l, const void *p)
{
    uintptr_t a = (uintptr_t)p;
    int s;
    xalloc__put_str(l, "0x");
    for (s = (int)sizeof a * CHAR_BIT - 4; s >= 0; s -= 4) l->buf[l->len++] = "0123456789abcdef"[(a >> s) & 15u];
}

/* The figures of xalloc_stats_get, four to a line, then one line per region
 * and one per non-empty bin. */
XALLOC_DEF void xalloc_dump(xalloc_heap *h, xalloc_print_fn print, void *user)
{
    static const char names[] = "region bytes\0overhead\0used\0free\0peak\0largest request\0free blocks\0"
                                "live\0regions\0allocs\0frees\0failures";
    const char *name = names;
    xalloc_stats s;
    xalloc__line l;
    const xalloc__region *r;
    uint64_t v[12];
    uint32_t c;
    xalloc__lock(h);
    xalloc__stats(h, &s);
    v[0] = s.region_bytes;
    v[1] = s.region_bytes - s.block_bytes;
    v[2] = s.used_bytes;
    v[3] = s.free_bytes;
    v[4] = s.peak_used_bytes;
    v[5] = s.largest_free;
    v[6] = s.free_blocks;
    v[7] = s.live_blocks;
    v[8] = s.regions;
    v[9] = s.allocs;
    v[10] = s.frees;
    v[11] = s.failures;
    l.len = 0;
    xalloc__put_str(&l, "xalloc heap ");
    xalloc__put_addr(&l, h);
    xalloc__put_end(&l, print, user);
    for (c = 0; c < 12; c++) {
        xalloc__put_str(&l, c & 3 ? ", " : "  ");
        xalloc__put_str(&l, name);
        xalloc__put_str(&l, " ");
        xalloc__put_u(&l, v[c]);
        if ((c & 3) == 3) xalloc__put_end(&l, print, user);
        while (*name++) { }
    }
    for (r = &h->region; r; r = r->next) {
        xalloc__put_str(&l, "  region ");
        xalloc__put_addr(&l, r->first);
        xalloc__put_str(&l, "..");
        xalloc__put_addr(&l, r->end);
        xalloc__put_str(&l, ", bytes ");
        xalloc__put_u(&l, r->bytes);
        xalloc__put_end(&l, print, user);
    }
    for (c = 0; c < h->nfl * XALLOC__SL; c++) {
        const unsigned char *f;
        size_t k = 0, bytes = 0;
        for (f = h->bins[c]; f; f = xalloc__nxt(f), k++) bytes += xalloc__bytes(xalloc__gran(xalloc__hdr(f)));
        if (!k) continue;
        xalloc__put_str(&l, "  bin ");
        xalloc__put_u(&l, c);
        xalloc__put_str(&l, ": free blocks ");
        xalloc__put_u(&l, k);
        xalloc__put_str(&l, ", bytes ");
        xalloc__put_u(&l, bytes);
        xalloc__put_end(&l, print, user);
    }
    xalloc__unlock(h);
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
