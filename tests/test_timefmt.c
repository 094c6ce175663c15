/* tests/test_timefmt.c — clock/timefmt: local times as every program shows them, on the
 * days the clocks change: a time shown twice carries its offset, one shown once does not,
 * and a zone that is not installed says UTC. */
#include "clock/timefmt.h"
#include "core/day.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

static int64_t utc(int y, int m, int d, int hh, int mm)
{
	return (int64_t)vq_date_from_ymd(y, m, d) * 86400 + hh * 3600 + mm * 60;
}

static void hhmm_is(const char *zone, int64_t t, const char *want)
{
	char out[VQ_TIME_HHMM_MAX];
	vq_time_hhmm(zone, t, out);
	ck_assert_msg(strcmp(out, want) == 0, "%s at %lld: '%s', want '%s'", zone, (long long)t,
	              out, want);
}

START_TEST(test_plain)
{
	hhmm_is("UTC", utc(2027, 1, 1, 10, 15), "10:15");
	hhmm_is("Europe/Bucharest", utc(2027, 1, 1, 10, 15), "12:15");
	hhmm_is("America/New_York", utc(2027, 7, 1, 14, 5), "10:05");
	hhmm_is("Asia/Kolkata", utc(2027, 7, 1, 0, 0), "05:30");
	hhmm_is("UTC", 0, "--:--");
	hhmm_is("UTC", -5, "--:--");
	/* a zone this machine does not have, or none yet: UTC, and it says so */
	hhmm_is("Mars/Olympus_Mons", utc(2027, 1, 1, 10, 15), "10:15 UTC");
	hhmm_is("", utc(2027, 1, 1, 10, 15), "10:15 UTC");
	hhmm_is(NULL, utc(2027, 1, 1, 10, 15), "10:15 UTC");
}
END_TEST

START_TEST(test_clock_changes)
{
	/* Bucharest, 31 October 2027: 03:00-03:59 is shown twice, first at UTC+3 */
	hhmm_is("Europe/Bucharest", utc(2027, 10, 31, 0, 30), "03:30 UTC+3");
	hhmm_is("Europe/Bucharest", utc(2027, 10, 31, 1, 30), "03:30 UTC+2");
	hhmm_is("Europe/Bucharest", utc(2027, 10, 31, 0, 0), "03:00 UTC+3");
	hhmm_is("Europe/Bucharest", utc(2027, 10, 31, 1, 59), "03:59 UTC+2");
	hhmm_is("Europe/Bucharest", utc(2027, 10, 30, 23, 59), "02:59");
	hhmm_is("Europe/Bucharest", utc(2027, 10, 31, 2, 0), "04:00");
	/* 28 March: 03:00-03:59 is never shown, so nothing around it is ambiguous */
	hhmm_is("Europe/Bucharest", utc(2027, 3, 28, 0, 59), "02:59");
	hhmm_is("Europe/Bucharest", utc(2027, 3, 28, 1, 0), "04:00");
	/* New York, 7 November 2027: 01:00-01:59 twice */
	hhmm_is("America/New_York", utc(2027, 11, 7, 5, 30), "01:30 UTC-4");
	hhmm_is("America/New_York", utc(2027, 11, 7, 6, 30), "01:30 UTC-5");
	hhmm_is("America/New_York", utc(2027, 11, 7, 7, 30), "02:30");
	/* Lord Howe goes back half an hour */
	hhmm_is("Australia/Lord_Howe", utc(2027, 4, 3, 14, 45), "01:45 UTC+11");
	hhmm_is("Australia/Lord_Howe", utc(2027, 4, 3, 15, 15), "01:45 UTC+10:30");
	hhmm_is("Australia/Lord_Howe", utc(2027, 4, 3, 14, 15), "01:15");
}
END_TEST

START_TEST(test_iso)
{
	char iso[VQ_TIME_ISO_MAX];
	ck_assert_int_eq(vq_time_iso("Europe/Bucharest", utc(2027, 10, 31, 0, 30), iso, sizeof iso),
	                 VQ_OK);
	ck_assert_str_eq(iso, "2027-10-31T03:30:00+03:00");
	ck_assert_int_eq(vq_time_iso("Europe/Bucharest", utc(2027, 10, 31, 1, 30), iso, sizeof iso),
	                 VQ_OK);
	ck_assert_str_eq(iso, "2027-10-31T03:30:00+02:00");
	ck_assert_int_eq(vq_time_iso("America/St_Johns", utc(2027, 1, 1, 12, 0), iso, sizeof iso),
	                 VQ_OK);
	ck_assert_str_eq(iso, "2027-01-01T08:30:00-03:30");
	ck_assert_int_eq(vq_time_iso("UTC", utc(2027, 1, 1, 12, 0), iso, sizeof iso), VQ_OK);
	ck_assert_str_eq(iso, "2027-01-01T12:00:00+00:00");
	ck_assert_int_eq(vq_time_iso("Mars/Olympus_Mons", utc(2027, 1, 1, 12, 0), iso, sizeof iso),
	                 VQ_OK);
	ck_assert_str_eq(iso, "2027-01-01T12:00:00+00:00");
	ck_assert_int_eq(vq_time_iso("UTC", 0, iso, 8), VQ_EINVAL);
	ck_assert_int_eq(vq_time_iso("UTC", 0, NULL, 64), VQ_EINVAL);

	char name[12];
	vq_time_offset_name(0, name);
	ck_assert_str_eq(name, "UTC");
	vq_time_offset_name(-(3 * 3600 + 1800), name);
	ck_assert_str_eq(name, "UTC-3:30");
	vq_time_offset_name(5 * 3600 + 45 * 60, name);
	ck_assert_str_eq(name, "UTC+5:45");
	vq_time_offset_name(14 * 3600, name);
	ck_assert_str_eq(name, "UTC+14");
}
END_TEST

static Suite *timefmt_suite(void)
{
	Suite *s = suite_create("timefmt");
	TCase *tc = tcase_create("timefmt");
	tcase_add_test(tc, test_plain);
	tcase_add_test(tc, test_clock_changes);
	tcase_add_test(tc, test_iso);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(timefmt_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
