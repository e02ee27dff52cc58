"""portdtest.py - the shared library of portd's integration tests.

The tests start real processes that hold real sockets (tests/helpers/
holder.py) on loopback or wildcard addresses and high ports the kernel
picks, run the real built binaries and check what they print.

What is here:
  BUILD, PORTCTL, PORTD, HOLDER    paths (BUILD from $PORTD_BUILD, default
                                   <repo>/build)
  Holder                           a started holder.py (as root, or
                                   as_user="nobody"): .pid, .child,
                                   .sockets, .ports, .port, .alive(),
                                   .wait_dead(), .send_signal(), .kill()
  run_portctl(*args, ...)          runs portctl: (rc, stdout, stderr),
                                   as_user="nobody" through setpriv(1)
  portctl_json(*args, ...)         the same with --json, stdout parsed
  parse_table(text)                portctl's table -> rows (+ other lines)
  ss_sockets(), ss_listeners()     what ss(8) says holds which port
  port_is_free(port, proto)        no listener on that port (ss)
  unused_port()                    a port no listener holds right now
  wait_until(pred, ...)            polling with a generous deadline
  proc_*(), socket_inodes(),       facts from /proc to compare rows with
  pid_is_running()
  PortdTestCase                    a TestCase base that starts holders and
                                   kills them (and only them) in tearDown

Rules the helpers keep: only processes this test process started are ever
signalled (by pid, re-checked against their start time), waits poll with
generous deadlines and nothing asserts on elapsed time.

Importing this module makes the test process a child subreaper (see
_become_subreaper), so the children of --fork holders come back to it.
"""
import atexit
import ctypes
import json
import os
import pwd
import re
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
BUILD = os.environ.get("PORTD_BUILD") or os.path.join(REPO, "build")
PORTCTL = os.path.join(BUILD, "portctl")
PORTD = os.path.join(BUILD, "portd")
HOLDER = os.path.join(REPO, "tests", "helpers", "holder.py")
# For holders run as another user: a python that user can execute.
SYSTEM_PYTHON = next((p for p in ("/usr/bin/python3", "/usr/local/bin/python3")
                      if os.access(p, os.X_OK)), sys.executable)

# Deadlines are generous on purpose: a slow or loaded machine must not make
# a test fail. Nothing here measures speed.
START_TIMEOUT = 30.0
WAIT_TIMEOUT = 20.0

_PR_SET_CHILD_SUBREAPER = 36


def _become_subreaper():
    """Makes this process the reaper of its orphaned descendants.

    A holder started with --fork has a child; when the test kills the
    holder first, that child is re-parented. Without this it would go to
    pid 1, which may never reap it; with it, it comes to us and
    Holder.alive() can reap it. Failure is harmless: zombies count as dead
    everywhere here anyway.
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):
        pass


_become_subreaper()


# ---- /proc -------------------------------------------------------------

def proc_stat(pid):
    """(state letter, ppid, start time in clock ticks), or None if gone."""
    try:
        # A test may name a process with bytes that are not UTF-8.
        with open("/proc/%d/stat" % pid, errors="surrogateescape") as f:
            text = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return None
    # comm may hold spaces and parentheses: split after the last ')'.
    rest = text[text.rindex(")") + 2:].split()
    return rest[0], int(rest[1]), int(rest[19])


def proc_start_time(pid):
    st = proc_stat(pid)
    return None if st is None else st[2]


def proc_started_ms(pid):
    """When the process started, ms since the epoch, as portctl computes it."""
    with open("/proc/stat") as f:
        btime = int(re.search(r"^btime (\d+)$", f.read(), re.M).group(1))
    ticks = proc_start_time(pid)
    return btime * 1000 + ticks * 1000 // os.sysconf("SC_CLK_TCK")


def proc_comm(pid):
    with open("/proc/%d/comm" % pid) as f:
        return f.read().rstrip("\n")


def proc_exe(pid):
    return os.readlink("/proc/%d/exe" % pid)


def proc_uid(pid):
    """Real uid, as /proc/PID/status says."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("Uid:"):
                return int(line.split()[1])
    raise ValueError("no Uid line for pid %d" % pid)


def proc_user(pid):
    return pwd.getpwuid(proc_uid(pid)).pw_name


def socket_inodes(pid):
    """Inodes of every socket the process holds (from /proc/PID/fd)."""
    inodes = set()
    fddir = "/proc/%d/fd" % pid
    for fd in os.listdir(fddir):
        try:
            link = os.readlink(os.path.join(fddir, fd))
        except OSError:
            continue
        m = re.match(r"socket:\[(\d+)\]$", link)
        if m:
            inodes.add(int(m.group(1)))
    return inodes


def pid_is_running(pid, start_time=None):
    """True if pid is a live process (not a zombie) and, when start_time
    is given, still the same process (not a reused pid)."""
    st = proc_stat(pid)
    if st is None or st[0] in ("Z", "X", "x"):
        return False
    return start_time is None or st[2] == start_time


_staged = {}


def _for_others(path):
    """path, or a copy another user can read: in a checkout in a private
    directory (mktemp -d makes it 0700) a python run as nobody cannot
    open holder.py (setpriv itself still execs portctl there: it runs
    the exec with root's capabilities). The copy lives in a directory of
    its own, removed at exit."""
    d = os.path.dirname(path)
    reachable = os.stat(path).st_mode & 0o005 == 0o005
    while reachable and d != os.path.dirname(d):
        reachable = os.stat(d).st_mode & 0o001 != 0
        d = os.path.dirname(d)
    if reachable:
        return path
    if path not in _staged:
        if "dir" not in _staged:
            _staged["dir"] = tempfile.mkdtemp(prefix="portd-test-")
            os.chmod(_staged["dir"], 0o755)
            atexit.register(shutil.rmtree, _staged["dir"], True)
        copy = os.path.join(_staged["dir"], os.path.basename(path))
        shutil.copyfile(path, copy)
        os.chmod(copy, 0o755)
        _staged[path] = copy
    return _staged[path]


def _setpriv(user):
    """The setpriv(1) prefix that runs a command as user (nobody: with
    group nogroup), without supplementary groups."""
    group = "nogroup" if user == "nobody" else user
    return ["setpriv", "--reuid=" + user, "--regid=" + group,
            "--clear-groups"]


# ---- waiting -----------------------------------------------------------

def wait_until(pred, timeout=WAIT_TIMEOUT, interval=0.05):
    """Calls pred() until it returns something true or timeout seconds
    pass; returns its last value (so falsy means it timed out)."""
    deadline = time.monotonic() + timeout
    while True:
        value = pred()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


# ---- portctl -----------------------------------------------------------

def run_portctl(*args, env=None, as_user=None, timeout=30):
    """Runs the built portctl with args; returns (rc, stdout, stderr).

    as_user="nobody" runs it as that user (and the nogroup group, no
    supplementary groups) through setpriv(1). timeout only stops a hung
    portctl from hanging the suite; it is not an assertion.
    """
    argv = [PORTCTL] + [str(a) for a in args]
    if as_user is not None:
        argv = _setpriv(as_user) + argv
    full_env = dict(os.environ)
    full_env.pop("PORTD_SOCKET", None)
    if env:
        full_env.update(env)
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                       text=True, env=full_env, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def portctl_json(*args, **kw):
    """run_portctl with --json; returns (rc, parsed stdout, stderr).

    The parsed value is None when stdout is empty; a stdout that is not
    JSON raises ValueError with the text, since that is a bug to see.
    """
    rc, out, err = run_portctl(*(("--json",) + args), **kw)
    if not out.strip():
        return rc, None, err
    try:
        return rc, json.loads(out), err
    except ValueError as e:
        raise ValueError("portctl --json printed non-JSON (%s): %r"
                         % (e, out)) from None


TABLE_HEADER = ["PROTO", "ADDRESS", "PORT", "PID", "USER", "COMMAND"]


def parse_table(text):
    """portctl's table -> list of dicts keyed by the header's columns.

    The last column (COMMAND) keeps its spaces. Lines after the rows
    (kill's "pid N (...): ..." lines) are returned apart:
    (rows, other_lines). Raises ValueError without the header.
    """
    lines = text.splitlines()
    if not lines or lines[0].split() != TABLE_HEADER:
        raise ValueError("no table header in %r" % text)
    rows, other = [], []
    for line in lines[1:]:
        parts = line.split(None, 5)
        if len(parts) == 6 and parts[2].isdigit() and not other:
            rows.append(dict(zip(TABLE_HEADER, parts)))
        else:
            other.append(line)
    return rows, other


# ---- ss ----------------------------------------------------------------

_SS_USER = re.compile(r"pid=(\d+)")


def ss_sockets():
    """Every TCP listener and bound UDP socket, from `ss -Hltunp`.

    Returns a list of dicts: proto ("tcp"/"udp"), address (as ss prints
    it: "127.0.0.1", "[::1]", "*" for a dual-stack [::], may carry
    "%dev"), port (int) and pids (set of int; empty when ss cannot see).
    """
    out = subprocess.run(["ss", "-Hltunp"], capture_output=True, text=True,
                         check=True, timeout=60).stdout
    socks = []
    for line in out.splitlines():
        fields = line.split()
        if len(fields) < 5:
            continue
        local = fields[4]
        addr, _, port = local.rpartition(":")
        if not port.isdigit():
            continue
        socks.append({"proto": fields[0], "address": addr, "port": int(port),
                      "pids": set(int(p) for p in _SS_USER.findall(line))})
    return socks


def ss_listeners():
    """{(proto, port): set of pids} from `ss -Hltunp` (tcp and udp)."""
    table = {}
    for s in ss_sockets():
        table.setdefault((s["proto"], s["port"]), set()).update(s["pids"])
    return table


def port_is_free(port, proto="tcp"):
    """True if no socket listens on (tcp) or is bound to (udp) the port,
    on any address; proto may be "tcp", "udp" or "any"."""
    for s in ss_sockets():
        if s["port"] == port and proto in ("any", s["proto"]):
            return False
    return True


def unused_port():
    """A high port that nothing listens on or is bound to right now (TCP
    or UDP). The kernel picks it; nothing keeps it free afterwards, which
    is fine for asking about a port nobody is expected to take."""
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port_is_free(port, "any"):
            return port
    raise RuntimeError("no unused port found")


# ---- holders -----------------------------------------------------------

class HolderError(Exception):
    pass


class Holder:
    """A running tests/helpers/holder.py (see its docstring for args).

    Holder("--tcp4", "127.0.0.1:0") starts it and waits for its JSON line;
    as_user="nobody" starts it as that user (setpriv(1), the system
    python3, since ours may live where nobody cannot read).
    .pid, .child (the --fork child or None), .sockets (the records it
    printed), .ports (every port, in order), .port (the first one).
    Only this object's processes are ever signalled, by pid after checking
    their start time, so a reused pid is never hit.
    """

    def __init__(self, *args, as_user=None, timeout=START_TIMEOUT,
                 may_die=False, script=HOLDER):
        # script: another helper that prints holder.py's JSON line
        # (tests/helpers/handover_kill.py).
        self.args = [str(a) for a in args]
        self._err = tempfile.TemporaryFile(mode="w+")
        argv = [sys.executable, script] + self.args
        if as_user is not None:
            # setpriv execs python in place: the pid stays the holder's.
            argv = (_setpriv(as_user) +
                    [SYSTEM_PYTHON, _for_others(script)] + self.args)
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=self._err, text=True)
        self.pid = self.proc.pid
        self.child = None
        self._start = {}
        try:
            info = self._read_line(timeout)
        except HolderError:
            # A squatter on a port of a "kill" rule (may_die) can be
            # SIGKILLed between its bind and its report (SIGTERM waits
            # for the report): then it is known by its pid alone, and
            # the test goes on to look for the reap.
            if not may_die or self.proc.poll() != -signal.SIGKILL:
                self.kill()
                raise
            info = {"pid": self.pid, "child": None, "sockets": []}
        except BaseException:
            self.kill()
            raise
        if info.get("pid") != self.pid:
            self.kill()
            raise HolderError("holder reported pid %r, started %d"
                              % (info.get("pid"), self.pid))
        self.child = info.get("child")
        self.sockets = info["sockets"]
        self.ports = [s["port"] for s in self.sockets]
        self.port = self.ports[0] if self.ports else None
        # Remember start times so kill() never signals a reused pid.
        for pid in self.pids:
            self._start[pid] = proc_start_time(pid)

    def _read_line(self, timeout):
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        try:
            if not sel.select(timeout):
                raise HolderError("holder %s printed nothing in %ss"
                                  % (self.args, timeout))
        finally:
            sel.close()
        line = self.proc.stdout.readline()
        if not line:
            self.proc.wait(timeout=timeout)
            self._err.seek(0)
            raise HolderError("holder %s exited %s: %s" % (
                self.args, self.proc.returncode, self._err.read().strip()))
        return json.loads(line)

    @property
    def pids(self):
        """The holder's pid and, with --fork, its child's."""
        return [self.pid] + ([self.child] if self.child else [])

    def sockets_of(self, kind):
        return [s for s in self.sockets if s["kind"] == kind]

    def _reap(self, pid):
        """Reaps pid if it is our (possibly adopted) child and has exited."""
        if pid == self.pid:
            return self.proc.poll() is not None
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
            return done == pid
        except ChildProcessError:
            return False

    def alive(self, pid=None):
        """True if pid (default: the holder) still runs. Zombies count as
        dead; the holder (our child) and an adopted --fork child are
        reaped on the way."""
        pid = self.pid if pid is None else pid
        if self._reap(pid):
            return False
        return pid_is_running(pid, self._start.get(pid))

    def wait_dead(self, pid=None, timeout=WAIT_TIMEOUT):
        """True once pid (default: the holder) is dead."""
        return wait_until(lambda: not self.alive(pid), timeout)

    def send_signal(self, sig, pid=None):
        """Sends sig to one of our pids if it is still that process."""
        pid = self.pid if pid is None else pid
        if pid not in self._start and pid != self.pid:
            raise ValueError("pid %d is not this holder's" % pid)
        if self.alive(pid):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass

    def kill(self):
        """SIGKILLs whatever of ours still runs and reaps it."""
        for pid in reversed(self.pids):
            if pid == self.pid:
                if self.proc.poll() is None:
                    self.proc.kill()
                try:
                    self.proc.wait(timeout=WAIT_TIMEOUT)
                except subprocess.TimeoutExpired:
                    pass
            elif self.alive(pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                wait_until(lambda: not self.alive(pid), WAIT_TIMEOUT)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self._err.close()

    def stderr_text(self):
        self._err.seek(0)
        return self._err.read()

    def __repr__(self):
        return "Holder(pids=%s, ports=%s)" % (self.pids, self.ports)


_live_holders = []


@atexit.register
def _kill_leftovers():
    """Safety net: kill holders a crashed test did not clean up."""
    for h in list(_live_holders):
        try:
            h.kill()
        except Exception:
            pass


# ---- the base TestCase --------------------------------------------------

class PortdTestCase(unittest.TestCase):
    """Base class: starts holders, kills them in tearDown (only those).

    portctl runs through self.portctl()/self.portctl_json(), which put
    MODE_ARGS first: ("--direct",) here, so the one-shot path is tested;
    the daemon tests subclass with their own mode.
    """

    MODE_ARGS = ("--direct",)

    @classmethod
    def setUpClass(cls):
        for path in (PORTCTL, HOLDER):
            if not os.path.exists(path):
                raise unittest.SkipTest("%s is missing: run make" % path)

    def setUp(self):
        self.holders = []

    def tearDown(self):
        for h in reversed(self.holders):
            h.kill()
            if h in _live_holders:
                _live_holders.remove(h)

    def holder(self, *args, **kw):
        """Starts a Holder (same arguments) that tearDown kills."""
        h = Holder(*args, **kw)
        self.holders.append(h)
        _live_holders.append(h)
        return h

    def portctl(self, *args, **kw):
        return run_portctl(*(self.MODE_ARGS + args), **kw)

    def portctl_json(self, *args, **kw):
        return portctl_json(*(self.MODE_ARGS + args), **kw)

    # -- assertions used by several suites --

    def who(self, *args, **kw):
        """`portctl who ARGS --json`; returns its listeners, asserting it
        exited 0 and printed the listeners object."""
        rc, data, err = self.portctl_json("who", *args, **kw)
        self.assertEqual(rc, 0, "who %s: rc %d, stderr %r" % (args, rc, err))
        self.assertIsInstance(data, dict)
        self.assertIn("listeners", data)
        return data["listeners"]

    def assertRowOwnedBy(self, row, pid):
        """The row names pid and agrees with /proc about it."""
        self.assertEqual(row["pid"], pid, row)
        self.assertEqual(row["command"], proc_comm(pid), row)
        self.assertEqual(row["exe"], proc_exe(pid), row)
        self.assertEqual(row["user"], proc_user(pid), row)
        self.assertEqual(row["uid"], proc_uid(pid), row)
        self.assertEqual(row["ppid"], proc_stat(pid)[1], row)

    def assertAgreesWithSs(self, rows, port):
        """portctl's pids for the port equal what ss -p reports, per
        protocol."""
        ss = ss_listeners()
        for proto in ("tcp", "udp"):
            mine = set(r["pid"] for r in rows
                       if r["proto"] == proto and r["port"] == port)
            theirs = ss.get((proto, port), set())
            self.assertEqual(mine, theirs, "%s port %d: portctl %s, ss %s"
                             % (proto, port, mine, theirs))
