/* test_sanitize_xalloc.c - the heap (xalloc.h) tells AddressSanitizer and
 * valgrind memcheck which bytes of the caller's region a program may touch,
 * so that they catch a use after free or an overflow inside the region as
 * they would with malloc. This test proves it:
 *   - under ASan (`make sanitize`): every byte xalloc_usable_size allows is
 *     addressable, the byte after them is poisoned, every byte of a freed
 *     block is poisoned; and a child process that writes or reads after a
 *     free, or writes one byte past the usable size, is stopped by an ASan
 *     report, while a child that writes only inside its block exits normally;
 *   - under valgrind with -DXALLOC_VALGRIND=1 (`make valgrind`): the same
 *     addressability facts (tests/san_probe.h);
 *   - otherwise it says it has nothing to check and runs no test.
 * Built at every XALLOC_DEBUG level like every tests/test_*.c. */
#define XALLOC_IMPLEMENTATION
#include "xalloc.h"
#include "xtest.h"
#include "san_probe.h"

#define ARENA (256u * 1024u)
static unsigned char arena[ARENA] __attribute__((aligned(64)));

static int errors;
static void on_error(void *user, xalloc_error e, uintptr_t p, const char *what)
{
    (void)user; (void)p;
    errors++;
    fprintf(stderr, "unexpected error report: %s (%s)\n", xalloc_error_name(e), what);
}

static xalloc_heap *make(void)
{
    xalloc_desc d;
    memset(&d, 0, sizeof d);
    d.hooks.error = on_error;
    errors = 0;
    return xalloc_init(arena, sizeof arena, &d);
}

/* A live block: its usable bytes addressable, the byte after them not. */
static bool check_live(const unsigned char *p, size_t usable, const char *what)
{
    bool ok = san_live(p, usable, what);
    san_after(p + usable, what);
    return ok;
}

static void test_alloc_free_sizes(void)
{
    static const size_t sizes[] = { 1, 2, 7, 8, 9, 15, 16, 17, 24, 31, 32, 33, 63, 64, 65, 100,
                                    127, 128, 129, 255, 256, 1000, 4095, 4096, 4097, 30000 };
    xalloc_heap *h = make();
    size_t i;
    XT_CHECK(h != NULL);
    if (!h) return;
    for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        unsigned char *p = (unsigned char *)xalloc_alloc(h, sizes[i]);
        size_t u;
        XT_CHECK(p != NULL);
        if (!p) continue;
        u = xalloc_usable_size(h, p);
        XT_CHECK(u >= sizes[i]);
        if (check_live(p, u, "alloc")) memset(p, 0xAB, u); /* the tool must let it write all of it */
        xalloc_free(h, p);
        san_freed(p, u, "free");
    }
    XT_CHECK(errors == 0);
}

/* calloc, aligned_alloc, realloc (shrunk in place, grown) keep the map exact
 * too. */
static void test_other_calls(void)
{
    xalloc_heap *h = make();
    unsigned char *p, *q, *r, *guard;
    size_t u, uq;
    XT_CHECK(h != NULL);
    if (!h) return;
    p = (unsigned char *)xalloc_calloc(h, 10, 30);
    XT_CHECK(p != NULL);
    if (p) { check_live(p, xalloc_usable_size(h, p), "calloc"); xalloc_free(h, p); }

    q = (unsigned char *)xalloc_aligned_alloc(h, 256, 200);
    XT_CHECK(q != NULL && ((uintptr_t)q & 255u) == 0);
    if (q) { u = xalloc_usable_size(h, q); check_live(q, u, "aligned_alloc"); xalloc_free(h, q); san_freed(q, u, "aligned free"); }

    p = (unsigned char *)xalloc_alloc(h, 2000);
    guard = (unsigned char *)xalloc_alloc(h, 16);  /* keeps p from merging with the rest */
    XT_CHECK(p != NULL && guard != NULL);
    if (!p || !guard) return;
    u = xalloc_usable_size(h, p);
    r = (unsigned char *)xalloc_realloc(h, p, 100);  /* shrink: in place */
    XT_CHECK(r == p);
    if (r) {
        uq = xalloc_usable_size(h, r);
        XT_CHECK(uq < u);
        check_live(r, uq, "realloc shrink");
        san_freed(r + uq, u - uq, "realloc shrink, the bytes given back");
        q = (unsigned char *)xalloc_realloc(h, r, 5000);  /* grow: moved or in place */
        XT_CHECK(q != NULL);
        if (q) {
            size_t nq = xalloc_usable_size(h, q);
            check_live(q, nq, "realloc grow");
            if (q >= r + uq + 8 || q + nq + 8 <= r) san_freed(r, uq, "realloc moved, old block");
            xalloc_free(h, q);
        } else {
            xalloc_free(h, r);
        }
    }
    xalloc_free(h, guard);
    XT_CHECK(errors == 0);
}

/* A realloc that moves down into its free predecessor (the heap being
 * full otherwise): the moved block is exactly addressable, its bytes as
 * they were (defined, for memcheck), and the part of the old block past
 * its new end is poisoned again. */
static void test_realloc_down(void)
{
    xalloc_heap *h = make();
    unsigned char *a, *b, *c, *r;
    size_t ub, ur, i;
    XT_CHECK(h != NULL);
    if (!h) return;
    a = (unsigned char *)xalloc_alloc(h, 600);
    b = (unsigned char *)xalloc_alloc(h, 3000);
    c = (unsigned char *)xalloc_alloc(h, 200);
    XT_CHECK(a && b && c && xalloc_alloc(h, 16) && xalloc_alloc(h, xalloc_max_alloc(h)));
    if (!a || !b || !c) return;
    ub = xalloc_usable_size(h, b);
    for (i = 0; i < 3000; i++) b[i] = (unsigned char)(i * 7);
    xalloc_free(h, a);
    xalloc_free(h, c);
    r = (unsigned char *)xalloc_realloc(h, b, 3400);
    XT_CHECK(r == a);
    if (r != a) return;
    ur = xalloc_usable_size(h, r);
    for (i = 0; i < 3000 && r[i] == (unsigned char)(i * 7); i++) { }
    XT_CHECK_MSG(i == 3000, "byte %zu of the moved block changed", i);
    check_live(r, ur, "realloc moved down");
    if (r + ur + 8 < b + ub) san_freed(r + ur + 8, (size_t)(b + ub - (r + ur + 8)), "realloc moved down, the old block's end");
    xalloc_free(h, r);
    XT_CHECK(xalloc_check(h) == NULL && errors == 0);
}

/* Random allocations and frees; every live block stays exactly addressable
 * and every block freed is entirely poisoned. */
static void test_random_map(void)
{
    enum { SLOTS = 64 };
    unsigned char *live[SLOTS];
    size_t usable[SLOTS];
    int steps = XALLOC_DEBUG >= 4 ? 300 : 3000, i, s, before = xt_failed_checks;
    xalloc_heap *h = make();
    XT_CHECK(h != NULL);
    if (!h) return;
    for (s = 0; s < SLOTS; s++) live[s] = NULL;
    for (i = 0; i < steps && xt_failed_checks < before + 10; i++) {
        s = (int)xt_below(SLOTS);
        if (live[s]) {
            xalloc_free(h, live[s]);
            san_freed(live[s], usable[s], "random free");
            live[s] = NULL;
        } else {
            size_t n = (size_t)(xt_below(4) ? 1 + xt_below(200) : 1 + xt_below(6000));
            live[s] = (unsigned char *)xalloc_alloc(h, n);
            if (live[s]) {
                usable[s] = xalloc_usable_size(h, live[s]);
                if (check_live(live[s], usable[s], "random alloc")) memset(live[s], s, usable[s]);
            }
        }
        if (i % 100 == 0)
            for (s = 0; s < SLOTS; s++) if (live[s]) check_live(live[s], usable[s], "random live");
    }
    for (s = 0; s < SLOTS; s++) xalloc_free(h, live[s]);
    XT_CHECK(xalloc_check(h) == NULL);
    XT_CHECK(errors == 0);
}

#if defined(SAN_ASAN)
static xalloc_heap *child_heap;
static unsigned char *volatile child_p;
static volatile size_t child_n;

static void write_after_free(void) { xalloc_free(child_heap, child_p); child_p[0] = 1; }
static void read_after_free(void) { volatile unsigned char c; xalloc_free(child_heap, child_p); c = child_p[child_n / 2]; (void)c; }
static void write_past_end(void) { child_p[child_n] = 1; }
static void write_inside(void) { child_p[0] = 1; child_p[child_n - 1] = 2; xalloc_free(child_heap, child_p); }

static void test_asan_catches(void)
{
    static const size_t sizes[] = { 1, 24, 100, 1000 };
    size_t i;
    for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        child_heap = make();
        XT_CHECK(child_heap != NULL);
        if (!child_heap) return;
        child_p = (unsigned char *)xalloc_alloc(child_heap, sizes[i]);
        XT_CHECK(child_p != NULL);
        if (!child_p) return;
        child_n = xalloc_usable_size(child_heap, child_p);
        XT_CHECK_MSG(san_stops(write_inside, NULL) == 0, "size %zu: a write inside the usable size was reported", sizes[i]);
        XT_CHECK_MSG(san_stops(write_after_free, "use-after-poison") == 1, "size %zu: write after free not caught", sizes[i]);
        XT_CHECK_MSG(san_stops(read_after_free, "use-after-poison") == 1, "size %zu: read after free not caught", sizes[i]);
        XT_CHECK_MSG(san_stops(write_past_end, NULL) == 1, "size %zu: write past the usable size not caught", sizes[i]);
    }
}
#endif

int main(int argc, char **argv)
{
    SAN_BEGIN(argc, argv, "the heap's poisoning");
    XT_RUN(test_alloc_free_sizes);
    XT_RUN(test_other_calls);
    XT_RUN(test_realloc_down);
    XT_RUN(test_random_map);
#if defined(SAN_ASAN)
    XT_RUN(test_asan_catches);
#endif
    return XT_DONE();
}
