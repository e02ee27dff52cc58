/*
 * listen_win.c - the control endpoint on Windows: a named pipe,
 * \\.\pipe\portd by default, served by ctl.c through the same uv_pipe code
 * as the Unix socket.
 *
 * Who may open it. libuv creates every instance of a server pipe with
 * the default security descriptor (which lets Everyone only read) but
 * with WRITE_DAC (libuv 1.44 src/win/pipe.c, pipe_alloc_accept; it is
 * what uv_pipe_chmod uses), and a pipe's security descriptor belongs to
 * the pipe, not to one instance. So right after binding, portd replaces
 * the DACL, protected from inheritance:
 *   SYSTEM, Administrators and portd's own account: full control (the
 *     server needs FILE_CREATE_PIPE_INSTANCE for each new instance);
 *   Authenticated Users: read and write data, but not
 *     FILE_CREATE_PIPE_INSTANCE (0x12019b = generic read and write
 *     without FILE_APPEND_DATA), so no one else can serve instances of
 *     portd's pipe and impersonate it.
 * What each client may do is then decided per request from its token
 * (peer_win.c). socket.mode and socket.group do not apply to a pipe.
 *
 * One portd per pipe name: libuv asks for FILE_FLAG_FIRST_PIPE_INSTANCE,
 * which Windows enforces (a second bind fails with EADDRINUSE) but Wine
 * ignores, so a named mutex guards the name as well.
 */
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>
#include <aclapi.h>
#include <sddl.h>

#include <stdio.h>
#include <string.h>

#include "listen.h"
#include "log.h"
#include "portd.h"

#define PIPE_PREFIX	"\\\\.\\pipe\\"
#define PIPE_NAME_MAX	256		/* Windows's limit, prefix included */

static HANDLE instance_mutex;

/* Global\portd-pipe-NAME: '\' may not appear after the namespace. */
static int
mutex_name(const char *pipe, WCHAR *out, size_t len)
{
	char name[PIPE_NAME_MAX + 32];
	char *p;

	snprintf(name, sizeof(name), "Global\\portd-pipe-%s",
	    pipe + strlen(PIPE_PREFIX));
	for (p = name + strlen("Global\\"); *p != '\0'; p++)
		if (*p == '\\')
			*p = '/';
	return MultiByteToWideChar(CP_UTF8, 0, name, -1, out, (int)len) == 0 ?
	    -1 : 0;
}

/* This process's account as an SDDL SID string; LocalFree it. */
static LPWSTR
self_sid(void)
{
	union {
		TOKEN_USER tu;
		unsigned char raw[256];
	} u;
	HANDLE tok;
	DWORD n;
	LPWSTR s = NULL;

	if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &tok))
		return NULL;
	if (GetTokenInformation(tok, TokenUser, &u, sizeof(u), &n))
		(void)ConvertSidToStringSidW(u.tu.User.Sid, &s);
	CloseHandle(tok);
	return s;
}

/* Replaces the pipe's DACL as described above. 0, or -1 with err. */
static int
restrict_pipe(uv_pipe_t *server, char *err, size_t errlen)
{
	WCHAR sddl[512];
	PSECURITY_DESCRIPTOR sd = NULL;
	PACL dacl = NULL;
	BOOL present = FALSE, defaulted = FALSE;
	uv_os_fd_t h;
	LPWSTR me;
	DWORD e;

	if (uv_fileno((uv_handle_t *)server, &h) != 0) {
		snprintf(err, errlen, "pipe: no handle to secure");
		return -1;
	}
	me = self_sid();
	_snwprintf(sddl, sizeof(sddl) / sizeof(sddl[0]),
	    L"D:P(A;;GA;;;SY)(A;;GA;;;BA)%ls%ls%ls(A;;0x12019b;;;AU)",
	    me != NULL ? L"(A;;GA;;;" : L"", me != NULL ? me : L"",
	    me != NULL ? L")" : L"");
	sddl[sizeof(sddl) / sizeof(sddl[0]) - 1] = L'\0';
	if (me != NULL)
		LocalFree(me);
	if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl,
	    SDDL_REVISION_1, &sd, NULL) ||
	    !GetSecurityDescriptorDacl(sd, &present, &dacl, &defaulted)) {
		snprintf(err, errlen, "pipe security descriptor: error %lu",
		    (unsigned long)GetLastError());
		if (sd != NULL)
			LocalFree(sd);
		return -1;
	}
	e = SetSecurityInfo(h, SE_KERNEL_OBJECT, DACL_SECURITY_INFORMATION |
	    PROTECTED_DACL_SECURITY_INFORMATION, NULL, NULL, dacl, NULL);
	LocalFree(sd);
	if (e != ERROR_SUCCESS) {
		snprintf(err, errlen, "setting the pipe's access list: error "
		    "%lu", (unsigned long)e);
		return -1;
	}
	return 0;
}

int
listen_bind(struct portd *pd, uv_pipe_t *server, char *out, size_t outlen,
    int *created, char *err, size_t errlen)
{
	const char *path = pd->opts.socket_path;
	WCHAR mname[PIPE_NAME_MAX + 32];
	DWORD e;
	int r;

	*created = 0;
	if (strncmp(path, PIPE_PREFIX, strlen(PIPE_PREFIX)) != 0 ||
	    path[strlen(PIPE_PREFIX)] == '\0') {
		snprintf(err, errlen, "%s: on Windows the control endpoint is "
		    "a named pipe, %sNAME", path, PIPE_PREFIX);
		return -1;
	}
	if (strlen(path) >= PIPE_NAME_MAX || strlen(path) >= outlen) {
		snprintf(err, errlen, "pipe name too long (%zu bytes, at most "
		    "%d): %s", strlen(path), PIPE_NAME_MAX - 1, path);
		return -1;
	}
	if (pd->cfg.socket_group != NULL)
		log_warnx("socket.group does not apply to a named pipe: "
		    "ignored");
	if (mutex_name(path, mname, sizeof(mname) / sizeof(mname[0])) == -1) {
		snprintf(err, errlen, "%s: bad pipe name", path);
		return -1;
	}
	instance_mutex = CreateMutexW(NULL, FALSE, mname);
	e = GetLastError();
	if (instance_mutex == NULL || e == ERROR_ALREADY_EXISTS) {
		if (instance_mutex != NULL)
			CloseHandle(instance_mutex);
		instance_mutex = NULL;
		if (e == ERROR_ALREADY_EXISTS || e == ERROR_ACCESS_DENIED)
			snprintf(err, errlen, "another portd is already "
			    "running on %s", path);
		else
			snprintf(err, errlen, "%s: instance mutex: error %lu",
			    path, (unsigned long)e);
		return -1;
	}
	if ((r = uv_pipe_bind(server, path)) != 0) {
		if (r == UV_EADDRINUSE)
			snprintf(err, errlen, "another portd is already "
			    "running on %s", path);
		else
			snprintf(err, errlen, "bind %s: %s", path,
			    uv_strerror(r));
		listen_unbind(path, 0);
		return -1;
	}
	if (restrict_pipe(server, err, errlen) == -1) {
		listen_unbind(path, 0);
		return -1;
	}
	snprintf(out, outlen, "%s", path);
	*created = 1;
	return 0;
}

void
listen_unbind(const char *path, int created)
{
	/* The pipe goes with its last handle; only the guard is ours. */
	(void)path;
	(void)created;
	if (instance_mutex != NULL) {
		CloseHandle(instance_mutex);
		instance_mutex = NULL;
	}
}
