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

/*
 * Polls the socket table every 50 ms until every signalled target has
 * exited or released its sockets, or until the deadline. Returns how
 * many still hold the port.
 */
static size_t
wait_release(struct backend *b, const struct filter *f, struct kill_plan *kp,
    int64_t deadline)
{
	struct snapshot now;
	char err[256];
	size_t holding = 1;

	snapshot_init(&now);
	for (;;) {
		if (backend_sockets(b, f, &now, err, sizeof(err)) == 0)
			holding = kill_plan_update(kp, &now);
		if (holding == 0 || now_ms() >= deadline)
			break;
		sleep_ms(50);
	}
	snapshot_clear(&now);
	return holding;
}

int
direct_kill(const struct opts *o, const struct filter *f)
{
	struct backend *b;
	struct snapshot s;
	struct kill_plan kp;
	char err[256];
	int32_t self = backend_self_pid();
	int rc = EXIT_MATCH, sig = o->sig ? o->sig : SIGTERM;

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
	if (kill_plan_build(&kp, &s, &self, 1) == -1) {
		fprintf(stderr, "portctl: out of memory\n");
		snapshot_clear(&s);
		backend_free(b);
		return EXIT_ERROR;
	}
	o->out->kill_begin(stdout, &s);
	if (o->dry_run) {
		kill_plan_dry_run(&kp);
	} else {
		if (kill_plan_signal(&kp, sig) > 0 &&
		    wait_release(b, f, &kp, now_ms() +
		    (int64_t)(o->timeout * 1000)) > 0 &&
		    o->sig == 0 && !o->no_escalate &&
		    kill_plan_signal(&kp, SIGKILL) > 0)
			wait_release(b, f, &kp, now_ms() + 2000);
		kill_plan_finish(&kp);
	}
	o->out->kill_end(stdout, &s, &kp, o->dry_run);
	if (kill_plan_failed(&kp))
		rc = EXIT_ERROR;
	kill_plan_free(&kp);
	snapshot_clear(&s);
	backend_free(b);
	return rc;
}
