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
 * Output is queued per client. What the socket takes at once is written at
 * once (uv_try_write); only what it refuses waits, handed to libuv one
 * write at a time, so "queued" counts exactly what the client has not
 * read yet and a lagging client's queue can be discarded (what libuv
 * already holds cannot be taken back).
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "portd.h"

#define CTL_BACKLOG	4096
#define READ_CHUNK	(64 * 1024)
#define WRITE_BATCH	64
#define LAG_GRACE_MS	5000
#define LAG_HARD_FACTOR	8

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
	uid_t uid;
	gid_t gid;
	pid_t pid;
	char *in;			/* partial request line */
	size_t inlen, incap;
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
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct ctl_client *clients;
	size_t nclients;
	size_t nwatchers;
};

static void client_close(struct ctl_client *);
static void client_flush(struct ctl_client *);

uid_t
ctl_client_uid(const struct ctl_client *c)
{
	return c->uid;
}

pid_t
ctl_client_pid(const struct ctl_client *c)
{
	return c->pid;
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
	client_flush(c);
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
		    (int)c->pid);
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

/* Discards what is queued and tells a slow watcher it lost events. */
static void
client_lagged(struct ctl_client *c)
{
	struct outbuf *b, *next;
	char *line;

	for (b = c->qhead; b != NULL; b = next) {
		next = b->next;
		c->queued -= b->len - b->off;
		free(b);
	}
	c->qhead = c->qtail = NULL;
	log_warnx("watcher pid %d uid %u: more than %zu bytes unread: "
	    "dropped (lagged)", (int)c->pid, (unsigned)c->uid,
	    c->queued > LAG_HARD_FACTOR * c->pd->opts.watch_buffer ?
	    LAG_HARD_FACTOR * c->pd->opts.watch_buffer :
	    c->pd->opts.watch_buffer);
	line = proto_reply_error(c->watch_id, PE_LAGGED, "subscriber too "
	    "slow: events were dropped; reconnect and use 'events' to catch "
	    "up");
	if (line != NULL) {
		queue_line(c, line, strlen(line));
		free(line);
	}
	c->closing = 1;
	c->watching = 0;
	c->pd->ctl->nwatchers--;
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
		    (int)c->pid);
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
	log_warnx("client pid %d uid %u: request line over %d bytes: "
	    "closing", (int)c->pid, (unsigned)c->uid, PROTO_MAX_LINE);
	c->inlen = 0;
	uv_read_stop((uv_stream_t *)&c->pipe);
	ctl_client_send(c, proto_reply_error("null", PE_LINE_TOO_LONG,
	    "request line over 64 KiB: closing the connection"));
	c->closing = 1;
	client_flush(c);
}

static void
on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct ctl_client *c = (struct ctl_client *)s;
	const char *p, *end, *nl;
	size_t need, ncap;
	char *tmp;

	if (nread < 0) {
		/* EOF or error. A watcher closes to unsubscribe; any other
		 * client may have half-closed and still wait for replies. */
		uv_read_stop(s);
		if (nread != UV_EOF || c->watching) {
			client_close(c);
			return;
		}
		c->closing = 1;
		client_flush(c);
		return;
	}
	p = buf->base;
	end = p + nread;
	while (p < end && !c->closing) {
		nl = memchr(p, '\n', (size_t)(end - p));
		need = (size_t)((nl != NULL ? nl : end) - p);
		if (c->inlen + need > PROTO_MAX_LINE) {
			too_long(c);
			return;
		}
		if (c->inlen + need > c->incap) {
			ncap = c->incap ? c->incap : 1024;
			while (ncap < c->inlen + need)
				ncap *= 2;
			if ((tmp = realloc(c->in, ncap)) == NULL) {
				client_close(c);
				return;
			}
			c->in = tmp;
			c->incap = ncap;
		}
		memcpy(c->in + c->inlen, p, need);
		c->inlen += need;
		if (nl == NULL)
			break;
		p = nl + 1;
		if (c->inlen > 0 && c->in[c->inlen - 1] == '\r')
			c->inlen--;
		if (c->inlen > 0) {
			c->pd->requests++;
			cmds_dispatch(c->pd, c, c->in, c->inlen);
		}
		c->inlen = 0;
	}
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
	struct outbuf *b, *next;

	if (uv_is_closing((uv_handle_t *)&c->pipe))
		return;
	cmds_client_gone(c->pd, c);
	if (c->watching && ctl != NULL)
		ctl->nwatchers--;
	c->watching = 0;
	for (b = c->qhead; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	c->qhead = c->qtail = NULL;
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

static void
on_connection(uv_stream_t *server, int status)
{
	struct portd *pd = server->data;
	struct ctl *ctl = pd->ctl;
	struct ctl_client *c;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	uv_os_fd_t fd;

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
	c->uid = (uid_t)-1;
	c->pid = -1;
	if (uv_fileno((uv_handle_t *)&c->pipe, &fd) == 0 &&
	    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
		c->uid = cred.uid;
		c->gid = cred.gid;
		c->pid = cred.pid;
	}
	c->next = ctl->clients;
	if (ctl->clients != NULL)
		ctl->clients->prev = c;
	ctl->clients = c;
	ctl->nclients++;
	if (ctl->nclients > pd->opts.max_clients) {
		log_warnx("client pid %d uid %u refused: %zu clients "
		    "connected (max_clients)", (int)c->pid, (unsigned)c->uid,
		    pd->opts.max_clients);
		ctl_client_send(c, proto_reply_error("null",
		    PE_TOO_MANY_CLIENTS, "too many clients connected; try "
		    "again later"));
		c->closing = 1;
		client_flush(c);
		return;
	}
	uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read);
}

/*
 * A leftover socket file: if a portd answers on it, refuse; if nothing
 * does, remove it. Never remove anything that is not a socket.
 */
static int
probe_stale(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	struct stat st;
	int fd, r;

	if (lstat(path, &st) == -1)
		return errno == ENOENT ? 0 : (snprintf(err, errlen, "%s: %s",
		    path, strerror(errno)), -1);
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "%s exists and is not a socket; "
		    "refusing to remove it", path);
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path));
	r = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	close(fd);
	if (r == 0) {
		snprintf(err, errlen, "another portd is already running on %s",
		    path);
		return -1;
	}
	if (errno != ECONNREFUSED) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	log_notice("removing stale socket %s", path);
	if (unlink(path) == -1 && errno != ENOENT) {
		snprintf(err, errlen, "unlink %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Socket activation (sd_listen_fds(3)): systemd passes the listening
 * socket as fd 3 (SD_LISTEN_FDS_START) with LISTEN_FDS=1 and LISTEN_PID
 * set to our pid. The variables are unset whatever they say, so a child
 * never mistakes them for its own. Returns the fd, -1 when portd was not
 * socket-activated, or -2 with err set when fd 3 is not a listening
 * AF_UNIX stream socket.
 */
#define LISTEN_FDS_START	3

static int
activation_fd(char *path, size_t pathlen, char *err, size_t errlen)
{
	const char *pid_s = getenv("LISTEN_PID");
	const char *fds_s = getenv("LISTEN_FDS");
	struct sockaddr_un sun;
	socklen_t len, addrlen;
	unsigned long pid, nfds, i;
	char *end;
	int fd = LISTEN_FDS_START, type, listening, r = -1;

	if (pid_s == NULL || fds_s == NULL)
		goto done;
	pid = strtoul(pid_s, &end, 10);
	if (*pid_s == '\0' || *end != '\0' || pid != (unsigned long)getpid())
		goto done;		/* meant for another process */
	nfds = strtoul(fds_s, &end, 10);
	if (*fds_s == '\0' || *end != '\0' || nfds > 1024) {
		snprintf(err, errlen, "socket activation: LISTEN_FDS=%s is "
		    "not a number of descriptors", fds_s);
		r = -2;
		goto done;
	}
	if (nfds == 0)
		goto done;
	len = sizeof(type);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == -1) {
		snprintf(err, errlen, "socket activation: fd %d: %s", fd,
		    errno == ENOTSOCK ? "not a socket" : strerror(errno));
		r = -2;
		goto done;
	}
	addrlen = sizeof(sun);
	memset(&sun, 0, sizeof(sun));
	if (getsockname(fd, (struct sockaddr *)&sun, &addrlen) == -1 ||
	    sun.sun_family != AF_UNIX || type != SOCK_STREAM) {
		snprintf(err, errlen, "socket activation: fd %d is not a Unix "
		    "stream socket (portd.socket needs ListenStream=/path)",
		    fd);
		r = -2;
		goto done;
	}
	len = sizeof(listening);
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) ==
	    -1 || !listening) {
		snprintf(err, errlen, "socket activation: fd %d is not "
		    "listening (Accept=yes is not supported)", fd);
		r = -2;
		goto done;
	}
	/* For the log: the path systemd bound (abstract: unnamed). */
	if ((size_t)addrlen > sizeof(sa_family_t) && sun.sun_path[0] != '\0')
		snprintf(path, pathlen, "%.*s", (int)strnlen(sun.sun_path,
		    sizeof(sun.sun_path)), sun.sun_path);
	else
		snprintf(path, pathlen, "(unnamed)");
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) == -1)
		log_warn("socket activation: fd %d: FD_CLOEXEC", fd);
	/* Only one control socket is served: more would hang clients. */
	for (i = 1; i < nfds; i++) {
		log_warnx("socket activation: ignoring (closing) extra fd %lu",
		    LISTEN_FDS_START + i);
		close((int)(LISTEN_FDS_START + i));
	}
	r = fd;
done:
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return r;
}

/* socket.group: the socket's group, so a mode like 0660 means "that
 * group may ask". Only for a socket portd made (systemd's socket unit has
 * SocketGroup= for its own). */
static int
set_group(const char *path, const char *group, char *err, size_t errlen)
{
	struct group gr, *res = NULL;
	char buf[4096];

	if (group == NULL)
		return 0;
	if (getgrnam_r(group, &gr, buf, sizeof(buf), &res) != 0 ||
	    res == NULL) {
		snprintf(err, errlen, "socket.group: no such group '%s'",
		    group);
		return -1;
	}
	if (chown(path, (uid_t)-1, gr.gr_gid) == -1) {
		snprintf(err, errlen, "chown %s to group %s: %s", path, group,
		    strerror(errno));
		return -1;
	}
	return 0;
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
	const char *path = pd->opts.socket_path;
	char dir[sizeof(ctl->path)];
	mode_t old;
	int r, fd;

	if ((ctl = calloc(1, sizeof(*ctl))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if ((fd = activation_fd(ctl->path, sizeof(ctl->path), err,
	    errlen)) == -2) {
		free(ctl);
		return -1;
	}
	if (fd >= 0) {
		/* systemd owns the socket file: never chmod or unlink it
		 * (created stays 0), so it outlives a restart. */
		uv_pipe_init(pd->loop, &ctl->server, 0);
		ctl->server.data = pd;
		if ((r = uv_pipe_open(&ctl->server, fd)) == 0 &&
		    (r = uv_listen((uv_stream_t *)&ctl->server, CTL_BACKLOG,
		    on_connection)) == 0) {
			if (strcmp(ctl->path, path) == 0)
				log_notice("socket activation: serving %s, "
				    "passed by systemd as fd %d", ctl->path,
				    fd);
			else
				log_notice("socket activation: serving %s, "
				    "passed by systemd as fd %d, instead of "
				    "binding %s", ctl->path, fd, path);
			pd->ctl = ctl;
			return 0;
		}
		snprintf(err, errlen, "socket activation: fd %d (%s): %s", fd,
		    ctl->path, uv_strerror(r));
		uv_close((uv_handle_t *)&ctl->server, NULL);
		uv_run(pd->loop, UV_RUN_NOWAIT);
		free(ctl);
		return -1;
	}
	if (strlen(path) >= sizeof(ctl->path)) {
		snprintf(err, errlen, "socket path too long (%zu bytes, at "
		    "most %zu): %s", strlen(path), sizeof(ctl->path) - 1, path);
		free(ctl);
		return -1;
	}
	snprintf(ctl->path, sizeof(ctl->path), "%s", path);
	snprintf(dir, sizeof(dir), "%s", path);
	/* The directory (e.g. /run/portd) is made if it is missing. */
	if (mkdir(dirname(dir), 0755) == -1 && errno != EEXIST)
		log_warn("mkdir %s", dir);
	if (probe_stale(path, err, errlen) == -1) {
		free(ctl);
		return -1;
	}
	uv_pipe_init(pd->loop, &ctl->server, 0);
	ctl->server.data = pd;
	/* Bind with no access at all, then chmod: no window in which the
	 * socket has wider permissions than configured. */
	old = umask(0177);
	r = uv_pipe_bind(&ctl->server, path);
	umask(old);
	if (r != 0) {
		snprintf(err, errlen, "bind %s: %s", path, uv_strerror(r));
		uv_close((uv_handle_t *)&ctl->server, NULL);
		uv_run(pd->loop, UV_RUN_NOWAIT);
		free(ctl);
		return -1;
	}
	ctl->created = 1;
	if (set_group(path, pd->cfg.socket_group, err, errlen) == -1) {
		unlink(path);
		uv_close((uv_handle_t *)&ctl->server, NULL);
		uv_run(pd->loop, UV_RUN_NOWAIT);
		free(ctl);
		return -1;
	}
	if (chmod(path, (mode_t)pd->opts.socket_mode) == -1)
		log_warn("chmod %s", path);
	if ((r = uv_listen((uv_stream_t *)&ctl->server, CTL_BACKLOG,
	    on_connection)) != 0) {
		snprintf(err, errlen, "listen %s: %s", path, uv_strerror(r));
		unlink(path);
		uv_close((uv_handle_t *)&ctl->server, NULL);
		uv_run(pd->loop, UV_RUN_NOWAIT);
		free(ctl);
		return -1;
	}
	pd->ctl = ctl;
	return 0;
}

static void
on_server_closed(uv_handle_t *h)
{
	struct portd *pd = h->data;

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
	if (ctl->created && unlink(ctl->path) == -1 && errno != ENOENT)
		log_warn("unlink %s", ctl->path);
	ctl->created = 0;
	uv_close((uv_handle_t *)&ctl->server, on_server_closed);
}
