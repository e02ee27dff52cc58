/*
 * listen.h - the control endpoint, one file per OS: a Unix socket file
 * (listen_unix.c) or a named pipe (listen_win.c). ctl.c serves whatever
 * these bind through the same uv_pipe code.
 */
#ifndef PORTD_LISTEN_H
#define PORTD_LISTEN_H

#include <stddef.h>

#include <uv.h>

struct portd;

/* Longest endpoint name kept (a Unix socket path is shorter still). */
#define LISTEN_PATH_MAX	260

/*
 * Binds server (uv_pipe_init'ed) to the endpoint in pd->opts.socket_path,
 * or takes over one the service manager passed. path gets what is served;
 * *created says whether portd made it (and so removes it at exit).
 * Refuses, with err set, when another portd answers there. 0 or -1.
 */
int	listen_bind(struct portd *, uv_pipe_t *server, char *path,
	    size_t pathlen, int *created, char *err, size_t errlen);
/* Removes the endpoint if portd made it. */
void	listen_unbind(const char *path, int created);

#endif
