/*
 * os_unix.c - portd on Linux and macOS (see os.h): SIGTERM and SIGINT
 * stop it, SIGHUP reloads it, SIGPIPE is ignored, the open files limit is
 * raised for max_clients, and the configuration is in /etc/portd.
 */
#include <sys/resource.h>

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "os.h"
#include "portd.h"

int
os_early(int *argc, char **argv)
{
	(void)argc;
	(void)argv;
	return -1;
}

const char *
os_usage(void)
{
	return "";
}

const char *
os_default_config(void)
{
	return CONFIG_DEFAULT_PATH;
}

int
os_run(const struct portd_opts *opts)
{
	return portd_run(opts);
}

/* Lets max_clients connections (plus working room) be honoured. */
static void
raise_nofile(size_t want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return;
	want += 64;
	if (rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ?
	    want : rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
		log_warn("setrlimit RLIMIT_NOFILE %zu", want);
	if (rl.rlim_cur < want)
		log_warnx("open files limited to %lu: fewer than %zu clients "
		    "may connect", (unsigned long)rl.rlim_cur, want - 64);
}

void
os_setup(struct portd *pd)
{
	signal(SIGPIPE, SIG_IGN);
	raise_nofile(pd->opts.max_clients);
}

static void
on_signal(uv_signal_t *s, int signum)
{
	struct portd *pd = s->data;
	char err[512];

	if (signum == SIGHUP) {
		log_notice("SIGHUP: reloading");
		if (portd_reload(pd, err, sizeof(err)) == -1)
			log_warnx("reload failed: %s", err);
		return;
	}
	log_notice("%s: stopping", signum == SIGTERM ? "SIGTERM" : "SIGINT");
	portd_stop(pd);
}

void
os_watch_start(struct portd *pd)
{
	uv_signal_init(pd->loop, &pd->sig_term);
	uv_signal_init(pd->loop, &pd->sig_int);
	uv_signal_init(pd->loop, &pd->sig_hup);
	pd->sig_term.data = pd->sig_int.data = pd->sig_hup.data = pd;
	uv_signal_start(&pd->sig_term, on_signal, SIGTERM);
	uv_signal_start(&pd->sig_int, on_signal, SIGINT);
	uv_signal_start(&pd->sig_hup, on_signal, SIGHUP);
}

void
os_watch_stop(struct portd *pd)
{
	uv_signal_stop(&pd->sig_term);
	uv_signal_stop(&pd->sig_int);
	uv_signal_stop(&pd->sig_hup);
	uv_close((uv_handle_t *)&pd->sig_term, NULL);
	uv_close((uv_handle_t *)&pd->sig_int, NULL);
	uv_close((uv_handle_t *)&pd->sig_hup, NULL);
}
