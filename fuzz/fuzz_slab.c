/* fuzz_slab.c - fuzz harness for the slab allocator and kmalloc, xalloc_slab.h.
 *
 * The input is a program: a configuration, then operations, each an opcode
 * byte (taken modulo the number of operations) and its operands; bytes past
 * the end read as 0, so every byte string is a valid program.
 *
 *   byte 0      variant (modulo FUZZ_VARIANTS): debug level and options, below
 *   byte 1      flags: 1 misuse, 2|4 lock hooks (0 none, 1 both, 2 lock only,
 *               3 unlock only: refused at level 1 and up, the program going
 *               on without it; ignored at level 0), 8 callbacks page source
 *               (else a region), 16 no hooks at all, 32 a second cache,
 *               64 a kmalloc, 128 the callbacks sometimes give a misaligned
 *               slab (level >= 1 must refuse it)
 *   byte 2      page size: 64 << (n % 11)
 *   bytes 3-4   region: (n + 1) * 16 bytes; callbacks: slabs up to that many
 *               bytes at once (in a 1 MiB pool); at level 4 n's low 10 bits
 *   byte 5      region start offset
 *   bytes 6-9   cache A: size (2 bytes, see dec_size), alignment (0 or
 *               1 << (n % 13)), then bits 0-1 slab size (0 default, else
 *               page << (n - 1)), 2 constructor, 3 destructor, 4-5
 *               keep_empty, 6 XSLAB_NO_COLOUR, 7 XSLAB_RELEASE_EMPTY
 *   bytes 10-12 cache B: size, alignment
 *   bytes 13-16 kmalloc: min_size 8/16 (bit 0), max_size (2 bytes: 0
 *               default, else n % 4096 + 1), slab size and flags as for A
 *   byte 17     seed of the bytes memory holds before init
 *   byte 18     full check every 1/4/16/64 operations (bits 0-1; or
 *               fewer, when one costs more than fuzz.h's budget); stats,
 *               which empty the magazines, never/every 64/8/1 (bits 2-3)
 *   then        operations (see the OP_ list)
 *
 * The model holds every live object (cache, address, size asked for, id;
 * its bytes a pattern of its id) and checks the results of every operation
 * and the bytes of every object freed or reallocated; on the schedule the
 * input picks (fuzz.h: "when to run the checks") and at the end, the full
 * check: each cache's check passes; its walk lists exactly the model's live
 * objects as used; objects are aligned, inside slabs of the page source and
 * apart; every counter of the stats agrees (objects in use, allocs, frees,
 * slabs = grows - releases, at most keep_empty empty slabs but the current
 * one, slabs out of the page source = the slabs the caches hold); an
 * allocation fails only when its cache has no free object and the page
 * source gave no slab. kmalloc takes the smallest class that fits, krealloc
 * stays in place exactly when the manual says it may and keeps the bytes.
 * Constructors run once per object before it is first handed out, and
 * objects come back in their constructed state; destructors run only on
 * free, constructed objects, and by the end as often as constructors. The
 * callbacks take back exactly what they gave. Bytes around the region, the
 * caches and the kmem record must survive.
 *
 * Misuse (flag 1, XALLOC_DEBUG >= 1): frees of pointers outside the region,
 * inside objects, into another cache's slabs, double frees (in the magazine
 * or on a slab), through kfree, krealloc and ksize too; at level 2 a write
 * into a freed object is reported when the magazine hands it out again (the
 * newest first); at level 3 an overrun into the red zone is reported by
 * check and free. Each with its exact error code, changing nothing.
 *
 * Any violation traps (FUZZ_CHECK). See fuzz/README.md to build and run it. */
#define FUZZ_VARIANTS 8

#ifndef FUZZ_VARIANT
#include "fuzz.h"
#else

/* ---- variants --------------------------------------------------------------- */
#if FUZZ_VARIANT <= 4
#define XALLOC_DEBUG FUZZ_VARIANT
#elif FUZZ_VARIANT == 5
#define XALLOC_DEBUG 1
#define XSLAB_MAGAZINE 0
#elif FUZZ_VARIANT == 6
#define XALLOC_DEBUG 3
#define XSLAB_MAGAZINE 2
#define XSLAB_REDZONE 13
#define XALLOC_NO_BUILTINS
#elif FUZZ_VARIANT == 7
#define XALLOC_DEBUG 2
#define XSLAB_MAGAZINE 0
#define XSLAB_KEEP_EMPTY 0
#define XSLAB_MIN_OBJECTS 3
#define XSLAB_PAGE_SIZE 1024
#else
#error "unknown FUZZ_VARIANT"
#endif
#define XALLOC_IMPLEMENTATION
#define XALLOC_STATIC
#include "xalloc_slab.h"
#include "fuzz.h"

#define P        sizeof(void *)
#define GUARD    64
#define ALIGN64K ((uintptr_t)POOL) /* the pool starts at a multiple of its size: slabs of any size up to it fit the same way in every run */
#define POOL     ((size_t)1 << 20)
#define GRAN     64u
/* Level 4 runs a cache's full check, which reads every slab and the poison
 * of every free object, on every call: its memory is kept small (the region
 * or the callbacks' limit at most 16 KiB), so that its programs run as many
 * calls as the others. The other levels take the large ones (level 3
 * differs from 4 only in that check). */
#define LEVEL4_CAP(m) (XALLOC_DEBUG >= 4 ? 0x3FFu : (unsigned)(m))

/* ---- memory ------------------------------------------------------------------ */
static unsigned char store[POOL + 2 * GUARD + ALIGN64K + 256];
static unsigned char *arena; /* 64 KiB-aligned: region or callback pool */
static unsigned char guard_byte(size_t i) { return (unsigned char)(0x3C ^ (i * 37u)); }
static void guard_set(unsigned char *p, size_t n) { size_t i; for (i = 0; i < n; i++) p[i] = guard_byte(i); }
static int guard_ok(const unsigned char *p, size_t n) { size_t i; for (i = 0; i < n; i++) if (p[i] != guard_byte(i)) return 0; return 1; }

/* The caches and the kmem record live in guarded boxes. */
static struct box { unsigned char before[GUARD]; xslab_cache c; unsigned char after[GUARD]; } boxA, boxB;
static struct pbox { unsigned char before[GUARD]; xslab_pages ps; unsigned char after[GUARD]; } pbox;
#define KMEM_MAX 65536
static unsigned char kbox[KMEM_MAX + 2 * GUARD + 8];

/* ---- the model ------------------------------------------------------------------ */
#define MAXLIVE 1024
#define MAXGETS 4096
#define NDEAD   16
#define NONE    ((size_t)-1)
enum { CA, CB, KM, NOWNERS };

typedef struct obj { unsigned char *p; size_t req; uint32_t id; int owner, kc; } obj; /* kc: kmalloc class */
typedef struct got { unsigned char *p, *run; size_t size, len; } got;

static obj live[MAXLIVE];
static got given_slabs[MAXGETS];
static unsigned char used_gran[POOL / GRAN];
static struct {
    xslab_pages *ps;
    xslab_cache *c[2];       /* A, B (NULL if none) */
    xslab_kmem *k;
    size_t kneed;
    int misuse, hooked, lock_mode, lock_depth, callbacks, misbehave;
    int lone;                /* the input's lock mode if a lone hook (2, 3), else 0 */
    unsigned errs, exp_errs;
    xalloc_error last_err, exp_code;
    int check_code;
    size_t nlive, ngets, pool_limit, pool_used;
    unsigned long nget_calls, get_nulls, bad_gets;
    unsigned long dropped_constructed; /* live constructed objects a destroy dropped */
    int add_class;              /* the class of the kmalloc object model_add records */
    size_t slab[NOWNERS];       /* slab size of each owner */
    int walk_ok[NOWNERS];       /* level 0 walks search free lists: O(n^2) per slab */
    unsigned char *region;
    size_t region_size, page;
    size_t size[2], align[2];  /* as resolved (from the stats) */
    int ctor, dtor;
    unsigned long ctors, dtors;
    size_t keep[2], kkeep;
    size_t kcls[64], nk;       /* kmalloc class sizes */
    size_t kmax;
    uint64_t allocs[NOWNERS], frees[NOWNERS];
    unsigned char *dead[NDEAD];
    int dead_owner[NDEAD];
    unsigned ndead, dead_pos;
    uint32_t next_id;
    unsigned check_every, stats_every;
    size_t nobjs, free_bytes;   /* objects (used and free), bytes of free ones the last walks met */
    size_t objper;              /* the most objects a slab of any cache holds */
} S;

/* ---- hooks ---------------------------------------------------------------------- */
static void on_error(void *user, xalloc_error e, uintptr_t p, const char *what)
{
    (void)p;
    FUZZ_CHECK(user == &S, "error hook: wrong user pointer");
    FUZZ_CHECK(e > XALLOC_OK && e < XALLOC_E_COUNT, "error hook: code out of range");
    FUZZ_CHECK(what && what[0], "error hook: no text");
    S.errs++;
    S.last_err = e;
    FUZZ_LOG("    reported: %s: %s\n", xalloc_error_name(e), what);
}
static void on_lock(void *user)
{
    FUZZ_CHECK(user == &S, "lock hook: wrong user pointer");
    FUZZ_CHECK(S.lock_mode == 1, "lock hook called though unlock is not set");
    FUZZ_CHECK(S.lock_depth == 0, "lock taken twice: a public call re-entered another");
    S.lock_depth = 1;
}
static void on_unlock(void *user)
{
    FUZZ_CHECK(user == &S, "unlock hook: wrong user pointer");
    FUZZ_CHECK(S.lock_depth == 1, "unlock without lock");
    S.lock_depth = 0;
}
static void expect_err(xalloc_error code)
{
    if (!S.hooked) return;
    S.exp_errs++;
    S.exp_code = code;
    S.check_code = 1;
}
static void settle(void)
{
    FUZZ_CHECK(S.errs == S.exp_errs, S.errs > S.exp_errs ? "an error was reported that should not have been"
                                                          : "misuse was not reported through the error hook");
    if (S.check_code && S.exp_code != XALLOC_OK)
        FUZZ_CHECK(S.last_err == S.exp_code, "misuse reported with the wrong error code");
    S.check_code = 0;
    FUZZ_CHECK(S.lock_depth == 0, "a call returned with the lock held");
}

/* Lock modes 2 and 3 (a lone hook) at level 1 and up: before the real
 * page source and kmem are made, xslab_pages_init and xslab_kmem_init are
 * each given the lone hook (xslab_cache_init is, through FUZZ_LONE_LOCK):
 * each refuses it with XALLOC_E_BADARG and writes nothing, neither its
 * record nor the memory it was given (a hash of the bytes, before and
 * after); xslab_kmem_size says 0 for that description. */
static int lone_hook(void) { return XALLOC_DEBUG >= 1 && S.lone; }
static uint32_t bytes_hash(const unsigned char *p, size_t n)
{
    uint32_t h = 2166136261u;
    while (n--) h = (h ^ *p++) * 16777619u;
    return h;
}
static void lone_set(xalloc_hooks *k)
{
    k->lock = S.lone == 2 ? on_lock : NULL;
    k->unlock = S.lone == 3 ? on_unlock : NULL;
}
static void lone_pages(unsigned char *mem, size_t size, const xslab_pages_desc *pd)
{
    xslab_pages_desc lp = *pd;
    uint32_t h = bytes_hash(mem, size);
    size_t i;
    if (!lone_hook()) return;
    lone_set(&lp.hooks);
    memset(&pbox.ps, 0x5A, sizeof pbox.ps);
    FUZZ_CHECK(xslab_pages_init(&pbox.ps, mem, size, &lp) == NULL, "pages_init accepted a lone lock or unlock hook");
    expect_err(XALLOC_E_BADARG);
    settle();
    for (i = 0; i < sizeof pbox.ps; i++) FUZZ_CHECK(((unsigned char *)&pbox.ps)[i] == 0x5A, "a refused pages_init wrote its record");
    FUZZ_CHECK(bytes_hash(mem, size) == h, "a refused pages_init wrote its region");
}
static void lone_kmem(unsigned char *mem, const xslab_kmem_desc *kd)
{
    xslab_kmem_desc lk = *kd;
    uint32_t h;
    if (!lone_hook()) return;
    lone_set(&lk.hooks);
    FUZZ_CHECK(xslab_kmem_size(&lk) == 0, "kmem_size gave a size for a lone lock or unlock hook");
    memset(mem, 0x5A, KMEM_MAX);
    h = bytes_hash(mem, KMEM_MAX);
    FUZZ_CHECK(xslab_kmem_init(mem, KMEM_MAX, &lk) == NULL, "kmem_init accepted a lone lock or unlock hook");
    expect_err(XALLOC_E_BADARG);
    settle();
    FUZZ_CHECK(bytes_hash(mem, KMEM_MAX) == h, "a refused kmem_init wrote its memory");
}

static size_t find(const unsigned char *p);

/* Constructor and destructor: a constructed object holds a pattern of its
 * address; the program restores it before each free. */
static unsigned char ctor_pat(const unsigned char *o, size_t i) { return (unsigned char)(((uintptr_t)o >> 3) * 7u + i * 13u + 1u); }
static void on_ctor(void *user, void *o)
{
    size_t i;
    FUZZ_CHECK(user == &S.ctors, "constructor: wrong user pointer");
    FUZZ_CHECK(find((unsigned char *)o) == NONE, "constructor run on a live object");
    for (i = 0; i < S.size[CA]; i++) ((unsigned char *)o)[i] = ctor_pat((unsigned char *)o, i);
    S.ctors++;
}
static void on_dtor(void *user, void *o)
{
    size_t i;
    FUZZ_CHECK(user == &S.ctors, "destructor: wrong user pointer");
    FUZZ_CHECK(find((unsigned char *)o) == NONE, "destructor run on a live object");
    if (S.ctor)
        for (i = 0; i < S.size[CA]; i++)
            FUZZ_CHECK(((unsigned char *)o)[i] == ctor_pat((unsigned char *)o, i), "destructor got an object not in its constructed state");
    S.dtors++;
}

/* Callback page source: first fit in a 1 MiB pool, at most pool_limit bytes out. */
static void *on_get(void *user, size_t size, size_t align)
{
    size_t g, n, a, i, len = size, bad;
    FUZZ_CHECK(user == &S.ngets, "page source get: wrong user pointer");
    FUZZ_CHECK(size == align && size >= 64 && !(size & (size - 1)), "page source asked for a size that is not its alignment, a power of two");
    S.nget_calls++;
    /* every third slab misaligned (by half its size, which the granules allow
     * from 128 bytes): level >= 1 reports it and puts it back */
    bad = S.misbehave && S.nget_calls % 3 == 0 && size >= 2 * GRAN ? size / 2 : 0;
    len += bad;
    if (S.ngets == MAXGETS || S.pool_used + len > S.pool_limit || len > POOL) { S.get_nulls++; return NULL; }
    n = (len + GRAN - 1) / GRAN;
    a = align / GRAN ? align / GRAN : 1;
    for (g = 0; g + n <= POOL / GRAN; g += a) {
        for (i = 0; i < n && !used_gran[g + i]; i++) { }
        if (i < n) continue;
        for (i = 0; i < n; i++) used_gran[g + i] = 1;
        given_slabs[S.ngets].run = arena + g * GRAN;
        given_slabs[S.ngets].p = arena + g * GRAN + bad;
        given_slabs[S.ngets].size = size;
        given_slabs[S.ngets].len = n * GRAN;
        S.ngets++;
        S.pool_used += n * GRAN;
        fuzz_unpoison(arena + g * GRAN, n * GRAN);
        fuzz_scribble(arena + g * GRAN, n * GRAN, (uint32_t)g);
        if (bad) { S.bad_gets++; if (S.hooked) S.exp_errs++; }
        return arena + g * GRAN + bad;
    }
    S.get_nulls++;
    return NULL;
}
static void on_put(void *user, void *p, size_t size)
{
    size_t i, j;
    FUZZ_CHECK(user == &S.ngets, "page source put: wrong user pointer");
    for (i = 0; i < S.ngets && given_slabs[i].p != (unsigned char *)p; i++) { }
    FUZZ_CHECK(i < S.ngets, "page source got back a slab it never gave");
    FUZZ_CHECK(given_slabs[i].size == size, "page source got back a slab with another size");
    for (j = 0; j < given_slabs[i].len / GRAN; j++) used_gran[(size_t)(given_slabs[i].run - arena) / GRAN + j] = 0;
    S.pool_used -= given_slabs[i].len;
    given_slabs[i] = given_slabs[--S.ngets];
}

/* ---- model of live objects, sorted by address ------------------------------------- */
static size_t lower(const unsigned char *p)
{
    size_t lo = 0, hi = S.nlive;
    while (lo < hi) { size_t m = (lo + hi) / 2; if (live[m].p < p) lo = m + 1; else hi = m; }
    return lo;
}
static size_t find(const unsigned char *p)
{
    size_t i = lower(p);
    return i < S.nlive && live[i].p == p ? i : NONE;
}
/* Bytes of an object the program may use: the cache's size, kmalloc's request. */
static size_t span_of(int owner, size_t req) { return owner == KM ? req : S.size[owner]; }
/* Objects of A with a constructor come and go in their constructed state. */
static int constructed(int owner) { return owner == CA && S.ctor; }

static void model_add(unsigned char *p, int owner, size_t req, uint32_t id, size_t keep)
{
    size_t i, n = span_of(owner, req), a = owner == KM ? 8 : S.align[owner];
    FUZZ_CHECK(S.nlive < MAXLIVE, "harness: too many live objects");
    FUZZ_CHECK(((uintptr_t)p & (a - 1)) == 0, "object not aligned");
    if (!S.callbacks) FUZZ_CHECK(p >= S.region && p + n <= S.region + S.region_size, "object outside the region");
    else FUZZ_CHECK(p >= arena && p + n <= arena + POOL, "object outside the page source's slabs");
    i = lower(p);
    FUZZ_CHECK(i == S.nlive || live[i].p != p, "object handed out twice");
    FUZZ_CHECK(i == S.nlive || p + n <= live[i].p, "object overlaps the next live one");
    FUZZ_CHECK(i == 0 || live[i - 1].p + span_of(live[i - 1].owner, live[i - 1].req) <= p, "object overlaps the previous live one");
    if (constructed(owner)) { /* handed out constructed, and constructed once */
        size_t j;
        for (j = keep; j < n; j++) FUZZ_CHECK(p[j] == ctor_pat(p, j), "object not in its constructed state when handed out");
    }
    memmove(&live[i + 1], &live[i], (S.nlive - i) * sizeof live[0]);
    live[i].p = p;
    live[i].owner = owner;
    live[i].req = req;
    live[i].id = id;
    live[i].kc = owner == KM ? S.add_class : -1;
    S.nlive++;
    fuzz_fill(p, keep, n, id);
}
static void check_bytes(size_t i)
{
    FUZZ_CHECK(fuzz_intact(live[i].p, span_of(live[i].owner, live[i].req), live[i].id), "a live object's bytes changed");
}
/* The program gives object i back: constructed state first. */
static void model_remove(size_t i)
{
    if (constructed(live[i].owner)) {
        size_t j;
        for (j = 0; j < S.size[CA]; j++) live[i].p[j] = ctor_pat(live[i].p, j);
    }
    S.dead[S.dead_pos] = live[i].p;
    S.dead_owner[S.dead_pos] = live[i].owner;
    S.dead_pos = (S.dead_pos + 1) % NDEAD;
    if (S.ndead < NDEAD) S.ndead++;
    memmove(&live[i], &live[i + 1], (S.nlive - i - 1) * sizeof live[0]);
    S.nlive--;
}

/* ---- walks --------------------------------------------------------------------- */
#define MAXWALK 65536
typedef struct wobj { unsigned char *p; size_t size; int used; } wobj;
static wobj walkv[MAXWALK];
static size_t nwalk;
static int walk_overflow;
static bool walk_cb(void *user, void *o, size_t size, bool used)
{
    FUZZ_CHECK(user == &S, "walk: wrong user pointer");
    if (nwalk == MAXWALK) { walk_overflow = 1; return true; }
    walkv[nwalk].p = (unsigned char *)o;
    walkv[nwalk].size = size;
    walkv[nwalk].used = used;
    nwalk++;
    return true;
}
static void walk_owner(int owner)
{
    nwalk = 0;
    walk_overflow = !S.walk_ok[owner];
    if (walk_overflow) return;
    if (owner == KM) xslab_kmem_walk(S.k, walk_cb, &S);
    else xslab_walk(S.c[owner], walk_cb, &S);
}
/* Does the cache hold a free object? (An allocation that failed found its
 * magazine empty, so the stats, which empty it, change nothing here.) */
static int has_free(int owner)
{
    xslab_stats s;
    xslab_stats_get(S.c[owner], &s);
    return s.active_objs < s.num_objs;
}
/* The kmalloc class of a request (index into kcls), or -1. */
static int kclass(size_t size)
{
    size_t i;
    if (size > S.kmax) return -1;
    for (i = 0; i < S.nk; i++) if (S.kcls[i] >= size) return (int)i;
    return -1;
}
/* Does the kmalloc class cls show a free object? */
static int class_has_free(int cls)
{
    xslab_stats s;
    if (!xslab_kmem_stats_get(S.k, (size_t)cls, &s)) return 0;
    return s.active_objs < s.num_objs;
}

/* An allocation for owner failed: only when it had no free object and the
 * page source gave no slab. */
static void check_no_false_oom(int owner, int cls, unsigned long nulls0, unsigned long bad0)
{
    int free_obj = owner == KM ? class_has_free(cls) : has_free(owner);
    FUZZ_CHECK(!free_obj, "allocation failed while its cache had a free object");
    if (S.callbacks) FUZZ_CHECK(S.get_nulls != nulls0 || S.bad_gets != bad0, "allocation failed though the page source gave a slab (or was not asked)");
    else {
        xslab_pages_stats ps;
        xslab_pages_stats_get(S.ps, &ps);
        FUZZ_CHECK(ps.slabs_out == ps.pages, "allocation failed while the region had a free page");
    }
}

/* ---- checks ---------------------------------------------------------------------- */
static void check_walk(int owner)
{
    size_t i, used = 0;
    walk_owner(owner);
    if (walk_overflow) return;
    for (i = 0; i < nwalk; i++) {
        size_t k;
        if (!walkv[i].used) { S.free_bytes += walkv[i].size; continue; }
        k = find(walkv[i].p);
        FUZZ_CHECK(k != NONE && live[k].owner == owner, "walk: a used object the program does not hold");
        if (owner == KM) FUZZ_CHECK(walkv[i].size == (XALLOC_DEBUG >= 3 ? live[k].req : S.kcls[live[k].kc]), "walk: wrong size of a kmalloc object");
        else FUZZ_CHECK(walkv[i].size == S.size[owner], "walk: wrong object size");
        used++;
    }
    for (i = 0; i < S.nlive; i++) if (live[i].owner == owner) used--;
    FUZZ_CHECK(used == 0, "walk: live objects missing");
}

/* Counters of one cache (or kmalloc class) against the model. */
static size_t check_cache_stats(const xslab_stats *s, size_t keep)
{
    FUZZ_CHECK(s->num_objs == s->num_slabs * s->objperslab, "stats: num_objs != num_slabs * objperslab");
    FUZZ_CHECK(s->active_slabs + s->empty_slabs == s->num_slabs, "stats: active + empty slabs != slabs");
    FUZZ_CHECK(s->empty_slabs <= keep + 1, "stats: more empty slabs than keep_empty (and the current one)");
    FUZZ_CHECK(s->active_objs <= s->num_objs && s->active_objs == (size_t)(s->allocs - s->frees), "stats: objects in use != allocs - frees");
    FUZZ_CHECK(s->num_slabs == s->grows - s->releases, "stats: slabs != grows - releases");
    FUZZ_CHECK(s->slab_bytes == s->num_slabs * s->slab_size && s->pagesperslab * S.page == s->slab_size, "stats: slab bytes or pages per slab");
    FUZZ_CHECK(s->stride >= s->objsize && s->stride % s->align == 0 && s->objperslab >= 1, "stats: stride");
    FUZZ_CHECK(s->objperslab * s->stride <= s->slab_size, "stats: objects per slab do not fit a slab");
    return s->num_slabs;
}

/* The caches' own checks: every slab, every free object (about 40
 * instructions an object, the walks' count) and from level 2 its poison, a
 * byte at a time (about 5 instructions a byte). The next is due after the
 * interval the input picked, or when this one's cost is paid off at
 * FUZZ_CHECK_BUDGET an operation (fuzz.h). At level 4 every call runs it
 * first: here it runs every 64 operations at the most, and at the end. */
#define OWN_COST (S.nobjs * 40 + (XALLOC_DEBUG >= 2 ? 5 * S.free_bytes : 0))
static void check_own(void)
{
    const char *why;
    unsigned e0 = S.errs;
    int o;
    for (o = 0; o < NOWNERS; o++) {
        if (o == KM ? !S.k : !S.c[o]) continue;
        why = o == KM ? xslab_kmem_check(S.k) : xslab_check(S.c[o]);
        if (why) fprintf(stderr, "check: %s\n", why);
        FUZZ_CHECK(why == NULL, "check found the cache broken");
        FUZZ_CHECK(S.errs == e0, "check reported an error but returned NULL");
    }
    fuzz_own_done(S.check_every, OWN_COST);
}

/* The full check (when: FUZZ_INIT, FUZZ_DUE, FUZZ_ASK for OP_CHECK and
 * OP_STATS, FUZZ_END for the end; see fuzz.h, "when to run the checks"): the caches' own
 * checks, then the model's: the walks against the model, every live
 * object's bytes, the guards (about 60 instructions an object of the walks,
 * at level 0 more: its walk searches the free list for every object; the
 * bytes a memcmp); with with_stats also the stats, which empty the
 * magazines: those run exactly when the program says. */
static void check_all(int with_stats, int when)
{
    size_t i, slabs = 0, n[NOWNERS], bytes = 0;
    int o;
    xslab_pages_stats ps;
    if (fuzz_own_due(when)) check_own();
    if (!with_stats && !fuzz_model_due(when)) return;
    S.nobjs = S.free_bytes = 0;
    for (o = 0; o < NOWNERS; o++) {
        if (o == KM ? !S.k : !S.c[o]) continue;
        check_walk(o);
        S.nobjs += nwalk;
    }
    for (i = 0; i < NOWNERS; i++) n[i] = 0;
    for (i = 0; i < S.nlive; i++) {
        check_bytes(i);
        n[live[i].owner]++;
        bytes += span_of(live[i].owner, live[i].req);
    }
    fuzz_model_done(when, S.check_every, S.nobjs * (XALLOC_DEBUG >= 1 ? 60 : 60 + 2 * S.objper) + bytes / 16, OWN_COST);
    if (with_stats) {
        fuzz_changes++; /* the magazines were emptied */
        for (o = 0; o < 2; o++) {
            xslab_stats s;
            if (!S.c[o]) continue;
            xslab_stats_get(S.c[o], &s);
            FUZZ_CHECK(s.active_objs == n[o], "stats: active_objs != live objects");
            FUZZ_CHECK(s.allocs == S.allocs[o] && s.frees == S.frees[o], "stats: allocs or frees");
            FUZZ_CHECK(s.objsize == S.size[o] && s.align == S.align[o], "stats: object size or alignment changed");
            slabs += check_cache_stats(&s, S.keep[o]);
        }
        if (S.k) {
            size_t active = 0;
            uint64_t a = 0, f = 0;
            for (i = 0; i < S.nk; i++) {
                xslab_stats s;
                FUZZ_CHECK(xslab_kmem_stats_get(S.k, i, &s), "kmem stats of a class failed");
                FUZZ_CHECK(s.objsize == S.kcls[i], "kmem class size changed");
                slabs += check_cache_stats(&s, S.kkeep);
                active += s.active_objs;
                a += s.allocs;
                f += s.frees;
            }
            FUZZ_CHECK(active == n[KM], "kmem stats: objects in use != live kmalloc objects");
            FUZZ_CHECK(a == S.allocs[KM] && f == S.frees[KM], "kmem stats: allocs or frees");
        }
        xslab_pages_stats_get(S.ps, &ps);
        FUZZ_CHECK(ps.slabs_out == slabs && ps.gets - ps.puts == ps.slabs_out, "page source: slabs out != slabs the caches hold");
        if (S.callbacks) FUZZ_CHECK(ps.slabs_out == S.ngets, "page source: slabs out != slabs the callbacks gave");
        else FUZZ_CHECK(ps.slabs_out <= ps.pages, "page source: more slabs out than pages");
    }
    FUZZ_CHECK(guard_ok(boxA.before, GUARD) && guard_ok(boxA.after, GUARD) && guard_ok(boxB.before, GUARD) &&
               guard_ok(boxB.after, GUARD) && guard_ok(pbox.before, GUARD) && guard_ok(pbox.after, GUARD),
               "a cache or page source record's neighbours were written");
    if (!S.callbacks) FUZZ_CHECK(guard_ok(S.region - GUARD, GUARD) && guard_ok(S.region + S.region_size, GUARD), "the allocator wrote outside its region");
    if (S.k) FUZZ_CHECK(guard_ok(kbox, GUARD) && guard_ok(kbox + GUARD + S.kneed, GUARD), "the kmem wrote outside its record");
}

/* ---- operations --------------------------------------------------------------------- */
static void *do_alloc(int owner)
{
    unsigned long nulls0 = S.get_nulls, bad0 = S.bad_gets;
    void *p = xslab_alloc(S.c[owner]);
    FUZZ_LOG("  alloc(%c) = %p\n", "AB"[owner], p);
    if (!p) { check_no_false_oom(owner, 0, nulls0, bad0); return NULL; }
    S.allocs[owner]++;
    model_add((unsigned char *)p, owner, 0, S.next_id++, 0);
    return p;
}
static void do_free(size_t i)
{
    int owner = live[i].owner;
    unsigned char *p = live[i].p;
    check_bytes(i);
    model_remove(i);
    FUZZ_LOG("  %s(%p)\n", owner == KM ? "kfree" : owner == CA ? "free(A)" : "free(B)", (void *)p);
    if (owner == KM) xslab_kfree(S.k, p);
    else xslab_free(S.c[owner], p);
    S.frees[owner]++;
}
static void *do_kmalloc(size_t size, int zero, size_t count)
{
    unsigned long nulls0 = S.get_nulls, bad0 = S.bad_gets;
    size_t total = zero ? count * size : size;
    int cls = zero && size && count && (count > S.kmax || size > S.kmax || total / count != size) ? -1 : kclass(total);
    unsigned char *p = (unsigned char *)(zero ? xslab_kcalloc(S.k, count, size) : xslab_kmalloc(S.k, size));
    FUZZ_LOG("  k%s(%zu) = %p\n", zero ? "calloc" : "malloc", total, (void *)p);
    if (cls < 0) { FUZZ_CHECK(p == NULL, "kmalloc larger than max_size succeeded"); return NULL; }
    if (!p) { check_no_false_oom(KM, cls, nulls0, bad0); return NULL; }
    if (zero) { size_t j; for (j = 0; j < total; j++) FUZZ_CHECK(p[j] == 0, "kcalloc memory not zeroed"); }
    FUZZ_CHECK(xslab_ksize(S.k, p) == (XALLOC_DEBUG >= 3 ? total : S.kcls[cls]), "kmalloc: not the smallest class that fits (ksize)");
    S.allocs[KM]++;
    S.add_class = cls;
    model_add(p, KM, total, S.next_id++, 0);
    return p;
}
static void do_krealloc(size_t i, size_t size)
{
    obj b = live[i];
    unsigned long nulls0 = S.get_nulls, bad0 = S.bad_gets;
    int oc = b.kc, nc = kclass(size);
    size_t keep = b.req < size ? b.req : size, old = XALLOC_DEBUG >= 3 ? b.req : S.kcls[oc];
    unsigned char *q;
    check_bytes(i);
    q = (unsigned char *)xslab_krealloc(S.k, b.p, size);
    FUZZ_LOG("  krealloc(%p [%zu], %zu) = %p\n", (void *)b.p, b.req, size, (void *)q);
    if (size == 0) {
        FUZZ_CHECK(q == NULL, "krealloc to 0 returned an object");
        model_remove(i);
        S.frees[KM]++;
        return;
    }
    if (!q) {
        FUZZ_CHECK(nc < 0 || (nc != oc && size > S.kcls[oc]), "krealloc failed though the object could stay in place");
        if (nc >= 0) check_no_false_oom(KM, nc, nulls0, bad0);
        check_bytes(i);
        return;
    }
    FUZZ_CHECK(fuzz_intact(q, keep, b.id), "krealloc lost the object's bytes");
    /* the manual: in place when size stays in the class, or when shrinking
     * and the smaller class has no room; else moved */
    if (q == b.p) FUZZ_CHECK(nc == oc || size <= S.kcls[oc], "krealloc stayed in place in a class that does not fit");
    else FUZZ_CHECK(nc != oc && (size > S.kcls[oc] || (nc < oc && size <= old)), "krealloc moved an object that should have stayed in place");
    if (q != b.p) FUZZ_CHECK(xslab_ksize(S.k, q) == (XALLOC_DEBUG >= 3 ? size : S.kcls[nc]), "krealloc: not the smallest class that fits");
    memmove(&live[i], &live[i + 1], (S.nlive - i - 1) * sizeof live[0]);
    S.nlive--;
    if (q != b.p) { S.dead[S.dead_pos] = b.p; S.dead_owner[S.dead_pos] = KM; S.dead_pos = (S.dead_pos + 1) % NDEAD; if (S.ndead < NDEAD) S.ndead++; }
    S.allocs[KM]++;
    S.frees[KM]++;
    S.add_class = q == b.p ? oc : nc;
    model_add(q, KM, size, b.id, keep);
}

/* Where a pointer lands, from the walks: *obj_owner the owner of an object
 * starting at p (-1: none; *used its state), *slab_owner the owner of a
 * slab holding p (-1: none known). */
static void classify(const unsigned char *p, int *obj_owner, int *used, int *slab_owner)
{
    int o;
    size_t i;
    *obj_owner = *slab_owner = -1;
    *used = 0;
    for (o = 0; o < NOWNERS; o++) {
        uintptr_t m;
        if (o == KM ? !S.k : !S.c[o]) continue;
        m = ~(uintptr_t)(S.slab[o] - 1);
        walk_owner(o);
        for (i = 0; i < nwalk; i++) {
            if (walkv[i].p == p) { *obj_owner = o; *used = walkv[i].used; }
            if (((uintptr_t)walkv[i].p & m) == ((uintptr_t)p & m)) *slab_owner = o;
        }
    }
}

/* Hand p to free / kfree / krealloc / ksize of `into` and expect `e`. */
static void bad_free(int into, unsigned char *p, xalloc_error e, unsigned how)
{
    if (XALLOC_DEBUG < 1 || e == XALLOC_OK) return;
    FUZZ_LOG("  misuse: %s of %p into %c: expect %s\n", into != KM ? "free" : how == 1 ? "krealloc" : how == 2 ? "ksize" : "kfree", (void *)p,
             "ABK"[into], xalloc_error_name(e));
    expect_err(e);
    if (into != KM) xslab_free(S.c[into], p);
    else if (how == 1) FUZZ_CHECK(xslab_krealloc(S.k, p, 16) == NULL, "krealloc of a bad pointer returned an object");
    else if (how == 2) FUZZ_CHECK(xslab_ksize(S.k, p) == 0, "ksize of a bad pointer is not 0");
    else xslab_kfree(S.k, p);
}

static void op_misuse(fuzz_in *in)
{
    unsigned kind = fuzz_u8(in), k = fuzz_u16(in), off = fuzz_u16(in);
    int into = (int)(kind >> 3) % NOWNERS, used = 0, owner = -1;
    unsigned how = (kind >> 5) % 3;
    if (into == KM ? !S.k : !S.c[into]) into = CA;
    switch (kind & 7) {
    case 0: /* outside the region (region mode; with callbacks a pointer must be readable) */
        if (!S.callbacks) bad_free(into, (off & 1) ? S.region - 1 - (off >> 1) % 4096 : S.region + S.region_size + (off >> 1) % 4096, XALLOC_E_FOREIGN, how);
        break;
    case 1: { /* inside a live object, not at its start */
        obj *b;
        size_t n;
        if (!S.nlive) break;
        b = &live[k % S.nlive];
        n = span_of(b->owner, b->req);
        if (n < 2) break;
        bad_free(b->owner, b->p + 1 + off % (n - 1), XALLOC_E_NOT_BLOCK, how);
        break;
    }
    case 2: { /* a live object of one owner handed to another */
        obj *b;
        if (!S.nlive) break;
        b = &live[k % S.nlive];
        if (b->owner == into) break;
        bad_free(into, b->p, XALLOC_E_FOREIGN, how);
        break;
    }
    case 3: { /* double free: an object given back earlier: in the magazine or on its slab
               * (double free), its slab now another cache's or given back (foreign), its
               * slab made again with other colouring (not an object's start) */
        unsigned char *d;
        int slab_owner;
        if (!S.ndead) break;
        d = S.dead[k % S.ndead];
        into = S.dead_owner[k % S.ndead];
        if (find(d) != NONE) break; /* handed out again */
        classify(d, &owner, &used, &slab_owner);
        if (owner >= 0 && used) break; /* cannot be: the model holds every used object */
        if (slab_owner == into) bad_free(into, d, owner == into ? XALLOC_E_DOUBLE_FREE : XALLOC_E_NOT_BLOCK, how);
        else if (slab_owner >= 0 || !S.callbacks) bad_free(into, d, XALLOC_E_FOREIGN, how);
        break;
    }
    case 4: { /* level 2: write into an object just freed; the magazine hands it out next */
        obj b;
        size_t i, n, at;
        unsigned char *q;
        if (XALLOC_DEBUG < 2 || XSLAB_MAGAZINE == 0 || !S.nlive) break;
        i = k % S.nlive;
        b = live[i];
        if (b.owner == CA && (S.ctor || S.dtor)) break; /* objects of a cache with a ctor or dtor are not poisoned */
        n = b.owner == KM ? S.kcls[b.kc] : S.size[b.owner];
        if (n <= P) break;
        /* a krealloc that shrank in place leaves the object in a class
         * larger than its request's: kmalloc(req) takes from another one */
        if (b.owner == KM && b.kc > 0 && b.req <= S.kcls[b.kc - 1]) break;
        at = P + off % (n - P);
        do_free(i);
        settle();
        FUZZ_LOG("  misuse: write after free at %p + %zu\n", (void *)b.p, at);
        fuzz_poke(b.p + at, (unsigned char)(XSLAB_POISON_BYTE ^ 0x5A));
        /* level 4: the check every call makes first finds the poison broken,
         * the call fails; the byte put back, all is well again */
        expect_err(XALLOC_DEBUG >= 4 ? XALLOC_E_CORRUPT : XALLOC_E_USE_AFTER_FREE);
        /* the same class: krealloc may have grown b in place past max_size
         * (its class is then the last one, which max_size reaches) */
        if (b.owner == KM && b.req > S.kmax) b.req = S.kmax;
        if (b.owner == KM) q = (unsigned char *)xslab_kmalloc(S.k, b.req);
        else q = (unsigned char *)xslab_alloc(S.c[b.owner]);
        if (XALLOC_DEBUG >= 4) {
            FUZZ_CHECK(q == NULL, "level 4: a call went on though the check failed");
            fuzz_poke(b.p + at, (unsigned char)XSLAB_POISON_BYTE);
            break;
        }
        FUZZ_CHECK(q == b.p, "the magazine did not hand back the object freed last");
        S.allocs[b.owner]++;
        S.add_class = b.kc;
        model_add(q, b.owner, b.req, S.next_id++, 0);
        break;
    }
    case 5: { /* level 3: overrun into the red zone, then check and free must say so */
        obj *b;
        size_t n, j, len;
        unsigned char saved[8];
        if (XALLOC_DEBUG < 3 || !S.nlive) break;
        b = &live[k % S.nlive];
        n = span_of(b->owner, b->req);
        len = 1 + off % 8;
        if (len > XSLAB_REDZONE) len = XSLAB_REDZONE;
        FUZZ_LOG("  misuse: overrun %p [%zu] by %zu\n", (void *)b->p, n, len);
        for (j = 0; j < len; j++) { saved[j] = fuzz_peek(b->p + n + j); fuzz_poke(b->p + n + j, (unsigned char)~saved[j]); }
        expect_err(XALLOC_E_CORRUPT);
        FUZZ_CHECK((b->owner == KM ? xslab_kmem_check(S.k) : xslab_check(S.c[b->owner])) != NULL, "check missed an overrun");
        settle();
        expect_err(XALLOC_DEBUG >= 4 ? XALLOC_E_CORRUPT : XALLOC_E_OVERRUN);
        if (b->owner == KM) xslab_kfree(S.k, b->p);
        else xslab_free(S.c[b->owner], b->p);
        settle();
        for (j = 0; j < len; j++) fuzz_poke(b->p + n + j, saved[j]);
        break;
    }
    case 6: /* anywhere in a slab of a live object: colour, gaps, slack, header */
        if (S.nlive) {
            obj *b = &live[k % S.nlive];
            unsigned char *base = (unsigned char *)((uintptr_t)b->p & ~(uintptr_t)(S.slab[b->owner] - 1));
            unsigned char *p = base + ((size_t)off * 7u) % S.slab[b->owner];
            int slab_owner;
            classify(p, &owner, &used, &slab_owner);
            if (owner >= 0) break; /* an object's start */
            bad_free(b->owner, p, XALLOC_E_NOT_BLOCK, how);
        }
        break;
    default: /* NULL is a no-op */
        xslab_free(S.c[CA], NULL);
        if (S.k) { xslab_kfree(S.k, NULL); FUZZ_CHECK(xslab_ksize(S.k, NULL) == 0, "ksize(NULL) is not 0"); }
        break;
    }
}

enum { OP_ALLOC_A, OP_ALLOC_B, OP_FREE, OP_KMALLOC, OP_KCALLOC, OP_KREALLOC, OP_SHRINK, OP_DESTROY, OP_STATS,
       OP_WALK_STOP, OP_DUMP, OP_MISUSE, OP_FILL, OP_FREE_EVERY, OP_CHECK, OP_FREE2, NOPS };
static const char *const op_names[NOPS] = { "alloc A", "alloc B", "free", "kmalloc", "kcalloc", "krealloc", "shrink",
                                            "destroy", "stats", "walk (stopped)", "dump", "misuse", "fill",
                                            "free every m-th", "check", "free" };

static unsigned long dump_lines, walk_calls, walk_after;
static void dump_line(void *user, const char *line)
{
    size_t n = strlen(line);
    FUZZ_CHECK(user == &S, "dump: wrong user pointer");
    FUZZ_CHECK(n >= 2 && line[n - 1] == '\n' && memchr(line, '\n', n - 1) == NULL, "dump: not one line ending in a newline");
    dump_lines++;
}
static bool walk_stop_cb(void *user, void *o, size_t size, bool used)
{
    (void)user; (void)o; (void)size; (void)used;
    return ++walk_calls < walk_after;
}

static size_t dec_ksize(unsigned v)
{
    switch (v >> 14) {
    case 0: return v & 31;
    case 1: return v & 255;
    default: return (size_t)(v & 0x3FFF) % (S.kmax + 2); /* sometimes one past max_size */
    }
}

/* Drop every live object of an owner from the model (destroy took them). */
static void drop_owner(int owner)
{
    size_t i;
    for (i = 0; i < S.nlive;) {
        if (live[i].owner == owner) { memmove(&live[i], &live[i + 1], (S.nlive - i - 1) * sizeof live[0]); S.nlive--; }
        else i++;
    }
    S.ndead = S.dead_pos = 0; /* their memory went back: no double frees of it */
}

static void run_op(fuzz_in *in, unsigned op)
{
    while (S.nlive > MAXLIVE - 70) { do_free(op % S.nlive); settle(); }
    switch (op) {
    case OP_ALLOC_A:
        do_alloc(CA);
        break;
    case OP_ALLOC_B:
        if (S.c[CB]) do_alloc(CB);
        else if (S.k) do_kmalloc(dec_ksize(fuzz_u16(in)), 0, 0);
        else do_alloc(CA);
        break;
    case OP_FREE: case OP_FREE2: {
        unsigned k = fuzz_u16(in);
        if (S.nlive) do_free(k % S.nlive);
        break;
    }
    case OP_KMALLOC: {
        unsigned v = fuzz_u16(in);
        if (S.k) do_kmalloc(dec_ksize(v), 0, 0);
        else do_alloc(CA);
        break;
    }
    case OP_KCALLOC: {
        unsigned c = fuzz_u8(in), v = fuzz_u16(in);
        if (!S.k) break;
        if (c & 0x80) do_kmalloc((size_t)1 << (v % 20), 1, (size_t)1 << ((v >> 5) % 20)); /* products near and past max */
        else do_kmalloc(dec_ksize(v) / (c % 8 + 1), 1, c % 8 + 1);
        break;
    }
    case OP_KREALLOC: {
        unsigned k = fuzz_u16(in), v = fuzz_u16(in);
        size_t i, j;
        if (!S.k) break;
        for (i = 0, j = k; i < S.nlive && live[j % S.nlive].owner != KM; i++, j++) { }
        if (i == S.nlive) { /* no kmalloc object: krealloc(NULL) is kmalloc */
            size_t size = dec_ksize(v);
            int cls = kclass(size);
            unsigned long nulls0 = S.get_nulls, bad0 = S.bad_gets;
            unsigned char *p = (unsigned char *)xslab_krealloc(S.k, NULL, size);
            FUZZ_LOG("  krealloc(NULL, %zu) = %p\n", size, (void *)p);
            if (cls < 0) FUZZ_CHECK(p == NULL, "kmalloc larger than max_size succeeded");
            else if (!p) check_no_false_oom(KM, cls, nulls0, bad0);
            else { S.allocs[KM]++; S.add_class = cls; model_add(p, KM, size, S.next_id++, 0); }
            break;
        }
        do_krealloc(j % S.nlive, (v & 0x8000) ? 0 : dec_ksize(v));
        break;
    }
    case OP_SHRINK: {
        unsigned w = fuzz_u8(in);
        size_t i;
        if ((w & 1) && S.k) xslab_kmem_shrink(S.k);
        else xslab_shrink(S.c[(w >> 1) & 1 && S.c[CB] ? CB : CA]);
        if (!((w & 1) && S.k)) {
            xslab_stats s;
            xslab_stats_get(S.c[(w >> 1) & 1 && S.c[CB] ? CB : CA], &s);
            FUZZ_CHECK(s.empty_slabs == 0, "shrink left an empty slab");
        } else {
            for (i = 0; i < S.nk; i++) {
                xslab_stats s;
                xslab_kmem_stats_get(S.k, i, &s);
                FUZZ_CHECK(s.empty_slabs == 0, "kmem shrink left an empty slab");
            }
        }
        break;
    }
    case OP_DESTROY: { /* rare: destroy a cache with objects live; it stays usable */
        unsigned w = fuzz_u8(in);
        size_t n = 0, i, got;
        int o = (w & 1) && S.c[CB] ? CB : (w & 2) && S.k ? KM : CA;
        if ((w & 0xF0) != 0xF0) break;
        for (i = 0; i < S.nlive; i++) if (live[i].owner == o) n++;
        got = o == KM ? xslab_kmem_destroy(S.k) : xslab_cache_destroy(S.c[o]);
        FUZZ_LOG("  destroy(%c) = %zu\n", "ABK"[o], got);
        FUZZ_CHECK(got == n, "destroy did not return the objects still live");
        S.frees[o] += n;
        if (o == CA) S.dropped_constructed += n; /* dropped live: never destructed */
        drop_owner(o);
        break;
    }
    case OP_STATS:
        check_all(1, FUZZ_ASK);
        break;
    case OP_WALK_STOP: {
        size_t total;
        walk_after = 1 + fuzz_u8(in) % 8;
        walk_owner(CA);
        total = nwalk;
        walk_calls = 0;
        xslab_walk(S.c[CA], walk_stop_cb, &S);
        if (walk_overflow) FUZZ_CHECK(walk_calls <= walk_after, "walk did not stop when told");
        else FUZZ_CHECK(walk_calls == (total < walk_after ? total : walk_after), "walk did not stop when told");
        if (S.k) { walk_calls = 0; xslab_kmem_walk(S.k, walk_stop_cb, &S); FUZZ_CHECK(walk_calls <= walk_after, "kmem walk did not stop when told"); }
        break;
    }
    case OP_DUMP:
        dump_lines = 0;
        xslab_dump(S.c[CA], dump_line, &S);
        if (S.k) xslab_kmem_dump(S.k, dump_line, &S);
        FUZZ_CHECK(dump_lines >= 1, "dump printed nothing");
        break;
    case OP_MISUSE:
        if (S.misuse) op_misuse(in);
        else do_alloc(CA);
        break;
    case OP_FILL: {
        unsigned w = fuzz_u8(in), n = 0;
        int o = (w & 1) && S.c[CB] ? CB : (w & 2) && S.k ? KM : CA;
        size_t ks = dec_ksize(fuzz_u16(in));
        while (S.nlive < MAXLIVE - 70 && n++ < 64) {
            void *p = o == KM ? do_kmalloc(ks, 0, 0) : do_alloc(o);
            settle();
            if (!p) break;
        }
        break;
    }
    case OP_FREE_EVERY: {
        unsigned m = 2 + fuzz_u8(in) % 3;
        size_t i = fuzz_u8(in) % m;
        while (i < S.nlive) { do_free(i); settle(); i += m - 1; }
        break;
    }
    case OP_CHECK:
        check_all(0, FUZZ_ASK);
        break;
    }
}

/* ---- set-up ------------------------------------------------------------------------- */
static size_t dec_size(unsigned v)
{
    switch (v >> 14) {
    case 0: return 1 + (v & 15);
    case 1: return 1 + (v & 127);
    case 2: return 1 + (v & 1023);
    default: return 1 + (v & 0x3FFF);
    }
}

static xslab_cache *cache_init(struct box *bx, xslab_cache_desc *d, int owner)
{
    xslab_cache *c;
    guard_set(bx->before, GUARD);
    guard_set(bx->after, GUARD);
    c = xslab_cache_init(&bx->c, d);
    FUZZ_LOG("cache_init(%c: size %zu, align %zu, slab %zu, ctor %d, dtor %d, keep %u, flags %u) = %p\n", "AB"[owner], d->size,
             d->align, d->slab_size, d->ctor != NULL, d->dtor != NULL, d->keep_empty, d->flags, (void *)c);
    if (!c) {
        /* refused: a bad argument, or no object fits a slab; a small object
         * in a slab of at least 4 times its aligned size always fits */
        size_t a = d->align ? d->align : 16, slab = d->slab_size ? d->slab_size : S.page;
        FUZZ_CHECK((d->align & (d->align - 1)) || d->size + a + 64 > slab / 4, "cache_init refused a small object");
        expect_err(XALLOC_E_BADARG);
        return NULL;
    }
    {
        xslab_stats s;
        xslab_stats_get(c, &s);
        S.size[owner] = s.objsize;
        S.align[owner] = s.align;
        S.slab[owner] = s.slab_size;
        S.walk_ok[owner] = XALLOC_DEBUG >= 1 || s.objperslab <= 256;
        if (s.objperslab > S.objper) S.objper = s.objperslab;
        FUZZ_CHECK(s.objsize == d->size && (!d->align || s.align == d->align) && !(s.align & (s.align - 1)), "cache: size or alignment not as asked");
        FUZZ_CHECK(!d->slab_size || s.slab_size == d->slab_size, "cache: slab size not as asked");
        S.keep[owner] = (d->flags & XSLAB_RELEASE_EMPTY) ? 0 : d->keep_empty ? d->keep_empty : XSLAB_KEEP_EMPTY;
    }
    return c;
}

FUZZ_RUN(const uint8_t *data, size_t size)
{
    fuzz_in in = { data, size };
    unsigned flags = fuzz_u8(&in), pg = fuzz_u8(&in), rs = fuzz_u16(&in) & LEVEL4_CAP(0xFFFF), roff = fuzz_u8(&in);
    unsigned a_size = fuzz_u16(&in), a_align = fuzz_u8(&in), a_bits = fuzz_u8(&in);
    unsigned b_size = fuzz_u16(&in), b_align = fuzz_u8(&in);
    unsigned k_min = fuzz_u8(&in), k_max = fuzz_u16(&in), k_bits = fuzz_u8(&in);
    unsigned seed = fuzz_u8(&in), intervals = fuzz_u8(&in);
    xslab_pages_desc pd;
    xslab_cache_desc cd;
    xslab_kmem_desc kd;
    xalloc_hooks hooks;
    unsigned long nops = 0;
    size_t i;
    int o;

    memset(&S, 0, sizeof S);
    S.hooked = !(flags & 16);
    S.misuse = (flags & 1) && S.hooked;
    S.lock_mode = S.hooked ? (int)(flags >> 1 & 3) : 0;
    S.lone = S.lock_mode >= 2 ? S.lock_mode : 0;
    S.callbacks = (flags & 8) != 0;
    S.misbehave = S.callbacks && (flags & 128) && XALLOC_DEBUG >= 1;
    S.check_every = 1u << (2 * (intervals & 3));
    S.stats_every = (intervals >> 2 & 3) == 0 ? 0 : 1u << (6 - 3 * ((intervals >> 2 & 3) - 1));
    S.next_id = 1;
    fuzz_op_index = 0;
    fuzz_op_name = "init";
    if (!arena) arena = (unsigned char *)(((uintptr_t)store + GUARD + ALIGN64K - 1) & ~(ALIGN64K - 1));
    fuzz_unpoison(store, sizeof store);
    memset(used_gran, 0, sizeof used_gran);
    guard_set(boxA.before, GUARD);
    guard_set(boxA.after, GUARD);
    guard_set(boxB.before, GUARD);
    guard_set(boxB.after, GUARD);

    hooks.error = on_error;
    hooks.user = &S;
    hooks.lock = (S.lock_mode == 1 || S.lock_mode == 2) ? on_lock : NULL;
    hooks.unlock = (S.lock_mode == 1 || S.lock_mode == 3) ? on_unlock : NULL;
    if (!S.hooked) { hooks.error = NULL; hooks.lock = hooks.unlock = NULL; }
    /* a page source: its lock would nest inside a cache's, so it has none here */
    memset(&pd, 0, sizeof pd);
    pd.hooks.error = hooks.error;
    pd.hooks.user = &S;
    S.page = (size_t)64 << (pg % 11);
    pd.page_size = S.page;
    guard_set(pbox.before, GUARD);
    guard_set(pbox.after, GUARD);
    if (S.callbacks) {
        pd.get = on_get;
        pd.put = on_put;
        pd.user = &S.ngets;
        S.pool_limit = ((size_t)rs + 1) * 16;
        lone_pages(NULL, 0, &pd);
        S.ps = xslab_pages_init(&pbox.ps, NULL, 0, &pd);
        FUZZ_CHECK(S.ps != NULL, "pages_init refused callbacks");
    } else {
        S.region = arena + roff;
        S.region_size = ((size_t)rs + 1) * 16;
        guard_set(S.region - GUARD, GUARD);
        guard_set(S.region + S.region_size, GUARD);
        fuzz_scribble(S.region, S.region_size, seed);
        lone_pages(S.region, S.region_size, &pd);
        S.ps = xslab_pages_init(&pbox.ps, S.region, S.region_size, S.hooked ? &pd : NULL);
        if (!S.hooked) S.page = XSLAB_PAGE_SIZE;
        FUZZ_LOG("pages_init(region %zu bytes at +%u, page %zu) = %p\n", S.region_size, roff, S.page, (void *)S.ps);
        {
            uintptr_t first = ((uintptr_t)S.region + S.page - 1) & ~(uintptr_t)(S.page - 1);
            size_t whole = first - (uintptr_t)S.region < S.region_size ? (S.region_size - (first - (uintptr_t)S.region)) / S.page : 0;
            if (!S.ps) {
                FUZZ_CHECK(whole == 0, "pages_init refused a region with a whole page");
                expect_err(XALLOC_E_BADARG);
                settle();
                return 0;
            }
            {
                xslab_pages_stats ps;
                xslab_pages_stats_get(S.ps, &ps);
                FUZZ_CHECK(ps.pages == whole && ps.page_size == S.page && ps.slabs_out == 0, "pages: not every whole aligned page of the region");
            }
        }
    }
    settle();

    /* cache A */
    memset(&cd, 0, sizeof cd);
    cd.hooks = hooks;
    cd.pages = S.ps;
    cd.name = (a_bits & 0x30) == 0x30 ? "fuzz-a" : NULL;
    cd.size = dec_size(a_size);
    cd.align = a_align % 5 == 0 ? 0 : (size_t)1 << (a_align % 13);
    cd.slab_size = (a_bits & 3) ? S.page << ((a_bits & 3) - 1) : 0;
    if (!S.callbacks && cd.slab_size != S.page) cd.slab_size = 0; /* a region's slabs are pages */
    S.ctor = (a_bits >> 2) & 1;
    S.dtor = (a_bits >> 3) & 1;
    cd.ctor = S.ctor ? on_ctor : NULL;
    cd.dtor = S.dtor ? on_dtor : NULL;
    cd.obj_user = &S.ctors;
    cd.keep_empty = (a_bits >> 4) & 3;
    cd.flags = (a_bits >> 6) & 3;
    FUZZ_LONE_LOCK(xslab_cache_init(&boxA.c, &cd), hooks, expect_err(XALLOC_E_BADARG)); /* (then cache B and the kmem have no lock either) */
    cd.hooks = hooks;
    S.c[CA] = cache_init(&boxA, &cd, CA);
    settle();
    if (!S.c[CA]) return 0;
    if (flags & 32) {
        memset(&cd, 0, sizeof cd);
        cd.hooks = hooks;
        cd.pages = S.ps;
        cd.size = dec_size(b_size);
        cd.align = b_align % 5 == 0 ? 0 : (size_t)1 << (b_align % 13);
        S.c[CB] = cache_init(&boxB, &cd, CB);
        settle();
    }
    if (flags & 64) {
        memset(&kd, 0, sizeof kd);
        kd.hooks = hooks;
        kd.pages = S.ps;
        kd.min_size = (k_min & 1) ? 16 : 0;
        kd.max_size = k_max ? (size_t)k_max % 4096 + 1 : 0;
        kd.slab_size = S.callbacks && (k_bits & 3) ? S.page << ((k_bits & 3) - 1) : 0;
        kd.keep_empty = (k_bits >> 4) & 3;
        kd.flags = (k_bits >> 6) & 3;
        lone_kmem(kbox + GUARD, &kd); /* (kd has no lock now: FUZZ_LONE_LOCK dropped it) */
        S.kneed = xslab_kmem_size(&kd);
        FUZZ_LOG("kmem_size(min %zu, max %zu, slab %zu, keep %u, flags %u; page %zu) = %zu\n", kd.min_size, kd.max_size,
                 kd.slab_size, kd.keep_empty, kd.flags, S.page, S.kneed);
        if (S.kneed && S.kneed <= KMEM_MAX) {
            guard_set(kbox, GUARD);
            guard_set(kbox + GUARD + S.kneed, GUARD);
            S.k = xslab_kmem_init(kbox + GUARD, S.kneed, &kd);
            FUZZ_CHECK(S.k != NULL, "kmem_init refused the memory kmem_size asked for");
            S.kkeep = (kd.flags & XSLAB_RELEASE_EMPTY) ? 0 : kd.keep_empty ? kd.keep_empty : XSLAB_KEEP_EMPTY;
            S.nk = xslab_kmem_classes(S.k);
            FUZZ_CHECK(S.nk >= 1 && S.nk <= 64, "kmem: class count");
            for (i = 0; i < S.nk; i++) {
                xslab_stats s;
                FUZZ_CHECK(xslab_kmem_stats_get(S.k, i, &s), "kmem: stats of a class");
                S.kcls[i] = s.objsize;
                S.slab[KM] = s.slab_size;
                S.walk_ok[KM] = i == 0 ? XALLOC_DEBUG >= 1 || s.objperslab <= 256 : S.walk_ok[KM] && (XALLOC_DEBUG >= 1 || s.objperslab <= 256);
                if (s.objperslab > S.objper) S.objper = s.objperslab;
                FUZZ_CHECK(!i || s.objsize > S.kcls[i - 1], "kmem: classes not increasing");
                FUZZ_CHECK(s.align == (s.objsize & (0u - s.objsize)), "kmem: a class is not aligned to the largest power of two dividing it");
            }
            FUZZ_CHECK(!xslab_kmem_stats_get(S.k, S.nk, &(xslab_stats){0}), "kmem: stats of a class past the last");
            FUZZ_CHECK(S.kcls[0] == (kd.min_size ? 16u : 8u), "kmem: smallest class is not min_size");
            S.kmax = kd.max_size ? kd.max_size : S.kcls[S.nk - 1];
            FUZZ_CHECK(S.kmax <= S.kcls[S.nk - 1] && (S.nk == 1 || S.kmax > S.kcls[S.nk - 2]), "kmem: classes do not end at max_size");
        } else if (!S.kneed) {
            expect_err(XALLOC_E_BADARG);
            FUZZ_CHECK(xslab_kmem_init(kbox + GUARD, KMEM_MAX, &kd) == NULL, "kmem_init accepted what kmem_size refused");
        }
        settle();
    }
    check_all(1, FUZZ_INIT);
    settle();

    while (in.n && nops < 4096) {
        unsigned op = fuzz_u8(&in) % NOPS;
        fuzz_op_index = ++nops;
        fuzz_op_name = op_names[op];
        run_op(&in, op);
        settle();
        fuzz_changes++;
        check_all(S.stats_every && nops % S.stats_every == 0, FUZZ_DUE);
        settle();
    }

    /* the end: everything freed, the caches destroyed: every slab back with
     * the page source, every constructed object destructed */
    fuzz_op_index = ++nops;
    fuzz_op_name = "final check";
    check_all(1, FUZZ_END);
    settle();
    fuzz_op_name = "free everything";
    if (S.nlive) fuzz_changes++;
    while (S.nlive) { do_free(S.nlive - 1); settle(); }
    check_all(1, FUZZ_END);
    settle();
    fuzz_op_name = "destroy";
    for (o = 0; o < 2; o++) if (S.c[o]) FUZZ_CHECK(xslab_cache_destroy(S.c[o]) == 0, "destroy of an empty cache returned live objects");
    if (S.k) FUZZ_CHECK(xslab_kmem_destroy(S.k) == 0, "destroy of an empty kmem returned live objects");
    settle();
    {
        xslab_pages_stats ps;
        xslab_pages_stats_get(S.ps, &ps);
        FUZZ_CHECK(ps.slabs_out == 0, "slabs still out after every cache was destroyed");
        if (S.callbacks) FUZZ_CHECK(S.ngets == 0, "the callbacks did not get back every slab");
        if (S.ctor && S.dtor) FUZZ_CHECK(S.ctors == S.dtors + S.dropped_constructed, "constructors and destructors do not pair up");
    }
    fuzz_changes++; /* the destroys */
    check_all(1, FUZZ_END);
    settle();
    return 0;
}
#endif /* FUZZ_VARIANT */
