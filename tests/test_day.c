/* tests/test_day.c — core/day: local days from timelines of UTC offsets, the rule for
 * wall-clock hours on days the clocks change (gaps, times shown twice, changes at
 * midnight, half-hour shifts, a date a zone skipped), and calendar dates. Timelines here
 * are written by hand, so core is tested without the tz database (tests/test_zone.c
 * sweeps the real one). */
#include "core/day.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define H 3600
#define M 60

/* A day of date (y, m, d) from offsets: off0 until change, off1 after (change 0: none). */
static vq_day day_of(int y, int m, int d, int32_t off0, int64_t change, int32_t off1)
{
	int32_t date = vq_date_from_ymd(y, m, d);
	int64_t from = (int64_t)date * 86400 - 30 * H, to = (int64_t)(date + 1) * 86400 + 30 * H;
	vq_offset_span tl[2] = {{from, off0}, {change, off1}};
	vq_day day;
	int rc = vq_day_make(date, tl, change ? 2 : 1, to, &day);
	ck_assert_msg(rc == VQ_OK, "vq_day_make %04d-%02d-%02d: %s", y, m, d, vq_errname(rc));
	ck_assert_int_eq(vq_day_check(&day), VQ_OK);
	return day;
}

/* The instant of a UTC wall time. */
static int64_t utc(int y, int m, int d, int hh, int mm)
{
	return (int64_t)vq_date_from_ymd(y, m, d) * 86400 + hh * H + mm * M;
}

START_TEST(test_plain_days)
{
	vq_day d;
	ck_assert_int_eq(vq_day_fixed(vq_date_from_ymd(2027, 1, 1), 0, &d), VQ_OK);
	ck_assert_int_eq(d.start, 1798761600);
	ck_assert_int_eq(vq_day_length(&d), 86400);
	ck_assert_int_eq(vq_day_opening(&d, 9 * 60), d.start + 9 * H);
	ck_assert_int_eq(vq_day_closing(&d, 21 * 60), d.start + 21 * H);
	ck_assert_int_eq(vq_day_opening(&d, 0), d.start);
	ck_assert_int_eq(vq_day_closing(&d, 1440), d.end);
	ck_assert_int_eq(vq_day_check(&d), VQ_OK);

	/* a zone east of UTC: its midnight is the evening before in UTC */
	vq_day b = day_of(2027, 1, 1, 2 * H, 0, 0);
	ck_assert_int_eq(b.start, utc(2026, 12, 31, 22, 0));
	ck_assert_int_eq(b.end, utc(2027, 1, 1, 22, 0));
	ck_assert_int_eq(b.nspans, 1);
	ck_assert_int_eq(vq_day_opening(&b, 9 * 60), utc(2027, 1, 1, 7, 0));
	/* and west of it */
	vq_day ny = day_of(2027, 1, 1, -5 * H, 0, 0);
	ck_assert_int_eq(ny.start, utc(2027, 1, 1, 5, 0));
	ck_assert_int_eq(vq_day_closing(&ny, 22 * 60), utc(2027, 1, 2, 3, 0));
}
END_TEST

/* Europe/Bucharest, 28 March 2027: 03:00 EET becomes 04:00 EEST (01:00 UTC). */
START_TEST(test_spring_gap)
{
	int64_t change = utc(2027, 3, 28, 1, 0);
	vq_day d = day_of(2027, 3, 28, 2 * H, change, 3 * H);
	ck_assert_int_eq(d.start, utc(2027, 3, 27, 22, 0));
	ck_assert_int_eq(vq_day_length(&d), 23 * H);
	ck_assert_int_eq(d.nspans, 2);
	ck_assert_int_eq(vq_day_offset(&d, change - 1), 2 * H);
	ck_assert_int_eq(vq_day_offset(&d, change), 3 * H);
	/* once-only times */
	ck_assert_int_eq(vq_day_opening(&d, 60), utc(2027, 3, 27, 23, 0)); /* 01:00 EET */
	ck_assert_int_eq(vq_day_closing(&d, 360), utc(2027, 3, 28, 3, 0)); /* 06:00 EEST */
	/* 01:00-06:00 is four real hours */
	ck_assert_int_eq(vq_day_closing(&d, 360) - vq_day_opening(&d, 60), 4 * H);
	/* times in the gap resolve to its end, the first instant the clock shows them */
	ck_assert_int_eq(vq_day_opening(&d, 3 * 60), change);
	ck_assert_int_eq(vq_day_opening(&d, 3 * 60 + 30), change);
	ck_assert_int_eq(vq_day_closing(&d, 4 * 60), change);
	ck_assert_int_eq(vq_day_closing(&d, 3 * 60 + 30), change);
	/* so 03:00-04:00 does not exist that day: nothing open */
	ck_assert_int_eq(vq_day_closing(&d, 4 * 60) - vq_day_opening(&d, 3 * 60), 0);
	ck_assert_int_eq(vq_day_closing(&d, 1440), d.end);
	ck_assert_int_eq(d.end, utc(2027, 3, 28, 21, 0));
}
END_TEST

/* Europe/Bucharest, 31 October 2027: 04:00 EEST becomes 03:00 EET (01:00 UTC). */
START_TEST(test_autumn_twice)
{
	int64_t change = utc(2027, 10, 31, 1, 0);
	vq_day d = day_of(2027, 10, 31, 3 * H, change, 2 * H);
	ck_assert_int_eq(vq_day_length(&d), 25 * H);
	/* 03:30 is shown twice: an opening is its first, a closing its last */
	ck_assert_int_eq(vq_day_opening(&d, 3 * 60 + 30), utc(2027, 10, 31, 0, 30));
	ck_assert_int_eq(vq_day_closing(&d, 3 * 60 + 30), utc(2027, 10, 31, 1, 30));
	/* 01:00-06:00 is six real hours; 03:00-04:00 two */
	ck_assert_int_eq(vq_day_closing(&d, 360) - vq_day_opening(&d, 60), 6 * H);
	ck_assert_int_eq(vq_day_closing(&d, 240) - vq_day_opening(&d, 180), 2 * H);
	/* an attraction closing at 03:30 works the half hour twice, not stopping at the first */
	ck_assert_int_eq(vq_day_closing(&d, 210) - vq_day_opening(&d, 60), 3 * H + 30 * M);
	ck_assert_int_eq(vq_day_closing(&d, 1440), d.end);
}
END_TEST

/* America/Havana, 14 March 2027: midnight becomes 01:00 (the day starts at 01:00), and
 * 7 November 2027: 01:00 CDT becomes 00:00 CST. */
START_TEST(test_midnight_changes)
{
	int64_t change = utc(2027, 3, 14, 5, 0);
	vq_day sat = day_of(2027, 3, 13, -5 * H, change, -4 * H);
	vq_day sun = day_of(2027, 3, 14, -5 * H, change, -4 * H);
	ck_assert_int_eq(sat.end, change);
	ck_assert_int_eq(sun.start, change); /* its first instant shows 01:00 */
	ck_assert_int_eq(sun.nspans, 1);
	ck_assert_int_eq(vq_day_length(&sun), 23 * H);
	ck_assert_int_eq(vq_day_opening(&sun, 0), change);
	ck_assert_int_eq(vq_day_opening(&sun, 30), change);
	ck_assert_int_eq(vq_day_closing(&sat, 1440), change);
	ck_assert_int_eq(vq_day_opening(&sun, 120), utc(2027, 3, 14, 6, 0));

	int64_t back = utc(2027, 11, 7, 5, 0);
	vq_day nov = day_of(2027, 11, 7, -4 * H, back, -5 * H);
	ck_assert_int_eq(vq_day_length(&nov), 25 * H);
	ck_assert_int_eq(vq_day_opening(&nov, 0), nov.start);
	ck_assert_int_eq(vq_day_closing(&nov, 60), utc(2027, 11, 7, 6, 0)); /* 01:00 CST */

	/* clocks that go back over midnight (00:30 becomes 23:30): the new date begins at
	 * the first midnight, and the day before ends there, though the clock shows its
	 * last half hour again; no instant belongs to two days */
	int64_t over = utc(2027, 5, 2, 0, 30) - 2 * H; /* 00:30 at +2 */
	vq_day before = day_of(2027, 5, 1, 2 * H, over, 1 * H);
	vq_day after = day_of(2027, 5, 2, 2 * H, over, 1 * H);
	ck_assert_int_eq(before.end, utc(2027, 5, 1, 22, 0));
	ck_assert_int_eq(after.start, before.end);
	ck_assert_int_eq(vq_day_closing(&before, 1440), before.end);
	ck_assert_int_eq(vq_day_length(&after), 25 * H);
	ck_assert_int_eq(vq_day_length(&before), 24 * H);
}
END_TEST

/* Australia/Lord_Howe, 4 April 2027: 02:00 (+11) becomes 01:30 (+10:30). */
START_TEST(test_half_hour)
{
	int64_t change = utc(2027, 4, 3, 15, 0);
	vq_day d = day_of(2027, 4, 4, 11 * H, change, 10 * H + 30 * M);
	ck_assert_int_eq(vq_day_length(&d), 24 * H + 30 * M);
	ck_assert_int_eq(vq_day_closing(&d, 360) - vq_day_opening(&d, 60), 5 * H + 30 * M);
	ck_assert_int_eq(vq_day_opening(&d, 100), utc(2027, 4, 3, 14, 40)); /* 01:40 first */
	ck_assert_int_eq(vq_day_closing(&d, 100), utc(2027, 4, 3, 15, 10)); /* and last */
}
END_TEST

/* Pacific/Apia skipped 30 December 2011 (-10 became +14 at midnight). */
START_TEST(test_skipped_date)
{
	int64_t change = utc(2011, 12, 30, 10, 0);
	vq_day d = day_of(2011, 12, 30, -10 * H, change, 14 * H);
	ck_assert_int_eq(d.start, change);
	ck_assert_int_eq(d.end, change);
	ck_assert_int_eq(vq_day_opening(&d, 540), d.start);
	ck_assert_int_eq(vq_day_closing(&d, 1260), d.start);
	vq_day next = day_of(2011, 12, 31, -10 * H, change, 14 * H);
	ck_assert_int_eq(next.start, change);
	vq_day prev = day_of(2011, 12, 29, -10 * H, change, 14 * H);
	ck_assert_int_eq(prev.end, change);
}
END_TEST

START_TEST(test_bad_input)
{
	int32_t date = vq_date_from_ymd(2027, 3, 28);
	int64_t w = (int64_t)date * 86400;
	vq_day d, untouched;
	memset(&untouched, 0x5a, sizeof untouched);
	d = untouched;
	/* a timeline that starts inside the day, or ends inside it */
	vq_offset_span late[1] = {{w, 0}};
	ck_assert_int_eq(vq_day_make(date, late, 1, w + 2 * 86400, &d), VQ_EINVAL);
	vq_offset_span ok[1] = {{w - 86400, 0}};
	ck_assert_int_eq(vq_day_make(date, ok, 1, w + 86400, &d), VQ_EINVAL);
	/* out of order, an absurd offset, no spans */
	vq_offset_span bad[2] = {{w - 86400, 0}, {w - 90000, 3600}};
	ck_assert_int_eq(vq_day_make(date, bad, 2, w + 2 * 86400, &d), VQ_EINVAL);
	vq_offset_span far[1] = {{w - 86400, 30 * H}};
	ck_assert_int_eq(vq_day_make(date, far, 1, w + 2 * 86400, &d), VQ_EINVAL);
	ck_assert_int_eq(vq_day_make(date, ok, 0, w + 2 * 86400, &d), VQ_EINVAL);
	ck_assert_int_eq(memcmp(&d, &untouched, sizeof d), 0);
	/* more changes in one day than a day holds */
	vq_offset_span many[12];
	for (int i = 0; i < 12; i++)
		many[i] = (vq_offset_span){i == 0 ? w - 86400 : w + i * 3600, (i % 2) * 1800};
	ck_assert_int_eq(vq_day_make(date, many, 12, w + 2 * 86400, &d), VQ_EINVAL);
	ck_assert_int_eq(vq_day_fixed(date, 27 * H, &d), VQ_EINVAL);

	/* a day from elsewhere is checked before use */
	vq_day good = day_of(2027, 3, 28, 2 * H, utc(2027, 3, 28, 1, 0), 3 * H);
	d = good;
	d.spans[0].from++;
	ck_assert_int_eq(vq_day_check(&d), VQ_EINVAL);
	d = good;
	d.end += 2 * H; /* its last instants would show the next date */
	ck_assert_int_eq(vq_day_check(&d), VQ_EINVAL);
	d = good;
	d.spans[1].offset = d.spans[0].offset;
	ck_assert_int_eq(vq_day_check(&d), VQ_EINVAL);
	d = good;
	d.nspans = 0;
	ck_assert_int_eq(vq_day_check(&d), VQ_EINVAL);
	d = good;
	d.start -= 3 * H; /* it would begin on the date before */
	d.spans[0].from = d.start;
	ck_assert_int_eq(vq_day_check(&d), VQ_EINVAL);
	ck_assert_int_eq(vq_day_check(NULL), VQ_EINVAL);
}
END_TEST

START_TEST(test_dates)
{
	/* against the C library's UTC calendar, across centuries and leap years */
	for (int64_t date = -800000; date <= 800000; date += 97) {
		time_t t = (time_t)(date * 86400);
		struct tm tm;
		ck_assert_ptr_nonnull(gmtime_r(&t, &tm));
		int y, m, d;
		vq_date_to_ymd((int32_t)date, &y, &m, &d);
		ck_assert_msg(y == tm.tm_year + 1900 && m == tm.tm_mon + 1 && d == tm.tm_mday,
		              "date %lld: %d-%d-%d", (long long)date, y, m, d);
		ck_assert_int_eq(vq_date_from_ymd(y, m, d), date);
	}
	ck_assert_int_eq(vq_date_from_ymd(1970, 1, 1), 0);
	ck_assert_int_eq(vq_date_from_ymd(2028, 2, 29) + 1, vq_date_from_ymd(2028, 3, 1));
	ck_assert_int_eq(vq_date_of(-1, 0), -1);
	ck_assert_int_eq(vq_date_of(86399, 0), 0);
	ck_assert_int_eq(vq_date_of(82800, 3600), 1);
}
END_TEST

static Suite *day_suite(void)
{
	Suite *s = suite_create("day");
	TCase *tc = tcase_create("day");
	tcase_add_test(tc, test_plain_days);
	tcase_add_test(tc, test_spring_gap);
	tcase_add_test(tc, test_autumn_twice);
	tcase_add_test(tc, test_midnight_changes);
	tcase_add_test(tc, test_half_hour);
	tcase_add_test(tc, test_skipped_date);
	tcase_add_test(tc, test_bad_input);
	tcase_add_test(tc, test_dates);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(day_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
