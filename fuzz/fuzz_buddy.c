/* fuzz_buddy.c - fuzz harness for the buddy allocator, xalloc_buddy.h.
 *
 * The input is a program: a configuration, then operations, each an opcode
 * byte (taken modulo the number of operations) and its operands; bytes past
 * the end read as 0, so every byte string is a valid program.
 *
 *   byte 0      variant (modulo FUZZ_VARIANTS): debug level and options, below
 *   byte 1      flags: 1 misuse, 2|4 lock hooks (0 none, 1 both, 2 lock only,
 *               3 unlock only: refused at level 1 and up, the program going
 *               on without it; ignored at level 0), 8 metadata-only mode,
 *               16 desc NULL, 32 release before freeing at the end
 *   byte 2      min_block: log2 in bits 0-4 (31: 0, the default), bits 5-7
 *               all set: an invalid size (3 << log2)
 *   byte 3      max_block: 0 none, 1..239 min_block << (n % 24), else invalid
 *   byte 4      max_reserved (n % 24; 0 is the default)
 *   bytes 5-8   in-band: region size (n % 128 KiB + 1); metadata-only: range
 *               size, (n & 0xFFFFFF) min blocks scaled down by (n >> 24) % 24
 *               bits, plus a part of a block
 *   bytes 9-10  in-band: start offset (n % 4096); metadata-only: base (low bits)
 *   byte 11     metadata-only: base kind (zero, small, page, above 4 GiB, near
 *               the top, over the top, odd) and metadata buffer kind (exact,
 *               one word short, none)
 *   byte 12     seed of the bytes the memory holds before init
 *   byte 13     full check every 1/4/16/64 operations (bits 0-1; or
 *               fewer, when one costs more than fuzz.h's budget)
 *   then        operations (see the OP_ list)
 *
 * The model is exact. Blocks are tracked in units of min blocks: the live
 * allocations, and the reserved set as the allocator's table keeps it
 * (sorted, disjoint, adjacent ranges merged). Free memory is whatever is
 * left, and the manual fixes its shape: free blocks are the maximal aligned
 * blocks of at most max_order inside each free stretch, and an allocation
 * takes the first (lowest) free block of the smallest order that fits and
 * splits it, keeping the left half. So the harness predicts every address
 * alloc returns, every out-of-memory (a failure while a fitting block is
 * free, or a success while none is, is a violation), every error code of
 * every misuse, and compares the walk block by block and the stats field by
 * field at every full check (on the schedule the input picks, fuzz.h: "when
 * to run the checks", and at the end). In-band blocks hold a pattern of
 * their id; bytes around the allocator's memory (and around the metadata
 * buffer) hold a guard pattern that must survive. At XALLOC_DEBUG >= 2
 * (in-band) a byte written into free memory must be reported when the block
 * holding it is handed out, and only then. At the end everything is freed and released:
 * the allocator must be back to its first state.
 *
 * Any violation traps (FUZZ_CHECK). See fuzz/README.md to build and run it. */
#define FUZZ_VARIANTS 7

#ifndef FUZZ_VARIANT
#include "fuzz.h"
#else

/* ---- variants --------------------------------------------------------------- */
#if FUZZ_VARIANT <= 4
#define XALLOC_DEBUG FUZZ_VARIANT
#elif FUZZ_VARIANT == 5
#define XALLOC_DEBUG 1
#define XALLOC_NO_BUILTINS
#elif FUZZ_VARIANT == 6
#define XALLOC_DEBUG 2
#define XBUDDY_MIN_BLOCK 64
#define XBUDDY_MAX_RESERVED 3
#else
#error "unknown FUZZ_VARIANT"
#endif
#define XALLOC_IMPLEMENTATION
#define XALLOC_STATIC
#include "xalloc_buddy.h"
#include "fuzz.h"

typedef xbuddy_addr addr_t;

/* ---- memory ------------------------------------------------------------------ */
#define ARENA_MAX  (128 * 1024)
#define GUARD      64
#define META_MAX   (1100 * 1024)
#define ALIGN64K   ((uintptr_t)65536)
/* 64 KiB-aligned at run time (see fuzz_xalloc.c), guard bytes on both sides */
static unsigned char arena_store[ARENA_MAX + 4096 + 2 * GUARD + ALIGN64K];
static unsigned char meta_store[META_MAX + 2 * GUARD + 64];
static unsigned char *arena;

static unsigned char guard_byte(size_t i) { return (unsigned char)(0x5A ^ (i * 29u)); }
static void guard_set(unsigned char *p, size_t n) { size_t i; for (i = 0; i < n; i++) p[i] = guard_byte(i); }
static int guard_ok(const unsigned char *p, size_t n) { size_t i; for (i = 0; i < n; i++) if (p[i] != guard_byte(i)) return 0; return 1; }

/* ---- the model ------------------------------------------------------------------ */
#define MAXLIVE 512
#define MAXRES  64
#define MAXFB   65536
#define MAXBLOCKS 4096 /* ranges are cut so that about this many blocks of the top order fill them */
#define MAXWALK 40000
#define MAXDIRTY 16
#define LINK_BYTES 8 /* in-band: a free block's list links, its first 8 bytes (xalloc_buddy.h) */
/* Level 4 runs the full check, which looks up every block and reads the
 * whole bitmap, on every call: its ranges are kept to this many min blocks
 * (the other levels take the large ones), so that its programs run as many
 * calls as the others. */
#define LEVEL4_BLOCKS 4096

typedef struct ublk { size_t X; unsigned o; uint32_t id; } ublk;   /* X: min block, from 0 */
typedef struct rint { size_t lo, hi; } rint;                      /* reserved [lo, hi)     */
typedef struct fblk { size_t X, count; unsigned o; } fblk;   /* count blocks of order o from X */
typedef struct went { addr_t a, size; xbuddy_kind kind; } went;

static ublk live[MAXLIVE];
static fblk fb[MAXFB];
static went walk[MAXWALK];
static struct {
    xbuddy *b;
    int meta_mode, misuse, hooked, lock_mode, lock_depth, release_first;
    unsigned errs, exp_errs;
    xalloc_error last_err, exp_code;
    int check_code;
    addr_t base, bytes, minb;   /* range as the stats give it */
    unsigned shift, maxo, maxres;
    size_t n, A0mask;           /* A0mask: (base >> shift) low bits, for alignment */
    uint64_t A0;
    size_t nlive, nres, nfb, nwalk;
    int fb_overflow, walk_overflow;
    rint res[MAXRES];
    uint64_t allocs, frees, failures;
    uint32_t next_id;
    unsigned char *mem, *gbefore, *gafter; /* guarded memory (in-band region or metadata buffer) */
    size_t memsize, ndirty;
    size_t dirty[MAXDIRTY];     /* in-band, level >= 2: min blocks with a byte written while free */
    unsigned check_every;
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
}
static void on_unlock(void *user)
{
    FUZZ_CHECK(user == &S, "unlock hook: wrong user pointer");
    FUZZ_CHECK(S.lock_mode == 1, "unlock hook called though lock is not set");
    FUZZ_CHECK(S.lock_depth == 1, "unlock without lock");
    S.lock_depth = 0;
}
/* The next call must report `code` (0: any code). */
static void expect_err(xalloc_error code)
{
    if (!S.hooked) return;
    S.exp_errs++;
    S.exp_code = code;
    S.check_code = 1;
}
static void settle(void)
{
    FUZZ_CHECK(S.errs == S.exp_errs, S.errs > S.exp_errs ? "an error was reported that should not have been"
                                                          : "misuse was not reported through the error hook");
    if (S.check_code && S.exp_code != XALLOC_OK)
        FUZZ_CHECK(S.last_err == S.exp_code, "misuse reported with the wrong error code");
    S.check_code = 0;
    FUZZ_CHECK(S.lock_depth == 0, "a call returned with the lock held");
}

/* ---- units ---------------------------------------------------------------------- */
static addr_t addr_of(size_t X) { return S.base + ((addr_t)X << S.shift); }
static addr_t bsize(unsigned o) { return S.minb << o; }
static int aligned(size_t X, unsigned k) { return ((S.A0 + X) & (((uint64_t)1 << k) - 1)) == 0; }
/* Order of a request (the manual: sizes round up to min_block << k; 0 gets
 * one min block), or -1 if larger than the largest block. */
static int order_of(addr_t size)
{
    unsigned k = 0;
    if (size > bsize(S.maxo)) return -1;
    while (bsize(k) < size) k++;
    return (int)k;
}

static size_t live_lower(size_t X)
{
    size_t lo = 0, hi = S.nlive;
    while (lo < hi) { size_t m = (lo + hi) / 2; if (live[m].X < X) lo = m + 1; else hi = m; }
    return lo;
}
/* The live block holding min block X, or -1. */
static long live_holding(size_t X)
{
    size_t i = live_lower(X + 1);
    if (i == 0) return -1;
    i--;
    return X < live[i].X + ((size_t)1 << live[i].o) ? (long)i : -1;
}
static int in_reserved(size_t X)
{
    size_t i;
    for (i = 0; i < S.nres; i++) if (X >= S.res[i].lo && X < S.res[i].hi) return 1;
    return 0;
}

/* Free blocks: each free stretch cut into maximal aligned blocks of at most
 * max_order (the buddy's canonical form), in address order, into fb[] as
 * runs of equal blocks (a stretch is a few rising orders, a run of the top
 * order, a few falling orders). */
/* The largest k <= S.maxo with min block X aligned to 2^k and 2^k <= len
 * (len >= 1). */
static unsigned fit_order(size_t X, size_t len)
{
    unsigned k;
#if defined(__GNUC__) || defined(__clang__)
    uint64_t a = S.A0 + X;
    k = 63u - (unsigned)__builtin_clzll((unsigned long long)len);
    if (a && (unsigned)__builtin_ctzll((unsigned long long)a) < k) k = (unsigned)__builtin_ctzll((unsigned long long)a);
    if (k > S.maxo) k = S.maxo;
#else
    k = S.maxo;
    while (k && (!aligned(X, k) || len < ((size_t)1 << k))) k--;
#endif
    return k;
}
static void emit_free(size_t s, size_t e)
{
    while (s < e) {
        unsigned k = fit_order(s, e - s);
        size_t count = 1;
        if (k == S.maxo) count = (e - s) >> k;
        if (S.nfb == MAXFB) { S.fb_overflow = 1; return; }
        fb[S.nfb].X = s;
        fb[S.nfb].o = k;
        fb[S.nfb].count = count;
        S.nfb++;
        s += count << k;
    }
}
static void model_free_blocks(void)
{
    size_t s = 0, i = 0, r = 0;
    S.nfb = 0;
    S.fb_overflow = 0;
    while (i < S.nlive || r < S.nres) {
        size_t lo, hi;
        if (r == S.nres || (i < S.nlive && live[i].X < S.res[r].lo)) { lo = live[i].X; hi = lo + ((size_t)1 << live[i].o); i++; }
        else { lo = S.res[r].lo; hi = S.res[r].hi; r++; }
        emit_free(s, lo);
        s = hi;
    }
    emit_free(s, S.n);
}
/* The smallest order >= o that has a free block, or -1. */
static int smallest_free_order(unsigned o)
{
    size_t i;
    int best = -1;
    model_free_blocks();
    for (i = 0; i < S.nfb; i++)
        if (fb[i].o >= o && (best < 0 || fb[i].o < (unsigned)best)) best = (int)fb[i].o;
    return best;
}
/* Is min block X the start of a free block of order k? (after model_free_blocks) */
static int free_block_starts(size_t X, unsigned k)
{
    size_t i;
    for (i = 0; i < S.nfb; i++)
        if (fb[i].o == k && X >= fb[i].X && X < fb[i].X + (fb[i].count << k)) return ((X - fb[i].X) & (((size_t)1 << k) - 1)) == 0;
    return 0;
}

/* ---- blocks ------------------------------------------------------------------------ */
static unsigned char *ptr_of(size_t X) { return (unsigned char *)(uintptr_t)addr_of(X); }
static void fill_block(size_t i)
{
    if (!S.meta_mode) fuzz_fill(ptr_of(live[i].X), 0, (size_t)bsize(live[i].o), live[i].id);
}
static void check_block(size_t i)
{
    if (!S.meta_mode)
        FUZZ_CHECK(fuzz_intact(ptr_of(live[i].X), (size_t)bsize(live[i].o), live[i].id), "a live block's bytes changed");
}

/* The allocator returned a (or NONE) for a request of order o (-1: too
 * big). The manual's promise: the block comes from the smallest order that
 * has a free block (it is split, keeping the left half); which block of that
 * order is the allocator's choice (it may prefer a recently freed one). Out
 * of memory exactly when no order >= o has a free block. */
static void took(addr_t a, int o)
{
    int k;
    size_t X, i, j;
    if (o < 0) {
        FUZZ_CHECK(a == XBUDDY_NONE, "a request larger than the largest block succeeded");
        expect_err(XALLOC_E_BADARG);
        S.failures++;
        return;
    }
    k = smallest_free_order((unsigned)o);
    if (k < 0) {
        FUZZ_CHECK(a == XBUDDY_NONE, "allocation succeeded while no free block fits");
        S.failures++;
        return;
    }
    if (a == XBUDDY_NONE) {
        fprintf(stderr, "order %d failed; a free block of order %d exists\n", o, k);
        FUZZ_CHECK(0, "allocation failed while a free block fits");
    }
    FUZZ_CHECK(a >= S.base && a - S.base < S.bytes && !((a - S.base) & (S.minb - 1)), "allocation outside the range or not on a min block");
    X = (size_t)((a - S.base) >> S.shift);
    if (!free_block_starts(X, (unsigned)k)) {
        fprintf(stderr, "order %d at %#llx: not the start of a free block of order %d (the smallest that fits)\n", o,
                (unsigned long long)a, k);
        FUZZ_CHECK(0, "allocation is not a free block of the smallest order that fits");
    }
    FUZZ_CHECK(S.nlive < MAXLIVE, "harness: too many live blocks");
    /* level >= 2, in-band: a byte written into this memory while it was free
     * is reported now (once per allocation) */
    for (j = 0, i = 0; j < S.ndirty;) {
        if (S.dirty[j] >= X && S.dirty[j] < X + ((size_t)1 << o)) { S.dirty[j] = S.dirty[--S.ndirty]; i = 1; }
        else j++;
    }
    if (i) expect_err(XALLOC_E_USE_AFTER_FREE);
    i = live_lower(X);
    memmove(&live[i + 1], &live[i], (S.nlive - i) * sizeof live[0]);
    live[i].X = X;
    live[i].o = (unsigned)o;
    live[i].id = S.next_id++;
    S.nlive++;
    S.allocs++;
    fill_block(i);
}

static void do_alloc(int how, addr_t size, unsigned order)
{
    addr_t a;
    int o = how == 2 ? (order > S.maxo ? -1 : (int)order) : order_of(size);
    switch (how) {
    case 0: { void *p = xbuddy_alloc(S.b, (size_t)size); a = p ? (addr_t)(uintptr_t)p : XBUDDY_NONE; break; }
    case 1: a = xbuddy_alloc_addr(S.b, size); break;
    default: a = xbuddy_alloc_order(S.b, order); break;
    }
    FUZZ_LOG("  %s(%llu) = %#llx\n", how == 0 ? "alloc" : how == 1 ? "alloc_addr" : "alloc_order",
             (unsigned long long)(how == 2 ? order : size), (unsigned long long)a);
    took(a, o);
}

static void do_free(size_t i, int how, addr_t size)
{
    addr_t a = addr_of(live[i].X);
    check_block(i);
    FUZZ_LOG("  free%s(%#llx, %llu) [order %u]\n", how ? "_addr" : "", (unsigned long long)a, (unsigned long long)size, live[i].o);
    if (how || S.meta_mode) xbuddy_free_addr(S.b, a, size);
    else xbuddy_free(S.b, (void *)(uintptr_t)a);
    memmove(&live[i], &live[i + 1], (S.nlive - i - 1) * sizeof live[0]);
    S.nlive--;
    S.frees++;
}
/* A size that rounds to order o (0 means "any"). */
static addr_t size_for(unsigned o, unsigned v)
{
    addr_t lo = o ? bsize(o - 1) + 1 : 1, hi = bsize(o);
    if (!(v & 3)) return 0;
    return lo + (addr_t)(v >> 2) % (hi - lo + 1);
}

/* What free / block_size must report for address a (size: as given to
 * free_addr, 0 for any): XALLOC_OK if it is a live block. */
static xalloc_error misuse_code(addr_t a, addr_t size)
{
    size_t X;
    long i;
    if (a < S.base || a - S.base >= S.bytes) return XALLOC_E_FOREIGN;
    X = (size_t)((a - S.base) >> S.shift);
    if (in_reserved(X)) return XALLOC_E_RESERVED;
    i = live_holding(X);
    if (i < 0) return XALLOC_E_DOUBLE_FREE;
    if (((a - S.base) & (S.minb - 1)) || live[i].X != X) return XALLOC_E_NOT_BLOCK;
    if (size && order_of(size) != (int)live[i].o) return XALLOC_E_SIZE_MISMATCH;
    return XALLOC_OK;
}

/* ---- reserve and release ------------------------------------------------------------- */
/* The reserved set after adding (add) or removing [lo, hi): into out[],
 * returns the number of intervals (maximal: adjacent ones merge). */
static size_t res_after(int add, size_t lo, size_t hi, rint *out)
{
    size_t i, k = 0;
    if (add) {
        int placed = 0;
        for (i = 0; i < S.nres; i++) {
            rint r = S.res[i];
            if (r.hi < lo) { out[k++] = r; continue; }
            if (r.lo > hi) {
                if (!placed) { out[k].lo = lo; out[k].hi = hi; k++; placed = 1; }
                out[k++] = r;
                continue;
            }
            if (r.lo < lo) lo = r.lo; /* touching or overlapping: merge */
            if (r.hi > hi) hi = r.hi;
        }
        if (!placed) { out[k].lo = lo; out[k].hi = hi; k++; }
    } else {
        for (i = 0; i < S.nres; i++) {
            rint r = S.res[i];
            if (r.hi <= lo || r.lo >= hi) { out[k++] = r; continue; }
            if (r.lo < lo) { out[k].lo = r.lo; out[k].hi = lo; k++; }
            if (r.hi > hi) { out[k].lo = hi; out[k].hi = r.hi; k++; }
        }
    }
    return k;
}

static void do_reserve(int add, addr_t addr, addr_t size)
{
    rint out[MAXRES + 2];
    size_t lo, hi, k, j;
    addr_t lo_a, hi_a;
    bool ok, want = true;
    if (size > XBUDDY_NONE - addr) {
        expect_err(XALLOC_E_BADARG);
        want = false;
    } else {
        lo_a = addr < S.base ? 0 : (addr - S.base) & ~(S.minb - 1);
        hi_a = addr + size <= S.base ? 0 : addr + size - S.base > S.bytes ? S.bytes : addr + size - S.base;
        if (size && hi_a > lo_a) {
            lo = (size_t)(lo_a >> S.shift);
            hi = (size_t)((hi_a + S.minb - 1) >> S.shift);
            k = res_after(add, lo, hi, out);
            if (k > S.maxres) {
                expect_err(XALLOC_E_BADARG); /* table full */
                want = false;
            } else if (add) {
                for (j = 0; j < S.nlive; j++)
                    if (live[j].X < hi && live[j].X + ((size_t)1 << live[j].o) > lo) break;
                if (j < S.nlive) {
                    expect_err(XALLOC_E_BADARG); /* over an allocation */
                    want = false;
                }
            }
            if (want) {
                /* level >= 2 dirty bytes: release merges the reserved
                 * pieces it frees, which poisons them anew; reserve splits
                 * free blocks without touching their bytes (a dirty byte
                 * stays in the free part that holds it, or becomes reserved
                 * and is cleaned by the release that frees it) */
                size_t d;
                for (d = 0; !add && d < S.ndirty;) {
                    size_t X = S.dirty[d];
                    if (X >= lo && X < hi && in_reserved(X)) S.dirty[d] = S.dirty[--S.ndirty];
                    else d++;
                }
                for (j = 0; j < k; j++) S.res[j] = out[j];
                S.nres = k;
            }
        }
    }
    ok = add ? xbuddy_reserve(S.b, addr, size) : xbuddy_release(S.b, addr, size);
    FUZZ_LOG("  %s(%#llx, %#llx) = %d\n", add ? "reserve" : "release", (unsigned long long)addr, (unsigned long long)size, ok);
    FUZZ_CHECK(ok == want, add ? "reserve returned the wrong result" : "release returned the wrong result");
}

/* ---- checks ------------------------------------------------------------------------ */
static bool walk_cb(void *user, addr_t a, addr_t size, xbuddy_kind kind)
{
    FUZZ_CHECK(user == &S, "walk: wrong user pointer");
    if (S.nwalk == MAXWALK) { S.walk_overflow = 1; return false; }
    walk[S.nwalk].a = a;
    walk[S.nwalk].size = size;
    walk[S.nwalk].kind = kind;
    S.nwalk++;
    return true;
}

static void check_walk(void)
{
    size_t i, f = 0, fk = 0, u = 0, X = 0;
    S.nwalk = 0;
    S.walk_overflow = 0;
    xbuddy_walk(S.b, walk_cb, &S);
    model_free_blocks();
    if (S.walk_overflow || S.fb_overflow) return;
    for (i = 0; i < S.nwalk; i++) {
        const went *w = &walk[i];
        unsigned o = 0;
        FUZZ_CHECK(w->a == addr_of(X), "walk: blocks do not tile the range in address order");
        while (o <= S.maxo && bsize(o) != w->size) o++;
        FUZZ_CHECK(o <= S.maxo, "walk: block size is not min_block << order");
        FUZZ_CHECK(aligned(X, o), "walk: block not aligned to its size");
        FUZZ_CHECK((size_t)1 << o <= S.n - X, "walk: block runs past the range");
        switch (w->kind) {
        case XBUDDY_FREE:
            FUZZ_CHECK(f < S.nfb && fb[f].X + (fk << o) == X && fb[f].o == o, "walk: free blocks differ from the buddy system's (a missed or wrong merge or split)");
            if (++fk == fb[f].count) { f++; fk = 0; }
            break;
        case XBUDDY_USED:
            FUZZ_CHECK(u < S.nlive && live[u].X == X && live[u].o == o, "walk: used block that is not a live allocation");
            u++;
            break;
        case XBUDDY_RESERVED: {
            size_t r;
            for (r = 0; r < S.nres; r++) if (X >= S.res[r].lo && X + ((size_t)1 << o) <= S.res[r].hi) break;
            FUZZ_CHECK(r < S.nres, "walk: reserved block outside the reserved ranges");
            break;
        }
        default:
            FUZZ_CHECK(0, "walk: unknown kind");
        }
        X += (size_t)1 << o;
    }
    FUZZ_CHECK(X == S.n, "walk: blocks do not cover the range");
    FUZZ_CHECK(f == S.nfb, "walk: free blocks missing");
    FUZZ_CHECK(u == S.nlive, "walk: live allocations missing");
}

static void check_stats(void)
{
    xbuddy_stats s;
    size_t i, nfree[XBUDDY_ORDERS], fr = 0, used = 0, resv = 0;
    unsigned top = 0, o;
    int any = 0;
    xbuddy_stats_get(S.b, &s);
    model_free_blocks();
    if (S.fb_overflow) return;
    for (o = 0; o < XBUDDY_ORDERS; o++) nfree[o] = 0;
    for (i = 0; i < S.nfb; i++) {
        nfree[fb[i].o] += fb[i].count;
        fr += fb[i].count << fb[i].o;
        if (!any || fb[i].o > top) top = fb[i].o;
        any = 1;
    }
    for (i = 0; i < S.nlive; i++) used += (size_t)1 << live[i].o;
    for (i = 0; i < S.nres; i++) resv += S.res[i].hi - S.res[i].lo;
    FUZZ_CHECK(s.base == S.base && s.size == S.bytes && s.min_block == S.minb && s.max_order == S.maxo, "stats: range changed");
    FUZZ_CHECK(s.free_bytes == (addr_t)fr << S.shift, "stats: free_bytes");
    FUZZ_CHECK(s.used_bytes == (addr_t)used << S.shift, "stats: used_bytes");
    FUZZ_CHECK(s.reserved_bytes == (addr_t)resv << S.shift, "stats: reserved_bytes");
    FUZZ_CHECK(s.largest_free == (any ? bsize(top) : 0), "stats: largest_free");
    for (o = 0; o < XBUDDY_ORDERS; o++) FUZZ_CHECK(s.free_blocks[o] == nfree[o], "stats: free blocks per order");
    FUZZ_CHECK(s.live_blocks == S.nlive, "stats: live_blocks");
    FUZZ_CHECK(s.reserved_ranges == S.nres, "stats: reserved_ranges");
    FUZZ_CHECK(s.allocs == S.allocs && s.frees == S.frees && s.failures == S.failures, "stats: allocs, frees or failures");
    if (fr) {
        /* per mille of free memory not in the largest block (rounded either way) */
        uint64_t exact = 1000u - (uint64_t)(((size_t)1 << top) * 1000.0 / (double)fr);
        FUZZ_CHECK(s.fragmentation + 2 >= exact && s.fragmentation <= exact + 2, "stats: fragmentation");
    } else {
        FUZZ_CHECK(s.fragmentation == 0, "stats: fragmentation without free memory");
    }
}

/* The allocator's own check: a lookup of every block (about 40
 * instructions each, with the walk's count) and passes over the bitmap and
 * its index (about 16 instructions per word of 32 min blocks). The
 * next is due after the interval the input picked, or when this one's cost
 * is paid off at FUZZ_CHECK_BUDGET an operation (fuzz.h). At level 4 every
 * call runs it first: here it runs every 64 operations at the most, and at
 * the end. */
#define OWN_COST (S.nwalk * 40 + S.n / 2)
static void check_own(void)
{
    const char *why;
    unsigned e0 = S.errs;
    why = xbuddy_check(S.b);
    if (why) fprintf(stderr, "xbuddy_check: %s\n", why);
    FUZZ_CHECK(why == NULL, "xbuddy_check found the allocator broken");
    FUZZ_CHECK(S.errs == e0, "xbuddy_check reported an error but returned NULL");
    fuzz_own_done(S.check_every, OWN_COST);
}

/* The full check (when: FUZZ_INIT, FUZZ_DUE, FUZZ_ASK for OP_CHECK,
 * FUZZ_END for the end; see fuzz.h, "when to run the checks"): the allocator's own
 * check, then the model's: the walk and the stats against the model, every
 * live block's bytes and the guards (about 150 instructions a block of the
 * walk, 60 a live block, the bytes a memcmp). */
static void check_all(int when)
{
    size_t i, bytes = 0;
    if (fuzz_own_due(when)) check_own();
    if (!fuzz_model_due(when)) return;
    check_walk();
    check_stats();
    for (i = 0; i < S.nlive; i++) {
        check_block(i);
        if (!S.meta_mode) bytes += (size_t)bsize(live[i].o);
    }
    FUZZ_CHECK(guard_ok(S.gbefore, GUARD) && guard_ok(S.gafter, GUARD), "the allocator wrote outside its memory");
    fuzz_model_done(when, S.check_every, S.nwalk * 150 + S.nlive * 60 + bytes / 16, OWN_COST);
}

/* ---- misuse ------------------------------------------------------------------------- */
/* An address near the range: before it, after it, in it at any min block
 * (then plus an offset), chosen by v. */
static addr_t some_addr(unsigned v, unsigned w)
{
    addr_t off = (addr_t)(w % 3 == 0 ? 0 : w % 3 == 1 ? (w >> 2) % S.minb : (w >> 2) & 7);
    switch (v % 8) {
    case 0: return S.base - 1 - (addr_t)(w & 0xFF);            /* below the range */
    case 1: return S.base + S.bytes + (addr_t)(w & 0xFF);       /* past it */
    case 2: return XBUDDY_NONE - 1 - (addr_t)(w & 0xF);
    default: return S.base + ((addr_t)((v >> 3) * 977u + w * 131u) % (addr_t)S.n << S.shift) + off;
    }
}

static void bad_free(addr_t a, addr_t size, unsigned how)
{
    xalloc_error e = misuse_code(a, size);
    if (a == XBUDDY_NONE && how != 2) { /* the manual: freeing XBUDDY_NONE is a no-op */
        xbuddy_free_addr(S.b, a, size);
        return;
    }
    if (e == XALLOC_OK) return; /* happens to be a live block: not a misuse */
    if (XALLOC_DEBUG < 1) return;
    FUZZ_LOG("  misuse: %s(%#llx, %llu): expect %s\n", how == 2 ? "block_size" : "free", (unsigned long long)a,
             (unsigned long long)size, xalloc_error_name(e));
    if (how == 2) {
        if (e == XALLOC_E_SIZE_MISMATCH) return; /* block_size takes no size */
        expect_err(e);
        FUZZ_CHECK(xbuddy_block_size(S.b, a) == 0, "block_size of a bad address is not 0");
    } else {
        expect_err(e);
        if (how == 1 && !S.meta_mode && !size) xbuddy_free(S.b, (void *)(uintptr_t)a);
        else xbuddy_free_addr(S.b, a, size);
    }
}

static void op_misuse(fuzz_in *in)
{
    unsigned kind = fuzz_u8(in), v = fuzz_u16(in), w = fuzz_u16(in);
    switch (kind % 6) {
    case 0: /* anywhere: outside, inside free, reserved or used memory */
        bad_free(some_addr(v, w), 0, (kind >> 3) % 3);
        break;
    case 1: /* interior of a live block, or misaligned */
        if (S.nlive) {
            size_t i = v % S.nlive;
            addr_t a = addr_of(live[i].X), off = (addr_t)w % bsize(live[i].o);
            bad_free(a + (off ? off : 1), 0, (kind >> 3) % 3);
        }
        break;
    case 2: /* a live block with a size of another order */
        if (S.nlive) {
            size_t i = v % S.nlive;
            unsigned o = (unsigned)(w % (S.maxo + 2));
            addr_t size = o > S.maxo ? bsize(S.maxo) + 1 + (w >> 8) : size_for(o, w | 1);
            if (size && order_of(size) != (int)live[i].o) bad_free(addr_of(live[i].X), size, 0);
        }
        break;
    case 3: /* double free of a block freed before: its min block is free or reused */
        bad_free(addr_of(v % S.n), 0, (kind >> 3) % 2);
        break;
    case 4: /* write into free memory (in-band, level >= 2 promises a report) */
        /* Not into the first LINK_BYTES of a min block: a free block keeps
         * its list links there, and any min block can become the start of a
         * free block when a split or merge makes one (a write there is a
         * broken list, which xbuddy_check reports, not a use after free).
         * Min blocks of LINK_BYTES have no byte to write. */
        if (!S.meta_mode && XALLOC_DEBUG >= 2 && S.ndirty < MAXDIRTY && S.minb > LINK_BYTES) {
            size_t f;
            model_free_blocks();
            if (S.nfb && !S.fb_overflow) {
                fblk *b = &fb[v % S.nfb];
                addr_t off = (addr_t)w % bsize(b->o);
                size_t bx;
                if ((off & (S.minb - 1)) < LINK_BYTES) off += LINK_BYTES; /* same min block: minb >= 2 * LINK_BYTES */
                bx = b->X + (((size_t)(w >> 8) % b->count) << b->o);
                unsigned char *p = ptr_of(bx) + off;
                size_t X = bx + (size_t)(off >> S.shift);
                FUZZ_LOG("  misuse: write after free at %p\n", (void *)p);
                fuzz_poke(p, (unsigned char)(XBUDDY_POISON_BYTE ^ (1 + (kind & 0x7F))));
                for (f = 0; f < S.ndirty && S.dirty[f] != X; f++) { }
                if (f == S.ndirty) S.dirty[S.ndirty++] = X;
            }
        }
        break;
    default: { /* allocations larger than the largest block, orders past the top */
        if (kind & 8) do_alloc(2, 0, S.maxo + 1 + (v & 7));
        else do_alloc(1, bsize(S.maxo) + 1 + (addr_t)v, 0);
        break;
    }
    }
}

/* ---- operations ---------------------------------------------------------------------- */
enum { OP_ALLOC, OP_ALLOC_ORDER, OP_FREE, OP_FREE2, OP_RESERVE, OP_RELEASE, OP_BLOCK_SIZE, OP_WALK_STOP,
       OP_DUMP, OP_CHECK, OP_MISUSE, OP_FILL, OP_FREE_EVERY, OP_ALLOC2, NOPS };
static const char *const op_names[NOPS] = { "alloc", "alloc_order", "free", "free", "reserve", "release", "block_size",
                                            "walk (stopped)", "dump", "check", "misuse", "fill", "free every m-th", "alloc" };

static unsigned long dump_lines, walk_calls, walk_after;
static void dump_line(void *user, const char *line)
{
    size_t n = strlen(line);
    FUZZ_CHECK(user == &S, "dump: wrong user pointer");
    FUZZ_CHECK(n >= 2 && line[n - 1] == '\n' && memchr(line, '\n', n - 1) == NULL, "dump: not one line ending in a newline");
    dump_lines++;
}
static bool walk_stop_cb(void *user, addr_t a, addr_t size, xbuddy_kind kind)
{
    (void)user; (void)a; (void)size; (void)kind;
    return ++walk_calls < walk_after;
}

/* A request size: mostly within a few orders of min_block. */
static addr_t dec_size(unsigned v)
{
    unsigned o = (v >> 12) % (S.maxo + 2);
    addr_t s = bsize(o > S.maxo ? S.maxo : o);
    if (o > S.maxo) return s; /* exactly the largest */
    return (addr_t)(v & 0xFFF) % (s + 1);
}

/* A range for reserve/release: start and length in min blocks with
 * offsets, sometimes outside the range or wrapping around. */
static void dec_range(unsigned v, unsigned w, addr_t *addr, addr_t *size)
{
    size_t X = (size_t)(v % (S.n + 16));
    addr_t a = S.base + ((addr_t)X << S.shift) - ((addr_t)16 << S.shift), len;
    if (v & 0x8000) a += (addr_t)(w & 0x3F); /* not min-block aligned */
    len = ((addr_t)(w >> 6) % (S.n + 4) << S.shift) - (w & 1 ? (addr_t)(w & 0x1F) : 0);
    if ((w & 0xC000) == 0xC000) len = XBUDDY_NONE - (addr_t)(v & 0xFF); /* wraps */
    *addr = a;
    *size = len;
}

static void run_op(fuzz_in *in, unsigned op)
{
    while (S.nlive > MAXLIVE - 70) { do_free(op % S.nlive, 0, 0); settle(); }
    switch (op) {
    case OP_ALLOC: case OP_ALLOC2: {
        unsigned v = fuzz_u16(in), how = fuzz_u8(in) & 1;
        do_alloc(S.meta_mode ? 1 : (int)how, dec_size(v), 0);
        break;
    }
    case OP_ALLOC_ORDER:
        do_alloc(2, 0, fuzz_u8(in) % (S.maxo + 1));
        break;
    case OP_FREE: case OP_FREE2: {
        unsigned k = fuzz_u16(in), v = fuzz_u16(in);
        if (S.nlive) {
            size_t i = k % S.nlive;
            do_free(i, (int)(v & 1), (v & 2) ? size_for(live[i].o, v >> 2) : 0);
        }
        break;
    }
    case OP_RESERVE: case OP_RELEASE: {
        unsigned v = fuzz_u16(in), w = fuzz_u16(in);
        addr_t a, size;
        dec_range(v, w, &a, &size);
        do_reserve(op == OP_RESERVE, a, size);
        break;
    }
    case OP_BLOCK_SIZE: {
        unsigned k = fuzz_u16(in);
        if (S.nlive) {
            size_t i = k % S.nlive;
            FUZZ_CHECK(xbuddy_block_size(S.b, addr_of(live[i].X)) == bsize(live[i].o), "block_size of a live block is wrong");
        }
        break;
    }
    case OP_WALK_STOP: {
        size_t total;
        walk_after = 1 + fuzz_u8(in) % 8;
        S.nwalk = 0;
        xbuddy_walk(S.b, walk_cb, &S);
        total = S.nwalk;
        walk_calls = 0;
        xbuddy_walk(S.b, walk_stop_cb, &S);
        FUZZ_CHECK(walk_calls == (total < walk_after ? total : walk_after), "walk did not stop when told");
        break;
    }
    case OP_DUMP:
        dump_lines = 0;
        xbuddy_dump(S.b, dump_line, &S);
        FUZZ_CHECK(dump_lines >= 2, "dump printed too few lines");
        break;
    case OP_CHECK:
        check_all(FUZZ_ASK);
        break;
    case OP_MISUSE:
        if (S.misuse) op_misuse(in);
        else do_alloc(2, 0, fuzz_u8(in) % (S.maxo + 1));
        break;
    case OP_FILL: {
        unsigned o = fuzz_u8(in) % (S.maxo + 1), n = 0;
        while (S.nlive < MAXLIVE - 4 && n++ < 64) {
            size_t before = S.nlive;
            do_alloc(2, 0, o);
            settle();
            if (S.nlive == before) break;
        }
        break;
    }
    case OP_FREE_EVERY: {
        unsigned m = 2 + fuzz_u8(in) % 3;
        size_t i = fuzz_u8(in) % m;
        while (i < S.nlive) { do_free(i, 1, 0); settle(); i += m - 1; }
        break;
    }
    }
}

/* ---- set-up ------------------------------------------------------------------------- */
/* xbuddy_meta_size for desc (NULL without hooks) as if it had no lock
 * hooks; with a lone one, the query must say 0 at level 1 and up (init_meta
 * refuses it) and give the same size at level 0 (it is ignored). */
static size_t meta_size(addr_t base, addr_t range, const xbuddy_desc *desc)
{
    xbuddy_desc plain;
    size_t n;
    if (!S.hooked) return xbuddy_meta_size(base, range, NULL);
    plain = *desc;
    plain.hooks.lock = plain.hooks.unlock = NULL;
    n = xbuddy_meta_size(base, range, &plain);
    if ((desc->hooks.lock == NULL) != (desc->hooks.unlock == NULL))
        FUZZ_CHECK(xbuddy_meta_size(base, range, desc) == (XALLOC_DEBUG >= 1 ? 0 : n),
                   "meta_size does not agree with init_meta about a lone lock or unlock hook");
    return n;
}

FUZZ_RUN(const uint8_t *data, size_t size)
{
    fuzz_in in = { data, size };
    xbuddy_desc desc;
    unsigned flags = fuzz_u8(&in), mb = fuzz_u8(&in), cap = fuzz_u8(&in), mres = fuzz_u8(&in);
    uint32_t sz = fuzz_u32(&in);
    unsigned place = fuzz_u16(&in), kinds = fuzz_u8(&in), seed = fuzz_u8(&in), intervals = fuzz_u8(&in);
    unsigned long nops = 0;
    unsigned top = 40;
    addr_t minb = 0, mem_a = 0, range = 0, range_base = 0;
    size_t meta_need = 0, given = 0;
    int valid;

    S.b = NULL;
    S.nlive = S.nres = S.nfb = S.nwalk = S.ndirty = 0;
    S.errs = S.exp_errs = 0;
    S.last_err = S.exp_code = XALLOC_OK;
    S.check_code = 0;
    S.lock_depth = 0;
    S.allocs = S.frees = S.failures = 0;
    S.next_id = 1;
    S.hooked = !(flags & 16);
    S.misuse = (flags & 1) && S.hooked;
    S.lock_mode = S.hooked ? (int)(flags >> 1 & 3) : 0;
    S.meta_mode = (flags & 8) != 0;
    S.release_first = (flags & 32) != 0;
    S.check_every = 1u << (2 * (intervals & 3));
    fuzz_op_index = 0;
    fuzz_op_name = "init";
    if (!arena) arena = (unsigned char *)(((uintptr_t)arena_store + ALIGN64K - 1) & ~(ALIGN64K - 1));

    memset(&desc, 0, sizeof desc);
    desc.hooks.error = on_error;
    desc.hooks.user = &S;
    if (S.lock_mode == 1 || S.lock_mode == 2) desc.hooks.lock = on_lock;
    if (S.lock_mode == 1 || S.lock_mode == 3) desc.hooks.unlock = on_unlock;
    /* min_block, max_block, max_reserved */
    if ((mb & 31) != 31) {
        unsigned lg = (mb & 31) % (S.meta_mode ? 28 : 12);
        minb = (addr_t)1 << (lg < 3 ? 3 : lg);
        if ((mb >> 5) == 7) minb = 3 * minb;
    }
    desc.min_block = minb;
    if (cap && cap < 240) desc.max_block = (minb ? minb : (addr_t)XBUDDY_MIN_BLOCK) << (cap % 24);
    else if (cap) desc.max_block = (addr_t)cap * 3;
    desc.max_reserved = mres % 24;
    valid = !(minb & (minb - 1)) && !(desc.max_block & (desc.max_block - 1)) &&
            (!desc.max_block || desc.max_block >= (minb ? minb : (addr_t)XBUDDY_MIN_BLOCK));
    if (!S.hooked) { minb = 0; valid = 1; }
    S.minb = minb ? minb : (addr_t)XBUDDY_MIN_BLOCK;
    S.maxres = S.hooked && desc.max_reserved ? desc.max_reserved : XBUDDY_MAX_RESERVED;

    /* Keep the blocks a walk visits to about MAXBLOCKS (a check visits every
     * block): at most MAXBLOCKS blocks of max_block. */
    if (desc.max_block && S.hooked && valid) {
        addr_t c = desc.max_block;
        for (top = 0; (S.minb << top) < c && top < 40; top++) { }
    }
    if (!S.meta_mode) {
        size_t offset = place % 4096, len = sz % ARENA_MAX + 1;
        if (top < 40 && len / S.minb > ((size_t)MAXBLOCKS << top)) len = (size_t)(S.minb * ((addr_t)MAXBLOCKS << top));
        if (XALLOC_DEBUG >= 4 && len / S.minb > LEVEL4_BLOCKS) len = (size_t)S.minb * LEVEL4_BLOCKS + len % S.minb;
        S.mem = arena + GUARD + offset;
        S.memsize = len;
        fuzz_unpoison(arena, ARENA_MAX + 4096 + 2 * GUARD);
        S.gbefore = S.mem - GUARD;
        S.gafter = S.mem + len;
        guard_set(S.gbefore, GUARD);
        guard_set(S.gafter, GUARD);
        fuzz_scribble(S.mem, len, seed);
        mem_a = (addr_t)(uintptr_t)S.mem;
        FUZZ_LONE_LOCK(xbuddy_init(S.mem, len, &desc), desc.hooks, expect_err(XALLOC_E_BADARG));
        S.b = xbuddy_init(S.mem, len, S.hooked ? &desc : NULL);
        FUZZ_LOG("init(%p, %zu, min %llu, max %llu, res %u) = %p\n", (void *)S.mem, len, (unsigned long long)desc.min_block,
                 (unsigned long long)desc.max_block, desc.max_reserved, (void *)S.b);
        if (valid && len >= 4 * S.minb + meta_size(mem_a, len, &desc) + 64)
            FUZZ_CHECK(S.b != NULL, "in-band init refused a region with room for blocks and the bitmap");
    } else {
        /* range: up to 2^24 min blocks (scaled down), a bit of a block more */
        size_t nblocks = ((size_t)(sz & 0xFFFFFF) >> ((sz >> 24) % 24)) + 1;
        addr_t base;
        unsigned bk = kinds & 7, mk = kinds >> 3 & 7;
        if (top < 40 && nblocks > ((size_t)MAXBLOCKS << top)) nblocks = (size_t)MAXBLOCKS << top;
        if (XALLOC_DEBUG >= 4 && nblocks > LEVEL4_BLOCKS) nblocks = LEVEL4_BLOCKS; /* level 4 checks all of it on every call */
        if (S.minb > ((addr_t)1 << 40) >> 22 && nblocks > ((size_t)1 << 22)) nblocks >>= 10;
        range = (addr_t)nblocks * S.minb + (addr_t)(seed % 7) * (S.minb >> 3);
        switch (bk) {
        case 0: base = 0; break;
        case 1: base = (addr_t)place * 16u; break;
        case 2: base = (addr_t)place << 12; break;
        case 3: base = ((addr_t)1 << 32) + ((addr_t)place << 12); break;
        case 4: base = XBUDDY_NONE - range - (addr_t)place; break;           /* ends near the top */
        case 5: base = XBUDDY_NONE - (addr_t)place; break;                    /* too high */
        case 6: base = (addr_t)place * 7919u + 1u; break;
        default: base = 0x100000; break;
        }
        meta_need = meta_size(base, range, &desc);
        while (meta_need > META_MAX && range > S.minb) { /* keep the bitmap in the buffer */
            range >>= 1;
            if (bk == 4) base = XBUDDY_NONE - range - (addr_t)place;
            meta_need = meta_size(base, range, &desc);
        }
        given = mk == 6 && meta_need > sizeof(void *) ? meta_need - sizeof(void *) - (place & 7) : meta_need;
        S.mem = meta_store + GUARD + (place & 7);
        S.memsize = given;
        S.gbefore = S.mem - GUARD;
        S.gafter = S.mem + given;
        guard_set(S.gbefore, GUARD);
        guard_set(S.gafter, GUARD);
        fuzz_scribble(S.mem, given, seed);
        range_base = base;
        FUZZ_LONE_LOCK(xbuddy_init_meta(mk == 7 ? NULL : S.mem, given, base, range, &desc), desc.hooks, expect_err(XALLOC_E_BADARG));
        S.b = xbuddy_init_meta(mk == 7 ? NULL : S.mem, given, base, range, S.hooked ? &desc : NULL);
        FUZZ_LOG("init_meta(%zu of %zu bytes, base %#llx, size %#llx, min %llu, max %llu, res %u) = %p\n", given, meta_need,
                 (unsigned long long)base, (unsigned long long)range, (unsigned long long)desc.min_block,
                 (unsigned long long)desc.max_block, desc.max_reserved, (void *)S.b);
        if (meta_need && mk != 7 && given >= meta_need) FUZZ_CHECK(S.b != NULL, "init_meta refused the size meta_size asked for");
        if (!meta_need) FUZZ_CHECK(S.b == NULL, "init_meta accepted arguments meta_size refused");
    }
    FUZZ_CHECK(guard_ok(S.gbefore, GUARD) && guard_ok(S.gafter, GUARD), "init wrote outside its memory");
    if (!S.b) {
        expect_err(XALLOC_E_BADARG);
        settle();
        return 0;
    }
    FUZZ_CHECK(valid, "init accepted an invalid min_block or max_block");
    settle();
    {   /* the range, as the stats give it, against what the manual says */
        xbuddy_stats s;
        unsigned k, want = 0;
        xbuddy_stats_get(S.b, &s);
        S.base = s.base;
        S.bytes = s.size;
        FUZZ_CHECK(s.min_block == S.minb, "stats: min_block is not the one asked for");
        for (S.shift = 0; ((addr_t)1 << S.shift) != S.minb; S.shift++) { }
        S.n = (size_t)(S.bytes >> S.shift);
        S.maxo = s.max_order;
        S.A0 = (uint64_t)(S.base >> S.shift);
        FUZZ_CHECK(S.n > 0 && (S.bytes & (S.minb - 1)) == 0 && (S.base & (S.minb - 1)) == 0, "range not made of aligned min blocks");
        if (S.meta_mode) {
            /* the range rounded in to whole min blocks; handle and tables in the buffer */
            addr_t lo = (range_base + S.minb - 1) & ~(S.minb - 1), hi = (range_base + range) & ~(S.minb - 1);
            FUZZ_CHECK(S.base == lo && S.bytes == hi - lo, "metadata-only range is not the given one rounded in to min blocks");
            FUZZ_CHECK((unsigned char *)S.b >= S.mem && (size_t)((unsigned char *)S.b - S.mem) + s.meta_bytes <= given,
                       "handle and bitmap do not fit in the metadata buffer given");
        } else {
            /* in-band: the range starts at the first aligned min block; the
             * handle and bitmap lie after it, inside the memory given */
            FUZZ_CHECK(S.base >= mem_a && S.base - mem_a < S.minb, "in-band range does not start at the first min block");
            FUZZ_CHECK((addr_t)(uintptr_t)S.b >= S.base + S.bytes && (addr_t)(uintptr_t)S.b + s.meta_bytes <= mem_a + S.memsize,
                       "in-band bitmap overlaps the range or leaves the memory");
        }
        /* the largest order: the largest with an aligned block inside the
         * range, under max_block */
        for (k = 1; k < 63 && ((size_t)1 << k) <= S.n; k++) {
            uint64_t first = (S.A0 + ((uint64_t)1 << k) - 1) & ~(((uint64_t)1 << k) - 1);
            if (S.hooked && desc.max_block && (S.minb << k) > desc.max_block) break;
            if (first + ((uint64_t)1 << k) <= S.A0 + S.n) want = k;
        }
        FUZZ_CHECK(S.maxo == want, "max_order is not the largest order with an aligned block in the range");
    }
    check_all(FUZZ_INIT);
    settle();

    while (in.n && nops < 4096) {
        unsigned op = fuzz_u8(&in) % NOPS;
        fuzz_op_index = ++nops;
        fuzz_op_name = op_names[op];
        run_op(&in, op);
        settle();
        fuzz_changes++;
        check_all(FUZZ_DUE);
        settle();
    }

    fuzz_op_index = ++nops;
    fuzz_op_name = "final check";
    check_all(FUZZ_END);
    settle();
    fuzz_op_name = "free and release everything";
    if (S.nlive || S.nres) fuzz_changes++;
    if (S.release_first) { do_reserve(0, S.base, S.bytes); settle(); }
    while (S.nlive) { do_free(S.nlive - 1, 1, 0); settle(); }
    if (!S.release_first) { do_reserve(0, S.base, S.bytes); settle(); }
    fuzz_op_name = "back to the first state";
    FUZZ_CHECK(S.nres == 0 && S.nlive == 0, "harness: blocks left");
    check_all(FUZZ_END); /* the walk must be the range cut into maximal aligned blocks: as after init */
    settle();
    return 0;
}
#endif /* FUZZ_VARIANT */
