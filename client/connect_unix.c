/*
 * connect_unix.c - portctl's connection to portd on Linux and macOS: a
 * Unix stream socket.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "portctl.h"

int
remote_connect(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "socket path too long: %s", path);
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
#ifdef SO_NOSIGPIPE
	/* macOS: no SIGPIPE if portd goes away mid-request. */
	{
		int one = 1;

		(void)setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one,
		    sizeof(one));
	}
#endif
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		int e = errno;

		snprintf(err, errlen, "%s: %s", path, strerror(e));
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

ssize_t
remote_write(int fd, const void *buf, size_t len)
{
#ifdef MSG_NOSIGNAL
	/* Linux: no SIGPIPE if portd goes away mid-request. */
	return send(fd, buf, len, MSG_NOSIGNAL);
#else
	return write(fd, buf, len);
#endif
}

ssize_t
remote_read(int fd, void *buf, size_t len)
{
	return read(fd, buf, len);
}

void
remote_close(int fd)
{
	close(fd);
}
