/*
 * check_portspec.c - tests of PORTSPEC parsing, formatting and the
 * listener filter.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "portspec.h"

/* A pure stand-in for /etc/services. */
static int
fake_lookup(const char *name, const char *proto)
{
	if (strcmp(name, "web") == 0)
		return strcmp(proto, "tcp") == 0 ? 8000 : -1;
	if (strcmp(name, "dns") == 0)
		return 53;
	if (strcmp(name, "syslog") == 0)
		return strcmp(proto, "udp") == 0 ? 514 : -1;
	if (strcmp(name, "split") == 0)
		return strcmp(proto, "tcp") == 0 ? 100 : 200;
	if (strcmp(name, "huge") == 0)
		return 70000;	/* a broken lookup: not a port */
	return -1;
}

static int
fail_lookup(const char *name, const char *proto)
{
	(void)name;
	(void)proto;
	return -1;
}

static const struct {
	const char *text;
	uint16_t lo, hi;
	uint8_t protos;
} good[] = {
	{ "8080", 8080, 8080, PD_TCP | PD_UDP },
	{ "8080/tcp", 8080, 8080, PD_TCP },
	{ "53/udp", 53, 53, PD_UDP },
	{ "1", 1, 1, PD_TCP | PD_UDP },
	{ "65535", 65535, 65535, PD_TCP | PD_UDP },
	{ "3000-3100", 3000, 3100, PD_TCP | PD_UDP },
	{ "3000-3100/udp", 3000, 3100, PD_UDP },
	{ "80-80/tcp", 80, 80, PD_TCP },
	{ "1-65535", 1, 65535, PD_TCP | PD_UDP },
	{ "web", 8000, 8000, PD_TCP },
	{ "dns", 53, 53, PD_TCP | PD_UDP },
	{ "dns/udp", 53, 53, PD_UDP },
	{ "syslog", 514, 514, PD_UDP },
	{ "split/udp", 200, 200, PD_UDP },
};

START_TEST(test_parse_good)
{
	struct portspec ps;
	char err[256] = "";

	ck_assert_msg(portspec_parse(good[_i].text, fake_lookup, &ps, err,
	    sizeof(err)) == 0, "%s: %s", good[_i].text, err);
	ck_assert_uint_eq(ps.lo, good[_i].lo);
	ck_assert_uint_eq(ps.hi, good[_i].hi);
	ck_assert_uint_eq(ps.protos, good[_i].protos);
}
END_TEST

START_TEST(test_parse_services)
{
	struct portspec ps;
	char err[256] = "";

	/* Debian's /etc/services: http is 80/tcp only, domain both. */
	ck_assert_int_eq(portspec_parse("http", portspec_lookup_services,
	    &ps, err, sizeof(err)), 0);
	ck_assert_uint_eq(ps.lo, 80);
	ck_assert_uint_eq(ps.hi, 80);
	ck_assert_uint_eq(ps.protos, PD_TCP);
	ck_assert_int_eq(portspec_parse("domain", portspec_lookup_services,
	    &ps, err, sizeof(err)), 0);
	ck_assert_uint_eq(ps.lo, 53);
	ck_assert_uint_eq(ps.protos, PD_TCP | PD_UDP);
	ck_assert_int_eq(portspec_parse("http/udp", portspec_lookup_services,
	    &ps, err, sizeof(err)), -1);
	ck_assert_int_eq(portspec_parse("no-such-service-here",
	    portspec_lookup_services, &ps, err, sizeof(err)), -1);
	ck_assert_int_eq(portspec_lookup_services("http", "tcp"), 80);
}
END_TEST

static const struct {
	const char *text;
	portspec_lookup_fn lookup;
	const char *in_err;	/* besides the argument itself */
} bad[] = {
	{ "0", fake_lookup, "1-65535" },
	{ "70000", fake_lookup, "1-65535" },
	{ "99999999999", fake_lookup, NULL },
	{ "abc", NULL, NULL },
	{ "abc", fail_lookup, NULL },
	{ "abc", fake_lookup, NULL },
	{ "90-80", fake_lookup, "backwards" },
	{ "/tcp", fake_lookup, "missing port" },
	{ "80/sctp", fake_lookup, "sctp" },
	{ "80/", fake_lookup, NULL },
	{ "80/TCP", fake_lookup, NULL },
	{ "-5", fake_lookup, NULL },
	{ "5-", fake_lookup, NULL },
	{ "-", fake_lookup, NULL },
	{ "1-70000", fake_lookup, "1-65535" },
	{ "0-10", fake_lookup, "1-65535" },
	{ "web/udp", fake_lookup, NULL },
	{ "syslog/tcp", fake_lookup, NULL },
	{ "split", fake_lookup, "split/tcp" },
	{ "huge", fake_lookup, NULL },
	{ " 80", fake_lookup, NULL },
	{ "+80", fake_lookup, NULL },
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaa", fake_lookup, NULL },
};

START_TEST(test_parse_bad)
{
	struct portspec ps;
	char err[256] = "";

	ck_assert_msg(portspec_parse(bad[_i].text, bad[_i].lookup, &ps, err,
	    sizeof(err)) == -1, "accepted '%s'", bad[_i].text);
	ck_assert_msg(strstr(err, bad[_i].text) != NULL,
	    "'%s' does not name '%s'", err, bad[_i].text);
	if (bad[_i].in_err != NULL)
		ck_assert_msg(strstr(err, bad[_i].in_err) != NULL,
		    "'%s' lacks '%s'", err, bad[_i].in_err);
}
END_TEST

START_TEST(test_parse_empty)
{
	struct portspec ps;
	char err[256] = "";

	ck_assert_int_eq(portspec_parse("", fake_lookup, &ps, err,
	    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "empty"));
	ck_assert_int_eq(portspec_parse(NULL, fake_lookup, &ps, err,
	    sizeof(err)), -1);
	/* A small err buffer is cut, not overrun. */
	ck_assert_int_eq(portspec_parse("70000", NULL, &ps, err, 6), -1);
	ck_assert_str_eq(err, "70000");
}
END_TEST

START_TEST(test_format)
{
	static const char *canon[] = { "8080", "8080/tcp", "53/udp",
	    "3000-3100", "3000-3100/udp", "1-65535/tcp", "65535" };
	struct portspec ps, again;
	char err[256] = "", buf[32];
	size_t i;

	for (i = 0; i < sizeof(canon) / sizeof(canon[0]); i++) {
		ck_assert_int_eq(portspec_parse(canon[i], NULL, &ps, err,
		    sizeof(err)), 0);
		portspec_format(&ps, buf, sizeof(buf));
		ck_assert_str_eq(buf, canon[i]);
		ck_assert_int_eq(portspec_parse(buf, NULL, &again, err,
		    sizeof(err)), 0);
		ck_assert_mem_eq(&ps, &again, sizeof(ps));
	}
	/* A name formats as its port; a one-port range as the port. */
	ck_assert_int_eq(portspec_parse("web", fake_lookup, &ps, err,
	    sizeof(err)), 0);
	portspec_format(&ps, buf, sizeof(buf));
	ck_assert_str_eq(buf, "8000/tcp");
	ck_assert_int_eq(portspec_parse("80-80", NULL, &ps, err,
	    sizeof(err)), 0);
	portspec_format(&ps, buf, sizeof(buf));
	ck_assert_str_eq(buf, "80");
	/* Truncated safely. */
	ck_assert_int_eq(portspec_parse("3000-3100/udp", NULL, &ps, err,
	    sizeof(err)), 0);
	portspec_format(&ps, buf, 5);
	ck_assert_str_eq(buf, "3000");
}
END_TEST

/* 127.0.0.1 or ::1; with any, 0.0.0.0 or [::]. */
static struct sock_info
sock(int proto, int family, uint16_t port, int v6only, int any)
{
	struct sock_info si = fx_sock(proto, family, port, any ? 0 : 1, 0,
	    PD_UID_UNKNOWN);

	si.v6only = (int8_t)v6only;
	return si;
}

static void
add(struct filter *f, const char *text)
{
	struct portspec ps;
	char err[256] = "";

	ck_assert_msg(portspec_parse(text, fake_lookup, &ps, err,
	    sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(filter_add(f, &ps), 0);
}

START_TEST(test_filter_empty)
{
	struct filter f;
	struct sock_info a = sock(PD_TCP, PD_INET, 22, 0, 0),
	    b = sock(PD_UDP, PD_INET6, 65535, 1, 1);

	filter_init(&f);
	ck_assert(filter_match(&f, &a));
	ck_assert(filter_match(&f, &b));
	ck_assert(filter_match(NULL, &a));
	ck_assert(filter_match_port(&f, PD_UDP, 1));
}
END_TEST

START_TEST(test_filter_protos_families)
{
	struct filter f;
	struct sock_info t4 = sock(PD_TCP, PD_INET, 80, 0, 0),
	    u4 = sock(PD_UDP, PD_INET, 80, 0, 0),
	    t6 = sock(PD_TCP, PD_INET6, 80, 1, 0);

	filter_init(&f);
	f.protos = PD_UDP;
	ck_assert(!filter_match(&f, &t4));
	ck_assert(filter_match(&f, &u4));
	f.protos = PD_TCP | PD_UDP;
	ck_assert(filter_match(&f, &t4));
	ck_assert(filter_match(&f, &u4));

	filter_init(&f);
	f.families = PD_INET6;
	ck_assert(!filter_match(&f, &t4));
	ck_assert(filter_match(&f, &t6));
	f.families = PD_INET;
	ck_assert(filter_match(&f, &t4));
	ck_assert(!filter_match(&f, &t6));

	/* Protocol in the spec and in the mask both apply. */
	filter_init(&f);
	add(&f, "80/tcp");
	ck_assert(filter_match(&f, &t4));
	ck_assert(!filter_match(&f, &u4));
	f.protos = PD_UDP;
	ck_assert(!filter_match(&f, &t4));
}
END_TEST

START_TEST(test_filter_dualstack)
{
	struct filter f;
	struct sock_info dual = sock(PD_TCP, PD_INET6, 80, 0, 1),
	    v6only = sock(PD_TCP, PD_INET6, 80, 1, 1),
	    unknown = sock(PD_TCP, PD_INET6, 80, -1, 1),
	    lo6 = sock(PD_TCP, PD_INET6, 80, 0, 0);

	filter_init(&f);
	f.families = PD_INET;
	/* [::] with V6ONLY off holds the IPv4 port too. */
	ck_assert(filter_match(&f, &dual));
	ck_assert(!filter_match(&f, &v6only));
	/* /proc/net cannot say; unknown is not dual-stack. */
	ck_assert(!filter_match(&f, &unknown));
	/* ::1 is IPv6 whatever V6ONLY says. */
	ck_assert(!filter_match(&f, &lo6));
	/* ...and all of them are IPv6. */
	f.families = PD_INET6;
	ck_assert(filter_match(&f, &dual));
	ck_assert(filter_match(&f, &v6only));
	ck_assert(filter_match(&f, &unknown));
	/* The port still has to match. */
	f.families = PD_INET;
	add(&f, "81");
	ck_assert(!filter_match(&f, &dual));
}
END_TEST

START_TEST(test_filter_specs)
{
	struct filter f;
	struct portspec ps = { 1, 1, PD_TCP };
	struct sock_info s;
	size_t i;

	filter_init(&f);
	add(&f, "22/tcp");
	add(&f, "3000-3100");
	add(&f, "53/udp");
	s = sock(PD_TCP, PD_INET, 22, 0, 0);
	ck_assert(filter_match(&f, &s));
	s = sock(PD_UDP, PD_INET, 22, 0, 0);
	ck_assert(!filter_match(&f, &s));
	s = sock(PD_UDP, PD_INET6, 3000, 1, 0);
	ck_assert(filter_match(&f, &s));
	s = sock(PD_TCP, PD_INET, 3100, 0, 0);
	ck_assert(filter_match(&f, &s));
	s = sock(PD_TCP, PD_INET, 3101, 0, 0);
	ck_assert(!filter_match(&f, &s));
	s = sock(PD_TCP, PD_INET, 2999, 0, 0);
	ck_assert(!filter_match(&f, &s));
	s = sock(PD_UDP, PD_INET, 53, 0, 0);
	ck_assert(filter_match(&f, &s));
	s = sock(PD_TCP, PD_INET, 53, 0, 0);
	ck_assert(!filter_match(&f, &s));
	ck_assert(filter_match_port(&f, PD_UDP, 53));
	ck_assert(!filter_match_port(&f, PD_TCP, 53));

	/* Bounded: the 65th spec is refused. */
	filter_init(&f);
	for (i = 0; i < FILTER_MAX_SPECS; i++)
		ck_assert_int_eq(filter_add(&f, &ps), 0);
	ck_assert_int_eq(filter_add(&f, &ps), -1);
	ck_assert_uint_eq(f.nspecs, FILTER_MAX_SPECS);
}
END_TEST

/* The backends' collector: what the filter selects, in order, all of it. */
START_TEST(test_sock_list)
{
	struct sock_list l;
	struct snapshot rows;
	struct filter f;
	struct sock_info s;
	char err[128];
	unsigned i;

	memset(&l, 0, sizeof(l));
	for (i = 1; i <= 1000; i++) {
		s = sock(i % 2 ? PD_TCP : PD_UDP, PD_INET, (uint16_t)i, 0, 0);
		ck_assert_int_eq(sock_list_add(&l, &s), 0);
	}
	ck_assert_uint_eq(l.n, 1000);
	ck_assert_uint_ge(l.cap, l.n);
	ck_assert_uint_eq(l.v[999].port, 1000);
	ck_assert_int_eq(l.v[999].proto, PD_UDP);

	/* With a filter: only udp 3000-3100, appended after what is there. */
	filter_init(&f);
	add(&f, "3000-3100/udp");
	l.f = &f;
	for (i = 2990; i <= 3110; i++) {
		s = sock(PD_UDP, PD_INET, (uint16_t)i, 0, 0);
		ck_assert_int_eq(sock_list_add(&l, &s), 0);
		s.proto = PD_TCP;
		ck_assert_int_eq(sock_list_add(&l, &s), 0);
	}
	ck_assert_uint_eq(l.n, 1000 + 101);
	ck_assert_uint_eq(l.v[1000].port, 3000);
	ck_assert_uint_eq(l.v[1100].port, 3100);
	for (i = 1000; i < l.n; i++)
		ck_assert_int_eq(l.v[i].proto, PD_UDP);

	/* As rows: one each, no owner, in canonical order. */
	snapshot_init(&rows);
	ck_assert_int_eq(sock_list_rows(&l, &rows, err, sizeof(err)), 0);
	ck_assert_uint_eq(rows.nrows, l.n);
	ck_assert_uint_eq(rows.nprocs, 0);
	for (i = 0; i < rows.nrows; i++) {
		ck_assert_int_eq(rows.rows[i].proc, -1);
		ck_assert_int_eq(rows.rows[i].reason, PD_OWNER_NONE);
		if (i > 0)
			ck_assert_int_lt(listener_cmp(&rows.rows[i - 1], NULL,
			    &rows.rows[i], NULL), 0);
	}
	snapshot_clear(&rows);
	free(l.v);
}
END_TEST

/* Sorted rows: tcp and udp on every port of [1, nports], inode = index. */
static void
select_rows_fill(struct snapshot *s, unsigned nports)
{
	struct sock_info si;
	unsigned i;

	snapshot_init(s);
	for (i = 1; i <= nports; i++) {
		si = sock(PD_TCP, PD_INET, (uint16_t)i, 0, 0);
		ck_assert_ptr_nonnull(snapshot_add_row(s, &si, -1,
		    PD_OWNER_NONE));
		si.proto = PD_UDP;
		ck_assert_ptr_nonnull(snapshot_add_row(s, &si, -1,
		    PD_OWNER_NONE));
	}
	snapshot_sort(s);
}

START_TEST(test_filter_select)
{
	struct snapshot s;
	struct filter f;
	size_t out[200], n, i;

	select_rows_fill(&s, 100);
	/* Overlapping, out of order, one protocol only in one spec: every
	 * row once, in row order. */
	filter_init(&f);
	add(&f, "50-60");
	add(&f, "10-20/udp");
	add(&f, "55-70");
	add(&f, "15-52/tcp");
	add(&f, "60");
	n = filter_select(&f, &s, out);
	/* udp 10-20, tcp 15-52, both 50-70 (ports 50-52 counted once). */
	ck_assert_uint_eq(n, 11 + 38 + 2 * 21 - 3);
	for (i = 0; i < n; i++) {
		ck_assert(filter_match(&f, &s.rows[out[i]].sock));
		if (i > 0)
			ck_assert_uint_lt(out[i - 1], out[i]);
	}
	for (i = 0, n = 0; i < s.nrows; i++)
		n += filter_match(&f, &s.rows[i].sock) != 0;
	ck_assert_uint_eq(filter_select(&f, &s, out), n);

	/* No specs: every row the masks select. */
	filter_init(&f);
	f.protos = PD_UDP;
	n = filter_select(&f, &s, out);
	ck_assert_uint_eq(n, 100);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(s.rows[out[i]].sock.proto, PD_UDP);
	/* Nothing there. */
	filter_init(&f);
	add(&f, "101-200");
	ck_assert_uint_eq(filter_select(&f, &s, out), 0);
	snapshot_clear(&s);
}
END_TEST

/*
 * 64 specs that all cover every row (what any local user may send in one
 * `who`): a row is looked at once, not once per row already selected.
 * Quadratic, this took minutes and check's timeout failed it; linear it
 * is a few million filter_match calls.
 */
START_TEST(test_filter_select_overlapping)
{
	struct snapshot s;
	struct filter f;
	size_t *out, n, i;

	select_rows_fill(&s, 50000);
	ck_assert_ptr_nonnull(out = malloc(s.nrows * sizeof(*out)));
	filter_init(&f);
	for (i = 0; i < FILTER_MAX_SPECS; i++)
		add(&f, i % 2 ? "1-65535" : "1-50000");
	n = filter_select(&f, &s, out);
	ck_assert_uint_eq(n, s.nrows);
	for (i = 0; i < n; i++)
		ck_assert_uint_eq(out[i], i);
	free(out);
	snapshot_clear(&s);
}
END_TEST

static Suite *
portspec_suite(void)
{
	Suite *s = suite_create("portspec");
	TCase *tc;

	tc = tcase_create("parse");
	tcase_add_loop_test(tc, test_parse_good, 0,
	    (int)(sizeof(good) / sizeof(good[0])));
	tcase_add_test(tc, test_parse_services);
	tcase_add_loop_test(tc, test_parse_bad, 0,
	    (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_test(tc, test_parse_empty);
	tcase_add_test(tc, test_format);
	suite_add_tcase(s, tc);

	tc = tcase_create("filter");
	tcase_add_test(tc, test_filter_empty);
	tcase_add_test(tc, test_filter_protos_families);
	tcase_add_test(tc, test_filter_dualstack);
	tcase_add_test(tc, test_filter_specs);
	tcase_add_test(tc, test_sock_list);
	tcase_add_test(tc, test_filter_select);
	tcase_add_test(tc, test_filter_select_overlapping);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(portspec_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
