#!/bin/sh
# deps.sh - install the packages portd's build, tests and benchmark need.
# Does nothing when everything is present. As root it uses apt-get; as
# anyone else it prints one line saying what to install.
set -u

# Debian package names, and a command or file that proves each is there.
# systemd is only for systemd-analyze (the unit files' test): installing
# the package does not make it the init system (that is systemd-sysv) and
# starts nothing on a machine that runs another init; man-db's man(1) is
# what systemd-analyze verify uses to check Documentation=man:... lines.
PKGS="
build-essential:cc
make:make
pkg-config:pkg-config
libuv1-dev:/usr/include/uv.h
libcjson-dev:/usr/include/cjson/cJSON.h
check:/usr/include/check.h
python3:python3
iproute2:ss
lsof:lsof
psmisc:fuser
util-linux:setpriv
mandoc:mandoc
man-db:man
systemd:systemd-analyze
"
# Windows: the mingw-w64 cross-compiler, and Wine to run the .exe tests
# (64-bit only: wine64, no i386 architecture needed); cmake and dpkg-dev
# build libuv, cJSON and check for mingw from Debian's source packages
# (scripts/windows-deps.sh, into .cache/windows/).
PKGS="$PKGS
gcc-mingw-w64-x86-64:x86_64-w64-mingw32-gcc
wine:wine
wine64:/usr/lib/wine/wine64
cmake:cmake
dpkg-dev:dpkg-source
"
# make fuzz and make test's fuzzing: clang with libFuzzer and the
# sanitizers' runtimes (libclang-rt-14-dev, which clang only recommends).
PKGS="$PKGS
clang:clang
libclang-rt-14-dev:/usr/lib/llvm-14/lib/clang/14.0.6/include/fuzzer/FuzzedDataProvider.h
"

missing=""
for entry in $PKGS; do
	pkg=${entry%%:*}
	probe=${entry#*:}
	case "$probe" in
	/*) [ -e "$probe" ] && continue ;;
	*) command -v "$probe" >/dev/null 2>&1 && continue ;;
	esac
	missing="$missing $pkg"
done


install_packages() {
[ -z "$missing" ] && return 0

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
	echo "portd: missing packages:$missing (install them, e.g. sudo apt-get install$missing)" >&2
	exit 1
fi

echo "portd: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# Refresh the package lists only when an install fails on stale ones.
if ! apt-get install -y -q --no-install-recommends $missing >/tmp/portd-deps.log 2>&1; then
	apt-get update -q >>/tmp/portd-deps.log 2>&1
	if ! apt-get install -y -q --no-install-recommends $missing >>/tmp/portd-deps.log 2>&1; then
		echo "portd: apt-get install$missing failed; see /tmp/portd-deps.log" >&2
		tail -n 5 /tmp/portd-deps.log >&2
		exit 1
	fi
fi
}

# Packages first: the macOS step below fetches sources with dpkg-dev.
install_packages || exit 1

# ---- macOS cross-build toolchain -----------------------------------------
# Zig (npm) and libuv + cJSON built for macOS, under .cache/macos/ (not committed),
# so make test proves every change still compiles and links for macOS. A
# quick no-op once there; PORTD_NO_MACOS=1 skips it.
if [ "${PORTD_NO_MACOS:-0}" != 1 ]; then
	sh "$(dirname "$0")/macos-toolchain.sh" || exit 1
fi
# ---- end of macOS ---------------------------------------------------------
