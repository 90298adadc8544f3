/* test_xalloc_configs.c - the tests of test_xalloc.c in a configuration
 * other than the default: 32 classes per power of two (XALLOC_SL_LOG2 5)
 * and 8-byte granules on every target (XALLOC_ALIGNMENT 8), so that the
 * class tables, XALLOC_MIN_REGION and the block layout are checked with
 * other sizes than the defaults give. */
#define XALLOC_SL_LOG2 5
#define XALLOC_ALIGNMENT 8
#include "test_xalloc.c"
