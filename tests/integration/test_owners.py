"""test_owners.py - every owner of a listener, through portd, as ss sees it.

Each test starts one process tree of tests/helpers/share.py that shares
a TCP listener on 127.0.0.1 in one of the ways real servers do (prefork,
a parent that closes its copy, a supervisor handing a socket over with
SCM_RIGHTS, an exec in the holder, an owner that exits), and checks that
portd's `who` names the same owners as `ss -ltnp`, `portctl --direct`
and the tree itself say hold it.

The portd here runs with the background resync off (--resync 0): none of
these changes makes a new socket, so before portd rescanned processes
whose descriptor count changed and read process events, it only saw them
at the resync (five minutes by default) and never with it off. Waits
poll with a generous deadline; nothing asserts on elapsed time.
"""
import json
import os
import selectors
import signal
import subprocess
import sys
import unittest

from daemontest import DEADLINE, DaemonTestCase
from portdtest import (REPO, pid_is_running, proc_comm, proc_exe,
                       proc_start_time, run_portctl, ss_listeners,
                       wait_until)

SHARE = os.path.join(REPO, "tests", "helpers", "share.py")


class Tree:
    """A running share.py SCENARIO: .info (its first line), .do(cmd) ->
    the answer. Only its own pids are ever signalled, after checking
    their start time."""

    def __init__(self, scenario):
        self.proc = subprocess.Popen(
            [sys.executable, SHARE, scenario], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, text=True)
        self.start = {}
        self.info = self._line()
        self.note(self.proc.pid)
        for key in ("child", "receiver"):
            if key in self.info:
                self.note(self.info[key])

    def note(self, pid):
        """Remembers pid as this tree's (its start time, for kill)."""
        if pid not in self.start:
            self.start[pid] = proc_start_time(pid)

    def _line(self):
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        try:
            if not sel.select(DEADLINE):
                raise AssertionError("share.py said nothing")
        finally:
            sel.close()
        line = self.proc.stdout.readline()
        if not line:
            raise AssertionError("share.py exited %s" % self.proc.poll())
        return json.loads(line)

    def do(self, cmd):
        self.proc.stdin.write(cmd + "\n")
        self.proc.stdin.flush()
        answer = self._line()
        if not answer.get("ok"):
            raise AssertionError("share.py %s: %s" % (cmd, answer))
        if "child" in answer:
            self.note(answer["child"])
        return answer

    def kill(self):
        for pid, started in sorted(self.start.items(), reverse=True):
            if pid != self.proc.pid and pid_is_running(pid, started):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=DEADLINE)
        for f in (self.proc.stdin, self.proc.stdout):
            try:
                f.close()
            except OSError:
                pass
        # Children the tree did not reap come back to the subreaper.
        for pid in self.start:
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass


class OwnersTest(DaemonTestCase):

    PORTD_ARGS = ("--resync", "0")

    def tree(self, scenario):
        t = Tree(scenario)
        self.addCleanup(t.kill)
        return t

    def owners(self, port):
        """(portd's, --direct's, ss's) sets of pids holding the port."""
        def pids(mode):
            rc, out, err = run_portctl(*(mode + ("--json", "who",
                                                 str(port))))
            if rc not in (0, 1):
                raise AssertionError("portctl %s who: %d %s"
                                     % (mode, rc, err))
            rows = json.loads(out)["listeners"] if rc == 0 else []
            return set(r["pid"] for r in rows if r["pid"] is not None)
        return (pids(self.MODE_ARGS), pids(("--direct",)),
                ss_listeners().get(("tcp", port), set()))

    def assertOwners(self, port, want):
        """Waits until portd, --direct and ss all name exactly want."""
        want = set(want)
        got = wait_until(lambda: (lambda o: o if all(s == want for s in o)
                                  else None)(self.owners(port)), DEADLINE)
        if not got:
            portd, direct, ss = self.owners(port)
            self.fail("port %d: want %s; portd %s, --direct %s, ss %s"
                      % (port, sorted(want), sorted(portd),
                         sorted(direct), sorted(ss)))

    def row(self, port):
        rc, out, err = run_portctl(*(self.MODE_ARGS + ("--json", "who",
                                                       str(port))))
        self.assertEqual(rc, 0, err)
        rows = json.loads(out)["listeners"]
        self.assertEqual(len(rows), 1, rows)
        return rows[0]

    # -- the scenarios --

    def test_fork_shared(self):
        """Prefork: parent and child both hold the listener; then the
        child exits and is not reaped (a zombie holds nothing); then it
        is reaped."""
        t = self.tree("fork")
        port, parent, child = t.info["port"], t.info["pid"], t.info["child"]
        self.assertOwners(port, {parent, child})
        t.do("child-exit")
        self.assertOwners(port, {parent})
        t.do("reap")
        self.assertOwners(port, {parent})

    def test_known_process_binds_and_forks(self):
        """A process portd already scanned listens and forks at once: the
        parent is an owner as well as the new child."""
        t = self.tree("bind-fork")
        parent = t.info["pid"]
        # portd has seen the parent (a new process is scanned at once).
        self.assertTrue(wait_until(lambda: self.status()["snapshots"] > 2))
        first = self.status()["snapshots"]
        self.assertTrue(wait_until(
            lambda: self.status()["snapshots"] > first + 1))
        a = t.do("go")
        self.assertOwners(a["port"], {parent, a["child"]})

    def test_parent_closes(self):
        """The parent closes its copy after the fork and lives on: only
        the child is listed, so kill through portd targets the child
        alone."""
        t = self.tree("fork")
        port, parent, child = t.info["port"], t.info["pid"], t.info["child"]
        self.assertOwners(port, {parent, child})
        t.do("parent-close")
        self.assertOwners(port, {child})
        self.assertTrue(pid_is_running(parent))
        rc, out, err = run_portctl(*(self.MODE_ARGS + (
            "kill", "--dry-run", str(port))))
        self.assertEqual(rc, 0, err)
        self.assertIn("pid %d " % child, out)
        self.assertNotIn("pid %d " % parent, out)

    def test_scm_rights_keep(self):
        """A listener handed to an already-running process, the sender
        keeping its copy: both are owners."""
        t = self.tree("pass")
        port, sender, receiver = (t.info["port"], t.info["pid"],
                                  t.info["receiver"])
        self.assertOwners(port, {sender})
        t.do("send")
        self.assertOwners(port, {sender, receiver})

    def test_scm_rights_then_close(self):
        """The same, then the sender closes its copy: only the receiver
        holds it."""
        t = self.tree("pass")
        port, sender, receiver = (t.info["port"], t.info["pid"],
                                  t.info["receiver"])
        self.assertOwners(port, {sender})
        t.do("send")
        t.do("sender-close")
        self.assertOwners(port, {receiver})
        self.assertTrue(pid_is_running(sender))

    def test_exec_in_holder(self):
        """The holder executes another program, keeping the socket: same
        pid, and the row shows the new command and executable."""
        t = self.tree("exec")
        port, pid = t.info["port"], t.info["pid"]
        self.assertOwners(port, {pid})
        self.assertEqual(self.row(port)["command"], proc_comm(pid))
        t.do("exec")
        self.assertTrue(wait_until(lambda: proc_comm(pid) == "sleep"))
        self.assertOwners(port, {pid})
        ok = wait_until(lambda: self.row(port)["command"] == "sleep")
        row = self.row(port)
        self.assertTrue(ok, row)
        self.assertEqual(row["pid"], pid)
        self.assertEqual(row["exe"], proc_exe(pid))

    def test_status_says_event_source(self):
        """status names where exec and exit are learnt from."""
        st = self.status()
        self.assertIn(st["process_events"], ("connector", "polling"))
        # The kernel counts fds in /proc/PID/fd's size from 6.2 on: the
        # same answer portd gives.
        self.assertEqual(st["fd_counts"], os.stat("/proc/self/fd").st_size > 0)
        for key in ("count_rescans", "process_events",
                    "process_events_lost"):
            self.assertIn(key, st["owner_cache"])


if __name__ == "__main__":
    unittest.main()
