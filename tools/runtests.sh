#!/bin/sh
# Run each test program given, add up their "N passed, M failed" lines and
# print the total as the last line. A program that crashes or prints no
# summary counts as one failed test. Exit 1 if anything failed.
passed=0
failed=0
for t in "$@"; do
    out=$("$t" 2>&1)
    rc=$?
    printf '%s\n' "$out" | grep -E 'FAILED|check failed|passed, [0-9]+ failed' | tail -n 40
    line=$(printf '%s\n' "$out" | grep -E '^[^ ]+: [0-9]+ passed, [0-9]+ failed$' | tail -n 1)
    if [ -z "$line" ]; then
        echo "$t: no summary (exit $rc)"; printf '%s\n' "$out" | tail -n 20
        failed=$((failed + 1)); continue
    fi
    p=$(printf '%s\n' "$line" | sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed/\1/')
    f=$(printf '%s\n' "$line" | sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed/\2/')
    [ "$rc" -eq 0 ] || [ "$f" -ne 0 ] || { echo "$t: exit $rc"; f=1; }
    passed=$((passed + p))
    failed=$((failed + f))
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
