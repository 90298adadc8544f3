#!/bin/sh
# tools/fuzz.sh - build and run the fuzz harnesses fuzz/fuzz_<name>.c.
#
#   sh tools/fuzz.sh build KIND NAME [OUT [DEFINES]]
#       KIND afl        afl-clang-fast -fsanitize=fuzzer: AFL++ persistent mode,
#                       shared-memory test cases        (default OUT build/fuzz/afl/fuzz_NAME)
#            libfuzzer  clang -fsanitize=fuzzer,address,undefined
#                                                       (default OUT build/fuzz/libfuzzer/fuzz_NAME)
#            replay     $CC (default cc) with fuzz/replay.c, with ASan and
#                       UBSan when $CC has them (FUZZ_SAN= to build without,
#                       FUZZ_SAN=FLAGS for others); with no arguments it replays
#                       fuzz/corpus/NAME and fuzz/regress/NAME
#                                                       (default OUT build/fuzz/replay/fuzz_NAME)
#            cov        clang source-based coverage, one program per variant
#                       (OUT is a directory; default build/fuzz/cov/NAME)
#   sh tools/fuzz.sh run NAME SECONDS [OUTDIR]
#       AFL++ on the harness for SECONDS (unattended), seeded with its corpus
#       and regression inputs; prints the summary; exit 1 if it saved a crash
#       or a hang.                                      (default OUTDIR build/fuzz/out/NAME)
#   sh tools/fuzz.sh summary NAME OUTDIR
#       executions, coverage, crashes and hangs of a finished AFL++ run.
#   sh tools/fuzz.sh campaign SECONDS [NAME...]
#       `run` for every harness (or those named), one after the other, then
#       the summaries together; exit 1 if any saved a crash or a hang.
#   sh tools/fuzz.sh coverage
#       line and branch coverage of each header by the unit tests (every
#       tests/test_*.c at every level) plus every harness replaying its
#       corpus and regression inputs (every variant); clang source-based
#       coverage, merged over all programs; prints per header, then the
#       lines and branches not covered. (llvm-profdata, llvm-cov: llvm)
#
# Environment: FUZZ_INCLUDE=DIR puts DIR first on the include path (a copy
# of a header with a planted fault, say); CC, FUZZ_SAN (replay); AFL_CC
# (default afl-clang-fast), LIBFUZZER_CC (default clang); FUZZ_NICE (default
# `nice -n 10`); FUZZ_TIMEOUT: ms before an input counts as a hang (default
# 1000; every harness bounds its programs well below); FUZZ_AFL_FLAGS: more
# afl-fuzz options; FUZZ_JOBS: compiles at a time (default 2).
#
# A harness is compiled once per variant (-DFUZZ_VARIANT=k, k < FUZZ_VARIANTS,
# the count its source defines) and once more for the dispatcher; see
# fuzz/fuzz.h.
set -eu
cd "$(dirname "$0")/.."
O=${O:-build}

die() { echo "tools/fuzz.sh: $*" >&2; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || die "needs $1 (Debian package $2)"; }

variants() {
    n=$(sed -n 's/^#define FUZZ_VARIANTS \([0-9][0-9]*\).*/\1/p' "fuzz/fuzz_$1.c" | head -n 1)
    [ -n "$n" ] || die "fuzz/fuzz_$1.c defines no FUZZ_VARIANTS"
    echo "$n"
}

# compile_all CC "FLAGS" NAME OBJDIR [EXTRA-DEFINES]: the variant objects
# and the dispatcher; prints the object list.
compile_all() {
    cc=$1 flags=$2 name=$3 dir=$4 extra=${5:-}
    n=$(variants "$name")
    inc="-I."
    [ -n "${FUZZ_INCLUDE:-}" ] && inc="-I$FUZZ_INCLUDE -I."
    mkdir -p "$dir"
    objs="" pids=""
    k=0
    while [ "$k" -le "$n" ]; do   # k == n: the dispatcher (main.o)
        if [ "$k" -lt "$n" ]; then v="-DFUZZ_VARIANT=$k" o=$dir/v$k.o; else v= o=$dir/main.o; fi
        # shellcheck disable=SC2086
        $cc $flags $inc $extra $v -c "fuzz/fuzz_$name.c" -o "$o" >&2 &
        pids="$pids $!" objs="$objs $o"
        k=$((k + 1))
        # FUZZ_JOBS compiles at a time (default 2)
        if [ $((k % ${FUZZ_JOBS:-2})) -eq 0 ] || [ "$k" -gt "$n" ]; then
            for p in $pids; do wait "$p" || die "fuzz/fuzz_$name.c did not compile (above)"; done
            pids=""
        fi
    done
    echo "$objs"
}

# Sanitizer flags the compiler can build and link with, or nothing.
sanflags() {
    mkdir -p "$O/fuzz"
    printf 'int main(void) { return 0; }\n' > "$O/fuzz/san-probe.c"
    f="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
    # shellcheck disable=SC2086
    if "$1" $f "$O/fuzz/san-probe.c" -o "$O/fuzz/san-probe" >/dev/null 2>&1; then echo "$f"; fi
}

WFLAGS="-std=c99 -Wall -Wextra -Werror -fno-strict-aliasing"

build() {
    kind=$1 name=$2 out=${3:-} xdefs=${4:-}
    [ -f "fuzz/fuzz_$name.c" ] || die "no harness fuzz/fuzz_$name.c"
    case $kind in
    afl)
        cc=${AFL_CC:-afl-clang-fast}
        need "$cc" afl++
        out=${out:-$O/fuzz/afl/fuzz_$name}
        objs=$(compile_all "$cc" "$WFLAGS -O2 -g -fsanitize=fuzzer" "$name" "$out.obj" "$xdefs")
        # shellcheck disable=SC2086
        AFL_QUIET=1 $cc -fsanitize=fuzzer $objs -o "$out"
        ;;
    libfuzzer)
        cc=${LIBFUZZER_CC:-clang}
        need "$cc" clang
        out=${out:-$O/fuzz/libfuzzer/fuzz_$name}
        fl="-O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
        objs=$(compile_all "$cc" "$WFLAGS $fl" "$name" "$out.obj" "$xdefs")
        # shellcheck disable=SC2086
        $cc $fl $objs -o "$out"
        ;;
    replay)
        cc=${CC:-cc}
        out=${out:-$O/fuzz/replay/fuzz_$name}
        san=${FUZZ_SAN-auto}
        if [ "$san" = auto ]; then san=$(sanflags "$cc"); fi
        fl="-O2 -g $san"
        objs=$(compile_all "$cc" "$WFLAGS $fl" "$name" "$out.obj" "$xdefs")
        dirs="\"$(pwd)/fuzz/corpus/$name\",\"$(pwd)/fuzz/regress/$name\""
        # shellcheck disable=SC2086
        $cc $WFLAGS $fl "-DFUZZ_DEFAULT_DIRS=$dirs" -c fuzz/replay.c -o "$out.obj/replay.o"
        # shellcheck disable=SC2086
        $cc $fl $objs "$out.obj/replay.o" -o "$out"
        ;;
    cov)
        cc=${COV_CC:-clang}
        need "$cc" clang
        out=${out:-$O/fuzz/cov/$name}
        fl="-O0 -g -fprofile-instr-generate -fcoverage-mapping"
        mkdir -p "$out"
        $cc $WFLAGS $fl -c fuzz/replay.c -o "$out/replay.o"
        n=$(variants "$name")
        k=0
        while [ "$k" -lt "$n" ]; do
            inc="-I."
            [ -n "${FUZZ_INCLUDE:-}" ] && inc="-I$FUZZ_INCLUDE -I."
            mkdir -p "$out/v$k.obj"
            # shellcheck disable=SC2086
            $cc $WFLAGS $fl $inc -DFUZZ_VARIANT=$k -c "fuzz/fuzz_$name.c" -o "$out/v$k.obj/v.o"
            # shellcheck disable=SC2086
            $cc $WFLAGS $fl $inc -DFUZZ_ONLY=$k -c "fuzz/fuzz_$name.c" -o "$out/v$k.obj/main.o"
            $cc $fl "$out/v$k.obj/v.o" "$out/v$k.obj/main.o" "$out/replay.o" -o "$out/fuzz_${name}_v$k"
            k=$((k + 1))
        done
        ;;
    *) die "unknown build kind '$kind' (afl, libfuzzer, replay, cov)" ;;
    esac
}

# summary NAME OUTDIR: print one line from AFL++'s fuzzer_stats; exit 1 if
# it saved a crash or a hang.
summary() {
    name=$1 dir=$2
    st="$dir/default/fuzzer_stats"
    [ -f "$st" ] || die "$st not found: did afl-fuzz start?"
    get() { sed -n "s/^$1 *: *//p" "$st" | head -n 1; }
    execs=$(get execs_done) cvg=$(get bitmap_cvg) crashes=$(get saved_crashes) hangs=$(get saved_hangs)
    [ -n "$crashes" ] || crashes=$(get unique_crashes)
    [ -n "$hangs" ] || hangs=$(get unique_hangs)
    speed=$(get execs_per_sec) paths=$(get corpus_count) stab=$(get stability) secs=$(get run_time)
    [ -n "$paths" ] || paths=$(get paths_total)
    printf 'fuzz %-8s %12s execs in %ss (%s/s), coverage %s, corpus %s, stability %s, crashes %s, hangs %s\n' \
        "$name" "$execs" "${secs:-?}" "$speed" "$cvg" "$paths" "$stab" "$crashes" "$hangs"
    if [ "${crashes:-0}" != 0 ] || [ "${hangs:-0}" != 0 ]; then
        for f in "$dir"/default/crashes/id* "$dir"/default/hangs/id*; do
            [ -f "$f" ] && echo "    $f   (replay: $O/fuzz/replay/fuzz_$name -v '$f')"
        done
        echo "    keep each as a regression input: cp FILE fuzz/regress/$name/<short-name>"
        return 1
    fi
    return 0
}

run() {
    name=$1 secs=$2 out=${3:-$O/fuzz/out/$name}
    need afl-fuzz afl++
    bin=$O/fuzz/afl/fuzz_$name
    (build afl "$name" "$bin") || die "build failed"
    in=$O/fuzz/in/$name
    rm -rf "$in" "$out"
    mkdir -p "$in" "$(dirname "$out")"
    for d in "fuzz/corpus/$name" "fuzz/corpus/$name/found" "fuzz/regress/$name"; do
        [ -d "$d" ] || continue
        for f in "$d"/*; do [ -f "$f" ] && cp "$f" "$in/$(echo "$d" | tr / _)-$(basename "$f")"; done
    done
    [ -n "$(ls "$in")" ] || printf '\000' > "$in/empty"
    dict=""
    [ -f "fuzz/dict/$name.dict" ] && dict="-x fuzz/dict/$name.dict"
    echo "fuzz $name: afl-fuzz for ${secs}s (output in $out)"
    # shellcheck disable=SC2086
    AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_FAST_CAL=1 \
    AFL_SKIP_CRASHES=1 AFL_NO_AFFINITY=${AFL_NO_AFFINITY:-1} \
        ${FUZZ_NICE-nice -n 10} afl-fuzz -i "$in" -o "$out" -V "$secs" -t "${FUZZ_TIMEOUT:-1000}" $dict ${FUZZ_AFL_FLAGS:-} -- "$bin" \
        > "$out.log" 2>&1 || { tail -n 30 "$out.log"; die "afl-fuzz failed (log: $out.log)"; }
    summary "$name" "$out"
}

campaign() {
    secs=$1; shift
    names=$*
    [ -n "$names" ] || names=$(ls fuzz/fuzz_*.c | sed 's|fuzz/fuzz_\(.*\)\.c|\1|')
    rc=0
    for name in $names; do
        run "$name" "$secs" "$O/fuzz/out/$name" > "$O/fuzz/out-$name.txt" 2>&1 || rc=1
        cat "$O/fuzz/out-$name.txt"
    done
    echo "==== fuzz summary (${secs}s per harness)"
    for name in $names; do summary "$name" "$O/fuzz/out/$name" | head -n 1 || true; done
    [ $rc -eq 0 ] || echo "fuzz: crashes or hangs saved (see above)"
    return $rc
}

# llvm tools, with or without the version suffix
llvm_tool() {
    for t in "$1" "$1-14" "$1-15" "$1-16" "$1-13"; do
        command -v "$t" >/dev/null 2>&1 && { echo "$t"; return 0; }
    done
    die "needs $1 (Debian package llvm)"
}

# cov_run DIR TAG PROGRAM [ARGS...]: run an instrumented program, export its
# coverage as an lcov tracefile DIR/info/TAG.info
cov_run() {
    dir=$1 tag=$2; shift 2
    rm -f "$dir/raw/$tag".*.profraw
    LLVM_PROFILE_FILE="$dir/raw/$tag.%p.profraw" "$@" > "$dir/log/$tag.txt" 2>&1 || {
        echo "coverage: $tag failed:"; tail -n 5 "$dir/log/$tag.txt"; }
    ls "$dir/raw/$tag".*.profraw >/dev/null 2>&1 || return 0
    $PROFDATA merge -sparse -o "$dir/raw/$tag.profdata" "$dir/raw/$tag".*.profraw
    $LLVMCOV export -format=lcov -instr-profile="$dir/raw/$tag.profdata" "$1" > "$dir/info/$tag.info"
    # Line counts from `show`, whose count column is blank where a line is no
    # code, including lines in a preprocessor branch not compiled here (the
    # lcov export gives those a count of 0, as if they were code not run).
    for h in xalloc*.h; do
        $LLVMCOV show -use-color=false -instr-profile="$dir/raw/$tag.profdata" "$1" "$(pwd)/$h" 2>/dev/null |
            awk -F'|' -v h="$h" '$2 ~ /[0-9]/ { c = $2; gsub(/ /, "", c); print h, $1 + 0, (c + 0 > 0) }'
    done > "$dir/info/$tag.lines"
    rm -f "$dir/raw/$tag".*.profraw
}

coverage() {
    need clang clang
    PROFDATA=$(llvm_tool llvm-profdata)
    LLVMCOV=$(llvm_tool llvm-cov)
    dir=$O/coverage
    rm -rf "$dir"
    mkdir -p "$dir/bin" "$dir/raw" "$dir/info" "$dir/log"
    fl="-O1 -g -fprofile-instr-generate -fcoverage-mapping"
    # unit tests, every level
    for t in tests/test_*.c; do
        [ -f "$t" ] || continue
        base=$(basename "$t" .c)
        for l in 0 1 2 3 4; do
            clang -std=c99 $fl -I. -Itests -pthread -DXALLOC_DEBUG=$l "$t" -o "$dir/bin/${base}_d$l"
            cov_run "$dir" "${base}_d$l" "$dir/bin/${base}_d$l"
        done
    done
    # harnesses replaying their corpus and regression inputs, every variant
    for f in fuzz/fuzz_*.c; do
        name=$(basename "$f" .c | sed 's/^fuzz_//')
        (build cov "$name" "$dir/bin/fuzz_$name") || die "coverage build of $name failed"
        for b in "$dir/bin/fuzz_$name"/fuzz_${name}_v*; do
            ins=""
            for d in "fuzz/corpus/$name" "fuzz/regress/$name"; do [ -d "$d" ] && ins="$ins $d"; done
            # in one process: a forked child leaves with _exit, which writes no profile
            # shellcheck disable=SC2086
            cov_run "$dir" "$(basename "$b")" "$b" --no-fork $ins
        done
    done
    # merge: a line or branch is covered if any program covered it (lines
    # from the .lines files, branches from the lcov export)
    cat "$dir"/info/*.lines "$dir"/info/*.info | awk -v root="$(pwd)/" -v out="$dir" '
        /^[^ ]+ [0-9]+ [01]$/ { k = $1 SUBSEP $2; da[k] += $3; next }
        /^SF:/ { f = substr($0, 4); sub("^" root, "", f); next }
        /^BRDA:/ { split(substr($0, 6), a, ","); k = f SUBSEP a[1] SUBSEP a[3];
                   br[k] += (a[4] == "-" ? 0 : a[4]); next }
        END {
            for (k in da) { split(k, p, SUBSEP); print p[1], p[2], da[k] > (out "/lines.txt") }
            for (k in br) { split(k, p, SUBSEP); print p[1], p[2], p[3], br[k] > (out "/branches.txt") }
        }'
    sort -k1,1 -k2,2n -o "$dir/lines.txt" "$dir/lines.txt"
    sort -k1,1 -k2,2n -k3,3n -o "$dir/branches.txt" "$dir/branches.txt"
    # Per header, its own code; the common prelude (the same text in every
    # header) once, over all headers. Preprocessor lines, blank lines and
    # comment lines are no code: a macro's use counts where it expands.
    for h in xalloc*.h; do
        awk -v h="$h" '/==== xalloc common prelude v2/ { s1 = NR } /==== end of xalloc common prelude v2/ { e1 = NR }
            /==== xalloc common implementation prelude v3/ { s2 = NR } /==== end of xalloc common implementation prelude v3/ { e2 = NR }
            END { print h, s1 + 0, e1 + 0, s2 + 0, e2 + 0 }' "$h"
    done > "$dir/ranges.txt"
    awk -v out="$dir" '
        FILENAME ~ /ranges.txt$/ { s1[$1] = $2; e1[$1] = $3; s2[$1] = $4; e2[$1] = $5; nh++; hdr[nh] = $1
                                   n = 0; while ((getline t < $1) > 0) text[$1, ++n] = t; close($1); next }
        !($1 in s1) { next }
        { f = $1; l = $2; t = text[f, l]; sub(/^[ \t]+/, "", t); if (t ~ /^#/ || t == "") next
          # a comment line is no code (a function never called shows every
          # line of it, comments too, with a count of 0)
          if (t ~ /^(\*|\/\/)/ || (t ~ /^\/\*/ && (t !~ /\*\// || t ~ /\*\/[ \t]*$/))) next
          k = f; kl = l
          if (l >= s1[f] && l <= e1[f]) { k = "common-prelude"; kl = "p" (l - s1[f]) }
          else if (l >= s2[f] && l <= e2[f]) { k = "common-prelude"; kl = "i" (l - s2[f]) }
          where[k, kl] = f ":" l }
        FILENAME ~ /lines.txt$/ { key = k SUBSEP kl; if (!(key in lc)) { lkeys[k]++ } lc[key] += $3; lk[key] = 1; next }
        FILENAME ~ /branches.txt$/ { key = k SUBSEP kl SUBSEP $3; if (!(key in bc)) { bkeys[k]++ } bc[key] += $4; next }
        END {
            for (key in lc) { split(key, a, SUBSEP); if (lc[key] > 0) lcov[a[1]]++; else print a[1], where[a[1], a[2]] > (out "/uncovered-lines.txt") }
            for (key in bc) { split(key, a, SUBSEP); if (bc[key] > 0) bcov[a[1]]++; else print a[1], where[a[1], a[2]], a[3] > (out "/uncovered-branches.txt") }
            for (i = 1; i <= nh + 1; i++) {
                k = i <= nh ? hdr[i] : "common-prelude"
                printf "coverage %-18s lines %6.1f%% (%d/%d)   branches %6.1f%% (%d/%d)\n", k,
                    lkeys[k] ? 100 * lcov[k] / lkeys[k] : 100, lcov[k], lkeys[k], bkeys[k] ? 100 * bcov[k] / bkeys[k] : 100, bcov[k], bkeys[k]
            }
        }' "$dir/ranges.txt" "$dir/lines.txt" "$dir/branches.txt" > "$dir/summary.txt"
    touch "$dir/uncovered-lines.txt" "$dir/uncovered-branches.txt"
    echo "==== coverage by the unit tests and the fuzz corpora (clang source-based; a line or branch counts if any level or variant ran it)"
    cat "$dir/summary.txt"
    for k in $(ls xalloc*.h) "common-prelude"; do
        awk -v k="$k" '$1 == k { print $2 }' "$dir/uncovered-lines.txt" | sort -t: -k2,2n > "$dir/ul.txt"
        awk -v k="$k" '$1 == k { print $2, $3 }' "$dir/uncovered-branches.txt" | sort -t: -k2,2n > "$dir/ub.txt"
        if [ -s "$dir/ul.txt" ]; then
            echo "---- $k: lines not covered"
            while read -r fl; do printf '%s: %s\n' "$fl" "$(sed -n "${fl#*:}p" "${fl%%:*}" | sed 's/^ *//')"; done < "$dir/ul.txt"
        fi
        if [ -s "$dir/ub.txt" ]; then
            echo "---- $k: branches never taken ([n]: the n-th outcome on the line, 2 per condition: true, false)"
            while read -r fl bi; do printf '%s: [%s] %s\n' "$fl" "$bi" "$(sed -n "${fl#*:}p" "${fl%%:*}" | sed 's/^ *//')"; done < "$dir/ub.txt"
        fi
    done
    echo "(per-program logs in $dir/log, merged data in $dir/lines.txt and $dir/branches.txt)"
}

case ${1:-} in
campaign) shift; [ $# -ge 1 ] || die "usage: campaign SECONDS [NAME...]"; mkdir -p "$O/fuzz"; campaign "$@" ;;
coverage) coverage ;;
build) shift; [ $# -ge 2 ] || die "usage: build KIND NAME [OUT [DEFINES]]"; build "$@" ;;
run) shift; [ $# -ge 2 ] || die "usage: run NAME SECONDS [OUTDIR]"; run "$@" ;;
summary) shift; [ $# -ge 2 ] || die "usage: summary NAME OUTDIR"; summary "$@" ;;
*) sed -n '2,/^set -eu/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
