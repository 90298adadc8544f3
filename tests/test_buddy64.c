/* test_buddy64.c - the buddy tests again with XBUDDY_ADDR64: addresses are
 * uint64_t whatever the pointer size (physical addresses above 4 GiB, file
 * offsets on a 32-bit CPU). On a 32-bit target (make qemu runs it under
 * qemu-arm) this covers the shift helpers that avoid libgcc's variable
 * 64-bit shifts, and ranges above 4 GiB; on a 64-bit host it is the same
 * program as test_buddy.c. */
#define XBUDDY_ADDR64 1
#include "test_buddy.c"
