/*
 * backend.h - the contract every OS backend fulfils.
 *
 * One file per OS implements it (backend_linux.c, backend_win.c,
 * backend_darwin.c), chosen by the build. The system calls live there; the
 * decoding of raw OS rows into struct sock_info lives in pure decode_*.c
 * files that build and are tested on every host.
 *
 * A struct backend carries per-OS state between snapshots (the Linux
 * backend's inode -> owner cache). portctl's one-shot mode makes one with
 * BACKEND_ONESHOT and takes a single snapshot; portd keeps one for its life.
 */
#ifndef PORTD_BACKEND_H
#define PORTD_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "portspec.h"
#include "snapshot.h"

struct backend;

enum backend_flags {
	BACKEND_ONESHOT = 0x01,		/* no caches: every call reads all */
	BACKEND_NO_NETLINK = 0x02,	/* Linux: force /proc/net (tests) */
};

/* Counters a backend keeps for status and the benchmark. */
struct backend_stats {
	uint64_t snapshots;
	uint64_t procs_scanned;		/* fd directories read, all time */
	uint64_t fds_read;		/* fd entries examined, all time */
	uint64_t full_scans;		/* whole-system owner scans */
	uint64_t cache_inodes;		/* inodes currently cached */
	uint64_t cache_unowned;		/* remembered inodes with no owner */
	uint64_t count_rescans;		/* rescans: a process's fd count changed */
	uint64_t busy_deferred;		/* such rescans put off (busy processes) */
	uint64_t proc_events;		/* process events used (Linux connector) */
	uint64_t proc_events_lost;	/* times the kernel dropped some */
	int	 proc_connector;	/* 1: fork/exec/exit events arrive */
	int	 fd_counts;		/* 1: a process's fd count is cheap
					 * (Linux 6.2+): the count pass runs */
};

/* Returns NULL with a reason in err. */
struct backend *backend_new(int flags, char *err, size_t errlen);
void	 backend_free(struct backend *);	/* accepts NULL */
/* Where sockets come from now: "netlink", "procfs", "iphlpapi", ... */
const char *backend_source(const struct backend *);
void	 backend_get_stats(const struct backend *, struct backend_stats *);

/*
 * Fills out (cleared first) with every listener matching f (NULL: all)
 * and all of its owners, sorted. Returns 0, or -1 with err set; on error
 * out is left empty.
 */
int	 backend_snapshot(struct backend *, const struct filter *f,
	    struct snapshot *out, char *err, size_t errlen);

/*
 * For a caller that keeps the previous result (portd's live map): the
 * same as backend_snapshot(b, NULL, out, ...), but when no row would
 * differ from those of the last call that filled out, returns 1 and leaves
 * out untouched, so an unchanged system costs no rows, sort or diff.
 * Returns 0 when out was filled (cleared first), -1 with err set.
 */
int	 backend_snapshot_changes(struct backend *, struct snapshot *out,
	    char *err, size_t errlen);

/*
 * Sockets only, no owner resolution (cheap: one socket-table read). Rows
 * have proc -1 and reason PD_OWNER_NONE; sock.pid is set where the OS's
 * table names the owner (Windows). Used to wait for a port's release.
 */
int	 backend_sockets(struct backend *, const struct filter *f,
	    struct snapshot *out, char *err, size_t errlen);

/*
 * Incremental backends: rescan every process once per resync_ms, a slice
 * on every snapshot taken each interval_ms (0 turns the resync off).
 */
void	 backend_set_resync(struct backend *, uint32_t interval_ms,
	    uint32_t resync_ms);

/* Reads one process's details; 0, or -1 if it is gone or unreadable. */
int	 backend_proc_info(int32_t pid, struct proc_info *out);

/*
 * The service manager's unit a process runs in ("nginx.service"), for
 * respawn reports; buf is "" when there is none or it cannot be read.
 */
void	 backend_proc_unit(int32_t pid, char *buf, size_t len);

/* A user's name for display, or its number as text. */
void	 backend_user_name(uint32_t uid, char *buf, size_t len);

/* This process's pid (portd and portctl never act on themselves). */
int32_t	 backend_self_pid(void);

/* Outcome of one signal attempt. */
enum signal_result {
	SIG_SENT = 0,		/* delivered to the same process */
	SIG_GONE,		/* no such process (exited already) */
	SIG_REUSED,		/* pid now names a different process */
	SIG_DENIED,		/* EPERM / access denied */
	SIG_PROTECTED,		/* proc_never_signal(): never signalled */
	SIG_FAILED,		/* other error, see err */
	SIG_NOT_HOLDER,		/* holds none of the sockets: not signalled */
};

/*
 * Sends sig to p only if p->pid still names the process started at
 * p->start_time (checked through a pidfd or process handle, so the check
 * and the signal refer to the same process) and that process, asked now,
 * still holds one of held[0..nheld) (compared by inode where the OS has
 * one, else by protocol, family, address and port): the kernel's view
 * of that one process, never a cache (Linux: its /proc/PID/fd; Windows:
 * the owner pid in the TCP/UDP tables; macOS: its PROC_PIDLISTFDS). With
 * held NULL there is no such gate: only for callers that act on no port
 * (the backend's own tests). On systems without signals, any sig
 * terminates (the caller says so).
 */
int	 backend_signal(const struct proc_info *p, const struct sock_info *held,
	    size_t nheld, int sig, char *err, size_t errlen);
/* 1 if the process with this pid and start time still runs, else 0. */
int	 backend_proc_alive(const struct proc_info *p);
/* Whether the OS distinguishes terminate from kill (Windows does not). */
int	 backend_has_signals(void);

#endif
