/* test_sanitize_buddy.c - the buddy allocator (xalloc_buddy.h, in-band)
 * tells AddressSanitizer and valgrind memcheck which bytes of its pool a
 * program may touch: a live block's bytes (xbuddy_block_size of them) are
 * addressable, free blocks are not. Under ASan, a child process that writes
 * or reads after a free, or writes past its block into a free buddy, is
 * stopped by an ASan report, and one that stays inside exits normally.
 * Under valgrind (-DXALLOC_VALGRIND=1) the same addressability facts; with
 * neither it runs no test (tests/san_probe.h). */
#if defined(__has_include)
#if !__has_include("xalloc_buddy.h")
#define NO_HEADER 1   /* the test arrived before its header: nothing to test */
#endif
#endif
#ifdef NO_HEADER
#include "xtest.h"
int main(int argc, char **argv)
{
    XT_INIT(argc, argv);
    (void)xt_run; (void)xt_below;   /* the harness, unused here */
    printf("%s: xalloc_buddy.h is not there yet: nothing to check\n", xt_prog);
    return XT_DONE();
}
#else
#define XALLOC_IMPLEMENTATION
#include "xalloc_buddy.h"
#include "xtest.h"
#include "san_probe.h"

#define POOL (256u * 1024u)
#define MIN 64u
static unsigned char pool[POOL] __attribute__((aligned(64)));

static int errors;
static void on_error(void *user, xalloc_error e, uintptr_t p, const char *what)
{
    (void)user; (void)p;
    errors++;
    fprintf(stderr, "unexpected error report: %s (%s)\n", xalloc_error_name(e), what);
}

static xbuddy *make(void)
{
    xbuddy_desc d;
    memset(&d, 0, sizeof d);
    d.hooks.error = on_error;
    d.min_block = MIN;
    errors = 0;
    return xbuddy_init(pool, sizeof pool, &d);
}

static size_t block_size(xbuddy *b, const void *p)
{
    return (size_t)xbuddy_block_size(b, (xbuddy_addr)(uintptr_t)p);
}

/* The kind of the block holding address `at` (xbuddy_walk), -1 if none. */
struct kind_query { uintptr_t at; int kind; };
static bool kind_cb(void *user, xbuddy_addr addr, xbuddy_addr size, xbuddy_kind kind)
{
    struct kind_query *q = (struct kind_query *)user;
    if (q->at >= (uintptr_t)addr && q->at - (uintptr_t)addr < (uintptr_t)size) { q->kind = (int)kind; return false; }
    return true;
}
static int kind_at(xbuddy *b, const void *at)
{
    struct kind_query q;
    q.at = (uintptr_t)at;
    q.kind = -1;
    xbuddy_walk(b, kind_cb, &q);
    return q.kind;
}

/* A live block of `size` whose next byte is in a free block, so that the
 * byte after it must be poisoned: blocks are taken until one is followed by
 * free memory (the others are freed again). */
static unsigned char *with_free_after(xbuddy *b, size_t size, size_t *n)
{
    unsigned char *got[64], *p = NULL;
    int k = 0, i;
    while (k < 64 && (got[k] = (unsigned char *)xbuddy_alloc(b, size)) != NULL) {
        size_t m = block_size(b, got[k]);
        if (kind_at(b, got[k] + m) == XBUDDY_FREE) { p = got[k]; *n = m; break; }
        k++;
    }
    for (i = 0; i < k; i++) xbuddy_free(b, got[i]);
    XT_CHECK_MSG(p != NULL, "no block of %zu bytes followed by free memory", size);
    if (p) XT_CHECK(*n >= size);
    return p;
}

/* A fresh pool per size: a live block's bytes addressable, the byte after it
 * (free memory) poisoned, all of it poisoned after the free. */
static void test_alloc_free_sizes(void)
{
    static const size_t sizes[] = { 1, 63, 64, 65, 100, 128, 1000, 4096, 5000, 30000 };
    size_t i;
    for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        xbuddy *b = make();
        unsigned char *p;
        size_t n = 0;
        XT_CHECK(b != NULL);
        if (!b) return;
        p = with_free_after(b, sizes[i], &n);
        if (!p) continue;
        if (san_live(p, n, "alloc")) memset(p, 0xAB, n);
        san_after(p + n, "alloc");
        xbuddy_free(b, p);
        san_freed(p, n, "free");
        XT_CHECK(errors == 0);
    }
}

/* Random allocations and frees; every live block stays addressable and
 * every block freed is entirely poisoned. */
static void test_random_map(void)
{
    enum { SLOTS = 64 };
    unsigned char *live[SLOTS];
    size_t size[SLOTS];
    int steps = XALLOC_DEBUG >= 4 ? 300 : 3000, i, s, before = xt_failed_checks;
    xbuddy *b = make();
    XT_CHECK(b != NULL);
    if (!b) return;
    for (s = 0; s < SLOTS; s++) live[s] = NULL;
    for (i = 0; i < steps && xt_failed_checks < before + 10; i++) {
        s = (int)xt_below(SLOTS);
        if (live[s]) {
            xbuddy_free(b, live[s]);
            san_freed(live[s], size[s], "random free");
            live[s] = NULL;
        } else {
            live[s] = (unsigned char *)xbuddy_alloc(b, (size_t)(1 + xt_below(xt_below(4) ? 300 : 8000)));
            if (live[s]) {
                size[s] = block_size(b, live[s]);
                if (san_live(live[s], size[s], "random alloc")) memset(live[s], s, size[s]);
            }
        }
        if (i % 100 == 0)
            for (s = 0; s < SLOTS; s++) if (live[s]) san_live(live[s], size[s], "random live");
    }
    for (s = 0; s < SLOTS; s++) xbuddy_free(b, live[s]);
    XT_CHECK(xbuddy_check(b) == NULL);
    XT_CHECK(errors == 0);
}

#if defined(SAN_ASAN)
static xbuddy *child_b;
static unsigned char *volatile child_p;
static volatile size_t child_n;

static void write_after_free(void) { xbuddy_free(child_b, child_p); child_p[0] = 1; }
static void read_after_free(void) { volatile unsigned char c; xbuddy_free(child_b, child_p); c = child_p[child_n / 2]; (void)c; }
static void write_past_end(void) { child_p[child_n] = 1; }   /* into free memory */
static void write_inside(void) { child_p[0] = 1; child_p[child_n - 1] = 2; xbuddy_free(child_b, child_p); }

static void test_asan_catches(void)
{
    static const size_t sizes[] = { 1, 100, 1000 };
    size_t i;
    for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        child_b = make();
        XT_CHECK(child_b != NULL);
        if (!child_b) return;
        {
            size_t n = 0;
            child_p = with_free_after(child_b, sizes[i], &n);
            child_n = n;
        }
        if (!child_p) return;
        XT_CHECK_MSG(san_stops(write_inside, NULL) == 0, "size %zu: a write inside the block was reported", sizes[i]);
        XT_CHECK_MSG(san_stops(write_after_free, "use-after-poison") == 1, "size %zu: write after free not caught", sizes[i]);
        XT_CHECK_MSG(san_stops(read_after_free, "use-after-poison") == 1, "size %zu: read after free not caught", sizes[i]);
        XT_CHECK_MSG(san_stops(write_past_end, NULL) == 1, "size %zu: write past the block not caught", sizes[i]);
    }
}
#endif

int main(int argc, char **argv)
{
    SAN_BEGIN(argc, argv, "the buddy allocator's poisoning");
    XT_RUN(test_alloc_free_sizes);
    XT_RUN(test_random_map);
#if defined(SAN_ASAN)
    XT_RUN(test_asan_catches);
#endif
    return XT_DONE();
}
#endif /* NO_HEADER */
