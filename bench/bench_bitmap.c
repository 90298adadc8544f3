/* bench_bitmap.c - the bitmap allocator (xalloc_bitmap.h) on big, fragmented
 * maps.
 *
 * The map: every aligned 512-unit window is, with probability 1/8, left
 * wholly free; the others are filled with alternating used and free
 * segments (used: one unit half the time, else 2..32 units; free: 1..13
 * units), so about half of all units are used, and free runs are short
 * except for the free windows. Filled through xbitmap_alloc_at.
 *
 * Timed (median ns/op over BENCH_RUNS runs; each run returns the map to the
 * state it found it in), then per-call latency p50/p99/p99.99 from a pass
 * that reads the cycle counter around every call:
 *   single alloc   65,536 xbitmap_alloc calls (first fit from the hint)
 *   single free    the same units freed in random order
 *   512-run alloc  xbitmap_alloc_run(512, 512) until half the free windows
 *   512-run free   those runs freed in random order
 *   random start   single alloc with desc.random set (a search from a
 *                  random unit each time), and its frees
 * on a map of 4 Mi units (16 GiB of 4 KiB frames), then on a map of 2^32
 * units (BENCH_QUICK=1: 2^28), where failing searches are timed too:
 *   65536 at 65536   no wholly free aligned 64 Ki block exists
 *   512 at 512, 1024 at 1, 513 at 1   after every free window is taken
 *   largest + 1 at 1 one unit more than the longest free run: no fit, but
 *                    every run of two or more free windows holds a free
 *                    aligned block of the order a fit must hold and is
 *                    checked: the documented worst case, O(runs)
 * BENCH_MAPS=small or big times only one of the two maps (each run of the
 * big one spends about 15 s filling it).
 * Targets (issue 5): single alloc <= 10 ns, single free <= 10 ns, 512-run
 * alloc + free <= 100 ns on 4 Mi units; on 2^32 units single alloc and free
 * within twice that, a failing run search <= 2 us. */
#include "bench.h"
#define XALLOC_IMPLEMENTATION
#include "xalloc_bitmap.h"

typedef xbitmap_index idx;

static uint64_t rnd_state = 0x9E3779B97F4A7C15ull;
static idx rnd(void *user)
{
    (void)user;
    rnd_state ^= rnd_state >> 12;
    rnd_state ^= rnd_state << 25;
    rnd_state ^= rnd_state >> 27;
    return (idx)(rnd_state * 0x2545F4914F6CDD1Dull);
}

static xbitmap *make_map(idx count, int random_start, unsigned char **mem)
{
    xbitmap_desc d;
    size_t need = xbitmap_meta_size(count);
    xbitmap *b;
    memset(&d, 0, sizeof d);
    if (random_start) d.random = rnd;
    *mem = bench_xmalloc(need);
    b = xbitmap_init(*mem, need, count, &d);
    if (!b) { fprintf(stderr, "init failed\n"); exit(2); }
    return b;
}

static void fill(xbitmap *b, idx count)
{
    idx w, pos;
    bench_rng = 0x243F6A8885A308D3ull;
    for (w = 0; w + 512 <= count; w += 512) {
        if (bench_rand() % 8 == 0) continue; /* a wholly free window */
        for (pos = w; pos < w + 512;) {
            if (bench_rand() & 1) {
                idx len = (bench_rand() & 1) ? 1 : 2 + bench_rand() % 31;
                if (len > w + 512 - pos) len = w + 512 - pos;
                if (!xbitmap_alloc_at(b, pos, len)) { fprintf(stderr, "fill failed\n"); exit(2); }
                pos += len;
            } else {
                pos += 1 + bench_rand() % 13;
            }
        }
    }
}

static void shuffle(idx *v, size_t n)
{
    size_t i;
    for (i = n; i > 1; i--) {
        size_t j = (size_t)(bench_rand() % i);
        idx t = v[i - 1];
        v[i - 1] = v[j];
        v[j] = t;
    }
}

typedef struct result { double alloc, free, lat[2][3]; size_t n; } result;

/* One batch: n allocations of `len` at `align` (len 1, align 0: xbitmap_alloc),
 * then their frees in random order; ticks per call into lat if given. */
static size_t batch(xbitmap *b, size_t n, idx len, idx align, idx *got, uint64_t *lat_a, uint64_t *lat_f,
                    double *ns_a, double *ns_f)
{
    size_t i, k = 0;
    uint64_t t0 = bench_ns(), t1;
    for (i = 0; i < n; i++) {
        uint64_t c0 = lat_a ? bench_ticks() : 0;
        idx p = align ? xbitmap_alloc_run(b, len, align) : xbitmap_alloc(b);
        if (lat_a) lat_a[k] = bench_ticks() - c0;
        if (p == XBITMAP_NONE) break;
        got[k++] = p;
    }
    t1 = bench_ns();
    *ns_a = (double)(t1 - t0) / (double)(k ? k : 1);
    shuffle(got, k);
    t0 = bench_ns();
    for (i = 0; i < k; i++) {
        uint64_t c0 = lat_f ? bench_ticks() : 0;
        if (!xbitmap_free(b, got[i], len)) { fprintf(stderr, "free failed\n"); exit(2); }
        if (lat_f) lat_f[i] = bench_ticks() - c0;
    }
    *ns_f = (double)(bench_ns() - t0) / (double)(k ? k : 1);
    return k;
}

static result measure(xbitmap *b, size_t n, idx len, idx align)
{
    result r;
    int runs = bench_runs(), i;
    double a[101], f[101];
    idx *got = bench_xmalloc(n * sizeof *got);
    uint64_t *la = bench_xmalloc(n * sizeof *la), *lf = bench_xmalloc(n * sizeof *lf);
    for (i = 0; i < runs; i++) r.n = batch(b, n, len, align, got, NULL, NULL, &a[i], &f[i]);
    r.alloc = bench_median(a, runs);
    r.free = bench_median(f, runs);
    r.n = batch(b, n, len, align, got, la, lf, &a[0], &f[0]);
    bench_sort_u64(la, r.n);
    bench_sort_u64(lf, r.n);
    r.lat[0][0] = bench_quantile_ns(la, r.n, 0.5);
    r.lat[0][1] = bench_quantile_ns(la, r.n, 0.99);
    r.lat[0][2] = bench_quantile_ns(la, r.n, 0.9999);
    r.lat[1][0] = bench_quantile_ns(lf, r.n, 0.5);
    r.lat[1][1] = bench_quantile_ns(lf, r.n, 0.99);
    r.lat[1][2] = bench_quantile_ns(lf, r.n, 0.9999);
    free(got);
    free(la);
    free(lf);
    return r;
}

static void print_result(const char *what, const result *r, const char *target_a, const char *target_f)
{
    printf("  %-22s alloc %7.1f ns/op  (p50 %5.0f p99 %6.0f p99.99 %7.0f)  %s\n", what, r->alloc, r->lat[0][0],
           r->lat[0][1], r->lat[0][2], target_a);
    printf("  %-22s free  %7.1f ns/op  (p50 %5.0f p99 %6.0f p99.99 %7.0f)  %s\n", "", r->free, r->lat[1][0],
           r->lat[1][1], r->lat[1][2], target_f);
}

/* ns of one call that must fail: median of `reps` calls. With churn,
 * a one-unit allocation and free at a random free unit before each call
 * (untimed): each leaves a chunk of the run tree to be measured again by
 * the search that follows. */
static double failing(xbitmap *b, idx len, idx align, int reps, idx churn)
{
    double v[1001];
    int i;
    for (i = 0; i < reps; i++) {
        uint64_t t0;
        idx p, u = churn ? (idx)(bench_rand() % churn) : 0;
        if (churn && xbitmap_state(b, u) == XBITMAP_FREE && xbitmap_alloc_at(b, u, 1)) xbitmap_free(b, u, 1);
        t0 = bench_ns();
        p = xbitmap_alloc_run(b, len, align);
        v[i] = (double)(bench_ns() - t0);
        if (p != XBITMAP_NONE) {
            fprintf(stderr, "run of %llu at %llu did not fail\n", (unsigned long long)len, (unsigned long long)align);
            exit(2);
        }
    }
    return bench_median(v, reps);
}

typedef struct figures { result single, run512, rsingle; } figures;

static figures map_bench(idx count, int big)
{
    unsigned char *mem, *rmem;
    xbitmap *b = make_map(count, 0, &mem), *rb;
    xbitmap_stats st;
    figures fg;
    uint64_t t0 = bench_ns();
    double share, fill_s;
    idx nwin = count / 512, i, *taken, ntaken = 0;
    size_t half;
    fill(b, count);
    fill_s = (double)(bench_ns() - t0) * 1e-9;
    xbitmap_stats_get(b, &st);
    taken = bench_xmalloc((size_t)nwin * sizeof *taken);
    while ((taken[ntaken] = xbitmap_alloc_run(b, 512, 512)) != XBITMAP_NONE) ntaken++;
    for (i = 0; i < ntaken; i++) xbitmap_free(b, taken[i], 512);
    share = (double)ntaken / (double)nwin;
    printf("map of %llu units: %.1f %% used, %.1f %% of aligned 512-unit windows wholly free, %llu free runs, "
           "largest %llu; metadata %.1f MiB; filled in %.1f s\n",
           (unsigned long long)count, 100.0 * (double)st.used / (double)count, 100 * share,
           (unsigned long long)st.free_runs, (unsigned long long)st.largest_free, (double)st.meta_bytes / 1048576.0, fill_s);
    fg.single = measure(b, 65536, 1, 0);
    print_result("single unit", &fg.single, "(targets: alloc <= 10 ns,", "free <= 10 ns)");
    half = (size_t)ntaken / 2;
    fg.run512 = measure(b, half, 512, 512);
    {
        char t[64];
        snprintf(t, sizeof t, "(alloc + free %.1f ns: target <= 100 ns)", fg.run512.alloc + fg.run512.free);
        print_result("512 units at 512", &fg.run512, "", t);
    }
    if (big) {
        printf("  failing search 65536 at 65536: %.0f ns (target <= 2000 ns)\n", failing(b, 65536, 65536, 1001, 0));
        printf("  failing search %llu at 1 (longest free run + 1): %.0f ns; with a one-unit alloc and free at a random"
               " unit before each: %.0f ns (target <= 2000 ns)\n", (unsigned long long)st.largest_free + 1,
               failing(b, st.largest_free + 1, 1, 1001, 0), failing(b, st.largest_free + 1, 1, 1001, count));
        for (i = 0; i < ntaken; i++) if (xbitmap_alloc_run(b, 512, 512) == XBITMAP_NONE) { fprintf(stderr, "lost a window\n"); exit(2); }
        printf("  every free window taken, failing search: 512 at 512 %.0f ns, 1024 at 1 %.0f ns, 513 at 1 %.0f ns"
               " (target <= 2000 ns)\n", failing(b, 512, 512, 1001, 0), failing(b, 1024, 1, 1001, 0), failing(b, 513, 1, 1001, 0));
        for (i = 0; i < ntaken; i++) xbitmap_free(b, taken[i], 512);
    }
    if (xbitmap_check(b)) { fprintf(stderr, "check failed: %s\n", xbitmap_check(b)); exit(2); }
    free(mem);
    /* the same map searched from random starts */
    rb = make_map(count, 1, &rmem);
    fill(rb, count);
    fg.rsingle = measure(rb, 65536, 1, 0);
    print_result("single, random start", &fg.rsingle, "", "");
    free(rmem);
    free(taken);
    return fg;
}

int main(void)
{
    int quick = bench_quick();
    idx big = (idx)1 << (quick ? 28 : 32);
    figures small, large;
    const char *maps = getenv("BENCH_MAPS");
    int do_small = !maps || strcmp(maps, "big") != 0, do_big = !maps || strcmp(maps, "small") != 0;
    printf("xalloc_bitmap.h benchmark (XALLOC_DEBUG=%d, %d-bit words, median of %d runs)\n", XALLOC_DEBUG,
           XBITMAP_WORD_BITS, bench_runs());
    if (do_small) small = map_bench((idx)4 << 20, 0);
    if (do_big) large = map_bench(big, 1);
    if (do_small && do_big)
        printf("2^%d vs 4 Mi units: single alloc x%.2f, single free x%.2f (target <= 2)\n", quick ? 28 : 32,
               large.single.alloc / small.single.alloc, large.single.free / small.single.free);
    return 0;
}
