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

#include "kill.h"
#include "log.h"
#include "portd.h"

#define KILL_POLL_MS	50
#define KILL_GRACE_MS	2000	/* after SIGKILL, wait this long for exit */

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

/* A kill in progress: the reply is sent when it is decided. */
struct kill_job {
	struct kill_job *next;
	struct portd *pd;
	struct ctl_client *client;	/* NULL once the client is gone */
	char id[64];
	struct filter filter;
	struct snapshot rows;
	struct kill_plan plan;
	int sig;			/* first signal */
	int escalate;
	int escalated;
	int64_t deadline;		/* monotonic ms */
	uv_timer_t timer;
};

static int64_t
mono_ms(void)
{
	return (int64_t)(uv_hrtime() / 1000000);
}

static void
reply_error(struct ctl_client *c, const char *id, int err, const char *msg)
{
	ctl_client_send(c, proto_reply_error(id, err, msg));
}

/*
 * Appends to out the indexes of the live map's rows that f selects. Rows
 * are sorted by port first, so each spec is a binary search and a short
 * walk rather than a pass over every socket.
 */
static size_t
select_rows(const struct snapshot *s, const struct filter *f, size_t *out)
{
	size_t i, k, n = 0, lo, hi, mid, j;

	if (f->nspecs == 0) {
		for (i = 0; i < s->nrows; i++)
			if (filter_match(f, &s->rows[i].sock))
				out[n++] = i;
		return n;
	}
	for (k = 0; k < f->nspecs; k++) {
		lo = 0;
		hi = s->nrows;
		while (lo < hi) {
			mid = lo + (hi - lo) / 2;
			if (s->rows[mid].sock.port < f->specs[k].lo)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (i = lo; i < s->nrows &&
		    s->rows[i].sock.port <= f->specs[k].hi; i++) {
			if (!filter_match(f, &s->rows[i].sock))
				continue;
			/* Overlapping specs must not list a row twice. */
			for (j = 0; j < n && out[j] != i; j++)
				;
			if (j == n)
				out[n++] = i;
		}
	}
	return n;
}

static cJSON *
rows_json(const struct snapshot *s, const struct filter *f)
{
	cJSON *o, *a;
	size_t *idx, n, i;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	if ((a = cJSON_AddArrayToObject(o, "listeners")) == NULL ||
	    (idx = malloc((s->nrows + 1) * sizeof(*idx))) == NULL) {
		cJSON_Delete(o);
		return NULL;
	}
	n = select_rows(s, f, idx);
	for (i = 0; i < n; i++)
		cJSON_AddItemToArray(a, proto_row_json(s, &s->rows[idx[i]]));
	free(idx);
	return o;
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
	ctl_client_send(c, proto_reply_ok(req->id, rows_json(&pd->cur,
	    &req->filter)));
}

static void
cmd_list(struct portd *pd, struct ctl_client *c, struct request *req)
{
	ctl_client_send(c, proto_reply_ok(req->id, rows_json(&pd->cur,
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
cmd_reload(struct portd *pd, struct ctl_client *c, struct request *req)
{
	char err[2048];
	cJSON *o;

	log_notice("reload requested by uid %u pid %d",
	    (unsigned)ctl_client_uid(c), (int)ctl_client_pid(c));
	if (portd_reload(pd, err, sizeof(err)) == -1) {
		reply_error(c, req->id, PE_RELOAD, err);
		return;
	}
	o = cJSON_CreateObject();
	cJSON_AddBoolToObject(o, "reloaded", 1);
	ctl_client_send(c, proto_reply_ok(req->id, o));
}

/* ---- kill ------------------------------------------------------------ */

static void
job_unlink(struct portd *pd, struct kill_job *job)
{
	struct kill_job **jp;

	for (jp = &pd->jobs; *jp != NULL; jp = &(*jp)->next)
		if (*jp == job) {
			*jp = job->next;
			break;
		}
}

static void
on_job_closed(uv_handle_t *h)
{
	struct kill_job *job = h->data;

	kill_plan_free(&job->plan);
	snapshot_clear(&job->rows);
	free(job);
}

static void
job_log_results(const struct kill_job *job, uid_t uid, pid_t pid)
{
	const struct kill_target *t;
	size_t i;

	for (i = 0; i < job->plan.ntargets; i++) {
		t = &job->plan.targets[i];
		log_notice("kill for uid %u pid %d: pid %d (%s): %s%s%s%s%s",
		    (unsigned)uid, (int)pid, (int)t->proc.pid, t->proc.comm,
		    t->signalled ? kill_signal_name(t->signalled) : "",
		    t->signalled ? ", " : "", kill_outcome_name(t->outcome),
		    t->err[0] ? ": " : "", t->err);
	}
}

/* Sends the reply (if the client is still there) and ends the job. */
static void
job_finish(struct kill_job *job, int dry_run)
{
	struct portd *pd = job->pd;
	cJSON *o;

	kill_plan_finish(&job->plan);
	if (job->client != NULL) {
		job_log_results(job, ctl_client_uid(job->client),
		    ctl_client_pid(job->client));
		o = proto_snapshot_json(&job->rows);
		cJSON_AddItemToObject(o, "results", proto_kill_json(&job->plan));
		cJSON_AddBoolToObject(o, "dry_run", dry_run);
		ctl_client_send(job->client, proto_reply_ok(job->id, o));
		ctl_client_release(job->client);
	} else
		job_log_results(job, (uid_t)-1, -1);
	job_unlink(pd, job);
	uv_timer_stop(&job->timer);
	uv_close((uv_handle_t *)&job->timer, on_job_closed);
	/* What the kill changed shows up as events right away. */
	if (!pd->stopping)
		portd_tick(pd);
}

static void
on_job_timer(uv_timer_t *t)
{
	struct kill_job *job = t->data;
	struct snapshot now;
	char err[256];
	size_t holding = 1;

	snapshot_init(&now);
	if (backend_sockets(job->pd->backend, &job->filter, &now, err,
	    sizeof(err)) == 0)
		holding = kill_plan_update(&job->plan, &now);
	snapshot_clear(&now);
	if (holding == 0) {
		job_finish(job, 0);
		return;
	}
	if (mono_ms() < job->deadline)
		return;
	if (job->escalate && !job->escalated &&
	    kill_plan_signal(&job->plan, SIGKILL) > 0) {
		job->escalated = 1;
		job->deadline = mono_ms() + KILL_GRACE_MS;
		return;
	}
	job_finish(job, 0);
}

/* Copies the live map's rows that f selects into out. */
static int
copy_rows(const struct snapshot *s, const struct filter *f,
    struct snapshot *out)
{
	const struct proc_info *p;
	size_t *idx, n, i;
	int pi;

	if ((idx = malloc((s->nrows + 1) * sizeof(*idx))) == NULL)
		return -1;
	n = select_rows(s, f, idx);
	for (i = 0; i < n; i++) {
		const struct listener *l = &s->rows[idx[i]];

		pi = -1;
		if ((p = snapshot_row_proc(s, l)) != NULL &&
		    (pi = snapshot_find_proc(out, p->pid, p->start_time)) < 0 &&
		    (pi = snapshot_add_proc(out, p)) < 0)
			break;
		if (snapshot_add_row(out, &l->sock, pi, l->reason) == NULL)
			break;
	}
	free(idx);
	if (i < n)
		return -1;
	snapshot_sort(out);
	return 0;
}

/*
 * kill(2)'s rule for an unprivileged sender: its uid must match the
 * target's real or saved uid. portd runs as root, so it must apply the
 * rule itself.
 */
static void
authorize_targets(struct portd *pd, struct kill_plan *kp, uid_t uid,
    pid_t pid)
{
	struct kill_target *t;
	size_t i;

	if (uid == 0)
		return;
	for (i = 0; i < kp->ntargets; i++) {
		t = &kp->targets[i];
		if (t->outcome != KILL_PENDING)
			continue;
		if (uid != (uid_t)-1 && (t->proc.uid == (uint32_t)uid ||
		    t->proc.suid == (uint32_t)uid))
			continue;
		t->outcome = KILL_DENIED;
		snprintf(t->err, sizeof(t->err), "uid %u may not signal "
		    "pid %d (uid %u)", (unsigned)uid, (int)t->proc.pid,
		    (unsigned)t->proc.uid);
		pd->denials++;
		log_warnx("denied kill of pid %d (%s, uid %u) to uid %u pid %d",
		    (int)t->proc.pid, t->proc.comm, (unsigned)t->proc.uid,
		    (unsigned)uid, (int)pid);
	}
}

static void
cmd_kill(struct portd *pd, struct ctl_client *c, struct request *req)
{
	struct kill_job *job;
	int32_t self = (int32_t)getpid();

	if (req->filter.nspecs == 0) {
		reply_error(c, req->id, PE_BAD_REQUEST, "kill: missing key "
		    "'ports'");
		return;
	}
	if ((job = calloc(1, sizeof(*job))) == NULL) {
		reply_error(c, req->id, PE_INTERNAL, "out of memory");
		return;
	}
	job->pd = pd;
	job->client = c;
	job->filter = req->filter;
	job->sig = req->sig ? req->sig : SIGTERM;
	/* An explicit signal is the caller's choice: no escalation. */
	job->escalate = req->escalate && req->sig == 0;
	snprintf(job->id, sizeof(job->id), "%s", req->id);
	snapshot_init(&job->rows);
	uv_timer_init(pd->loop, &job->timer);
	job->timer.data = job;
	job->next = pd->jobs;
	pd->jobs = job;
	ctl_client_hold(c);

	/* Owners afresh: a listener bound since the last tick is found, and
	 * a stale row never leads to a signal (the backend checks the start
	 * time again before signalling). */
	portd_tick(pd);
	if (copy_rows(&pd->cur, &job->filter, &job->rows) == -1 ||
	    kill_plan_build(&job->plan, &job->rows, &self, 1) == -1) {
		reply_error(c, req->id, PE_INTERNAL, "out of memory");
		job->client = NULL;
		ctl_client_release(c);
		job_finish(job, 0);
		return;
	}
	authorize_targets(pd, &job->plan, ctl_client_uid(c),
	    ctl_client_pid(c));
	if (req->dry_run) {
		kill_plan_dry_run(&job->plan);
		job_finish(job, 1);
		return;
	}
	if (kill_plan_signal(&job->plan, job->sig) == 0) {
		job_finish(job, 0);
		return;
	}
	job->deadline = mono_ms() + req->timeout_ms;
	uv_timer_start(&job->timer, on_job_timer, KILL_POLL_MS, KILL_POLL_MS);
}

void
cmds_client_gone(struct portd *pd, struct ctl_client *c)
{
	struct kill_job *job;

	/* The kill goes on; only its reply has nowhere to go. */
	for (job = pd->jobs; job != NULL; job = job->next)
		if (job->client == c)
			job->client = NULL;
}

void
cmds_stop(struct portd *pd)
{
	while (pd->jobs != NULL)
		job_finish(pd->jobs, 0);
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
	{ "reload", ACCESS_ROOT, 0, cmd_reload },
};

void
cmds_dispatch(struct portd *pd, struct ctl_client *c, const char *line,
    size_t len)
{
	const struct cmd_entry *ce = NULL;
	struct request req;
	char err[512];
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
	if (ce->access == ACCESS_ROOT && ctl_client_uid(c) != 0) {
		pd->denials++;
		log_warnx("denied %s to uid %u pid %d", ce->name,
		    (unsigned)ctl_client_uid(c), (int)ctl_client_pid(c));
		snprintf(err, sizeof(err), "%s is for root only", ce->name);
		reply_error(c, req.id, PE_DENIED, err);
		return;
	}
	ce->fn(pd, c, &req);
}
