/*
 * portd.h - the daemon's state and what its parts share.
 *
 *   portd.c   the loop: snapshots on a timer, diff, events, signals
 *   ctl.c     the control server: clients, lines, limits, peers
 *   cmds.c    the command table and its handlers (kill jobs too)
 *   main.c    options -> portd_run()
 */
#ifndef PORTD_DAEMON_H
#define PORTD_DAEMON_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <uv.h>

#include "backend.h"
#include "config.h"
#include "event.h"
#include "proto.h"
#include "snapshot.h"

#define PORTD_MIN_INTERVAL	100

struct portd_opts {
	const char *socket_path;
	const char *config_path;
	uint32_t interval_ms;		/* snapshot period */
	uint32_t resync_ms;		/* full owner rescan period, in slices */
	size_t history;			/* events kept */
	size_t max_clients;
	size_t max_clients_per_uid;	/* per user other than root */
	uint32_t idle_timeout_ms;	/* a silent non-watcher is closed; 0: never */
	size_t max_kill_jobs;		/* kills in progress per user but root */
	uint32_t max_kill_timeout_ms;	/* longest kill timeout but root's */
	size_t watch_buffer;		/* bytes queued before "lagged" */
	unsigned socket_mode;
	int log_level;
	int no_netlink;			/* force /proc/net (tests) */
	unsigned set;			/* CONFIG_SET_*: given on the command
					 * line, so the file does not change it */
};

void	portd_opts_default(struct portd_opts *);

struct ctl;
struct kill_job;
struct enforce;

struct portd {
	uv_loop_t *loop;
	struct portd_opts opts;		/* in force: command line > file > default */
	struct portd_opts cli;		/* as given on the command line */
	struct config cfg;		/* the file's settings and rules */
	char *file_socket_path;		/* the file's socket.path, if in force
					 * (owned: cfg changes at a reload) */
	struct enforce *enforce;
	struct backend *backend;
	struct snapshot cur;		/* the live owner map */
	struct history history;
	uint64_t next_seq;
	struct ctl *ctl;
	struct kill_job *jobs;		/* kills in progress */
	uv_timer_t tick;
	uv_timer_t watchdog;
	uv_signal_t sig_term, sig_int, sig_hup;
	int stopping;
	int exit_code;

	/* status counters */
	int64_t started_ms;		/* wall clock */
	uint64_t started_ns;		/* monotonic */
	uint64_t snapshots;
	uint64_t events;
	uint64_t errors;
	uint64_t reloads;
	uint64_t requests;
	uint64_t denials;
	double last_snap_ms, total_snap_ms;
	int64_t last_snap_at;
};

/* Runs the daemon until SIGTERM/SIGINT; returns the exit status. */
int	portd_run(const struct portd_opts *);

/*
 * Takes a snapshot now, diffs it against the live map, emits the events
 * and makes it the live map. A kill calls it to see owners afresh.
 * Returns 0 or -1 (logged; the live map stays).
 */
int	portd_tick(struct portd *);

/*
 * Assigns ev the next sequence number and the time, logs it, sends it to
 * watchers and keeps it in the history (ev's contents move there).
 */
void	portd_emit(struct portd *, struct event *ev);

/* Re-reads the configuration; 0, or -1 with err (nothing changed). */
int	portd_reload(struct portd *, char *err, size_t errlen);

/* Rules in force (for status lines). */
size_t	portd_nrules(const struct portd *);

/* Stops the loop: closes clients and the socket. */
void	portd_stop(struct portd *);

int64_t	portd_now_ms(void);

/* ctl.c */
int	ctl_open(struct portd *, char *err, size_t errlen);
void	ctl_close(struct portd *);
/* Drops watchers still holding more than watch_buffer unread bytes from
 * earlier snapshots (called before each snapshot). */
void	ctl_check_lag(struct portd *);
/* Sends ev to every watcher whose filter matches. */
void	ctl_broadcast(struct portd *, const struct event *ev);
size_t	ctl_nclients(const struct portd *);
/* The control socket's path (the activated socket's, under systemd). */
const char *ctl_path(const struct portd *);
size_t	ctl_nwatchers(const struct portd *);

struct ctl_client;
struct peer;
/* Who connected (SO_PEERCRED or the OS's equivalent, at accept). */
const struct peer *ctl_client_peer(const struct ctl_client *);
/* Queues one line (with its newline); takes ownership of line. */
void	ctl_client_send(struct ctl_client *, char *line);
/* A reply will come later (a kill in progress): do not close on EOF
 * before it is sent. Release after sending it. */
void	ctl_client_hold(struct ctl_client *);
void	ctl_client_release(struct ctl_client *);
/* Makes the client a watcher of events matching f (NULL: all). */
void	ctl_client_watch(struct ctl_client *, const struct filter *f,
	    const char *id);

/* cmds.c: handles one request line from c. */
void	cmds_dispatch(struct portd *, struct ctl_client *, const char *line,
	    size_t len);
/* A client is going away: detach its kill jobs. */
void	cmds_client_gone(struct portd *, struct ctl_client *);
/* Cancels every kill job (shutdown). */
void	cmds_stop(struct portd *);

#endif
