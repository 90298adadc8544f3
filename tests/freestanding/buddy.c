/* buddy.c - freestanding program for the buddy allocator (xalloc_buddy.h):
 * init, alloc and free over a static array (in-band: the bitmap is carved
 * from the array). Linked with -nostdlib and start.c (no crt, no libc); the
 * implementation is compiled in its own translation unit. xfs_main returns
 * 0 when every step worked, else the number of the first step that failed. */
#include "xalloc_buddy.h"

int xfs_main(void);

#define POOL 16384u
#define MIN 64u
#define MAXB (POOL / MIN)
static unsigned char pool[POOL] __attribute__((aligned(64)));
static void *blocks[MAXB];

/* Byte loops, volatile so the compiler cannot turn them into memset calls
 * (nor does anything here rely on a zeroed .bss: start.c does not clear it). */
static void fill(void *p, size_t n, unsigned char v)
{
    volatile unsigned char *c = (volatile unsigned char *)p;
    while (n--) *c++ = v;
}
static int same(const void *p, size_t n, unsigned char v)
{
    const volatile unsigned char *c = (const volatile unsigned char *)p;
    while (n--) if (*c++ != v) return 0;
    return 1;
}
/* Inside the pool and aligned to its own (power-of-two) size. */
static int placed(const void *p, size_t size)
{
    uintptr_t a = (uintptr_t)p, lo = (uintptr_t)pool;
    return a >= lo && a + size <= lo + POOL && (a & (size - 1u)) == 0;
}

int xfs_main(void)
{
    xbuddy_desc d;
    xbuddy *b;
    void *p;
    size_t most, n, i;

    fill(pool, POOL, 0xA5);             /* no reliance on zeroed memory */
    fill(&d, sizeof d, 0);              /* zero: every default ... */
    d.min_block = MIN;                  /* ... but a small minimum block */
    b = xbuddy_init(pool, POOL, &d);
    if (!b) return 1;
    for (most = POOL; most >= MIN; most /= 2) {      /* the largest block */
        p = xbuddy_alloc(b, most);
        if (p) { if (!placed(p, most)) return 2; xbuddy_free(b, p); break; }
    }
    if (most < POOL / 4) return 3;                    /* the bitmap is small */
    n = 0;                                            /* every minimum block */
    while (n < MAXB && (blocks[n] = xbuddy_alloc(b, 1)) != NULL) {
        if (!placed(blocks[n], MIN)) return 4;
        fill(blocks[n], MIN, (unsigned char)n);
        n++;
    }
    if (n < most / MIN) return 5;
    for (i = 0; i < n; i++)
        if (!same(blocks[i], MIN, (unsigned char)i)) return 6;   /* no overlap */
    /* Blocks are aligned to their size, so a minimum block's buddy is at
     * its address ^ MIN: free the lower halves of the pairs first. */
    for (i = 0; i < n; i++) if (((uintptr_t)blocks[i] & MIN) == 0) xbuddy_free(b, blocks[i]);
    if (xbuddy_alloc(b, 2 * MIN) != NULL) return 7;  /* no two buddies free */
    for (i = 0; i < n; i++) if (((uintptr_t)blocks[i] & MIN) != 0) xbuddy_free(b, blocks[i]);
    p = xbuddy_alloc(b, most);                        /* merged back up */
    if (!p || !placed(p, most)) return 8;
    fill(p, most, 0x5A);
    xbuddy_free(b, p);
    xbuddy_free(b, NULL);
    return 0;
}
