"""test_daemon.py - the real portd and the real portctl together: watch,
who and kill through the daemon, access rules, events, signals, the
socket file's life and portctl's fallback when no daemon answers.

Each class starts its own portd (tests/integration/daemontest.py) on a
socket in a temp dir with -i 100, or one per test where the test stops
or replaces it. Holders bind loopback addresses only. Waits poll with
generous deadlines; nothing asserts on elapsed time.
"""
import json
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
import unittest

from daemontest import (DEADLINE, RFC3339_MS, Conn, DaemonTestCase,
                        LineCollector, Portd, make_tmpdir, time_ms)
from portdtest import (PORTCTL, PORTD, PortdTestCase, port_is_free,
                       proc_comm, run_portctl, wait_until)

# Kills expected to succeed on SIGTERM: the reply comes as soon as the
# port is released, so a long timeout costs nothing and keeps a loaded
# machine from turning a slow exit into an escalation.
PATIENT = ("--timeout", "60")
NOBODY_UID = 65534

ROW_KEYS = ("pid", "port", "proto", "family", "address", "inode",
            "command", "user", "exe")


def tcp(port):
    """The PORTSPEC for a kill: only TCP, as our holders' sockets are, so
    that a UDP socket of another process on the same number is never hit."""
    return "%d/tcp" % port


def row_key(row):
    return tuple(row.get(k) for k in ROW_KEYS)


class WatchWhoEventsTest(DaemonTestCase):
    # Every process on the machine makes events; a deep history keeps
    # ours in it however busy the machine is.
    PORTD_ARGS = ("--history", "100000")

    def start_watch(self, *args):
        """`portctl watch --json ARGS` running; returns (proc, lines)."""
        err = tempfile.TemporaryFile()
        self.addCleanup(err.close)
        proc = subprocess.Popen([PORTCTL, "--json", "-S", self.portd.path,
                                 "watch"] + [str(a) for a in args],
                                stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=err)

        def stop():
            if proc.poll() is None:
                proc.terminate()
            proc.wait(timeout=DEADLINE)
            proc.stdout.close()
        self.addCleanup(stop)
        return proc, LineCollector(proc.stdout)

    def test_watch_json_shows_bind_and_unbind(self):
        started = time_ms(self.status()["started"])
        watchers = self.status()["watchers"]
        proc, lines = self.start_watch()
        self.assertTrue(wait_until(
            lambda: self.status()["watchers"] == watchers + 1, DEADLINE),
            "portctl watch never subscribed")
        h = self.holder("--tcp4", "127.0.0.1:0")
        comm = proc_comm(h.pid)

        def ours(kind):
            return lambda e: (isinstance(e, dict) and e.get("event") == kind
                              and e["listener"]["port"] == h.port)
        bind = lines.wait_for(ours("bind"))
        self.assertIsNotNone(bind, "no bind event; got %s"
                             % lines.snapshot())
        h.kill()
        unbind = lines.wait_for(ours("unbind"))
        self.assertIsNotNone(unbind, "no unbind event; got %s"
                             % lines.snapshot())
        self.assertIsNone(proc.poll(), "portctl watch ended")
        now = time.time() * 1000

        for ev in (bind, unbind):
            row = ev["listener"]
            self.assertEqual(row["pid"], h.pid, ev)
            self.assertEqual(row["command"], comm, ev)
            self.assertEqual(row["port"], h.port, ev)
            self.assertEqual(row["proto"], "tcp", ev)
            self.assertEqual(row["family"], "ipv4", ev)
            self.assertEqual(row["address"], "127.0.0.1", ev)
            self.assertEqual(row["inode"], h.sockets[0]["inode"], ev)
            self.assertRegex(ev["time"], RFC3339_MS)
            # UTC, and between the daemon's start and now (1 s for the
            # rounding of both clocks): the clock and zone, not speed.
            self.assertGreaterEqual(time_ms(ev["time"]), started - 1000, ev)
            self.assertLessEqual(time_ms(ev["time"]), now + 1000, ev)
        self.assertLess(bind["seq"], unbind["seq"])
        self.assertLessEqual(time_ms(bind["time"]), time_ms(unbind["time"]))
        events = [e for e in lines.snapshot() if isinstance(e, dict)]
        seqs = [e["seq"] for e in events]
        self.assertEqual(seqs, sorted(set(seqs)), "seq not increasing")

    def test_watch_filters_by_port(self):
        other = self.holder("--tcp4", "127.0.0.1:0")
        h = self.holder("--udp4", "127.0.0.1:0")
        # Both binds are old news before the watch starts.
        self.assertTrue(wait_until(lambda: len(self.portd.request(
            {"cmd": "who", "ports": [str(other.port), str(h.port)]})[
                "result"]["listeners"]) == 2, DEADLINE))
        watchers = self.status()["watchers"]
        proc, lines = self.start_watch(h.port)
        self.assertTrue(wait_until(
            lambda: self.status()["watchers"] == watchers + 1, DEADLINE))
        other.kill()
        h.kill()
        self.assertIsNotNone(lines.wait_for(
            lambda e: e.get("event") == "unbind"), lines.snapshot())
        # The other port's unbind happened first: a port filter lets
        # only h's through.
        self.assertEqual([(e["event"], e["listener"]["port"])
                          for e in lines.snapshot()],
                         [("unbind", h.port)])

    def test_who_is_answered_by_the_daemon(self):
        h = self.holder("--tcp4", "127.0.0.1:0", "--udp4", "127.0.0.1:same",
                        "--tcp6", "[::1]:same")
        # The daemon learns of the holder on its next snapshot.
        self.assertTrue(wait_until(lambda: len(self.portd.request(
            {"cmd": "who", "ports": [str(h.port)]})["result"]["listeners"])
            == 3, DEADLINE), "portd never saw the holder's sockets")
        before = self.status()["requests"]
        rc, data, err = self.portctl_json("who", h.port)
        after = self.status()["requests"]
        self.assertEqual(rc, 0, err)
        self.assertEqual(err, "", "portctl fell back or complained")
        # Our status request and portctl's who.
        self.assertGreaterEqual(after - before, 2, "who did not reach portd")
        rows = data["listeners"]
        for r in rows:
            self.assertEqual(r["pid"], h.pid, r)
        rc, direct, err = self.portctl_json("--direct", "who", h.port)
        self.assertEqual(rc, 0, err)
        self.assertEqual(sorted(map(row_key, rows)),
                         sorted(map(row_key, direct["listeners"])))
        self.assertEqual(sorted((r["proto"], r["family"], r["address"])
                                for r in rows),
                         [("tcp", "ipv4", "127.0.0.1"),
                          ("tcp", "ipv6", "::1"),
                          ("udp", "ipv4", "127.0.0.1")])

    def test_portd_socket_from_the_environment(self):
        h = self.holder("--tcp4", "127.0.0.1:0")
        before = self.status()["requests"]
        # who answers from the daemon's map: wait for its next snapshot.
        self.assertTrue(wait_until(lambda: run_portctl(
            "--daemon", "--json", "who", h.port,
            env={"PORTD_SOCKET": self.portd.path})[0] == 0, DEADLINE))
        rc, out, err = run_portctl("--daemon", "--json", "who", h.port,
                                   env={"PORTD_SOCKET": self.portd.path})
        self.assertEqual((rc, err), (0, ""))
        self.assertEqual([r["pid"] for r in json.loads(out)["listeners"]],
                         [h.pid])
        self.assertGreaterEqual(self.status()["requests"] - before, 2)

    def events(self, *args):
        rc, data, err = self.portctl_json("events", *args)
        self.assertEqual(rc, 0, err)
        return data

    def wait_event(self, kind, port, since=0):
        """Waits until the history holds kind for port; returns it."""
        def find():
            for e in self.portd.request({"cmd": "events", "since": since})[
                    "result"]["events"]:
                if e["event"] == kind and e["listener"]["port"] == port:
                    return e
            return None
        ev = wait_until(find, DEADLINE)
        self.assertIsNotNone(ev, "no %s event for port %d" % (kind, port))
        return ev

    def test_events_since(self):
        h1 = self.holder("--tcp4", "127.0.0.1:0")
        first = self.wait_event("bind", h1.port)
        mark = self.status()["last_seq"]
        self.assertGreaterEqual(mark, first["seq"])
        h2 = self.holder("--tcp4", "127.0.0.1:0")
        second = self.wait_event("bind", h2.port, since=mark)

        later = self.events("--since", mark)
        seqs = [e["seq"] for e in later["events"]]
        self.assertTrue(seqs, later)
        self.assertTrue(all(s > mark for s in seqs), later)
        self.assertEqual(seqs, sorted(seqs))
        self.assertIn(second["seq"], seqs)
        self.assertNotIn(first["seq"], seqs)
        self.assertGreaterEqual(later["last_seq"], second["seq"])
        self.assertIs(later["truncated"], False)
        # Without --since the history has both.
        every = [e["seq"] for e in self.events()["events"]]
        self.assertIn(first["seq"], every)
        self.assertIn(second["seq"], every)
        # The table form, for h2's port: its bind, one line.
        rc, out, err = self.portctl("events", "--since", mark, h2.port)
        self.assertEqual(rc, 0, err)
        lines = out.splitlines()
        self.assertEqual(len(lines), 1, out)
        self.assertIn(" bind ", lines[0])
        self.assertIn("127.0.0.1:%d pid %d" % (h2.port, h2.pid), lines[0])
        # ... and for h1's port, nothing after the mark.
        rc, out, err = self.portctl("events", "--since", mark, h1.port)
        self.assertEqual((rc, out), (0, ""), err)


class KillThroughDaemonTest(DaemonTestCase):

    def kill(self, *args, portd=None, **kw):
        """`portctl --daemon kill ARGS --json` -> (rc, {pid: result})."""
        sock = (portd or self.portd).path
        rc, data, err = run_portctl("--daemon", "--json", "-S", sock,
                                    "kill", *args, **kw)
        self.assertTrue(data.strip(), "no output; rc %d, stderr %r"
                        % (rc, err))
        data = json.loads(data)
        self.err, self.data = err, data
        # With nothing listening there, only the listeners are printed.
        return rc, {r["pid"]: r for r in data.get("results", [])}

    def test_exits_on_term(self):
        h = self.holder("--tcp4", "127.0.0.1:0")
        rc, results = self.kill(tcp(h.port), *PATIENT)
        self.assertEqual(rc, 0, self.err)
        self.assertEqual(list(results), [h.pid])
        self.assertEqual(results[h.pid]["outcome"], "exited")
        self.assertEqual(results[h.pid]["signal"], "SIGTERM")
        self.assertEqual([r["pid"] for r in self.data["listeners"]],
                         [h.pid])
        self.assertTrue(h.wait_dead())
        self.assertEqual(h.proc.returncode, -signal.SIGTERM)
        self.assertTrue(port_is_free(h.port))
        self.assertRegex(self.portd.log(), r"kill by uid 0 pid \d+: port %d "
                         r"pid %d \(.*\) user root: exited after SIGTERM"
                         % (h.port, h.pid))

    def test_ignores_term_is_killed(self):
        h = self.holder("--tcp4", "127.0.0.1:0", "--ignore-term")
        rc, results = self.kill(tcp(h.port), "--timeout", "0.5")
        self.assertEqual(rc, 0, self.err)
        self.assertEqual(results[h.pid]["outcome"], "killed", results)
        self.assertTrue(h.wait_dead())
        self.assertEqual(h.proc.returncode, -signal.SIGKILL)
        self.assertTrue(port_is_free(h.port))

    def test_dry_run(self):
        h = self.holder("--tcp4", "127.0.0.1:0")
        rc, results = self.kill(tcp(h.port), "--dry-run")
        self.assertEqual(rc, 0, self.err)
        self.assertEqual(results[h.pid]["outcome"], "dry run", results)
        self.assertIsNone(results[h.pid]["signal"])
        self.assertIs(self.data["dry_run"], True)
        self.assertTrue(h.alive())
        self.assertFalse(port_is_free(h.port))

    def test_nothing_listens(self):
        # A dry run: should another process take the freed port by now,
        # it is not signalled.
        h = self.holder("--tcp4", "127.0.0.1:0")
        port = h.port
        h.kill()
        rc, results = self.kill(tcp(port), "--dry-run")
        self.assertEqual(rc, 1, self.err)
        self.assertEqual(results, {})
        self.assertEqual(self.data["listeners"], [])

    def test_listener_bound_just_before(self):
        # No wait between the bind and the request: portd resolves the
        # owners afresh instead of trusting its last snapshot.
        h = self.holder("--tcp4", "127.0.0.1:0")
        rc, results = self.kill(tcp(h.port), *PATIENT)
        self.assertEqual(rc, 0, self.err)
        self.assertEqual(results[h.pid]["outcome"], "exited", results)
        self.assertTrue(h.wait_dead())

    def test_listener_bound_after_the_last_snapshot(self):
        # A daemon that never snapshots again after its first one: only
        # a fresh resolution can find the holder.
        slow = self.new_portd(interval=3600000)
        h = self.holder("--tcp4", "127.0.0.1:0")
        rc, out, err = run_portctl("--daemon", "-S", slow.path, "who",
                                   h.port)
        self.assertEqual(rc, 1, "precondition: the daemon's map should "
                         "not know the holder yet: %s %s" % (out, err))
        rc, results = self.kill(tcp(h.port), *PATIENT, portd=slow)
        self.assertEqual(rc, 0, self.err)
        self.assertEqual(results[h.pid]["outcome"], "exited", results)
        self.assertTrue(h.wait_dead())
        self.assertTrue(port_is_free(h.port))


class AccessTest(DaemonTestCase):
    """kill for everyone, on the caller's own processes; reload for
    root. portctl runs as nobody through setpriv(1)."""

    def nobody_kill(self, port, *args):
        rc, out, err = run_portctl("--daemon", "--json", "-S",
                                   self.portd.path, "kill", port, *args,
                                   as_user="nobody")
        self.assertTrue(out.strip(), "no output; rc %d, stderr %r"
                        % (rc, err))
        return rc, json.loads(out), err

    def test_nobody_may_not_kill_root(self):
        h = self.holder("--tcp4", "127.0.0.1:0")
        denials = self.status()["denials"]
        rc, data, err = self.nobody_kill(tcp(h.port), *PATIENT)
        self.assertEqual(rc, 2, err)
        results = {r["pid"]: r for r in data["results"]}
        self.assertEqual(list(results), [h.pid])
        self.assertEqual(results[h.pid]["outcome"], "permission denied")
        self.assertIsNone(results[h.pid]["signal"])
        self.assertTrue(h.alive())
        self.assertFalse(port_is_free(h.port))
        self.assertEqual(self.status()["denials"], denials + 1)
        pattern = (r"denied kill of pid %d \(.*\) to uid %d pid \d+"
                   % (h.pid, NOBODY_UID))
        self.assertTrue(wait_until(
            lambda: re.search(pattern, self.portd.log()), DEADLINE),
            self.portd.log())

    def test_nobody_kills_its_own(self):
        h = self.holder("--tcp4", "127.0.0.1:0", as_user="nobody")
        rc, data, err = self.nobody_kill(tcp(h.port), *PATIENT)
        self.assertEqual(rc, 0, err)
        results = {r["pid"]: r for r in data["results"]}
        self.assertEqual(results[h.pid]["outcome"], "exited", results)
        self.assertEqual(results[h.pid]["user"], "nobody")
        self.assertTrue(h.wait_dead())
        self.assertTrue(port_is_free(h.port))

    def test_nobody_may_query(self):
        h = self.holder("--tcp4", "127.0.0.1:0")
        rc, out, err = run_portctl("--daemon", "-S", self.portd.path,
                                   "status", as_user="nobody")
        self.assertEqual(rc, 0, err)
        self.assertIn("requests", out)
        self.assertTrue(wait_until(lambda: run_portctl(
            "--daemon", "-S", self.portd.path, "who", h.port,
            as_user="nobody")[0] == 0, DEADLINE))

    def test_reload_is_for_root(self):
        reloads = self.status()["reloads"]
        rc, out, err = run_portctl("-S", self.portd.path, "reload",
                                   as_user="nobody")
        self.assertEqual(rc, 2, out)
        self.assertIn("root only", err)
        self.assertEqual(self.status()["reloads"], reloads)
        self.assertTrue(wait_until(lambda: re.search(
            r"denied reload to uid %d" % NOBODY_UID, self.portd.log()),
            DEADLINE), self.portd.log())
        rc, out, err = self.portctl("reload")
        self.assertEqual(rc, 0, err)
        self.assertEqual(self.status()["reloads"], reloads + 1)


class SignalTest(DaemonTestCase):
    PER_TEST = True

    def test_sighup_reloads_and_keeps_running(self):
        self.portd.send_signal(signal.SIGHUP)
        self.assertTrue(wait_until(lambda: "SIGHUP: reloading" in
                                   self.portd.log(), DEADLINE),
                        self.portd.log())
        self.assertRegex(self.portd.log(), r"(?m)^portd: reload")
        self.assertTrue(self.portd.hello())
        self.assertEqual(self.status()["reloads"], 1)
        rc, out, err = self.portctl("--daemon", "status")
        self.assertEqual(rc, 0, err)

    def stops_cleanly(self, sig, name):
        watcher = Conn(self.portd.path)
        self.addCleanup(watcher.close)
        self.assertTrue(watcher.request({"cmd": "watch"})["ok"])
        idle = Conn(self.portd.path)
        self.addCleanup(idle.close)
        watch = subprocess.Popen([PORTCTL, "-S", self.portd.path, "watch"],
                                 stdin=subprocess.DEVNULL,
                                 stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE, text=True)

        def reap():
            if watch.poll() is None:
                watch.kill()
            watch.communicate(timeout=DEADLINE)
        self.addCleanup(reap)
        self.assertTrue(wait_until(lambda: self.status()["watchers"] == 2,
                                   DEADLINE))
        self.assertTrue(os.path.exists(self.portd.path))
        self.stopped_on_purpose = True
        rc = self.portd.stop(sig)
        self.assertEqual(rc, 0, self.portd.log())
        self.assertFalse(os.path.exists(self.portd.path),
                         "socket file left behind")
        self.assertIn("%s: stopping" % name, self.portd.log())
        # The watcher may still get events (of any process on this
        # machine) first, then EOF.
        for line in watcher.read_to_eof():
            self.assertIn("event", json.loads(line))
        self.assertIsNone(idle.read_line(), "client not disconnected")
        # portctl watch notices and fails.
        try:
            _, err = watch.communicate(timeout=DEADLINE)
        except subprocess.TimeoutExpired:
            self.fail("portctl watch kept running after portd stopped")
        self.assertEqual(watch.returncode, 2, err)
        self.assertIn("closed the connection", err)
        rc, out, err = self.portctl("--daemon", "status")
        self.assertEqual(rc, 2, out)

    def test_sigterm_exits_zero_and_removes_socket(self):
        self.stops_cleanly(signal.SIGTERM, "SIGTERM")

    def test_sigint_exits_zero_and_removes_socket(self):
        self.stops_cleanly(signal.SIGINT, "SIGINT")


class SocketFileTest(PortdTestCase):
    """What portd does with the path it is to listen on."""

    def setUp(self):
        super().setUp()
        self.dir = make_tmpdir()
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.path = os.path.join(self.dir, "portd.sock")

    def start(self, args=(), **kw):
        p = Portd(*args, path=kw.pop("path", self.path), **kw)
        self.addCleanup(p.cleanup)
        return p

    def refused(self, **kw):
        """Starts a portd that must refuse; returns its log."""
        p = self.start(wait=False, **kw)
        rc = p.wait_exit()
        self.assertIsNotNone(rc, "portd did not refuse to start: %s"
                             % p.log())
        self.assertNotEqual(rc, 0, p.log())
        return p.log()

    def test_second_portd_refuses(self):
        first = self.start()
        log = self.refused()
        self.assertIn("already running", log)
        # Fatal: an error (journalctl -p err shows it), not a warning.
        self.assertRegex(log, r"(?m)^portd: error: another portd is "
                         r"already running")
        self.assertTrue(first.hello(), "the first portd stopped answering")
        self.assertTrue(stat.S_ISSOCK(os.lstat(self.path).st_mode))
        rc, out, err = run_portctl("--daemon", "-S", self.path, "status")
        self.assertEqual(rc, 0, err)
        self.assertIn("pid %s" % first.pid, " ".join(out.split()))

    def test_stale_socket_is_removed(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(self.path)
        s.close()
        self.assertTrue(stat.S_ISSOCK(os.lstat(self.path).st_mode))
        p = self.start()
        self.assertTrue(p.hello())
        self.assertIn("removing stale socket", p.log())

    def test_regular_file_is_left_alone(self):
        with open(self.path, "w") as f:
            f.write("precious\n")
        log = self.refused()
        self.assertIn("not a socket", log)
        self.assertTrue(stat.S_ISREG(os.lstat(self.path).st_mode))
        with open(self.path) as f:
            self.assertEqual(f.read(), "precious\n")

    def test_path_too_long(self):
        path = os.path.join(self.dir, "s" * (120 - len(self.dir) - 1))
        self.assertEqual(len(path), 120)
        log = self.refused(path=path)
        self.assertIn("too long", log)
        self.assertRegex(log, r"(?m)^portd: error: socket path too long")
        self.assertFalse(os.path.exists(path))

    def test_config_errors_are_errors(self):
        conf = os.path.join(self.dir, "bad.conf")
        with open(conf, "w") as f:
            f.write('{ "interval_ms": 5, "nope": 1 }\n')
        log = self.refused(args=("-c", conf))
        lines = [l for l in log.splitlines() if conf in l or
                 "not starting" in l]
        self.assertEqual(len(lines), 3, log)
        for line in lines:
            self.assertTrue(line.startswith("portd: error: "), log)
        self.assertNotIn("warning", log)

    def test_longest_path_that_fits(self):
        # sun_path holds 107 bytes and the NUL: 107 works.
        path = os.path.join(self.dir, "s" * (107 - len(self.dir) - 1))
        self.assertEqual(len(path), 107)
        p = self.start(path=path)
        rc, out, err = run_portctl("--daemon", "-S", path, "status")
        self.assertEqual(rc, 0, err)
        log = self.refused(path=path + "x")
        self.assertIn("too long", log)
        self.assertTrue(p.hello())


class FallbackTest(PortdTestCase):
    """No daemon on the socket: portctl answers itself, saying so once;
    what needs the daemon fails."""

    def setUp(self):
        super().setUp()
        self.dir = make_tmpdir()
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.path = os.path.join(self.dir, "portd.sock")

    def check_fallback(self, rc, out, err, h):
        self.assertEqual(rc, 0, err)
        lines = err.splitlines()
        self.assertEqual(len(lines), 1, err)
        self.assertIn("answering directly", lines[0])
        rows = json.loads(out)["listeners"]
        self.assertEqual([r["pid"] for r in rows], [h.pid])

    def test_who_falls_back(self):
        h = self.holder("--tcp4", "127.0.0.1:0")
        self.check_fallback(*run_portctl("--json", "-S", self.path, "who",
                                         h.port), h)
        self.check_fallback(*run_portctl("--json", "who", h.port,
                                         env={"PORTD_SOCKET": self.path}), h)

    def test_who_falls_back_from_a_stale_socket(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(self.path)
        s.close()
        h = self.holder("--tcp4", "127.0.0.1:0")
        self.check_fallback(*run_portctl("--json", "-S", self.path, "who",
                                         h.port), h)

    def test_daemon_required(self):
        h = self.holder("--tcp4", "127.0.0.1:0")
        rc, out, err = run_portctl("--daemon", "-S", self.path, "who",
                                   h.port)
        self.assertEqual(rc, 2, out)
        self.assertEqual(out, "")
        self.assertNotIn("answering directly", err)
        for cmd in ("status", "events", "reload"):
            rc, out, err = run_portctl("-S", self.path, cmd)
            self.assertEqual(rc, 2, "%s: %s" % (cmd, out))
            self.assertEqual(out, "")
        self.assertTrue(h.alive())


class CommandLineTest(unittest.TestCase):

    def portd(self, *args):
        # A socket in a temp dir, so a portd that wrongly starts does not
        # touch /run; the timeout stops it (subprocess kills its child).
        d = make_tmpdir()
        self.addCleanup(shutil.rmtree, d, True)
        try:
            p = subprocess.run([PORTD, "-S", os.path.join(d, "s")] +
                               list(args), stdin=subprocess.DEVNULL,
                               capture_output=True, text=True, timeout=10)
        except subprocess.TimeoutExpired:
            self.fail("portd %s kept running" % (args,))
        return p.returncode, p.stdout, p.stderr

    def test_version(self):
        for opt in ("--version", "-V"):
            rc, out, err = self.portd(opt)
            self.assertEqual(rc, 0, err)
            self.assertRegex(out, r"^portd \d+\.\d+\.\d+\n$")

    def test_help(self):
        for opt in ("--help", "-h"):
            rc, out, err = self.portd(opt)
            self.assertEqual(rc, 0, err)
            self.assertTrue(out.startswith("usage: portd"), out)
            for word in ("--max-clients", "--watch-buffer", "--no-netlink"):
                self.assertIn(word, out)

    def test_bad_interval(self):
        for args in (("-i", "50"), ("--interval", "abc"),
                     ("--interval=50",), ("-i", "-100"), ("-i", "")):
            rc, out, err = self.portd(*args)
            self.assertEqual(rc, 2, "%s: %s" % (args, err))
            self.assertIn("interval", err)
            self.assertIn("expected a number", err)

    def test_unknown_option(self):
        rc, out, err = self.portd("--no-such-option")
        self.assertEqual(rc, 2)
        self.assertIn("usage", err)


class ReloadSocketPathTest(unittest.TestCase):
    """socket.path from the file (the installed example sets it): the
    path in force once pointed into the configuration a reload frees."""

    def write_config(self, path, sock):
        with open(path, "w") as f:
            json.dump({"interval_ms": 100, "socket": {"path": sock}}, f)

    def test_reload_with_socket_path_in_the_file(self):
        d = make_tmpdir()
        self.addCleanup(shutil.rmtree, d, True)
        conf = os.path.join(d, "portd.conf")
        sock = os.path.join(d, "portd.sock")
        self.write_config(conf, sock)
        p = Portd("-c", conf, tmpdir=d, socket_arg=False)
        self.addCleanup(p.cleanup)
        for i in range(3):
            rc, out, err = run_portctl("-S", sock, "reload")
            self.assertEqual(rc, 0, err + p.log())
        self.assertTrue(p.hello(), p.log())
        self.assertEqual(p.status()["reloads"], 3)
        self.assertNotIn("socket.path changes", p.log())
        # A path that does change is said once, and the socket stays.
        self.write_config(conf, os.path.join(d, "other.sock"))
        rc, out, err = run_portctl("-S", sock, "reload")
        self.assertEqual(rc, 0, err + p.log())
        self.assertEqual(p.log().count("socket.path changes"), 1, p.log())
        self.assertTrue(p.hello(), p.log())
        self.assertFalse(os.path.exists(os.path.join(d, "other.sock")))
        log = p.log()
        self.assertEqual(p.cleanup(), 0, log)
        self.assertFalse(os.path.exists(sock), "socket file left behind")


class LongIntervalTest(unittest.TestCase):
    """An interval above 10 s (the range goes to 3,600,000 ms): the
    status line's "every 10 s" once divided by zero at the first tick."""

    def test_interval_above_ten_seconds_ticks(self):
        p = Portd(interval=10001)
        self.addCleanup(p.cleanup)
        start = p.status()["snapshots"]
        self.assertEqual(p.status()["interval_ms"], 10001)
        # The first tick comes one interval after the start.
        self.assertTrue(wait_until(lambda: not p.alive() or
                                   p.status()["snapshots"] > start,
                                   10.001 + DEADLINE), p.log())
        self.assertTrue(p.hello(), "portd died at its first tick: %s"
                        % p.log())
        self.assertGreater(p.status()["snapshots"], start)
        log = p.log()
        self.assertEqual(p.cleanup(), 0, log)


if __name__ == "__main__":
    unittest.main()


class JournalPrefixTest(unittest.TestCase):
    """Under systemd (JOURNAL_STREAM naming stderr) every log line starts
    with its syslog priority, so journalctl -p works; a stderr that is not
    that stream (redirected elsewhere) gets plain lines."""

    def run_portd(self, journal_matches):
        tmp = make_tmpdir()
        self.addCleanup(shutil.rmtree, tmp, True)
        log_path = os.path.join(tmp, "log")
        sock = os.path.join(tmp, "portd.sock")
        with open(log_path, "w") as log:
            st = os.fstat(log.fileno())
            ino = st.st_ino if journal_matches else st.st_ino + 1
            env = dict(os.environ, JOURNAL_STREAM="%d:%d" % (st.st_dev, ino))
            p = subprocess.Popen([PORTD, "-S", sock, "-i", "100"],
                                 stdin=subprocess.DEVNULL, stdout=log,
                                 stderr=log, env=env)
        try:
            self.assertTrue(wait_until(lambda: os.path.exists(sock),
                                       DEADLINE))
            # A warning: a request from nobody that is denied.
            rc, _, _ = run_portctl("-S", sock, "reload", as_user="nobody")
            self.assertEqual(rc, 2)
        finally:
            p.send_signal(signal.SIGTERM)
            self.assertEqual(p.wait(timeout=DEADLINE), 0)
        with open(log_path) as f:
            return f.read().splitlines()

    def test_priority_prefixes(self):
        lines = self.run_portd(True)
        self.assertTrue(lines)
        for line in lines:
            self.assertRegex(line, r"^<[3-7]>", lines)
        self.assertTrue(any(l.startswith("<5>") and "started" in l
                            for l in lines), lines)
        self.assertTrue(any(l.startswith("<4>") and "denied reload" in l
                            for l in lines), lines)

    def test_redirected_stderr_has_no_prefixes(self):
        lines = self.run_portd(False)
        self.assertTrue(lines)
        for line in lines:
            self.assertTrue(line.startswith("portd: "), lines)
