/*
 * portd.c - the daemon's loop: a timer takes a snapshot every interval,
 * the diff against the live map becomes bind/unbind events (logged, kept
 * in the history, sent to watchers), and signals stop or reload it.
 */
#include <sys/resource.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "diff.h"
#include "log.h"
#include "portd.h"

void
portd_opts_default(struct portd_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->socket_path = PROTO_DEFAULT_SOCKET;
	o->interval_ms = 1000;
	o->resync_ms = 300000;
	o->history = 1024;
	o->max_clients = 256;
	o->watch_buffer = 1024 * 1024;
	o->socket_mode = 0666;
	o->log_level = LOG_LVL_INFO;
}

int64_t
portd_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
log_event(const struct event *ev)
{
	char addr[80];

	sock_addr_text(&ev->sock, addr, sizeof(addr));
	if (ev->proc.pid != 0)
		log_info("%s %s %s%s%s:%u pid %d (%s) user %s", event_type_name(
		    ev->type), pd_proto_name(ev->sock.proto),
		    ev->sock.family == PD_INET6 ? "[" : "", addr,
		    ev->sock.family == PD_INET6 ? "]" : "", ev->sock.port,
		    (int)ev->proc.pid, ev->proc.comm, ev->proc.user);
	else
		log_info("%s %s %s%s%s:%u (%s)", event_type_name(ev->type),
		    pd_proto_name(ev->sock.proto),
		    ev->sock.family == PD_INET6 ? "[" : "", addr,
		    ev->sock.family == PD_INET6 ? "]" : "", ev->sock.port,
		    pd_reason_text(ev->reason));
}

struct emit_ctx {
	struct portd *pd;
	int64_t now;
};

static int
emit_event(void *arg, struct event *ev)
{
	struct emit_ctx *ec = arg;
	struct portd *pd = ec->pd;

	ev->seq = ++pd->next_seq;
	ev->time_ms = ec->now;
	pd->events++;
	log_event(ev);
	ctl_broadcast(pd, ev);
	history_push(&pd->history, ev);		/* takes ev's contents */
	return 0;
}

int
portd_tick(struct portd *pd)
{
	struct snapshot next;
	struct emit_ctx ec = { pd, 0 };
	char err[256];
	uint64_t t0;
	double ms;

	snapshot_init(&next);
	t0 = uv_hrtime();
	if (backend_snapshot(pd->backend, NULL, &next, err, sizeof(err)) ==
	    -1) {
		pd->errors++;
		log_warnx("snapshot failed: %s", err);
		return -1;
	}
	ms = (double)(uv_hrtime() - t0) / 1e6;
	pd->snapshots++;
	pd->last_snap_ms = ms;
	pd->total_snap_ms += ms;
	ec.now = pd->last_snap_at = portd_now_ms();
	if (diff_snapshots(&pd->cur, &next, emit_event, &ec) == -1) {
		pd->errors++;
		log_warnx("diff failed: out of memory");
	}
	snapshot_clear(&pd->cur);
	pd->cur = next;
	return 0;
}

static void
on_tick(uv_timer_t *t)
{
	portd_tick(t->data);
}

int
portd_reload(struct portd *pd, char *err, size_t errlen)
{
	pd->reloads++;
	/* The configuration file arrives with the rules; until then a
	 * reload only re-reads what it can: nothing but the log level. */
	(void)err;
	(void)errlen;
	log_notice("reload: no configuration file to read; settings "
	    "unchanged");
	return 0;
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

static void
close_walk(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

void
portd_stop(struct portd *pd)
{
	if (pd->stopping)
		return;
	pd->stopping = 1;
	cmds_stop(pd);
	ctl_close(pd);
	uv_timer_stop(&pd->tick);
	uv_signal_stop(&pd->sig_term);
	uv_signal_stop(&pd->sig_int);
	uv_signal_stop(&pd->sig_hup);
	uv_close((uv_handle_t *)&pd->tick, NULL);
	uv_close((uv_handle_t *)&pd->sig_term, NULL);
	uv_close((uv_handle_t *)&pd->sig_int, NULL);
	uv_close((uv_handle_t *)&pd->sig_hup, NULL);
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

int
portd_run(const struct portd_opts *opts)
{
	struct portd pd;
	char err[512];
	int flags = 0;

	memset(&pd, 0, sizeof(pd));
	pd.opts = *opts;
	pd.exit_code = 0;
	pd.started_ms = portd_now_ms();
	pd.started_ns = uv_hrtime();
	snapshot_init(&pd.cur);
	signal(SIGPIPE, SIG_IGN);
	raise_nofile(opts->max_clients);
	if (history_init(&pd.history, opts->history) == -1)
		fatalx("out of memory");
	if (opts->no_netlink)
		flags |= BACKEND_NO_NETLINK;
	if ((pd.backend = backend_new(flags, err, sizeof(err))) == NULL) {
		log_warnx("%s", err);
		history_free(&pd.history);
		return 1;
	}
	backend_set_resync(pd.backend, opts->interval_ms, opts->resync_ms);
	pd.loop = uv_default_loop();

	/* The first snapshot is the baseline: what is already listening
	 * is not news, so it becomes the live map without events. */
	if (backend_snapshot(pd.backend, NULL, &pd.cur, err, sizeof(err)) ==
	    -1) {
		pd.errors++;
		log_warnx("first snapshot failed: %s; retrying every interval",
		    err);
	} else
		pd.snapshots++;
	if (ctl_open(&pd, err, sizeof(err)) == -1) {
		log_warnx("%s", err);
		backend_free(pd.backend);
		snapshot_clear(&pd.cur);
		history_free(&pd.history);
		return 1;
	}
	uv_timer_init(pd.loop, &pd.tick);
	pd.tick.data = &pd;
	uv_timer_start(&pd.tick, on_tick, opts->interval_ms,
	    opts->interval_ms);
	uv_signal_init(pd.loop, &pd.sig_term);
	uv_signal_init(pd.loop, &pd.sig_int);
	uv_signal_init(pd.loop, &pd.sig_hup);
	pd.sig_term.data = pd.sig_int.data = pd.sig_hup.data = &pd;
	uv_signal_start(&pd.sig_term, on_signal, SIGTERM);
	uv_signal_start(&pd.sig_int, on_signal, SIGINT);
	uv_signal_start(&pd.sig_hup, on_signal, SIGHUP);
	log_notice("portd %s started: pid %d, %zu listeners, socket %s, "
	    "interval %u ms, source %s", PORTD_VERSION, (int)getpid(),
	    pd.cur.nrows, opts->socket_path, opts->interval_ms,
	    backend_source(pd.backend));

	uv_run(pd.loop, UV_RUN_DEFAULT);

	/* Anything still open (a client mid-close) finishes closing. */
	uv_walk(pd.loop, close_walk, NULL);
	uv_run(pd.loop, UV_RUN_DEFAULT);
	if (uv_loop_close(pd.loop) != 0)
		log_warnx("event loop did not close cleanly");
	backend_free(pd.backend);
	snapshot_clear(&pd.cur);
	history_free(&pd.history);
	log_notice("stopped");
	return pd.exit_code;
}
