/*
 * check_event.c - tests of events (copies of one snapshot row) and the
 * bounded history ring that keeps the most recent ones.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "fixture.h"

static struct sock_info
sock(int proto, int family, uint16_t port, uint64_t inode)
{
	struct sock_info si = fx_sock(proto, family, port, 1, inode, 33);

	if (family == PD_INET) {
		si.addr[0] = 10;			/* 10.0.0.7 */
		si.addr[3] = 7;
	} else {
		si.addr[0] = 0xfe;			/* fe80::1 */
		si.addr[1] = 0x80;
	}
	return si;
}

static struct proc_info
proc(int32_t pid, const char *exe)
{
	struct proc_info p = fx_proc(pid, 123456, "apache2", "www-data", 33,
	    exe);

	p.suid = 0;		/* started as root: a field of its own */
	return p;
}

/* An event with a heap exe naming its sequence number. */
static struct event
mkevent(uint64_t seq)
{
	struct event ev;
	char exe[32];

	memset(&ev, 0, sizeof(ev));
	ev.seq = seq;
	ev.time_ms = 1000 * (int64_t)seq;
	ev.type = seq % 2 ? EV_BIND : EV_UNBIND;
	ev.sock = sock(PD_TCP, PD_INET, (uint16_t)(seq % 65535 + 1), seq);
	ev.proc.pid = (int32_t)seq;
	snprintf(exe, sizeof(exe), "/bin/e%llu", (unsigned long long)seq);
	ev.proc.exe = strdup(exe);
	ck_assert_ptr_nonnull(ev.proc.exe);
	return ev;
}

START_TEST(test_from_row_owned)
{
	struct snapshot s;
	struct event ev;
	struct sock_info si = sock(PD_TCP, PD_INET6, 443, 777);
	struct proc_info p = proc(1234, "/usr/sbin/apache2");

	snapshot_init(&s);
	si.scope_id = 2;
	ck_assert_int_eq(snapshot_add_proc(&s, &p), 0);
	ck_assert_ptr_nonnull(snapshot_add_row(&s, &si, 0, PD_OWNER_OK));
	/* Garbage first: every field is set, nothing is left over. */
	memset(&ev, 0x5a, sizeof(ev));
	ev.proc.exe = NULL;
	ck_assert_int_eq(event_from_row(&ev, EV_BIND, &s, &s.rows[0]), 0);
	ck_assert_uint_eq(ev.seq, 0);
	ck_assert_int_eq(ev.time_ms, 0);
	ck_assert_int_eq(ev.type, EV_BIND);
	ck_assert_mem_eq(&ev.sock, &si, sizeof(si));
	ck_assert_int_eq(ev.reason, PD_OWNER_OK);
	ck_assert_int_eq(ev.proc.pid, 1234);
	ck_assert_int_eq(ev.proc.ppid, 1);
	ck_assert_uint_eq(ev.proc.uid, 33);
	ck_assert_uint_eq(ev.proc.suid, 0);
	ck_assert_uint_eq(ev.proc.start_time, 123456);
	ck_assert_int_eq(ev.proc.started_ms, 1700000000000 + 123456);
	ck_assert_str_eq(ev.proc.comm, "apache2");
	ck_assert_str_eq(ev.proc.user, "www-data");
	ck_assert_ptr_nonnull(ev.proc.exe);
	ck_assert_ptr_ne(ev.proc.exe, s.procs[0].exe);
	ck_assert_str_eq(ev.proc.exe, "/usr/sbin/apache2");
	/* The copy outlives the snapshot. */
	snapshot_clear(&s);
	ck_assert_str_eq(ev.proc.exe, "/usr/sbin/apache2");
	event_clear(&ev);
	ck_assert_ptr_null(ev.proc.exe);
	ck_assert_int_eq(ev.type, 0);
	ck_assert_int_eq(ev.proc.pid, 0);
	ck_assert_uint_eq(ev.sock.port, 0);
	event_clear(&ev);	/* twice: harmless */
}
END_TEST

START_TEST(test_from_row_unowned)
{
	struct snapshot s;
	struct event ev;
	struct sock_info si = sock(PD_UDP, PD_INET, 53, 88);
	struct proc_info p = proc(9, NULL);

	snapshot_init(&s);
	ck_assert_int_eq(snapshot_add_proc(&s, &p), 0);
	ck_assert_ptr_nonnull(snapshot_add_row(&s, &si, -1, PD_OWNER_DENIED));
	ck_assert_ptr_nonnull(snapshot_add_row(&s, &si, 0, PD_OWNER_OK));

	memset(&ev, 0x5a, sizeof(ev));
	ck_assert_int_eq(event_from_row(&ev, EV_UNBIND, &s, &s.rows[0]), 0);
	ck_assert_int_eq(ev.type, EV_UNBIND);
	ck_assert_int_eq(ev.reason, PD_OWNER_DENIED);
	ck_assert_mem_eq(&ev.sock, &si, sizeof(si));
	ck_assert_int_eq(ev.proc.pid, 0);
	ck_assert_int_eq(ev.proc.ppid, 0);
	ck_assert_uint_eq(ev.proc.start_time, 0);
	ck_assert_str_eq(ev.proc.comm, "");
	ck_assert_ptr_null(ev.proc.exe);
	event_clear(&ev);

	/* An owner without an exe. */
	ck_assert_int_eq(event_from_row(&ev, EV_BIND, &s, &s.rows[1]), 0);
	ck_assert_int_eq(ev.proc.pid, 9);
	ck_assert_ptr_null(ev.proc.exe);
	ck_assert_str_eq(ev.proc.comm, "apache2");
	event_clear(&ev);
	snapshot_clear(&s);
}
END_TEST

START_TEST(test_type_name)
{
	ck_assert_str_eq(event_type_name(EV_BIND), "bind");
	ck_assert_str_eq(event_type_name(EV_UNBIND), "unbind");
	ck_assert_str_eq(event_type_name(0), "unknown");
	ck_assert_str_eq(event_type_name(1000), "unknown");
	ck_assert_str_eq(event_type_name(-1), "unknown");
}
END_TEST

START_TEST(test_history_init)
{
	struct history h;

	ck_assert_int_eq(history_init(&h, 4), 0);
	ck_assert_ptr_nonnull(h.ring);
	ck_assert_uint_eq(h.cap, 4);
	ck_assert_uint_eq(h.count, 0);
	ck_assert_uint_eq(history_first_seq(&h), 0);
	ck_assert_ptr_null(history_at(&h, 0));
	history_free(&h);
	ck_assert_ptr_null(h.ring);
	ck_assert_uint_eq(h.count, 0);
	ck_assert_uint_eq(h.cap, 0);

	/* cap 0 is taken as 1. */
	ck_assert_int_eq(history_init(&h, 0), 0);
	ck_assert_uint_eq(h.cap, 1);
	history_free(&h);
}
END_TEST

START_TEST(test_history_order)
{
	struct history h;
	struct event ev;
	const struct event *e;
	uint64_t i;

	ck_assert_int_eq(history_init(&h, 5), 0);
	for (i = 1; i <= 3; i++) {
		ev = mkevent(i);
		history_push(&h, &ev);
		/* Moved: the caller's copy is emptied. */
		ck_assert_ptr_null(ev.proc.exe);
		ck_assert_uint_eq(ev.seq, 0);
		ck_assert_uint_eq(h.count, i);
	}
	ck_assert_uint_eq(history_first_seq(&h), 1);
	for (i = 0; i < 3; i++) {
		e = history_at(&h, i);
		ck_assert_ptr_nonnull(e);
		ck_assert_uint_eq(e->seq, i + 1);
		ck_assert_int_eq(e->proc.pid, (int)(i + 1));
		ck_assert_int_eq(e->time_ms, 1000 * (int64_t)(i + 1));
		ck_assert_int_eq(e->type, (i + 1) % 2 ? EV_BIND : EV_UNBIND);
	}
	ck_assert_str_eq(history_at(&h, 0)->proc.exe, "/bin/e1");
	ck_assert_str_eq(history_at(&h, 2)->proc.exe, "/bin/e3");
	ck_assert_ptr_null(history_at(&h, 3));
	ck_assert_ptr_null(history_at(&h, 4));
	ck_assert_ptr_null(history_at(&h, (size_t)-1));
	history_free(&h);	/* frees the three exes */
}
END_TEST

START_TEST(test_history_wrap)
{
	struct history h;
	struct event ev;
	const struct event *e;
	char want[32];
	uint64_t k, oldest;
	size_t i, expect;

	ck_assert_int_eq(history_init(&h, 4), 0);
	for (k = 1; k <= 11; k++) {
		ev = mkevent(k);
		history_push(&h, &ev);
		expect = k < 4 ? (size_t)k : 4;
		oldest = k <= 4 ? 1 : k - 3;
		ck_assert_uint_eq(h.count, expect);
		ck_assert_uint_eq(h.cap, 4);
		ck_assert_uint_eq(history_first_seq(&h), oldest);
		/* Oldest first, however the ring has wrapped. */
		for (i = 0; i < expect; i++) {
			e = history_at(&h, i);
			ck_assert_ptr_nonnull(e);
			ck_assert_uint_eq(e->seq, oldest + i);
			snprintf(want, sizeof(want), "/bin/e%llu",
			    (unsigned long long)(oldest + i));
			ck_assert_str_eq(e->proc.exe, want);
		}
		ck_assert_ptr_null(history_at(&h, expect));
	}
	/* 11 pushed into 4: the 7 dropped were freed (ASan/valgrind). */
	history_free(&h);

	/* Many more than cap. */
	ck_assert_int_eq(history_init(&h, 3), 0);
	for (k = 1; k <= 1000; k++) {
		ev = mkevent(k);
		history_push(&h, &ev);
	}
	ck_assert_uint_eq(h.count, 3);
	ck_assert_uint_eq(history_first_seq(&h), 998);
	ck_assert_uint_eq(history_at(&h, 0)->seq, 998);
	ck_assert_uint_eq(history_at(&h, 1)->seq, 999);
	ck_assert_uint_eq(history_at(&h, 2)->seq, 1000);
	ck_assert_str_eq(history_at(&h, 2)->proc.exe, "/bin/e1000");
	history_free(&h);
}
END_TEST

START_TEST(test_history_exactly_full)
{
	struct history h;
	struct event ev;
	uint64_t k;

	ck_assert_int_eq(history_init(&h, 3), 0);
	for (k = 10; k < 13; k++) {
		ev = mkevent(k);
		history_push(&h, &ev);
	}
	ck_assert_uint_eq(h.count, 3);
	ck_assert_uint_eq(history_first_seq(&h), 10);
	ck_assert_uint_eq(history_at(&h, 2)->seq, 12);
	ev = mkevent(13);
	history_push(&h, &ev);
	ck_assert_uint_eq(h.count, 3);
	ck_assert_uint_eq(history_first_seq(&h), 11);
	ck_assert_uint_eq(history_at(&h, 0)->seq, 11);
	ck_assert_uint_eq(history_at(&h, 2)->seq, 13);
	history_free(&h);
}
END_TEST

START_TEST(test_history_cap1)
{
	struct history h;
	struct event ev;
	uint64_t k;

	ck_assert_int_eq(history_init(&h, 1), 0);
	for (k = 1; k <= 3; k++) {
		ev = mkevent(k);
		history_push(&h, &ev);
		ck_assert_uint_eq(h.count, 1);
		ck_assert_uint_eq(history_first_seq(&h), k);
		ck_assert_uint_eq(history_at(&h, 0)->seq, k);
		ck_assert_ptr_null(history_at(&h, 1));
	}
	ck_assert_str_eq(history_at(&h, 0)->proc.exe, "/bin/e3");
	history_free(&h);

	/* cap 0 behaves as cap 1. */
	ck_assert_int_eq(history_init(&h, 0), 0);
	ev = mkevent(1);
	history_push(&h, &ev);
	ev = mkevent(2);
	history_push(&h, &ev);
	ck_assert_uint_eq(h.count, 1);
	ck_assert_uint_eq(history_first_seq(&h), 2);
	history_free(&h);
}
END_TEST

START_TEST(test_history_reuse)
{
	struct history h;
	struct event ev;

	ck_assert_int_eq(history_init(&h, 2), 0);
	ev = mkevent(5);
	history_push(&h, &ev);
	history_free(&h);
	history_free(&h);	/* twice: harmless */
	ck_assert_uint_eq(history_first_seq(&h), 0);
	ck_assert_ptr_null(history_at(&h, 0));

	ck_assert_int_eq(history_init(&h, 2), 0);
	ck_assert_uint_eq(h.count, 0);
	ck_assert_ptr_null(history_at(&h, 0));
	ev = mkevent(6);
	history_push(&h, &ev);
	ck_assert_uint_eq(history_first_seq(&h), 6);
	history_free(&h);
}
END_TEST

static Suite *
event_suite(void)
{
	Suite *s = suite_create("event");
	TCase *tc;

	tc = tcase_create("event");
	tcase_add_test(tc, test_from_row_owned);
	tcase_add_test(tc, test_from_row_unowned);
	tcase_add_test(tc, test_type_name);
	suite_add_tcase(s, tc);

	tc = tcase_create("history");
	tcase_add_test(tc, test_history_init);
	tcase_add_test(tc, test_history_order);
	tcase_add_test(tc, test_history_wrap);
	tcase_add_test(tc, test_history_exactly_full);
	tcase_add_test(tc, test_history_cap1);
	tcase_add_test(tc, test_history_reuse);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(event_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
