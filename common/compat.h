/*
 * compat.h - the one header where shared code meets small OS differences
 * (POSIX headers and names Windows spells otherwise, signal numbers for
 * the name table, the default endpoint). Anything larger than a name or a
 * one-line wrapper is a per-OS file behind its own header instead
 * (backend_*.c, listen_*.c, peer_*.c, os_*.c, connect_*.c).
 *
 * Include it instead of <arpa/inet.h>, <netdb.h>, <strings.h> and
 * <unistd.h> in code that builds for Windows too.
 */
#ifndef PORTD_COMPAT_H
#define PORTD_COMPAT_H

#ifdef _WIN32

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>

#include <io.h>
#include <process.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

/*
 * UTC time <-> broken-down time. The C runtime's own (_mkgmtime,
 * gmtime_s) stop at the year 3000; these are plain calendar arithmetic
 * (proleptic Gregorian, any year), as on POSIX systems.
 */
static inline int64_t
pd_days_from_civil(int64_t y, int64_t m, int64_t d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static inline struct tm *
pd_win_gmtime_r(const time_t *t, struct tm *tm)
{
	int64_t z = (int64_t)*t, days, secs, era, doe, yoe, y, doy, mp, m;

	days = z / 86400 - (z % 86400 < 0);
	secs = z - days * 86400;
	z = days + 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	m = mp < 10 ? mp + 3 : mp - 9;
	y += m <= 2;
	memset(tm, 0, sizeof(*tm));
	tm->tm_year = (int)(y - 1900);
	tm->tm_mon = (int)(m - 1);
	tm->tm_mday = (int)(doy - (153 * mp + 2) / 5 + 1);
	tm->tm_hour = (int)(secs / 3600);
	tm->tm_min = (int)(secs / 60 % 60);
	tm->tm_sec = (int)(secs % 60);
	tm->tm_wday = (int)(((days + 4) % 7 + 7) % 7);
	tm->tm_yday = (int)(days - pd_days_from_civil(y, 1, 1));
	return tm;
}

static inline time_t
pd_win_timegm(struct tm *tm)
{
	int64_t y = (int64_t)tm->tm_year + 1900, m = tm->tm_mon, t;
	time_t r;

	y += m / 12 - (m % 12 < 0);
	m = (m % 12 + 12) % 12;
	t = (pd_days_from_civil(y, m + 1, 1) + tm->tm_mday - 1) * 86400 +
	    (int64_t)tm->tm_hour * 3600 + (int64_t)tm->tm_min * 60 +
	    tm->tm_sec;
	r = (time_t)t;
	pd_win_gmtime_r(&r, tm);	/* normalised, as timegm(3) does */
	return r;
}
#undef gmtime_r
#define gmtime_r(t, tm)	pd_win_gmtime_r(t, tm)
#define timegm(tm)	pd_win_timegm(tm)

/*
 * Windows has no signals, but the names are part of the protocol and of
 * portctl's --signal: give the missing ones their Linux numbers where
 * those are free (libuv already defines SIGHUP, SIGKILL and SIGWINCH).
 * The backend terminates the process whatever the number.
 */
#ifndef SIGHUP
#define SIGHUP		1
#endif
#define SIGQUIT		3
#define SIGTRAP		5
#define SIGBUS		7
#ifndef SIGKILL
#define SIGKILL		9
#endif
#define SIGUSR1		10
#define SIGUSR2		12
#define SIGPIPE		13
#define SIGALRM		14
#define SIGTTIN		16	/* Linux: 21, SIGBREAK here */
#define SIGCHLD		17
#define SIGCONT		18
#define SIGSTOP		19
#define SIGTSTP		20
#define SIGURG		23
#define SIGXCPU		24
#define SIGXFSZ		25
#define SIGVTALRM	26
#define SIGPROF		27
#ifndef SIGWINCH
#define SIGWINCH	28
#endif
#define SIGIO		29
#define SIGTTOU		30	/* Linux: 22, SIGABRT here */
#define SIGSYS		31

/*
 * Winsock needs WSAStartup before getservbyname (portd's loop does it
 * through libuv; portctl has no loop). Reference-counted: calling it once
 * per lookup site is harmless.
 */
static inline struct servent *
pd_win_getservbyname(const char *name, const char *proto)
{
	static int started;
	WSADATA wsa;

	if (!started)
		started = WSAStartup(MAKEWORD(2, 2), &wsa) == 0;
	return getservbyname(name, proto);
}
#define getservbyname(name, proto)	pd_win_getservbyname(name, proto)

/* The control endpoint: a named pipe instead of proto.h's socket path. */
#define PD_DEFAULT_ENDPOINT(unix_socket)	"\\\\.\\pipe\\portd"

/* Who may do everything (reload): the Administrators group. */
#define PD_ADMINS	"Administrators"

/* Windows's Idle (0) and System (4) processes: never acted on. */
#define PD_PID_SYSTEM	4

/* Account and file names are case-insensitive; '\' separates paths. */
#define PD_GLOB_NAMES	(GLOB_CASEFOLD | GLOB_BACKSLASH)
#define PD_GLOB_PATHS	(GLOB_PATHNAME | GLOB_CASEFOLD | GLOB_BACKSLASH)

#else /* POSIX */

#include <arpa/inet.h>
#include <netdb.h>
#include <strings.h>
#include <unistd.h>

#ifdef __APPLE__
/* macOS has no /run: its runtime directory is /var/run. */
#define PD_DEFAULT_ENDPOINT(unix_socket)	"/var/run/portd/portd.sock"
#else
#define PD_DEFAULT_ENDPOINT(unix_socket)	unix_socket
#endif
#define PD_ADMINS	"root"
#define PD_PID_SYSTEM	0	/* nothing beyond pid 0..2 */
#define PD_GLOB_NAMES	0
#define PD_GLOB_PATHS	GLOB_PATHNAME

#endif

#endif
