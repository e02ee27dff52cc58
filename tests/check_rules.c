/*
 * check_rules.c - the reserved-port rules: which rule decides a socket,
 * who is allowed, who is protected, and the verdict; and reading the
 * systemd unit out of /proc/PID/cgroup for respawn reports.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "decode_linux.h"
#include "rules.h"

static const char conf_text[] =
    "{\n"
    "  \"protect\": { \"commands\": [\"sshd*\"], \"uids\": [0],\n"
    "    \"users\": [\"backup\"] },\n"
    "  \"rules\": [\n"
    "    { \"name\": \"off\", \"ports\": [\"5432\"], \"enabled\": false,\n"
    "      \"action\": \"kill\" },\n"
    "    { \"name\": \"db\", \"ports\": [\"5432/tcp\"], \"action\": \"terminate\",\n"
    "      \"allow\": { \"users\": [\"postgres\"], \"uids\": [70],\n"
    "        \"exes\": [\"/usr/lib/postgresql/*/bin/postgres\"] } },\n"
    "    { \"name\": \"web\", \"ports\": [\"8000-8100\", \"443\"],\n"
    "      \"allow\": { \"commands\": [\"nginx\", \"node*\"] } },\n"
    "    { \"name\": \"wide\", \"ports\": [\"8050\"], \"action\": \"kill\" }\n"
    "  ]\n"
    "}\n";

static struct config cfg;

static void
setup(void)
{
	struct config_errors errs = { NULL, 0 };
	size_t i;

	if (config_parse(conf_text, strlen(conf_text), "test.conf", NULL, &cfg,
	    &errs) != 0) {
		for (i = 0; i < errs.n; i++)
			fprintf(stderr, "%s\n", errs.v[i]);
		ck_abort_msg("test configuration does not parse");
	}
	config_errors_free(&errs);
}

static void
teardown(void)
{
	config_free(&cfg);
}

static struct sock_info
sock(int proto, int family, uint16_t port, int v6only)
{
	struct sock_info si;

	memset(&si, 0, sizeof(si));
	si.proto = (uint8_t)proto;
	si.family = (uint8_t)family;
	si.port = port;
	si.v6only = (int8_t)v6only;
	return si;
}

static struct proc_info
proc(int32_t pid, const char *comm, const char *user, uint32_t uid,
    const char *exe)
{
	struct proc_info p;

	memset(&p, 0, sizeof(p));
	p.pid = pid;
	p.ppid = 1;
	p.uid = p.suid = uid;
	snprintf(p.comm, sizeof(p.comm), "%s", comm);
	snprintf(p.user, sizeof(p.user), "%s", user);
	p.exe = (char *)(uintptr_t)exe;	/* borrowed; never freed here */
	return p;
}

START_TEST(test_find)
{
	struct sock_info si = sock(PD_TCP, PD_INET, 5432, 0);
	const struct rule *r;

	/* The disabled rule comes first but does not decide. */
	ck_assert_ptr_nonnull(r = rules_find(&cfg, &si));
	ck_assert_str_eq(r->name, "db");
	/* 5432/tcp only. */
	si = sock(PD_UDP, PD_INET, 5432, 0);
	ck_assert_ptr_null(rules_find(&cfg, &si));
	/* The first matching rule decides: 8050 is in web's range. */
	si = sock(PD_TCP, PD_INET6, 8050, 1);
	ck_assert_str_eq(rules_find(&cfg, &si)->name, "web");
	si = sock(PD_UDP, PD_INET, 443, 0);
	ck_assert_str_eq(rules_find(&cfg, &si)->name, "web");
	si = sock(PD_TCP, PD_INET, 8101, 0);
	ck_assert_ptr_null(rules_find(&cfg, &si));
	si = sock(PD_TCP, PD_INET, 7999, 0);
	ck_assert_ptr_null(rules_find(&cfg, &si));
}
END_TEST

START_TEST(test_families)
{
	struct proc_info p = proc(4000, "nc", "bob", 1000, "/usr/bin/nc");
	const struct rule *r;
	struct sock_info v4 = sock(PD_TCP, PD_INET, 5432, 0);
	struct sock_info v6 = sock(PD_TCP, PD_INET6, 5432, 1);
	struct sock_info dual = sock(PD_TCP, PD_INET6, 5432, 0);

	/* Rules name no family: every kind of socket is judged. */
	ck_assert_int_eq(rules_evaluate(&cfg, &v4, &p, 1, &r),
	    VERDICT_VIOLATION);
	ck_assert_int_eq(rules_evaluate(&cfg, &v6, &p, 1, &r),
	    VERDICT_VIOLATION);
	ck_assert_int_eq(rules_evaluate(&cfg, &dual, &p, 1, &r),
	    VERDICT_VIOLATION);
	ck_assert_str_eq(r->name, "db");
}
END_TEST

START_TEST(test_allow)
{
	const struct rule *db, *web;
	struct sock_info si = sock(PD_TCP, PD_INET, 5432, 0);
	struct proc_info p;

	db = rules_find(&cfg, &si);
	si.port = 8080;
	web = rules_find(&cfg, &si);
	p = proc(10, "postgres", "postgres", 115, "/usr/bin/x");
	ck_assert(rules_allows(db, &p));		/* by user */
	p = proc(10, "postgres", "pg", 70, "/usr/bin/x");
	ck_assert(rules_allows(db, &p));		/* by uid */
	p = proc(10, "x", "pg", 71, "/usr/lib/postgresql/15/bin/postgres");
	ck_assert(rules_allows(db, &p));		/* by exe glob */
	/* '*' does not cross '/' in exes. */
	p = proc(10, "x", "pg", 71, "/usr/lib/postgresql/15/x/bin/postgres");
	ck_assert(!rules_allows(db, &p));
	p = proc(10, "postgres", "pg", 71, NULL);
	ck_assert(!rules_allows(db, &p));		/* name alone: no */
	p = proc(10, "nginx", "www", 33, NULL);
	ck_assert(rules_allows(web, &p));		/* by command */
	p = proc(10, "node-18", "dev", 1000, NULL);
	ck_assert(rules_allows(web, &p));		/* by command glob */
	p = proc(10, "python3", "dev", 1000, "/usr/bin/python3");
	ck_assert(!rules_allows(web, &p));
}
END_TEST

START_TEST(test_protected)
{
	struct proc_info p;

	p = proc(1, "systemd", "root", 0, NULL);
	ck_assert(rules_protected(&cfg, &p, 999));
	p = proc(2, "kthreadd", "root", 0, NULL);
	ck_assert(rules_protected(&cfg, &p, 999));
	p = proc(300, "kworker/0:1", "root", 0, NULL);
	p.ppid = 2;
	ck_assert(rules_protected(&cfg, &p, 999));
	p = proc(999, "portd", "root", 0, NULL);
	ck_assert(rules_protected(&cfg, &p, 999));	/* self */
	p = proc(500, "sshd-session", "root", 0, NULL);
	ck_assert(rules_protected(&cfg, &p, 999));	/* uid and command */
	p = proc(501, "sshd", "backup", 34, NULL);
	ck_assert(rules_protected(&cfg, &p, 999));	/* user and command */
	/* Anyone can call a process "sshd": the name alone is not enough. */
	p = proc(502, "sshd", "nobody", 65534, "/usr/sbin/sshd");
	ck_assert(!rules_protected(&cfg, &p, 999));
	/* protect.commands narrows: root's tar is not protected. */
	p = proc(503, "tar", "root", 0, NULL);
	ck_assert(!rules_protected(&cfg, &p, 999));
	p = proc(504, "tar", "backup", 34, NULL);
	ck_assert(!rules_protected(&cfg, &p, 999));
}
END_TEST

/* protect without commands: who the process is suffices. */
START_TEST(test_protected_identity)
{
	static const char text[] = "{ \"protect\": { \"users\": "
	    "[\"backup\"], \"uids\": [70], \"exes\": [\"/usr/sbin/*\"] } }";
	struct config c;
	struct proc_info p;

	ck_assert_int_eq(config_parse(text, strlen(text), "t.conf", NULL, &c,
	    NULL), 0);
	p = proc(500, "tar", "backup", 34, "/usr/bin/tar");
	ck_assert(rules_protected(&c, &p, 999));	/* user */
	p = proc(501, "tar", "pg", 70, "/usr/bin/tar");
	ck_assert(rules_protected(&c, &p, 999));	/* uid */
	p = proc(502, "x", "bob", 1000, "/usr/sbin/sshd");
	ck_assert(rules_protected(&c, &p, 999));	/* exe glob */
	p = proc(503, "x", "bob", 1000, "/usr/sbin/x/sshd");
	ck_assert(!rules_protected(&c, &p, 999));	/* '*' stops at '/' */
	p = proc(504, "sshd", "bob", 1000, NULL);
	ck_assert(!rules_protected(&c, &p, 999));
	p = proc(505, "tar", "?", PD_UID_UNKNOWN, NULL);
	p.uid = PD_UID_UNKNOWN;
	ck_assert(!rules_protected(&c, &p, 999));
	config_free(&c);
}
END_TEST

START_TEST(test_verdicts)
{
	struct sock_info si = sock(PD_TCP, PD_INET, 5432, 0);
	struct proc_info p;
	const struct rule *r;

	p = proc(10, "postgres", "postgres", 115, NULL);
	ck_assert_int_eq(rules_evaluate(&cfg, &si, &p, 1, &r), VERDICT_ALLOWED);
	p = proc(1, "systemd", "root", 0, NULL);
	ck_assert_int_eq(rules_evaluate(&cfg, &si, &p, 99, &r),
	    VERDICT_PROTECTED);
	ck_assert_int_eq(rules_evaluate(&cfg, &si, NULL, 99, &r),
	    VERDICT_UNKNOWN);
	ck_assert_str_eq(r->name, "db");
	p = proc(11, "nc", "bob", 1000, NULL);
	ck_assert_int_eq(rules_evaluate(&cfg, &si, &p, 1, &r),
	    VERDICT_VIOLATION);
	si.port = 9999;
	ck_assert_int_eq(rules_evaluate(&cfg, &si, &p, 1, &r), VERDICT_NONE);
	ck_assert_ptr_null(r);
	ck_assert_str_eq(rules_verdict_name(VERDICT_VIOLATION), "violation");
}
END_TEST

static void
parse(const char *text, struct config *c)
{
	ck_assert_int_eq(config_parse(text, strlen(text), "new.conf", NULL, c,
	    NULL), 0);
}

/* A reload judges again only what the new file may judge differently. */
START_TEST(test_unchanged)
{
	struct sock_info db = sock(PD_TCP, PD_INET, 5432, 0),
	    web = sock(PD_TCP, PD_INET, 8080, 0),
	    none = sock(PD_TCP, PD_INET, 9999, 0);
	struct config c;
	char *text, *at;
	size_t i;
	static const struct {
		const char *from, *to;
	} edits[] = {
		{ "\"terminate\"", "\"kill\"" },		/* action */
		{ "\"postgres\"]", "\"pg\"]" },		/* allow.users */
		{ "[70]", "[71]" },				/* allow.uids */
		{ "bin/postgres", "bin/postgres*" },		/* allow.exes */
		{ "\"5432/tcp\"", "\"5432\"" },		/* ports */
		{ "\"db\"", "\"database\"" },		/* name */
		{ "\"sshd*\"", "\"sshd\"" },			/* protect */
		{ "[0]", "[0, 1]" },				/* protect.uids */
		{ "\"action\": \"terminate\",",
		  "\"action\": \"terminate\", \"dry_run\": true," },
		{ "\"action\": \"terminate\",",
		  "\"action\": \"terminate\", \"grace_ms\": 1," },
	};

	/* The same file: nothing to judge again. */
	parse(conf_text, &c);
	ck_assert(rules_unchanged(&cfg, &c, &db));
	ck_assert(rules_unchanged(&cfg, &c, &web));
	ck_assert(rules_unchanged(&cfg, &c, &none));
	config_free(&c);
	/* Each change to the rule deciding 5432 (or to protect). */
	for (i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		ck_assert_ptr_nonnull(at = strstr(conf_text, edits[i].from));
		ck_assert_ptr_nonnull(text = malloc(sizeof(conf_text) +
		    strlen(edits[i].to)));
		snprintf(text, sizeof(conf_text) + strlen(edits[i].to),
		    "%.*s%s%s", (int)(at - conf_text), conf_text, edits[i].to,
		    at + strlen(edits[i].from));
		parse(text, &c);
		ck_assert_msg(!rules_unchanged(&cfg, &c, &db), "%s -> %s",
		    edits[i].from, edits[i].to);
		config_free(&c);
		free(text);
	}
	/* No rules any more, or none before. */
	config_init(&c);
	ck_assert(!rules_unchanged(&cfg, &c, &db));
	ck_assert(!rules_unchanged(&c, &cfg, &db));
	ck_assert(rules_unchanged(&c, &cfg, &none));
	config_free(&c);
}
END_TEST

START_TEST(test_no_rules)
{
	struct config empty;
	struct sock_info si = sock(PD_TCP, PD_INET, 5432, 0);
	struct proc_info p = proc(11, "nc", "bob", 1000, NULL);
	const struct rule *r;

	config_init(&empty);
	ck_assert_int_eq(rules_evaluate(&empty, &si, &p, 1, &r), VERDICT_NONE);
	config_free(&empty);
}
END_TEST

START_TEST(test_cgroup_unit)
{
	static const struct {
		const char *text, *unit;
	} cases[] = {
		{ "0::/system.slice/nginx.service\n", "nginx.service" },
		{ "0::/user.slice/user-1000.slice/user@1000.service/"
		    "app.slice/dev-server.service\n", "dev-server.service" },
		{ "0::/user.slice/user-1000.slice/session-3.scope\n",
		    "session-3.scope" },
		{ "12:pids:/\n1:name=systemd:/system.slice/cron.service\n"
		    "0::/\n", "cron.service" },
		{ "0::/\n", "" },
		{ "0::/init.scope\n", "init.scope" },
		{ "0::/system.slice/.service\n", "" },
		{ "", "" },
	};
	char buf[128];
	size_t i;
	int r;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		r = decode_cgroup_unit(cases[i].text, strlen(cases[i].text),
		    buf, sizeof(buf));
		ck_assert_msg(strcmp(buf, cases[i].unit) == 0,
		    "case %zu: '%s' != '%s'", i, buf, cases[i].unit);
		ck_assert_int_eq(r, *cases[i].unit ? 0 : -1);
	}
	/* Too small a buffer: nothing, not a truncated name. */
	r = decode_cgroup_unit(cases[0].text, strlen(cases[0].text), buf, 5);
	ck_assert_int_eq(r, -1);
	ck_assert_str_eq(buf, "");
}
END_TEST

static Suite *
rules_suite(void)
{
	Suite *s = suite_create("rules");
	TCase *tc = tcase_create("rules");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_find);
	tcase_add_test(tc, test_families);
	tcase_add_test(tc, test_allow);
	tcase_add_test(tc, test_protected);
	tcase_add_test(tc, test_protected_identity);
	tcase_add_test(tc, test_verdicts);
	tcase_add_test(tc, test_unchanged);
	tcase_add_test(tc, test_no_rules);
	tcase_add_test(tc, test_cgroup_unit);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(rules_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
