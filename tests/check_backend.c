/*
 * check_backend.c - the Linux backend against real sockets this test
 * binds on loopback: rows and owners, netlink against /proc/net, in-kernel
 * port filters with several ranges, and the daemon's incremental owner
 * cache (a listener new in an existing process, a forked owner, an owner
 * that exits).
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <netinet/in.h>

#include <arpa/inet.h>
#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"

/* A listening (TCP) or bound (UDP) loopback socket on a free port. */
static int
bound_socket(int type, int family, uint16_t *port, uint64_t *inode)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	struct stat st;
	int fd;

	fd = socket(family, type | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*sin);
	} else {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = in6addr_loopback;
		len = sizeof(*sin6);
	}
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&ss, len), 0);
	if (type == SOCK_STREAM)
		ck_assert_int_eq(listen(fd, 8), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
	*port = ntohs(family == AF_INET ? sin->sin_port : sin6->sin6_port);
	ck_assert_int_eq(fstat(fd, &st), 0);
	*inode = st.st_ino;
	return fd;
}

static void
filter_ports(struct filter *f, const uint16_t *ports, size_t n)
{
	struct portspec ps;
	size_t i;

	filter_init(f);
	for (i = 0; i < n; i++) {
		memset(&ps, 0, sizeof(ps));
		ps.lo = ps.hi = ports[i];
		ps.protos = PD_TCP | PD_UDP;
		ck_assert_int_eq(filter_add(f, &ps), 0);
	}
}

static void
take(struct backend *b, const struct filter *f, struct snapshot *s)
{
	char err[256] = "";

	ck_assert_msg(backend_snapshot(b, f, s, err, sizeof(err)) == 0,
	    "snapshot: %s", err);
}

/* Rows of s with this inode; the owners' pids go to pids[]. */
static size_t
rows_for(const struct snapshot *s, uint64_t inode, int32_t *pids,
    size_t max)
{
	const struct proc_info *p;
	size_t i, n = 0;

	for (i = 0; i < s->nrows; i++) {
		if (s->rows[i].sock.inode != inode)
			continue;
		p = snapshot_row_proc(s, &s->rows[i]);
		if (n < max)
			pids[n] = p != NULL ? p->pid : 0;
		n++;
	}
	return n;
}

START_TEST(test_oneshot_rows)
{
	struct backend *b;
	struct snapshot s;
	struct filter f;
	const struct proc_info *p;
	uint16_t ports[4];
	uint64_t inodes[4];
	int fds[4], i;
	char err[256], comm[64] = "", exe[4096];
	FILE *fp;
	ssize_t n;
	static const int types[4] = { SOCK_STREAM, SOCK_STREAM, SOCK_DGRAM,
	    SOCK_DGRAM };
	static const int fams[4] = { AF_INET, AF_INET6, AF_INET, AF_INET6 };

	for (i = 0; i < 4; i++)
		fds[i] = bound_socket(types[i], fams[i], &ports[i], &inodes[i]);
	filter_ports(&f, ports, 4);
	b = backend_new(BACKEND_ONESHOT, err, sizeof(err));
	ck_assert_msg(b != NULL, "%s", err);
	ck_assert_str_eq(backend_source(b), "netlink");
	snapshot_init(&s);
	take(b, &f, &s);
	ck_assert_uint_eq(s.nrows, 4);
	fp = fopen("/proc/self/comm", "r");
	ck_assert_ptr_nonnull(fp);
	ck_assert_ptr_nonnull(fgets(comm, sizeof(comm), fp));
	fclose(fp);
	comm[strcspn(comm, "\n")] = '\0';
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	ck_assert_int_gt(n, 0);
	exe[n] = '\0';
	for (i = 0; i < 4; i++) {
		const struct listener *l = NULL;
		size_t j;

		for (j = 0; j < s.nrows; j++)
			if (s.rows[j].sock.inode == inodes[i])
				l = &s.rows[j];
		ck_assert_msg(l != NULL, "socket %d (port %u) missing", i,
		    ports[i]);
		ck_assert_uint_eq(l->sock.port, ports[i]);
		ck_assert_int_eq(l->sock.proto, types[i] == SOCK_STREAM ?
		    PD_TCP : PD_UDP);
		ck_assert_int_eq(l->sock.family, fams[i] == AF_INET ? PD_INET :
		    PD_INET6);
		ck_assert_int_eq(l->sock.state, types[i] == SOCK_STREAM ?
		    PD_LISTEN : PD_BOUND);
		ck_assert_uint_eq(l->sock.uid, geteuid());
		p = snapshot_row_proc(&s, l);
		ck_assert_ptr_nonnull(p);
		ck_assert_int_eq(p->pid, getpid());
		ck_assert_int_eq(p->ppid, getppid());
		ck_assert_str_eq(p->comm, comm);
		ck_assert_ptr_nonnull(p->exe);
		ck_assert_str_eq(p->exe, exe);
		ck_assert_uint_eq(p->uid, getuid());
		ck_assert_int_gt(p->started_ms, 0);
	}
	/* Rows of one process share one process entry. */
	ck_assert_uint_eq(s.nprocs, 1);
	snapshot_clear(&s);
	backend_free(b);
	for (i = 0; i < 4; i++)
		close(fds[i]);
}
END_TEST

/* /proc/net and netlink must agree on everything /proc/net can say. */
START_TEST(test_netlink_matches_procfs)
{
	struct backend *nl, *pf;
	struct snapshot a, b;
	struct filter f;
	uint16_t ports[3];
	uint64_t inodes[3];
	int fds[3], i;
	size_t j;
	char err[256];

	fds[0] = bound_socket(SOCK_STREAM, AF_INET, &ports[0], &inodes[0]);
	fds[1] = bound_socket(SOCK_STREAM, AF_INET6, &ports[1], &inodes[1]);
	fds[2] = bound_socket(SOCK_DGRAM, AF_INET, &ports[2], &inodes[2]);
	filter_ports(&f, ports, 3);
	nl = backend_new(BACKEND_ONESHOT, err, sizeof(err));
	pf = backend_new(BACKEND_ONESHOT | BACKEND_NO_NETLINK, err,
	    sizeof(err));
	ck_assert_ptr_nonnull(nl);
	ck_assert_ptr_nonnull(pf);
	ck_assert_str_eq(backend_source(pf), "procfs");
	snapshot_init(&a);
	snapshot_init(&b);
	take(nl, &f, &a);
	take(pf, &f, &b);
	ck_assert_uint_eq(a.nrows, 3);
	ck_assert_uint_eq(b.nrows, a.nrows);
	for (j = 0; j < a.nrows; j++) {
		const struct sock_info *x = &a.rows[j].sock, *y = &b.rows[j].sock;

		ck_assert_uint_eq(x->inode, y->inode);
		ck_assert_uint_eq(x->port, y->port);
		ck_assert_int_eq(x->proto, y->proto);
		ck_assert_int_eq(x->family, y->family);
		ck_assert_int_eq(x->state, y->state);
		ck_assert_int_eq(memcmp(x->addr, y->addr, 16), 0);
		ck_assert_uint_eq(x->uid, y->uid);
		ck_assert_int_eq(snapshot_row_proc(&a, &a.rows[j])->pid,
		    snapshot_row_proc(&b, &b.rows[j])->pid);
		/* Only netlink knows V6ONLY. */
		if (x->family == PD_INET6) {
			ck_assert_int_eq(x->v6only, 1);
			ck_assert_int_eq(y->v6only, -1);
		}
	}
	snapshot_clear(&a);
	snapshot_clear(&b);
	backend_free(nl);
	backend_free(pf);
	for (i = 0; i < 3; i++)
		close(fds[i]);
}
END_TEST

/* Several ranges in one filter: the bytecode must OR them. */
START_TEST(test_filter_ranges)
{
	struct backend *b;
	struct snapshot s;
	struct filter f;
	uint16_t ports[3], sel[2];
	uint64_t inodes[3];
	int fds[3], i, flags;
	int32_t pids[4];
	char err[256];

	for (i = 0; i < 3; i++)
		fds[i] = bound_socket(SOCK_STREAM, AF_INET, &ports[i],
		    &inodes[i]);
	sel[0] = ports[0];
	sel[1] = ports[2];
	for (flags = 0; flags <= BACKEND_NO_NETLINK; flags +=
	    BACKEND_NO_NETLINK) {
		filter_ports(&f, sel, 2);
		b = backend_new(BACKEND_ONESHOT | flags, err, sizeof(err));
		ck_assert_ptr_nonnull(b);
		snapshot_init(&s);
		take(b, &f, &s);
		ck_assert_uint_eq(s.nrows, 2);
		ck_assert_uint_eq(rows_for(&s, inodes[0], pids, 4), 1);
		ck_assert_uint_eq(rows_for(&s, inodes[1], pids, 4), 0);
		ck_assert_uint_eq(rows_for(&s, inodes[2], pids, 4), 1);
		/* UDP only: none of these TCP listeners. */
		f.protos = PD_UDP;
		take(b, &f, &s);
		ck_assert_uint_eq(s.nrows, 0);
		snapshot_clear(&s);
		backend_free(b);
	}
	for (i = 0; i < 3; i++)
		close(fds[i]);
}
END_TEST

/* A connected socket and an accepted one are never listeners. */
START_TEST(test_only_listeners)
{
	struct backend *b;
	struct snapshot s;
	struct filter f;
	struct sockaddr_in sin;
	uint16_t port;
	uint64_t inode;
	int lfd, cfd, afd;
	int32_t pids[4];
	char err[256];

	lfd = bound_socket(SOCK_STREAM, AF_INET, &port, &inode);
	cfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(port);
	ck_assert_int_eq(connect(cfd, (struct sockaddr *)&sin, sizeof(sin)),
	    0);
	afd = accept(lfd, NULL, NULL);
	ck_assert_int_ge(afd, 0);
	filter_ports(&f, &port, 1);
	b = backend_new(BACKEND_ONESHOT, err, sizeof(err));
	snapshot_init(&s);
	take(b, &f, &s);
	ck_assert_uint_eq(s.nrows, 1);
	ck_assert_uint_eq(rows_for(&s, inode, pids, 4), 1);
	snapshot_clear(&s);
	backend_free(b);
	close(afd);
	close(cfd);
	close(lfd);
}
END_TEST

/*
 * The daemon's cache: a listener that appears in a process the cache
 * already knows is still found; a forked child sharing it becomes a second
 * owner; when the child exits it is dropped; when the socket closes the
 * row goes away.
 */
START_TEST(test_incremental)
{
	struct backend *b;
	struct snapshot s;
	struct backend_stats st;
	uint16_t port;
	uint64_t inode;
	int32_t pids[4];
	int fd, status, i;
	pid_t child;
	char err[256];
	size_t n;
	uint64_t quiet;

	b = backend_new(0, err, sizeof(err));
	ck_assert_ptr_nonnull(b);
	backend_set_resync(b, 1000, 300000);
	snapshot_init(&s);
	take(b, NULL, &s);		/* this process is now known */
	take(b, NULL, &s);

	fd = bound_socket(SOCK_STREAM, AF_INET, &port, &inode);
	take(b, NULL, &s);
	ck_assert_uint_eq(rows_for(&s, inode, pids, 4), 1);
	ck_assert_int_eq(pids[0], getpid());

	if ((child = fork()) == 0) {
		pause();
		_exit(0);
	}
	ck_assert_int_gt(child, 0);
	/* The child is a new process: scanned on the next snapshot. */
	take(b, NULL, &s);
	n = rows_for(&s, inode, pids, 4);
	ck_assert_uint_eq(n, 2);
	ck_assert((pids[0] == getpid() && pids[1] == child) ||
	    (pids[1] == getpid() && pids[0] == child));

	kill(child, SIGKILL);
	ck_assert_int_eq(waitpid(child, &status, 0), child);
	take(b, NULL, &s);
	ck_assert_uint_eq(rows_for(&s, inode, pids, 4), 1);
	ck_assert_int_eq(pids[0], getpid());

	/*
	 * Nothing changed: no process is scanned again but those whose fd
	 * count changed (the count pass). Other processes on a busy machine
	 * start now and then (each is scanned once) and open and close
	 * files (counted apart, in count_rescans), so the quietest of a few
	 * snapshots counts; the resync is off for it.
	 */
	backend_set_resync(b, 1000, 0);
	for (i = 0, quiet = (uint64_t)-1; i < 10; i++) {
		backend_get_stats(b, &st);
		n = (size_t)(st.procs_scanned - st.count_rescans);
		take(b, NULL, &s);
		backend_get_stats(b, &st);
		if (st.procs_scanned - st.count_rescans - n < quiet)
			quiet = st.procs_scanned - st.count_rescans - n;
	}
	ck_assert_uint_eq(quiet, 0);

	close(fd);
	take(b, NULL, &s);
	ck_assert_uint_eq(rows_for(&s, inode, pids, 4), 0);
	snapshot_clear(&s);
	backend_free(b);
}
END_TEST

/* Sends fd over a Unix socket (SCM_RIGHTS). */
static void
send_fd(int via, int fd)
{
	struct msghdr msg;
	struct iovec iov;
	struct cmsghdr *cm;
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	char byte = 'x';

	memset(&msg, 0, sizeof(msg));
	memset(&u, 0, sizeof(u));
	iov.iov_base = &byte;
	iov.iov_len = 1;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = u.buf;
	msg.msg_controllen = sizeof(u.buf);
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	ck_assert_int_eq(sendmsg(via, &msg, 0), 1);
}

/* The child: receive one fd, say so, wait to be killed. */
static void
recv_fd_and_wait(int via)
{
	struct msghdr msg;
	struct iovec iov;
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	char byte;

	/* Set up (the parent's end closed): from here its count moves
	 * only with the fd it receives. */
	if (write(via, "r", 1) != 1)
		_exit(1);
	memset(&msg, 0, sizeof(msg));
	iov.iov_base = &byte;
	iov.iov_len = 1;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = u.buf;
	msg.msg_controllen = sizeof(u.buf);
	if (recvmsg(via, &msg, 0) != 1)
		_exit(1);
	if (write(via, "k", 1) != 1)
		_exit(1);
	for (;;)
		pause();
}

static int
has_pid(const int32_t *pids, size_t n, int32_t pid)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (pids[i] == pid)
			return 1;
	return 0;
}

/*
 * A socket handed from one known process to another (SCM_RIGHTS) changes
 * owner without any new process or new socket; the receiver's fd count
 * grew by one, so the next snapshot finds it (the background resync is
 * off: it plays no part), and once the sender closes its copy, its count
 * fell by one and it is no owner any more.
 */
START_TEST(test_handover)
{
	struct backend *b;
	struct snapshot s;
	uint16_t port;
	uint64_t inode;
	int32_t pids[4];
	int sv[2], fd, status;
	pid_t kid;
	char err[256], ack;
	size_t n;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	if ((kid = fork()) == 0) {
		close(sv[0]);
		recv_fd_and_wait(sv[1]);
	}
	ck_assert_int_gt(kid, 0);
	close(sv[1]);
	ck_assert_int_eq(read(sv[0], &ack, 1), 1);	/* set up */
	b = backend_new(0, err, sizeof(err));
	ck_assert_ptr_nonnull(b);
	backend_set_resync(b, 1000, 0);
	snapshot_init(&s);
	take(b, NULL, &s);		/* both processes are known */
	fd = bound_socket(SOCK_STREAM, AF_INET, &port, &inode);
	take(b, NULL, &s);
	ck_assert_uint_eq(rows_for(&s, inode, pids, 4), 1);
	ck_assert_int_eq(pids[0], getpid());

	send_fd(sv[0], fd);
	ck_assert_int_eq(read(sv[0], &ack, 1), 1);
	take(b, NULL, &s);		/* both hold it */
	n = rows_for(&s, inode, pids, 4);
	ck_assert_uint_eq(n, 2);
	ck_assert(has_pid(pids, n, getpid()) && has_pid(pids, n, kid));

	close(fd);			/* only the child holds it now */
	take(b, NULL, &s);
	ck_assert_uint_eq(rows_for(&s, inode, pids, 4), 1);
	ck_assert_int_eq(pids[0], kid);

	kill(kid, SIGKILL);
	ck_assert_int_eq(waitpid(kid, &status, 0), kid);
	close(sv[0]);
	snapshot_clear(&s);
	backend_free(b);
}
END_TEST

/*
 * A listener shared by fork. First the child exits and is not reaped yet
 * (a zombie, still in /proc): it holds nothing and leaves the row while
 * this process still holds the socket. Then a second child shares it and
 * this process closes its copy and lives on: only the child is listed.
 * Resync off, as above.
 */
START_TEST(test_zombie_and_parent_closes)
{
	struct backend *b;
	struct snapshot s;
	uint16_t port;
	uint64_t inode;
	int32_t pids[4];
	int fd, status, go[2];
	pid_t kid;
	char err[256], c;
	size_t n;

	b = backend_new(0, err, sizeof(err));
	ck_assert_ptr_nonnull(b);
	backend_set_resync(b, 1000, 0);
	snapshot_init(&s);
	take(b, NULL, &s);
	fd = bound_socket(SOCK_STREAM, AF_INET, &port, &inode);
	ck_assert_int_eq(pipe(go), 0);
	if ((kid = fork()) == 0) {
		close(go[1]);
		/* Exits when told: a zombie until the parent waits. */
		_exit(read(go[0], &c, 1) == 1 ? 0 : 1);
	}
	ck_assert_int_gt(kid, 0);
	close(go[0]);
	take(b, NULL, &s);
	n = rows_for(&s, inode, pids, 4);
	ck_assert_uint_eq(n, 2);
	ck_assert(has_pid(pids, n, getpid()) && has_pid(pids, n, kid));
	ck_assert_int_eq(write(go[1], "x", 1), 1);
	close(go[1]);
	ck_assert_int_eq(waitid(P_PID, (id_t)kid, NULL, WEXITED | WNOWAIT),
	    0);				/* exited, not reaped */
	take(b, NULL, &s);
	ck_assert_uint_eq(rows_for(&s, inode, pids, 4), 1);
	ck_assert_int_eq(pids[0], getpid());
	ck_assert_int_eq(waitpid(kid, &status, 0), kid);

	if ((kid = fork()) == 0) {
		pause();
		_exit(0);
	}
	ck_assert_int_gt(kid, 0);
	take(b, NULL, &s);
	ck_assert_uint_eq(rows_for(&s, inode, pids, 4), 2);
	close(fd);
	take(b, NULL, &s);
	ck_assert_uint_eq(rows_for(&s, inode, pids, 4), 1);
	ck_assert_int_eq(pids[0], kid);

	kill(kid, SIGKILL);
	ck_assert_int_eq(waitpid(kid, &status, 0), kid);
	snapshot_clear(&s);
	backend_free(b);
}
END_TEST

/*
 * A busy child (a server whose connections come and go): BUSY_FILES fds,
 * a copy of the listener lfd, and commands over via, each acked with one
 * byte: 'f' opens or closes one more fd (its count changes), 'c' closes
 * its copy of lfd and does an 'f', 'r' receives an fd (SCM_RIGHTS).
 */
#define BUSY_FILES	600

static void
busy_child(int via, int lfd)
{
	struct msghdr msg;
	struct iovec iov;
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	int i, extra = -1;
	char cmd;

	for (i = 0; i < BUSY_FILES; i++)
		if (open("/dev/null", O_RDONLY) == -1)
			_exit(1);
	while (read(via, &cmd, 1) == 1) {
		if (cmd == 'r') {
			memset(&msg, 0, sizeof(msg));
			iov.iov_base = &cmd;
			iov.iov_len = 1;
			msg.msg_iov = &iov;
			msg.msg_iovlen = 1;
			msg.msg_control = u.buf;
			msg.msg_controllen = sizeof(u.buf);
			if (recvmsg(via, &msg, 0) != 1)
				_exit(1);
		} else {
			if (cmd == 'c')
				close(lfd);
			if (extra == -1) {
				extra = open("/dev/null", O_RDONLY);
			} else {
				close(extra);
				extra = -1;
			}
		}
		if (write(via, "k", 1) != 1)
			_exit(1);
	}
	_exit(0);
}

static void
busy_cmd(int via, char cmd)
{
	char ack;

	ck_assert_int_eq(write(via, &cmd, 1), 1);
	ck_assert_int_eq(read(via, &ack, 1), 1);
}

/*
 * A process with many fds whose count changes at every snapshot is only
 * rescanned in full every few snapshots (BUSY_EVERY in backend_linux.c:
 * 8), but a listener copy it closes still leaves at once, and one it is
 * handed shows within those few snapshots. Resync off.
 */
START_TEST(test_busy_process)
{
	struct backend *b;
	struct backend_stats st;
	struct snapshot s;
	uint16_t port, port2;
	uint64_t inode, inode2;
	int32_t pids[4];
	int sv[2], fd, fd2, status, i;
	pid_t kid;
	char err[256];
	size_t n;

	fd = bound_socket(SOCK_STREAM, AF_INET, &port, &inode);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	if ((kid = fork()) == 0) {
		close(sv[0]);
		busy_child(sv[1], fd);
	}
	ck_assert_int_gt(kid, 0);
	close(sv[1]);
	b = backend_new(0, err, sizeof(err));
	ck_assert_ptr_nonnull(b);
	backend_set_resync(b, 1000, 0);
	snapshot_init(&s);
	busy_cmd(sv[0], 'f');		/* its fds are open */
	take(b, NULL, &s);
	n = rows_for(&s, inode, pids, 4);
	ck_assert_uint_eq(n, 2);
	ck_assert(has_pid(pids, n, getpid()) && has_pid(pids, n, kid));
	for (i = 0; i < 4; i++) {	/* busy now */
		busy_cmd(sv[0], 'f');
		take(b, NULL, &s);
	}
	backend_get_stats(b, &st);
	ck_assert_uint_gt(st.busy_deferred, 0);

	busy_cmd(sv[0], 'c');		/* closes its copy, count changes */
	take(b, NULL, &s);
	ck_assert_uint_eq(rows_for(&s, inode, pids, 4), 1);
	ck_assert_int_eq(pids[0], getpid());

	fd2 = bound_socket(SOCK_STREAM, AF_INET, &port2, &inode2);
	take(b, NULL, &s);
	for (i = 0; i < 4; i++) {	/* busy again */
		busy_cmd(sv[0], 'f');
		take(b, NULL, &s);
	}
	ck_assert_int_eq(write(sv[0], "r", 1), 1);
	send_fd(sv[0], fd2);
	ck_assert_int_eq(read(sv[0], err, 1), 1);
	for (i = 0; i < 10; i++) {
		busy_cmd(sv[0], 'f');
		take(b, NULL, &s);
		if (rows_for(&s, inode2, pids, 4) == 2)
			break;
	}
	n = rows_for(&s, inode2, pids, 4);
	ck_assert_uint_eq(n, 2);
	ck_assert(has_pid(pids, n, getpid()) && has_pid(pids, n, kid));

	close(sv[0]);
	ck_assert_int_eq(waitpid(kid, &status, 0), kid);
	close(fd);
	close(fd2);
	snapshot_clear(&s);
	backend_free(b);
}
END_TEST

/* Children that hold fds like real processes and wait to be killed. */
#define KIDS	96

static void
spawn_kids(pid_t *kids, int n, int last_fd)
{
	int i, j, ready[2];
	char c;

	/* Each child says when its descriptors are as the test expects:
	 * a scan before that could still find last_fd in a child that was
	 * about to close it. */
	ck_assert_int_eq(pipe(ready), 0);
	for (i = 0; i < n; i++) {
		if ((kids[i] = fork()) == 0) {
			close(ready[0]);
			for (j = 0; j < 16; j++)
				if (open("/dev/null", O_RDONLY) == -1)
					_exit(1);
			/* Only the last child keeps this one. */
			if (i != n - 1 && last_fd >= 0)
				close(last_fd);
			if (write(ready[1], "r", 1) != 1)
				_exit(1);
			close(ready[1]);
			for (;;)
				pause();
		}
		ck_assert_int_gt(kids[i], 0);
	}
	close(ready[1]);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(read(ready[0], &c, 1), 1);
	close(ready[0]);
}

static void
reap_kids(const pid_t *kids, int n)
{
	int i, status;

	for (i = 0; i < n; i++) {
		kill(kids[i], SIGKILL);
		waitpid(kids[i], &status, 0);
	}
}

/*
 * A one-shot snapshot spreads the fd scan over threads when there are
 * enough processes: every owner must still be found, the same ones the
 * daemon's serial first scan finds. Nearly a hundred children share one
 * listener; only the last child holds a second one.
 */
START_TEST(test_threaded_scan)
{
	struct backend *one, *serial;
	struct snapshot a, b;
	struct filter f;
	uint16_t ports[2];
	uint64_t inodes[2];
	int32_t pa[KIDS + 8], pb[KIDS + 8];
	pid_t kids[KIDS];
	int fds[2], i;
	size_t na, nb;
	char err[256];

	fds[0] = bound_socket(SOCK_STREAM, AF_INET, &ports[0], &inodes[0]);
	fds[1] = bound_socket(SOCK_STREAM, AF_INET6, &ports[1], &inodes[1]);
	spawn_kids(kids, KIDS, fds[1]);
	close(fds[1]);
	filter_ports(&f, ports, 2);
	one = backend_new(BACKEND_ONESHOT, err, sizeof(err));
	serial = backend_new(0, err, sizeof(err));
	ck_assert_ptr_nonnull(one);
	ck_assert_ptr_nonnull(serial);
	snapshot_init(&a);
	snapshot_init(&b);
	take(one, &f, &a);
	take(serial, &f, &b);

	na = rows_for(&a, inodes[0], pa, KIDS + 8);
	nb = rows_for(&b, inodes[0], pb, KIDS + 8);
	ck_assert_uint_eq(na, KIDS + 1);
	ck_assert_uint_eq(nb, na);
	ck_assert(has_pid(pa, na, getpid()));
	for (i = 0; i < KIDS; i++) {
		ck_assert_msg(has_pid(pa, na, kids[i]), "child %d missing", i);
		ck_assert(has_pid(pb, nb, kids[i]));
	}
	ck_assert_uint_eq(rows_for(&a, inodes[1], pa, 4), 1);
	ck_assert_int_eq(pa[0], kids[KIDS - 1]);
	ck_assert_uint_eq(rows_for(&b, inodes[1], pb, 4), 1);
	ck_assert_int_eq(pb[0], kids[KIDS - 1]);

	reap_kids(kids, KIDS);
	snapshot_clear(&a);
	snapshot_clear(&b);
	backend_free(one);
	backend_free(serial);
	close(fds[0]);
}
END_TEST

/*
 * backend_snapshot_changes: rows when something changed, 1 (and out left
 * alone) when nothing did. Other processes on the machine may bind while
 * this runs, so "nothing changed" is only required to come eventually.
 */
START_TEST(test_snapshot_changes)
{
	struct backend *b;
	struct snapshot s;
	uint16_t port;
	uint64_t inode;
	int32_t pids[4];
	int fd, r, tries;
	char err[256];

	b = backend_new(0, err, sizeof(err));
	ck_assert_ptr_nonnull(b);
	backend_set_resync(b, 1000, 300000);
	snapshot_init(&s);
	ck_assert_int_eq(backend_snapshot_changes(b, &s, err, sizeof(err)), 0);
	for (tries = 0, r = 0; tries < 50 && r != 1; tries++)
		r = backend_snapshot_changes(b, &s, err, sizeof(err));
	ck_assert_int_eq(r, 1);

	fd = bound_socket(SOCK_STREAM, AF_INET, &port, &inode);
	ck_assert_int_eq(backend_snapshot_changes(b, &s, err, sizeof(err)), 0);
	ck_assert_uint_eq(rows_for(&s, inode, pids, 4), 1);
	ck_assert_int_eq(pids[0], getpid());
	/* out untouched when nothing changed: the row is still there. */
	for (tries = 0, r = 0; tries < 50 && r != 1; tries++)
		r = backend_snapshot_changes(b, &s, err, sizeof(err));
	ck_assert_int_eq(r, 1);
	ck_assert_uint_eq(rows_for(&s, inode, pids, 4), 1);

	close(fd);
	ck_assert_int_eq(backend_snapshot_changes(b, &s, err, sizeof(err)), 0);
	ck_assert_uint_eq(rows_for(&s, inode, pids, 4), 0);
	snapshot_clear(&s);
	backend_free(b);
}
END_TEST

/*
 * A quiet system lets portd skip listing /proc (nothing was forked or
 * reaped): a process forked after a run of quiet snapshots must still be
 * found on the next one, and dropped once it is reaped.
 */
START_TEST(test_quiet_then_fork)
{
	struct backend *b;
	struct snapshot s;
	uint16_t port;
	uint64_t inode;
	int32_t pids[4];
	int fd, i, status, sv[2];
	pid_t kid;
	char err[256];

	b = backend_new(0, err, sizeof(err));
	ck_assert_ptr_nonnull(b);
	backend_set_resync(b, 1000, 0);
	snapshot_init(&s);
	for (i = 0; i < 5; i++)
		take(b, NULL, &s);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	if ((kid = fork()) == 0) {
		close(sv[0]);
		fd = bound_socket(SOCK_STREAM, AF_INET, &port, &inode);
		if (fd < 0 ||
		    write(sv[1], &port, sizeof(port)) != sizeof(port) ||
		    write(sv[1], &inode, sizeof(inode)) != sizeof(inode))
			_exit(1);
		for (;;)
			pause();
	}
	ck_assert_int_gt(kid, 0);
	close(sv[1]);
	ck_assert_int_eq(read(sv[0], &port, sizeof(port)), sizeof(port));
	ck_assert_int_eq(read(sv[0], &inode, sizeof(inode)), sizeof(inode));
	take(b, NULL, &s);
	ck_assert_uint_eq(rows_for(&s, inode, pids, 4), 1);
	ck_assert_int_eq(pids[0], kid);
	for (i = 0; i < 3; i++)
		take(b, NULL, &s);
	ck_assert_uint_eq(rows_for(&s, inode, pids, 4), 1);
	ck_assert_int_eq(pids[0], kid);
	kill(kid, SIGKILL);
	ck_assert_int_eq(waitpid(kid, &status, 0), kid);
	take(b, NULL, &s);
	ck_assert_uint_eq(rows_for(&s, inode, pids, 4), 0);
	close(sv[0]);
	snapshot_clear(&s);
	backend_free(b);
}
END_TEST

static Suite *
backend_suite(void)
{
	Suite *s = suite_create("backend_linux");
	TCase *tc = tcase_create("real sockets");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_oneshot_rows);
	tcase_add_test(tc, test_netlink_matches_procfs);
	tcase_add_test(tc, test_filter_ranges);
	tcase_add_test(tc, test_only_listeners);
	tcase_add_test(tc, test_incremental);
	tcase_add_test(tc, test_handover);
	tcase_add_test(tc, test_zombie_and_parent_closes);
	tcase_add_test(tc, test_busy_process);
	tcase_add_test(tc, test_threaded_scan);
	tcase_add_test(tc, test_snapshot_changes);
	tcase_add_test(tc, test_quiet_then_fork);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(backend_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
