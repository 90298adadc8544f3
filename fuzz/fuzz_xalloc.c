/* fuzz_xalloc.c - fuzz harness for the heap, xalloc.h.
 *
 * The input is a program: a configuration, then operations, each an opcode
 * byte (taken modulo the number of operations) and its operands. Every byte
 * string decodes to a valid program; bytes past the end read as 0.
 *
 *   byte 0      variant (modulo FUZZ_VARIANTS): compile-time options, below
 *   byte 1      flags: 1 misuse, 2|4 lock hooks (0 none, 1 both, 2 lock
 *               only, 3 unlock only: refused at level 1 and up, the
 *               program going on without it; ignored at level 0), 8 trace hook,
 *               16 desc NULL (no hooks at all), 32 max_block, 64 free in
 *               reverse order at the end
 *   bytes 2-3   region size - 1 (1 .. 65536 bytes; at level 4 the low 12 bits)
 *   byte 4      start offset in the arena (0 .. 63)
 *   bytes 5-6   max_block (with flag 32; 0 is the default)
 *   byte 7      seed of the random bytes the arena holds before init
 *   byte 8      intervals: bits 0-1 full check every 1/4/16/64 operations
 *               (or fewer, when one costs more than fuzz.h's budget),
 *               bits 2-3 stats (which flush the quick lists) never/every
 *               64/8/1 operations; both always at the end
 *   then        operations (see the OP_ list)
 *
 * A shadow model holds every live block (address, requested size and
 * alignment, id; its bytes are a pattern of its id). After every operation
 * it checks the results, the trace events and error reports (exactly those
 * the operation must cause), the lock hooks (balanced, never nested), and
 * the bytes of a block that is freed or reallocated; on the schedule the
 * input picks (fuzz.h: "when to run the checks") and at the end, the full
 * check: xalloc_check passes; a walk of the heap finds exactly the live
 * blocks, in their regions, in order, not overlapping, usable sizes right;
 * the bytes of every block are intact; the stats agree with the walk and the
 * model.
 * An allocation that fails while the walk shows a free block that could
 * hold it breaks the heap's no-false-out-of-memory promise. At the end every
 * block is freed and the heap must be exactly as it was after init (the
 * same free blocks at the same places, the same stats).
 *
 * Misuse (flag 1, XALLOC_DEBUG >= 1): frees of pointers outside the heap,
 * misaligned and interior pointers, double frees (where the manual promises
 * detection), the same through realloc and usable_size, bad alignments,
 * overlapping regions, and at XALLOC_DEBUG >= 3 overruns of a few bytes past
 * a block (restored afterwards). Each must be reported through the error
 * hook and change nothing.
 *
 * Any violation traps (FUZZ_CHECK). See fuzz/README.md to build and run it. */
#define FUZZ_VARIANTS 8

#ifndef FUZZ_VARIANT
#include "fuzz.h"
#else

/* ---- variants --------------------------------------------------------------- */
#if FUZZ_VARIANT == 0
#define XALLOC_DEBUG 0
#elif FUZZ_VARIANT == 1
#define XALLOC_DEBUG 1
#elif FUZZ_VARIANT == 2
#define XALLOC_DEBUG 2
#elif FUZZ_VARIANT == 3
#define XALLOC_DEBUG 3
#elif FUZZ_VARIANT == 4
#define XALLOC_DEBUG 4
#elif FUZZ_VARIANT == 5
#define XALLOC_DEBUG 1
#define XALLOC_QUICK 0
#elif FUZZ_VARIANT == 6
#define XALLOC_DEBUG 3
#define XALLOC_ALIGNMENT 8
#define XALLOC_SL_LOG2 2
#define XALLOC_NO_BUILTINS
#elif FUZZ_VARIANT == 7
#define XALLOC_DEBUG 2
/* With XALLOC_ALIGNMENT >= 32 on 64-bit the smallest block is one
 * granule: fuzz/regress/xalloc/g32-one-granule-block once showed check and
 * walk taking such a used block for a fence. */
#define XALLOC_ALIGNMENT 32
#define XALLOC_SL_LOG2 5
#define XALLOC_QUICK 2
#define XALLOC_QUICK_CLASSES 16
#else
#error "unknown FUZZ_VARIANT"
#endif
#define XALLOC_IMPLEMENTATION
#define XALLOC_STATIC
#include "xalloc.h"
#include "fuzz.h"

/* ---- what the manual says about block sizes --------------------------------------- */
#define G        ((size_t)XALLOC_ALIGNMENT)
#define HDR      ((size_t)XALLOC_BLOCK_OVERHEAD)
#define TAIL     ((size_t)(XALLOC_DEBUG >= 3 ? 4 : 0))       /* level 3: the size after each block */
/* smallest block: the links and footer of a free block, and never less
 * than two granules (one granule is a fence) */
#define MINB_FIT ((4 + 2 * sizeof(void *) + 4 + G - 1) & ~(G - 1))
#define MINB     (MINB_FIT < 2 * G ? 2 * G : MINB_FIT)
/* A region of at least this many bytes is not "too small" for add_region:
 * a region record (a few pointers), alignment, a smallest block. */
#define ADD_MIN_OK (8 * sizeof(void *) + 8 + 3 * G + MINB)

/* Bytes of the smallest block that holds a request of `size` bytes. */
static size_t need_bytes(size_t size)
{
    size_t n;
    if (size > SIZE_MAX / 2) return SIZE_MAX;
    n = (size + HDR + TAIL + G - 1) & ~(G - 1);
    return n < MINB ? MINB : n;
}

/* ---- memory ------------------------------------------------------------------ */
/* Level 4 runs the heap's full check, which reads every poisoned byte, on
 * every call: its regions are kept small (at most 4 KiB, 2 KiB more per
 * added region), so that its programs run as many calls as the others.
 * Large regions are the other levels' part (level 3 differs from 4 only in
 * that check). */
#define LEVEL4_CAP(m) (XALLOC_DEBUG >= 4 ? 0xFFFu : (unsigned)(m))
#define MAIN_MAX   65536
#define EXTRA_SIZE (3 * 16384)
/* The arenas start at 64 KiB boundaries, so that addresses modulo every
 * alignment a program asks for are the same in every build and run (AFL++,
 * libFuzzer, replay): a crash found by one replays in the others. (An
 * aligned attribute is not enough: a position-independent program is loaded
 * at a page boundary.) */
#define ARENA_ALIGN ((uintptr_t)65536)
static unsigned char arena_store[MAIN_MAX + 64 + EXTRA_SIZE + 2 * ARENA_ALIGN];
static unsigned char *arena, *extra;
static unsigned char outside[256] __attribute__((aligned(64)));

/* ---- the model ------------------------------------------------------------------ */
#define MAXLIVE 512
#define MAXREG  8
#define MAXWALK 16384
#define MAXEV   8
#define NDEAD   16
#define NONE    ((size_t)-1)

typedef struct blk { unsigned char *p; size_t req, align; uint32_t id; } blk;
typedef struct reg { unsigned char *mem; size_t size; } reg;
typedef struct went { unsigned char *p; size_t size; int used; } went;
typedef struct ev { int op; void *p; size_t size; } ev;

static blk live[MAXLIVE];
static went walk[MAXWALK], base[MAXWALK];
static struct {
    xalloc_heap *h;
    size_t nlive, nwalk, nbase, nreg;
    int walk_overflow, base_overflow;
    reg regs[MAXREG];
    unsigned char *dead[NDEAD];
    unsigned ndead, dead_pos;
    ev evs[MAXEV], exp[MAXEV];
    size_t nev, nexp;
    unsigned errs, exp_errs;
    xalloc_error last_err;
    int lock_mode, lock_depth;
    unsigned long locks;
    uint64_t allocs, frees, oom, misuse_nulls;
    size_t peak_floor, max_block_bytes;
    uint32_t next_id;
    int misuse, trace_on, hooked, reverse_end;
    unsigned check_every, stats_every;
} S;

/* ---- hooks ---------------------------------------------------------------------- */
static void on_error(void *user, xalloc_error e, uintptr_t p, const char *what)
{
    (void)p;
    FUZZ_CHECK(user == &S, "error hook: wrong user pointer");
    FUZZ_CHECK(e > XALLOC_OK && e < XALLOC_E_COUNT, "error hook: code out of range");
    FUZZ_CHECK(what && what[0], "error hook: no text");
    S.errs++;
    S.last_err = e;
    FUZZ_LOG("    reported: %s: %s\n", xalloc_error_name(e), what);
}
static void on_lock(void *user)
{
    FUZZ_CHECK(user == &S, "lock hook: wrong user pointer");
    FUZZ_CHECK(S.lock_mode == 1, "lock hook called though unlock is not set");
    FUZZ_CHECK(S.lock_depth == 0, "lock taken twice: a public call re-entered another");
    S.lock_depth = 1;
    S.locks++;
}
static void on_unlock(void *user)
{
    FUZZ_CHECK(user == &S, "unlock hook: wrong user pointer");
    FUZZ_CHECK(S.lock_mode == 1, "unlock hook called though lock is not set");
    FUZZ_CHECK(S.lock_depth == 1, "unlock without lock");
    S.lock_depth = 0;
}
static void on_trace(void *user, xalloc_trace_op op, void *p, size_t size)
{
    FUZZ_CHECK(user == &S, "trace hook: wrong user pointer");
    FUZZ_CHECK(S.nev < MAXEV, "too many trace events in one call");
    S.evs[S.nev].op = (int)op;
    S.evs[S.nev].p = p;
    S.evs[S.nev].size = size;
    S.nev++;
}

/* Trace events and error reports an operation must cause. */
static void expect_ev(int op, void *p, size_t size)
{
    FUZZ_CHECK(S.nexp < MAXEV, "harness: too many expected events");
    S.exp[S.nexp].op = op;
    S.exp[S.nexp].p = p;
    S.exp[S.nexp].size = size;
    S.nexp++;
}
static void expect_err(void) { if (S.hooked) S.exp_errs++; }

static void settle(void)
{
    size_t i;
    FUZZ_CHECK(S.errs == S.exp_errs, S.errs > S.exp_errs ? "an error was reported that should not have been"
                                                          : "misuse was not reported through the error hook");
    FUZZ_CHECK(S.lock_depth == 0, "a call returned with the lock held");
    if (S.trace_on) {
        FUZZ_CHECK(S.nev == S.nexp, "trace hook: wrong number of events");
        for (i = 0; i < S.nev; i++) {
            FUZZ_CHECK(S.evs[i].op == S.exp[i].op, "trace hook: wrong event");
            FUZZ_CHECK(S.evs[i].p == S.exp[i].p, "trace hook: wrong pointer");
            FUZZ_CHECK(S.evs[i].size == S.exp[i].size, "trace hook: wrong size");
        }
    } else {
        FUZZ_CHECK(S.nev == 0, "trace hook called though none was set");
    }
    S.nev = S.nexp = 0;
}

/* ---- model of live blocks, sorted by address -------------------------------------- */
static size_t lower(const unsigned char *p)
{
    size_t lo = 0, hi = S.nlive;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (live[mid].p < p) lo = mid + 1; else hi = mid;
    }
    return lo;
}
static size_t find(const unsigned char *p)
{
    size_t i = lower(p);
    return i < S.nlive && live[i].p == p ? i : NONE;
}
static const reg *region_of(const unsigned char *p, size_t n)
{
    size_t r;
    for (r = 0; r < S.nreg; r++)
        if (p >= S.regs[r].mem && (size_t)(p - S.regs[r].mem) <= S.regs[r].size && n <= S.regs[r].size - (size_t)(p - S.regs[r].mem))
            return &S.regs[r];
    return NULL;
}

/* Record a block just handed out; its bytes [keep, req) get the pattern. */
static void model_add(unsigned char *p, size_t req, size_t align, uint32_t id, size_t keep)
{
    size_t i, a = align > G ? align : G;
    FUZZ_CHECK(S.nlive < MAXLIVE, "harness: too many live blocks");
    FUZZ_CHECK(((uintptr_t)p & (a - 1)) == 0, "block not aligned as asked");
    FUZZ_CHECK(region_of(p - HDR, HDR + req + TAIL + HDR) != NULL, "block (with its header and the next) outside every region");
    i = lower(p);
    FUZZ_CHECK(i == S.nlive || live[i].p != p, "address handed out twice");
    FUZZ_CHECK(i == S.nlive || p + req + TAIL + HDR <= live[i].p, "block overlaps the next live block");
    FUZZ_CHECK(i == 0 || live[i - 1].p + live[i - 1].req + TAIL + HDR <= p, "block overlaps the previous live block");
    memmove(&live[i + 1], &live[i], (S.nlive - i) * sizeof live[0]);
    live[i].p = p;
    live[i].req = req;
    live[i].align = align;
    live[i].id = id;
    S.nlive++;
    fuzz_fill(p, keep, req, id);
}
static void push_dead(unsigned char *p)
{
    S.dead[S.dead_pos] = p;
    S.dead_pos = (S.dead_pos + 1) % NDEAD;
    if (S.ndead < NDEAD) S.ndead++;
}
static void model_remove(size_t i)
{
    push_dead(live[i].p);
    memmove(&live[i], &live[i + 1], (S.nlive - i - 1) * sizeof live[0]);
    S.nlive--;
}
static void check_bytes(size_t i)
{
    FUZZ_CHECK(fuzz_intact(live[i].p, live[i].req, live[i].id), "a live block's bytes changed");
}

/* ---- walking the heap ---------------------------------------------------------------- */
static bool walk_cb(void *user, void *p, size_t size, bool used)
{
    FUZZ_CHECK(user == &S, "walk: wrong user pointer");
    if (S.nwalk == MAXWALK) { S.walk_overflow = 1; return true; }
    walk[S.nwalk].p = (unsigned char *)p;
    walk[S.nwalk].size = size;
    walk[S.nwalk].used = used;
    S.nwalk++;
    return true;
}
static void do_walk(void)
{
    S.nwalk = 0;
    S.walk_overflow = 0;
    xalloc_walk(S.h, walk_cb, &S);
}

/* The heap's own check. It reads every block header and, from level 2,
 * every poisoned byte of free memory, a byte at a time (about 16
 * instructions a byte): the next is due after the interval the input
 * picked, or when this one's cost is paid off at FUZZ_CHECK_BUDGET an
 * operation (fuzz.h). At level 4 every call runs it first: here it runs
 * every 64 operations at the most, and at the end. */
static void check_own(void)
{
    unsigned e0 = S.errs;
    size_t i, cost = S.nwalk * 32;
    const char *why = xalloc_check(S.h);
    if (why) fprintf(stderr, "xalloc_check: %s\n", why);
    FUZZ_CHECK(why == NULL, "xalloc_check found the heap broken");
    FUZZ_CHECK(S.errs == e0, "xalloc_check reported an error but returned NULL");
    if (XALLOC_DEBUG >= 2)
        for (i = 0; i < S.nreg; i++) cost += 16 * S.regs[i].size;
    fuzz_own_done(S.check_every, cost);
}

/* A walk of the heap against the model. */
static void check_heap(void)
{
    size_t i, nused = 0;
    const reg *prev_r = NULL;
    const unsigned char *prev_end = NULL;
    do_walk();
    for (i = 0; i < S.nwalk; i++) {
        const went *w = &walk[i];
        const reg *r = region_of(w->p - HDR, HDR + w->size);
        FUZZ_CHECK(r != NULL, "walk: block outside every region");
        FUZZ_CHECK(((uintptr_t)w->p & (G - 1)) == 0, "walk: block not aligned");
        if (r == prev_r) {
            size_t gap;
            FUZZ_CHECK(w->p - HDR >= prev_end, "walk: blocks overlap or out of address order");
            gap = (size_t)(w->p - HDR - prev_end);
            if (!walk[i - 1].used || TAIL == 0)
                FUZZ_CHECK(gap == 0 || gap == G, "walk: blocks do not tile the region (gap that is not a fence)");
        }
        prev_r = r;
        prev_end = w->p + w->size + (w->used ? TAIL : 0);
        if (w->used) {
            size_t k = find(w->p);
            FUZZ_CHECK(k != NONE, "walk: a used block nobody holds");
            if (TAIL) FUZZ_CHECK(w->size == live[k].req, "walk: usable size is not the requested size (level 3)");
            else FUZZ_CHECK(w->size >= live[k].req && ((w->size + HDR) & (G - 1)) == 0, "walk: usable size wrong");
            nused++;
        } else {
            FUZZ_CHECK(w->size + HDR >= MINB && ((w->size + HDR) & (G - 1)) == 0, "walk: free block of impossible size");
        }
    }
    if (!S.walk_overflow) FUZZ_CHECK(nused == S.nlive, "walk: a live block is missing");
}
/* The full check (when: FUZZ_INIT, FUZZ_DUE, FUZZ_END; see fuzz.h, "when to
 * run the checks"): the heap's own check, then the model's: the walk and
 * every live block's bytes (about 64 instructions a block of the walk, the
 * bytes a memcmp). */
static void check_full(int when)
{
    size_t i, bytes = 0;
    if (fuzz_own_due(when)) check_own();
    if (!fuzz_model_due(when)) return;
    check_heap();
    for (i = 0; i < S.nlive; i++) { check_bytes(i); bytes += live[i].req; }
    fuzz_model_done(when, S.check_every, S.nwalk * 64 + bytes / 16, S.nwalk * 32 + (XALLOC_DEBUG >= 2 ? 16 * S.regs[0].size : 0));
}

/* Stats (which flush the quick lists) against a walk made after them. */
static void check_stats(void)
{
    xalloc_stats s;
    size_t i, nfree = 0, free_bytes = 0, largest = 0, used_sum = 0, need_sum = 0, regbytes = 0;
    xalloc_stats_get(S.h, &s);
    fuzz_changes++; /* the quick lists were flushed */
    do_walk();
    if (S.walk_overflow) return;
    for (i = 0; i < S.nwalk; i++) {
        if (walk[i].used) {
            used_sum += walk[i].size + HDR;
        } else {
            nfree++;
            free_bytes += walk[i].size + HDR;
            if (walk[i].size > largest) largest = walk[i].size;
        }
    }
    for (i = 0; i < S.nlive; i++) need_sum += need_bytes(live[i].req);
    for (i = 0; i < S.nreg; i++) regbytes += S.regs[i].size;
    FUZZ_CHECK(s.live_blocks == S.nlive, "stats: live_blocks");
    FUZZ_CHECK(s.free_blocks == nfree, "stats: free_blocks differs from the walk");
    FUZZ_CHECK(s.free_bytes == free_bytes, "stats: free_bytes differs from the walk");
    FUZZ_CHECK(s.used_bytes + s.free_bytes == s.block_bytes, "stats: used + free != block bytes");
    if (!TAIL) FUZZ_CHECK(s.used_bytes == used_sum, "stats: used_bytes differs from the walk");
    FUZZ_CHECK(s.used_bytes >= need_sum, "stats: used_bytes smaller than the live blocks need");
    FUZZ_CHECK(s.largest_free == (largest ? largest - TAIL : 0), "stats: largest_free is not the largest free block");
    FUZZ_CHECK(s.peak_used_bytes >= s.used_bytes && s.peak_used_bytes >= S.peak_floor, "stats: peak");
    FUZZ_CHECK(s.region_bytes == regbytes && s.regions == S.nreg, "stats: regions");
    FUZZ_CHECK(s.block_bytes <= s.region_bytes, "stats: more block bytes than region bytes");
    FUZZ_CHECK(s.allocs == S.allocs, "stats: allocs");
    FUZZ_CHECK(s.frees == S.frees, "stats: frees");
    FUZZ_CHECK(s.failures >= S.oom && s.failures <= S.oom + S.misuse_nulls, "stats: failures");
    FUZZ_CHECK(xalloc_max_alloc(S.h) == s.largest_free, "max_alloc differs from stats.largest_free");
    if (s.used_bytes > S.peak_floor) S.peak_floor = s.used_bytes;
}

/* No false out-of-memory: a request of `size` bytes at alignment `align`
 * must succeed when some free block (or quick block, which a failing request
 * merges back first) can hold it. An aligned block also needs the gap before
 * it to be empty or a free block of its own (the heap's rule). */
static void check_no_false_oom(size_t size, size_t align)
{
    size_t need = need_bytes(size), a = align > G ? align : G, i;
    if (need == SIZE_MAX) return;
    do_walk();
    for (i = 0; i < S.nwalk; i++) {
        uintptr_t b = (uintptr_t)walk[i].p, p;
        if (walk[i].used) continue;
        p = (b & (a - 1)) == 0 ? b : ((b + MINB + a - 1) & ~(uintptr_t)(a - 1));
        if (p + need <= b + walk[i].size + HDR) {
            fprintf(stderr, "request %zu bytes at alignment %zu failed; free block %p of %zu bytes holds it at %p\n",
                    size, align, (void *)walk[i].p, walk[i].size + HDR, (void *)p);
            FUZZ_CHECK(0, "allocation failed while a free block could hold it");
        }
    }
}

/* ... and a realloc of the block at bp has room of its own: the block and
 * a free successor (in place, if bp has the alignment), or a free
 * predecessor, the block and a free successor (moved down to the
 * predecessor's start, if that has the alignment). Then it must not fail. */
static void check_no_false_realloc_oom(const unsigned char *bp, size_t size, size_t align)
{
    size_t need = need_bytes(size), a = align > G ? align : G, i;
    uintptr_t b = (uintptr_t)bp, hi, lo;
    if (need == SIZE_MAX) return;
    do_walk();
    for (i = 0; i < S.nwalk && walk[i].p != bp; i++) { }
    if (S.walk_overflow && i == S.nwalk) return;
    FUZZ_CHECK(i < S.nwalk && walk[i].used, "realloc: the block is not a used block of the walk");
    hi = b + walk[i].size + HDR + TAIL;
    if (i + 1 < S.nwalk && !walk[i + 1].used && (uintptr_t)walk[i + 1].p == hi) hi += walk[i + 1].size + HDR;
    FUZZ_CHECK((b & (a - 1)) || b + need > hi, "realloc failed while the block and its free successor hold it");
    if (i > 0 && !walk[i - 1].used && (uintptr_t)walk[i - 1].p + walk[i - 1].size + HDR == b) {
        lo = (uintptr_t)walk[i - 1].p;
        FUZZ_CHECK((lo & (a - 1)) || lo + need > hi, "realloc failed while its free neighbours and the block hold it");
    }
}

/* ---- operations ---------------------------------------------------------------------- */
enum {
    OP_ALLOC, OP_FREE, OP_REALLOC, OP_CALLOC, OP_ALIGNED, OP_REALLOC_ALIGNED, OP_ADD_REGION,
    OP_MAXALLOC, OP_USABLE, OP_WALK_STOP, OP_DUMP, OP_RESET_PEAK, OP_STATS, OP_MISUSE, OP_FILL,
    OP_FREE_EVERY, OP_HUGE, OP_ALLOC2, OP_FREE2, NOPS
};
static const char *const op_names[NOPS] = {
    "alloc", "free", "realloc", "calloc", "aligned_alloc", "realloc_aligned", "add_region",
    "max_alloc", "usable_size", "walk (stopped)", "dump", "reset_peak", "stats", "misuse", "fill",
    "free every m-th", "huge request", "alloc", "free"
};

/* Sizes: mostly small, some up to the region size. */
static size_t dec_size(unsigned v)
{
    switch (v >> 13) {
    case 0: case 1: case 2: return v & 0x3F;
    case 3: case 4:         return v & 0x3FF;
    case 5:                 return v & 0x1FFF;
    case 6:                 return (size_t)(v & 0x1FFF) << 3;
    default:                return (size_t)(v & 0x1FFF) << 2 | 3;
    }
}

static void note_alloc(void *p, size_t req, size_t align)
{
    if (p) {
        S.allocs++;
        expect_ev(XALLOC_TRACE_ALLOC, p, req);
        model_add((unsigned char *)p, req, align, S.next_id++, 0);
    } else {
        S.oom++;
    }
}

static void *do_alloc(size_t size)
{
    void *p = xalloc_alloc(S.h, size);
    FUZZ_LOG("  alloc(%zu) = %p\n", size, p);
    note_alloc(p, size, 1);
    if (!p) check_no_false_oom(size, 1);
    return p;
}

static size_t usable_of(size_t i)
{
    size_t u = xalloc_usable_size(S.h, live[i].p);
    if (TAIL) FUZZ_CHECK(u == live[i].req, "usable_size is not the requested size (level 3)");
    else FUZZ_CHECK(u >= live[i].req && ((u + HDR) & (G - 1)) == 0, "usable_size wrong");
    return u;
}

static void do_free(size_t i)
{
    unsigned char *p = live[i].p;
    size_t u;
    check_bytes(i);
    u = usable_of(i);
    FUZZ_LOG("  free(%p) [%zu bytes]\n", (void *)p, live[i].req);
    xalloc_free(S.h, p);
    S.frees++;
    expect_ev(XALLOC_TRACE_FREE, p, u);
    model_remove(i);
}

/* realloc / realloc_aligned of live block i (align 0: plain realloc). */
static void do_realloc(size_t i, size_t align, size_t size)
{
    blk b = live[i];
    size_t u = usable_of(i), keep;
    unsigned char *q;
    check_bytes(i);
    q = (unsigned char *)(align ? xalloc_realloc_aligned(S.h, b.p, align, size) : xalloc_realloc(S.h, b.p, size));
    FUZZ_LOG("  realloc%s(%p [%zu], %zu%s%zu) = %p\n", align ? "_aligned" : "", (void *)b.p, b.req, size,
             align ? ", align " : "", align, (void *)q);
    if (size == 0) {
        FUZZ_CHECK(q == NULL, "realloc to 0 bytes returned a block");
        S.frees++;
        expect_ev(XALLOC_TRACE_FREE, b.p, u);
        model_remove(i);
        return;
    }
    if (!q) {
        S.oom++;
        check_bytes(i);
        check_no_false_oom(size, align ? align : 1);
        check_no_false_realloc_oom(b.p, size, align ? align : 1);
        return;
    }
    keep = b.req < size ? b.req : size;
    FUZZ_CHECK(fuzz_intact(q, keep, b.id), "realloc lost the block's bytes");
    S.allocs++;
    S.frees++;
    if (q == b.p) {
        expect_ev(XALLOC_TRACE_FREE, b.p, u);
        expect_ev(XALLOC_TRACE_ALLOC, q, size);
        memmove(&live[i], &live[i + 1], (S.nlive - i - 1) * sizeof live[0]); /* not dead: same block */
        S.nlive--;
    } else if (q < b.p && q + need_bytes(size) > b.p) { /* moved down over itself: the free first */
        expect_ev(XALLOC_TRACE_FREE, b.p, u);
        expect_ev(XALLOC_TRACE_ALLOC, q, size);
        model_remove(i);
    } else {
        expect_ev(XALLOC_TRACE_ALLOC, q, size);
        expect_ev(XALLOC_TRACE_FREE, b.p, u);
        model_remove(i);
    }
    model_add(q, size, align ? align : 1, b.id, keep);
}

/* A block's start as seen in the walk: is [d-HDR, d) in bytes the program
 * wrote into a live block, or in free memory (at level 1: at a free block's
 * start)? Then freeing d (which is no block's start) must be reported.
 * Elsewhere the manual promises detection only with high probability: in
 * the slack after a request, and at level 1 inside free memory, which
 * keeps the bytes of the blocks it was made of (a pointer into a block
 * waiting on a quick list, whose stale bytes read as a used header with a
 * plausible successor, passes the O(1) check: fuzz/regress/xalloc/
 * stale-header-in-quick-block-level1); level 2 fills free memory with
 * poison, and the check then finds it. */
static int must_detect(const unsigned char *d)
{
    size_t i, k = lower(d);
    if (k > 0 && live[k - 1].p <= d - HDR && d <= live[k - 1].p + live[k - 1].req) return 1;
    do_walk();
    for (i = 0; i < S.nwalk; i++)
        if (!walk[i].used && walk[i].p - HDR <= d - HDR && d <= walk[i].p + walk[i].size)
            return XALLOC_DEBUG >= 2 || d == walk[i].p;
    return 0;
}

/* Free, realloc or ask the size of a pointer that is no block: reported,
 * nothing changes. */
static void bad_pointer(void *p, unsigned how, size_t size)
{
    FUZZ_LOG("  misuse: %s(%p)\n", how == 0 ? "free" : how == 1 ? "realloc" : "usable_size", p);
    expect_err();
    switch (how) {
    case 0: xalloc_free(S.h, p); break;
    case 1: FUZZ_CHECK(xalloc_realloc(S.h, p, size + 1) == NULL, "realloc of a bad pointer returned a block"); S.misuse_nulls++; break;
    default: FUZZ_CHECK(xalloc_usable_size(S.h, p) == 0, "usable_size of a bad pointer is not 0"); break;
    }
}

static void op_misuse(fuzz_in *in)
{
    unsigned kind = fuzz_u8(in), k = fuzz_u16(in), off = fuzz_u8(in), how = (kind >> 4) % 3;
    size_t size = dec_size(fuzz_u16(in));
    switch (kind & 7) {
    case 0: /* outside the heap: a foreign buffer, low addresses, just past a region, its metadata */
        if (XALLOC_DEBUG < 1) return;
        switch (off & 3) {
        case 0: bad_pointer(outside + (off & 0xFC), how, size); break;
        case 1: bad_pointer((void *)(uintptr_t)(G * (1 + (off >> 2))), how, size); break;
        case 2: { /* just past a region, unless another region starts there */
            const reg *r = &S.regs[k % S.nreg];
            unsigned char *p = r->mem + r->size + (off >> 2);
            if (!region_of(p - HDR, HDR + 1)) bad_pointer(p, how, size);
            break;
        }
        default: bad_pointer(S.regs[0].mem + ((off >> 2) & ~(G - 1)) + G, how, size); break; /* heap record */
        }
        return;
    case 1: /* misaligned, inside a live block */
        if (XALLOC_DEBUG < 1 || !S.nlive) return;
        bad_pointer(live[k % S.nlive].p + 1 + off % (G - 1), how, size);
        return;
    case 2: { /* interior: G-aligned, its 4 "header" bytes written by the program */
        blk *b;
        if (XALLOC_DEBUG < 1 || !S.nlive) return;
        b = &live[k % S.nlive];
        if (b->req < G) return;
        bad_pointer(b->p + G * (1 + off % (b->req / G)), how, size);
        return;
    }
    case 3: { /* double free of a block freed earlier */
        unsigned char *d;
        if (XALLOC_DEBUG < 1 || !S.ndead) return;
        d = S.dead[k % S.ndead];
        if (find(d) != NONE || !must_detect(d)) return;
        bad_pointer(d, how, size);
        return;
    }
    case 4: { /* overrun a few bytes past the request, then try to free */
        blk *b;
        size_t room, n, j;
        unsigned char saved[8];
        if (XALLOC_DEBUG < 3 || !S.nlive) return;
        b = &live[k % S.nlive];
        room = need_bytes(b->req) - HDR - b->req; /* to the next header, at least */
        n = 1 + off % (room < 8 ? room : 8);
        FUZZ_LOG("  misuse: overrun %p [%zu] by %zu\n", (void *)b->p, b->req, n);
        for (j = 0; j < n; j++) {
            saved[j] = fuzz_peek(b->p + b->req + j);
            fuzz_poke(b->p + b->req + j, (unsigned char)~saved[j]);
        }
        expect_err();
        FUZZ_CHECK(xalloc_check(S.h) != NULL, "xalloc_check missed an overrun");
        expect_err();
        if (how == 1) {
            FUZZ_CHECK(xalloc_realloc(S.h, b->p, size + 1) == NULL, "realloc of an overrun block returned a block");
            S.misuse_nulls++;
        } else {
            xalloc_free(S.h, b->p);
        }
        FUZZ_CHECK(S.last_err == XALLOC_E_OVERRUN || S.last_err == XALLOC_E_CORRUPT, "overrun reported as something else");
        for (j = 0; j < n; j++) fuzz_poke(b->p + b->req + j, saved[j]);
        return;
    }
    case 5: { /* bad alignment: not a power of two */
        static const size_t bad[] = { 0, 3, 24, 48, 100, (size_t)-1, ((size_t)-1 >> 1) + 3, 0x30000 };
        size_t a = bad[off % (sizeof bad / sizeof bad[0])];
        FUZZ_LOG("  misuse: alignment %zu\n", a);
        expect_err();
        if (S.nlive && (off & 0x80)) {
            size_t i = k % S.nlive;
            FUZZ_CHECK(xalloc_realloc_aligned(S.h, live[i].p, a, size) == NULL, "realloc_aligned with a bad alignment returned a block");
            check_bytes(i);
        } else {
            FUZZ_CHECK(xalloc_aligned_alloc(S.h, a, size) == NULL, "aligned_alloc with a bad alignment returned a block");
        }
        S.misuse_nulls++;
        return;
    }
    case 6: { /* a region that overlaps one already in the heap, or NULL */
        const reg *r = &S.regs[k % S.nreg];
        size_t at = off % r->size;
        unsigned char *mem = (off & 1) ? r->mem + at : r->mem - (off & 0x3F);
        size_t len = (off & 1) ? size + 1 : (size_t)(off & 0x3F) + 1 + size;
        if (off == 0xFF) mem = NULL;
        FUZZ_LOG("  misuse: add_region(%p, %zu) overlapping\n", (void *)mem, len);
        expect_err();
        FUZZ_CHECK(!xalloc_add_region(S.h, mem, len), "add_region accepted a region that overlaps the heap");
        return;
    }
    default: /* frees of NULL are no-ops, not errors */
        xalloc_free(S.h, NULL);
        FUZZ_CHECK(xalloc_usable_size(S.h, NULL) == 0, "usable_size(NULL) is not 0");
        return;
    }
}

static void op_add_region(fuzz_in *in)
{
    size_t off = fuzz_u16(in) % EXTRA_SIZE, len = fuzz_u16(in), i;
    unsigned char *mem;
    int overlap = 0;
    bool ok;
    len %= EXTRA_SIZE - off + 1;
    if (XALLOC_DEBUG >= 4) len &= 0x7FF;
    mem = extra + off;
    if (S.nreg == MAXREG) return;
    for (i = 0; i < S.nreg; i++)
        if (mem < S.regs[i].mem + S.regs[i].size && S.regs[i].mem < mem + len) overlap = 1;
    if (!overlap) fuzz_scribble(mem, len, (uint32_t)off);
    ok = xalloc_add_region(S.h, mem, len);
    FUZZ_LOG("  add_region(%p, %zu)%s = %d\n", (void *)mem, len, overlap ? " overlapping" : "", ok);
    if (overlap) FUZZ_CHECK(!ok, "add_region accepted a region that overlaps the heap");
    else if (len >= ADD_MIN_OK) FUZZ_CHECK(ok, "add_region refused a region that is large enough");
    if (!ok) { expect_err(); return; }
    S.regs[S.nreg].mem = mem;
    S.regs[S.nreg].size = len;
    S.nreg++;
    /* the new region's blocks are all free; the heap must come back to them */
    do_walk();
    for (i = 0; i < S.nwalk; i++) {
        if (walk[i].p < mem || walk[i].p >= mem + len) continue;
        FUZZ_CHECK(!walk[i].used, "a new region holds a used block");
        if (S.nbase == MAXWALK) { S.base_overflow = 1; break; }
        base[S.nbase++] = walk[i];
    }
}

static void op_huge(fuzz_in *in)
{
    unsigned mode = fuzz_u8(in), k = fuzz_u16(in);
    size_t big = SIZE_MAX - (k & 0xFFF);
    void *p = NULL;
    switch (mode % 6) {
    case 0: p = xalloc_alloc(S.h, big); break;
    case 1: p = xalloc_calloc(S.h, SIZE_MAX / 2 + 1 + (k & 0xFF), 2 + (k >> 8)); break;
    case 2: p = xalloc_calloc(S.h, (size_t)1 << (sizeof(size_t) * 4 + (k % 8)), (size_t)1 << (sizeof(size_t) * 4 + (k >> 8) % 8)); break;
    case 3: p = xalloc_aligned_alloc(S.h, (size_t)1 << (sizeof(size_t) * 8 - 1 - (k % 4)), 1 + (k >> 4)); break;
    case 4:
        if (S.nlive) {
            size_t i = k % S.nlive;
            p = xalloc_realloc(S.h, live[i].p, big);
            check_bytes(i);
        } else {
            p = xalloc_realloc(S.h, NULL, big);
        }
        break;
    default: p = xalloc_aligned_alloc(S.h, (size_t)1 << (k % 16), big - (k >> 4)); break;
    }
    FUZZ_LOG("  huge request %u = %p\n", mode % 6, p);
    FUZZ_CHECK(p == NULL, "an impossible request returned a block");
    S.oom++;
}

static unsigned long dump_lines;
static void op_dump_line(void *user, const char *line)
{
    size_t n;
    FUZZ_CHECK(user == &S, "dump: wrong user pointer");
    n = strlen(line);
    FUZZ_CHECK(n >= 2 && line[n - 1] == '\n' && memchr(line, '\n', n - 1) == NULL, "dump: not one line ending in a newline");
    dump_lines++;
}

static unsigned long walk_stop_calls, walk_stop_after;
static bool walk_stop_cb(void *user, void *p, size_t size, bool used)
{
    (void)user; (void)p; (void)size; (void)used;
    return ++walk_stop_calls < walk_stop_after;
}

static void run_op(fuzz_in *in, unsigned op)
{
    while (S.nlive > MAXLIVE - 4) { /* room for what one operation allocates */
        do_free(op % S.nlive);
        settle();
    }
    switch (op) {
    case OP_ALLOC: case OP_ALLOC2: {
        size_t size = dec_size(fuzz_u16(in));
        do_alloc(size);
        break;
    }
    case OP_FREE: case OP_FREE2: {
        unsigned k = fuzz_u16(in);
        if (S.nlive) do_free(k % S.nlive);
        break;
    }
    case OP_REALLOC: {
        unsigned k = fuzz_u16(in);
        size_t size = dec_size(fuzz_u16(in));
        if (S.nlive) do_realloc(k % S.nlive, 0, size);
        else {
            void *p = xalloc_realloc(S.h, NULL, size);
            FUZZ_LOG("  realloc(NULL, %zu) = %p\n", size, p);
            note_alloc(p, size, 1);
            if (!p) check_no_false_oom(size, 1);
        }
        break;
    }
    case OP_CALLOC: {
        unsigned c = fuzz_u8(in);
        size_t size = dec_size(fuzz_u16(in)), count = c & 15;
        unsigned char *p;
        size_t j;
        if (S.nlive == MAXLIVE) break;
        if (c & 0x80) { size = count; count = dec_size(fuzz_u16(in)); } /* many small elements */
        p = (unsigned char *)xalloc_calloc(S.h, count, size);
        FUZZ_LOG("  calloc(%zu, %zu) = %p\n", count, size, (void *)p);
        if (p) for (j = 0; j < count * size; j++) FUZZ_CHECK(p[j] == 0, "calloc memory not zeroed");
        note_alloc(p, count * size, 1);
        if (!p) check_no_false_oom(count * size, 1);
        break;
    }
    case OP_ALIGNED: {
        size_t align = (size_t)1 << (fuzz_u8(in) % 14), size = dec_size(fuzz_u16(in));
        void *p;
        if (S.nlive == MAXLIVE) break;
        p = xalloc_aligned_alloc(S.h, align, size);
        FUZZ_LOG("  aligned_alloc(%zu, %zu) = %p\n", align, size, p);
        note_alloc(p, size, align);
        if (!p) check_no_false_oom(size, align);
        break;
    }
    case OP_REALLOC_ALIGNED: {
        unsigned k = fuzz_u16(in);
        size_t align = (size_t)1 << (fuzz_u8(in) % 14), size = dec_size(fuzz_u16(in));
        if (S.nlive) do_realloc(k % S.nlive, align, size);
        break;
    }
    case OP_ADD_REGION:
        op_add_region(in);
        break;
    case OP_MAXALLOC: {
        size_t m = xalloc_max_alloc(S.h);
        void *p;
        FUZZ_LOG("  max_alloc() = %zu\n", m);
        if (S.nlive == MAXLIVE) break;
        /* one byte more fails (the quick lists are flushed: nothing can merge) */
        p = xalloc_alloc(S.h, m + 1);
        FUZZ_LOG("  alloc(%zu) = %p\n", m + 1, p);
        FUZZ_CHECK(p == NULL, "a request larger than max_alloc succeeded");
        S.oom++;
        p = xalloc_alloc(S.h, m);
        FUZZ_LOG("  alloc(%zu) = %p\n", m, p);
        if (m) FUZZ_CHECK(p != NULL, "a request of max_alloc bytes failed");
        else FUZZ_CHECK(p == NULL, "max_alloc is 0 but a request succeeded");
        note_alloc(p, m, 1);
        break;
    }
    case OP_USABLE: {
        unsigned k = fuzz_u16(in);
        if (S.nlive) usable_of(k % S.nlive);
        break;
    }
    case OP_WALK_STOP: {
        size_t total;
        walk_stop_after = 1 + fuzz_u8(in) % 8;
        do_walk();
        total = S.nwalk;
        walk_stop_calls = 0;
        xalloc_walk(S.h, walk_stop_cb, &S);
        FUZZ_CHECK(walk_stop_calls == (total < walk_stop_after ? total : walk_stop_after), "walk did not stop when told");
        break;
    }
    case OP_DUMP:
        dump_lines = 0;
        xalloc_dump(S.h, op_dump_line, &S);
        FUZZ_CHECK(dump_lines >= 2, "dump printed too few lines");
        break;
    case OP_RESET_PEAK: {
        xalloc_stats s;
        xalloc_reset_peak(S.h);
        xalloc_stats_get(S.h, &s);
        FUZZ_CHECK(s.peak_used_bytes == s.used_bytes, "reset_peak: peak is not the bytes in use");
        S.peak_floor = s.used_bytes;
        break;
    }
    case OP_STATS:
        check_stats();
        break;
    case OP_MISUSE:
        if (S.misuse) op_misuse(in);
        else do_alloc(dec_size(fuzz_u16(in)));
        break;
    case OP_FILL: {
        size_t size = dec_size(fuzz_u16(in)), n = 0;
        while (S.nlive < MAXLIVE && n++ < 64 && do_alloc(size)) settle();
        break;
    }
    case OP_FREE_EVERY: {
        unsigned m = 2 + fuzz_u8(in) % 3;
        size_t i = fuzz_u8(in) % m;
        while (i < S.nlive) { do_free(i); settle(); i += m - 1; }
        break;
    }
    case OP_HUGE:
        op_huge(in);
        break;
    }
}

FUZZ_RUN(const uint8_t *data, size_t size)
{
    fuzz_in in = { data, size };
    xalloc_desc desc;
    unsigned flags = fuzz_u8(&in), intervals;
    size_t rsize = (size_t)(fuzz_u16(&in) & LEVEL4_CAP(0xFFFF)) + 1, offset = fuzz_u8(&in) & 63, max_block = fuzz_u16(&in), i;
    uint32_t seed = fuzz_u8(&in);
    unsigned long nops = 0;
    intervals = fuzz_u8(&in);

    /* reset everything (each input is independent: AFL's stability) */
    S.h = NULL;
    S.nlive = S.nwalk = S.nbase = S.nreg = 0;
    S.walk_overflow = S.base_overflow = 0;
    S.ndead = S.dead_pos = 0;
    S.nev = S.nexp = 0;
    S.errs = S.exp_errs = 0;
    S.last_err = XALLOC_OK;
    S.lock_depth = 0;
    S.locks = 0;
    S.allocs = S.frees = S.oom = S.misuse_nulls = 0;
    S.peak_floor = 0;
    S.next_id = 1;
    S.hooked = !(flags & 16);
    S.misuse = (flags & 1) && S.hooked;
    S.lock_mode = S.hooked ? (int)(flags >> 1 & 3) : 0;
    S.trace_on = S.hooked && (flags & 8);
    S.reverse_end = (flags & 64) != 0;
    S.check_every = 1u << (2 * (intervals & 3));
    S.stats_every = (intervals >> 2 & 3) == 0 ? 0 : 1u << (6 - 3 * ((intervals >> 2 & 3) - 1));
    if (!(flags & 32) || !S.hooked) max_block = 0; /* no description: no max_block either */
    S.max_block_bytes = (max_block ? max_block : rsize) & ~(G - 1);
    fuzz_op_index = 0;
    fuzz_op_name = "init";

    if (!arena) {
        arena = (unsigned char *)(((uintptr_t)arena_store + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1));
        extra = (unsigned char *)(((uintptr_t)arena + MAIN_MAX + 64 + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1));
    }
    fuzz_unpoison(arena, MAIN_MAX + 64);
    fuzz_unpoison(extra, EXTRA_SIZE);
    fuzz_scribble(arena + offset, rsize, seed);

    memset(&desc, 0, sizeof desc);
    desc.hooks.error = on_error;
    desc.hooks.user = &S;
    if (S.lock_mode == 1 || S.lock_mode == 2) desc.hooks.lock = on_lock;
    if (S.lock_mode == 1 || S.lock_mode == 3) desc.hooks.unlock = on_unlock;
    if (S.trace_on) desc.trace = on_trace;
    desc.max_block = max_block;
    FUZZ_LONE_LOCK(xalloc_init(arena + offset, rsize, &desc), desc.hooks, expect_err());
    S.h = xalloc_init(arena + offset, rsize, S.hooked ? &desc : NULL);
    FUZZ_LOG("init(arena+%zu, %zu, max_block %zu, flags 0x%x) = %p\n", offset, rsize, max_block, flags, (void *)S.h);
    if (!S.h) {
        FUZZ_CHECK(rsize < XALLOC_MIN_REGION || (max_block && max_block > rsize), "init refused a region of XALLOC_MIN_REGION bytes");
        expect_err();
        settle();
        return 0;
    }
    FUZZ_CHECK((unsigned char *)S.h >= arena + offset && (unsigned char *)S.h < arena + offset + rsize, "heap record outside its region");
    S.regs[0].mem = arena + offset;
    S.regs[0].size = rsize;
    S.nreg = 1;
    settle();
    check_full(FUZZ_INIT);
    for (i = 0; i < S.nwalk; i++) FUZZ_CHECK(!walk[i].used, "a new heap holds a used block");
    for (i = 0; i < S.nwalk; i++) base[i] = walk[i];
    S.nbase = S.nwalk;
    S.base_overflow = S.walk_overflow;
    if (!max_block) {
        xalloc_stats s;
        xalloc_stats_get(S.h, &s);
        FUZZ_CHECK(s.block_bytes + xalloc_overhead(rsize) >= rsize, "block space smaller than xalloc_overhead promises");
    }
    check_stats();

    while (in.n && nops < 4096) {
        unsigned op = fuzz_u8(&in) % NOPS;
        fuzz_op_index = ++nops;
        fuzz_op_name = op_names[op];
        run_op(&in, op);
        settle();
        fuzz_changes++;
        check_full(FUZZ_DUE);
        if (S.stats_every && nops % S.stats_every == 0) check_stats();
        settle();
    }

    /* the end: everything intact, then everything freed, and the heap must be
     * as it was after init */
    fuzz_op_index = ++nops;
    fuzz_op_name = "final check";
    check_full(FUZZ_END);
    check_stats();
    settle();
    fuzz_op_name = "free everything";
    while (S.nlive) {
        do_free(S.reverse_end ? S.nlive - 1 : 0);
        settle();
        fuzz_changes++;
    }
    fuzz_op_name = "back to the first state";
    if (fuzz_changes) check_own();
    check_heap();
    check_stats();
    settle();
    if (!S.base_overflow && !S.walk_overflow) {
        FUZZ_CHECK(S.nwalk == S.nbase, "after freeing everything the heap has other blocks than after init");
        for (i = 0; i < S.nwalk; i++)
            FUZZ_CHECK(walk[i].p == base[i].p && walk[i].size == base[i].size && !walk[i].used,
                       "after freeing everything a block differs from the one after init");
    }
    return 0;
}
#endif /* FUZZ_VARIANT */
