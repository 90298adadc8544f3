/* test_bitmap64.c - every test of test_bitmap.c with XBITMAP_WORD_BITS 64
 * whatever the pointer size: 64-bit words and indices on a 32-bit CPU
 * (maps past 2^32 units there; the 64-bit shifts, multiplies and bit
 * scans come from libgcc). make qemu runs it under qemu-arm; on a 64-bit
 * host it is the same program as test_bitmap.c. */
#define XBITMAP_WORD_BITS 64
#include "test_bitmap.c"
