/* xalloc_slab.h - object caches carved from slabs, and a kmalloc of size
 * classes over them.   v0.1
 * Part of xalloc: drop-in, freestanding allocators in single C headers.
 *
 * WHAT IT IS
 *   Bonwick's slab allocator. A cache hands out objects of one size and
 *   alignment, carved from slabs: power-of-two blocks of memory aligned to
 *   their size, taken from a page source (a fixed region you give it, or a
 *   pair of callbacks, so that xalloc_buddy.h, xalloc.h or an OS feeds it).
 *   A free finds its slab by masking the pointer; free objects are linked
 *   through themselves; there is no per-object header. Optional constructor
 *   and destructor (objects stay constructed while cached), cache colouring,
 *   any power-of-two alignment up to the slab size. On top, a kmalloc: size
 *   classes from 8 bytes to a limit you choose, with kmalloc/kfree/krealloc.
 *   Depends on no other xalloc header. No libc, no global state, no
 *   recursion; C99/C++11 and later.
 *
 * USE
 *   In exactly one C or C++ file:
 *       #define XALLOC_IMPLEMENTATION
 *       #include "xalloc_slab.h"
 *   Everywhere else just #include "xalloc_slab.h".
 *
 *       static unsigned char region[64 * 1024];     // 4096-aligned: 16 pages,
 *       static xslab_pages pages;                   // else 15 (whole pages only)
 *       static xslab_cache particles;
 *       xslab_cache_desc d = {0};                   // zero: every default
 *       xslab_pages_init(&pages, region, sizeof region, NULL); // 4 KiB pages
 *       d.pages = &pages;
 *       d.size  = sizeof(struct particle);
 *       xslab_cache_init(&particles, &d);
 *       struct particle *p = (struct particle *)xslab_alloc(&particles);
 *       xslab_free(&particles, p);
 *
 *   A kmalloc on the same pages (its record: xslab_kmem_size(&kd) bytes):
 *       xslab_kmem_desc kd = {0};
 *       static unsigned char kmem_mem[6144];        // 5.1 KiB on 64-bit here
 *       kd.pages = &pages;
 *       kd.max_size = 512;                          // classes 8 .. 512
 *       xslab_kmem *k = xslab_kmem_init(kmem_mem, sizeof kmem_mem, &kd);
 *       char *s = (char *)xslab_kmalloc(k, 100);    // the 128-byte class
 *       s = (char *)xslab_krealloc(k, s, 300);      // moved to the 384-byte one
 *       xslab_kfree(k, s);
 *
 * API (cost in brackets; n = objects per slab)
 *   Page source (xslab_pages: sizeof(xslab_pages) bytes of yours):
 *   xslab_pages_init(ps, mem, size, desc) -> ps, or NULL (bad description,
 *       a region without a whole page). mem != NULL: a region, cut into
 *       pages of desc->page_size, each aligned to that size; mem == NULL:
 *       desc->get and desc->put supply slabs. desc may be NULL (a region of
 *       XSLAB_PAGE_SIZE pages).                                        [O(1)]
 *   xslab_pages_stats_get(ps, out)                                     [O(1)]
 *
 *   Caches (xslab_cache: sizeof(xslab_cache) bytes of yours):
 *   xslab_cache_init(c, desc)  -> c, or NULL (bad description)         [O(1);
 *                                 a default slab size: O(log slab)]
 *   xslab_alloc(c)             -> an object, or NULL when the page source
 *                                 has no slab                          [O(1);
 *                                 a new slab: + O(n) and n constructor calls]
 *   xslab_free(c, p)           -> NULL is a no-op                      [O(1);
 *                                 a full magazine: + O(XSLAB_MAGAZINE);
 *                                 a slab given back: + n destructor calls]
 *   xslab_shrink(c)            -> slabs given back: the magazine emptied,
 *                                 then every empty slab (and the current
 *                                 one if it is empty)
 *                                             [O(empty slabs), + dtor calls]
 *   xslab_cache_destroy(c)     -> the objects that were still live. Every
 *                                 slab goes back, free objects destructed;
 *                                 the cache is empty and usable. [O(slabs*n)]
 *   xslab_stats_get(c, out)    -> slabinfo numbers and counters (empties
 *                                 the magazine first, so that they are
 *                                 exact)                  [O(XSLAB_MAGAZINE)]
 *   xslab_check(c)             -> NULL, or the first broken invariant
 *   xslab_walk(c, fn, user)    -> each object, used or free
 *   xslab_dump(c, print, user) -> a /proc/slabinfo line and counters
 *                                           [check, walk, dump: O(objects)]
 *
 *   kmalloc (xslab_kmem: xslab_kmem_size(desc) bytes of yours):
 *   xslab_kmem_size(desc)      -> bytes xslab_kmem_init needs (any start
 *                                 address), 0 if desc is bad           [O(1)]
 *   xslab_kmem_init(mem, size, desc) -> the front end, or NULL [O(classes)]
 *   xslab_kmalloc(k, size)     -> from the smallest class >= size (size 0:
 *                                 the smallest class); NULL when size is
 *                                 above max_size or no slab can be had [O(1)]
 *   xslab_kcalloc(k, count, size) -> zeroed; NULL when count*size is above
 *                                 max_size (no overflow)      [+ O(size)]
 *   xslab_krealloc(k, p, size) -> in place when size stays in p's class (or
 *                                 when shrinking and the smaller class has
 *                                 no slab); else moved. NULL with p intact
 *                                 on failure; NULL p: kmalloc; size 0: frees
 *                                 p, NULL                [O(1) + the copy]
 *   xslab_kfree(k, p)          -> finds the class from the slab header [O(1)]
 *   xslab_ksize(k, p)          -> bytes usable at p: the class size (the
 *                                 requested size at XALLOC_DEBUG >= 3) [O(1)]
 *   xslab_kmem_classes(k), xslab_kmem_stats_get(k, i, out) (class i, from
 *   the smallest), xslab_kmem_shrink / _destroy / _check / _walk / _dump:
 *   as for a cache, over every class.
 *
 * ERRORS
 *   Misuse is reported through desc->hooks.error with an xalloc_error code
 *   and the pointer, and the call then changes nothing (free does nothing,
 *   alloc returns NULL, init returns NULL):
 *     XALLOC_E_BADARG       bad description (sizes, alignment, page source);
 *                           level >= 1: a callback page source gave a slab
 *                           not aligned to its size (put back; alloc NULL)
 *     XALLOC_E_FOREIGN      pointer outside the region, in a slab of another
 *                           cache (or kmem), or in a slab given back
 *     XALLOC_E_NOT_BLOCK    inside a slab, but not at an object's start
 *     XALLOC_E_DOUBLE_FREE  the object is already free
 *     XALLOC_E_OVERRUN      red zone after the object written (level >= 3)
 *     XALLOC_E_USE_AFTER_FREE  a free object was written: its link (level
 *                           >= 1, found when the free list reaches it; the
 *                           slab's free list is rebuilt from its bitmap and
 *                           the allocation goes on) or its poison (level
 *                           >= 2, found when it is handed out again; it is
 *                           handed out all the same)
 *     XALLOC_E_CORRUPT      xslab_check (or, at level 4, the check every
 *                           call makes first) found a broken invariant
 *   The checks of pointers given to free are level >= 1: level 0 trusts the
 *   caller. Running out of slabs is not an error: NULL, and stats.failures
 *   counts it. With a callback page source a pointer is turned into its
 *   slab header by masking and reading, so it must point into readable
 *   memory; with a region, pointers outside it are caught before any read.
 *
 * CONFIGURATION (define before including; the same in every file)
 *   XSLAB_PAGE_SIZE    page size when desc.page_size is 0 (4096)
 *   XSLAB_MIN_OBJECTS  callbacks: a default slab is the smallest power of
 *                      two >= the page size that holds this many objects,
 *                      but at most 32 pages unless one object needs more (8)
 *   XSLAB_KEEP_EMPTY   empty slabs a cache keeps when keep_empty is 0 (1)
 *   XSLAB_COLOUR_STEP  colour offset step, a cache line (64)
 *   XSLAB_POISON_BYTE  fill of free objects at level >= 2 (0x6B)
 *   XSLAB_REDZONE_BYTE fill of red zones at level >= 3 (0xBB)
 *   XSLAB_REDZONE      red zone bytes after each object at level >= 3 (8)
 *   XSLAB_MAGAZINE     objects a cache keeps in its magazine (16; 0: none)
 *   and the shared ones: XALLOC_DEBUG, XALLOC_STATIC, XALLOC_ASSERT,
 *   XALLOC_MEMSET/XALLOC_MEMCPY, XALLOC_NO_BUILTINS.
 *
 * DEBUG LEVELS (XALLOC_DEBUG)
 *   0  no checks and no bitmap: a free is a push onto the magazine, an
 *      alloc a pop (or a slab free-list pop); a bad free corrupts the
 *      cache. check counts each free list but cannot tell an object listed
 *      twice; walk searches the free list for each object (O(n * free
 *      objects) per slab)
 *   1  + one bit per object (set: on its slab's free list), and O(1)
 *      checks: on free the pointer's range, its slab's owner, that it is an
 *      object's start (a multiply and a rotate), its bit and the magazine
 *      (double free: at most XSLAB_MAGAZINE compares); all but the range
 *      and the magazine read one cache line, the slab header's. On an
 *      alloc from a slab, that the object its free list gives is an
 *      object's start in that slab whose bit is set (a damaged link is
 *      reported, the list rebuilt from the bitmap). An alloc from the
 *      magazine costs what it does at level 0 (the default)
 *   2  + free objects of caches without constructor/destructor filled with
 *      XSLAB_POISON_BYTE (all but the link), checked when handed out again
 *                                                              [O(size)]
 *   3  + a red zone of >= XSLAB_REDZONE bytes after each object, and the
 *      requested size kept after it (kmalloc: the bytes between the request
 *      and the class size are red zone too), checked on free [O(red zone)]
 *   4  + the full check of the cache (of every class) first in every call
 *                                                           [O(objects)]
 *
 * SLAB LAYOUT (S = slab size, a power of two; the slab is aligned to S)
 *
 *    base = p & ~(S-1)                                                base + S
 *    [colour][obj 0][obj 1] ... [obj n-1][slack][free bitmap][slab header]
 *
 *   The header is at the END of the slab, so object 0 can sit at the
 *   slab's start and any alignment up to S is possible. It holds next and
 *   prev (the slab's list), the owning cache, the first free object, the
 *   address of object 0 and the objects in use: 5 pointers and 4 bytes, 24
 *   bytes on 32-bit targets, 48 on 64-bit. Before it (level >= 1) the free
 *   bitmap: ceil(n/32) 32-bit words, word j at header - 4*(j+1): 1/8 byte
 *   per object (1.6 % of 8-byte objects, 0.2 % of 64-byte ones).
 *   An object's slot (objects are `stride` bytes apart, a multiple of
 *   max(align, sizeof(void *)); the last one is not padded):
 *     [object: size bytes, at least a pointer][red zone, level >= 3]
 *     [requested size ^ key, 4 bytes, level >= 3][link: with ctor/dtor]
 *   A free object's link (the next free object of its slab) is its first
 *   word; in a cache with a constructor or destructor it lives after the
 *   object, so constructed state is never overwritten, and such objects
 *   are not poisoned. An object's index comes from its offset by one
 *   32-bit multiply by the inverse of the stride's odd part and a rotate
 *   (exact: see xslab__index), never a division. Colouring: successive
 *   slabs put object 0 at 0, 64, 128, ... bytes (multiples of the
 *   alignment) while the slack allows, so that objects at the same index
 *   of different slabs do not compete for the same cache lines.
 *   Under a sanitizer (ASan, or valgrind with XALLOC_VALGRIND=1) all of a
 *   slab before the bitmap is off limits to the program but live objects'
 *   bytes, 16 bytes before the bitmap are kept free as a guard after the
 *   last object, and under ASan every slot is a multiple of its 8-byte
 *   granule: so such builds may fit an object or two fewer per slab.
 *
 * THE MAGAZINE
 *   Each cache keeps the last XSLAB_MAGAZINE (16) objects freed in an array
 *   in its record (Bonwick's magazine layer, of one magazine): an alloc
 *   takes the newest first, so a free followed by an alloc hands back the
 *   same cache-hot object, touches no slab, and steady churn never moves a
 *   slab between lists. Objects in the magazine are free (poisoned at level
 *   2) but still count as in use in their slab, are on no free list, and
 *   their bit is clear. A free that finds the magazine full first puts all
 *   of it back on the slabs' free lists; stats, shrink and destroy empty it
 *   too. So at most XSLAB_MAGAZINE objects keep a slab from being empty.
 *   XSLAB_MAGAZINE 0 turns it off: every free goes to its slab at once.
 *
 * SLAB LISTS AND INVARIANTS (all checked by xslab_check)
 *   Each slab of a cache is either the current slab (allocations come from
 *   it; frees to it move nothing) or on exactly one list: full (every
 *   object in use), partial, empty (none in use). A free (or the magazine
 *   emptying) that empties a slab keeps it on the empty list while fewer
 *   than keep_empty are there, else gives it back to the page source
 *   (destructors first). Allocation takes the magazine, then the current
 *   slab, then a partial one, then an empty one, then a new one from the
 *   page source.
 *   - the cache record's layout (object, slot and stride sizes, objects
 *     per slab, index constants, slab mask, header offset) is what init
 *     computes from its object size, alignment and slab size (checked
 *     first; its page source is not checked);
 *   - every slab's header names its cache; the slab is S-aligned; object 0
 *     is at an allowed colour offset; the lists are consistently linked;
 *   - list membership matches the number of objects in use;
 *   - the free list of a slab holds n - (objects in use) object starts;
 *     level >= 1: exactly the objects whose bit is set, each once; no bits
 *     set past the last object;
 *   - the magazine holds distinct objects of this cache, not on a free
 *     list (level >= 1: bit clear), counted as in use by their slabs;
 *   - level >= 2: free objects keep their poison; level >= 3: every red
 *     zone is intact and every live object's requested size fits;
 *   - the slab and empty-slab counts match the lists, and objects in use
 *     (allocs - frees) = the slabs' objects in use - the magazine's.
 *
 * MEMORY
 *   sizeof(xslab_pages): 128 bytes on 64-bit targets, 64 on 32-bit;
 *   sizeof(xslab_cache): 432 bytes on 64-bit, 272 on 32-bit (of which the
 *   magazine: 16 pointers);
 *   xslab_kmem_size(desc): a small record and one xslab_cache per class,
 *   e.g. 14 classes (8 .. 1024 bytes): 6119 bytes on 64-bit, 3855 on 32-bit.
 *   kmalloc classes: 8, 16, 24, 32, 48, 64, 96, 128, 192, ... (powers of two
 *   and 1.5 times them), from min_size (8 or 16) to max_size: above 16
 *   bytes less than a third of an object is rounding. An object of class c
 *   is aligned to the largest power of two dividing c (48: 16, 64: 64).
 *   All classes of one kmem share one slab size, so kfree can mask.
 *   Counters: objects in use = allocs - frees; slabs = grows - releases.
 *
 * THREADS
 *   Nothing is thread-safe by itself; desc.hooks.lock/unlock (for example
 *   xalloc_spin_lock/xalloc_spin_unlock) serialise the calls of a cache, of
 *   a kmem, and of a region page source shared by several caches (a cache
 *   calls its page source with its own lock held). Both or neither: each
 *   init refuses a lone lock or unlock hook (XALLOC_E_BADARG) at
 *   XALLOC_DEBUG >= 1; level 0 ignores it.
 *
 * LICENSE: MIT or public domain (Unlicense), at the end of this file.
 */
#ifndef XALLOC_SLAB_H
#define XALLOC_SLAB_H

/* ==== xalloc common prelude v2 (identical in every xalloc header; `make check-prelude`) ==== */
#ifndef XALLOC_COMMON_PRELUDE_V2
#define XALLOC_COMMON_PRELUDE_V2
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <limits.h>

/* XALLOC_STATIC: every public function of every xalloc header in this
 * translation unit becomes `static` (define it before the first include). */
#if defined(__GNUC__) || defined(__clang__)
#define XALLOC_UNUSED __attribute__((unused))
#else
#define XALLOC_UNUSED
#endif
#ifndef XALLOC_DEF
#ifdef XALLOC_STATIC
#define XALLOC_DEF static XALLOC_UNUSED
#else
#define XALLOC_DEF extern
#endif
#endif

/* Assertions guard internal invariants only (never user input, which is
 * reported through the error hook). Off unless the user supplies one. */
#ifndef XALLOC_ASSERT
#define XALLOC_ASSERT(x) ((void)0)
#endif

/* Debug level, shared by every header (0..4). Each header documents what
 * each level adds for it; the common meaning is:
 *   0  no checks at all (trust the caller)
 *   1  cheap O(1) checks on free: double free, foreign pointer, broken
 *      back-links; init refuses a lone lock or unlock hook (the default)
 *   2  + poisoning: freed memory is filled and checked when handed out again
 *   3  + canaries / red zones after each block, checked on free
 *   4  + the full structural check on every public call (slow) */
#ifndef XALLOC_DEBUG
#define XALLOC_DEBUG 1
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* What went wrong, as passed to the error hook. XALLOC_OK is never passed. */
typedef enum xalloc_error {
    XALLOC_OK = 0,
    XALLOC_E_BADARG,        /* bad argument: size, count, alignment, region  */
    XALLOC_E_FOREIGN,       /* pointer outside everything this allocator owns */
    XALLOC_E_NOT_BLOCK,     /* inside the allocator, but not a block's start */
    XALLOC_E_DOUBLE_FREE,   /* the block is already free                     */
    XALLOC_E_CORRUPT,       /* metadata damaged (header, back-link, list)     */
    XALLOC_E_OVERRUN,       /* canary or red zone after a block overwritten   */
    XALLOC_E_USE_AFTER_FREE,/* poison in freed memory overwritten             */
    XALLOC_E_RESERVED,      /* free of reserved memory                        */
    XALLOC_E_SIZE_MISMATCH, /* size given to free does not match the block    */
    XALLOC_E_COUNT
} xalloc_error;

/* Error hook: `ptr` is the offending pointer (or address/index cast to a
 * pointer-sized integer where the header hands out no pointers), `what` a
 * short static text. The call that reported the error returns its failure
 * value and leaves the allocator unchanged. */
typedef void (*xalloc_error_fn)(void *user, xalloc_error err, uintptr_t ptr, const char *what);
/* Lock hook: called with `user` on entry to and exit from every public call. */
typedef void (*xalloc_lock_fn)(void *user);
/* Print hook for the dump functions: one NUL-terminated line per call,
 * newline included. */
typedef void (*xalloc_print_fn)(void *user, const char *line);

/* Hooks every allocator takes in its description; all may be NULL. */
typedef struct xalloc_hooks {
    xalloc_error_fn error;  /* misuse reports (NULL: not reported)          */
    xalloc_lock_fn  lock;   /* both or neither: lock around every call      */
    xalloc_lock_fn  unlock; /* (one alone: init fails, XALLOC_E_BADARG, at
                               XALLOC_DEBUG >= 1; ignored at level 0)      */
    void           *user;   /* passed to all three                          */
} xalloc_hooks;

static inline const char *xalloc_error_name(xalloc_error e)
{
    switch (e) {
    case XALLOC_OK:               return "ok";
    case XALLOC_E_BADARG:         return "bad argument";
    case XALLOC_E_FOREIGN:        return "foreign pointer";
    case XALLOC_E_NOT_BLOCK:      return "not the start of a block";
    case XALLOC_E_DOUBLE_FREE:    return "double free";
    case XALLOC_E_CORRUPT:        return "corrupt metadata";
    case XALLOC_E_OVERRUN:        return "overrun";
    case XALLOC_E_USE_AFTER_FREE: return "write after free";
    case XALLOC_E_RESERVED:       return "reserved memory";
    case XALLOC_E_SIZE_MISMATCH:  return "size mismatch";
    case XALLOC_E_COUNT:          break;
    }
    return "unknown";
}

/* A ready-made spinlock for the lock hooks, on compiler atomics (gcc and
 * clang builtins). Point hooks.user at an xalloc_spinlock initialised to 0.
 * Needs hardware atomics: on Cortex-M0 (no LDREX/STREX) use a hook that
 * masks interrupts instead. */
typedef struct xalloc_spinlock { volatile int word; } xalloc_spinlock;
#if defined(__GNUC__) || defined(__clang__)
static inline void xalloc_spin_lock(void *lock)
{
    xalloc_spinlock *l = (xalloc_spinlock *)lock;
    while (__atomic_exchange_n(&l->word, 1, __ATOMIC_ACQUIRE))
        while (__atomic_load_n(&l->word, __ATOMIC_RELAXED)) { }
}
static inline void xalloc_spin_unlock(void *lock)
{
    __atomic_store_n(&((xalloc_spinlock *)lock)->word, 0, __ATOMIC_RELEASE);
}
#endif

#ifdef __cplusplus
}
#endif
#endif /* XALLOC_COMMON_PRELUDE_V2 */
/* ==== end of xalloc common prelude v2 ==== */

/* ---- configuration ------------------------------------------------------ */
#ifndef XSLAB_PAGE_SIZE
#define XSLAB_PAGE_SIZE 4096
#endif
#ifndef XSLAB_MIN_OBJECTS
#define XSLAB_MIN_OBJECTS 8
#endif
#ifndef XSLAB_KEEP_EMPTY
#define XSLAB_KEEP_EMPTY 1
#endif
#ifndef XSLAB_COLOUR_STEP
#define XSLAB_COLOUR_STEP 64
#endif
#ifndef XSLAB_POISON_BYTE
#define XSLAB_POISON_BYTE 0x6B
#endif
#ifndef XSLAB_REDZONE_BYTE
#define XSLAB_REDZONE_BYTE 0xBB
#endif
#ifndef XSLAB_REDZONE
#define XSLAB_REDZONE 8
#endif
#ifndef XSLAB_MAGAZINE
#define XSLAB_MAGAZINE 16
#endif

/* Smallest page and slab size accepted. */
#define XSLAB_MIN_SLAB 64
/* Cache flags (xslab_cache_desc.flags, xslab_kmem_desc.flags). */
#define XSLAB_NO_COLOUR     1u /* object 0 always at the slab's start        */
#define XSLAB_RELEASE_EMPTY 2u /* keep no empty slab: give each back at once */

#ifdef __cplusplus
extern "C" {
#endif

/* Page source callbacks: get returns `size` bytes aligned to `align` (both
 * the slab size, a power of two) or NULL; put takes back what get gave. */
typedef void *(*xslab_get_fn)(void *user, size_t size, size_t align);
typedef void  (*xslab_put_fn)(void *user, void *ptr, size_t size);

typedef struct xslab_pages_desc {
    xalloc_hooks hooks;     /* error; lock/unlock around the page source      */
    size_t       page_size; /* power of two >= XSLAB_MIN_SLAB (0: XSLAB_PAGE_SIZE).
                               Region: every slab is one page. Callbacks: the
                               smallest slab size and the unit of pagesperslab */
    xslab_get_fn get;       /* callbacks (mem == NULL): both set              */
    xslab_put_fn put;
    void        *user;      /* passed to get and put                          */
} xslab_pages_desc;

/* A page source. Yours to allocate; the fields are private. */
typedef struct xslab_pages {
    xslab_pages_desc d;               /* as given (page_size resolved)     */
    unsigned char   *base, *bump, *end; /* region: pages [base, end), never used [bump, end) */
    unsigned char   *free;            /* region: pages given back, linked through word 0 */
    size_t           pages;
    size_t           gets, puts, failures;
} xslab_pages;

typedef struct xslab_pages_stats {
    size_t   page_size;
    size_t   pages;      /* region: pages it holds; callbacks: 0           */
    size_t   slabs_out;  /* held by caches: gets - puts                    */
    size_t   gets, puts, failures; /* slabs handed out, taken back; NULLs  */
} xslab_pages_stats;

/* Constructor / destructor: `user` is desc.obj_user. */
typedef void (*xslab_obj_fn)(void *user, void *obj);

/* Description for xslab_cache_init; fields left 0 take the defaults. */
typedef struct xslab_cache_desc {
    xalloc_hooks  hooks;      /* error, lock, unlock, user                  */
    xslab_pages  *pages;      /* where slabs come from (required)           */
    const char   *name;       /* for stats and dump (NULL: "cache")         */
    size_t        size;       /* object size in bytes, >= 1 (required)      */
    size_t        align;      /* power of two <= slab size (0: the largest
                                 power of two dividing size, at most
                                 2*sizeof(void *): what a C type of that size
                                 can need)                                  */
    size_t        slab_size;  /* power of two (0: region: its page size;
                                 callbacks: the smallest power of two >= the
                                 page size holding XSLAB_MIN_OBJECTS objects,
                                 at most 32 pages unless one object needs
                                 more); at most 2^30 */
    xslab_obj_fn  ctor;       /* run on each object when its slab is made   */
    xslab_obj_fn  dtor;       /* run on each free object when its slab goes */
    void         *obj_user;   /* passed to ctor and dtor                    */
    unsigned      keep_empty; /* empty slabs kept (0: XSLAB_KEEP_EMPTY)     */
    unsigned      flags;      /* XSLAB_NO_COLOUR, XSLAB_RELEASE_EMPTY       */
} xslab_cache_desc;

struct xslab__slab;

/* A cache. Yours to allocate; the fields are private. */
typedef struct xslab_cache {
    struct xslab__slab *cur, *partial, *full, *empty; /* slab lists       */
    xslab_cache_desc d;          /* as given, defaults resolved             */
    uintptr_t     lo, span;      /* region: [lo, lo + span); else 0, max    */
    uintptr_t     mask;          /* ~(slab_size - 1)                        */
    size_t        hdr_off;       /* header at base + hdr_off                */
    uint32_t      cap;           /* bytes of the object part of a slot      */
    uint32_t      slot, stride;  /* bytes an object uses; object spacing    */
    uint32_t      n;             /* objects per slab                        */
    uint32_t      link_off, rz_end, req_off;
    uint32_t      tshift, inv;   /* index: see xslab__index                 */
    uint32_t      colour, colour_step, colour_max;
    uint32_t      kidx;
    size_t        nempty, grows, releases; /* slabs: grows - releases */
    uint64_t      allocs, frees, failures;
    uint32_t      nmag;          /* objects in the magazine                 */
    unsigned char *mag[XSLAB_MAGAZINE > 0 ? XSLAB_MAGAZINE : 1]; /* last freed, oldest first */
    char          namebuf[24];
} xslab_cache;

/* slabinfo columns, then the rest. */
typedef struct xslab_stats {
    const char *name;
    size_t   active_objs;   /* objects in use                               */
    size_t   num_objs;      /* objects in all slabs                         */
    size_t   objsize;       /* object size (kmalloc: class size)            */
    size_t   objperslab;
    size_t   pagesperslab;  /* slab size / page size                        */
    size_t   active_slabs;  /* slabs with an object in use                  */
    size_t   num_slabs;
    size_t   empty_slabs;   /* num_slabs - active_slabs: cached, constructed */
    size_t   slab_size, stride, align;
    size_t   slab_bytes;    /* num_slabs * slab_size                        */
    uint64_t allocs, frees, failures; /* failures: NULL returns             */
    size_t   grows, releases;         /* slabs taken from / given back to the page source */
} xslab_stats;

/* Walk callback: one call per object, slab by slab (current, partial, full,
 * empty), in address order within a slab. size: the object's size (level
 * >= 3 kmalloc: the requested size). Return false to stop. The cache must
 * not be changed during the walk. */
typedef bool (*xslab_walk_fn)(void *user, void *obj, size_t size, bool used);

XALLOC_DEF xslab_pages *xslab_pages_init(xslab_pages *ps, void *mem, size_t size, const xslab_pages_desc *desc);
XALLOC_DEF void         xslab_pages_stats_get(xslab_pages *ps, xslab_pages_stats *out);

XALLOC_DEF xslab_cache *xslab_cache_init(xslab_cache *c, const xslab_cache_desc *desc);
XALLOC_DEF size_t       xslab_cache_destroy(xslab_cache *c);
XALLOC_DEF void        *xslab_alloc(xslab_cache *c);
XALLOC_DEF void         xslab_free(xslab_cache *c, void *ptr);
XALLOC_DEF size_t       xslab_shrink(xslab_cache *c);
XALLOC_DEF void         xslab_stats_get(xslab_cache *c, xslab_stats *out);
/* NULL when every invariant holds, else a static text naming the first one
 * that broke (also reported through the error hook as XALLOC_E_CORRUPT). */
XALLOC_DEF const char  *xslab_check(xslab_cache *c);
XALLOC_DEF void         xslab_walk(xslab_cache *c, xslab_walk_fn fn, void *user);
XALLOC_DEF void         xslab_dump(xslab_cache *c, xalloc_print_fn print, void *user);

/* ---- kmalloc: size classes over caches ----------------------------------- */
typedef struct xslab_kmem xslab_kmem; /* lives in the memory given to init */

typedef struct xslab_kmem_desc {
    xalloc_hooks hooks;      /* error, lock, unlock, user (one lock for all) */
    xslab_pages *pages;      /* where slabs come from (required)            */
    size_t       min_size;   /* smallest class: 8 or 16 (0: 8)              */
    size_t       max_size;   /* largest request (0: 1024, less if a slab
                                holds fewer than 2 such objects, but never
                                below the smallest class)                   */
    size_t       slab_size;  /* one for all classes (0: region: its page
                                size; callbacks: the smallest power of two
                                >= the page size holding XSLAB_MIN_OBJECTS
                                objects of the largest class)               */
    unsigned     keep_empty; /* per class (0: XSLAB_KEEP_EMPTY)             */
    unsigned     flags;      /* XSLAB_NO_COLOUR, XSLAB_RELEASE_EMPTY        */
} xslab_kmem_desc;

XALLOC_DEF size_t      xslab_kmem_size(const xslab_kmem_desc *desc);
XALLOC_DEF xslab_kmem *xslab_kmem_init(void *mem, size_t size, const xslab_kmem_desc *desc);
XALLOC_DEF size_t      xslab_kmem_destroy(xslab_kmem *k);
XALLOC_DEF void       *xslab_kmalloc(xslab_kmem *k, size_t size);
XALLOC_DEF void       *xslab_kcalloc(xslab_kmem *k, size_t count, size_t size);
XALLOC_DEF void       *xslab_krealloc(xslab_kmem *k, void *ptr, size_t size);
XALLOC_DEF void        xslab_kfree(xslab_kmem *k, void *ptr);
XALLOC_DEF size_t      xslab_ksize(xslab_kmem *k, const void *ptr);
XALLOC_DEF size_t      xslab_kmem_shrink(xslab_kmem *k);
XALLOC_DEF size_t      xslab_kmem_classes(xslab_kmem *k);
/* Stats of class i (0: the smallest); false if there is no class i. */
XALLOC_DEF bool        xslab_kmem_stats_get(xslab_kmem *k, size_t i, xslab_stats *out);
XALLOC_DEF const char *xslab_kmem_check(xslab_kmem *k);
XALLOC_DEF void        xslab_kmem_walk(xslab_kmem *k, xslab_walk_fn fn, void *user);
XALLOC_DEF void        xslab_kmem_dump(xslab_kmem *k, xalloc_print_fn print, void *user);

#ifdef __cplusplus
}
#endif
#endif /* XALLOC_SLAB_H */

/* ========================================================================= */
/*                              IMPLEMENTATION                               */
/* ========================================================================= */
#if defined(XALLOC_IMPLEMENTATION) && !defined(XALLOC_SLAB_IMPLEMENTED)
#define XALLOC_SLAB_IMPLEMENTED

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

#ifdef __cplusplus
extern "C" {
#endif

/* ---- private constants ----------------------------------------------------- */
#define XSLAB__P        ((uint32_t)sizeof(void *))
#define XSLAB__KMALLOC  0x100u                 /* private flag: a kmem class */
#define XSLAB__MAX_SLAB ((size_t)1 << 30)      /* offsets are 32-bit         */
#define XSLAB__CONSTRUCTED(c) ((c)->d.ctor || (c)->d.dtor)
/* Counts derived from counters that are kept anyway. */
#define XSLAB__ACTIVE(c) ((size_t)((c)->allocs - (c)->frees))
#define XSLAB__SLABS(c)  ((c)->grows - (c)->releases)
/* Bytes of a live object the caller may use: the request at level 3 (the
 * rest is red zone), else the whole object (kmalloc: the class size). */
#define XSLAB__USABLE(c, req) (XALLOC_DEBUG >= 3 ? (size_t)(req) : (size_t)(c)->d.size)

#if (defined(__GNUC__) || defined(__clang__)) && !defined(__OPTIMIZE_SIZE__)
#define XSLAB__HOT static inline __attribute__((always_inline))
#else
#define XSLAB__HOT static inline
#endif

/* n / d (32-bit) at set-up: the hardware division where the target has
 * one, else shift and subtract (Cortex-M0 has no divide instruction, and
 * `/` would call libgcc there). */
#if (defined(__arm__) && !defined(__ARM_FEATURE_IDIV)) || (defined(__riscv) && !defined(__riscv_div)) || defined(XSLAB_NO_DIV)
#define XSLAB__DIV(n, d) ((uint32_t)xalloc__div64((n), (d)))
#else
#define XSLAB__DIV(n, d) ((uint32_t)(n) / (uint32_t)(d))
#endif

typedef char xslab__assert_redzone[(XSLAB_REDZONE >= 1 && XSLAB_REDZONE <= 4096) ? 1 : -1];
typedef char xslab__assert_colour[((XSLAB_COLOUR_STEP & (XSLAB_COLOUR_STEP - 1)) == 0 && XSLAB_COLOUR_STEP >= 8) ? 1 : -1];
typedef char xslab__assert_page[((XSLAB_PAGE_SIZE & (XSLAB_PAGE_SIZE - 1)) == 0 && XSLAB_PAGE_SIZE >= XSLAB_MIN_SLAB) ? 1 : -1];

/* The slab header, at base + slab_size - sizeof(xslab__slab). */
typedef struct xslab__slab {
    struct xslab__slab *next, *prev; /* the list the slab is on              */
    xslab_cache        *cache;       /* owner; NULL once given back           */
    unsigned char      *free;        /* first free object (NULL: none)        */
    unsigned char      *objs;        /* object 0 (base + colour offset)       */
    uint32_t            inuse;       /* objects handed out                    */
} xslab__slab;

/* ---- access to free objects' links and fills --------------------------- */
/* Under ASan/valgrind a free object (the whole slot) and the red zone of a
 * live one are off limits to the program. The allocator's own accesses to
 * them: under valgrind (byte-exact) it uncovers the bytes for the access
 * and covers them again (XSLAB__OPEN/CLOSE); under ASan it reads and
 * writes them from uninstrumented (XALLOC__NOSAN) functions and leaves the
 * shadow alone, because an 8-byte granule can say "the first k bytes are
 * addressable" but not "the first k are not": uncovering and covering a
 * range that starts inside a granule would leave the granule's earlier
 * bytes addressable. Without a sanitizer these are plain accesses. */
#define XSLAB__OPEN(p, n)  XALLOC__VG_SHOW((p), (n))
#define XSLAB__CLOSE(p, n) XALLOC__VG_HIDE((p), (n))
#ifdef XALLOC__SANITIZING
static XALLOC__NOSAN unsigned char *xslab__ldp(const unsigned char *at)
{
    unsigned char *v;
    XSLAB__OPEN(at, XSLAB__P);
    v = *(unsigned char *const *)(const void *)at;
    XSLAB__CLOSE(at, XSLAB__P);
    return v;
}
static XALLOC__NOSAN void xslab__stp(unsigned char *at, unsigned char *v)
{
    XSLAB__OPEN(at, XSLAB__P);
    *(unsigned char **)(void *)at = v;
    XSLAB__CLOSE(at, XSLAB__P);
}
#else
#define xslab__ldp(at)    (*(unsigned char *const *)(const void *)(at))
#define xslab__stp(at, v) (*(unsigned char **)(void *)(at) = (v))
#endif

#if XALLOC_DEBUG >= 2
static XALLOC__NOSAN void xslab__fill(unsigned char *p, size_t n, int byte)
{
    XSLAB__OPEN(p, n);
#ifdef XALLOC__ASAN
    {   /* byte stores: a memset call would be checked by ASan's interceptor */
        volatile unsigned char *v = p;
        size_t i;
        for (i = 0; i < n; i++) v[i] = (unsigned char)byte;
    }
#else
    XALLOC_MEMSET(p, byte, n);
#endif
    XSLAB__CLOSE(p, n);
}
static XALLOC__NOSAN bool xslab__filled(const unsigned char *p, size_t n, int byte)
{
    size_t i;
    bool ok = true;
    XSLAB__OPEN(p, n);
    for (i = 0; i < n && ok; i++) ok = p[i] == (unsigned char)byte;
    XSLAB__CLOSE(p, n);
    return ok;
}
/* Bytes [P, cap) of a free object of an unconstructed cache hold poison. */
static inline size_t xslab__poison_len(const xslab_cache *c)
{
    return XSLAB__CONSTRUCTED(c) || c->cap <= XSLAB__P ? 0 : c->cap - XSLAB__P;
}
#endif

#if XALLOC_DEBUG >= 3
/* The requested size of a live object, kept after its red zone, mixed with
 * the object's address so that a copied slot does not pass. */
static inline uint32_t xslab__key(const unsigned char *o) { return (uint32_t)((uintptr_t)o >> 3) * 2654435761u; }
static XALLOC__NOSAN uint32_t xslab__req(const xslab_cache *c, const unsigned char *o)
{
    uint32_t v;
    XSLAB__OPEN(o + c->req_off, 4);
    v = *(const uint32_t *)(const void *)(o + c->req_off);
    XSLAB__CLOSE(o + c->req_off, 4);
    return v ^ xslab__key(o);
}
/* Object o becomes live with `req` bytes: everything from req to the end
 * of the red zone is red zone, then the size word. */
static XALLOC__NOSAN void xslab__arm(const xslab_cache *c, unsigned char *o, uint32_t req)
{
    xslab__fill(o + req, c->rz_end - req, XSLAB_REDZONE_BYTE);
    XSLAB__OPEN(o + c->req_off, 4);
    *(uint32_t *)(void *)(o + c->req_off) = req ^ xslab__key(o);
    XSLAB__CLOSE(o + c->req_off, 4);
}
/* Is live object o's red zone (and size word) intact? */
static bool xslab__armed(const xslab_cache *c, const unsigned char *o)
{
    uint32_t req = xslab__req(c, o);
    return req <= c->cap && xslab__filled(o + req, c->rz_end - req, XSLAB_REDZONE_BYTE);
}
#endif

/* ---- slabs, indices, bitmaps ------------------------------------------- */
static inline xslab__slab *xslab__hdr(const xslab_cache *c, const void *p)
{
    return (xslab__slab *)(void *)(((uintptr_t)p & c->mask) + c->hdr_off);
}
static inline unsigned char *xslab__base(const xslab_cache *c, const xslab__slab *s)
{
    return (unsigned char *)(uintptr_t)s - c->hdr_off;
}
/* Bitmap word of object i: words run down from the header. */
static inline uint32_t *xslab__word(const xslab__slab *s, uint32_t i)
{
    return (uint32_t *)(uintptr_t)s - 1 - (i >> 5);
}
#define XSLAB__BIT(i) (1u << ((i) & 31u))
/* Bitmap words of a slab of n objects: the bitmap is a level >= 1 aid. */
#define XSLAB__WORDS(n) (XALLOC_DEBUG >= 1 ? ((n) + 31u) >> 5 : 0u)

/* Index of the object at o in a slab whose object 0 is at objs (o in the
 * same slab), or a number >= n if no object starts at o. With stride =
 * odd << t and inv the inverse of odd modulo 2^32, x = (o - objs) * inv
 * mod 2^32 rotated right by t is the quotient when stride divides o - objs
 * (Granlund and Montgomery's exact division), and otherwise more than
 * (2^32 - 1) / stride >= n (n * stride <= 2^30): offset bits below 2^t
 * rotate to the top, an odd part that does not divide gives a product
 * above that bound, and a negative offset is above 2^32 - 2^30. So `i < n`
 * is the whole test: a subtract, a 32-bit multiply and a rotate, no
 * division and no 64-bit product. */
XSLAB__HOT uint32_t xslab__index(const xslab_cache *c, const unsigned char *o, const unsigned char *objs)
{
#if XALLOC_DEBUG >= 1
    uint32_t x = (uint32_t)((uintptr_t)o - (uintptr_t)objs) * c->inv;
    return (x >> c->tshift) | (x << ((32u - c->tshift) & 31u));
#else
    /* level 0 needs an index only in check: a division (less code than
     * the constants), with the same answers */
    uintptr_t off = (uintptr_t)o - (uintptr_t)objs;
    uint32_t i;
    if (off >= (uintptr_t)c->n * c->stride) return c->n;
    i = XSLAB__DIV(off, c->stride);
    return (uintptr_t)i * c->stride == off ? i : c->n;
#endif
}
/* The same for o taken from a free list of slab s, which a write after
 * free may have pointed anywhere (so first: is o in s at all?). */
static inline uint32_t xslab__link_index(const xslab_cache *c, const xslab__slab *s, const unsigned char *o)
{
    return xslab__hdr(c, o) == s ? xslab__index(c, o, s->objs) : c->n;
}

static inline void xslab__report(const xalloc_hooks *h, xalloc_error e, const void *p, const char *what)
{
    if (h->error) h->error(h->user, e, (uintptr_t)p, what);
}

/* ---- doubly linked slab lists ------------------------------------------ */
#if defined(__GNUC__) || defined(__clang__)
#define XSLAB__NOINLINE __attribute__((noinline)) /* off the hot paths: smaller */
#else
#define XSLAB__NOINLINE
#endif
/* The slow paths split off the hot ones, so that those keep no registers
 * for them (speed builds); under -Os the compiler decides (smaller). */
#if defined(__OPTIMIZE_SIZE__)
#define XSLAB__COLD
#else
#define XSLAB__COLD XSLAB__NOINLINE
#endif
static XSLAB__NOINLINE void xslab__push(xslab__slab **head, xslab__slab *s)
{
    s->prev = NULL;
    s->next = *head;
    if (*head) (*head)->prev = s;
    *head = s;
}
static void xslab__unlink(xslab__slab **head, xslab__slab *s)
{
    if (s->prev) s->prev->next = s->next;
    else *head = s->next;
    if (s->next) s->next->prev = s->prev;
}

/* ---- the page source ----------------------------------------------------- */
static inline void xslab__plock(const xslab_pages *ps)   { if (ps->d.hooks.lock) ps->d.hooks.lock(ps->d.hooks.user); }
static inline void xslab__punlock(const xslab_pages *ps) { if (ps->d.hooks.lock) ps->d.hooks.unlock(ps->d.hooks.user); }

/* A slab of `size` bytes aligned to `size` for cache c, or NULL. */
static unsigned char *xslab__get_slab(xslab_cache *c, size_t size)
{
    xslab_pages *ps = c->d.pages;
    unsigned char *p;
    xslab__plock(ps);
    if (ps->d.get) {
        p = (unsigned char *)ps->d.get(ps->d.user, size, size);
#if XALLOC_DEBUG >= 1 /* level 0 trusts the page source too */
        if (p && ((uintptr_t)p & (size - 1))) {
            xslab__report(&c->d.hooks, XALLOC_E_BADARG, p, "page source gave a misaligned slab");
            ps->d.put(ps->d.user, p, size);
            p = NULL;
        }
#endif
    } else if ((p = ps->free) != NULL) {
        ps->free = xslab__ldp(p);
    } else if (ps->bump != ps->end) {
        p = ps->bump;
        ps->bump += size;
    }
    if (p) {
        ps->gets++;
        XALLOC__SHOW(p, size);
    } else {
        ps->failures++;
    }
    xslab__punlock(ps);
    return p;
}

static void xslab__put_slab(xslab_pages *ps, unsigned char *p, size_t size)
{
    xslab__plock(ps);
    ps->puts++;
    if (ps->d.put) {
        ps->d.put(ps->d.user, p, size);
    } else {
        /* off limits but for the slab header: a stale pointer into the
         * page is still told from a live one by reading it */
        XALLOC__HIDE(p, size - sizeof(xslab__slab));
        xslab__stp(p, ps->free);
        ps->free = p;
    }
    xslab__punlock(ps);
}

XALLOC_DEF xslab_pages *xslab_pages_init(xslab_pages *ps, void *mem, size_t size, const xslab_pages_desc *desc)
{
    const char *why = NULL;
    uintptr_t a, skip;
    size_t page;
    if (!ps) return NULL;
    if (desc && XALLOC__LONE_LOCK(desc->hooks)) { /* refused before ps is written */
        xslab__report(&desc->hooks, XALLOC_E_BADARG, mem, XALLOC__LONE_LOCK_TEXT);
        return NULL;
    }
    XALLOC_MEMSET(ps, 0, sizeof *ps);
    if (desc) XALLOC_MEMCPY(&ps->d, desc, sizeof *desc);
    xalloc__pair_hooks(&ps->d.hooks);
    page = ps->d.page_size ? ps->d.page_size : XSLAB_PAGE_SIZE;
    a = ((uintptr_t)mem + page - 1) & ~(uintptr_t)(page - 1);
    skip = a - (uintptr_t)mem;
    if ((page & (page - 1)) || page < XSLAB_MIN_SLAB || page > XSLAB__MAX_SLAB)
        why = "bad page size";
    else if (mem ? (ps->d.get || ps->d.put) : (!ps->d.get || !ps->d.put))
        why = "bad page source";
    else if (mem && (skip >= size || size - skip < page))
        why = "region too small";
    if (why) {
        xslab__report(&ps->d.hooks, XALLOC_E_BADARG, mem, why);
        return NULL;
    }
    ps->d.page_size = page;
    if (mem) {
        ps->pages = (size - skip) >> xalloc__log2_32((uint32_t)page);
        ps->base = ps->bump = (unsigned char *)a;
        ps->end = ps->base + ps->pages * page;
    }
    return ps;
}

XALLOC_DEF void xslab_pages_stats_get(xslab_pages *ps, xslab_pages_stats *o)
{
    xslab__plock(ps);
    o->page_size = ps->d.page_size;
    o->pages = ps->pages;
    o->slabs_out = ps->gets - ps->puts;
    o->gets = ps->gets;
    o->puts = ps->puts;
    o->failures = ps->failures;
    xslab__punlock(ps);
}

/* ---- making and unmaking slabs ----------------------------------------- */
/* A fresh slab: header, bitmap (all free), objects constructed or poisoned,
 * red zones armed, the free list in address order. O(n). */
static xslab__slab *xslab__grow(xslab_cache *c)
{
    unsigned char *base = xslab__get_slab(c, c->d.slab_size), *o;
    xslab__slab *s;
    uint32_t i;
    if (!base) return NULL;
    s = (xslab__slab *)(void *)(base + c->hdr_off);
    s->cache = c;
    s->inuse = 0;
    s->objs = o = base + c->colour;
    s->free = o;
    c->colour += c->colour_step;
    if (c->colour > c->colour_max) c->colour = 0;
#if XALLOC_DEBUG >= 1
    for (i = 0; i < XSLAB__WORDS(c->n); i++) *xslab__word(s, i << 5) = ~0u;
    if (c->n & 31) *xslab__word(s, c->n - 1) = XSLAB__BIT(c->n) - 1;
#endif
    for (i = 0; i < c->n; i++, o += c->stride) {
        if (c->d.ctor) c->d.ctor(c->d.obj_user, o);
#if XALLOC_DEBUG >= 2
        xslab__fill(o + XSLAB__P, xslab__poison_len(c), XSLAB_POISON_BYTE);
#endif
#if XALLOC_DEBUG >= 3
        xslab__fill(o + c->cap, c->rz_end - c->cap, XSLAB_REDZONE_BYTE);
#endif
        xslab__stp(o + c->link_off, i + 1 < c->n ? o + c->stride : NULL);
    }
    /* under a sanitizer, all of it up to the bitmap is off limits to the
     * program: the colour bytes, every slot and its padding, the slack
     * (an alloc uncovers the object's bytes) */
    XALLOC__HIDE(base, (size_t)((unsigned char *)s - XSLAB__WORDS(c->n) * 4 - base));
    c->grows++;
    return s;
}

/* Give slab s back to the page source, destructing its free objects
 * (found through the bitmap; at level 0 through the free list). */
static void xslab__release(xslab_cache *c, xslab__slab *s)
{
    unsigned char *o;
#if XALLOC_DEBUG >= 1
    uint32_t i;
    if (c->d.dtor)
        for (i = 0, o = s->objs; i < c->n; i++, o += c->stride)
            if (*xslab__word(s, i) & XSLAB__BIT(i)) {
                XALLOC__SHOW(o, c->cap);
                c->d.dtor(c->d.obj_user, o);
            }
#else
    if (c->d.dtor)
        for (o = s->free; o; o = xslab__ldp(o + c->link_off)) {
            XALLOC__SHOW(o, c->cap);
            c->d.dtor(c->d.obj_user, o);
        }
#endif
    s->cache = NULL; /* a stale pointer into this memory is foreign now */
    c->releases++;
    XALLOC__SHOW(xslab__base(c, s), c->d.slab_size); /* the page source's again */
    xslab__put_slab(c->d.pages, xslab__base(c, s), c->d.slab_size);
}

/* s (not the current slab) has just become empty: keep it or give it back. */
static void xslab__to_empty(xslab_cache *c, xslab__slab *s)
{
    if (c->nempty < c->d.keep_empty) {
        xslab__push(&c->empty, s);
        c->nempty++;
    } else {
        xslab__release(c, s);
    }
}

/* The current slab is full (or there is none): file it, take the next. */
static xslab__slab *xslab__refill(xslab_cache *c)
{
    xslab__slab *s = c->cur;
    if (s) xslab__push(&c->full, s);
    c->cur = NULL;
    if ((s = c->partial) != NULL) {
        xslab__unlink(&c->partial, s);
    } else if ((s = c->empty) != NULL) {
        xslab__unlink(&c->empty, s);
        c->nempty--;
    } else if ((s = xslab__grow(c)) == NULL) {
        return NULL;
    }
    c->cur = s; /* on no list: its links mean nothing */
    return s;
}

#if XALLOC_DEBUG >= 1
/* The free list of s led to `bad`, which is no free object of s: a free
 * object's link was overwritten. Rebuild the list from the bitmap. O(n). */
static void xslab__repair(xslab_cache *c, xslab__slab *s, const unsigned char *bad)
{
    uint32_t i = c->n;
    unsigned char *head = NULL;
    xslab__report(&c->d.hooks, XALLOC_E_USE_AFTER_FREE, bad, "a free object's link was overwritten (write after free); free list rebuilt");
    while (i--)
        if (*xslab__word(s, i) & XSLAB__BIT(i)) {
            unsigned char *o = s->objs + (size_t)i * c->stride;
            xslab__stp(o + c->link_off, head);
            head = o;
        }
    s->free = head;
}
#endif

/* ---- allocation and free --------------------------------------------------- */
/* Hand out one object with `req` usable bytes, or NULL. O(1). */
/* Object o goes to the caller with `req` usable bytes: counted, checked
 * for damage to its poison (level >= 2), its red zone armed (level 3). */
XSLAB__HOT void *xslab__out(xslab_cache *c, unsigned char *o, uint32_t req)
{
    c->allocs++;
#if XALLOC_DEBUG >= 2
    if (!xslab__filled(o + XSLAB__P, xslab__poison_len(c), XSLAB_POISON_BYTE))
        xslab__report(&c->d.hooks, XALLOC_E_USE_AFTER_FREE, o, "a free object was written to (poison damaged)");
#endif
#if XALLOC_DEBUG >= 3
    xslab__arm(c, o, req);
#endif
    XALLOC__ON_ALLOC(c, o, XSLAB__USABLE(c, req));
    if (XSLAB__CONSTRUCTED(c)) XALLOC__SHOW(o, c->cap); /* constructed state: defined */
    (void)req;
    return o;
}

/* An object from the slab layer (the magazine is empty): the current
 * slab's free list, after a refill if it has none. O(1); a new slab: O(n).
 * Out of line, so that the magazine's path keeps no registers for it. */
static XSLAB__COLD void *xslab__alloc_slab(xslab_cache *c, uint32_t req)
{
    xslab__slab *s = c->cur;
    unsigned char *o;
#if XALLOC_DEBUG >= 1
    uint32_t i;
#endif
    for (;;) {
        if (XALLOC__UNLIKELY(!s || !s->free)) {
            if ((s = xslab__refill(c)) == NULL) {
                c->failures++;
                return NULL;
            }
        }
        o = s->free;
#if XALLOC_DEBUG >= 1
        i = xslab__link_index(c, s, o);
        if (XALLOC__UNLIKELY(i >= c->n || !(*xslab__word(s, i) & XSLAB__BIT(i)))) {
            xslab__repair(c, s, o); /* then s->free is right (maybe NULL) */
            continue;
        }
        *xslab__word(s, i) &= ~XSLAB__BIT(i);
#endif
        break;
    }
    s->free = xslab__ldp(o + c->link_off);
    s->inuse++;
    return xslab__out(c, o, req);
}

/* Hand out one object with `req` usable bytes, or NULL: the newest in the
 * magazine (a pop: the hot path), else one from the slab layer. O(1). */
XSLAB__HOT void *xslab__alloc(xslab_cache *c, uint32_t req)
{
#if XSLAB_MAGAZINE > 0
    if (XALLOC__LIKELY(c->nmag != 0)) return xslab__out(c, c->mag[--c->nmag], req);
#endif
    return xslab__alloc_slab(c, req);
}

#if XALLOC_DEBUG >= 1
/* Is p in c's magazine? At most XSLAB_MAGAZINE compares, in one or two
 * cache lines of c. */
static inline bool xslab__in_magazine(const xslab_cache *c, const unsigned char *p)
{
#if XSLAB_MAGAZINE > 0
    uint32_t j;
    for (j = 0; j < c->nmag; j++)
        if (c->mag[j] == p) return true;
#endif
    (void)c; (void)p;
    return false;
}

/* The checks of a pointer p given back to c (level >= 1), whose slab s
 * (p's header by masking) is known to be c's: its index, or the error to
 * report. O(1): the header's cache line (object 0, the bitmap word beside
 * it), one multiply, at most XSLAB_MAGAZINE compares. */
XSLAB__HOT xalloc_error xslab__locate(const xslab_cache *c, const xslab__slab *s, const unsigned char *p, uint32_t *idx)
{
    uint32_t i = xslab__index(c, p, s->objs);
    if (XALLOC__UNLIKELY(i >= c->n)) return XALLOC_E_NOT_BLOCK;
    /* free: on its slab's list (bit set) or in the magazine */
    if (XALLOC__UNLIKELY((*xslab__word(s, i) & XSLAB__BIT(i)) || xslab__in_magazine(c, p))) return XALLOC_E_DOUBLE_FREE;
#if XALLOC_DEBUG >= 3
    if (!xslab__armed(c, p)) return XALLOC_E_OVERRUN;
#endif
    *idx = i;
    return XALLOC_OK;
}

#endif

/* Report a bad pointer given back (out of line: the hot paths keep no
 * registers for the call). */
static XSLAB__COLD void xslab__bad(const xalloc_hooks *h, xalloc_error e, const void *p)
{
    const char *what = "red zone after the object overwritten";
    if (e == XALLOC_E_FOREIGN) what = "pointer is not in a slab of this cache";
    else if (e == XALLOC_E_NOT_BLOCK) what = "pointer is inside a slab but not at an object's start";
    else if (e == XALLOC_E_DOUBLE_FREE) what = "object is already free";
    xslab__report(h, e, p, what);
}

/* Put free object o (index i) back on the free list of its slab s: the
 * slab layer. O(1), and n destructor calls when the slab goes back to the
 * page source. */
static void xslab__to_slab(xslab_cache *c, xslab__slab *s, unsigned char *o, uint32_t i)
{
#if XALLOC_DEBUG >= 1
    *xslab__word(s, i) |= XSLAB__BIT(i);
#endif
    (void)i;
    xslab__stp(o + c->link_off, s->free);
    s->free = o;
    /* full -> partial, partial -> empty (full -> empty if n is 1) */
    if (XALLOC__UNLIKELY(--s->inuse == 0 || s->inuse + 1 == c->n) && s != c->cur) {
        xslab__unlink(s->inuse + 1 == c->n ? &c->full : &c->partial, s);
        if (s->inuse) xslab__push(&c->partial, s);
        else xslab__to_empty(c, s);
    }
}

/* The magazine (Bonwick's, of one cache): the last XSLAB_MAGAZINE objects
 * freed wait in c->mag for the next allocations, which take them newest
 * first. They are free (poisoned) but still counted in their slab's
 * objects in use, on no free list, and their bit is clear: a free looks
 * for the object in the magazine as well as at its bit. So an alloc that
 * follows a free hands back the same, cache-hot object without touching a
 * slab, and steady churn never moves a slab between lists. A free that
 * finds the magazine full first moves all of it to the slabs (O(M) once
 * in M frees); stats, shrink and destroy empty it too. */
#if XSLAB_MAGAZINE > 0
static void xslab__flush(xslab_cache *c)
{
    uint32_t j;
    for (j = 0; j < c->nmag; j++) {
        unsigned char *o = c->mag[j];
        xslab__slab *s = xslab__hdr(c, o);
        xslab__to_slab(c, s, o, XALLOC_DEBUG >= 1 ? xslab__index(c, o, s->objs) : 0);
    }
    c->nmag = 0;
}
#define XSLAB__FLUSH_ALL(c) xslab__flush(c)
/* A free that finds the magazine full: it goes to the slabs, then o is
 * the magazine's one object (out of line: a tail call from the hot path). */
static XSLAB__COLD void xslab__mag_full(xslab_cache *c, unsigned char *o)
{
    xslab__flush(c);
    c->mag[0] = o;
    c->nmag = 1;
}
#else
#define XSLAB__FLUSH_ALL(c) ((void)0)
#endif

/* Take back object o (index i) of slab s, validated. O(1); a full
 * magazine: O(XSLAB_MAGAZINE) (and destructors if slabs go back). */
XSLAB__HOT void xslab__free_obj(xslab_cache *c, xslab__slab *s, unsigned char *o, uint32_t i)
{
    XALLOC__ON_FREE(c, o);
#if XALLOC_DEBUG >= 2
    xslab__fill(o + XSLAB__P, xslab__poison_len(c), XSLAB_POISON_BYTE);
#endif
    XALLOC__HIDE(o, c->slot);
    c->frees++;
#if XSLAB_MAGAZINE > 0
    (void)s; (void)i;
    if (XALLOC__UNLIKELY(c->nmag == XSLAB_MAGAZINE)) xslab__mag_full(c, o);
    else c->mag[c->nmag++] = o;
#else
    xslab__to_slab(c, s, o, i);
#endif
}

/* ---- entry and exit of every public call ----------------------------------- */
static inline void xslab__lock(const xalloc_hooks *h)   { if (h->lock) h->lock(h->user); }
static inline void xslab__unlock(const xalloc_hooks *h) { if (h->lock) h->unlock(h->user); }
#if XALLOC_DEBUG >= 4
static const char *xslab__check_cache(const xslab_cache *c);
static bool xslab__full_check(const xslab_cache *c)
{
    const char *why = xslab__check_cache(c);
    if (why) xslab__report(&c->d.hooks, XALLOC_E_CORRUPT, NULL, why);
    return why == NULL;
}
#define XSLAB__FULL_CHECK(c) xslab__full_check(c)
#else
#define XSLAB__FULL_CHECK(c) true
#endif

/* The public calls: without a lock hook, one test and on to the work;
 * with one, out of line. */
static XSLAB__COLD void *xslab__alloc_locked(xslab_cache *c)
{
    void *p = NULL;
    c->d.hooks.lock(c->d.hooks.user);
    if (XSLAB__FULL_CHECK(c)) p = xslab__alloc(c, (uint32_t)c->d.size);
    c->d.hooks.unlock(c->d.hooks.user);
    return p;
}
XALLOC_DEF void *xslab_alloc(xslab_cache *c)
{
    if (XALLOC__LIKELY(!c->d.hooks.lock)) return XSLAB__FULL_CHECK(c) ? xslab__alloc(c, (uint32_t)c->d.size) : NULL;
    return xslab__alloc_locked(c);
}

/* free with the lock held */
XSLAB__HOT void xslab__free(xslab_cache *c, unsigned char *o)
{
    xslab__slab *s = xslab__hdr(c, o);
    uint32_t i = 0;
    if (!XSLAB__FULL_CHECK(c)) return;
#if XALLOC_DEBUG >= 1
    {   /* in the page source's memory (a region: before any read), then in
         * a slab of c */
        xalloc_error e = XALLOC_E_FOREIGN;
        if (XALLOC__LIKELY((uintptr_t)o - c->lo < c->span && s->cache == c)) e = xslab__locate(c, s, o, &i);
        if (XALLOC__UNLIKELY(e != XALLOC_OK)) {
            xslab__bad(&c->d.hooks, e, o);
            return;
        }
    }
#endif
    xslab__free_obj(c, s, o, i);
}

static XSLAB__COLD void xslab__free_locked(xslab_cache *c, unsigned char *o)
{
    c->d.hooks.lock(c->d.hooks.user);
    xslab__free(c, o);
    c->d.hooks.unlock(c->d.hooks.user);
}
XALLOC_DEF void xslab_free(xslab_cache *c, void *ptr)
{
    if (!ptr) return;
    if (XALLOC__LIKELY(!c->d.hooks.lock)) xslab__free(c, (unsigned char *)ptr);
    else xslab__free_locked(c, (unsigned char *)ptr);
}

/* ---- set-up ------------------------------------------------------------ */
static inline uint32_t xslab__round(uint32_t v, uint32_t to) { return (v + to - 1) & ~(to - 1); }

/* Under a sanitizer, bytes kept off limits between the last object and
 * the free bitmap (under ASan at least one whole granule, wherever the
 * 4-byte-aligned bitmap begins), so that an overflow of the last object is
 * caught too. */
#ifdef XALLOC__SANITIZING
#define XSLAB__GUARD 16u
#else
#define XSLAB__GUARD 0u
#endif

/* Slot layout for objects of `size` bytes at `align` in slabs of `slab`
 * bytes: fills c's size fields, returns the objects per slab (0: none fit). */
static uint32_t xslab__layout(xslab_cache *c, uint32_t size, uint32_t align, size_t slab, bool constructed)
{
    uint32_t end, room, n, avail = (uint32_t)slab - (uint32_t)sizeof(xslab__slab) - XSLAB__GUARD;
    c->cap = end = constructed || size >= XSLAB__P ? size : XSLAB__P;
#if XALLOC_DEBUG >= 3
    c->rz_end = xslab__round(end + XSLAB_REDZONE, 4);
    c->req_off = c->rz_end;
    end = c->rz_end + 4;
#else
    c->rz_end = c->req_off = end;
#endif
    c->link_off = 0;
    if (constructed) {
        c->link_off = xslab__round(end, XSLAB__P);
        end = c->link_off + XSLAB__P;
    }
#ifdef XALLOC__ASAN
    /* ASan keeps one shadow byte per 8-byte granule, which can say "the
     * first k bytes are addressable" but not "the last k": a slot that
     * ends inside a granule could not be poisoned up to its end. So under
     * ASan every slot is a multiple of 8 (and so every stride, and every
     * object starts on a granule); n and the colour range are computed
     * from this slot, so the layout stays consistent. */
    end = xslab__round(end, 8);
#endif
    c->d.align = align;
    c->slot = end;
    c->stride = xslab__round(end, align > XSLAB__P ? align : XSLAB__P);
    if (end + XSLAB__WORDS(1) * 4 > avail) return 0;
    /* the largest n with (n-1)*stride + slot + 4*ceil(n/32) <= avail;
     * room: bytes for objects 1 .. n-1 and the bitmap words after the first */
    room = avail - end - XSLAB__WORDS(1) * 4;
#if XALLOC_DEBUG >= 1
    {   /* n - 1 = 32w + t objects (t < 32) need w more words: whole groups
         * of 32 objects and their word, then t objects in what is left
         * (at most 31: a 32nd would need another word) */
        uint64_t r;
        uint32_t w = (uint32_t)xalloc__divmod64(room, ((uint64_t)c->stride << 5) + 4u, &r), t;
        t = XSLAB__DIV((uint32_t)r, c->stride);
        n = 1 + 32 * w + (t < 32 ? t : 31);
    }
#else
    n = 1 + XSLAB__DIV(room, c->stride);
#endif
    return n;
}

/* The constants of xslab__index: t, and the inverse of odd = stride >> t
 * modulo 2^32 by Newton's iteration (each step doubles the number of
 * correct low bits: 3, 6, 12, 24, 48). */
XALLOC__PRIV void xslab__divisor(xslab_cache *c)
{
    uint32_t t = xalloc__ctz32(c->stride), odd = c->stride >> t, inv = odd, k;
    for (k = 0; k < 4; k++) inv *= 2u - odd * inv;
    c->tshift = t;
    c->inv = inv;
}

/* May slabs of `slab` bytes come from ps? A power of two: a region's page
 * size, or with callbacks at least the page size and at most 2^30. (A
 * macro: one copy in each of its two places is less code than a call.) */
#define XSLAB__SLAB_SIZE_OK(ps, slab) (((slab) & ((slab) - 1)) == 0 && \
    ((ps)->d.get ? (slab) >= (ps)->d.page_size && (slab) <= XSLAB__MAX_SLAB : (slab) == (ps)->d.page_size))

XALLOC_DEF xslab_cache *xslab_cache_init(xslab_cache *c, const xslab_cache_desc *d)
{
    xslab_pages *ps;
    bool constructed;
    size_t slab, align;
    uint32_t size, step;
    const char *why;
    if (!c || !d) return NULL;
    ps = d->pages;
    constructed = d->ctor || d->dtor;
    slab = d->slab_size;
    align = d->align;
    size = (uint32_t)d->size;
    why = "bad page source";
    if (!ps) goto bad;
    why = "bad object size";
    if (d->size == 0 || d->size > XSLAB__MAX_SLAB) goto bad;
    if (!align) { /* the most a C type of this size can need */
        align = d->size & (0u - d->size);
        if (align > (size_t)2 * XSLAB__P) align = (size_t)2 * XSLAB__P;
    }
    why = "bad alignment";
    if (align & (align - 1)) goto bad;
    why = "bad slab size";
    if (slab && !XSLAB__SLAB_SIZE_OK(ps, slab)) goto bad;
    if (XALLOC__LONE_LOCK(d->hooks)) {
        why = XALLOC__LONE_LOCK_TEXT;
        goto bad;
    }
    XALLOC_MEMSET(c, 0, sizeof *c);
    XALLOC_MEMCPY(&c->d, d, sizeof *d);
    xalloc__pair_hooks(&c->d.hooks);
    /* no slab size: a region's page; with callbacks, from the page size up
     * until XSLAB_MIN_OBJECTS objects fit (at most 32 pages), or one does */
    if (!slab) slab = ps->d.page_size;
    for (;;) {
        c->n = align <= slab ? xslab__layout(c, size, (uint32_t)align, slab, constructed) : 0;
        if (!ps->d.get || d->slab_size || slab >= XSLAB__MAX_SLAB ||
            c->n >= (slab < ps->d.page_size << 5 ? XSLAB_MIN_OBJECTS : 1u))
            break;
        slab <<= 1;
    }
    why = "bad object size"; /* too large for a slab at its alignment */
    if (!c->n) goto bad;
#if XALLOC_DEBUG >= 1
    xslab__divisor(c);
#endif
    c->lo = (uintptr_t)ps->base;
    c->span = ps->d.get ? ~(uintptr_t)0 : (uintptr_t)(ps->end - ps->base);
    c->d.slab_size = slab;
    c->mask = ~(uintptr_t)(slab - 1);
    c->hdr_off = slab - sizeof(xslab__slab);
    step = c->d.align > XSLAB_COLOUR_STEP ? (uint32_t)c->d.align : XSLAB_COLOUR_STEP;
    c->colour_step = step;
    if (!(d->flags & XSLAB_NO_COLOUR))
        c->colour_max = ((uint32_t)c->hdr_off - XSLAB__GUARD - XSLAB__WORDS(c->n) * 4 - (c->n - 1) * c->stride - c->slot) & ~(step - 1);
    c->d.keep_empty = (d->flags & XSLAB_RELEASE_EMPTY) ? 0 : d->keep_empty ? d->keep_empty : XSLAB_KEEP_EMPTY;
    XALLOC__POOL_CREATE(c);
    return c;
bad:
    xslab__report(&d->hooks, XALLOC_E_BADARG, c, why);
    return NULL;
}

/* ---- shrink and destroy ----------------------------------------------------- */
static size_t xslab__shrink(xslab_cache *c)
{
    size_t before = c->releases;
    xslab__slab *s;
    XSLAB__FLUSH_ALL(c); /* may already give some back */
    while ((s = c->empty) != NULL) {
        xslab__unlink(&c->empty, s);
        c->nempty--;
        xslab__release(c, s);
    }
    if ((s = c->cur) != NULL && s->inuse == 0) {
        c->cur = NULL;
        xslab__release(c, s);
    }
    return c->releases - before;
}

XALLOC_DEF size_t xslab_shrink(xslab_cache *c)
{
    size_t k = 0;
    xslab__lock(&c->d.hooks);
    if (XSLAB__FULL_CHECK(c)) k = xslab__shrink(c);
    xslab__unlock(&c->d.hooks);
    return k;
}

static size_t xslab__destroy(xslab_cache *c)
{
    size_t live = XSLAB__ACTIVE(c);
    xslab__slab **lists[3];
    int l;
    XSLAB__FLUSH_ALL(c);
    lists[0] = &c->partial;
    lists[1] = &c->full;
    lists[2] = &c->empty;
    if (c->cur) xslab__push(&c->partial, c->cur);
    c->cur = NULL;
    for (l = 0; l < 3; l++) {
        xslab__slab *s;
        while ((s = *lists[l]) != NULL) {
            xslab__unlink(lists[l], s);
            xslab__release(c, s);
        }
    }
    c->nempty = 0;
    c->frees = c->allocs; /* the dropped objects count as freed */
    return live;
}

XALLOC_DEF size_t xslab_cache_destroy(xslab_cache *c)
{
    size_t live;
    xslab__lock(&c->d.hooks);
    live = xslab__destroy(c);
    xslab__unlock(&c->d.hooks);
    return live;
}

/* ---- introspection -------------------------------------------------------- */
static void xslab__stats(xslab_cache *c, xslab_stats *o)
{
    XSLAB__FLUSH_ALL(c); /* so that slabs emptied by recent frees count as empty */
    o->name = c->d.name ? c->d.name : "cache";
    o->active_objs = XSLAB__ACTIVE(c);
    o->num_objs = XSLAB__SLABS(c) * c->n;
    o->objsize = c->d.size;
    o->objperslab = c->n;
    o->pagesperslab = c->d.slab_size >> xalloc__log2_64(c->d.pages->d.page_size);
    o->num_slabs = XSLAB__SLABS(c);
    o->empty_slabs = c->nempty + (c->cur && c->cur->inuse == 0 ? 1u : 0u);
    o->active_slabs = o->num_slabs - o->empty_slabs;
    o->slab_size = c->d.slab_size;
    o->stride = c->stride;
    o->align = c->d.align;
    o->slab_bytes = o->num_slabs * c->d.slab_size;
    o->allocs = c->allocs;
    o->frees = c->frees;
    o->failures = c->failures;
    o->grows = c->grows;
    o->releases = c->releases;
}

XALLOC_DEF void xslab_stats_get(xslab_cache *c, xslab_stats *o)
{
    xslab__lock(&c->d.hooks);
    xslab__stats(c, o);
    xslab__unlock(&c->d.hooks);
}

/* One slab; state 0 empty, 1 partial, 2 full, 3 current. O(n). */
#if XALLOC_DEBUG >= 2
static bool xslab__in_mag(const xslab_cache *c, const unsigned char *o)
{
    uint32_t j;
    for (j = 0; j < c->nmag; j++)
        if (c->mag[j] == o) return true;
    return false;
}
/* A free object's fills: poison (level 2), the red zone past the object
 * part (level 3). */
static const char *xslab__check_free(const xslab_cache *c, const unsigned char *o)
{
    if (!xslab__filled(o + XSLAB__P, xslab__poison_len(c), XSLAB_POISON_BYTE)) return "poison in a free object overwritten";
#if XALLOC_DEBUG >= 3
    if (!xslab__filled(o + c->cap, c->rz_end - c->cap, XSLAB_REDZONE_BYTE)) return "red zone after a free object overwritten";
#endif
    return NULL;
}
#endif

static const char *xslab__check_slab(const xslab_cache *c, const xslab__slab *s, int state)
{
    const unsigned char *base = xslab__base(c, s), *o;
    uintptr_t col = (uintptr_t)(s->objs - base);
    uint32_t nfree = c->n - s->inuse;
    if (s->cache != c) return "slab header names another cache";
    if ((uintptr_t)base & (c->d.slab_size - 1)) return "slab not aligned to its size";
    if (col > c->colour_max || (col & (c->colour_step - 1))) return "slab's colour offset out of range";
    if (s->inuse > c->n) return "slab has more objects in use than it holds";
    if ((state == 0 && s->inuse != 0) || (state == 2 && s->inuse != c->n) ||
        (state == 1 && (s->inuse == 0 || s->inuse == c->n)))
        return "slab on the wrong list for its objects in use";
#if XALLOC_DEBUG >= 1
    {   /* the bitmap: as many free objects as the count says, each intact */
        uint32_t i, bits = 0;
        if ((c->n & 31) && (*xslab__word(s, c->n - 1) >> (c->n & 31)))
            return "bitmap has bits past the last object";
        for (i = 0, o = s->objs; i < c->n; i++, o += c->stride) {
#if XALLOC_DEBUG >= 2
            const char *why;
#endif
            if (!(*xslab__word(s, i) & XSLAB__BIT(i))) {
#if XALLOC_DEBUG >= 2
                if (xslab__in_mag(c, o)) {
                    if ((why = xslab__check_free(c, o)) != NULL) return why;
                }
#if XALLOC_DEBUG >= 3
                else if (!xslab__armed(c, o)) return "red zone after a live object overwritten";
#endif
#endif
                continue;
            }
            bits++;
#if XALLOC_DEBUG >= 2
            if ((why = xslab__check_free(c, o)) != NULL) return why;
#endif
        }
        if (bits > nfree) return "bitmap has more free objects than the slab";
    }
#endif
    /* the free list: that many objects' starts (level >= 1: each with its
     * bit set, so with no more set bits than that it is the set of them: an
     * object listed twice would make a cycle, longer than any count; level
     * 0 cannot tell an object listed twice from two) */
    for (o = s->free; o; o = xslab__ldp(o + c->link_off)) {
        uint32_t k = xslab__link_index(c, s, o);
        if (k >= c->n) return "free list points outside the slab's objects";
#if XALLOC_DEBUG >= 1
        if (!(*xslab__word(s, k) & XSLAB__BIT(k))) return "free list holds an object the bitmap says is in use";
#endif
        if (nfree-- == 0) return "free list longer than the free objects";
    }
    if (nfree) return "free list shorter than the free objects";
    return NULL;
}

/* The cache record every walk follows: its layout (object, slot and
 * stride sizes, objects per slab, index constants, slab mask, header
 * offset, colour step) is what init computes from its own object size,
 * alignment and slab size. The page source it points to is not checked: a
 * link can only be followed. Copies the record (a few hundred bytes of
 * stack). */
static const char *xslab__check_record(const xslab_cache *c)
{
    xslab_cache t;
    size_t slab = c->d.slab_size, align = c->d.align;
    if ((slab & (slab - 1)) || slab < XSLAB_MIN_SLAB || slab > XSLAB__MAX_SLAB || !c->d.size || c->d.size > slab ||
        !align || (align & (align - 1)) || align > slab)
        return "cache record damaged";
    XALLOC_MEMCPY(&t, c, sizeof t);
    t.n = xslab__layout(&t, (uint32_t)c->d.size, (uint32_t)align, slab, c->d.ctor || c->d.dtor);
#if XALLOC_DEBUG >= 1
    xslab__divisor(&t);
#endif
    if (!t.n || t.n != c->n || t.cap != c->cap || t.slot != c->slot || t.stride != c->stride ||
        t.link_off != c->link_off || t.rz_end != c->rz_end || t.req_off != c->req_off || t.tshift != c->tshift ||
        t.inv != c->inv || c->mask != ~(uintptr_t)(slab - 1) || c->hdr_off != slab - sizeof(xslab__slab) ||
        c->colour_step != (align > XSLAB_COLOUR_STEP ? align : XSLAB_COLOUR_STEP))
        return "cache record damaged";
    return NULL;
}

static const char *xslab__check_cache(const xslab_cache *c)
{
    const xslab__slab *lists[3];
    size_t slabs = 0, active = 0, nempty = 0;
    uint32_t j, k;
    int l;
    const char *why;
    if ((why = xslab__check_record(c)) != NULL) return why;
    /* the magazine: free objects of this cache's slabs, each once (level
     * >= 1: their bits clear) */
    if (c->nmag > (XSLAB_MAGAZINE > 0 ? XSLAB_MAGAZINE : 0)) return "magazine count out of range";
    for (j = 0; j < c->nmag; j++) {
        const unsigned char *o = c->mag[j];
        const xslab__slab *s = xslab__hdr(c, o);
        if ((uintptr_t)o - c->lo >= c->span || s->cache != c || xslab__index(c, o, s->objs) >= c->n)
            return "magazine holds a pointer to no object of this cache";
#if XALLOC_DEBUG >= 1
        {
            uint32_t i = xslab__index(c, o, s->objs);
            if (*xslab__word(s, i) & XSLAB__BIT(i)) return "magazine holds an object that is on a free list";
        }
#endif
        for (k = 0; k < j; k++)
            if (c->mag[k] == o) return "magazine holds an object twice";
    }
    /* the slabs */
    lists[0] = c->empty;
    lists[1] = c->partial;
    lists[2] = c->full;
    if (c->cur) {
        if ((why = xslab__check_slab(c, c->cur, 3)) != NULL) return why;
        slabs++;
        active += c->cur->inuse;
    }
    for (l = 0; l < 3; l++) {
        const xslab__slab *s, *prev = NULL;
        for (s = lists[l]; s; prev = s, s = s->next) {
            if (s->prev != prev) return "slab list back-link broken";
            if (s == c->cur) return "current slab on a list";
            if (++slabs > XSLAB__SLABS(c)) return "slab lists hold more slabs than the count";
            if ((why = xslab__check_slab(c, s, l)) != NULL) return why;
            active += s->inuse;
            if (l == 0) nempty++;
        }
    }
    if (slabs != XSLAB__SLABS(c)) return "slab count differs from the lists";
    if (nempty != c->nempty) return "empty slab count differs from the list";
    if (c->nempty > c->d.keep_empty) return "more empty slabs kept than allowed";
    if (active - c->nmag != XSLAB__ACTIVE(c)) return "objects in use differ from the slabs";
    return NULL;
}

XALLOC_DEF const char *xslab_check(xslab_cache *c)
{
    const char *why;
    xslab__lock(&c->d.hooks);
    why = xslab__check_cache(c);
    if (why) xslab__report(&c->d.hooks, XALLOC_E_CORRUPT, NULL, why);
    xslab__unlock(&c->d.hooks);
    return why;
}

/* Walk c; false if fn stopped it. */
static bool xslab__walk(const xslab_cache *c, xslab_walk_fn fn, void *user)
{
    const xslab__slab *lists[4];
    int l;
    lists[0] = c->cur;
    lists[1] = c->partial;
    lists[2] = c->full;
    lists[3] = c->empty;
    for (l = 0; l < 4; l++) {
        const xslab__slab *s;
        for (s = lists[l]; s; s = l ? s->next : NULL) {
            unsigned char *o = s->objs;
            uint32_t i;
            for (i = 0; i < c->n; i++, o += c->stride) {
                uint32_t j;
#if XALLOC_DEBUG >= 1
                bool used = !(*xslab__word(s, i) & XSLAB__BIT(i));
#else
                bool used = true; /* no bitmap: search the free list */
                const unsigned char *f;
                for (f = s->free; f && used; f = xslab__ldp(f + c->link_off)) used = f != o;
#endif
                for (j = 0; j < c->nmag && used; j++) used = c->mag[j] != o; /* and the magazine */
                size_t size = c->d.size;
#if XALLOC_DEBUG >= 3
                if (used) size = xslab__req(c, o);
#endif
                if (!fn(user, o, size, used)) return false;
            }
        }
    }
    return true;
}

XALLOC_DEF void xslab_walk(xslab_cache *c, xslab_walk_fn fn, void *user)
{
    xslab__lock(&c->d.hooks);
    (void)xslab__walk(c, fn, user);
    xslab__unlock(&c->d.hooks);
}

/* Right-aligned decimal in a column of `width`. */
static void xslab__put_col(xalloc__line *l, uint64_t v, unsigned width)
{
    xalloc__line t;
    t.len = 0;
    xalloc__put_u(&t, v);
    while (t.len < width--) xalloc__put_str(l, " ");
    t.buf[t.len] = '\0';
    xalloc__put_str(l, t.buf);
}

static void xslab__dump_head(xalloc_print_fn print, void *user)
{
    xalloc__line l;
    l.len = 0;
    xalloc__put_str(&l, "# name              <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab>"
                        " : slabdata <active_slabs> <num_slabs> <empty_slabs>");
    xalloc__put_end(&l, print, user);
}

static void xslab__dump_line(xslab_cache *c, xalloc_print_fn print, void *user)
{
    xslab_stats s;
    xalloc__line l;
    const char *p;
    xslab__stats(c, &s);
    l.len = 0;
    xalloc__put_str(&l, s.name);
    for (p = s.name; *p && p - s.name < 17; p++) { }
    while (p++ - s.name < 17) xalloc__put_str(&l, " ");
    xslab__put_col(&l, s.active_objs, 14);
    xslab__put_col(&l, s.num_objs, 11);
    xslab__put_col(&l, s.objsize, 10);
    xslab__put_col(&l, s.objperslab, 13);
    xslab__put_col(&l, s.pagesperslab, 15);
    xalloc__put_str(&l, " : slabdata");
    xslab__put_col(&l, s.active_slabs, 15);
    xslab__put_col(&l, s.num_slabs, 12);
    xslab__put_col(&l, s.empty_slabs, 14);
    xalloc__put_end(&l, print, user);
}

static void xslab__dump_counts(const xslab_cache *c, xalloc_print_fn print, void *user)
{
    xalloc__line l;
    l.len = 0;
    xalloc__put_str(&l, "  ");
    xalloc__put_str(&l, c->d.name ? c->d.name : "cache");
    xalloc__put_str(&l, ": slab ");
    xalloc__put_u(&l, c->d.slab_size);
    xalloc__put_str(&l, " bytes, stride ");
    xalloc__put_u(&l, c->stride);
    xalloc__put_str(&l, ", align ");
    xalloc__put_u(&l, c->d.align);
    xalloc__put_str(&l, ", allocs ");
    xalloc__put_u(&l, c->allocs);
    xalloc__put_str(&l, ", frees ");
    xalloc__put_u(&l, c->frees);
    xalloc__put_str(&l, ", failures ");
    xalloc__put_u(&l, c->failures);
    xalloc__put_str(&l, ", slabs got ");
    xalloc__put_u(&l, c->grows);
    xalloc__put_str(&l, ", given back ");
    xalloc__put_u(&l, c->releases);
    xalloc__put_end(&l, print, user);
}

XALLOC_DEF void xslab_dump(xslab_cache *c, xalloc_print_fn print, void *user)
{
    xslab__lock(&c->d.hooks);
    xslab__dump_head(print, user);
    xslab__dump_line(c, print, user);
    xslab__dump_counts(c, print, user);
    xslab__unlock(&c->d.hooks);
}

/* ---- kmalloc --------------------------------------------------------------- */
/* Classes, by global number g: 8, 16, then 3*2^(b-1) and 2^(b+1) for b >= 4:
 * 24, 32, 48, 64, 96, 128, ... */
struct xslab_kmem {
    xalloc_hooks hooks;
    xslab_cache *caches;     /* nclasses of them, after this record        */
    uint32_t     nclasses, first; /* global number of class 0             */
    size_t       max_size;
    uint64_t     too_big;    /* requests above max_size                    */
};

/* Bytes xslab_kmem_init needs for classes first .. last (any start). */
#define XSLAB__KNEED(first, last) (sizeof(xslab_kmem) + ((last) - (first) + 1) * sizeof(xslab_cache) + 7)

static inline size_t xslab__class_size(uint32_t g)
{
    return g < 2 ? (size_t)8 << g : (size_t)((g & 1) ? 4u : 3u) << ((g >> 1) + 2);
}

/* Global class number of a request of s bytes (s <= 2^31). One bit scan. */
static inline uint32_t xslab__class_of(size_t s)
{
    uint32_t b;
    if (s <= 16) return s > 8 ? 1u : 0u;
    b = xalloc__log2_32((uint32_t)s - 1);
    return 2 * b - 6 + (s > (size_t)3 << (b - 1) ? 1u : 0u);
}

/* Resolve the description: classes, slab size. NULL, or why it is bad (a
 * lone lock hook among the reasons at level >= 1, so that xslab_kmem_size
 * says 0 for a description xslab_kmem_init refuses). */
static const char *xslab__kplan(const xslab_kmem_desc *d, uint32_t *first, uint32_t *last, size_t *max, size_t *slab)
{
    xslab_cache t;
    xslab_cache_desc cd;
    xslab_pages *ps = d->pages;
    size_t mx = d->max_size;
    if (XALLOC__LONE_LOCK(d->hooks)) return XALLOC__LONE_LOCK_TEXT;
    if (!ps) return "bad page source";
    if (d->min_size > 16) return "min_size must be 8 or 16 (or 0)";
    if (mx > XSLAB__MAX_SLAB / 2) return "max_size too large";
    if ((*slab = d->slab_size) != 0 && !XSLAB__SLAB_SIZE_OK(ps, *slab)) return "slab size does not suit the page source";
    if (!*slab && !ps->d.get) *slab = ps->d.page_size;
    *first = xslab__class_of(d->min_size ? d->min_size : 8);
    if (!mx) {
        uint32_t g = xslab__class_of(1024);
        /* a slab should hold two of the largest (or one of the smallest
         * class: then max_size is that class, never below it) */
        while (*slab && g > *first && xslab__class_size(g) * 2 + sizeof(xslab__slab) + 4 > *slab) g--;
        mx = xslab__class_size(g);
    }
    *last = xslab__class_of(mx);
    if (*last < *first) *last = *first;
    *max = mx;
    /* the largest class decides the slab size */
    cd.hooks.error = NULL;
    cd.hooks.lock = cd.hooks.unlock = NULL;
    cd.hooks.user = NULL;
    cd.pages = ps;
    cd.name = NULL;
    cd.size = xslab__class_size(*last);
    cd.align = cd.size & (0u - cd.size);
    cd.slab_size = *slab;
    cd.ctor = cd.dtor = NULL;
    cd.obj_user = NULL;
    cd.keep_empty = 0;
    cd.flags = 0;
    if (!xslab_cache_init(&t, &cd)) return "largest class does not fit in a slab"; /* cd reports nothing */
    *slab = t.d.slab_size;
    return NULL;
}

XALLOC_DEF size_t xslab_kmem_size(const xslab_kmem_desc *desc)
{
    uint32_t first, last;
    size_t max, slab;
    if (!desc || xslab__kplan(desc, &first, &last, &max, &slab)) return 0;
    return XSLAB__KNEED(first, last);
}

XALLOC_DEF xslab_kmem *xslab_kmem_init(void *mem, size_t size, const xslab_kmem_desc *desc)
{
    uint32_t first, last, i;
    size_t max, slab;
    xslab_kmem *k;
    const char *why;
    if (!desc) return NULL;
    why = xslab__kplan(desc, &first, &last, &max, &slab);
    if (!why && (!mem || size < XSLAB__KNEED(first, last))) why = "memory for the kmem is too small (see xslab_kmem_size)";
    if (why) {
        xslab__report(&desc->hooks, XALLOC_E_BADARG, mem, why);
        return NULL;
    }
    k = (xslab_kmem *)(void *)(((uintptr_t)mem + 7) & ~(uintptr_t)7);
    k->caches = (xslab_cache *)(void *)(k + 1);
    for (i = 0; i <= last - first; i++) {
        xslab_cache_desc cd;
        xslab_cache *c = &k->caches[i];
        xalloc__line nm;
        cd.hooks.error = NULL; /* the kmem reports set-up errors itself */
        cd.hooks.user = desc->hooks.user;
        cd.hooks.lock = cd.hooks.unlock = NULL; /* the kmem's lock covers them */
        cd.pages = desc->pages;
        cd.name = NULL;
        cd.size = xslab__class_size(first + i);
        cd.align = cd.size & (0u - cd.size);
        cd.slab_size = slab;
        cd.ctor = cd.dtor = NULL;
        cd.obj_user = NULL;
        cd.keep_empty = desc->keep_empty;
        cd.flags = desc->flags;
        /* cannot fail: the largest class fits a slab (kplan), so does
         * every smaller one, at no larger alignment than the slab */
        (void)xslab_cache_init(c, &cd);
        c->d.hooks.error = desc->hooks.error;
        c->kidx = i;
        c->d.flags |= XSLAB__KMALLOC;
        nm.len = 0;
        xalloc__put_str(&nm, "kmalloc-");
        xalloc__put_u(&nm, cd.size);
        nm.buf[nm.len] = '\0'; /* at most "kmalloc-536870912" */
        XALLOC_MEMCPY(c->namebuf, nm.buf, nm.len + 1);
        c->d.name = c->namebuf;
    }
    k->nclasses = last - first + 1;
    k->first = first;
    k->max_size = max;
    k->too_big = 0;
    k->hooks.error = desc->hooks.error;
    k->hooks.lock = desc->hooks.lock;
    k->hooks.unlock = desc->hooks.unlock;
    k->hooks.user = desc->hooks.user;
    xalloc__pair_hooks(&k->hooks);
    return k;
}

#if XALLOC_DEBUG >= 4
static const char *xslab__check_kmem(const xslab_kmem *k)
{
    uint32_t i;
    for (i = 0; i < k->nclasses; i++) {
        const char *why = xslab__check_cache(&k->caches[i]);
        if (why) return why;
    }
    return NULL;
}
static bool xslab__kfull_check(const xslab_kmem *k)
{
    const char *why = xslab__check_kmem(k);
    if (why) xslab__report(&k->hooks, XALLOC_E_CORRUPT, NULL, why);
    return why == NULL;
}
#define XSLAB__KFULL_CHECK(k) xslab__kfull_check(k)
#else
#define XSLAB__KFULL_CHECK(k) true
#endif

/* Class cache of a request, or NULL if it is too large. */
static inline xslab_cache *xslab__kcache(xslab_kmem *k, size_t size)
{
    uint32_t g;
    if (size > k->max_size) return NULL;
    g = xslab__class_of(size);
    return &k->caches[g < k->first ? 0 : g - k->first];
}

static void *xslab__kmalloc(xslab_kmem *k, size_t size)
{
    xslab_cache *c = xslab__kcache(k, size);
    if (!c) {
        k->too_big++;
        return NULL;
    }
    return xslab__alloc(c, (uint32_t)size);
}

XALLOC_DEF void *xslab_kmalloc(xslab_kmem *k, size_t size)
{
    void *p = NULL;
    if (XALLOC__LIKELY(!k->hooks.lock)) return XSLAB__KFULL_CHECK(k) ? xslab__kmalloc(k, size) : NULL;
    k->hooks.lock(k->hooks.user);
    if (XSLAB__KFULL_CHECK(k)) p = xslab__kmalloc(k, size);
    k->hooks.unlock(k->hooks.user);
    return p;
}

XALLOC_DEF void *xslab_kcalloc(xslab_kmem *k, size_t count, size_t size)
{
    void *p = NULL;
    /* count * size > max_size (<= 2^29) without a division: with both at
     * most max_size, log2(count) + log2(size) >= 30 means a product >=
     * 2^30; below that the product is < 2^31 and cannot overflow */
    if (size && count && (count > k->max_size || size > k->max_size ||
                          xalloc__log2_32((uint32_t)count) + xalloc__log2_32((uint32_t)size) >= 30)) {
        xslab__lock(&k->hooks);
        k->too_big++;
        xslab__unlock(&k->hooks);
        return NULL;
    }
    p = xslab_kmalloc(k, count * size);
    if (p) XALLOC_MEMSET(p, 0, count * size);
    return p;
}

/* The cache, slab and index of p, a live kmalloc object; or the error. */
static xalloc_error xslab__kfind(const xslab_kmem *k, const unsigned char *p, xslab_cache **cp, xslab__slab **sp, uint32_t *idx)
{
    const xslab_cache *c0 = &k->caches[0];
    xslab__slab *s = xslab__hdr(c0, p);
#if XALLOC_DEBUG >= 1
    xslab_cache *c;
    if ((uintptr_t)p - c0->lo >= c0->span) return XALLOC_E_FOREIGN;
    c = s->cache; /* one of ours, at an element's start? */
    if ((uintptr_t)c - (uintptr_t)c0 > (k->nclasses - 1) * sizeof(xslab_cache) || c != &k->caches[c->kidx])
        return XALLOC_E_FOREIGN;
    *cp = c;
    *sp = s;
    return xslab__locate(c, s, p, idx);
#else
    *cp = s->cache;
    *sp = s;
    (void)idx; /* level 0 keeps no bitmap */
    return XALLOC_OK;
#endif
}

static void xslab__kfree(xslab_kmem *k, unsigned char *p)
{
    xslab_cache *c = NULL;
    xslab__slab *s = NULL;
    uint32_t i = 0;
    xalloc_error e;
    if (!XSLAB__KFULL_CHECK(k)) return;
    e = xslab__kfind(k, p, &c, &s, &i);
    if (XALLOC__LIKELY(e == XALLOC_OK)) xslab__free_obj(c, s, p, i);
    else xslab__bad(&k->hooks, e, p);
}

XALLOC_DEF void xslab_kfree(xslab_kmem *k, void *ptr)
{
    if (!ptr) return;
    if (XALLOC__LIKELY(!k->hooks.lock)) {
        xslab__kfree(k, (unsigned char *)ptr);
        return;
    }
    k->hooks.lock(k->hooks.user);
    xslab__kfree(k, (unsigned char *)ptr);
    k->hooks.unlock(k->hooks.user);
}

/* Bytes usable at live object o of c. */
static inline size_t xslab__usable(const xslab_cache *c, const unsigned char *o)
{
#if XALLOC_DEBUG >= 3
    return xslab__req(c, o);
#else
    (void)o;
    return c->d.size;
#endif
}

XALLOC_DEF size_t xslab_ksize(xslab_kmem *k, const void *ptr)
{
    xslab_cache *c = NULL;
    xslab__slab *s = NULL;
    uint32_t i = 0;
    size_t n = 0;
    xalloc_error e;
    if (!ptr) return 0;
    xslab__lock(&k->hooks);
    e = xslab__kfind(k, (const unsigned char *)ptr, &c, &s, &i);
    if (e == XALLOC_OK) n = xslab__usable(c, (const unsigned char *)ptr);
    else xslab__bad(&k->hooks, e, ptr);
    xslab__unlock(&k->hooks);
    return n;
}

static void *xslab__krealloc(xslab_kmem *k, unsigned char *p, size_t size)
{
    xslab_cache *c = NULL, *nc;
    xslab__slab *s = NULL;
    uint32_t i = 0;
    size_t old;
    unsigned char *q;
    xalloc_error e = xslab__kfind(k, p, &c, &s, &i);
    if (e != XALLOC_OK) {
        xslab__bad(&k->hooks, e, p);
        return NULL;
    }
    if (size == 0) {
        xslab__free_obj(c, s, p, i);
        return NULL;
    }
    old = xslab__usable(c, p);
    nc = xslab__kcache(k, size);
    q = nc && nc != c && size <= old ? (unsigned char *)xslab__alloc(nc, (uint32_t)size) : NULL;
    if (nc == c || (!q && size <= c->d.size)) {
        /* in place: the same class, or a smaller one that had no room */
        c->allocs++;
        c->frees++;
#if XALLOC_DEBUG >= 3
        xslab__arm(c, p, (uint32_t)size);
#endif
        XALLOC__ON_RESIZE(c, p, XSLAB__USABLE(c, size));
        if (XSLAB__USABLE(c, size) < old) XALLOC__HIDE(p + size, old - size);
        return p;
    }
    if (!q && nc) q = (unsigned char *)xslab__alloc(nc, (uint32_t)size);
    if (!q) {
        if (!nc) k->too_big++;
        return NULL;
    }
    XALLOC_MEMCPY(q, p, old < size ? old : size);
    xslab__free_obj(c, s, p, i);
    return q;
}

XALLOC_DEF void *xslab_krealloc(xslab_kmem *k, void *ptr, size_t size)
{
    void *q = NULL;
    if (!ptr) return xslab_kmalloc(k, size);
    xslab__lock(&k->hooks);
    if (XSLAB__KFULL_CHECK(k)) q = xslab__krealloc(k, (unsigned char *)ptr, size);
    xslab__unlock(&k->hooks);
    return q;
}

XALLOC_DEF size_t xslab_kmem_shrink(xslab_kmem *k)
{
    size_t n = 0;
    uint32_t i;
    xslab__lock(&k->hooks);
    if (XSLAB__KFULL_CHECK(k))
        for (i = 0; i < k->nclasses; i++) n += xslab__shrink(&k->caches[i]);
    xslab__unlock(&k->hooks);
    return n;
}

XALLOC_DEF size_t xslab_kmem_destroy(xslab_kmem *k)
{
    size_t n = 0;
    uint32_t i;
    xslab__lock(&k->hooks);
    for (i = 0; i < k->nclasses; i++) n += xslab__destroy(&k->caches[i]);
    xslab__unlock(&k->hooks);
    return n;
}

XALLOC_DEF size_t xslab_kmem_classes(xslab_kmem *k)
{
    return k->nclasses;
}

XALLOC_DEF bool xslab_kmem_stats_get(xslab_kmem *k, size_t i, xslab_stats *out)
{
    if (i >= k->nclasses) return false;
    xslab__lock(&k->hooks);
    xslab__stats(&k->caches[i], out);
    xslab__unlock(&k->hooks);
    return true;
}

XALLOC_DEF const char *xslab_kmem_check(xslab_kmem *k)
{
    const char *why = NULL;
    uint32_t i;
    xslab__lock(&k->hooks);
    for (i = 0; i < k->nclasses && !why; i++) why = xslab__check_cache(&k->caches[i]);
    if (why) xslab__report(&k->hooks, XALLOC_E_CORRUPT, NULL, why);
    xslab__unlock(&k->hooks);
    return why;
}

XALLOC_DEF void xslab_kmem_walk(xslab_kmem *k, xslab_walk_fn fn, void *user)
{
    uint32_t i;
    xslab__lock(&k->hooks);
    for (i = 0; i < k->nclasses; i++)
        if (!xslab__walk(&k->caches[i], fn, user)) break;
    xslab__unlock(&k->hooks);
}

XALLOC_DEF void xslab_kmem_dump(xslab_kmem *k, xalloc_print_fn print, void *user)
{
    uint32_t i;
    size_t active = 0, bytes = 0, slabs = 0;
    xalloc__line l;
    xslab__lock(&k->hooks);
    xslab__dump_head(print, user);
    for (i = 0; i < k->nclasses; i++) {
        xslab_cache *c = &k->caches[i];
        xslab__dump_line(c, print, user);
        active += XSLAB__ACTIVE(c) * c->d.size;
        bytes += XSLAB__SLABS(c) * c->d.slab_size;
        slabs += XSLAB__SLABS(c);
    }
    l.len = 0;
    xalloc__put_str(&l, "  kmem ");
    xalloc__put_hex(&l, (uintptr_t)k);
    xalloc__put_str(&l, ": classes ");
    xalloc__put_u(&l, k->nclasses);
    xalloc__put_str(&l, " (");
    xalloc__put_u(&l, k->caches[0].d.size);
    xalloc__put_str(&l, "..");
    xalloc__put_u(&l, k->caches[k->nclasses - 1].d.size);
    xalloc__put_str(&l, " bytes), slabs ");
    xalloc__put_u(&l, slabs);
    xalloc__put_str(&l, " of ");
    xalloc__put_u(&l, k->caches[0].d.slab_size);
    xalloc__put_str(&l, " bytes, objects ");
    xalloc__put_u(&l, active);
    xalloc__put_str(&l, " bytes of ");
    xalloc__put_u(&l, bytes);
    xalloc__put_str(&l, " (");
    xalloc__put_pct(&l, active, bytes);
    xalloc__put_str(&l, "), too large ");
    xalloc__put_u(&l, k->too_big);
    xalloc__put_end(&l, print, user);
    xslab__unlock(&k->hooks);
}

#ifdef __cplusplus
}
#endif
#endif /* XALLOC_IMPLEMENTATION */

/*
------------------------------------------------------------------------------
This software is available under 2 licenses -- choose whichever you prefer.
------------------------------------------------------------------------------
ALTERNATIVE A - MIT License
Copyright (c) 2026 the xalloc authors
Permission is hereby granted, free of charge, to any person obtaining a copy of
this software and associated documentation files (the "Software"), to deal in
the Software without restriction, including without limitation the rights to
use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies
of the Software, and to permit persons to whom the Software is furnished to do
so, subject to the following conditions:
The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.
THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
------------------------------------------------------------------------------
ALTERNATIVE B - Public Domain (www.unlicense.org)
This is free and unencumbered software released into the public domain.
Anyone is free to copy, modify, publish, use, compile, sell, or distribute this
software, either in source code form or as a compiled binary, for any purpose,
commercial or non-commercial, and by any means.
In jurisdictions that recognize copyright laws, the author or authors of this
software dedicate any and all copyright interest in the software to the public
domain. We make this dedication in good faith to the benefit of the public at
large and to the detriment of our heirs and successors. We intend this
dedication to be an overt act of relinquishment in perpetuity of all present
and future rights to this software under copyright law.
THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN
ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION
WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
------------------------------------------------------------------------------
*/
