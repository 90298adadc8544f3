/* san_probe.h - what the tests/test_sanitize_<name>.c programs share: asking
 * AddressSanitizer or valgrind memcheck which bytes a program may touch, and
 * running a bad access in a child process to see ASan stop it.
 *
 *   addressable(p)          may the program touch byte p (as the tool sees it)
 *   san_live(p, n, what)    a live block: n bytes addressable; returns
 *                           whether all are (write them only then)
 *   san_after(p, what)      the byte at p (just past a block) is poisoned
 *   san_freed(p, n, what)   a freed block: none of its n bytes addressable
 *   san_stops(fn, expect)   (ASan) fn run in a child is stopped by an ASan
 *                           report that contains `expect` (NULL: any)
 *   SAN_TOOL                "AddressSanitizer", "valgrind memcheck" (when
 *                           built with XALLOC_VALGRIND=1 and running under
 *                           valgrind) or NULL: nothing to check
 * The valgrind probe is VALGRIND_GET_VBITS, which reports nothing itself, so
 * a clean valgrind run stays clean. Include after xtest.h. */
#ifndef SAN_PROBE_H
#define SAN_PROBE_H

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
#define SAN_TOOL "AddressSanitizer"
#elif defined(XALLOC_VALGRIND) && XALLOC_VALGRIND
#include <valgrind/memcheck.h>
#define SAN_VALGRIND 1
#define SAN_TOOL (RUNNING_ON_VALGRIND ? "valgrind memcheck" : (const char *)NULL)
#else
#define SAN_TOOL ((const char *)NULL)
#endif

static int addressable(const void *at)
{
#if defined(SAN_ASAN)
    return !__asan_address_is_poisoned(at);
#elif defined(SAN_VALGRIND)
    char vbits;
    return VALGRIND_GET_VBITS(at, &vbits, 1) != 3;
#else
    (void)at;
    return 1;
#endif
}

static size_t san_first_poisoned(const unsigned char *p, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) if (!addressable(p + i)) break;
    return i;
}
static size_t san_first_addressable(const unsigned char *p, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) if (addressable(p + i)) break;
    return i;
}

static bool san_live(const void *p, size_t n, const char *what)
{
    size_t i = san_first_poisoned((const unsigned char *)p, n);
    XT_CHECK_MSG(i == n, "%s: byte %zu of the %zu bytes the caller may use is poisoned "
                 "(a program that uses them would be reported)", what, i, n);
    return i == n;
}
static void san_after(const void *p, const char *what)
{
    XT_CHECK_MSG(!addressable(p), "%s: the byte just past the block is addressable "
                 "(an overflow there would go unreported)", what);
}
static void san_freed(const void *p, size_t n, const char *what)
{
    size_t i = san_first_addressable((const unsigned char *)p, n);
    XT_CHECK_MSG(i == n, "%s: byte %zu of a freed block of %zu is addressable "
                 "(a use after free there would go unreported)", what, i, n);
}

#if defined(SAN_ASAN)
/* Runs fn in a child process with its stderr captured; 1 if the child was
 * stopped by an AddressSanitizer report (containing `expect`, if given),
 * 0 if it exited normally or otherwise. */
static int san_stops(void (*fn)(void), const char *expect)
{
    int fds[2], status = 0, caught;
    char out[16384];
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
    while (len < sizeof out - 1 && (got = read(fds[0], out + len, sizeof out - 1 - len)) > 0) len += (size_t)got;
    out[len] = '\0';
    close(fds[0]);
    waitpid(pid, &status, 0);
    caught = !(WIFEXITED(status) && WEXITSTATUS(status) == 0) && strstr(out, "AddressSanitizer") != NULL;
    if (caught && expect && !strstr(out, expect)) {
        fprintf(stderr, "ASan stopped the child, but its report does not say \"%s\":\n%s\n", expect, out);
        caught = 0;
    }
    return caught;
}
#endif

/* The start of every test_sanitize_<name>.c main: returns from main (every
 * test skipped, "0 passed, 0 failed") when there is no tool to ask. */
#define SAN_BEGIN(argc, argv, what) do { \
    XT_INIT((argc), (argv)); \
    if (!SAN_TOOL) { \
        printf("%s: not built with AddressSanitizer, or built with XALLOC_VALGRIND=1 but not running " \
               "under valgrind: nothing to check (`make sanitize` and `make valgrind` run it)\n", xt_prog); \
        return XT_DONE(); \
    } \
    printf("%s: checking %s under %s\n", xt_prog, (what), SAN_TOOL); \
} while (0)
#endif
