#!/usr/bin/env python3
"""handover_kill.py - two processes and one TCP listener, for the kill tests.

    python3 handover_kill.py MODE [--ignore-term] [--delay-ms N]
                             [--hold-ms N] [--close-on-usr1]
                             [--first-as USER]

MODE says who holds the listener (127.0.0.1, a port the kernel picks):
  fork        the first process binds and listens, then forks: both hold it
  fork-close  the same, then the first closes its copy and lives on: only
              the child holds it
  pass        a second process is forked first (already running, holding
              nothing); the first then binds, listens and hands the
              listener over with SCM_RIGHTS: both hold it
  pass-close  the same, then the sender closes its copy and lives on: only
              the receiver holds it

  --ignore-term  both processes ignore SIGTERM
  --delay-ms N   wait N ms after starting before binding (so a daemon
                 has seen both processes before the socket exists)
  --hold-ms N    the first process holds the listener alone for N ms
                 before the fork or the handover (so a daemon has seen it
                 as the owner first)
  --first-as USER  (pass, as root) the first process becomes USER before
                 it binds, the receiver stays root: one socket, two users
  --close-on-usr1  (fork, pass) the first process closes its copy when it
                 gets SIGUSR1 and lives on: a test lets a daemon see it
                 holding the listener first

When everything is in place it prints ONE JSON line, in holder.py's form
(tests/integration/portdtest.py's Holder reads it):
  {"pid": FIRST, "child": SECOND, "sockets": [{"kind": "tcp4",
   "address": "127.0.0.1", "port": N, "inode": N}]}
then both run until a signal ends them (SIGTERM does, unless ignored).
Each process dies only of its own signal (no PR_SET_PDEATHSIG: a test
must see which one was signalled); the test kills both pids it was told.
A receiver whose sender fails before the handover exits. On a setup error
it prints one line to stderr and exits 2.
"""
import argparse
import ctypes
import json
import os
import pwd
import signal
import socket
import sys
import time

def wait_forever():
    while True:
        signal.pause()


def listener():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    return s


def report(first, second, s):
    port = s.getsockname()[1]
    print(json.dumps({"pid": first, "child": second, "sockets": [{
        "kind": "tcp4", "address": "127.0.0.1", "port": port,
        "inode": os.fstat(s.fileno()).st_ino}]}), flush=True)


def close_on_usr1(s):
    signal.signal(signal.SIGUSR1, lambda *_: s.close())


def run_fork(close_first, on_usr1, hold):
    s = listener()
    time.sleep(hold)
    ready_r, ready_w = os.pipe()
    child = os.fork()
    if child == 0:
        os.close(ready_r)
        os.write(ready_w, b"r")
        os.close(ready_w)
        wait_forever()
    os.close(ready_w)
    if os.read(ready_r, 1) != b"r":
        sys.exit("handover_kill: the child did not start")
    os.close(ready_r)
    report(os.getpid(), child, s)
    if on_usr1:
        close_on_usr1(s)
    if close_first:
        s.close()
    wait_forever()


def become(user):
    pw = pwd.getpwnam(user)
    os.setgroups([])
    os.setgid(pw.pw_gid)
    os.setuid(pw.pw_uid)
    # A uid change clears "dumpable", which leaves /proc/PID/fd root's:
    # USER must be able to see its own process's descriptors.
    ctypes.CDLL(None, use_errno=True).prctl(4, 1, 0, 0, 0)  # SET_DUMPABLE


def run_pass(close_first, on_usr1, delay, hold, first_as):
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    receiver = os.fork()
    if receiver == 0:
        a.close()
        msg, fds, _, _ = socket.recv_fds(b, 16, 1)
        if msg != b"L" or len(fds) != 1:
            os._exit(2)     # the sender went away
        held = socket.socket(fileno=fds[0])
        b.sendall(b"k")
        b.close()
        try:
            wait_forever()
        finally:
            held.close()
    b.close()
    if first_as:
        become(first_as)
    time.sleep(delay)
    s = listener()
    time.sleep(hold)
    socket.send_fds(a, [b"L"], [s.fileno()])
    if a.recv(1) != b"k":
        sys.exit("handover_kill: the receiver did not take the listener")
    a.close()
    report(os.getpid(), receiver, s)
    if on_usr1:
        close_on_usr1(s)
    if close_first:
        s.close()
    wait_forever()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("mode", choices=["fork", "fork-close", "pass",
                                     "pass-close"])
    ap.add_argument("--ignore-term", action="store_true")
    ap.add_argument("--delay-ms", type=int, default=0)
    ap.add_argument("--hold-ms", type=int, default=0)
    ap.add_argument("--close-on-usr1", action="store_true")
    ap.add_argument("--first-as")
    args = ap.parse_args()
    if args.ignore_term:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    delay = args.delay_ms / 1000.0
    hold = args.hold_ms / 1000.0
    try:
        if args.mode.startswith("fork"):
            time.sleep(delay)
            run_fork(args.mode == "fork-close", args.close_on_usr1, hold)
        else:
            run_pass(args.mode == "pass-close", args.close_on_usr1, delay,
                     hold, args.first_as)
    except OSError as e:
        print("handover_kill: %s" % e, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
