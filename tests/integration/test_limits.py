"""test_limits.py - what one local user can make portd hold or do is
bounded (the control socket is 0666): backpressure on clients that never
read, the per-uid connection cap with slots kept for root, the idle
timeout, the kill-job limits, the kill rate limit (and the bounded log
lines and events of a flood of denied kills), the socket directory's
checks, and a leading empty line.

Connections of another user are made by tests/helpers/rawclient.py run
as nobody (setpriv), so that SO_PEERCRED names nobody. Each class starts
its own portd; waits poll with generous deadlines and nothing asserts on
elapsed time.
"""
import ctypes
import json
import os
import shutil
import socket
import struct
import subprocess
import tempfile
import unittest

from daemontest import (DEADLINE, Conn, DaemonTestCase, LineCollector,
                        Portd, make_tmpdir)
from portdtest import (REPO, SYSTEM_PYTHON, _for_others, _setpriv,
                       run_portctl, unused_port, wait_until)

RAWCLIENT = os.path.join(REPO, "tests", "helpers", "rawclient.py")
MIB = 1024 * 1024


def error_code(reply):
    if not isinstance(reply, dict) or reply.get("ok") is not False:
        return None
    return reply["error"]["code"]


def rss_bytes(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS for pid %d" % pid)


def need_root(test):
    return unittest.skipUnless(os.geteuid() == 0, "needs root (setpriv "
                               "to nobody, chown)")(test)


class Nobody:
    """rawclient.py as nobody: N connections, each sending requests.
    .lines collects what it prints; close() ends it (and its
    connections)."""

    def __init__(self, path, n, *requests):
        argv = (_setpriv("nobody") +
                [SYSTEM_PYTHON, _for_others(RAWCLIENT), path, str(n)] +
                [json.dumps(r) for r in requests])
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE)
        self.lines = LineCollector(self.proc.stdout)
        if not self.lines.wait_for(lambda l: l.get("ready")):
            self.close()
            raise AssertionError("rawclient never got ready: %r"
                                 % self.lines.snapshot())

    def replies(self, conn=None):
        return [l for l in self.lines.snapshot() if "reply" in l and
                (conn is None or l["conn"] == conn)]

    def close(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.wait(timeout=DEADLINE)
        self.lines.join()
        self.proc.stdout.close()


class BackpressureTest(DaemonTestCase):
    """A client that pipelines requests and never reads stops being read:
    its writes block, portd's memory stays bounded, and another client is
    still answered."""

    PORTD_ARGS = ("--history", "1024")
    LIMIT = 16 * MIB    # sent without blocking: far above portd's marks

    def flood(self, request):
        """Pipelines request without reading until a send blocks for a
        whole second (or LIMIT bytes went); returns the bytes sent."""
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.addCleanup(s.close)
        s.connect(self.portd.path)
        line = json.dumps(request).encode() + b"\n"
        chunk = line * (65536 // len(line))
        sent = 0
        s.settimeout(1.0)
        while sent < self.LIMIT:
            try:
                sent += s.send(chunk)
            except socket.timeout:
                return s, sent
        return s, sent

    def still_blocked(self, s):
        """A send still blocks after a while: portd is not reading."""
        s.settimeout(2.0)
        try:
            while True:
                s.send(b"\n" * 65536)
        except socket.timeout:
            return True
        return False

    def check_attack(self, request):
        before = self.status()["snapshots"]
        rss_before = rss_bytes(self.portd.pid)
        s, sent = self.flood(request)
        self.assertLess(sent, self.LIMIT, "portd kept reading a client "
                        "that never reads (%d bytes)" % sent)
        self.assertTrue(self.still_blocked(s))
        # Generous: under ASan freed memory stays in its quarantine, so
        # the churn of a few thousand replies shows. What LIMIT bytes of
        # requests would queue is several hundred MiB.
        self.assertLess(rss_bytes(self.portd.pid) - rss_before, 128 * MIB)
        # The loop goes on: snapshots and other clients.
        self.assertTrue(wait_until(lambda: self.status()["snapshots"] >
                                   before + 2, DEADLINE))
        st = self.status()
        self.assertGreaterEqual(st["clients"], 2)
        s.close()

    def test_status_never_read(self):
        self.check_attack({"v": 1, "id": 1, "cmd": "status"})

    def test_list_never_read(self):
        self.check_attack({"v": 1, "id": 1, "cmd": "list"})

    def test_events_never_read(self):
        # Events first, so that every reply carries some.
        before = self.status()["events"]
        holders = [self.holder("--tcp4", "127.0.0.1:0") for _ in range(3)]
        self.assertTrue(wait_until(lambda: self.status()["events"] >=
                                   before + 3, DEADLINE))
        for h in holders:
            h.kill()
        self.check_attack({"v": 1, "id": 1, "cmd": "events"})

    def test_pipelined_requests_are_all_answered_in_order(self):
        # Backpressure delays requests; it never drops one.
        n = 3000
        with Conn(self.portd.path) as c:
            c.send(b"".join(json.dumps({"id": i, "cmd": "status"})
                            .encode() + b"\n" for i in range(n)))
            for i in range(n):
                reply = c.read_json()
                self.assertTrue(reply and reply["ok"], reply)
                self.assertEqual(reply["id"], i)

    def test_half_closed_client_gets_every_reply(self):
        n = 500
        with Conn(self.portd.path) as c:
            c.send(b"".join(json.dumps({"id": i, "cmd": "status"})
                            .encode() + b"\n" for i in range(n)))
            c.sock.shutdown(socket.SHUT_WR)
            lines = c.read_to_eof()
        self.assertEqual([json.loads(l)["id"] for l in lines],
                         list(range(n)))


class LeadingEmptyLineTest(DaemonTestCase):

    def test_leading_empty_lines_are_skipped(self):
        with Conn(self.portd.path) as c:
            c.send(b"\n")
            c.send(b"\r\n\n" + json.dumps({"id": 7, "cmd": "hello"})
                   .encode() + b"\n")
            reply = c.read_json()
        self.assertTrue(reply["ok"], reply)
        self.assertEqual(reply["id"], 7)
        self.assertTrue(self.portd.hello())


@need_root
class PerUidCapTest(DaemonTestCase):
    PORTD_ARGS = ("--max-clients", "40", "--max-clients-per-uid", "3")
    PER_TEST = True

    def test_fourth_connection_of_nobody_is_refused(self):
        hello = {"v": 1, "id": "h", "cmd": "hello"}
        nb = Nobody(self.portd.path, 4, hello)
        self.addCleanup(nb.close)
        self.assertTrue(wait_until(lambda: len(nb.replies()) >= 4,
                                   DEADLINE), nb.lines.snapshot())
        by_conn = {l["conn"]: l["reply"] for l in nb.replies()}
        self.assertEqual([c for c in range(3) if by_conn[c]["ok"]],
                         [0, 1, 2], by_conn)
        self.assertEqual(error_code(by_conn[3]), "too_many_clients",
                         by_conn)
        self.assertTrue(nb.lines.wait_for(lambda l: l.get("conn") == 3 and
                                          l.get("eof")), "not closed")
        # Root is another user: it still gets in.
        self.assertTrue(self.portd.request(hello)["ok"])
        self.assertIn("refused", self.portd.log())

    def test_portctl_says_refused_and_answers_directly(self):
        h = self.holder("--tcp4", "127.0.0.1:0")
        nb = Nobody(self.portd.path, 3, {"cmd": "hello"})
        self.addCleanup(nb.close)
        self.assertTrue(wait_until(lambda: len(nb.replies()) >= 3,
                                   DEADLINE))
        rc, out, err = run_portctl("-S", self.portd.path, "who", h.port,
                                   as_user="nobody")
        self.assertIn("portd refused the connection: too many clients",
                      err)
        self.assertIn("answering directly", err)
        self.assertEqual(rc, 0, (out, err))
        self.assertIn(str(h.port), out)
        # A command without a direct form says so and fails.
        rc, out, err = run_portctl("-S", self.portd.path, "status",
                                   as_user="nobody")
        self.assertEqual(rc, 2)
        self.assertIn("portd refused the connection: too many clients",
                      err)
        # --daemon: no fallback.
        rc, out, err = run_portctl("-S", self.portd.path, "--daemon",
                                   "who", h.port, as_user="nobody")
        self.assertEqual(rc, 2)
        self.assertIn("portd refused the connection: too many clients",
                      err)
        self.assertNotIn("answering directly", err)


@need_root
class RootSlotsTest(DaemonTestCase):
    # 10 in all, 5 kept for root (at most half of them, up to 8).
    PORTD_ARGS = ("--max-clients", "10", "--max-clients-per-uid", "100")

    def test_users_leave_slots_for_root(self):
        nb = Nobody(self.portd.path, 6, {"cmd": "hello"})
        self.addCleanup(nb.close)
        self.assertTrue(wait_until(lambda: len(nb.replies()) >= 6,
                                   DEADLINE), nb.lines.snapshot())
        codes = sorted(str(error_code(l["reply"])) for l in nb.replies())
        self.assertEqual(codes, ["None"] * 5 + ["too_many_clients"])
        conns = [Conn(self.portd.path) for _ in range(4)]
        self.addCleanup(lambda: [c.close() for c in conns])
        for c in conns:
            self.assertTrue(c.request({"cmd": "hello"})["ok"])


class IdleTimeoutTest(DaemonTestCase):
    PORTD_ARGS = ("--idle-timeout", "300")

    def test_idle_client_is_closed_watcher_is_not(self):
        watcher = Conn(self.portd.path)
        self.addCleanup(watcher.close)
        self.assertTrue(watcher.request({"id": "w", "cmd": "watch"})["ok"])
        idle = Conn(self.portd.path)
        self.addCleanup(idle.close)
        self.assertTrue(idle.request({"id": 1, "cmd": "hello"})["ok"])
        # Silent since: closed, with one line that says why.
        lines = idle.read_to_eof()
        self.assertEqual(len(lines), 1, lines)
        self.assertEqual(error_code(json.loads(lines[0])), "idle_timeout")
        # The watcher was silent longer, and is still served.
        self.assertFalse(watcher.eof)
        reply = watcher.request({"id": "h", "cmd": "hello"})
        self.assertTrue(reply and reply["ok"], reply)

    def test_a_client_that_keeps_talking_stays(self):
        with Conn(self.portd.path) as c:
            for i in range(20):
                reply = c.request({"id": i, "cmd": "hello"})
                self.assertTrue(reply and reply["ok"], (i, reply))


@need_root
class KillJobLimitTest(DaemonTestCase):
    PORTD_ARGS = ("--max-kill-jobs", "2", "--max-kill-timeout", "1000")
    PER_TEST = True

    def kill_request(self, port, ident):
        return {"v": 1, "id": ident, "cmd": "kill",
                "ports": ["%d/tcp" % port], "signal": "TERM",
                "timeout_ms": 3600000}

    def test_third_kill_of_a_user_is_busy_root_is_not(self):
        h = self.holder("--tcp4", "127.0.0.1:0", "--ignore-term",
                        as_user="nobody")
        # Two jobs hold (the holder ignores SIGTERM); the third is busy.
        nb = Nobody(self.portd.path, 1,
                    *[self.kill_request(h.port, i) for i in range(3)])
        self.addCleanup(nb.close)
        busy = nb.lines.wait_for(lambda l: "reply" in l)
        self.assertIsNotNone(busy)
        self.assertEqual(busy["reply"]["id"], 2, busy)
        self.assertEqual(error_code(busy["reply"]), "busy", busy)
        # The two others end at the 1 s cap, not after an hour.
        self.assertTrue(wait_until(lambda: len(nb.replies()) == 3,
                                   DEADLINE), nb.lines.snapshot())
        for l in nb.replies():
            if l["reply"]["id"] != 2:
                self.assertTrue(l["reply"]["ok"], l)
        self.assertTrue(h.alive())
        # Root is not limited: its kill goes through (and ends it).
        reply = self.portd.request({"v": 1, "id": "root", "cmd": "kill",
                                    "ports": ["%d/tcp" % h.port],
                                    "timeout_ms": 5000})
        self.assertTrue(reply["ok"], reply)
        self.assertTrue(h.wait_dead())


class KillRateTest(DaemonTestCase):
    """Kill requests of a user are rate-limited however they end (denied,
    nothing to do): past the burst they are busy, root's are not, and
    the log and the history do not grow with the flood."""
    PER_TEST = True
    CONNS, EACH = 4, 10         # 40 requests, pipelined
    BURST = 8                   # KILL_RATE_BURST (daemon/killjob.h)
    IDLE_EVENTS = 8             # KILL_IDLE_EVENTS (daemon/cmds.c)

    def flood(self, port):
        req = [{"v": 1, "id": i, "cmd": "kill", "ports": ["%d/tcp" % port],
                "timeout_ms": 100} for i in range(self.EACH)]
        nb = Nobody(self.portd.path, self.CONNS, *req)
        self.addCleanup(nb.close)
        total = self.CONNS * self.EACH
        self.assertTrue(wait_until(lambda: len(nb.replies()) == total,
                                   DEADLINE), nb.lines.snapshot())
        # While the flood is answered, root's status still is.
        self.assertIn("sockets", self.status())
        replies = [l["reply"] for l in nb.replies()]
        busy = [r for r in replies if error_code(r) == "busy"]
        done = [r for r in replies if r.get("ok")]
        self.assertEqual(len(busy) + len(done), total, replies)
        # The burst is granted at once; then the bucket runs dry (40
        # requests would have to take 16 s for it not to).
        self.assertGreaterEqual(len(done), self.BURST, replies)
        self.assertTrue(busy, replies)
        for r in busy:
            self.assertIn("too many kill requests", r["error"]["message"])
        return done

    def test_denied_kills_are_limited_root_is_not(self):
        h = self.holder("--tcp4", "127.0.0.1:0")
        events = self.status()["events"]
        done = self.flood(h.port)
        for r in done:
            (res,) = r["result"]["results"]
            self.assertEqual(res["outcome"], "permission denied", r)
        self.assertTrue(h.alive())
        log = self.portd.log()
        # One line per 10 s of each kind (a window may end meanwhile),
        # not one per request or per target.
        self.assertLessEqual(log.count("denied kill of pid %d" % h.pid), 2,
                             log)
        self.assertLessEqual(log.count("kill by uid"), 2 * (1 +
                             self.IDLE_EVENTS), log)
        self.assertLessEqual(log.count("kill refused to"), 2, log)
        self.assertLessEqual(self.status()["events"] - events,
                             2 * self.IDLE_EVENTS)
        # Root is never limited: its kill goes through and ends it.
        reply = self.portd.request({"v": 1, "id": "root", "cmd": "kill",
                                    "ports": ["%d/tcp" % h.port],
                                    "timeout_ms": 5000})
        self.assertTrue(reply["ok"], reply)
        self.assertTrue(h.wait_dead())

    def test_kills_of_an_unused_port_are_limited(self):
        port = unused_port()
        for r in self.flood(port):
            self.assertEqual(r["result"]["results"], [], r)


def _inotify_events(fd):
    """(mask, name) pairs read from an inotify descriptor."""
    events = []
    data = os.read(fd, 65536)
    off = 0
    while off < len(data):
        _, mask, _, length = struct.unpack_from("iIII", data, off)
        name = data[off + 16:off + 16 + length].rstrip(b"\0").decode()
        events.append((mask, name))
        off += 16 + length
    return events


class SocketDirectoryTest(unittest.TestCase):

    def tmpdir(self, mode):
        d = make_tmpdir("portd-dir-")
        self.addCleanup(shutil.rmtree, d, True)
        os.chmod(d, mode)
        return d

    def refused(self, d):
        p = Portd(path=os.path.join(d, "portd.sock"), wait=False)
        self.addCleanup(p.cleanup)
        rc = p.wait_exit()
        self.assertIsNotNone(rc, "portd started in %s" % d)
        self.assertNotEqual(rc, 0)
        self.assertFalse(os.path.exists(os.path.join(d, "portd.sock")))
        return p.log()

    def test_world_writable_directory_is_refused(self):
        log = self.refused(self.tmpdir(0o777))
        self.assertIn("writable by others", log)
        self.assertEqual(log.count("refusing"), 1, log)

    def test_sticky_world_writable_directory_is_refused(self):
        log = self.refused(self.tmpdir(0o1777))
        self.assertIn("writable by others", log)

    def test_group_writable_directory_is_refused(self):
        log = self.refused(self.tmpdir(0o775))
        self.assertIn("writable by its group", log)

    @need_root
    def test_directory_of_another_user_is_refused(self):
        d = self.tmpdir(0o755)
        nobody = int(subprocess.check_output(["id", "-u", "nobody"]))
        os.chown(d, nobody, -1)
        log = self.refused(d)
        self.assertIn("owned by uid %d" % nobody, log)

    def test_symlink_as_directory_is_refused(self):
        d = self.tmpdir(0o755)
        os.mkdir(os.path.join(d, "real"), 0o755)
        os.symlink("real", os.path.join(d, "link"))
        log = self.refused(os.path.join(d, "link"))
        self.assertIn("symbolic link", log)

    def test_mode_is_set_at_bind(self):
        """The socket is created 0666 and never chmod'ed: inotify sees
        its creation and no change of its attributes."""
        d = self.tmpdir(0o755)
        libc = ctypes.CDLL(None, use_errno=True)
        IN_CREATE, IN_ATTRIB, IN_NONBLOCK = 0x100, 0x004, 0o4000
        fd = libc.inotify_init1(IN_NONBLOCK)
        self.assertGreaterEqual(fd, 0)
        self.addCleanup(os.close, fd)
        self.assertGreaterEqual(libc.inotify_add_watch(
            fd, d.encode(), IN_CREATE | IN_ATTRIB), 0)
        p = Portd(path=os.path.join(d, "portd.sock"))
        self.addCleanup(p.cleanup)
        st = os.stat(p.path)
        self.assertEqual(st.st_mode & 0o7777, 0o666)
        events = [e for e in _inotify_events(fd) if e[1] == "portd.sock"]
        self.assertIn(IN_CREATE, [m & IN_CREATE for m, _ in events])
        self.assertEqual([m for m, _ in events if m & IN_ATTRIB], [],
                         "the socket's attributes changed after bind")


if __name__ == "__main__":
    unittest.main()
