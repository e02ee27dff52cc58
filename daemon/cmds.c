/*
 * cmds.c - the control protocol's commands: one table of
 * {name, access, accepted keys, handler}. The dispatcher parses the line
 * strictly, checks the keys and the caller's access before it calls a
 * handler, so a handler only does its work.
 *
 * Access is decided per request from the peer's credentials (SO_PEERCRED):
 * queries for every local user, reload for root, kill for anyone but only
 * on processes the caller could signal itself (kill(2)'s rule: same real
 * or saved uid), checked per target.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compat.h"
#include "enforce.h"
#include "kill.h"
#include "killjob.h"
#include "log.h"
#include "peer.h"
#include "portd.h"

enum cmd_access {
	ACCESS_ANYONE,		/* read-only: anyone who can connect */
	ACCESS_KILL,		/* anyone; targets checked one by one */
	ACCESS_ROOT,		/* root only */
};

struct cmd_entry {
	const char *name;
	int access;
	unsigned keys;		/* PK_* accepted */
	void (*fn)(struct portd *, struct ctl_client *, struct request *);
};

static void
reply_error(struct ctl_client *c, const char *id, int err, const char *msg)
{
	ctl_client_send(c, proto_reply_error(id, err, msg));
}

/* {"listeners":[...]} of the live map's rows f selects, as text. */
static char *
rows_text(const struct snapshot *s, const struct filter *f)
{
	size_t *idx, n;
	char *text;

	if ((idx = malloc((s->nrows + 1) * sizeof(*idx))) == NULL)
		return NULL;
	n = filter_select(f, s, idx);
	text = proto_rows_text(s, idx, n);
	free(idx);
	return text;
}

static void
cmd_hello(struct portd *pd, struct ctl_client *c, struct request *req)
{
	cJSON *o = cJSON_CreateObject();

	(void)pd;
	cJSON_AddStringToObject(o, "daemon", "portd");
	cJSON_AddStringToObject(o, "version", PORTD_VERSION);
	cJSON_AddNumberToObject(o, "protocol", PROTO_VERSION);
	ctl_client_send(c, proto_reply_ok(req->id, o));
}

static void
cmd_who(struct portd *pd, struct ctl_client *c, struct request *req)
{
	if (req->filter.nspecs == 0) {
		reply_error(c, req->id, PE_BAD_REQUEST, "who: missing key "
		    "'ports'");
		return;
	}
	ctl_client_send(c, proto_reply_ok_text(req->id, rows_text(&pd->cur,
	    &req->filter)));
}

static void
cmd_list(struct portd *pd, struct ctl_client *c, struct request *req)
{
	ctl_client_send(c, proto_reply_ok_text(req->id, rows_text(&pd->cur,
	    &req->filter)));
}

static void
cmd_status(struct portd *pd, struct ctl_client *c, struct request *req)
{
	struct backend_stats bs;
	cJSON *o = cJSON_CreateObject(), *cache;
	char when[40];

	backend_get_stats(pd->backend, &bs);
	cJSON_AddStringToObject(o, "version", PORTD_VERSION);
	cJSON_AddNumberToObject(o, "protocol", PROTO_VERSION);
	cJSON_AddNumberToObject(o, "pid", (double)getpid());
	proto_time_text(pd->started_ms, when, sizeof(when));
	cJSON_AddStringToObject(o, "started", when);
	cJSON_AddNumberToObject(o, "uptime_s",
	    (double)((uv_hrtime() - pd->started_ns) / 1000000000ULL));
	cJSON_AddNumberToObject(o, "interval_ms", pd->opts.interval_ms);
	cJSON_AddNumberToObject(o, "resync_ms", pd->opts.resync_ms);
	cJSON_AddStringToObject(o, "source", backend_source(pd->backend));
	/* Where exec and exit of owners are learnt: "connector" (the
	 * kernel's process events), else "polling" (re-read in slices). */
	cJSON_AddStringToObject(o, "process_events", bs.proc_connector ?
	    "connector" : "polling");
	/* Whether the count pass runs (Linux 6.2+; see portd(8)). */
	cJSON_AddBoolToObject(o, "fd_counts", bs.fd_counts);
	cJSON_AddNumberToObject(o, "snapshots", (double)pd->snapshots);
	cJSON_AddNumberToObject(o, "last_snapshot_ms", pd->last_snap_ms);
	cJSON_AddNumberToObject(o, "avg_snapshot_ms", pd->snapshots ?
	    pd->total_snap_ms / (double)pd->snapshots : 0.0);
	proto_time_text(pd->last_snap_at, when, sizeof(when));
	cJSON_AddStringToObject(o, "last_snapshot_at", when);
	cJSON_AddNumberToObject(o, "sockets", (double)pd->cur.nrows);
	cJSON_AddNumberToObject(o, "owners", (double)pd->cur.nprocs);
	cJSON_AddNumberToObject(o, "clients", (double)ctl_nclients(pd));
	cJSON_AddNumberToObject(o, "max_clients", (double)pd->opts.max_clients);
	cJSON_AddNumberToObject(o, "watchers", (double)ctl_nwatchers(pd));
	cJSON_AddNumberToObject(o, "requests", (double)pd->requests);
	cJSON_AddNumberToObject(o, "events", (double)pd->events);
	cJSON_AddNumberToObject(o, "last_seq", (double)pd->next_seq);
	cJSON_AddNumberToObject(o, "history", (double)pd->history.count);
	cJSON_AddNumberToObject(o, "history_max", (double)pd->history.cap);
	cJSON_AddNumberToObject(o, "errors", (double)pd->errors);
	cJSON_AddNumberToObject(o, "denials", (double)pd->denials);
	cJSON_AddNumberToObject(o, "reloads", (double)pd->reloads);
	cache = cJSON_AddObjectToObject(o, "owner_cache");
	cJSON_AddNumberToObject(cache, "inodes", (double)bs.cache_inodes);
	cJSON_AddNumberToObject(cache, "unowned", (double)bs.cache_unowned);
	cJSON_AddNumberToObject(cache, "procs_scanned",
	    (double)bs.procs_scanned);
	cJSON_AddNumberToObject(cache, "fds_read", (double)bs.fds_read);
	cJSON_AddNumberToObject(cache, "full_scans", (double)bs.full_scans);
	cJSON_AddNumberToObject(cache, "count_rescans",
	    (double)bs.count_rescans);
	cJSON_AddNumberToObject(cache, "busy_deferred",
	    (double)bs.busy_deferred);
	cJSON_AddNumberToObject(cache, "process_events",
	    (double)bs.proc_events);
	cJSON_AddNumberToObject(cache, "process_events_lost",
	    (double)bs.proc_events_lost);
	ctl_client_send(c, proto_reply_ok(req->id, o));
}

static void
cmd_events(struct portd *pd, struct ctl_client *c, struct request *req)
{
	const struct event *ev;
	cJSON *o = cJSON_CreateObject(), *a;
	uint64_t first = history_first_seq(&pd->history);
	size_t i;

	a = cJSON_AddArrayToObject(o, "events");
	for (i = 0; i < pd->history.count; i++) {
		ev = history_at(&pd->history, i);
		if (ev->seq > (uint64_t)req->since &&
		    filter_match(&req->filter, &ev->sock))
			cJSON_AddItemToArray(a, proto_event_json(ev));
	}
	cJSON_AddNumberToObject(o, "first_seq", (double)first);
	cJSON_AddNumberToObject(o, "last_seq", (double)pd->next_seq);
	/* Events after `since` that the ring no longer holds. */
	cJSON_AddBoolToObject(o, "truncated", first > 0 &&
	    (uint64_t)req->since + 1 < first);
	ctl_client_send(c, proto_reply_ok(req->id, o));
}

static void
cmd_watch(struct portd *pd, struct ctl_client *c, struct request *req)
{
	cJSON *o = cJSON_CreateObject();

	ctl_client_watch(c, &req->filter, req->id);
	cJSON_AddBoolToObject(o, "watching", 1);
	cJSON_AddNumberToObject(o, "last_seq", (double)pd->next_seq);
	ctl_client_send(c, proto_reply_ok(req->id, o));
}

static void
cmd_rules(struct portd *pd, struct ctl_client *c, struct request *req)
{
	ctl_client_send(c, proto_reply_ok(req->id, enforce_rules_json(pd)));
}

static void
cmd_reload(struct portd *pd, struct ctl_client *c, struct request *req)
{
	/* Every error of a broken file: up to 100 of some 150 bytes. */
	enum { ERRMAX = 32768 };
	char *err, who[PEER_TEXT_MAX];
	cJSON *o;

	log_notice("reload requested by %s",
	    peer_text(ctl_client_peer(c), who, sizeof(who)));
	if ((err = calloc(1, ERRMAX)) == NULL) {
		reply_error(c, req->id, PE_INTERNAL, "out of memory");
		return;
	}
	if (portd_reload(pd, err, ERRMAX) == -1) {
		reply_error(c, req->id, PE_RELOAD, err);
		free(err);
		return;
	}
	free(err);
	o = cJSON_CreateObject();
	cJSON_AddBoolToObject(o, "reloaded", 1);
	ctl_client_send(c, proto_reply_ok(req->id, o));
}

/* ---- kill ------------------------------------------------------------ */

/* Events of one user's kill that signalled nothing, at most. */
#define KILL_IDLE_EVENTS	8

/*
 * The kill as events, through the one path every event takes (the log,
 * watchers, the history): one per target with its outcome, and one per
 * socket left held by a process that was not a target. A user's kills
 * that signalled nothing are limited (below).
 */

static void
kill_events(struct portd *pd, struct kill_job *job)
{
	/* See below: one line per KILL_LOG_MS for all users. */
	static struct log_limit idle_log;
	const struct kill_plan *kp = killjob_plan(job);
	const struct peer *by = killjob_peer(job);
	const struct kill_target *t;
	const struct proc_info *p;
	struct event ev;
	char who[PEER_TEXT_MAX], what[160];
	size_t i, k, left = (size_t)-1;

	/*
	 * A user's kill that signalled nothing (every target denied or
	 * gone, nothing held the port, a dry run) changed nothing; its
	 * outcome is in the requester's reply. Any user could send those
	 * by the thousand (each may name thousands of ports), flushing the
	 * shared history and flooding the log: for all users together, one
	 * such kill per KILL_LOG_MS is logged with a count of the others
	 * and becomes events (its first KILL_IDLE_EVENTS); the others are
	 * not events. Root's kills, and kills that signalled, always are.
	 */
	for (i = 0; i < kp->ntargets && kp->targets[i].signalled == 0; i++)
		;
	if (!by->admin && (i == kp->ntargets || killjob_dry_run(job))) {
		if (kp->ntargets > 0)
			kill_target_text(&kp->targets[0], what, sizeof(what));
		if (!log_limited(&idle_log, uv_now(pd->loop), KILL_LOG_MS,
		    LOG_LVL_NOTICE, "kill by %s%s signalled nothing: %zu "
		    "target%s%s%s%s", peer_text(by, who, sizeof(who)),
		    killjob_dry_run(job) ? " (dry run)" : "", kp->ntargets,
		    kp->ntargets == 1 ? "" : "s", kp->ntargets > 0 ?
		    " (first: " : "", kp->ntargets > 0 ? what : "",
		    kp->ntargets > 0 ? ")" : ""))
			return;
		left = KILL_IDLE_EVENTS;
	}
	for (i = 0; i < kp->ntargets + kp->remain.nrows && left > 0; i++) {
		memset(&ev, 0, sizeof(ev));
		ev.type = EV_KILL;
		ev.dry_run = killjob_dry_run(job);
		ev.by_uid = by->uid;
		ev.by_pid = by->pid;
		snprintf(ev.by_user, sizeof(ev.by_user), "%s", by->user);
		if (i < kp->ntargets) {
			t = &kp->targets[i];
			for (k = 0; k < kp->nsocks; k++)
				if (kp->sock_target[k] == (int)i)
					break;
			if (k < kp->nsocks)
				ev.sock = kp->socks[k];
			kill_target_text(t, ev.outcome, sizeof(ev.outcome));
			p = &t->proc;
		} else {
			const struct listener *l =
			    &kp->remain.rows[i - kp->ntargets];

			p = snapshot_row_proc(&kp->remain, l);
			for (k = 0; p != NULL && k < kp->ntargets; k++)
				if (kp->targets[k].proc.pid == p->pid &&
				    kp->targets[k].proc.start_time ==
				    p->start_time)
					break;
			if (p != NULL && k < kp->ntargets)
				continue;	/* its target's event says it */
			ev.sock = l->sock;
			ev.reason = l->reason;
			snprintf(ev.outcome, sizeof(ev.outcome), "failed: the "
			    "port is still held%s", p == NULL ? " by a socket "
			    "whose owner cannot be seen" : "");
		}
		if (p != NULL && proc_info_copy(&ev.proc, p) == -1) {
			log_warnx("out of memory: kill event lost");
			continue;
		}
		portd_emit(pd, &ev);
		event_clear(&ev);
		left--;
	}
}

/* owner: the client (NULL if it left), arg: the request's id. */
static void
kill_done(struct portd *pd, struct kill_job *job, void *owner, void *arg)
{
	struct ctl_client *c = owner;
	char *id = arg;
	cJSON *o;

	kill_events(pd, job);
	if (c != NULL) {
		o = proto_kill_reply(killjob_rows(job), killjob_plan(job),
		    killjob_filter(job), killjob_dry_run(job));
		if (o != NULL)
			ctl_client_send(c, proto_reply_ok(id, o));
		else
			ctl_client_send(c, proto_reply_error(id, PE_INTERNAL,
			    "out of memory"));
		ctl_client_release(c);
	}
	free(id);
}

/*
 * A kill refused as busy, logged once per KILL_LOG_MS at most with a
 * count of the rest: a user pipelining thousands of kills must not
 * flood the log. One loop thread: a plain static suffices.
 */
static void
log_busy(struct portd *pd, const struct peer *p, const char *why)
{
	static struct log_limit busy;
	char who[PEER_TEXT_MAX];

	log_limited(&busy, uv_now(pd->loop), KILL_LOG_MS, LOG_LVL_WARN,
	    "kill refused to %s: %s", peer_text(p, who, sizeof(who)), why);
}

static void
cmd_kill(struct portd *pd, struct ctl_client *c, struct request *req)
{
	struct killjob_params kp;
	struct snapshot rows;
	size_t *idx, n, i;
	char *id = NULL, err[160];
	int r = -1, e;

	if (req->filter.nspecs == 0) {
		reply_error(c, req->id, PE_BAD_REQUEST, "kill: missing key "
		    "'ports'");
		return;
	}
	/* Before the fresh snapshot: a refusal must cost nothing. */
	if ((e = killjob_admit(pd, ctl_client_peer(c), err, sizeof(err))) !=
	    PE_NONE) {
		pd->denials++;
		log_busy(pd, ctl_client_peer(c), err);
		reply_error(c, req->id, e, err);
		return;
	}
	/* Owners afresh: a listener bound since the last tick is found, and
	 * a stale row never leads to a signal (the backend checks the start
	 * time again before signalling). */
	portd_tick(pd);
	ctl_client_hold(c);
	snapshot_init(&rows);
	if ((idx = malloc((pd->cur.nrows + 1) * sizeof(*idx))) != NULL) {
		n = filter_select(&req->filter, &pd->cur, idx);
		for (i = 0; i < n; i++) {
			const struct listener *l = &pd->cur.rows[idx[i]];
			const struct proc_info *p = snapshot_row_proc(&pd->cur, l);
			int pi = -1;

			if (p != NULL && (pi = snapshot_find_proc(&rows, p->pid,
			    p->start_time)) < 0 &&
			    (pi = snapshot_add_proc(&rows, p)) < 0)
				break;
			if (snapshot_add_row(&rows, &l->sock, pi,
			    l->reason) == NULL)
				break;
		}
		free(idx);
		if (i == n) {
			memset(&kp, 0, sizeof(kp));
			kp.sig = req->sig ? req->sig : SIGTERM;
			/* An explicit signal is the caller's choice. */
			kp.escalate = req->escalate && req->sig == 0;
			kp.timeout_ms = (uint32_t)req->timeout_ms;
			kp.dry_run = req->dry_run;
			/* Every holder of the sockets, as the kernel says. */
			kp.find_others = 1;
			kp.peer = ctl_client_peer(c);
			if ((id = strdup(req->id)) == NULL ||
			    (r = killjob_start(pd, &rows, &req->filter, &kp,
			    kill_done, c, id)) == -1)
				free(id);
		}
	}
	snapshot_clear(&rows);
	if (r == -1) {
		reply_error(c, req->id, PE_INTERNAL, "out of memory");
		ctl_client_release(c);
	}
}

void
cmds_client_gone(struct portd *pd, struct ctl_client *c)
{
	killjob_detach(pd, c);
}

void
cmds_stop(struct portd *pd)
{
	killjob_stop_all(pd);
}

/* ---- the table and the dispatcher ------------------------------------ */

#define FILTER_KEYS	(PK_PORTS | PK_PROTOS | PK_FAMILIES)

static const struct cmd_entry cmd_table[] = {
	{ "hello", ACCESS_ANYONE, 0, cmd_hello },
	{ "who", ACCESS_ANYONE, FILTER_KEYS, cmd_who },
	{ "list", ACCESS_ANYONE, PK_PROTOS | PK_FAMILIES, cmd_list },
	{ "kill", ACCESS_KILL, FILTER_KEYS | PK_SIGNAL | PK_TIMEOUT |
	    PK_ESCALATE | PK_DRY_RUN, cmd_kill },
	{ "watch", ACCESS_ANYONE, FILTER_KEYS, cmd_watch },
	{ "events", ACCESS_ANYONE, FILTER_KEYS | PK_SINCE, cmd_events },
	{ "status", ACCESS_ANYONE, 0, cmd_status },
	{ "rules", ACCESS_ANYONE, 0, cmd_rules },
	{ "reload", ACCESS_ROOT, 0, cmd_reload },
};

void
cmds_dispatch(struct portd *pd, struct ctl_client *c, const char *line,
    size_t len)
{
	const struct cmd_entry *ce = NULL;
	struct request req;
	char err[512], who[PEER_TEXT_MAX];
	size_t i;
	int e;

	if (memchr(line, '\0', len) != NULL) {
		pd->errors++;
		reply_error(c, "null", PE_BAD_JSON, "request contains a NUL "
		    "byte");
		return;
	}
	if ((e = proto_parse_request(line, len, &req, err, sizeof(err))) !=
	    PE_NONE) {
		reply_error(c, req.id, e, err);
		return;
	}
	for (i = 0; i < sizeof(cmd_table) / sizeof(cmd_table[0]); i++)
		if (strcmp(cmd_table[i].name, req.cmd) == 0)
			ce = &cmd_table[i];
	if (ce == NULL) {
		snprintf(err, sizeof(err), "unknown command '%s'", req.cmd);
		reply_error(c, req.id, PE_UNKNOWN_COMMAND, err);
		return;
	}
	if ((e = proto_request_allowed(&req, ce->keys, err, sizeof(err))) !=
	    PE_NONE) {
		reply_error(c, req.id, e, err);
		return;
	}
	if (ce->access == ACCESS_ROOT && !ctl_client_peer(c)->admin) {
		pd->denials++;
		log_warnx("denied %s to %s", ce->name,
		    peer_text(ctl_client_peer(c), who, sizeof(who)));
		snprintf(err, sizeof(err), "%s is for %s only", ce->name,
		    PD_ADMINS);
		reply_error(c, req.id, PE_DENIED, err);
		return;
	}
	ce->fn(pd, c, &req);
}
