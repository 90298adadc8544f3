/* xalloc_basic.c - the heap in five minutes: a region you own, malloc-style
 * calls on it, what misuse looks like, and what the heap can tell you.
 * Build: cc -I. examples/xalloc_basic.c   (make demo runs it) */
#include <stdio.h>
#include <string.h>
#define XALLOC_IMPLEMENTATION
#include "xalloc.h"

static unsigned char region[256 * 1024]; /* any memory: static, stack, mmap */

static void report(void *user, xalloc_error err, uintptr_t ptr, const char *what)
{
    (void)user;
    printf("  heap says: %s at %#lx (%s)\n", xalloc_error_name(err), (unsigned long)ptr, what);
}

static void print_line(void *user, const char *line) { (void)user; fputs(line, stdout); }

int main(void)
{
    xalloc_desc desc;
    xalloc_heap *heap;
    char *name, *grown;
    double *matrix;
    void *page;
    xalloc_stats st;

    memset(&desc, 0, sizeof desc); /* zero = defaults */
    desc.hooks.error = report;     /* misuse is reported here */
    heap = xalloc_init(region, sizeof region, &desc);
    if (!heap) return 1;
    printf("heap of %zu bytes, %zu of them bookkeeping\n", sizeof region, xalloc_overhead(sizeof region));

    name = xalloc_alloc(heap, 32);
    strcpy(name, "xalloc");
    matrix = xalloc_calloc(heap, 16, sizeof *matrix);          /* zeroed */
    page = xalloc_aligned_alloc(heap, 4096, 4096);              /* any power of two */
    grown = xalloc_realloc(heap, name, 1000);                   /* keeps the bytes */
    printf("name '%s' now has %zu usable bytes; page at %p (4 KiB aligned: %s)\n", grown,
           xalloc_usable_size(heap, grown), page, ((uintptr_t)page & 4095) ? "no" : "yes");

    puts("freeing twice, and freeing a pointer into the middle of a block:");
    xalloc_free(heap, page);
    xalloc_free(heap, page);
    xalloc_free(heap, (char *)matrix + 16);

    xalloc_stats_get(heap, &st);
    printf("%zu live blocks, %zu bytes used, largest possible request now %zu bytes\n",
           st.live_blocks, st.used_bytes, xalloc_max_alloc(heap));
    printf("structural check: %s\n", xalloc_check(heap) ? xalloc_check(heap) : "all invariants hold");
    xalloc_dump(heap, print_line, NULL);

    xalloc_free(heap, matrix);
    xalloc_free(heap, grown);
    return 0;
}
