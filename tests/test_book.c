/* tests/test_book.c — the day's book: slot calendar, tiered allocation, capacity changes,
 * closures, redemption; examples first, then seeded random runs that check the
 * invariants of core/book.h after every operation against an independent recount. */
#include "core/book.h"
#include "core/mem.h"
#include "support/fixtures.h"
#include "support/tutil.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const int64_t DAY = VQ_TEST_DAY;
#define AT(h, m) (DAY + (int64_t)(h)*3600 + (int64_t)(m)*60)

static vq_site *site;

static void setup(void)
{
	char err[256];
	int rc = vq_site_parse(VQ_TEST_SITE, strlen(VQ_TEST_SITE), &site, err, sizeof err);
	ck_assert_msg(rc == VQ_OK, "site: %s", err);
}

static void teardown(void)
{
	vq_site_free(site);
	site = NULL;
}

static vq_book *new_book(void)
{
	vq_book *b = NULL;
	ck_assert_int_eq(vq_book_new(site, vq_test_day(DAY), 1, &b), VQ_OK);
	return b;
}

static vq_request req(int attr, int tier, int party, uint64_t guest)
{
	return (vq_request){.attr = attr, .tier = tier, .party = party, .guest = guest};
}

START_TEST(test_calendar)
{
	vq_book *b = new_book();
	ck_assert_int_eq(vq_book_slot_count(b, 0), 48);
	ck_assert_int_eq(vq_book_slot_count(b, 1), 48);
	ck_assert_int_eq(vq_book_slot_count(b, 2), 20);
	vq_slot_view v;
	ck_assert_int_eq(vq_book_slot(b, 0, 0, &v), VQ_OK);
	ck_assert_int_eq(v.start, AT(9, 0));
	ck_assert_int_eq(v.cap, 75);
	ck_assert_int_eq(vq_book_slot(b, 0, 47, &v), VQ_OK);
	ck_assert_int_eq(v.start, AT(20, 45));
	ck_assert_int_eq(vq_book_slot(b, 1, 0, &v), VQ_OK);
	ck_assert_int_eq(v.cap, 4); /* 24/h x 100% x 10 min */
	ck_assert_int_eq(vq_book_slot(b, 2, 0, &v), VQ_OK);
	ck_assert_int_eq(v.cap, 60);
	ck_assert_int_eq(vq_book_slot(b, 0, 48, &v), VQ_EINVAL);
	ck_assert_int_eq(vq_book_slot(b, 3, 0, &v), VQ_ENOATTR);
	vq_book_free(b);
	vq_book_free(NULL);
}
END_TEST

/* Europe/Bucharest around its clock changes of 2027, with the offsets written out (core
 * takes them from the I/O layer): hours are wall-clock times, slots real time. */
static const char DST_SITE[] =
    "{\"version\":1,\"id\":\"b\",\"name\":\"B\",\"timezone\":\"Europe/Bucharest\","
    "\"languages\":[\"en\"],\"min_lead_min\":0,\"unknown_cards\":\"standard\","
    "\"tiers\":[{\"id\":\"standard\",\"names\":{\"en\":\"S\"},\"protect_pct\":0,"
    "\"release_min\":0,\"max_passes\":9,\"horizon_min\":1440,\"late_grace_min\":0}],"
    "\"attractions\":["
    "{\"id\":\"night\",\"prefix\":\"N\",\"names\":{\"en\":\"N\"},\"kind\":\"ride\","
    "\"throughput_per_hour\":600,\"fast_share_pct\":50,\"slot_min\":15,\"window_min\":60,"
    "\"open\":\"01:00\",\"close\":\"06:00\",\"max_party\":8},"
    "{\"id\":\"gap\",\"prefix\":\"G\",\"names\":{\"en\":\"G\"},\"kind\":\"ride\","
    "\"throughput_per_hour\":600,\"fast_share_pct\":50,\"slot_min\":30,\"window_min\":30,"
    "\"open\":\"03:00\",\"close\":\"04:00\",\"max_party\":8},"
    "{\"id\":\"allday\",\"prefix\":\"A\",\"names\":{\"en\":\"A\"},\"kind\":\"ride\","
    "\"throughput_per_hour\":600,\"fast_share_pct\":50,\"slot_min\":30,\"window_min\":60,"
    "\"open\":\"00:00\",\"close\":\"24:00\",\"max_party\":8},"
    "{\"id\":\"q45\",\"prefix\":\"Q\",\"names\":{\"en\":\"Q\"},\"kind\":\"ride\","
    "\"throughput_per_hour\":600,\"fast_share_pct\":50,\"slot_min\":45,\"window_min\":45,"
    "\"open\":\"00:00\",\"close\":\"24:00\",\"max_party\":8}]}";

#define UTC(y, mo, d, h, mi) ((int64_t)vq_date_from_ymd(y, mo, d) * 86400 + (h)*3600 + (mi)*60)

/* Bucharest's day of (y, mo, d) around a change at `change` from off0 to off1 hours. */
static vq_day bucharest(int y, int mo, int d, int64_t change, int off0, int off1)
{
	int32_t date = vq_date_from_ymd(y, mo, d);
	vq_offset_span tl[2] = {{(int64_t)date * 86400 - 86400, off0 * 3600},
	                        {change, off1 * 3600}};
	vq_day day;
	ck_assert_int_eq(vq_day_make(date, tl, 2, (int64_t)date * 86400 + 2 * 86400, &day), VQ_OK);
	return day;
}

static void slot_start(const vq_book *b, int attr, int slot, int64_t want)
{
	vq_slot_view v;
	ck_assert_int_eq(vq_book_slot(b, attr, slot, &v), VQ_OK);
	ck_assert_msg(v.start == want, "attraction %d slot %d starts at %lld, want %lld", attr,
	              slot, (long long)v.start, (long long)want);
}

START_TEST(test_clock_changes)
{
	vq_site *bs = NULL;
	char err[256];
	ck_assert_msg(vq_site_parse(DST_SITE, strlen(DST_SITE), &bs, err, sizeof err) == VQ_OK,
	              "%s", err);
	enum { NIGHT, GAP, ALLDAY, Q45 };
	vq_request r = {.attr = NIGHT, .tier = 0, .party = 1, .guest = 0};
	vq_offer off;
	vq_ticket t;

	/* 28 March: 03:00 becomes 04:00, a 23-hour day */
	vq_day spring = bucharest(2027, 3, 28, UTC(2027, 3, 28, 1, 0), 2, 3);
	vq_book *b = NULL;
	ck_assert_int_eq(vq_book_new(bs, &spring, 1, &b), VQ_OK);
	/* 01:00-06:00 is four real hours: 16 slots, the 9th at 04:00 EEST, right after the gap */
	ck_assert_int_eq(vq_book_slot_count(b, NIGHT), 16);
	slot_start(b, NIGHT, 0, UTC(2027, 3, 27, 23, 0));
	slot_start(b, NIGHT, 7, UTC(2027, 3, 28, 0, 45));
	slot_start(b, NIGHT, 8, UTC(2027, 3, 28, 1, 0));
	slot_start(b, NIGHT, 15, UTC(2027, 3, 28, 2, 45));
	int64_t opens, closes;
	ck_assert_int_eq(vq_book_hours(b, NIGHT, &opens, &closes), VQ_OK);
	ck_assert_int_eq(closes, UTC(2027, 3, 28, 3, 0)); /* 06:00 EEST */
	/* the last window is cut at 06:00 local, not an hour later */
	ck_assert_int_eq(vq_book_issue(b, &r, UTC(2027, 3, 28, 2, 40), &t), VQ_OK);
	ck_assert_int_eq(t.win_start, UTC(2027, 3, 28, 2, 45));
	ck_assert_int_eq(t.win_end, closes);
	/* 03:00-04:00 does not exist that day: nothing to sell */
	ck_assert_int_eq(vq_book_slot_count(b, GAP), 0);
	r.attr = GAP;
	ck_assert_int_eq(vq_book_quote(b, &r, UTC(2027, 3, 27, 22, 0), &off), VQ_ENOTOPEN);
	/* 24 hours of the clock are 23 real ones: 46 half-hour slots, 30 of 45 minutes, all
	 * inside the day */
	ck_assert_int_eq(vq_book_slot_count(b, ALLDAY), 46);
	ck_assert_int_eq(vq_book_slot_count(b, Q45), 30);
	slot_start(b, Q45, 29, UTC(2027, 3, 28, 19, 45));
	ck_assert_int_eq(vq_book_hours(b, Q45, &opens, &closes), VQ_OK);
	ck_assert_int_eq(closes, spring.end);
	/* at 23:50 local nothing of tomorrow is sold today */
	r.attr = Q45;
	ck_assert_int_eq(vq_book_quote(b, &r, UTC(2027, 3, 28, 20, 50), &off), VQ_ENOTOPEN);
	vq_book_free(b);

	/* 31 October: 04:00 becomes 03:00, a 25-hour day */
	vq_day autumn = bucharest(2027, 10, 31, UTC(2027, 10, 31, 1, 0), 3, 2);
	ck_assert_int_eq(vq_book_new(bs, &autumn, 1, &b), VQ_OK);
	ck_assert_int_eq(vq_book_slot_count(b, NIGHT), 24); /* six real hours */
	ck_assert_int_eq(vq_book_hours(b, NIGHT, &opens, &closes), VQ_OK);
	ck_assert_int_eq(closes, UTC(2027, 10, 31, 4, 0)); /* 06:00 EET, not 05:00 */
	/* the hour shown twice is worked twice, slot after slot in real time */
	ck_assert_int_eq(vq_book_slot_count(b, GAP), 4);
	slot_start(b, GAP, 0, UTC(2027, 10, 31, 0, 0)); /* 03:00 EEST */
	slot_start(b, GAP, 2, UTC(2027, 10, 31, 1, 0)); /* 03:00 EET */
	ck_assert_int_eq(vq_book_slot_count(b, ALLDAY), 50);
	ck_assert_int_eq(vq_book_slot_count(b, Q45), 33);
	/* open until midnight, not closed from 23:00 */
	r.attr = ALLDAY;
	ck_assert_int_eq(vq_book_quote(b, &r, UTC(2027, 10, 31, 21, 10), &off), VQ_OK);
	ck_assert_int_eq(off.win_start, UTC(2027, 10, 31, 21, 30));
	ck_assert_int_eq(off.win_end, autumn.end);
	vq_book_free(b);
	vq_site_free(bs);
}
END_TEST

START_TEST(test_issue_earliest_and_window)
{
	vq_book *b = new_book();
	vq_ticket t;
	vq_request r = req(0, 0, 2, 0);
	ck_assert_int_eq(vq_book_issue(b, &r, AT(10, 7), &t), VQ_OK);
	ck_assert_int_eq(t.id, 1);
	ck_assert_int_eq(t.slot_start, AT(10, 15)); /* next slot that has not started */
	ck_assert_int_eq(t.win_start, AT(10, 15));
	ck_assert_int_eq(t.win_end, AT(11, 15));
	ck_assert_int_eq(t.number, 1);
	ck_assert_int_eq(t.party, 2);
	ck_assert_str_eq(t.attr, "coaster");
	ck_assert_int_eq(t.state, VQ_TS_ISSUED);
	/* before opening: the first slot */
	ck_assert_int_eq(vq_book_issue(b, &r, AT(7, 0), &t), VQ_OK);
	ck_assert_int_eq(t.slot_start, AT(9, 0));
	ck_assert_int_eq(t.number, 2);
	/* the service desk's last window is cut at closing time */
	r = req(1, 0, 1, 0);
	ck_assert_int_eq(vq_book_issue(b, &r, AT(17, 45), &t), VQ_OK);
	ck_assert_int_eq(t.slot_start, AT(17, 50));
	ck_assert_int_eq(t.win_end, AT(18, 0));
	/* after the last slot started: not operating any more today */
	ck_assert_int_eq(vq_book_issue(b, &r, AT(17, 51), &t), VQ_ENOTOPEN);
	vq_slot_view v;
	vq_book_slot(b, 0, 5, &v);
	ck_assert_int_eq(v.taken, 2);
	ck_assert_int_eq(v.taken_tier[0], 2);
	vq_book_free(b);
}
END_TEST

START_TEST(test_request_errors)
{
	vq_book *b = new_book();
	vq_ticket t;
	vq_offer o;
	vq_request r = req(9, 0, 1, 0);
	ck_assert_int_eq(vq_book_quote(b, &r, AT(10, 0), &o), VQ_ENOATTR);
	r = req(-1, 0, 1, 0);
	ck_assert_int_eq(vq_book_quote(b, &r, AT(10, 0), &o), VQ_ENOATTR);
	r = req(0, 4, 1, 0);
	ck_assert_int_eq(vq_book_quote(b, &r, AT(10, 0), &o), VQ_ENOTIER);
	r = req(0, 0, 0, 0);
	ck_assert_int_eq(vq_book_quote(b, &r, AT(10, 0), &o), VQ_EPARTY);
	r = req(0, 0, 9, 0);
	ck_assert_int_eq(vq_book_issue(b, &r, AT(10, 0), &t), VQ_EPARTY);
	r = req(0, 0, 8, 0);
	ck_assert_int_eq(vq_book_issue(b, &r, AT(10, 0), &t), VQ_OK);
	ck_assert_int_eq(vq_book_ticket_count(b), 1);
	vq_book_free(b);
}
END_TEST

/* Standard sees a slot full once only protected seats remain; the tiers above take them. */
START_TEST(test_nested_protection)
{
	vq_book *b = new_book();
	vq_ticket t;
	vq_offer o;
	/* cap 75: silver+ protect 22 (30%), gold+ 15 (20%), platinum 7 (10%); at 07:00 the
	 * 09:00 slot is far from every release, and standard's 120-minute horizon reaches only
	 * it. Standard may take 75 - 22 = 53. */
	int64_t now = AT(7, 0);
	vq_request r = req(0, 0, 1, 0);
	int issued = 0;
	while (vq_book_issue(b, &r, now, &t) == VQ_OK)
		issued++;
	ck_assert_int_eq(issued, 53);
	ck_assert_int_eq(vq_book_quote(b, &r, now, &o), VQ_ESOLDOUT);
	vq_slot_view v;
	vq_book_slot(b, 0, 0, &v);
	ck_assert_int_eq(v.taken, 53);
	/* silver may take down to gold's reserve: 75 - 53 - 15 = 7 more */
	r = req(0, 1, 7, 0);
	ck_assert_int_eq(vq_book_quote(b, &r, now, &o), VQ_OK);
	ck_assert_int_eq(o.slot_start, AT(9, 0));
	ck_assert_int_eq(o.seats_left, 0);
	r = req(0, 1, 8, 0);
	ck_assert_int_eq(vq_book_quote(b, &r, now, &o), VQ_OK);
	ck_assert_int_eq(o.slot_start, AT(9, 15));
	/* gold may take down to platinum's reserve: 75 - 53 - 7 = 15 */
	r = req(0, 2, 8, 0);
	ck_assert_int_eq(vq_book_issue(b, &r, now, &t), VQ_OK);
	ck_assert_int_eq(t.slot_start, AT(9, 0));
	r = req(0, 2, 7, 0);
	ck_assert_int_eq(vq_book_issue(b, &r, now, &t), VQ_OK);
	ck_assert_int_eq(t.slot_start, AT(9, 0));
	r = req(0, 2, 1, 0);
	ck_assert_int_eq(vq_book_issue(b, &r, now, &t), VQ_OK);
	ck_assert_int_eq(t.slot_start, AT(9, 15));
	/* platinum takes the last 7 of 09:00 */
	r = req(0, 3, 7, 0);
	ck_assert_int_eq(vq_book_issue(b, &r, now, &t), VQ_OK);
	ck_assert_int_eq(t.slot_start, AT(9, 0));
	vq_book_slot(b, 0, 0, &v);
	ck_assert_int_eq(v.taken, 75);
	ck_assert_int_eq(v.taken_tier[2], 15);
	ck_assert_int_eq(v.taken_tier[3], 7);
	vq_book_free(b);
}
END_TEST

/* Higher tiers draw their own reserve down first: platinum bookings shrink what is held back
 * for platinum, so silver is not shut out by seats platinum already used. */
START_TEST(test_reserve_drawn_down)
{
	vq_book *b = new_book();
	vq_ticket t;
	vq_offer o;
	int64_t now = AT(7, 0); /* slot 09:00, far from release */
	vq_request r = req(0, 3, 7, 0);
	ck_assert_int_eq(vq_book_issue(b, &r, now, &t), VQ_OK); /* platinum uses its 7 */
	r = req(0, 0, 8, 0);
	for (int i = 0; i < 6; i++)
		ck_assert_int_eq(vq_book_issue(b, &r, now, &t), VQ_OK); /* standard 48 */
	/* silver: free 75-55=20; reserve gold+ 15-7=8, plat 7-7=0 -> 12 */
	r = req(0, 1, 1, 0);
	ck_assert_int_eq(vq_book_quote(b, &r, now, &o), VQ_OK);
	ck_assert_int_eq(o.slot_start, AT(9, 0));
	ck_assert_int_eq(o.seats_left, 11);
	/* standard: reserve silver+ 22-7=15 -> 5 */
	r = req(0, 0, 5, 0);
	ck_assert_int_eq(vq_book_quote(b, &r, now, &o), VQ_OK);
	ck_assert_int_eq(o.slot_start, AT(9, 0));
	ck_assert_int_eq(o.seats_left, 0);
	vq_book_free(b);
}
END_TEST

/* Protection lapses release_min before the slot starts, so no seat goes unused. */
START_TEST(test_protection_release)
{
	vq_book *b = new_book();
	vq_ticket t;
	vq_offer o;
	vq_request r = req(0, 0, 1, 0);
	/* standard takes 53 of the 09:00 slot at 07:00 */
	for (int i = 0; i < 53; i++)
		ck_assert_int_eq(vq_book_issue(b, &r, AT(7, 0), &t), VQ_OK);
	ck_assert_int_eq(vq_book_quote(b, &r, AT(7, 0), &o), VQ_ESOLDOUT);
	ck_assert_int_eq(vq_book_quote(b, &r, AT(7, 15), &o), VQ_OK);
	ck_assert_int_eq(o.slot_start, AT(9, 15));
	/* 08:15 (45 min before): silver's protection lapsed, gold's (15) still on: 75-53-15=7 */
	ck_assert_int_eq(vq_book_quote(b, &r, AT(8, 15), &o), VQ_OK);
	ck_assert_int_eq(o.slot_start, AT(9, 0));
	ck_assert_int_eq(o.seats_left, 6);
	/* 08:14: silver still protected */
	ck_assert_int_eq(vq_book_quote(b, &r, AT(8, 14), &o), VQ_OK);
	ck_assert_int_eq(o.slot_start, AT(9, 15));
	/* 08:40: all lapsed: 22 left */
	ck_assert_int_eq(vq_book_quote(b, &r, AT(8, 40), &o), VQ_OK);
	ck_assert_int_eq(o.slot_start, AT(9, 0));
	ck_assert_int_eq(o.seats_left, 21);
	vq_book_free(b);
}
END_TEST

START_TEST(test_horizon_and_sold_out)
{
	vq_book *b = new_book();
	vq_ticket t;
	vq_offer o;
	/* the desk: 4 seats a slot, standard can take all (no protection above 0%? silver 30%
	 * of 4 = 1, gold 0, plat 0) -> 3 per slot; horizon 120 min from 10:00: 13 slots */
	vq_request r = req(1, 0, 3, 0);
	int n = 0;
	while (vq_book_issue(b, &r, AT(10, 0), &t) == VQ_OK)
		n++;
	ck_assert_int_eq(n, 13);
	ck_assert_int_eq(vq_book_quote(b, &r, AT(10, 0), &o), VQ_ESOLDOUT);
	/* platinum's horizon is the whole day */
	r = req(1, 3, 4, 0);
	ck_assert_int_eq(vq_book_quote(b, &r, AT(10, 0), &o), VQ_OK);
	ck_assert_int_eq(o.slot_start, AT(12, 10));
	r = req(1, 3, 1, 0);
	ck_assert_int_eq(vq_book_quote(b, &r, AT(10, 0), &o), VQ_OK);
	ck_assert_int_eq(o.slot_start, AT(10, 0));
	vq_book_free(b);
}
END_TEST

START_TEST(test_guest_limit)
{
	vq_book *b = new_book();
	vq_ticket t1, t2, t3;
	vq_offer o;
	vq_request r = req(0, 1, 2, 77); /* silver: 2 passes */
	ck_assert_int_eq(vq_book_issue(b, &r, AT(9, 0), &t1), VQ_OK);
	ck_assert_int_eq(vq_book_issue(b, &r, AT(9, 0), &t2), VQ_OK);
	ck_assert_int_eq(vq_book_guest_held(b, 77, AT(9, 0)), 2);
	ck_assert_int_eq(vq_book_issue(b, &r, AT(9, 0), &t3), VQ_ELIMIT);
	/* another guest is not affected; anonymous requests have no limit */
	vq_request other = req(0, 1, 2, 78);
	ck_assert_int_eq(vq_book_issue(b, &other, AT(9, 0), &t3), VQ_OK);
	/* a redeemed pass is no longer held */
	vq_verdict v;
	ck_assert_int_eq(vq_book_redeem(b, t1.id, "coaster", "gate-1", 0, t1.win_start, &v, NULL),
	                 VQ_OK);
	ck_assert_int_eq(vq_book_guest_held(b, 77, t1.win_start), 1);
	ck_assert_int_eq(vq_book_quote(b, &r, t1.win_start, &o), VQ_OK);
	ck_assert_int_eq(o.held, 1);
	/* a cancelled one neither */
	ck_assert_int_eq(vq_book_cancel(b, t2.id, AT(9, 1), NULL), VQ_OK);
	ck_assert_int_eq(vq_book_guest_held(b, 77, AT(9, 1)), 0);
	/* nor one whose window (plus grace) has passed: silver 5 + coaster 10 min */
	ck_assert_int_eq(vq_book_issue(b, &r, AT(9, 2), &t3), VQ_OK);
	ck_assert_int_eq(vq_book_guest_held(b, 77, t3.win_end + 15 * 60 - 1), 1);
	ck_assert_int_eq(vq_book_guest_held(b, 77, t3.win_end + 15 * 60), 0);
	vq_book_free(b);
}
END_TEST

/* Accessibility return passes: the posted wait from now, to closing; no seats, one a guest. */
START_TEST(test_access_pass)
{
	vq_book *b = new_book();
	vq_ticket p, t, again;
	vq_slot_view v;
	vq_request r = req(0, 0, 3, 77);
	r.by = "gate-1";
	/* 10:07:30 with a 25-minute wait: back at 10:32, until the coaster closes at 21:00 */
	ck_assert_int_eq(vq_book_issue_access(b, &r, 25, AT(10, 7) + 30, &p), VQ_OK);
	ck_assert_int_eq(p.kind, VQ_TK_ACCESS);
	ck_assert_int_eq(p.win_start, AT(10, 32));
	ck_assert_int_eq(p.win_end, AT(21, 0));
	ck_assert_int_eq(p.slot_start, AT(10, 30));
	ck_assert_int_eq(p.party, 3);
	ck_assert_int_eq(p.number, 1);
	ck_assert_str_eq(p.issued_by, "gate-1");
	/* no seat taken anywhere, and the tier's fast-lane limit is untouched */
	for (int i = 0; i < vq_book_slot_count(b, 0); i++) {
		vq_book_slot(b, 0, i, &v);
		ck_assert_int_eq(v.taken, 0);
	}
	ck_assert_int_eq(vq_book_guest_held(b, 77, AT(10, 8)), 0);
	vq_request fast = req(0, 0, 2, 77);
	ck_assert_int_eq(vq_book_issue(b, &fast, AT(10, 8), &t), VQ_OK);
	ck_assert_int_eq(t.kind, VQ_TK_FAST);
	ck_assert_int_eq(t.number, 2); /* one sequence of numbers per attraction */
	/* one active pass a guest, anywhere; another guest may have one */
	ck_assert_ptr_nonnull(vq_book_guest_pass(b, 77, AT(10, 8)));
	ck_assert_uint_eq(vq_book_guest_pass(b, 77, AT(10, 8))->id, p.id);
	vq_request elsewhere = req(2, 0, 1, 77);
	ck_assert_int_eq(vq_book_issue_access(b, &elsewhere, 0, AT(10, 9), &again), VQ_ELIMIT);
	elsewhere.guest = 78;
	ck_assert_int_eq(vq_book_issue_access(b, &elsewhere, 0, AT(10, 9), &again), VQ_OK);
	ck_assert_int_eq(again.win_start, AT(10, 9)); /* no wait: at once */
	/* used, the guest may take the next one */
	vq_verdict vd;
	ck_assert_int_eq(vq_book_redeem(b, p.id, "coaster", "g1", 0, AT(10, 27), &vd, NULL),
	                 VQ_OK); /* 5 min early grace, as any ticket */
	ck_assert_ptr_null(vq_book_guest_pass(b, 77, AT(10, 28)));
	r.guest = 77;
	ck_assert_int_eq(vq_book_issue_access(b, &r, 25, AT(10, 28), &again), VQ_OK);
	/* cancelled, no seat comes back to the slot either */
	ck_assert_int_eq(vq_book_cancel(b, again.id, AT(10, 29), NULL), VQ_OK);
	vq_book_slot(b, 0, 6, &v);
	ck_assert_int_eq(v.taken, 0);
	ck_assert_ptr_null(vq_book_guest_pass(b, 77, AT(10, 29)));
	/* passes are not the fast lane's backlog nor its no-shows */
	ck_assert_int_eq(vq_book_backlog(b, 2, AT(10, 30)), 0);
	/* before opening: from the opening; a return at or after closing is refused */
	r.guest = 79;
	ck_assert_int_eq(vq_book_issue_access(b, &r, 10, AT(7, 0), &again), VQ_OK);
	ck_assert_int_eq(again.win_start, AT(9, 10));
	r.guest = 80;
	ck_assert_int_eq(vq_book_issue_access(b, &r, 60, AT(20, 0), &again), VQ_ENOTOPEN);
	ck_assert_int_eq(vq_book_issue_access(b, &r, 0, AT(21, 0), &again), VQ_ENOTOPEN);
	/* refusals */
	ck_assert_int_eq(vq_book_issue_access(b, &r, -1, AT(10, 0), &again), VQ_EINVAL);
	vq_request desk = req(1, 0, 1, 80);
	ck_assert_int_eq(vq_book_issue_access(b, &desk, 0, AT(11, 0), &again), VQ_EINVAL);
	vq_request anon = req(0, 0, 1, 0);
	ck_assert_int_eq(vq_book_issue_access(b, &anon, 0, AT(11, 0), &again), VQ_EINVAL);
	vq_request big = req(0, 0, 9, 80);
	ck_assert_int_eq(vq_book_issue_access(b, &big, 0, AT(11, 0), &again), VQ_EPARTY);
	ck_assert_int_eq(vq_book_close(b, 0, AT(11, 0)), VQ_OK);
	ck_assert_int_eq(vq_book_issue_access(b, &r, 0, AT(11, 1), &again), VQ_ECLOSED);
	/* a restored book holds the same: passes take no seats back either */
	vq_book *c = new_book();
	for (size_t i = 0; i < vq_book_ticket_count(b); i++)
		ck_assert_int_eq(vq_book_restore_ticket(c, vq_book_ticket_at(b, i)), VQ_OK);
	for (int i = 0; i < vq_book_slot_count(b, 0); i++) {
		vq_slot_view x, y;
		vq_book_slot(b, 0, i, &x);
		vq_book_slot(c, 0, i, &y);
		ck_assert_int_eq(x.taken, y.taken);
	}
	ck_assert_ptr_nonnull(vq_book_guest_pass(c, 78, AT(11, 0)));
	vq_book_free(c);
	vq_book_free(b);
}
END_TEST

START_TEST(test_cancel)
{
	vq_book *b = new_book();
	vq_ticket t, c;
	vq_request r = req(0, 2, 5, 0);
	ck_assert_int_eq(vq_book_issue(b, &r, AT(9, 0), &t), VQ_OK);
	vq_slot_view v;
	vq_book_slot(b, 0, 0, &v);
	ck_assert_int_eq(v.taken, 5);
	ck_assert_int_eq(vq_book_cancel(b, t.id, AT(9, 1), &c), VQ_OK);
	ck_assert_int_eq(c.state, VQ_TS_CANCELLED);
	vq_book_slot(b, 0, 0, &v);
	ck_assert_int_eq(v.taken, 0);
	ck_assert_int_eq(v.taken_tier[2], 0);
	ck_assert_int_eq(vq_book_cancel(b, t.id, AT(9, 1), &c), VQ_ESTATE);
	ck_assert_int_eq(vq_book_cancel(b, 999, AT(9, 1), &c), VQ_ENOTICKET);
	vq_book_free(b);
}
END_TEST

START_TEST(test_redeem)
{
	vq_book *b = new_book();
	vq_ticket t, after;
	vq_verdict v;
	vq_request r = req(0, 0, 3, 0);
	ck_assert_int_eq(vq_book_issue(b, &r, AT(9, 1), &t), VQ_OK); /* 09:15-10:15 */
	ck_assert_int_eq(vq_book_redeem(b, t.id, "coaster", "g1", 0, AT(9, 9), &v, NULL),
	                 VQ_ETOOEARLY);
	ck_assert_int_eq(v.from, AT(9, 10));
	ck_assert_int_eq(vq_book_redeem(b, t.id, "flume", "g1", 0, AT(9, 30), &v, NULL),
	                 VQ_EWRONGATTR);
	ck_assert_int_eq(vq_book_redeem(b, t.id, "coaster", "g1", 0, AT(9, 30), &v, &after), VQ_OK);
	ck_assert_int_eq(after.state, VQ_TS_REDEEMED);
	ck_assert_str_eq(after.used_gate, "g1");
	ck_assert_int_eq(after.used_at, AT(9, 30));
	ck_assert_int_eq(vq_book_redeem(b, t.id, "coaster", "g2", 0, AT(9, 31), &v, NULL),
	                 VQ_EUSED);
	ck_assert_int_eq(v.used_at, AT(9, 30));
	ck_assert_str_eq(v.used_gate, "g1");
	ck_assert_int_eq(vq_book_redeem(b, 4242, "coaster", "g2", 0, AT(9, 31), &v, NULL),
	                 VQ_ENOTICKET);
	/* expired: 10:15 + 10 min grace */
	ck_assert_int_eq(vq_book_issue(b, &r, AT(9, 1), &t), VQ_OK);
	ck_assert_int_eq(vq_book_redeem(b, t.id, "coaster", "g1", 0, AT(10, 25), &v, NULL),
	                 VQ_EEXPIRED);
	vq_book_free(b);
}
END_TEST

START_TEST(test_override_and_backlog)
{
	vq_book *b = new_book();
	vq_ticket t, u, out;
	vq_request r = req(0, 0, 3, 0);
	ck_assert_int_eq(vq_book_issue(b, &r, AT(9, 1), &t), VQ_OK); /* 09:15-10:15 */
	r.party = 2;
	ck_assert_int_eq(vq_book_issue(b, &r, AT(9, 1), &u), VQ_OK);
	/* the backlog counts guests whose interval (09:10-10:25) holds now */
	ck_assert_int_eq(vq_book_backlog(b, 0, AT(9, 9)), 0);
	ck_assert_int_eq(vq_book_backlog(b, 0, AT(9, 10)), 5);
	ck_assert_int_eq(vq_book_backlog(b, 1, AT(9, 10)), 0);
	ck_assert_int_eq(vq_book_backlog(b, 0, AT(10, 25)), 0);
	int all[3];
	vq_book_backlogs(b, AT(9, 10), all);
	ck_assert_int_eq(all[0], 5);
	ck_assert_int_eq(all[1], 0);
	ck_assert_int_eq(all[2], 0);
	/* an override at another attraction never consumes the ticket */
	ck_assert_int_eq(
	    vq_book_force_redeem(b, t.id, vq_site_attr(site, 1)->id, "gate-9", AT(9, 2), &out),
	    VQ_EWRONGATTR);
	ck_assert_int_eq(vq_book_force_redeem(b, t.id, NULL, "gate-9", AT(9, 2), &out),
	                 VQ_EWRONGATTR);
	ck_assert_int_eq(vq_book_ticket(b, t.id)->state, VQ_TS_ISSUED);
	ck_assert_int_eq(vq_book_backlog(b, 0, AT(9, 10)), 5);
	/* an override admits too early, and only once */
	ck_assert_int_eq(vq_book_force_redeem(b, t.id, "coaster", "gate-1", AT(9, 2), &out), VQ_OK);
	ck_assert_int_eq(out.state, VQ_TS_REDEEMED);
	ck_assert_str_eq(out.used_gate, "gate-1");
	ck_assert_int_eq(vq_book_backlog(b, 0, AT(9, 30)), 2);
	ck_assert_int_eq(vq_book_force_redeem(b, t.id, "coaster", "gate-2", AT(9, 3), &out),
	                 VQ_EUSED);
	ck_assert_int_eq(vq_book_cancel(b, u.id, AT(9, 3), NULL), VQ_OK);
	ck_assert_int_eq(vq_book_force_redeem(b, u.id, "coaster", "gate-2", AT(9, 3), &out),
	                 VQ_ECANCELLED);
	ck_assert_int_eq(vq_book_force_redeem(b, 99, "coaster", "gate-2", AT(9, 3), &out),
	                 VQ_ENOTICKET);
	ck_assert_int_eq(vq_book_backlog(b, 0, AT(9, 30)), 0);
	vq_book_free(b);
}
END_TEST

START_TEST(test_capacity_change)
{
	vq_book *b = new_book();
	vq_ticket t;
	vq_request r = req(0, 3, 8, 0);
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(vq_book_issue(b, &r, AT(8, 0), &t), VQ_OK); /* 40 in 09:00 */
	/* halve throughput at 09:05: 09:00 has started and keeps 75; later slots get 37 */
	vq_capacity c = {.throughput_per_hour = 300, .fast_share_pct = -1, .overbook_pct = -1};
	ck_assert_int_eq(vq_book_set_capacity(b, 0, &c, AT(9, 5)), VQ_OK);
	vq_slot_view v;
	vq_book_slot(b, 0, 0, &v);
	ck_assert_int_eq(v.cap, 75);
	vq_book_slot(b, 0, 1, &v);
	ck_assert_int_eq(v.cap, 37);
	/* a cut below what is issued honours the tickets and sells nothing more */
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(vq_book_issue(b, &r, AT(9, 5), &t), VQ_OK);
	vq_book_slot(b, 0, 1, &v);
	ck_assert_int_eq(v.taken, 32);
	c = (vq_capacity){.throughput_per_hour = -1, .fast_share_pct = 10, .overbook_pct = -1};
	ck_assert_int_eq(vq_book_set_capacity(b, 0, &c, AT(9, 6)), VQ_OK);
	vq_book_slot(b, 0, 1, &v);
	ck_assert_int_eq(v.cap, 7); /* 300 x 10% x 15 min = 7.5, rounded down */
	ck_assert_int_eq(v.taken, 32);
	r = req(0, 3, 1, 0);
	ck_assert_int_eq(vq_book_issue(b, &r, AT(9, 6), &t), VQ_OK);
	ck_assert_int_eq(t.slot_start, AT(9, 30));
	/* overbooking 20% on a 7-seat slot: 8.4, rounded down */
	c = (vq_capacity){.throughput_per_hour = -1, .fast_share_pct = -1, .overbook_pct = 20};
	ck_assert_int_eq(vq_book_set_capacity(b, 0, &c, AT(9, 6)), VQ_OK);
	vq_book_slot(b, 0, 3, &v);
	ck_assert_int_eq(v.cap, 8);
	ck_assert_int_eq(vq_book_attr_state(b, 0)->overbook_pct, 20);
	/* bad figures change nothing */
	c = (vq_capacity){.throughput_per_hour = 0, .fast_share_pct = -1, .overbook_pct = -1};
	ck_assert_int_eq(vq_book_set_capacity(b, 0, &c, AT(9, 6)), VQ_EINVAL);
	c = (vq_capacity){.throughput_per_hour = -1, .fast_share_pct = 101, .overbook_pct = -1};
	ck_assert_int_eq(vq_book_set_capacity(b, 0, &c, AT(9, 6)), VQ_EINVAL);
	ck_assert_int_eq(vq_book_set_capacity(b, 7, &c, AT(9, 6)), VQ_ENOATTR);
	vq_book_slot(b, 0, 3, &v);
	ck_assert_int_eq(v.cap, 8);
	vq_book_free(b);
}
END_TEST

START_TEST(test_closure)
{
	vq_book *b = new_book();
	vq_ticket early, during, later, t;
	vq_verdict v;
	vq_request r = req(0, 0, 2, 0);
	ck_assert_int_eq(vq_book_issue(b, &r, AT(7, 0), &early), VQ_OK);   /* 09:00-10:00 */
	ck_assert_int_eq(vq_book_issue(b, &r, AT(10, 0), &during), VQ_OK); /* 10:00-11:00 */
	ck_assert_int_eq(vq_book_issue(b, &r, AT(11, 50), &later), VQ_OK); /* 12:00-13:00 */
	ck_assert_int_eq(vq_book_close(b, 0, AT(10, 20)), VQ_OK);
	ck_assert_int_eq(vq_book_close(b, 0, AT(10, 21)), VQ_ESTATE);
	ck_assert_int_eq(vq_book_issue(b, &r, AT(10, 30), &t), VQ_ECLOSED);
	ck_assert_int_eq(vq_book_redeem(b, during.id, "coaster", "g", 0, AT(10, 30), &v, NULL),
	                 VQ_ECLOSED);
	size_t conv = 99;
	ck_assert_int_eq(vq_book_reopen(b, 0, AT(11, 30), &conv), VQ_OK);
	ck_assert_int_eq(vq_book_reopen(b, 0, AT(11, 31), NULL), VQ_ESTATE);
	/* the 09:00 window ended at 10:10 with grace, before the closure: unaffected */
	ck_assert_int_eq(conv, 1);
	ck_assert_int_eq(vq_book_ticket(b, early.id)->state, VQ_TS_ISSUED);
	const vq_ticket *d = vq_book_ticket(b, during.id);
	ck_assert_int_eq(d->state, VQ_TS_ANYTIME);
	ck_assert_int_eq(d->valid_from, AT(11, 30));
	ck_assert_int_eq(d->valid_until, AT(21, 0));
	ck_assert_int_eq(vq_book_ticket(b, later.id)->state, VQ_TS_ISSUED);
	/* the anytime pass admits long after its window */
	ck_assert_int_eq(vq_book_redeem(b, during.id, "coaster", "g", 0, AT(16, 0), &v, NULL),
	                 VQ_OK);
	const vq_attr_state *st = vq_book_attr_state(b, 0);
	ck_assert_int_eq(st->status, VQ_ATTR_OPEN);
	ck_assert_int_eq(st->closed_at, AT(10, 20));
	ck_assert_int_eq(st->reopened_at, AT(11, 30));
	vq_book_free(b);
}
END_TEST

START_TEST(test_changes)
{
	vq_book *b = new_book();
	vq_ticket t;
	vq_changes ch;
	vq_book_changes(b, &ch);
	ck_assert_int_eq(ch.ntickets + ch.nslots + ch.nattrs, 0);
	vq_request r = req(0, 0, 2, 0);
	ck_assert_int_eq(vq_book_issue(b, &r, AT(9, 0), &t), VQ_OK);
	ck_assert_int_eq(vq_book_issue(b, &r, AT(9, 0), &t), VQ_OK);
	vq_book_changes(b, &ch);
	ck_assert_int_eq(ch.ntickets, 2);
	ck_assert_int_eq(ch.nslots, 1);
	ck_assert_int_eq(ch.nattrs, 1);
	ck_assert_int_eq(ch.tickets[1]->id, t.id);
	vq_book_changes_clear(b);
	ck_assert_int_eq(vq_book_cancel(b, t.id, AT(9, 1), NULL), VQ_OK);
	vq_book_changes(b, &ch);
	ck_assert_int_eq(ch.ntickets, 1);
	ck_assert_int_eq(ch.tickets[0]->state, VQ_TS_CANCELLED);
	ck_assert_int_eq(ch.nattrs, 0);
	vq_book_free(b);
}
END_TEST

START_TEST(test_restore)
{
	vq_book *b = new_book();
	vq_ticket t;
	vq_request r = req(0, 1, 3, 5);
	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(vq_book_issue(b, &r, AT(9, 0), &t), VQ_OK);
	vq_book_cancel(b, 1, AT(9, 0), NULL);
	vq_book *c = NULL;
	ck_assert_int_eq(vq_book_new(site, vq_test_day(DAY), 1, &c), VQ_OK);
	ck_assert_int_eq(vq_book_restore_attr(c, 0, vq_book_attr_state(b, 0)), VQ_OK);
	for (size_t i = 0; i < vq_book_ticket_count(b); i++)
		ck_assert_int_eq(vq_book_restore_ticket(c, vq_book_ticket_at(b, i)), VQ_OK);
	ck_assert_int_eq(vq_book_restore_ticket(c, vq_book_ticket_at(b, 0)), VQ_EINVAL);
	ck_assert_int_eq(vq_book_next_ticket_id(c), 3);
	ck_assert_int_eq(vq_book_guest_held(c, 5, AT(9, 0)), 1);
	vq_slot_view v1, v2;
	vq_book_slot(b, 0, 0, &v1);
	vq_book_slot(c, 0, 0, &v2);
	ck_assert_int_eq(v1.taken, 3);
	ck_assert_mem_eq(&v1, &v2, sizeof v1);
	vq_changes ch;
	vq_book_changes(c, &ch);
	ck_assert_int_eq(ch.ntickets, 0);
	t = *vq_book_ticket_at(b, 1);
	t.id = 10;
	t.slot_start += 60; /* off the slot grid */
	ck_assert_int_eq(vq_book_restore_ticket(c, &t), VQ_EINVAL);
	vq_book_free(c);
	vq_book_free(b);
}
END_TEST

/* Every allocation failure leaves the book as it was. */
START_TEST(test_starved)
{
	for (unsigned long n = 1; n < 400; n++) {
		vq_book *b = new_book();
		vq_ticket t;
		vq_request r = req(0, 0, 1, 0);
		int ok = 0;
		vq_mem_fail_after(n);
		for (uint64_t g = 1; g <= 100; g++) {
			r.guest = g;
			int rc = vq_book_issue(b, &r, AT(9, 0), &t);
			if (rc == VQ_ENOMEM)
				break;
			ck_assert_int_eq(rc, VQ_OK);
			ok++;
		}
		vq_mem_fail_after(0);
		ck_assert_int_eq(vq_book_ticket_count(b), (size_t)ok);
		int taken = 0;
		for (int s = 0; s < vq_book_slot_count(b, 0); s++) {
			vq_slot_view v;
			vq_book_slot(b, 0, s, &v);
			taken += v.taken;
		}
		ck_assert_int_eq(taken, ok);
		for (int g = 1; g <= ok; g++)
			ck_assert_int_eq(vq_book_guest_held(b, (uint64_t)g, AT(9, 0)), 1);
		vq_changes ch;
		vq_book_changes(b, &ch);
		ck_assert_int_eq(ch.ntickets, (size_t)ok);
		vq_book_free(b);
		if (ok == 100)
			return;
	}
	ck_abort_msg("never ran without starving");
}
END_TEST

/* --- randomized invariants ------------------------------------------------------- */

/* Check's assertions report every pass through a pipe; in loops that run millions of
 * times only a failure may cost anything. */
#define REQUIRE(cond, ...)                                                                         \
	do {                                                                                       \
		if (!(cond))                                                                       \
			ck_abort_msg(__VA_ARGS__);                                                 \
	} while (0)

static const uint64_t SEEDS[] = {1, 2, 3, 20261123, 0xdeadbeef, 987654321};

struct model {
	int cut[3][64]; /* slot capacity was lowered below what it held */
	unsigned char *redeemed;
	size_t nredeemed;
};

static int protect_seats(int cap, const vq_tier *tk)
{
	return cap * tk->protect_pct / 100;
}

/* Recounts every slot from the tickets and checks the capacity invariant. */
static void check_slots(const vq_book *b, const struct model *m, uint64_t seed, int step)
{
	static int taken[3][64][VQ_MAX_TIERS];
	memset(taken, 0, sizeof taken);
	for (size_t i = 0; i < vq_book_ticket_count(b); i++) {
		const vq_ticket *t = vq_book_ticket_at(b, i);
		if (t->state == VQ_TS_CANCELLED)
			continue;
		int a = vq_site_attr_find(site, t->attr);
		const vq_attraction *cfg = vq_site_attr(site, a);
		int s = (int)((t->slot_start - DAY - cfg->open_min * 60) / (cfg->slot_min * 60));
		taken[a][s][t->tier] += t->party;
	}
	for (int a = 0; a < 3; a++) {
		for (int s = 0; s < vq_book_slot_count(b, a); s++) {
			vq_slot_view v;
			vq_book_slot(b, a, s, &v);
			int sum = 0;
			for (int k = 0; k < VQ_MAX_TIERS; k++) {
				REQUIRE(v.taken_tier[k] == taken[a][s][k],
				        "seed %llu step %d: slot %d/%d tier %d recount",
				        (unsigned long long)seed, step, a, s, k);
				sum += v.taken_tier[k];
			}
			REQUIRE(v.taken == sum, "seed %llu step %d: taken sum",
			        (unsigned long long)seed, step);
			REQUIRE(m->cut[a][s] || v.taken <= v.cap,
			        "seed %llu step %d: slot %d/%d above capacity %d > %d",
			        (unsigned long long)seed, step, a, s, v.taken, v.cap);
		}
	}
}

/* After tier t took seats in v at now: no higher tier's unlapsed reserve was invaded. */
static void check_protection(const vq_slot_view *v, int t, int64_t now, uint64_t seed, int step)
{
	int ntiers = vq_site_tier_count(site);
	for (int k = t + 1; k < ntiers; k++) {
		const vq_tier *tk = vq_site_tier(site, k);
		if (now >= v->start - (int64_t)tk->release_min * 60)
			continue;
		int used_ge = 0;
		for (int j = k; j < ntiers; j++)
			used_ge += v->taken_tier[j];
		int reserve = protect_seats(v->cap, tk) - used_ge;
		REQUIRE(v->cap - v->taken >= reserve,
		        "seed %llu step %d: tier %d invaded tier %d's reserve",
		        (unsigned long long)seed, step, t, k);
	}
}

START_TEST(test_random_invariants)
{
	uint64_t seed = SEEDS[_i];
	tu_rng rng = {seed};
	vq_book *b = new_book();
	struct model m;
	memset(&m, 0, sizeof m);
	m.redeemed = calloc(20000, 1);
	int64_t now = AT(8, 0);
	int issued = 0, refused = 0, redeemed = 0;
	for (int step = 0; step < 10000; step++) {
		now += tu_rng_below(&rng, 8); /* ~11 hours over the run */
		uint32_t op = tu_rng_below(&rng, 100);
		if (op < 60) {
			vq_request r =
			    req((int)tu_rng_below(&rng, 3), (int)tu_rng_below(&rng, 4),
			        1 + (int)tu_rng_below(&rng, 4), 1 + tu_rng_below(&rng, 400));
			vq_offer o;
			int qrc = vq_book_quote(b, &r, now, &o);
			int held = vq_book_guest_held(b, r.guest, now);
			vq_ticket t;
			int rc = vq_book_issue(b, &r, now, &t);
			REQUIRE(rc == qrc, "seed %llu step %d: quote %d issue %d",
			        (unsigned long long)seed, step, qrc, rc);
			if (rc == VQ_OK) {
				issued++;
				REQUIRE((t.slot_start) == (o.slot_start),
				        "seed %llu step %d: t.slot_start == o.slot_start",
				        (unsigned long long)seed, step);
				REQUIRE((held) < (vq_site_tier(site, r.tier)->max_passes),
				        "seed %llu step %d: held < vq_site_tier(site, "
				        "r.tier)->max_passes",
				        (unsigned long long)seed, step);
				REQUIRE((t.slot_start) >= (now),
				        "seed %llu step %d: t.slot_start >= now",
				        (unsigned long long)seed, step);
				const vq_attraction *cfg = vq_site_attr(site, r.attr);
				int s = (int)((t.slot_start - DAY - cfg->open_min * 60) /
				              (cfg->slot_min * 60));
				vq_slot_view v;
				vq_book_slot(b, r.attr, s, &v);
				REQUIRE(v.taken <= v.cap, "seed %llu step %d: issue overfilled",
				        (unsigned long long)seed, step);
				check_protection(&v, r.tier, now, seed, step);
				/* earliest: every earlier bookable slot was too full for this tier
				 */
				for (int e = 0; e < s; e++) {
					vq_slot_view ev;
					vq_book_slot(b, r.attr, e, &ev);
					if (ev.start < now)
						continue;
					int ntiers = vq_site_tier_count(site);
					int reserve = 0, used = 0;
					for (int k = ntiers - 1; k > r.tier; k--) {
						used += ev.taken_tier[k];
						const vq_tier *tk = vq_site_tier(site, k);
						if (now >= ev.start - (int64_t)tk->release_min * 60)
							continue;
						int rr = protect_seats(ev.cap, tk) - used;
						if (rr > reserve)
							reserve = rr;
					}
					REQUIRE(ev.cap - ev.taken - reserve < r.party,
					        "seed %llu step %d: slot %d was free earlier",
					        (unsigned long long)seed, step, e);
				}
			} else {
				refused++;
				REQUIRE(rc == VQ_ESOLDOUT || rc == VQ_ELIMIT || rc == VQ_ECLOSED ||
				            rc == VQ_ENOTOPEN,
				        "seed %llu step %d: unexpected %s",
				        (unsigned long long)seed, step, vq_errname(rc));
			}
		} else if (op < 70 && vq_book_ticket_count(b)) {
			uint64_t id = 1 + tu_rng_below(&rng, (uint32_t)vq_book_ticket_count(b));
			int before = vq_book_ticket(b, id)->state;
			int rc = vq_book_cancel(b, id, now, NULL);
			int want =
			    before == VQ_TS_ISSUED || before == VQ_TS_ANYTIME ? VQ_OK : VQ_ESTATE;
			REQUIRE(rc == want, "seed %llu step %d: cancel gave %s",
			        (unsigned long long)seed, step, vq_errname(rc));
		} else if (op < 88 && vq_book_ticket_count(b)) {
			uint64_t id = 1 + tu_rng_below(&rng, (uint32_t)vq_book_ticket_count(b));
			const vq_ticket *t = vq_book_ticket(b, id);
			vq_verdict v;
			int rc = vq_book_redeem(b, id, t->attr, "g", 0, now, &v, NULL);
			if (rc == VQ_OK) {
				REQUIRE(!m.redeemed[id], "seed %llu step %d: admitted twice",
				        (unsigned long long)seed, step);
				m.redeemed[id] = 1;
				redeemed++;
			} else if (m.redeemed[id]) {
				REQUIRE((rc) == (VQ_EUSED), "seed %llu step %d: rc == VQ_EUSED",
				        (unsigned long long)seed, step);
			}
		} else if (op < 95) {
			int a = (int)tu_rng_below(&rng, 3);
			vq_capacity c = {.throughput_per_hour = 100 + (int)tu_rng_below(&rng, 900),
			                 .fast_share_pct = (int)tu_rng_below(&rng, 101),
			                 .overbook_pct = (int)tu_rng_below(&rng, 30)};
			REQUIRE((vq_book_set_capacity(b, a, &c, now)) == (VQ_OK),
			        "seed %llu step %d: vq_book_set_capacity(b, a, &c, now) == VQ_OK",
			        (unsigned long long)seed, step);
			for (int s = 0; s < vq_book_slot_count(b, a); s++) {
				vq_slot_view v;
				vq_book_slot(b, a, s, &v);
				if (v.taken > v.cap)
					m.cut[a][s] = 1;
			}
		} else {
			int a = (int)tu_rng_below(&rng, 3);
			if (vq_book_attr_state(b, a)->status == VQ_ATTR_OPEN)
				REQUIRE((vq_book_close(b, a, now)) == (VQ_OK),
				        "seed %llu step %d: vq_book_close(b, a, now) == VQ_OK",
				        (unsigned long long)seed, step);
			else
				REQUIRE(
				    (vq_book_reopen(b, a, now, NULL)) == (VQ_OK),
				    "seed %llu step %d: vq_book_reopen(b, a, now, NULL) == VQ_OK",
				    (unsigned long long)seed, step);
		}
		check_slots(b, &m, seed, step);
	}
	REQUIRE(issued > 1000 && refused > 100 && redeemed > 100,
	        "seed %llu: the run must exercise each path (%d issued, %d refused, %d "
	        "redeemed)",
	        (unsigned long long)seed, issued, refused, redeemed);
	free(m.redeemed);
	vq_book_free(b);
}
END_TEST

static Suite *book_suite(void)
{
	Suite *s = suite_create("book");
	TCase *tc = tcase_create("examples");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_calendar);
	tcase_add_test(tc, test_clock_changes);
	tcase_add_test(tc, test_issue_earliest_and_window);
	tcase_add_test(tc, test_request_errors);
	tcase_add_test(tc, test_nested_protection);
	tcase_add_test(tc, test_reserve_drawn_down);
	tcase_add_test(tc, test_protection_release);
	tcase_add_test(tc, test_horizon_and_sold_out);
	tcase_add_test(tc, test_guest_limit);
	tcase_add_test(tc, test_access_pass);
	tcase_add_test(tc, test_cancel);
	tcase_add_test(tc, test_redeem);
	tcase_add_test(tc, test_override_and_backlog);
	tcase_add_test(tc, test_capacity_change);
	tcase_add_test(tc, test_closure);
	tcase_add_test(tc, test_changes);
	tcase_add_test(tc, test_restore);
	tcase_add_test(tc, test_starved);
	suite_add_tcase(s, tc);
	TCase *rnd = tcase_create("random");
	tcase_add_checked_fixture(rnd, setup, teardown);
	tcase_set_timeout(rnd, 240);
	tcase_add_loop_test(rnd, test_random_invariants, 0, sizeof SEEDS / sizeof SEEDS[0]);
	suite_add_tcase(s, rnd);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(book_suite());
	srunner_run_all(sr, CK_ENV);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
