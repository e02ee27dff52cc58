/*
 * event.h - what portd reports: an event (a bind or unbind of one row)
 * and the bounded history of recent events.
 */
#ifndef PORTD_EVENT_H
#define PORTD_EVENT_H

#include <stddef.h>
#include <stdint.h>

#include "snapshot.h"

enum event_type {
	EV_BIND = 1,		/* a (socket, owner) row appeared */
	EV_UNBIND,		/* a row went away */
	EV_VIOLATION,		/* a row breaks a rule (rule) */
	EV_REAP,		/* a rule's action and its outcome */
	EV_RESPAWN,		/* a rule stops acting on a respawning exe */
	EV_KILL,		/* a kill a client asked for: one target's
				 * outcome, or a socket it left held */
};
#define EV_LAST	EV_KILL

#define EVENT_TEXT_MAX	256

/* An event owns a copy of its row (proc.exe is heap memory). */
struct event {
	uint64_t seq;
	int64_t time_ms;	/* milliseconds since the epoch, UTC */
	int type;		/* enum event_type */
	struct sock_info sock;
	struct proc_info proc;	/* pid 0 when the socket has no owner */
	uint8_t reason;		/* enum pd_reason when pid is 0 */
	/* violation, reap, respawn: */
	char rule[64];		/* the rule's name */
	char action[16];	/* "log", "terminate", "kill" */
	char outcome[EVENT_TEXT_MAX];	/* reap: "exited", "failed: ..." */
	int dry_run;
	int32_t parent_pid;	/* respawn: the parent process */
	char parent_comm[64];
	char unit[EVENT_TEXT_MAX];	/* respawn: systemd unit, if any */
	/* kill: who asked (PD_UID_UNKNOWN, -1, "" when not known) */
	uint32_t by_uid;
	int32_t by_pid;
	char by_user[PD_NAME_MAX];	/* where the OS names accounts */
};

/* Fills ev from a snapshot row (copies the process). 0 or -1. */
int	 event_from_row(struct event *ev, int type, const struct snapshot *,
	    const struct listener *);
void	 event_clear(struct event *);
const char *event_type_name(int type);	/* "bind" / "unbind" */
/*
 * A kill's requester for people, the same in the log and in watch:
 * "uid 1000 pid 42" ("VM\alice pid 42" where accounts have names, "?"
 * for what is not known). Returns buf.
 */
#define EVENT_REQUESTER_MAX	(PD_NAME_MAX + 40)
const char *event_requester_text(const struct event *, char *buf,
	    size_t len);

/*
 * A ring of the last cap events. history_push takes ownership of ev's
 * contents; the oldest event is freed once the ring is full.
 */
struct history {
	struct event *ring;
	size_t cap, start, count;
};

int	 history_init(struct history *, size_t cap);
void	 history_free(struct history *);
void	 history_push(struct history *, struct event *ev);
/* The i-th kept event, oldest first (i < count). */
const struct event *history_at(const struct history *, size_t i);
/* Oldest sequence number kept (0 if empty). */
uint64_t history_first_seq(const struct history *);

#endif
