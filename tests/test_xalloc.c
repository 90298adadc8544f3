/* test_xalloc.c - unit tests and a randomized stress of the heap, xalloc.h.
 * Built and run at every XALLOC_DEBUG level by `make test`; tests of a
 * debug aid run only where its level is on. The arena is filled with random
 * bytes before every init (the heap must not rely on zeroed memory). */
#define XALLOC_IMPLEMENTATION
#include "xalloc.h"
#include "xtest.h"
#include <pthread.h>

#define G ((size_t)XALLOC_ALIGNMENT)
#define ARENA (1u << 20)
static unsigned char arena_store[ARENA + 64] __attribute__((aligned(64)));
static unsigned char *arena = arena_store;

/* ---- error hook: counts each kind ------------------------------------------ */
static int errs[XALLOC_E_COUNT];
static uintptr_t last_err_ptr;
static xalloc_error last_err;
static void on_error(void *user, xalloc_error e, uintptr_t p, const char *what)
{
    (void)user; (void)what;
    if ((unsigned)e < XALLOC_E_COUNT) errs[e]++;
    last_err_ptr = p;
    last_err = e;
}
static int total_errs(void) { int i, t = 0; for (i = 0; i < XALLOC_E_COUNT; i++) t += errs[i]; return t; }
static void clear_errs(void) { memset(errs, 0, sizeof errs); last_err_ptr = 0; last_err = XALLOC_OK; }

#if defined(__SANITIZE_ADDRESS__)
#define TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_ASAN 1
#endif
#endif
#ifdef TEST_ASAN
#include <sanitizer/asan_interface.h>
#define UNPOISON(p, n) __asan_unpoison_memory_region((p), (n))
#else
#define UNPOISON(p, n) ((void)0)
#endif
#if defined(XALLOC_VALGRIND) && XALLOC_VALGRIND
#undef UNPOISON
#define UNPOISON(p, n) forget_pools((unsigned char *)(p), (n))
/* Heaps have no destroy call: drop the pools of earlier heaps in [p, p+n). */
static void forget_pools(unsigned char *p, size_t n)
{
    size_t i;
    for (i = 0; i < n; i += G)
        if (VALGRIND_MEMPOOL_EXISTS(p + i)) VALGRIND_DESTROY_MEMPOOL(p + i);
    VALGRIND_MAKE_MEM_DEFINED(p, n);
}
#endif
/* Random bytes over memory about to be handed to a new heap (under ASan
 * or valgrind, memory an old heap marked off limits is taken back first). */
static void scribble(unsigned char *p, size_t n) { UNPOISON(p, n); while (n--) *p++ = (unsigned char)xt_rand(); }

static xalloc_heap *make(size_t size, size_t offset)
{
    xalloc_desc d;
    memset(&d, 0, sizeof d);
    d.hooks.error = on_error;
    scribble(arena_store, sizeof arena_store);
    clear_errs();
    return xalloc_init(arena + offset, size, &d);
}

static bool heap_ok(xalloc_heap *h)
{
    const char *why = xalloc_check(h);
    if (why) fprintf(stderr, "check: %s\n", why);
    return why == NULL;
}

/* Header words as the manual lays them out: granules << 3 | QUICK << 2 |
 * PREV_USED << 1 | USED, in the 4 bytes before a block's payload. */
enum { H_USED = 1, H_PREV = 2, H_QUICK = 4 };
static uint32_t hdr_of(unsigned char *b) { uint32_t w; UNPOISON(b - 4, 4); memcpy(&w, b - 4, 4); return w; }
/* A request that needs exactly n granules (the header, and at level 3 the
 * requested size, take 4 bytes each). */
static size_t gran_req(uint32_t n) { return n * G - 4 - (XALLOC_DEBUG >= 3 ? 4 : 0); }

static void fill(void *p, size_t n, unsigned seed) { unsigned char *c = p; size_t i; for (i = 0; i < n; i++) c[i] = (unsigned char)(seed * 131u + i * 7u); }
static bool intact(const void *p, size_t n, unsigned seed) { const unsigned char *c = p; size_t i; for (i = 0; i < n; i++) if (c[i] != (unsigned char)(seed * 131u + i * 7u)) return false; return true; }

/* ---- init and regions -------------------------------------------------------- */
static void test_init_rejects_bad_regions(void)
{
    xalloc_desc d;
    size_t s;
    memset(&d, 0, sizeof d);
    d.hooks.error = on_error;
    clear_errs();
    XT_CHECK(xalloc_init(NULL, 4096, &d) == NULL);
    XT_CHECK(errs[XALLOC_E_BADARG] == 1);
    XT_CHECK(xalloc_init(arena, 0, NULL) == NULL);
    for (s = 1; s < 64; s++) XT_CHECK(xalloc_init(arena, s, NULL) == NULL);
    /* just below the overhead plus one smallest block: nothing fits */
    XT_CHECK(xalloc_init(arena, xalloc_overhead(256) - 2 * G - 4, NULL) == NULL);
}

static void test_min_region_any_start(void)
{
    size_t off;
    for (off = 0; off < 2 * G; off++) {
        xalloc_heap *h = make(XALLOC_MIN_REGION, off);
        void *p;
        XT_CHECK_MSG(h != NULL, "offset %zu", off);
        if (!h) continue;
        XT_CHECK((unsigned char *)h >= arena + off && (unsigned char *)h < arena + off + XALLOC_MIN_REGION);
        p = xalloc_alloc(h, 1);
        XT_CHECK(p != NULL);
        XT_CHECK((unsigned char *)p > arena + off && (unsigned char *)p < arena + off + XALLOC_MIN_REGION);
        XT_CHECK(((uintptr_t)p & (G - 1)) == 0);
        xalloc_free(h, p);
        XT_CHECK(heap_ok(h));
    }
}

static void test_smallest_size_that_works(void)
{
    /* scan down: sizes below the first failure all fail, the overhead
     * function bounds what is lost */
    size_t s, smallest = 0;
    for (s = XALLOC_MIN_REGION; s > 0; s--) {
        scribble(arena, XALLOC_MIN_REGION);
        if (xalloc_init(arena + 3, s, NULL)) smallest = s; else break;
    }
    XT_CHECK(smallest > 0 && smallest <= XALLOC_MIN_REGION);
    /* a region too small is left as it was (tables that fit without a
     * block are not written either) */
    for (s = smallest - 1; s + 64 > smallest && s > 0; s--) {
        unsigned char copy[XALLOC_MIN_REGION + 8];
        scribble(arena, sizeof copy);
        memcpy(copy, arena, sizeof copy);
        XT_CHECK(xalloc_init(arena + 3, s, NULL) == NULL);
        XT_CHECK(memcmp(copy, arena, sizeof copy) == 0);
    }
}

static void test_odd_sizes_and_starts(void)
{
    size_t sizes[] = { XALLOC_MIN_REGION + 1, 4097, 65535, 65537, 100003 }, i, off;
    for (i = 0; i < sizeof sizes / sizeof *sizes; i++)
        for (off = 0; off < 8; off++) {
            xalloc_heap *h = make(sizes[i], off * 5 + 1);
            xalloc_stats st;
            void *p;
            XT_CHECK(h != NULL);
            if (!h) continue;
            xalloc_stats_get(h, &st);
            XT_CHECK(st.region_bytes == sizes[i]);
            XT_CHECK(st.region_bytes - st.block_bytes <= xalloc_overhead(sizes[i]));
            XT_CHECK(st.free_bytes == st.block_bytes && st.used_bytes == 0);
            p = xalloc_alloc(h, st.largest_free);
            XT_CHECK(p != NULL);
            XT_CHECK(xalloc_alloc(h, 1) == NULL);
            xalloc_free(h, p);
            XT_CHECK(heap_ok(h));
        }
}

static void test_add_region(void)
{
    xalloc_desc d;
    xalloc_heap *h;
    unsigned char *second = arena + 300000 + 3;
    void *a, *b;
    xalloc_stats st;
    bool in1 = false, in2 = false;
    int i;
    memset(&d, 0, sizeof d);
    d.hooks.error = on_error;
    d.max_block = 1u << 20; /* blocks may be larger than this first region */
    scribble(arena_store, sizeof arena_store);
    clear_errs();
    h = xalloc_init(arena, 8192, &d);
    XT_CHECK(h != NULL);
    XT_CHECK(xalloc_add_region(h, second, 16384));
    XT_CHECK(!xalloc_add_region(h, second + 16, 16384)); /* overlaps: refused */
    XT_CHECK(errs[XALLOC_E_BADARG] == 1);
    XT_CHECK(!xalloc_add_region(h, arena + 500000, 24)); /* too small */
    XT_CHECK(!xalloc_add_region(h, NULL, 4096));
    xalloc_stats_get(h, &st);
    XT_CHECK(st.regions == 2 && st.region_bytes == 8192 + 16384);
    /* a block larger than the first region can only come from the second */
    a = xalloc_alloc(h, 12000);
    XT_CHECK(a != NULL && (unsigned char *)a > second && (unsigned char *)a < second + 16384);
    for (i = 0; i < 1000; i++) {   /* fill both regions */
        b = xalloc_alloc(h, 100);
        if (!b) break;
        if ((unsigned char *)b > second && (unsigned char *)b < second + 16384) in2 = true;
        if ((unsigned char *)b > arena && (unsigned char *)b < arena + 8192) in1 = true;
    }
    XT_CHECK(in1 && in2 && i < 1000);
    XT_CHECK(heap_ok(h));
    xalloc_free(h, a);
    XT_CHECK(heap_ok(h));
    /* the smallest region add_region takes, at every start: it holds a
     * smallest block (a 1-byte request lands in it once the first region is
     * full), and one byte less is refused */
    for (i = 0; i < (int)G; i++) {
        unsigned char *at = arena + 200000 + i;
        size_t sz, bound = sizeof(void *) - 1 + sizeof(xalloc__region) + 4 + G - 1 + G * XALLOC__MIN_GRAN;
        h = xalloc_init(arena, 8192, &d);
        XT_CHECK(h != NULL);
        if (!h) return;
        for (sz = 1; sz <= bound && !xalloc_add_region(h, at, sz); sz++) { }
        XT_CHECK_MSG(sz <= bound, "start +%d: no region up to %zu bytes taken", i, bound);
        while ((b = xalloc_alloc(h, 1)) != NULL && !((unsigned char *)b > at && (unsigned char *)b < at + sz)) { }
        XT_CHECK_MSG(b != NULL, "start +%d, %zu bytes: no block handed out from it", i, sz);
        XT_CHECK(heap_ok(h));
    }
}

static void test_segments(void)
{
    /* max_block smaller than the region: the region is cut into segments */
    xalloc_desc d;
    xalloc_heap *h;
    xalloc_stats st;
    void *p[64];
    int n = 0, i;
    memset(&d, 0, sizeof d);
    d.max_block = 4096;
    scribble(arena, 65536);
    h = xalloc_init(arena, 65536, &d);
    XT_CHECK(h != NULL);
    XT_CHECK(xalloc_max_alloc(h) < 4096);
    XT_CHECK(xalloc_alloc(h, 5000) == NULL);
    while (n < 64 && (p[n] = xalloc_alloc(h, 2000)) != NULL) n++;
    XT_CHECK(n >= 28); /* two per 4 KiB segment */
    XT_CHECK(heap_ok(h));
    for (i = 0; i < n; i += 2) xalloc_free(h, p[i]);
    for (i = 1; i < n; i += 2) xalloc_free(h, p[i]);
    XT_CHECK(heap_ok(h));
    xalloc_stats_get(h, &st);
    XT_CHECK(st.used_bytes == 0 && st.free_blocks >= 15);
}

/* ---- allocation ------------------------------------------------------------- */
static void test_alloc_sizes(void)
{
    xalloc_heap *h = make(65536, 0);
    size_t s, k;
    XT_CHECK(h != NULL);
    for (s = 0; s <= 300; s++) {
        unsigned char *p = xalloc_alloc(h, s);
        XT_CHECK(p != NULL);
        XT_CHECK(((uintptr_t)p & (G - 1)) == 0);
        XT_CHECK(xalloc_usable_size(h, p) >= s);
        fill(p, s, (unsigned)s);
        XT_CHECK(intact(p, s, (unsigned)s));
        xalloc_free(h, p);
    }
    for (k = 0; k < 128; k++) {
        XT_CHECK(xalloc_alloc(h, SIZE_MAX - k) == NULL);
        XT_CHECK(xalloc_aligned_alloc(h, 64, SIZE_MAX - k) == NULL);
        XT_CHECK(xalloc_calloc(h, 1, SIZE_MAX - k) == NULL);
    }
    XT_CHECK(xalloc_alloc(h, SIZE_MAX / 2) == NULL);
    XT_CHECK(xalloc_alloc(h, 65536) == NULL);
    XT_CHECK(total_errs() == 0); /* out of memory is not misuse */
    XT_CHECK(heap_ok(h));
}

static void test_zero_size_blocks_distinct(void)
{
    xalloc_heap *h = make(4096, 0);
    void *a = xalloc_alloc(h, 0), *b = xalloc_alloc(h, 0);
    XT_CHECK(a && b && a != b);
    xalloc_free(h, a);
    xalloc_free(h, b);
    xalloc_free(h, NULL);
    XT_CHECK(total_errs() == 0 && heap_ok(h));
}

static void test_calloc(void)
{
    xalloc_heap *h = make(65536, 0);
    unsigned char *p;
    size_t i;
    xalloc_stats st;
    p = xalloc_calloc(h, 100, 7);
    XT_CHECK(p != NULL);
    for (i = 0; p && i < 700; i++) XT_CHECK(p[i] == 0);
    XT_CHECK(xalloc_calloc(h, SIZE_MAX / 2, 3) == NULL);
    XT_CHECK(xalloc_calloc(h, (size_t)1 << (sizeof(size_t) * 4), (size_t)1 << (sizeof(size_t) * 4)) == NULL);
    XT_CHECK(xalloc_calloc(h, 3, SIZE_MAX / 2) == NULL);
    /* products that wrap around to small sizes (0, and 2^(half+1) - 3) */
    XT_CHECK(xalloc_calloc(h, SIZE_MAX / 16 + 1, 16) == NULL);
    XT_CHECK(xalloc_calloc(h, ((size_t)1 << (sizeof(size_t) * 4)) + 3, ((size_t)1 << (sizeof(size_t) * 4)) - 1) == NULL);
    XT_CHECK(xalloc_calloc(h, ((size_t)1 << (sizeof(size_t) * 4)) - 1, ((size_t)1 << (sizeof(size_t) * 4)) + 3) == NULL);
    p = xalloc_calloc(h, 0, 5);
    XT_CHECK(p != NULL);
    p = xalloc_calloc(h, SIZE_MAX, 0);  /* a high half times zero */
    XT_CHECK(p != NULL);
    p = xalloc_calloc(h, 100, 65);
    XT_CHECK(p != NULL && xalloc_usable_size(h, p) >= 6500);
    xalloc_stats_get(h, &st);
    XT_CHECK(st.failures == 6);
    XT_CHECK(heap_ok(h));
}

static void test_max_alloc_exact(void)
{
    xalloc_heap *h = make(100000, 0);
    size_t m = xalloc_max_alloc(h);
    void *p;
    XT_CHECK(m > 90000);
    XT_CHECK(xalloc_alloc(h, m + 1) == NULL);
    p = xalloc_alloc(h, m);
    XT_CHECK(p != NULL);
    XT_CHECK(xalloc_max_alloc(h) == 0);
    xalloc_free(h, p);
    XT_CHECK(xalloc_max_alloc(h) == m);
}

/* The request fits a free block of its own size class that is not at the
 * head: a good-fit search that only takes heads of larger classes would
 * fail here. */
static void test_no_false_out_of_memory(void)
{
    /* blocks of 64 and 67 granules share a size class (at SL 16) */
    size_t want = 67 * G - 4, small_sz = 64 * G - 4, n = 0, i;
    xalloc_heap *h = make(24 * 68 * G, 0);
    void *guard[64], *big[64], *p;
    /* alternate big blocks and guards, till full */
    while (n < 64 && (big[n] = xalloc_alloc(h, n % 2 ? small_sz : want)) != NULL) {
        guard[n] = xalloc_alloc(h, 16);
        if (!guard[n]) { n++; break; }
        n++;
    }
    XT_CHECK(n > 10);
    /* fill the leftovers */
    while ((p = xalloc_alloc(h, 16)) != NULL) { }
    /* free the smaller ones: same class, so they stand in front of the one
     * large block we free too; the guards keep them from merging */
    for (i = 0; i + 1 < n; i++)
        if (i % 2 || i == 2) xalloc_free(h, big[i]);
    p = xalloc_alloc(h, want);
    XT_CHECK_MSG(p == big[2], "got %p, the only fitting free block is %p", p, big[2]);
    XT_CHECK(heap_ok(h));
}

static void test_aligned(void)
{
    xalloc_heap *h = make(ARENA, 0);
    size_t a;
    void *keep[40];
    int k = 0;
    for (a = 1; a <= (size_t)1 << 18; a <<= 1) {
        unsigned char *p = xalloc_aligned_alloc(h, a, 100);
        XT_CHECK_MSG(p != NULL, "align %zu", a);
        XT_CHECK(((uintptr_t)p & (a - 1)) == 0 && ((uintptr_t)p & (G - 1)) == 0);
        fill(p, 100, (unsigned)a);
        keep[k++] = p;
    }
    XT_CHECK(heap_ok(h));
    /* alignment beyond the region: only where an aligned address falls
     * inside a free block of it */
    {
        unsigned char *p = xalloc_aligned_alloc(h, (size_t)1 << 21, 8);
        uintptr_t a21 = ((uintptr_t)arena + ((uintptr_t)1 << 21) - 1) & ~(((uintptr_t)1 << 21) - 1);
        XT_CHECK(p == NULL || ((uintptr_t)p == a21 && p + 8 <= arena + ARENA));
        xalloc_free(h, p);
    }
    XT_CHECK(xalloc_aligned_alloc(h, (size_t)1 << (sizeof(size_t) * 8 - 1), 8) == NULL);
    XT_CHECK(total_errs() == 0);
    /* not a power of two: NULL and a report */
    XT_CHECK(xalloc_aligned_alloc(h, 0, 8) == NULL);
    XT_CHECK(xalloc_aligned_alloc(h, 48, 8) == NULL);
    XT_CHECK(xalloc_aligned_alloc(h, SIZE_MAX, 8) == NULL);
    XT_CHECK(errs[XALLOC_E_BADARG] == 3);
    for (a = 1; a <= (size_t)1 << 18; a <<= 1) { k--; XT_CHECK(intact(keep[k], 100, (unsigned)((size_t)1 << k))); }
    while (k < 19) xalloc_free(h, keep[k++]);
    XT_CHECK(heap_ok(h));
}

/* Found by fuzzing: an alignment larger than the largest block is served
 * when an aligned address lies inside a free block. */
static void test_alignment_above_max_block(void)
{
    xalloc_desc d;
    xalloc_heap *h;
    unsigned char *p;
    uintptr_t a;
    memset(&d, 0, sizeof d);
    d.max_block = 4096;
    scribble(arena_store, sizeof arena_store);
    h = xalloc_init(arena, 65536, &d);
    a = ((uintptr_t)arena + 8192 + 16383) & ~(uintptr_t)16383; /* a 16 KiB-aligned address well inside */
    p = xalloc_aligned_alloc(h, 16384, 100);
    XT_CHECK(p != NULL && ((uintptr_t)p & 16383) == 0);
    XT_CHECK(a < (uintptr_t)arena + 60000);
    XT_CHECK(heap_ok(h));
    xalloc_free(h, p);
    XT_CHECK(heap_ok(h));
}

static void test_aligned_fallback(void)
{
    xalloc_heap *h = make(65536, 0);
    unsigned char *p, *hole = NULL, *q;
    void *all[4096];
    size_t n = 0, i;
    while (n < 4096 && (all[n] = xalloc_alloc(h, 4096 - 4)) != NULL) n++;
    while (n < 4096 && (all[n] = xalloc_alloc(h, 16)) != NULL) n++;
    /* free one 4 KiB block whose start is 4 KiB-aligned, if any */
    for (i = 0; i < n; i++) {
        p = all[i];
        if (((uintptr_t)p & 4095) == 0 && xalloc_usable_size(h, p) >= 4092) { hole = p; xalloc_free(h, p); break; }
    }
    if (!hole) return; /* layout gave no aligned block: nothing to test */
    q = xalloc_aligned_alloc(h, 4096, 4000);
    XT_CHECK(q == hole);
    XT_CHECK(heap_ok(h));
}

/* ---- realloc ------------------------------------------------------------------ */
static void test_realloc(void)
{
    xalloc_heap *h = make(65536, 0);
    unsigned char *a, *b, *c, *d;
    xalloc_stats st;
    a = xalloc_realloc(h, NULL, 100); /* acts as alloc */
    XT_CHECK(a != NULL);
    fill(a, 100, 1);
    b = xalloc_alloc(h, 100);
    fill(b, 100, 2);
    /* shrink in place */
    c = xalloc_realloc(h, a, 40);
    XT_CHECK(c == a && intact(c, 40, 1));
    /* grow in place into the tail just freed */
    c = xalloc_realloc(h, a, 100);
    XT_CHECK(c == a && intact(c, 40, 1));
    fill(c, 100, 1);
    /* grow when the neighbour is used: moves, keeps the bytes */
    d = xalloc_realloc(h, a, 5000);
    XT_CHECK(d != NULL && d != a && intact(d, 100, 1));
    XT_CHECK(intact(b, 100, 2));
    /* b grows in place once its successor (d) is free */
    XT_CHECK(d > b);
    {
        unsigned char *e = xalloc_alloc(h, 300);   /* new successor of b? */
        XT_CHECK(e != NULL);
        fill(e, 300, 4);
        c = xalloc_realloc(h, b, 150);                 /* grows by < 1 granule+ */
        XT_CHECK(c != NULL && intact(c, 100, 2));
        b = c;
        XT_CHECK(intact(e, 300, 4));
        xalloc_free(h, e);
    }
    /* failure keeps the old block */
    c = xalloc_realloc(h, d, 1u << 20);
    XT_CHECK(c == NULL && intact(d, 100, 1));
    xalloc_stats_get(h, &st);
    XT_CHECK(st.live_blocks == 2);
    /* size 0 frees */
    XT_CHECK(xalloc_realloc(h, d, 0) == NULL);
    xalloc_stats_get(h, &st);
    XT_CHECK(st.live_blocks == 1);
    XT_CHECK(xalloc_realloc(h, b, SIZE_MAX) == NULL && intact(b, 100, 2));
    XT_CHECK(total_errs() == 0 && heap_ok(h));
}

static void test_realloc_in_place(void)
{
    xalloc_heap *h = make(65536, 0);
    unsigned char *x = xalloc_alloc(h, 100), *y = xalloc_alloc(h, 1000), *z = xalloc_alloc(h, 16), *q;
    xalloc_stats st;
    fill(x, 100, 1);
    fill(z, 16, 3);
    xalloc_free(h, y);
    xalloc_stats_get(h, &st);           /* merges a block held in a quick list */
    q = xalloc_realloc(h, x, 900);      /* into y's space */
    XT_CHECK(q == x && intact(q, 100, 1));
    q = xalloc_realloc(h, x, 1100);     /* all of it */
    XT_CHECK(q == x && intact(q, 100, 1));
    q = xalloc_realloc(h, x, 1200);     /* no more room: moves */
    XT_CHECK(q != x && q != NULL && intact(q, 100, 1));
    XT_CHECK(intact(z, 16, 3));
    xalloc_free(h, q);
    XT_CHECK(heap_ok(h));
}

static void test_realloc_aligned(void)
{
    xalloc_heap *h = make(ARENA, 0);
    unsigned char *p = xalloc_aligned_alloc(h, 256, 50), *q;
    size_t s;
    XT_CHECK(p && ((uintptr_t)p & 255) == 0);
    fill(p, 50, 9);
    for (s = 60; s < 20000; s = s * 3 / 2) {
        void *blocker = xalloc_alloc(h, 24);
        q = xalloc_realloc_aligned(h, p, 256, s);
        XT_CHECK(q && ((uintptr_t)q & 255) == 0 && intact(q, 50, 9));
        p = q;
        (void)blocker;
    }
    /* asking for more alignment than the block has moves it */
    q = xalloc_realloc_aligned(h, p, 65536, 100);
    XT_CHECK(q && ((uintptr_t)q & 65535) == 0 && intact(q, 50, 9));
    XT_CHECK(xalloc_realloc_aligned(h, q, 3, 100) == NULL && errs[XALLOC_E_BADARG] == 1);
    XT_CHECK(heap_ok(h));
}

/* ---- misuse --------------------------------------------------------------------- */
static void test_misuse_double_free(void)
{
#if XALLOC_DEBUG >= 1
    xalloc_heap *h = make(65536, 0);
    unsigned char *a = xalloc_alloc(h, 64), *b = xalloc_alloc(h, 64), *c = xalloc_alloc(h, 64), *d = xalloc_alloc(h, 64);
    xalloc_stats before, after;
    fill(a, 64, 1); fill(c, 64, 3); fill(d, 64, 4);
    xalloc_free(h, b);
    xalloc_stats_get(h, &before);
    xalloc_free(h, b);                  /* b alone, or in a quick list */
    XT_CHECK(errs[XALLOC_E_DOUBLE_FREE] == 1 && last_err_ptr == (uintptr_t)b);
    xalloc_free(h, c);                  /* c merges with b when b is free */
    xalloc_free(h, c);
    XT_CHECK(errs[XALLOC_E_DOUBLE_FREE] == 2);
    xalloc_stats_get(h, &after);        /* (flushes quick lists: b and c merge) */
    xalloc_free(h, b);
    xalloc_free(h, c);                  /* merged into b: stale header */
    XT_CHECK(errs[XALLOC_E_DOUBLE_FREE] == 4);
    XT_CHECK(total_errs() == 4);
    XT_CHECK(intact(a, 64, 1) && intact(d, 64, 4));
    XT_CHECK(after.live_blocks == 2 && before.live_blocks == 3);
    XT_CHECK(heap_ok(h));
#endif
}

static void test_misuse_wild_pointers(void)
{
#if XALLOC_DEBUG >= 1
    xalloc_heap *h = make(65536, 0);
    unsigned char *a = xalloc_alloc(h, 200), *b = xalloc_alloc(h, 200);
    int local;
    static int global;
    xalloc_stats st;
    size_t i;
    fill(a, 200, 5); fill(b, 200, 6);
    xalloc_free(h, &local);
    xalloc_free(h, &global);
    xalloc_free(h, (void *)(uintptr_t)16);
    XT_CHECK(errs[XALLOC_E_FOREIGN] == 3);
    xalloc_free(h, a + 1);
    XT_CHECK(errs[XALLOC_E_NOT_BLOCK] == 1);
    /* interior pointers at granule boundaries: user bytes taken as a header */
    for (i = G; i < 200; i += G) xalloc_free(h, a + i);
    XT_CHECK(errs[XALLOC_E_DOUBLE_FREE] + errs[XALLOC_E_NOT_BLOCK] + errs[XALLOC_E_CORRUPT] == (int)(1 + (200 - 1) / G));
    xalloc_free(h, (unsigned char *)h);  /* the heap record itself */
    XT_CHECK(errs[XALLOC_E_FOREIGN] == 4);
    XT_CHECK(intact(a, 200, 5) && intact(b, 200, 6));
    xalloc_stats_get(h, &st);
    XT_CHECK(st.live_blocks == 2 && st.frees == 0);
    XT_CHECK(xalloc_usable_size(h, a + G) == 0);
    XT_CHECK(xalloc_realloc(h, a + G, 10) == NULL && intact(a, 200, 5));
    XT_CHECK(heap_ok(h));
#endif
}

static void test_misuse_overwritten_header(void)
{
#if XALLOC_DEBUG >= 1
    xalloc_heap *h = make(65536, 0);
    unsigned char *a = xalloc_alloc(h, 100), *b = xalloc_alloc(h, 100), *c = xalloc_alloc(h, 100);
    unsigned char saved[4];
    int before;
    fill(c, 100, 7);
    /* an overrun of a that reaches b's header (just before b) */
    UNPOISON(b - 4, 4);                 /* (under ASan: let the test write it) */
    memcpy(saved, b - 4, 4);
    memset(b - 4, 'A', 4);
    before = total_errs();
    xalloc_free(h, b);                  /* b's header is text now */
    XT_CHECK(total_errs() == before + 1);
    xalloc_free(h, a);                  /* a's successor looks broken */
    XT_CHECK(total_errs() == before + 2);
    XT_CHECK(intact(c, 100, 7));
    memcpy(b - 4, saved, 4);            /* repair: the heap is whole again */
    XT_CHECK(heap_ok(h));
    xalloc_free(h, b);
    xalloc_free(h, a);
    XT_CHECK(total_errs() == before + 2 && heap_ok(h));
#endif
}

static void test_write_after_free(void)
{
#if XALLOC_DEBUG >= 2
    xalloc_heap *h = make(65536, 0);
    unsigned char *a = xalloc_alloc(h, 300), *guard = xalloc_alloc(h, 16), *b;
    xalloc_stats st;
    xalloc_free(h, a);
    xalloc_stats_get(h, &st);           /* a in a bin (test_write_after_free_quick_and_grow: on a quick list) */
    UNPOISON(a + 100, 1);               /* (under ASan: let the test write it) */
    a[100] = 1;                         /* write after free */
    XT_CHECK(xalloc_check(h) != NULL);  /* the full check sees the poison */
    clear_errs();
#if XALLOC_DEBUG >= 4
    /* the full check on entry sees it first and refuses the call */
    XT_CHECK(xalloc_alloc(h, 300) == NULL && errs[XALLOC_E_CORRUPT] == 1);
    a[100] = XALLOC_POISON_BYTE;
    b = xalloc_alloc(h, 300);
    XT_CHECK(b == a);
#else
    b = xalloc_alloc(h, 300);           /* handed out again: reported */
    XT_CHECK(b == a);
    XT_CHECK(errs[XALLOC_E_USE_AFTER_FREE] == 1);
#endif
    xalloc_free(h, b);
    xalloc_free(h, guard);
    XT_CHECK(heap_ok(h));
#endif
}

static void test_overrun_canary(void)
{
#if XALLOC_DEBUG >= 3
    xalloc_heap *h = make(65536, 0);
    size_t s;
    for (s = 1; s < 80; s++) {
        unsigned char *a = xalloc_alloc(h, s);
        XT_CHECK(xalloc_usable_size(h, a) == s);
        UNPOISON(a + s, 1);
        a[s] ^= 0x55;                   /* one byte past the request */
        clear_errs();
        xalloc_free(h, a);
        /* level 4's full check on entry finds it first */
        XT_CHECK(errs[XALLOC_DEBUG >= 4 ? XALLOC_E_CORRUPT : XALLOC_E_OVERRUN] == 1);
        a[s] ^= 0x55;
        xalloc_free(h, a);
        XT_CHECK(total_errs() == 1);
    }
    XT_CHECK(heap_ok(h));
#endif
}

static void test_full_check_every_call(void)
{
#if XALLOC_DEBUG >= 4
    xalloc_heap *h = make(65536, 0);
    unsigned char *a = xalloc_alloc(h, 100), *b = xalloc_alloc(h, 100);
    uint32_t saved;
    UNPOISON(b - 4, 4);
    memcpy(&saved, b - 4, 4);
    memset(b - 4, 0xFF, 4);             /* break a header nobody frees */
    clear_errs();
    XT_CHECK(xalloc_alloc(h, 10) == NULL);
    XT_CHECK(errs[XALLOC_E_CORRUPT] == 1);
    xalloc_free(h, a);
    XT_CHECK(errs[XALLOC_E_CORRUPT] == 2);
    memcpy(b - 4, &saved, 4);
    xalloc_free(h, a);
    XT_CHECK(heap_ok(h));
#endif
}

/* The full check names damage to each kind of metadata: a header's
 * PREV_USED bit, a free block's footer, its list links, a block's size.
 * Each damage is reported as XALLOC_E_CORRUPT and, once repaired, the heap
 * checks clean again. */
static void test_check_finds_damage(void)
{
    xalloc_heap *h = make(65536, 0);
    unsigned char *a = xalloc_alloc(h, 100), *b = xalloc_alloc(h, 200), *c = xalloc_alloc(h, 100), *d = xalloc_alloc(h, 100);
    unsigned char *where[5], saved[sizeof(void *)], bad[sizeof(void *)];
    size_t len[5];
    uint32_t w;
    xalloc_stats st;
    int i;
    xalloc_free(h, b);
    xalloc_free(h, c);
    xalloc_stats_get(h, &st);           /* quick lists flushed: b..c is one free block */
    XT_CHECK(heap_ok(h) && st.free_blocks == 2);
    where[0] = d - 4;                   len[0] = 4;                  /* d's header: PREV_USED */
    where[1] = d - 8;                   len[1] = 4;                  /* the free block's footer */
    where[2] = b;                       len[2] = sizeof(void *);     /* its next link */
    where[3] = b + sizeof(void *);      len[3] = sizeof(void *);     /* its prev link */
    where[4] = a - 4;                   len[4] = 4;                  /* a's header: size */
    for (i = 0; i < 5; i++) {
        UNPOISON(where[i], len[i]);
        memcpy(saved, where[i], len[i]);
        memcpy(bad, saved, len[i]);
        if (len[i] == 4) {
            memcpy(&w, bad, 4);
            w = i == 0 ? w ^ 2u : i == 1 ? w + 1u : w + (1u << 3);
            memcpy(bad, &w, 4);
        } else {
            void *wild = i == 2 ? (void *)(arena + 8) : (void *)d;
            memcpy(bad, &wild, sizeof wild);
        }
        memcpy(where[i], bad, len[i]);
        clear_errs();
        XT_CHECK(xalloc_check(h) != NULL);
        XT_CHECK(errs[XALLOC_E_CORRUPT] == 1);
        memcpy(where[i], saved, len[i]);
        XT_CHECK(heap_ok(h));
    }
    xalloc_free(h, a);
    xalloc_free(h, d);
    XT_CHECK(heap_ok(h));
}

/* Under ASan the heap marks all but the caller's bytes off limits. */
static void test_asan_sees_the_heap(void)
{
#ifdef TEST_ASAN
    xalloc_heap *h = make(65536, 0);
    unsigned char *p = xalloc_alloc(h, 100), *q = xalloc_alloc(h, 100);
    XT_CHECK(__asan_region_is_poisoned(p, xalloc_usable_size(h, p)) == NULL);   /* usable */
    XT_CHECK(__asan_address_is_poisoned(p + xalloc_usable_size(h, p)));          /* overflow */
    XT_CHECK(__asan_address_is_poisoned(q - 4));            /* a header */
    XT_CHECK(__asan_address_is_poisoned(p - 1));            /* underflow */
    xalloc_free(h, p);
    XT_CHECK(__asan_address_is_poisoned(p));                /* use after free */
    XT_CHECK(__asan_address_is_poisoned(p + 50));
    p = xalloc_realloc(h, q, 40);                           /* shrink in place */
    XT_CHECK(p == q && __asan_region_is_poisoned(q, xalloc_usable_size(h, q)) == NULL &&
             __asan_address_is_poisoned(q + xalloc_usable_size(h, q)));
    XT_CHECK(heap_ok(h));
#endif
}

/* With XALLOC_VALGRIND=1 under valgrind, freed memory, headers and the bytes
 * past a request are unaddressable to the program (VALGRIND_GET_VBITS
 * answers 3 for "not addressable" without reporting an error). */
static void test_valgrind_sees_the_heap(void)
{
#if defined(XALLOC_VALGRIND) && XALLOC_VALGRIND
    unsigned char vb[8];
    xalloc_heap *h;
    unsigned char *p, *q;
    if (!RUNNING_ON_VALGRIND) return;
    h = make(65536, 0);
    p = xalloc_alloc(h, 100);
    q = xalloc_alloc(h, 100);
    XT_CHECK(VALGRIND_GET_VBITS(p, vb, 8) == 1);
    XT_CHECK(VALGRIND_GET_VBITS(q - 4, vb, 4) == 3);   /* a header */
    XT_CHECK(VALGRIND_GET_VBITS(p + xalloc_usable_size(h, p), vb, 1) == 3); /* past the usable bytes */
    xalloc_free(h, p);
    XT_CHECK(VALGRIND_GET_VBITS(p, vb, 8) == 3);       /* freed */
    XT_CHECK(heap_ok(h));
#endif
}

/* ---- introspection ---------------------------------------------------------------- */
struct walk_sum { size_t used, used_bytes, free, free_bytes, calls, stop_after; };
static bool walker(void *user, void *p, size_t size, bool used)
{
    struct walk_sum *w = user;
    (void)p;
    w->calls++;
    if (used) { w->used++; w->used_bytes += size; } else { w->free++; w->free_bytes += size; }
    return w->calls != w->stop_after;
}

static void test_stats_walk(void)
{
    xalloc_heap *h = make(65536, 0);
    void *p[50];
    size_t i, req = 0;
    xalloc_stats st;
    struct walk_sum w;
    for (i = 0; i < 50; i++) { p[i] = xalloc_alloc(h, 10 + i * 10); req += 10 + i * 10; }
    for (i = 0; i < 50; i += 3) { xalloc_free(h, p[i]); req -= 10 + i * 10; p[i] = NULL; }
    memset(&w, 0, sizeof w);
    xalloc_walk(h, walker, &w);
    xalloc_stats_get(h, &st);
    XT_CHECK(st.live_blocks == 33 && w.used == 33);
    XT_CHECK(w.used_bytes >= req);
    XT_CHECK(st.allocs == 50 && st.frees == 17 && st.failures == 0);
    XT_CHECK(st.free_blocks == w.free);
    XT_CHECK(st.used_bytes + st.free_bytes == st.block_bytes);
    XT_CHECK(st.peak_used_bytes >= st.used_bytes);
    xalloc_reset_peak(h);
    xalloc_stats_get(h, &st);
    XT_CHECK(st.peak_used_bytes == st.used_bytes);
    memset(&w, 0, sizeof w);
    w.stop_after = 5;
    xalloc_walk(h, walker, &w);
    XT_CHECK(w.calls == 5);
    XT_CHECK(xalloc_alloc(h, 1u << 20) == NULL);
    xalloc_stats_get(h, &st);
    XT_CHECK(st.failures == 1);
}

static char dump_buf[1 << 16];
static size_t dump_len;
static int dump_lines;
static void printer(void *user, const char *line)
{
    size_t n = strlen(line);
    (void)user;
    dump_lines++;
    if (dump_len + n < sizeof dump_buf) { memcpy(dump_buf + dump_len, line, n + 1); dump_len += n; }
}

static void test_dump(void)
{
    xalloc_heap *h = make(65536, 0);
    void *a = xalloc_alloc(h, 1234);
    char expect[64];
    xalloc_stats st;
    (void)a;
    dump_len = 0; dump_lines = 0;
    xalloc_dump(h, printer, NULL);
    xalloc_stats_get(h, &st);
    XT_CHECK(dump_lines >= 5);
    XT_CHECK(strstr(dump_buf, "xalloc heap") != NULL);
    snprintf(expect, sizeof expect, " used %zu,", st.used_bytes);
    XT_CHECK(strstr(dump_buf, expect) != NULL);
    snprintf(expect, sizeof expect, "region bytes %zu,", st.region_bytes);
    XT_CHECK(strstr(dump_buf, expect) != NULL);
    XT_CHECK(strstr(dump_buf, ", live 1\n") != NULL);
    XT_CHECK(strstr(dump_buf, "regions 1, allocs 1, frees 0, failures 0\n") != NULL);
}

/* The trace reports the size asked for on ALLOC and the usable size on
 * FREE; a leak tracker pairs them by pointer. */
static int traced_allocs, traced_frees, traced_mismatch;
static void *traced_ptr[8];
static size_t traced_size[8];
static void tracer(void *user, xalloc_trace_op op, void *p, size_t size)
{
    int i;
    (void)user;
    if (op == XALLOC_TRACE_ALLOC) {
        traced_allocs++;
        for (i = 0; i < 8 && traced_ptr[i]; i++) { }
        if (i < 8) { traced_ptr[i] = p; traced_size[i] = size; }
    } else {
        traced_frees++;
        for (i = 0; i < 8 && traced_ptr[i] != p; i++) { }
        if (i == 8 || traced_size[i] > size) traced_mismatch++;
        else traced_ptr[i] = NULL;
    }
}

static void test_trace(void)
{
    xalloc_desc d;
    xalloc_heap *h;
    void *a, *b;
    memset(&d, 0, sizeof d);
    d.trace = tracer;
    scribble(arena_store, sizeof arena_store);
    h = xalloc_init(arena, 65536, &d);
    traced_allocs = traced_frees = traced_mismatch = 0;
    memset(traced_ptr, 0, sizeof traced_ptr);
    a = xalloc_alloc(h, 100);
    b = xalloc_calloc(h, 10, 10);
    a = xalloc_realloc(h, a, 300);
    XT_CHECK(traced_allocs == 3 && traced_frees == 1);
    xalloc_free(h, a);
    xalloc_free(h, b);
    XT_CHECK(traced_allocs == 3 && traced_frees == 3 && traced_mismatch == 0);
    XT_CHECK(!traced_ptr[0] && !traced_ptr[1] && !traced_ptr[2]);
}

static int locks, unlocks, depth, max_depth;
static void lk(void *u) { (void)u; locks++; if (++depth > max_depth) max_depth = depth; }
static void ulk(void *u) { (void)u; unlocks++; depth--; }

static void test_lock_hooks(void)
{
    xalloc_desc d;
    xalloc_heap *h;
    void *a;
    xalloc_stats st;
    struct walk_sum w;
    memset(&d, 0, sizeof d);
    d.hooks.lock = lk;
    d.hooks.unlock = ulk;
    scribble(arena_store, sizeof arena_store);
    h = xalloc_init(arena, 65536, &d);
    locks = unlocks = depth = max_depth = 0;
    a = xalloc_alloc(h, 10);
    a = xalloc_realloc(h, a, 100);
    (void)xalloc_usable_size(h, a);
    xalloc_free(h, a);
    a = xalloc_calloc(h, 2, 2);
    a = xalloc_aligned_alloc(h, 64, 2);
    (void)xalloc_max_alloc(h);
    xalloc_stats_get(h, &st);
    xalloc_reset_peak(h);
    (void)xalloc_check(h);
    memset(&w, 0, sizeof w);
    xalloc_walk(h, walker, &w);
    dump_len = 0;
    xalloc_dump(h, printer, NULL);
    XT_CHECK(locks == 12 && unlocks == 12 && max_depth == 1);
    /* a lone lock or unlock hook: refused at level 1 and up (the region
     * untouched), ignored at level 0 (neither is called) */
    d.hooks.error = on_error;
    for (int k = 0; k < 2; k++) {
        d.hooks.lock = k ? NULL : lk;
        d.hooks.unlock = k ? ulk : NULL;
        clear_errs();
        UNPOISON(arena, 65536); /* (the heap above hid its free memory from the sanitizers) */
        memset(arena, 0xA5, 65536);
        locks = unlocks = 0;
        h = xalloc_init(arena, 65536, &d);
        if (XALLOC_DEBUG >= 1) {
            size_t i = xt_first_not(arena, 65536, 0xA5);
            XT_CHECK(h == NULL && errs[XALLOC_E_BADARG] == 1 && total_errs() == 1 && last_err_ptr == (uintptr_t)arena);
            XT_CHECK_MSG(i == 65536, "byte %zu of the region written", i);
        } else {
            XT_CHECK(h != NULL && total_errs() == 0);
            a = xalloc_alloc(h, 10);
            xalloc_free(h, a);
            XT_CHECK(a != NULL && locks == 0 && unlocks == 0);
        }
    }
}

/* Two threads on one heap behind the built-in spinlock. */
static xalloc_heap *shared_heap;
static void *hammer(void *arg)
{
    void *slot[64] = { 0 };
    unsigned i, seed = (unsigned)(uintptr_t)arg;
    unsigned rounds = (XALLOC_DEBUG >= 4 ? 5000u : 200000u) / (xt_slow() ? 10u : 1u); /* qemu spins slowly */
    for (i = 0; i < rounds; i++) {
        unsigned j = (seed = seed * 1103515245u + 12345u) >> 26;
        if (slot[j]) {
            if (!intact(slot[j], 24, j)) return (void *)1;
            xalloc_free(shared_heap, slot[j]);
            slot[j] = NULL;
        } else if ((slot[j] = xalloc_alloc(shared_heap, 24 + (seed >> 20) % 200)) != NULL) {
            fill(slot[j], 24, j);
        }
    }
    for (i = 0; i < 64; i++) xalloc_free(shared_heap, slot[i]);
    return NULL;
}

static void test_spinlock_threads(void)
{
    static xalloc_spinlock lock;
    xalloc_desc d;
    pthread_t t[2];
    void *r0 = NULL, *r1 = NULL;
    xalloc_stats st;
    memset(&d, 0, sizeof d);
    d.hooks.lock = xalloc_spin_lock;
    d.hooks.unlock = xalloc_spin_unlock;
    d.hooks.user = &lock;
    scribble(arena_store, sizeof arena_store);
    shared_heap = xalloc_init(arena, ARENA, &d);
    pthread_create(&t[0], NULL, hammer, (void *)1);
    pthread_create(&t[1], NULL, hammer, (void *)2);
    pthread_join(t[0], &r0);
    pthread_join(t[1], &r1);
    XT_CHECK(r0 == NULL && r1 == NULL);
    xalloc_stats_get(shared_heap, &st);
    XT_CHECK(st.live_blocks == 0 && st.used_bytes == 0);
    XT_CHECK(heap_ok(shared_heap));
}

/* ---- edge arguments, misuse without a hook, damage of every kind ----------------- */
/* The prelude's divide by ten (the dumps' digits) against the compiler's,
 * at the edges and on a million random values of every magnitude. */
static void test_divmod10(void)
{
    static const uint64_t edges[] = { 0, 1, 9, 10, 11, 99, 100, 4294967295u, 4294967296u, 9999999999999999999ull,
                                      10000000000000000000ull, 18446744073709551614ull, 18446744073709551615ull };
    size_t i;
    long bad = 0;
    for (i = 0; i < sizeof edges / sizeof *edges + 1000000; i++) {
        uint64_t n = i < sizeof edges / sizeof *edges ? edges[i] : xt_rand() >> xt_below(64), q;
        uint32_t r;
        q = xalloc__divmod10(n, &r);
        if (q != n / 10 || r != n % 10) bad++;
    }
    XT_CHECK_MSG(bad == 0, "%ld values divided wrongly", bad);
}

static void test_error_names(void)
{
    static const char *const names[XALLOC_E_COUNT] = {
        "ok", "bad argument", "foreign pointer", "not the start of a block", "double free", "corrupt metadata",
        "overrun", "write after free", "reserved memory", "size mismatch" };
    int e;
    for (e = 0; e < XALLOC_E_COUNT; e++) XT_CHECK(strcmp(xalloc_error_name((xalloc_error)e), names[e]) == 0);
    XT_CHECK(strcmp(xalloc_error_name(XALLOC_E_COUNT), "unknown") == 0);
    XT_CHECK(strcmp(xalloc_error_name((xalloc_error)77), "unknown") == 0);
}

/* init and add_region refuse what they cannot use, with or without a hook;
 * a region below the first one is accepted; a max_block past what a header
 * can hold is capped at the largest block (2^29 - 1 granules). */
static void test_region_edges(void)
{
    xalloc_desc d;
    xalloc_heap *h;
    xalloc_stats st;
    void *p, *q;
    memset(&d, 0, sizeof d);
    XT_CHECK(xalloc_init(NULL, 65536, &d) == NULL);         /* no hook: just NULL */
    XT_CHECK(xalloc_init(arena, 16, &d) == NULL);
    XT_CHECK(!xalloc_add_region(NULL, arena, 65536));
    h = make(65536, 300000);
    XT_CHECK(h != NULL);
    XT_CHECK(!xalloc_add_region(h, arena + 1, 3));          /* shorter than its alignment gap */
    XT_CHECK(errs[XALLOC_E_BADARG] == 1 && last_err_ptr == (uintptr_t)(arena + 1));
    XT_CHECK(xalloc_add_region(h, arena, 65536));           /* wholly below the first region */
    XT_CHECK(!xalloc_add_region(h, arena + 65536 - 16, 4096)); /* overlaps the second */
    XT_CHECK(errs[XALLOC_E_BADARG] == 2);
    /* past the top of the address space: refused before anything is read
     * or written there */
    XT_CHECK(!xalloc_add_region(h, (void *)(UINTPTR_MAX - 4095), 8192));
    XT_CHECK(!xalloc_add_region(h, (void *)(UINTPTR_MAX - 15), 8));
    XT_CHECK(errs[XALLOC_E_BADARG] == 4);
    p = xalloc_alloc(h, 60000);
    q = xalloc_alloc(h, 60000);
    XT_CHECK(p && q && ((unsigned char *)p < arena + 65536) != ((unsigned char *)q < arena + 65536));
    xalloc_stats_get(h, &st);
    XT_CHECK(st.regions == 2 && st.live_blocks == 2 && heap_ok(h));
    /* max_block capped */
    XT_CHECK(xalloc_overhead(SIZE_MAX) == xalloc_overhead((size_t)0x1FFFFFFF * G));
    XT_CHECK(xalloc_overhead(SIZE_MAX) > xalloc_overhead(65536));
    scribble(arena_store, sizeof arena_store);
    d.max_block = SIZE_MAX;
    h = xalloc_init(arena, 65536, &d);
    XT_CHECK(h != NULL);
    XT_CHECK(xalloc_max_alloc(h) > 65536 - xalloc_overhead(SIZE_MAX) - 2 * G);
    p = xalloc_alloc(h, xalloc_max_alloc(h));
    XT_CHECK(p != NULL && xalloc_alloc(h, 1) == NULL && heap_ok(h));
}

/* A realloc that cannot grow in place because the block after it waits on
 * a quick list (marked used), and cannot move because the heap is full,
 * grows in place once the failing move has merged the quick lists back:
 * no false out-of-memory. */
static void test_realloc_into_quick_block(void)
{
    xalloc_heap *h = make(8192, 0);
    unsigned char *a = xalloc_alloc(h, 100), *q = xalloc_alloc(h, 200), *g = xalloc_alloc(h, 16), *big, *r;
    size_t rest = xalloc_max_alloc(h);
    XT_CHECK(a && q && g && rest > 0);
    fill(a, 100, 3);
    xalloc_free(h, q);                 /* both neighbours used, heap nearly empty: q waits on a quick list */
    XT_CHECK((hdr_of(q) & 4) || XALLOC_QUICK == 0);
    big = xalloc_alloc(h, rest);       /* all the space after g */
    XT_CHECK(big != NULL);
    r = xalloc_realloc(h, a, 250);     /* fits in a + q */
    XT_CHECK(r != NULL && intact(r, 100, 3)); /* in place (r == a) unless a bigger granule left room elsewhere */
    XT_CHECK(heap_ok(h));
    XT_CHECK(total_errs() == 0);
}

/* realloc's last resort: a block that cannot grow in place, in a heap with
 * no free block that holds the new size, moves down into its free
 * predecessor (with its free successor too, if it takes that), keeping its
 * bytes; where the predecessor's start lacks the alignment asked for, the
 * realloc fails and the block stays as it was. */
static void test_realloc_grows_down(void)
{
    int k;
    for (k = 0; k < 3; k++) {
        xalloc_heap *h = make(8192, 0);
        unsigned char *a = xalloc_alloc(h, 600), *b = xalloc_alloc(h, 300), *c = xalloc_alloc(h, 200);
        unsigned char *d = xalloc_alloc(h, 16), *big, *r;
        size_t low, want = k == 1 ? 850 : 1000;
        xalloc_stats st;
        XT_CHECK(a && b && c && d);
        big = xalloc_alloc(h, xalloc_max_alloc(h)); /* all the space after d */
        XT_CHECK(big != NULL && xalloc_max_alloc(h) == 0);
        fill(b, 300, 5);
        fill(d, 16, 7);
        xalloc_free(h, a);
        if (k != 1) xalloc_free(h, c);     /* k == 1: the successor stays used */
        XT_CHECK(xalloc_max_alloc(h) < want); /* no free block holds it */
        if (k == 2) {                      /* an alignment a's start lacks */
            low = (uintptr_t)a & (0 - (uintptr_t)a);
            r = xalloc_realloc_aligned(h, b, 2 * low, want);
            XT_CHECK(r == NULL && intact(b, 300, 5));
            XT_CHECK(xalloc_max_alloc(h) < want);
        } else {
            r = xalloc_realloc(h, b, want);
            XT_CHECK_MSG(r == a, "k %d: realloc gave %p, the predecessor is at %p", k, (void *)r, (void *)a);
            XT_CHECK(r && intact(r, 300, 5) && xalloc_usable_size(h, r) >= want);
            if (r) fill(r, want, 6);       /* all of it is the caller's */
        }
        XT_CHECK(intact(d, 16, 7));
        xalloc_stats_get(h, &st);
        XT_CHECK(st.live_blocks == (k == 1 ? 4u : 3u));
        XT_CHECK(heap_ok(h) && total_errs() == 0);
    }
#if XALLOC_DEBUG >= 2
    {   /* a write into the free predecessor is reported when the block takes it */
        xalloc_heap *h = make(8192, 0);
        unsigned char *a = xalloc_alloc(h, 600), *b = xalloc_alloc(h, 300), *r;
        XT_CHECK(a && b && xalloc_alloc(h, 16) && xalloc_alloc(h, xalloc_max_alloc(h)));
        fill(b, 300, 5);
        xalloc_free(h, a);
        UNPOISON(a + 100, 1);
        a[100] = 1;                        /* use after free */
#if XALLOC_DEBUG >= 4
        /* the full check on entry sees it first and refuses the call */
        XT_CHECK(xalloc_realloc(h, b, 800) == NULL && errs[XALLOC_E_CORRUPT] == 1 && intact(b, 300, 5));
        a[100] = XALLOC_POISON_BYTE;
        clear_errs();
        r = xalloc_realloc(h, b, 800);
        XT_CHECK(r == a && intact(r, 300, 5) && total_errs() == 0);
#else
        r = xalloc_realloc(h, b, 800);
        XT_CHECK(r == a && intact(r, 300, 5) && errs[XALLOC_E_USE_AFTER_FREE] == 1 && total_errs() == 1);
#endif
        XT_CHECK(heap_ok(h));
    }
#endif
}

/* init refuses a region that runs past the top of the address space, as
 * add_region does, before it writes anything; add_region makes a region
 * that an earlier heap hid from ASan or valgrind visible before it writes
 * its record there (test_sanitize_xalloc runs this under ASan). */
static void test_regions_wrap_and_reuse(void)
{
    xalloc_desc d;
    xalloc_heap *h;
    memset(&d, 0, sizeof d);
    d.hooks.error = on_error;
    scribble(arena_store, sizeof arena_store); /* (valgrind: drops the pools of earlier tests' heaps) */
    clear_errs();
    XT_CHECK(xalloc_init(arena, (size_t)0 - (uintptr_t)arena + 4096, &d) == NULL); /* wraps to 4096 */
    XT_CHECK(xalloc_init(arena, (size_t)0 - (uintptr_t)arena, &d) == NULL);        /* ends at 2^N: no end pointer */
    XT_CHECK(errs[XALLOC_E_BADARG] == 2);
    h = xalloc_init(arena, 65536, &d);   /* hides most of the 64 KiB */
    XT_CHECK(h != NULL);
    h = xalloc_init(arena, 32768, &d);   /* a new heap on the first half */
    XT_CHECK(h != NULL && xalloc_add_region(h, arena + 32768, 32768));
    XT_CHECK(xalloc_alloc(h, 20000) != NULL && xalloc_alloc(h, 20000) != NULL);
    XT_CHECK(heap_ok(h) && total_errs() == 2);
}

/* The check compares the counters with what a walk finds, the bytes in
 * blocks included. */
static void test_check_counters(void)
{
    xalloc_heap *h = make(65536, 0);
    void *p = xalloc_alloc(h, 100);
    XT_CHECK(p && heap_ok(h));
    h->block_bytes += G;
    XT_CHECK(xalloc_check(h) != NULL);
    h->block_bytes -= G;
    h->peak = 0;
    XT_CHECK(xalloc_check(h) != NULL);
    h->peak = h->used;
    h->outcomes[0] = 0;   /* fewer allocations than live blocks */
    XT_CHECK(xalloc_check(h) != NULL);
    h->outcomes[0] = 1;
    XT_CHECK(heap_ok(h));
    clear_errs();
}

/* An aligned request that finds no room takes back the blocks held on quick
 * lists (merging them) before it fails. */
static void test_aligned_after_quick(void)
{
    xalloc_heap *h = make(16384, 0);
    unsigned char *g0 = xalloc_alloc(h, 16), *q1 = xalloc_alloc(h, 1000), *q2 = xalloc_alloc(h, 1000);
    unsigned char *g1 = xalloc_alloc(h, 16), *p;
    bool reused = false;
    int i;
    fill(g0, 16, 1); fill(g1, 16, 2);
    xalloc_free(h, q1);                 /* both wait on a quick list */
    xalloc_free(h, q2);
    for (i = 0; i < 100 && (p = xalloc_aligned_alloc(h, 2 * G, 1500)) != NULL; i++)
        if (p >= q1 && p < q2 + 1000) reused = true;
    XT_CHECK(reused && i < 100);
    XT_CHECK(intact(g0, 16, 1) && intact(g1, 16, 2) && heap_ok(h));
}

/* realloc_aligned with an alignment below the granule is a plain realloc */
static void test_realloc_small_alignment(void)
{
    xalloc_heap *h = make(65536, 0);
    unsigned char *p = xalloc_alloc(h, 40), *q;
    size_t a;
    fill(p, 40, 3);
    for (a = 1; a <= G; a <<= 1) {
        q = xalloc_realloc_aligned(h, p, a, 40 + a * 100);
        XT_CHECK(q != NULL && ((uintptr_t)q & (G - 1)) == 0 && intact(q, 40, 3));
        p = q;
    }
    XT_CHECK(total_errs() == 0 && heap_ok(h));
}

/* The top size class (heap tables sized for 511-granule blocks: the last
 * bin) holds a free block too small for a request at its head: the request
 * finds a larger block further down the same bin. */
static void test_top_class_search(void)
{
    xalloc_desc d;
    xalloc_heap *h;
    unsigned char *a, *b, *p;
    xalloc_stats st;
    memset(&d, 0, sizeof d);
    d.max_block = 511 * G;                  /* segments of 511 granules */
    scribble(arena_store, sizeof arena_store);
    h = xalloc_init(arena, 4 * 512 * G, &d);
    XT_CHECK(h != NULL);
    a = xalloc_alloc(h, gran_req(500));     /* the first segment: 500 + 11 */
    b = xalloc_alloc(h, gran_req(11));
    XT_CHECK(a && b && b == a + 500 * G);
    xalloc_free(h, a);
    xalloc_stats_get(h, &st);               /* (quick lists flushed) */
    p = xalloc_alloc(h, gran_req(505));     /* same class as 500, does not fit it */
    XT_CHECK(p != NULL && p != a);
    XT_CHECK(xalloc_alloc(h, gran_req(500)) == a);
    XT_CHECK(heap_ok(h));
}

/* The class of a size, branch-free in the header, against its definition:
 * one class per granule count below 2*SL, then SL classes per power of
 * two, each 1/SL of it wide; every granule count up to 2^20 and the
 * powers of two and their neighbours up to the largest block. */
static uint32_t class_by_definition(uint32_t g)
{
    const uint32_t sl = 1u << XALLOC_SL_LOG2;
    uint32_t k = 0;
    if (g < 2 * sl) return g;
    while ((g >> k) >= 2 * sl) k++;        /* g >> k in [SL, 2*SL) */
    return (k + 1) * sl + ((g >> k) - sl);
}
static void test_class_formula(void)
{
    uint32_t g, k, bad = 0;
    for (g = 0; g < (1u << 20); g++)
        if (xalloc__class(g) != class_by_definition(g)) bad++;
    for (k = 20; k < 29; k++)
        for (g = (1u << k) - 3; g != (1u << k) + 3; g++)
            if (xalloc__class(g) != class_by_definition(g)) bad++;
    XT_CHECK(bad == 0);
    XT_CHECK(xalloc__class(0x1FFFFFFFu) == class_by_definition(0x1FFFFFFFu));
}

/* Frees are not counted on the free path but derived (allocs - live):
 * plain, in-place and moving reallocs, failed requests, frees of NULL. */
static void test_counters(void)
{
    xalloc_heap *h = make(65536, 0);
    unsigned char *a = xalloc_alloc(h, 100), *b = xalloc_alloc(h, 100), *q;
    xalloc_stats st;
    xalloc_free(h, b);
    xalloc_free(h, NULL);
    xalloc_stats_get(h, &st);          /* (quick lists flushed: a can grow) */
    XT_CHECK(st.allocs == 2 && st.frees == 1 && st.live_blocks == 1 && st.failures == 0);
    q = xalloc_realloc(h, a, 150);     /* in place: one alloc and one free */
    XT_CHECK(q == a);
    xalloc_stats_get(h, &st);
    XT_CHECK(st.allocs == 3 && st.frees == 2 && st.live_blocks == 1);
    XT_CHECK(xalloc_alloc(h, 1u << 20) == NULL);             /* too large */
    XT_CHECK(xalloc_aligned_alloc(h, 3 * G, 16) == NULL);    /* bad alignment: misuse, not a failure */
    XT_CHECK(xalloc_realloc_aligned(h, a, 3 * G, 16) == NULL); /* the same */
    b = xalloc_alloc(h, 16);
    q = xalloc_realloc(h, a, 20000);   /* moves */
    XT_CHECK(q != NULL && q != a);
    xalloc_stats_get(h, &st);
    XT_CHECK(st.allocs == 5 && st.frees == 3 && st.live_blocks == 2 && st.failures == 1);
    xalloc_free(h, q);
    xalloc_free(h, b);
    xalloc_stats_get(h, &st);
    XT_CHECK(st.allocs == 5 && st.frees == 5 && st.live_blocks == 0 && st.regions == 1);
    XT_CHECK(heap_ok(h));
}

/* Misuse on a heap without an error hook changes nothing either. */
static void test_misuse_without_hook(void)
{
#if XALLOC_DEBUG >= 1
    xalloc_heap *h;
    unsigned char *a, *b;
    xalloc_stats st;
    int local;
    scribble(arena_store, sizeof arena_store);
    h = xalloc_init(arena, 65536, NULL);
    a = xalloc_alloc(h, 100);
    b = xalloc_alloc(h, 100);
    fill(b, 100, 2);
    xalloc_free(h, a);
    xalloc_free(h, a);
    xalloc_free(h, &local);
    xalloc_free(h, b + 1);
    XT_CHECK(xalloc_aligned_alloc(h, 3, 10) == NULL);
    xalloc_stats_get(h, &st);
    XT_CHECK(st.live_blocks == 1 && st.frees == 1 && intact(b, 100, 2) && heap_ok(h));
#endif
}

#if XALLOC_DEBUG >= 1
/* Free the block at p with the 4 bytes at `at` set to v: the error it
 * reports (XALLOC_OK: none). The bytes are put back. */
static xalloc_error free_with(xalloc_heap *h, unsigned char *p, unsigned char *at, uint32_t v)
{
    uint32_t saved;
    UNPOISON(at, 4);
    memcpy(&saved, at, 4);
    memcpy(at, &v, 4);
    clear_errs();
    xalloc_free(h, p);
    memcpy(at, &saved, 4);
    return total_errs() == 1 ? last_err : total_errs() ? XALLOC_E_COUNT : XALLOC_OK;
}
#endif

/* Level 1 validates a freed block against its neighbours: each damaged
 * header, footer or size is reported and the free refused. (At level 4 the
 * full check on entry names the damage first: XALLOC_E_CORRUPT too.) */
static void test_misuse_damaged_neighbours(void)
{
#if XALLOC_DEBUG >= 1
    xalloc_heap *h = make(65536, 0);
    unsigned char *x = xalloc_alloc(h, 100), *y = xalloc_alloc(h, 100), *z = xalloc_alloc(h, 100), *p;
    uint32_t xn, big = (uint32_t)(65536 / G); /* max_block: the region's size */
    xalloc_stats st;
    fill(y, 100, 2); fill(z, 100, 3);
    /* y's successor claims y is used but has no size a block can have */
    XT_CHECK(free_with(h, y, z - 4, H_PREV) == XALLOC_E_CORRUPT);
    XT_CHECK(free_with(h, y, z - 4, 0x1000000u << 3 | H_PREV | H_USED) == XALLOC_E_CORRUPT);
    XT_CHECK(intact(y, 100, 2) && intact(z, 100, 3) && heap_ok(h));
    /* a free predecessor x: its footer, then its header, damaged */
    xalloc_free(h, x);
    xalloc_stats_get(h, &st);           /* (quick lists flushed: x in a bin) */
    XT_CHECK((hdr_of(y) & H_PREV) == 0);
    xn = hdr_of(x) >> 3;
    XT_CHECK(free_with(h, y, y - 8, 1) == XALLOC_E_CORRUPT);            /* too small */
    XT_CHECK(free_with(h, y, y - 8, 0x1FFFFFFFu) == XALLOC_E_CORRUPT);  /* above max_block */
    XT_CHECK(free_with(h, y, y - 8, big - 1) == XALLOC_E_CORRUPT);      /* reaches below the region */
    XT_CHECK(free_with(h, y, x - 4, (xn - 1) << 3 | H_PREV) == XALLOC_E_CORRUPT); /* ends before y */
    XT_CHECK(free_with(h, y, x - 4, 0x1000000u << 3 | H_PREV) == XALLOC_E_CORRUPT); /* past the region */
    /* x's header says it ends inside y: y's own bytes there are taken for
     * a footer (of nothing that holds y) */
    memset(y + G - 8, 0, 4);
    XT_CHECK(free_with(h, y, x - 4, (xn + 1) << 3 | H_PREV) == XALLOC_E_CORRUPT);
    memcpy(y + G - 8, &big, 4);
    XT_CHECK(free_with(h, y, x - 4, (xn + 1) << 3 | H_PREV) == XALLOC_E_CORRUPT);
    p = y + 3 * G - 8;
    memcpy(p, &(uint32_t){ 2 }, 4);
    XT_CHECK(free_with(h, y, x - 4, (xn + 3) << 3 | H_PREV) == XALLOC_E_CORRUPT);
    p = y + 2 * G - 8;
    memcpy(p, &(uint32_t){ xn + 1 }, 4);
    XT_CHECK(free_with(h, y, x - 4, (xn + 2) << 3 | H_PREV) == XALLOC_E_CORRUPT);
    fill(y, 100, 2);
    XT_CHECK(heap_ok(h));
    /* interior pointers whose "header" (caller's bytes) is too small or
     * runs past the region */
    p = xalloc_alloc(h, xalloc_max_alloc(h));
    XT_CHECK(p != NULL);
    memcpy(p + G - 4, &(uint32_t){ 1u << 3 | H_USED | H_PREV }, 4);
    clear_errs();
    xalloc_free(h, p + G);
    XT_CHECK(errs[XALLOC_E_NOT_BLOCK] == 1);
    memcpy(p + G - 4, &(uint32_t){ big << 3 | H_USED | H_PREV }, 4);
    xalloc_free(h, p + G);
    XT_CHECK(errs[XALLOC_E_NOT_BLOCK] == 2 && total_errs() == 2);
    xalloc_free(h, p);
    xalloc_free(h, y);
    xalloc_free(h, z);
    XT_CHECK(total_errs() == 2 && heap_ok(h));
#endif
}

/* A block freed twice after it merged with free blocks on both sides: its
 * stale header lies inside the merged block, found through the footer. */
static void test_double_free_merged_both_sides(void)
{
#if XALLOC_DEBUG >= 1
    xalloc_heap *h = make(65536, 0);
    unsigned char *x = xalloc_alloc(h, 100), *y = xalloc_alloc(h, 100), *z = xalloc_alloc(h, 100);
    unsigned char *guard = xalloc_alloc(h, 100);
    xalloc_stats st;
    fill(guard, 100, 4);
    xalloc_free(h, x);
    xalloc_free(h, z);
    xalloc_stats_get(h, &st);           /* x and z free in bins */
    xalloc_free(h, y);                  /* x, y, z: one free block */
    XT_CHECK(total_errs() == 0);
    xalloc_free(h, y);
    XT_CHECK(errs[XALLOC_E_DOUBLE_FREE] == 1 && total_errs() == 1);
    xalloc_free(h, z);
    XT_CHECK(errs[XALLOC_E_DOUBLE_FREE] + errs[XALLOC_E_NOT_BLOCK] == 2 && total_errs() == 2);
    xalloc_stats_get(h, &st);
    XT_CHECK(st.live_blocks == 1 && intact(guard, 100, 4) && heap_ok(h));
#endif
}

/* Level 2: a write into a block waiting on a quick list, and into a free
 * block that realloc grows into, is reported when the memory is handed out
 * again (level 4: the full check on entry refuses the call). */
static void test_write_after_free_quick_and_grow(void)
{
#if XALLOC_DEBUG >= 2
    xalloc_heap *h = make(65536, 0);
    unsigned char *a = xalloc_alloc(h, 64), *b = xalloc_alloc(h, 64), *c = xalloc_alloc(h, 64), *p;
    unsigned char *x, *y, *z;
    xalloc_stats st;
    xalloc_free(h, b);                  /* onto b's quick list */
    UNPOISON(b + 20, 1);
    b[20] = 1;
    XT_CHECK(xalloc_check(h) != NULL);
    clear_errs();
    p = xalloc_alloc(h, 64);
#if XALLOC_DEBUG >= 4
    XT_CHECK(p == NULL && errs[XALLOC_E_CORRUPT] == 1);
    b[20] = XALLOC_POISON_BYTE;
    p = xalloc_alloc(h, 64);
    XT_CHECK(p == b && total_errs() == 1);
#else
    XT_CHECK(p == b && errs[XALLOC_E_USE_AFTER_FREE] == 1 && last_err_ptr == (uintptr_t)b);
#endif
    x = xalloc_alloc(h, 100); y = xalloc_alloc(h, 1000); z = xalloc_alloc(h, 16);
    fill(x, 100, 1);
    xalloc_free(h, y);
    xalloc_stats_get(h, &st);           /* y in a bin */
    UNPOISON(y + 500, 1);
    y[500] = 1;
    XT_CHECK(xalloc_check(h) != NULL);
    clear_errs();
    p = xalloc_realloc(h, x, 900);
#if XALLOC_DEBUG >= 4
    XT_CHECK(p == NULL && errs[XALLOC_E_CORRUPT] == 1);
    y[500] = XALLOC_POISON_BYTE;
    p = xalloc_realloc(h, x, 900);
    XT_CHECK(p == x && total_errs() == 1);
#else
    XT_CHECK(p == x && errs[XALLOC_E_USE_AFTER_FREE] == 1 && last_err_ptr == (uintptr_t)y);
#endif
    XT_CHECK(intact(x, 100, 1));
    xalloc_free(h, a); xalloc_free(h, c); xalloc_free(h, p); xalloc_free(h, z); xalloc_free(h, b);
    XT_CHECK(heap_ok(h));
#endif
}

/* xalloc_check with len bytes at p replaced by those at v; put back after. */
static const char *check_with(xalloc_heap *h, void *p, const void *v, size_t len)
{
    unsigned char saved[sizeof(void *)];
    const char *why;
    UNPOISON(p, len);
    memcpy(saved, p, len);
    memcpy(p, v, len);
    clear_errs();
    why = xalloc_check(h);
    if (why && errs[XALLOC_E_CORRUPT] != 1) why = "(not reported)";
    memcpy(p, saved, len);
    return why;
}
static const char *check_hdr(xalloc_heap *h, unsigned char *b, uint32_t w) { return check_with(h, b - 4, &w, 4); }
static const char *check_link(xalloc_heap *h, unsigned char *at, const void *v) { return check_with(h, at, &v, sizeof v); }
static bool says(const char *why, const char *want)
{
    if (why && !strcmp(why, want)) return true;
    fprintf(stderr, "check said \"%s\", expected \"%s\"\n", why ? why : "(nothing)", want);
    return false;
}

static unsigned char *first_seen;
static bool first_block(void *user, void *p, size_t size, bool used)
{
    (void)user; (void)size; (void)used;
    first_seen = p;
    return false;
}

/* The full check names each broken invariant of the blocks and lists. */
static void test_check_names_each_invariant(void)
{
    xalloc_heap *h = make(65536, 0);
    unsigned char *a = xalloc_alloc(h, 100), *b = xalloc_alloc(h, 100), *c = xalloc_alloc(h, 100);
    unsigned char *d = xalloc_alloc(h, 300), *g = xalloc_alloc(h, 100), *e = xalloc_alloc(h, 100);
    unsigned char *k = xalloc_alloc(h, 100), *q = xalloc_alloc(h, 100), *m = xalloc_alloc(h, 100);
    unsigned char *u = xalloc_alloc(h, 200), *f, *end = NULL, *fake, *head;
    uint32_t bn;
    xalloc_stats st;
    (void)g; (void)k;
    xalloc_free(h, b);
    xalloc_free(h, d);
    xalloc_free(h, e);
    xalloc_stats_get(h, &st);           /* b, d, e free in bins; e, b in one */
    XT_CHECK(heap_ok(h) && st.free_blocks == 4);
    xalloc_free(h, q);                  /* a quick list: m, then q */
    xalloc_free(h, m);
    XT_CHECK(heap_ok(h));
    bn = hdr_of(b) >> 3;
    XT_CHECK((hdr_of(e) >> 3) == bn && (hdr_of(d) >> 3) != bn);
    /* after u: the free rest of the region, then the sentinel */
    for (f = u; f <= arena + 65536; f += (hdr_of(f) >> 3) * G)
        if (hdr_of(f) >> 3 == 0) { end = f; break; }
    XT_CHECK(end != NULL);
    if (!end) return;
    XT_CHECK(says(check_hdr(h, end, hdr_of(end) & ~(uint32_t)H_USED), "sentinel damaged"));
    XT_CHECK(says(check_hdr(h, b, 1u << 3 | H_PREV), "block size out of range"));
    XT_CHECK(says(check_hdr(h, c, hdr_of(c) & ~(uint32_t)H_USED), "adjacent free blocks"));
    XT_CHECK(says(check_hdr(h, b, hdr_of(b) | H_QUICK), "free block marked quick"));
    XT_CHECK(says(check_link(h, b, a), "block on the wrong list"));          /* a used block */
    XT_CHECK(says(check_link(h, b, d), "block on the wrong list"));          /* another class */
    XT_CHECK(says(check_link(h, b, a + G / 2), "list entry outside the heap")); /* not a block start */
#if XALLOC_QUICK > 0                    /* (without quick lists q and m merge into a free block) */
    XT_CHECK(says(check_link(h, q, q), "list longer than its blocks"));      /* a cycle */
    XT_CHECK(says(check_link(h, m, b), "block on the wrong list"));          /* a free block, quick list */
#endif
    /* b's bin holds b and e (which first depends on the quick lists): the
     * second dropped from the list; then a look-alike (a free header in
     * u's bytes) in its place */
    head = h->bins[xalloc__class(bn)];
    XT_CHECK(head == b || head == e);
    XT_CHECK(says(check_link(h, head, NULL), "lists and blocks differ"));
    fake = u + 2 * G;
    memcpy(fake - 4, &(uint32_t){ bn << 3 | H_PREV }, 4);
    memcpy(fake, &(void *){ NULL }, sizeof(void *));
    memcpy(fake + sizeof(void *), &head, sizeof(void *));
    XT_CHECK(says(check_link(h, head, fake), "lists and blocks differ"));
    XT_CHECK(heap_ok(h));
    /* the first segment's size above max_block (4096 here) */
    {
        xalloc_desc dd;
        memset(&dd, 0, sizeof dd);
        dd.max_block = 4096;
        dd.hooks.error = on_error;
        scribble(arena_store, sizeof arena_store);
        h = xalloc_init(arena, 65536, &dd);
        first_seen = NULL;
        xalloc_walk(h, first_block, NULL);
        XT_CHECK(first_seen != NULL);
        if (!first_seen) return;
        XT_CHECK(says(check_hdr(h, first_seen, (uint32_t)(4096 / G + 1) << 3 | H_PREV), "block size out of range"));
        XT_CHECK(heap_ok(h));
    }
}

/* The full check compares the heap record (counters, bitmaps, quick-list
 * counts) with the blocks: each damaged field is named. White-box: it
 * writes the record's fields. */
static void test_check_names_record_damage(void)
{
    xalloc_heap *h = make(65536, 0);
    unsigned char *a = xalloc_alloc(h, 100), *b = xalloc_alloc(h, 100), *c = xalloc_alloc(h, 100);
    uint32_t cb;
    size_t k, *field[5];
    const char *why;
    (void)a; (void)c; (void)cb;
    xalloc_free(h, b);                  /* on a quick list */
    XT_CHECK(heap_ok(h) && (h->quick_bytes != 0) == (XALLOC_QUICK > 0));
    field[0] = &h->used; field[1] = &h->live; field[2] = &h->free_blocks; field[3] = &h->quick_bytes;
    field[4] = &h->block_bytes;
    for (k = 0; k < 5; k++) {
        size_t saved = *field[k];
        *field[k] = k == 4 ? 0 : saved + 1;
        why = xalloc_check(h);
        *field[k] = saved;
        XT_CHECK(says(why, "counters differ from the blocks"));
    }
#if XALLOC_QUICK > 0
    cb = xalloc__class(hdr_of(b) >> 3);
    h->qcount[cb]++;
    XT_CHECK(says(xalloc_check(h), "quick list count wrong"));
    h->qcount[cb]--;
#endif
    h->sl_map[0] ^= XALLOC__BIT(3);             /* bin 3's bit */
    XT_CHECK(says(xalloc_check(h), "bitmaps disagree with the bins"));
    h->sl_map[0] ^= XALLOC__BIT(3);
    h->fl_map ^= XALLOC__BIT(0);                /* level 0's bit, its bins unchanged */
    XT_CHECK(says(xalloc_check(h), "bitmaps disagree with the bins"));
    h->fl_map ^= XALLOC__BIT(0);
    h->fl_map ^= 1u;                            /* level 31: past the table */
    XT_CHECK(says(xalloc_check(h), "bitmaps disagree with the bins"));
    h->fl_map ^= 1u;
    h->fl_map |= 0x80000000u >> h->nfl; /* a bit past the table (bit 31-f: level f) */
    XT_CHECK(says(xalloc_check(h), "bitmaps disagree with the bins"));
    h->fl_map &= ~(0x80000000u >> h->nfl);
    h->sl_map[h->nfl] = 1u;             /* the zero word past the last level */
    XT_CHECK(says(xalloc_check(h), "bitmaps disagree with the bins"));
    h->sl_map[h->nfl] = 0;
    XT_CHECK(heap_ok(h));
    {   /* the records every walk follows: checked first, and no block or
         * list is read through a damaged one (a table pointer moved by a
         * word, a region's bounds, a loop in the region list); each damage
         * is undone by copying the records back */
        xalloc_heap keep;
        xalloc__region *r2 = NULL, keep2;
#define BROKEN(plant, want) do { memcpy(&keep, h, sizeof keep); if (r2) memcpy(&keep2, r2, sizeof keep2); plant; \
        XT_CHECK(says(xalloc_check(h), want)); memcpy(h, &keep, sizeof keep); if (r2) memcpy(r2, &keep2, sizeof keep2); } while (0)
        BROKEN(h->max_gran = 0, "heap record damaged");
        BROKEN(h->max_gran = XALLOC__MAX_GRAN + 1, "heap record damaged");
        BROKEN(h->nfl++, "heap record damaged");
        BROKEN(h->nquick++, "heap record damaged");
        BROKEN(h->bins++, "heap record damaged");
        BROKEN(h->quick++, "heap record damaged");
        BROKEN(h->sl_map++, "heap record damaged");
        BROKEN(h->qcount++, "heap record damaged");
        XT_CHECK(heap_ok(h));
        XT_CHECK(xalloc_add_region(h, arena + 65536 + 100, 8192));
        r2 = h->region.next;
        XT_CHECK(r2 != NULL && heap_ok(h));
        if (!r2) return;
        BROKEN(h->region.first -= G, "region record damaged");                 /* over the tables */
        BROKEN(h->region.first += XALLOC__HDR, "region record damaged");       /* not G-aligned */
        BROKEN(h->region.end = h->region.first - G, "region record damaged");  /* before its start */
        BROKEN(h->region.bytes = (size_t)(h->region.end - h->region.mem) - 1,  /* ends before its blocks */
               "region record damaged");
        BROKEN(h->region.mem = (unsigned char *)&h->region + 1, "region record damaged"); /* after its record */
        BROKEN(h->region.end = h->region.first, "region record damaged");      /* no room for a block */
        BROKEN(r2->first = (unsigned char *)r2, "region record damaged");      /* over its own record */
        BROKEN((r2->bytes += (size_t)((unsigned char *)r2 - (h->region.mem + 64)), r2->mem = h->region.mem + 64),
               "region record damaged");                                        /* overlaps the first */
        BROKEN(r2->next = r2, "region record damaged");                        /* a loop */
        BROKEN(r2->next = &h->region, "region record damaged");
        BROKEN(r2->bytes = (size_t)0 - (size_t)(uintptr_t)r2->mem + 16, "region record damaged"); /* wraps */
        BROKEN(h->region.next = (xalloc__region *)(void *)((unsigned char *)r2 + 1), "region record damaged"); /* misaligned */
#undef BROKEN
        XT_CHECK(heap_ok(h));
    }
#if XALLOC_QUICK > 0
    {   /* a quick list one block longer than XALLOC_QUICK, its count to match:
         * a used block of the class made into a quick block by hand */
        unsigned char *blk[2 * XALLOC_QUICK + 2];
        uint32_t w;
        int i;
        h = make(65536, 0);
        for (i = 0; i < 2 * XALLOC_QUICK + 2; i++) blk[i] = xalloc_alloc(h, 100);
        for (i = 0; i < 2 * XALLOC_QUICK; i += 2) xalloc_free(h, blk[i]);
        cb = xalloc__class(hdr_of(blk[0]) >> 3);
        XT_CHECK(heap_ok(h) && h->qcount[cb] == XALLOC_QUICK);
        b = blk[2 * XALLOC_QUICK];
        w = hdr_of(b) | H_QUICK;
        memcpy(b - 4, &w, 4);
        memcpy(b, &h->quick[cb], sizeof(void *));
        UNPOISON(b, (w >> 3) * G - 4);
        memset(b + sizeof(void *), XALLOC_POISON_BYTE, (w >> 3) * G - 4 - sizeof(void *)); /* (level 2 checks it) */
        h->quick[cb] = b;
        h->qcount[cb]++;
        h->quick_bytes += (w >> 3) * G;
        h->live--;
        h->used -= (w >> 3) * G;
        XT_CHECK(says(xalloc_check(h), "quick list count wrong"));
    }
#endif
}
/* ---- randomized stress against a shadow model ------------------------------------------ */
typedef struct shadow { unsigned char *p; size_t size, align; unsigned seed; } shadow;

static size_t rand_size(void)
{
    switch (xt_below(8)) {
    case 0: return xt_below(17);
    case 1: case 2: case 3: return 1 + xt_below(256);
    case 4: case 5: return 1 + xt_below(4096);
    case 6: return 1 + xt_below(40000);
    default: return (size_t)1 << xt_below(16);
    }
}

/* Can any free block hold `size` at `align`? (walk + arithmetic) */
static size_t fit_size, fit_align;
static bool fit_found;
static bool fit_walker(void *user, void *p, size_t payload, bool used)
{
    uintptr_t s = (uintptr_t)p, a, min_gap = G * ((4 + 2 * sizeof(void *) + 4 + G - 1) / G);
    if (min_gap < 2 * G) min_gap = 2 * G; /* a smallest block is never one granule */
    (void)user;
    if (used) return true;
    a = (s + fit_align - 1) & ~(uintptr_t)(fit_align - 1);
    if (a != s && a - s < min_gap) a = (s + min_gap + fit_align - 1) & ~(uintptr_t)(fit_align - 1);
    if (a - s <= payload && payload - (a - s) >= fit_size + (XALLOC_DEBUG >= 3 ? 4 : 0)) fit_found = true;
    return !fit_found;
}

static void test_stress_shadow(void)
{
    enum { SLOTS = 600 };
    static shadow live[SLOTS];
    size_t region = 512 * 1024, ops = XALLOC_DEBUG >= 4 ? 20000 : XALLOC_DEBUG >= 2 ? 400000 : 1200000, i, k;
    size_t check_every = XALLOC_DEBUG >= 4 ? 1000000 : 4000;
    if (xt_slow()) ops /= 10;
    xalloc_heap *h = make(region, 7);
    xalloc_stats first, st;
    size_t nlive = 0, live_req = 0, allocs = 0, frees = 0, failures = 0, false_oom = 0, bad = 0;
    unsigned next_seed = 1;
    XT_CHECK(h != NULL);
    if (!h) return;
    xalloc_stats_get(h, &first);
    for (i = 0; i < ops; i++) {
        unsigned op = (unsigned)xt_below(100);
        if (nlive && (op < 42 || nlive == SLOTS)) {           /* free */
            k = xt_below(nlive);
            if (!intact(live[k].p, live[k].size, live[k].seed)) bad++;
            xalloc_free(h, live[k].p);
            live_req -= live[k].size;
            live[k] = live[--nlive];
            frees++;
        } else if (nlive && op < 52) {                          /* realloc */
            size_t ns = rand_size() + 1;      /* size 0 would free it */
            unsigned char *q;
            k = xt_below(nlive);
            q = live[k].align > G ? xalloc_realloc_aligned(h, live[k].p, live[k].align, ns) : xalloc_realloc(h, live[k].p, ns);
            if (q) {
                size_t keep = ns < live[k].size ? ns : live[k].size;
                if (!intact(q, keep, live[k].seed)) bad++;
                if (live[k].align > G && ((uintptr_t)q & (live[k].align - 1))) bad++;
                live_req += ns - live[k].size;
                live[k].p = q;
                live[k].size = ns;
                fill(q, ns, live[k].seed);
                allocs++; frees++;
            } else {
                if (!intact(live[k].p, live[k].size, live[k].seed)) bad++;
                failures++;
            }
        } else {                                               /* alloc */
            size_t s = rand_size(), a = op < 60 ? (size_t)1 << xt_below(13) : 0;
            unsigned char *p = a ? xalloc_aligned_alloc(h, a, s) : op < 63 ? xalloc_calloc(h, 1, s) : xalloc_alloc(h, s);
            if (p) {
                if ((uintptr_t)p & (G - 1)) bad++;
                if (a && ((uintptr_t)p & (a - 1))) bad++;
                if (p < arena || p + s > arena + 7 + region) bad++;
                if (op >= 60 && op < 63) { size_t z; for (z = 0; z < s; z++) if (p[z]) { bad++; break; } }
                live[nlive].p = p;
                live[nlive].size = s;
                live[nlive].align = a;
                live[nlive].seed = next_seed++;
                fill(p, s, live[nlive].seed);
                live_req += s;
                nlive++;
                allocs++;
            } else {
                fit_size = s; fit_align = a > G ? a : G; fit_found = false;
                xalloc_walk(h, fit_walker, NULL);
                if (fit_found) false_oom++;
                failures++;
            }
        }
        if (i % check_every == 0) {
            if (xalloc_check(h)) bad++;
            xalloc_stats_get(h, &st);
            if (st.live_blocks != nlive || st.allocs != allocs || st.frees != frees || st.failures != failures) bad++;
            if (st.used_bytes < live_req || st.used_bytes + st.free_bytes != st.block_bytes) bad++;
        }
    }
    XT_CHECK_MSG(bad == 0, "%zu violations (seed %llu)", bad, (unsigned long long)xt_seed);
    XT_CHECK_MSG(false_oom == 0, "%zu false out-of-memory (seed %llu)", false_oom, (unsigned long long)xt_seed);
    /* the mix reaches a full heap (within 20000 operations: not in the 2000
     * of an XTEST_SLOW run at level 4) */
    XT_CHECK(failures > 0 || ops < 20000);
    XT_CHECK(total_errs() == 0);
    for (k = 0; k < nlive; k++) { XT_CHECK(intact(live[k].p, live[k].size, live[k].seed)); xalloc_free(h, live[k].p); }
    XT_CHECK(heap_ok(h));
    xalloc_stats_get(h, &st);
    XT_CHECK(st.used_bytes == 0 && st.live_blocks == 0);
    XT_CHECK(st.free_blocks == first.free_blocks && st.largest_free == first.largest_free);
    XT_CHECK(st.free_bytes == first.free_bytes);
}

int main(int argc, char **argv)
{
    XT_INIT(argc, argv);
    XT_RUN(test_init_rejects_bad_regions);
    XT_RUN(test_min_region_any_start);
    XT_RUN(test_smallest_size_that_works);
    XT_RUN(test_odd_sizes_and_starts);
    XT_RUN(test_add_region);
    XT_RUN(test_segments);
    XT_RUN(test_alloc_sizes);
    XT_RUN(test_zero_size_blocks_distinct);
    XT_RUN(test_calloc);
    XT_RUN(test_max_alloc_exact);
    XT_RUN(test_no_false_out_of_memory);
    XT_RUN(test_aligned);
    XT_RUN(test_alignment_above_max_block);
    XT_RUN(test_aligned_fallback);
    XT_RUN(test_realloc);
    XT_RUN(test_realloc_in_place);
    XT_RUN(test_class_formula);
    XT_RUN(test_counters);
    XT_RUN(test_realloc_aligned);
    XT_RUN(test_misuse_double_free);
    XT_RUN(test_misuse_wild_pointers);
    XT_RUN(test_misuse_overwritten_header);
    XT_RUN(test_write_after_free);
    XT_RUN(test_overrun_canary);
    XT_RUN(test_full_check_every_call);
    XT_RUN(test_check_finds_damage);
    XT_RUN(test_asan_sees_the_heap);
    XT_RUN(test_valgrind_sees_the_heap);
    XT_RUN(test_stats_walk);
    XT_RUN(test_dump);
    XT_RUN(test_trace);
    XT_RUN(test_lock_hooks);
    XT_RUN(test_spinlock_threads);
    XT_RUN(test_error_names);
    XT_RUN(test_divmod10);
    XT_RUN(test_region_edges);
    XT_RUN(test_realloc_into_quick_block);
    XT_RUN(test_regions_wrap_and_reuse);
    XT_RUN(test_check_counters);
    XT_RUN(test_aligned_after_quick);
    XT_RUN(test_realloc_small_alignment);
    XT_RUN(test_top_class_search);
    XT_RUN(test_misuse_without_hook);
    XT_RUN(test_misuse_damaged_neighbours);
    XT_RUN(test_double_free_merged_both_sides);
    XT_RUN(test_write_after_free_quick_and_grow);
    XT_RUN(test_check_names_each_invariant);
    XT_RUN(test_check_names_record_damage);
    XT_RUN(test_realloc_grows_down);
    XT_RUN(test_stress_shadow);
    return XT_DONE();
}
