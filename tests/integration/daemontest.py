"""daemontest.py - helpers for the tests that run the real portd.

Built on portdtest.py (holders, run_portctl, wait_until ...); this module
adds what only the daemon tests need:

  Portd(*args, ...)          build/portd started on a socket in a fresh
                             temp dir with -i 100; waits until the socket
                             answers a hello; its stderr goes to a file
                             (.log()); .stop(sig) sends SIGTERM (or sig)
                             to it alone and returns its exit status
  Conn(path)                 one raw AF_UNIX connection to the control
                             socket: .send(obj or bytes), .read_line(),
                             .read_json(), .request(obj), .read_to_eof()
  request(path, obj)         one request on a fresh connection -> reply
  LineCollector(fileobj)     a thread that reads lines into a list, with
                             .wait_for(pred) polling it
  DaemonTestCase             PortdTestCase with a portd per class
                             (PORTD_ARGS); portctl talks to it through -S
  RFC3339_MS, time_ms()      the protocol's time format

Only processes this test process started are ever signalled, by their
Popen object; waits poll with generous deadlines.
"""
import atexit
import calendar
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

from portdtest import PORTD, WAIT_TIMEOUT, PortdTestCase, wait_until

# Intervals and deadlines: the daemon ticks every 100 ms; every wait
# polls for up to this long and asserts nothing about elapsed time.
INTERVAL_MS = 100
DEADLINE = 10.0

RFC3339_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def time_ms(text):
    """An RFC 3339 UTC time with milliseconds -> ms since the epoch."""
    if not RFC3339_MS.match(text or ""):
        raise ValueError("not an RFC 3339 UTC ms time: %r" % (text,))
    base, ms = text[:-1].split(".")
    t = time.strptime(base, "%Y-%m-%dT%H:%M:%S")
    return calendar.timegm(t) * 1000 + int(ms)


def make_tmpdir(prefix="portd-"):
    """A fresh directory that other users (nobody) can traverse, so a
    portctl run as nobody reaches the socket inside it."""
    d = tempfile.mkdtemp(prefix=prefix)
    os.chmod(d, 0o755)
    return d


# ---- raw connections ----------------------------------------------------

class Conn:
    """One raw connection to portd's control socket.

    Reads block for at most `timeout` seconds (socket.timeout then):
    that only keeps a broken daemon from hanging the suite.
    """

    def __init__(self, path, timeout=DEADLINE):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        try:
            self.sock.connect(path)
        except BaseException:
            self.sock.close()
            raise
        self._buf = b""
        self.eof = False

    def send(self, data):
        """Sends bytes as they are, or a dict as one JSON line."""
        if isinstance(data, dict):
            data = json.dumps(data).encode() + b"\n"
        self.sock.sendall(data)

    def read_line(self):
        """The next line (bytes, without the newline) or None at EOF.
        A connection reset counts as EOF: the daemon closed a socket we
        had written unread data to, and Linux reports that as a reset."""
        while b"\n" not in self._buf:
            if self.eof:
                return None
            try:
                chunk = self.sock.recv(65536)
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                self.eof = True
                if self._buf:
                    line, self._buf = self._buf, b""
                    return line
                return None
            self._buf += chunk
        line, _, self._buf = self._buf.partition(b"\n")
        return line

    def read_json(self):
        """The next line parsed, or None at EOF."""
        line = self.read_line()
        return None if line is None else json.loads(line)

    def request(self, obj):
        """Sends obj and returns the next reply (parsed)."""
        self.send(obj)
        return self.read_json()

    def read_to_eof(self):
        """Every remaining line (bytes) until the daemon closes."""
        lines = []
        while True:
            line = self.read_line()
            if line is None:
                return lines
            lines.append(line)

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def request(path, obj, timeout=DEADLINE):
    """One request on a fresh connection; returns the parsed reply."""
    with Conn(path, timeout) as c:
        return c.request(obj)


def hello_ok(path):
    """True if portd answers a hello on path right now."""
    try:
        reply = request(path, {"v": 1, "id": "ready", "cmd": "hello"},
                        timeout=5)
    except (OSError, ValueError):
        return False
    return bool(reply and reply.get("ok") and
                reply["result"].get("daemon") == "portd")


# ---- collecting lines from a stream -------------------------------------

class LineCollector:
    """Reads lines from a binary file object in a thread into .lines
    (parsed as JSON when they are, raw bytes otherwise) until EOF."""

    def __init__(self, fileobj, parse=True):
        self._f = fileobj
        self._parse = parse
        self.lines = []
        self.done = False
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        try:
            for raw in self._f:
                item = raw.rstrip(b"\n")
                if self._parse:
                    try:
                        item = json.loads(item)
                    except ValueError:
                        pass
                with self._lock:
                    self.lines.append(item)
        except (OSError, ValueError):
            pass
        finally:
            self.done = True

    def snapshot(self):
        with self._lock:
            return list(self.lines)

    def wait_for(self, pred, timeout=DEADLINE):
        """The first line pred accepts, waiting for it; None on timeout."""
        def find():
            for item in self.snapshot():
                if pred(item):
                    return item
            return None
        return wait_until(find, timeout)

    def join(self, timeout=DEADLINE):
        self._thread.join(timeout)


# ---- the daemon ---------------------------------------------------------

class PortdError(Exception):
    pass


_live_portds = []


class Portd:
    """A running build/portd on its own socket.

    Portd("--max-clients", "5") starts `portd -S DIR/portd.sock -i 100
    --max-clients 5` in a fresh temp dir (readable by nobody) and waits
    until the socket answers a hello. path= or tmpdir= choose the socket;
    interval=None leaves -i out. wait=False returns at once (for a portd
    that is expected to refuse to start: .wait_exit()). socket_arg=False
    leaves -S out (a config file then names path).
    """

    def __init__(self, *args, interval=INTERVAL_MS, path=None, tmpdir=None,
                 wait=True, timeout=DEADLINE, socket_arg=True):
        self.own_tmpdir = tmpdir is None and path is None
        self.tmpdir = tmpdir or (os.path.dirname(path) if path else
                                 make_tmpdir())
        self.path = path or os.path.join(self.tmpdir, "portd.sock")
        argv = [PORTD] + (["-S", self.path] if socket_arg else [])
        if interval is not None:
            argv += ["-i", str(interval)]
        argv += [str(a) for a in args]
        self.argv = argv
        fd, self.log_path = tempfile.mkstemp(prefix="portd-log-",
                                             suffix=".txt")
        self._log = os.fdopen(fd, "w")
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                     stdout=self._log, stderr=self._log)
        self.pid = self.proc.pid
        _live_portds.append(self)
        if wait:
            try:
                self.wait_ready(timeout)
            except BaseException:
                self.cleanup()      # the error carries the log
                raise

    def wait_ready(self, timeout=DEADLINE):
        ok = wait_until(lambda: self.proc.poll() is not None or
                        hello_ok(self.path), timeout)
        if self.proc.poll() is not None or not ok:
            rc = self.proc.poll()
            if rc is None:
                self.stop(signal.SIGKILL)
            raise PortdError("portd %s did not start (exit %s): %s"
                             % (self.argv, rc, self.log()))

    def alive(self):
        return self.proc.poll() is None

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def request(self, obj):
        return request(self.path, obj)

    def hello(self):
        """True if the daemon still runs and answers a hello."""
        return self.alive() and hello_ok(self.path)

    def status(self):
        reply = self.request({"v": 1, "id": "st", "cmd": "status"})
        if not reply or not reply.get("ok"):
            raise PortdError("status failed: %r" % (reply,))
        return reply["result"]

    def send_signal(self, sig):
        """Signals our portd (the Popen child), if it still runs."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)

    def wait_exit(self, timeout=WAIT_TIMEOUT):
        """The exit status once it exits, None if it still runs."""
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, sig=signal.SIGTERM, timeout=WAIT_TIMEOUT):
        """Sends sig (if it still runs) and returns the exit status; a
        portd that ignores it is SIGKILLed and PortdError raised."""
        self.send_signal(sig)
        rc = self.wait_exit(timeout)
        if rc is None:
            self.proc.kill()
            self.proc.wait(timeout=timeout)
            raise PortdError("portd did not exit on signal %d: %s"
                             % (sig, self.log()))
        return rc

    def cleanup(self):
        """Stops it (if needed) and removes its files; returns the exit
        status."""
        try:
            return self.stop() if self.alive() else self.proc.returncode
        finally:
            if not self._log.closed:
                self._log.close()
            if self in _live_portds:
                _live_portds.remove(self)
            if self.own_tmpdir:
                shutil.rmtree(self.tmpdir, ignore_errors=True)
            try:
                os.unlink(self.log_path)
            except FileNotFoundError:
                pass


@atexit.register
def _stop_leftover_portds():
    """Safety net: stop daemons a crashed test did not clean up."""
    for p in list(_live_portds):
        try:
            if p.alive():
                p.proc.kill()
                p.proc.wait(timeout=WAIT_TIMEOUT)
        except Exception:
            pass


# ---- the base TestCase --------------------------------------------------

class DaemonTestCase(PortdTestCase):
    """A portd started with PORTD_ARGS for the class, or for each test
    when PER_TEST is true (then no event of an earlier test can reach
    this test's clients); self.portctl() runs portctl with -S on its
    socket (MODE_ARGS). tearDown checks that the daemon survived the
    test (unless it set self.stopped_on_purpose); the daemon is then
    stopped with SIGTERM and must exit 0."""

    PORTD_ARGS = ()
    PER_TEST = False
    MODE_ARGS = ()

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if not os.path.exists(PORTD):
            import unittest
            raise unittest.SkipTest("%s is missing: run make" % PORTD)
        cls.portd = None
        if not cls.PER_TEST:
            cls.portd = Portd(*cls.PORTD_ARGS)
            cls.MODE_ARGS = ("-S", cls.portd.path)

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        if cls.portd is not None:
            _stop_checked(cls.portd)

    def setUp(self):
        super().setUp()
        if self.PER_TEST:
            self.portd = Portd(*self.PORTD_ARGS)
            self.MODE_ARGS = ("-S", self.portd.path)

    def tearDown(self):
        super().tearDown()
        try:
            if not getattr(self, "stopped_on_purpose", False):
                self.assertTrue(self.portd.alive(), "portd died during "
                                "the test: %s" % self.portd.log())
        finally:
            if self.PER_TEST:
                _stop_checked(self.portd)

    def status(self):
        return self.portd.status()

    def new_portd(self, *args, **kw):
        """A portd of this test only, stopped in cleanup."""
        p = Portd(*args, **kw)
        self.addCleanup(p.cleanup)
        return p


def _stop_checked(portd):
    """Stops portd with SIGTERM; AssertionError unless it exits 0."""
    if not portd.alive():
        portd.cleanup()
        return      # a test stopped it on purpose (or tearDown said so)
    try:
        rc = portd.stop()
        log = portd.log()
    finally:
        portd.cleanup()
    if rc != 0:
        raise AssertionError("portd exited %s on SIGTERM: %s" % (rc, log))
