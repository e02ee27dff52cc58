/*
 * check_diff.c - tests of the snapshot diff: which bind and unbind events
 * two snapshots yield, in which order, and what each event carries.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diff.h"
#include "fixture.h"

static struct sock_info
sock(int proto, int family, uint16_t port, uint8_t last, uint64_t inode)
{
	return fx_sock(proto, family, port, last, inode, 1000);
}

static struct proc_info
proc(int32_t pid, uint64_t start, const char *comm, const char *exe)
{
	char user[16];

	snprintf(user, sizeof(user), "user%d", (int)pid);
	return fx_proc(pid, start, comm, user, 1000, exe);
}

/* Adds a row owned by (pid, start), adding the process if it is new. */
static void
add_owned(struct snapshot *s, const struct sock_info *si, int32_t pid,
    uint64_t start, const char *comm, const char *exe)
{
	struct proc_info p = proc(pid, start, comm, exe);
	int idx;

	if ((idx = snapshot_find_proc(s, pid, start)) < 0)
		idx = snapshot_add_proc(s, &p);
	ck_assert_int_ge(idx, 0);
	ck_assert_ptr_nonnull(snapshot_add_row(s, si, idx, PD_OWNER_OK));
}

/* A recording emit callback: keeps every event (takes its contents). */
struct recorder {
	struct event *evs;
	size_t n, cap;
	size_t fail_at;		/* return -1 on this call (1-based); 0 never */
	size_t calls;
};

static int
record(void *arg, struct event *ev)
{
	struct recorder *r = arg;
	struct event *p;

	r->calls++;
	if (r->fail_at != 0 && r->calls == r->fail_at)
		return -1;
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 16;
		p = realloc(r->evs, r->cap * sizeof(*p));
		ck_assert_ptr_nonnull(p);
		r->evs = p;
	}
	r->evs[r->n++] = *ev;
	memset(ev, 0, sizeof(*ev));	/* kept: the diff must not free it */
	return 0;
}

static void
recorder_free(struct recorder *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		event_clear(&r->evs[i]);
	free(r->evs);
	memset(r, 0, sizeof(*r));
}

/* A callback that only looks: the diff keeps ownership and frees. */
static int
count_only(void *arg, struct event *ev)
{
	size_t *n = arg;

	ck_assert(ev->type == EV_BIND || ev->type == EV_UNBIND);
	(*n)++;
	return 0;
}

START_TEST(test_identical)
{
	struct snapshot a, b;
	struct recorder r;
	struct sock_info s1 = sock(PD_TCP, PD_INET, 80, 1, 100),
	    s2 = sock(PD_UDP, PD_INET6, 53, 1, 101),
	    s3 = sock(PD_TCP, PD_INET6, 80, 0, 102);

	memset(&r, 0, sizeof(r));
	snapshot_init(&a);
	snapshot_init(&b);
	/* Both empty. */
	ck_assert_int_eq(diff_snapshots(&a, &b, record, &r), 0);
	ck_assert_uint_eq(r.calls, 0);

	/* Same content, added in a different order, process indices
	 * differ: the diff compares content, not indices. */
	add_owned(&a, &s1, 10, 1000, "nginx", "/usr/sbin/nginx");
	add_owned(&a, &s2, 20, 2000, "dnsd", NULL);
	add_owned(&a, &s3, 10, 1000, "nginx", "/usr/sbin/nginx");
	ck_assert_ptr_nonnull(snapshot_add_row(&a, &s1, -1,
	    PD_OWNER_DENIED));
	add_owned(&b, &s2, 20, 2000, "dnsd", NULL);
	ck_assert_ptr_nonnull(snapshot_add_row(&b, &s1, -1,
	    PD_OWNER_DENIED));
	add_owned(&b, &s3, 10, 1000, "nginx", "/usr/sbin/nginx");
	add_owned(&b, &s1, 10, 1000, "nginx", "/usr/sbin/nginx");
	ck_assert_int_eq(b.rows[0].proc, 0);	/* dnsd first in b */
	ck_assert_int_eq(a.rows[1].proc, 1);	/* dnsd second in a */
	snapshot_sort(&a);
	snapshot_sort(&b);

	ck_assert_int_eq(diff_snapshots(&a, &b, record, &r), 0);
	ck_assert_uint_eq(r.calls, 0);
	ck_assert_int_eq(diff_snapshots(&b, &a, record, &r), 0);
	ck_assert_int_eq(diff_snapshots(&a, &a, record, &r), 0);
	ck_assert_uint_eq(r.calls, 0);
	ck_assert_uint_eq(r.n, 0);
	recorder_free(&r);
	snapshot_clear(&a);
	snapshot_clear(&b);
}
END_TEST

START_TEST(test_new_row)
{
	struct snapshot a, b;
	struct recorder r;
	struct sock_info s1 = sock(PD_TCP, PD_INET, 80, 1, 100),
	    s2 = sock(PD_TCP, PD_INET6, 8080, 5, 200);
	const struct event *ev;
	const char *snapexe;

	memset(&r, 0, sizeof(r));
	snapshot_init(&a);
	snapshot_init(&b);
	s2.scope_id = 3;
	s2.v6only = 0;
	add_owned(&a, &s1, 10, 1000, "nginx", "/usr/sbin/nginx");
	add_owned(&b, &s1, 10, 1000, "nginx", "/usr/sbin/nginx");
	add_owned(&b, &s2, 42, 4200, "python3", "/usr/bin/python3.11");
	snapshot_sort(&a);
	snapshot_sort(&b);

	ck_assert_int_eq(diff_snapshots(&a, &b, record, &r), 1);
	ck_assert_uint_eq(r.n, 1);
	ev = &r.evs[0];
	ck_assert_int_eq(ev->type, EV_BIND);
	/* The caller stamps these. */
	ck_assert_uint_eq(ev->seq, 0);
	ck_assert_int_eq(ev->time_ms, 0);
	ck_assert_mem_eq(&ev->sock, &s2, sizeof(s2));
	ck_assert_uint_eq(ev->sock.port, 8080);
	ck_assert_uint_eq(ev->sock.scope_id, 3);
	ck_assert_int_eq(ev->reason, PD_OWNER_OK);
	ck_assert_int_eq(ev->proc.pid, 42);
	ck_assert_int_eq(ev->proc.ppid, 1);
	ck_assert_uint_eq(ev->proc.uid, 1000);
	ck_assert_uint_eq(ev->proc.start_time, 4200);
	ck_assert_int_eq(ev->proc.started_ms, 1700000000000 + 4200);
	ck_assert_str_eq(ev->proc.comm, "python3");
	ck_assert_str_eq(ev->proc.user, "user42");
	ck_assert_ptr_nonnull(ev->proc.exe);
	ck_assert_str_eq(ev->proc.exe, "/usr/bin/python3.11");
	/* Its own copy of exe: outlives the snapshot. */
	snapexe = b.procs[snapshot_find_proc(&b, 42, 4200)].exe;
	ck_assert_ptr_ne(ev->proc.exe, snapexe);
	snapshot_clear(&a);
	snapshot_clear(&b);
	ck_assert_str_eq(ev->proc.exe, "/usr/bin/python3.11");
	ck_assert_str_eq(ev->proc.comm, "python3");
	recorder_free(&r);
}
END_TEST

START_TEST(test_removed_row)
{
	struct snapshot a, b;
	struct recorder r;
	struct sock_info s1 = sock(PD_TCP, PD_INET, 80, 1, 100),
	    s2 = sock(PD_UDP, PD_INET, 5353, 0, 300);
	const struct event *ev;

	memset(&r, 0, sizeof(r));
	snapshot_init(&a);
	snapshot_init(&b);
	add_owned(&a, &s1, 10, 1000, "nginx", "/usr/sbin/nginx");
	add_owned(&a, &s2, 77, 7700, "avahi", "/usr/sbin/avahi-daemon");
	add_owned(&b, &s1, 10, 1000, "nginx", "/usr/sbin/nginx");
	snapshot_sort(&a);
	snapshot_sort(&b);

	ck_assert_int_eq(diff_snapshots(&a, &b, record, &r), 1);
	ck_assert_uint_eq(r.n, 1);
	ev = &r.evs[0];
	ck_assert_int_eq(ev->type, EV_UNBIND);
	ck_assert_mem_eq(&ev->sock, &s2, sizeof(s2));
	ck_assert_int_eq(ev->proc.pid, 77);
	ck_assert_uint_eq(ev->proc.start_time, 7700);
	ck_assert_str_eq(ev->proc.comm, "avahi");
	ck_assert_str_eq(ev->proc.exe, "/usr/sbin/avahi-daemon");
	snapshot_clear(&a);	/* the old snapshot: the event's source */
	snapshot_clear(&b);
	ck_assert_str_eq(ev->proc.exe, "/usr/sbin/avahi-daemon");
	recorder_free(&r);
}
END_TEST

START_TEST(test_owner_change)
{
	struct snapshot a, b;
	struct recorder r;
	struct sock_info s1 = sock(PD_TCP, PD_INET, 80, 1, 100);

	memset(&r, 0, sizeof(r));
	snapshot_init(&a);
	snapshot_init(&b);
	/* Same socket (same inode), another process holds it now. */
	add_owned(&a, &s1, 10, 1000, "old", "/bin/old");
	add_owned(&b, &s1, 20, 900, "new", "/bin/new");
	snapshot_sort(&a);
	snapshot_sort(&b);

	ck_assert_int_eq(diff_snapshots(&a, &b, record, &r), 2);
	ck_assert_uint_eq(r.n, 2);
	ck_assert_int_eq(r.evs[0].type, EV_UNBIND);
	ck_assert_int_eq(r.evs[0].proc.pid, 10);
	ck_assert_str_eq(r.evs[0].proc.exe, "/bin/old");
	ck_assert_int_eq(r.evs[1].type, EV_BIND);
	ck_assert_int_eq(r.evs[1].proc.pid, 20);
	ck_assert_str_eq(r.evs[1].proc.exe, "/bin/new");
	ck_assert_uint_eq(r.evs[0].sock.inode, 100);
	ck_assert_uint_eq(r.evs[1].sock.inode, 100);
	recorder_free(&r);

	/* Reverse: still the unbind first, although pid 10 < 20. */
	ck_assert_int_eq(diff_snapshots(&b, &a, record, &r), 2);
	ck_assert_int_eq(r.evs[0].type, EV_UNBIND);
	ck_assert_int_eq(r.evs[0].proc.pid, 20);
	ck_assert_int_eq(r.evs[1].type, EV_BIND);
	ck_assert_int_eq(r.evs[1].proc.pid, 10);
	recorder_free(&r);

	/* A second owner joins (fork after bind): one bind only. */
	add_owned(&b, &s1, 10, 1000, "old", "/bin/old");
	snapshot_sort(&b);
	ck_assert_int_eq(diff_snapshots(&a, &b, record, &r), 1);
	ck_assert_int_eq(r.evs[0].type, EV_BIND);
	ck_assert_int_eq(r.evs[0].proc.pid, 20);
	recorder_free(&r);
	snapshot_clear(&a);
	snapshot_clear(&b);
}
END_TEST

START_TEST(test_unbinds_first)
{
	struct snapshot a, b;
	struct recorder r;
	struct sock_info s22 = sock(PD_TCP, PD_INET, 22, 0, 22),
	    s80 = sock(PD_TCP, PD_INET, 80, 0, 80),
	    s443 = sock(PD_TCP, PD_INET, 443, 0, 443),
	    s9000 = sock(PD_UDP, PD_INET6, 9000, 0, 9000);

	memset(&r, 0, sizeof(r));
	snapshot_init(&a);
	snapshot_init(&b);
	add_owned(&a, &s80, 1, 1, "a", NULL);
	add_owned(&a, &s443, 2, 2, "b", NULL);
	add_owned(&a, &s9000, 4, 4, "d", NULL);
	add_owned(&b, &s22, 5, 5, "e", NULL);	/* a bind below them all */
	add_owned(&b, &s80, 3, 3, "c", NULL);	/* owner change */
	add_owned(&b, &s9000, 4, 4, "d", NULL);	/* unchanged */
	snapshot_sort(&a);
	snapshot_sort(&b);

	ck_assert_int_eq(diff_snapshots(&a, &b, record, &r), 4);
	ck_assert_uint_eq(r.n, 4);
	/* Every unbind, in canonical order, then every bind. */
	ck_assert_int_eq(r.evs[0].type, EV_UNBIND);
	ck_assert_uint_eq(r.evs[0].sock.port, 80);
	ck_assert_int_eq(r.evs[0].proc.pid, 1);
	ck_assert_int_eq(r.evs[1].type, EV_UNBIND);
	ck_assert_uint_eq(r.evs[1].sock.port, 443);
	ck_assert_int_eq(r.evs[1].proc.pid, 2);
	ck_assert_int_eq(r.evs[2].type, EV_BIND);
	ck_assert_uint_eq(r.evs[2].sock.port, 22);
	ck_assert_int_eq(r.evs[2].proc.pid, 5);
	ck_assert_int_eq(r.evs[3].type, EV_BIND);
	ck_assert_uint_eq(r.evs[3].sock.port, 80);
	ck_assert_int_eq(r.evs[3].proc.pid, 3);
	recorder_free(&r);
	snapshot_clear(&a);
	snapshot_clear(&b);
}
END_TEST

START_TEST(test_pid_reuse)
{
	struct snapshot a, b;
	struct recorder r;
	struct sock_info s1 = sock(PD_TCP, PD_INET, 3000, 1, 555);

	memset(&r, 0, sizeof(r));
	snapshot_init(&a);
	snapshot_init(&b);
	/* Same pid, same socket, but a different process (start time). */
	add_owned(&a, &s1, 4242, 1000, "node", "/usr/bin/node");
	add_owned(&b, &s1, 4242, 2000, "node", "/usr/bin/node");
	snapshot_sort(&a);
	snapshot_sort(&b);

	ck_assert_int_eq(diff_snapshots(&a, &b, record, &r), 2);
	ck_assert_int_eq(r.evs[0].type, EV_UNBIND);
	ck_assert_int_eq(r.evs[0].proc.pid, 4242);
	ck_assert_uint_eq(r.evs[0].proc.start_time, 1000);
	ck_assert_int_eq(r.evs[1].type, EV_BIND);
	ck_assert_int_eq(r.evs[1].proc.pid, 4242);
	ck_assert_uint_eq(r.evs[1].proc.start_time, 2000);
	recorder_free(&r);
	snapshot_clear(&a);
	snapshot_clear(&b);
}
END_TEST

START_TEST(test_unowned)
{
	struct snapshot a, b;
	struct recorder r;
	struct sock_info s1 = sock(PD_TCP, PD_INET, 25, 1, 250),
	    s2 = sock(PD_UDP, PD_INET, 123, 0, 1230);

	memset(&r, 0, sizeof(r));
	snapshot_init(&a);
	snapshot_init(&b);
	ck_assert_ptr_nonnull(snapshot_add_row(&a, &s1, -1,
	    PD_OWNER_DENIED));
	ck_assert_ptr_nonnull(snapshot_add_row(&b, &s1, -1,
	    PD_OWNER_DENIED));
	ck_assert_ptr_nonnull(snapshot_add_row(&b, &s2, -1,
	    PD_OWNER_NONE));
	snapshot_sort(&a);
	snapshot_sort(&b);

	/* The unowned row that stays is no event; the new one binds. */
	ck_assert_int_eq(diff_snapshots(&a, &b, record, &r), 1);
	ck_assert_int_eq(r.evs[0].type, EV_BIND);
	ck_assert_uint_eq(r.evs[0].sock.port, 123);
	ck_assert_uint_eq(r.evs[0].sock.inode, 1230);
	ck_assert_int_eq(r.evs[0].proc.pid, 0);
	ck_assert_ptr_null(r.evs[0].proc.exe);
	ck_assert_str_eq(r.evs[0].proc.comm, "");
	ck_assert_int_eq(r.evs[0].reason, PD_OWNER_NONE);
	recorder_free(&r);

	/* ... and unbinds when it goes, with its reason. */
	ck_assert_int_eq(diff_snapshots(&b, &a, record, &r), 1);
	ck_assert_int_eq(r.evs[0].type, EV_UNBIND);
	ck_assert_uint_eq(r.evs[0].sock.port, 123);
	ck_assert_int_eq(r.evs[0].proc.pid, 0);
	ck_assert_int_eq(r.evs[0].reason, PD_OWNER_NONE);
	recorder_free(&r);

	/* The owner of s1 becomes visible: the unowned row goes, the
	 * owned row comes. */
	snapshot_clear(&b);
	add_owned(&b, &s1, 99, 9900, "exim", "/usr/sbin/exim4");
	snapshot_sort(&b);
	ck_assert_int_eq(diff_snapshots(&a, &b, record, &r), 2);
	ck_assert_int_eq(r.evs[0].type, EV_UNBIND);
	ck_assert_int_eq(r.evs[0].proc.pid, 0);
	ck_assert_int_eq(r.evs[0].reason, PD_OWNER_DENIED);
	ck_assert_int_eq(r.evs[1].type, EV_BIND);
	ck_assert_int_eq(r.evs[1].proc.pid, 99);
	ck_assert_int_eq(r.evs[1].reason, PD_OWNER_OK);
	ck_assert_str_eq(r.evs[1].proc.exe, "/usr/sbin/exim4");
	recorder_free(&r);
	snapshot_clear(&a);
	snapshot_clear(&b);
}
END_TEST

/* A deterministic shuffle (LCG), so that a failure reproduces. */
static uint32_t rng_state;

static uint32_t
rng(void)
{
	rng_state = rng_state * 1103515245u + 12345u;
	return rng_state >> 8;
}

#define NMANY 600

struct many_row {
	struct sock_info si;
	int32_t pid;		/* 0: unowned */
	uint64_t start;
};

static struct many_row
many_row(size_t i)
{
	struct many_row m;
	int proto = i % 3 == 0 ? PD_UDP : PD_TCP;
	int family = i % 2 == 0 ? PD_INET6 : PD_INET;

	m.si = sock(proto, family, (uint16_t)(1000 + i / 4), (uint8_t)(i % 7),
	    10000 + i);
	/* Every 50th row unowned; otherwise one of 40 processes. */
	m.pid = i % 50 == 0 ? 0 : (int32_t)(100 + i % 40);
	m.start = m.pid == 0 ? 0 : (uint64_t)m.pid * 10;
	return m;
}

static void
add_many(struct snapshot *s, const struct many_row *rows, size_t n)
{
	size_t *order, i, j, t;
	char comm[16];

	order = calloc(n, sizeof(*order));
	ck_assert_ptr_nonnull(order);
	for (i = 0; i < n; i++)
		order[i] = i;
	for (i = n; i > 1; i--) {
		j = rng() % i;
		t = order[i - 1];
		order[i - 1] = order[j];
		order[j] = t;
	}
	for (i = 0; i < n; i++) {
		const struct many_row *m = &rows[order[i]];

		if (m->pid == 0) {
			ck_assert_ptr_nonnull(snapshot_add_row(s, &m->si, -1,
			    PD_OWNER_DENIED));
			continue;
		}
		snprintf(comm, sizeof(comm), "p%d", (int)m->pid);
		add_owned(s, &m->si, m->pid, m->start, comm, "/usr/bin/x");
	}
	free(order);
	snapshot_sort(s);
}

START_TEST(test_many)
{
	static struct many_row olds[NMANY], news[NMANY + 10];
	struct snapshot a, b;
	struct recorder r;
	size_t i, nnew = 0, k;
	int found[9];
	/* Differences: removed rows, added rows, owner changes. */
	const size_t removed[] = { 7, 250, 599 };
	const size_t changed[] = { 3, 401 };
	size_t unbinds = 0;

	memset(&r, 0, sizeof(r));
	memset(found, 0, sizeof(found));
	rng_state = 12345;
	snapshot_init(&a);
	snapshot_init(&b);
	for (i = 0; i < NMANY; i++)
		olds[i] = many_row(i);
	for (i = 0; i < NMANY; i++) {
		if (i == removed[0] || i == removed[1] || i == removed[2])
			continue;
		news[nnew] = olds[i];
		if (i == changed[0] || i == changed[1]) {
			news[nnew].pid = 9000 + (int32_t)i;
			news[nnew].start = 5;
		}
		nnew++;
	}
	/* Four new sockets, one on a port that already has others. */
	for (k = 0; k < 4; k++) {
		news[nnew] = many_row(NMANY + k);
		news[nnew].si.inode = 90000 + k;
		news[nnew].pid = 8000 + (int32_t)k;
		news[nnew].start = 1;
		nnew++;
	}
	news[nnew - 1].si.port = 1001;
	add_many(&a, olds, NMANY);
	add_many(&b, news, nnew);
	ck_assert_uint_eq(a.nrows, NMANY);
	ck_assert_uint_eq(b.nrows, NMANY - 3 + 4);

	ck_assert_int_eq(diff_snapshots(&a, &b, record, &r), 3 + 2 + 4 + 2);
	ck_assert_uint_eq(r.n, 11);
	for (i = 0; i < r.n; i++) {
		const struct event *ev = &r.evs[i];

		if (ev->type == EV_UNBIND) {
			/* No unbind after a bind. */
			ck_assert_uint_eq(unbinds, i);
			unbinds++;
			for (k = 0; k < 3; k++)
				if (ev->sock.inode == 10000 + removed[k]) {
					ck_assert_int_eq(ev->proc.pid,
					    olds[removed[k]].pid);
					found[k]++;
				}
			for (k = 0; k < 2; k++)
				if (ev->sock.inode == 10000 + changed[k]) {
					ck_assert_int_eq(ev->proc.pid,
					    olds[changed[k]].pid);
					found[3 + k]++;
				}
		} else {
			ck_assert_int_eq(ev->type, EV_BIND);
			for (k = 0; k < 2; k++)
				if (ev->sock.inode == 10000 + changed[k]) {
					ck_assert_int_eq(ev->proc.pid,
					    9000 + (int)changed[k]);
					ck_assert_uint_eq(ev->proc.start_time,
					    5);
					found[5 + k]++;
				}
			if (ev->sock.inode >= 90000) {
				ck_assert_uint_lt(ev->sock.inode, 90004);
				ck_assert_int_eq(ev->proc.pid,
				    8000 + (int)(ev->sock.inode - 90000));
				ck_assert_str_eq(ev->proc.exe, "/usr/bin/x");
				found[7]++;
			}
		}
	}
	ck_assert_uint_eq(unbinds, 5);
	for (k = 0; k < 7; k++)
		ck_assert_msg(found[k] == 1, "difference %zu seen %d times",
		    k, found[k]);
	ck_assert_int_eq(found[7], 4);
	/* Row 250 is unowned: its unbind above carried pid 0. */
	ck_assert_int_eq(olds[250].pid, 0);
	recorder_free(&r);
	snapshot_clear(&a);
	snapshot_clear(&b);
}
END_TEST

START_TEST(test_empty_sides)
{
	struct snapshot empty, full;
	struct recorder r;
	struct sock_info si;
	size_t i, looked = 0;

	memset(&r, 0, sizeof(r));
	snapshot_init(&empty);
	snapshot_init(&full);
	/* Added in descending port order; sorted ascending. */
	for (i = 0; i < 5; i++) {
		si = sock(PD_TCP, PD_INET, (uint16_t)(500 - i * 100), 1,
		    (uint64_t)(50 + i));
		if (i == 2)
			ck_assert_ptr_nonnull(snapshot_add_row(&full, &si, -1,
			    PD_OWNER_NONE));
		else
			add_owned(&full, &si, (int32_t)(10 + i), 1, "p",
			    "/bin/p");
	}
	snapshot_sort(&full);

	ck_assert_int_eq(diff_snapshots(&empty, &full, record, &r), 5);
	ck_assert_uint_eq(r.n, 5);
	for (i = 0; i < 5; i++) {
		ck_assert_int_eq(r.evs[i].type, EV_BIND);
		ck_assert_uint_eq(r.evs[i].sock.port, 100 + i * 100);
	}
	ck_assert_int_eq(r.evs[2].proc.pid, 0);	/* port 300: unowned */
	ck_assert_int_eq(r.evs[0].proc.pid, 14);
	recorder_free(&r);

	ck_assert_int_eq(diff_snapshots(&full, &empty, record, &r), 5);
	for (i = 0; i < 5; i++) {
		ck_assert_int_eq(r.evs[i].type, EV_UNBIND);
		ck_assert_uint_eq(r.evs[i].sock.port, 100 + i * 100);
	}
	recorder_free(&r);

	/* A callback that keeps nothing: the diff frees each event. */
	ck_assert_int_eq(diff_snapshots(&full, &empty, count_only, &looked),
	    5);
	ck_assert_uint_eq(looked, 5);
	snapshot_clear(&full);
}
END_TEST

START_TEST(test_emit_fails)
{
	struct snapshot a, b;
	struct recorder r;
	struct sock_info s1 = sock(PD_TCP, PD_INET, 80, 1, 100),
	    s2 = sock(PD_TCP, PD_INET, 81, 1, 101),
	    s3 = sock(PD_TCP, PD_INET, 82, 1, 102);

	memset(&r, 0, sizeof(r));
	snapshot_init(&a);
	snapshot_init(&b);
	add_owned(&a, &s1, 10, 1, "a", "/bin/a");
	add_owned(&b, &s2, 11, 1, "b", "/bin/b");
	add_owned(&b, &s3, 12, 1, "c", "/bin/c");
	snapshot_sort(&a);
	snapshot_sort(&b);

	/* The first (an unbind) fails: nothing more is emitted. */
	r.fail_at = 1;
	ck_assert_int_eq(diff_snapshots(&a, &b, record, &r), -1);
	ck_assert_uint_eq(r.calls, 1);
	ck_assert_uint_eq(r.n, 0);
	recorder_free(&r);

	/* A bind fails after the unbind went through. */
	r.fail_at = 2;
	ck_assert_int_eq(diff_snapshots(&a, &b, record, &r), -1);
	ck_assert_uint_eq(r.calls, 2);
	ck_assert_uint_eq(r.n, 1);
	ck_assert_int_eq(r.evs[0].type, EV_UNBIND);
	recorder_free(&r);

	/* The last one fails. */
	r.fail_at = 3;
	ck_assert_int_eq(diff_snapshots(&a, &b, record, &r), -1);
	ck_assert_uint_eq(r.calls, 3);
	ck_assert_uint_eq(r.n, 2);
	recorder_free(&r);

	/* One past the last: no failure. */
	r.fail_at = 4;
	ck_assert_int_eq(diff_snapshots(&a, &b, record, &r), 3);
	ck_assert_uint_eq(r.calls, 3);
	recorder_free(&r);
	snapshot_clear(&a);
	snapshot_clear(&b);
}
END_TEST

static Suite *
diff_suite(void)
{
	Suite *s = suite_create("diff");
	TCase *tc;

	tc = tcase_create("events");
	tcase_add_test(tc, test_identical);
	tcase_add_test(tc, test_new_row);
	tcase_add_test(tc, test_removed_row);
	tcase_add_test(tc, test_owner_change);
	tcase_add_test(tc, test_unbinds_first);
	tcase_add_test(tc, test_pid_reuse);
	tcase_add_test(tc, test_unowned);
	tcase_add_test(tc, test_empty_sides);
	tcase_add_test(tc, test_emit_fails);
	suite_add_tcase(s, tc);

	tc = tcase_create("many");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_many);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(diff_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
