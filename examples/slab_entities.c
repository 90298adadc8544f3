/* slab_entities.c - a game's entity and particle pools on slab caches,
 * fed with pages by the buddy allocator.
 *
 * A 4 MiB arena is managed by xalloc_buddy.h; xalloc_slab.h takes its slabs
 * from it through the two page-source callbacks. Entities live in a cache
 * with a constructor (each object is set up once, when its slab is made,
 * and comes back in that state) and a destructor; particles in a cache
 * that gives empty slabs back to the buddy at once; entity names come from
 * a kmalloc. Waves of entities spawn and die over frames; at the end the
 * caches are shrunk and every page is back in the buddy.
 * Build: cc -I. examples/slab_entities.c   (make demo runs it) */
#include <stdio.h>
#include <string.h>
#define XALLOC_IMPLEMENTATION
#include "xalloc_buddy.h"
#include "xalloc_slab.h"

typedef struct entity {
    float    pos[3], vel[3];
    uint32_t id, generation;   /* the constructor sets generation 0      */
    uint32_t alive;            /* 0 while cached; the game sets 1        */
    char    *name;             /* from the kmalloc                        */
    struct particle *trail;    /* particles it emits, a singly linked list */
} entity;

typedef struct particle {
    float pos[2], life;
    struct particle *next;
} particle;

static unsigned char arena[4u << 20] __attribute__((aligned(4096)));
static xbuddy *buddy;
static xslab_pages pages;
static xslab_cache entities, particles;
static unsigned char kmem_mem[8192];
static xslab_kmem *names;
static unsigned constructed, destructed;

/* The page source: slabs are buddy blocks, which are aligned to their size. */
static void *get_pages(void *user, size_t size, size_t align)
{
    (void)user; (void)align;
    return xbuddy_alloc(buddy, size);
}
static void put_pages(void *user, void *ptr, size_t size)
{
    (void)user; (void)size;
    xbuddy_free(buddy, ptr);
}

/* Bonwick's object caching: the expensive set-up once per object, not per
 * spawn; a freed entity must come back in this state (alive 0, no name,
 * no trail), and the next spawn finds it ready. */
static void entity_ctor(void *user, void *obj)
{
    entity *e = (entity *)obj;
    (void)user;
    memset(e, 0, sizeof *e);
    constructed++;
}
static void entity_dtor(void *user, void *obj)
{
    entity *e = (entity *)obj;
    (void)user;
    if (e->alive || e->name || e->trail) printf("  an entity was cached in a live state!\n");
    destructed++;
}

static void report(void *user, xalloc_error err, uintptr_t ptr, const char *what)
{
    (void)user;
    printf("  slab says: %s at %#lx (%s)\n", xalloc_error_name(err), (unsigned long)ptr, what);
}
static void print_line(void *user, const char *line) { (void)user; fputs(line, stdout); }

static uint32_t rng = 12345;
static uint32_t next_rand(void) { rng = rng * 1664525u + 1013904223u; return rng >> 8; }

#define MAX_LIVE 6000
static entity *live[MAX_LIVE];
static int nlive;
static uint32_t next_id = 1;

static void spawn(void)
{
    entity *e = (entity *)xslab_alloc(&entities);
    char buf[32];
    int i, n;
    if (!e || nlive == MAX_LIVE) return;
    e->id = next_id++;
    e->generation++;
    e->alive = 1;
    e->pos[0] = (float)(next_rand() % 1000);
    e->vel[1] = 1.0f;
    n = snprintf(buf, sizeof buf, "goblin #%u", (unsigned)e->id);
    e->name = (char *)xslab_kmalloc(names, (size_t)n + 1);
    if (e->name) memcpy(e->name, buf, (size_t)n + 1);
    for (i = 0; i < (int)(next_rand() % 8); i++) {
        particle *p = (particle *)xslab_alloc(&particles);
        if (!p) break;
        p->life = 1.0f;
        p->next = e->trail;
        e->trail = p;
    }
    live[nlive++] = e;
}

static void despawn(int k)
{
    entity *e = live[k];
    while (e->trail) {
        particle *p = e->trail;
        e->trail = p->next;
        xslab_free(&particles, p);
    }
    xslab_kfree(names, e->name);
    e->name = NULL;
    e->alive = 0;           /* back to the constructed state */
    xslab_free(&entities, e);
    live[k] = live[--nlive];
}

static void show(const char *when)
{
    xbuddy_stats bs;
    xslab_stats es, ps;
    xbuddy_stats_get(buddy, &bs);
    xslab_stats_get(&entities, &es);
    xslab_stats_get(&particles, &ps);
    printf("%-22s %5d entities in %3zu slabs, %5zu particles in %3zu slabs, buddy: %7lu bytes free\n", when, nlive,
           es.num_slabs, ps.active_objs, ps.num_slabs, (unsigned long)bs.free_bytes);
}

int main(void)
{
    xbuddy_desc bd;
    xslab_pages_desc pd;
    xslab_cache_desc cd;
    xslab_kmem_desc kd;
    xslab_stats st;
    int frame, i;

    memset(&bd, 0, sizeof bd);
    bd.min_block = 4096;
    buddy = xbuddy_init(arena, sizeof arena, &bd);

    memset(&pd, 0, sizeof pd);          /* zero = defaults */
    pd.get = get_pages;
    pd.put = put_pages;
    pd.page_size = 4096;
    pd.hooks.error = report;
    xslab_pages_init(&pages, NULL, 0, &pd);

    memset(&cd, 0, sizeof cd);
    cd.hooks.error = report;
    cd.pages = &pages;
    cd.name = "entity";
    cd.size = sizeof(entity);
    cd.align = 64;                      /* one cache line each */
    cd.ctor = entity_ctor;
    cd.dtor = entity_dtor;
    cd.keep_empty = 4;                  /* spare slabs for the next wave */
    if (!buddy || !xslab_cache_init(&entities, &cd)) return 1;

    memset(&cd, 0, sizeof cd);
    cd.hooks.error = report;
    cd.pages = &pages;
    cd.name = "particle";
    cd.size = sizeof(particle);
    cd.flags = XSLAB_RELEASE_EMPTY;     /* empty slabs go back to the buddy */
    if (!xslab_cache_init(&particles, &cd)) return 1;

    memset(&kd, 0, sizeof kd);
    kd.hooks.error = report;
    kd.pages = &pages;
    kd.max_size = 256;
    if (xslab_kmem_size(&kd) > sizeof kmem_mem) return 1;
    names = xslab_kmem_init(kmem_mem, sizeof kmem_mem, &kd);
    if (!names) return 1;

    xslab_stats_get(&entities, &st);
    printf("entity: %zu bytes, stride %zu, %zu per %zu-byte slab; particle: %zu bytes\n",
           sizeof(entity), st.stride, st.objperslab, st.slab_size, sizeof(particle));
    show("start");
    for (frame = 1; frame <= 300; frame++) {
        int wave = frame % 100 < 50;    /* 50 frames of spawning, 50 of dying */
        for (i = 0; i < 40; i++) {
            if (wave || nlive == 0) spawn();
            if (nlive && (!wave || next_rand() % 3 == 0)) despawn((int)(next_rand() % (uint32_t)nlive));
        }
        if (frame % 50 == 0) {
            char when[32];
            snprintf(when, sizeof when, "frame %d", frame);
            show(when);
        }
    }
    printf("\n/proc/slabinfo of the entity cache:\n");
    xslab_dump(&entities, print_line, NULL);
    printf("\nthe kmalloc of names:\n");
    xslab_kmem_dump(names, print_line, NULL);

    /* misuse is reported and changes nothing */
    printf("\nmisuse:\n");
    if (nlive) {
        entity *e = live[0];
        xslab_free(&particles, e);      /* an entity to the particle cache */
        xslab_free(&entities, (char *)e + 8);
    }

    printf("\nconstructed %u entities, destructed %u so far\n", constructed, destructed);
    while (nlive) despawn(nlive - 1);
    printf("check: entity %s, particle %s, names %s\n", xslab_check(&entities) ? "BROKEN" : "ok",
           xslab_check(&particles) ? "BROKEN" : "ok", xslab_kmem_check(names) ? "BROKEN" : "ok");
    show("all despawned");
    printf("shrink gives back %zu + %zu + %zu slabs\n", xslab_shrink(&entities), xslab_shrink(&particles),
           xslab_kmem_shrink(names));
    show("after shrink");
    printf("constructed %u, destructed %u; buddy check: %s\n", constructed, destructed, xbuddy_check(buddy) ? "BROKEN" : "ok");
    return constructed == destructed && !xbuddy_check(buddy) ? 0 : 1;
}
