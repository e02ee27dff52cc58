/*
 * check_kill.c - tests of freeing a port: the plan built from a snapshot,
 * outcome and signal names, and the backend's PID-reuse guard against
 * real child processes.
 */
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"
#include "compat.h"
#include "fixture.h"
#include "kill.h"

/* 0.0.0.0, or a dual-stack [::]. */
static struct sock_info
sock(int proto, int family, uint16_t port, uint64_t inode)
{
	struct sock_info si = fx_sock(proto, family, port, 0, inode, 1000);

	si.v6only = 0;
	return si;
}

static struct proc_info
proc(int32_t pid, int32_t ppid, uint64_t start, const char *exe)
{
	struct proc_info p;
	char comm[16];

	snprintf(comm, sizeof(comm), "p%d", (int)pid);
	p = fx_proc(pid, start, comm, "alice", 1000, exe);
	p.ppid = ppid;
	return p;
}

/* Adds a row owned by (pid, start), adding the process if it is new. */
static void
add_owned(struct snapshot *s, const struct sock_info *si, int32_t pid,
    int32_t ppid, uint64_t start)
{
	struct proc_info p = proc(pid, ppid, start, "/usr/bin/server");
	int idx;

	if ((idx = snapshot_find_proc(s, pid, start)) < 0)
		idx = snapshot_add_proc(s, &p);
	ck_assert_int_ge(idx, 0);
	ck_assert_ptr_nonnull(snapshot_add_row(s, si, idx, PD_OWNER_OK));
}

/* The target for (pid, start); fails the test if there is none. */
static const struct kill_target *
find_target(const struct kill_plan *kp, int32_t pid, uint64_t start)
{
	size_t i;

	for (i = 0; i < kp->ntargets; i++)
		if (kp->targets[i].proc.pid == pid &&
		    kp->targets[i].proc.start_time == start)
			return &kp->targets[i];
	ck_abort_msg("no target for pid %d start %llu", (int)pid,
	    (unsigned long long)start);
	return NULL;
}

/* ---- the plan --------------------------------------------------------- */

START_TEST(test_never_signal)
{
	/* pid, ppid, self, never */
	static const struct {
		int32_t pid, ppid, self;
		int never;
	} want[] = {
		{ 0, 0, 999, 1 },	/* the kernel */
		{ 1, 0, 999, 1 },	/* init */
		{ 2, 0, 999, 1 },	/* kthreadd */
		{ 50, 2, 999, 1 },	/* a kernel thread */
		{ 999, 1, 999, 1 },	/* self */
		{ -5, 1, 999, 1 },	/* nonsense */
		{ 3, 1, 999, 0 },
		{ 1000, 999, 999, 0 },	/* a child of self is fair game */
		{ 4, 1, 0, PD_PID_SYSTEM == 4 },	/* Windows's System */
	};
	struct proc_info p;
	size_t i;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		p = proc(want[i].pid, want[i].ppid, 1, NULL);
		ck_assert_msg(proc_never_signal(&p, want[i].self) ==
		    want[i].never, "pid %d ppid %d", (int)want[i].pid,
		    (int)want[i].ppid);
	}
}
END_TEST

START_TEST(test_plan_add_holders)
{
	struct snapshot s, fresh;
	struct kill_plan kp;
	struct sock_info si = sock(PD_TCP, PD_INET, 80, 7),
	    other = sock(PD_TCP, PD_INET, 80, 8),
	    unowned = sock(PD_TCP, PD_INET6, 80, 9);
	const int32_t self = 4000;

	/* The cache knows the worker only; the kernel shows the parent. */
	snapshot_init(&s);
	snapshot_init(&fresh);
	add_owned(&s, &si, 101, 100, 6);
	ck_assert_ptr_nonnull(snapshot_add_row(&s, &unowned, -1,
	    PD_OWNER_NONE));
	ck_assert_int_eq(kill_plan_build(&kp, &s, NULL, 0), 0);
	ck_assert_uint_eq(kp.ntargets, 1);
	ck_assert_uint_eq(kp.unowned, 1);
	add_owned(&fresh, &si, 100, 1, 5);	/* the parent: new */
	add_owned(&fresh, &si, 101, 100, 6);	/* the worker: known */
	add_owned(&fresh, &other, 300, 1, 3);	/* another socket: no */
	add_owned(&fresh, &unowned, 400, 1, 4);	/* now visible */
	add_owned(&fresh, &si, 4000, 1, 9);	/* self: protected */
	add_owned(&fresh, &si, 1, 0, 1);	/* init: protected */
	snapshot_sort(&fresh);
	ck_assert_int_eq(kill_plan_add_holders(&kp, &fresh, &self, 1), 4);
	ck_assert_uint_eq(kp.ntargets, 5);
	ck_assert_int_eq(find_target(&kp, 100, 5)->outcome, KILL_PENDING);
	ck_assert_int_eq(find_target(&kp, 400, 4)->outcome, KILL_PENDING);
	ck_assert_int_eq(find_target(&kp, 4000, 9)->outcome, KILL_PROTECTED);
	ck_assert_int_eq(find_target(&kp, 1, 1)->outcome, KILL_PROTECTED);
	/* Again: nothing new, no duplicate pairs. */
	ck_assert_int_eq(kill_plan_add_holders(&kp, &fresh, &self, 1), 0);
	ck_assert_uint_eq(kp.ntargets, 5);
	ck_assert_uint_eq(kp.nsocks, 2 + 4);
	/* A holder found later is a signalled target's own socket holder:
	 * once signalled, the table without its socket releases it. */
	kp.targets[1].signalled = SIGCONT;
	snapshot_clear(&s);
	ck_assert_uint_eq(kill_plan_update(&kp, &s), 0);
	kill_plan_free(&kp);
	snapshot_clear(&fresh);
}
END_TEST

START_TEST(test_plan_settle_and_ports)
{
	struct snapshot s, fresh;
	struct kill_plan kp;
	struct sock_info a = sock(PD_TCP, PD_INET, 8080, 11),
	    b = sock(PD_TCP, PD_INET, 9090, 12),
	    b_new = sock(PD_TCP, PD_INET, 9090, 13),
	    u = sock(PD_UDP, PD_INET, 8080, 14);
	struct portspec ps[4];
	struct filter f;
	size_t i;
	static const char *const spec[] = { "8080", "9090/tcp", "7070",
	    "8080/udp" };

	filter_init(&f);
	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(portspec_parse(spec[i], NULL, &ps[i], NULL,
		    0), 0);
		ck_assert_int_eq(filter_add(&f, &ps[i]), 0);
	}
	snapshot_init(&s);
	snapshot_init(&fresh);
	add_owned(&s, &a, 100, 1, 1);
	add_owned(&s, &b, 200, 1, 2);
	ck_assert_int_eq(kill_plan_build(&kp, &s, NULL, 0), 0);
	/* Before settling: held, not known to be free. */
	ck_assert_int_eq(kill_port_state(&kp, &s, &f, &ps[0]),
	    KILL_PORT_UNSETTLED);
	ck_assert_int_eq(kill_port_state(&kp, &s, &f, &ps[2]),
	    KILL_PORT_UNUSED);
	/* Both exited (decided): only the table can fail it now. */
	kp.targets[0].outcome = kp.targets[1].outcome = KILL_EXITED;
	/* After: 8080's socket is gone; 9090's is still there, with an
	 * owner the plan never had; a new socket on 9090 and a UDP one on
	 * 8080 are not the plan's. */
	add_owned(&fresh, &b, 201, 1, 3);
	add_owned(&fresh, &b_new, 202, 1, 4);
	add_owned(&fresh, &u, 203, 1, 5);
	ck_assert_int_eq(kill_plan_settle(&kp, &fresh), 1);
	ck_assert_uint_eq(kp.remain.nrows, 1);
	ck_assert_uint_eq(kp.remain.rows[0].sock.inode, 12);
	ck_assert_int_eq(snapshot_row_proc(&kp.remain,
	    &kp.remain.rows[0])->pid, 201);
	ck_assert_int_eq(kill_port_state(&kp, &s, &f, &ps[0]), KILL_PORT_FREE);
	ck_assert_int_eq(kill_port_state(&kp, &s, &f, &ps[1]), KILL_PORT_HELD);
	ck_assert_int_eq(kill_port_state(&kp, &s, &f, &ps[2]),
	    KILL_PORT_UNUSED);
	ck_assert_int_eq(kill_port_state(&kp, &s, &f, &ps[3]),
	    KILL_PORT_UNUSED);
	ck_assert(kill_plan_failed(&kp));
	ck_assert_str_eq(kill_port_state_name(KILL_PORT_FREE), "free");
	ck_assert_str_eq(kill_port_state_name(KILL_PORT_HELD), "held");
	ck_assert_str_eq(kill_port_state_name(KILL_PORT_UNUSED), "unused");
	/* Nothing left: free, and not a failure. */
	snapshot_clear(&fresh);
	ck_assert_int_eq(kill_plan_settle(&kp, &fresh), 0);
	ck_assert_int_eq(kill_port_state(&kp, &s, &f, &ps[1]), KILL_PORT_FREE);
	ck_assert(!kill_plan_failed(&kp));
	/* An unowned socket settles as held: a failure. */
	kill_plan_free(&kp);
	snapshot_clear(&s);
	ck_assert_ptr_nonnull(snapshot_add_row(&s, &a, -1, PD_OWNER_DENIED));
	ck_assert_int_eq(kill_plan_build(&kp, &s, NULL, 0), 0);
	ck_assert(kill_plan_failed(&kp));	/* unsettled: unowned */
	ck_assert_int_eq(kill_plan_settle(&kp, &s), 1);
	ck_assert_int_eq(kp.remain.rows[0].reason, PD_OWNER_DENIED);
	ck_assert(kill_plan_failed(&kp));
	kill_plan_free(&kp);
	snapshot_clear(&s);
}
END_TEST

/* The settle of a run that signalled nothing: owners as the plan knew
 * them, only where the target may still hold the socket. */
START_TEST(test_plan_settle_known)
{
	struct snapshot s, now;
	struct kill_plan kp;
	struct sock_info a = sock(PD_TCP, PD_INET, 8080, 11),
	    b = sock(PD_TCP, PD_INET, 9090, 12),
	    c = sock(PD_TCP, PD_INET, 7070, 13),
	    other = sock(PD_TCP, PD_INET, 6060, 14);

	snapshot_init(&s);
	snapshot_init(&now);
	add_owned(&s, &a, 100, 1, 1);
	add_owned(&s, &b, 200, 1, 2);
	add_owned(&s, &c, 300, 1, 3);
	ck_assert_int_eq(kill_plan_build(&kp, &s, NULL, 0), 0);
	ck_assert_int_eq(find_target(&kp, 100, 1)->outcome, KILL_PENDING);
	ck_assert_int_eq(kp.targets[0].proc.pid, 100);
	ck_assert_int_eq(kp.targets[1].proc.pid, 200);
	kp.targets[0].outcome = KILL_DENIED;		/* pid 100 */
	kp.targets[1].outcome = KILL_NOT_HOLDER;	/* pid 200 */
	kp.targets[2].outcome = KILL_GONE;		/* pid 300 */
	/* A dump: sockets without owners; c is gone, other is not ours. */
	ck_assert_ptr_nonnull(snapshot_add_row(&now, &a, -1,
	    PD_OWNER_UNKNOWN));
	ck_assert_ptr_nonnull(snapshot_add_row(&now, &b, -1,
	    PD_OWNER_UNKNOWN));
	ck_assert_ptr_nonnull(snapshot_add_row(&now, &other, -1,
	    PD_OWNER_UNKNOWN));
	ck_assert_int_eq(kill_plan_settle_known(&kp, &now), 2);
	ck_assert(kp.settled);
	ck_assert_uint_eq(kp.remain.rows[0].sock.inode, 11);
	ck_assert_int_eq(snapshot_row_proc(&kp.remain,
	    &kp.remain.rows[0])->pid, 100);	/* denied: still holds it */
	ck_assert_uint_eq(kp.remain.rows[1].sock.inode, 12);
	ck_assert_ptr_null(snapshot_row_proc(&kp.remain,
	    &kp.remain.rows[1]));		/* not the holder: unknown */
	ck_assert_int_eq(kp.remain.rows[1].reason, PD_OWNER_UNKNOWN);
	ck_assert(kill_plan_failed(&kp));
	kill_plan_free(&kp);
	snapshot_clear(&s);
	snapshot_clear(&now);
}
END_TEST

START_TEST(test_target_text)
{
	struct kill_target t;
	char buf[256];

	memset(&t, 0, sizeof(t));
	t.outcome = KILL_EXITED;
	t.signalled = t.first_signal = SIGTERM;
	ck_assert_str_eq(kill_target_text(&t, buf, sizeof(buf)),
	    "exited after SIGTERM");
	t.outcome = KILL_KILLED;
	t.signalled = SIGKILL;
	ck_assert_str_eq(kill_target_text(&t, buf, sizeof(buf)),
	    "killed after SIGTERM and SIGKILL");
	memset(&t, 0, sizeof(t));
	t.outcome = KILL_NOT_HOLDER;
	ck_assert_str_eq(kill_target_text(&t, buf, sizeof(buf)),
	    "no longer holds the port");
	t.outcome = KILL_DENIED;
	snprintf(t.err, sizeof(t.err), "uid 7 may not signal pid 9");
	ck_assert_str_eq(kill_target_text(&t, buf, sizeof(buf)),
	    "failed: permission denied: uid 7 may not signal pid 9");
}
END_TEST

START_TEST(test_plan_dualstack)
{
	struct snapshot s;
	struct kill_plan kp;
	struct sock_info v4 = sock(PD_TCP, PD_INET, 8080, 11),
	    v6 = sock(PD_TCP, PD_INET6, 8080, 12);
	const struct kill_target *t;

	snapshot_init(&s);
	add_owned(&s, &v4, 4242, 1, 77);
	add_owned(&s, &v6, 4242, 1, 77);
	snapshot_sort(&s);
	ck_assert_int_eq(kill_plan_build(&kp, &s, NULL, 0), 0);
	/* One process, two sockets: signalled once. */
	ck_assert_uint_eq(kp.ntargets, 1);
	ck_assert_uint_eq(kp.nsocks, 2);
	ck_assert_uint_eq(kp.unowned, 0);
	t = &kp.targets[0];
	ck_assert_int_eq(t->proc.pid, 4242);
	ck_assert_uint_eq(t->proc.start_time, 77);
	ck_assert_int_eq(t->outcome, KILL_PENDING);
	ck_assert_int_eq(t->signalled, 0);
	ck_assert_str_eq(t->err, "");
	ck_assert_str_eq(t->proc.comm, "p4242");
	ck_assert_ptr_nonnull(t->proc.exe);
	ck_assert_ptr_ne(t->proc.exe, s.procs[0].exe);
	/* Both sockets kept to watch for release. */
	ck_assert(kp.socks[0].inode + kp.socks[1].inode == 23);
	snapshot_clear(&s);
	/* The plan owns its copies. */
	ck_assert_str_eq(t->proc.exe, "/usr/bin/server");
	kill_plan_free(&kp);
	ck_assert_ptr_null(kp.targets);
	ck_assert_uint_eq(kp.ntargets, 0);
	kill_plan_free(&kp);	/* twice: harmless */
}
END_TEST

START_TEST(test_plan_shared_socket)
{
	struct snapshot s;
	struct kill_plan kp;
	struct sock_info si = sock(PD_TCP, PD_INET, 80, 7);

	snapshot_init(&s);
	/* A pre-fork server: parent and worker hold one socket. */
	add_owned(&s, &si, 100, 1, 5);
	add_owned(&s, &si, 101, 100, 6);
	snapshot_sort(&s);
	ck_assert_int_eq(kill_plan_build(&kp, &s, NULL, 0), 0);
	ck_assert_uint_eq(kp.ntargets, 2);
	ck_assert_ptr_nonnull(find_target(&kp, 100, 5));
	ck_assert_ptr_nonnull(find_target(&kp, 101, 6));
	ck_assert_int_eq(find_target(&kp, 100, 5)->outcome, KILL_PENDING);
	ck_assert_int_eq(find_target(&kp, 101, 6)->outcome, KILL_PENDING);
	ck_assert_uint_ge(kp.nsocks, 1);
	ck_assert_uint_eq(kp.socks[0].inode, 7);
	ck_assert_uint_eq(kp.unowned, 0);
	kill_plan_free(&kp);
	snapshot_clear(&s);
}
END_TEST

START_TEST(test_plan_reused_pid)
{
	struct snapshot s;
	struct kill_plan kp;
	struct sock_info a = sock(PD_TCP, PD_INET, 80, 1),
	    b = sock(PD_UDP, PD_INET, 80, 2);

	/* Two processes that had the same pid are two targets. */
	snapshot_init(&s);
	add_owned(&s, &a, 300, 1, 10);
	add_owned(&s, &b, 300, 1, 20);
	ck_assert_int_eq(kill_plan_build(&kp, &s, NULL, 0), 0);
	ck_assert_uint_eq(kp.ntargets, 2);
	ck_assert_ptr_nonnull(find_target(&kp, 300, 10));
	ck_assert_ptr_nonnull(find_target(&kp, 300, 20));
	kill_plan_free(&kp);
	snapshot_clear(&s);
}
END_TEST

START_TEST(test_plan_unowned)
{
	struct snapshot s;
	struct kill_plan kp;
	struct sock_info a = sock(PD_TCP, PD_INET, 25, 1),
	    b = sock(PD_TCP, PD_INET6, 25, 2),
	    c = sock(PD_UDP, PD_INET, 25, 3);

	snapshot_init(&s);
	ck_assert_ptr_nonnull(snapshot_add_row(&s, &a, -1, PD_OWNER_DENIED));
	add_owned(&s, &b, 500, 1, 1);
	ck_assert_ptr_nonnull(snapshot_add_row(&s, &c, -1, PD_OWNER_NONE));
	snapshot_sort(&s);
	ck_assert_int_eq(kill_plan_build(&kp, &s, NULL, 0), 0);
	ck_assert_uint_eq(kp.unowned, 2);
	ck_assert_uint_eq(kp.ntargets, 1);
	ck_assert_uint_eq(kp.nsocks, 3);
	ck_assert_int_eq(kp.targets[0].proc.pid, 500);
	kill_plan_free(&kp);

	/* Nothing owned at all. */
	snapshot_clear(&s);
	ck_assert_ptr_nonnull(snapshot_add_row(&s, &a, -1, PD_OWNER_DENIED));
	ck_assert_int_eq(kill_plan_build(&kp, &s, NULL, 0), 0);
	ck_assert_uint_eq(kp.ntargets, 0);
	ck_assert_uint_eq(kp.unowned, 1);
	ck_assert_uint_eq(kp.nsocks, 1);
	kill_plan_free(&kp);
	snapshot_clear(&s);
}
END_TEST

START_TEST(test_plan_empty)
{
	struct snapshot s;
	struct kill_plan kp;

	snapshot_init(&s);
	memset(&kp, 0x5a, sizeof(kp));
	ck_assert_int_eq(kill_plan_build(&kp, &s, NULL, 0), 0);
	ck_assert_uint_eq(kp.ntargets, 0);
	ck_assert_uint_eq(kp.nsocks, 0);
	ck_assert_uint_eq(kp.unowned, 0);
	ck_assert_ptr_null(kp.targets);
	ck_assert_ptr_null(kp.socks);
	kill_plan_free(&kp);
}
END_TEST

START_TEST(test_plan_protected)
{
	struct snapshot s;
	struct kill_plan kp;
	const int32_t protect[] = { 555, 777 };
	struct sock_info si;
	/* pid, ppid, outcome */
	static const struct {
		int32_t pid, ppid;
		int outcome;
	} want[] = {
		{ 1, 0, KILL_PROTECTED },	/* init */
		{ 0, 0, KILL_PROTECTED },	/* the kernel */
		{ 50, 2, KILL_PROTECTED },	/* a kernel thread */
		{ 555, 1, KILL_PROTECTED },	/* listed */
		{ 777, 300, KILL_PROTECTED },	/* listed */
		{ 556, 1, KILL_PENDING },
		{ 2000, 3, KILL_PENDING },
		{ 3, 1, KILL_PENDING },
	};
	const struct kill_target *t;
	size_t i;

	snapshot_init(&s);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		si = sock(PD_TCP, PD_INET, (uint16_t)(100 + i), 1000 + i);
		add_owned(&s, &si, want[i].pid, want[i].ppid, 9);
	}
	ck_assert_int_eq(kill_plan_build(&kp, &s, protect, 2), 0);
	ck_assert_uint_eq(kp.ntargets, sizeof(want) / sizeof(want[0]));
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		t = find_target(&kp, want[i].pid, 9);
		ck_assert_ptr_nonnull(t);
		ck_assert_msg(t->outcome == want[i].outcome,
		    "pid %d: outcome %d, want %d", (int)want[i].pid,
		    t->outcome, want[i].outcome);
	}
	kill_plan_free(&kp);

	/* Without the list, 555 and 777 are fair game. */
	ck_assert_int_eq(kill_plan_build(&kp, &s, NULL, 0), 0);
	ck_assert_int_eq(find_target(&kp, 555, 9)->outcome, KILL_PENDING);
	ck_assert_int_eq(find_target(&kp, 777, 9)->outcome, KILL_PENDING);
	ck_assert_int_eq(find_target(&kp, 1, 9)->outcome, KILL_PROTECTED);

	/* A dry run marks only what would be signalled. */
	kp.targets[0].outcome = KILL_EXITED;	/* decided: left alone */
	kill_plan_dry_run(&kp);
	ck_assert_int_eq(kp.targets[0].outcome, KILL_EXITED);
	for (i = 1; i < kp.ntargets; i++) {
		t = &kp.targets[i];
		if (t->proc.pid <= 1 || t->proc.ppid == 2)
			ck_assert_int_eq(t->outcome, KILL_PROTECTED);
		else
			ck_assert_int_eq(t->outcome, KILL_DRYRUN);
		ck_assert_int_eq(t->signalled, 0);
	}
	kill_plan_free(&kp);
	snapshot_clear(&s);
}
END_TEST

START_TEST(test_plan_finish)
{
	struct snapshot s;
	struct kill_plan kp;
	struct sock_info a = sock(PD_TCP, PD_INET, 80, 1),
	    b = sock(PD_TCP, PD_INET, 81, 2);

	snapshot_init(&s);
	add_owned(&s, &a, 1, 0, 1);
	add_owned(&s, &b, 600, 1, 1);
	ck_assert_int_eq(kill_plan_build(&kp, &s, NULL, 0), 0);
	kill_plan_finish(&kp);
	ck_assert_int_eq(find_target(&kp, 1, 1)->outcome, KILL_PROTECTED);
	ck_assert_int_eq(find_target(&kp, 600, 1)->outcome, KILL_RUNNING);
	kill_plan_free(&kp);
	snapshot_clear(&s);
}
END_TEST

/* ---- names ------------------------------------------------------------ */

static const struct {
	int outcome;
	const char *name;
	int failed;
} outcomes[] = {
	{ KILL_PENDING, "pending", 1 },
	{ KILL_EXITED, "exited", 0 },
	{ KILL_KILLED, "killed", 0 },
	{ KILL_RELEASED, "released", 0 },
	{ KILL_RUNNING, "still running", 1 },
	{ KILL_DENIED, "permission denied", 1 },
	{ KILL_GONE, "gone before signalled", 0 },
	{ KILL_REUSED, "pid reused", 0 },
	{ KILL_PROTECTED, "protected", 1 },
	{ KILL_DRYRUN, "dry run", 0 },
	{ KILL_FAILED, "failed", 1 },
	{ KILL_NOT_HOLDER, "no longer holds the port", 0 },
};

START_TEST(test_outcomes)
{
	size_t i, j, n = sizeof(outcomes) / sizeof(outcomes[0]);

	ck_assert_uint_eq(n, KILL_OUTCOME_LAST + 1);	/* every one listed */
	for (i = 0; i < n; i++) {
		ck_assert_str_eq(kill_outcome_name(outcomes[i].outcome),
		    outcomes[i].name);
		ck_assert_msg(kill_outcome_failed(outcomes[i].outcome) ==
		    outcomes[i].failed, "%s: failed is %d",
		    outcomes[i].name,
		    kill_outcome_failed(outcomes[i].outcome));
		for (j = 0; j < i; j++)
			ck_assert_str_ne(kill_outcome_name(outcomes[i].outcome),
			    kill_outcome_name(outcomes[j].outcome));
		/* The wire carries the name: it parses back. */
		ck_assert_int_eq(kill_outcome_parse(outcomes[i].name),
		    outcomes[i].outcome);
	}
	ck_assert_int_eq(kill_outcome_parse("unknown"), -1);
	ck_assert_int_eq(kill_outcome_parse("Exited"), -1);
	ck_assert_int_eq(kill_outcome_parse(NULL), -1);
	ck_assert_str_eq(kill_outcome_name(-1), "unknown");
	ck_assert_str_eq(kill_outcome_name(KILL_OUTCOME_LAST + 1), "unknown");
	ck_assert_str_eq(kill_outcome_name(1000), "unknown");
}
END_TEST

static const struct {
	const char *text;
	int sig;
} signals[] = {
	{ "TERM", SIGTERM }, { "SIGTERM", SIGTERM }, { "sigterm", SIGTERM },
	{ "term", SIGTERM }, { "Term", SIGTERM }, { "SIGterm", SIGTERM },
	{ "15", SIGTERM }, { "9", SIGKILL }, { "KILL", SIGKILL },
	{ "SIGKILL", SIGKILL }, { "HUP", SIGHUP }, { "INT", SIGINT },
	{ "QUIT", SIGQUIT }, { "USR1", SIGUSR1 }, { "SIGUSR2", SIGUSR2 },
	{ "STOP", SIGSTOP }, { "CONT", SIGCONT }, { "ABRT", SIGABRT },
	{ "ALRM", SIGALRM }, { "1", 1 }, { "64", 64 }, { "010", 10 },
	{ "0", -1 }, { "65", -1 }, { "FOO", -1 }, { "", -1 },
	{ "SIG", -1 }, { "SIGFOO", -1 }, { "15x", -1 }, { "-9", -1 },
	{ "+9", -1 }, { " 9", -1 }, { "9 ", -1 }, { "TERM ", -1 },
	{ "SIGSIGTERM", -1 }, { "99999999999999999999999", -1 },
	{ "-", -1 }, { "1.5", -1 },
};

START_TEST(test_signal_parse)
{
	ck_assert_msg(kill_signal_parse(signals[_i].text) == signals[_i].sig,
	    "kill_signal_parse(\"%s\") = %d, want %d", signals[_i].text,
	    kill_signal_parse(signals[_i].text), signals[_i].sig);
}
END_TEST

START_TEST(test_signal_parse_null)
{
	ck_assert_int_eq(kill_signal_parse(NULL), -1);
}
END_TEST

START_TEST(test_signal_name)
{
	static const int named[] = { SIGHUP, SIGINT, SIGQUIT, SIGKILL,
	    SIGUSR1, SIGUSR2, SIGTERM, SIGSTOP, SIGCONT, SIGABRT, SIGALRM };
	size_t i;

	ck_assert_str_eq(kill_signal_name(SIGTERM), "SIGTERM");
	ck_assert_str_eq(kill_signal_name(SIGKILL), "SIGKILL");
	ck_assert_str_eq(kill_signal_name(SIGHUP), "SIGHUP");
	ck_assert_str_eq(kill_signal_name(SIGUSR1), "SIGUSR1");
	/* Every name parses back to its signal. */
	for (i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
		ck_assert_ptr_nonnull(kill_signal_name(named[i]));
		ck_assert_int_eq(strncmp(kill_signal_name(named[i]), "SIG",
		    3), 0);
		ck_assert_int_eq(kill_signal_parse(kill_signal_name(named[i])),
		    named[i]);
	}
	/* No name: NULL, and kill_signal_text says its number. */
	ck_assert_ptr_null(kill_signal_name(0));
	ck_assert_ptr_null(kill_signal_name(-1));
	ck_assert_ptr_null(kill_signal_name(1000));
	{
		char buf[32];

		ck_assert_str_eq(kill_signal_text(1000, buf, sizeof(buf)),
		    "signal 1000");
		ck_assert_str_eq(kill_signal_text(SIGTERM, buf, sizeof(buf)),
		    "SIGTERM");
	}
	/* Every standard signal has a name that parses back. */
	ck_assert_str_eq(kill_signal_name(SIGBUS), "SIGBUS");
	ck_assert_int_eq(kill_signal_parse(kill_signal_name(SIGBUS)), SIGBUS);
	ck_assert_int_eq(kill_signal_parse("7"), 7);
}
END_TEST

/* ---- real processes --------------------------------------------------- */

static pid_t child = -1;

/*
 * A child that waits for a signal; it dies with us, or within a minute.
 * It inherits check's handlers (SIGTERM there signals the whole process
 * group, us included), so we wait until it has reset them.
 */
static pid_t
spawn(void)
{
	pid_t parent = getpid(), pid;
	sigset_t none;
	int fds[2];
	char c = 0;

	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		close(fds[0]);
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGALRM, SIG_DFL);
		signal(SIGCONT, SIG_DFL);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 ||
		    getppid() != parent)
			_exit(1);
		alarm(60);
		if (write(fds[1], "r", 1) != 1)
			_exit(1);
		close(fds[1]);
		for (;;)
			pause();
	}
	child = pid;
	close(fds[1]);
	while (read(fds[0], &c, 1) == -1 && errno == EINTR)
		;
	close(fds[0]);
	ck_assert_int_eq(c, 'r');
	return pid;
}

/*
 * spawn() with a socket only the child holds (made before the fork,
 * closed here after it): the backend's gate finds it among the child's
 * descriptors. Its inode into *inode.
 */
static pid_t
spawn_holding(uint64_t *inode)
{
	struct stat st;
	pid_t pid;
	int fd;

	ck_assert_int_ge(fd = socket(AF_INET, SOCK_DGRAM, 0), 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	*inode = (uint64_t)st.st_ino;
	pid = spawn();
	close(fd);
	return pid;
}

/* Checked teardown: whatever a test left running is killed and reaped. */
static void
reap_child(void)
{
	if (child > 0) {
		kill(child, SIGKILL);
		while (waitpid(child, NULL, 0) == -1 && errno == EINTR)
			;
		child = -1;
	}
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* Waits up to 5 s for the child to end; returns its status. */
static int
wait_child(pid_t pid)
{
	int status = 0, i;
	pid_t r;

	for (i = 0; i < 500; i++) {
		r = waitpid(pid, &status, WNOHANG);
		ck_assert_int_ne(r, -1);
		if (r == pid) {
			child = -1;
			return status;
		}
		sleep_ms(10);
	}
	ck_abort_msg("child %d did not end", (int)pid);
	return 0;
}

/* The state letter in /proc/PID/stat, or 0. */
static char
proc_state(pid_t pid)
{
	char path[64], buf[512], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	if ((p = strrchr(buf, ')')) == NULL || p[1] != ' ')
		return 0;
	return p[2];
}

START_TEST(test_guard_reuse)
{
	struct proc_info p, wrong;
	char err[128] = "";
	pid_t pid = spawn();
	int status, r;

	ck_assert_int_eq(backend_proc_info(pid, &p), 0);
	ck_assert_int_eq(p.pid, pid);
	ck_assert_int_eq(p.ppid, getpid());
	ck_assert_uint_gt(p.start_time, 0);
	ck_assert_uint_eq(p.uid, (uint32_t)getuid());
	ck_assert_int_gt(p.started_ms, 0);
	ck_assert_int_eq(backend_proc_alive(&p), 1);

	/* A start time that is not this process's: never signalled. */
	ck_assert_int_eq(proc_info_copy(&wrong, &p), 0);
	wrong.start_time = p.start_time + 1;
	ck_assert_int_eq(backend_proc_alive(&wrong), 0);
	ck_assert_int_eq(backend_signal(&wrong, NULL, 0,
	    SIGTERM, err, sizeof(err)),
	    SIG_REUSED);
	sleep_ms(100);
	ck_assert_int_eq(waitpid(pid, &status, WNOHANG), 0);
	ck_assert_int_eq(backend_proc_alive(&p), 1);

	/* The right one: sent, and the child dies of it. */
	ck_assert_int_eq(backend_signal(&p, NULL, 0, SIGTERM, err, sizeof(err)),
	    SIG_SENT);
	status = wait_child(pid);
	ck_assert(WIFSIGNALED(status));
	ck_assert_int_eq(WTERMSIG(status), SIGTERM);

	/* Reaped: gone (or, if the pid was reused at once, reused). */
	ck_assert_int_eq(backend_proc_alive(&p), 0);
	r = backend_signal(&p, NULL, 0, SIGTERM, err, sizeof(err));
	ck_assert_int_ne(r, SIG_SENT);
	ck_assert_msg(r == SIG_GONE || r == SIG_REUSED, "result %d", r);
	proc_info_clear(&wrong);
	proc_info_clear(&p);
}
END_TEST

/*
 * Out of descriptors, pidfd_open fails with EMFILE: the signal fails
 * rather than going through a bare pid (only a kernel without pidfds
 * takes that path), and the child lives on.
 */
START_TEST(test_guard_no_pidfd)
{
	struct proc_info p;
	char err[128] = "";
	pid_t pid = spawn();
	struct rlimit rl, low;
	int fds[256], n = 0, status, probe;

	ck_assert_int_eq(backend_proc_info(pid, &p), 0);
	if ((probe = (int)syscall(SYS_pidfd_open, pid, 0)) == -1 &&
	    errno == ENOSYS) {
		proc_info_clear(&p);
		return;			/* no pidfds here: nothing to test */
	}
	ck_assert_int_ge(probe, 0);
	close(probe);
	/* Few descriptors, all of them taken. */
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	low = rl;
	low.rlim_cur = 64;
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &low), 0);
	while (n < (int)(sizeof(fds) / sizeof(fds[0])) &&
	    (fds[n] = dup(0)) != -1)
		n++;
	probe = errno;
	status = backend_signal(&p, NULL, 0, SIGTERM, err, sizeof(err));
	while (n > 0)
		close(fds[--n]);
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	ck_assert_int_eq(probe, EMFILE);
	ck_assert_int_eq(status, SIG_FAILED);
	ck_assert_msg(strstr(err, "pidfd_open") != NULL, "%s", err);
	sleep_ms(100);
	ck_assert_int_eq(waitpid(pid, &status, WNOHANG), 0);
	ck_assert_int_eq(backend_proc_alive(&p), 1);
	proc_info_clear(&p);
}
END_TEST

START_TEST(test_guard_protected)
{
	struct proc_info p;
	char err[128] = "";

	/*
	 * Signal 0 throughout: should the guard ever break, these checks
	 * fail without signalling init or the test itself.
	 */
	ck_assert_int_eq(backend_self_pid(), (int32_t)getpid());

	/* Ourselves, with the right start time: still never. */
	ck_assert_int_eq(backend_proc_info(getpid(), &p), 0);
	ck_assert_int_eq(backend_proc_alive(&p), 1);
	ck_assert_int_eq(backend_signal(&p, NULL, 0, 0, err, sizeof(err)),
	    SIG_PROTECTED);
	proc_info_clear(&p);

	/* init, read from /proc where we may, else by hand. */
	if (backend_proc_info(1, &p) == -1) {
		memset(&p, 0, sizeof(p));
		p.pid = 1;
	}
	ck_assert_int_eq(backend_signal(&p, NULL, 0, 0, err, sizeof(err)),
	    SIG_PROTECTED);
	proc_info_clear(&p);

	memset(&p, 0, sizeof(p));
	p.pid = 0;	/* kill(0) would signal our process group */
	ck_assert_int_eq(backend_signal(&p, NULL, 0, 0, err, sizeof(err)),
	    SIG_PROTECTED);
	p.pid = -1;	/* kill(-1) would signal everything */
	ck_assert_int_eq(backend_signal(&p, NULL, 0, 0, err, sizeof(err)),
	    SIG_PROTECTED);
	ck_assert_str_eq(err, "");
}
END_TEST

START_TEST(test_guard_zombie)
{
	struct proc_info p, gone;
	char err[128] = "";
	pid_t pid = spawn();
	int i, status, r;

	ck_assert_int_eq(backend_proc_info(pid, &p), 0);
	ck_assert_int_eq(backend_proc_alive(&p), 1);
	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	for (i = 0; i < 500 && proc_state(pid) != 'Z'; i++)
		sleep_ms(10);
	ck_assert_int_eq(proc_state(pid), 'Z');

	/* Exited but not reaped: not alive, and not signalled. */
	ck_assert_int_eq(backend_proc_alive(&p), 0);
	r = backend_signal(&p, NULL, 0, SIGTERM, err, sizeof(err));
	ck_assert_int_eq(r, SIG_GONE);

	status = wait_child(pid);
	ck_assert(WIFSIGNALED(status));
	ck_assert_int_eq(WTERMSIG(status), SIGKILL);
	ck_assert_int_eq(backend_proc_alive(&p), 0);
	/* Reaped: no process, unless the pid went to another one. */
	if (backend_proc_info(pid, &gone) == 0) {
		ck_assert_uint_ne(gone.start_time, p.start_time);
		proc_info_clear(&gone);
	}
	proc_info_clear(&p);
}
END_TEST

START_TEST(test_plan_signal_real)
{
	struct snapshot s, now;
	struct kill_plan kp;
	struct sock_info si = sock(PD_TCP, PD_INET, 65001, 0),
	    other = sock(PD_TCP, PD_INET, 65002, 434343);
	struct proc_info p, self;
	const struct kill_target *t;
	pid_t pid = spawn_holding(&si.inode);
	int status, idx;

	snapshot_init(&s);
	snapshot_init(&now);
	ck_assert_int_eq(backend_proc_info(pid, &p), 0);
	ck_assert_int_eq(backend_proc_info(getpid(), &self), 0);
	ck_assert_int_ge(idx = snapshot_add_proc(&s, &p), 0);
	ck_assert_ptr_nonnull(snapshot_add_row(&s, &si, idx, PD_OWNER_OK));
	/* The same pid with another start time: a stale row. */
	p.start_time++;
	ck_assert_int_ge(idx = snapshot_add_proc(&s, &p), 0);
	ck_assert_ptr_nonnull(snapshot_add_row(&s, &si, idx, PD_OWNER_OK));
	p.start_time--;
	/* Ourselves, named in protect[]. */
	ck_assert_int_ge(idx = snapshot_add_proc(&s, &self), 0);
	ck_assert_ptr_nonnull(snapshot_add_row(&s, &si, idx, PD_OWNER_OK));
	ck_assert_int_eq(kill_plan_build(&kp, &s, &self.pid, 1), 0);
	ck_assert_uint_eq(kp.ntargets, 3);
	ck_assert_int_eq(find_target(&kp, self.pid, self.start_time)->outcome,
	    KILL_PROTECTED);

	/* SIGCONT does not end a paused child: it keeps the port. */
	ck_assert_uint_eq(kill_plan_signal(&kp, SIGCONT), 1);
	t = find_target(&kp, pid, p.start_time);
	ck_assert_int_eq(t->signalled, SIGCONT);
	ck_assert_int_eq(t->outcome, KILL_PENDING);
	ck_assert_int_eq(find_target(&kp, pid, p.start_time + 1)->outcome,
	    KILL_REUSED);
	ck_assert_int_eq(find_target(&kp, self.pid, self.start_time)->outcome,
	    KILL_PROTECTED);

	ck_assert_ptr_nonnull(snapshot_add_row(&now, &si, -1, PD_OWNER_NONE));
	ck_assert_ptr_nonnull(snapshot_add_row(&now, &other, -1,
	    PD_OWNER_NONE));
	ck_assert_uint_eq(kill_plan_update(&kp, &now), 1);
	ck_assert_int_eq(t->outcome, KILL_PENDING);

	/* Escalation: only the one still pending is signalled. */
	ck_assert_uint_eq(kill_plan_signal(&kp, SIGTERM), 1);
	ck_assert_int_eq(t->signalled, SIGTERM);
	status = wait_child(pid);
	ck_assert(WIFSIGNALED(status));
	ck_assert_int_eq(WTERMSIG(status), SIGTERM);
	ck_assert_uint_eq(kill_plan_update(&kp, &now), 0);
	ck_assert_int_eq(t->outcome, KILL_EXITED);
	kill_plan_finish(&kp);
	ck_assert_int_eq(t->outcome, KILL_EXITED);
	ck_assert_int_eq(find_target(&kp, pid, p.start_time + 1)->outcome,
	    KILL_REUSED);
	/* Nothing pending is left to signal. */
	ck_assert_uint_eq(kill_plan_signal(&kp, SIGKILL), 0);
	kill_plan_free(&kp);

	/* Built again from the same rows: the reaped child is gone. */
	ck_assert_int_eq(kill_plan_build(&kp, &s, &self.pid, 1), 0);
	ck_assert_uint_eq(kill_plan_signal(&kp, SIGTERM), 0);
	t = find_target(&kp, pid, p.start_time);
	ck_assert_msg(t->outcome == KILL_GONE || t->outcome == KILL_REUSED,
	    "outcome %d", t->outcome);
	ck_assert_int_eq(t->signalled, 0);
	kill_plan_free(&kp);

	proc_info_clear(&p);
	proc_info_clear(&self);
	snapshot_clear(&s);
	snapshot_clear(&now);
}
END_TEST

START_TEST(test_plan_released_real)
{
	struct snapshot s, now;
	struct kill_plan kp;
	struct sock_info si = sock(PD_UDP, PD_INET6, 65003, 0);
	struct proc_info p;
	pid_t pid = spawn_holding(&si.inode);
	int idx;

	snapshot_init(&s);
	snapshot_init(&now);
	ck_assert_int_eq(backend_proc_info(pid, &p), 0);
	ck_assert_int_ge(idx = snapshot_add_proc(&s, &p), 0);
	ck_assert_ptr_nonnull(snapshot_add_row(&s, &si, idx, PD_OWNER_OK));
	ck_assert_int_eq(kill_plan_build(&kp, &s, NULL, 0), 0);
	ck_assert_uint_eq(kill_plan_signal(&kp, SIGCONT), 1);
	/* Still running, but its socket is no longer in the table. */
	ck_assert_uint_eq(kill_plan_update(&kp, &now), 0);
	ck_assert_int_eq(kp.targets[0].outcome, KILL_RELEASED);
	ck_assert_int_eq(waitpid(pid, NULL, WNOHANG), 0);
	kill_plan_free(&kp);
	proc_info_clear(&p);
	snapshot_clear(&s);
}
END_TEST

START_TEST(test_plan_gate_not_holder)
{
	struct snapshot s, now;
	struct kill_plan kp;
	struct sock_info mine = sock(PD_TCP, PD_INET, 65004, 0),
	    theirs = sock(PD_TCP, PD_INET, 65004, 0);
	struct proc_info p;
	char err[128] = "";
	pid_t pid;
	int idx, fd;
	struct stat st;

	/* The cache says the child holds a socket; it holds another one. */
	pid = spawn_holding(&mine.inode);
	ck_assert_int_ge(fd = socket(AF_INET, SOCK_STREAM, 0), 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	theirs.inode = (uint64_t)st.st_ino;	/* ours, made after the fork */
	snapshot_init(&s);
	snapshot_init(&now);
	ck_assert_int_eq(backend_proc_info(pid, &p), 0);
	ck_assert_int_ge(idx = snapshot_add_proc(&s, &p), 0);
	ck_assert_ptr_nonnull(snapshot_add_row(&s, &theirs, idx, PD_OWNER_OK));
	ck_assert_int_eq(kill_plan_build(&kp, &s, NULL, 0), 0);
	ck_assert_uint_eq(kill_plan_signal(&kp, SIGTERM), 0);
	ck_assert_int_eq(kp.targets[0].outcome, KILL_NOT_HOLDER);
	ck_assert_int_eq(kp.targets[0].signalled, 0);
	ck_assert(!kill_outcome_failed(kp.targets[0].outcome));
	/* Not signalled: it still runs. */
	ck_assert_int_eq(waitpid(pid, NULL, WNOHANG), 0);
	/* The backend's gate itself, both ways. */
	ck_assert_int_eq(backend_signal(&p, &theirs, 1, SIGTERM, err,
	    sizeof(err)), SIG_NOT_HOLDER);
	ck_assert_int_eq(backend_signal(&p, &theirs, 0, SIGTERM, err,
	    sizeof(err)), SIG_NOT_HOLDER);
	ck_assert_int_eq(waitpid(pid, NULL, WNOHANG), 0);
	ck_assert_int_eq(backend_signal(&p, &mine, 1, SIGTERM, err,
	    sizeof(err)), SIG_SENT);
	ck_assert(WIFSIGNALED(wait_child(pid)));
	kill_plan_free(&kp);
	proc_info_clear(&p);
	snapshot_clear(&s);
	close(fd);
}
END_TEST

static Suite *
kill_suite(void)
{
	Suite *s = suite_create("kill");
	TCase *tc;

	tc = tcase_create("plan");
	tcase_add_test(tc, test_never_signal);
	tcase_add_test(tc, test_plan_add_holders);
	tcase_add_test(tc, test_plan_settle_and_ports);
	tcase_add_test(tc, test_plan_settle_known);
	tcase_add_test(tc, test_target_text);
	tcase_add_test(tc, test_plan_dualstack);
	tcase_add_test(tc, test_plan_shared_socket);
	tcase_add_test(tc, test_plan_reused_pid);
	tcase_add_test(tc, test_plan_unowned);
	tcase_add_test(tc, test_plan_empty);
	tcase_add_test(tc, test_plan_protected);
	tcase_add_test(tc, test_plan_finish);
	suite_add_tcase(s, tc);

	tc = tcase_create("names");
	tcase_add_test(tc, test_outcomes);
	tcase_add_loop_test(tc, test_signal_parse, 0,
	    (int)(sizeof(signals) / sizeof(signals[0])));
	tcase_add_test(tc, test_signal_parse_null);
	tcase_add_test(tc, test_signal_name);
	suite_add_tcase(s, tc);

	tc = tcase_create("processes");
	tcase_add_checked_fixture(tc, NULL, reap_child);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_guard_reuse);
	tcase_add_test(tc, test_guard_protected);
	tcase_add_test(tc, test_guard_no_pidfd);
	tcase_add_test(tc, test_guard_zombie);
	tcase_add_test(tc, test_plan_signal_real);
	tcase_add_test(tc, test_plan_released_real);
	tcase_add_test(tc, test_plan_gate_not_holder);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(kill_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
