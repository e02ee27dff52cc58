/*
 * peer.h - who is on the other end of a control connection, and what it
 * may signal: one file per OS identifies peers (peer_linux.c:
 * SO_PEERCRED; macOS: LOCAL_PEERCRED; Windows: the pipe client's process
 * token); peer_unix.c and peer_win.c say what they may do.
 */
#ifndef PORTD_PEER_H
#define PORTD_PEER_H

#include <stdint.h>

#include <uv.h>

#include "snapshot.h"

struct peer {
	uint32_t uid;		/* PD_UID_UNKNOWN when not known */
	int32_t pid;		/* -1 when not known */
	int admin;		/* root / an Administrator: anything goes */
	char user[PD_NAME_MAX];	/* account name, where the OS names users */
};

/* Identifies the client of an accepted connection; unknown fields stay
 * unknown (and such a peer is never an admin). */
void	peer_identify(uv_pipe_t *, struct peer *);
/* portd itself (the reaper acts with full rights). */
void	peer_self(struct peer *);
/* The peer for the log: "uid 1000 pid 42", "VM\alice pid 42" (peer.c). */
#define PEER_TEXT_MAX	(PD_NAME_MAX + 32)
const char *peer_text(const struct peer *, char *buf, size_t len);
/* The same account: the uid, or on Windows (no uids) the name (peer.c). */
int	peer_same_user(const struct peer *, const struct peer *);
/*
 * Whether the peer may signal p: an admin any process, anyone else only
 * the processes the OS would let it signal itself (Linux: kill(2)'s rule,
 * the same real or saved uid).
 */
int	peer_may_signal(const struct peer *, const struct proc_info *p);

#endif
