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
 * Then the same for certificates: vqd, vq-kiosk, vq-gate and vq-display (offscreen) over
 * the production TLS config, each with its own certificate (CN = account), a ticket
 * issued at the kiosk and admitted at the gate; and a revoked device certificate refused
 * at connect.
 *
 * Every wait has a deadline; "nothing arrives" is watched for QUIET_MS after a control
 * request, sent last on the same connection, has been answered (vqd takes a connection's
 * requests in order, so by then it has decided everything sent before).
 */
#include <check.h>
#include <fcntl.h>
#include <mqtt_protocol.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bus/busopt.h"
#include "support/stock.h"
#include "support/tutil.h"
#include "support/vqsite.h"

#define WAIT_MS  5000
#define QUIET_MS 700
#define PREFIX   "vq/v1/" VQS_SITE "/"

static vqs_site *site;

#define CHECK(cond, ...) VQS_CHECK(site, cond, __VA_ARGS__)

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

/* The production config: TLS with a certificate per device (vqs_opts.tls). */
static void setup_tls(void)
{
	site = NULL;
	vqs_opts o = {.tls = true};
	int rc = vqs_start(&o, &site);
	ck_assert_msg(rc == VQ_OK, "TLS site did not start: %s", vq_strerror(rc));
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
	snprintf(rid, sizeof rid, "stats-%lld", tu_mono_ms());
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
	tu_sleep_ms(QUIET_MS);

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
	tu_sleep_ms(QUIET_MS);
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
	tu_sleep_ms(QUIET_MS);

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

/* --- the devices over the production TLS config --------------------------------------------- */

/* A vq program of the build tree, its stdout and stderr in a file of the site's folder. */
typedef struct prog {
	pid_t pid;
	char out[1100];
	int status;
} prog;

static void prog_start(prog *p, const char *program, const char *account, const char *const *extra)
{
	const char *bindir = getenv("VQ_BINARY_DIR");
	char exe[1024], broker[64];
	snprintf(exe, sizeof exe, "%s/%s", bindir ? bindir : ".", program);
	snprintf(broker, sizeof broker, "127.0.0.1:%d", vqs_port(site));
	const char *argv[40] = {exe,      "--broker", broker,      "--site",          VQS_SITE,
	                        "--user", account,    "--tls-dir", vqs_tls_dir(site), "--trace"};
	int n = 10;
	for (int i = 0; extra && extra[i] && n < 39; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	memset(p, 0, sizeof *p);
	p->status = -1;
	snprintf(p->out, sizeof p->out, "%s/%s.out", vqs_dir(site), account);
	int fd = open(p->out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	CHECK(fd >= 0, "cannot write %s", p->out);
	pid_t parent = getpid();
	p->pid = fork();
	CHECK(p->pid >= 0, "fork");
	if (p->pid == 0)
		tu_exec_child((char *const *)argv, parent, fd, SIGKILL);
	close(fd);
}

/* The line of the program's output that holds needle (a copy), waiting up to ms. */
static char *prog_wait(prog *p, const char *needle, int ms)
{
	long long end = tu_mono_ms() + ms;
	for (;;) {
		char *text = tu_read_file(p->out, NULL);
		char *hit = text ? strstr(text, needle) : NULL;
		if (hit) {
			while (hit > text && hit[-1] != '\n')
				hit--;
			char *line = strndup(hit, strcspn(hit, "\n"));
			free(text);
			return line;
		}
		if (tu_mono_ms() >= end) {
			CHECK(0, "%s never said '%s'; it said:\n%s", p->out, needle,
			      text ? text : "");
		}
		free(text);
		tu_sleep_ms(50);
	}
}

/* Waits for the exit; SIGKILL after ms. The exit status, or 128 + the signal. */
static int prog_finish(prog *p, int ms)
{
	long long end = tu_mono_ms() + ms;
	int st = 0;
	pid_t r;
	while ((r = waitpid(p->pid, &st, WNOHANG)) == 0 && tu_mono_ms() < end)
		tu_sleep_ms(20);
	if (r == 0) {
		kill(p->pid, SIGKILL);
		waitpid(p->pid, &st, 0);
	}
	p->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	return r == 0 ? -1 : p->status;
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	CHECK(f && fputs(text, f) >= 0 && fclose(f) == 0, "cannot write %s", path);
}

/* The value of key= on a trace line (up to the next space). */
static void field(const char *line, const char *key, char *out, size_t n)
{
	char pat[64];
	snprintf(pat, sizeof pat, " %s=", key);
	const char *p = strstr(line, pat);
	CHECK(p != NULL, "no %s= in '%.200s'", key, line);
	p += strlen(pat);
	size_t len = strcspn(p, " \n");
	CHECK(len < n, "%s= too long", key);
	memcpy(out, p, len);
	out[len] = '\0';
}

START_TEST(test_tls_devices)
{
	/* The kiosk issues, the gate admits, the board shows it: every program over the
	 * production config, each with its own certificate. */
	char path[1100], *line;
	prog board, kiosk, gate;
	prog_start(&board, "display/vq-display", "board-1",
	           (const char *const[]){"--width", "1280", "--height", "720", "--lang", "en",
	                                 "--exit-after-ms", "60000", NULL});
	free(prog_wait(&board, "row coaster", WAIT_MS));

	snprintf(path, sizeof path, "%s/kiosk.script", vqs_dir(site));
	write_text(path, "tap_id attr-coaster\nscan tls-guest-1\ntap_id party-2\ntap_id confirm\n");
	char spool[1100];
	snprintf(spool, sizeof spool, "%s/spool", vqs_dir(site));
	prog_start(
	    &kiosk, "kiosk/vq-kiosk", "kiosk-1",
	    (const char *const[]){"--size", "1280x800", "--script", path, "--spool", spool, NULL});
	CHECK(prog_finish(&kiosk, 30000) == 0, "vq-kiosk exited with %d", kiosk.status);
	line = prog_wait(&kiosk, "state ticket ", 0);
	char code[VQ_CODE_MAX], party[8];
	field(line, "code", code, sizeof code);
	field(line, "party", party, sizeof party);
	free(line);
	CHECK(!strcmp(party, "2"), "the kiosk's ticket is for a party of %s", party);

	snprintf(path, sizeof path, "%s/gate.script", vqs_dir(site));
	char gs[VQ_CODE_MAX + 16];
	snprintf(gs, sizeof gs, "scan %s\n", code);
	write_text(path, gs);
	char journal[1100];
	snprintf(journal, sizeof journal, "%s/gate.journal", vqs_dir(site));
	prog_start(&gate, "gate/vq-gate", "gate-1",
	           (const char *const[]){"--attraction", "coaster", "--script", path,
	                                 "--virtual-clock", "--journal", journal, "--mute", NULL});
	CHECK(prog_finish(&gate, 30000) == 0, "vq-gate exited with %d", gate.status);
	line = prog_wait(&gate, "verdict ", 0);
	CHECK(strstr(line, "verdict admit ") && strstr(line, "offline=0"),
	      "the gate did not admit online: %s", line);
	free(line);
	free(prog_wait(&board, "called=C-", WAIT_MS));
	kill(board.pid, SIGTERM);
	CHECK(prog_finish(&board, 10000) == 0, "vq-display exited with %d", board.status);
	CHECK(db_int("SELECT count(*) FROM tickets WHERE party = 2") == 1, "no ticket in vqd's db");
	CHECK(db_int("SELECT count(*) FROM redemptions WHERE gate = 'gate-1' AND offline = 0") == 1,
	      "no online admission by gate-1 in vqd's db");

	/* kiosk-2's certificate is stolen: revoked, the broker told (SIGHUP), it is refused
	 * at connect, by a stock client and by our own bus; the replacement works. */
	char stolen_crt[1100], stolen_key[1100], cmd[4096];
	snprintf(stolen_crt, sizeof stolen_crt, "%s/stolen.crt", vqs_dir(site));
	snprintf(stolen_key, sizeof stolen_key, "%s/stolen.key", vqs_dir(site));
	snprintf(cmd, sizeof cmd,
	         "cp '%s/devices/kiosk-2.crt' '%s' && cp '%s/devices/kiosk-2.key' '%s' && "
	         "'%s' --site " VQS_SITE " --out '%s' --devices '%s/devices.txt' --tls "
	         "--revoke kiosk-2 >>'%s/accounts.log' 2>&1",
	         vqs_tls_dir(site), stolen_crt, vqs_tls_dir(site), stolen_key,
	         tu_src("broker-config/vq-accounts"), vq_test_broker_dir(vqs_broker(site)),
	         vqs_dir(site), vqs_dir(site));
	vq_stock *s = NULL;
	CHECK(system(cmd) == 0, "vq-accounts --revoke kiosk-2 failed");
	CHECK(kill(vq_test_broker_pid(vqs_broker(site)), SIGHUP) == 0, "SIGHUP the broker");
	tu_sleep_ms(300);
	int connack = 0;
	char ca[1100];
	snprintf(ca, sizeof ca, "%s/ca.crt", vqs_tls_dir(site));
	vq_stock_opts o = {
	    .port = vqs_port(site), .cafile = ca, .certfile = stolen_crt, .keyfile = stolen_key};
	CHECK(vq_stock_connect(&o, WAIT_MS, &s, &connack) != VQ_OK && connack == -1,
	      "the revoked certificate connected (CONNACK %d)", connack);
	vq_bus_opts bo = {.port = vqs_port(site),
	                  .username = "kiosk-2",
	                  .site = VQS_SITE,
	                  .role = "kiosk",
	                  .tls_cafile = ca,
	                  .tls_certfile = stolen_crt,
	                  .tls_keyfile = stolen_key,
	                  .reconnect_min_ms = 100,
	                  .reconnect_max_ms = 200};
	vq_bus *b = NULL;
	CHECK(vq_bus_new(&bo, &b) == VQ_OK && vq_bus_start(b) == VQ_OK, "bus");
	CHECK(vq_bus_wait_connected(b, 1500) != VQ_OK,
	      "our bus connected with the revoked certificate");
	vq_bus_free(b);
	vq_bus *k2 = vqs_bus(site, "kiosk-2", NULL);
	CHECK(k2 != NULL, "kiosk-2's new certificate does not connect");
	cJSON *r = vqs_callf(k2, "svc/quote", "{\"v\":1,\"rid\":\"tls-q\",\"party\":1}");
	CHECK(vqs_ok(r), "kiosk-2's quote over its new certificate failed");
	cJSON_Delete(r);
	vq_bus_free(k2);
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
	TCase *tls = tcase_create("tls");
	tcase_add_unchecked_fixture(tls, suite_setup, suite_teardown);
	tcase_add_checked_fixture(tls, setup_tls, teardown);
	tcase_set_timeout(tls, 120);
	tcase_add_test(tls, test_tls_devices);
	suite_add_tcase(s, tls);
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
