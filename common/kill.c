/*
 * kill.c - the plan and steps for freeing a port (see kill.h).
 */
#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "compat.h"
#include "kill.h"

/* Whether no one may have p signalled: the one rule, with each self. */
static int
protected_proc(const struct proc_info *p, const int32_t *protect,
    size_t nprotect)
{
	size_t i;

	if (proc_never_signal(p, 0))
		return 1;
	for (i = 0; i < nprotect; i++)
		if (proc_never_signal(p, protect[i]))
			return 1;
	return 0;
}

static int
find_target(const struct kill_plan *kp, const struct proc_info *p)
{
	size_t i;

	for (i = 0; i < kp->ntargets; i++)
		if (kp->targets[i].proc.pid == p->pid &&
		    kp->targets[i].proc.start_time == p->start_time)
			return (int)i;
	return -1;
}

/* Appends a target for p; its index, or -1 (memory). */
static int
add_target(struct kill_plan *kp, const struct proc_info *p,
    const int32_t *protect, size_t nprotect)
{
	struct kill_target *t;

	if (vec_grow((void **)&kp->targets, &kp->captargets, kp->ntargets + 1,
	    sizeof(*kp->targets)) == -1)
		return -1;
	t = &kp->targets[kp->ntargets];
	memset(t, 0, sizeof(*t));
	if (proc_info_copy(&t->proc, p) == -1)
		return -1;
	if (protected_proc(p, protect, nprotect))
		t->outcome = KILL_PROTECTED;
	return (int)kp->ntargets++;
}

static int
add_sock(struct kill_plan *kp, const struct sock_info *si, int target)
{
	if (vec_grow((void **)&kp->socks, &kp->capsocks, kp->nsocks + 1,
	    sizeof(*kp->socks)) == -1 ||
	    vec_grow((void **)&kp->sock_target, &kp->capsock_target,
	    kp->nsocks + 1,
	    sizeof(*kp->sock_target)) == -1)
		return -1;
	kp->socks[kp->nsocks] = *si;
	kp->sock_target[kp->nsocks++] = target;
	return 0;
}

int
kill_plan_build(struct kill_plan *kp, const struct snapshot *s,
    const int32_t *protect, size_t nprotect)
{
	const struct proc_info *p;
	size_t i;
	int ti;

	memset(kp, 0, sizeof(*kp));
	snapshot_init(&kp->remain);
	for (i = 0; i < s->nrows; i++) {
		ti = -1;
		if ((p = snapshot_row_proc(s, &s->rows[i])) == NULL)
			kp->unowned++;
		else if ((ti = find_target(kp, p)) < 0 &&
		    (ti = add_target(kp, p, protect, nprotect)) < 0)
			goto fail;
		if (add_sock(kp, &s->rows[i].sock, ti) == -1)
			goto fail;
	}
	return 0;
fail:
	kill_plan_free(kp);
	return -1;
}

void
kill_plan_free(struct kill_plan *kp)
{
	size_t i;

	for (i = 0; i < kp->ntargets; i++)
		proc_info_clear(&kp->targets[i].proc);
	free(kp->targets);
	free(kp->socks);
	free(kp->sock_target);
	snapshot_clear(&kp->remain);
	memset(kp, 0, sizeof(*kp));
}

/* Every target still undecided gets this outcome. */
static void
decide_pending(struct kill_plan *kp, int outcome)
{
	size_t i;

	for (i = 0; i < kp->ntargets; i++)
		if (kp->targets[i].outcome == KILL_PENDING)
			kp->targets[i].outcome = outcome;
}

void
kill_plan_dry_run(struct kill_plan *kp)
{
	decide_pending(kp, KILL_DRYRUN);
}

/* Signals the pending targets (only those not signalled yet if fresh). */
static size_t
signal_pending(struct kill_plan *kp, int sig, int fresh)
{
	struct kill_target *t;
	size_t i, n = 0;

	for (i = 0; i < kp->ntargets; i++) {
		t = &kp->targets[i];
		if (t->outcome != KILL_PENDING || (fresh && t->signalled != 0))
			continue;
		/* Without signals the first attempt already terminated it:
		 * there is nothing stronger to escalate to. */
		if (t->signalled != 0 && !backend_has_signals())
			continue;
		/* Gated on every socket of the plan: a holder found afresh
		 * holds a socket first seen with another owner. */
		switch (backend_signal(&t->proc, kp->socks, kp->nsocks, sig,
		    t->err, sizeof(t->err))) {
		case SIG_SENT:
			if (t->first_signal == 0)
				t->first_signal = sig;
			t->signalled = sig;
			n++;
			break;
		case SIG_GONE:
			/* Gone before the first signal; after one, it exited
			 * between our check and this escalation. */
			t->outcome = t->signalled ? KILL_EXITED : KILL_GONE;
			break;
		case SIG_REUSED:
			t->outcome = t->signalled ? KILL_EXITED : KILL_REUSED;
			break;
		case SIG_NOT_HOLDER:
			/* After a signal: it let go of the port meanwhile. */
			t->outcome = t->signalled ? KILL_RELEASED :
			    KILL_NOT_HOLDER;
			break;
		case SIG_DENIED:
			t->outcome = KILL_DENIED;
			break;
		case SIG_PROTECTED:
			t->outcome = KILL_PROTECTED;
			break;
		default:
			t->outcome = KILL_FAILED;
			break;
		}
	}
	return n;
}

size_t
kill_plan_signal(struct kill_plan *kp, int sig)
{
	return signal_pending(kp, sig, 0);
}

size_t
kill_plan_signal_new(struct kill_plan *kp, int sig)
{
	return signal_pending(kp, sig, 1);
}

static int
sock_same(const struct sock_info *a, const struct sock_info *b)
{
	if (a->inode != 0 || b->inode != 0)
		return a->inode == b->inode;
	return a->proto == b->proto && a->family == b->family &&
	    a->port == b->port && memcmp(a->addr, b->addr, 16) == 0;
}

/* Whether any socket target ti held is still in the table. */
static int
socks_present(const struct kill_plan *kp, size_t ti,
    const struct snapshot *now)
{
	const struct kill_target *t = &kp->targets[ti];
	size_t i, j;

	for (i = 0; i < kp->nsocks; i++) {
		if (kp->sock_target[i] != (int)ti)
			continue;
		for (j = 0; j < now->nrows; j++) {
			if (!sock_same(&kp->socks[i], &now->rows[j].sock))
				continue;
			/* Where the table names owners (Windows), the
			 * socket counts only if this target holds it. */
			if (now->rows[j].sock.pid != 0 &&
			    now->rows[j].sock.pid != t->proc.pid)
				continue;
			return 1;
		}
	}
	return 0;
}

size_t
kill_plan_update(struct kill_plan *kp, const struct snapshot *now)
{
	struct kill_target *t;
	size_t i, holding = 0;

	for (i = 0; i < kp->ntargets; i++) {
		t = &kp->targets[i];
		/* A process on its way out closes its fds before it is gone:
		 * "released" may have been a moment of its exit. */
		if (t->outcome == KILL_RELEASED && !backend_proc_alive(&t->proc))
			t->outcome = t->signalled == SIGKILL ? KILL_KILLED :
			    KILL_EXITED;
		if (t->outcome != KILL_PENDING || t->signalled == 0)
			continue;
		if (!backend_proc_alive(&t->proc))
			t->outcome = t->signalled == SIGKILL ? KILL_KILLED :
			    KILL_EXITED;
		else if (!socks_present(kp, i, now))
			t->outcome = KILL_RELEASED;
		else
			holding++;
	}
	return holding;
}

void
kill_plan_finish(struct kill_plan *kp)
{
	decide_pending(kp, KILL_RUNNING);
}

/* Whether the plan holds this socket already (any owner). */
static int
plan_has_sock(const struct kill_plan *kp, const struct sock_info *si)
{
	size_t i;

	for (i = 0; i < kp->nsocks; i++)
		if (sock_same(&kp->socks[i], si))
			return 1;
	return 0;
}

/* Whether target ti is already paired with this socket. */
static int
plan_has_pair(const struct kill_plan *kp, const struct sock_info *si, int ti)
{
	size_t i;

	for (i = 0; i < kp->nsocks; i++)
		if (kp->sock_target[i] == ti && sock_same(&kp->socks[i], si))
			return 1;
	return 0;
}

int
kill_plan_add_holders(struct kill_plan *kp, const struct snapshot *fresh,
    const int32_t *protect, size_t nprotect)
{
	const struct proc_info *p;
	const struct sock_info *si;
	size_t i;
	int ti, added = 0;

	for (i = 0; i < fresh->nrows; i++) {
		si = &fresh->rows[i].sock;
		if ((p = snapshot_row_proc(fresh, &fresh->rows[i])) == NULL ||
		    !plan_has_sock(kp, si))
			continue;
		if ((ti = find_target(kp, p)) < 0) {
			if ((ti = add_target(kp, p, protect, nprotect)) < 0)
				return -1;
			added++;
		}
		/* Pairs make kill_plan_update judge it by its own sockets. */
		if (!plan_has_pair(kp, si, ti) && add_sock(kp, si, ti) == -1)
			return -1;
	}
	return added;
}

int
kill_plan_settle(struct kill_plan *kp, const struct snapshot *fresh)
{
	const struct proc_info *p;
	size_t i;
	int pi;

	snapshot_clear(&kp->remain);
	kp->settled = 1;
	for (i = 0; i < fresh->nrows; i++) {
		if (!plan_has_sock(kp, &fresh->rows[i].sock))
			continue;
		pi = -1;
		if ((p = snapshot_row_proc(fresh, &fresh->rows[i])) != NULL &&
		    (pi = snapshot_find_proc(&kp->remain, p->pid,
		    p->start_time)) < 0 &&
		    (pi = snapshot_add_proc(&kp->remain, p)) < 0)
			return -1;
		if (snapshot_add_row(&kp->remain, &fresh->rows[i].sock, pi,
		    fresh->rows[i].reason) == NULL)
			return -1;
	}
	snapshot_sort(&kp->remain);
	return (int)kp->remain.nrows;
}

/* Whether an unsignalled target of this outcome may still hold its
 * sockets, as far as the plan knows. */
static int
may_still_hold(int outcome)
{
	return outcome == KILL_DENIED || outcome == KILL_PROTECTED ||
	    outcome == KILL_FAILED || outcome == KILL_PENDING;
}

int
kill_plan_settle_known(struct kill_plan *kp, const struct snapshot *now)
{
	const struct kill_target *t;
	const struct sock_info *si;
	size_t i, k;
	int pi, owned;

	snapshot_clear(&kp->remain);
	kp->settled = 1;
	for (i = 0; i < now->nrows; i++) {
		si = &now->rows[i].sock;
		if (!plan_has_sock(kp, si))
			continue;
		owned = 0;
		for (k = 0; k < kp->nsocks; k++) {
			if (kp->sock_target[k] < 0 ||
			    !sock_same(&kp->socks[k], si))
				continue;
			t = &kp->targets[kp->sock_target[k]];
			if (t->signalled != 0 || !may_still_hold(t->outcome))
				continue;
			if ((pi = snapshot_find_proc(&kp->remain, t->proc.pid,
			    t->proc.start_time)) < 0 &&
			    (pi = snapshot_add_proc(&kp->remain, &t->proc)) < 0)
				return -1;
			if (snapshot_add_row(&kp->remain, si, pi,
			    PD_OWNER_OK) == NULL)
				return -1;
			owned = 1;
		}
		if (!owned && snapshot_add_row(&kp->remain, si, -1,
		    now->rows[i].reason) == NULL)
			return -1;
	}
	snapshot_sort(&kp->remain);
	return (int)kp->remain.nrows;
}

int
kill_plan_failed(const struct kill_plan *kp)
{
	size_t i;

	/* The kernel's table decides: a socket still there was not freed.
	 * Unsettled (dry run), one nobody visible holds would not be. */
	if (kp->look_failed ||
	    (kp->settled ? kp->remain.nrows > 0 : kp->unowned > 0))
		return 1;
	for (i = 0; i < kp->ntargets; i++)
		if (kill_outcome_failed(kp->targets[i].outcome))
			return 1;
	return 0;
}

int
kill_outcome_failed(int outcome)
{
	switch (outcome) {
	case KILL_RUNNING:
	case KILL_DENIED:
	case KILL_PROTECTED:
	case KILL_FAILED:
	case KILL_PENDING:
		return 1;
	}
	return 0;
}

const char *
kill_outcome_name(int outcome)
{
	switch (outcome) {
	case KILL_PENDING:
		return "pending";
	case KILL_EXITED:
		return "exited";
	case KILL_KILLED:
		return "killed";
	case KILL_RELEASED:
		return "released";
	case KILL_RUNNING:
		return "still running";
	case KILL_DENIED:
		return "permission denied";
	case KILL_GONE:
		return "gone before signalled";
	case KILL_REUSED:
		return "pid reused";
	case KILL_PROTECTED:
		return "protected";
	case KILL_DRYRUN:
		return "dry run";
	case KILL_FAILED:
		return "failed";
	case KILL_NOT_HOLDER:
		return "no longer holds the port";
	}
	return "unknown";
}

int
kill_outcome_parse(const char *s)
{
	int i;

	for (i = KILL_PENDING; s != NULL && i <= KILL_OUTCOME_LAST; i++)
		if (strcmp(s, kill_outcome_name(i)) == 0)
			return i;
	return -1;
}

const char *
kill_target_text(const struct kill_target *t, char *buf, size_t len)
{
	char s1[48], s2[48];
	int two = t->first_signal && t->first_signal != t->signalled;

	if (kill_outcome_failed(t->outcome))
		snprintf(buf, len, "failed: %s%s%s",
		    kill_outcome_name(t->outcome), t->err[0] ? ": " : "",
		    t->err);
	else
		snprintf(buf, len, "%s%s%s%s%s", kill_outcome_name(t->outcome),
		    t->signalled ? " after " : "", two ?
		    kill_signal_text(t->first_signal, s1, sizeof(s1)) : "",
		    two ? " and " : "", t->signalled ?
		    kill_signal_text(t->signalled, s2, sizeof(s2)) : "");
	return buf;
}

/* Whether the socket belongs to the named port (f narrowed to ps). */
static int
port_match(const struct filter *f, const struct portspec *ps,
    const struct sock_info *si)
{
	struct filter one;

	if (f != NULL)
		one = *f;
	else
		filter_init(&one);
	one.specs[0] = *ps;
	one.nspecs = 1;
	return filter_match(&one, si);
}

int
kill_port_state(const struct kill_plan *kp, const struct snapshot *rows,
    const struct filter *f, const struct portspec *ps)
{
	size_t i;
	int held = 0;

	for (i = 0; i < kp->remain.nrows; i++)
		if (port_match(f, ps, &kp->remain.rows[i].sock))
			return KILL_PORT_HELD;
	for (i = 0; i < rows->nrows && !held; i++)
		held = port_match(f, ps, &rows->rows[i].sock);
	for (i = 0; i < kp->nsocks && !held; i++)
		held = port_match(f, ps, &kp->socks[i]);
	if (!held)
		return KILL_PORT_UNUSED;
	return kp->settled ? KILL_PORT_FREE : KILL_PORT_UNSETTLED;
}

const char *
kill_port_state_name(int state)
{
	switch (state) {
	case KILL_PORT_UNUSED:
		return "unused";
	case KILL_PORT_FREE:
		return "free";
	case KILL_PORT_HELD:
		return "held";
	case KILL_PORT_UNSETTLED:
		return "unsettled";
	}
	return "unknown";
}

/* ---- the driver ------------------------------------------------------ */

/*
 * A fresh look with owners at what f selects: a one-shot backend, no
 * cache, so the kernel's own tables answer. 0, or -1 with run->err set.
 */
static int
fresh_look(struct kill_run *run, struct snapshot *out)
{
	struct backend *b;
	int r;

	snapshot_init(out);
	if ((b = backend_new(BACKEND_ONESHOT, run->err,
	    sizeof(run->err))) == NULL)
		return -1;
	r = backend_snapshot(b, &run->filter, out, run->err,
	    sizeof(run->err));
	backend_free(b);
	return r;
}

static void
vet(struct kill_run *run)
{
	if (run->par.vet != NULL)
		run->par.vet(run->par.vet_arg, &run->plan);
}

/* Whether a signalled target is still to be waited for. */
static int
any_waiting(const struct kill_plan *kp)
{
	size_t i;

	for (i = 0; i < kp->ntargets; i++)
		if (kp->targets[i].outcome == KILL_PENDING &&
		    kp->targets[i].signalled != 0)
			return 1;
	return 0;
}

/*
 * Looks afresh; new holders of the plan's sockets are added, vetted and
 * signalled (marked, in a dry run). Returns how many were signalled;
 * when none were, settles the plan from the same look (settle set) and
 * finishes the run. -1: out of memory.
 */
static int
look(struct kill_run *run, int settle, int64_t now)
{
	struct snapshot fresh;
	int32_t self = run->par.self;
	size_t n = 0;
	int added = 0;

	if (fresh_look(run, &fresh) == -1) {
		/* Without a look nothing can be called free. */
		snapshot_clear(&fresh);
		if (settle || !any_waiting(&run->plan)) {
			run->plan.look_failed = 1;
			kill_plan_finish(&run->plan);
			run->done = 1;
		}
		return 0;
	}
	if (run->par.find_others && run->looks < KILL_MAX_LOOKS) {
		run->looks++;
		if ((added = kill_plan_add_holders(&run->plan, &fresh, &self,
		    1)) == -1) {
			snapshot_clear(&fresh);
			return -1;
		}
	}
	if (added > 0) {
		vet(run);
		if (run->par.dry_run)
			kill_plan_dry_run(&run->plan);
		else if ((n = kill_plan_signal_new(&run->plan,
		    run->par.sig)) > 0) {
			/* The new ones get their own time before SIGKILL. */
			run->escalated = 0;
			run->deadline = now + run->par.timeout_ms;
		}
	}
	if (n == 0 && (settle || !any_waiting(&run->plan))) {
		if (!run->par.dry_run && kill_plan_settle(&run->plan,
		    &fresh) == -1) {
			snapshot_clear(&fresh);
			return -1;
		}
		kill_plan_finish(&run->plan);
		run->done = 1;
	}
	snapshot_clear(&fresh);
	return (int)n;
}

/* Whether a target was signalled, or marked in a dry run. */
static int
any_acted(const struct kill_plan *kp)
{
	size_t i;

	for (i = 0; i < kp->ntargets; i++)
		if (kp->targets[i].signalled != 0 ||
		    kp->targets[i].outcome == KILL_DRYRUN)
			return 1;
	return 0;
}

/*
 * look_if_acted's end of a run that acted on nothing: no scan, the
 * sockets' presence from a dump. 0, or -1 out of memory.
 */
static int
settle_idle(struct kill_run *run)
{
	struct snapshot now;
	int r = 0;

	snapshot_init(&now);
	if (run->par.dry_run)
		;			/* a dry run never settles */
	else if (backend_sockets(run->b, &run->filter, &now, run->err,
	    sizeof(run->err)) == -1)
		run->plan.look_failed = 1;
	else
		r = kill_plan_settle_known(&run->plan, &now) == -1 ? -1 : 0;
	snapshot_clear(&now);
	if (r == 0) {
		kill_plan_finish(&run->plan);
		run->done = 1;
	}
	return r;
}

/* Whether the first look may be left out (look_if_acted). */
static int
idle(const struct kill_run *run)
{
	return run->par.look_if_acted && run->plan.unowned == 0 &&
	    !any_acted(&run->plan);
}

int
kill_run_start(struct kill_run *run, struct backend *b,
    const struct snapshot *rows, const struct filter *f,
    const struct kill_run_params *par, int64_t now_ms)
{
	int32_t self = par->self;

	memset(run, 0, sizeof(*run));
	run->b = b;
	run->filter = *f;
	run->par = *par;
	if (kill_plan_build(&run->plan, rows, &self, 1) == -1)
		return -1;
	vet(run);
	run->deadline = now_ms + par->timeout_ms;
	if (par->dry_run) {
		kill_plan_dry_run(&run->plan);
		if (idle(run))
			return settle_idle(run);
		return look(run, 1, now_ms) == -1 ? -1 : 0;
	}
	kill_plan_signal(&run->plan, par->sig);
	if (idle(run))
		return settle_idle(run);
	/* Other holders of the same sockets are acted on at once. */
	if (look(run, 0, now_ms) == -1)
		return -1;
	return 0;
}

int
kill_run_poll(struct kill_run *run, int64_t now_ms)
{
	struct snapshot now;
	size_t holding = 1, i;
	int ok, present = 1;

	if (run->done)
		return 1;
	snapshot_init(&now);
	if ((ok = backend_sockets(run->b, &run->filter, &now, run->err,
	    sizeof(run->err)) == 0))
		holding = kill_plan_update(&run->plan, &now);
	if (holding > 0) {
		snapshot_clear(&now);
		if (now_ms < run->deadline)
			return 0;
		if (run->par.escalate && !run->escalated &&
		    kill_plan_signal(&run->plan, SIGKILL) > 0) {
			run->escalated = 1;
			run->deadline = now_ms + KILL_GRACE_MS;
			return 0;
		}
	} else if (ok) {
		/* Every socket of the plan gone from the table: free, and
		 * no one is left to look for (the cheap, common end). */
		for (i = 0, present = 0; i < now.nrows && !present; i++)
			present = plan_has_sock(&run->plan, &now.rows[i].sock);
		for (i = 0; !present && !run->released_wait &&
		    i < run->plan.ntargets; i++)
			if (run->plan.targets[i].outcome == KILL_RELEASED) {
				/* Its fds may have closed on its way out:
				 * ask once more whether it still runs. */
				run->released_wait = 1;
				snapshot_clear(&now);
				return 0;
			}
		if (!present && kill_plan_settle(&run->plan, &now) != -1) {
			snapshot_clear(&now);
			kill_plan_finish(&run->plan);
			run->done = 1;
			return 1;
		}
	}
	snapshot_clear(&now);
	/* A socket is still there (or out of time): a fresh look says who
	 * holds it now, acts on new holders, or settles. */
	if (look(run, 1, now_ms) == -1) {
		kill_run_stop(run);
		return 1;
	}
	return run->done;
}

void
kill_run_stop(struct kill_run *run)
{
	kill_plan_finish(&run->plan);
	run->done = 1;
}

void
kill_run_free(struct kill_run *run)
{
	kill_plan_free(&run->plan);
}

/* The signals one may mean by name; others by number. */
static const struct {
	const char *name;
	int sig;
} signames[] = {
	{ "SIGHUP", SIGHUP }, { "SIGINT", SIGINT }, { "SIGQUIT", SIGQUIT },
	{ "SIGILL", SIGILL }, { "SIGTRAP", SIGTRAP }, { "SIGABRT", SIGABRT },
	{ "SIGBUS", SIGBUS }, { "SIGFPE", SIGFPE }, { "SIGKILL", SIGKILL },
	{ "SIGUSR1", SIGUSR1 }, { "SIGSEGV", SIGSEGV }, { "SIGUSR2", SIGUSR2 },
	{ "SIGPIPE", SIGPIPE }, { "SIGALRM", SIGALRM }, { "SIGTERM", SIGTERM },
	{ "SIGCHLD", SIGCHLD }, { "SIGCONT", SIGCONT }, { "SIGSTOP", SIGSTOP },
	{ "SIGTSTP", SIGTSTP }, { "SIGTTIN", SIGTTIN }, { "SIGTTOU", SIGTTOU },
	{ "SIGURG", SIGURG }, { "SIGXCPU", SIGXCPU }, { "SIGXFSZ", SIGXFSZ },
	{ "SIGVTALRM", SIGVTALRM }, { "SIGPROF", SIGPROF },
	{ "SIGWINCH", SIGWINCH }, { "SIGIO", SIGIO }, { "SIGSYS", SIGSYS },
};
#define NSIGNAMES (sizeof(signames) / sizeof(signames[0]))

int
kill_signal_parse(const char *s)
{
	char *end;
	long v;
	size_t i;

	if (s == NULL || *s == '\0')
		return -1;
	if (isdigit((unsigned char)*s)) {
		v = strtol(s, &end, 10);
		return *end == '\0' && v >= 1 && v <= 64 ? (int)v : -1;
	}
	for (i = 0; i < NSIGNAMES; i++)
		if (strcasecmp(s, signames[i].name) == 0 ||
		    strcasecmp(s, signames[i].name + 3) == 0)
			return signames[i].sig;
	return -1;
}

const char *
kill_signal_name(int sig)
{
	size_t i;

	for (i = 0; i < NSIGNAMES; i++)
		if (signames[i].sig == sig)
			return signames[i].name;
	return NULL;
}

const char *
kill_signal_text(int sig, char *buf, size_t len)
{
	const char *name = kill_signal_name(sig);

	if (!backend_has_signals())
		snprintf(buf, len, "TerminateProcess (Windows has no "
		    "signals)");
	else if (name != NULL)
		snprintf(buf, len, "%s", name);
	else
		snprintf(buf, len, "signal %d", sig);
	return buf;
}
