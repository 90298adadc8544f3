/* test_bitmap.c - unit tests and a randomized stress of xalloc_bitmap.h.
 * Built and run at every XALLOC_DEBUG level by `make test` (misuse that
 * level 0 does not catch is tested at levels >= 1 only). Metadata buffers
 * are filled with random bytes before every init, and guard bytes around
 * them prove that nothing is written outside. A shadow map (one byte per
 * unit) computes every expected answer independently: first fit is checked
 * exactly, best fit for being a fit whenever one exists.
 * tests/test_bitmap32.c includes this file with 32-bit words. */
#define XALLOC_IMPLEMENTATION
#include "xalloc_bitmap.h"
#include "xtest.h"
#include <pthread.h>

typedef xbitmap_index idx;
#define NONE XBITMAP_NONE
#define W ((idx)XBITMAP_WORD_BITS)

/* ---- error hook: counts each kind --------------------------------------------- */
static int errs[XALLOC_E_COUNT];
static uintptr_t last_at;
static void on_error(void *user, xalloc_error e, uintptr_t at, const char *what)
{
    (void)user; (void)what;
    if ((unsigned)e < XALLOC_E_COUNT) errs[e]++;
    last_at = at;
}
static int total_errs(void) { int i, t = 0; for (i = 0; i < XALLOC_E_COUNT; i++) t += errs[i]; return t; }
static void clear_errs(void) { memset(errs, 0, sizeof errs); last_at = 0; }

/* ---- maps in guarded, scribbled buffers ---------------------------------------- */
#define GUARD 64
typedef struct fix {
    unsigned char *raw;  /* GUARD | meta (bytes) | GUARD */
    size_t bytes;
    xbitmap *b;
    idx count;
    unsigned char *sh;   /* shadow: 0 free, 1 used, 2 reserved */
} fix;

static void scribble(unsigned char *p, size_t n) { while (n--) *p++ = (unsigned char)xt_rand(); }

static bool guards_ok(const fix *f)
{
    size_t i;
    for (i = 0; i < GUARD; i++)
        if (f->raw[i] != (unsigned char)(0xA5 ^ i) || f->raw[GUARD + f->bytes + i] != (unsigned char)(0x5A ^ i)) return false;
    return true;
}

static bool make_desc(fix *f, idx count, const xbitmap_desc *d0, size_t offset)
{
    xbitmap_desc d;
    size_t i;
    memset(&d, 0, sizeof d);
    if (d0) d = *d0;
    if (!d.hooks.error) d.hooks.error = on_error;
    f->count = count;
    f->bytes = xbitmap_meta_size(count) + offset;
    f->raw = (unsigned char *)malloc(f->bytes + 2 * GUARD);
    f->sh = (unsigned char *)calloc(count ? count : 1, 1);
    if (!f->raw || !f->sh) { fprintf(stderr, "out of memory\n"); exit(2); }
    scribble(f->raw + GUARD, f->bytes);
    for (i = 0; i < GUARD; i++) {
        f->raw[i] = (unsigned char)(0xA5 ^ i);
        f->raw[GUARD + f->bytes + i] = (unsigned char)(0x5A ^ i);
    }
    clear_errs();
    f->b = xbitmap_init(f->raw + GUARD + offset, f->bytes - offset, count, &d);
    if (d.start_used) memset(f->sh, 1, count);
    return f->b != NULL;
}
static bool make(fix *f, idx count) { return make_desc(f, count, NULL, (size_t)(xt_rand() % 8)); }
static void unmake(fix *f) { free(f->raw); free(f->sh); f->raw = NULL; f->sh = NULL; f->b = NULL; }

/* ---- the shadow ------------------------------------------------------------------ */
static void sh_set(fix *f, idx p, idx n, unsigned char v) { memset(f->sh + p, v, (size_t)n); }
static bool sh_all(const fix *f, idx p, idx n, unsigned char v)
{
    idx i;
    for (i = 0; i < n; i++) if (f->sh[p + i] != v) return false;
    return true;
}
/* lowest p in [lo, hi), a multiple of a, with [p, p+n) free; NONE if none */
static idx sh_fit(const fix *f, idx n, idx a, idx lo, idx hi)
{
    idx p = (lo + a - 1) / a * a, u;
    while (p < hi && p + n <= f->count) {
        for (u = p; u < p + n && f->sh[u] == 0; u++) { }
        if (u == p + n) return p;
        p = (u + 1 + a - 1) / a * a;
    }
    return NONE;
}
/* the free run around a fit [p, p+n), measured as best fit does: at most
 * max(n, 64 W) units on each side */
static idx sh_runlen(const fix *f, idx p, idx n)
{
    idx ext = n > 64 * W ? n : 64 * W, l = 0, r = 0;
    while (l < ext && l < p && f->sh[p - l - 1] == 0) l++;
    while (r < ext && p + n + r < f->count && f->sh[p + n + r] == 0) r++;
    return l + n + r;
}
static idx sh_count(const fix *f, unsigned char v) { idx i, n = 0; for (i = 0; i < f->count; i++) n += f->sh[i] == v; return n; }
static idx sh_runs(const fix *f, unsigned char v, idx *largest)
{
    idx i, n = 0, run = 0, big = 0;
    for (i = 0; i < f->count; i++) {
        if (f->sh[i] == v) { if (!run++) n++; if (run > big) big = run; }
        else run = 0;
    }
    if (largest) *largest = big;
    return n;
}

/* walk reproduces the shadow, runs maximal and in order */
typedef struct walkst { const fix *f; idx next; int bad; unsigned char last; } walkst;
static bool walk_cmp(void *user, idx start, idx n, xbitmap_kind kind)
{
    walkst *w = (walkst *)user;
    idx i;
    if (start != w->next || n == 0 || (unsigned)kind > 2 || (w->next && (unsigned char)kind == w->last && kind != XBITMAP_RESERVED)) w->bad++;
    for (i = 0; i < n && start + i < w->f->count; i++) if (w->f->sh[start + i] != (unsigned char)kind) { w->bad++; break; }
    w->next = start + n;
    w->last = (unsigned char)kind;
    return true;
}

/* everything the map says agrees with the shadow */
static bool agrees(const fix *f)
{
    xbitmap_stats st;
    walkst w;
    idx largest, runs = sh_runs(f, 0, &largest);
    const char *why = xbitmap_check(f->b);
    bool ok = true;
    if (why) { fprintf(stderr, "check: %s\n", why); ok = false; }
    xbitmap_stats_get(f->b, &st);
    if (st.total != f->count || st.free != sh_count(f, 0) || st.used != sh_count(f, 1) || st.reserved != sh_count(f, 2) ||
        st.free_runs != runs || st.largest_free != largest || st.reserved_ranges != sh_runs(f, 2, NULL)) {
        fprintf(stderr, "stats: free %llu/%llu used %llu/%llu reserved %llu/%llu runs %llu/%llu largest %llu/%llu\n",
                (unsigned long long)st.free, (unsigned long long)sh_count(f, 0), (unsigned long long)st.used,
                (unsigned long long)sh_count(f, 1), (unsigned long long)st.reserved, (unsigned long long)sh_count(f, 2),
                (unsigned long long)st.free_runs, (unsigned long long)runs, (unsigned long long)st.largest_free,
                (unsigned long long)largest);
        ok = false;
    }
    memset(&w, 0, sizeof w);
    w.f = f;
    xbitmap_walk(f->b, walk_cmp, &w);
    if (w.bad || w.next != f->count) { fprintf(stderr, "walk differs from the shadow (%d)\n", w.bad); ok = false; }
    if (!guards_ok(f)) { fprintf(stderr, "write outside the metadata buffer\n"); ok = false; }
    return ok;
}

/* ---- set-up ------------------------------------------------------------------------ */
static void test_meta_size_and_init_errors(void)
{
    xbitmap_desc d;
    unsigned char buf[4096];
    idx counts[] = { 1, 2, 63, 64, 65, 1000, 4096, 100000 };
    size_t i, off;
    memset(&d, 0, sizeof d);
    d.hooks.error = on_error;
    XT_CHECK(xbitmap_meta_size(0) == 0);
    {   /* every count up to the maximum: either a size that holds at least
         * the unit bits, or 0 when that much metadata exceeds the address
         * space (64-bit words on a 32-bit target: from 2^35 units) */
        unsigned k;
        for (k = 0; k < sizeof(xbitmap_index) * 8 && ((xbitmap_index)1 << k) <= XBITMAP_MAX_COUNT; k++) {
            xbitmap_index c = (xbitmap_index)1 << k;
            size_t m = xbitmap_meta_size(c);
            if (m) XT_CHECK_MSG((xbitmap_index)m >= c / 8, "2^%u units: %zu bytes", k, m);
            else XT_CHECK_MSG(c / 8 >= (xbitmap_index)(SIZE_MAX / 2), "2^%u units: no size given", k);
            if (c / 8 > (xbitmap_index)SIZE_MAX) XT_CHECK_MSG(m == 0, "2^%u units: %zu bytes on a %zu-bit size_t", k, m, sizeof(size_t) * 8);
        }
    }
    XT_CHECK(xbitmap_meta_size(XBITMAP_MAX_COUNT) > 0 || XBITMAP_WORD_BITS == 64); /* 2^56 overflows no size_t maths */
    if (XBITMAP_MAX_COUNT < NONE) XT_CHECK(xbitmap_meta_size(XBITMAP_MAX_COUNT + 1) == 0);
    XT_CHECK(xbitmap_meta_size(NONE) == (XBITMAP_MAX_COUNT == NONE ? xbitmap_meta_size(NONE) : 0));
    clear_errs();
    XT_CHECK(xbitmap_init(NULL, 4096, 10, &d) == NULL);
    XT_CHECK(errs[XALLOC_E_BADARG] == 1);
    XT_CHECK(xbitmap_init(buf, sizeof buf, 0, &d) == NULL);
    XT_CHECK(errs[XALLOC_E_BADARG] == 2);
    if (XBITMAP_MAX_COUNT < NONE) {
        XT_CHECK(xbitmap_init(buf, sizeof buf, XBITMAP_MAX_COUNT + 1, &d) == NULL);
        XT_CHECK(errs[XALLOC_E_BADARG] == 3);
    }
    d.policy = (xbitmap_policy)7;
    clear_errs();
    XT_CHECK(xbitmap_init(buf, sizeof buf, 10, &d) == NULL);
    XT_CHECK(errs[XALLOC_E_BADARG] == 1);
    XT_CHECK(xbitmap_init(buf, sizeof buf, 10, NULL) != NULL); /* NULL desc: defaults */
    /* meta_size grows with count and is enough at any alignment; one byte
     * less is refused */
    for (i = 0; i < sizeof counts / sizeof *counts; i++) {
        size_t need = xbitmap_meta_size(counts[i]);
        XT_CHECK(need >= counts[i] / 8);
        if (i) XT_CHECK(need >= xbitmap_meta_size(counts[i - 1]));
        for (off = 0; off < 8; off++) {
            fix f;
            XT_CHECK(make_desc(&f, counts[i], NULL, off));
            if (f.b) {
                XT_CHECK(agrees(&f));
                XT_CHECK(xbitmap_alloc_run(f.b, counts[i], 1) == 0);
                sh_set(&f, 0, counts[i], 1);
                XT_CHECK(agrees(&f));
            }
            clear_errs();
            XT_CHECK(xbitmap_init(f.raw + GUARD + off, f.bytes - off - 1, counts[i], &d) == NULL);
            XT_CHECK(errs[XALLOC_E_BADARG] == 1);
            unmake(&f);
        }
    }
}

/* counts 1, 63, 64, 65 and some around summary boundaries: fill with single
 * units (first fit gives 0, 1, 2, ...), fail when full, free in random
 * order, then the whole map as one run */
static void test_small_counts(void)
{
    idx counts[] = { 1, 2, 3, 31, 32, 33, 63, 64, 65, 127, 128, 129, 4095, 4096, 4097, 64 * 64 * 2 + 5 };
    size_t c;
    for (c = 0; c < sizeof counts / sizeof *counts; c++) {
        idx n = counts[c], i, *order;
        fix f;
        xbitmap_stats st;
        if (!make(&f, n)) { XT_CHECK(0); continue; }
        XT_CHECK(agrees(&f));
        for (i = 0; i < n; i++) {
            idx p = xbitmap_alloc(f.b);
            XT_CHECK_MSG(p == i, "count %llu: unit %llu got %llu", (unsigned long long)n, (unsigned long long)i, (unsigned long long)p);
            if (p < n) f.sh[p] = 1;
        }
        XT_CHECK(xbitmap_alloc(f.b) == NONE);
        XT_CHECK(xbitmap_alloc_run(f.b, 1, 1) == NONE);
        xbitmap_stats_get(f.b, &st);
        XT_CHECK(st.failures == 2 && st.free == 0 && st.used == n && st.largest_free == 0 && st.free_runs == 0);
        XT_CHECK(agrees(&f));
        order = (idx *)malloc(sizeof *order * (size_t)n);
        for (i = 0; i < n; i++) order[i] = i;
        for (i = n; i > 1; i--) { idx j = xt_below(i), t = order[i - 1]; order[i - 1] = order[j]; order[j] = t; }
        for (i = 0; i < n; i++) {
            XT_CHECK(xbitmap_free(f.b, order[i], 1));
            f.sh[order[i]] = 0;
            if (i % 97 == 0 || n - i < 3) XT_CHECK(agrees(&f));
        }
        free(order);
        XT_CHECK(total_errs() == 0);
        XT_CHECK(xbitmap_alloc_run(f.b, n, 1) == 0);
        XT_CHECK(xbitmap_alloc_run(f.b, 1, 1) == NONE);
        XT_CHECK(xbitmap_free(f.b, 0, n));
        XT_CHECK(agrees(&f));
        unmake(&f);
    }
}

/* every power-of-two alignment up to (and past) the map size, on an empty map,
 * with unit 0 taken, and with a pattern of holes; first fit must match the
 * shadow exactly */
static void test_alignments(void)
{
    idx counts[] = { 1, 63, 64, 65, 1000, 4096, 5000 };
    size_t c;
    for (c = 0; c < sizeof counts / sizeof *counts; c++) {
        idx n = counts[c], a, len;
        fix f;
        if (XALLOC_DEBUG >= 4 && xt_slow() && n > 1000) continue; /* a full check per call: 20 s under qemu */
        if (!make(&f, n)) { XT_CHECK(0); continue; }
        for (a = 1; a <= 4 * n; a *= 2)
            for (len = 1; len <= n; len = len < 8 ? len + 1 : len * 3 - 1) {
                int round;
                for (round = 0; round < 3; round++) {
                    idx want, got;
                    if (round == 1) { XT_CHECK(xbitmap_alloc_at(f.b, 0, 1)); sh_set(&f, 0, 1, 1); }
                    if (round == 2 && n > 10) { /* holes: every third unit of the first half used */
                        idx u;
                        for (u = 3; u < n / 2; u += 3) { XT_CHECK(xbitmap_alloc_at(f.b, u, 1)); f.sh[u] = 1; }
                    }
                    want = sh_fit(&f, len, a, 0, n);
                    got = xbitmap_alloc_run(f.b, len, a);
                    XT_CHECK_MSG(got == want, "count %llu len %llu align %llu round %d: got %llu want %llu",
                                 (unsigned long long)n, (unsigned long long)len, (unsigned long long)a, round,
                                 (unsigned long long)got, (unsigned long long)want);
                    if (got != NONE) { XT_CHECK(xbitmap_free(f.b, got, len)); }
                }
                /* back to empty */
                {
                    idx u;
                    for (u = 0; u < n; u++) if (f.sh[u]) { XT_CHECK(xbitmap_free(f.b, u, 1)); f.sh[u] = 0; }
                }
            }
        XT_CHECK(agrees(&f));
        XT_CHECK(total_errs() == 0);
        unmake(&f);
    }
}

/* runs that start and end on each side of word, summary-word and block
 * boundaries, allocated with alloc_at, freed, and found again by alloc_run */
static void test_runs_cross_boundaries(void)
{
    idx n = W * W * 3 + 17, bounds[] = { W, 2 * W, W * W, 2 * W * W, 512, 1024, 4096 };
    idx lens[] = { 1, 2, W - 1, W, W + 1, 2 * W + 3, W * W - 1, W * W + 1, 700 };
    size_t bi, li;
    int d;
    fix f;
    if (!make(&f, n)) { XT_CHECK(0); return; }
    for (bi = 0; bi < sizeof bounds / sizeof *bounds; bi++)
        for (li = 0; li < sizeof lens / sizeof *lens; li++)
            for (d = 0; d <= 6; d++) { /* the run crosses the boundary, its middle within 3 units of it */
                idx len = lens[li], p;
                if (bounds[bi] + (idx)d < len / 2 + 3) continue;
                p = bounds[bi] + (idx)d - 3 - len / 2;
                if (p + len > n) continue;
                XT_CHECK(xbitmap_alloc_at(f.b, p, len));
                sh_set(&f, p, len, 1);
                XT_CHECK(!xbitmap_alloc_at(f.b, p + len - 1, 1)); /* taken */
                if ((bi + li + (size_t)d) % 11 == 0) XT_CHECK(agrees(&f));
                /* the hole it left below is found by first fit */
                XT_CHECK(xbitmap_alloc_run(f.b, len, 1) == sh_fit(&f, len, 1, 0, n));
                {
                    idx q = sh_fit(&f, len, 1, 0, n);
                    if (q != NONE) sh_set(&f, q, len, 1);
                    XT_CHECK(agrees(&f));
                    if (q != NONE) { XT_CHECK(xbitmap_free(f.b, q, len)); sh_set(&f, q, len, 0); }
                }
                XT_CHECK(xbitmap_free(f.b, p, len));
                sh_set(&f, p, len, 0);
            }
    XT_CHECK(agrees(&f));
    XT_CHECK(total_errs() == 0);
    unmake(&f);
}

/* reserved ranges at both ends and in the middle: never handed out, freeing
 * them is XALLOC_E_RESERVED, releasing makes them free again */
static void test_reserved(void)
{
    idx n = 5000, p, got = 0;
    fix f;
    xbitmap_stats st;
    if (!make(&f, n)) { XT_CHECK(0); return; }
    XT_CHECK(xbitmap_reserve(f.b, 0, 10));
    XT_CHECK(xbitmap_reserve(f.b, n - 10, 10));
    XT_CHECK(xbitmap_reserve(f.b, 2000, 1000));
    XT_CHECK(xbitmap_reserve(f.b, 2500, 600)); /* overlaps and extends: merges */
    sh_set(&f, 0, 10, 2);
    sh_set(&f, n - 10, 10, 2);
    sh_set(&f, 2000, 1100, 2);
    XT_CHECK(agrees(&f));
    xbitmap_stats_get(f.b, &st);
    XT_CHECK(st.reserved == 1120 && st.reserved_ranges == 3);
    XT_CHECK(xbitmap_state(f.b, 0) == XBITMAP_RESERVED && xbitmap_state(f.b, 10) == XBITMAP_FREE &&
             xbitmap_state(f.b, n - 1) == XBITMAP_RESERVED && xbitmap_state(f.b, n) == XBITMAP_OUTSIDE &&
             xbitmap_state(f.b, 3099) == XBITMAP_RESERVED && xbitmap_state(f.b, 3100) == XBITMAP_FREE);
    while ((p = xbitmap_alloc(f.b)) != NONE) {
        XT_CHECK(f.sh[p] == 0);
        f.sh[p] = 1;
        got++;
    }
    XT_CHECK(got == n - 1120);
    XT_CHECK(agrees(&f));
    XT_CHECK(xbitmap_alloc_run(f.b, 1, 1) == NONE);
    XT_CHECK(!xbitmap_alloc_at(f.b, 0, 1));
#if XALLOC_DEBUG >= 1
    clear_errs();
    XT_CHECK(!xbitmap_free(f.b, 0, 1));
    XT_CHECK(errs[XALLOC_E_RESERVED] == 1 && last_at == 0);
    XT_CHECK(!xbitmap_free(f.b, n - 20, 20)); /* ends in a reserved range */
    XT_CHECK(errs[XALLOC_E_RESERVED] == 2 && last_at == n - 10);
    XT_CHECK(!xbitmap_free(f.b, 1990, 20));
    XT_CHECK(errs[XALLOC_E_RESERVED] == 3 && last_at == 2000);
    XT_CHECK(total_errs() == 3);
    XT_CHECK(agrees(&f));
#endif
    /* releasing the middle of a range splits it; reserving allocated units fails */
    clear_errs();
    XT_CHECK(xbitmap_release(f.b, 2100, 100));
    sh_set(&f, 2100, 100, 0);
    XT_CHECK(agrees(&f));
    XT_CHECK(xbitmap_reserve(f.b, 2050, 100)); /* reserved, then free units: merges */
    sh_set(&f, 2100, 50, 2);
    XT_CHECK(total_errs() == 0);
    XT_CHECK(agrees(&f));
    XT_CHECK(!xbitmap_reserve(f.b, 20, 5)); /* allocated units */
    XT_CHECK(errs[XALLOC_E_BADARG] == 1 && last_at == 20);
    XT_CHECK(!xbitmap_release(f.b, 10, 1)); /* not reserved */
    XT_CHECK(errs[XALLOC_E_BADARG] == 2 && last_at == 10);
    XT_CHECK(!xbitmap_release(f.b, 5, 10)); /* partly reserved: the first unit that is not */
    XT_CHECK(errs[XALLOC_E_BADARG] == 3 && last_at == 10);
    XT_CHECK(!xbitmap_release(f.b, n - 5, 10)); /* past the end */
    XT_CHECK(errs[XALLOC_E_FOREIGN] == 1);
    XT_CHECK(agrees(&f));
    XT_CHECK(xbitmap_release(f.b, 0, 10));
    XT_CHECK(xbitmap_release(f.b, n - 10, 10));
    sh_set(&f, 0, 10, 0);
    sh_set(&f, n - 10, 10, 0);
    XT_CHECK(agrees(&f));
    XT_CHECK(xbitmap_alloc(f.b) == 0); /* the hint came down */
    f.sh[0] = 1;
    XT_CHECK(sh_fit(&f, 10, 1, 0, n) == 2150); /* 1..9 is one short */
    XT_CHECK(xbitmap_alloc_run(f.b, 10, 1) == 2150);
    sh_set(&f, 2150, 10, 1);
    XT_CHECK(agrees(&f));
    unmake(&f);
}

/* the range table: adjacent ranges merge, a full table refuses a new range
 * and a split, and nothing changes when it does */
static void test_reserved_table_full(void)
{
    idx n = 10000, k;
    fix f;
    if (!make(&f, n)) { XT_CHECK(0); return; }
    XT_CHECK(xbitmap_reserve(f.b, 100, 10));
    XT_CHECK(xbitmap_reserve(f.b, 110, 10)); /* touches: one range */
    XT_CHECK(xbitmap_reserve(f.b, 90, 10));
    sh_set(&f, 90, 30, 2);
    XT_CHECK(agrees(&f));
    for (k = 1; k < XBITMAP_MAX_RESERVED; k++) {
        XT_CHECK(xbitmap_reserve(f.b, 200 + 20 * k, 5));
        sh_set(&f, 200 + 20 * k, 5, 2);
    }
    XT_CHECK(agrees(&f));
    clear_errs();
    XT_CHECK(!xbitmap_reserve(f.b, 9000, 5));
    XT_CHECK(errs[XALLOC_E_BADARG] == 1);
    XT_CHECK(!xbitmap_release(f.b, 95, 5)); /* would split */
    XT_CHECK(errs[XALLOC_E_BADARG] == 2);
    XT_CHECK(agrees(&f));
    XT_CHECK(xbitmap_reserve(f.b, 120, 100)); /* joins [90,120) and [220,225): one fewer */
    sh_set(&f, 120, 100, 2);
    XT_CHECK(agrees(&f));
    XT_CHECK(xbitmap_reserve(f.b, 9000, 5));
    sh_set(&f, 9000, 5, 2);
    XT_CHECK(xbitmap_release(f.b, 90, 135)); /* the whole merged range */
    sh_set(&f, 90, 135, 0);
    XT_CHECK(agrees(&f));
    unmake(&f);
}

/* every misuse is reported and changes nothing */
static void test_misuse(void)
{
    idx n = 1000, p;
    fix f;
    unsigned char *snap;
    xbitmap_stats before, after;
    if (!make(&f, n)) { XT_CHECK(0); return; }
    p = xbitmap_alloc_run(f.b, 100, 1);
    XT_CHECK(p == 0);
    sh_set(&f, 0, 100, 1);
    XT_CHECK(xbitmap_reserve(f.b, 500, 10));
    sh_set(&f, 500, 10, 2);
    XT_CHECK(xbitmap_alloc_run(f.b, 1, (idx)1 << (XBITMAP_WORD_BITS - 1)) == NONE); /* a valid but huge alignment: only 0, taken */
    xbitmap_stats_get(f.b, &before); /* (it may measure the run tree's stale leaves: a write) */
    snap = (unsigned char *)malloc(f.bytes);
    memcpy(snap, f.raw + GUARD, f.bytes);
    clear_errs();
    XT_CHECK(xbitmap_alloc_run(f.b, 0, 1) == NONE);
    XT_CHECK(errs[XALLOC_E_BADARG] == 1);
    XT_CHECK(xbitmap_alloc_run(f.b, 3, 3) == NONE);
    XT_CHECK(errs[XALLOC_E_BADARG] == 2);
    XT_CHECK(xbitmap_alloc_run(f.b, n + 1, 1) == NONE);
    XT_CHECK(xbitmap_alloc_run(f.b, NONE, 1) == NONE);
    XT_CHECK(xbitmap_alloc_run(f.b, NONE - 1, 1) == NONE);
    XT_CHECK(errs[XALLOC_E_BADARG] == 5);
    XT_CHECK(!xbitmap_alloc_at(f.b, 10, 0));
    XT_CHECK(errs[XALLOC_E_BADARG] == 6);
    XT_CHECK(!xbitmap_alloc_at(f.b, n, 1));
    XT_CHECK(!xbitmap_alloc_at(f.b, n - 1, 2));
    XT_CHECK(!xbitmap_alloc_at(f.b, 1, NONE));
    XT_CHECK(errs[XALLOC_E_FOREIGN] == 3);
    XT_CHECK(!xbitmap_free(f.b, 0, 0));
    XT_CHECK(errs[XALLOC_E_BADARG] == 7);
    XT_CHECK(!xbitmap_free(f.b, n, 1));
    XT_CHECK(errs[XALLOC_E_FOREIGN] == 4 && last_at == n);
    XT_CHECK(!xbitmap_free(f.b, NONE, 1));
    XT_CHECK(!xbitmap_free(f.b, 50, NONE));
    XT_CHECK(!xbitmap_free(f.b, 50, NONE - 40));
    XT_CHECK(errs[XALLOC_E_FOREIGN] == 7);
    XT_CHECK(!xbitmap_reserve(f.b, n - 1, 2));
    XT_CHECK(!xbitmap_reserve(f.b, 3, 0));
    XT_CHECK(!xbitmap_release(f.b, n, 1));
    XT_CHECK(errs[XALLOC_E_FOREIGN] == 9 && errs[XALLOC_E_BADARG] == 8);
#if XALLOC_DEBUG >= 1
    XT_CHECK(!xbitmap_free(f.b, 100, 1)); /* free unit */
    XT_CHECK(errs[XALLOC_E_DOUBLE_FREE] == 1 && last_at == 100);
    XT_CHECK(!xbitmap_free(f.b, 90, 20)); /* the tail is free: nothing of it is freed */
    XT_CHECK(errs[XALLOC_E_DOUBLE_FREE] == 2 && last_at == 100);
    XT_CHECK(!xbitmap_free(f.b, 490, 15)); /* free units, then reserved: reserved first */
    XT_CHECK(errs[XALLOC_E_RESERVED] == 1 && last_at == 500);
    XT_CHECK(!xbitmap_free(f.b, 505, 1));
    XT_CHECK(errs[XALLOC_E_RESERVED] == 2 && last_at == 505);
#endif
    XT_CHECK(memcmp(snap, f.raw + GUARD, f.bytes) == 0); /* not one byte changed */
    xbitmap_stats_get(f.b, &after);
    XT_CHECK(after.free == before.free && after.free_runs == before.free_runs && after.allocs == before.allocs &&
             after.frees == before.frees);
    XT_CHECK(agrees(&f));
    /* a double free after a real free */
    XT_CHECK(xbitmap_free(f.b, 10, 5));
    sh_set(&f, 10, 5, 0);
#if XALLOC_DEBUG >= 1
    clear_errs();
    XT_CHECK(!xbitmap_free(f.b, 10, 5));
    XT_CHECK(!xbitmap_free(f.b, 14, 1));
    XT_CHECK(errs[XALLOC_E_DOUBLE_FREE] == 2 && total_errs() == 2);
#endif
    XT_CHECK(agrees(&f));
    free(snap);
    unmake(&f);
}

/* start_used: a kernel frees what the memory map says is usable */
static void test_start_used(void)
{
    xbitmap_desc d;
    fix f;
    xbitmap_stats st;
    idx n = 100000;
    memset(&d, 0, sizeof d);
    d.start_used = true;
    if (!make_desc(&f, n, &d, 3)) { XT_CHECK(0); return; }
    XT_CHECK(agrees(&f));
    XT_CHECK(xbitmap_alloc(f.b) == NONE);
    XT_CHECK(xbitmap_free(f.b, 256, 20000));
    XT_CHECK(xbitmap_free(f.b, 40000, 50000));
    sh_set(&f, 256, 20000, 0);
    sh_set(&f, 40000, 50000, 0);
    XT_CHECK(agrees(&f));
    XT_CHECK(xbitmap_alloc(f.b) == 256);
    f.sh[256] = 1;
    XT_CHECK(xbitmap_alloc_run(f.b, 32768, 32768) == NONE); /* 32768.. and 65536.. are not all free */
    XT_CHECK(sh_fit(&f, 16384, 16384, 0, n) == 49152);
    XT_CHECK(xbitmap_alloc_run(f.b, 16384, 16384) == 49152);
    sh_set(&f, 49152, 16384, 1);
    xbitmap_stats_get(f.b, &st);
    XT_CHECK(st.free == 20000 - 1 + 50000 - 16384 && st.free_runs == 3 && st.failures == 2);
    XT_CHECK(agrees(&f));
    unmake(&f);
}

/* desc.random: the search starts where the random bits say and wraps */
static idx rnd_value;
static int rnd_calls;
static idx rnd(void *user) { (void)user; rnd_calls++; return rnd_value; }
static void test_random_start(void)
{
    xbitmap_desc d;
    fix f;
    idx n = 1000, p, i;
    memset(&d, 0, sizeof d);
    d.random = rnd;
    if (!make_desc(&f, n, &d, 0)) { XT_CHECK(0); return; }
    rnd_calls = 0;
    rnd_value = 700;
    XT_CHECK(xbitmap_alloc(f.b) == 700);
    rnd_value = 700 + 1024; /* masked to 10 bits: 700 again, taken: 701 */
    XT_CHECK(xbitmap_alloc(f.b) == 701);
    rnd_value = 1023; /* >= count: 1023 - 1000 = 23 */
    XT_CHECK(xbitmap_alloc(f.b) == 23);
    rnd_value = 990;
    XT_CHECK(xbitmap_alloc_run(f.b, 20, 4) == 0); /* nothing at 990..: wraps */
    rnd_value = 22; /* 22 free, 23 taken: 24..26 */
    XT_CHECK(xbitmap_alloc_run(f.b, 3, 1) == 24);
    XT_CHECK(rnd_calls == 5);
    sh_set(&f, 700, 2, 1);
    f.sh[23] = 1;
    sh_set(&f, 0, 20, 1);
    sh_set(&f, 24, 3, 1);
    XT_CHECK(agrees(&f));
    /* fill the map from random starts: every unit once */
    for (i = 0; i < n; i++) {
        rnd_value = xt_rand();
        p = xbitmap_alloc(f.b);
        if (p == NONE) break;
        XT_CHECK(p < n && f.sh[p] == 0);
        if (p < n) f.sh[p] = 1;
    }
    XT_CHECK(sh_count(&f, 0) == 0 && xbitmap_alloc(f.b) == NONE);
    XT_CHECK(agrees(&f));
    unmake(&f);
}

/* best fit takes the hole, first fit the first free area */
static void test_best_fit(void)
{
    xbitmap_desc d;
    fix f;
    idx n = 8192;
    memset(&d, 0, sizeof d);
    d.policy = XBITMAP_BEST_FIT;
    if (!make_desc(&f, n, &d, 0)) { XT_CHECK(0); return; }
    /* used 0..999; free 1000..1999 (a wide area); used 2000..2999 with a
     * hole of 8 at 2500; the rest free */
    XT_CHECK(xbitmap_alloc_at(f.b, 0, 1000));
    XT_CHECK(xbitmap_alloc_at(f.b, 2000, 500));
    XT_CHECK(xbitmap_alloc_at(f.b, 2508, 492));
    sh_set(&f, 0, 1000, 1);
    sh_set(&f, 2000, 500, 1);
    sh_set(&f, 2508, 492, 1);
    XT_CHECK(agrees(&f));
    XT_CHECK(xbitmap_alloc_run(f.b, 8, 4) == 2500);
    sh_set(&f, 2500, 8, 1);
    XT_CHECK(xbitmap_alloc_run(f.b, 5, 1) == 1000); /* no hole left: the first area */
    sh_set(&f, 1000, 5, 1);
    XT_CHECK(xbitmap_alloc_run(f.b, 3, 1) == 1005); /* 3000.. is a longer run */
    sh_set(&f, 1005, 3, 1);
    XT_CHECK(agrees(&f));
    unmake(&f);
    /* the same with first fit */
    if (!make(&f, n)) { XT_CHECK(0); return; }
    XT_CHECK(xbitmap_alloc_at(f.b, 0, 1000) && xbitmap_alloc_at(f.b, 2000, 500) && xbitmap_alloc_at(f.b, 2508, 492));
    XT_CHECK(xbitmap_alloc_run(f.b, 8, 4) == 1000);
    unmake(&f);
}

/* the hint: first fit is first fit from 0 after any frees */
static void test_hint(void)
{
    fix f;
    idx n = 3000, i;
    if (!make(&f, n)) { XT_CHECK(0); return; }
    for (i = 0; i < 2000; i++) XT_CHECK(xbitmap_alloc(f.b) == i);
    XT_CHECK(xbitmap_free(f.b, 1500, 1));
    XT_CHECK(xbitmap_free(f.b, 700, 3));
    XT_CHECK(xbitmap_alloc(f.b) == 700);
    XT_CHECK(xbitmap_alloc_run(f.b, 2, 2) == 2000); /* 701 is odd, 703 and 1501 are used */
    XT_CHECK(xbitmap_alloc(f.b) == 701);
    XT_CHECK(xbitmap_alloc(f.b) == 702);
    XT_CHECK(xbitmap_alloc(f.b) == 1500);
    XT_CHECK(xbitmap_alloc(f.b) == 2002);
    unmake(&f);
}

/* maps with four and five summary levels, almost all used: every search has
 * to climb to the top of a tower and come down far away. Scattered free
 * units and free aligned windows must come back in index order (first
 * fit), then from random starts (the first at or after the start, wrapping) */
static int cmp_idx(const void *a, const void *b) { idx x = *(const idx *)a, y = *(const idx *)b; return x < y ? -1 : x > y; }
static void test_deep_towers(void)
{
    idx counts[] = { W * W * W * 4 + 7, W * W * W * W + W * 3 + 1 }, k;
    size_t c;
    xbitmap_desc d;
    for (c = 0; c < sizeof counts / sizeof *counts; c++) {
        idx n = counts[c], units[300], wins[40], i, got;
        size_t nu = 0, nw = 0, round;
        if (XALLOC_DEBUG >= 4 && n > 2000000) continue; /* a full check per call */
        for (round = 0; round < 2; round++) {
            fix f;
            memset(&d, 0, sizeof d);
            d.start_used = true;
            if (round) d.random = rnd;
            if (!make_desc(&f, n, &d, 0)) { XT_CHECK(0); return; }
            nu = nw = 0;
            while (nw < sizeof wins / sizeof *wins) { /* free 512-windows far apart */
                idx w = xt_below(n / 512) * 512;
                if (f.sh[w] == 1 && w + 512 <= n) { XT_CHECK(xbitmap_free(f.b, w, 512)); sh_set(&f, w, 512, 0); wins[nw++] = w; }
            }
            while (nu < sizeof units / sizeof *units) { /* and single units, not next to anything free */
                idx u = 1 + xt_below(n - 2);
                if (f.sh[u - 1] == 1 && f.sh[u] == 1 && f.sh[u + 1] == 1) { XT_CHECK(xbitmap_free(f.b, u, 1)); f.sh[u] = 0; units[nu++] = u; }
            }
            qsort(wins, nw, sizeof *wins, cmp_idx);
            qsort(units, nu, sizeof *units, cmp_idx);
            XT_CHECK(agrees(&f));
            if (!round) {
                for (k = 0; k < nw; k++) XT_CHECK_MSG((got = xbitmap_alloc_run(f.b, 512, 512)) == wins[k], "count %llu window %llu: %llu, want %llu",
                                                       (unsigned long long)n, (unsigned long long)k, (unsigned long long)got, (unsigned long long)wins[k]);
                XT_CHECK(xbitmap_alloc_run(f.b, 512, 512) == NONE);
                XT_CHECK(xbitmap_alloc_run(f.b, 2, 1) == NONE); /* the units are apart */
                for (k = 0; k < nu; k++) XT_CHECK_MSG((got = xbitmap_alloc(f.b)) == units[k], "count %llu unit %llu: %llu, want %llu",
                                                       (unsigned long long)n, (unsigned long long)k, (unsigned long long)got, (unsigned long long)units[k]);
                XT_CHECK(xbitmap_alloc(f.b) == NONE);
                for (k = 0; k < nw; k++) sh_set(&f, wins[k], 512, 1);
                for (k = 0; k < nu; k++) f.sh[units[k]] = 1;
            } else {
                for (i = 0; i < 100; i++) { /* random starts: the first free unit at or after it */
                    idx mask = (idx)~(idx)0 >> (XBITMAP_WORD_BITS - 1 - (unsigned)(63 - __builtin_clzll((unsigned long long)n - 1))), s, want;
                    rnd_value = xt_rand();
                    s = rnd_value & mask;
                    if (s >= n) s -= n;
                    want = sh_fit(&f, 1, 1, s, n);
                    if (want == NONE) want = sh_fit(&f, 1, 1, 0, s);
                    got = xbitmap_alloc(f.b);
                    XT_CHECK_MSG(got == want, "random start %llu: %llu, want %llu", (unsigned long long)s, (unsigned long long)got,
                                 (unsigned long long)want);
                    if (got < n) f.sh[got] = 1;
                }
            }
            XT_CHECK(agrees(&f));
            unmake(&f);
        }
    }
}

/* ---- hooks -------------------------------------------------------------------------- */
static int locks, unlocks, depth, max_depth;
static void lock_fn(void *u) { (void)u; locks++; if (++depth > max_depth) max_depth = depth; }
static void unlock_fn(void *u) { (void)u; unlocks++; depth--; }
static bool stop_after_one(void *user, idx s, idx n, xbitmap_kind k) { (void)s; (void)n; (void)k; ++*(int *)user; return false; }
static void print_line(void *user, const char *line) { strncat((char *)user, line, 4000 - strlen((char *)user)); }

/* One unit freed and allocated at every position of a word, in many
 * patterns of the units around it (aligned blocks of one order, free or
 * used, with some units flipped): the one-unit paths update only the
 * per-word order of the free aligned block around the unit, and the
 * check says whether that was enough. A fixed "random" start makes
 * xbitmap_alloc take the unit asked for, whatever lies below it. */
static idx start_at;
static idx fixed_start(void *user) { (void)user; return start_at; }
static void set_unit(fix *f, idx u, unsigned char v)
{
    if (f->sh[u] == v) return;
    XT_CHECK(v ? xbitmap_alloc_at(f->b, u, 1) : xbitmap_free(f->b, u, 1));
    f->sh[u] = v;
}
static void test_one_unit_every_position(void)
{
    fix f;
    xbitmap_desc d;
    idx count = 4 * W, u, q;
    int pat;
    memset(&d, 0, sizeof d);
    d.random = fixed_start;
    XT_CHECK(make_desc(&f, count, &d, 0));
    if (!f.b) return;
    for (pat = 0; pat < 200; pat++) {
        idx bs = (idx)1 << (xt_rand() % 8);
        unsigned flips = (unsigned)(xt_rand() % 4);
        for (q = 0; q < count; q += bs) {
            unsigned char v = (unsigned char)(xt_rand() % 2);
            for (u = q; u < q + bs && u < count; u++) set_unit(&f, u, v ^ (unsigned char)(flips && xt_rand() % 16 < flips));
        }
        for (u = W; u < 2 * W; u++) {
            unsigned char v = f.sh[u];
            if (v) {
                XT_CHECK(xbitmap_free(f.b, u, 1));
                f.sh[u] = 0;
            }
            XT_CHECK(agrees(&f));
            start_at = u;
            XT_CHECK(xbitmap_alloc(f.b) == u);
            f.sh[u] = 1;
            XT_CHECK(agrees(&f));
            if (!v) {
                XT_CHECK(xbitmap_free(f.b, u, 1));
                f.sh[u] = 0;
                XT_CHECK(agrees(&f));
            }
        }
    }
    unmake(&f);
}

static void test_lock_hooks_walk_dump(void)
{
    xbitmap_desc d;
    fix f;
    xbitmap_stats st;
    char out[4096];
    int calls = 0;
    memset(&d, 0, sizeof d);
    d.hooks.lock = lock_fn;
    d.hooks.unlock = unlock_fn;
    locks = unlocks = depth = max_depth = 0;
    if (!make_desc(&f, 4096, &d, 0)) { XT_CHECK(0); return; }
    XT_CHECK(xbitmap_alloc(f.b) == 0);
    XT_CHECK(xbitmap_alloc_run(f.b, 512, 512) == 512);
    XT_CHECK(xbitmap_alloc_at(f.b, 100, 10));
    XT_CHECK(xbitmap_reserve(f.b, 4000, 96));
    XT_CHECK(xbitmap_free(f.b, 512, 512));
    XT_CHECK(xbitmap_state(f.b, 0) == XBITMAP_USED);
    xbitmap_stats_get(f.b, &st);
    XT_CHECK(xbitmap_check(f.b) == NULL);
    xbitmap_walk(f.b, stop_after_one, &calls);
    out[0] = 0;
    xbitmap_dump(f.b, print_line, out);
    XT_CHECK(xbitmap_release(f.b, 4000, 96));
    XT_CHECK(locks == 11 && unlocks == 11 && max_depth == 1 && depth == 0);
    XT_CHECK(calls == 1);
    XT_CHECK(strstr(out, "units 4096, free 3989") != NULL);
    XT_CHECK(strstr(out, "reserved 4000..4095 (96 units)") != NULL);
    XT_CHECK(strstr(out, "order 9 (512 units): 6 free aligned blocks") != NULL); /* 512..1023, 1024..3583 */
    XT_CHECK(strstr(out, "free runs 2, largest 3890") != NULL);
    if (!strstr(out, "largest 3890")) fputs(out, stderr);
    unmake(&f);
    /* a lone lock or unlock hook: refused at level 1 and up (nothing
     * written), ignored at level 0 (neither is called) */
    {
        static uint64_t meta[1024];
        int k;
        d.hooks.error = on_error;
        for (k = 0; k < 2; k++) {
            xbitmap *b;
            d.hooks.lock = k ? NULL : lock_fn;
            d.hooks.unlock = k ? unlock_fn : NULL;
            locks = unlocks = 0;
            clear_errs();
            memset(meta, 0xA5, sizeof meta);
            b = xbitmap_init(meta, sizeof meta, 1000, &d);
            if (XALLOC_DEBUG >= 1) {
                XT_CHECK(b == NULL && xt_first_not(meta, sizeof meta, 0xA5) == sizeof meta && errs[XALLOC_E_BADARG] == 1 && total_errs() == 1);
            } else {
                XT_CHECK(b != NULL && xbitmap_alloc(b) == 0 && xbitmap_free(b, 0, 1));
                XT_CHECK(locks == 0 && unlocks == 0 && total_errs() == 0);
            }
        }
    }
}

/* ---- edges, quiet misuse, and the check's every message ------------------------------- */
/* Init refuses bad arguments without a desc or a hook; misuse on a quiet map
 * changes nothing; a release where nothing is reserved is refused. */
static void test_quiet_and_release_edges(void)
{
    xbitmap_desc quiet;
    fix f;
    idx n = 1000;
    memset(&quiet, 0, sizeof quiet);
    XT_CHECK(xbitmap_init(NULL, 4096, 10, NULL) == NULL);
    XT_CHECK(xbitmap_init(NULL, 4096, 10, &quiet) == NULL);
    if (!make(&f, n)) { XT_CHECK(0); return; }
    clear_errs();
    XT_CHECK(!xbitmap_release(f.b, 10, 5));            /* no range at all */
    XT_CHECK(errs[XALLOC_E_BADARG] == 1 && last_at == 10);
    XT_CHECK(xbitmap_reserve(f.b, 100, 10));
    XT_CHECK(!xbitmap_release(f.b, 200, 5));           /* past every range */
    XT_CHECK(errs[XALLOC_E_BADARG] == 2 && last_at == 200);
    sh_set(&f, 100, 10, 2);
    XT_CHECK(agrees(&f));
    f.b->hooks.error = NULL;                           /* (white-box) the same map, quiet */
    XT_CHECK(!xbitmap_free(f.b, n, 1));
    XT_CHECK(xbitmap_alloc_run(f.b, 3, 3) == NONE);
    XT_CHECK(!xbitmap_release(f.b, 300, 1));
    XT_CHECK(total_errs() == 2 && agrees(&f));
    unmake(&f);
}

/* White-box: each invariant of xbitmap_check, broken by hand in the record,
 * the bits or a summary, is named (and reported); put back, the map checks
 * clean. A count that leaves a partial word at the end of the bits and of
 * the first block order's summary. */
static bool names(const fix *f, const char *want)
{
    const char *why;
    bool ok;
    clear_errs();
    why = xbitmap_check(f->b);
    ok = why && !strcmp(why, want) && errs[XALLOC_E_CORRUPT] == 1 && total_errs() == 1;
    if (!ok) fprintf(stderr, "check said \"%s\", expected \"%s\"\n", why ? why : "(nothing)", want);
    clear_errs();
    return ok;
}
#define BREAK_NAMES(lv, v, want) do { idx saved_ = (idx)(lv); (lv) = (v); XT_CHECK(names(&f, want)); (lv) = saved_; } while (0)
static void test_check_names_each_invariant(void)
{
    const idx n = 5 * W * W + 3 * W + 1;
    fix f;
    xbitmap *b;
    xbitmap__tower *t, *blk;
    xbitmap__word *top;
    unsigned nlev;
    if (!make(&f, n)) { XT_CHECK(0); return; }
    b = f.b;
    XT_CHECK(xbitmap_alloc_run(b, 3 * W, 1) == 0);
    XT_CHECK(xbitmap_reserve(b, 4 * W, 2 * W));
    XT_CHECK(xbitmap_reserve(b, 8 * W, W));
    XT_CHECK(xbitmap_alloc_run(b, 5, 1) == 3 * W);
    XT_CHECK(xbitmap_check(b) == NULL);
    /* the record */
    BREAK_NAMES(b->omax, b->omax + 1, "map record damaged");
    BREAK_NAMES(b->nwords, b->nwords + 1, "map record damaged");
    BREAK_NAMES(b->bits[b->nwords - 1], b->bits[b->nwords - 1] | XBITMAP__BIT(n), "free bit past the end");
    BREAK_NAMES(b->nranges, XBITMAP_MAX_RESERVED + 1, "reserved range count wrong");
    BREAK_NAMES(b->ranges[0].end, b->ranges[0].start, "reserved range out of bounds");
    BREAK_NAMES(b->ranges[1].end, n + 1, "reserved range out of bounds");
    BREAK_NAMES(b->ranges[1].start, b->ranges[0].end, "reserved ranges unsorted or touching");
    BREAK_NAMES(b->bits[4], b->bits[4] | 1u, "reserved unit free");
    BREAK_NAMES(b->nres, b->nres + 1, "reserved count wrong");
    BREAK_NAMES(b->nfree, n + 1, "counts exceed the map");
    BREAK_NAMES(b->nfree, n - b->nres + 1, "counts exceed the map");
    BREAK_NAMES(b->nfree, b->nfree - 1, "free count wrong");
    BREAK_NAMES(b->nruns, b->nruns + 1, "free run count wrong");
    BREAK_NAMES(b->hint, n + 1, "hint past the end");
    BREAK_NAMES(b->hint, 3 * W + 6, "free unit below the hint");
    /* the summaries: a per-word order, a block order, a level above, the
     * padding after a level, bits past a level's end, the top */
    t = &b->tw[0];
    blk = &b->tw[XBITMAP__LW + 1];
    XT_CHECK(blk->n0 & XBITMAP__M);     /* a partial last word */
    BREAK_NAMES(XBITMAP__L0(t, 0), XBITMAP__L0(t, 0) ^ 1u, "word summary wrong");
    BREAK_NAMES(blk->base[0], blk->base[0] ^ XBITMAP__BIT(blk->n0 - 1), "block summary wrong");
    BREAK_NAMES(t->up[0], t->up[0] ^ 1u, "summary level wrong");
    BREAK_NAMES(XBITMAP__L0(t, XBITMAP__NW(t->n0)), 1u, "summary bit past the end");
    BREAK_NAMES(blk->base[blk->n0 >> XBITMAP__LW], blk->base[blk->n0 >> XBITMAP__LW] | XBITMAP__BIT(blk->n0),
                "summary bit past the end");
    /* the records the searches follow, each field of a tower record; the
     * check stops there and reads no word through a damaged one */
    top = t->top;
    t->top = t->base;
    XT_CHECK(names(&f, "summary tower record damaged"));
    t->top = top;
    nlev = t->nlev;
    XT_CHECK(nlev >= 2);
    t->nlev = 1;
    XT_CHECK(names(&f, "summary tower record damaged"));
    t->nlev = nlev;
    BREAK_NAMES(blk->n0, blk->n0 + 1, "summary tower record damaged");
    BREAK_NAMES(blk->sh, 3u, "summary tower record damaged");
    {
        xbitmap__word *saved = blk->base;
        blk->base = (xbitmap__word *)(uintptr_t)1; /* never read */
        XT_CHECK(names(&f, "summary tower record damaged"));
        blk->base = saved;
        saved = b->tw[0].up;            /* (level 1 of order 0: searches read it) */
        b->tw[0].up = saved + 1;
        XT_CHECK(names(&f, "summary tower record damaged"));
        b->tw[0].up = saved;
        saved = b->bits;
        b->bits = saved + 8;
        XT_CHECK(names(&f, "map record damaged"));
        b->bits = saved;
    }
    {
        xbitmap__tower *tw = b->tw;
        b->tw = tw + 1;
        XT_CHECK(names(&f, "map record damaged"));
        b->tw = tw;
    }
    BREAK_NAMES(b->count, b->count * 1024, "map record damaged"); /* a count the buffer cannot hold */
    BREAK_NAMES(b->count, b->count + 1, "map record damaged");    /* one that keeps the layout */
    BREAK_NAMES(b->count, 0, "map record damaged");
    BREAK_NAMES(b->pw, b->pw - 1, "map record damaged");
    /* the run tree: its record, a leaf (chunk 1 is all free: exact CS), the
     * last, partial chunk (3W + 1 units), a node */
    BREAK_NAMES(b->nch, b->nch + 1, "map record damaged");
    {
        xbitmap__word *saved = b->rt;
        b->rt = saved - 1;
        XT_CHECK(names(&f, "map record damaged"));
        b->rt = saved;
    }
#if XBITMAP_RUN_TREE
    XT_CHECK(b->nch == 6 && XBITMAP__LEAF(b, 1) == XBITMAP__CS && XBITMAP__LEAF(b, 5) == 3 * W + 1);
    BREAK_NAMES(XBITMAP__LEAF(b, 1), XBITMAP__CS - 1, "run tree leaf wrong");       /* below a free run */
    BREAK_NAMES(XBITMAP__LEAF(b, 1), XBITMAP__CS + 1, "run tree leaf wrong");       /* more than a chunk */
    BREAK_NAMES(XBITMAP__LEAF(b, 5), 3 * W + 2, "run tree leaf wrong");             /* not stale, not exact */
    XBITMAP__LEAF(b, 5) = (3 * W + 2) | XBITMAP__STALE;                             /* stale: an upper bound is right */
    XT_CHECK(xbitmap_check(b) == NULL);
    XBITMAP__LEAF(b, 5) = 3 * W + 1;
    BREAK_NAMES(b->rt[2], 0, "run tree node below its halves");          /* level 1, node 0: max */
    BREAK_NAMES(b->rt[1], 0, "run tree node below its halves");          /* its suf */
    BREAK_NAMES(b->rt[3 * 3 + 1], 0, "run tree node below its halves");  /* level 2, node 0: suf */
#endif
    XT_CHECK(xbitmap_check(b) == NULL);
    sh_set(&f, 0, 3 * W + 5, 1);
    sh_set(&f, 4 * W, 2 * W, 2);
    sh_set(&f, 8 * W, W, 2);
    XT_CHECK(agrees(&f));
    unmake(&f);
}

/* Level 4: every call runs the full check first and does nothing when it
 * fails (reported as XALLOC_E_CORRUPT). */
static void test_full_check_every_call(void)
{
#if XALLOC_DEBUG >= 4
    fix f;
    int calls = 0;
    if (!make(&f, 1000)) { XT_CHECK(0); return; }
    XT_CHECK(xbitmap_alloc_run(f.b, 10, 1) == 0);
    f.b->nruns++;                       /* (white-box) a damaged count */
    clear_errs();
    XT_CHECK(xbitmap_alloc(f.b) == NONE);
    XT_CHECK(xbitmap_alloc_run(f.b, 4, 4) == NONE);
    XT_CHECK(!xbitmap_alloc_at(f.b, 100, 1));
    XT_CHECK(!xbitmap_free(f.b, 0, 10));
    XT_CHECK(!xbitmap_reserve(f.b, 500, 10));
    XT_CHECK(!xbitmap_release(f.b, 500, 10));
    xbitmap_walk(f.b, stop_after_one, &calls);
    XT_CHECK(calls == 0 && errs[XALLOC_E_CORRUPT] == 7 && total_errs() == 7);
    f.b->nruns--;
    XT_CHECK(xbitmap_free(f.b, 0, 10) && xbitmap_check(f.b) == NULL);
    unmake(&f);
#endif
}

/* two threads through the prelude's spinlock */
static xbitmap *shared;
static void *thread_body(void *arg)
{
    idx mine[64];
    int i, r, *bad = (int *)arg;
    for (r = 0; r < 2000; r++) {
        for (i = 0; i < 64; i++) if ((mine[i] = xbitmap_alloc(shared)) == NONE) ++*bad;
        for (i = 0; i < 64; i++) if (mine[i] != NONE && !xbitmap_free(shared, mine[i], 1)) ++*bad;
        if (XALLOC_DEBUG >= 4 && r >= 20) break;
    }
    return NULL;
}
static void test_threads_spinlock(void)
{
    static xalloc_spinlock lock;
    xbitmap_desc d;
    fix f;
    pthread_t t1, t2;
    int bad1 = 0, bad2 = 0;
    xbitmap_stats st;
    memset(&d, 0, sizeof d);
    d.hooks.lock = xalloc_spin_lock;
    d.hooks.unlock = xalloc_spin_unlock;
    d.hooks.user = &lock;
    if (!make_desc(&f, 1000, &d, 0)) { XT_CHECK(0); return; }
    shared = f.b;
    pthread_create(&t1, NULL, thread_body, &bad1);
    pthread_create(&t2, NULL, thread_body, &bad2);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    xbitmap_stats_get(f.b, &st);
    XT_CHECK(bad1 == 0 && bad2 == 0);
    XT_CHECK(st.free == 1000 && st.allocs == st.frees && st.free_runs == 1);
    XT_CHECK(agrees(&f));
    unmake(&f);
}

/* ---- the randomized stress ---------------------------------------------------------- */
typedef struct live { idx p, n; } live;

static idx rand_len(idx count)
{
    idx r = xt_below(100), n;
    n = r < 40 ? 1 : r < 70 ? 1 + xt_below(8) : r < 90 ? 1 + xt_below(80) : 1 + xt_below(count / 4 + 1);
    return n;
}

/* One stress run: nops operations on a map of `count` units against the
 * shadow; the full check every `every` operations and at the end. */
static void stress(idx count, long nops, long every, xbitmap_policy policy, bool random)
{
    xbitmap_desc d;
    fix f;
    live *lv;
    size_t nlive = 0, cap = (size_t)count + 1;
    long op;
    idx reserved_ops = 0, fits = 0, misses = 0;
    memset(&d, 0, sizeof d);
    d.policy = policy;
    if (random) d.random = rnd;
    if (!make_desc(&f, count, &d, (size_t)xt_below(8))) { XT_CHECK(0); return; }
    lv = (live *)malloc(cap * sizeof *lv);
    for (op = 0; op < nops; op++) {
        unsigned kind = (unsigned)xt_below(100);
        idx p, n, a, s, want;
        int e0 = total_errs();
        rnd_value = xt_rand();
        s = 0;
        if (random) { /* the documented start: bits masked to cover count, folded */
            idx mask = count > 1 ? (idx)~(idx)0 >> (XBITMAP_WORD_BITS - 1 - (unsigned)(63 - __builtin_clzll((unsigned long long)count - 1))) : 0;
            s = rnd_value & mask;
            if (s >= count) s -= count;
        }
        if (kind < 30) { /* one unit */
            p = xbitmap_alloc(f.b);
            want = sh_fit(&f, 1, 1, s, count);
            if (want == NONE && s) want = sh_fit(&f, 1, 1, 0, s);
            XT_CHECK_MSG(p == want, "op %ld: alloc got %llu want %llu", op, (unsigned long long)p, (unsigned long long)want);
            if (p != NONE && p < count) { f.sh[p] = 1; lv[nlive].p = p; lv[nlive++].n = 1; }
        } else if (kind < 55) { /* a run */
            n = rand_len(count);
            a = (idx)1 << xt_below(kind < 45 ? 4 : 12);
            p = xbitmap_alloc_run(f.b, n, a);
            want = sh_fit(&f, n, a, s, count);
            if (want == NONE && s) want = sh_fit(&f, n, a, 0, s);
            if (policy == XBITMAP_FIRST_FIT) {
                XT_CHECK_MSG(p == want, "op %ld: alloc_run(%llu, %llu) got %llu want %llu", op, (unsigned long long)n,
                             (unsigned long long)a, (unsigned long long)p, (unsigned long long)want);
            } else { /* a fit whenever one exists, in a run no longer than first fit's */
                XT_CHECK_MSG((p == NONE) == (want == NONE), "op %ld: best fit %llu, a fit at %llu", op, (unsigned long long)p,
                             (unsigned long long)want);
                if (p != NONE && want != NONE && p % a == 0 && p + n <= count && sh_all(&f, p, n, 0))
                    XT_CHECK_MSG(sh_runlen(&f, p, n) <= sh_runlen(&f, want, n), "op %ld: best fit %llu in a longer run than %llu",
                                 op, (unsigned long long)p, (unsigned long long)want);
            }
            if (p != NONE) {
                XT_CHECK(p % a == 0 && p + n <= count && sh_all(&f, p, n, 0));
                if (p % a == 0 && p + n <= count && sh_all(&f, p, n, 0)) { sh_set(&f, p, n, 1); lv[nlive].p = p; lv[nlive++].n = n; }
                fits++;
            } else {
                misses++;
            }
        } else if (kind < 62) { /* at a fixed index */
            n = rand_len(count);
            p = xt_below(count);
            if (n > count - p) n = count - p;
            want = sh_all(&f, p, n, 0);
            XT_CHECK(xbitmap_alloc_at(f.b, p, n) == (bool)want);
            if (want) { sh_set(&f, p, n, 1); lv[nlive].p = p; lv[nlive++].n = n; }
        } else if (kind < 88) { /* free a live allocation, or part of one */
            size_t j;
            if (!nlive) continue;
            j = (size_t)xt_below(nlive);
            p = lv[j].p;
            n = lv[j].n;
            if (n > 1 && xt_below(4) == 0) { /* the tail half only */
                idx keep = n / 2;
                XT_CHECK(xbitmap_free(f.b, p + keep, n - keep));
                sh_set(&f, p + keep, n - keep, 0);
                lv[j].n = keep;
            } else {
                XT_CHECK(xbitmap_free(f.b, p, n));
                sh_set(&f, p, n, 0);
                lv[j] = lv[--nlive];
            }
        } else if (kind < 93) { /* misuse: a free of a range holding a free or reserved unit */
#if XALLOC_DEBUG >= 1
            idx u, firstfree = NONE, firstres = NONE;
            xbitmap_stats b0, b1;
            p = xt_below(count);
            n = 1 + xt_below(count - p < 200 ? count - p : 200);
            for (u = p; u < p + n; u++) {
                if (f.sh[u] == 0 && firstfree == NONE) firstfree = u;
                if (f.sh[u] == 2 && firstres == NONE) firstres = u;
            }
            if (firstfree == NONE && firstres == NONE) continue;
            xbitmap_stats_get(f.b, &b0);
            clear_errs();
            XT_CHECK(!xbitmap_free(f.b, p, n));
            if (firstres != NONE) XT_CHECK(errs[XALLOC_E_RESERVED] == 1 && last_at == firstres);
            else XT_CHECK(errs[XALLOC_E_DOUBLE_FREE] == 1 && last_at == firstfree);
            XT_CHECK(total_errs() == 1);
            xbitmap_stats_get(f.b, &b1);
            XT_CHECK(b0.free == b1.free && b0.free_runs == b1.free_runs && b0.frees == b1.frees);
            clear_errs();
            e0 = 0;
#endif
        } else if (kind < 97) { /* reserve */
            idx u, runs_after = 0;
            bool ok = true;
            p = xt_below(count);
            n = 1 + xt_below(count - p < 64 ? count - p : 64);
            for (u = p; u < p + n; u++) if (f.sh[u] == 1) ok = false;
            if (ok) { /* ranges after merging */
                for (u = 0; u < count; u++)
                    if ((f.sh[u] == 2 || (u >= p && u < p + n)) && (u == 0 || !(f.sh[u - 1] == 2 || (u - 1 >= p && u - 1 < p + n)))) runs_after++;
                ok = runs_after <= XBITMAP_MAX_RESERVED;
            }
            clear_errs();
            XT_CHECK(xbitmap_reserve(f.b, p, n) == ok);
            XT_CHECK(total_errs() == !ok);
            if (ok) { sh_set(&f, p, n, 2); reserved_ops++; }
            clear_errs();
            e0 = 0;
        } else { /* release part of a reserved range */
            idx u, rs, re, nr = sh_runs(&f, 2, NULL);
            bool split;
            if (!nr) continue;
            u = xt_below(count);
            while (u < count && f.sh[u] != 2) u++;
            if (u == count) continue;
            for (rs = u; rs > 0 && f.sh[rs - 1] == 2; rs--) { }
            for (re = u; re < count && f.sh[re] == 2; re++) { }
            p = rs + xt_below(re - rs);
            n = 1 + xt_below(re - p);
            split = p > rs && p + n < re;
            clear_errs();
            XT_CHECK(xbitmap_release(f.b, p, n) == !(split && nr == XBITMAP_MAX_RESERVED));
            if (!(split && nr == XBITMAP_MAX_RESERVED)) sh_set(&f, p, n, 0);
            clear_errs();
            e0 = 0;
        }
        XT_CHECK_MSG(total_errs() == e0, "op %ld: unexpected error report", op);
        if (op % every == every - 1 && !agrees(&f)) {
            XT_CHECK_MSG(0, "op %ld: map and shadow disagree (count %llu, seed %llu)", op, (unsigned long long)count,
                         (unsigned long long)xt_seed);
            break;
        }
        /* empty the map now and then, so that it does not stay full */
        if (xt_below(20000) == 0) {
            while (nlive) { nlive--; XT_CHECK(xbitmap_free(f.b, lv[nlive].p, lv[nlive].n)); sh_set(&f, lv[nlive].p, lv[nlive].n, 0); }
        }
    }
    XT_CHECK(agrees(&f));
    XT_CHECK(fits > 0);
    /* a miss needs a map about full: a short run (level 4 under qemu or
     * valgrind does 250 operations) on a large map may never get there */
    if (nops >= 2000 || count < 4096) XT_CHECK(misses > 0);
    XT_CHECK(reserved_ops > 0);
    while (nlive) { nlive--; XT_CHECK(xbitmap_free(f.b, lv[nlive].p, lv[nlive].n)); sh_set(&f, lv[nlive].p, lv[nlive].n, 0); }
    XT_CHECK(agrees(&f));
    free(lv);
    unmake(&f);
}

/* The run tree: on a map of 37 chunks (six levels), single units churn
 * (they leave leaves stale and nodes above them loose), and between them
 * searches one unit longer than the longest free run fail, searches of
 * exactly that length succeed at a run that long, and the stats' largest
 * run stays the shadow's. Seeded (xt_seed). */
static void test_run_tree_searches(void)
{
    const idx count = 37 * W * W + W / 2 + 3;
    fix f;
    idx i, largest, p, *live;
    size_t nlive = 0, cap = (size_t)count;
    long round, rounds = XALLOC_DEBUG >= 4 ? 20 : xt_slow() ? 60 : 400;
    if (!make(&f, count)) { XT_CHECK(0); return; }
    live = (idx *)malloc(cap * sizeof *live);
    if (!live) { XT_CHECK(0); unmake(&f); return; }
    for (i = 0; i < count; i += 1 + xt_below(3)) { /* about two thirds used, in short runs */
        idx n = 1 + xt_below(40);
        if (n > count - i) n = count - i;
        XT_CHECK(xbitmap_alloc_at(f.b, i, n));
        sh_set(&f, i, n, 1);
        i += n;
    }
    for (round = 0; round < rounds; round++) {
        long k, churn = 1 + (long)xt_below(200);
        xbitmap_stats st;
        for (k = 0; k < churn; k++) {
            if (nlive && xt_below(2)) {
                size_t j = (size_t)xt_below(nlive);
                XT_CHECK(xbitmap_free(f.b, live[j], 1));
                sh_set(&f, live[j], 1, 0);
                live[j] = live[--nlive];
            } else if (nlive < cap && (p = xbitmap_alloc(f.b)) != NONE) {
                XT_CHECK(f.sh[p] == 0);
                sh_set(&f, p, 1, 1);
                live[nlive++] = p;
            }
        }
        (void)sh_runs(&f, 0, &largest);
        if (xt_below(2)) { /* a failing search first, before stats measure anything */
            XT_CHECK(xbitmap_alloc_run(f.b, largest + 1, 1) == NONE);
            XT_CHECK(xbitmap_alloc_run(f.b, largest + 1 + xt_below(3 * W), 1) == NONE);
        }
        xbitmap_stats_get(f.b, &st);
        XT_CHECK_MSG(st.largest_free == largest, "round %ld: largest %llu, shadow %llu (seed %llu)", round,
                     (unsigned long long)st.largest_free, (unsigned long long)largest, (unsigned long long)xt_seed);
        XT_CHECK(xbitmap_alloc_run(f.b, largest + 1, 1) == NONE);
        if (largest && xt_below(4) == 0) {
            p = xbitmap_alloc_run(f.b, largest, 1);
            XT_CHECK(p != NONE && sh_all(&f, p, largest, 0));
            if (p != NONE) {
                XT_CHECK(xbitmap_free(f.b, p, largest));
            }
        }
        if (round % 16 == 0) XT_CHECK(xbitmap_check(f.b) == NULL);
    }
    XT_CHECK(agrees(&f));
    free(live);
    unmake(&f);
}

static long scaled(long n) { return (XALLOC_DEBUG >= 4 ? n / 8 : n) / (xt_slow() ? 10 : 1); }

static void test_stress_first_fit(void)     { stress(4099, scaled(600000), 2000, XBITMAP_FIRST_FIT, false); }
static void test_stress_first_fit_odd(void) { stress(W * W + W / 2 + 1, scaled(200000), 1000, XBITMAP_FIRST_FIT, false); }
static void test_stress_random_start(void)  { stress(2000, scaled(150000), 1000, XBITMAP_FIRST_FIT, true); }
static void test_stress_best_fit(void)      { stress(3000, scaled(150000), 1000, XBITMAP_BEST_FIT, false); }
static void test_stress_best_fit_random(void) { stress(777, scaled(50000), 500, XBITMAP_BEST_FIT, true); }
static void test_stress_large(void)         { stress(W * W * W + 3 * W + 5, scaled(20000), 5000, XBITMAP_FIRST_FIT, false); }

/* ---- 2^32 + 3 units (64-bit words and a 64-bit host only) ----------------------------- */
static void test_huge_map(void)
{
#if XBITMAP_WORD_BITS == 64 && UINTPTR_MAX > 0xFFFFFFFFu
    idx n = ((idx)1 << 32) + 3;
    size_t need = xbitmap_meta_size(n);
    unsigned char *mem;
    xbitmap *b;
    xbitmap_desc d;
    xbitmap_stats st;
    if (XALLOC_DEBUG >= 4) { printf("%s: 2^32+3 test skipped at level 4 (a full check per call)\n", xt_prog); return; }
    if (xt_slow()) { /* a minute under qemu; the host's runs cover it (the words are native-endian) */
        printf("%s: 2^32+3 test skipped in slow mode (XTEST_SLOW)\n", xt_prog);
        return;
    }
    mem = (unsigned char *)malloc(need);
    XT_CHECK(need > n / 8 && need < n / 8 + n / 32);
    if (!mem) { XT_CHECK_MSG(0, "no %zu bytes for the 2^32+3 test", need); return; }
    memset(&d, 0, sizeof d);
    d.hooks.error = on_error;
    clear_errs();
    b = xbitmap_init(mem, need, n, &d);
    XT_CHECK(b != NULL);
    if (!b) { free(mem); return; }
    XT_CHECK(xbitmap_alloc(b) == 0);
    XT_CHECK(xbitmap_alloc_at(b, n - 1, 1));
    XT_CHECK(xbitmap_alloc_at(b, ((idx)1 << 32) - 5, 7)); /* across 2^32 */
    XT_CHECK(xbitmap_state(b, ((idx)1 << 32) + 1) == XBITMAP_USED && xbitmap_state(b, ((idx)1 << 32) - 6) == XBITMAP_FREE);
    /* both 2^31-blocks are broken (units 0 and 2^32-5), the third is cut off */
    XT_CHECK(xbitmap_alloc_run(b, (idx)1 << 31, (idx)1 << 31) == NONE);
    XT_CHECK(xbitmap_alloc_run(b, (idx)1 << 30, (idx)1 << 30) == (idx)1 << 30);
    XT_CHECK(xbitmap_alloc_run(b, 3, 1) == 1);
    XT_CHECK(xbitmap_alloc_run(b, 5000, 1) == 4);
    XT_CHECK(xbitmap_free(b, 4, 5000));
    XT_CHECK(xbitmap_reserve(b, ((idx)1 << 32) - 10, 3));
    XT_CHECK(xbitmap_free(b, n - 1, 1));
#if XALLOC_DEBUG >= 1
    XT_CHECK(!xbitmap_free(b, n - 1, 1) && errs[XALLOC_E_DOUBLE_FREE] == 1 && last_at == n - 1);
    XT_CHECK(!xbitmap_free(b, ((idx)1 << 32) - 9, 1) && errs[XALLOC_E_RESERVED] == 1);
#endif
    XT_CHECK(!xbitmap_free(b, n, 1) && errs[XALLOC_E_FOREIGN] == 1);
    XT_CHECK(xbitmap_alloc_run(b, (idx)1 << 33, 1) == NONE && errs[XALLOC_E_BADARG] == 1);
    XT_CHECK(xbitmap_alloc_run(b, (idx)1 << 31, (idx)1 << 31) == NONE); /* fails in O(L) */
    xbitmap_stats_get(b, &st);
    XT_CHECK(st.total == n && st.reserved == 3 && st.free_runs == 4 && st.largest_free == ((idx)1 << 31) - 10);
    XT_CHECK(st.free == n - 4 - ((idx)1 << 30) - 7 - 3);
    XT_CHECK(xbitmap_check(b) == NULL);
    free(mem);
#else
    printf("%s: 2^32+3 test needs 64-bit words and pointers: skipped\n", xt_prog);
#endif
}

int main(int argc, char **argv)
{
    XT_INIT(argc, argv);
    XT_RUN(test_meta_size_and_init_errors);
    XT_RUN(test_small_counts);
    XT_RUN(test_alignments);
    XT_RUN(test_runs_cross_boundaries);
    XT_RUN(test_reserved);
    XT_RUN(test_reserved_table_full);
    XT_RUN(test_misuse);
    XT_RUN(test_start_used);
    XT_RUN(test_random_start);
    XT_RUN(test_best_fit);
    XT_RUN(test_hint);
    XT_RUN(test_deep_towers);
    XT_RUN(test_one_unit_every_position);
    XT_RUN(test_lock_hooks_walk_dump);
    XT_RUN(test_threads_spinlock);
    XT_RUN(test_quiet_and_release_edges);
    XT_RUN(test_check_names_each_invariant);
    XT_RUN(test_full_check_every_call);
    XT_RUN(test_stress_first_fit);
    XT_RUN(test_stress_first_fit_odd);
    XT_RUN(test_stress_random_start);
    XT_RUN(test_stress_best_fit);
    XT_RUN(test_stress_best_fit_random);
    XT_RUN(test_stress_large);
    XT_RUN(test_run_tree_searches);
    XT_RUN(test_huge_map);
    return XT_DONE();
}
