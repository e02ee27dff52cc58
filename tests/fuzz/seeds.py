#!/usr/bin/env python3
"""seeds.py TARGET TOP CORPUS - writes TARGET's seed inputs into CORPUS.

Every seed comes from tests/fixtures (and conf/), laid out as the target's
input says (the comment at the top of tests/fuzz/TARGET.c): most are the
fixture itself behind a selector byte; the macOS socket records are packed
from tests/fixtures/darwin/sockets.txt. Run by tests/fuzz/run.sh into a
temporary directory: corpora are made at run time, never committed.
"""
import glob
import os
import re
import struct
import sys

target, top, corpus = sys.argv[1:4]
fx = os.path.join(top, "tests", "fixtures")
count = 0


def seed(name, data):
    global count
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(corpus, "seed-%03d-%s" % (count, name)), "wb") as f:
        f.write(data)
    count += 1


def read(*path):
    with open(os.path.join(fx, *path), "rb") as f:
        return f.read()


def lines(*path):
    return [l for l in read(*path).decode().split("\n") if l.strip()]


def conf_texts():
    paths = sorted(glob.glob(os.path.join(fx, "config", "*.conf")))
    paths += sorted(glob.glob(os.path.join(top, "conf", "*.conf")))
    for p in paths:
        with open(p, "rb") as f:
            yield os.path.basename(p), f.read()


def json_strings_of(key, text):
    """The strings of every "key": [ ... ] array in text."""
    out = []
    for m in re.finditer(r'"%s"\s*:\s*\[([^\]]*)\]' % key, text):
        out += re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(1))
    return out


def nlmsgs(buf):
    """The netlink messages of a capture: (type, payload)."""
    off = 0
    while off + 16 <= len(buf):
        n, typ = struct.unpack_from("=IH", buf, off)
        if n < 16 or off + n > len(buf):
            break
        yield typ, buf[off + 16:off + n]
        off += (n + 3) & ~3


def darwin_record(fields):
    v = {k: 0 for k in ("so", "pcb", "family", "protocol", "kind", "uid",
                        "vflag", "flags", "lport", "fport", "ifindex",
                        "state")}
    laddr = faddr = bytes(16)
    for tok in fields.split():
        k, val = tok.split("=", 1)
        if k == "laddr":
            laddr = bytes.fromhex(val)
        elif k == "faddr":
            faddr = bytes.fromhex(val)
        else:
            v[k] = int(val, 0)
    # insi_lport as a little-endian Mac holds it: low byte first.
    port = lambda p: bytes([p & 0xff, (p >> 8) & 0xff])
    return struct.pack("=QQiiiIBI", v["so"], v["pcb"], v["family"],
                       v["protocol"], v["kind"], v["uid"] & 0xffffffff,
                       v["vflag"], v["flags"]) + port(v["lport"]) + \
        port(v["fport"]) + laddr + faddr + \
        struct.pack("=Hi", v["ifindex"], v["state"])


def darwin_proc(pid, ppid, status, ruid, svuid, comm, name, sec, usec):
    return struct.pack("=IIIII16s32sQQ", pid, ppid, status, ruid, svuid,
                       comm, name, sec, usec)


if target == "fuzz_proto_request":
    for i, l in enumerate(lines("proto", "requests.txt")):
        seed("request%d" % i, l)
elif target == "fuzz_proto_reply":
    for i, l in enumerate(lines("proto", "replies.txt")):
        seed("reply%d" % i, l)
elif target == "fuzz_config":
    for name, text in conf_texts():
        seed(name, text)
elif target == "fuzz_portspec":
    specs = set(["8080", "53/udp", "3000-3100", "http", "http/tcp",
                 "web", "1-65535/udp", "domain/udp"])
    for l in lines("proto", "requests.txt"):
        specs.update(json_strings_of("ports", l))
    for _, text in conf_texts():
        specs.update(json_strings_of("ports", text.decode()))
    for i, s in enumerate(sorted(specs)):
        seed("spec%d" % i, s)
elif target == "fuzz_glob":
    names = ["nginx", "python3", "/usr/sbin/nginx", "www-data",
             "C:\\Windows\\System32\\svchost.exe"]
    pairs = set()
    for _, text in conf_texts():
        text = text.decode()
        for key, flags in (("commands", 0), ("users", 0), ("exes", 1)):
            for pat in json_strings_of(key, text):
                for n in names:
                    pairs.add((flags, pat, n))
    pairs.add((2, "NGINX*", "nginx-worker"))
    pairs.add((1 | 4, "C:\\Windows\\*\\*.exe", names[-1]))
    pairs.add((0, "[a-c]?[!x]*", "abyz"))
    for i, (flags, pat, n) in enumerate(sorted(pairs)):
        seed("glob%d" % i, bytes([flags]) + pat.encode() + b"\0" +
             n.encode())
elif target == "fuzz_decode_linux_text":
    for sel, name in ((0, "proc_net_tcp.txt"), (1, "proc_net_tcp6.txt"),
                      (2, "proc_net_udp.txt"), (3, "proc_net_udp6.txt"),
                      (4, "proc_self_stat.txt"), (4, "proc_stat_tricky.txt"),
                      (5, "proc_self_status.txt")):
        seed(name, bytes([sel]) + read("linux", name))
    seed("cgroup-v2", b"\x06" + b"0::/system.slice/portd.service\n")
    seed("cgroup-v1", b"\x06" + b"12:pids:/user.slice\n"
         b"1:name=systemd:/user.slice/user-0.slice/session-3.scope\n")
    seed("fd-link", b"\x07socket:[351281]")
elif target == "fuzz_decode_linux_netlink":
    for name in sorted(glob.glob(os.path.join(fx, "linux", "netlink_*.bin"))):
        udp = 1 if "udp" in os.path.basename(name) else 0
        with open(name, "rb") as f:
            buf = f.read()
        seed(os.path.basename(name), bytes([udp]) + buf)
        # The first inet_diag payload alone, for decode_inet_diag.
        for typ, payload in nlmsgs(buf):
            if typ >= 16:
                seed("payload-" + os.path.basename(name),
                     bytes([2 | udp]) + payload)
                break
elif target == "fuzz_decode_win":
    for sel, name in enumerate(("tcp4.bin", "tcp6.bin", "udp4.bin",
                                "udp6.bin")):
        seed(name, bytes([sel]) + read("windows", name))
elif target == "fuzz_decode_darwin":
    records = []
    for l in lines("darwin", "sockets.txt"):
        if l.startswith("#") or " => " not in l:
            continue
        records.append(darwin_record(l.split(" => ")[0]))
    for i, r in enumerate(records):
        seed("socket%d" % i, b"\x00" + r)
    seed("sockets-all", b"\x00" + b"".join(records))
    seed("fds", b"\x01" + struct.pack("=iIiIiI", 0, 1, 3, 2, 4, 2))
    seed("proc", b"\x02" + darwin_proc(501, 1, 2, 501, 501, b"nginx",
                                       b"nginx: master", 1764690000,
                                       123456))
    seed("proc-zombie", b"\x02" + darwin_proc(77, 1, 5, 0, 0, b"x" * 16,
                                              b"", 1, 999999))
    seed("procargs", b"\x03" + struct.pack("=i", 2) +
         b"/usr/local/bin/nginx\0\0\0\0nginx\0-g\0"
         b"XPC_SERVICE_NAME=org.nginx.nginx\0HOME=/var/empty\0\0")
    seed("procargs-0", b"\x03" + struct.pack("=i", 1) +
         b"/bin/sh\0\0\0\0sh\0XPC_SERVICE_NAME=0\0\0")
else:
    sys.exit("seeds.py: unknown target %s" % target)
if count == 0:
    sys.exit("seeds.py: no seeds for %s (fixtures missing?)" % target)
