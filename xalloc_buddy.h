/* xalloc_buddy.h - a binary buddy allocator for pages, DMA buffers and
 * physical memory: a bitmap of buddy pairs, plus free lists in the free
 * blocks (in-band) or an index over the bitmap (metadata-only).   v0.1
 * Part of xalloc: drop-in, freestanding allocators in single C headers.
 *
 * WHAT IT IS
 *   Hands out power-of-two multiples of a minimum block (order k: min_block
 *   << k bytes, aligned to its own size) from a range of any size and any
 *   start, and merges freed blocks with their buddies up the orders. Free
 *   needs the address only. Ranges can be reserved and released at any time.
 *   No libc, no global state, no recursion; C99/C++11 and later.
 *
 * USE
 *   In exactly one C or C++ file:
 *       #define XALLOC_IMPLEMENTATION
 *       #include "xalloc_buddy.h"
 *   Everywhere else just #include "xalloc_buddy.h".
 *
 *   In-band (ordinary memory; the bitmap is carved from the end of it; a
 *   free block holds two list links in its first 8 bytes):
 *       static unsigned char pool[1 << 20];
 *       xbuddy_desc d = {0};  d.min_block = 64;   (or set each field)
 *       xbuddy *b = xbuddy_init(pool, sizeof pool, &d);
 *       void *p = xbuddy_alloc(b, 1000);           1024 bytes, 1024-aligned
 *       xbuddy_free(b, p);
 *   Metadata-only (physical frames, device memory, file offsets: the range is
 *   never read or written, addresses are numbers):
 *       size_t need = xbuddy_meta_size(0x100000, 0x7ff00000, &d);
 *       xbuddy *b = xbuddy_init_meta(buf, need, 0x100000, 0x7ff00000, &d);
 *       xbuddy_addr a = xbuddy_alloc_order(b, 9);  2 MiB of 4 KiB pages
 *       xbuddy_free_addr(b, a, 0);
 *
 * API (b first; M = number of orders - 1, R = reserved ranges, B = blocks)
 *   xbuddy_meta_size(base, size, desc) -> bytes init_meta needs, 0 if
 *                                     init_meta would refuse the
 *                                     arguments                     [O(M)]
 *   xbuddy_init_meta(meta, meta_size, base, size, desc)
 *                                  -> handle in meta, or NULL       [O(bitmap words)]
 *   xbuddy_init(mem, size, desc)   -> in-band: handle and bitmap at the end
 *                                     of mem, the rest managed (at most
 *                                     2^32 - 1 min blocks), or NULL
 *   xbuddy_alloc(b, size)          -> pointer, NULL when nothing fits   [O(M)]
 *   xbuddy_alloc_addr(b, size)     -> address, XBUDDY_NONE when nothing fits
 *   xbuddy_alloc_order(b, order)   -> address of min_block << order bytes
 *   xbuddy_free(b, p)              -> NULL is a no-op                   [O(M)]
 *   xbuddy_free_addr(b, a, size)   -> size 0: any; else it must round to
 *                                     the block's size (then the order is
 *                                     found in O(1)); XBUDDY_NONE is a
 *                                     no-op                            [O(M + R)]
 *   xbuddy_block_size(b, a)        -> bytes of the allocated block at a,
 *                                     0 if a is not one (at level 0: if a
 *                                     is outside the range)             [O(M + R)]
 *   xbuddy_reserve(b, a, size)     -> false (nothing changed) if part of the
 *                                     range is allocated or the table is full
 *   xbuddy_release(b, a, size)     -> false if the table is full
 *                                     (both: [O((B in range + M) * M + R)])
 *   xbuddy_stats_get(b, &s)        counters, buddyinfo, fragmentation  [O(M)]
 *   xbuddy_check(b)                NULL or the broken invariant [O(B * M + words)]
 *                                  (in-band also walks the free lists)
 *   xbuddy_walk(b, fn, user)       every block in address order  [O(B * (M + R))]
 *   xbuddy_dump(b, print, user)    a summary, buddyinfo, reserved ranges
 *   Sizes round up to min_block << k; size 0 gets one minimum block.
 *   "O(M)": alloc does one find-first-set over the mask of non-empty orders,
 *   then takes a free block of that order: in-band the head of its list;
 *   metadata-only one hinted bitmap word, and only if that has no free block
 *   a search of the index (up and down its levels, at most log64 of the
 *   bitmap words each way); then one step per order it splits. Free walks
 *   up at most M orders to find the block (one step when given the size),
 *   then one step per order it merges (in-band: unlinking the buddy in
 *   O(1)). Nothing scans a list or the bitmap.
 *
 * ERRORS
 *   Misuse is reported through desc->hooks.error and the call changes
 *   nothing: an address outside the range (XALLOC_E_FOREIGN), not the start
 *   of an allocated block (XALLOC_E_NOT_BLOCK), inside free memory
 *   (XALLOC_E_DOUBLE_FREE), inside a reserved range (XALLOC_E_RESERVED), a
 *   size that does not round to the block (XALLOC_E_SIZE_MISMATCH), a size or
 *   order larger than the largest block, bad init or reserve arguments, a
 *   reservation over allocated memory (XALLOC_E_BADARG). Running out of
 *   memory is not an error: XBUDDY_NONE / NULL and stats.failures.
 *
 * RESERVED RANGES
 *   xbuddy_reserve rounds the range out to minimum blocks and clips it to the
 *   managed range. Free parts become reserved (never handed out; freeing them
 *   reports XALLOC_E_RESERVED); already reserved parts stay so (reservations
 *   are a set: overlapping ones merge). If any part is allocated the call is
 *   refused with XALLOC_E_BADARG and nothing changes: a kernel marks firmware
 *   tables, its own image and MMIO holes before it hands memory out, and a
 *   reservation that lands on a live allocation is a bug to report, not to
 *   paper over. xbuddy_release frees the reserved parts of its range (merging
 *   them) and leaves free and allocated parts alone. The reserved set is kept
 *   as a sorted list of range boundaries, room for desc.max_reserved
 *   disjoint ranges; a call that would need more is refused (BADARG).
 *
 * CONFIGURATION (define before including; the same in every file)
 *   XBUDDY_ADDR64      1: xbuddy_addr is uint64_t (physical addresses above
 *                      4 GiB or file offsets on a 32-bit CPU); default
 *                      uintptr_t
 *   XBUDDY_MIN_BLOCK   default min_block (4096)
 *   XBUDDY_MAX_RESERVED default max_reserved (16)
 *   XBUDDY_MODES       which modes the implementation holds: 3 both
 *                      (default), 1 in-band only, 2 metadata-only only; the
 *                      other init reports XALLOC_E_BADARG and returns NULL.
 *                      One mode links less code (the other's free sets go)
 *   XBUDDY_POISON_BYTE fill of free memory at level >= 2 (in-band only)
 *   XALLOC_NO_INTROSPECTION  leave out xbuddy_check, xbuddy_walk and
 *                      xbuddy_dump (stats stay); not with XALLOC_DEBUG 4
 *   XALLOC_DEBUG, XALLOC_STATIC, XALLOC_ASSERT, XALLOC_NO_BUILTINS: as for
 *   every xalloc header.
 *
 * DEBUG LEVELS (XALLOC_DEBUG)
 *   0  no checks: free trusts its address (it still finds the order)
 *   1  free and block_size check the address: range, alignment, block start,
 *      free memory, reserved ranges, size [O(M + R), on the lookup free does
 *      anyway]
 *   2  + in-band: free memory is filled with XBUDDY_POISON_BYTE and checked
 *      when handed out (write after free -> XALLOC_E_USE_AFTER_FREE), all
 *      but a free block's first 8 bytes, its list links: a write there
 *      breaks the list, which xbuddy_check reports (XALLOC_E_CORRUPT; at
 *      level 4 on the next call), not a later allocation
 *   3  same as 2 (a buddy block has no slack for a canary)
 *   4  + xbuddy_check() on every call                         [O(B * M)]
 *
 * DATA STRUCTURE
 *   Min blocks are numbered by their address: X = address / min_block (taken
 *   modulo 2^(M+1), which keeps alignment). The node of order k holding X is
 *   X >> k; two nodes of order k with the same X >> (k+1) are buddies, and
 *   the pair of them is described by two bits, H and W:
 *       H=1 W=s   exactly one of the pair is a free block, the one on side s
 *                 (0 left, 1 right); the other is allocated, reserved, split,
 *                 or outside the range
 *       H=0 W=1   the pair's parent (order k+1) is one allocated (or
 *                 reserved) block: the marker that lets free find the order
 *       H=0 W=0   anything else: neither half is a free block and the
 *                 parent is not a block (or it is inside a bigger block)
 *   Nodes of the top order M, which have no pairs, have one H bit each (1:
 *   free). An allocated block of order 0 has no marker: it is what a min
 *   block is when no block above it is found. The bits of each order lie in
 *   one array, order after order (each order's slice word-aligned), so
 *   every H bit of order k is an even bit in that order's slice.
 *
 *      order 2   [         free          ][  A  ][  B  ][ C ][ D ]
 *      pairs:    (1,0) above the free one, (0,1) above A's halves,
 *                (1,1) above C/D's parent if D is free, (0,0) elsewhere.
 *
 *   Finding a free block of order k: a mask of non-empty orders picks k with
 *   one bit scan; then the free set of order k gives one (below).
 *   Finding the block at X (free by address): read the pair above node(X,
 *   k) for k = 0, 1, ...: (1, own side) means X is in free memory; (0,1)
 *   means node(X, k+1) is the block; (1, other side) ends the search (X is
 *   an order-0 block); at most M reads. Given the size, free reads only the
 *   marker of that order and falls back to the walk if it is not there.
 *
 *   The pair bits serve both modes: they give a block's order from its
 *   address and tell whether a buddy is free. What differs is the free set
 *   of order k, one abstraction (push, remove, pop) with one implementation
 *   per mode, chosen once per call:
 *   - In-band: a doubly linked list through the free blocks, as classic
 *     buddy allocators keep, head[k] its first block. A free block's first
 *     8 bytes are two 32-bit block numbers (X - phase), next and prev,
 *     0xFFFFFFFF at the ends:
 *         head[k] -> [next|prev| ... free ...] -> [next|prev| ...] -> end
 *     Pop takes the head (the latest block freed or split off: LIFO, cache-
 *     hot); a split pushes the upper half; a merge unlinks the free buddy in
 *     O(1) (its links, a store into each neighbour). Block numbers, not
 *     pointers: an 8-byte minimum block holds both on a 64-bit target, at
 *     the cost of a limit of 2^32 - 1 minimum blocks in-band.
 *   - Metadata-only (the range is never touched): no lists; two word hints
 *     per order: rec[k], the word of the latest free block of order k made
 *     (by a free or a split: cache-hot, as the head of a LIFO list would
 *     be), used if it still holds one; else low[k], below which order k has
 *     no free block, and from there a summary index over the H bits (one bit
 *     per 1024 bitmap bits, then one bit per word of the level below, up to
 *     one word) finds the next one in a few word reads (find-next-set).
 *   So each mode has one search mechanism: in-band has no index or hints,
 *   metadata-only no lists.
 *
 * METADATA SIZE (xbuddy_meta_size gives the exact figure)
 *   Metadata-only: 2 bits per minimum block for the pairs of all orders
 *   (n/2 + n/4 + ... pairs, 2 bits each), plus 1 bit per 1024 bitmap bits for
 *   the index (1/512 bit per minimum block: this term grows with the range,
 *   so the bound is 2.002 bits per minimum block, not 2), plus a constant:
 *   the handle (336 bytes on 64-bit), 4 words per order (adj, nfree, low,
 *   rec) and up to one word of slice padding, 2 words per reserved range,
 *   a word of alignment slack. A 4 GiB range of 4 KiB pages on a 64-bit
 *   host: 263,727 bytes = 262,144 (2 bits per page) + 40 (padding of the
 *   small orders' slices) + 272 (index) + 336 (handle) + 928 (21 orders,
 *   16 reserved ranges) + 7 (alignment).
 *   In-band: 2 bits per minimum block (no index: the lists live in the free
 *   blocks) plus the handle, 3 words per order (adj, nfree, head) and the
 *   reserved ranges, carved from the end of the memory given to
 *   xbuddy_init (at most 2^32 - 1 minimum blocks); 256 MiB given, 64-byte
 *   blocks (64-bit host): 1,045,688 bytes, 1,120 of them the constant part
 *   (the range that is left has 4,177,900 blocks).
 *
 * INVARIANTS (all checked by xbuddy_check)
 *   - The handle's geometry is what init computes for its range, block
 *     sizes and table size, and its arrays lie where init put them
 *     (checked first: nothing is read through a damaged handle).
 *   - The blocks found by the lookup tile the range exactly.
 *   - Per order, the number of H bits equals that order's free-block count;
 *     the number of (0,1) markers equals the allocated and reserved blocks
 *     of order >= 1; no bit is set outside the slots of a pair in range.
 *   - No two free buddies: a pair holds at most one free block by encoding.
 *   - The mask of non-empty orders matches the counts; used, reserved and
 *     live counters match the blocks.
 *   - Metadata-only: the index matches the H bits; no H bit of order k lies
 *     in a word below low[k] (the search hint).
 *   - In-band: list k holds exactly the free blocks of order k (each entry
 *     in the range, a block of order k whose pair says it is free, its prev
 *     link the entry before, NIL at the head; nfree[k] entries, then NIL).
 *   - Reservation boundaries are strictly increasing, inside the range and
 *     paired; the ranges add up to the reserved blocks; no block crosses a
 *     boundary, and no free block lies in a reserved range.
 *
 * PERFORMANCE (bench/bench_buddy.c, `make bench`; 2-core KVM guest shared
 * with other jobs, so wall-clock figures move with the load)
 *   pow2: 256 MiB in-band, 64-byte blocks, 2,000,000 ops, ~4,096 live blocks
 *   of 64 B..64 KiB (log-uniform). Free by address, with the free lists
 *   (2026-12-02, `bench_buddy pow2`, 3 calls of a median of 5 runs each, on
 *   a loaded machine): 22.6-38.9 ns/op against malloc's 72.9-136.5 in the
 *   same runs, 0.28-0.31 of malloc (the bitmap-only version before it, run
 *   alternately: 40.9-60.4 ns/op, 0.47-0.51); per-call latency p50 40-50 ns,
 *   p99 200-340 ns (the bitmap-only version: 90-170: a merge now touches
 *   the buddy's links and its neighbours' lines). About 205 instructions
 *   per operation (cachegrind; 256 before): alloc 75, free 130.
 *   Fragmentation (sizes 16 B..2 KiB, 45 % frees, until the first failure):
 *   live requested bytes reach 68.5 % (128 KiB) and 71.1 % (16 MiB) of the
 *   region, medians of 101 seeds: power-of-two rounding costs about 28 %.
 *
 * CODE SIZE (.text + .rodata, Cortex-M4, arm-none-eabi-gcc 12 -Os
 * -ffunction-sections, XALLOC_DEBUG 0; `make size`)
 *   whole implementation 5.8 KiB (5,941 bytes); a program that calls only
 *   init, alloc and free links 2.2 KiB (2,217 bytes: both modes' free sets,
 *   as the mode is chosen at run time; 1,747 with XBUDDY_MODES 1); with
 *   XALLOC_NO_INTROSPECTION 3.2 KiB (3,249 bytes; 2,713 with XBUDDY_MODES
 *   1). XALLOC_DEBUG 1 adds about 0.5 KiB.
 *
 * THREADS
 *   Not thread-safe by itself; set desc.hooks.lock/unlock (for example to
 *   xalloc_spin_lock/xalloc_spin_unlock) to serialise calls.
 *
 * LICENSE: MIT or public domain (Unlicense), at the end of this file.
 */
#ifndef XALLOC_BUDDY_H
#define XALLOC_BUDDY_H

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
#ifndef XBUDDY_MIN_BLOCK
#define XBUDDY_MIN_BLOCK 4096
#endif
#ifndef XBUDDY_MAX_RESERVED
#define XBUDDY_MAX_RESERVED 16
#endif
#ifndef XBUDDY_MODES
#define XBUDDY_MODES 3
#endif
#ifndef XBUDDY_POISON_BYTE
#define XBUDDY_POISON_BYTE 0xDB
#endif

#ifdef __cplusplus
extern "C" {
#endif

#if defined(XBUDDY_ADDR64) && XBUDDY_ADDR64
typedef uint64_t xbuddy_addr;
#else
typedef uintptr_t xbuddy_addr;
#endif
/* The failure value of the address functions (address 0 may be valid). */
#define XBUDDY_NONE ((xbuddy_addr)-1)
/* Orders a handle can have: size_t bits (the mask of non-empty orders). */
#define XBUDDY_ORDERS ((unsigned)(sizeof(size_t) * CHAR_BIT))

typedef struct xbuddy xbuddy; /* lives at the start of the metadata */

typedef enum xbuddy_kind { XBUDDY_FREE = 0, XBUDDY_USED = 1, XBUDDY_RESERVED = 2 } xbuddy_kind;

/* Description for init; zero (or NULL) means defaults. */
typedef struct xbuddy_desc {
    xalloc_hooks hooks;        /* error, lock, unlock, user                    */
    xbuddy_addr  min_block;    /* power of two >= sizeof(void *), in-band >= 8
                                  (a free block's two links) (0: 4096)         */
    xbuddy_addr  max_block;    /* cap on the largest block, a power of two
                                  >= min_block (0: as large as the range allows) */
    unsigned     max_reserved; /* reserved-interval table entries (0: 16)       */
} xbuddy_desc;

typedef struct xbuddy_stats {
    xbuddy_addr base, size;      /* the managed range (rounded to min blocks)  */
    xbuddy_addr min_block;
    unsigned    max_order;       /* largest order: min_block << max_order bytes */
    unsigned    fragmentation;   /* per mille: 1000 * (1 - largest / free)      */
    xbuddy_addr free_bytes, used_bytes, reserved_bytes, largest_free;
    size_t      free_blocks[XBUDDY_ORDERS]; /* per order, like /proc/buddyinfo */
    size_t      live_blocks, reserved_ranges, meta_bytes;
    uint64_t    allocs, frees, failures;    /* failures: NONE/NULL returns    */
} xbuddy_stats;

/* Walk callback: one call per block in address order. Return false to stop.
 * The allocator must not be changed during the walk. */
typedef bool (*xbuddy_walk_fn)(void *user, xbuddy_addr addr, xbuddy_addr size, xbuddy_kind kind);

XALLOC_DEF size_t      xbuddy_meta_size(xbuddy_addr base, xbuddy_addr size, const xbuddy_desc *desc);
XALLOC_DEF xbuddy     *xbuddy_init_meta(void *meta, size_t meta_size, xbuddy_addr base, xbuddy_addr size, const xbuddy_desc *desc);
XALLOC_DEF xbuddy     *xbuddy_init(void *mem, size_t size, const xbuddy_desc *desc);
XALLOC_DEF void       *xbuddy_alloc(xbuddy *b, size_t size);
XALLOC_DEF void        xbuddy_free(xbuddy *b, void *p);
XALLOC_DEF xbuddy_addr xbuddy_alloc_addr(xbuddy *b, xbuddy_addr size);
XALLOC_DEF xbuddy_addr xbuddy_alloc_order(xbuddy *b, unsigned order);
XALLOC_DEF void        xbuddy_free_addr(xbuddy *b, xbuddy_addr addr, xbuddy_addr size);
XALLOC_DEF xbuddy_addr xbuddy_block_size(xbuddy *b, xbuddy_addr addr);
XALLOC_DEF bool        xbuddy_reserve(xbuddy *b, xbuddy_addr addr, xbuddy_addr size);
XALLOC_DEF bool        xbuddy_release(xbuddy *b, xbuddy_addr addr, xbuddy_addr size);
XALLOC_DEF void        xbuddy_stats_get(xbuddy *b, xbuddy_stats *out);
#ifndef XALLOC_NO_INTROSPECTION
/* NULL when every invariant holds, else a static text naming the first one
 * that broke (also reported through the error hook as XALLOC_E_CORRUPT). */
XALLOC_DEF const char *xbuddy_check(xbuddy *b);
XALLOC_DEF void        xbuddy_walk(xbuddy *b, xbuddy_walk_fn fn, void *user);
XALLOC_DEF void        xbuddy_dump(xbuddy *b, xalloc_print_fn print, void *user);
#endif

#ifdef __cplusplus
}
#endif
#endif /* XALLOC_BUDDY_H */

/* ========================================================================= */
/*                              IMPLEMENTATION                               */
/* ========================================================================= */
#if defined(XALLOC_IMPLEMENTATION) && !defined(XALLOC_BUDDY_IMPLEMENTED)
#define XALLOC_BUDDY_IMPLEMENTED

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

/* ---- private constants ----------------------------------------------------- */
typedef uintptr_t xbuddy__w;                        /* bitmap word            */
#if UINTPTR_MAX > 0xFFFFFFFFu
#define XBUDDY__WLOG 6u
#else
#define XBUDDY__WLOG 5u
#endif
#define XBUDDY__WB   ((size_t)1 << XBUDDY__WLOG)      /* bits per word          */
#define XBUDDY__GLOG (10u - XBUDDY__WLOG)             /* metadata-only: 1024-bit index groups */
#define XBUDDY__EVEN ((xbuddy__w)0x5555555555555555ull) /* the H bits of a word */
#define XBUDDY__LEVELS 12u                            /* index levels, enough for 2^72 bits */
#define XBUDDY__META   1u                             /* setup: metadata-only   */
#define XBUDDY__NIL    0xFFFFFFFFu                    /* in-band: end of a free list */
#define XBUDDY__LINKS  (2 * sizeof(uint32_t))         /* in-band: link bytes of a free block */
#if XBUDDY_MODES == 1
#define XBUDDY__INBAND(b) ((void)(b), 1)
#elif XBUDDY_MODES == 2
#define XBUDDY__INBAND(b) ((void)(b), 0)
#else
#define XBUDDY__INBAND(b) ((b)->head != NULL)
#endif
typedef char xbuddy__assert_modes[(XBUDDY_MODES >= 1 && XBUDDY_MODES <= 3) ? 1 : -1];
#if defined(XBUDDY_ADDR64) && XBUDDY_ADDR64 && SIZE_MAX <= 0xFFFFFFFFu
#define XBUDDY__WIDE 1 /* addresses wider than size_t: no variable 64-bit shifts */
#endif
/* Hot helpers are inlined when optimising for speed, left alone for size;
 * a helper with several callers (XBUDDY__ONE) is kept out of line for size,
 * where gcc would copy it into each. */
#if (defined(__GNUC__) || defined(__clang__)) && !defined(__OPTIMIZE_SIZE__)
#define XBUDDY__HOT static inline __attribute__((always_inline))
#define XBUDDY__ONE static
#elif defined(__GNUC__) || defined(__clang__)
#define XBUDDY__HOT static
#define XBUDDY__ONE static __attribute__((noinline))
#else
#define XBUDDY__HOT static
#define XBUDDY__ONE static
#endif
typedef char xbuddy__assert_word[(sizeof(xbuddy__w) == sizeof(size_t)) ? 1 : -1];
#if defined(XALLOC_NO_INTROSPECTION) && XALLOC_DEBUG >= 4
#error "XALLOC_DEBUG 4 runs xbuddy_check on every call: it needs the introspection (drop XALLOC_NO_INTROSPECTION)"
#endif

struct xbuddy {
    xalloc_hooks hooks;
    xbuddy_addr base, bytes;  /* first byte of min block 0; bytes in the range */
    size_t n, phase;          /* min blocks; X of the first one (mod 2^(M+1))  */
    size_t mask;              /* bit k: order k has free blocks                */
    size_t used, resv, live;  /* min blocks used / reserved; live allocations  */
    size_t nres, maxres, meta_bytes, nwords; /* nres: boundaries (2 per range) */
    uint64_t allocs, frees, failures;
    unsigned shift, maxo, nlev;  /* nlev: index levels (0 in-band)             */
    xbuddy__w *hw, *sum;      /* pair bits; the index (metadata-only)         */
    size_t *adj;              /* [M+1]: bit of pair P of order k = adj[k] + 2P */
    size_t *nfree;            /* [M+1]: free blocks per order                  */
    /* metadata-only (NULL in-band): the search hints */
    size_t *low;              /* [M+1]: no H bit of order k in words < low[k]  */
    size_t *rec;              /* [M+1]: word of the latest free block of order k
                                 (read only once order k has had one)          */
    /* in-band (NULL metadata-only, which is how a call tells the modes
     * apart): the free lists */
    size_t *head;             /* [M+1]: number (X - phase) of the first free
                                 block of order k, XBUDDY__NIL if none         */
    size_t *res;              /* [2*maxres]: reservation boundaries, sorted: X
                                 is reserved iff an odd number are <= X        */
    size_t lev[XBUDDY__LEVELS + 1]; /* word offset of each index level in sum  */
};

/* ---- addresses ---------------------------------------------------------------- */
static inline xbuddy_addr xbuddy__shl(xbuddy_addr v, unsigned s)
{
#ifdef XBUDDY__WIDE
    uint32_t lo = (uint32_t)v, hi = (uint32_t)(v >> 32);
    if (s >= 32) { hi = lo << (s - 32); lo = 0; }
    else if (s) { hi = (hi << s) | (lo >> (32 - s)); lo <<= s; }
    return (xbuddy_addr)hi << 32 | lo;
#else
    return v << s;
#endif
}
static inline xbuddy_addr xbuddy__shr(xbuddy_addr v, unsigned s)
{
#ifdef XBUDDY__WIDE
    uint32_t lo = (uint32_t)v, hi = (uint32_t)(v >> 32);
    if (s >= 32) { lo = hi >> (s - 32); hi = 0; }
    else if (s) { lo = (lo >> s) | (hi << (32 - s)); hi >>= s; }
    return (xbuddy_addr)hi << 32 | lo;
#else
    return v >> s;
#endif
}
static inline xbuddy_addr xbuddy__addr(const xbuddy *b, size_t X)
{
    return b->base + xbuddy__shl((xbuddy_addr)(X - b->phase), b->shift);
}
static inline xbuddy_addr xbuddy__size(const xbuddy *b, unsigned o)
{
    return xbuddy__shl((xbuddy_addr)1, b->shift + o);
}

static inline unsigned xbuddy__ctz(xbuddy__w w)
{
#if defined(XALLOC__HAVE_CLZ) && XBUDDY__WLOG == 6
    return (unsigned)__builtin_ctzll((unsigned long long)w);
#elif XBUDDY__WLOG == 6
    return xalloc__ctz64((uint64_t)w);
#else
    return xalloc__ctz32((uint32_t)w);
#endif
}
static inline unsigned xbuddy__log2(size_t v)
{
#if XBUDDY__WLOG == 6
    return xalloc__log2_64((uint64_t)v);
#else
    return xalloc__log2_32((uint32_t)v);
#endif
}

/* ---- the pair bits and the index ------------------------------------------- */
/* Bit of pair P of order o (for the top order: of node P). */
static inline size_t xbuddy__bit(const xbuddy *b, unsigned o, size_t P) { return b->adj[o] + 2 * P; }
static inline unsigned xbuddy__st(const xbuddy *b, size_t bit)
{
    return (unsigned)(b->hw[bit >> XBUDDY__WLOG] >> (bit & (XBUDDY__WB - 1))) & 3u;
}

/* Index: the word of `bit`, now or before the change `v`, has no H bit:
 * it just gained its first one (set) or lost its last one (!set, and then
 * only if its whole group did). Set or clear its group's summary bit and
 * go up while a summary word changes between empty and not. */
static void xbuddy__sum(xbuddy *b, size_t bit, xbuddy__w v, bool set)
{
    size_t g = bit >> (XBUDDY__WLOG + XBUDDY__GLOG), k = g << XBUDDY__GLOG, e = k + ((size_t)1 << XBUDDY__GLOG);
    unsigned l;
    if (v & XBUDDY__EVEN) return;
    for (; !set && k < e && k < b->nwords; k++) v |= b->hw[k];
    if (v & XBUDDY__EVEN) return;
    for (l = 0; l < b->nlev; l++, g >>= XBUDDY__WLOG) {
        xbuddy__w *w = b->sum + b->lev[l] + (g >> XBUDDY__WLOG), m = (xbuddy__w)1 << (g & (XBUDDY__WB - 1)), old = *w;
        *w = set ? old | m : old & ~m;
        if (set ? old : *w) break; /* set: the word had bits before; clear: it has some left */
    }
}
/* First set H bit at or after word wi, where there is one (so no bound is
 * checked: each level has a set bit at or after the place the search
 * reaches): the rest of wi's group, else up the index to a word with a set
 * bit after the group, down into the group it names, and its words. */
XBUDDY__HOT size_t xbuddy__find(const xbuddy *b, size_t wi)
{
    size_t q = wi >> XBUDDY__GLOG;
    unsigned l;
    while (!(b->hw[wi] & XBUDDY__EVEN)) {
        if (++wi < (q + 1) << XBUDDY__GLOG) continue;
        for (q++, l = 0;; l++, q = (q >> XBUDDY__WLOG) + 1) { /* climb */
            xbuddy__w m = b->sum[b->lev[l] + (q >> XBUDDY__WLOG)] & (~(xbuddy__w)0 << (q & (XBUDDY__WB - 1)));
            if (m) { q = (q & ~(XBUDDY__WB - 1)) + xbuddy__ctz(m); break; }
        }
        while (l--) q = (q << XBUDDY__WLOG) + xbuddy__ctz(b->sum[b->lev[l] + q]);
        wi = q << XBUDDY__GLOG;
    }
    return (wi << XBUDDY__WLOG) + xbuddy__ctz(b->hw[wi] & XBUDDY__EVEN);
}

/* ---- the free sets ----------------------------------------------------------- */
/* The free blocks of order o form one set, with three operations:
 *   xbuddy__push(b, o, Y)    node Y of order o becomes a free block   O(1)
 *   xbuddy__remove(b, o, Y)  the free block Y of order o stops being one  O(1)
 *   xbuddy__pop(b, o)        remove some free block of order o (there is
 *                            one) and return its node: in-band O(1), the
 *                            head of the list; metadata-only a hinted word,
 *                            else the index search (see DATA STRUCTURE)
 * Each keeps the pair bits (the state of Y's pair), the count and the mask
 * of non-empty orders, then calls the mode's own half, once: the list
 * through the free blocks (in-band) or the index and hints (metadata-only).
 * Nothing else in the allocator knows how a mode finds its free blocks. */

/* In-band: a free block of order o at min block number i (X - phase) holds
 * its links in its first XBUDDY__LINKS bytes, two 32-bit block numbers:
 *     word 0  next: the following free block of order o, XBUDDY__NIL at the end
 *     word 1  prev: the one before it, XBUDDY__NIL at the head (b->head[o])
 * Block numbers, not pointers, so that an 8-byte minimum block holds both on
 * a 64-bit target too (and no pointer is stored in memory the caller owns);
 * it limits an in-band range to 2^32 - 1 minimum blocks. Blocks are aligned
 * to the minimum block, so the words are aligned. Under a sanitizer free
 * memory is hidden, and the links are reached only through these accessors,
 * which the tool does not watch. */
static inline uint32_t *xbuddy__node(const xbuddy *b, size_t i)
{
    return (uint32_t *)(uintptr_t)(b->base + xbuddy__shl((xbuddy_addr)i, b->shift));
}
#ifdef XALLOC__SANITIZING
XALLOC__NOSAN static size_t xbuddy__link(const xbuddy *b, size_t i, unsigned w)
{
    uint32_t v;
    XALLOC__QUIET_BEGIN;
    v = ((const volatile uint32_t *)xbuddy__node(b, i))[w];
    XALLOC__QUIET_END;
    XALLOC__LAUNDER(v);
    return v;
}
XALLOC__NOSAN static void xbuddy__set_link(const xbuddy *b, size_t i, unsigned w, size_t v)
{
    XALLOC__QUIET_BEGIN;
    ((volatile uint32_t *)xbuddy__node(b, i))[w] = (uint32_t)v;
    XALLOC__QUIET_END;
}
#else
#define xbuddy__link(b, i, w)        ((size_t)xbuddy__node((b), (i))[w])
#define xbuddy__set_link(b, i, w, v) (xbuddy__node((b), (i))[w] = (uint32_t)(v))
#endif

/* In-band half. Word w of block i's links gets v; "no block" (NIL) stands
 * for the list's ends: its next-link is head[o], its prev-link is nowhere. */
XBUDDY__HOT void xbuddy__relink(xbuddy *b, unsigned o, size_t i, unsigned w, size_t v)
{
    if (i != XBUDDY__NIL) xbuddy__set_link(b, i, w, v);
    else if (!w) b->head[o] = v;
}
/* Push block i on list o; unlink it: one load of its links (the line the
 * caller's block starts on), a store into each neighbour. */
XBUDDY__HOT void xbuddy__list_push(xbuddy *b, unsigned o, size_t i)
{
    size_t nx = b->head[o];
    xbuddy__set_link(b, i, 0, nx);
    xbuddy__set_link(b, i, 1, XBUDDY__NIL);
    xbuddy__relink(b, o, nx, 1, i);
    b->head[o] = i;
}
XBUDDY__HOT void xbuddy__list_remove(xbuddy *b, unsigned o, size_t i)
{
    size_t nx = xbuddy__link(b, i, 0), pv = xbuddy__link(b, i, 1);
    xbuddy__relink(b, o, pv, 0, nx);
    xbuddy__relink(b, o, nx, 1, pv);
}

/* Metadata-only half: the index and the hints. The word of `bit` was `old`
 * before the push; a removal only updates the index (xbuddy__sum). */
XBUDDY__HOT void xbuddy__index_push(xbuddy *b, unsigned o, size_t bit, xbuddy__w old)
{
    xbuddy__sum(b, bit, old, true);
    if (bit >> XBUDDY__WLOG < b->low[o]) b->low[o] = bit >> XBUDDY__WLOG;
    b->rec[o] = bit >> XBUDDY__WLOG;
}
/* A free block of order o (one exists): the latest block freed or split
 * off at this order (cache-hot, like the head of a free list) if its word
 * still has one, else the first one at or after low[o] (which then moves
 * up to it). Its node. */
XBUDDY__HOT size_t xbuddy__index_first(xbuddy *b, unsigned o)
{
    size_t w = (b->hw[b->rec[o]] & XBUDDY__EVEN) ? b->rec[o] : b->low[o], bit = xbuddy__find(b, w), Y;
    if (w == b->low[o]) b->low[o] = bit >> XBUDDY__WLOG;
    Y = (bit - b->adj[o]) >> 1;
    return o < b->maxo ? 2 * Y + (xbuddy__st(b, bit) >> 1) : Y;
}

/* The bit of node Y's pair (of node Y itself at the top order). */
static inline size_t xbuddy__hbit(const xbuddy *b, unsigned o, size_t Y)
{
    return xbuddy__bit(b, o, o < b->maxo ? Y >> 1 : Y);
}
/* Y's pair (state 0, or H=0 W=0 at the top) gets "Y free": (1, Y's side). */
XBUDDY__HOT void xbuddy__push(xbuddy *b, unsigned o, size_t Y)
{
    size_t bit = xbuddy__hbit(b, o, Y);
    xbuddy__w *w = b->hw + (bit >> XBUDDY__WLOG), old = *w;
    *w = old | (xbuddy__w)(o < b->maxo ? 1u | ((unsigned)Y & 1u) << 1 : 1u) << (bit & (XBUDDY__WB - 1));
    if (!b->nfree[o]++) b->mask |= (size_t)1 << o;
    if (XBUDDY__INBAND(b)) xbuddy__list_push(b, o, (Y << o) - b->phase);
    else xbuddy__index_push(b, o, bit, old);
}
/* Y's pair (Y the free one in it) gets state 0. */
XBUDDY__HOT void xbuddy__remove(xbuddy *b, unsigned o, size_t Y)
{
    size_t bit = xbuddy__hbit(b, o, Y);
    xbuddy__w *w = b->hw + (bit >> XBUDDY__WLOG);
    *w &= ~((xbuddy__w)3 << (bit & (XBUDDY__WB - 1)));
    if (!--b->nfree[o]) b->mask &= ~((size_t)1 << o);
    if (XBUDDY__INBAND(b)) xbuddy__list_remove(b, o, (Y << o) - b->phase);
    else xbuddy__sum(b, bit, *w, false);
}
XBUDDY__HOT size_t xbuddy__pop(xbuddy *b, unsigned o)
{
    size_t Y = XBUDDY__INBAND(b) ? (b->head[o] + b->phase) >> o : xbuddy__index_first(b, o);
    xbuddy__remove(b, o, Y);
    return Y;
}

/* Toggle the block marker of node Y, order o >= 1: (0,0) <-> (0,1). */
XBUDDY__HOT void xbuddy__mark(xbuddy *b, size_t Y, unsigned o)
{
    if (o) {
        size_t bit = xbuddy__bit(b, o - 1, Y) + 1;
        b->hw[bit >> XBUDDY__WLOG] ^= (xbuddy__w)1 << (bit & (XBUDDY__WB - 1));
    }
}

/* ---- the core -------------------------------------------------------------- */
/* The block holding min block X: returns its order; *fr = 1 if it is free.
 * Reads the pair above node(X, k) for k = 0, 1, ... (see DATA STRUCTURE). */
XBUDDY__HOT unsigned xbuddy__locate(const xbuddy *b, size_t X, int *fr)
{
    unsigned k;
    size_t Y = X; /* node(X, k) */
    for (k = 0; k < b->maxo; k++, Y >>= 1) {
        unsigned s = xbuddy__st(b, xbuddy__bit(b, k, Y >> 1));
        if (s) {
            *fr = s == (1u | ((unsigned)Y & 1u) << 1);
            return *fr ? k : s == 2u ? k + 1 : 0;
        }
    }
    *fr = (int)(xbuddy__st(b, xbuddy__bit(b, k, Y)) & 1u);
    return *fr ? k : 0;
}

#if XALLOC_DEBUG >= 2
/* In-band: fill n bytes of min block number i with the poison. */
static void xbuddy__poison(const xbuddy *b, size_t i, size_t n)
{
    unsigned char *p = (unsigned char *)xbuddy__node(b, i);
    XALLOC__SHOW(p, n);
    XALLOC_MEMSET(p, XBUDDY_POISON_BYTE, n);
    XALLOC__HIDE(p, n);
}
#endif

/* Free node Y of order o, merging it with free buddies up the orders: one
 * pair read per order, and per merge the buddy's removal from its set.
 *     [ Y ][free buddy]  =>  [ ------ Y >> 1 ------ ]  (one order up)
 * At level >= 2 (in-band) the block is poisoned whole, and at each merge
 * the first bytes of the right half (the links of a free buddy, or of a
 * left buddy absorbed one order below), now inside the merged block, too. */
XBUDDY__HOT void xbuddy__merge(xbuddy *b, size_t Y, unsigned o)
{
#if XALLOC_DEBUG >= 2
    if (XBUDDY__INBAND(b)) xbuddy__poison(b, (Y << o) - b->phase, (size_t)xbuddy__size(b, o));
#endif
    for (; o < b->maxo && (xbuddy__st(b, xbuddy__bit(b, o, Y >> 1)) & 1u); o++, Y >>= 1) {
        xbuddy__remove(b, o, Y ^ 1); /* the pair's free one is the buddy */
#if XALLOC_DEBUG >= 2
        if (XBUDDY__INBAND(b)) xbuddy__poison(b, ((Y | 1u) << o) - b->phase, XBUDDY__LINKS);
#endif
    }
    xbuddy__push(b, o, Y);
}

/* Split the block of order o holding min block X (taken out of its set or
 * unmarked by the caller) down to order k <= o: at each order the half not
 * holding X is freed (pushed: its buddy, on X's path, is not free) if
 * `fr`, else kept reserved (marked). Its node of order k. */
XBUDDY__HOT size_t xbuddy__split(xbuddy *b, size_t X, unsigned o, unsigned k, bool fr)
{
    while (o > k) {
        o--;
        if (fr) xbuddy__push(b, o, (X >> o) ^ 1u);
        else xbuddy__mark(b, (X >> o) ^ 1u, o);
    }
    return X >> k;
}

/* Take a free block of order >= o: one find-first-set over the mask picks
 * the order, pop one, split it down to o (keep the left half, push the
 * right one), mark it; its X. */
XBUDDY__HOT size_t xbuddy__take(xbuddy *b, unsigned o)
{
    size_t m = b->mask >> o, X;
    unsigned k;
    if (!m) return SIZE_MAX;
    k = o + xbuddy__ctz((xbuddy__w)m);
    X = xbuddy__pop(b, k) << k;
    xbuddy__mark(b, xbuddy__split(b, X, k, o, true), o);
    return X;
}

/* The largest order k <= M whose node at x (aligned there) ends by
 * end > x: the pieces of [x, end) in maximal aligned blocks. */
XBUDDY__ONE unsigned xbuddy__piece(const xbuddy *b, size_t x, size_t end)
{
    unsigned k = b->maxo;
    while ((x & (((size_t)1 << k) - 1)) || end - x < (size_t)1 << k) k--;
    return k;
}

/* ---- entry and exit of every public call ------------------------------------- */
static inline void xbuddy__lock(const xbuddy *b)   { if (b->hooks.lock) b->hooks.lock(b->hooks.user); }
static inline void xbuddy__unlock(const xbuddy *b) { if (b->hooks.lock) b->hooks.unlock(b->hooks.user); }
static void xbuddy__report(const xbuddy *b, xalloc_error e, xbuddy_addr a, const char *what)
{
    if (b->hooks.error) b->hooks.error(b->hooks.user, e, (uintptr_t)a, what);
}
#if XALLOC_DEBUG >= 4
static const char *xbuddy__check_locked(const xbuddy *b);
static bool xbuddy__full_check(const xbuddy *b)
{
    const char *why = xbuddy__check_locked(b);
    if (why) xbuddy__report(b, XALLOC_E_CORRUPT, 0, why);
    return why == NULL;
}
#define XBUDDY__FULL_CHECK(b) xbuddy__full_check(b)
#else
#define XBUDDY__FULL_CHECK(b) true
#endif

/* Reservation boundaries below X; X is reserved iff below(X + 1) is odd. O(R). */
static size_t xbuddy__below(const xbuddy *b, size_t X)
{
    size_t i = 0;
    while (i < b->nres && b->res[i] < X) i++;
    return i;
}
#define xbuddy__reserved(b, X) ((xbuddy__below((b), (X) + 1) & 1u) != 0)

/* Order of a request of `size` bytes, or -1 if no block is that large. */
XBUDDY__HOT int xbuddy__order(const xbuddy *b, xbuddy_addr size)
{
    size_t k;
    if (size > xbuddy__size(b, b->maxo)) return -1;
    k = (size_t)xbuddy__shr(size - (size != 0), b->shift); /* blocks - 1 */
    return k ? (int)xbuddy__log2(k) + 1 : 0;
}

/* The allocated block at address a (with `size` > 0: of that size): its
 * min block, order in *o; or SIZE_MAX after reporting why not (level >= 1;
 * level 0 trusts a and size). A size makes it O(1) when a is that block. */
XBUDDY__HOT size_t xbuddy__find_used(const xbuddy *b, xbuddy_addr a, xbuddy_addr size, unsigned *o)
{
    size_t X = (size_t)xbuddy__shr(a - b->base, b->shift) + b->phase;
    int fr, k = size ? xbuddy__order(b, size) : -1;
#if XALLOC_DEBUG >= 1
    xalloc_error e = XALLOC_E_NOT_BLOCK;
    const char *why = "not the start of an allocated block";
    if (a < b->base || a - b->base >= b->bytes) { e = XALLOC_E_FOREIGN; why = "address outside the range"; }
    else if (b->nres && xbuddy__reserved(b, X)) { e = XALLOC_E_RESERVED; why = "address in a reserved range"; }
    else if (k > 0 && !((a - b->base) & (xbuddy__size(b, 0) - 1)) && (X >> k) << k == X &&
             xbuddy__st(b, xbuddy__bit(b, (unsigned)k - 1, X >> k)) == 2u) { *o = (unsigned)k; return X; }
    else if ((*o = xbuddy__locate(b, X, &fr)), fr) { e = XALLOC_E_DOUBLE_FREE; why = "address in free memory"; }
    else if (!((a - b->base) & (xbuddy__size(b, 0) - 1)) && (X >> *o) << *o == X) {
        if (!size || k == (int)*o) return X;
        e = XALLOC_E_SIZE_MISMATCH;
        why = "size does not match the block";
    }
    xbuddy__report(b, e, a, why);
    return SIZE_MAX;
#else
    *o = k >= 0 ? (unsigned)k : xbuddy__locate(b, X, &fr);
    return X;
#endif
}

/* ---- set-up --------------------------------------------------------------------- */
/* Words of the pair bits; with adj, also each order's adj. Order o has one
 * slot per pair of order-o nodes (per node at the top order), 2 bits each,
 * its slice word-aligned. */
static size_t xbuddy__slices(const xbuddy *b, size_t *adj)
{
    size_t bits = 0;
    unsigned o;
    for (o = 0; o <= b->maxo; o++) {
        unsigned s = o < b->maxo ? o + 1 : o;
        if (adj) adj[o] = bits - 2 * (b->phase >> s);
        bits += (2 * (((b->phase + b->n - 1) >> s) - (b->phase >> s) + 1) + XBUDDY__WB - 1) & ~(XBUDDY__WB - 1);
    }
    return bits >> XBUDDY__WLOG;
}

/* The geometry of a range, written into b: base, bytes, n, phase, shift,
 * maxo, the index levels (metadata-only: `meta`), maxres, meta_bytes. False
 * if the arguments are bad (a lone lock hook among them, at level >= 1:
 * refused before b is written, so every init and xbuddy_meta_size agree). */
static bool xbuddy__layout(xbuddy *b, xbuddy_addr base, xbuddy_addr size, const xbuddy_desc *d, bool meta)
{
    xbuddy_addr min = d && d->min_block ? d->min_block : (xbuddy_addr)XBUDDY_MIN_BLOCK;
    xbuddy_addr cap = d && d->max_block ? d->max_block : 0, lo, hi, n;
    size_t A, k;
    unsigned o;
    if ((d && XALLOC__LONE_LOCK(d->hooks)) || (min & (min - 1)) || min < sizeof(void *) || (!meta && min < XBUDDY__LINKS) ||
        (cap & (cap - 1)) || (cap && cap < min) ||
        size > XBUDDY_NONE - base || base > XBUDDY_NONE - min)
        return false;
    for (b->shift = 0; xbuddy__shl(1, b->shift) != min; b->shift++) { }
    lo = (base + min - 1) & ~(min - 1);
    hi = (base + size) & ~(min - 1);
    n = xbuddy__shr(hi - lo, b->shift);
    /* in-band: block numbers fit the 32-bit links (on a 32-bit target
     * SIZE_MAX >> 2 is the smaller bound, and the test folds away) */
    if (hi <= lo || n > (xbuddy_addr)(SIZE_MAX >> 2) ||
        (SIZE_MAX >> 2 >= XBUDDY__NIL && !meta && n >= (xbuddy_addr)XBUDDY__NIL))
        return false;
    b->base = lo;
    b->bytes = hi - lo;
    b->n = (size_t)n;
    A = (size_t)xbuddy__shr(lo, b->shift) & (SIZE_MAX >> 1); /* X of min block 0, mod 2^(bits-1) */
    /* largest order with an aligned node inside the range, under the cap */
    for (o = xbuddy__log2(b->n); o; o--)
        if ((!cap || xbuddy__shl(min, o) <= cap) && (((A + ((size_t)1 << o) - 1) >> o) + 1) << o <= A + b->n) break;
    b->maxo = o;
    b->phase = A & (((size_t)2 << o) - 1);
    b->nwords = xbuddy__slices(b, NULL);
    b->nlev = 0;
    b->lev[0] = 0;
    /* each level has a 64th of the bits of the one below: at most 10 levels
     * over the 2^57 words of the largest range, inside the table's 12 */
    for (k = (b->nwords + ((size_t)1 << XBUDDY__GLOG) - 1) >> XBUDDY__GLOG; meta;) {
        b->lev[b->nlev + 1] = b->lev[b->nlev] + ((k + XBUDDY__WB - 1) >> XBUDDY__WLOG); /* level nlev: k bits */
        b->nlev++;
        if (k <= XBUDDY__WB) break;
        k = (k + XBUDDY__WB - 1) >> XBUDDY__WLOG;
    }
    b->maxres = d && d->max_reserved ? d->max_reserved : XBUDDY_MAX_RESERVED;
    /* adj, nfree, then low and rec (metadata-only) or head (in-band) */
    b->meta_bytes = sizeof(xbuddy) + sizeof(size_t) * ((meta ? 4u : 3u) * ((size_t)o + 1) + 2 * b->maxres) +
                    sizeof(xbuddy__w) * (b->nwords + b->lev[b->nlev]);
    return true;
}

XALLOC_DEF size_t xbuddy_meta_size(xbuddy_addr base, xbuddy_addr size, const xbuddy_desc *desc)
{
    xbuddy t;
    return xbuddy__layout(&t, base, size, desc, true) ? t.meta_bytes + sizeof(xbuddy__w) - 1 : 0;
}

static xbuddy *xbuddy__bad(const xbuddy_desc *d, const void *p)
{
    if (d && d->hooks.error)
        d->hooks.error(d->hooks.user, XALLOC_E_BADARG, (uintptr_t)p,
                       XALLOC__LONE_LOCK(d->hooks) ? XALLOC__LONE_LOCK_TEXT : "bad range, block size or meta size");
    return NULL;
}

/* Point t's arrays (its geometry in place) where they go after the handle
 * at `at`: adj, nfree, then low and rec (metadata-only) or head (in-band),
 * res, the pair bits, the index. Setup places a handle's own arrays; the
 * check compares a handle with this. */
static void xbuddy__place(xbuddy *t, const xbuddy *at, bool meta)
{
    size_t *z;
    t->adj = (size_t *)(void *)(uintptr_t)(at + 1);
    t->nfree = t->adj + t->maxo + 1;
    z = t->nfree + t->maxo + 1;
    t->low = t->rec = t->head = NULL;
    if (meta) t->low = z, t->rec = z + t->maxo + 1;
    else t->head = z;
    t->res = z + (size_t)(meta ? 2u : 1u) * (t->maxo + 1);
    t->hw = (xbuddy__w *)(void *)(t->res + 2 * t->maxres);
    t->sum = t->hw + t->nwords;
}

/* Finish an allocator whose geometry is in place: hooks, counters, arrays
 * (all zeroed), then every byte of the range free in maximal aligned
 * blocks. */
static xbuddy *xbuddy__setup(xbuddy *b, const xbuddy_desc *d, unsigned flags)
{
    size_t x, *z;
    unsigned o;
    b->hooks.error = d ? d->hooks.error : NULL;
    b->hooks.lock = d ? d->hooks.lock : NULL;
    b->hooks.unlock = d ? d->hooks.unlock : NULL;
    b->hooks.user = d ? d->hooks.user : NULL;
    xalloc__pair_hooks(&b->hooks);
    b->mask = b->used = b->resv = b->live = b->nres = 0;
    b->allocs = b->frees = b->failures = 0;
    xbuddy__place(b, b, (flags & XBUDDY__META) != 0);
    for (z = b->adj; z < (size_t *)(void *)(b->sum + b->lev[b->nlev]); z++) *z = 0;
    xbuddy__slices(b, b->adj);
    for (o = 0, z = b->nfree + b->maxo + 1; o <= b->maxo; o++) z[o] = b->low ? SIZE_MAX : XBUDDY__NIL; /* low or head: none */
    XALLOC__POOL_CREATE(b);
    for (x = b->phase; x < b->phase + b->n; x += (size_t)1 << o) {
        o = xbuddy__piece(b, x, b->phase + b->n);
        xbuddy__merge(b, x >> o, o);
    }
#if XALLOC_DEBUG < 2
    if (XBUDDY__INBAND(b)) XALLOC__HIDE((void *)(uintptr_t)b->base, (size_t)b->bytes);
#endif
    return b;
}

XALLOC_DEF xbuddy *xbuddy_init_meta(void *meta, size_t meta_size, xbuddy_addr base, xbuddy_addr size, const xbuddy_desc *desc)
{
    uintptr_t m = (uintptr_t)meta, a = (m + sizeof(xbuddy__w) - 1) & ~(uintptr_t)(sizeof(xbuddy__w) - 1);
    xbuddy *b = (xbuddy *)a;
    if (!(XBUDDY_MODES & 2) || !meta || meta_size < a - m + sizeof(xbuddy) ||
        !xbuddy__layout(b, base, size, desc, true) ||
        b->meta_bytes > meta_size - (a - m))
        return xbuddy__bad(desc, meta);
    return xbuddy__setup(b, desc, XBUDDY__META);
}

XALLOC_DEF xbuddy *xbuddy_init(void *mem, size_t size, const xbuddy_desc *desc)
{
    xbuddy t;
    uintptr_t a = (uintptr_t)mem, m;
    /* the bitmap goes at the end; the range shrinks to what is left before
     * it (which needs no more bitmap than the whole did) */
    if (!(XBUDDY_MODES & 1) || !mem || !xbuddy__layout(&t, a, size, desc, false) ||
        t.meta_bytes >= size)
        return xbuddy__bad(desc, mem);
    m = (a + size - t.meta_bytes) & ~(uintptr_t)(sizeof(xbuddy__w) - 1);
    if (m <= a || !xbuddy__layout((xbuddy *)m, a, m - a, desc, false)) return xbuddy__bad(desc, mem);
    return xbuddy__setup((xbuddy *)m, desc, 0);
}

/* ---- allocation and free ------------------------------------------------------ */
/* Both allocating calls: a block of order o (-1: none is that large). The
 * order is computed before the lock, from fields init alone writes. */
XBUDDY__HOT xbuddy_addr xbuddy__alloc(xbuddy *b, int o)
{
    size_t X = SIZE_MAX;
    xbuddy_addr a = XBUDDY_NONE;
    xbuddy__lock(b);
    if (o < 0) xbuddy__report(b, XALLOC_E_BADARG, 0, "larger than any block");
    else if (XBUDDY__FULL_CHECK(b)) X = xbuddy__take(b, (unsigned)o);
    if (X == SIZE_MAX) {
        b->failures++;
        goto out;
    }
    b->used += (size_t)1 << o;
    b->live++;
    b->allocs++;
    a = xbuddy__addr(b, X);
#if XALLOC_DEBUG >= 2
    if (XBUDDY__INBAND(b)) {
        /* the block's first bytes held its links */
        const unsigned char *p = (const unsigned char *)(uintptr_t)a + XBUDDY__LINKS, *e = p - XBUDDY__LINKS + (size_t)xbuddy__size(b, (unsigned)o);
        XALLOC__SHOW(p, (size_t)(e - p));
        while (p < e && *p == (unsigned char)XBUDDY_POISON_BYTE) p++;
        if (p < e) xbuddy__report(b, XALLOC_E_USE_AFTER_FREE, (xbuddy_addr)(uintptr_t)p, "free memory was written to");
    }
#endif
    if (XBUDDY__INBAND(b)) XALLOC__ON_ALLOC(b, (void *)(uintptr_t)a, (size_t)xbuddy__size(b, (unsigned)o));
out:
    xbuddy__unlock(b);
    return a;
}

XALLOC_DEF xbuddy_addr xbuddy_alloc_order(xbuddy *b, unsigned order)
{
    return xbuddy__alloc(b, order > b->maxo ? -1 : (int)order);
}

XALLOC_DEF xbuddy_addr xbuddy_alloc_addr(xbuddy *b, xbuddy_addr size)
{
    return xbuddy__alloc(b, xbuddy__order(b, size));
}

XALLOC_DEF void *xbuddy_alloc(xbuddy *b, size_t size)
{
    xbuddy_addr a = xbuddy_alloc_addr(b, (xbuddy_addr)size);
    return a == XBUDDY_NONE ? NULL : (void *)(uintptr_t)a;
}

XALLOC_DEF void xbuddy_free_addr(xbuddy *b, xbuddy_addr addr, xbuddy_addr size)
{
    unsigned o;
    size_t X;
    if (addr == XBUDDY_NONE) return;
    xbuddy__lock(b);
    if (XBUDDY__FULL_CHECK(b) && (X = xbuddy__find_used(b, addr, size, &o)) != SIZE_MAX) {
        if (XBUDDY__INBAND(b)) {
            XALLOC__ON_FREE(b, (void *)(uintptr_t)addr);
            XALLOC__HIDE((void *)(uintptr_t)addr, (size_t)xbuddy__size(b, o));
        }
        xbuddy__mark(b, X >> o, o);
        b->used -= (size_t)1 << o;
        b->live--;
        b->frees++;
        xbuddy__merge(b, X >> o, o);
    }
    xbuddy__unlock(b);
}

XALLOC_DEF void xbuddy_free(xbuddy *b, void *p)
{
    if (p) xbuddy_free_addr(b, (xbuddy_addr)(uintptr_t)p, 0);
}

XALLOC_DEF xbuddy_addr xbuddy_block_size(xbuddy *b, xbuddy_addr addr)
{
    xbuddy_addr s = 0;
    unsigned o;
    xbuddy__lock(b);
    /* a query: never trusts its address (at level 0 answers 0 outside) */
    if ((XALLOC_DEBUG >= 1 || (addr >= b->base && addr - b->base < b->bytes)) &&
        xbuddy__find_used(b, addr, 0, &o) != SIZE_MAX) s = xbuddy__size(b, o);
    xbuddy__unlock(b);
    return s;
}

/* ---- reserved ranges ------------------------------------------------------------ */
/* Reserve (add) or release (!add) [addr, addr + size): the range's min
 * blocks get membership `add`; boundaries inside [lo, hi] give way to one
 * at lo if the membership before lo differs, one at hi if the one at hi does.
 * The range is walked in pieces: at x, the maximal aligned piece of
 * [x, hi), or the block at x if that is smaller. A free block (add) or a
 * reserved one (!add) holding the piece is split down to it, the halves
 * split off keeping their state (xbuddy__split), and the piece changes
 * state; anything else is left alone. With add, a first pass over the same
 * pieces refuses the call if one is allocated. */
static bool xbuddy__reserve(xbuddy *b, xbuddy_addr addr, xbuddy_addr size, bool add)
{
    xbuddy_addr a = addr < b->base ? b->base : addr, e = addr + size, top = b->base + b->bytes;
    size_t lo, hi, x, i, j, m, n, *r = b->res;
    unsigned o, k;
    int fr, pass;
    const char *why = "range wraps around";
    if (size > XBUDDY_NONE - addr) goto refuse;
    /* clip to the range, round out to min blocks */
    if (e > top) e = top;
    if (e <= a) return true;
    lo = (size_t)xbuddy__shr(a - b->base, b->shift) + b->phase;
    hi = (size_t)xbuddy__shr(e - b->base + xbuddy__size(b, 0) - 1, b->shift) + b->phase;
    i = xbuddy__below(b, lo);
    j = xbuddy__below(b, hi + 1);
    n = (size_t)((i & 1u) != add) + (size_t)((j & 1u) != add); /* boundaries at lo, hi */
    why = "reserved-range table full";
    if (b->nres - (j - i) + n > 2 * b->maxres) goto refuse;
    why = "range overlaps an allocation";
    for (pass = !add; pass < 2; pass++) /* add: pass 0 looks for allocations, pass 1 acts */
        for (x = lo, m = 0; x < hi; x += (size_t)1 << k) {
            bool rsv;
            while (m < b->nres && r[m] <= x) m++; /* x is reserved iff m is odd */
            rsv = (m & 1u) != 0;
            o = xbuddy__locate(b, x, &fr);
            k = xbuddy__piece(b, x, hi);
            if (k > o) k = o;
            if (!pass && !fr && !rsv) goto refuse;
            if (pass && (add ? fr : !fr && rsv)) {
                if (add) xbuddy__remove(b, o, x >> o);
                else xbuddy__mark(b, x >> o, o);
                xbuddy__split(b, x, o, k, add);
                if (add) {
                    xbuddy__mark(b, x >> k, k);
                    b->resv += (size_t)1 << k;
                    if (XBUDDY__INBAND(b)) XALLOC__SHOW((void *)(uintptr_t)xbuddy__addr(b, x), (size_t)xbuddy__size(b, k));
                } else {
                    b->resv -= (size_t)1 << k;
                    if (XBUDDY__INBAND(b)) XALLOC__HIDE((void *)(uintptr_t)xbuddy__addr(b, x), (size_t)xbuddy__size(b, k));
                    xbuddy__merge(b, x >> k, k);
                }
            }
        }
    /* splice: res[i, j) becomes the n new boundaries (a move that works
     * either way: from the end when the tail moves up) */
    for (m = 0, x = b->nres - j; m < x; m++) {
        size_t t = i + n > j ? x - 1 - m : m;
        r[i + n + t] = r[j + t];
    }
    b->nres += n + i - j;
    if ((i & 1u) != add) r[i++] = lo;
    if ((j & 1u) != add) r[i] = hi;
    return true;
refuse:
    xbuddy__report(b, XALLOC_E_BADARG, addr, why);
    return false;
}

XBUDDY__ONE bool xbuddy__set_reserved(xbuddy *b, xbuddy_addr addr, xbuddy_addr size, bool add)
{
    bool ok = false;
    xbuddy__lock(b);
    if (XBUDDY__FULL_CHECK(b)) ok = xbuddy__reserve(b, addr, size, add);
    xbuddy__unlock(b);
    return ok;
}

XALLOC_DEF bool xbuddy_reserve(xbuddy *b, xbuddy_addr addr, xbuddy_addr size)
{
    return xbuddy__set_reserved(b, addr, size, true);
}

XALLOC_DEF bool xbuddy_release(xbuddy *b, xbuddy_addr addr, xbuddy_addr size)
{
    return xbuddy__set_reserved(b, addr, size, false);
}

/* ---- introspection ------------------------------------------------------------- */
static void xbuddy__stats(const xbuddy *b, xbuddy_stats *s)
{
    unsigned o, q = 0;
    size_t fr = b->n - b->used - b->resv, big = b->mask ? (size_t)1 << xbuddy__log2(b->mask) : 0, num = big, den = fr;
    s->base = b->base;
    s->size = b->bytes;
    s->min_block = xbuddy__size(b, 0);
    s->max_order = b->maxo;
    s->free_bytes = xbuddy__shl((xbuddy_addr)fr, b->shift);
    s->used_bytes = xbuddy__shl((xbuddy_addr)b->used, b->shift);
    s->reserved_bytes = xbuddy__shl((xbuddy_addr)b->resv, b->shift);
    s->largest_free = xbuddy__shl((xbuddy_addr)big, b->shift);
    for (o = 0; o < XBUDDY_ORDERS; o++) s->free_blocks[o] = o <= b->maxo ? b->nfree[o] : 0;
    while (den >> 20) { num >>= 1; den >>= 1; } /* keep num * 1000 in 32 bits */
    /* q = num * 1000 / den by shift and subtract: num <= den, so q <= 1000
     * has 11 bits (and no division, which is a libgcc call on Cortex-M0) */
    for (num *= 1000u, o = 11; o--;)
        if (((uint32_t)den << o) <= (uint32_t)num) { num -= (size_t)den << o; q += 1u << o; }
    s->fragmentation = den ? 1000u - q : 0u;
    s->live_blocks = b->live;
    s->reserved_ranges = b->nres / 2;
    s->meta_bytes = b->meta_bytes;
    s->allocs = b->allocs;
    s->frees = b->frees;
    s->failures = b->failures;
}

XALLOC_DEF void xbuddy_stats_get(xbuddy *b, xbuddy_stats *out)
{
    xbuddy__lock(b);
    xbuddy__stats(b, out);
    xbuddy__unlock(b);
}

#ifndef XALLOC_NO_INTROSPECTION
static size_t xbuddy__popcount(xbuddy__w w)
{
    size_t c = 0;
    for (; w; w &= w - 1) c++;
    return c;
}

/* The record every walk follows: its geometry is what layout gives for its
 * own range, block sizes and table size, in its mode (in-band: head set,
 * low and rec not, and the record less than a minimum block after the
 * range, where init put it; metadata-only: the reverse), and its arrays lie
 * where setup put them (xbuddy__place). O(M). */
static const char *xbuddy__check_record(const xbuddy *b)
{
    xbuddy t;
    xbuddy_desc d;
    bool meta = !XBUDDY__INBAND(b);
    unsigned k;
    if (b->shift >= sizeof(xbuddy_addr) * CHAR_BIT || b->maxo >= sizeof(size_t) * CHAR_BIT - 1)
        return "allocator record damaged";
    XALLOC_MEMSET(&d, 0, sizeof d);
    d.min_block = xbuddy__shl(1, b->shift);
    d.max_block = xbuddy__shl(d.min_block, b->maxo); /* (0 if that overflows: no cap) */
    d.max_reserved = (unsigned)b->maxres;
    if (!b->maxres || b->maxres != d.max_reserved || !xbuddy__layout(&t, b->base, b->bytes, &d, meta) ||
        t.base != b->base || t.bytes != b->bytes || t.n != b->n || t.phase != b->phase || t.maxo != b->maxo ||
        t.nwords != b->nwords || t.nlev != b->nlev || t.meta_bytes != b->meta_bytes || b->nres > 2 * b->maxres ||
        (!meta && ((uintptr_t)b < b->base + b->bytes || (uintptr_t)b - (b->base + b->bytes) >= d.min_block)))
        return "allocator record damaged";
    for (k = 0; k <= t.nlev; k++)
        if (t.lev[k] != b->lev[k]) return "allocator record damaged";
    xbuddy__place(&t, b, meta);
    if (t.adj != b->adj || t.nfree != b->nfree || t.low != b->low || t.rec != b->rec || t.head != b->head ||
        t.res != b->res || t.hw != b->hw || t.sum != b->sum)
        return "allocator record damaged";
    return NULL;
}

/* The full check: the record, a lookup of every block, a pass over the
 * bitmap and the index. O(B * M + bitmap words); needs no memory of its
 * own (a handle's worth of stack). */
static const char *xbuddy__check_locked(const xbuddy *b)
{
    size_t x, end = b->phase + b->n, used = 0, resv = 0, live = 0, nfree = 0, marks = 0, i, w, e;
    unsigned o, k;
    int fr;
    const char *why = xbuddy__check_record(b);
    if (why) return why;
    for (x = b->phase; x < end; x += (size_t)1 << o) {
        bool r = xbuddy__reserved(b, x);
        o = xbuddy__locate(b, x, &fr);
        if ((x >> o) << o != x || end - x < (size_t)1 << o) return "blocks do not tile the range";
        for (i = 0; i < b->nres; i++)
            if (b->res[i] > x && b->res[i] < x + ((size_t)1 << o)) return "a block crosses a reservation";
        if (fr && r) return "free block in a reservation";
        if (fr) nfree++;
        else if (r) resv += (size_t)1 << o;
        else { used += (size_t)1 << o; live++; }
        if (!fr && o) marks++;
    }
    if (used != b->used || live != b->live || resv != b->resv) return "used/live/reserved counts wrong";
    for (o = 0, e = 0; o <= b->maxo; o++) { /* order o's slice: words [w, e), after order o - 1's */
        size_t h = 0;
        w = e;
        e = o < b->maxo ? (b->adj[o + 1] + 2 * (b->phase >> (o + 1 < b->maxo ? o + 2 : o + 1))) >> XBUDDY__WLOG : b->nwords;
        for (; w < e; w++) {
            xbuddy__w v = b->hw[w];
            if ((v & XBUDDY__EVEN) && b->low && w < b->low[o]) return "free block below the search hint";
            h += xbuddy__popcount(v & XBUDDY__EVEN);
            if (o < b->maxo) marks -= xbuddy__popcount(v >> 1 & ~v & XBUDDY__EVEN);
            else if (v & ~XBUDDY__EVEN) return "stray bit in the top order";
        }
        if (h != b->nfree[o] || ((b->mask >> o & 1u) != 0) != (h != 0)) return "free counts or mask wrong";
        nfree -= h;
    }
    if (nfree || marks) return "free blocks or markers wrong";
    /* in-band lists: list o visits nfree[o] free blocks of order o with
     * consistent back-links, then ends. Back-links make the visits distinct
     * (a block seen twice would have two predecessors), so with the counts
     * checked above each list is exactly its order's free blocks. */
    for (o = 0; b->head && o <= b->maxo; o++) {
        size_t p = XBUDDY__NIL, c = 0, Y;
        for (i = b->head[o]; i != XBUDDY__NIL; p = i, i = xbuddy__link(b, i, 0), c++) {
            if (c == b->nfree[o] || i >= b->n || xbuddy__link(b, i, 1) != p) return "free list links broken";
            Y = (i + b->phase) >> o;
            if ((Y << o) - b->phase != i ||
                xbuddy__st(b, xbuddy__hbit(b, o, Y)) != (o < b->maxo ? 1u | ((unsigned)Y & 1u) << 1 : 1u))
                return "free list holds a block that is not free";
        }
        if (c != b->nfree[o]) return "free list shorter than the count";
    }
    for (k = 0; k < b->nlev; k++) { /* each index bit: the words below it are not all empty */
        const xbuddy__w *src = k ? b->sum + b->lev[k - 1] : b->hw;
        size_t span = k ? 1 : (size_t)1 << XBUDDY__GLOG, nsrc = k ? b->lev[k] - b->lev[k - 1] : b->nwords;
        for (i = 0; i < (b->lev[k + 1] - b->lev[k]) << XBUDDY__WLOG; i++) {
            xbuddy__w want = 0;
            for (w = i * span; w < (i + 1) * span && w < nsrc; w++) want |= src[w] & (k ? ~(xbuddy__w)0 : XBUDDY__EVEN);
            if ((want != 0) != ((b->sum[b->lev[k] + (i >> XBUDDY__WLOG)] >> (i & (XBUDDY__WB - 1))) & 1u))
                return "index differs from the bitmap";
        }
    }
    /* boundaries: increasing, in the range, paired. With the blocks checked
     * above (none crosses a boundary, none free in a range, the reserved ones
     * add up to resv), the ranges then hold exactly the reserved blocks. */
    for (i = 0; i < b->nres; i++)
        if (b->res[i] < (i ? b->res[i - 1] + 1 : b->phase) || b->res[i] > end) return "reservation table damaged";
    return (b->nres & 1u) ? "reservations and blocks differ" : NULL;
}

XALLOC_DEF const char *xbuddy_check(xbuddy *b)
{
    const char *why;
    xbuddy__lock(b);
    why = xbuddy__check_locked(b);
    if (why) xbuddy__report(b, XALLOC_E_CORRUPT, 0, why);
    xbuddy__unlock(b);
    return why;
}

XALLOC_DEF void xbuddy_walk(xbuddy *b, xbuddy_walk_fn fn, void *user)
{
    size_t x;
    unsigned o;
    int fr;
    xbuddy__lock(b);
    for (x = b->phase; x < b->phase + b->n; x += (size_t)1 << o) {
        xbuddy_kind k = xbuddy__reserved(b, x) ? XBUDDY_RESERVED : XBUDDY_USED;
        o = xbuddy__locate(b, x, &fr);
        if (!fn(user, xbuddy__addr(b, x), xbuddy__size(b, o), fr ? XBUDDY_FREE : k)) break;
    }
    xbuddy__unlock(b);
}

/* Lines: the range and sizes; buddyinfo (16 orders a line); reserved ranges. */
XALLOC_DEF void xbuddy_dump(xbuddy *b, xalloc_print_fn print, void *user)
{
    xbuddy_stats s;
    xalloc__line l;
    size_t i;
    unsigned o;
    xbuddy__lock(b);
    xbuddy__stats(b, &s);
    l.len = 0;
    xalloc__put_str(&l, "xbuddy ");
    xalloc__put_hex(&l, s.base);
    xalloc__put_str(&l, XBUDDY__INBAND(b) ? " in-band" : " metadata-only");
    {
        static const char *const name[6] = { ", size ", ", min block ", ", free ", ", used ", ", reserved ", ", largest " };
        xbuddy_addr v[6];
        v[0] = s.size;
        v[1] = s.min_block;
        v[2] = s.free_bytes;
        v[3] = s.used_bytes;
        v[4] = s.reserved_bytes;
        v[5] = s.largest_free;
        for (o = 0; o < 6; o++) {
            xalloc__put_str(&l, name[o]);
            xalloc__put_u(&l, v[o]);
        }
    }
    xalloc__put_end(&l, print, user);
    for (o = 0; o <= s.max_order; o++) {
        if (!(o & 15)) xalloc__put_str(&l, "  buddyinfo");
        xalloc__put_str(&l, " ");
        xalloc__put_u(&l, s.free_blocks[o]);
        if ((o & 15) == 15 || o == s.max_order) xalloc__put_end(&l, print, user);
    }
    for (i = 0; i + 1 < b->nres; i += 2) {
        xalloc__put_str(&l, "  reserved ");
        xalloc__put_hex(&l, xbuddy__addr(b, b->res[i]));
        xalloc__put_str(&l, "..");
        xalloc__put_hex(&l, xbuddy__addr(b, b->res[i + 1]));
        xalloc__put_end(&l, print, user);
    }
    xbuddy__unlock(b);
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
