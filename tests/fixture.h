/*
 * fixture.h - the hand-made sockets and processes the check suites build
 * snapshots from. Each suite wraps these in its own short sock()/proc()
 * with the values its assertions name.
 */
#ifndef PORTD_TESTS_FIXTURE_H
#define PORTD_TESTS_FIXTURE_H

#include <stdio.h>
#include <string.h>

#include "snapshot.h"

/*
 * A listening socket (TCP LISTEN, UDP BOUND) on 127.0.0.LAST or ::LAST;
 * LAST 0 is the wildcard, 0.0.0.0 or [::]. IPv6 sockets are v6only.
 */
static inline struct sock_info
fx_sock(int proto, int family, uint16_t port, uint8_t last, uint64_t inode,
    uint32_t uid)
{
	struct sock_info si;

	memset(&si, 0, sizeof(si));
	si.proto = (uint8_t)proto;
	si.family = (uint8_t)family;
	si.state = proto == PD_TCP ? PD_LISTEN : PD_BOUND;
	si.port = port;
	si.v6only = family == PD_INET6 ? 1 : 0;
	si.inode = inode;
	si.uid = uid;
	if (family == PD_INET && last != 0) {
		si.addr[0] = 127;
		si.addr[3] = last;
	} else if (family == PD_INET6)
		si.addr[15] = last;
	return si;
}

/*
 * A process, child of pid 1, started START ticks after a fixed instant;
 * exe is borrowed (snapshot_add_proc and event copies copy it).
 */
static inline struct proc_info
fx_proc(int32_t pid, uint64_t start, const char *comm, const char *user,
    uint32_t uid, const char *exe)
{
	struct proc_info p;

	memset(&p, 0, sizeof(p));
	p.pid = pid;
	p.ppid = 1;
	p.uid = p.suid = uid;
	p.start_time = start;
	p.started_ms = 1700000000000 + (int64_t)start;
	snprintf(p.comm, sizeof(p.comm), "%s", comm);
	snprintf(p.user, sizeof(p.user), "%s", user);
	p.exe = (char *)exe;
	return p;
}

#endif
