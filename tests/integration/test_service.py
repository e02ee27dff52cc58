"""test_service.py - portd as a systemd service, without systemd running.

  UnitFileTest        systemd-analyze verify on both units (their
                      Documentation= pages resolved against ours), the
                      settings the design depends on, and the unit's
                      capability bounding set tried for real with
                      setpriv(1): enough to see and signal another user's
                      process, and each capability it keeps needed
  NotifyTest          the sd_notify protocol: READY=1 only once the control
                      socket answers, STATUS=, RELOADING=1 then READY=1 on
                      SIGHUP (a broken file too), STOPPING=1 and exit 0 on
                      SIGTERM, WATCHDOG=1 honouring WATCHDOG_PID, abstract
                      sockets, a bad NOTIFY_SOCKET
  SocketActivationTest  LISTEN_FDS: the passed socket serves, is never
                      removed, and survives a restart; a socket meant for
                      another process or of the wrong kind
  InstallTest         make install / uninstall into a DESTDIR: the exact
                      file list, ExecStart=, the configuration kept
  ManPageTest         mandoc -Tlint; usage() against the SYNOPSIS; every
                      getopt long option documented

Waits poll with generous deadlines; nothing asserts on elapsed time.
"""
import os
import shutil
import signal
import socket
import stat
import subprocess
import time
import unittest

from portdtest import (BUILD, PORTCTL, PORTD, REPO, Holder, port_is_free,
                       portctl_json, run_portctl, wait_until)
from servicetest import (MAN_DIR, OUR_PAGES, NotifyReceiver, PortdProcess,
                         hello, is_set, longopts_in_source, make_tmpdir,
                         man_tree, option_aliases, options_in, render_man,
                         section, unit_settings, units_for_verify,
                         usage_text)

WATCHDOG_USEC = "200000"


def have(cmd):
    return shutil.which(cmd) is not None


class ServiceTestCase(unittest.TestCase):
    """A temp dir, an empty configuration (so /etc/portd/portd.conf on
    the test machine does not matter) and portds stopped in cleanup."""

    @classmethod
    def setUpClass(cls):
        if not os.path.exists(PORTD):
            raise unittest.SkipTest("%s is missing: run make" % PORTD)

    def setUp(self):
        self.tmp = make_tmpdir()
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.conf = os.path.join(self.tmp, "portd.conf")
        self.write_conf("{}\n")
        self.ctl = os.path.join(self.tmp, "portd.sock")

    def write_conf(self, text):
        with open(self.conf, "w") as f:
            f.write(text)

    def portd(self, *args, **kw):
        args = ("-c", self.conf, "-i", "100") + args
        p = PortdProcess(args, **kw)
        self.addCleanup(p.cleanup)
        return p

    def notify(self, **kw):
        r = NotifyReceiver(self.tmp, control=self.ctl, **kw)
        self.addCleanup(r.close)
        return r


# ---- (1) the unit files --------------------------------------------------

class UnitFileTest(ServiceTestCase):

    def test_systemd_analyze_verify(self):
        if not have("systemd-analyze"):
            self.fail("systemd-analyze is missing (make deps installs "
                      "systemd)")
        paths = units_for_verify(self.tmp)
        env = dict(os.environ, MANPATH=man_tree(self.tmp))
        p = subprocess.run(["systemd-analyze", "verify"] + paths, env=env,
                           capture_output=True, text=True, timeout=120)
        mine = [l for l in (p.stdout + p.stderr).splitlines()
                if "portd" in l]
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(mine, [])

    def test_service_settings(self):
        s = unit_settings("portd.service")

        def one(key):
            self.assertIn(("Service", key), s, key)
            return s[("Service", key)][-1]

        self.assertEqual(one("Type"), "notify")
        self.assertEqual(one("ExecStart"), "@SBINDIR@/portd")
        self.assertEqual(one("ExecReload"), "/bin/kill -HUP $MAINPID")
        self.assertEqual(one("RuntimeDirectory"), "portd")
        self.assertEqual(one("RuntimeDirectoryPreserve"), "yes")
        self.assertEqual(one("ReadWritePaths"), "/run/portd")
        self.assertEqual(one("ProtectSystem"), "strict")
        self.assertEqual(one("AmbientCapabilities"), "")
        self.assertEqual(set(one("RestrictAddressFamilies").split()),
                         {"AF_UNIX", "AF_NETLINK"})
        self.assertTrue(one("WatchdogSec"))
        # Each would hide the processes or sockets portd watches.
        for key in ("ProtectProc", "ProcSubset", "PrivateNetwork",
                    "PrivateUsers"):
            self.assertNotIn(("Service", key), s, key)

    def test_socket_matches_default_path(self):
        s = unit_settings("portd.socket")
        with open(os.path.join(REPO, "common", "proto.h")) as f:
            proto_h = f.read()
        self.assertIn('PROTO_DEFAULT_SOCKET\t"%s"'
                      % s[("Socket", "ListenStream")][0], proto_h)
        self.assertEqual(s[("Socket", "ListenStream")],
                         ["/run/portd/portd.sock"])
        self.assertEqual(s[("Socket", "SocketMode")], ["0666"])

    def test_capability_bounding_set(self):
        """portd with exactly the unit's capabilities sees and signals a
        process of another user; without CAP_DAC_READ_SEARCH or
        CAP_SYS_PTRACE the owner is not visible, without CAP_KILL it
        cannot be signalled: every capability kept is needed."""
        if os.geteuid() != 0 or not have("setpriv"):
            raise unittest.SkipTest("needs root and setpriv")
        caps = unit_settings("portd.service")[
            ("Service", "CapabilityBoundingSet")][-1].split()
        names = [c.lower().replace("cap_", "") for c in caps]
        self.assertTrue({"dac_read_search", "sys_ptrace",
                         "kill"} <= set(names), caps)

        def bounded(keep):
            return ["setpriv", "--bounding-set",
                    ",".join(["-all"] + ["+" + n for n in keep]),
                    "--inh-caps=-all", "--"]

        h = Holder("--tcp4", "127.0.0.1:0", as_user="nobody")
        self.addCleanup(h.kill)
        argv = bounded(names) + [PORTD, "-c", self.conf, "-i", "100",
                                 "-S", self.ctl]
        log = open(os.path.join(self.tmp, "log"), "w")
        self.addCleanup(log.close)
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log,
                             stderr=log)
        try:
            self.assertTrue(wait_until(lambda: p.poll() is None and
                                       hello(self.ctl, 5)))
            rc, data, err = portctl_json("-S", self.ctl, "who", h.port)
            self.assertEqual(rc, 0, err)
            rows = data["listeners"]
            self.assertEqual([r["pid"] for r in rows], [h.pid], rows)
            self.assertEqual(rows[0]["user"], "nobody")
            self.assertTrue(rows[0]["exe"], rows)
            # Each capability that makes owners visible, taken away.
            for cap in ("dac_read_search", "sys_ptrace"):
                keep = [n for n in names if n != cap]
                r = subprocess.run(
                    bounded(keep) + [PORTCTL, "--direct", "--json", "who",
                                     str(h.port)], capture_output=True,
                    text=True, timeout=60)
                self.assertIn('"pid":null', r.stdout.replace(" ", ""),
                              "without %s: %s" % (cap, r.stdout))
            # Without CAP_KILL the owner is seen but cannot be signalled.
            keep = [n for n in names if n != "kill"]
            r = subprocess.run(
                bounded(keep) + [PORTCTL, "--direct", "--json", "kill",
                                 "--no-escalate", "--timeout", "0",
                                 str(h.port)],
                capture_output=True, text=True, timeout=60)
            self.assertIn("permission denied", r.stdout)
            self.assertTrue(h.alive())
            # With the unit's set, portd frees the port.
            rc, data, err = portctl_json("-S", self.ctl, "kill",
                                         "--timeout", "60", h.port)
            self.assertEqual(rc, 0, (data, err))
            self.assertTrue(h.wait_dead())
        finally:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
            self.assertEqual(p.wait(timeout=60), 0)


# ---- (2) sd_notify -------------------------------------------------------

class NotifyTest(ServiceTestCase):

    def test_ready_status_reload_stop(self):
        n = self.notify()
        p = self.portd("-S", self.ctl, env={"NOTIFY_SOCKET": n.address})
        ready = n.wait_for(is_set("READY"))
        self.assertIsNotNone(ready, "no READY=1: %s" % p.log())
        msgs = n.messages()
        # When portd said READY=1 the socket was there and answered the
        # very first hello, sent the moment the message arrived.
        self.assertTrue(msgs[ready]["control_existed"])
        self.assertTrue(msgs[ready]["hello"], p.log())
        self.assertTrue(msgs[ready]["fields"].get("STATUS"), msgs[ready])
        self.assertIn("listeners", msgs[ready]["fields"]["STATUS"])

        # SIGHUP: RELOADING=1, then READY=1 again.
        start = len(n.messages())
        p.send_signal(signal.SIGHUP)
        rl = n.wait_for(is_set("RELOADING"), start)
        self.assertIsNotNone(rl, p.log())
        self.assertRegex(n.messages()[rl]["fields"].get(
            "MONOTONIC_USEC", ""), r"^\d+$")
        self.assertIsNotNone(n.wait_for(is_set("READY"), rl + 1), p.log())

        # A broken file: the reload fails, but systemd must still hear
        # READY=1 (or it stays "reloading"), and portd keeps running.
        self.write_conf("{ this is not json\n")
        start = len(n.messages())
        p.send_signal(signal.SIGHUP)
        rl = n.wait_for(is_set("RELOADING"), start)
        self.assertIsNotNone(rl, p.log())
        self.assertIsNotNone(n.wait_for(is_set("READY"), rl + 1), p.log())
        self.assertTrue(hello(self.ctl))

        # SIGTERM: STOPPING=1 and exit 0.
        start = len(n.messages())
        self.assertEqual(p.stop(), 0, p.log())
        self.assertIsNotNone(n.wait_for(is_set("STOPPING"), start))
        self.assertIsNone(n.find(is_set("READY"), start))

    def test_no_ready_before_the_socket(self):
        """READY=1 is the first message portd sends, and it came when the
        control socket existed."""
        n = self.notify()
        self.portd("-S", self.ctl, env={"NOTIFY_SOCKET": n.address})
        ready = n.wait_for(is_set("READY"))
        self.assertIsNotNone(ready)
        for m in n.messages()[:ready + 1]:
            if m["fields"].get("READY") == "1":
                self.assertTrue(m["control_existed"])
        self.assertEqual(ready, 0, n.messages())

    def test_abstract_notify_socket(self):
        n = self.notify(abstract=True)
        p = self.portd("-S", self.ctl, env={"NOTIFY_SOCKET": n.address})
        ready = n.wait_for(is_set("READY"))
        self.assertIsNotNone(ready, p.log())
        self.assertTrue(n.messages()[ready]["hello"])
        self.assertEqual(p.stop(), 0)
        self.assertIsNotNone(n.wait_for(is_set("STOPPING")))

    def test_bad_notify_socket(self):
        """A NOTIFY_SOCKET that is no address is reported, not fatal."""
        p = self.portd("-S", self.ctl,
                       env={"NOTIFY_SOCKET": "relative/notify.sock"})
        self.assertTrue(wait_until(lambda: hello(self.ctl, 5)), p.log())
        self.assertEqual(p.stop(), 0)
        self.assertIn("NOTIFY_SOCKET", p.log())

    def test_watchdog_without_pid(self):
        n = self.notify()
        p = self.portd("-S", self.ctl, env={"NOTIFY_SOCKET": n.address,
                                            "WATCHDOG_USEC": WATCHDOG_USEC})
        self.assertTrue(wait_until(lambda: n.count(is_set("WATCHDOG")) >= 3),
                        "WATCHDOG=1 not repeated: %s" % p.log())
        self.assertEqual(p.stop(), 0)

    def test_watchdog_pid_is_portd(self):
        n = self.notify()
        p = self.portd("-S", self.ctl, env={"NOTIFY_SOCKET": n.address,
                                            "WATCHDOG_USEC": WATCHDOG_USEC},
                       wrapper="WATCHDOG_PID=$$")
        self.assertTrue(wait_until(lambda: n.count(is_set("WATCHDOG")) >= 3),
                        "WATCHDOG=1 not repeated: %s" % p.log())
        self.assertEqual(p.stop(), 0)

    def test_watchdog_pid_of_another_process(self):
        """WATCHDOG_PID names someone else: the watchdog is not ours."""
        n = self.notify()
        p = self.portd("-S", self.ctl, env={"NOTIFY_SOCKET": n.address,
                                            "WATCHDOG_USEC": WATCHDOG_USEC,
                                            "WATCHDOG_PID": "1"})
        self.assertIsNotNone(n.wait_for(is_set("READY")), p.log())
        # Several watchdog periods (100 ms each) pass; none may ping.
        time.sleep(0.6)
        self.assertEqual(p.stop(), 0)
        self.assertIsNotNone(n.wait_for(is_set("STOPPING")))
        self.assertEqual(n.count(is_set("WATCHDOG")), 0, n.messages())


# ---- (3) socket activation -----------------------------------------------

class SocketActivationTest(ServiceTestCase):

    def listening_socket(self, name="activated.sock"):
        path = os.path.join(self.tmp, name)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(path)
        os.chmod(path, 0o666)
        s.listen(64)
        self.addCleanup(s.close)
        return s, path

    def activated(self, sock, **kw):
        return self.portd("-S", self.ctl, fd3=sock,
                          wrapper="LISTEN_PID=$$ LISTEN_FDS=1 "
                          "LISTEN_FDNAMES=portd.socket", **kw)

    def test_activated_socket_serves_and_stays(self):
        sock, path = self.listening_socket()
        p = self.activated(sock)
        self.assertTrue(wait_until(lambda: p.alive() and hello(path, 5)),
                        p.log())
        rc, out, err = run_portctl("-S", path, "status")
        self.assertEqual(rc, 0, err)
        rc, data, err = portctl_json("-S", path, "status")
        self.assertEqual(data["pid"], p.pid)
        # It did not bind a socket of its own.
        self.assertFalse(os.path.exists(self.ctl))
        self.assertIn("socket activation", p.log())
        self.assertEqual(p.stop(), 0, p.log())
        # portd did not make the socket file, so it must not remove it.
        self.assertTrue(os.path.exists(path))
        self.assertTrue(stat.S_ISSOCK(os.lstat(path).st_mode))
        # A restarted portd serves the same socket (what systemd does).
        p2 = self.activated(sock)
        self.assertTrue(wait_until(lambda: p2.alive() and hello(path, 5)),
                        p2.log())
        rc, data, err = portctl_json("-S", path, "status")
        self.assertEqual(data["pid"], p2.pid)
        self.assertEqual(p2.stop(), 0)
        self.assertTrue(os.path.exists(path))

    def test_notify_with_activation(self):
        sock, path = self.listening_socket()
        n = NotifyReceiver(self.tmp, control=path)
        self.addCleanup(n.close)
        p = self.activated(sock, env={"NOTIFY_SOCKET": n.address})
        ready = n.wait_for(is_set("READY"))
        self.assertIsNotNone(ready, p.log())
        self.assertTrue(n.messages()[ready]["hello"])
        self.assertEqual(p.stop(), 0)

    def test_listen_pid_of_another_process(self):
        """LISTEN_PID names someone else: portd binds its own socket."""
        sock, path = self.listening_socket()
        p = self.portd("-S", self.ctl, fd3=sock,
                       env={"LISTEN_PID": "1", "LISTEN_FDS": "1"})
        self.assertTrue(wait_until(lambda: p.alive() and hello(self.ctl, 5)),
                        p.log())
        self.assertNotIn("socket activation", p.log())
        self.assertEqual(p.stop(), 0)
        self.assertFalse(os.path.exists(self.ctl))

    def refused(self, sock, words):
        p = self.activated(sock)
        rc = p.wait()
        self.assertEqual(rc, 1, p.log())
        for w in words:
            self.assertIn(w, p.log())

    def test_datagram_socket_refused(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.addCleanup(s.close)
        self.refused(s, ["socket activation", "fd 3",
                         "not a Unix stream socket"])

    def test_socket_not_listening_refused(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(os.path.join(self.tmp, "idle.sock"))
        self.addCleanup(s.close)
        self.refused(s, ["socket activation", "not listening"])

    def test_tcp_socket_refused(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        self.addCleanup(s.close)
        self.refused(s, ["socket activation", "not a Unix stream socket"])


# ---- (4) make install / uninstall ----------------------------------------

class InstallTest(unittest.TestCase):

    EXPECTED_USR = {
        "usr/sbin/portd": 0o755,
        "usr/bin/portctl": 0o755,
        "usr/share/man/man1/portctl.1": 0o644,
        "usr/share/man/man5/portd.conf.5": 0o644,
        "usr/share/man/man8/portd.8": 0o644,
        "usr/lib/systemd/system/portd.service": 0o644,
        "usr/lib/systemd/system/portd.socket": 0o644,
        "etc/portd/portd.conf": 0o644,
    }
    CONF = "etc/portd/portd.conf"

    def setUp(self):
        self.dest = make_tmpdir("portd-dest-")
        self.addCleanup(shutil.rmtree, self.dest, True)

    def make(self, *args):
        p = subprocess.run(["make", "--no-print-directory", "-C", REPO,
                            "BUILD=" + BUILD, "DESTDIR=" + self.dest] +
                           list(args), capture_output=True, text=True,
                           timeout=600)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        return p.stdout

    def files(self):
        found = {}
        for root, dirs, names in os.walk(self.dest):
            for n in names:
                full = os.path.join(root, n)
                found[os.path.relpath(full, self.dest)] = stat.S_IMODE(
                    os.lstat(full).st_mode)
        return found

    def read(self, rel):
        with open(os.path.join(self.dest, rel)) as f:
            return f.read()

    def test_install_reinstall_uninstall(self):
        self.make("install", "PREFIX=/usr")
        self.assertEqual(self.files(), self.EXPECTED_USR)
        unit = self.read("usr/lib/systemd/system/portd.service")
        self.assertIn("\nExecStart=/usr/sbin/portd\n", unit)
        self.assertNotIn("@SBINDIR@", unit)
        with open(os.path.join(REPO, "conf", "portd.conf")) as f:
            self.assertEqual(self.read(self.CONF), f.read())

        # An edited configuration survives a second install.
        mine = "// edited by the admin\n{}\n"
        with open(os.path.join(self.dest, self.CONF), "w") as f:
            f.write(mine)
        self.make("install", "PREFIX=/usr")
        self.assertEqual(self.read(self.CONF), mine)
        self.assertEqual(set(self.files()), set(self.EXPECTED_USR))

        # Uninstall removes everything but the configuration.
        self.make("uninstall", "PREFIX=/usr")
        self.assertEqual(set(self.files()), {self.CONF})
        self.assertEqual(self.read(self.CONF), mine)

    def test_default_prefix(self):
        self.make("install")
        expected = {k.replace("usr/", "usr/local/", 1)
                    if k.startswith("usr/") else k
                    for k in self.EXPECTED_USR}
        self.assertEqual(set(self.files()), expected)
        self.assertIn("\nExecStart=/usr/local/sbin/portd\n", self.read(
            "usr/local/lib/systemd/system/portd.service"))
        self.make("uninstall")
        self.assertEqual(set(self.files()), {self.CONF})


# ---- (5) and (6) manual pages --------------------------------------------

class ManPageTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        if not have("mandoc"):
            raise unittest.SkipTest("mandoc is missing (make deps)")

    def pages(self):
        return sorted(p for p in os.listdir(MAN_DIR)
                      if p[-2:] in (".1", ".5", ".8"))

    def test_pages_present(self):
        self.assertEqual(self.pages(), sorted(OUR_PAGES))

    def test_mandoc_lint(self):
        """mandoc -Tlint: no warning or error at all; of the style
        messages, only those about manuals not installed on this machine
        (ours before make install, or libsystemd's), which say nothing
        about the page."""
        for page in self.pages():
            path = os.path.join(MAN_DIR, page)
            p = subprocess.run(["mandoc", "-Tlint", "-Wwarning", path],
                               capture_output=True, text=True)
            self.assertEqual((p.returncode, p.stdout + p.stderr), (0, ""),
                             page)
            p = subprocess.run(["mandoc", "-Tlint", path],
                               capture_output=True, text=True)
            for line in (p.stdout + p.stderr).splitlines():
                if "outdated mandoc.db" in line:
                    continue
                self.assertIn("referenced manual not found", line, page)

    def check_usage(self, binary, page, source):
        rendered = render_man(page)
        aliases = option_aliases(rendered)
        synopsis = options_in(section(rendered, "SYNOPSIS"), aliases)
        rc, usage = usage_text(binary)
        self.assertEqual(rc, 0)
        in_usage = options_in(usage, aliases)
        self.assertEqual(in_usage - synopsis, set(),
                         "in usage() but not in the SYNOPSIS of %s" % page)
        self.assertEqual(synopsis - in_usage, set(),
                         "in the SYNOPSIS of %s but not in usage()" % page)
        # Every option getopt accepts is described in the page.
        documented = options_in(section(rendered, "DESCRIPTION"), aliases)
        for opt in longopts_in_source(os.path.join(REPO, source)):
            self.assertIn(aliases.get(opt, opt), documented,
                          "%s: %s is not described" % (page, opt))

    def test_portd_usage_matches_synopsis(self):
        self.check_usage(PORTD, "portd.8", "daemon/main.c")

    def test_portctl_usage_matches_synopsis(self):
        self.check_usage(PORTCTL, "portctl.1", "client/main.c")


if __name__ == "__main__":
    unittest.main()
