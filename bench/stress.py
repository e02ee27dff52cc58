#!/usr/bin/env python3
"""stress.py - portd under the attacks any local user can make on its
0666 control socket (issue 12, section 3), each for a bounded time:

  status / list / events   one client pipelines the request as fast as
                           the socket takes it and never reads a reply
  events 51 KB             51 KB of pipelined `events` requests at once
  256 idle (nobody)        256 connections from nobody, held silent
  kill jobs (nobody)       10,000 pipelined one-hour kills from nobody of
                           its own listener, which ignores SIGTERM

Meanwhile another client (root) asks `status` on a fresh connection every
20 ms; for each attack it prints portd's largest RSS (target: under
64 MiB), the slowest `status` (target: 100 ms) and portd's CPU. Then portd
gets SIGTERM with an attacker still connected and must exit 0.

It starts its own portd on a socket in a temp dir, binds loopback only,
signals only processes it started (by pid), and writes its figures to
bench/results/stress.json and the "Stress" section of bench/RESULTS.md.
Run as root (setuid to nobody for the attacks of another user):
    python3 bench/stress.py --build build
STRESS_SECONDS (default 5) sets each attack's duration.
"""
import argparse
import json
import os
import pwd
import grp
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from run import machine  # noqa: E402  (the same machine record as run.py)

RSS_TARGET = 64 * 1024 * 1024
LATENCY_TARGET_MS = 100.0
SAMPLE_S = 0.02
SECTION = "## Stress"

# The nobody child of the kill attack: a listener that ignores SIGTERM,
# then N pipelined kills of its own port on one connection, whose replies
# it reads until its stdin closes.
KILL_CHILD = r"""
import json, os, select, signal, socket, sys
signal.signal(signal.SIGTERM, signal.SIG_IGN)
path, n = sys.argv[1], int(sys.argv[2])
ls = socket.socket(); ls.bind(("127.0.0.1", 0)); ls.listen()
port = ls.getsockname()[1]
print(json.dumps({"port": port, "pid": os.getpid()}), flush=True)
sys.stdin.readline()            # go
c = socket.socket(socket.AF_UNIX); c.connect(path)
req = b"".join(json.dumps({"id": i, "cmd": "kill", "ports": ["%d/tcp" % port],
    "signal": "TERM", "timeout_ms": 3600000}).encode() + b"\n"
    for i in range(n))
c.setblocking(False)
off, buf, replies = 0, b"", {}
while True:
    w = [c] if off < len(req) else []
    r, w, _ = select.select([c, sys.stdin], w, [], 1.0)
    if sys.stdin in r:
        break
    if w:
        try:
            off += c.send(req[off:off + 65536])
        except BlockingIOError:
            pass
    if c in r:
        chunk = c.recv(65536)
        if not chunk:
            break
        buf += chunk
        while b"\n" in buf:
            line, _, buf = buf.partition(b"\n")
            rep = json.loads(line)
            key = "ok" if rep.get("ok") else rep["error"]["code"]
            replies[key] = replies.get(key, 0) + 1
print(json.dumps({"sent": off, "replies": replies}), flush=True)
"""

# The nobody child of the idle attack: N connections held silent.
IDLE_CHILD = r"""
import json, socket, sys
path, n = sys.argv[1], int(sys.argv[2])
conns, failed = [], 0
for _ in range(n):
    s = socket.socket(socket.AF_UNIX)
    try:
        s.connect(path); conns.append(s)
    except OSError:
        failed += 1
print(json.dumps({"connected": len(conns), "failed": failed}), flush=True)
sys.stdin.readline()
refused = 0
for s in conns:
    s.setblocking(False)
    try:
        data = s.recv(4096)
        if b"too_many_clients" in data:
            refused += 1
    except BlockingIOError:
        pass
print(json.dumps({"refused": refused}), flush=True)
"""


def log(msg):
    print(msg, flush=True)


class Portd:
    def __init__(self, build, tmp):
        self.path = os.path.join(tmp, "portd.sock")
        self.log_path = os.path.join(tmp, "portd.log")
        self.logf = open(self.log_path, "w")
        conf = os.path.join(tmp, "portd.conf")
        with open(conf, "w") as f:
            f.write("{}\n")
        self.proc = subprocess.Popen(
            [os.path.join(build, "portd"), "-S", self.path, "-c", conf,
             "-i", "1000"], stdout=self.logf, stderr=subprocess.STDOUT)
        self.pid = self.proc.pid
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit("portd exited: " + self.log_tail())
            if status_ms(self.path, 1.0) is not None:
                return
            time.sleep(0.1)
        raise SystemExit("portd did not answer: " + self.log_tail())

    def log_tail(self):
        self.logf.flush()
        with open(self.log_path) as f:
            return "".join(f.readlines()[-5:])

    def rss(self):
        try:
            with open("/proc/%d/status" % self.pid) as f:
                for ln in f:
                    if ln.startswith("VmRSS:"):
                        return int(ln.split()[1]) * 1024
        except OSError:
            pass
        return 0

    def cpu_s(self):
        with open("/proc/%d/stat" % self.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def status_ms(path, timeout, result=None):
    """ms for one `status` on a fresh connection, None if no answer;
    result (a dict) gets the reply's result."""
    t0 = time.monotonic()
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(path)
        s.sendall(b'{"v":1,"id":1,"cmd":"status"}\n')
        buf = b""
        while b"\n" not in buf:
            chunk = s.recv(65536)
            if not chunk:
                return None
            buf += chunk
        reply = json.loads(buf.partition(b"\n")[0])
        if not reply.get("ok"):
            return None
        if result is not None:
            result.update(reply["result"])
    except (OSError, ValueError):
        return None
    finally:
        s.close()
    return (time.monotonic() - t0) * 1000


MONITOR_CHILD = r"""
import json, select, sys
sys.path.insert(0, sys.argv[1])
import stress
portd = stress.Portd.__new__(stress.Portd)
portd.path, portd.pid = sys.argv[2], int(sys.argv[3])
def fresh():
    return {"max_rss": 0, "max_ms": 0.0, "failed": 0, "samples": 0,
            "max_snapshot_ms": 0.0}
st = fresh()
while True:
    r, _, _ = select.select([sys.stdin], [], [], stress.SAMPLE_S)
    if r:
        if not sys.stdin.readline():
            break
        print(json.dumps(st), flush=True)
        st = fresh()
        continue
    st["max_rss"] = max(st["max_rss"], portd.rss())
    res = {}
    ms = stress.status_ms(portd.path, 5.0, res)
    st["max_snapshot_ms"] = max(st["max_snapshot_ms"],
                                res.get("last_snapshot_ms", 0.0))
    if ms is None:
        st["failed"] += 1
    else:
        st["max_ms"] = max(st["max_ms"], ms)
    if ms is None or ms > 150:
        sys.stderr.write("stress: slow status: %s ms\n" % ms)
    st["samples"] += 1
    st["max_rss"] = max(st["max_rss"], portd.rss())
"""


class Monitor:
    """Samples portd's RSS and times a `status` every SAMPLE_S, in a
    process of its own (a thread here would wait for this one's GIL,
    not for portd)."""

    def __init__(self, portd):
        self.proc = subprocess.Popen(
            [sys.executable, "-c", MONITOR_CHILD, HERE, portd.path,
             str(portd.pid)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            text=True)

    def take(self):
        """The figures since the last take()."""
        self.proc.stdin.write("\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def stop(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def flood(path, line, seconds):
    """A client that pipelines line and never reads: returns the socket
    (still open) and the bytes the daemon let it send."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.setblocking(False)
    chunk = line * max(1, 65536 // len(line))
    sent = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            sent += s.send(chunk)
        except BlockingIOError:
            time.sleep(0.01)
        except OSError:
            break
    return s, sent


def as_nobody():
    pw = pwd.getpwnam("nobody")
    try:
        gid = grp.getgrnam("nogroup").gr_gid
    except KeyError:
        gid = pw.pw_gid
    return {"user": pw.pw_uid, "group": gid, "extra_groups": []}


def nobody_python():
    for p in ("/usr/bin/python3", "/usr/local/bin/python3"):
        if os.path.exists(p):
            return p
    return sys.executable


def run(args):
    secs = float(os.environ.get("STRESS_SECONDS", "5"))
    tmp = tempfile.mkdtemp(prefix="portd-stress-")
    os.chmod(tmp, 0o755)            # nobody reaches the socket
    portd = None
    holders = []
    results = []
    try:
        portd = Portd(args.build, tmp)
        # A history to ask for: 512 listeners bound and closed (1024
        # events), and 300 kept, so `list` replies have rows.
        for _ in range(512):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            s.listen()
            holders.append(s)
        time.sleep(2.5)
        for s in holders:
            s.close()
        holders = []
        for _ in range(300):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            s.listen()
            holders.append(s)
        time.sleep(2.5)
        mon = Monitor(portd)

        def attack(name, fn):
            time.sleep(0.5)
            mon.take()
            log("stress: %s ..." % name)
            cpu0 = portd.cpu_s()
            t0 = time.monotonic()
            detail = fn()
            wall = time.monotonic() - t0
            cpu = (portd.cpu_s() - cpu0) / wall * 100 if wall > 0 else 0
            m = mon.take()
            r = {"attack": name, "max_rss": m["max_rss"],
                 "status_max_ms": round(m["max_ms"], 1),
                 "snapshot_max_ms": round(m["max_snapshot_ms"], 1),
                 "status_failed": m["failed"], "status_samples":
                 m["samples"], "cpu_pct": round(cpu, 1), "detail": detail,
                 "alive": portd.proc.poll() is None}
            results.append(r)
            log("stress: %-20s RSS %5.1f MiB  status max %6.1f ms (%d "
                "failed of %d)  snapshot max %.1f ms  CPU %5.1f%%  %s" % (
                    name, r["max_rss"] / 1048576, r["status_max_ms"],
                    r["status_failed"], r["status_samples"],
                    r["snapshot_max_ms"], r["cpu_pct"],
                    detail))

        kept = []

        def never_read(cmd):
            def fn():
                s, sent = flood(portd.path, json.dumps(
                    {"v": 1, "id": 1, "cmd": cmd}).encode() + b"\n", secs)
                kept.append(s)
                return "portd took %d KiB of requests, then stopped " \
                    "reading" % (sent // 1024)
            return fn

        attack("status, never read", never_read("status"))
        attack("list, never read", never_read("list"))
        attack("events, never read", never_read("events"))

        def events_51k():
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(portd.path)
            line = b'{"cmd":"events"}\n'
            s.sendall(line * (51 * 1024 // len(line)))
            s.settimeout(0.2)
            got, end = 0, time.monotonic() + secs
            while time.monotonic() < end:
                try:
                    chunk = s.recv(1 << 20)
                except socket.timeout:
                    continue
                if not chunk:
                    break
                got += chunk.count(b"\n")
            s.close()
            return "%d of %d replies read in %.0f s" % (
                got, 51 * 1024 // len(line), secs)

        attack("events 51 KB", events_51k)

        def idle_nobody():
            p = subprocess.Popen([nobody_python(), "-c", IDLE_CHILD,
                                  portd.path, "256"], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, text=True,
                                 **as_nobody())
            first = json.loads(p.stdout.readline())
            time.sleep(secs)
            root_ok = status_ms(portd.path, 5.0) is not None
            p.stdin.write("\n")
            p.stdin.flush()
            second = json.loads(p.stdout.readline())
            p.stdin.close()
            p.wait(timeout=30)
            return "%d connected, %d refused (too_many_clients); root " \
                "served: %s" % (first["connected"], second["refused"],
                                "yes" if root_ok else "NO")

        attack("256 idle (nobody)", idle_nobody)

        def kills_nobody():
            p = subprocess.Popen([nobody_python(), "-c", KILL_CHILD,
                                  portd.path, "10000"],
                                 stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, text=True,
                                 **as_nobody())
            p.stdout.readline()         # its port and pid
            p.stdin.write("go\n")
            p.stdin.flush()
            time.sleep(secs)
            p.stdin.write("\n")
            p.stdin.flush()
            out = json.loads(p.stdout.readline())
            p.stdin.close()
            p.wait(timeout=30)          # it exits: its listener goes
            return "10000 kills sent, replies: %s" % (
                ", ".join("%s %d" % kv for kv in
                          sorted(out["replies"].items())))

        attack("10,000 kills (nobody)", kills_nobody)
        mon.stop()
        # SIGTERM with the never-reading clients still connected.
        t0 = time.monotonic()
        portd.proc.send_signal(signal.SIGTERM)
        try:
            rc = portd.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            rc = None
            portd.proc.kill()
            portd.proc.wait()
        stop = {"exit": rc, "ms": round((time.monotonic() - t0) * 1000, 1)}
        log("stress: SIGTERM: %s" % ("exit %d after %.0f ms" % (
            rc, stop["ms"]) if rc is not None else "IGNORED for 10 s"))
        for s in kept:
            s.close()
        return results, stop
    finally:
        for s in holders:
            s.close()
        if portd is not None and portd.proc.poll() is None:
            portd.proc.kill()
            portd.proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)


def render(res):
    lines = [SECTION, "",
             "`bench/stress.py` (%s, %s, %s s per attack): portd's largest "
             "RSS (target < 64 MiB), the slowest `status` from another "
             "client on a fresh connection every 20 ms (target 100 ms), "
             "the slowest snapshot portd reported meanwhile "
             "(`last_snapshot_ms`: a slow status with a slow snapshot is "
             "the snapshot's time, not the control socket's), portd's CPU, "
             "and SIGTERM at the end." % (
                 res["date"], res["machine"].get("revision", "?"),
                 res["seconds"]), "",
             "| attack | max RSS | slowest status | slowest snapshot | CPU "
             "| what happened |",
             "|---|---:|---:|---:|---:|---|"]
    for r in res["attacks"]:
        ok_rss = r["max_rss"] < RSS_TARGET
        ok_lat = (r["status_max_ms"] <= LATENCY_TARGET_MS and
                  r["status_failed"] == 0)
        lines.append("| %s | %s%.1f MiB%s | %s%.1f ms%s | %.1f ms | %.1f%% "
                     "| %s |" % (
            r["attack"], "" if ok_rss else "**", r["max_rss"] / 1048576,
            "" if ok_rss else "**", "" if ok_lat else "**",
            r["status_max_ms"], "" if ok_lat else "**",
            r.get("snapshot_max_ms", 0.0), r["cpu_pct"],
            r["detail"] + ("" if r["status_failed"] == 0 else
                           "; %d status unanswered" % r["status_failed"])))
    st = res["sigterm"]
    lines += ["", "SIGTERM afterwards, with the never-reading clients still "
              "connected: %s." % ("exit %d after %.0f ms" % (st["exit"],
                                                               st["ms"])
                                  if st["exit"] is not None else
                                  "**ignored for 10 s**"), ""]
    return "\n".join(lines)


def write_results_md(section):
    path = os.path.join(HERE, "RESULTS.md")
    text = ""
    if os.path.exists(path):
        with open(path) as f:
            text = f.read()
    # Replace our section (up to the next "## " heading), or append it.
    start = text.find(SECTION + "\n")
    if start >= 0:
        end = text.find("\n## ", start + len(SECTION))
        text = text[:start] + section + (text[end + 1:] if end >= 0
                                         else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    with open(path, "w") as f:
        f.write(text)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    args = ap.parse_args()
    args.build = os.path.abspath(args.build)
    if os.geteuid() != 0:
        sys.exit("stress: run as root (the attacks of another user setuid "
                 "to nobody)")
    attacks, stop = run(args)
    import datetime
    res = {"attacks": attacks, "sigterm": stop, "machine": machine(),
           "seconds": float(os.environ.get("STRESS_SECONDS", "5")),
           "date": datetime.datetime.now(datetime.timezone.utc).strftime(
               "%Y-%m-%d %H:%M UTC")}
    os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
    with open(os.path.join(HERE, "results", "stress.json"), "w") as f:
        json.dump(res, f, indent=1, sort_keys=True)
    write_results_md(render(res))
    log("stress: wrote bench/results/stress.json and bench/RESULTS.md")
    bad = [a for a in attacks if a["max_rss"] >= RSS_TARGET or
           a["status_failed"] or not a["alive"]]
    sys.exit(1 if bad or stop["exit"] != 0 else 0)


if __name__ == "__main__":
    main()
