/* xalloc_firmware.c - the heap the way firmware uses it: a static array, no
 * C library at all, no start files. It builds with
 *     -ffreestanding -nostdlib -fno-builtin
 * and links with nothing else (make demo builds and runs it on x86-64 Linux,
 * where a few lines of start code talk to the kernel; on a microcontroller
 * the same firmware_main() runs from the reset handler).
 * It allocates message buffers of random sizes, frees them in random order,
 * checks the heap after every step and reports through one output call. */
#define XALLOC_IMPLEMENTATION
#include "xalloc.h"

static unsigned char heap_memory[32 * 1024];

/* the platform: one way to print and one to stop */
static void out(const char *s);

static unsigned rng_state = 12345;
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
    xalloc_desc desc;
    xalloc_heap *h;
    unsigned char *msg[24];
    unsigned i, round, failures = 0, checks_failed = 0;
    desc.hooks.error = on_error;       /* a desc is plain data: set each field */
    desc.hooks.lock = 0;
    desc.hooks.unlock = 0;
    desc.hooks.user = 0;
    desc.trace = 0;
    desc.max_block = 0;
    h = xalloc_init(heap_memory, sizeof heap_memory, &desc);
    if (!h) { out("xalloc_firmware: init failed\n"); return 1; }
    for (i = 0; i < 24; i++) msg[i] = 0;
    for (round = 0; round < 20000; round++) {
        unsigned k = rng() % 24;
        if (msg[k]) {
            if (msg[k][0] != (unsigned char)k) checks_failed++;
            xalloc_free(h, msg[k]);
            msg[k] = 0;
        } else {
            msg[k] = (unsigned char *)xalloc_alloc(h, 8 + rng() % 1500);
            if (msg[k]) msg[k][0] = (unsigned char)k; else failures++;
        }
        if (round % 1000 == 0 && xalloc_check(h)) checks_failed++;
    }
    for (i = 0; i < 24; i++) xalloc_free(h, msg[i]);
    xalloc_dump(h, print_line, 0);
    if (checks_failed || errors) { out("xalloc_firmware: FAILED\n"); return 1; }
    out(failures ? "xalloc_firmware: ok (some requests found the heap full, as expected)\n"
                 : "xalloc_firmware: ok\n");
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
