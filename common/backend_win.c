/*
 * backend_win.c - the Windows backend: sockets and their owning pids from
 * iphlpapi's tables (GetExtendedTcpTable, TCP_TABLE_OWNER_PID_LISTENER;
 * GetExtendedUdpTable, UDP_TABLE_OWNER_PID; IPv4 and IPv6), processes
 * through their handles: the image path from QueryFullProcessImageNameW
 * (a Toolhelp32 snapshot's name when the path cannot be read), the user
 * from the process token and LookupAccountSidW, the start time from
 * GetProcessTimes. Names are UTF-16 here and become UTF-8 once, in this
 * file.
 *
 * System calls only; the table rows are decoded in decode_win.c. Windows
 * names a socket's owner in the table itself, so there is nothing to
 * search: a snapshot reads the four tables and the details of each
 * owning pid. A caching backend keeps those details per (pid, creation
 * time) and the account names per SID, so a steady state costs the
 * tables plus one OpenProcess and GetProcessTimes per owner.
 *
 * "Signals" are TerminateProcess through a handle opened before the
 * creation time is checked, so the process checked is the one ended.
 */
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
#include <iphlpapi.h>
#include <sddl.h>
#include <tlhelp32.h>

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "decode_win.h"

/* The mirror structs of decode_win.h must be the real layouts. */
#define SAME_FIELD(w, m, wf, mf)					\
	_Static_assert(offsetof(w, wf) == offsetof(m, mf) &&		\
	    sizeof(((w *)0)->wf) == sizeof(((m *)0)->mf), #w "." #wf)
_Static_assert(sizeof(MIB_TCPROW_OWNER_PID) == sizeof(struct win_tcp4_row),
    "MIB_TCPROW_OWNER_PID");
SAME_FIELD(MIB_TCPROW_OWNER_PID, struct win_tcp4_row, dwState, state);
SAME_FIELD(MIB_TCPROW_OWNER_PID, struct win_tcp4_row, dwLocalAddr,
    local_addr);
SAME_FIELD(MIB_TCPROW_OWNER_PID, struct win_tcp4_row, dwLocalPort,
    local_port);
SAME_FIELD(MIB_TCPROW_OWNER_PID, struct win_tcp4_row, dwOwningPid,
    owning_pid);
_Static_assert(sizeof(MIB_TCP6ROW_OWNER_PID) == sizeof(struct win_tcp6_row),
    "MIB_TCP6ROW_OWNER_PID");
SAME_FIELD(MIB_TCP6ROW_OWNER_PID, struct win_tcp6_row, ucLocalAddr,
    local_addr);
SAME_FIELD(MIB_TCP6ROW_OWNER_PID, struct win_tcp6_row, dwLocalScopeId,
    local_scope_id);
SAME_FIELD(MIB_TCP6ROW_OWNER_PID, struct win_tcp6_row, dwLocalPort,
    local_port);
SAME_FIELD(MIB_TCP6ROW_OWNER_PID, struct win_tcp6_row, dwState, state);
SAME_FIELD(MIB_TCP6ROW_OWNER_PID, struct win_tcp6_row, dwOwningPid,
    owning_pid);
_Static_assert(sizeof(MIB_UDPROW_OWNER_PID) == sizeof(struct win_udp4_row),
    "MIB_UDPROW_OWNER_PID");
SAME_FIELD(MIB_UDPROW_OWNER_PID, struct win_udp4_row, dwLocalAddr,
    local_addr);
SAME_FIELD(MIB_UDPROW_OWNER_PID, struct win_udp4_row, dwLocalPort,
    local_port);
SAME_FIELD(MIB_UDPROW_OWNER_PID, struct win_udp4_row, dwOwningPid,
    owning_pid);
_Static_assert(sizeof(MIB_UDP6ROW_OWNER_PID) == sizeof(struct win_udp6_row),
    "MIB_UDP6ROW_OWNER_PID");
SAME_FIELD(MIB_UDP6ROW_OWNER_PID, struct win_udp6_row, ucLocalAddr,
    local_addr);
SAME_FIELD(MIB_UDP6ROW_OWNER_PID, struct win_udp6_row, dwLocalScopeId,
    local_scope_id);
SAME_FIELD(MIB_UDP6ROW_OWNER_PID, struct win_udp6_row, dwLocalPort,
    local_port);
SAME_FIELD(MIB_UDP6ROW_OWNER_PID, struct win_udp6_row, dwOwningPid,
    owning_pid);
_Static_assert(WIN_TCP_STATE_LISTEN == MIB_TCP_STATE_LISTEN, "LISTEN");
_Static_assert(offsetof(MIB_TCPTABLE_OWNER_PID, table) == 4, "table");
_Static_assert(offsetof(MIB_TCP6TABLE_OWNER_PID, table) == 4, "table");
_Static_assert(offsetof(MIB_UDPTABLE_OWNER_PID, table) == 4, "table");
_Static_assert(offsetof(MIB_UDP6TABLE_OWNER_PID, table) == 4, "table");

#define PID_IDLE	0
#define PID_SYSTEM	4
#define TABLE_TRIES	16	/* the table may grow between two calls */
#define SID_CACHE_MAX	128
/* 100 ns intervals from 1601-01-01 to 1970-01-01. */
#define FILETIME_UNIX_EPOCH	116444736000000000ULL

/* Details of one owner, valid while its creation time is unchanged. */
struct proc_ent {
	int32_t pid;
	uint64_t created;
	int seen;			/* owns a socket in this snapshot */
	int snap_idx;			/* index in the snapshot being built */
	struct proc_info info;
};

struct sid_ent {
	char *sid;			/* "S-1-5-21-..." */
	char name[PD_NAME_MAX];		/* "DOMAIN\user" */
};

struct backend {
	int flags;
	unsigned char *buf;		/* the table being read */
	DWORD bufsize;
	struct sock_list socks;
	struct proc_ent *procs;
	size_t nprocs, capprocs;
	/* What backend_snapshot_changes last turned into rows. */
	struct sock_info *prev;
	size_t nprev;
	int have_prev;
	int owners_changed;		/* an owner was (re)read or dropped */
	struct backend_stats stats;
};

/*
 * Account names by SID, for as long as a backend exists (portd keeps one
 * for its life; backend_proc_info, which has none, uses it too). Full:
 * forgotten at once and refilled.
 */
static struct sid_ent sid_cache[SID_CACHE_MAX];
static size_t sid_count;
static int nbackends;

static void
sid_cache_clear(void)
{
	size_t i;

	for (i = 0; i < sid_count; i++)
		free(sid_cache[i].sid);
	sid_count = 0;
}

/* ---- small helpers --------------------------------------------------- */

/* Windows's message for an error code, in UTF-8, without the newline. */
static void
win_strerror(DWORD code, char *buf, size_t len)
{
	WCHAR w[256];
	DWORD n;

	n = FormatMessageW(FORMAT_MESSAGE_FROM_SYSTEM |
	    FORMAT_MESSAGE_IGNORE_INSERTS, NULL, code, 0, w,
	    sizeof(w) / sizeof(w[0]), NULL);
	while (n > 0 && (w[n - 1] == L'\r' || w[n - 1] == L'\n' ||
	    w[n - 1] == L' ' || w[n - 1] == L'.'))
		w[--n] = L'\0';
	if (n == 0 || WideCharToMultiByte(CP_UTF8, 0, w, -1, buf, (int)len,
	    NULL, NULL) == 0)
		snprintf(buf, len, "error %lu", (unsigned long)code);
}

/*
 * UTF-16 -> UTF-8 into buf (len bytes), cut at a character boundary if
 * it does not fit. The one place names change encoding.
 */
static void
utf8_from_wide(const WCHAR *w, int wlen, char *buf, size_t len)
{
	char tmp[4096];
	int n;
	size_t end;

	buf[0] = '\0';
	if (len == 0)
		return;
	n = WideCharToMultiByte(CP_UTF8, 0, w, wlen, tmp, sizeof(tmp) - 1,
	    NULL, NULL);
	if (n <= 0)
		return;
	tmp[n] = '\0';
	end = (size_t)n;
	if (end >= len) {
		end = len - 1;
		/* Back up over continuation bytes to a character's start. */
		while (end > 0 && ((unsigned char)tmp[end] & 0xc0) == 0x80)
			end--;
	}
	memcpy(buf, tmp, end);
	buf[end] = '\0';
}

/* Copies UTF-8 text, cut at a character boundary if it does not fit. */
static void
utf8_copy(char *buf, size_t len, const char *s)
{
	size_t end = strlen(s);

	if (end >= len) {
		end = len - 1;
		while (end > 0 && ((unsigned char)s[end] & 0xc0) == 0x80)
			end--;
	}
	memcpy(buf, s, end);
	buf[end] = '\0';
}

/* UTF-16 -> a new UTF-8 string, or NULL. */
static char *
utf8_dup(const WCHAR *w, int wlen)
{
	char *s;
	int n;

	if ((n = WideCharToMultiByte(CP_UTF8, 0, w, wlen, NULL, 0, NULL,
	    NULL)) <= 0 || (s = malloc((size_t)n + 1)) == NULL)
		return NULL;
	WideCharToMultiByte(CP_UTF8, 0, w, wlen, s, n, NULL, NULL);
	s[n] = '\0';
	return s;
}

static uint64_t
filetime_u64(const FILETIME *ft)
{
	return (uint64_t)ft->dwHighDateTime << 32 | ft->dwLowDateTime;
}

static int64_t
filetime_unix_ms(uint64_t ft)
{
	return ft < FILETIME_UNIX_EPOCH ? 0 :
	    (int64_t)((ft - FILETIME_UNIX_EPOCH) / 10000);
}

/* The creation time of the process behind h, or 0. */
static uint64_t
handle_created(HANDLE h)
{
	FILETIME created, exited, kernel, user;

	if (!GetProcessTimes(h, &created, &exited, &kernel, &user))
		return 0;
	return filetime_u64(&created);
}

/* Whether the process behind h has exited (its object may outlive it). */
static int
handle_exited(HANDLE h)
{
	return WaitForSingleObject(h, 0) == WAIT_OBJECT_0;
}

/* ---- sockets ----------------------------------------------------------- */

/* Reads one table into b->buf; grows it while the table grows. */
static int
read_table(struct backend *b, int table, char *err, size_t errlen)
{
	ULONG af = table == WIN_TCP6 || table == WIN_UDP6 ? AF_INET6 : AF_INET;
	DWORD size, r = ERROR_INSUFFICIENT_BUFFER;
	unsigned char *nbuf;
	char msg[256];
	int tries;

	for (tries = 0; tries < TABLE_TRIES; tries++) {
		size = b->bufsize;
		if (table == WIN_TCP4 || table == WIN_TCP6)
			r = GetExtendedTcpTable(b->buf, &size, FALSE, af,
			    TCP_TABLE_OWNER_PID_LISTENER, 0);
		else
			r = GetExtendedUdpTable(b->buf, &size, FALSE, af,
			    UDP_TABLE_OWNER_PID, 0);
		if (r == NO_ERROR)
			return 0;
		if (r != ERROR_INSUFFICIENT_BUFFER)
			break;
		/* Room for the rows that appear before the next call. */
		size += size / 4 + 4096;
		if ((nbuf = realloc(b->buf, size)) == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		b->buf = nbuf;
		b->bufsize = size;
	}
	/* No IPv6 stack: nothing listens there. */
	if (af == AF_INET6 && (r == ERROR_NOT_SUPPORTED ||
	    r == ERROR_INVALID_PARAMETER)) {
		memset(b->buf, 0, sizeof(DWORD));
		return 0;
	}
	win_strerror(r, msg, sizeof(msg));
	snprintf(err, errlen, "%s (%s): %s", table == WIN_TCP4 ||
	    table == WIN_TCP6 ? "GetExtendedTcpTable" : "GetExtendedUdpTable",
	    af == AF_INET6 ? "IPv6" : "IPv4", r == ERROR_INSUFFICIENT_BUFFER ?
	    "the table kept growing" : msg);
	return -1;
}

/* Fills b->socks with the listeners f selects (NULL: all). */
static int
dump_sockets(struct backend *b, const struct filter *f, char *err,
    size_t errlen)
{
	static const int tables[] = { WIN_TCP4, WIN_TCP6, WIN_UDP4, WIN_UDP6 };
	size_t i;
	int proto, r = 0;

	b->socks.n = 0;
	b->socks.f = f;
	for (i = 0; i < sizeof(tables) / sizeof(tables[0]) && r != -1; i++) {
		proto = tables[i] == WIN_TCP4 || tables[i] == WIN_TCP6 ?
		    PD_TCP : PD_UDP;
		if (f != NULL && f->protos != 0 && !(f->protos & proto))
			continue;
		if ((r = read_table(b, tables[i], err, errlen)) == 0)
			r = decode_win_table(b->buf, b->bufsize, tables[i],
			    sock_list_add, &b->socks, err, errlen);
	}
	b->socks.f = NULL;
	return r == -1 ? -1 : 0;
}

/* ---- processes --------------------------------------------------------- */

/* "DOMAIN\user" of the process's token, through the SID cache. */
static void
token_user(HANDLE proc, char *buf, size_t len)
{
	union {
		TOKEN_USER tu;
		unsigned char raw[256];
	} u;
	WCHAR name[256], domain[256], full[520];
	DWORD n = 0, nname = 256, ndomain = 256;
	SID_NAME_USE use;
	HANDLE tok;
	LPWSTR wsid = NULL;
	char sid[192];
	size_t i;

	buf[0] = '\0';
	if (!OpenProcessToken(proc, TOKEN_QUERY, &tok))
		return;
	if (!GetTokenInformation(tok, TokenUser, &u, sizeof(u), &n)) {
		CloseHandle(tok);
		return;
	}
	CloseHandle(tok);
	sid[0] = '\0';
	if (ConvertSidToStringSidW(u.tu.User.Sid, &wsid)) {
		utf8_from_wide(wsid, -1, sid, sizeof(sid));
		LocalFree(wsid);
	}
	for (i = 0; sid[0] != '\0' && i < sid_count; i++)
		if (strcmp(sid_cache[i].sid, sid) == 0) {
			snprintf(buf, len, "%s", sid_cache[i].name);
			return;
		}
	if (LookupAccountSidW(NULL, u.tu.User.Sid, name, &nname, domain,
	    &ndomain, &use)) {
		if (domain[0] != L'\0')
			_snwprintf(full, sizeof(full) / sizeof(full[0]),
			    L"%ls\\%ls", domain, name);
		else
			_snwprintf(full, sizeof(full) / sizeof(full[0]),
			    L"%ls", name);
		full[sizeof(full) / sizeof(full[0]) - 1] = L'\0';
		utf8_from_wide(full, -1, buf, len);
	} else
		snprintf(buf, len, "%s", sid);	/* an account since deleted */
	if (nbackends == 0 || sid[0] == '\0' || buf[0] == '\0')
		return;
	if (sid_count == SID_CACHE_MAX)
		sid_cache_clear();
	if ((sid_cache[sid_count].sid = strdup(sid)) != NULL) {
		snprintf(sid_cache[sid_count].name,
		    sizeof(sid_cache[sid_count].name), "%s", buf);
		sid_count++;
	}
}

/* The parent and image name of pid from a Toolhelp32 snapshot. */
static int
toolhelp_find(HANDLE snap, int32_t pid, int32_t *ppid, char *name,
    size_t len)
{
	PROCESSENTRY32W pe;

	if (snap == INVALID_HANDLE_VALUE)
		return -1;
	pe.dwSize = sizeof(pe);
	if (!Process32FirstW(snap, &pe))
		return -1;
	do {
		if ((int32_t)pe.th32ProcessID == pid) {
			*ppid = (int32_t)pe.th32ParentProcessID;
			utf8_from_wide(pe.szExeFile, -1, name, len);
			return 0;
		}
	} while (Process32NextW(snap, &pe));
	return -1;
}

/* The last component of a Windows path. */
static const char *
base_name(const char *path)
{
	const char *p, *base = path;

	for (p = path; *p != '\0'; p++)
		if (*p == '\\' || *p == '/')
			base = p + 1;
	return base;
}

/*
 * Reads pid's details through an open handle (h may be NULL: then only
 * what the Toolhelp snapshot says). snap is a Toolhelp32 snapshot or
 * INVALID_HANDLE_VALUE.
 */
static void
read_proc(HANDLE h, HANDLE snap, int32_t pid, struct proc_info *out)
{
	WCHAR path[32768];
	DWORD n = sizeof(path) / sizeof(path[0]);
	char name[PD_NAME_MAX];

	memset(out, 0, sizeof(*out));
	out->pid = pid;
	out->uid = out->suid = PD_UID_UNKNOWN;
	name[0] = '\0';
	(void)toolhelp_find(snap, pid, &out->ppid, name, sizeof(name));
	if (h != NULL) {
		out->start_time = handle_created(h);
		out->started_ms = filetime_unix_ms(out->start_time);
		if (QueryFullProcessImageNameW(h, 0, path, &n))
			out->exe = utf8_dup(path, (int)n);
		token_user(h, out->user, sizeof(out->user));
	}
	utf8_copy(out->comm, sizeof(out->comm), out->exe != NULL ?
	    base_name(out->exe) : name);
	if (pid == PID_SYSTEM && out->comm[0] == '\0')
		snprintf(out->comm, sizeof(out->comm), "System");
	if (pid == PID_SYSTEM && out->user[0] == '\0')
		snprintf(out->user, sizeof(out->user), "NT AUTHORITY\\SYSTEM");
}

static HANDLE
open_query(int32_t pid)
{
	return OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION | SYNCHRONIZE,
	    FALSE, (DWORD)pid);
}

int
backend_proc_info(int32_t pid, struct proc_info *out)
{
	HANDLE h, snap;

	memset(out, 0, sizeof(*out));
	if (pid <= 0)
		return -1;
	h = open_query(pid);
	if (h != NULL && handle_exited(h)) {
		CloseHandle(h);
		return -1;
	}
	snap = CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0);
	read_proc(h, snap, pid, out);
	if (snap != INVALID_HANDLE_VALUE)
		CloseHandle(snap);
	if (h != NULL)
		CloseHandle(h);
	/* Neither a handle nor a Toolhelp entry: no such process. */
	if (h == NULL && out->comm[0] == '\0' && pid != PID_SYSTEM) {
		proc_info_clear(out);
		return -1;
	}
	return 0;
}

static struct proc_ent *
proc_find(struct backend *b, int32_t pid)
{
	size_t i;

	for (i = 0; i < b->nprocs; i++)
		if (b->procs[i].pid == pid)
			return &b->procs[i];
	return NULL;
}

/*
 * Makes sure every owning pid of the dump has an entry with current
 * details; drops the entries of processes that own nothing now.
 */
static int
resolve_owners(struct backend *b)
{
	HANDLE snap = INVALID_HANDLE_VALUE, h;
	struct proc_ent *e;
	uint64_t created;
	size_t i, j;
	int32_t pid;

	for (i = 0; i < b->nprocs; i++)
		b->procs[i].seen = 0;
	for (i = 0; i < b->socks.n; i++) {
		if ((pid = b->socks.v[i].pid) == PID_IDLE)
			continue;	/* Wine: the table names no owner */
		if ((e = proc_find(b, pid)) != NULL && e->seen)
			continue;
		h = open_query(pid);
		created = h != NULL ? handle_created(h) : 0;
		if (e != NULL && (created == e->created || h == NULL) &&
		    !(b->flags & BACKEND_ONESHOT)) {
			e->seen = 1;	/* unchanged (or unreadable as before) */
			if (h != NULL)
				CloseHandle(h);
			continue;
		}
		if (e == NULL) {
			if (vec_grow((void **)&b->procs, &b->capprocs,
			    b->nprocs + 1, sizeof(*b->procs)) == -1) {
				if (h != NULL)
					CloseHandle(h);
				goto fail;
			}
			e = &b->procs[b->nprocs++];
			memset(e, 0, sizeof(*e));
			e->pid = pid;
		}
		if (snap == INVALID_HANDLE_VALUE)
			snap = CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0);
		proc_info_clear(&e->info);
		read_proc(h, snap, pid, &e->info);
		e->created = created;
		e->seen = 1;
		e->snap_idx = -1;
		b->owners_changed = 1;
		b->stats.procs_scanned++;
		if (h != NULL)
			CloseHandle(h);
	}
	for (i = j = 0; i < b->nprocs; i++) {
		if (!b->procs[i].seen) {
			proc_info_clear(&b->procs[i].info);
			b->owners_changed = 1;
			continue;
		}
		b->procs[i].snap_idx = -1;
		b->procs[j++] = b->procs[i];
	}
	b->nprocs = j;
	if (snap != INVALID_HANDLE_VALUE)
		CloseHandle(snap);
	return 0;
fail:
	if (snap != INVALID_HANDLE_VALUE)
		CloseHandle(snap);
	return -1;
}

static int
build_rows(struct backend *b, struct snapshot *out)
{
	const struct sock_info *si;
	struct proc_ent *e;
	size_t i;

	for (i = 0; i < b->socks.n; i++) {
		si = &b->socks.v[i];
		if (si->pid == PID_IDLE) {
			/* Wine keeps every socket in its server process and
			 * reports owner 0: the owner is not visible. */
			if (snapshot_add_row(out, si, -1,
			    PD_OWNER_UNSUPPORTED) == NULL)
				return -1;
			continue;
		}
		if ((e = proc_find(b, si->pid)) == NULL) {
			if (snapshot_add_row(out, si, -1, PD_OWNER_NONE) ==
			    NULL)
				return -1;
			continue;
		}
		if (e->snap_idx < 0 && (e->snap_idx = snapshot_add_proc(out,
		    &e->info)) < 0)
			return -1;
		if (snapshot_add_row(out, si, e->snap_idx, PD_OWNER_OK) ==
		    NULL)
			return -1;
	}
	for (i = 0; i < b->nprocs; i++)
		b->procs[i].snap_idx = -1;
	snapshot_sort(out);
	return 0;
}

/* ---- the contract ------------------------------------------------------ */

struct backend *
backend_new(int flags, char *err, size_t errlen)
{
	struct backend *b;
	WSADATA wsa;

	if ((b = calloc(1, sizeof(*b))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	b->flags = flags;
	b->bufsize = 64 * 1024;
	if ((b->buf = malloc(b->bufsize)) == NULL) {
		snprintf(err, errlen, "out of memory");
		free(b);
		return NULL;
	}
	/* Address text (inet_ntop) and service names need Winsock. */
	(void)WSAStartup(MAKEWORD(2, 2), &wsa);
	nbackends++;
	return b;
}

void
backend_free(struct backend *b)
{
	size_t i;

	if (b == NULL)
		return;
	for (i = 0; i < b->nprocs; i++)
		proc_info_clear(&b->procs[i].info);
	if (--nbackends == 0)
		sid_cache_clear();
	free(b->procs);
	free(b->prev);
	free(b->socks.v);
	free(b->buf);
	free(b);
	/* No WSACleanup: the rows outlive the backend and their addresses
	 * are still printed (inet_ntop); Winsock ends with the process. */
}

const char *
backend_source(const struct backend *b)
{
	(void)b;
	return "iphlpapi";
}

void
backend_get_stats(const struct backend *b, struct backend_stats *st)
{
	*st = b->stats;
	st->cache_inodes = b->nprocs;
	st->cache_unowned = 0;
}

void
backend_set_resync(struct backend *b, uint32_t interval_ms,
    uint32_t resync_ms)
{
	/* The tables name every owner each time: nothing to resync. */
	(void)b;
	(void)interval_ms;
	(void)resync_ms;
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

int
backend_snapshot(struct backend *b, const struct filter *f,
    struct snapshot *out, char *err, size_t errlen)
{
	snapshot_clear(out);
	if (dump_sockets(b, f, err, errlen) == -1)
		return -1;
	if (resolve_owners(b) == -1 || build_rows(b, out) == -1) {
		snprintf(err, errlen, "out of memory");
		snapshot_clear(out);
		return -1;
	}
	b->stats.snapshots++;
	if (b->stats.snapshots == 1 || (b->flags & BACKEND_ONESHOT))
		b->stats.full_scans++;
	return 0;
}

static int
sock_equal(const struct sock_info *a, const struct sock_info *b)
{
	return a->proto == b->proto && a->family == b->family &&
	    a->state == b->state && a->port == b->port &&
	    a->scope_id == b->scope_id && a->pid == b->pid &&
	    memcmp(a->addr, b->addr, sizeof(a->addr)) == 0;
}

/*
 * Unchanged: the same rows in the same table order, and no owner read
 * afresh or gone since the rows were last built (a pid reused between
 * two snapshots has a new creation time, so it is read afresh).
 */
int
backend_snapshot_changes(struct backend *b, struct snapshot *out, char *err,
    size_t errlen)
{
	struct sock_info *copy;
	size_t i;

	if (dump_sockets(b, NULL, err, errlen) == -1)
		return -1;
	if (resolve_owners(b) == -1) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	b->stats.snapshots++;
	if (b->have_prev && !b->owners_changed && b->nprev == b->socks.n) {
		for (i = 0; i < b->socks.n; i++)
			if (!sock_equal(&b->prev[i], &b->socks.v[i]))
				break;
		if (i == b->socks.n)
			return 1;
	}
	snapshot_clear(out);
	b->have_prev = 0;
	if (build_rows(b, out) == -1 || (copy = realloc(b->prev,
	    (b->socks.n + 1) * sizeof(*copy))) == NULL) {
		snprintf(err, errlen, "out of memory");
		snapshot_clear(out);
		return -1;
	}
	b->prev = copy;
	memcpy(b->prev, b->socks.v, b->socks.n * sizeof(*b->prev));
	b->nprev = b->socks.n;
	b->have_prev = 1;
	b->owners_changed = 0;
	return 0;
}

/*
 * The service a process runs, from the service manager: the name of the
 * running Win32 service whose process id is pid, or "".
 */
void
backend_proc_unit(int32_t pid, char *buf, size_t len)
{
	ENUM_SERVICE_STATUS_PROCESSW *svc;
	DWORD need = 0, n = 0, resume = 0, i;
	SC_HANDLE scm;
	BYTE *mem = NULL;

	buf[0] = '\0';
	if (pid <= 0 || (scm = OpenSCManagerW(NULL, NULL,
	    SC_MANAGER_ENUMERATE_SERVICE)) == NULL)
		return;
	(void)EnumServicesStatusExW(scm, SC_ENUM_PROCESS_INFO, SERVICE_WIN32,
	    SERVICE_ACTIVE, NULL, 0, &need, &n, &resume, NULL);
	if (need > 0 && (mem = malloc(need)) != NULL) {
		resume = 0;
		if (EnumServicesStatusExW(scm, SC_ENUM_PROCESS_INFO,
		    SERVICE_WIN32, SERVICE_ACTIVE, mem, need, &need, &n,
		    &resume, NULL)) {
			svc = (ENUM_SERVICE_STATUS_PROCESSW *)(void *)mem;
			for (i = 0; i < n; i++)
				if (svc[i].ServiceStatusProcess.dwProcessId ==
				    (DWORD)pid) {
					utf8_from_wide(svc[i].lpServiceName,
					    -1, buf, len);
					break;
				}
		}
	}
	free(mem);
	CloseServiceHandle(scm);
}

void
backend_user_name(uint32_t uid, char *buf, size_t len)
{
	/* Windows names accounts by SID, never by number: rows carry the
	 * name itself. */
	snprintf(buf, len, "%u", (unsigned)uid);
}

int32_t
backend_self_pid(void)
{
	return (int32_t)GetCurrentProcessId();
}

/* ---- "signals" --------------------------------------------------------- */

int
backend_has_signals(void)
{
	return 0;
}

int
backend_proc_alive(const struct proc_info *p)
{
	HANDLE h;
	int alive;

	if ((h = open_query(p->pid)) == NULL)
		return 0;
	alive = !handle_exited(h) && handle_created(h) == p->start_time;
	CloseHandle(h);
	return alive;
}

/*
 * Whether the TCP/UDP owner tables, read now, name pid as the owner of
 * one of held's sockets (Windows has no inodes: the same protocol,
 * family, address and port): 1 yes, 0 no, -1 the tables cannot be read.
 */
static int
holds_any(int32_t pid, const struct sock_info *held, size_t nheld,
    char *err, size_t errlen)
{
	struct backend *b;
	struct filter f;
	struct portspec ps;
	size_t i, j;
	int found = 0;

	filter_init(&f);
	for (i = 0; i < nheld; i++) {
		memset(&ps, 0, sizeof(ps));
		ps.lo = ps.hi = held[i].port;
		ps.protos = held[i].proto;
		if (filter_add(&f, &ps) == -1) {
			filter_init(&f);	/* too many: read them all */
			break;
		}
	}
	if ((b = backend_new(BACKEND_ONESHOT, err, errlen)) == NULL)
		return -1;
	if (dump_sockets(b, f.nspecs > 0 ? &f : NULL, err, errlen) == -1) {
		backend_free(b);
		return -1;
	}
	for (i = 0; i < b->socks.n && !found; i++) {
		const struct sock_info *si = &b->socks.v[i];

		if (si->pid != pid)
			continue;
		for (j = 0; j < nheld && !found; j++)
			found = si->proto == held[j].proto &&
			    si->family == held[j].family &&
			    si->port == held[j].port &&
			    memcmp(si->addr, held[j].addr, 16) == 0;
	}
	backend_free(b);
	return found;
}

int
backend_signal(const struct proc_info *p, const struct sock_info *held,
    size_t nheld, int sig, char *err, size_t errlen)
{
	HANDLE h;
	DWORD e;
	int r, holds;

	(void)sig;	/* terminate and kill are the same thing here */
	/* Idle (0) and System (4) are part of the one rule. */
	if (proc_never_signal(p, backend_self_pid()))
		return SIG_PROTECTED;
	/*
	 * The handle is opened first, then the creation time checked: if it
	 * matches, the handle refers to that process, and terminating
	 * through it can never reach a process that reused the pid.
	 */
	h = OpenProcess(PROCESS_TERMINATE | PROCESS_QUERY_LIMITED_INFORMATION |
	    SYNCHRONIZE, FALSE, (DWORD)p->pid);
	if (h == NULL) {
		e = GetLastError();
		if (e == ERROR_INVALID_PARAMETER)
			return SIG_GONE;	/* no process has that pid */
		if (e == ERROR_ACCESS_DENIED)
			return SIG_DENIED;
		win_strerror(e, err, errlen);
		return SIG_FAILED;
	}
	/* The handle keeps the pid from being reused while the tables are
	 * read: the owner pid they name is this process. */
	holds = held == NULL || handle_exited(h) ||
	    handle_created(h) != p->start_time ? 1 :
	    holds_any(p->pid, held, nheld, err, errlen);
	if (handle_exited(h))
		r = SIG_GONE;
	else if (handle_created(h) != p->start_time)
		r = SIG_REUSED;
	else if (holds == -1)
		r = SIG_FAILED;
	else if (holds == 0)
		r = SIG_NOT_HOLDER;
	else if (TerminateProcess(h, 1))
		r = SIG_SENT;
	else {
		e = GetLastError();
		/* Access is also denied to a process already exiting. */
		if (handle_exited(h))
			r = SIG_GONE;
		else if (e == ERROR_ACCESS_DENIED)
			r = SIG_DENIED;
		else {
			win_strerror(e, err, errlen);
			r = SIG_FAILED;
		}
	}
	CloseHandle(h);
	return r;
}
