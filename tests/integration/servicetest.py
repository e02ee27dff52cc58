"""servicetest.py - helpers for the tests of portd as a systemd service.

No systemd runs as pid 1 where these tests run, so nothing here starts a
real service. Instead the tests play systemd's part with its documented
interfaces:

  NotifyReceiver(dir, control=PATH)   the sd_notify(3) datagram socket
                                      systemd would own (a path, or an
                                      abstract "@name"): a thread reads
                                      every message; when one says
                                      READY=1 it notes whether the control
                                      socket existed and tries ONE hello
                                      on it right then
  start_portd(args, env, wrapper, fd3)  build/portd with the environment
                                      systemd would set; wrapper= runs it
                                      through sh so that LISTEN_PID=$$ or
                                      WATCHDOG_PID=$$ is portd's own pid,
                                      fd3= becomes its descriptor 3
  hello(path)                         one hello on a fresh connection
  unit_text(name), unit_settings()    the unit files in systemd/, parsed
  units_for_verify(dir)               copies with ExecStart= pointing at
                                      the built portd
  man_tree(dir)                       man1/ man5/ man8/ with our pages, a
                                      MANPATH for systemd-analyze verify
  render_man(page), section(), options_in(), option_aliases()
                                      rendered pages and the options they
                                      (or usage()) name

Only processes a test started are ever signalled, through their Popen
object; waits poll with generous deadlines.
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import uuid

from portdtest import BUILD, PORTD, REPO, WAIT_TIMEOUT, wait_until

UNIT_DIR = os.path.join(REPO, "systemd")
MAN_DIR = os.path.join(REPO, "man")
OUR_PAGES = ("portctl.1", "portd.conf.5", "portd.8")

# Variables systemd sets that must not leak into a test's portd from
# whatever runs the suite.
SYSTEMD_ENV = ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID",
               "LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES", "JOURNAL_STREAM")


def make_tmpdir(prefix="portd-svc-"):
    d = tempfile.mkdtemp(prefix=prefix)
    os.chmod(d, 0o755)
    return d


def hello(path, timeout=WAIT_TIMEOUT):
    """One hello on a fresh connection: True if portd answered it."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(path)
        s.sendall(b'{"v":1,"id":"svc","cmd":"hello"}\n')
        buf = b""
        while b"\n" not in buf:
            chunk = s.recv(4096)
            if not chunk:
                return False
            buf += chunk
        reply = json.loads(buf.split(b"\n", 1)[0])
        return bool(reply.get("ok") and
                    reply["result"].get("daemon") == "portd")
    except (OSError, ValueError):
        return False
    finally:
        s.close()


# ---- the notification socket ------------------------------------------

def parse_notify(data):
    """A datagram -> {KEY: value} (the last of a repeated key wins)."""
    fields = {}
    for line in data.decode(errors="replace").split("\n"):
        key, sep, value = line.partition("=")
        if sep:
            fields[key] = value
    return fields


class NotifyReceiver:
    """The datagram socket systemd listens on for sd_notify messages.

    .address is what NOTIFY_SOCKET must say. .messages() is every message
    so far: dicts with "fields", "raw", "control_existed" (the control
    socket path existed when it arrived) and, for READY=1, "hello" (one
    hello sent to the control socket the moment READY=1 came: did it
    succeed?).
    """

    def __init__(self, tmpdir, control=None, abstract=False):
        self.control = control
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        if abstract:
            name = "portd-test-%s" % uuid.uuid4().hex
            self.sock.bind("\0" + name)
            self.address = "@" + name
        else:
            self.address = os.path.join(tmpdir, "notify.sock")
            self.sock.bind(self.address)
        self.sock.settimeout(0.2)
        self._msgs = []
        self._lock = threading.Lock()
        self._stop = False
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop:
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                return
            fields = parse_notify(data)
            msg = {"raw": data, "fields": fields,
                   "control_existed": (self.control is not None and
                                       os.path.exists(self.control))}
            if fields.get("READY") == "1" and self.control is not None:
                msg["hello"] = hello(self.control)
            with self._lock:
                self._msgs.append(msg)

    def messages(self):
        with self._lock:
            return list(self._msgs)

    def find(self, pred, start=0):
        """Index of the first message from start on that pred accepts."""
        msgs = self.messages()
        for i in range(start, len(msgs)):
            if pred(msgs[i]["fields"]):
                return i
        return None

    def wait_for(self, pred, start=0, timeout=WAIT_TIMEOUT):
        """Waits for such a message; its index, or None on timeout."""
        found = wait_until(lambda: self.find(pred, start) is not None,
                           timeout)
        return self.find(pred, start) if found else None

    def count(self, pred):
        return sum(1 for m in self.messages() if pred(m["fields"]))

    def close(self):
        self._stop = True
        self._thread.join(WAIT_TIMEOUT)
        self.sock.close()


def is_set(key, value="1"):
    """A predicate on fields: KEY=value is in the message."""
    return lambda f: f.get(key) == value


# ---- portd as systemd would start it -----------------------------------

class PortdProcess:
    """build/portd started with a systemd-like environment.

    args: portd's arguments. env: variables to set (the SYSTEMD_ENV ones
    are otherwise removed). wrapper: shell assignments made just before
    exec, where $$ is portd's pid ("LISTEN_PID=$$"). fd3: a socket that
    becomes portd's descriptor 3.
    """

    def __init__(self, args, env=None, wrapper=None, fd3=None):
        full_env = {k: v for k, v in os.environ.items()
                    if k not in SYSTEMD_ENV}
        full_env.update(env or {})
        argv = [PORTD] + [str(a) for a in args]
        pass_fds = ()
        if wrapper is not None or fd3 is not None:
            script = 'exec "$@"'
            if fd3 is not None:
                n = fd3.fileno()
                pass_fds = (n,)
                if n != 3:
                    script += " 3<&%d %d<&-" % (n, n)
            if wrapper:
                script = wrapper + " " + script
            argv = ["sh", "-c", script, "sh"] + argv
        fd, self.log_path = tempfile.mkstemp(prefix="portd-svc-log-")
        self._log = os.fdopen(fd, "w")
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                     stdout=self._log, stderr=self._log,
                                     env=full_env, pass_fds=pass_fds)
        self.pid = self.proc.pid        # sh execs portd: the same pid

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def alive(self):
        return self.proc.poll() is None

    def send_signal(self, sig):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)

    def wait(self, timeout=WAIT_TIMEOUT):
        """The exit status, or None if it still runs after timeout."""
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, sig=signal.SIGTERM):
        """Sends sig and returns the exit status (SIGKILL if ignored)."""
        self.send_signal(sig)
        rc = self.wait()
        if rc is None:
            self.proc.kill()
            rc = self.proc.wait(timeout=WAIT_TIMEOUT)
        return rc

    def cleanup(self):
        if self.alive():
            self.stop()
        if not self._log.closed:
            self._log.close()
        try:
            os.unlink(self.log_path)
        except FileNotFoundError:
            pass


# ---- unit files ----------------------------------------------------------

def unit_text(name):
    with open(os.path.join(UNIT_DIR, name)) as f:
        return f.read()


def unit_settings(name):
    """{(section, key): [values]} of a unit file, comments left out."""
    settings, section = {}, None
    for line in unit_text(name).splitlines():
        line = line.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            continue
        key, _, value = line.partition("=")
        settings.setdefault((section, key.strip()), []).append(
            value.strip())
    return settings


def units_for_verify(tmpdir):
    """Both units copied to tmpdir, ExecStart= naming the built portd the
    way make install names the installed one. Returns their paths."""
    paths = []
    for name in ("portd.service", "portd.socket"):
        text = unit_text(name).replace("@SBINDIR@", BUILD)
        path = os.path.join(tmpdir, name)
        with open(path, "w") as f:
            f.write(text)
        paths.append(path)
    return paths


def man_tree(tmpdir):
    """A MANPATH directory holding our pages in man1/ man5/ man8/."""
    root = os.path.join(tmpdir, "man")
    for page in os.listdir(MAN_DIR):
        m = re.match(r".*\.([158])$", page)
        if m:
            d = os.path.join(root, "man" + m.group(1))
            os.makedirs(d, exist_ok=True)
            shutil.copy(os.path.join(MAN_DIR, page), d)
    return root


# ---- manual pages and usage ---------------------------------------------

def render_man(page):
    """The page as plain text (mandoc -Tascii, overstrike removed), wide
    enough that no option is split across lines."""
    out = subprocess.run(["mandoc", "-Tascii", "-Owidth=250",
                          os.path.join(MAN_DIR, page)],
                         capture_output=True, check=True).stdout
    return re.sub(r".\x08", "", out.decode(errors="replace"))


def section(text, name):
    """The body of one section (NAME, SYNOPSIS ...) of a rendered page."""
    lines, inside = [], False
    for line in text.splitlines():
        if re.match(r"^[A-Z][A-Z ]+$", line):
            inside = line == name
            continue
        if inside:
            lines.append(line)
    return "\n".join(lines)


_OPTION = re.compile(r"(?<![\w-])(--?[A-Za-z0-9][A-Za-z0-9-]*)")


def options_in(text, aliases=None):
    """Every option named in text, short clusters split (-hjV -> -h -j
    -V), long ones mapped to their short alias when aliases has one."""
    found = set()
    for tok in _OPTION.findall(text):
        if tok.startswith("--"):
            found.add(tok)
        else:
            found.update("-" + c for c in tok[1:])
    aliases = aliases or {}
    return {aliases.get(o, o) for o in found}


def option_aliases(rendered):
    """{--long: -s} from a page's option list ("-j, --json")."""
    pairs = re.findall(r"^\s+(-[A-Za-z0-9])(?: \w+)?, (--[a-z][a-z-]*)",
                       rendered, re.M)
    return {long: short for short, long in pairs}


def usage_text(binary):
    p = subprocess.run([binary, "--help"], capture_output=True, text=True,
                       timeout=60)
    return p.returncode, p.stdout


def longopts_in_source(path):
    """The names in a C file's `struct option longopts[]` table."""
    with open(path) as f:
        text = f.read()
    m = re.search(r"struct option longopts\[\] = \{(.*?)\n\};", text, re.S)
    if m is None:
        return set()
    return {"--" + n for n in re.findall(r'\{\s*"([a-z][a-z-]*)"',
                                         m.group(1))}
