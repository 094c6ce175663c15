/* tests/test_clock.c — clock/clock: the one clock every program takes. Its options, the
 * demo clock (start, speed, origin: two programs given the same agree), and the wall clock
 * followed through NTP steps back and forward: time never goes back, a step of minutes is
 * worked off at 1/8 of the elapsed time, a clock far behind takes the right time at once.
 * The rule is driven with made-up readings (vq_clock_step_us), so no test waits for it.
 * Then the demo's five programs (vqd, vq-kiosk, vq-gate, vq-display, vq-sim), started as
 * tools/run-demo starts them, show the same time; a gate left on another clock says so. */
#include "clock/clock.h"
#include "clock/timefmt.h"
#include "core/day.h"
#include "core/vq.h"
#include "support/tutil.h"
#include "support/vqsite.h"

#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define S  1000000LL /* microseconds */
#define MS 1000LL

static int parse(vq_clockopt *o, const char *opt, const char *val, char *err, size_t n)
{
	char *argv[] = {"prog", (char *)opt, (char *)val, NULL};
	int i = 1;
	int r = vq_clockopt_parse(o, 3, argv, &i, err, n);
	if (r == 1)
		ck_assert_int_eq(i, 3);
	return r;
}

START_TEST(test_options)
{
	vq_clockopt o;
	char err[256];
	vq_clockopt_init(&o);
	ck_assert_int_eq(parse(&o, "--clock-start", "1798797600", err, sizeof err), 1);
	ck_assert_str_eq(o.start, "1798797600");
	ck_assert_int_eq(parse(&o, "--clock-speed", "60", err, sizeof err), 1);
	ck_assert(o.speed == 60.0);
	ck_assert_int_eq(parse(&o, "--clock-origin", "1798797000", err, sizeof err), 1);
	ck_assert_int_eq(o.origin_ms, 1798797000000LL);
	ck_assert_int_eq(parse(&o, "--broker", "x", err, sizeof err), 0);
	static const char *const bad[][2] = {{"--clock-speed", "0"},   {"--clock-speed", "-1"},
	                                     {"--clock-speed", "1e9"}, {"--clock-speed", "fast"},
	                                     {"--clock-origin", "x"},  {"--clock-origin", "-5"}};
	for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
		ck_assert_int_eq(parse(&o, bad[k][0], bad[k][1], err, sizeof err), -1);
		ck_assert_msg(strstr(err, bad[k][0]), "%s %s: %s", bad[k][0], bad[k][1], err);
	}
	char *argv[] = {"prog", "--clock-start", NULL};
	int i = 1;
	ck_assert_int_eq(vq_clockopt_parse(&o, 2, argv, &i, err, sizeof err), -1);

	/* a bad start is found when the clock is made, and named */
	vq_clock c;
	vq_clockopt_init(&o);
	snprintf(o.start, sizeof o.start, "25:99");
	ck_assert_int_eq(vq_clock_init(&c, &o, "UTC", err, sizeof err), VQ_EINVAL);
	ck_assert_msg(strstr(err, "--clock-start") && strstr(err, "25:99"), "%s", err);
	snprintf(o.start, sizeof o.start, "10:00");
	ck_assert_int_eq(vq_clock_init(&c, &o, NULL, err, sizeof err), VQ_EINVAL); /* no zone */
	vq_clockopt_init(&o);
	o.speed = 2;
	ck_assert_int_eq(vq_clock_init(&c, &o, "UTC", err, sizeof err), VQ_EINVAL);
	ck_assert_msg(strstr(err, "--clock-start"), "%s", err);
	ck_assert_int_eq(vq_clock_init(&c, NULL, NULL, err, sizeof err), VQ_OK);
	ck_assert(!vq_clock_is_demo(&c));
}
END_TEST

START_TEST(test_times)
{
	int64_t ms;
	ck_assert_int_eq(vq_clock_parse_time("1798797600", NULL, 0, &ms), VQ_OK);
	ck_assert_int_eq(ms, 1798797600000LL);
	ck_assert_int_eq(vq_clock_parse_time("2027-01-01T10:00Z", NULL, 0, &ms), VQ_OK);
	ck_assert_int_eq(ms, 1798797600000LL);
	ck_assert_int_eq(vq_clock_parse_time("2027-01-01T12:00:30+02:00", NULL, 0, &ms), VQ_OK);
	ck_assert_int_eq(ms, 1798797630000LL);
	ck_assert_int_eq(vq_clock_parse_time("2027-01-01T05:00-05:00", NULL, 0, &ms), VQ_OK);
	ck_assert_int_eq(ms, 1798797600000LL);
	static const char *const bad[] = {"",
	                                  "0",
	                                  "2027-02-30T10:00Z",
	                                  "2027-01-01T10:00",
	                                  "2027-01-01T24:00Z",
	                                  "2027-01-01 10:00Z",
	                                  "10:00x",
	                                  "2027-01-01T10:00+2",
	                                  "99999999999999999999"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(vq_clock_parse_time(bad[i], "UTC", 0, &ms) == VQ_EINVAL, "took '%s'",
		              bad[i]);
	/* HH:MM is today in the site's zone, by the rule of local days */
	int64_t noon = 1798797600000LL + 2 * 3600 * MS; /* 2027-01-01 12:00 UTC */
	ck_assert_int_eq(vq_clock_parse_time("10:00", "UTC", noon, &ms), VQ_OK);
	ck_assert_int_eq(ms, 1798797600000LL);
	ck_assert_int_eq(vq_clock_parse_time("10:00", "Europe/Bucharest", noon, &ms), VQ_OK);
	ck_assert_int_eq(ms, 1798797600000LL - 2 * 3600 * MS);
	/* 03:30 on the day Bucharest skips 03:00-04:00 is 04:00 EEST */
	int64_t spring = ((int64_t)vq_date_from_ymd(2027, 3, 28) * 86400 + 6 * 3600) * MS;
	ck_assert_int_eq(vq_clock_parse_time("03:30", "Europe/Bucharest", spring, &ms), VQ_OK);
	ck_assert_int_eq(ms, ((int64_t)vq_date_from_ymd(2027, 3, 28) * 86400 + 3600) * MS);
	ck_assert_int_eq(vq_clock_parse_time("10:00", NULL, noon, &ms), VQ_EINVAL);
}
END_TEST

START_TEST(test_demo)
{
	vq_clockopt o;
	char err[256];
	vq_clockopt_init(&o);
	snprintf(o.start, sizeof o.start, "2027-01-01T10:00Z");
	o.speed = 60;
	vq_clock c;
	ck_assert_int_eq(vq_clock_init(&c, &o, NULL, err, sizeof err), VQ_OK);
	ck_assert(vq_clock_is_demo(&c));
	ck_assert(vq_clock_speed(&c) == 60.0);
	/* driven by the monotonic clock only: the wall reading is ignored */
	int64_t a = vq_clock_step_us(&c, 0, c.mono_us0);
	int64_t b = vq_clock_step_us(&c, 123456789, c.mono_us0 + 2 * S);
	ck_assert_int_eq(a, 1798797600LL * S);
	ck_assert_int_eq(b - a, 120 * S);

	/* the same start, speed and origin: programs started apart read the same time */
	int64_t origin = (int64_t)time(NULL) - 5;
	o.origin_ms = origin * 1000;
	vq_clock p, q;
	ck_assert_int_eq(vq_clock_init(&p, &o, NULL, err, sizeof err), VQ_OK);
	struct timespec nap = {0, 150 * 1000000L};
	nanosleep(&nap, NULL);
	ck_assert_int_eq(vq_clock_init(&q, &o, NULL, err, sizeof err), VQ_OK);
	int64_t tp = vq_clock_now_ms(&p), tq = vq_clock_now_ms(&q);
	ck_assert_msg(llabs(tp - tq) < 60 * 50, "two programs' demo clocks differ by %lld ms",
	              (long long)(tq - tp)); /* 50 ms of real time at 60x */
	/* and that time is where the clock has run since the origin: ~5 s x 60 */
	int64_t since = tp - 1798797600000LL;
	ck_assert_msg(since >= 5 * 60 * 1000 - 1000 && since < 8 * 60 * 1000,
	              "demo clock %lld ms past its start", (long long)since);
}
END_TEST

/* Readings of a machine whose wall clock is stepped by NTP. */
START_TEST(test_wall_steps)
{
	vq_clock c;
	char err[64];
	ck_assert_int_eq(vq_clock_init(&c, NULL, NULL, err, sizeof err), VQ_OK);
	int64_t wall = 1798797600LL * S, mono = 1000 * S;
	ck_assert_int_eq(vq_clock_step_us(&c, wall, mono), wall);
	/* in step: the wall clock exactly */
	for (int i = 0; i < 100; i++) {
		wall += 100 * MS;
		mono += 100 * MS;
		ck_assert_int_eq(vq_clock_step_us(&c, wall, mono), wall);
	}

	/* stepped back 5 minutes: never backwards, 7/8 speed until it agrees again */
	wall -= 300 * S;
	int64_t last = vq_clock_step_us(&c, wall, mono);
	int64_t behind_at_step = last - wall;
	ck_assert_int_eq(behind_at_step, 300 * S);
	int64_t caught = -1;
	for (int64_t t = 1; t <= 3600; t++) {
		wall += S;
		mono += S;
		int64_t now = vq_clock_step_us(&c, wall, mono);
		ck_assert_msg(now >= last, "went back at %lld s", (long long)t);
		ck_assert_msg(now - last >= S - S / 8 && now - last <= S, "a second lasted %lld us",
		              (long long)(now - last));
		last = now;
		if (now == wall && caught < 0)
			caught = t;
	}
	ck_assert_msg(caught >= 2395 && caught <= 2405, "caught up after %lld s",
	              (long long)caught);

	/* stepped forward 5 minutes: 9/8 speed until it agrees */
	wall += 300 * S;
	caught = -1;
	for (int64_t t = 1; t <= 3600; t++) {
		wall += S;
		mono += S;
		int64_t now = vq_clock_step_us(&c, wall, mono);
		ck_assert(now - last >= S && now - last <= S + S / 8);
		last = now;
		if (now == wall && caught < 0)
			caught = t;
	}
	ck_assert_msg(caught >= 2395 && caught <= 2405, "caught up after %lld s",
	              (long long)caught);

	/* far behind (a program started before the machine's first sync): taken at once */
	wall += 3 * 3600 * S;
	mono += S;
	ck_assert_int_eq(vq_clock_step_us(&c, wall, mono), wall);
	/* but a wall clock far ahead that comes back is still never followed backwards */
	wall -= 3 * 3600 * S;
	mono += S;
	ck_assert_int_gt(vq_clock_step_us(&c, wall, mono), wall);
}
END_TEST

/* Jitter, small and large steps in random order: readings never decrease, and never run
 * faster than 9/8 of real time unless they take the wall clock's time (a step far
 * behind). */
START_TEST(test_wall_random)
{
	static const uint64_t seeds[] = {1, 42, 20270328};
	for (size_t k = 0; k < sizeof seeds / sizeof seeds[0]; k++) {
		tu_rng r = {seeds[k]};
		vq_clock c;
		char err[64];
		ck_assert_int_eq(vq_clock_init(&c, NULL, NULL, err, sizeof err), VQ_OK);
		int64_t wall = 1798797600LL * S, mono = 0;
		int64_t last = vq_clock_step_us(&c, wall, mono);
		for (int step = 0; step < 200000; step++) {
			int64_t dt = (int64_t)tu_rng_below(&r, 2000) * MS;
			mono += dt;
			wall += dt + (int64_t)tu_rng_below(&r, 2001) - 1000; /* +-1 ms of jitter */
			uint32_t ev = tu_rng_below(&r, 10000);
			if (ev == 0)
				wall -= (int64_t)tu_rng_below(&r, 600) * S;
			else if (ev == 1)
				wall += (int64_t)tu_rng_below(&r, 600) * S;
			int64_t now = vq_clock_step_us(&c, wall, mono);
			ck_assert_msg(now >= last, "seed %llu step %d: went back",
			              (unsigned long long)seeds[k], step);
			ck_assert_msg(now - last <= dt + dt / 8 + 2000 || now == wall,
			              "seed %llu step %d: jumped", (unsigned long long)seeds[k],
			              step);
			last = now;
		}
	}
}
END_TEST

/* --- the demo's five programs ------------------------------------------------------ */

#define PROG_MS 60000 /* one program's run, at most */

static const char BUCHAREST[] =
    "{\"version\":1,\"id\":\"" VQS_SITE "\",\"name\":\"Test Park\","
    "\"timezone\":\"Europe/Bucharest\",\"languages\":[\"en\"],\"min_lead_min\":0,"
    "\"unknown_cards\":\"standard\",\"tiers\":[{\"id\":\"standard\",\"names\":{\"en\":"
    "\"Standard\"},\"protect_pct\":0,\"release_min\":0,\"max_passes\":9,\"horizon_min\":1440,"
    "\"late_grace_min\":0}],\"attractions\":["
    "{\"id\":\"coaster\",\"prefix\":\"C\",\"kind\":\"ride\",\"names\":{\"en\":\"Coaster\"},"
    "\"throughput_per_hour\":600,\"fast_share_pct\":50,\"slot_min\":30,\"window_min\":30,"
    "\"open\":\"00:00\",\"close\":\"24:00\",\"max_party\":8}]}";

struct prog {
	pid_t pid;
	char out[600];
};

/* Starts program rel (under the build folder) with argv[1..], output to dir/name.out. */
static void prog_start(struct prog *p, const char *dir, const char *name, const char *rel,
                       const char *const *args)
{
	const char *bin = getenv("VQ_BINARY_DIR");
	ck_assert_ptr_nonnull(bin);
	char exe[600];
	snprintf(exe, sizeof exe, "%s/%s", bin, rel);
	snprintf(p->out, sizeof p->out, "%s/%s.out", dir, name);
	const char *argv[48];
	int n = 0;
	argv[n++] = exe;
	for (int i = 0; args[i] && n < 47; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	int fd = open(p->out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	pid_t parent = getpid();
	p->pid = fork();
	ck_assert_int_ge(p->pid, 0);
	if (p->pid == 0)
		tu_exec_child((char *const *)argv, parent, fd, SIGKILL);
	close(fd);
}

/* Waits for the program to end by itself; returns what it printed (the caller frees). */
static char *prog_end(struct prog *p)
{
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int status = 0;
	for (;;) {
		if (waitpid(p->pid, &status, WNOHANG) == p->pid)
			break;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 > PROG_MS) {
			kill(p->pid, SIGKILL);
			waitpid(p->pid, &status, 0);
			break;
		}
		struct timespec nap = {0, 50 * 1000000L};
		nanosleep(&nap, NULL);
	}
	char *out = tu_read_file(p->out, NULL);
	ck_assert_msg(out && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	              "%s ended with status %d:\n%s", p->out, status, out ? out : "");
	return out;
}

static void expect_in(const char *out, const char *want, const char *who)
{
	ck_assert_msg(strstr(out, want), "%s does not show \"%s\":\n%s", who, want, out);
}

/* Bucharest on 31 October 2027 at 03:10, the second time round (01:10 UTC): every program
 * shows "03:10 UTC+2", from the same --clock-start, --clock-speed and --clock-origin. */
START_TEST(test_five_programs_one_clock)
{
	tu_scratch_begin("clock-tests");
	vqs_site *site = NULL;
	char origin[32], port[32], dir[600], script[700], journal[700], cache[700];
	snprintf(origin, sizeof origin, "%lld", (long long)time(NULL));
	const char *start = "2027-10-31T01:10:05Z", *speed = "1";
	const char *const vqd_clock[] = {"--clock-origin", origin, NULL};
	vqs_opts o = {.config = BUCHAREST,
	              .clock_start = start,
	              .clock_speed = speed,
	              .args = vqd_clock,
	              .no_vqd = true};
	ck_assert_int_eq(vqs_start(&o, &site), VQ_OK);
	snprintf(port, sizeof port, "127.0.0.1:%d", vqs_port(site));
	snprintf(dir, sizeof dir, "%s", vqs_dir(site));
	snprintf(script, sizeof script, "%s/gate.script", dir);
	snprintf(journal, sizeof journal, "%s/gate.journal", dir);
	snprintf(cache, sizeof cache, "%s/gate.site.json", dir);
	FILE *f = fopen(script, "w");
	ck_assert_ptr_nonnull(f);
	fputs("wait 6000\n", f);
	fclose(f);
	const char *creds = vqs_credentials(site);

	/* as run-demo starts them: the screens and the simulated visitors, then vqd */
#define COMMON "--broker", port, "--site", VQS_SITE, "--credentials", creds
#define CLOCK  "--clock-start", start, "--clock-speed", speed, "--clock-origin", origin
	struct prog kiosk, gate, board, sim;
	prog_start(&kiosk, dir, "kiosk", "kiosk/vq-kiosk",
	           (const char *const[]){COMMON, CLOCK, "--user", "kiosk-1", "--trace", "--frames",
	                                 "2", NULL});
	prog_start(&gate, dir, "gate", "gate/vq-gate",
	           (const char *const[]){COMMON, CLOCK, "--user", "gate-1", "--attraction",
	                                 "coaster", "--journal", journal, "--site-cache", cache,
	                                 "--assets", tu_src("assets"), "--script", script,
	                                 "--trace", "--mute", NULL});
	prog_start(&board, dir, "board", "display/vq-display",
	           (const char *const[]){COMMON, CLOCK, "--user", "board-1", "--trace", "--width",
	                                 "1280", "--height", "720", "--exit-after-ms", "7000",
	                                 NULL});
	prog_start(&sim, dir, "sim", "tools/vq-sim",
	           (const char *const[]){COMMON, CLOCK, "--kiosk", "kiosk-2", "--gate", "gate-2",
	                                 "--rate", "1", "--seconds", "7", NULL});
	ck_assert_int_eq(vqs_vqd_start(site), VQ_OK);

	char *out = prog_end(&kiosk);
	expect_in(out, "clock=03:10 UTC+2", "vq-kiosk");
	free(out);
	out = prog_end(&gate);
	expect_in(out, "clock 03:10 UTC+2 zone=Europe/Bucharest", "vq-gate");
	ck_assert_msg(!strstr(out, "clock skew_min"), "vq-gate saw a clock skew:\n%s", out);
	free(out);
	out = prog_end(&board);
	expect_in(out, "clock=03:10 UTC+2", "vq-display");
	ck_assert_msg(!strstr(out, "clock_skew_min=-") && strstr(out, "clock_skew_min=0"),
	              "vq-display saw a clock skew:\n%s", out);
	free(out);
	out = prog_end(&sim);
	expect_in(out, "vq-sim: site " VQS_SITE ", demo clock at 03:10 UTC+2", "vq-sim");
	free(out);
	cJSON *st = vqs_site_state(site, 5000);
	const cJSON *now_ms = vqs_get(st, "clock.now_ms");
	ck_assert_msg(cJSON_IsNumber(now_ms), "state/_site has no clock");
	char hm[VQ_TIME_HHMM_MAX];
	vq_time_hhmm("Europe/Bucharest", (int64_t)(now_ms->valuedouble / 1000), hm);
	ck_assert_str_eq(hm, "03:10 UTC+2");
	cJSON_Delete(st);

	/* a gate left on the machine's clock shows its own time, and says it is not vqd's */
	prog_start(&gate, dir, "gate-own", "gate/vq-gate",
	           (const char *const[]){COMMON, "--user", "gate-1", "--attraction", "coaster",
	                                 "--journal", journal, "--site-cache", cache, "--assets",
	                                 tu_src("assets"), "--script", script, "--trace", "--mute",
	                                 NULL});
	struct timespec nap = {1, 0};
	nanosleep(&nap, NULL);
	ck_assert_int_eq(vqs_vqd_restart(site), VQ_OK); /* vqd speaks live again */
	out = prog_end(&gate);
	expect_in(out, "clock skew_min=", "vq-gate on another clock");
	ck_assert_msg(!strstr(out, "clock skew_min=0"), "no skew:\n%s", out);
	free(out);
#undef COMMON
#undef CLOCK
	vqs_free(site);
	tu_scratch_end();
}
END_TEST

static Suite *clock_suite(void)
{
	Suite *s = suite_create("clock");
	TCase *tc = tcase_create("clock");
	tcase_set_timeout(tc, 60); /* the random walk is seconds under ASan on a busy machine */
	tcase_add_test(tc, test_options);
	tcase_add_test(tc, test_times);
	tcase_add_test(tc, test_demo);
	tcase_add_test(tc, test_wall_steps);
	tcase_add_test(tc, test_wall_random);
	suite_add_tcase(s, tc);
	TCase *demo = tcase_create("demo");
	tcase_set_timeout(demo, 120);
	tcase_add_test(demo, test_five_programs_one_clock);
	suite_add_tcase(s, demo);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(clock_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
