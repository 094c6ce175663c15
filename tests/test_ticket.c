/* tests/test_ticket.c — ticket state names (a wire and storage format) and short numbers. */
#include "core/ticket.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

START_TEST(test_state_names_round_trip)
{
	static const struct {
		int state;
		const char *name;
	} cases[] = {
	    {VQ_TS_ISSUED, "issued"},
	    {VQ_TS_REDEEMED, "redeemed"},
	    {VQ_TS_CANCELLED, "cancelled"},
	    {VQ_TS_ANYTIME, "anytime"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		ck_assert_str_eq(vq_ticket_state_name(cases[i].state), cases[i].name);
		ck_assert_int_eq(vq_ticket_state_parse(cases[i].name), cases[i].state);
	}
}
END_TEST

START_TEST(test_state_out_of_range)
{
	ck_assert_str_eq(vq_ticket_state_name(-1), "?");
	ck_assert_str_eq(vq_ticket_state_name(4), "?");
	ck_assert_str_eq(vq_ticket_state_name(1000), "?");
	ck_assert_int_eq(vq_ticket_state_parse(NULL), -1);
	ck_assert_int_eq(vq_ticket_state_parse(""), -1);
	ck_assert_int_eq(vq_ticket_state_parse("Issued"), -1);
	ck_assert_int_eq(vq_ticket_state_parse("issued "), -1);
	ck_assert_int_eq(vq_ticket_state_parse("issue"), -1);
	ck_assert_int_eq(vq_ticket_state_parse("?"), -1);
}
END_TEST

START_TEST(test_number_format)
{
	static const struct {
		const char *prefix;
		unsigned number;
		const char *want;
	} cases[] = {
	    {"H", 42, "H-042"},   {"H", 1, "H-001"},     {"H", 999, "H-999"},
	    {"H", 100, "H-100"},  {"ABC", 7, "ABC-007"}, {"ABC", 999, "ABC-999"},
	    {"", 5, "-005"},      {NULL, 5, "-005"},     {"H", 0, "H-???"},
	    {"H", 1000, "H-???"}, {"Q", 65535, "Q-???"}, {"XY", 10, "XY-010"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char out[8];
		memset(out, 'x', sizeof out);
		vq_ticket_number_format(cases[i].prefix, cases[i].number, out, sizeof out);
		ck_assert_msg(strcmp(out, cases[i].want) == 0, "case %zu: got '%s' want '%s'", i,
		              out, cases[i].want);
	}
}
END_TEST

START_TEST(test_number_format_small_buffer)
{
	/* Exactly-sized heap buffers: ASan catches a write past the end. */
	for (size_t len = 1; len <= 8; len++) {
		char *out = malloc(len);
		ck_assert_ptr_nonnull(out);
		vq_ticket_number_format("ABC", 123, out, len);
		ck_assert_uint_eq(strlen(out), len - 1);
		ck_assert(strncmp(out, "ABC-123", len - 1) == 0);
		free(out);
	}
	vq_ticket_number_format("H", 1, NULL, 0); /* nothing to write into: no crash */
	char one = 'x';
	vq_ticket_number_format("H", 1, &one, 0);
	ck_assert_int_eq(one, 'x');
}
END_TEST

static Suite *ticket_suite(void)
{
	Suite *s = suite_create("ticket");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_state_names_round_trip);
	tcase_add_test(tc, test_state_out_of_range);
	tcase_add_test(tc, test_number_format);
	tcase_add_test(tc, test_number_format_small_buffer);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(ticket_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
