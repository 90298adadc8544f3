/* test_slab_nomag.c - the tests of test_slab.c with XSLAB_MAGAZINE 0: every
 * free goes straight back to its slab's free list. */
#define XSLAB_MAGAZINE 0
#include "test_slab.c"
