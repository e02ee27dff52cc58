"""test_rules.py - the reserved-port rules, end to end: the real portd
(build/portd -c CONFIG -S SOCKET -i 100) judges real squatters (tests/
helpers/holder.py on 127.0.0.1 or ::1; the dual-stack case on [::]) and
the real portctl reports what it did (events, rules, reload).

RulesEnforcedTest shares one portd with one rule per test, each on its own
port (a rule's counters and its respawn bookkeeping are its own); the tests
that need a squatter before portd starts, protect or a reload start their
own. Only processes these tests started are ever signalled, by pid. Waits
poll with generous deadlines; nothing asserts on elapsed time.
"""
import fnmatch
import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import unittest

from daemontest import DEADLINE, LineCollector
from portdtest import (PORTCTL, PORTD, REPO, port_is_free, proc_comm,
                       proc_exe, proc_stat, wait_until)
from rulestest import (RulesPortd, RulesTestCase, config, fixture_files,
                       fixture_messages, pick_ports, rule, write_config)

# The squatters are python3 holders; their command and executable, for
# the allow rules (checked against /proc in the tests).
PY_COMMANDS = "python3*"
PY_EXES = os.path.dirname(os.path.realpath(sys.executable)) + "/python3*"


def dump(pd, port=None):
    """Events and log, for a failure message."""
    try:
        evs = pd.events(port)
    except Exception as e:              # the message must not fail
        evs = "(events failed: %s)" % e
    lines = pd.log().splitlines()
    if port is not None:
        # The log has every bind on the machine: keep what is about us.
        lines = [ln for ln in lines if str(port) in ln or "rule" in ln or
                 "reload" in ln or "started" in ln]
    return "\nevents: %s\nlog:\n%s" % (json.dumps(evs, indent=1),
                                        "\n".join(lines[-100:]))


class RulesEnforcedTest(RulesTestCase):
    """One portd; each test has its own rule(s) on its own port(s)."""

    # key -> [(rule name, rule keys)]: each key gets its own port in
    # setUpClass; several rules under one key share it, in file order.
    RULES = {
        "reap": [("reap", {"action": "terminate", "grace_ms": 3000})],
        "escalate": [("escalate", {"action": "terminate", "grace_ms": 300})],
        "kill": [("kill", {"action": "kill"})],
        "log": [("log", {"action": "log"})],
        "dry-terminate": [("dry-terminate", {"action": "terminate",
                                             "dry_run": True})],
        "dry-kill": [("dry-kill", {"action": "kill", "dry_run": True})],
        "allow-user": [("allow-user", {"action": "kill",
                                       "allow": {"users": ["nobody"]}})],
        "allow-command": [("allow-command", {
            "action": "kill", "allow": {"commands": [PY_COMMANDS]}})],
        "allow-exe": [("allow-exe", {"action": "kill",
                                     "allow": {"exes": [PY_EXES]}})],
        "ipv6": [("ipv6", {"action": "terminate"})],
        "dual": [("dual", {"action": "terminate"})],
        "fork": [("fork", {"action": "terminate"})],
        "watch": [("watch", {"action": "terminate"})],
        "respawn": [("respawn", {"action": "terminate", "grace_ms": 3000})],
        "first-match": [("first-log", {"action": "log"}),
                        ("second-kill", {"action": "kill"})],
        "disabled": [("disabled-kill", {"action": "kill", "enabled": False}),
                     ("after-disabled", {"action": "log"})],
    }

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        ports = pick_ports(len(cls.RULES))
        cls.port = dict(zip(cls.RULES, ports))
        rules = []
        for key, entries in cls.RULES.items():
            for name, keys in entries:
                rules.append(rule(name, cls.port[key], **keys))
        cls.pd = RulesPortd(config(rules, respawn_limit=3,
                                   respawn_window_s=60))

    @classmethod
    def tearDownClass(cls):
        alive = cls.pd.alive()
        log = cls.pd.log()
        rc = cls.pd.stop()
        super().tearDownClass()
        if alive and rc != 0:
            raise AssertionError("portd exited %s on SIGTERM: %s"
                                 % (rc, log))

    def tearDown(self):
        super().tearDown()
        self.assertTrue(self.pd.alive(), "portd died: %s" % self.pd.log())

    # -- helpers --

    # Rules that SIGKILL at once ("kill"), or 300 ms after a SIGTERM the
    # squatter ignores: there a squatter may die before it reports.
    SIGKILLERS = {"kill", "escalate", "allow-user", "allow-command",
                  "allow-exe"}

    def squat(self, key, *extra, **kw):
        """A holder on 127.0.0.1 on the port of rule key. Under a rule
        that SIGKILLs it may be reaped before it reports (see Holder's
        may_die): use self.port[key], not its .port."""
        return self.holder("--tcp4", "127.0.0.1:%d" % self.port[key],
                           *extra, may_die=key in self.SIGKILLERS, **kw)

    def assertViolation(self, port, pid, rule_name, action, dry_run=False):
        v = self.pd.wait_event(port, "violation", pid=pid)
        self.assertIsNotNone(v, "no violation event for pid %d%s"
                             % (pid, dump(self.pd, port)))
        self.assertEqual(v["rule"], rule_name, v)
        self.assertEqual(v["action"], action, v)
        self.assertIs(v["dry_run"], dry_run, v)
        self.assertEqual(v["listener"]["port"], port, v)
        return v

    def assertReaped(self, h, port, rule_name, action):
        """A violation, a reap event for h's pid, h dead, port free;
        returns the reap event."""
        self.assertViolation(port, h.pid, rule_name, action)
        r = self.pd.wait_event(port, "reap", pid=h.pid)
        self.assertIsNotNone(r, "no reap event for pid %d%s"
                             % (h.pid, dump(self.pd, port)))
        self.assertEqual(r["rule"], rule_name, r)
        self.assertEqual(r["action"], action, r)
        self.assertIs(r["dry_run"], False, r)
        self.assertTrue(h.wait_dead(timeout=DEADLINE),
                        "pid %d still runs%s" % (h.pid, dump(self.pd, port)))
        self.assertTrue(wait_until(lambda: port_is_free(port, "tcp"),
                                   DEADLINE), "port %d still held" % port)
        return r

    def assertLeftAlone(self, h, port, rule_name):
        """portd saw h's bind, then several more snapshots; h still runs
        and holds the port; no violation or reap anywhere on the port."""
        self.assertIsNotNone(self.pd.wait_event(port, "bind", pid=h.pid),
                             "portd never saw the bind%s"
                             % dump(self.pd, port))
        self.assertStaysAlive(self.pd, h)
        self.assertHolds(h, port)
        bad = [e for e in self.pd.events(port)
               if e["event"] in ("violation", "reap", "respawn")]
        self.assertEqual(bad, [], "acted on an allowed process%s"
                         % dump(self.pd, port))
        r = self.pd.rules()[rule_name]
        self.assertEqual((r["violations"], r["actions"]), (0, 0), r)

    # -- reaping --

    def test_squatter_is_reaped(self):
        port = self.port["reap"]
        h = self.squat("reap")
        r = self.assertReaped(h, port, "reap", "terminate")
        self.assertEqual(r["outcome"], "exited after SIGTERM", r)
        self.assertEqual(r["listener"]["address"], "127.0.0.1", r)
        c = self.pd.rules()["reap"]
        self.assertEqual((c["violations"], c["actions"], c["failures"],
                          c["respawn_holds"]), (1, 1, 0, 0), c)

    def test_terminate_escalates_to_sigkill(self):
        port = self.port["escalate"]
        h = self.squat("escalate", "--ignore-term")
        r = self.assertReaped(h, port, "escalate", "terminate")
        self.assertTrue(r["outcome"].startswith("killed"), r)
        self.assertIn("SIGKILL", r["outcome"], r)
        # Our child: its status says which signal ended it.
        self.assertEqual(h.proc.returncode, -signal.SIGKILL)

    def test_kill_action_sends_sigkill(self):
        port = self.port["kill"]
        h = self.squat("kill")
        r = self.assertReaped(h, port, "kill", "kill")
        self.assertIn("killed", r["outcome"], r)
        self.assertIn("SIGKILL", r["outcome"], r)
        self.assertNotIn("SIGTERM", r["outcome"], r)
        self.assertEqual(h.proc.returncode, -signal.SIGKILL)

    def test_ipv6_squatter_is_reaped(self):
        port = self.port["ipv6"]
        h = self.holder("--tcp6", "::1:%d" % port)
        r = self.assertReaped(h, port, "ipv6", "terminate")
        self.assertEqual(r["outcome"], "exited after SIGTERM", r)
        self.assertEqual((r["listener"]["family"],
                          r["listener"]["address"]), ("ipv6", "::1"), r)

    def test_dual_stack_squatter_is_reaped(self):
        port = self.port["dual"]
        h = self.holder("--dual", port)
        r = self.assertReaped(h, port, "dual", "terminate")
        self.assertEqual(r["outcome"], "exited after SIGTERM", r)
        self.assertEqual((r["listener"]["family"], r["listener"]["address"],
                          r["listener"]["v6only"]), ("ipv6", "::", False), r)

    def test_forked_squatter_every_holder_is_reaped(self):
        # portd.conf(5): a socket held by several processes is judged
        # once per process.
        port = self.port["fork"]
        h = self.squat("fork", "--fork")
        self.assertIsNotNone(h.child, "the holder forked no child")
        for pid in h.pids:
            self.assertViolation(port, pid, "fork", "terminate")
            self.assertIsNotNone(self.pd.wait_event(port, "reap", pid=pid),
                                 "no reap for pid %d%s"
                                 % (pid, dump(self.pd, port)))
            self.assertTrue(h.wait_dead(pid, timeout=DEADLINE))
        self.assertTrue(wait_until(lambda: port_is_free(port, "tcp"),
                                   DEADLINE))

    def test_watch_streams_violation_and_reap(self):
        port = self.port["watch"]
        watchers = self.pd.portd.status()["watchers"]
        proc = subprocess.Popen([PORTCTL, "-S", self.pd.path, "watch",
                                 "--json", str(port)],
                                stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL)

        def stop():
            if proc.poll() is None:
                proc.terminate()
            proc.wait(timeout=DEADLINE)
            proc.stdout.close()
        self.addCleanup(stop)
        lines = LineCollector(proc.stdout)
        self.assertTrue(wait_until(
            lambda: self.pd.portd.status()["watchers"] > watchers, DEADLINE))
        h = self.squat("watch")

        def event(kind):
            return lines.wait_for(
                lambda e: isinstance(e, dict) and e.get("event") == kind and
                e["listener"].get("pid") == h.pid)
        bind, viol, reap = event("bind"), event("violation"), event("reap")
        self.assertTrue(bind and viol and reap, lines.snapshot())
        self.assertLess(bind["seq"], viol["seq"])
        self.assertLess(viol["seq"], reap["seq"])
        self.assertEqual((viol["rule"], viol["action"]),
                         ("watch", "terminate"), viol)
        self.assertEqual(reap["outcome"], "exited after SIGTERM", reap)
        self.assertTrue(h.wait_dead(timeout=DEADLINE))
        unbind = event("unbind")
        self.assertIsNotNone(unbind, lines.snapshot())
        self.assertIsNone(proc.poll(), "portctl watch ended")

    # -- rules that do not signal --

    def test_log_action_never_signals(self):
        port = self.port["log"]
        h = self.squat("log")
        self.assertViolation(port, h.pid, "log", "log")
        self.assertStaysAlive(self.pd, h)
        self.assertHolds(h, port)
        self.assertEqual(self.pd.find_events(port, "reap"), [],
                         dump(self.pd, port))
        c = self.pd.rules()["log"]
        self.assertEqual((c["violations"], c["actions"]), (1, 0), c)

    def check_dry_run(self, key, action, would):
        port = self.port[key]
        h = self.squat(key)
        self.assertViolation(port, h.pid, key, action, dry_run=True)
        r = self.pd.wait_event(port, "reap", pid=h.pid)
        self.assertIsNotNone(r, "no dry-run reap event%s"
                             % dump(self.pd, port))
        self.assertIs(r["dry_run"], True, r)
        self.assertEqual(r["action"], action, r)
        self.assertIn("dry run", r["outcome"], r)
        self.assertIn(would, r["outcome"], r)
        self.assertStaysAlive(self.pd, h)
        self.assertHolds(h, port)
        c = self.pd.rules()[key]
        self.assertEqual((c["violations"], c["actions"]), (1, 0), c)

    def test_dry_run_terminate_never_signals(self):
        self.check_dry_run("dry-terminate", "terminate", "SIGTERM")

    def test_dry_run_kill_never_signals(self):
        self.check_dry_run("dry-kill", "kill", "SIGKILL")

    # -- allowed processes --

    def test_allowed_by_user_is_left_alone(self):
        port = self.port["allow-user"]
        # The rule is live: root's squatter goes ...
        root = self.squat("allow-user")
        self.assertReaped(root, port, "allow-user", "kill")
        before = self.pd.rules()["allow-user"]
        # ... nobody's stays.
        h = self.squat("allow-user", as_user="nobody")
        self.assertIsNotNone(self.pd.wait_event(port, "bind", pid=h.pid),
                             dump(self.pd, port))
        self.assertStaysAlive(self.pd, h)
        self.assertHolds(h, port)
        self.assertEqual(self.pd.find_events(port, "violation", pid=h.pid),
                         [], dump(self.pd, port))
        after = self.pd.rules()["allow-user"]
        self.assertEqual((after["violations"], after["actions"]),
                         (before["violations"], before["actions"]), after)

    def test_allowed_by_command_is_left_alone(self):
        port = self.port["allow-command"]
        h = self.squat("allow-command")
        comm = proc_comm(h.pid)
        self.assertTrue(fnmatch.fnmatchcase(comm, PY_COMMANDS),
                        "the holder's comm is %r" % comm)
        self.assertLeftAlone(h, port, "allow-command")

    def test_allowed_by_exe_glob_is_left_alone(self):
        port = self.port["allow-exe"]
        h = self.squat("allow-exe")
        exe = proc_exe(h.pid)
        self.assertTrue(fnmatch.fnmatchcase(exe, PY_EXES),
                        "the holder's exe is %r" % exe)
        self.assertLeftAlone(h, port, "allow-exe")

    # -- which rule decides --

    def test_first_enabled_rule_decides(self):
        # rules.h: the first enabled rule whose ports match decides (a
        # "log" rule before a "kill" rule on the same port: only logged).
        # NB: portd.conf(5) "Matching" and conf/portd.conf describe every
        # rule judged on its own with the strictest action winning, which
        # would kill here; the code and this test follow rules.h.
        port = self.port["first-match"]
        h = self.squat("first-match")
        self.assertViolation(port, h.pid, "first-log", "log")
        self.assertStaysAlive(self.pd, h)
        rules = self.pd.rules()
        self.assertEqual(rules["second-kill"]["violations"], 0, rules)
        self.assertEqual(self.pd.find_events(port, "reap"), [],
                         dump(self.pd, port))

    def test_disabled_rule_is_skipped(self):
        port = self.port["disabled"]
        h = self.squat("disabled")
        self.assertViolation(port, h.pid, "after-disabled", "log")
        self.assertStaysAlive(self.pd, h)
        rules = self.pd.rules()
        self.assertIs(rules["disabled-kill"]["enabled"], False)
        self.assertEqual(rules["disabled-kill"]["violations"], 0, rules)

    # -- respawn --

    def test_respawning_squatter_reports_its_supervisor(self):
        port = self.port["respawn"]
        sup = self.supervisor(port)
        sup_comm = proc_comm(sup.pid)
        ev = self.pd.wait_event(port, "respawn", rule="respawn")
        self.assertIsNotNone(ev, "no respawn event; supervisor started %s%s"
                             % (sup.children(), dump(self.pd, port)))
        self.assertEqual(ev["parent_pid"], sup.pid, ev)
        self.assertEqual(ev["parent_command"], sup_comm, ev)
        self.assertEqual(ev["listener"]["ppid"], sup.pid, ev)
        self.assertIn("unit", ev)
        held = ev["listener"]["pid"]

        # respawn_limit (3) actions, each on a holder of the supervisor;
        # the one held is the next.
        # (The last reap event may come after the hold: a reap is
        # reported when its process is gone, the hold at the next bind.)
        def reaps():
            return self.pd.find_events(port, "reap", rule="respawn")
        wait_until(lambda: len(reaps()) >= 3, DEADLINE)
        self.assertEqual(len(reaps()), 3, dump(self.pd, port))
        children = sup.children()
        for r in reaps():
            self.assertIn(r["listener"]["pid"], children, r)
            self.assertEqual(r["outcome"], "exited after SIGTERM", r)
        self.assertNotIn(held, [r["listener"]["pid"] for r in reaps()])
        self.assertIn(held, children)

        # Held: it stays, and nothing more is done to it.
        self.assertTrue(self.pd.wait_ticks(5))
        st = proc_stat(held)
        self.assertTrue(st is not None and st[0] not in "ZXx",
                        "the held squatter died%s" % dump(self.pd, port))
        self.assertEqual(sup.children()[-1], held, "restarted again")
        self.assertEqual(len(self.pd.find_events(port, "reap")), 3)
        c = self.pd.rules()["respawn"]
        self.assertEqual((c["respawn_holds"], c["actions"]), (1, 3), c)

        # The supervisor ends, and its squatter with it.
        rc, left = sup.stop()
        self.assertEqual(rc, 0, "supervisor exit status")
        self.assertEqual(left, [], "processes left behind")
        self.assertTrue(wait_until(lambda: port_is_free(port, "tcp"),
                                   DEADLINE))


class StartupAndProtectTest(RulesTestCase):
    """Tests that start their own portd."""

    def test_squatter_present_at_startup_is_reaped(self):
        port, = pick_ports(1)
        h = self.holder("--tcp4", "127.0.0.1:%d" % port)
        pd = self.start_portd(config([rule("early", port,
                                           action="terminate")]))
        v = pd.wait_event(port, "violation", pid=h.pid)
        self.assertIsNotNone(v, dump(pd, port))
        self.assertEqual(v["rule"], "early")
        r = pd.wait_event(port, "reap", pid=h.pid)
        self.assertIsNotNone(r, dump(pd, port))
        self.assertEqual(r["outcome"], "exited after SIGTERM", r)
        self.assertTrue(h.wait_dead(timeout=DEADLINE), dump(pd, port))
        self.assertTrue(wait_until(lambda: port_is_free(port, "tcp"),
                                   DEADLINE))

    def start_protected(self, as_user=None):
        """portd with protect matching root's processes named like the
        holders and a kill rule; returns (portd, port, holder), the
        holder run as_user."""
        port, = pick_ports(1)
        pd = self.start_portd(config(
            [rule("protected", port, action="kill")],
            protect={"commands": ["sshd", PY_COMMANDS],
                     "uids": [os.getuid()]}))
        h = self.holder("--tcp4", "127.0.0.1:%d" % port, as_user=as_user,
                        may_die=as_user is not None)
        if as_user is None:         # (nobody's may be dead already)
            self.assertTrue(fnmatch.fnmatchcase(proc_comm(h.pid),
                                                PY_COMMANDS))
        self.assertIsNotNone(pd.wait_event(port, "bind", pid=h.pid),
                             dump(pd, port))
        return pd, port, h

    def test_protect_commands_spares_process(self):
        pd, port, h = self.start_protected()
        self.assertStaysAlive(pd, h)
        self.assertHolds(h, port)
        self.assertEqual(pd.find_events(port, "reap"), [], dump(pd, port))
        self.assertEqual(pd.rules()["protected"]["actions"], 0)

    def test_protect_needs_more_than_a_name(self):
        # The same command name from another user: not protected.
        if os.getuid() != 0:
            self.skipTest("needs root to run a holder as nobody")
        pd, port, h = self.start_protected(as_user="nobody")
        bind = pd.find_events(port, "bind", pid=h.pid)[0]
        self.assertTrue(fnmatch.fnmatchcase(bind["listener"]["command"],
                                            PY_COMMANDS), bind)
        self.assertEqual(bind["listener"]["user"], "nobody", bind)
        r = pd.wait_event(port, "reap", pid=h.pid)
        self.assertIsNotNone(r, dump(pd, port))
        self.assertTrue(h.wait_dead(timeout=DEADLINE), dump(pd, port))
        v = pd.find_events(port, "violation", pid=h.pid)
        self.assertTrue(v, dump(pd, port))
        self.assertNotIn("protected", v[0].get("outcome") or "")

    def test_protect_commands_alone_is_refused(self):
        port, = pick_ports(1)
        pd = self.start_portd(config([rule("r", port, action="kill")]))
        write_config(pd.config_path, config(
            [rule("r", port, action="kill")],
            protect={"commands": [PY_COMMANDS]}))
        rc, out, err = pd.reload()
        self.assertEqual(rc, 2, (out, err))
        self.assertIn("protect.commands: a command name alone protects "
                      "nothing", err)
        self.assertIn("protect.uids", err)
        self.assertEqual(list(pd.rules()), ["r"])

    def test_protected_squatter_is_still_reported(self):
        pd, port, h = self.start_protected()
        v = pd.wait_event(port, "violation", pid=h.pid)
        self.assertIsNotNone(v, dump(pd, port))
        self.assertEqual(v["rule"], "protected")
        self.assertStaysAlive(pd, h)


class ReloadTest(RulesTestCase):
    """Reloads change a running portd's rules, or, for a broken file, do
    nothing but report every error."""

    def broken_configs(self, path, old_port, new_port):
        """(label, text, [exact messages]) for three broken files of
        ours, each also reserving new_port for a kill rule so that a
        half-applied reload would show, then for every tests/fixtures/
        config/bad_*.conf (its messages from the README)."""
        good = [rule("old", old_port, action="terminate")]
        new = rule("new", new_port, action="kill")
        # Syntax: a missing comma. The error is at '"ports"' on line 3.
        line3 = '    {"name": "new" "ports": ["%d/tcp"], "action": "kill"}' \
            % new_port
        syntax = "{\n  \"rules\": [\n%s\n  ]\n}\n" % line3
        col = line3.index('"ports"') + 1
        unknown = dict(new, dryrun=True)
        badport = dict(new, ports=["%d/tcp" % new_port, "70000"])
        ours = [
            ("syntax error", syntax,
             ["%s:3:%d: syntax error: expected ',' or '}' near '\"ports\"'"
              % (path, col)]),
            ("unknown key", json.dumps(config(good + [unknown])),
             ["%s: rules[1].dryrun: unknown key (did you mean 'dry_run'?)"
              % path]),
            ("bad port", json.dumps(config(good + [badport])),
             ["%s: rules[1].ports[1]: 70000 is not a port (ports are "
              "1-65535)" % path]),
        ]
        # And every broken fixture, with the messages its README lists.
        expected = fixture_messages()
        for fx in fixture_files("bad_"):
            name = os.path.basename(fx)
            with open(fx) as f:
                ours.append((name, f.read(),
                             [path + m for m in expected.get(name, [])]))
        return ours

    def assertStillOld(self, pd, old_port):
        rules = pd.rules()
        self.assertEqual(list(rules), ["old"], rules)
        self.assertEqual(rules["old"]["ports"], ["%d/tcp" % old_port])

    def test_broken_reload_keeps_running_rules(self):
        old_port, new_port = pick_ports(2)
        pd = self.start_portd(config([rule("old", old_port,
                                           action="terminate")]))
        for label, text, messages in self.broken_configs(
                pd.config_path, old_port, new_port):
            with self.subTest(label):
                write_config(pd.config_path, text)
                rc, out, err = pd.reload()
                self.assertEqual(rc, 2, "reload of a broken file: %r %r"
                                 % (out, err))
                self.assertTrue(messages, "no expected message")
                for m in messages:
                    self.assertIn(m + "\n", err + "\n")
                    self.assertTrue(wait_until(lambda: m in pd.log(),
                                               DEADLINE),
                                    "portd did not log %r: %s"
                                    % (m, pd.log()))
                self.assertStillOld(pd, old_port)
        # The old rule still reaps ...
        h = self.holder("--tcp4", "127.0.0.1:%d" % old_port)
        r = pd.wait_event(old_port, "reap", pid=h.pid, rule="old")
        self.assertIsNotNone(r, dump(pd, old_port))
        self.assertEqual(r["outcome"], "exited after SIGTERM", r)
        self.assertTrue(h.wait_dead(timeout=DEADLINE))
        # ... and no broken file's rule was half applied.
        n = self.holder("--tcp4", "127.0.0.1:%d" % new_port)
        self.assertIsNotNone(pd.wait_event(new_port, "bind", pid=n.pid),
                             dump(pd, new_port))
        self.assertStaysAlive(pd, n)
        self.assertEqual(pd.find_events(new_port, "violation"), [])

    def test_broken_reload_reports_every_error(self):
        # portd(8): "portctl reload ... prints the errors"; portd.conf(5):
        # at most 100 messages are shown for one file. 40 is well under.
        old_port, = pick_ports(1)
        pd = self.start_portd(config([rule("old", old_port,
                                           action="terminate")]))
        bad = rule("many", old_port, action="kill")
        bad["ports"] = ["70000"] * 40
        write_config(pd.config_path, config([bad]))
        rc, out, err = pd.reload()
        self.assertEqual(rc, 2, (out, err))
        for i in range(40):
            m = ("%s: rules[0].ports[%d]: 70000 is not a port (ports are "
                 "1-65535)" % (pd.config_path, i))
            self.assertIn(m + "\n", err + "\n")
            self.assertIn(m, pd.log())
        self.assertStillOld(pd, old_port)

    def test_sighup_reload(self):
        old_port, new_port = pick_ports(2)
        pd = self.start_portd(config([rule("old", old_port,
                                           action="terminate")]))
        label, text, messages = self.broken_configs(
            pd.config_path, old_port, new_port)[1]
        write_config(pd.config_path, text)
        pd.portd.send_signal(signal.SIGHUP)
        for m in messages + ["reload failed"]:
            self.assertTrue(wait_until(lambda: m in pd.log(), DEADLINE),
                            "portd did not log %r: %s" % (m, pd.log()))
        self.assertStillOld(pd, old_port)
        # Fixed, the same signal swaps the rules.
        write_config(pd.config_path, config([rule("new", new_port,
                                                  action="kill")]))
        pd.portd.send_signal(signal.SIGHUP)
        self.assertTrue(wait_until(lambda: list(pd.rules()) == ["new"],
                                   DEADLINE), pd.log())

    def test_valid_reload_swaps_rules(self):
        p1, p2 = pick_ports(2)
        pd = self.start_portd(config([rule("first", p1,
                                           action="terminate")]))
        # Not reserved yet: left alone.
        early = self.holder("--tcp4", "127.0.0.1:%d" % p2)
        self.assertIsNotNone(pd.wait_event(p2, "bind", pid=early.pid))
        self.assertStaysAlive(pd, early)

        write_config(pd.config_path, config([rule("second", p2,
                                                  action="terminate")]))
        # Only root reloads.
        rc, out, err = pd.reload(as_user="nobody")
        self.assertEqual(rc, 2, (out, err))
        self.assertIn("root", err)
        self.assertEqual(list(pd.rules()), ["first"])

        rc, out, err = pd.reload()
        self.assertEqual(rc, 0, (out, err))
        rules = pd.rules()
        self.assertEqual(list(rules), ["second"], rules)
        self.assertEqual(rules["second"]["ports"], ["%d/tcp" % p2])
        # The listener already there is judged by the new rules ...
        r = pd.wait_event(p2, "reap", pid=early.pid, rule="second")
        self.assertIsNotNone(r, dump(pd, p2))
        self.assertEqual(r["outcome"], "exited after SIGTERM", r)
        self.assertTrue(early.wait_dead(timeout=DEADLINE))
        # ... a new squatter on the newly reserved port too ...
        late = self.holder("--tcp4", "127.0.0.1:%d" % p2)
        self.assertIsNotNone(pd.wait_event(p2, "reap", pid=late.pid,
                                           rule="second"), dump(pd, p2))
        self.assertTrue(late.wait_dead(timeout=DEADLINE))
        # ... and the port that is no longer reserved is free to take.
        free = self.holder("--tcp4", "127.0.0.1:%d" % p1)
        self.assertIsNotNone(pd.wait_event(p1, "bind", pid=free.pid))
        self.assertStaysAlive(pd, free)
        self.assertEqual(pd.find_events(p1, "violation"), [])

    def test_reload_does_not_report_known_violations_again(self):
        p1, p2 = pick_ports(2)
        rules = [rule("watched", p1, action="log"),
                 rule("other", p2, action="log")]
        pd = self.start_portd(config(rules))
        h = self.holder("--tcp4", "127.0.0.1:%d" % p1)
        self.assertIsNotNone(pd.wait_event(p1, "violation", pid=h.pid),
                             dump(pd, p1))
        # The same rules, and a change to another rule only: the listener
        # was judged under this very rule already.
        for text in (config(rules),
                     config([rules[0], dict(rules[1], action="kill")])):
            write_config(pd.config_path, text)
            rc, out, err = pd.reload()
            self.assertEqual(rc, 0, (out, err))
            self.assertTrue(pd.wait_ticks(2))
            self.assertEqual(len(pd.find_events(p1, "violation")), 1,
                             dump(pd, p1))
            self.assertEqual(pd.rules()["watched"]["violations"], 1)
        self.assertEqual(pd.log().count("violation of rule 'watched'"), 1,
                         pd.log())
        # A changed rule judges it again.
        write_config(pd.config_path, config(
            [dict(rules[0], allow={"users": ["nobody-else"]}), rules[1]]))
        rc, out, err = pd.reload()
        self.assertEqual(rc, 0, (out, err))
        self.assertEqual(len(pd.find_events(p1, "violation")), 2,
                         dump(pd, p1))
        self.assertTrue(h.alive())


class CheckConfigTest(unittest.TestCase):
    """portd --check-config FILE: "configuration OK" and 0, or every
    error on stderr and 1."""

    @classmethod
    def setUpClass(cls):
        if not os.path.exists(PORTD):
            raise unittest.SkipTest("%s is missing: run make" % PORTD)

    def check(self, path):
        p = subprocess.run([PORTD, "--check-config", path],
                           stdin=subprocess.DEVNULL, capture_output=True,
                           text=True, timeout=30)
        return p.returncode, p.stdout, p.stderr

    def setUp(self):
        self.tmpdir = tempfile.mkdtemp(prefix="portd-conf-")
        self.addCleanup(shutil.rmtree, self.tmpdir, True)

    def test_shipped_configs_are_accepted(self):
        confs = sorted(glob.glob(os.path.join(REPO, "conf", "*.conf")))
        self.assertTrue(confs, "no conf/*.conf")
        for path in confs:
            with self.subTest(os.path.basename(path)):
                rc, out, err = self.check(path)
                self.assertEqual((rc, out, err),
                                 (0, "configuration OK\n", ""))

    def test_fixture_configs(self):
        """Every tests/fixtures/config/good_*.conf is accepted; every
        bad_*.conf is refused with exactly the messages its README lists
        (the path in front of each)."""
        good, bad = fixture_files("good_"), fixture_files("bad_")
        if not good and not bad:
            self.skipTest("no tests/fixtures/config")
        for path in good:
            with self.subTest(os.path.basename(path)):
                self.assertEqual(self.check(path),
                                 (0, "configuration OK\n", ""))
        expected = fixture_messages()
        for path in bad:
            name = os.path.basename(path)
            with self.subTest(name):
                self.assertIn(name, expected, "not in the README")
                rc, out, err = self.check(path)
                self.assertEqual((rc, out), (1, ""), err)
                self.assertEqual(err, "".join(path + m + "\n"
                                              for m in expected[name]))

    # Bad files of our own, with the exact stderr expected ("@@" is the
    # file's path). Lines and columns count from 1.
    BAD = [
        ("syntax", '{\n  "rules": [\n    {"name": "db" "ports": ["5432"]}\n'
                   '  ]\n}\n',
         "@@:3:19: syntax error: expected ',' or '}' near '\"ports\"'\n"),
        ("trailing comma", '{\n  "interval_ms": 100,\n}\n',
         "@@:2:21: syntax error: trailing comma before '}'\n"),
        ("unterminated comment", '{\n  /* no end\n  "history": 5\n}\n',
         "@@:2:3: syntax error: unterminated /* comment\n"),
        ("unknown key", '// c\n{"rules": [{"name": "db", "ports": ["5432"],'
                        ' "dryrun": true}]}\n',
         "@@: rules[0].dryrun: unknown key (did you mean 'dry_run'?)\n"),
        ("bad port", '{"rules": [{"name": "db", "ports": ["70000"]}]}',
         "@@: rules[0].ports[0]: 70000 is not a port (ports are 1-65535)\n"),
        ("every error, in order",
         '{"rules": [{"name": "a", "ports": ["70000"]},\n'
         ' {"name": "b", "ports": ["1"], "dryrun": true},\n'
         ' {"name": "a", "ports": ["2"], "action": "reap"}]}\n',
         "@@: rules[0].ports[0]: 70000 is not a port (ports are 1-65535)\n"
         "@@: rules[1].dryrun: unknown key (did you mean 'dry_run'?)\n"
         "@@: rules[2].name: duplicate rule name 'a' (also rules[0])\n"
         "@@: rules[2].action: expected one of log, terminate, kill\n"),
        ("missing keys", '{"rules": [{"action": "kill"}]}',
         "@@: rules[0]: missing 'name'\n@@: rules[0]: missing 'ports'\n"),
        ("not an integer", '{"respawn_limit": 1.5, "respawn_window_s": 0}',
         "@@: respawn_limit: expected an integer from 1 to 1000\n"
         "@@: respawn_window_s: expected an integer from 1 to 86400\n"),
    ]

    def test_broken_configs_are_rejected_with_every_error(self):
        for label, text, want in self.BAD:
            with self.subTest(label):
                path = write_config(os.path.join(
                    self.tmpdir, label.replace(" ", "_") + ".conf"), text)
                rc, out, err = self.check(path)
                self.assertEqual((rc, out), (1, ""), err)
                self.assertEqual(err, want.replace("@@", path))

    def test_good_config_with_comments_is_accepted(self):
        path = write_config(os.path.join(self.tmpdir, "good.conf"),
                            config([rule("db", 5432, action="terminate",
                                         allow={"users": ["postgres"]})]))
        self.assertEqual(self.check(path), (0, "configuration OK\n", ""))


if __name__ == "__main__":
    unittest.main()
