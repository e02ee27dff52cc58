/*
 * check_snapshot.c - tests of the listener model: the snapshot container,
 * its canonical order, process copies and the text helpers.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "snapshot.h"

static struct sock_info
sock(int proto, int family, uint16_t port, uint8_t last, uint64_t inode)
{
	return fx_sock(proto, family, port, last, inode, PD_UID_UNKNOWN);
}

static struct proc_info
proc(int32_t pid, uint64_t start, const char *comm, const char *exe)
{
	return fx_proc(pid, start, comm, "", 0, exe);
}

START_TEST(test_add_and_find)
{
	struct snapshot s;
	struct listener *l;
	struct sock_info si = sock(PD_TCP, PD_INET, 80, 1, 100);
	struct proc_info p1 = proc(10, 1000, "nginx", "/usr/sbin/nginx"),
	    p2 = proc(11, 1001, "worker", NULL);
	const struct proc_info *rp;

	snapshot_init(&s);
	ck_assert_uint_eq(s.nrows, 0);
	ck_assert_int_eq(snapshot_add_proc(&s, &p1), 0);
	ck_assert_int_eq(snapshot_add_proc(&s, &p2), 1);
	ck_assert_uint_eq(s.nprocs, 2);
	/* The exe is the snapshot's own copy. */
	ck_assert_ptr_nonnull(s.procs[0].exe);
	ck_assert_ptr_ne(s.procs[0].exe, p1.exe);
	ck_assert_str_eq(s.procs[0].exe, "/usr/sbin/nginx");
	ck_assert_ptr_null(s.procs[1].exe);
	ck_assert_str_eq(s.procs[1].comm, "worker");

	l = snapshot_add_row(&s, &si, 0, PD_OWNER_OK);
	ck_assert_ptr_nonnull(l);
	ck_assert_mem_eq(&l->sock, &si, sizeof(si));
	ck_assert_int_eq(l->proc, 0);
	ck_assert_int_eq(l->reason, PD_OWNER_OK);
	l = snapshot_add_row(&s, &si, -1, PD_OWNER_DENIED);
	ck_assert_ptr_nonnull(l);
	ck_assert_int_eq(l->reason, PD_OWNER_DENIED);
	ck_assert_uint_eq(s.nrows, 2);

	rp = snapshot_row_proc(&s, &s.rows[0]);
	ck_assert_ptr_nonnull(rp);
	ck_assert_int_eq(rp->pid, 10);
	ck_assert_ptr_null(snapshot_row_proc(&s, &s.rows[1]));
	s.rows[1].proc = 2;	/* out of range: no process, no overrun */
	ck_assert_ptr_null(snapshot_row_proc(&s, &s.rows[1]));

	/* A pid alone is not enough: the start time tells reuse apart. */
	ck_assert_int_eq(snapshot_find_proc(&s, 10, 1000), 0);
	ck_assert_int_eq(snapshot_find_proc(&s, 11, 1001), 1);
	ck_assert_int_eq(snapshot_find_proc(&s, 10, 1001), -1);
	ck_assert_int_eq(snapshot_find_proc(&s, 12, 1000), -1);
	snapshot_clear(&s);
}
END_TEST

START_TEST(test_clear_reuse)
{
	struct snapshot s;
	struct sock_info si = sock(PD_UDP, PD_INET6, 53, 1, 7);
	struct proc_info p = proc(5, 50, "dnsd", "/usr/bin/dnsd");
	size_t i;

	snapshot_init(&s);
	/* Past the first allocation, so that it grows. */
	for (i = 0; i < 300; i++) {
		ck_assert_ptr_nonnull(snapshot_add_row(&s, &si, -1,
		    PD_OWNER_NONE));
		ck_assert_int_eq(snapshot_add_proc(&s, &p), (int)i);
	}
	ck_assert_uint_eq(s.nrows, 300);
	ck_assert_uint_ge(s.caprows, 300);
	ck_assert_str_eq(s.procs[299].exe, "/usr/bin/dnsd");
	snapshot_clear(&s);
	ck_assert_ptr_null(s.rows);
	ck_assert_ptr_null(s.procs);
	ck_assert_uint_eq(s.nrows, 0);
	ck_assert_uint_eq(s.nprocs, 0);
	/* Usable again; clearing twice is harmless. */
	ck_assert_ptr_nonnull(snapshot_add_row(&s, &si, -1, PD_OWNER_NONE));
	ck_assert_int_eq(snapshot_add_proc(&s, &p), 0);
	snapshot_clear(&s);
	snapshot_clear(&s);
}
END_TEST

START_TEST(test_sort_order)
{
	struct snapshot s;
	struct sock_info in[8];
	struct proc_info pa = proc(300, 1, "a", NULL),
	    pb = proc(200, 1, "b", NULL);
	int ia, ib;
	size_t i;

	/* Listed in the order the sort must produce. */
	in[0] = sock(PD_TCP, PD_INET, 22, 1, 9);
	in[1] = sock(PD_TCP, PD_INET, 80, 1, 5);
	in[2] = sock(PD_TCP, PD_INET, 80, 2, 1);	/* address */
	in[3] = sock(PD_TCP, PD_INET6, 80, 1, 1);	/* family */
	in[4] = sock(PD_UDP, PD_INET, 80, 1, 1);	/* proto */
	in[5] = sock(PD_UDP, PD_INET, 80, 1, 2);	/* inode */
	in[6] = sock(PD_UDP, PD_INET, 80, 1, 2);	/* pid 200 */
	in[7] = sock(PD_UDP, PD_INET, 80, 1, 2);	/* pid 300 */

	snapshot_init(&s);
	ia = snapshot_add_proc(&s, &pa);
	ib = snapshot_add_proc(&s, &pb);
	/* Added backwards. */
	ck_assert_ptr_nonnull(snapshot_add_row(&s, &in[7], ia, 0));
	ck_assert_ptr_nonnull(snapshot_add_row(&s, &in[6], ib, 0));
	for (i = 6; i-- > 0;)
		ck_assert_ptr_nonnull(snapshot_add_row(&s, &in[i], -1,
		    PD_OWNER_NONE));
	snapshot_sort(&s);
	ck_assert_uint_eq(s.nrows, 8);
	for (i = 0; i < 8; i++)
		ck_assert_msg(memcmp(&s.rows[i].sock, &in[i],
		    sizeof(in[i])) == 0, "row %zu out of order", i);
	ck_assert_int_eq(s.rows[6].proc, ib);
	ck_assert_int_eq(s.rows[7].proc, ia);
	for (i = 1; i < 8; i++)
		ck_assert_int_lt(listener_cmp(&s.rows[i - 1],
		    snapshot_row_proc(&s, &s.rows[i - 1]), &s.rows[i],
		    snapshot_row_proc(&s, &s.rows[i])), 0);
	/* Sorting sorted rows changes nothing. */
	snapshot_sort(&s);
	for (i = 0; i < 8; i++)
		ck_assert_mem_eq(&s.rows[i].sock, &in[i], sizeof(in[i]));
	snapshot_clear(&s);
}
END_TEST

START_TEST(test_sort_many)
{
	struct snapshot s;
	struct sock_info si;
	size_t i;

	snapshot_init(&s);
	for (i = 0; i < 1000; i++) {
		si = sock(i % 2 ? PD_UDP : PD_TCP, PD_INET,
		    (uint16_t)(1 + (i * 7919) % 1000), 1, i);
		ck_assert_ptr_nonnull(snapshot_add_row(&s, &si, -1, 0));
	}
	snapshot_sort(&s);
	for (i = 1; i < s.nrows; i++)
		ck_assert_int_le(listener_cmp(&s.rows[i - 1], NULL,
		    &s.rows[i], NULL), 0);
	snapshot_clear(&s);
	/* Zero and one row are already sorted. */
	snapshot_sort(&s);
	ck_assert_ptr_nonnull(snapshot_add_row(&s, &si, -1, 0));
	snapshot_sort(&s);
	ck_assert_uint_eq(s.nrows, 1);
	snapshot_clear(&s);
}
END_TEST

#ifdef CHECK_WRAP_MALLOC
/*
 * The Makefile links this suite with -Wl,--wrap=malloc: every malloc in
 * it and in libportd.a comes here, and fails while malloc_fails is set.
 */
void	*__real_malloc(size_t);
void	*__wrap_malloc(size_t);
static int malloc_fails;

void *
__wrap_malloc(size_t n)
{
	return malloc_fails ? NULL : __real_malloc(n);
}

/* The diff walks rows in order: sorting must not give up for memory. */
START_TEST(test_sort_without_memory)
{
	struct snapshot s;
	struct sock_info si;
	size_t i;
	void *p;

	snapshot_init(&s);
	for (i = 0; i < 1000; i++) {
		si = sock(PD_TCP, PD_INET, (uint16_t)(1000 - i), 1, i);
		ck_assert_ptr_nonnull(snapshot_add_row(&s, &si, -1, 0));
	}
	/* No check assertion in between: check itself allocates. */
	malloc_fails = 1;
	p = malloc(16);
	snapshot_sort(&s);
	malloc_fails = 0;
	ck_assert_ptr_null(p);			/* the wrap was in place */
	for (i = 0; i < s.nrows; i++)
		ck_assert_uint_eq(s.rows[i].sock.port, i + 1);
	snapshot_clear(&s);
}
END_TEST
#endif

START_TEST(test_listener_cmp)
{
	struct listener a, b;
	struct proc_info p1 = proc(1, 5, "x", NULL), p2 = proc(1, 6, "x", NULL);

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.sock = b.sock = sock(PD_TCP, PD_INET, 80, 1, 1);
	ck_assert_int_eq(listener_cmp(&a, NULL, &b, NULL), 0);
	ck_assert_int_eq(listener_cmp(&a, &p1, &b, &p1), 0);
	/* Same pid, later start: a different process, after. */
	ck_assert_int_lt(listener_cmp(&a, &p1, &b, &p2), 0);
	ck_assert_int_gt(listener_cmp(&a, &p2, &b, &p1), 0);
	/* No owner sorts before an owner. */
	ck_assert_int_lt(listener_cmp(&a, NULL, &b, &p1), 0);
	b.sock.scope_id = 2;
	ck_assert_int_lt(listener_cmp(&a, NULL, &b, NULL), 0);
}
END_TEST

START_TEST(test_proc_info_copy)
{
	struct proc_info src = proc(42, 7, "sshd", NULL), dst;

	src.exe = strdup("/usr/sbin/sshd");
	ck_assert_ptr_nonnull(src.exe);
	src.uid = 0;
	src.suid = 1000;
	strcpy(src.user, "root");
	ck_assert_int_eq(proc_info_copy(&dst, &src), 0);
	ck_assert_ptr_ne(dst.exe, src.exe);
	ck_assert_str_eq(dst.exe, src.exe);
	ck_assert_int_eq(dst.pid, 42);
	ck_assert_uint_eq(dst.suid, 1000);
	ck_assert_str_eq(dst.user, "root");
	ck_assert_str_eq(dst.comm, "sshd");
	/* Independent: clearing one leaves the other. */
	proc_info_clear(&src);
	ck_assert_ptr_null(src.exe);
	ck_assert_int_eq(src.pid, 0);
	ck_assert_str_eq(dst.exe, "/usr/sbin/sshd");
	proc_info_clear(&dst);

	src = proc(1, 1, "init", NULL);
	ck_assert_int_eq(proc_info_copy(&dst, &src), 0);
	ck_assert_ptr_null(dst.exe);
	proc_info_clear(&dst);
}
END_TEST

START_TEST(test_addr_text)
{
	struct sock_info si;
	char buf[64];

	si = sock(PD_TCP, PD_INET, 80, 1, 1);
	sock_addr_text(&si, buf, sizeof(buf));
	ck_assert_str_eq(buf, "127.0.0.1");
	si.scope_id = 3;	/* meaningless for IPv4: not shown */
	sock_addr_text(&si, buf, sizeof(buf));
	ck_assert_str_eq(buf, "127.0.0.1");
	memset(si.addr, 0, sizeof(si.addr));
	sock_addr_text(&si, buf, sizeof(buf));
	ck_assert_str_eq(buf, "0.0.0.0");

	si = sock(PD_TCP, PD_INET6, 80, 1, 1);
	sock_addr_text(&si, buf, sizeof(buf));
	ck_assert_str_eq(buf, "::1");
	si.addr[15] = 0;
	sock_addr_text(&si, buf, sizeof(buf));
	ck_assert_str_eq(buf, "::");
	si.addr[0] = 0xfe;
	si.addr[1] = 0x80;
	si.addr[15] = 1;
	si.scope_id = 3;
	sock_addr_text(&si, buf, sizeof(buf));
	ck_assert_str_eq(buf, "fe80::1%3");
	memset(si.addr, 0, sizeof(si.addr));
	si.addr[10] = si.addr[11] = 0xff;
	si.addr[12] = 10;
	si.addr[15] = 1;
	si.scope_id = 0;
	sock_addr_text(&si, buf, sizeof(buf));
	ck_assert_str_eq(buf, "::ffff:10.0.0.1");
	/* The longest form fits the documented 64 bytes. */
	memset(si.addr, 0xff, sizeof(si.addr));
	si.scope_id = UINT32_MAX;
	sock_addr_text(&si, buf, sizeof(buf));
	ck_assert_str_eq(buf,
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff%4294967295");
	/* A short buffer is cut, not overrun. */
	sock_addr_text(&si, buf, 8);
	ck_assert_str_eq(buf, "ffff:ff");
}
END_TEST

START_TEST(test_dualstack)
{
	struct sock_info si;

	si = sock(PD_TCP, PD_INET, 80, 0, 1);
	memset(si.addr, 0, sizeof(si.addr));
	ck_assert(!sock_is_dualstack(&si));	/* 0.0.0.0 is IPv4 only */

	si = sock(PD_TCP, PD_INET6, 80, 0, 1);	/* [::] */
	si.v6only = 0;
	ck_assert(sock_is_dualstack(&si));
	si.v6only = 1;
	ck_assert(!sock_is_dualstack(&si));
	si.v6only = -1;				/* unknown: not claimed */
	ck_assert(!sock_is_dualstack(&si));

	si.v6only = 0;
	si.addr[15] = 1;			/* ::1 */
	ck_assert(!sock_is_dualstack(&si));
	memset(si.addr, 0, sizeof(si.addr));
	si.addr[10] = si.addr[11] = 0xff;	/* ::ffff:127.0.0.1 */
	si.addr[12] = 127;
	si.addr[15] = 1;
	ck_assert(sock_is_dualstack(&si));
	si.v6only = 1;
	ck_assert(!sock_is_dualstack(&si));
}
END_TEST

START_TEST(test_names)
{
	ck_assert_str_eq(pd_proto_name(PD_TCP), "tcp");
	ck_assert_str_eq(pd_proto_name(PD_UDP), "udp");
	ck_assert_str_eq(pd_family_name(PD_INET), "ipv4");
	ck_assert_str_eq(pd_family_name(PD_INET6), "ipv6");
	ck_assert_str_eq(pd_state_name(PD_LISTEN), "LISTEN");
	ck_assert_str_eq(pd_state_name(PD_BOUND), "BOUND");
	ck_assert_str_eq(pd_reason_text(PD_OWNER_OK), "");
	ck_assert_ptr_nonnull(strstr(pd_reason_text(PD_OWNER_DENIED),
	    "permission denied"));
	ck_assert_str_eq(pd_reason_text(PD_OWNER_NONE),
	    "no process holds it");
	ck_assert_ptr_nonnull(strstr(pd_reason_text(PD_OWNER_UNSUPPORTED),
	    "not reported"));
	ck_assert_str_eq(pd_reason_text(99), "unknown");
}
END_TEST

static Suite *
snapshot_suite(void)
{
	Suite *s = suite_create("snapshot");
	TCase *tc;

	tc = tcase_create("container");
	tcase_add_test(tc, test_add_and_find);
	tcase_add_test(tc, test_clear_reuse);
	tcase_add_test(tc, test_sort_order);
	tcase_add_test(tc, test_sort_many);
#ifdef CHECK_WRAP_MALLOC
	tcase_add_test(tc, test_sort_without_memory);
#endif
	tcase_add_test(tc, test_listener_cmp);
	tcase_add_test(tc, test_proc_info_copy);
	suite_add_tcase(s, tc);

	tc = tcase_create("text");
	tcase_add_test(tc, test_addr_text);
	tcase_add_test(tc, test_dualstack);
	tcase_add_test(tc, test_names);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(snapshot_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
