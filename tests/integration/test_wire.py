"""test_wire.py - what portd and portctl write when a process or a client
chose the bytes: replies stay valid JSON and valid UTF-8 whatever the
request held; process names reach the table, `watch` and portd's log
escaped (a name cannot retitle the terminal or forge a log line);
portctl checks every number in a reply and decides an owner's reason by
its code (against a fake portd that sends what a real one never would).

Holders rename themselves (holder.py --name: prctl PR_SET_NAME) before
they bind, on loopback only. Output is read as bytes: a control byte
must not be hidden by a decoder.
"""
import json
import os
import re
import signal
import socket
import subprocess
import tempfile
import threading

from daemontest import DEADLINE, Conn, DaemonTestCase, hello_ok, make_tmpdir
from portdtest import PORTCTL, PORTD, PortdTestCase, wait_until

# The two names, and one that is not UTF-8 (bytes ff fe 'ab').
FORGE = "x\n<0>FORGED"
TITLE = "\x1b]0;PWNED\x07\x1b[8m"
NOT_UTF8 = "\udcff\udcfeab"
# How the table and the log show them (strvis) from the process's own
# bytes (portd's log, portctl --direct); through portd the wire carried
# U+FFFD for bytes that are not UTF-8, and that is shown.
SHOWN = {FORGE: b"x\\n<0>FORGED", TITLE: b"\\x1b]0;PWNED\\x07\\x1b[8m",
         NOT_UTF8: b"\\xff\\xfeab"}
SHOWN_WIRE = dict(SHOWN)
SHOWN_WIRE[NOT_UTF8] = "\ufffd\ufffdab".encode()

# Any control byte but the newline that ends a line.
CONTROL = re.compile(rb"[\x00-\x09\x0b-\x1f\x7f]")


def portctl_bytes(*args, timeout=30):
    """Runs portctl; (rc, stdout bytes, stderr bytes)."""
    env = dict(os.environ)
    env.pop("PORTD_SOCKET", None)
    p = subprocess.run([PORTCTL] + [str(a) for a in args],
                       stdin=subprocess.DEVNULL, capture_output=True,
                       env=env, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def assert_clean(test, data, what):
    """No control byte but newlines, and valid UTF-8."""
    m = CONTROL.search(data)
    test.assertIsNone(m, "%s: control byte %r in %r" % (
        what, m and m.group(), data))
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as e:
        test.fail("%s: not UTF-8 (%s): %r" % (what, e, data))


def valid_reply(test, line):
    """A reply line as bytes -> parsed, asserting valid UTF-8 and JSON."""
    test.assertIsNotNone(line, "no reply")
    try:
        return json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        test.fail("reply is not valid UTF-8 JSON (%s): %r" % (e, line))


class EvilNamesTest(DaemonTestCase):
    """Names any user can give a process, through portd and directly."""

    PER_TEST = True     # each test reads its own portd's whole log

    def check_table(self, out, shown, pid):
        assert_clean(self, out, "table")
        lines = out.splitlines()
        self.assertEqual(len(lines), 2, out)     # header + one row
        self.assertTrue(lines[1].endswith(b" " + shown), out)
        self.assertIn(b" %d " % pid, lines[1])

    def test_who_and_list_escape_names(self):
        for name in (FORGE, TITLE, NOT_UTF8):
            with self.subTest(name=name):
                h = self.holder("--name", name, "--tcp4", "127.0.0.1:0")
                spec = "%d/tcp" % h.port
                # portd sees the new listener within an interval or so.
                self.assertTrue(wait_until(lambda: portctl_bytes(
                    "-S", self.portd.path, "who", spec)[0] == 0, DEADLINE))
                for mode, shown in ((("-S", self.portd.path), SHOWN_WIRE),
                                    (("--direct",), SHOWN)):
                    rc, out, err = portctl_bytes(*mode, "who", spec)
                    self.assertEqual(rc, 0, err)
                    self.check_table(out, shown[name], h.pid)
                    rc, out, err = portctl_bytes(*mode, "list", "--tcp")
                    self.assertEqual(rc, 0, err)
                    assert_clean(self, out, "list")
                    self.assertEqual(len([ln for ln in out.splitlines()
                                          if b" %d " % h.pid in ln]), 1)
                    # JSON is exact: the name itself, or U+FFFD for the
                    # bytes that are not UTF-8.
                    rc, out, err = portctl_bytes(*mode, "--json", "who",
                                                 spec)
                    self.assertEqual(rc, 0, err)
                    row = valid_reply(self, out)["listeners"][0]
                    self.assertEqual(row["command"], name if name !=
                                     NOT_UTF8 else "\ufffd\ufffdab")
                h.kill()

    def test_watch_and_log_escape_names(self):
        watch = subprocess.Popen([PORTCTL, "-S", self.portd.path, "watch"],
                                 stdin=subprocess.DEVNULL,
                                 stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL)
        self.addCleanup(watch.stdout.close)
        self.addCleanup(watch.wait)
        self.addCleanup(watch.kill)
        lines = []
        reader = threading.Thread(target=lambda: lines.extend(
            iter(watch.stdout.readline, b"")), daemon=True)
        reader.start()
        # The watch is in place once portd counts a watcher.
        self.assertTrue(wait_until(
            lambda: self.portd.status()["watchers"] == 1, DEADLINE))
        held = [self.holder("--name", name, "--tcp4", "127.0.0.1:0")
                for name in (FORGE, TITLE, NOT_UTF8)]
        for h in held:
            self.assertTrue(wait_until(lambda: any(
                b" bind " in ln and b"pid %d " % h.pid in ln
                for ln in list(lines)), DEADLINE), lines)
        for h in held:
            h.kill()
        watch.kill()
        reader.join(DEADLINE)
        for ln in lines:
            assert_clean(self, ln.rstrip(b"\n"), "watch")
        for h, name in zip(held, (FORGE, TITLE, NOT_UTF8)):
            self.assertTrue(any(b"pid %d %s (" % (h.pid, SHOWN_WIRE[name])
                                in ln for ln in lines), lines)
        # portd's log: one bind line per holder, the name escaped in it.
        with open(self.portd.log_path, "rb") as f:
            log = f.read()
        for ln in log.splitlines():
            assert_clean(self, ln, "portd log")
            self.assertFalse(ln.startswith(b"<0>"), log)
            self.assertFalse(ln.startswith(b"FORGED"), log)
        for h, name in zip(held, (FORGE, TITLE, NOT_UTF8)):
            self.assertTrue(any(b"pid %d (%s)" % (h.pid, SHOWN[name]) in ln
                                for ln in log.splitlines()), log)


class JournalForgeryTest(PortdTestCase):
    """Under systemd every log line starts with its priority ("<6>"); a
    name with "\\n<0>" must not make a line of its own at priority 0."""

    def test_no_forged_priority(self):
        tmp = make_tmpdir()
        path = os.path.join(tmp, "portd.sock")
        log = tempfile.TemporaryFile()
        st = os.fstat(log.fileno())
        env = dict(os.environ, JOURNAL_STREAM="%d:%d" % (st.st_dev,
                                                         st.st_ino))
        portd = subprocess.Popen([PORTD, "-S", path, "-i", "100"],
                                 stdin=subprocess.DEVNULL,
                                 stdout=subprocess.DEVNULL, stderr=log,
                                 env=env)

        def stop():
            if portd.poll() is None:
                portd.send_signal(signal.SIGTERM)
                try:
                    portd.wait(DEADLINE)
                except subprocess.TimeoutExpired:
                    portd.kill()
                    portd.wait()
            log.close()
            for f in os.listdir(tmp):
                os.unlink(os.path.join(tmp, f))
            os.rmdir(tmp)
        self.addCleanup(stop)
        self.assertTrue(wait_until(lambda: portd.poll() is not None or
                                   hello_ok(path), DEADLINE))
        self.assertIsNone(portd.poll(), "portd did not start")
        h = self.holder("--name", FORGE, "--tcp4", "127.0.0.1:0")

        def text():
            log.seek(0)
            return log.read()
        self.assertTrue(wait_until(lambda: b"pid %d " % h.pid in text(),
                                   DEADLINE), text())
        lines = text().splitlines()
        self.assertTrue(lines)
        for ln in lines:
            self.assertRegex(ln, rb"^<[3-7]>", lines)   # no <0>: ours
            assert_clean(self, ln, "journal line")
        self.assertTrue(any(b"x\\n<0>FORGED" in ln for ln in lines), lines)


class RawRequestTest(DaemonTestCase):
    """Every reply is valid JSON and valid UTF-8, whatever the request
    held; the id comes back whole or not at all."""

    def exchange(self, data):
        with Conn(self.portd.path) as c:
            c.send(data + b"\n")
            return valid_reply(self, c.read_line())

    def test_request_not_utf8(self):
        for line in (b'{"id":"\xff","cmd":"hello"}',
                     b'{"id":1,"cmd":"hel\xc3"}',
                     b'{"id":2,"cmd":"who","ports":["\xed\xa0\x80"]}'):
            reply = self.exchange(line)
            self.assertEqual(reply["error"]["code"], "bad_json", reply)
            self.assertIsNone(reply["id"])
        self.assertTrue(self.portd.hello())

    def test_id_that_grows_when_escaped(self):
        # 47 characters are short enough, but as \u0001 each they make
        # 284 bytes: refused, not cut inside an escape.
        reply = self.exchange(json.dumps({"id": "\x01" * 47,
                                          "cmd": "hello"}).encode())
        self.assertEqual(reply["error"]["code"], "bad_request", reply)
        self.assertIn("escaped", reply["error"]["message"])
        self.assertIsNone(reply["id"])
        for ident in ("\x01\n\x1b", "caf\u00e9 \U0001f40d", "\\\"x"):
            reply = self.exchange(json.dumps({"id": ident,
                                              "cmd": "hello"}).encode())
            self.assertTrue(reply["ok"], reply)
            self.assertEqual(reply["id"], ident)

    def test_message_quoting_the_request(self):
        # "unknown key '%.40s'" cuts this key inside its last character.
        key = "k" * 39 + "\u00e9\u00e9"
        reply = self.exchange(json.dumps({"id": 3, "cmd": "hello",
                                          key: 1}).encode())
        self.assertEqual(reply["error"]["code"], "bad_request", reply)
        self.assertIn("k" * 39, reply["error"]["message"])
        reply = self.exchange(json.dumps({"id": 4, "cmd":
                                          "\u00e9\x1b]0;x\x07"}).encode())
        self.assertEqual(reply["error"]["code"], "unknown_command", reply)
        self.assertEqual(reply["id"], 4)
        # portctl shows such a message escaped.
        self.assertTrue(self.portd.hello())


class FakePortd:
    """A Unix socket that answers each connection's first line with the
    given reply line, as a portd that lies would. Only for portctl."""

    def __init__(self, reply):
        self.tmp = make_tmpdir()
        self.path = os.path.join(self.tmp, "fake.sock")
        self.reply = reply
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(self.path)
        self.sock.listen(4)
        self.sock.settimeout(DEADLINE)
        self.requests = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        try:
            conn, _ = self.sock.accept()
        except OSError:
            return
        with conn:
            conn.settimeout(DEADLINE)
            data = b""
            while b"\n" not in data:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                data += chunk
            self.requests.append(json.loads(data.split(b"\n")[0]))
            conn.sendall(self.reply + b"\n")

    def close(self):
        self.sock.close()
        self.thread.join(DEADLINE)
        os.unlink(self.path)
        os.rmdir(self.tmp)


ROW = ('{"proto":"tcp","family":"ipv4","address":"127.0.0.1","port":8080,'
       '"state":"LISTEN","v6only":false,"inode":7,%s}')
OWNED = '"pid":%s,"ppid":1,"command":"srv","user":"root","uid":%s,"exe":null'


class FakeDaemonTest(PortdTestCase):
    """portctl against replies no real portd sends: every number is
    checked (a protocol error, exit 2, one clear line), never cast."""

    def ask(self, reply, *args):
        fake = FakePortd(reply.encode())
        self.addCleanup(fake.close)
        return portctl_bytes("-S", fake.path, *args)

    def who_reply(self, row):
        return '{"id":1,"ok":true,"result":{"listeners":[%s]}}' % row

    def test_bad_numbers_in_rows(self):
        for pid, uid, want in (("-1", "0", b"pid: -1 is not"),
                               ("1.5", "0", b"pid: 1.5 is not"),
                               ("1e300", "0", b"pid: 1e+300 is not"),
                               ("2147483648", "0", b"pid: 2147483648 is not"),
                               ("\"12\"", "0", b"pid: not a number"),
                               ("12", "-1", b"uid: -1 is not"),
                               ("12", "4294967296", b"uid: 4294967296 is not"),
                               ("12", "0.5", b"uid: 0.5 is not")):
            with self.subTest(pid=pid, uid=uid):
                rc, out, err = self.ask(self.who_reply(
                    ROW % (OWNED % (pid, uid))), "who", "8080")
                self.assertEqual(rc, 2, (out, err))
                self.assertEqual(out, b"")
                self.assertTrue(err.startswith(
                    b"portctl: portd sent a malformed reply: "), err)
                self.assertIn(want, err)
                self.assertEqual(err.count(b"\n"), 1, err)
        # The same row with good numbers is printed.
        rc, out, err = self.ask(self.who_reply(ROW % (OWNED % ("12", "0"))),
                                "who", "8080")
        self.assertEqual(rc, 0, err)
        self.assertIn(b" 12 ", out)

    def test_bad_numbers_in_events(self):
        ok = '{"seq":%s,"time":"2026-11-23T16:00:00.000Z","event":"%s",%s' \
             '"listener":' + (ROW % '"pid":null,"reason_code":"no_process"') \
             + '}'
        for seq, kind, extra, want in (
                ("-1", "bind", "", b"seq: -1 is not"),
                ("0.5", "bind", "", b"seq: 0.5 is not"),
                ("1e300", "bind", "", b"seq: 1e+300 is not"),
                ("1", "respawn", '"parent_pid":-4,', b"parent_pid: -4 is not"),
                ("1", "respawn", '"parent_pid":3.5,',
                 b"parent_pid: 3.5 is not")):
            with self.subTest(seq=seq, extra=extra):
                reply = ('{"id":1,"ok":true,"result":{"events":[%s],'
                         '"first_seq":1,"last_seq":1,"truncated":false}}'
                         % (ok % (seq, kind, extra)))
                rc, out, err = self.ask(reply, "events")
                self.assertEqual(rc, 2, (out, err))
                self.assertIn(b"portd sent a malformed reply: "
                              b"malformed event: " + want, err)

    def test_bad_numbers_in_kill_results(self):
        for res, want in (('{"pid":-1,"outcome":"exited"}', b"pid: -1 is not"),
                          ('{"pid":7.5,"outcome":"exited"}', b"pid: 7.5 is"),
                          ('{"pid":7,"uid":-3,"outcome":"exited"}',
                           b"uid: -3 is not")):
            with self.subTest(res=res):
                reply = ('{"id":1,"ok":true,"result":{"listeners":[%s],'
                         '"results":[%s],"dry_run":false}}'
                         % (ROW % (OWNED % ("7", "0")), res))
                rc, out, err = self.ask(reply, "kill", "8080")
                self.assertEqual(rc, 2, (out, err))
                self.assertIn(b"portd sent a malformed reply: malformed "
                              b"kill result: " + want, err)

    def test_reason_by_code(self):
        # The sentence beside the code is not read: reworded, or even
        # saying something else, the code decides.
        for code, shown in (("permission_denied",
                             b"(owner not visible: permission denied)"),
                            ("no_process", b"(no process holds it)"),
                            ("unsupported",
                             b"(owner not reported by this system)"),
                            ("from_the_future", b"(owner not visible)")):
            with self.subTest(code=code):
                row = ROW % ('"pid":null,"reason":"no process holds it",'
                             '"reason_code":"%s","uid":null' % code)
                rc, out, err = self.ask(self.who_reply(row), "who", "8080")
                self.assertEqual(rc, 0, err)
                self.assertTrue(out.splitlines()[1].endswith(shown), out)

    def test_error_message_escaped(self):
        reply = ('{"id":1,"ok":false,"error":{"code":"bad_request",'
                 '"message":"unknown key \'\\u001b]0;PWNED\\u0007\'"}}')
        rc, out, err = self.ask(reply, "who", "8080")
        self.assertEqual(rc, 2)
        assert_clean(self, err, "stderr")
        self.assertIn(b"\\x1b]0;PWNED\\x07", err)
        # A failed reload lists one error per line: the lines stay, each
        # escaped.
        reply = ('{"id":1,"ok":false,"error":{"code":"reload_failed",'
                 '"message":"a.conf:1: \\u001b[8m\\nb.conf:2: \\r"}}')
        rc, out, err = self.ask(reply, "reload")
        self.assertEqual(rc, 2)
        assert_clean(self, err, "stderr")
        self.assertEqual(err.splitlines()[1:], [b"a.conf:1: \\x1b[8m",
                                                b"b.conf:2: \\r"], err)
