#!/bin/sh
# The common prelude lives, identical, inside every xalloc header (a user
# copies one file and nothing else). tools/prelude.h and tools/prelude_impl.h
# are the masters.
#   tools/prelude.sh check   exit 1 unless every header carries both verbatim
#   tools/prelude.sh sync    rewrite each header's copies from the masters
set -eu
cd "$(dirname "$0")/.."
mode=${1:-check}
status=0
for h in xalloc*.h; do
    for part in prelude prelude_impl; do
        master=tools/$part.h
        begin=$(head -n 1 "$master")
        end=$(tail -n 1 "$master")
        if ! grep -qxF "$begin" "$h"; then
            echo "$h: no copy of $master"; status=1; continue
        fi
        if [ "$mode" = sync ]; then
            awk -v b="$begin" -v e="$end" -v m="$master" '
                $0 == b { while ((getline line < m) > 0) print line; skip = 1; next }
                skip && $0 == e { skip = 0; next }
                !skip { print }' "$h" > "$h.tmp" && mv "$h.tmp" "$h"
        else
            awk -v b="$begin" -v e="$end" '
                $0 == b { on = 1 } on { print } on && $0 == e { exit }' "$h" |
                cmp -s - "$master" || { echo "$h: copy of $master differs"; status=1; }
        fi
    done
done
[ "$mode" = sync ] || [ $status -ne 0 ] || echo "prelude: every header carries the same copy"
exit $status
