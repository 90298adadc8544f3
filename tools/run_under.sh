#!/bin/sh
# tools/run_under.sh LABEL WRAPDIR "RUNNER [ARGS]" PROGRAM...
# Runs tools/runtests.sh over the programs, each started as
# `RUNNER [ARGS] PROGRAM` (qemu-arm, valgrind, ...), and prints LABEL before
# the total: the same "N passed, M failed" lines as `make test`.
# runtests.sh runs each program it is given directly, so this writes a small
# wrapper script per program into WRAPDIR and hands it those. An empty RUNNER
# runs the programs as they are. A program that was not built (its build
# failed) counts as one failed test. The last line is the total,
# "N passed, M failed", as runtests.sh prints it.
# JOBS=N (default 1) runs N programs at a time (runtests.sh once per program;
# the outputs are printed in the order given and the totals added up).
# The wrappers time each program; the slowest three are listed.
set -u
label=$1 wrapdir=$2 runner=$3
shift 3
JOBS=${JOBS:-1}
mkdir -p "$wrapdir"
wrapdir=$(cd "$wrapdir" && pwd)
: > "$wrapdir/times"
rm -f "$wrapdir"/*.out
wrappers=
for p in "$@"; do
    case $p in /*) abs=$p ;; *) abs=$(pwd)/$p ;; esac
    name=$(basename "$p")
    w=$wrapdir/$name
    {
        echo '#!/bin/sh'
        echo "[ -x \"$abs\" ] || { echo \"$name: not built (its build failed)\"; exit 1; }"
        echo 's=$(date +%s%N)'
        echo "$runner \"$abs\" \"\$@\""
        echo 'rc=$?'
        echo "echo \"\$(( (\$(date +%s%N) - s) / 1000000 )) $name\" >> \"$wrapdir/times\""
        echo 'exit $rc'
    } > "$w"
    chmod +x "$w"
    wrappers="$wrappers $w"
done
t0=$(date +%s)
# shellcheck disable=SC2086  # the wrapper paths hold no spaces (build dir)
printf '%s\n' $wrappers | xargs -P "$JOBS" -I{} sh -c 'sh tools/runtests.sh "$1" > "$1.out" 2>&1' _ {}
passed=0 failed=0
for w in $wrappers; do
    sed '$d' "$w.out"
    set -- $(tail -n 1 "$w.out" | sed -nE 's/^([0-9]+) passed, ([0-9]+) failed$/\1 \2/p')
    if [ $# -eq 2 ]; then passed=$((passed + $1)) failed=$((failed + $2)); else failed=$((failed + 1)); fi
done
slowest=$(sort -rn "$wrapdir/times" | head -n 3 | awk '{ printf "%s%s %.1f s", (NR > 1 ? ", " : ""), $2, $1 / 1000 }')
echo "$label: $(echo $wrappers | wc -w) programs, $(( $(date +%s) - t0 )) s; slowest: $slowest"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
