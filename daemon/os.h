/*
 * os.h - what portd does differently per OS around its loop, one file per
 * OS (os_unix.c, os_win.c): how it is told to stop or reload (signals on
 * Unix; Ctrl-C and the service manager on Windows), process-wide setup,
 * where its configuration lives, and the command-line modes only one OS
 * has (the Windows service's).
 */
#ifndef PORTD_OS_H
#define PORTD_OS_H

struct portd;
struct portd_opts;

/*
 * Called first by main() with its arguments: handles the OS's own modes
 * (Windows: --install-service, --uninstall-service) and returns their
 * exit status, or removes what it consumed (Windows: --service) and
 * returns -1 to go on with the ordinary options.
 */
int	 os_early(int *argc, char **argv);
/* Usage lines for those modes, "" where there are none. */
const char *os_usage(void);
/* The configuration file read when none is named. */
const char *os_default_config(void);
/* Runs portd_run(opts) the OS's way (Windows: as a service after
 * --service, else in the console); returns the exit status. */
int	 os_run(const struct portd_opts *opts);

/* Process-wide setup before the loop (SIGPIPE, the open files limit). */
void	 os_setup(struct portd *);
/* Starts watching pd->loop for stop and reload requests. */
void	 os_watch_start(struct portd *);
/* Stops and closes what os_watch_start opened (from portd_stop). */
void	 os_watch_stop(struct portd *);

#endif
