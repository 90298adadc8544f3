/* test_bitmap_small.c - every test of test_bitmap.c with XBITMAP_SMALL 1
 * (the default under -Os): the general code paths only, no separate fast
 * paths for one unit, one summary word or aligned blocks. */
#define XBITMAP_SMALL 1
#include "test_bitmap.c"
