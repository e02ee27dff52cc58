/*
 * enforce.c - the reaper (see enforce.h).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "enforce.h"
#include "killjob.h"
#include "log.h"
#include "peer.h"
#include "portd.h"
#include "rules.h"

#define KILL_WAIT_MS	2000	/* action "kill": wait this long for exit */

struct counters {
	char name[CONFIG_NAME_MAX];
	uint64_t violations, actions, failures, holds;
};

/* Actions of one rule on one executable, for respawn detection. */
struct respawn {
	char rule[CONFIG_NAME_MAX];
	char key[256];			/* exe path, or command if none */
	int64_t *times;			/* recent actions, oldest first */
	size_t ntimes;
	int held;
	int64_t last_violation;
};

/* A process with an action under way: act once, not once per row. */
struct inflight {
	int32_t pid;
	uint64_t start_time;
};

struct enforce {
	struct counters *counters;	/* parallel to cfg.rules */
	size_t ncounters;
	struct respawn *resp;
	size_t nresp;
	struct inflight *fl;
	size_t nfl;
};

/* What a reap report needs after the job ends. */
struct reap_ctx {
	char rule[CONFIG_NAME_MAX];
	int action;
	struct sock_info sock;
	struct proc_info proc;
};

static int64_t
mono_ms(void)
{
	return (int64_t)(uv_hrtime() / 1000000);
}

static struct counters *
counters_for(const struct portd *pd, const char *name)
{
	struct enforce *e = pd->enforce;
	size_t i;

	for (i = 0; e != NULL && i < e->ncounters; i++)
		if (strcmp(e->counters[i].name, name) == 0)
			return &e->counters[i];
	return NULL;
}

int
enforce_init(struct portd *pd)
{
	if ((pd->enforce = calloc(1, sizeof(*pd->enforce))) == NULL)
		return -1;
	return enforce_config_changed(pd);
}

void
enforce_free(struct portd *pd)
{
	struct enforce *e = pd->enforce;
	size_t i;

	if (e == NULL)
		return;
	for (i = 0; i < e->nresp; i++)
		free(e->resp[i].times);
	free(e->resp);
	free(e->counters);
	free(e->fl);
	free(e);
	pd->enforce = NULL;
}

int
enforce_config_changed(struct portd *pd)
{
	struct enforce *e = pd->enforce;
	struct counters *nc, *old;
	size_t i, j, n = pd->cfg.nrules;

	if ((nc = calloc(n ? n : 1, sizeof(*nc))) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		snprintf(nc[i].name, sizeof(nc[i].name), "%s",
		    pd->cfg.rules[i].name);
		if ((old = counters_for(pd, nc[i].name)) != NULL)
			nc[i] = *old;
	}
	free(e->counters);
	e->counters = nc;
	e->ncounters = n;
	/* Holds of rules that are gone go with them. */
	for (i = j = 0; i < e->nresp; i++) {
		if (counters_for(pd, e->resp[i].rule) == NULL) {
			free(e->resp[i].times);
			continue;
		}
		e->resp[j++] = e->resp[i];
	}
	e->nresp = j;
	return 0;
}

static void
emit(struct portd *pd, int type, const char *rule, int action, int dry_run,
    const struct sock_info *si, const struct proc_info *p,
    const char *outcome)
{
	struct event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.sock = *si;
	if (p != NULL && proc_info_copy(&ev.proc, p) == -1) {
		log_warnx("out of memory: %s event lost", event_type_name(type));
		return;
	}
	snprintf(ev.rule, sizeof(ev.rule), "%s", rule);
	if (action != 0)
		snprintf(ev.action, sizeof(ev.action), "%s",
		    rule_action_name(action));
	ev.dry_run = dry_run;
	if (outcome != NULL)
		snprintf(ev.outcome, sizeof(ev.outcome), "%s", outcome);
	if (type == EV_RESPAWN && p != NULL) {
		struct proc_info parent;

		ev.parent_pid = p->ppid;
		if (backend_proc_info(p->ppid, &parent) == 0) {
			snprintf(ev.parent_comm, sizeof(ev.parent_comm), "%s",
			    parent.comm);
			proc_info_clear(&parent);
		}
		backend_proc_unit(p->pid, ev.unit, sizeof(ev.unit));
	}
	portd_emit(pd, &ev);
	event_clear(&ev);
}

static struct respawn *
respawn_get(struct enforce *e, const char *rule, const char *key)
{
	struct respawn *r;
	size_t i;

	for (i = 0; i < e->nresp; i++)
		if (strcmp(e->resp[i].rule, rule) == 0 &&
		    strcmp(e->resp[i].key, key) == 0)
			return &e->resp[i];
	if ((r = realloc(e->resp, (e->nresp + 1) * sizeof(*r))) == NULL)
		return NULL;
	e->resp = r;
	r = &e->resp[e->nresp++];
	memset(r, 0, sizeof(*r));
	snprintf(r->rule, sizeof(r->rule), "%s", rule);
	snprintf(r->key, sizeof(r->key), "%s", key);
	return r;
}

/* Forgets actions older than the window. */
static void
respawn_prune(struct respawn *r, int64_t now, int64_t window)
{
	size_t i = 0;

	while (i < r->ntimes && now - r->times[i] > window)
		i++;
	if (i == 0)
		return;
	memmove(r->times, r->times + i, (r->ntimes - i) * sizeof(*r->times));
	r->ntimes -= i;
}

static int
inflight_has(const struct enforce *e, const struct proc_info *p)
{
	size_t i;

	for (i = 0; i < e->nfl; i++)
		if (e->fl[i].pid == p->pid &&
		    e->fl[i].start_time == p->start_time)
			return 1;
	return 0;
}

static void
inflight_del(struct enforce *e, const struct proc_info *p)
{
	size_t i;

	for (i = 0; i < e->nfl; i++)
		if (e->fl[i].pid == p->pid &&
		    e->fl[i].start_time == p->start_time) {
			e->fl[i] = e->fl[--e->nfl];
			return;
		}
}

static void
reap_done(struct portd *pd, struct kill_job *job, void *owner, void *arg)
{
	struct reap_ctx *rc = arg;
	const struct kill_plan *kp = killjob_plan(job);
	const struct kill_target *t = kp->ntargets > 0 ? &kp->targets[0] :
	    NULL;
	struct counters *c;
	char outcome[EVENT_TEXT_MAX];
	int failed;

	(void)owner;
	if (t == NULL) {
		snprintf(outcome, sizeof(outcome), "failed: no process to "
		    "signal");
		failed = 1;
	} else {
		kill_target_text(t, outcome, sizeof(outcome));
		failed = kill_outcome_failed(t->outcome);
	}
	if ((c = counters_for(pd, rc->rule)) != NULL && failed)
		c->failures++;
	if (pd->enforce != NULL)
		inflight_del(pd->enforce, &rc->proc);
	emit(pd, EV_REAP, rc->rule, rc->action, 0, &rc->sock, &rc->proc,
	    outcome);
	proc_info_clear(&rc->proc);
	free(rc);
}

/* Starts the rule's action on p; returns 0 or -1 (logged). */
static int
act(struct portd *pd, const struct rule *r, const struct sock_info *si,
    const struct proc_info *p)
{
	struct killjob_params kp;
	struct peer self;
	struct snapshot one;
	struct filter f;
	struct portspec ps;
	struct reap_ctx *rc;
	int pi, ret = -1;

	if ((rc = calloc(1, sizeof(*rc))) == NULL ||
	    proc_info_copy(&rc->proc, p) == -1) {
		free(rc);
		return -1;
	}
	snprintf(rc->rule, sizeof(rc->rule), "%s", r->name);
	rc->action = r->action;
	rc->sock = *si;
	snapshot_init(&one);
	filter_init(&f);
	memset(&ps, 0, sizeof(ps));
	ps.lo = ps.hi = si->port;
	ps.protos = si->proto;
	filter_add(&f, &ps);
	memset(&kp, 0, sizeof(kp));
	kp.sig = r->action == RULE_KILL ? SIGKILL : SIGTERM;
	kp.escalate = r->action == RULE_TERMINATE;
	kp.timeout_ms = r->action == RULE_KILL ? KILL_WAIT_MS : r->grace_ms;
	peer_self(&self);
	kp.peer = &self;
	if ((pi = snapshot_add_proc(&one, p)) >= 0 &&
	    snapshot_add_row(&one, si, pi, PD_OWNER_OK) != NULL) {
		struct inflight *nf = realloc(pd->enforce->fl,
		    (pd->enforce->nfl + 1) * sizeof(*nf));

		if (nf != NULL) {
			pd->enforce->fl = nf;
			nf[pd->enforce->nfl].pid = p->pid;
			nf[pd->enforce->nfl].start_time = p->start_time;
			pd->enforce->nfl++;
		}
		ret = killjob_start(pd, &one, &f, &kp, reap_done, NULL, rc);
	}
	snapshot_clear(&one);
	if (ret == -1) {
		inflight_del(pd->enforce, p);
		proc_info_clear(&rc->proc);
		free(rc);
	}
	return ret;
}

void
enforce_row(struct portd *pd, const struct sock_info *si,
    const struct proc_info *p)
{
	struct enforce *e = pd->enforce;
	const struct rule *r;
	struct counters *c;
	struct respawn *rs;
	char addr[80];
	int64_t now, window;
	const char *key;
	int v;

	if (e == NULL || pd->cfg.nrules == 0)
		return;
	v = rules_evaluate(&pd->cfg, si, p, (int32_t)getpid(), &r);
	if (v == VERDICT_UNKNOWN)
		log_debug("rule '%s': port %u has no visible owner: nothing "
		    "to judge", r->name, si->port);
	if (v != VERDICT_VIOLATION && v != VERDICT_PROTECTED)
		return;
	c = &e->counters[r - pd->cfg.rules];
	c->violations++;
	sock_addr_text(si, addr, sizeof(addr));
	if (v == VERDICT_PROTECTED) {
		log_warnx("violation of rule '%s': %s %s port %u held by pid %d "
		    "(%s) user %s: protected, not acted on", r->name,
		    pd_proto_name(si->proto), addr, si->port, (int)p->pid,
		    p->comm, p->user);
		emit(pd, EV_VIOLATION, r->name, r->action, r->dry_run, si, p,
		    "protected: not acted on");
		return;
	}
	log_warnx("violation of rule '%s': %s %s port %u held by pid %d (%s) "
	    "user %s: %s%s", r->name, pd_proto_name(si->proto), addr,
	    si->port, (int)p->pid, p->comm, p->user,
	    rule_action_name(r->action), r->dry_run ? " (dry run)" : "");
	emit(pd, EV_VIOLATION, r->name, r->action, r->dry_run, si, p, NULL);
	if (r->action == RULE_LOG || inflight_has(e, p))
		return;
	now = mono_ms();
	window = (int64_t)pd->cfg.respawn_window_s * 1000;
	key = p->exe != NULL ? p->exe : p->comm;
	if ((rs = respawn_get(e, r->name, key)) == NULL)
		return;
	if (rs->held) {
		if (now - rs->last_violation <= window) {
			rs->last_violation = now;
			log_warnx("rule '%s': not acting on %s: respawn hold "
			    "(fix its supervisor)", r->name, key);
			return;
		}
		/* Quiet for a whole window: act again. */
		rs->held = 0;
		rs->ntimes = 0;
	}
	respawn_prune(rs, now, window);
	if (rs->ntimes >= pd->cfg.respawn_limit) {
		rs->held = 1;
		rs->last_violation = now;
		c->holds++;
		log_warnx("rule '%s': acted on %s %zu times within %u s: "
		    "holding off (parent pid %d)", r->name, key, rs->ntimes,
		    pd->cfg.respawn_window_s, (int)p->ppid);
		emit(pd, EV_RESPAWN, r->name, r->action, r->dry_run, si, p,
		    "holding off: respawning");
		return;
	}
	if (r->dry_run) {
		char what[48], outcome[96];

		snprintf(outcome, sizeof(outcome), "dry run: would %s %s",
		    backend_has_signals() ? "send" : "call",
		    kill_signal_text(r->action == RULE_KILL ? SIGKILL :
		    SIGTERM, what, sizeof(what)));
		emit(pd, EV_REAP, r->name, r->action, 1, si, p, outcome);
		return;
	}
	{
		int64_t *t = realloc(rs->times, (rs->ntimes + 1) *
		    sizeof(*t));

		if (t != NULL) {
			rs->times = t;
			rs->times[rs->ntimes++] = now;
		}
	}
	c->actions++;
	if (act(pd, r, si, p) == -1) {
		c->failures++;
		log_warnx("rule '%s': out of memory: pid %d not acted on",
		    r->name, (int)p->pid);
	}
}

void
enforce_all(struct portd *pd, const struct config *old)
{
	struct snapshot copy;
	size_t i;

	/* Acting may take a snapshot (a kill resolves owners afresh), which
	 * replaces the live map: judge a copy. */
	snapshot_init(&copy);
	for (i = 0; i < pd->cur.nprocs; i++)
		if (snapshot_add_proc(&copy, &pd->cur.procs[i]) < 0)
			goto out;
	for (i = 0; i < pd->cur.nrows; i++)
		if (snapshot_add_row(&copy, &pd->cur.rows[i].sock,
		    pd->cur.rows[i].proc, pd->cur.rows[i].reason) == NULL)
			goto out;
	for (i = 0; i < copy.nrows; i++)
		if (old == NULL || !rules_unchanged(old, &pd->cfg,
		    &copy.rows[i].sock))
			enforce_row(pd, &copy.rows[i].sock,
			    snapshot_row_proc(&copy, &copy.rows[i]));
out:
	snapshot_clear(&copy);
}

static cJSON *
strlist_json(const struct strlist *l)
{
	cJSON *a = cJSON_CreateArray();
	size_t i;

	for (i = 0; i < l->n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(l->v[i]));
	return a;
}

cJSON *
enforce_rules_json(const struct portd *pd)
{
	const struct rule *r;
	const struct counters *c;
	cJSON *o, *a, *ro, *allow, *uids;
	size_t i, j;

	o = cJSON_CreateObject();
	a = cJSON_AddArrayToObject(o, "rules");
	for (i = 0; i < pd->cfg.nrules; i++) {
		r = &pd->cfg.rules[i];
		c = counters_for(pd, r->name);
		ro = cJSON_CreateObject();
		cJSON_AddStringToObject(ro, "name", r->name);
		cJSON_AddItemToObject(ro, "ports", strlist_json(&r->ports_text));
		cJSON_AddStringToObject(ro, "action",
		    rule_action_name(r->action));
		cJSON_AddNumberToObject(ro, "grace_ms", r->grace_ms);
		cJSON_AddBoolToObject(ro, "dry_run", r->dry_run);
		cJSON_AddBoolToObject(ro, "enabled", r->enabled);
		allow = cJSON_AddObjectToObject(ro, "allow");
		cJSON_AddItemToObject(allow, "users",
		    strlist_json(&r->allow_users));
		uids = cJSON_AddArrayToObject(allow, "uids");
		for (j = 0; j < r->nallow_uids; j++)
			cJSON_AddItemToArray(uids,
			    cJSON_CreateNumber(r->allow_uids[j]));
		cJSON_AddItemToObject(allow, "commands",
		    strlist_json(&r->allow_commands));
		cJSON_AddItemToObject(allow, "exes",
		    strlist_json(&r->allow_exes));
		cJSON_AddNumberToObject(ro, "violations",
		    c ? (double)c->violations : 0);
		cJSON_AddNumberToObject(ro, "actions",
		    c ? (double)c->actions : 0);
		cJSON_AddNumberToObject(ro, "failures",
		    c ? (double)c->failures : 0);
		cJSON_AddNumberToObject(ro, "respawn_holds",
		    c ? (double)c->holds : 0);
		cJSON_AddItemToArray(a, ro);
	}
	return o;
}
