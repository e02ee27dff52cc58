/*
 * config.h - portd.conf: JSON with // and / * * / comments, parsed strictly
 * into structs. A syntax error names file:line:column; a semantic error
 * names the key path ("rules[2].ports[0]: 70000 is not a port"); an
 * unknown key is an error, so a typo never silently disables a rule.
 * Parsing is pure (text in, struct out); config_load only adds reading
 * the file. Only this module and proto touch cJSON.
 */
#ifndef PORTD_CONFIG_H
#define PORTD_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "portspec.h"

#define CONFIG_DEFAULT_PATH	"/etc/portd/portd.conf"
#define CONFIG_NAME_MAX		64	/* rule names: 1..63 bytes */

enum rule_action { RULE_LOG = 1, RULE_TERMINATE, RULE_KILL };

/* A list of strings (owned). */
struct strlist {
	char **v;
	size_t n;
};

struct rule {
	char name[CONFIG_NAME_MAX];
	struct filter ports;		/* the reserved PORTSPECs */
	struct strlist ports_text;	/* as written, for display */
	/* Who may hold the ports: any match allows. Globs (fnmatch). */
	struct strlist allow_users;
	uint32_t *allow_uids;
	size_t nallow_uids;
	struct strlist allow_commands;
	struct strlist allow_exes;
	int action;			/* enum rule_action */
	uint32_t grace_ms;		/* terminate: SIGTERM -> SIGKILL */
	int dry_run;
	int enabled;
};

struct config {
	uint32_t interval_ms;
	uint32_t resync_ms;
	char *socket_path;		/* NULL: the built-in default */
	unsigned socket_mode;
	char *socket_group;		/* NULL: root's group */
	size_t history;
	size_t max_clients;
	size_t max_clients_per_uid;
	uint32_t idle_timeout_ms;
	size_t max_kill_jobs;
	uint32_t max_kill_timeout_ms;
	size_t watch_buffer;
	int log_level;			/* enum log_level */
	unsigned respawn_limit;
	unsigned respawn_window_s;
	/* Never acted on: a process matching protect_users, _uids or
	 * _exes and, when protect_commands is not empty, one of those too
	 * (a command name alone is the process's own choice). */
	struct strlist protect_commands;	/* globs */
	struct strlist protect_users;		/* globs */
	uint32_t *protect_uids;
	size_t nprotect_uids;
	struct strlist protect_exes;		/* globs, '*' not across '/' */
	struct rule *rules;
	size_t nrules;
	/* Which globals the file set (a command-line option overrides a
	 * file's value; a built-in default does not). CONFIG_SET_* bits. */
	unsigned set;
};

enum {
	CONFIG_SET_INTERVAL = 0x001,
	CONFIG_SET_RESYNC = 0x002,
	CONFIG_SET_SOCKET = 0x004,
	CONFIG_SET_HISTORY = 0x008,
	CONFIG_SET_MAX_CLIENTS = 0x010,
	CONFIG_SET_WATCH_BUFFER = 0x020,
	CONFIG_SET_LOG_LEVEL = 0x040,
	CONFIG_SET_CLIENT_LIMITS = 0x080,	/* max_clients_per_uid */
	CONFIG_SET_IDLE_TIMEOUT = 0x100,
	CONFIG_SET_KILL_JOBS = 0x200,
	CONFIG_SET_KILL_TIMEOUT = 0x400,
};

/*
 * Every message found, in order, each one line naming the file:
 * "file:3:7: syntax error: ..." (then the only one) or
 * "file: rules[0].x: ...". config_errors_free frees them.
 */
struct config_errors {
	char **v;
	size_t n;
};

/* Built-in defaults, no rules. */
void	config_init(struct config *);
void	config_free(struct config *);		/* accepts a zeroed struct */
void	config_errors_free(struct config_errors *);

/*
 * Parses text (len bytes; name is used in messages, e.g. the path).
 * Returns 0 and fills out, or -1 with every error appended to errs and out
 * left as config_init() made it. Pure: no I/O (services in PORTSPECs are
 * resolved through lookup, which may be NULL). out is written, not
 * freed first: free a previous configuration yourself. errs may be NULL;
 * messages are appended to what it holds.
 */
int	config_parse(const char *text, size_t len, const char *name,
	    portspec_lookup_fn lookup, struct config *out,
	    struct config_errors *errs);

/* Reads path and parses it with /etc/services lookups. */
int	config_load(const char *path, struct config *out,
	    struct config_errors *errs);

const char *rule_action_name(int action);	/* "log", "terminate", "kill" */

#endif
