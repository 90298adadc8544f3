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
