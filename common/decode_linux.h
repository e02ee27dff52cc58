/*
 * decode_linux.h - pure decoders of Linux's raw socket and process data.
 *
 * Text or bytes in, portable structs out; no system calls. They build on
 * every host and are tested from fixtures captured on real machines
 * (tests/fixtures/linux/).
 */
#ifndef PORTD_DECODE_LINUX_H
#define PORTD_DECODE_LINUX_H

#include <stddef.h>
#include <stdint.h>

#include "snapshot.h"

/* Called once per decoded socket; return non-zero to stop with an error. */
typedef int (*decode_sock_fn)(void *arg, const struct sock_info *si);

/*
 * Decodes the text of /proc/net/{tcp,tcp6,udp,udp6}. proto and family say
 * which file it is. Only listeners are passed on: TCP in LISTEN (0A), UDP
 * unconnected (07) with a local port. Addresses in the file are
 * host-endian 32-bit hex words (four for IPv6); ports are plain hex.
 * v6only is -1 for IPv6 (the file does not say), 0 for IPv4. Because the
 * words are host-endian, text captured on a little-endian machine only
 * decodes correctly on one. Returns the number of sockets passed on, or
 * -1 with err set on malformed input or a callback error.
 */
int	 decode_procnet(const char *text, size_t len, int proto, int family,
	    decode_sock_fn cb, void *arg, char *err, size_t errlen);

/*
 * Decodes one inet_diag answer (the payload of a SOCK_DIAG_BY_FAMILY
 * netlink message: struct inet_diag_msg plus attributes) for a dump of
 * proto. Returns 1 with *out filled for a listener, 0 for a socket that
 * is not one (skipped), -1 with err set when malformed. v6only comes from
 * INET_DIAG_SKV6ONLY (-1 if the kernel did not send it). scope_id is the
 * socket's interface for an IPv6 link-local address only.
 */
int	 decode_inet_diag(const void *payload, size_t len, int proto,
	    struct sock_info *out, char *err, size_t errlen);

/*
 * Walks a buffer of netlink messages as one recv() returns them, calling
 * cb for each listener. Returns 0 if the dump continues, 1 when
 * NLMSG_DONE was seen, -1 with err set on NLMSG_ERROR (the kernel's
 * errno is stored in *nlerr when non-NULL; so is the one an NLMSG_DONE
 * carries when the dump failed part-way), truncation or a callback error.
 * The buffer needs no alignment; integers in it are host-endian. Replies
 * to SOCK_DIAG_BY_FAMILY and to the older TCPDIAG_GETSOCK carry the same
 * struct inet_diag_msg, and both are read.
 */
int	 decode_netlink(const void *buf, size_t len, int proto,
	    decode_sock_fn cb, void *arg, int *nlerr, char *err,
	    size_t errlen);

/* "socket:[12345]" -> 12345; 0 for any other link target. */
uint64_t decode_socket_link(const char *target, size_t len);

/*
 * /proc/PID/stat: fills pid, comm (the text between the first '(' and the
 * last ')'), ppid and start_time (field 22, clock ticks since boot).
 * Returns 0, or -1 when malformed (then out is untouched). Other fields
 * of out are left alone.
 */
int	 decode_proc_stat(const char *text, size_t len, struct proc_info *out);

/*
 * /proc/PID/status: the real, effective and saved uids from its "Uid:"
 * line. Returns 0 or -1 when there is none.
 */
int	 decode_proc_status_uids(const char *text, size_t len, uint32_t *ruid,
	    uint32_t *euid, uint32_t *suid);

/*
 * /proc/PID/cgroup: the systemd unit the process runs in, i.e. the last
 * path component ending in ".service" or ".scope" of its cgroup (v2 line
 * "0::/...", else the name=systemd line). Fills buf (or "") and returns
 * 0 if found, -1 if not.
 */
int	 decode_cgroup_unit(const char *text, size_t len, char *buf,
	    size_t buflen);

/*
 * The kernel's process events connector (NETLINK_CONNECTOR, CN_IDX_PROC):
 * what one event says about a process, for the owner cache.
 */
enum pd_pev_kind {
	PD_PEV_ACK = 1,		/* the answer to PROC_CN_MCAST_LISTEN: err */
	PD_PEV_FORK,		/* tgid forked child (a new process) */
	PD_PEV_EXEC,		/* tgid executed a new program */
	PD_PEV_CHANGE,		/* tgid's uid, gid, sid or comm changed */
	PD_PEV_EXIT,		/* tgid exited (now a zombie, or gone) */
};

struct pd_proc_event {
	int kind;		/* enum pd_pev_kind */
	int32_t tgid;		/* the process (FORK: the parent) */
	int32_t child;		/* FORK: the new process */
	int32_t err;		/* ACK: 0, or the kernel's errno */
};

/* Called once per decoded event; return non-zero to stop with an error. */
typedef int (*decode_pev_fn)(void *arg, const struct pd_proc_event *ev);

/*
 * Walks a buffer of connector messages as one recv() returns them,
 * calling cb for each event about a process (events about threads other
 * than the main one, and kinds the cache has no use for, are skipped).
 * Returns the number of events passed on, or -1 with err set when a
 * message is truncated or not the proc connector's, or cb failed. The
 * buffer needs no alignment; integers are host-endian.
 */
int	 decode_proc_events(const void *buf, size_t len, decode_pev_fn cb,
	    void *arg, char *err, size_t errlen);

#endif
