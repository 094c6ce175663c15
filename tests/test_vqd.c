/* tests/test_vqd.c — vqd end to end: the real broker with the site's ACL, the real vqd
 * binary, clients speaking docs/protocol.md through the bus.
 *
 * Every test gets its own site (tests/support/vqsite.h): accounts, broker, a fresh
 * database and vqd on a fixed clock (2027-01-01 10:01 UTC, real speed), so nothing
 * depends on the time of day or on another test. What a test checks is the wire
 * protocol, not vqd's insides; the database is read only to count what the protocol
 * cannot show (a ticket made twice, a second admission).
 *
 * Check forks every test; its teardown does not run after a failed assertion, so the
 * site's children die with the test process (PR_SET_PDEATHSIG) and every folder lives
 * under one made by the runner, which removes it whatever happened. Failures go
 * through CHECK, which copies vqd's log to stderr first (and, unlike ck_assert,
 * reports nothing when it passes, so it is cheap in loops). Waits have deadlines.
 */
#include <check.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bus/bus.h"
#include "core/code.h"
#include "support/tutil.h"
#include "support/vqsite.h"

#define WAIT_MS       5000
#define QUIET_MS      500 /* how long "nothing arrives" is watched */
#define RACE_ROUND    15
#define BURST_ACKS    200
#define BURST_THREADS 4
#define BURST_MAX     2000 /* requests per thread, far above what one burst gets to */

static vqs_site *site;

#define CHECK(cond, ...) VQS_CHECK(site, cond, __VA_ARGS__)

/* --- fixtures --------------------------------------------------------------------- */

static void suite_setup(void)
{
	tu_scratch_begin("vqd-tests");
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

static vq_bus *bus(const char *account, const char *const *subs)
{
	vq_bus *b = vqs_bus(site, account, subs);
	CHECK(b != NULL, "no bus for %s", account);
	return b;
}

/* --- requests ------------------------------------------------------------------------ */

/* JSON text for a message; a few rotating buffers, main thread only. */
static cJSON *vcall(vq_bus *b, const char *svc, char **raw, size_t *rawlen, const char *fmt,
                    va_list ap)
{
	char body[8192];
	int n = vsnprintf(body, sizeof body, fmt, ap);
	CHECK(n > 0 && (size_t)n < sizeof body, "request too long for the helper");
	cJSON *reply = NULL;
	int rc = vqs_call(b, svc, body, (size_t)n, WAIT_MS, &reply, raw, rawlen);
	CHECK(rc == VQ_OK, "%s as %s: %s -> %s", svc, vq_bus_client_id(b), body, vq_strerror(rc));
	return reply;
}

/* A request whose reply must come (ok or refusal) and be well formed. */
__attribute__((format(printf, 3, 4))) static cJSON *call(vq_bus *b, const char *svc,
                                                         const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	cJSON *r = vcall(b, svc, NULL, NULL, fmt, ap);
	va_end(ap);
	return r;
}

/* The same, keeping the reply's bytes. */
__attribute__((format(printf, 5, 6))) static cJSON *call_raw(vq_bus *b, const char *svc, char **raw,
                                                             size_t *rawlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	cJSON *r = vcall(b, svc, raw, rawlen, fmt, ap);
	va_end(ap);
	return r;
}

static void expect_ok(const cJSON *r, const char *what)
{
	CHECK(vqs_ok(r), "%s: expected ok, got %s", what, vqs_js(r));
}

static void expect_err(const cJSON *r, const char *code, const char *what)
{
	CHECK(!vqs_ok(r) && strcmp(vqs_errcode(r), code) == 0, "%s: expected error %s, got %s",
	      what, code, vqs_js(r));
}

static int64_t get_int(const cJSON *j, const char *path, const char *what)
{
	int64_t v = 0;
	CHECK(vqs_int(j, path, &v), "%s: no integer %s in %s", what, path, vqs_js(j));
	return v;
}

static const char *get_str(const cJSON *j, const char *path, const char *what)
{
	const char *s = vqs_str(j, path);
	CHECK(s != NULL, "%s: no string %s in %s", what, path, vqs_js(j));
	return s;
}

static void import_members(vq_bus *ops, const char *members)
{
	cJSON *r =
	    call(ops, "svc/ops",
	         "{\"v\":1,\"rid\":\"import-%lld\",\"cmd\":\"members_import\",\"members\":%s}",
	         tu_mono_ms(), members);
	expect_ok(r, "members_import");
	cJSON_Delete(r);
}

/* Takes a ticket; returns the whole reply (the caller deletes it). */
static cJSON *issue(vq_bus *k, const char *rid, const char *card, const char *attr, int party)
{
	cJSON *r =
	    call(k, "svc/issue",
	         "{\"v\":1,\"rid\":\"%s\",\"card\":\"%s\",\"attraction\":\"%s\",\"party\":%d}", rid,
	         card, attr, party);
	expect_ok(r, rid);
	return r;
}

static cJSON *redeem(vq_bus *g, const char *rid, const char *code, const char *attr)
{
	return call(g, "svc/redeem",
	            "{\"v\":1,\"rid\":\"%s\",\"code\":\"%s\",\"attraction\":\"%s\"}", rid, code,
	            attr);
}

/* A ticket object as docs/protocol.md describes it. */
static void check_ticket(const cJSON *t, const char *attr, const char *prefix, const char *tier,
                         int party, const char *state)
{
	CHECK(cJSON_IsObject(t), "ticket is not an object: %s", vqs_js(t));
	CHECK(get_int(t, "id", "ticket") > 0, "ticket id: %s", vqs_js(t));
	const char *num = get_str(t, "number", "ticket");
	size_t pl = strlen(prefix);
	CHECK(strncmp(num, prefix, pl) == 0 && num[pl] == '-' && num[pl + 1] >= '0' &&
	          num[pl + 1] <= '9' && strspn(num + pl + 1, "0123456789") == strlen(num + pl + 1),
	      "ticket number %s is not %s-NNN", num, prefix);
	CHECK(strcmp(get_str(t, "attraction", "ticket"), attr) == 0, "ticket attraction: %s",
	      vqs_js(t));
	CHECK(strcmp(get_str(t, "tier", "ticket"), tier) == 0, "ticket tier: %s", vqs_js(t));
	CHECK(get_int(t, "party", "ticket") == party, "ticket party: %s", vqs_js(t));
	int64_t start = get_int(t, "start", "ticket"), end = get_int(t, "end", "ticket");
	CHECK(start < end && start % 60 == 0 && end % 60 == 0, "ticket window: %s", vqs_js(t));
	CHECK(strcmp(get_str(t, "state", "ticket"), state) == 0, "ticket state %s wanted: %s",
	      state, vqs_js(t));
	/* A cancelled or redeemed ticket's code admits nobody; vqd may leave it out. */
	if ((strcmp(state, "cancelled") == 0 || strcmp(state, "redeemed") == 0) &&
	    !vqs_get(t, "code"))
		return;
	const char *code = get_str(t, "code", "ticket");
	CHECK(strncmp(code, "VQ1:", 4) == 0 && strlen(code) < VQ_CODE_MAX, "ticket code: %s", code);
	/* QR alphanumeric mode: 0-9 A-Z space $ % * + - . / : */
	CHECK(strspn(code, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:") == strlen(code),
	      "ticket code has characters outside QR alphanumeric: %s", code);
}

/* The ticket's code verifies with the site's public keys and says what the ticket says. */
static void check_code(const cJSON *t, const vq_keyring *ring, int tier_index)
{
	const char *code = get_str(t, "code", "ticket");
	vq_claims c;
	int rc = vq_code_verify(code, strlen(code), ring, &c);
	CHECK(rc == VQ_OK, "code %s does not verify with state/_site's keys: %s", code,
	      vq_strerror(rc));
	const char *num = get_str(t, "number", "ticket");
	CHECK(strcmp(c.site, VQS_SITE) == 0, "claims site %s", c.site);
	CHECK(strcmp(c.attr, get_str(t, "attraction", "ticket")) == 0, "claims attraction %s",
	      c.attr);
	CHECK((int64_t)c.ticket_id == get_int(t, "id", "ticket"), "claims id %llu vs %s",
	      (unsigned long long)c.ticket_id, vqs_js(t));
	CHECK(c.win_start == get_int(t, "start", "ticket") &&
	          c.win_end == get_int(t, "end", "ticket"),
	      "claims window %lld..%lld vs %s", (long long)c.win_start, (long long)c.win_end,
	      vqs_js(t));
	CHECK(c.party == get_int(t, "party", "ticket"), "claims party %d", c.party);
	CHECK(c.tier == tier_index, "claims tier %d, want %d", c.tier, tier_index);
	CHECK(c.number == atoi(strchr(num, '-') + 1), "claims number %u vs %s", c.number, num);
}

static int array_len(const cJSON *j, const char *path)
{
	const cJSON *a = vqs_get(j, path);
	return cJSON_IsArray(a) ? cJSON_GetArraySize(a) : -1;
}

/* The quote for one attraction in a quote reply's "quotes". */
static const cJSON *quote_for(const cJSON *r, const char *attr)
{
	const cJSON *q;
	cJSON_ArrayForEach(q, vqs_get(r, "quotes"))
	{
		const char *a = vqs_str(q, "attraction");
		if (a && strcmp(a, attr) == 0)
			return q;
	}
	return NULL;
}

/* --- end to end ----------------------------------------------------------------------- */

static bool admission_of(const cJSON *j, void *arg)
{
	int64_t id;
	return vqs_int(j, "ticket", &id) && id == *(int64_t *)arg;
}

START_TEST(test_end_to_end)
{
	up(NULL);
	vq_bus *kiosk = bus("kiosk-1", NULL);
	vq_bus *gate = bus("gate-1", NULL);
	vq_bus *ops = bus("ops-1", NULL);
	vq_bus *board = bus("board-1", (const char *const[]){"events/admission", NULL});
	vq_keyring ring;
	CHECK(vqs_keyring(site, &ring, WAIT_MS) == VQ_OK, "no usable keys in state/_site");
	cJSON *st = vqs_site_state(site, WAIT_MS);
	CHECK(strcmp(get_str(st, "site", "state/_site"), VQS_SITE) == 0 &&
	          strcmp(get_str(st, "timezone", "state/_site"), "UTC") == 0 &&
	          array_len(st, "tiers") == 2 && array_len(st, "attractions") == 4,
	      "state/_site: %s", vqs_js(st));
	cJSON_Delete(st);

	import_members(ops, "[{\"card\":\"gold-1\",\"tier\":\"gold\"}]");
	cJSON *r = call(ops, "svc/ops",
	                "{\"v\":1,\"rid\":\"o-member\",\"cmd\":\"member\",\"card\":\"gold-1\"}");
	expect_ok(r, "ops member");
	CHECK(strcmp(get_str(r, "tier", "member"), "gold") == 0, "member: %s", vqs_js(r));
	cJSON_Delete(r);

	/* identify: a member, and a walk-in served as the lowest tier */
	r = call(kiosk, "svc/identify", "{\"v\":1,\"rid\":\"k-id-1\",\"card\":\"gold-1\"}");
	expect_ok(r, "identify gold-1");
	bool member = false;
	CHECK(strcmp(get_str(r, "tier", "identify"), "gold") == 0 &&
	          vqs_bool(r, "member", &member) && member &&
	          get_int(r, "max_passes", "identify") == 3 && array_len(r, "held") == 0,
	      "identify gold-1: %s", vqs_js(r));
	cJSON_Delete(r);
	r = call(kiosk, "svc/identify", "{\"v\":1,\"rid\":\"k-id-2\",\"card\":\"walk-in-1\"}");
	expect_ok(r, "identify walk-in");
	CHECK(strcmp(get_str(r, "tier", "identify"), "standard") == 0 &&
	          vqs_bool(r, "member", &member) && !member &&
	          get_int(r, "max_passes", "identify") == 2,
	      "identify walk-in-1: %s", vqs_js(r));
	cJSON_Delete(r);

	/* quote: every attraction, then one; the next coaster slot is 10:15 */
	r = call(kiosk, "svc/quote", "{\"v\":1,\"rid\":\"k-q-1\",\"card\":\"gold-1\",\"party\":2}");
	expect_ok(r, "quote all");
	CHECK(strcmp(get_str(r, "tier", "quote"), "gold") == 0 &&
	          get_int(r, "held", "quote") == 0 && get_int(r, "max_passes", "quote") == 3 &&
	          array_len(r, "quotes") == 4,
	      "quote: %s", vqs_js(r));
	const cJSON *q = quote_for(r, "coaster");
	bool qok = false;
	CHECK(q && vqs_bool(q, "ok", &qok) && qok, "coaster quote: %s", vqs_js(r));
	int64_t qstart = get_int(q, "start", "quote"), qend = get_int(q, "end", "quote");
	CHECK(qstart == VQS_TEN_AM + 15 * 60 && qend == qstart + 3600 &&
	          get_int(q, "seats_left", "quote") >= 0,
	      "coaster quote: %s", vqs_js(q));
	q = quote_for(r, "late");
	CHECK(q && vqs_bool(q, "ok", &qok) && qok &&
	          get_int(q, "start", "quote") == VQS_TEN_AM + 4 * 3600,
	      "late quote: %s", vqs_js(q));
	cJSON_Delete(r);
	r = call(kiosk, "svc/quote",
	         "{\"v\":1,\"rid\":\"k-q-2\",\"card\":\"gold-1\",\"party\":2,\"attraction\":"
	         "\"coaster\"}");
	expect_ok(r, "quote coaster");
	CHECK(array_len(r, "quotes") == 1 && quote_for(r, "coaster"), "quote coaster: %s",
	      vqs_js(r));
	cJSON_Delete(r);
	r = call(kiosk, "svc/quote", "{\"v\":1,\"rid\":\"k-q-3\",\"party\":1}");
	expect_ok(r, "quote without a card");
	CHECK(strcmp(get_str(r, "tier", "quote"), "standard") == 0, "quote no card: %s", vqs_js(r));
	cJSON_Delete(r);
	/* "what if": a standard guest's party quoted as gold gets gold's answer */
	r = call(kiosk, "svc/quote",
	         "{\"v\":1,\"rid\":\"k-q-4\",\"card\":\"walk-in-1\",\"party\":2,\"tier\":\"gold\","
	         "\"attraction\":\"coaster\"}");
	expect_ok(r, "quote as another tier");
	q = quote_for(r, "coaster");
	CHECK(strcmp(get_str(r, "tier", "quote"), "gold") == 0 && q &&
	          get_int(q, "start", "quote") == qstart,
	      "quote as gold: %s", vqs_js(r));
	cJSON_Delete(r);
	r = call(kiosk, "svc/quote", "{\"v\":1,\"rid\":\"k-q-5\",\"party\":2,\"tier\":\"bronze\"}");
	expect_err(r, "unknown_tier", "quote as an unknown tier");
	CHECK(strstr(get_str(r, "error.message", "quote"), "tier"), "names the field: %s",
	      vqs_js(r));
	cJSON_Delete(r);
	r = call(kiosk, "svc/quote", "{\"v\":1,\"rid\":\"k-q-6\",\"party\":2,\"tier\":3}");
	expect_err(r, "bad_request", "quote with a tier that is not a string");
	cJSON_Delete(r);

	/* issue: the quoted window, a code that verifies with the public key */
	cJSON *i1 = issue(kiosk, "k-iss-1", "gold-1", "coaster", 2);
	const cJSON *t1 = vqs_get(i1, "ticket");
	check_ticket(t1, "coaster", "C", "gold", 2, "issued");
	check_code(t1, &ring, 1);
	CHECK(get_int(t1, "start", "t1") == qstart && get_int(t1, "end", "t1") == qend,
	      "issued window differs from the quote: %s", vqs_js(t1));
	int64_t id1 = get_int(t1, "id", "t1");
	r = call(kiosk, "svc/identify", "{\"v\":1,\"rid\":\"k-id-3\",\"card\":\"gold-1\"}");
	CHECK(array_len(r, "held") == 1 && get_int(r, "held.0.id", "held") == id1,
	      "identify after issue: %s", vqs_js(r));
	cJSON_Delete(r);

	/* cancel: not by another card; then by its own; not twice */
	r = call(kiosk, "svc/cancel",
	         "{\"v\":1,\"rid\":\"k-c-1\",\"card\":\"walk-in-1\",\"ticket\":%lld}",
	         (long long)id1);
	expect_err(r, "unknown_ticket", "cancel by another card");
	cJSON_Delete(r);
	r = call(kiosk, "svc/cancel",
	         "{\"v\":1,\"rid\":\"k-c-2\",\"card\":\"gold-1\",\"ticket\":%lld}", (long long)id1);
	expect_ok(r, "cancel");
	check_ticket(vqs_get(r, "ticket"), "coaster", "C", "gold", 2, "cancelled");
	cJSON_Delete(r);
	r = call(kiosk, "svc/cancel",
	         "{\"v\":1,\"rid\":\"k-c-3\",\"card\":\"gold-1\",\"ticket\":%lld}", (long long)id1);
	expect_err(r, "bad_state", "cancel twice");
	cJSON_Delete(r);
	r = redeem(gate, "g-r-1", get_str(t1, "code", "t1"), "coaster");
	expect_err(r, "cancelled", "redeem a cancelled ticket");
	cJSON_Delete(r);

	/* redeem: wrong attraction, admit, already used */
	cJSON *i2 = issue(kiosk, "k-iss-2", "gold-1", "coaster", 2);
	const cJSON *t2 = vqs_get(i2, "ticket");
	check_ticket(t2, "coaster", "C", "gold", 2, "issued");
	check_code(t2, &ring, 1);
	int64_t id2 = get_int(t2, "id", "t2");
	CHECK(id2 != id1, "two tickets with id %lld", (long long)id2);
	const char *code2 = get_str(t2, "code", "t2");
	r = redeem(gate, "g-r-2", code2, "flume");
	expect_err(r, "wrong_attraction", "redeem at another attraction");
	CHECK(strcmp(get_str(r, "error.ticket_attraction", "wrong_attraction"), "coaster") == 0,
	      "wrong_attraction details: %s", vqs_js(r));
	cJSON_Delete(r);
	r = redeem(gate, "g-r-3", code2, "coaster");
	expect_ok(r, "redeem");
	bool admit = false;
	CHECK(vqs_bool(r, "admit", &admit) && admit, "redeem without admit:true: %s", vqs_js(r));
	check_ticket(vqs_get(r, "ticket"), "coaster", "C", "gold", 2, "redeemed");
	CHECK(strcmp(get_str(r, "ticket.used_gate", "redeem"), "gate-1") == 0 &&
	          get_int(r, "ticket.used_at", "redeem") >= VQS_CLOCK_START,
	      "redeemed ticket: %s", vqs_js(r));
	cJSON_Delete(r);
	cJSON *ev = vqs_wait_json(board, "events/admission", admission_of, &id2, WAIT_MS);
	CHECK(ev, "no events/admission for ticket %lld", (long long)id2);
	CHECK(strcmp(get_str(ev, "attraction", "event"), "coaster") == 0 &&
	          strcmp(get_str(ev, "gate", "event"), "gate-1") == 0 &&
	          strcmp(get_str(ev, "number", "event"), get_str(t2, "number", "t2")) == 0 &&
	          get_int(ev, "v", "event") == 1,
	      "events/admission: %s", vqs_js(ev));
	cJSON_Delete(ev);
	r = redeem(gate, "g-r-4", code2, "coaster");
	expect_err(r, "already_used", "redeem twice");
	CHECK(strcmp(get_str(r, "error.used_gate", "already_used"), "gate-1") == 0 &&
	          get_int(r, "error.used_at", "already_used") >= VQS_CLOCK_START,
	      "already_used details: %s", vqs_js(r));
	cJSON_Delete(r);

	/* lookup by id (operator) and by code (gate) */
	r = call(ops, "svc/lookup", "{\"v\":1,\"rid\":\"o-l-1\",\"ticket\":%lld}", (long long)id2);
	expect_ok(r, "lookup by id");
	check_ticket(vqs_get(r, "ticket"), "coaster", "C", "gold", 2, "redeemed");
	cJSON_Delete(r);
	r = call(gate, "svc/lookup", "{\"v\":1,\"rid\":\"g-l-1\",\"code\":\"%s\"}", code2);
	expect_ok(r, "lookup by code");
	CHECK(get_int(r, "ticket.id", "lookup") == id2, "lookup by code: %s", vqs_js(r));
	cJSON_Delete(r);

	/* too early: "late" opens at 14:00 with no early grace */
	cJSON *i3 = issue(kiosk, "k-iss-3", "walk-in-1", "late", 1);
	const cJSON *t3 = vqs_get(i3, "ticket");
	check_ticket(t3, "late", "Z", "standard", 1, "issued");
	check_code(t3, &ring, 0);
	r = redeem(gate, "g-r-5", get_str(t3, "code", "t3"), "late");
	expect_err(r, "too_early", "redeem before the window");
	CHECK(get_int(r, "error.from", "too_early") == get_int(t3, "start", "t3") &&
	          get_int(r, "error.until", "too_early") == get_int(t3, "end", "t3"),
	      "too_early interval: %s vs %s", vqs_js(r), vqs_js(t3));
	cJSON_Delete(r);

	cJSON_Delete(i1);
	cJSON_Delete(i2);
	cJSON_Delete(i3);
	vq_bus_free(board);
	vq_bus_free(ops);
	vq_bus_free(gate);
	vq_bus_free(kiosk);
}
END_TEST

START_TEST(test_issue_refusals)
{
	up(NULL);
	vq_bus *kiosk = bus("kiosk-1", NULL);
	vq_bus *ops = bus("ops-1", NULL);
	import_members(ops, "[{\"card\":\"gold-2\",\"tier\":\"gold\"}]");

	/* limit_reached: gold holds at most 3 */
	for (int i = 0; i < 3; i++) {
		char rid[32];
		snprintf(rid, sizeof rid, "lim-%d", i);
		cJSON_Delete(issue(kiosk, rid, "gold-2", i == 1 ? "flume" : "coaster", 1));
	}
	cJSON *r = call(kiosk, "svc/issue",
	                "{\"v\":1,\"rid\":\"lim-3\",\"card\":\"gold-2\",\"attraction\":\"coaster\","
	                "\"party\":1}");
	expect_err(r, "limit_reached", "a fourth pass for gold");
	CHECK(array_len(r, "error.held") == 3, "limit_reached should list 3 held tickets: %s",
	      vqs_js(r));
	cJSON_Delete(r);

	/* sold_out: tiny has 4 seats left today (the 11:00 slot) */
	bool sold = false;
	for (int i = 0; i < 3 && !sold; i++) {
		r = call(kiosk, "svc/issue",
		         "{\"v\":1,\"rid\":\"tiny-%d\",\"card\":\"tiny-%d\",\"attraction\":"
		         "\"tiny\",\"party\":4}",
		         i, i);
		if (vqs_ok(r)) {
			CHECK(i == 0, "tiny gave a second party of 4: %s", vqs_js(r));
			check_ticket(vqs_get(r, "ticket"), "tiny", "T", "standard", 4, "issued");
		} else {
			expect_err(r, "sold_out", "tiny full");
			CHECK(i == 1, "tiny sold out at party %d", i);
			const cJSON *alt;
			int n = 0;
			cJSON_ArrayForEach(alt, vqs_get(r, "error.alternatives"))
			{
				int64_t s, e;
				const char *a = vqs_str(alt, "attraction");
				CHECK(a && strcmp(a, "tiny") != 0 && vqs_int(alt, "start", &s) &&
				          vqs_int(alt, "end", &e) && s < e,
				      "bad alternative in %s", vqs_js(r));
				n++;
			}
			CHECK(n >= 1, "sold_out without alternatives: %s", vqs_js(r));
			sold = true;
		}
		cJSON_Delete(r);
	}
	CHECK(sold, "tiny never sold out");

	/* The quote agrees. */
	r = call(
	    kiosk, "svc/quote",
	    "{\"v\":1,\"rid\":\"tiny-q\",\"card\":\"tiny-9\",\"party\":1,\"attraction\":\"tiny\"}");
	expect_ok(r, "quote tiny");
	CHECK(strcmp(get_str(r, "quotes.0.error", "quote"), "sold_out") == 0, "quote tiny: %s",
	      vqs_js(r));
	cJSON_Delete(r);

	vq_bus_free(ops);
	vq_bus_free(kiosk);
}
END_TEST

/* --- idempotency ---------------------------------------------------------------------- */

static void same_bytes(const char *a, size_t alen, const char *b, size_t blen, const char *what)
{
	CHECK(alen == blen && memcmp(a, b, alen) == 0,
	      "%s: replies differ:\n  first:  %s\n  again:  %s", what, a, b);
}

START_TEST(test_idempotent)
{
	up(NULL);
	vq_bus *kiosk = bus("kiosk-1", NULL);
	vq_bus *gate = bus("gate-1", NULL);
	vq_bus *ops = bus("ops-1", NULL);
	static const char body[] = "{\"v\":1,\"rid\":\"idem-1\",\"card\":\"idem-card\","
	                           "\"attraction\":\"coaster\",\"party\":1}";

	char *raw1, *raw;
	size_t len1, len;
	cJSON *r1 = call_raw(kiosk, "svc/issue", &raw1, &len1, "%s", body);
	expect_ok(r1, "issue");
	int64_t id = get_int(r1, "ticket.id", "issue");
	cJSON *r = call_raw(kiosk, "svc/issue", &raw, &len, "%s", body);
	same_bytes(raw1, len1, raw, len, "issue, same rid");
	cJSON_Delete(r);
	free(raw);
	/* A repeat that asks something else is refused, and changes nothing. */
	r = call(kiosk, "svc/issue",
	         "{\"v\":1,\"rid\":\"idem-1\",\"card\":\"idem-card\",\"attraction\":\"flume\","
	         "\"party\":3}");
	expect_err(r, "rid_reused", "issue, same rid, other body");
	cJSON_Delete(r);
	r = call(kiosk, "svc/identify", "{\"v\":1,\"rid\":\"idem-id\",\"card\":\"idem-card\"}");
	CHECK(array_len(r, "held") == 1, "one rid, one ticket: %s", vqs_js(r));
	cJSON_Delete(r);

	/* redeem, cancel and an ops change: a repeat is not a second act */
	cJSON *i2 = issue(kiosk, "idem-2", "idem-card-2", "coaster", 1);
	char rbody[512];
	snprintf(rbody, sizeof rbody,
	         "{\"v\":1,\"rid\":\"idem-r\",\"code\":\"%s\",\"attraction\":\"coaster\"}",
	         get_str(i2, "ticket.code", "i2"));
	char *rraw1;
	size_t rlen1;
	r = call_raw(gate, "svc/redeem", &rraw1, &rlen1, "%s", rbody);
	expect_ok(r, "redeem");
	cJSON_Delete(r);
	r = call_raw(gate, "svc/redeem", &raw, &len, "%s", rbody);
	same_bytes(rraw1, rlen1, raw, len, "redeem, same rid");
	cJSON_Delete(r);
	free(raw);
	static const char cbody[] =
	    "{\"v\":1,\"rid\":\"idem-c\",\"card\":\"idem-card\",\"ticket\":%lld}";
	char *craw1;
	size_t clen1;
	r = call_raw(kiosk, "svc/cancel", &craw1, &clen1, cbody, (long long)id);
	expect_ok(r, "cancel");
	cJSON_Delete(r);
	r = call_raw(kiosk, "svc/cancel", &raw, &len, cbody, (long long)id);
	same_bytes(craw1, clen1, raw, len, "cancel, same rid");
	cJSON_Delete(r);
	free(raw);
	static const char obody[] = "{\"v\":1,\"rid\":\"idem-o\",\"cmd\":\"standby\","
	                            "\"attraction\":\"coaster\",\"minutes\":42}";
	char *oraw1;
	size_t olen1;
	r = call_raw(ops, "svc/ops", &oraw1, &olen1, "%s", obody);
	expect_ok(r, "ops standby");
	cJSON_Delete(r);
	r = call_raw(ops, "svc/ops", &raw, &len, "%s", obody);
	same_bytes(oraw1, olen1, raw, len, "ops standby, same rid");
	cJSON_Delete(r);
	free(raw);

	/* Across a clean restart and across SIGKILL. */
	for (int round = 0; round < 2; round++) {
		const char *how = round == 0 ? "after SIGTERM" : "after SIGKILL";
		if (round == 0) {
			CHECK(vqs_vqd_restart(site) == VQ_OK, "restart");
		} else {
			CHECK(vqs_vqd_kill(site) == VQ_OK, "kill");
			CHECK(vqs_vqd_start(site) == VQ_OK, "start after kill");
		}
		r = call_raw(kiosk, "svc/issue", &raw, &len, "%s", body);
		same_bytes(raw1, len1, raw, len, how);
		cJSON_Delete(r);
		free(raw);
		r = call_raw(gate, "svc/redeem", &raw, &len, "%s", rbody);
		same_bytes(rraw1, rlen1, raw, len, how);
		cJSON_Delete(r);
		free(raw);
		r = call_raw(kiosk, "svc/cancel", &raw, &len, cbody, (long long)id);
		same_bytes(craw1, clen1, raw, len, how);
		cJSON_Delete(r);
		free(raw);
	}
	int64_t n = -1;
	CHECK(vqs_db_int(site, "SELECT count(*) FROM tickets", &n) == VQ_OK && n == 2,
	      "2 issue rids should make 2 tickets, the db has %lld", (long long)n);

	/* A rid is unique per client only: kiosk-2 saying "idem-1" is a request of its own,
	 * and must never be handed kiosk-1's ticket (and its code). */
	vq_bus *other = bus("kiosk-2", NULL);
	r = call_raw(
	    other, "svc/issue", &raw, &len,
	    "{\"v\":1,\"rid\":\"idem-1\",\"card\":\"other-card\",\"attraction\":\"coaster\","
	    "\"party\":1}");
	CHECK(!(len == len1 && memcmp(raw, raw1, len) == 0),
	      "kiosk-2 reusing kiosk-1's rid got kiosk-1's reply: %s", raw);
	expect_ok(r, "kiosk-2's own idem-1");
	CHECK(get_int(r, "ticket.id", "kiosk-2") != id, "kiosk-2 got kiosk-1's ticket: %s", raw);
	cJSON_Delete(r);
	free(raw);
	vq_bus_free(other);

	free(raw1);
	free(rraw1);
	free(craw1);
	free(oraw1);
	cJSON_Delete(r1);
	cJSON_Delete(i2);
	vq_bus_free(ops);
	vq_bus_free(gate);
	vq_bus_free(kiosk);
}
END_TEST

/* --- two gates, one ticket -------------------------------------------------------------- */

typedef struct racer {
	vq_bus *gate;
	const char *name;
	const char *code;
	int round;
	pthread_barrier_t *go;
	int rc;
	cJSON *reply;
} racer;

static void *race(void *arg)
{
	racer *r = arg;
	char body[512];
	int n =
	    snprintf(body, sizeof body,
	             "{\"v\":1,\"rid\":\"race-%d-%s\",\"code\":\"%s\",\"attraction\":\"coaster\"}",
	             r->round, r->name, r->code);
	pthread_barrier_wait(r->go);
	r->rc = vqs_call(r->gate, "svc/redeem", body, (size_t)n, WAIT_MS, &r->reply, NULL, NULL);
	return NULL;
}

START_TEST(test_gate_race)
{
	up(NULL);
	vq_bus *kiosk = bus("kiosk-1", NULL);
	vq_bus *gates[2] = {bus("gate-1", NULL), bus("gate-2", NULL)};
	const char *names[2] = {"gate-1", "gate-2"};
	int wins[2] = {0, 0};

	for (int round = 0; round < RACE_ROUND; round++) {
		char rid[32], card[32];
		snprintf(rid, sizeof rid, "race-iss-%d", round);
		snprintf(card, sizeof card, "racer-%d", round);
		cJSON *t = issue(kiosk, rid, card, "coaster", 1);
		pthread_barrier_t go;
		pthread_barrier_init(&go, NULL, 2);
		racer rs[2];
		pthread_t th[2];
		for (int g = 0; g < 2; g++) {
			rs[g] = (racer){gates[g], names[g], get_str(t, "ticket.code", "race"),
			                round,    &go,      -1,
			                NULL};
			CHECK(pthread_create(&th[g], NULL, race, &rs[g]) == 0, "pthread_create");
		}
		for (int g = 0; g < 2; g++)
			pthread_join(th[g], NULL);
		pthread_barrier_destroy(&go);
		for (int g = 0; g < 2; g++)
			CHECK(rs[g].rc == VQ_OK, "round %d, %s: %s", round, names[g],
			      vq_strerror(rs[g].rc));
		int winner = vqs_ok(rs[0].reply) ? 0 : 1;
		int loser = 1 - winner;
		CHECK(vqs_ok(rs[winner].reply) && !vqs_ok(rs[loser].reply),
		      "round %d: exactly one gate must admit:\n  gate-1: %s\n  gate-2: %s", round,
		      vqs_js(rs[0].reply), vqs_js(rs[1].reply));
		CHECK(strcmp(vqs_errcode(rs[loser].reply), "already_used") == 0 &&
		          strcmp(get_str(rs[loser].reply, "error.used_gate", "race"),
		                 names[winner]) == 0,
		      "round %d: the other gate should hear already_used at %s: %s", round,
		      names[winner], vqs_js(rs[loser].reply));
		CHECK(strcmp(get_str(rs[winner].reply, "ticket.used_gate", "race"),
		             names[winner]) == 0,
		      "round %d: used_gate: %s", round, vqs_js(rs[winner].reply));
		wins[winner]++;
		for (int g = 0; g < 2; g++)
			cJSON_Delete(rs[g].reply);
		cJSON_Delete(t);
	}
	int64_t n = -1, most = -1;
	CHECK(vqs_db_int(site, "SELECT count(*) FROM redemptions", &n) == VQ_OK && n == RACE_ROUND,
	      "%d tickets admitted, %lld redemptions recorded", RACE_ROUND, (long long)n);
	CHECK(vqs_db_int(site,
	                 "SELECT coalesce(max(c), 0) FROM (SELECT count(*) AS c FROM redemptions "
	                 "GROUP BY ticket)",
	                 &most) == VQ_OK &&
	          most == 1,
	      "a ticket was redeemed %lld times", (long long)most);
	fprintf(stderr, "test_gate_race: gate-1 won %d, gate-2 won %d\n", wins[0], wins[1]);
	vq_bus_free(gates[1]);
	vq_bus_free(gates[0]);
	vq_bus_free(kiosk);
}
END_TEST

/* --- operators and retained state --------------------------------------------------------- */

typedef struct state_want {
	const char *path;
	const char *str; /* either a string */
	int64_t num;     /* or an integer */
} state_want;

static bool state_is(const cJSON *j, void *arg)
{
	const state_want *w = arg;
	if (w->str) {
		const char *s = vqs_str(j, w->path);
		return s && strcmp(s, w->str) == 0;
	}
	int64_t v;
	return vqs_int(j, w->path, &v) && v == w->num;
}

/* "admitting": null, or the interval the gate admits now as {"from","until"}. */
static bool admitting_ok(const cJSON *a)
{
	int64_t from, until;
	return cJSON_IsNull(a) || (cJSON_IsObject(a) && vqs_int(a, "from", &from) &&
	                           vqs_int(a, "until", &until) && from < until);
}

/* Waits until the board sees state/coaster with path equal to the wanted value. */
static cJSON *board_sees(vq_bus *board, state_want w)
{
	cJSON *j = vqs_wait_json(board, "state/coaster", state_is, &w, WAIT_MS);
	if (!j) {
		if (w.str)
			CHECK(0, "state/coaster never showed %s = \"%s\"", w.path, w.str);
		CHECK(0, "state/coaster never showed %s = %lld", w.path, (long long)w.num);
	}
	return j;
}

/* A gate that lost vqd admits offline and syncs later: each admission is checked at the
 * instant it happened, and a ticket two gates admitted is a conflict. Staff overrides land
 * in the audit log. The state carries merge guidance that grows with the backlog. */
#define SYNC_FMT                                                                                   \
	"{\"v\":1,\"rid\":\"sync-1\",\"admissions\":["                                             \
	"{\"code\":\"%s\",\"attraction\":\"coaster\",\"at\":%lld},"                                \
	"{\"code\":\"VQ1:NOPE\",\"attraction\":\"coaster\",\"at\":%lld},"                          \
	"{\"code\":\"%s\",\"attraction\":\"coaster\",\"at\":%lld}]}"

START_TEST(test_gate_sync_override)
{
	up(NULL);
	vq_bus *kiosk = bus("kiosk-1", NULL);
	vq_bus *g1 = bus("gate-1", NULL), *g2 = bus("gate-2", NULL);
	vq_bus *ops = bus("ops-1", NULL);
	cJSON *a = issue(kiosk, "sync-a", "sync-card-a", "coaster", 2);
	cJSON *b = issue(kiosk, "sync-b", "sync-card-b", "coaster", 3);
	const char *ca = get_str(a, "ticket.code", "a"), *cb = get_str(b, "ticket.code", "b");
	/* after both were issued (an admission before its ticket existed is refused), and
	 * never in vqd's future */
	long long at = get_int(b, "ticket.issued_at", "b");
	CHECK(at >= get_int(a, "ticket.issued_at", "a") && at >= VQS_CLOCK_START,
	      "issue times: %s %s", vqs_js(a), vqs_js(b));

	/* the backlog: 5 guests hold tickets whose window admits now */
	cJSON *st = call(ops, "svc/ops", "{\"v\":1,\"rid\":\"m0\",\"cmd\":\"status\"}");
	expect_ok(st, "status");
	CHECK(get_int(st, "attractions.0.merge.backlog", "merge") == 5 &&
	          get_int(st, "attractions.0.merge.fast", "merge") == 4 &&
	          get_int(st, "attractions.0.merge.standby", "merge") == 1,
	      "merge guidance: %s", vqs_js(vqs_get(st, "attractions.0.merge")));
	cJSON_Delete(st);

	char *raw1 = NULL, *raw2 = NULL;
	size_t len1 = 0, len2 = 0;
	cJSON *r = call_raw(g1, "svc/sync", &raw1, &len1, SYNC_FMT, ca, at, at, cb, at);
	expect_ok(r, "sync");
	CHECK(cJSON_IsTrue(vqs_get(r, "results.0.ok")) &&
	          !strcmp(get_str(r, "results.1.error", "sync"), "malformed_code") &&
	          cJSON_IsTrue(vqs_get(r, "results.2.ok")),
	      "sync results: %s", vqs_js(r));
	cJSON_Delete(r);
	/* the same sync again is answered from the first reply, not applied twice */
	r = call_raw(g1, "svc/sync", &raw2, &len2, SYNC_FMT, ca, at, at, cb, at);
	same_bytes(raw1, len1, raw2, len2, "sync replay");
	cJSON_Delete(r);
	free(raw1);
	free(raw2);
	/* gate-2 admitted ticket a offline too: a conflict, naming the first gate */
	r = call(g2, "svc/sync",
	         "{\"v\":1,\"rid\":\"sync-2\",\"admissions\":[{\"code\":\"%s\","
	         "\"attraction\":\"coaster\",\"at\":%lld}]}",
	         ca, at);
	expect_ok(r, "sync 2");
	CHECK(cJSON_IsFalse(vqs_get(r, "results.0.ok")) &&
	          cJSON_IsTrue(vqs_get(r, "results.0.conflict")) &&
	          !strcmp(get_str(r, "results.0.used_gate", "conflict"), "gate-1") &&
	          get_int(r, "results.0.used_at", "conflict") == at,
	      "conflict: %s", vqs_js(r));
	cJSON_Delete(r);
	r = call(ops, "svc/lookup", "{\"v\":1,\"rid\":\"l1\",\"ticket\":%lld}",
	         (long long)get_int(a, "ticket.id", "a"));
	CHECK(cJSON_IsTrue(vqs_get(r, "ticket.used_offline")), "offline mark: %s", vqs_js(r));
	cJSON_Delete(r);

	/* an override admits a ticket that is too early, once, and is audited */
	cJSON *c = issue(kiosk, "sync-c", "sync-card-c", "late", 1);
	const char *cc = get_str(c, "ticket.code", "c");
	r = redeem(g1, "ov-0", cc, "late");
	expect_err(r, "too_early", "before the override");
	cJSON_Delete(r);
	r = call(g1, "svc/override",
	         "{\"v\":1,\"rid\":\"ov-1\",\"code\":\"%s\",\"attraction\":\"late\","
	         "\"reason\":\"ride broke down at their window\"}",
	         cc);
	expect_ok(r, "override");
	CHECK(cJSON_IsTrue(vqs_get(r, "admit")) &&
	          !strcmp(get_str(r, "ticket.state", "override"), "redeemed"),
	      "override: %s", vqs_js(r));
	cJSON_Delete(r);
	r = redeem(g1, "ov-2", cc, "late");
	expect_err(r, "already_used", "after the override");
	cJSON_Delete(r);
	r = call(g1, "svc/override",
	         "{\"v\":1,\"rid\":\"ov-3\",\"attraction\":\"coaster\",\"reason\":"
	         "\"код не читается\"}");
	expect_ok(r, "override without a code");
	cJSON_Delete(r);
	r = call(g1, "svc/override", "{\"v\":1,\"rid\":\"ov-4\",\"attraction\":\"coaster\"}");
	expect_err(r, "bad_request", "override without a reason");
	cJSON_Delete(r);
	int64_t audits = -1;
	CHECK(vqs_db_int(site, "SELECT count(*) FROM audit WHERE action = 'override'", &audits) ==
	              VQ_OK &&
	          audits == 2,
	      "%lld overrides audited", (long long)audits);

	/* the operator's merge ratio */
	r = call(ops, "svc/ops",
	         "{\"v\":1,\"rid\":\"m1\",\"cmd\":\"merge\",\"attraction\":\"coaster\","
	         "\"fast\":6,\"standby\":1}");
	expect_ok(r, "merge");
	CHECK(get_int(r, "state.merge.fast", "merge") == 6 &&
	          get_int(r, "state.merge.base_fast", "merge") == 6 &&
	          get_int(r, "state.merge.base_standby", "merge") == 1 &&
	          get_int(r, "state.merge.backlog", "merge") == 0,
	      "merge: %s", vqs_js(r));
	cJSON_Delete(r);
	r = call(ops, "svc/ops",
	         "{\"v\":1,\"rid\":\"m2\",\"cmd\":\"merge\",\"attraction\":\"coaster\","
	         "\"fast\":0,\"standby\":1}");
	expect_err(r, "invalid", "merge 0:1");
	cJSON_Delete(r);
	cJSON_Delete(c);
	cJSON_Delete(b);
	cJSON_Delete(a);
	vq_bus_free(ops);
	vq_bus_free(g2);
	vq_bus_free(g1);
	vq_bus_free(kiosk);
}
END_TEST

START_TEST(test_ops_state)
{
	up(NULL);
	vq_bus *kiosk = bus("kiosk-1", NULL);
	vq_bus *gate = bus("gate-1", NULL);
	vq_bus *ops = bus("ops-1", NULL);
	vq_bus *board = bus("board-1", (const char *const[]){"state/coaster", NULL});

	/* The retained state as a board first sees it. */
	cJSON *s = board_sees(board, (state_want){"throughput_per_hour", NULL, 6000});
	CHECK(get_int(s, "v", "state") == 1 &&
	          strcmp(get_str(s, "attraction", "state"), "coaster") == 0 &&
	          strcmp(get_str(s, "kind", "state"), "ride") == 0 &&
	          strcmp(get_str(s, "names.en", "state"), "Coaster") == 0 &&
	          strcmp(get_str(s, "status", "state"), "open") == 0 &&
	          get_int(s, "fast_share_pct", "state") == 50 &&
	          get_int(s, "overbook_pct", "state") == 0 &&
	          get_int(s, "standby_min", "state") == 35 &&
	          get_int(s, "capacity.today", "state") > 0 &&
	          get_int(s, "capacity.taken", "state") == 0 &&
	          cJSON_IsObject(vqs_get(s, "next")) &&
	          get_int(s, "next.standard.start", "state") == VQS_TEN_AM + 15 * 60 &&
	          get_int(s, "next.gold.start", "state") == VQS_TEN_AM + 15 * 60,
	      "initial state/coaster: %s", vqs_js(s));
	/* Checked last, so that a wrong shape here does not hide the rest. */
	cJSON *first_state = s;

	cJSON *held = issue(kiosk, "ops-iss-1", "ops-card", "coaster", 2);
	int64_t held_id = get_int(held, "ticket.id", "held");
	s = board_sees(board, (state_want){"capacity.taken", NULL, 2});
	cJSON_Delete(s);

	/* capacity */
	cJSON *r =
	    call(ops, "svc/ops",
	         "{\"v\":1,\"rid\":\"ops-cap\",\"cmd\":\"capacity\",\"attraction\":\"coaster\","
	         "\"throughput_per_hour\":3000}");
	expect_ok(r, "capacity");
	CHECK(get_int(r, "state.throughput_per_hour", "capacity") == 3000, "capacity reply: %s",
	      vqs_js(r));
	cJSON_Delete(r);
	s = board_sees(board, (state_want){"throughput_per_hour", NULL, 3000});
	cJSON_Delete(s);
	r = call(ops, "svc/ops", "{\"v\":1,\"rid\":\"ops-status\",\"cmd\":\"status\"}");
	expect_ok(r, "status");
	const cJSON *a;
	bool found = false;
	cJSON_ArrayForEach(a, vqs_get(r, "attractions"))
	{
		const char *id = vqs_str(a, "attraction");
		int64_t tp;
		if (id && strcmp(id, "coaster") == 0 && vqs_int(a, "throughput_per_hour", &tp) &&
		    tp == 3000)
			found = true;
	}
	CHECK(found && array_len(r, "attractions") == 4, "status: %s", vqs_js(r));
	cJSON_Delete(r);

	/* close: no issue, no admission, the board shows it */
	r = call(ops, "svc/ops",
	         "{\"v\":1,\"rid\":\"ops-close\",\"cmd\":\"close\",\"attraction\":\"coaster\"}");
	expect_ok(r, "close");
	CHECK(strcmp(get_str(r, "state.status", "close"), "closed") == 0, "close reply: %s",
	      vqs_js(r));
	cJSON_Delete(r);
	s = board_sees(board, (state_want){"status", "closed", 0});
	CHECK(get_int(s, "closed_at", "state") >= VQS_CLOCK_START, "closed state: %s", vqs_js(s));
	cJSON_Delete(s);
	r = call(kiosk, "svc/issue",
	         "{\"v\":1,\"rid\":\"ops-iss-2\",\"card\":\"ops-card-2\",\"attraction\":"
	         "\"coaster\",\"party\":1}");
	expect_err(r, "closed", "issue while closed");
	cJSON_Delete(r);
	r = call(kiosk, "svc/quote",
	         "{\"v\":1,\"rid\":\"ops-q\",\"card\":\"ops-card-2\",\"party\":1,\"attraction\":"
	         "\"coaster\"}");
	CHECK(vqs_ok(r) && strcmp(get_str(r, "quotes.0.error", "quote"), "closed") == 0,
	      "quote while closed: %s", vqs_js(r));
	cJSON_Delete(r);
	r = redeem(gate, "ops-r-1", get_str(held, "ticket.code", "held"), "coaster");
	expect_err(r, "closed", "redeem while closed");
	cJSON_Delete(r);

	/* reopen: the held ticket's admission met the closure, so it became anytime */
	r = call(ops, "svc/ops",
	         "{\"v\":1,\"rid\":\"ops-reopen\",\"cmd\":\"reopen\",\"attraction\":\"coaster\"}");
	expect_ok(r, "reopen");
	CHECK(strcmp(get_str(r, "state.status", "reopen"), "open") == 0 &&
	          get_int(r, "converted", "reopen") == 1,
	      "reopen reply: %s", vqs_js(r));
	cJSON_Delete(r);
	s = board_sees(board, (state_want){"status", "open", 0});
	CHECK(get_int(s, "reopened_at", "state") >= VQS_CLOCK_START, "reopened state: %s",
	      vqs_js(s));
	cJSON_Delete(s);
	r = call(ops, "svc/lookup", "{\"v\":1,\"rid\":\"ops-l\",\"ticket\":%lld}",
	         (long long)held_id);
	expect_ok(r, "lookup");
	CHECK(strcmp(get_str(r, "ticket.state", "lookup"), "anytime") == 0 &&
	          get_int(r, "ticket.valid_from", "lookup") >= VQS_CLOCK_START &&
	          get_int(r, "ticket.valid_until", "lookup") >
	              get_int(r, "ticket.valid_from", "lookup"),
	      "ticket after reopen: %s", vqs_js(r));
	cJSON_Delete(r);
	r = redeem(gate, "ops-r-2", get_str(held, "ticket.code", "held"), "coaster");
	expect_ok(r, "redeem an anytime ticket");
	cJSON_Delete(r);

	/* standby and overbooking reach the board too */
	r = call(ops, "svc/ops",
	         "{\"v\":1,\"rid\":\"ops-sb\",\"cmd\":\"standby\",\"attraction\":\"coaster\","
	         "\"minutes\":50}");
	expect_ok(r, "standby");
	cJSON_Delete(r);
	s = board_sees(board, (state_want){"standby_min", NULL, 50});
	cJSON_Delete(s);
	r = call(ops, "svc/ops",
	         "{\"v\":1,\"rid\":\"ops-ob\",\"cmd\":\"capacity\",\"attraction\":\"coaster\","
	         "\"overbook_pct\":10}");
	expect_ok(r, "overbook");
	cJSON_Delete(r);
	s = board_sees(board, (state_want){"overbook_pct", NULL, 10});
	cJSON_Delete(s);

	/* Every change is in the audit log. */
	int64_t n = -1;
	CHECK(vqs_db_int(site, "SELECT count(*) FROM audit", &n) == VQ_OK && n >= 5,
	      "audit rows after 5 changes: %lld", (long long)n);
	r = call(ops, "svc/ops", "{\"v\":1,\"rid\":\"ops-stats\",\"cmd\":\"stats\"}");
	expect_ok(r, "stats");
	cJSON_Delete(r);
	r = call(ops, "svc/ops", "{\"v\":1,\"rid\":\"ops-keys\",\"cmd\":\"keys\"}");
	expect_ok(r, "keys");
	CHECK(array_len(r, "keys") >= 1 && vqs_str(r, "keys.0.public_key"), "keys: %s", vqs_js(r));
	cJSON_Delete(r);

	CHECK(admitting_ok(vqs_get(first_state, "admitting")),
	      "state/coaster \"admitting\" should be null or {\"from\",\"until\"} "
	      "(docs/protocol.md), got %s",
	      vqs_js(vqs_get(first_state, "admitting")));
	cJSON_Delete(first_state);
	cJSON_Delete(held);
	vq_bus_free(board);
	vq_bus_free(ops);
	vq_bus_free(gate);
	vq_bus_free(kiosk);
}
END_TEST

/* --- malformed input ----------------------------------------------------------------------- */

typedef struct bad_case {
	const char *who; /* account */
	const char *svc;
	const char *body; /* "@rid65", "@big", "@deep": built by build_body */
	const char *code;
	const char *alt_code; /* a second code the protocol's words also allow, or NULL */
	const char *field;    /* the message must name it, or NULL */
} bad_case;

static const bad_case BAD[] = {
    {"kiosk-1", "svc/issue", "hello{", "bad_request", NULL, NULL},
    {"kiosk-1", "svc/issue", "", "bad_request", NULL, NULL},
    {"kiosk-1", "svc/issue", "[1,2,3]", "bad_request", NULL, NULL},
    {"kiosk-1", "svc/issue", "\"just a string\"", "bad_request", NULL, NULL},
    {"kiosk-1", "svc/issue", "{\"rid\":\"m-1\",\"attraction\":\"coaster\",\"party\":1}",
     "bad_request", NULL, "v"},
    {"kiosk-1", "svc/issue", "{\"v\":2,\"rid\":\"m-2\",\"attraction\":\"coaster\",\"party\":1}",
     "bad_request", "invalid", "v"},
    {"kiosk-1", "svc/issue", "{\"v\":\"1\",\"rid\":\"m-3\",\"attraction\":\"coaster\",\"party\":1}",
     "bad_request", NULL, "v"},
    {"kiosk-1", "svc/issue", "{\"v\":1,\"attraction\":\"coaster\",\"party\":1}", "bad_request",
     NULL, "rid"},
    {"kiosk-1", "svc/issue", "{\"v\":1,\"rid\":7,\"attraction\":\"coaster\",\"party\":1}",
     "bad_request", NULL, "rid"},
    {"kiosk-1", "svc/issue", "{\"v\":1,\"rid\":\"\",\"attraction\":\"coaster\",\"party\":1}",
     "bad_request", "invalid", "rid"},
    {"kiosk-1", "svc/issue", "@rid65", "bad_request", "invalid", "rid"},
    {"kiosk-1", "svc/issue",
     "{\"v\":1,\"rid\":\"m-4\",\"attraction\":\"coaster\",\"party\":\"two\"}", "bad_request", NULL,
     "party"},
    {"kiosk-1", "svc/issue", "{\"v\":1,\"rid\":\"m-5\",\"attraction\":\"coaster\",\"party\":1.5}",
     "bad_request", "invalid", "party"},
    {"kiosk-1", "svc/issue", "{\"v\":1,\"rid\":\"m-6\",\"party\":1}", "bad_request", NULL,
     "attraction"},
    {"kiosk-1", "svc/issue", "{\"v\":1,\"rid\":\"m-7\",\"attraction\":[\"coaster\"],\"party\":1}",
     "bad_request", NULL, "attraction"},
    {"kiosk-1", "svc/issue",
     "{\"v\":1,\"rid\":\"m-8\",\"card\":42,\"attraction\":\"coaster\",\"party\":1}", "bad_request",
     NULL, "card"},
    {"kiosk-1", "svc/issue", "{\"v\":1,\"rid\":\"m-9\",\"attraction\":\"nope\",\"party\":1}",
     "unknown_attraction", NULL, NULL},
    {"kiosk-1", "svc/issue", "{\"v\":1,\"rid\":\"m-10\",\"attraction\":\"coaster\",\"party\":0}",
     "party_size", "invalid", NULL},
    {"kiosk-1", "svc/issue", "{\"v\":1,\"rid\":\"m-11\",\"attraction\":\"coaster\",\"party\":9}",
     "party_size", NULL, NULL},
    {"kiosk-1", "svc/issue", "{\"v\":1,\"rid\":\"m-12\",\"attraction\":\"coaster\",\"party\":-3}",
     "party_size", "invalid", NULL},
    {"kiosk-1", "svc/issue", "{\"v\":1,\"rid\":\"m-12b\",\"attraction\":\"coaster\",\"party\":21}",
     "party_size", "invalid", NULL},
    {"kiosk-1", "svc/issue", "@big", "too_large", NULL, NULL},
    {"kiosk-1", "svc/issue", "@deep", "bad_request", NULL, NULL},
    {"kiosk-1", "svc/quote", "{\"v\":1,\"rid\":\"m-13\",\"party\":\"x\"}", "bad_request", NULL,
     "party"},
    {"kiosk-1", "svc/identify", "{\"v\":1,\"rid\":\"m-14\"}", "bad_request", NULL, "card"},
    {"kiosk-1", "svc/cancel", "{\"v\":1,\"rid\":\"m-15\",\"card\":\"x\",\"ticket\":\"12\"}",
     "bad_request", NULL, "ticket"},
    {"kiosk-1", "svc/cancel", "{\"v\":1,\"rid\":\"m-16\",\"card\":\"x\",\"ticket\":987654}",
     "unknown_ticket", NULL, NULL},
    {"gate-1", "svc/redeem",
     "{\"v\":1,\"rid\":\"m-17\",\"code\":\"hello\",\"attraction\":\"coaster\"}", "malformed_code",
     NULL, NULL},
    {"gate-1", "svc/redeem",
     "{\"v\":1,\"rid\":\"m-18\",\"code\":\"VQ1:\",\"attraction\":\"coaster\"}", "malformed_code",
     NULL, NULL},
    {"gate-1", "svc/redeem",
     "{\"v\":1,\"rid\":\"m-19\",\"code\":\"VQ1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\",\"attraction\":"
     "\"coaster\"}",
     "malformed_code", NULL, NULL},
    {"gate-1", "svc/redeem", "{\"v\":1,\"rid\":\"m-20\",\"attraction\":\"coaster\"}", "bad_request",
     NULL, "code"},
    {"ops-1", "svc/lookup", "{\"v\":1,\"rid\":\"m-21\"}", "bad_request", NULL, NULL},
    {"ops-1", "svc/lookup", "{\"v\":1,\"rid\":\"m-22\",\"ticket\":987654}", "unknown_ticket", NULL,
     NULL},
    {"ops-1", "svc/lookup", "not json at all", "bad_request", NULL, NULL},
    {"ops-1", "svc/ops", "{\"v\":1,\"rid\":\"m-23\",\"cmd\":\"frobnicate\"}", "unknown_command",
     NULL, NULL},
    {"ops-1", "svc/ops", "{\"v\":1,\"rid\":\"m-24\"}", "bad_request", NULL, "cmd"},
    {"ops-1", "svc/ops", "{\"v\":1,\"rid\":\"m-25\",\"cmd\":\"close\",\"attraction\":\"nope\"}",
     "unknown_attraction", NULL, NULL},
    {"ops-1", "svc/ops",
     "{\"v\":1,\"rid\":\"m-26\",\"cmd\":\"capacity\",\"attraction\":\"coaster\",\"throughput_per_"
     "hour\":-5}",
     "invalid", NULL, "throughput_per_hour"},
    {"ops-1", "svc/ops",
     "{\"v\":1,\"rid\":\"m-27\",\"cmd\":\"standby\",\"attraction\":\"coaster\",\"minutes\":601}",
     "invalid", NULL, "minutes"},
    {"ops-1", "svc/ops",
     "{\"v\":1,\"rid\":\"m-28\",\"cmd\":\"members_import\",\"members\":[{\"card\":\"c\",\"tier\":"
     "\"diamond\"}]}",
     "unknown_tier", NULL, NULL},
    {"ops-1", "svc/ops", "{\"v\":1,\"rid\":\"m-29\",\"cmd\":\"members_import\",\"members\":[]}",
     "invalid", "bad_request", "members"},
    /* strict input: each of these was once taken for something else */
    {"kiosk-1", "svc/identify", "{\"v\":1,\"rid\":\"s-1\",\"card\":\"demo-gold-1\\u0000XYZ\"}",
     "bad_request", NULL, "card: NUL character not allowed"},
    {"ops-1", "svc/ops", "{\"v\":1,\"rid\":\"s-2\",\"cmd\":\"stats\\u0000junk\"}", "bad_request",
     NULL, "cmd: NUL character not allowed"},
    {"kiosk-1", "svc/issue",
     "{\"v\":1,\"rid\":\"s-3\",\"attraction\":\"coaster\",\"party\":1} {\"party\":2}",
     "bad_request", NULL, "trailing data"},
    {"kiosk-1", "svc/issue",
     "{\"v\":1,\"rid\":\"s-4\",\"attraction\":\"coaster\",\"party\":1,\"party\":2}", "bad_request",
     NULL, "party: duplicate field"},
    {"kiosk-1", "svc/issue",
     "{\"v\":1,\"rid\":\"s-5\",\"attraction\":\"coaster\",\"\\u0070arty\":2,\"party\":1}",
     "bad_request", NULL, "party: duplicate field"},
    {"kiosk-1", "svc/issue", "{\"v\":1,\"rid\":\"s-6\",\"attraction\":\"coaster\",\"party\":1.0}",
     "bad_request", NULL, "party: wrong type (expected integer)"},
    {"kiosk-1", "svc/issue", "{\"v\":1,\"rid\":\"s-7\",\"attraction\":\"coaster\",\"party\":1e0}",
     "bad_request", NULL, "party: wrong type (expected integer)"},
    {"kiosk-1", "svc/issue", "{\"v\":1,\"rid\":\"s-8\",\"attraction\":\"coaster\",\"party\":2.5}",
     "bad_request", NULL, "party: wrong type (expected integer)"},
    {"kiosk-1", "svc/quote", "{\"v\":1,\"rid\":\"s-9\",\"party\":1e30}", "bad_request", NULL,
     "party: wrong type (expected integer)"},
    {"kiosk-1", "svc/quote", "{\"v\":1,\"rid\":\"s-10\",\"party\":1e300}", "bad_request", NULL,
     "party: wrong type (expected integer)"},
    {"kiosk-1", "svc/quote", "{\"v\":1,\"rid\":\"s-11\",\"party\":4294967297}", "invalid", NULL,
     "party: out of range"},
    {"kiosk-1", "svc/quote", "{\"v\":1.0,\"rid\":\"s-12\",\"party\":1}", "bad_request", NULL,
     "v: "},
    {"kiosk-1", "svc/issue",
     "{\"v\":1,\"rid\":\"s-13\",\"attraction\":\"coaster\",\"party\":1,\"x\":[[[[[[[[[[[[[[[[]]]]]"
     "]]]]]]]]]]]}",
     "bad_request", NULL, "x[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]: too deep"},
    {"kiosk-1", "svc/identify", "{\"v\":1,\"rid\":\"s-14\",\"card\":\"caf\xc3\"}", "bad_request",
     NULL, "card: invalid UTF-8"},
    {"gate-1", "svc/override",
     "{\"v\":1,\"rid\":\"s-15\",\"attraction\":\"coaster\",\"reason\":\"broken \xff\xfe\"}",
     "bad_request", NULL, "reason: invalid UTF-8"},
    {"gate-1", "svc/override",
     "{\"v\":1,\"rid\":\"s-16\",\"attraction\":\"coaster\",\"reason\":\"ok \\u202egnorw\"}",
     "bad_request", NULL, "reason: bidirectional control character not allowed"},
    {"gate-1", "svc/override",
     "{\"v\":1,\"rid\":\"s-17\",\"attraction\":\"coaster\",\"reason\":\"x\xe2\x81\xa6y\"}",
     "bad_request", NULL, "reason: bidirectional control character not allowed"},
    {"gate-1", "svc/override",
     "{\"v\":1,\"rid\":\"s-18\",\"attraction\":\"coaster\",\"reason\":\"bell \xc2\x87\"}",
     "bad_request", NULL, "reason: control character not allowed"},
    {"ops-1", "svc/ops",
     "{\"v\":1,\"rid\":\"s-19\",\"cmd\":\"close\",\"attraction\":\"coaster\",\"note\":"
     "\"\\u2066hidden\"}",
     "bad_request", NULL, "note: bidirectional control character not allowed"},
    {"ops-1", "svc/ops",
     "{\"v\":1,\"rid\":\"s-20\",\"cmd\":\"tier\",\"tier\":\"gold\",\"horizon_min\":1e300}",
     "bad_request", NULL, "horizon_min: wrong type (expected integer)"},
    {"ops-1", "svc/ops",
     "{\"v\":1,\"rid\":\"s-21\",\"cmd\":\"standby\",\"attraction\":\"coaster\",\"minutes\":-1e30}",
     "bad_request", NULL, "minutes: wrong type (expected integer)"},
    /* a field vqd does not know is refused, not ignored: a typo must not pass for ok */
    {"kiosk-1", "svc/issue",
     "{\"v\":1,\"rid\":\"u-1\",\"attraction\":\"coaster\",\"party\":1,\"extra\":1}", "bad_request",
     NULL, "extra: unknown field"},
    {"kiosk-1", "svc/quote", "{\"v\":1,\"rid\":\"u-2\",\"party\":1,\"atraction\":\"coaster\"}",
     "bad_request", NULL, "atraction: unknown field"},
    {"ops-1", "svc/ops",
     "{\"v\":1,\"rid\":\"u-3\",\"cmd\":\"capacity\",\"attraction\":\"coaster\",\"overbok_"
     "pct\":10}",
     "bad_request", NULL, "overbok_pct: unknown field"},
    {"ops-1", "svc/ops",
     "{\"v\":1,\"rid\":\"u-4\",\"cmd\":\"close\",\"attraction\":\"coaster\",\"minutes\":5}",
     "bad_request", NULL, "minutes: unknown field"},
    {"ops-1", "svc/ops",
     "{\"v\":1,\"rid\":\"u-5\",\"cmd\":\"members_import\",\"members\":[{\"card\":\"u-c\","
     "\"tier\":\"gold\"},{\"card\":\"u-d\",\"tier\":\"gold\",\"name\":\"Ann\"}]}",
     "bad_request", NULL, "members[1].name: unknown field"},
    {"gate-1", "svc/lookup", "{\"v\":1,\"rid\":\"u-6\",\"ticket\":1,\"card\":\"x\"}", "bad_request",
     NULL, "card: unknown field"},
};

/* Something simple that must still work. */
static void still_serving(vq_bus *kiosk, const char *after)
{
	CHECK(vqs_vqd_alive(site), "vqd died after %s (exit %d)", after, vqs_vqd_last_status(site));
	cJSON *r =
	    call(kiosk, "svc/quote", "{\"v\":1,\"rid\":\"alive-%lld\",\"party\":1}", tu_mono_ms());
	CHECK(vqs_ok(r), "vqd no longer serves after %s: %s", after, vqs_js(r));
	cJSON_Delete(r);
}

static char *build_body(const char *what, size_t *len)
{
	char *b;
	if (strcmp(what, "@rid65") == 0) { /* rid of 65 characters */
		b = malloc(256);
		ck_assert_ptr_nonnull(b);
		*len = (size_t)snprintf(
		    b, 256, "{\"v\":1,\"rid\":\"%065d\",\"attraction\":\"coaster\",\"party\":1}",
		    7);
		return b;
	}
	if (strcmp(what, "@big") ==
	    0) { /* 100 KiB: over vqd's 64 KiB, under the broker's 256 KiB */
		size_t pad = 100 * 1024;
		b = malloc(pad + 256);
		ck_assert_ptr_nonnull(b);
		int n = snprintf(
		    b, 256,
		    "{\"v\":1,\"rid\":\"m-big\",\"attraction\":\"coaster\",\"party\":1,\"pad\":\"");
		memset(b + n, 'x', pad);
		memcpy(b + n + pad, "\"}", 3);
		*len = (size_t)n + pad + 2;
		return b;
	}
	/* "@deep": nesting (under 64 KiB), which a recursive parser must refuse */
	size_t depth = 20000;
	b = malloc(2 * depth + 1);
	ck_assert_ptr_nonnull(b);
	memset(b, '[', depth);
	memset(b + depth, ']', depth);
	b[2 * depth] = '\0';
	*len = 2 * depth;
	return b;
}

START_TEST(test_malformed)
{
	up(NULL);
	const char *accounts[] = {"kiosk-1", "gate-1", "ops-1"};
	vq_bus *buses[3];
	for (int i = 0; i < 3; i++)
		buses[i] = bus(accounts[i], NULL);
	vq_bus *kiosk = buses[0];
	vq_keyring ring;
	CHECK(vqs_keyring(site, &ring, WAIT_MS) == VQ_OK, "keys");

	for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
		const bad_case *c = &BAD[i];
		vq_bus *b = NULL;
		for (int k = 0; k < 3; k++)
			if (strcmp(accounts[k], c->who) == 0)
				b = buses[k];
		size_t len;
		char *owned = NULL;
		const char *body = c->body;
		if (body[0] != '@')
			len = strlen(body);
		else
			body = owned = build_body(body, &len);
		cJSON *r = NULL;
		int rc = vqs_call(b, c->svc, body, len, WAIT_MS, &r, NULL, NULL);
		CHECK(rc == VQ_OK, "case %zu (%s %.80s): %s", i, c->svc, body, vq_strerror(rc));
		const char *code = vqs_errcode(r);
		CHECK(strcmp(code, c->code) == 0 || (c->alt_code && strcmp(code, c->alt_code) == 0),
		      "case %zu: %s %.100s\n  expected error %s%s%s, got %s", i, c->svc, body,
		      c->code, c->alt_code ? " or " : "", c->alt_code ? c->alt_code : "",
		      vqs_js(r));
		if (c->field) {
			const char *msg = vqs_str(r, "error.message");
			CHECK(msg && strstr(msg, c->field),
			      "case %zu: message should name \"%s\": %s", i, c->field, vqs_js(r));
		}
		if (strcmp(code, "party_size") == 0)
			CHECK(get_int(r, "error.max_party", "party_size") == 8, "case %zu: %s", i,
			      vqs_js(r));
		cJSON_Delete(r);
		free(owned);
		CHECK(vqs_vqd_alive(site), "vqd died on case %zu (%s %.80s)", i, c->svc, body);
	}
	still_serving(kiosk, "the malformed requests");
	/* a refused import imports nothing, not even its good entries */
	cJSON *mr = call(buses[2], "svc/ops",
	                 "{\"v\":1,\"rid\":\"u-5b\",\"cmd\":\"member\","
	                 "\"card\":\"u-c\"}");
	expect_err(mr, "unknown_card", "member of a refused import");
	cJSON_Delete(mr);

	/* A forged code: one character changed where the signature check (not the parser)
	 * is what fails, as core says; vqd must say forged. */
	cJSON *t = issue(kiosk, "m-good", "m-card", "coaster", 1);
	const char *code = get_str(t, "ticket.code", "issue");
	char forged[VQ_CODE_MAX];
	bool made = false;
	static const char B32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	for (size_t pos = strlen(code) / 2; pos > 4 && !made; pos--) {
		snprintf(forged, sizeof forged, "%s", code);
		forged[pos] = forged[pos] == B32[0] ? B32[1] : B32[0];
		vq_claims cl;
		made = vq_code_verify(forged, strlen(forged), &ring, &cl) == VQ_EBADSIG;
	}
	CHECK(made, "could not make a forged code from %s", code);
	cJSON *r = redeem(buses[1], "m-forged", forged, "coaster");
	expect_err(r, "forged", "a code with one character changed");
	cJSON_Delete(r);
	/* The genuine one still works. */
	r = redeem(buses[1], "m-genuine", code, "coaster");
	expect_ok(r, "the genuine code after a forged one");
	cJSON_Delete(r);
	cJSON_Delete(t);

	/* No response topic: nobody to answer; vqd refuses it and carries on. */
	static const char orphan[] = "{\"v\":1,\"rid\":\"m-orphan\",\"card\":\"m-card-2\","
	                             "\"attraction\":\"coaster\",\"party\":1}";
	CHECK(vqs_publish_raw(kiosk, "svc/issue/kiosk-1", orphan, strlen(orphan)) == VQ_OK,
	      "publish");
	CHECK(vqs_publish_raw(kiosk, "svc/issue/kiosk-1", "\x01\x02garbage", 9) == VQ_OK,
	      "publish");
	tu_sleep_ms(200);
	still_serving(kiosk, "requests without a response topic");

	for (int i = 2; i >= 0; i--)
		vq_bus_free(buses[i]);
}
END_TEST

/* --- the broker's ACL in front of vqd ------------------------------------------------------ */

START_TEST(test_acl)
{
	up(NULL);
	vq_bus *board = bus("board-1", NULL);
	vq_bus *kiosk = bus("kiosk-1", NULL);
	vq_bus *spy =
	    bus("kiosk-2", (const char *const[]){"reply/kiosk-1", "reply/#", "svc/#", NULL});
	vq_bus *gate = bus("gate-1", NULL);
	vq_bus *ops = bus("ops-1", NULL);
	static const char issue_body[] =
	    "{\"v\":1,\"rid\":\"acl-1\",\"card\":\"c\",\"attraction\":\"coaster\",\"party\":1}";
	static const char ops_body[] =
	    "{\"v\":1,\"rid\":\"acl-2\",\"cmd\":\"close\",\"attraction\":\"coaster\"}";
	struct {
		vq_bus *b;
		const char *svc, *body;
	} denied[] = {
	    {board, "svc/issue", issue_body},
	    {kiosk, "svc/ops", ops_body},
	    {kiosk, "svc/redeem", issue_body},
	    {gate, "svc/issue", issue_body},
	    {gate, "svc/ops", ops_body},
	    {ops, "svc/issue", issue_body},
	    {ops, "svc/frobnicate", "{\"v\":1,\"rid\":\"acl-3\"}"},
	    {kiosk, "state/coaster", "{\"v\":1,\"status\":\"closed\"}"},
	};
	for (size_t i = 0; i < sizeof denied / sizeof denied[0]; i++) {
		cJSON *r = NULL;
		int rc = vqs_call(denied[i].b, denied[i].svc, denied[i].body,
		                  strlen(denied[i].body), WAIT_MS, &r, NULL, NULL);
		CHECK(rc == VQ_EDENIED, "%s publishing %s: want VQ_EDENIED, got %s %s",
		      vq_bus_client_id(denied[i].b), denied[i].svc, vq_strerror(rc), vqs_js(r));
		cJSON_Delete(r);
	}
	/* The close above never happened. */
	cJSON *r = call(kiosk, "svc/issue", "%s", issue_body);
	expect_ok(r, "issue after the denied close");
	cJSON_Delete(r);

	/* kiosk-2 sees neither kiosk-1's requests nor vqd's replies to them. */
	vq_bus_msg *m = NULL;
	size_t n = 0;
	long long deadline = tu_mono_ms() + QUIET_MS;
	while (tu_mono_ms() < deadline) {
		CHECK(vq_bus_poll(spy, &m, 1, &n, QUIET_MS) == VQ_OK, "poll");
		if (n == 0)
			break;
		bool leak = m->kind == VQ_BUS_MESSAGE && (strncmp(m->suffix, "reply/", 6) == 0 ||
		                                          strncmp(m->suffix, "svc/", 4) == 0);
		char what[300];
		snprintf(what, sizeof what, "%s: %.200s", m->suffix, m->payload);
		vq_bus_msg_free(m);
		CHECK(!leak, "kiosk-2 received %s", what);
	}

	vq_bus_free(ops);
	vq_bus_free(gate);
	vq_bus_free(spy);
	vq_bus_free(kiosk);
	vq_bus_free(board);
}
END_TEST

/* --- SIGKILL in the middle of a burst -------------------------------------------------------- */

enum { REQ_NONE = 0, REQ_ACKED, REQ_LOST, REQ_REFUSED };

typedef struct burst_req {
	int state;
	int64_t ticket;
	char *raw;
	size_t rawlen;
} burst_req;

typedef struct burst {
	vq_bus *kiosk;
	int thread;
	atomic_int *acked;
	atomic_bool *stop;
	burst_req reqs[BURST_MAX];
	int n; /* requests sent */
	char note[1024];
} burst;

static int burst_body(char *out, size_t size, int thread, int i)
{
	return snprintf(
	    out, size,
	    "{\"v\":1,\"rid\":\"b%d-%d\",\"card\":\"burst-%d-%d\",\"attraction\":\"%s\","
	    "\"party\":1}",
	    thread, i, thread, i, i % 2 ? "coaster" : "flume");
}

static void *burst_run(void *arg)
{
	burst *b = arg;
	for (int i = 0; i < BURST_MAX && !atomic_load(b->stop); i++) {
		char body[256];
		int len = burst_body(body, sizeof body, b->thread, i);
		burst_req *q = &b->reqs[i];
		b->n = i + 1;
		cJSON *r = NULL;
		int rc = vqs_call(b->kiosk, "svc/issue", body, (size_t)len, 3000, &r, &q->raw,
		                  &q->rawlen);
		int64_t id;
		if (rc == VQ_OK && vqs_ok(r) && vqs_int(r, "ticket.id", &id)) {
			q->state = REQ_ACKED;
			q->ticket = id;
			atomic_fetch_add(b->acked, 1);
		} else {
			/* Lost in the kill (no reply, or no vqd to take it): it may or may not
			 * have been committed. A refusal would be a finding of its own. */
			q->state = rc == VQ_OK ? REQ_REFUSED : REQ_LOST;
			if (rc == VQ_OK)
				snprintf(b->note, sizeof b->note, "%.200s -> %.700s", body, q->raw);
			cJSON_Delete(r);
			break;
		}
		cJSON_Delete(r);
	}
	return NULL;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

START_TEST(test_crash_burst)
{
	/* as fast as the connections go: out of the way of the rate limits (kiosks issuing,
	 * the operator looking every ticket up), which are not what this test is about */
	char *cfg = vqs_config_with_limits(VQS_NO_LIMITS);
	ck_assert_ptr_nonnull(cfg);
	vqs_opts o = {.config = cfg};
	up(&o);
	free(cfg);
	vq_bus *kiosks[2] = {bus("kiosk-1", NULL), bus("kiosk-2", NULL)};
	atomic_int acked = 0;
	atomic_bool stop = false;
	burst *bs = calloc(BURST_THREADS, sizeof *bs);
	ck_assert_ptr_nonnull(bs);
	pthread_t th[BURST_THREADS];
	for (int t = 0; t < BURST_THREADS; t++) {
		bs[t].kiosk = kiosks[t % 2];
		bs[t].thread = t;
		bs[t].acked = &acked;
		bs[t].stop = &stop;
		CHECK(pthread_create(&th[t], NULL, burst_run, &bs[t]) == 0, "pthread_create");
	}
	long long t0 = tu_mono_ms();
	while (atomic_load(&acked) < BURST_ACKS && tu_mono_ms() - t0 < 20000)
		tu_sleep_ms(1);
	int at_kill = atomic_load(&acked);
	CHECK(vqs_vqd_kill(site) == VQ_OK, "kill");
	atomic_store(&stop, true);
	for (int t = 0; t < BURST_THREADS; t++)
		pthread_join(th[t], NULL);
	long long t_kill = tu_mono_ms() - t0;
	for (int t = 0; t < BURST_THREADS; t++)
		CHECK(bs[t].note[0] == '\0', "thread %d was refused: %s", t, bs[t].note);
	CHECK(at_kill >= BURST_ACKS, "only %d issues acknowledged in 20 s", at_kill);
	int total_acked = atomic_load(&acked);
	fprintf(stderr, "test_crash_burst: killed vqd after %d acks (%lld ms); %d acked in all\n",
	        at_kill, t_kill, total_acked);

	CHECK(vqs_vqd_start(site) == VQ_OK, "restart after SIGKILL");
	vq_bus *ops = bus("ops-1", NULL);
	int64_t *ids = calloc((size_t)BURST_THREADS * BURST_MAX, sizeof *ids);
	ck_assert_ptr_nonnull(ids);
	size_t nids = 0;
	for (int t = 0; t < BURST_THREADS; t++) {
		for (int i = 0; i < bs[t].n; i++) {
			burst_req *q = &bs[t].reqs[i];
			char body[256];
			int len = burst_body(body, sizeof body, t, i);
			cJSON *r = NULL;
			char *raw = NULL;
			size_t rawlen = 0;
			int rc = vqs_call(bs[t].kiosk, "svc/issue", body, (size_t)len, WAIT_MS, &r,
			                  &raw, &rawlen);
			CHECK(rc == VQ_OK && vqs_ok(r), "re-sending %s after the crash: %s %s",
			      body, vq_strerror(rc), raw ? raw : "");
			int64_t id = get_int(r, "ticket.id", "re-sent issue");
			if (q->state == REQ_ACKED) {
				/* Acknowledged before the kill: the very same answer. */
				CHECK(rawlen == q->rawlen && memcmp(raw, q->raw, rawlen) == 0,
				      "acknowledged %s came back different after the crash:\n  "
				      "before: %s\n  "
				      "after:  %s",
				      body, q->raw, raw);
				cJSON *l = call(ops, "svc/lookup",
				                "{\"v\":1,\"rid\":\"bl-%d-%d\",\"ticket\":%lld}", t,
				                i, (long long)id);
				CHECK(vqs_ok(l) && strcmp(get_str(l, "ticket.state", "lookup"),
				                          "issued") == 0,
				      "acknowledged ticket %lld after the crash: %s", (long long)id,
				      vqs_js(l));
				cJSON_Delete(l);
			}
			ids[nids++] = id;
			cJSON_Delete(r);
			free(raw);
		}
	}
	qsort(ids, nids, sizeof *ids, cmp_i64);
	for (size_t i = 1; i < nids; i++)
		CHECK(ids[i] != ids[i - 1], "ticket %lld went to two request ids",
		      (long long)ids[i]);
	/* Every ticket in the store belongs to exactly one of our request ids. */
	int64_t in_db = -1;
	CHECK(vqs_db_int(site, "SELECT count(*) FROM tickets", &in_db) == VQ_OK &&
	          in_db == (int64_t)nids,
	      "%zu request ids, %lld tickets stored", nids, (long long)in_db);

	free(ids);
	for (int t = 0; t < BURST_THREADS; t++)
		for (int i = 0; i < bs[t].n; i++)
			free(bs[t].reqs[i].raw);
	free(bs);
	vq_bus_free(ops);
	vq_bus_free(kiosks[1]);
	vq_bus_free(kiosks[0]);
}
END_TEST

/* --- the database disagrees, and then cannot be read -------------------------------- */

/* Another process writes vqd's database (the file is shared; vqd holds no lock between
 * batches). */
static void db_exec(const char *sql)
{
	sqlite3 *db = NULL;
	CHECK(sqlite3_open(vqs_db_path(site), &db) == SQLITE_OK, "open %s", vqs_db_path(site));
	sqlite3_busy_timeout(db, 5000);
	char *msg = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
	CHECK(rc == SQLITE_OK, "%s: %s", sql, msg ? msg : "?");
	sqlite3_close(db);
}

static int log_count(const char *needle)
{
	char *log = tu_read_file(vqs_log_path(site), NULL);
	int n = 0;
	for (const char *p = log; p && (p = strstr(p, needle)); p += strlen(needle))
		n++;
	free(log);
	return n;
}

/* One request sent from a thread of its own, so several can be in flight at once. */
typedef struct async_call {
	vq_bus *b;
	const char *svc;
	char body[512];
	cJSON *reply;
	char *raw;
	int rc;
	pthread_t th;
} async_call;

static void *async_run(void *arg)
{
	async_call *c = arg;
	size_t len = 0;
	c->rc =
	    vqs_call(c->b, c->svc, c->body, strlen(c->body), 3 * WAIT_MS, &c->reply, &c->raw, &len);
	return NULL;
}

static void async_start(async_call *c)
{
	CHECK(pthread_create(&c->th, NULL, async_run, c) == 0, "pthread_create");
}

static void async_end(async_call *c)
{
	pthread_join(c->th, NULL);
	CHECK(c->rc == VQ_OK, "%s %s: %s", c->svc, c->body, vq_strerror(c->rc));
}

/* The issue's story, end to end. A second writer holds the database while it admits a
 * ticket behind vqd's back; vqd waits for the lock with a batch in hand, and the requests
 * that come meanwhile make up its next batch: the redeem of that ticket (which finds the
 * disk disagreeing), then a kiosk's issue and an operator's standby. All three get
 * storage and nothing of them stays: not in the database, not in what vqd publishes,
 * and not in the next, unrelated batch. The kiosk's retry then gets one ticket. */
START_TEST(test_dead_batch)
{
	up(NULL);
	vq_bus *k1 = bus("kiosk-1", NULL), *k2 = bus("kiosk-2", NULL), *gate = bus("gate-1", NULL),
	       *ops = bus("ops-1", NULL);
	cJSON *t = issue(k1, "db-1", "db-card", "coaster", 1);
	char code[VQ_CODE_MAX], sql[256];
	snprintf(code, sizeof code, "%s", get_str(t, "ticket.code", "issue"));
	int64_t id = get_int(t, "ticket.id", "issue");
	cJSON_Delete(t);
	cJSON *st = call(ops, "svc/ops", "{\"v\":1,\"rid\":\"db-st0\",\"cmd\":\"status\"}");
	int64_t standby = get_int(st, "attractions.0.standby_min", "status");
	cJSON_Delete(st);

	sqlite3 *db = NULL;
	CHECK(sqlite3_open(vqs_db_path(site), &db) == SQLITE_OK, "open the database");
	sqlite3_busy_timeout(db, 5000);
	snprintf(sql, sizeof sql,
	         "BEGIN IMMEDIATE; UPDATE tickets SET state = 1, used_gate = 'intruder', used_at "
	         "= 1 WHERE id = %lld; INSERT INTO redemptions (ticket, gate, at, offline) VALUES "
	         "(%lld, 'intruder', 1, 0)",
	         (long long)id, (long long)id);
	CHECK(sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK, "%s", sqlite3_errmsg(db));
	async_call c[4] = {
	    {.b = k1, .svc = "svc/quote", .body = "{\"v\":1,\"rid\":\"db-q\",\"party\":1}"},
	    {.b = gate, .svc = "svc/redeem"},
	    {.b = k2,
	     .svc = "svc/issue",
	     .body = "{\"v\":1,\"rid\":\"second\",\"card\":\"db-card-2\",\"attraction\":\"flume\","
	             "\"party\":2}"},
	    {.b = ops,
	     .svc = "svc/ops",
	     .body = "{\"v\":1,\"rid\":\"db-sb\",\"cmd\":\"standby\",\"attraction\":\"coaster\","
	             "\"minutes\":55}"},
	};
	snprintf(c[1].body, sizeof c[1].body,
	         "{\"v\":1,\"rid\":\"db-r\",\"code\":\"%s\",\"attraction\":\"coaster\"}", code);
	async_start(&c[0]); /* vqd takes it and waits for the write lock */
	tu_sleep_ms(300);
	for (int i = 1; i < 4; i++) {
		async_start(&c[i]);
		tu_sleep_ms(100);
	}
	tu_sleep_ms(700);
	CHECK(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK, "%s", sqlite3_errmsg(db));
	sqlite3_close(db);
	for (int i = 0; i < 4; i++)
		async_end(&c[i]);
	for (int i = 1; i < 4; i++)
		CHECK(strcmp(vqs_errcode(c[i].reply), "storage") == 0, "%s in the dead batch: %s",
		      c[i].svc, c[i].raw);

	/* an unrelated batch: it commits its own ticket and nothing of the dead one */
	cJSON *r = issue(k1, "db-3", "db-card-3", "coaster", 1);
	cJSON_Delete(r);
	int64_t n = -1;
	CHECK(vqs_db_int(site, "SELECT count(*) FROM tickets", &n) == VQ_OK && n == 2,
	      "%lld tickets after the dead batch and the next one (want 2)", (long long)n);
	CHECK(vqs_db_int(site, "SELECT count(*) FROM settings WHERE key = 'standby.coaster'", &n) ==
	              VQ_OK &&
	          n == 0,
	      "the dead batch's standby is stored");
	st = call(ops, "svc/ops", "{\"v\":1,\"rid\":\"db-st1\",\"cmd\":\"status\"}");
	CHECK(get_int(st, "attractions.0.standby_min", "status") == standby,
	      "vqd shows the standby of a batch that failed: %s", vqs_js(st));
	cJSON_Delete(st);

	/* the kiosk retries with the same rid: one ticket, and its retry the same bytes */
	char *raw1 = NULL, *raw2 = NULL;
	size_t len1 = 0, len2 = 0;
	r = call_raw(k2, "svc/issue", &raw1, &len1, "%s", c[2].body);
	expect_ok(r, "the retry of the dead batch's issue");
	cJSON_Delete(r);
	r = call_raw(k2, "svc/issue", &raw2, &len2, "%s", c[2].body);
	cJSON_Delete(r);
	same_bytes(raw1, len1, raw2, len2, "the retry's retry");
	free(raw1);
	free(raw2);
	CHECK(vqs_db_int(site, "SELECT count(*) FROM tickets WHERE attr = 'flume'", &n) == VQ_OK &&
	          n == 1,
	      "one rid, %lld tickets", (long long)n);
	r = call(gate, "svc/redeem", "%s", c[1].body);
	expect_err(r, "already_used", "the redeem, once vqd knows what the disk says");
	cJSON_Delete(r);
	for (int i = 0; i < 4; i++) {
		cJSON_Delete(c[i].reply);
		free(c[i].raw);
	}
	vq_bus_free(ops);
	vq_bus_free(gate);
	vq_bus_free(k2);
	vq_bus_free(k1);
}
END_TEST

/* A redeem meets a ticket another writer admitted, and the day on disk no longer adds up,
 * so the book cannot be rebuilt: vqd stays up, answers storage to everything, says why
 * once, and serves again by itself once the database is repaired. */
START_TEST(test_no_book)
{
	up(NULL);
	vq_bus *kiosk = bus("kiosk-1", NULL), *gate = bus("gate-1", NULL);
	cJSON *t = issue(kiosk, "nb-1", "nb-card", "coaster", 1);
	char code[VQ_CODE_MAX], sql[256];
	snprintf(code, sizeof code, "%s", get_str(t, "ticket.code", "issue"));
	snprintf(sql, sizeof sql,
	         "UPDATE tickets SET state = 1, used_gate = 'intruder', used_at = 1 WHERE id = "
	         "%lld; UPDATE slots SET taken = taken + 5 WHERE attr = 'coaster'",
	         (long long)get_int(t, "ticket.id", "issue"));
	cJSON_Delete(t);
	db_exec(sql);

	cJSON *r = redeem(gate, "nb-r1", code, "coaster");
	expect_err(r, "storage", "redeem of a ticket admitted behind vqd's back");
	cJSON_Delete(r);
	for (int i = 0; i < 3; i++) {
		r = call(kiosk, "svc/identify", "{\"v\":1,\"rid\":\"nb-id-%d\",\"card\":\"x\"}", i);
		expect_err(r, "storage", "identify without a book");
		cJSON_Delete(r);
		r = call(
		    kiosk, "svc/issue",
		    "{\"v\":1,\"rid\":\"nb-2\",\"card\":\"nb-card-2\",\"attraction\":\"flume\","
		    "\"party\":1}");
		expect_err(r, "storage", "issue without a book");
		cJSON_Delete(r);
		tu_sleep_ms(300);
	}
	CHECK(vqs_vqd_alive(site), "vqd died without its book");
	CHECK(log_count("no book:") == 1, "the loss of the book is logged %d times",
	      log_count("no book:"));

	db_exec("UPDATE slots SET taken = taken - 5 WHERE attr = 'coaster'");
	long long t0 = tu_mono_ms();
	char *first = NULL;
	size_t firstlen = 0;
	for (;;) {
		free(first);
		r = call_raw(kiosk, "svc/issue", &first, &firstlen,
		             "{\"v\":1,\"rid\":\"nb-2\",\"card\":\"nb-card-2\",\"attraction\":"
		             "\"flume\",\"party\":1}");
		if (vqs_ok(r))
			break;
		expect_err(r, "storage", "issue while the book comes back");
		cJSON_Delete(r);
		CHECK(tu_mono_ms() - t0 < 15000, "vqd did not come back within 15 s of the repair");
		tu_sleep_ms(200);
	}
	cJSON_Delete(r);
	fprintf(stderr, "test_no_book: serving again %lld ms after the repair\n",
	        tu_mono_ms() - t0);
	CHECK(log_count("serving again") == 1, "the recovery is not logged once");
	char *again = NULL;
	size_t againlen = 0;
	r = call_raw(kiosk, "svc/issue", &again, &againlen,
	             "{\"v\":1,\"rid\":\"nb-2\",\"card\":\"nb-card-2\",\"attraction\":\"flume\","
	             "\"party\":1}");
	same_bytes(first, firstlen, again, againlen, "the retry after the recovery");
	cJSON_Delete(r);
	free(first);
	free(again);
	r = redeem(gate, "nb-r1", code, "coaster");
	expect_err(r, "already_used", "the ticket the other writer admitted");
	CHECK(strcmp(get_str(r, "error.used_gate", "redeem"), "intruder") == 0, "used by %s",
	      vqs_js(r));
	cJSON_Delete(r);
	int64_t n = -1;
	CHECK(vqs_db_int(site, "SELECT count(*) FROM tickets", &n) == VQ_OK && n == 2,
	      "tickets: %lld", (long long)n);
	vq_bus_free(gate);
	vq_bus_free(kiosk);
}
END_TEST

/* --- the broker goes away -------------------------------------------------------------------- */

START_TEST(test_broker_restart)
{
	up(NULL);
	vq_bus *kiosk = bus("kiosk-1", NULL);
	cJSON *r = issue(kiosk, "br-1", "br-card", "coaster", 1);
	cJSON_Delete(r);
	long long t0 = tu_mono_ms();
	CHECK(vqs_broker_restart(site) == VQ_OK, "vqd did not come back after a broker restart");
	fprintf(stderr, "test_broker_restart: vqd back online after %lld ms\n", tu_mono_ms() - t0);
	CHECK(vq_bus_wait_connected(kiosk, WAIT_MS) == VQ_OK, "kiosk did not reconnect");
	r = issue(kiosk, "br-2", "br-card-2", "coaster", 1);
	cJSON_Delete(r);
	/* Replayed after the outage: the first reply, not a second ticket. */
	r = issue(kiosk, "br-1", "br-card", "coaster", 1);
	cJSON_Delete(r);
	int64_t n = -1;
	CHECK(vqs_db_int(site, "SELECT count(*) FROM tickets", &n) == VQ_OK && n == 2,
	      "tickets after the broker restart: %lld", (long long)n);

	/* The broker keeps nothing; vqd must put its retained state back. */
	vq_bus *board = bus("board-1", (const char *const[]){"state/+", NULL});
	cJSON *s = vqs_wait_json(board, "state/coaster", NULL, NULL, WAIT_MS);
	CHECK(s != NULL, "no retained state/coaster after the broker restart");
	cJSON_Delete(s);
	vq_bus_free(board);
	board = bus("board-1", (const char *const[]){"state/_site", NULL});
	s = vqs_wait_json(board, "state/_site", NULL, NULL, WAIT_MS);
	CHECK(s != NULL, "no retained state/_site after the broker restart");
	cJSON_Delete(s);
	vq_bus_free(board);
	vq_bus_free(kiosk);
}
END_TEST

/* --- stopping ------------------------------------------------------------------------------- */

#define SIGTERM_BURST 40

START_TEST(test_sigterm)
{
	up(NULL);
	vq_bus *kiosk = bus("kiosk-1", NULL);
	/* Requests in flight when SIGTERM comes: whatever vqd answers must be committed. */
	char corr[SIGTERM_BURST][VQ_BUS_CORR_MAX];
	char *raw[SIGTERM_BURST] = {0};
	size_t rawlen[SIGTERM_BURST] = {0};
	for (int i = 0; i < SIGTERM_BURST; i++) {
		char body[256];
		int len = snprintf(
		    body, sizeof body,
		    "{\"v\":1,\"rid\":\"term-%d\",\"card\":\"term-%d\",\"attraction\":\"coaster\","
		    "\"party\":1}",
		    i, i);
		CHECK(vq_bus_request(kiosk, "svc/issue", body, (size_t)len, corr[i]) == VQ_OK,
		      "request");
	}
	int status = -1;
	int answered = 0;
	bool stopped = false;
	for (;;) {
		vq_bus_msg *m = NULL;
		size_t n = 0;
		CHECK(vq_bus_poll(kiosk, &m, 1, &n, stopped ? 300 : WAIT_MS) == VQ_OK, "poll");
		if (n == 0)
			break;
		if (!stopped) {
			/* The first answer says vqd is at work on the burst: stop it now. It
			 * must finish what it took on; the replies stay queued on our bus. */
			CHECK(vqs_vqd_stop(site, &status) == VQ_OK,
			      "vqd did not exit within 10 s of SIGTERM");
			CHECK(status == 0, "vqd exit status %d after SIGTERM", status);
			CHECK(vqs_wait_presence(site, false, WAIT_MS) == VQ_OK,
			      "no offline presence after SIGTERM");
			stopped = true;
		}
		for (int i = 0; i < SIGTERM_BURST; i++) {
			if (m->kind != VQ_BUS_MESSAGE || !vq_bus_msg_corr_is(m, corr[i]))
				continue;
			CHECK(!raw[i], "two replies to term-%d", i);
			raw[i] = strndup(m->payload, m->len);
			rawlen[i] = m->len;
			answered++;
		}
		vq_bus_msg_free(m);
	}
	CHECK(stopped && answered >= 1, "no reply to the burst before SIGTERM");
	fprintf(stderr, "test_sigterm: %d of %d requests answered before the exit\n", answered,
	        SIGTERM_BURST);

	CHECK(vqs_vqd_start(site) == VQ_OK, "start after SIGTERM");
	for (int i = 0; i < SIGTERM_BURST; i++) {
		if (!raw[i])
			continue;
		char *again = NULL;
		size_t alen = 0;
		cJSON *r =
		    call_raw(kiosk, "svc/issue", &again, &alen,
		             "{\"v\":1,\"rid\":\"term-%d\",\"card\":\"term-%d\",\"attraction\":"
		             "\"coaster\",\"party\":1}",
		             i, i);
		same_bytes(raw[i], rawlen[i], again, alen, "answered before SIGTERM");
		cJSON_Delete(r);
		free(again);
		free(raw[i]);
	}
	/* SIGINT is a clean stop too. */
	CHECK(vqs_vqd_signal_stop(site, SIGINT, &status) == VQ_OK && status == 0,
	      "vqd exit status %d after SIGINT", status);
	vq_bus_free(kiosk);
}
END_TEST

START_TEST(test_bad_usage)
{
	vqs_opts o = {.no_vqd = true};
	up(&o);
	char port[32], bad[1024], db2[1024];
	snprintf(port, sizeof port, "127.0.0.1:%d", vqs_port(site));
	snprintf(bad, sizeof bad, "%s/bad.json", vqs_dir(site));
	snprintf(db2, sizeof db2, "%s/other.db", vqs_dir(site));
	FILE *f = fopen(bad, "w");
	ck_assert_ptr_nonnull(f);
	fputs("{\"version\":1,\"id\":\"test\"}", f);
	fclose(f);
	const char *creds = vqs_credentials(site);
#define BASE                                                                                       \
	"--db", db2, "--broker", port, "--site", VQS_SITE, "--user", "vqd", "--credentials", creds
	struct {
		const char *what;
		const char *args[24];
	} cases[] = {
	    {"no arguments", {NULL}},
	    {"an unknown option", {"--config", vqs_config_path(site), BASE, "--frobnicate", NULL}},
	    {"no --config", {BASE, NULL}},
	    {"a config that does not parse", {"--config", bad, BASE, NULL}},
	    {"a config file that is not there", {"--config", "/nonexistent/site.json", BASE, NULL}},
	    {"a bad --clock-start",
	     {"--config", vqs_config_path(site), BASE, "--clock-start", "25:99", NULL}},
	    {"a bad --log-level",
	     {"--config", vqs_config_path(site), BASE, "--log-level", "loud", NULL}},
	    {"a bad --clock-speed",
	     {"--config", vqs_config_path(site), BASE, "--clock-speed", "-3", NULL}},
	};
#undef BASE
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct stat before, after;
		stat(vqs_log_path(site), &before);
		if (i == 0)
			before.st_size = 0;
		int status = -1;
		int rc = vqs_vqd_run(site, cases[i].args, 5000, &status);
		CHECK(rc == VQ_OK, "vqd with %s did not exit within 5 s", cases[i].what);
		CHECK(status == 2, "vqd with %s: exit %d, want 2", cases[i].what, status);
		CHECK(stat(vqs_log_path(site), &after) == 0 && after.st_size > before.st_size,
		      "vqd with %s said nothing on stderr", cases[i].what);
	}
	/* The good command line still works. */
	CHECK(vqs_vqd_start(site) == VQ_OK, "vqd with good arguments");
}
END_TEST

static bool site_named(const cJSON *st, const char *name)
{
	const char *n = vqs_str(st, "name");
	return n && strcmp(n, name) == 0;
}

START_TEST(test_sighup)
{
	up(NULL);
	vq_bus *kiosk = bus("kiosk-1", NULL);
	cJSON *st = vqs_site_state(site, WAIT_MS);
	CHECK(site_named(st, "Test Park"), "state/_site: %s", vqs_js(st));
	cJSON_Delete(st);

	/* A good new config: the site's name changes on state/_site. */
	const char *cfg = vqs_default_config();
	const char *at = strstr(cfg, "Test Park");
	ck_assert_ptr_nonnull(at);
	char *renamed = malloc(strlen(cfg) + 16);
	ck_assert_ptr_nonnull(renamed);
	sprintf(renamed, "%.*sRenamed Park%s", (int)(at - cfg), cfg, at + strlen("Test Park"));
	FILE *f = fopen(vqs_config_path(site), "w");
	ck_assert_ptr_nonnull(f);
	fputs(renamed, f);
	fclose(f);
	free(renamed);
	CHECK(vqs_vqd_signal(site, SIGHUP) == VQ_OK, "SIGHUP");
	bool seen = false;
	long long deadline = tu_mono_ms() + WAIT_MS;
	while (!seen && tu_mono_ms() < deadline) {
		st = vqs_site_state(site, 100);
		seen = site_named(st, "Renamed Park");
		cJSON_Delete(st);
		if (!seen)
			tu_sleep_ms(50);
	}
	CHECK(seen, "state/_site did not show the reloaded name");
	still_serving(kiosk, "a reload");

	/* A broken config: vqd keeps the one it has and keeps serving. */
	f = fopen(vqs_config_path(site), "w");
	ck_assert_ptr_nonnull(f);
	fputs("{ this is not a site", f);
	fclose(f);
	CHECK(vqs_vqd_signal(site, SIGHUP) == VQ_OK, "SIGHUP");
	tu_sleep_ms(300);
	still_serving(kiosk, "a reload of a broken config");
	cJSON *r = issue(kiosk, "hup-1", "hup-card", "coaster", 1);
	cJSON_Delete(r);

	/* Another zone: today was laid out in this one; a restart changes it, not a reload. */
	const char *utc = strstr(cfg, "\"UTC\"");
	ck_assert_ptr_nonnull(utc);
	f = fopen(vqs_config_path(site), "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "%.*s\"Europe/Bucharest\"%s", (int)(utc - cfg), cfg, utc + strlen("\"UTC\""));
	fclose(f);
	CHECK(vqs_vqd_signal(site, SIGHUP) == VQ_OK, "SIGHUP");
	deadline = tu_mono_ms() + WAIT_MS;
	while (!log_count("reload: timezone changed (UTC -> Europe/Bucharest)") &&
	       tu_mono_ms() < deadline)
		tu_sleep_ms(50);
	CHECK(log_count("reload: timezone changed (UTC -> Europe/Bucharest)") == 1,
	      "a reload to another zone was not refused");
	still_serving(kiosk, "a reload to another zone");
	vq_bus_free(kiosk);
}
END_TEST

/* --- keys and the clock ------------------------------------------------------------------- */

START_TEST(test_keys_rotate)
{
	up(NULL);
	vq_bus *kiosk = bus("kiosk-1", NULL);
	vq_bus *gate = bus("gate-1", NULL);
	vq_bus *ops = bus("ops-1", NULL);
	cJSON *old = issue(kiosk, "key-1", "key-card-1", "coaster", 1);
	vq_keyring ring;
	CHECK(vqs_keyring(site, &ring, WAIT_MS) == VQ_OK && ring.count == 1,
	      "keys before rotation");

	cJSON *r = call(ops, "svc/ops", "{\"v\":1,\"rid\":\"key-rot\",\"cmd\":\"keys_rotate\"}");
	expect_ok(r, "keys_rotate");
	int64_t kid = get_int(r, "kid", "keys_rotate");
	CHECK(kid != ring.keys[0].kid && vqs_str(r, "public_key"), "keys_rotate: %s", vqs_js(r));
	cJSON_Delete(r);

	/* Gates learn the new key from state/_site and keep the old one. */
	long long deadline = tu_mono_ms() + WAIT_MS;
	do {
		tu_sleep_ms(50);
		CHECK(vqs_keyring(site, &ring, WAIT_MS) == VQ_OK, "keys after rotation");
	} while (ring.count < 2 && tu_mono_ms() < deadline);
	CHECK(ring.count == 2, "state/_site has %d keys after a rotation, want 2", ring.count);

	cJSON *young = issue(kiosk, "key-2", "key-card-2", "coaster", 1);
	vq_claims c;
	const char *code = get_str(young, "ticket.code", "new ticket");
	CHECK(vq_code_verify(code, strlen(code), &ring, &c) == VQ_OK && c.kid == kid,
	      "a ticket after the rotation should be signed by kid %lld", (long long)kid);
	check_code(vqs_get(old, "ticket"), &ring, 0);
	r = redeem(gate, "key-r-1", get_str(old, "ticket.code", "old"), "coaster");
	expect_ok(r, "a ticket signed with the old key");
	cJSON_Delete(r);
	r = redeem(gate, "key-r-2", code, "coaster");
	expect_ok(r, "a ticket signed with the new key");
	cJSON_Delete(r);
	r = call(ops, "svc/ops", "{\"v\":1,\"rid\":\"key-list\",\"cmd\":\"keys\"}");
	CHECK(array_len(r, "keys") == 2, "keys: %s", vqs_js(r));
	cJSON_Delete(r);

	cJSON_Delete(young);
	cJSON_Delete(old);
	vq_bus_free(ops);
	vq_bus_free(gate);
	vq_bus_free(kiosk);
}
END_TEST

/* The coaster's next window for a walk-in of one. */
static int64_t next_coaster(vq_bus *kiosk)
{
	cJSON *r = call(kiosk, "svc/quote",
	                "{\"v\":1,\"rid\":\"clk-%lld\",\"party\":1,\"attraction\":\"coaster\"}",
	                tu_mono_ms());
	int64_t start = get_int(r, "quotes.0.start", "quote");
	cJSON_Delete(r);
	return start;
}

START_TEST(test_clock)
{
	/* "HH:MM": today at that time in the site's zone (UTC here). */
	vqs_opts o = {.clock_start = "10:01"};
	up(&o);
	vq_bus *kiosk = bus("kiosk-1", NULL);
	int64_t start = next_coaster(kiosk);
	CHECK(start % 86400 == 10 * 3600 + 15 * 60 && start > time(NULL) - 2 * 86400,
	      "--clock-start 10:01: next coaster window at %lld", (long long)start);
	vq_bus_free(kiosk);
	vqs_free(site);
	site = NULL;

	/* 60 times real time from 10:13: the 10:15 slot starts two real seconds in. */
	char t0[32];
	snprintf(t0, sizeof t0, "%lld", VQS_TEN_AM + 13 * 60);
	o = (vqs_opts){.clock_start = t0, .clock_speed = "60"};
	long long real0 = tu_mono_ms(); /* before vqd's clock starts */
	up(&o);
	kiosk = bus("kiosk-1", NULL);
	start = next_coaster(kiosk);
	CHECK(start == VQS_TEN_AM + 15 * 60 || tu_mono_ms() - real0 > 1500,
	      "at 10:13 the next window should be 10:15, got %lld", (long long)start);
	long long deadline = real0 + 8000;
	while (start < VQS_TEN_AM + 30 * 60 && tu_mono_ms() < deadline) {
		tu_sleep_ms(100);
		start = next_coaster(kiosk);
	}
	long long took = tu_mono_ms() - real0;
	CHECK(start == VQS_TEN_AM + 30 * 60, "the demo clock did not pass 10:15 (next: %lld)",
	      (long long)start);
	/* Not faster than 60x either (vqd's start-up is in the measured time). */
	CHECK(took >= 1500, "the 10:15 slot started %lld ms after 10:13 at 60x", took);
	vq_bus_free(kiosk);
}
END_TEST

/* ops slots: the console's chart of one attraction's day, read from the book. */
START_TEST(test_ops_slots)
{
	up(NULL);
	vq_bus *kiosk = bus("kiosk-1", NULL);
	vq_bus *gate = bus("gate-1", NULL);
	vq_bus *ops = bus("ops-1", NULL);
	cJSON *t1 = vqs_callf(kiosk, "svc/issue",
	                      "{\"v\":1,\"rid\":\"s1\",\"card\":\"w1\",\"attraction\":\"coaster\","
	                      "\"party\":3}");
	cJSON *t2 = vqs_callf(kiosk, "svc/issue",
	                      "{\"v\":1,\"rid\":\"s2\",\"card\":\"w2\",\"attraction\":\"coaster\","
	                      "\"party\":2}");
	CHECK(vqs_ok(t1) && vqs_ok(t2), "issue: %s %s", vqs_js(t1), vqs_js(t2));
	cJSON *rd = vqs_callf(gate, "svc/redeem",
	                      "{\"v\":1,\"rid\":\"s3\",\"code\":\"%s\",\"attraction\":\"coaster\"}",
	                      vqs_str(t1, "ticket.code"));
	CHECK(vqs_ok(rd), "redeem: %s", vqs_js(rd));
	cJSON *r =
	    vqs_callf(ops, "svc/ops",
	              "{\"v\":1,\"rid\":\"s4\",\"cmd\":\"slots\",\"attraction\":\"coaster\"}");
	CHECK(vqs_ok(r), "slots: %s", vqs_js(r));
	/* 09:00-21:00 in 15-minute slots; both tickets are for 10:15, the 6th */
	CHECK(cJSON_GetArraySize(vqs_get(r, "slots")) == 48, "slots: %s", vqs_js(r));
	int64_t start = 0, cap = 0, taken = 0, std = -1, gold = -1, redeemed = 0, before = -1;
	vqs_int(r, "slots.5.start", &start);
	vqs_int(r, "slots.5.cap", &cap);
	vqs_int(r, "slots.5.taken", &taken);
	vqs_int(r, "slots.5.taken_tier.0", &std);
	vqs_int(r, "slots.5.taken_tier.1", &gold);
	vqs_int(r, "slots.5.redeemed", &redeemed);
	vqs_int(r, "slots.4.taken", &before);
	CHECK(start == VQS_TEN_AM + 15 * 60 && cap == 750 && taken == 5 && std == 5 && gold == 0 &&
	          redeemed == 3 && before == 0,
	      "slot 10:15: %s", vqs_js(vqs_get(r, "slots.5")));
	CHECK(!strcmp(vqs_str(r, "tiers.1"), "gold"), "tiers: %s", vqs_js(vqs_get(r, "tiers")));
	int64_t stored = -1;
	vqs_db_int(site, "SELECT taken FROM slots WHERE attr = 'coaster' AND slot = 5", &stored);
	CHECK(stored == taken, "the store says %lld", (long long)stored);
	cJSON_Delete(r);
	r = vqs_callf(ops, "svc/ops",
	              "{\"v\":1,\"rid\":\"s5\",\"cmd\":\"slots\",\"attraction\":\"x\"}");
	CHECK(!strcmp(vqs_errcode(r), "unknown_attraction"), "%s", vqs_js(r));
	cJSON_Delete(r);
	r = vqs_callf(ops, "svc/ops", "{\"v\":1,\"rid\":\"s6\",\"cmd\":\"slots\"}");
	CHECK(!strcmp(vqs_errcode(r), "bad_request"), "%s", vqs_js(r));
	cJSON_Delete(r);
	cJSON_Delete(t1);
	cJSON_Delete(t2);
	cJSON_Delete(rd);
	vq_bus_free(kiosk);
	vq_bus_free(gate);
	vq_bus_free(ops);
}
END_TEST

/* --- local days (issue 9) --------------------------------------------------------------- */

/* Bucharest: the coaster runs all day in 45-minute slots, which a 23-hour day does not
 * divide into; the desk in 5-minute slots with a long late grace, so its last tickets
 * still admit after midnight. */
static const char BUCHAREST[] =
    "{\"version\":1,\"id\":\"" VQS_SITE "\",\"name\":\"Test Park\","
    "\"timezone\":\"Europe/Bucharest\",\"languages\":[\"en\"],\"min_lead_min\":0,"
    "\"unknown_cards\":\"standard\",\"tiers\":[{\"id\":\"standard\",\"names\":{\"en\":"
    "\"Standard\"},\"protect_pct\":0,\"release_min\":0,\"max_passes\":9,\"horizon_min\":1440,"
    "\"late_grace_min\":0}],\"attractions\":["
    "{\"id\":\"coaster\",\"prefix\":\"C\",\"kind\":\"ride\",\"names\":{\"en\":\"Coaster\"},"
    "\"throughput_per_hour\":600,\"fast_share_pct\":50,\"slot_min\":45,\"window_min\":45,"
    "\"open\":\"00:00\",\"close\":\"24:00\",\"late_grace_min\":10,\"max_party\":8},"
    "{\"id\":\"desk\",\"prefix\":\"D\",\"kind\":\"service\",\"names\":{\"en\":\"Desk\"},"
    "\"throughput_per_hour\":600,\"fast_share_pct\":100,\"slot_min\":5,\"window_min\":15,"
    "\"open\":\"00:00\",\"close\":\"24:00\",\"late_grace_min\":40,\"max_party\":8}]}";

/* Waits for state/_site to say vqd serves day (loaded or not). */
static cJSON *wait_day(const char *day, bool loaded, int timeout_ms)
{
	long long deadline = tu_mono_ms() + timeout_ms;
	for (;;) {
		cJSON *st = vqs_site_state(site, 200);
		const char *d = st ? vqs_str(st, "day") : NULL;
		bool l = false;
		if (d && strcmp(d, day) == 0 && vqs_bool(st, "day_loaded", &l) && l == loaded)
			return st;
		if (tu_mono_ms() > deadline) {
			CHECK(0, "state/_site never said day %s (%s); last: %s", day,
			      loaded ? "loaded" : "not loaded", vqs_js(st));
		}
		cJSON_Delete(st);
		tu_sleep_ms(100);
	}
}

/* 28 March 2027 in Bucharest has 23 hours. Late that evening nothing of the 29th is sold
 * (the old calendar sold 00:15 of the 29th as the 28th's last 45-minute slot, and then the
 * 29th refused to load: no service that whole day); vqd moves to the 29th at its midnight,
 * serves it, starts on it, and still admits the 28th's last desk tickets in their grace. */
START_TEST(test_days_rollover)
{
	vqs_opts o = {
	    .config = BUCHAREST, .clock_start = "2027-03-28T23:20+03:00", .clock_speed = "300"};
	up(&o);
	vq_bus *kiosk = bus("kiosk-1", NULL), *gate = bus("gate-1", NULL);
	cJSON *st = wait_day("2027-03-28", true, 5000);
	cJSON_Delete(st);
	CHECK(log_count("serving day 2027-03-28 (Europe/Bucharest): 23 h 0 min long") == 1,
	      "the log does not say the 28th has 23 hours");
	const int64_t day29 = 1806267600; /* 2027-03-29 00:00 EEST = 2027-03-28 21:00 UTC */
	cJSON *r = call(kiosk, "svc/issue",
	                "{\"v\":1,\"rid\":\"c-28\",\"card\":\"a\",\"attraction\":\"coaster\","
	                "\"party\":1}");
	expect_err(r, "not_operating", "coaster late on the 28th");
	cJSON_Delete(r);
	r = issue(kiosk, "d-28", "a", "desk", 1);
	int64_t end28 = get_int(r, "ticket.end", "desk ticket");
	CHECK(end28 <= day29, "a desk ticket of the 28th ends on the 29th: %s", vqs_js(r));
	char code28[VQ_CODE_MAX];
	snprintf(code28, sizeof code28, "%s", get_str(r, "ticket.code", "desk ticket"));
	cJSON_Delete(r);

	st = wait_day("2027-03-29", true, 20000);
	CHECK(get_int(st, "day_start", "state/_site") == day29, "29th starts at %s", vqs_js(st));
	cJSON_Delete(st);
	CHECK(log_count("a new day begins: day 2027-03-29") == 1, "no new day in the log");
	r = issue(kiosk, "c-29", "a", "coaster", 1);
	int64_t start = get_int(r, "ticket.start", "coaster ticket");
	CHECK(start >= day29 && (start - day29) % 2700 == 0, "a 29th slot: %s", vqs_js(r));
	cJSON_Delete(r);
	/* the 28th's ticket is still inside its grace just after midnight */
	r = redeem(gate, "g-28", code28, "desk");
	expect_ok(r, "the 28th's desk ticket after midnight");
	cJSON_Delete(r);

	/* vqd starts on the 29th, with the 28th's tickets in the database */
	vqs_set_clock(site, "2027-03-29T00:50+03:00", NULL);
	CHECK(vqs_vqd_restart(site) == VQ_OK, "vqd did not start on the 29th");
	r = issue(kiosk, "c-29b", "b", "coaster", 1);
	cJSON_Delete(r);
	vq_bus_free(kiosk);
	vq_bus_free(gate);
}
END_TEST

#define IDENTIFY "{\"v\":1,\"rid\":\"%s\",\"card\":\"someone\"}"

/* A day that cannot load: the log says why, once; every request is refused with
 * day_unavailable (not served from yesterday's book); a fix and a reload bring it back;
 * vqd also starts on such a day. */
START_TEST(test_day_cannot_load)
{
	up(NULL);
	vq_bus *kiosk = bus("kiosk-1", NULL);
	CHECK(vqs_vqd_stop(site, NULL) == VQ_OK, "vqd did not stop");
	/* a slot row that is no slot of 2 January: corruption, or an old vqd's calendar */
	const char *bad = "INSERT INTO slots VALUES ('coaster', 1798848000, 999, 0, 1, 0)";
	db_exec(bad);
	vqs_set_clock(site, "2027-01-01T23:59:40Z", "10");
	CHECK(vqs_vqd_start(site) == VQ_OK, "vqd did not start");
	cJSON *r = call(kiosk, "svc/identify", IDENTIFY, "i-1");
	expect_ok(r, "identify on the 1st");
	cJSON_Delete(r);

	cJSON *st = wait_day("2027-01-02", false, 15000);
	cJSON_Delete(st);
	r = call(kiosk, "svc/identify", IDENTIFY, "i-2");
	expect_err(r, "day_unavailable", "identify on a day that did not load");
	CHECK(strstr(get_str(r, "error.message", "refusal"), "2027-01-02"), "message: %s",
	      vqs_js(r));
	cJSON_Delete(r);
	r = call(kiosk, "svc/issue",
	         "{\"v\":1,\"rid\":\"x-1\",\"card\":\"a\",\"attraction\":\"coaster\",\"party\":1}");
	expect_err(r, "day_unavailable", "issue on a day that did not load");
	cJSON_Delete(r);
	/* exactly why, and once */
	tu_sleep_ms(1500);
	CHECK(log_count("day 2027-01-02 (UTC) cannot be loaded: load day: coaster slot 999") == 1,
	      "the log should say once why the 2nd cannot load");

	/* the row goes; a reload tries again at once */
	db_exec("DELETE FROM slots WHERE slot = 999");
	CHECK(vqs_vqd_signal(site, SIGHUP) == VQ_OK, "SIGHUP");
	st = wait_day("2027-01-02", true, 10000);
	cJSON_Delete(st);
	CHECK(log_count("day 2027-01-02 loaded: serving again") == 1, "no recovery logged");
	r = call(kiosk, "svc/identify", IDENTIFY, "i-3");
	expect_ok(r, "identify once the day loaded");
	cJSON_Delete(r);

	/* starting on a day that cannot load: up, and refusing */
	CHECK(vqs_vqd_stop(site, NULL) == VQ_OK, "vqd did not stop");
	db_exec(bad);
	vqs_set_clock(site, "2027-01-02T10:00Z", NULL);
	CHECK(vqs_vqd_start(site) == VQ_OK, "vqd did not start on a day that cannot load");
	r = call(kiosk, "svc/identify", IDENTIFY, "i-4");
	expect_err(r, "day_unavailable", "identify after starting");
	cJSON_Delete(r);
	CHECK(log_count("day 2027-01-02 (UTC) cannot be loaded: load day: coaster slot 999") == 2,
	      "the log should say why at start too");
	vq_bus_free(kiosk);
}
END_TEST

static bool admitting_past(const cJSON *j, void *arg)
{
	int64_t until = 0;
	return vqs_int(j, "admitting.until", &until) && until > *(int64_t *)arg;
}

/* Time moves the windows a gate admits: when a new one opens, state/<attraction> says so
 * at once (boards announce it), not at the next 30-second refresh. At 10:14:58 the coaster
 * admits the slots up to 10:30 (30 minutes of early grace); at 10:15 the 10:45 one too. */
START_TEST(test_window_opens_published)
{
	char t0[32];
	snprintf(t0, sizeof t0, "%lld", VQS_TEN_AM + 14 * 60 + 58);
	vqs_opts o = {.clock_start = t0};
	up(&o);
	vq_bus *board = bus("board-1", (const char *const[]){"state/coaster", NULL});
	int64_t zero = 0;
	cJSON *first = vqs_wait_json(board, "state/coaster", admitting_past, &zero, WAIT_MS);
	CHECK(first, "no state/coaster with an admitting window");
	int64_t until = get_int(first, "admitting.until", "first state");
	CHECK(until == VQS_TEN_AM + 90 * 60, "at 10:14:58 admitting until %lld", (long long)until);
	cJSON_Delete(first);
	long long t = tu_mono_ms();
	cJSON *next = vqs_wait_json(board, "state/coaster", admitting_past, &until, WAIT_MS);
	CHECK(next, "no new window published within %d ms", WAIT_MS);
	CHECK(get_int(next, "admitting.until", "next state") == VQS_TEN_AM + 105 * 60,
	      "the 10:45 slot: %s", vqs_js(next));
	fprintf(stderr, "test_window_opens_published: published %lld ms after it was asked\n",
	        tu_mono_ms() - t);
	cJSON_Delete(next);
	vq_bus_free(board);
}
END_TEST

static bool pass_admission(const cJSON *j, void *arg)
{
	int64_t id;
	return vqs_int(j, "ticket", &id) && id == *(int64_t *)arg &&
	       cJSON_IsTrue(vqs_get(j, "access"));
}

/* Accessibility return passes (svc/access): staff at a gate give a guest the posted standby
 * wait less the site's margin (10 min by default), to closing time; no fast-lane seat is
 * taken, the tier's pass limit is untouched, one pass per guest, audited with the staff
 * account, admitted at a gate by the ticket rules; vqctl's ops "passes" lists them. */
START_TEST(test_access_pass)
{
	up(NULL);
	vq_bus *kiosk = bus("kiosk-1", NULL);
	vq_bus *gate = bus("gate-1", NULL);
	vq_bus *ops = bus("ops-1", NULL);
	vq_bus *board = bus("board-1", (const char *const[]){"events/admission", NULL});
	vq_keyring ring;
	CHECK(vqs_keyring(site, &ring, WAIT_MS) == VQ_OK, "no usable keys in state/_site");
	cJSON *r = call(ops, "svc/ops",
	                "{\"v\":1,\"rid\":\"a0\",\"cmd\":\"standby\",\"attraction\":\"coaster\","
	                "\"minutes\":60}");
	expect_ok(r, "standby");
	cJSON_Delete(r);

	char *raw1 = NULL, *raw2 = NULL;
	size_t len1 = 0, len2 = 0;
	const char *body = "{\"v\":1,\"rid\":\"a1\",\"card\":\"acc-1\",\"attraction\":"
	                   "\"coaster\",\"party\":3}";
	cJSON *p = call_raw(gate, "svc/access", &raw1, &len1, "%s", body);
	expect_ok(p, "access");
	const cJSON *t = vqs_get(p, "ticket");
	check_ticket(t, "coaster", "C", "standard", 3, "issued");
	/* 10:01 plus 60 - 10 minutes; until the coaster closes at 21:00 */
	CHECK(get_int(t, "start", "pass") == VQS_CLOCK_START + 50 * 60 &&
	          get_int(t, "end", "pass") == VQS_TEN_AM + 11 * 3600,
	      "pass window: %s", vqs_js(t));
	CHECK(!strcmp(get_str(t, "kind", "pass"), "access") &&
	          !strcmp(get_str(t, "issued_by", "pass"), "gate-1") &&
	          get_int(p, "standby_min", "pass") == 60 && get_int(p, "margin_min", "pass") == 10,
	      "pass: %s", vqs_js(p));
	check_code(t, &ring, 0);
	vq_claims c;
	const char *code = get_str(t, "code", "pass");
	CHECK(vq_code_verify(code, strlen(code), &ring, &c) == VQ_OK && c.kind == VQ_TK_ACCESS,
	      "the code does not say it is an access pass: %s", code);
	int64_t id = get_int(t, "id", "pass");
	/* the same rid: the same answer, not a second pass */
	cJSON *again = call_raw(gate, "svc/access", &raw2, &len2, "%s", body);
	same_bytes(raw1, len1, raw2, len2, "access, same rid");
	cJSON_Delete(again);
	free(raw1);
	free(raw2);

	/* one pass at a time, wherever */
	r = call(gate, "svc/access",
	         "{\"v\":1,\"rid\":\"a2\",\"card\":\"acc-1\",\"attraction\":\"flume\","
	         "\"party\":1}");
	expect_err(r, "limit_reached", "a second pass");
	CHECK(get_int(r, "error.held.0.id", "held") == id, "held: %s", vqs_js(r));
	cJSON_Delete(r);
	/* the fast lane is untouched: its seats, and the guest's fast-lane limit */
	r = issue(kiosk, "a3", "acc-1", "coaster", 2);
	cJSON *id_r = call(kiosk, "svc/identify", "{\"v\":1,\"rid\":\"a4\",\"card\":\"acc-1\"}");
	CHECK(array_len(id_r, "held") == 1, "held at the kiosk: %s", vqs_js(id_r));
	cJSON_Delete(id_r);
	cJSON_Delete(r);
	r = call(ops, "svc/ops",
	         "{\"v\":1,\"rid\":\"a5\",\"cmd\":\"slots\",\"attraction\":\"coaster\"}");
	int64_t taken = 0;
	const cJSON *sl;
	cJSON_ArrayForEach(sl, vqs_get(r, "slots"))
	{
		int64_t n = 0;
		vqs_int(sl, "taken", &n);
		taken += n;
	}
	CHECK(taken == 2, "seats taken %lld: only the kiosk's ticket", (long long)taken);
	cJSON_Delete(r);

	/* at the gate: too early now (early grace 30 min), with the ticket rules */
	r = redeem(gate, "a6", code, "coaster");
	expect_err(r, "too_early", "pass before its return time");
	CHECK(get_int(r, "error.from", "too early") == VQS_CLOCK_START + 20 * 60, "from: %s",
	      vqs_js(r));
	cJSON_Delete(r);
	/* a pass with no wait left (standby 5 < margin) admits at once, once, as an access pass */
	r = call(ops, "svc/ops",
	         "{\"v\":1,\"rid\":\"a70\",\"cmd\":\"standby\",\"attraction\":\"flume\","
	         "\"minutes\":5}");
	expect_ok(r, "standby flume");
	cJSON_Delete(r);
	r = call(gate, "svc/access",
	         "{\"v\":1,\"rid\":\"a7\",\"card\":\"acc-2\",\"attraction\":\"flume\","
	         "\"party\":2}");
	expect_ok(r, "access at flume");
	CHECK(get_int(r, "ticket.start", "flume pass") == VQS_CLOCK_START, "flume: %s", vqs_js(r));
	int64_t id2 = get_int(r, "ticket.id", "flume pass");
	cJSON *rd = redeem(gate, "a8", get_str(r, "ticket.code", "flume"), "flume");
	expect_ok(rd, "redeem the flume pass");
	CHECK(!strcmp(get_str(rd, "ticket.kind", "redeemed"), "access"), "redeemed: %s",
	      vqs_js(rd));
	cJSON_Delete(rd);
	cJSON *ev = vqs_wait_json(board, "events/admission", pass_admission, &id2, WAIT_MS);
	CHECK(ev, "no events/admission with access:true for pass %lld", (long long)id2);
	cJSON_Delete(ev);
	rd = redeem(gate, "a9", get_str(r, "ticket.code", "flume"), "flume");
	expect_err(rd, "already_used", "the pass twice");
	cJSON_Delete(rd);
	cJSON_Delete(r);

	/* refusals name what is wrong and change nothing */
	r = call(gate, "svc/access",
	         "{\"v\":1,\"rid\":\"b1\",\"card\":\"acc-3\",\"attraction\":\"coaster\","
	         "\"party\":9}");
	expect_err(r, "party_size", "party 9");
	cJSON_Delete(r);
	r = call(gate, "svc/access",
	         "{\"v\":1,\"rid\":\"b2\",\"attraction\":\"coaster\",\"party\":1}");
	expect_err(r, "bad_request", "no card");
	CHECK(strstr(get_str(r, "error.message", "no card"), "card"), "message: %s", vqs_js(r));
	cJSON_Delete(r);
	r = call(gate, "svc/access",
	         "{\"v\":1,\"rid\":\"b3\",\"card\":\"acc-3\",\"attraction\":\"nope\","
	         "\"party\":1}");
	expect_err(r, "unknown_attraction", "unknown attraction");
	cJSON_Delete(r);
	r = call(gate, "svc/access",
	         "{\"v\":1,\"rid\":\"b4\",\"card\":\"acc-3\",\"attraction\":\"tiny\","
	         "\"party\":1}");
	expect_err(r, "invalid", "a service desk");
	cJSON_Delete(r);
	r = call(ops, "svc/ops",
	         "{\"v\":1,\"rid\":\"b5\",\"cmd\":\"close\",\"attraction\":\"late\"}");
	expect_ok(r, "close late");
	cJSON_Delete(r);
	r = call(gate, "svc/access",
	         "{\"v\":1,\"rid\":\"b6\",\"card\":\"acc-3\",\"attraction\":\"late\","
	         "\"party\":1}");
	expect_err(r, "closed", "closed attraction");
	cJSON_Delete(r);

	/* audited with the staff account; listed for the operators */
	int64_t audits = -1;
	CHECK(vqs_db_int(site,
	                 "SELECT count(*) FROM audit WHERE action = 'access_pass' AND actor = "
	                 "'gate-1'",
	                 &audits) == VQ_OK &&
	          audits == 2,
	      "%lld passes audited", (long long)audits);
	r = call(ops, "svc/ops", "{\"v\":1,\"rid\":\"b60\",\"cmd\":\"passes\"}");
	expect_ok(r, "passes");
	CHECK(array_len(r, "passes") == 2 && get_int(r, "passes.0.id", "passes") == id &&
	          !strcmp(get_str(r, "passes.0.issued_by", "passes"), "gate-1") &&
	          !strcmp(get_str(r, "passes.1.state", "passes"), "redeemed") &&
	          !vqs_get(r, "passes.0.code"),
	      "passes: %s", vqs_js(r));
	cJSON_Delete(r);
	r = call(ops, "svc/ops",
	         "{\"v\":1,\"rid\":\"b7\",\"cmd\":\"passes\",\"attraction\":\"flume\"}");
	CHECK(array_len(r, "passes") == 1 && get_int(r, "passes.0.id", "passes") == id2,
	      "flume passes: %s", vqs_js(r));
	cJSON_Delete(r);
	/* kept across a restart, still one per guest */
	CHECK(vqs_vqd_restart(site) == VQ_OK, "restart");
	r = call(gate, "svc/access",
	         "{\"v\":1,\"rid\":\"b8\",\"card\":\"acc-1\",\"attraction\":\"flume\","
	         "\"party\":1}");
	expect_err(r, "limit_reached", "a second pass after a restart");
	cJSON_Delete(r);
	cJSON_Delete(p);
	vq_bus_free(board);
	vq_bus_free(ops);
	vq_bus_free(gate);
	vq_bus_free(kiosk);
}
END_TEST

/* ops audit: the newest entries of the audit log, newest first, filtered, bounded. */
START_TEST(test_ops_audit)
{
	up(NULL);
	vq_bus *ops = bus("ops-1", NULL);
	static const char *const changes[] = {
	    "{\"v\":1,\"rid\":\"a1\",\"cmd\":\"close\",\"attraction\":\"coaster\"}",
	    "{\"v\":1,\"rid\":\"a2\",\"cmd\":\"reopen\",\"attraction\":\"coaster\"}",
	    "{\"v\":1,\"rid\":\"a3\",\"cmd\":\"standby\",\"attraction\":\"flume\","
	    "\"minutes\":25}",
	    "{\"v\":1,\"rid\":\"a4\",\"cmd\":\"capacity\",\"attraction\":\"coaster\","
	    "\"overbook_pct\":7}",
	};
	for (size_t i = 0; i < sizeof changes / sizeof changes[0]; i++) {
		cJSON *r = vqs_callf(ops, "svc/ops", "%s", changes[i]);
		CHECK(vqs_ok(r), "%s: %s", changes[i], vqs_js(r));
		cJSON_Delete(r);
	}
	cJSON *r = vqs_callf(ops, "svc/ops", "{\"v\":1,\"rid\":\"a5\",\"cmd\":\"audit\"}");
	CHECK(vqs_ok(r) && cJSON_GetArraySize(vqs_get(r, "entries")) == 4, "audit: %s", vqs_js(r));
	/* newest first, under the account that asked, with the request as detail */
	CHECK(!strcmp(vqs_str(r, "entries.0.action"), "capacity") &&
	          !strcmp(vqs_str(r, "entries.0.actor"), "ops-1") &&
	          !strcmp(vqs_str(r, "entries.3.action"), "close"),
	      "order: %s", vqs_js(r));
	int64_t over = 0, at = 0, id0 = 0, id1 = 0;
	vqs_int(r, "entries.0.detail.overbook_pct", &over);
	vqs_int(r, "entries.0.at", &at);
	vqs_int(r, "entries.0.id", &id0);
	vqs_int(r, "entries.1.id", &id1);
	CHECK(over == 7 && at >= VQS_CLOCK_START && id0 > id1, "entry: %s", vqs_js(r));
	int64_t rows = 0;
	vqs_db_int(site, "SELECT count(*) FROM audit WHERE actor = 'ops-1'", &rows);
	CHECK(rows == 4, "the store holds %lld", (long long)rows);
	cJSON_Delete(r);

	r = vqs_callf(
	    ops, "svc/ops",
	    "{\"v\":1,\"rid\":\"a6\",\"cmd\":\"audit\",\"limit\":2,\"action\":\"close\"}");
	CHECK(vqs_ok(r) && cJSON_GetArraySize(vqs_get(r, "entries")) == 1 &&
	          !strcmp(vqs_str(r, "entries.0.action"), "close"),
	      "by action: %s", vqs_js(r));
	cJSON_Delete(r);
	r = vqs_callf(ops, "svc/ops", "{\"v\":1,\"rid\":\"a7\",\"cmd\":\"audit\",\"limit\":2}");
	CHECK(vqs_ok(r) && cJSON_GetArraySize(vqs_get(r, "entries")) == 2, "limit: %s", vqs_js(r));
	cJSON_Delete(r);
	r = vqs_callf(ops, "svc/ops", "{\"v\":1,\"rid\":\"a8\",\"cmd\":\"audit\",\"since\":%lld}",
	              (long long)(VQS_CLOCK_START + 86400));
	CHECK(vqs_ok(r) && cJSON_GetArraySize(vqs_get(r, "entries")) == 0, "since: %s", vqs_js(r));
	cJSON_Delete(r);
	/* reading the log is not itself audited */
	vqs_db_int(site, "SELECT count(*) FROM audit", &rows);
	CHECK(rows == 4, "audit rows after reading it: %lld", (long long)rows);

	static const char *const bad[][2] = {
	    {"\"limit\":0", "invalid"},         {"\"limit\":101", "invalid"},
	    {"\"limit\":\"5\"", "bad_request"}, {"\"since\":-1", "invalid"},
	    {"\"action\":7", "bad_request"},    {"\"action\":\"\"", "bad_request"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		r = vqs_callf(ops, "svc/ops", "{\"v\":1,\"rid\":\"b%zu\",\"cmd\":\"audit\",%s}", i,
		              bad[i][0]);
		CHECK(!strcmp(vqs_errcode(r), bad[i][1]), "%s: %s", bad[i][0], vqs_js(r));
		const char *msg = vqs_str(r, "error.message");
		char field[16];
		sscanf(bad[i][0], "\"%15[a-z]", field);
		CHECK(msg && strstr(msg, field), "%s: the message does not name %s: %s", bad[i][0],
		      field, vqs_js(r));
		cJSON_Delete(r);
	}
	vq_bus_free(ops);
}
END_TEST

static Suite *vqd_suite(void)
{
	Suite *s = suite_create("vqd");
	TCase *tc = tcase_create("site");
	tcase_add_unchecked_fixture(tc, suite_setup, suite_teardown);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_end_to_end);
	tcase_add_test(tc, test_issue_refusals);
	tcase_add_test(tc, test_idempotent);
	tcase_add_test(tc, test_gate_race);
	tcase_add_test(tc, test_gate_sync_override);
	tcase_add_test(tc, test_ops_state);
	tcase_add_test(tc, test_malformed);
	tcase_add_test(tc, test_acl);
	tcase_add_test(tc, test_crash_burst);
	tcase_add_test(tc, test_dead_batch);
	tcase_add_test(tc, test_no_book);
	tcase_add_test(tc, test_broker_restart);
	tcase_add_test(tc, test_sigterm);
	tcase_add_test(tc, test_bad_usage);
	tcase_add_test(tc, test_sighup);
	tcase_add_test(tc, test_keys_rotate);
	tcase_add_test(tc, test_clock);
	tcase_add_test(tc, test_ops_slots);
	tcase_add_test(tc, test_days_rollover);
	tcase_add_test(tc, test_day_cannot_load);
	tcase_add_test(tc, test_access_pass);
	tcase_add_test(tc, test_window_opens_published);
	tcase_add_test(tc, test_ops_audit);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(vqd_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
