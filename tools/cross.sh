#!/bin/sh
# tools/cross.sh TARGET - the bare-metal proof for one target, every header.
#
# For each xalloc*.h (found by name) and TARGET:
#   1. the implementation alone, compiled at -O0/-O2/-Os and each
#      XALLOC_DEBUG level in LEVELS (default all; make cross passes
#      PORT_LEVELS, 0 1 3 4) with -ffreestanding -fno-stack-protector and the
#      Makefile's WSTRICT warnings as errors; `nm -u` of each object must be
#      empty (no libc call, no libgcc helper, nothing the compiler emitted);
#   2. (C targets) the header's freestanding program tests/freestanding/<name>.c
#      (xalloc.h -> xalloc.c, xalloc_<name>.h -> <name>.c) with the startup
#      code tests/freestanding/start.c, linked with -nostdlib --gc-sections
#      against that object into an image that must have no undefined symbol;
#   3. the image run, where an emulator is there (qemu-arm, qemu-riscv64,
#      qemu-riscv32; the host runs its own), exit code 0 required.
# TARGET: m0 m4 (arm-none-eabi-gcc), rv64 rv32 (riscv64-unknown-elf-gcc),
#         gcc clang (the host, C), g++ clang++ (the host, C++: objects only,
#         -O2 only: `make warnings` already builds C++ at every level),
#         clang-m0 clang-m4 clang-rv32 clang-i386 (clang for 32-bit targets,
#         objects only, -O2, levels 0 and 4 or CROSS_CLANG_LEVELS: clang
#         rebuilds divisions and multiplies from shifts and adds where gcc
#         does not, and on these targets a 64-bit one is a libgcc call).
# Images and objects go to $O/port/cross/<name>/<target>/. Exit 1 on any
# failure, after trying everything; missing tools are named with their
# Debian package.
set -u
cd "$(dirname "$0")/.."
target=${1:?usage: tools/cross.sh m0|m4|rv64|rv32|gcc|clang|g++|clang++|clang-m0|clang-m4|clang-rv32|clang-i386}
O=${O:-build}
WSTRICT=${WSTRICT:--Wall -Wextra -Wpedantic -Wshadow -Wcast-align -Wconversion -Wsign-conversion -Werror}
OPTS=${CROSS_OPTS:--O0 -O2 -Os}
LEVELS=${LEVELS:-0 1 2 3 4}

lang=c std=-std=c99 link=yes ldflags= run=
case $target in
m0)   cc="arm-none-eabi-gcc -mcpu=cortex-m0 -mthumb"; nm=arm-none-eabi-nm; pkg=gcc-arm-none-eabi
      ldflags="-Wl,--undefined=xfs_vectors"; run=qemu-arm ;;
m4)   cc="arm-none-eabi-gcc -mcpu=cortex-m4 -mthumb"; nm=arm-none-eabi-nm; pkg=gcc-arm-none-eabi
      ldflags="-Wl,--undefined=xfs_vectors"; run=qemu-arm ;;
rv64) cc="riscv64-unknown-elf-gcc"; nm=riscv64-unknown-elf-nm; pkg=gcc-riscv64-unknown-elf
      ldflags="-Wl,--no-warn-rwx-segments"; run=qemu-riscv64 ;;
rv32) cc="riscv64-unknown-elf-gcc -march=rv32imac -mabi=ilp32"; nm=riscv64-unknown-elf-nm
      pkg=gcc-riscv64-unknown-elf; ldflags="-Wl,--no-warn-rwx-segments"; run=qemu-riscv32 ;;
gcc|clang)
      cc=$target; nm=nm; pkg=$target; ldflags="-static -no-pie"; run=native
      [ "$(uname -m)" = x86_64 ] || link=no ;;   # start.c has x86-64 startup only
g++)  cc=g++; nm=nm; pkg=g++; lang=c++; std=-std=c++11; link=no; OPTS=${CROSS_OPTS:--O2} ;;
clang++) cc=clang++; nm=nm; pkg=clang; lang=c++; std=-std=c++17; link=no; OPTS=${CROSS_OPTS:--O2} ;;
clang-m0)   cc="clang --target=thumbv6m-none-eabi -mcpu=cortex-m0"; nm=nm; pkg=clang; link=no; OPTS=${CROSS_OPTS:--O2}; LEVELS=${CROSS_CLANG_LEVELS:-0 4} ;;
clang-m4)   cc="clang --target=thumbv7em-none-eabi -mcpu=cortex-m4"; nm=nm; pkg=clang; link=no; OPTS=${CROSS_OPTS:--O2}; LEVELS=${CROSS_CLANG_LEVELS:-0 4} ;;
clang-rv32) cc="clang --target=riscv32-unknown-elf -march=rv32imac"; nm=nm; pkg=clang; link=no; OPTS=${CROSS_OPTS:--O2}; LEVELS=${CROSS_CLANG_LEVELS:-0 4} ;;
clang-i386) cc="clang --target=i386-unknown-linux-gnu -fno-pic"; nm=nm; pkg=clang; link=no; OPTS=${CROSS_OPTS:--O2}; LEVELS=${CROSS_CLANG_LEVELS:-0 4} ;;
*)    echo "tools/cross.sh: unknown target $target"; exit 2 ;;
esac
set -- $cc
if ! command -v "$1" >/dev/null 2>&1; then
    echo "cross $target: needs $1 (Debian package $pkg)"; exit 1
fi
if [ "$run" != native ] && [ -n "$run" ] && ! command -v "$run" >/dev/null 2>&1; then
    echo "cross $target: $run not found (Debian package qemu-user): images are linked, not run"
    run=
fi

name_of() { case $1 in xalloc.h) echo xalloc ;; *) b=${1#xalloc_}; echo "${b%.h}" ;; esac; }

status=0
fail() { status=1; echo "cross $target: FAILED $*"; }
for h in xalloc*.h; do
    [ -f "$h" ] || continue
    name=$(name_of "$h")
    dir=$O/port/cross/$name/$target
    mkdir -p "$dir"
    printf '#define XALLOC_IMPLEMENTATION\n#include "%s"\n' "$h" > "$dir/impl.c"
    prog=tests/freestanding/$name.c
    if [ $link = yes ] && [ ! -f "$prog" ]; then
        fail "$h has no freestanding program $prog (init, alloc, free over a static array; see tests/freestanding/xalloc.c)"
        link_h=no
    else
        link_h=$link
    fi
    objs=0 imgs=0 runs=0 bad=0
    for o in $OPTS; do
        if [ $link_h = yes ]; then
            $cc $o $std -I. $WSTRICT -ffreestanding -fno-builtin -fno-stack-protector -ffunction-sections \
                -c tests/freestanding/start.c -o "$dir/start$o.o" 2>"$dir/err" || { fail "$h: start.c $o"; cat "$dir/err"; link_h=no; }
        fi
        for d in $LEVELS; do
            obj=$dir/impl$o-d$d.o
            if ! $cc $o $std -I. $WSTRICT -DXALLOC_DEBUG=$d -ffreestanding -fno-stack-protector -ffunction-sections \
                    -x $lang -c "$dir/impl.c" -o "$obj" 2>"$dir/err"; then
                fail "$h: $cc $o -DXALLOC_DEBUG=$d"; head -n 30 "$dir/err"; bad=$((bad + 1)); continue
            fi
            und=$($nm -u "$obj")
            if [ -n "$und" ]; then
                fail "$h: $cc $o -DXALLOC_DEBUG=$d: undefined symbols in the object:"
                printf '%s\n' "$und"; bad=$((bad + 1)); continue
            fi
            objs=$((objs + 1))
            [ $link_h = yes ] || continue
            img=$dir/$name$o-d$d.elf
            if ! $cc $o $std -I. $WSTRICT -DXALLOC_DEBUG=$d -ffreestanding -fno-builtin -fno-stack-protector \
                    -ffunction-sections -fdata-sections -c "$prog" -o "$dir/prog$o-d$d.o" 2>"$dir/err" ||
               ! $cc $o -nostdlib -Wl,--gc-sections $ldflags "$dir/start$o.o" "$dir/prog$o-d$d.o" "$obj" \
                    -o "$img" 2>"$dir/err"; then
                fail "$h: $prog $o -DXALLOC_DEBUG=$d does not build or link"; head -n 30 "$dir/err"; bad=$((bad + 1)); continue
            fi
            und=$($nm -u "$img")
            if [ -n "$und" ]; then
                fail "$h: image $img has undefined symbols:"; printf '%s\n' "$und"; bad=$((bad + 1)); continue
            fi
            imgs=$((imgs + 1))
            [ -n "$run" ] || continue
            if [ "$run" = native ]; then "$img"; else "$run" "$img"; fi
            rc=$?
            if [ $rc -ne 0 ]; then
                fail "$h: $img exited with $rc (the step of $prog that failed)"; bad=$((bad + 1)); continue
            fi
            runs=$((runs + 1))
        done
    done
    msg="$objs objects with nothing undefined"
    [ $link = yes ] && msg="$msg, $imgs images linked -nostdlib, $runs run${run:+ (${run})}"
    echo "cross $target: $h: $msg${bad:+, $bad failed}" | sed 's/, 0 failed$//'
done
exit $status
