/*
 * proto.h - the JSON shapes shared by portctl --json and the control
 * protocol: listener rows, kill results, times. Only this module and the
 * config module touch cJSON types.
 */
#ifndef PORTD_PROTO_H
#define PORTD_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "compat.h"
#include "event.h"
#include "kill.h"
#include "portspec.h"
#include "snapshot.h"

#define PROTO_VERSION	1
#define PROTO_DEFAULT_SOCKET	"/run/portd/portd.sock"
/* What portd serves and portctl connects to by default: that socket, or
 * on Windows the named pipe \\.\pipe\portd (compat.h). */
#define PROTO_DEFAULT_ENDPOINT	PD_DEFAULT_ENDPOINT(PROTO_DEFAULT_SOCKET)
#define PROTO_MAX_LINE	(64 * 1024)	/* a longer request line is refused */

/*
 * Error codes, one table for daemon and client: the code travels as its
 * name ("bad_request"), the message explains the case.
 */
#define PROTO_ERRORS(X)							\
	X(PE_BAD_JSON, "bad_json", "request is not valid JSON")		\
	X(PE_BAD_REQUEST, "bad_request", "malformed request")		\
	X(PE_UNKNOWN_COMMAND, "unknown_command", "unknown command")	\
	X(PE_BAD_VERSION, "unsupported_version",			\
	    "unsupported protocol version")				\
	X(PE_LINE_TOO_LONG, "line_too_long",				\
	    "request line over 64 KiB")					\
	X(PE_TOO_MANY_CLIENTS, "too_many_clients",			\
	    "too many clients connected")				\
	X(PE_IDLE_TIMEOUT, "idle_timeout",				\
	    "connection idle for too long")				\
	X(PE_BUSY, "busy",						\
	    "too many requests of this kind in progress")		\
	X(PE_DENIED, "permission_denied", "permission denied")		\
	X(PE_LAGGED, "lagged", "subscriber too slow: events dropped")	\
	X(PE_RELOAD, "reload_failed", "configuration not reloaded")	\
	X(PE_INTERNAL, "internal", "internal error")

#define PROTO_ERROR_ENUM(e, code, msg) e,
enum proto_error { PE_NONE = 0, PROTO_ERRORS(PROTO_ERROR_ENUM) PE_MAX };
#undef PROTO_ERROR_ENUM

const char *proto_error_code(int err);		/* "bad_request" */
const char *proto_error_message(int err);	/* default message */
int	 proto_error_parse(const char *code);	/* PE_*, PE_INTERNAL if unknown */

/* Request keys beyond id, cmd and v; a command accepts a subset. */
enum proto_key {
	PK_PORTS = 0x01,	/* ["8080", "53/udp"] */
	PK_PROTOS = 0x02,	/* ["tcp", "udp"] */
	PK_FAMILIES = 0x04,	/* ["ipv4", "ipv6"] */
	PK_SIGNAL = 0x08,	/* "TERM" */
	PK_TIMEOUT = 0x10,	/* timeout_ms: 0..3600000 */
	PK_ESCALATE = 0x20,	/* bool */
	PK_DRY_RUN = 0x40,	/* bool */
	PK_SINCE = 0x80,	/* since: sequence number >= 0 */
};

/* A request, as the client builds it and the daemon parses it. */
struct request {
	char id[64];		/* the id as JSON text, echoed verbatim */
	char cmd[32];
	unsigned keys;		/* PK_* present */
	struct filter filter;	/* from ports, protos, families */
	int sig;		/* 0: default */
	int64_t timeout_ms;
	int escalate;
	int dry_run;
	int64_t since;
};

void	 proto_request_init(struct request *);
/*
 * Parses one request line strictly: an unknown key, a value of the wrong
 * type or an invalid PORTSPEC is an error. Keys are checked against the
 * command's accepted set by proto_request_allowed(). Returns PE_NONE or
 * an error code with a message in err; req->id is filled whenever the
 * line had a usable id, so the error reply can echo it.
 */
int	 proto_parse_request(const char *line, size_t len, struct request *req,
	    char *err, size_t errlen);
/* PE_NONE if every key present is in allowed, else PE_BAD_REQUEST. */
int	 proto_request_allowed(const struct request *, unsigned allowed,
	    char *err, size_t errlen);
/* The request as one line of JSON (no newline); caller frees. */
char	*proto_request_text(const struct request *);

/* Replies: {"id":..,"ok":true,"result":R} and {"id":..,"ok":false,...}.
 * Both return one line with its newline; the caller frees. result is
 * consumed. */
char	*proto_reply_ok(const char *id, cJSON *result);
/* The same with the result as JSON text (consumed); NULL if result is. */
char	*proto_reply_ok_text(const char *id, char *result);
char	*proto_reply_error(const char *id, int err, const char *message);

/* {"seq","time","event","listener":{row}} */
cJSON	*proto_event_json(const struct event *);
/*
 * Parses an event object back: 0, or -1 with err set (a number out of
 * its range, such as a negative or fractional seq or pid, is an error).
 */
int	 proto_json_event(const cJSON *, struct event *, char *err,
	    size_t errlen);

/*
 * One row as an object: proto, family, address, port, state, v6only,
 * inode, uid, pid (null when not visible, plus "reason"), command, user,
 * exe, ppid, started. The caller owns the result.
 */
cJSON	*proto_row_json(const struct snapshot *, const struct listener *);
/* {"listeners": [rows...]} */
cJSON	*proto_snapshot_json(const struct snapshot *);
/*
 * The same as JSON text, without a cJSON tree (portd's who and list):
 * proto_row_append adds one row's object to *buf (realloc'ed; *len, *cap
 * kept), byte for byte what cJSON prints of proto_row_json; 0 or -1 (out
 * of memory). proto_rows_text is {"listeners":[...]} of the rows idx[0..n)
 * of s; the caller frees it; NULL when out of memory.
 */
int	 proto_row_append(const struct snapshot *, const struct listener *,
	    char **buf, size_t *len, size_t *cap);
char	*proto_rows_text(const struct snapshot *, const size_t *idx,
	    size_t n);
/*
 * Parses an array of row objects (as proto_row_json makes them) back
 * into out (appended). Returns 0 or -1 with err set: a number out of its
 * range (pid, ppid, uid, port, inode: negative, fractional, too large)
 * is an error, never cast. An unowned row's reason is read from its
 * "reason_code".
 */
int	 proto_json_rows(const cJSON *rows, struct snapshot *out, char *err,
	    size_t errlen);

/* Kill results: [{"pid","command","user","uid","outcome","signal","error"}] */
cJSON	*proto_kill_json(const struct kill_plan *);
/* Parses kill results back into a plan's targets: 0, or -1 with err set
 * and nothing left to free. */
int	 proto_json_kill(const cJSON *results, struct kill_plan *out,
	    char *err, size_t errlen);
/*
 * The whole kill result, the same from portd and from portctl --direct:
 * {"listeners": the rows acted on, "results": proto_kill_json,
 * "dry_run", "settled": whether the freed check was made, "remaining":
 * the rows of the plan's sockets still in the kernel's table then, with
 * their owners now, "ports": [{"port": "8080/tcp", "state": "free" |
 * "held" | "unused" | "unsettled"}] one per PORTSPEC of f}. NULL when out
 * of memory.
 */
cJSON	*proto_kill_reply(const struct snapshot *rows,
	    const struct kill_plan *, const struct filter *f, int dry_run);
/*
 * Parses it back: rows into rows (appended), targets, remaining and
 * settled into out (a dry run's settled is 0 and not a failure; one
 * that is not is, look_failed). 0, or -1 with err set.
 */
int	 proto_json_kill_reply(const cJSON *result, struct snapshot *rows,
	    struct kill_plan *out, char *err, size_t errlen);

/* RFC 3339 UTC with milliseconds: 2026-11-23T16:04:05.123Z (len >= 32). */
void	 proto_time_text(int64_t ms, char *buf, size_t len);
/* The reverse; -1 if malformed. */
int64_t	 proto_time_parse(const char *);

#endif
