/* tests/test_verbs.c — vqd's verbs at their edges, where a request could make vqd record
 * something that never happened. End to end: a real broker with the site's ACL, the real
 * vqd, clients speaking docs/protocol.md through the bus (tests/support/vqsite.h).
 *
 *   - test_override_other_attraction: a staff override at one attraction with another's
 *     ticket lets the guest in, leaves the ticket usable where it belongs, publishes no
 *     admission with a number the attraction never issued, and the audit says why;
 *   - test_sync_before_issue: an offline admission dated before its ticket was issued is
 *     refused (too_early), even inside the window's early grace;
 *   - test_import_duplicate: one card twice in one members_import is refused, naming it,
 *     and nothing of that import is kept;
 *   - test_member_unknown: a card that is not a member is `unknown_card`, a documented code
 *     (`not_found` never reaches the wire).
 */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus/bus.h"
#include "support/tutil.h"
#include "support/vqsite.h"

#define WAIT_MS  5000
#define QUIET_MS 700 /* how long "nothing arrives" is watched */

static vqs_site *site;

#define CHECK(cond, ...) VQS_CHECK(site, cond, __VA_ARGS__)

static void suite_setup(void)
{
	tu_scratch_begin("verbs-tests");
}

static void suite_teardown(void)
{
	tu_scratch_end();
}

static void setup(void)
{
	int rc = vqs_start(NULL, &site);
	ck_assert_msg(rc == VQ_OK, "site did not start: %s", vq_strerror(rc));
}

static void teardown(void)
{
	vqs_free(site);
	site = NULL;
}

static vq_bus *bus(const char *account, const char *const *subs)
{
	vq_bus *b = vqs_bus(site, account, subs);
	CHECK(b != NULL, "no bus for %s", account);
	return b;
}

__attribute__((format(printf, 3, 4))) static cJSON *call(vq_bus *b, const char *svc,
                                                         const char *fmt, ...)
{
	char body[8192];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(body, sizeof body, fmt, ap);
	va_end(ap);
	CHECK(n > 0 && (size_t)n < sizeof body, "request too long for the helper");
	cJSON *reply = NULL;
	int rc = vqs_call(b, svc, body, (size_t)n, WAIT_MS, &reply, NULL, NULL);
	CHECK(rc == VQ_OK, "%s as %s: %s -> %s", svc, vq_bus_client_id(b), body, vq_strerror(rc));
	return reply;
}

static int64_t get_int(const cJSON *j, const char *path)
{
	int64_t v = 0;
	CHECK(vqs_int(j, path, &v), "no integer %s in %s", path, vqs_js(j));
	return v;
}

static const char *get_str(const cJSON *j, const char *path)
{
	const char *s = vqs_str(j, path);
	CHECK(s != NULL, "no string %s in %s", path, vqs_js(j));
	return s;
}

static int64_t rows(const char *sql)
{
	int64_t n = -1;
	CHECK(vqs_db_int(site, sql, &n) == VQ_OK, "query %s", sql);
	return n;
}

static cJSON *issue(vq_bus *k, const char *rid, const char *card, const char *attr)
{
	cJSON *r =
	    call(k, "svc/issue",
	         "{\"v\":1,\"rid\":\"%s\",\"card\":\"%s\",\"attraction\":\"%s\",\"party\":2}", rid,
	         card, attr);
	CHECK(vqs_ok(r), "issue %s: %s", rid, vqs_js(r));
	return r;
}

/* --- an override never consumes another attraction's ticket --------------------------- */

START_TEST(test_override_other_attraction)
{
	vq_bus *kiosk = bus("kiosk-1", NULL), *gate = bus("gate-1", NULL);
	static const char *const subs[] = {"events/admission", NULL};
	vq_bus *board = bus("board-1", subs);
	cJSON *t = issue(kiosk, "ov-t", "ov-card", "coaster");
	const char *code = get_str(t, "ticket.code");
	int64_t id = get_int(t, "ticket.id");

	/* staff at the flume let the coaster's guest in, by code and by ticket number */
	cJSON *r = call(gate, "svc/override",
	                "{\"v\":1,\"rid\":\"ov-1\",\"attraction\":\"flume\",\"reason\":\"sent here "
	                "by mistake\",\"code\":\"%s\"}",
	                code);
	CHECK(vqs_ok(r) && cJSON_IsTrue(vqs_get(r, "admit")), "override: %s", vqs_js(r));
	CHECK(!strcmp(get_str(r, "ticket_state"), "wrong_attraction") &&
	          !strcmp(get_str(r, "ticket_attraction"), "coaster") && !vqs_get(r, "ticket"),
	      "the reply should say the ticket belongs to the coaster: %s", vqs_js(r));
	cJSON_Delete(r);
	r = call(gate, "svc/override",
	         "{\"v\":1,\"rid\":\"ov-2\",\"attraction\":\"flume\",\"reason\":\"sent here "
	         "by mistake\",\"ticket\":%lld}",
	         (long long)id);
	CHECK(vqs_ok(r) && !strcmp(get_str(r, "ticket_state"), "wrong_attraction"),
	      "override by number: %s", vqs_js(r));
	cJSON_Delete(r);
	/* the ticket is still good at the coaster */
	r = call(gate, "svc/lookup", "{\"v\":1,\"rid\":\"ov-l\",\"ticket\":%lld}", (long long)id);
	CHECK(!strcmp(get_str(r, "ticket.state"), "issued"), "after the overrides: %s", vqs_js(r));
	cJSON_Delete(r);
	/* nothing admitted at the flume under a number the flume never issued */
	cJSON *ev = vqs_wait_json(board, "events/admission", NULL, NULL, QUIET_MS);
	CHECK(ev == NULL, "an override that marked nothing published %s", vqs_js(ev));
	r = call(gate, "svc/redeem",
	         "{\"v\":1,\"rid\":\"ov-r\",\"code\":\"%s\",\"attraction\":"
	         "\"coaster\"}",
	         code);
	CHECK(vqs_ok(r), "the ticket at its own attraction: %s", vqs_js(r));
	cJSON_Delete(r);
	ev = vqs_wait_json(board, "events/admission", NULL, NULL, WAIT_MS);
	CHECK(ev && !strcmp(get_str(ev, "attraction"), "coaster") &&
	          !strcmp(get_str(ev, "number"), get_str(t, "ticket.number")) &&
	          get_int(ev, "ticket") == id,
	      "the admission at the coaster: %s", vqs_js(ev));
	cJSON_Delete(ev);
	/* the audit says why the ticket was left alone */
	CHECK(rows("SELECT count(*) FROM audit WHERE action = 'override' AND actor = 'gate-1' "
	           "AND detail LIKE '%\"ticket_state\":\"wrong_attraction\"%' "
	           "AND detail LIKE '%\"ticket_attraction\":\"coaster\"%' "
	           "AND detail LIKE '%sent here by mistake%'") == 2,
	      "two audited overrides naming wrong_attraction");

	/* at its own attraction an override does mark a ticket, and says so */
	cJSON *u = issue(kiosk, "ov-u", "ov-card-2", "flume");
	r = call(gate, "svc/override",
	         "{\"v\":1,\"rid\":\"ov-3\",\"attraction\":\"flume\",\"reason\":\"late bus\","
	         "\"code\":\"%s\"}",
	         get_str(u, "ticket.code"));
	CHECK(vqs_ok(r) && !strcmp(get_str(r, "ticket.state"), "redeemed") &&
	          !vqs_get(r, "ticket_state"),
	      "override at the ticket's own attraction: %s", vqs_js(r));
	cJSON_Delete(r);
	ev = vqs_wait_json(board, "events/admission", NULL, NULL, WAIT_MS);
	CHECK(ev && !strcmp(get_str(ev, "attraction"), "flume") &&
	          !strcmp(get_str(ev, "number"), get_str(u, "ticket.number")) &&
	          cJSON_IsTrue(vqs_get(ev, "override")),
	      "the override's admission: %s", vqs_js(ev));
	cJSON_Delete(ev);
	CHECK(rows("SELECT count(*) FROM audit WHERE action = 'override' "
	           "AND detail LIKE '%\"ticket_state\":\"redeemed\"%'") == 1,
	      "the marking override audited as redeemed");
	cJSON_Delete(u);
	cJSON_Delete(t);
	vq_bus_free(board);
	vq_bus_free(gate);
	vq_bus_free(kiosk);
}
END_TEST

/* --- no admission before the ticket existed ------------------------------------------- */

START_TEST(test_sync_before_issue)
{
	vq_bus *kiosk = bus("kiosk-1", NULL), *gate = bus("gate-1", NULL);
	cJSON *t = issue(kiosk, "sb-t", "sb-card", "coaster");
	const char *code = get_str(t, "ticket.code");
	int64_t issued = get_int(t, "ticket.issued_at");
	int64_t start = get_int(t, "ticket.start");
	/* a minute before the issue, but inside the early grace (30 min before 10:15) */
	CHECK(issued - 60 >= start - 30 * 60, "the ticket %s is not in its early grace", vqs_js(t));
	cJSON *r = call(gate, "svc/sync",
	                "{\"v\":1,\"rid\":\"sb-1\",\"admissions\":[{\"code\":\"%s\",\"attraction\":"
	                "\"coaster\",\"at\":%lld}]}",
	                code, (long long)(issued - 60));
	CHECK(vqs_ok(r) && cJSON_IsFalse(vqs_get(r, "results.0.ok")) &&
	          !strcmp(get_str(r, "results.0.error"), "too_early"),
	      "an admission before the ticket was issued: %s", vqs_js(r));
	cJSON_Delete(r);
	r = call(gate, "svc/lookup", "{\"v\":1,\"rid\":\"sb-l\",\"code\":\"%s\"}", code);
	CHECK(!strcmp(get_str(r, "ticket.state"), "issued"), "after the refused sync: %s",
	      vqs_js(r));
	cJSON_Delete(r);
	/* an online redeem dated before the issue is refused the same way */
	r = call(
	    gate, "svc/redeem",
	    "{\"v\":1,\"rid\":\"sb-r\",\"code\":\"%s\",\"attraction\":\"coaster\",\"at\":%lld}",
	    code, (long long)(issued - 1));
	CHECK(!vqs_ok(r) && !strcmp(vqs_errcode(r), "too_early") &&
	          get_int(r, "error.from") == issued,
	      "a redeem dated before the issue: %s", vqs_js(r));
	cJSON_Delete(r);
	/* an admission with a field vqd does not know is refused like a malformed one */
	r = call(gate, "svc/sync",
	         "{\"v\":1,\"rid\":\"sb-u\",\"admissions\":[{\"code\":\"%s\",\"attraction\":"
	         "\"coaster\",\"at\":%lld,\"gate\":\"gate-2\"}]}",
	         code, (long long)issued);
	CHECK(vqs_ok(r) && cJSON_IsFalse(vqs_get(r, "results.0.ok")) &&
	          !strcmp(get_str(r, "results.0.error"), "bad_request"),
	      "an admission with an unknown field: %s", vqs_js(r));
	cJSON_Delete(r);
	/* from the issue on it is an admission like any other */
	r = call(gate, "svc/sync",
	         "{\"v\":1,\"rid\":\"sb-2\",\"admissions\":[{\"code\":\"%s\",\"attraction\":"
	         "\"coaster\",\"at\":%lld}]}",
	         code, (long long)issued);
	CHECK(vqs_ok(r) && cJSON_IsTrue(vqs_get(r, "results.0.ok")), "at the issue: %s", vqs_js(r));
	cJSON_Delete(r);
	cJSON_Delete(t);
	vq_bus_free(gate);
	vq_bus_free(kiosk);
}
END_TEST

/* --- one card, one tier --------------------------------------------------------------- */

START_TEST(test_import_duplicate)
{
	vq_bus *ops = bus("ops-1", NULL), *kiosk = bus("kiosk-1", NULL);
	cJSON *r = call(ops, "svc/ops",
	                "{\"v\":1,\"rid\":\"im-1\",\"cmd\":\"members_import\",\"members\":["
	                "{\"card\":\"dup-7\",\"tier\":\"gold\"},{\"card\":\"dup-8\",\"tier\":"
	                "\"standard\"},{\"card\":\"dup-9\",\"tier\":\"gold\"},"
	                "{\"card\":\"dup-7\",\"tier\":\"standard\"}]}");
	const char *msg = vqs_str(r, "error.message");
	CHECK(!vqs_ok(r) && !strcmp(vqs_errcode(r), "invalid") && msg &&
	          strstr(msg, "members[3].card") && strstr(msg, "dup-7") &&
	          strstr(msg, "members[0]"),
	      "a card twice in one import: %s", vqs_js(r));
	cJSON_Delete(r);
	/* nothing of it was kept */
	r = call(kiosk, "svc/identify", "{\"v\":1,\"rid\":\"im-i\",\"card\":\"dup-8\"}");
	CHECK(vqs_ok(r) && cJSON_IsFalse(vqs_get(r, "member")), "dup-8 after the refusal: %s",
	      vqs_js(r));
	cJSON_Delete(r);
	CHECK(rows("SELECT count(*) FROM members") == 0, "members kept from a refused import");
	/* each card once: imported */
	r = call(
	    ops, "svc/ops",
	    "{\"v\":1,\"rid\":\"im-2\",\"cmd\":\"members_import\",\"members\":["
	    "{\"card\":\"dup-7\",\"tier\":\"gold\"},{\"card\":\"dup-8\",\"tier\":\"standard\"}]}");
	CHECK(vqs_ok(r) && get_int(r, "imported") == 2, "import: %s", vqs_js(r));
	cJSON_Delete(r);
	vq_bus_free(kiosk);
	vq_bus_free(ops);
}
END_TEST

/* --- not a member --------------------------------------------------------------------- */

START_TEST(test_member_unknown)
{
	vq_bus *ops = bus("ops-1", NULL);
	cJSON *r = call(ops, "svc/ops",
	                "{\"v\":1,\"rid\":\"mu-1\",\"cmd\":\"member\",\"card\":"
	                "\"nobody-1\"}");
	const char *msg = vqs_str(r, "error.message");
	CHECK(!vqs_ok(r) && !strcmp(vqs_errcode(r), "unknown_card") && msg &&
	          strstr(msg, "nobody-1"),
	      "a card that is not a member: %s", vqs_js(r));
	cJSON_Delete(r);
	vq_bus_free(ops);
}
END_TEST

static Suite *verbs_suite(void)
{
	Suite *s = suite_create("verbs");
	TCase *tc = tcase_create("site");
	tcase_add_unchecked_fixture(tc, suite_setup, suite_teardown);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_override_other_attraction);
	tcase_add_test(tc, test_sync_before_issue);
	tcase_add_test(tc, test_import_duplicate);
	tcase_add_test(tc, test_member_unknown);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(verbs_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
