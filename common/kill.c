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

int
kill_plan_build(struct kill_plan *kp, const struct snapshot *s,
    const int32_t *protect, size_t nprotect)
{
	const struct proc_info *p;
	struct kill_target *t;
	size_t i, j;
	int seen;

	memset(kp, 0, sizeof(*kp));
	if (s->nrows == 0)
		return 0;
	kp->targets = calloc(s->nrows, sizeof(*kp->targets));
	kp->socks = calloc(s->nrows, sizeof(*kp->socks));
	kp->sock_target = calloc(s->nrows, sizeof(*kp->sock_target));
	if (kp->targets == NULL || kp->socks == NULL ||
	    kp->sock_target == NULL)
		goto fail;
	for (i = 0; i < s->nrows; i++) {
		kp->socks[kp->nsocks] = s->rows[i].sock;
		kp->sock_target[kp->nsocks++] = -1;
		if ((p = snapshot_row_proc(s, &s->rows[i])) == NULL) {
			kp->unowned++;
			continue;
		}
		for (j = 0, seen = 0; j < kp->ntargets && !seen; j++)
			if (kp->targets[j].proc.pid == p->pid &&
			    kp->targets[j].proc.start_time == p->start_time) {
				kp->sock_target[kp->nsocks - 1] = (int)j;
				seen = 1;
			}
		if (seen)
			continue;
		kp->sock_target[kp->nsocks - 1] = (int)kp->ntargets;
		t = &kp->targets[kp->ntargets];
		if (proc_info_copy(&t->proc, p) == -1)
			goto fail;
		kp->ntargets++;
		if (p->pid <= 2 || p->ppid == 2 || p->pid == PD_PID_SYSTEM)
			t->outcome = KILL_PROTECTED;
		for (j = 0; j < nprotect; j++)
			if (protect[j] == p->pid)
				t->outcome = KILL_PROTECTED;
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

size_t
kill_plan_signal(struct kill_plan *kp, int sig)
{
	struct kill_target *t;
	size_t i, n = 0;

	for (i = 0; i < kp->ntargets; i++) {
		t = &kp->targets[i];
		if (t->outcome != KILL_PENDING)
			continue;
		/* Without signals the first attempt already terminated it:
		 * there is nothing stronger to escalate to. */
		if (t->signalled != 0 && !backend_has_signals())
			continue;
		switch (backend_signal(&t->proc, sig, t->err,
		    sizeof(t->err))) {
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

int
kill_plan_failed(const struct kill_plan *kp)
{
	size_t i;

	/* A socket nobody visible holds was not freed either. */
	if (kp->unowned > 0)
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
	}
	return "unknown";
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
