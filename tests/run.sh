#!/bin/sh
# run.sh - runs every suite: the check unit tests in $BUILD/tests, then the
# integration tests in tests/integration against the real binaries. Ends
# with one line for all of them, "N passed, N failed", and exits non-zero
# when anything failed.
set -u
BUILD=${BUILD:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$top/$BUILD" && pwd)
passed=0
failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

for t in "$build"/tests/check_*; do
	[ -x "$t" ] || continue
	name=$(basename "$t")
	"$t" >"$log" 2>&1
	rc=$?
	cat "$log"
	# check's closing line: "100%: Checks: 12, Failures: 0, Errors: 0"
	line=$(grep -E 'Checks: [0-9]+, Failures: [0-9]+, Errors: [0-9]+' "$log" | tail -n 1)
	if [ -z "$line" ]; then
		echo "$name: no summary (exit $rc): counted as one failure"
		failed=$((failed + 1))
		continue
	fi
	n=$(echo "$line" | sed -E 's/.*Checks: ([0-9]+).*/\1/')
	f=$(echo "$line" | sed -E 's/.*Failures: ([0-9]+).*/\1/')
	e=$(echo "$line" | sed -E 's/.*Errors: ([0-9]+).*/\1/')
	passed=$((passed + n - f - e))
	failed=$((failed + f + e))
	if [ "$rc" != 0 ] && [ $((f + e)) = 0 ]; then
		echo "$name: exit $rc with no failed check: counted as one failure"
		failed=$((failed + 1))
	fi
done

# Integration: python's unittest, which prints "RESULT passed=N failed=N".
PORTD_BUILD="$build" python3 "$top/tests/integration/run.py" >"$log" 2>&1
rc=$?
cat "$log"
line=$(grep -E '^RESULT passed=[0-9]+ failed=[0-9]+' "$log" | tail -n 1)
if [ -z "$line" ]; then
	echo "integration: no result line (exit $rc): counted as one failure"
	failed=$((failed + 1))
else
	p=$(echo "$line" | sed -E 's/.*passed=([0-9]+).*/\1/')
	f=$(echo "$line" | sed -E 's/.*failed=([0-9]+).*/\1/')
	passed=$((passed + p))
	failed=$((failed + f))
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
