/*
 * service.c - portd as a Windows service (see service.h).
 *
 * The service main runs the same portd_run() as the console daemon, on
 * the thread the dispatcher gives it; the control handler, on the
 * dispatcher's thread, only reports STOP_PENDING and wakes the loop
 * (os_win_request_stop), which stops as it does on SIGTERM. The service
 * is RUNNING once portd says READY=1 (the pipe answers and the first
 * snapshot is taken), as under systemd. An exit status other than 0 is a
 * service-specific error, so the recovery actions (restart) apply.
 */
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "log.h"
#include "portd.h"
#include "service.h"

#define SERVICE_DISPLAY_W	L"portd port-ownership daemon"
#define SERVICE_DESC_W		L"Watches which processes listen on which " \
	L"ports, reports binds and releases, and enforces reserved ports. " \
	L"Query it with portctl.exe."
#define STOP_WAIT_MS		30000

static SERVICE_STATUS_HANDLE status_handle;
static SERVICE_STATUS status;
static SRWLOCK status_lock = SRWLOCK_INIT;
static const struct portd_opts *service_opts;
static int service_exit;

/* Reports a state; the lock keeps the two threads' reports in order. */
static void
report(DWORD state, DWORD wait_hint)
{
	AcquireSRWLockExclusive(&status_lock);
	/* Once stopping, never claim to run again (a READY=1 of a reload). */
	if (state == SERVICE_RUNNING &&
	    status.dwCurrentState == SERVICE_STOP_PENDING) {
		ReleaseSRWLockExclusive(&status_lock);
		return;
	}
	status.dwServiceType = SERVICE_WIN32_OWN_PROCESS;
	status.dwCurrentState = state;
	status.dwControlsAccepted = state == SERVICE_RUNNING ?
	    SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_SHUTDOWN : 0;
	status.dwWaitHint = wait_hint;
	if (state == SERVICE_START_PENDING || state == SERVICE_STOP_PENDING)
		status.dwCheckPoint++;
	else
		status.dwCheckPoint = 0;
	if (state == SERVICE_STOPPED && service_exit != 0) {
		status.dwWin32ExitCode = ERROR_SERVICE_SPECIFIC_ERROR;
		status.dwServiceSpecificExitCode = (DWORD)service_exit;
	}
	if (status_handle != NULL)
		SetServiceStatus(status_handle, &status);
	ReleaseSRWLockExclusive(&status_lock);
}

void
service_notify(const char *msg)
{
	if (status_handle == NULL)
		return;
	if (strstr(msg, "STOPPING=1") != NULL)
		report(SERVICE_STOP_PENDING, STOP_WAIT_MS);
	else if (strstr(msg, "READY=1") != NULL)
		report(SERVICE_RUNNING, 0);
}

static DWORD WINAPI
control_handler(DWORD control, DWORD type, LPVOID data, LPVOID ctx)
{
	(void)type;
	(void)data;
	(void)ctx;
	switch (control) {
	case SERVICE_CONTROL_STOP:
	case SERVICE_CONTROL_SHUTDOWN:
		report(SERVICE_STOP_PENDING, STOP_WAIT_MS);
		os_win_request_stop(control == SERVICE_CONTROL_STOP ?
		    "service stop" : "system shutdown");
		return NO_ERROR;
	case SERVICE_CONTROL_INTERROGATE:
		return NO_ERROR;
	}
	return ERROR_CALL_NOT_IMPLEMENTED;
}

/* Appends to %ProgramData%\portd\portd.log (the directory is made). */
static FILE *
open_log(void)
{
	char dir[1200], path[1200];
	WCHAR wdir[600], wpath[600];
	FILE *fp;

	if (os_win_data_path("", dir, sizeof(dir)) == -1 ||
	    os_win_data_path("portd.log", path, sizeof(path)) == -1 ||
	    MultiByteToWideChar(CP_UTF8, 0, dir, -1, wdir, 600) == 0 ||
	    MultiByteToWideChar(CP_UTF8, 0, path, -1, wpath, 600) == 0)
		return NULL;
	(void)CreateDirectoryW(wdir, NULL);
	if ((fp = _wfopen(wpath, L"a")) != NULL)
		setvbuf(fp, NULL, _IOLBF, 4096);
	return fp;
}

static void WINAPI
service_main(DWORD argc, LPWSTR *argv)
{
	FILE *fp;

	(void)argc;
	(void)argv;
	status_handle = RegisterServiceCtrlHandlerExW(SERVICE_NAME_W,
	    control_handler, NULL);
	if (status_handle == NULL)
		return;
	report(SERVICE_START_PENDING, 30000);
	if ((fp = open_log()) != NULL)
		log_to_file(fp);
	log_notice("service starting");
	service_exit = portd_run(service_opts);
	log_notice("service stopped (exit status %d)", service_exit);
	report(SERVICE_STOPPED, 0);
	/* The process ends when the dispatcher returns; the log with it. */
}

int
service_run(const struct portd_opts *opts)
{
	SERVICE_TABLE_ENTRYW table[] = {
		{ (LPWSTR)SERVICE_NAME_W, service_main },
		{ NULL, NULL },
	};
	DWORD e;

	service_opts = opts;
	if (!StartServiceCtrlDispatcherW(table)) {
		e = GetLastError();
		fprintf(stderr, "portd: --service: %s (error %lu); in a console "
		    "run portd --foreground\n",
		    e == ERROR_FAILED_SERVICE_CONTROLLER_CONNECT ?
		    "not started by the service manager" :
		    "cannot reach the service manager", (unsigned long)e);
		return 1;
	}
	return service_exit;
}

/* ---- install / uninstall ---------------------------------------------- */

static void
print_error(const char *what, DWORD e)
{
	WCHAR w[256];
	char msg[512];
	DWORD n;

	n = FormatMessageW(FORMAT_MESSAGE_FROM_SYSTEM |
	    FORMAT_MESSAGE_IGNORE_INSERTS, NULL, e, 0, w, 256, NULL);
	while (n > 0 && (w[n - 1] == L'\r' || w[n - 1] == L'\n' ||
	    w[n - 1] == L'.'))
		w[--n] = L'\0';
	if (n == 0 || WideCharToMultiByte(CP_UTF8, 0, w, -1, msg,
	    sizeof(msg), NULL, NULL) == 0)
		snprintf(msg, sizeof(msg), "error %lu", (unsigned long)e);
	fprintf(stderr, "portd: %s: %s%s\n", what, msg,
	    e == ERROR_ACCESS_DENIED ? " (run it as an Administrator)" : "");
}

/* Appends s to the command line in cmd, quoted when it needs to be. */
static int
append_arg(WCHAR *cmd, size_t cap, const char *s)
{
	WCHAR w[1024];
	size_t n = wcslen(cmd);
	int quote;

	if (MultiByteToWideChar(CP_ACP, 0, s, -1, w, 1024) == 0)
		return -1;
	if (wcschr(w, L'"') != NULL)
		return -1;	/* never needed by portd's options */
	quote = w[0] == L'\0' || wcspbrk(w, L" \t") != NULL;
	if (n + wcslen(w) + 4 >= cap)
		return -1;
	_snwprintf(cmd + n, cap - n, quote ? L" \"%ls\"" : L" %ls", w);
	cmd[cap - 1] = L'\0';
	return 0;
}

int
service_install(int argc, char **argv)
{
	SERVICE_DESCRIPTIONW desc = { (LPWSTR)SERVICE_DESC_W };
	SC_ACTION actions[3] = {
		{ SC_ACTION_RESTART, 5000 },
		{ SC_ACTION_RESTART, 10000 },
		{ SC_ACTION_RESTART, 60000 },
	};
	SERVICE_FAILURE_ACTIONSW fa;
	SERVICE_FAILURE_ACTIONS_FLAG faf = { TRUE };
	WCHAR exe[MAX_PATH], cmd[4096];
	char dir[1200];
	WCHAR wdir[600];
	SC_HANDLE scm, svc;
	DWORD n;
	int i;

	n = GetModuleFileNameW(NULL, exe, MAX_PATH);
	if (n == 0 || n >= MAX_PATH) {
		print_error("GetModuleFileName", GetLastError());
		return 1;
	}
	_snwprintf(cmd, 4096, L"\"%ls\" --service", exe);
	cmd[4095] = L'\0';
	for (i = 0; i < argc; i++)
		if (append_arg(cmd, 4096, argv[i]) == -1) {
			fprintf(stderr, "portd: --install-service: cannot pass "
			    "the argument %s to the service\n", argv[i]);
			return 2;
		}
	if ((scm = OpenSCManagerW(NULL, NULL, SC_MANAGER_CREATE_SERVICE)) ==
	    NULL) {
		print_error("OpenSCManager", GetLastError());
		return 1;
	}
	svc = CreateServiceW(scm, SERVICE_NAME_W, SERVICE_DISPLAY_W,
	    SERVICE_ALL_ACCESS, SERVICE_WIN32_OWN_PROCESS, SERVICE_AUTO_START,
	    SERVICE_ERROR_NORMAL, cmd, NULL, NULL, NULL, NULL, NULL);
	if (svc == NULL) {
		n = GetLastError();
		if (n == ERROR_SERVICE_EXISTS)
			fprintf(stderr, "portd: the service portd is already "
			    "installed (portd --uninstall-service removes "
			    "it)\n");
		else
			print_error("CreateService", n);
		CloseServiceHandle(scm);
		return 1;
	}
	/* What follows is polish: a failure is reported, not fatal. */
	if (!ChangeServiceConfig2W(svc, SERVICE_CONFIG_DESCRIPTION, &desc))
		print_error("warning: setting the description", GetLastError());
	memset(&fa, 0, sizeof(fa));
	fa.dwResetPeriod = 86400;	/* failures are forgotten after a day */
	fa.cActions = 3;
	fa.lpsaActions = actions;
	if (!ChangeServiceConfig2W(svc, SERVICE_CONFIG_FAILURE_ACTIONS, &fa))
		print_error("warning: setting the recovery actions",
		    GetLastError());
	/* An exit status other than 0 counts as a failure, not only a
	 * crash. */
	if (!ChangeServiceConfig2W(svc, SERVICE_CONFIG_FAILURE_ACTIONS_FLAG,
	    &faf))
		print_error("warning: setting the recovery flag",
		    GetLastError());
	CloseServiceHandle(svc);
	CloseServiceHandle(scm);
	/* Where the configuration and the log go. */
	if (os_win_data_path("", dir, sizeof(dir)) == 0 &&
	    MultiByteToWideChar(CP_UTF8, 0, dir, -1, wdir, 600) != 0)
		(void)CreateDirectoryW(wdir, NULL);
	printf("portd: service installed (automatic start, restarted on "
	    "failure): %ls\n"
	    "portd: configuration %s\\portd.conf, log %s\\portd.log\n"
	    "portd: start it now with: sc start portd\n", cmd, dir, dir);
	return 0;
}

int
service_uninstall(void)
{
	SERVICE_STATUS st;
	SC_HANDLE scm, svc;
	DWORD e, waited = 0;

	if ((scm = OpenSCManagerW(NULL, NULL, SC_MANAGER_CONNECT)) == NULL) {
		print_error("OpenSCManager", GetLastError());
		return 1;
	}
	svc = OpenServiceW(scm, SERVICE_NAME_W, DELETE | SERVICE_STOP |
	    SERVICE_QUERY_STATUS);
	if (svc == NULL) {
		e = GetLastError();
		if (e == ERROR_SERVICE_DOES_NOT_EXIST)
			fprintf(stderr, "portd: the service portd is not "
			    "installed\n");
		else
			print_error("OpenService", e);
		CloseServiceHandle(scm);
		return 1;
	}
	if (ControlService(svc, SERVICE_CONTROL_STOP, &st)) {
		printf("portd: stopping the service\n");
		while (QueryServiceStatus(svc, &st) &&
		    st.dwCurrentState != SERVICE_STOPPED &&
		    waited < STOP_WAIT_MS) {
			Sleep(250);
			waited += 250;
		}
		if (st.dwCurrentState != SERVICE_STOPPED)
			fprintf(stderr, "portd: warning: the service did not "
			    "stop within %d s\n", STOP_WAIT_MS / 1000);
	}
	if (!DeleteService(svc)) {
		print_error("DeleteService", GetLastError());
		CloseServiceHandle(svc);
		CloseServiceHandle(scm);
		return 1;
	}
	CloseServiceHandle(svc);
	CloseServiceHandle(scm);
	printf("portd: service removed\n");
	return 0;
}
