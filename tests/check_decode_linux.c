/*
 * check_decode_linux.c - tests of the pure Linux decoders, from fixtures
 * captured on a real machine (tests/fixtures/linux/, made by capture.py)
 * and from hand-built bytes for what a healthy kernel never sends.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode_linux.h"

#ifndef FIXTURES
#error "build with -DFIXTURES=\"/path/to/tests/fixtures\""
#endif

/*
 * The sockets capture.py opened (see fixtures/linux/expected.txt). The
 * captures also hold the machine's own listener on 0.0.0.0:2024, an
 * ESTABLISHED pair on 41009, three TIME_WAIT rows and a connected UDP
 * socket on 41010, none of which but the first may be passed on.
 */
#define P_TCP4_LO	41001
#define I_TCP4_LO	6756
#define P_TCP6_LO	41002
#define I_TCP6_LO	6757
#define P_TCP6_DUAL	41003
#define I_TCP6_DUAL	6758
#define P_TCP6_V6ONLY	41004
#define I_TCP6_V6ONLY	6759
#define P_TCP6_MAPPED	41005
#define I_TCP6_MAPPED	6760
#define P_UDP4_LO	41006
#define I_UDP4_LO	6761
#define P_UDP6_LO	41007
#define I_UDP6_LO	6762
#define P_UDP6_DUAL	41008
#define I_UDP6_DUAL	6763
#define P_TCP4_SERVER	41009
#define I_TCP4_SERVER	6764
#define P_TCP4_CLIENT	54962	/* ESTABLISHED */
#define I_TCP4_PEER	6766	/* ESTABLISHED, on 41009 */
#define P_UDP4_CONN	41010	/* connected UDP */
#define P_TCP4_NOBODY	41011
#define I_TCP4_NOBODY	6770
#define UID_NOBODY	65534
#define P_HOST		2024	/* the machine's own, on 0.0.0.0 */
#define I_HOST		1076

#define N_TCP4		4	/* 41001 41009 41011 2024 */
#define N_TCP6		4	/* 41002 41003 41004 41005 */
#define N_UDP4		1	/* 41006 */
#define N_UDP6		2	/* 41007 41008 */

static const uint8_t a_lo4[16] = { 127, 0, 0, 1 };
static const uint8_t a_any[16];
static const uint8_t a_lo6[16] = { [15] = 1 };
static const uint8_t a_mapped[16] = { [10] = 0xff, [11] = 0xff, 127, 0, 0,
    1 };

#define MAXSOCKS 64

struct collect {
	struct sock_info s[MAXSOCKS];
	size_t n;
	int fail_at;		/* fail on this call (1-based), 0 never */
};

static int
collect_cb(void *arg, const struct sock_info *si)
{
	struct collect *c = arg;

	if (c->n >= MAXSOCKS)
		return -1;
	c->s[c->n++] = *si;
	if (c->fail_at != 0 && (size_t)c->fail_at == c->n)
		return -1;
	return 0;
}

static const struct sock_info *
by_port(const struct collect *c, uint16_t port)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (c->s[i].port == port)
			return &c->s[i];
	return NULL;
}

static size_t
count_port(const struct collect *c, uint16_t port)
{
	size_t i, n = 0;

	for (i = 0; i < c->n; i++)
		if (c->s[i].port == port)
			n++;
	return n;
}

static const struct sock_info *
by_inode(const struct collect *c, uint64_t inode)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (c->s[i].inode == inode)
			return &c->s[i];
	return NULL;
}

/* The whole file, NUL-terminated for the hand-written cases' sake. */
static char *
slurp(const char *name, size_t *len)
{
	char path[512];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/linux/%s", FIXTURES, name);
	f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	ck_assert_int_ge(n, 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static int
procnet_file(const char *name, int proto, int family, struct collect *c,
    char *err, size_t errlen)
{
	size_t len;
	char *text;
	int r;

	memset(c, 0, sizeof(*c));
	text = slurp(name, &len);
	r = decode_procnet(text, len, proto, family, collect_cb, c, err,
	    errlen);
	free(text);
	return r;
}

static int
netlink_file(const char *name, int proto, struct collect *c)
{
	char err[256] = "";
	size_t len;
	char *buf;
	int r, nlerr = 0;

	memset(c, 0, sizeof(*c));
	buf = slurp(name, &len);
	r = decode_netlink(buf, len, proto, collect_cb, c, &nlerr, err,
	    sizeof(err));
	free(buf);
	ck_assert_msg(r == 1, "%s: %d, %s", name, r, err);
	ck_assert_int_eq(nlerr, 0);
	return r;
}

static void
assert_sock(const struct sock_info *si, int proto, int family, int state,
    const uint8_t *addr, uint64_t inode, uint32_t uid)
{
	ck_assert_ptr_nonnull(si);
	ck_assert_int_eq(si->proto, proto);
	ck_assert_int_eq(si->family, family);
	ck_assert_int_eq(si->state, state);
	ck_assert_mem_eq(si->addr, addr, 16);
	ck_assert_uint_eq(si->inode, inode);
	ck_assert_uint_eq(si->uid, uid);
	ck_assert_int_eq(si->pid, 0);
	ck_assert_uint_eq(si->scope_id, 0);
	if (family == PD_INET)
		ck_assert_int_eq(si->v6only, 0);
}

/*
 * /proc/net prints addresses as host-endian words and netlink headers are
 * host-endian too; the fixtures come from x86_64.
 */
START_TEST(test_host_little_endian)
{
	const uint16_t one = 1;

	ck_assert_msg(*(const uint8_t *)&one == 1,
	    "fixtures were captured on a little-endian host");
}
END_TEST

/*
 * What both sources decode from the captures (taken together, of the
 * same sockets): the listeners by port, with what every source reports.
 * What only one source knows (netlink's v6only) stays in its test.
 */
static void
expect_tcp4(const struct collect *c)
{
	ck_assert_uint_eq(c->n, N_TCP4);
	assert_sock(by_port(c, P_TCP4_LO), PD_TCP, PD_INET, PD_LISTEN,
	    a_lo4, I_TCP4_LO, 0);
	assert_sock(by_port(c, P_TCP4_NOBODY), PD_TCP, PD_INET, PD_LISTEN,
	    a_lo4, I_TCP4_NOBODY, UID_NOBODY);
	assert_sock(by_port(c, P_HOST), PD_TCP, PD_INET, PD_LISTEN, a_any,
	    I_HOST, 0);
	/* The listener on 41009 only: not its accepted peer. */
	ck_assert_uint_eq(count_port(c, P_TCP4_SERVER), 1);
	assert_sock(by_port(c, P_TCP4_SERVER), PD_TCP, PD_INET, PD_LISTEN,
	    a_lo4, I_TCP4_SERVER, 0);
	ck_assert_ptr_null(by_port(c, P_TCP4_CLIENT));
	ck_assert_ptr_null(by_inode(c, I_TCP4_PEER));
	ck_assert_ptr_null(by_inode(c, 0));	/* TIME_WAIT rows */
}

static void
expect_tcp6(const struct collect *c)
{
	ck_assert_uint_eq(c->n, N_TCP6);
	assert_sock(by_port(c, P_TCP6_LO), PD_TCP, PD_INET6, PD_LISTEN,
	    a_lo6, I_TCP6_LO, 0);
	assert_sock(by_port(c, P_TCP6_DUAL), PD_TCP, PD_INET6, PD_LISTEN,
	    a_any, I_TCP6_DUAL, 0);
	assert_sock(by_port(c, P_TCP6_V6ONLY), PD_TCP, PD_INET6, PD_LISTEN,
	    a_any, I_TCP6_V6ONLY, 0);
	assert_sock(by_port(c, P_TCP6_MAPPED), PD_TCP, PD_INET6, PD_LISTEN,
	    a_mapped, I_TCP6_MAPPED, 0);
}

static void
expect_udp4(const struct collect *c)
{
	ck_assert_uint_eq(c->n, N_UDP4);
	assert_sock(by_port(c, P_UDP4_LO), PD_UDP, PD_INET, PD_BOUND, a_lo4,
	    I_UDP4_LO, 0);
	ck_assert_ptr_null(by_port(c, P_UDP4_CONN));
}

static void
expect_udp6(const struct collect *c)
{
	ck_assert_uint_eq(c->n, N_UDP6);
	assert_sock(by_port(c, P_UDP6_LO), PD_UDP, PD_INET6, PD_BOUND, a_lo6,
	    I_UDP6_LO, 0);
	assert_sock(by_port(c, P_UDP6_DUAL), PD_UDP, PD_INET6, PD_BOUND,
	    a_any, I_UDP6_DUAL, 0);
}

START_TEST(test_procnet_tcp4)
{
	struct collect c;
	char err[256] = "";
	char text[64];

	ck_assert_int_eq(procnet_file("proc_net_tcp.txt", PD_TCP, PD_INET,
	    &c, err, sizeof(err)), N_TCP4);
	expect_tcp4(&c);
	sock_addr_text(by_port(&c, P_TCP4_LO), text, sizeof(text));
	ck_assert_str_eq(text, "127.0.0.1");
}
END_TEST

START_TEST(test_procnet_tcp6)
{
	struct collect c;
	const struct sock_info *si;
	char err[256] = "";
	char text[64];
	size_t i;

	ck_assert_int_eq(procnet_file("proc_net_tcp6.txt", PD_TCP, PD_INET6,
	    &c, err, sizeof(err)), N_TCP6);
	expect_tcp6(&c);
	/* The file does not say which sockets are v6only. */
	for (i = 0; i < c.n; i++)
		ck_assert_int_eq(c.s[i].v6only, -1);
	sock_addr_text(by_port(&c, P_TCP6_LO), text, sizeof(text));
	ck_assert_str_eq(text, "::1");
	si = by_port(&c, P_TCP6_MAPPED);
	sock_addr_text(si, text, sizeof(text));
	ck_assert_str_eq(text, "::ffff:127.0.0.1");
}
END_TEST

START_TEST(test_procnet_udp)
{
	struct collect c;
	char err[256] = "";

	ck_assert_int_eq(procnet_file("proc_net_udp.txt", PD_UDP, PD_INET,
	    &c, err, sizeof(err)), N_UDP4);
	expect_udp4(&c);
	ck_assert_int_eq(procnet_file("proc_net_udp6.txt", PD_UDP, PD_INET6,
	    &c, err, sizeof(err)), N_UDP6);
	expect_udp6(&c);
}
END_TEST

#define HDR4 "  sl  local_address rem_address   st tx_queue rx_queue tr " \
    "tm->when retrnsmt   uid  timeout inode\n"
#define ROW4(st, port, inode) "   0: 0100007F:" port " 00000000:0000 " \
    st " 00000000:00000000 00:00000000 00000000  1000        0 " inode \
    " 1 0000000000000000 100 0 0 10 0\n"

START_TEST(test_procnet_states)
{
	static const char tcp[] = HDR4
	    ROW4("01", "1F90", "11")	/* ESTABLISHED */
	    ROW4("06", "1F91", "0")	/* TIME_WAIT */
	    ROW4("07", "1F92", "13")	/* bound, never listened */
	    ROW4("0A", "1F93", "14")	/* LISTEN */
	    ROW4("08", "1F94", "15");	/* CLOSE_WAIT */
	static const char udp[] = HDR4
	    ROW4("07", "0035", "21")	/* bound */
	    ROW4("07", "0000", "22")	/* no port yet */
	    ROW4("01", "0036", "23");	/* connected */
	struct collect c;
	char err[256] = "";

	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(decode_procnet(tcp, strlen(tcp), PD_TCP, PD_INET,
	    collect_cb, &c, err, sizeof(err)), 1);
	ck_assert_uint_eq(c.s[0].port, 0x1F93);
	ck_assert_uint_eq(c.s[0].inode, 14);
	ck_assert_uint_eq(c.s[0].uid, 1000);

	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(decode_procnet(udp, strlen(udp), PD_UDP, PD_INET,
	    collect_cb, &c, err, sizeof(err)), 1);
	ck_assert_uint_eq(c.s[0].port, 53);
	ck_assert_uint_eq(c.s[0].inode, 21);
	ck_assert_int_eq(c.s[0].state, PD_BOUND);

	/* The same UDP text read as TCP has no listener; no callback. */
	ck_assert_int_eq(decode_procnet(udp, strlen(udp), PD_TCP, PD_INET,
	    NULL, NULL, err, sizeof(err)), 0);
}
END_TEST

START_TEST(test_procnet_edges)
{
	/* No newline at the end, blank lines, lower-case hex. */
	static const char text[] = HDR4 "\n"
	    "   0: 0100007f:1f90 00000000:0000 0a 00000000:00000000 "
	    "00:00000000 00000000     0        0 99";
	struct collect c;
	char err[256] = "";

	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(decode_procnet(text, strlen(text), PD_TCP, PD_INET,
	    collect_cb, &c, err, sizeof(err)), 1);
	ck_assert_uint_eq(c.s[0].port, 8080);
	ck_assert_uint_eq(c.s[0].inode, 99);
	ck_assert_mem_eq(c.s[0].addr, a_lo4, 16);

	/* Only the header: nothing, no error. */
	ck_assert_int_eq(decode_procnet(HDR4, strlen(HDR4), PD_TCP, PD_INET,
	    collect_cb, &c, err, sizeof(err)), 0);

	/* len bounds the text: the row after it is not seen. */
	ck_assert_int_eq(decode_procnet(text, strlen(HDR4), PD_TCP, PD_INET,
	    collect_cb, &c, err, sizeof(err)), 0);
}
END_TEST

struct bad_case {
	const char *text;
	const char *in_err;
};

static const struct bad_case procnet_bad[] = {
	{ "", "header" },
	{ "   0: 0100007F:1F90 00000000:0000 0A 0:0 0:0 0 0 0 5\n", "line 1" },
	{ HDR4 ROW4("0A", "1F90", "1")
	    "   1: 0100007G:1F90 00000000:0000 0A 0:0 0:0 0 0 0 5\n",
	    "line 3" },
	{ HDR4 "   0: 0100007F:1F90 00000000:0000 0A 0:0 0:0\n", "line 2" },
	{ HDR4 "   0: 0100007F:12345 00000000:0000 0A 0:0 0:0 0 0 0 5\n",
	    "line 2" },
	{ HDR4 "   0: 0100007F 00000000:0000 0A 0:0 0:0 0 0 0 5\n", "line 2" },
	{ HDR4 "   0: 0100007F: 00000000:0000 0A 0:0 0:0 0 0 0 5\n", "line 2" },
	{ HDR4 "   0: 0100007F:1F90 00000000:0000 0A0 0:0 0:0 0 0 0 5\n",
	    "line 2" },
	{ HDR4 "   0: 0100007F:1F90 00000000:0000 0A 0:0 0:0 0 x 0 5\n",
	    "line 2" },
	{ HDR4 "   0: 0100007F:1F90 00000000:0000 0A 0:0 0:0 0 4294967296 "
	    "0 5\n", "line 2" },
	{ HDR4 "   0: 0100007F:1F90 00000000:0000 0A 0:0 0:0 0 0 0 -5\n",
	    "line 2" },
	{ HDR4 "   0: 0100007F:1F90 00000000:0000 0A 0:0 0:0 0 0 0 "
	    "18446744073709551616\n", "line 2" },
	{ HDR4 "   x 0100007F:1F90 00000000:0000 0A 0:0 0:0 0 0 0 5\n",
	    "line 2" },
};

START_TEST(test_procnet_malformed)
{
	const struct bad_case *bc = &procnet_bad[_i];
	char err[256] = "";

	ck_assert_int_eq(decode_procnet(bc->text, strlen(bc->text), PD_TCP,
	    PD_INET, NULL, NULL, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, bc->in_err) != NULL,
	    "case %d: '%s' lacks '%s'", _i, err, bc->in_err);
}
END_TEST

START_TEST(test_procnet_wrong_file)
{
	struct collect c;
	char err[256] = "";

	/* IPv6 rows read as IPv4 and the other way round. */
	ck_assert_int_eq(procnet_file("proc_net_tcp6.txt", PD_TCP, PD_INET,
	    &c, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "line 2"));
	ck_assert_int_eq(procnet_file("proc_net_tcp.txt", PD_TCP, PD_INET6,
	    &c, err, sizeof(err)), -1);
	ck_assert_int_eq(procnet_file("proc_net_tcp.txt", 3, PD_INET,
	    &c, err, sizeof(err)), -1);
	/* Not /proc/net at all. */
	ck_assert_int_eq(procnet_file("proc_self_status.txt", PD_TCP,
	    PD_INET, &c, err, sizeof(err)), -1);
}
END_TEST

START_TEST(test_procnet_callback_error)
{
	struct collect c;
	size_t len;
	char *text, err[256] = "", small[8];

	text = slurp("proc_net_tcp.txt", &len);
	memset(&c, 0, sizeof(c));
	c.fail_at = 2;
	ck_assert_int_eq(decode_procnet(text, len, PD_TCP, PD_INET,
	    collect_cb, &c, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "callback failed"));
	ck_assert_uint_eq(c.n, 2);
	/* A short or absent err buffer is fine. */
	memset(&c, 0, sizeof(c));
	c.fail_at = 1;
	ck_assert_int_eq(decode_procnet(text, len, PD_TCP, PD_INET,
	    collect_cb, &c, small, sizeof(small)), -1);
	ck_assert_uint_eq(strlen(small), sizeof(small) - 1);
	ck_assert_int_eq(decode_procnet("x", 1, PD_TCP, PD_INET, NULL, NULL,
	    NULL, 0), -1);
	free(text);
}
END_TEST

START_TEST(test_netlink_tcp4)
{
	struct collect c;

	netlink_file("netlink_tcp4.bin", PD_TCP, &c);
	expect_tcp4(&c);
}
END_TEST

START_TEST(test_netlink_tcp6)
{
	struct collect c;
	const struct sock_info *si;

	netlink_file("netlink_tcp6.bin", PD_TCP, &c);
	expect_tcp6(&c);
	ck_assert_int_eq(by_port(&c, P_TCP6_LO)->v6only, 1);
	si = by_port(&c, P_TCP6_DUAL);
	ck_assert_int_eq(si->v6only, 0);
	ck_assert(sock_is_dualstack(si));
	si = by_port(&c, P_TCP6_V6ONLY);
	ck_assert_int_eq(si->v6only, 1);
	ck_assert(!sock_is_dualstack(si));
	si = by_port(&c, P_TCP6_MAPPED);
	ck_assert_int_eq(si->v6only, 0);
	ck_assert(sock_is_dualstack(si));
}
END_TEST

START_TEST(test_netlink_udp)
{
	struct collect c;

	netlink_file("netlink_udp4.bin", PD_UDP, &c);
	expect_udp4(&c);
	netlink_file("netlink_udp6.bin", PD_UDP, &c);
	expect_udp6(&c);
	ck_assert_int_eq(by_port(&c, P_UDP6_LO)->v6only, 1);
	ck_assert_int_eq(by_port(&c, P_UDP6_DUAL)->v6only, 0);
}
END_TEST

/*
 * Appends the messages of a captured dump to out, retyped as replies to
 * the older TCPDIAG_GETSOCK request (18, not SOCK_DIAG_BY_FAMILY's 20),
 * with or without its closing NLMSG_DONE. Returns the new length.
 */
static size_t
append_retyped(unsigned char *out, size_t n, const unsigned char *in,
    size_t len, int with_done)
{
	size_t off;
	uint32_t mlen;
	uint16_t type;

	for (off = 0; off + 16 <= len; off += (mlen + 3) & ~3u) {
		memcpy(&mlen, in + off, 4);
		memcpy(&type, in + off + 4, 2);
		ck_assert_uint_ge(mlen, 16);
		if (type == 3 && !with_done)
			break;
		memcpy(out + n, in + off, mlen);
		if (type == 20) {
			type = 18;
			memcpy(out + n + 4, &type, 2);
		}
		n += (mlen + 3) & ~3u;
		if (type == 3)
			break;
	}
	return n;
}

/*
 * TCPDIAG_GETSOCK answers both families in one dump: the IPv4 and IPv6
 * captures as such a reply decode to the same listeners.
 */
START_TEST(test_netlink_compat)
{
	struct collect c, v4, v6;
	unsigned char *buf, *b4, *b6;
	char err[256] = "";
	size_t l4, l6, n, i;
	int nlerr = 0;

	b4 = (unsigned char *)slurp("netlink_tcp4.bin", &l4);
	b6 = (unsigned char *)slurp("netlink_tcp6.bin", &l6);
	buf = malloc(l4 + l6);
	ck_assert_ptr_nonnull(buf);
	n = append_retyped(buf, 0, b4, l4, 0);
	n = append_retyped(buf, n, b6, l6, 1);
	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(decode_netlink(buf, n, PD_TCP, collect_cb, &c,
	    &nlerr, err, sizeof(err)), 1);
	ck_assert_int_eq(nlerr, 0);
	memset(&v4, 0, sizeof(v4));
	memset(&v6, 0, sizeof(v6));
	for (i = 0; i < c.n; i++) {
		if (c.s[i].family == PD_INET)
			v4.s[v4.n++] = c.s[i];
		else
			v6.s[v6.n++] = c.s[i];
	}
	expect_tcp4(&v4);
	expect_tcp6(&v6);
	ck_assert_int_eq(by_port(&v6, P_TCP6_DUAL)->v6only, 0);
	free(buf);
	free(b4);
	free(b6);
}
END_TEST

/* Both sources describe the same sockets the same way. */
static const struct {
	const char *procnet, *netlink;
	int proto, family;
} pairs[] = {
	{ "proc_net_tcp.txt", "netlink_tcp4.bin", PD_TCP, PD_INET },
	{ "proc_net_tcp6.txt", "netlink_tcp6.bin", PD_TCP, PD_INET6 },
	{ "proc_net_udp.txt", "netlink_udp4.bin", PD_UDP, PD_INET },
	{ "proc_net_udp6.txt", "netlink_udp6.bin", PD_UDP, PD_INET6 },
};

START_TEST(test_cross_check)
{
	struct collect pc, nc;
	const struct sock_info *a, *b;
	char err[256] = "";
	size_t i;

	ck_assert_int_ge(procnet_file(pairs[_i].procnet, pairs[_i].proto,
	    pairs[_i].family, &pc, err, sizeof(err)), 1);
	netlink_file(pairs[_i].netlink, pairs[_i].proto, &nc);
	ck_assert_uint_eq(pc.n, nc.n);
	for (i = 0; i < pc.n; i++) {
		a = &pc.s[i];
		b = by_inode(&nc, a->inode);
		ck_assert_msg(b != NULL, "inode %llu not in %s",
		    (unsigned long long)a->inode, pairs[_i].netlink);
		ck_assert_int_eq(a->proto, b->proto);
		ck_assert_int_eq(a->family, b->family);
		ck_assert_int_eq(a->state, b->state);
		ck_assert_uint_eq(a->port, b->port);
		ck_assert_mem_eq(a->addr, b->addr, 16);
		ck_assert_uint_eq(a->uid, b->uid);
		ck_assert_uint_eq(a->scope_id, b->scope_id);
		if (a->family == PD_INET)
			ck_assert_int_eq(a->v6only, b->v6only);
		else
			ck_assert_int_eq(a->v6only, -1);
	}
}
END_TEST

/* Hand-built netlink, host-endian like the kernel's. */

static size_t
put_nlmsg(unsigned char *buf, size_t off, uint16_t type, const void *payload,
    size_t plen)
{
	uint32_t len = (uint32_t)(16 + plen), seq = 1, pid = 0;
	uint16_t flags = 2;

	memcpy(buf + off, &len, 4);
	memcpy(buf + off + 4, &type, 2);
	memcpy(buf + off + 6, &flags, 2);
	memcpy(buf + off + 8, &seq, 4);
	memcpy(buf + off + 12, &pid, 4);
	if (plen > 0)
		memcpy(buf + off + 16, payload, plen);
	return off + ((16 + plen + 3) & ~(size_t)3);
}

/*
 * struct inet_diag_msg (72 bytes) and, when v6only >= 0, an
 * INET_DIAG_SKV6ONLY attribute. Returns the payload length.
 */
static size_t
put_diag(unsigned char *p, uint8_t family, uint8_t state, uint16_t port,
    const uint8_t *addr, uint32_t ifindex, uint32_t uid, uint32_t inode,
    int v6only)
{
	uint16_t rlen = 5, rtype = 11;

	memset(p, 0, 80);
	p[0] = family;
	p[1] = state;
	p[4] = (uint8_t)(port >> 8);
	p[5] = (uint8_t)port;
	memcpy(p + 8, addr, family == 10 ? 16 : 4);
	memcpy(p + 40, &ifindex, 4);
	memcpy(p + 64, &uid, 4);
	memcpy(p + 68, &inode, 4);
	if (v6only < 0)
		return 72;
	memcpy(p + 72, &rlen, 2);
	memcpy(p + 74, &rtype, 2);
	p[76] = (uint8_t)v6only;
	return 80;
}

START_TEST(test_inet_diag_fields)
{
	static const uint8_t ll[16] = { 0xfe, 0x80, [15] = 7 };
	unsigned char p[128];
	struct sock_info si;
	char err[256] = "";
	size_t n;

	/* Link-local: the interface is the scope. */
	n = put_diag(p, 10, 10, 8080, ll, 3, 1000, 77, 1);
	ck_assert_int_eq(decode_inet_diag(p, n, PD_TCP, &si, err,
	    sizeof(err)), 1);
	ck_assert_uint_eq(si.port, 8080);
	ck_assert_uint_eq(si.scope_id, 3);
	ck_assert_uint_eq(si.uid, 1000);
	ck_assert_uint_eq(si.inode, 77);
	ck_assert_int_eq(si.v6only, 1);
	ck_assert_mem_eq(si.addr, ll, 16);
	/* A device-bound ::1 has no scope; no attribute: v6only unknown. */
	n = put_diag(p, 10, 10, 8080, a_lo6, 3, 0, 78, -1);
	ck_assert_int_eq(decode_inet_diag(p, n, PD_TCP, &si, err,
	    sizeof(err)), 1);
	ck_assert_uint_eq(si.scope_id, 0);
	ck_assert_int_eq(si.v6only, -1);
	/* IPv4: v6only 0, four address bytes. */
	n = put_diag(p, 2, 7, 53, a_lo4, 3, 0, 79, -1);
	ck_assert_int_eq(decode_inet_diag(p, n, PD_UDP, &si, err,
	    sizeof(err)), 1);
	ck_assert_int_eq(si.family, PD_INET);
	ck_assert_int_eq(si.state, PD_BOUND);
	ck_assert_int_eq(si.v6only, 0);
	ck_assert_uint_eq(si.scope_id, 0);
	ck_assert_mem_eq(si.addr, a_lo4, 16);
}
END_TEST

START_TEST(test_inet_diag_skips)
{
	unsigned char p[128];
	struct sock_info si;
	char err[256] = "";
	size_t n;

	memset(&si, 0xaa, sizeof(si));
	n = put_diag(p, 2, 7, 8080, a_lo4, 0, 0, 1, -1);	/* TCP CLOSE */
	ck_assert_int_eq(decode_inet_diag(p, n, PD_TCP, &si, err,
	    sizeof(err)), 0);
	n = put_diag(p, 2, 1, 8080, a_lo4, 0, 0, 1, -1);	/* ESTABLISHED */
	ck_assert_int_eq(decode_inet_diag(p, n, PD_TCP, &si, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(decode_inet_diag(p, n, PD_UDP, &si, err,
	    sizeof(err)), 0);
	n = put_diag(p, 2, 7, 0, a_lo4, 0, 0, 1, -1);	/* UDP, no port */
	ck_assert_int_eq(decode_inet_diag(p, n, PD_UDP, &si, err,
	    sizeof(err)), 0);
	n = put_diag(p, 2, 10, 80, a_lo4, 0, 0, 1, -1);	/* LISTEN as UDP */
	ck_assert_int_eq(decode_inet_diag(p, n, PD_UDP, &si, err,
	    sizeof(err)), 0);
	/* Skipped sockets leave out alone. */
	ck_assert_uint_eq(si.inode, 0xaaaaaaaaaaaaaaaaULL);
}
END_TEST

START_TEST(test_inet_diag_malformed)
{
	unsigned char p[128];
	struct sock_info si;
	char err[256];
	size_t n;
	uint16_t v;

	n = put_diag(p, 10, 10, 80, a_lo6, 0, 0, 1, 1);
	err[0] = '\0';
	ck_assert_int_eq(decode_inet_diag(p, 71, PD_TCP, &si, err,
	    sizeof(err)), -1);
	ck_assert_str_ne(err, "");
	/* The attribute claims more than there is. */
	v = 9;
	memcpy(p + 72, &v, 2);
	ck_assert_int_eq(decode_inet_diag(p, n, PD_TCP, &si, err,
	    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "overruns"));
	/* Or less than its own header. */
	v = 3;
	memcpy(p + 72, &v, 2);
	ck_assert_int_eq(decode_inet_diag(p, n, PD_TCP, &si, err,
	    sizeof(err)), -1);
	/* A family that is neither. */
	n = put_diag(p, 7, 10, 80, a_lo4, 0, 0, 1, -1);
	ck_assert_int_eq(decode_inet_diag(p, n, PD_TCP, &si, err,
	    sizeof(err)), -1);
	/* An unpadded last attribute is fine. */
	n = put_diag(p, 10, 10, 80, a_lo6, 0, 0, 1, 0);
	ck_assert_int_eq(decode_inet_diag(p, 77, PD_TCP, &si, err,
	    sizeof(err)), 1);
	ck_assert_int_eq(si.v6only, 0);
}
END_TEST

START_TEST(test_netlink_split)
{
	struct collect c;
	char err[256] = "";
	unsigned char *buf;
	size_t len;
	uint32_t first;

	/* A dump that arrives in two recv()s: 0, then 1 at DONE. */
	buf = (unsigned char *)slurp("netlink_tcp4.bin", &len);
	memcpy(&first, buf, 4);
	ck_assert_uint_lt(first, len);
	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(decode_netlink(buf, first, PD_TCP, collect_cb, &c,
	    NULL, err, sizeof(err)), 0);
	ck_assert_int_eq(decode_netlink(buf + first, len - first, PD_TCP,
	    collect_cb, &c, NULL, err, sizeof(err)), 1);
	ck_assert_uint_eq(c.n, N_TCP4);
	/* Nothing at all is a dump that continues. */
	ck_assert_int_eq(decode_netlink(buf, 0, PD_TCP, collect_cb, &c,
	    NULL, err, sizeof(err)), 0);
	free(buf);
}
END_TEST

START_TEST(test_netlink_truncated)
{
	struct collect c;
	char err[256] = "";
	unsigned char *buf, small[32];
	size_t len;
	uint32_t bad = 8, smalllen = sizeof(small);

	memset(&c, 0, sizeof(c));
	buf = (unsigned char *)slurp("netlink_tcp4.bin", &len);
	/* The DONE message cut short, and a header cut short. */
	ck_assert_int_eq(decode_netlink(buf, len - 1, PD_TCP, collect_cb, &c,
	    NULL, err, sizeof(err)), -1);
	ck_assert_str_ne(err, "");
	ck_assert_int_eq(decode_netlink(buf, 10, PD_TCP, collect_cb, &c,
	    NULL, err, sizeof(err)), -1);
	/* The first message's payload cut inside struct inet_diag_msg. */
	memset(&c, 0, sizeof(c));
	memcpy(small, buf, sizeof(small));
	memcpy(small, &smalllen, 4);
	ck_assert_int_eq(decode_netlink(small, sizeof(small), PD_TCP,
	    collect_cb, &c, NULL, err, sizeof(err)), -1);
	ck_assert_uint_eq(c.n, 0);
	/* A length smaller than the header itself. */
	memcpy(buf, &bad, 4);
	ck_assert_int_eq(decode_netlink(buf, len, PD_TCP, collect_cb, &c,
	    NULL, err, sizeof(err)), -1);
	free(buf);
}
END_TEST

START_TEST(test_netlink_error)
{
	unsigned char buf[128], payload[36];
	char err[256] = "";
	int32_t e = -EPERM;
	int nlerr = 0;
	size_t n;

	/* struct nlmsgerr: the error, then the request's header. */
	memset(payload, 0, sizeof(payload));
	memcpy(payload, &e, 4);
	n = put_nlmsg(buf, 0, 2, payload, sizeof(payload));
	ck_assert_int_eq(decode_netlink(buf, n, PD_TCP, NULL, NULL, &nlerr,
	    err, sizeof(err)), -1);
	ck_assert_int_eq(nlerr, EPERM);
	ck_assert_str_ne(err, "");
	ck_assert_int_eq(decode_netlink(buf, n, PD_TCP, NULL, NULL, NULL,
	    err, sizeof(err)), -1);
	/* Too short to hold the error. */
	n = put_nlmsg(buf, 0, 2, payload, 2);
	ck_assert_int_eq(decode_netlink(buf, n, PD_TCP, NULL, NULL, &nlerr,
	    err, sizeof(err)), -1);

	/* An acknowledgement (error 0) is no error; DONE follows. */
	e = 0;
	memcpy(payload, &e, 4);
	n = put_nlmsg(buf, 0, 2, payload, sizeof(payload));
	n = put_nlmsg(buf, n, 3, &e, 4);
	nlerr = 0;
	ck_assert_int_eq(decode_netlink(buf, n, PD_TCP, NULL, NULL, &nlerr,
	    err, sizeof(err)), 1);
	ck_assert_int_eq(nlerr, 0);

	/* A dump that failed part-way ends in DONE with a negative errno. */
	e = -EINTR;
	n = put_nlmsg(buf, 0, 3, &e, 4);
	ck_assert_int_eq(decode_netlink(buf, n, PD_TCP, NULL, NULL, &nlerr,
	    err, sizeof(err)), -1);
	ck_assert_int_eq(nlerr, EINTR);
	/* DONE without a payload, and an overrun. */
	n = put_nlmsg(buf, 0, 3, NULL, 0);
	ck_assert_int_eq(decode_netlink(buf, n, PD_TCP, NULL, NULL, &nlerr,
	    err, sizeof(err)), 1);
	n = put_nlmsg(buf, 0, 4, NULL, 0);
	ck_assert_int_eq(decode_netlink(buf, n, PD_TCP, NULL, NULL, &nlerr,
	    err, sizeof(err)), -1);
}
END_TEST

START_TEST(test_netlink_skip_and_callback)
{
	unsigned char buf[512], p[128];
	struct collect c;
	char err[256] = "";
	size_t n, pl;

	/* NOOP and an unknown type are skipped; the listener is passed. */
	n = put_nlmsg(buf, 0, 1, NULL, 0);
	n = put_nlmsg(buf, n, 99, "xyz", 3);
	pl = put_diag(p, 2, 10, 8080, a_lo4, 0, 5, 6, -1);
	n = put_nlmsg(buf, n, 20, p, pl);
	pl = put_diag(p, 2, 1, 8081, a_lo4, 0, 5, 7, -1);
	n = put_nlmsg(buf, n, 20, p, pl);
	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(decode_netlink(buf, n, PD_TCP, collect_cb, &c, NULL,
	    err, sizeof(err)), 0);
	ck_assert_uint_eq(c.n, 1);
	ck_assert_uint_eq(c.s[0].port, 8080);
	/* A callback error stops the walk. */
	memset(&c, 0, sizeof(c));
	c.fail_at = 1;
	ck_assert_int_eq(decode_netlink(buf, n, PD_TCP, collect_cb, &c, NULL,
	    err, sizeof(err)), -1);
	ck_assert_str_eq(err, "callback failed");
	/* A malformed inet_diag message inside is an error. */
	n = put_nlmsg(buf, 0, 20, p, 40);
	ck_assert_int_eq(decode_netlink(buf, n, PD_TCP, collect_cb, &c, NULL,
	    err, sizeof(err)), -1);
}
END_TEST

START_TEST(test_socket_link)
{
	static const char *bad[] = { "pipe:[1]", "/dev/null", "socket:[]",
	    "socket:[12a]", "socket:[123", "socket:123]", "socket:[-1]",
	    "socket:[ 1]", "socket:[18446744073709551616]", "socket:",
	    "anon_inode:[eventpoll]", "Socket:[1]", "" };
	const char *s = "socket:[12345]trailing";
	size_t i;

	ck_assert_uint_eq(decode_socket_link("socket:[12345]", 14), 12345);
	/* Not NUL-terminated: len is the end. */
	ck_assert_uint_eq(decode_socket_link(s, 14), 12345);
	ck_assert_uint_eq(decode_socket_link(s, 13), 0);
	ck_assert_uint_eq(decode_socket_link(s, strlen(s)), 0);
	ck_assert_uint_eq(decode_socket_link("socket:[18446744073709551615]",
	    29), UINT64_MAX);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(decode_socket_link(bad[i], strlen(bad[i])) == 0,
		    "%s", bad[i]);
}
END_TEST

static void
proc_poison(struct proc_info *p)
{
	memset(p, 0, sizeof(*p));
	p->uid = 11;
	p->suid = 12;
	p->started_ms = 13;
	strcpy(p->user, "someone");
	p->exe = (char *)"/bin/x";
}

static void
assert_poison_kept(const struct proc_info *p)
{
	ck_assert_uint_eq(p->uid, 11);
	ck_assert_uint_eq(p->suid, 12);
	ck_assert_int_eq(p->started_ms, 13);
	ck_assert_str_eq(p->user, "someone");
	ck_assert_str_eq(p->exe, "/bin/x");
}

START_TEST(test_proc_stat_fixture)
{
	struct proc_info p;
	size_t len;
	char *text;

	text = slurp("proc_self_stat.txt", &len);
	proc_poison(&p);
	ck_assert_int_eq(decode_proc_stat(text, len, &p), 0);
	ck_assert_int_eq(p.pid, 3161);
	ck_assert_int_eq(p.ppid, 3116);
	ck_assert_str_eq(p.comm, "python3");
	ck_assert_uint_eq(p.start_time, 30779);
	assert_poison_kept(&p);
	free(text);

	text = slurp("proc_stat_tricky.txt", &len);
	ck_assert_int_eq(decode_proc_stat(text, len, &p), 0);
	ck_assert_str_eq(p.comm, "a) b");
	ck_assert_int_eq(p.pid, 3161);
	ck_assert_int_eq(p.ppid, 3116);
	ck_assert_uint_eq(p.start_time, 30779);
	free(text);
}
END_TEST

#define STAT_TAIL " S 1 1 1 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 " \
    "987654321 0 0 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0\n"

START_TEST(test_proc_stat_comm)
{
	struct proc_info p;
	char text[256];
	const char *s;

	memset(&p, 0, sizeof(p));
	s = "42 ((sd-pam)) S 7 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 "
	    "18446744073709551615 0\n";
	ck_assert_int_eq(decode_proc_stat(s, strlen(s), &p), 0);
	ck_assert_str_eq(p.comm, "(sd-pam)");
	ck_assert_int_eq(p.ppid, 7);
	ck_assert_uint_eq(p.start_time, UINT64_MAX);

	/* Fields hidden in the comm do not count. */
	s = "5 (x) S 9 1 2 3)" STAT_TAIL;
	ck_assert_int_eq(decode_proc_stat(s, strlen(s), &p), 0);
	ck_assert_str_eq(p.comm, "x) S 9 1 2 3");
	ck_assert_int_eq(p.ppid, 1);

	s = "6 ()" STAT_TAIL;
	ck_assert_int_eq(decode_proc_stat(s, strlen(s), &p), 0);
	ck_assert_str_eq(p.comm, "");

	/* Longer than PD_NAME_MAX - 1: cut, terminated. */
	snprintf(text, sizeof(text), "7 (%0100d)" STAT_TAIL, 0);
	ck_assert_int_eq(decode_proc_stat(text, strlen(text), &p), 0);
	ck_assert_uint_eq(strlen(p.comm), PD_NAME_MAX - 1);
	ck_assert_uint_eq(p.start_time, 987654321);

	/* Without a trailing newline, and len short of the NUL. */
	s = "8 (kworker/u8:0-events_unbound) I 2 0 0 0 -1 0 0 0 0 0 0 0 0 "
	    "0 20 0 1 0 123";
	ck_assert_int_eq(decode_proc_stat(s, strlen(s) - 1, &p), 0);
	ck_assert_str_eq(p.comm, "kworker/u8:0-events_unbound");
	ck_assert_int_eq(p.pid, 8);
	ck_assert_uint_eq(p.start_time, 12);
}
END_TEST

START_TEST(test_proc_stat_malformed)
{
	static const char *bad[] = {
		"",
		"42",
		"42 (x" STAT_TAIL,
		"42 x)" STAT_TAIL,
		"(x)" STAT_TAIL,
		" (x)" STAT_TAIL,
		"4a (x)" STAT_TAIL,
		"-4 (x)" STAT_TAIL,
		"42(x)" STAT_TAIL,
		"42  (x)" STAT_TAIL,
		"42 (x)S 1 1 1 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 9 0\n",
		"42 (x) S -1 1 1 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 9 0\n",
		"42 (x) S 1 1 1 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0\n",
		"42 (x) S 1 1 1 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 -3 0\n",
		"42 (x) S 1 1 1 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 "
		    "18446744073709551616 0\n",
		"4294967296 (x)" STAT_TAIL,
		"42 (x)",
	};
	struct proc_info p;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		proc_poison(&p);
		p.pid = 99;
		strcpy(p.comm, "keep");
		ck_assert_msg(decode_proc_stat(bad[i], strlen(bad[i]), &p) ==
		    -1, "accepted: %s", bad[i]);
		/* A failure writes nothing. */
		ck_assert_int_eq(p.pid, 99);
		ck_assert_str_eq(p.comm, "keep");
		assert_poison_kept(&p);
	}
}
END_TEST

START_TEST(test_status_uids)
{
	uint32_t r = 1, e = 1, s = 1;
	size_t len;
	char *text;
	const char *t;

	/* Captured with real 0, effective 65534, saved 1000. */
	text = slurp("proc_self_status.txt", &len);
	ck_assert_int_eq(decode_proc_status_uids(text, len, &r, &e, &s), 0);
	ck_assert_uint_eq(r, 0);
	ck_assert_uint_eq(e, 65534);
	ck_assert_uint_eq(s, 1000);
	free(text);

	t = "Name:\tx\nXUid:\t9\t9\t9\t9\nUid: 1 2  3\t4";
	ck_assert_int_eq(decode_proc_status_uids(t, strlen(t), &r, &e, &s),
	    0);
	ck_assert_uint_eq(r, 1);
	ck_assert_uint_eq(e, 2);
	ck_assert_uint_eq(s, 3);
	ck_assert_int_eq(decode_proc_status_uids(t, strlen(t), NULL, NULL,
	    NULL), 0);
	t = "Uid:\t4294967295\t0\t0\t0\n";
	ck_assert_int_eq(decode_proc_status_uids(t, strlen(t), &r, &e, &s),
	    0);
	ck_assert_uint_eq(r, UINT32_MAX);
}
END_TEST

START_TEST(test_status_uids_malformed)
{
	static const char *bad[] = {
		"",
		"Name:\tx\nGid:\t0\t0\t0\t0\n",
		"Uid:\t1\t2\t3\n",
		"Uid:\t1\t2\t3\t4\t5\n",
		"Uid:\t1\t2\tx\t4\n",
		"Uid:\t1\t2\t-3\t4\n",
		"Uid:\t4294967296\t0\t0\t0\n",
		"Name:\tx\n  Uid:\t1\t2\t3\t4\n",
		"Uid:\n1\t2\t3\t4\n",
	};
	uint32_t r = 7, e = 7, s = 7;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(decode_proc_status_uids(bad[i], strlen(bad[i]),
		    &r, &e, &s) == -1, "accepted: %s", bad[i]);
	ck_assert_uint_eq(r, 7);
	/* The line exists but len stops before it. */
	ck_assert_int_eq(decode_proc_status_uids("Name:\tx\nUid:\t1\t2\t3\t4",
	    8, &r, &e, &s), -1);
}
END_TEST

/* ---- the proc connector ---------------------------------------------- */

struct pevs {
	struct pd_proc_event v[16];
	size_t n;
	size_t fail_at;		/* 1-based; 0: never */
};

static int
pev_cb(void *arg, const struct pd_proc_event *ev)
{
	struct pevs *c = arg;

	if (c->fail_at != 0 && c->n + 1 == c->fail_at)
		return 1;
	ck_assert_uint_lt(c->n, 16);
	c->v[c->n++] = *ev;
	return 0;
}

/*
 * The capture holds the ack, the child's fork, its thread's fork and
 * exit (skipped), its rename, exec and exit; proc_events.txt says what
 * must come out.
 */
START_TEST(test_proc_events_fixture)
{
	struct pevs c;
	char err[256] = "", *bin, *txt, *line, *save, kind[16];
	size_t len, tlen, i = 0;
	long a, b;
	int n, want;

	memset(&c, 0, sizeof(c));
	bin = slurp("proc_events.bin", &len);
	txt = slurp("proc_events.txt", &tlen);
	n = decode_proc_events(bin, len, pev_cb, &c, err, sizeof(err));
	ck_assert_msg(n == 5, "%d events: %s", n, err);
	ck_assert_uint_eq(c.n, 5);
	for (line = strtok_r(txt, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#')
			continue;
		b = 0;
		ck_assert_int_ge(sscanf(line, "%15s %ld %ld", kind, &a, &b), 2);
		ck_assert_uint_lt(i, c.n);
		want = strcmp(kind, "ack") == 0 ? PD_PEV_ACK :
		    strcmp(kind, "fork") == 0 ? PD_PEV_FORK :
		    strcmp(kind, "change") == 0 ? PD_PEV_CHANGE :
		    strcmp(kind, "exec") == 0 ? PD_PEV_EXEC :
		    strcmp(kind, "exit") == 0 ? PD_PEV_EXIT : -1;
		ck_assert_int_eq(c.v[i].kind, want);
		if (want == PD_PEV_ACK)
			ck_assert_int_eq(c.v[i].err, a);
		else
			ck_assert_int_eq(c.v[i].tgid, a);
		if (want == PD_PEV_FORK)
			ck_assert_int_eq(c.v[i].child, b);
		i++;
	}
	ck_assert_uint_eq(i, 5);
	free(bin);
	free(txt);
}
END_TEST

/* One connector message: nlmsghdr, cn_msg, proc_event of dlen bytes. */
static size_t
pev_msg(unsigned char *buf, uint16_t nltype, uint32_t idx, uint32_t what,
    const int32_t *data, size_t ndata, size_t dlen)
{
	uint32_t u;
	uint16_t h;
	size_t mlen = 16 + 20 + dlen;

	memset(buf, 0, mlen);
	u = (uint32_t)mlen;
	memcpy(buf, &u, 4);
	memcpy(buf + 4, &nltype, 2);
	memcpy(buf + 16, &idx, 4);		/* cb_id.idx */
	u = 1;
	memcpy(buf + 20, &u, 4);		/* cb_id.val */
	h = (uint16_t)dlen;
	memcpy(buf + 32, &h, 2);		/* len */
	if (dlen >= 4)
		memcpy(buf + 36, &what, 4);
	if (ndata > 0 && dlen >= 16 + ndata * 4)
		memcpy(buf + 36 + 16, data, ndata * 4);
	return mlen;
}

START_TEST(test_proc_events_built)
{
	unsigned char buf[1024];
	struct pevs c;
	char err[256];
	const int32_t thread_exit[] = { 101, 100 };
	const int32_t exec_[] = { 100, 100 };
	const int32_t thread_fork[] = { 100, 100, 102, 100 };
	const int32_t ack_err[] = { 1 };	/* EPERM */
	size_t len = 0;

	memset(&c, 0, sizeof(c));
	/* Another connector user's message, a thread's fork and exit:
	 * skipped. A refused subscription: an ack with its errno. */
	len += pev_msg(buf + len, 3, 7, 2, exec_, 2, 40);
	len += pev_msg(buf + len, 3, 1, 1, thread_fork, 4, 40);
	len += pev_msg(buf + len, 3, 1, 0x80000000u, thread_exit, 2, 40);
	len += pev_msg(buf + len, 1, 1, 2, exec_, 2, 40);	/* NOOP */
	len += pev_msg(buf + len, 3, 1, 0x10, exec_, 2, 40);	/* ptrace */
	len += pev_msg(buf + len, 3, 1, 0, ack_err, 1, 40);
	ck_assert_int_eq(decode_proc_events(buf, len, pev_cb, &c, err,
	    sizeof(err)), 1);
	ck_assert_int_eq(c.v[0].kind, PD_PEV_ACK);
	ck_assert_int_eq(c.v[0].err, 1);

	/* An exec: the process that executed. */
	memset(&c, 0, sizeof(c));
	len = pev_msg(buf, 3, 1, 2, exec_, 2, 40);
	ck_assert_int_eq(decode_proc_events(buf, len, pev_cb, &c, err,
	    sizeof(err)), 1);
	ck_assert_int_eq(c.v[0].kind, PD_PEV_EXEC);
	ck_assert_int_eq(c.v[0].tgid, 100);

	/* Malformed: each one error, nothing passed on after it. */
	len = pev_msg(buf, 3, 1, 2, exec_, 2, 40);
	ck_assert_int_eq(decode_proc_events(buf, 10, pev_cb, &c, err,
	    sizeof(err)), -1);		/* truncated header */
	ck_assert_int_eq(decode_proc_events(buf, len - 1, pev_cb, &c, err,
	    sizeof(err)), -1);		/* message overruns */
	len = pev_msg(buf, 2, 1, 2, exec_, 2, 40);
	ck_assert_int_eq(decode_proc_events(buf, len, pev_cb, &c, err,
	    sizeof(err)), -1);		/* NLMSG_ERROR */
	len = pev_msg(buf, 3, 1, 2, exec_, 2, 20);
	ck_assert_int_eq(decode_proc_events(buf, len, pev_cb, &c, err,
	    sizeof(err)), -1);		/* exec without its pids */
	ck_assert_ptr_nonnull(strstr(err, "too short"));
	len = pev_msg(buf, 3, 1, 1, thread_fork, 4, 24);
	ck_assert_int_eq(decode_proc_events(buf, len, pev_cb, &c, err,
	    sizeof(err)), -1);		/* fork without the child */
	len = pev_msg(buf, 3, 1, 2, exec_, 2, 40);
	buf[32] = 60;			/* data longer than the message */
	ck_assert_int_eq(decode_proc_events(buf, len, pev_cb, &c, err,
	    sizeof(err)), -1);
	/* A callback that fails stops the walk. */
	memset(&c, 0, sizeof(c));
	c.fail_at = 1;
	len = pev_msg(buf, 3, 1, 2, exec_, 2, 40);
	ck_assert_int_eq(decode_proc_events(buf, len, pev_cb, &c, err,
	    sizeof(err)), -1);
	ck_assert_uint_eq(c.n, 0);
}
END_TEST

static Suite *
decode_linux_suite(void)
{
	Suite *s = suite_create("decode_linux");
	TCase *tc;

	tc = tcase_create("procnet");
	tcase_add_test(tc, test_host_little_endian);
	tcase_add_test(tc, test_procnet_tcp4);
	tcase_add_test(tc, test_procnet_tcp6);
	tcase_add_test(tc, test_procnet_udp);
	tcase_add_test(tc, test_procnet_states);
	tcase_add_test(tc, test_procnet_edges);
	tcase_add_loop_test(tc, test_procnet_malformed, 0,
	    (int)(sizeof(procnet_bad) / sizeof(procnet_bad[0])));
	tcase_add_test(tc, test_procnet_wrong_file);
	tcase_add_test(tc, test_procnet_callback_error);
	suite_add_tcase(s, tc);

	tc = tcase_create("netlink");
	tcase_add_test(tc, test_netlink_tcp4);
	tcase_add_test(tc, test_netlink_tcp6);
	tcase_add_test(tc, test_netlink_compat);
	tcase_add_test(tc, test_netlink_udp);
	tcase_add_loop_test(tc, test_cross_check, 0,
	    (int)(sizeof(pairs) / sizeof(pairs[0])));
	tcase_add_test(tc, test_inet_diag_fields);
	tcase_add_test(tc, test_inet_diag_skips);
	tcase_add_test(tc, test_inet_diag_malformed);
	tcase_add_test(tc, test_netlink_split);
	tcase_add_test(tc, test_netlink_truncated);
	tcase_add_test(tc, test_netlink_error);
	tcase_add_test(tc, test_netlink_skip_and_callback);
	suite_add_tcase(s, tc);

	tc = tcase_create("proc");
	tcase_add_test(tc, test_socket_link);
	tcase_add_test(tc, test_proc_stat_fixture);
	tcase_add_test(tc, test_proc_stat_comm);
	tcase_add_test(tc, test_proc_stat_malformed);
	tcase_add_test(tc, test_status_uids);
	tcase_add_test(tc, test_status_uids_malformed);
	tcase_add_test(tc, test_proc_events_fixture);
	tcase_add_test(tc, test_proc_events_built);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(decode_linux_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
