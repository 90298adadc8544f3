/* bench.h - shared helpers for bench/bench_*.c (hosted: uses libc).
 *
 * Method: every workload is generated up front into an array of operations
 * (so the timed loop does no random-number work), then replayed against each
 * allocator in the same process, alternating allocators, BENCH_RUNS times;
 * we report the median ns/op and the ratio of medians. Per-operation
 * latency is a separate pass that reads the cycle counter around each call
 * and reports p50/p99/p99.99 (converted to ns with a measured TSC rate).
 * Environment: BENCH_RUNS (default 5), BENCH_QUICK=1 (smaller workloads). */
#ifndef BENCH_H
#define BENCH_H
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

static inline uint64_t bench_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A cheap cycle-ish counter for per-call latency. */
static inline uint64_t bench_ticks(void)
{
#if defined(__x86_64__) || defined(__i386__)
    unsigned aux;
    return __rdtscp(&aux);
#else
    return bench_ns();
#endif
}

/* ticks per ns, measured once */
static double bench_tick_rate(void)
{
    static double rate;
    if (rate == 0) {
        uint64_t n0 = bench_ns(), t0 = bench_ticks(), n1, t1;
        do { n1 = bench_ns(); } while (n1 - n0 < 20000000u);
        t1 = bench_ticks();
        rate = (double)(t1 - t0) / (double)(n1 - n0);
    }
    return rate;
}

static uint64_t bench_rng = 0x243F6A8885A308D3ull;
static inline uint64_t bench_rand(void)
{
    bench_rng ^= bench_rng >> 12;
    bench_rng ^= bench_rng << 25;
    bench_rng ^= bench_rng >> 27;
    return bench_rng * 0x2545F4914F6CDD1Dull;
}
static inline double bench_unit(void) { return (double)(bench_rand() >> 11) * (1.0 / 9007199254740992.0); }
/* log-uniform integer in [lo, hi] */
static inline size_t bench_log_uniform(size_t lo, size_t hi)
{
    double l = __builtin_log((double)lo), h = __builtin_log((double)hi + 1);
    size_t s = (size_t)__builtin_exp(l + (h - l) * bench_unit());
    return s < lo ? lo : s > hi ? hi : s;
}

static int bench_cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}
static int bench_cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}
static double bench_median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, bench_cmp_dbl);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}
/* q-quantile (0..1) of v, already sorted, converted from ticks to ns. */
static double bench_quantile_ns(const uint64_t *v, size_t n, double q)
{
    size_t i = (size_t)(q * (double)(n - 1) + 0.5);
    return (double)v[i] / bench_tick_rate();
}
static void bench_sort_u64(uint64_t *v, size_t n) { qsort(v, n, sizeof *v, bench_cmp_u64); }

static int bench_runs(void)
{
    const char *e = getenv("BENCH_RUNS");
    int r = e ? atoi(e) : 5;
    return r < 1 ? 1 : r > 101 ? 101 : r;
}
static int bench_quick(void) { const char *e = getenv("BENCH_QUICK"); return e && *e == '1'; }

/* keep the optimiser from dropping a result */
static inline void bench_use(const void *p) { __asm__ volatile("" : : "r"(p) : "memory"); }

/* The fragmentation figure every allocator is held to: allocate (sizes
 * log-uniform 16 B..2 KiB) and free at random (45 of 100 operations free a
 * random live block) until the first failure; the requested bytes live at
 * that moment, as a share of the region. `make` sets up a fresh allocator
 * over a region of that size and returns its handle for `alloc`/`release`.
 * bench_frag_report prints the median, the 10th percentile and the minimum
 * over 101 seeds: the stopping point is a random event, and the median of
 * a handful of seeds moves by a point or two with any change of layout. */
typedef struct bench_allocator {
    void *(*make)(size_t region);
    void *(*alloc)(void *a, size_t n);
    void (*release)(void *a, void *p);
} bench_allocator;

static double bench_fragmentation(const bench_allocator *al, size_t region, uint64_t seed)
{
    enum { MAXLIVE = 1 << 20 };
    static void *live_p[MAXLIVE];
    static size_t live_n[MAXLIVE];
    size_t nlive = 0, bytes = 0;
    void *a = al->make(region);
    bench_rng = seed;
    for (;;) {
        if (nlive && bench_rand() % 100 < 45) {
            size_t j = bench_rand() % nlive;
            al->release(a, live_p[j]);
            bytes -= live_n[j];
            live_p[j] = live_p[--nlive];
            live_n[j] = live_n[nlive];
        } else {
            size_t n = bench_log_uniform(16, 2048);
            void *p = nlive < MAXLIVE ? al->alloc(a, n) : NULL;
            if (!p) break;
            live_p[nlive] = p;
            live_n[nlive++] = n;
            bytes += n;
        }
    }
    return (double)bytes / (double)region;
}

static void bench_frag_report(const bench_allocator *al, size_t region, const char *label)
{
    enum { SEEDS = 101 };
    double v[SEEDS], med;
    int i;
    for (i = 0; i < SEEDS; i++) v[i] = bench_fragmentation(al, region, 0x1234567ull + (uint64_t)i * 7919u);
    med = bench_median(v, SEEDS); /* sorts v: v[0] is the minimum */
    printf("fragmentation %-7s live bytes at first failure: median %.1f %%, p10 %.1f %%, min %.1f %% of the region (%d seeds)\n",
           label, 100 * med, 100 * v[SEEDS / 10], 100 * v[0], SEEDS);
}

static void *bench_xmalloc(size_t n)
{
    void *p = malloc(n);
    if (!p) { fprintf(stderr, "bench: out of memory\n"); exit(2); }
    return p;
}
#endif
