/* tests/test_merge.c — the merge ratio's phases, table-driven at every boundary. */
#include "core/merge.h"

#include <check.h>
#include <stdlib.h>

START_TEST(test_phases)
{
	static const struct {
		int base_fast, base_standby, backlog, per_hour;
		int fast, standby, phase, minutes;
	} cases[] = {
	    /* 600 fast guests an hour: 10 a minute */
	    {4, 1, 0, 600, 4, 1, 0, 0},
	    {4, 1, 1, 600, 4, 1, 0, 1}, /* one guest waiting is a minute */
	    {4, 1, 140, 600, 4, 1, 0, 14},
	    {4, 1, 141, 600, 8, 1, 1, 15}, /* 14.1 min rounds up to 15 */
	    {4, 1, 150, 600, 8, 1, 1, 15},
	    {4, 1, 299, 600, 16, 1, 2, 30}, /* 29.9 min rounds up to 30 */
	    {4, 1, 290, 600, 8, 1, 1, 29},
	    {4, 1, 300, 600, 16, 1, 2, 30},
	    {4, 1, 590, 600, 16, 1, 2, 59},
	    {4, 1, 591, 600, 4, 0, 3, 60},
	    {4, 1, 100000, 600, 4, 0, 3, 10000},
	    {3, 2, 200, 600, 6, 2, 1, 20},
	    {1, 1, 5, 1, 1, 0, 3, 300}, /* a trickle of a fast lane */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		vq_merge m;
		ck_assert_int_eq(vq_merge_ratio(cases[i].base_fast, cases[i].base_standby,
		                                cases[i].backlog, cases[i].per_hour, &m),
		                 VQ_OK);
		ck_assert_msg(m.fast == cases[i].fast && m.standby == cases[i].standby &&
		                  m.phase == cases[i].phase && m.backlog_min == cases[i].minutes,
		              "case %zu: got %d:%d phase %d (%d min)", i, m.fast, m.standby,
		              m.phase, m.backlog_min);
	}
}
END_TEST

START_TEST(test_bad_arguments)
{
	vq_merge m = {.fast = 42};
	ck_assert_int_eq(vq_merge_ratio(0, 1, 0, 600, &m), VQ_EINVAL);
	ck_assert_int_eq(vq_merge_ratio(100, 1, 0, 600, &m), VQ_EINVAL);
	ck_assert_int_eq(vq_merge_ratio(4, 0, 0, 600, &m), VQ_EINVAL);
	ck_assert_int_eq(vq_merge_ratio(4, 1, -1, 600, &m), VQ_EINVAL);
	ck_assert_int_eq(vq_merge_ratio(4, 1, 0, 0, &m), VQ_EINVAL);
	ck_assert_int_eq(vq_merge_ratio(4, 1, 0, 600, NULL), VQ_EINVAL);
	ck_assert_int_eq(m.fast, 42); /* untouched on failure */
}
END_TEST

int main(void)
{
	Suite *s = suite_create("merge");
	TCase *tc = tcase_create("merge");
	tcase_add_test(tc, test_phases);
	tcase_add_test(tc, test_bad_arguments);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
