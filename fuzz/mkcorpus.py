#!/usr/bin/env python3
"""mkcorpus.py - writes the seed corpora fuzz/corpus/<name>/ and the
dictionaries fuzz/dict/<name>.dict. The outputs are committed; run this
again (python3 fuzz/mkcorpus.py [NAME...]) after changing an input format.

Each seed is a small program in the harness's input format (see the comment
at the top of fuzz/fuzz_<name>.c): the configuration bytes, then operations.
Together they reach every operation, every variant and every configuration
flag, so a fuzzer starts from programs that already mean something."""
import os
import struct
import sys

ROOT = os.path.dirname(os.path.abspath(__file__))


def u8(v):
    return struct.pack('<B', v & 0xFF)


def u16(v):
    return struct.pack('<H', v & 0xFFFF)


def write(name, files):
    cdir = os.path.join(ROOT, 'corpus', name)
    os.makedirs(cdir, exist_ok=True)
    for f in os.listdir(cdir):  # the seeds only: found/ (inputs AFL++ found, minimized) stays
        if os.path.isfile(os.path.join(cdir, f)):
            os.remove(os.path.join(cdir, f))
    for fname, data in sorted(files.items()):
        with open(os.path.join(cdir, fname), 'wb') as fh:
            fh.write(data)
    print('%s: %d seeds, %d bytes' % (cdir, len(files), sum(len(d) for d in files.values())))


def write_dict(name, tokens):
    ddir = os.path.join(ROOT, 'dict')
    os.makedirs(ddir, exist_ok=True)
    with open(os.path.join(ddir, name + '.dict'), 'w') as fh:
        fh.write('# AFL++ dictionary for fuzz/fuzz_%s.c, written by fuzz/mkcorpus.py:\n' % name)
        fh.write('# whole operations (opcode and operands) that are worth splicing in.\n')
        for tname, data in tokens:
            fh.write('%s="%s"\n' % (tname, ''.join('\\x%02x' % b for b in data)))


# ---- the heap, fuzz_xalloc.c -------------------------------------------------
class Heap:
    VARIANTS = 8
    (ALLOC, FREE, REALLOC, CALLOC, ALIGNED, REALLOC_ALIGNED, ADD_REGION, MAXALLOC, USABLE,
     WALK_STOP, DUMP, RESET_PEAK, STATS, MISUSE, FILL, FREE_EVERY, HUGE, ALLOC2, FREE2) = range(19)
    F_MISUSE, F_LOCK, F_LOCK_ONLY, F_UNLOCK_ONLY, F_TRACE, F_NULLDESC, F_MAXBLOCK, F_REVERSE = \
        1, 2, 4, 6, 8, 16, 32, 64

    @staticmethod
    def size(s):
        """encode a byte count the way dec_size() decodes it"""
        if s < 64:
            return s
        if s < 1024:
            return 0x6000 | s
        if s < 8192:
            return 0xA000 | s
        assert s % 8 == 0 and s < 65536
        return 0xC000 | (s >> 3)

    def __init__(self, variant, flags=0, rsize=16384, offset=0, max_block=0, seed=1, check=0, stats=0):
        self.b = bytearray()
        self.b += u8(variant) + u8(flags) + u16(rsize - 1) + u8(offset) + u16(max_block) + u8(seed)
        self.b += u8((check & 3) | (stats & 3) << 2)

    def op(self, code, *parts):
        self.b += u8(code)
        for p in parts:
            self.b += p
        return self

    def alloc(self, s): return self.op(self.ALLOC, u16(self.size(s)))
    def free(self, k): return self.op(self.FREE, u16(k))
    def realloc(self, k, s): return self.op(self.REALLOC, u16(k), u16(self.size(s)))
    def calloc(self, count, s): return self.op(self.CALLOC, u8(count), u16(self.size(s)))
    def calloc_many(self, esize, count): return self.op(self.CALLOC, u8(0x80 | esize), u16(0), u16(self.size(count)))
    def aligned(self, alog, s): return self.op(self.ALIGNED, u8(alog), u16(self.size(s)))
    def realloc_aligned(self, k, alog, s): return self.op(self.REALLOC_ALIGNED, u16(k), u8(alog), u16(self.size(s)))
    def add_region(self, off, n): return self.op(self.ADD_REGION, u16(off), u16(n))
    def maxalloc(self): return self.op(self.MAXALLOC)
    def usable(self, k): return self.op(self.USABLE, u16(k))
    def walk_stop(self, n): return self.op(self.WALK_STOP, u8(n))
    def dump(self): return self.op(self.DUMP)
    def reset_peak(self): return self.op(self.RESET_PEAK)
    def stats(self): return self.op(self.STATS)
    def misuse(self, kind, k=0, off=0, s=0): return self.op(self.MISUSE, u8(kind), u16(k), u8(off), u16(self.size(s)))
    def fill(self, s): return self.op(self.FILL, u16(self.size(s)))
    def free_every(self, m, start): return self.op(self.FREE_EVERY, u8(m), u8(start))
    def huge(self, mode, k=0): return self.op(self.HUGE, u8(mode), u16(k))

    def bytes(self):
        return bytes(self.b)


def gen_xalloc():
    H = Heap
    seeds = {}
    for v in range(H.VARIANTS):
        # every call once, with trace and lock hooks, checked after every op
        h = H(v, H.F_TRACE | H.F_LOCK, rsize=8192, offset=v * 3, seed=v, stats=3)
        for s in (0, 1, 24, 100, 700, 3000):
            h.alloc(s)
        h.free(1).realloc(0, 200).realloc(2, 10).realloc(3, 0).calloc(3, 40).calloc_many(7, 30)
        h.aligned(6, 50).aligned(10, 300).realloc_aligned(1, 8, 120).usable(2).walk_stop(2)
        h.dump().reset_peak().stats().maxalloc().huge(0).free(0)
        seeds['v%d-calls' % v] = h.bytes()
        # fill to out-of-memory, fragment, fill with larger blocks
        h = H(v, H.F_REVERSE, rsize=6000, offset=5, check=1, stats=1)
        h.fill(40).fill(40).free_every(2, 0).fill(72).free_every(3, 1).fill(24).maxalloc()
        seeds['v%d-fragment' % v] = h.bytes()
        # misuse of every kind (the harness skips what a level cannot detect)
        h = H(v, H.F_MISUSE | H.F_TRACE, rsize=12000, offset=7)
        h.alloc(100).alloc(40).alloc(300).free(1).alloc(64).free(0)
        for kind in range(8):
            h.misuse(kind, 1, 0x21 + kind, 30)
            h.misuse(kind | 0x10, 0, 0x42 + kind, 30)
            h.misuse(kind | 0x20, 2, 0x85 + kind, 30)
        h.misuse(4, 0, 7, 10).misuse(4 | 0x10, 1, 3, 10).misuse(5, 0, 0x80 | 4, 20).misuse(6, 0, 0xFF, 0)
        seeds['v%d-misuse' % v] = h.bytes()
    # regions: added, too small, overlapping; segments through max_block
    h = H(1, H.F_MAXBLOCK | H.F_MISUSE, rsize=20000, max_block=3000, offset=1)
    h.add_region(0, 4000).add_region(100, 500).add_region(4100, 60).add_region(5000, 20000)
    h.fill(1000).fill(200).free_every(2, 1).maxalloc().aligned(12, 100).misuse(6, 1, 3, 50).stats()
    seeds['regions'] = h.bytes()
    h = H(3, H.F_MAXBLOCK | H.F_TRACE, rsize=9000, max_block=64, offset=9)
    h.add_region(7, 3000).alloc(10).alloc(30).fill(20).free_every(2, 0).stats().dump()
    seeds['segments'] = h.bytes()
    # no description at all; lock hooks that must be ignored
    seeds['desc-null'] = H(2, H.F_NULLDESC, rsize=3000).alloc(10).alloc(20).free(0).misuse(0).stats().bytes()
    # a full heap: the realloc moves down into a free predecessor (and successor)
    for v in (0, 2, 3):
        h = H(v, H.F_TRACE, rsize=4096, seed=v)
        h.alloc(600).alloc(300).alloc(200).alloc(16).fill(16).free(0).free(1).realloc(0, 1000).stats()
        seeds['v%d-realloc-grows-down' % v] = h.bytes()
    seeds['lock-only'] = H(1, H.F_LOCK_ONLY, rsize=3000).alloc(10).realloc(0, 50).stats().bytes()
    seeds['unlock-only'] = H(4, H.F_UNLOCK_ONLY, rsize=3000).alloc(10).free(0).stats().bytes()
    # regions too small for init, at the limit, with a large max_block
    seeds['init-tiny'] = H(1, 0, rsize=40).bytes()
    seeds['init-small'] = H(0, 0, rsize=1200, offset=63).alloc(8).bytes()
    seeds['init-maxblock'] = H(2, H.F_MAXBLOCK, rsize=2000, max_block=60000).alloc(8).bytes()
    # requests no heap can meet
    h = H(1, H.F_TRACE, rsize=4000)
    h.alloc(10)
    for mode in range(6):
        h.huge(mode, 0x123 * (mode + 1))
    seeds['huge'] = h.bytes()
    # realloc in place: grow into a free neighbour, shrink, move
    h = H(0, H.F_TRACE, rsize=8000, stats=2)
    h.alloc(100).alloc(100).alloc(100).free(1).realloc(0, 180).realloc(0, 40).realloc(0, 400).realloc(1, 2000)
    seeds['realloc'] = h.bytes()
    write('xalloc', dict(('%s' % k, d) for k, d in seeds.items()))
    tokens = [('alloc_small', u8(H.ALLOC) + u16(24)), ('alloc_1k', u8(H.ALLOC) + u16(0x6000 | 1000)),
              ('fill_64', u8(H.FILL) + u16(64)), ('free_every_2', u8(H.FREE_EVERY) + u8(0) + u8(0)),
              ('maxalloc', u8(H.MAXALLOC)), ('stats', u8(H.STATS)),
              ('aligned_4k', u8(H.ALIGNED) + u8(12) + u16(100)),
              ('add_region', u8(H.ADD_REGION) + u16(0) + u16(4000))]
    for kind in range(8):
        tokens.append(('misuse_%d' % kind, u8(H.MISUSE) + u8(kind) + u16(0) + u8(1) + u16(16)))
    write_dict('xalloc', tokens)


# ---- the buddy allocator, fuzz_buddy.c ----------------------------------------
class Buddy:
    VARIANTS = 7
    (ALLOC, ALLOC_ORDER, FREE, FREE2, RESERVE, RELEASE, BLOCK_SIZE, WALK_STOP, DUMP, CHECK, MISUSE, FILL,
     FREE_EVERY, ALLOC2) = range(14)
    F_MISUSE, F_LOCK, F_LOCK_ONLY, F_UNLOCK_ONLY, F_META, F_NULLDESC, F_RELEASE_FIRST = 1, 2, 4, 6, 8, 16, 32

    def __init__(self, variant, flags=0, minlog=6, cap=0, maxres=0, size=65536, place=0, kinds=0, seed=1, check=0):
        self.b = bytearray()
        self.b += u8(variant) + u8(flags) + u8(minlog) + u8(cap) + u8(maxres)
        self.b += struct.pack('<I', size) + u16(place) + u8(kinds) + u8(seed) + u8(check)

    def op(self, code, *parts):
        self.b += u8(code)
        for p in parts:
            self.b += p
        return self

    # dec_size: order (v >> 12) % (maxo + 2), then (v & 0xFFF) % (block + 1)
    def alloc(self, order, low=0, addr_api=0): return self.op(self.ALLOC, u16(order << 12 | low), u8(addr_api))
    def alloc_order(self, o): return self.op(self.ALLOC_ORDER, u8(o))
    def free(self, k, sized=0): return self.op(self.FREE, u16(k), u16(3 if sized else 0))
    def free_addr(self, k, v=1): return self.op(self.FREE2, u16(k), u16(v))
    def reserve(self, v, w): return self.op(self.RESERVE, u16(v), u16(w))
    def release(self, v, w): return self.op(self.RELEASE, u16(v), u16(w))
    def block_size(self, k): return self.op(self.BLOCK_SIZE, u16(k))
    def walk_stop(self, n): return self.op(self.WALK_STOP, u8(n))
    def dump(self): return self.op(self.DUMP)
    def check(self): return self.op(self.CHECK)
    def misuse(self, kind, v=0, w=0): return self.op(self.MISUSE, u8(kind), u16(v), u16(w))
    def fill(self, o): return self.op(self.FILL, u8(o))
    def free_every(self, m, start): return self.op(self.FREE_EVERY, u8(m), u8(start))

    def bytes(self):
        return bytes(self.b)


def gen_buddy():
    B = Buddy
    seeds = {}
    for v in range(B.VARIANTS):
        # in-band: every call, reserve and release, with lock hooks
        b = B(v, B.F_LOCK, minlog=6, size=40000 + 999 * v, place=v * 5, seed=v)
        b.alloc(0, 10).alloc(2, 100, 1).alloc_order(3).alloc(1).free(1, 1).free_addr(0).block_size(0)
        b.reserve(20, 40 << 6).release(25, 4 << 6).reserve(0x8000 | 100, (8 << 6) | 1).walk_stop(3).dump().check()
        b.fill(0).fill(2).free_every(2, 1).fill(1).release(0, 0xFF << 6)
        seeds['v%d-inband' % v] = b.bytes()
        # metadata-only: a large range, odd base, table limits
        b = B(v, B.F_META | B.F_RELEASE_FIRST, minlog=12, cap=4, maxres=3, size=0x0200FFFF, place=0x1234,
              kinds=(v % 8) | 0, seed=3)
        b.alloc_order(2).alloc_order(0).alloc(1, 5, 1).reserve(10, 5 << 6).reserve(30, 2 << 6).reserve(50, 3 << 6)
        b.reserve(70, 1 << 6).release(11, 1 << 6).free_every(2, 0).fill(4).check()
        seeds['v%d-meta' % v] = b.bytes()
        # misuse of every kind
        b = B(v, B.F_MISUSE, minlog=5, size=30000, place=17)
        b.alloc(3).alloc(0, 1).alloc(1).alloc(2).free(1).reserve(200, 3 << 6)
        for kind in range(6):
            for j in range(3):
                b.misuse(kind | j << 3, 0x101 * (j + 1) + kind, 0x2345 * (kind + 1) + j)
        b.misuse(4, 0, 0).alloc_order(0).misuse(4, 1, 0x100).fill(0)
        seeds['v%d-misuse' % v] = b.bytes()
    # init failures and corner configurations
    seeds['init-badmin'] = B(1, 0, minlog=0xE6).bytes()
    seeds['init-badcap'] = B(1, 0, minlog=6, cap=250).bytes()
    seeds['init-tiny'] = B(2, 0, minlog=8, size=100).bytes()
    seeds['init-default-min'] = B(6, 0, minlog=31, size=100000).alloc(0, 1).bytes()
    seeds['meta-short'] = B(1, B.F_META, minlog=12, size=1000, kinds=0x30).bytes()
    seeds['meta-null'] = B(1, B.F_META, minlog=12, size=1000, kinds=0x38).bytes()
    seeds['meta-top'] = B(3, B.F_META, minlog=12, size=5000, place=7, kinds=4).alloc_order(1).fill(0).bytes()
    seeds['meta-overtop'] = B(3, B.F_META, minlog=12, size=5000, place=7, kinds=5).bytes()
    seeds['meta-huge'] = B(4, B.F_META, minlog=9, size=0x00FFFFFF, kinds=7, check=2).alloc_order(20).fill(10).bytes()
    seeds['desc-null'] = B(1, B.F_NULLDESC, size=100000).alloc(0).fill(0).bytes()
    seeds['lock-only'] = B(1, B.F_LOCK_ONLY, size=20000).alloc(0).free(0).bytes()
    seeds['unlock-only'] = B(2, B.F_UNLOCK_ONLY, size=20000).alloc(0).free(0).bytes()
    seeds['lock-only-meta'] = B(1, B.F_LOCK_ONLY | B.F_META, minlog=12, size=5000, kinds=7).alloc_order(1).fill(0).bytes()
    write('buddy', seeds)
    tokens = [('alloc_o0', u8(B.ALLOC_ORDER) + u8(0)), ('fill_o0', u8(B.FILL) + u8(0)),
              ('fill_o2', u8(B.FILL) + u8(2)), ('free_every', u8(B.FREE_EVERY) + u8(0) + u8(0)),
              ('reserve', u8(B.RESERVE) + u16(20) + u16(8 << 6)), ('release_all', u8(B.RELEASE) + u16(0) + u16(0xFFC0)),
              ('check', u8(B.CHECK))]
    for kind in range(6):
        tokens.append(('misuse_%d' % kind, u8(B.MISUSE) + u8(kind) + u16(1) + u16(0x10)))
    write_dict('buddy', tokens)


# ---- the bitmap allocator, fuzz_bitmap.c -------------------------------------
class Bitmap:
    VARIANTS = 8
    (ALLOC, ALLOC_RUN, ALLOC_AT, FREE, FREE_PART, RESERVE, RELEASE, STATE, WALK_STOP, DUMP, CHECK, MISUSE, FILL,
     FREE_EVERY, ALLOC_RUN2) = range(15)
    F_MISUSE, F_LOCK, F_LOCK_ONLY, F_UNLOCK_ONLY, F_BEST, F_NULLDESC, F_RANDOM, F_START_USED, F_BADPOLICY = \
        1, 2, 4, 6, 8, 16, 32, 64, 128

    @staticmethod
    def count(n):
        """encode a unit count (n >> 28 picks the range)"""
        if n <= 4096:
            return n - 1
        if n <= 65536:
            return 10 << 28 | (n - 1)
        assert n <= 1 << 20
        return 13 << 28 | (n - 1)

    @staticmethod
    def n(k):
        """encode a run length for dec_n (k <= 64)"""
        return k - 1 if k <= 8 else 0x4000 | (k - 1)

    @staticmethod
    def align(log2):
        """encode 1 << log2 for dec_align (None: 0)"""
        if log2 is None:
            return 0
        return next(a for a in range(256) if a % 5 and a % 24 == log2)

    def __init__(self, variant, flags=0, count=1000, meta=0, seed=1, check=0, raw_count=None):
        self.b = bytearray()
        self.b += u8(variant) + u8(flags)
        self.b += struct.pack('<I', raw_count if raw_count is not None else self.count(count))
        self.b += u8(meta) + u8(seed) + u8(check)

    def op(self, code, *parts):
        self.b += u8(code)
        for p in parts:
            self.b += p
        return self

    def alloc(self): return self.op(self.ALLOC)
    def alloc_run(self, k, alog=None): return self.op(self.ALLOC_RUN, u16(self.n(k)), u8(self.align(alog)))
    def alloc_at(self, v, w, k=1): return self.op(self.ALLOC_AT, u16(v), u16(w), u16(self.n(k)))
    def free(self, k, m=0): return self.op(self.FREE, u16(k), u8(m))
    def free_part(self, k, v): return self.op(self.FREE_PART, u16(k), u16(v))
    def reserve(self, v, w, k=8): return self.op(self.RESERVE, u16(v), u16(w), u16(self.n(k)))
    def release(self, v, w, k=1): return self.op(self.RELEASE, u16(v), u16(w), u16(self.n(k)))
    def state(self, v, w): return self.op(self.STATE, u16(v), u16(w))
    def walk_stop(self, n): return self.op(self.WALK_STOP, u8(n))
    def dump(self): return self.op(self.DUMP)
    def check(self): return self.op(self.CHECK)
    def misuse(self, kind, v=0, w=0, k=3): return self.op(self.MISUSE, u8(kind), u16(v), u16(w), u16(self.n(k)))
    def fill(self, k, alog=None): return self.op(self.FILL, u16(self.n(k)), u8(self.align(alog)))
    def free_every(self, m, start): return self.op(self.FREE_EVERY, u8(m), u8(start))

    def bytes(self):
        return bytes(self.b)


def gen_bitmap():
    M = Bitmap
    seeds = {}
    for v in range(M.VARIANTS):
        for name, flags in (('first', M.F_LOCK), ('best', M.F_BEST), ('random', M.F_RANDOM), ('best-random', M.F_BEST | M.F_RANDOM)):
            m = M(v, flags, count=3000 + 77 * v, meta=v, seed=v + 1)
            m.alloc().alloc().alloc_run(5).alloc_run(8, 3).alloc_run(64, 6).alloc_at(0x0002, 40, 7).free(1).free_part(0, 0x0101)
            m.reserve(0x0002, 0x0800, 40).release(0x0000, 0x0002, 5).reserve(0x0402, 0x0300, 64).state(2, 3).walk_stop(2)
            m.dump().check().fill(3).fill(16, 4).free_every(2, 1).fill(24, 3).free(0, 3).alloc_run(33, 2)
            m.release(0x0001, 0x0006, 3).reserve(0x0006, 0x0400, 17)
            seeds['v%d-%s' % (v, name)] = m.bytes()
        m = M(v, M.F_MISUSE, count=5000, seed=9)
        m.alloc_run(10).alloc_run(4).alloc().reserve(0x0402, 0x0100).free(1)
        for kind in range(7):
            for j in range(3):
                m.misuse(kind | j << 3, 0x0123 * (j + 1) + kind, 0x0211 * (kind + 2) + j)
        m.check()
        seeds['v%d-misuse' % v] = m.bytes()
    seeds['start-used'] = M(1, M.F_START_USED, count=2000).alloc().alloc_at(2, 100, 9).free(0).free_part(0, 0x1003).alloc().check().bytes()
    seeds['big'] = M(2, 0, count=1 << 20, check=3).alloc_run(64, 6).fill(64, 12).alloc().reserve(3, 0x4000, 60).check().bytes()
    seeds['huge'] = M(1, 0, raw_count=14 << 28 | 0x03FFFFFF, check=3).alloc_run(8, 3).alloc().check().bytes()
    seeds['count-zero'] = M(1, 0, raw_count=15 << 28 | 1).bytes()
    seeds['count-too-big'] = M(1, 0, raw_count=15 << 28).bytes()
    seeds['buffer-short'] = M(1, 0, count=100, meta=8).bytes()
    seeds['buffer-null'] = M(1, 0, count=100, meta=16).bytes()
    seeds['bad-policy'] = M(1, M.F_BADPOLICY, count=100).bytes()
    seeds['desc-null'] = M(2, M.F_NULLDESC, count=100).alloc().alloc_run(3).fill(7).bytes()
    seeds['lock-only'] = M(1, M.F_LOCK_ONLY, count=64).alloc().free(0).bytes()
    seeds['unlock-only'] = M(1, M.F_UNLOCK_ONLY, count=64).alloc().free(0).bytes()
    seeds['one-unit'] = M(0, M.F_RANDOM, count=1).alloc().alloc().free(0).alloc_run(1, 5).bytes()
    write('bitmap', seeds)
    tokens = [('alloc', u8(M.ALLOC)), ('run_8_8', u8(M.ALLOC_RUN) + u16(M.n(8)) + u8(M.align(3))),
              ('fill_1', u8(M.FILL) + u16(0) + u8(0)), ('fill_64', u8(M.FILL) + u16(M.n(64)) + u8(M.align(6))),
              ('free_every', u8(M.FREE_EVERY) + u8(0) + u8(0)), ('reserve', u8(M.RESERVE) + u16(2) + u16(0x200) + u16(M.n(40))),
              ('release', u8(M.RELEASE) + u16(1) + u16(2) + u16(0)), ('check', u8(M.CHECK))]
    for kind in range(7):
        tokens.append(('misuse_%d' % kind, u8(M.MISUSE) + u8(kind) + u16(0x11) + u16(0x22) + u16(2)))
    write_dict('bitmap', tokens)


# ---- the slab allocator, fuzz_slab.c ------------------------------------------
class Slab:
    VARIANTS = 8
    (ALLOC_A, ALLOC_B, FREE, KMALLOC, KCALLOC, KREALLOC, SHRINK, DESTROY, STATS, WALK_STOP, DUMP, MISUSE, FILL,
     FREE_EVERY, CHECK, FREE2) = range(16)
    F_MISUSE, F_LOCK, F_LOCK_ONLY, F_UNLOCK_ONLY, F_CALLBACKS, F_NOHOOKS, F_B, F_KMEM, F_MISALIGN = \
        1, 2, 4, 6, 8, 16, 32, 64, 128
    A_CTOR, A_DTOR, A_NO_COLOUR, A_RELEASE_EMPTY = 4, 8, 64, 128

    @staticmethod
    def size(n):
        if n <= 16:
            return n - 1
        if n <= 128:
            return 0x4000 | (n - 1)
        if n <= 1024:
            return 0x8000 | (n - 1)
        return 0xC000 | (n - 1)

    @staticmethod
    def ksize(n):
        return n if n < 32 else 0x4000 | n if n < 256 else 0x8000 | n

    @staticmethod
    def align(log2):
        if log2 is None:
            return 0
        return next(a for a in range(256) if a % 5 and a % 13 == log2)

    def __init__(self, variant, flags=0, pagelog=6, region=65536, roff=0, a_size=32, a_align=None, a_bits=0,
                 b_size=100, b_align=None, k_min16=0, k_max=0, k_bits=0, seed=1, check=0, stats=0):
        self.b = bytearray()
        self.b += u8(variant) + u8(flags) + u8(pagelog - 6) + u16(region // 16 - 1) + u8(roff)
        self.b += u16(self.size(a_size)) + u8(self.align(a_align)) + u8(a_bits)
        self.b += u16(self.size(b_size)) + u8(self.align(b_align))
        self.b += u8(k_min16) + u16(k_max) + u8(k_bits) + u8(seed) + u8(check | stats << 2)

    def op(self, code, *parts):
        self.b += u8(code)
        for p in parts:
            self.b += p
        return self

    def alloc_a(self): return self.op(self.ALLOC_A)
    def alloc_b(self): return self.op(self.ALLOC_B)      # with a second cache: no operand
    def free(self, k): return self.op(self.FREE, u16(k))
    def kmalloc(self, n): return self.op(self.KMALLOC, u16(self.ksize(n)))
    def kcalloc(self, c, v): return self.op(self.KCALLOC, u8(c), u16(v))
    def krealloc(self, k, n): return self.op(self.KREALLOC, u16(k), u16(self.ksize(n)))
    def kfree_realloc0(self, k): return self.op(self.KREALLOC, u16(k), u16(0x8000))
    def shrink(self, w): return self.op(self.SHRINK, u8(w))
    def destroy(self, w): return self.op(self.DESTROY, u8(0xF0 | w))
    def stats(self): return self.op(self.STATS)
    def walk_stop(self, n): return self.op(self.WALK_STOP, u8(n))
    def dump(self): return self.op(self.DUMP)
    def misuse(self, kind, k=0, off=0): return self.op(self.MISUSE, u8(kind), u16(k), u16(off))
    def fill(self, w, n=0): return self.op(self.FILL, u8(w), u16(self.ksize(n)))
    def free_every(self, m, start): return self.op(self.FREE_EVERY, u8(m), u8(start))
    def check(self): return self.op(self.CHECK)

    def bytes(self):
        return bytes(self.b)


def gen_slab():
    L = Slab
    seeds = {}
    for v in range(L.VARIANTS):
        # region, two caches and a kmalloc: every call
        s = L(v, L.F_LOCK | L.F_B | L.F_KMEM, pagelog=12, region=80000, roff=v * 9, a_size=48, a_bits=L.A_CTOR | L.A_DTOR | 0x10,
              b_size=200, b_align=6, k_max=2000, seed=v, stats=2)
        s.alloc_a().alloc_a().alloc_b().kmalloc(10).kmalloc(100).kmalloc(700).kcalloc(3, 40).kcalloc(0x80 | 1, 0x0123)
        s.free(1).krealloc(2, 300).krealloc(3, 5).kfree_realloc0(0).stats().walk_stop(2).dump().check()
        s.fill(0).fill(1).fill(2, 64).free_every(2, 1).shrink(0).shrink(1).shrink(2).fill(0).destroy(0).alloc_a()
        seeds['v%d-region' % v] = s.bytes()
        # callbacks: large slabs, a misbehaving page source, destroy with objects live
        s = L(v, L.F_CALLBACKS | L.F_KMEM | L.F_MISALIGN, pagelog=8, region=300000, a_size=3000, a_align=9,
              a_bits=1 | L.A_RELEASE_EMPTY, k_max=0, k_bits=1, seed=v + 3, check=1, stats=1)
        s.alloc_a().alloc_a().fill(0).kmalloc(20).fill(2, 500).free_every(3, 0).krealloc(0, 1000).stats()
        s.destroy(2).kmalloc(8).destroy(0).alloc_a().shrink(1)
        seeds['v%d-callbacks' % v] = s.bytes()
        # misuse of every kind
        s = L(v, L.F_MISUSE | L.F_B | L.F_KMEM, pagelog=10, region=50000, a_size=40, b_size=24, k_max=512, seed=v + 7)
        s.alloc_a().alloc_a().alloc_b().kmalloc(30).kmalloc(3).free(0).kmalloc(100)
        for kind in range(8):
            for j in range(3):
                s.misuse(kind | j << 3 | (j << 5), 0x0101 * (j + 1) + kind, 0x0345 * (kind + 1) + j)
        s.check().stats()
        seeds['v%d-misuse' % v] = s.bytes()
    seeds['no-hooks'] = L(1, L.F_NOHOOKS | L.F_KMEM, region=40000).alloc_a().kmalloc(50).free(0).stats().bytes()
    seeds['lock-only-a'] = L(1, L.F_LOCK_ONLY, pagelog=12, region=20000).alloc_a().free(0).bytes()
    seeds['unlock-only'] = L(2, L.F_UNLOCK_ONLY, pagelog=12, region=20000).alloc_a().free(0).bytes()
    # a lone hook given to the page source and the kmem as well (region, callbacks)
    seeds['lock-only-kmem'] = L(1, L.F_LOCK_ONLY | L.F_KMEM, pagelog=12, region=40000).alloc_a().kmalloc(40).free(0).bytes()
    seeds['unlock-only-callbacks-kmem'] = L(3, L.F_UNLOCK_ONLY | L.F_CALLBACKS | L.F_KMEM, pagelog=8, region=100000,
                                            k_max=300).kmalloc(200).alloc_a().stats().bytes()
    seeds['region-tiny'] = L(1, 0, pagelog=12, region=4000).bytes()
    seeds['cache-huge-object'] = L(1, 0, pagelog=6, region=8192, a_size=5000).bytes()
    seeds['cache-bad-align'] = L(3, L.F_CALLBACKS, pagelog=7, region=16384, a_size=100, a_align=12).alloc_a().bytes()
    seeds['dtor-only'] = L(2, L.F_MISUSE, region=30000, a_size=64, a_bits=L.A_DTOR).alloc_a().free(0).misuse(4).alloc_a().bytes()
    seeds['kmem-bad'] = L(1, L.F_KMEM, pagelog=6, region=8192, k_min16=1, k_max=1500).kmalloc(8).bytes()
    write('slab', seeds)
    tokens = [('alloc_a', u8(L.ALLOC_A)), ('fill_a', u8(L.FILL) + u8(0) + u16(0)), ('fill_k', u8(L.FILL) + u8(2) + u16(100)),
              ('kmalloc_64', u8(L.KMALLOC) + u16(64)), ('free_every', u8(L.FREE_EVERY) + u8(0) + u8(0)),
              ('shrink', u8(L.SHRINK) + u8(0)), ('stats', u8(L.STATS)), ('check', u8(L.CHECK))]
    for kind in range(8):
        tokens.append(('misuse_%d' % kind, u8(L.MISUSE) + u8(kind) + u16(1) + u16(0x21)))
    write_dict('slab', tokens)


GENERATORS = {'xalloc': gen_xalloc, 'buddy': gen_buddy, 'bitmap': gen_bitmap, 'slab': gen_slab}

if __name__ == '__main__':
    for n in sys.argv[1:] or sorted(GENERATORS):
        GENERATORS[n]()
