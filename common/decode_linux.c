/*
 * decode_linux.c - pure decoders of Linux's /proc text and sock_diag
 * netlink answers into the portable structs of snapshot.h.
 *
 * This file builds on every host (the tests run everywhere from fixtures),
 * so it includes no <linux/...> header: the few netlink and inet_diag
 * layouts it needs are kernel UAPI, stable by promise, and are written out
 * below as offsets and Linux's own constant values (AF_INET6 is 10 on
 * Linux, 30 on macOS). Fields are read with memcpy, so buffers need no
 * particular alignment.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "decode_linux.h"

/* Linux's values, whatever the host's are. */
#define LNX_AF_INET		2
#define LNX_AF_INET6		10
#define LNX_TCP_ESTABLISHED	1
#define LNX_TCP_CLOSE		7
#define LNX_TCP_LISTEN		10

/* struct nlmsghdr: len u32, type u16, flags u16, seq u32, pid u32. */
#define NLH_LEN			16
#define NLH_OFF_LEN		0
#define NLH_OFF_TYPE		4
#define NLMSG_ALIGN4(n)		(((n) + 3) & ~(size_t)3)
#define LNX_NLMSG_NOOP		1
#define LNX_NLMSG_ERROR		2
#define LNX_NLMSG_DONE		3
#define LNX_NLMSG_OVERRUN	4
#define LNX_TCPDIAG_GETSOCK	18	/* the older request: both families */
#define LNX_SOCK_DIAG_BY_FAMILY	20

/*
 * struct inet_diag_msg (72 bytes): family, state, timer, retrans (u8);
 * struct inet_diag_sockid { sport, dport (be16); src[4], dst[4] (be32);
 * if (u32); cookie[2] (u32) }; expires, rqueue, wqueue, uid, inode (u32).
 */
#define IDM_LEN			72
#define IDM_OFF_FAMILY		0
#define IDM_OFF_STATE		1
#define IDM_OFF_SPORT		4
#define IDM_OFF_SRC		8
#define IDM_OFF_IF		40
#define IDM_OFF_UID		64
#define IDM_OFF_INODE		68

/* struct rtattr: len u16, type u16, then the value. */
#define RTA_HDRLEN		4
#define LNX_NLA_TYPE_MASK	0x3fff
#define LNX_INET_DIAG_SKV6ONLY	11

/* The proc connector: struct cn_msg (linux/connector.h) and struct
 * proc_event (linux/cn_proc.h), with the offsets the kernel has used
 * since 2.6.15. */
#define CN_LEN			20
#define CN_OFF_IDX		0
#define CN_OFF_VAL		4
#define CN_OFF_DLEN		16
#define LNX_CN_IDX_PROC		1
#define LNX_CN_VAL_PROC		1
#define PEV_OFF_WHAT		0
#define PEV_OFF_DATA		16	/* after what, cpu, timestamp_ns */
#define LNX_PROC_EVENT_NONE	0x00000000u	/* the ack */
#define LNX_PROC_EVENT_FORK	0x00000001u
#define LNX_PROC_EVENT_EXEC	0x00000002u
#define LNX_PROC_EVENT_UID	0x00000004u
#define LNX_PROC_EVENT_GID	0x00000040u
#define LNX_PROC_EVENT_SID	0x00000080u
#define LNX_PROC_EVENT_COMM	0x00000200u
#define LNX_PROC_EVENT_EXIT	0x80000000u

static uint16_t
get_u16(const unsigned char *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint32_t
get_u32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* The positive errno in a netlink error field (sent negated). */
static int
errno_of(int32_t e)
{
	if (e == INT32_MIN)
		return INT32_MAX;
	return e < 0 ? -e : e;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* 1 to 8 hex digits, nothing else. */
static int
parse_hex32(const char *s, size_t n, uint32_t *out)
{
	uint32_t v = 0;
	size_t i;
	int d;

	if (n == 0 || n > 8)
		return -1;
	for (i = 0; i < n; i++) {
		if ((d = hexval(s[i])) < 0)
			return -1;
		v = (v << 4) | (uint32_t)d;
	}
	*out = v;
	return 0;
}

/* Decimal digits only, no sign, at most max. */
static int
parse_dec(const char *s, size_t n, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;
	unsigned d;

	if (n == 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		d = (unsigned)(s[i] - '0');
		if (v > (max - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

static int
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n';
}

/*
 * Next blank-separated token of [*pp, end); advances *pp past it.
 * Returns 0, or -1 at the end of the input.
 */
static int
next_token(const char **pp, const char *end, const char **tok, size_t *toklen)
{
	const char *p = *pp, *t;

	while (p < end && is_blank(*p))
		p++;
	if (p == end)
		return -1;
	t = p;
	while (p < end && !is_blank(*p))
		p++;
	*tok = t;
	*toklen = (size_t)(p - t);
	*pp = p;
	return 0;
}

/*
 * "0100007F:1F90": the address is printed as host-endian 32-bit words
 * (the kernel formats the network-order bytes with %08X as one int), so
 * storing each decoded word back in host order restores the original
 * bytes. The port is a plain number.
 */
static int
parse_procnet_addr(const char *s, size_t n, int family, uint8_t addr[16],
    uint16_t *port)
{
	size_t words = family == PD_INET6 ? 4 : 1, i;
	uint32_t w, p;

	if (n < words * 8 + 2 || s[words * 8] != ':')
		return -1;
	memset(addr, 0, 16);
	for (i = 0; i < words; i++) {
		if (parse_hex32(s + i * 8, 8, &w) == -1)
			return -1;
		memcpy(addr + i * 4, &w, sizeof(w));
	}
	if (parse_hex32(s + words * 8 + 1, n - words * 8 - 1, &p) == -1 ||
	    p > UINT16_MAX)
		return -1;
	*port = (uint16_t)p;
	return 0;
}

/*
 * One row: sl local_address rem_address st tx:rx tr:when retrnsmt uid
 * timeout inode [more]. Returns 1 for a listener, 0 for another socket,
 * -1 with err set when malformed.
 */
static int
decode_procnet_line(const char *p, const char *end, size_t lineno, int proto,
    int family, struct sock_info *si, char *err, size_t errlen)
{
	const char *tok;
	size_t toklen, field;
	uint8_t remaddr[16];
	uint16_t remport;
	uint32_t st = 0;
	uint64_t v;

	memset(si, 0, sizeof(*si));
	si->proto = (uint8_t)proto;
	si->family = (uint8_t)family;
	si->v6only = family == PD_INET6 ? -1 : 0;
	for (field = 0; field < 10; field++) {
		if (next_token(&p, end, &tok, &toklen) == -1) {
			pd_seterr(err, errlen, "line %zu: %zu columns, "
			    "expected at least 10", lineno, field);
			return -1;
		}
		switch (field) {
		case 0:		/* "12:" */
			if (toklen < 2 || tok[toklen - 1] != ':' ||
			    parse_dec(tok, toklen - 1, UINT32_MAX, &v) == -1)
				goto bad;
			break;
		case 1:
			if (parse_procnet_addr(tok, toklen, family, si->addr,
			    &si->port) == -1)
				goto bad;
			break;
		case 2:		/* checked only to catch a wrong file */
			if (parse_procnet_addr(tok, toklen, family, remaddr,
			    &remport) == -1)
				goto bad;
			break;
		case 3:
			if (toklen != 2 || parse_hex32(tok, toklen, &st) == -1)
				goto bad;
			break;
		case 7:
			if (parse_dec(tok, toklen, UINT32_MAX, &v) == -1)
				goto bad;
			si->uid = (uint32_t)v;
			break;
		case 9:
			if (parse_dec(tok, toklen, UINT64_MAX, &v) == -1)
				goto bad;
			si->inode = v;
			break;
		default:	/* queues, timers: not ours to check */
			break;
		}
		continue;
 bad:
		pd_seterr(err, errlen, "line %zu: bad column %zu '%.*s'",
		    lineno, field + 1, (int)(toklen > 40 ? 40 : toklen), tok);
		return -1;
	}
	if (proto == PD_TCP && st == LNX_TCP_LISTEN) {
		si->state = PD_LISTEN;
		return 1;
	}
	/* UDP in TCP_CLOSE with a port is bound and unconnected. */
	if (proto == PD_UDP && st == LNX_TCP_CLOSE && si->port != 0) {
		si->state = PD_BOUND;
		return 1;
	}
	return 0;
}

int
decode_procnet(const char *text, size_t len, int proto, int family,
    decode_sock_fn cb, void *arg, char *err, size_t errlen)
{
	const char *p = text, *end = text + len, *eol, *tok, *q;
	struct sock_info si;
	size_t lineno = 1, toklen;
	int count = 0, r;

	if (len == 0) {
		pd_seterr(err, errlen, "empty /proc/net file (no header)");
		return -1;
	}
	if ((proto != PD_TCP && proto != PD_UDP) ||
	    (family != PD_INET && family != PD_INET6)) {
		pd_seterr(err, errlen, "bad protocol or family");
		return -1;
	}
	/* The header names the columns; "sl" first tells it is one. */
	if ((eol = memchr(p, '\n', len)) == NULL)
		eol = end;
	if (next_token(&p, eol, &tok, &toklen) == -1 || toklen != 2 ||
	    memcmp(tok, "sl", 2) != 0) {
		pd_seterr(err, errlen, "line 1: not a /proc/net header");
		return -1;
	}
	for (p = eol; p < end; p = eol) {
		p++;		/* the '\n' that ended the previous line */
		lineno++;
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			eol = end;
		q = p;
		if (next_token(&q, eol, &tok, &toklen) == -1)
			continue;	/* blank, e.g. after the last '\n' */
		r = decode_procnet_line(p, eol, lineno, proto, family, &si,
		    err, errlen);
		if (r == -1)
			return -1;
		if (r == 0)
			continue;
		if (count == INT_MAX) {
			pd_seterr(err, errlen, "line %zu: too many sockets",
			    lineno);
			return -1;
		}
		if (cb != NULL && cb(arg, &si) != 0) {
			pd_seterr(err, errlen, "line %zu: callback failed",
			    lineno);
			return -1;
		}
		count++;
	}
	return count;
}

int
decode_inet_diag(const void *payload, size_t len, int proto,
    struct sock_info *out, char *err, size_t errlen)
{
	const unsigned char *m = payload, *a;
	struct sock_info si;
	size_t off, rlen;
	uint16_t rtype;
	uint8_t family, state;
	int v6only = -1, listener;

	if (len < IDM_LEN) {
		pd_seterr(err, errlen, "inet_diag message too short (%zu "
		    "bytes)", len);
		return -1;
	}
	family = m[IDM_OFF_FAMILY];
	state = m[IDM_OFF_STATE];
	if (family != LNX_AF_INET && family != LNX_AF_INET6) {
		pd_seterr(err, errlen, "inet_diag message of family %u",
		    family);
		return -1;
	}
	/* Walk every attribute, even of skipped sockets: a bad one means
	 * the buffer is not what we think, and nothing in it can be
	 * trusted. */
	for (off = NLMSG_ALIGN4((size_t)IDM_LEN); off + RTA_HDRLEN <= len;
	    off += NLMSG_ALIGN4(rlen)) {
		a = m + off;
		rlen = get_u16(a);
		rtype = get_u16(a + 2) & LNX_NLA_TYPE_MASK;
		if (rlen < RTA_HDRLEN || rlen > len - off) {
			pd_seterr(err, errlen, "inet_diag attribute %u "
			    "overruns its message", rtype);
			return -1;
		}
		if (rtype == LNX_INET_DIAG_SKV6ONLY && rlen > RTA_HDRLEN)
			v6only = a[RTA_HDRLEN] != 0;
		if (NLMSG_ALIGN4(rlen) >= len - off)
			break;	/* last one; its padding may be missing */
	}

	memset(&si, 0, sizeof(si));
	si.proto = (uint8_t)proto;
	/* The port and address are in network order, as the struct wants. */
	si.port = (uint16_t)((m[IDM_OFF_SPORT] << 8) | m[IDM_OFF_SPORT + 1]);
	si.uid = get_u32(m + IDM_OFF_UID);
	si.inode = get_u32(m + IDM_OFF_INODE);
	if (family == LNX_AF_INET) {
		si.family = PD_INET;
		si.v6only = 0;
		memcpy(si.addr, m + IDM_OFF_SRC, 4);
	} else {
		si.family = PD_INET6;
		si.v6only = (int8_t)v6only;
		memcpy(si.addr, m + IDM_OFF_SRC, 16);
		/*
		 * idiag_if is the bound device. Only a link-local address
		 * needs it to mean anything; elsewhere (SO_BINDTODEVICE on
		 * [::]) "%if" would invent a scope the address lacks, and
		 * /proc/net could not report it either.
		 */
		if (si.addr[0] == 0xfe && (si.addr[1] & 0xc0) == 0x80)
			si.scope_id = get_u32(m + IDM_OFF_IF);
	}

	if (proto == PD_TCP) {
		listener = state == LNX_TCP_LISTEN;
		si.state = PD_LISTEN;
	} else if (proto == PD_UDP) {
		listener = state == LNX_TCP_CLOSE && si.port != 0;
		si.state = PD_BOUND;
	} else {
		pd_seterr(err, errlen, "bad protocol %d", proto);
		return -1;
	}
	if (!listener)
		return 0;
	*out = si;
	return 1;
}

int
decode_netlink(const void *buf, size_t len, int proto, decode_sock_fn cb,
    void *arg, int *nlerr, char *err, size_t errlen)
{
	const unsigned char *b = buf, *msg;
	struct sock_info si;
	size_t off, mlen;
	uint16_t type;
	int32_t e;
	int r;

	for (off = 0; off < len; off += NLMSG_ALIGN4(mlen)) {
		msg = b + off;
		if (len - off < NLH_LEN) {
			pd_seterr(err, errlen, "netlink: truncated header at "
			    "offset %zu", off);
			return -1;
		}
		mlen = get_u32(msg + NLH_OFF_LEN);
		type = get_u16(msg + NLH_OFF_TYPE);
		if (mlen < NLH_LEN || mlen > len - off) {
			pd_seterr(err, errlen, "netlink: message of %zu bytes "
			    "at offset %zu overruns the buffer", mlen, off);
			return -1;
		}
		switch (type) {
		case LNX_NLMSG_DONE:
			/* A dump that failed part-way says so here. */
			if (mlen >= NLH_LEN + sizeof(e)) {
				memcpy(&e, msg + NLH_LEN, sizeof(e));
				if (e < 0) {
					if (nlerr != NULL)
						*nlerr = errno_of(e);
					pd_seterr(err, errlen, "netlink: dump "
					    "failed: %s",
					    strerror(errno_of(e)));
					return -1;
				}
			}
			return 1;
		case LNX_NLMSG_ERROR:
			if (mlen < NLH_LEN + sizeof(e)) {
				pd_seterr(err, errlen, "netlink: truncated "
				    "error message");
				return -1;
			}
			memcpy(&e, msg + NLH_LEN, sizeof(e));
			if (e == 0)
				break;	/* an acknowledgement */
			if (nlerr != NULL)
				*nlerr = errno_of(e);
			pd_seterr(err, errlen, "netlink: kernel answered: %s",
			    strerror(errno_of(e)));
			return -1;
		case LNX_NLMSG_OVERRUN:
			pd_seterr(err, errlen, "netlink: overrun, data lost");
			return -1;
		case LNX_TCPDIAG_GETSOCK:
		case LNX_SOCK_DIAG_BY_FAMILY:
			r = decode_inet_diag(msg + NLH_LEN, mlen - NLH_LEN,
			    proto, &si, err, errlen);
			if (r == -1)
				return -1;
			if (r == 1 && cb != NULL && cb(arg, &si) != 0) {
				pd_seterr(err, errlen, "callback failed");
				return -1;
			}
			break;
		default:	/* NLMSG_NOOP and anything newer */
			break;
		}
		if (NLMSG_ALIGN4(mlen) >= len - off)
			break;
	}
	return 0;
}

/*
 * One proc_event. Every kind the cache uses starts its data with the
 * pid then the tgid of the task it is about (fork: the parent's, then
 * the child's); only events about a whole process (pid == tgid) count.
 * Returns 1 with *ev filled, 0 to skip, -1 when too short.
 */
static int
decode_one_pev(const unsigned char *d, size_t len, struct pd_proc_event *ev)
{
	uint32_t what;
	int32_t v[4];
	size_t need;

	if (len < PEV_OFF_DATA + 4)
		return -1;
	what = get_u32(d + PEV_OFF_WHAT);
	need = what == LNX_PROC_EVENT_FORK ? 16 : what == LNX_PROC_EVENT_NONE ?
	    4 : 8;
	if (len < PEV_OFF_DATA + need)
		return -1;
	memset(v, 0, sizeof(v));
	memcpy(v, d + PEV_OFF_DATA, need);
	memset(ev, 0, sizeof(*ev));
	switch (what) {
	case LNX_PROC_EVENT_NONE:
		ev->kind = PD_PEV_ACK;
		ev->err = v[0];
		return 1;
	case LNX_PROC_EVENT_FORK:
		if (v[2] != v[3])
			return 0;	/* a new thread */
		ev->kind = PD_PEV_FORK;
		ev->tgid = v[1];
		ev->child = v[3];
		return 1;
	case LNX_PROC_EVENT_EXEC:
		ev->kind = PD_PEV_EXEC;
		break;
	case LNX_PROC_EVENT_EXIT:
		ev->kind = PD_PEV_EXIT;
		break;
	case LNX_PROC_EVENT_UID:
	case LNX_PROC_EVENT_GID:
	case LNX_PROC_EVENT_SID:
	case LNX_PROC_EVENT_COMM:
		ev->kind = PD_PEV_CHANGE;
		break;
	default:
		return 0;
	}
	/* A thread's exit or its own comm: the process stays as it was. */
	if (v[0] != v[1] && ev->kind != PD_PEV_EXEC)
		return 0;
	ev->tgid = v[1];
	return 1;
}

int
decode_proc_events(const void *buf, size_t len, decode_pev_fn cb, void *arg,
    char *err, size_t errlen)
{
	const unsigned char *b = buf, *msg, *cn;
	struct pd_proc_event ev;
	size_t off, mlen, dlen;
	uint16_t type;
	int n = 0, r;

	for (off = 0; off < len; off += NLMSG_ALIGN4(mlen)) {
		msg = b + off;
		if (len - off < NLH_LEN) {
			pd_seterr(err, errlen, "connector: truncated header "
			    "at offset %zu", off);
			return -1;
		}
		mlen = get_u32(msg + NLH_OFF_LEN);
		type = get_u16(msg + NLH_OFF_TYPE);
		if (mlen < NLH_LEN || mlen > len - off) {
			pd_seterr(err, errlen, "connector: message of %zu "
			    "bytes at offset %zu overruns the buffer", mlen,
			    off);
			return -1;
		}
		if (type == LNX_NLMSG_NOOP)
			continue;
		if (type != LNX_NLMSG_DONE) {
			/* The connector sends everything as NLMSG_DONE. */
			pd_seterr(err, errlen, "connector: message of type "
			    "%u", (unsigned)type);
			return -1;
		}
		cn = msg + NLH_LEN;
		if (mlen - NLH_LEN < CN_LEN) {
			pd_seterr(err, errlen, "connector: truncated cn_msg");
			return -1;
		}
		dlen = get_u16(cn + CN_OFF_DLEN);
		if (dlen > mlen - NLH_LEN - CN_LEN) {
			pd_seterr(err, errlen, "connector: %zu bytes of data "
			    "in a message with room for %zu", dlen,
			    mlen - NLH_LEN - CN_LEN);
			return -1;
		}
		if (get_u32(cn + CN_OFF_IDX) != LNX_CN_IDX_PROC ||
		    get_u32(cn + CN_OFF_VAL) != LNX_CN_VAL_PROC)
			continue;	/* another connector user's */
		if ((r = decode_one_pev(cn + CN_LEN, dlen, &ev)) == -1) {
			pd_seterr(err, errlen, "connector: proc_event of "
			    "%zu bytes is too short", dlen);
			return -1;
		}
		if (r == 0)
			continue;
		if (cb(arg, &ev) != 0) {
			pd_seterr(err, errlen, "connector: callback failed");
			return -1;
		}
		n++;
	}
	return n;
}

uint64_t
decode_socket_link(const char *target, size_t len)
{
	static const char pre[] = "socket:[";
	const size_t plen = sizeof(pre) - 1;
	uint64_t v;

	if (len < plen + 2 || memcmp(target, pre, plen) != 0 ||
	    target[len - 1] != ']')
		return 0;
	if (parse_dec(target + plen, len - plen - 1, UINT64_MAX, &v) == -1)
		return 0;
	return v;
}

int
decode_proc_stat(const char *text, size_t len, struct proc_info *out)
{
	const char *open, *close, *p, *end = text + len, *tok;
	size_t n, toklen, field;
	uint64_t pid, ppid = 0, start = 0;

	/* "pid (comm) state ppid ...": comm may hold anything, ')' too,
	 * but nothing after it can, so the last ')' ends it. */
	if ((open = memchr(text, '(', len)) == NULL)
		return -1;
	for (close = end; close > open; close--)
		if (close[-1] == ')')
			break;
	if (close == open)
		return -1;
	close--;
	if (open < text + 2 || open[-1] != ' ' ||
	    parse_dec(text, (size_t)(open - 1 - text), INT32_MAX, &pid) == -1)
		return -1;
	if (close + 1 == end || close[1] != ' ')
		return -1;
	p = close + 1;
	for (field = 3; field <= 22; field++) {
		if (next_token(&p, end, &tok, &toklen) == -1)
			return -1;
		if (field == 4 &&
		    parse_dec(tok, toklen, INT32_MAX, &ppid) == -1)
			return -1;
		if (field == 22 &&
		    parse_dec(tok, toklen, UINT64_MAX, &start) == -1)
			return -1;
	}

	out->pid = (int32_t)pid;
	out->ppid = (int32_t)ppid;
	out->start_time = start;
	n = (size_t)(close - open - 1);
	if (n > sizeof(out->comm) - 1)
		n = sizeof(out->comm) - 1;
	memcpy(out->comm, open + 1, n);
	out->comm[n] = '\0';
	return 0;
}

int
decode_proc_status_uids(const char *text, size_t len, uint32_t *ruid,
    uint32_t *euid, uint32_t *suid)
{
	const char *p = text, *end = text + len, *eol, *tok;
	uint64_t ids[4];
	size_t toklen, i;

	for (; p < end; p = eol + 1) {
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			eol = end;
		if ((size_t)(eol - p) < 4 || memcmp(p, "Uid:", 4) != 0)
			continue;
		p += 4;
		/* real, effective, saved, filesystem */
		for (i = 0; i < 4; i++)
			if (next_token(&p, eol, &tok, &toklen) == -1 ||
			    parse_dec(tok, toklen, UINT32_MAX, &ids[i]) == -1)
				return -1;
		if (next_token(&p, eol, &tok, &toklen) == 0)
			return -1;
		if (ruid != NULL)
			*ruid = (uint32_t)ids[0];
		if (euid != NULL)
			*euid = (uint32_t)ids[1];
		if (suid != NULL)
			*suid = (uint32_t)ids[2];
		return 0;
	}
	return -1;
}

/* The last ".service"/".scope" component of one cgroup path. */
static int
unit_of_path(const char *p, size_t n, char *buf, size_t buflen)
{
	size_t end = n, start, len;

	while (end > 0) {
		start = end;
		while (start > 0 && p[start - 1] != '/')
			start--;
		len = end - start;
		if ((len > 8 && memcmp(p + end - 8, ".service", 8) == 0) ||
		    (len > 6 && memcmp(p + end - 6, ".scope", 6) == 0)) {
			if (len >= buflen)
				return -1;
			memcpy(buf, p + start, len);
			buf[len] = '\0';
			return 0;
		}
		end = start > 0 ? start - 1 : 0;
	}
	return -1;
}

int
decode_cgroup_unit(const char *text, size_t len, char *buf, size_t buflen)
{
	const char *line = text, *end = text + len, *nl, *path;
	int pass;

	if (buflen > 0)
		buf[0] = '\0';
	/* cgroup v2's "0::" first, then v1's name=systemd hierarchy. */
	for (pass = 0; pass < 2; pass++) {
		for (line = text; line < end; line = nl + 1) {
			if ((nl = memchr(line, '\n', (size_t)(end - line))) ==
			    NULL)
				nl = end;
			if (pass == 0 && (size_t)(nl - line) >= 3 &&
			    memcmp(line, "0::", 3) == 0)
				path = line + 3;
			else if (pass == 1 && (path = memchr(line, ':',
			    (size_t)(nl - line))) != NULL &&
			    (size_t)(nl - path) > 16 &&
			    memcmp(path, ":name=systemd:", 14) == 0)
				path += 14;
			else
				continue;
			if (unit_of_path(path, (size_t)(nl - path), buf,
			    buflen) == 0)
				return 0;
		}
	}
	if (buflen > 0)
		buf[0] = '\0';
	return -1;
}
