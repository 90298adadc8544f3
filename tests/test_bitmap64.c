/* test_bitmap64.c - every test of test_bitmap.c with XBITMAP_WORD_BITS 64
 * on a 32-bit CPU: 64-bit words and indices where pointers have 32 bits
 * (the 64-bit shifts, multiplies and bit scans then come from libgcc).
 * make qemu runs it under qemu-arm. Where pointers have 64 bits the words
 * do already, and test_bitmap.c is this program: it then runs nothing. */
#include <stdint.h>
#if UINTPTR_MAX > 0xFFFFFFFFu
#include <stdio.h>
#include <string.h>
int main(int argc, char **argv)
{
    const char *me = argc > 0 && strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : "test_bitmap64";
    printf("%s: 64-bit pointers: the same program as test_bitmap, not run again\n", me);
    printf("%s: 0 passed, 0 failed\n", me);
    return 0;
}
#else
#define XBITMAP_WORD_BITS 64
#include "test_bitmap.c"
#endif
