/* tests/test_web.c — the phones' side of vqd (coordinator/handlers_web.c) and of the
 * broker (broker-config/mosquitto-web.conf.in, acl-web), end to end: a real site broker,
 * a real web broker bridged to it as web-1, and real vqd.
 *
 * A phone here is an anonymous bus on the web broker whose client id is 32 hex digits,
 * exactly as the page makes one (web/src/lib/link.js). What is checked: the ticket a code
 * names, and nothing a phone should not see; forged and altered codes refused; give-back
 * by code (idempotent by rid, the kiosk's held count drops); the rate limits; requests
 * that are not a visitor's own are not answered; the web broker lets a phone read only
 * the public state and its own replies; and a phone calling itself "vqd" cannot throw
 * vqd off the site broker.
 */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bus/bus.h"
#include "bus/busopt.h"
#include "support/tutil.h"
#include "support/vqsite.h"

#define WAIT_MS   5000
#define SILENT_MS 1500 /* how long "no answer" is waited for */

static vqs_site *site;

#define CHECK(cond, ...) VQS_CHECK(site, cond, __VA_ARGS__)

static void suite_setup(void)
{
	tu_scratch_begin("web-tests");
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

static void up(const char *const *vqd_args)
{
	vqs_opts o = {.web = true, .args = vqd_args};
	int rc = vqs_start(&o, &site);
	ck_assert_msg(rc == VQ_OK, "site did not start: %s", vq_strerror(rc));
}

static vq_bus *phone(const char *visitor)
{
	vq_bus *b = vqs_phone_bus(site, visitor, NULL);
	CHECK(b != NULL, "no phone bus %s", visitor);
	return b;
}

/* A phone's request: web/svc/<verb>/<its own id> (the bus adds the id). rc is vqs_call's;
 * *raw the reply text. */
static int web_call(vq_bus *b, const char *verb, int timeout_ms, cJSON **reply, char **raw,
                    const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static int web_call(vq_bus *b, const char *verb, int timeout_ms, cJSON **reply, char **raw,
                    const char *fmt, ...)
{
	char body[2048], svc[128];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(body, sizeof body, fmt, ap);
	va_end(ap);
	snprintf(svc, sizeof svc, "web/svc/%s", verb);
	size_t rawlen;
	*reply = NULL;
	return vqs_call(b, svc, body, (size_t)n, timeout_ms, reply, raw, raw ? &rawlen : NULL);
}

static cJSON *web(vq_bus *b, const char *verb, const char *rid, const char *code)
{
	cJSON *r = NULL;
	int rc = web_call(b, verb, WAIT_MS, &r, NULL, "{\"v\":1,\"rid\":\"%s\",\"code\":\"%s\"}",
	                  rid, code);
	CHECK(rc == VQ_OK, "%s: no reply (%s)", verb, vq_strerror(rc));
	return r;
}

/* A ticket from kiosk-1 for card (party 2 at the coaster); its code into code. */
static void issue(vq_bus *kiosk, const char *rid, const char *card, char *code, size_t codelen)
{
	cJSON *r = vqs_callf(kiosk, "svc/issue",
	                     "{\"v\":1,\"rid\":\"%s\",\"card\":\"%s\",\"attraction\":\"coaster\","
	                     "\"party\":2}",
	                     rid, card);
	CHECK(r && vqs_ok(r), "issue: %s", vqs_js(r));
	const char *c = vqs_str(r, "ticket.code");
	CHECK(c != NULL, "issue without a code: %s", vqs_js(r));
	snprintf(code, codelen, "%s", c);
	cJSON_Delete(r);
}

static int held(vq_bus *kiosk, const char *rid, const char *card)
{
	cJSON *r =
	    vqs_callf(kiosk, "svc/identify", "{\"v\":1,\"rid\":\"%s\",\"card\":\"%s\"}", rid, card);
	CHECK(r && vqs_ok(r), "identify: %s", vqs_js(r));
	int n = cJSON_GetArraySize(vqs_get(r, "held"));
	cJSON_Delete(r);
	return n;
}

/* The code with one base32 character of its body changed (still well formed). */
static void alter(char *code)
{
	size_t n = strlen(code);
	char *c = &code[n / 2];
	*c = *c == 'A' ? 'B' : 'A';
}

#define PHONE_A "0123456789abcdef0123456789abcdef"
#define PHONE_B "fedcba9876543210fedcba9876543210"

/* --- the ticket a code names ---------------------------------------------------------- */

START_TEST(test_ticket_by_code)
{
	up(NULL);
	vq_bus *kiosk = vqs_bus(site, "kiosk-1", NULL);
	vq_bus *p = phone(PHONE_A);
	char code[VQ_CODE_MAX];
	issue(kiosk, "k-1", "card-1", code, sizeof code);

	cJSON *r = web(p, "ticket", "p-1", code);
	CHECK(vqs_ok(r), "lookup refused: %s", vqs_js(r));
	int64_t start, end, party, now, from;
	CHECK(vqs_str(r, "ticket.number") && !strcmp(vqs_str(r, "ticket.number"), "C-001"),
	      "number: %s", vqs_js(r));
	CHECK(!strcmp(vqs_str(r, "ticket.attraction"), "coaster") &&
	          !strcmp(vqs_str(r, "ticket.state"), "issued") &&
	          !strcmp(vqs_str(r, "ticket.tier"), "standard"),
	      "ticket: %s", vqs_js(r));
	CHECK(vqs_int(r, "ticket.party", &party) && party == 2, "party: %s", vqs_js(r));
	/* the first slot after 10:01 is 10:15, a 60-minute window, 30 minutes' early grace */
	CHECK(vqs_int(r, "ticket.start", &start) && start == VQS_TEN_AM + 15 * 60 &&
	          vqs_int(r, "ticket.end", &end) && end == start + 3600,
	      "window: %s", vqs_js(r));
	CHECK(vqs_int(r, "ticket.admit.from", &from) && from == start - 30 * 60, "admit: %s",
	      vqs_js(r));
	CHECK(vqs_int(r, "clock.now", &now) && now >= VQS_CLOCK_START && now < VQS_CLOCK_START + 60,
	      "clock: %s", vqs_js(r));
	/* nothing a phone has no use for: not the ticket id, the code, a guest or a gate */
	CHECK(!vqs_get(r, "ticket.id") && !vqs_get(r, "ticket.code") &&
	          !vqs_get(r, "ticket.guest") && !vqs_get(r, "ticket.used_gate"),
	      "says too much: %s", vqs_js(r));
	cJSON_Delete(r);

	/* admitted at the gate: the phone sees it used */
	vq_bus *gate = vqs_bus(site, "gate-1", NULL);
	r = vqs_callf(gate, "svc/redeem",
	              "{\"v\":1,\"rid\":\"g-1\",\"code\":\"%s\",\"attraction\":\"coaster\"}", code);
	CHECK(r && vqs_ok(r), "redeem: %s", vqs_js(r));
	cJSON_Delete(r);
	r = web(p, "ticket", "p-2", code);
	int64_t used;
	CHECK(vqs_ok(r) && !strcmp(vqs_str(r, "ticket.state"), "redeemed") &&
	          vqs_int(r, "ticket.used_at", &used) && !vqs_get(r, "ticket.used_gate"),
	      "after redeem: %s", vqs_js(r));
	cJSON_Delete(r);
	vq_bus_free(gate);
	vq_bus_free(p);
	vq_bus_free(kiosk);
}
END_TEST

START_TEST(test_forged_codes)
{
	up(NULL);
	vq_bus *kiosk = vqs_bus(site, "kiosk-1", NULL);
	vq_bus *p = phone(PHONE_A);
	char code[VQ_CODE_MAX], bad[VQ_CODE_MAX];
	issue(kiosk, "k-1", "card-1", code, sizeof code);

	snprintf(bad, sizeof bad, "%s", code);
	alter(bad);
	cJSON *r = web(p, "ticket", "p-1", bad);
	CHECK(!strcmp(vqs_errcode(r), "forged") || !strcmp(vqs_errcode(r), "malformed_code"),
	      "altered code: %s", vqs_js(r));
	CHECK(!vqs_get(r, "ticket"), "an altered code shows a ticket: %s", vqs_js(r));
	cJSON_Delete(r);
	r = web(p, "giveback", "p-2", bad);
	CHECK(!strcmp(vqs_errcode(r), "forged") || !strcmp(vqs_errcode(r), "malformed_code"),
	      "altered give-back: %s", vqs_js(r));
	cJSON_Delete(r);
	r = web(p, "ticket", "p-3", "VQ1:NOTACODE");
	CHECK(!strcmp(vqs_errcode(r), "malformed_code"), "garbage: %s", vqs_js(r));
	cJSON_Delete(r);
	r = web(p, "ticket", "p-4", "");
	CHECK(!strcmp(vqs_errcode(r), "bad_request") && strstr(vqs_str(r, "error.message"), "code"),
	      "empty code: %s", vqs_js(r));
	cJSON_Delete(r);
	/* the altered ticket is still there, untouched */
	CHECK(held(kiosk, "k-2", "card-1") == 1, "the ticket changed");
	vq_bus_free(p);
	vq_bus_free(kiosk);
}
END_TEST

/* --- give-back ------------------------------------------------------------------------ */

START_TEST(test_giveback)
{
	up(NULL);
	vq_bus *kiosk = vqs_bus(site, "kiosk-1", NULL);
	vq_bus *p = phone(PHONE_A);
	char code[VQ_CODE_MAX];
	issue(kiosk, "k-1", "card-1", code, sizeof code);
	CHECK(held(kiosk, "k-2", "card-1") == 1, "held before");

	cJSON *r = NULL;
	char *first = NULL, *again = NULL;
	int rc = web_call(p, "giveback", WAIT_MS, &r, &first,
	                  "{\"v\":1,\"rid\":\"g-1\",\"code\":\"%s\"}", code);
	CHECK(rc == VQ_OK && vqs_ok(r) && !strcmp(vqs_str(r, "ticket.state"), "cancelled"),
	      "give-back: %s", vqs_js(r));
	cJSON_Delete(r);
	CHECK(held(kiosk, "k-3", "card-1") == 0, "the kiosk still counts the ticket");

	/* the same request again (a phone that lost the answer): the same answer */
	rc = web_call(p, "giveback", WAIT_MS, &r, &again,
	              "{\"v\":1,\"rid\":\"g-1\",\"code\":\"%s\"}", code);
	CHECK(rc == VQ_OK && !strcmp(first, again), "retry answered differently:\n%s\n%s", first,
	      again);
	cJSON_Delete(r);
	free(first);
	free(again);
	/* a new request: it is gone */
	r = web(p, "giveback", "g-2", code);
	CHECK(!strcmp(vqs_errcode(r), "bad_state"), "second give-back: %s", vqs_js(r));
	cJSON_Delete(r);
	r = web(p, "ticket", "t-1", code);
	CHECK(vqs_ok(r) && !strcmp(vqs_str(r, "ticket.state"), "cancelled"), "after: %s",
	      vqs_js(r));
	cJSON_Delete(r);

	/* the seats are free again: the coaster's taken count went back to 0 */
	int64_t n = -1;
	CHECK(vqs_db_int(site, "SELECT count(*) FROM tickets WHERE state = 2", &n) == VQ_OK &&
	          n == 1,
	      "cancelled tickets in the store: %lld", (long long)n);
	vq_bus_free(p);
	vq_bus_free(kiosk);
}
END_TEST

/* --- rate limits ---------------------------------------------------------------------- */

START_TEST(test_rate_limits)
{
	up((const char *const[]){"--web-limit", "0.2/3", "--web-limit-site", "0.5/5", NULL});
	vq_bus *kiosk = vqs_bus(site, "kiosk-1", NULL);
	vq_bus *a = phone(PHONE_A), *b = phone(PHONE_B);
	char code[VQ_CODE_MAX];
	issue(kiosk, "k-1", "card-1", code, sizeof code);

	char rid[32];
	for (int i = 0; i < 3; i++) {
		snprintf(rid, sizeof rid, "a-%d", i);
		cJSON *r = web(a, "ticket", rid, code);
		CHECK(vqs_ok(r), "request %d of a burst of 3: %s", i, vqs_js(r));
		cJSON_Delete(r);
	}
	cJSON *r = web(a, "ticket", "a-3", code);
	int64_t after;
	CHECK(!strcmp(vqs_errcode(r), "rate_limited") &&
	          vqs_int(r, "error.retry_after_ms", &after) && after > 0 && after <= 5000,
	      "the visitor's fourth: %s", vqs_js(r));
	cJSON_Delete(r);
	/* a limited give-back is not remembered: once allowed, the same rid is decided */
	r = web(a, "giveback", "gb-1", code);
	CHECK(!strcmp(vqs_errcode(r), "rate_limited"), "limited give-back: %s", vqs_js(r));
	cJSON_Delete(r);

	/* another visitor has its own bucket, but the site's (5) is nearly spent */
	r = web(b, "ticket", "b-1", code);
	CHECK(vqs_ok(r), "another visitor: %s", vqs_js(r));
	cJSON_Delete(r);
	r = web(b, "ticket", "b-2", code);
	CHECK(vqs_ok(r), "another visitor, second: %s", vqs_js(r));
	cJSON_Delete(r);
	r = web(b, "ticket", "b-3", code);
	CHECK(!strcmp(vqs_errcode(r), "rate_limited"), "the site's sixth: %s", vqs_js(r));
	cJSON_Delete(r);

	/* kiosks are not phones: unaffected */
	CHECK(held(kiosk, "k-2", "card-1") == 1, "kiosk");
	/* the operators see how many were turned away */
	vq_bus *op = vqs_bus(site, "ops-1", NULL);
	r = vqs_callf(op, "svc/ops", "{\"v\":1,\"rid\":\"s-1\",\"cmd\":\"stats\"}");
	int64_t limited = -1;
	CHECK(r && vqs_int(r, "web_rate_limited", &limited) && limited == 3, "stats: %s",
	      vqs_js(r));
	cJSON_Delete(r);
	vq_bus_free(op);

	/* the visitor's bucket refills at 0.2/s: in 5 s one more */
	struct timespec ts = {5, 200 * 1000 * 1000};
	nanosleep(&ts, NULL);
	r = web(a, "giveback", "gb-1", code);
	CHECK(vqs_ok(r), "give-back after the wait: %s", vqs_js(r));
	cJSON_Delete(r);
	vq_bus_free(a);
	vq_bus_free(b);
	vq_bus_free(kiosk);
}
END_TEST

/* --- who may ask, and where the answer goes --------------------------------------------- */

/* A bus on the site broker as an account of the bridge's role (web-2: web-1 is the
 * running bridge's, which a second connection would throw off) whose requests name
 * visitor and whose reply topic is reply_to (a suffix): what a bridge that lied could
 * send. */
static vq_bus *bridge_as(const char *visitor, const char *reply_to)
{
	char password[256], role[VQ_BUS_ID_MAX];
	CHECK(vq_busopt_credentials(vqs_credentials(site), "web-2", password, sizeof password, role,
	                            sizeof role) == VQ_OK,
	      "no web-2");
	vq_bus_opts o = {.port = vqs_port(site),
	                 .username = "web-2",
	                 .password = password,
	                 .client_id = visitor,
	                 .site = VQS_SITE,
	                 .reply_suffix = reply_to,
	                 .no_presence = true};
	vq_bus *b = NULL;
	int rc = vq_bus_new(&o, &b);
	if (rc == VQ_OK)
		rc = vq_bus_start(b);
	if (rc == VQ_OK)
		rc = vq_bus_wait_connected(b, WAIT_MS);
	CHECK(rc == VQ_OK, "bridge bus: %s", vq_strerror(rc));
	return b;
}

START_TEST(test_only_own_requests)
{
	up(NULL);
	vq_bus *kiosk = vqs_bus(site, "kiosk-1", NULL);
	vq_bus *a = phone(PHONE_A);
	vq_bus *b = vqs_phone_bus(site, PHONE_B, (const char *const[]){"web/reply/+", NULL});
	CHECK(b != NULL, "no phone B");
	char code[VQ_CODE_MAX], body[512];
	issue(kiosk, "k-1", "card-1", code, sizeof code);
	cJSON *r = NULL;

	/* the web broker refuses a phone's request on another visitor's topic: nothing reaches
	 * vqd, and nothing comes back to either */
	int n = snprintf(body, sizeof body, "{\"v\":1,\"rid\":\"x-1\",\"code\":\"%s\"}", code);
	vq_bus_stats st0, st1;
	vq_bus_get_stats(a, &st0);
	CHECK(vq_bus_publish(a, "web/svc/ticket/" PHONE_B, body, (size_t)n, 1, false) == VQ_OK,
	      "publish");
	cJSON *none = vqs_wait_json(b, "web/reply/" PHONE_B, NULL, NULL, SILENT_MS);
	vq_bus_get_stats(a, &st1);
	CHECK(!none && st1.pub_refused == st0.pub_refused + 1,
	      "another visitor's topic: refused %llu -> %llu, reply %s",
	      (unsigned long long)st0.pub_refused, (unsigned long long)st1.pub_refused,
	      vqs_js(none));
	/* nor a kiosk's verb */
	static const char identify[] = "{\"v\":1,\"rid\":\"x-2\",\"card\":\"card-1\"}";
	int rc = vqs_call(a, "svc/identify", identify, strlen(identify), SILENT_MS, &r, NULL, NULL);
	CHECK(rc == VQ_EDENIED, "a phone asked identify: %s", vq_strerror(rc));

	/* a client id that is not 32 hex digits: let through by the broker, not answered */
	vq_bus *odd = vqs_phone_bus(site, "kiosk-1", NULL);
	CHECK(odd != NULL, "no bus");
	rc = web_call(odd, "ticket", SILENT_MS, &r, NULL,
	              "{\"v\":1,\"rid\":\"x-3\",\"code\":\"%s\"}", code);
	CHECK(rc == VQ_ETIMEOUT, "odd visitor id answered: %s %s", vq_strerror(rc), vqs_js(r));
	cJSON_Delete(r);
	vq_bus_free(odd);

	/* on the site broker, the bridge's account asking as visitor A but answered at B's */
	vq_bus *liar = bridge_as(PHONE_A, "web/reply/" PHONE_B);
	rc = web_call(liar, "ticket", SILENT_MS, &r, NULL,
	              "{\"v\":1,\"rid\":\"x-4\",\"code\":\"%s\"}", code);
	CHECK(rc == VQ_ETIMEOUT, "a reply topic not the visitor's: %s %s", vq_strerror(rc),
	      vqs_js(r));
	cJSON_Delete(r);
	none = vqs_wait_json(b, "web/reply/" PHONE_B, NULL, NULL, 200);
	CHECK(!none, "B got A's answer: %s", vqs_js(none));
	/* and it may not ask a kiosk's question */
	rc = vqs_call(liar, "svc/identify", identify, strlen(identify), SILENT_MS, &r, NULL, NULL);
	CHECK(rc == VQ_EDENIED, "the bridge asked identify: %s", vq_strerror(rc));
	vq_bus_free(liar);
	vq_bus_free(b);
	vq_bus_free(a);
	vq_bus_free(kiosk);
}
END_TEST

/* What a phone receives when it subscribes to everything: the site and what a guest sees
 * of each attraction, its bridge's state, vqd's presence; never a device's reply, an
 * event, another presence, nor the boards' full state. */
START_TEST(test_phone_reads_public_only)
{
	up(NULL);
	vq_bus *kiosk = vqs_bus(site, "kiosk-1", NULL);
	vq_bus *gate = vqs_bus(site, "gate-1", NULL);
	vq_bus *p = vqs_phone_bus(site, PHONE_A, (const char *const[]){"#", NULL});
	CHECK(p != NULL, "no phone");
	char code[VQ_CODE_MAX];
	issue(kiosk, "k-1", "card-1", code, sizeof code);
	cJSON *r =
	    vqs_callf(gate, "svc/redeem",
	              "{\"v\":1,\"rid\":\"g-1\",\"code\":\"%s\",\"attraction\":\"coaster\"}", code);
	CHECK(r && vqs_ok(r), "redeem: %s", vqs_js(r));
	cJSON_Delete(r);

	int state = 0, site_state = 0;
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct timespec t;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 > 2000)
			break;
		vq_bus_msg *m = NULL;
		size_t n = 0;
		vq_bus_poll(p, &m, 1, &n, 100);
		if (!n)
			continue;
		if (m->kind == VQ_BUS_MESSAGE) {
			const char *sfx = m->suffix;
			CHECK(!strcmp(sfx, "state/_site") || !strncmp(sfx, "web/state/", 10) ||
			          !strcmp(sfx, "presence/vqd") || !strcmp(sfx, "web/bridge"),
			      "a phone received %s", m->topic);
			state += !strcmp(sfx, "web/state/coaster");
			site_state += !strcmp(sfx, "state/_site");
		}
		vq_bus_msg_free(m);
	}
	CHECK(state > 0 && site_state > 0, "no public state reached the phone (%d, %d)", state,
	      site_state);
	vq_bus_free(p);
	vq_bus_free(gate);
	vq_bus_free(kiosk);
}
END_TEST

/* Phones hear of what a guest sees (a closure) at once, not of every ticket issued. */
START_TEST(test_web_state_changes_only)
{
	up(NULL);
	vq_bus *kiosk = vqs_bus(site, "kiosk-1", NULL);
	vq_bus *op = vqs_bus(site, "ops-1", NULL);
	vq_bus *board = vqs_bus(site, "board-1", (const char *const[]){"state/coaster", NULL});
	vq_bus *p = vqs_phone_bus(site, PHONE_A, (const char *const[]){"web/state/coaster", NULL});
	CHECK(p != NULL, "no phone");
	cJSON *first = vqs_wait_json(p, "web/state/coaster", NULL, NULL, WAIT_MS);
	CHECK(first && !strcmp(vqs_str(first, "status"), "open") && vqs_str(first, "names.en") &&
	          !vqs_get(first, "capacity") && !vqs_get(first, "next"),
	      "a phone's view of the coaster: %s", vqs_js(first));
	cJSON_Delete(first);
	char code[VQ_CODE_MAX], card[32];
	for (int i = 0; i < 5; i++) {
		snprintf(card, sizeof card, "card-%d", i);
		char rid[16];
		snprintf(rid, sizeof rid, "k-%d", i);
		issue(kiosk, rid, card, code, sizeof code);
	}
	/* boards see the seats taken; phones nothing new */
	cJSON *b = vqs_wait_json(board, "state/coaster", NULL, NULL, WAIT_MS);
	CHECK(b != NULL, "the board heard nothing");
	cJSON_Delete(b);
	cJSON *none = vqs_wait_json(p, "web/state/coaster", NULL, NULL, 1000);
	CHECK(none == NULL, "a phone was told of tickets: %s", vqs_js(none));
	cJSON *r =
	    vqs_callf(op, "svc/ops",
	              "{\"v\":1,\"rid\":\"o-1\",\"cmd\":\"close\",\"attraction\":\"coaster\"}");
	CHECK(r && vqs_ok(r), "close: %s", vqs_js(r));
	cJSON_Delete(r);
	cJSON *closed = vqs_wait_json(p, "web/state/coaster", NULL, NULL, 2000);
	int64_t at = 0;
	CHECK(closed && !strcmp(vqs_str(closed, "status"), "closed") &&
	          vqs_int(closed, "closed_at", &at) && at > 0,
	      "the closure: %s", vqs_js(closed));
	cJSON_Delete(closed);
	vq_bus_free(p);
	vq_bus_free(board);
	vq_bus_free(op);
	vq_bus_free(kiosk);
}
END_TEST

/* Client ids are one namespace per broker: on the site broker an anonymous "vqd" would
 * disconnect vqd. On the web broker it is just another phone. */
START_TEST(test_phone_cannot_take_over_vqd)
{
	up(NULL);
	vq_bus *kiosk = vqs_bus(site, "kiosk-1", NULL);
	vq_bus *impostor = vqs_phone_bus(site, "vqd", NULL);
	CHECK(impostor != NULL, "the web broker refused a phone named vqd");
	CHECK(vqs_wait_presence(site, false, 1500) == VQ_ETIMEOUT, "vqd went offline");
	char code[VQ_CODE_MAX];
	issue(kiosk, "k-1", "card-1", code, sizeof code);
	vq_bus_free(impostor);
	vq_bus_free(kiosk);
}
END_TEST

static Suite *web_suite(void)
{
	Suite *s = suite_create("web");
	TCase *tc = tcase_create("phones");
	tcase_add_unchecked_fixture(tc, suite_setup, suite_teardown);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_ticket_by_code);
	tcase_add_test(tc, test_forged_codes);
	tcase_add_test(tc, test_giveback);
	tcase_add_test(tc, test_rate_limits);
	tcase_add_test(tc, test_only_own_requests);
	tcase_add_test(tc, test_phone_reads_public_only);
	tcase_add_test(tc, test_web_state_changes_only);
	tcase_add_test(tc, test_phone_cannot_take_over_vqd);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(web_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
