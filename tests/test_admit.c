/* tests/test_admit.c — the gate's verdict (core/admit.c).
 *
 * A table of cases covers every result, the order in which the checks win over each other,
 * the four boundary instants of each interval (from - 1, from, until - 1, until), grace that
 * grows with the tier, anytime passes, and tickets whose attraction or tier the site does
 * not know. A sweep then checks every second around the window for every tier against the
 * interval the header defines, and the demo park's config is checked for the same promises.
 */
#include "core/admit.h"
#include "support/tutil.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

/* Four tiers with growing late grace; two attractions with different graces. */
static const char SITE[] =
    "{\"version\":1,\"id\":\"t\",\"name\":\"T\",\"timezone\":\"UTC\",\"languages\":[\"en\"],"
    "\"tiers\":["
    "{\"id\":\"standard\",\"names\":{\"en\":\"S\"},\"protect_pct\":0,\"release_min\":0,"
    "\"max_passes\":1,\"horizon_min\":600,\"late_grace_min\":0},"
    "{\"id\":\"silver\",\"names\":{\"en\":\"Si\"},\"protect_pct\":30,\"release_min\":30,"
    "\"max_passes\":2,\"horizon_min\":600,\"late_grace_min\":5},"
    "{\"id\":\"gold\",\"names\":{\"en\":\"G\"},\"protect_pct\":20,\"release_min\":30,"
    "\"max_passes\":3,\"horizon_min\":600,\"late_grace_min\":10},"
    "{\"id\":\"platinum\",\"names\":{\"en\":\"P\"},\"protect_pct\":10,\"release_min\":20,"
    "\"max_passes\":4,\"horizon_min\":600,\"late_grace_min\":15}],"
    "\"attractions\":["
    "{\"id\":\"coaster\",\"prefix\":\"C\",\"names\":{\"en\":\"Coaster\"},\"kind\":\"ride\","
    "\"throughput_per_hour\":600,\"fast_share_pct\":50,\"slot_min\":15,\"window_min\":60,"
    "\"open\":\"09:00\",\"close\":\"21:00\",\"early_grace_min\":5,\"late_grace_min\":10,"
    "\"max_party\":6},"
    "{\"id\":\"wheel\",\"prefix\":\"W\",\"names\":{\"en\":\"Wheel\"},\"kind\":\"ride\","
    "\"throughput_per_hour\":300,\"fast_share_pct\":50,\"slot_min\":15,\"window_min\":30,"
    "\"open\":\"09:00\",\"close\":\"21:00\",\"early_grace_min\":0,\"late_grace_min\":0,"
    "\"max_party\":6}]}";

enum { STANDARD, SILVER, GOLD, PLATINUM, NO_TIER = 4 };

#define WS  ((int64_t)29000000 * 60) /* window start */
#define WE  (WS + 3600)              /* window end */
#define MIN 60
/* coaster: early 5, late 10, plus the tier's 0 / 5 / 10 / 15 */
#define C_FROM     (WS - 5 * MIN)
#define C_UNTIL(t) (WE + (10 + 5 * (t)) * MIN)
/* anytime pass */
#define VF (WE + 7200)
#define VU (VF + 4 * 3600)

/* Check logs every passing ck_assert; loops of thousands use EXPECT, quiet unless failing. */
#define EXPECT(cond, ...)                                                                          \
	do {                                                                                       \
		if (!(cond))                                                                       \
			ck_abort_msg(__VA_ARGS__);                                                 \
	} while (0)

static vq_site *site;

static void setup(void)
{
	char err[256] = "";
	size_t len = sizeof SITE - 1;
	char *buf = malloc(len); /* exactly sized, no NUL: the parser must not need one */
	ck_assert_ptr_nonnull(buf);
	memcpy(buf, SITE, len);
	int rc = vq_site_parse(buf, len, &site, err, sizeof err);
	free(buf);
	ck_assert_msg(rc == VQ_OK, "site: %s", err);
}

static void teardown(void)
{
	vq_site_free(site);
	site = NULL;
}

static vq_ticket ticket(const char *attr, int tier, int state)
{
	vq_ticket t;
	memset(&t, 0, sizeof t);
	t.id = 7;
	strcpy(t.attr, attr);
	t.slot_start = WS;
	t.win_start = WS;
	t.win_end = WE;
	t.tier = (uint8_t)tier;
	t.party = 2;
	t.number = 42;
	t.state = (uint8_t)state;
	t.issued_at = WS - 7200;
	if (state == VQ_TS_ANYTIME) {
		t.valid_from = VF;
		t.valid_until = VU;
	}
	if (state == VQ_TS_REDEEMED) {
		t.used_at = WS + 120;
		strcpy(t.used_gate, "gate-c2");
	}
	return t;
}

START_TEST(test_table)
{
	static const struct {
		const char *name;
		const char *attr; /* the ticket's */
		int tier;
		int state;
		const char *gate; /* the gate's attraction */
		int closed;
		int64_t now;
		int want;
		int64_t from, until;
	} cases[] = {
	    /* admitted, and the boundaries of the interval */
	    {"mid window", "coaster", STANDARD, VQ_TS_ISSUED, "coaster", 0, WS + 600, VQ_OK, C_FROM,
	     C_UNTIL(0)},
	    {"at from", "coaster", STANDARD, VQ_TS_ISSUED, "coaster", 0, C_FROM, VQ_OK, C_FROM,
	     C_UNTIL(0)},
	    {"from - 1", "coaster", STANDARD, VQ_TS_ISSUED, "coaster", 0, C_FROM - 1, VQ_ETOOEARLY,
	     C_FROM, C_UNTIL(0)},
	    {"long before", "coaster", STANDARD, VQ_TS_ISSUED, "coaster", 0, 0, VQ_ETOOEARLY,
	     C_FROM, C_UNTIL(0)},
	    {"window start", "coaster", STANDARD, VQ_TS_ISSUED, "coaster", 0, WS, VQ_OK, C_FROM,
	     C_UNTIL(0)},
	    {"window end", "coaster", STANDARD, VQ_TS_ISSUED, "coaster", 0, WE, VQ_OK, C_FROM,
	     C_UNTIL(0)},
	    {"until - 1", "coaster", STANDARD, VQ_TS_ISSUED, "coaster", 0, C_UNTIL(0) - 1, VQ_OK,
	     C_FROM, C_UNTIL(0)},
	    {"at until", "coaster", STANDARD, VQ_TS_ISSUED, "coaster", 0, C_UNTIL(0), VQ_EEXPIRED,
	     C_FROM, C_UNTIL(0)},
	    {"long after", "coaster", STANDARD, VQ_TS_ISSUED, "coaster", 0, WE + 86400, VQ_EEXPIRED,
	     C_FROM, C_UNTIL(0)},
	    /* tier grace: the same instant, different tiers */
	    {"silver past standard", "coaster", SILVER, VQ_TS_ISSUED, "coaster", 0, C_UNTIL(0),
	     VQ_OK, C_FROM, C_UNTIL(1)},
	    {"silver until", "coaster", SILVER, VQ_TS_ISSUED, "coaster", 0, C_UNTIL(1), VQ_EEXPIRED,
	     C_FROM, C_UNTIL(1)},
	    {"gold until - 1", "coaster", GOLD, VQ_TS_ISSUED, "coaster", 0, C_UNTIL(2) - 1, VQ_OK,
	     C_FROM, C_UNTIL(2)},
	    {"gold until", "coaster", GOLD, VQ_TS_ISSUED, "coaster", 0, C_UNTIL(2), VQ_EEXPIRED,
	     C_FROM, C_UNTIL(2)},
	    {"platinum past gold", "coaster", PLATINUM, VQ_TS_ISSUED, "coaster", 0, C_UNTIL(2),
	     VQ_OK, C_FROM, C_UNTIL(3)},
	    {"platinum until - 1", "coaster", PLATINUM, VQ_TS_ISSUED, "coaster", 0, C_UNTIL(3) - 1,
	     VQ_OK, C_FROM, C_UNTIL(3)},
	    {"platinum until", "coaster", PLATINUM, VQ_TS_ISSUED, "coaster", 0, C_UNTIL(3),
	     VQ_EEXPIRED, C_FROM, C_UNTIL(3)},
	    {"platinum from - 1 (no early bonus)", "coaster", PLATINUM, VQ_TS_ISSUED, "coaster", 0,
	     C_FROM - 1, VQ_ETOOEARLY, C_FROM, C_UNTIL(3)},
	    /* an attraction without grace: the window itself, plus only the tier's */
	    {"wheel at start", "wheel", STANDARD, VQ_TS_ISSUED, "wheel", 0, WS, VQ_OK, WS, WE},
	    {"wheel start - 1", "wheel", STANDARD, VQ_TS_ISSUED, "wheel", 0, WS - 1, VQ_ETOOEARLY,
	     WS, WE},
	    {"wheel end - 1", "wheel", STANDARD, VQ_TS_ISSUED, "wheel", 0, WE - 1, VQ_OK, WS, WE},
	    {"wheel end", "wheel", STANDARD, VQ_TS_ISSUED, "wheel", 0, WE, VQ_EEXPIRED, WS, WE},
	    {"wheel gold end", "wheel", GOLD, VQ_TS_ISSUED, "wheel", 0, WE, VQ_OK, WS,
	     WE + 10 * MIN},
	    /* anytime: [valid_from, valid_until), no grace of any kind */
	    {"anytime from - 1", "coaster", STANDARD, VQ_TS_ANYTIME, "coaster", 0, VF - 1,
	     VQ_ETOOEARLY, VF, VU},
	    {"anytime from", "coaster", STANDARD, VQ_TS_ANYTIME, "coaster", 0, VF, VQ_OK, VF, VU},
	    {"anytime until - 1", "coaster", STANDARD, VQ_TS_ANYTIME, "coaster", 0, VU - 1, VQ_OK,
	     VF, VU},
	    {"anytime until", "coaster", STANDARD, VQ_TS_ANYTIME, "coaster", 0, VU, VQ_EEXPIRED, VF,
	     VU},
	    {"anytime platinum until", "coaster", PLATINUM, VQ_TS_ANYTIME, "coaster", 0, VU,
	     VQ_EEXPIRED, VF, VU},
	    {"anytime in old window", "coaster", PLATINUM, VQ_TS_ANYTIME, "coaster", 0, WS + 60,
	     VQ_ETOOEARLY, VF, VU},
	    {"anytime closed", "coaster", STANDARD, VQ_TS_ANYTIME, "coaster", 1, VF + 60,
	     VQ_ECLOSED, VF, VU},
	    /* closed beats time, in and out of the interval */
	    {"closed in window", "coaster", GOLD, VQ_TS_ISSUED, "coaster", 1, WS + 60, VQ_ECLOSED,
	     C_FROM, C_UNTIL(2)},
	    {"closed after", "coaster", GOLD, VQ_TS_ISSUED, "coaster", 1, WE + 86400, VQ_ECLOSED,
	     C_FROM, C_UNTIL(2)},
	    {"closed before", "coaster", GOLD, VQ_TS_ISSUED, "coaster", 1, 0, VQ_ECLOSED, C_FROM,
	     C_UNTIL(2)},
	    /* states beat closure and time */
	    {"cancelled", "coaster", STANDARD, VQ_TS_CANCELLED, "coaster", 0, WS + 60,
	     VQ_ECANCELLED, C_FROM, C_UNTIL(0)},
	    {"cancelled closed", "coaster", STANDARD, VQ_TS_CANCELLED, "coaster", 1, WE + 86400,
	     VQ_ECANCELLED, C_FROM, C_UNTIL(0)},
	    {"used", "coaster", GOLD, VQ_TS_REDEEMED, "coaster", 0, WS + 600, VQ_EUSED, C_FROM,
	     C_UNTIL(2)},
	    {"used closed, late", "coaster", GOLD, VQ_TS_REDEEMED, "coaster", 1, WE + 86400,
	     VQ_EUSED, C_FROM, C_UNTIL(2)},
	    /* wrong attraction beats every state; the interval is the ticket's own */
	    {"wrong gate", "coaster", STANDARD, VQ_TS_ISSUED, "wheel", 0, WS + 60, VQ_EWRONGATTR,
	     C_FROM, C_UNTIL(0)},
	    {"wrong gate, cancelled", "coaster", STANDARD, VQ_TS_CANCELLED, "wheel", 0, WS + 60,
	     VQ_EWRONGATTR, C_FROM, C_UNTIL(0)},
	    {"wrong gate, used, closed", "coaster", STANDARD, VQ_TS_REDEEMED, "wheel", 1, WS + 60,
	     VQ_EWRONGATTR, C_FROM, C_UNTIL(0)},
	    {"wrong gate, anytime", "coaster", STANDARD, VQ_TS_ANYTIME, "wheel", 0, VF,
	     VQ_EWRONGATTR, VF, VU},
	    {"gate unknown", "coaster", STANDARD, VQ_TS_ISSUED, "nowhere", 0, WS + 60,
	     VQ_EWRONGATTR, C_FROM, C_UNTIL(0)},
	    {"gate empty", "coaster", STANDARD, VQ_TS_ISSUED, "", 0, WS + 60, VQ_EWRONGATTR, C_FROM,
	     C_UNTIL(0)},
	    {"ticket attraction unknown", "nowhere", STANDARD, VQ_TS_ISSUED, "nowhere", 0, WS + 60,
	     VQ_EWRONGATTR, 0, 0},
	    {"ticket attraction empty", "", STANDARD, VQ_TS_ISSUED, "", 0, WS + 60, VQ_EWRONGATTR,
	     0, 0},
	    /* unknown tier beats everything; its interval has no tier grace */
	    {"unknown tier", "coaster", NO_TIER, VQ_TS_ISSUED, "coaster", 0, WS + 60, VQ_ENOTIER,
	     C_FROM, C_UNTIL(0)},
	    {"tier 255", "coaster", 255, VQ_TS_ISSUED, "coaster", 0, WS + 60, VQ_ENOTIER, C_FROM,
	     C_UNTIL(0)},
	    {"unknown tier, wrong gate, used", "coaster", NO_TIER, VQ_TS_REDEEMED, "wheel", 1,
	     WS + 60, VQ_ENOTIER, C_FROM, C_UNTIL(0)},
	    {"unknown tier and attraction", "nowhere", NO_TIER, VQ_TS_ISSUED, "nowhere", 0, WS + 60,
	     VQ_ENOTIER, 0, 0},
	    /* a state admit does not know is never admitted */
	    {"unknown state", "coaster", STANDARD, 9, "coaster", 0, WS + 60, VQ_EINVAL, C_FROM,
	     C_UNTIL(0)},
	};
	int seen[VQ_ERR_COUNT] = {0};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		vq_ticket t = ticket(cases[i].attr, cases[i].tier, cases[i].state);
		vq_ticket before = t;
		vq_verdict v;
		memset(&v, 0x5a, sizeof v);
		int rc = vq_admit_check(site, &t, cases[i].gate, cases[i].closed, cases[i].now, &v);
		ck_assert_msg(rc == cases[i].want, "%s: got %s want %s", cases[i].name,
		              vq_errname(rc), vq_errname(cases[i].want));
		ck_assert_msg(v.result == rc, "%s: result %d", cases[i].name, v.result);
		ck_assert_msg(v.from == cases[i].from && v.until == cases[i].until,
		              "%s: interval [%lld, %lld) want [%lld, %lld)", cases[i].name,
		              (long long)v.from, (long long)v.until, (long long)cases[i].from,
		              (long long)cases[i].until);
		if (rc == VQ_EUSED) {
			ck_assert_msg(v.used_at == WS + 120, "%s: used_at", cases[i].name);
			ck_assert_str_eq(v.used_gate, "gate-c2");
		} else {
			ck_assert_msg(v.used_at == 0 && v.used_gate[0] == '\0', "%s: used",
			              cases[i].name);
		}
		ck_assert_msg(memcmp(&t, &before, sizeof t) == 0, "%s: ticket changed",
		              cases[i].name);
		seen[rc] = 1;
	}
	static const int every[] = {VQ_OK,    VQ_ETOOEARLY,  VQ_EEXPIRED, VQ_EWRONGATTR,
	                            VQ_EUSED, VQ_ECANCELLED, VQ_ECLOSED,  VQ_ENOTIER};
	for (size_t i = 0; i < sizeof every / sizeof every[0]; i++)
		ck_assert_msg(seen[every[i]], "no case gives %s", vq_errname(every[i]));
}
END_TEST

START_TEST(test_sweep_every_second)
{
	/* The verdict at every instant around the window matches the header's interval, for
	 * every tier and both attractions; grace never shrinks as the tier rises. */
	static const char *const attrs[] = {"coaster", "wheel"};
	for (int ai = 0; ai < 2; ai++) {
		const vq_attraction *a = vq_site_attr(site, vq_site_attr_find(site, attrs[ai]));
		int64_t prev_until = 0;
		for (int tier = 0; tier < vq_site_tier_count(site); tier++) {
			vq_ticket t = ticket(attrs[ai], tier, VQ_TS_ISSUED);
			int64_t from = WS - a->early_grace_min * MIN;
			int64_t until =
			    WE +
			    (a->late_grace_min + vq_site_tier(site, tier)->late_grace_min) * MIN;
			ck_assert_int_ge(until, prev_until);
			prev_until = until;
			for (int64_t now = WS - 3 * 3600; now <= WE + 3 * 3600; now++) {
				vq_verdict v;
				int want = now < from     ? VQ_ETOOEARLY
				           : now >= until ? VQ_EEXPIRED
				                          : VQ_OK;
				int rc = vq_admit_check(site, &t, attrs[ai], 0, now, &v);
				EXPECT(rc == want && v.from == from && v.until == until,
				       "%s tier %d now %lld: %d", attrs[ai], tier, (long long)now,
				       rc);
			}
		}
	}
}
END_TEST

START_TEST(test_platinum_outlasts_standard)
{
	vq_verdict vs, vp;
	vq_ticket s = ticket("coaster", STANDARD, VQ_TS_ISSUED);
	vq_ticket p = ticket("coaster", PLATINUM, VQ_TS_ISSUED);
	ck_assert_int_eq(vq_admit_check(site, &s, "coaster", 0, WS, &vs), VQ_OK);
	ck_assert_int_eq(vq_admit_check(site, &p, "coaster", 0, WS, &vp), VQ_OK);
	ck_assert_int_eq(vs.from, vp.from);
	ck_assert_int_eq(vp.until - vs.until, 15 * MIN);
	ck_assert_int_eq(vq_admit_check(site, &s, "coaster", 0, vs.until, &vs), VQ_EEXPIRED);
	ck_assert_int_eq(vq_admit_check(site, &p, "coaster", 0, vs.until, &vp), VQ_OK);
}
END_TEST

/* A ticket issued inside its early grace: it admits from its issue time, not before, so a
 * gate's admission dated earlier (a wrong clock, a forged journal) is too early. */
START_TEST(test_not_before_issue)
{
	vq_verdict v;
	vq_ticket t = ticket("coaster", STANDARD, VQ_TS_ISSUED);
	t.issued_at = C_FROM + 300;
	ck_assert_int_eq(vq_admit_check(site, &t, "coaster", 0, C_FROM + 299, &v), VQ_ETOOEARLY);
	ck_assert_int_eq(v.from, t.issued_at);
	ck_assert_int_eq(v.until, C_UNTIL(0));
	ck_assert_int_eq(vq_admit_check(site, &t, "coaster", 0, t.issued_at, &v), VQ_OK);
	/* an anytime pass too */
	vq_ticket a = ticket("coaster", STANDARD, VQ_TS_ANYTIME);
	a.issued_at = VF + 60;
	ck_assert_int_eq(vq_admit_check(site, &a, "coaster", 0, VF + 30, &v), VQ_ETOOEARLY);
	ck_assert_int_eq(v.from, VF + 60);
	ck_assert_int_eq(vq_admit_check(site, &a, "coaster", 0, VF + 60, &v), VQ_OK);
}
END_TEST

START_TEST(test_bad_arguments_and_corrupt_tickets)
{
	vq_verdict v;
	vq_ticket t = ticket("coaster", STANDARD, VQ_TS_ISSUED);
	ck_assert_int_eq(vq_admit_check(NULL, &t, "coaster", 0, WS, &v), VQ_EINVAL);
	ck_assert_int_eq(v.result, VQ_EINVAL);
	ck_assert_int_eq(vq_admit_check(site, NULL, "coaster", 0, WS, &v), VQ_EINVAL);
	ck_assert_int_eq(vq_admit_check(site, &t, NULL, 0, WS, &v), VQ_EINVAL);
	ck_assert_int_eq(vq_admit_check(site, &t, "coaster", 0, WS, NULL), VQ_EINVAL);

	/* an attraction id without its NUL: unknown, and nothing read past the array */
	vq_ticket *heap = malloc(sizeof *heap);
	ck_assert_ptr_nonnull(heap);
	*heap = t;
	memset(heap->attr, 'c', sizeof heap->attr);
	ck_assert_int_eq(vq_admit_check(site, heap, "coaster", 0, WS, &v), VQ_EWRONGATTR);
	ck_assert_int_eq(v.from, 0);
	ck_assert_int_eq(v.until, 0);
	/* a used gate without its NUL comes back cut, NUL-terminated */
	*heap = ticket("coaster", STANDARD, VQ_TS_REDEEMED);
	memset(heap->used_gate, 'g', sizeof heap->used_gate);
	ck_assert_int_eq(vq_admit_check(site, heap, "coaster", 0, WS, &v), VQ_EUSED);
	ck_assert_uint_eq(strlen(v.used_gate), VQ_ID_MAX - 1);
	free(heap);

	/* extreme instants saturate instead of overflowing */
	t = ticket("coaster", PLATINUM, VQ_TS_ISSUED);
	t.win_start = INT64_MIN;
	t.win_end = INT64_MAX;
	t.issued_at = INT64_MIN;
	ck_assert_int_eq(vq_admit_check(site, &t, "coaster", 0, 0, &v), VQ_OK);
	ck_assert_int_eq(v.from, INT64_MIN);
	ck_assert_int_eq(v.until, INT64_MAX);
}
END_TEST

START_TEST(test_demo_park)
{
	/* The shipped config keeps the promises the gate relies on: every ticket admits at
	 * its window start, and a higher tier never has less late grace. */
	size_t len;
	char *json = tu_read_file(tu_src("assets/demo-park.json"), &len);
	ck_assert_ptr_nonnull(json);
	vq_site *demo = NULL;
	char err[256] = "";
	ck_assert_msg(vq_site_parse(json, len, &demo, err, sizeof err) == VQ_OK, "%s", err);
	free(json);
	for (int ai = 0; ai < vq_site_attr_count(demo); ai++) {
		const vq_attraction *a = vq_site_attr(demo, ai);
		int64_t prev = INT64_MIN;
		for (int tier = 0; tier < vq_site_tier_count(demo); tier++) {
			vq_ticket t = ticket(a->id, tier, VQ_TS_ISSUED);
			vq_verdict v;
			ck_assert_int_eq(vq_admit_check(demo, &t, a->id, 0, WS, &v), VQ_OK);
			ck_assert_int_eq(vq_admit_check(demo, &t, a->id, 0, v.until, &v),
			                 VQ_EEXPIRED);
			ck_assert_int_ge(v.until, prev);
			prev = v.until;
		}
	}
	vq_site_free(demo);
}
END_TEST

static Suite *admit_suite(void)
{
	Suite *s = suite_create("admit");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_table);
	tcase_add_test(tc, test_sweep_every_second);
	tcase_add_test(tc, test_platinum_outlasts_standard);
	tcase_add_test(tc, test_not_before_issue);
	tcase_add_test(tc, test_bad_arguments_and_corrupt_tickets);
	tcase_add_test(tc, test_demo_park);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(admit_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
