/* tests/test_overbook.c — no-shows measured and overbooking suggested (core/overbook.h).
 *
 * Three levels: the pure rule on known samples; whole simulated days in the book with a
 * known no-show rate, where the suggestion must make the expected arrivals fill the
 * capacity without passing it; and vqd itself, fed by tools/vq-sim with --no-show, whose
 * state/<attraction> must carry the measure the database holds and the rule's advice.
 * Randomized parts print their seed.
 */
#include <check.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/book.h"
#include "core/overbook.h"
#include "support/fixtures.h"
#include "support/tutil.h"
#include "support/vqsite.h"

/* --- the rule ------------------------------------------------------------------------ */

static vq_overbook_advice suggest(int64_t seats, int64_t no_shows)
{
	vq_noshow s = {.seats = seats, .no_shows = no_shows};
	vq_overbook_advice a;
	ck_assert_int_eq(vq_overbook_suggest(&s, NULL, &a), VQ_OK);
	return a;
}

START_TEST(test_rule_known_samples)
{
	static const struct {
		int64_t seats, no_shows;
		int pct;
	} cases[] = {
	    {0, 0, -1},          /* nothing measured yet */
	    {199, 50, -1},       /* below the minimum sample */
	    {200, 0, 0},         /* everyone came */
	    {200, 20, 7},        /* 10 %, but 200 seats only prove 7.0 %: 7.0 / 93.0 */
	    {2000, 200, 9},      /* 10 %: the bound is 9.0 %, 9.0 / 91.0 = 9.8 % */
	    {100000, 10000, 10}, /* a huge sample: close to 10 / 90 = 11.1 %, rounded down */
	    {1000, 200, 21},     /* 20 %: bound 18.0 %, 18.0 / 82.0 = 21.9 % */
	    {1000, 500, 50},     /* half never come: p / (1 - p) = 84 %, capped at 50 */
	    {300, 300, 50},      /* nobody came: capped */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		vq_overbook_advice a = suggest(cases[i].seats, cases[i].no_shows);
		ck_assert_msg(a.suggested_pct == cases[i].pct,
		              "case %zu: %lld/%lld gave %d, want %d", i,
		              (long long)cases[i].no_shows, (long long)cases[i].seats,
		              a.suggested_pct, cases[i].pct);
		if (cases[i].seats > 0) {
			ck_assert(fabs(a.rate -
			               (double)cases[i].no_shows / (double)cases[i].seats) < 1e-12);
			ck_assert(a.rate_low <= a.rate && a.rate_low >= 0);
		}
	}
	/* the bound is the suggestion's basis, and the rule is its formula, floored */
	vq_overbook_advice a = suggest(5000, 750);
	ck_assert_int_eq(a.suggested_pct, (int)floor(100 * a.rate_low / (1 - a.rate_low)));
	/* more evidence for the same rate never suggests less */
	int last = 0;
	for (int64_t n = 200; n <= 51200; n *= 2) {
		int pct = suggest(n, n / 8).suggested_pct;
		ck_assert_msg(pct >= last, "n %lld: %d after %d", (long long)n, pct, last);
		last = pct;
	}
	ck_assert_int_eq(last, 13); /* 12.5 % never come: 14.3 % in the limit */
}
END_TEST

START_TEST(test_rule_settings_and_bad_input)
{
	vq_noshow s = {.seats = 50, .no_shows = 10};
	vq_overbook_rule r = {.min_sample = 50, .max_pct = 10, .z = 0};
	vq_overbook_advice a = {.suggested_pct = 77};
	ck_assert_int_eq(vq_overbook_suggest(&s, &r, &a), VQ_OK);
	ck_assert_int_eq(a.suggested_pct, 10); /* z 0: the rate itself, 25 %, capped at 10 */
	r.max_pct = 100;
	ck_assert_int_eq(vq_overbook_suggest(&s, &r, &a), VQ_OK);
	ck_assert_int_eq(a.suggested_pct, 25);

	vq_overbook_advice keep = {.suggested_pct = 77};
	vq_noshow bad[] = {{-1, 0}, {10, 11}, {10, -1}};
	for (size_t i = 0; i < 3; i++) {
		ck_assert_int_eq(vq_overbook_suggest(&bad[i], NULL, &keep), VQ_EINVAL);
		ck_assert_int_eq(keep.suggested_pct, 77);
	}
	vq_overbook_rule badr[] = {
	    {0, 50, 1.6}, {10, -1, 1.6}, {10, 101, 1.6}, {10, 50, -1}, {10, 50, NAN}};
	for (size_t i = 0; i < 5; i++)
		ck_assert_int_eq(vq_overbook_suggest(&s, &badr[i], &keep), VQ_EINVAL);
	ck_assert_int_eq(keep.suggested_pct, 77);
	ck_assert_int_eq(vq_overbook_suggest(NULL, NULL, &keep), VQ_EINVAL);
	ck_assert_int_eq(vq_overbook_suggest(&s, NULL, NULL), VQ_EINVAL);
}
END_TEST

/* --- simulated days in the book ------------------------------------------------------ */

#define DAY     VQ_TEST_DAY
#define HOUR    3600
#define COASTER 0

typedef struct day_result {
	int64_t seats, no_shows; /* as the simulation tallied them */
	vq_noshow measured;      /* as the book measured them at the end of the day */
	int base_seats;          /* the coaster's seats per slot before overbooking */
} day_result;

/* A day at the fixture's coaster: guests of every tier take tickets all day long until
 * the slots are full; each comes back (and is admitted at the start of the window) unless
 * the dice say no-show, with probability rate. */
static day_result simulate_day(double rate, uint64_t seed)
{
	vq_site *site = NULL;
	char err[256];
	ck_assert_int_eq(vq_site_parse(VQ_TEST_SITE, strlen(VQ_TEST_SITE), &site, err, sizeof err),
	                 VQ_OK);
	vq_book *b = NULL;
	ck_assert_int_eq(vq_book_new(site, vq_test_day(DAY), 1, &b), VQ_OK);
	tu_rng rng = {seed};
	day_result r = {0};
	for (int64_t now = DAY + 7 * HOUR; now < DAY + 21 * HOUR; now += 300) {
		for (int i = 0; i < 40; i++) {
			vq_request q = {.attr = COASTER,
			                .tier = (int)tu_rng_below(&rng, 4),
			                .party = 1 + (int)tu_rng_below(&rng, 4),
			                .guest = 0};
			vq_ticket t;
			if (vq_book_issue(b, &q, now, &t) != VQ_OK)
				break;
		}
	}
	for (size_t i = 0; i < vq_book_ticket_count(b); i++) {
		vq_ticket t = *vq_book_ticket_at(b, i);
		r.seats += t.party;
		/* 53 random bits: uniform in [0, 1) */
		if ((double)(tu_rng_next(&rng) >> 11) / 9007199254740992.0 < rate) {
			r.no_shows += t.party;
			continue;
		}
		vq_verdict v;
		ck_assert_int_eq(
		    vq_book_redeem(b, t.id, "coaster", "gate-1", 0, t.win_start, &v, NULL), VQ_OK);
	}
	vq_noshow all[3];
	vq_book_noshows(b, DAY + 24 * HOUR, all);
	r.measured = all[COASTER];
	ck_assert_int_eq(all[1].seats + all[2].seats, 0); /* nobody went to the others */
	vq_slot_view v;
	ck_assert_int_eq(vq_book_slot(b, COASTER, 0, &v), VQ_OK);
	r.base_seats = v.cap; /* no overbooking in the fixture */
	vq_book_free(b);
	vq_site_free(site);
	return r;
}

START_TEST(test_simulated_days_fill_capacity)
{
	static const double rates[] = {0, 0.05, 0.1, 0.2, 0.3};
	for (size_t i = 0; i < sizeof rates / sizeof rates[0]; i++) {
		uint64_t seed = 0x5eed0000u + i;
		day_result d = simulate_day(rates[i], seed);
		ck_assert_msg(d.measured.seats == d.seats && d.measured.no_shows == d.no_shows,
		              "seed %llu: measured %lld/%lld, simulated %lld/%lld",
		              (unsigned long long)seed, (long long)d.measured.no_shows,
		              (long long)d.measured.seats, (long long)d.no_shows,
		              (long long)d.seats);
		ck_assert_msg(d.seats > 3000, "seed %llu: a full day sells the coaster out (%lld)",
		              (unsigned long long)seed, (long long)d.seats);
		vq_overbook_advice a;
		ck_assert_int_eq(vq_overbook_suggest(&d.measured, NULL, &a), VQ_OK);
		/* Sell base * (100 + pct) / 100 seats: with the true rate, the guests expected
		 * back must not pass the base capacity, and must fill at least 95 % of it. */
		double sold = d.base_seats * (100.0 + a.suggested_pct) / 100.0;
		double arrive = sold * (1 - rates[i]);
		ck_assert_msg(arrive <= d.base_seats + 1e-9 && arrive >= 0.95 * d.base_seats,
		              "seed %llu: rate %.2f measured %.3f, overbook %d%%: %.1f of %d seats "
		              "expected back",
		              (unsigned long long)seed, rates[i], a.rate, a.suggested_pct, arrive,
		              d.base_seats);
	}
}
END_TEST

START_TEST(test_measure_counts_only_ended_windows)
{
	vq_site *site = NULL;
	char err[256];
	ck_assert_int_eq(vq_site_parse(VQ_TEST_SITE, strlen(VQ_TEST_SITE), &site, err, sizeof err),
	                 VQ_OK);
	vq_book *b = NULL;
	ck_assert_int_eq(vq_book_new(site, vq_test_day(DAY), 1, &b), VQ_OK);
	int64_t now = DAY + 9 * HOUR;
	vq_ticket t1, t2, t3, t4, t5;
	vq_request q = {.attr = COASTER, .tier = 0, .party = 2};
	ck_assert_int_eq(vq_book_issue(b, &q, now, &t1), VQ_OK); /* 09:00-10:00, not used */
	q.party = 3;
	ck_assert_int_eq(vq_book_issue(b, &q, now, &t2), VQ_OK); /* used */
	q.party = 4;
	ck_assert_int_eq(vq_book_issue(b, &q, now, &t3), VQ_OK); /* cancelled */
	q.party = 1;
	q.tier = 3; /* platinum: 15 more minutes of grace */
	ck_assert_int_eq(vq_book_issue(b, &q, now, &t4), VQ_OK);
	q.tier = 0;
	q.attr = 2; /* flume */
	q.party = 5;
	ck_assert_int_eq(vq_book_issue(b, &q, DAY + 9 * HOUR + 1800, &t5), VQ_OK);
	vq_verdict v;
	ck_assert_int_eq(vq_book_redeem(b, t2.id, "coaster", "g", 0, t2.win_start, &v, NULL),
	                 VQ_OK);
	ck_assert_int_eq(vq_book_cancel(b, t3.id, now, NULL), VQ_OK);
	vq_noshow m[3];
	/* the coaster admits until 10:00 plus 10 minutes of grace (platinum: 25) */
	vq_book_noshows(b, DAY + 10 * HOUR + 599, m);
	ck_assert_int_eq(m[COASTER].seats, 0); /* a redeemed ticket waits for its window too */
	vq_book_noshows(b, DAY + 10 * HOUR + 600, m);
	ck_assert_int_eq(m[COASTER].seats, 5);
	ck_assert_int_eq(m[COASTER].no_shows, 2);
	vq_book_noshows(b, DAY + 10 * HOUR + 1500, m);
	ck_assert_int_eq(m[COASTER].seats, 6);
	ck_assert_int_eq(m[COASTER].no_shows, 3);
	ck_assert_int_eq(m[2].seats, 0); /* the flume's window is still open */

	/* a breakdown: the flume ticket becomes anytime, and leaves the sample for good */
	ck_assert_int_eq(vq_book_close(b, 2, DAY + 10 * HOUR), VQ_OK);
	ck_assert_int_eq(vq_book_reopen(b, 2, DAY + 11 * HOUR, NULL), VQ_OK);
	vq_book_noshows(b, DAY + 24 * HOUR, m);
	ck_assert_int_eq(m[2].seats, 0);
	ck_assert_int_eq(m[COASTER].seats, 6);
	vq_book_free(b);
	vq_site_free(site);
}
END_TEST

/* --- through vqd, with tools/vq-sim -------------------------------------------------- */

/* One ride open all day, never sold out, 5-minute slots with 30-minute windows and no
 * grace, so windows end soon on a clock running 300 times real time. The simulated
 * visitors take tickets far faster than one kiosk may, so the limits are lifted: at a
 * kiosk's 5/s the sample stays near the 200 seats the rule needs, and the test flaps. */
static const char SIM_SITE[] =
    "{\"version\":1,\"id\":\"test\",\"name\":\"Test\",\"timezone\":\"UTC\","
    "\"languages\":[\"en\"],\"min_lead_min\":0,\"unknown_cards\":\"standard\","
    "\"limits\":" VQS_NO_LIMITS ","
    "\"tiers\":[{\"id\":\"standard\",\"names\":{\"en\":\"Standard\"},\"protect_pct\":0,"
    "\"release_min\":0,\"max_passes\":20,\"horizon_min\":120,\"late_grace_min\":0}],"
    "\"attractions\":[{\"id\":\"ride\",\"prefix\":\"R\",\"names\":{\"en\":\"Ride\"},"
    "\"kind\":\"ride\",\"throughput_per_hour\":60000,\"fast_share_pct\":100,\"slot_min\":5,"
    "\"window_min\":30,\"open\":\"09:00\",\"close\":\"21:00\",\"early_grace_min\":0,"
    "\"late_grace_min\":0,\"max_party\":4}]}";

#define SIM_RATE 0.25

static int64_t db_int(vqs_site *s, const char *sql)
{
	int64_t v = -1;
	ck_assert_int_eq(vqs_db_int(s, sql, &v), VQ_OK);
	return v;
}

static void run_sim(vqs_site *s, double no_show, unsigned seed, const char *origin)
{
	char exe[1024], broker[64], rate[32], seedarg[32], log[1024];
	const char *bin = getenv("VQ_BINARY_DIR");
	snprintf(exe, sizeof exe, "%s/tools/vq-sim", bin && *bin ? bin : ".");
	snprintf(broker, sizeof broker, "127.0.0.1:%d", vqs_port(s));
	snprintf(rate, sizeof rate, "%.2f", no_show);
	snprintf(seedarg, sizeof seedarg, "%u", seed);
	char start[32];
	snprintf(start, sizeof start, "%lld", (long long)VQS_CLOCK_START);
	snprintf(log, sizeof log, "%s/sim.log", vqs_dir(s));
	char *argv[] = {
	    exe, "--broker", broker, "--site", VQS_SITE, "--credentials",
	    (char *)vqs_credentials(s), "--kiosk", "kiosk-1", "--gate", "gate-1", "--rate", "6000",
	    "--seconds", "5", "--drain", "15", "--no-show", rate, "--seed", seedarg,
	    /* vqd's clock (every program of a site runs on one) */
	    "--clock-start", start, "--clock-speed", "300", "--clock-origin", (char *)origin, NULL};
	FILE *lf = fopen(log, "w");
	ck_assert_ptr_nonnull(lf);
	int parent = getpid();
	pid_t pid = fork();
	ck_assert(pid >= 0);
	if (pid == 0)
		tu_exec_child(argv, parent, fileno(lf), SIGKILL);
	fclose(lf);
	int st = 0;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	char *out = tu_read_file(log, NULL);
	fprintf(stderr, "%s", out ? out : "(no vq-sim output)\n");
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "vq-sim failed");
	free(out);
}

START_TEST(test_vqd_publishes_noshows_of_simulated_day)
{
	tu_scratch_begin("overbook");
	vqs_site *s = NULL;
	char origin[32];
	snprintf(origin, sizeof origin, "%lld", (long long)time(NULL));
	const char *const clock[] = {"--clock-origin", origin, NULL};
	vqs_opts o = {.config = SIM_SITE, .clock_speed = "300", .args = clock};
	ck_assert_int_eq(vqs_start(&o, &s), VQ_OK);
	unsigned seed = (unsigned)time(NULL);
	fprintf(stderr, "vq-sim seed %u\n", seed);
	run_sim(s, SIM_RATE, seed, origin);

	/* every window ends 35 site minutes after its ticket at most: 7 s at 300x */
	vq_bus *ops = vqs_bus(s, "ops-1", (const char *const[]){"state/#", NULL});
	ck_assert_ptr_nonnull(ops);
	const char *used = "SELECT coalesce(sum(party), 0) FROM tickets WHERE state = 1";
	const char *unused = "SELECT coalesce(sum(party), 0) FROM tickets WHERE state = 0";
	int64_t seats = db_int(s, used) + db_int(s, unused), no_shows = db_int(s, unused);
	ck_assert_msg(seats >= VQ_OVERBOOK_MIN_SAMPLE, "only %lld seats sold", (long long)seats);
	ck_assert_int_eq(db_int(s, "SELECT count(*) FROM tickets WHERE state NOT IN (0, 1)"), 0);
	cJSON *st = NULL;
	for (int i = 0; i < 150; i++) {
		cJSON_Delete(st);
		st = vqs_callf(ops, "svc/ops", "{\"v\":1,\"rid\":\"st-%d\",\"cmd\":\"status\"}", i);
		ck_assert_ptr_nonnull(st);
		int64_t got = 0;
		if (vqs_int(st, "attractions.0.noshow.seats", &got) && got == seats)
			break;
		struct timespec ts = {0, 100000000};
		nanosleep(&ts, NULL);
	}
	int64_t got_seats = -1, got_no = -1, pct = -1;
	ck_assert(vqs_int(st, "attractions.0.noshow.seats", &got_seats));
	ck_assert(vqs_int(st, "attractions.0.noshow.no_shows", &got_no));
	ck_assert_msg(got_seats == seats && got_no == no_shows,
	              "vqd: %lld of %lld seats no-shows; the database: %lld of %lld",
	              (long long)got_no, (long long)got_seats, (long long)no_shows,
	              (long long)seats);
	vq_noshow basis = {.seats = seats, .no_shows = no_shows};
	vq_overbook_advice want;
	ck_assert_int_eq(vq_overbook_suggest(&basis, NULL, &want), VQ_OK);
	ck_assert(vqs_int(st, "attractions.0.noshow.suggested_overbook_pct", &pct));
	ck_assert_int_eq(pct, want.suggested_pct);
	const cJSON *rate = vqs_get(st, "attractions.0.noshow.rate");
	ck_assert(cJSON_IsNumber(rate) && fabs(rate->valuedouble - want.rate) < 0.0006);
	/* the guests vq-sim kept away are the no-shows vqd saw (a 4-sigma band) */
	double sigma = sqrt(SIM_RATE * (1 - SIM_RATE) / (double)(seats / 2.5));
	ck_assert_msg(fabs(want.rate - SIM_RATE) < 4 * sigma + 0.01,
	              "seed %u: measured %.3f, simulated %.2f", seed, want.rate, SIM_RATE);
	ck_assert_msg(pct > 0, "suggested %lld%% for %lld of %lld seats", (long long)pct,
	              (long long)no_shows, (long long)seats);
	cJSON_Delete(st);

	/* the same on the retained state/ride, published on the next change */
	cJSON *r = vqs_callf(ops, "svc/ops",
	                     "{\"v\":1,\"rid\":\"sb\",\"cmd\":\"standby\",\"attraction\":\"ride\","
	                     "\"minutes\":10}");
	ck_assert(r && vqs_ok(r));
	cJSON_Delete(r);
	int64_t v = -1;
	for (int i = 0; i < 20 && v != seats; i++) {
		cJSON *m = vqs_wait_json(ops, "state/ride", NULL, NULL, 5000);
		ck_assert_ptr_nonnull(m);
		if (vqs_int(m, "standby_min", &v) && v == 10)
			ck_assert(vqs_int(m, "noshow.seats", &v));
		ck_assert(vqs_int(m, "noshow.min_sample", &pct) && pct == VQ_OVERBOOK_MIN_SAMPLE);
		cJSON_Delete(m);
	}
	ck_assert_int_eq(v, seats);
	vq_bus_free(ops);
	vqs_free(s);
	tu_scratch_end();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("overbook");
	TCase *tc = tcase_create("rule");
	tcase_add_test(tc, test_rule_known_samples);
	tcase_add_test(tc, test_rule_settings_and_bad_input);
	tcase_add_test(tc, test_simulated_days_fill_capacity);
	tcase_add_test(tc, test_measure_counts_only_ended_windows);
	suite_add_tcase(s, tc);
	TCase *e2e = tcase_create("vqd");
	tcase_set_timeout(e2e, 120);
	tcase_add_test(e2e, test_vqd_publishes_noshows_of_simulated_day);
	suite_add_tcase(s, e2e);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
