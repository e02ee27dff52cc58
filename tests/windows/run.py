#!/usr/bin/env python3
"""The Windows tests, under Wine: the check suites cross-built for Windows
(CK_FORK=no; each check counts), then end to end: portd.exe in the console
and portctl.exe over the named pipe, and portd as a service.

    python3 tests/windows/run.py BUILD_DIR        (make test-windows)

Prints a line per test and, last, "RESULT passed=N failed=N" for
tests/run.sh. Exit status 1 when anything failed.

Isolation: when it may (root, or unprivileged user namespaces), it runs in
private network and pid namespaces (unshare): Wine's socket tables then hold
this test's sockets only, however busy the machine, no port can clash with
another test, and every process it started dies with it. Elsewhere it runs
in the host's network, with its own ports and the same clean-up.

Wine: a fresh prefix in BUILD_DIR/wineprefix every run, headless, started
as ../shared/notes/windows-under-wine.md says (wineboot -i, wineserver -w,
a persistent wineserver, wineboot with no pipes attached), stopped with
wineserver -k. Every command has a timeout and writes to files, never to a
pipe a stray Wine process could keep open.
"""
import fcntl
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
NS_FLAGS = ["--net", "--pid", "--fork", "--kill-child", "--mount-proc"]

UNIT_TIMEOUT = 180      # one check suite
CMD_TIMEOUT = 90        # one portctl / sc / net command
WAIT_TIMEOUT = 120      # portd answering, a service changing state

passed = 0
failed = 0
skipped = 0
build = None
logdir = None
env = None
started = []            # Popen objects to stop at the end


def say(msg):
    print("windows: " + msg, flush=True)


def reexec_in_namespaces():
    """Runs this script again in private namespaces, if allowed."""
    if os.environ.get("PORTD_WIN_NS") is not None:
        return
    if shutil.which("ip") is None or shutil.which("unshare") is None:
        os.environ["PORTD_WIN_NS"] = "0"
        say("no unshare or ip: using the host's network")
        return
    probe = subprocess.run(["unshare"] + NS_FLAGS + ["true"],
                           stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    if probe.returncode == 0:
        os.environ["PORTD_WIN_NS"] = "1"
        sys.stdout.flush()
        os.execvp("unshare", ["unshare"] + NS_FLAGS +
                  [sys.executable, os.path.abspath(__file__)] + sys.argv[1:])
    os.environ["PORTD_WIN_NS"] = "0"
    say("no private namespaces here: using the host's network")


def run(args, timeout=CMD_TIMEOUT):
    """Runs a command with output to files; returns (rc, out, err).
    rc is None on a timeout (the command is killed).

    Wine, when the machine is busy, now and then fails to start a
    process: one of this project's .exe files then exits 1 or 66
    (STATUS_DLL_INIT_FAILED, 0xC0000142, cut to a byte) without printing
    a word, which none of them ever does (every path through portd and
    portctl prints something). Such a start is tried once more, and
    said. A crash is not: its status is another (0xC0000005 gives 5)."""
    ours = args[0] == "wine" and args[1].lower().endswith(".exe")
    rc, o, r = run_once(args, timeout)
    if ours and rc in (1, 66) and not o.strip() and not r.strip():
        say("     note: %s exited %s without a word (Wine did not start "
            "it?): once more" % (" ".join(args[1:]), rc))
        rc, o, r = run_once(args, timeout)
    return rc, o, r


def run_once(args, timeout):
    with tempfile.TemporaryFile(dir=logdir) as out, \
            tempfile.TemporaryFile(dir=logdir) as err:
        p = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=out,
                             stderr=err, env=env, start_new_session=True)
        try:
            rc = p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
            rc = None
        out.seek(0)
        err.seek(0)
        o = out.read().decode("utf-8", "replace").replace("\r\n", "\n")
        r = err.read().decode("utf-8", "replace").replace("\r\n", "\n")
    with open(os.path.join(logdir, "commands.log"), "a") as f:
        f.write("$ %s\n[rc %s]\n%s%s\n" % (" ".join(args), rc, o, r))
    return rc, o, r


def start(args, logname):
    """Starts a background command, output to logdir/logname."""
    f = open(os.path.join(logdir, logname), "w")
    p = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=f,
                         stderr=subprocess.STDOUT, env=env,
                         start_new_session=True)
    p.logfile = f
    p.logname = logname
    started.append(p)
    return p


def read_log(name):
    try:
        with open(os.path.join(logdir, name), errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def stop(p, grace=20):
    """Ends a background command: SIGINT (Wine turns it into Ctrl-C),
    then SIGTERM, then SIGKILL."""
    for sig, wait in ((signal.SIGINT, grace), (signal.SIGTERM, 10),
                      (signal.SIGKILL, 10)):
        if p.poll() is not None:
            break
        try:
            os.kill(p.pid, sig)
        except ProcessLookupError:
            break
        try:
            p.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            pass
    p.logfile.close()
    return p.returncode


def wait_for(what, fn, timeout=WAIT_TIMEOUT, every=0.25):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(every)
    raise AssertionError("timed out after %d s waiting for %s (last: %r)"
                         % (timeout, what, last))


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


class Skip(Exception):
    """What the test needs is not there (said, not counted)."""


def test(name, fn, *args):
    global passed, failed, skipped
    t0 = time.monotonic()
    try:
        fn(*args)
    except Skip as e:
        skipped += 1
        say("skip %s: %s" % (name, e))
        return False
    except Exception as e:   # noqa: BLE001 - any failure is a failed test
        failed += 1
        say("FAIL %s (%.1f s): %s" % (name, time.monotonic() - t0, e))
        if not isinstance(e, AssertionError):
            traceback.print_exc(file=sys.stdout)
        return False
    passed += 1
    say("ok   %s (%.1f s)" % (name, time.monotonic() - t0))
    return True


def exe(name):
    return os.path.join(build, name)


def winpath(path):
    """A Unix path as Windows sees it through Wine's Z: drive."""
    return "Z:" + path.replace("/", "\\")


# ---- Wine ------------------------------------------------------------------

def wine_env(prefix):
    e = dict(os.environ)
    e.pop("DISPLAY", None)
    e.pop("WAYLAND_DISPLAY", None)
    e.update({
        "WINEPREFIX": prefix,
        "WINEARCH": "win64",
        # PORTD_WINEDEBUG=err+all shows Wine's own errors, to diagnose.
        "WINEDEBUG": os.environ.get("PORTD_WINEDEBUG", "-all"),
        # No .NET or Gecko installers, no crash dialog or debugger, no
        # menu entries written to $HOME.
        "WINEDLLOVERRIDES": "mscoree,mshtml=;winedbg.exe,"
                            "winemenubuilder.exe=d",
        "CK_FORK": "no",
    })
    return e


def wine_start(prefix):
    """A fresh prefix, started the way that avoids Wine's two hangs."""
    if os.path.exists(prefix):
        # A server a killed run left behind goes first.
        subprocess.run(["wineserver", "-k"], stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       env=env, timeout=60, check=False)
        shutil.rmtree(prefix)
    for args, timeout in ((["wineboot", "-i"], 300),
                          (["wineserver", "-w"], 120),
                          (["wineserver", "-p"], 60),
                          (["wineboot"], 300)):
        p = subprocess.Popen(args, stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, env=env,
                             start_new_session=True)
        try:
            p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            raise AssertionError("%s did not finish in %d s"
                                 % (" ".join(args), timeout))


def wine_stop():
    for p in started:
        if p.poll() is None:
            stop(p, grace=5)
    for args in (["wineserver", "-k"], ["wineserver", "-w"]):
        p = subprocess.Popen(args, stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, env=env)
        try:
            p.wait(timeout=60)
        except subprocess.TimeoutExpired:
            p.kill()


# ---- unit tests ------------------------------------------------------------

SUMMARY = re.compile(r"Checks: (\d+), Failures: (\d+), Errors: (\d+)")


def unit_tests():
    global passed, failed
    tests = sorted(f for f in os.listdir(os.path.join(build, "tests"))
                   if f.startswith("check_") and f.endswith(".exe"))
    check(tests, "no check suites in %s/tests" % build)
    for t in tests:
        t0 = time.monotonic()
        rc, out, err = run(["wine", exe("tests/" + t)],
                           timeout=UNIT_TIMEOUT)
        m = SUMMARY.findall(out + err)
        name = t[:-4]
        if not m:
            failed += 1
            say("FAIL %s: no summary (exit %s)" % (name, rc))
            sys.stdout.write(out + err)
            continue
        n, f, e = (int(x) for x in m[-1])
        passed += n - f - e
        failed += f + e
        bad = f + e
        if rc != 0 and bad == 0:
            failed += 1
            bad = 1
        say("%s %s: %d checks, %d failed (%.1f s)"
            % ("ok  " if bad == 0 else "FAIL", name, n, bad,
               time.monotonic() - t0))
        if bad:
            sys.stdout.write(out + err)
        for line in out.splitlines():
            if line.startswith(("sockets:", "self:", "spawn_child:")):
                say("     %s: %s" % (name, line))


# ---- end to end: the console daemon ---------------------------------------

PIPE = r"\\.\pipe\portd-e2e"
NOT_REPORTED = "owner not reported by this system"
TERMINATED = "TerminateProcess (Windows has no signals)"
OWNER_TRIES = 3         # listeners tried until Wine names one's owner


def free_udp_port():
    """A UDP port free on 127.0.0.1 and ::1 (any will do in a private
    network namespace)."""
    import socket
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as a:
            a.bind(("127.0.0.1", 0))
            port = a.getsockname()[1]
            try:
                with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as b:
                    b.bind(("::1", port))
            except OSError:
                continue
            return port


def portctl(*args, pipe=PIPE, timeout=CMD_TIMEOUT):
    a = ["wine", exe("portctl.exe")]
    if pipe is not None:
        a += ["-S", pipe]
    return run(a + list(args), timeout=timeout)


def listener(seconds, *specs, logname):
    p = start(["wine", exe("tests/listener.exe"), str(seconds)] +
              list(specs), logname)
    line = wait_for("%s to bind" % logname,
                    lambda: re.search(r"^READY .*$", read_log(logname),
                                      re.M) or (p.poll() is not None and
                                                "exited"), timeout=60)
    check(line != "exited", "%s exited: %s" % (logname, read_log(logname)))
    words = line.group(0).split()
    p.winpid = int(words[1].split("=")[1])
    p.socks = []
    for w in words[2:]:
        proto, rest = w[:4], w[5:]
        addr, port = rest.rsplit(":", 1)
        p.socks.append((proto, addr, int(port)))
    return p


class E2E:
    def __init__(self):
        self.portd = None
        self.held = None
        self.conf = os.path.join(logdir, "e2e.conf")
        self.rule_port = free_udp_port()
        self.owners_named = 0   # sockets whose owner Wine named, so far

    def start_portd(self):
        with open(self.conf, "w") as f:
            f.write('{ "interval_ms": 200, "log_level": "debug",\n'
                    '  "rules": [ { "name": "squat", "ports": ["%d/udp"],\n'
                    '    "action": "terminate", "grace_ms": 500 } ] }\n'
                    % self.rule_port)
        self.held = listener(600, "tcp4:127.0.0.1:0", "tcp6:::1:0",
                             "udp4:127.0.0.1:0", "udp6:::1:0",
                             logname="listener1.log")
        self.portd = start(["wine", exe("portd.exe"), "--foreground",
                            "-S", PIPE, "-c", winpath(self.conf)],
                           "portd.log")
        wait_for("portd to answer on the pipe",
                 lambda: self.portd.poll() is not None or
                 portctl("--daemon", "status")[0] == 0)
        check(self.portd.poll() is None,
              "portd exited: " + read_log("portd.log"))

    def status(self):
        rc, out, err = portctl("status")
        check(rc == 0, "exit %s: %s" % (rc, err))
        check(re.search(r"^source +iphlpapi$", out, re.M), out)
        check(re.search(r"^version +0\.1\.0$", out, re.M), out)
        check(re.search(r"^interval_ms +200$", out, re.M), out)
        check(re.search(r"^pid +\d+$", out, re.M), out)

    def rows(self, *args, none_ok=False):
        """The listeners portctl --json prints; with none_ok, exit 1
        (nothing matched) is an empty list, to poll with."""
        rc, out, err = portctl("--json", *args)
        if none_ok and rc == 1:
            return []
        check(rc == 0, "exit %s: %s%s" % (rc, out, err))
        return json.loads(out)["listeners"]

    def check_row(self, r, proto, addr, owner=None):
        fam = "ipv6" if proto.endswith("6") else "ipv4"
        check(r["proto"] == proto[:3] and r["family"] == fam and
              r["address"] == addr and
              r["state"] == ("LISTEN" if proto.startswith("tcp")
                             else "BOUND"), r)
        if r["pid"] is None:
            # Wine keeps the socket in wineserver: no owner to name.
            check(r["reason"] == NOT_REPORTED, r)
            return 0
        # Named: then it is the listener, with its details.
        check(r["pid"] == (owner or self.held).winpid, r)
        check(r["command"].lower() == "listener.exe", r)
        check(r["exe"].lower().endswith("\\listener.exe"), r)
        return 1

    def list_json(self):
        rows = self.rows("list")
        owned = 0
        for proto, addr, port in self.held.socks:
            mine = [r for r in rows if r["port"] == port and
                    r["proto"] == proto[:3]]
            check(len(mine) == 1, "%s %s:%d: %r" % (proto, addr, port,
                                                    mine))
            owned += self.check_row(mine[0], proto, addr)
        say("     list: %d rows, the listener's 4 sockets, %d with the "
            "owner named" % (len(rows), owned))
        self.owners_named += owned

    def who_table(self):
        proto, addr, port = self.held.socks[0]       # tcp4 127.0.0.1
        rc, out, err = portctl("who", str(port))
        check(rc == 0, "exit %s: %s" % (rc, err))
        lines = out.splitlines()
        check(re.match(r"^PROTO +ADDRESS +PORT +PID +USER +COMMAND$",
                       lines[0]), out)
        check(len(lines) == 2, out)
        check(re.match(r"^tcp +127\.0\.0\.1 +%d +- +- +\(%s\)$"
                       % (port, re.escape(NOT_REPORTED)), lines[1]), out)

    def who_each(self):
        for proto, addr, port in self.held.socks:
            opt = "--tcp" if proto.startswith("tcp") else "--udp"
            fam = "-6" if proto.endswith("6") else "-4"
            rows = self.rows("who", str(port), opt, fam)
            check(len(rows) == 1, rows)
            self.check_row(rows[0], proto, addr)

    def who_none(self):
        rc, out, err = portctl("who", "1")
        check(rc == 1, "who 1: exit %s (want 1, nothing there)" % rc)

    def direct(self):
        proto, addr, port = self.held.socks[1]       # tcp6 ::1
        rc, out, err = portctl("--direct", "--json", "who", str(port),
                               pipe=None)
        check(rc == 0, "exit %s: %s" % (rc, err))
        rows = json.loads(out)["listeners"]
        check(len(rows) == 1, rows)
        self.check_row(rows[0], proto, addr)

    def events(self):
        second = listener(600, "tcp4:127.0.0.1:0", logname="listener2.log")
        port = second.socks[0][2]

        def seen(kind):
            rc, out, err = portctl("events", str(port))
            return rc == 0 and re.search(
                r"^\S+ %s +tcp 127\.0\.0\.1:%d \(%s\)$"
                % (kind, port, re.escape(NOT_REPORTED)), out, re.M)
        wait_for("a bind event for %d" % port, lambda: seen("bind"),
                 timeout=60)
        stop(second)
        wait_for("an unbind event for %d" % port, lambda: seen("unbind"),
                 timeout=60)

    def many(self):
        """Replies larger than the pipe's 64 KiB buffer, written in
        pieces: 400 more listeners."""
        n = 400
        p = listener(600, *(["tcp4:127.0.0.1:0"] * n),
                     logname="listener5.log")
        ports = {sock[2] for sock in p.socks}
        check(len(ports) == n, "%d ports" % len(ports))

        def all_seen():
            rc, out, err = portctl("--json", "list", "--tcp", "-4")
            if rc != 0:
                return None
            return len(ports & {r["port"] for r in
                                json.loads(out)["listeners"]}) == n and out
        out = wait_for("%d listeners in portd's map" % n, all_seen,
                       timeout=60)
        check(len(out) > 64 * 1024, "only %d bytes" % len(out))
        rc, out, err = portctl("list")
        check(rc == 0 and len(out.splitlines()) > n, "%d lines"
              % len(out.splitlines()))
        stop(p)

    def kill_unowned(self):
        proto, addr, port = self.held.socks[0]
        rc, out, err = portctl("kill", "--timeout", "1", "%d/tcp" % port)
        check(rc == 2, "kill of an unowned port: exit %s (want 2)" % rc)
        # The kernel's table still has it after the kill: named, exit 2.
        check("port %d/tcp: still held by a socket (" % port in out, out)
        check(self.held.poll() is None, "the listener died")

    def reload(self):
        rc, out, err = portctl("reload")
        check(rc == 0 and "portd: reload done" in out,
              "exit %s: %s%s" % (rc, out, err))
        wait_for("the reload in the log",
                 lambda: "reloaded: 1 rules" in read_log("portd.log"),
                 timeout=20)
        check(re.search(r"reload requested by \S+\\\S+ pid \d+",
                        read_log("portd.log")), "the requester not named "
              "by account: " + read_log("portd.log")[-2000:])

    def no_owner(self, what):
        """OWNER_TRIES listeners and Wine named none's owner: a skip, or
        a failure when it named owners earlier in this run (then it can,
        and portd's owner lookup is what to suspect)."""
        msg = "Wine named no owner for %s, %d times" % (what, OWNER_TRIES)
        check(self.owners_named == 0, "%s, but %d earlier in this run"
              % (msg, self.owners_named))
        raise Skip(msg)

    def owned_udp6(self, logname):
        """A listener on ::1 UDP that Wine names the owner of. Wine does
        when the process holds the socket's descriptor itself, as
        listener.exe's IPv6 sockets after setsockopt, but not every
        time: a new listener is tried, three in all."""
        for attempt in range(OWNER_TRIES):
            p = listener(600, "udp6:::1:0",
                         logname="%s.%d" % (logname, attempt))
            port = p.socks[0][2]
            # In portd's live map from its next snapshot on.
            rows = wait_for("::1:%d/udp in portd's map" % port,
                            lambda: self.rows("who", str(port), "--udp",
                                              "-6", none_ok=True),
                            timeout=60)
            check(len(rows) == 1, rows)
            if self.check_row(rows[0], "udp6", "::1", owner=p):
                return p, port
            say("     Wine named no owner for ::1:%d/udp: another "
                "listener" % port)
            stop(p)
        self.no_owner("::1 UDP")

    def kill_by_port(self):
        p, port = self.owned_udp6("listener3.log")
        rc, out, err = portctl("kill", "--dry-run", "%d/udp" % port)
        check(rc == 0 and "pid %d (listener.exe): would be terminated "
              "(dry run)" % p.winpid in out, "exit %s: %s%s" % (rc, out, err))
        check(p.poll() is None, "a dry run ended the listener")
        rc, out, err = portctl("kill", "--timeout", "5", "%d/udp" % port)
        check(rc == 0, "exit %s: %s%s" % (rc, out, err))
        check("pid %d (listener.exe): %s, exited" % (p.winpid, TERMINATED)
              in out, out)
        check("port %d/udp: free" % port in out, out)
        # The log names the requester by account (no uids on Windows).
        line = (r"kill by (\S+) pid \d+: port %d pid %d \(listener\.exe\) "
                r"user .*: exited after %s" % (port, p.winpid,
                                               re.escape(TERMINATED)))
        m = wait_for("the kill in portd's log",
                     lambda: re.search(line, read_log("portd.log")),
                     timeout=20)
        check("\\" in m.group(1), "not an account: " + m.group(0))
        wait_for("the listener to exit", lambda: p.poll() is not None,
                 timeout=30)
        p.logfile.close()

    def reaper(self):
        port = self.rule_port

        def events(kind):
            rc, out, err = portctl("events", str(port))
            return [line for line in out.splitlines()
                    if " %s " % kind in line] if rc == 0 else []
        # A squatter Wine names the owner of; see owned_udp6.
        for attempt in range(OWNER_TRIES):
            binds, unbinds = len(events("bind")), len(events("unbind"))
            p = listener(600, "udp6:::1:%d" % port,
                         logname="listener4.log.%d" % attempt)
            bind = wait_for("a bind event for %d" % port,
                            lambda: events("bind")[binds:], timeout=60)[-1]
            if NOT_REPORTED not in bind:
                break
            say("     Wine named no owner for ::1:%d/udp: another "
                "squatter" % port)
            stop(p)
            wait_for("an unbind event for %d" % port,
                     lambda: events("unbind")[unbinds:], timeout=60)
        else:
            self.no_owner("::1:%d/udp" % port)
        reap = (r" reap +udp6 \[::1\]:%d pid %d listener\.exe \(.*\) "
                r"rule 'squat' terminate: exited after %s$"
                % (port, p.winpid, re.escape(TERMINATED)))
        wait_for("the rule to terminate the squatter",
                 lambda: any(re.search(reap, line)
                             for line in events("reap")), timeout=60)
        wait_for("the squatter to exit", lambda: p.poll() is not None,
                 timeout=30)
        p.logfile.close()
        rc, out, err = portctl("rules")
        check(re.search(r"^squat +%d/udp +terminate +no +yes +1 +1 +0 +0$"
                        % port, out, re.M), out)

    def second_instance(self):
        rc, out, err = run(["wine", exe("portd.exe"), "-S", PIPE, "-c",
                            winpath(self.conf)], timeout=CMD_TIMEOUT)
        check(rc == 1, "second portd: exit %s (want 1)" % rc)
        check("another portd is already running on " + PIPE in out + err,
              out + err)

    def bad_endpoint(self):
        rc, out, err = run(["wine", exe("portd.exe"), "-S",
                            "/run/portd/portd.sock"], timeout=CMD_TIMEOUT)
        check(rc == 1 and "named pipe" in out + err, out + err)

    def stop_console(self):
        rc = stop(self.portd)
        log = read_log("portd.log")
        check("Ctrl-C: stopping" in log and "portd: stopped" in log,
              "not a clean stop (exit %s): %s" % (rc, log[-2000:]))
        check(rc == 0, "exit %s" % rc)
        rc, out, err = portctl("--daemon", "status")
        check(rc == 2 and "no such pipe" in err, "the pipe is still there: "
              + out + err)


# ---- the service ------------------------------------------------------------

def sc_state(name="portd"):
    rc, out, err = run(["wine", "sc", "query", name])
    m = re.search(r"STATE\s*:\s*\d+\s+(\w+)", out)
    return m.group(1) if m else None


class Service:
    def __init__(self):
        self.dir = os.path.join(env["WINEPREFIX"], "drive_c", "portd")
        self.exe = os.path.join(self.dir, "portd.exe")
        self.log = os.path.join(env["WINEPREFIX"], "drive_c",
                                "ProgramData", "portd", "portd.log")

    def install_files(self):
        os.makedirs(self.dir, exist_ok=True)
        shutil.copy(exe("portd.exe"), self.exe)

    def service_log(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def start_and_query(self):
        rc, out, err = run(["wine", "sc", "start", "portd"])
        check(rc == 0, "sc start: exit %s: %s%s" % (rc, out, err))
        wait_for("the service to run", lambda: sc_state() == "RUNNING")
        # Through the default pipe, \\.\pipe\portd.
        wait_for("the service's pipe",
                 lambda: portctl("--daemon", "status", pipe=None)[0] == 0)
        rc, out, err = portctl("status", pipe=None)
        check(rc == 0 and re.search(r"^source +iphlpapi$", out, re.M),
              out + err)

    def remove(self):
        """After a test, pass or fail: no service left for the next."""
        if sc_state() is None:
            return
        run(["wine", "sc", "stop", "portd"])
        try:
            wait_for("the service to stop",
                     lambda: sc_state() in ("STOPPED", None), timeout=60)
        finally:
            run(["wine", "sc", "delete", "portd"])

    def demand(self):
        try:
            self._demand()
        finally:
            self.remove()

    def installer(self):
        try:
            self._installer()
        finally:
            self.remove()

    def _demand(self):
        """Registered by sc with demand start, as an administrator would."""
        self.install_files()
        rc, out, err = run(["wine", "sc", "create", "portd", "binPath=",
                            r"C:\portd\portd.exe --service", "start=",
                            "demand"])
        check(rc == 0, "sc create: exit %s: %s%s" % (rc, out, err))
        check(sc_state() == "STOPPED", "not stopped after create")
        self.start_and_query()
        rc, out, err = run(["wine", "sc", "stop", "portd"])
        check(rc == 0, "sc stop: exit %s: %s%s" % (rc, out, err))
        wait_for("the service to stop", lambda: sc_state() == "STOPPED")
        log = self.service_log()
        check("service stop: stopping" in log and
              "service stopped (exit status 0)" in log,
              "service log: " + log[-2000:])
        rc, out, err = run(["wine", "sc", "delete", "portd"])
        check(rc == 0, "sc delete: exit %s: %s%s" % (rc, out, err))
        check(sc_state() is None, "still registered")

    def _installer(self):
        """portd.exe --install-service / --uninstall-service."""
        self.install_files()
        rc, out, err = run(["wine", self.exe, "--install-service"])
        check(rc == 0 and "service installed" in out,
              "exit %s: %s%s" % (rc, out, err))
        check(r'C:\portd\portd.exe" --service' in out, out)
        check(sc_state() == "STOPPED", "not registered")
        rc, out, err = run(["wine", self.exe, "--install-service"])
        check(rc == 1 and "already installed" in err, out + err)
        self.start_and_query()
        rc, out, err = run(["wine", self.exe, "--uninstall-service"],
                           timeout=120)
        check(rc == 0 and "service removed" in out,
              "exit %s: %s%s" % (rc, out, err))
        check(sc_state() is None, "still registered")
        check(portctl("--daemon", "status", pipe=None)[0] == 2,
              "the service still answers")
        rc, out, err = run(["wine", self.exe, "--uninstall-service"])
        check(rc == 1 and "not installed" in err, out + err)


def main():
    global build, logdir, env
    if len(sys.argv) != 2:
        print("usage: run.py BUILD_DIR", file=sys.stderr)
        return 2
    build = os.path.abspath(sys.argv[1])
    reexec_in_namespaces()
    # One run at a time per build directory: the prefix, the logs and the
    # pipe and service names are this run's alone.
    lock = open(os.path.join(build, "test.lock"), "w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        say("another run holds %s: waiting" % lock.name)
        fcntl.flock(lock, fcntl.LOCK_EX)
    logdir = os.path.join(build, "test-logs")
    shutil.rmtree(logdir, ignore_errors=True)
    os.makedirs(logdir)
    env = wine_env(os.path.join(build, "wineprefix"))
    if os.environ.get("PORTD_WIN_NS") == "1":
        # A new network namespace starts with its loopback down.
        if subprocess.run(["ip", "link", "set", "lo", "up"]).returncode:
            say("FAIL: cannot bring up the namespace's loopback")
            print("RESULT passed=0 failed=1")
            return 1
        say("private network and pid namespaces")
    t0 = time.monotonic()
    try:
        if not test("wine prefix (fresh, headless)", wine_start,
                    env["WINEPREFIX"]):
            return 1
        unit_tests()
        e = E2E()
        if test("console portd answers on " + PIPE, e.start_portd):
            test("status", e.status)
            test("list --json: the listener's sockets", e.list_json)
            test("who PORT (table)", e.who_table)
            test("who each socket (--json, --tcp/--udp, -4/-6)",
                 e.who_each)
            test("who of a free port: exit 1", e.who_none)
            test("--direct who (no daemon)", e.direct)
            test("events: bind and unbind", e.events)
            test("400 more listeners: replies over 64 KiB", e.many)
            test("kill of an unowned socket: not signalled", e.kill_unowned)
            test("reload", e.reload)
            test("kill by port (owner named by Wine): TerminateProcess",
                 e.kill_by_port)
            test("reaper: a rule terminates a squatter", e.reaper)
            test("second portd on the same pipe: refused",
                 e.second_instance)
            test("a Unix socket path: refused", e.bad_endpoint)
            test("console stop (Ctrl-C)", e.stop_console)
        s = Service()
        test("service: sc create (demand), start, query, sc stop, "
             "delete", s.demand)
        test("service: --install-service, start, query, "
             "--uninstall-service", s.installer)
    finally:
        wine_stop()
        if failed == 0:
            # ~700 MB; kept after a failure, to look at.
            shutil.rmtree(env["WINEPREFIX"], ignore_errors=True)
    say("%d passed, %d failed, %d skipped in %.0f s (logs in %s)"
        % (passed, failed, skipped, time.monotonic() - t0, logdir))
    print("RESULT passed=%d failed=%d" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
