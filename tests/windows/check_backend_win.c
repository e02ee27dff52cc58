/*
 * check_backend_win.c - the Windows backend against the real system
 * (under Wine in CI): sockets this process binds show up with their
 * protocol, address and port; its own details read back; and the kill
 * path on a child process by pid: the creation-time check refuses a
 * stale identity, TerminateProcess ends the right one, protected pids are
 * never touched, and the kill plan does not "escalate" where there are no
 * signals. Also peer_win.c's rule for who may terminate what.
 *
 * Wine names no socket owner for most rows (pid 0): a row must then say
 * so; where it names one, it must be this process. The child is this
 * program again, started with --sleep.
 */
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backend.h"
#include "compat.h"
#include "kill.h"
#include "peer.h"

static const char *
base_name(const char *path)
{
	const char *p = strrchr(path, '\\');

	return p != NULL ? p + 1 : path;
}

/* A bound (and for TCP listening) socket; its port in *port. */
static SOCKET
bound(int family, int type, uint16_t *port)
{
	struct sockaddr_storage ss;
	int len, one = 1;
	SOCKET s;

	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_addr.s6_addr[15] = 1;		/* ::1 */
		len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*a);
	}
	s = socket(family, type, 0);
	ck_assert(s != INVALID_SOCKET);
	if (family == AF_INET6)
		setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, (const char *)&one,
		    sizeof(one));
	ck_assert_int_eq(bind(s, (struct sockaddr *)&ss, len), 0);
	if (type == SOCK_STREAM)
		ck_assert_int_eq(listen(s, 4), 0);
	len = sizeof(ss);
	ck_assert_int_eq(getsockname(s, (struct sockaddr *)&ss, &len), 0);
	*port = ntohs(family == AF_INET6 ?
	    ((struct sockaddr_in6 *)&ss)->sin6_port :
	    ((struct sockaddr_in *)&ss)->sin_port);
	return s;
}

static void
filter_port(struct filter *f, uint16_t port)
{
	struct portspec ps;

	memset(&ps, 0, sizeof(ps));
	ps.lo = ps.hi = port;
	ps.protos = PD_TCP | PD_UDP;
	ck_assert_int_eq(filter_add(f, &ps), 0);
}

START_TEST(test_sockets_seen)
{
	static const int fams[] = { AF_INET, AF_INET6, AF_INET, AF_INET6 };
	static const int types[] = { SOCK_STREAM, SOCK_STREAM, SOCK_DGRAM,
	    SOCK_DGRAM };
	static const char *const addrs[] = { "127.0.0.1", "::1", "127.0.0.1",
	    "::1" };
	struct backend *b;
	struct snapshot s;
	struct filter f;
	const struct proc_info *p;
	const struct listener *l;
	SOCKET fds[4];
	uint16_t ports[4];
	char err[256], text[80];
	size_t i, j, found, owned = 0;

	filter_init(&f);
	for (i = 0; i < 4; i++) {
		fds[i] = bound(fams[i], types[i], &ports[i]);
		filter_port(&f, ports[i]);
	}
	b = backend_new(BACKEND_ONESHOT, err, sizeof(err));
	ck_assert_msg(b != NULL, "%s", err);
	ck_assert_str_eq(backend_source(b), "iphlpapi");
	snapshot_init(&s);
	ck_assert_msg(backend_snapshot(b, &f, &s, err, sizeof(err)) == 0,
	    "%s", err);
	for (i = 0; i < 4; i++) {
		for (j = 0, found = 0; j < s.nrows; j++) {
			l = &s.rows[j];
			if (l->sock.port != ports[i] || l->sock.proto !=
			    (types[i] == SOCK_STREAM ? PD_TCP : PD_UDP))
				continue;
			found++;
			sock_addr_text(&l->sock, text, sizeof(text));
			ck_assert_str_eq(text, addrs[i]);
			ck_assert_int_eq(l->sock.family, fams[i] == AF_INET6 ?
			    PD_INET6 : PD_INET);
			ck_assert_int_eq(l->sock.state, types[i] ==
			    SOCK_STREAM ? PD_LISTEN : PD_BOUND);
			if ((p = snapshot_row_proc(&s, l)) == NULL) {
				/* Wine: the table named no owner. */
				ck_assert_int_eq(l->sock.pid, 0);
				ck_assert_int_eq(l->reason,
				    PD_OWNER_UNSUPPORTED);
				continue;
			}
			/* Named: then it is us, with our details. */
			owned++;
			ck_assert_int_eq(p->pid, backend_self_pid());
			ck_assert_int_eq(l->sock.pid, backend_self_pid());
			ck_assert_msg(_stricmp(p->comm,
			    "check_backend_win.exe") == 0, "%s", p->comm);
		}
		ck_assert_msg(found == 1, "port %u: %zu rows", ports[i], found);
	}
	printf("sockets: 4 seen, %zu with their owner named\n", owned);
	/* Sockets only: the same four, no owners looked up. */
	ck_assert_int_eq(backend_sockets(b, &f, &s, err, sizeof(err)), 0);
	ck_assert_uint_eq(s.nrows, 4);
	for (i = 0; i < s.nrows; i++)
		ck_assert_int_eq(s.rows[i].proc, -1);
	/* Closed: gone from the table. */
	for (i = 0; i < 4; i++)
		closesocket(fds[i]);
	ck_assert_int_eq(backend_snapshot(b, &f, &s, err, sizeof(err)), 0);
	ck_assert_uint_eq(s.nrows, 0);
	snapshot_clear(&s);
	backend_free(b);
}
END_TEST

START_TEST(test_snapshot_changes)
{
	struct backend *b;
	struct snapshot s;
	char err[256];
	uint16_t port;
	SOCKET fd;
	size_t i;
	int r = 0, tries;

	b = backend_new(0, err, sizeof(err));
	ck_assert(b != NULL);
	snapshot_init(&s);
	ck_assert_int_eq(backend_snapshot_changes(b, &s, err, sizeof(err)), 0);
	/* In the tests' private network nothing else changes sockets (allow
	 * for one that does); a busy host's may never stand still. */
	for (tries = 0; tries < 5 && r != 1; tries++)
		r = backend_snapshot_changes(b, &s, err, sizeof(err));
	if (getenv("PORTD_WIN_NS") != NULL &&
	    strcmp(getenv("PORTD_WIN_NS"), "1") == 0)
		ck_assert_int_eq(r, 1);
	else if (r != 1)
		printf("snapshot_changes: the host's sockets kept changing\n");
	fd = bound(AF_INET, SOCK_STREAM, &port);
	ck_assert_int_eq(backend_snapshot_changes(b, &s, err, sizeof(err)), 0);
	for (i = 0; i < s.nrows; i++)
		if (s.rows[i].sock.port == port)
			break;
	ck_assert_msg(i < s.nrows, "new listener %u not in the rows", port);
	closesocket(fd);
	snapshot_clear(&s);
	backend_free(b);
}
END_TEST

START_TEST(test_self_info)
{
	struct proc_info p;
	int64_t now = (int64_t)time(NULL) * 1000;

	ck_assert_int_eq(backend_proc_info(backend_self_pid(), &p), 0);
	ck_assert_int_eq(p.pid, backend_self_pid());
	ck_assert_msg(_stricmp(p.comm, "check_backend_win.exe") == 0, "%s",
	    p.comm);
	ck_assert(p.exe != NULL);
	ck_assert_msg(_stricmp(base_name(p.exe), "check_backend_win.exe") ==
	    0, "%s", p.exe);
	ck_assert(p.start_time != 0);
	ck_assert_msg(p.started_ms > now - 3600 * 1000 &&
	    p.started_ms <= now + 60 * 1000, "started %lld, now %lld",
	    (long long)p.started_ms, (long long)now);
	ck_assert_msg(p.user[0] != '\0', "no user name");
	ck_assert_uint_eq(p.uid, PD_UID_UNKNOWN);
	printf("self: pid %d comm %s user %s exe %s\n", (int)p.pid, p.comm,
	    p.user, p.exe);
	proc_info_clear(&p);
	/* No such process. */
	ck_assert_int_eq(backend_proc_info(-1, &p), -1);
}
END_TEST

/* Starts this program with --sleep; its handle and pid. */
static HANDLE
spawn_child(int32_t *pid)
{
	WCHAR exe[MAX_PATH], cmd[MAX_PATH + 32];
	STARTUPINFOW si;
	PROCESS_INFORMATION pi;
	DWORD e = 0;
	int tries;

	ck_assert(GetModuleFileNameW(NULL, exe, MAX_PATH) > 0);
	_snwprintf(cmd, MAX_PATH + 32, L"\"%ls\" --sleep", exe);
	cmd[MAX_PATH + 31] = L'\0';
	memset(&si, 0, sizeof(si));
	si.cb = sizeof(si);
	/* Wine, when busy, now and then fails a process start it then
	 * makes the next time: a second and third try, and the error. */
	for (tries = 0; tries < 3; tries++) {
		if (CreateProcessW(exe, cmd, NULL, NULL, FALSE, 0, NULL, NULL,
		    &si, &pi))
			break;
		e = GetLastError();
		printf("spawn_child: CreateProcessW failed: error %lu\n",
		    (unsigned long)e);
		Sleep(500);
	}
	ck_assert_msg(tries < 3, "CreateProcessW: error %lu",
	    (unsigned long)e);
	CloseHandle(pi.hThread);
	*pid = (int32_t)pi.dwProcessId;
	return pi.hProcess;
}

START_TEST(test_kill_child)
{
	struct proc_info p, stale;
	char err[256] = "";
	DWORD code = 0;
	HANDLE h;
	int32_t pid;
	int r;

	h = spawn_child(&pid);
	ck_assert_int_eq(backend_proc_info(pid, &p), 0);
	ck_assert(p.start_time != 0);
	ck_assert_int_eq(backend_proc_alive(&p), 1);

	/* A different creation time: the pid names another process now. */
	stale = p;
	stale.exe = NULL;
	stale.start_time = p.start_time - 1;
	ck_assert_int_eq(backend_proc_alive(&stale), 0);
	ck_assert_int_eq(backend_signal(&stale, NULL, 0,
	    SIGTERM, err, sizeof(err)),
	    SIG_REUSED);
	ck_assert_int_eq(WaitForSingleObject(h, 200), WAIT_TIMEOUT);

	/* The right one: terminated, exit status 1. */
	ck_assert_int_eq(backend_signal(&p, NULL, 0, SIGTERM, err, sizeof(err)),
	    SIG_SENT);
	ck_assert_int_eq(WaitForSingleObject(h, 20000), WAIT_OBJECT_0);
	ck_assert(GetExitCodeProcess(h, &code));
	ck_assert_uint_eq(code, 1);
	ck_assert_int_eq(backend_proc_alive(&p), 0);
	/* Exited (our handle keeps the pid from being reused). */
	ck_assert_int_eq(backend_signal(&p, NULL, 0, SIGKILL, err, sizeof(err)),
	    SIG_GONE);
	CloseHandle(h);
	r = backend_signal(&p, NULL, 0, SIGKILL, err, sizeof(err));
	ck_assert_msg(r == SIG_GONE || r == SIG_REUSED, "%d %s", r, err);
	proc_info_clear(&p);
}
END_TEST

START_TEST(test_protected)
{
	struct proc_info p;
	char err[256];

	memset(&p, 0, sizeof(p));
	p.pid = 0;		/* Idle */
	ck_assert_int_eq(backend_signal(&p, NULL, 0, SIGKILL, err, sizeof(err)),
	    SIG_PROTECTED);
	p.pid = 4;		/* System */
	ck_assert_int_eq(backend_signal(&p, NULL, 0, SIGKILL, err, sizeof(err)),
	    SIG_PROTECTED);
	ck_assert_int_eq(backend_proc_info(backend_self_pid(), &p), 0);
	ck_assert_int_eq(backend_signal(&p, NULL, 0, SIGKILL, err, sizeof(err)),
	    SIG_PROTECTED);
	proc_info_clear(&p);
	ck_assert_int_eq(backend_has_signals(), 0);
}
END_TEST

START_TEST(test_kill_plan)
{
	struct snapshot s;
	struct kill_plan kp;
	struct sock_info si;
	struct proc_info p, sys;
	char text[48];
	int32_t pid, self = backend_self_pid();
	HANDLE h;
	int pi;

	h = spawn_child(&pid);
	ck_assert_int_eq(backend_proc_info(pid, &p), 0);
	snapshot_init(&s);
	memset(&si, 0, sizeof(si));
	si.proto = PD_TCP;
	si.family = PD_INET;
	si.state = PD_LISTEN;
	si.port = 40999;
	si.pid = pid;
	pi = snapshot_add_proc(&s, &p);
	ck_assert(snapshot_add_row(&s, &si, pi, PD_OWNER_OK) != NULL);
	/* System holds another: never a target. */
	memset(&sys, 0, sizeof(sys));
	sys.pid = 4;
	snprintf(sys.comm, sizeof(sys.comm), "System");
	si.port = 445;
	si.pid = 4;
	pi = snapshot_add_proc(&s, &sys);
	ck_assert(snapshot_add_row(&s, &si, pi, PD_OWNER_OK) != NULL);
	snapshot_sort(&s);
	ck_assert_int_eq(kill_plan_build(&kp, &s, &self, 1), 0);
	ck_assert_uint_eq(kp.ntargets, 2);

	/*
	 * The child holds no socket on 40999 (the row is made up): the
	 * gate asks the owner tables again and leaves it alone, however
	 * the snapshot named it. System is never a target.
	 */
	ck_assert_uint_eq(kill_plan_signal(&kp, SIGTERM), 0);
	ck_assert_int_eq(WaitForSingleObject(h, 0), WAIT_TIMEOUT);
	ck_assert_int_eq(kp.targets[0].proc.pid == pid ?
	    kp.targets[0].outcome : kp.targets[1].outcome, KILL_NOT_HOLDER);
	ck_assert_int_eq(kp.targets[0].proc.pid == 4 ?
	    kp.targets[0].outcome : kp.targets[1].outcome, KILL_PROTECTED);
	ck_assert(TerminateProcess(h, 1));
	ck_assert_int_eq(WaitForSingleObject(h, 20000), WAIT_OBJECT_0);
	/* And the words say what happened. */
	ck_assert_str_eq(kill_signal_text(SIGTERM, text, sizeof(text)),
	    "TerminateProcess (Windows has no signals)");
	ck_assert_str_eq(kill_signal_text(SIGKILL, text, sizeof(text)),
	    "TerminateProcess (Windows has no signals)");
	kill_plan_free(&kp);
	snapshot_clear(&s);
	proc_info_clear(&p);
	CloseHandle(h);
}
END_TEST

START_TEST(test_peer_may_signal)
{
	struct peer admin, alice;
	struct proc_info p;

	memset(&p, 0, sizeof(p));
	p.pid = 1234;
	p.uid = PD_UID_UNKNOWN;
	snprintf(p.user, sizeof(p.user), "WORKGROUP\\Alice");
	memset(&alice, 0, sizeof(alice));
	alice.uid = PD_UID_UNKNOWN;
	alice.pid = 77;
	snprintf(alice.user, sizeof(alice.user), "workgroup\\alice");
	ck_assert(peer_may_signal(&alice, &p));		/* names ignore case */
	snprintf(p.user, sizeof(p.user), "WORKGROUP\\Bob");
	ck_assert(!peer_may_signal(&alice, &p));
	p.user[0] = '\0';					/* unreadable */
	ck_assert(!peer_may_signal(&alice, &p));
	alice.user[0] = '\0';
	ck_assert(!peer_may_signal(&alice, &p));
	memset(&admin, 0, sizeof(admin));
	admin.admin = 1;
	ck_assert(peer_may_signal(&admin, &p));
	/* portd itself acts with its own rights. */
	peer_self(&admin);
	ck_assert_int_eq(admin.admin, 1);
	ck_assert_int_eq(admin.pid, backend_self_pid());
	ck_assert_msg(admin.user[0] != '\0', "no account for portd");
}
END_TEST

START_TEST(test_unit)
{
	char unit[64] = "x";

	/* Not a service. */
	backend_proc_unit(backend_self_pid(), unit, sizeof(unit));
	ck_assert_str_eq(unit, "");
}
END_TEST

int
main(int argc, char **argv)
{
	Suite *s = suite_create("backend_win");
	TCase *tc = tcase_create("backend_win");
	SRunner *sr;
	WSADATA wsa;
	int failed;

	if (argc == 2 && strcmp(argv[1], "--sleep") == 0) {
		Sleep(120000);		/* a kill target; never lingers */
		return 0;
	}
	WSAStartup(MAKEWORD(2, 2), &wsa);
	tcase_add_test(tc, test_sockets_seen);
	tcase_add_test(tc, test_snapshot_changes);
	tcase_add_test(tc, test_self_info);
	tcase_add_test(tc, test_kill_child);
	tcase_add_test(tc, test_protected);
	tcase_add_test(tc, test_kill_plan);
	tcase_add_test(tc, test_peer_may_signal);
	tcase_add_test(tc, test_unit);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
