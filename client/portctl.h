/*
 * portctl.h - what portctl's command handlers share: the parsed options
 * and the paths that answer (one-shot in this process, or portd).
 */
#ifndef PORTCTL_H
#define PORTCTL_H

#include <stddef.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

#include "output.h"
#include "portspec.h"
#include "proto.h"

/* Exit statuses, as portctl(1) documents them. */
#define EXIT_MATCH	0
#define EXIT_NOMATCH	1
#define EXIT_ERROR	2

struct opts {
	const struct output *out;
	int json;
	int direct;		/* --direct: never ask portd */
	int daemon;		/* --daemon: only portd */
	const char *socket;	/* control socket path */
	uint8_t protos;		/* --tcp / --udp */
	uint8_t families;	/* -4 / -6 */
	int sig;		/* --signal, 0: SIGTERM then escalate */
	double timeout;		/* --timeout seconds */
	int no_escalate;
	int dry_run;
	long long since;	/* --since SEQ, -1 unset */
};

/* Fills f from PORTSPEC arguments; prints the error and returns -1. */
int	parse_specs(int argc, char **argv, struct filter *f);

/* One-shot, in-process paths (direct.c). */
int	direct_rows(const struct opts *, const struct filter *,
	    struct snapshot *, char *err, size_t errlen);
int	direct_kill(const struct opts *, const struct filter *);

/* The daemon path (remote.c). */
struct remote_buf {
	char *buf;
	size_t len, cap;
};

/* Per OS (connect_*.c): a connection to portd's endpoint as a
 * descriptor, or -1 with errno and err set; raw I/O on it. */
int	remote_connect(const char *path, char *err, size_t errlen);
ssize_t	remote_write(int fd, const void *buf, size_t len);
ssize_t	remote_read(int fd, void *buf, size_t len);
void	remote_close(int fd);
int	remote_send(int fd, const struct request *, char *err, size_t errlen);
/* One reply line (caller frees), or NULL at EOF/error with err set. */
char	*remote_read_line(int fd, struct remote_buf *, char *err,
	    size_t errlen);
void	remote_buf_free(struct remote_buf *);
/* The "result" of an ok reply (caller frees), or NULL with err and the
 * error code set. */
cJSON	*remote_parse_reply(const char *line, char *err, size_t errlen,
	    int *code);
/* Sends req and reads the first line back (caller frees), or NULL with
 * err set; a line that came although the send failed is returned. */
char	*remote_exchange(int fd, const struct request *, struct remote_buf *,
	    char *err, size_t errlen);
/* What portctl says when portd refuses the connection (too_many_clients). */
#define REMOTE_REFUSED	"portd refused the connection: too many clients"
/* Sends req and reads its reply: remote_exchange + remote_parse_reply. */
cJSON	*remote_call(int fd, const struct request *, char *err,
	    size_t errlen, int *code);

#endif
