/*
 * killjob.c - kills in progress (see killjob.h).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "killjob.h"
#include "log.h"
#include "peer.h"
#include "portd.h"

struct kill_job {
	struct kill_job *next;
	struct portd *pd;
	killjob_done_fn done;
	void *owner;
	void *arg;
	struct snapshot rows;
	struct kill_run run;		/* the plan and its steps (kill.h) */
	struct peer who;		/* the requester, kept: counted against
					 * its user's max_kill_jobs unless an
					 * admin */
	int dry_run;
	uv_timer_t timer;
};

static int64_t
mono_ms(void)
{
	return (int64_t)(uv_hrtime() / 1000000);
}

const struct kill_plan *
killjob_plan(const struct kill_job *job)
{
	return &job->run.plan;
}

const struct snapshot *
killjob_rows(const struct kill_job *job)
{
	return &job->rows;
}

int
killjob_dry_run(const struct kill_job *job)
{
	return job->dry_run;
}

static void
on_job_closed(uv_handle_t *h)
{
	struct kill_job *job = h->data;

	kill_run_free(&job->run);
	snapshot_clear(&job->rows);
	free(job);
}

static void
job_finish(struct kill_job *job)
{
	struct portd *pd = job->pd;
	struct kill_job **jp;

	if (!job->run.done)
		kill_run_stop(&job->run);
	if (job->run.err[0] != '\0')
		log_warnx("kill: %s", job->run.err);
	for (jp = &pd->jobs; *jp != NULL; jp = &(*jp)->next)
		if (*jp == job) {
			*jp = job->next;
			break;
		}
	job->done(pd, job, job->owner, job->arg);
	uv_timer_stop(&job->timer);
	uv_close((uv_handle_t *)&job->timer, on_job_closed);
	/* What the kill changed shows up as events right away. */
	if (!pd->stopping && !job->dry_run)
		portd_tick(pd);
}

static void
on_job_timer(uv_timer_t *t)
{
	struct kill_job *job = t->data;

	if (kill_run_poll(&job->run, mono_ms()))
		job_finish(job);
}

/* Copies the rows into out, processes once each. */
static int
copy_rows(const struct snapshot *s, struct snapshot *out)
{
	const struct proc_info *p;
	size_t i;
	int pi;

	for (i = 0; i < s->nrows; i++) {
		pi = -1;
		if ((p = snapshot_row_proc(s, &s->rows[i])) != NULL &&
		    (pi = snapshot_find_proc(out, p->pid, p->start_time)) < 0 &&
		    (pi = snapshot_add_proc(out, p)) < 0)
			return -1;
		if (snapshot_add_row(out, &s->rows[i].sock, pi,
		    s->rows[i].reason) == NULL)
			return -1;
	}
	snapshot_sort(out);
	return 0;
}

/* Denials are a user's to cause at will: one line per KILL_LOG_MS. */
static struct log_limit denied_log;

/*
 * What the requester may not signal is left out before anything is
 * signalled: portd runs with every right, so it checks the requester's.
 */
static void
authorize(void *arg, struct kill_plan *kp)
{
	struct kill_job *job = arg;
	struct portd *pd = job->pd;
	const struct peer *peer = &job->who;
	struct kill_target *t;
	char who[PEER_TEXT_MAX];
	size_t i;

	for (i = 0; i < kp->ntargets; i++) {
		t = &kp->targets[i];
		if (t->outcome != KILL_PENDING ||
		    peer_may_signal(peer, &t->proc))
			continue;
		t->outcome = KILL_DENIED;
		pd->denials++;
		log_limited(&denied_log, uv_now(pd->loop), KILL_LOG_MS,
		    LOG_LVL_WARN, "denied kill of pid %d (%s, user %s) to %s",
		    (int)t->proc.pid, t->proc.comm, t->proc.user[0] ?
		    t->proc.user : "?", peer_text(peer, who, sizeof(who)));
		if (peer->uid == PD_UID_UNKNOWN && peer->user[0] != '\0')
			/* Windows: accounts have names, not uids. */
			snprintf(t->err, sizeof(t->err), "%.40s may not %s pid "
			    "%d (%.40s)", peer->user, backend_has_signals() ?
			    "signal" : "terminate", (int)t->proc.pid,
			    t->proc.user[0] ? t->proc.user : "another user");
		else
			snprintf(t->err, sizeof(t->err), "uid %d may not "
			    "signal pid %d (uid %u)", peer->uid ==
			    PD_UID_UNKNOWN ? -1 : (int)peer->uid,
			    (int)t->proc.pid, (unsigned)t->proc.uid);
	}
}

/*
 * The token buckets (killjob.h), in thousandths of a request. One loop
 * thread, one daemon per process: a fixed static table.
 */
#define MILLI	1000u
#define FULL	((uint64_t)KILL_RATE_BURST * MILLI)

struct rate_ent {
	uint32_t uid;
	char user[PD_NAME_MAX];	/* the key where uids are unknown */
	int used;
	uint64_t at;		/* loop ms of the last request */
	uint64_t tokens;	/* as of at */
};
static struct rate_ent rates[KILL_RATE_USERS];

static uint64_t
rate_tokens(const struct rate_ent *r, uint64_t now)
{
	uint64_t dt = now > r->at ? now - r->at : 0;

	/* KILL_RATE_PER_S a second: that many thousandths a ms. */
	if (dt >= FULL)
		return FULL;
	return r->tokens + dt * KILL_RATE_PER_S >= FULL ? FULL :
	    r->tokens + dt * KILL_RATE_PER_S;
}

/* Takes one request from the peer's bucket: 1, or 0 if it is empty. */
static int
rate_take(const struct peer *peer, uint64_t now)
{
	struct rate_ent *r = NULL, *e;
	uint64_t have;
	size_t i;

	for (i = 0; i < KILL_RATE_USERS && r == NULL; i++) {
		e = &rates[i];
		if (e->used && e->uid == peer->uid &&
		    (peer->uid != PD_UID_UNKNOWN ||
		    strcmp(e->user, peer->user) == 0))
			r = e;
	}
	/* A new user: a free slot, else one whose bucket is full again
	 * (the same as none), else the one unused longest. */
	for (i = 0; i < KILL_RATE_USERS && r == NULL; i++)
		if (!rates[i].used || rate_tokens(&rates[i], now) == FULL)
			r = &rates[i];
	e = NULL;
	for (i = 0; r == NULL && i < KILL_RATE_USERS; i++)
		if (e == NULL || rates[i].at < e->at)
			e = &rates[i];
	if (r == NULL) {
		r = e;
		r->used = 0;
	}
	if (!r->used) {
		r->used = 1;
		r->uid = peer->uid;
		snprintf(r->user, sizeof(r->user), "%s", peer->user);
		r->at = now;
		r->tokens = FULL;
	}
	have = rate_tokens(r, now);
	r->at = now;
	r->tokens = have;
	if (have < MILLI)
		return 0;
	r->tokens -= MILLI;
	return 1;
}

int
killjob_admit(struct portd *pd, const struct peer *peer, char *err,
    size_t errlen)
{
	const struct kill_job *job;
	size_t n = 0;

	if (peer->admin)
		return PE_NONE;
	if (!rate_take(peer, uv_now(pd->loop))) {
		snprintf(err, errlen, "too many kill requests of this user "
		    "(%d at once, then %d a second); try again later",
		    KILL_RATE_BURST, KILL_RATE_PER_S);
		return PE_BUSY;
	}
	for (job = pd->jobs; job != NULL; job = job->next)
		if (!job->who.admin && peer_same_user(&job->who, peer))
			n++;
	if (n < pd->opts.max_kill_jobs)
		return PE_NONE;
	snprintf(err, errlen, "%zu kills of this user already in progress "
	    "(max_kill_jobs); try again when one is done", n);
	return PE_BUSY;
}

int
killjob_start(struct portd *pd, const struct snapshot *rows,
    const struct filter *f, const struct killjob_params *kp,
    killjob_done_fn done, void *owner, void *arg)
{
	struct kill_run_params par;
	struct kill_job *job;

	if ((job = calloc(1, sizeof(*job))) == NULL)
		return -1;
	job->pd = pd;
	job->done = done;
	job->owner = owner;
	job->arg = arg;
	job->who = *kp->peer;
	job->dry_run = kp->dry_run;
	snapshot_init(&job->rows);
	memset(&par, 0, sizeof(par));
	par.sig = kp->sig;
	par.escalate = kp->escalate;
	par.timeout_ms = kp->timeout_ms;
	/* A user's kill waits at most this long: a job polls the socket
	 * table every KILL_POLL_MS while it lasts. */
	if (!kp->peer->admin && par.timeout_ms > pd->opts.max_kill_timeout_ms)
		par.timeout_ms = pd->opts.max_kill_timeout_ms;
	par.dry_run = kp->dry_run;
	par.find_others = kp->find_others;
	/* A user's kill that touched nothing costs no scan of every
	 * process's descriptors: pipelined, it would stall the loop. */
	par.look_if_acted = !kp->peer->admin;
	par.self = (int32_t)getpid();
	par.vet = authorize;
	par.vet_arg = job;
	if (copy_rows(rows, &job->rows) == -1 ||
	    kill_run_start(&job->run, pd->backend, &job->rows, f, &par,
	    mono_ms()) == -1) {
		kill_run_free(&job->run);
		snapshot_clear(&job->rows);
		free(job);
		return -1;
	}
	uv_timer_init(pd->loop, &job->timer);
	job->timer.data = job;
	job->next = pd->jobs;
	pd->jobs = job;
	if (job->run.done) {
		job_finish(job);
		return 0;
	}
	uv_timer_start(&job->timer, on_job_timer, KILL_POLL_MS, KILL_POLL_MS);
	return 0;
}

const struct filter *
killjob_filter(const struct kill_job *job)
{
	return &job->run.filter;
}

const struct peer *
killjob_peer(const struct kill_job *job)
{
	return &job->who;
}

void
killjob_detach(struct portd *pd, void *owner)
{
	struct kill_job *job;

	/* The kill goes on; only its report has nowhere to go. */
	for (job = pd->jobs; job != NULL; job = job->next)
		if (job->owner == owner)
			job->owner = NULL;
}

void
killjob_stop_all(struct portd *pd)
{
	while (pd->jobs != NULL)
		job_finish(pd->jobs);
}
