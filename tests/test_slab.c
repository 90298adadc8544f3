/* test_slab.c - unit tests and a randomized stress of xalloc_slab.h.
 * Built and run at every XALLOC_DEBUG level by `make test`; tests of a
 * debug aid run only where its level is on. Regions are filled with random
 * bytes before every init (the slabs must not rely on zeroed memory). Two
 * page sources are used: a region, and callbacks over aligned_alloc that
 * record every slab handed out, can be told to fail, and check that each
 * slab comes back once with its size. */
#define _POSIX_C_SOURCE 200809L /* posix_memalign */
#define XALLOC_IMPLEMENTATION
#include "xalloc_slab.h"
#include "xtest.h"
#include <pthread.h>

#define P sizeof(void *)
#define HDR (5 * sizeof(void *) + (sizeof(void *) == 8 ? 8 : 4)) /* the slab header */
#define REGION (1u << 20)
static unsigned char region_store[REGION + 8192] __attribute__((aligned(4096)));

/* ---- error hook: counts each kind ------------------------------------------ */
static int errs[XALLOC_E_COUNT];
static uintptr_t last_err_ptr;
static void on_error(void *user, xalloc_error e, uintptr_t p, const char *what)
{
    (void)user; (void)what;
    if ((unsigned)e < XALLOC_E_COUNT) errs[e]++;
    last_err_ptr = p;
}
static int total_errs(void) { int i, t = 0; for (i = 0; i < XALLOC_E_COUNT; i++) t += errs[i]; return t; }
static void clear_errs(void) { memset(errs, 0, sizeof errs); last_err_ptr = 0; }
/* exactly one error was reported since clear_errs, of kind e, about p */
static bool only(xalloc_error e, const void *p) { return total_errs() == 1 && errs[e] == 1 && last_err_ptr == (uintptr_t)p; }
/* Damage planted in a cache is found by the call that meets it; at level 4
 * the full check on entry finds it first: XALLOC_E_CORRUPT, and the call
 * does nothing. */
#define FOUND(e, p) (XALLOC_DEBUG >= 4 ? only(XALLOC_E_CORRUPT, NULL) : only((e), (p)))

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
#define UNPOISON(p, n) VALGRIND_MAKE_MEM_DEFINED((p), (n))
#endif
static void scribble(unsigned char *p, size_t n) { UNPOISON(p, n); while (n--) *p++ = (unsigned char)xt_rand(); }

static void fill(void *p, size_t n, unsigned seed) { unsigned char *c = p; size_t i; for (i = 0; i < n; i++) c[i] = (unsigned char)(seed * 131u + i * 7u); }
static bool intact(const void *p, size_t n, unsigned seed) { const unsigned char *c = p; size_t i; for (i = 0; i < n; i++) if (c[i] != (unsigned char)(seed * 131u + i * 7u)) return false; return true; }

/* ---- page sources ------------------------------------------------------------ */
static xslab_pages region_pages;
/* A region of `bytes` (at `offset` from a 4096-aligned start) in pages of `page`. */
static xslab_pages *region_source(size_t bytes, size_t offset, size_t page)
{
    xslab_pages_desc d;
    memset(&d, 0, sizeof d);
    d.hooks.error = on_error;
    d.page_size = page;
    scribble(region_store, sizeof region_store);
    clear_errs();
    return xslab_pages_init(&region_pages, region_store + offset, bytes, &d);
}

/* Callbacks over aligned_alloc: every slab out is recorded. */
typedef struct cb_slab { unsigned char *p, *raw; size_t size; } cb_slab;
static cb_slab cb_out[1 << 14];
static size_t cb_n, cb_gets, cb_puts, cb_fails, cb_bad_puts;
static long cb_fail_after = -1;   /* fail every get once this many succeeded (-1: never) */
static unsigned cb_fail_one_in;   /* fail one get in this many at random (0: never)      */
static int cb_misalign;           /* hand out memory off by 64 bytes                     */
static void *cb_get(void *user, size_t size, size_t align)
{
    unsigned char *raw, *p;
    (void)user;
    if ((cb_fail_after >= 0 && (long)cb_gets >= cb_fail_after) || (cb_fail_one_in && xt_below(cb_fail_one_in) == 0) ||
        cb_n == sizeof cb_out / sizeof cb_out[0]) {
        cb_fails++;
        return NULL;
    }
    if (posix_memalign((void **)&raw, align, size + (cb_misalign ? align : 0))) return NULL;
    p = raw + (cb_misalign ? 64 : 0);
    scribble(p, size);
    cb_out[cb_n].p = p;
    cb_out[cb_n].raw = raw;
    cb_out[cb_n++].size = size;
    cb_gets++;
    return p;
}
static void cb_put(void *user, void *ptr, size_t size)
{
    size_t i;
    (void)user;
    for (i = 0; i < cb_n; i++)
        if (cb_out[i].p == ptr) break;
    if (i == cb_n || cb_out[i].size != size) { cb_bad_puts++; return; }
    UNPOISON(ptr, size);
    free(cb_out[i].raw);
    cb_out[i] = cb_out[--cb_n];
    cb_puts++;
}
static xslab_pages cb_pages;
static xslab_pages *callback_source(size_t page)
{
    xslab_pages_desc d;
    memset(&d, 0, sizeof d);
    d.hooks.error = on_error;
    d.page_size = page;
    d.get = cb_get;
    d.put = cb_put;
    cb_fail_after = -1;
    cb_fail_one_in = 0;
    cb_misalign = 0;
    cb_gets = cb_puts = cb_fails = cb_bad_puts = 0;
    clear_errs();
    return xslab_pages_init(&cb_pages, NULL, 0, &d);
}
static bool cb_all_back(void) { return cb_n == 0 && cb_gets == cb_puts && cb_bad_puts == 0; }

static xslab_cache_desc desc_for(xslab_pages *ps, size_t size, size_t align)
{
    xslab_cache_desc d;
    memset(&d, 0, sizeof d);
    d.hooks.error = on_error;
    d.pages = ps;
    d.size = size;
    d.align = align;
    return d;
}

static bool cache_ok(xslab_cache *c)
{
    const char *why = xslab_check(c);
    if (why) fprintf(stderr, "check: %s\n", why);
    return why == NULL;
}
static bool kmem_ok(xslab_kmem *k)
{
    const char *why = xslab_kmem_check(k);
    if (why) fprintf(stderr, "kmem check: %s\n", why);
    return why == NULL;
}
static size_t slabs_out(xslab_pages *ps) { xslab_pages_stats s; xslab_pages_stats_get(ps, &s); return s.slabs_out; }

/* Bytes an object of `size` uses (no constructor), as the manual lays a
 * slot out: the object (at least a pointer), at level 3 a red zone and the
 * size word. */
static size_t slot_bytes(size_t size)
{
    size_t s = size < P ? P : size;
#if XALLOC_DEBUG >= 3
    s = ((s + XSLAB_REDZONE + 3) & ~(size_t)3) + 4;
#endif
#ifdef TEST_ASAN
    s = (s + 7) & ~(size_t)7; /* whole shadow granules under ASan */
#endif
    return s;
}
/* Bytes of free bitmap for n objects: one bit each in 32-bit words, at
 * level >= 1 only. */
#define MAP_BYTES(n) (XALLOC_DEBUG >= 1 ? ((n) + 31) / 32 * 4 : 0)
/* Under ASan or valgrind 16 bytes before the bitmap stay off limits (a
 * guard after the last object). */
#if defined(TEST_ASAN) || (defined(XALLOC_VALGRIND) && XALLOC_VALGRIND)
#define GUARD 16
#else
#define GUARD 0
#endif
/* Objects a slab of `slab` bytes holds (objects `stride` apart, the last
 * one `slot` bytes, then the bitmap and the header at the end), computed
 * here independently. */
static size_t expect_per_slab(size_t slab, size_t stride, size_t slot)
{
    size_t n = 0;
    while (n * stride + slot + MAP_BYTES(n + 1) + GUARD + HDR <= slab) n++;
    return n;
}

/* ---- page source set-up -------------------------------------------------------- */
static void test_pages_init(void)
{
    xslab_pages_desc d;
    xslab_pages_stats st;
    xslab_pages ps;
    memset(&d, 0, sizeof d);
    d.hooks.error = on_error;
    clear_errs();
    d.page_size = 3000;
    XT_CHECK(xslab_pages_init(&ps, region_store, 65536, &d) == NULL && errs[XALLOC_E_BADARG] == 1);
    d.page_size = 32;
    XT_CHECK(xslab_pages_init(&ps, region_store, 65536, &d) == NULL && errs[XALLOC_E_BADARG] == 2);
    d.page_size = 4096;
    XT_CHECK(xslab_pages_init(&ps, region_store + 1, 4096, &d) == NULL && errs[XALLOC_E_BADARG] == 3); /* no whole page */
    XT_CHECK(xslab_pages_init(&ps, NULL, 0, &d) == NULL && errs[XALLOC_E_BADARG] == 4);               /* no callbacks */
    d.get = cb_get;
    XT_CHECK(xslab_pages_init(&ps, NULL, 0, &d) == NULL && errs[XALLOC_E_BADARG] == 5);               /* only one */
    d.put = cb_put;
    XT_CHECK(xslab_pages_init(&ps, region_store, 65536, &d) == NULL && errs[XALLOC_E_BADARG] == 6);   /* both kinds */
    XT_CHECK(xslab_pages_init(&ps, NULL, 0, &d) == &ps && total_errs() == 6);
    /* a region at an odd start: the pages are the whole aligned ones inside */
    XT_CHECK(xslab_pages_init(&ps, region_store + 100, 5 * 4096, NULL) == &ps);
    xslab_pages_stats_get(&ps, &st);
    XT_CHECK(st.page_size == XSLAB_PAGE_SIZE && st.pages == 4 && st.slabs_out == 0 && st.gets == 0);
    XT_CHECK(xslab_pages_init(&ps, region_store, 5 * 4096, NULL) == &ps);
    xslab_pages_stats_get(&ps, &st);
    XT_CHECK(st.pages == 5);
}

/* ---- cache set-up ---------------------------------------------------------------- */
static void test_cache_init_rejects(void)
{
    xslab_pages *ps = region_source(64 * 1024, 0, 4096);
    xslab_cache c;
    xslab_cache_desc d = desc_for(ps, 24, 0);
    int n = 0;
#define REJECT(stmt) do { xslab_cache_desc d2 = d; stmt; clear_errs(); \
        XT_CHECK(xslab_cache_init(&c, &d2) == NULL && only(XALLOC_E_BADARG, &c)); n++; } while (0)
    REJECT(d2.pages = NULL);
    REJECT(d2.size = 0);
    REJECT(d2.size = (size_t)1 << 31);
    REJECT(d2.size = 4096);                 /* no room for the header */
    REJECT(d2.align = 3);
    REJECT(d2.align = 8192);                /* larger than the slab */
    REJECT(d2.slab_size = 8192);            /* a region's slab is its page */
    REJECT(d2.slab_size = 1000);
    XT_CHECK(xslab_cache_init(NULL, &d) == NULL);
    XT_CHECK(xslab_cache_init(&c, NULL) == NULL);
    ps = callback_source(4096);
    d = desc_for(ps, 24, 0);
    REJECT(d2.slab_size = 2048);            /* below the page size */
    REJECT(d2.slab_size = (size_t)1 << 31);
    XT_CHECK(n == 10);
    XT_CHECK(cb_gets == 0);                 /* init takes no slab */
    clear_errs();
    d.slab_size = 4096;
    XT_CHECK(xslab_cache_init(&c, &d) == &c && total_errs() == 0);
    d.slab_size = (size_t)1 << 30; /* 44 M objects of 24 bytes in one slab */
    XT_CHECK(xslab_cache_init(&c, &d) == &c && total_errs() == 0);
#undef REJECT
}

/* Objects of many sizes, 1 byte to nearly a whole slab: alignment, no
 * overlap (every pattern intact after all are written), the slabinfo
 * numbers, and every slab back at the end. */
static void sizes_on(xslab_pages *ps, size_t slab, bool region)
{
    static const size_t sizes[] = { 1, 2, 3, 7, 8, 9, 12, 15, 16, 17, 24, 31, 33, 40, 63, 64, 65, 100, 127, 128,
                                    129, 255, 256, 500, 1000, 1500, 2000, 2047, 2048, 2049, 3000, 3900 };
    enum { MAXOBJ = 3000 };
    static unsigned char *p[MAXOBJ];
    size_t si, i;
    /* level 4 checks the whole cache on every call: every third size */
    for (si = 0; si < sizeof sizes / sizeof sizes[0]; si += XALLOC_DEBUG >= 4 ? 3 : 1) {
        size_t size = sizes[si], align, want, got = 0, s;
        xslab_cache c;
        xslab_cache_desc d = desc_for(ps, size, 0);
        xslab_stats st;
        bool bad = false;
        d.slab_size = slab;
        clear_errs();
        if (!xslab_cache_init(&c, &d)) { XT_CHECK_MSG(0, "size %zu rejected", size); continue; }
        xslab_stats_get(&c, &st);
        align = size & (0 - size);
        if (align > 2 * P) align = 2 * P;
        XT_CHECK(st.align == align && st.objsize == size && st.slab_size == slab);
        s = (slot_bytes(size) + (align > P ? align : P) - 1) & ~((align > P ? align : P) - 1);
        XT_CHECK_MSG(st.stride == s && st.objperslab == expect_per_slab(slab, s, slot_bytes(size)), "size %zu stride %zu per slab %zu", size, st.stride, st.objperslab);
        want = st.objperslab * 3 + 1 < MAXOBJ ? st.objperslab * 3 + 1 : MAXOBJ; /* at least 3 slabs */
        for (i = 0; i < want; i++) {
            if ((p[i] = xslab_alloc(&c)) == NULL) break;
            got++;
            if ((uintptr_t)p[i] & (align - 1)) bad = true;
            fill(p[i], size, (unsigned)i);
        }
        XT_CHECK_MSG(got == want, "size %zu: %zu of %zu", size, got, want);
        for (i = 0; i < got; i++) if (!intact(p[i], size, (unsigned)i)) bad = true;
        XT_CHECK_MSG(!bad, "size %zu", size);
        xslab_stats_get(&c, &st);
        XT_CHECK(st.active_objs == got && st.num_slabs == (got + st.objperslab - 1) / st.objperslab);
        XT_CHECK(st.num_objs == st.num_slabs * st.objperslab && st.active_slabs == st.num_slabs);
        XT_CHECK(cache_ok(&c));
        for (i = 0; i < got; i++) { /* free in a random order */
            size_t j = i + xt_below(got - i);
            unsigned char *t = p[i]; p[i] = p[j]; p[j] = t;
            xslab_free(&c, p[i]);
        }
        XT_CHECK(cache_ok(&c));
        xslab_stats_get(&c, &st);
        XT_CHECK(st.active_objs == 0 && st.active_slabs == 0 && st.num_slabs <= XSLAB_KEEP_EMPTY + 1);
        XT_CHECK(xslab_shrink(&c) == st.num_slabs);
        XT_CHECK(slabs_out(ps) == 0);
        XT_CHECK(total_errs() == 0);
    }
    if (!region) XT_CHECK(cb_all_back());
}

static void test_object_sizes(void)
{
    sizes_on(region_source(REGION, 0, 4096), 4096, true);
    sizes_on(callback_source(4096), 4096, false);
    if (XALLOC_DEBUG < 4) sizes_on(callback_source(4096), 65536, false);
}

/* The largest object a 4096-byte slab takes, and one byte more. */
static void test_largest_object(void)
{
    xslab_pages *ps = region_source(64 * 1024, 0, 4096);
    /* the object and (level 3) 8 bytes of red zone and the size word
     * (under ASan: rounded up to whole granules), then the one-word bitmap
     * and the header */
    size_t max = 4096 - HDR - MAP_BYTES(1) - (XALLOC_DEBUG >= 3 ? 12 : 0), size;
    while (slot_bytes(max) + MAP_BYTES(1) + GUARD + HDR > 4096) max--;
    xslab_cache c;
    xslab_cache_desc d;
    unsigned char *a, *b;
    for (size = max - 8; size <= max + 8; size++) {
        d = desc_for(ps, size, 1);
        clear_errs();
        if (size <= max) {
            XT_CHECK_MSG(xslab_cache_init(&c, &d) == &c, "size %zu", size);
            a = xslab_alloc(&c);
            b = xslab_alloc(&c);
            XT_CHECK(a && b && ((uintptr_t)a & 4095) == 0 && ((uintptr_t)b & 4095) == 0); /* one per slab */
            fill(a, size, 1);
            fill(b, size, 2);
            XT_CHECK(intact(a, size, 1) && intact(b, size, 2) && cache_ok(&c));
            xslab_free(&c, a);
            xslab_free(&c, b);
            XT_CHECK(xslab_cache_destroy(&c) == 0 && slabs_out(ps) == 0);
        } else {
            XT_CHECK_MSG(xslab_cache_init(&c, &d) == NULL && errs[XALLOC_E_BADARG] == 1, "size %zu", size);
        }
    }
}

/* Alignments from 1 to the slab size. */
static void test_alignments(void)
{
    size_t align, slab = 4096, i;
    xslab_pages *ps = region_source(REGION, 0, slab);
    for (align = 1; align <= slab; align <<= 1) {
        size_t sizes[3] = { 1, 24, align > 64 ? align - 8 : 100 };
        int k;
        for (k = 0; k < 3; k++) {
            xslab_cache c;
            xslab_cache_desc d = desc_for(ps, sizes[k], align);
            unsigned char *p[40];
            bool bad = false;
            size_t got = 0;
            if (align == slab && sizes[k] > slab - HDR - 4 - 16) continue;
            clear_errs();
            XT_CHECK_MSG(xslab_cache_init(&c, &d) == &c, "align %zu size %zu", align, sizes[k]);
            for (i = 0; i < 40 && (p[i] = xslab_alloc(&c)) != NULL; i++, got++) {
                if ((uintptr_t)p[i] & (align - 1)) bad = true;
                fill(p[i], sizes[k], (unsigned)i);
            }
            XT_CHECK(got == 40 && !bad);
            for (i = 0; i < got; i++) { if (!intact(p[i], sizes[k], (unsigned)i)) bad = true; xslab_free(&c, p[i]); }
            XT_CHECK_MSG(!bad && cache_ok(&c), "align %zu size %zu", align, sizes[k]);
            XT_CHECK(xslab_cache_destroy(&c) == 0 && total_errs() == 0);
        }
    }
    XT_CHECK(slabs_out(ps) == 0);
    /* callbacks: the default slab grows to fit an object at a large alignment */
    ps = callback_source(4096);
    {
        xslab_cache c;
        xslab_cache_desc d = desc_for(ps, 5000, 16384);
        xslab_stats st;
        unsigned char *a, *b;
        XT_CHECK(xslab_cache_init(&c, &d) == &c);
        xslab_stats_get(&c, &st);
        XT_CHECK(st.slab_size >= 16384 && st.objperslab >= 1);
        a = xslab_alloc(&c);
        b = xslab_alloc(&c);
        XT_CHECK(a && b && !((uintptr_t)a & 16383) && !((uintptr_t)b & 16383) && a != b);
        xslab_free(&c, a);
        xslab_free(&c, b);
        XT_CHECK(xslab_cache_destroy(&c) == 0 && cb_all_back());
    }
}

/* Successive slabs start object 0 at successive colour offsets. */
static void test_colour(void)
{
    xslab_pages *ps = callback_source(4096);
    xslab_cache c;
    xslab_cache_desc d;
    xslab_stats st;
    unsigned char *first[12], *p;
    size_t i, j, leftover = 0, colours = 0, size;
    /* an object size whose slabs leave room for at least three colours */
    for (size = 150; size < 400; size++) {
        d = desc_for(ps, size, 0);
        XT_CHECK(xslab_cache_init(&c, &d) == &c);
        xslab_stats_get(&c, &st);
        leftover = 4096 - HDR - GUARD - MAP_BYTES(st.objperslab) - (st.objperslab - 1) * st.stride - slot_bytes(size);
        if (leftover >= 2 * XSLAB_COLOUR_STEP) break;
    }
    for (i = 0; i < 12; i++) {
        first[i] = xslab_alloc(&c);
        for (j = 1; j < st.objperslab; j++) (void)xslab_alloc(&c); /* fill the slab */
    }
    for (i = 0; i < 12; i++) {
        size_t off = (uintptr_t)first[i] & 4095, expect = (i * XSLAB_COLOUR_STEP) % ((leftover / XSLAB_COLOUR_STEP + 1) * XSLAB_COLOUR_STEP);
        XT_CHECK_MSG(off == expect, "slab %zu: colour %zu, expected %zu (leftover %zu)", i, off, expect, leftover);
        if (off) colours++;
    }
    XT_CHECK(leftover >= XSLAB_COLOUR_STEP && colours > 0);
    XT_CHECK(cache_ok(&c));
    {   /* check: a colour offset in range but off the step is damage */
        xslab__slab *s0 = xslab__hdr(&c, first[0]);
        const char *why;
        s0->objs += 8;
        clear_errs();
        why = xslab_check(&c);
        XT_CHECK(why && strstr(why, "colour") && only(XALLOC_E_CORRUPT, NULL));
        s0->objs -= 8;
        XT_CHECK(cache_ok(&c));
    }
    XT_CHECK(xslab_cache_destroy(&c) == 12 * st.objperslab);
    /* XSLAB_NO_COLOUR: object 0 at every slab's start */
    d.flags = XSLAB_NO_COLOUR;
    XT_CHECK(xslab_cache_init(&c, &d) == &c);
    for (i = 0; i < 5 * st.objperslab; i++) {
        p = xslab_alloc(&c);
        if (i % st.objperslab == 0) XT_CHECK(((uintptr_t)p & 4095) == 0);
    }
    XT_CHECK(xslab_cache_destroy(&c) == 5 * st.objperslab && cb_all_back());
}

/* ---- constructors and destructors ----------------------------------------------- */
static size_t ctors, dtors;
struct thing { uint32_t magic; uint32_t state[9]; };
static void thing_ctor(void *user, void *obj)
{
    struct thing *t = obj;
    size_t i;
    (void)user;
    t->magic = 0xC0FFEE;
    for (i = 0; i < 9; i++) t->state[i] = (uint32_t)i * 3u;
    ctors++;
}
static void thing_dtor(void *user, void *obj)
{
    struct thing *t = obj;
    size_t *count = user;
    if (t->magic == 0xC0FFEE) (*count)++; /* only constructed objects come here */
    t->magic = 0;
    dtors++;
}
static bool constructed(const struct thing *t)
{
    size_t i;
    if (t->magic != 0xC0FFEE) return false;
    for (i = 0; i < 9; i++) if (t->state[i] != i * 3u) return false;
    return true;
}

static void test_ctor_dtor(void)
{
    xslab_pages *ps = region_source(REGION, 0, 4096);
    xslab_cache c;
    xslab_cache_desc d = desc_for(ps, sizeof(struct thing), 0);
    xslab_stats st;
    struct thing *t[500];
    size_t i, good_dtors = 0, n;
    d.ctor = thing_ctor;
    d.dtor = thing_dtor;
    d.obj_user = &good_dtors;
    d.keep_empty = 100;
    ctors = dtors = 0;
    XT_CHECK(xslab_cache_init(&c, &d) == &c && ctors == 0);
    xslab_stats_get(&c, &st);
    n = st.objperslab;
    t[0] = xslab_alloc(&c);
    XT_CHECK(ctors == n && constructed(t[0]));          /* a whole slab at once */
    for (i = 1; i < 500; i++) { t[i] = xslab_alloc(&c); XT_CHECK(constructed(t[i])); }
    XT_CHECK(ctors == ((500 + n - 1) / n) * n && dtors == 0);
    /* objects come back constructed and stay so while cached: the link is
     * kept outside the object, even with poisoning on */
    for (i = 0; i < 500; i++) xslab_free(&c, t[i]);
    XT_CHECK(cache_ok(&c));
    for (i = 0; i < 500; i++) { t[i] = xslab_alloc(&c); XT_CHECK(constructed(t[i])); }
    XT_CHECK(ctors == ((500 + n - 1) / n) * n && dtors == 0); /* no new constructions */
    for (i = 0; i < 500; i++) xslab_free(&c, t[i]);
    xslab_stats_get(&c, &st);
    XT_CHECK(st.empty_slabs == st.num_slabs);
    XT_CHECK(xslab_shrink(&c) == st.num_slabs);
    XT_CHECK(dtors == ctors && good_dtors == dtors && slabs_out(ps) == 0);
    /* destroy: destructors for the free objects only, the live count back */
    ctors = dtors = good_dtors = 0;
    for (i = 0; i < 10; i++) t[i] = xslab_alloc(&c);
    for (i = 0; i < 4; i++) xslab_free(&c, t[i]);
    XT_CHECK(xslab_cache_destroy(&c) == 6);
    XT_CHECK(dtors == ctors - 6 && good_dtors == dtors && slabs_out(ps) == 0);
    /* the cache works again after destroy */
    t[0] = xslab_alloc(&c);
    XT_CHECK(t[0] && constructed(t[0]));
    xslab_free(&c, t[0]);
    XT_CHECK(cache_ok(&c) && xslab_cache_destroy(&c) == 0 && dtors == ctors - 6); /* the 6 dropped live ones */
}

/* ---- page sources that fail ------------------------------------------------------- */
static void test_failing_page_source(void)
{
    xslab_pages *ps = callback_source(4096);
    xslab_cache c;
    xslab_cache_desc d = desc_for(ps, 64, 0);
    xslab_stats st;
    unsigned char *p[2000];
    size_t i, n = 0;
    XT_CHECK(xslab_cache_init(&c, &d) == &c);
    cb_fail_after = 3;
    while (n < 2000 && (p[n] = xslab_alloc(&c)) != NULL) { fill(p[n], 64, (unsigned)n); n++; }
    xslab_stats_get(&c, &st);
    XT_CHECK(n == 3 * st.objperslab && st.failures == 1 && cb_fails == 1 && st.num_slabs == 3);
    XT_CHECK(xslab_alloc(&c) == NULL && cb_fails == 2);
    XT_CHECK(cache_ok(&c) && total_errs() == 0);
    for (i = 0; i < n; i++) { XT_CHECK(intact(p[i], 64, (unsigned)i)); xslab_free(&c, p[i]); }
    xslab_shrink(&c);
    XT_CHECK(cb_all_back() && slabs_out(ps) == 0);
    /* a source that always fails: nothing taken, nothing leaks */
    cb_fail_after = 0;
    XT_CHECK(xslab_alloc(&c) == NULL && cb_n == 0 && cache_ok(&c));
    cb_fail_after = -1;
#if XALLOC_DEBUG >= 1
    /* memory not aligned to the slab size: reported, handed back, NULL */
    cb_misalign = 1;
    clear_errs();
    XT_CHECK(xslab_alloc(&c) == NULL && errs[XALLOC_E_BADARG] == 1 && cb_all_back());
    XT_CHECK(cache_ok(&c) && slabs_out(ps) == 0);
    cb_misalign = 0;
#endif
    /* a region runs out: exactly its pages' worth of objects */
    ps = region_source(10 * 4096 + 100, 0, 4096);
    d = desc_for(ps, 100, 0);
    XT_CHECK(xslab_cache_init(&c, &d) == &c);
    n = 0;
    while (n < 2000 && (p[n] = xslab_alloc(&c)) != NULL) n++;
    xslab_stats_get(&c, &st);
    XT_CHECK(n == 10 * st.objperslab && st.failures == 1 && slabs_out(ps) == 10);
    for (i = 0; i < n; i++) xslab_free(&c, p[i]);
    XT_CHECK(xslab_shrink(&c) >= 1 && slabs_out(ps) == 0 && cache_ok(&c)); /* most went back on free */
}

/* ---- empty slabs: the limit and shrink ------------------------------------------ */
static void test_shrink_with_live_objects(void)
{
    xslab_pages *ps = region_source(REGION, 0, 4096);
    xslab_cache c;
    xslab_cache_desc d = desc_for(ps, 128, 0);
    xslab_stats st;
    unsigned char *p[400];
    size_t i, n, keep, empties;
    d.keep_empty = 1000;
    XT_CHECK(xslab_cache_init(&c, &d) == &c);
    for (i = 0; i < 400; i++) { p[i] = xslab_alloc(&c); fill(p[i], 128, (unsigned)i); }
    xslab_stats_get(&c, &st);
    n = st.objperslab;
    /* empty every other slab (in allocation order, the slabs are runs of n) */
    for (i = 0; i < 400; i++) if ((i / n) % 2 == 1 && i / n < 400 / n) { xslab_free(&c, p[i]); p[i] = NULL; }
    xslab_stats_get(&c, &st);
    empties = (400 / n) / 2;
    XT_CHECK(st.empty_slabs == empties && st.active_slabs == st.num_slabs - empties);
    XT_CHECK(cache_ok(&c));
    XT_CHECK(xslab_shrink(&c) == empties);
    xslab_stats_get(&c, &st);
    XT_CHECK(st.empty_slabs == 0 && slabs_out(ps) == st.num_slabs);
    for (i = 0; i < 400; i++) if (p[i]) XT_CHECK(intact(p[i], 128, (unsigned)i));
    XT_CHECK(cache_ok(&c) && xslab_shrink(&c) == 0);
    XT_CHECK(xslab_cache_destroy(&c) == st.active_objs && slabs_out(ps) == 0);
    /* keep_empty 2: no more than 2 empty slabs (and the current one) stay */
    for (keep = 0; keep <= 2; keep++) {
        d.keep_empty = (unsigned)keep;
        d.flags = keep == 0 ? XSLAB_RELEASE_EMPTY : 0;
        XT_CHECK(xslab_cache_init(&c, &d) == &c);
        for (i = 0; i < 400; i++) p[i] = xslab_alloc(&c);
        for (i = 0; i < 400; i++) xslab_free(&c, p[i]);
        xslab_stats_get(&c, &st);
        XT_CHECK_MSG(st.num_slabs == (keep ? keep : XSLAB_KEEP_EMPTY * 0) + 1 && st.empty_slabs == st.num_slabs,
                     "keep %zu: %zu slabs", keep, st.num_slabs);
        XT_CHECK(cache_ok(&c) && xslab_shrink(&c) == st.num_slabs && slabs_out(ps) == 0);
    }
}

/* ---- misuse -------------------------------------------------------------------------- */
#if XALLOC_DEBUG >= 1
struct snap { xslab_stats st; size_t out; };
static struct snap take(xslab_cache *c, xslab_pages *ps) { struct snap s; xslab_stats_get(c, &s.st); s.out = slabs_out(ps); return s; }
static bool same(const struct snap *a, const struct snap *b)
{
    return a->st.active_objs == b->st.active_objs && a->st.num_slabs == b->st.num_slabs && a->st.frees == b->st.frees &&
           a->st.allocs == b->st.allocs && a->st.empty_slabs == b->st.empty_slabs && a->out == b->out;
}
#endif

static void test_misuse(void)
{
#if XALLOC_DEBUG >= 1
    xslab_pages *ps = region_source(REGION, 0, 4096);
    xslab_cache c, other;
    xslab_cache_desc d = desc_for(ps, 48, 0);
    unsigned char *p[300], *q, *gone;
    struct snap before, after;
    size_t i, stride;
    int local;
    XT_CHECK(xslab_cache_init(&c, &d) == &c && xslab_cache_init(&other, &d) == &other);
    for (i = 0; i < 300; i++) { p[i] = xslab_alloc(&c); fill(p[i], 48, (unsigned)i); }
    stride = (size_t)(p[1] - p[0]);
    q = xslab_alloc(&other);
    {   /* a slab given back: pointers into it are stale */
        xslab_cache tmp;
        unsigned char *t;
        XT_CHECK(xslab_cache_init(&tmp, &d) == &tmp);
        t = xslab_alloc(&tmp);
        xslab_free(&tmp, t);
        XT_CHECK(xslab_shrink(&tmp) == 1);
        gone = t;
    }
    xslab_free(&c, p[10]);
    before = take(&c, ps);
#define MISUSE(call, err, ptr) do { clear_errs(); call; after = take(&c, ps); \
        XT_CHECK_MSG(only(err, ptr), "%s: %d errors", #call, total_errs()); XT_CHECK(same(&before, &after)); } while (0)
    MISUSE(xslab_free(&c, p[10]), XALLOC_E_DOUBLE_FREE, p[10]);
    MISUSE(xslab_free(&c, p[11] + 1), XALLOC_E_NOT_BLOCK, p[11] + 1);
    MISUSE(xslab_free(&c, p[11] + stride / 2), XALLOC_E_NOT_BLOCK, p[11] + stride / 2);
    MISUSE(xslab_free(&c, p[11] + stride - 1), XALLOC_E_NOT_BLOCK, p[11] + stride - 1);
    MISUSE(xslab_free(&c, p[10] + 8), XALLOC_E_NOT_BLOCK, p[10] + 8); /* inside a free object */
    MISUSE(xslab_free(&c, q), XALLOC_E_FOREIGN, q);                     /* another cache's */
    MISUSE(xslab_free(&c, &local), XALLOC_E_FOREIGN, &local);           /* outside the region */
    MISUSE(xslab_free(&c, gone), XALLOC_E_FOREIGN, gone);               /* a slab given back */
    MISUSE(xslab_free(&c, region_store + REGION - 10), XALLOC_E_FOREIGN, region_store + REGION - 10); /* never a slab */
    {   /* the slab's header and bitmap, the slack before them */
        unsigned char *hdr = (unsigned char *)((uintptr_t)p[0] | 4095) - HDR + 1;
        MISUSE(xslab_free(&c, hdr), XALLOC_E_NOT_BLOCK, hdr);
        MISUSE(xslab_free(&c, hdr - 4), XALLOC_E_NOT_BLOCK, hdr - 4);
    }
    MISUSE(xslab_free(&c, ((unsigned char *)((uintptr_t)p[0] & ~(uintptr_t)4095)) + 4096 - HDR - 40),
           XALLOC_E_NOT_BLOCK, ((unsigned char *)((uintptr_t)p[0] & ~(uintptr_t)4095)) + 4096 - HDR - 40);
    clear_errs();
    xslab_free(&c, NULL); /* no-op */
    XT_CHECK(total_errs() == 0);
    XT_CHECK(cache_ok(&c) && cache_ok(&other));
    for (i = 0; i < 300; i++) if (i != 10) XT_CHECK(intact(p[i], 48, (unsigned)i));
#if XALLOC_DEBUG >= 3
    /* red zone: one byte past the object */
    UNPOISON(p[20] + 48, XSLAB_REDZONE); /* under ASan the red zone is off limits: the write itself would be caught */
    p[20][48] ^= 0x55;
    clear_errs();
    xslab_free(&c, p[20]);
    after = take(&c, ps);
    XT_CHECK(FOUND(XALLOC_E_OVERRUN, p[20]) && same(&before, &after));
    XT_CHECK(xslab_check(&c) != NULL); /* check sees it too */
    UNPOISON(p[20] + 48, XSLAB_REDZONE);
    p[20][48] ^= 0x55;
    XT_CHECK(cache_ok(&c));
    clear_errs();
    xslab_free(&c, p[20]);
    XT_CHECK(total_errs() == 0);
    p[20] = xslab_alloc(&c);
    fill(p[20], 48, 20);
    before = take(&c, ps);
    /* the far end of the red zone */
    UNPOISON(p[21] + 48, XSLAB_REDZONE);
    p[21][48 + XSLAB_REDZONE - 1] ^= 1;
    clear_errs();
    xslab_free(&c, p[21]);
    after = take(&c, ps);
    XT_CHECK(FOUND(XALLOC_E_OVERRUN, p[21]) && same(&before, &after));
    UNPOISON(p[21] + 48, XSLAB_REDZONE);
    p[21][48 + XSLAB_REDZONE - 1] ^= 1;
#endif
    for (i = 0; i < 300; i++) if (i != 10) XT_CHECK(intact(p[i], 48, (unsigned)i));
    XT_CHECK(cache_ok(&c));
#undef MISUSE
#endif
}

/* Double frees are caught wherever the object waits: in the magazine (the
 * last frees) and on its slab's free list (older ones, moved there when the
 * magazine filled up); a full magazine empties into the slabs. */
static void test_double_free_everywhere(void)
{
#if XALLOC_DEBUG >= 1
    xslab_pages *ps = region_source(REGION, 0, 4096);
    xslab_cache c;
    xslab_cache_desc d = desc_for(ps, 64, 0);
    unsigned char *p[100];
    xslab_stats st;
    size_t i;
    XT_CHECK(xslab_cache_init(&c, &d) == &c);
    for (i = 0; i < 100; i++) p[i] = xslab_alloc(&c);
    for (i = 0; i < 60; i++) xslab_free(&c, p[i]); /* the magazine fills and empties */
    XT_CHECK(cache_ok(&c));
    for (i = 0; i < 60; i++) {
        clear_errs();
        xslab_free(&c, p[i]);
        XT_CHECK_MSG(only(XALLOC_E_DOUBLE_FREE, p[i]), "object %zu", i);
    }
    XT_CHECK(cache_ok(&c));
    xslab_stats_get(&c, &st);
    XT_CHECK(st.active_objs == 40 && st.frees == 60);
    /* the last freed comes back first, without touching a slab */
    xslab_free(&c, p[99]);
    XT_CHECK(xslab_alloc(&c) == p[99]);
    for (i = 60; i < 100; i++) xslab_free(&c, p[i]);
    XT_CHECK(cache_ok(&c) && xslab_cache_destroy(&c) == 0 && slabs_out(ps) == 0);
#endif
}

/* A free object's link overwritten: reported when the list reaches it, the
 * list rebuilt from the bitmap, no live object handed out twice. */
static void test_link_overwritten(void)
{
#if XALLOC_DEBUG >= 1
    xslab_pages *ps = region_source(REGION, 0, 4096);
    xslab_cache c;
    xslab_cache_desc d = desc_for(ps, 32, 0);
    unsigned char *p[40], *a, *b, *seen[40];
    size_t i, j, nseen = 0;
    bool dup = false;
    int round;
    for (round = 0; round < 3; round++) {
        XT_CHECK(xslab_cache_init(&c, &d) == &c);
        for (i = 0; i < 40; i++) { p[i] = xslab_alloc(&c); fill(p[i], 32, (unsigned)i); }
        xslab_free(&c, p[5]);
        xslab_free(&c, p[7]);
        XT_CHECK(xslab_shrink(&c) == 0); /* out of the magazine: the list is 7 -> 5 -> ... */
        UNPOISON(p[7], P);
        /* the link of 7 now points at a live object, into the middle of one, or far away */
        if (round == 0) *(unsigned char **)(void *)p[7] = p[8];
        if (round == 1) *(unsigned char **)(void *)p[7] = p[8] + 3;
        if (round == 2) *(uintptr_t *)(void *)p[7] = (uintptr_t)0x1234;
        clear_errs();
#if XALLOC_DEBUG >= 4
        XT_CHECK(xslab_alloc(&c) == NULL && FOUND(0, 0));
        UNPOISON(p[7], P);
        *(unsigned char **)(void *)p[7] = p[5]; /* undone */
        XT_CHECK(cache_ok(&c));
        xslab_cache_destroy(&c);
        continue;
#endif
        a = xslab_alloc(&c); /* 7 itself is still a fine object */
        b = xslab_alloc(&c); /* its link is not */
        XT_CHECK(a == p[7] && errs[XALLOC_E_USE_AFTER_FREE] == 1 && total_errs() == 1);
        XT_CHECK(b == p[5]); /* rebuilt list, lowest address first: 5 */
        for (i = 0; i < 40; i++) if (i != 5 && i != 7) XT_CHECK(intact(p[i], 32, (unsigned)i));
        XT_CHECK(cache_ok(&c));
        /* everything else handed out is distinct from the live ones */
        for (nseen = 0; nseen < 20; nseen++) {
            seen[nseen] = xslab_alloc(&c);
            for (j = 0; j < 40; j++) if (seen[nseen] == p[j] && j != 5 && j != 7) dup = true;
            for (j = 0; j < nseen; j++) if (seen[j] == seen[nseen]) dup = true;
        }
        XT_CHECK(!dup && cache_ok(&c));
        xslab_cache_destroy(&c);
    }
    XT_CHECK(slabs_out(ps) == 0);
    /* the last free object's NULL link overwritten in a full slab */
    XT_CHECK(xslab_cache_init(&c, &d) == &c);
    {
        xslab_stats st;
        size_t n;
        unsigned char *all[200];
        xslab_stats_get(&c, &st);
        n = st.objperslab;
        for (i = 0; i < n - 1; i++) all[i] = xslab_alloc(&c);
        all[n - 1] = xslab_alloc(&c);       /* the slab is full now */
        xslab_free(&c, all[n - 1]);
        xslab_shrink(&c);                   /* onto the slab's list, its link NULL */
        UNPOISON(all[n - 1], P);
        *(uintptr_t *)(void *)all[n - 1] = (uintptr_t)0x40; /* was NULL */
        clear_errs();
#if XALLOC_DEBUG >= 4
        XT_CHECK(xslab_alloc(&c) == NULL && FOUND(0, 0));
        UNPOISON(all[n - 1], P);
        *(uintptr_t *)(void *)all[n - 1] = 0;
        XT_CHECK(cache_ok(&c));
#endif
        a = xslab_alloc(&c);
        b = xslab_alloc(&c);                /* garbage link in a full slab: a new slab */
        XT_CHECK(a == all[n - 1] && b && errs[XALLOC_E_USE_AFTER_FREE] == (XALLOC_DEBUG >= 4 ? 0 : 1));
        XT_CHECK(((uintptr_t)b & ~(uintptr_t)4095) != ((uintptr_t)a & ~(uintptr_t)4095));
        XT_CHECK(cache_ok(&c));
        xslab_cache_destroy(&c);
    }
#endif
}

/* Level 2: free objects carry poison; a write is found when handed out. */
static void test_poison(void)
{
#if XALLOC_DEBUG >= 2
    xslab_pages *ps = region_source(REGION, 0, 4096);
    xslab_cache c;
    xslab_cache_desc d = desc_for(ps, 64, 0);
    unsigned char *p, *q;
    size_t i;
    bool poisoned = true;
    XT_CHECK(xslab_cache_init(&c, &d) == &c);
    p = xslab_alloc(&c);
    UNPOISON(p, 64); /* valgrind: a new object's bytes count as undefined */
    for (i = P; i < 64; i++) if (p[i] != XSLAB_POISON_BYTE) poisoned = false; /* a fresh slab is poisoned */
    XT_CHECK(poisoned);
    fill(p, 64, 1);
    xslab_free(&c, p);
    UNPOISON(p, 64);
    for (i = P; i < 64; i++) if (p[i] != XSLAB_POISON_BYTE) poisoned = false;
    XT_CHECK(poisoned);
    p[40] = 0; /* write after free */
    XT_CHECK(xslab_check(&c) != NULL);
    clear_errs();
#if XALLOC_DEBUG >= 4
    XT_CHECK(xslab_alloc(&c) == NULL && FOUND(0, 0));
    UNPOISON(p, 64);
    p[40] = XSLAB_POISON_BYTE;
    XT_CHECK(cache_ok(&c));
    UNPOISON(p, 64);
    p[40] = 0;
    clear_errs();
#define xslab_alloc(c) (clear_errs(), UNPOISON(p, 64), p[40] = XSLAB_POISON_BYTE, xslab_alloc(c)) /* level 4 sees it first */
#endif
    q = xslab_alloc(&c);
    XT_CHECK(q == p && (XALLOC_DEBUG >= 4 ? total_errs() == 0 : only(XALLOC_E_USE_AFTER_FREE, p)));
#undef xslab_alloc
    XT_CHECK(cache_ok(&c)); /* live now: its bytes are the caller's */
    xslab_free(&c, q);
    XT_CHECK(cache_ok(&c));
    xslab_cache_destroy(&c);
#endif
}

/* ---- kmalloc ------------------------------------------------------------------------- */
static unsigned char kmem_mem[1 << 16] __attribute__((aligned(16)));
static xslab_kmem *make_kmem(xslab_pages *ps, size_t min, size_t max, size_t slab)
{
    xslab_kmem_desc d;
    size_t need;
    memset(&d, 0, sizeof d);
    d.hooks.error = on_error;
    d.pages = ps;
    d.min_size = min;
    d.max_size = max;
    d.slab_size = slab;
    need = xslab_kmem_size(&d);
    if (!need || need > sizeof kmem_mem) return NULL;
    return xslab_kmem_init(kmem_mem, need, &d);
}
static size_t class_above(size_t s) /* the reference class list */
{
    size_t c = 8;
    while (c < s) c = (c & (c - 1)) ? (c / 3) * 4 : (c >= 16 ? c + c / 2 : c * 2);
    return c;
}

static void test_kmem_init(void)
{
    xslab_pages *ps = region_source(REGION, 0, 4096);
    xslab_kmem_desc d;
    xslab_kmem *k;
    memset(&d, 0, sizeof d);
    d.hooks.error = on_error;
    clear_errs();
    XT_CHECK(xslab_kmem_size(&d) == 0 && xslab_kmem_init(kmem_mem, sizeof kmem_mem, &d) == NULL && errs[XALLOC_E_BADARG] == 1);
    d.pages = ps;
    d.min_size = 32;
    XT_CHECK(xslab_kmem_size(&d) == 0 && xslab_kmem_init(kmem_mem, sizeof kmem_mem, &d) == NULL && errs[XALLOC_E_BADARG] == 2);
    d.min_size = 0;
    d.max_size = 8192; /* larger than a region page */
    XT_CHECK(xslab_kmem_size(&d) == 0 && xslab_kmem_init(kmem_mem, sizeof kmem_mem, &d) == NULL && errs[XALLOC_E_BADARG] == 3);
    d.max_size = 0;
    d.slab_size = 8192;
    XT_CHECK(xslab_kmem_size(&d) == 0 && errs[XALLOC_E_BADARG] == 3);
    d.slab_size = 0;
    XT_CHECK(xslab_kmem_size(&d) > sizeof(xslab_cache) * 10);
    XT_CHECK(xslab_kmem_init(kmem_mem, xslab_kmem_size(&d) - 1, &d) == NULL && errs[XALLOC_E_BADARG] == 4);
    k = xslab_kmem_init(kmem_mem + 3, xslab_kmem_size(&d), &d); /* any start */
    XT_CHECK(k != NULL && total_errs() == 4);
    /* defaults: 8 .. 1024 bytes, a region page each */
    XT_CHECK(k && xslab_kmem_classes(k) == 14);
    if (k) {
        xslab_stats st;
        XT_CHECK(xslab_kmem_stats_get(k, 0, &st) && st.objsize == 8 && st.slab_size == 4096);
        XT_CHECK(xslab_kmem_stats_get(k, 13, &st) && st.objsize == 1024 && strcmp(st.name, "kmalloc-1024") == 0);
        XT_CHECK(!xslab_kmem_stats_get(k, 14, &st));
    }
    /* callbacks: the slab size follows the largest class */
    ps = callback_source(4096);
    k = make_kmem(ps, 16, 4096, 0);
    XT_CHECK(k != NULL);
    if (k) {
        xslab_stats st;
        XT_CHECK(xslab_kmem_stats_get(k, 0, &st) && st.objsize == 16);
        XT_CHECK(xslab_kmem_stats_get(k, xslab_kmem_classes(k) - 1, &st) && st.objsize == 4096 && st.objperslab >= XSLAB_MIN_OBJECTS);
    }
}

/* Every size from 0 to the limit: the smallest class that holds it, its
 * alignment, ksize; above the limit NULL without an error. */
static void test_kmalloc_classes(void)
{
    xslab_pages *ps = callback_source(4096);
    xslab_kmem *k = make_kmem(ps, 0, 4096, 0);
    size_t s, i, ncls, step = XALLOC_DEBUG >= 4 ? 61 : 1;
    bool bad = false;
    XT_CHECK(k != NULL);
    if (!k) return;
    ncls = xslab_kmem_classes(k);
    for (s = 8, i = 0; i < ncls; i++, s = class_above(s + 1)) { /* 8, 16, 24, 32, 48, ..., 4096 */
        xslab_stats st;
        XT_CHECK(xslab_kmem_stats_get(k, i, &st) && st.objsize == s);
    }
    XT_CHECK(ncls == 18 && s == 6144);
    for (s = 0; s <= 4096 + 8; s += step) {
        unsigned char *p = xslab_kmalloc(k, s);
        size_t cls = class_above(s ? s : 1), a = cls & (0 - cls);
        if (s > 4096) { if (p) bad = true; continue; }
        if (!p) { bad = true; continue; }
        if ((uintptr_t)p & (a - 1)) bad = true;
        if (xslab_ksize(k, p) != (XALLOC_DEBUG >= 3 ? s : cls)) bad = true;
        fill(p, s, (unsigned)s);
        for (i = 0; i < ncls; i++) {
            xslab_stats st;
            xslab_kmem_stats_get(k, i, &st);
            if ((st.active_objs == 1) != (st.objsize == cls)) bad = true;
        }
        if (!intact(p, s, (unsigned)s)) bad = true;
        xslab_kfree(k, p);
        if (bad) { fprintf(stderr, "size %zu\n", s); break; }
    }
    XT_CHECK(!bad && total_errs() == 0);
    XT_CHECK(xslab_kmalloc(k, SIZE_MAX) == NULL && xslab_kmalloc(k, SIZE_MAX / 2) == NULL && total_errs() == 0);
    XT_CHECK(xslab_kcalloc(k, SIZE_MAX / 2, 4) == NULL && xslab_kcalloc(k, 65536, 65536) == NULL);
    XT_CHECK(xslab_kcalloc(k, 1u << 16, 1u << 14) == NULL && xslab_kcalloc(k, 4097, 1) == NULL);
    {   /* kcalloc zeroes (the memory was dirty) */
        unsigned char *p = xslab_kmalloc(k, 500), *q;
        bool zero = true;
        memset(p, 0xEE, 500);
        xslab_kfree(k, p);
        q = xslab_kcalloc(k, 25, 20);
        for (i = 0; i < 500; i++) if (q[i]) zero = false;
        XT_CHECK(q == p && zero);
        xslab_kfree(k, q);
        q = xslab_kcalloc(k, 0, 20);
        XT_CHECK(q != NULL);
        xslab_kfree(k, q);
    }
    XT_CHECK(kmem_ok(k));
    XT_CHECK(xslab_kmem_shrink(k) > 0 && cb_all_back());
}

static void test_krealloc(void)
{
    xslab_pages *ps = callback_source(4096);
    xslab_kmem *k = make_kmem(ps, 16, 2048, 0);
    unsigned char *p, *q, *r;
    size_t s, prev;
    XT_CHECK(k != NULL);
    if (!k) return;
    /* NULL: kmalloc; grow through every class keeping the bytes */
    p = xslab_krealloc(k, NULL, 10);
    fill(p, 10, 7);
    for (prev = 10, s = 11; s <= 2048; prev = s, s += 1 + s / 7) {
        q = xslab_krealloc(k, p, s);
        XT_CHECK(q != NULL && intact(q, prev, 7));
        if (class_above(s) == class_above(prev)) XT_CHECK(q == p); /* same class: in place */
        p = q;
        fill(p, s, 7);
    }
    /* shrink to a smaller class moves; keeps the prefix */
    q = xslab_krealloc(k, p, 100);
    XT_CHECK(q != p && intact(q, 100, 7) && xslab_ksize(k, q) == (XALLOC_DEBUG >= 3 ? 100 : 128));
    p = q;
    /* within the class: in place, ksize follows at level 3 */
    q = xslab_krealloc(k, p, 120);
    XT_CHECK(q == p && xslab_ksize(k, q) == (XALLOC_DEBUG >= 3 ? 120 : 128));
    /* too large: NULL, p intact and still live */
    q = xslab_krealloc(k, p, 5000);
    XT_CHECK(q == NULL && intact(p, 100, 7) && total_errs() == 0);
    /* grow while the page source fails: NULL, p intact */
    xslab_kmem_shrink(k);
    cb_fail_after = 0;
    q = xslab_krealloc(k, p, 1500);
    XT_CHECK(q == NULL && intact(p, 100, 7));
    /* shrink while the smaller class cannot get a slab: in place */
    q = xslab_krealloc(k, p, 20);
    XT_CHECK(q == p && intact(p, 20, 7));
    cb_fail_after = -1;
    /* size 0 frees */
    r = xslab_kmalloc(k, 64);
    XT_CHECK(xslab_krealloc(k, r, 0) == NULL);
#if XALLOC_DEBUG >= 1
    clear_errs();
    xslab_kfree(k, r);
    XT_CHECK(only(XALLOC_E_DOUBLE_FREE, r));
    clear_errs();
    XT_CHECK(xslab_krealloc(k, p + 1, 50) == NULL && only(XALLOC_E_NOT_BLOCK, p + 1) && intact(p, 20, 7));
#endif
    xslab_kfree(k, p);
    XT_CHECK(kmem_ok(k));
    xslab_kmem_shrink(k);
    XT_CHECK(cb_all_back());
}

static void test_kmalloc_misuse(void)
{
#if XALLOC_DEBUG >= 1
    xslab_pages *ps = region_source(REGION, 0, 4096);
    xslab_kmem *k = make_kmem(ps, 0, 1024, 0), *k2;
    static unsigned char other_mem[1 << 14];
    xslab_kmem_desc d2;
    xslab_cache c;
    xslab_cache_desc cd = desc_for(ps, 32, 0);
    unsigned char *p, *q, *o, *x;
    int local;
    XT_CHECK(k != NULL);
    if (!k) return;
    memset(&d2, 0, sizeof d2);
    d2.hooks.error = on_error;
    d2.pages = ps;
    k2 = xslab_kmem_init(other_mem, sizeof other_mem, &d2);
    XT_CHECK(k2 != NULL && xslab_cache_init(&c, &cd) == &c);
    p = xslab_kmalloc(k, 40);
    q = xslab_kmalloc(k2, 40);
    o = xslab_alloc(&c);
    x = xslab_kmalloc(k, 40);
    xslab_kfree(k, x);
    clear_errs();
    xslab_kfree(k, q);  XT_CHECK(only(XALLOC_E_FOREIGN, q));   /* another kmem's */
    clear_errs();
    xslab_kfree(k, o);  XT_CHECK(only(XALLOC_E_FOREIGN, o));   /* a plain cache's */
    clear_errs();
    xslab_kfree(k, &local);  XT_CHECK(only(XALLOC_E_FOREIGN, &local));
    clear_errs();
    xslab_kfree(k, p + 8);  XT_CHECK(only(XALLOC_E_NOT_BLOCK, p + 8));
    clear_errs();
    xslab_kfree(k, x);  XT_CHECK(only(XALLOC_E_DOUBLE_FREE, x));
    clear_errs();
    xslab_free(&c, p);  XT_CHECK(only(XALLOC_E_FOREIGN, p));   /* kmalloc memory to a cache */
    clear_errs();
    XT_CHECK(xslab_ksize(k, q) == 0 && only(XALLOC_E_FOREIGN, q));
#if XALLOC_DEBUG >= 3
    /* the red zone starts at the request, not at the class size */
    UNPOISON(p + 40, 1);
    p[40] = 0;
    clear_errs();
    xslab_kfree(k, p);
    XT_CHECK(FOUND(XALLOC_E_OVERRUN, p));
    UNPOISON(p + 40, 1);
    p[40] = XSLAB_REDZONE_BYTE;
#endif
    XT_CHECK(kmem_ok(k) && kmem_ok(k2) && cache_ok(&c));
    clear_errs();
    xslab_kfree(k, p);
    xslab_kfree(k2, q);
    xslab_free(&c, o);
    XT_CHECK(total_errs() == 0);
    XT_CHECK(xslab_kmem_destroy(k) == 0 && xslab_kmem_destroy(k2) == 0 && xslab_cache_destroy(&c) == 0);
    XT_CHECK(slabs_out(ps) == 0);
#endif
}

/* Every object start of every slab size is accepted, every other byte
 * refused: the reciprocal index is exact. */
/* xslab_check finds each invariant broken: damage planted in the cache's
 * record, its slab headers, bitmaps, free lists and magazine (this file
 * includes the implementation, so the private structures are at hand),
 * each found and named by check, then undone and the cache whole again.
 * The slabs: one kept empty, one partial, one full, the current one
 * (full); and (with a magazine) the first two objects of the full slab in
 * the magazine. */
static int damage_found;
#define DAMAGE(plant, undo, words) do { \
        const char *why_; plant; clear_errs(); why_ = xslab_check(&c); \
        XT_CHECK_MSG(why_ && strstr(why_, (words)) && only(XALLOC_E_CORRUPT, NULL), "%s: %s", #plant, why_ ? why_ : "not found"); \
        damage_found += why_ != NULL; undo; XT_CHECK(cache_ok(&c)); } while (0)
static void test_check_finds_damage(void)
{
    static unsigned char fake_store[3 * 4096] __attribute__((aligned(4096)));
    xslab_pages *ps = region_source(REGION, 0, 4096);
    xslab_cache c, c2;
    xslab_cache_desc d = desc_for(ps, 64, 0);
    xslab__slab *e, *pa, *fu, *cu, *fake;
    unsigned char *p[400], *q, *t;
    size_t n, i, grows;
    uint32_t w;
    XT_CHECK(xslab_cache_init(&c, &d) == &c && xslab_cache_init(&c2, &d) == &c2);
    n = c.n;
    XT_CHECK(4 * n <= 400);
    for (i = 0; i < 4 * n; i++) p[i] = xslab_alloc(&c);
    for (i = 0; i < n; i++) xslab_free(&c, p[i]);             /* slab 1: empty, kept */
    for (i = n; i < n + n / 2; i++) xslab_free(&c, p[i]);     /* slab 2: partial */
    (void)xslab_check(&c);
    {   xslab_stats st; xslab_stats_get(&c, &st); }            /* the magazine emptied into the slabs */
    if (XSLAB_MAGAZINE > 0) {                                  /* slab 3 stays full: */
        xslab_free(&c, p[2 * n]);                              /* two in the magazine */
        xslab_free(&c, p[2 * n + 1]);
    }
    q = xslab_alloc(&c2);
    e = c.empty; pa = c.partial; fu = c.full; cu = c.cur;
    XT_CHECK(e && pa && fu && cu && !e->next && !pa->next && !fu->next && cache_ok(&c));
    XT_CHECK(c.nmag == (XSLAB_MAGAZINE > 0 ? 2u : 0u));
    if (!(e && pa && fu && cu)) return;
    damage_found = 0;
    /* a slab's header */
    DAMAGE(cu->cache = &c2, cu->cache = &c, "another cache");
    fake = (xslab__slab *)(void *)(fake_store + 4096 + c.hdr_off + 64); /* a header 64 bytes off a slab's end */
    memcpy(fake, cu, sizeof *fake);
    DAMAGE(c.cur = fake, c.cur = cu, "not aligned");
    DAMAGE(cu->objs += 8, cu->objs -= 8, "colour");
    t = cu->objs;
    DAMAGE(cu->objs = (unsigned char *)cu - c.hdr_off + c.colour_max + c.colour_step, cu->objs = t, "colour");
    DAMAGE(cu->inuse = (uint32_t)n + 1, cu->inuse = (uint32_t)n, "more objects in use");
    DAMAGE(e->inuse = 1, e->inuse = 0, "wrong list");
    DAMAGE(fu->inuse = (uint32_t)n - 1, fu->inuse = (uint32_t)n, "wrong list");
    w = pa->inuse;
    DAMAGE(pa->inuse = 0, pa->inuse = w, "wrong list");
    DAMAGE(pa->inuse = (uint32_t)n, pa->inuse = w, "wrong list");
    /* its free list and bitmap */
    t = pa->free;
    DAMAGE(pa->free = t + 1, pa->free = t, "free list points outside");
    DAMAGE(pa->free = fu->objs, pa->free = t, "free list points outside");   /* into another slab */
    DAMAGE(pa->free = (unsigned char *)pa, pa->free = t, "free list points outside"); /* past the last object */
    DAMAGE(pa->inuse = w - 1, pa->inuse = w, "free list shorter");
    DAMAGE(pa->inuse = w + 1, pa->inuse = w, XALLOC_DEBUG >= 1 ? "bitmap has more free objects" : "free list longer");
#if XALLOC_DEBUG >= 1
    if (n & 31) DAMAGE(*xslab__word(fu, (uint32_t)n - 1) |= XSLAB__BIT(n), *xslab__word(fu, (uint32_t)n - 1) &= ~XSLAB__BIT(n), "past the last object");
    DAMAGE(*xslab__word(fu, (uint32_t)n - 1) |= XSLAB__BIT(n - 1), *xslab__word(fu, (uint32_t)n - 1) &= ~XSLAB__BIT(n - 1), "bitmap has more free objects");
    i = xslab__index(&c, t, pa->objs);
    DAMAGE(*xslab__word(pa, (uint32_t)i) &= ~XSLAB__BIT(i), *xslab__word(pa, (uint32_t)i) |= XSLAB__BIT(i), "bitmap says is in use");
#endif
#if XALLOC_DEBUG >= 2
    /* a free object's poison, its red zone, a live object's red zone */
    UNPOISON(t, c.cap + XSLAB_REDZONE);
    DAMAGE(t[P + 1] ^= 1, t[P + 1] ^= 1, "poison");
#if XALLOC_DEBUG >= 3
    DAMAGE(t[c.cap] ^= 1, t[c.cap] ^= 1, "red zone after a free object");
    UNPOISON(p[3 * n] + 64, XSLAB_REDZONE);
    DAMAGE(p[3 * n][64] ^= 1, p[3 * n][64] ^= 1, "red zone after a live object");
#endif
#endif
    /* the lists and counts */
    DAMAGE(fu->prev = fu, fu->prev = NULL, "back-link");
    DAMAGE(c.cur = fu, c.cur = cu, "current slab on a list");
    grows = c.grows;
    DAMAGE(c.grows = grows - 1, c.grows = grows, "more slabs than the count");
    DAMAGE(c.grows = grows + 1, c.grows = grows, "slab count differs");
    DAMAGE(c.nempty++, c.nempty--, "empty slab count");
    DAMAGE(c.d.keep_empty = 0, c.d.keep_empty = 1, "more empty slabs kept");
    DAMAGE(c.allocs++, c.allocs--, "objects in use differ");
    /* the record the walks follow: its layout, as init computes it from
     * its object size, alignment and slab size (checked first) */
    {
        xslab_cache saved;
        memcpy(&saved, &c, sizeof saved);
#define REC(plant) DAMAGE(plant, memcpy(&c, &saved, sizeof c), "cache record damaged")
        REC(c.n++);
        REC(c.cap += 8);
        REC(c.slot += 8);
        REC(c.stride += 8);
        REC(c.link_off = 8);
        REC(c.rz_end += 4);
        REC(c.req_off += 4);
        REC(c.mask <<= 1);
        REC(c.hdr_off -= 8);
        REC(c.colour_step <<= 1);
        REC(c.d.slab_size = 3 * 4096);
        REC(c.d.slab_size <<= 1);
        REC(c.d.size = 0);
        REC(c.d.size += 64);
        REC(c.d.align = 3);
        REC(c.d.align = 0);
#if XALLOC_DEBUG >= 1
        REC(c.tshift++);
        REC(c.inv ^= 2);
#endif
#undef REC
    }
    /* the magazine */
    w = c.nmag;
    DAMAGE(c.nmag = XSLAB_MAGAZINE + 1, c.nmag = w, "magazine count");
#if XSLAB_MAGAZINE > 0
    t = c.mag[0];
    DAMAGE(c.mag[0] = t + 8, c.mag[0] = t, "no object of this cache");
    DAMAGE(c.mag[0] = q, c.mag[0] = t, "no object of this cache");                     /* another cache's */
    DAMAGE(c.mag[0] = (unsigned char *)&damage_found, c.mag[0] = t, "no object of this cache"); /* outside the region */
    DAMAGE(c.mag[1] = t, c.mag[1] = p[2 * n + 1], "twice");
#if XALLOC_DEBUG >= 1
    i = xslab__index(&c, t, fu->objs);
    DAMAGE(*xslab__word(fu, (uint32_t)i) |= XSLAB__BIT(i), *xslab__word(fu, (uint32_t)i) &= ~XSLAB__BIT(i), "on a free list");
#endif
#endif
    XT_CHECK(damage_found >= 20);
    /* all of it still works */
    for (i = n + n / 2; i < 4 * n; i++) if (XSLAB_MAGAZINE == 0 || (i != 2 * n && i != 2 * n + 1)) xslab_free(&c, p[i]);
    xslab_free(&c2, q);
    XT_CHECK(cache_ok(&c) && xslab_cache_destroy(&c) == 0 && xslab_cache_destroy(&c2) == 0 && slabs_out(ps) == 0);
}
#undef DAMAGE

/* Set-up at its edges: page sources, caches and kmem descriptions just
 * inside and just outside what is allowed. */
static void test_setup_edges(void)
{
    xslab_pages_desc pd;
    xslab_pages pg, *ps;
    xslab_kmem_desc kd;
    xslab_kmem *k;
    xslab_cache c;
    xslab_cache_desc d;
    size_t size, mismatched = 0;
    memset(&pd, 0, sizeof pd);
    pd.hooks.error = on_error;
    clear_errs();
    XT_CHECK(xslab_pages_init(NULL, region_store, 65536, &pd) == NULL && total_errs() == 0);
    pd.page_size = (size_t)1 << 31;                                   /* above 2^30 */
    XT_CHECK(xslab_pages_init(&pg, NULL, 0, &pd) == NULL && only(XALLOC_E_BADARG, NULL));
    pd.page_size = 4096;
    pd.put = cb_put;                                                   /* a region with a put */
    clear_errs();
    XT_CHECK(xslab_pages_init(&pg, region_store, 65536, &pd) == NULL && only(XALLOC_E_BADARG, region_store));
    pd.put = NULL;
    clear_errs();                                                      /* the aligned start is past the end */
    XT_CHECK(xslab_pages_init(&pg, region_store + 1, 100, &pd) == NULL && only(XALLOC_E_BADARG, region_store + 1));
    /* callbacks: a default slab grows to 2^30 for an object just under
     * it (no slab is taken at init); 2^30 itself leaves no room */
    ps = callback_source(4096);
    d = desc_for(ps, ((size_t)1 << 30) - 4096, 1);
    XT_CHECK(xslab_cache_init(&c, &d) == &c && c.d.slab_size == (size_t)1 << 30 && c.n == 1);
    d.size = (size_t)1 << 30;
    clear_errs();
    XT_CHECK(xslab_cache_init(&c, &d) == NULL && only(XALLOC_E_BADARG, &c));
    XT_CHECK(cb_gets == 0);
    /* objects per slab for every size to 2100 bytes at three alignments,
     * in 4 KiB and 64 KiB slabs: the header's formula against the count
     * made here by stepping */
    ps = callback_source(4096);
    for (size = 1; size <= 2100; size += XALLOC_DEBUG >= 4 ? 7 : 1) {
        static const size_t aligns[] = { 1, 8, 64 }, slabs[] = { 4096, 65536 };
        size_t a, sl;
        for (a = 0; a < 3; a++)
            for (sl = 0; sl < 2; sl++) {
                xslab_stats st;
                d = desc_for(ps, size, aligns[a]);
                d.slab_size = slabs[sl];
                if (!xslab_cache_init(&c, &d)) { mismatched++; continue; }
                xslab_stats_get(&c, &st);
                if (st.objperslab != expect_per_slab(slabs[sl], st.stride, slot_bytes(size))) mismatched++;
            }
    }
    {   /* slabs where the last group of objects is cut by its bitmap word
         * (at level 1 on 64-bit targets) */
        static const size_t big[][3] = { { 131072, 1992, 32 }, { 1u << 20, 16, 8 }, { 1u << 20, 16, 16 }, { 1u << 22, 16, 32 } };
        for (size = 0; size < 4; size++) {
            xslab_stats st;
            d = desc_for(ps, big[size][1], big[size][2]);
            d.slab_size = big[size][0];
            if (!xslab_cache_init(&c, &d)) { mismatched++; continue; }
            xslab_stats_get(&c, &st);
            if (st.objperslab != expect_per_slab(big[size][0], st.stride, slot_bytes(big[size][1]))) mismatched++;
        }
    }
    XT_CHECK_MSG(mismatched == 0, "%zu layouts differ", mismatched);
    /* kmem descriptions */
    ps = region_source(REGION, 0, 4096);
    memset(&kd, 0, sizeof kd);
    kd.hooks.error = on_error;
    kd.pages = ps;
    clear_errs();
    XT_CHECK(xslab_kmem_size(NULL) == 0 && xslab_kmem_init(kmem_mem, sizeof kmem_mem, NULL) == NULL && total_errs() == 0);
    XT_CHECK(xslab_kmem_init(NULL, 1 << 20, &kd) == NULL && only(XALLOC_E_BADARG, NULL));  /* no memory */
    kd.max_size = ((size_t)1 << 29) + 1;
    clear_errs();
    XT_CHECK(xslab_kmem_size(&kd) == 0 && xslab_kmem_init(kmem_mem, sizeof kmem_mem, &kd) == NULL && only(XALLOC_E_BADARG, kmem_mem));
    kd.max_size = 0;
    ps = callback_source(4096);
    kd.pages = ps;
    kd.slab_size = 2048;                                               /* below the page size */
    XT_CHECK(xslab_kmem_size(&kd) == 0);
    kd.slab_size = 3 * 4096;                                           /* not a power of two */
    XT_CHECK(xslab_kmem_size(&kd) == 0);
    kd.slab_size = (size_t)1 << 31;                                    /* above 2^30 */
    XT_CHECK(xslab_kmem_size(&kd) == 0);
    kd.slab_size = 8192;
    XT_CHECK(xslab_kmem_size(&kd) != 0);
    kd.slab_size = 0;                                                  /* callbacks, all defaults */
    k = xslab_kmem_init(kmem_mem, sizeof kmem_mem, &kd);
    XT_CHECK(k && xslab_kmem_classes(k) == 14 && xslab_kmem_destroy(k) == 0);
    /* min_size 16 above max_size 8: the one class of 16 bytes; a request
     * below the smallest class gets it */
    kd.slab_size = 0;
    kd.min_size = 16;
    kd.max_size = 8;
    k = xslab_kmem_init(kmem_mem, sizeof kmem_mem, &kd);
    XT_CHECK(k && xslab_kmem_classes(k) == 1);
    if (k) {
        void *q = xslab_kmalloc(k, 5);
        XT_CHECK(q && xslab_ksize(k, q) == (XALLOC_DEBUG >= 3 ? 5u : 16u));
        XT_CHECK(xslab_kmalloc(k, 9) == NULL);                         /* above max_size */
        xslab_kfree(k, q);
        XT_CHECK(xslab_kmem_destroy(k) == 0);
    }
    /* a region of 64-byte pages: the default classes shrink to what a page holds */
    memset(&pd, 0, sizeof pd);
    pd.page_size = 64;
    XT_CHECK(xslab_pages_init(&pg, region_store, 64 * 64, &pd) == &pg);
    memset(&kd, 0, sizeof kd);
    kd.pages = &pg;
    k = xslab_kmem_init(kmem_mem, sizeof kmem_mem, &kd);
    /* (an 8-byte object's slot, the bitmap and the header may not fit in 64
     * bytes: level 3 adds a red zone, a sanitizer a guard) */
    XT_CHECK((k != NULL) == (slot_bytes(8) + MAP_BYTES(1) + GUARD + HDR <= 64));
    if (k) {
        xslab_stats st;
        void *q = xslab_kmalloc(k, 8);
        XT_CHECK(q != NULL && xslab_kmem_stats_get(k, xslab_kmem_classes(k) - 1, &st) && st.objsize <= 16 && st.objperslab >= 1);
        xslab_kfree(k, q);
        XT_CHECK(xslab_kmem_destroy(k) == 0);
    }
}

/* The index arithmetic itself (xslab__index: a multiply and a rotate), for
 * strides of every shape (odd parts 1..99 times 2^0..2^10) and as many
 * objects as fit in 2^30 bytes: every offset within a few strides of
 * object 0, of object n-1 and past it, and negative ones (a pointer into
 * the colour bytes before object 0), gives the index exactly at an
 * object's start and a number >= n everywhere else. */
static void test_index_math(void)
{
    uint32_t odd, t;
    long bad = 0;
    unsigned char *objs = region_store + 4096; /* only addresses are formed */
    for (t = 0; t <= (xt_slow() ? 6u : 10u); t++) /* 64-bit divisions: slow under qemu-arm */
        for (odd = 1; odd < 100; odd += 2) {
            xslab_cache c;
            uint32_t stride = odd << t, k;
            int64_t off, n;
            memset(&c, 0, sizeof c);
            c.stride = stride;
            c.n = (uint32_t)((1u << 30) / stride);
            xslab__divisor(&c);
            n = c.n;
            for (k = 0; k < 3; k++) {
                int64_t from = k == 0 ? -3 * (int64_t)stride : k == 1 ? (n - 3) * (int64_t)stride : (n + 1) * (int64_t)stride;
                for (off = from; off < from + 4 * (int64_t)stride; off++) {
                    uint32_t i = xslab__index(&c, (const unsigned char *)((uintptr_t)objs + (uintptr_t)off), objs);
                    bool start = off >= 0 && off % stride == 0 && off / stride < n;
                    if (start ? i != (uint32_t)(off / stride) : i < c.n) bad++;
                }
            }
        }
    XT_CHECK_MSG(bad == 0, "%ld offsets with a wrong index", bad);
}

static void test_index_exact(void)
{
#if XALLOC_DEBUG >= 1
    static const size_t slabs[] = { 4096, 65536, 1u << 20 };
    size_t si, nslabs = XALLOC_DEBUG >= 4 ? 1 : 3;
    xslab_pages *ps = callback_source(4096);
    bool bad = false;
    for (si = 0; si < nslabs && !bad; si++) {
        size_t size, last = si == 0 ? 700u : 200u, step = XALLOC_DEBUG >= 4 ? 23 : si == 2 ? 37 : 1;
        for (size = 1; size <= last && !bad; size += step) {
            xslab_cache c;
            xslab_cache_desc d = desc_for(ps, size, 1);
            xslab_stats st;
            unsigned char *first;
            size_t i, b, n, stride;
            d.slab_size = slabs[si];
            if (!xslab_cache_init(&c, &d)) { bad = true; break; }
            xslab_stats_get(&c, &st);
            stride = st.stride;
            n = st.objperslab;
            first = xslab_alloc(&c);
            for (i = 1; i < n; i++) (void)xslab_alloc(&c); /* the whole slab live */
            clear_errs();
            /* every byte of the first two and the last two slots but the starts */
            for (i = 0; i < n; i += (i == 1 && n > 4 ? n - 3 : 1))
                for (b = 1; b < stride; b++) xslab_free(&c, first + i * stride + b);
            if (errs[XALLOC_E_NOT_BLOCK] != total_errs() || (stride > 1 && total_errs() == 0)) bad = true;
            /* every start: the even ones up, the odd ones down */
            clear_errs();
            for (i = 0; i < n; i += 2) xslab_free(&c, first + i * stride);
            for (i = n - 1 - (n % 2 == 0 ? 0 : 1); i < n; i -= 2) xslab_free(&c, first + i * stride);
            xslab_stats_get(&c, &st);
            if (total_errs() || st.active_objs != 0 || xslab_check(&c)) bad = true;
            xslab_cache_destroy(&c);
            if (bad) fprintf(stderr, "slab %zu size %zu stride %zu\n", slabs[si], size, stride);
        }
    }
    XT_CHECK(!bad && cb_all_back());
#endif
}

/* ---- introspection ------------------------------------------------------------------- */
struct walk_sum { size_t used, free, calls, stop_after; uintptr_t used_sum; };
static bool walker(void *user, void *p, size_t size, bool used)
{
    struct walk_sum *w = user;
    (void)size;
    w->calls++;
    if (used) { w->used++; w->used_sum += (uintptr_t)p; } else w->free++;
    return w->calls != w->stop_after;
}
static char dump_buf[1 << 14];
static size_t dump_len;
static void printer(void *user, const char *line)
{
    size_t n = strlen(line);
    (void)user;
    if (dump_len + n < sizeof dump_buf) { memcpy(dump_buf + dump_len, line, n + 1); dump_len += n; }
}

static void test_stats_walk_dump(void)
{
    xslab_pages *ps = region_source(REGION, 0, 4096);
    xslab_cache c;
    xslab_cache_desc d = desc_for(ps, 100, 0);
    xslab_stats st;
    struct walk_sum w;
    unsigned char *p[250];
    uintptr_t sum = 0;
    size_t i, n, a, o, sz, ops, ps_, as, ns, es;
    char name[64];
    const char *line;
    d.name = "widget";
    XT_CHECK(xslab_cache_init(&c, &d) == &c);
    for (i = 0; i < 250; i++) p[i] = xslab_alloc(&c);
    for (i = 0; i < 250; i += 3) { xslab_free(&c, p[i]); p[i] = NULL; }
    for (i = 0; i < 250; i++) if (p[i]) sum += (uintptr_t)p[i];
    xslab_stats_get(&c, &st);
    n = expect_per_slab(4096, st.stride, slot_bytes(100));
    XT_CHECK(strcmp(st.name, "widget") == 0 && st.objsize == 100 && st.objperslab == n && st.pagesperslab == 1);
    XT_CHECK(st.active_objs == 250 - 84 && st.num_slabs == (250 + n - 1) / n && st.num_objs == st.num_slabs * n);
    XT_CHECK(st.allocs == 250 && st.frees == 84 && st.failures == 0 && st.grows == st.num_slabs && st.releases == 0);
    XT_CHECK(st.slab_bytes == st.num_slabs * 4096);
    memset(&w, 0, sizeof w);
    xslab_walk(&c, walker, &w);
    XT_CHECK(w.used == st.active_objs && w.used + w.free == st.num_objs && w.used_sum == sum);
    memset(&w, 0, sizeof w);
    w.stop_after = 5;
    xslab_walk(&c, walker, &w);
    XT_CHECK(w.calls == 5);
    dump_len = 0;
    xslab_dump(&c, printer, NULL);
    line = strstr(dump_buf, "\nwidget");
    XT_CHECK(line != NULL && strncmp(dump_buf, "# name", 6) == 0);
    if (line) {
        XT_CHECK(sscanf(line + 1, "%63s %zu %zu %zu %zu %zu : slabdata %zu %zu %zu", name, &a, &o, &sz, &ops, &ps_, &as, &ns, &es) == 9);
        XT_CHECK(a == st.active_objs && o == st.num_objs && sz == 100 && ops == n && ps_ == 1 && as == st.active_slabs &&
                 ns == st.num_slabs && es == st.empty_slabs);
    }
    /* pagesperslab with a callback source of 1 KiB pages and 8 KiB slabs */
    ps = callback_source(1024);
    d = desc_for(ps, 100, 0);
    d.slab_size = 8192;
    XT_CHECK(xslab_cache_init(&c, &d) == &c);
    xslab_stats_get(&c, &st);
    XT_CHECK(st.pagesperslab == 8 && strcmp(st.name, "cache") == 0);
    /* kmem: a line per class */
    {
        xslab_kmem *k;
        ps = region_source(REGION, 0, 4096);
        k = make_kmem(ps, 0, 0, 0);
        XT_CHECK(k != NULL);
        if (k) {
            void *q = xslab_kmalloc(k, 50);
            dump_len = 0;
            xslab_kmem_dump(k, printer, NULL);
            XT_CHECK(strstr(dump_buf, "\nkmalloc-8 ") && strstr(dump_buf, "\nkmalloc-1024 ") && strstr(dump_buf, "classes 14"));
            line = strstr(dump_buf, "\nkmalloc-64 ");
            XT_CHECK(line && sscanf(line + 1, "%63s %zu %zu", name, &a, &o) == 3 && a == 1);
            memset(&w, 0, sizeof w);
            xslab_kmem_walk(k, walker, &w);
            XT_CHECK(w.used == 1 && w.used_sum == (uintptr_t)q);
            xslab_kfree(k, q);
        }
    }
}

/* The kmem summary's percentage with more than 4 MiB of objects live (its
 * figures are scaled down to keep the multiply in 32 bits): within 0.1 of
 * the exact ratio. */
static void test_kmem_dump_large(void)
{
    enum { N = 540 }; /* of 8 KiB: few objects, as level 4 checks them all at every call */
    static void *live[N];
    xslab_pages *ps = callback_source(4096);
    xslab_kmem *k = make_kmem(ps, 0, 8192, 0);
    const char *line;
    unsigned long long act = 0, bytes = 0;
    double pct = -1, err;
    size_t i;
    XT_CHECK(k != NULL);
    if (!k) return;
    for (i = 0; i < N; i++) XT_CHECK((live[i] = xslab_kmalloc(k, 8000)) != NULL);
    dump_len = 0;
    xslab_kmem_dump(k, printer, NULL);
    line = strstr(dump_buf, " bytes, objects ");
    XT_CHECK(line && sscanf(line, " bytes, objects %llu bytes of %llu (%lf%%)", &act, &bytes, &pct) == 3);
    XT_CHECK(act == (unsigned long long)N * 8192 && act >= (1u << 22) && bytes >= act);
    err = bytes ? pct - 100.0 * (double)act / (double)bytes : 1.0;
    XT_CHECK_MSG(pct >= 0 && err <= 0.1 && err >= -0.1, "%llu of %llu printed as %.1f%%", act, bytes, pct);
    for (i = 0; i < N; i++) xslab_kfree(k, live[i]);
    XT_CHECK(kmem_ok(k) && xslab_kmem_destroy(k) == 0 && cb_all_back());
}

/* ---- locks ---------------------------------------------------------------------------- */
static int locks, unlocks, depth, max_depth;
static void lk(void *u) { (void)u; locks++; if (++depth > max_depth) max_depth = depth; }
static void ulk(void *u) { (void)u; unlocks++; depth--; }

/* kmalloc at its edges: kcalloc of a product too large though both factors
 * are allowed, of zero bytes, and when no slab can be had; a slab header
 * naming a cache inside the kmem's array but not at a class's start; a
 * long cache name in the dump. */
static void test_kmem_edges(void)
{
    xslab_pages *ps = callback_source(4096);
    xslab_kmem *k = make_kmem(ps, 0, (size_t)1 << 15, 0);
    xslab_cache c;
    xslab_cache_desc d;
    unsigned char *p;
    XT_CHECK(k != NULL);
    if (!k) return;
    clear_errs();
    XT_CHECK(xslab_kcalloc(k, (size_t)1 << 15, (size_t)1 << 15) == NULL);  /* 2^30 bytes */
    XT_CHECK(xslab_kcalloc(k, 3, (size_t)1 << 15) == NULL);                /* 3 * 2^15 */
    p = xslab_kcalloc(k, 7, 0);                                            /* 0 bytes: the smallest class */
    XT_CHECK(p != NULL && total_errs() == 0);
    xslab_kfree(k, p);
    cb_fail_after = (long)cb_gets;                                         /* no more slabs */
    XT_CHECK(xslab_kcalloc(k, 100, 100) == NULL);
    cb_fail_after = -1;
    p = xslab_kcalloc(k, 100, 100);
    XT_CHECK(p != NULL && p[0] == 0 && p[9999] == 0);
#if XALLOC_DEBUG >= 1
    if (p) {
        xslab__slab *s = xslab__hdr(&k->caches[0], p);
        xslab_cache *owner = s->cache;
        s->cache = (xslab_cache *)(void *)((unsigned char *)&k->caches[1] + 8);
        clear_errs();
        xslab_kfree(k, p);
        XT_CHECK(FOUND(XALLOC_E_FOREIGN, p));
        s->cache = owner;
    }
#endif
    xslab_kfree(k, p);
    XT_CHECK(kmem_ok(k) && xslab_kmem_destroy(k) == 0);
    /* a name longer than the dump's column */
    d = desc_for(ps, 24, 0);
    d.name = "a_cache_of_twenty_four_bytes";
    XT_CHECK(xslab_cache_init(&c, &d) == &c);
    dump_len = 0;
    xslab_dump(&c, printer, NULL);
    XT_CHECK(strstr(dump_buf, "\na_cache_of_twenty_four_bytes ") != NULL);
    XT_CHECK(xslab_cache_destroy(&c) == 0 && cb_all_back());
}

/* A kmem with the default max_size on small slabs: max_size shrinks until
 * a slab holds two of the largest class, but never below the smallest
 * class, so kmalloc(min_size) works whenever kmem_size accepts the plan
 * (it failed for min_size 16 on 64-byte slabs at level 0, where the
 * plan ended at 8 bytes: found by the AFL++ campaign). */
static void test_kmem_small_slabs(void)
{
    static unsigned char km[1 << 14] __attribute__((aligned(16)));
    size_t slab, min, planned = 0;
    for (slab = 64; slab <= 1024; slab *= 2)
        for (min = 8; min <= 16; min += 8) {
            xslab_pages *ps = callback_source(64);
            xslab_kmem_desc kd;
            xslab_kmem *k;
            xslab_stats st;
            size_t need, n;
            void *p, *q;
            memset(&kd, 0, sizeof kd);
            kd.hooks.error = on_error;
            kd.pages = ps;
            kd.min_size = min;
            kd.slab_size = slab;
            need = xslab_kmem_size(&kd);
            if (!need) continue; /* no class fits such a slab at this level */
            planned++;
            k = xslab_kmem_init(km, need, &kd);
            XT_CHECK(k != NULL);
            if (!k) continue;
            n = xslab_kmem_classes(k);
            XT_CHECK(n >= 1 && xslab_kmem_stats_get(k, n - 1, &st));
            p = xslab_kmalloc(k, min);
            q = xslab_kmalloc(k, st.objsize); /* the largest class's size is never above max_size */
            XT_CHECK_MSG(p != NULL && q != NULL, "slab %zu, min_size %zu: kmalloc(%zu) %p, kmalloc(%zu) %p", slab, min, min, p,
                         (size_t)st.objsize, q);
            XT_CHECK(xslab_kmalloc(k, st.objsize + 1) == NULL);
            xslab_kfree(k, p);
            xslab_kfree(k, q);
            XT_CHECK(kmem_ok(k) && xslab_kmem_destroy(k) == 0 && cb_all_back());
            XT_CHECK(total_errs() == 0);
        }
    XT_CHECK(planned >= 8); /* 64-byte slabs may hold no class at a debug level; 128 and up do */
}

/* Level 4: every call checks the whole cache (or kmem) first and, finding
 * it broken, reports XALLOC_E_CORRUPT and does nothing. */
static void test_full_check_refuses(void)
{
#if XALLOC_DEBUG >= 4
    xslab_pages *ps = region_source(REGION, 0, 4096);
    xslab_cache c;
    xslab_cache_desc d = desc_for(ps, 32, 0);
    xslab_kmem_desc kd;
    xslab_kmem *k;
    void *a, *b;
    XT_CHECK(xslab_cache_init(&c, &d) == &c);
    a = xslab_alloc(&c);
    xslab_free(&c, a);
    c.allocs++;                                                        /* counts broken */
    clear_errs();
    XT_CHECK(xslab_alloc(&c) == NULL && xslab_shrink(&c) == 0 && errs[XALLOC_E_CORRUPT] == 2 && total_errs() == 2);
    c.d.hooks.lock = lk;                                               /* the same with a lock */
    c.d.hooks.unlock = ulk;
    clear_errs();
    XT_CHECK(xslab_alloc(&c) == NULL && errs[XALLOC_E_CORRUPT] == 1 && locks == unlocks);
    c.d.hooks.lock = c.d.hooks.unlock = NULL;
    c.allocs--;
    XT_CHECK(cache_ok(&c) && xslab_shrink(&c) == 1);
    memset(&kd, 0, sizeof kd);
    kd.hooks.error = on_error;
    kd.hooks.lock = lk;
    kd.hooks.unlock = ulk;
    kd.pages = ps;
    k = xslab_kmem_init(kmem_mem, sizeof kmem_mem, &kd);
    XT_CHECK(k != NULL);
    if (!k) return;
    a = xslab_kmalloc(k, 100);
    b = xslab_kmalloc(k, 10);
    k->caches[0].frees++;
    clear_errs();
    XT_CHECK(xslab_kmalloc(k, 10) == NULL && xslab_krealloc(k, a, 200) == NULL && xslab_kmem_shrink(k) == 0);
    xslab_kfree(k, b);
    XT_CHECK(errs[XALLOC_E_CORRUPT] == 4 && total_errs() == 4 && locks == unlocks);
    k->hooks.lock = k->hooks.unlock = NULL;                            /* the same without a lock */
    clear_errs();
    XT_CHECK(xslab_kmalloc(k, 10) == NULL && only(XALLOC_E_CORRUPT, NULL));
    k->caches[0].frees--;
    XT_CHECK(kmem_ok(k));
    xslab_kfree(k, a);
    xslab_kfree(k, b);
    XT_CHECK(xslab_kmem_destroy(k) == 0);
#endif
}


static void test_lock_hooks(void)
{
    xslab_pages_desc pd;
    xslab_pages ps;
    xslab_cache c;
    xslab_cache_desc d;
    xslab_kmem_desc kd;
    xslab_kmem *k;
    xslab_stats st;
    xslab_pages_stats pst;
    struct walk_sum w;
    void *a;
    size_t need;
    memset(&pd, 0, sizeof pd);
    pd.hooks.lock = lk;
    pd.hooks.unlock = ulk;
    scribble(region_store, sizeof region_store);
    XT_CHECK(xslab_pages_init(&ps, region_store, REGION, &pd) == &ps);
    d = desc_for(&ps, 40, 0);
    d.hooks.lock = lk;
    d.hooks.unlock = ulk;
    XT_CHECK(xslab_cache_init(&c, &d) == &c);
    locks = unlocks = depth = max_depth = 0;
    a = xslab_alloc(&c);          /* 2: the cache's and the page source's */
    XT_CHECK(locks == 2 && max_depth == 2 && depth == 0);
    xslab_free(&c, a);
    (void)xslab_shrink(&c);       /* + the page source's */
    xslab_stats_get(&c, &st);
    (void)xslab_check(&c);
    memset(&w, 0, sizeof w);
    xslab_walk(&c, walker, &w);
    dump_len = 0;
    xslab_dump(&c, printer, NULL);
    xslab_pages_stats_get(&ps, &pst);
    (void)xslab_cache_destroy(&c);
    XT_CHECK(locks == 11 && unlocks == 11 && depth == 0);
    memset(&kd, 0, sizeof kd);
    kd.pages = &ps;
    kd.hooks.lock = lk;
    kd.hooks.unlock = ulk;
    k = xslab_kmem_init(kmem_mem, sizeof kmem_mem, &kd);
    XT_CHECK(k != NULL);
    if (!k) return;
    locks = unlocks = depth = max_depth = 0;
    a = xslab_kmalloc(k, 10);     /* 2 */
    a = xslab_krealloc(k, a, 100);/* 2 */
    (void)xslab_ksize(k, a);
    xslab_kfree(k, a);
    a = xslab_kcalloc(k, 3, 3);   /* 2 */
    xslab_kfree(k, a);
    (void)xslab_kmem_stats_get(k, 1, &st);
    (void)xslab_kmem_check(k);
    xslab_kmem_walk(k, walker, &w);
    xslab_kmem_dump(k, printer, NULL);
    (void)xslab_kmem_shrink(k);   /* + 2 slabs given back */
    (void)xslab_kmem_destroy(k);
    XT_CHECK_MSG(locks == 16 && unlocks == 16 && max_depth == 2, "locks %d unlocks %d depth %d", locks, unlocks, max_depth);
    /* a lone lock or unlock hook: at level 1 and up each init refuses it
     * (XALLOC_E_BADARG, NULL); at level 0 it is ignored (never called, nor
     * the NULL other one); for page sources, caches and kmem alike */
    clear_errs();
    memset(&pd, 0, sizeof pd);
    pd.hooks.error = on_error;
    pd.hooks.lock = lk;
    if (XALLOC_DEBUG >= 1) { /* refused, the page source record untouched */
        size_t i;
        memset(&ps, 0xA5, sizeof ps);
        XT_CHECK(xslab_pages_init(&ps, region_store, REGION, &pd) == NULL && only(XALLOC_E_BADARG, region_store));
        i = xt_first_not(&ps, sizeof ps, 0xA5);
        XT_CHECK_MSG(i == sizeof ps, "byte %zu of the page source record written", i);
        pd.hooks.lock = NULL;
        clear_errs();
    }
    XT_CHECK(xslab_pages_init(&ps, region_store, REGION, &pd) == &ps);
    d = desc_for(&ps, 40, 0);
    d.hooks.error = on_error;
    d.hooks.unlock = ulk;
    if (XALLOC_DEBUG >= 1) {
        size_t i;
        memset(&c, 0xA5, sizeof c);
        XT_CHECK(xslab_cache_init(&c, &d) == NULL && only(XALLOC_E_BADARG, &c));
        i = xt_first_not(&c, sizeof c, 0xA5);
        XT_CHECK_MSG(i == sizeof c, "byte %zu of the cache record written", i);
        d.hooks.unlock = NULL;
        clear_errs();
    }
    XT_CHECK(xslab_cache_init(&c, &d) == &c);
    memset(&kd, 0, sizeof kd);
    kd.pages = &ps;
    kd.hooks.error = on_error;
    kd.hooks.lock = NULL;
    need = xslab_kmem_size(&kd);
    kd.hooks.lock = lk;
    /* the size query agrees with init: none for a refused description */
    XT_CHECK(need > 0 && xslab_kmem_size(&kd) == (XALLOC_DEBUG >= 1 ? 0 : need));
    if (XALLOC_DEBUG >= 1) {
        size_t i;
        memset(kmem_mem, 0xA5, sizeof kmem_mem);
        XT_CHECK(xslab_kmem_init(kmem_mem, sizeof kmem_mem, &kd) == NULL && only(XALLOC_E_BADARG, kmem_mem));
        i = xt_first_not(kmem_mem, sizeof kmem_mem, 0xA5);
        XT_CHECK_MSG(i == sizeof kmem_mem, "byte %zu of the kmem's memory written", i);
        kd.hooks.lock = NULL;
        clear_errs();
    }
    k = xslab_kmem_init(kmem_mem, sizeof kmem_mem, &kd);
    XT_CHECK(k != NULL);
    locks = unlocks = 0;
    a = xslab_alloc(&c);
    xslab_free(&c, a);
    (void)xslab_shrink(&c);
    if (k) {
        a = xslab_kmalloc(k, 10);
        xslab_kfree(k, a);
        (void)xslab_kmem_destroy(k);
    }
    (void)xslab_cache_destroy(&c);
    XT_CHECK(a != NULL && locks == 0 && unlocks == 0 && total_errs() == 0);
}

/* Two threads, each on its own cache, both on one kmem; the caches and
 * the kmem share one region; each of the four behind its own spinlock. */
static xslab_cache tcache[2];
static xslab_kmem *tk;
static void *hammer(void *arg)
{
    unsigned char *slot[64] = { 0 };
    unsigned i, seed = (unsigned)(uintptr_t)arg, which = seed & 1;
    for (i = 0; i < (XALLOC_DEBUG >= 4 ? 4000u : 200000u); i++) {
        unsigned j = (seed = seed * 1103515245u + 12345u) >> 26;
        if (slot[j]) {
            if (!intact(slot[j], 24, j)) return (void *)1;
            if (j & 1) xslab_kfree(tk, slot[j]);
            else xslab_free(&tcache[which], slot[j]);
            slot[j] = NULL;
        } else if ((slot[j] = (j & 1) ? xslab_kmalloc(tk, 24 + (seed >> 20) % 200) : xslab_alloc(&tcache[which])) != NULL) {
            fill(slot[j], 24, j);
        }
    }
    for (i = 0; i < 64; i++) {
        if (!slot[i]) continue;
        if (i & 1) xslab_kfree(tk, slot[i]);
        else xslab_free(&tcache[which], slot[i]);
    }
    return NULL;
}

static void test_spinlock_threads(void)
{
    static xalloc_spinlock plock, clock_[2], klock;
    static unsigned char kmem_store[1 << 14] __attribute__((aligned(16)));
    xslab_pages_desc pd;
    xslab_pages ps;
    xslab_kmem_desc kd;
    pthread_t t[2];
    void *r[2];
    int i;
    memset(&pd, 0, sizeof pd);
    pd.hooks.lock = xalloc_spin_lock;
    pd.hooks.unlock = xalloc_spin_unlock;
    pd.hooks.user = &plock;
    scribble(region_store, sizeof region_store);
    XT_CHECK(xslab_pages_init(&ps, region_store, REGION, &pd) == &ps);
    for (i = 0; i < 2; i++) {
        xslab_cache_desc d = desc_for(&ps, 24 + 40 * (size_t)i, 0);
        d.hooks.lock = xalloc_spin_lock;
        d.hooks.unlock = xalloc_spin_unlock;
        d.hooks.user = &clock_[i];
        d.flags = XSLAB_RELEASE_EMPTY; /* slabs go back and forth to the region */
        XT_CHECK(xslab_cache_init(&tcache[i], &d) == &tcache[i]);
    }
    memset(&kd, 0, sizeof kd);
    kd.pages = &ps;
    kd.hooks.lock = xalloc_spin_lock;
    kd.hooks.unlock = xalloc_spin_unlock;
    kd.hooks.user = &klock;
    kd.flags = XSLAB_RELEASE_EMPTY;
    tk = xslab_kmem_init(kmem_store, sizeof kmem_store, &kd);
    XT_CHECK(tk != NULL);
    if (!tk) return;
    for (i = 0; i < 2; i++) pthread_create(&t[i], NULL, hammer, (void *)(uintptr_t)(i + 1));
    for (i = 0; i < 2; i++) { pthread_join(t[i], &r[i]); XT_CHECK(r[i] == NULL); }
    XT_CHECK(cache_ok(&tcache[0]) && cache_ok(&tcache[1]) && kmem_ok(tk));
    xslab_shrink(&tcache[0]);
    xslab_shrink(&tcache[1]);
    xslab_kmem_shrink(tk);
    XT_CHECK(slabs_out(&ps) == 0);
}

/* ---- ASan / valgrind see the objects ------------------------------------------------ */
static void test_sanitizer_sees_objects(void)
{
#ifdef TEST_ASAN
    xslab_pages *ps = region_source(REGION, 0, 4096);
    xslab_cache c;
    xslab_cache_desc d = desc_for(ps, 40, 0);
    unsigned char *p, *q;
    XT_CHECK(xslab_cache_init(&c, &d) == &c);
    p = xslab_alloc(&c);
    q = xslab_alloc(&c);
    XT_CHECK(__asan_region_is_poisoned(p, 40) == NULL);
    XT_CHECK(__asan_address_is_poisoned(q + 40 + (XALLOC_DEBUG >= 3 ? 0 : 8))); /* past it: the next free slot */
    xslab_free(&c, p);
    XT_CHECK(__asan_address_is_poisoned(p) && __asan_address_is_poisoned(p + 20)); /* use after free */
    XT_CHECK(cache_ok(&c));
    xslab_free(&c, q);
    xslab_cache_destroy(&c);
#endif
}

/* ---- randomized stress against a shadow model --------------------------------------- */
typedef struct shadow { unsigned char *p; size_t size; int kind; unsigned seed; } shadow;
enum { NCACHE = 5 };
static const size_t stress_size[NCACHE] = { 1, 24, sizeof(struct thing), 200, 1500 };
static const size_t stress_align[NCACHE] = { 0, 0, 0, 64, 0 };

static void test_stress_shadow(void)
{
    enum { SLOTS = 3000 };
    static shadow live[SLOTS];
    static unsigned char kmem_store[1 << 14] __attribute__((aligned(16)));
    size_t ops = XALLOC_DEBUG >= 4 ? 15000 : (XALLOC_DEBUG >= 2 ? 1000000 : 1500000) / (xt_slow() ? 10u : 1u), i, k, nlive = 0, bad = 0;
    size_t check_every = XALLOC_DEBUG >= 4 ? 5000 : 2000, failures = 0, shrinks = 0, realloc_moves = 0;
    xslab_pages *ps = callback_source(4096);
    xslab_cache c[NCACHE];
    xslab_kmem *k_;
    xslab_kmem_desc kd;
    unsigned next_seed = 1;
    size_t good_dtors = 0;
    for (k = 0; k < NCACHE; k++) {
        xslab_cache_desc d = desc_for(ps, stress_size[k], stress_align[k]);
        if (k == 2) { d.ctor = thing_ctor; d.dtor = thing_dtor; d.obj_user = &good_dtors; }
        d.keep_empty = (unsigned)k; /* 0 (the default), 1, 2, ... */
        XT_CHECK(xslab_cache_init(&c[k], &d) == &c[k]);
    }
    memset(&kd, 0, sizeof kd);
    kd.hooks.error = on_error;
    kd.pages = ps;
    kd.max_size = 3000;
    k_ = xslab_kmem_init(kmem_store, sizeof kmem_store, &kd);
    XT_CHECK(k_ != NULL);
    if (!k_) return;
    cb_fail_one_in = 20; /* now and then there is no slab */
    ctors = dtors = 0;
    for (i = 0; i < ops; i++) {
        unsigned op = (unsigned)xt_below(100), freeq = nlive > SLOTS / 2 ? 48 : 36;
        size_t fails_before = cb_fails;
        if (nlive && (op < freeq || nlive == SLOTS)) {         /* free */
            shadow *s;
            k = xt_below(nlive);
            s = &live[k];
            if (s->kind == 2) {
                if (!constructed((struct thing *)(void *)s->p)) bad++;
                /* returned constructed, as Bonwick's contract asks */
            } else if (!intact(s->p, s->size, s->seed)) bad++;
            if (s->kind < NCACHE) xslab_free(&c[s->kind], s->p);
            else xslab_kfree(k_, s->p);
            *s = live[--nlive];
        } else if (nlive && op < freeq + 8) {                  /* krealloc */
            size_t ns = 1 + xt_below(3000);
            unsigned char *q;
            shadow *s;
            k = xt_below(nlive);
            s = &live[k];
            q = s->kind == NCACHE ? xslab_krealloc(k_, s->p, ns) : s->p;
            if (s->kind != NCACHE) { /* not a kmalloc object: leave it */ }
            else if (q) {
                if (!intact(q, ns < s->size ? ns : s->size, s->seed)) bad++;
                if (xslab_ksize(k_, q) < ns) bad++;
                realloc_moves += q != s->p;
                s->p = q;
                s->size = ns;
                fill(q, ns, s->seed);
            } else {
                if (cb_fails == fails_before) bad++;            /* only when there was no slab */
                if (!intact(s->p, s->size, s->seed)) bad++;
                failures++;
            }
        } else if (op == freeq + 8) {                          /* shrink */
            if (xt_below(2)) { for (k = 0; k < NCACHE; k++) shrinks += xslab_shrink(&c[k]); }
            else shrinks += xslab_kmem_shrink(k_);
        } else {                                               /* alloc */
            int kind = (int)xt_below(NCACHE + 3);
            size_t size;
            unsigned char *p;
            if (kind >= NCACHE) { kind = NCACHE; size = xt_below(8) ? xt_below(300) : xt_below(3001); p = xslab_kmalloc(k_, size); }
            else { size = stress_size[kind]; p = xslab_alloc(&c[kind]); }
            if (!p) {
                if (cb_fails == fails_before) bad++;
                failures++;
            } else {
                if (kind < NCACHE && stress_align[kind] && ((uintptr_t)p & (stress_align[kind] - 1))) bad++;
                live[nlive].p = p;
                live[nlive].size = size;
                live[nlive].kind = kind;
                live[nlive].seed = next_seed++;
                if (kind == 2) { if (!constructed((struct thing *)(void *)p)) bad++; }
                else fill(p, size, live[nlive].seed);
                nlive++;
            }
        }
        if (i % check_every == 0) {
            size_t active = 0;
            xslab_stats st;
            for (k = 0; k < NCACHE; k++) {
                if (xslab_check(&c[k])) bad++;
                xslab_stats_get(&c[k], &st);
                active += st.active_objs;
            }
            for (k = 0; k < xslab_kmem_classes(k_); k++) { xslab_kmem_stats_get(k_, k, &st); active += st.active_objs; }
            if (xslab_kmem_check(k_)) bad++;
            if (active != nlive) bad++;
        }
    }
    cb_fail_one_in = 0;
    printf("stress: %zu ops, %zu failures, %zu slabs shrunk, %zu moves, %zu live at the end, %zu slabs got\n",
           ops, failures, shrinks, realloc_moves, nlive, cb_gets);
    XT_CHECK_MSG(bad == 0, "%zu violations (seed %llu)", bad, (unsigned long long)xt_seed);
    XT_CHECK(total_errs() == 0);
    XT_CHECK(failures > 0 && shrinks > 0 && realloc_moves > 0);
    for (k = 0; k < nlive; k++) {
        shadow *s = &live[k];
        if (s->kind != 2) XT_CHECK(intact(s->p, s->size, s->seed));
        if (s->kind < NCACHE) xslab_free(&c[s->kind], s->p);
        else xslab_kfree(k_, s->p);
    }
    for (k = 0; k < NCACHE; k++) { XT_CHECK(cache_ok(&c[k])); xslab_shrink(&c[k]); }
    XT_CHECK(kmem_ok(k_));
    xslab_kmem_shrink(k_);
    XT_CHECK(slabs_out(ps) == 0 && cb_all_back());               /* every slab back */
    XT_CHECK(dtors == ctors && good_dtors == dtors);            /* every constructed object destructed */
    for (k = 0; k < NCACHE; k++) XT_CHECK(xslab_cache_destroy(&c[k]) == 0);
    XT_CHECK(xslab_kmem_destroy(k_) == 0);
}

/* XT_RUN, and the time of each test that takes more than 0.2 s */
#include <time.h>
static void run_timed(void (*fn)(void), const char *name)
{
    struct timespec a, b;
    double s;
    clock_gettime(CLOCK_MONOTONIC, &a);
    xt_run(fn, name);
    clock_gettime(CLOCK_MONOTONIC, &b);
    s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) * 1e-9;
    if (s > 0.2) printf("%s: %s took %.2f s\n", xt_prog, name, s);
}
#undef XT_RUN
#define XT_RUN(fn) run_timed((fn), #fn)

int main(int argc, char **argv)
{
    XT_INIT(argc, argv);
    XT_RUN(test_pages_init);
    XT_RUN(test_cache_init_rejects);
    XT_RUN(test_object_sizes);
    XT_RUN(test_largest_object);
    XT_RUN(test_alignments);
    XT_RUN(test_colour);
    XT_RUN(test_ctor_dtor);
    XT_RUN(test_failing_page_source);
    XT_RUN(test_shrink_with_live_objects);
    XT_RUN(test_misuse);
    XT_RUN(test_double_free_everywhere);
    XT_RUN(test_link_overwritten);
    XT_RUN(test_poison);
    XT_RUN(test_kmem_init);
    XT_RUN(test_kmalloc_classes);
    XT_RUN(test_krealloc);
    XT_RUN(test_kmalloc_misuse);
    XT_RUN(test_check_finds_damage);
    XT_RUN(test_setup_edges);
    XT_RUN(test_index_math);
    XT_RUN(test_index_exact);
    XT_RUN(test_stats_walk_dump);
    XT_RUN(test_kmem_edges);
    XT_RUN(test_kmem_small_slabs);
    XT_RUN(test_kmem_dump_large);
    XT_RUN(test_full_check_refuses);
    XT_RUN(test_lock_hooks);
    XT_RUN(test_spinlock_threads);
    XT_RUN(test_sanitizer_sees_objects);
    XT_RUN(test_stress_shadow);
    return XT_DONE();
}
