/*
 * os_win.c - portd on Windows (see os.h). Ctrl-C and Ctrl-Break stop it
 * in a console; the service manager stops it through os_win_request_stop
 * (an async handle woken from the control handler's thread). There is no
 * SIGHUP: reload with `portctl reload`. The configuration is in
 * %ProgramData%\portd. The service's modes (--install-service,
 * --uninstall-service, --service) are recognised here and handled in
 * windows-service/service.c; anything else runs in the console, so
 * StartServiceCtrlDispatcher is never tried on a guess.
 */
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>
#include <shlobj.h>

#include <stdio.h>
#include <string.h>

#include "log.h"
#include "os.h"
#include "portd.h"
#include "service.h"

static int service_mode;

/* The loop's stop handle, shared with other threads under the lock. */
static SRWLOCK stop_lock = SRWLOCK_INIT;
static uv_async_t stop_async;
static int stop_live;			/* stop_async may be sent to */
static int stop_pending;		/* asked before the loop watched */
static const char *stop_why = "stop requested";

int
os_early(int *argc, char **argv)
{
	int i;

	if (*argc < 2)
		return -1;
	if (strcmp(argv[1], "--install-service") == 0)
		return service_install(*argc - 2, argv + 2);
	if (strcmp(argv[1], "--uninstall-service") == 0) {
		if (*argc > 2) {
			fprintf(stderr, "portd: --uninstall-service takes no "
			    "arguments\n");
			return 2;
		}
		return service_uninstall();
	}
	if (strcmp(argv[1], "--service") == 0) {
		service_mode = 1;
		for (i = 1; i < *argc; i++)
			argv[i] = argv[i + 1];
		(*argc)--;
	}
	return -1;
}

const char *
os_usage(void)
{
	return "       portd --install-service [option ...] | "
	    "--uninstall-service\n";
}

int
os_win_data_path(const char *name, char *buf, size_t len)
{
	WCHAR w[MAX_PATH];
	char dir[4 * MAX_PATH];
	int n;

	/* %ProgramData%, normally C:\ProgramData. Asked of the shell, not
	 * the environment, which a service may inherit otherwise (Wine's
	 * services see C:\users\Public there). */
	if (SHGetFolderPathW(NULL, CSIDL_COMMON_APPDATA, NULL,
	    SHGFP_TYPE_CURRENT, w) != S_OK) {
		n = (int)GetEnvironmentVariableW(L"ProgramData", w, MAX_PATH);
		if (n == 0 || n >= MAX_PATH)
			wcscpy(w, L"C:\\ProgramData");
	}
	if (WideCharToMultiByte(CP_UTF8, 0, w, -1, dir, sizeof(dir), NULL,
	    NULL) == 0)
		return -1;
	n = snprintf(buf, len, "%s\\portd%s%s", dir, *name ? "\\" : "", name);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

const char *
os_default_config(void)
{
	/* Computed once; the same for the process's life. */
	static char path[4 * MAX_PATH + 32];

	if (path[0] == '\0' && os_win_data_path("portd.conf", path,
	    sizeof(path)) == -1)
		snprintf(path, sizeof(path),
		    "C:\\ProgramData\\portd\\portd.conf");
	return path;
}

int
os_run(const struct portd_opts *opts)
{
	if (service_mode)
		return service_run(opts);
	return portd_run(opts);
}

void
os_setup(struct portd *pd)
{
	(void)pd;
	/* Names are UTF-8 inside portd: let a console show them so. */
	SetConsoleOutputCP(CP_UTF8);
}

void
os_win_request_stop(const char *why)
{
	AcquireSRWLockExclusive(&stop_lock);
	stop_why = why;
	if (stop_live)
		uv_async_send(&stop_async);
	else
		stop_pending = 1;
	ReleaseSRWLockExclusive(&stop_lock);
}

static void
on_stop_async(uv_async_t *a)
{
	struct portd *pd = a->data;
	const char *why;

	AcquireSRWLockShared(&stop_lock);
	why = stop_why;
	ReleaseSRWLockShared(&stop_lock);
	log_notice("%s: stopping", why);
	portd_stop(pd);
}

static void
on_signal(uv_signal_t *s, int signum)
{
	struct portd *pd = s->data;

	log_notice("%s: stopping", signum == SIGINT ? "Ctrl-C" :
	    "Ctrl-Break");
	portd_stop(pd);
}

void
os_watch_start(struct portd *pd)
{
	uv_signal_init(pd->loop, &pd->sig_int);
	uv_signal_init(pd->loop, &pd->sig_term);
	pd->sig_int.data = pd->sig_term.data = pd;
	uv_signal_start(&pd->sig_int, on_signal, SIGINT);
	uv_signal_start(&pd->sig_term, on_signal, SIGBREAK);
	uv_async_init(pd->loop, &stop_async, on_stop_async);
	stop_async.data = pd;
	AcquireSRWLockExclusive(&stop_lock);
	stop_live = 1;
	if (stop_pending)
		uv_async_send(&stop_async);
	ReleaseSRWLockExclusive(&stop_lock);
}

void
os_watch_stop(struct portd *pd)
{
	AcquireSRWLockExclusive(&stop_lock);
	stop_live = 0;
	ReleaseSRWLockExclusive(&stop_lock);
	uv_signal_stop(&pd->sig_int);
	uv_signal_stop(&pd->sig_term);
	uv_close((uv_handle_t *)&pd->sig_int, NULL);
	uv_close((uv_handle_t *)&pd->sig_term, NULL);
	uv_close((uv_handle_t *)&stop_async, NULL);
}
