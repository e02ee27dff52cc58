/*
 * decode_darwin.h - pure decoders of macOS's libproc records.
 *
 * libproc's structs (struct socket_fdinfo, struct proc_bsdinfo, ... in
 * <sys/proc_info.h>) exist only in Apple's SDK. backend_darwin.c copies
 * the fields portd needs into the portable mirrors below, field by field
 * (so the compiler, not a table of offsets, maps the SDK's layout), and
 * everything that interprets them lives here: it builds on every host and
 * is tested on Linux (tests/check_decode_darwin.c). There is no Mac here:
 * the fixtures are synthesized from the SDK headers' layouts and values,
 * not captured on a real machine.
 */
#ifndef PORTD_DECODE_DARWIN_H
#define PORTD_DECODE_DARWIN_H

#include <stddef.h>
#include <stdint.h>

#include "snapshot.h"

/*
 * macOS's values, whatever the host's are (AF_INET6 is 30 there, 10 on
 * Linux). From <sys/socket.h>, <netinet/in.h>, <sys/proc_info.h>,
 * <sys/proc.h> and xnu's <netinet/in_pcb.h>.
 */
#define DARWIN_AF_INET			2
#define DARWIN_AF_INET6			30
#define DARWIN_IPPROTO_TCP		6
#define DARWIN_IPPROTO_UDP		17
#define DARWIN_SOCKINFO_GENERIC		0	/* soi_kind: no pcb */
#define DARWIN_SOCKINFO_IN		1	/* soi_proto.pri_in */
#define DARWIN_SOCKINFO_TCP		2	/* soi_proto.pri_tcp */
#define DARWIN_INI_IPV4			0x1	/* insi_vflag */
#define DARWIN_INI_IPV6			0x2
#define DARWIN_IN6P_IPV6_V6ONLY		0x8000	/* insi_flags (inp_flags) */
#define DARWIN_TSI_S_LISTEN		1	/* tcpsi_state */
#define DARWIN_TSI_S_RESERVED		11	/* the highest state */
#define DARWIN_PROX_FDTYPE_SOCKET	2	/* proc_fdinfo.proc_fdtype */
#define DARWIN_SZOMB			5	/* pbi_status: zombie */
#define DARWIN_MAXCOMLEN		16

/*
 * The fields of one struct socket_fdinfo that portd reads (the
 * in_sockinfo part from soi_proto.pri_in for SOCKINFO_IN, from
 * soi_proto.pri_tcp.tcpsi_ini for SOCKINFO_TCP).
 */
struct darwin_sock {
	uint64_t so;		/* soi_so: opaque, stable socket handle */
	uint64_t pcb;		/* soi_pcb: opaque protocol control block */
	int32_t family;		/* soi_family: DARWIN_AF_* */
	int32_t protocol;	/* soi_protocol: DARWIN_IPPROTO_* */
	int32_t kind;		/* soi_kind: DARWIN_SOCKINFO_* */
	uint32_t uid;		/* soi_stat.vst_uid: the socket's creator */
	uint8_t vflag;		/* insi_vflag: DARWIN_INI_IPV4 | _IPV6 */
	uint32_t flags;		/* insi_flags: the pcb's inp_flags */
	/*
	 * insi_lport and insi_fport are ints holding an in_port_t in network
	 * byte order; these are its two bytes as they lie in memory (on any
	 * host: (uint16_t)insi_lport copied with memcpy), so 8080 is
	 * { 0x1f, 0x90 }.
	 */
	uint8_t lport[2];
	uint8_t fport[2];
	/*
	 * insi_laddr / insi_faddr: a union of struct in6_addr and struct
	 * in4in6_addr (12 bytes of padding, then the IPv4 address), so an
	 * IPv4 address is in bytes 12..15.
	 */
	uint8_t laddr[16];
	uint8_t faddr[16];
	uint16_t ifindex;	/* insi_v6.in6_ifindex */
	int32_t tcp_state;	/* tcpsi_state, SOCKINFO_TCP only */
};

/*
 * Decodes one socket into *out (pid left 0: the caller knows the owner).
 * Returns 1 for a listener: TCP in LISTEN, or UDP bound to a local port
 * and not connected. Returns 0 for any other socket: not TCP or UDP over
 * IPv4/IPv6, another TCP state, a connected or unbound UDP socket, or a
 * record without a protocol block (SOCKINFO_GENERIC: being torn down).
 * Returns -1 with err set when the record contradicts itself.
 *
 * Family: insi_vflag says what the pcb holds. IPV6 with IPV4 is a
 * dual-stack socket (v6only 0); IPV6 alone reads v6only from
 * IN6P_IPV6_V6ONLY; IPV4 alone on an AF_INET6 socket (bound to a
 * v4-mapped address) is reported as the v4-mapped IPv6 address, as Linux
 * reports the same socket. scope_id is set for link-local IPv6 addresses
 * only: the scope xnu embeds in bytes 2..3 of the address (KAME), which
 * is then cleared, else insi_v6.in6_ifindex. inode is soi_so (soi_pcb if
 * that is 0): the same socket shared by several processes has one
 * identity. uid is the socket's creator.
 */
int	 decode_darwin_socket(const struct darwin_sock *in,
	    struct sock_info *out, char *err, size_t errlen);

/*
 * Picks the socket descriptors out of a PROC_PIDLISTFDS answer: len bytes
 * (what proc_pidinfo returned) of struct proc_fdinfo { int32_t proc_fd;
 * uint32_t proc_fdtype; }, host byte order, any alignment. Stores at most
 * max fds in out and returns how many it stored. A trailing partial entry
 * (never sent by a healthy kernel) is ignored.
 */
size_t	 decode_darwin_socket_fds(const void *buf, size_t len, int32_t *out,
	    size_t max);

/* The fields of one struct proc_bsdinfo (PROC_PIDTBSDINFO) portd reads. */
struct darwin_proc {
	uint32_t pid;			/* pbi_pid */
	uint32_t ppid;			/* pbi_ppid */
	uint32_t status;		/* pbi_status: SIDL .. SZOMB */
	uint32_t ruid;			/* pbi_ruid */
	uint32_t svuid;			/* pbi_svuid */
	char comm[DARWIN_MAXCOMLEN];	/* pbi_comm: NUL not guaranteed */
	char name[2 * DARWIN_MAXCOMLEN];/* pbi_name: "" if none */
	uint64_t start_sec;		/* pbi_start_tvsec */
	uint64_t start_usec;		/* pbi_start_tvusec */
};

/*
 * Fills pid, ppid, uid (real), suid (saved), comm (pbi_name, the longer
 * name, when set, else pbi_comm; either may fill its array without a
 * NUL), start_time (microseconds since the epoch: opaque, compared for
 * pid reuse) and started_ms. Other fields of out are left alone. Returns
 * 0, or -1 when the record is malformed (no start time, microseconds out
 * of range); out is then untouched.
 */
int	 decode_darwin_proc(const struct darwin_proc *in,
	    struct proc_info *out);

/*
 * 1 if in (read just now) is the live, non-zombie process pid started at
 * start_time (as decode_darwin_proc computes it), else 0.
 */
int	 decode_darwin_same_process(const struct darwin_proc *in, int32_t pid,
	    uint64_t start_time);

/*
 * The launchd job label of a process, from a sysctl KERN_PROCARGS2 answer:
 * int argc (host order), the executable path, NUL padding, argc argument
 * strings, then the environment, each NUL-terminated. launchd sets
 * XPC_SERVICE_NAME to the job's label in a job's environment (processes
 * launched otherwise carry "0" or nothing). Fills buf and returns 0 when
 * a label is found; buf is "" and the result -1 otherwise, including for
 * a truncated or malformed buffer.
 */
int	 decode_darwin_launchd_label(const void *procargs, size_t len,
	    char *buf, size_t buflen);

#endif
