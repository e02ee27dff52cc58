/*
 * notify.c - the sd_notify(3) datagram protocol without libsystemd.
 *
 * systemd (Type=notify) passes the address of its notification socket in
 * NOTIFY_SOCKET: an absolute path, or an abstract socket written with a
 * leading '@'. Each state change is one datagram of "KEY=value" lines.
 * One socket is opened at notify_init() and kept for the process's life,
 * so a WATCHDOG=1 still goes out when every other descriptor is in use.
 *
 * A send never blocks the loop for long: the socket has a send timeout,
 * so a notification socket nobody reads (a stuck or test receiver) costs
 * at most NOTIFY_SEND_TIMEOUT_MS per message, and the message is lost.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "notify.h"

#define NOTIFY_SEND_TIMEOUT_MS	2000
#define NOTIFY_MSG_MAX		4096

static struct {
	int fd;				/* -1: notifications are off */
	struct sockaddr_un addr;
	socklen_t addrlen;
	char name[sizeof(((struct sockaddr_un *)0)->sun_path) + 1];
	uint64_t watchdog_usec;
	int failing;			/* the last send failed (logged) */
} notify = { -1, { 0 }, 0, "", 0, 0 };

/* A decimal number without sign or junk; -1 if s is not one. */
static int
parse_u64(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

/*
 * WATCHDOG_USEC is the period systemd expects a WATCHDOG=1 within;
 * WATCHDOG_PID, when set, names the process it is meant for (a child that
 * inherited the environment must not take it as its own).
 */
static void
watchdog_init(void)
{
	const char *usec = getenv("WATCHDOG_USEC");
	const char *pid = getenv("WATCHDOG_PID");
	uint64_t v, p;

	notify.watchdog_usec = 0;
	if (usec == NULL)
		goto done;
	if (parse_u64(usec, &v) == -1 || v == 0) {
		log_warnx("WATCHDOG_USEC=%s is not a period in microseconds: "
		    "watchdog off", usec);
		goto done;
	}
	if (pid != NULL) {
		if (parse_u64(pid, &p) == -1) {
			log_warnx("WATCHDOG_PID=%s is not a pid: watchdog off",
			    pid);
			goto done;
		}
		if (p != (uint64_t)getpid()) {
			log_debug("WATCHDOG_PID=%s is not this process (%d): "
			    "watchdog off", pid, (int)getpid());
			goto done;
		}
	}
	notify.watchdog_usec = v;
done:
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
}

/* Fills notify.addr from NOTIFY_SOCKET's value; -1 if it is not one. */
static int
parse_address(const char *s)
{
	size_t len = strlen(s);

	memset(&notify.addr, 0, sizeof(notify.addr));
	notify.addr.sun_family = AF_UNIX;
	if (s[0] == '/') {
		/* A path: with its NUL, as sd_notify sends it. */
		if (len >= sizeof(notify.addr.sun_path))
			return -1;
		memcpy(notify.addr.sun_path, s, len);
		notify.addrlen = (socklen_t)(offsetof(struct sockaddr_un,
		    sun_path) + len + 1);
		return 0;
	}
	if (s[0] == '@' && len >= 2) {
		/* Abstract: a leading NUL, the name, no terminator. */
		if (len > sizeof(notify.addr.sun_path))
			return -1;
		memcpy(notify.addr.sun_path + 1, s + 1, len - 1);
		notify.addrlen = (socklen_t)(offsetof(struct sockaddr_un,
		    sun_path) + len);
		return 0;
	}
	return -1;
}

void
notify_init(void)
{
	const char *s = getenv("NOTIFY_SOCKET");
	struct timeval tv;

	if (notify.fd != -1) {
		close(notify.fd);
		notify.fd = -1;
	}
	notify.failing = 0;
	notify.name[0] = '\0';
	/* Read the watchdog first: it is meaningless without a socket,
	 * but its variables are unset either way. */
	watchdog_init();
	if (s == NULL || *s == '\0')
		goto off;
	if (parse_address(s) == -1) {
		log_warnx("NOTIFY_SOCKET=%s is neither an absolute path nor "
		    "an abstract socket (@name) that fits in sun_path: "
		    "systemd will not hear from portd", s);
		goto off;
	}
	snprintf(notify.name, sizeof(notify.name), "%s", s);
	/* fcntl rather than SOCK_CLOEXEC, which macOS lacks. */
	if ((notify.fd = socket(AF_UNIX, SOCK_DGRAM, 0)) == -1) {
		log_warn("notify socket");
		goto off;
	}
	(void)fcntl(notify.fd, F_SETFD, FD_CLOEXEC);
	tv.tv_sec = NOTIFY_SEND_TIMEOUT_MS / 1000;
	tv.tv_usec = (NOTIFY_SEND_TIMEOUT_MS % 1000) * 1000;
	if (setsockopt(notify.fd, SOL_SOCKET, SO_SNDTIMEO, &tv,
	    sizeof(tv)) == -1)
		log_warn("notify socket: SO_SNDTIMEO");
	unsetenv("NOTIFY_SOCKET");
	if (notify.watchdog_usec > 0)
		log_debug("systemd notifications to %s, watchdog every %"
		    PRIu64 " us", notify.name, notify.watchdog_usec);
	else
		log_debug("systemd notifications to %s", notify.name);
	return;
off:
	unsetenv("NOTIFY_SOCKET");
	notify.watchdog_usec = 0;
}

int
notify_send(const char *msg)
{
	char buf[NOTIFY_MSG_MAX];
	struct timespec ts;
	const char *out = msg;
	size_t len;
	ssize_t n;

	if (notify.fd == -1 || msg == NULL)
		return 0;
	len = strlen(msg);
	/*
	 * systemd 253 and later (Type=notify-reload) order a reload by
	 * the CLOCK_MONOTONIC time sent with RELOADING=1; older versions
	 * ignore the field. Added here so no caller can forget it.
	 */
	if (strncmp(msg, "RELOADING=1", 11) == 0 && (msg[11] == '\0' ||
	    msg[11] == '\n') && strstr(msg, "MONOTONIC_USEC=") == NULL &&
	    clock_gettime(CLOCK_MONOTONIC, &ts) == 0) {
		n = snprintf(buf, sizeof(buf), "%s\nMONOTONIC_USEC=%" PRIu64,
		    msg, (uint64_t)ts.tv_sec * 1000000 +
		    (uint64_t)ts.tv_nsec / 1000);
		if (n > 0 && (size_t)n < sizeof(buf)) {
			out = buf;
			len = (size_t)n;
		}
	}
	/* No MSG_NOSIGNAL (macOS lacks it): a datagram sent to an address
	 * raises no SIGPIPE, and portd ignores SIGPIPE anyway. */
	n = sendto(notify.fd, out, len, 0,
	    (struct sockaddr *)&notify.addr, notify.addrlen);
	if (n == -1) {
		/* Once per run of failures, not once per message. */
		if (!notify.failing)
			log_warn("notify %s", notify.name);
		notify.failing = 1;
		return -1;
	}
	if (notify.failing)
		log_notice("notify %s: sending again", notify.name);
	notify.failing = 0;
	return 0;
}

uint64_t
notify_watchdog_usec(void)
{
	return notify.fd != -1 ? notify.watchdog_usec : 0;
}
