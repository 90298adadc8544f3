#!/bin/sh
# tools/run_under.sh LABEL WRAPDIR "RUNNER [ARGS]" PROGRAM...
# Runs tools/runtests.sh over the programs, each started as
# `RUNNER [ARGS] PROGRAM` (qemu-arm, valgrind, ...), and prints LABEL before
# the total: the same "N passed, M failed" lines as `make test`.
# runtests.sh runs each program it is given directly, so this writes a
# two-line wrapper script per program into WRAPDIR and hands it those.
# An empty RUNNER runs the programs as they are.
set -u
label=$1 wrapdir=$2 runner=$3
shift 3
mkdir -p "$wrapdir"
wrappers=
for p in "$@"; do
    case $p in /*) abs=$p ;; *) abs=$(pwd)/$p ;; esac
    w=$wrapdir/$(basename "$p")
    printf '#!/bin/sh\nexec %s "%s" "$@"\n' "$runner" "$abs" > "$w"
    chmod +x "$w"
    wrappers="$wrappers $w"
done
t0=$(date +%s)
# shellcheck disable=SC2086  # the wrapper paths hold no spaces (build dir)
sh tools/runtests.sh $wrappers > "$wrapdir.log" 2>&1
rc=$?
sed '$d' "$wrapdir.log"
echo "$label: $(tail -n 1 "$wrapdir.log")   ($# programs, $(( $(date +%s) - t0 )) s)"
exit $rc
