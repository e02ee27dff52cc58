/*
 * ctlbench.c - load on portd's control socket, for the benchmark.
 *
 *   ctlbench -S SOCKET -c CLIENTS -d SECONDS -p PORT [-w WINDOW]
 *
 * Opens CLIENTS connections first (all of them held open at once), then
 * for SECONDS keeps WINDOW `who PORT` requests outstanding on each: WINDOW
 * 1 is ping-pong (send, wait for the reply, send again), more is
 * pipelined. Every reply must be {"ok":true,...}; a connection that gets
 * anything else (too_many_clients when over max_clients) or is closed
 * counts as failed. Prints one line of JSON: clients asked and held,
 * failed, replies, elapsed seconds, requests/s, and the p50/p99 round
 * trip in ping-pong mode.
 */
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define RBUF	(256 * 1024)
#define MAX_SAMPLES	(4 * 1024 * 1024)

struct conn {
	int fd;
	int failed;
	int got_ok;
	long outstanding;
	long long sent_at;	/* ping-pong: when the request went out */
	char *in;
	size_t inlen;
};

static long long
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int
cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

static int
send_all(int fd, const char *buf, size_t len)
{
	size_t off = 0;
	ssize_t n;

	while (off < len) {
		n = send(fd, buf + off, len - off, MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN) {
			/* The daemon reads slower than we write: wait. */
			struct timespec ts = { 0, 100000 };

			nanosleep(&ts, NULL);
			continue;
		}
		if (n == -1)
			return -1;
		off += (size_t)n;
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	const char *sock = NULL;
	struct sockaddr_un sun;
	struct epoll_event ev, *evs;
	struct conn *cs;
	struct rlimit rl;
	long long t0, t1, deadline, *samples, nsamples = 0, replies = 0;
	long clients = 1, window = 1, i, k, held = 0, failed = 0;
	double secs = 5;
	char req[128], *batch, *nl, *p;
	size_t reqlen;
	ssize_t n;
	int ch, ep, port = 0, nev, j, stopping = 0;

	while ((ch = getopt(argc, argv, "S:c:d:p:w:")) != -1) {
		switch (ch) {
		case 'S': sock = optarg; break;
		case 'c': clients = strtol(optarg, NULL, 10); break;
		case 'd': secs = strtod(optarg, NULL); break;
		case 'p': port = (int)strtol(optarg, NULL, 10); break;
		case 'w': window = strtol(optarg, NULL, 10); break;
		default:
			fprintf(stderr, "usage: ctlbench -S socket -c clients "
			    "-d seconds -p port [-w window]\n");
			return 2;
		}
	}
	if (sock == NULL || clients < 1 || window < 1 || port < 1 ||
	    strlen(sock) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "ctlbench: need -S socket, -c >= 1, -w >= 1, "
		    "-p port\n");
		return 2;
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur < (rlim_t)clients + 64) {
		rl.rlim_cur = (rlim_t)clients + 64;
		if (rl.rlim_max < rl.rlim_cur)
			rl.rlim_max = rl.rlim_cur;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1) {
			perror("ctlbench: setrlimit");
			return 1;
		}
	}
	reqlen = (size_t)snprintf(req, sizeof(req),
	    "{\"id\":1,\"cmd\":\"who\",\"ports\":[\"%d\"]}\n", port);
	cs = calloc((size_t)clients, sizeof(*cs));
	evs = calloc(1024, sizeof(*evs));
	samples = window == 1 ? malloc(MAX_SAMPLES * sizeof(*samples)) : NULL;
	batch = malloc(reqlen * (size_t)window);
	if (cs == NULL || evs == NULL || batch == NULL ||
	    (window == 1 && samples == NULL) || (ep = epoll_create1(0)) == -1)
		return 1;
	for (k = 0; k < window; k++)
		memcpy(batch + (size_t)k * reqlen, req, reqlen);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, sock, strlen(sock));
	/* Every connection first: they are all held at once. */
	for (i = 0; i < clients; i++) {
		cs[i].fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (cs[i].fd == -1 || connect(cs[i].fd,
		    (struct sockaddr *)&sun, sizeof(sun)) == -1) {
			fprintf(stderr, "ctlbench: connect %ld: %s\n", i,
			    strerror(errno));
			return 1;
		}
		if ((cs[i].in = malloc(RBUF)) == NULL)
			return 1;
		fcntl(cs[i].fd, F_SETFL, O_NONBLOCK);
		ev.events = EPOLLIN;
		ev.data.u64 = (uint64_t)i;
		epoll_ctl(ep, EPOLL_CTL_ADD, cs[i].fd, &ev);
	}
	t0 = now_ns();
	deadline = t0 + (long long)(secs * 1e9);
	for (i = 0; i < clients; i++) {
		cs[i].sent_at = now_ns();
		if (send_all(cs[i].fd, batch, reqlen * (size_t)window) == -1)
			cs[i].failed = 1;
		else
			cs[i].outstanding = window;
	}
	for (;;) {
		long live = 0;

		for (i = 0; i < clients; i++)
			if (!cs[i].failed && cs[i].outstanding > 0)
				live++;
		if (live == 0)
			break;
		nev = epoll_wait(ep, evs, 1024, 1000);
		if (nev == -1 && errno == EINTR)
			continue;
		if (nev == 0 && now_ns() > deadline + 5000000000LL)
			break;		/* replies stopped coming */
		for (j = 0; j < nev; j++) {
			struct conn *c = &cs[evs[j].data.u64];
			long done = 0;

			if (c->failed)
				continue;
			n = read(c->fd, c->in + c->inlen, RBUF - c->inlen);
			if (n == -1 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (n <= 0) {
				c->failed = 1;
				epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
				continue;
			}
			c->inlen += (size_t)n;
			p = c->in;
			while ((nl = memchr(p, '\n', c->inlen - (size_t)(p -
			    c->in))) != NULL) {
				if (strncmp(p, "{\"id\":1,\"ok\":true", 17) != 0)
					c->failed = 1;
				else
					c->got_ok = 1;
				done++;
				p = nl + 1;
			}
			c->inlen -= (size_t)(p - c->in);
			memmove(c->in, p, c->inlen);
			if (c->inlen == RBUF) {
				c->failed = 1;	/* a line over 256 KiB */
				continue;
			}
			if (c->failed) {
				epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
				continue;
			}
			replies += done;
			c->outstanding -= done;
			t1 = now_ns();
			if (window == 1 && done > 0 && nsamples < MAX_SAMPLES)
				samples[nsamples++] = t1 - c->sent_at;
			if (t1 >= deadline) {
				stopping = 1;
				continue;
			}
			/* Top the window up again. */
			if (done > 0) {
				c->sent_at = t1;
				if (send_all(c->fd, batch, reqlen *
				    (size_t)done) == -1)
					c->failed = 1;
				else
					c->outstanding += done;
			}
		}
	}
	t1 = now_ns();
	for (i = 0; i < clients; i++) {
		if (cs[i].failed || !cs[i].got_ok)
			failed++;
		else
			held++;
		close(cs[i].fd);
		free(cs[i].in);
	}
	(void)stopping;
	printf("{\"clients\":%ld,\"window\":%ld,\"held\":%ld,\"failed\":%ld,"
	    "\"replies\":%lld,\"seconds\":%.3f,\"rps\":%.0f", clients,
	    window, held, failed, replies, (double)(t1 - t0) / 1e9,
	    (double)replies / ((double)(t1 - t0) / 1e9));
	if (nsamples > 0) {
		qsort(samples, (size_t)nsamples, sizeof(*samples), cmp_ll);
		printf(",\"rtt_p50_us\":%.1f,\"rtt_p99_us\":%.1f",
		    (double)samples[nsamples / 2] / 1e3,
		    (double)samples[nsamples * 99 / 100] / 1e3);
	}
	printf("}\n");
	free(samples);
	free(batch);
	free(cs);
	free(evs);
	return failed > 0 ? 1 : 0;
}
