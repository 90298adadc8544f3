/* buddy_frames.c - a kernel-style physical page frame allocator on
 * xalloc_buddy.h, in metadata-only mode: the physical addresses below are
 * made up, never mapped, never touched; every byte of bookkeeping lives in
 * buffers the "kernel" sets aside at boot.
 *
 * What a kernel does with it:
 *   1. read the firmware memory map (here: a made-up e820 table with holes,
 *      reserved ranges and ACPI tables),
 *   2. make one allocator per zone (DMA: below 16 MiB, DMA32: below 4 GiB,
 *      Normal: above), each spanning its zone's RAM from first to last
 *      usable byte, sized by xbuddy_meta_size,
 *   3. reserve what must never be handed out: the holes and firmware
 *      ranges inside a zone's span, the kernel image, the bitmaps' own home,
 *   4. hand out page frames by order (page tables, DMA rings, 2 MiB huge
 *      pages, a 1 GiB gigantic page), free them by address alone,
 *   5. give ACPI-reclaimable memory back once the tables are parsed,
 *   6. print /proc/buddyinfo and check every invariant.
 * Build and run: make demo (or cc -std=c99 -I. examples/buddy_frames.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#define XBUDDY_ADDR64 1 /* physical addresses are 64-bit even on a 32-bit CPU */
#define XALLOC_IMPLEMENTATION
#include "xalloc_buddy.h"

#define KiB ((uint64_t)1 << 10)
#define MiB ((uint64_t)1 << 20)
#define GiB ((uint64_t)1 << 30)
#define PAGE 4096u

typedef enum { RAM, RESERVED, ACPI_RECLAIM, ACPI_NVS } region_type;
typedef struct { uint64_t base, size; region_type type; const char *what; } region;

/* A made-up machine with 7 GiB of RAM, as firmware might describe it. */
static const region e820[] = {
    { 0x0000000000ull, 0x009f000ull,  RAM,          "low memory" },
    { 0x000009f000ull, 0x0001000ull,  RESERVED,     "EBDA" },
    { 0x00000e0000ull, 0x0020000ull,  RESERVED,     "BIOS ROM" },
    { 0x0000100000ull, 0x7fde0000ull, RAM,          "RAM below 2 GiB" },
    { 0x007fee0000ull, 0x0010000ull,  ACPI_RECLAIM, "ACPI tables" },
    { 0x007fef0000ull, 0x0010000ull,  ACPI_NVS,     "ACPI NVS" },
    { 0x007ff00000ull, 0x0100000ull,  RESERVED,     "firmware" },
    /* 0x80000000..0x100000000: PCI MMIO hole, not in the map at all */
    { 0x00fec00000ull, 0x0001000ull,  RESERVED,     "IOAPIC" },
    { 0x0100000000ull, 0x140000000ull, RAM,         "RAM above 4 GiB" },
};
#define NREGIONS (sizeof e820 / sizeof *e820)

typedef struct zone { const char *name; uint64_t lo, hi; xbuddy *b; } zone;
static zone zones[] = {
    { "DMA", 0, 16 * MiB, NULL },
    { "DMA32", 16 * MiB, 4 * GiB, NULL },
    { "Normal", 4 * GiB, UINT64_MAX, NULL },
};
#define NZONES (sizeof zones / sizeof *zones)

static int errors;
static void on_error(void *user, xalloc_error e, uintptr_t addr, const char *what)
{
    (void)user;
    errors++;
    printf("  xbuddy reports: %s at %#lx (%s)\n", xalloc_error_name(e), (unsigned long)addr, what);
}
static void print_line(void *user, const char *line) { (void)user; fputs(line, stdout); }

/* RAM of the map (usable, or reclaimable once ACPI is parsed) clipped to
 * [lo, hi): its first and last byte. */
static int zone_span(uint64_t lo, uint64_t hi, uint64_t *first, uint64_t *end)
{
    size_t i;
    *first = UINT64_MAX;
    *end = 0;
    for (i = 0; i < NREGIONS; i++) {
        uint64_t a = e820[i].base, b = e820[i].base + e820[i].size;
        if ((e820[i].type != RAM && e820[i].type != ACPI_RECLAIM) || b <= lo || a >= hi) continue;
        if (a < lo) a = lo;
        if (b > hi) b = hi;
        if (a < *first) *first = a;
        if (b > *end) *end = b;
    }
    return *first < *end;
}

/* Reserve everything in [first, end) that is not usable RAM: the gaps
 * between RAM regions (holes, MMIO, firmware, ACPI tables). */
static void reserve_non_ram(xbuddy *b, uint64_t first, uint64_t end)
{
    uint64_t at = first;
    for (;;) { /* walk RAM regions in address order, reserving the gaps */
        uint64_t next = UINT64_MAX, next_end = 0;
        size_t i;
        for (i = 0; i < NREGIONS; i++)
            if (e820[i].type == RAM && e820[i].base + e820[i].size > at && e820[i].base < next) {
                next = e820[i].base;
                next_end = e820[i].base + e820[i].size;
            }
        if (next >= end) { if (at < end) xbuddy_reserve(b, at, end - at); break; }
        if (next > at) xbuddy_reserve(b, at, next - at);
        at = next_end;
    }
}

int main(void)
{
    uint64_t kernel = 0x1000000, kernel_size = 0x1400000; /* 16 MiB..36 MiB */
    void *meta[NZONES];
    size_t i, total_meta = 0;
    xbuddy_desc d;
    xbuddy_stats s;
    xbuddy_addr pt[64], ring, huge[4], giant;

    memset(&d, 0, sizeof d);
    d.hooks.error = on_error;
    d.min_block = PAGE;
    puts("e820 memory map:");
    for (i = 0; i < NREGIONS; i++)
        printf("  0x%010llx..0x%010llx %-14s %s\n", (unsigned long long)e820[i].base,
               (unsigned long long)(e820[i].base + e820[i].size), e820[i].type == RAM ? "usable" :
               e820[i].type == ACPI_RECLAIM ? "ACPI reclaim" : e820[i].type == ACPI_NVS ? "ACPI NVS" : "reserved",
               e820[i].what);

    /* one allocator per zone; its bitmap is the only memory it uses */
    for (i = 0; i < NZONES; i++) {
        uint64_t first, end;
        size_t need;
        if (!zone_span(zones[i].lo, zones[i].hi, &first, &end)) continue;
        need = xbuddy_meta_size(first, end - first, &d);
        meta[i] = malloc(need); /* a kernel takes this from its early boot allocator */
        zones[i].b = xbuddy_init_meta(meta[i], need, first, end - first, &d);
        if (!zones[i].b) { printf("zone %s: init failed\n", zones[i].name); return 1; }
        reserve_non_ram(zones[i].b, first, end);
        total_meta += need;
        printf("zone %-6s 0x%010llx..0x%010llx: %6llu MiB span, bitmap %zu bytes\n", zones[i].name,
               (unsigned long long)first, (unsigned long long)end, (unsigned long long)((end - first) / MiB), need);
    }
    /* the kernel image sits in DMA32 */
    xbuddy_reserve(zones[1].b, kernel, kernel_size);
    printf("bitmaps for the three zones: %zu bytes in all (2 bits per 4 KiB page and a constant)\n\n", total_meta);

    /* page tables: single frames, anywhere (Normal first, like a kernel) */
    for (i = 0; i < 64; i++) pt[i] = xbuddy_alloc_order(zones[2].b, 0);
    /* a DMA ring for an old ISA device: 64 KiB contiguous below 16 MiB */
    ring = xbuddy_alloc_order(zones[0].b, 4);
    printf("DMA ring (order 4): %#llx\n", (unsigned long long)ring);
    /* huge pages: 2 MiB, aligned to 2 MiB, from DMA32 */
    for (i = 0; i < 4; i++) huge[i] = xbuddy_alloc_order(zones[1].b, 9);
    printf("2 MiB pages: %#llx %#llx %#llx %#llx\n", (unsigned long long)huge[0], (unsigned long long)huge[1],
           (unsigned long long)huge[2], (unsigned long long)huge[3]);
    /* a 1 GiB gigantic page from Normal */
    giant = xbuddy_alloc_order(zones[2].b, 18);
    printf("1 GiB page: %#llx\n", (unsigned long long)giant);
    /* nothing handed out touches the kernel image, the holes or firmware */
    for (i = 0; i < 4; i++)
        if (huge[i] < kernel + kernel_size && kernel < huge[i] + 2 * MiB) printf("BUG: huge page over the kernel\n");

    puts("\n/proc/buddyinfo after boot allocations:");
    for (i = 0; i < NZONES; i++) {
        unsigned o;
        if (!zones[i].b) continue;
        xbuddy_stats_get(zones[i].b, &s);
        printf("Node 0, zone %8s", zones[i].name);
        for (o = 0; o <= 10; o++) { /* Linux prints orders 0..10 */
            size_t n = s.free_blocks[o], k;
            for (k = o + 1; o == 10 && k <= s.max_order; k++) n += s.free_blocks[k] << (k - 10);
            printf(" %6zu", n);
        }
        printf("   (free %llu MiB, reserved %llu KiB, fragmentation %u.%u%%)\n",
               (unsigned long long)(s.free_bytes / MiB), (unsigned long long)(s.reserved_bytes / KiB),
               s.fragmentation / 10, s.fragmentation % 10);
    }

    /* ACPI tables parsed: the reclaimable range becomes ordinary memory */
    for (i = 0; i < NREGIONS; i++)
        if (e820[i].type == ACPI_RECLAIM) {
            xbuddy_stats_get(zones[1].b, &s);
            xbuddy_release(zones[1].b, e820[i].base, e820[i].size);
            printf("\nreleased %s: DMA32 free %llu -> ", e820[i].what, (unsigned long long)s.free_bytes / KiB);
            xbuddy_stats_get(zones[1].b, &s);
            printf("%llu KiB\n", (unsigned long long)s.free_bytes / KiB);
        }

    /* mistakes a driver might make are reported, and change nothing */
    puts("\ndriver bugs:");
    xbuddy_free_addr(zones[2].b, pt[3], 0);
    xbuddy_free_addr(zones[2].b, pt[3], 0);                  /* double free */
    xbuddy_free_addr(zones[1].b, huge[0] + PAGE, 0);         /* inside a huge page */
    xbuddy_free_addr(zones[1].b, huge[1], PAGE);             /* wrong size */
    xbuddy_free_addr(zones[1].b, kernel, 0);                 /* the kernel image */
    xbuddy_free_addr(zones[1].b, 0x90000000ull, 0);          /* the MMIO hole */
    if (!xbuddy_reserve(zones[1].b, huge[2], PAGE)) puts("  (reserving over a live huge page was refused)");

    /* tear down: free everything, every zone back to its boot state */
    for (i = 0; i < 64; i++) if (i != 3) xbuddy_free_addr(zones[2].b, pt[i], 0);
    xbuddy_free_addr(zones[0].b, ring, 0);
    for (i = 0; i < 4; i++) xbuddy_free_addr(zones[1].b, huge[i], 2 * MiB);
    xbuddy_free_addr(zones[2].b, giant, 0);
    puts("\nafter freeing everything:");
    for (i = 0; i < NZONES; i++) {
        const char *why;
        if (!zones[i].b) continue;
        xbuddy_dump(zones[i].b, print_line, NULL);
        why = xbuddy_check(zones[i].b);
        xbuddy_stats_get(zones[i].b, &s);
        printf("  check: %s, live blocks %zu\n", why ? why : "every invariant holds", s.live_blocks);
        if (why || s.live_blocks) return 1;
        free(meta[i]);
    }
    printf("\n%d misuses reported (6 expected)\n", errors);
    return errors == 6 ? 0 : 1;
}
