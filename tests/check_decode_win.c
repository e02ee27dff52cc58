/*
 * check_decode_win.c - tests of the pure Windows table decoders, from
 * tables captured under Wine (tests/fixtures/windows/, see expected.txt
 * there) and from rows built here for what those cannot show: owners,
 * byte order, link-local scopes, states that are not listeners, many
 * rows, malformed tables. Runs on every host (a little-endian one for the
 * captured files, as Windows is).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode_win.h"

#ifndef FIXTURES
#error "build with -DFIXTURES=\"/path/to/tests/fixtures\""
#endif

#define MAXSOCKS 16

struct collect {
	struct sock_info *s;
	size_t n, cap;
	int fail_at;		/* fail on this call (1-based), 0 never */
};

static int
collect_cb(void *arg, const struct sock_info *si)
{
	struct collect *c = arg;

	if (c->n >= c->cap)
		return -1;
	c->s[c->n++] = *si;
	return c->fail_at != 0 && (size_t)c->fail_at == c->n ? -1 : 0;
}

static unsigned char *
read_fixture(const char *name, size_t *len)
{
	char path[1024];
	unsigned char *buf;
	FILE *fp;
	long n;

	snprintf(path, sizeof(path), "%s/windows/%s", FIXTURES, name);
	fp = fopen(path, "rb");
	ck_assert_msg(fp != NULL, "cannot open %s", path);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	ck_assert(buf != NULL);
	ck_assert_int_eq(fread(buf, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	*len = (size_t)n;
	return buf;
}

/* Decodes a fixture; returns the count, rows in c. */
static int
decode_fixture(const char *name, int table, struct collect *c)
{
	static struct sock_info s[MAXSOCKS];
	unsigned char *buf;
	char err[256] = "";
	size_t len;
	int r;

	memset(c, 0, sizeof(*c));
	c->s = s;
	c->cap = MAXSOCKS;
	buf = read_fixture(name, &len);
	r = decode_win_table(buf, len, table, collect_cb, c, err,
	    sizeof(err));
	ck_assert_msg(r >= 0, "%s: %s", name, err);
	free(buf);
	return r;
}

static void
check_sock(const struct sock_info *si, int proto, int family, const char *addr,
    unsigned port, int32_t pid)
{
	char text[80];

	sock_addr_text(si, text, sizeof(text));
	ck_assert_int_eq(si->proto, proto);
	ck_assert_int_eq(si->family, family);
	ck_assert_str_eq(text, addr);
	ck_assert_uint_eq(si->port, port);
	ck_assert_int_eq(si->pid, pid);
	ck_assert_int_eq(si->state, proto == PD_TCP ? PD_LISTEN : PD_BOUND);
	ck_assert_int_eq(si->v6only, family == PD_INET6 ? -1 : 0);
	ck_assert_uint_eq(si->uid, PD_UID_UNKNOWN);
	ck_assert_uint_eq(si->inode, 0);
}

START_TEST(test_row_sizes)
{
	/* The layouts of MIB_*ROW_OWNER_PID. */
	ck_assert_uint_eq(decode_win_row_size(WIN_TCP4), 24);
	ck_assert_uint_eq(decode_win_row_size(WIN_TCP6), 56);
	ck_assert_uint_eq(decode_win_row_size(WIN_UDP4), 12);
	ck_assert_uint_eq(decode_win_row_size(WIN_UDP6), 28);
	ck_assert_uint_eq(decode_win_row_size(0), 0);
}
END_TEST

START_TEST(test_fixture_tcp4)
{
	struct collect c;

	/* Listeners only: the ESTABLISHED pair on 41001 is not there. */
	ck_assert_int_eq(decode_fixture("tcp4.bin", WIN_TCP4, &c), 2);
	check_sock(&c.s[0], PD_TCP, PD_INET, "0.0.0.0", 41002, 0);
	check_sock(&c.s[1], PD_TCP, PD_INET, "127.0.0.1", 41001, 0);
}
END_TEST

START_TEST(test_fixture_tcp6)
{
	struct collect c;

	ck_assert_int_eq(decode_fixture("tcp6.bin", WIN_TCP6, &c), 2);
	check_sock(&c.s[0], PD_TCP, PD_INET6, "::", 41004, 0);
	/* Wine's loopback scope id (4096) names no interface: dropped. */
	check_sock(&c.s[1], PD_TCP, PD_INET6, "::1", 41003, 0);
	ck_assert_uint_eq(c.s[1].scope_id, 0);
}
END_TEST

START_TEST(test_fixture_udp4)
{
	struct collect c;

	/* Windows lists every UDP endpoint, connected or not. */
	ck_assert_int_eq(decode_fixture("udp4.bin", WIN_UDP4, &c), 3);
	check_sock(&c.s[0], PD_UDP, PD_INET, "127.0.0.1", 33056, 0);
	check_sock(&c.s[1], PD_UDP, PD_INET, "127.0.0.1", 41005, 0);
	check_sock(&c.s[2], PD_UDP, PD_INET, "0.0.0.0", 41006, 0);
}
END_TEST

START_TEST(test_fixture_udp6_owner)
{
	struct collect c;

	/* The one table where Wine named the owner: listener.exe, 220. */
	ck_assert_int_eq(decode_fixture("udp6.bin", WIN_UDP6, &c), 2);
	check_sock(&c.s[0], PD_UDP, PD_INET6, "::1", 41007, 220);
	check_sock(&c.s[1], PD_UDP, PD_INET6, "::", 41008, 220);
}
END_TEST

/* A DWORD holding a port as Windows stores it: network order bytes. */
static uint32_t
port_dword(unsigned port)
{
	uint8_t b[4] = { (uint8_t)(port >> 8), (uint8_t)port, 0, 0 };
	uint32_t v;

	memcpy(&v, b, 4);
	return v;
}

static uint32_t
addr_dword(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	uint8_t x[4] = { a, b, c, d };
	uint32_t v;

	memcpy(&v, x, 4);
	return v;
}

START_TEST(test_byte_order)
{
	struct win_tcp4_row r;
	struct sock_info si;
	uint8_t raw[4] = { 0x1f, 0x90, 0xab, 0xcd };
	char text[64];

	memset(&r, 0, sizeof(r));
	r.state = WIN_TCP_STATE_LISTEN;
	r.local_addr = addr_dword(192, 168, 1, 10);
	/* 8080 = 0x1f90, high byte first; the upper half is not the port
	 * (Windows leaves it 0; garbage there must not leak in). */
	memcpy(&r.local_port, raw, 4);
	r.remote_port = port_dword(443);
	r.owning_pid = 4242;
	ck_assert_int_eq(decode_win_tcp4(&r, &si), 1);
	sock_addr_text(&si, text, sizeof(text));
	ck_assert_str_eq(text, "192.168.1.10");
	ck_assert_uint_eq(si.port, 8080);
	ck_assert_int_eq(si.pid, 4242);
	ck_assert_int_eq(si.addr[0], 192);
	ck_assert_int_eq(si.addr[3], 10);
	/* Port 1 and 65535: one byte each way. */
	r.local_port = port_dword(1);
	ck_assert_int_eq(decode_win_tcp4(&r, &si), 1);
	ck_assert_uint_eq(si.port, 1);
	r.local_port = port_dword(65535);
	ck_assert_int_eq(decode_win_tcp4(&r, &si), 1);
	ck_assert_uint_eq(si.port, 65535);
	r.local_port = port_dword(256);
	ck_assert_int_eq(decode_win_tcp4(&r, &si), 1);
	ck_assert_uint_eq(si.port, 256);
}
END_TEST

START_TEST(test_all_zero_address)
{
	struct win_tcp4_row t4;
	struct win_tcp6_row t6;
	struct win_udp4_row u4;
	struct win_udp6_row u6;
	struct sock_info si;
	char text[64];

	memset(&t4, 0, sizeof(t4));
	t4.state = WIN_TCP_STATE_LISTEN;
	t4.local_port = port_dword(80);
	t4.owning_pid = 4;		/* System: http.sys */
	ck_assert_int_eq(decode_win_tcp4(&t4, &si), 1);
	sock_addr_text(&si, text, sizeof(text));
	ck_assert_str_eq(text, "0.0.0.0");
	ck_assert_int_eq(si.pid, 4);

	memset(&t6, 0, sizeof(t6));
	t6.state = WIN_TCP_STATE_LISTEN;
	t6.local_port = port_dword(445);
	t6.owning_pid = 4;
	ck_assert_int_eq(decode_win_tcp6(&t6, &si), 1);
	sock_addr_text(&si, text, sizeof(text));
	ck_assert_str_eq(text, "::");
	ck_assert_uint_eq(si.port, 445);
	/* The tables do not say whether [::] also holds IPv4. */
	ck_assert_int_eq(si.v6only, -1);
	ck_assert(!sock_is_dualstack(&si));

	memset(&u4, 0, sizeof(u4));
	u4.local_port = port_dword(5353);
	u4.owning_pid = 1234;
	ck_assert_int_eq(decode_win_udp4(&u4, &si), 1);
	sock_addr_text(&si, text, sizeof(text));
	ck_assert_str_eq(text, "0.0.0.0");
	ck_assert_int_eq(si.state, PD_BOUND);

	memset(&u6, 0, sizeof(u6));
	u6.local_port = port_dword(5353);
	u6.owning_pid = 1234;
	ck_assert_int_eq(decode_win_udp6(&u6, &si), 1);
	sock_addr_text(&si, text, sizeof(text));
	ck_assert_str_eq(text, "::");
}
END_TEST

START_TEST(test_not_listeners)
{
	struct win_tcp4_row t4;
	struct win_tcp6_row t6;
	struct win_udp4_row u4;
	struct win_udp6_row u6;
	struct sock_info si;

	/* MIB_TCP_STATE_ESTAB (5), CLOSED (1), TIME_WAIT (11). */
	memset(&t4, 0, sizeof(t4));
	t4.local_port = port_dword(8080);
	t4.state = 5;
	ck_assert_int_eq(decode_win_tcp4(&t4, &si), 0);
	t4.state = 1;
	ck_assert_int_eq(decode_win_tcp4(&t4, &si), 0);
	memset(&t6, 0, sizeof(t6));
	t6.local_port = port_dword(8080);
	t6.state = 11;
	ck_assert_int_eq(decode_win_tcp6(&t6, &si), 0);
	/* A UDP row without a port is no endpoint. */
	memset(&u4, 0, sizeof(u4));
	ck_assert_int_eq(decode_win_udp4(&u4, &si), 0);
	memset(&u6, 0, sizeof(u6));
	ck_assert_int_eq(decode_win_udp6(&u6, &si), 0);
}
END_TEST

START_TEST(test_link_local_scope)
{
	struct win_tcp6_row t6;
	struct win_udp6_row u6;
	struct sock_info si;
	char text[80];

	memset(&t6, 0, sizeof(t6));
	t6.state = WIN_TCP_STATE_LISTEN;
	t6.local_addr[0] = 0xfe;
	t6.local_addr[1] = 0x80;
	t6.local_addr[15] = 1;
	t6.local_scope_id = 7;
	t6.local_port = port_dword(22);
	t6.owning_pid = 1500;
	ck_assert_int_eq(decode_win_tcp6(&t6, &si), 1);
	sock_addr_text(&si, text, sizeof(text));
	ck_assert_str_eq(text, "fe80::1%7");
	ck_assert_uint_eq(si.scope_id, 7);

	/* A global address keeps no scope, whatever the row says. */
	memset(&u6, 0, sizeof(u6));
	u6.local_addr[0] = 0x20;
	u6.local_addr[1] = 0x01;
	u6.local_addr[2] = 0x0d;
	u6.local_addr[3] = 0xb8;
	u6.local_addr[15] = 5;
	u6.local_scope_id = 3;
	u6.local_port = port_dword(53);
	ck_assert_int_eq(decode_win_udp6(&u6, &si), 1);
	sock_addr_text(&si, text, sizeof(text));
	ck_assert_str_eq(text, "2001:db8::5");
	ck_assert_uint_eq(si.scope_id, 0);
}
END_TEST

/* A table buffer: count, then n copies of rows made by fill(). */
static unsigned char *
make_table(int table, uint32_t n, size_t extra, size_t *len,
    void (*fill)(void *row, uint32_t i))
{
	size_t size = decode_win_row_size(table);
	unsigned char *buf, row[64];
	uint32_t i;

	*len = 4 + n * size + extra;
	buf = calloc(1, *len + 1);
	ck_assert(buf != NULL);
	memcpy(buf, &n, 4);
	for (i = 0; i < n; i++) {
		memset(row, 0, sizeof(row));
		fill(row, i);
		memcpy(buf + 4 + i * size, row, size);
	}
	return buf;
}

static void
fill_tcp4(void *row, uint32_t i)
{
	struct win_tcp4_row r;

	memset(&r, 0, sizeof(r));
	/* Every 10th row is ESTABLISHED and must be skipped. */
	r.state = i % 10 == 9 ? 5 : WIN_TCP_STATE_LISTEN;
	r.local_addr = addr_dword(10, (uint8_t)(i >> 16), (uint8_t)(i >> 8),
	    (uint8_t)i);
	r.local_port = port_dword(1 + i % 65535);
	r.owning_pid = 1000 + 4 * i;
	memcpy(row, &r, sizeof(r));
}

START_TEST(test_many_rows)
{
	enum { N = 20000 };
	struct collect c;
	unsigned char *buf;
	char err[256] = "";
	size_t len, k;
	uint32_t i;
	int r;

	memset(&c, 0, sizeof(c));
	c.cap = N;
	c.s = calloc(N, sizeof(*c.s));
	ck_assert(c.s != NULL);
	buf = make_table(WIN_TCP4, N, 0, &len, fill_tcp4);
	r = decode_win_table(buf, len, WIN_TCP4, collect_cb, &c, err,
	    sizeof(err));
	ck_assert_int_eq(r, N - N / 10);
	ck_assert_uint_eq(c.n, (size_t)r);
	for (i = 0, k = 0; i < N; i++) {
		if (i % 10 == 9)
			continue;
		ck_assert_uint_eq(c.s[k].port, 1 + i % 65535);
		ck_assert_int_eq(c.s[k].pid, (int32_t)(1000 + 4 * i));
		ck_assert_int_eq(c.s[k].addr[0], 10);
		ck_assert_int_eq(c.s[k].addr[3], (uint8_t)i);
		k++;
	}
	free(buf);
	free(c.s);
}
END_TEST

START_TEST(test_unaligned_and_slack)
{
	struct sock_info s[4];
	struct collect c = { s, 0, 4, 0 };
	unsigned char *buf, *odd;
	char err[256] = "";
	size_t len;

	/* iphlpapi's buffer is usually larger than the rows; the count
	 * rules. Any alignment will do. */
	buf = make_table(WIN_TCP4, 3, 100, &len, fill_tcp4);
	odd = malloc(len + 1);
	ck_assert(odd != NULL);
	memcpy(odd + 1, buf, len);
	ck_assert_int_eq(decode_win_table(odd + 1, len, WIN_TCP4, collect_cb,
	    &c, err, sizeof(err)), 3);
	ck_assert_uint_eq(s[2].port, 3);
	free(odd);
	free(buf);
}
END_TEST

START_TEST(test_malformed)
{
	struct sock_info s[4];
	struct collect c = { s, 0, 4, 0 };
	unsigned char *buf, none[4] = { 0 };
	char err[256];
	size_t len;

	/* The count promises more rows than the buffer holds. */
	buf = make_table(WIN_TCP4, 3, 0, &len, fill_tcp4);
	err[0] = '\0';
	ck_assert_int_eq(decode_win_table(buf, len - 1, WIN_TCP4, collect_cb,
	    &c, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "truncated") != NULL, "%s", err);
	ck_assert_uint_eq(c.n, 0);
	/* No room for the count. */
	err[0] = '\0';
	ck_assert_int_eq(decode_win_table(buf, 3, WIN_TCP4, collect_cb, &c,
	    err, sizeof(err)), -1);
	ck_assert(err[0] != '\0');
	/* A huge count cannot overflow the size check. */
	memset(buf, 0xff, 4);
	ck_assert_int_eq(decode_win_table(buf, len, WIN_TCP4, collect_cb, &c,
	    err, sizeof(err)), -1);
	/* An unknown table. */
	ck_assert_int_eq(decode_win_table(none, 4, 99, collect_cb, &c, err,
	    sizeof(err)), -1);
	/* An empty table is fine. */
	ck_assert_int_eq(decode_win_table(none, 4, WIN_UDP6, collect_cb, &c,
	    err, sizeof(err)), 0);
	free(buf);
	/* The callback's failure stops the walk. */
	buf = make_table(WIN_TCP4, 3, 0, &len, fill_tcp4);
	c.fail_at = 2;
	ck_assert_int_eq(decode_win_table(buf, len, WIN_TCP4, collect_cb, &c,
	    err, sizeof(err)), -1);
	ck_assert_uint_eq(c.n, 2);
	free(buf);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("decode_win");
	TCase *tc = tcase_create("decode_win");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_row_sizes);
	tcase_add_test(tc, test_fixture_tcp4);
	tcase_add_test(tc, test_fixture_tcp6);
	tcase_add_test(tc, test_fixture_udp4);
	tcase_add_test(tc, test_fixture_udp6_owner);
	tcase_add_test(tc, test_byte_order);
	tcase_add_test(tc, test_all_zero_address);
	tcase_add_test(tc, test_not_listeners);
	tcase_add_test(tc, test_link_local_scope);
	tcase_add_test(tc, test_many_rows);
	tcase_add_test(tc, test_unaligned_and_slack);
	tcase_add_test(tc, test_malformed);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
