#!/usr/bin/env python3
"""holder.py - a process that holds sockets, for portd's integration tests.

    python3 holder.py [--tcp4 ADDR:PORT] [--tcp6 ADDR:PORT] [--dual PORT]
                      [--v6only PORT] [--udp4 ADDR:PORT] [--udp6 ADDR:PORT]
                      [--connect HOST:PORT] [--reuseport] [--accept]
                      [--fork] [--ignore-term] [--close-on-term]

Socket options may be repeated; sockets are made in command-line order.
  --tcp4 ADDR:PORT    IPv4 TCP listener            (kind "tcp4")
  --tcp6 ADDR:PORT    IPv6 TCP listener, V6ONLY=1  (kind "tcp6"); ADDR may
                      be bracketed: [::1]:0
  --dual PORT         TCP listener on [::] with V6ONLY=0 (kind "dual"): it
                      also holds the IPv4 port
  --v6only PORT       TCP listener on [::] with V6ONLY=1 (kind "v6only")
  --udp4 ADDR:PORT    IPv4 UDP socket, bound       (kind "udp4")
  --udp6 ADDR:PORT    IPv6 UDP socket, bound, V6ONLY=1 (kind "udp6")
  --connect HOST:PORT a TCP client connected there (kind "client"; its
                      "port" is the local, ephemeral one, "peer_port" the
                      server's)
PORT is a number, 0 (the kernel picks a free port) or "same" (the port of
the previous socket on the command line; if that one was picked with 0 and
the port turns out to be taken for this socket, every socket is made again
with a new port, a few times).

  --reuseport      set SO_REUSEPORT before every bind (share a port with
                   another process that does the same)
  --accept         accept connections on the TCP listeners and keep the
                   accepted sockets open
  --fork           after binding, fork a child that keeps the same fds, so
                   both processes hold every socket
  --ignore-term    ignore SIGTERM (parent and child)
  --close-on-term  on SIGTERM close every socket but keep running
  --name NAME      before making any socket, rename the process (its
                   comm, prctl PR_SET_NAME; at most 15 bytes, any bytes:
                   invalid UTF-8 passes through as surrogate escapes)
By default SIGTERM ends the process.

When every socket is ready it prints ONE JSON line to stdout and flushes:
  {"pid": N, "child": N|null, "sockets": [{"kind": "tcp4",
   "address": "127.0.0.1", "port": N, "inode": N}, ...]}
then runs until a signal ends it. On a setup error it prints one line to
stderr and exits 2 (3 when a port is in use).

Only loopback or wildcard addresses are meant to be used: the tests never
send traffic anywhere else.
"""
import argparse
import ctypes
import errno
import json
import os
import select
import signal
import socket
import sys
import time

RETRIES = 20


class SpecAction(argparse.Action):
    """Appends (kind, value) to one list so the command-line order stays."""

    def __call__(self, parser, namespace, values, option_string=None):
        specs = getattr(namespace, "specs", None) or []
        specs.append((self.dest, values))
        namespace.specs = specs


def split_addr(text):
    """'127.0.0.1:80' / '[::1]:80' / '::1:80' -> (address, port text)."""
    if text.startswith("["):
        addr, sep, port = text[1:].partition("]:")
        if not sep:
            raise ValueError("%s: expected [ADDR]:PORT" % text)
        return addr, port
    addr, sep, port = text.rpartition(":")
    if not sep or not addr:
        raise ValueError("%s: expected ADDR:PORT" % text)
    return addr, port


def parse_port(text):
    if text == "same":
        return "same"
    port = int(text)
    if not 0 <= port <= 65535:
        raise ValueError("%s: not a port" % text)
    return port


class PortTaken(Exception):
    pass


def make_socket(kind, value, port, reuseport):
    """Creates one socket; returns (sock, record for the JSON line)."""
    if kind == "connect":
        host, _ = split_addr(value)
        fam = socket.AF_INET6 if ":" in host else socket.AF_INET
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.connect((host, port))
        local = s.getsockname()
        return s, {"kind": "client", "address": local[0], "port": local[1],
                   "peer_port": port, "inode": os.fstat(s.fileno()).st_ino}
    if kind in ("dual", "v6only"):
        addr = "::"
    else:
        addr, _ = split_addr(value)
    fam = socket.AF_INET if kind in ("tcp4", "udp4") else socket.AF_INET6
    typ = socket.SOCK_DGRAM if kind.startswith("udp") else socket.SOCK_STREAM
    s = socket.socket(fam, typ)
    try:
        if fam == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY,
                         0 if kind == "dual" else 1)
        if reuseport:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        try:
            s.bind((addr, port))
        except OSError as e:
            if e.errno == errno.EADDRINUSE:
                raise PortTaken("%s %s port %d: %s" % (kind, addr, port, e))
            raise
        if typ == socket.SOCK_STREAM:
            s.listen(16)
    except BaseException:
        s.close()
        raise
    return s, {"kind": kind, "address": addr, "port": s.getsockname()[1],
               "inode": os.fstat(s.fileno()).st_ino}


def make_all(specs, reuseport):
    """Makes every socket, retrying when a "same" port follows a port 0."""
    for attempt in range(RETRIES):
        socks, records, prev, picked = [], [], None, False
        try:
            for kind, value in specs:
                if kind in ("dual", "v6only"):
                    ptext = value
                else:
                    ptext = split_addr(value)[1]
                port = parse_port(ptext)
                if port == "same":
                    if prev is None:
                        raise ValueError("'same' needs a previous socket")
                    port = prev
                else:
                    picked = port == 0
                s, rec = make_socket(kind, value, port, reuseport)
                socks.append(s)
                records.append(rec)
                prev = rec["peer_port"] if kind == "connect" else rec["port"]
            return socks, records
        except PortTaken:
            for s in socks:
                s.close()
            if not picked or attempt == RETRIES - 1:
                raise


def main():
    p = argparse.ArgumentParser(description="hold sockets for tests")
    for name in ("tcp4", "tcp6", "udp4", "udp6", "connect"):
        p.add_argument("--" + name, dest=name, action=SpecAction,
                       metavar="ADDR:PORT")
    for name in ("dual", "v6only"):
        p.add_argument("--" + name, dest=name, action=SpecAction,
                       metavar="PORT")
    p.add_argument("--reuseport", action="store_true")
    p.add_argument("--accept", action="store_true")
    p.add_argument("--fork", action="store_true")
    p.add_argument("--ignore-term", action="store_true")
    p.add_argument("--close-on-term", action="store_true")
    p.add_argument("--name")
    args = p.parse_args()
    specs = getattr(args, "specs", None) or []

    if args.name is not None:
        # PR_SET_NAME (15): what /proc/PID/comm and stat show, as any
        # process may set it for itself.
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(15, ctypes.c_char_p(os.fsencode(args.name)), 0, 0,
                      0) != 0:
            print("holder: prctl: %s" % os.strerror(ctypes.get_errno()),
                  file=sys.stderr)
            return 2

    # A portd under test may reap this holder as soon as a socket is a
    # listener, and the test must still learn its pid first: a SIGTERM
    # waits until the line is printed.
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})

    try:
        socks, records = make_all(specs, args.reuseport)
    except PortTaken as e:
        print("holder: %s" % e, file=sys.stderr)
        return 3
    except (OSError, ValueError) as e:
        print("holder: %s" % e, file=sys.stderr)
        return 2

    listeners = [s for s, r in zip(socks, records)
                 if r["kind"] in ("tcp4", "tcp6", "dual", "v6only")]
    accepted = []
    if args.accept:
        # Non-blocking, so that when a forked pair both see a connection
        # the one that loses the race does not block in accept().
        for s in listeners:
            s.setblocking(False)

    def close_all(signum, frame):
        for s in socks + accepted:
            s.close()
        del socks[:], listeners[:], accepted[:]

    if args.ignore_term:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    elif args.close_on_term:
        signal.signal(signal.SIGTERM, close_all)
    else:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)

    child = None
    if args.fork:
        # Flush before forking so the child cannot repeat buffered output.
        sys.stdout.flush()
        child = os.fork()
        if child == 0:
            records = None  # the child prints nothing
        else:
            # Reap the child automatically: a dead child must not linger
            # as a zombie that still looks like a process.
            signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    if records is not None:
        sys.stdout.write(json.dumps({"pid": os.getpid(), "child": child,
                                     "sockets": records}) + "\n")
        sys.stdout.flush()
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})

    while True:
        if args.accept and listeners:
            try:
                ready, _, _ = select.select(listeners, [], [], 1.0)
            except (OSError, ValueError):
                continue  # a signal handler closed the sockets
            for s in ready:
                try:
                    conn, _ = s.accept()
                    accepted.append(conn)
                except OSError:
                    pass  # the other process of a fork took it
        else:
            time.sleep(3600)


if __name__ == "__main__":
    sys.exit(main())
