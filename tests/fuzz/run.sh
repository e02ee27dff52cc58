#!/bin/sh
# run.sh BUILD_DIR [TARGET...] - runs the libFuzzer targets built by
# `make fuzz-build` (default: every BUILD_DIR/fuzz_*), one at a time, each
# for FUZZ_SECONDS (default 60) on one core. Each starts from a corpus
# made here from tests/fixtures (tests/fuzz/seeds.py) plus the inputs of
# tests/fuzz/regressions/TARGET/ (crashes found before, replayed first),
# in a temporary directory that is removed afterwards: corpora are never
# committed. A target passes when nothing crashed, leaked, broke an
# invariant or timed out in its budget; a failing input is kept in
# BUILD_DIR/artifacts/TARGET/ and named on the output.
#
# One line per target (execs, execs/s, coverage), then
# "RESULT passed=N failed=N" (tests/run.sh counts each target as a test).
set -u
[ $# -ge 1 ] || { echo "usage: run.sh BUILD_DIR [TARGET...]" >&2; exit 2; }
build=$(cd "$1" && pwd) || exit 2
shift
top=$(cd "$(dirname "$0")/../.." && pwd)
seconds=${FUZZ_SECONDS:-60}
case "$seconds" in
''|*[!0-9]*) echo "run.sh: FUZZ_SECONDS=$seconds: not a number of seconds" >&2
	exit 2 ;;
esac
if [ $# -eq 0 ]; then
	set -- $(cd "$build" && ls fuzz_* 2>/dev/null)
fi
if [ $# -eq 0 ]; then
	echo "run.sh: no fuzz targets in $build (make fuzz-build)" >&2
	exit 2
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0
for t in "$@"; do
	t=$(basename "$t")
	bin="$build/$t"
	if [ ! -x "$bin" ]; then
		echo "$t: not built ($bin): counted as one failure"
		failed=$((failed + 1))
		continue
	fi
	corpus="$tmp/$t"
	art="$build/artifacts/$t"
	mkdir -p "$corpus" "$art"
	if ! python3 "$top/tests/fuzz/seeds.py" "$t" "$top" "$corpus"; then
		echo "$t: no seeds: counted as one failure"
		failed=$((failed + 1))
		continue
	fi
	if [ -d "$top/tests/fuzz/regressions/$t" ]; then
		cp "$top/tests/fuzz/regressions/$t"/* "$corpus/" 2>/dev/null
	fi
	dict=""
	[ -f "$top/tests/fuzz/$t.dict" ] && dict="-dict=$top/tests/fuzz/$t.dict"
	# -timeout: an input that takes 10 s is a hang (a failure);
	# -rss_limit_mb keeps one runaway input from taking the machine;
	# max_len 64 KiB is the control protocol's line limit and above
	# every fixture.
	"$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=1024 \
	    -max_len=65536 -print_final_stats=1 -artifact_prefix="$art/" \
	    $dict "$corpus" >"$tmp/log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$tmp/log")
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$tmp/log")
	cov=$(grep -Eo 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' "$tmp/log" | tail -n 1)
	if [ "$rc" = 0 ] && grep -q '^Done [0-9]* runs' "$tmp/log"; then
		echo "$t: ${execs:-?} execs in ${seconds} s (${rate:-?}/s), $cov: no crash"
		passed=$((passed + 1))
	else
		tail -n 40 "$tmp/log"
		crash=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$tmp/log" | tail -n 1)
		echo "$t: FAILED (exit $rc) after ${execs:-?} execs${crash:+; input: $crash}"
		[ -n "$crash" ] && echo "$t: minimise with: $bin" \
		    "-minimize_crash=1 -runs=100000 $crash; then add it to" \
		    "tests/fuzz/regressions/$t/ and to a unit test"
		failed=$((failed + 1))
	fi
done
echo "RESULT passed=$passed failed=$failed"
[ "$failed" = 0 ]
