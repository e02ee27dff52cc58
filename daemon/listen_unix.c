/*
 * listen_unix.c - the control endpoint on Linux and macOS: a Unix socket
 * file in a directory only portd's user may change (checked: otherwise
 * whoever can write it could put their own socket or a symlink in its
 * place). A leftover file is probed before it is removed; the socket is
 * created with its configured mode (the umask around bind), then given
 * its group; under
 * systemd socket activation the passed socket is served instead and never
 * removed.
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

#include "listen.h"
#include "log.h"
#include "portd.h"

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
	/* fcntl rather than SOCK_CLOEXEC, which macOS lacks. */
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
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
 * The socket's directory must be a directory (not a symlink) owned by
 * portd's effective user (root for the real daemon) and writable by no
 * one else. A sticky world-writable directory such as /tmp is refused
 * too: there anyone can create the socket's name first (a socket of
 * their own that clients would then trust, or a symlink), and portd
 * would refuse to start or serve through a name it does not own.
 */
static int
check_dir(const char *dir, char *err, size_t errlen)
{
	struct stat st;

	if (lstat(dir, &st) == -1) {
		snprintf(err, errlen, "socket directory %s: %s", dir,
		    strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "socket directory %s is %s; refusing "
		    "it", dir, S_ISLNK(st.st_mode) ? "a symbolic link" :
		    "not a directory");
		return -1;
	}
	if (st.st_uid != geteuid()) {
		snprintf(err, errlen, "socket directory %s is owned by uid %u, "
		    "not by portd's uid %u; refusing it (another user could "
		    "replace the socket)", dir, (unsigned)st.st_uid,
		    (unsigned)geteuid());
		return -1;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(err, errlen, "socket directory %s is writable by "
		    "%s (mode %04o); refusing it (they could replace the "
		    "socket): chmod go-w it", dir, st.st_mode & S_IWOTH ?
		    "others" : "its group", (unsigned)(st.st_mode & 07777));
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
	/* By path, but in a directory only portd's user may write (see
	 * check_dir), and lchown: never through a symlink. */
	if (lchown(path, (uid_t)-1, gr.gr_gid) == -1) {
		snprintf(err, errlen, "chown %s to group %s: %s", path, group,
		    strerror(errno));
		return -1;
	}
	return 0;
}

int
listen_bind(struct portd *pd, uv_pipe_t *server, char *out, size_t outlen,
    int *created, char *err, size_t errlen)
{
	const char *path = pd->opts.socket_path;
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	mode_t old;
	int r, fd;

	*created = 0;
	if ((fd = activation_fd(out, outlen, err, errlen)) == -2)
		return -1;
	if (fd >= 0) {
		/* systemd owns the socket file: never chmod or unlink it
		 * (created stays 0), so it outlives a restart. */
		if ((r = uv_pipe_open(server, fd)) != 0) {
			snprintf(err, errlen, "socket activation: fd %d (%s): "
			    "%s", fd, out, uv_strerror(r));
			return -1;
		}
		if (strcmp(out, path) == 0)
			log_notice("socket activation: serving %s, passed by "
			    "systemd as fd %d", out, fd);
		else
			log_notice("socket activation: serving %s, passed by "
			    "systemd as fd %d, instead of binding %s", out, fd,
			    path);
		return 0;
	}
	if (strlen(path) >= sizeof(dir) || strlen(path) >= outlen) {
		snprintf(err, errlen, "socket path too long (%zu bytes, at "
		    "most %zu): %s", strlen(path), sizeof(dir) - 1, path);
		return -1;
	}
	snprintf(out, outlen, "%s", path);
	snprintf(dir, sizeof(dir), "%s", path);
	/* The directory (e.g. /run/portd) is made if it is missing. */
	if (mkdir(dirname(dir), 0755) == -1 && errno != EEXIST)
		log_warn("mkdir %s", dir);
	if (check_dir(dir, err, errlen) == -1)
		return -1;
	if (probe_stale(path, err, errlen) == -1)
		return -1;
	/* The socket gets its mode as bind creates it (the kernel applies
	 * the umask to a new socket file): nothing changes it by path
	 * afterwards. The umask is the process's, and portd has no other
	 * thread at this point. */
	old = umask((mode_t)(~pd->opts.socket_mode & 0777));
	r = uv_pipe_bind(server, path);
	umask(old);
	if (r != 0) {
		snprintf(err, errlen, "bind %s: %s", path, uv_strerror(r));
		return -1;
	}
	*created = 1;
	if (set_group(path, pd->cfg.socket_group, err, errlen) == -1) {
		listen_unbind(path, 1);
		*created = 0;
		return -1;
	}
	return 0;
}

void
listen_unbind(const char *path, int created)
{
	if (created && unlink(path) == -1 && errno != ENOENT)
		log_warn("unlink %s", path);
}
