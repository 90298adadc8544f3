/* bench_xalloc.c - the heap (xalloc.h) against the system malloc.
 *
 * Workloads (operations generated up front; an operation is one alloc or
 * one free; each allocated block gets one byte written, as a user would):
 *   engine    64 MiB region, 2,000,000 ops, ~8,192 live blocks,
 *             sizes log-uniform 16 B..16 KiB, frees of random live blocks
 *   embedded  128 KiB region, 2,000,000 ops, ~200 live blocks,
 *             sizes uniform 8..256 B
 * Printed: median ns/op over BENCH_RUNS runs (allocators alternate within a
 * run), the ratio, and per-call latency p50/p99/p99.99 from a separate pass.
 * Fragmentation: in a 128 KiB and a 16 MiB region, allocate (log-uniform
 * 16 B..2 KiB) and free at random (45 of 100 operations free a random live
 * block) until the first failure; print requested live bytes / region size.
 * Median and minimum over 9 seeds. */
#include "bench.h"
#define XALLOC_IMPLEMENTATION
#include "xalloc.h"

typedef struct trace {
    const char *name;
    size_t region, nops, nslots;
    uint32_t *slot;   /* op i acts on slot[i] */
    uint32_t *size;   /* 0: free the slot, else alloc this many bytes into it */
} trace;

/* Fill to `live` blocks, then free-random/alloc pairs, then free the rest. */
static trace make_trace(const char *name, size_t region, size_t nops, size_t live, size_t lo, size_t hi, int log_sizes)
{
    trace t;
    uint32_t *ids = bench_xmalloc(live * sizeof *ids), nlive = 0, next_slot = 0;
    size_t i = 0, pairs;
    t.name = name;
    t.region = region;
    t.nops = nops;
    t.slot = bench_xmalloc(nops * sizeof *t.slot);
    t.size = bench_xmalloc(nops * sizeof *t.size);
    pairs = (nops - 2 * live) / 2;
    for (; nlive < live; i++) {
        t.slot[i] = ids[nlive++] = next_slot++;
        t.size[i] = (uint32_t)(log_sizes ? bench_log_uniform(lo, hi) : lo + bench_rand() % (hi - lo + 1));
    }
    for (size_t k = 0; k < pairs; k++) {
        uint32_t j = (uint32_t)(bench_rand() % nlive);
        t.slot[i] = ids[j];
        t.size[i++] = 0;
        t.slot[i] = ids[j]; /* reuse the slot */
        t.size[i++] = (uint32_t)(log_sizes ? bench_log_uniform(lo, hi) : lo + bench_rand() % (hi - lo + 1));
    }
    while (nlive) {
        t.slot[i] = ids[--nlive];
        t.size[i++] = 0;
    }
    t.nops = i;
    t.nslots = next_slot;
    free(ids);
    return t;
}

static unsigned char *arena;
static void **slots;
static uint64_t *lat;

static double run_xalloc(const trace *t, int timed_each)
{
    xalloc_heap *h = xalloc_init(arena, t->region, NULL);
    uint64_t t0 = bench_ns();
    if (!h) { fprintf(stderr, "init failed\n"); exit(2); }
    for (size_t i = 0; i < t->nops; i++) {
        uint32_t s = t->slot[i];
        uint64_t c0 = timed_each ? bench_ticks() : 0;
        if (t->size[i]) {
            void *p = xalloc_alloc(h, t->size[i]);
            if (timed_each) lat[i] = bench_ticks() - c0;
            if (!p) { fprintf(stderr, "%s: xalloc out of memory at op %zu\n", t->name, i); exit(2); }
            *(volatile char *)p = 1;
            slots[s] = p;
        } else {
            xalloc_free(h, slots[s]);
            if (timed_each) lat[i] = bench_ticks() - c0;
        }
    }
    return (double)(bench_ns() - t0) / (double)t->nops;
}

static double run_malloc(const trace *t)
{
    uint64_t t0 = bench_ns();
    for (size_t i = 0; i < t->nops; i++) {
        uint32_t s = t->slot[i];
        if (t->size[i]) {
            void *p = malloc(t->size[i]);
            *(volatile char *)p = 1;
            slots[s] = p;
        } else {
            free(slots[s]);
        }
    }
    return (double)(bench_ns() - t0) / (double)t->nops;
}

static void speed(const trace *t)
{
    int runs = bench_runs();
    double xa[101], ma[101], mx, mm;
    for (int r = 0; r < runs; r++) {
        xa[r] = run_xalloc(t, 0);
        ma[r] = run_malloc(t);
    }
    mx = bench_median(xa, runs);
    mm = bench_median(ma, runs);
    run_xalloc(t, 1);
    bench_sort_u64(lat, t->nops);
    printf("%-9s xalloc %6.1f ns/op   malloc %6.1f ns/op   ratio %.2f   "
           "xalloc latency p50 %.0f p99 %.0f p99.99 %.0f ns  (%zu ops, median of %d)\n",
           t->name, mx, mm, mx / mm, bench_quantile_ns(lat, t->nops, 0.5),
           bench_quantile_ns(lat, t->nops, 0.99), bench_quantile_ns(lat, t->nops, 0.9999), t->nops, runs);
}

/* Live requested bytes at the first failure, as a fraction of the region. */
/* The heap under the shared fragmentation figure (bench.h). */
static void *frag_make(size_t region) { return xalloc_init(arena, region, NULL); }
static void *frag_alloc(void *h, size_t n) { return xalloc_alloc((xalloc_heap *)h, n); }
static void frag_free(void *h, void *p) { xalloc_free((xalloc_heap *)h, p); }
static const bench_allocator heap_frag = { frag_make, frag_alloc, frag_free };


int main(void)
{
    int quick = bench_quick();
    size_t nops = quick ? 200000 : 2000000;
    arena = bench_xmalloc(64u << 20);
    memset(arena, 0, 64u << 20); /* fault the pages in before timing */
    printf("xalloc.h heap benchmark (XALLOC_DEBUG=%d, alignment %zu)\n", XALLOC_DEBUG, (size_t)XALLOC_ALIGNMENT);
    trace engine = make_trace("engine", 64u << 20, nops, 8192, 16, 16384, 1);
    trace embedded = make_trace("embedded", 128u << 10, nops, 200, 8, 256, 0);
    size_t nslots = engine.nslots > embedded.nslots ? engine.nslots : embedded.nslots;
    slots = bench_xmalloc(nslots * sizeof *slots);
    lat = bench_xmalloc(nops * sizeof *lat);
    speed(&engine);
    speed(&embedded);
    bench_frag_report(&heap_frag, 128u << 10, "128KiB");
    bench_frag_report(&heap_frag, 16u << 20, "16MiB");
    return 0;
}
