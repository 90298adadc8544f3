/* bitmap_numa.c - a physical frame allocator per NUMA node, with a fallback
 * order by distance, on xalloc_bitmap.h (seed 004's NumaAllocator).
 *
 * A made-up machine with four nodes of 4 KiB frames:
 *   node 0   2 GiB at 0        firmware holes: BIOS (first MiB), kernel image,
 *                              ACPI tables, an MMIO window: reserved
 *   node 1   2 GiB at 2 GiB
 *   node 2   1 GiB at 4 GiB    far (distance 22 from 0 and 1)
 *   node 3   512 MiB at 5 GiB  CXL memory, farther still; placement there is
 *                              randomized (desc.random)
 * Each node has its own map, metadata and lock. An allocation tries the
 * caller's node first, then the others nearest first (the distance table is
 * what ACPI's SLIT gives a kernel); a request can also be pinned to one node.
 * Frame numbers are global: physical address >> 12.
 *
 * Build and run: make demo (or cc -std=c99 -I. examples/bitmap_numa.c). */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#define XALLOC_IMPLEMENTATION
#include "xalloc_bitmap.h"

#define NODES 4
#define MIB_FRAMES 256u /* 4 KiB frames in 1 MiB */

typedef xbitmap_index pfn_t;

typedef struct node {
    pfn_t base, frames;        /* first frame, number of frames            */
    xbitmap *map;
    xalloc_spinlock lock;
    unsigned fallback[NODES];  /* node ids, nearest first (itself first)   */
    unsigned long served_local, served_remote;
} node;

static node nodes[NODES];

/* ACPI SLIT: 10 = local; node 3 is CXL memory behind node 2 */
static const unsigned char distance[NODES][NODES] = {
    { 10, 16, 22, 28 },
    { 16, 10, 22, 28 },
    { 22, 22, 10, 16 },
    { 28, 28, 16, 10 },
};

/* metadata for all maps, carved per node (about 1.14 bits per frame) */
static uint64_t meta_pool[256 * 1024 / 8];
static size_t meta_used;

/* The hooks share one user pointer: the node's lock, from which the error
 * hook finds its node. `at` is the frame's index in that node's map. */
static unsigned long errors_seen;
static void on_error(void *user, xalloc_error e, uintptr_t at, const char *what)
{
    const node *nd = (const node *)(const void *)((const char *)user - offsetof(node, lock));
    printf("  node %u reports %s at frame %lu: %s\n", (unsigned)(nd - nodes), xalloc_error_name(e),
           (unsigned long)(nd->base + at), what);
    errors_seen++;
}

/* a xorshift generator for node 3's randomized placement */
static uint64_t rng_state = 0x2545F4914F6CDD1Dull;
static xbitmap_index rng(void *user)
{
    (void)user;
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (xbitmap_index)rng_state;
}

static void node_init(unsigned id, pfn_t base, pfn_t frames, int randomized)
{
    node *n = &nodes[id];
    xbitmap_desc d;
    size_t need = xbitmap_meta_size(frames);
    unsigned i, j;
    memset(&d, 0, sizeof d);
    d.hooks.error = on_error;
    d.hooks.lock = xalloc_spin_lock;
    d.hooks.unlock = xalloc_spin_unlock;
    d.hooks.user = &n->lock;
    if (randomized) d.random = rng; /* first fit from a random frame (best fit would
                                        pull allocations next to used ones) */
    n->base = base;
    n->frames = frames;
    n->map = xbitmap_init((unsigned char *)meta_pool + meta_used, sizeof meta_pool - meta_used, frames, &d);
    if (!n->map) {
        printf("node %u: no metadata (%zu bytes needed)\n", id, need);
        return;
    }
    meta_used += (need + 7) & ~(size_t)7;
    /* the fallback order: all nodes sorted by distance from this one */
    for (i = 0; i < NODES; i++) n->fallback[i] = i;
    for (i = 1; i < NODES; i++)
        for (j = i; j > 0 && distance[id][n->fallback[j]] < distance[id][n->fallback[j - 1]]; j--) {
            unsigned t = n->fallback[j];
            n->fallback[j] = n->fallback[j - 1];
            n->fallback[j - 1] = t;
        }
}

/* n frames at a multiple of align from node `want` or the nearest node that
 * has them; XBITMAP_NONE if none has. pin: that node only. */
static pfn_t numa_alloc(unsigned want, pfn_t n, pfn_t align, int pin)
{
    unsigned k;
    for (k = 0; k < (pin ? 1u : NODES); k++) {
        node *nd = &nodes[nodes[want].fallback[k]];
        xbitmap_index f = n == 1 && align <= 1 ? xbitmap_alloc(nd->map) : xbitmap_alloc_run(nd->map, n, align);
        if (f != XBITMAP_NONE) {
            if (k == 0) nodes[want].served_local++;
            else nodes[want].served_remote++;
            return nd->base + f;
        }
    }
    return XBITMAP_NONE;
}

static node *node_of(pfn_t pfn)
{
    unsigned i;
    for (i = 0; i < NODES; i++)
        if (pfn >= nodes[i].base && pfn - nodes[i].base < nodes[i].frames) return &nodes[i];
    return NULL;
}

static int numa_free(pfn_t pfn, pfn_t n)
{
    node *nd = node_of(pfn);
    return nd && xbitmap_free(nd->map, pfn - nd->base, n);
}

static void print_line(void *user, const char *line) { (void)user; fputs(line, stdout); }

static void report(const char *when)
{
    unsigned i;
    printf("%s\n", when);
    for (i = 0; i < NODES; i++) {
        xbitmap_stats s;
        xbitmap_stats_get(nodes[i].map, &s);
        printf("  node %u: %8lu frames, %8lu free, %8lu used, %6lu reserved; %6lu free runs, largest %lu;"
               " served %lu here, %lu elsewhere\n",
               i, (unsigned long)s.total, (unsigned long)s.free, (unsigned long)s.used, (unsigned long)s.reserved,
               (unsigned long)s.free_runs, (unsigned long)s.largest_free, nodes[i].served_local, nodes[i].served_remote);
    }
}

#define MAXLIVE 700000
static pfn_t live_pfn[MAXLIVE], live_n[MAXLIVE];
static size_t nlive;

int main(void)
{
    pfn_t g = 1024 * MIB_FRAMES; /* frames in 1 GiB */
    size_t i;
    unsigned long huge = 0;
    node_init(0, 0, 2 * g, 0);
    node_init(1, 2 * g, 2 * g, 0);
    node_init(2, 4 * g, g, 0);
    node_init(3, 5 * g, g / 2, 1);
    for (i = 0; i < NODES; i++)
        if (!nodes[i].map) return 1;
    printf("4 nodes, %lu frames, metadata %zu bytes; fallback from node 1: %u %u %u %u\n",
           (unsigned long)(5 * g + g / 2), meta_used, nodes[1].fallback[0], nodes[1].fallback[1], nodes[1].fallback[2],
           nodes[1].fallback[3]);

    /* firmware's memory map: what is not usable RAM is reserved */
    xbitmap_reserve(nodes[0].map, 0, 1 * MIB_FRAMES);                   /* BIOS, IVT, EBDA        */
    xbitmap_reserve(nodes[0].map, 1 * MIB_FRAMES, 16 * MIB_FRAMES);     /* kernel image           */
    xbitmap_reserve(nodes[0].map, 2 * g - 64 * MIB_FRAMES, 48 * MIB_FRAMES); /* MMIO window       */
    xbitmap_reserve(nodes[0].map, 2 * g - 16 * MIB_FRAMES, 16 * MIB_FRAMES); /* ACPI tables       */
    report("after boot:");

    /* a process on node 1 takes 600,000 frames one at a time: node 1 has
     * 524,288, the rest comes from node 0, its nearest neighbour */
    for (i = 0; i < 600000; i++) {
        pfn_t f = numa_alloc(1, 1, 1, 0);
        if (f == XBITMAP_NONE) break;
        live_pfn[nlive] = f;
        live_n[nlive++] = 1;
    }
    report("after 600,000 single frames for node 1:");

    /* 2 MiB pages pinned to node 2 until it has none, then one more anywhere */
    for (;;) {
        pfn_t f = numa_alloc(2, 512, 512, 1);
        if (f == XBITMAP_NONE) break;
        live_pfn[nlive] = f;
        live_n[nlive++] = 512;
        huge++;
    }
    {
        pfn_t f = numa_alloc(2, 512, 512, 0);
        printf("node 2 gave %lu huge pages; the next one comes from node %u (frame %lu)\n", huge,
               (unsigned)(node_of(f) - nodes), (unsigned long)f);
        live_pfn[nlive] = f;
        live_n[nlive++] = 512;
    }

    /* randomized placement on node 3: 8 stacks of 4 frames land anywhere */
    printf("kernel stacks on node 3 (random placement):");
    for (i = 0; i < 8; i++) {
        pfn_t f = numa_alloc(3, 4, 4, 1);
        printf(" %lu", (unsigned long)(f - nodes[3].base));
        live_pfn[nlive] = f;
        live_n[nlive++] = 4;
    }
    printf("\n");
    report("after huge pages and stacks:");

    /* misuse is reported and changes nothing */
    printf("freeing an ACPI frame and a frame twice:\n");
    numa_free(2 * g - 8 * MIB_FRAMES, 1);
    numa_free(live_pfn[0], 1);
    numa_free(live_pfn[0], 1);
    live_n[0] = 0;

    /* every frame back, and every map checked */
    for (i = 0; i < nlive; i++)
        if (live_n[i] && !numa_free(live_pfn[i], live_n[i])) printf("free of frame %lu failed\n", (unsigned long)live_pfn[i]);
    for (i = 0; i < NODES; i++) {
        const char *why = xbitmap_check(nodes[i].map);
        if (why) {
            printf("node %u: %s\n", (unsigned)i, why);
            return 1;
        }
    }
    report("after freeing everything:");
    printf("node 0 in detail:\n");
    xbitmap_dump(nodes[0].map, print_line, NULL);
    return errors_seen == 2 ? 0 : 1;
}
