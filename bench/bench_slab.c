/* bench_slab.c - the slab caches and kmalloc (xalloc_slab.h) against the
 * system malloc, in the same run.
 *
 * Workloads (random choices generated up front; every object handed out
 * gets one byte written, as a user would):
 *   pair      alloc then free of one 64-byte object, in a hot loop
 *             (10,000,000 pairs); beside it the floor, a bare free-list
 *             pop and push, and malloc(64)/free
 *   churn     100,000 live 64-byte objects: after filling them, each step
 *             frees a random live slot and allocates into it again
 *             (2,000,000 steps)
 *   kmalloc   the same churn with sizes log-uniform in 8..512 bytes
 *             through xslab_kmalloc/xslab_kfree, against malloc/free
 * Every call into the slab goes through a function the compiler may not
 * inline (as from another file); malloc is a call into libc. Printed:
 * median ns per alloc+free pair over BENCH_RUNS runs (the allocators
 * alternate within a run), the ratio of medians, and from a separate pass
 * the latency of single calls (p50/p99/p99.99, rdtscp around each call).
 * Times are CPU time of this thread (CLOCK_THREAD_CPUTIME_ID), not wall
 * time: the machine is shared, and time the scheduler gives to other
 * programs would otherwise count against whichever allocator ran then.
 * BENCH_QUICK=1: a tenth of the work. */
#include "bench.h"
#define XALLOC_IMPLEMENTATION
#include "xalloc_slab.h"

#define NOINLINE __attribute__((noinline))

static inline uint64_t cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
#define LIVE 100000u

static xslab_pages pages;
static xslab_cache cache64;
static xslab_kmem *kmem;
static unsigned char *region;
static size_t region_bytes = 64u << 20;

static NOINLINE void *slab_alloc(void) { return xslab_alloc(&cache64); }
static NOINLINE void slab_free(void *p) { xslab_free(&cache64, p); }
static NOINLINE void *kmalloc_(size_t n) { return xslab_kmalloc(kmem, n); }
static NOINLINE void kfree_(void *p) { xslab_kfree(kmem, p); }

/* The floor: a singly linked free list of 64-byte nodes, pop and push. */
static void *fl_head;
static NOINLINE void *fl_pop(void) { void *p = fl_head; fl_head = *(void **)p; return p; }
static NOINLINE void fl_push(void *p) { *(void **)p = fl_head; fl_head = p; }

static void setup(void)
{
    xslab_cache_desc cd;
    xslab_kmem_desc kd;
    static unsigned char kmem_mem[1 << 14];
    region = aligned_alloc(4096, region_bytes);
    if (!region) { fprintf(stderr, "bench: out of memory\n"); exit(2); }
    memset(region, 0, region_bytes); /* fault the pages in before timing */
    if (!xslab_pages_init(&pages, region, region_bytes, NULL)) exit(2);
    memset(&cd, 0, sizeof cd);
    cd.pages = &pages;
    cd.size = 64;
    cd.name = "obj64";
    if (!xslab_cache_init(&cache64, &cd)) exit(2);
    memset(&kd, 0, sizeof kd);
    kd.pages = &pages;
    kd.max_size = 512;
    if (!(kmem = xslab_kmem_init(kmem_mem, sizeof kmem_mem, &kd))) exit(2);
}

/* ---- pair -------------------------------------------------------------------- */
static double pair_slab(size_t n)
{
    uint64_t t0 = cpu_ns();
    for (size_t i = 0; i < n; i++) {
        void *p = slab_alloc();
        *(volatile char *)p = (char)i;
        slab_free(p);
    }
    return (double)(cpu_ns() - t0) / (double)n;
}
static double pair_floor(size_t n)
{
    uint64_t t0 = cpu_ns();
    for (size_t i = 0; i < n; i++) {
        void *p = fl_pop();
        *(volatile char *)p = (char)i;
        fl_push(p);
    }
    return (double)(cpu_ns() - t0) / (double)n;
}
static double pair_malloc(size_t n)
{
    uint64_t t0 = cpu_ns();
    for (size_t i = 0; i < n; i++) {
        void *p = malloc(64);
        *(volatile char *)p = (char)i;
        free(p);
    }
    return (double)(cpu_ns() - t0) / (double)n;
}

static void bench_pair(size_t n)
{
    int runs = bench_runs();
    double s[101], f[101], m[101], ms, mf, mm;
    unsigned char *nodes = bench_xmalloc(64 * 64);
    for (int i = 0; i < 64; i++) fl_push(nodes + 64 * i);
    for (int r = 0; r < runs; r++) {
        s[r] = pair_slab(n);
        f[r] = pair_floor(n);
        m[r] = pair_malloc(n);
    }
    ms = bench_median(s, runs);
    mf = bench_median(f, runs);
    mm = bench_median(m, runs);
    printf("pair      slab %5.2f ns   free-list floor %5.2f ns   malloc %5.2f ns   slab/malloc %.2f"
           "   (ns per alloc+free, %zu pairs, median of %d)\n", ms, mf, mm, ms / mm, n, runs);
    xslab_shrink(&cache64);
}

/* ---- churn ------------------------------------------------------------------- */
typedef struct churn { size_t steps; uint32_t *slot; uint32_t *size; } churn;
static void **slots;
static uint64_t *lat_a, *lat_f;

static churn make_churn(size_t steps, int sizes)
{
    churn c;
    c.steps = steps;
    c.slot = bench_xmalloc((LIVE + steps) * sizeof *c.slot);
    c.size = bench_xmalloc((LIVE + steps) * sizeof *c.size);
    for (size_t i = 0; i < LIVE + steps; i++) {
        c.slot[i] = i < LIVE ? (uint32_t)i : (uint32_t)(bench_rand() % LIVE);
        c.size[i] = sizes ? (uint32_t)bench_log_uniform(8, 512) : 64;
    }
    return c;
}

/* One run: fill LIVE slots, `steps` free+alloc steps, free everything.
 * Returns ns per step (a free and an alloc). One loop per allocator, all
 * of the same shape, so that the harness costs each the same. */
#define CHURN_RUN(NAME, ALLOC, FREE)                                              \
static double NAME(const churn *c)                                                \
{                                                                                 \
    uint64_t t0, t1;                                                              \
    size_t i;                                                                     \
    for (i = 0; i < LIVE; i++) {                                                  \
        void *p = ALLOC(c->size[i]);                                              \
        if (!p) { fprintf(stderr, "bench: out of memory\n"); exit(2); }           \
        *(volatile char *)p = 1;                                                  \
        slots[i] = p;                                                             \
    }                                                                             \
    t0 = cpu_ns();                                                                \
    for (i = LIVE; i < LIVE + c->steps; i++) {                                    \
        uint32_t s = c->slot[i];                                                  \
        void *p;                                                                  \
        FREE(slots[s]);                                                           \
        p = ALLOC(c->size[i]);                                                    \
        *(volatile char *)p = 1;                                                  \
        slots[s] = p;                                                             \
    }                                                                             \
    t1 = cpu_ns();                                                                \
    for (i = 0; i < LIVE; i++) FREE(slots[i]);                                    \
    return (double)(t1 - t0) / (double)c->steps;                                  \
}
#define SLAB_ALLOC(n) slab_alloc()
CHURN_RUN(churn_slab, SLAB_ALLOC, slab_free)
CHURN_RUN(churn_kmalloc, kmalloc_, kfree_)
CHURN_RUN(churn_malloc, malloc, free)

/* The latency pass: the same steps, rdtscp around each call. */
static void churn_latency(const churn *c, int kmalloc)
{
    size_t i;
    for (i = 0; i < LIVE; i++) slots[i] = kmalloc ? kmalloc_(c->size[i]) : slab_alloc();
    for (i = LIVE; i < LIVE + c->steps; i++) {
        uint32_t s = c->slot[i];
        uint64_t a = bench_ticks(), b;
        void *p;
        if (kmalloc) kfree_(slots[s]);
        else slab_free(slots[s]);
        b = bench_ticks();
        p = kmalloc ? kmalloc_(c->size[i]) : slab_alloc();
        lat_a[i - LIVE] = bench_ticks() - b;
        lat_f[i - LIVE] = b - a;
        *(volatile char *)p = 1;
        slots[s] = p;
    }
    for (i = 0; i < LIVE; i++) {
        if (kmalloc) kfree_(slots[i]);
        else slab_free(slots[i]);
    }
}

static void bench_churn(const char *name, const churn *c, int kmalloc)
{
    int runs = bench_runs();
    double s[101], m[101], ms, mm;
    for (int r = 0; r < runs; r++) {
        s[r] = kmalloc ? churn_kmalloc(c) : churn_slab(c);
        m[r] = churn_malloc(c);
    }
    ms = bench_median(s, runs);
    mm = bench_median(m, runs);
    churn_latency(c, kmalloc);
    bench_sort_u64(lat_a, c->steps);
    bench_sort_u64(lat_f, c->steps);
    printf("%-9s slab %5.2f ns   malloc %5.2f ns   slab/malloc %.2f   (ns per free+alloc step, %u live, %zu steps, median of %d)\n",
           name, ms, mm, ms / mm, LIVE, c->steps, runs);
    printf("%-9s latency: alloc p50 %.0f p99 %.0f p99.99 %.0f ns, free p50 %.0f p99 %.0f p99.99 %.0f ns\n", "",
           bench_quantile_ns(lat_a, c->steps, 0.5), bench_quantile_ns(lat_a, c->steps, 0.99),
           bench_quantile_ns(lat_a, c->steps, 0.9999), bench_quantile_ns(lat_f, c->steps, 0.5),
           bench_quantile_ns(lat_f, c->steps, 0.99), bench_quantile_ns(lat_f, c->steps, 0.9999));
}

static void print_line(void *user, const char *line) { (void)user; fputs(line, stdout); }

int main(void)
{
    int quick = bench_quick();
    size_t pairs = quick ? 1000000 : 10000000, steps = quick ? 200000 : 2000000;
    churn fixed, mixed;
    setup();
    printf("xalloc_slab.h benchmark (XALLOC_DEBUG=%d, 4 KiB slabs from a region)\n", XALLOC_DEBUG);
    slots = bench_xmalloc(LIVE * sizeof *slots);
    lat_a = bench_xmalloc(steps * sizeof *lat_a);
    lat_f = bench_xmalloc(steps * sizeof *lat_f);
    fixed = make_churn(steps, 0);
    mixed = make_churn(steps, 1);
    bench_pair(pairs);
    bench_churn("churn", &fixed, 0);
    bench_churn("kmalloc", &mixed, 1);
    /* where the slabs stand after the churns: kept empty slabs only */
    xslab_dump(&cache64, print_line, NULL);
    return 0;
}
