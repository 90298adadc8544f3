/* test_bitmap32.c - every test of test_bitmap.c with 32-bit words and
 * indices (XBITMAP_WORD_BITS 32, the layout of 32-bit targets), on the
 * host: smaller summary blocks, so runs cross many more of them. */
#define XBITMAP_WORD_BITS 32
#include "test_bitmap.c"
