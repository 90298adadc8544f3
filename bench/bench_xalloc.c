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
 * Median, 10th percentile and minimum over 101 seeds. */
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

/* The heap under the shared fragmentation figure (bench.h). */
static void *frag_make(size_t region) { return xalloc_init(arena, region, NULL); }
static void *frag_alloc(void *h, size_t n) { return xalloc_alloc((xalloc_heap *)h, n); }
static void frag_free(void *h, void *p) { xalloc_free((xalloc_heap *)h, p); }
static const bench_allocator heap_frag = { frag_make, frag_alloc, frag_free };

/* A reference for the same figure: exact best fit (the smallest hole that
 * fits, the lowest address among equals) over the bare region, with no
 * tables: what placement alone reaches on this workload, a ceiling for any
 * allocator that places blocks by best fit. ref_gran 0: no per-block cost
 * at all; else each block pays rounding to ref_gran bytes, and with
 * ref_hdr also the heap's 4-byte header (at least two granules then, as
 * the heap's smallest block).
 * Not an allocator: it hands out offsets + 1 as pointers and keeps its
 * holes, sorted by address, in a side array (O(holes) per call). */
enum { REF_MAX = 1 << 20, REF_HOLES = 1 << 16 };
static struct { size_t at, len; } ref_hole[REF_HOLES];
static size_t ref_holes, ref_gran, ref_hdr;
static uint32_t ref_len[REF_MAX + 1]; /* by offset: length of the block there */
static void *ref_make(size_t region)
{
    if (region > REF_MAX) { fprintf(stderr, "reference: region too large\n"); exit(2); }
    ref_hole[0].at = 0;
    ref_hole[0].len = region;
    ref_holes = 1;
    return ref_hole;
}
static void *ref_alloc(void *a, size_t n)
{
    size_t i, best = ref_holes, at;
    (void)a;
    if (ref_gran) {
        n = (n + ref_hdr + ref_gran - 1) & ~(ref_gran - 1);
        if (ref_hdr && n < 2 * ref_gran) n = 2 * ref_gran;
    }
    for (i = 0; i < ref_holes; i++)
        if (ref_hole[i].len >= n && (best == ref_holes || ref_hole[i].len < ref_hole[best].len)) best = i;
    if (best == ref_holes) return NULL;
    at = ref_hole[best].at;
    ref_hole[best].at += n;
    ref_hole[best].len -= n;
    if (!ref_hole[best].len) { memmove(&ref_hole[best], &ref_hole[best + 1], (ref_holes - best - 1) * sizeof ref_hole[0]); ref_holes--; }
    ref_len[at] = (uint32_t)n;
    return (void *)(uintptr_t)(at + 1);
}
static void ref_free(void *a, void *p)
{
    size_t at = (size_t)(uintptr_t)p - 1, len = ref_len[at], i = 0;
    (void)a;
    while (i < ref_holes && ref_hole[i].at < at) i++;          /* first hole after the block */
    if (i > 0 && ref_hole[i - 1].at + ref_hole[i - 1].len == at) { /* joins the hole before */
        ref_hole[--i].len += len;
    } else {
        if (ref_holes == REF_HOLES) { fprintf(stderr, "reference: too many holes\n"); exit(2); }
        memmove(&ref_hole[i + 1], &ref_hole[i], (ref_holes - i) * sizeof ref_hole[0]);
        ref_hole[i].at = at;
        ref_hole[i].len = len;
        ref_holes++;
    }
    if (i + 1 < ref_holes && ref_hole[i].at + ref_hole[i].len == ref_hole[i + 1].at) { /* and the one after */
        ref_hole[i].len += ref_hole[i + 1].len;
        memmove(&ref_hole[i + 1], &ref_hole[i + 2], (ref_holes - i - 2) * sizeof ref_hole[0]);
        ref_holes--;
    }
}
static const bench_allocator ref_frag = { ref_make, ref_alloc, ref_free };


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
    printf("reference, exact best fit and no tables (not an allocator; see the source):\n");
    printf("  no per-block cost:                ");
    bench_frag_report(&ref_frag, 128u << 10, "128KiB");
    ref_gran = XALLOC_ALIGNMENT;
    printf("  %2zu-byte rounding alone:          ", (size_t)XALLOC_ALIGNMENT);
    bench_frag_report(&ref_frag, 128u << 10, "128KiB");
    ref_hdr = 4;
    printf("  4-byte header, %2zu-byte rounding: ", (size_t)XALLOC_ALIGNMENT);
    bench_frag_report(&ref_frag, 128u << 10, "128KiB");
    return 0;
}
