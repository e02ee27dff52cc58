/*
 * decode_darwin.c - pure decoders of macOS's libproc records (mirrored in
 * decode_darwin.h) into the portable structs of snapshot.h.
 *
 * This file builds on every host and includes no Apple header: the values
 * it needs are written out in decode_darwin.h. What xnu puts in the
 * records (bsd/kern/socket_info.c, netinet/tcp_usrreq.c, in6_pcb.c):
 *  - insi_lport/insi_fport hold inp_lport/inp_fport, in_port_t in network
 *    byte order, widened to int;
 *  - insi_laddr is the pcb's address union copied whole: an IPv4 address
 *    sits in its last 4 bytes;
 *  - binding an AF_INET6 socket to :: without IPV6_V6ONLY sets
 *    INP_IPV4 | INP_IPV6; to a v4-mapped address, INP_IPV4 alone (the pcb
 *    becomes an IPv4 one);
 *  - link-local IPv6 addresses carry their scope (interface index) in
 *    bytes 2..3 inside the kernel (KAME), and in6_ifindex is left 0.
 */
#include <stdio.h>
#include <string.h>

#include "decode_darwin.h"

static uint16_t
port_of(const uint8_t p[2])
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

/* fe80::/10 (link-local unicast), ff01::/16 and ff02::/16 (interface- and
 * link-local multicast): the addresses KAME scopes to an interface. */
static int
is_scoped6(const uint8_t a[16])
{
	if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)
		return 1;
	return a[0] == 0xff && ((a[1] & 0x0f) == 0x01 ||
	    (a[1] & 0x0f) == 0x02);
}

int
decode_darwin_socket(const struct darwin_sock *in, struct sock_info *out,
    char *err, size_t errlen)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff };
	int proto, v4, v6;

	memset(out, 0, sizeof(*out));
	if (in->family != DARWIN_AF_INET && in->family != DARWIN_AF_INET6)
		return 0;
	if (in->protocol == DARWIN_IPPROTO_TCP)
		proto = PD_TCP;
	else if (in->protocol == DARWIN_IPPROTO_UDP)
		proto = PD_UDP;
	else
		return 0;		/* raw, ICMP, ... */
	switch (in->kind) {
	case DARWIN_SOCKINFO_GENERIC:
		return 0;		/* no pcb: nothing bound */
	case DARWIN_SOCKINFO_IN:
		/* A TCP socket without its tcpcb has no state to judge. */
		if (proto == PD_TCP)
			return 0;
		break;
	case DARWIN_SOCKINFO_TCP:
		if (proto != PD_TCP) {
			pd_seterr(err, errlen, "SOCKINFO_TCP record for "
			    "protocol %d", (int)in->protocol);
			return -1;
		}
		if (in->tcp_state < 0 ||
		    in->tcp_state > DARWIN_TSI_S_RESERVED) {
			pd_seterr(err, errlen, "TCP state %d out of range",
			    (int)in->tcp_state);
			return -1;
		}
		break;
	default:
		pd_seterr(err, errlen, "socket kind %d for an IP socket",
		    (int)in->kind);
		return -1;
	}
	v4 = (in->vflag & DARWIN_INI_IPV4) != 0;
	v6 = (in->vflag & DARWIN_INI_IPV6) != 0;
	if (!v4 && !v6) {
		pd_seterr(err, errlen, "insi_vflag 0x%x names no IP version",
		    (unsigned)in->vflag);
		return -1;
	}
	if (v6 && in->family == DARWIN_AF_INET) {
		pd_seterr(err, errlen, "IPv6 pcb (insi_vflag 0x%x) on an "
		    "AF_INET socket", (unsigned)in->vflag);
		return -1;
	}

	if (proto == PD_TCP) {
		if (in->tcp_state != DARWIN_TSI_S_LISTEN)
			return 0;
		out->state = PD_LISTEN;
	} else {
		/* Bound and not connected: a UDP "listener". */
		if (port_of(in->lport) == 0 || port_of(in->fport) != 0)
			return 0;
		out->state = PD_BOUND;
	}
	out->port = port_of(in->lport);
	if (out->port == 0) {
		/* listen(2) binds a port if none was: never 0 in LISTEN. */
		pd_seterr(err, errlen, "TCP listener without a local port");
		return -1;
	}
	out->proto = (uint8_t)proto;
	out->uid = in->uid;
	out->inode = in->so != 0 ? in->so : in->pcb;

	if (v6) {
		out->family = PD_INET6;
		memcpy(out->addr, in->laddr, 16);
		out->v6only = v4 ? 0 :
		    (in->flags & DARWIN_IN6P_IPV6_V6ONLY) != 0;
		if (is_scoped6(out->addr)) {
			if (out->addr[2] != 0 || out->addr[3] != 0) {
				out->scope_id = (uint32_t)((out->addr[2] << 8) |
				    out->addr[3]);
				out->addr[2] = out->addr[3] = 0;
			} else {
				out->scope_id = in->ifindex;
			}
		}
	} else if (in->family == DARWIN_AF_INET6) {
		/* An AF_INET6 socket bound to ::ffff:a.b.c.d. */
		out->family = PD_INET6;
		memcpy(out->addr, mapped, 12);
		memcpy(out->addr + 12, in->laddr + 12, 4);
		out->v6only = 0;
	} else {
		out->family = PD_INET;
		memcpy(out->addr, in->laddr + 12, 4);
		out->v6only = 0;
	}
	return 1;
}

size_t
decode_darwin_socket_fds(const void *buf, size_t len, int32_t *out,
    size_t max)
{
	const unsigned char *p = buf;
	size_t off, n = 0;
	int32_t fd;
	uint32_t type;

	for (off = 0; off + 8 <= len && n < max; off += 8) {
		memcpy(&fd, p + off, 4);
		memcpy(&type, p + off + 4, 4);
		if (type == DARWIN_PROX_FDTYPE_SOCKET && fd >= 0)
			out[n++] = fd;
	}
	return n;
}

/* Copies a char array that may lack its NUL. */
static void
copy_name(char *dst, size_t dstlen, const char *src, size_t srclen)
{
	size_t n = strnlen(src, srclen);

	if (n >= dstlen)
		n = dstlen - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

int
decode_darwin_proc(const struct darwin_proc *in, struct proc_info *out)
{
	if (in->start_sec == 0 || in->start_usec >= 1000000 ||
	    in->start_sec > (uint64_t)INT64_MAX / 1000000 - 1)
		return -1;
	out->pid = (int32_t)in->pid;
	out->ppid = (int32_t)in->ppid;
	out->uid = in->ruid;
	out->suid = in->svuid;
	if (in->name[0] != '\0')
		copy_name(out->comm, sizeof(out->comm), in->name,
		    sizeof(in->name));
	else
		copy_name(out->comm, sizeof(out->comm), in->comm,
		    sizeof(in->comm));
	out->start_time = in->start_sec * 1000000 + in->start_usec;
	out->started_ms = (int64_t)(out->start_time / 1000);
	return 0;
}

int
decode_darwin_same_process(const struct darwin_proc *in, int32_t pid,
    uint64_t start_time)
{
	struct proc_info now;

	memset(&now, 0, sizeof(now));
	if (decode_darwin_proc(in, &now) == -1)
		return 0;
	return now.pid == pid && in->status != DARWIN_SZOMB &&
	    now.start_time == start_time;
}

int
decode_darwin_launchd_label(const void *procargs, size_t len, char *buf,
    size_t buflen)
{
	static const char key[] = "XPC_SERVICE_NAME=";
	const char *p = procargs, *end = p + len, *s, *nul;
	int32_t argc, i;

	if (buflen > 0)
		buf[0] = '\0';
	if (len < sizeof(argc))
		return -1;
	memcpy(&argc, p, sizeof(argc));
	if (argc < 0)
		return -1;
	s = p + sizeof(argc);
	/* The executable path, then NUL padding up to argv[0]. */
	if ((nul = memchr(s, '\0', (size_t)(end - s))) == NULL)
		return -1;
	for (s = nul; s < end && *s == '\0'; s++)
		;
	for (i = 0; i < argc; i++) {
		if (s >= end || (nul = memchr(s, '\0', (size_t)(end - s))) ==
		    NULL)
			return -1;
		s = nul + 1;
	}
	/* The environment, up to an empty string (the apple[] strings
	 * follow it). */
	while (s < end && *s != '\0') {
		if ((nul = memchr(s, '\0', (size_t)(end - s))) == NULL)
			return -1;
		if ((size_t)(nul - s) > sizeof(key) - 1 &&
		    memcmp(s, key, sizeof(key) - 1) == 0) {
			s += sizeof(key) - 1;
			/* "0": a process launchd did not start as a job. */
			if (strcmp(s, "0") == 0 ||
			    (size_t)(nul - s) >= buflen)
				return -1;
			memcpy(buf, s, (size_t)(nul - s) + 1);
			return 0;
		}
		s = nul + 1;
	}
	return -1;
}
