/*
 * kill.h - freeing a port safely: which processes to signal, signalling
 * them through the backend's PID-reuse-safe path, and telling when the
 * port is released.
 *
 * The plan is built purely from a snapshot (kill_plan_build); the steps
 * that act (kill_plan_signal, kill_plan_update) call the backend. A driver
 * calls them in order: portctl's one-shot loop sleeps between updates, the
 * daemon runs the same steps from timers.
 */
#ifndef PORTD_KILL_H
#define PORTD_KILL_H

#include <stddef.h>
#include <stdint.h>

#include "snapshot.h"

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
};

struct kill_target {
	struct proc_info proc;	/* owned */
	int outcome;		/* enum kill_outcome */
	int signalled;		/* last signal sent, 0 if none */
	int first_signal;	/* the first one (differs after escalation) */
	char err[128];
};

struct kill_plan {
	struct kill_target *targets;
	size_t ntargets;
	struct sock_info *socks;	/* every matched row's socket */
	int *sock_target;		/* its target's index, -1: no owner */
	size_t nsocks;
	size_t unowned;			/* matched sockets with no visible owner */
};

/*
 * Builds the plan for every row of s: one target per distinct process
 * (pid and start time), so dual-stack rows and shared sockets signal a
 * process once. Pids in protect[] (portd, portctl), pid <= 1 and kernel
 * threads (ppid 2) are marked KILL_PROTECTED. Returns 0 or -1 (memory).
 */
int	 kill_plan_build(struct kill_plan *, const struct snapshot *s,
	    const int32_t *protect, size_t nprotect);
void	 kill_plan_free(struct kill_plan *);

/* Marks every pending target KILL_DRYRUN. */
void	 kill_plan_dry_run(struct kill_plan *);

/*
 * Sends sig to every target still pending (first call) or still holding
 * the port (escalation). Targets that cannot be signalled get their final
 * outcome. Returns the number signalled.
 */
size_t	 kill_plan_signal(struct kill_plan *, int sig);

/*
 * Given the sockets now present (a backend_sockets() snapshot, owners
 * not needed), decides every signalled target that exited or released
 * its own sockets (another process still holding a shared port does not
 * count against it). Returns how many still hold the port.
 */
size_t	 kill_plan_update(struct kill_plan *, const struct snapshot *now);

/* Final outcome for targets still undecided: KILL_RUNNING. */
void	 kill_plan_finish(struct kill_plan *);

/* True if some target was not dealt with, or a socket had no visible
 * owner to signal: the port was not freed (portctl exits 2). */
int	 kill_plan_failed(const struct kill_plan *);

/* True if the outcome means the process was not dealt with. */
int	 kill_outcome_failed(int outcome);
const char *kill_outcome_name(int outcome);	/* "exited", "pid reused" */

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
