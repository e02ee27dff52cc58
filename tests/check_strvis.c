/*
 * check_strvis.c - tests of strvis(): outside text made safe for a
 * terminal and a log line, and of the UTF-8 check the wire uses.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "strvis.h"

static const struct {
	const char *in, *out;
} vis[] = {
	{ "", "" },
	{ "python3", "python3" },
	/* Valid UTF-8 is kept as it is, backslashes too (VIS_NOSLASH). */
	{ "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\x8d", "caf\xc3\xa9 \xe2\x82\xac "
	    "\xf0\x9f\x90\x8d" },
	{ "C:\\Program Files\\x", "C:\\Program Files\\x" },
	/* The two names. */
	{ "x\n<0>FORGED", "x\\n<0>FORGED" },
	{ "\x1b]0;PWNED\a\x1b[8m", "\\x1b]0;PWNED\\x07\\x1b[8m" },
	{ "a\rb\tc\x7f", "a\\rb\\tc\\x7f" },
	{ "\x01\x1f", "\\x01\\x1f" },
	/* C1 controls (CSI), separators, bidi overrides. */
	{ "\xc2\x9b" "31m", "\\u009b31m" },
	{ "\xc2\x85", "\\u0085" },
	{ "a\xe2\x80\xa8" "b\xe2\x80\xa9", "a\\u2028b\\u2029" },
	{ "\xe2\x80\xae" "evil", "\\u202eevil" },
	{ "\xe2\x81\xa6" "x\xe2\x81\xa9", "\\u2066x\\u2069" },
	/* Invalid UTF-8, byte by byte. */
	{ "\xff", "\\xff" },
	{ "a\xc3", "a\\xc3" },			/* cut short */
	{ "\xc0\xaf", "\\xc0\\xaf" },		/* overlong '/' */
	{ "\xe0\x80\xaf", "\\xe0\\x80\\xaf" },	/* overlong */
	{ "\xed\xa0\x80", "\\xed\\xa0\\x80" },	/* surrogate */
	{ "\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80" },	/* > U+10FFFF */
	{ "\x80x", "\\x80x" },			/* stray continuation */
	{ "\xe2\x82x", "\\xe2\\x82x" },
};

START_TEST(test_strvis)
{
	char out[STRVIS_LEN(64)];

	ck_assert_str_eq(strvis(out, sizeof(out), vis[_i].in), vis[_i].out);
	ck_assert_uint_le(strlen(out), strlen(vis[_i].in) * 4);
}
END_TEST

/* The worst case fits STRVIS_LEN exactly; no byte of it is raw. */
START_TEST(test_strvis_bound)
{
	char in[65], out[STRVIS_LEN(sizeof(in) - 1)];
	size_t i;

	memset(in, 0x1b, sizeof(in) - 1);
	in[sizeof(in) - 1] = '\0';
	strvis(out, sizeof(out), in);
	ck_assert_uint_eq(strlen(out), 4 * (sizeof(in) - 1));
	for (i = 0; out[i] != '\0'; i++)
		ck_assert((unsigned char)out[i] >= 0x20 &&
		    (unsigned char)out[i] < 0x7f);
	ck_assert_str_eq(strvis(out, sizeof(out), NULL), "");
}
END_TEST

/* A short buffer ends at a whole escape or character, never inside. */
START_TEST(test_strvis_short)
{
	char out[8];

	ck_assert_str_eq(strvis(out, sizeof(out), "ab\x1b" "cdef"),
	    "ab\\x1bc");
	ck_assert_str_eq(strvis(out, 5, "ab\x1b"), "ab");
	ck_assert_str_eq(strvis(out, 6, "ab\xe2\x82\xac" "x"), "ab\xe2\x82\xac");
	ck_assert_str_eq(strvis(out, 5, "ab\xe2\x82\xac" "x"), "ab");
	ck_assert_str_eq(strvis(out, 1, "abc"), "");
}
END_TEST

START_TEST(test_utf8)
{
	static const char *const good[] = { "", "a", "\xc2\x80", "\xdf\xbf",
	    "\xe0\xa0\x80", "\xed\x9f\xbf", "\xee\x80\x80", "\xef\xbf\xbf",
	    "\xf0\x90\x80\x80", "\xf4\x8f\xbf\xbf" };
	static const char *const bad[] = { "\x80", "\xbf", "\xc0\x80",
	    "\xc1\xbf", "\xc2", "\xc2\x7f", "\xe0\x9f\xbf", "\xed\xa0\x80",
	    "\xed\xbf\xbf", "\xef\xbf", "\xf0\x8f\xbf\xbf", "\xf4\x90\x80\x80",
	    "\xf5\x80\x80\x80", "\xff", "\xfe" };
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ck_assert_msg(strvis_utf8_valid(good[i], strlen(good[i])),
		    "good[%zu]", i);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(!strvis_utf8_valid(bad[i], strlen(bad[i])),
		    "bad[%zu]", i);
	/* The length given is the limit, not the NUL. */
	ck_assert(!strvis_utf8_valid("\xe2\x82\xac", 2));
	ck_assert_uint_eq(strvis_utf8_seq("\xe2\x82\xac", 3), 3);
	ck_assert_uint_eq(strvis_utf8_seq("\xf0\x9f\x90\x8d", 4), 4);
	ck_assert_uint_eq(strvis_utf8_seq("a", 0), 0);
	ck_assert(strvis_utf8_valid("a\0b", 3));
}
END_TEST

static Suite *
strvis_suite(void)
{
	Suite *s = suite_create("strvis");
	TCase *tc = tcase_create("strvis");

	tcase_add_loop_test(tc, test_strvis, 0,
	    (int)(sizeof(vis) / sizeof(vis[0])));
	tcase_add_test(tc, test_strvis_bound);
	tcase_add_test(tc, test_strvis_short);
	tcase_add_test(tc, test_utf8);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(strvis_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
