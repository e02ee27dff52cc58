#!/usr/bin/env python3
"""
share.py - one process tree sharing a listener, for tests/integration/
test_owners.py: the ways a listening socket comes to be held by several
processes, or changes hands, without a new socket appearing.

    share.py SCENARIO

The first process (the "parent") prints one JSON line when it is set up,
then reads commands from stdin, one a line, and answers each with one
JSON line ({"ok": true, ...} or {"ok": false, "error": "..."}) once it is
done (a child's part included: children report to the parent over
pipes). Every line names the pids involved; the listener is a TCP socket
on 127.0.0.1, on a port the kernel picks. EOF on stdin ends the tree.

Scenarios and their commands:

  fork        the parent listens, then forks a child: both hold it.
              {"pid", "child", "port"}
                parent-close   the parent closes its copy (and lives on)
                child-exit     the child exits; the parent does not reap
                               it (a zombie) until "reap"
                reap           the parent reaps the exited child

  bind-fork   the parent starts holding nothing ({"pid"}), so that a
              portd can scan it first; then
                go             it listens and forks a child at once
                               -> {"port", "child"}

  pass        the parent starts a receiver (an already-running process,
              connected by a Unix socketpair) and listens.
              {"pid", "receiver", "port"}
                send           SCM_RIGHTS: the receiver gets a copy
                sender-close   the parent closes its copy

  exec        the parent listens on an inheritable socket.
              {"pid", "port"}
                exec           it executes /bin/sleep (same pid, new
                               command and executable) keeping the
                               socket; answers {"ok": true} first

Only loopback is used; nothing is ever sent over the network.
"""
import array
import json
import os
import signal
import socket
import sys


def say(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def listener():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    s.listen(8)
    return s


def commands():
    for line in sys.stdin:
        line = line.strip()
        if line:
            yield line


def child_waits(r):
    """A child: block until the parent closes its end of the pipe (or
    tells it to exit), then exit."""
    os.read(r, 1)
    os._exit(0)


def fork_holder(s):
    """Forks a child that keeps s; returns (pid, write end of its pipe:
    one byte or EOF makes it exit)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(w)
        child_waits(r)
    os.close(r)
    return pid, w


def scenario_fork():
    s = listener()
    child, w = fork_holder(s)
    say({"pid": os.getpid(), "child": child, "port": s.getsockname()[1]})
    for cmd in commands():
        if cmd == "parent-close":
            s.close()
            say({"ok": True})
        elif cmd == "child-exit":
            os.write(w, b"x")
            # Exited but not reaped: wait without reaping.
            os.waitid(os.P_PID, child, os.WEXITED | os.WNOWAIT)
            say({"ok": True})
        elif cmd == "reap":
            os.waitpid(child, 0)
            say({"ok": True})
        else:
            say({"ok": False, "error": "unknown command %r" % cmd})


def scenario_bind_fork():
    say({"pid": os.getpid()})
    kids = []
    for cmd in commands():
        if cmd == "go":
            s = listener()
            kids.append(fork_holder(s))
            say({"ok": True, "port": s.getsockname()[1],
                 "child": kids[-1][0]})
        else:
            say({"ok": False, "error": "unknown command %r" % cmd})


def receiver(sock):
    """The receiving process: takes what SCM_RIGHTS brings, acks each,
    exits on EOF."""
    held = []
    while True:
        fds = array.array("i")
        msg, anc, _, _ = sock.recvmsg(1, socket.CMSG_LEN(fds.itemsize))
        if not msg:
            os._exit(0)
        for level, kind, data in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds.frombytes(data[:len(data) - len(data) % fds.itemsize])
        held.extend(fds)
        sock.send(b"k")


def scenario_pass():
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    pid = os.fork()
    if pid == 0:
        a.close()
        # Set up: from here its fd count moves only with what it is
        # handed (a close and a receipt between two snapshots would
        # leave the count the same: the one case the count pass misses).
        b.send(b"r")
        receiver(b)
    b.close()
    if a.recv(1) != b"r":
        raise SystemExit("share.py: the receiver did not start")
    s = listener()
    say({"pid": os.getpid(), "receiver": pid, "port": s.getsockname()[1]})
    for cmd in commands():
        if cmd == "send":
            a.sendmsg([b"x"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS,
                                array.array("i", [s.fileno()]))])
            ok = a.recv(1) == b"k"
            say({"ok": ok})
        elif cmd == "sender-close":
            s.close()
            say({"ok": True})
        else:
            say({"ok": False, "error": "unknown command %r" % cmd})
    a.close()
    os.waitpid(pid, 0)


def scenario_exec():
    s = listener()
    s.set_inheritable(True)
    say({"pid": os.getpid(), "port": s.getsockname()[1]})
    for cmd in commands():
        if cmd == "exec":
            say({"ok": True})
            sys.stdout.flush()
            # stdin and stdout stay: sleep ignores them; EOF does not
            # end it, so the test kills it by pid.
            os.execv("/bin/sleep", ["sleep", "100000"])
        else:
            say({"ok": False, "error": "unknown command %r" % cmd})


SCENARIOS = {"fork": scenario_fork, "bind-fork": scenario_bind_fork,
             "pass": scenario_pass, "exec": scenario_exec}


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in SCENARIOS:
        sys.stderr.write("usage: share.py %s\n" % "|".join(SCENARIOS))
        return 2
    # Children end with the tree: a test that dies leaves no holder.
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    SCENARIOS[sys.argv[1]]()
    return 0


if __name__ == "__main__":
    sys.exit(main())
