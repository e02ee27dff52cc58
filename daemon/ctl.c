/*
 * ctl.c - the control server: a Unix socket through uv_pipe, one JSON
 * request per line in, one reply per line out.
 *
 * Limits, each an explicit error: a request line over 64 KiB gets
 * line_too_long and the connection is closed; a connection beyond
 * max_clients gets too_many_clients and is closed; a watcher that still
 * has more than watch_buffer bytes unread when the next snapshot comes (it
 * had a whole interval to read) gets "lagged" and is dropped, and so is
 * one whose unread output passes 8 times that at any moment, so one slow
 * reader never grows the daemon's memory while a burst larger than the
 * cap does not drop a reader that keeps up.
 *
 * Every local user is a client (the socket is 0666), so what one of them
 * can make portd hold or do is bounded too:
 *  - backpressure: while a client has more than CTL_OUT_HIGH bytes of
 *    replies unread, portd stops reading (and so parsing) its requests;
 *    it resumes once they drain below CTL_OUT_LOW. A reply is never cut:
 *    one reply may pass the mark, the next request waits.
 *  - a turn: one read callback handles at most CTL_TURN_REQUESTS requests
 *    or CTL_TURN_NS of work, whichever comes first; the rest of the
 *    pipelined lines wait (unread input stays in the kernel) for the
 *    next turn, given from an idle handle after every other handle had
 *    its go, so snapshots, kills and other clients keep running.
 *  - connections: max_clients in all; a user other than root at most
 *    max_clients_per_uid, and all of them together leave CTL_ROOT_SLOTS
 *    for root. A refusal is one too_many_clients line, then close; the
 *    log says so once per CTL_REFUSAL_LOG_MS, with a count.
 *  - idle: a client that is not watching and has no kill in progress is
 *    closed (idle_timeout) after idle_timeout_ms without sending a byte
 *    or reading one.
 *
 * Output is queued per client. What the socket takes at once is written at
 * once (uv_try_write); only what it refuses waits, handed to libuv one
 * write at a time, so "queued" counts exactly what the client has not
 * read yet and a lagging client's queue can be discarded (what libuv
 * already holds cannot be taken back).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "listen.h"
#include "peer.h"
#include "log.h"
#include "portd.h"

#define CTL_BACKLOG	4096
#define READ_CHUNK	(64 * 1024)
#define WRITE_BATCH	64
#define LAG_GRACE_MS	5000
#define LAG_HARD_FACTOR	8
#define CTL_OUT_HIGH	(256 * 1024)	/* unread output: stop reading */
#define CTL_OUT_LOW	(64 * 1024)	/* ... and resume below this */
#define CTL_TURN_REQUESTS	64
#define CTL_TURN_NS	(5 * 1000000ULL)
#define CTL_ROOT_SLOTS	8		/* of max_clients, kept for root */
#define CTL_REFUSAL_LOG_MS	10000

struct outbuf {
	struct outbuf *next;
	size_t len;
	size_t off;		/* bytes of it already written */
	char data[];
};

struct ctl_client {
	uv_pipe_t pipe;			/* first: handles map back to us */
	struct portd *pd;
	struct ctl_client *prev, *next;
	struct peer peer;		/* who connected (SO_PEERCRED...) */
	char *in;			/* input not handled yet: lines
					 * waiting for a turn, then at most
					 * one partial line */
	size_t inlen, incap;
	int reading;			/* uv_read_start in force */
	int eof;			/* the client sent EOF */
	int turn;			/* wants a turn from the idle handle */
	uint64_t last_active;		/* loop ms: a byte in or out */
	struct outbuf *qhead, *qtail;	/* queued, not yet given to libuv */
	size_t queued;			/* bytes queued + in flight */
	struct outbuf *inflight[WRITE_BATCH];
	size_t ninflight;
	uv_write_t wreq;
	int writing;
	int closing;			/* close once the queue drains */
	int pending;			/* replies still to come (kills) */
	int handles;			/* open libuv handles; free at 0 */
	int watching;
	struct filter watch;
	char watch_id[64];
	uv_timer_t lag_timer;
	int lag_timer_on;
};

struct ctl {
	uv_pipe_t server;
	int created;			/* we made the socket file */
	char path[LISTEN_PATH_MAX];
	struct ctl_client *clients;
	size_t nclients;
	size_t nwatchers;
	uv_idle_t turns;		/* gives waiting clients a turn */
	int skip_round;			/* the last round was long */
	uv_timer_t idle_sweep;		/* closes idle clients */
	int handles;			/* open handles: freed at 0 */
	struct peer self;		/* portd's own user */
};

static void client_close(struct ctl_client *);
static void client_flush(struct ctl_client *);
static void client_want_turn(struct ctl_client *);
static void client_update_reading(struct ctl_client *);
static void on_alloc(uv_handle_t *, size_t, uv_buf_t *);
static void on_read(uv_stream_t *, ssize_t, const uv_buf_t *);

const struct peer *
ctl_client_peer(const struct ctl_client *c)
{
	return &c->peer;
}

size_t
ctl_nclients(const struct portd *pd)
{
	return pd->ctl != NULL ? pd->ctl->nclients : 0;
}

size_t
ctl_nwatchers(const struct portd *pd)
{
	return pd->ctl != NULL ? pd->ctl->nwatchers : 0;
}

/* ---- output ---------------------------------------------------------- */

static void
on_write(uv_write_t *req, int status)
{
	struct ctl_client *c = req->data;
	size_t i;

	for (i = 0; i < c->ninflight; i++) {
		c->queued -= c->inflight[i]->len - c->inflight[i]->off;
		free(c->inflight[i]);
	}
	c->ninflight = 0;
	c->writing = 0;
	if (status < 0) {
		/* The peer went away mid-reply: nothing to tell it. */
		if (status != UV_ECANCELED)
			client_close(c);
		return;
	}
	c->last_active = uv_now(c->pd->loop);
	client_flush(c);
	/* It read enough: its waiting requests get their turn. */
	if (!c->reading && !c->closing && c->queued <= CTL_OUT_LOW)
		client_want_turn(c);
}

static void
client_flush(struct ctl_client *c)
{
	uv_buf_t bufs[WRITE_BATCH];
	struct outbuf *b;
	size_t n = 0;
	int r;

	if (c->writing || uv_is_closing((uv_handle_t *)&c->pipe))
		return;
	/* Whatever the socket takes now. */
	while ((b = c->qhead) != NULL) {
		bufs[0] = uv_buf_init(b->data + b->off,
		    (unsigned)(b->len - b->off));
		r = uv_try_write((uv_stream_t *)&c->pipe, bufs, 1);
		if (r == UV_EAGAIN)
			break;
		if (r < 0) {
			client_close(c);	/* the peer is gone */
			return;
		}
		b->off += (size_t)r;
		c->queued -= (size_t)r;
		if (r > 0)
			c->last_active = uv_now(c->pd->loop);
		if (b->off < b->len)
			break;			/* the socket is full */
		c->qhead = b->next;
		if (c->qhead == NULL)
			c->qtail = NULL;
		free(b);
	}
	if (c->qhead == NULL) {
		if (c->closing && c->pending == 0)
			client_close(c);
		return;
	}
	/* The rest waits until the client reads. */
	while (n < WRITE_BATCH && (b = c->qhead) != NULL) {
		c->qhead = b->next;
		if (c->qhead == NULL)
			c->qtail = NULL;
		c->inflight[n] = b;
		bufs[n] = uv_buf_init(b->data + b->off,
		    (unsigned)(b->len - b->off));
		n++;
	}
	c->ninflight = n;
	c->writing = 1;
	c->wreq.data = c;
	if ((r = uv_write(&c->wreq, (uv_stream_t *)&c->pipe, bufs,
	    (unsigned)n, on_write)) != 0) {
		c->writing = 0;
		for (; n > 0; n--) {
			c->queued -= c->inflight[n - 1]->len -
			    c->inflight[n - 1]->off;
			free(c->inflight[n - 1]);
		}
		c->ninflight = 0;
		client_close(c);
	}
}

static void
on_lag_timeout(uv_timer_t *t)
{
	struct ctl_client *c = t->data;

	/* It never read its lagged notice: drop it regardless. */
	client_close(c);
}

static void
queue_line(struct ctl_client *c, const char *line, size_t len)
{
	struct outbuf *b;

	if ((b = malloc(sizeof(*b) + len)) == NULL) {
		log_warnx("client pid %d: out of memory: dropped",
		    (int)c->peer.pid);
		client_close(c);
		return;
	}
	b->next = NULL;
	b->len = len;
	b->off = 0;
	memcpy(b->data, line, len);
	if (c->qtail != NULL)
		c->qtail->next = b;
	else
		c->qhead = b;
	c->qtail = b;
	c->queued += len;
}

/* Frees what is queued and not yet given to libuv (what is in flight
 * is counted off by its write callback). */
static void
discard_queue(struct ctl_client *c)
{
	struct outbuf *b, *next;

	for (b = c->qhead; b != NULL; b = next) {
		next = b->next;
		c->queued -= b->len - b->off;
		free(b);
	}
	c->qhead = c->qtail = NULL;
}

/* Discards what is queued and tells a slow watcher it lost events. */
static void
client_lagged(struct ctl_client *c)
{
	char *line, who[PEER_TEXT_MAX];
	size_t limit;

	/* A send may have closed it already (EPIPE): nothing to tell. */
	if (c->closing || !c->watching ||
	    uv_is_closing((uv_handle_t *)&c->pipe))
		return;
	limit = c->queued > LAG_HARD_FACTOR * c->pd->opts.watch_buffer ?
	    LAG_HARD_FACTOR * c->pd->opts.watch_buffer :
	    c->pd->opts.watch_buffer;
	discard_queue(c);
	log_warnx("watcher %s: more than %zu bytes unread: dropped "
	    "(lagged)", peer_text(&c->peer, who, sizeof(who)), limit);
	line = proto_reply_error(c->watch_id, PE_LAGGED, "subscriber too "
	    "slow: events were dropped; reconnect and use 'events' to catch "
	    "up");
	/* No watcher from here on, before queue_line may close it. */
	c->watching = 0;
	c->pd->ctl->nwatchers--;
	if (line != NULL) {
		queue_line(c, line, strlen(line));
		free(line);
	}
	if (uv_is_closing((uv_handle_t *)&c->pipe))
		return;		/* out of memory: closed */
	c->closing = 1;
	if (uv_timer_init(c->pd->loop, &c->lag_timer) == 0) {
		c->lag_timer.data = c;
		c->lag_timer_on = 1;
		c->handles++;
		uv_timer_start(&c->lag_timer, on_lag_timeout, LAG_GRACE_MS, 0);
	}
	client_flush(c);
}

void
ctl_client_send(struct ctl_client *c, char *line)
{
	if (line == NULL) {
		log_warnx("client pid %d: out of memory building a reply",
		    (int)c->peer.pid);
		return;
	}
	if (!uv_is_closing((uv_handle_t *)&c->pipe))
		queue_line(c, line, strlen(line));
	free(line);
	client_flush(c);
}

void
ctl_client_hold(struct ctl_client *c)
{
	c->pending++;
}

void
ctl_client_release(struct ctl_client *c)
{
	if (c->pending > 0)
		c->pending--;
	client_flush(c);
}

void
ctl_client_watch(struct ctl_client *c, const struct filter *f,
    const char *id)
{
	if (!c->watching)
		c->pd->ctl->nwatchers++;
	c->watching = 1;
	if (f != NULL)
		c->watch = *f;
	else
		filter_init(&c->watch);
	snprintf(c->watch_id, sizeof(c->watch_id), "%s", id);
}

void
ctl_check_lag(struct portd *pd)
{
	struct ctl_client *c, *next;

	if (pd->ctl == NULL || pd->ctl->nwatchers == 0)
		return;
	for (c = pd->ctl->clients; c != NULL; c = next) {
		next = c->next;
		if (c->watching && !c->closing &&
		    c->queued > pd->opts.watch_buffer)
			client_lagged(c);
	}
}

void
ctl_broadcast(struct portd *pd, const struct event *ev)
{
	struct ctl_client *c, *next;
	cJSON *o;
	char *body = NULL, *line;
	size_t n;

	if (pd->ctl == NULL || pd->ctl->nwatchers == 0)
		return;
	for (c = pd->ctl->clients; c != NULL; c = next) {
		next = c->next;
		if (!c->watching || c->closing ||
		    !filter_match(&c->watch, &ev->sock))
			continue;
		if (body == NULL) {
			if ((o = proto_event_json(ev)) == NULL)
				return;
			body = cJSON_PrintUnformatted(o);
			cJSON_Delete(o);
			if (body == NULL)
				return;
		}
		n = strlen(body) + strlen(c->watch_id) + 32;
		if ((line = malloc(n)) == NULL)
			continue;
		snprintf(line, n, "{\"id\":%s,\"event\":%s}\n", c->watch_id,
		    body);
		ctl_client_send(c, line);
		if (c->queued > LAG_HARD_FACTOR * pd->opts.watch_buffer)
			client_lagged(c);
	}
	if (body != NULL)
		cJSON_free(body);
}

/* ---- input ----------------------------------------------------------- */

static void
on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	static char chunk[READ_CHUNK];

	(void)h;
	(void)suggested;
	/* One loop thread, and each read is consumed before the next
	 * allocation: one buffer serves every client. */
	*buf = uv_buf_init(chunk, sizeof(chunk));
}

static void
too_long(struct ctl_client *c)
{
	char who[PEER_TEXT_MAX];

	log_warnx("client %s: request line over %d bytes: closing",
	    peer_text(&c->peer, who, sizeof(who)), PROTO_MAX_LINE);
	c->inlen = 0;
	ctl_client_send(c, proto_reply_error("null", PE_LINE_TOO_LONG,
	    "request line over 64 KiB: closing the connection"));
	c->closing = 1;
	client_update_reading(c);
	client_flush(c);
}

static int
has_line(const struct ctl_client *c)
{
	return c->inlen > 0 && memchr(c->in, '\n', c->inlen) != NULL;
}

/*
 * Reads from the client only while it has no complete request waiting
 * and its unread output is under the high mark: what it pipelines
 * beyond that stays in the kernel's buffer (bounded there) and, once
 * that fills, blocks the client's own writes.
 */
static void
client_update_reading(struct ctl_client *c)
{
	int want = !c->closing && !c->eof && !c->turn &&
	    !uv_is_closing((uv_handle_t *)&c->pipe) &&
	    c->queued <= CTL_OUT_HIGH && !has_line(c);

	if (want && !c->reading) {
		if (uv_read_start((uv_stream_t *)&c->pipe, on_alloc,
		    on_read) == 0)
			c->reading = 1;
	} else if (!want && c->reading) {
		uv_read_stop((uv_stream_t *)&c->pipe);
		c->reading = 0;
	}
}

/*
 * One turn: handles the complete lines waiting in c->in, at most
 * CTL_TURN_REQUESTS of them or CTL_TURN_NS of work, and stops early when
 * the client's unread output passes CTL_OUT_HIGH (its on_write resumes
 * it). What is left waits for the next turn.
 */
static void
client_process(struct ctl_client *c)
{
	uint64_t start = uv_hrtime();
	size_t off = 0, len, n = 0;
	char *line, *nl;

	c->turn = 0;
	while (!c->closing && !uv_is_closing((uv_handle_t *)&c->pipe) &&
	    c->queued <= CTL_OUT_HIGH) {
		if (n >= CTL_TURN_REQUESTS ||
		    (n > 0 && uv_hrtime() - start >= CTL_TURN_NS)) {
			if (memchr(c->in + off, '\n', c->inlen - off) != NULL)
				client_want_turn(c);
			break;
		}
		/* c->in is NULL until the first byte (memchr(NULL, .., 0)
		 * is undefined). */
		if (off == c->inlen)
			break;
		line = c->in + off;
		if ((nl = memchr(line, '\n', c->inlen - off)) == NULL)
			break;
		len = (size_t)(nl - line);
		off += len + 1;
		if (len > PROTO_MAX_LINE) {
			too_long(c);
			return;
		}
		if (len > 0 && line[len - 1] == '\r')
			len--;
		/* An empty line is no request: skipped, as before. */
		if (len > 0) {
			n++;
			c->pd->requests++;
			cmds_dispatch(c->pd, c, line, len);
		}
	}
	if (uv_is_closing((uv_handle_t *)&c->pipe))
		return;			/* c->in is freed with c */
	if (off > 0) {
		memmove(c->in, c->in + off, c->inlen - off);
		c->inlen -= off;
	}
	if (c->closing)
		c->inlen = 0;
	else if (!has_line(c) && c->inlen > PROTO_MAX_LINE) {
		too_long(c);
		return;
	}
	if (c->eof && !c->closing && !has_line(c)) {
		/* Everything it sent is answered (or being answered). */
		c->inlen = 0;
		c->closing = 1;
		client_flush(c);
		if (uv_is_closing((uv_handle_t *)&c->pipe))
			return;
	}
	client_update_reading(c);
}

static void
on_turns(uv_idle_t *h)
{
	struct portd *pd = h->data;
	struct ctl *ctl = pd->ctl;
	struct ctl_client *c, *next;
	uint64_t start;
	int more = 0;

	/* After a long round (one request can take longer than a turn's
	 * budget: an events reply of the whole history), let the loop poll
	 * twice before the next, so a new client is accepted and its
	 * request read and answered within one round, not two. */
	if (ctl->skip_round) {
		ctl->skip_round = 0;
		return;
	}
	start = uv_hrtime();
	/* Clients closed meanwhile are out of the list but not yet freed
	 * (that happens in the close phase, after this one). */
	for (c = ctl->clients; c != NULL; c = next) {
		next = c->next;
		if (!c->turn)
			continue;
		client_process(c);
		more |= c->turn;
	}
	if (!more)
		uv_idle_stop(&ctl->turns);
	else if (uv_hrtime() - start >= CTL_TURN_NS)
		ctl->skip_round = 1;
}

static void
client_want_turn(struct ctl_client *c)
{
	struct ctl *ctl = c->pd->ctl;

	if (ctl == NULL || uv_is_closing((uv_handle_t *)&c->pipe))
		return;
	c->turn = 1;
	client_update_reading(c);
	if (!uv_is_active((uv_handle_t *)&ctl->turns))
		uv_idle_start(&ctl->turns, on_turns);
}

static void
on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct ctl_client *c = (struct ctl_client *)s;
	size_t ncap;
	char *tmp;

	if (nread == 0)
		return;
	if (nread < 0) {
		/* EOF or error. A watcher closes to unsubscribe; any other
		 * client may have half-closed and still wait for replies,
		 * and the lines it sent before are still answered. */
		uv_read_stop(s);
		c->reading = 0;
		if (nread != UV_EOF || c->watching) {
			client_close(c);
			return;
		}
		c->eof = 1;
		client_process(c);
		return;
	}
	c->last_active = uv_now(c->pd->loop);
	if (c->closing)
		return;
	/* Bounded: reading stops while a whole line waits, so this is at
	 * most one partial line (<= 64 KiB, checked) and one chunk. */
	if (c->inlen + (size_t)nread > c->incap) {
		ncap = c->incap ? c->incap : 1024;
		while (ncap < c->inlen + (size_t)nread)
			ncap *= 2;
		if ((tmp = realloc(c->in, ncap)) == NULL) {
			client_close(c);
			return;
		}
		c->in = tmp;
		c->incap = ncap;
	}
	memcpy(c->in + c->inlen, buf->base, (size_t)nread);
	c->inlen += (size_t)nread;
	client_process(c);
}

/* ---- connections ----------------------------------------------------- */

/* Both the pipe and the lag timer point here; the last one frees. */
static void
on_handle_closed(uv_handle_t *h)
{
	struct ctl_client *c = h->data;

	if (--c->handles > 0)
		return;
	free(c->in);
	free(c);
}

static void
client_close(struct ctl_client *c)
{
	struct ctl *ctl = c->pd->ctl;

	if (uv_is_closing((uv_handle_t *)&c->pipe))
		return;
	cmds_client_gone(c->pd, c);
	c->turn = 0;
	c->reading = 0;
	if (c->watching && ctl != NULL)
		ctl->nwatchers--;
	c->watching = 0;
	discard_queue(c);
	if (ctl != NULL) {
		if (c->prev != NULL)
			c->prev->next = c->next;
		else
			ctl->clients = c->next;
		if (c->next != NULL)
			c->next->prev = c->prev;
		ctl->nclients--;
	}
	uv_close((uv_handle_t *)&c->pipe, on_handle_closed);
	if (c->lag_timer_on)
		uv_close((uv_handle_t *)&c->lag_timer, on_handle_closed);
}

/*
 * Whether one more connection from p fits; if not, why, in reason. An
 * admin, or portd's own user (who could stop portd anyway: a portd run
 * unprivileged, as by `make test` as a user), only needs a slot; anyone
 * else also one of the slots not kept for root, and one of its own
 * user's max_clients_per_uid.
 */
static int
client_admitted(struct portd *pd, const struct peer *p, char *reason,
    size_t len)
{
	const struct ctl *ctl = pd->ctl;
	const struct ctl_client *c;
	size_t reserved, others = 0, mine = 0;

	if (ctl->nclients >= pd->opts.max_clients) {
		snprintf(reason, len, "%zu clients connected (max_clients)",
		    ctl->nclients);
		return 0;
	}
	if (p->admin || peer_same_user(p, &ctl->self))
		return 1;
	reserved = pd->opts.max_clients / 2 < CTL_ROOT_SLOTS ?
	    pd->opts.max_clients / 2 : CTL_ROOT_SLOTS;
	for (c = ctl->clients; c != NULL; c = c->next) {
		if (c->peer.admin || peer_same_user(&c->peer, &ctl->self))
			continue;
		others++;
		if (peer_same_user(&c->peer, p))
			mine++;
	}
	if (others >= pd->opts.max_clients - reserved) {
		snprintf(reason, len, "%zu clients connected; the last %zu "
		    "slots are kept for %s", ctl->nclients, reserved,
		    PD_ADMINS);
		return 0;
	}
	if (mine >= pd->opts.max_clients_per_uid) {
		snprintf(reason, len, "%zu connections of that user "
		    "(max_clients_per_uid)", mine);
		return 0;
	}
	return 1;
}

/* One log line per CTL_REFUSAL_LOG_MS at most: a flood of connections
 * must not become a flood of log lines. */
static void
log_refusal(struct portd *pd, const struct peer *p, const char *reason)
{
	/* One loop thread, one daemon: a plain static (log.h). */
	static struct log_limit refusals;
	char who[PEER_TEXT_MAX];

	log_limited(&refusals, uv_now(pd->loop), CTL_REFUSAL_LOG_MS,
	    LOG_LVL_WARN, "client %s refused: %s",
	    peer_text(p, who, sizeof(who)), reason);
}

static void
on_connection(uv_stream_t *server, int status)
{
	struct portd *pd = server->data;
	struct ctl *ctl = pd->ctl;
	struct ctl_client *c;
	char reason[160];
	int admitted;

	if (status < 0) {
		log_warnx("accept: %s", uv_strerror(status));
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		log_warnx("accept: out of memory");
		return;
	}
	c->pd = pd;
	uv_pipe_init(pd->loop, &c->pipe, 0);
	c->pipe.data = c;
	c->handles = 1;
	if (uv_accept(server, (uv_stream_t *)&c->pipe) != 0) {
		uv_close((uv_handle_t *)&c->pipe, on_handle_closed);
		return;
	}
	peer_identify(&c->pipe, &c->peer);
	c->last_active = uv_now(pd->loop);
	admitted = client_admitted(pd, &c->peer, reason, sizeof(reason));
	c->next = ctl->clients;
	if (ctl->clients != NULL)
		ctl->clients->prev = c;
	ctl->clients = c;
	ctl->nclients++;
	if (!admitted) {
		log_refusal(pd, &c->peer, reason);
		/* One line, written now (the socket is empty), then closed:
		 * a refused client never holds a slot, read or not. */
		c->closing = 1;
		ctl_client_send(c, proto_reply_error("null",
		    PE_TOO_MANY_CLIENTS, "too many clients; try again "
		    "later"));
		client_close(c);
		return;
	}
	client_update_reading(c);
}

static uint64_t
sweep_period(const struct portd *pd)
{
	uint64_t p = pd->opts.idle_timeout_ms / 4;

	return p < 10 ? 10 : p > 1000 ? 1000 : p;
}

/*
 * Closes clients that have neither sent nor read a byte for
 * idle_timeout_ms, unless they watch (silence is normal then) or wait
 * for a kill's reply. Runs every quarter of the timeout (at most 1 s).
 */
static void
on_idle_sweep(uv_timer_t *t)
{
	struct portd *pd = t->data;
	struct ctl_client *c, *next;
	uint64_t now = uv_now(pd->loop), limit = pd->opts.idle_timeout_ms;
	char who[PEER_TEXT_MAX];

	uv_timer_set_repeat(t, sweep_period(pd));	/* after a reload */
	if (limit == 0 || pd->ctl == NULL)
		return;
	for (c = pd->ctl->clients; c != NULL; c = next) {
		next = c->next;
		if (c->watching || c->pending > 0 ||
		    now - c->last_active < limit)
			continue;
		log_info("client %s: idle for %llu ms: closing",
		    peer_text(&c->peer, who, sizeof(who)),
		    (unsigned long long)(now - c->last_active));
		if (!c->closing) {
			c->closing = 1;
			ctl_client_send(c, proto_reply_error("null",
			    PE_IDLE_TIMEOUT, "idle for too long: closing the "
			    "connection"));
		}
		client_close(c);
	}
}


const char *
ctl_path(const struct portd *pd)
{
	return pd->ctl != NULL ? pd->ctl->path : pd->opts.socket_path;
}

int
ctl_open(struct portd *pd, char *err, size_t errlen)
{
	struct ctl *ctl;
	int r;

	if ((ctl = calloc(1, sizeof(*ctl))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	uv_pipe_init(pd->loop, &ctl->server, 0);
	ctl->server.data = pd;
	if (listen_bind(pd, &ctl->server, ctl->path, sizeof(ctl->path),
	    &ctl->created, err, errlen) == -1)
		goto fail;
	if ((r = uv_listen((uv_stream_t *)&ctl->server, CTL_BACKLOG,
	    on_connection)) != 0) {
		snprintf(err, errlen, "listen %s: %s", ctl->path,
		    uv_strerror(r));
		listen_unbind(ctl->path, ctl->created);
		goto fail;
	}
	pd->ctl = ctl;
	peer_self(&ctl->self);
	ctl->handles = 1;
	uv_idle_init(pd->loop, &ctl->turns);
	ctl->turns.data = pd;
	ctl->handles++;
	uv_timer_init(pd->loop, &ctl->idle_sweep);
	ctl->idle_sweep.data = pd;
	ctl->handles++;
	/* Always running: a reload may set idle_timeout_ms. */
	uv_timer_start(&ctl->idle_sweep, on_idle_sweep, sweep_period(pd),
	    sweep_period(pd));
	return 0;
fail:
	uv_close((uv_handle_t *)&ctl->server, NULL);
	uv_run(pd->loop, UV_RUN_NOWAIT);
	free(ctl);
	return -1;
}

static void
on_server_closed(uv_handle_t *h)
{
	struct portd *pd = h->data;

	if (--pd->ctl->handles > 0)
		return;
	free(pd->ctl);
	pd->ctl = NULL;
}

void
ctl_close(struct portd *pd)
{
	struct ctl *ctl = pd->ctl;

	if (ctl == NULL)
		return;
	while (ctl->clients != NULL)
		client_close(ctl->clients);
	listen_unbind(ctl->path, ctl->created);
	ctl->created = 0;
	uv_close((uv_handle_t *)&ctl->turns, on_server_closed);
	uv_close((uv_handle_t *)&ctl->idle_sweep, on_server_closed);
	uv_close((uv_handle_t *)&ctl->server, on_server_closed);
}
