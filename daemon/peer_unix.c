/*
 * peer_unix.c - what a Unix control client may do, however it was
 * identified (peer_linux.c, peer_darwin.c): portd itself is an
 * administrator; others may signal what kill(2) would let them.
 */
#include <string.h>
#include <unistd.h>

#include "peer.h"

void
peer_self(struct peer *p)
{
	memset(p, 0, sizeof(*p));
	p->uid = (uint32_t)geteuid();
	p->pid = (int32_t)getpid();
	p->admin = 1;
}

int
peer_may_signal(const struct peer *peer, const struct proc_info *p)
{
	if (peer->admin)
		return 1;
	/* kill(2) on Linux and macOS: the sender's uid matches the
	 * target's real or saved uid. portd runs as root, so it applies
	 * the rule itself, with the peer's effective uid (SO_PEERCRED,
	 * getpeereid). */
	return peer->uid != PD_UID_UNKNOWN &&
	    (p->uid == peer->uid || p->suid == peer->uid);
}
