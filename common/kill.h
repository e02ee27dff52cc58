/*
 * kill.h - freeing a port safely: which processes to signal, signalling
 * them through the backend's PID-reuse-safe path, and telling when the
 * port is released.
 *
 * The plan is built purely from a snapshot (kill_plan_build); the steps
 * that act (kill_plan_signal, kill_plan_update) call the backend. The
 * kernel decides, never a cache: a process is signalled only while it
 * still holds one of the plan's sockets (the backend re-reads its
 * descriptors, kill_plan_signal), other holders of the same sockets are
 * looked for afresh and added (kill_plan_add_holders), and the port is
 * free only once its sockets are gone from a fresh look
 * (kill_plan_settle). struct kill_run drives those steps in order, the
 * same way for portctl's one-shot loop (which sleeps between polls) and
 * for portd's kill jobs (which poll from a timer).
 */
#ifndef PORTD_KILL_H
#define PORTD_KILL_H

#include <stddef.h>
#include <stdint.h>

#include "portspec.h"
#include "snapshot.h"

struct backend;

enum kill_outcome {
	KILL_PENDING = 0,	/* not decided yet */
	KILL_EXITED,		/* exited after the first signal */
	KILL_KILLED,		/* exited after SIGKILL */
	KILL_RELEASED,		/* closed the port but still runs */
	KILL_RUNNING,		/* still holds the port */
	KILL_DENIED,		/* permission denied */
	KILL_GONE,		/* gone before it was signalled */
	KILL_REUSED,		/* pid names another process now: skipped */
	KILL_PROTECTED,		/* pid 0/1, a kernel thread, portd/portctl */
	KILL_DRYRUN,		/* would have been signalled */
	KILL_FAILED,		/* the signal failed; see err */
	KILL_NOT_HOLDER,	/* no longer holds any of the port's sockets:
				 * not signalled (not a failure by itself) */
};
#define KILL_OUTCOME_LAST	KILL_NOT_HOLDER

struct kill_target {
	struct proc_info proc;	/* owned */
	int outcome;		/* enum kill_outcome */
	int signalled;		/* last signal sent, 0 if none */
	int first_signal;	/* the first one (differs after escalation) */
	char err[128];
};

struct kill_plan {
	struct kill_target *targets;
	size_t ntargets, captargets;
	struct sock_info *socks;	/* every matched row's socket, and
					 * one entry per holder found later */
	int *sock_target;		/* its target's index, -1: no owner */
	size_t nsocks, capsocks, capsock_target;
	size_t unowned;			/* matched sockets with no visible owner */
	/*
	 * After kill_plan_settle: the plan's sockets still in the kernel's
	 * table, with their owners then (or the reason none is seen).
	 */
	struct snapshot remain;
	int settled;
	int look_failed;	/* the freed check could not be made */
};

/*
 * Builds the plan for every row of s: one target per distinct process
 * (pid and start time), so dual-stack rows and shared sockets signal a
 * process once. What proc_never_signal() protects (with each pid of
 * protect[] as self: portd, portctl) is marked KILL_PROTECTED. Returns 0
 * or -1 (memory).
 */
int	 kill_plan_build(struct kill_plan *, const struct snapshot *s,
	    const int32_t *protect, size_t nprotect);
void	 kill_plan_free(struct kill_plan *);

/*
 * Adds the holders in fresh (a snapshot with owners, taken now) of the
 * plan's sockets that are not targets yet (a fork's parent, an SCM_RIGHTS
 * receiver), protected as kill_plan_build does; a socket that had no
 * visible owner gets the one now seen. Returns how many targets were
 * added, or -1 (memory).
 */
int	 kill_plan_add_holders(struct kill_plan *, const struct snapshot *fresh,
	    const int32_t *protect, size_t nprotect);

/*
 * The freed check, from fresh (a snapshot with owners, taken after the
 * targets were dealt with): copies into remain every row whose socket is
 * one of the plan's. Returns how many, or -1 (memory).
 */
int	 kill_plan_settle(struct kill_plan *, const struct snapshot *fresh);

/*
 * The freed check without a look at owners, from now (a
 * backend_sockets() snapshot): as kill_plan_settle, each remaining socket
 * with the targets the plan paired it with that were not signalled and
 * were not found gone or elsewhere (denied, protected, failed), else
 * without an owner. For a run that signalled nothing. -1: memory.
 */
int	 kill_plan_settle_known(struct kill_plan *, const struct snapshot *now);

/* Marks every pending target KILL_DRYRUN. */
void	 kill_plan_dry_run(struct kill_plan *);

/*
 * Sends sig to every target still pending (first call) or still holding
 * the port (escalation), each only if the backend finds that it still
 * holds one of the plan's sockets. Targets that cannot be signalled get
 * their final outcome. Returns the number signalled.
 */
size_t	 kill_plan_signal(struct kill_plan *, int sig);
/* The same for the pending targets not signalled yet (holders added). */
size_t	 kill_plan_signal_new(struct kill_plan *, int sig);

/*
 * Given the sockets now present (a backend_sockets() snapshot, owners
 * not needed), decides every signalled target that exited or released
 * its own sockets (another process still holding a shared port does not
 * count against it). Returns how many still hold the port.
 */
size_t	 kill_plan_update(struct kill_plan *, const struct snapshot *now);

/* Final outcome for targets still undecided: KILL_RUNNING. */
void	 kill_plan_finish(struct kill_plan *);

/*
 * True if some target was not dealt with, or the port was not freed: a
 * socket of the plan remains (settled), or, unsettled (dry run), had no
 * visible owner to signal. portctl then exits 2.
 */
int	 kill_plan_failed(const struct kill_plan *);

/* True if the outcome means the process was not dealt with. */
int	 kill_outcome_failed(int outcome);
const char *kill_outcome_name(int outcome);	/* "exited", "pid reused" */
/* Outcome name to enum kill_outcome; -1 if unknown. */
int	 kill_outcome_parse(const char *);
/*
 * One target's outcome for events and the log, into buf: "exited after
 * SIGTERM", "killed after SIGTERM and SIGKILL", "failed: permission
 * denied: ...". Returns buf.
 */
const char *kill_target_text(const struct kill_target *, char *buf,
	    size_t len);

/* What became of one named port (a PORTSPEC of the request). */
enum kill_port_state {
	KILL_PORT_UNUSED = 0,	/* nothing held it */
	KILL_PORT_FREE,		/* held, and its sockets are gone now */
	KILL_PORT_HELD,		/* a socket of it is still there */
	KILL_PORT_UNSETTLED,	/* not checked (dry run) */
};

/*
 * The state of the port ps names (within f's protocols and families),
 * from rows (the sockets the plan was built from) and the plan's remain.
 */
int	 kill_port_state(const struct kill_plan *, const struct snapshot *rows,
	    const struct filter *f, const struct portspec *ps);
const char *kill_port_state_name(int state);	/* "free", "held", ... */

/* ---- the driver ----------------------------------------------------- */

#define KILL_POLL_MS	50	/* the socket table is polled this often */
#define KILL_GRACE_MS	2000	/* after SIGKILL, wait this long for exit */
#define KILL_MAX_LOOKS	4	/* fresh looks for other holders, at most */

struct kill_run_params {
	int sig;		/* first signal */
	int escalate;		/* SIGKILL what still holds after timeout */
	uint32_t timeout_ms;
	int dry_run;
	/* Look afresh for other holders of the sockets and act on them
	 * too (portctl's kill); the reaper judges each holder itself. */
	int find_others;
	int32_t self;		/* never signalled (portd, portctl) */
	/*
	 * Take the fresh look (a full scan of every process's descriptors)
	 * only if a target was signalled (marked, in a dry run) or a socket
	 * had no visible owner; else settle from a socket dump of b
	 * (kill_plan_settle_known): a kill that touched nothing costs no
	 * scan (portd: a user's kill of ports it may not free).
	 */
	int look_if_acted;
	/*
	 * Called on the plan after targets were added (first the plan's,
	 * then every batch found afresh): marks the pending ones the
	 * requester may not signal (portd checks the requester's rights).
	 * NULL: nothing to vet.
	 */
	void (*vet)(void *arg, struct kill_plan *);
	void *vet_arg;
};

struct kill_run {
	struct kill_plan plan;
	struct filter filter;
	struct kill_run_params par;
	struct backend *b;	/* the caller's, for the socket polls */
	int escalated;
	int released_wait;	/* one more poll before calling a target
				 * "released": it may be mid-exit */
	int looks;
	int done;
	int64_t deadline;	/* monotonic ms */
	char err[256];		/* the last backend error, "" if none */
};

/*
 * Builds the plan from rows (the sockets f selects, with owners), vets,
 * signals (or marks a dry run) and takes the first fresh look. b is
 * used for the polls and must outlive the run. Returns 0 (run->done may
 * already be set), or -1 out of memory (nothing was signalled).
 */
int	 kill_run_start(struct kill_run *, struct backend *b,
	    const struct snapshot *rows, const struct filter *f,
	    const struct kill_run_params *, int64_t now_ms);
/*
 * One poll: updates the targets from the socket table, escalates at the
 * deadline, looks afresh once every target is dealt with, settles.
 * Returns 1 when the run is done, 0 to be polled again in KILL_POLL_MS.
 */
int	 kill_run_poll(struct kill_run *, int64_t now_ms);
/* Decides the run now, without waiting (shutdown). */
void	 kill_run_stop(struct kill_run *);
void	 kill_run_free(struct kill_run *);

/* Signal names: "TERM"/"SIGTERM"/"sigterm"/"15" -> 15; -1 if unknown. */
int	 kill_signal_parse(const char *);
/* "SIGTERM"; NULL for a signal without a name here (say its number). */
const char *kill_signal_name(int sig);
/*
 * Its name, or "signal N", into buf (>= 48 bytes); returns buf. Where the
 * OS has no signals (backend_has_signals()), what is done instead.
 */
const char *kill_signal_text(int sig, char *buf, size_t len);

#endif
