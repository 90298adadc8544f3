/* Include test, translation unit 2: declarations only (unit 1 holds every
 * implementation), or under XALLOC_STATIC its own static copy of every
 * implementation, which must not clash with unit 1's. */
#ifdef XALLOC_STATIC
#define XALLOC_IMPLEMENTATION
#endif
#include "all.h"
#include "all.h"

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
