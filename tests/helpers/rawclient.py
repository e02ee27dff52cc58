#!/usr/bin/env python3
"""rawclient.py - raw connections to portd's control socket, for tests
that need them made by another user (run it through setpriv: SO_PEERCRED
names whoever connected).

    rawclient.py SOCKET N [REQUEST_JSON ...]

Opens N connections one after another; on each, sends every REQUEST
(pipelined, one line each) right after connecting. Prints one JSON line
per event, flushed:
    {"conn": i, "connected": true}            connect() succeeded
    {"conn": i, "error": "..."}               connect() failed
    {"conn": i, "reply": {...}}               a reply line from portd
    {"conn": i, "eof": true}                  portd closed it
    {"ready": true}                           every connection was tried
and keeps every connection open (printing what arrives) until its stdin
closes. It signals nothing and touches nothing but its own sockets.
"""
import json
import os
import select
import socket
import sys


def say(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def main():
    path, n = sys.argv[1], int(sys.argv[2])
    requests = [json.loads(r) for r in sys.argv[3:]]
    conns = {}
    bufs = {}
    for i in range(n):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(path)
        except OSError as e:
            say({"conn": i, "error": str(e)})
            s.close()
            continue
        say({"conn": i, "connected": True})
        try:
            for r in requests:
                s.sendall(json.dumps(r).encode() + b"\n")
        except OSError:
            pass            # refused and closed: its line is still there
        conns[s.fileno()] = (i, s)
        bufs[i] = b""
    say({"ready": True})
    stdin = sys.stdin.fileno()
    while True:
        fds = [stdin] + list(conns)
        readable, _, _ = select.select(fds, [], [])
        if stdin in readable and not os.read(stdin, 4096):
            return
        for fd in readable:
            if fd == stdin:
                continue
            i, s = conns[fd]
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                chunk = b""
            bufs[i] += chunk
            while b"\n" in bufs[i]:
                line, _, bufs[i] = bufs[i].partition(b"\n")
                say({"conn": i, "reply": json.loads(line)})
            if not chunk:
                say({"conn": i, "eof": True})
                del conns[fd]
                s.close()


if __name__ == "__main__":
    main()
