/* bench_buddy.c - the buddy allocator (xalloc_buddy.h) against the system
 * malloc, in the same process.
 *
 * Workload "pow2" (operations generated up front; an operation is one alloc
 * or one free; each allocated block gets one byte written, as a user would):
 *   256 MiB region, 2,000,000 ops, ~4,096 live blocks, sizes log-uniform
 *   64 B..64 KiB, frees of random live blocks; the buddy's minimum block is
 *   64 bytes. Run three ways: in-band (xbuddy_init over the region, the
 *   bitmap carved from its end), freeing by address alone (xbuddy_free) and
 *   with the size (xbuddy_free_addr(b, p, size), as C23 free_sized callers
 *   do: the lookup of the order becomes O(1)); and metadata-only
 *   (xbuddy_init_meta, the bitmap in a separate buffer, free by address).
 * Printed: median ns/op over BENCH_RUNS runs (allocators alternate within a
 * run), the ratio to malloc, and per-call latency p50/p99/p99.99 from a
 * separate pass.
 * Fragmentation (the heap issue's figure): in a 128 KiB and a 16 MiB region
 * (in-band, so the bitmap counts against the region; 16-byte minimum
 * block), allocate (log-uniform 16 B..2 KiB) and free at random (45 of 100
 * operations free a random live block) until the first failure; print
 * requested live bytes / region size, median, p10 and minimum over 101 seeds.
 * Metadata: bytes xbuddy_meta_size asks for a 4 GiB range of 4 KiB pages.
 *
 * Usage: bench_buddy [pow2 | --help]. With "pow2" only the first line (pow2,
 * in-band, free by address) is run: the figure, in a short call. */
#include "bench.h"
#define XALLOC_IMPLEMENTATION
#include "xalloc_buddy.h"

typedef struct trace {
    const char *name;
    size_t region, nops, nslots;
    uint32_t *slot;   /* op i acts on slot[i] */
    uint32_t *size;   /* 0: free the slot, else alloc this many bytes into it */
} trace;

/* Fill to `live` blocks, then free-random/alloc pairs, then free the rest. */
static trace make_trace(const char *name, size_t region, size_t nops, size_t live, size_t lo, size_t hi)
{
    trace t;
    uint32_t *ids = bench_xmalloc(live * sizeof *ids), nlive = 0, next_slot = 0;
    size_t i = 0, pairs;
    t.name = name;
    t.region = region;
    t.slot = bench_xmalloc(nops * sizeof *t.slot);
    t.size = bench_xmalloc(nops * sizeof *t.size);
    pairs = (nops - 2 * live) / 2;
    for (; nlive < live; i++) {
        t.slot[i] = ids[nlive++] = next_slot++;
        t.size[i] = (uint32_t)bench_log_uniform(lo, hi);
    }
    for (size_t k = 0; k < pairs; k++) {
        uint32_t j = (uint32_t)(bench_rand() % nlive);
        t.slot[i] = ids[j];
        t.size[i++] = 0;
        t.slot[i] = ids[j]; /* reuse the slot */
        t.size[i++] = (uint32_t)bench_log_uniform(lo, hi);
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

static unsigned char *arena, *meta;
static size_t meta_bytes;
static void **slots;
static uint32_t *slot_size;
static uint64_t *lat;

static xbuddy *make_buddy(size_t region, int inband, size_t min)
{
    xbuddy_desc d;
    xbuddy *b;
    memset(&d, 0, sizeof d);
    d.min_block = min;
    if (inband) {
        b = xbuddy_init(arena, region, &d);
    } else {
        size_t need = xbuddy_meta_size((uintptr_t)arena, region, &d);
        if (need > meta_bytes) { fprintf(stderr, "bench: metadata buffer too small\n"); exit(2); }
        b = xbuddy_init_meta(meta, need, (uintptr_t)arena, region, &d);
    }
    if (!b) { fprintf(stderr, "bench: xbuddy init failed\n"); exit(2); }
    return b;
}

static double run_buddy(const trace *t, int inband, int sized, int timed_each)
{
    xbuddy *b = make_buddy(t->region, inband, 64);
    uint64_t t0 = bench_ns();
    for (size_t i = 0; i < t->nops; i++) {
        uint32_t s = t->slot[i];
        uint64_t c0 = timed_each ? bench_ticks() : 0;
        if (t->size[i]) {
            void *p = xbuddy_alloc(b, t->size[i]);
            if (timed_each) lat[i] = bench_ticks() - c0;
            if (!p) { fprintf(stderr, "%s: buddy out of memory at op %zu\n", t->name, i); exit(2); }
            *(volatile char *)p = 1;
            slots[s] = p;
            slot_size[s] = t->size[i];
        } else {
            if (sized) xbuddy_free_addr(b, (xbuddy_addr)(uintptr_t)slots[s], slot_size[s]);
            else xbuddy_free(b, slots[s]);
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

static void speed(const trace *t, int inband, int sized)
{
    int runs = bench_runs();
    double xa[101], ma[101], mx, mm;
    for (int r = 0; r < runs; r++) {
        xa[r] = run_buddy(t, inband, sized, 0);
        ma[r] = run_malloc(t);
    }
    mx = bench_median(xa, runs);
    mm = bench_median(ma, runs);
    run_buddy(t, inband, sized, 1);
    bench_sort_u64(lat, t->nops);
    printf("%-4s %-13s %-7s buddy %6.1f ns/op   malloc %6.1f ns/op   ratio %.2f   "
           "buddy latency p50 %.0f p99 %.0f p99.99 %.0f ns  (%zu ops, median of %d)\n",
           t->name, inband ? "in-band" : "metadata-only", sized ? "sized" : "by addr", mx, mm, mx / mm,
           bench_quantile_ns(lat, t->nops, 0.5),
           bench_quantile_ns(lat, t->nops, 0.99), bench_quantile_ns(lat, t->nops, 0.9999), t->nops, runs);
}

/* Live requested bytes at the first failure, as a fraction of the region. */
/* The buddy under the shared fragmentation figure (bench.h): in-band, 16-byte
 * minimum block. */
static void *frag_make(size_t region) { return make_buddy(region, 1, 16); }
static void *frag_alloc(void *b, size_t n) { return xbuddy_alloc((xbuddy *)b, n); }
static void frag_free(void *b, void *p) { xbuddy_free((xbuddy *)b, p); }
static const bench_allocator buddy_frag = { frag_make, frag_alloc, frag_free };


int main(int argc, char **argv)
{
    int quick = bench_quick(), only_pow2 = argc > 1 && !strcmp(argv[1], "pow2");
    size_t nops = quick ? 200000 : 2000000, region = (size_t)256 << 20;
    xbuddy_desc d;
    if (argc > 1 && !only_pow2) {
        printf("usage: %s [pow2]   (pow2: only pow2, in-band, free by address; BENCH_RUNS, BENCH_QUICK as for every bench)\n", argv[0]);
        return !strcmp(argv[1], "--help") ? 0 : 2;
    }
    arena = bench_xmalloc(region);
    memset(arena, 0, region); /* fault the pages in before timing */
    memset(&d, 0, sizeof d);
    d.min_block = 64;
    meta_bytes = xbuddy_meta_size((uintptr_t)arena, region, &d);
    meta = bench_xmalloc(meta_bytes);
    printf("xalloc_buddy.h benchmark (XALLOC_DEBUG=%d, 64-byte minimum block, bitmap %zu bytes for 256 MiB)\n",
           XALLOC_DEBUG, meta_bytes);
    trace pow2 = make_trace("pow2", region, nops, 4096, 64, 65536);
    slots = bench_xmalloc(pow2.nslots * sizeof *slots);
    slot_size = bench_xmalloc(pow2.nslots * sizeof *slot_size);
    lat = bench_xmalloc(nops * sizeof *lat);
    speed(&pow2, 1, 0);
    if (only_pow2) return 0;
    speed(&pow2, 1, 1);
    speed(&pow2, 0, 0);
    bench_frag_report(&buddy_frag, 128u << 10, "128KiB");
    bench_frag_report(&buddy_frag, 16u << 20, "16MiB");
    d.min_block = 4096;
    printf("metadata-only bitmap for a 4 GiB range of 4 KiB pages: %zu bytes\n",
           xbuddy_meta_size(0, (xbuddy_addr)4 << 30, &d));
    return 0;
}
