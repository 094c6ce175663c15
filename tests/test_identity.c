/* tests/test_identity.c — who is asking is what the broker authenticated, seen from outside.
 *
 * The clients here are stock MQTT 5 clients (tests/support/stock.h: libmosquitto, not bus/): they
 * do only what docs/protocol.md lets anyone do, with any response topic they like, on every request
 * topic they might try (their own svc/<verb>/<account>, another account's, and the bare svc/<verb>
 * of protocol version 1 before accounts were in the topic). Against the real broker with the site's
 * generated ACL and the real vqd (tests/support/vqsite.h) they must not make vqd publish anywhere
 * but their own reply topic, nor put another identity into the audit log, an admission or the
 * request-id scope.
 *
 * Every wait has a deadline; "nothing arrives" is watched for QUIET_MS after a control
 * request, sent last on the same connection, has been answered (vqd takes a connection's
 * requests in order, so by then it has decided everything sent before).
 */
#include <check.h>
#include <mqtt_protocol.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bus/busopt.h"
#include "support/stock.h"
#include "support/tutil.h"
#include "support/vqsite.h"

#define WAIT_MS  5000
#define QUIET_MS 700
#define PREFIX   "vq/v1/" VQS_SITE "/"

static vqs_site *site;

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			vqs_dump_log(site, false);                                                 \
			ck_abort_msg(__VA_ARGS__);                                                 \
		}                                                                                  \
	} while (0)

static long long mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void nap_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
	nanosleep(&ts, NULL);
}

/* --- stock clients of the site ------------------------------------------------------------ */

/* Connects as account (its password from the site's credentials) and subscribes to subs
 * (suffixes under the site's prefix). */
static vq_stock *stock_new(const char *account, const char *const *subs)
{
	char password[256];
	CHECK(vq_busopt_credentials(vqs_credentials(site), account, password, sizeof password, NULL,
	                            0) == VQ_OK,
	      "no password for %s", account);
	vq_stock_opts o = {.port = vqs_port(site), .username = account, .password = password};
	vq_stock *s = NULL;
	int connack = -1;
	CHECK(vq_stock_connect(&o, WAIT_MS, &s, &connack) == VQ_OK, "%s: CONNACK %d", account,
	      connack);
	char topics[8][256];
	const char *filters[8];
	size_t n = 0;
	for (; subs && subs[n] && n < 8; n++) {
		snprintf(topics[n], sizeof topics[n], PREFIX "%s", subs[n]);
		filters[n] = topics[n];
	}
	CHECK(vq_stock_subscribe(s, filters, n, WAIT_MS) == VQ_OK, "%s: no SUBACK", account);
	return s;
}

/* Publishes body at QoS 1 to PREFIX topic with the given response topic (a full topic, or
 * NULL for none) and correlation data; returns the PUBACK's reason code. */
static int stock_pub(vq_stock *s, const char *topic, const char *response, const char *corr,
                     const char *body)
{
	char t[256];
	snprintf(t, sizeof t, PREFIX "%s", topic);
	int reason = -1;
	int rc = vq_stock_publish(s, t, body, false, response, corr, WAIT_MS, &reason);
	CHECK(rc == VQ_OK, "publish %s: %s", t, vq_strerror(rc));
	return reason;
}

/* Any received message whose payload or correlation data holds needle: its topic, or NULL. */
static const char *stock_saw(vq_stock *s, const char *needle)
{
	for (size_t i = 0; i < vq_stock_count(s); i++) {
		vq_stock_msg m = vq_stock_at(s, i);
		if (strstr(m.payload, needle) || (m.corr && strstr(m.corr, needle)))
			return m.topic;
	}
	return NULL;
}

/* --- fixtures --------------------------------------------------------------------------- */

static void suite_setup(void)
{
	tu_scratch_begin("identity-tests");
}

static void suite_teardown(void)
{
	tu_scratch_end();
}

static void setup(void)
{
	site = NULL;
	int rc = vqs_start(NULL, &site);
	ck_assert_msg(rc == VQ_OK, "site did not start: %s", vq_strerror(rc));
}

static void teardown(void)
{
	vqs_free(site);
	site = NULL;
}

static int64_t db_int(const char *fmt, ...)
{
	char sql[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(sql, sizeof sql, fmt, ap);
	va_end(ap);
	int64_t v = -1;
	CHECK(vqs_db_int(site, sql, &v) == VQ_OK, "query %s", sql);
	return v;
}

/* A request the account is entitled to make, with its own reply topic: it must be answered
 * (ok or not). Returns the reply's payload (malloc'd). */
static char *control(vq_stock *s, const char *account, const char *verb, const char *rid,
                     const char *body)
{
	char topic[128], reply[128], corr[96];
	snprintf(topic, sizeof topic, "svc/%s/%s", verb, account);
	snprintf(reply, sizeof reply, PREFIX "reply/%s", account);
	snprintf(corr, sizeof corr, "corr-%s", rid);
	int reason = stock_pub(s, topic, reply, corr, body);
	CHECK(reason == 0, "%s on %s: PUBACK %d", account, topic, reason);
	char needle[96];
	snprintf(needle, sizeof needle, "\"rid\":\"%s\"", rid);
	vq_stock_msg r;
	size_t from = 0;
	CHECK(vq_stock_find(s, &from, reply + strlen(PREFIX), needle, WAIT_MS, &r) == VQ_OK,
	      "%s got no reply to %s on %s", account, rid, reply);
	CHECK(r.corr && strcmp(r.corr, corr) == 0, "reply to %s without its correlation", rid);
	return strdup(r.payload);
}

/* The number of vqd log lines holding both a and b. */
static int log_lines(const char *a, const char *b)
{
	char *log = tu_read_file(vqs_log_path(site), NULL);
	int n = 0;
	for (char *line = log ? strtok(log, "\n") : NULL; line; line = strtok(NULL, "\n"))
		if (strstr(line, a) && strstr(line, b))
			n++;
	free(log);
	return n;
}

static int64_t stat_of(const char *field)
{
	vq_stock *ops = stock_new("ops-1", (const char *const[]){"reply/ops-1", NULL});
	char rid[64];
	snprintf(rid, sizeof rid, "stats-%lld", mono_ms());
	char body[128];
	snprintf(body, sizeof body, "{\"v\":1,\"rid\":\"%s\",\"cmd\":\"stats\"}", rid);
	char *reply = control(ops, "ops-1", "ops", rid, body);
	cJSON *j = cJSON_Parse(reply);
	int64_t v = -1;
	CHECK(vqs_int(j, field, &v), "stats has no %s: %s", field, reply);
	cJSON_Delete(j);
	free(reply);
	vq_stock_free(ops);
	return v;
}

/* --- a kiosk's response topic ------------------------------------------------------------- */

/* Response topics a kiosk might set to make vqd publish elsewhere; NULL: none at all. */
static const char *const HIJACK[] = {
    PREFIX "state/_site",
    PREFIX "state/coaster",
    PREFIX "parks/coaster",
    PREFIX "events/admission",
    PREFIX "reply/kiosk-2",
    PREFIX "reply/kiosk-1/x",
    "vq/v1/other-site/reply/kiosk-1",
    PREFIX "presence/kiosk-1",
    NULL,
};
#define NHIJACK (sizeof HIJACK / sizeof HIJACK[0])

START_TEST(test_kiosk_response_topic)
{
	vq_stock *board = stock_new(
	    "board-1", (const char *const[]){"state/#", "parks/#", "events/#", "presence/#", NULL});
	vq_stock *k2 = stock_new("kiosk-2", (const char *const[]){"reply/kiosk-2", NULL});
	vq_stock *k1 = stock_new("kiosk-1", (const char *const[]){"reply/kiosk-1", NULL});

	/* Each hijack is a valid issue (party 3) on the kiosk's own request topic and on the
	 * bare one; vqd must neither answer it anywhere nor act on it. */
	int own_topic[NHIJACK], bare_topic[NHIJACK];
	for (size_t i = 0; i < NHIJACK; i++) {
		char body[256], corr[32];
		snprintf(body, sizeof body,
		         "{\"v\":1,\"rid\":\"hijack-%zu\",\"card\":\"k1-card\",\"attraction\":"
		         "\"coaster\",\"party\":3}",
		         i);
		snprintf(corr, sizeof corr, "hijack-corr-%zu", i);
		own_topic[i] = stock_pub(k1, "svc/issue/kiosk-1", HIJACK[i], corr, body);
		bare_topic[i] = stock_pub(k1, "svc/issue", HIJACK[i], corr, body);
	}
	/* The control, last on the same connection: answered on the kiosk's own topic. */
	char *ok = control(k1, "kiosk-1", "issue", "k1-good",
	                   "{\"v\":1,\"rid\":\"k1-good\",\"card\":\"k1-own\",\"attraction\":"
	                   "\"coaster\",\"party\":2}");
	CHECK(strstr(ok, "\"ok\":true"), "kiosk-1's own request: %s", ok);
	free(ok);
	nap_ms(QUIET_MS);

	const char *where;
	CHECK(!(where = stock_saw(board, "hijack-")), "vqd published a hijacked reply on %s",
	      where);
	CHECK(!(where = stock_saw(k2, "hijack-")), "kiosk-2 received a hijacked reply on %s",
	      where);
	CHECK(!(where = stock_saw(k1, "hijack-")), "a refused request was answered on %s", where);
	CHECK(db_int("SELECT count(*) FROM tickets") == 1, "%lld tickets: a refused request acted",
	      (long long)db_int("SELECT count(*) FROM tickets"));
	CHECK(db_int("SELECT count(*) FROM tickets WHERE party = 3") == 0,
	      "a hijacked issue made a ticket");

	/* kiosk-2's own request with the rid kiosk-1 aimed at its reply topic gets its own
	 * answer: a new ticket for its own party. */
	char *own = control(k2, "kiosk-2", "issue", "hijack-4",
	                    "{\"v\":1,\"rid\":\"hijack-4\",\"card\":\"k2-card\",\"attraction\":"
	                    "\"coaster\",\"party\":1}");
	cJSON *j = cJSON_Parse(own);
	int64_t party = 0;
	CHECK(vqs_ok(j) && vqs_int(j, "ticket.party", &party) && party == 1,
	      "kiosk-2's request got someone else's answer: %s", own);
	cJSON_Delete(j);
	free(own);
	CHECK(db_int("SELECT count(*) FROM tickets") == 2, "kiosk-2's ticket is missing");

	/* The broker takes requests only on the account's own topic; vqd counts each refusal
	 * and says so once (the log is rate-limited per account). */
	for (size_t i = 0; i < NHIJACK; i++) {
		CHECK(own_topic[i] == 0, "svc/issue/kiosk-1 refused by the broker: %d",
		      own_topic[i]);
		CHECK(
		    bare_topic[i] == MQTT_RC_NOT_AUTHORIZED,
		    "the bare svc/issue (response topic %s) must be refused by the broker, got %d",
		    HIJACK[i] ? HIJACK[i] : "none", bare_topic[i]);
	}
	int published = (int)NHIJACK;
	/* Counted, and said once (the log is rate-limited per account). */
	CHECK(stat_of("refused_reply_topic") == published,
	      "stats: refused_reply_topic %lld, want %d", (long long)stat_of("refused_reply_topic"),
	      published);
	CHECK(log_lines("kiosk-1", "refused") == 1, "vqd logged %d refusals of kiosk-1, want 1",
	      log_lines("kiosk-1", "refused"));
	vq_stock_free(k1);
	vq_stock_free(k2);
	vq_stock_free(board);
}
END_TEST

START_TEST(test_kiosk_cannot_be_another)
{
	vq_stock *k2 = stock_new("kiosk-2", (const char *const[]){"reply/kiosk-2", NULL});
	vq_stock *k1 = stock_new("kiosk-1", (const char *const[]){"reply/kiosk-1", NULL});
	static const char body[] = "{\"v\":1,\"rid\":\"as-k2\",\"card\":\"c\",\"attraction\":"
	                           "\"coaster\",\"party\":4}";
	/* The request exactly as kiosk-2 would send it, from kiosk-1's connection. */
	int reason = stock_pub(k1, "svc/issue/kiosk-2", PREFIX "reply/kiosk-2", "as-k2", body);
	CHECK(reason == MQTT_RC_NOT_AUTHORIZED, "kiosk-1 publishing svc/issue/kiosk-2: PUBACK %d",
	      reason);
	reason =
	    stock_pub(k1, "svc/ops/kiosk-1", PREFIX "reply/kiosk-1", "ops",
	              "{\"v\":1,\"rid\":\"k-ops\",\"cmd\":\"close\",\"attraction\":\"coaster\"}");
	CHECK(reason == MQTT_RC_NOT_AUTHORIZED, "a kiosk publishing svc/ops/<self>: PUBACK %d",
	      reason);
	char *ok =
	    control(k1, "kiosk-1", "quote", "k1-q", "{\"v\":1,\"rid\":\"k1-q\",\"party\":1}");
	free(ok);
	nap_ms(QUIET_MS);
	CHECK(!stock_saw(k2, "as-k2"), "kiosk-2 received the answer to kiosk-1's forgery");
	CHECK(db_int("SELECT count(*) FROM tickets") == 0, "the forged issue made a ticket");
	CHECK(db_int("SELECT count(*) FROM audit") == 0, "a kiosk's ops command was audited");
	vq_stock_free(k1);
	vq_stock_free(k2);
}
END_TEST

/* --- operators and gates: the audit log and admissions ------------------------------------- */

START_TEST(test_operator_audited_as_itself)
{
	vq_stock *ops = stock_new("ops-1", (const char *const[]){"reply/ops-1", NULL});
	static const char close_body[] =
	    "{\"v\":1,\"rid\":\"op-close\",\"cmd\":\"close\",\"attraction\":\"coaster\"}";
	static const char *const topics[] = {"svc/ops/ops-1", "svc/ops"};
	for (int i = 0; i < 2; i++)
		stock_pub(ops, topics[i], "vq/v1/" VQS_SITE "/reply/anything", "op-close",
		          close_body);
	char *r = control(ops, "ops-1", "ops", "op-standby",
	                  "{\"v\":1,\"rid\":\"op-standby\",\"cmd\":\"standby\",\"attraction\":"
	                  "\"flume\",\"minutes\":20}");
	CHECK(strstr(r, "\"ok\":true"), "the operator's own command: %s", r);
	free(r);
	CHECK(db_int("SELECT count(*) FROM audit WHERE actor <> 'ops-1'") == 0,
	      "the audit log names someone other than ops-1 (%lld entries)",
	      (long long)db_int("SELECT count(*) FROM audit WHERE actor <> 'ops-1'"));
	CHECK(db_int("SELECT count(*) FROM audit WHERE actor = 'ops-1' AND action = 'standby'") ==
	          1,
	      "the operator's own command is not audited as ops-1");
	CHECK(db_int("SELECT count(*) FROM audit WHERE action = 'close'") == 0,
	      "the command with a foreign response topic was carried out");
	vq_stock_free(ops);
}
END_TEST

static char *issue_code(vq_stock *k, const char *rid)
{
	char body[256];
	snprintf(body, sizeof body,
	         "{\"v\":1,\"rid\":\"%s\",\"card\":\"card-%s\",\"attraction\":\"coaster\","
	         "\"party\":1}",
	         rid, rid);
	char *r = control(k, "kiosk-1", "issue", rid, body);
	cJSON *j = cJSON_Parse(r);
	const char *code = vqs_str(j, "ticket.code");
	CHECK(code, "issue %s: %s", rid, r);
	char *out = strdup(code);
	cJSON_Delete(j);
	free(r);
	return out;
}

START_TEST(test_gate_cannot_be_another)
{
	vq_stock *board = stock_new("board-1", (const char *const[]){"events/#", NULL});
	vq_stock *k = stock_new("kiosk-1", (const char *const[]){"reply/kiosk-1", NULL});
	vq_stock *g2 = stock_new("gate-2", (const char *const[]){"reply/gate-2", NULL});
	vq_stock *g1 = stock_new("gate-1", (const char *const[]){"reply/gate-1", NULL});
	char *a = issue_code(k, "t-a"), *b = issue_code(k, "t-b");

	char ov[512], rd[512];
	snprintf(ov, sizeof ov,
	         "{\"v\":1,\"rid\":\"g-ov\",\"attraction\":\"coaster\",\"reason\":\"test\","
	         "\"code\":\"%s\"}",
	         b);
	snprintf(rd, sizeof rd,
	         "{\"v\":1,\"rid\":\"g-rd\",\"code\":\"%s\",\"attraction\":\"coaster\"}", b);
	/* gate-1 writes on gate-2's request topics: the broker refuses. */
	CHECK(stock_pub(g1, "svc/override/gate-2", PREFIX "reply/gate-2", "x", ov) ==
	          MQTT_RC_NOT_AUTHORIZED,
	      "gate-1 may publish svc/override/gate-2");
	CHECK(stock_pub(g1, "svc/redeem/gate-2", PREFIX "reply/gate-2", "x", rd) ==
	          MQTT_RC_NOT_AUTHORIZED,
	      "gate-1 may publish svc/redeem/gate-2");
	/* On its own (or the bare) topic with gate-2's reply topic: vqd refuses. */
	static const char *const topics[] = {"svc/override/gate-1", "svc/override",
	                                     "svc/redeem/gate-1", "svc/redeem"};
	for (int i = 0; i < 4; i++)
		stock_pub(g1, topics[i], PREFIX "reply/gate-2", "x", i < 2 ? ov : rd);
	/* Its own redeem of ticket a, answered, as gate-1. */
	snprintf(rd, sizeof rd,
	         "{\"v\":1,\"rid\":\"g-own\",\"code\":\"%s\",\"attraction\":\"coaster\"}", a);
	char *r = control(g1, "gate-1", "redeem", "g-own", rd);
	CHECK(strstr(r, "\"admit\":true"), "gate-1's own redeem: %s", r);
	free(r);
	size_t from = 0;
	CHECK(vq_stock_find(board, &from, "events/admission", "\"gate\":\"gate-1\"", WAIT_MS,
	                    NULL) == VQ_OK,
	      "no admission by gate-1 on events/admission");
	nap_ms(QUIET_MS);

	const char *where = stock_saw(board, "\"gate\":\"gate-2\"");
	CHECK(!where, "an admission under gate-2's name appeared on %s", where);
	CHECK(!stock_saw(g2, "\"rid\""), "gate-2 received an answer it never asked for");
	CHECK(db_int("SELECT count(*) FROM redemptions WHERE gate <> 'gate-1'") == 0,
	      "a redemption is recorded under another gate's name");
	CHECK(db_int("SELECT count(*) FROM redemptions") == 1, "%lld redemptions, want 1",
	      (long long)db_int("SELECT count(*) FROM redemptions"));
	CHECK(db_int("SELECT count(*) FROM audit") == 0, "a refused override was audited");
	free(a);
	free(b);
	vq_stock_free(g1);
	vq_stock_free(g2);
	vq_stock_free(k);
	vq_stock_free(board);
}
END_TEST

static Suite *identity_suite(void)
{
	Suite *s = suite_create("identity");
	TCase *tc = tcase_create("stock clients");
	tcase_add_unchecked_fixture(tc, suite_setup, suite_teardown);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_kiosk_response_topic);
	tcase_add_test(tc, test_kiosk_cannot_be_another);
	tcase_add_test(tc, test_operator_audited_as_itself);
	tcase_add_test(tc, test_gate_cannot_be_another);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(identity_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
