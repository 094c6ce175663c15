/* tests/test_console.c — the operators' console (web/console/) in Debian's headless
 * chromium, served by the project's web server (lighttpd, web/lighttpd.conf.in), its
 * WebSocket carried to the site broker's own password listener (/console/mqtt), with a real
 * vqd behind it.
 *
 * An operator signs in with their account and password and gets the desk; a board's, a
 * kiosk's or the web bridge's account, a wrong password and an unknown account get a
 * clear refusal and nothing of the park. A capacity change made in the console reaches
 * state/<attraction> and the audit log under the operator's name; vqd's `invalid` and its
 * reason are shown; close and reopen, the standby wait, the merge ratio and a tier rule go
 * through the same svc/ops commands. The charts' datasets, read from Chart.js in the page,
 * equal SQL counts over vqd's database (seats per slot and tier, capacity, admitted
 * guests, redeemed and no-shows of the ended windows on a fast demo clock). The site
 * panel shows presence, a gate's unsynced admissions (its retained journal/<gate>), a
 * real conflict (live, and from the audit log after a reload) and another operator's
 * change. The desk, the sign-in form and the change dialog pass axe-core (WCAG 2.1 A/AA)
 * in en, ru and ro.
 *
 * Skips (exit 77, with the reason) only when the browser cannot run here: no node, no npm
 * packages, no chromium, no lighttpd, or no built pages.
 */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bus/bus.h"
#include "bus/busopt.h"
#include "support/browser.h"
#include "support/tutil.h"
#include "support/vqsite.h"
#include "support/webserver.h"

#define CMD_MS  15000
#define SHOW_MS 15000

static vq_test_browser *browser; /* one for the whole program: chromium starts once */
static vqs_site *site;
static vq_test_web *web;
static char pages[1024];

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			page_console();                                                            \
			vqs_dump_log(site, false);                                                 \
			ck_abort_msg(__VA_ARGS__);                                                 \
		}                                                                                  \
	} while (0)

/* --- the browser ---------------------------------------------------------------------- */

static void page_console(void)
{
	cJSON *v = NULL;
	char err[64];
	if (browser &&
	    vq_test_browser_cmd(browser, 3000, &v, err, sizeof err, "console", "%s", "") == VQ_OK)
		fprintf(stderr, "page console: %s\n", vqs_js(v));
	cJSON_Delete(v);
}

static cJSON *cmd(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static cJSON *cmd(const char *name, const char *fmt, ...)
{
	char fields[8192], err[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(fields, sizeof fields, fmt, ap);
	va_end(ap);
	cJSON *v = NULL;
	int rc = vq_test_browser_cmd(browser, CMD_MS, &v, err, sizeof err, name, "%s", fields);
	CHECK(rc == VQ_OK, "browser %s {%s}: %s %s", name, fields, vq_strerror(rc), err);
	return v;
}

/* Waits until selector is shown and holds text (NULL: anything); its text (free it). */
static char *wait_text(const char *selector, const char *contains, int timeout_ms)
{
	char fields[1024], err[512];
	snprintf(fields, sizeof fields, "\"selector\":\"%s\",\"contains\":\"%s\",\"timeout_ms\":%d",
	         selector, contains ? contains : "", timeout_ms);
	cJSON *v = NULL;
	int rc = vq_test_browser_cmd(browser, timeout_ms + CMD_MS, &v, err, sizeof err, "wait",
	                             "%s", fields);
	if (rc != VQ_OK) {
		cJSON *now = cmd("text", "\"selector\":\"%s\"", selector);
		cJSON *msg = cmd("text", "\"selector\":\"#signin-message\"");
		CHECK(0, "%s never showed \"%s\": %s; it shows %s; sign-in message %s", selector,
		      contains ? contains : "", err, vqs_js(now), vqs_js(msg));
	}
	const char *t = vqs_str(v, "text");
	char *copy = strdup(t ? t : "");
	cJSON_Delete(v);
	return copy;
}

static void see(const char *selector, const char *contains)
{
	free(wait_text(selector, contains, SHOW_MS));
}

static bool visible(const char *selector)
{
	cJSON *v = cmd("text", "\"selector\":\"%s\"", selector);
	bool shown = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(v, "visible"));
	cJSON_Delete(v);
	return shown;
}

static void click(const char *selector)
{
	cJSON_Delete(cmd("click", "\"selector\":\"%s\"", selector));
}

static void type(const char *selector, const char *text)
{
	cJSON_Delete(cmd("type", "\"selector\":\"%s\",\"text\":\"%s\"", selector, text));
}

static void open_console(const char *lang)
{
	char url[256];
	snprintf(url, sizeof url, "http://127.0.0.1:%d/console/", vq_test_web_port(web));
	cJSON_Delete(cmd(
	    "open", "\"url\":\"%s\",\"lang\":\"%s\",\"viewport\":{\"width\":1440,\"height\":1000}",
	    url, lang));
}

static void password_of(const char *account, char *out, size_t len)
{
	char role[32];
	if (vq_busopt_credentials(vqs_credentials(site), account, out, len, role, sizeof role) !=
	    VQ_OK)
		snprintf(out, len, "no-such-password");
}

/* The sign-in form, filled in and sent. */
static void sign_in(const char *account, const char *password)
{
	see("#signin-go", NULL);
	type("#account", account);
	type("#password", password);
	click("#signin-go");
}

static void sign_in_as(const char *account)
{
	char pw[128];
	password_of(account, pw, sizeof pw);
	sign_in(account, pw);
}

/* Signs in as ops-1 and waits for the desk with the coaster's card. */
static void desk(const char *lang)
{
	open_console(lang);
	sign_in_as("ops-1");
	see("#attr-coaster-name", "Coaster");
	see("#attr-coaster-status", NULL);
}

/* A change through the dialog: the card's (or table's) button, the fields typed, Review,
 * the question checked, Confirm; returns the answer shown where it was asked. */
static char *change(const char *button, const char *const *fields, const char *question,
                    const char *answer_sel)
{
	click(button);
	see("#dialog-ok", NULL);
	for (size_t i = 0; fields && fields[i]; i += 2) {
		char sel[64];
		snprintf(sel, sizeof sel, "#f-%s", fields[i]);
		type(sel, fields[i + 1]);
	}
	if (fields)
		click("#dialog-ok"); /* Review */
	see("#dialog-review", question);
	see("#dialog-ok", "Confirm");
	click("#dialog-ok");
	CHECK(!visible("#dialog"), "the dialog stayed open after Confirm");
	/* "Sent to vqd…" first, then vqd's answer */
	for (int i = 0; i < 150; i++) {
		char *t = wait_text(answer_sel, "vqd", SHOW_MS);
		if (!strstr(t, "Sent to vqd"))
			return t;
		free(t);
		struct timespec ts = {0, 100 * 1000000};
		nanosleep(&ts, NULL);
	}
	CHECK(0, "%s still says it was sent, 15 s later", answer_sel);
	return NULL;
}

static int64_t db(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int64_t db(const char *fmt, ...)
{
	char sql[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(sql, sizeof sql, fmt, ap);
	va_end(ap);
	int64_t n = -1;
	CHECK(vqs_db_int(site, sql, &n) == VQ_OK, "SQL failed: %s", sql);
	return n;
}

static bool has_overbook(const cJSON *st, void *arg)
{
	int64_t v = -1;
	return vqs_int(st, "overbook_pct", &v) && v == *(int *)arg;
}

/* --- the site ------------------------------------------------------------------------- */

static void suite_setup(void)
{
	tu_scratch_begin("console-tests");
}

static void suite_teardown(void)
{
	tu_scratch_end();
}

static void setup(void)
{
	site = NULL;
	web = NULL;
}

static void teardown(void)
{
	if (browser) {
		cJSON *v = NULL;
		char err[64];
		vq_test_browser_cmd(browser, 5000, &v, err, sizeof err, "close", "%s", "");
		cJSON_Delete(v);
	}
	vq_test_web_stop(web);
	vqs_free(site);
	web = NULL;
	site = NULL;
}

static void up(const char *speed)
{
	vqs_opts o = {.web = true, .clock_speed = speed};
	int rc = vqs_start(&o, &site);
	ck_assert_msg(rc == VQ_OK, "site did not start: %s", vq_strerror(rc));
	rc = vq_test_web_start(pages, vqs_web_port(site), vqs_port(site), &web);
	ck_assert_msg(rc == VQ_OK, "web server did not start: %s", vq_strerror(rc));
}

static void audit(const char *what, const char *lang)
{
	cJSON *v = cmd("axe", "%s", "");
	CHECK(cJSON_IsArray(v) && cJSON_GetArraySize(v) == 0, "axe, %s in %s: %s", what, lang,
	      vqs_js(v));
	cJSON_Delete(v);
	cJSON *l = cmd("eval", "\"expr\":\"document.documentElement.lang\"");
	CHECK(cJSON_IsString(l) && !strcmp(l->valuestring, lang), "lang attribute %s", vqs_js(l));
	cJSON_Delete(l);
}

/* --- tests ---------------------------------------------------------------------------- */

START_TEST(test_operator_signs_in)
{
	up(NULL);
	vq_bus *kiosk = vqs_bus(site, "kiosk-1", NULL);
	desk("en");
	see("#who", "Signed in as ops-1");
	see("#link", "Live");
	see("#park", "Test Park");
	/* every attraction of the site, in its order, with what state/<attraction> says */
	cJSON *ids = cmd("eval", "\"expr\":\"[...document.querySelectorAll('.attr')].map(e => "
	                         "e.id)\"");
	CHECK(cJSON_GetArraySize(ids) == 4 && !strcmp(vqs_str(ids, "0"), "attr-coaster") &&
	          !strcmp(vqs_str(ids, "3"), "attr-late"),
	      "cards: %s", vqs_js(ids));
	cJSON_Delete(ids);
	see("#attr-coaster-status", "Open");
	see("#attr-coaster-throughput", "6000 an hour, 50 % fast lane");
	see("#attr-coaster-standby", "35 min");
	see("#attr-coaster-overbook", "0 %");
	see("#attr-coaster-suggested", "no suggestion yet: 0 of 200 seats measured");
	see("#attr-coaster-merge", "4 : 1, phase 0 (base 4 : 1)");
	see("#attr-coaster-backlog", "0 guests (0 min)");
	see("#attr-coaster-next", "Standard 10:15");
	/* the slot chart's "now" line, on vqd's clock: 10:01 is in the 10:00 slot (the 5th),
	 * a fifteenth of the way in */
	cJSON *x = NULL;
	for (int i = 0; i < 50; i++) {
		cJSON_Delete(x);
		x = cmd("eval", "\"expr\":\"window.__vqCharts.get('coaster').slots.options.plugins."
		                "annotation.annotations.now?.xMin ?? null\"");
		if (cJSON_IsNumber(x))
			break;
		struct timespec ts = {0, 100 * 1000000};
		nanosleep(&ts, NULL);
	}
	CHECK(cJSON_IsNumber(x) && x->valuedouble > 3.5 && x->valuedouble < 3.7, "now line at %s",
	      vqs_js(x));
	cJSON_Delete(x);
	/* presence: vqd and the kiosk that is up */
	see("#dev-vqd", "online");
	see("#dev-kiosk-1", "online");
	/* the tier rules as vqd holds them */
	see("#tier-gold", "20");
	/* the sign-in form is gone, and the account's name is kept for next time (never the
	 * password) */
	CHECK(!visible("#signin"), "the sign-in form still shows");
	cJSON *kept = cmd("eval", "\"expr\":\"[localStorage.getItem('vq.console.account'), "
	                          "JSON.stringify(localStorage).includes(document.getElementById("
	                          "'password').value || '-')]\"");
	CHECK(!strcmp(vqs_str(kept, "0"), "ops-1") && cJSON_IsFalse(vqs_get(kept, "1")),
	      "storage: %s", vqs_js(kept));
	cJSON_Delete(kept);
	/* a board going offline shows */
	vq_bus *board = vqs_bus(site, "board-1", NULL);
	/* how long, in real time: a device's "since" is its machine's clock, not the park's */
	see("#dev-board-1", "online for under a minute");
	vq_bus_free(board);
	see("#dev-board-1", "offline");
	/* signing out forgets the park */
	click("#signout");
	see("#signin-go", "Sign in");
	CHECK(!visible("#desk") && !visible("#attr-coaster"),
	      "the desk still shows after sign-out");
	vq_bus_free(kiosk);
}
END_TEST

/* A refusal says why and shows nothing of the park. */
static void refused(const char *account, const char *password, const char *says)
{
	open_console("en");
	if (password)
		sign_in(account, password);
	else
		sign_in_as(account);
	see("#signin-message", says);
	CHECK(!visible("#desk") && !visible("#attr-coaster"), "%s: the desk shows", account);
	cJSON *n = cmd("eval", "\"expr\":\"document.querySelectorAll('.attr').length\"");
	CHECK(cJSON_IsNumber(n) && n->valueint == 0, "%s: %s cards", account, vqs_js(n));
	cJSON_Delete(n);
	/* and the form is there to try again */
	see("#signin-go", "Sign in");
}

START_TEST(test_non_operator_refused)
{
	up(NULL);
	refused("board-1", NULL, "not an operator account");
	refused("kiosk-2", NULL, "not an operator account");
	refused("gate-2", NULL, "not an operator account");
	/* the web bridge's account reads state/_site but may ask nothing */
	refused("web-2", NULL, "not an operator account");
	refused("ops-1", "wrong-password", "Wrong account or password");
	refused("nobody", "whatever", "Wrong account or password");
	/* nothing of theirs reached vqd, and nothing is audited */
	CHECK(db("SELECT count(*) FROM audit") == 0, "audit entries after refusals");
	/* and after all that, the operator's own account works */
	open_console("en");
	sign_in_as("ops-1");
	see("#attr-coaster-name", "Coaster");
}
END_TEST

START_TEST(test_capacity_change)
{
	up(NULL);
	vq_bus *board = vqs_bus(site, "board-1", (const char *const[]){"state/coaster", NULL});
	desk("en");
	/* a figure that is not a whole number is refused here, and nothing is sent */
	click("#attr-coaster-do-capacity");
	type("#f-overbook_pct", "twelve");
	click("#dialog-ok");
	see("#dialog-error", "Overbook (%): enter a whole number");
	click("#dialog-cancel");
	CHECK(!visible("#dialog"), "the dialog stayed open after Cancel");

	char *a =
	    change("#attr-coaster-do-capacity", (const char *const[]){"overbook_pct", "12", NULL},
	           "Overbook (%) 0 → 12", "#attr-coaster-answer");
	CHECK(strstr(a, "Done: vqd recorded it under ops-1"), "answer: %s", a);
	free(a);
	int want = 12;
	cJSON *st = vqs_wait_json(board, "state/coaster", has_overbook, &want, SHOW_MS);
	CHECK(st != NULL, "state/coaster never said overbook 12");
	cJSON_Delete(st);
	CHECK(db("SELECT count(*) FROM audit WHERE actor = 'ops-1' AND action = 'capacity' AND "
	         "json_extract(detail, '$.overbook_pct') = 12 AND json_extract(detail, "
	         "'$.attraction') = 'coaster' AND json_type(detail, '$.throughput_per_hour') IS "
	         "NULL") == 1,
	      "the audit log does not hold ops-1's change (only what changed is sent)");
	see("#attr-coaster-overbook", "12 %");
	see("#audit", "overbook_pct: 12");
	see("#audit", "attraction: Coaster;"); /* the name operators know, not its id */
	see("#audit", "ops-1");

	/* vqd's refusal, with its code and reason, where it was asked; nothing audited */
	a = change("#attr-coaster-do-capacity",
	           (const char *const[]){"throughput_per_hour", "0", NULL},
	           "Throughput (guests an hour) 6000 → 0", "#attr-coaster-answer");
	CHECK(strstr(a, "vqd refused it: invalid") && strstr(a, "throughput_per_hour"),
	      "answer: %s", a);
	free(a);
	CHECK(db("SELECT count(*) FROM audit WHERE action = 'capacity'") == 1,
	      "a refused change was audited");

	/* close and reopen: a question, no fields */
	a = change("#attr-coaster-do-close", NULL, "Close Coaster now?", "#attr-coaster-answer");
	CHECK(strstr(a, "Done"), "close: %s", a);
	free(a);
	see("#attr-coaster-status", "Closed since 10:0");
	a = change("#attr-coaster-do-reopen", NULL, "Reopen Coaster now?", "#attr-coaster-answer");
	CHECK(strstr(a, "Done") && strstr(a, "0 tickets became any-time passes"), "reopen: %s", a);
	free(a);
	see("#attr-coaster-status", "Open");
	/* the standby wait and the merge ratio */
	a = change("#attr-flume-do-standby", (const char *const[]){"minutes", "40", NULL},
	           "Standby wait (minutes) 25 → 40", "#attr-flume-answer");
	CHECK(strstr(a, "Done"), "standby: %s", a);
	free(a);
	see("#attr-flume-standby", "40 min");
	a = change("#attr-coaster-do-merge", (const char *const[]){"fast", "6", NULL},
	           "4 : 1 → 6 : 1", "#attr-coaster-answer");
	CHECK(strstr(a, "Done"), "merge: %s", a);
	free(a);
	see("#attr-coaster-merge", "(base 6 : 1)");
	/* a tier rule; vqd checks it as a config and says which rule it breaks */
	a = change("#tier-gold-change", (const char *const[]){"late_grace_min", "15", NULL},
	           "Late grace (minutes) 10 → 15", "#tiers-answer");
	CHECK(strstr(a, "Done"), "tier: %s", a);
	free(a);
	see("#tier-gold", "15");
	a = change("#tier-gold-change", (const char *const[]){"protect_pct", "150", NULL},
	           "Protected (%) 20 → 150", "#tiers-answer");
	CHECK(strstr(a, "vqd refused it: invalid"), "tier: %s", a);
	free(a);
	/* every change that happened is the operator's own, in the log */
	CHECK(db("SELECT count(*) FROM audit WHERE actor = 'ops-1'") == 6 &&
	          db("SELECT count(*) FROM audit WHERE actor <> 'ops-1'") == 0,
	      "audit entries: %lld by ops-1", (long long)db("SELECT count(*) FROM audit"));
	CHECK(db("SELECT count(*) FROM audit WHERE actor = 'ops-1' AND action IN ('close', "
	         "'reopen', 'standby', 'merge', 'tier')") == 5,
	      "not every change was audited");
	vq_bus_free(board);
}
END_TEST

/* The charts' datasets as Chart.js holds them, per attraction. */
#define CHARTS_EXPR                                                                                \
	"Object.fromEntries([...window.__vqCharts].map(([k, c]) => [k, {labels: "                  \
	"c.slots.data.labels, sets: c.slots.data.datasets.map(d => ({label: d.label, stack: "      \
	"d.stack, data: d.data})), now: c.slots.options.plugins.annotation.annotations.now?.xMin " \
	"?? null, shows: c.shows.data.datasets.map(d => d.data[0])}]))"

/* Compares the coaster's charts with the store; NULL if equal, else why (static). */
static const char *charts_vs_store(const cJSON *all)
{
	static char why[512];
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(all, "coaster");
	const cJSON *sets = cJSON_GetObjectItemCaseSensitive(c, "sets");
	const cJSON *labels = cJSON_GetObjectItemCaseSensitive(c, "labels");
	/* standard, gold, admitted, capacity */
	if (cJSON_GetArraySize(sets) != 4 || cJSON_GetArraySize(labels) != 48)
		return "not 4 datasets over 48 slots yet";
	const char *stacks[] = {"taken", "taken", "admitted", "capacity"};
	for (int i = 0; i < 4; i++) {
		const char *stack = vqs_str(cJSON_GetArrayItem(sets, i), "stack");
		if (!stack || strcmp(stack, stacks[i]))
			return "datasets in another order";
	}
	for (int s = 0; s < 48; s++) {
		int64_t start = VQS_TEN_AM - 3600 + (int64_t)s * 900;
		char label[8];
		snprintf(label, sizeof label, "%02d:%02d", 9 + s / 4, (s % 4) * 15);
		const cJSON *l = cJSON_GetArrayItem(labels, s);
		if (!cJSON_IsString(l) || strcmp(l->valuestring, label)) {
			snprintf(why, sizeof why, "slot %d is labelled %s, not %s", s, vqs_js(l),
			         label);
			return why;
		}
		int64_t want[4];
		for (int t = 0; t < 2; t++)
			want[t] =
			    db("SELECT coalesce(sum(party), 0) FROM tickets WHERE attr = 'coaster' "
			       "AND slot_start = %lld AND tier = %d AND state <> 2",
			       (long long)start, t);
		want[2] =
		    db("SELECT coalesce(sum(party), 0) FROM tickets WHERE attr = 'coaster' AND "
		       "slot_start = %lld AND state = 1",
		       (long long)start);
		want[3] = db("SELECT coalesce((SELECT cap FROM slots WHERE attr = 'coaster' AND "
		             "slot = %d), 750)",
		             s);
		for (int i = 0; i < 4; i++) {
			const cJSON *v = cJSON_GetArrayItem(
			    cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(sets, i), "data"),
			    s);
			if (!cJSON_IsNumber(v) || v->valuedouble != (double)want[i]) {
				snprintf(why, sizeof why,
				         "slot %s, %s: the chart has %s, the store %lld", label,
				         vqs_str(cJSON_GetArrayItem(sets, i), "label"), vqs_js(v),
				         (long long)want[i]);
				return why;
			}
		}
	}
	/* redeemed and no-shows of the ended windows: every window of these tickets has
	 * ended (the caller waited), so it is every redeemed and every unused ticket */
	int64_t redeemed = db("SELECT coalesce(sum(party), 0) FROM tickets WHERE attr = 'coaster' "
	                      "AND state = 1");
	int64_t noshows = db("SELECT coalesce(sum(party), 0) FROM tickets WHERE attr = 'coaster' "
	                     "AND state = 0");
	const cJSON *shows = cJSON_GetObjectItemCaseSensitive(c, "shows");
	int64_t r = -1, n = -1;
	vqs_int(shows, "0", &r);
	vqs_int(shows, "1", &n);
	if (r != redeemed || n != noshows) {
		snprintf(why, sizeof why,
		         "redeemed / no-shows: the chart has %lld / %lld, the store "
		         "%lld / %lld",
		         (long long)r, (long long)n, (long long)redeemed, (long long)noshows);
		return why;
	}
	return NULL;
}

START_TEST(test_charts_equal_store)
{
	/* 600 times real time: the morning's windows are over within seconds */
	up("600");
	vq_bus *ops = vqs_bus(site, "ops-2", NULL);
	vq_bus *kiosk = vqs_bus(site, "kiosk-1", NULL);
	vq_bus *gate = vqs_bus(site, "gate-1", NULL);
	cJSON *r =
	    vqs_callf(ops, "svc/ops",
	              "{\"v\":1,\"rid\":\"m\",\"cmd\":\"members_import\",\"members\":["
	              "{\"card\":\"g1\",\"tier\":\"gold\"},{\"card\":\"g2\",\"tier\":\"gold\"}]}");
	CHECK(vqs_ok(r), "import: %s", vqs_js(r));
	cJSON_Delete(r);
	desk("en");
	/* tickets of both tiers over the first slots; some admitted, one given back */
	static const char *const cards[] = {"w1", "g1", "w2", "g2", "w3", "w4"};
	static const int party[] = {2, 3, 1, 4, 2, 5};
	char codes[6][VQ_CODE_MAX];
	int64_t ids[6];
	for (int i = 0; i < 6; i++) {
		r = vqs_callf(kiosk, "svc/issue",
		              "{\"v\":1,\"rid\":\"i%d\",\"card\":\"%s\",\"attraction\":\"coaster\","
		              "\"party\":%d}",
		              i, cards[i], party[i]);
		CHECK(vqs_ok(r), "issue %d: %s", i, vqs_js(r));
		snprintf(codes[i], sizeof codes[i], "%s", vqs_str(r, "ticket.code"));
		vqs_int(r, "ticket.id", &ids[i]);
		cJSON_Delete(r);
	}
	for (int i = 0; i < 6; i += 2) {
		r = vqs_callf(
		    gate, "svc/redeem",
		    "{\"v\":1,\"rid\":\"r%d\",\"code\":\"%s\",\"attraction\":\"coaster\"}", i,
		    codes[i]);
		CHECK(vqs_ok(r), "redeem %d: %s", i, vqs_js(r));
		cJSON_Delete(r);
	}
	r = vqs_callf(kiosk, "svc/cancel",
	              "{\"v\":1,\"rid\":\"c\",\"card\":\"w4\",\"ticket\":%lld}", (long long)ids[5]);
	CHECK(vqs_ok(r), "cancel: %s", vqs_js(r));
	cJSON_Delete(r);
	CHECK(db("SELECT count(DISTINCT slot_start) FROM tickets") >= 1 &&
	          db("SELECT count(*) FROM tickets WHERE tier = 1") == 2,
	      "the tickets are not what the test wants");

	/* every window of these tickets ends by 11:45 + 20 min of grace: wait until vqd's
	 * clock is past 12:05 (the site runs in UTC), then the charts must equal the store */
	int64_t now = 0;
	for (int i = 0; i < 300 && now < VQS_TEN_AM + 2 * 3600 + 5 * 60; i++) {
		r = vqs_callf(
		    ops, "svc/ops",
		    "{\"v\":1,\"rid\":\"t%d\",\"cmd\":\"slots\",\"attraction\":\"flume\"}", i);
		CHECK(vqs_ok(r) && vqs_int(r, "now", &now), "slots: %s", vqs_js(r));
		cJSON_Delete(r);
		struct timespec ts = {0, 200 * 1000000};
		nanosleep(&ts, NULL);
	}
	/* state/coaster (and its no-show count) goes out with any change, at the latest
	 * every 30 s: another operator's change makes it now */
	r = vqs_callf(ops, "svc/ops",
	              "{\"v\":1,\"rid\":\"sb\",\"cmd\":\"standby\",\"attraction\":\"coaster\","
	              "\"minutes\":20}");
	CHECK(vqs_ok(r), "standby: %s", vqs_js(r));
	cJSON_Delete(r);
	const char *why = "not compared yet";
	for (int i = 0; i < 100 && why; i++) {
		cJSON *all = cmd("eval", "\"expr\":\"%s\"", CHARTS_EXPR);
		why = charts_vs_store(all);
		if (!why) {
			/* "now" is drawn, at noon or later: the 12:00 slot (the 13th) is centred
			 * on 12, so its start is at 11.5 */
			const cJSON *x = vqs_get(all, "coaster.now");
			CHECK(cJSON_IsNumber(x) && x->valuedouble >= 11.5 && x->valuedouble < 47.5,
			      "the now line: %s", vqs_js(x));
		}
		cJSON_Delete(all);
		struct timespec ts = {0, 100 * 1000000};
		nanosleep(&ts, NULL);
	}
	CHECK(!why, "the charts never equalled the store: %s", why);
	CHECK(db("SELECT coalesce(sum(party), 0) FROM tickets WHERE state = 0") == 7 &&
	          db("SELECT coalesce(sum(party), 0) FROM tickets WHERE state = 1") == 5,
	      "the day is not the one the test made");
	see("#attr-coaster-shows", "5 / 7 guests");
	see("#attr-coaster-shows", "5 admitted today");
	vq_bus_free(gate);
	vq_bus_free(kiosk);
	vq_bus_free(ops);
}
END_TEST

START_TEST(test_site_panel)
{
	up(NULL);
	vq_bus *kiosk = vqs_bus(site, "kiosk-1", NULL);
	vq_bus *g1 = vqs_bus(site, "gate-1", NULL);
	vq_bus *g2 = vqs_bus(site, "gate-2", NULL);
	vq_bus *ops2 = vqs_bus(site, "ops-2", NULL);
	desk("en");
	see("#unsynced", "None: every gate has told vqd everything.");
	see("#conflicts", "No conflicts today.");

	/* a gate owing vqd two admissions, as its retained journal/<gate> says */
	const char *j = "{\"v\":1,\"gate\":\"gate-2\",\"attraction\":\"coaster\",\"unsynced\":2,"
	                "\"oldest\":1798797700,\"updated\":1798797900}";
	CHECK(vq_bus_publish(g2, "journal/gate-2", j, strlen(j), 1, true) == VQ_OK,
	      "journal not published");
	see("#unsynced-gate-2", "gate-2 (Coaster): 2 not yet synced, the oldest from 10:01");
	vq_bus_free(g2);
	g2 = NULL;
	see("#unsynced-gate-2", "gate offline");

	/* a real conflict: gate-1 admits a ticket online, then gate-2 syncs an admission of
	 * the same ticket it made offline */
	cJSON *r = vqs_callf(kiosk, "svc/issue",
	                     "{\"v\":1,\"rid\":\"k1\",\"card\":\"x\",\"attraction\":\"coaster\","
	                     "\"party\":2}");
	CHECK(vqs_ok(r), "issue: %s", vqs_js(r));
	char code[VQ_CODE_MAX];
	int64_t id = 0;
	snprintf(code, sizeof code, "%s", vqs_str(r, "ticket.code"));
	vqs_int(r, "ticket.id", &id);
	cJSON_Delete(r);
	r = vqs_callf(g1, "svc/redeem",
	              "{\"v\":1,\"rid\":\"g1\",\"code\":\"%s\",\"attraction\":\"coaster\"}", code);
	CHECK(vqs_ok(r), "redeem: %s", vqs_js(r));
	cJSON_Delete(r);
	g2 = vqs_bus(site, "gate-2", NULL);
	r = vqs_callf(g2, "svc/sync",
	              "{\"v\":1,\"rid\":\"s1\",\"admissions\":[{\"code\":\"%s\",\"attraction\":"
	              "\"coaster\",\"at\":%lld}]}",
	              code, (long long)VQS_CLOCK_START);
	CHECK(vqs_ok(r) && cJSON_IsTrue(vqs_get(r, "results.0.conflict")), "sync: %s", vqs_js(r));
	cJSON_Delete(r);
	char want[64];
	snprintf(want, sizeof want, "ticket %lld (Coaster) admitted at gate-2", (long long)id);
	see("#conflicts", want);
	see("#conflicts", "already admitted at gate-1");

	/* another operator's change shows in the log as theirs */
	r = vqs_callf(ops2, "svc/ops",
	              "{\"v\":1,\"rid\":\"o1\",\"cmd\":\"standby\",\"attraction\":\"flume\","
	              "\"minutes\":45}");
	CHECK(vqs_ok(r), "standby: %s", vqs_js(r));
	cJSON_Delete(r);
	see("#attr-flume-standby", "45 min");
	see("#audit", "ops-2");
	see("#audit", "minutes: 45");

	/* a console opened later finds the conflict in the audit log */
	open_console("en");
	sign_in_as("ops-1");
	see("#conflicts", want);
	vq_bus_free(ops2);
	vq_bus_free(g2);
	vq_bus_free(g1);
	vq_bus_free(kiosk);
}
END_TEST

/* An operator's rate limit far below what the console asks at sign-in: vqd answers the
 * excess `rate_limited` (unread, its rid null: the correlation data says which request it
 * was), the console waits as told and asks again, and still shows every attraction and
 * makes a change once. */
START_TEST(test_rate_limited)
{
	char *config = vqs_config_with_limits("{\"operator\":{\"rate_per_s\":2,\"burst\":2}}");
	ck_assert_ptr_nonnull(config);
	vqs_opts o = {.web = true, .config = config};
	int rc = vqs_start(&o, &site);
	free(config);
	ck_assert_msg(rc == VQ_OK, "site did not start: %s", vq_strerror(rc));
	rc = vq_test_web_start(pages, vqs_web_port(site), vqs_port(site), &web);
	ck_assert_msg(rc == VQ_OK, "web server did not start: %s", vq_strerror(rc));
	desk("en");
	for (int i = 0; i < 4; i++) {
		static const char *const ids[] = {"coaster", "flume", "tiny", "late"};
		char sel[64];
		snprintf(sel, sizeof sel, "#attr-%s-chart-slots", ids[i]);
		for (int k = 0; k < 100; k++) {
			cJSON *l = cmd("eval",
			               "\"expr\":\"document.querySelector('%s').getAttribute('aria-"
			               "label')\"",
			               sel);
			bool drawn =
			    cJSON_IsString(l) && strstr(l->valuestring, "seats taken today");
			cJSON_Delete(l);
			if (drawn)
				break;
			CHECK(k < 99, "%s never drew its slots", ids[i]);
			struct timespec ts = {0, 100 * 1000000};
			nanosleep(&ts, NULL);
		}
	}
	see("#audit", "Nothing yet.");
	char *a = change("#attr-coaster-do-standby", (const char *const[]){"minutes", "50", NULL},
	                 "Standby wait (minutes) 35 → 50", "#attr-coaster-answer");
	CHECK(strstr(a, "Done"), "standby: %s", a);
	free(a);
	see("#attr-coaster-standby", "50 min");
	CHECK(db("SELECT count(*) FROM audit WHERE actor = 'ops-1' AND action = 'standby'") == 1,
	      "the change was not made exactly once");
	/* the limit was met: else this test would prove nothing */
	vq_bus *ops2 = vqs_bus(site, "ops-2", NULL);
	cJSON *r = NULL;
	for (int i = 0; i < 20 && !vqs_ok(r); i++) {
		cJSON_Delete(r);
		r = vqs_callf(ops2, "svc/ops", "{\"v\":1,\"rid\":\"st%d\",\"cmd\":\"stats\"}", i);
		if (!vqs_ok(r)) {
			struct timespec ts = {0, 300 * 1000000};
			nanosleep(&ts, NULL);
		}
	}
	int64_t limited = 0;
	CHECK(vqs_ok(r) && vqs_int(r, "rate_limited", &limited) && limited > 0,
	      "vqd never limited the console: %s", vqs_js(r));
	cJSON_Delete(r);
	vq_bus_free(ops2);
}
END_TEST

START_TEST(test_accessible_in_every_language)
{
	up(NULL);
	static const char *const langs[][3] = {{"en", "Sign in", "Seats today"},
	                                       {"ru", "Войти", "Места сегодня"},
	                                       {"ro", "Intră", "Locuri azi"}};
	for (size_t i = 0; i < 3; i++) {
		open_console(langs[i][0]);
		see("#signin-go", langs[i][1]);
		audit("the sign-in form", langs[i][0]);
		sign_in("board-1", "wrong");
		see("#signin-message", NULL);
		audit("a refusal", langs[i][0]);
		open_console(langs[i][0]);
		sign_in_as("ops-1");
		see("#attr-coaster-l-seats", langs[i][2]);
		audit("the desk", langs[i][0]);
		click("#attr-coaster-do-capacity");
		see("#dialog-ok", NULL);
		audit("the capacity dialog", langs[i][0]);
		click("#dialog-cancel");
	}
	/* the switch: English asked for, Romanian chosen, and kept on the next visit */
	open_console("en");
	see("#signin-go", "Sign in");
	click("#langs button[lang=ro]");
	see("#signin-go", "Intră");
	open_console("en");
	see("#signin-go", "Intră");
}
END_TEST

static Suite *console_suite(void)
{
	Suite *s = suite_create("console");
	TCase *tc = tcase_create("page");
	tcase_add_unchecked_fixture(tc, suite_setup, suite_teardown);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_operator_signs_in);
	tcase_add_test(tc, test_non_operator_refused);
	tcase_add_test(tc, test_capacity_change);
	tcase_add_test(tc, test_charts_equal_store);
	tcase_add_test(tc, test_site_panel);
	tcase_add_test(tc, test_rate_limited);
	tcase_add_test(tc, test_accessible_in_every_language);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return vq_test_browser_main("test_console", "console", console_suite(), pages, sizeof pages,
	                            &browser);
}
