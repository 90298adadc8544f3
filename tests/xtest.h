/* xtest.h - the few lines of test harness every tests/test_*.c uses.
 *
 *   static void test_something(void) { XT_CHECK(1 + 1 == 2); }
 *   int main(int argc, char **argv) {
 *       XT_INIT(argc, argv);          // parses --seed N (default: fixed)
 *       XT_RUN(test_something);
 *       return XT_DONE();             // prints "<prog>: N passed, M failed"
 *   }
 *
 * A test passes when none of its XT_CHECKs failed. Randomised tests draw from
 * xt_rand() (xorshift64*), seeded by xt_seed, which the program prints, so a
 * failing run can be replayed with --seed. XTEST_SLOW=1 (set under qemu and
 * valgrind) lets long tests do less; XTEST_TIME=1 prints each test's CPU
 * time on stderr. Hosted: the tests may use libc. */
#ifndef XTEST_H
#define XTEST_H
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int xt_failed_checks, xt_passed, xt_failed;
static const char *xt_prog = "test";
static uint64_t xt_seed = 0x9E3779B97F4A7C15ull, xt_state;

#define XT_CHECK(cond) do { if (!(cond)) { xt_failed_checks++; \
    fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); } } while (0)
#define XT_CHECK_MSG(cond, ...) do { if (!(cond)) { xt_failed_checks++; \
    fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond); \
    fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); } } while (0)

static uint64_t xt_rand(void)
{
    xt_state ^= xt_state >> 12;
    xt_state ^= xt_state << 25;
    xt_state ^= xt_state >> 27;
    return xt_state * 0x2545F4914F6CDD1Dull;
}
/* True under an emulator or valgrind (the runs there set XTEST_SLOW=1):
 * randomized stresses then run a tenth of their operations; native runs
 * always run them in full. */
static inline int xt_slow(void) { const char *e = getenv("XTEST_SLOW"); return e && *e && *e != '0'; }

/* Index of the first of the n bytes at p that is not v, or n: whether a
 * buffer filled with v before a refused call is as it was. */
static inline size_t xt_first_not(const void *p, size_t n, unsigned char v)
{
    const unsigned char *c = (const unsigned char *)p;
    size_t i = 0;
    while (i < n && c[i] == v) i++;
    return i;
}

/* uniform in [0, n) (n > 0; the tiny modulo bias does not matter here) */
static uint64_t xt_below(uint64_t n) { return xt_rand() % n; }

static void xt_init(int argc, char **argv)
{
    int i;
    const char *slash;
    if (argc > 0) { xt_prog = argv[0]; if ((slash = strrchr(xt_prog, '/')) != NULL) xt_prog = slash + 1; }
    for (i = 1; i + 1 < argc; i++)
        if (!strcmp(argv[i], "--seed")) xt_seed = strtoull(argv[i + 1], NULL, 0);
    xt_state = xt_seed ? xt_seed : 1;
    printf("%s: seed %llu (replay with --seed %llu)\n", xt_prog, (unsigned long long)xt_seed,
           (unsigned long long)xt_seed);
}

static void xt_run(void (*fn)(void), const char *name)
{
    int before = xt_failed_checks;
    clock_t t0 = clock();
    fn();
    if (getenv("XTEST_TIME")) fprintf(stderr, "%s: %-32s %8.1f ms\n", xt_prog, name, (double)(clock() - t0) * 1000.0 / CLOCKS_PER_SEC);
    if (xt_failed_checks == before) xt_passed++;
    else { xt_failed++; fprintf(stderr, "%s: FAILED %s\n", xt_prog, name); }
}

#define XT_INIT(argc, argv) xt_init((argc), (argv))
#define XT_RUN(fn) xt_run((fn), #fn)
#define XT_DONE() (printf("%s: %d passed, %d failed\n", xt_prog, xt_passed, xt_failed), xt_failed != 0)
#endif
