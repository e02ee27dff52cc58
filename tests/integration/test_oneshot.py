"""test_oneshot.py - portctl who/list in one-shot mode (--direct) against
real sockets held by tests/helpers/holder.py.

Every test binds its own sockets on loopback (or the [::] wildcard) on a
port the kernel picks, asks the real portctl, and compares what it prints
with what the test knows: the holder's pids and socket inodes, /proc, and
ss(8).
"""
import calendar
import re
import time
import unittest

from portdtest import (PortdTestCase, parse_table, proc_comm,
                       proc_started_ms, socket_inodes, unused_port,
                       wait_until)

RFC3339_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def started_ms(text):
    """portctl's "started" (UTC, ms) -> ms since the epoch."""
    base, ms = text[:-1].split(".")
    t = time.strptime(base, "%Y-%m-%dT%H:%M:%S")
    return calendar.timegm(t) * 1000 + int(ms)


class WhoTest(PortdTestCase):
    """portctl who PORTSPEC for every kind of socket."""

    def check_row(self, row, holder, sock, pid=None, proto="tcp",
                  family="ipv4", state="LISTEN", v6only=False):
        """Every field of a row against the holder's socket and /proc."""
        pid = holder.pid if pid is None else pid
        self.assertEqual(row["proto"], proto, row)
        self.assertEqual(row["family"], family, row)
        self.assertEqual(row["address"], sock["address"], row)
        self.assertEqual(row["port"], sock["port"], row)
        self.assertEqual(row["state"], state, row)
        self.assertIs(row["v6only"], v6only, row)
        self.assertEqual(row["inode"], sock["inode"], row)
        self.assertNotIn("reason", row)
        self.assertRowOwnedBy(row, pid)
        self.assertRegex(row["started"], RFC3339_MS)
        # The same instant as /proc says, to the rounding of clock ticks;
        # a correctness check, not a measure of speed.
        self.assertLessEqual(abs(started_ms(row["started"]) -
                                 proc_started_ms(pid)), 1000, row)

    def table_protos(self, port):
        """{PROTO column} of `portctl who PORT` in table mode."""
        rc, out, err = self.portctl("who", port)
        self.assertEqual(rc, 0, err)
        rows, _ = parse_table(out)
        return [r["PROTO"] for r in rows]

    def test_tcp4(self):
        h = self.holder("--tcp4", "127.0.0.1:0")
        rows = self.who(h.port)
        self.assertEqual(len(rows), 1, rows)
        self.check_row(rows[0], h, h.sockets[0])
        self.assertEqual(self.table_protos(h.port), ["tcp"])
        self.assertAgreesWithSs(rows, h.port)

    def test_tcp6_loopback(self):
        h = self.holder("--tcp6", "[::1]:0")
        rows = self.who(h.port)
        self.assertEqual(len(rows), 1, rows)
        self.check_row(rows[0], h, h.sockets[0], family="ipv6", v6only=True)
        self.assertEqual(self.table_protos(h.port), ["tcp6"])
        self.assertAgreesWithSs(rows, h.port)

    def test_udp4(self):
        h = self.holder("--udp4", "127.0.0.1:0")
        rows = self.who(h.port)
        self.assertEqual(len(rows), 1, rows)
        self.check_row(rows[0], h, h.sockets[0], proto="udp", state="BOUND")
        self.assertEqual(self.table_protos(h.port), ["udp"])
        self.assertAgreesWithSs(rows, h.port)

    def test_udp6(self):
        h = self.holder("--udp6", "[::1]:0")
        rows = self.who(h.port)
        self.assertEqual(len(rows), 1, rows)
        self.check_row(rows[0], h, h.sockets[0], proto="udp", family="ipv6",
                       state="BOUND", v6only=True)
        self.assertEqual(self.table_protos(h.port), ["udp6"])
        self.assertAgreesWithSs(rows, h.port)

    def test_dualstack_matches_ipv4_filter(self):
        h = self.holder("--dual", "0")
        rows = self.who(h.port)
        self.assertEqual(len(rows), 1, rows)
        self.check_row(rows[0], h, h.sockets[0], family="ipv6",
                       v6only=False)
        self.assertEqual(self.table_protos(h.port), ["tcp46"])
        # It holds the IPv4 port too, so -4 finds it; -6 as well.
        for flag in ("-4", "-6"):
            found = self.who(h.port, flag)
            self.assertEqual([r["inode"] for r in found],
                             [h.sockets[0]["inode"]], flag)
        self.assertAgreesWithSs(rows, h.port)

    def test_v6only_not_matched_by_ipv4_filter(self):
        h = self.holder("--v6only", "0")
        rows = self.who(h.port)
        self.assertEqual(len(rows), 1, rows)
        self.check_row(rows[0], h, h.sockets[0], family="ipv6", v6only=True)
        self.assertEqual(self.table_protos(h.port), ["tcp6"])
        rc, data, err = self.portctl_json("who", h.port, "-4")
        self.assertEqual(rc, 1, err)
        self.assertEqual(data, {"listeners": []})
        self.assertEqual(len(self.who(h.port, "-6")), 1)
        self.assertAgreesWithSs(rows, h.port)

    def test_reuseport_two_processes(self):
        a = self.holder("--reuseport", "--tcp4", "127.0.0.1:0")
        b = self.holder("--reuseport", "--tcp4", "127.0.0.1:%d" % a.port)
        rows = self.who(a.port)
        self.assertEqual(sorted(r["pid"] for r in rows),
                         sorted([a.pid, b.pid]), rows)
        for h in (a, b):
            row = [r for r in rows if r["pid"] == h.pid][0]
            self.check_row(row, h, h.sockets[0])
        # Two sockets, one per process.
        self.assertNotEqual(rows[0]["inode"], rows[1]["inode"])
        self.assertAgreesWithSs(rows, a.port)

    def test_forked_child_shares_listener(self):
        h = self.holder("--fork", "--tcp4", "127.0.0.1:0")
        self.assertIsNotNone(h.child)
        rows = self.who(h.port)
        self.assertEqual(sorted(r["pid"] for r in rows),
                         sorted([h.pid, h.child]), rows)
        # One socket (one inode) held by both processes.
        for r in rows:
            self.check_row(r, h, h.sockets[0], pid=r["pid"])
        child_row = [r for r in rows if r["pid"] == h.child][0]
        self.assertEqual(child_row["ppid"], h.pid)
        self.assertAgreesWithSs(rows, h.port)

    def test_connected_client_and_accepted_socket_not_reported(self):
        server = self.holder("--accept", "--tcp4", "127.0.0.1:0")
        client = self.holder("--connect", "127.0.0.1:%d" % server.port)
        csock = client.sockets_of("client")[0]
        self.assertEqual(csock["peer_port"], server.port)
        # The server has accepted: it holds the listener and one more
        # socket, with the same local port.
        self.assertTrue(wait_until(lambda: len(socket_inodes(server.pid))
                                   >= 2), "server never accepted")
        rows = self.who(server.port)
        self.assertEqual(len(rows), 1, rows)
        self.check_row(rows[0], server, server.sockets[0])
        self.assertNotIn(client.pid, [r["pid"] for r in rows])
        # The client's own (ephemeral) port is not a listener either.
        rc, data, err = self.portctl_json("who", csock["port"])
        self.assertEqual(rc, 1, (data, err))
        self.assertEqual(data, {"listeners": []})
        rc, data, err = self.portctl_json("list")
        self.assertEqual(rc, 0, err)
        self.assertNotIn(client.pid, [r["pid"] for r in data["listeners"]])
        self.assertEqual([r["inode"] for r in data["listeners"]
                          if r["pid"] == server.pid],
                         [server.sockets[0]["inode"]])

    def test_every_kind_agrees_with_ss(self):
        hs = [self.holder("--tcp4", "127.0.0.1:0", "--tcp6", "[::1]:same",
                          "--udp4", "127.0.0.1:same", "--udp6", "[::1]:same"),
              self.holder("--dual", "0", "--v6only", "0"),
              self.holder("--fork", "--udp4", "127.0.0.1:0",
                          "--tcp4", "127.0.0.1:0")]
        a = self.holder("--reuseport", "--udp4", "127.0.0.1:0")
        b = self.holder("--reuseport", "--udp4", "127.0.0.1:%d" % a.port)
        hs += [a, b]
        ports = sorted(set(p for h in hs for p in h.ports))
        rows = self.who(*ports)
        for port in ports:
            self.assertTrue([r for r in rows if r["port"] == port], port)
            self.assertAgreesWithSs(rows, port)
        # And each row is right about its process.
        for r in rows:
            self.assertRowOwnedBy(r, r["pid"])

    def test_port_range_and_several_specs(self):
        t4 = self.holder("--tcp4", "127.0.0.1:0")
        u4 = self.holder("--udp4", "127.0.0.1:0")
        t6 = self.holder("--tcp6", "[::1]:0")
        want = {("tcp", t4.port, t4.pid), ("udp", u4.port, u4.pid),
                ("tcp", t6.port, t6.pid)}
        lo = min(t4.port, u4.port, t6.port)
        hi = max(t4.port, u4.port, t6.port)
        rows = self.who("%d-%d" % (lo, hi))
        got = set((r["proto"], r["port"], r["pid"]) for r in rows)
        self.assertLessEqual(want, got)
        for r in rows:
            self.assertTrue(lo <= r["port"] <= hi, r)
        # Several PORTSPECs at once: exactly these sockets.
        rows = self.who(t4.port, "%d/udp" % u4.port, "%d/tcp" % t6.port)
        got = set((r["proto"], r["port"], r["pid"]) for r in rows)
        self.assertEqual(got, want)
        # A one-port range is that port.
        rows = self.who("%d-%d" % (t4.port, t4.port))
        self.assertEqual([r["pid"] for r in rows], [t4.pid])

    def test_several_specs_keep_dualstack(self):
        # Regression: with two or more port ranges for one protocol the
        # inet_diag bytecode (common/backend_linux.c, build_bytecode) used
        # to be rejected by the kernel (EINVAL), and portctl fell back to
        # /proc/net, which has no V6ONLY flag: v6only came out null, the
        # [::] socket showed as "tcp6" and `who -4 P Q` missed the
        # dual-stack listener on P although `who -4 P` found it.
        h = self.holder("--dual", "0", "--tcp4", "127.0.0.1:0")
        dual, tcp4 = h.sockets
        rows = self.who(dual["port"], tcp4["port"])
        self.assertEqual(sorted((r["inode"], r["v6only"]) for r in rows),
                         sorted([(dual["inode"], False),
                                 (tcp4["inode"], False)]))
        rows = self.who("-4", dual["port"], tcp4["port"])
        self.assertEqual(sorted(r["inode"] for r in rows),
                         sorted([dual["inode"], tcp4["inode"]]))

    def test_proto_suffix_and_options(self):
        h = self.holder("--tcp4", "127.0.0.1:0", "--udp4", "127.0.0.1:same")
        rows = self.who(h.port)
        self.assertEqual(sorted(r["proto"] for r in rows), ["tcp", "udp"])
        for spec, opt, proto in (("/tcp", "--tcp", "tcp"),
                                 ("/udp", "--udp", "udp")):
            kind = proto + "4"
            inode = h.sockets_of(kind)[0]["inode"]
            rows = self.who("%d%s" % (h.port, spec))
            self.assertEqual([(r["proto"], r["inode"]) for r in rows],
                             [(proto, inode)], spec)
            rows = self.who(h.port, opt)
            self.assertEqual([(r["proto"], r["inode"]) for r in rows],
                             [(proto, inode)], opt)
        # A suffix that excludes the only socket there: nothing matches.
        t = self.holder("--tcp4", "127.0.0.1:0")
        rc, data, err = self.portctl_json("who", "%d/udp" % t.port)
        self.assertEqual(rc, 1, err)
        self.assertEqual(data, {"listeners": []})


class ListTest(PortdTestCase):
    """portctl list and its protocol and family filters."""

    def setUp(self):
        super().setUp()
        self.h = self.holder("--tcp4", "127.0.0.1:0", "--udp4", "127.0.0.1:0",
                             "--tcp6", "[::1]:0", "--udp6", "[::1]:0",
                             "--dual", "0", "--v6only", "0")
        self.inode = {s["kind"]: s["inode"] for s in self.h.sockets}

    def list_rows(self, *args):
        rc, data, err = self.portctl_json("list", *args)
        self.assertEqual(rc, 0, err)
        return data["listeners"]

    def our_kinds(self, rows):
        by_inode = {v: k for k, v in self.inode.items()}
        return set(by_inode[r["inode"]] for r in rows
                   if r["inode"] in by_inode)

    def test_list_everything(self):
        rows = self.list_rows()
        self.assertEqual(self.our_kinds(rows), set(self.inode))
        for r in rows:
            if r["pid"] == self.h.pid:
                self.assertRowOwnedBy(r, self.h.pid)

    def test_list_udp(self):
        rows = self.list_rows("--udp")
        self.assertTrue(rows)
        self.assertEqual(set(r["proto"] for r in rows), {"udp"})
        self.assertEqual(self.our_kinds(rows), {"udp4", "udp6"})

    def test_list_tcp(self):
        rows = self.list_rows("--tcp")
        self.assertEqual(set(r["proto"] for r in rows), {"tcp"})
        self.assertEqual(self.our_kinds(rows),
                         {"tcp4", "tcp6", "dual", "v6only"})

    def test_list_ipv6(self):
        rows = self.list_rows("-6")
        self.assertEqual(set(r["family"] for r in rows), {"ipv6"})
        self.assertEqual(self.our_kinds(rows),
                         {"tcp6", "udp6", "dual", "v6only"})

    def test_list_ipv4_includes_dualstack(self):
        rows = self.list_rows("-4")
        self.assertEqual(self.our_kinds(rows), {"tcp4", "udp4", "dual"})
        for r in rows:
            # Only sockets that hold an IPv4 port: IPv4, or dual-stack.
            if r["family"] == "ipv6":
                self.assertIs(r["v6only"], False, r)

    def test_list_tcp_ipv6(self):
        rows = self.list_rows("--tcp", "-6")
        self.assertEqual(set((r["proto"], r["family"]) for r in rows),
                         {("tcp", "ipv6")})
        self.assertEqual(self.our_kinds(rows), {"tcp6", "dual", "v6only"})

    def test_list_table(self):
        rc, out, err = self.portctl("list")
        self.assertEqual(rc, 0, err)
        rows, other = parse_table(out)
        self.assertEqual(other, [])
        ours = [r for r in rows if r["PID"] == str(self.h.pid)]
        self.assertEqual(len(ours), len(self.inode), out)
        self.assertEqual(sorted(r["PROTO"] for r in ours),
                         sorted(["tcp", "udp", "tcp6", "udp6", "tcp46",
                                 "tcp6"]))

    def test_list_takes_no_ports(self):
        rc, out, err = self.portctl("list", self.h.port)
        self.assertEqual(rc, 2)
        self.assertEqual(len(err.splitlines()), 1, err)


class OutputAndExitTest(PortdTestCase):
    """Table output, exit statuses and errors."""

    def test_table_output(self):
        h = self.holder("--tcp4", "127.0.0.1:0")
        rc, out, err = self.portctl("who", h.port)
        self.assertEqual(rc, 0, err)
        self.assertEqual(err, "")
        rows, other = parse_table(out)
        self.assertEqual(other, [])
        self.assertEqual(rows, [{"PROTO": "tcp", "ADDRESS": "127.0.0.1",
                                 "PORT": str(h.port), "PID": str(h.pid),
                                 "USER": "root",
                                 "COMMAND": proc_comm(h.pid)}])

    def test_exit_status_match_and_nomatch(self):
        h = self.holder("--tcp4", "127.0.0.1:0")
        rc, _, err = self.portctl("who", h.port)
        self.assertEqual(rc, 0, err)
        port = unused_port()
        rc, data, err = self.portctl_json("who", port)
        self.assertEqual(rc, 1, (data, err))
        self.assertEqual(data, {"listeners": []})
        rc, out, err = self.portctl("who", port)
        self.assertEqual(rc, 1, (out, err))
        self.assertNotIn(str(port), out)
        # A match among several specs is a match.
        rc, _, err = self.portctl("who", port, h.port)
        self.assertEqual(rc, 0, err)

    def test_bad_portspecs(self):
        cases = [("0", "0 is not a port"),
                 ("70000", "70000 is not a port (ports are 1-65535)"),
                 ("abc", "abc"),
                 ("90-80", "90-80"),
                 ("80/sctp", "80/sctp")]
        for spec, text in cases:
            for cmd in ("who", "kill"):
                with self.subTest(cmd=cmd, spec=spec):
                    rc, out, err = self.portctl(cmd, spec)
                    self.assertEqual(rc, 2, (out, err))
                    self.assertEqual(out, "")
                    lines = err.splitlines()
                    self.assertEqual(len(lines), 1, err)
                    self.assertTrue(lines[0].startswith("portctl: "), err)
                    self.assertIn(text, lines[0])
        # One bad spec among good ones fails the whole command.
        h = self.holder("--tcp4", "127.0.0.1:0")
        rc, out, err = self.portctl("who", h.port, "70000")
        self.assertEqual(rc, 2, (out, err))
        self.assertEqual(out, "")
        self.assertIn("70000", err)

    def test_missing_portspec(self):
        for cmd in ("who", "kill"):
            rc, out, err = self.portctl(cmd)
            self.assertEqual(rc, 2, (out, err))
            self.assertEqual(len(err.splitlines()), 1, err)

    def test_help_and_version(self):
        rc, out, err = self.portctl("--help")
        self.assertEqual(rc, 0, err)
        self.assertIn("usage: portctl", out)
        for cmd in ("who", "list", "kill"):
            self.assertRegex(out, r"(?m)^\s+%s\s" % cmd)
        rc, out, err = self.portctl("--version")
        self.assertEqual(rc, 0, err)
        self.assertRegex(out, r"^portctl \d+\.\d+\.\d+\n$")


class NonRootTest(PortdTestCase):
    """A caller that may not read root's /proc/PID/fd."""

    def test_owner_not_visible(self):
        h = self.holder("--tcp4", "127.0.0.1:0")
        rc, data, err = self.portctl_json("who", h.port, as_user="nobody")
        self.assertEqual(rc, 0, err)
        rows = data["listeners"]
        self.assertEqual(len(rows), 1, rows)
        row = rows[0]
        self.assertIsNone(row["pid"], row)
        self.assertIn("permission denied", row["reason"])
        self.assertEqual(row["inode"], h.sockets[0]["inode"])
        self.assertEqual(row["port"], h.port)
        self.assertEqual(row["uid"], 0)   # the socket's owner uid
        self.assertIsNone(row["command"])
        # The table says the same: no pid, the reason instead of a command.
        rc, out, err = self.portctl("who", h.port, as_user="nobody")
        self.assertEqual(rc, 0, err)
        rows, _ = parse_table(out)
        self.assertEqual(len(rows), 1, out)
        self.assertEqual(rows[0]["PID"], "-")
        self.assertIn("permission denied", rows[0]["COMMAND"])
        self.assertNotIn(str(h.pid), out)

    def test_own_process_visible(self):
        h = self.holder("--tcp4", "127.0.0.1:0", "--udp6", "[::1]:0",
                        as_user="nobody")
        rows = self.who(*h.ports, as_user="nobody")
        self.assertEqual(sorted(r["inode"] for r in rows),
                         sorted(s["inode"] for s in h.sockets))
        for r in rows:
            self.assertRowOwnedBy(r, h.pid)
            self.assertEqual(r["user"], "nobody")

    def test_root_sees_every_owner(self):
        h = self.holder("--tcp4", "127.0.0.1:0", as_user="nobody")
        rows = self.who(h.port)
        self.assertEqual([r["pid"] for r in rows], [h.pid])
        self.assertEqual(rows[0]["user"], "nobody")


if __name__ == "__main__":
    unittest.main()
