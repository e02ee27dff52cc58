/*
 * check_output.c - tests of portctl's formatters (client/output.c) on
 * what a reply may hold: numbers in the status object beyond what an
 * integer holds, which the table printed through an undefined cast (make
 * asan catches that: float-cast-overflow).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "../client/output.h"

#ifndef FIXTURES
#error "build with -DFIXTURES=\"/path/to/tests/fixtures\""
#endif

/* The status table of the JSON object text (caller frees). */
static char *
status_table(const char *json)
{
	cJSON *o = cJSON_Parse(json);
	char *out = NULL;
	size_t len = 0;
	FILE *fp;

	ck_assert_ptr_nonnull(o);
	fp = open_memstream(&out, &len);
	ck_assert_ptr_nonnull(fp);
	output_table.status(fp, o);
	ck_assert_int_eq(fclose(fp), 0);
	cJSON_Delete(o);
	return out;
}

START_TEST(test_status_numbers)
{
	char *t = status_table("{\"sockets\":3,\"avg_snapshot_ms\":0.375,"
	    "\"neg\":-2,\"huge\":4e47,\"tiny\":-1e300,\"edge\":9007199254740991,"
	    "\"owner_cache\":{\"inodes\":12}}");

	ck_assert_ptr_nonnull(strstr(t, "sockets                    3\n"));
	ck_assert_ptr_nonnull(strstr(t, "avg_snapshot_ms            0.375\n"));
	ck_assert_ptr_nonnull(strstr(t, "neg                        -2\n"));
	ck_assert_ptr_nonnull(strstr(t,
	    "edge                       9007199254740991\n"));
	ck_assert_ptr_nonnull(strstr(t, "owner_cache.inodes         12\n"));
	/* Beyond 2^53: printed as a number, whatever its digits. */
	ck_assert_ptr_nonnull(strstr(t, "huge                       4"));
	ck_assert_ptr_nonnull(strstr(t, "tiny                       -1"));
	free(t);
}
END_TEST

/*
 * The reply fuzz_proto_reply found (tests/fuzz/regressions/): a status
 * number of 4e47 was cast to long long to test for a fraction, which
 * is undefined (UBSan aborts portctl status).
 */
START_TEST(test_status_fuzz_regression)
{
	char path[512], line[4096], *t, *res;
	cJSON *root;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/../fuzz/regressions/fuzz_proto_reply/"
	    "status-number-beyond-long-long", FIXTURES);
	fp = fopen(path, "r");
	ck_assert_msg(fp != NULL, "cannot open %s", path);
	ck_assert_ptr_nonnull(fgets(line, sizeof(line), fp));
	fclose(fp);
	root = cJSON_Parse(line);
	ck_assert_ptr_nonnull(root);
	res = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(root,
	    "result"));
	ck_assert_ptr_nonnull(res);
	cJSON_Delete(root);
	t = status_table(res);
	cJSON_free(res);
	ck_assert_ptr_nonnull(strstr(t, "4"));
	ck_assert_ptr_nonnull(strchr(t, '\n'));
	free(t);
}
END_TEST

static Suite *
output_suite(void)
{
	Suite *s = suite_create("output");
	TCase *tc = tcase_create("status");

	tcase_add_test(tc, test_status_numbers);
	tcase_add_test(tc, test_status_fuzz_regression);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(output_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
