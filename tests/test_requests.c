/* tests/test_requests.c — what vqd remembers of a request: the first reply to a request id,
 * bound to the verb and body that produced it, and nothing at all of a refusal that decided
 * nothing. End to end: a real broker with the site's ACL, the real vqd, clients speaking
 * docs/protocol.md through the bus (tests/support/vqsite.h).
 *
 *   - test_rid_bound: the same client and rid with the same request (whatever its
 *     whitespace, key order or escapes) gets the first reply byte for byte; with another
 *     verb or body, `rid_reused`, and nothing changes; across a restart too;
 *   - test_refusals_not_stored: bad_request, invalid, too_large, unknown_*, the ticket
 *     code's own refusals and rid_reused leave no row; a decided refusal (sold_out) does;
 *     a rid refused for its form is free for the corrected request;
 *   - test_flood_bounded: 50,000 invalid requests with fresh rids from every role grow the
 *     database (file and WAL) by under 100 KB and vqd's resident memory by under 1 MB.
 */
#include <check.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bus/bus.h"
#include "support/tutil.h"
#include "support/vqsite.h"

#define WAIT_MS     5000
#define FLOOD_TOTAL 50000
#define FLOOD_WARM  5000
#define FLOOD_PIPE  32 /* requests in flight per account: what a busy client keeps */

static vqs_site *site;

#define CHECK(cond, ...) VQS_CHECK(site, cond, __VA_ARGS__)

static void suite_setup(void)
{
	tu_scratch_begin("requests-tests");
}

static void suite_teardown(void)
{
	tu_scratch_end();
}

static void setup(void)
{
	site = NULL;
}

static void teardown(void)
{
	vqs_free(site);
	site = NULL;
}

static void up(const vqs_opts *o)
{
	int rc = vqs_start(o, &site);
	ck_assert_msg(rc == VQ_OK, "site did not start: %s", vq_strerror(rc));
}

static vq_bus *bus(const char *account)
{
	vq_bus *b = vqs_bus(site, account, NULL);
	CHECK(b != NULL, "no bus for %s", account);
	return b;
}

/* A request whose reply must come; *raw (if not NULL) gets its bytes. */
__attribute__((format(printf, 4, 5))) static cJSON *call(vq_bus *b, const char *svc, char **raw,
                                                         const char *fmt, ...)
{
	char body[8192];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(body, sizeof body, fmt, ap);
	va_end(ap);
	CHECK(n > 0 && (size_t)n < sizeof body, "request too long for the helper");
	cJSON *reply = NULL;
	int rc = vqs_call(b, svc, body, (size_t)n, WAIT_MS, &reply, raw, NULL);
	CHECK(rc == VQ_OK, "%s as %s: %s -> %s", svc, vq_bus_client_id(b), body, vq_strerror(rc));
	return reply;
}

static void expect_ok(cJSON *r, const char *what)
{
	CHECK(vqs_ok(r), "%s: expected ok, got %s", what, vqs_js(r));
	cJSON_Delete(r);
}

static void expect_err(cJSON *r, const char *code, const char *what)
{
	CHECK(!vqs_ok(r) && strcmp(vqs_errcode(r), code) == 0, "%s: expected error %s, got %s",
	      what, code, vqs_js(r));
	cJSON_Delete(r);
}

static void same_bytes(const char *a, const char *b, const char *what)
{
	CHECK(strcmp(a, b) == 0, "%s: replies differ:\n  first: %s\n  again: %s", what, a, b);
}

static int64_t rows(const char *sql)
{
	int64_t n = -1;
	CHECK(vqs_db_int(site, sql, &n) == VQ_OK, "query %s", sql);
	return n;
}

/* --- a request id is bound to what it asked ------------------------------------------- */

static const char ISSUE[] = "{\"v\":1,\"rid\":\"b-1\",\"card\":\"bound-card\","
                            "\"attraction\":\"coaster\",\"party\":1}";

START_TEST(test_rid_bound)
{
	up(NULL);
	vq_bus *kiosk = bus("kiosk-1"), *gate = bus("gate-1"), *ops = bus("ops-1");
	char *first = NULL, *raw = NULL;
	cJSON *r = call(kiosk, "svc/issue", &first, "%s", ISSUE);
	CHECK(vqs_ok(r), "issue: %s", vqs_js(r));
	int64_t id = 0;
	CHECK(vqs_int(r, "ticket.id", &id), "ticket id: %s", vqs_js(r));
	cJSON_Delete(r);

	/* The same request, written differently: the first answer, byte for byte. */
	static const char *const same[] = {
	    ISSUE,
	    "{ \"party\" : 1,\n \"attraction\" : \"coaster\", \"card\":\"bound-card\",\t"
	    "\"rid\":\"b-1\", \"v\":1 }",
	    "{\"v\":1,\"rid\":\"b-1\",\"card\":\"bound\\u002dcard\",\"attraction\":\"coaster\","
	    "\"party\":1}",
	};
	for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
		cJSON_Delete(call(kiosk, "svc/issue", &raw, "%s", same[i]));
		same_bytes(first, raw, same[i]);
		free(raw);
	}

	/* Another body, or another verb, under the same rid: refused, and nothing changes. */
	r = call(kiosk, "svc/issue", NULL,
	         "{\"v\":1,\"rid\":\"b-1\",\"card\":\"bound-card\",\"attraction\":\"flume\","
	         "\"party\":3}");
	const char *msg = vqs_str(r, "error.message");
	CHECK(msg && strstr(msg, "b-1"), "rid_reused should name the rid: %s", vqs_js(r));
	expect_err(r, "rid_reused", "same rid, another body");
	expect_err(call(kiosk, "svc/cancel", NULL,
	                "{\"v\":1,\"rid\":\"b-1\",\"card\":\"bound-card\",\"ticket\":%lld}",
	                (long long)id),
	           "rid_reused", "a cancel reusing an issue's rid");
	/* asked again, the refusal is the same: it was not remembered as an answer */
	expect_err(call(kiosk, "svc/cancel", NULL,
	                "{\"v\":1,\"rid\":\"b-1\",\"card\":\"bound-card\",\"ticket\":%lld}",
	                (long long)id),
	           "rid_reused", "the same cancel again");
	/* a read under the issue's rid is another request too */
	expect_err(
	    call(kiosk, "svc/identify", NULL, "{\"v\":1,\"rid\":\"b-1\",\"card\":\"bound-card\"}"),
	    "rid_reused", "an identify reusing an issue's rid");
	/* reads are not kept: asked twice under one rid, both are answered afresh */
	for (int i = 0; i < 2; i++)
		expect_ok(
		    call(kiosk, "svc/quote", NULL, "{\"v\":1,\"rid\":\"b-q\",\"party\":%d}", i + 1),
		    "a quote");
	r = call(kiosk, "svc/identify", NULL, "{\"v\":1,\"rid\":\"b-id\",\"card\":\"bound-card\"}");
	const cJSON *held = vqs_get(r, "held");
	CHECK(cJSON_GetArraySize(held) == 1 && !strcmp(vqs_str(r, "held.0.state"), "issued"),
	      "one ticket, still issued: %s", vqs_js(r));
	cJSON_Delete(r);

	/* A redeem reusing an override's rid is not admitted on the override's answer. */
	r = call(gate, "svc/override", NULL,
	         "{\"v\":1,\"rid\":\"g-1\",\"attraction\":\"coaster\",\"reason\":\"torn code\"}");
	CHECK(vqs_ok(r) && cJSON_IsTrue(vqs_get(r, "admit")), "override: %s", vqs_js(r));
	cJSON_Delete(r);
	expect_err(call(gate, "svc/redeem", NULL,
	                "{\"v\":1,\"rid\":\"g-1\",\"code\":\"VQ1:GARBAGE\",\"attraction\":"
	                "\"coaster\"}"),
	           "rid_reused", "a redeem reusing an override's rid");

	/* An operator's change: the other value is refused, the first one stays. */
	expect_ok(call(ops, "svc/ops", NULL,
	               "{\"v\":1,\"rid\":\"o-1\",\"cmd\":\"standby\",\"attraction\":\"coaster\","
	               "\"minutes\":42}"),
	          "standby 42");
	expect_err(call(ops, "svc/ops", NULL,
	                "{\"v\":1,\"rid\":\"o-1\",\"cmd\":\"standby\",\"attraction\":\"coaster\","
	                "\"minutes\":50}"),
	           "rid_reused", "standby 50 under standby 42's rid");
	r = call(ops, "svc/ops", NULL, "{\"v\":1,\"rid\":\"o-2\",\"cmd\":\"status\"}");
	int64_t sb = -1;
	CHECK(vqs_int(r, "attractions.0.standby_min", &sb) && sb == 42, "standby: %s", vqs_js(r));
	cJSON_Delete(r);

	/* Across a restart the binding holds. */
	CHECK(vqs_vqd_restart(site) == VQ_OK, "restart");
	cJSON_Delete(call(kiosk, "svc/issue", &raw, "%s", same[1]));
	same_bytes(first, raw, "after a restart");
	free(raw);
	expect_err(call(kiosk, "svc/issue", NULL,
	                "{\"v\":1,\"rid\":\"b-1\",\"card\":\"bound-card\",\"attraction\":"
	                "\"coaster\",\"party\":2}"),
	           "rid_reused", "another body after a restart");
	CHECK(rows("SELECT count(*) FROM tickets") == 1, "one rid, one ticket");

	/* Another client's "b-1" is its own request. */
	vq_bus *other = bus("kiosk-2");
	expect_ok(call(other, "svc/issue", NULL,
	               "{\"v\":1,\"rid\":\"b-1\",\"card\":\"other-card\",\"attraction\":"
	               "\"flume\",\"party\":2}"),
	          "kiosk-2's own b-1");
	vq_bus_free(other);
	free(first);
	vq_bus_free(ops);
	vq_bus_free(gate);
	vq_bus_free(kiosk);
}
END_TEST

/* --- refusals that decide nothing leave nothing behind -------------------------------- */

typedef struct refusal {
	const char *who, *svc, *body, *code;
} refusal;

/* Each with a fresh rid in the place of '@'. */
static const refusal NOTHING[] = {
    {"kiosk-1", "svc/issue", "{\"v\":1,\"rid\":\"@\",\"attraction\":\"coaster\",\"party\":\"x\"}",
     "bad_request"},
    {"kiosk-1", "svc/issue", "{\"v\":1,\"rid\":\"@\",\"attraction\":\"coaster\",\"party\":0}",
     "invalid"},
    {"kiosk-1", "svc/issue", "{\"v\":1,\"rid\":\"@\",\"attraction\":\"nope\",\"party\":1}",
     "unknown_attraction"},
    {"kiosk-1", "svc/cancel", "{\"v\":1,\"rid\":\"@\",\"card\":\"c\",\"ticket\":987654}",
     "unknown_ticket"},
    {"gate-1", "svc/redeem",
     "{\"v\":1,\"rid\":\"@\",\"code\":\"hello\",\"attraction\":\"coaster\"}", "malformed_code"},
    {"gate-1", "svc/redeem",
     "{\"v\":1,\"rid\":\"@\",\"code\":\"VQ1:AAAA\",\"attraction\":\"nope\"}", "unknown_attraction"},
    {"gate-1", "svc/sync", "{\"v\":1,\"rid\":\"@\",\"admissions\":[]}", "bad_request"},
    {"gate-1", "svc/override", "{\"v\":1,\"rid\":\"@\",\"attraction\":\"coaster\"}", "bad_request"},
    {"ops-1", "svc/ops", "{\"v\":1,\"rid\":\"@\",\"cmd\":\"frobnicate\"}", "unknown_command"},
    {"ops-1", "svc/ops",
     "{\"v\":1,\"rid\":\"@\",\"cmd\":\"members_import\",\"members\":[{\"card\":\"c\","
     "\"tier\":\"diamond\"}]}",
     "unknown_tier"},
    {"ops-1", "svc/ops",
     "{\"v\":1,\"rid\":\"@\",\"cmd\":\"standby\",\"attraction\":\"coaster\",\"minutes\":601}",
     "invalid"},
};

static vq_bus *bus_of(vq_bus *const *buses, const char *const *names, int n, const char *who)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(names[i], who))
			return buses[i];
	ck_abort_msg("no bus for %s", who);
	return NULL;
}

START_TEST(test_refusals_not_stored)
{
	up(NULL);
	const char *names[] = {"kiosk-1", "gate-1", "ops-1"};
	vq_bus *buses[3];
	for (int i = 0; i < 3; i++)
		buses[i] = bus(names[i]);
	int64_t before = rows("SELECT count(*) FROM requests");
	int k = 0;
	for (size_t i = 0; i < sizeof NOTHING / sizeof NOTHING[0]; i++) {
		const refusal *c = &NOTHING[i];
		char body[512];
		const char *at = strchr(c->body, '@');
		snprintf(body, sizeof body, "%.*sn-%d%s", (int)(at - c->body), c->body, k++,
		         at + 1);
		vq_bus *b = bus_of(buses, names, 3, c->who);
		expect_err(call(b, c->svc, NULL, "%s", body), c->code, body);
	}
	/* too large: refused unread */
	size_t big = 100 * 1024;
	char *pad = malloc(big + 128);
	ck_assert_ptr_nonnull(pad);
	int n = sprintf(pad, "{\"v\":1,\"rid\":\"n-big\",\"attraction\":\"coaster\",\"pad\":\"");
	memset(pad + n, 'x', big);
	strcpy(pad + n + big, "\"}");
	cJSON *r = NULL;
	CHECK(vqs_call(buses[0], "svc/issue", pad, strlen(pad), WAIT_MS, &r, NULL, NULL) == VQ_OK,
	      "too large: no reply");
	expect_err(r, "too_large", "100 KiB");
	free(pad);
	/* a rid reused for another request */
	expect_ok(call(buses[0], "svc/issue", NULL,
	               "{\"v\":1,\"rid\":\"n-used\",\"attraction\":\"coaster\",\"party\":1}"),
	          "issue");
	int64_t after_issue = rows("SELECT count(*) FROM requests");
	CHECK(after_issue == before + 1, "the issue is remembered (%lld -> %lld rows)",
	      (long long)before, (long long)after_issue);
	expect_err(call(buses[0], "svc/issue", NULL,
	                "{\"v\":1,\"rid\":\"n-used\",\"attraction\":\"flume\",\"party\":1}"),
	           "rid_reused", "another issue under n-used");
	int64_t after = rows("SELECT count(*) FROM requests");
	CHECK(after == after_issue, "refusals that decide nothing left %lld rows",
	      (long long)(after - after_issue));

	/* A rid refused for its form is free for the corrected request. */
	expect_err(call(buses[0], "svc/issue", NULL,
	                "{\"v\":1,\"rid\":\"n-fix\",\"attraction\":\"coaster\",\"party\":\"one\"}"),
	           "bad_request", "party as text");
	expect_ok(call(buses[0], "svc/issue", NULL,
	               "{\"v\":1,\"rid\":\"n-fix\",\"attraction\":\"coaster\",\"party\":1}"),
	          "the corrected request under the same rid");

	/* A decided refusal is an answer: remembered, and given again. */
	char *first = NULL, *raw = NULL;
	for (int i = 0; i < 20; i++) {
		r = call(buses[0], "svc/issue", &first,
		         "{\"v\":1,\"rid\":\"n-tiny-%d\",\"card\":\"tiny-%d\",\"attraction\":"
		         "\"tiny\",\"party\":4}",
		         i, i);
		bool sold = !strcmp(vqs_errcode(r), "sold_out");
		cJSON_Delete(r);
		if (sold) {
			int64_t rem = rows("SELECT count(*) FROM requests WHERE rid LIKE "
			                   "'kiosk-1/n-tiny-%'");
			CHECK(rem == i + 1,
			      "sold_out should be remembered: %lld rows for %d requests",
			      (long long)rem, i + 1);
			cJSON_Delete(call(buses[0], "svc/issue", &raw,
			                  "{\"v\":1,\"rid\":\"n-tiny-%d\",\"card\":\"tiny-%d\","
			                  "\"attraction\":\"tiny\",\"party\":4}",
			                  i, i));
			same_bytes(first, raw, "sold_out again");
			free(raw);
			free(first);
			first = NULL;
			break;
		}
		free(first);
		first = NULL;
		CHECK(i < 19, "tiny never sold out");
	}
	for (int i = 2; i >= 0; i--)
		vq_bus_free(buses[i]);
}
END_TEST

/* --- a flood of invalid requests ------------------------------------------------------ */

typedef struct flooder {
	vq_bus *bus;
	const char *name;
	int from, count; /* request numbers */
	int answered, wrong;
	char note[512];
} flooder;

/* The invalid requests of each account, in turn, by request number. */
static int flood_body(const char *who, int i, char *out, size_t cap)
{
	if (!strncmp(who, "kiosk", 5))
		return snprintf(out, cap,
		                i % 3 == 0 ? "{\"v\":1,\"rid\":\"f%d\",\"attraction\":\"nope\","
		                             "\"party\":1}"
		                : i % 3 == 1
		                    ? "{\"v\":1,\"rid\":\"f%d\",\"attraction\":\"coaster\","
		                      "\"party\":0}"
		                    : "{\"v\":1,\"rid\":\"f%d\",\"card\":\"x\",\"ticket\":"
		                      "987654}",
		                i);
	if (!strncmp(who, "gate", 4))
		return snprintf(out, cap,
		                i % 2 ? "{\"v\":1,\"rid\":\"f%d\",\"code\":\"hello\","
		                        "\"attraction\":\"coaster\"}"
		                      : "{\"v\":1,\"rid\":\"f%d\",\"admissions\":[]}",
		                i);
	return snprintf(out, cap,
	                i % 2 ? "{\"v\":1,\"rid\":\"f%d\",\"cmd\":\"frobnicate\"}"
	                      : "{\"v\":1,\"rid\":\"f%d\",\"cmd\":\"members_import\","
	                        "\"members\":[{\"card\":\"c%d\",\"tier\":\"diamond\"}]}",
	                i, i);
}

static const char *flood_svc(const char *who, int i)
{
	if (!strncmp(who, "kiosk", 5))
		return i % 3 == 2 ? "svc/cancel" : "svc/issue";
	if (!strncmp(who, "gate", 4))
		return i % 2 ? "svc/redeem" : "svc/sync";
	return "svc/ops";
}

/* Keeps FLOOD_PIPE requests in flight until count are answered; every answer must be a
 * refusal. */
static void *flood_run(void *arg)
{
	flooder *f = arg;
	int sent = 0, inflight = 0;
	long long idle_since = 0;
	while (f->answered < f->count) {
		while (sent < f->count && inflight < FLOOD_PIPE) {
			char body[256];
			int i = f->from + sent;
			int n = flood_body(f->name, i, body, sizeof body);
			if (vq_bus_request(f->bus, flood_svc(f->name, i), body, (size_t)n, NULL) !=
			    VQ_OK) {
				snprintf(f->note, sizeof f->note, "request %d not sent", i);
				return NULL;
			}
			sent++;
			inflight++;
		}
		vq_bus_msg *msgs[64];
		size_t n = 0;
		vq_bus_poll(f->bus, msgs, 64, &n, 1000);
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		long long now = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
		if (n == 0) {
			if (!idle_since)
				idle_since = now;
			if (now - idle_since > 10000) {
				snprintf(f->note, sizeof f->note,
				         "no reply for 10 s with %d in flight (%d answered)",
				         inflight, f->answered);
				return NULL;
			}
			continue;
		}
		idle_since = 0;
		for (size_t m = 0; m < n; m++) {
			cJSON *j = cJSON_ParseWithLength(msgs[m]->payload, msgs[m]->len);
			if (!cJSON_IsObject(j) || vqs_ok(j) || !vqs_errcode(j)[0]) {
				if (!f->wrong++)
					snprintf(f->note, sizeof f->note, "not a refusal: %.300s",
					         msgs[m]->payload);
			}
			cJSON_Delete(j);
			vq_bus_msg_free(msgs[m]);
			f->answered++;
			inflight--;
		}
	}
	return NULL;
}

static void flood(vq_bus *const *buses, const char *const *names, int nb, int from, int total)
{
	flooder f[8];
	pthread_t th[8];
	int each = total / nb;
	for (int i = 0; i < nb; i++) {
		f[i] = (flooder){.bus = buses[i], .name = names[i], .from = from, .count = each};
		CHECK(pthread_create(&th[i], NULL, flood_run, &f[i]) == 0, "thread");
	}
	for (int i = 0; i < nb; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < nb; i++) {
		CHECK(f[i].answered == each, "%s: %d of %d answered: %s", names[i], f[i].answered,
		      each, f[i].note);
		CHECK(f[i].wrong == 0, "%s: %d answers were not refusals: %s", names[i], f[i].wrong,
		      f[i].note);
	}
}

static long long file_size(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0 ? (long long)sb.st_size : 0;
}

static long long db_bytes(void)
{
	char wal[1100];
	snprintf(wal, sizeof wal, "%s-wal", vqs_db_path(site));
	return file_size(vqs_db_path(site)) + file_size(wal);
}

/* VmRSS of vqd, in kB. */
static long long vqd_rss_kb(void)
{
	char path[64], line[256];
	snprintf(path, sizeof path, "/proc/%d/status", vqs_vqd_pid(site));
	FILE *f = fopen(path, "r");
	CHECK(f != NULL, "cannot read %s", path);
	long long kb = -1;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "VmRSS: %lld kB", &kb) == 1)
			break;
	fclose(f);
	CHECK(kb > 0, "no VmRSS for vqd");
	return kb;
}

START_TEST(test_flood_bounded)
{
	/* Under AddressSanitizer, freed memory waits in a quarantine of up to 256 MB before it
	 * is reused, which would count a flood's churn as growth; vqd gets none here, so what
	 * is measured is what vqd itself keeps. (No effect on a build without ASan.) */
	const char *asan = getenv("ASAN_OPTIONS");
	char opts[1024];
	snprintf(opts, sizeof opts, "%s%squarantine_size_mb=0:thread_local_quarantine_size_kb=0",
	         asan ? asan : "", asan && *asan ? ":" : "");
	setenv("ASAN_OPTIONS", opts, 1);
	/* the limits out of the way: every request reaches the handlers */
	char *cfg = vqs_config_with_limits(VQS_NO_LIMITS);
	ck_assert_ptr_nonnull(cfg);
	vqs_opts o = {.config = cfg, .log_level = "warn"};
	up(&o);
	const char *names[] = {"kiosk-1", "kiosk-2", "gate-1", "gate-2", "ops-1"};
	vq_bus *buses[5];
	for (int i = 0; i < 5; i++)
		buses[i] = bus(names[i]);

	flood(buses, names, 5, 0, FLOOD_WARM); /* caches and pools at their working size */
	long long db0 = db_bytes(), rss0 = vqd_rss_kb();
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	flood(buses, names, 5, FLOOD_WARM, FLOOD_TOTAL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long long db1 = db_bytes(), rss1 = vqd_rss_kb();
	double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	fprintf(stderr,
	        "test_flood_bounded: %d invalid requests in %.1f s; database %lld -> %lld bytes, "
	        "vqd VmRSS %lld -> %lld kB\n",
	        FLOOD_TOTAL, s, db0, db1, rss0, rss1);
	CHECK(db1 - db0 < 100 * 1024, "the database grew by %lld bytes", db1 - db0);
	CHECK(rss1 - rss0 < 1024, "vqd's resident memory grew by %lld kB", rss1 - rss0);
	CHECK(vqs_vqd_alive(site), "vqd died");
	for (int i = 4; i >= 0; i--)
		vq_bus_free(buses[i]);
	free(cfg);
}
END_TEST

static Suite *requests_suite(void)
{
	Suite *s = suite_create("requests");
	TCase *tc = tcase_create("site");
	tcase_add_unchecked_fixture(tc, suite_setup, suite_teardown);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_rid_bound);
	tcase_add_test(tc, test_refusals_not_stored);
	tcase_add_test(tc, test_flood_bounded);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(requests_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
