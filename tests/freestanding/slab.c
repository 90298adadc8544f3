/* slab.c - freestanding program for the slab allocator (xalloc_slab.h): a
 * page source over a static array and one object cache, alloc and free,
 * nothing else, so that `make size` can also measure what a program with one
 * cache links in. Linked with -nostdlib and start.c (no crt, no libc); the
 * implementation is compiled in its own translation unit. xfs_main returns
 * 0 when every step worked, else the number of the first step that failed. */
#include "xalloc_slab.h"

int xfs_main(void);

#define REGION 8192u
#define PAGE 1024u
#define OBJ 24u
#define MAXOBJ (REGION / OBJ)
static unsigned char region[REGION] __attribute__((aligned(PAGE)));
static xslab_pages pages;
static xslab_cache cache;
static void *objs[MAXOBJ];

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
static int inside(const void *p)
{
    uintptr_t a = (uintptr_t)p, lo = (uintptr_t)region;
    return a >= lo && a + OBJ <= lo + REGION && (a & 7u) == 0;
}

/* Allocates until the region is out of slabs; returns how many, or 0 when
 * an object is bad (outside the region, misaligned, overlapping). */
static size_t fill_cache(void)
{
    size_t n = 0, i;
    while (n < MAXOBJ && (objs[n] = xslab_alloc(&cache)) != NULL) {
        if (!inside(objs[n])) return 0;
        fill(objs[n], OBJ, (unsigned char)n);
        n++;
    }
    for (i = 0; i < n; i++)
        if (!same(objs[i], OBJ, (unsigned char)i)) return 0;
    return n;
}

int xfs_main(void)
{
    xslab_pages_desc pd;
    xslab_cache_desc cd;
    size_t n, again, i;

    fill(region, REGION, 0xA5);                 /* no reliance on zeroed memory */
    fill(&pages, sizeof pages, 0xA5);
    fill(&cache, sizeof cache, 0xA5);
    fill(&pd, sizeof pd, 0);                    /* zero: every default */
    fill(&cd, sizeof cd, 0);
    pd.page_size = PAGE;
    if (xslab_pages_init(&pages, region, REGION, &pd) != &pages) return 1;
    cd.pages = &pages;
    cd.size = OBJ;
    if (xslab_cache_init(&cache, &cd) != &cache) return 2;
    n = fill_cache();
    if (n < (REGION / PAGE - 1) * (PAGE / OBJ) / 2) return 3;  /* most of the region used */
    if (xslab_alloc(&cache) != NULL) return 4;                  /* and it is out of slabs */
    for (i = 0; i < n; i += 2) xslab_free(&cache, objs[i]);
    for (i = 1; i < n; i += 2) xslab_free(&cache, objs[i]);
    again = fill_cache();                                        /* all of it back */
    if (again != n) return 5;
    for (i = 0; i < n; i++) xslab_free(&cache, objs[i]);
    xslab_free(&cache, NULL);
    return 0;
}
