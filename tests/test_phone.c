/* tests/test_phone.c — the guest's phone page (web/phone/) in Debian's headless chromium,
 * served by the project's web server (lighttpd, web/lighttpd.conf.in) from the built
 * pages, talking to a real web broker bridged to a real site broker and vqd.
 *
 * Each test takes a ticket at kiosk-1 the way a kiosk does, opens the page with the code
 * in the URL fragment, and reads what a guest would see: the ticket, the countdown on
 * vqd's (fast) demo clock, the window-open notice (banner, tones, vibration, a system
 * notification, as the browser's own APIs received them), a closure, give-back (and the
 * kiosk's held count dropping), a forged code refused, an honest "not connected", and an
 * accessibility audit (axe-core, WCAG 2.1 A/AA) with no violations in en, ru and ro.
 *
 * Skips (exit 77, with the reason) only when the browser cannot run here: no node, no npm
 * packages, no chromium, no lighttpd, or no built pages.
 */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bus/bus.h"
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

static cJSON *cmdv(int timeout_ms, const char *cmd, const char *fmt, va_list ap)
{
	char fields[4096], err[512];
	vsnprintf(fields, sizeof fields, fmt, ap);
	cJSON *v = NULL;
	int rc = vq_test_browser_cmd(browser, timeout_ms, &v, err, sizeof err, cmd, "%s", fields);
	if (rc != VQ_OK) {
		vqs_dump_log(site, false);
		ck_abort_msg("browser %s {%s}: %s %s", cmd, fields, vq_strerror(rc), err);
	}
	return v;
}

static cJSON *cmd(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static cJSON *cmd(const char *name, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	cJSON *v = cmdv(CMD_MS, name, fmt, ap);
	va_end(ap);
	return v;
}

/* The page's console, on the way out of a failed test. */
static void page_console(void)
{
	cJSON *v = NULL;
	char err[64];
	if (browser &&
	    vq_test_browser_cmd(browser, 3000, &v, err, sizeof err, "console", "%s", "") == VQ_OK)
		fprintf(stderr, "page console: %s\n", vqs_js(v));
	cJSON_Delete(v);
}

/* Waits until selector is shown and holds text (NULL: anything); its text. */
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
		cJSON *msg = cmd("text", "\"selector\":\"#message\"");
		CHECK(0, "%s never showed \"%s\": %s; it shows %s; message %s", selector,
		      contains ? contains : "", err, vqs_js(now), vqs_js(msg));
	}
	const char *t = vqs_str(v, "text");
	char *copy = strdup(t ? t : "");
	cJSON_Delete(v);
	return copy;
}

static void open_page(const char *code, const char *lang, int notifications)
{
	char url[1024];
	snprintf(url, sizeof url, "http://127.0.0.1:%d/phone/#%s", vq_test_web_port(web), code);
	cJSON_Delete(cmd("open", "\"url\":\"%s\",\"lang\":\"%s\",\"notifications\":%s", url, lang,
	                 notifications ? "true" : "false"));
}

/* --- the site ------------------------------------------------------------------------- */

static void suite_setup(void)
{
	tu_scratch_begin("phone-tests");
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

/* A site with its web broker, vqd on a clock running speed times real time (NULL: real
 * time), and the web server in front. */
static void up(const char *speed)
{
	vqs_opts o = {.web = true, .clock_speed = speed};
	int rc = vqs_start(&o, &site);
	ck_assert_msg(rc == VQ_OK, "site did not start: %s", vq_strerror(rc));
	rc = vq_test_web_start(pages, vqs_web_port(site), vqs_port(site), &web);
	ck_assert_msg(rc == VQ_OK, "web server did not start: %s", vq_strerror(rc));
}

static void issue(vq_bus *kiosk, const char *card, char *code, size_t codelen)
{
	cJSON *r = vqs_callf(kiosk, "svc/issue",
	                     "{\"v\":1,\"rid\":\"k-%s\",\"card\":\"%s\",\"attraction\":\"coaster\","
	                     "\"party\":2}",
	                     card, card);
	CHECK(r && vqs_ok(r) && vqs_str(r, "ticket.code"), "issue: %s", vqs_js(r));
	snprintf(code, codelen, "%s", vqs_str(r, "ticket.code"));
	cJSON_Delete(r);
}

static int held(vq_bus *kiosk, const char *card)
{
	static int n;
	cJSON *r = vqs_callf(kiosk, "svc/identify", "{\"v\":1,\"rid\":\"id-%d\",\"card\":\"%s\"}",
	                     ++n, card);
	CHECK(r && vqs_ok(r), "identify: %s", vqs_js(r));
	int count = cJSON_GetArraySize(vqs_get(r, "held"));
	cJSON_Delete(r);
	return count;
}

static void ops(vq_bus *op, const char *command)
{
	static int n;
	cJSON *r = vqs_callf(
	    op, "svc/ops", "{\"v\":1,\"rid\":\"ops-%d\",\"cmd\":\"%s\",\"attraction\":\"coaster\"}",
	    ++n, command);
	CHECK(r && vqs_ok(r), "%s: %s", command, vqs_js(r));
	cJSON_Delete(r);
}

/* Seconds on the big countdown ("13 min 58 s", "1 h 02 min 03 s", "58 s": never a
 * "13:58" a guest could take for a time of day). */
static int countdown_seconds(void)
{
	char *t = wait_text("#countdown", NULL, SHOW_MS);
	int n[3], k = 0;
	const char *p = t;
	while (*p && k < 3) {
		if (*p >= '0' && *p <= '9') {
			n[k++] = (int)strtol(p, (char **)&p, 10);
			continue;
		}
		p++;
	}
	CHECK(k >= 1 && !strchr(t, ':'), "countdown reads \"%s\"", t);
	free(t);
	return k == 3 ? n[0] * 3600 + n[1] * 60 + n[2] : k == 2 ? n[0] * 60 + n[1] : n[0];
}

/* --- tests ---------------------------------------------------------------------------- */

START_TEST(test_ticket_shows)
{
	up(NULL);
	vq_bus *kiosk = vqs_bus(site, "kiosk-1", NULL);
	char code[VQ_CODE_MAX];
	issue(kiosk, "card-1", code, sizeof code);
	open_page(code, "en", 0);

	free(wait_text("#number", "C-001", SHOW_MS));
	char *t = wait_text("#attraction", "Coaster", SHOW_MS);
	free(t);
	t = wait_text("#window", NULL, SHOW_MS);
	CHECK(!strcmp(t, "10:15–11:15"), "window \"%s\"", t); /* the site runs in UTC */
	free(t);
	t = wait_text("#party", NULL, SHOW_MS);
	CHECK(!strcmp(t, "2"), "party \"%s\"", t);
	free(t);
	t = wait_text("#tier", NULL, SHOW_MS);
	CHECK(!strcmp(t, "Standard"), "tier \"%s\"", t);
	free(t);
	t = wait_text("#date", "January", SHOW_MS); /* 2027-01-01 */
	free(t);
	free(wait_text("#phase", "starts in", SHOW_MS));
	free(wait_text("#park", "Test Park", SHOW_MS));
	free(wait_text("#link", "Live", SHOW_MS));

	/* the gate QR holds exactly the code: what the fast lane's scanner reads */
	char png[1024], cmdline[2200];
	snprintf(png, sizeof png, "%s/qr.png", vqs_dir(site));
	cJSON_Delete(cmd("shot", "\"path\":\"%s\",\"selector\":\"#qr\"", png));
	snprintf(cmdline, sizeof cmdline, "zbarimg --raw -q '%s' 2>/dev/null", png);
	FILE *p = popen(cmdline, "r");
	char got[512] = "";
	CHECK(p && fgets(got, sizeof got, p), "zbarimg read nothing from %s", png);
	pclose(p);
	got[strcspn(got, "\n")] = '\0';
	CHECK(!strcmp(got, code), "the QR says %s, not %s", got, code);

	/* the code stays in the fragment, which no request carries: nothing the page asked
	 * the server for holds it */
	cJSON *m = cmd("metrics", "%s", "");
	const cJSON *r;
	cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(m, "resources"))
	{
		const char *name = vqs_str(r, "name");
		CHECK(name, "a resource without a name: %s", vqs_js(m));
		char sent[2048];
		snprintf(sent, sizeof sent, "%.*s", (int)strcspn(name, "#"), name);
		CHECK(!strstr(sent, code + 4), "a request carried the code: %s", name);
	}
	cJSON_Delete(m);
	vq_bus_free(kiosk);
}
END_TEST

/* vqd's demo clock runs 30 times real time: the page's countdown must too. */
START_TEST(test_countdown_on_demo_clock)
{
	up("30");
	vq_bus *kiosk = vqs_bus(site, "kiosk-1", NULL);
	char code[VQ_CODE_MAX];
	issue(kiosk, "card-1", code, sizeof code);
	open_page(code, "en", 0);
	free(wait_text("#number", "C-001", SHOW_MS));
	/* the time stays with its word when the line wraps ("at 10:15", "в 10:15") */
	char *phase = wait_text("#phase", "10:15", SHOW_MS);
	CHECK(strstr(phase, "at\xc2\xa0"
	                    "10:15") != NULL,
	      "phase reads \"%s\"", phase);
	free(phase);
	int a = countdown_seconds();
	/* the window opens at 10:15; the clock started at 10:01 and runs fast */
	CHECK(a > 0 && a <= 14 * 60, "countdown %d s before 10:15", a);
	struct timespec ts = {2, 0};
	nanosleep(&ts, NULL);
	int b = countdown_seconds();
	/* 2 s real = 60 s of the site's time (a little more: the reads take time) */
	CHECK(a - b >= 50 && a - b <= 90, "the countdown went from %d to %d in 2 s", a, b);
	vq_bus_free(kiosk);
}
END_TEST

START_TEST(test_window_open_notice)
{
	up("120");
	vq_bus *kiosk = vqs_bus(site, "kiosk-1", NULL);
	char code[VQ_CODE_MAX];
	issue(kiosk, "card-1", code, sizeof code);
	open_page(code, "en", 1);
	free(wait_text("#phase", "starts in", SHOW_MS));
	cJSON *spy = cmd("eval", "\"expr\":\"window.__vqSpy\"");
	CHECK(!cJSON_GetArraySize(vqs_get(spy, "notifications")), "a notice before its time: %s",
	      vqs_js(spy));
	cJSON_Delete(spy);
	/* 10:15 is 14 site minutes away: 7 s at 120 times */
	char *t = wait_text("#banner", "return time has come", 30000);
	CHECK(strstr(t, "Coaster") && strstr(t, "11:15"), "banner \"%s\"", t);
	free(t);
	free(wait_text("#phase", "Go to the fast lane", SHOW_MS));
	spy = cmd("eval", "\"expr\":\"window.__vqSpy\"");
	const char *body = vqs_str(spy, "notifications.0.body");
	CHECK(cJSON_GetArraySize(vqs_get(spy, "notifications")) == 1 && body &&
	          strstr(body, "Coaster"),
	      "system notification: %s", vqs_js(spy));
	CHECK(cJSON_GetArraySize(vqs_get(spy, "vibrate")) == 1, "vibration: %s", vqs_js(spy));
	int64_t tones = 0;
	CHECK(vqs_int(spy, "tones", &tones) && tones >= 1, "no sound: %s", vqs_js(spy));
	cJSON_Delete(spy);

	/* once per ticket: a reload does not sound it again */
	open_page(code, "en", 1);
	free(wait_text("#banner", "return time has come", SHOW_MS));
	spy = cmd("eval", "\"expr\":\"window.__vqSpy\"");
	CHECK(!cJSON_GetArraySize(vqs_get(spy, "notifications")) &&
	          !cJSON_GetArraySize(vqs_get(spy, "vibrate")),
	      "noticed twice: %s", vqs_js(spy));
	cJSON_Delete(spy);
	vq_bus_free(kiosk);
}
END_TEST

START_TEST(test_closure_shows)
{
	up(NULL);
	vq_bus *kiosk = vqs_bus(site, "kiosk-1", NULL);
	vq_bus *op = vqs_bus(site, "ops-1", NULL);
	char code[VQ_CODE_MAX];
	issue(kiosk, "card-1", code, sizeof code);
	open_page(code, "en", 0);
	free(wait_text("#phase", "starts in", SHOW_MS));
	ops(op, "close");
	char *t = wait_text("#phase", "closed for now", SHOW_MS);
	CHECK(strstr(t, "valid until closing when it reopens"), "closure \"%s\"", t);
	free(t);
	ops(op, "reopen");
	free(wait_text("#phase", "starts in", SHOW_MS));
	vq_bus_free(op);
	vq_bus_free(kiosk);
}
END_TEST

START_TEST(test_giveback)
{
	up(NULL);
	vq_bus *kiosk = vqs_bus(site, "kiosk-1", NULL);
	char code[VQ_CODE_MAX];
	issue(kiosk, "card-1", code, sizeof code);
	CHECK(held(kiosk, "card-1") == 1, "held before");
	open_page(code, "en", 0);
	free(wait_text("#giveback", "Give this ticket back", SHOW_MS));
	cJSON_Delete(cmd("click", "\"selector\":\"#giveback\""));
	free(wait_text("#confirm-text", "Give back your ticket for Coaster", SHOW_MS));
	cJSON_Delete(cmd("click", "\"selector\":\"#confirm-yes\""));
	free(wait_text("#phase", "You gave this ticket back", SHOW_MS));
	cJSON *gone = cmd("text", "\"selector\":\"#qr\"");
	CHECK(!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(gone, "visible")),
	      "the gate code still shows: %s", vqs_js(gone));
	cJSON_Delete(gone);
	CHECK(held(kiosk, "card-1") == 0, "the kiosk still counts the ticket");
	vq_bus_free(kiosk);
}
END_TEST

START_TEST(test_forged_code_refused)
{
	up(NULL);
	vq_bus *kiosk = vqs_bus(site, "kiosk-1", NULL);
	char code[VQ_CODE_MAX];
	issue(kiosk, "card-1", code, sizeof code);
	size_t n = strlen(code);
	code[n / 2] = code[n / 2] == 'A' ? 'B' : 'A';
	open_page(code, "en", 0);
	free(wait_text("#message", "not valid", SHOW_MS));
	cJSON *tk = cmd("text", "\"selector\":\"#number\"");
	CHECK(!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(tk, "visible")),
	      "a forged code shows a ticket: %s", vqs_js(tk));
	cJSON_Delete(tk);
	open_page("VQ1:not-a-code", "en", 0);
	free(wait_text("#message", "not valid", SHOW_MS));
	vq_bus_free(kiosk);
}
END_TEST

/* vqd gone: the page says so rather than show old state as current. */
START_TEST(test_stale_when_vqd_is_gone)
{
	up(NULL);
	vq_bus *kiosk = vqs_bus(site, "kiosk-1", NULL);
	char code[VQ_CODE_MAX];
	issue(kiosk, "card-1", code, sizeof code);
	open_page(code, "en", 0);
	free(wait_text("#link", "Live", SHOW_MS));
	CHECK(vqs_vqd_kill(site) == VQ_OK, "vqd did not die");
	free(wait_text("#link", "Not connected", SHOW_MS));
	free(wait_text("#number", "C-001", SHOW_MS)); /* the ticket stays */
	CHECK(vqs_vqd_start(site) == VQ_OK, "vqd did not come back");
	free(wait_text("#link", "Live", SHOW_MS));
	vq_bus_free(kiosk);
}
END_TEST

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

START_TEST(test_accessible_in_every_language)
{
	up(NULL);
	vq_bus *kiosk = vqs_bus(site, "kiosk-1", NULL);
	char code[VQ_CODE_MAX];
	issue(kiosk, "card-1", code, sizeof code);
	static const char *const langs[][2] = {
	    {"en", "Return time"}, {"ru", "Время возвращения"}, {"ro", "Ora de revenire"}};
	for (size_t i = 0; i < 3; i++) {
		open_page(code, langs[i][0], 0);
		free(wait_text("#number", "C-001", SHOW_MS));
		free(wait_text("#l-window", langs[i][1], SHOW_MS));
		audit("the ticket", langs[i][0]);
		cJSON_Delete(cmd("click", "\"selector\":\"#giveback\""));
		free(wait_text("#confirm-yes", NULL, SHOW_MS));
		audit("the give-back question", langs[i][0]);
		cJSON_Delete(cmd("click", "\"selector\":\"#confirm-no\""));
		open_page("VQ1:AAAA", langs[i][0], 0);
		free(wait_text("#message", NULL, SHOW_MS));
		audit("a refused code", langs[i][0]);
	}
	/* the switch: English asked for, Romanian chosen, and kept on the next visit */
	open_page(code, "en", 0);
	free(wait_text("#l-window", "Return time", SHOW_MS));
	cJSON_Delete(cmd("click", "\"selector\":\"#langs button[lang=ro]\""));
	free(wait_text("#l-window", "Ora de revenire", SHOW_MS));
	open_page(code, "en", 0);
	free(wait_text("#l-window", "Ora de revenire", SHOW_MS));
	vq_bus_free(kiosk);
}
END_TEST

static Suite *phone_suite(void)
{
	Suite *s = suite_create("phone");
	TCase *tc = tcase_create("page");
	tcase_add_unchecked_fixture(tc, suite_setup, suite_teardown);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, test_ticket_shows);
	tcase_add_test(tc, test_countdown_on_demo_clock);
	tcase_add_test(tc, test_window_open_notice);
	tcase_add_test(tc, test_closure_shows);
	tcase_add_test(tc, test_giveback);
	tcase_add_test(tc, test_forged_code_refused);
	tcase_add_test(tc, test_stale_when_vqd_is_gone);
	tcase_add_test(tc, test_accessible_in_every_language);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return vq_test_browser_main("test_phone", "phone", phone_suite(), pages, sizeof pages,
	                            &browser);
}
