/* test_buddy_modes.c - the buddy allocator built with one mode only
 * (XBUDDY_MODES 1: in-band; test_buddy_modes2.c includes this file with
 * XBUDDY_MODES 2: metadata-only). The mode left out must be refused at init
 * with XALLOC_E_BADARG, and the mode kept must work as in the full build:
 * a randomized churn (seeded by xtest.h, replay with --seed) against a
 * shadow of live blocks, checked throughout, that ends with everything
 * freed and every byte of the range free again. */
#ifndef XBUDDY_MODES
#define XBUDDY_MODES 1
#endif
#define XALLOC_IMPLEMENTATION
#include "xalloc_buddy.h"
#include "xtest.h"

static int nerr;
static xalloc_error last_err;
static void on_error(void *user, xalloc_error e, uintptr_t p, const char *what)
{
    (void)user; (void)p; (void)what;
    nerr++;
    last_err = e;
}

static xbuddy_desc desc_of(xbuddy_addr min_block)
{
    xbuddy_desc d;
    memset(&d, 0, sizeof d);
    d.hooks.error = on_error;
    d.min_block = min_block;
    return d;
}

static uint64_t store[1 << 14]; /* 128 KiB: the in-band range or the metadata */
#define BASE ((xbuddy_addr)0x40000000u)
#define RANGE ((xbuddy_addr)1 << 24) /* metadata-only: 16 MiB of 4 KiB blocks */

/* The mode this build keeps, or NULL (the other one is tried first and must
 * be refused). */
static xbuddy *init_kept(void)
{
    xbuddy_desc dm = desc_of(4096), di = desc_of(64);
    size_t need = xbuddy_meta_size(BASE, RANGE, &dm);
    xbuddy *other, *kept;
    XT_CHECK(need > 0 && need <= sizeof store);
    nerr = 0;
    if (XBUDDY_MODES == 1) {
        other = xbuddy_init_meta(store, sizeof store, BASE, RANGE, &dm);
        XT_CHECK(other == NULL && nerr == 1 && last_err == XALLOC_E_BADARG);
        nerr = 0;
        kept = xbuddy_init(store, sizeof store, &di);
    } else {
        other = xbuddy_init(store, sizeof store, &di);
        XT_CHECK(other == NULL && nerr == 1 && last_err == XALLOC_E_BADARG);
        nerr = 0;
        kept = xbuddy_init_meta(store, sizeof store, BASE, RANGE, &dm);
    }
    XT_CHECK(kept != NULL && nerr == 0);
    return kept;
}

static void test_other_mode_refused(void)
{
    XT_CHECK(init_kept() != NULL);
}

static void test_churn(void)
{
    enum { SLOTS = 256 };
    static xbuddy_addr addr[SLOTS], size[SLOTS];
    xbuddy *b = init_kept();
    xbuddy_stats s0, s;
    size_t i, ops = xt_slow() ? 20000 : 200000, live = 0;
    if (!b) return;
    xbuddy_stats_get(b, &s0);
    XT_CHECK(s0.used_bytes == 0 && s0.free_bytes > 0);
    for (i = 0; i < SLOTS; i++) addr[i] = XBUDDY_NONE;
    for (i = 0; i < ops; i++) {
        size_t k = (size_t)xt_below(SLOTS);
        if (addr[k] != XBUDDY_NONE) {
            xbuddy_free_addr(b, addr[k], xt_below(2) ? size[k] : 0);
            addr[k] = XBUDDY_NONE;
            live--;
        } else {
            xbuddy_addr min = XBUDDY_MODES == 1 ? 64 : 4096;
            size[k] = min << xt_below(6);
            addr[k] = xbuddy_alloc_addr(b, size[k]);
            if (addr[k] == XBUDDY_NONE) continue;
            XT_CHECK(!(addr[k] & (size[k] - 1))); /* a block is aligned to its size */
            XT_CHECK(xbuddy_block_size(b, addr[k]) == size[k]);
            live++;
        }
        if (i % 1024 == 0) XT_CHECK(xbuddy_check(b) == NULL);
    }
    xbuddy_stats_get(b, &s);
    XT_CHECK(s.live_blocks == live);
    for (i = 0; i < SLOTS; i++)
        if (addr[i] != XBUDDY_NONE) xbuddy_free_addr(b, addr[i], 0);
    XT_CHECK(xbuddy_check(b) == NULL);
    xbuddy_stats_get(b, &s);
    XT_CHECK(s.used_bytes == 0 && s.live_blocks == 0 && s.free_bytes == s0.free_bytes);
    XT_CHECK(nerr == 0);
}

int main(int argc, char **argv)
{
    XT_INIT(argc, argv);
    XT_RUN(test_other_mode_refused);
    XT_RUN(test_churn);
    return XT_DONE();
}
