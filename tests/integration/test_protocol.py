"""test_protocol.py - portd's control protocol spoken over raw AF_UNIX
sockets: strict requests, bad input of every kind, many clients, the
client limit and slow watchers.

Each class starts its own portd (tests/integration/daemontest.py) on a
socket in a temp dir with -i 100. Holders bind loopback addresses only.
Waits poll with generous deadlines; nothing asserts on elapsed time.
"""
import json
import random
import socket
import threading
import unittest

from daemontest import DEADLINE, Conn, DaemonTestCase, LineCollector
from portdtest import port_is_free, wait_until


def tcp(port):
    """The PORTSPEC for a kill: only TCP, as the holders' sockets are, so
    that a UDP socket of another process on the same number is never hit
    (not even by a kill that a bug lets through)."""
    return "%d/tcp" % port


def error_code(reply):
    """The error code of a reply, None for a success or no reply."""
    if not isinstance(reply, dict) or reply.get("ok") is not False:
        return None
    return reply["error"]["code"]


class StrictRequestTest(DaemonTestCase):
    """Requests are strict: nothing is done when a key is wrong."""

    def raw(self, obj):
        return self.portd.request(obj)

    def assertHolderUntouched(self, h):
        self.assertTrue(h.alive(), "holder %d was signalled" % h.pid)
        self.assertFalse(port_is_free(h.port), "port %d was released"
                         % h.port)

    def test_misspelled_dry_run_is_refused(self):
        h = self.holder("--tcp4", "127.0.0.1:0")
        reply = self.raw({"cmd": "kill", "ports": [tcp(h.port)],
                          "dryrun": True})
        self.assertEqual(error_code(reply), "bad_request", reply)
        self.assertIn("dryrun", reply["error"]["message"])
        self.assertHolderUntouched(h)
        # The same request spelled right is a dry run: it finds the
        # holder and still signals nothing.
        reply = self.raw({"cmd": "kill", "ports": [tcp(h.port)],
                          "dry_run": True})
        self.assertTrue(reply["ok"], reply)
        self.assertIs(reply["result"]["dry_run"], True)
        self.assertEqual([(r["pid"], r["outcome"])
                          for r in reply["result"]["results"]],
                         [(h.pid, "dry run")])
        self.assertHolderUntouched(h)

    def test_dry_run_of_wrong_type_is_refused(self):
        h = self.holder("--tcp4", "127.0.0.1:0")
        for value in ("yes", 1, None, "true"):
            reply = self.raw({"cmd": "kill", "ports": [tcp(h.port)],
                              "dry_run": value})
            self.assertEqual(error_code(reply), "bad_request",
                             "dry_run %r: %r" % (value, reply))
            self.assertIn("dry_run", reply["error"]["message"])
        self.assertHolderUntouched(h)

    def test_key_the_command_does_not_take(self):
        h = self.holder("--tcp4", "127.0.0.1:0")
        reply = self.raw({"cmd": "kill", "ports": [tcp(h.port)],
                          "since": 0})
        self.assertEqual(error_code(reply), "bad_request", reply)
        self.assertIn("since", reply["error"]["message"])
        self.assertHolderUntouched(h)

    def test_duplicate_key_is_refused(self):
        h = self.holder("--tcp4", "127.0.0.1:0")
        line = ('{"cmd":"kill","ports":["%d/tcp"],"dry_run":true,'
                '"dry_run":false}\n' % h.port).encode()
        with Conn(self.portd.path) as c:
            c.send(line)
            reply = c.read_json()
        self.assertEqual(error_code(reply), "bad_request", reply)
        self.assertHolderUntouched(h)

    def test_port_out_of_range(self):
        reply = self.raw({"cmd": "who", "ports": ["70000"]})
        self.assertEqual(error_code(reply), "bad_request", reply)
        self.assertIn("70000", reply["error"]["message"])

    def test_who_without_ports(self):
        reply = self.raw({"cmd": "who"})
        self.assertEqual(error_code(reply), "bad_request", reply)
        self.assertIn("ports", reply["error"]["message"])

    def test_unsupported_version(self):
        reply = self.raw({"v": 2, "id": 11, "cmd": "hello"})
        self.assertEqual(error_code(reply), "unsupported_version", reply)
        self.assertEqual(reply["id"], 11)
        self.assertIn("2", reply["error"]["message"])
        reply = self.raw({"v": 1, "id": 12, "cmd": "hello"})
        self.assertTrue(reply["ok"], reply)

    def test_id_is_echoed(self):
        for ident in (42, "abc-7", 0, "x" * 47):
            reply = self.raw({"v": 1, "id": ident, "cmd": "hello"})
            self.assertTrue(reply["ok"], reply)
            self.assertEqual(reply["id"], ident)
            self.assertEqual(reply["result"]["daemon"], "portd")
            # Error replies carry it too.
            reply = self.raw({"id": ident, "cmd": "no-such-command"})
            self.assertEqual(error_code(reply), "unknown_command", reply)
            self.assertEqual(reply["id"], ident)
        reply = self.raw({"cmd": "hello"})
        self.assertIsNone(reply["id"])

    def test_several_requests_on_one_connection(self):
        with Conn(self.portd.path) as c:
            c.send(b'{"id":1,"cmd":"hello"}\n{"id":2,"cmd":"status"}\n'
                   b'{"id":3,"cmd":"nope"}\n{"id":4,"cmd":"hello"}\n')
            replies = [c.read_json() for _ in range(4)]
        self.assertEqual([r["id"] for r in replies], [1, 2, 3, 4])
        self.assertEqual([r["ok"] for r in replies],
                         [True, True, False, True])


class BadClientTest(DaemonTestCase):
    """Bad input and rude clients leave the daemon answering the next
    client."""

    def assertStillServing(self):
        self.assertTrue(self.portd.alive(), self.portd.log())
        self.assertTrue(self.portd.hello(), "no hello after the bad client")

    def test_malformed_json(self):
        with Conn(self.portd.path) as c:
            for line in (b"not json", b'{"cmd": "hello"', b'{"cmd":"hello",}',
                         b"{'cmd': 'hello'}", b'{"cmd":"who","ports":[}',
                         b"\x7f", b"{"):
                c.send(line + b"\n")
                reply = c.read_json()
                self.assertEqual(error_code(reply), "bad_json",
                                 "%r: %r" % (line, reply))
                self.assertIsNone(reply["id"])
            # A rejected request leaves the connection usable.
            reply = c.request({"id": "after", "cmd": "hello"})
            self.assertTrue(reply["ok"], reply)
        for line in (b"[1, 2]", b'"hello"', b"42", b"{}"):
            with Conn(self.portd.path) as c:
                c.send(line + b"\n")
                reply = c.read_json()
            self.assertEqual(error_code(reply), "bad_request",
                             "%r: %r" % (line, reply))
        self.assertStillServing()

    def test_trailing_text_after_the_object(self):
        h = self.holder("--tcp4", "127.0.0.1:0")
        # The dry_run outside the object must not be silently dropped
        # into a real kill: the whole line is not JSON.
        line = ('{"cmd":"kill","ports":["%d/tcp"]} ,"dry_run":true\n'
                % h.port).encode()
        for text in (b'{"cmd":"hello"}}', b'{"cmd":"hello"} x',
                     b'{"cmd":"hello"}{"cmd":"status"}', line.rstrip()):
            with Conn(self.portd.path) as c:
                c.send(text + b"\n")
                reply = c.read_json()
            self.assertEqual(error_code(reply), "bad_json",
                             "%r: %r" % (text, reply))
        self.assertTrue(h.alive(), "the holder was killed")
        # Whitespace around the object is still JSON.
        for text in (b'{"cmd":"hello"}  ', b' \t{"cmd":"hello"}\t',
                     b'{"cmd":"hello"}\r'):
            with Conn(self.portd.path) as c:
                c.send(text + b"\n")
                reply = c.read_json()
            self.assertTrue(reply["ok"], "%r: %r" % (text, reply))
        self.assertStillServing()

    def test_line_limit_is_64_kib(self):
        hello = b'{"id":"big","cmd":"hello"}'
        with Conn(self.portd.path) as c:
            # Exactly 64 KiB (without the newline) is still a request.
            c.send(hello + b" " * (65536 - len(hello)) + b"\n")
            reply = c.read_json()
            self.assertTrue(reply["ok"], reply)
            self.assertEqual(reply["id"], "big")
            # One byte more is not.
            c.send(hello + b" " * (65537 - len(hello)) + b"\n")
            reply = c.read_json()
            self.assertEqual(error_code(reply), "line_too_long", reply)
            self.assertIsNone(c.read_line(), "connection not closed")
        self.assertStillServing()

    def test_request_in_pieces(self):
        with Conn(self.portd.path) as c:
            for byte in b'{"id":"p","cmd":"hello"}\n':
                c.send(bytes([byte]))
            reply = c.read_json()
        self.assertTrue(reply["ok"], reply)
        self.assertEqual(reply["id"], "p")

    def test_unknown_command(self):
        reply = self.portd.request({"v": 1, "id": 5, "cmd": "frobnicate"})
        self.assertEqual(error_code(reply), "unknown_command", reply)
        self.assertIn("frobnicate", reply["error"]["message"])
        self.assertStillServing()

    def test_one_mebibyte_line(self):
        c = Conn(self.portd.path)
        self.addCleanup(c.close)
        big = b'{"cmd":"hello","pad":"' + b"x" * (1 << 20) + b'"}\n'
        sent = {}

        def send():
            # portd stops reading after 64 KiB and closes, so this ends
            # with a broken pipe: that is the point.
            try:
                c.sock.sendall(big)
                sent["all"] = True
            except OSError as e:
                sent["error"] = e

        t = threading.Thread(target=send, daemon=True)
        t.start()
        reply = c.read_json()
        self.assertEqual(error_code(reply), "line_too_long", reply)
        # ... and then the connection is closed.
        self.assertIsNone(c.read_line(), "connection not closed")
        t.join(DEADLINE)
        self.assertFalse(t.is_alive(), "the sender still blocks: portd "
                         "neither reads nor closes")
        self.assertStillServing()

    def test_binary_garbage(self):
        rng = random.Random(4711)
        for with_nul in (True, False):
            junk = bytearray(rng.randrange(256) for _ in range(4096))
            junk = junk.replace(b"\n", b"")
            if not with_nul:
                junk = junk.replace(b"\0", b"")
            junk[10:10] = b"\xff\xfe"
            if with_nul:
                junk[20:20] = b"\0"
            with Conn(self.portd.path) as c:
                c.send(bytes(junk) + b"\n")
                reply = c.read_json()
                self.assertEqual(error_code(reply), "bad_json", reply)
                reply = c.request({"id": 1, "cmd": "hello"})
                self.assertTrue(reply["ok"], reply)
        with Conn(self.portd.path) as c:
            c.send(b"\0\n\xff\xff\xff\n\0\0\0\n")
            codes = [error_code(c.read_json()) for _ in range(3)]
        self.assertEqual(codes, ["bad_json"] * 3)
        self.assertStillServing()

    def list_reply(self, sockets):
        """A whole `list` reply once portd sees at least that many."""
        self.assertTrue(wait_until(
            lambda: self.status()["sockets"] >= sockets, DEADLINE),
            "portd never saw the holders' sockets")
        with Conn(self.portd.path) as c:
            c.send({"id": 1, "cmd": "list"})
            return c.read_line()

    def test_clients_that_leave_mid_reply(self):
        # Enough sockets to make `list` a reply larger than both ends'
        # socket buffers can hold, so closing without reading leaves
        # portd with a write to abort. A row's size depends on the
        # machine (the holder's exe path, the user's name), so the
        # holders are started until the reply, measured, is big enough.
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            buffers = (s.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF) +
                       s.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF))
        per_holder = 400
        h = self.holder(*(["--udp4", "127.0.0.1:0"] * per_holder))
        sockets = per_holder
        full = self.list_reply(sockets)
        while len(full) <= buffers and sockets < 40 * per_holder:
            self.holder(*(["--udp4", "127.0.0.1:0"] * per_holder))
            sockets += per_holder
            full = self.list_reply(sockets)
        self.assertGreater(len(full), buffers)
        for i in range(60):
            c = Conn(self.portd.path)
            if i % 3 == 0:
                c.send(b'{"cmd":"list"}\n' * 5)
            elif i % 3 == 1:
                c.send({"cmd": "list"})
                c.sock.recv(100)        # the start of the reply only
            else:
                c.send({"cmd": "watch"})
                c.send({"cmd": "kill", "ports": ["%d/udp" % h.port],
                        "dry_run": True})
            c.close()
        # A request and an immediate close, with half-close first.
        for _ in range(20):
            c = Conn(self.portd.path)
            c.send({"cmd": "status"})
            c.sock.shutdown(socket.SHUT_WR)
            c.close()
        self.assertStillServing()
        # Every one of them is gone from portd's books.
        self.assertTrue(wait_until(lambda: self.status()["clients"] == 1,
                                   DEADLINE), self.status())
        self.assertEqual(self.status()["watchers"], 0)

    def test_kill_requester_that_leaves(self):
        # The kill goes on; only its reply has nowhere to go.
        h = self.holder("--tcp4", "127.0.0.1:0")
        c = Conn(self.portd.path)
        c.send({"id": 1, "cmd": "kill", "ports": [tcp(h.port)],
                "timeout_ms": 60000})
        c.close()
        self.assertTrue(h.wait_dead(), "the kill did not go on")
        self.assertTrue(wait_until(lambda: port_is_free(h.port), DEADLINE))
        self.assertStillServing()
        self.assertTrue(wait_until(lambda: self.status()["clients"] == 1,
                                   DEADLINE), self.status())

    def test_two_hundred_concurrent_clients(self):
        conns = []
        self.addCleanup(lambda: [c.close() for c in conns])
        for _ in range(200):
            conns.append(Conn(self.portd.path))
        # All 200 are connected at once (plus the one asking).
        self.assertTrue(wait_until(lambda: self.status()["clients"] >= 201,
                                   DEADLINE), self.status())
        for i, c in enumerate(conns):
            c.send({"v": 1, "id": i, "cmd": "hello"})
        for i, c in enumerate(conns):
            reply = c.read_json()
            self.assertIsNotNone(reply, "client %d got no reply" % i)
            self.assertTrue(reply["ok"], reply)
            self.assertEqual(reply["id"], i)
        self.assertStillServing()


class MaxClientsTest(DaemonTestCase):
    PORTD_ARGS = ("--max-clients", "5")

    def five_clients(self):
        """Five connections that each got a hello answered. Connections
        portd has not seen close yet (ours from before) may still count:
        then start over."""
        def attempt():
            conns = []
            try:
                for _ in range(5):
                    conns.append(Conn(self.portd.path))
                    reply = conns[-1].request({"cmd": "hello"})
                    if not (reply and reply.get("ok")):
                        break
                else:
                    return conns
            except OSError:
                pass        # refused and closed before our hello
            for c in conns:
                c.close()
            return None
        conns = wait_until(attempt, DEADLINE, interval=0.2)
        self.assertTrue(conns, "five clients were never served")
        self.addCleanup(lambda: [c.close() for c in conns])
        return conns

    def test_sixth_client_is_refused(self):
        conns = self.five_clients()
        with Conn(self.portd.path) as sixth:
            reply = sixth.read_json()
            self.assertEqual(error_code(reply), "too_many_clients", reply)
            self.assertIsNone(sixth.read_line(), "not closed")
        for i, c in enumerate(conns):
            reply = c.request({"id": i, "cmd": "hello"})
            self.assertTrue(reply and reply["ok"], reply)
            self.assertEqual(reply["id"], i)
        # A slot freed is a slot for the next client.
        conns.pop().close()
        self.assertTrue(wait_until(self.portd.hello, DEADLINE))


def _event_key(item):
    ev = item["event"]
    return ev["event"], ev["listener"]["port"], ev["listener"]["pid"]


class LaggedWatcherTest(DaemonTestCase):
    # A large history, so that `events` can confirm what B was sent.
    PORTD_ARGS = ("--watch-buffer", "16384", "--history", "100000")
    # A daemon per test: the unbinds of an earlier test's holders must
    # not arrive as one burst to this test's watchers.
    PER_TEST = True
    # Ports a holder binds per round: their events (~400 bytes each)
    # stay under the watch buffer in one snapshot.
    BATCH = 25
    MAX_ROUNDS = 60

    def pick_block(self, n):
        """n consecutive free UDP ports below the kernel's ephemeral
        range, so that other processes' port-0 binds never land there
        and the watchers, filtered to the block, see only ours."""
        rng = random.Random()
        for _ in range(50):
            base = rng.randrange(20000, 30000 - n)
            if all(port_is_free(p, "udp") for p in range(base, base + n)):
                return base
        self.fail("no block of %d free UDP ports" % n)

    def watcher(self, ident, spec):
        """(socket, file, last_seq) of a raw watch connection."""
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.addCleanup(s.close)
        s.settimeout(DEADLINE)
        s.connect(self.portd.path)
        f = s.makefile("rb")
        self.addCleanup(f.close)
        s.sendall(json.dumps({"v": 1, "id": ident, "cmd": "watch",
                              "ports": [spec], "protos": ["udp"]})
                  .encode() + b"\n")
        reply = json.loads(f.readline())
        self.assertTrue(reply["ok"], reply)
        self.assertIs(reply["result"]["watching"], True)
        return s, f, reply["result"]["last_seq"]

    def round(self, b, base, nports):
        """A holder binds the nports UDP ports from base and is killed;
        waits until B has seen every bind and every unbind."""
        h = self.holder(*[a for p in range(base, base + nports)
                          for a in ("--udp4", "127.0.0.1:%d" % p)])
        for kind in ("bind", "unbind"):
            if kind == "unbind":
                h.kill()
            want = set((kind, p, h.pid) for p in h.ports)
            b.wait_for(lambda item: want <= self._seen(b))
            missed = sorted(want - self._seen(b))
            self.assertEqual(len(missed), 0, "B missed %d of %d %s events; B "
                             "was sent: %s" % (len(missed), len(want), kind,
                                               self._not_events(b)))

    @staticmethod
    def _not_events(collector):
        return [i for i in collector.snapshot()
                if not (isinstance(i, dict) and "event" in i)]

    @staticmethod
    def _seen(collector):
        return set(_event_key(i) for i in collector.snapshot()
                   if isinstance(i, dict) and "event" in i)

    def history(self, spec, since):
        reply = self.portd.request({"cmd": "events", "since": since,
                                    "ports": [spec], "protos": ["udp"]})
        self.assertTrue(reply["ok"], reply)
        self.assertIs(reply["result"]["truncated"], False)
        return [e["seq"] for e in reply["result"]["events"]]

    def check_b(self, b, spec, since):
        self.assertEqual(self._not_events(b), [], "B was sent something "
                         "other than events")
        seqs = [i["event"]["seq"] for i in b.snapshot()]
        # Exactly what the history holds for B's filter: nothing lost.
        self.assertEqual(seqs, self.history(spec, since))

    def check_a(self, a_file, b, spec, since):
        lines = [json.loads(x) for x in a_file.read().splitlines()]
        self.assertTrue(lines, "A got nothing at all")
        last = lines[-1]
        self.assertEqual(error_code(last), "lagged", last)
        self.assertEqual(last["id"], "A")
        events = lines[:-1]
        for item in events:
            self.assertIn("event", item, item)
            self.assertEqual(item["id"], "A")
        seqs = [i["event"]["seq"] for i in events]
        self.assertEqual(seqs, sorted(set(seqs)))
        self.assertTrue(set(seqs) <= set(self.history(spec, since)))
        # A lost events that B got.
        self.assertLess(len(events), len(b.snapshot()))

    def run_lag(self, batch):
        base = self.pick_block(batch)
        spec = "%d-%d" % (base, base + batch - 1)
        a_sock, a_file, a_since = self.watcher("A", spec)  # never reads
        b_sock, b_file, b_since = self.watcher("B", spec)
        # B's reader blocks until portd closes the connection (at the
        # latest when tearDown stops portd), however long a round takes.
        b_sock.settimeout(None)
        b = LineCollector(b_file)
        self.assertTrue(wait_until(lambda: self.status()["watchers"] == 2))
        rounds = 0
        while self.status()["watchers"] == 2:
            self.assertLess(rounds, self.MAX_ROUNDS, "A was never dropped")
            self.round(b, base, batch)
            rounds += 1
        # A is dropped: read what it was sent, which ends with "lagged"
        # and then EOF (portd gives a dropped watcher a few seconds to
        # read its notice before it closes the connection regardless).
        self.check_a(a_file, b, spec, a_since)
        # B is still subscribed and keeps receiving.
        self.assertEqual(self.status()["watchers"], 1)
        self.round(b, base, batch)
        self.check_b(b, spec, b_since)
        self.assertRegex(self.portd.log(), r"watcher uid 0 pid \d+: more "
                         r"than 16384 bytes unread: dropped \(lagged\)")

    def test_slow_watcher_dropped_other_keeps_receiving(self):
        self.run_lag(self.BATCH)

    def test_burst_larger_than_buffer_keeps_reading_watcher(self):
        # 300 binds in one snapshot are ~120 KB of events, more than the
        # 16 KiB buffer, but B reads all the time: only A may be dropped.
        self.run_lag(300)


if __name__ == "__main__":
    unittest.main()
