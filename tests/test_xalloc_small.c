/* test_xalloc_small.c - the heap (xalloc.h) in its smallest configuration,
 * the one `make size` measures in its "small" row: XALLOC_QUICK 0 (no quick
 * lists) and XALLOC_NO_INTROSPECTION (no check, walk, dump or trace hook).
 * test_xalloc.c leans on xalloc_check and xalloc_walk throughout, so this
 * build gets its own tests, which see the heap only through what remains:
 * the allocation calls, stats, max_alloc, and the error and lock hooks.
 * (At XALLOC_DEBUG 4, which runs xalloc_check on every call, the
 * introspection stays in and only the quick lists go.) */
#define XALLOC_QUICK 0
#if !defined(XALLOC_DEBUG) || XALLOC_DEBUG < 4
#define XALLOC_NO_INTROSPECTION
#endif
#define XALLOC_IMPLEMENTATION
#include "xalloc.h"
#include "xtest.h"

#define G ((size_t)XALLOC_ALIGNMENT)
enum { ARENA = 256 * 1024 };
static unsigned char arena[ARENA + 64] __attribute__((aligned(64)));

static int errs[XALLOC_E_COUNT], locks, unlocks;
static void on_error(void *user, xalloc_error e, uintptr_t p, const char *what)
{
    (void)user; (void)p; (void)what;
    errs[e]++;
}
static void lk(void *u) { (void)u; locks++; }
static void ulk(void *u) { (void)u; unlocks++; }

static xalloc_heap *make(size_t size, size_t offset)
{
    xalloc_desc d;
    memset(&d, 0, sizeof d);
    d.hooks.error = on_error;
    d.hooks.lock = lk;
    d.hooks.unlock = ulk;
    memset(errs, 0, sizeof errs);
    return xalloc_init(arena + offset, size, &d);
}

static void fill(unsigned char *p, size_t n, unsigned seed) { size_t i; for (i = 0; i < n; i++) p[i] = (unsigned char)(seed * 131u + i * 7u); }
static bool intact(const unsigned char *p, size_t n, unsigned seed)
{
    size_t i;
    for (i = 0; i < n; i++) if (p[i] != (unsigned char)(seed * 131u + i * 7u)) return false;
    return true;
}

/* Init refuses what it cannot use, reports it, and writes nothing. */
static void test_init(void)
{
    size_t i;
    memset(arena, 0x5A, 4096);
    XT_CHECK(make(64, 0) == NULL && errs[XALLOC_E_BADARG] == 1);
    XT_CHECK(xalloc_init(NULL, ARENA, NULL) == NULL);
    for (i = 0; i < 4096; i++) if (arena[i] != 0x5A) break;
    XT_CHECK(i == 4096);
    for (i = 0; i < 16; i++) {   /* the documented minimum works at any start */
        xalloc_heap *h = make(XALLOC_MIN_REGION, i);
        void *p = h ? xalloc_alloc(h, 1) : NULL;
        XT_CHECK(h != NULL && p != NULL);
        if (h) xalloc_free(h, p);
    }
}

/* Every call takes the lock once and gives it back; a double free and a
 * pointer from elsewhere are reported (level >= 1) and change nothing. */
static void test_hooks_and_misuse(void)
{
    xalloc_heap *h = make(64 * 1024, 0);
    xalloc_stats a, b;
    unsigned char *p, *q, outside[32];
    XT_CHECK(h != NULL);
    if (!h) return;
    locks = unlocks = 0;
    p = (unsigned char *)xalloc_alloc(h, 100);
    q = (unsigned char *)xalloc_alloc(h, 100);
    XT_CHECK(p && q && locks == 2 && unlocks == 2);
    fill(q, 100, 9);
    xalloc_free(h, p);
#if XALLOC_DEBUG >= 1 /* level 0 trusts the caller: misuse there corrupts */
    xalloc_stats_get(h, &a);
    xalloc_free(h, p);            /* double free */
    xalloc_free(h, outside + 16); /* foreign */
    xalloc_stats_get(h, &b);
    XT_CHECK(errs[XALLOC_E_DOUBLE_FREE] == 1 && errs[XALLOC_E_FOREIGN] == 1);
    XT_CHECK(a.free_bytes == b.free_bytes && a.free_blocks == b.free_blocks && a.live_blocks == b.live_blocks);
    XT_CHECK(intact(q, 100, 9));
#else
    (void)a; (void)outside;
#endif
    XT_CHECK(locks == unlocks);
    xalloc_free(h, q);
    xalloc_stats_get(h, &b);
    XT_CHECK(b.live_blocks == 0 && b.used_bytes == 0 && b.free_blocks == 1);
}

/* A seeded random mix of every allocating call against a shadow list:
 * alignment, bounds, contents (two live blocks that overlapped would
 * overwrite each other's pattern), stats, and no false out-of-memory
 * (a failed default-aligned request is larger than max_alloc says fits).
 * Ends with everything freed and the heap as it started. Two regions. */
static void test_stress(void)
{
    enum { SLOTS = 400 };
    static struct { unsigned char *p; size_t size, align; unsigned seed; } live[SLOTS];
    static unsigned char second[64 * 1024] __attribute__((aligned(16)));
    size_t ops = XALLOC_DEBUG >= 4 ? 20000 : 400000, i, k, nlive = 0;
    size_t bad = 0, false_oom = 0, failures = 0, allocs = 0, frees = 0;
    unsigned next_seed = 1;
    xalloc_heap *h = make(ARENA, 3);
    xalloc_stats first, st;
    if (xt_slow()) ops /= 10; /* under an emulator or valgrind */
    XT_CHECK(h != NULL && xalloc_add_region(h, second + 5, sizeof second - 5));
    if (!h) return;
    xalloc_stats_get(h, &first);
    XT_CHECK(first.regions == 2 && first.free_blocks == 2);
    for (i = 0; i < ops; i++) {
        unsigned op = (unsigned)xt_below(100);
        size_t s = xt_below(4) ? 1 + xt_below(300) : 1 + xt_below(20000);
        if (nlive && (op < 45 || nlive == SLOTS)) {
            k = xt_below(nlive);
            if (!intact(live[k].p, live[k].size, live[k].seed)) bad++;
            xalloc_free(h, live[k].p);
            live[k] = live[--nlive];
            frees++;
        } else if (nlive && op < 55) {
            unsigned char *q;
            k = xt_below(nlive);
            q = (unsigned char *)(live[k].align ? xalloc_realloc_aligned(h, live[k].p, live[k].align, s)
                                                : xalloc_realloc(h, live[k].p, s));
            if (!q) { failures++; if (!intact(live[k].p, live[k].size, live[k].seed)) bad++; continue; }
            if (!intact(q, s < live[k].size ? s : live[k].size, live[k].seed)) bad++;
            if (live[k].align && ((uintptr_t)q & (live[k].align - 1))) bad++;
            live[k].p = q;
            live[k].size = s;
            fill(q, s, live[k].seed);
            allocs++; frees++;
        } else {
            size_t a = op < 65 ? (size_t)1 << xt_below(12) : 0;
            unsigned char *p = (unsigned char *)(a ? xalloc_aligned_alloc(h, a, s) : op < 70 ? xalloc_calloc(h, s, 1) : xalloc_alloc(h, s));
            if (!p) {
                failures++;
                if (!a && xalloc_max_alloc(h) >= s) false_oom++;
                continue;
            }
            if (((uintptr_t)p & (G - 1)) || (a && ((uintptr_t)p & (a - 1)))) bad++;
            if (!((p >= arena && p + s <= arena + sizeof arena) || (p >= second && p + s <= second + sizeof second))) bad++;
            if (op >= 65 && op < 70) { size_t z; for (z = 0; z < s; z++) if (p[z]) { bad++; break; } }
            live[nlive].p = p;
            live[nlive].size = s;
            live[nlive].align = a;
            live[nlive].seed = next_seed++;
            fill(p, s, live[nlive].seed);
            nlive++;
            allocs++;
        }
        if (i % 1000 == 0) {
            xalloc_stats_get(h, &st);
            if (st.live_blocks != nlive || st.allocs != allocs || st.frees != frees || st.failures != failures) bad++;
            if (st.used_bytes + st.free_bytes != st.block_bytes) bad++;
        }
    }
    XT_CHECK_MSG(bad == 0, "%zu violations (seed %llu)", bad, (unsigned long long)xt_seed);
    XT_CHECK_MSG(false_oom == 0, "%zu false out-of-memory (seed %llu)", false_oom, (unsigned long long)xt_seed);
    XT_CHECK(failures > 0 || ops < 20000); /* the mix fills the heap (not in the 2000 operations of a slow level-4 run) */
    for (k = 0; k < nlive; k++) { XT_CHECK(intact(live[k].p, live[k].size, live[k].seed)); xalloc_free(h, live[k].p); }
    xalloc_stats_get(h, &st);
    XT_CHECK(st.used_bytes == 0 && st.live_blocks == 0 && st.free_bytes == first.free_bytes);
    XT_CHECK(st.free_blocks == first.free_blocks && st.largest_free == first.largest_free);
    XT_CHECK(locks == unlocks);
    {   int e, t = 0;
        for (e = 0; e < XALLOC_E_COUNT; e++) t += errs[e];
        XT_CHECK(t == 0);
    }
}

int main(int argc, char **argv)
{
    XT_INIT(argc, argv);
    XT_RUN(test_init);
    XT_RUN(test_hooks_and_misuse);
    XT_RUN(test_stress);
    return XT_DONE();
}
