/*
 * direct.c - portctl's one-shot path: the backend in this process, no
 * daemon. The same backend code portd runs, with no cache.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "backend.h"
#include "kill.h"
#include "portctl.h"

int
direct_rows(const struct opts *o, const struct filter *f,
    struct snapshot *out, char *err, size_t errlen)
{
	struct backend *b;
	int r;

	(void)o;
	if ((b = backend_new(BACKEND_ONESHOT, err, errlen)) == NULL)
		return -1;
	r = backend_snapshot(b, f, out, err, errlen);
	backend_free(b);
	return r;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

int
direct_kill(const struct opts *o, const struct filter *f)
{
	struct kill_run_params par;
	struct kill_run run;
	struct backend *b;
	struct snapshot s;
	char err[256];
	int rc = EXIT_MATCH;

	if ((b = backend_new(BACKEND_ONESHOT, err, sizeof(err))) == NULL) {
		fprintf(stderr, "portctl: %s\n", err);
		return EXIT_ERROR;
	}
	snapshot_init(&s);
	if (backend_snapshot(b, f, &s, err, sizeof(err)) == -1) {
		fprintf(stderr, "portctl: %s\n", err);
		backend_free(b);
		return EXIT_ERROR;
	}
	if (s.nrows == 0) {
		if (o->json)
			o->out->rows(stdout, &s);
		else
			fprintf(stderr, "portctl: nothing listens there\n");
		snapshot_clear(&s);
		backend_free(b);
		return EXIT_NOMATCH;
	}
	o->out->kill_begin(stdout, &s);
	memset(&par, 0, sizeof(par));
	par.sig = o->sig ? o->sig : SIGTERM;
	/* An explicit signal is the caller's choice: never escalated. */
	par.escalate = o->sig == 0 && !o->no_escalate;
	par.timeout_ms = (uint32_t)(o->timeout * 1000);
	par.dry_run = o->dry_run;
	par.find_others = 1;
	par.self = backend_self_pid();
	if (kill_run_start(&run, b, &s, f, &par, now_ms()) == -1) {
		fprintf(stderr, "portctl: out of memory\n");
		kill_run_free(&run);
		snapshot_clear(&s);
		backend_free(b);
		return EXIT_ERROR;
	}
	while (!kill_run_poll(&run, now_ms()))
		sleep_ms(KILL_POLL_MS);
	if (run.err[0] != '\0')
		fprintf(stderr, "portctl: %s\n", run.err);
	o->out->kill_end(stdout, &s, &run.plan, f, o->dry_run);
	if (kill_plan_failed(&run.plan))
		rc = EXIT_ERROR;
	kill_run_free(&run);
	snapshot_clear(&s);
	backend_free(b);
	return rc;
}
