/*
 * check_glob.c - the pattern matcher against fnmatch(3)'s answers for the
 * patterns rules use, plus the case-insensitive mode.
 */
#include <check.h>
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

#include "glob.h"

static const struct {
	const char *pattern, *s;
	int flags, want;
} cases[] = {
	{ "nginx", "nginx", 0, 1 },
	{ "nginx", "nginx2", 0, 0 },
	{ "node*", "node", 0, 1 },
	{ "node*", "node-18", 0, 1 },
	{ "*", "", 0, 1 },
	{ "", "", 0, 1 },
	{ "", "a", 0, 0 },
	{ "?", "", 0, 0 },
	{ "a?c", "abc", 0, 1 },
	{ "a*b*c", "aXbYbZc", 0, 1 },
	{ "a*b*c", "aXbYbZ", 0, 0 },
	{ "*.service", "nginx.service", 0, 1 },
	{ "[ab]x", "bx", 0, 1 },
	{ "[ab]x", "cx", 0, 0 },
	{ "[!ab]x", "cx", 0, 1 },
	{ "[^ab]x", "ax", 0, 0 },
	{ "[a-c]1", "b1", 0, 1 },
	{ "[a-c]1", "d1", 0, 0 },
	{ "[]]", "]", 0, 1 },
	{ "[a-]", "-", 0, 1 },
	{ "\\*", "*", 0, 1 },
	{ "\\*", "a", 0, 0 },
	{ "[abc", "a", 0, 0 },	/* malformed: no match */
	{ "/usr/lib/postgresql/*/bin/postgres",
	    "/usr/lib/postgresql/15/bin/postgres", GLOB_PATHNAME, 1 },
	{ "/usr/lib/postgresql/*/bin/postgres",
	    "/usr/lib/postgresql/15/x/bin/postgres", GLOB_PATHNAME, 0 },
	{ "/usr/lib/postgresql/*/bin/postgres",
	    "/usr/lib/postgresql/15/x/bin/postgres", 0, 1 },
	{ "/usr/bin/?", "/usr/bin//", GLOB_PATHNAME, 0 },
	{ "/usr/*", "/usr/bin/x", GLOB_PATHNAME, 0 },
	{ "/usr/*/x", "/usr/bin/x", GLOB_PATHNAME, 1 },
	{ "/a/[/]", "/a//", GLOB_PATHNAME, 0 },
	{ "*a*a*a*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	    0, 0 },
};
#define NCASES (sizeof(cases) / sizeof(cases[0]))

START_TEST(test_cases)
{
	ck_assert_msg(glob_match(cases[_i].pattern, cases[_i].s,
	    cases[_i].flags) == cases[_i].want, "'%s' ~ '%s' flags %d",
	    cases[_i].pattern, cases[_i].s, cases[_i].flags);
}
END_TEST

/* Where fnmatch(3) is defined, the two agree (malformed patterns aside). */
START_TEST(test_agrees_with_fnmatch)
{
	int fl = cases[_i].flags & GLOB_PATHNAME ? FNM_PATHNAME : 0;

	if (strcmp(cases[_i].pattern, "[abc") == 0)
		return;		/* "[abc": fnmatch reads it as a literal */
	ck_assert_int_eq(glob_match(cases[_i].pattern, cases[_i].s,
	    cases[_i].flags), fnmatch(cases[_i].pattern, cases[_i].s,
	    fl) == 0);
}
END_TEST

START_TEST(test_casefold)
{
	ck_assert(glob_match("DOMAIN\\\\alice", "domain\\alice",
	    GLOB_CASEFOLD));
	ck_assert(!glob_match("DOMAIN\\\\alice", "domain\\alice", 0));
	ck_assert(glob_match("C:\\\\Program Files\\\\*.EXE",
	    "c:\\program files\\nginx.exe", GLOB_CASEFOLD));
	ck_assert(glob_match("[A-C]x", "bX", GLOB_CASEFOLD));
	ck_assert(!glob_match("[A-C]x", "bX", 0));
	ck_assert(!glob_match(NULL, "x", 0));
	ck_assert(!glob_match("x", NULL, 0));
}
END_TEST

/* Windows names: '\\' is a character (and a separator in paths). */
START_TEST(test_backslash)
{
	const int names = GLOB_CASEFOLD | GLOB_BACKSLASH;
	const int paths = GLOB_PATHNAME | GLOB_CASEFOLD | GLOB_BACKSLASH;

	ck_assert(glob_match("DOMAIN\\alice", "domain\\alice", names));
	ck_assert(glob_match("*\\alice", "WORKGROUP\\Alice", names));
	ck_assert(!glob_match("DOMAIN\\alice", "DOMAINalice", names));
	ck_assert(glob_match("NT AUTHORITY\\*", "nt authority\\system",
	    names));
	ck_assert(glob_match("C:\\Program Files\\*\\nginx.exe",
	    "c:\\program files\\nginx\\NGINX.EXE", paths));
	ck_assert(!glob_match("C:\\Program Files\\*\\nginx.exe",
	    "c:\\program files\\a\\b\\nginx.exe", paths));
	ck_assert(glob_match("C:\\Program Files\\*",
	    "C:\\Program Files\\a\\b", names));
	ck_assert(!glob_match("C:\\tools\\?.exe", "C:\\tools\\\\.exe",
	    paths));
	ck_assert(!glob_match("C:\\x\\[\\]y", "C:\\x\\\\y", paths));
	/* No escapes: '[*]' is the way to mean a literal '*'. */
	ck_assert(glob_match("a[*]", "a*", names));
	ck_assert(!glob_match("a[*]", "ab", names));
	/* Without the flag, '\\' still escapes and '/' alone separates. */
	ck_assert(glob_match("a\\?", "a?", 0));
	ck_assert(!glob_match("a\\?", "ab", 0));
	ck_assert(!glob_match("a\\b", "a\\b", GLOB_PATHNAME));
	ck_assert(glob_match("a*", "a\\b", GLOB_PATHNAME));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("glob");
	TCase *tc = tcase_create("glob");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_cases, 0, NCASES);
	tcase_add_loop_test(tc, test_agrees_with_fnmatch, 0, NCASES);
	tcase_add_test(tc, test_casefold);
	tcase_add_test(tc, test_backslash);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
