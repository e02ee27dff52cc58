#!/bin/sh
# run.sh - what `make run` does after building: start portd in the
# foreground on a socket under the working tree, after saying how to talk
# to it. Ctrl-C stops it (and removes the socket).
set -eu
build=$1
rundir=$2
mkdir -p "$rundir"
sock="$rundir/portd.sock"
cat <<MSG
portd starts in the foreground; Ctrl-C stops it. In another terminal:

    export PORTD_SOCKET=$sock
    $build/portctl status          # the daemon's counters
    $build/portctl list            # every listening socket and its owner
    $build/portctl who 22          # who holds port 22
    $build/portctl watch           # bind/unbind events as they happen
    $build/portctl kill 8080       # free port 8080 (SIGTERM, then SIGKILL)
    $build/portctl rules           # the demo rule from conf/run.conf: it
                                   # logs whoever binds 18080-18089/tcp

MSG
if [ "$(id -u)" != 0 ]; then
	echo "(not root: owners of other users' sockets show as 'not visible')"
	echo
fi
exec "$build/portd" --socket "$sock" --config "$(dirname "$0")/../conf/run.conf"
