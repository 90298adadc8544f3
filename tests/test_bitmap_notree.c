/* test_bitmap_notree.c - every test of test_bitmap.c with XBITMAP_RUN_TREE
 * 0: no run tree, so run searches that must fail go through the passes
 * and the largest free run is measured from the summaries; the results
 * are the same. */
#define XBITMAP_RUN_TREE 0
#include "test_bitmap.c"
