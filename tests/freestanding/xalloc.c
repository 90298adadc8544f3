/* xalloc.c - freestanding program for the heap (xalloc.h): init, alloc and
 * free over a static array, nothing else, so that `make size` can also
 * measure what a program using only those three calls links in.
 * Linked with -nostdlib and start.c (no crt, no libc); the implementation is
 * compiled in its own translation unit. xfs_main returns 0 when every step
 * worked, else the number of the first step that failed (the exit code). */
#include "xalloc.h"

int xfs_main(void);

#define ARENA 8192u
#define N 12
#define SIZE 400u
static unsigned char arena[ARENA] __attribute__((aligned(16)));

/* Byte loops, volatile so the compiler cannot turn them into memset calls. */
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
static int inside(const void *p, size_t n)
{
    uintptr_t a = (uintptr_t)p, lo = (uintptr_t)arena;
    return a >= lo && a + n <= lo + ARENA && (a & (sizeof(void *) - 1u)) == 0;
}

/* The largest request that succeeds, found with alloc and free alone. */
static size_t largest(xalloc_heap *h)
{
    size_t lo = 0, hi = ARENA;   /* alloc(lo) works (or lo == 0), alloc(hi) fails */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        void *q = xalloc_alloc(h, mid);
        if (q) { xalloc_free(h, q); lo = mid; } else hi = mid;
    }
    return lo;
}

int xfs_main(void)
{
    void *p[N];
    void *big;
    xalloc_heap *h;
    size_t most;
    int i;

    fill(arena, ARENA, 0xA5);   /* no reliance on zeroed memory */
    h = xalloc_init(arena, ARENA, NULL);
    if (!h) return 1;
    most = largest(h);
    if (most < N * SIZE + SIZE) return 6;
    for (i = 0; i < N; i++) {
        p[i] = xalloc_alloc(h, SIZE);
        if (!p[i] || !inside(p[i], SIZE)) return 2;
        fill(p[i], SIZE, (unsigned char)i);
    }
    for (i = 0; i < N; i++)
        if (!same(p[i], SIZE, (unsigned char)i)) return 3;   /* no overlap */
    if (xalloc_alloc(h, most - N * SIZE + 1) != NULL) return 4; /* cannot fit */
    for (i = 0; i < N; i += 2) xalloc_free(h, p[i]);          /* odd ones first */
    for (i = 1; i < N; i += 2) xalloc_free(h, p[i]);
    big = xalloc_alloc(h, most);      /* all coalesced back into one block */
    if (!big || !inside(big, most)) return 5;
    fill(big, most, 0x5A);
    xalloc_free(h, big);
    if (largest(h) != most) return 7;
    xalloc_free(h, NULL);
    return 0;
}
