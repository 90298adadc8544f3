/* test_sanitize_slab.c - the slab allocator (xalloc_slab.h) tells
 * AddressSanitizer and valgrind memcheck which bytes of its slabs a program
 * may touch: a live object's bytes (the object size; for kmalloc,
 * xslab_ksize of them) are addressable, free objects are not, nor the bytes
 * past an object. Under ASan, a child process that writes or reads after a
 * free, or writes past its object, is stopped by an ASan report, and one
 * that stays inside exits normally. Under valgrind (-DXALLOC_VALGRIND=1) the
 * same addressability facts; with neither it runs no test
 * (tests/san_probe.h). */
#if defined(__has_include)
#if !__has_include("xalloc_slab.h")
#define NO_HEADER 1   /* the test arrived before its header: nothing to test */
#endif
#endif
#ifdef NO_HEADER
#include "xtest.h"
int main(int argc, char **argv)
{
    XT_INIT(argc, argv);
    (void)xt_run; (void)xt_below;   /* the harness, unused here */
    printf("%s: xalloc_slab.h is not there yet: nothing to check\n", xt_prog);
    return XT_DONE();
}
#else
#define XALLOC_IMPLEMENTATION
#include "xalloc_slab.h"
#include "xtest.h"
#include "san_probe.h"

#define REGION (256u * 1024u)
static unsigned char region[REGION] __attribute__((aligned(4096)));
static unsigned char kmem_mem[8192] __attribute__((aligned(64)));
static xslab_pages pages;
static xslab_cache cache;

static int errors;
static void on_error(void *user, xalloc_error e, uintptr_t p, const char *what)
{
    (void)user; (void)p;
    errors++;
    fprintf(stderr, "unexpected error report: %s (%s)\n", xalloc_error_name(e), what);
}

static bool make_pages(void)
{
    xslab_pages_desc pd;
    memset(&pd, 0, sizeof pd);
    pd.hooks.error = on_error;
    errors = 0;
    return xslab_pages_init(&pages, region, sizeof region, &pd) == &pages;
}

static xslab_cache *make_cache(size_t size)
{
    xslab_cache_desc cd;
    if (!make_pages()) return NULL;
    memset(&cd, 0, sizeof cd);
    cd.hooks.error = on_error;
    cd.pages = &pages;
    cd.size = size;
    return xslab_cache_init(&cache, &cd);
}

/* A fresh cache per size: the first object's bytes addressable, the byte
 * after it poisoned (the next, free object, or slack), all of it poisoned
 * after the free. */
static void test_cache_sizes(void)
{
    static const size_t sizes[] = { 1, 8, 13, 24, 64, 100, 1000 };
    size_t i;
    for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        xslab_cache *c = make_cache(sizes[i]);
        unsigned char *o, *o2;
        XT_CHECK(c != NULL);
        if (!c) return;
        o = (unsigned char *)xslab_alloc(c);
        XT_CHECK(o != NULL);
        if (!o) continue;
        if (san_live(o, sizes[i], "cache alloc")) memset(o, 0xAB, sizes[i]);
        san_after(o + sizes[i], "cache alloc");
        o2 = (unsigned char *)xslab_alloc(c);       /* a second one: the same */
        XT_CHECK(o2 != NULL);
        if (o2) san_live(o2, sizes[i], "cache alloc, second");
        xslab_free(c, o);
        san_freed(o, sizes[i], "cache free");
        xslab_free(c, o2);
        if (o2) san_freed(o2, sizes[i], "cache free, second");
        xslab_cache_destroy(c);
        XT_CHECK(errors == 0);
    }
}

static void ctor_mark(void *user, void *obj) { (void)user; *(unsigned char *)obj = 0x5A; }

/* Two whole slabs per size, so that each last object (whose slot ends at
 * the slack before the bitmap) is checked too: each live object's bytes
 * addressable; the bytes past the last object and before object 0 of the
 * second slab (its colour offset) poisoned; after every other object is
 * freed, the byte past each live one poisoned; after the frees, none of
 * them addressable. Sizes that are not multiples of the 8-byte ASan
 * granule, a constructor cache (its link after the object) and the largest
 * object a 4096-byte slab holds at this level. */
static void test_whole_slabs(void)
{
    static const size_t sizes[] = { 1, 5, 13, 36, 100, 1000, 0 };
    enum { MAXN = 600 };
    static unsigned char *o[2 * MAXN];
    size_t i, j;
    int ctor;
    for (ctor = 0; ctor < 2; ctor++)
        for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
            size_t size = sizes[i], n;
            xslab_cache_desc cd;
            xslab_stats st;
            XT_CHECK(make_pages());
            memset(&cd, 0, sizeof cd);
            cd.pages = &pages;
            cd.align = 1;
            if (ctor) cd.ctor = ctor_mark;
            if (!size) { /* the largest: init fails for every size above it */
                size = 4096;
                do cd.size = --size; while (size > 1 && !xslab_cache_init(&cache, &cd));
                XT_CHECK(size >= 4096 - 128);
            }
            cd.hooks.error = on_error;
            cd.size = size;
            XT_CHECK_MSG(xslab_cache_init(&cache, &cd) == &cache, "size %zu", size);
            xslab_stats_get(&cache, &st);
            n = st.objperslab < MAXN ? st.objperslab : MAXN;
            for (j = 0; j < 2 * n; j++) {
                o[j] = (unsigned char *)xslab_alloc(&cache);
                XT_CHECK(o[j] != NULL);
                if (!o[j]) return;
            }
            for (j = 0; j < 2 * n; j++)
                if (san_live(o[j], size, "whole slab, live")) {
                    if (ctor) XT_CHECK(o[j][0] == 0x5A);
                    memset(o[j], 0xEE, size);
                }
            if (n == st.objperslab) {
                san_after(o[n - 1] + size, "past the last object of a slab");
                san_after(o[2 * n - 1] + size, "past the last object of a slab");
            }
            if ((uintptr_t)o[n] & 4095) san_after(o[n] - 1, "before object 0 (colour)");
            for (j = 1; j < 2 * n; j += 2) xslab_free(&cache, o[j]);
            for (j = 0; j < 2 * n; j += 2) san_after(o[j] + size, "past an object, the next one freed");
            for (j = 0; j < 2 * n; j += 2) xslab_free(&cache, o[j]);
            for (j = 0; j < 2 * n; j++) san_freed(o[j], size, "whole slab, freed");
            XT_CHECK(xslab_check(&cache) == NULL);
            xslab_cache_destroy(&cache);
            XT_CHECK(errors == 0);
        }
}

/* Random allocations and frees from one cache; every live object stays
 * addressable and every object freed is entirely poisoned. */
static void test_random_map(void)
{
    enum { SLOTS = 256, SIZE = 40 };
    unsigned char *live[SLOTS];
    int steps = XALLOC_DEBUG >= 4 ? 300 : 5000, i, s, before = xt_failed_checks;
    xslab_cache *c = make_cache(SIZE);
    XT_CHECK(c != NULL);
    if (!c) return;
    for (s = 0; s < SLOTS; s++) live[s] = NULL;
    for (i = 0; i < steps && xt_failed_checks < before + 10; i++) {
        s = (int)xt_below(SLOTS);
        if (live[s]) {
            xslab_free(c, live[s]);
            san_freed(live[s], SIZE, "random free");
            live[s] = NULL;
        } else if ((live[s] = (unsigned char *)xslab_alloc(c)) != NULL) {
            if (san_live(live[s], SIZE, "random alloc")) memset(live[s], s, SIZE);
        }
        if (i % 200 == 0)
            for (s = 0; s < SLOTS; s++) if (live[s]) san_live(live[s], SIZE, "random live");
    }
    for (s = 0; s < SLOTS; s++) xslab_free(c, live[s]);
    XT_CHECK(xslab_check(c) == NULL);
    xslab_cache_destroy(c);
    XT_CHECK(errors == 0);
}

/* kmalloc: xslab_ksize bytes addressable, poisoned after kfree; krealloc
 * keeps the map exact. */
static void test_kmalloc(void)
{
    static const size_t sizes[] = { 1, 8, 9, 100, 128, 300, 1000 };
    xslab_kmem_desc kd;
    xslab_kmem *k;
    size_t i;
    XT_CHECK(make_pages());
    memset(&kd, 0, sizeof kd);
    kd.hooks.error = on_error;
    kd.pages = &pages;
    kd.max_size = 1024;
    XT_CHECK(xslab_kmem_size(&kd) != 0 && xslab_kmem_size(&kd) <= sizeof kmem_mem);
    k = xslab_kmem_init(kmem_mem, sizeof kmem_mem, &kd);
    XT_CHECK(k != NULL);
    if (!k) return;
    for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        unsigned char *p = (unsigned char *)xslab_kmalloc(k, sizes[i]), *q;
        size_t n, nq;
        XT_CHECK(p != NULL);
        if (!p) continue;
        n = xslab_ksize(k, p);
        XT_CHECK(n >= sizes[i]);
        if (san_live(p, n, "kmalloc")) memset(p, 0xCD, n);
        san_after(p + n, "kmalloc");
        q = (unsigned char *)xslab_krealloc(k, p, 3 * sizes[i] + 50 > 1024 ? 1024 : 3 * sizes[i] + 50);
        XT_CHECK(q != NULL);
        if (!q) { xslab_kfree(k, p); continue; }
        nq = xslab_ksize(k, q);
        san_live(q, nq, "krealloc");
        if (q != p && (q >= p + n || q + nq <= p)) san_freed(p, n, "krealloc, old object");
        xslab_kfree(k, q);
        san_freed(q, nq, "kfree");
    }
    xslab_kmem_destroy(k);
    XT_CHECK(errors == 0);
}

#if defined(SAN_ASAN)
static xslab_cache *child_c;
static unsigned char *volatile child_p;
static volatile size_t child_n;

static void write_after_free(void) { xslab_free(child_c, child_p); child_p[0] = 1; }
static void read_after_free(void) { volatile unsigned char c; xslab_free(child_c, child_p); c = child_p[child_n - 1]; (void)c; }
static void write_past_end(void) { child_p[child_n] = 1; }
static void write_inside(void) { child_p[0] = 1; child_p[child_n - 1] = 2; xslab_free(child_c, child_p); }

static void test_asan_catches(void)
{
    static const size_t sizes[] = { 5, 8, 13, 24, 100, 1001 };
    size_t i;
    for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        child_c = make_cache(sizes[i]);
        XT_CHECK(child_c != NULL);
        if (!child_c) return;
        child_p = (unsigned char *)xslab_alloc(child_c);
        XT_CHECK(child_p != NULL);
        if (!child_p) return;
        child_n = sizes[i];
        XT_CHECK_MSG(san_stops(write_inside, NULL) == 0, "size %zu: a write inside the object was reported", sizes[i]);
        XT_CHECK_MSG(san_stops(write_after_free, "use-after-poison") == 1, "size %zu: write after free not caught", sizes[i]);
        XT_CHECK_MSG(san_stops(read_after_free, "use-after-poison") == 1, "size %zu: read after free not caught", sizes[i]);
        XT_CHECK_MSG(san_stops(write_past_end, NULL) == 1, "size %zu: write past the object not caught", sizes[i]);
        xslab_free(child_c, child_p);
        xslab_cache_destroy(child_c);
    }
}
#endif

int main(int argc, char **argv)
{
    SAN_BEGIN(argc, argv, "the slab allocator's poisoning");
    XT_RUN(test_cache_sizes);
    XT_RUN(test_whole_slabs);
    XT_RUN(test_random_map);
    XT_RUN(test_kmalloc);
#if defined(SAN_ASAN)
    XT_RUN(test_asan_catches);
#endif
    return XT_DONE();
}
#endif /* NO_HEADER */
