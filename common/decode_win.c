/*
 * decode_win.c - pure decoders of iphlpapi's socket tables (see
 * decode_win.h). Builds on every host: no Windows header, rows copied out
 * of the buffer with memcpy into mirror structs.
 */
#include <stdio.h>
#include <string.h>

#include "decode_win.h"

/*
 * A port is stored in network byte order in the first two bytes of its
 * DWORD (what ntohs((u_short)dwLocalPort) reads on Windows): take the
 * bytes as they lie in memory, whatever this host's byte order.
 */
static uint16_t
port_of(const uint32_t *dw)
{
	uint8_t b[4];

	memcpy(b, dw, sizeof(b));
	return (uint16_t)(b[0] << 8 | b[1]);
}

static void
sock_init(struct sock_info *out, int proto, int family, uint32_t pid)
{
	memset(out, 0, sizeof(*out));
	out->proto = (uint8_t)proto;
	out->family = (uint8_t)family;
	out->state = proto == PD_TCP ? PD_LISTEN : PD_BOUND;
	out->v6only = family == PD_INET6 ? -1 : 0;
	out->uid = PD_UID_UNKNOWN;
	out->pid = (int32_t)pid;
}

/* fe80::/10: the only addresses whose scope names an interface here. */
static uint32_t
scope_of(const uint8_t addr[16], uint32_t scope_id)
{
	return addr[0] == 0xfe && (addr[1] & 0xc0) == 0x80 ? scope_id : 0;
}

int
decode_win_tcp4(const struct win_tcp4_row *r, struct sock_info *out)
{
	if (r->state != WIN_TCP_STATE_LISTEN)
		return 0;
	sock_init(out, PD_TCP, PD_INET, r->owning_pid);
	/* The address is in network byte order: its bytes, as they lie. */
	memcpy(out->addr, &r->local_addr, 4);
	out->port = port_of(&r->local_port);
	return 1;
}

int
decode_win_tcp6(const struct win_tcp6_row *r, struct sock_info *out)
{
	if (r->state != WIN_TCP_STATE_LISTEN)
		return 0;
	sock_init(out, PD_TCP, PD_INET6, r->owning_pid);
	memcpy(out->addr, r->local_addr, 16);
	out->scope_id = scope_of(r->local_addr, r->local_scope_id);
	out->port = port_of(&r->local_port);
	return 1;
}

int
decode_win_udp4(const struct win_udp4_row *r, struct sock_info *out)
{
	sock_init(out, PD_UDP, PD_INET, r->owning_pid);
	memcpy(out->addr, &r->local_addr, 4);
	out->port = port_of(&r->local_port);
	return out->port != 0;
}

int
decode_win_udp6(const struct win_udp6_row *r, struct sock_info *out)
{
	sock_init(out, PD_UDP, PD_INET6, r->owning_pid);
	memcpy(out->addr, r->local_addr, 16);
	out->scope_id = scope_of(r->local_addr, r->local_scope_id);
	out->port = port_of(&r->local_port);
	return out->port != 0;
}

size_t
decode_win_row_size(int table)
{
	switch (table) {
	case WIN_TCP4:
		return sizeof(struct win_tcp4_row);
	case WIN_TCP6:
		return sizeof(struct win_tcp6_row);
	case WIN_UDP4:
		return sizeof(struct win_udp4_row);
	case WIN_UDP6:
		return sizeof(struct win_udp6_row);
	}
	return 0;
}

/* Decodes the row at p (size bytes, any alignment) of table. */
static int
decode_row(int table, const unsigned char *p, struct sock_info *out)
{
	union {
		struct win_tcp4_row t4;
		struct win_tcp6_row t6;
		struct win_udp4_row u4;
		struct win_udp6_row u6;
	} row;

	memcpy(&row, p, decode_win_row_size(table));
	switch (table) {
	case WIN_TCP4:
		return decode_win_tcp4(&row.t4, out);
	case WIN_TCP6:
		return decode_win_tcp6(&row.t6, out);
	case WIN_UDP4:
		return decode_win_udp4(&row.u4, out);
	default:
		return decode_win_udp6(&row.u6, out);
	}
}

int
decode_win_table(const void *buf, size_t len, int table, decode_win_fn cb,
    void *arg, char *err, size_t errlen)
{
	const unsigned char *p = buf;
	size_t size = decode_win_row_size(table), i;
	struct sock_info si;
	uint32_t n;
	int found = 0;

	if (size == 0) {
		pd_seterr(err, errlen, "unknown socket table %d", table);
		return -1;
	}
	if (len < sizeof(n)) {
		pd_seterr(err, errlen, "socket table of %zu bytes: no row "
		    "count", len);
		return -1;
	}
	memcpy(&n, p, sizeof(n));
	if (n > (len - sizeof(n)) / size) {
		pd_seterr(err, errlen, "socket table truncated: %lu rows of "
		    "%zu bytes do not fit in %zu bytes", (unsigned long)n,
		    size, len);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (decode_row(table, p + sizeof(n) + i * size, &si) != 1)
			continue;
		if (cb(arg, &si) != 0) {
			pd_seterr(err, errlen, "out of memory");
			return -1;
		}
		found++;
	}
	return found;
}
