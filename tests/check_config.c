/*
 * check_config.c - tests of the portd.conf parser: defaults, the shipped
 * example, the fixtures in tests/fixtures/config (README lists what each
 * broken one must say), comments, syntax positions, every key's type and
 * range, and that a failed parse leaves nothing behind.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"

#ifndef FIXTURES
#define FIXTURES "tests/fixtures"
#endif
#define CONFIG_DIR	FIXTURES "/config"
#define EXAMPLE		FIXTURES "/../../conf/portd.conf"

/* A pure stand-in for /etc/services. */
static int
fake_lookup(const char *name, const char *proto)
{
	if (strcmp(name, "web") == 0)
		return strcmp(proto, "tcp") == 0 ? 8000 : -1;
	return -1;
}

static int
parse(const char *text, struct config *c, struct config_errors *e)
{
	return config_parse(text, strlen(text), "t.conf", fake_lookup, c, e);
}

/* out is exactly what config_init makes: no rules, nothing allocated. */
static void
assert_default(const struct config *c)
{
	struct config d;

	config_init(&d);
	ck_assert_ptr_null(c->rules);
	ck_assert_uint_eq(c->nrules, 0);
	ck_assert_ptr_null(c->socket_path);
	ck_assert_ptr_null(c->protect_commands.v);
	ck_assert_mem_eq(c, &d, sizeof(d));
}

/* The text parses; the caller checks c and frees it. */
static void
parse_ok(const char *text, struct config *c)
{
	struct config_errors e = { NULL, 0 };

	if (parse(text, c, &e) != 0)
		ck_abort_msg("'%s' failed: %s", text, e.n > 0 ? e.v[0] : "?");
	ck_assert_uint_eq(e.n, 0);
	config_errors_free(&e);
}

/* The text fails with exactly these messages (NULL-terminated). */
static void
parse_fails(const char *text, const char *const *want)
{
	struct config c;
	struct config_errors e = { NULL, 0 };
	size_t i;

	ck_assert_msg(parse(text, &c, &e) == -1, "accepted '%s'", text);
	for (i = 0; want[i] != NULL; i++) {
		ck_assert_msg(i < e.n, "'%s': message %zu missing: %s", text,
		    i, want[i]);
		ck_assert_str_eq(e.v[i], want[i]);
	}
	ck_assert_msg(e.n == i, "'%s': %zu messages, expected %zu; "
	    "first extra: %s", text, e.n, i, e.n > i ? e.v[i] : "");
	assert_default(&c);
	config_free(&c);
	config_errors_free(&e);
}

/* One message. */
static void
parse_fails1(const char *text, const char *want)
{
	const char *v[2] = { want, NULL };

	parse_fails(text, v);
}

static int
has(const struct strlist *l, size_t i, const char *s)
{
	return i < l->n && l->v[i] != NULL && strcmp(l->v[i], s) == 0;
}

START_TEST(test_defaults)
{
	struct config c;

	memset(&c, 0xa5, sizeof(c));
	config_init(&c);
	ck_assert_uint_eq(c.interval_ms, 1000);
	ck_assert_uint_eq(c.resync_ms, 300000);
	ck_assert_ptr_null(c.socket_path);
	ck_assert_uint_eq(c.socket_mode, 0666);
	ck_assert_ptr_null(c.socket_group);
	ck_assert_uint_eq(c.history, 1024);
	ck_assert_uint_eq(c.max_clients, 256);
	ck_assert_uint_eq(c.watch_buffer, 1048576);
	ck_assert_int_eq(c.log_level, LOG_LVL_INFO);
	ck_assert_uint_eq(c.respawn_limit, 5);
	ck_assert_uint_eq(c.respawn_window_s, 60);
	ck_assert_uint_eq(c.protect_commands.n, 0);
	ck_assert_uint_eq(c.protect_users.n, 0);
	ck_assert_uint_eq(c.nrules, 0);
	ck_assert_uint_eq(c.set, 0);
	config_free(&c);

	/* {} is a valid configuration: the same defaults. */
	parse_ok("{}", &c);
	assert_default(&c);
	config_free(&c);
	parse_ok("  {\n}\n\n", &c);
	assert_default(&c);
	config_free(&c);
}
END_TEST

START_TEST(test_free_zeroed)
{
	struct config c;
	struct config_errors e;

	memset(&c, 0, sizeof(c));
	config_free(&c);
	config_free(&c);
	config_free(NULL);
	memset(&e, 0, sizeof(e));
	config_errors_free(&e);
	config_errors_free(NULL);

	/* Twice after a real parse: the first free zeroes. */
	parse_ok("{\"socket\": {\"path\": \"/x\"}, \"rules\": [{\"name\": "
	    "\"a\", \"ports\": [\"1\"], \"allow\": {\"uids\": [1]}}]}", &c);
	config_free(&c);
	config_free(&c);
	ck_assert_ptr_null(c.rules);

	/* errs may be NULL: the result alone tells. */
	ck_assert_int_eq(config_parse("{\"x\": 1}", 8, "t", NULL, &c, NULL),
	    -1);
	ck_assert_int_eq(config_load("/nonexistent/portd.conf", &c, NULL), -1);
	ck_assert_int_eq(config_parse("{}", 2, NULL, NULL, &c, NULL), 0);
	config_free(&c);
}
END_TEST

START_TEST(test_action_names)
{
	ck_assert_str_eq(rule_action_name(RULE_LOG), "log");
	ck_assert_str_eq(rule_action_name(RULE_TERMINATE), "terminate");
	ck_assert_str_eq(rule_action_name(RULE_KILL), "kill");
	ck_assert_str_eq(rule_action_name(0), "unknown");
	ck_assert_str_eq(rule_action_name(99), "unknown");
}
END_TEST

/* conf/portd.conf, the documented example, as the daemon reads it. */
START_TEST(test_example)
{
	struct config c;
	struct config_errors e = { NULL, 0 };
	const struct rule *r;

	if (config_load(EXAMPLE, &c, &e) != 0)
		ck_abort_msg("%s: %s", EXAMPLE, e.n > 0 ? e.v[0] : "?");
	ck_assert_uint_eq(e.n, 0);
	ck_assert_uint_eq(c.interval_ms, 1000);
	ck_assert_uint_eq(c.resync_ms, 300000);
	ck_assert_str_eq(c.socket_path, "/run/portd/portd.sock");
	ck_assert_uint_eq(c.socket_mode, 0666);
	ck_assert_ptr_null(c.socket_group);
	ck_assert_uint_eq(c.history, 1024);
	ck_assert_uint_eq(c.max_clients, 256);
	ck_assert_uint_eq(c.max_clients_per_uid, 32);
	ck_assert_uint_eq(c.idle_timeout_ms, 60000);
	ck_assert_uint_eq(c.max_kill_jobs, 4);
	ck_assert_uint_eq(c.max_kill_timeout_ms, 60000);
	ck_assert_uint_eq(c.watch_buffer, 1048576);
	ck_assert_int_eq(c.log_level, LOG_LVL_INFO);
	ck_assert_uint_eq(c.respawn_limit, 5);
	ck_assert_uint_eq(c.respawn_window_s, 60);
	ck_assert_uint_eq(c.set, CONFIG_SET_INTERVAL | CONFIG_SET_RESYNC |
	    CONFIG_SET_SOCKET | CONFIG_SET_HISTORY | CONFIG_SET_MAX_CLIENTS |
	    CONFIG_SET_CLIENT_LIMITS | CONFIG_SET_IDLE_TIMEOUT |
	    CONFIG_SET_KILL_JOBS | CONFIG_SET_KILL_TIMEOUT |
	    CONFIG_SET_WATCH_BUFFER | CONFIG_SET_LOG_LEVEL);
	ck_assert_uint_eq(c.protect_commands.n, 2);
	ck_assert(has(&c.protect_commands, 0, "systemd"));
	ck_assert(has(&c.protect_commands, 1, "sshd"));
	ck_assert_uint_eq(c.protect_users.n, 0);
	ck_assert_uint_eq(c.nprotect_uids, 1);
	ck_assert_uint_eq(c.protect_uids[0], 0);
	ck_assert_uint_eq(c.protect_exes.n, 0);
	ck_assert_uint_eq(c.nrules, 3);

	r = &c.rules[0];
	ck_assert_str_eq(r->name, "postgres");
	ck_assert_uint_eq(r->ports.nspecs, 1);
	ck_assert_uint_eq(r->ports.specs[0].lo, 5432);
	ck_assert_uint_eq(r->ports.specs[0].hi, 5432);
	ck_assert_uint_eq(r->ports.specs[0].protos, PD_TCP);
	ck_assert_uint_eq(r->ports.protos, 0);
	ck_assert_uint_eq(r->ports.families, 0);
	ck_assert_uint_eq(r->ports_text.n, 1);
	ck_assert(has(&r->ports_text, 0, "5432/tcp"));
	ck_assert_uint_eq(r->allow_users.n, 1);
	ck_assert(has(&r->allow_users, 0, "postgres"));
	ck_assert_uint_eq(r->allow_exes.n, 1);
	ck_assert(has(&r->allow_exes, 0, "/usr/lib/postgresql/*/bin/postgres"));
	ck_assert_uint_eq(r->allow_commands.n, 0);
	ck_assert_uint_eq(r->nallow_uids, 0);
	ck_assert_int_eq(r->action, RULE_TERMINATE);
	ck_assert_uint_eq(r->grace_ms, 3000);
	ck_assert_int_eq(r->dry_run, 0);
	ck_assert_int_eq(r->enabled, 1);

	r = &c.rules[1];
	ck_assert_str_eq(r->name, "dev-range");
	ck_assert_uint_eq(r->ports.nspecs, 1);
	ck_assert_uint_eq(r->ports.specs[0].lo, 8000);
	ck_assert_uint_eq(r->ports.specs[0].hi, 8100);
	ck_assert_uint_eq(r->ports.specs[0].protos, PD_TCP);
	ck_assert(has(&r->ports_text, 0, "8000-8100/tcp"));
	ck_assert(has(&r->allow_users, 0, "dev-*"));
	ck_assert_uint_eq(r->nallow_uids, 2);
	ck_assert_uint_eq(r->allow_uids[0], 1000);
	ck_assert_uint_eq(r->allow_uids[1], 1001);
	ck_assert_int_eq(r->action, RULE_LOG);
	ck_assert_int_eq(r->dry_run, 0);
	ck_assert_int_eq(r->enabled, 1);

	r = &c.rules[2];
	ck_assert_str_eq(r->name, "dns");
	ck_assert_uint_eq(r->ports.specs[0].lo, 53);
	ck_assert_uint_eq(r->ports.specs[0].protos, PD_UDP);
	ck_assert_uint_eq(r->allow_commands.n, 2);
	ck_assert(has(&r->allow_commands, 0, "systemd-resolve*"));
	ck_assert(has(&r->allow_commands, 1, "dnsmasq"));
	ck_assert_uint_eq(r->allow_users.n, 0);
	ck_assert_int_eq(r->action, RULE_KILL);
	ck_assert_int_eq(r->dry_run, 1);
	ck_assert_int_eq(r->enabled, 1);
	config_free(&c);
	config_errors_free(&e);
}
END_TEST

static const char *const good_fixtures[] = {
	"good_minimal.conf", "good_rules.conf", "good_globals.conf",
	"good_comments.conf", "good_crlf_bom.conf",
};

START_TEST(test_good_fixture)
{
	struct config c;
	struct config_errors e = { NULL, 0 };
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", CONFIG_DIR, good_fixtures[_i]);
	if (config_load(path, &c, &e) != 0)
		ck_abort_msg("%s", e.n > 0 ? e.v[0] : path);
	ck_assert_uint_eq(e.n, 0);
	config_free(&c);
	config_errors_free(&e);
}
END_TEST

/* Every good_*.conf in the directory is in the list above. */
START_TEST(test_good_listed)
{
	struct dirent *de;
	DIR *d;
	size_t i, n = 0;

	ck_assert_ptr_nonnull(d = opendir(CONFIG_DIR));
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "good_", 5) != 0)
			continue;
		for (i = 0; i < sizeof(good_fixtures) /
		    sizeof(good_fixtures[0]); i++)
			if (strcmp(de->d_name, good_fixtures[i]) == 0)
				break;
		ck_assert_msg(i < sizeof(good_fixtures) /
		    sizeof(good_fixtures[0]), "%s is not tested", de->d_name);
		n++;
	}
	closedir(d);
	ck_assert_uint_eq(n, sizeof(good_fixtures) / sizeof(good_fixtures[0]));
}
END_TEST

static void
load_fixture(const char *name, struct config *c)
{
	struct config_errors e = { NULL, 0 };
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", CONFIG_DIR, name);
	if (config_load(path, c, &e) != 0)
		ck_abort_msg("%s", e.n > 0 ? e.v[0] : path);
	config_errors_free(&e);
}

START_TEST(test_good_rules)
{
	struct config c;
	const struct rule *r;

	load_fixture("good_rules.conf", &c);
	ck_assert_uint_eq(c.nrules, 3);
	ck_assert_uint_eq(c.set, 0);

	r = &c.rules[0];
	ck_assert_str_eq(r->name, "web");
	ck_assert_uint_eq(r->ports.nspecs, 3);
	ck_assert_uint_eq(r->ports.specs[0].lo, 80);
	ck_assert_uint_eq(r->ports.specs[1].lo, 443);
	ck_assert_uint_eq(r->ports.specs[1].protos, PD_TCP);
	ck_assert_uint_eq(r->ports.specs[2].lo, 8000);
	ck_assert_uint_eq(r->ports.specs[2].hi, 8100);
	ck_assert_uint_eq(r->ports.specs[2].protos, PD_TCP | PD_UDP);
	ck_assert_uint_eq(r->ports_text.n, 3);
	ck_assert(has(&r->ports_text, 2, "8000-8100"));
	ck_assert(has(&r->allow_users, 0, "www-data"));
	ck_assert(has(&r->allow_users, 1, "nginx*"));
	ck_assert_uint_eq(r->nallow_uids, 3);
	ck_assert_uint_eq(r->allow_uids[0], 0);
	ck_assert_uint_eq(r->allow_uids[1], 33);
	ck_assert_uint_eq(r->allow_uids[2], 4294967294u);
	ck_assert(has(&r->allow_commands, 1, "apache2"));
	ck_assert(has(&r->allow_exes, 0, "/usr/sbin/nginx"));
	ck_assert(has(&r->allow_exes, 1, "*/apache2"));
	ck_assert_int_eq(r->action, RULE_KILL);
	ck_assert_uint_eq(r->grace_ms, 0);
	ck_assert_int_eq(r->dry_run, 1);
	ck_assert_int_eq(r->enabled, 0);

	/* Only the required keys: every default. */
	r = &c.rules[1];
	ck_assert_str_eq(r->name, "syslog");
	ck_assert_uint_eq(r->ports.specs[0].lo, 514);
	ck_assert_uint_eq(r->ports.specs[0].protos, PD_UDP);
	ck_assert_uint_eq(r->allow_users.n, 0);
	ck_assert_ptr_null(r->allow_users.v);
	ck_assert_uint_eq(r->nallow_uids, 0);
	ck_assert_ptr_null(r->allow_uids);
	ck_assert_uint_eq(r->allow_commands.n, 0);
	ck_assert_uint_eq(r->allow_exes.n, 0);
	ck_assert_int_eq(r->action, RULE_LOG);
	ck_assert_uint_eq(r->grace_ms, 3000);
	ck_assert_int_eq(r->dry_run, 0);
	ck_assert_int_eq(r->enabled, 1);

	r = &c.rules[2];
	ck_assert_uint_eq(strlen(r->name), CONFIG_NAME_MAX - 1);
	ck_assert_uint_eq(r->ports.nspecs, 2);
	ck_assert_uint_eq(r->ports.specs[0].lo, 1);
	ck_assert_uint_eq(r->ports.specs[1].hi, 65535);
	ck_assert_int_eq(r->action, RULE_TERMINATE);
	ck_assert_uint_eq(r->grace_ms, 600000);
	config_free(&c);
}
END_TEST

START_TEST(test_good_globals)
{
	struct config c;

	load_fixture("good_globals.conf", &c);
	ck_assert_uint_eq(c.interval_ms, 100);
	ck_assert_uint_eq(c.resync_ms, 0);
	ck_assert_str_eq(c.socket_path, "/tmp/portd-test.sock");
	ck_assert_uint_eq(c.socket_mode, 0660);
	ck_assert_str_eq(c.socket_group, "adm");
	ck_assert_uint_eq(c.history, 1000000);
	ck_assert_uint_eq(c.max_clients, 1);
	ck_assert_uint_eq(c.watch_buffer, 1024);
	ck_assert_int_eq(c.log_level, LOG_LVL_DEBUG);
	ck_assert_uint_eq(c.respawn_limit, 1000);
	ck_assert_uint_eq(c.respawn_window_s, 86400);
	ck_assert(has(&c.protect_commands, 0, "sshd"));
	ck_assert(has(&c.protect_commands, 1, "systemd*"));
	ck_assert(has(&c.protect_users, 0, "root"));
	ck_assert_uint_eq(c.protect_users.n, 1);
	ck_assert_uint_eq(c.nrules, 0);
	ck_assert_uint_eq(c.set, CONFIG_SET_INTERVAL | CONFIG_SET_RESYNC |
	    CONFIG_SET_SOCKET | CONFIG_SET_HISTORY | CONFIG_SET_MAX_CLIENTS |
	    CONFIG_SET_WATCH_BUFFER | CONFIG_SET_LOG_LEVEL);
	config_free(&c);

	load_fixture("good_crlf_bom.conf", &c);
	ck_assert_uint_eq(c.interval_ms, 2000);
	ck_assert_int_eq(c.log_level, LOG_LVL_WARN);
	ck_assert_uint_eq(c.set, CONFIG_SET_INTERVAL | CONFIG_SET_LOG_LEVEL);
	config_free(&c);
}
END_TEST

/* Comment markers inside strings are text; comments go anywhere else. */
START_TEST(test_comments)
{
	struct config c;

	load_fixture("good_comments.conf", &c);
	ck_assert_str_eq(c.socket_path, "/run/x//y/*z*/.sock");
	ck_assert_str_eq(c.socket_group, "http://example.org/");
	ck_assert_uint_eq(c.history, 7);
	ck_assert_uint_eq(c.nrules, 1);
	ck_assert_str_eq(c.rules[0].name, "a \"//\" name");
	config_free(&c);

	parse_ok("{\"socket\":{\"group\":\"http://x\"}}", &c);
	ck_assert_str_eq(c.socket_group, "http://x");
	config_free(&c);
	parse_ok("{\"socket\":{\"group\":\"a\\\\\"//\"b\":1}\n}}", &c);
	ck_assert_str_eq(c.socket_group, "a\\");
	config_free(&c);
	parse_ok("{\"socket\":{\"group\":\"/*\"},\"history\":2/*x*/}", &c);
	ck_assert_str_eq(c.socket_group, "/*");
	ck_assert_uint_eq(c.history, 2);
	config_free(&c);
	parse_ok("{/**/}//", &c);
	config_free(&c);
	parse_ok("{}/* a * / inside ** */", &c);
	config_free(&c);
	/* A comment is a separator, like a space. */
	parse_ok("{\"history\"/**/:/**/3}", &c);
	ck_assert_uint_eq(c.history, 3);
	config_free(&c);
}
END_TEST

/* Reads README: "NAME: message" or "NAME:L:C: ..." lines, in order. */
START_TEST(test_bad_fixtures)
{
	char line[1024], path[512], name[256], *text;
	struct config c;
	struct config_errors e = { NULL, 0 };
	struct dirent *de;
	size_t len, i, n, listed = 0, files = 0;
	FILE *readme, *fp;
	long pos;
	DIR *d;

	ck_assert_ptr_nonnull(readme = fopen(CONFIG_DIR "/README", "r"));
	ck_assert_ptr_nonnull(d = opendir(CONFIG_DIR));
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "bad_", 4) != 0)
			continue;
		files++;
		snprintf(name, sizeof(name), "%s", de->d_name);
		snprintf(path, sizeof(path), "%s/%s", CONFIG_DIR, name);
		ck_assert_ptr_nonnull(fp = fopen(path, "rb"));
		ck_assert_ptr_nonnull(text = malloc(65536));
		len = fread(text, 1, 65536, fp);
		fclose(fp);
		ck_assert_int_eq(config_parse(text, len, name,
		    portspec_lookup_services, &c, &e), -1);
		assert_default(&c);
		free(text);

		/* The README's lines for this fixture, in order. */
		rewind(readme);
		n = 0;
		while (fgets(line, sizeof(line), readme) != NULL) {
			line[strcspn(line, "\n")] = '\0';
			if (line[0] == '#' || strncmp(line, name,
			    strlen(name)) != 0 || line[strlen(name)] != ':')
				continue;
			ck_assert_msg(n < e.n, "%s: missing message: %s",
			    name, line);
			ck_assert_str_eq(e.v[n], line);
			n++;
		}
		ck_assert_msg(n > 0, "%s is not in README", name);
		ck_assert_msg(n == e.n, "%s: unexpected message: %s", name,
		    e.v[n < e.n ? n : 0]);
		listed++;
		config_errors_free(&e);
		config_free(&c);
	}
	closedir(d);
	ck_assert_uint_ge(files, 17);
	ck_assert_uint_eq(listed, files);

	/* ...and every README line names a fixture that exists. */
	rewind(readme);
	while (fgets(line, sizeof(line), readme) != NULL) {
		if (line[0] == '#')
			continue;
		i = strcspn(line, ":");
		snprintf(path, sizeof(path), "%s/%.*s", CONFIG_DIR, (int)i,
		    line);
		ck_assert_msg(access(path, R_OK) == 0, "README: %s", line);
	}
	pos = ftell(readme);
	ck_assert_int_gt(pos, 0);
	fclose(readme);
}
END_TEST

/* config_load names the file by the path it was given. */
START_TEST(test_load_names_path)
{
	struct config c;
	struct config_errors e = { NULL, 0 };

	ck_assert_int_eq(config_load(CONFIG_DIR "/bad_port.conf", &c, &e), -1);
	ck_assert_uint_eq(e.n, 1);
	ck_assert_str_eq(e.v[0], CONFIG_DIR "/bad_port.conf: "
	    "rules[0].ports[0]: 70000 is not a port (ports are 1-65535)");
	config_errors_free(&e);
	ck_assert_int_eq(config_load(CONFIG_DIR "/bad_syntax.conf", &c, &e),
	    -1);
	ck_assert_uint_eq(e.n, 1);
	ck_assert_str_eq(e.v[0], CONFIG_DIR "/bad_syntax.conf:3:2: syntax "
	    "error: expected ',' or '}' near '\"rules\"'");
	assert_default(&c);
	config_errors_free(&e);
}
END_TEST

START_TEST(test_load_errors)
{
	struct config c;
	struct config_errors e = { NULL, 0 };
	char path[] = "/tmp/check_config.XXXXXX";
	FILE *fp;
	int fd;
	size_t i;

	ck_assert_int_eq(config_load("/nonexistent/portd.conf", &c, &e), -1);
	ck_assert_uint_eq(e.n, 1);
	ck_assert_str_eq(e.v[0], "/nonexistent/portd.conf: No such file or "
	    "directory");
	assert_default(&c);
	config_errors_free(&e);

	ck_assert_int_eq(config_load(CONFIG_DIR, &c, &e), -1);
	ck_assert_uint_eq(e.n, 1);
	ck_assert_str_eq(e.v[0], CONFIG_DIR ": Is a directory");
	config_errors_free(&e);

	/* Over 1 MiB is refused, not cut. */
	ck_assert_int_ne(fd = mkstemp(path), -1);
	ck_assert_ptr_nonnull(fp = fdopen(fd, "w"));
	fputs("{\"history\": 5}", fp);
	for (i = 0; i < 1024 * 1024; i++)
		fputc(' ', fp);
	fclose(fp);
	ck_assert_int_eq(config_load(path, &c, &e), -1);
	ck_assert_uint_eq(e.n, 1);
	ck_assert(strstr(e.v[0], ": larger than 1048576 bytes") != NULL);
	ck_assert(strncmp(e.v[0], path, strlen(path)) == 0);
	config_errors_free(&e);
	/* Exactly the limit is fine. */
	ck_assert_int_eq(truncate(path, 1024 * 1024), 0);
	ck_assert_int_eq(config_load(path, &c, &e), 0);
	ck_assert_uint_eq(c.history, 5);
	config_free(&c);
	unlink(path);
}
END_TEST

static const struct {
	const char *text;
	const char *msg;
} syntax[] = {
	/* A missing comma: at the next key. */
	{ "{\n  \"interval_ms\": 500\n  \"history\": 5\n}",
	    "t.conf:3:3: syntax error: expected ',' or '}' near "
	    "'\"history\"'" },
	{ "{\"a\": [1 2]}",
	    "t.conf:1:10: syntax error: expected ',' or ']' near '2'" },
	/* A trailing comma: at the comma. */
	{ "{\n  \"history\": 5,\n}",
	    "t.conf:2:15: syntax error: trailing comma before '}'" },
	{ "{\"a\": [1, 2, ]}",
	    "t.conf:1:12: syntax error: trailing comma before ']'" },
	{ "{\"a\": 1,,}",
	    "t.conf:1:9: syntax error: expected a key in double quotes "
	    "near ','" },
	/* An unterminated comment: where it starts. */
	{ "{\n  /* one\n  two */ \"history\": 5 /* three\n}\n",
	    "t.conf:3:23: syntax error: unterminated /* comment" },
	{ "{} /", "t.conf:1:4: syntax error: text after the closing '}' "
	    "near '/'" },
	{ "", "t.conf:1:1: syntax error: no JSON object" },
	{ "  \n\t\n", "t.conf:1:1: syntax error: no JSON object" },
	{ "// only\n/* comments */\n",
	    "t.conf:1:1: syntax error: no JSON object" },
	{ "[]", "t.conf:1:1: syntax error: expected '{' near '['" },
	{ "\n\n  \"x\"",
	    "t.conf:3:3: syntax error: expected '{' near '\"x\"'" },
	{ "{\"a\": 1", "t.conf:1:8: syntax error: expected ',' or '}' at end "
	    "of file" },
	{ "{\"a\":", "t.conf:1:6: syntax error: expected a value at end of "
	    "file" },
	{ "{\"a\" 1}", "t.conf:1:6: syntax error: expected ':' near '1'" },
	{ "{a: 1}", "t.conf:1:2: syntax error: expected a key in double "
	    "quotes or '}' near 'a'" },
	{ "{'a': 1}", "t.conf:1:2: syntax error: keys take double quotes" },
	{ "{\"a\": 'x'}", "t.conf:1:7: syntax error: strings take double "
	    "quotes" },
	{ "{\"action\": kill}", "t.conf:1:12: syntax error: expected a value "
	    "(strings take double quotes) near 'kill'" },
	{ "{\"a\": tru}", "t.conf:1:7: syntax error: expected a value "
	    "(strings take double quotes) near 'tru'" },
	{ "{\"a\": True}", "t.conf:1:7: syntax error: expected a value "
	    "(strings take double quotes) near 'True'" },
	{ "{\"a\": }", "t.conf:1:7: syntax error: expected a value near '}'" },
	{ "{\"a\": 01}", "t.conf:1:7: syntax error: invalid number near '01'" },
	{ "{\"a\": 1.}", "t.conf:1:7: syntax error: invalid number near '1.'" },
	{ "{\"a\": .5}", "t.conf:1:7: syntax error: expected a value near "
	    "'.5'" },
	{ "{\"a\": +5}", "t.conf:1:7: syntax error: expected a value near "
	    "'+5'" },
	{ "{\"a\": -}", "t.conf:1:7: syntax error: invalid number near '-'" },
	{ "{\"a\": 1e}", "t.conf:1:7: syntax error: invalid number near '1e'" },
	{ "{\"a\": 10ms}", "t.conf:1:7: syntax error: invalid number near "
	    "'10ms'" },
	{ "{\"a\": 1234567890123456789012345678901234567890123456789012345678"
	    "901234}", "t.conf:1:7: syntax error: number longer than 63 "
	    "characters" },
	{ "{\"a\": \"abc\n}", "t.conf:1:7: syntax error: unterminated string" },
	{ "{\"a\": \"abc", "t.conf:1:7: syntax error: unterminated string" },
	{ "{\"a\": \"x\\q\"}", "t.conf:1:9: syntax error: invalid escape '\\q' "
	    "in a string" },
	{ "{\"a\": \"\\u12\"}", "t.conf:1:8: syntax error: \\u needs four hex "
	    "digits" },
	{ "{\"a\": \"\\u0000\"}", "t.conf:1:8: syntax error: \\u0000 is not "
	    "allowed in a string" },
	{ "{\"a\": \"\\ud800\"}", "t.conf:1:8: syntax error: unpaired "
	    "surrogate \\ud800" },
	{ "{\"a\": \"\\udc00\"}", "t.conf:1:8: syntax error: unpaired "
	    "surrogate \\udc00" },
	{ "{\"a\": \"\t\"}", "t.conf:1:8: syntax error: control character "
	    "0x09 in a string (write it as \\u0009)" },
	{ "{\"a\": \"\xff\"}", "t.conf:1:8: syntax error: invalid UTF-8 in a "
	    "string" },
	{ "{\"a\": \"\xed\xa0\x80\"}", "t.conf:1:8: syntax error: invalid "
	    "UTF-8 in a string" },
	/* Columns count characters: "é" is one. */
	{ "{\"\xc3\xa9\": 1 2}", "t.conf:1:9: syntax error: expected ',' or "
	    "'}' near '2'" },
	/* ...counted in the file, not in the copy without comments. */
	{ "{ /* \xc3\xa9 */ 1 }", "t.conf:1:11: syntax error: expected a key "
	    "in double quotes or '}' near '1'" },
	/* A BOM is not a column. */
	{ "\xef\xbb\xbf{,}", "t.conf:1:2: syntax error: expected a key in "
	    "double quotes or '}' near ','" },
	{ "{\"a\": 1}\n{}", "t.conf:2:1: syntax error: text after the closing "
	    "'}' near '{'" },
	{ "{\"a\": 1}}", "t.conf:1:9: syntax error: text after the closing "
	    "'}' near '}'" },
	{ "{\"a\": @}", "t.conf:1:7: syntax error: expected a value near '@'" },
	{ "{\"a\": \x01}", "t.conf:1:7: syntax error: expected a value near "
	    "control character 0x01" },
	/* A long token is cut in the message. */
	{ "{\"a\": abcdefghijklmnopqrstuvwxyzabcdefghijklmnop}",
	    "t.conf:1:7: syntax error: expected a value (strings take double "
	    "quotes) near 'abcdefghijklmnopqrstuvwxyzabcdef...'" },
};

START_TEST(test_syntax)
{
	parse_fails1(syntax[_i].text, syntax[_i].msg);
}
END_TEST

START_TEST(test_syntax_nul)
{
	struct config c;
	struct config_errors e = { NULL, 0 };

	/* A NUL byte inside the length is an error, not the end. */
	ck_assert_int_eq(config_parse("{}\0{", 4, "t.conf", NULL, &c, &e), -1);
	ck_assert_uint_eq(e.n, 1);
	ck_assert_str_eq(e.v[0], "t.conf:1:3: syntax error: text after the "
	    "closing '}' near control character 0x00");
	config_errors_free(&e);
	/* ...and the length is obeyed: no NUL needed at the end. */
	ck_assert_int_eq(config_parse("{}xyz", 2, "t.conf", NULL, &c, &e), 0);
	config_free(&c);
	ck_assert_int_eq(config_parse(NULL, 0, "t.conf", NULL, &c, &e), -1);
	ck_assert_str_eq(e.v[0], "t.conf:1:1: syntax error: no JSON object");
	config_errors_free(&e);
}
END_TEST

START_TEST(test_nesting)
{
	char text[300];
	size_t i;

	/* The scanner bounds nesting before cJSON does. */
	text[0] = '{';
	memcpy(text + 1, "\"a\":", 4);
	for (i = 5; i < 5 + 100; i++)
		text[i] = '[';
	text[i] = '\0';
	parse_fails1(text, "t.conf:1:69: syntax error: nested more than 64 "
	    "deep");
}
END_TEST

/* A syntax error is the only message, however wrong the rest is. */
START_TEST(test_syntax_only)
{
	parse_fails1("{\"frobnicate\": 1, \"history\": 0,\n\"rules\": [] x}",
	    "t.conf:2:13: syntax error: expected ',' or '}' near 'x'");
}
END_TEST

START_TEST(test_unknown_keys)
{
	parse_fails1("{\"frobnicate\": 1}", "t.conf: frobnicate: unknown key");
	parse_fails1("{\"interval\": 1}", "t.conf: interval: unknown key");
	parse_fails1("{\"intervalms\": 1}", "t.conf: intervalms: unknown key "
	    "(did you mean 'interval_ms'?)");
	parse_fails1("{\"Rules\": []}", "t.conf: Rules: unknown key (did you "
	    "mean 'rules'?)");
	parse_fails1("{\"socket\": {\"foo\": 1}}",
	    "t.conf: socket.foo: unknown key");
	parse_fails1("{\"socket\": {\"mod\": \"0600\"}}",
	    "t.conf: socket.mod: unknown key (did you mean 'mode'?)");
	parse_fails1("{\"protect\": {\"exe\": []}}",
	    "t.conf: protect.exe: unknown key (did you mean 'exes'?)");
	parse_fails1("{\"rules\": [{\"name\": \"a\", \"ports\": [\"1\"], "
	    "\"dryrun\": true}]}",
	    "t.conf: rules[0].dryrun: unknown key (did you mean 'dry_run'?)");
	parse_fails1("{\"rules\": [{\"name\": \"a\", \"ports\": [\"1\"], "
	    "\"allow\": {\"groups\": []}}]}",
	    "t.conf: rules[0].allow.groups: unknown key");
	parse_fails1("{\"rules\": [{\"name\": \"a\", \"ports\": [\"1\"], "
	    "\"allow\": {\"uid\": [0]}}]}",
	    "t.conf: rules[0].allow.uid: unknown key (did you mean 'uids'?)");
	/* No guess for a short word. */
	parse_fails1("{\"rules\": [{\"name\": \"a\", \"ports\": [\"1\"], "
	    "\"allow\": {\"id\": [0]}}]}",
	    "t.conf: rules[0].allow.id: unknown key");
	/* A strange key is shown safely. */
	parse_fails1("{\"a\\nb\": 1}", "t.conf: a?b: unknown key");
	parse_fails1("{\"\": 1}", "t.conf: : unknown key");
}
END_TEST

static const struct {
	const char *text;
	const char *msg;
} wrong[] = {
	{ "{\"interval_ms\": \"1000\"}",
	    "t.conf: interval_ms: expected an integer from 100 to 3600000" },
	{ "{\"interval_ms\": 1.5}",
	    "t.conf: interval_ms: expected an integer from 100 to 3600000" },
	{ "{\"interval_ms\": null}",
	    "t.conf: interval_ms: expected an integer from 100 to 3600000" },
	{ "{\"interval_ms\": true}",
	    "t.conf: interval_ms: expected an integer from 100 to 3600000" },
	{ "{\"interval_ms\": [1000]}",
	    "t.conf: interval_ms: expected an integer from 100 to 3600000" },
	{ "{\"interval_ms\": 1e300}",
	    "t.conf: interval_ms: expected an integer from 100 to 3600000" },
	{ "{\"resync_s\": -1}",
	    "t.conf: resync_s: expected an integer from 0 to 86400" },
	{ "{\"socket\": []}", "t.conf: socket: expected an object" },
	{ "{\"socket\": {\"path\": 1}}",
	    "t.conf: socket.path: expected an absolute path" },
	{ "{\"socket\": {\"group\": 0}}",
	    "t.conf: socket.group: expected a non-empty string" },
	{ "{\"socket\": {\"group\": \"a\\tb\"}}",
	    "t.conf: socket.group: control characters are not allowed" },
	{ "{\"log_level\": \"verbose\"}", "t.conf: log_level: expected one of "
	    "error, warning, notice, info, debug" },
	{ "{\"log_level\": \"INFO\"}", "t.conf: log_level: expected one of "
	    "error, warning, notice, info, debug" },
	{ "{\"log_level\": 6}", "t.conf: log_level: expected one of error, "
	    "warning, notice, info, debug" },
	{ "{\"protect\": []}", "t.conf: protect: expected an object" },
	{ "{\"protect\": {\"users\": \"root\"}}",
	    "t.conf: protect.users: expected an array of strings" },
	{ "{\"protect\": {\"users\": [\"root\", null]}}",
	    "t.conf: protect.users[1]: expected a non-empty string" },
	{ "{\"rules\": {}}", "t.conf: rules: expected an array of rules" },
	{ "{\"rules\": [[]]}", "t.conf: rules[0]: expected an object" },
	{ "{\"rules\": [{\"name\": 1, \"ports\": [\"1\"]}]}",
	    "t.conf: rules[0].name: expected a string of 1 to 63 bytes" },
	{ "{\"rules\": [{\"name\": \"a\\u0001\", \"ports\": [\"1\"]}]}",
	    "t.conf: rules[0].name: control characters are not allowed" },
	{ "{\"rules\": [{\"name\": \"a\", \"ports\": \"80\"}]}",
	    "t.conf: rules[0].ports: expected a non-empty array of port "
	    "specifications" },
	{ "{\"rules\": [{\"name\": \"a\", \"ports\": [80]}]}",
	    "t.conf: rules[0].ports[0]: expected a string like \"5432\", "
	    "\"53/udp\" or \"8000-8100/tcp\"" },
	{ "{\"rules\": [{\"name\": \"a\", \"ports\": [\"1\"], \"allow\": []}]}",
	    "t.conf: rules[0].allow: expected an object" },
	{ "{\"rules\": [{\"name\": \"a\", \"ports\": [\"1\"], \"allow\": "
	    "{\"uids\": 0}}]}",
	    "t.conf: rules[0].allow.uids: expected an array of integers" },
	{ "{\"rules\": [{\"name\": \"a\", \"ports\": [\"1\"], \"allow\": "
	    "{\"uids\": [\"0\"]}}]}",
	    "t.conf: rules[0].allow.uids[0]: expected an integer from 0 to "
	    "4294967294" },
	{ "{\"rules\": [{\"name\": \"a\", \"ports\": [\"1\"], \"allow\": "
	    "{\"commands\": [\"\"]}}]}",
	    "t.conf: rules[0].allow.commands[0]: expected a non-empty string" },
	{ "{\"rules\": [{\"name\": \"a\", \"ports\": [\"1\"], \"allow\": "
	    "{\"exes\": [true]}}]}",
	    "t.conf: rules[0].allow.exes[0]: expected a non-empty string" },
	{ "{\"rules\": [{\"name\": \"a\", \"ports\": [\"1\"], \"action\": "
	    "\"Kill\"}]}",
	    "t.conf: rules[0].action: expected one of log, terminate, kill" },
	{ "{\"rules\": [{\"name\": \"a\", \"ports\": [\"1\"], \"action\": "
	    "null}]}",
	    "t.conf: rules[0].action: expected one of log, terminate, kill" },
	{ "{\"rules\": [{\"name\": \"a\", \"ports\": [\"1\"], \"grace_ms\": "
	    "\"3s\"}]}",
	    "t.conf: rules[0].grace_ms: expected an integer from 0 to 600000" },
	{ "{\"rules\": [{\"name\": \"a\", \"ports\": [\"1\"], \"dry_run\": "
	    "1}]}", "t.conf: rules[0].dry_run: expected true or false" },
	{ "{\"rules\": [{\"name\": \"a\", \"ports\": [\"1\"], \"dry_run\": "
	    "\"true\"}]}", "t.conf: rules[0].dry_run: expected true or false" },
	{ "{\"rules\": [{\"name\": \"a\", \"ports\": [\"1\"], \"enabled\": "
	    "null}]}", "t.conf: rules[0].enabled: expected true or false" },
};

START_TEST(test_wrong_types)
{
	parse_fails1(wrong[_i].text, wrong[_i].msg);
}
END_TEST

/* Integers at and beyond each limit. */
static const struct {
	const char *key;
	long long lo, hi;
} limits[] = {
	{ "interval_ms", 100, 3600000 },
	{ "resync_s", 0, 86400 },
	{ "history", 1, 1000000 },
	{ "max_clients", 1, 1000000 },
	{ "max_clients_per_uid", 1, 1000000 },
	{ "idle_timeout_ms", 0, 86400000 },
	{ "max_kill_jobs", 1, 100000 },
	{ "max_kill_timeout_ms", 0, 3600000 },
	{ "watch_buffer", 1024, 1073741824 },
	{ "respawn_limit", 1, 1000 },
	{ "respawn_window_s", 1, 86400 },
};

START_TEST(test_limits)
{
	char text[128], msg[128];
	struct config c;

	snprintf(msg, sizeof(msg), "t.conf: %s: expected an integer from %lld "
	    "to %lld", limits[_i].key, limits[_i].lo, limits[_i].hi);
	snprintf(text, sizeof(text), "{\"%s\": %lld}", limits[_i].key,
	    limits[_i].lo - 1);
	parse_fails1(text, msg);
	snprintf(text, sizeof(text), "{\"%s\": %lld}", limits[_i].key,
	    limits[_i].hi + 1);
	parse_fails1(text, msg);
	snprintf(text, sizeof(text), "{\"%s\": %lld.5}", limits[_i].key,
	    limits[_i].lo);
	parse_fails1(text, msg);
	snprintf(text, sizeof(text), "{\"%s\": %lld}", limits[_i].key,
	    limits[_i].lo);
	parse_ok(text, &c);
	config_free(&c);
	snprintf(text, sizeof(text), "{\"%s\": %lld}", limits[_i].key,
	    limits[_i].hi);
	parse_ok(text, &c);
	config_free(&c);
}
END_TEST

START_TEST(test_boundaries)
{
	struct config c;

	parse_fails1("{\"interval_ms\": 99}",
	    "t.conf: interval_ms: expected an integer from 100 to 3600000");
	parse_ok("{\"interval_ms\": 100}", &c);
	ck_assert_uint_eq(c.interval_ms, 100);
	ck_assert_uint_eq(c.set, CONFIG_SET_INTERVAL);
	config_free(&c);
	/* A whole number is an integer however it is written. */
	parse_ok("{\"interval_ms\": 1e3, \"history\": 2.0}", &c);
	ck_assert_uint_eq(c.interval_ms, 1000);
	ck_assert_uint_eq(c.history, 2);
	config_free(&c);
	parse_ok("{\"resync_s\": 86400}", &c);
	ck_assert_uint_eq(c.resync_ms, 86400000u);
	ck_assert_uint_eq(c.set, CONFIG_SET_RESYNC);
	config_free(&c);
	parse_ok("{\"resync_s\": 0}", &c);
	ck_assert_uint_eq(c.resync_ms, 0);
	config_free(&c);
	parse_ok("{\"watch_buffer\": 1073741824}", &c);
	ck_assert_uint_eq(c.watch_buffer, 1073741824u);
	config_free(&c);

	parse_fails1("{\"rules\": [{\"name\": \"a\", \"ports\": [\"0\"]}]}",
	    "t.conf: rules[0].ports[0]: 0 is not a port (ports are 1-65535)");
	parse_ok("{\"rules\": [{\"name\": \"a\", \"ports\": [\"65535\"]}]}",
	    &c);
	ck_assert_uint_eq(c.rules[0].ports.specs[0].lo, 65535);
	config_free(&c);
	parse_fails1("{\"rules\": [{\"name\": \"a\", \"ports\": [\"65536\"]}]}",
	    "t.conf: rules[0].ports[0]: 65536 is not a port (ports are "
	    "1-65535)");
	parse_fails1("{\"rules\": [{\"name\": \"a\", \"ports\": [\"90-80\"]}]}",
	    "t.conf: rules[0].ports[0]: 90-80: range is backwards (90 > 80)");
	parse_fails1("{\"rules\": [{\"name\": \"a\", \"ports\": [\"\"]}]}",
	    "t.conf: rules[0].ports[0]: empty port specification");
	parse_fails1("{\"rules\": [{\"name\": \"a\", \"ports\": []}]}",
	    "t.conf: rules[0].ports: expected a non-empty array of port "
	    "specifications");

	parse_fails1("{\"rules\": [{\"name\": \"a\", \"ports\": [\"1\"], "
	    "\"grace_ms\": -1}]}",
	    "t.conf: rules[0].grace_ms: expected an integer from 0 to 600000");
	parse_fails1("{\"rules\": [{\"name\": \"a\", \"ports\": [\"1\"], "
	    "\"grace_ms\": 600001}]}",
	    "t.conf: rules[0].grace_ms: expected an integer from 0 to 600000");
	parse_ok("{\"rules\": [{\"name\": \"a\", \"ports\": [\"1\"], "
	    "\"grace_ms\": 0}]}", &c);
	ck_assert_uint_eq(c.rules[0].grace_ms, 0);
	config_free(&c);

	parse_fails1("{\"rules\": [{\"name\": \"a\", \"ports\": [\"1\"], "
	    "\"allow\": {\"uids\": [4294967295]}}]}",
	    "t.conf: rules[0].allow.uids[0]: expected an integer from 0 to "
	    "4294967294");
	parse_fails1("{\"rules\": [{\"name\": \"a\", \"ports\": [\"1\"], "
	    "\"allow\": {\"uids\": [-1]}}]}",
	    "t.conf: rules[0].allow.uids[0]: expected an integer from 0 to "
	    "4294967294");

	parse_fails1("{\"rules\": [{\"name\": \"\", \"ports\": [\"1\"]}]}",
	    "t.conf: rules[0].name: expected a string of 1 to 63 bytes");
	parse_fails1("{\"rules\": [{\"name\": \"12345678901234567890123456789"
	    "01234567890123456789012345678901234\", \"ports\": [\"1\"]}]}",
	    "t.conf: rules[0].name: expected a string of 1 to 63 bytes");
	/* 63 bytes of UTF-8 fit; the limit is in bytes. */
	parse_ok("{\"rules\": [{\"name\": \"\xc3\xa9\xc3\xa9\xc3\xa9"
	    "123456789012345678901234567890123456789012345678901234567\", "
	    "\"ports\": [\"1\"]}]}", &c);
	ck_assert_uint_eq(strlen(c.rules[0].name), 63);
	config_free(&c);
}
END_TEST

START_TEST(test_ports)
{
	char text[1024];
	struct config c;
	size_t i;

	/* Service names go through the lookup; without one, no names. */
	parse_ok("{\"rules\": [{\"name\": \"a\", \"ports\": [\"web\", "
	    "\"53/udp\"]}]}", &c);
	ck_assert_uint_eq(c.rules[0].ports.nspecs, 2);
	ck_assert_uint_eq(c.rules[0].ports.specs[0].lo, 8000);
	ck_assert_uint_eq(c.rules[0].ports.specs[0].protos, PD_TCP);
	ck_assert(has(&c.rules[0].ports_text, 0, "web"));
	ck_assert(has(&c.rules[0].ports_text, 1, "53/udp"));
	config_free(&c);
	parse_fails1("{\"rules\": [{\"name\": \"a\", \"ports\": "
	    "[\"web/udp\"]}]}",
	    "t.conf: rules[0].ports[0]: web/udp: not a port, range or known "
	    "service name");
	parse_fails1("{\"rules\": [{\"name\": \"a\", \"ports\": "
	    "[\"80/sctp\"]}]}",
	    "t.conf: rules[0].ports[0]: 80/sctp: unknown protocol 'sctp' "
	    "(tcp or udp)");

	/* At most FILTER_MAX_SPECS. */
	snprintf(text, sizeof(text), "{\"rules\": [{\"name\": \"a\", "
	    "\"ports\": [\"1\"");
	for (i = 2; i <= FILTER_MAX_SPECS; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text),
		    ",\"%zu\"", i);
	snprintf(text + strlen(text), sizeof(text) - strlen(text), "]}]}");
	parse_ok(text, &c);
	ck_assert_uint_eq(c.rules[0].ports.nspecs, FILTER_MAX_SPECS);
	ck_assert_uint_eq(c.rules[0].ports_text.n, FILTER_MAX_SPECS);
	config_free(&c);
	snprintf(text + strlen(text) - 4, sizeof(text) - strlen(text) + 4,
	    ",\"99\"]}]}");
	parse_fails1(text, "t.conf: rules[0].ports: 65 port specifications; "
	    "at most 64");
}
END_TEST

#define PROTECT_ALONE "t.conf: protect.commands: a command name alone " \
	"protects nothing (any process can call itself \"sshd\"); add " \
	"protect.uids, protect.users or protect.exes, e.g. \"uids\": [0]"

/* protect.commands needs who the process is as well. */
START_TEST(test_protect)
{
	struct config c;

	parse_fails1("{\"protect\": {\"commands\": [\"sshd\"]}}",
	    PROTECT_ALONE);
	parse_fails1("{\"protect\": {\"commands\": [\"sshd\"], "
	    "\"users\": [], \"uids\": [], \"exes\": []}}", PROTECT_ALONE);
	parse_ok("{\"protect\": {\"commands\": [\"sshd\"], \"uids\": [0]}}",
	    &c);
	ck_assert(has(&c.protect_commands, 0, "sshd"));
	ck_assert_uint_eq(c.nprotect_uids, 1);
	ck_assert_uint_eq(c.protect_uids[0], 0);
	config_free(&c);
	parse_ok("{\"protect\": {\"commands\": [\"sshd\"], \"exes\": "
	    "[\"/usr/sbin/sshd\"]}}", &c);
	ck_assert(has(&c.protect_exes, 0, "/usr/sbin/sshd"));
	config_free(&c);
	parse_ok("{\"protect\": {\"commands\": [], \"users\": [\"root\"]}}",
	    &c);
	ck_assert(has(&c.protect_users, 0, "root"));
	config_free(&c);
	parse_ok("{\"protect\": {\"uids\": [0, 4294967294]}}", &c);
	ck_assert_uint_eq(c.nprotect_uids, 2);
	ck_assert_uint_eq(c.protect_uids[1], 4294967294u);
	config_free(&c);
	parse_fails1("{\"protect\": {\"uids\": [-1]}}", "t.conf: "
	    "protect.uids[0]: expected an integer from 0 to 4294967294");
	parse_fails1("{\"protect\": {\"exes\": \"/x\"}}", "t.conf: "
	    "protect.exes: expected an array of strings");
}
END_TEST

START_TEST(test_socket)
{
	char text[256], msg[256], path[120];
	struct config c;

	parse_ok("{\"socket\": {\"mode\": \"0660\"}}", &c);
	ck_assert_uint_eq(c.socket_mode, 0660);
	ck_assert_uint_eq(c.set, CONFIG_SET_SOCKET);
	ck_assert_ptr_null(c.socket_path);
	config_free(&c);
	parse_ok("{\"socket\": {\"mode\": \"660\"}}", &c);
	ck_assert_uint_eq(c.socket_mode, 0660);
	config_free(&c);
	parse_ok("{\"socket\": {\"mode\": \"0\"}}", &c);
	ck_assert_uint_eq(c.socket_mode, 0);
	config_free(&c);
	parse_ok("{\"socket\": {\"mode\": \"0777\"}}", &c);
	ck_assert_uint_eq(c.socket_mode, 0777);
	config_free(&c);
	parse_ok("{\"socket\": {\"mode\": \"000600\"}}", &c);
	ck_assert_uint_eq(c.socket_mode, 0600);
	config_free(&c);
	/* An empty socket object still says the file set it. */
	parse_ok("{\"socket\": {}}", &c);
	ck_assert_uint_eq(c.set, CONFIG_SET_SOCKET);
	ck_assert_uint_eq(c.socket_mode, 0666);
	config_free(&c);

#define BADMODE "t.conf: socket.mode: expected permissions in octal from " \
	"\"0000\" to \"0777\", like \"0660\""
	parse_fails1("{\"socket\": {\"mode\": \"999\"}}", BADMODE);
	parse_fails1("{\"socket\": {\"mode\": \"01000\"}}", BADMODE);
	parse_fails1("{\"socket\": {\"mode\": \"\"}}", BADMODE);
	parse_fails1("{\"socket\": {\"mode\": \"-660\"}}", BADMODE);
	parse_fails1("{\"socket\": {\"mode\": \"0o660\"}}", BADMODE);
	parse_fails1("{\"socket\": {\"mode\": \"0660 \"}}", BADMODE);
	parse_fails1("{\"socket\": {\"mode\": 660}}", BADMODE);
	parse_fails1("{\"socket\": {\"mode\": \"07777777777777777777\"}}",
	    BADMODE);
#undef BADMODE

	/* sun_path holds 108 bytes with the NUL: 107 fit. */
	memset(path, 'a', sizeof(path));
	path[0] = '/';
	path[107] = '\0';
	snprintf(text, sizeof(text), "{\"socket\": {\"path\": \"%s\"}}", path);
	parse_ok(text, &c);
	ck_assert_uint_eq(strlen(c.socket_path), 107);
	config_free(&c);
	path[107] = 'a';
	path[108] = '\0';
	snprintf(text, sizeof(text), "{\"socket\": {\"path\": \"%s\"}}", path);
	snprintf(msg, sizeof(msg), "t.conf: socket.path: 108 bytes long; a "
	    "socket path must be shorter than 108 bytes");
	parse_fails1(text, msg);
	parse_fails1("{\"socket\": {\"path\": \"run/portd.sock\"}}",
	    "t.conf: socket.path: expected an absolute path");
	parse_fails1("{\"socket\": {\"path\": \"\"}}",
	    "t.conf: socket.path: expected an absolute path");
	parse_fails1("{\"socket\": {\"group\": \"\"}}",
	    "t.conf: socket.group: expected a non-empty string");
}
END_TEST

START_TEST(test_duplicates)
{
	static const char *const twice_top[] = {
		"t.conf: key 'history' given twice",
		"t.conf: key 'history' given twice",
		NULL,
	};
	struct config c;

	parse_fails1("{\"rules\": [{\"name\": \"x\", \"ports\": [\"1\"]}, "
	    "{\"name\": \"y\", \"ports\": [\"1\"]}, {\"name\": \"z\", "
	    "\"ports\": [\"1\"]}, {\"name\": \"y\", \"ports\": [\"1\"]}]}",
	    "t.conf: rules[3].name: duplicate rule name 'y' (also rules[1])");
	/* Names are compared exactly. */
	parse_ok("{\"rules\": [{\"name\": \"x\", \"ports\": [\"1\"]}, "
	    "{\"name\": \"X\", \"ports\": [\"1\"]}, {\"name\": \"x \", "
	    "\"ports\": [\"1\"]}]}", &c);
	ck_assert_uint_eq(c.nrules, 3);
	config_free(&c);

	parse_fails1("{\"rules\": [{\"name\": \"a\", \"ports\": [\"1\"], "
	    "\"ports\": [\"2\"]}]}",
	    "t.conf: rules[0]: key 'ports' given twice");
	parse_fails(" {\"history\": 1, \"history\": 1, \"history\": 2}",
	    twice_top);
	parse_fails1("{\"socket\": {\"mode\": \"0600\", \"mode\": \"0600\"}}",
	    "t.conf: socket: key 'mode' given twice");
	parse_fails1("{\"rules\": [{\"name\": \"a\", \"ports\": [\"1\"], "
	    "\"allow\": {\"uids\": [1], \"uids\": [2]}}]}",
	    "t.conf: rules[0].allow: key 'uids' given twice");
}
END_TEST

START_TEST(test_missing)
{
	static const char *const both[] = {
		"t.conf: rules[0]: missing 'name'",
		"t.conf: rules[0]: missing 'ports'",
		NULL,
	};

	parse_fails("{\"rules\": [{}]}", both);
	parse_fails1("{\"rules\": [{\"name\": \"a\"}]}",
	    "t.conf: rules[0]: missing 'ports'");
	parse_fails1("{\"rules\": [{\"ports\": [\"1\"]}]}",
	    "t.conf: rules[0]: missing 'name'");
}
END_TEST

/* Every error, in file order, not just the first. */
START_TEST(test_all_errors_in_order)
{
	static const char *const want[] = {
		"t.conf: interval_ms: expected an integer from 100 to 3600000",
		"t.conf: rules[0].ports[0]: 70000 is not a port (ports are "
		    "1-65535)",
		"t.conf: rules[0].action: expected one of log, terminate, kill",
		"t.conf: rules[1].name: duplicate rule name 'a' (also "
		    "rules[0])",
		"t.conf: rules[1].dryrun: unknown key (did you mean "
		    "'dry_run'?)",
		"t.conf: frobnicate: unknown key",
		NULL,
	};

	parse_fails("{\"interval_ms\": 99, \"rules\": [{\"name\": \"a\", "
	    "\"ports\": [\"70000\", \"80\"], \"action\": \"stop\"}, {\"name\": "
	    "\"a\", \"ports\": [\"1\"], \"dryrun\": true}], \"frobnicate\": "
	    "{}}", want);
}
END_TEST

/* A file with very many errors says so after 100 of them. */
START_TEST(test_error_cap)
{
	struct config c;
	struct config_errors e = { NULL, 0 };
	char *text;
	size_t i, n;

	ck_assert_ptr_nonnull(text = malloc(8192));
	n = (size_t)snprintf(text, 8192, "{\"protect\": {\"users\": [0");
	for (i = 1; i < 150; i++)
		n += (size_t)snprintf(text + n, 8192 - n, ",0");
	snprintf(text + n, 8192 - n, "]}}");
	ck_assert_int_eq(parse(text, &c, &e), -1);
	ck_assert_uint_eq(e.n, 101);
	ck_assert_str_eq(e.v[0], "t.conf: protect.users[0]: expected a "
	    "non-empty string");
	ck_assert_str_eq(e.v[99], "t.conf: protect.users[99]: expected a "
	    "non-empty string");
	ck_assert_str_eq(e.v[100], "t.conf: more than 100 errors; the rest "
	    "are not shown");
	assert_default(&c);
	config_errors_free(&e);
	free(text);
}
END_TEST

/* On failure out is as config_init made it; errs is appended to. */
START_TEST(test_failure_resets)
{
	struct config c;
	struct config_errors e = { NULL, 0 };

	ck_assert_int_eq(parse("{\"interval_ms\": 500, \"socket\": {\"path\": "
	    "\"/x\", \"group\": \"g\"}, \"protect\": {\"users\": [\"root\"]}, "
	    "\"rules\": [{\"name\": \"ok\", \"ports\": [\"1\"], \"allow\": "
	    "{\"users\": [\"u\"], \"uids\": [1]}}, {\"name\": \"bad\"}]}",
	    &c, &e), -1);
	ck_assert_uint_eq(e.n, 1);
	assert_default(&c);
	ck_assert_int_eq(parse("{\"rules\": [{\"name\": \"ok\", \"ports\": "
	    "[\"1\"]}], \"history\": 1,}", &c, &e), -1);
	ck_assert_uint_eq(e.n, 2);
	ck_assert_str_eq(e.v[0], "t.conf: rules[1]: missing 'ports'");
	ck_assert_str_eq(e.v[1], "t.conf:1:57: syntax error: trailing comma "
	    "before '}'");
	assert_default(&c);
	config_errors_free(&e);
}
END_TEST

/* Strings: UTF-8 kept, escapes decoded. */
START_TEST(test_strings)
{
	struct config c;

	parse_ok("{\"rules\": [{\"name\": \"caf\\u00e9 \\ud83d\\ude00 "
	    "\xc3\xa9\", \"ports\": [\"1\"], \"allow\": {\"users\": "
	    "[\"DOMAIN\\\\user\"], \"exes\": [\"C:\\\\Program Files\\\\x."
	    "exe\"]}}]}", &c);
	ck_assert_str_eq(c.rules[0].name, "caf\xc3\xa9 \xf0\x9f\x98\x80 "
	    "\xc3\xa9");
	ck_assert(has(&c.rules[0].allow_users, 0, "DOMAIN\\user"));
	ck_assert(has(&c.rules[0].allow_exes, 0, "C:\\Program Files\\x.exe"));
	config_free(&c);
}
END_TEST

static Suite *
config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc;

	tc = tcase_create("basics");
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_free_zeroed);
	tcase_add_test(tc, test_action_names);
	tcase_add_test(tc, test_example);
	suite_add_tcase(s, tc);

	tc = tcase_create("fixtures");
	tcase_add_loop_test(tc, test_good_fixture, 0,
	    (int)(sizeof(good_fixtures) / sizeof(good_fixtures[0])));
	tcase_add_test(tc, test_good_listed);
	tcase_add_test(tc, test_good_rules);
	tcase_add_test(tc, test_good_globals);
	tcase_add_test(tc, test_comments);
	tcase_add_test(tc, test_bad_fixtures);
	tcase_add_test(tc, test_load_names_path);
	tcase_add_test(tc, test_load_errors);
	suite_add_tcase(s, tc);

	tc = tcase_create("syntax");
	tcase_add_loop_test(tc, test_syntax, 0,
	    (int)(sizeof(syntax) / sizeof(syntax[0])));
	tcase_add_test(tc, test_syntax_nul);
	tcase_add_test(tc, test_nesting);
	tcase_add_test(tc, test_syntax_only);
	suite_add_tcase(s, tc);

	tc = tcase_create("values");
	tcase_add_test(tc, test_unknown_keys);
	tcase_add_loop_test(tc, test_wrong_types, 0,
	    (int)(sizeof(wrong) / sizeof(wrong[0])));
	tcase_add_loop_test(tc, test_limits, 0,
	    (int)(sizeof(limits) / sizeof(limits[0])));
	tcase_add_test(tc, test_boundaries);
	tcase_add_test(tc, test_ports);
	tcase_add_test(tc, test_socket);
	tcase_add_test(tc, test_protect);
	tcase_add_test(tc, test_duplicates);
	tcase_add_test(tc, test_missing);
	tcase_add_test(tc, test_all_errors_in_order);
	tcase_add_test(tc, test_error_cap);
	tcase_add_test(tc, test_failure_resets);
	tcase_add_test(tc, test_strings);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(config_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
