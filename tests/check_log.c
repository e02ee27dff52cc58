/*
 * check_log.c - tests of the rate-limited log line (log_limited): one
 * line per window, the count of those left out on the next, and the
 * level filter; lines are read back from a file (log_to_file).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static FILE *fp;

static void
setup(void)
{
	ck_assert_ptr_nonnull(fp = tmpfile());
	log_init("check_log", LOG_LVL_INFO);
	log_to_file(fp);
}

static void
teardown(void)
{
	fclose(fp);
}

/* Line n (from 0) of what was logged, without its time; "" if none. */
static const char *
line(int n)
{
	static char buf[2048];
	char *sp;

	rewind(fp);
	while (fgets(buf, sizeof(buf), fp) != NULL)
		if (n-- == 0) {
			buf[strcspn(buf, "\n")] = '\0';
			sp = strchr(buf, ' ');
			return sp != NULL ? sp + 1 : buf;
		}
	return "";
}

START_TEST(test_one_line_per_window)
{
	struct log_limit ll;

	memset(&ll, 0, sizeof(ll));
	/* A clock at 0 is no "never": the second call is still limited. */
	ck_assert_int_eq(log_limited(&ll, 0, 10000, LOG_LVL_WARN, "a %d", 1),
	    1);
	ck_assert_int_eq(log_limited(&ll, 0, 10000, LOG_LVL_WARN, "a %d", 2),
	    0);
	ck_assert_int_eq(log_limited(&ll, 9999, 10000, LOG_LVL_WARN, "a %d",
	    3), 0);
	ck_assert_str_eq(line(0), "warning: a 1");
	ck_assert_str_eq(line(1), "");
	/* The window is over: the next line says how many were left out. */
	ck_assert_int_eq(log_limited(&ll, 12001, 10000, LOG_LVL_WARN,
	    "a %d", 4), 1);
	ck_assert_str_eq(line(1), "warning: a 4 (and 2 more like it in the "
	    "last 12 s)");
	/* And the count starts again. */
	ck_assert_int_eq(log_limited(&ll, 30000, 10000, LOG_LVL_WARN,
	    "a %d", 5), 1);
	ck_assert_str_eq(line(2), "warning: a 5");
	ck_assert_uint_eq(ll.unlogged, 0);
}
END_TEST

START_TEST(test_names_are_escaped)
{
	struct log_limit ll;

	memset(&ll, 0, sizeof(ll));
	ck_assert_int_eq(log_limited(&ll, 5, 1000, LOG_LVL_NOTICE, "user %s",
	    "x\n<0>FORGED"), 1);
	ck_assert_str_eq(line(0), "user x\\n<0>FORGED");
	ck_assert_str_eq(line(1), "");
}
END_TEST

START_TEST(test_below_level)
{
	struct log_limit ll;

	memset(&ll, 0, sizeof(ll));
	/* Not written at this level, but it still opens the window. */
	ck_assert_int_eq(log_limited(&ll, 5, 1000, LOG_LVL_DEBUG, "d"), 1);
	ck_assert_int_eq(log_limited(&ll, 6, 1000, LOG_LVL_DEBUG, "d"), 0);
	ck_assert_str_eq(line(0), "");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("limited");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_one_line_per_window);
	tcase_add_test(tc, test_names_are_escaped);
	tcase_add_test(tc, test_below_level);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
