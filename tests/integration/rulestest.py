"""rulestest.py - helpers for test_rules.py: the real portd enforcing the
reserved-port rules of a config file it was started with (-c).

Built on portdtest.py (holders, run_portctl, wait_until) and daemontest.py
(Portd, LineCollector); this module adds:

  SUPERVISOR                     tests/helpers/supervisor.sh
  pick_ports(n)                  n distinct ports nothing holds now, outside
                                 the kernel's ephemeral range
  rule(name, port, **keys)       one rule object for a config
  write_config(path, obj)        a config file (JSON with a comment line)
  RulesPortd(config, dir)        build/portd -c CONFIG -S SOCKET -i 100 and
                                 what a rules test asks it through the real
                                 portctl: .events(), .rules(), .reload(),
                                 .wait_event(), .wait_ticks()
  Supervisor(port)               supervisor.sh restarting a holder on
                                 127.0.0.1:port; .stop() ends it and says
                                 which of its children (if any) survived
  RulesTestCase                  PortdTestCase with .start_portd(config)

Only processes this test process started (or their children, which come
back to it as the child subreaper) are ever signalled, by pid after a
check that they are still ours. Waits poll with generous deadlines.
"""
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys

from daemontest import DEADLINE, LineCollector, Portd, make_tmpdir
from portdtest import (HOLDER, REPO, WAIT_TIMEOUT, PortdTestCase,
                       pid_is_running, proc_stat,
                       run_portctl, ss_sockets, wait_until)

SUPERVISOR = os.path.join(REPO, "tests", "helpers", "supervisor.sh")

# The squatters' ports are fixed before portd starts (they are in its
# config), so they are chosen outside the kernel's ephemeral range, where
# the other suites' port-0 holders land.
PORT_LO, PORT_HI = 20000, 32000


# ---- ports and config files ---------------------------------------------

def _bindable(port):
    """True if a TCP socket can bind the port on 127.0.0.1 and on ::1
    (then closed at once; no listen, no traffic)."""
    for fam, addr in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
        s = socket.socket(fam, socket.SOCK_STREAM)
        try:
            if fam == socket.AF_INET6:
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            s.bind((addr, port))
        except OSError:
            return False
        finally:
            s.close()
    return True


def pick_ports(n):
    """n distinct ports that no TCP or UDP socket uses right now."""
    rng = random.SystemRandom()
    used = set(s["port"] for s in ss_sockets())
    ports = []
    for _ in range(1000):
        if len(ports) == n:
            return ports
        p = rng.randint(PORT_LO, PORT_HI)
        if p not in used and p not in ports and _bindable(p):
            ports.append(p)
    raise RuntimeError("could not find %d free ports" % n)


def rule(name, port, **keys):
    """A rule reserving port (TCP only: the squatters are TCP listeners,
    and a UDP socket someone else binds there is none of our business)."""
    r = {"name": name, "ports": ["%d/tcp" % port]}
    r.update(keys)
    return r


def config(rules, **top):
    """A config object: interval 100 ms, a history big enough that other
    processes' binds on a busy machine cannot push ours out, the rules."""
    c = {"interval_ms": 100, "history": 100000, "rules": rules}
    c.update(top)
    return c


def write_config(path, obj):
    """Writes obj as a config file (JSON, after a comment: the format has
    comments) or text as it is; returns path."""
    text = obj if isinstance(obj, str) else (
        "// written by test_rules.py\n" + json.dumps(obj, indent=2) + "\n")
    with open(path, "w") as f:
        f.write(text)
    return path


# ---- tests/fixtures/config -----------------------------------------------

FIXTURES = os.path.join(REPO, "tests", "fixtures", "config")


def fixture_files(prefix):
    """Paths of tests/fixtures/config/PREFIX*.conf (maybe none)."""
    if not os.path.isdir(FIXTURES):
        return []
    return sorted(os.path.join(FIXTURES, n) for n in os.listdir(FIXTURES)
                  if n.startswith(prefix) and n.endswith(".conf"))


def fixture_messages():
    """{bad_X.conf: [message after the name, e.g. ": rules[0]..." or
    ":3:2: syntax error ..."]} from tests/fixtures/config/README, in
    order; {} without a README. portd --check-config PATH prints PATH
    followed by each."""
    msgs = {}
    try:
        f = open(os.path.join(FIXTURES, "README"))
    except FileNotFoundError:
        return msgs
    with f:
        for line in f:
            line = line.rstrip("\n")
            m = re.match(r"^(bad_[^:\s]+\.conf)(:.*)$", line)
            if m and not line.startswith("#"):
                msgs.setdefault(m.group(1), []).append(m.group(2))
    return msgs


# ---- the daemon ---------------------------------------------------------

class RulesPortd:
    """build/portd -c CONFIG -S DIR/portd.sock -i 100 (daemontest.Portd),
    asked through the real portctl."""

    def __init__(self, config_obj, tmpdir=None):
        self.tmpdir = tmpdir or make_tmpdir("portd-rules-")
        self.own_tmpdir = tmpdir is None
        self.config_path = os.path.join(self.tmpdir, "portd.conf")
        write_config(self.config_path, config_obj)
        self.portd = Portd("-c", self.config_path, tmpdir=self.tmpdir)
        self.path = self.portd.path
        self.pid = self.portd.pid

    # -- portctl --

    def portctl(self, *args, **kw):
        return run_portctl("-S", self.path, *args, **kw)

    def events(self, port=None):
        """`portctl -S SOCK events --json [PORT]` -> the events (only
        those whose listener is on port, when given)."""
        args = ("events", "--json") + ((str(port),) if port else ())
        rc, out, err = self.portctl(*args)
        if rc != 0:
            raise AssertionError("portctl events: rc %d, %r" % (rc, err))
        evs = json.loads(out)["events"]
        if port is not None:
            evs = [e for e in evs if e["listener"]["port"] == port]
        return evs

    def find_events(self, port, kind=None, pid=None, rule=None):
        return [e for e in self.events(port)
                if (kind is None or e["event"] == kind) and
                (pid is None or e["listener"].get("pid") == pid) and
                (rule is None or e.get("rule") == rule)]

    def wait_event(self, port, kind, pid=None, rule=None, pred=None,
                   timeout=DEADLINE):
        """The first matching event, polling `portctl events`; None when
        none came within the deadline."""
        def find():
            for e in self.find_events(port, kind, pid, rule):
                if pred is None or pred(e):
                    return e
            return None
        return wait_until(find, timeout)

    def rules(self):
        """`portctl -S SOCK rules --json` -> {name: rule object}."""
        rc, out, err = self.portctl("rules", "--json")
        if rc != 0:
            raise AssertionError("portctl rules: rc %d, %r" % (rc, err))
        return {r["name"]: r for r in json.loads(out)["rules"]}

    def reload(self, **kw):
        """`portctl -S SOCK reload` -> (rc, stdout, stderr)."""
        return self.portctl("reload", **kw)

    def snapshots(self):
        return self.portd.status()["snapshots"]

    def wait_ticks(self, n=5):
        """Waits until portd took n more snapshots (n intervals passed
        with portd looking); False if that did not happen in time."""
        start = self.snapshots()
        return bool(wait_until(lambda: self.snapshots() >= start + n,
                               DEADLINE))

    def log(self):
        return self.portd.log()

    def alive(self):
        return self.portd.alive()

    def stop(self):
        """SIGTERM; returns portd's exit status and removes its files."""
        try:
            return self.portd.cleanup()
        finally:
            if self.own_tmpdir:
                shutil.rmtree(self.tmpdir, ignore_errors=True)


# ---- the supervisor -----------------------------------------------------

_STARTED = re.compile(rb"^supervisor: started pid (\d+)$")


class Supervisor:
    """tests/helpers/supervisor.sh restarting `python3 holder.py --tcp4
    127.0.0.1:PORT` every time it dies (after delay seconds).

    .pid is the supervisor's; .children() every pid it started (from its
    "started pid N" lines); .holders() the holders' JSON lines (those that
    bound the port). Run directly (it is executable), its command name is
    "supervisor.sh".
    """

    def __init__(self, port, delay=0.2, holder_args=()):
        argv = [SUPERVISOR] if os.access(SUPERVISOR, os.X_OK) else \
            ["/bin/bash", SUPERVISOR]
        argv += ["-d", str(delay), sys.executable, HOLDER,
                 "--tcp4", "127.0.0.1:%d" % port] + list(holder_args)
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        self.pid = self.proc.pid
        self.out = LineCollector(self.proc.stdout)
        self.err = LineCollector(self.proc.stderr, parse=False)

    def holders(self):
        return [h for h in self.out.snapshot()
                if isinstance(h, dict) and "pid" in h]

    def children(self):
        pids = []
        for line in self.err.snapshot():
            m = _STARTED.match(line) if isinstance(line, bytes) else None
            if m:
                pids.append(int(m.group(1)))
        return pids

    def wait_holder(self, pid=None, timeout=DEADLINE):
        """The JSON line of a holder that bound the port (pid, if given,
        or any); None if none did in time."""
        def find():
            for h in self.holders():
                if pid is None or h["pid"] == pid:
                    return h
            return None
        return wait_until(find, timeout)

    def _ours(self, pid):
        """True if pid still runs and is the supervisor's child or, after
        the supervisor died, ours (we are the child subreaper)."""
        st = proc_stat(pid)
        return (st is not None and pid_is_running(pid) and
                st[1] in (self.pid, os.getpid()))

    def _reap(self, pid):
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass

    def survivors(self):
        """Children that still run (adopted zombies are reaped first)."""
        alive = []
        for pid in self.children():
            self._reap(pid)
            if self._ours(pid):
                alive.append(pid)
        return alive

    def stop(self, sig=signal.SIGTERM):
        """Sends sig to the supervisor alone and waits for it; returns
        (its exit status, the children still running after it exited).
        A supervisor that does not exit is SIGKILLed (status None)."""
        rc = None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout=WAIT_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=WAIT_TIMEOUT)
        # Its children, if any survived, were re-parented to us.
        wait_until(lambda: not self.survivors(), 2.0)
        return rc, self.survivors()

    def cleanup(self):
        """Ends the supervisor and SIGKILLs any child of it still left
        (checked to be ours, by pid)."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=WAIT_TIMEOUT)
        for pid in self.survivors():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            wait_until(lambda: (self._reap(pid), not self._ours(pid))[1],
                       WAIT_TIMEOUT)
        for f in (self.proc.stdout, self.proc.stderr):
            if f is not None:
                f.close()


# ---- the base TestCase --------------------------------------------------

class RulesTestCase(PortdTestCase):
    """PortdTestCase (holders killed in tearDown) that can start a portd
    with a config for one test (.start_portd); it is stopped in cleanup
    and must then exit 0."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        from portdtest import PORTD
        if not os.path.exists(PORTD):
            import unittest
            raise unittest.SkipTest("%s is missing: run make" % PORTD)

    def start_portd(self, config_obj):
        pd = RulesPortd(config_obj)

        def stop():
            alive = pd.alive()
            rc = pd.stop()
            if alive and rc != 0:
                raise AssertionError("portd exited %s on SIGTERM: %s"
                                     % (rc, pd.log()))
        self.addCleanup(stop)
        return pd

    def supervisor(self, port, *args, **kw):
        s = Supervisor(port, *args, **kw)
        self.addCleanup(s.cleanup)
        return s

    # -- assertions --

    def assertStaysAlive(self, pd, holder, ticks=5):
        """portd took `ticks` more snapshots and the holder still runs."""
        self.assertTrue(pd.wait_ticks(ticks), "portd stopped ticking")
        self.assertTrue(holder.alive(), "pid %d was killed: %s"
                        % (holder.pid, pd.log()))

    def assertHolds(self, holder, port):
        """ss says the holder's pid listens on port."""
        pids = set()
        for s in ss_sockets():
            if s["proto"] == "tcp" and s["port"] == port:
                pids |= s["pids"]
        self.assertIn(holder.pid, pids, "port %d not held by %d"
                      % (port, holder.pid))
