/* fuzz_bitmap.c - fuzz harness for the bitmap allocator, xalloc_bitmap.h.
 *
 * The input is a program: a configuration, then operations, each an opcode
 * byte (taken modulo the number of operations) and its operands; bytes past
 * the end read as 0, so every byte string is a valid program.
 *
 *   byte 0      variant (modulo FUZZ_VARIANTS): debug level and options, below
 *   byte 1      flags: 1 misuse, 2|4 lock hooks (0 none, 1 both, 2 lock only,
 *               3 unlock only: init refuses it at level 1 and up, and the
 *               program goes on without it; at level 0 it must be
 *               ignored), 8 best fit, 16 desc NULL,
 *               32 random placement, 64 start_used, 128 an unknown policy
 *               (init must refuse it)
 *   bytes 2-5   count, by n >> 28: 0-9 up to 4096 units, 10-12 up to 65536,
 *               13 up to 2^20, 14 up to 2^26 (cut to fit the buffer: about
 *               2^24), 15 zero or more than the map can hold (init refuses)
 *   byte 6      metadata buffer: bits 0-2 start offset; bit 3 one byte
 *               short; bit 4 no buffer
 *   byte 7      seed of the random placement and of the buffer's bytes
 *   byte 8      full check every 1/4/16/64 operations (bits 0-1; or
 *               fewer, when one costs more than fuzz.h's budget)
 *   then        operations (see the OP_ list)
 *
 * The model is exact: the units the program holds (as the runs it
 * allocated, cut where it freed parts), the reserved ranges (sorted, merged,
 * at most XBITMAP_MAX_RESERVED), free units the rest. The manual fixes
 * placement: alloc takes the lowest free unit, first fit the lowest aligned
 * fit (the search start is a bound below which nothing is free), both only
 * failing when nothing fits; with random placement any free unit or fit is
 * right, and never failing while one exists still holds; best fit returns a
 * fit in a run no longer (as the manual measures runs) than first fit's. So
 * the harness predicts every index, every failure, every error code, and
 * compares the walk run by run, xbitmap_state unit by unit and the stats
 * field by field at every full check (on the schedule the input picks,
 * fuzz.h: "when to run the checks", and at the end); bytes around the
 * metadata buffer must survive. At the end everything is freed and released
 * and the map must be back to its first state.
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
#define XALLOC_DEBUG 4
#elif FUZZ_VARIANT == 4
#define XALLOC_DEBUG 1
#define XALLOC_NO_BUILTINS
#define XBITMAP_SMALL 1 /* the general paths only, as -Os builds */
#elif FUZZ_VARIANT == 5
#define XALLOC_DEBUG 1
#define XBITMAP_WORD_BITS 32
#elif FUZZ_VARIANT == 6
#define XALLOC_DEBUG 2
#define XBITMAP_MAX_RESERVED 3
#define XBITMAP_BEST_FIT_TRIES 2
#define XBITMAP_RUN_TREE 0 /* failing searches and the largest run without the tree, */
#define XBITMAP_SMALL 1    /* in the smallest build */
#elif FUZZ_VARIANT == 7
#define XALLOC_DEBUG 3
#define XBITMAP_WORD_BITS 32
#define XALLOC_NO_BUILTINS
#else
#error "unknown FUZZ_VARIANT"
#endif
#define XALLOC_IMPLEMENTATION
#define XALLOC_STATIC
#include "xalloc_bitmap.h"
/* A map's operations are cheap (a few hundred instructions) but its check
 * reads the whole bitmap: the budget lets a map of 4096 units be checked
 * after every operation, as before the budget, and a larger one every
 * count / 4096 operations. */
#ifndef FUZZ_CHECK_BUDGET
#define FUZZ_CHECK_BUDGET 12288u
#endif
#include "fuzz.h"

typedef xbitmap_index idx;
#define NONE XBITMAP_NONE

/* ---- memory ------------------------------------------------------------------ */
#define GUARD    64
#define META_MAX (3u << 20)
static unsigned char meta_store[META_MAX + 2 * GUARD + 64];
static unsigned char guard_byte(size_t i) { return (unsigned char)(0xA5 ^ (i * 31u)); }
static void guard_set(unsigned char *p, size_t n) { size_t i; for (i = 0; i < n; i++) p[i] = guard_byte(i); }
static int guard_ok(const unsigned char *p, size_t n) { size_t i; for (i = 0; i < n; i++) if (p[i] != guard_byte(i)) return 0; return 1; }

/* ---- the model ------------------------------------------------------------------ */
#define MAXPIECES 1024
#define MAXRUNS   4096
#define MAXWALK   8192

typedef struct run { idx s, e; } run;                        /* [s, e)           */
typedef struct krun { idx s, e; xbitmap_kind kind; } krun;

static run held[MAXPIECES];   /* units the program holds, sorted, disjoint (not merged) */
static krun runs[MAXRUNS], walk[MAXWALK];
static struct {
    xbitmap *b;
    idx count;
    int misuse, hooked, lock_mode, lock_depth, best, random;
    unsigned errs, exp_errs;
    xalloc_error last_err, exp_code;
    int check_code;
    size_t nheld, nres, nruns, nwalk;
    int runs_overflow, walk_overflow, dumped;
    run res[64];
    uint64_t allocs, frees, failures;
    uint32_t rng;
    unsigned long random_calls, random_expected;
    unsigned char *mem, *gbefore, *gafter;
    size_t given;
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
static idx on_random(void *user)
{
    FUZZ_CHECK(user == &S.rng, "random hook: wrong user pointer");
    S.random_calls++;
    return (idx)(((uint64_t)fuzz_rand(&S.rng) << 32) | fuzz_rand(&S.rng));
}
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
    FUZZ_CHECK(S.random_calls == S.random_expected, "random hook not called exactly once per allocation search");
}

/* ---- model queries ------------------------------------------------------------------ */
/* held[] is sorted and disjoint, so sorted by end too: queries find their
 * place by binary search (O(log pieces) and the pieces they touch). */
/* The first held piece that starts at or after x. */
static size_t held_lower(idx x)
{
    size_t lo = 0, hi = S.nheld;
    while (lo < hi) { size_t m = (lo + hi) / 2; if (held[m].s < x) lo = m + 1; else hi = m; }
    return lo;
}
/* The first held piece that ends after x (the first that may hold x or lie past it). */
static size_t held_from(idx x)
{
    size_t i = held_lower(x);
    return i > 0 && held[i - 1].e > x ? i - 1 : i;
}
/* Kinds of units in [s, e): bit 0 some held, bit 1 some reserved, bit 2 some free. */
static unsigned kinds_in(idx s, idx e)
{
    unsigned k = 0;
    idx covered = 0;
    size_t i;
    for (i = held_from(s); i < S.nheld && held[i].s < e; i++) {
        k |= 1;
        covered += (held[i].e < e ? held[i].e : e) - (held[i].s > s ? held[i].s : s);
    }
    for (i = 0; i < S.nres; i++)
        if (S.res[i].s < e && S.res[i].e > s) { k |= 2; covered += (S.res[i].e < e ? S.res[i].e : e) - (S.res[i].s > s ? S.res[i].s : s); }
    if (covered < e - s) k |= 4;
    return k;
}

/* Maximal runs of one kind, in index order, into runs[] (for the full check). */
static void push_run(idx s, idx e, xbitmap_kind kind)
{
    if (s >= e) return;
    if (S.nruns && runs[S.nruns - 1].kind == kind && runs[S.nruns - 1].e == s) { runs[S.nruns - 1].e = e; return; }
    if (S.nruns == MAXRUNS) { S.runs_overflow = 1; return; }
    runs[S.nruns].s = s;
    runs[S.nruns].e = e;
    runs[S.nruns].kind = kind;
    S.nruns++;
}
/* The occupied pieces (held and reserved) in index order: *i and *r walk
 * held[] and res[]; returns 0 past the last. */
static int next_occupied(size_t *i, size_t *r, run *x, int *is_held)
{
    if (*i == S.nheld && *r == S.nres) return 0;
    *is_held = *r == S.nres || (*i < S.nheld && held[*i].s < S.res[*r].s);
    *x = *is_held ? held[(*i)++] : S.res[(*r)++];
    return 1;
}
static void model_runs(void)
{
    size_t i = 0, r = 0;
    idx at = 0;
    run x;
    int h;
    S.nruns = 0;
    S.runs_overflow = 0;
    while (next_occupied(&i, &r, &x, &h)) {
        push_run(at, x.s, XBITMAP_FREE);
        push_run(x.s, x.e, h ? XBITMAP_USED : XBITMAP_RESERVED);
        at = x.e;
    }
    push_run(at, S.count, XBITMAP_FREE);
}
static xbitmap_kind model_state(idx p)
{
    size_t i;
    if (p >= S.count) return XBITMAP_OUTSIDE;
    i = held_from(p);
    if (i < S.nheld && held[i].s <= p) return XBITMAP_USED;
    for (i = 0; i < S.nres; i++) if (p >= S.res[i].s && p < S.res[i].e) return XBITMAP_RESERVED;
    return XBITMAP_FREE;
}
/* The lowest aligned fit of n units, or NONE: the free gaps between the
 * occupied pieces, from the start, up to the first that fits. */
static idx first_fit(idx n, idx align)
{
    size_t i = 0, r = 0;
    idx at = 0;
    for (;;) {
        run x;
        int h, more = next_occupied(&i, &r, &x, &h);
        idx end = more ? x.s : S.count;
        if (end > at) {
            idx q = (at + align - 1) / align * align;
            if (q >= at && q < end && end - q >= n) return q;
        }
        if (!more) return NONE;
        at = x.e;
    }
}
/* The length of the free run around a fit [p, p+n), as best fit measures
 * it: at most max(n, 64 W) units on each side. The run reaches from the end
 * of the last occupied piece before p to the start of the first after. */
static idx measure(idx p, idx n)
{
    idx cap = n > 64 * (idx)XBITMAP_WORD_BITS ? n : 64 * (idx)XBITMAP_WORD_BITS, lo = 0, hi = S.count, l, r;
    size_t i = held_lower(p);
    if (i > 0) lo = held[i - 1].e;
    if (i < S.nheld) hi = held[i].s;
    for (i = 0; i < S.nres; i++) {
        if (S.res[i].e <= p && S.res[i].e > lo) lo = S.res[i].e;
        if (S.res[i].s >= p + n && S.res[i].s < hi) hi = S.res[i].s;
    }
    l = p - lo;
    r = hi - (p + n);
    return (l < cap ? l : cap) + n + (r < cap ? r : cap);
}

/* The program now holds [s, e). */
static void hold(idx s, idx e)
{
    size_t i = held_lower(s);
    FUZZ_CHECK(S.nheld < MAXPIECES, "harness: too many pieces");
    memmove(&held[i + 1], &held[i], (S.nheld - i) * sizeof held[0]);
    held[i].s = s;
    held[i].e = e;
    S.nheld++;
}
/* The program gave back [s, e) (all held). */
static void unhold(idx s, idx e)
{
    size_t i;
    for (i = held_from(s); i < S.nheld && held[i].s < e;) {
        run h = held[i];
        if (h.s < s && h.e > e) { /* split */
            FUZZ_CHECK(S.nheld < MAXPIECES, "harness: too many pieces");
            memmove(&held[i + 2], &held[i + 1], (S.nheld - i - 1) * sizeof held[0]);
            held[i].e = s;
            held[i + 1].s = e;
            held[i + 1].e = h.e;
            S.nheld++;
            return;
        }
        if (h.s < s) { held[i].e = s; i++; continue; }
        if (h.e > e) { held[i].s = e; i++; continue; }
        memmove(&held[i], &held[i + 1], (S.nheld - i - 1) * sizeof held[0]);
        S.nheld--;
    }
}
/* Reserved ranges after adding or removing [s, e); returns how many (out). */
static size_t res_after(int add, idx s, idx e, run *out)
{
    size_t i, k = 0;
    int placed = 0;
    for (i = 0; i < S.nres; i++) {
        run r = S.res[i];
        if (add) {
            if (r.e < s) { out[k++] = r; continue; }
            if (r.s > e) { if (!placed) { out[k].s = s; out[k].e = e; k++; placed = 1; } out[k++] = r; continue; }
            if (r.s < s) s = r.s;
            if (r.e > e) e = r.e;
        } else {
            if (r.e <= s || r.s >= e) { out[k++] = r; continue; }
            if (r.s < s) { out[k].s = r.s; out[k].e = s; k++; }
            if (r.e > e) { out[k].s = e; out[k].e = r.e; k++; }
        }
    }
    if (add && !placed) { out[k].s = s; out[k].e = e; k++; }
    return k;
}

/* ---- operations -------------------------------------------------------------------- */
/* The allocator returned p for a search (alloc when n == 0) of n units at
 * align. */
static void found(idx p, idx n, idx align, int one)
{
    idx want;
    want = first_fit(one ? 1 : n, one ? 1 : align);
    if (one) n = 1;
    if (want == NONE) {
        FUZZ_CHECK(p == NONE, "allocation succeeded where nothing fits");
        S.failures++;
        return;
    }
    FUZZ_CHECK(p != NONE, "allocation failed while a fit exists");
    FUZZ_CHECK(p % (one ? 1 : align) == 0 && p < S.count && S.count - p >= n, "allocation not aligned or past the end");
    FUZZ_CHECK(kinds_in(p, p + n) == 4, "allocation handed out units that are not free");
    if (!S.random) {
        if (!S.best || one) {
            if (p != want) fprintf(stderr, "got %llu, first fit is %llu\n", (unsigned long long)p, (unsigned long long)want);
            FUZZ_CHECK(p == want, one ? "alloc is not the lowest free unit" : "first fit is not the lowest fit");
        } else {
            FUZZ_CHECK(measure(p, n) <= measure(want, n), "best fit chose a longer run than first fit's");
        }
    }
    hold(p, p + n);
    S.allocs++;
}

static void do_alloc(void)
{
    idx p;
    if (S.random) S.random_expected++;
    p = xbitmap_alloc(S.b);
    FUZZ_LOG("  alloc() = %lld\n", (long long)p);
    found(p, 1, 1, 1);
}

/* n == 0, align not a power of two, n > count: reported, no search. */
static void do_alloc_run(idx n, idx align)
{
    idx p;
    idx a = align ? align : 1;
    int bad = n == 0 || (a & (a - 1)) || n > S.count;
    if (bad) expect_err(XALLOC_E_BADARG);
    else if (S.random) S.random_expected++;
    p = xbitmap_alloc_run(S.b, n, align);
    FUZZ_LOG("  alloc_run(%llu, %llu) = %lld\n", (unsigned long long)n, (unsigned long long)align, (long long)p);
    if (bad) { FUZZ_CHECK(p == NONE, "alloc_run with bad arguments returned units"); return; }
    found(p, n, a, 0);
}

static void do_alloc_at(idx p, idx n)
{
    bool ok, want;
    unsigned k = 0;
    if (n == 0) { expect_err(XALLOC_E_BADARG); want = false; }
    else if (p >= S.count || n > S.count - p) { expect_err(XALLOC_E_FOREIGN); want = false; }
    else { k = kinds_in(p, p + n); want = k == 4; if (!want) S.failures++; }
    ok = xbitmap_alloc_at(S.b, p, n);
    FUZZ_LOG("  alloc_at(%llu, %llu) = %d\n", (unsigned long long)p, (unsigned long long)n, ok);
    FUZZ_CHECK(ok == want, want ? "alloc_at refused free units" : "alloc_at took units that are not all free");
    if (ok) { hold(p, p + n); S.allocs++; }
}

/* Free [p, p+n). Misuse (unless all held) is only made where it is reported. */
static void do_free(idx p, idx n)
{
    bool ok, want = true;
    xalloc_error e = XALLOC_OK;
    if (n == 0) e = XALLOC_E_BADARG;
    else if (p >= S.count || n > S.count - p) e = XALLOC_E_FOREIGN;
    else {
        unsigned k = kinds_in(p, p + n);
        if (k & 2) e = XALLOC_E_RESERVED;
        else if (k & 4) e = XALLOC_E_DOUBLE_FREE;
        if (e != XALLOC_OK && XALLOC_DEBUG < 1) return; /* level 0 trusts free */
    }
    if (e != XALLOC_OK) { expect_err(e); want = false; }
    ok = xbitmap_free(S.b, p, n);
    FUZZ_LOG("  free(%llu, %llu) = %d\n", (unsigned long long)p, (unsigned long long)n, ok);
    FUZZ_CHECK(ok == want, want ? "free refused held units" : "free accepted units that are not all held");
    if (ok) { unhold(p, p + n); S.frees++; }
}

static void do_reserve(int add, idx p, idx n)
{
    run out[70];
    size_t k = 0, i;
    bool ok, want = false;
    if (n == 0) expect_err(XALLOC_E_BADARG);
    else if (p >= S.count || n > S.count - p) expect_err(XALLOC_E_FOREIGN);
    else if (add && (kinds_in(p, p + n) & 1)) expect_err(XALLOC_E_BADARG);          /* over allocated units */
    else if (!add && kinds_in(p, p + n) != 2) expect_err(XALLOC_E_BADARG);          /* not all reserved */
    else if ((k = res_after(add, p, p + n, out)) > XBITMAP_MAX_RESERVED) expect_err(XALLOC_E_BADARG); /* table full */
    else want = true;
    ok = add ? xbitmap_reserve(S.b, p, n) : xbitmap_release(S.b, p, n);
    FUZZ_LOG("  %s(%llu, %llu) = %d\n", add ? "reserve" : "release", (unsigned long long)p, (unsigned long long)n, ok);
    FUZZ_CHECK(ok == want, add ? "reserve returned the wrong result" : "release returned the wrong result");
    if (ok) {
        for (i = 0; i < k; i++) S.res[i] = out[i];
        S.nres = k;
    }
}

/* ---- checks -------------------------------------------------------------------------- */
static bool walk_cb(void *user, idx s, idx n, xbitmap_kind kind)
{
    FUZZ_CHECK(user == &S, "walk: wrong user pointer");
    if (S.nwalk == MAXWALK) { S.walk_overflow = 1; return false; }
    walk[S.nwalk].s = s;
    walk[S.nwalk].e = s + n;
    walk[S.nwalk].kind = kind;
    S.nwalk++;
    return true;
}
/* The map's own check: it reads every word of the bitmap and its summaries
 * (about 3 instructions a unit). The next is due after the interval the
 * input picked, or when this one's cost is paid off at FUZZ_CHECK_BUDGET an
 * operation (fuzz.h). At level 4 every call runs it first: here it runs
 * every 64 operations at the most, and at the end. */
#define OWN_COST ((size_t)S.count * 3 + S.nruns * 50)
static void check_own(void)
{
    const char *why;
    unsigned e0 = S.errs;
    why = xbitmap_check(S.b);
    if (why) fprintf(stderr, "xbitmap_check: %s\n", why);
    FUZZ_CHECK(why == NULL, "xbitmap_check found the map broken");
    FUZZ_CHECK(S.errs == e0, "xbitmap_check reported an error but returned NULL");
    fuzz_own_done(S.check_every, OWN_COST);
}

/* The full check (when: FUZZ_INIT, FUZZ_DUE, FUZZ_ASK for OP_CHECK,
 * FUZZ_END for the end; see fuzz.h, "when to run the checks"): the map's own check,
 * then the model's: the walk, the state of every run and the stats against
 * the model, and the guards (the walk and the stats' largest run read the
 * whole bitmap, about half an instruction a unit; the states about 150
 * instructions a run). */
static void check_all(int when)
{
    size_t i;
    idx fr = 0, resv = 0, largest = 0, nfree_runs = 0;
    xbitmap_stats s;
    if (fuzz_own_due(when)) check_own();
    if (!fuzz_model_due(when)) return;
    model_runs();
    S.nwalk = 0;
    S.walk_overflow = 0;
    xbitmap_walk(S.b, walk_cb, &S);
    if (!S.walk_overflow && !S.runs_overflow) {
        FUZZ_CHECK(S.nwalk == S.nruns, "walk: a different number of runs than the model's");
        for (i = 0; i < S.nwalk; i++)
            FUZZ_CHECK(walk[i].s == runs[i].s && walk[i].e == runs[i].e && walk[i].kind == runs[i].kind, "walk: a run differs from the model's");
    }
    for (i = 0; i < S.nruns; i++) {
        idx len = runs[i].e - runs[i].s;
        if (runs[i].kind == XBITMAP_FREE) { fr += len; nfree_runs++; if (len > largest) largest = len; }
        if (runs[i].kind == XBITMAP_RESERVED) resv += len;
        /* the state of the first, last and a middle unit of every run */
        FUZZ_CHECK(xbitmap_state(S.b, runs[i].s) == runs[i].kind && xbitmap_state(S.b, runs[i].e - 1) == runs[i].kind &&
                   xbitmap_state(S.b, runs[i].s + len / 2) == runs[i].kind, "state differs from the model's");
    }
    FUZZ_CHECK(xbitmap_state(S.b, S.count) == XBITMAP_OUTSIDE && xbitmap_state(S.b, NONE) == XBITMAP_OUTSIDE, "state past the end");
    xbitmap_stats_get(S.b, &s);
    if (!S.runs_overflow) {
        FUZZ_CHECK(s.free == fr && s.reserved == resv && s.used == S.count - fr - resv, "stats: free, used or reserved");
        FUZZ_CHECK(s.largest_free == largest, "stats: largest_free is not the longest free run");
        FUZZ_CHECK(s.free_runs == nfree_runs, "stats: free_runs");
    }
    FUZZ_CHECK(s.total == S.count && s.reserved_ranges == S.nres, "stats: total or reserved_ranges");
    FUZZ_CHECK(s.allocs == S.allocs && s.frees == S.frees && s.failures == S.failures, "stats: allocs, frees or failures");
    FUZZ_CHECK(s.meta_bytes == xbitmap_meta_size(S.count), "stats: meta_bytes");
    FUZZ_CHECK(guard_ok(S.gbefore, GUARD) && guard_ok(S.gafter, GUARD), "the allocator wrote outside its metadata buffer");
    fuzz_model_done(when, S.check_every, (size_t)S.count / 2 + S.nruns * 150, OWN_COST);
}

/* ---- decoding ------------------------------------------------------------------------- */
/* A unit count: mostly small, sometimes up to the map. */
static idx dec_n(unsigned v)
{
    switch (v >> 14) {
    case 0: return 1 + (v & 7);
    case 1: return 1 + (v & 0x3F);
    case 2: return 1 + (idx)(v & 0x3FFF) % (S.count < 4096 ? S.count : 4096);
    default: return 1 + (idx)(((uint64_t)(v & 0x3FFF) * S.count) >> 14);
    }
}
static idx dec_align(unsigned v) { return v % 5 == 0 ? 0 : (idx)1 << (v % 24); }
/* An index: around the held runs and reserved ranges, or anywhere. */
static idx dec_index(unsigned v, unsigned w)
{
    switch (v & 3) {
    case 0: if (S.nheld) { const run *h = &held[(v >> 2) % S.nheld]; return h->s + (idx)w % (h->e - h->s + 1); } /* fall through */
    case 1: if (S.nres) { const run *r = &S.res[(v >> 2) % S.nres]; return r->s + (idx)w % (r->e - r->s + 1); } /* fall through */
    case 2: return (idx)(((uint64_t)w << 16 | v) % S.count);
    default: return (idx)(((uint64_t)w * S.count) >> 16);
    }
}

enum { OP_ALLOC, OP_ALLOC_RUN, OP_ALLOC_AT, OP_FREE, OP_FREE_PART, OP_RESERVE, OP_RELEASE, OP_STATE, OP_WALK_STOP,
       OP_DUMP, OP_CHECK, OP_MISUSE, OP_FILL, OP_FREE_EVERY, OP_ALLOC_RUN2, NOPS };
static const char *const op_names[NOPS] = { "alloc", "alloc_run", "alloc_at", "free", "free part", "reserve", "release",
                                            "state", "walk (stopped)", "dump", "check", "misuse", "fill",
                                            "free every m-th", "alloc_run" };

static unsigned long dump_lines, walk_calls, walk_after;
static void dump_line(void *user, const char *line)
{
    size_t n = strlen(line);
    FUZZ_CHECK(user == &S, "dump: wrong user pointer");
    FUZZ_CHECK(n >= 2 && line[n - 1] == '\n' && memchr(line, '\n', n - 1) == NULL, "dump: not one line ending in a newline");
    dump_lines++;
}
static bool walk_stop_cb(void *user, idx s, idx n, xbitmap_kind kind)
{
    (void)user; (void)s; (void)n; (void)kind;
    return ++walk_calls < walk_after;
}

static void op_misuse(fuzz_in *in)
{
    unsigned kind = fuzz_u8(in), v = fuzz_u16(in), w = fuzz_u16(in);
    idx p = dec_index(v, w), n = dec_n(fuzz_u16(in));
    switch (kind % 7) {
    case 0: do_free(p, n); break;                                  /* whatever lies there */
    case 1: do_free(S.count - (idx)(v & 3), 1 + (idx)(w & 7)); break; /* past the end */
    case 2: do_free(p, 0); break;                                  /* zero units */
    case 3: do_alloc_run((kind & 8) ? 0 : S.count + 1 + (idx)(v & 0xFF), (idx)(w & 0xFF)); break;
    case 4: do_alloc_run(n, 3 + 2 * (idx)(w & 0x7F)); break;      /* alignment not a power of two */
    case 5: do_alloc_at((kind & 8) ? S.count + (idx)(v & 7) : p, (kind & 16) ? 0 : n + S.count); break;
    default: do_reserve((kind >> 3) & 1, p, (kind & 16) ? 0 : n); break; /* over anything */
    }
}

static void run_op(fuzz_in *in, unsigned op)
{
    while (S.nheld > MAXPIECES - 80) { /* room for a fill and splits */
        run h = held[op % S.nheld];
        do_free(h.s, h.e - h.s);
        settle();
    }
    switch (op) {
    case OP_ALLOC:
        do_alloc();
        break;
    case OP_ALLOC_RUN: case OP_ALLOC_RUN2: {
        unsigned v = fuzz_u16(in), a = fuzz_u8(in);
        do_alloc_run(dec_n(v), dec_align(a));
        break;
    }
    case OP_ALLOC_AT: {
        unsigned v = fuzz_u16(in), w = fuzz_u16(in);
        idx p = dec_index(v, w), n = dec_n(fuzz_u16(in));
        if (p >= S.count) p = S.count - 1;
        if (n > S.count - p) n = S.count - p;
        do_alloc_at(p, n);
        break;
    }
    case OP_FREE: { /* one held run, or several adjacent ones at once */
        unsigned k = fuzz_u16(in), m = fuzz_u8(in) % 4;
        size_t i, j;
        if (!S.nheld) break;
        i = k % S.nheld;
        for (j = i; m && j + 1 < S.nheld && held[j + 1].s == held[j].e; m--) j++;
        do_free(held[i].s, held[j].e - held[i].s);
        break;
    }
    case OP_FREE_PART: { /* part of a held run */
        unsigned k = fuzz_u16(in), v = fuzz_u16(in);
        run h;
        idx off, len;
        if (!S.nheld) break;
        h = held[k % S.nheld];
        off = (idx)(v & 0xFF) % (h.e - h.s);
        len = 1 + (idx)(v >> 8) % (h.e - h.s - off);
        do_free(h.s + off, len);
        break;
    }
    case OP_RESERVE: case OP_RELEASE: {
        unsigned v = fuzz_u16(in), w = fuzz_u16(in);
        idx p = dec_index(v, w), n = dec_n(fuzz_u16(in));
        if (p >= S.count) p = S.count - 1;
        if (n > S.count - p) n = S.count - p;
        if (op == OP_RELEASE && S.nres && !(w & 1)) { /* inside one reserved range: mostly valid */
            const run *r = &S.res[v % S.nres];
            p = r->s + (idx)w % (r->e - r->s);
            n = 1 + (idx)(w >> 3) % (r->e - p);
        }
        if (op == OP_RESERVE && (kinds_in(p, p + n) & 1) && !S.misuse) break; /* over allocated units: misuse */
        if (op == OP_RELEASE && kinds_in(p, p + n) != 2 && !S.misuse) break;
        do_reserve(op == OP_RESERVE, p, n);
        break;
    }
    case OP_STATE: {
        unsigned v = fuzz_u16(in), w = fuzz_u16(in);
        idx p = dec_index(v, w);
        FUZZ_CHECK(xbitmap_state(S.b, p) == model_state(p), "state differs from the model's");
        break;
    }
    case OP_WALK_STOP: {
        size_t total;
        walk_after = 1 + fuzz_u8(in) % 8;
        S.nwalk = 0;
        xbitmap_walk(S.b, walk_cb, &S);
        total = S.nwalk;
        walk_calls = 0;
        xbitmap_walk(S.b, walk_stop_cb, &S);
        FUZZ_CHECK(walk_calls == (total < walk_after ? total : walk_after), "walk did not stop when told");
        break;
    }
    case OP_DUMP:
        /* a dump reads every word once per block order: on a map of more
         * than 2^16 units, once an input (AFL++ saved three inputs of 15.8M
         * units that dumped for a second) */
        if (S.count > ((idx)1 << 16) && S.dumped) break;
        S.dumped = 1;
        dump_lines = 0;
        xbitmap_dump(S.b, dump_line, &S);
        FUZZ_CHECK(dump_lines >= 2, "dump printed too few lines");
        break;
    case OP_CHECK:
        check_all(FUZZ_ASK);
        break;
    case OP_MISUSE:
        if (S.misuse) op_misuse(in);
        else do_alloc();
        break;
    case OP_FILL: {
        unsigned v = fuzz_u16(in), a = fuzz_u8(in), k = 0;
        idx n = dec_n(v & 0x7FFF), align = dec_align(a);
        while (k++ < 64 && S.nheld < MAXPIECES - 8) {
            uint64_t before = S.failures;
            do_alloc_run(n, align);
            settle();
            if (S.failures != before) break;
        }
        break;
    }
    case OP_FREE_EVERY: {
        unsigned m = 2 + fuzz_u8(in) % 3;
        size_t i = fuzz_u8(in) % m;
        while (i < S.nheld) { run h = held[i]; do_free(h.s, h.e - h.s); settle(); i += m - 1; }
        break;
    }
    }
}

/* ---- set-up ------------------------------------------------------------------------- */
FUZZ_RUN(const uint8_t *data, size_t size)
{
    fuzz_in in = { data, size };
    xbitmap_desc desc;
    unsigned flags = fuzz_u8(&in);
    uint32_t cv = fuzz_u32(&in);
    unsigned mk = fuzz_u8(&in), seed = fuzz_u8(&in), intervals = fuzz_u8(&in);
    unsigned long nops = 0;
    uint64_t count;
    size_t need;

    S.b = NULL;
    S.nheld = S.nres = S.nruns = S.nwalk = 0;
    S.errs = S.exp_errs = 0;
    S.last_err = S.exp_code = XALLOC_OK;
    S.check_code = 0;
    S.dumped = 0;
    S.lock_depth = 0;
    S.allocs = S.frees = S.failures = 0;
    S.random_calls = S.random_expected = 0;
    S.rng = seed * 0x9E3779B9u + 7u;
    S.hooked = !(flags & 16);
    S.misuse = (flags & 1) && S.hooked;
    S.lock_mode = S.hooked ? (int)(flags >> 1 & 3) : 0;
    S.best = S.hooked && (flags & 8);
    S.random = S.hooked && (flags & 32);
    S.check_every = 1u << (2 * (intervals & 3));
    fuzz_op_index = 0;
    fuzz_op_name = "init";

    switch (cv >> 28) {
    case 10: case 11: case 12: count = (uint64_t)(cv & 0xFFFF) + 1; break;
    case 13: count = (uint64_t)(cv & 0xFFFFF) + 1; break;
    case 14: count = ((uint64_t)(cv & 0xFFFFFF) + 1) << (cv >> 24 & 3); break;
    case 15: count = (cv & 1) ? 0 : (uint64_t)XBITMAP_MAX_COUNT + 1 + (cv >> 8 & 0xFF); break;
    default: count = (uint64_t)(cv & 0xFFF) + 1; break;
    }
    /* keep the metadata in the buffer: halve the map until it fits (at
     * level 4, which checks all of it on every call, to 2^16 units) */
    while ((need = xbitmap_meta_size((idx)count)) > META_MAX - 16 && count > 1) count >>= 1;
    while (XALLOC_DEBUG >= 4 && count > 65536 && count <= (uint64_t)XBITMAP_MAX_COUNT) { count >>= 1; need = xbitmap_meta_size((idx)count); }
    if ((uint64_t)(idx)count != count) { count = 0; need = 0; } /* does not fit the index type: ask for 0 units */

    memset(&desc, 0, sizeof desc);
    desc.hooks.error = on_error;
    desc.hooks.user = &S;
    if (S.lock_mode == 1 || S.lock_mode == 2) desc.hooks.lock = on_lock;
    if (S.lock_mode == 1 || S.lock_mode == 3) desc.hooks.unlock = on_unlock;
    desc.policy = S.best ? XBITMAP_BEST_FIT : XBITMAP_FIRST_FIT;
    if (S.hooked && (flags & 128)) desc.policy = (xbitmap_policy)2;
    if (S.random) { desc.random = on_random; desc.random_user = &S.rng; }
    desc.start_used = S.hooked && (flags & 64);

    S.given = need ? need - ((mk & 8) ? 1 : 0) : 64;
    S.mem = meta_store + GUARD + (mk & 7);
    S.gbefore = S.mem - GUARD;
    S.gafter = S.mem + S.given;
    guard_set(S.gbefore, GUARD);
    guard_set(S.gafter, GUARD);
    fuzz_scribble(S.mem, S.given, seed);
    FUZZ_LONE_LOCK(xbitmap_init((mk & 16) ? NULL : S.mem, S.given, (idx)count, &desc), desc.hooks, expect_err(XALLOC_E_BADARG));
    S.b = xbitmap_init((mk & 16) ? NULL : S.mem, S.given, (idx)count, S.hooked ? &desc : NULL);
    FUZZ_LOG("init(%zu bytes, count %llu, %s%s%s) = %p\n", S.given, (unsigned long long)count, S.best ? "best fit" : "first fit",
             S.random ? ", random" : "", desc.start_used ? ", start used" : "", (void *)S.b);
    FUZZ_CHECK(guard_ok(S.gbefore, GUARD) && guard_ok(S.gafter, GUARD), "init wrote outside its metadata buffer");
    if (!need || (mk & 24) || (S.hooked && (flags & 128))) {
        FUZZ_CHECK(S.b == NULL, "init accepted a bad count, buffer or policy");
        expect_err(XALLOC_E_BADARG);
        settle();
        return 0;
    }
    FUZZ_CHECK(S.b != NULL, "init refused xbitmap_meta_size(count) bytes");
    FUZZ_CHECK((unsigned char *)S.b >= S.mem && (unsigned char *)S.b < S.mem + S.given, "map record outside the buffer");
    settle();
    S.count = (idx)count;
    if (desc.start_used) hold(0, S.count); /* every unit starts allocated */
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
    if (S.nheld || S.nres) fuzz_changes++;
    while (S.nheld) { run h = held[S.nheld - 1]; do_free(h.s, h.e - h.s); settle(); }
    while (S.nres) { run r = S.res[0]; do_reserve(0, r.s, r.e - r.s); settle(); }
    fuzz_op_name = "back to the first state";
    check_all(FUZZ_END); /* one free run of count units, as after init (without start_used) */
    FUZZ_CHECK(S.nruns == 1 && runs[0].kind == XBITMAP_FREE, "harness: units left");
    settle();
    return 0;
}
#endif /* FUZZ_VARIANT */
