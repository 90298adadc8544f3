/* bitmap.c - freestanding program for the bitmap allocator (xalloc_bitmap.h):
 * a map of units over a static metadata array; single units and runs
 * allocated and freed. Linked with -nostdlib and start.c (no crt, no libc);
 * the implementation is compiled in its own translation unit. xfs_main
 * returns 0 when every step worked, else the number of the first step that
 * failed. */
#include "xalloc_bitmap.h"

int xfs_main(void);

#define UNITS 1000u                      /* not a multiple of a word: edges */
static uint64_t meta[512];               /* 4 KiB; xbitmap_meta_size checked below */
static unsigned char seen[(UNITS + 7) / 8];

static void fill(void *p, size_t n, unsigned char v)
{
    volatile unsigned char *c = (volatile unsigned char *)p;
    while (n--) *c++ = v;
}

int xfs_main(void)
{
    xbitmap *b;
    xbitmap_index i, u, r;

    if (xbitmap_meta_size(UNITS) == 0 || xbitmap_meta_size(UNITS) > sizeof meta) return 1;
    fill(meta, sizeof meta, 0xA5);       /* no reliance on zeroed memory */
    fill(seen, sizeof seen, 0);
    b = xbitmap_init(meta, sizeof meta, UNITS, NULL);
    if (!b) return 2;
    for (i = 0; i < UNITS; i++) {        /* every unit once, none twice */
        u = xbitmap_alloc(b);
        if (u >= UNITS || (seen[u / 8] & (1u << (u % 8)))) return 3;
        seen[u / 8] = (unsigned char)(seen[u / 8] | (1u << (u % 8)));
    }
    if (xbitmap_alloc(b) != XBITMAP_NONE) return 4;    /* full */
    for (i = 0; i < UNITS; i += 2) if (!xbitmap_free(b, i, 1)) return 5;
    if (xbitmap_alloc_run(b, 2, 1) != XBITMAP_NONE) return 6;  /* no two adjacent */
    for (i = 1; i < UNITS; i += 2) if (!xbitmap_free(b, i, 1)) return 7;
    r = xbitmap_alloc_run(b, UNITS, 1);                 /* the whole map again */
    if (r != 0) return 8;
    if (!xbitmap_free(b, 0, UNITS)) return 9;
    r = xbitmap_alloc_run(b, 512, 512);                 /* aligned: only 0 fits */
    if (r != 0) return 10;
    if (xbitmap_alloc_run(b, 512, 512) != XBITMAP_NONE) return 11;
    u = xbitmap_alloc(b);
    if (u != 512) return 12;                            /* lowest free unit */
    if (!xbitmap_free(b, r, 512) || !xbitmap_free(b, u, 1)) return 13;
    return 0;
}
