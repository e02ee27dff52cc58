/*
 * decode_win.h - pure decoders of the socket tables Windows's iphlpapi
 * returns (GetExtendedTcpTable with TCP_TABLE_OWNER_PID_LISTENER,
 * GetExtendedUdpTable with UDP_TABLE_OWNER_PID) into the portable structs
 * of snapshot.h.
 *
 * No Windows header is needed: the rows are mirrored below with the same
 * layout as MIB_TCPROW_OWNER_PID, MIB_TCP6ROW_OWNER_PID,
 * MIB_UDPROW_OWNER_PID and MIB_UDP6ROW_OWNER_PID (backend_win.c checks
 * that sizes and offsets agree), so this file builds and is tested on
 * every host from fixtures (tests/fixtures/windows/).
 */
#ifndef PORTD_DECODE_WIN_H
#define PORTD_DECODE_WIN_H

#include <stddef.h>
#include <stdint.h>

#include "snapshot.h"

/*
 * Fields hold what Windows stores: DWORDs in the machine's byte order,
 * but the IPv4 address and every port in network byte order inside them
 * (dwLocalPort's low 16 bits, as ntohs((u_short)dwLocalPort) reads them).
 */
struct win_tcp4_row {			/* MIB_TCPROW_OWNER_PID, 24 bytes */
	uint32_t state;			/* MIB_TCP_STATE_* */
	uint32_t local_addr;
	uint32_t local_port;
	uint32_t remote_addr;
	uint32_t remote_port;
	uint32_t owning_pid;
};

struct win_tcp6_row {			/* MIB_TCP6ROW_OWNER_PID, 56 bytes */
	uint8_t local_addr[16];
	uint32_t local_scope_id;
	uint32_t local_port;
	uint8_t remote_addr[16];
	uint32_t remote_scope_id;
	uint32_t remote_port;
	uint32_t state;
	uint32_t owning_pid;
};

struct win_udp4_row {			/* MIB_UDPROW_OWNER_PID, 12 bytes */
	uint32_t local_addr;
	uint32_t local_port;
	uint32_t owning_pid;
};

struct win_udp6_row {			/* MIB_UDP6ROW_OWNER_PID, 28 bytes */
	uint8_t local_addr[16];
	uint32_t local_scope_id;
	uint32_t local_port;
	uint32_t owning_pid;
};

#define WIN_TCP_STATE_LISTEN	2	/* MIB_TCP_STATE_LISTEN */

/* The four tables a snapshot reads. */
enum win_table { WIN_TCP4 = 1, WIN_TCP6, WIN_UDP4, WIN_UDP6 };

/*
 * One row each. Returns 1 with *out filled for a listener (TCP in LISTEN;
 * any UDP socket with a local port), 0 for a row that is not one. out's
 * pid is the row's owning pid (0 when the OS does not say, as under
 * Wine), its uid PD_UID_UNKNOWN, v6only 0 for IPv4 and -1 for IPv6 (the
 * tables do not say), scope_id the row's for a link-local IPv6 address
 * only.
 */
int	 decode_win_tcp4(const struct win_tcp4_row *, struct sock_info *out);
int	 decode_win_tcp6(const struct win_tcp6_row *, struct sock_info *out);
int	 decode_win_udp4(const struct win_udp4_row *, struct sock_info *out);
int	 decode_win_udp6(const struct win_udp6_row *, struct sock_info *out);

/* Called once per listener; return non-zero to stop with an error. */
typedef int (*decode_win_fn)(void *arg, const struct sock_info *si);

/* Bytes per row of a table (0 for an unknown table). */
size_t	 decode_win_row_size(int table);

/*
 * A whole table as iphlpapi fills the caller's buffer: a DWORD count
 * (dwNumEntries), then the rows. The buffer needs no alignment. Returns
 * the number of listeners passed to cb, or -1 with err set when the
 * buffer is shorter than its count says or cb fails.
 */
int	 decode_win_table(const void *buf, size_t len, int table,
	    decode_win_fn cb, void *arg, char *err, size_t errlen);

#endif
