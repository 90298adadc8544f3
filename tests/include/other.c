/* Include test, translation unit 2: declarations of the heap, the
 * implementation of every other header (under XALLOC_STATIC: of all of
 * them again, as static copies that must not clash with unit 1's). */
#include "xalloc.h"
#ifdef XALLOC_STATIC
#define XALLOC_IMPLEMENTATION
#include "all.h"
#else
#include "all.h"
#define XALLOC_IMPLEMENTATION
#if HAVE_BUDDY
#include "xalloc_buddy.h"
#endif
#if HAVE_SLAB
#include "xalloc_slab.h"
#endif
#if HAVE_BITMAP
#include "xalloc_bitmap.h"
#endif
#endif

int other_unit(void);
int other_unit(void)
{
    static unsigned char arena[4096];
    xalloc_heap *h = xalloc_init(arena, sizeof arena, NULL);
    void *p = h ? xalloc_alloc(h, 10) : NULL;
    int bad = p == NULL;
    xalloc_free(h, p);
    return bad;
}
