/* test_buddy.c - unit tests of xalloc_buddy.h, built and run at every
 * XALLOC_DEBUG level by `make test`.
 *
 * Every function and edge: minimum blocks from the pointer size to
 * megabytes, one-block ranges, odd sizes, unaligned starts, terabyte ranges
 * in metadata-only mode (never touched: the addresses are not mapped),
 * reservations overlapping allocations and each other, every misuse (each
 * must be reported and change nothing), the check finding damaged bitmaps,
 * and a randomized stress of over a million operations against a shadow
 * model of every minimum block, with the full check throughout, ending with
 * everything freed and the allocator back to its first state. */
#include "xtest.h"
#define XALLOC_IMPLEMENTATION
#include "xalloc_buddy.h"

/* ---- helpers ----------------------------------------------------------------- */
static int n_errors;
static xalloc_error last_err;
static uintptr_t last_ptr;
static void on_error(void *user, xalloc_error e, uintptr_t p, const char *what)
{
    (void)user;
    (void)what;
    n_errors++;
    last_err = e;
    last_ptr = p;
}
static void clear_errors(void) { n_errors = 0; last_err = XALLOC_OK; last_ptr = 0; }
/* exactly one error, of kind e */
#define EXPECT_ERROR(e) do { XT_CHECK_MSG(n_errors == 1 && last_err == (e), "errors %d, last %s, wanted %s", \
    n_errors, xalloc_error_name(last_err), xalloc_error_name(e)); clear_errors(); } while (0)
#define EXPECT_NO_ERROR() do { XT_CHECK_MSG(n_errors == 0, "unexpected error %s", xalloc_error_name(last_err)); clear_errors(); } while (0)

static xbuddy_desc desc_of(xbuddy_addr min_block)
{
    xbuddy_desc d;
    memset(&d, 0, sizeof d);
    d.hooks.error = on_error;
    d.min_block = min_block;
    return d;
}

/* Metadata-only allocator over [base, base + size), buffer from malloc,
 * filled with junk first (init must not rely on zeroed memory). */
static void *meta_buf;
static xbuddy *meta_init(xbuddy_addr base, xbuddy_addr size, const xbuddy_desc *d)
{
    size_t need = xbuddy_meta_size(base, size, d);
    xbuddy *b;
    free(meta_buf);
    meta_buf = NULL;
    if (!need) return NULL;
    meta_buf = malloc(need);
    memset(meta_buf, 0xA5, need);
    b = xbuddy_init_meta(meta_buf, need, base, size, d);
    return b;
}

static bool stats_equal(const xbuddy_stats *a, const xbuddy_stats *b)
{
    unsigned o;
    if (a->base != b->base || a->size != b->size || a->free_bytes != b->free_bytes || a->used_bytes != b->used_bytes ||
        a->reserved_bytes != b->reserved_bytes || a->largest_free != b->largest_free || a->live_blocks != b->live_blocks ||
        a->reserved_ranges != b->reserved_ranges || a->fragmentation != b->fragmentation || a->max_order != b->max_order)
        return false;
    for (o = 0; o < XBUDDY_ORDERS; o++)
        if (a->free_blocks[o] != b->free_blocks[o]) return false;
    return true;
}

/* A snapshot of every block, to prove a refused call changed nothing. */
typedef struct snap { size_t n; xbuddy_addr a[4096], s[4096]; int k[4096]; } snap;
static bool snap_fn(void *user, xbuddy_addr a, xbuddy_addr s, xbuddy_kind k)
{
    snap *p = (snap *)user;
    if (p->n < 4096) { p->a[p->n] = a; p->s[p->n] = s; p->k[p->n] = (int)k; }
    p->n++;
    return true;
}
static snap snap_a, snap_b;
static void take_snap(xbuddy *b, snap *s) { s->n = 0; xbuddy_walk(b, snap_fn, s); }
static bool snap_same(void)
{
    size_t i;
    if (snap_a.n != snap_b.n) return false;
    for (i = 0; i < snap_a.n && i < 4096; i++)
        if (snap_a.a[i] != snap_b.a[i] || snap_a.s[i] != snap_b.s[i] || snap_a.k[i] != snap_b.k[i]) return false;
    return true;
}
/* The whole state: stats, every block, and the check. */
static xbuddy_stats st_before;
static void state_save(xbuddy *b) { xbuddy_stats_get(b, &st_before); take_snap(b, &snap_a); }
static bool state_same(xbuddy *b)
{
    xbuddy_stats s;
    xbuddy_stats_get(b, &s);
    take_snap(b, &snap_b);
    return stats_equal(&s, &st_before) && snap_same() && xbuddy_check(b) == NULL;
}

/* Walk checker: blocks tile [base, base+size), each aligned to its size
 * (absolute address), sizes powers of two. */
typedef struct tiling { xbuddy_addr next, min; size_t blocks, bad, free_blocks; xbuddy_addr free_bytes; } tiling;
static bool tile_fn(void *user, xbuddy_addr a, xbuddy_addr s, xbuddy_kind k)
{
    tiling *t = (tiling *)user;
    if (a != t->next || !s || (s & (s - 1)) || (a & (s - 1)) || s < t->min) t->bad++;
    t->next = a + s;
    t->blocks++;
    if (k == XBUDDY_FREE) { t->free_blocks++; t->free_bytes += s; }
    return true;
}
static void check_tiling(xbuddy *b)
{
    xbuddy_stats s;
    tiling t;
    xbuddy_stats_get(b, &s);
    memset(&t, 0, sizeof t);
    t.next = s.base;
    t.min = s.min_block;
    xbuddy_walk(b, tile_fn, &t);
    XT_CHECK(t.bad == 0);
    XT_CHECK(t.next == s.base + s.size);
    XT_CHECK(t.free_bytes == s.free_bytes);
}

static void collect_line(void *user, const char *line)
{
    char *buf = (char *)user;
    if (strlen(buf) + strlen(line) < 4000) strcat(buf, line);
}

/* ---- set-up --------------------------------------------------------------------- */
static void test_init_arguments(void)
{
    xbuddy_desc d = desc_of(4096);
    static unsigned char small[64];
    size_t need;
    xbuddy *b;
    clear_errors();
    /* minimum block: not a power of two, smaller than a pointer */
    d.min_block = 3000;
    XT_CHECK(xbuddy_meta_size(0, 1 << 20, &d) == 0);
    XT_CHECK(xbuddy_init_meta(small, sizeof small, 0, 1 << 20, &d) == NULL);
    EXPECT_ERROR(XALLOC_E_BADARG);
    d.min_block = sizeof(void *) / 2;
    XT_CHECK(xbuddy_meta_size(0, 1 << 20, &d) == 0);
    d.min_block = 4096;
    /* max_block: not a power of two, or below the minimum block */
    d.max_block = 3 * 4096;
    XT_CHECK(xbuddy_meta_size(0, 1 << 20, &d) == 0);
    d.max_block = 2048;
    XT_CHECK(xbuddy_meta_size(0, 1 << 20, &d) == 0);
    d.max_block = 0;
    /* ranges: smaller than one aligned minimum block, wrapping around */
    XT_CHECK(xbuddy_meta_size(0, 4095, &d) == 0);
    XT_CHECK(xbuddy_meta_size(1, 4096, &d) == 0);        /* [4096, 4097) after rounding: empty */
    XT_CHECK(xbuddy_meta_size(4095, 4097, &d) != 0);     /* holds [4096, 8192) */
    XT_CHECK(xbuddy_meta_size(XBUDDY_NONE - 4095, 8192, &d) == 0);
    XT_CHECK(xbuddy_init_meta(small, sizeof small, XBUDDY_NONE - 4095, 8192, &d) == NULL);
    EXPECT_ERROR(XALLOC_E_BADARG);
    /* metadata: the size asked for covers any alignment of the buffer; one
     * byte less at the worst alignment (1 past a word) fails; NULL fails */
    need = xbuddy_meta_size(0, 1 << 24, &d);
    XT_CHECK(need > 0);
    meta_buf = realloc(meta_buf, need + 1);
    XT_CHECK(xbuddy_init_meta((char *)meta_buf + 1, need - 1, 0, 1 << 24, &d) == NULL);
    EXPECT_ERROR(XALLOC_E_BADARG);
    XT_CHECK(xbuddy_init_meta(NULL, need, 0, 1 << 24, &d) == NULL);
    EXPECT_ERROR(XALLOC_E_BADARG);
    b = xbuddy_init_meta((char *)meta_buf + 1, need, 0, 1 << 24, &d);
    XT_CHECK(b != NULL);
    EXPECT_NO_ERROR();
    XT_CHECK(b && xbuddy_check(b) == NULL);
    /* in-band: too small for its own bitmap, NULL */
    XT_CHECK(xbuddy_init(small, 16, &d) == NULL);
    EXPECT_ERROR(XALLOC_E_BADARG);
    XT_CHECK(xbuddy_init(NULL, 1 << 20, &d) == NULL);
    EXPECT_ERROR(XALLOC_E_BADARG);
    /* desc NULL: defaults (4096-byte blocks), no hooks */
    b = meta_init(0x100000, 1 << 20, NULL);
    XT_CHECK(b != NULL);
    if (b) {
        xbuddy_stats s;
        xbuddy_stats_get(b, &s);
        XT_CHECK(s.min_block == 4096 && s.size == 1 << 20 && s.free_bytes == 1 << 20 && s.max_order == 8);
    }
}

/* Every byte of the range starts free, in maximal aligned blocks. */
static void test_cover_unaligned(void)
{
    static const xbuddy_addr bases[] = { 0, 1, 0x3000, 0x3001, 0x7ff000, 0x1000000 - 0x1000, (xbuddy_addr)0x123456789ull };
    static const xbuddy_addr sizes[] = { 0x1000, 0x2000, 0x3000, 0x5000, 0x100000, 0x123457, 0xfff000, 0x1000001 };
    size_t i, j;
    for (i = 0; i < sizeof bases / sizeof *bases; i++)
        for (j = 0; j < sizeof sizes / sizeof *sizes; j++) {
            xbuddy_desc d = desc_of(0x1000);
            xbuddy_addr base = bases[i], lo, hi;
            xbuddy *b;
            xbuddy_stats s;
            if (base > (xbuddy_addr)UINTPTR_MAX / 2) continue; /* 32-bit address space */
            lo = (base + 0xfff) & ~(xbuddy_addr)0xfff;
            hi = (base + sizes[j]) & ~(xbuddy_addr)0xfff;
            b = meta_init(base, sizes[j], &d);
            if (hi <= lo) { XT_CHECK(b == NULL); clear_errors(); continue; }
            XT_CHECK(b != NULL);
            if (!b) continue;
            xbuddy_stats_get(b, &s);
            XT_CHECK(s.base == lo && s.size == hi - lo && s.free_bytes == hi - lo && s.used_bytes == 0);
            check_tiling(b);
            XT_CHECK(xbuddy_check(b) == NULL);
            /* the largest block is the largest aligned one inside the range */
            {
                xbuddy_addr big = 0x1000, a;
                while ((((lo + 2 * big - 1) & ~(2 * big - 1)) + 2 * big) <= hi) big *= 2;
                XT_CHECK_MSG(s.largest_free == big, "base %llx size %llx: largest %llu, expected %llu",
                             (unsigned long long)base, (unsigned long long)sizes[j], (unsigned long long)s.largest_free,
                             (unsigned long long)big);
                a = xbuddy_alloc_addr(b, big);
                XT_CHECK(a != XBUDDY_NONE && (a & (big - 1)) == 0 && a >= lo && a + big <= hi);
                XT_CHECK(xbuddy_alloc_addr(b, big * 2) == XBUDDY_NONE);
                EXPECT_ERROR(XALLOC_E_BADARG); /* larger than the largest order */
                xbuddy_free_addr(b, a, big);
                EXPECT_NO_ERROR();
            }
        }
}

/* Minimum blocks from the pointer size to megabytes: fill with order-0
 * blocks, every one distinct and aligned, then free all in a scrambled
 * order and get the first state back. */
static void fill_and_empty(xbuddy *b, bool touch)
{
    xbuddy_stats s0, s;
    xbuddy_addr *a;
    size_t n, i, k;
    xbuddy_stats_get(b, &s0);
    n = (size_t)(s0.size / s0.min_block);
    a = (xbuddy_addr *)malloc(n * sizeof *a);
    for (i = 0; i < n; i++) {
        a[i] = xbuddy_alloc_addr(b, 1);
        XT_CHECK(a[i] != XBUDDY_NONE && ((a[i] - s0.base) & (s0.min_block - 1)) == 0 && a[i] >= s0.base &&
                 a[i] < s0.base + s0.size);
        if (touch && a[i] != XBUDDY_NONE) memset((void *)(uintptr_t)a[i], (int)(i & 0xff), (size_t)s0.min_block);
    }
    XT_CHECK(xbuddy_alloc_addr(b, 1) == XBUDDY_NONE);
    xbuddy_stats_get(b, &s);
    XT_CHECK(s.free_bytes == 0 && s.used_bytes == s0.size && s.live_blocks == n && s.failures == s0.failures + 1);
    XT_CHECK(xbuddy_check(b) == NULL);
    if (touch) /* nothing overlapped: every block still holds its own byte */
        for (i = 0; i < n; i++) {
            const unsigned char *p = (const unsigned char *)(uintptr_t)a[i];
            XT_CHECK(p[0] == (unsigned char)(i & 0xff) && p[s0.min_block - 1] == (unsigned char)(i & 0xff));
        }
    /* free in a scrambled order: i * k mod n with k odd and coprime-ish */
    for (k = 7919 % n; k && n % k == 0; k++) { }
    if (!k) k = 1;
    for (i = 0; i < n; i++) xbuddy_free_addr(b, a[(i * k) % n], 0);
    EXPECT_NO_ERROR();
    xbuddy_stats_get(b, &s);
    XT_CHECK(s.free_bytes == s0.size && s.live_blocks == 0);
    for (i = 0; i < XBUDDY_ORDERS; i++) XT_CHECK(s.free_blocks[i] == s0.free_blocks[i]);
    XT_CHECK(xbuddy_check(b) == NULL);
    free(a);
}

static void test_min_block_sizes(void)
{
    xbuddy_addr m;
    for (m = sizeof(void *); m <= (xbuddy_addr)4 << 20; m *= 2) {
        xbuddy_desc d = desc_of(m);
        /* metadata-only: 300 blocks and a bit, at an odd base */
        xbuddy *b = meta_init(m * 5 + 3, m * 300 + m / 2, &d);
        XT_CHECK(b != NULL);
        if (b) fill_and_empty(b, false);
        if (m < XBUDDY__LINKS) { /* in-band: too small for a free block's two links */
            static uint64_t mem[64];
            XT_CHECK(xbuddy_init(mem, sizeof mem, &d) == NULL);
            EXPECT_ERROR(XALLOC_E_BADARG);
        } else if (m <= 4096) { /* in-band: the blocks are real memory */
            size_t size = (size_t)m * 200 + 123;
            unsigned char *mem = (unsigned char *)malloc(size);
            b = xbuddy_init(mem + 1, size - 1, &d);
            XT_CHECK(b != NULL);
            if (b) {
                xbuddy_stats s;
                xbuddy_stats_get(b, &s);
                /* the bitmap sits after the managed range, inside mem */
                XT_CHECK(s.base >= (uintptr_t)(mem + 1) && (uintptr_t)b >= s.base + s.size &&
                         (uintptr_t)b + s.meta_bytes <= (uintptr_t)(mem + size));
                fill_and_empty(b, true);
            }
            free(mem);
        }
    }
    EXPECT_NO_ERROR();
}

static void test_one_block(void)
{
    xbuddy_desc d = desc_of(64);
    xbuddy *b = meta_init(0x40, 64, &d);
    xbuddy_addr a;
    xbuddy_stats s;
    XT_CHECK(b != NULL);
    if (!b) return;
    xbuddy_stats_get(b, &s);
    XT_CHECK(s.max_order == 0 && s.free_blocks[0] == 1 && s.largest_free == 64);
    a = xbuddy_alloc_addr(b, 0);
    XT_CHECK(a == 0x40);
    XT_CHECK(xbuddy_block_size(b, a) == 64);
    XT_CHECK(xbuddy_alloc_addr(b, 1) == XBUDDY_NONE);
    XT_CHECK(xbuddy_alloc_addr(b, 65) == XBUDDY_NONE);
    EXPECT_ERROR(XALLOC_E_BADARG); /* larger than any block can ever be */
    xbuddy_free_addr(b, a, 64);
    EXPECT_NO_ERROR();
    XT_CHECK(xbuddy_check(b) == NULL);
    /* a range at address 0: address 0 is a valid block, not a failure */
    b = meta_init(0, 4 * 64, &d);
    a = xbuddy_alloc_order(b, 2);
    XT_CHECK(a == 0);
    xbuddy_free_addr(b, a, 0);
    XT_CHECK(xbuddy_check(b) == NULL);
    EXPECT_NO_ERROR();
}

/* Alloc by size and by order; sizes round up to powers of two. */
static void test_orders_and_sizes(void)
{
    xbuddy_desc d = desc_of(256);
    xbuddy *b = meta_init(0x10000, 0x10000, &d);
    xbuddy_stats s;
    unsigned k;
    XT_CHECK(b != NULL);
    if (!b) return;
    for (k = 0; k <= 8; k++) {
        xbuddy_addr a = xbuddy_alloc_order(b, k), sz = (xbuddy_addr)256 << k;
        XT_CHECK(a != XBUDDY_NONE && (a & (sz - 1)) == 0);
        XT_CHECK(xbuddy_block_size(b, a) == sz);
        xbuddy_free_addr(b, a, sz);
        /* by size: sz, sz - 1 (same order), sz + 1 (next order) */
        a = xbuddy_alloc_addr(b, sz - 1);
        XT_CHECK(xbuddy_block_size(b, a) == sz);
        xbuddy_free_addr(b, a, sz - 1); /* any size that rounds to the block */
        a = xbuddy_alloc_addr(b, sz + 1);
        XT_CHECK(k == 8 ? a == XBUDDY_NONE : xbuddy_block_size(b, a) == 2 * sz);
        if (k == 8) EXPECT_ERROR(XALLOC_E_BADARG);
        else xbuddy_free_addr(b, a, 0);
    }
    EXPECT_NO_ERROR();
    XT_CHECK(xbuddy_alloc_order(b, 9) == XBUDDY_NONE);
    EXPECT_ERROR(XALLOC_E_BADARG);
    XT_CHECK(xbuddy_alloc_addr(b, XBUDDY_NONE) == XBUDDY_NONE);
    EXPECT_ERROR(XALLOC_E_BADARG);
    XT_CHECK(xbuddy_alloc(b, SIZE_MAX) == NULL);
    EXPECT_ERROR(XALLOC_E_BADARG);
    XT_CHECK(xbuddy_alloc_addr(b, 0) != XBUDDY_NONE); /* size 0: one minimum block */
    /* block_size is a query: outside the range it answers 0 at every level */
    XT_CHECK(xbuddy_block_size(b, 0x10000 - 256) == 0 && xbuddy_block_size(b, 0x20000) == 0 &&
             xbuddy_block_size(b, XBUDDY_NONE) == 0);
    clear_errors();
    xbuddy_stats_get(b, &s);
    XT_CHECK(s.used_bytes == 256 && s.failures == 4 && s.allocs == 27);
    /* max_block caps the orders */
    d.max_block = 1024;
    b = meta_init(0x10000, 0x10000, &d);
    xbuddy_stats_get(b, &s);
    XT_CHECK(s.max_order == 2 && s.largest_free == 1024 && s.free_blocks[2] == 64);
    XT_CHECK(xbuddy_alloc_order(b, 3) == XBUDDY_NONE);
    EXPECT_ERROR(XALLOC_E_BADARG);
    fill_and_empty(b, false);
}

/* Merging: buddyinfo at each step of a known sequence. */
static void test_merge_buddyinfo(void)
{
    xbuddy_desc d = desc_of(4096);
    xbuddy *b = meta_init(0, 16 * 4096, &d); /* one block of order 4 */
    xbuddy_addr a[16];
    xbuddy_stats s;
    int i;
    XT_CHECK(b != NULL);
    if (!b) return;
    for (i = 0; i < 16; i++) a[i] = xbuddy_alloc_order(b, 0);
    for (i = 0; i < 16; i++) XT_CHECK(a[i] == (xbuddy_addr)i * 4096); /* lowest address first, splitting */
    xbuddy_free_addr(b, a[0], 0);
    xbuddy_stats_get(b, &s);
    XT_CHECK(s.free_blocks[0] == 1 && s.free_blocks[1] == 0);
    xbuddy_free_addr(b, a[2], 0); /* not a buddy of 0 */
    xbuddy_stats_get(b, &s);
    XT_CHECK(s.free_blocks[0] == 2 && s.free_blocks[1] == 0 && s.fragmentation == 500);
    xbuddy_free_addr(b, a[1], 0); /* merges with 0 into an order-1 block */
    xbuddy_stats_get(b, &s);
    XT_CHECK(s.free_blocks[0] == 1 && s.free_blocks[1] == 1 && s.largest_free == 8192);
    xbuddy_free_addr(b, a[3], 0); /* 2+3, then with 0-1: order 2 */
    xbuddy_stats_get(b, &s);
    XT_CHECK(s.free_blocks[0] == 0 && s.free_blocks[1] == 0 && s.free_blocks[2] == 1 && s.fragmentation == 0);
    for (i = 15; i >= 4; i--) xbuddy_free_addr(b, a[i], 0);
    xbuddy_stats_get(b, &s);
    XT_CHECK(s.free_blocks[4] == 1 && s.free_blocks[0] + s.free_blocks[1] + s.free_blocks[2] + s.free_blocks[3] == 0);
    /* a split leaves one free block per order on the way down */
    a[0] = xbuddy_alloc_order(b, 0);
    xbuddy_stats_get(b, &s);
    XT_CHECK(s.free_blocks[0] == 1 && s.free_blocks[1] == 1 && s.free_blocks[2] == 1 && s.free_blocks[3] == 1 &&
             s.free_blocks[4] == 0);
    xbuddy_free_addr(b, a[0], 0);
    XT_CHECK(xbuddy_check(b) == NULL);
    EXPECT_NO_ERROR();
}

/* ---- misuse --------------------------------------------------------------------- */
static void test_misuse(void)
{
#if XALLOC_DEBUG >= 1
    xbuddy_desc d = desc_of(4096);
    xbuddy *b = meta_init(0x100000, 64 * 4096, &d);
    xbuddy_addr big, small, other;
    XT_CHECK(b != NULL);
    if (!b) return;
    big = xbuddy_alloc_order(b, 3);
    small = xbuddy_alloc_order(b, 0);
    other = xbuddy_alloc_order(b, 0);
    xbuddy_free_addr(b, other, 0);
    XT_CHECK(xbuddy_reserve(b, 0x100000 + 40 * 4096, 4 * 4096));
    clear_errors();
    state_save(b);
    xbuddy_free_addr(b, other, 0); /* double free */
    XT_CHECK(last_ptr == (uintptr_t)other);
    EXPECT_ERROR(XALLOC_E_DOUBLE_FREE);
    XT_CHECK(state_same(b));
    xbuddy_free_addr(b, big + 4096, 0); /* interior, aligned to a minimum block */
    EXPECT_ERROR(XALLOC_E_NOT_BLOCK);
    XT_CHECK(state_same(b));
    xbuddy_free_addr(b, big + 1, 0); /* unaligned */
    EXPECT_ERROR(XALLOC_E_NOT_BLOCK);
    xbuddy_free_addr(b, 0x100000 - 4096, 0); /* below the range */
    EXPECT_ERROR(XALLOC_E_FOREIGN);
    xbuddy_free_addr(b, 0x100000 + 64 * 4096, 0); /* just past it */
    EXPECT_ERROR(XALLOC_E_FOREIGN);
    xbuddy_free_addr(b, 0x100000 + 41 * 4096, 0); /* reserved */
    EXPECT_ERROR(XALLOC_E_RESERVED);
    xbuddy_free_addr(b, 0x100000 + 60 * 4096, 0); /* never allocated: free memory */
    EXPECT_ERROR(XALLOC_E_DOUBLE_FREE);
    xbuddy_free_addr(b, big, 4096); /* wrong size */
    EXPECT_ERROR(XALLOC_E_SIZE_MISMATCH);
    xbuddy_free_addr(b, big, 16 * 4096);
    EXPECT_ERROR(XALLOC_E_SIZE_MISMATCH);
    xbuddy_free_addr(b, small, XBUDDY_NONE); /* a size larger than any block */
    EXPECT_ERROR(XALLOC_E_SIZE_MISMATCH);
    XT_CHECK(xbuddy_block_size(b, big + 4096) == 0);
    EXPECT_ERROR(XALLOC_E_NOT_BLOCK);
    XT_CHECK(state_same(b));
    /* no-ops */
    xbuddy_free(b, NULL);
    xbuddy_free_addr(b, XBUDDY_NONE, 0);
    EXPECT_NO_ERROR();
    XT_CHECK(state_same(b));
    /* the right size (any that rounds to the block) frees */
    xbuddy_free_addr(b, big, 7 * 4096 + 1);
    xbuddy_free_addr(b, small, 1);
    EXPECT_NO_ERROR();
    XT_CHECK(xbuddy_check(b) == NULL);
#endif
}

/* ---- reservations ----------------------------------------------------------------- */
static bool in_any(xbuddy_addr a, xbuddy_addr s, const xbuddy_addr *r, int nr)
{
    int i;
    for (i = 0; i < nr; i++)
        if (a < r[2 * i + 1] && r[2 * i] < a + s) return true;
    return false;
}

static void test_reserve(void)
{
    const xbuddy_addr P = 4096, B = 0x200000;
    xbuddy_desc d = desc_of(P);
    xbuddy *b;
    xbuddy_stats s0, s;
    xbuddy_addr a, blocks[300];
    int i, n;
    d.max_reserved = 4;
    b = meta_init(B, 256 * P, &d);
    XT_CHECK(b != NULL);
    if (!b) return;
    xbuddy_stats_get(b, &s0);
    /* an unaligned range rounds out to whole blocks */
    XT_CHECK(xbuddy_reserve(b, B + 10 * P + 100, P));
    xbuddy_stats_get(b, &s);
    XT_CHECK(s.reserved_bytes == 2 * P && s.reserved_ranges == 1 && s.free_bytes == 254 * P);
    XT_CHECK(xbuddy_check(b) == NULL);
    check_tiling(b);
    /* overlapping reservations merge; adjacent ones too */
    XT_CHECK(xbuddy_reserve(b, B + 11 * P, 5 * P));       /* [11, 16) overlaps [10, 12) */
    XT_CHECK(xbuddy_reserve(b, B + 16 * P, P));           /* adjacent: [10, 17) */
    xbuddy_stats_get(b, &s);
    XT_CHECK(s.reserved_bytes == 7 * P && s.reserved_ranges == 1);
    XT_CHECK(xbuddy_reserve(b, B + 12 * P, 2 * P));       /* inside: no change */
    xbuddy_stats_get(b, &s);
    XT_CHECK(s.reserved_bytes == 7 * P && s.reserved_ranges == 1);
    /* clipped to the range: partly below it, wholly outside it */
    XT_CHECK(xbuddy_reserve(b, B - 3 * P, 4 * P));        /* [0, 1) */
    XT_CHECK(xbuddy_reserve(b, 0, P));
    XT_CHECK(xbuddy_reserve(b, B + 256 * P, 4 * P));
    XT_CHECK(xbuddy_reserve(b, B + 255 * P, 0));          /* empty */
    xbuddy_stats_get(b, &s);
    XT_CHECK(s.reserved_bytes == 8 * P && s.reserved_ranges == 2);
    EXPECT_NO_ERROR();
    /* allocations never come from reserved memory */
    for (n = 0; n < 300 && (a = xbuddy_alloc_order(b, 0)) != XBUDDY_NONE; n++) {
        static const xbuddy_addr r[] = { 0x200000, 0x201000, 0x20a000, 0x211000 };
        blocks[n] = a;
        XT_CHECK(!in_any(a, P, r, 2));
    }
    XT_CHECK(n == 248);
    /* freeing reserved memory is reported */
#if XALLOC_DEBUG >= 1
    state_save(b);
    xbuddy_free_addr(b, B + 10 * P, 0);
    EXPECT_ERROR(XALLOC_E_RESERVED);
    XT_CHECK(xbuddy_block_size(b, B) == 0);
    EXPECT_ERROR(XALLOC_E_RESERVED);
    /* a reservation over a live allocation is refused, nothing changes */
    XT_CHECK(!xbuddy_reserve(b, B + 100 * P, 2 * P));
    EXPECT_ERROR(XALLOC_E_BADARG);
    XT_CHECK(!xbuddy_reserve(b, B + 5 * P, 20 * P));
    EXPECT_ERROR(XALLOC_E_BADARG);
    XT_CHECK(state_same(b));
#endif
    for (i = 0; i < n; i++) xbuddy_free_addr(b, blocks[i], 0);
    EXPECT_NO_ERROR();
    /* now [5, 25) can be reserved: it swallows [10, 17) */
    XT_CHECK(xbuddy_reserve(b, B + 5 * P, 20 * P));
    xbuddy_stats_get(b, &s);
    XT_CHECK(s.reserved_bytes == 21 * P && s.reserved_ranges == 2);
    XT_CHECK(xbuddy_check(b) == NULL);
    /* release the middle: [5, 25) becomes [5, 8) and [20, 25) */
    XT_CHECK(xbuddy_release(b, B + 8 * P, 12 * P));
    xbuddy_stats_get(b, &s);
    XT_CHECK(s.reserved_bytes == 9 * P && s.reserved_ranges == 3);
    XT_CHECK(xbuddy_check(b) == NULL);
    check_tiling(b);
    /* the table holds 4: a fifth disjoint range is refused, nothing changes */
    XT_CHECK(xbuddy_reserve(b, B + 100 * P, P));
    state_save(b);
    XT_CHECK(!xbuddy_reserve(b, B + 200 * P, P));
    EXPECT_ERROR(XALLOC_E_BADARG);
    XT_CHECK(state_same(b));
    /* and so is a release that would split one of 4 into two */
    XT_CHECK(xbuddy_reserve(b, B + 101 * P, 3 * P)); /* [100, 104) */
    XT_CHECK(!xbuddy_release(b, B + 101 * P, P));
    EXPECT_ERROR(XALLOC_E_BADARG);
    /* a release over allocated memory frees only what was reserved */
    a = xbuddy_alloc_order(b, 0);
    XT_CHECK(a != XBUDDY_NONE);
    XT_CHECK(xbuddy_release(b, B, 256 * P));
    xbuddy_stats_get(b, &s);
    XT_CHECK(s.reserved_bytes == 0 && s.reserved_ranges == 0 && s.used_bytes == P && s.live_blocks == 1);
    XT_CHECK(xbuddy_block_size(b, a) == P);
    xbuddy_free_addr(b, a, 0);
    /* release of nothing reserved: fine; wrapping ranges: refused */
    XT_CHECK(xbuddy_release(b, B, P));
    XT_CHECK(!xbuddy_reserve(b, XBUDDY_NONE - P, 2 * P));
    EXPECT_ERROR(XALLOC_E_BADARG);
    EXPECT_NO_ERROR();
    xbuddy_stats_get(b, &s);
    XT_CHECK(stats_equal(&s, &s0));
    XT_CHECK(xbuddy_check(b) == NULL);
}

/* ---- ranges of terabytes (metadata-only; the range is never touched) --------- */
static void test_terabytes(void)
{
#if UINTPTR_MAX > 0xFFFFFFFFu || (defined(XBUDDY_ADDR64) && XBUDDY_ADDR64)
    /* 4 TiB just above 1 TiB, 64 KiB blocks (2^26 of them, 16 MiB of
     * bitmap); a 32-bit host (XBUDDY_ADDR64) takes 1 MiB blocks */
    const xbuddy_addr min = UINTPTR_MAX > 0xFFFFFFFFu ? 65536 : 1 << 20;
    const xbuddy_addr base = ((xbuddy_addr)1 << 40) + 0x5000, size = (xbuddy_addr)4 << 40;
    const xbuddy_addr lo = (base + min - 1) & ~(min - 1), hi = (base + size) & ~(min - 1);
    xbuddy_desc d = desc_of(min);
    size_t n = (size_t)((hi - lo) / min), need = xbuddy_meta_size(base, size, &d);
    xbuddy *b;
    xbuddy_stats s;
    xbuddy_addr big, a[64];
    unsigned top = 0, most = 0;
    int i;
    /* 2 bits per minimum block, 1/512 bit for the index, and a constant */
    XT_CHECK_MSG(need <= n / 4 + n / 4096 + 4096, "meta %zu for %zu blocks", need, n);
    b = meta_init(base, size, &d);
    XT_CHECK(b != NULL);
    if (!b) return;
    while ((min << (top + 1)) <= (xbuddy_addr)1 << 41) top++;
    while ((min << (most + 1)) <= (xbuddy_addr)32 << 30) most++; /* blocks of up to 32 GiB below */
    xbuddy_stats_get(b, &s);
    XT_CHECK(s.base == lo && s.size == hi - lo && s.max_order == top && s.largest_free == (xbuddy_addr)1 << 41);
    big = xbuddy_alloc_addr(b, (xbuddy_addr)1 << 41); /* a 2 TiB block, at 2 TiB */
    XT_CHECK(big == (xbuddy_addr)2 << 40);
    for (i = 0; i < 64; i++) a[i] = xbuddy_alloc_order(b, (unsigned)i % (most + 1));
    for (i = 0; i < 64; i++) XT_CHECK(a[i] != XBUDDY_NONE && (a[i] & ((min << ((unsigned)i % (most + 1))) - 1)) == 0);
    XT_CHECK(xbuddy_check(b) == NULL);
    for (i = 63; i >= 0; i--) xbuddy_free_addr(b, a[i], 0);
    XT_CHECK(!xbuddy_reserve(b, (xbuddy_addr)3 << 40, (xbuddy_addr)1 << 30)); /* inside the 2 TiB block */
    EXPECT_ERROR(XALLOC_E_BADARG);
    XT_CHECK(xbuddy_reserve(b, (xbuddy_addr)9 << 39, (xbuddy_addr)1 << 30)); /* at 4.5 TiB */
    xbuddy_free_addr(b, big, 0);
    /* the only aligned 1 TiB block, [4, 5) TiB, holds the reservation */
    XT_CHECK(xbuddy_alloc_addr(b, (xbuddy_addr)1 << 40) == (xbuddy_addr)2 << 40);
    XT_CHECK(xbuddy_alloc_addr(b, (xbuddy_addr)1 << 40) == (xbuddy_addr)3 << 40);
    XT_CHECK(xbuddy_alloc_addr(b, (xbuddy_addr)1 << 40) == XBUDDY_NONE);
    xbuddy_free_addr(b, (xbuddy_addr)2 << 40, 0);
    xbuddy_free_addr(b, (xbuddy_addr)3 << 40, 0);
    XT_CHECK(xbuddy_release(b, 0, XBUDDY_NONE));
    xbuddy_stats_get(b, &s);
    XT_CHECK(s.free_bytes == hi - lo && s.live_blocks == 0 && s.reserved_bytes == 0);
    XT_CHECK(xbuddy_check(b) == NULL);
    EXPECT_NO_ERROR();
#endif
}

/* The figure the issue asks for: 4 GiB of 4 KiB pages. */
static void test_meta_4gib(void)
{
#if UINTPTR_MAX > 0xFFFFFFFFu || (defined(XBUDDY_ADDR64) && XBUDDY_ADDR64)
    xbuddy_desc d = desc_of(4096);
    size_t need = xbuddy_meta_size(0, (xbuddy_addr)4 << 30, &d);
    printf("metadata for 4 GiB of 4 KiB pages: %zu bytes (256 KiB + %zu)\n", need, need - 262144);
    XT_CHECK(need >= 262144 && need <= 262144 + 2048);
#endif
}

/* ---- introspection and hooks ------------------------------------------------------ */
static int locks, unlocks, depth, bad_nesting;
static void lock_fn(void *user) { (void)user; locks++; if (depth++) bad_nesting++; }
static void unlock_fn(void *user) { (void)user; unlocks++; if (--depth) bad_nesting++; }
static bool stop_after_two(void *user, xbuddy_addr a, xbuddy_addr s, xbuddy_kind k)
{
    int *n = (int *)user;
    (void)a; (void)s; (void)k;
    return ++*n < 2;
}

static void test_stats_dump_walk_locks(void)
{
    xbuddy_desc d = desc_of(4096);
    xbuddy *b;
    xbuddy_stats s;
    xbuddy_addr a, c;
    static char out[4096];
    int n = 0;
    d.hooks.lock = lock_fn;
    d.hooks.unlock = unlock_fn;
    b = meta_init(0x1000, 15 * 4096, &d); /* blocks 1, 2-3, 4-7, 8-15 */
    XT_CHECK(b != NULL);
    if (!b) return;
    a = xbuddy_alloc_order(b, 1);
    c = xbuddy_alloc_order(b, 0);
    XT_CHECK(xbuddy_reserve(b, 0x8000, 0x1000));
    xbuddy_stats_get(b, &s);
    XT_CHECK(s.used_bytes == 3 * 4096 && s.reserved_bytes == 4096 && s.free_bytes == 11 * 4096 && s.live_blocks == 2);
    XT_CHECK(s.free_blocks[0] == 1 && s.free_blocks[1] == 1 && s.free_blocks[2] == 2 && s.free_blocks[3] == 0);
    XT_CHECK(s.largest_free == 4 * 4096 && s.fragmentation == 1000 - 16 * 1000 / 44);
    XT_CHECK(s.meta_bytes > 0 && s.allocs == 2 && s.frees == 0);
    out[0] = 0;
    xbuddy_dump(b, collect_line, out);
    XT_CHECK(strstr(out, "buddyinfo 1 1 2 0\n") != NULL);
    XT_CHECK(strstr(out, "reserved 0x8000..0x9000") != NULL);
    XT_CHECK(strstr(out, "used 12288") != NULL);
    xbuddy_walk(b, stop_after_two, &n);
    XT_CHECK(n == 2);
    check_tiling(b);
    xbuddy_free_addr(b, a, 0);
    xbuddy_free_addr(b, c, 0);
    XT_CHECK(xbuddy_check(b) == NULL);
    XT_CHECK_MSG(locks == unlocks && locks == 11 && bad_nesting == 0, "locks %d unlocks %d nesting %d", locks, unlocks, bad_nesting);
    /* the ready-made spinlock plugs in */
    {
        static xalloc_spinlock sl;
        d.hooks.lock = xalloc_spin_lock;
        d.hooks.unlock = xalloc_spin_unlock;
        d.hooks.user = &sl;
        b = meta_init(0, 1 << 20, &d);
        a = xbuddy_alloc_addr(b, 5000);
        xbuddy_free_addr(b, a, 0);
        XT_CHECK(sl.word == 0 && xbuddy_check(b) == NULL);
    }
    EXPECT_NO_ERROR();
    /* a lone lock or unlock hook: both inits refuse it at level 1 and up
     * (nothing written), ignore it at level 0 (neither is called) */
    {
        static unsigned char mems[2][1 << 16]; /* one each: an in-band range stays hidden from the sanitizers */
        size_t need;
        int k;
        d.hooks.lock = NULL;
        d.hooks.unlock = NULL;
        d.hooks.user = NULL;
        need = xbuddy_meta_size(0, 1 << 20, &d);
        XT_CHECK(need > 0);
        for (k = 0; k < 2; k++) {
            unsigned char *mem = mems[k];
            d.hooks.lock = k ? NULL : lock_fn;
            d.hooks.unlock = k ? unlock_fn : NULL;
            /* the size query agrees with init: none for a refused description */
            XT_CHECK(xbuddy_meta_size(0, 1 << 20, &d) == (XALLOC_DEBUG >= 1 ? 0 : need));
            locks = unlocks = 0;
            memset(mem, 0xA5, sizeof mems[k]);
            b = xbuddy_init(mem, sizeof mems[k], &d);
            if (XALLOC_DEBUG >= 1) {
                XT_CHECK(b == NULL && xt_first_not(mem, sizeof mems[k], 0xA5) == sizeof mems[k]);
                EXPECT_ERROR(XALLOC_E_BADARG);
                {
                    unsigned char *buf = (unsigned char *)malloc(need);
                    XT_CHECK(buf != NULL);
                    if (buf) {
                        memset(buf, 0xA5, need);
                        XT_CHECK(xbuddy_init_meta(buf, need, 0, 1 << 20, &d) == NULL);
                        EXPECT_ERROR(XALLOC_E_BADARG);
                        XT_CHECK(xt_first_not(buf, need, 0xA5) == need);
                        free(buf);
                    }
                }
            } else {
                XT_CHECK(b != NULL && (a = xbuddy_alloc_addr(b, 100)) != XBUDDY_NONE);
                xbuddy_free_addr(b, a, 0);
                b = meta_init(0, 1 << 20, &d);
                XT_CHECK(b != NULL && (a = xbuddy_alloc_addr(b, 100)) != XBUDDY_NONE);
                xbuddy_free_addr(b, a, 0);
                XT_CHECK(locks == 0 && unlocks == 0);
                EXPECT_NO_ERROR();
            }
        }
    }
}

/* The check finds a flipped bit in the bitmap or its index. One kind of
 * flip it cannot see, because it gives another valid state: the side bit
 * of a pair whose halves are a free block of size S and a buddy made only of
 * order-0 allocations (which carry no markers) swaps which half is free; in
 * metadata-only mode nothing else tells them apart. Such a flip must leave
 * the stats alone and change the blocks in exactly that way. */
static bool is_swap(xbuddy_addr min)
{
    size_t i, j, c;
    snap *fa, *fb;
    xbuddy_addr L, S;
    if (snap_a.n != snap_b.n || snap_a.n > 4096) return false;
    for (i = 0; i < snap_a.n && snap_a.a[i] == snap_b.a[i] && snap_a.s[i] == snap_b.s[i] && snap_a.k[i] == snap_b.k[i]; i++) { }
    if (i == snap_a.n) return false;
    if (snap_a.k[i] == XBUDDY_FREE) { fa = &snap_a; fb = &snap_b; }
    else if (snap_b.k[i] == XBUDDY_FREE) { fa = &snap_b; fb = &snap_a; }
    else return false;
    L = fa->a[i];
    S = fa->s[i];
    c = (size_t)(S / min);
    if (L & (2 * S - 1) || i + c + 1 > snap_a.n) return false;
    for (j = 1; j <= c; j++) /* fa: free block, then c order-0 allocations; fb: the other way round */
        if (fa->k[i + j] != XBUDDY_USED || fa->s[i + j] != min || fa->a[i + j] != L + S + (j - 1) * min ||
            fb->k[i + j - 1] != XBUDDY_USED || fb->s[i + j - 1] != min || fb->a[i + j - 1] != L + (j - 1) * min)
            return false;
    if (fb->k[i + c] != XBUDDY_FREE || fb->a[i + c] != L + S || fb->s[i + c] != S) return false;
    for (j = i + c + 1; j < snap_a.n; j++)
        if (snap_a.a[j] != snap_b.a[j] || snap_a.s[j] != snap_b.s[j] || snap_a.k[j] != snap_b.k[j]) return false;
    return true;
}

static void test_check_finds_damage(void)
{
    xbuddy_desc d = desc_of(64);
    xbuddy *b = meta_init(0x40000, 1 << 20, &d); /* 16384 blocks: ~4 KiB of bitmap */
    xbuddy_addr a[512];
    xbuddy_stats s, s2;
    size_t need, from, i;
    int found = 0, swaps = 0, tries;
    XT_CHECK(b != NULL);
    if (!b) return;
    for (i = 0; i < 512; i++) a[i] = xbuddy_alloc_order(b, (unsigned)(xt_below(6)));
    for (i = 0; i < 512; i += 3) xbuddy_free_addr(b, a[i], 0);
    XT_CHECK(xbuddy_reserve(b, 0x40000 + 0x80000, 0x1000));
    xbuddy_stats_get(b, &s);
    need = s.meta_bytes;
    from = need / 2; /* the second half of the metadata is all bitmap */
    XT_CHECK(xbuddy_check(b) == NULL);
    take_snap(b, &snap_a);
    for (tries = 0; tries < 400; tries++) {
        unsigned char *p = (unsigned char *)b + from + xt_below(need - from);
        unsigned char bit = (unsigned char)(1u << xt_below(8));
        *p ^= bit;
        if (xbuddy_check(b)) found++;
        else {
            take_snap(b, &snap_b);
            xbuddy_stats_get(b, &s2);
            if (is_swap(64) && stats_equal(&s, &s2)) swaps++;
            else fprintf(stderr, "undetected flip at meta+%zu bit %u\n", (size_t)(p - (unsigned char *)b), bit);
        }
        *p ^= bit;
    }
    XT_CHECK(found + swaps == tries && swaps < tries / 4);
    XT_CHECK(n_errors == found && last_err == XALLOC_E_CORRUPT);
    clear_errors();
    XT_CHECK(xbuddy_check(b) == NULL);
}

/* In-band: level >= 2 fills free memory and catches a write after free. */
static void test_poison(void)
{
#if XALLOC_DEBUG >= 2
    static unsigned char mem[64 * 1024];
    xbuddy_desc d = desc_of(256);
    xbuddy *b = xbuddy_init(mem, sizeof mem, &d);
    unsigned char *p, *q;
    XT_CHECK(b != NULL);
    if (!b) return;
    p = (unsigned char *)xbuddy_alloc(b, 1000);
    XT_CHECK(p != NULL);
    if (!p) return;
    memset(p, 1, 1000);
    xbuddy_free(b, p);
    EXPECT_NO_ERROR();
#ifndef XALLOC__SANITIZING /* the sanitizer would stop the write after free itself */
    XT_CHECK(p[XBUDDY__LINKS] == XBUDDY_POISON_BYTE && p[1023] == XBUDDY_POISON_BYTE); /* (its links before) */
    p[500] = 0; /* write after free */
    q = (unsigned char *)xbuddy_alloc(b, 1000);
    XT_CHECK(q == p);
    XT_CHECK(last_ptr == (uintptr_t)(p + 500));
    EXPECT_ERROR(XALLOC_E_USE_AFTER_FREE);
#else
    q = (unsigned char *)xbuddy_alloc(b, 1000);
    EXPECT_NO_ERROR();
#endif
    xbuddy_free(b, q);
    XT_CHECK(xbuddy_check(b) == NULL);
#endif
}

/* ---- edges: arguments, hooks, the search, the check's every message --------------- */
/* Bad arguments are refused with or without a desc or a hook; in-band sizes
 * around the smallest that works either fail (reported) or give a handle and
 * a range inside the memory, apart from each other (fresh memory for each:
 * an in-band allocator has no destroy call to give it back to a sanitizer). */
static void test_init_edges(void)
{
    static uint64_t store[256];
    unsigned char *mem = (unsigned char *)store;
    xbuddy_desc d = desc_of(8), quiet;
    size_t s, ok = 0, refused = 0;
    clear_errors();
    XT_CHECK(xbuddy_meta_size(XBUDDY_NONE - 10, 100, &d) == 0);    /* wraps around */
    XT_CHECK(xbuddy_meta_size(XBUDDY_NONE - 4, 2, &d) == 0);       /* no whole block below the top */
    XT_CHECK(xbuddy_init_meta(NULL, sizeof store, 0, 1 << 20, NULL) == NULL);
    memset(&quiet, 0, sizeof quiet);
    XT_CHECK(xbuddy_init_meta(NULL, sizeof store, 0, 1 << 20, &quiet) == NULL);
    XT_CHECK(xbuddy_init(NULL, sizeof store, &quiet) == NULL);
    EXPECT_NO_ERROR();
    d.min_block = 3000;                 /* room enough, but no power of two */
    XT_CHECK(xbuddy_init_meta(store, sizeof store, 0, 1 << 20, &d) == NULL);
    EXPECT_ERROR(XALLOC_E_BADARG);
    d.min_block = 8;                    /* 8 blocks: their bitmap alone is larger */
    XT_CHECK(xbuddy_init(mem, 64, &d) == NULL);
    EXPECT_ERROR(XALLOC_E_BADARG);
    d.min_block = 64;
    for (s = 400; s <= 1100; s++) {
        unsigned char *raw = (unsigned char *)malloc(s + 64);
        unsigned char *fresh = raw + (-(uintptr_t)raw & 63); /* the same alignment each time */
        xbuddy *b = xbuddy_init(fresh, s, &d);
        xbuddy_stats st;
        if (!b) {
            refused++;
            EXPECT_ERROR(XALLOC_E_BADARG);
        } else {
            ok++;
            xbuddy_stats_get(b, &st);
            XT_CHECK(st.base >= (uintptr_t)fresh && st.size >= 64 && st.base + st.size <= (uintptr_t)b &&
                     (uintptr_t)b + st.meta_bytes <= (uintptr_t)fresh + s);
        }
        free(raw);
    }
    XT_CHECK(ok > 0 && refused > 0);
    EXPECT_NO_ERROR();
}

/* Misuse on an allocator without an error hook changes nothing either; a
 * size that is not the block's, at a block that is not aligned to it. */
static void test_misuse_quiet(void)
{
#if XALLOC_DEBUG >= 1
    xbuddy_desc d = desc_of(4096);
    xbuddy *b = meta_init(0x100000, 64 * 4096, NULL);
    xbuddy_addr a0, a1;
    XT_CHECK(b != NULL);
    if (!b) return;
    a0 = xbuddy_alloc_order(b, 0);
    a1 = xbuddy_alloc_order(b, 0);
    XT_CHECK(a1 == a0 + 4096);
    xbuddy_free_addr(b, a1, 0);
    state_save(b);
    xbuddy_free_addr(b, a1, 0);
    xbuddy_free_addr(b, a0 + 1, 0);
    xbuddy_free_addr(b, 0, 0);
    XT_CHECK(state_same(b));
    b = meta_init(0x100000, 64 * 4096, &d);
    a0 = xbuddy_alloc_order(b, 0);
    a1 = xbuddy_alloc_order(b, 0);
    state_save(b);
    xbuddy_free_addr(b, a1, 2 * 4096);  /* an order-1 size at an odd block */
    EXPECT_ERROR(XALLOC_E_SIZE_MISMATCH);
    xbuddy_free_addr(b, a1 + 1, 2 * 4096); /* a size, at no block's start */
    EXPECT_ERROR(XALLOC_E_NOT_BLOCK);
    XT_CHECK(state_same(b));
    xbuddy_free_addr(b, a1, 4096);
    xbuddy_free_addr(b, a0, 4096);
    EXPECT_NO_ERROR();
#endif
}

/* The free block the search finds may lie far past its hint: two index
 * levels up and down. Order-0 blocks everywhere in 2^17; the only free one
 * is three quarters up, and the search starts at the bottom (the hint of
 * the latest free block points at a word emptied since). */
static void test_far_search(void)
{
#if XALLOC_DEBUG < 4 /* (2^17 allocations, each with the full check: too slow) */
    xbuddy_desc d = desc_of(64);
    const size_t n = (size_t)1 << 17;
    xbuddy *b = meta_init(0, (xbuddy_addr)n * 64, &d);
    xbuddy_addr a, f1 = (xbuddy_addr)(n / 4 * 3) * 64, f2 = (xbuddy_addr)(n / 8 * 7) * 64;
    size_t i;
    XT_CHECK(b != NULL);
    if (!b) return;
    for (i = 0; i < n; i++) if (xbuddy_alloc_order(b, 0) != (xbuddy_addr)i * 64) break;
    XT_CHECK(i == n && xbuddy_alloc_order(b, 0) == XBUDDY_NONE);
    xbuddy_free_addr(b, 2 * 64, 0);     /* the hint drops to the bottom */
    XT_CHECK(xbuddy_alloc_order(b, 0) == 2 * 64);
    xbuddy_free_addr(b, f1, 0);
    xbuddy_free_addr(b, f2, 0);
    XT_CHECK(xbuddy_alloc_order(b, 0) == f2); /* the latest freed first */
    a = xbuddy_alloc_order(b, 0);
    XT_CHECK(a == f1);
    XT_CHECK(xbuddy_check(b) == NULL);
    EXPECT_NO_ERROR();
#endif
}

/* White-box: the search helper (xbuddy__find) is called only when a free
 * block lies at or after its start word (alloc knows one exists), and so
 * checks no bounds: with everything allocated but one block of the top
 * order (in the last slice), a search from the first word climbs the index
 * to it and stops there, wherever the bitmap ends inside an index group or
 * word. */
static void test_find_stops_at_the_end(void)
{
    xbuddy_desc d = desc_of(64);
    size_t n;
    int partial_group = 0, whole_word = 0, past_top = 0;
    for (n = 30000; n <= 70000 && !(partial_group && whole_word && past_top); n += 61) {
        xbuddy *b = meta_init(0, (xbuddy_addr)n * 64, &d);
        xbuddy_addr a, top = XBUDDY_NONE;
        size_t groups, bit;
        int o;
        if (!b) { XT_CHECK(b != NULL); return; }
        for (o = (int)b->maxo; o >= 0;) /* allocate everything */
            if ((a = xbuddy_alloc_order(b, (unsigned)o)) == XBUDDY_NONE) o--;
            else if (o == (int)b->maxo) top = a;
        XT_CHECK(top != XBUDDY_NONE);
        xbuddy_free_addr(b, top, 0);
        bit = b->adj[b->maxo] + 2 * (((size_t)((top - b->base) >> b->shift) + b->phase) >> b->maxo);
        XT_CHECK(xbuddy__find(b, 0) == bit);
        XT_CHECK(xbuddy__find(b, bit >> XBUDDY__WLOG) == bit);
        groups = (b->nwords + ((size_t)1 << XBUDDY__GLOG) - 1) >> XBUDDY__GLOG;
        if (b->nwords & (((size_t)1 << XBUDDY__GLOG) - 1)) partial_group = 1;
        if (groups % 64 == 0) whole_word = 1; else past_top = 1;
        clear_errors();
    }
    XT_CHECK(partial_group && whole_word && past_top);
}

/* Dump: more than 16 orders take two buddyinfo lines. */
static void test_dump_many_orders(void)
{
    xbuddy_desc d = desc_of(8);
    xbuddy *b = meta_init(0, (xbuddy_addr)1 << 20, &d); /* 2^17 blocks: orders 0..17 */
    static char out[4096];
    char *second;
    xbuddy_stats s;
    XT_CHECK(b != NULL);
    if (!b) return;
    xbuddy_stats_get(b, &s);
    XT_CHECK(s.max_order == 17);
    out[0] = 0;
    xbuddy_dump(b, collect_line, out);
    second = strstr(out, "  buddyinfo 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n");
    XT_CHECK(second != NULL && strstr(second + 1, "  buddyinfo 0 1\n") != NULL);
}

/* A dump line longer than the line builder holds (190 characters) is cut,
 * not overflowed: 64-bit figures of 19 and 20 digits. */
#if UINTPTR_MAX > 0xFFFFFFFFu || (defined(XBUDDY_ADDR64) && XBUDDY_ADDR64)
static size_t long_line;
static void measure_line(void *user, const char *line)
{
    (void)user;
    if (!long_line) long_line = strlen(line);
    XT_CHECK(strlen(line) <= 191 && line[strlen(line) - 1] == '\n');
}
#endif
static void test_dump_long_line(void)
{
#if UINTPTR_MAX > 0xFFFFFFFFu || (defined(XBUDDY_ADDR64) && XBUDDY_ADDR64)
    xbuddy_desc d = desc_of((xbuddy_addr)1 << 60);
    xbuddy *b = meta_init((xbuddy_addr)1 << 60, (xbuddy_addr)14 << 60, &d); /* 14 blocks of 2^60 */
    XT_CHECK(b != NULL);
    if (!b) return;
    XT_CHECK(xbuddy_alloc_order(b, 2) != XBUDDY_NONE);
    XT_CHECK(xbuddy_reserve(b, (xbuddy_addr)13 << 60, (xbuddy_addr)1 << 60));
    long_line = 0;
    xbuddy_dump(b, measure_line, NULL);
    XT_CHECK(long_line == 191);
    EXPECT_NO_ERROR();
#endif
}

/* Level 4: every call runs the full check first and refuses when it fails. */
static void test_full_check_every_call(void)
{
#if XALLOC_DEBUG >= 4
    xbuddy_desc d = desc_of(4096);
    xbuddy *b = meta_init(0x100000, 64 * 4096, &d);
    xbuddy_addr a;
    XT_CHECK(b != NULL);
    if (!b) return;
    a = xbuddy_alloc_order(b, 0);
    b->resv++;                          /* a damaged counter (white-box) */
    XT_CHECK(xbuddy_alloc_order(b, 0) == XBUDDY_NONE);
    EXPECT_ERROR(XALLOC_E_CORRUPT);
    XT_CHECK(!xbuddy_reserve(b, 0x100000 + 8 * 4096, 4096));
    EXPECT_ERROR(XALLOC_E_CORRUPT);
    XT_CHECK(!xbuddy_release(b, 0x100000 + 8 * 4096, 4096));
    EXPECT_ERROR(XALLOC_E_CORRUPT);
    xbuddy_free_addr(b, a, 0);
    EXPECT_ERROR(XALLOC_E_CORRUPT);
    b->resv--;
    XT_CHECK(xbuddy_block_size(b, a) == 4096);
    xbuddy_free_addr(b, a, 0);
    EXPECT_NO_ERROR();
    XT_CHECK(xbuddy_check(b) == NULL);
#endif
}

/* White-box: each invariant of xbuddy_check, broken by hand in the bitmap or
 * the handle, is named; put back, the check passes again. Twelve blocks:
 * [0, 8) of order 3 and [8, 12) of order 2. */
static void flip(xbuddy *b, size_t bit) { b->hw[bit >> XBUDDY__WLOG] ^= (xbuddy__w)1 << (bit & (XBUDDY__WB - 1)); }
static bool names(xbuddy *b, const char *want)
{
    const char *why = xbuddy_check(b);
    bool ok = why && !strcmp(why, want) && n_errors == 1 && last_err == XALLOC_E_CORRUPT;
    if (!ok) fprintf(stderr, "check said \"%s\", expected \"%s\"\n", why ? why : "(nothing)", want);
    clear_errors();
    return ok;
}
static void test_check_names_each_invariant(void)
{
    xbuddy_desc d = desc_of(4096);
    xbuddy *b = meta_init(0, 12 * 4096, &d);
    size_t saved[4], i, low;
    xbuddy_addr a;
    XT_CHECK(b != NULL && b->maxo == 3 && b->phase == 0);
    if (!b || b->maxo != 3 || b->phase != 0) return;
    /* [8, 12) looked up as a free block of order 3: past the end */
    flip(b, xbuddy__bit(b, 2, 1));
    flip(b, xbuddy__bit(b, 3, 1));
    XT_CHECK(names(b, "blocks do not tile the range"));
    flip(b, xbuddy__bit(b, 2, 1));
    flip(b, xbuddy__bit(b, 3, 1));
    XT_CHECK(xbuddy_check(b) == NULL);
    /* a free block below its order's search hint; a stray bit in the top
     * order; a mask that disagrees with the counts */
    low = b->low[2];
    b->low[2] = SIZE_MAX;
    XT_CHECK(names(b, "free block below the search hint"));
    b->low[2] = low;
    flip(b, xbuddy__bit(b, 3, 0) + 1);
    XT_CHECK(names(b, "stray bit in the top order"));
    flip(b, xbuddy__bit(b, 3, 0) + 1);
    b->mask ^= (size_t)1 << 2;
    XT_CHECK(names(b, "free counts or mask wrong"));
    b->mask ^= (size_t)1 << 2;
    /* a free order-0 block inside the allocated [0, 8), counted: no lookup
     * reaches it */
    a = xbuddy_alloc_order(b, 3);
    XT_CHECK(a == 0);
    low = b->low[0];
    b->low[0] = 0;
    b->nfree[0]++;
    b->mask |= 1u;
    flip(b, xbuddy__bit(b, 0, 1));
    XT_CHECK(names(b, "free blocks or markers wrong"));
    flip(b, xbuddy__bit(b, 0, 1));
    b->mask &= ~(size_t)1;
    b->nfree[0]--;
    b->low[0] = low;
    xbuddy_free_addr(b, a, 0);
    XT_CHECK(xbuddy_check(b) == NULL);
    /* reservations: [4, 6) reserved; the table's boundaries moved */
    XT_CHECK(xbuddy_reserve(b, 4 * 4096, 2 * 4096));
    XT_CHECK(b->nres == 2 && b->res[0] == 4 && b->res[1] == 6);
    for (i = 0; i < 4; i++) saved[i] = b->res[i];
    b->res[1] = 7;                      /* inside the free [6, 8) */
    XT_CHECK(names(b, "a block crosses a reservation"));
    b->res[1] = 8;                      /* [6, 8) free inside [4, 8) */
    XT_CHECK(names(b, "free block in a reservation"));
    b->res[1] = 6;
    b->resv++;
    XT_CHECK(names(b, "used/live/reserved counts wrong"));
    b->resv--;
    b->res[1] = 4; b->res[2] = 4; b->res[3] = 6; b->nres = 4;  /* {4, 4, 4, 6}: an empty range, unsorted */
    XT_CHECK(names(b, "reservation table damaged"));
    b->res[1] = 6; b->res[2] = 13; b->res[3] = 14;             /* a range past the end */
    XT_CHECK(names(b, "reservation table damaged"));
    b->res[2] = 12; b->nres = 3;                               /* a boundary without its pair */
    XT_CHECK(names(b, "reservations and blocks differ"));
    for (i = 0; i < 4; i++) b->res[i] = saved[i];
    b->nres = 2;
    XT_CHECK(xbuddy_check(b) == NULL);
    EXPECT_NO_ERROR();
}

/* White-box: the record every walk follows is checked first, in both
 * modes: each field of the geometry and each table pointer, damaged, is
 * named, and nothing is read through it; put back, the check passes. */
static void record_damage(xbuddy *b)
{
#define DAMAGE(field, v) do { saved = b->field; b->field = (v); XT_CHECK(names(b, "allocator record damaged")); b->field = saved; } while (0)
#define DAMAGE_PTR(field, v) do { void *sp = (void *)b->field; b->field = (v); XT_CHECK(names(b, "allocator record damaged")); b->field = sp; } while (0)
    size_t saved;
    xbuddy_addr sa;
    unsigned su;
    XT_CHECK(xbuddy_check(b) == NULL);
    DAMAGE(n, b->n + 1);
    DAMAGE(phase, b->phase + 1);
    DAMAGE(nwords, b->nwords + 1);
    DAMAGE(meta_bytes, b->meta_bytes + 1);
    DAMAGE(maxres, b->maxres + 1);
    DAMAGE(maxres, 0);
    DAMAGE(nres, 2 * b->maxres + 2);
    DAMAGE(lev[0], 1);
    su = b->shift; b->shift++; XT_CHECK(names(b, "allocator record damaged")); b->shift = su;
    b->shift = 200; XT_CHECK(names(b, "allocator record damaged")); b->shift = su;
    su = b->maxo; b->maxo--; XT_CHECK(names(b, "allocator record damaged")); b->maxo = su;
    b->maxo = 1000; XT_CHECK(names(b, "allocator record damaged")); b->maxo = su;
    su = b->nlev; b->nlev++; XT_CHECK(names(b, "allocator record damaged")); b->nlev = su;
    sa = b->base; b->base += 4096; XT_CHECK(names(b, "allocator record damaged")); b->base = sa;
    sa = b->bytes; b->bytes += 4096; XT_CHECK(names(b, "allocator record damaged")); b->bytes = sa;
    DAMAGE_PTR(adj, b->adj + 1);
    DAMAGE_PTR(nfree, b->nfree + 1);
    DAMAGE_PTR(res, b->res + 1);
    DAMAGE_PTR(hw, b->hw + 1);
    DAMAGE_PTR(sum, b->sum + 1);
    if (b->head) {
        DAMAGE_PTR(head, b->head + 1);
        DAMAGE_PTR(low, b->head);
    } else {
        DAMAGE_PTR(low, b->low + 1);
        DAMAGE_PTR(rec, b->rec + 1);
        DAMAGE_PTR(head, b->low);
    }
    XT_CHECK(xbuddy_check(b) == NULL);
    EXPECT_NO_ERROR();
#undef DAMAGE
#undef DAMAGE_PTR
}
static void test_check_names_record_damage(void)
{
    static uint64_t store[4096]; /* 32 KiB */
    xbuddy_desc d = desc_of(4096);
    xbuddy *b = meta_init(0, 12 * 4096, &d);
    XT_CHECK(b != NULL);
    if (b) record_damage(b);
    d = desc_of(64);
    b = xbuddy_init(store, sizeof store, &d);
    XT_CHECK(b != NULL);
    if (b) record_damage(b);
}

/* ---- in-band free lists ------------------------------------------------------- */
/* The smallest in-band minimum block (8 bytes: the two 32-bit links, on
 * every target) and its neighbours, at every level: order-0 blocks, which
 * are all links and no poison, go round many times in random order; each
 * keeps its bytes while live; the lists and the check agree throughout. */
static void test_inband_min_block_edges(void)
{
    xbuddy_addr m;
    XT_CHECK(XBUDDY__LINKS == 8);
#if SIZE_MAX > 0xFFFFFFFFu
    {   /* in-band ranges hold fewer than 2^32 - 1 minimum blocks (32-bit
         * links): 2^32 blocks of 8 bytes (32 GiB) are refused from the size
         * alone, before init writes anything (the memory is not there) */
        static uint64_t tiny[4];
        xbuddy_desc d = desc_of(8);
        clear_errors();
        XT_CHECK(xbuddy_init(tiny, (size_t)8 << 32, &d) == NULL);
        EXPECT_ERROR(XALLOC_E_BADARG);
        XT_CHECK(xbuddy_meta_size(0, (xbuddy_addr)8 << 32, &d) > 0); /* metadata-only has no such limit */
    }
#endif
    for (m = XBUDDY__LINKS; m <= 4 * XBUDDY__LINKS; m *= 2) {
        static uint64_t store[2048]; /* 16 KiB */
        xbuddy_desc d = desc_of(m);
        xbuddy *b = xbuddy_init(store, sizeof store, &d);
        unsigned char *p[64];
        size_t i, round;
        XT_CHECK(b != NULL);
        if (!b) return;
        for (i = 0; i < 64; i++) p[i] = NULL;
        for (round = 0; round < 4000; round++) {
            size_t k = xt_below(64);
            if (p[k]) {
                XT_CHECK(p[k][0] == (unsigned char)k && p[k][m - 1] == (unsigned char)k);
                xbuddy_free(b, p[k]);
                p[k] = NULL;
            } else if ((p[k] = (unsigned char *)xbuddy_alloc(b, (size_t)(xt_below(3) ? m : m << xt_below(4)))) != NULL) {
                memset(p[k], (int)k, (size_t)m);
            }
            if (round % 97 == 0) XT_CHECK(xbuddy_check(b) == NULL);
        }
        for (i = 0; i < 64; i++) xbuddy_free(b, p[i]);
        XT_CHECK(xbuddy_check(b) == NULL);
        EXPECT_NO_ERROR();
        fill_and_empty(b, true);
    }
}

/* White-box: in-band, xbuddy_check walks the lists. Every single-bit flip
 * of every link word of every free block is caught (a wrong next-link
 * points to a block whose prev-link is not this one, or out of the range,
 * or ends the list early; a wrong prev-link differs from the predecessor),
 * and each list invariant is named. Put back, the check passes again. */
static bool names(xbuddy *b, const char *want);
/* through the header's accessors: free memory is hidden under a sanitizer */
#define LINK(i, w) xbuddy__link(b, (i), (w))
#define SET_LINK(i, w, v) xbuddy__set_link(b, (i), (w), (v))
static void test_check_finds_broken_lists(void)
{
    static uint64_t store[4096]; /* 32 KiB */
    xbuddy_desc d = desc_of(64);
    xbuddy *b = xbuddy_init(store, sizeof store, &d);
    void *p[200];
    size_t i, o, n = 0, flips = 0, found = 0, first = 0, listed = 0;
    unsigned bit, w;
    XT_CHECK(b != NULL);
    if (!b) return;
    for (i = 0; i < 200; i++) p[i] = xbuddy_alloc(b, (size_t)64 << xt_below(4));
    for (i = 0; i < 200; i += 2) xbuddy_free(b, p[i]);
    XT_CHECK(xbuddy_check(b) == NULL);
    for (o = 0; o <= b->maxo; o++)
        for (i = b->head[o]; i != XBUDDY__NIL; i = LINK(i, 0), n++)
            for (w = 0; w < 2; w++)
                for (bit = 0; bit < 32; bit++) {
                    SET_LINK(i, w, LINK(i, w) ^ ((size_t)1 << bit));
                    flips++;
                    if (xbuddy_check(b)) found++;
                    SET_LINK(i, w, LINK(i, w) ^ ((size_t)1 << bit));
                }
    XT_CHECK(n > 20 && found == flips && n_errors == (int)found && last_err == XALLOC_E_CORRUPT);
    clear_errors();
    XT_CHECK(xbuddy_check(b) == NULL);
    /* each message: find a list of two or more blocks */
    for (o = 0; o <= b->maxo && (b->head[o] == XBUDDY__NIL || LINK(b->head[o], 0) == XBUDDY__NIL); o++) { }
    XT_CHECK(o <= b->maxo);
    if (o > b->maxo) return;
    first = b->head[o];
    listed = LINK(first, 0);
    SET_LINK(listed, 1, XBUDDY__NIL);            /* the second's back-link */
    XT_CHECK(names(b, "free list links broken"));
    SET_LINK(listed, 1, first);
    SET_LINK(first, 0, XBUDDY__NIL);             /* the list ends after one */
    XT_CHECK(names(b, "free list shorter than the count"));
    SET_LINK(first, 0, listed);
    b->head[o] = (size_t)((uintptr_t)p[1] - (uintptr_t)b->base) >> b->shift; /* an allocated block at the head */
    ((uint32_t *)p[1])[1] = XBUDDY__NIL;         /* whose "back-link" looks right */
    XT_CHECK(names(b, "free list holds a block that is not free"));
    b->head[o] = first;
    XT_CHECK(xbuddy_check(b) == NULL);
    /* a head that is not the start of a block of its order: min block
     * first + 1, inside the free block `first` of an order >= 1, with a
     * back-link that looks right (its old bytes put back afterwards: at
     * level 2 they are poison) */
    for (o = 1; o <= b->maxo && b->head[o] == XBUDDY__NIL; o++) { }
    XT_CHECK(o <= b->maxo);
    if (o > b->maxo) return;
    first = b->head[o];
    {
        size_t w0 = LINK(first + 1, 0), w1 = LINK(first + 1, 1);
        SET_LINK(first + 1, 0, first);
        SET_LINK(first + 1, 1, XBUDDY__NIL);
        b->head[o] = first + 1;
        XT_CHECK(names(b, "free list holds a block that is not free"));
        b->head[o] = first;
        SET_LINK(first + 1, 0, w0);
        SET_LINK(first + 1, 1, w1);
    }
    XT_CHECK(xbuddy_check(b) == NULL);
    for (i = 1; i < 200; i += 2) xbuddy_free(b, p[i]);
    XT_CHECK(xbuddy_check(b) == NULL);
    EXPECT_NO_ERROR();
}

/* ---- randomized stress against a shadow of every minimum block ------------------- */
enum { SH_FREE = 0, SH_USED = 1, SH_RES = 2 };
typedef struct live { xbuddy_addr a; unsigned o; unsigned char tag; } live;

static void stress(bool inband, xbuddy_addr min, size_t nmin, unsigned long ops, unsigned long check_every)
{
    xbuddy_desc d = desc_of(min);
    unsigned char *mem = NULL, *sh;
    live *lv;
    size_t nlive = 0, used = 0, resv = 0;
    unsigned long op, fails = 0, misuse = 0, reserves = 0;
    xbuddy *b;
    xbuddy_stats s0, s;
    xbuddy_addr base;
    d.max_reserved = 8;
    if (inband) {
        size_t bytes = (size_t)(nmin * min) + (size_t)(nmin * min) / 16 + 8192;
        mem = (unsigned char *)malloc(bytes);
        b = xbuddy_init(mem, bytes, &d);
    } else {
        b = meta_init((xbuddy_addr)min * 12345 + 77, (xbuddy_addr)(nmin * min), &d);
    }
    XT_CHECK(b != NULL);
    if (!b) { free(mem); return; }
    xbuddy_stats_get(b, &s0);
    nmin = (size_t)(s0.size / min);
    sh = (unsigned char *)calloc(nmin, 1);
    lv = (live *)malloc(nmin * sizeof *lv);
    base = s0.base;
    for (op = 0; op < ops; op++) {
        unsigned r = (unsigned)xt_below(1000);
        if (r < 480 || nlive == 0) { /* alloc, by order or by size */
            unsigned o = (unsigned)xt_below(s0.max_order < 7 ? s0.max_order + 1 : 7);
            xbuddy_addr a = r & 1 ? xbuddy_alloc_order(b, o)
                                  : xbuddy_alloc_addr(b, ((xbuddy_addr)min << o) - xt_below(o ? (size_t)min << (o - 1) : (size_t)min));
            if (a == XBUDDY_NONE) {
                /* no false failure: no free aligned run of 2^o blocks anywhere */
                size_t x, k, first = (size_t)(((base / min) + ((size_t)1 << o) - 1) & ~(((size_t)1 << o) - 1)) - (size_t)(base / min);
                for (x = first; x + ((size_t)1 << o) <= nmin; x += (size_t)1 << o) {
                    for (k = 0; k < (size_t)1 << o && sh[x + k] == SH_FREE; k++) { }
                    XT_CHECK_MSG(k < (size_t)1 << o, "op %lu: order %u failed with a free run at %zu", op, o, x);
                    if (k == (size_t)1 << o) break;
                }
                fails++;
            } else {
                size_t x = (size_t)((a - base) / min), k;
                XT_CHECK(a >= base && ((a) & (((xbuddy_addr)min << o) - 1)) == 0 && x + ((size_t)1 << o) <= nmin);
                for (k = 0; k < (size_t)1 << o; k++) {
                    XT_CHECK_MSG(sh[x + k] == SH_FREE, "op %lu: block %zu+%zu handed out twice", op, x, k);
                    sh[x + k] = SH_USED;
                }
                lv[nlive].tag = (unsigned char)(op * 31u + 7u);
                if (inband) { unsigned char *p = (unsigned char *)(uintptr_t)a; p[0] = p[((size_t)min << o) - 1] = lv[nlive].tag; }
                lv[nlive].a = a;
                lv[nlive++].o = o;
                used += (size_t)1 << o;
            }
        } else if (r < 960) { /* free a random live block, with or without its size */
            size_t j = (size_t)xt_below(nlive), x = (size_t)((lv[j].a - base) / min), k;
            if (inband) { /* the bytes written at allocation are still there */
                const unsigned char *p = (const unsigned char *)(uintptr_t)lv[j].a;
                XT_CHECK(p[0] == lv[j].tag && p[((size_t)min << lv[j].o) - 1] == lv[j].tag);
            }
            xbuddy_free_addr(b, lv[j].a, r & 1 ? (xbuddy_addr)min << lv[j].o : 0);
            for (k = 0; k < (size_t)1 << lv[j].o; k++) sh[x + k] = SH_FREE;
            used -= (size_t)1 << lv[j].o;
            lv[j] = lv[--nlive];
        } else if (r < 980) { /* misuse: must be reported, nothing changes */
#if XALLOC_DEBUG >= 1
            size_t x = (size_t)xt_below(nmin);
            xbuddy_addr a = base + (xbuddy_addr)x * min;
            unsigned o = 0;
            size_t k;
            bool is_start = false;
            for (k = 0; k < nlive; k++)
                if (lv[k].a == a) { is_start = true; o = lv[k].o; }
            if (!is_start) {
                xbuddy_free_addr(b, a, 0);
                XT_CHECK_MSG(n_errors == 1 && (sh[x] == SH_FREE ? last_err == XALLOC_E_DOUBLE_FREE :
                             sh[x] == SH_RES ? last_err == XALLOC_E_RESERVED : last_err == XALLOC_E_NOT_BLOCK),
                             "op %lu: misuse at %zu (shadow %d) gave %d errors, %s", op, x, sh[x], n_errors, xalloc_error_name(last_err));
            } else {
                xbuddy_free_addr(b, a, (xbuddy_addr)min << (o + 1)); /* wrong size */
                XT_CHECK(n_errors == 1 && last_err == XALLOC_E_SIZE_MISMATCH);
            }
            clear_errors();
            misuse++;
#endif
        } else { /* reserve or release a random range */
            size_t x = (size_t)xt_below(nmin), len = 1 + (size_t)xt_below(r & 1 ? 8 : 40), k, hit = 0, nres_after;
            bool add = r < 990;
            xbuddy_addr a = base + (xbuddy_addr)x * min;
            if (x + len > nmin) len = nmin - x;
            for (k = 0; k < len; k++) hit += sh[x + k] == SH_USED;
            xbuddy_stats_get(b, &s);
            if (add) {
                bool ok = xbuddy_reserve(b, a, (xbuddy_addr)len * min);
                if (hit) { XT_CHECK(!ok && n_errors == 1 && last_err == XALLOC_E_BADARG); }
                else if (ok) {
                    for (k = 0; k < len; k++) if (sh[x + k] == SH_FREE) { sh[x + k] = SH_RES; resv++; }
                } else XT_CHECK(last_err == XALLOC_E_BADARG && s.reserved_ranges == 8); /* table full */
            } else {
                bool ok = xbuddy_release(b, a, (xbuddy_addr)len * min);
                if (ok) for (k = 0; k < len; k++) if (sh[x + k] == SH_RES) { sh[x + k] = SH_FREE; resv--; }
                if (!ok) XT_CHECK(last_err == XALLOC_E_BADARG && s.reserved_ranges == 8); /* would split one */
            }
            clear_errors();
            xbuddy_stats_get(b, &s);
            nres_after = s.reserved_ranges;
            XT_CHECK(nres_after <= 8);
            reserves++;
        }
        if (op % check_every == 0 || op + 1 == ops) {
            const char *why = xbuddy_check(b);
            XT_CHECK_MSG(why == NULL, "op %lu: %s", op, why);
            xbuddy_stats_get(b, &s);
            XT_CHECK_MSG(s.used_bytes == (xbuddy_addr)used * min && s.live_blocks == nlive &&
                         s.reserved_bytes == (xbuddy_addr)resv * min,
                         "op %lu: used %llu/%zu live %zu/%zu reserved %llu/%zu", op, (unsigned long long)(s.used_bytes / min),
                         used, s.live_blocks, nlive, (unsigned long long)(s.reserved_bytes / min), resv);
            if (why || s.used_bytes != (xbuddy_addr)used * min) break;
        }
    }
    EXPECT_NO_ERROR();
    /* free everything, release every reservation: the first state again */
    while (nlive) { nlive--; xbuddy_free_addr(b, lv[nlive].a, 0); }
    XT_CHECK(xbuddy_release(b, 0, XBUDDY_NONE));
    xbuddy_stats_get(b, &s);
    XT_CHECK(stats_equal(&s, &s0));
    XT_CHECK(xbuddy_check(b) == NULL);
    EXPECT_NO_ERROR();
    printf("stress %s min %llu: %lu ops (%lu failed allocs, %lu misuses, %lu reserve/release)\n",
           inband ? "in-band" : "metadata-only", (unsigned long long)min, op, fails, misuse, reserves);
    free(mem);
    free(sh);
    free(lv);
}

static void test_stress_meta(void)
{
    /* the check runs every 1000 operations, and at level 4 on every call */
    stress(false, 4096, 3000, (XALLOC_DEBUG >= 4 ? 60000ul : 1000000ul) / (xt_slow() ? 10u : 1u), 1000);
}
static void test_stress_inband(void)
{
    stress(true, 2 * sizeof(void *), 1024, (XALLOC_DEBUG >= 4 ? 30000ul : 1000000ul) / (xt_slow() ? 10u : 1u), 500);
}

int main(int argc, char **argv)
{
    XT_INIT(argc, argv);
    XT_RUN(test_init_arguments);
    XT_RUN(test_cover_unaligned);
    XT_RUN(test_min_block_sizes);
    XT_RUN(test_one_block);
    XT_RUN(test_orders_and_sizes);
    XT_RUN(test_merge_buddyinfo);
    XT_RUN(test_misuse);
    XT_RUN(test_reserve);
    XT_RUN(test_terabytes);
    XT_RUN(test_meta_4gib);
    XT_RUN(test_stats_dump_walk_locks);
    XT_RUN(test_check_finds_damage);
    XT_RUN(test_poison);
    XT_RUN(test_init_edges);
    XT_RUN(test_misuse_quiet);
    XT_RUN(test_far_search);
    XT_RUN(test_find_stops_at_the_end);
    XT_RUN(test_dump_many_orders);
    XT_RUN(test_dump_long_line);
    XT_RUN(test_full_check_every_call);
    XT_RUN(test_check_names_each_invariant);
    XT_RUN(test_check_names_record_damage);
    XT_RUN(test_inband_min_block_edges);
    XT_RUN(test_check_finds_broken_lists);
    XT_RUN(test_stress_meta);
    XT_RUN(test_stress_inband);
    free(meta_buf);
    return XT_DONE();
}
