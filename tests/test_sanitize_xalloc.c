/* test_sanitize_xalloc.c - the heap (xalloc.h) tells AddressSanitizer and
 * valgrind memcheck which bytes of the caller's region a program may touch,
 * so that they catch a use after free or an overflow inside the region as
 * they would with malloc. This test proves it:
 *   - under ASan (`make sanitize`): every byte of a live block's usable size
 *     is addressable, the byte after it is poisoned, every byte of a freed
 *     block is poisoned; and a child process that writes after a free, or one
 *     byte past the usable size, is stopped by an ASan report, while a child
 *     that writes only inside its block exits normally;
 *   - under valgrind with -DXALLOC_VALGRIND=1 (`make valgrind`): the same
 *     addressability facts, read through VALGRIND_GET_VBITS (which reports
 *     nothing itself, so a clean run stays clean);
 *   - otherwise it says it has nothing to check and passes no test.
 * Built at every XALLOC_DEBUG level like every tests/test_*.c. */
#define XALLOC_IMPLEMENTATION
#include "xalloc.h"
#include "xtest.h"

#if defined(__SANITIZE_ADDRESS__)
#define SAN_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SAN_ASAN 1
#endif
#endif
#if defined(SAN_ASAN)
#include <sanitizer/asan_interface.h>
#include <sys/wait.h>
#include <unistd.h>
#elif defined(XALLOC_VALGRIND) && XALLOC_VALGRIND
#include <valgrind/memcheck.h>
#define SAN_VALGRIND 1
#endif

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

/* Whether the program may touch byte p, as the tool in use sees it. */
static int addressable(const unsigned char *p)
{
#if defined(SAN_ASAN)
    return !__asan_address_is_poisoned(p);
#elif defined(SAN_VALGRIND)
    char vbits;
    return VALGRIND_GET_VBITS(p, &vbits, 1) != 3;
#else
    (void)p;
    return 1;
#endif
}

/* Index of the first byte of p..p+n that is poisoned, or n. */
static size_t first_poisoned(const unsigned char *p, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) if (!addressable(p + i)) break;
    return i;
}
/* Index of the first byte of p..p+n that is addressable, or n. */
static size_t first_addressable(const unsigned char *p, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) if (addressable(p + i)) break;
    return i;
}

/* A live block: its usable bytes addressable, the byte after them not.
 * Returns whether all usable bytes may be written (the caller writes them
 * only then, so a failure is reported rather than stopping the program). */
static bool check_live(const unsigned char *p, size_t usable, const char *what)
{
    size_t i = first_poisoned(p, usable);
    XT_CHECK_MSG(i == usable, "%s: byte %zu of %zu usable bytes is poisoned", what, i, usable);
    XT_CHECK_MSG(!addressable(p + usable), "%s: the byte after %zu usable bytes is addressable", what, usable);
    return i == usable;
}
/* A freed block: none of its former bytes addressable. */
static void check_freed(const unsigned char *p, size_t usable, const char *what)
{
    size_t i = first_addressable(p, usable);
    XT_CHECK_MSG(i == usable, "%s: byte %zu of a freed block of %zu is addressable", what, i, usable);
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
        check_freed(p, u, "free");
    }
    XT_CHECK(errors == 0);
}

/* calloc, aligned_alloc, realloc (in place, moved, shrunk) keep the map
 * exact too. */
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
    if (q) { u = xalloc_usable_size(h, q); check_live(q, u, "aligned_alloc"); xalloc_free(h, q); check_freed(q, u, "aligned free"); }

    /* shrink in place: the bytes given back are poisoned again */
    p = (unsigned char *)xalloc_alloc(h, 2000);
    guard = (unsigned char *)xalloc_alloc(h, 16);  /* keeps p from merging with the rest */
    XT_CHECK(p != NULL && guard != NULL);
    if (!p || !guard) return;
    u = xalloc_usable_size(h, p);
    r = (unsigned char *)xalloc_realloc(h, p, 100);
    XT_CHECK(r == p);
    if (r) {
        uq = xalloc_usable_size(h, r);
        XT_CHECK(uq < u);
        check_live(r, uq, "realloc shrink");
        check_freed(r + uq, u - uq, "realloc shrink, the bytes given back");
        /* grow (moved or in place): all of the new size addressable */
        q = (unsigned char *)xalloc_realloc(h, r, 5000);
        XT_CHECK(q != NULL);
        if (q) {
            size_t nq = xalloc_usable_size(h, q);
            check_live(q, nq, "realloc grow");
            if (q >= r + uq + 8 || q + nq + 8 <= r) check_freed(r, uq, "realloc moved, old block");
            xalloc_free(h, q);
        } else {
            xalloc_free(h, r);
        }
    }
    xalloc_free(h, guard);
    XT_CHECK(errors == 0);
}

/* Random allocations and frees; after each step every live block is exactly
 * addressable and a few freed ones are entirely poisoned. */
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
    for (i = 0; i < steps; i++) {
        s = (int)xt_below(SLOTS);
        if (live[s]) {
            xalloc_free(h, live[s]);
            check_freed(live[s], usable[s], "random free");
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
        if (xt_failed_checks > before + 10) break;   /* enough said */
    }
    for (s = 0; s < SLOTS; s++) xalloc_free(h, live[s]);
    XT_CHECK(xalloc_check(h) == NULL);
    XT_CHECK(errors == 0);
}

#if defined(SAN_ASAN)
/* Runs fn in a child process with its stderr captured; returns whether the
 * child was stopped by an AddressSanitizer report. */
static int asan_stops(void (*fn)(void), const char *expect)
{
    int fds[2], status = 0, caught;
    char out[8192];
    size_t len = 0;
    ssize_t got;
    pid_t pid;
    fflush(NULL);
    if (pipe(fds) != 0) return -1;
    pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        close(fds[0]);
        dup2(fds[1], 2);
        fn();
        _exit(0);                    /* not caught: a normal exit */
    }
    close(fds[1]);
    while ((got = read(fds[0], out + len, sizeof out - 1 - len)) > 0) len += (size_t)got;
    out[len] = '\0';
    close(fds[0]);
    waitpid(pid, &status, 0);
    caught = !(WIFEXITED(status) && WEXITSTATUS(status) == 0) && strstr(out, "AddressSanitizer") != NULL;
    if (caught && expect && !strstr(out, expect))
        fprintf(stderr, "ASan stopped the child, but not with \"%s\":\n%s\n", expect, out);
    if (caught && expect) caught = strstr(out, expect) != NULL;
    return caught;
}

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
        XT_CHECK_MSG(asan_stops(write_inside, NULL) == 0, "size %zu: a write inside the block was reported", sizes[i]);
        XT_CHECK_MSG(asan_stops(write_after_free, "use-after-poison") == 1, "size %zu: write after free not caught", sizes[i]);
        XT_CHECK_MSG(asan_stops(read_after_free, "use-after-poison") == 1, "size %zu: read after free not caught", sizes[i]);
        XT_CHECK_MSG(asan_stops(write_past_end, "use-after-poison") == 1, "size %zu: write past the usable size not caught", sizes[i]);
    }
}
#endif

int main(int argc, char **argv)
{
#if defined(SAN_ASAN)
    const char *tool = "AddressSanitizer";
#elif defined(SAN_VALGRIND)
    const char *tool = RUNNING_ON_VALGRIND ? "valgrind memcheck" : NULL;
#else
    const char *tool = NULL;
#endif
    XT_INIT(argc, argv);
    if (!tool) {
        printf("%s: not built with AddressSanitizer, or built with XALLOC_VALGRIND=1 but not running "
               "under valgrind: nothing to check (`make sanitize` and `make valgrind` run it)\n", xt_prog);
        return XT_DONE();
    }
    printf("%s: checking the heap's poisoning under %s\n", xt_prog, tool);
    XT_RUN(test_alloc_free_sizes);
    XT_RUN(test_other_calls);
    XT_RUN(test_random_map);
#if defined(SAN_ASAN)
    XT_RUN(test_asan_catches);
#endif
    return XT_DONE();
}
