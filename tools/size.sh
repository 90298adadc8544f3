#!/bin/sh
# tools/size.sh - code size of every xalloc*.h for Cortex-M0, Cortex-M4 and
# RV64 at -Os (`make size`). Two rows per header and debug level (0 and 1):
#   whole    the implementation object alone (-ffunction-sections
#            -fdata-sections): everything the header can link in
#   program  what the header's freestanding program (tests/freestanding/
#            <name>.c: init, alloc, free; for the slab, one cache) links in
#            with --gc-sections: the sections of the implementation object
#            that the linker kept, read from the link map
#   lean     the implementation object with XALLOC_NO_INTROSPECTION: the
#            whole header without its debugging aids (level 0 only; for
#            the headers that have the macro)
#   small    the same program with the header's smallest documented
#            configuration (small_of below; level 0 only)
# text = code + read-only data (as `size` counts it), in bytes. The target
# column holds each header's size goal (its issue) on Cortex-M4 at level 0,
# with ok or OVER; sizes are measured, not asserted: the exit code is 0
# unless something fails to build.
set -u
cd "$(dirname "$0")/.."
O=${O:-build}
dir=$O/port/size
mkdir -p "$dir"
for t in arm-none-eabi-gcc:gcc-arm-none-eabi riscv64-unknown-elf-gcc:gcc-riscv64-unknown-elf; do
    command -v "${t%%:*}" >/dev/null 2>&1 || { echo "size: needs ${t%%:*} (Debian package ${t#*:})"; exit 1; }
done

TARGETS="m0 m4 rv64"
cc_of() {
    case $1 in
    m0) echo "arm-none-eabi-gcc -mcpu=cortex-m0 -mthumb" ;;
    m4) echo "arm-none-eabi-gcc -mcpu=cortex-m4 -mthumb" ;;
    rv64) echo "riscv64-unknown-elf-gcc" ;;
    esac
}
size_of() { case $1 in m0|m4) echo arm-none-eabi-size ;; rv64) echo riscv64-unknown-elf-size ;; esac; }
ld_of() { case $1 in m0|m4) echo "-Wl,--undefined=xfs_vectors" ;; rv64) echo "-Wl,--no-warn-rwx-segments" ;; esac; }
name_of() { case $1 in xalloc.h) echo xalloc ;; *) b=${1#xalloc_}; echo "${b%.h}" ;; esac; }
# The smallest configuration of each header (what a firmware build that
# needs only init, alloc and free would pick), for the "small" row.
small_of() {
    case $1 in
    xalloc) echo "-DXALLOC_QUICK=0 -DXALLOC_NO_INTROSPECTION" ;; # no quick lists, no check/walk/dump/trace
    buddy) echo "-DXBUDDY_MODES=1" ;;             # in-band mode alone
    slab) echo "-DXSLAB_MAGAZINE=0" ;;            # no magazine
    bitmap) echo "-DXBITMAP_RUN_TREE=0" ;;        # no run tree
    *) echo "" ;;
    esac
}
# Size goals (bytes of text on Cortex-M4, -Os, XALLOC_DEBUG=0): name:row:goal
GOALS="xalloc:lean:3072 xalloc:small:1024 buddy:whole:2048 buddy:small:2048 slab:program:1536 bitmap:whole:1536 bitmap:small:1536"
goal_of() {
    for g in $GOALS; do
        case $g in "$1:$2:"*) echo "${g##*:}"; return ;; esac
    done
}
CFLAGS="-std=c99 -Os -I. -ffreestanding -fno-builtin -fno-stack-protector -ffunction-sections -fdata-sections"

# Sum the text/data/bss input sections that the map file $1 attributes to
# object $2 in the final image (not the discarded ones listed before).
from_map() {
    awk -v obj="$2" '
        function hex(s,   i, v, c) {          # mawk has no strtonum
            v = 0; s = tolower(s); sub(/^0x/, "", s)
            for (i = 1; i <= length(s); i++) { c = index("0123456789abcdef", substr(s, i, 1)); v = v * 16 + c - 1 }
            return v
        }
        /^Linker script and memory map/ { on = 1; next }
        !on { next }
        {
            if ($1 ~ /^\.|^COMMON/ && NF == 1) { sec = $1; next }       # name alone: numbers on the next line
            if ($1 ~ /^\.|^COMMON/ && NF >= 4) { sec = $1; sz = $3; file = $4 }
            else if (sec != "" && $1 ~ /^0x/ && NF >= 3) { sz = $2; file = $3 }
            else { sec = ""; next }
            if (file == obj) {
                n = hex(sz)
                if (sec ~ /^\.(text|rodata|srodata)/) text += n
                else if (sec ~ /^\.(data|sdata)/) data += n
                else if (sec ~ /^\.(bss|sbss)|^COMMON/) bss += n
            }
            sec = ""
        }
        END { printf "%d %d %d\n", text, data, bss }' "$1"
}

status=0
printf 'code size, -Os -ffunction-sections -fdata-sections; text = code + read-only data, bytes\n'
printf '%-18s %-8s %-3s | %-17s | %-17s | %-17s | %s\n' header row dbg "Cortex-M0" "Cortex-M4" "RV64" "goal (M4, level 0)"
printf '%-18s %-8s %-3s | %-17s | %-17s | %-17s |\n' "" "" "" " text  data   bss" " text  data   bss" " text  data   bss"
for h in xalloc*.h; do
    name=$(name_of "$h")
    prog=tests/freestanding/$name.c
    printf '#define XALLOC_IMPLEMENTATION\n#include "%s"\n' "$h" > "$dir/$name-impl.c"
    for row in whole lean program small; do
        if { [ $row = program ] || [ $row = small ]; } && [ ! -f "$prog" ]; then
            printf '%-18s %-8s     (no %s: see make cross)\n' "$h" $row "$prog"; status=1; continue
        fi
        levels="0 1" cfg=
        if [ $row = lean ]; then
            grep -q XALLOC_NO_INTROSPECTION "$h" || continue
            cfg=-DXALLOC_NO_INTROSPECTION levels=0
        elif [ $row = small ]; then
            cfg=$(small_of "$name")
            [ -n "$cfg" ] || continue
            levels=0
        fi
        for d in $levels; do
            line=$(printf '%-18s %-8s %-3s' "$h" $row $d)
            m4text=
            for t in $TARGETS; do
                cc=$(cc_of $t)
                obj=$dir/$name-$t-d$d$row.o
                # shellcheck disable=SC2086
                if ! $cc $CFLAGS $cfg -DXALLOC_DEBUG=$d -c "$dir/$name-impl.c" -o "$obj" 2>"$dir/err"; then
                    cat "$dir/err"; status=1; line="$line | $(printf '%-17s' 'build failed')"; continue
                fi
                if [ $row = whole ] || [ $row = lean ]; then
                    set -- $($(size_of $t) "$obj" | awk 'NR == 2 { print $1, $2, $3 }')
                else
                    elf=$dir/$name-$t-d$d$row.elf
                    # shellcheck disable=SC2086
                    if ! $cc $CFLAGS $cfg -DXALLOC_DEBUG=$d -c "$prog" -o "$dir/$name-$t-prog.o" 2>"$dir/err" ||
                       ! $cc $CFLAGS -c tests/freestanding/start.c -o "$dir/start-$t.o" 2>>"$dir/err" ||
                       ! $cc -Os -nostdlib -Wl,--gc-sections $(ld_of $t) -Wl,-Map="$elf.map" \
                            "$dir/start-$t.o" "$dir/$name-$t-prog.o" "$obj" -o "$elf" 2>>"$dir/err"; then
                        cat "$dir/err"; status=1; line="$line | $(printf '%-17s' 'link failed')"; continue
                    fi
                    set -- $(from_map "$elf.map" "$obj")
                fi
                line="$line | $(printf '%5s %5s %5s' "$1" "$2" "$3")"
                [ $t = m4 ] && m4text=$1
            done
            goal=$(goal_of "$name" $row)
            if [ -n "$goal" ] && [ $d = 0 ] && [ -n "$m4text" ]; then
                if [ "$m4text" -le "$goal" ]; then verdict=ok; else verdict=OVER; fi
                line="$line | <= $goal  $verdict"
            else
                line="$line |"
            fi
            echo "$line${cfg:+  ($cfg)}"
        done
    done
done
exit $status
