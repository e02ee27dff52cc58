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

# Adds up a python runner's "RESULT passed=N failed=N" line in $log:
# count_result NAME EXIT. No line, or a failed exit with no failed test,
# counts as one failure.
count_result() {
	line=$(grep -E '^RESULT passed=[0-9]+ failed=[0-9]+' "$log" | tail -n 1)
	if [ -z "$line" ]; then
		echo "$1: no result line (exit $2): counted as one failure"
		failed=$((failed + 1))
		return
	fi
	p=$(echo "$line" | sed -E 's/.*passed=([0-9]+).*/\1/')
	f=$(echo "$line" | sed -E 's/.*failed=([0-9]+).*/\1/')
	passed=$((passed + p))
	failed=$((failed + f))
	if [ "$2" != 0 ] && [ "$f" = 0 ]; then
		echo "$1: exit $2 with no failed test: counted as one failure"
		failed=$((failed + 1))
	fi
}

# Integration: python's unittest, which prints "RESULT passed=N failed=N".
PORTD_BUILD="$build" python3 "$top/tests/integration/run.py" >"$log" 2>&1
rc=$?
cat "$log"
count_result integration "$rc"

# ---- macOS cross-build ---------------------------------------------------
# With the toolchain installed (scripts/macos-toolchain.sh, which make deps
# runs), every change must still compile and link for macOS: `make macos`
# counts as one test. Without it the cross-build is skipped, and says so.
# The sub-make gets a clean environment: not this run's BUILD or the
# sanitizer flags make asan passes down through MAKEFLAGS.
if sh "$top/scripts/macos-toolchain.sh" check; then
	if env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u BUILD \
	    "${MAKE:-make}" -C "$top" --no-print-directory macos \
	    >"$log" 2>&1; then
		grep 'Mach-O' "$log"
		echo "macos: make macos: compiled and linked for x86_64 and arm64"
		passed=$((passed + 1))
	else
		tail -n 25 "$log"
		echo "macos: make macos failed: counted as one failure"
		failed=$((failed + 1))
	fi
else
	echo "macos: no toolchain (sh scripts/macos-toolchain.sh): cross-build skipped"
fi
# ---- end of macOS ---------------------------------------------------------

# ---- Windows: mingw-w64 cross-build, and the tests under Wine -----------
# With the cross-compiler installed (scripts/deps.sh installs it): build
# portd.exe, portctl.exe and the Windows test programs (a failed build
# counts as one failure), then, with Wine installed, run the Windows tests
# (tests/windows/run.py: the check suites, the named pipe, the kill path,
# the reaper, the service; about 25 s). PORTD_WINE_TESTS=0 leaves the Wine
# tests out and counts the build as one test. Skipped under make asan
# (the .exe files are not sanitized). The sub-make gets a clean
# environment, as for macOS; a lock keeps two runs in one tree from
# building or using Wine together.
mkdir -p "$top/build"
exec 9>"$top/build/windows.lock"
if ! command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1; then
	echo "windows: no mingw-w64 (sh scripts/deps.sh installs it): skipped"
elif [ "${BUILD%asan*}" != "$BUILD" ]; then
	echo "windows: skipped under $BUILD (the .exe files are not sanitized)"
elif ! flock -w 1800 9; then
	echo "windows: another run held build/windows.lock for 30 minutes: counted as one failure"
	failed=$((failed + 1))
elif ! env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u BUILD \
    "${MAKE:-make}" -C "$top" --no-print-directory windows-tests-build \
    >"$log" 2>&1; then
	tail -n 25 "$log"
	echo "windows: build failed: counted as one failure"
	failed=$((failed + 1))
elif [ "${PORTD_WINE_TESTS:-1}" = 0 ] || ! command -v wine >/dev/null 2>&1; then
	echo "windows: portd.exe, portctl.exe and the test programs built;" \
	    "the Wine tests left out (no wine, or PORTD_WINE_TESTS=0)"
	passed=$((passed + 1))
else
	timeout -k 10 900 python3 "$top/tests/windows/run.py" \
	    "$top/build/windows" >"$log" 2>&1
	rc=$?
	cat "$log"
	count_result windows "$rc"
fi
exec 9>&-
# ---- end of Windows -------------------------------------------------------

# ---- Fuzzing: libFuzzer targets, a short budget each --------------------
# With clang and libFuzzer installed (scripts/deps.sh installs them): build
# build-fuzz/ (make fuzz-build; a failed build counts as one failure) and
# run every target of tests/fuzz/ for FUZZ_SECONDS (10 s here; make fuzz
# defaults to 60), one at a time: each target that runs its budget without
# a crash, leak or broken invariant is one passed test. Skipped under make
# asan: the fuzz build is ASan + UBSan already. The sub-make gets a clean
# environment, as for macOS.
fuzz_probe=$(mktemp -d)
if ! command -v clang >/dev/null 2>&1; then
	echo "fuzz: skipped: no clang (sh scripts/deps.sh installs clang and libclang-rt-14-dev)"
elif ! echo 'int LLVMFuzzerTestOneInput(const char *d, long n);
int LLVMFuzzerTestOneInput(const char *d, long n) { return d && n < 0; }' \
    >"$fuzz_probe/p.c" || ! clang -fsanitize=fuzzer,address,undefined \
    -o "$fuzz_probe/p" "$fuzz_probe/p.c" >/dev/null 2>&1; then
	echo "fuzz: skipped: clang cannot link -fsanitize=fuzzer (install libclang-rt-14-dev)"
elif [ "${BUILD%asan*}" != "$BUILD" ]; then
	echo "fuzz: skipped under $BUILD (make test runs the targets, built with ASan + UBSan)"
elif ! env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u BUILD \
    "${MAKE:-make}" -C "$top" --no-print-directory fuzz-build \
    >"$log" 2>&1; then
	tail -n 25 "$log"
	echo "fuzz: make fuzz-build failed: counted as one failure"
	failed=$((failed + 1))
else
	FUZZ_SECONDS=${FUZZ_SECONDS:-10} sh "$top/tests/fuzz/run.sh" \
	    "$top/build-fuzz" >"$log" 2>&1
	rc=$?
	cat "$log"
	count_result fuzz "$rc"
fi
rm -rf "$fuzz_probe"
# ---- end of fuzzing -------------------------------------------------------

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
