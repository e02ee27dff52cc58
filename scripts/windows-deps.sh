#!/bin/sh
# windows-deps.sh - builds the third-party libraries portd.exe, portctl.exe
# and the Windows unit tests link against (libuv, cJSON, check) for
# 64-bit Windows, from Debian's own source packages, into a cache:
#
#   sh scripts/windows-deps.sh [CACHE]       (default .cache/windows)
#
#   CACHE/apt/      a private apt state: deb-src entries for the suites the
#                   machine's deb entries name, and their package lists
#                   (the system's apt configuration is not touched)
#   CACHE/src/      what `apt-get source --download-only` fetched, and the
#                   trees `dpkg-source -x` unpacked (Debian's patches applied)
#   CACHE/build/    CMake build trees (scripts/windows-toolchain.cmake)
#   CACHE/prefix/   include/ and lib/ (static libraries only)
#
# Nothing happens when CACHE/prefix/.complete exists and names the same
# recipe: the first run takes about a minute, later ones nothing. Delete
# the cache directory to start over. Needs gcc-mingw-w64-x86-64, cmake and
# dpkg-dev (scripts/deps.sh installs them); no root.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cache=${1:-$top/.cache/windows}
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
prefix=$cache/prefix
# Bump when the way the libraries are built changes: the cache rebuilds.
recipe="portd-windows-deps 1: libuv1 cjson check, static, Release"
triple=x86_64-w64-mingw32
jobs=$(nproc 2>/dev/null || echo 2)

if [ -f "$prefix/.complete" ] && [ "$(head -n 1 "$prefix/.complete")" = "$recipe" ]; then
	exit 0
fi

for tool in $triple-gcc cmake apt-get dpkg-source; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "windows-deps: $tool is missing (sh scripts/deps.sh installs it)" >&2
		exit 1
	fi
done

log=$cache/windows-deps.log
: >"$log"
fail() {
	echo "windows-deps: $1; see $log" >&2
	tail -n 20 "$log" >&2
	exit 1
}

# ---- sources, through a private apt state --------------------------------
apt=$cache/apt
mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/parts"
# deb-src twins of the machine's Debian deb entries (one-line and deb822
# formats), same suites and keys.
{
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		sed -n 's/^[[:space:]]*deb[[:space:]]\(.*debian.*\)$/deb-src \1/p' "$f"
	done
} >"$apt/sources.list"
: >"$apt/parts/debian-src.sources"
for f in /etc/apt/sources.list.d/*.sources; do
	[ -f "$f" ] || continue
	# One stanza per blank-line-separated block; keep Debian's deb ones.
	awk '
	function flush() {
		if (block != "" && types ~ /(^|[ \t])deb([ \t]|$)/ && uris ~ /debian/)
			printf "%s\n", block
		block = ""; types = ""; uris = ""
	}
	/^[ \t]*$/ { flush(); next }
	/^[ \t]*#/ { next }
	/^Types:/ { types = $0; sub(/^Types:.*$/, "Types: deb-src") }
	/^URIs:/ { uris = $0 }
	{ block = block $0 "\n" }
	END { flush() }' "$f" >>"$apt/parts/debian-src.sources"
done
if [ ! -s "$apt/sources.list" ] && [ ! -s "$apt/parts/debian-src.sources" ]; then
	echo "windows-deps: no Debian deb entries in /etc/apt to derive deb-src entries from" >&2
	exit 1
fi

aptq() {
	apt-get -q -o Dir::Etc::SourceList="$apt/sources.list" \
	    -o Dir::Etc::SourceParts="$apt/parts" \
	    -o Dir::State::Lists="$apt/lists" \
	    -o Dir::Cache="$apt/cache" \
	    -o Debug::NoLocking=1 -o APT::Sandbox::User="$(id -un)" "$@"
}

src=$cache/src
mkdir -p "$src"
echo "windows-deps: fetching Debian's source packages of libuv1, cjson, check" >&2
aptq update >>"$log" 2>&1 || fail "apt-get update (deb-src) failed"
(cd "$src" && rm -rf ./*) || true
(cd "$src" && aptq source --download-only libuv1 cjson check) >>"$log" 2>&1 ||
    fail "apt-get source failed"

# Unpacks the one .dsc whose name starts with $1 into $src/$1.
unpack() {
	dsc=$(ls "$src"/"$1"_*.dsc 2>/dev/null | head -n 1)
	[ -n "$dsc" ] || fail "no $1 source package was fetched"
	rm -rf "${src:?}/$1"
	dpkg-source -x "$dsc" "$src/$1" >>"$log" 2>&1 || fail "dpkg-source -x $dsc failed"
	basename "$dsc" .dsc
}
v_uv=$(unpack libuv1)
v_cjson=$(unpack cjson)
v_check=$(unpack check)

# ---- builds ----------------------------------------------------------------
build=$cache/build
rm -rf "$build" "$prefix"
mkdir -p "$build" "$prefix/include" "$prefix/lib"
common="-DCMAKE_TOOLCHAIN_FILE=$top/scripts/windows-toolchain.cmake
 -DPORTD_WIN_PREFIX=$prefix -DCMAKE_BUILD_TYPE=Release
 -DCMAKE_INSTALL_PREFIX=$prefix"

cmk() {
	name=$1
	shift
	echo "windows-deps: building $name" >&2
	# shellcheck disable=SC2086
	cmake -S "$src/$name" -B "$build/$name" $common "$@" >>"$log" 2>&1 ||
	    fail "cmake $name failed"
}

cmk libuv1 -DBUILD_TESTING=OFF -DLIBUV_BUILD_TESTS=OFF -DLIBUV_BUILD_BENCH=OFF
cmake --build "$build/libuv1" --target uv_a -j "$jobs" >>"$log" 2>&1 ||
    fail "building libuv failed"
# Only the static library and the headers (the install target would build
# the DLL as well).
cp "$build/libuv1/libuv_a.a" "$prefix/lib/libuv_a.a"
cp -R "$src/libuv1/include/." "$prefix/include/"

cmk cjson -DBUILD_SHARED_LIBS=OFF -DENABLE_CJSON_TEST=OFF \
    -DENABLE_CUSTOM_COMPILER_FLAGS=OFF -DENABLE_PUBLIC_SYMBOLS=OFF \
    -DENABLE_HIDDEN_SYMBOLS=ON -DENABLE_CJSON_UTILS=OFF
cmake --build "$build/cjson" -j "$jobs" >>"$log" 2>&1 || fail "building cJSON failed"
cmake --install "$build/cjson" >>"$log" 2>&1 || fail "installing cJSON failed"

cmk check -DBUILD_SHARED_LIBS=OFF -DBUILD_TESTING=OFF
cmake --build "$build/check" --target check -j "$jobs" >>"$log" 2>&1 ||
    fail "building check failed"
cp "$build/check/src/libcheck.a" "$prefix/lib/libcheck.a"
cp "$build/check/src/check.h" "$build/check/check_stdint.h" "$prefix/include/" \
    2>/dev/null || cp "$build/check/src/check.h" "$prefix/include/"
[ -f "$prefix/include/check_stdint.h" ] ||
    find "$build/check" -name check_stdint.h -exec cp {} "$prefix/include/" \;

for f in lib/libuv_a.a lib/libcjson.a lib/libcheck.a include/uv.h \
    include/cjson/cJSON.h include/check.h include/check_stdint.h; do
	[ -f "$prefix/$f" ] || fail "$prefix/$f was not built"
done
printf '%s\n%s\n%s\n%s\n' "$recipe" "$v_uv" "$v_cjson" "$v_check" >"$prefix/.complete"
echo "windows-deps: built $v_uv, $v_cjson, $v_check into $prefix" >&2
