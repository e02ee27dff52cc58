/*
 * portspec.h - PORTSPEC parsing ("8080", "8080/tcp", "53/udp", "3000-3100",
 * "http") and the listener filter built from PORTSPECs, protocol and family
 * masks. Shared by portctl, the control protocol and the rules.
 */
#ifndef PORTD_PORTSPEC_H
#define PORTD_PORTSPEC_H

#include <stddef.h>
#include <stdint.h>

#include "snapshot.h"

struct portspec {
	uint16_t lo, hi;	/* inclusive, 1..65535 */
	uint8_t protos;		/* mask of enum pd_proto */
};

/*
 * Resolves a service name to a port for a protocol ("tcp"/"udp"); returns
 * the port (host order) or -1. NULL in portspec_parse means no names.
 */
typedef int (*portspec_lookup_fn)(const char *name, const char *proto);

/* The system's /etc/services through getservbyname(3). */
int	portspec_lookup_services(const char *name, const char *proto);

/*
 * Parses one PORTSPEC. Returns 0, or -1 with a one-line reason in err
 * (which names the argument). Pure but for the lookup callback.
 */
int	portspec_parse(const char *text, portspec_lookup_fn lookup,
	    struct portspec *out, char *err, size_t errlen);

/* Formats a spec back to text ("8000-8100/tcp"). */
void	portspec_format(const struct portspec *, char *buf, size_t len);

#define FILTER_MAX_SPECS 64

/* What a query selects. nspecs 0 means every port. */
struct filter {
	struct portspec specs[FILTER_MAX_SPECS];
	size_t nspecs;
	uint8_t protos;		/* mask; 0 means both */
	uint8_t families;	/* mask; 0 means both */
};

void	filter_init(struct filter *);
/* Adds a spec; -1 if the filter is full. */
int	filter_add(struct filter *, const struct portspec *);
/*
 * True if the socket matches. A dual-stack [::] socket matches an
 * IPv4-only filter too, since it holds the IPv4 port.
 */
int	filter_match(const struct filter *, const struct sock_info *);
/* True if some spec selects the port for the protocol. */
int	filter_match_port(const struct filter *, int proto, uint16_t port);
/*
 * Writes to out (room for s->nrows) the indexes of s's rows that f
 * selects, in row order, each once, and returns how many. s must be
 * sorted (snapshot_sort): each spec's ports are a binary search and a
 * walk, and overlapping specs are merged first, so a row is looked at
 * once however many specs cover it.
 */
size_t	filter_select(const struct filter *, const struct snapshot *s,
	    size_t *out);

/*
 * The sockets a backend's dump gathers: the ones f selects (NULL: all).
 * sock_list_add is the decoders' callback (arg is the list); -1 when out
 * of memory.
 */
struct sock_list {
	struct sock_info *v;
	size_t n, cap;
	const struct filter *f;
};

int	sock_list_add(void *arg, const struct sock_info *);
/*
 * The list as snapshot rows with no owner (what backend_sockets answers),
 * sorted. 0, or -1 with err set and out empty.
 */
int	sock_list_rows(const struct sock_list *, struct snapshot *out,
	    char *err, size_t errlen);

#endif
