/* buddy_firmware.c - the buddy allocator the way firmware uses it: DMA
 * buffers of power-of-two sizes from one static array, no C library at all,
 * no start files. It builds with
 *     -ffreestanding -nostdlib -fno-builtin
 * and links with nothing else (make demo builds and runs it on x86-64 Linux,
 * where a few lines of start code talk to the kernel; on a microcontroller
 * the same firmware_main() runs from the reset handler).
 * Buffers are allocated by size or by order, filled, checked and freed in
 * random order; a region is reserved for a peripheral at start-up; the
 * allocator is checked every 500 steps, and the whole pool must merge back
 * into its first state at the end. */
#define XALLOC_IMPLEMENTATION
#include "xalloc_buddy.h"

/* 32 KiB of SRAM for buffers of 64 B..4 KiB; the bitmap is carved from it */
static unsigned char pool[32 * 1024] __attribute__((aligned(64)));

/* the platform: one way to print */
static void out(const char *s);

static unsigned rng_state = 2024;
static unsigned rng(void) { rng_state = rng_state * 1103515245u + 12345u; return rng_state >> 16; }

static unsigned errors;
static void on_error(void *user, xalloc_error e, uintptr_t p, const char *what)
{
    (void)user; (void)e; (void)p; (void)what;
    errors++;
}
static void print_line(void *user, const char *line) { (void)user; out(line); }

int firmware_main(void);
int firmware_main(void)
{
    xbuddy_desc desc;
    xbuddy_stats s0, s;
    xbuddy *b;
    unsigned char *buf[32];
    unsigned size[32], i, k, round, failures = 0, bad = 0;
    desc.hooks.error = on_error;       /* a desc is plain data: set each field */
    desc.hooks.lock = 0;
    desc.hooks.unlock = 0;
    desc.hooks.user = 0;
    desc.min_block = 64;
    desc.max_block = 4096;             /* no buffer larger than 4 KiB */
    desc.max_reserved = 2;
    b = xbuddy_init(pool, sizeof pool, &desc);
    if (!b) { out("buddy_firmware: init failed\n"); return 1; }
    xbuddy_stats_get(b, &s0);
    /* a peripheral's fixed DMA window: 1 KiB at offset 8 KiB */
    if (!xbuddy_reserve(b, (xbuddy_addr)(uintptr_t)(pool + 8192), 1024)) bad++;
    for (i = 0; i < 32; i++) buf[i] = 0;
    for (round = 0; round < 20000; round++) {
        k = rng() % 32;
        if (buf[k]) {
            for (i = 0; i < size[k]; i++) bad += buf[k][i] != (unsigned char)(k + size[k]);
            if (rng() & 1) xbuddy_free(b, buf[k]);
            else xbuddy_free_addr(b, (xbuddy_addr)(uintptr_t)buf[k], size[k]); /* free with its size */
            buf[k] = 0;
        } else {
            size[k] = 16u + rng() % 2000u;
            buf[k] = (unsigned char *)xbuddy_alloc(b, size[k]);
            if (!buf[k]) { failures++; continue; }
            /* aligned to its power-of-two size, outside the reserved window */
            for (i = 64; i < size[k]; i *= 2) { }
            if ((uintptr_t)buf[k] & (i - 1)) bad++;
            if (buf[k] < pool + 8192 + 1024 && pool + 8192 < buf[k] + size[k]) bad++;
            for (i = 0; i < size[k]; i++) buf[k][i] = (unsigned char)(k + size[k]);
        }
        if (round % 500 == 0 && xbuddy_check(b)) bad++;
    }
    for (k = 0; k < 32; k++) xbuddy_free(b, buf[k]);
    if (!xbuddy_release(b, (xbuddy_addr)(uintptr_t)(pool + 8192), 1024)) bad++;
    xbuddy_dump(b, print_line, 0);
    xbuddy_stats_get(b, &s);
    if (s.free_bytes != s0.free_bytes || s.largest_free != s0.largest_free || s.live_blocks) bad++;
    if (bad || errors || xbuddy_check(b)) { out("buddy_firmware: FAILED\n"); return 1; }
    out(failures ? "buddy_firmware: ok (some requests found the pool full, as expected)\n"
                 : "buddy_firmware: ok\n");
    return 0;
}

#if defined(__x86_64__) && defined(__linux__)
/* Hosted test run: Linux system calls, no libc. */
static long sys3(long n, long a, long b, long c)
{
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
    return r;
}
static void out(const char *s)
{
    long n = 0;
    while (s[n]) n++;
    sys3(1, 1, (long)s, n); /* write(1, s, n) */
}
void _start(void);
void _start(void)
{
    sys3(60, firmware_main(), 0, 0); /* exit */
    for (;;) { }
}
#else
/* Bare metal: route out() to a UART; here it goes nowhere. The reset
 * handler calls firmware_main(). */
static void out(const char *s) { (void)s; }
void _start(void);
void _start(void)
{
    (void)firmware_main();
    for (;;) { }
}
#endif
