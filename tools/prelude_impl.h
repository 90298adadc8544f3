/* ==== xalloc common implementation prelude v3 (identical in every xalloc header) ==== */
#ifndef XALLOC_COMMON_IMPL_V3
#define XALLOC_COMMON_IMPL_V3
/* Private helpers shared by the headers: bit scans, byte fills and copies,
 * a division that never calls libgcc, and a line builder for the dumps.
 * All are `static`, so two headers' implementations in one program, in one
 * or in several translation units, never clash. */
#define XALLOC__PRIV static XALLOC_UNUSED

/* Bit-scan builtins only where the target has the instruction: elsewhere
 * (Cortex-M0, RISC-V without Zbb) they become libgcc calls. */
#if (defined(__GNUC__) || defined(__clang__)) && !defined(XALLOC_NO_BUILTINS) && \
    !(defined(__arm__) && !defined(__ARM_FEATURE_CLZ)) && !(defined(__riscv) && !defined(__riscv_zbb))
#define XALLOC__HAVE_CLZ 1
#endif
#if (defined(__GNUC__) || defined(__clang__)) && !defined(XALLOC_NO_BUILTINS)
#define XALLOC__LIKELY(x)   __builtin_expect(!!(x), 1)
#define XALLOC__UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define XALLOC__LIKELY(x)   (x)
#define XALLOC__UNLIKELY(x) (x)
#endif

/* Lock hooks come in pairs. At XALLOC_DEBUG >= 1 every init refuses a
 * description (a hooks struct k) with one of lock and unlock but not the
 * other: XALLOC_E_BADARG, nothing written. A lone lock would be taken and
 * never released; dropping it would run unlocked where the caller meant
 * to lock. At level 0 a lone hook is ignored: neither is called. */
#if XALLOC_DEBUG >= 1
#define XALLOC__LONE_LOCK(k) (((k).lock == NULL) != ((k).unlock == NULL))
#else
#define XALLOC__LONE_LOCK(k) false
#endif
#define XALLOC__LONE_LOCK_TEXT "lone lock or unlock hook"

/* Every init ends its copy of the hooks (field by field: a struct
 * assignment may become a memcpy call) with this: a lone lock, which level
 * 0 lets through, is dropped, and every call tests lock alone before
 * calling either hook (a lone unlock is then never called either). */
XALLOC__PRIV void xalloc__pair_hooks(xalloc_hooks *k)
{
    if (!k->unlock) k->lock = NULL;
}

/* Index of the lowest set bit; x != 0. One or two instructions with
 * builtins, a multiply and a table lookup without. (One whole definition
 * per case, so that no function holds code another target compiles.) */
#if defined(XALLOC__HAVE_CLZ) && defined(__arm__)
XALLOC__PRIV unsigned xalloc__ctz32(uint32_t x) { return 31u - (unsigned)__builtin_clz(x & (0u - x)); }
#elif defined(XALLOC__HAVE_CLZ)
XALLOC__PRIV unsigned xalloc__ctz32(uint32_t x) { return (unsigned)__builtin_ctz(x); }
#else
XALLOC__PRIV unsigned xalloc__ctz32(uint32_t x)
{
    static const unsigned char debruijn[32] = {
        0, 1, 28, 2, 29, 14, 24, 3, 30, 22, 20, 15, 25, 17, 4, 8,
        31, 27, 13, 23, 21, 19, 16, 7, 26, 12, 18, 6, 11, 5, 10, 9 };
    return debruijn[(uint32_t)((x & (0u - x)) * 0x077CB531u) >> 27];
}
#endif

/* Index of the highest set bit (floor of log2); x != 0. */
#if defined(XALLOC__HAVE_CLZ)
XALLOC__PRIV unsigned xalloc__log2_32(uint32_t x) { return 31u - (unsigned)__builtin_clz(x); }
#else
XALLOC__PRIV unsigned xalloc__log2_32(uint32_t x)
{
    unsigned r = 0;
    if (x >> 16) { x >>= 16; r += 16; }
    if (x >> 8)  { x >>= 8;  r += 8; }
    if (x >> 4)  { x >>= 4;  r += 4; }
    if (x >> 2)  { x >>= 2;  r += 2; }
    return r + (unsigned)(x >> 1);
}
#endif

XALLOC__PRIV unsigned xalloc__ctz64(uint64_t x)
{
    return (uint32_t)x ? xalloc__ctz32((uint32_t)x) : 32u + xalloc__ctz32((uint32_t)(x >> 32));
}

XALLOC__PRIV unsigned xalloc__log2_64(uint64_t x)
{
    return (x >> 32) ? 32u + xalloc__log2_32((uint32_t)(x >> 32)) : xalloc__log2_32((uint32_t)x);
}

/* Sanitizer hooks. Under AddressSanitizer (detected) and valgrind memcheck
 * (XALLOC_VALGRIND=1, needs <valgrind/memcheck.h>), an allocator tells the
 * tool which bytes of the caller's memory a program may touch, so that an
 * overflow or a use after free inside a region is caught as it would be
 * with malloc. Elsewhere they compile to nothing.
 *   XALLOC__POOL_CREATE(pool)       at init (pool: the handle)
 *   XALLOC__ON_ALLOC(pool, p, n)    p..p+n handed to the caller
 *   XALLOC__ON_RESIZE(pool, p, n)   the block at p now has n bytes (in place)
 *   XALLOC__ON_FREE(pool, p)        the block at p taken back
 *   XALLOC__HIDE(p, n)              p..p+n off limits (free memory, slack)
 *   XALLOC__SHOW(p, n)              p..p+n addressable again
 * The allocator's own reads and writes of hidden memory go through
 * functions marked XALLOC__NOSAN (not instrumented by ASan), bracketed by
 * XALLOC__QUIET_BEGIN/END (valgrind error reporting off), so they neither
 * trip the tool nor change what is hidden; XALLOC__LAUNDER(v) tells
 * valgrind a value so read is the allocator's own, defined. XALLOC__SANITIZING is defined
 * when either tool is in use. */
#if defined(__SANITIZE_ADDRESS__)
#define XALLOC__ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define XALLOC__ASAN 1
#endif
#endif
#ifdef XALLOC__ASAN
#ifdef __cplusplus
extern "C" {
#endif
void __asan_poison_memory_region(void const volatile *addr, size_t size);
void __asan_unpoison_memory_region(void const volatile *addr, size_t size);
#ifdef __cplusplus
}
#endif
#define XALLOC__SANITIZING 1
#define XALLOC__NOSAN __attribute__((no_sanitize_address))
#define XALLOC__ASAN_HIDE(p, n) __asan_poison_memory_region((p), (n))
#define XALLOC__ASAN_SHOW(p, n) __asan_unpoison_memory_region((p), (n))
#else
#define XALLOC__NOSAN
#define XALLOC__ASAN_HIDE(p, n) ((void)0)
#define XALLOC__ASAN_SHOW(p, n) ((void)0)
#endif
#if defined(XALLOC_VALGRIND) && XALLOC_VALGRIND
#include <valgrind/memcheck.h>
#define XALLOC__SANITIZING 1
#define XALLOC__POOL_CREATE(pool)    do { if (VALGRIND_MEMPOOL_EXISTS(pool)) VALGRIND_DESTROY_MEMPOOL(pool); \
                                          VALGRIND_CREATE_MEMPOOL((pool), 0, 0); } while (0)
#define XALLOC__VG_ALLOC(pool, p, n) VALGRIND_MEMPOOL_ALLOC((pool), (p), (n))
#define XALLOC__VG_FREE(pool, p)     VALGRIND_MEMPOOL_FREE((pool), (p))
#define XALLOC__VG_RESIZE(pool, p, n) do { VALGRIND_MEMPOOL_CHANGE((pool), (p), (p), (n)); \
                                           VALGRIND_MAKE_MEM_DEFINED((p), (n)); } while (0)
#define XALLOC__VG_HIDE(p, n)        VALGRIND_MAKE_MEM_NOACCESS((p), (n))
#define XALLOC__VG_SHOW(p, n)        VALGRIND_MAKE_MEM_DEFINED((p), (n))
#define XALLOC__QUIET_BEGIN          VALGRIND_DISABLE_ERROR_REPORTING
#define XALLOC__QUIET_END            VALGRIND_ENABLE_ERROR_REPORTING
#define XALLOC__LAUNDER(v)           VALGRIND_MAKE_MEM_DEFINED(&(v), sizeof(v))
#else
#define XALLOC__POOL_CREATE(pool)    ((void)0)
#define XALLOC__VG_ALLOC(pool, p, n) ((void)0)
#define XALLOC__VG_FREE(pool, p)     ((void)0)
#define XALLOC__VG_RESIZE(pool, p, n) ((void)0)
#define XALLOC__VG_HIDE(p, n)        ((void)0)
#define XALLOC__VG_SHOW(p, n)        ((void)0)
#define XALLOC__QUIET_BEGIN          ((void)0)
#define XALLOC__QUIET_END            ((void)0)
#define XALLOC__LAUNDER(v)           ((void)0)
#endif
#define XALLOC__ON_ALLOC(pool, p, n) do { XALLOC__ASAN_SHOW((p), (n)); XALLOC__VG_ALLOC((pool), (p), (n)); } while (0)
#define XALLOC__ON_RESIZE(pool, p, n) do { XALLOC__ASAN_SHOW((p), (n)); XALLOC__VG_RESIZE((pool), (p), (n)); } while (0)
#define XALLOC__ON_FREE(pool, p)     XALLOC__VG_FREE((pool), (p))
#define XALLOC__HIDE(p, n)           do { XALLOC__ASAN_HIDE((p), (n)); XALLOC__VG_HIDE((p), (n)); } while (0)
#define XALLOC__SHOW(p, n)           do { XALLOC__ASAN_SHOW((p), (n)); XALLOC__VG_SHOW((p), (n)); } while (0)

/* Byte fill and copy. A platform may supply its own (XALLOC_MEMSET,
 * XALLOC_MEMCPY, with the libc signatures); the fallbacks are plain loops,
 * which a hosted -O2 build may itself turn into memset/memcpy calls. */
#ifndef XALLOC_MEMSET
#define XALLOC_MEMSET(d, c, n) xalloc__memset((d), (c), (n))
XALLOC__PRIV void *xalloc__memset(void *dst, int c, size_t n)
{
    unsigned char *d = (unsigned char *)dst;
    while (n--) *d++ = (unsigned char)c;
    return dst;
}
#endif
#ifndef XALLOC_MEMCPY
#define XALLOC_MEMCPY(d, s, n) xalloc__memcpy((d), (s), (n))
XALLOC__PRIV void *xalloc__memcpy(void *dst, const void *src, size_t n)
{
    unsigned char *d = (unsigned char *)dst;
    const unsigned char *s = (const unsigned char *)src;
    while (n--) *d++ = *s++;
    return dst;
}
#endif

/* n / d by shift and subtract, with shifts by constants only, so that no
 * 32-bit target needs a libgcc helper. Off the hot paths (dumps). d != 0. */
XALLOC__PRIV uint64_t xalloc__divmod64(uint64_t n, uint64_t d, uint64_t *rem)
{
    uint64_t q = 0, r = 0;
    int i;
    for (i = 0; i < 64; i++) {
        r = (r << 1) | (n >> 63);
        n <<= 1;
        q <<= 1;
        if (r >= d) { r -= d; q |= 1u; }
    }
    if (rem) *rem = r;
    return q;
}
#define xalloc__div64(n, d) xalloc__divmod64((n), (d), NULL)

/* n / 10 and n % 10 by shifts and adds (Hacker's Delight's divu10
 * widened to 64 bits): about 15 operations where divmod64 takes 64 rounds;
 * the estimate is low by at most one ten, which one step corrects. No
 * 64-bit multiply or division for a compiler to rebuild: clang turns a
 * correcting loop back into a division, and q * 10 in 64 bits into a
 * multiply, both libgcc calls on 32-bit targets (on Cortex-M0 at least).
 * For the decimal digits of the dumps. */
XALLOC__PRIV uint64_t xalloc__divmod10(uint64_t n, uint32_t *rem)
{
    uint64_t q = (n >> 1) + (n >> 2);
    uint32_t r;
    q += q >> 4;
    q += q >> 8;
    q += q >> 16;
    q += q >> 32;
    q >>= 3;
    r = (uint32_t)n - (uint32_t)q * 10u; /* n - 10q < 20: its low 32 bits are all of it */
    if (r > 9) { q++; r -= 10; }
    *rem = r;
    return q;
}

/* A line of dump output, built without printf. */
typedef struct xalloc__line { char buf[192]; unsigned len; } xalloc__line;

/* Append c unless the line is full: the last two bytes of buf stay for
 * put_end's "\n\0", so a line too long is cut, never overflowed. Every
 * put_* appends through here. */
XALLOC__PRIV void xalloc__put_c(xalloc__line *l, char c)
{
    if (l->len < sizeof l->buf - 2) l->buf[l->len++] = c;
}

XALLOC__PRIV void xalloc__put_str(xalloc__line *l, const char *s)
{
    while (*s) xalloc__put_c(l, *s++);
}

/* Decimal, through xalloc__divmod10 (a 64-bit division on a 32-bit target
 * would otherwise call a libgcc helper). */
XALLOC__PRIV void xalloc__put_u(xalloc__line *l, uint64_t v)
{
    char digits[20];
    unsigned n = 0;
    do {
        uint32_t r;
        v = xalloc__divmod10(v, &r);
        digits[n++] = (char)('0' + (int)r);
    } while (v);
    while (n) xalloc__put_c(l, digits[--n]);
}

/* Hexadecimal without leading zeros ("0x0" for 0), a 32-bit half at a
 * time: a variable shift of a 64-bit value is a libgcc call on 32-bit
 * targets. */
XALLOC__PRIV void xalloc__put_hex(xalloc__line *l, uint64_t v)
{
    uint32_t half[2];
    int i = 0, shift = 28;
    half[0] = (uint32_t)(v >> 32);
    half[1] = (uint32_t)v;
    xalloc__put_str(l, "0x");
    if (!half[0]) i = 1;
    while (shift > 0 && !(half[i] >> shift)) shift -= 4;
    for (; i < 2; i++, shift = 28)
        for (; shift >= 0; shift -= 4) xalloc__put_c(l, "0123456789abcdef"[(half[i] >> shift) & 0xFu]);
}

/* Percentage with one decimal, num/den (den may be 0). */
XALLOC__PRIV void xalloc__put_pct(xalloc__line *l, uint64_t num, uint64_t den)
{
    /* scale down so that num * 1000 is a 32-bit multiply (no libgcc call) */
    uint64_t t;
    uint32_t frac;
    while (num >> 22) { num >>= 1; den >>= 1; }
    t = den ? xalloc__div64((uint64_t)((uint32_t)num * 1000u), den) : 0;
    xalloc__put_u(l, xalloc__divmod10(t, &frac));
    xalloc__put_str(l, ".");
    xalloc__put_u(l, frac);
    xalloc__put_str(l, "%");
}

XALLOC__PRIV void xalloc__put_end(xalloc__line *l, xalloc_print_fn print, void *user)
{
    l->buf[l->len++] = '\n';
    l->buf[l->len] = '\0';
    print(user, l->buf);
    l->len = 0;
}
#endif /* XALLOC_COMMON_IMPL_V3 */
/* ==== end of xalloc common implementation prelude v3 ==== */
