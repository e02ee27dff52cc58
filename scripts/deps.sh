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

[ -z "$missing" ] && exit 0

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
