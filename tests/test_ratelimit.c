/* tests/test_ratelimit.c — how fast one account may ask vqd.
 *
 * The token buckets themselves (coordinator/ratelimit.c) with time as a parameter: burst,
 * refill, retry_after_ms, one bucket per account and role, a table that never grows past
 * its size, one warning a minute. Then end to end, a real broker and vqd: an account over
 * its role's limit is refused (rate_limited, retry_after_ms) before any work and without
 * leaving a row, others are not; the same request is served once it waited; vqctl waits
 * as vqd asks, so a members import finishes under a tight limit; and the bench's park
 * sets limits far above what its kiosks send, so no figure of it is a rate limit's.
 */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bus/bus.h"
#include "coordinator/ratelimit.h"
#include "core/site.h"
#include "support/tutil.h"
#include "support/vqsite.h"

#define WAIT_MS 5000

/* --- the buckets ---------------------------------------------------------------------- */

static const vq_limit TWO_FIVE = {.rate_per_s = 2, .burst = 5};

START_TEST(test_burst_then_rate)
{
	vq_ratelimit *rl = NULL;
	ck_assert_int_eq(vq_ratelimit_new(8, &rl), VQ_OK);
	int64_t after = -1, t = 1000;
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(
		    vq_ratelimit_take(rl, "kiosk-1", VQ_ROLE_KIOSK, &TWO_FIVE, t, &after, NULL),
		    VQ_OK);
	/* empty: the next token comes in 500 ms (2 a second) */
	ck_assert_int_eq(
	    vq_ratelimit_take(rl, "kiosk-1", VQ_ROLE_KIOSK, &TWO_FIVE, t, &after, NULL),
	    VQ_ERATELIMIT);
	ck_assert_int_eq(after, 500);
	ck_assert_int_eq(
	    vq_ratelimit_take(rl, "kiosk-1", VQ_ROLE_KIOSK, &TWO_FIVE, t + 200, &after, NULL),
	    VQ_ERATELIMIT);
	ck_assert_int_eq(after, 300); /* a refusal takes nothing: the wait only shortens */
	ck_assert_int_eq(
	    vq_ratelimit_take(rl, "kiosk-1", VQ_ROLE_KIOSK, &TWO_FIVE, t + 500, &after, NULL),
	    VQ_OK);
	ck_assert_int_eq(after, 0);
	/* kept up at the rate: one every 500 ms, never two */
	int ok = 0;
	for (int64_t ms = t + 501; ms <= t + 10501; ms += 50)
		ok += vq_ratelimit_take(rl, "kiosk-1", VQ_ROLE_KIOSK, &TWO_FIVE, ms, &after,
		                        NULL) == VQ_OK;
	ck_assert_int_eq(ok, 20);
	/* after a long quiet spell: a full burst again, no more */
	t += 3600 * 1000;
	ok = 0;
	for (int i = 0; i < 50; i++)
		ok += vq_ratelimit_take(rl, "kiosk-1", VQ_ROLE_KIOSK, &TWO_FIVE, t, &after, NULL) ==
		      VQ_OK;
	ck_assert_int_eq(ok, 5);
	/* a clock that steps back refills nothing */
	ck_assert_int_eq(
	    vq_ratelimit_take(rl, "kiosk-1", VQ_ROLE_KIOSK, &TWO_FIVE, t - 60000, &after, NULL),
	    VQ_ERATELIMIT);
	/* a lower burst (a reload) caps what a bucket holds at once */
	t += 3600 * 1000;
	vq_limit one = {.rate_per_s = 2, .burst = 1};
	ck_assert_int_eq(vq_ratelimit_take(rl, "kiosk-1", VQ_ROLE_KIOSK, &one, t, &after, NULL),
	                 VQ_OK);
	ck_assert_int_eq(vq_ratelimit_take(rl, "kiosk-1", VQ_ROLE_KIOSK, &one, t, &after, NULL),
	                 VQ_ERATELIMIT);
	vq_ratelimit_free(rl);
}
END_TEST

START_TEST(test_accounts_apart)
{
	vq_ratelimit *rl = NULL;
	ck_assert_int_eq(vq_ratelimit_new(8, &rl), VQ_OK);
	int64_t after;
	vq_limit one = {.rate_per_s = 1, .burst = 1};
	ck_assert_int_eq(vq_ratelimit_take(rl, "a", VQ_ROLE_KIOSK, &one, 0, &after, NULL), VQ_OK);
	ck_assert_int_eq(vq_ratelimit_take(rl, "a", VQ_ROLE_KIOSK, &one, 0, &after, NULL),
	                 VQ_ERATELIMIT);
	/* another account, and the same account in another role, have buckets of their own */
	ck_assert_int_eq(vq_ratelimit_take(rl, "b", VQ_ROLE_KIOSK, &one, 0, &after, NULL), VQ_OK);
	ck_assert_int_eq(vq_ratelimit_take(rl, "a", VQ_ROLE_GATE, &one, 0, &after, NULL), VQ_OK);
	ck_assert_int_eq(vq_ratelimit_count(rl), 3);
	/* arguments */
	ck_assert_int_eq(vq_ratelimit_take(rl, "", VQ_ROLE_KIOSK, &one, 0, &after, NULL),
	                 VQ_EINVAL);
	char longname[VQ_RATELIMIT_ACCOUNT_MAX + 1];
	memset(longname, 'x', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	ck_assert_int_eq(vq_ratelimit_take(rl, longname, VQ_ROLE_KIOSK, &one, 0, &after, NULL),
	                 VQ_EINVAL);
	vq_limit zero = {.rate_per_s = 0, .burst = 1};
	ck_assert_int_eq(vq_ratelimit_take(rl, "c", VQ_ROLE_KIOSK, &zero, 0, &after, NULL),
	                 VQ_EINVAL);
	ck_assert_int_eq(vq_ratelimit_take(NULL, "c", VQ_ROLE_KIOSK, &one, 0, &after, NULL),
	                 VQ_EINVAL);
	ck_assert_int_eq(vq_ratelimit_new(0, &rl), VQ_EINVAL);
	vq_ratelimit_free(rl);
	vq_ratelimit_free(NULL);
}
END_TEST

/* A flood of made-up accounts cannot grow the table; the account idle longest gives way,
 * and the busy ones keep their (empty) buckets. */
START_TEST(test_table_bounded)
{
	vq_ratelimit *rl = NULL;
	ck_assert_int_eq(vq_ratelimit_new(4, &rl), VQ_OK);
	int64_t after;
	vq_limit one = {.rate_per_s = 1, .burst = 1};
	ck_assert_int_eq(vq_ratelimit_take(rl, "quiet", VQ_ROLE_KIOSK, &one, 0, &after, NULL),
	                 VQ_OK);
	int busy_ok = 0;
	for (int64_t t = 1; t <= 100000; t++) {
		/* a busy account asks all along: its bucket stays, empty, within the second */
		if (t < 900)
			busy_ok += vq_ratelimit_take(rl, "busy", VQ_ROLE_KIOSK, &one, t, &after,
			                             NULL) == VQ_OK;
		char name[32];
		snprintf(name, sizeof name, "flood-%lld", (long long)t);
		vq_ratelimit_take(rl, name, VQ_ROLE_KIOSK, &one, t, &after, NULL);
		ck_assert_uint_le(vq_ratelimit_count(rl), 4);
	}
	ck_assert_int_eq(busy_ok, 1);
	ck_assert_uint_eq(vq_ratelimit_count(rl), 4);
	/* "quiet" was given up: a new bucket, full */
	ck_assert_int_eq(vq_ratelimit_take(rl, "quiet", VQ_ROLE_KIOSK, &one, 100001, &after, NULL),
	                 VQ_OK);
	vq_ratelimit_free(rl);
}
END_TEST

START_TEST(test_warn_once_a_minute)
{
	vq_ratelimit *rl = NULL;
	ck_assert_int_eq(vq_ratelimit_new(4, &rl), VQ_OK);
	int64_t after;
	int warn, warned = 0;
	vq_limit one = {.rate_per_s = 1, .burst = 1};
	for (int64_t t = 0; t < 130000; t += 10) {
		warn = 7;
		int rc = vq_ratelimit_take(rl, "k", VQ_ROLE_KIOSK, &one, t, &after, &warn);
		if (rc == VQ_OK)
			ck_assert_int_eq(warn, 0);
		warned += warn;
	}
	ck_assert_int_eq(warned, 3); /* at 0 s (the first refusal), 60 s and 120 s */
	vq_ratelimit_free(rl);
}
END_TEST

/* --- end to end ----------------------------------------------------------------------- */

static vqs_site *site;

#define CHECK(cond, ...) VQS_CHECK(site, cond, __VA_ARGS__)

static void suite_setup(void)
{
	tu_scratch_begin("ratelimit-tests");
}

static void suite_teardown(void)
{
	tu_scratch_end();
}

static void teardown(void)
{
	vqs_free(site);
	site = NULL;
}

static void up_with_limits(const char *limits)
{
	char *cfg = vqs_config_with_limits(limits);
	ck_assert_ptr_nonnull(cfg);
	vqs_opts o = {.config = cfg};
	int rc = vqs_start(&o, &site);
	free(cfg);
	ck_assert_msg(rc == VQ_OK, "site did not start: %s", vq_strerror(rc));
}

__attribute__((format(printf, 3, 4))) static cJSON *call(vq_bus *b, const char *svc,
                                                         const char *fmt, ...)
{
	char body[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(body, sizeof body, fmt, ap);
	va_end(ap);
	cJSON *reply = NULL;
	int rc = vqs_call(b, svc, body, (size_t)n, WAIT_MS, &reply, NULL, NULL);
	CHECK(rc == VQ_OK, "%s: %s -> %s", svc, body, vq_strerror(rc));
	return reply;
}

START_TEST(test_limit_enforced)
{
	/* kiosks: 2 a second, 5 at once; gates keep their default */
	up_with_limits("{\"kiosk\":{\"rate_per_s\":2,\"burst\":5}}");
	vq_bus *k1 = vqs_bus(site, "kiosk-1", NULL), *k2 = vqs_bus(site, "kiosk-2", NULL);
	CHECK(k1 && k2, "buses");
	int64_t rows0 = -1, rows1 = -1, after = 0;
	CHECK(vqs_db_int(site, "SELECT count(*) FROM requests", &rows0) == VQ_OK, "rows");
	cJSON *r;
	int served = 0, refused = -1;
	long long t0 = tu_mono_ms();
	for (int i = 0; i < 8; i++) {
		r = call(k1, "svc/issue",
		         "{\"v\":1,\"rid\":\"rl-%d\",\"card\":\"rl-card-%d\",\"attraction\":"
		         "\"coaster\",\"party\":1}",
		         i, i);
		if (vqs_ok(r)) {
			served++;
		} else {
			CHECK(!strcmp(vqs_errcode(r), "rate_limited") &&
			          cJSON_IsNull(vqs_get(r, "rid")),
			      "request %d: %s", i, vqs_js(r));
			CHECK(vqs_int(r, "error.retry_after_ms", &after) && after >= 1 &&
			          after <= 500,
			      "retry_after_ms: %s", vqs_js(r));
			refused = i;
		}
		cJSON_Delete(r);
	}
	/* the burst, and at most one more the rate allowed meanwhile */
	CHECK(served >= 5 && served <= 5 + (int)((tu_mono_ms() - t0) / 500) + 1, "%d of 8 served",
	      served);
	CHECK(served < 8, "no request was limited");
	CHECK(vqs_db_int(site, "SELECT count(*) FROM requests", &rows1) == VQ_OK &&
	          rows1 == rows0 + served,
	      "%lld rows for %d served requests: a refusal left one", (long long)(rows1 - rows0),
	      served);
	/* another account is not held back */
	r = call(k2, "svc/quote", "{\"v\":1,\"rid\":\"rl-k2\",\"party\":1}");
	CHECK(vqs_ok(r), "kiosk-2 while kiosk-1 is limited: %s", vqs_js(r));
	cJSON_Delete(r);
	/* after the wait vqd asked for, the refused request is served */
	struct timespec ts = {0, (long)(after + 50) * 1000000L};
	nanosleep(&ts, NULL);
	r = call(k1, "svc/issue",
	         "{\"v\":1,\"rid\":\"rl-%d\",\"card\":\"rl-card-%d\",\"attraction\":"
	         "\"coaster\",\"party\":1}",
	         refused, refused);
	CHECK(vqs_ok(r), "after retry_after_ms: %s", vqs_js(r));
	cJSON_Delete(r);
	/* counted, and logged once, not once a request */
	vq_bus *ops = vqs_bus(site, "ops-1", NULL);
	CHECK(ops, "ops bus");
	r = call(ops, "svc/ops", "{\"v\":1,\"rid\":\"rl-stats\",\"cmd\":\"stats\"}");
	int64_t limited = 0;
	CHECK(vqs_int(r, "rate_limited", &limited) && limited == 8 - served,
	      "stats: %s (%d refused)", vqs_js(r), 8 - served);
	cJSON_Delete(r);
	char *log = tu_read_file(vqs_log_path(site), NULL);
	int lines = 0;
	for (const char *p = log; p && (p = strstr(p, "kiosk-1 sends faster")); p++)
		lines++;
	free(log);
	CHECK(lines == 1, "%d log lines about kiosk-1's rate", lines);
	vq_bus_free(ops);
	vq_bus_free(k2);
	vq_bus_free(k1);
}
END_TEST

/* An operator's import under a tight limit: vqctl waits as vqd asks and gets it all in. */
START_TEST(test_vqctl_waits)
{
	up_with_limits("{\"operator\":{\"rate_per_s\":4,\"burst\":2}}");
	char path[1100];
	snprintf(path, sizeof path, "%s/members.csv", vqs_dir(site));
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	for (int i = 0; i < 1000; i++)
		fprintf(f, "rl-m-%04d,%s\n", i, i % 2 ? "gold" : "standard");
	fclose(f);
	const char *args[] = {"members", "import", path, "--batch", "100", NULL};
	int status = -1;
	char *out = NULL;
	CHECK(vqs_vqctl(site, "ops-1", args, 60000, &status, &out) == VQ_OK, "vqctl ran too long");
	CHECK(status == 0 && out && strstr(out, "imported 1000 members"), "vqctl: %d %s", status,
	      out ? out : "");
	free(out);
	int64_t n = -1, limited = -1;
	CHECK(vqs_db_int(site, "SELECT count(*) FROM members", &n) == VQ_OK && n == 1000,
	      "%lld members", (long long)n);
	/* it did meet the limit on the way */
	const char *sargs[] = {"--json", "stats", NULL};
	CHECK(vqs_vqctl(site, "ops-1", sargs, 20000, &status, &out) == VQ_OK && status == 0,
	      "stats");
	cJSON *j = cJSON_Parse(out);
	CHECK(vqs_int(j, "rate_limited", &limited) && limited > 0, "stats: %s", out);
	cJSON_Delete(j);
	free(out);
}
END_TEST

/* tools/bench-mqtt runs the bench park: its kiosks and operator must be limited far above
 * what the bench sends (tens of thousands a second), or its figure is the limit's. */
START_TEST(test_bench_park_limits)
{
	size_t len;
	char *text = tu_read_file(tu_src("assets/bench-park.json"), &len);
	ck_assert_ptr_nonnull(text);
	vq_site *s = NULL;
	char err[256];
	ck_assert_msg(vq_site_parse(text, len, &s, err, sizeof err) == VQ_OK, "%s", err);
	free(text);
	for (int r = 0; r < VQ_ROLE_COUNT; r++) {
		ck_assert_int_ge(vq_site_limit(s, r)->rate_per_s, 100000);
		ck_assert_int_ge(vq_site_limit(s, r)->burst, 100000);
	}
	vq_site_free(s);
}
END_TEST

static Suite *ratelimit_suite(void)
{
	Suite *s = suite_create("ratelimit");
	TCase *tc = tcase_create("buckets");
	tcase_add_test(tc, test_burst_then_rate);
	tcase_add_test(tc, test_accounts_apart);
	tcase_add_test(tc, test_table_bounded);
	tcase_add_test(tc, test_warn_once_a_minute);
	tcase_add_test(tc, test_bench_park_limits);
	suite_add_tcase(s, tc);
	TCase *te = tcase_create("site");
	tcase_add_unchecked_fixture(te, suite_setup, suite_teardown);
	tcase_add_checked_fixture(te, NULL, teardown);
	tcase_set_timeout(te, 90);
	tcase_add_test(te, test_limit_enforced);
	tcase_add_test(te, test_vqctl_waits);
	suite_add_tcase(s, te);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(ratelimit_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
