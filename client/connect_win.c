/*
 * connect_win.c - portctl's connection to portd on Windows: the named
 * pipe (\\.\pipe\portd), opened with CreateFileW and wrapped in a C
 * runtime descriptor (_open_osfhandle) so that remote.c's descriptor
 * code serves both OSes. Reads and writes go to the handle itself, so a
 * pipe portd closed reads as end of file and writes fail with EPIPE.
 *
 * The pipe is opened for reading and writing data only (not
 * FILE_APPEND_DATA, which on a pipe means "create instances" and which
 * portd's access list grants to administrators only).
 */
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <winsock2.h>
#include <windows.h>

#include <errno.h>
#include <fcntl.h>
#include <io.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "portctl.h"

#define BUSY_TRIES	5
#define BUSY_WAIT_MS	2000

int
remote_connect(const char *path, char *err, size_t errlen)
{
	WCHAR wpath[512];
	HANDLE h = INVALID_HANDLE_VALUE;
	WSADATA wsa;
	DWORD e = 0;
	int fd, tries;

	/* The replies' addresses are parsed with inet_pton: Winsock. */
	(void)WSAStartup(MAKEWORD(2, 2), &wsa);
	if (MultiByteToWideChar(CP_UTF8, 0, path, -1, wpath, 512) == 0) {
		snprintf(err, errlen, "%s: not a pipe name", path);
		errno = EINVAL;
		return -1;
	}
	for (tries = 0; tries < BUSY_TRIES; tries++) {
		h = CreateFileW(wpath, GENERIC_READ | FILE_WRITE_DATA, 0, NULL,
		    OPEN_EXISTING, 0, NULL);
		if (h != INVALID_HANDLE_VALUE)
			break;
		/* Every instance is taken: wait for portd to offer one. */
		if ((e = GetLastError()) != ERROR_PIPE_BUSY ||
		    !WaitNamedPipeW(wpath, BUSY_WAIT_MS))
			break;
	}
	if (h == INVALID_HANDLE_VALUE) {
		switch (e) {
		case ERROR_FILE_NOT_FOUND:
		case ERROR_PATH_NOT_FOUND:
			errno = ENOENT;
			snprintf(err, errlen, "%s: no such pipe", path);
			break;
		case ERROR_ACCESS_DENIED:
			errno = EACCES;
			snprintf(err, errlen, "%s: access denied", path);
			break;
		case ERROR_PIPE_BUSY:
			errno = EBUSY;
			snprintf(err, errlen, "%s: every instance is busy",
			    path);
			break;
		default:
			errno = EIO;
			snprintf(err, errlen, "%s: error %lu", path,
			    (unsigned long)e);
		}
		return -1;
	}
	if ((fd = _open_osfhandle((intptr_t)h, _O_RDWR | _O_BINARY)) == -1) {
		snprintf(err, errlen, "%s: no descriptor for the pipe", path);
		CloseHandle(h);
		errno = EMFILE;
		return -1;
	}
	return fd;
}

ssize_t
remote_write(int fd, const void *buf, size_t len)
{
	HANDLE h = (HANDLE)_get_osfhandle(fd);
	DWORD n = 0, e;

	if (len > 1024 * 1024)
		len = 1024 * 1024;
	if (!WriteFile(h, buf, (DWORD)len, &n, NULL)) {
		e = GetLastError();
		errno = e == ERROR_BROKEN_PIPE || e == ERROR_NO_DATA ||
		    e == ERROR_PIPE_NOT_CONNECTED ? EPIPE : EIO;
		return -1;
	}
	return (ssize_t)n;
}

ssize_t
remote_read(int fd, void *buf, size_t len)
{
	HANDLE h = (HANDLE)_get_osfhandle(fd);
	DWORD n = 0, e;

	if (len > 1024 * 1024)
		len = 1024 * 1024;
	if (!ReadFile(h, buf, (DWORD)len, &n, NULL)) {
		e = GetLastError();
		/* portd closed its end: end of file. */
		if (e == ERROR_BROKEN_PIPE || e == ERROR_PIPE_NOT_CONNECTED)
			return 0;
		errno = EIO;
		return -1;
	}
	return (ssize_t)n;
}

void
remote_close(int fd)
{
	_close(fd);		/* closes the handle too */
}
