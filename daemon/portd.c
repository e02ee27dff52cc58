/*
 * portd.c - the daemon's loop: a timer takes a snapshot every interval,
 * the diff against the live map becomes bind/unbind events (logged, kept
 * in the history, sent to watchers), and signals (or, on Windows, the
 * service manager) stop or reload it through os_*.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "compat.h"
#include "diff.h"
#include "enforce.h"
#include "log.h"
#include "notify.h"
#include "os.h"
#include "portd.h"

void
portd_opts_default(struct portd_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->socket_path = PROTO_DEFAULT_ENDPOINT;
	o->interval_ms = 1000;
	o->resync_ms = 300000;
	o->history = 1024;
	o->max_clients = 256;
	o->max_clients_per_uid = 32;
	o->idle_timeout_ms = 60000;
	o->max_kill_jobs = 4;
	o->max_kill_timeout_ms = 60000;
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
	char addr[80], owner[160], who[EVENT_REQUESTER_MAX];

	sock_addr_text(&ev->sock, addr, sizeof(addr));
	if (ev->proc.pid != 0)
		snprintf(owner, sizeof(owner), "pid %d (%s) user %s",
		    (int)ev->proc.pid, ev->proc.comm, ev->proc.user);
	else
		snprintf(owner, sizeof(owner), "(%s)",
		    pd_reason_text(ev->reason));
	switch (ev->type) {
	case EV_BIND:
	case EV_UNBIND:
		log_info("%s %s %s%s%s:%u %s", event_type_name(ev->type),
		    pd_proto_name(ev->sock.proto),
		    ev->sock.family == PD_INET6 ? "[" : "", addr,
		    ev->sock.family == PD_INET6 ? "]" : "", ev->sock.port,
		    owner);
		break;
	case EV_REAP:
		log_notice("reap: rule '%s' %s%s port %u %s: %s", ev->rule,
		    ev->action, ev->dry_run ? " (dry run)" : "", ev->sock.port,
		    owner, ev->outcome);
		break;
	case EV_RESPAWN:
		log_warnx("respawn: rule '%s' port %u %s: parent pid %d (%s)%s%s",
		    ev->rule, ev->sock.port, owner, (int)ev->parent_pid,
		    ev->parent_comm, ev->unit[0] ? ", unit " : "", ev->unit);
		break;
	case EV_KILL:
		log_notice("kill by %s: port %u %s: %s", event_requester_text(ev,
		    who, sizeof(who)), ev->sock.port, owner, ev->outcome);
		break;
	default:
		break;	/* violations are logged by the reaper */
	}
}

void
portd_emit(struct portd *pd, struct event *ev)
{
	ev->seq = ++pd->next_seq;
	if (ev->time_ms == 0)
		ev->time_ms = portd_now_ms();
	pd->events++;
	log_event(ev);
	ctl_broadcast(pd, ev);
	history_push(&pd->history, ev);		/* takes ev's contents */
}

struct emit_ctx {
	struct portd *pd;
	int64_t now;
	struct snapshot binds;	/* this tick's binds, for the reaper */
};

static int
emit_event(void *arg, struct event *ev)
{
	struct emit_ctx *ec = arg;
	int pi = -1;

	if (ev->type == EV_BIND && ec->pd->cfg.nrules > 0) {
		if (ev->proc.pid != 0)
			pi = snapshot_add_proc(&ec->binds, &ev->proc);
		if (snapshot_add_row(&ec->binds, &ev->sock, pi,
		    ev->reason) == NULL)
			ec->pd->errors++;
	}
	ev->time_ms = ec->now;
	portd_emit(ec->pd, ev);
	return 0;
}

int
portd_tick(struct portd *pd)
{
	struct snapshot next;
	struct emit_ctx ec;
	char err[256];
	uint64_t t0;
	double ms;
	size_t i;
	int changed;

	snapshot_init(&next);
	ec.pd = pd;
	ec.now = 0;
	snapshot_init(&ec.binds);
	t0 = uv_hrtime();
	/* Rows, sort and diff only when something changed: a steady state
	 * costs the socket dump and the /proc listing, nothing more. */
	if ((changed = backend_snapshot_changes(pd->backend, &next, err,
	    sizeof(err))) == -1) {
		pd->errors++;
		log_warnx("snapshot failed: %s", err);
		return -1;
	}
	ms = (double)(uv_hrtime() - t0) / 1e6;
	pd->snapshots++;
	pd->last_snap_ms = ms;
	pd->total_snap_ms += ms;
	ec.now = pd->last_snap_at = portd_now_ms();
	if (changed == 1)
		return 0;	/* the live map stands */
	if (diff_snapshots(&pd->cur, &next, emit_event, &ec) == -1) {
		pd->errors++;
		log_warnx("diff failed: out of memory");
	}
	snapshot_clear(&pd->cur);
	pd->cur = next;
	/* Judged after the live map moved on: acting may take another
	 * snapshot (which is why the binds are a copy). */
	for (i = 0; i < ec.binds.nrows; i++)
		enforce_row(pd, &ec.binds.rows[i].sock,
		    snapshot_row_proc(&ec.binds, &ec.binds.rows[i]));
	snapshot_clear(&ec.binds);
	return 0;
}

/* systemd's STATUS= line: listeners, rules, last snapshot. */
static void
notify_status(struct portd *pd, const char *state)
{
	char msg[256], when[40];

	proto_time_text(pd->last_snap_at, when, sizeof(when));
	snprintf(msg, sizeof(msg), "%sSTATUS=%zu listeners, %zu rules, last "
	    "snapshot %s (%.1f ms)", state, pd->cur.nrows, portd_nrules(pd),
	    when, pd->last_snap_ms);
	notify_send(msg);
}

static void
on_tick(uv_timer_t *t)
{
	struct portd *pd = t->data;
	uint64_t every;

	/* Watchers had a whole interval to read what came last time (only
	 * here: a tick a kill asks for comes sooner than that). */
	ctl_check_lag(pd);
	portd_tick(pd);
	/* A status line about every 10 s is plenty for systemctl status;
	 * at an interval of 10 s or more, one per snapshot. */
	every = pd->opts.interval_ms < 10000 ? 10000 / pd->opts.interval_ms :
	    1;
	if (pd->snapshots % every == 0)
		notify_status(pd, "");
}

static void
on_watchdog(uv_timer_t *t)
{
	(void)t;
	notify_send("WATCHDOG=1");
}

size_t
portd_nrules(const struct portd *pd)
{
	return pd->cfg.nrules;
}

/*
 * The settings in force: the command line wins, then the file, then the
 * built-in default. Applied at start and after every reload.
 */
static void
apply_settings(struct portd *pd, int starting)
{
	const struct config *c = &pd->cfg;
	struct portd_opts *o = &pd->opts, def;
	unsigned from_file = c->set & ~pd->cli.set;
	uint32_t old_interval = o->interval_ms;

	portd_opts_default(&def);
#define PICK(bit, field, cfield)					\
	o->field = (pd->cli.set & (bit)) ? pd->cli.field :		\
	    (from_file & (bit)) ? c->cfield : def.field
	PICK(CONFIG_SET_INTERVAL, interval_ms, interval_ms);
	PICK(CONFIG_SET_RESYNC, resync_ms, resync_ms);
	PICK(CONFIG_SET_MAX_CLIENTS, max_clients, max_clients);
	PICK(CONFIG_SET_CLIENT_LIMITS, max_clients_per_uid,
	    max_clients_per_uid);
	PICK(CONFIG_SET_IDLE_TIMEOUT, idle_timeout_ms, idle_timeout_ms);
	PICK(CONFIG_SET_KILL_JOBS, max_kill_jobs, max_kill_jobs);
	PICK(CONFIG_SET_KILL_TIMEOUT, max_kill_timeout_ms,
	    max_kill_timeout_ms);
	PICK(CONFIG_SET_WATCH_BUFFER, watch_buffer, watch_buffer);
	PICK(CONFIG_SET_LOG_LEVEL, log_level, log_level);
#undef PICK
	if (starting) {
		/* Fixed for the daemon's life: the socket and the ring. */
		if (!(pd->cli.set & CONFIG_SET_SOCKET) &&
		    (from_file & CONFIG_SET_SOCKET)) {
			/* A copy: a reload frees the file's config. */
			if (c->socket_path != NULL && (pd->file_socket_path =
			    strdup(c->socket_path)) == NULL)
				fatalx("out of memory");
			if (pd->file_socket_path != NULL)
				o->socket_path = pd->file_socket_path;
			o->socket_mode = c->socket_mode;
		}
		o->history = (pd->cli.set & CONFIG_SET_HISTORY) ?
		    pd->cli.history : (from_file & CONFIG_SET_HISTORY) ?
		    c->history : def.history;
	} else if ((from_file & CONFIG_SET_SOCKET) &&
	    c->socket_path != NULL && strcmp(c->socket_path,
	    o->socket_path) != 0)
		log_warnx("reload: socket.path changes at the next start");
	log_set_level(o->log_level);
	if (pd->backend != NULL)
		backend_set_resync(pd->backend, o->interval_ms, o->resync_ms);
	if (!starting && o->interval_ms != old_interval &&
	    uv_is_active((uv_handle_t *)&pd->tick))
		uv_timer_start(&pd->tick, on_tick, o->interval_ms,
		    o->interval_ms);
}

/* Reads the file named on the command line, or the default one if it
 * exists (none: built-in defaults, no rules). */
static int
load_config(struct portd *pd, struct config *out, int starting, char *err,
    size_t errlen)
{
	struct config_errors errs = { NULL, 0 };
	const char *path = pd->cli.config_path;
	size_t i, n = 0;

	config_init(out);
	if (path == NULL) {
		if (access(os_default_config(), F_OK) == -1)
			return 0;
		path = os_default_config();
	}
	if (config_load(path, out, &errs) == 0)
		return 0;
	for (i = 0; i < errs.n; i++) {
		/* At start they stop portd; at a reload the old rules stay. */
		if (starting)
			log_errx("%s", errs.v[i]);
		else
			log_warnx("%s", errs.v[i]);
		if (n < errlen)
			n += (size_t)snprintf(err + n, errlen - n, "%s%s",
			    i ? "\n" : "", errs.v[i]);
	}
	if (n >= errlen && errlen > 32)
		snprintf(err + errlen - 32, 32, "\n(more errors in the log)");
	config_errors_free(&errs);
	return -1;
}

int
portd_reload(struct portd *pd, char *err, size_t errlen)
{
	struct config next, old;

	pd->reloads++;
	notify_send("RELOADING=1");
	/* Parsed completely before anything changes: a broken file keeps
	 * the running rules. History, watchers and caches stay. */
	if (load_config(pd, &next, 0, err, errlen) == -1) {
		pd->errors++;
		log_warnx("reload failed: keeping the running configuration");
		notify_send("READY=1\nSTATUS=reload failed: the configuration "
		    "has errors; the running one stays");
		return -1;
	}
	old = pd->cfg;
	pd->cfg = next;
	apply_settings(pd, 0);
	if (enforce_config_changed(pd) == -1)
		log_warnx("reload: out of memory for rule counters");
	log_notice("reloaded: %zu rules", pd->cfg.nrules);
	notify_status(pd, "READY=1\n");
	/* Listeners already present are judged by the new rules, unless
	 * the rule deciding theirs did not change. */
	enforce_all(pd, &old);
	config_free(&old);
	return 0;
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
	notify_send("STOPPING=1");
	cmds_stop(pd);
	ctl_close(pd);
	uv_timer_stop(&pd->tick);
	uv_timer_stop(&pd->watchdog);
	uv_close((uv_handle_t *)&pd->watchdog, NULL);
	uv_close((uv_handle_t *)&pd->tick, NULL);
	os_watch_stop(pd);
}

int
portd_run(const struct portd_opts *opts)
{
	struct portd pd;
	char err[512];
	uint64_t wd, t0;
	int flags = 0;

	memset(&pd, 0, sizeof(pd));
	pd.opts = *opts;
	pd.cli = *opts;
	pd.exit_code = 0;
	if (load_config(&pd, &pd.cfg, 1, err, sizeof(err)) == -1) {
		log_errx("not starting: the configuration has errors");
		return 1;
	}
	apply_settings(&pd, 1);
	opts = &pd.opts;
	pd.started_ms = portd_now_ms();
	pd.started_ns = uv_hrtime();
	snapshot_init(&pd.cur);
	notify_init();
	os_setup(&pd);
	if (history_init(&pd.history, opts->history) == -1 ||
	    enforce_init(&pd) == -1)
		fatalx("out of memory");
	if (opts->no_netlink)
		flags |= BACKEND_NO_NETLINK;
	if ((pd.backend = backend_new(flags, err, sizeof(err))) == NULL) {
		log_errx("%s", err);
		history_free(&pd.history);
		enforce_free(&pd);
		config_free(&pd.cfg);
		free(pd.file_socket_path);
		return 1;
	}
	backend_set_resync(pd.backend, opts->interval_ms, opts->resync_ms);
	pd.loop = uv_default_loop();

	/* The first snapshot is the baseline: what is already listening
	 * is not news, so it becomes the live map without events. */
	t0 = uv_hrtime();
	if (backend_snapshot(pd.backend, NULL, &pd.cur, err, sizeof(err)) ==
	    -1) {
		pd.errors++;
		log_warnx("first snapshot failed: %s; retrying every interval",
		    err);
	} else {
		pd.snapshots++;
		pd.last_snap_ms = (double)(uv_hrtime() - t0) / 1e6;
		pd.total_snap_ms = pd.last_snap_ms;
		pd.last_snap_at = portd_now_ms();
	}
	if (ctl_open(&pd, err, sizeof(err)) == -1) {
		log_errx("%s", err);
		backend_free(pd.backend);
		snapshot_clear(&pd.cur);
		history_free(&pd.history);
		enforce_free(&pd);
		config_free(&pd.cfg);
		free(pd.file_socket_path);
		return 1;
	}
	uv_timer_init(pd.loop, &pd.tick);
	pd.tick.data = &pd;
	uv_timer_start(&pd.tick, on_tick, opts->interval_ms,
	    opts->interval_ms);
	os_watch_start(&pd);
	uv_timer_init(pd.loop, &pd.watchdog);
	if ((wd = notify_watchdog_usec()) > 0)
		uv_timer_start(&pd.watchdog, on_watchdog, wd / 2000 + 1,
		    wd / 2000 + 1);
	log_notice("portd %s started: pid %d, %zu listeners, socket %s, "
	    "interval %u ms, source %s", PORTD_VERSION, (int)getpid(),
	    pd.cur.nrows, ctl_path(&pd), opts->interval_ms,
	    backend_source(pd.backend));
	/* The control socket answers and the first snapshot is taken. */
	notify_status(&pd, "READY=1\n");
	/* Squatters already present are judged like new ones. */
	enforce_all(&pd, NULL);

	uv_run(pd.loop, UV_RUN_DEFAULT);

	/* Anything still open (a client mid-close) finishes closing. */
	uv_walk(pd.loop, close_walk, NULL);
	uv_run(pd.loop, UV_RUN_DEFAULT);
	if (uv_loop_close(pd.loop) != 0)
		log_warnx("event loop did not close cleanly");
	backend_free(pd.backend);
	snapshot_clear(&pd.cur);
	history_free(&pd.history);
	enforce_free(&pd);
	config_free(&pd.cfg);
	free(pd.file_socket_path);
	log_notice("stopped");
	return pd.exit_code;
}
