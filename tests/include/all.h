/* Includes every xalloc header present, twice over (guards must hold). */
#include "xalloc.h"
#include "xalloc.h"
#if defined(__has_include)
#if __has_include("xalloc_buddy.h")
#include "xalloc_buddy.h"
#include "xalloc_buddy.h"
#define HAVE_BUDDY 1
#endif
#if __has_include("xalloc_slab.h")
#include "xalloc_slab.h"
#include "xalloc_slab.h"
#define HAVE_SLAB 1
#endif
#if __has_include("xalloc_bitmap.h")
#include "xalloc_bitmap.h"
#include "xalloc_bitmap.h"
#define HAVE_BITMAP 1
#endif
#endif
#include "xalloc.h"
