/*
 * main.c - portctl: ask who holds a port, list listeners, free a port.
 *
 * The command line is a table of commands (unique prefixes accepted) and
 * one option table; each command says which options it takes.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "kill.h"
#include "portctl.h"

/* Options that only some commands take. */
enum {
	O_FAMILY = 0x01,	/* --tcp --udp -4 -6 */
	O_KILL = 0x02,		/* --signal --timeout --no-escalate --dry-run */
	O_SINCE = 0x04,		/* --since */
};

struct cmd {
	const char *name;
	const char *args;
	const char *help;
	unsigned opts;
	int (*fn)(struct opts *, int, char **);
};

static int cmd_who(struct opts *, int, char **);
static int cmd_list(struct opts *, int, char **);
static int cmd_kill(struct opts *, int, char **);
static int cmd_watch(struct opts *, int, char **);
static int cmd_events(struct opts *, int, char **);
static int cmd_status(struct opts *, int, char **);
static int cmd_reload(struct opts *, int, char **);
static int cmd_rules(struct opts *, int, char **);

static const struct cmd cmds[] = {
	{ "who", "PORTSPEC... [--tcp] [--udp] [-4] [-6]",
	    "show who holds these ports", O_FAMILY, cmd_who },
	{ "list", "[--tcp] [--udp] [-4] [-6]", "show every listener",
	    O_FAMILY, cmd_list },
	{ "kill", "PORTSPEC... [--signal SIG] [--timeout SEC] "
	    "[--no-escalate] [--dry-run]", "free these ports", O_FAMILY |
	    O_KILL, cmd_kill },
	{ "watch", "[PORTSPEC...] [--tcp] [--udp] [-4] [-6]",
	    "print bind/unbind events as they happen (portd)", O_FAMILY,
	    cmd_watch },
	{ "events", "[PORTSPEC...] [--since SEQ]",
	    "print recent events (portd)", O_FAMILY | O_SINCE, cmd_events },
	{ "status", "", "show portd's state and counters", 0, cmd_status },
	{ "rules", "", "show the reserved-port rules and their counters",
	    0, cmd_rules },
	{ "reload", "", "make portd re-read its configuration (root)", 0,
	    cmd_reload },
};
#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

static void
usage(FILE *fp)
{
	size_t i;

	fprintf(fp, "usage: portctl [-hjV] [--direct | --daemon] "
	    "[-S socket] command [argument ...]\n\ncommands:\n");
	for (i = 0; i < NCMDS; i++)
		fprintf(fp, "  %-6s %s\n         %s\n", cmds[i].name,
		    cmds[i].args, cmds[i].help);
	fprintf(fp, "\nPORTSPEC: 8080, 8080/tcp, 53/udp, 3000-3100, or a "
	    "service name (http)\n"
	    "exit status: 0 matched, 1 nothing matched, 2 error\n");
}

/* The command named by a unique prefix, or NULL (error printed). */
static const struct cmd *
find_cmd(const char *name)
{
	const struct cmd *found = NULL;
	size_t i, n = strlen(name);

	for (i = 0; i < NCMDS; i++) {
		if (strcmp(cmds[i].name, name) == 0)
			return &cmds[i];
		if (strncmp(cmds[i].name, name, n) == 0) {
			if (found != NULL) {
				fprintf(stderr, "portctl: ambiguous command: "
				    "%s\n", name);
				return NULL;
			}
			found = &cmds[i];
		}
	}
	if (found == NULL)
		fprintf(stderr, "portctl: unknown command: %s (portctl "
		    "--help lists them)\n", name);
	return found;
}

int
parse_specs(int argc, char **argv, struct filter *f)
{
	struct portspec ps;
	char err[256];
	int i;

	for (i = 0; i < argc; i++) {
		if (portspec_parse(argv[i], portspec_lookup_services, &ps, err,
		    sizeof(err)) == -1) {
			fprintf(stderr, "portctl: %s\n", err);
			return -1;
		}
		if (filter_add(f, &ps) == -1) {
			fprintf(stderr, "portctl: too many port "
			    "specifications (at most %d)\n", FILTER_MAX_SPECS);
			return -1;
		}
	}
	return 0;
}

static void
filter_from_opts(const struct opts *o, struct filter *f)
{
	filter_init(f);
	f->protos = o->protos;
	f->families = o->families;
}

static const char *
socket_path(const struct opts *o)
{
	return o->socket != NULL ? o->socket : PROTO_DEFAULT_ENDPOINT;
}

/*
 * A connection to portd, or -1: answer directly (the fallback is said on
 * stderr once), or -2: fail (printed). needs_daemon: the command has no
 * one-shot form.
 */
static int
daemon_fd(const struct opts *o, const char *cmd, int needs_daemon)
{
	char err[512];
	int fd;

	if (o->direct) {
		if (!needs_daemon)
			return -1;
		fprintf(stderr, "portctl: %s needs portd; --direct cannot "
		    "answer it\n", cmd);
		return -2;
	}
	if ((fd = remote_connect(socket_path(o), err, sizeof(err))) >= 0)
		return fd;
	if (o->daemon || needs_daemon) {
		fprintf(stderr, "portctl: portd is not answering (%s)\n", err);
		return -2;
	}
	fprintf(stderr, "portctl: portd is not running (%s): answering "
	    "directly\n", err);
	return -1;
}

/* The request for a filter, with only the keys that say something. */
static void
request_for(struct request *req, const char *cmd, const struct filter *f)
{
	proto_request_init(req);
	snprintf(req->cmd, sizeof(req->cmd), "%s", cmd);
	snprintf(req->id, sizeof(req->id), "1");
	req->filter = *f;
	if (f->nspecs > 0)
		req->keys |= PK_PORTS;
	if (f->protos != 0)
		req->keys |= PK_PROTOS;
	if (f->families != 0)
		req->keys |= PK_FAMILIES;
}

/*
 * Calls portd; prints the error and returns NULL on failure. With
 * refused non-NULL, a refusal (too many clients) is not printed but said
 * in *refused, for a caller that answers directly instead.
 */
static cJSON *
call(int fd, const struct request *req, int *refused)
{
	char err[2048];
	cJSON *result;
	int code;

	if (refused != NULL)
		*refused = 0;
	if ((result = remote_call(fd, req, err, sizeof(err), &code)) != NULL)
		return result;
	if (refused != NULL && code == PE_TOO_MANY_CLIENTS)
		*refused = 1;
	else
		fprintf(stderr, "portctl: %s\n", err);
	return NULL;
}

/*
 * portd refused the connection: whether to answer directly (said on
 * stderr), or fail (said too) under --daemon.
 */
static int
fall_back(const struct opts *o)
{
	if (o->daemon) {
		fprintf(stderr, "portctl: %s\n", REMOTE_REFUSED);
		return 0;
	}
	fprintf(stderr, "portctl: %s: answering directly\n", REMOTE_REFUSED);
	return 1;
}

static int
remote_rows(int fd, const char *cmd, const struct filter *f,
    struct snapshot *out, int *refused)
{
	struct request req;
	cJSON *result;
	char err[256] = "";
	int r;

	request_for(&req, cmd, f);
	if ((result = call(fd, &req, refused)) == NULL)
		return -1;
	r = proto_json_rows(cJSON_GetObjectItemCaseSensitive(result,
	    "listeners"), out, err, sizeof(err));
	if (r == -1)
		fprintf(stderr, "portctl: portd sent a malformed reply: %s\n",
		    err);
	cJSON_Delete(result);
	return r;
}

static int
show_rows(struct opts *o, const char *cmd, const struct filter *f,
    int empty_rc)
{
	struct snapshot s;
	char err[256];
	int rc, fd, r = -1, refused = 0;

	if ((fd = daemon_fd(o, cmd, 0)) == -2)
		return EXIT_ERROR;
	snapshot_init(&s);
	if (fd >= 0) {
		r = remote_rows(fd, cmd, f, &s, &refused);
		remote_close(fd);
	}
	if ((fd < 0 || (refused && fall_back(o))) &&
	    (r = direct_rows(o, f, &s, err, sizeof(err))) == -1)
		fprintf(stderr, "portctl: %s\n", err);
	if (r == -1) {
		snapshot_clear(&s);
		return EXIT_ERROR;
	}
	o->out->rows(stdout, &s);
	rc = s.nrows > 0 ? EXIT_MATCH : empty_rc;
	snapshot_clear(&s);
	return rc;
}

static int
cmd_who(struct opts *o, int argc, char **argv)
{
	struct filter f;

	if (argc == 0) {
		fprintf(stderr, "portctl: who: missing PORTSPEC\n");
		return EXIT_ERROR;
	}
	filter_from_opts(o, &f);
	if (parse_specs(argc, argv, &f) == -1)
		return EXIT_ERROR;
	return show_rows(o, "who", &f, EXIT_NOMATCH);
}

static int
cmd_list(struct opts *o, int argc, char **argv)
{
	struct filter f;

	if (argc > 0) {
		fprintf(stderr, "portctl: list: unexpected argument: %s "
		    "(use who for ports)\n", argv[0]);
		return EXIT_ERROR;
	}
	filter_from_opts(o, &f);
	return show_rows(o, "list", &f, EXIT_MATCH);
}

/* -3: portd refused the connection (nothing was done). */
static int
remote_kill(struct opts *o, int fd, const struct filter *f)
{
	struct request req;
	struct snapshot s;
	struct kill_plan kp;
	cJSON *result;
	char err[256] = "";
	size_t i;
	int rc = EXIT_MATCH, refused;

	request_for(&req, "kill", f);
	req.keys |= PK_TIMEOUT | PK_DRY_RUN;
	req.timeout_ms = (int64_t)(o->timeout * 1000);
	req.dry_run = o->dry_run;
	if (o->sig != 0) {
		req.keys |= PK_SIGNAL;
		req.sig = o->sig;
	}
	if (o->no_escalate) {
		req.keys |= PK_ESCALATE;
		req.escalate = 0;
	}
	if ((result = call(fd, &req, &refused)) == NULL)
		return refused ? -3 : EXIT_ERROR;
	snapshot_init(&s);
	if (proto_json_kill_reply(result, &s, &kp, err, sizeof(err)) == -1) {
		fprintf(stderr, "portctl: portd sent a malformed reply: %s\n",
		    err);
		snapshot_clear(&s);
		cJSON_Delete(result);
		return EXIT_ERROR;
	}
	cJSON_Delete(result);
	for (i = 0; i < s.nrows; i++)
		if (s.rows[i].proc < 0)
			kp.unowned++;
	if (s.nrows == 0 && kp.remain.nrows == 0) {
		if (o->json)
			o->out->rows(stdout, &s);
		else
			fprintf(stderr, "portctl: nothing listens there\n");
		rc = EXIT_NOMATCH;
	} else {
		o->out->kill_begin(stdout, &s);
		o->out->kill_end(stdout, &s, &kp, f, o->dry_run);
		if (kill_plan_failed(&kp))
			rc = EXIT_ERROR;
	}
	kill_plan_free(&kp);
	snapshot_clear(&s);
	return rc;
}

static int
cmd_kill(struct opts *o, int argc, char **argv)
{
	struct filter f;
	int fd, rc;

	if (argc == 0) {
		fprintf(stderr, "portctl: kill: missing PORTSPEC\n");
		return EXIT_ERROR;
	}
	filter_from_opts(o, &f);
	if (parse_specs(argc, argv, &f) == -1)
		return EXIT_ERROR;
	if ((fd = daemon_fd(o, "kill", 0)) == -2)
		return EXIT_ERROR;
	if (fd < 0)
		return direct_kill(o, &f);
	rc = remote_kill(o, fd, &f);
	remote_close(fd);
	if (rc == -3)
		return fall_back(o) ? direct_kill(o, &f) : EXIT_ERROR;
	return rc;
}

/* Prints the events of a result's "events" array. */
static int
print_events(struct opts *o, const cJSON *events)
{
	const cJSON *e;
	struct event ev;
	char err[256];

	cJSON_ArrayForEach(e, events) {
		if (proto_json_event(e, &ev, err, sizeof(err)) == -1) {
			fprintf(stderr, "portctl: portd sent a malformed "
			    "reply: %s\n", err);
			return -1;
		}
		o->out->event(stdout, &ev);
		event_clear(&ev);
	}
	return 0;
}

static int
cmd_watch(struct opts *o, int argc, char **argv)
{
	struct remote_buf rb = { NULL, 0, 0 };
	struct request req;
	struct filter f;
	struct event ev;
	cJSON *root, *evj;
	char err[2048], *line;
	int fd, code, rc = EXIT_ERROR;

	filter_from_opts(o, &f);
	if (parse_specs(argc, argv, &f) == -1)
		return EXIT_ERROR;
	if ((fd = daemon_fd(o, "watch", 1)) < 0)
		return EXIT_ERROR;
	request_for(&req, "watch", &f);
	if ((line = remote_exchange(fd, &req, &rb, err, sizeof(err))) ==
	    NULL) {
		fprintf(stderr, "portctl: %s\n", err);
		goto out;
	}
	root = remote_parse_reply(line, err, sizeof(err), &code);
	free(line);
	if (root == NULL) {
		fprintf(stderr, "portctl: %s\n", err);
		goto out;
	}
	cJSON_Delete(root);
	/* Until portd or the user ends it: one event per line. */
	while ((line = remote_read_line(fd, &rb, err, sizeof(err))) != NULL) {
		root = cJSON_Parse(line);
		evj = cJSON_GetObjectItemCaseSensitive(root, "event");
		if (evj == NULL) {
			/* Not an event: the daemon's last word (lagged). */
			cJSON_Delete(root);
			cJSON_Delete(remote_parse_reply(line, err, sizeof(err),
			    &code));
			free(line);
			fprintf(stderr, "portctl: %s\n", err);
			goto out;
		}
		if (proto_json_event(evj, &ev, err, sizeof(err)) == -1) {
			/* A protocol error ends the watch: skipping it would
			 * hide an event. */
			cJSON_Delete(root);
			free(line);
			fprintf(stderr, "portctl: portd sent a malformed "
			    "event: %s\n", err);
			goto out;
		}
		o->out->event(stdout, &ev);
		event_clear(&ev);
		cJSON_Delete(root);
		free(line);
	}
	fprintf(stderr, "portctl: %s\n", err);
out:
	remote_buf_free(&rb);
	remote_close(fd);
	return rc;
}

static int
cmd_events(struct opts *o, int argc, char **argv)
{
	struct request req;
	struct filter f;
	cJSON *result;
	int fd, rc;

	filter_from_opts(o, &f);
	if (parse_specs(argc, argv, &f) == -1)
		return EXIT_ERROR;
	if ((fd = daemon_fd(o, "events", 1)) < 0)
		return EXIT_ERROR;
	request_for(&req, "events", &f);
	if (o->since >= 0) {
		req.keys |= PK_SINCE;
		req.since = o->since;
	}
	result = call(fd, &req, NULL);
	remote_close(fd);
	if (result == NULL)
		return EXIT_ERROR;
	if (o->json) {
		o->out->status(stdout, result);
		rc = EXIT_MATCH;
	} else
		rc = print_events(o, cJSON_GetObjectItemCaseSensitive(result,
		    "events")) == 0 ? EXIT_MATCH : EXIT_ERROR;
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(result,
	    "truncated")))
		fprintf(stderr, "portctl: older events were dropped from "
		    "portd's history\n");
	cJSON_Delete(result);
	return rc;
}

/* A command without arguments: its result is shown by show(). */
static int
simple_call(struct opts *o, const char *cmd,
    void (*show)(FILE *, const cJSON *))
{
	struct request req;
	struct filter f;
	cJSON *result;
	char err[40000];
	int fd, code;

	if ((fd = daemon_fd(o, cmd, 1)) < 0)
		return EXIT_ERROR;
	filter_init(&f);
	request_for(&req, cmd, &f);
	result = remote_call(fd, &req, err, sizeof(err), &code);
	remote_close(fd);
	if (result == NULL) {
		/* A failed reload lists every error, one per line. */
		if (code == PE_RELOAD)
			fprintf(stderr, "portctl: %s failed; the running "
			    "configuration stays:\n%s\n", cmd, err);
		else
			fprintf(stderr, "portctl: %s\n", err);
		return EXIT_ERROR;
	}
	if (show != NULL)
		show(stdout, result);
	else if (o->json)
		o->out->status(stdout, result);
	else
		printf("portd: %s done\n", cmd);
	cJSON_Delete(result);
	return EXIT_MATCH;
}

static int
cmd_status(struct opts *o, int argc, char **argv)
{
	if (argc > 0) {
		fprintf(stderr, "portctl: status: unexpected argument: %s\n",
		    argv[0]);
		return EXIT_ERROR;
	}
	return simple_call(o, "status", o->out->status);
}

static int
cmd_rules(struct opts *o, int argc, char **argv)
{
	if (argc > 0) {
		fprintf(stderr, "portctl: rules: unexpected argument: %s\n",
		    argv[0]);
		return EXIT_ERROR;
	}
	return simple_call(o, "rules", o->out->rules);
}

static int
cmd_reload(struct opts *o, int argc, char **argv)
{
	if (argc > 0) {
		fprintf(stderr, "portctl: reload: unexpected argument: %s\n",
		    argv[0]);
		return EXIT_ERROR;
	}
	return simple_call(o, "reload", NULL);
}

enum {
	OPT_DIRECT = 256, OPT_DAEMON, OPT_TCP, OPT_UDP, OPT_TIMEOUT,
	OPT_NOESC, OPT_SINCE,
};

static const struct option longopts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ "json", no_argument, NULL, 'j' },
	{ "socket", required_argument, NULL, 'S' },
	{ "direct", no_argument, NULL, OPT_DIRECT },
	{ "daemon", no_argument, NULL, OPT_DAEMON },
	{ "tcp", no_argument, NULL, OPT_TCP },
	{ "udp", no_argument, NULL, OPT_UDP },
	{ "signal", required_argument, NULL, 's' },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "no-escalate", no_argument, NULL, OPT_NOESC },
	{ "dry-run", no_argument, NULL, 'n' },
	{ "since", required_argument, NULL, OPT_SINCE },
	{ NULL, 0, NULL, 0 },
};

int
main(int argc, char *argv[])
{
	struct opts o;
	const struct cmd *c;
	unsigned used = 0;
	char *end;
	int ch;

	memset(&o, 0, sizeof(o));
	o.out = &output_table;
	o.timeout = 5.0;
	o.since = -1;
	o.socket = getenv("PORTD_SOCKET");
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "hVjS:46s:n", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("portctl %s\n", PORTD_VERSION);
			return 0;
		case 'j':
			o.json = 1;
			o.out = &output_json;
			break;
		case 'S':
			o.socket = optarg;
			break;
		case OPT_DIRECT:
			o.direct = 1;
			break;
		case OPT_DAEMON:
			o.daemon = 1;
			break;
		case OPT_TCP:
			o.protos |= PD_TCP;
			used |= O_FAMILY;
			break;
		case OPT_UDP:
			o.protos |= PD_UDP;
			used |= O_FAMILY;
			break;
		case '4':
			o.families |= PD_INET;
			used |= O_FAMILY;
			break;
		case '6':
			o.families |= PD_INET6;
			used |= O_FAMILY;
			break;
		case 's':
			if ((o.sig = kill_signal_parse(optarg)) == -1) {
				fprintf(stderr, "portctl: --signal %s: unknown "
				    "signal\n", optarg);
				return EXIT_ERROR;
			}
			used |= O_KILL;
			break;
		case OPT_TIMEOUT:
			o.timeout = strtod(optarg, &end);
			if (*optarg == '\0' || *end != '\0' || !(o.timeout >= 0) ||
			    o.timeout > 3600) {
				fprintf(stderr, "portctl: --timeout %s: not a "
				    "number of seconds (0-3600)\n", optarg);
				return EXIT_ERROR;
			}
			used |= O_KILL;
			break;
		case OPT_NOESC:
			o.no_escalate = 1;
			used |= O_KILL;
			break;
		case 'n':
			o.dry_run = 1;
			used |= O_KILL;
			break;
		case OPT_SINCE:
			o.since = strtoll(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || o.since < 0) {
				fprintf(stderr, "portctl: --since %s: not a "
				    "sequence number\n", optarg);
				return EXIT_ERROR;
			}
			used |= O_SINCE;
			break;
		default:
			if (optopt != 0 && optopt < 256)
				fprintf(stderr, "portctl: unknown option or "
				    "missing argument: -%c\n", optopt);
			else
				fprintf(stderr, "portctl: unknown option or "
				    "missing argument: %s\n", argv[optind - 1]);
			usage(stderr);
			return EXIT_ERROR;
		}
	}
	if (o.direct && o.daemon) {
		fprintf(stderr, "portctl: --direct and --daemon exclude each "
		    "other\n");
		return EXIT_ERROR;
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_ERROR;
	}
	if ((c = find_cmd(argv[optind])) == NULL)
		return EXIT_ERROR;
	if (used & ~c->opts) {
		fprintf(stderr, "portctl: %s: option not accepted by this "
		    "command (portctl --help)\n", c->name);
		return EXIT_ERROR;
	}
	return c->fn(&o, argc - optind - 1, argv + optind + 1);
}
