/*
 * loadgen.c - the benchmark's load: P worker processes, each holding S
 * listening TCP sockets, U bound UDP sockets and F other descriptors, all
 * on loopback (127.0.0.1 and ::1) only. Nothing is ever sent anywhere.
 *
 *   loadgen -P N -S N -U N -F N -o PORTSFILE [-e PROBELOG] [-t TCPBASE]
 *           [-u UDPBASE] [-r REUSEBASE] [-p PROBEBASE]
 *   loadgen --probe PORT -e PROBELOG
 *
 * Worker i holds, of its S TCP sockets:
 *   - 127.0.0.1:R and [::1]:R with SO_REUSEPORT, R = REUSEBASE + i / 4:
 *     every port of that range is shared by up to four processes;
 *   - the rest on ports of its own from TCPBASE + i * S, some bound on
 *     both families (a v4 and a v6 socket on one port), some on one;
 * its U UDP sockets on UDPBASE + i * U + j, alternating the families, and
 * F descriptors of /dev/null and pipes (as real processes have).
 *
 * When every worker is ready the parent writes PORTSFILE, one line per
 * socket ("tcp 4 127.0.0.1 30000 1234": proto, family, address, port,
 * pid), then prints "ready" on stdout. SIGTERM or SIGINT stops it: it
 * kills and reaps every worker and exits 0.
 *
 * Probes for detection latency, timed with CLOCK_MONOTONIC and appended
 * to PROBELOG as "bind PORT PID NS" / "close PORT PID NS" right after
 * listen() / close() return:
 *   - SIGUSR1 to worker i: it listens on 127.0.0.1:(PROBEBASE + i);
 *     SIGUSR2: it closes that socket again (an existing process);
 *   - loadgen --probe PORT: a new process that listens on 127.0.0.1:PORT
 *     at once, closes it on SIGUSR2 and exits on SIGTERM.
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SHARE_GROUP	4	/* processes per SO_REUSEPORT port */
#define BACKLOG		16

struct cfg {
	int procs, tcp, udp, other;
	int tcp_base, udp_base, reuse_base, probe_base;
	const char *ports_path;
	const char *probe_path;
};

/* One socket a worker holds, as the ports file lists it. */
struct held {
	int proto;		/* 't' or 'u' */
	int family;		/* 4 or 6 */
	int port;
};

static void
die(const char *fmt, ...)
{
	va_list ap;
	int e = errno;

	fprintf(stderr, "loadgen: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (e != 0)
		fprintf(stderr, ": %s", strerror(e));
	fprintf(stderr, "\n");
	exit(1);
}

static long long
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* A loopback socket bound to port (TCP: listening); -1 with errno. */
static int
bound(int proto, int family, int port, int reuse)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	int fd, one = 1, e;

	fd = socket(family == 4 ? AF_INET : AF_INET6, (proto == 't' ?
	    SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1 ||
	    (reuse && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one,
	    sizeof(one)) == -1))
		goto fail;
	if (family == 4) {
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = htons((uint16_t)port);
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
			goto fail;
	} else {
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
		    sizeof(one)) == -1)
			goto fail;
		memset(&sin6, 0, sizeof(sin6));
		sin6.sin6_family = AF_INET6;
		sin6.sin6_port = htons((uint16_t)port);
		sin6.sin6_addr = in6addr_loopback;
		if (bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)) == -1)
			goto fail;
	}
	if (proto == 't' && listen(fd, BACKLOG) == -1)
		goto fail;
	return fd;
fail:
	e = errno;
	close(fd);
	errno = e;
	return -1;
}

/* The sockets worker i holds (the layout in the comment at the top). */
static int
layout(const struct cfg *c, int i, struct held *h)
{
	int n = 0, k, port;

	for (k = 0; k < c->tcp; k++) {
		if (k < 2) {
			h[n++] = (struct held){ 't', k == 0 ? 4 : 6,
			    c->reuse_base + i / SHARE_GROUP };
			continue;
		}
		port = c->tcp_base + i * c->tcp + k;
		if (k % 3 == 2 && k + 1 < c->tcp) {
			/* One port, both families. */
			h[n++] = (struct held){ 't', 4, port };
			h[n++] = (struct held){ 't', 6, port };
			k++;
			continue;
		}
		h[n++] = (struct held){ 't', k % 2 ? 6 : 4, port };
	}
	for (k = 0; k < c->udp; k++)
		h[n++] = (struct held){ 'u', k % 2 ? 6 : 4,
		    c->udp_base + i * c->udp + k };
	return n;
}

static void
probe_log(int logfd, const char *what, int port)
{
	char line[96];
	int n;

	if (logfd < 0)
		return;
	n = snprintf(line, sizeof(line), "%s %d %d %lld\n", what, port,
	    (int)getpid(), now_ns());
	/* O_APPEND: one write per line keeps lines whole. */
	if (write(logfd, line, (size_t)n) != n)
		_exit(3);
}

static int
probe_listen(int probe_port, int logfd)
{
	int fd;

	if ((fd = bound('t', 4, probe_port, 0)) == -1) {
		fprintf(stderr, "loadgen: probe port %d: %s\n", probe_port,
		    strerror(errno));
		_exit(2);
	}
	probe_log(logfd, "bind", probe_port);
	return fd;
}

/*
 * Waits for signals: SIGUSR1 listens on probe_port, SIGUSR2 closes it,
 * SIGTERM ends. The signals are blocked and taken with sigwaitinfo, so
 * nothing runs in a handler.
 */
static void
serve_probes(int probe_port, int logfd, int listen_now)
{
	sigset_t set;
	int sig, fd = -1;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (listen_now)
		fd = probe_listen(probe_port, logfd);
	for (;;) {
		sig = sigwaitinfo(&set, NULL);
		if (sig == SIGTERM || sig == SIGINT)
			_exit(0);
		if (sig == SIGUSR1 && fd == -1) {
			fd = probe_listen(probe_port, logfd);
		} else if (sig == SIGUSR2 && fd != -1) {
			close(fd);
			fd = -1;
			probe_log(logfd, "close", probe_port);
		}
	}
}

static void
worker(const struct cfg *c, int i, int ready_fd, int logfd)
{
	struct held *h;
	int n, k, fds[2], count = 0, fd;
	char msg[160];

	if ((h = calloc((size_t)(c->tcp + c->udp + 1), sizeof(*h))) == NULL)
		_exit(1);
	n = layout(c, i, h);
	for (k = 0; k < n; k++) {
		if (bound(h[k].proto, h[k].family, h[k].port,
		    h[k].proto == 't' && h[k].port >= c->reuse_base &&
		    h[k].port < c->reuse_base + (c->procs + SHARE_GROUP - 1) /
		    SHARE_GROUP) == -1) {
			snprintf(msg, sizeof(msg), "E%s %s/%d port %d: %s\n",
			    "bind", h[k].proto == 't' ? "tcp" : "udp",
			    h[k].family, h[k].port, strerror(errno));
			if (write(ready_fd, msg, strlen(msg)) < 0)
				_exit(1);
			_exit(1);
		}
	}
	while (count < c->other) {
		if (count % 4 == 0 && count + 2 <= c->other) {
			if (pipe2(fds, O_CLOEXEC) == -1)
				break;
			count += 2;
			continue;
		}
		if ((fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1)
			break;
		count++;
	}
	if (count < c->other) {
		snprintf(msg, sizeof(msg), "Eonly %d of %d other fds: %s\n",
		    count, c->other, strerror(errno));
		if (write(ready_fd, msg, strlen(msg)) < 0)
			_exit(1);
		_exit(1);
	}
	free(h);
	if (write(ready_fd, "k", 1) != 1)
		_exit(1);
	close(ready_fd);
	serve_probes(c->probe_base + i, logfd, 0);
}

static int
write_ports(const struct cfg *c, const pid_t *pids)
{
	struct held *h;
	char tmp[4096];
	FILE *fp;
	int i, k, n;

	snprintf(tmp, sizeof(tmp), "%s.tmp", c->ports_path);
	if ((fp = fopen(tmp, "w")) == NULL)
		return -1;
	if ((h = calloc((size_t)(c->tcp + c->udp + 1), sizeof(*h))) == NULL)
		return -1;
	for (i = 0; i < c->procs; i++) {
		n = layout(c, i, h);
		for (k = 0; k < n; k++)
			fprintf(fp, "%s %d %s %d %d\n", h[k].proto == 't' ?
			    "tcp" : "udp", h[k].family, h[k].family == 4 ?
			    "127.0.0.1" : "::1", h[k].port, (int)pids[i]);
	}
	free(h);
	if (fclose(fp) == EOF)
		return -1;
	return rename(tmp, c->ports_path);
}

static void
stop_all(const pid_t *pids, int n)
{
	int i, status;

	for (i = 0; i < n; i++)
		if (pids[i] > 0)
			kill(pids[i], SIGTERM);
	for (i = 0; i < n; i++)
		if (pids[i] > 0)
			while (waitpid(pids[i], &status, 0) == -1 &&
			    errno == EINTR)
				;
}

static void
raise_nofile(rlim_t want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = want;
	if (rl.rlim_max < want)
		rl.rlim_max = want;	/* root may raise it up to nr_open */
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
		die("setrlimit RLIMIT_NOFILE %lu", (unsigned long)want);
}

static int
num(const char *s, const char *what, int lo, int hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || v < lo || v > hi) {
		errno = 0;
		die("%s: %s is not a number in %d-%d", what, s, lo, hi);
	}
	return (int)v;
}

static void
usage(void)
{
	fprintf(stderr, "usage: loadgen -P procs -S tcp -U udp -F other -o "
	    "portsfile [-e probelog]\n               [-t tcpbase] [-u udpbase] "
	    "[-r reusebase] [-p probebase]\n       loadgen --probe port -e "
	    "probelog\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	struct cfg c = { 0, 0, 0, 0, 20000, 20000, 30000, 31000, NULL, NULL };
	sigset_t set;
	pid_t *pids;
	int i, ch, ready[2], logfd = -1, got = 0, sig, status;
	char buf[512];
	ssize_t n;
	size_t pos = 0;

	if (argc == 4 && strcmp(argv[1], "--probe") == 0)
		usage();
	if (argc == 5 && strcmp(argv[1], "--probe") == 0 &&
	    strcmp(argv[3], "-e") == 0) {
		if ((logfd = open(argv[4], O_WRONLY | O_APPEND | O_CREAT |
		    O_CLOEXEC, 0644)) == -1)
			die("%s", argv[4]);
		sigemptyset(&set);
		sigaddset(&set, SIGUSR1);
		sigaddset(&set, SIGUSR2);
		sigaddset(&set, SIGTERM);
		sigaddset(&set, SIGINT);
		sigprocmask(SIG_BLOCK, &set, NULL);
		serve_probes(num(argv[2], "--probe", 1, 65535), logfd, 1);
	}
	while ((ch = getopt(argc, argv, "P:S:U:F:o:e:t:u:r:p:")) != -1) {
		switch (ch) {
		case 'P': c.procs = num(optarg, "-P", 1, 20000); break;
		case 'S': c.tcp = num(optarg, "-S", 0, 1000); break;
		case 'U': c.udp = num(optarg, "-U", 0, 1000); break;
		case 'F': c.other = num(optarg, "-F", 0, 100000); break;
		case 'o': c.ports_path = optarg; break;
		case 'e': c.probe_path = optarg; break;
		case 't': c.tcp_base = num(optarg, "-t", 1, 65535); break;
		case 'u': c.udp_base = num(optarg, "-u", 1, 65535); break;
		case 'r': c.reuse_base = num(optarg, "-r", 1, 65535); break;
		case 'p': c.probe_base = num(optarg, "-p", 1, 65535); break;
		default: usage();
		}
	}
	if (c.procs == 0 || c.ports_path == NULL || optind != argc)
		usage();
	if (c.tcp_base + c.procs * c.tcp > 65536 ||
	    c.udp_base + c.procs * c.udp > 65536 ||
	    c.probe_base + c.procs > 65536)
		die("port ranges run past 65535");
	raise_nofile((rlim_t)(c.tcp + c.udp + c.other + 64));
	if (c.probe_path != NULL && (logfd = open(c.probe_path,
	    O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644)) == -1)
		die("%s", c.probe_path);
	if ((pids = calloc((size_t)c.procs, sizeof(*pids))) == NULL)
		die("out of memory");
	/* Blocked before fork: the workers inherit the mask, and no signal
	 * is lost between fork and sigwaitinfo. */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if (pipe2(ready, O_CLOEXEC) == -1)
		die("pipe");
	for (i = 0; i < c.procs; i++) {
		if ((pids[i] = fork()) == -1) {
			stop_all(pids, i);
			die("fork (worker %d)", i);
		}
		if (pids[i] == 0) {
			close(ready[0]);
			worker(&c, i, ready[1], logfd);
		}
	}
	close(ready[1]);
	/* "k" per ready worker; "E<message>\n" from one that failed. */
	while (got < c.procs) {
		n = read(ready[0], buf + pos, sizeof(buf) - 1 - pos);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			stop_all(pids, c.procs);
			errno = 0;
			die("workers ended before all were ready (%d of %d)",
			    got, c.procs);
		}
		buf[pos + (size_t)n] = '\0';
		for (i = 0; i < n; i++)
			if (buf[pos + (size_t)i] == 'k')
				got++;
		if (strchr(buf + pos, 'E') != NULL) {
			/* Read the rest of the message, then give up. */
			usleep(100000);
			n = read(ready[0], buf + pos + (size_t)n,
			    sizeof(buf) - 1 - pos - (size_t)n);
			stop_all(pids, c.procs);
			errno = 0;
			die("a worker failed: %s", strchr(buf, 'E') + 1);
		}
	}
	close(ready[0]);
	if (write_ports(&c, pids) == -1) {
		stop_all(pids, c.procs);
		die("%s", c.ports_path);
	}
	printf("ready %d processes\n", c.procs);
	fflush(stdout);
	for (;;) {
		sig = sigwaitinfo(&set, NULL);
		if (sig == SIGTERM || sig == SIGINT)
			break;
		if (sig == SIGCHLD) {
			/* A worker should not die: say so, keep the rest. */
			while ((n = waitpid(-1, &status, WNOHANG)) > 0)
				fprintf(stderr, "loadgen: worker %d ended "
				    "(status %d)\n", (int)n, status);
		}
	}
	stop_all(pids, c.procs);
	free(pids);
	return 0;
}
