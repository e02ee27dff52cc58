/*
 * backend_darwin.c - the macOS backend: sockets and their owners from
 * libproc (proc_listpids, proc_pidinfo PROC_PIDLISTFDS, proc_pidfdinfo
 * PROC_PIDFDSOCKETINFO), process details from PROC_PIDTBSDINFO and
 * proc_pidpath.
 *
 * System calls only: the records are copied into the portable mirrors of
 * decode_darwin.h and decoded there (tested on every host).
 *
 * macOS has no socket table that names owners, so every snapshot walks
 * every process's descriptors: the list of pids, each one's fd list, and
 * one PROC_PIDFDSOCKETINFO per socket descriptor. Each fd listing names
 * its process directly, so there is no inode -> owner search and nothing
 * to cache between snapshots (backend_set_resync is a no-op). A socket
 * shared by several processes yields one row per process; one held twice
 * by the same process (dup) yields one row.
 *
 * What cannot be seen: without root, PROC_PIDLISTFDS fails with EPERM
 * for other users' processes, and their sockets are then not known to
 * exist at all, so, unlike on Linux, no row says "owner not visible":
 * those listeners are simply absent.
 *
 * Compiled and linked for x86_64 and arm64 by `make macos` (Zig's
 * toolchain on Linux); never run here.
 */
#include <sys/types.h>
#include <sys/proc_info.h>
#include <sys/socket.h>
#include <sys/sysctl.h>

#include <netinet/in.h>

#include <errno.h>
#include <libproc.h>
#include <pwd.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"
#include "decode_darwin.h"

/* The SDK's values must be the ones decode_darwin.c was tested with. */
_Static_assert(AF_INET == DARWIN_AF_INET, "AF_INET");
_Static_assert(AF_INET6 == DARWIN_AF_INET6, "AF_INET6");
_Static_assert(IPPROTO_TCP == DARWIN_IPPROTO_TCP, "IPPROTO_TCP");
_Static_assert(IPPROTO_UDP == DARWIN_IPPROTO_UDP, "IPPROTO_UDP");
_Static_assert(SOCKINFO_GENERIC == DARWIN_SOCKINFO_GENERIC, "GENERIC");
_Static_assert(SOCKINFO_IN == DARWIN_SOCKINFO_IN, "SOCKINFO_IN");
_Static_assert(SOCKINFO_TCP == DARWIN_SOCKINFO_TCP, "SOCKINFO_TCP");
_Static_assert(INI_IPV4 == DARWIN_INI_IPV4, "INI_IPV4");
_Static_assert(INI_IPV6 == DARWIN_INI_IPV6, "INI_IPV6");
_Static_assert(TSI_S_LISTEN == DARWIN_TSI_S_LISTEN, "TSI_S_LISTEN");
_Static_assert(TSI_S_RESERVED == DARWIN_TSI_S_RESERVED, "TSI_S_RESERVED");
_Static_assert(PROX_FDTYPE_SOCKET == DARWIN_PROX_FDTYPE_SOCKET, "FDTYPE");
_Static_assert(SZOMB == DARWIN_SZOMB, "SZOMB");
_Static_assert(MAXCOMLEN == DARWIN_MAXCOMLEN, "MAXCOMLEN");
_Static_assert(sizeof(struct proc_fdinfo) == 8, "proc_fdinfo");
_Static_assert(sizeof(((struct in_sockinfo *)0)->insi_laddr) == 16,
    "insi_laddr");
/* decode_darwin_socket_fds reads proc_fdinfo as two 32-bit fields. */
_Static_assert(offsetof(struct proc_fdinfo, proc_fdtype) == 4, "fdtype");

struct backend {
	int flags;
	int *pids;			/* proc_listpids */
	size_t cappids;
	unsigned char *fdbuf;		/* PROC_PIDLISTFDS */
	size_t capfdbuf;
	int32_t *sockfds;		/* its socket fds */
	size_t capsockfds;
	struct sock_info *seen;		/* one process's rows, for dups */
	size_t nseen, capseen;
	struct snapshot last;		/* backend_snapshot_changes' last */
	struct snapshot scratch;	/*   answer, and the next one */
	int have_last;			/* last was returned once */
	struct backend_stats stats;
};

/* ---- processes ------------------------------------------------------- */

/* PROC_PIDTBSDINFO into the mirror. 0, or -1 with errno set. */
static int
read_bsdinfo(int32_t pid, struct darwin_proc *dp)
{
	struct proc_bsdinfo bi;
	int n;

	memset(&bi, 0, sizeof(bi));
	n = proc_pidinfo((int)pid, PROC_PIDTBSDINFO, 0, &bi, sizeof(bi));
	if (n <= 0)
		return -1;	/* errno: ESRCH gone, EPERM not ours */
	if ((size_t)n < sizeof(bi)) {
		errno = ESRCH;
		return -1;
	}
	memset(dp, 0, sizeof(*dp));
	dp->pid = bi.pbi_pid;
	dp->ppid = bi.pbi_ppid;
	dp->status = bi.pbi_status;
	dp->ruid = bi.pbi_ruid;
	dp->svuid = bi.pbi_svuid;
	memcpy(dp->comm, bi.pbi_comm, sizeof(dp->comm));
	memcpy(dp->name, bi.pbi_name, sizeof(dp->name));
	dp->start_sec = bi.pbi_start_tvsec;
	dp->start_usec = bi.pbi_start_tvusec;
	return 0;
}

void
backend_user_name(uint32_t uid, char *buf, size_t len)
{
	struct passwd pw, *res = NULL;
	char tmp[1024];

	if (getpwuid_r((uid_t)uid, &pw, tmp, sizeof(tmp), &res) == 0 &&
	    res != NULL)
		snprintf(buf, len, "%s", pw.pw_name);
	else
		snprintf(buf, len, "%u", (unsigned)uid);
}

int
backend_proc_info(int32_t pid, struct proc_info *out)
{
	struct darwin_proc dp;
	char path[PROC_PIDPATHINFO_MAXSIZE];

	memset(out, 0, sizeof(*out));
	if (pid <= 0 || read_bsdinfo(pid, &dp) == -1 ||
	    decode_darwin_proc(&dp, out) == -1 || out->pid != pid) {
		memset(out, 0, sizeof(*out));
		return -1;
	}
	backend_user_name(out->uid, out->user, sizeof(out->user));
	if (proc_pidpath((int)pid, path, sizeof(path)) > 0)
		out->exe = strdup(path);
	return 0;
}

/*
 * The launchd job label, from the XPC_SERVICE_NAME launchd puts in a
 * job's environment (sysctl KERN_PROCARGS2: one call, root needed for
 * other users' processes). "" when there is none or it cannot be read.
 */
void
backend_proc_unit(int32_t pid, char *buf, size_t len)
{
	int mib[3] = { CTL_KERN, KERN_PROCARGS2, (int)pid };
	size_t size = 0;
	char *args;

	if (len > 0)
		buf[0] = '\0';
	if (pid <= 0 || sysctl(mib, 3, NULL, &size, NULL, 0) == -1 ||
	    size == 0 || (args = malloc(size)) == NULL)
		return;
	if (sysctl(mib, 3, args, &size, NULL, 0) == 0)
		decode_darwin_launchd_label(args, size, buf, len);
	free(args);
}

int32_t
backend_self_pid(void)
{
	return (int32_t)getpid();
}

/* Every pid, into b->pids; returns how many, or -1 with err set. */
static long
list_pids(struct backend *b, char *err, size_t errlen)
{
	int n;

	for (;;) {
		/* With no buffer, the size needed now; ask for room to
		 * spare, as processes start meanwhile. */
		n = proc_listpids(PROC_ALL_PIDS, 0, NULL, 0);
		if (n <= 0) {
			snprintf(err, errlen, "proc_listpids: %s",
			    strerror(errno));
			return -1;
		}
		if (vec_grow((void **)&b->pids, &b->cappids,
		    (size_t)n / sizeof(int) + 256, sizeof(int)) == -1) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		n = proc_listpids(PROC_ALL_PIDS, 0, b->pids,
		    (int)(b->cappids * sizeof(int)));
		if (n < 0) {
			snprintf(err, errlen, "proc_listpids: %s",
			    strerror(errno));
			return -1;
		}
		/* A full buffer may have been cut short: grow, retry. */
		if ((size_t)n < b->cappids * sizeof(int))
			return n / (long)sizeof(int);
		b->cappids *= 2;
	}
}

/*
 * One process's socket fds into b->sockfds; returns how many, 0 when it
 * is gone or holds none, -1 when its fds may not be read (EPERM).
 */
static long
list_socket_fds(struct backend *b, int32_t pid)
{
	int n;

	for (;;) {
		errno = 0;	/* 0 with no error: no descriptors */
		n = proc_pidinfo((int)pid, PROC_PIDLISTFDS, 0, NULL, 0);
		if (n <= 0)
			return errno == EPERM ? -1 : 0;
		if (vec_grow((void **)&b->fdbuf, &b->capfdbuf,
		    (size_t)n + 32 * sizeof(struct proc_fdinfo), 1) == -1)
			return 0;
		errno = 0;
		n = proc_pidinfo((int)pid, PROC_PIDLISTFDS, 0, b->fdbuf,
		    (int)b->capfdbuf);
		if (n <= 0)
			return errno == EPERM ? -1 : 0;
		if ((size_t)n < b->capfdbuf)
			break;
		b->capfdbuf *= 2;	/* filled: there may be more */
	}
	b->stats.fds_read += (uint64_t)n / sizeof(struct proc_fdinfo);
	if (vec_grow((void **)&b->sockfds, &b->capsockfds,
	    (size_t)n / sizeof(struct proc_fdinfo), sizeof(int32_t)) == -1)
		return 0;
	return (long)decode_darwin_socket_fds(b->fdbuf, (size_t)n,
	    b->sockfds, b->capsockfds);
}

/* PROC_PIDFDSOCKETINFO into the mirror; -1 when the fd is gone. */
static int
read_socket(int32_t pid, int32_t fd, struct darwin_sock *ds)
{
	struct socket_fdinfo sfi;
	const struct in_sockinfo *ini;
	uint16_t port;
	int n;

	n = proc_pidfdinfo((int)pid, (int)fd, PROC_PIDFDSOCKETINFO, &sfi,
	    sizeof(sfi));
	if (n < (int)sizeof(sfi))
		return -1;
	memset(ds, 0, sizeof(*ds));
	ds->so = sfi.psi.soi_so;
	ds->pcb = sfi.psi.soi_pcb;
	ds->family = sfi.psi.soi_family;
	ds->protocol = sfi.psi.soi_protocol;
	ds->kind = sfi.psi.soi_kind;
	ds->uid = sfi.psi.soi_stat.vst_uid;
	if (ds->kind != SOCKINFO_IN && ds->kind != SOCKINFO_TCP)
		return 0;
	ini = ds->kind == SOCKINFO_TCP ? &sfi.psi.soi_proto.pri_tcp.tcpsi_ini :
	    &sfi.psi.soi_proto.pri_in;
	ds->vflag = ini->insi_vflag;
	ds->flags = ini->insi_flags;
	/* in_port_t in network order, widened to int: keep its bytes. */
	port = (uint16_t)ini->insi_lport;
	memcpy(ds->lport, &port, 2);
	port = (uint16_t)ini->insi_fport;
	memcpy(ds->fport, &port, 2);
	memcpy(ds->laddr, &ini->insi_laddr, 16);
	memcpy(ds->faddr, &ini->insi_faddr, 16);
	ds->ifindex = ini->insi_v6.in6_ifindex;
	if (ds->kind == SOCKINFO_TCP)
		ds->tcp_state = sfi.psi.soi_proto.pri_tcp.tcpsi_state;
	return 0;
}

/* Whether this process already gave a row for the same socket. */
static int
seen_before(const struct backend *b, const struct sock_info *si)
{
	size_t i;

	for (i = 0; i < b->nseen; i++) {
		if (si->inode != 0 ? b->seen[i].inode == si->inode :
		    memcmp(&b->seen[i], si, sizeof(*si)) == 0)
			return 1;
	}
	return 0;
}

/*
 * Walks every process. Rows carry the holder's pid in sock.pid (the fd
 * listing names it). With with_owners set, rows get their owner (details
 * read once per process holding a listener); without, they have proc -1
 * and reason PD_OWNER_NONE.
 */
static int
walk(struct backend *b, const struct filter *f, struct snapshot *out,
    int with_owners, char *err, size_t errlen)
{
	struct darwin_sock ds;
	struct sock_info si;
	struct proc_info info;
	long npids, nfds, i, j;
	int32_t pid;
	int idx, r;
	char derr[128];

	if ((npids = list_pids(b, err, errlen)) == -1)
		return -1;
	for (i = 0; i < npids; i++) {
		if ((pid = b->pids[i]) <= 0)
			continue;	/* 0: the kernel, no fds */
		b->stats.procs_scanned++;
		if ((nfds = list_socket_fds(b, pid)) <= 0)
			continue;	/* gone, none, or EPERM: unseen */
		b->nseen = 0;
		idx = -1;
		for (j = 0; j < nfds; j++) {
			if (read_socket(pid, b->sockfds[j], &ds) == -1)
				continue;	/* closed meanwhile */
			/* A record that contradicts itself is skipped:
			 * one odd socket must not cost the snapshot. */
			r = decode_darwin_socket(&ds, &si, derr, sizeof(derr));
			if (r != 1)
				continue;
			si.pid = pid;
			if ((f != NULL && !filter_match(f, &si)) ||
			    seen_before(b, &si))
				continue;
			if (vec_grow((void **)&b->seen, &b->capseen,
			    b->nseen + 1, sizeof(*b->seen)) == -1)
				goto nomem;
			b->seen[b->nseen++] = si;
			if (!with_owners) {
				if (snapshot_add_row(out, &si, -1,
				    PD_OWNER_NONE) == NULL)
					goto nomem;
				continue;
			}
			if (idx == -1) {
				if (backend_proc_info(pid, &info) == -1)
					break;	/* exited meanwhile */
				idx = snapshot_add_proc(out, &info);
				proc_info_clear(&info);
				if (idx < 0)
					goto nomem;
			}
			if (snapshot_add_row(out, &si, idx, PD_OWNER_OK) ==
			    NULL)
				goto nomem;
		}
	}
	b->stats.full_scans++;
	snapshot_sort(out);
	return 0;
nomem:
	snprintf(err, errlen, "out of memory");
	return -1;
}

/* ---- the contract ---------------------------------------------------- */

struct backend *
backend_new(int flags, char *err, size_t errlen)
{
	struct backend *b;

	if ((b = calloc(1, sizeof(*b))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	b->flags = flags;
	snapshot_init(&b->last);
	snapshot_init(&b->scratch);
	return b;
}

void
backend_free(struct backend *b)
{
	if (b == NULL)
		return;
	free(b->pids);
	free(b->fdbuf);
	free(b->sockfds);
	free(b->seen);
	snapshot_clear(&b->last);
	snapshot_clear(&b->scratch);
	free(b);
}

const char *
backend_source(const struct backend *b)
{
	(void)b;
	return "libproc";
}

void
backend_get_stats(const struct backend *b, struct backend_stats *st)
{
	*st = b->stats;
	st->cache_inodes = 0;		/* nothing is cached */
	st->cache_unowned = 0;
}

void
backend_set_resync(struct backend *b, uint32_t interval_ms,
    uint32_t resync_ms)
{
	/* Every snapshot reads every process: nothing to resync. */
	(void)b;
	(void)interval_ms;
	(void)resync_ms;
}

int
backend_sockets(struct backend *b, const struct filter *f,
    struct snapshot *out, char *err, size_t errlen)
{
	snapshot_clear(out);
	if (walk(b, f, out, 0, err, errlen) == -1) {
		snapshot_clear(out);
		return -1;
	}
	return 0;
}

int
backend_snapshot(struct backend *b, const struct filter *f,
    struct snapshot *out, char *err, size_t errlen)
{
	snapshot_clear(out);
	if (walk(b, f, out, 1, err, errlen) == -1) {
		snapshot_clear(out);
		return -1;
	}
	b->stats.snapshots++;
	return 0;
}

static int
str_eq(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Whether two sorted snapshots hold the same rows, to the last field. */
static int
rows_equal(const struct snapshot *a, const struct snapshot *b)
{
	const struct listener *la, *lb;
	const struct proc_info *pa, *pb;
	size_t i;

	if (a->nrows != b->nrows)
		return 0;
	for (i = 0; i < a->nrows; i++) {
		la = &a->rows[i];
		lb = &b->rows[i];
		pa = snapshot_row_proc(a, la);
		pb = snapshot_row_proc(b, lb);
		if (listener_cmp(la, pa, lb, pb) != 0 ||
		    la->reason != lb->reason ||
		    memcmp(&la->sock, &lb->sock, sizeof(la->sock)) != 0 ||
		    (pa == NULL) != (pb == NULL))
			return 0;
		if (pa != NULL && (pa->ppid != pb->ppid ||
		    pa->uid != pb->uid || pa->suid != pb->suid ||
		    strcmp(pa->comm, pb->comm) != 0 ||
		    strcmp(pa->user, pb->user) != 0 ||
		    !str_eq(pa->exe, pb->exe)))
			return 0;
	}
	return 1;
}

/* dst (cleared first) becomes a copy of src; 0 or -1. */
static int
copy_snapshot(struct snapshot *dst, const struct snapshot *src)
{
	size_t i;

	snapshot_clear(dst);
	for (i = 0; i < src->nprocs; i++)
		if (snapshot_add_proc(dst, &src->procs[i]) != (int)i)
			return -1;
	for (i = 0; i < src->nrows; i++)
		if (snapshot_add_row(dst, &src->rows[i].sock,
		    src->rows[i].proc, src->rows[i].reason) == NULL)
			return -1;
	return 0;
}

/*
 * Every tick walks every process anyway (nothing is cached), so this only
 * spares the caller the diff: the new rows are compared with the last
 * ones returned.
 */
int
backend_snapshot_changes(struct backend *b, struct snapshot *out, char *err,
    size_t errlen)
{
	struct snapshot tmp;

	if (backend_snapshot(b, NULL, &b->scratch, err, errlen) == -1)
		return -1;
	if (b->have_last && rows_equal(&b->scratch, &b->last))
		return 1;
	if (copy_snapshot(out, &b->scratch) == -1) {
		snapshot_clear(out);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	tmp = b->last;
	b->last = b->scratch;
	b->scratch = tmp;
	snapshot_clear(&b->scratch);
	b->have_last = 1;
	return 0;
}

/* ---- signals --------------------------------------------------------- */

int
backend_has_signals(void)
{
	return 1;
}

int
backend_proc_alive(const struct proc_info *p)
{
	struct darwin_proc dp;

	return read_bsdinfo(p->pid, &dp) == 0 &&
	    decode_darwin_same_process(&dp, p->pid, p->start_time);
}

/*
 * Whether the process pid holds one of held's sockets, from its own
 * descriptors (PROC_PIDLISTFDS, then each socket's PROC_PIDFDSOCKETINFO;
 * the socket's kernel address is its inode): 1 yes, 0 no, -1 they may
 * not be read (EPERM) or out of memory.
 */
static int
holds_any(int32_t pid, const struct sock_info *held, size_t nheld)
{
	struct darwin_sock ds;
	struct sock_info si;
	struct backend *b;
	char derr[128];
	long nfds, j;
	size_t i;
	int found = 0;

	if ((b = backend_new(BACKEND_ONESHOT, derr, sizeof(derr))) == NULL)
		return -1;
	if ((nfds = list_socket_fds(b, pid)) == -1) {
		backend_free(b);
		errno = EPERM;
		return -1;
	}
	for (j = 0; j < nfds && !found; j++) {
		if (read_socket(pid, b->sockfds[j], &ds) == -1 ||
		    decode_darwin_socket(&ds, &si, derr, sizeof(derr)) != 1)
			continue;
		for (i = 0; i < nheld && !found; i++)
			found = held[i].inode != 0 ? held[i].inode == si.inode :
			    held[i].proto == si.proto &&
			    held[i].family == si.family &&
			    held[i].port == si.port &&
			    memcmp(held[i].addr, si.addr, 16) == 0;
	}
	backend_free(b);
	return found;
}

int
backend_signal(const struct proc_info *p, const struct sock_info *held,
    size_t nheld, int sig, char *err, size_t errlen)
{
	struct darwin_proc dp;
	int holds;

	if (proc_never_signal(p, backend_self_pid()))
		return SIG_PROTECTED;
	/*
	 * macOS has no pidfd: the start time is checked right before
	 * kill(2), by pid. The window between the two is small (a pid must
	 * be freed, reaped and reused within it) but not zero.
	 */
	if (read_bsdinfo(p->pid, &dp) == -1) {
		if (errno == EPERM)
			return SIG_DENIED;
		return SIG_GONE;
	}
	if (!decode_darwin_same_process(&dp, p->pid, p->start_time))
		return dp.status == DARWIN_SZOMB ||
		    (int32_t)dp.pid != p->pid ? SIG_GONE : SIG_REUSED;
	/* The gate: its descriptors now; the start time is checked again
	 * after them, so they were that process's. */
	if (held != NULL) {
		if ((holds = holds_any(p->pid, held, nheld)) == -1) {
			if (errno == EPERM)
				return SIG_DENIED;
			snprintf(err, errlen, "its descriptors could not be "
			    "read");
			return SIG_FAILED;
		}
		if (read_bsdinfo(p->pid, &dp) == -1 ||
		    !decode_darwin_same_process(&dp, p->pid, p->start_time))
			return SIG_GONE;
		if (!holds)
			return SIG_NOT_HOLDER;
	}
	if (kill((pid_t)p->pid, sig) == 0)
		return SIG_SENT;
	if (errno == ESRCH)
		return SIG_GONE;
	if (errno == EPERM)
		return SIG_DENIED;
	snprintf(err, errlen, "%s", strerror(errno));
	return SIG_FAILED;
}
