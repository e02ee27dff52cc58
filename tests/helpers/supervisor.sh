#!/bin/bash
# supervisor.sh - a careless service manager, for portd's integration tests:
# it restarts a command every time it exits, after a short pause, until it
# is told to stop. portd's reaper should notice that it keeps killing the
# same executable and report this process as the one restarting it (a
# "respawn" event names the squatter's parent).
#
#   supervisor.sh [-d SECONDS] COMMAND [ARG...]
#
#   -d SECONDS   the pause before each restart (default 0.2)
#
# Each start is announced on stderr as "supervisor: started pid N"; the
# command's own output goes where the supervisor's goes.
#
# SIGTERM, SIGINT or SIGHUP stops it: the running command (and a pending
# pause) get SIGTERM, then SIGKILL if still there after 5 s; the
# supervisor waits for them and exits 0, leaving no process behind. It
# never signals anything but its own children.
set -u

delay=0.2
if [ "${1:-}" = "-d" ]; then
	if [ $# -lt 2 ]; then
		echo "supervisor: -d needs a number of seconds" >&2
		exit 2
	fi
	delay=$2
	shift 2
fi
if [ $# -lt 1 ]; then
	echo "usage: supervisor.sh [-d SECONDS] COMMAND [ARG...]" >&2
	exit 2
fi

child=""	# the command, while it runs
pauser=""	# the sleep between two runs

# True while pid is our child and not yet reaped by bash. bash reaps
# exited children when SIGCHLD arrives, so a dead one stops answering.
running() {
	[ -n "$1" ] && kill -0 "$1" 2>/dev/null
}

stop() {
	trap '' TERM INT HUP
	local pid i
	for pid in $pauser $child; do
		kill -TERM "$pid" 2>/dev/null
	done
	for i in $(seq 50); do
		running "$child" || running "$pauser" || break
		sleep 0.1
	done
	for pid in $pauser $child; do
		kill -KILL "$pid" 2>/dev/null
	done
	wait
	exit 0
}
trap stop TERM INT HUP

while :; do
	# Started in the background so that a signal interrupts the wait at
	# once (bash runs traps only between commands).
	"$@" &
	child=$!
	echo "supervisor: started pid $child" >&2
	wait "$child"
	child=""
	sleep "$delay" &
	pauser=$!
	wait "$pauser"
	pauser=""
done
