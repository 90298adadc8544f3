#!/bin/sh
# tools/run_under.sh LABEL WRAPDIR "RUNNER [ARGS]" PROGRAM...
# Runs tools/runtests.sh over the programs, each started as
# `RUNNER [ARGS] PROGRAM` (qemu-arm, valgrind, ...), and prints LABEL before
# the total: the same "N passed, M failed" lines as `make test`.
# runtests.sh runs each program it is given directly, so this writes a
# two-line wrapper script per program into WRAPDIR and hands it those.
# An empty RUNNER runs the programs as they are. The wrappers time each
# program; the slowest three are listed after the total.
set -u
label=$1 wrapdir=$2 runner=$3
shift 3
mkdir -p "$wrapdir"
: > "$wrapdir/times"
wrappers=
for p in "$@"; do
    case $p in /*) abs=$p ;; *) abs=$(pwd)/$p ;; esac
    w=$wrapdir/$(basename "$p")
    printf '#!/bin/sh\ns=$(date +%%s%%N)\n%s "%s" "$@"\nrc=$?\necho "$(( ($(date +%%s%%N) - s) / 1000000 )) %s" >> "%s/times"\nexit $rc\n' \
        "$runner" "$abs" "$(basename "$p")" "$(cd "$wrapdir" && pwd)" > "$w"
    chmod +x "$w"
    wrappers="$wrappers $w"
done
t0=$(date +%s)
# shellcheck disable=SC2086  # the wrapper paths hold no spaces (build dir)
sh tools/runtests.sh $wrappers > "$wrapdir.log" 2>&1
rc=$?
sed '$d' "$wrapdir.log"
echo "$label: $(tail -n 1 "$wrapdir.log")   ($# programs, $(( $(date +%s) - t0 )) s; slowest: $(sort -rn "$wrapdir/times" | head -n 3 | awk '{ printf "%s%s %.1f s", (NR > 1 ? ", " : ""), $2, $1 / 1000 }'))"
exit $rc
