#!/bin/sh
# tools/analyze.sh - static analysis of every xalloc*.h implementation:
#   cppcheck   --enable=warning,style,performance,portability, as C99, at
#              every XALLOC_DEBUG level; any finding fails
#   clang-tidy bugprone-*, cert-*, clang-analyzer-* on the header (not only
#              the generated .c: --header-filter), as C99 and as C++17, at
#              every level; any finding fails
# A finding that is wrong or deliberate is silenced at its line in the header,
# with the reason beside it:
#   cppcheck:   // cppcheck-suppress <id>   (on the line above; --inline-suppr)
#   clang-tidy: // NOLINT(<check>)          (same line) or NOLINTNEXTLINE(<check>)
# Checks switched off here for the whole project, and why:
#   bugprone-easily-swappable-parameters
#       flags every pair of adjacent parameters of convertible types. The API
#       keeps libc's argument order on purpose (memset, memcpy, calloc(count,
#       size), aligned_alloc(align, size)): users know it, and no order of
#       two size_t parameters would satisfy the check.
#   bugprone-reserved-identifier, cert-dcl37-c, cert-dcl51-cpp (C++ run only)
#       C++ reserves every name containing "__"; the headers name private
#       functions prefix__name (the stb convention, docs/conventions.md) so a
#       reader tells public from private. In C, where these checks stay on,
#       such names are not reserved. No C++ implementation claims a name
#       beginning with xalloc__/xbuddy__/xslab__/xbitmap__.
#   cppcheck variableScope
#       advice to move a declaration into an inner block. The headers declare
#       locals at the top of a function or block on purpose (the habit of
#       the kernel and firmware code they drop into); the advice is style
#       only and never a defect.
set -u
cd "$(dirname "$0")/.."
O=${O:-build}
LEVELS=${LEVELS:-0 1 2 3 4}
status=0
for tool in cppcheck clang-tidy; do
    command -v $tool >/dev/null 2>&1 || { echo "analyze: needs $tool (Debian package $tool)"; status=1; }
done
[ $status -eq 0 ] || exit 1
dir=$O/port/analyze
mkdir -p "$dir"
TIDY_CHECKS='-*,bugprone-*,cert-*,clang-analyzer-*,-bugprone-easily-swappable-parameters'
TIDY_CXX_OFF=',-bugprone-reserved-identifier,-cert-dcl37-c,-cert-dcl51-cpp'

# Findings are gathered over every level and language and printed once each,
# with the levels where they appear.
for h in xalloc*.h; do
    src=$dir/${h%.h}.c
    all=$dir/${h%.h}.findings
    printf '#define XALLOC_IMPLEMENTATION\n#include "%s"\n' "$h" > "$src"
    : > "$all"
    for d in $LEVELS; do
        cppcheck -q --enable=warning,style,performance,portability --inline-suppr --std=c99 \
            --suppress=missingIncludeSystem --suppress=variableScope -I. -DXALLOC_DEBUG=$d --template='{file}:{line}: {severity}: {message} [{id}]' \
            "$src" > "$dir/out" 2>&1
        sed "s|^$PWD/||; s|^\./||; s|^|$d\tcppcheck\t|" "$dir/out" >> "$all"
        for lang in c c++; do
            if [ $lang = c ]; then flags="-std=c99" checks=$TIDY_CHECKS
            else flags="-x c++ -std=c++17" checks=$TIDY_CHECKS$TIDY_CXX_OFF; fi
            clang-tidy --quiet --checks="$checks" --header-filter='.*xalloc[a-z_]*\.h$' "$src" \
                -- $flags -I. -DXALLOC_DEBUG=$d > "$dir/out" 2>&1
            grep -E '(warning|error):' "$dir/out" | sed "s|^$PWD/||; s|^\./||; s|^|$d\tclang-tidy ($lang)\t|" >> "$all"
        done
    done
    if [ ! -s "$all" ]; then
        echo "analyze: $h clean (cppcheck; clang-tidy bugprone, cert, clang-analyzer as C and C++; levels $LEVELS)"
    else
        awk -F '\t' '{ k = $2 ": " $3; if (!(k in lv)) { order[n++] = k; lv[k] = $1 } else if (index(" " lv[k] " ", " " $1 " ") == 0) lv[k] = lv[k] " " $1 }
             END { for (i = 0; i < n; i++) print "  " order[i] "   (XALLOC_DEBUG " lv[order[i]] ")" }' "$all"
        echo "analyze: $h: FAILED, $(cut -f2,3 "$all" | sort -u | wc -l) findings (above, one line each; all: $all)"
        status=1
    fi
done
exit $status
