/* bitmap_hybrid.c - seed 004's hybrid frame allocator on two xalloc headers:
 * the buddy (xalloc_buddy.h) owns physical memory in 2 MiB blocks and serves
 * requests of 512 frames (2 MiB) and more; the bitmap (xalloc_bitmap.h)
 * serves smaller ones, one frame at a time if need be, from 2 MiB chunks it
 * borrows from the buddy and gives back when they are wholly free again.
 *
 *   request < 512 frames  -> bitmap, first fit; if it has no room, one more
 *                            chunk from the buddy (order 0), then retry
 *   request >= 512 frames -> buddy, rounded up to a power of two of 2 MiB
 *   free < 512 frames     -> bitmap; a chunk that empties goes back to the
 *                            buddy (one spare chunk's worth is kept)
 *
 * Boot: a made-up 4 GiB machine whose firmware memory map has the BIOS area,
 * the kernel image, a PCI hole and ACPI tables. Chunks with no usable RAM
 * are reserved in the buddy; chunks with some (the kernel image ends and the
 * ACPI tables start inside a chunk) are handed to the bitmap at once, their
 * unusable frames reserved there. Then 300,000 random requests and frees
 * (85 % of 1..16 frames, 12 % of 2 MiB, 3 % of 8 MiB; frees more likely the
 * more is live, so about 4,000 allocations stay live), with every frame's
 * owner checked against a shadow, and both allocators' checks at the end.
 *
 * Build and run: make demo (or cc -std=c99 -I. examples/bitmap_hybrid.c). */
#include <stdio.h>
#include <string.h>
#define XBUDDY_ADDR64 1 /* physical addresses up to 4 GiB on 32-bit hosts too */
#define XALLOC_IMPLEMENTATION
#include "xalloc_bitmap.h"
#include "xalloc_buddy.h"

#define FRAME_SHIFT 12                       /* 4 KiB frames                 */
#define CHUNK_FRAMES 512u                    /* 2 MiB: the buddy's min block */
#define MIB (1024u * 1024u)
#define MEM_BYTES ((uint64_t)4 << 30)
#define FRAMES ((xbitmap_index)(MEM_BYTES >> FRAME_SHIFT))
#define CHUNKS (FRAMES / CHUNK_FRAMES)

typedef xbitmap_index pfn_t;

typedef struct hybrid {
    xbitmap *small;                  /* every frame; only borrowed chunks' frames are ever free */
    xbuddy *large;                   /* [0, 4 GiB) in 2 MiB blocks                              */
    unsigned char owned[CHUNKS];     /* 1: the bitmap holds this chunk (from the buddy or boot) */
    pfn_t small_free;                /* free frames in the bitmap                               */
    size_t buddy_meta_bytes;
    unsigned long borrowed, returned, small_calls, large_calls;
} hybrid;

/* firmware memory map: [start, end) in bytes that are not usable RAM */
static const struct { uint64_t start, end; const char *what; } holes[] = {
    { 0, 1 * MIB, "BIOS, IVT, EBDA" },
    { 1 * MIB, 17 * MIB, "kernel image" },           /* ends inside chunk 8       */
    { 3072ull * MIB - 1 * MIB, 3072ull * MIB, "ACPI tables" }, /* starts inside a chunk */
    { 3072ull * MIB, 3584ull * MIB, "PCI hole" },
};
#define NHOLES (sizeof holes / sizeof *holes)

static uint64_t bitmap_meta[(160 * 1024) / 8];
static uint64_t buddy_meta[4096 / 8];
static unsigned char owner[FRAMES]; /* shadow: 0 free or not RAM, 1 small, 2 large */

static unsigned long errors_seen;
static void on_error(void *user, xalloc_error e, uintptr_t at, const char *what)
{
    printf("  %s reports %s at %lu: %s\n", (const char *)user, xalloc_error_name(e), (unsigned long)at, what);
    errors_seen++;
}

static int usable(uint64_t start, uint64_t end) /* 1 all, 0 none, -1 partly */
{
    size_t i;
    uint64_t bad = 0;
    for (i = 0; i < NHOLES; i++) {
        uint64_t s = holes[i].start > start ? holes[i].start : start, e = holes[i].end < end ? holes[i].end : end;
        if (s < e) bad += e - s;
    }
    return bad == 0 ? 1 : bad == end - start ? 0 : -1;
}

static int hybrid_init(hybrid *h)
{
    xbitmap_desc bd;
    xbuddy_desc ud;
    size_t c, i;
    memset(h, 0, sizeof *h);
    memset(&bd, 0, sizeof bd);
    bd.hooks.error = on_error;
    bd.hooks.user = (void *)"bitmap";
    bd.start_used = true; /* frames are the buddy's until it lends them */
    memset(&ud, 0, sizeof ud);
    ud.hooks.error = on_error;
    ud.hooks.user = (void *)"buddy";
    ud.min_block = (xbuddy_addr)CHUNK_FRAMES << FRAME_SHIFT;
    h->small = xbitmap_init(bitmap_meta, sizeof bitmap_meta, FRAMES, &bd);
    h->large = xbuddy_init_meta(buddy_meta, sizeof buddy_meta, 0, MEM_BYTES, &ud);
    h->buddy_meta_bytes = xbuddy_meta_size(0, MEM_BYTES, &ud);
    if (!h->small || !h->large) {
        printf("metadata too small: bitmap needs %zu, buddy %zu bytes\n", xbitmap_meta_size(FRAMES),
               xbuddy_meta_size(0, MEM_BYTES, &ud));
        return 0;
    }
    for (c = 0; c < CHUNKS; c++) {
        uint64_t a = (uint64_t)c * CHUNK_FRAMES << FRAME_SHIFT, e = a + ((uint64_t)CHUNK_FRAMES << FRAME_SHIFT);
        int u = usable(a, e);
        if (u == 1) continue;                          /* the buddy's, free       */
        xbuddy_reserve(h->large, a, e - a);            /* never the buddy's       */
        if (u == 0) continue;
        h->owned[c] = 1;                               /* partly usable: lent now */
        xbitmap_free(h->small, c * CHUNK_FRAMES, CHUNK_FRAMES);
        h->small_free += CHUNK_FRAMES;
        for (i = 0; i < NHOLES; i++) {
            uint64_t s = holes[i].start > a ? holes[i].start : a, t = holes[i].end < e ? holes[i].end : e;
            if (s < t) {
                xbitmap_reserve(h->small, s >> FRAME_SHIFT, (t - s) >> FRAME_SHIFT);
                h->small_free -= (t - s) >> FRAME_SHIFT;
            }
        }
    }
    return 1;
}

/* n frames (a run at a multiple of align, align <= n), or XBITMAP_NONE */
static pfn_t hybrid_alloc(hybrid *h, pfn_t n, pfn_t align)
{
    pfn_t p;
    if (n >= CHUNK_FRAMES) {
        xbuddy_addr a = xbuddy_alloc_addr(h->large, (xbuddy_addr)n << FRAME_SHIFT);
        h->large_calls++;
        return a == XBUDDY_NONE ? XBITMAP_NONE : (pfn_t)(a >> FRAME_SHIFT);
    }
    h->small_calls++;
    while ((p = xbitmap_alloc_run(h->small, n, align)) == XBITMAP_NONE) {
        xbuddy_addr a = xbuddy_alloc_order(h->large, 0); /* borrow a chunk */
        if (a == XBUDDY_NONE) return XBITMAP_NONE;
        p = (pfn_t)(a >> FRAME_SHIFT);
        h->owned[p / CHUNK_FRAMES] = 1;
        xbitmap_free(h->small, p, CHUNK_FRAMES);
        h->small_free += CHUNK_FRAMES;
        h->borrowed++;
    }
    h->small_free -= n;
    return p;
}

static void hybrid_free(hybrid *h, pfn_t p, pfn_t n)
{
    pfn_t c = p / CHUNK_FRAMES * CHUNK_FRAMES;
    if (n >= CHUNK_FRAMES) {
        xbuddy_free_addr(h->large, (xbuddy_addr)p << FRAME_SHIFT, (xbuddy_addr)n << FRAME_SHIFT);
        return;
    }
    if (!h->owned[p / CHUNK_FRAMES]) {
        printf("  frame %lu is not in a chunk the bitmap holds\n", (unsigned long)p);
        return;
    }
    if (!xbitmap_free(h->small, p, n)) return; /* reported through the hook */
    h->small_free += n;
    /* a chunk that is wholly free again goes back, if a chunk's worth of
     * free frames stays behind; alloc_at takes it from the bitmap only if
     * every frame of it is free (chunks with reserved frames never are) */
    if (h->small_free >= 2 * CHUNK_FRAMES && xbitmap_alloc_at(h->small, c, CHUNK_FRAMES)) {
        h->owned[c / CHUNK_FRAMES] = 0;
        h->small_free -= CHUNK_FRAMES;
        xbuddy_free_addr(h->large, (xbuddy_addr)c << FRAME_SHIFT, 0);
        h->returned++;
    }
}

static void report(const hybrid *h, const char *when)
{
    xbitmap_stats s;
    xbuddy_stats u;
    size_t c, owned = 0;
    xbitmap_stats_get(h->small, &s);
    xbuddy_stats_get(h->large, &u);
    for (c = 0; c < CHUNKS; c++) owned += h->owned[c];
    printf("%s\n  bitmap: %zu chunks (%lu frames): %lu used, %lu free in %lu runs, %lu reserved\n", when, owned,
           (unsigned long)(owned * CHUNK_FRAMES), (unsigned long)(owned * CHUNK_FRAMES - s.free - s.reserved),
           (unsigned long)s.free, (unsigned long)s.free_runs, (unsigned long)s.reserved);
    printf("  buddy:  %lu MiB free (largest block %lu MiB, fragmentation %u per mille), %lu MiB used, %lu MiB reserved\n",
           (unsigned long)(u.free_bytes / MIB), (unsigned long)(u.largest_free / MIB), u.fragmentation,
           (unsigned long)(u.used_bytes / MIB), (unsigned long)(u.reserved_bytes / MIB));
}

#define MAXLIVE 200000
static pfn_t live_p[MAXLIVE], live_n[MAXLIVE];

static uint64_t rng_state = 88172645463325252ull;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

int main(void)
{
    static hybrid h;
    size_t nlive = 0, op, i;
    unsigned long failed = 0, bad = 0;
    if (!hybrid_init(&h)) return 1;
    printf("4 GiB, %lu frames; metadata: bitmap %zu bytes, buddy %zu bytes\n", (unsigned long)FRAMES,
           xbitmap_meta_size(FRAMES), h.buddy_meta_bytes);
    report(&h, "after boot:");
    for (op = 0; op < 300000; op++) {
        uint64_t r = rnd() % 100;
        if (nlive && (rnd() % 8000 < nlive || nlive == MAXLIVE)) { /* free a random live allocation */
            size_t j = (size_t)(rnd() % nlive);
            for (i = 0; i < live_n[j]; i++) owner[live_p[j] + i] = 0;
            hybrid_free(&h, live_p[j], live_n[j]);
            live_p[j] = live_p[--nlive];
            live_n[j] = live_n[nlive];
        } else {
            pfn_t n = r < 85 ? 1 + rnd() % 16 : r < 97 ? CHUNK_FRAMES : 4 * CHUNK_FRAMES; /* 8 MiB: DMA */
            pfn_t align = n >= 4 && n % 4 == 0 ? 4 : 1, p = hybrid_alloc(&h, n, align);
            if (p == XBITMAP_NONE) { failed++; continue; }
            for (i = 0; i < n; i++) { /* never a frame twice, never a hole */
                uint64_t byte = (uint64_t)(p + i) << FRAME_SHIFT;
                if (owner[p + i] || usable(byte, byte + 4096) != 1) bad++;
                owner[p + i] = n < CHUNK_FRAMES ? 1 : 2;
            }
            live_p[nlive] = p;
            live_n[nlive++] = n;
        }
        if (op == 150000) report(&h, "after 150,000 operations:");
    }
    printf("%lu small and %lu large requests, %lu failed (memory full); chunks borrowed %lu, returned %lu\n",
           h.small_calls, h.large_calls, failed, h.borrowed, h.returned);
    printf("freeing a reserved ACPI frame, and a small run twice:\n");
    hybrid_free(&h, (pfn_t)((3072ull * MIB - 4096) >> FRAME_SHIFT), 1);
    for (i = 0; i < nlive && live_n[i] >= CHUNK_FRAMES; i++) { }
    if (i < nlive) {
        for (op = 0; op < live_n[i]; op++) owner[live_p[i] + op] = 0;
        hybrid_free(&h, live_p[i], live_n[i]);
        hybrid_free(&h, live_p[i], live_n[i]);
        live_n[i] = 0;
    }
    while (nlive--) if (live_n[nlive]) hybrid_free(&h, live_p[nlive], live_n[nlive]);
    report(&h, "after freeing everything:");
    printf("chunks borrowed %lu, returned %lu in all\n", h.borrowed, h.returned);
    if (xbitmap_check(h.small) || xbuddy_check(h.large) || bad) {
        printf("check failed (%lu frames handed out twice or from a hole)\n", bad);
        return 1;
    }
    printf("checks passed; %lu misuse reports\n", errors_seen);
    return errors_seen == 2 ? 0 : 1;
}
