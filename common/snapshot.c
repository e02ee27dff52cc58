/*
 * snapshot.c - the listener model's containers and text helpers.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "snapshot.h"

void
snapshot_init(struct snapshot *s)
{
	memset(s, 0, sizeof(*s));
}

void
snapshot_clear(struct snapshot *s)
{
	size_t i;

	for (i = 0; i < s->nprocs; i++)
		proc_info_clear(&s->procs[i]);
	free(s->rows);
	free(s->procs);
	snapshot_init(s);
}

int
vec_grow(void **base, size_t *cap, size_t need, size_t size)
{
	size_t ncap;
	void *p;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 64;
	while (ncap < need)
		ncap *= 2;
	if ((p = realloc(*base, ncap * size)) == NULL)
		return -1;
	*base = p;
	*cap = ncap;
	return 0;
}

void
pd_seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

struct listener *
snapshot_add_row(struct snapshot *s, const struct sock_info *si, int proc,
    int reason)
{
	struct listener *l;

	if (vec_grow((void **)&s->rows, &s->caprows, s->nrows + 1,
	    sizeof(*s->rows)) == -1)
		return NULL;
	l = &s->rows[s->nrows++];
	memset(l, 0, sizeof(*l));
	l->sock = *si;
	l->proc = proc;
	l->reason = (uint8_t)reason;
	return l;
}

int
snapshot_add_proc(struct snapshot *s, const struct proc_info *p)
{
	if (vec_grow((void **)&s->procs, &s->capprocs, s->nprocs + 1,
	    sizeof(*s->procs)) == -1)
		return -1;
	if (proc_info_copy(&s->procs[s->nprocs], p) == -1)
		return -1;
	return (int)s->nprocs++;
}

int
snapshot_find_proc(const struct snapshot *s, int32_t pid, uint64_t start_time)
{
	size_t i;

	for (i = 0; i < s->nprocs; i++)
		if (s->procs[i].pid == pid &&
		    s->procs[i].start_time == start_time)
			return (int)i;
	return -1;
}

const struct proc_info *
snapshot_row_proc(const struct snapshot *s, const struct listener *l)
{
	if (l->proc < 0 || (size_t)l->proc >= s->nprocs)
		return NULL;
	return &s->procs[l->proc];
}

static int
cmp_u64(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

int
listener_cmp(const struct listener *a, const struct proc_info *pa,
    const struct listener *b, const struct proc_info *pb)
{
	int c;

	if ((c = cmp_u64(a->sock.port, b->sock.port)) != 0)
		return c;
	if ((c = cmp_u64(a->sock.proto, b->sock.proto)) != 0)
		return c;
	if ((c = cmp_u64(a->sock.family, b->sock.family)) != 0)
		return c;
	if ((c = memcmp(a->sock.addr, b->sock.addr, sizeof(a->sock.addr))) != 0)
		return c;
	if ((c = cmp_u64(a->sock.scope_id, b->sock.scope_id)) != 0)
		return c;
	if ((c = cmp_u64(a->sock.inode, b->sock.inode)) != 0)
		return c;
	if ((c = cmp_u64(pa ? (uint64_t)pa->pid : 0,
	    pb ? (uint64_t)pb->pid : 0)) != 0)
		return c;
	return cmp_u64(pa ? pa->start_time : 0, pb ? pb->start_time : 0);
}

static int
row_cmp(const struct snapshot *s, size_t i, size_t j)
{
	return listener_cmp(&s->rows[i], snapshot_row_proc(s, &s->rows[i]),
	    &s->rows[j], snapshot_row_proc(s, &s->rows[j]));
}

static void
row_swap(struct snapshot *s, size_t i, size_t j)
{
	struct listener t = s->rows[i];

	s->rows[i] = s->rows[j];
	s->rows[j] = t;
}

/* Moves row i down the max-heap of rows [0, n) to where it belongs. */
static void
sift_down(struct snapshot *s, size_t i, size_t n)
{
	size_t c;

	while ((c = 2 * i + 1) < n) {
		if (c + 1 < n && row_cmp(s, c, c + 1) < 0)
			c++;
		if (row_cmp(s, i, c) >= 0)
			return;
		row_swap(s, i, c);
		i = c;
	}
}

/*
 * A heapsort in place: qsort has no context argument in C11 (the order
 * needs the rows' processes), and sorting through an index array needs
 * memory that may not be there, while the diff needs the order. This
 * cannot fail, and costs n log n comparisons like qsort.
 */
void
snapshot_sort(struct snapshot *s)
{
	size_t i, n = s->nrows;

	if (n < 2)
		return;
	for (i = n / 2; i-- > 0;)
		sift_down(s, i, n);
	for (i = n - 1; i > 0; i--) {
		row_swap(s, 0, i);
		sift_down(s, 0, i);
	}
}

void
proc_info_clear(struct proc_info *p)
{
	free(p->exe);
	memset(p, 0, sizeof(*p));
}

int
proc_never_signal(const struct proc_info *p, int32_t self)
{
	return p->pid <= 2 || p->ppid == 2 || p->pid == self ||
	    p->pid == PD_PID_SYSTEM;
}

int
proc_info_copy(struct proc_info *dst, const struct proc_info *src)
{
	*dst = *src;
	dst->exe = NULL;
	if (src->exe != NULL && (dst->exe = strdup(src->exe)) == NULL)
		return -1;
	return 0;
}

const char *
pd_proto_name(int proto)
{
	return proto == PD_UDP ? "udp" : "tcp";
}

const char *
pd_family_name(int family)
{
	return family == PD_INET6 ? "ipv6" : "ipv4";
}

const char *
pd_state_name(int state)
{
	return state == PD_BOUND ? "BOUND" : "LISTEN";
}

#define PD_REASON_CODE(e, code, text) [e] = code,
#define PD_REASON_TEXT(e, code, text) [e] = text,
static const char *const reason_codes[PD_REASON_MAX] = {
	PD_REASONS(PD_REASON_CODE)
};
static const char *const reason_texts[PD_REASON_MAX] = {
	PD_REASONS(PD_REASON_TEXT)
};

const char *
pd_reason_text(int reason)
{
	return reason >= 0 && reason < PD_REASON_MAX ? reason_texts[reason] :
	    "unknown";
}

const char *
pd_reason_code(int reason)
{
	return reason >= 0 && reason < PD_REASON_MAX ? reason_codes[reason] :
	    "unknown";
}

int
pd_reason_parse(const char *code)
{
	int r;

	for (r = 0; code != NULL && r < PD_REASON_MAX; r++)
		if (strcmp(code, reason_codes[r]) == 0)
			return r;
	return PD_OWNER_UNKNOWN;
}

void
sock_addr_text(const struct sock_info *si, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];
	size_t n;

	if (si->family == PD_INET6) {
		if (inet_ntop(AF_INET6, si->addr, a, sizeof(a)) == NULL)
			strcpy(a, "?");
	} else {
		if (inet_ntop(AF_INET, si->addr, a, sizeof(a)) == NULL)
			strcpy(a, "?");
	}
	n = (size_t)snprintf(buf, len, "%s", a);
	if (si->family == PD_INET6 && si->scope_id != 0 && n < len)
		snprintf(buf + n, len - n, "%%%u", (unsigned)si->scope_id);
}

int
sock_is_dualstack(const struct sock_info *si)
{
	static const uint8_t any[16];
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff };

	if (si->family != PD_INET6 || si->v6only != 0)
		return 0;
	return memcmp(si->addr, any, 16) == 0 ||
	    memcmp(si->addr, mapped, 12) == 0;
}
