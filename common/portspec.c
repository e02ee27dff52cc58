/*
 * portspec.c - PORTSPEC parser and listener filter.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "portspec.h"

int
portspec_lookup_services(const char *name, const char *proto)
{
	struct servent *se;

	/* getservbyname is not reentrant; portctl and portd call it
	 * from one thread only. */
	if ((se = getservbyname(name, proto)) == NULL)
		return -1;
	return (int)(uint16_t)ntohs((uint16_t)se->s_port);
}

/* Parses a decimal port; returns it, or -1 (not a number) / -2 (range). */
static long
parse_num(const char *s, size_t n)
{
	long v = 0;
	size_t i;

	if (n == 0 || n > 10)
		return -1;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (v < 1 || v > 65535)
		return -2;
	return v;
}

static int
all_digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return n > 0;
}

int
portspec_parse(const char *text, portspec_lookup_fn lookup,
    struct portspec *out, char *err, size_t errlen)
{
	const char *slash, *dash;
	char name[64];
	size_t n;
	long lo, hi;
	int tcp, udp;

	memset(out, 0, sizeof(*out));
	out->protos = PD_TCP | PD_UDP;
	if (text == NULL || *text == '\0') {
		snprintf(err, errlen, "empty port specification");
		return -1;
	}
	n = strlen(text);
	if ((slash = strchr(text, '/')) != NULL) {
		if (strcmp(slash + 1, "tcp") == 0)
			out->protos = PD_TCP;
		else if (strcmp(slash + 1, "udp") == 0)
			out->protos = PD_UDP;
		else {
			snprintf(err, errlen, "%s: unknown protocol '%s' "
			    "(tcp or udp)", text, slash + 1);
			return -1;
		}
		n = (size_t)(slash - text);
	}
	if (n == 0) {
		snprintf(err, errlen, "%s: missing port", text);
		return -1;
	}
	dash = memchr(text, '-', n);
	if (dash != NULL && all_digits(text, (size_t)(dash - text)) &&
	    all_digits(dash + 1, n - (size_t)(dash - text) - 1)) {
		lo = parse_num(text, (size_t)(dash - text));
		hi = parse_num(dash + 1, n - (size_t)(dash - text) - 1);
		if (lo < 0 || hi < 0) {
			snprintf(err, errlen, "%s: not a port range "
			    "(ports are 1-65535)", text);
			return -1;
		}
		if (lo > hi) {
			snprintf(err, errlen, "%s: range is backwards "
			    "(%ld > %ld)", text, lo, hi);
			return -1;
		}
		out->lo = (uint16_t)lo;
		out->hi = (uint16_t)hi;
		return 0;
	}
	if (all_digits(text, n)) {
		if ((lo = parse_num(text, n)) < 0) {
			snprintf(err, errlen, "%.*s is not a port "
			    "(ports are 1-65535)", (int)n, text);
			return -1;
		}
		out->lo = out->hi = (uint16_t)lo;
		return 0;
	}
	/* A service name: letters, digits, '-', '_', '.', '+'. */
	if (n >= sizeof(name) || lookup == NULL) {
		snprintf(err, errlen, "%s: not a port, range or service name",
		    text);
		return -1;
	}
	memcpy(name, text, n);
	name[n] = '\0';
	tcp = (out->protos & PD_TCP) ? lookup(name, "tcp") : -1;
	udp = (out->protos & PD_UDP) ? lookup(name, "udp") : -1;
	/* A lookup's answer is a port only if it fits one. */
	if (tcp > 65535)
		tcp = -1;
	if (udp > 65535)
		udp = -1;
	if (tcp < 1 && udp < 1) {
		snprintf(err, errlen, "%s: not a port, range or known "
		    "service name", text);
		return -1;
	}
	if (tcp >= 1 && udp >= 1 && tcp != udp) {
		snprintf(err, errlen, "%s: service has different tcp and udp "
		    "ports; say %s/tcp or %s/udp", text, name, name);
		return -1;
	}
	if (tcp < 1)
		out->protos &= (uint8_t)~PD_TCP;
	if (udp < 1)
		out->protos &= (uint8_t)~PD_UDP;
	out->lo = out->hi = (uint16_t)(tcp >= 1 ? tcp : udp);
	return 0;
}

void
portspec_format(const struct portspec *ps, char *buf, size_t len)
{
	const char *proto = "";
	int n;

	if (ps->protos == PD_TCP)
		proto = "/tcp";
	else if (ps->protos == PD_UDP)
		proto = "/udp";
	if (ps->lo == ps->hi)
		n = snprintf(buf, len, "%u%s", ps->lo, proto);
	else
		n = snprintf(buf, len, "%u-%u%s", ps->lo, ps->hi, proto);
	(void)n;
}

void
filter_init(struct filter *f)
{
	memset(f, 0, sizeof(*f));
}

int
filter_add(struct filter *f, const struct portspec *ps)
{
	if (f->nspecs >= FILTER_MAX_SPECS)
		return -1;
	f->specs[f->nspecs++] = *ps;
	return 0;
}

int
filter_match_port(const struct filter *f, int proto, uint16_t port)
{
	size_t i;

	if (f->nspecs == 0)
		return 1;
	for (i = 0; i < f->nspecs; i++)
		if ((f->specs[i].protos & proto) && port >= f->specs[i].lo &&
		    port <= f->specs[i].hi)
			return 1;
	return 0;
}

int
filter_match(const struct filter *f, const struct sock_info *si)
{
	if (f == NULL)
		return 1;
	if (f->protos != 0 && !(f->protos & si->proto))
		return 0;
	if (f->families != 0 && !(f->families & si->family) &&
	    !((f->families & PD_INET) && sock_is_dualstack(si)))
		return 0;
	return filter_match_port(f, si->proto, si->port);
}

/* First index of a row on port or above (rows sorted by port). */
static size_t
rows_lower_bound(const struct snapshot *s, uint16_t port)
{
	size_t lo = 0, hi = s->nrows, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (s->rows[mid].sock.port < port)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

size_t
filter_select(const struct filter *f, const struct snapshot *s, size_t *out)
{
	struct { uint16_t lo, hi; } r[FILTER_MAX_SPECS], t;
	size_t i, j, k, nr = 0, n = 0;

	if (f == NULL || f->nspecs == 0) {
		for (i = 0; i < s->nrows; i++)
			if (filter_match(f, &s->rows[i].sock))
				out[n++] = i;
		return n;
	}
	/* The specs' port ranges, sorted (at most 64: insertion) and merged,
	 * so that no row is walked twice; filter_match then says which
	 * protocols the specs over that row take. */
	for (k = 0; k < f->nspecs && k < FILTER_MAX_SPECS; k++) {
		t.lo = f->specs[k].lo;
		t.hi = f->specs[k].hi;
		for (j = nr++; j > 0 && r[j - 1].lo > t.lo; j--)
			r[j] = r[j - 1];
		r[j] = t;
	}
	for (k = 0, j = 0; k < nr; k++) {
		if (j > 0 && r[k].lo <= r[j - 1].hi)
			r[j - 1].hi = r[k].hi > r[j - 1].hi ? r[k].hi :
			    r[j - 1].hi;
		else
			r[j++] = r[k];
	}
	nr = j;
	for (k = 0; k < nr; k++)
		for (i = rows_lower_bound(s, r[k].lo); i < s->nrows &&
		    s->rows[i].sock.port <= r[k].hi; i++)
			if (filter_match(f, &s->rows[i].sock))
				out[n++] = i;
	return n;
}

int
sock_list_add(void *arg, const struct sock_info *si)
{
	struct sock_list *l = arg;

	if (l->f != NULL && !filter_match(l->f, si))
		return 0;
	if (vec_grow((void **)&l->v, &l->cap, l->n + 1, sizeof(*l->v)) == -1)
		return -1;
	l->v[l->n++] = *si;
	return 0;
}

int
sock_list_rows(const struct sock_list *l, struct snapshot *out, char *err,
    size_t errlen)
{
	size_t i;

	snapshot_clear(out);
	for (i = 0; i < l->n; i++)
		if (snapshot_add_row(out, &l->v[i], -1, PD_OWNER_NONE) ==
		    NULL) {
			snprintf(err, errlen, "out of memory");
			snapshot_clear(out);
			return -1;
		}
	snapshot_sort(out);
	return 0;
}
