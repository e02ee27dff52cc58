/*
 * service.h - portd as a Windows service: registering it, running
 * portd_run() under the service control dispatcher, and what the daemon
 * tells the service manager. Windows only (service.c); os_win.c and
 * notify_win.c are its callers.
 */
#ifndef PORTD_SERVICE_H
#define PORTD_SERVICE_H

struct portd_opts;

#define SERVICE_NAME_W	L"portd"

/*
 * portd --install-service [option ...]: registers portd.exe as the
 * service "portd" (automatic start, a description, restart on failure),
 * to run as LocalSystem with "--service" and the given options. Prints
 * what it did; returns the exit status.
 */
int	service_install(int argc, char **argv);
/* portd --uninstall-service: stops the service if it runs, removes it. */
int	service_uninstall(void);

/*
 * Runs portd_run(opts) as the service (portd --service, which only the
 * service manager starts): logs go to %ProgramData%\portd\portd.log; a
 * stop or shutdown request ends the loop cleanly. Returns the exit status.
 */
int	service_run(const struct portd_opts *opts);

/*
 * notify_win.c: the daemon's state changes in sd_notify(3) words
 * ("READY=1", "STOPPING=1") become service states. A no-op outside the
 * service.
 */
void	service_notify(const char *msg);

/*
 * os_win.c: asks the running loop to stop (portd_stop). Safe from any
 * thread (the service control handler runs on the dispatcher's), before
 * the loop watches (the request waits) and after it stopped (ignored).
 */
void	os_win_request_stop(const char *why);

/* %ProgramData%\portd\NAME in UTF-8 into buf; -1 if it does not fit. */
int	os_win_data_path(const char *name, char *buf, size_t len);

#endif
