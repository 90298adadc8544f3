/* test_buddy_modes2.c - test_buddy_modes.c with XBUDDY_MODES 2: the buddy
 * allocator built for metadata-only ranges alone. */
#define XBUDDY_MODES 2
#include "test_buddy_modes.c"
