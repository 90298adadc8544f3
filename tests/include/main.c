/* Include test, translation unit 1: every header present, included many
 * times, with XALLOC_IMPLEMENTATION defined for most of them: each header's
 * implementation must come out exactly once. Built as C and as C++, with
 * and without XALLOC_STATIC. */
#include <stdio.h>
#include "all.h"
#define XALLOC_IMPLEMENTATION
#include "all.h"
#include "all.h"
#include "all.h"
#include "all.h"
#include "all.h"

int other_unit(void); /* other.c: 0 when its headers work */

static unsigned char arena[8192];

int main(void)
{
    int failed = 0;
    xalloc_heap *h = xalloc_init(arena, sizeof arena, NULL);
    void *p = h ? xalloc_alloc(h, 100) : NULL;
    if (!p) failed++;
    xalloc_free(h, p);
    if (h && xalloc_check(h)) failed++;
    failed += other_unit() != 0;
    printf("include: %d passed, %d failed\n", failed ? 0 : 1, failed ? 1 : 0);
    return failed != 0;
}
