/*
 * killjob.h - a kill in progress inside portd: kill.h's struct kill_run
 * driven from a timer (build the plan from rows, keep what the requester
 * may not signal out of it, signal only what still holds the sockets,
 * look afresh for other holders, poll the socket table every 50 ms,
 * escalate to SIGKILL after the timeout, settle from a fresh look), then
 * report through a callback. The kill
 * command (cmds.c) and the reaper (enforce.c) both run kills this way, so
 * there is one path that signals.
 */
#ifndef PORTD_KILLJOB_H
#define PORTD_KILLJOB_H

#include <sys/types.h>

#include "kill.h"
#include "portspec.h"
#include "snapshot.h"

struct portd;
struct kill_job;

/*
 * What one user (anyone but an admin) may ask of kills, counted per
 * request whatever becomes of it (busy, denied, nothing to do): a token
 * bucket per uid, KILL_RATE_BURST at once then KILL_RATE_PER_S a
 * second; the buckets of at most KILL_RATE_USERS users are kept (past
 * that, a full one is forgotten first, else the one unused longest).
 * A user's kill lines (denied, refused, signalled nothing) are written
 * once per KILL_LOG_MS at most, with a count of the rest (log.h).
 */
#define KILL_RATE_BURST		8
#define KILL_RATE_PER_S		2
#define KILL_RATE_USERS		64
#define KILL_LOG_MS		10000

/*
 * Called exactly once per started job, when its outcome is decided. owner
 * is NULL when it was detached meanwhile; arg is the caller's to free.
 */
typedef void (*killjob_done_fn)(struct portd *, struct kill_job *,
	    void *owner, void *arg);

struct killjob_params {
	int sig;		/* first signal */
	int escalate;		/* SIGKILL what still holds after timeout */
	uint32_t timeout_ms;
	int dry_run;
	int find_others;	/* act on other holders of the sockets too */
	const struct peer *peer;	/* who asked: only what it may signal
					 * is signalled (copied); anyone but
					 * an admin gets look_if_acted */
};

/*
 * Whether peer may start one more kill: PE_NONE, or PE_BUSY with err set
 * when its user (anyone but an admin) asked too often (its bucket is
 * empty; every call takes one from it) or already has max_kill_jobs in
 * progress. Asked once per request, before the work of a kill begins. A started job's
 * timeout is cut to max_kill_timeout_ms for anyone but an admin.
 */
int	 killjob_admit(struct portd *, const struct peer *, char *err,
	    size_t errlen);
/*
 * Starts a job on a copy of rows (the sockets f selects). done may run
 * before this returns (nothing to wait for). Returns 0, or -1 on
 * allocation failure (done is not called).
 */
int	 killjob_start(struct portd *, const struct snapshot *rows,
	    const struct filter *f, const struct killjob_params *,
	    killjob_done_fn done, void *owner, void *arg);
const struct kill_plan *killjob_plan(const struct kill_job *);
const struct snapshot *killjob_rows(const struct kill_job *);
int	 killjob_dry_run(const struct kill_job *);
/* The sockets it was asked to free. */
const struct filter *killjob_filter(const struct kill_job *);
/* Who asked for it. */
const struct peer *killjob_peer(const struct kill_job *);
/* Jobs started by owner report to a NULL owner (it is going away). */
void	 killjob_detach(struct portd *, void *owner);
/* Decides every job now (shutdown). */
void	 killjob_stop_all(struct portd *);

#endif
