/*
 * backend_linux.c - the Linux backend: sockets from NETLINK_SOCK_DIAG
 * (/proc/net as fallback), owners from /proc/PID/fd.
 *
 * System calls only; the bytes and text are decoded in decode_linux.c.
 *
 * Owner resolution is incremental. The backend keeps, between snapshots,
 *  - an inode table: every listening socket of the last dump and the pids
 *    holding it, or the memory that no visible process holds it (pid 1's
 *    fds answer EACCES even to root: without that memory every tick would
 *    rescan every process), and
 *  - a process table: every pid in /proc with the inode of its /proc
 *    directory, which changes when the pid is reused, its number of open
 *    fds when last scanned, and its fd directory kept open (held_max).
 * A snapshot drains the kernel's process events (the proc connector:
 * exec, uid or comm change and exit of an owner mark it for a rescan and
 * a fresh read of its details), dumps the sockets, lists /proc (names
 * only; skipped when /proc/loadavg says no task was created or reaped),
 * and scans the fd directories of processes not seen before, of those
 * the events marked, a resync slice, and of every process whose fd count
 * changed (the count pass: one fstat each; it sees SCM_RIGHTS receipt, a
 * holder's close, bind+listen+fork in a known process, and zombies,
 * whose fd directory is empty; a busy process, whose count changes at
 * every snapshot, is read in full only every BUSY_EVERY snapshots, its
 * listeners' fds in between). Then it searches for the owners of
 * sockets still nobody's: first among processes that already hold
 * listeners, then recently started ones, then, only if that fails, every
 * process. In a steady state that is one dump, the events, one fstat per
 * process and the slice. Without the connector (another network
 * namespace; before Linux 6.6 without CAP_NET_ADMIN), owners' comm and
 * exe are compared in slices (detail_slice) to notice an exec. A
 * BACKEND_ONESHOT backend starts empty, keeps nothing open and subscribes
 * to nothing, so its one snapshot scans every process once.
 */
#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"
#include "decode_linux.h"

#define NL_BUFSZ	(64 * 1024)
#define DENTS_BUFSZ	(32 * 1024)
#define BC_MAX_RANGES	16
#define SCAN_MAX_THREADS	8	/* a one-shot scan's threads, at most */
#define SCAN_PAR_MIN	64	/* fewer processes: not worth a thread */
#define SCAN_CHUNK	4	/* processes a thread takes at a time */
#define LIST_MAX_SKIPS	9	/* list /proc at least every 10th snapshot */
#define HELD_MAX	65536	/* fd directories kept open, at most */
#define DETAIL_SLICE	64	/* owners re-read per snapshot without events */
#define CN_RCVBUF	(4 << 20)	/* the proc connector's receive buffer */
#define BUSY_FDS	512	/* fewer fds: rescan at every count change */
#define BUSY_AFTER	3	/* count changed this many snapshots in a row */
#define BUSY_EVERY	8	/* then rescan it in full every 8th at most */

enum ent_state {
	ENT_SEARCH = 0,		/* no owner known yet: look for one */
	ENT_OWNED,		/* owners known */
	ENT_UNOWNED,		/* searched everything; remember, do not rescan */
};

/* One listening socket of the last dump. key must stay first. */
struct inode_ent {
	uint64_t key;		/* socket inode */
	int32_t *pids;
	uint32_t npids, cappids;
	uint8_t state;		/* enum ent_state */
	uint8_t reason;		/* enum pd_reason when ENT_UNOWNED */
	uint8_t present;	/* drop_vanished: still in the table */
};

/* An fd that named a listener at a process's last full scan. */
struct lfd {
	int32_t fd;
	uint64_t inode;
};

/* One process in /proc. key must stay first. */
struct proc_ent {
	uint64_t key;		/* pid */
	uint64_t dino;		/* inode of /proc/PID: new after pid reuse */
	uint8_t fresh;		/* not seen before: scan it */
	uint8_t scanned;	/* scanned during this snapshot */
	uint32_t scan_pass;	/* the pass that scanned it last */
	uint8_t denied;		/* its fds could not be read */
	uint8_t has_info;
	uint8_t owns;		/* held a listener at the last snapshot */
	uint8_t recheck;	/* an event says: rescan, re-read details */
	uint8_t churn;		/* snapshots in a row its count changed */
	uint8_t deferred;	/* full rescans put off in a row (busy) */
	uint8_t lfds_lost;	/* out of memory: lfds is incomplete */
	int fdfd;		/* /proc/PID/fd kept open, or -1 */
	struct lfd *lfds;	/* its listeners' fds at the last scan */
	uint32_t nlfds, caplfds;
	uint64_t first_seen;	/* snapshot number when first listed */
	uint64_t nfds;		/* open fds when last scanned (fd_counts) */
	int snap_idx;		/* index in the snapshot being built */
	struct proc_info info;
};

/* Open-addressing index over an array whose elements start with a key. */
struct idx {
	uint32_t *slots;	/* element index + 1; 0 is empty */
	size_t mask;
};

/* (inode table index, pid) pairs found by a scan. */
struct found {
	uint32_t ent;
	int32_t pid;
};

/*
 * What reading fd directories collects. The backend has one; a parallel
 * one-shot scan gives every other thread its own and merges them, so
 * threads share nothing they write but their own processes' entries.
 */
struct scanner {
	char *dents;			/* getdents64 buffer */
	struct found *found;
	size_t nfound, capfound;
	uint64_t procs_scanned;		/* folded into the stats */
	uint64_t fds_read;
	int any_denied;
};

struct backend {
	int flags;
	int procfd;
	int lafd;		/* /proc/loadavg, -1 if not kept open */
	int nlfd;		/* -1: netlink unavailable, use /proc/net */
	int nl_no_old;		/* TCPDIAG_GETSOCK refused: per family */
	uid_t euid;
	char *nlbuf;

	struct sock_list socks;		/* the current dump */
	struct sock_info *last;		/* the previous full dump */
	size_t nlast, caplast;
	int socks_changed;		/* the dump differs from the last */

	struct inode_ent *ents;
	size_t nents, capents;
	struct idx ent_idx;

	struct proc_ent *procs;
	size_t nprocs, capprocs;
	struct idx proc_idx;

	struct scanner scan;		/* this thread's */
	struct found *removed;		/* apply_found's scratch */
	size_t nremoved, capremoved;
	int32_t *strip;			/* pids apply_found strips */
	size_t nstrip, capstrip;

	/*
	 * What changed, so that an unchanged table costs no rebuild: an
	 * owner set or a reason changed in this resolve (ents_dirty); a
	 * known process left or its pid was reused (procs_gone); the rows
	 * differ from the last ones backend_snapshot_changes built
	 * (rows_dirty, cleared only there).
	 */
	int ents_dirty;
	int procs_gone;
	int rows_dirty;

	uint32_t resync_slice_num;	/* processes per snapshot = */
	uint32_t resync_slice_den;	/*   nprocs * num / den, rounded up */
	int32_t resync_cursor;		/* last pid rescanned */
	int any_denied;			/* a scan this snapshot hit EACCES */
	int fd_counts;			/* stat on /proc/PID/fd counts fds */
	uint32_t nheld, held_max;	/* fd directories kept open */
	int32_t self;			/* this process */
	int cnfd;			/* proc connector, -1 if none */
	int cn_live;			/* its subscription was acknowledged */
	int cn_lost;			/* events lost (ENOBUFS) */
	int details_all;		/* check every owner's details once */
	int32_t detail_cursor;		/* last owner re-read (no events) */
	unsigned long long la_threads;	/* /proc/loadavg at the last listing */
	unsigned long long la_lastpid;
	int la_valid;
	uint32_t list_skips;		/* listings skipped in a row */
	uint64_t young_snaps;		/* "young": first seen this recently */
	uint32_t pass;			/* scans since the last apply_found */

	struct backend_stats stats;
};

/* ---- small containers ------------------------------------------------ */

static size_t
hash64(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	return (size_t)k;
}

static int
idx_build(struct idx *ix, const void *base, size_t n, size_t stride)
{
	size_t cap = 64, i, h;
	const uint64_t *key;

	while (cap < n * 2)
		cap *= 2;
	free(ix->slots);
	if ((ix->slots = calloc(cap, sizeof(*ix->slots))) == NULL) {
		ix->mask = 0;
		return -1;
	}
	ix->mask = cap - 1;
	for (i = 0; i < n; i++) {
		key = (const uint64_t *)((const char *)base + i * stride);
		for (h = hash64(*key) & ix->mask; ix->slots[h] != 0;
		    h = (h + 1) & ix->mask)
			;
		ix->slots[h] = (uint32_t)i + 1;
	}
	return 0;
}

static long
idx_find(const struct idx *ix, const void *base, size_t stride, uint64_t k)
{
	const uint64_t *key;
	size_t h;

	if (ix->slots == NULL)
		return -1;
	for (h = hash64(k) & ix->mask; ix->slots[h] != 0;
	    h = (h + 1) & ix->mask) {
		key = (const uint64_t *)((const char *)base +
		    (ix->slots[h] - 1) * stride);
		if (*key == k)
			return (long)ix->slots[h] - 1;
	}
	return -1;
}

static struct inode_ent *
ent_find(struct backend *b, uint64_t inode)
{
	long i = idx_find(&b->ent_idx, b->ents, sizeof(*b->ents), inode);

	return i < 0 ? NULL : &b->ents[i];
}

static struct proc_ent *
proc_find(struct backend *b, int32_t pid)
{
	long i = idx_find(&b->proc_idx, b->procs, sizeof(*b->procs),
	    (uint64_t)pid);

	return i < 0 ? NULL : &b->procs[i];
}

static int
ent_add_pid(struct inode_ent *e, int32_t pid)
{
	uint32_t i, cap;
	int32_t *p;

	for (i = 0; i < e->npids; i++)
		if (e->pids[i] == pid)
			return 0;
	/* Most sockets have one owner: start at two, not vec_grow's 64
	 * (12k listeners would otherwise hold 3 MB of empty slots). */
	if (e->npids == e->cappids) {
		cap = e->cappids ? e->cappids * 2 : 2;
		if ((p = realloc(e->pids, cap * sizeof(*p))) == NULL)
			return -1;
		e->pids = p;
		e->cappids = cap;
	}
	e->pids[e->npids++] = pid;
	e->state = ENT_OWNED;
	return 0;
}

/* ---- sockets: netlink ------------------------------------------------ */

/*
 * Builds inet_diag bytecode accepting a local port in any of the filter's
 * ranges for proto. The kernel's audit walks the "yes" jumps linearly, so
 * every op must be reached by them; an OR is therefore, as in ss, a JMP
 * after each range but the last:
 *
 *	S_GE lo	yes: next op	no: next range (last: reject)
 *	S_LE hi	yes: next op	no: next range (last: reject)
 *	JMP	yes: next op	no: the end (accept)
 *
 * Ports compare in host order in bytecode for every protocol, unlike the
 * request's port field. Returns the length, 0 for "no filter", -1 if no
 * range selects proto (skip the dump).
 */
static int
build_bytecode(const struct filter *f, int proto, unsigned char *bc,
    size_t bclen)
{
	struct inet_diag_bc_op *op;
	size_t i, n = 0, k, len, o, next;

	if (f == NULL || f->nspecs == 0)
		return 0;
	for (i = 0; i < f->nspecs; i++)
		if (f->specs[i].protos & proto)
			n++;
	if (n == 0)
		return -1;
	len = n * 20 - 4;
	if (n > BC_MAX_RANGES || len > bclen)
		return 0;	/* too many: filter in user space only */
	for (i = 0, k = 0, o = 0; i < f->nspecs; i++) {
		if (!(f->specs[i].protos & proto))
			continue;
		k++;
		/* Where a failed comparison goes: the next range, or past
		 * the end by 4 (the kernel's "reject"). */
		next = k < n ? o + 20 : len + 4;
		op = (struct inet_diag_bc_op *)(void *)(bc + o);
		op[0].code = INET_DIAG_BC_S_GE;
		op[0].yes = 8;
		op[0].no = (unsigned short)(next - o);
		op[1].code = op[1].yes = 0;
		op[1].no = f->specs[i].lo;
		op[2].code = INET_DIAG_BC_S_LE;
		op[2].yes = 8;
		op[2].no = (unsigned short)(next - (o + 8));
		op[3].code = op[3].yes = 0;
		op[3].no = f->specs[i].hi;
		if (k < n) {
			op[4].code = INET_DIAG_BC_JMP;
			op[4].yes = 4;
			op[4].no = (unsigned short)(len - (o + 16));
		}
		o += 20;
	}
	return (int)len;
}

/*
 * One dump. Returns 0, -1 on error (err set), 1 if netlink cannot.
 * family 0 (TCP only): both families in one dump, through the older
 * TCPDIAG_GETSOCK request, which walks the kernel's listening table once
 * where two SOCK_DIAG_BY_FAMILY dumps walk it twice (its cost, with
 * thousands of listeners, is mostly that walk).
 */
static int
nl_dump(struct backend *b, int proto, int family, const struct filter *f,
    char *err, size_t errlen)
{
	union {
		struct {
			struct nlmsghdr nlh;
			struct inet_diag_req_v2 req;
			struct rtattr rta;
			unsigned char bc[BC_MAX_RANGES * 20];
		} v2;
		struct {
			struct nlmsghdr nlh;
			struct inet_diag_req req;
			struct rtattr rta;
			unsigned char bc[BC_MAX_RANGES * 20];
		} old;
	} msg;
	struct nlmsghdr *nlh;
	struct rtattr *rta;
	unsigned char *bc;
	struct sockaddr_nl sa;
	size_t reqlen;
	ssize_t n;
	int bclen, r, nlerr = 0;
	static uint32_t seq;

	memset(&msg, 0, sizeof(msg));
	if (family == 0) {
		nlh = &msg.old.nlh;
		rta = &msg.old.rta;
		bc = msg.old.bc;
		reqlen = sizeof(msg.old.req);
		nlh->nlmsg_type = TCPDIAG_GETSOCK;
		msg.old.req.idiag_family = AF_INET;	/* ignored: both */
		msg.old.req.idiag_states = 1u << 10;	/* LISTEN */
	} else {
		nlh = &msg.v2.nlh;
		rta = &msg.v2.rta;
		bc = msg.v2.bc;
		reqlen = sizeof(msg.v2.req);
		nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
		msg.v2.req.sdiag_family = family == PD_INET6 ? AF_INET6 :
		    AF_INET;
		msg.v2.req.sdiag_protocol = proto == PD_UDP ? IPPROTO_UDP :
		    IPPROTO_TCP;
		/* TCP: LISTEN (10). UDP: unconnected, i.e. TCP_CLOSE (7). */
		msg.v2.req.idiag_states = proto == PD_UDP ? 1u << 7 :
		    1u << 10;
	}
	if ((bclen = build_bytecode(f, proto, bc, BC_MAX_RANGES * 20)) < 0)
		return 0;
	nlh->nlmsg_len = (uint32_t)(NLMSG_LENGTH(reqlen) +
	    (bclen > 0 ? RTA_LENGTH((unsigned)bclen) : 0));
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = ++seq;
	if (bclen > 0) {
		rta->rta_type = INET_DIAG_REQ_BYTECODE;
		rta->rta_len = (unsigned short)RTA_LENGTH((unsigned)bclen);
	}
	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;
	if (sendto(b->nlfd, nlh, nlh->nlmsg_len, 0,
	    (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		snprintf(err, errlen, "netlink send: %s", strerror(errno));
		return -1;
	}
	for (;;) {
		n = recv(b->nlfd, b->nlbuf, NL_BUFSZ, 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(err, errlen, "netlink recv: %s",
			    n == 0 ? "connection closed" : strerror(errno));
			return -1;
		}
		r = decode_netlink(b->nlbuf, (size_t)n, proto, sock_list_add,
		    &b->socks, &nlerr, err, errlen);
		if (r == 1)
			return 0;
		if (r == -1) {
			/* No diag module for this protocol or family, or not
			 * allowed: /proc/net answers instead. Anything else
			 * (EINVAL: a request we built wrong) is an error, not
			 * a reason to hide behind the fallback. */
			if (nlerr == ENOENT || nlerr == EOPNOTSUPP ||
			    nlerr == EPROTONOSUPPORT || nlerr == EAFNOSUPPORT ||
			    nlerr == EACCES || nlerr == EPERM)
				return 1;
			return -1;
		}
	}
}

/* ---- sockets: /proc/net fallback ---------------------------------- */

/* Reads a whole file relative to dirfd; NUL-terminates. */
static char *
read_file_at(int dirfd, const char *path, size_t *lenp)
{
	char *buf = NULL, *p;
	size_t len = 0, cap = 0;
	ssize_t n;
	int fd;

	if ((fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	for (;;) {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 16384;
			if ((p = realloc(buf, cap)) == NULL)
				goto fail;
			buf = p;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			goto fail;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	if (lenp != NULL)
		*lenp = len;
	return buf;
fail:
	close(fd);
	free(buf);
	return NULL;
}

static int
procnet_dump(struct backend *b, int proto, int family, char *err,
    size_t errlen)
{
	char path[32], *text;
	size_t len;
	int r;

	snprintf(path, sizeof(path), "net/%s%s", proto == PD_UDP ? "udp" :
	    "tcp", family == PD_INET6 ? "6" : "");
	if ((text = read_file_at(b->procfd, path, &len)) == NULL) {
		/* No IPv6 in this kernel: nothing to list. */
		if (errno == ENOENT && family == PD_INET6)
			return 0;
		snprintf(err, errlen, "/proc/%s: %s", path, strerror(errno));
		return -1;
	}
	r = decode_procnet(text, len, proto, family, sock_list_add, &b->socks,
	    err, errlen);
	free(text);
	return r < 0 ? -1 : 0;
}

/* Fills b->socks with the listeners matching f (NULL: all). */
static int
dump_sockets(struct backend *b, const struct filter *f, char *err,
    size_t errlen)
{
	static const int protos[] = { PD_TCP, PD_UDP };
	static const int fams[] = { PD_INET, PD_INET6 };
	int pi, fi, r = 0, fams_wanted;
	size_t kept;

	b->socks.n = 0;
	b->socks.f = f;
	fams_wanted = f != NULL && f->families != 0 ? f->families : 0;
	/* A dual-stack [::] socket also holds the IPv4 port. */
	if (fams_wanted & PD_INET)
		fams_wanted |= PD_INET6;
	for (pi = 0; pi < 2 && r != -1; pi++) {
		if (f != NULL && f->protos != 0 && !(f->protos & protos[pi]))
			continue;
		/* TCP, both families in one dump (the filter picks the
		 * family); per family where the kernel will not. */
		if (protos[pi] == PD_TCP && b->nlfd != -1 && !b->nl_no_old) {
			kept = b->socks.n;
			if ((r = nl_dump(b, PD_TCP, 0, f, err, errlen)) != 1)
				continue;
			b->socks.n = kept;
			b->nl_no_old = 1;
		}
		for (fi = 0; fi < 2 && r != -1; fi++) {
			if (fams_wanted != 0 && !(fams_wanted & fams[fi]))
				continue;
			r = 1;
			if (b->nlfd != -1)
				r = nl_dump(b, protos[pi], fams[fi], f, err,
				    errlen);
			if (r == 1)
				r = procnet_dump(b, protos[pi], fams[fi], err,
				    errlen);
		}
	}
	b->socks.f = NULL;
	return r == -1 ? -1 : 0;
}

/* ---- processes ------------------------------------------------------- */

static long
clock_ticks(void)
{
	static long hz;

	if (hz == 0 && (hz = sysconf(_SC_CLK_TCK)) <= 0)
		hz = 100;
	return hz;
}

/* Boot time in seconds since the epoch, from /proc/stat's btime. */
static int64_t
boot_time(void)
{
	static int64_t btime = -1;
	char *text, *p;

	if (btime != -1)
		return btime;
	btime = 0;
	if ((text = read_file_at(AT_FDCWD, "/proc/stat", NULL)) == NULL)
		return btime;
	if ((p = strstr(text, "\nbtime ")) != NULL)
		btime = strtoll(p + 7, NULL, 10);
	free(text);
	return btime;
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

/* Reads stat and returns its state letter ('Z' for a zombie), or 0. */
static int
read_stat(int32_t pid, struct proc_info *out)
{
	char path[32], *text, *p;
	size_t len;
	int state = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((text = read_file_at(AT_FDCWD, path, &len)) == NULL)
		return 0;
	if (decode_proc_stat(text, len, out) == 0 &&
	    (p = strrchr(text, ')')) != NULL && p[1] == ' ')
		state = (unsigned char)p[2];
	free(text);
	return state;
}

int
backend_proc_info(int32_t pid, struct proc_info *out)
{
	char path[64], link[PATH_MAX], *text;
	uint32_t ruid, euid, suid;
	size_t len;
	ssize_t n;

	memset(out, 0, sizeof(*out));
	if (read_stat(pid, out) == 0)
		return -1;
	out->pid = pid;
	out->uid = out->suid = PD_UID_UNKNOWN;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((text = read_file_at(AT_FDCWD, path, &len)) != NULL) {
		if (decode_proc_status_uids(text, len, &ruid, &euid,
		    &suid) == 0) {
			out->uid = ruid;
			out->suid = suid;
		}
		free(text);
	}
	if (out->uid != PD_UID_UNKNOWN)
		backend_user_name(out->uid, out->user, sizeof(out->user));
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	if ((n = readlink(path, link, sizeof(link) - 1)) > 0) {
		link[n] = '\0';
		out->exe = strdup(link);
	}
	out->started_ms = boot_time() * 1000 +
	    (int64_t)(out->start_time * 1000 / (uint64_t)clock_ticks());
	return 0;
}

void
backend_proc_unit(int32_t pid, char *buf, size_t len)
{
	char path[64], *text;
	size_t n;

	if (len > 0)
		buf[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	if ((text = read_file_at(AT_FDCWD, path, &n)) == NULL)
		return;
	decode_cgroup_unit(text, n, buf, len);
	free(text);
}

int32_t
backend_self_pid(void)
{
	return (int32_t)getpid();
}

/*
 * Whether no task was created or reaped since the last listing of /proc,
 * from /proc/loadavg (one pread): every fork moves the last pid, every
 * task reaped lowers the thread count. Then the process table cannot have
 * changed, and a steady state does not read the /proc directory (a
 * millisecond with a thousand processes) every snapshot; it still does
 * every LIST_MAX_SKIPS + 1 snapshots, should the last pid ever wrap to
 * the same value within one interval.
 */
static int
procs_unchanged(struct backend *b)
{
	unsigned long long threads, last;
	char buf[128], *p;
	ssize_t n;
	int same;

	if (b->lafd == -1 || (n = pread(b->lafd, buf, sizeof(buf) - 1, 0)) <= 0)
		return 0;
	buf[n] = '\0';
	/* "0.00 0.01 0.05 1/123 4567": running/threads, last pid */
	if ((p = strchr(buf, '/')) == NULL ||
	    sscanf(p + 1, "%llu %llu", &threads, &last) != 2) {
		b->la_valid = 0;
		return 0;
	}
	same = b->la_valid && threads == b->la_threads &&
	    last == b->la_lastpid && b->list_skips < LIST_MAX_SKIPS;
	b->la_threads = threads;
	b->la_lastpid = last;
	b->la_valid = 1;
	return same;
}

/* Notes that fd named listener inode; the list starts small (most
 * processes hold one or two), unlike vec_grow's. */
static int
lfd_add(struct proc_ent *p, int32_t fd, uint64_t inode)
{
	struct lfd *v;
	uint32_t cap;

	if (p->nlfds == p->caplfds) {
		cap = p->caplfds ? p->caplfds * 2 : 4;
		if ((v = realloc(p->lfds, cap * sizeof(*v))) == NULL)
			return -1;
		p->lfds = v;
		p->caplfds = cap;
	}
	p->lfds[p->nlfds].fd = fd;
	p->lfds[p->nlfds++].inode = inode;
	return 0;
}

/*
 * A process's fd count as the count pass compares it. This process's own
 * count moves with every fd directory it keeps open (and the one it is
 * listing, extra): without them, a socket closed here as a directory is
 * kept would leave the count unchanged, and every process seen for the
 * first time would make this one (with thousands of fds) be rescanned.
 */
static uint64_t
own_count(const struct backend *b, const struct proc_ent *p, uint64_t n,
    int listing)
{
	uint64_t mine;

	if ((int32_t)p->key != b->self)
		return n;
	mine = (uint64_t)b->nheld + (listing ? 1 : 0);
	return n > mine ? n - mine : 0;
}

/* Closes a process's kept fd directory, if any; frees its fd list. */
static void
proc_release_fd(struct backend *b, struct proc_ent *p)
{
	free(p->lfds);
	p->lfds = NULL;
	p->nlfds = p->caplfds = 0;
	if (p->fdfd == -1)
		return;
	close(p->fdfd);
	p->fdfd = -1;
	b->nheld--;
}

/* Lists /proc into a new process table, carrying over what is known. */
static int
list_procs(struct backend *b)
{
	struct proc_ent *old = b->procs, *np = NULL, *o;
	size_t nold = b->nprocs, n = 0, cap = 0, i, kept = 0;
	struct idx oldidx = b->proc_idx;
	ssize_t len;
	long pos, pid;
	char *end;
	struct dirent64 *d;

	if (!(b->flags & BACKEND_ONESHOT) && b->nprocs > 0 &&
	    procs_unchanged(b)) {
		b->list_skips++;
		for (i = 0; i < nold; i++) {
			b->procs[i].fresh = 0;
			b->procs[i].scanned = 0;
			b->procs[i].snap_idx = -1;
		}
		b->procs_gone = 0;
		return 0;
	}
	b->list_skips = 0;
	if (lseek(b->procfd, 0, SEEK_SET) == -1)
		goto fail_early;
	for (;;) {
		len = getdents64(b->procfd, b->scan.dents, DENTS_BUFSZ);
		if (len == -1 && errno == EINTR)
			continue;
		if (len == -1)
			goto fail;
		if (len == 0)
			break;
		for (pos = 0; pos < len; pos += d->d_reclen) {
			d = (struct dirent64 *)(void *)(b->scan.dents + pos);
			if (d->d_name[0] < '1' || d->d_name[0] > '9')
				continue;
			pid = strtol(d->d_name, &end, 10);
			if (*end != '\0' || pid <= 0 || pid > INT32_MAX)
				continue;
			if (vec_grow((void **)&np, &cap, n + 1,
			    sizeof(*np)) == -1)
				goto fail;
			memset(&np[n], 0, sizeof(np[n]));
			np[n].key = (uint64_t)pid;
			np[n].dino = d->d_ino;
			np[n].fresh = 1;
			np[n].snap_idx = -1;
			np[n].fdfd = -1;
			np[n].first_seen = b->stats.snapshots;
			o = NULL;
			if (old != NULL) {
				long oi = idx_find(&oldidx, old, sizeof(*old),
				    (uint64_t)pid);
				o = oi < 0 ? NULL : &old[oi];
			}
			if (o != NULL && o->dino == d->d_ino &&
			    !(b->flags & BACKEND_ONESHOT)) {
				np[n] = *o;
				np[n].fresh = 0;
				np[n].scanned = 0;
				np[n].snap_idx = -1;
				o->has_info = 0;	/* moved */
				o->info.exe = NULL;
				o->fdfd = -1;
				o->lfds = NULL;
				kept++;
			}
			n++;
		}
	}
	/* Owners can only have left if a known process did. */
	b->procs_gone = kept < nold;
	for (i = 0; i < nold; i++) {
		if (old[i].has_info || old[i].info.exe != NULL)
			proc_info_clear(&old[i].info);
		proc_release_fd(b, &old[i]);
	}
	free(old);
	free(oldidx.slots);
	b->proc_idx.slots = NULL;
	b->procs = np;
	b->nprocs = n;
	b->capprocs = cap;
	return idx_build(&b->proc_idx, b->procs, n, sizeof(*b->procs));
fail:
	/* What was moved is lost; it is read again next time. */
	for (i = 0; i < n; i++) {
		if (np[i].fresh == 0)
			proc_info_clear(&np[i].info);
		proc_release_fd(b, &np[i]);
	}
	free(np);
	b->proc_idx = oldidx;
fail_early:
	b->la_valid = 0;	/* the table is not what loadavg said */
	return -1;
}

/*
 * Reads one process's fd directory and records (entry, pid) in s for every
 * fd that names a socket in the inode table. A process that exits
 * mid-scan simply ends the scan; one whose fds cannot be read is marked
 * denied; a zombie's directory is empty, so it holds nothing. Safe in
 * several threads at once on different processes: the inode table is
 * only read, and only p and s are written (a one-shot backend, the only
 * one to use threads, keeps no directory open).
 *
 * A caching backend keeps the directory open while it may (held_max),
 * so that the count pass costs an fstat (0.8 us) instead of a path
 * lookup (2.6 us): the open directory stays bound to that process, and
 * once it is reaped (or its pid reused) fstat fails.
 */
static int
scan_proc(struct backend *b, struct scanner *s, struct proc_ent *p)
{
	char path[32], link[64];
	struct dirent64 *d;
	struct inode_ent *e;
	struct stat st;
	uint64_t inode;
	ssize_t len, n;
	long pos;
	int dfd;

	p->scanned = 1;
	p->scan_pass = b->pass;
	p->denied = 0;
	p->nlfds = 0;
	p->lfds_lost = 0;
	s->procs_scanned++;
	if ((dfd = p->fdfd) != -1 && lseek(dfd, 0, SEEK_SET) == -1) {
		proc_release_fd(b, p);
		dfd = -1;
	}
	snprintf(path, sizeof(path), "%d/fd", (int)p->key);
	if (dfd == -1 && (dfd = openat(b->procfd, path, O_RDONLY |
	    O_DIRECTORY | O_CLOEXEC)) == -1) {
		if (errno == EACCES || errno == EPERM)
			p->denied = s->any_denied = 1;
		/* The count can still be read (pid 1's, here): a denied
		 * process is tried again when it changes, not every time. */
		p->nfds = b->fd_counts && !(b->flags & BACKEND_ONESHOT) &&
		    fstatat(b->procfd, path, &st, 0) == 0 ?
		    (uint64_t)st.st_size : 0;
		return 0;
	}
	/* Counted before listing: an fd opened meanwhile makes the count
	 * differ next time, never hides. */
	if (b->fd_counts && !(b->flags & BACKEND_ONESHOT))
		p->nfds = fstat(dfd, &st) == 0 ? own_count(b, p,
		    (uint64_t)st.st_size, dfd != p->fdfd) : 0;
	if (p->fdfd == -1 && !(b->flags & BACKEND_ONESHOT) &&
	    b->nheld < b->held_max) {
		p->fdfd = dfd;
		b->nheld++;
	}
	for (;;) {
		len = getdents64(dfd, s->dents, DENTS_BUFSZ);
		if (len == -1 && errno == EINTR)
			continue;
		if (len <= 0)
			break;
		for (pos = 0; pos < len; pos += d->d_reclen) {
			d = (struct dirent64 *)(void *)(s->dents + pos);
			if (d->d_name[0] == '.')
				continue;
			s->fds_read++;
			n = readlinkat(dfd, d->d_name, link, sizeof(link));
			if (n == -1) {
				if (errno == EACCES || errno == EPERM) {
					p->denied = s->any_denied = 1;
					goto out;
				}
				continue;	/* closed meanwhile */
			}
			if ((inode = decode_socket_link(link, (size_t)n)) == 0)
				continue;
			if ((e = ent_find(b, inode)) == NULL)
				continue;
			if (vec_grow((void **)&s->found, &s->capfound,
			    s->nfound + 1, sizeof(*s->found)) == -1) {
				if (dfd != p->fdfd)
					close(dfd);
				return -1;
			}
			s->found[s->nfound].ent = (uint32_t)(e - b->ents);
			s->found[s->nfound].pid = (int32_t)p->key;
			s->nfound++;
			/* A caching backend remembers where (busy_same);
			 * without memory, busy_same just says "rescan". */
			if (!(b->flags & BACKEND_ONESHOT) &&
			    lfd_add(p, (int32_t)strtol(d->d_name, NULL, 10),
			    inode) == -1)
				p->lfds_lost = 1;
		}
	}
out:
	if (dfd != p->fdfd)
		close(dfd);
	return 0;
}

/* Moves what t collected into s (t's found list is emptied). */
static int
scanner_merge(struct scanner *s, struct scanner *t)
{
	if (vec_grow((void **)&s->found, &s->capfound, s->nfound + t->nfound,
	    sizeof(*s->found)) == -1)
		return -1;
	if (t->nfound > 0)
		memcpy(s->found + s->nfound, t->found,
		    t->nfound * sizeof(*t->found));
	s->nfound += t->nfound;
	t->nfound = 0;
	s->procs_scanned += t->procs_scanned;
	s->fds_read += t->fds_read;
	s->any_denied |= t->any_denied;
	t->procs_scanned = t->fds_read = 0;
	t->any_denied = 0;
	return 0;
}

static int
cmp_pid(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;

	return x < y ? -1 : x > y;
}

static int
cmp_found(const void *a, const void *b)
{
	const struct found *x = a, *y = b;

	if (x->ent != y->ent)
		return x->ent < y->ent ? -1 : 1;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

/* Sorts v and drops duplicates (a process may hold a socket twice). */
static size_t
found_unique(struct found *v, size_t n)
{
	size_t i, k;

	if (n < 2)
		return n;
	qsort(v, n, sizeof(*v), cmp_found);
	for (i = k = 1; i < n; i++)
		if (cmp_found(&v[i], &v[k - 1]) != 0)
			v[k++] = v[i];
	return k;
}

/*
 * Applies the scans of this pass: a process scanned in it holds exactly
 * what its scan found, so it is first removed from every entry. Only a
 * process that held something at the last snapshot (owns) can be in an
 * entry, so only those are looked for; when what is removed is what is
 * found again, the owners did not change (ents_dirty stays as it was).
 */
static int
apply_found(struct backend *b)
{
	struct proc_ent *p;
	struct inode_ent *e;
	size_t i, nf;
	uint32_t j, k;

	b->nstrip = b->nremoved = 0;
	for (i = 0; i < b->nprocs; i++) {
		p = &b->procs[i];
		if (!p->scanned || p->scan_pass != b->pass || !p->owns)
			continue;
		if (vec_grow((void **)&b->strip, &b->capstrip, b->nstrip + 1,
		    sizeof(*b->strip)) == -1)
			return -1;
		b->strip[b->nstrip++] = (int32_t)p->key;
	}
	if (b->nstrip > 1)
		qsort(b->strip, b->nstrip, sizeof(*b->strip), cmp_pid);
	for (i = 0; b->nstrip > 0 && i < b->nents; i++) {
		e = &b->ents[i];
		for (j = k = 0; j < e->npids; j++) {
			if (bsearch(&e->pids[j], b->strip, b->nstrip,
			    sizeof(*b->strip), cmp_pid) != NULL) {
				if (vec_grow((void **)&b->removed,
				    &b->capremoved, b->nremoved + 1,
				    sizeof(*b->removed)) == -1)
					return -1;
				b->removed[b->nremoved].ent = (uint32_t)i;
				b->removed[b->nremoved++].pid = e->pids[j];
				continue;
			}
			e->pids[k++] = e->pids[j];
		}
		e->npids = k;
	}
	nf = found_unique(b->scan.found, b->scan.nfound);
	b->nremoved = found_unique(b->removed, b->nremoved);
	if (nf != b->nremoved || (nf > 0 && memcmp(b->scan.found, b->removed,
	    nf * sizeof(*b->removed)) != 0))
		b->ents_dirty = 1;
	for (i = 0; i < nf; i++)
		if (ent_add_pid(&b->ents[b->scan.found[i].ent],
		    b->scan.found[i].pid) == -1)
			return -1;
	b->scan.nfound = 0;
	b->stats.procs_scanned += b->scan.procs_scanned;
	b->stats.fds_read += b->scan.fds_read;
	b->any_denied |= b->scan.any_denied;
	b->scan.procs_scanned = b->scan.fds_read = 0;
	b->scan.any_denied = 0;
	b->pass++;
	return 0;
}

/* Entries nobody holds that are not remembered as unowned. */
static size_t
count_search(const struct backend *b)
{
	size_t i, n = 0;

	for (i = 0; i < b->nents; i++)
		if (b->ents[i].npids == 0 && b->ents[i].state != ENT_UNOWNED)
			n++;
	return n;
}

/* Builds the inode table for the current dump, keeping what was known. */
static int
rebuild_ents(struct backend *b)
{
	struct inode_ent *ne = NULL, *o;
	size_t n = 0, cap = 0, i;
	struct idx nidx = { NULL, 0 };

	for (i = 0; i < b->socks.n; i++) {
		if (b->socks.v[i].inode == 0)
			continue;
		if (vec_grow((void **)&ne, &cap, n + 1, sizeof(*ne)) == -1)
			goto fail;
		memset(&ne[n], 0, sizeof(ne[n]));
		ne[n].key = b->socks.v[i].inode;
		if ((o = ent_find(b, b->socks.v[i].inode)) != NULL) {
			ne[n] = *o;
			o->pids = NULL;		/* moved */
			o->npids = o->cappids = 0;
		}
		n++;
	}
	if (idx_build(&nidx, ne, n, sizeof(*ne)) == -1)
		goto fail;
	for (i = 0; i < b->nents; i++)
		free(b->ents[i].pids);
	free(b->ents);
	free(b->ent_idx.slots);
	b->ents = ne;
	b->nents = n;
	b->capents = cap;
	b->ent_idx = nidx;
	return 0;
fail:
	for (i = 0; i < n; i++)
		free(ne[i].pids);
	free(ne);
	free(nidx.slots);
	return -1;
}

/*
 * Drops owners that are gone or whose pid was reused: an owner is kept
 * only if its pid is still in the process table and was seen before.
 */
static void
prune_owners(struct backend *b)
{
	struct proc_ent *p;
	struct inode_ent *e;
	size_t i;
	uint32_t j, k;

	for (i = 0; i < b->nents; i++) {
		e = &b->ents[i];
		for (j = k = 0; j < e->npids; j++) {
			p = proc_find(b, e->pids[j]);
			if (p == NULL || p->fresh)
				continue;
			e->pids[k++] = e->pids[j];
		}
		if (k < e->npids)
			b->ents_dirty = 1;
		e->npids = k;
		if (k == 0 && e->state == ENT_OWNED)
			e->state = ENT_SEARCH;
	}
}

/* ---- a one-shot scan over several threads ----------------------------- */

/*
 * A one-shot snapshot reads every process's fd directory, which costs
 * about 1.7 us per descriptor in the kernel (a readlinkat each, plus the
 * listing): a few hundred ms with 200k descriptors, all of it system time
 * in one thread while the other CPUs idle. The processes are independent,
 * so threads take them a few at a time from a shared cursor (they differ
 * a lot in size) and each collects into its own scanner; the results are
 * merged afterwards, so the outcome is the serial scan's. Only
 * BACKEND_ONESHOT backends do this: portd's incremental snapshots read a
 * handful of processes per tick, where a thread would cost more than it
 * saves and a daemon's steady state should stay on one CPU.
 */
struct scan_job {
	struct backend *b;
	struct proc_ent **todo;
	size_t ntodo;
	atomic_size_t next;
	atomic_int failed;
};

struct scan_thread {
	struct scan_job *job;
	struct scanner *s;
	pthread_t tid;
	int started;
};

static void *
scan_worker(void *arg)
{
	struct scan_thread *t = arg;
	struct scan_job *job = t->job;
	size_t i, end;

	while (!atomic_load(&job->failed)) {
		i = atomic_fetch_add(&job->next, SCAN_CHUNK);
		if (i >= job->ntodo)
			break;
		end = i + SCAN_CHUNK < job->ntodo ? i + SCAN_CHUNK : job->ntodo;
		for (; i < end; i++)
			if (scan_proc(job->b, t->s, job->todo[i]) == -1) {
				atomic_store(&job->failed, 1);
				break;
			}
	}
	return NULL;
}

/* CPUs this process may run on, at most SCAN_MAX_THREADS. */
static int
scan_nthreads(void)
{
	cpu_set_t set;
	long n;

	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		n = CPU_COUNT(&set);
	else
		n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		n = 1;
	return n > SCAN_MAX_THREADS ? SCAN_MAX_THREADS : (int)n;
}

/*
 * Scans the processes want() selects over several threads. Returns 0, -1
 * (out of memory), or 1 when one thread is the better choice (a caching
 * backend, one CPU, few processes): then the caller scans serially.
 */
static int
scan_parallel(struct backend *b, int (*want)(const struct proc_ent *))
{
	struct scan_thread th[SCAN_MAX_THREADS];
	struct scanner sc[SCAN_MAX_THREADS];
	struct scan_job job;
	size_t i;
	int n, k, r = 0;

	if (!(b->flags & BACKEND_ONESHOT) || (n = scan_nthreads()) < 2)
		return 1;
	memset(&job, 0, sizeof(job));
	job.b = b;
	if ((job.todo = malloc(b->nprocs * sizeof(*job.todo) + 1)) == NULL)
		return -1;
	for (i = 0; i < b->nprocs; i++)
		if (!b->procs[i].scanned && want(&b->procs[i]))
			job.todo[job.ntodo++] = &b->procs[i];
	if (job.ntodo < SCAN_PAR_MIN) {
		free(job.todo);
		return 1;
	}
	atomic_init(&job.next, 0);
	atomic_init(&job.failed, 0);
	memset(th, 0, sizeof(th));
	memset(sc, 0, sizeof(sc));
	/* Thread 0 is this one, with the backend's own scanner. */
	th[0].job = &job;
	th[0].s = &b->scan;
	for (k = 1; k < n; k++) {
		th[k].job = &job;
		th[k].s = &sc[k];
		if ((sc[k].dents = malloc(DENTS_BUFSZ)) == NULL)
			break;
		/* If a thread cannot start, the others take its share. */
		th[k].started = pthread_create(&th[k].tid, NULL, scan_worker,
		    &th[k]) == 0;
		if (!th[k].started)
			break;
	}
	scan_worker(&th[0]);
	for (k = 1; k < n; k++) {
		if (th[k].started)
			pthread_join(th[k].tid, NULL);
		if (r == 0 && scanner_merge(&b->scan, &sc[k]) == -1)
			r = -1;
		free(sc[k].dents);
		free(sc[k].found);
	}
	free(job.todo);
	return atomic_load(&job.failed) ? -1 : r;
}

static int
scan_where(struct backend *b, int (*want)(const struct proc_ent *))
{
	size_t i;
	int r;

	if ((r = scan_parallel(b, want)) == -1)
		return -1;
	for (i = 0; r == 1 && i < b->nprocs; i++)
		if (!b->procs[i].scanned && want(&b->procs[i]) &&
		    scan_proc(b, &b->scan, &b->procs[i]) == -1)
			return -1;
	return apply_found(b);
}

static int
want_fresh(const struct proc_ent *p)
{
	return p->fresh;
}

/* An owner an event or detail_slice says changed. */
static int
want_recheck(const struct proc_ent *p)
{
	return p->recheck;
}

static int
want_owner(const struct proc_ent *p)
{
	return p->owns;
}

/* Set by resolve_owners for want_young. */
static uint64_t young_after;

/* A process that started recently: servers bind soon after they start,
 * usually after the tick that first saw (and scanned) them. */
static int
want_young(const struct proc_ent *p)
{
	return p->first_seen >= young_after;
}

static int
want_any(const struct proc_ent *p)
{
	(void)p;
	return 1;
}

/*
 * Whether every fd that named a listener at p's last full scan still
 * names the same one (a readlinkat each, through the kept directory).
 * 0 when one does not, or when that cannot be told cheaply.
 */
static int
busy_same(struct proc_ent *p)
{
	char name[16], link[64];
	uint32_t i;
	ssize_t n;

	if (p->fdfd == -1 || p->lfds_lost)
		return 0;
	for (i = 0; i < p->nlfds; i++) {
		snprintf(name, sizeof(name), "%d", (int)p->lfds[i].fd);
		n = readlinkat(p->fdfd, name, link, sizeof(link));
		if (n <= 0 || decode_socket_link(link, (size_t)n) !=
		    p->lfds[i].inode)
			return 0;
	}
	return 1;
}

/*
 * The count pass, on every snapshot of a caching backend: rescans every
 * known process whose number of open fds changed since its last scan.
 * That is how a process portd already knows is seen to gain or lose a
 * listener without reading all its fds: socket() or accept of a socket
 * handed over with SCM_RIGHTS adds one, close() of its copy (a parent
 * after fork, a sender after the hand-over) removes one, and a process
 * that exited but is not reaped yet (a zombie) has none. Linux 6.2 and
 * later report the count as the size of /proc/PID/fd (fd_counts); with
 * the directory kept open it costs one fstat per process (about 1 ms per
 * thousand processes). What it cannot see, the same count after a close
 * and an open within one interval, the background resync finds.
 *
 * A busy server's count changes at nearly every snapshot (connections
 * come and go), and a rescan costs about 2 us per fd: 20 ms per snapshot
 * for one server with 10k connections, 2% of a core by itself. So a
 * process with at least BUSY_FDS fds whose count changed BUSY_AFTER
 * snapshots in a row is rescanned in full only every BUSY_EVERY
 * snapshots; in between, only the fds that held its listeners are read
 * again (busy_same), so a listener it closes still leaves at once, and
 * one it is handed shows within BUSY_EVERY intervals. A count of 0 (a
 * zombie) is always rescanned.
 */
static int
scan_changed(struct backend *b)
{
	struct proc_ent *p;
	struct stat st;
	char path[32];
	uint64_t n;
	size_t i;
	int r;

	for (i = 0; i < b->nprocs; i++) {
		p = &b->procs[i];
		if (p->scanned)
			continue;
		if (p->fdfd != -1) {
			r = fstat(p->fdfd, &st);
		} else {
			snprintf(path, sizeof(path), "%d/fd", (int)p->key);
			r = fstatat(b->procfd, path, &st, 0);
		}
		/* Gone (reaped, or the directory is another pid's now):
		 * it holds nothing. */
		n = r == 0 ? own_count(b, p, (uint64_t)st.st_size, 0) : 0;
		if (n == p->nfds) {
			p->churn = 0;
			continue;
		}
		if (p->churn < UINT8_MAX)
			p->churn++;
		if (n > 0 && p->churn >= BUSY_AFTER && n >= BUSY_FDS &&
		    p->deferred + 1 < BUSY_EVERY && busy_same(p)) {
			p->deferred++;
			b->stats.busy_deferred++;
			continue;
		}
		p->deferred = 0;
		b->stats.count_rescans++;
		if (scan_proc(b, &b->scan, p) == -1)
			return -1;
	}
	return apply_found(b);
}

/*
 * Before a whole-system scan for sockets no cheaper pass found an owner
 * for: are they still there? A process that binds and exits within one
 * interval (a test, a port probe) leaves a socket in the dump whose owner
 * no scan can find; one dump filtered on those ports (under a millisecond)
 * spares the full scan (hundreds of ms with 200k fds). Sockets gone are
 * taken out of this snapshot, as if the dump had come a moment later.
 */
static void
drop_vanished(struct backend *b)
{
	struct sock_list dump, kept = b->socks;
	struct sock_info *saved = kept.v;
	size_t nsaved = kept.n, i, k;
	struct inode_ent *e;
	struct portspec ps;
	struct filter f;
	char err[128];
	int all = 0, r, dropped = 0;

	filter_init(&f);
	for (i = 0; i < nsaved && !all; i++) {
		if ((e = ent_find(b, saved[i].inode)) == NULL ||
		    e->npids > 0 || e->state == ENT_UNOWNED)
			continue;
		memset(&ps, 0, sizeof(ps));
		ps.lo = ps.hi = saved[i].port;
		ps.protos = saved[i].proto;
		if (filter_add(&f, &ps) == -1)
			all = 1;	/* too many ports: dump them all */
	}
	memset(&b->socks, 0, sizeof(b->socks));
	r = dump_sockets(b, all ? NULL : &f, err, sizeof(err));
	for (i = 0; i < b->nents; i++)
		b->ents[i].present = 0;
	for (i = 0; r == 0 && i < b->socks.n; i++)
		if ((e = ent_find(b, b->socks.v[i].inode)) != NULL)
			e->present = 1;
	dump = b->socks;
	b->socks = kept;
	free(dump.v);
	if (r == -1)
		return;		/* then the full scan decides */
	for (i = k = 0; i < nsaved; i++) {
		e = ent_find(b, saved[i].inode);
		if (e != NULL && e->npids == 0 && e->state != ENT_UNOWNED &&
		    !e->present) {
			/* Gone: nothing to search for, no row. */
			e->state = ENT_UNOWNED;
			e->reason = PD_OWNER_NONE;
			dropped = 1;
			continue;
		}
		saved[k++] = saved[i];
	}
	b->socks.n = k;
	if (dropped)
		b->rows_dirty = 1;
}

/* Marks a slice of processes, in pid order after the cursor, to rescan. */
static int
scan_resync_slice(struct backend *b)
{
	size_t i, start, want, done = 0;

	if (b->resync_slice_den == 0 || b->nprocs == 0)
		return 0;
	want = (b->nprocs * b->resync_slice_num + b->resync_slice_den - 1) /
	    b->resync_slice_den;
	if (want == 0)
		want = 1;
	for (start = 0; start < b->nprocs; start++)
		if ((int32_t)b->procs[start].key > b->resync_cursor)
			break;
	if (start == b->nprocs)
		start = 0;
	for (i = start; done < want && done < b->nprocs; done++) {
		if (!b->procs[i].scanned && scan_proc(b, &b->scan,
		    &b->procs[i]) == -1)
			return -1;
		b->resync_cursor = (int32_t)b->procs[i].key;
		if (++i == b->nprocs)
			i = 0;
	}
	return apply_found(b);
}

static int
str_same(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Whether two reads of a process show the same details. */
static int
proc_info_same(const struct proc_info *a, const struct proc_info *b)
{
	return a->pid == b->pid && a->ppid == b->ppid && a->uid == b->uid &&
	    a->suid == b->suid && a->start_time == b->start_time &&
	    a->started_ms == b->started_ms &&
	    strcmp(a->comm, b->comm) == 0 && strcmp(a->user, b->user) == 0 &&
	    str_same(a->exe, b->exe);
}

/* ---- process events: the proc connector -------------------------------- */

/*
 * Subscribes to the kernel's process events (NETLINK_CONNECTOR,
 * CN_IDX_PROC): fork, exec, exit, uid and comm changes of every process,
 * which tell the cache when a known owner's command, executable or life
 * changed without re-reading every owner every snapshot. Only in the
 * initial network and pid namespaces (elsewhere the kernel refuses:
 * ECONNREFUSED); before Linux 6.6 only with CAP_NET_ADMIN (the ack then
 * carries EPERM). The socket is non-blocking and drained at the start of
 * every snapshot; until the kernel's ack arrives, and without it, the
 * cache does without (cn_live 0). Returns the socket or -1.
 */
static int
cn_open(void)
{
	/* nlmsghdr, cn_msg (its data is a flexible array), the op. */
	union {
		unsigned char bytes[NLMSG_LENGTH(sizeof(struct cn_msg) +
		    sizeof(uint32_t))];
		struct nlmsghdr align;
	} msg;
	struct nlmsghdr *nlh = &msg.align;
	struct cn_msg cn;
	uint32_t op = PROC_CN_MCAST_LISTEN;
	struct sockaddr_nl sa;
	int fd, rcvbuf = CN_RCVBUF;

	if ((fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    NETLINK_CONNECTOR)) == -1)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;
	sa.nl_groups = CN_IDX_PROC;
	memset(&msg, 0, sizeof(msg));
	nlh->nlmsg_len = sizeof(msg.bytes);
	nlh->nlmsg_type = NLMSG_DONE;
	memset(&cn, 0, sizeof(cn));
	cn.id.idx = CN_IDX_PROC;
	cn.id.val = CN_VAL_PROC;
	cn.len = sizeof(op);
	memcpy(msg.bytes + NLMSG_HDRLEN, &cn, sizeof(cn));
	memcpy(msg.bytes + NLMSG_HDRLEN + sizeof(cn), &op, sizeof(op));
	/* Room for a burst of events (a build forks thousands of times a
	 * second) between two snapshots; past rmem_max only as root. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
	    sizeof(rcvbuf)) == -1)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
		    sizeof(rcvbuf));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    send(fd, msg.bytes, sizeof(msg.bytes), 0) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
on_proc_event(void *arg, const struct pd_proc_event *ev)
{
	struct backend *b = arg;
	struct proc_ent *p;

	b->stats.proc_events++;
	switch (ev->kind) {
	case PD_PEV_ACK:
		if (ev->err != 0) {
			close(b->cnfd);
			b->cnfd = -1;
			b->cn_live = 0;
			return 1;	/* refused: stop reading */
		}
		b->cn_live = 1;
		break;
	case PD_PEV_EXEC:	/* new comm and exe; CLOEXEC fds closed */
	case PD_PEV_CHANGE:	/* new uid or comm */
	case PD_PEV_EXIT:	/* a zombie holds nothing */
		if ((p = proc_find(b, ev->tgid)) != NULL && p->owns)
			p->recheck = 1;
		break;
	default:
		/* A fork's child is a process not seen before: the next
		 * listing finds it (the last pid moved) and scans it. */
		break;
	}
	return 0;
}

/*
 * Reads every event queued since the last snapshot. ENOBUFS says the
 * kernel dropped some (a burst of forks: a build, a prefork server
 * starting). What a lost exit or fork meant, the count pass and the
 * /proc listing see anyway; a lost exec only shows in the details, so
 * every owner's comm and exe are compared once (detail_slice, about
 * 15 us each) rather than rescanning every owner's fds (1.7 us per fd:
 * a third of a second with 200k).
 */
static void
cn_drain(struct backend *b)
{
	char err[128];
	ssize_t n;

	while (b->cnfd != -1) {
		n = recv(b->cnfd, b->nlbuf, NL_BUFSZ, MSG_DONTWAIT);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == ENOBUFS) {
			b->cn_lost = 1;
			continue;
		}
		if (n <= 0) {
			if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
				close(b->cnfd);		/* broken: do without */
				b->cnfd = -1;
				b->cn_live = 0;
			}
			break;
		}
		/* A malformed message: what it said is lost. */
		if (decode_proc_events(b->nlbuf, (size_t)n, on_proc_event, b,
		    err, sizeof(err)) == -1 && b->cnfd != -1)
			b->cn_lost = 1;
	}
	if (!b->cn_lost)
		return;
	b->cn_lost = 0;
	b->stats.proc_events_lost++;
	b->details_all = 1;
}

/*
 * Without process events, an exec or a rename (same pid, new command or
 * executable) is looked for in a slice of DETAIL_SLICE owners per
 * snapshot, in pid order: every owner within one interval while there
 * are at most that many, and all of them within nowners / DETAIL_SLICE
 * intervals otherwise. Checking is cheap (stat and the exe link, about
 * 15 us); only an owner that changed is read in full. all: every owner
 * (events were lost).
 */
static void
detail_slice(struct backend *b, int all)
{
	struct proc_info now;
	struct proc_ent *p;
	char path[32], link[PATH_MAX];
	size_t i, start, done, checked = 0;
	ssize_t n;
	int state;

	if (b->nprocs == 0)
		return;
	for (start = 0; start < b->nprocs; start++)
		if ((int32_t)b->procs[start].key > b->detail_cursor)
			break;
	for (i = start, done = 0; done < b->nprocs &&
	    (all || checked < DETAIL_SLICE); done++, i++) {
		if (i == b->nprocs)
			i = 0;
		p = &b->procs[i];
		if (!p->owns || !p->has_info || p->scanned || p->recheck)
			continue;
		checked++;
		b->detail_cursor = (int32_t)p->key;
		memset(&now, 0, sizeof(now));
		snprintf(path, sizeof(path), "%d/exe", (int)p->key);
		n = readlinkat(b->procfd, path, link, sizeof(link) - 1);
		if (n > 0)
			link[n] = '\0';
		state = read_stat((int32_t)p->key, &now);
		if (state == 0 || state == 'Z' ||
		    strcmp(now.comm, p->info.comm) != 0 ||
		    !str_same(n > 0 ? link : NULL, p->info.exe))
			p->recheck = 1;
	}
}

/*
 * Resolves owners for the current dump. Sets rows_dirty when the rows it
 * leads to may differ from the last ones built.
 */
static int
resolve_owners(struct backend *b)
{
	struct inode_ent *e;
	size_t i;
	uint32_t j;
	struct proc_ent *p;
	struct proc_info info;
	int has, again;

	b->any_denied = 0;
	b->ents_dirty = 0;
	/* Events name pids of the table as it was: read them first. */
	if (b->cnfd != -1)
		cn_drain(b);
	/* The same dump means the same inode table: keep it. */
	if (b->socks_changed || b->ents == NULL) {
		if (rebuild_ents(b) == -1)
			return -1;
		b->ents_dirty = 1;
	}
	if (list_procs(b) == -1)
		return -1;
	if (b->procs_gone)
		prune_owners(b);
	if (scan_where(b, want_fresh) == -1)
		return -1;
	if (scan_where(b, want_recheck) == -1)
		return -1;
	if (!(b->flags & BACKEND_ONESHOT) && scan_resync_slice(b) == -1)
		return -1;
	if (b->fd_counts && !(b->flags & BACKEND_ONESHOT) &&
	    scan_changed(b) == -1)
		return -1;
	if (count_search(b) > 0 && scan_where(b, want_owner) == -1)
		return -1;
	young_after = b->stats.snapshots > b->young_snaps ?
	    b->stats.snapshots - b->young_snaps : 0;
	if (count_search(b) > 0 && scan_where(b, want_young) == -1)
		return -1;
	if (count_search(b) > 0 && !(b->flags & BACKEND_ONESHOT))
		drop_vanished(b);
	if (count_search(b) > 0) {
		b->stats.full_scans++;
		if (scan_where(b, want_any) == -1)
			return -1;
	}
	/* Whatever is still unowned was searched everywhere: remember. */
	for (i = 0; i < b->nents; i++) {
		e = &b->ents[i];
		if (e->npids > 0) {
			e->state = ENT_OWNED;
			continue;
		}
		if (e->state == ENT_UNOWNED)
			continue;	/* searched before: keep its reason */
		e->state = ENT_UNOWNED;
		e->reason = b->any_denied ? PD_OWNER_DENIED : PD_OWNER_NONE;
		b->ents_dirty = 1;
	}
	/* Which processes hold listeners now (only changed if an owner
	 * set did); refresh their details when they were scanned or said
	 * to have changed (exec changes comm and exe, not the pid): by a
	 * process event, or without those by detail_slice. */
	if (b->ents_dirty) {
		for (i = 0; i < b->nprocs; i++)
			b->procs[i].owns = 0;
		for (i = 0; i < b->nents; i++) {
			e = &b->ents[i];
			for (j = 0; j < e->npids; j++)
				if ((p = proc_find(b, e->pids[j])) != NULL)
					p->owns = 1;
		}
		b->rows_dirty = 1;
	}
	if ((!b->cn_live || b->details_all) && !(b->flags & BACKEND_ONESHOT))
		detail_slice(b, b->details_all);
	b->details_all = 0;
	for (i = 0; i < b->nprocs; i++) {
		p = &b->procs[i];
		again = p->recheck;
		p->recheck = 0;
		if (!p->owns || (p->has_info && !p->scanned && !again))
			continue;
		has = backend_proc_info((int32_t)p->key, &info) == 0;
		if (has != p->has_info || (has && !proc_info_same(&info,
		    &p->info)))
			b->rows_dirty = 1;
		proc_info_clear(&p->info);
		p->info = info;		/* moved */
		p->has_info = (uint8_t)has;
	}
	return 0;
}

/* Reason for a socket without a visible owner. */
static int
unowned_reason(const struct backend *b, const struct inode_ent *e,
    const struct sock_info *si)
{
	if (e != NULL && e->reason == PD_OWNER_DENIED)
		return PD_OWNER_DENIED;
	/* Not root and not ours: hidepid or permissions hide the owner. */
	if (b->euid != 0 && si->uid != (uint32_t)b->euid)
		return PD_OWNER_DENIED;
	return PD_OWNER_NONE;
}

static int
build_rows(struct backend *b, const struct filter *f, struct snapshot *out)
{
	const struct sock_info *si;
	struct inode_ent *e;
	struct proc_ent *p;
	size_t i;
	uint32_t j;
	int added;

	for (i = 0; i < b->socks.n; i++) {
		si = &b->socks.v[i];
		if (f != NULL && !filter_match(f, si))
			continue;
		e = si->inode != 0 ? ent_find(b, si->inode) : NULL;
		added = 0;
		for (j = 0; e != NULL && j < e->npids; j++) {
			if ((p = proc_find(b, e->pids[j])) == NULL ||
			    !p->has_info)
				continue;
			if (p->snap_idx < 0 &&
			    (p->snap_idx = snapshot_add_proc(out,
			    &p->info)) < 0)
				return -1;
			if (snapshot_add_row(out, si, p->snap_idx,
			    PD_OWNER_OK) == NULL)
				return -1;
			added = 1;
		}
		if (!added && snapshot_add_row(out, si, -1,
		    unowned_reason(b, e, si)) == NULL)
			return -1;
	}
	for (i = 0; i < b->nprocs; i++)
		b->procs[i].snap_idx = -1;
	snapshot_sort(out);
	return 0;
}

/* ---- the contract ---------------------------------------------------- */

/*
 * How many fd directories a caching backend keeps open (scan_proc): a
 * quarter of the open-files limit, which is first raised to the hard
 * limit (up to 4 * HELD_MAX), so that the daemon's clients keep the rest.
 * Past the budget, the count pass looks the directory up by path.
 */
static uint32_t
held_budget(void)
{
	struct rlimit rl;
	rlim_t want = 4 * (rlim_t)HELD_MAX;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return 0;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
		rl.rlim_cur = rl.rlim_max == RLIM_INFINITY ||
		    rl.rlim_max > want ? want : rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
		(void)getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur / 4 > HELD_MAX)
		return HELD_MAX;
	return (uint32_t)(rl.rlim_cur / 4);
}

struct backend *
backend_new(int flags, char *err, size_t errlen)
{
	struct backend *b;
	struct sockaddr_nl sa;
	struct stat st;

	if ((b = calloc(1, sizeof(*b))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	b->flags = flags;
	b->rows_dirty = 1;
	b->lafd = -1;
	b->nlfd = -1;
	b->euid = geteuid();
	b->self = (int32_t)getpid();
	b->resync_cursor = 0;
	b->young_snaps = 10;
	if ((b->procfd = open("/proc", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "/proc: %s", strerror(errno));
		free(b);
		return NULL;
	}
	b->nlbuf = malloc(NL_BUFSZ);
	b->scan.dents = malloc(DENTS_BUFSZ);
	if (b->nlbuf == NULL || b->scan.dents == NULL) {
		snprintf(err, errlen, "out of memory");
		backend_free(b);
		return NULL;
	}
	if (!(flags & BACKEND_ONESHOT))
		b->lafd = openat(b->procfd, "loadavg", O_RDONLY | O_CLOEXEC);
	/* This process has fds 0-2 at least: a kernel that counts reports
	 * more than 0. */
	b->fd_counts = fstatat(b->procfd, "self/fd", &st, 0) == 0 &&
	    st.st_size > 0;
	b->cnfd = -1;
	if (!(flags & BACKEND_ONESHOT)) {
		b->held_max = held_budget();
		b->cnfd = cn_open();
	}
	if (!(flags & BACKEND_NO_NETLINK) &&
	    (b->nlfd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC,
	    NETLINK_SOCK_DIAG)) != -1) {
		memset(&sa, 0, sizeof(sa));
		sa.nl_family = AF_NETLINK;
		if (bind(b->nlfd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
			close(b->nlfd);
			b->nlfd = -1;
		}
	}
	return b;
}

void
backend_free(struct backend *b)
{
	size_t i;

	if (b == NULL)
		return;
	if (b->nlfd != -1)
		close(b->nlfd);
	if (b->procfd != -1)
		close(b->procfd);
	if (b->lafd != -1)
		close(b->lafd);
	if (b->cnfd != -1)
		close(b->cnfd);
	for (i = 0; i < b->nents; i++)
		free(b->ents[i].pids);
	for (i = 0; i < b->nprocs; i++) {
		proc_info_clear(&b->procs[i].info);
		proc_release_fd(b, &b->procs[i]);
	}
	free(b->ents);
	free(b->ent_idx.slots);
	free(b->procs);
	free(b->proc_idx.slots);
	free(b->scan.found);
	free(b->removed);
	free(b->strip);
	free(b->last);
	free(b->socks.v);
	free(b->nlbuf);
	free(b->scan.dents);
	free(b);
}

const char *
backend_source(const struct backend *b)
{
	return b->nlfd != -1 ? "netlink" : "procfs";
}

void
backend_get_stats(const struct backend *b, struct backend_stats *st)
{
	size_t i;

	*st = b->stats;
	st->proc_connector = b->cn_live;
	st->fd_counts = b->fd_counts;
	st->cache_inodes = b->nents;
	st->cache_unowned = 0;
	for (i = 0; i < b->nents; i++)
		if (b->ents[i].state == ENT_UNOWNED)
			st->cache_unowned++;
}

void
backend_set_resync(struct backend *b, uint32_t interval_ms,
    uint32_t resync_ms)
{
	b->resync_slice_num = interval_ms;
	b->resync_slice_den = resync_ms;
	/* Young: first seen within the last 10 s (at least 10 snapshots). */
	b->young_snaps = interval_ms > 0 ? 10000 / interval_ms : 10;
	if (b->young_snaps < 10)
		b->young_snaps = 10;
}

int
backend_sockets(struct backend *b, const struct filter *f,
    struct snapshot *out, char *err, size_t errlen)
{
	snapshot_clear(out);
	if (dump_sockets(b, f, err, errlen) == -1)
		return -1;
	return sock_list_rows(&b->socks, out, err, errlen);
}

/*
 * Dumps the sockets and resolves their owners. A caching backend must see
 * every socket, or its cache would forget the ones a filter hides: its
 * rows are filtered instead. Whether the dump differs from the previous
 * full one decides whether the inode table is rebuilt.
 */
static int
snapshot_resolve(struct backend *b, const struct filter *f, char *err,
    size_t errlen)
{
	int oneshot = (b->flags & BACKEND_ONESHOT) != 0;

	if (dump_sockets(b, oneshot ? f : NULL, err, errlen) == -1)
		goto fail;
	b->socks_changed = 1;
	if (!oneshot) {
		b->socks_changed = b->socks.n != b->nlast || (b->socks.n > 0 &&
		    memcmp(b->socks.v, b->last, b->socks.n *
		    sizeof(*b->socks.v)) != 0);
		if (b->socks_changed) {
			b->rows_dirty = 1;
			if (vec_grow((void **)&b->last, &b->caplast, b->socks.n,
			    sizeof(*b->last)) == -1)
				goto oom;
			if (b->socks.n > 0)
				memcpy(b->last, b->socks.v, b->socks.n *
				    sizeof(*b->socks.v));
			b->nlast = b->socks.n;
		}
	}
	/* A one-shot look at sockets that are not there has no owners to
	 * find: no scan of every process's descriptors for nothing. */
	if (!(oneshot && b->socks.n == 0) && resolve_owners(b) == -1)
		goto oom;
	b->stats.snapshots++;
	return 0;
oom:
	snprintf(err, errlen, "out of memory");
fail:
	/* Whatever was half done: rebuild everything next time. */
	b->nlast = 0;
	b->rows_dirty = 1;
	return -1;
}

int
backend_snapshot(struct backend *b, const struct filter *f,
    struct snapshot *out, char *err, size_t errlen)
{
	snapshot_clear(out);
	if (snapshot_resolve(b, f, err, errlen) == -1)
		return -1;
	if (build_rows(b, f, out) == -1) {
		snprintf(err, errlen, "out of memory");
		snapshot_clear(out);
		b->rows_dirty = 1;
		return -1;
	}
	return 0;
}

int
backend_snapshot_changes(struct backend *b, struct snapshot *out, char *err,
    size_t errlen)
{
	if (snapshot_resolve(b, NULL, err, errlen) == -1)
		return -1;
	if (!b->rows_dirty)
		return 1;
	snapshot_clear(out);
	if (build_rows(b, NULL, out) == -1) {
		snprintf(err, errlen, "out of memory");
		snapshot_clear(out);
		return -1;
	}
	b->rows_dirty = 0;
	return 0;
}

/* ---- signals --------------------------------------------------------- */

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

int
backend_has_signals(void)
{
	return 1;
}

/* 1 if pid still names the process started at start_time (not a zombie). */
static int
same_process(int32_t pid, uint64_t start_time)
{
	struct proc_info now;
	int state;

	memset(&now, 0, sizeof(now));
	state = read_stat(pid, &now);
	return state != 0 && state != 'Z' && now.start_time == start_time;
}

int
backend_proc_alive(const struct proc_info *p)
{
	return same_process(p->pid, p->start_time);
}

/*
 * Whether the process pid holds one of held's sockets, from its own
 * descriptors: 1 yes, 0 no, -1 they cannot be read (errno set).
 */
static int
holds_any(int32_t pid, const struct sock_info *held, size_t nheld)
{
	char path[40], link[64];
	struct dirent *d;
	uint64_t inode;
	ssize_t n;
	size_t i;
	DIR *dir;
	int dfd, found = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	if ((dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	if ((dir = fdopendir(dfd)) == NULL) {
		close(dfd);
		return -1;
	}
	while (!found && (d = readdir(dir)) != NULL) {
		if (d->d_name[0] == '.')
			continue;
		if ((n = readlinkat(dfd, d->d_name, link, sizeof(link))) <= 0)
			continue;	/* closed meanwhile */
		if ((inode = decode_socket_link(link, (size_t)n)) == 0)
			continue;
		for (i = 0; i < nheld && !found; i++)
			found = held[i].inode == inode;
	}
	closedir(dir);
	return found;
}

int
backend_signal(const struct proc_info *p, const struct sock_info *held,
    size_t nheld, int sig, char *err, size_t errlen)
{
	struct proc_info now;
	int pidfd, r, holds = 1;

	if (proc_never_signal(p, backend_self_pid()))
		return SIG_PROTECTED;
	/*
	 * Open a pidfd first, then check the start time: if the check
	 * passes, the pidfd refers to that process, and a signal through it
	 * can never reach a process that reused the pid afterwards.
	 */
	pidfd = (int)syscall(SYS_pidfd_open, (pid_t)p->pid, 0);
	if (pidfd == -1 && errno == ESRCH)
		return SIG_GONE;
	/* Only a kernel without pidfds (< 5.3) takes the kill() path
	 * below; out of descriptors or memory, no signal is sent rather
	 * than one through a pid that may be reused meanwhile. */
	if (pidfd == -1 && errno != ENOSYS) {
		snprintf(err, errlen, "pidfd_open: %s", strerror(errno));
		return SIG_FAILED;
	}
	if (!same_process(p->pid, p->start_time)) {
		if (pidfd != -1)
			close(pidfd);
		memset(&now, 0, sizeof(now));
		r = read_stat(p->pid, &now);
		return r == 0 || r == 'Z' ? SIG_GONE : SIG_REUSED;
	}
	/*
	 * The gate: its descriptors, read now. They were that process's if
	 * it is still the same one afterwards (alive through the pidfd, or
	 * by start time without one): until it dies its pid is not reused.
	 */
	if (held != NULL && (holds = holds_any(p->pid, held, nheld)) == -1) {
		r = errno;
		if (pidfd != -1)
			close(pidfd);
		if (!same_process(p->pid, p->start_time))
			return SIG_GONE;
		if (r == EACCES || r == EPERM)
			return SIG_DENIED;
		snprintf(err, errlen, "its descriptors: %s", strerror(r));
		return SIG_FAILED;
	}
	if (pidfd != -1 ? syscall(SYS_pidfd_send_signal, pidfd, 0, NULL,
	    0) == -1 && errno == ESRCH : !same_process(p->pid, p->start_time)) {
		if (pidfd != -1)
			close(pidfd);
		return SIG_GONE;
	}
	if (!holds) {
		if (pidfd != -1)
			close(pidfd);
		return SIG_NOT_HOLDER;
	}
	if (pidfd != -1) {
		r = (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
		close(pidfd);
	} else {
		/* Kernel without pidfds (< 5.3): checked just above. */
		r = kill((pid_t)p->pid, sig);
	}
	if (r == 0)
		return SIG_SENT;
	if (errno == ESRCH)
		return SIG_GONE;
	if (errno == EPERM)
		return SIG_DENIED;
	snprintf(err, errlen, "%s", strerror(errno));
	return SIG_FAILED;
}
