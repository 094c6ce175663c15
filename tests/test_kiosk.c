/* tests/test_kiosk.c — vq-kiosk: the pure state machine screen by screen, and the real
 * program against a real broker and vqd.
 *
 * Unit tests drive kiosk_state.h with made-up input, replies and retained state (fed to
 * client/sitestate.h exactly as the bus would), and read the result off the display
 * list (ui/view.h): what a visitor would see, without drawing. Integration tests run
 * the vq-kiosk binary under SDL's offscreen driver with a replay script against a site
 * from tests/support/vqsite.h, read its --trace on a pipe, decode the QR of its
 * screenshots with zbarimg, and read vqd's database to count tickets.
 *
 * Check forks every test; the kiosk child dies with the test (PR_SET_PDEATHSIG) and
 * every wait has a deadline. In loops, failures go through if (...) ck_abort_msg, which
 * costs nothing when the condition holds.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <SDL_keycode.h>

#include "client/sitestate.h"
#include "kiosk/kiosk_spool.h"
#include "kiosk/kiosk_state.h"
#include "support/tutil.h"
#include "support/vqsite.h"
#include "ui/i18n.h"
#include "ui/input.h"
#include "ui/text.h"
#include "ui/ui.h"
#include "ui/view.h"
#include "ui/widgets.h"

#define W      1280
#define H      800
#define TARGET 57 /* 15 mm at 96 dpi */
#define T0     ((int64_t)VQS_CLOCK_START * 1000)
#define START  (VQS_TEN_AM + 15 * 60) /* 10:15 */
#define END    (VQS_TEN_AM + 75 * 60) /* 11:15 */
#define CARD   "4000123412341234"

/* --- a kiosk without a window or a broker ------------------------------------------ */

static vq_i18n *i18n;
static vq_sitestate *ss;
static kiosk *k;
static int64_t now;
static char tracebuf[65536];
static size_t tracelen;

static void capture(void *ctx, const char *line)
{
	(void)ctx;
	size_t n = strlen(line);
	if (tracelen + n + 2 < sizeof tracebuf) {
		memcpy(tracebuf + tracelen, line, n);
		tracebuf[tracelen + n] = '\n';
		tracelen += n + 1;
		tracebuf[tracelen] = '\0';
	}
}

static int traced(const char *needle)
{
	return strstr(tracebuf, needle) != NULL;
}

static void feed(const char *suffix, const char *json)
{
	vq_bus_msg m;
	memset(&m, 0, sizeof m);
	m.kind = VQ_BUS_MESSAGE;
	m.topic = suffix;
	m.suffix = suffix;
	m.payload = json;
	m.len = strlen(json);
	m.retain = true;
	int rc = vq_sitestate_feed(ss, &m, now);
	ck_assert_msg(rc >= 0, "sitestate refused %s: %s", suffix, json);
	if (k && rc == 1)
		kiosk_site_changed(k, now);
}

static void feed_attr(const char *id, const char *status, int64_t start, int64_t end)
{
	char buf[1024];
	snprintf(buf, sizeof buf,
	         "{\"v\":1,\"attraction\":\"%s\",\"kind\":\"ride\",\"names\":{\"en\":\"%s-en\","
	         "\"ru\":\"%s-ru\"},\"status\":\"%s\",\"next\":{\"standard\":{\"start\":%lld,"
	         "\"end\":%lld},\"gold\":{\"start\":%lld,\"end\":%lld}},\"updated\":1}",
	         id, id, id, status, (long long)start, (long long)end, (long long)start,
	         (long long)end);
	char suffix[64];
	snprintf(suffix, sizeof suffix, "state/%s", id);
	feed(suffix, buf);
}

static void unit_setup(void)
{
	char err[256] = "";
	int rc = vq_i18n_load(tu_src("assets/i18n"), &i18n, err, sizeof err);
	ck_assert_msg(rc == VQ_OK, "i18n: %s", err);
	ck_assert_int_eq(vq_sitestate_new(&ss), VQ_OK);
	now = T0;
	tracelen = 0;
	tracebuf[0] = '\0';
	k = NULL;
	feed("state/_site",
	     "{\"v\":1,\"site\":\"test\",\"name\":\"Test Park\",\"timezone\":\"UTC\","
	     "\"languages\":[\"en\",\"ru\",\"ro\"],\"tiers\":[{\"id\":\"standard\",\"names\":"
	     "{\"en\":\"Standard\",\"ru\":\"Стандарт\"}},{\"id\":\"gold\",\"names\":{\"en\":"
	     "\"Gold\",\"ru\":\"Золото\",\"ro\":\"Aur\"}}],\"attractions\":[\"coaster\","
	     "\"flume\",\"tiny\"],\"keys\":[],\"updated\":1}");
	feed_attr("coaster", "open", START, END);
	feed_attr("flume", "open", START + 600, END + 600);
	feed_attr("tiny", "closed", 0, 0);
	feed("presence/vqd", "{\"v\":1,\"id\":\"vqd\",\"role\":\"coordinator\",\"online\":true}");
	kiosk_cfg cfg = {.i18n = i18n,
	                 .site = ss,
	                 .width = W,
	                 .height = H,
	                 .target_px = TARGET,
	                 .rid_prefix = "kiosk-1-test",
	                 .idle_ms = 45000,
	                 .reply_timeout_ms = 4000,
	                 .retry_ms = 3000,
	                 .trace = capture};
	ck_assert_int_eq(kiosk_new(&cfg, now, &k), VQ_OK);
	kiosk_link(k, 1, now);
}

static void unit_teardown(void)
{
	kiosk_free(k);
	k = NULL;
	vq_sitestate_free(ss);
	ss = NULL;
	vq_i18n_free(i18n);
	i18n = NULL;
}

static const vq_view *view(void)
{
	return kiosk_view_get(k);
}

static void input(int kind)
{
	vq_input in;
	memset(&in, 0, sizeof in);
	in.kind = kind;
	kiosk_update(k, &in, now);
}

static void later(int64_t ms)
{
	now += ms;
	input(VQ_IN_NONE);
}

/* A finger on the button with this id, as a visitor would: down, then up. */
static void tap(const char *id)
{
	const vq_el *b = vq_view_find(view(), id);
	ck_assert_msg(b != NULL, "no button %s on the %s screen", id,
	              kiosk_screen_name(kiosk_screen(k)));
	ck_assert_msg(!b->disabled, "button %s is disabled", id);
	vq_input in;
	memset(&in, 0, sizeof in);
	in.x = b->r.x + b->r.w / 2;
	in.y = b->r.y + b->r.h / 2;
	in.kind = VQ_IN_PRESS;
	kiosk_update(k, &in, now);
	in.kind = VQ_IN_TAP;
	kiosk_update(k, &in, now);
}

static void text_in(int kind, const char *s)
{
	vq_input in;
	memset(&in, 0, sizeof in);
	in.kind = kind;
	snprintf(in.text, sizeof in.text, "%s", s);
	kiosk_update(k, &in, now);
}

static void key(int32_t keycode, uint16_t mod)
{
	vq_input in;
	memset(&in, 0, sizeof in);
	in.kind = VQ_IN_KEY;
	in.key = keycode;
	in.mod = mod;
	kiosk_update(k, &in, now);
}

/* The request waiting to go out, published successfully. */
static kiosk_request send_ok(int kind)
{
	kiosk_request rq;
	ck_assert_msg(kiosk_outgoing(k, &rq), "no request to send on %s",
	              kiosk_screen_name(kiosk_screen(k)));
	ck_assert_int_eq(rq.kind, kind);
	ck_assert_uint_eq(strlen(rq.body), rq.len);
	kiosk_sent(k, VQ_OK, now);
	ck_assert(kiosk_busy(k));
	ck_assert(!kiosk_outgoing(k, &(kiosk_request){0}));
	return rq;
}

__attribute__((format(printf, 2, 3))) static void reply(const kiosk_request *rq, const char *fmt,
                                                        ...)
{
	char body[4096], full[4200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(body, sizeof body, fmt, ap);
	va_end(ap);
	snprintf(full, sizeof full, "{\"v\":1,\"rid\":\"%s\",%s}", rq->rid, body);
	kiosk_reply(k, full, strlen(full), now);
}

static void expect_screen(int screen)
{
	ck_assert_msg(kiosk_screen(k) == screen, "on %s, expected %s",
	              kiosk_screen_name(kiosk_screen(k)), kiosk_screen_name(screen));
}

static void to_party(const char *tier)
{
	tap("attr-coaster");
	expect_screen(KS_IDENTIFY);
	text_in(VQ_IN_SCAN, CARD);
	kiosk_request rq = send_ok(KR_IDENTIFY);
	ck_assert_ptr_nonnull(strstr(rq.body, "\"card\":\"" CARD "\""));
	reply(&rq, "\"ok\":true,\"tier\":\"%s\",\"member\":true,\"max_passes\":3,\"held\":[]",
	      tier);
	expect_screen(KS_PARTY);
}

static const char QUOTES[] =
    "\"ok\":true,\"tier\":\"gold\",\"held\":0,\"max_passes\":3,\"quotes\":["
    "{\"attraction\":\"coaster\",\"ok\":true,\"start\":1798798500,\"end\":1798802100,"
    "\"seats_left\":14},{\"attraction\":\"flume\",\"ok\":true,\"start\":1798799100,"
    "\"end\":1798801800,\"seats_left\":3},{\"attraction\":\"tiny\",\"ok\":false,"
    "\"error\":\"closed\"}]";

static void to_confirm(void)
{
	to_party("gold");
	tap("party-2");
	kiosk_request rq = send_ok(KR_QUOTE);
	ck_assert_ptr_nonnull(strstr(rq.body, "\"party\":2"));
	reply(&rq, "%s", QUOTES);
	expect_screen(KS_CONFIRM);
}

static const char TICKET[] =
    "\"ok\":true,\"ticket\":{\"id\":5,\"number\":\"C-005\",\"attraction\":\"coaster\","
    "\"tier\":\"gold\",\"party\":2,\"start\":1798798500,\"end\":1798802100,\"state\":"
    "\"issued\",\"code\":\"VQ1:ABCDEFGH234567\"}";

/* --- unit tests ------------------------------------------------------------------- */

START_TEST(test_welcome)
{
	const vq_view *v = view();
	ck_assert(!v->overflow);
	ck_assert(vq_view_has_text(v, "Welcome!"));
	ck_assert(vq_view_has_text(v, "coaster-en"));
	ck_assert(vq_view_has_text(v, "10:15–11:15"));
	ck_assert(vq_view_has_text(v, "Closed"));
	/* the way in first, and one return time a ride: the tiers all get 10:15 here */
	ck_assert_str_eq(vq_el_text(v, vq_view_role(v, "instruction", 0)),
	                 "Scan your park ticket or member card");
	ck_assert(vq_view_role(v, "instruction", 0) < vq_view_role(v, "attr.name", 0));
	ck_assert(vq_view_has_text(v, "Next return time"));
	ck_assert(!vq_view_has_text(v, "Gold"));
	ck_assert(!vq_view_role(v, "attr.mark", 0));
	ck_assert(!vq_view_find(v, "attr-coaster")->disabled);
	ck_assert(vq_view_find(v, "attr-tiny")->disabled);
	ck_assert_int_eq(kiosk_served_count(k), 3);
	/* a closed attraction cannot be chosen, even by a tap on its row */
	const vq_el *tiny = vq_view_find(v, "attr-tiny");
	vq_input in = {.kind = VQ_IN_TAP, .x = tiny->r.x + 5, .y = tiny->r.y + 5};
	kiosk_update(k, &in, now);
	expect_screen(KS_WELCOME);
	/* the times follow the retained state */
	feed_attr("coaster", "open", START + 3600, END + 3600);
	ck_assert(kiosk_dirty(k));
	ck_assert(vq_view_has_text(view(), "11:15–12:15"));
	/* a higher tier that gets an earlier time is marked, and only then */
	feed("state/coaster",
	     "{\"v\":1,\"attraction\":\"coaster\",\"kind\":\"ride\",\"names\":{\"en\":"
	     "\"coaster-en\"},\"status\":\"open\",\"next\":{\"standard\":{\"start\":1798801200,"
	     "\"end\":1798804800},\"gold\":{\"start\":1798798500,\"end\":1798802100}},"
	     "\"updated\":1}");
	v = view();
	ck_assert(vq_view_has_text(v, "11:00–12:00"));
	ck_assert_str_eq(vq_el_text(v, vq_view_role(v, "attr.mark", 0)), "Gold: 10:15");
	ck_assert(
	    !vq_view_role(v, "attr.mark", (int)(vq_view_role(v, "attr.mark", 0) - v->el) + 1));
	/* once the guest is known, their own tier's time and nothing else */
	text_in(VQ_IN_SCAN, CARD);
	kiosk_request rq = send_ok(KR_IDENTIFY);
	reply(&rq, "\"ok\":true,\"tier\":\"gold\",\"member\":true,\"max_passes\":3,\"held\":[]");
	v = view();
	ck_assert(vq_view_has_text(v, "10:15–11:15"));
	ck_assert(!vq_view_has_text(v, "11:00–12:00"));
	ck_assert(!vq_view_role(v, "attr.mark", 0));
	ck_assert(vq_view_has_text(v, "Next return time for Gold"));
	feed_attr("coaster", "closed", 0, 0);
	ck_assert(vq_view_find(view(), "attr-coaster")->disabled);
}
END_TEST

START_TEST(test_served_subset)
{
	kiosk_free(k);
	kiosk_cfg cfg = {.i18n = i18n,
	                 .site = ss,
	                 .width = W,
	                 .height = H,
	                 .target_px = TARGET,
	                 .rid_prefix = "k",
	                 .attractions = "flume,coaster"};
	ck_assert_int_eq(kiosk_new(&cfg, now, &k), VQ_OK);
	kiosk_link(k, 1, now);
	ck_assert_int_eq(kiosk_served_count(k), 2);
	ck_assert_str_eq(kiosk_served_id(k, 0), "flume");
	ck_assert_ptr_null(vq_view_find(view(), "attr-tiny"));
	ck_assert_ptr_nonnull(vq_view_find(view(), "attr-coaster"));
	cfg.attractions = "a,,b";
	kiosk *bad = NULL;
	ck_assert_int_eq(kiosk_new(&cfg, now, &bad), VQ_EINVAL);
	cfg.attractions = NULL;
	cfg.rid_prefix = "has space";
	ck_assert_int_eq(kiosk_new(&cfg, now, &bad), VQ_EINVAL);
	cfg.rid_prefix = "k";
	cfg.staff_combo = "q"; /* a visitor could type it */
	ck_assert_int_eq(kiosk_new(&cfg, now, &bad), VQ_EINVAL);
	ck_assert_ptr_null(bad);
}
END_TEST

START_TEST(test_unreachable_at_start)
{
	/* a kiosk that hears nothing at all: "please wait", then the standby line */
	vq_sitestate *empty = NULL;
	ck_assert_int_eq(vq_sitestate_new(&empty), VQ_OK);
	kiosk_free(k);
	kiosk_cfg cfg = {.i18n = i18n,
	                 .site = empty,
	                 .width = W,
	                 .height = H,
	                 .target_px = TARGET,
	                 .rid_prefix = "k",
	                 .trace = capture};
	ck_assert_int_eq(kiosk_new(&cfg, now, &k), VQ_OK);
	ck_assert(vq_view_has_text(view(), "Please wait"));
	ck_assert_int_eq(kiosk_deadline(k), now + 10000);
	later(9999);
	ck_assert(!traced("standby on"));
	later(1);
	ck_assert(traced("standby on"));
	ck_assert(vq_view_has_text(view(), "Please use the standby line."));
	kiosk_free(k);
	k = NULL;
	vq_sitestate_free(empty);
}
END_TEST

START_TEST(test_full_flow)
{
	tap("attr-coaster");
	expect_screen(KS_IDENTIFY);
	ck_assert_str_eq(kiosk_attraction(k), "coaster");
	ck_assert(vq_view_find(view(), "key-ok")->disabled);
	/* the keypad types, Delete takes back */
	tap("key-4");
	tap("key-0");
	tap("key-9");
	tap("key-del");
	tap("key-0");
	ck_assert(vq_view_has_text(view(), "400"));
	text_in(VQ_IN_TEXT, "0123412341234");
	tap("key-ok");
	kiosk_request rq = send_ok(KR_IDENTIFY);
	ck_assert_str_eq(rq.suffix, "svc/identify");
	ck_assert_ptr_nonnull(strstr(rq.body, "\"card\":\"" CARD "\""));
	ck_assert_ptr_nonnull(strstr(rq.body, "\"v\":1"));
	ck_assert(vq_view_has_text(view(), "Please wait"));
	/* a second tap while vqd is asked changes nothing */
	tap("back");
	expect_screen(KS_IDENTIFY);
	reply(&rq, "\"ok\":true,\"tier\":\"gold\",\"member\":true,\"max_passes\":3,\"held\":[]");
	expect_screen(KS_PARTY);
	ck_assert_str_eq(kiosk_tier(k), "gold");
	ck_assert(vq_view_has_text(view(), "Tier: Gold"));
	ck_assert(traced("state party attraction=coaster tier=gold member=1"));

	tap("party-2");
	rq = send_ok(KR_QUOTE);
	ck_assert_str_eq(rq.suffix, "svc/quote");
	ck_assert_ptr_null(strstr(rq.body, "attraction")); /* all: the rest are alternatives */
	reply(&rq, "%s", QUOTES);
	expect_screen(KS_CONFIRM);
	ck_assert_int_eq(kiosk_party(k), 2);
	ck_assert(vq_view_has_text(view(), "Gold: return 10:15–11:15"));
	ck_assert(vq_view_has_text(view(), "Party size: 2"));

	tap("confirm");
	rq = send_ok(KR_ISSUE);
	ck_assert_str_eq(rq.suffix, "svc/issue");
	ck_assert_ptr_nonnull(strstr(rq.body, "\"attraction\":\"coaster\""));
	ck_assert_ptr_nonnull(strstr(rq.body, "\"party\":2"));
	reply(&rq, "%s", TICKET);
	expect_screen(KS_TICKET);
	ck_assert(traced("state ticket id=5 number=C-005 attraction=coaster tier=gold party=2 "
	                 "start=1798798500 end=1798802100 code=VQ1:ABCDEFGH234567"));
	kiosk_ticket t;
	ck_assert(kiosk_ticket_get(k, &t));
	ck_assert_str_eq(t.code, "VQ1:ABCDEFGH234567");
	ck_assert_uint_eq(kiosk_spool_pending(k), 5);
	kiosk_spool_done(k, 5);
	ck_assert_uint_eq(kiosk_spool_pending(k), 0);
	const vq_view *v = view();
	ck_assert(vq_view_has_text(v, "10:15–11:15"));
	ck_assert(vq_view_has_text(v, "Number C-005"));
	int qr = 0;
	for (int i = 0; i < v->n; i++)
		if (v->el[i].kind == VQ_EL_QR && !strcmp(vq_el_text(v, &v->el[i]), t.code))
			qr = 1;
	ck_assert_msg(qr, "no QR of the ticket code on the ticket screen");

	char text[4096];
	ck_assert_int_eq(kiosk_ticket_text(k, text, sizeof text), VQ_OK);
	ck_assert_ptr_nonnull(strstr(text, "\nVQ1:ABCDEFGH234567\n"));
	ck_assert_ptr_nonnull(strstr(text, "Number C-005"));
	ck_assert_ptr_nonnull(strstr(text, "Return between 10:15 and 11:15"));

	tap("done");
	expect_screen(KS_WELCOME);
	ck_assert_str_eq(kiosk_card(k), "");
	ck_assert_str_eq(kiosk_tier(k), "");
	ck_assert_int_eq(kiosk_held_count(k), 0);
	ck_assert(!kiosk_ticket_get(k, &t));
	ck_assert(traced("guest forgotten"));
}
END_TEST

/* The night Bucharest's clocks go back (31 October 2027), a window over the hour the clocks
 * show twice says which pass it means, on the screen and on the receipt: 03:30 at UTC+3
 * comes an hour before 03:30 at UTC+2. A kiosk whose clock is off vqd's says so. */
START_TEST(test_local_times)
{
	feed("state/_site",
	     "{\"v\":1,\"site\":\"test\",\"name\":\"Test Park\",\"timezone\":\"Europe/Bucharest\","
	     "\"languages\":[\"en\",\"ru\",\"ro\"],\"tiers\":[{\"id\":\"standard\",\"names\":"
	     "{\"en\":\"Standard\"}},{\"id\":\"gold\",\"names\":{\"en\":\"Gold\"}}],"
	     "\"attractions\":[\"coaster\",\"flume\",\"tiny\"],\"keys\":[],\"updated\":2}");
	const int64_t s = 1824942600, e = 1824944400; /* 00:30 and 01:00 UTC */
	feed_attr("coaster", "open", s, e);
	ck_assert(vq_view_has_text(view(), "03:30 UTC+3–03:00 UTC+2"));
	to_party("gold");
	tap("party-2");
	kiosk_request rq = send_ok(KR_QUOTE);
	reply(&rq,
	      "\"ok\":true,\"tier\":\"gold\",\"held\":0,\"max_passes\":3,\"quotes\":["
	      "{\"attraction\":\"coaster\",\"ok\":true,\"start\":%lld,\"end\":%lld,"
	      "\"seats_left\":14}]",
	      (long long)s, (long long)e);
	expect_screen(KS_CONFIRM);
	ck_assert(vq_view_has_text(view(), "03:30 UTC+3–03:00 UTC+2"));
	tap("confirm");
	rq = send_ok(KR_ISSUE);
	reply(&rq,
	      "\"ok\":true,\"ticket\":{\"id\":7,\"number\":\"C-007\",\"attraction\":\"coaster\","
	      "\"tier\":\"gold\",\"party\":2,\"start\":%lld,\"end\":%lld,\"state\":\"issued\","
	      "\"code\":\"VQ1:ABCDEFGH234567\"}",
	      (long long)s, (long long)e);
	expect_screen(KS_TICKET);
	char text[4096];
	ck_assert_int_eq(kiosk_ticket_text(k, text, sizeof text), VQ_OK);
	/* (32 columns: the sentence wraps); the day is the site's local date */
	ck_assert_msg(strstr(text, "Return between 03:30 UTC+3 and") &&
	                  strstr(text, "03:00 UTC+2") && strstr(text, "31 October 2027"),
	              "%s", text);

	/* vqd's clock, heard live, is two minutes ahead of this kiosk's */
	tap("done");
	char live[512];
	snprintf(
	    live, sizeof live,
	    "{\"v\":1,\"site\":\"test\",\"name\":\"Test Park\",\"timezone\":\"Europe/Bucharest\","
	    "\"languages\":[\"en\"],\"tiers\":[{\"id\":\"standard\",\"names\":{\"en\":"
	    "\"Standard\"}},{\"id\":\"gold\",\"names\":{\"en\":\"Gold\"}}],"
	    "\"attractions\":[\"coaster\",\"flume\",\"tiny\"],\"keys\":[],"
	    "\"clock\":{\"now_ms\":%lld,\"speed\":1,\"demo\":false},\"updated\":3}",
	    (long long)(now + 120000));
	vq_bus_msg m = {.kind = VQ_BUS_MESSAGE,
	                .topic = "state/_site",
	                .suffix = "state/_site",
	                .payload = live,
	                .len = strlen(live)};
	ck_assert_int_eq(vq_sitestate_feed(ss, &m, now), 1);
	kiosk_site_changed(k, now);
	ck_assert(traced("clock skew_min=-2"));
	ck_assert(vq_view_has_text(view(), "Clock differs from the park's by -2 min"));
}
END_TEST

START_TEST(test_scan_first)
{
	/* a card scanned on the welcome screen: then the attraction, straight to the party */
	text_in(VQ_IN_SCAN, CARD);
	kiosk_request rq = send_ok(KR_IDENTIFY);
	reply(&rq,
	      "\"ok\":true,\"tier\":\"gold\",\"member\":true,\"max_passes\":3,\"held\":[{\"id\":9,"
	      "\"number\":\"L-009\",\"attraction\":\"flume\",\"tier\":\"gold\",\"party\":1,"
	      "\"start\":1798799100,\"end\":1798801800,\"state\":\"issued\",\"code\":\"VQ1:X\"}]");
	expect_screen(KS_WELCOME);
	ck_assert(vq_view_has_text(view(), "Tier: Gold"));
	ck_assert_int_eq(kiosk_held_count(k), 1);
	tap("attr-coaster");
	expect_screen(KS_PARTY);
	/* Escape goes back; the guest stays known */
	key(SDLK_ESCAPE, 0);
	expect_screen(KS_WELCOME);
	ck_assert_str_eq(kiosk_card(k), CARD);
	/* another card is another visitor */
	text_in(VQ_IN_SCAN, "walk-in-7");
	ck_assert_int_eq(kiosk_held_count(k), 0);
	rq = send_ok(KR_IDENTIFY);
	ck_assert_ptr_nonnull(strstr(rq.body, "walk-in-7"));
	/* a card the protocol cannot carry is refused here */
	reply(&rq,
	      "\"ok\":true,\"tier\":\"standard\",\"member\":false,\"max_passes\":1,\"held\":[]");
	tap("start-over");
	tap("attr-coaster");
	text_in(VQ_IN_SCAN, "this card number is far too long for any protocol field");
	ck_assert(!kiosk_outgoing(k, &(kiosk_request){0}));
	ck_assert(vq_view_has_text(view(), "not recognised"));
}
END_TEST

START_TEST(test_idle_forgets)
{
	to_confirm();
	ck_assert_str_eq(kiosk_card(k), CARD);
	later(30000);
	expect_screen(KS_CONFIRM);
	ck_assert_ptr_null(vq_view_find(view(), "continue"));
	later(5000); /* 35 s: the warning */
	ck_assert_ptr_nonnull(vq_view_find(view(), "continue"));
	ck_assert(vq_view_has_text(view(), "Are you still there?"));
	tap("continue"); /* a touch starts the count again */
	ck_assert_ptr_null(vq_view_find(view(), "continue"));
	later(44000);
	expect_screen(KS_CONFIRM);
	ck_assert_int_le(kiosk_deadline(k), now + 1000);
	later(1000);
	expect_screen(KS_WELCOME);
	ck_assert_str_eq(kiosk_card(k), "");
	ck_assert_str_eq(kiosk_tier(k), "");
	ck_assert_str_eq(kiosk_attraction(k), "");
	ck_assert_int_eq(kiosk_party(k), 0);
	ck_assert(traced("guest forgotten"));
	ck_assert(traced("state welcome reason=idle"));
	ck_assert_uint_eq(kiosk_idle_wipes(k), 1);
	/* nothing to forget: the welcome screen waits for ever */
	ck_assert_int_eq(kiosk_deadline(k), INT64_MAX);
	later(600000);
	expect_screen(KS_WELCOME);

	/* typed digits alone count as a guest, and are wiped */
	tap("attr-flume");
	tap("key-7");
	later(45000);
	expect_screen(KS_WELCOME);
	ck_assert_uint_eq(kiosk_idle_wipes(k), 2);

	/* keys audio mode takes for itself (kiosk_touched) hold the guest like a touch; then
	 * an untouched welcome screen counts once, at its idle time */
	tap("attr-flume");
	later(40000);
	kiosk_touched(k, now);
	later(40000);
	expect_screen(KS_IDENTIFY);
	later(5000);
	expect_screen(KS_WELCOME);
	ck_assert_uint_eq(kiosk_idle_wipes(k), 3);
	tap("lang-en");
	ck_assert_int_eq(kiosk_deadline(k), now + 45000);
	later(45000);
	ck_assert_uint_eq(kiosk_idle_wipes(k), 4);
	ck_assert_int_eq(kiosk_deadline(k), INT64_MAX);
	tap("attr-flume");
	ck_assert(vq_view_find(view(), "key-ok")->disabled);
}
END_TEST

START_TEST(test_idle_language_resets)
{
	tap("lang-ru");
	ck_assert_str_eq(kiosk_lang(k), "ru");
	tap("attr-coaster");
	later(45000);
	expect_screen(KS_WELCOME);
	ck_assert_str_eq(kiosk_lang(k), "en"); /* the next visitor starts in the default */
}
END_TEST

START_TEST(test_retry_same_rid)
{
	to_confirm();
	tap("confirm");
	kiosk_request first = send_ok(KR_ISSUE);
	ck_assert_int_eq(first.attempt, 1);
	later(3999);
	ck_assert(!kiosk_outgoing(k, &(kiosk_request){0}));
	later(1);
	/* no answer in time: the same request again, the same rid */
	kiosk_request again;
	ck_assert(kiosk_outgoing(k, &again));
	ck_assert_str_eq(again.rid, first.rid);
	ck_assert_str_eq(again.body, first.body);
	ck_assert_uint_eq(again.serial, first.serial);
	ck_assert_int_eq(again.attempt, 2);
	kiosk_sent(k, VQ_OK, now);
	expect_screen(KS_CONFIRM);
	ck_assert(vq_view_has_text(view(), "Retrying"));
	later(4000);
	/* still nothing: the standby line, and retries every retry_ms */
	expect_screen(KS_OFFLINE);
	ck_assert(vq_view_has_text(view(), "standby line"));
	ck_assert(traced("standby on"));
	ck_assert(!kiosk_outgoing(k, &(kiosk_request){0}));
	later(3000);
	ck_assert(kiosk_outgoing(k, &again));
	ck_assert_str_eq(again.rid, first.rid);
	ck_assert_int_eq(again.attempt, 3);
	kiosk_sent(k, VQ_EBUS, now); /* the broker went away meanwhile */
	ck_assert(!kiosk_outgoing(k, &(kiosk_request){0}));
	kiosk_link(k, 0, now);
	later(10000);
	ck_assert(!kiosk_outgoing(k, &(kiosk_request){0})); /* nobody to ask */
	kiosk_link(k, 1, now);
	ck_assert(kiosk_outgoing(k, &again)); /* back: at once */
	ck_assert_str_eq(again.rid, first.rid);
	kiosk_sent(k, VQ_OK, now);
	/* a reply to some other request is not this one's */
	kiosk_request other = again;
	snprintf(other.rid, sizeof other.rid, "kiosk-1-test-999");
	reply(&other, "%s", TICKET);
	expect_screen(KS_OFFLINE);
	/* the answer to any of the tries is the answer: vqd gives the first for every one */
	reply(&first, "%s", TICKET);
	expect_screen(KS_TICKET);
	ck_assert(traced("standby off"));
	ck_assert(!kiosk_busy(k));
	ck_assert_uint_eq(kiosk_request_serial(k), 0);
	/* a late duplicate changes nothing */
	reply(&first, "%s", TICKET);
	expect_screen(KS_TICKET);
}
END_TEST

START_TEST(test_offline_before_asking)
{
	to_party("gold");
	kiosk_link(k, 0, now);
	expect_screen(KS_PARTY); /* a screen with nothing asked keeps its visitor */
	tap("party-3");
	expect_screen(KS_OFFLINE);
	ck_assert(!kiosk_outgoing(k, &(kiosk_request){0}));
	ck_assert(traced("defer quote rid=kiosk-1-test-"));
	kiosk_link(k, 1, now);
	kiosk_request rq = send_ok(KR_QUOTE);
	reply(&rq, "%s", QUOTES);
	expect_screen(KS_CONFIRM);
	/* the welcome screen itself says so when vqd is gone */
	tap("start-over");
	kiosk_link(k, 0, now);
	ck_assert(vq_view_has_text(view(), "Please use the standby line."));
	ck_assert_ptr_null(vq_view_find(view(), "attr-coaster"));
	kiosk_link(k, 1, now);
	ck_assert_ptr_nonnull(vq_view_find(view(), "attr-coaster"));
	/* and giving up while offline drops the request */
	tap("attr-coaster");
	text_in(VQ_IN_SCAN, CARD);
	kiosk_link(k, 0, now);
	kiosk_request out;
	ck_assert(kiosk_outgoing(k, &out) == 0 || out.kind == KR_IDENTIFY);
	kiosk_sent(k, VQ_EBUS, now);
	expect_screen(KS_OFFLINE);
	tap("start-over");
	expect_screen(KS_WELCOME);
	ck_assert_uint_eq(kiosk_request_serial(k), 0);
	ck_assert_str_eq(kiosk_card(k), "");
}
END_TEST

START_TEST(test_error_sold_out)
{
	to_confirm();
	tap("confirm");
	kiosk_request rq = send_ok(KR_ISSUE);
	reply(&rq,
	      "\"ok\":false,\"error\":{\"code\":\"sold_out\",\"message\":\"x\",\"alternatives\":"
	      "[{\"attraction\":\"flume\",\"start\":1798799100,\"end\":1798801800},"
	      "{\"attraction\":\"elsewhere\",\"start\":1798799100,\"end\":1798801800}]}");
	expect_screen(KS_ERROR);
	ck_assert_str_eq(kiosk_error_code(k), "sold_out");
	ck_assert(vq_view_has_text(view(), "Sold out for today"));
	ck_assert(vq_view_has_text(view(), "Try instead:"));
	ck_assert(vq_view_has_text(view(), "flume-en   10:25–11:10"));
	ck_assert_ptr_null(vq_view_find(view(), "alt-elsewhere")); /* not served here */
	/* an alternative is a tap away, for the same party */
	tap("alt-flume");
	rq = send_ok(KR_QUOTE);
	ck_assert_ptr_nonnull(strstr(rq.body, "\"party\":2"));
	ck_assert_str_eq(kiosk_attraction(k), "flume");
	reply(&rq, "%s", QUOTES);
	expect_screen(KS_CONFIRM);
	ck_assert(vq_view_has_text(view(), "Gold: return 10:25–11:10"));
}
END_TEST

START_TEST(test_error_quote_sold_out)
{
	to_party("gold");
	tap("party-2");
	kiosk_request rq = send_ok(KR_QUOTE);
	reply(&rq, "\"ok\":true,\"tier\":\"gold\",\"quotes\":[{\"attraction\":\"coaster\","
	           "\"ok\":false,\"error\":\"sold_out\"},{\"attraction\":\"flume\",\"ok\":true,"
	           "\"start\":1798799100,\"end\":1798801800}]");
	expect_screen(KS_ERROR);
	ck_assert_str_eq(kiosk_error_code(k), "sold_out");
	ck_assert_ptr_nonnull(vq_view_find(view(), "alt-flume"));
	/* Back: the same guest picks another attraction */
	tap("back");
	expect_screen(KS_WELCOME);
	ck_assert_str_eq(kiosk_card(k), CARD);
}
END_TEST

START_TEST(test_error_limit)
{
	to_confirm();
	tap("confirm");
	kiosk_request rq = send_ok(KR_ISSUE);
	reply(&rq,
	      "\"ok\":false,\"error\":{\"code\":\"limit_reached\",\"held\":[{\"id\":3,"
	      "\"number\":\"L-003\",\"attraction\":\"flume\",\"tier\":\"gold\",\"party\":1,"
	      "\"start\":1798799100,\"end\":1798801800,\"state\":\"issued\",\"code\":\"A\"}]}");
	expect_screen(KS_ERROR);
	ck_assert(vq_view_has_text(view(), "You already hold the most passes allowed (3)"));
	ck_assert(vq_view_has_text(view(), "L-003   flume-en   10:25–11:10"));
	ck_assert_int_eq(kiosk_held_count(k), 1);
	/* identify already tells: a guest at the limit is told before choosing a party */
	tap("start-over");
	tap("attr-coaster");
	text_in(VQ_IN_SCAN, CARD);
	rq = send_ok(KR_IDENTIFY);
	reply(&rq, "\"ok\":true,\"tier\":\"standard\",\"member\":false,\"max_passes\":1,\"held\":"
	           "[{\"id\":3,\"number\":\"L-003\",\"attraction\":\"flume\",\"start\":1798799100,"
	           "\"end\":1798801800,\"state\":\"anytime\",\"valid_from\":1798799100,"
	           "\"valid_until\":1798830000}]");
	expect_screen(KS_ERROR);
	ck_assert_str_eq(kiosk_error_code(k), "limit_reached");
	ck_assert(vq_view_has_text(view(), "Any-time pass"));
}
END_TEST

START_TEST(test_give_back)
{
	/* A guest identified from the welcome screen sees what they hold, each with a way
	 * to give it back. */
	text_in(VQ_IN_SCAN, CARD);
	kiosk_request rq = send_ok(KR_IDENTIFY);
	reply(&rq, "\"ok\":true,\"tier\":\"gold\",\"member\":true,\"max_passes\":2,\"held\":["
	           "{\"id\":3,\"number\":\"L-003\",\"attraction\":\"flume\",\"start\":1798799100,"
	           "\"end\":1798801800,\"code\":\"A\"},{\"id\":4,\"number\":\"C-004\","
	           "\"attraction\":\"coaster\",\"start\":1798798500,\"end\":1798802100,"
	           "\"code\":\"B\"}]");
	expect_screen(KS_WELCOME);
	ck_assert_int_eq(kiosk_held_count(k), 2);
	ck_assert(vq_view_has_text(view(), "Your passes"));
	ck_assert(vq_view_has_text(view(), "L-003   flume-en   10:25–11:10"));
	ck_assert_ptr_nonnull(vq_view_find(view(), "give-back-0"));

	/* "Keep it" asks nothing of vqd */
	tap("give-back-1");
	ck_assert_uint_eq(kiosk_give_back_pending(k), 4);
	ck_assert(vq_view_has_text(view(), "Give back pass C-004? You can then take another one."));
	tap("give-back-no");
	ck_assert_uint_eq(kiosk_give_back_pending(k), 0);
	ck_assert(!kiosk_outgoing(k, &(kiosk_request){0}));

	tap("give-back-1");
	tap("give-back-yes");
	kiosk_request first = send_ok(KR_CANCEL);
	ck_assert_str_eq(first.suffix, "svc/cancel");
	char want[256];
	snprintf(want, sizeof want, "{\"card\":\"%s\",\"ticket\":4,\"v\":1,\"rid\":\"%s\"}", CARD,
	         first.rid);
	ck_assert_str_eq(first.body, want);
	/* unanswered: asked again with the same rid, so a repeat cancels nothing twice */
	later(4000);
	kiosk_request again;
	ck_assert(kiosk_outgoing(k, &again));
	ck_assert_str_eq(again.rid, first.rid);
	ck_assert_str_eq(again.body, first.body);
	ck_assert_int_eq(again.attempt, 2);
	kiosk_sent(k, VQ_OK, now);
	reply(&first, "\"ok\":true,\"ticket\":{\"id\":4,\"number\":\"C-004\",\"attraction\":"
	              "\"coaster\",\"state\":\"cancelled\"}");
	expect_screen(KS_WELCOME);
	ck_assert_int_eq(kiosk_held_count(k), 1);
	ck_assert(vq_view_has_text(view(), "Pass given back"));
	ck_assert(!vq_view_find(view(), "give-back-1"));
	ck_assert(traced("given back id=4 held=1"));

	/* refused: said plainly, and the pass stays */
	tap("give-back-0");
	tap("give-back-yes");
	rq = send_ok(KR_CANCEL);
	ck_assert_ptr_nonnull(strstr(rq.body, "\"ticket\":3"));
	ck_assert_str_ne(rq.rid, first.rid);
	reply(&rq, "\"ok\":false,\"error\":{\"code\":\"bad_state\"}");
	expect_screen(KS_ERROR);
	ck_assert_str_eq(kiosk_error_code(k), "bad_state");
	ck_assert(vq_view_has_text(
	    view(), "This pass cannot be given back: it was already used or given back."));
	ck_assert_int_eq(kiosk_held_count(k), 1);
}
END_TEST

START_TEST(test_give_back_at_limit)
{
	/* At the limit, the passes in limit_reached's "held" can be given back, and then
	 * the guest is free to choose again. */
	to_confirm();
	tap("confirm");
	kiosk_request rq = send_ok(KR_ISSUE);
	reply(&rq,
	      "\"ok\":false,\"error\":{\"code\":\"limit_reached\",\"held\":[{\"id\":3,"
	      "\"number\":\"L-003\",\"attraction\":\"flume\",\"tier\":\"gold\",\"party\":1,"
	      "\"start\":1798799100,\"end\":1798801800,\"state\":\"issued\",\"code\":\"A\"}]}");
	expect_screen(KS_ERROR);
	tap("give-back-0");
	tap("give-back-yes");
	rq = send_ok(KR_CANCEL);
	ck_assert_ptr_nonnull(strstr(rq.body, "\"ticket\":3"));
	reply(&rq, "\"ok\":false,\"error\":{\"code\":\"unknown_ticket\"}");
	expect_screen(KS_ERROR);
	ck_assert_str_eq(kiosk_error_code(k), "unknown_ticket");
	ck_assert(vq_view_has_text(
	    view(), "This pass cannot be given back: it was already used or given back."));
	tap("back");
	expect_screen(KS_WELCOME);
	tap("give-back-0");
	tap("give-back-yes");
	rq = send_ok(KR_CANCEL);
	reply(&rq, "\"ok\":true,\"ticket\":{\"id\":3,\"state\":\"cancelled\"}");
	expect_screen(KS_WELCOME);
	ck_assert_int_eq(kiosk_held_count(k), 0);
	ck_assert(vq_view_has_text(view(), "Pass given back"));
	tap("attr-coaster");
	expect_screen(KS_PARTY);
}
END_TEST

START_TEST(test_error_party_size)
{
	to_confirm();
	tap("back");
	expect_screen(KS_PARTY);
	tap("party-8");
	kiosk_request rq = send_ok(KR_QUOTE);
	reply(&rq, "%s", QUOTES); /* the quote said yes; then it changed */
	tap("confirm");
	rq = send_ok(KR_ISSUE);
	reply(&rq, "\"ok\":false,\"error\":{\"code\":\"party_size\",\"max_party\":4}");
	expect_screen(KS_ERROR);
	ck_assert(vq_view_has_text(view(), "Party too large (max 4)"));
	tap("choose-again");
	expect_screen(KS_PARTY);
	ck_assert(!vq_view_find(view(), "party-4")->disabled);
	ck_assert(vq_view_find(view(), "party-5")->disabled);
	text_in(VQ_IN_TEXT, "6"); /* typed: also refused */
	ck_assert(!kiosk_outgoing(k, &(kiosk_request){0}));
	text_in(VQ_IN_TEXT, "3");
	rq = send_ok(KR_QUOTE);
	/* the quote's own refusal has no maximum: what is known is said */
	reply(&rq, "\"ok\":true,\"tier\":\"gold\",\"quotes\":[{\"attraction\":\"coaster\","
	           "\"ok\":false,\"error\":\"party_size\"}]");
	ck_assert(vq_view_has_text(view(), "(max 4)"));
}
END_TEST

START_TEST(test_error_codes)
{
	static const struct {
		const char *code, *text, *button;
	} cases[] = {
	    {"closed", "This attraction is closed", NULL},
	    {"not_operating", "Not operating now", NULL},
	    {"unknown_attraction", "Something went wrong", NULL},
	    {"bad_request", "Something went wrong", NULL},
	    {"unknown_card", "This card is not recognised", "try-again"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		tap("attr-coaster");
		text_in(VQ_IN_SCAN, CARD);
		kiosk_request rq = send_ok(KR_IDENTIFY);
		reply(&rq, "\"ok\":true,\"tier\":\"gold\",\"member\":true,\"max_passes\":3,"
		           "\"held\":[]");
		tap("party-1");
		rq = send_ok(KR_QUOTE);
		reply(&rq, "%s", QUOTES);
		tap("confirm");
		rq = send_ok(KR_ISSUE);
		reply(&rq, "\"ok\":false,\"error\":{\"code\":\"%s\",\"message\":\"m\"}",
		      cases[i].code);
		if (kiosk_screen(k) != KS_ERROR || strcmp(kiosk_error_code(k), cases[i].code) != 0)
			ck_abort_msg("%s: on %s with %s", cases[i].code,
			             kiosk_screen_name(kiosk_screen(k)), kiosk_error_code(k));
		if (!vq_view_has_text(view(), cases[i].text))
			ck_abort_msg("%s: no '%s' on screen", cases[i].code, cases[i].text);
		if (cases[i].button && !vq_view_find(view(), cases[i].button))
			ck_abort_msg("%s: no %s button", cases[i].code, cases[i].button);
		if (!vq_view_find(view(), "start-over"))
			ck_abort_msg("%s: no way out", cases[i].code);
		tap("start-over");
		expect_screen(KS_WELCOME);
	}
	/* unknown_card from identify: try again with another number */
	tap("attr-coaster");
	text_in(VQ_IN_SCAN, "nobody");
	kiosk_request rq = send_ok(KR_IDENTIFY);
	reply(&rq, "\"ok\":false,\"error\":{\"code\":\"unknown_card\",\"message\":\"m\"}");
	expect_screen(KS_ERROR);
	ck_assert_str_eq(kiosk_card(k), "");
	tap("try-again");
	expect_screen(KS_IDENTIFY);

	/* storage: nothing was recorded; asked again with the same rid, after a pause */
	text_in(VQ_IN_SCAN, CARD);
	rq = send_ok(KR_IDENTIFY);
	reply(&rq, "\"ok\":false,\"error\":{\"code\":\"storage\",\"message\":\"m\"}");
	ck_assert(!kiosk_outgoing(k, &(kiosk_request){0}));
	later(3000);
	kiosk_request again;
	ck_assert(kiosk_outgoing(k, &again));
	ck_assert_str_eq(again.rid, rq.rid);

	/* over the rate limit: refused unread (no rid), asked again with the same rid, not
	 * before vqd's retry_after_ms */
	kiosk_sent(k, VQ_OK, now);
	static const char limited[] =
	    "{\"v\":1,\"rid\":null,\"ok\":false,\"error\":{\"code\":\"rate_limited\","
	    "\"message\":\"m\",\"retry_after_ms\":8000}}";
	kiosk_reply(k, limited, sizeof limited - 1, now);
	expect_screen(KS_IDENTIFY);
	later(5000);
	ck_assert(!kiosk_outgoing(k, &(kiosk_request){0}));
	later(3000);
	ck_assert(kiosk_outgoing(k, &again));
	ck_assert_str_eq(again.rid, rq.rid);

	/* garbage and a reply that is not JSON are not answers */
	kiosk_sent(k, VQ_OK, now);
	kiosk_reply(k, "not json", 8, now);
	ck_assert(kiosk_busy(k));
}
END_TEST

START_TEST(test_language_switch)
{
	ck_assert_str_eq(kiosk_lang(k), "en");
	tap("lang-ru");
	ck_assert_str_eq(kiosk_lang(k), "ru");
	ck_assert(traced("lang ru"));
	ck_assert(vq_view_has_text(view(), "Добро пожаловать!"));
	ck_assert(vq_view_has_text(view(), "coaster-ru")); /* the site's own names */
	ck_assert(vq_view_has_text(view(), "flume-ru"));
	tap("lang-ro");
	ck_assert(vq_view_has_text(view(), "Bun venit!"));
	ck_assert(vq_view_has_text(view(), "coaster-en")); /* no Romanian name: the first */
	/* mid-session too, without losing the guest */
	to_party("gold");
	ck_assert(vq_view_has_text(view(), "Nivel: Aur")); /* tiers too */
	tap("lang-ru");
	expect_screen(KS_PARTY);
	ck_assert(vq_view_has_text(view(), "Сколько человек?"));
	ck_assert(vq_view_has_text(view(), "Уровень: Золото"));
	ck_assert_str_eq(kiosk_card(k), CARD);
	/* Start over keeps the language the visitor chose; Done does not */
	tap("start-over");
	ck_assert_str_eq(kiosk_lang(k), "ru");
}
END_TEST

/* The confirm screen compares honestly: the next tier up, quoted by vqd for this same
 * party and attraction, and only when that is better. */
START_TEST(test_compare_next_tier)
{
	to_party("standard");
	tap("party-3");
	kiosk_request rq = send_ok(KR_QUOTE);
	reply(&rq, "\"ok\":true,\"tier\":\"standard\",\"quotes\":[{\"attraction\":\"coaster\","
	           "\"ok\":true,\"start\":1798801200,\"end\":1798804800}]");
	expect_screen(KS_PARTY); /* still asking */
	rq = send_ok(KR_COMPARE);
	ck_assert_str_eq(rq.suffix, "svc/quote");
	ck_assert_ptr_nonnull(strstr(rq.body, "\"tier\":\"gold\""));
	ck_assert_ptr_nonnull(strstr(rq.body, "\"party\":3"));
	ck_assert_ptr_nonnull(strstr(rq.body, "\"attraction\":\"coaster\""));
	ck_assert_ptr_nonnull(strstr(rq.body, "\"card\":\"" CARD "\""));
	reply(&rq, "\"ok\":true,\"tier\":\"gold\",\"quotes\":[{\"attraction\":\"coaster\","
	           "\"ok\":true,\"start\":1798798500,\"end\":1798802100}]");
	expect_screen(KS_CONFIRM);
	ck_assert(vq_view_has_text(view(), "Standard: return 11:00–12:00"));
	ck_assert_str_eq(vq_el_text(view(), vq_view_role(view(), "compare", 0)),
	                 "With Gold, the same party would return 10:15–11:15");
	ck_assert(traced("compare=gold"));
	/* the same time, or a refusal: nothing to compare */
	tap("back");
	tap("party-3");
	rq = send_ok(KR_QUOTE);
	reply(&rq, "\"ok\":true,\"tier\":\"standard\",\"quotes\":[{\"attraction\":\"coaster\","
	           "\"ok\":true,\"start\":1798801200,\"end\":1798804800}]");
	rq = send_ok(KR_COMPARE);
	reply(&rq, "\"ok\":true,\"tier\":\"gold\",\"quotes\":[{\"attraction\":\"coaster\","
	           "\"ok\":true,\"start\":1798801200,\"end\":1798804800}]");
	expect_screen(KS_CONFIRM);
	ck_assert_ptr_null(vq_view_role(view(), "compare", 0));
	tap("back");
	tap("party-3");
	rq = send_ok(KR_QUOTE);
	reply(&rq, "\"ok\":true,\"tier\":\"standard\",\"quotes\":[{\"attraction\":\"coaster\","
	           "\"ok\":true,\"start\":1798801200,\"end\":1798804800}]");
	rq = send_ok(KR_COMPARE);
	reply(&rq, "\"ok\":false,\"error\":{\"code\":\"unknown_tier\"}");
	expect_screen(KS_CONFIRM);
	ck_assert_ptr_null(vq_view_role(view(), "compare", 0));
	/* the top tier has nothing above it: no second question */
	tap("start-over");
	to_confirm();
	ck_assert(!kiosk_outgoing(k, &rq));
	ck_assert_ptr_null(vq_view_role(view(), "compare", 0));
}
END_TEST

/* The on-screen keyboard types what cards are made of: "demo-gold-1". */
START_TEST(test_keyboard_letters)
{
	tap("attr-coaster");
	const char *keys[] = {"key-d", "key-e", "key-m", "key-o",    "key-dash", "key-g",
	                      "key-o", "key-l", "key-d", "key-dash", "key-1"};
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		tap(keys[i]);
	ck_assert(vq_view_has_text(view(), "demo-gold-1"));
	/* ten digits, twenty-six letters and the dash, all of one kind (one label size) */
	int nkeys = 0;
	for (const vq_el *e = vq_view_role(view(), "key", 0); e;
	     e = vq_view_role(view(), "key", (int)(e - view()->el) + 1))
		nkeys++;
	ck_assert_int_eq(nkeys, 37);
	tap("key-del");
	tap("key-2");
	tap("key-ok");
	kiosk_request rq = send_ok(KR_IDENTIFY);
	ck_assert_ptr_nonnull(strstr(rq.body, "\"card\":\"demo-gold-2\""));
}
END_TEST

/* Every button of every screen is a fingertip or more, inside the frame, and no view
 * ran out of room. */
static void check_view(const char *what)
{
	const vq_view *v = view();
	if (v->overflow)
		ck_abort_msg("%s: the view overflowed", what);
	for (int i = 0; i < v->n; i++) {
		const vq_el *e = &v->el[i];
		if (e->r.x < 0 || e->r.y < 0 || e->r.x + e->r.w > W || e->r.y + e->r.h > H)
			ck_abort_msg("%s: element %d (%s) %d,%d %dx%d is off the frame", what, i,
			             e->id, e->r.x, e->r.y, e->r.w, e->r.h);
		if (e->kind == VQ_EL_BUTTON && (e->r.w < TARGET || e->r.h < TARGET))
			ck_abort_msg("%s: button %s is %dx%d, under %d px", what, e->id, e->r.w,
			             e->r.h, TARGET);
	}
}

START_TEST(test_targets)
{
	check_view("welcome");
	tap("attr-coaster");
	check_view("identify");
	text_in(VQ_IN_SCAN, CARD);
	check_view("identify busy");
	kiosk_request rq = send_ok(KR_IDENTIFY);
	reply(&rq, "\"ok\":true,\"tier\":\"gold\",\"member\":true,\"max_passes\":3,\"held\":[]");
	check_view("party");
	tap("party-2");
	rq = send_ok(KR_QUOTE);
	reply(&rq, "%s", QUOTES);
	check_view("confirm");
	tap("lang-ru");
	check_view("confirm ru");
	tap("lang-en");
	later(36000);
	check_view("confirm with the idle warning");
	tap("confirm");
	rq = send_ok(KR_ISSUE);
	reply(&rq,
	      "\"ok\":false,\"error\":{\"code\":\"sold_out\",\"alternatives\":[{\"attraction\":"
	      "\"flume\",\"start\":1798799100,\"end\":1798801800}]}");
	check_view("sold out");
	tap("alt-flume");
	rq = send_ok(KR_QUOTE);
	reply(&rq, "%s", QUOTES);
	tap("confirm");
	rq = send_ok(KR_ISSUE);
	reply(&rq, "%s", TICKET);
	check_view("ticket");
	vq_view *p = malloc(sizeof *p);
	ck_assert_int_eq(kiosk_print_view(k, 576, 768, p), VQ_OK);
	ck_assert(!p->overflow);
	free(p);
	tap("done");
	text_in(VQ_IN_SCAN, CARD);
	check_view("welcome busy");
	rq = send_ok(KR_IDENTIFY);
	reply(&rq, "\"ok\":true,\"tier\":\"gold\",\"member\":true,\"max_passes\":1,\"held\":"
	           "[{\"id\":5,\"number\":\"C-005\",\"attraction\":\"coaster\",\"start\":"
	           "1798798500,\"end\":1798802100,\"state\":\"issued\"}]");
	check_view("welcome with a guest");
	tap("attr-flume");
	expect_screen(KS_ERROR);
	check_view("limit reached");
	tap("start-over");
	tap("attr-coaster");
	text_in(VQ_IN_SCAN, "bad card");
	ck_assert(vq_view_has_text(view(), "not recognised"));
	check_view("identify with a notice");
	tap("back");
	kiosk_link(k, 0, now);
	check_view("standby");
	kiosk_link(k, 1, now);
	tap("attr-coaster");
	kiosk_link(k, 0, now);
	tap("key-1");
	tap("key-ok");
	expect_screen(KS_OFFLINE);
	check_view("offline");

	/* a bigger screen in mm means bigger targets in pixels */
	kiosk_free(k);
	kiosk_cfg cfg = {.i18n = i18n,
	                 .site = ss,
	                 .width = 800,
	                 .height = 480,
	                 .target_px = 90,
	                 .rid_prefix = "k"};
	ck_assert_int_eq(kiosk_new(&cfg, now, &k), VQ_OK);
	kiosk_link(k, 1, now);
	const vq_view *v = view();
	for (int i = 0; i < v->n; i++)
		if (v->el[i].kind == VQ_EL_BUTTON && (v->el[i].r.w < 90 || v->el[i].r.h < 90))
			ck_abort_msg("small screen: %s is %dx%d", v->el[i].id, v->el[i].r.w,
			             v->el[i].r.h);
}
END_TEST

/* Every screen and state, in every language, at every supported size, passes the layout
 * rule and the contrast rule (ui/view.h, vq_view_check): no text clipped, no word broken,
 * nothing off the frame, every text at least 4.5:1 (WCAG AA) against what lies under it;
 * and draws without error. VQ_KIOSK_SHOTS=DIR keeps a PNG of each for a look. */
static vq_ui *fit_ui;
static int fit_w, fit_h;

static void check_screen(const vq_view *v, const char *what)
{
	vq_flaw flaws[8];
	int n = vq_view_check(fit_ui, v, 4.5, flaws, 8);
	if (n < 0)
		ck_abort_msg("%s: check failed: %s", what, vq_strerror(-n));
	if (n > 0) {
		char line[512];
		vq_flaw_describe(v, &flaws[0], 4.5, line, sizeof line);
		ck_abort_msg("%dx%d %s (%s): %d flaws; first: %s", fit_w, fit_h, what,
		             kiosk_lang(k), n, line);
	}
}

static void check_fits(const char *what)
{
	const vq_view *v = view();
	check_screen(v, what);
	vq_ui_clear(fit_ui, VQ_COL_BLACK);
	vq_view_stats st;
	if (vq_view_draw(fit_ui, v, 0, 0, &st) != VQ_OK || st.clipped || st.midword)
		ck_abort_msg("%s: drawing: %s (%d clipped)", what, vq_ui_error(fit_ui), st.clipped);
	vq_ui_present(fit_ui);
	const char *dir = getenv("VQ_KIOSK_SHOTS");
	if (dir) {
		char path[1024];
		snprintf(path, sizeof path, "%s/%dx%d-%s-%s.png", dir, fit_w, fit_h, kiosk_lang(k),
		         what);
		vq_ui_screenshot(fit_ui, path);
	}
}

/* A kiosk of w x h for the check, online and on the welcome screen. */
static void kiosk_sized(int w, int h)
{
	kiosk_free(k);
	kiosk_cfg cfg = {.i18n = i18n,
	                 .site = ss,
	                 .width = w,
	                 .height = h,
	                 .target_px = TARGET,
	                 .rid_prefix = "kiosk-1-fit",
	                 .trace = capture};
	ck_assert_int_eq(kiosk_new(&cfg, now, &k), VQ_OK);
	kiosk_link(k, 1, now);
}

static void every_state(const char *lang)
{
	char id[16];
	snprintf(id, sizeof id, "lang-%s", lang);
	tap(id);
	check_fits("welcome");
	tap("attr-coaster");
	tap("key-4");
	tap("key-d");
	tap("key-dash");
	check_fits("identify");
	text_in(VQ_IN_SCAN, "bad card");
	check_fits("identify-notice");
	text_in(VQ_IN_SCAN, CARD);
	check_fits("identify-busy");
	kiosk_request rq = send_ok(KR_IDENTIFY);
	reply(&rq, "\"ok\":true,\"tier\":\"gold\",\"member\":true,\"max_passes\":3,"
	           "\"held\":[{\"id\":3,\"number\":\"L-003\",\"attraction\":\"flume\","
	           "\"start\":1798799100,\"end\":1798801800,\"state\":\"issued\"}]");
	check_fits("party");
	tap("party-2");
	rq = send_ok(KR_QUOTE);
	reply(&rq, "%s", QUOTES);
	check_fits("confirm");
	later(36000);
	check_fits("idle-warning");
	tap("confirm");
	rq = send_ok(KR_ISSUE);
	later(4000);
	ck_assert(kiosk_outgoing(k, &rq));
	kiosk_sent(k, VQ_OK, now);
	check_fits("retrying");
	later(4000);
	check_fits("offline");
	later(3000);
	ck_assert(kiosk_outgoing(k, &rq));
	kiosk_sent(k, VQ_OK, now);
	reply(&rq, "\"ok\":false,\"error\":{\"code\":\"sold_out\",\"alternatives\":["
	           "{\"attraction\":\"flume\",\"start\":1798799100,\"end\":1798801800}]}");
	check_fits("sold-out");
	tap("alt-flume");
	rq = send_ok(KR_QUOTE);
	reply(&rq, "%s", QUOTES);
	tap("confirm");
	rq = send_ok(KR_ISSUE);
	reply(&rq, "\"ok\":false,\"error\":{\"code\":\"party_size\",\"max_party\":1}");
	check_fits("party-size");
	tap("choose-again");
	check_fits("party-max-1");
	tap("party-1");
	rq = send_ok(KR_QUOTE);
	reply(&rq, "%s", QUOTES);
	tap("confirm");
	rq = send_ok(KR_ISSUE);
	reply(&rq, "\"ok\":false,\"error\":{\"code\":\"limit_reached\",\"held\":[{\"id\":3,"
	           "\"number\":\"L-003\",\"attraction\":\"flume\",\"start\":1798799100,"
	           "\"end\":1798801800,\"state\":\"issued\"},{\"id\":4,\"number\":\"C-004\","
	           "\"attraction\":\"coaster\",\"start\":1798799100,\"end\":1798801800,"
	           "\"state\":\"anytime\",\"valid_from\":1798799100,\"valid_until\":"
	           "1798830000}]}");
	check_fits("limit");
	tap("give-back-1");
	check_fits("give-back");
	tap("give-back-no");
	tap("start-over");
	text_in(VQ_IN_SCAN, CARD);
	rq = send_ok(KR_IDENTIFY);
	reply(&rq, "\"ok\":true,\"tier\":\"standard\",\"member\":false,\"max_passes\":2,"
	           "\"held\":[{\"id\":3,\"number\":\"L-003\",\"attraction\":\"flume\","
	           "\"start\":1798799100,\"end\":1798801800,\"state\":\"issued\"}]");
	check_fits("welcome-guest");
	tap("attr-flume");
	tap("party-1");
	rq = send_ok(KR_QUOTE);
	reply(&rq, "\"ok\":true,\"tier\":\"standard\",\"quotes\":[{\"attraction\":\"flume\","
	           "\"ok\":true,\"start\":1798801200,\"end\":1798803900}]");
	rq = send_ok(KR_COMPARE);
	reply(&rq, "\"ok\":true,\"tier\":\"gold\",\"quotes\":[{\"attraction\":\"flume\","
	           "\"ok\":true,\"start\":1798799100,\"end\":1798801800}]");
	check_fits("confirm-compare");
	tap("confirm");
	rq = send_ok(KR_ISSUE);
	reply(&rq, "%s", TICKET);
	check_fits("ticket");
	vq_view *p = malloc(sizeof *p);
	ck_assert_int_eq(kiosk_print_view(k, 576, 768, p), VQ_OK);
	check_screen(p, "print");
	free(p);
	tap("done");
	tap(id);
	tap("attr-coaster");
	text_in(VQ_IN_SCAN, "nobody");
	rq = send_ok(KR_IDENTIFY);
	reply(&rq, "\"ok\":false,\"error\":{\"code\":\"unknown_card\"}");
	check_fits("unknown-card");
	tap("start-over");
	kiosk_link(k, 0, now);
	check_fits("standby");
	kiosk_link(k, 1, now);
}

START_TEST(test_render_fits)
{
	static const int sizes[][2] = {{1280, 800}, {1024, 768}, {1920, 1080}};
	static const char *const langs[] = {"en", "ru", "ro"};
	for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
		char err[256] = "";
		fit_w = sizes[s][0];
		fit_h = sizes[s][1];
		vq_ui_opts o = {.width = fit_w, .height = fit_h};
		ck_assert_msg(vq_ui_new(&o, &fit_ui, err, sizeof err) == VQ_OK, "vq_ui_new: %s",
		              err);
		for (int l = 0; l < 3; l++) {
			kiosk_sized(fit_w, fit_h);
			every_state(langs[l]);
		}
		vq_ui_free(fit_ui);
		fit_ui = NULL;
	}
}
END_TEST

START_TEST(test_staff_combo)
{
	key('q', KMOD_LCTRL);
	ck_assert(!kiosk_quit(k));
	key('q', KMOD_LCTRL | KMOD_LALT);
	ck_assert(!kiosk_quit(k));
	key(SDLK_ESCAPE, 0);
	key(SDLK_F4, KMOD_LALT);
	ck_assert(!kiosk_quit(k));
	key('q', KMOD_RCTRL | KMOD_LALT | KMOD_RSHIFT);
	ck_assert(kiosk_quit(k));
	ck_assert(traced("quit staff"));

	int32_t kc;
	uint16_t mods;
	ck_assert_int_eq(kiosk_combo_parse("ctrl+alt+shift+q", &kc, &mods), VQ_OK);
	ck_assert_int_eq(kc, 'q');
	ck_assert_uint_eq(mods, KMOD_CTRL | KMOD_ALT | KMOD_SHIFT);
	ck_assert_int_eq(kiosk_combo_parse("gui+F12", &kc, &mods), VQ_OK);
	ck_assert_int_eq(kc, SDLK_F12);
	ck_assert_int_eq(kiosk_combo_parse("ctrl+", &kc, &mods), VQ_EINVAL);
	ck_assert_int_eq(kiosk_combo_parse("ctrl+nosuchkey", &kc, &mods), VQ_EINVAL);
	ck_assert_int_eq(kiosk_combo_parse("q+ctrl", &kc, &mods), VQ_EINVAL);
}
END_TEST

START_TEST(test_rids_unique)
{
	/* every new request a new rid; the prefix is the kiosk run's */
	char seen[8][KIOSK_RID_MAX];
	for (int i = 0; i < 8; i++) {
		text_in(VQ_IN_SCAN, CARD);
		kiosk_request rq = send_ok(KR_IDENTIFY);
		if (strncmp(rq.rid, "kiosk-1-test-", 13) != 0)
			ck_abort_msg("rid %s", rq.rid);
		for (int j = 0; j < i; j++)
			if (!strcmp(seen[j], rq.rid))
				ck_abort_msg("rid %s twice", rq.rid);
		snprintf(seen[i], sizeof seen[i], "%s", rq.rid);
		reply(&rq, "\"ok\":true,\"tier\":\"gold\",\"member\":true,\"max_passes\":3,"
		           "\"held\":[]");
	}
}
END_TEST

/* --- the program, against a real site --------------------------------------------- */

static vqs_site *site;

#define CHECK(cond, ...) VQS_CHECK(site, cond, __VA_ARGS__)

static void suite_setup(void)
{
	tu_scratch_begin("kiosk-tests");
}

static void suite_teardown(void)
{
	tu_scratch_end();
}

static void it_setup(void)
{
	site = NULL;
}

static void it_teardown(void)
{
	vqs_free(site);
	site = NULL;
}

static void up(const char *config)
{
	vqs_opts o = {.config = config};
	int rc = vqs_start(&o, &site);
	ck_assert_msg(rc == VQ_OK, "site did not start: %s", vq_strerror(rc));
}

static void import_member(const char *card, const char *tier)
{
	vq_bus *ops = vqs_bus(site, "ops-1", NULL);
	CHECK(ops != NULL, "no ops bus");
	cJSON *r = vqs_callf(ops, "svc/ops",
	                     "{\"v\":1,\"rid\":\"imp-%lld\",\"cmd\":\"members_import\","
	                     "\"members\":[{\"card\":\"%s\",\"tier\":\"%s\"}]}",
	                     (long long)tu_mono_ms(), card, tier);
	CHECK(r && vqs_ok(r), "members_import failed");
	cJSON_Delete(r);
	vq_bus_free(ops);
}

/* A vq-kiosk child: its --trace on a pipe, its stderr the test's. */
typedef struct kproc {
	pid_t pid;
	int fd;
	char out[1 << 16];
	size_t len;
	int status;
} kproc;

static const char *path_in(const char *name)
{
	static char bufs[8][1024];
	static int next;
	char *b = bufs[next++ % 8];
	snprintf(b, sizeof bufs[0], "%s/%s", vqs_dir(site), name);
	return b;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

/* Starts program (a path under the build tree) as account user, with --trace and the
 * broker options, then extra. */
static void proc_start(kproc *kp, const char *program, const char *user, const char *const *extra)
{
	char port[32], exe[1024];
	snprintf(port, sizeof port, "127.0.0.1:%d", vqs_port(site));
	const char *bindir = getenv("VQ_BINARY_DIR");
	snprintf(exe, sizeof exe, "%s/%s", bindir ? bindir : ".", program);
	const char *argv[48] = {exe,      "--broker",      port,
	                        "--site", VQS_SITE,        "--user",
	                        user,     "--credentials", vqs_credentials(site),
	                        "--trace"};
	int n = 10;
	for (int i = 0; extra && extra[i] && n < 46; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	pid_t parent = getpid();
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
#ifdef __linux__
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
#endif
		dup2(p[1], 1);
		close(p[0]);
		close(p[1]);
		execv(exe, (char *const *)argv);
		_exit(127);
	}
	close(p[1]);
	memset(kp, 0, sizeof *kp);
	kp->pid = pid;
	kp->fd = p[0];
	kp->status = -1;
	fcntl(kp->fd, F_SETFL, O_NONBLOCK);
}

static void kp_start(kproc *kp, const char *const *extra)
{
	const char *args[48] = {"--size", "1280x800"};
	int n = 2;
	for (int i = 0; extra && extra[i] && n < 46; i++)
		args[n++] = extra[i];
	args[n] = NULL;
	proc_start(kp, "kiosk/vq-kiosk", "kiosk-1", args);
}

/* Reads what is there; waits up to ms for more. 0 at end of file. */
static int kp_read(kproc *kp, int ms)
{
	struct pollfd pf = {.fd = kp->fd, .events = POLLIN};
	if (poll(&pf, 1, ms) <= 0)
		return 1;
	ssize_t n = read(kp->fd, kp->out + kp->len, sizeof kp->out - 1 - kp->len);
	if (n > 0) {
		kp->len += (size_t)n;
		kp->out[kp->len] = '\0';
		return 1;
	}
	return n < 0 && errno == EAGAIN;
}

/* Waits until the trace holds needle; returns the line that has it. */
static const char *kp_wait(kproc *kp, const char *needle, int ms)
{
	int64_t end = tu_mono_ms() + ms;
	for (;;) {
		char *hit = strstr(kp->out, needle);
		if (hit) {
			while (hit > kp->out && hit[-1] != '\n')
				hit--;
			return hit;
		}
		if (tu_mono_ms() >= end || !kp_read(kp, 50))
			break;
	}
	CHECK(0, "vq-kiosk never said '%s'; it said:\n%s", needle, kp->out);
	return NULL;
}

/* Waits for the exit (reading the rest of the trace); SIGKILL after ms. */
static int kp_finish(kproc *kp, int ms)
{
	int64_t end = tu_mono_ms() + ms;
	while (kp_read(kp, 50) && tu_mono_ms() < end)
		;
	int st = 0;
	pid_t r;
	while ((r = waitpid(kp->pid, &st, WNOHANG)) == 0 && tu_mono_ms() < end)
		kp_read(kp, 20);
	if (r == 0) {
		kill(kp->pid, SIGKILL);
		waitpid(kp->pid, &st, 0);
		close(kp->fd);
		CHECK(0, "vq-kiosk did not finish in %d ms; it said:\n%s", ms, kp->out);
	}
	close(kp->fd);
	kp->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	return kp->status;
}

static void run_kiosk(kproc *kp, const char *const *extra, int ms)
{
	kp_start(kp, extra);
	int st = kp_finish(kp, ms);
	CHECK(st == 0, "vq-kiosk exited with %d; it said:\n%s", st, kp->out);
}

/* The value of key=... on a trace line (up to the next space). */
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

static char *zbar(const char *png)
{
	char cmd[2048];
	snprintf(cmd, sizeof cmd, "zbarimg --raw -q '%s' 2>'%s.err'", png, png);
	FILE *p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	char *out = calloc(1, 8192);
	ck_assert_ptr_nonnull(out);
	size_t n = fread(out, 1, 8191, p);
	int status = pclose(p);
	CHECK(status == 0, "zbarimg found no code in %s (status %d)", png, status);
	if (n && out[n - 1] == '\n')
		out[n - 1] = '\0';
	return out;
}

static int same_file(const char *a, const char *b)
{
	size_t la = 0, lb = 0;
	char *x = tu_read_file(a, &la), *y = tu_read_file(b, &lb);
	CHECK(x && y, "cannot read %s or %s", a, b);
	int same = la == lb && memcmp(x, y, la) == 0;
	free(x);
	free(y);
	return same;
}

/* The code in vqd's own record of its issue reply. */
static char *db_issue_code(void)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	char *code = NULL;
	CHECK(sqlite3_open_v2(vqs_db_path(site), &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK,
	      "cannot open vqd's db");
	sqlite3_busy_timeout(db, 5000);
	CHECK(sqlite3_prepare_v2(db, "SELECT reply FROM requests WHERE kind='issue'", -1, &st,
	                         NULL) == SQLITE_OK,
	      "query: %s", sqlite3_errmsg(db));
	if (sqlite3_step(st) == SQLITE_ROW) {
		cJSON *j = cJSON_ParseWithLength((const char *)sqlite3_column_blob(st, 0),
		                                 (size_t)sqlite3_column_bytes(st, 0));
		const char *c = vqs_str(j, "ticket.code");
		code = c ? strdup(c) : NULL;
		cJSON_Delete(j);
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	return code;
}

static const char FLOW[] = "tap_id attr-coaster\n"
                           "scan " CARD "\n"
                           "tap_id party-2\n"
                           "tap_id confirm\n";

/* A standard guest (max_passes 2) takes two passes, is refused a third, gives one back at
 * the kiosk and takes the third after all. */
static const char GIVE_BACK_FLOW[] = "tap_id attr-coaster\n"
                                     "scan " CARD "\n"
                                     "tap_id party-1\n"
                                     "tap_id confirm\n"
                                     "tap_id done\n"
                                     "tap_id attr-flume\n"
                                     "scan " CARD "\n"
                                     "tap_id party-1\n"
                                     "tap_id confirm\n"
                                     "tap_id done\n"
                                     "tap_id attr-coaster\n"
                                     "scan " CARD "\n"
                                     "tap_id give-back-0\n"
                                     "tap_id give-back-yes\n"
                                     "tap_id attr-coaster\n"
                                     "tap_id party-1\n"
                                     "tap_id confirm\n";

START_TEST(test_it_give_back)
{
	up(NULL);
	write_file(path_in("give.script"), GIVE_BACK_FLOW);
	kproc *kp = calloc(1, sizeof *kp);
	run_kiosk(kp, (const char *const[]){"--script", path_in("give.script"), NULL}, 30000);
	const char *limit = kp_wait(kp, "state error code=limit_reached", 0);
	const char *back = kp_wait(kp, "given back id=", 0);
	CHECK(limit < back && strstr(back, "held=1"), "give back:\n%s", kp->out);
	/* one cancel, answered ok, under the rid it was sent with */
	char rid_sent[KIOSK_RID_MAX], rid_answered[KIOSK_RID_MAX];
	field(kp_wait(kp, "request cancel rid=", 0), "rid", rid_sent, sizeof rid_sent);
	const char *answer = kp_wait(kp, "reply cancel rid=", 0);
	field(answer, "rid", rid_answered, sizeof rid_answered);
	CHECK(!strcmp(rid_sent, rid_answered), "cancel rid %s answered as %s", rid_sent,
	      rid_answered);
	CHECK(strstr(answer, " ok\n") == strchr(answer, '\n') - 3, "cancel refused: %.200s",
	      answer);
	const char *third = strstr(back, "state ticket ");
	CHECK(third != NULL, "no pass after giving one back:\n%s", kp->out);
	int64_t n = 0;
	CHECK(vqs_db_int(site, "SELECT count(*) FROM tickets", &n) == VQ_OK && n == 3,
	      "%lld tickets in the db", (long long)n);
	CHECK(vqs_db_int(site, "SELECT count(*) FROM tickets WHERE state=2", &n) == VQ_OK && n == 1,
	      "%lld tickets cancelled", (long long)n);
	free(kp);
}
END_TEST

START_TEST(test_it_ticket)
{
	up(NULL);
	import_member(CARD, "gold");
	char script[4096];
	snprintf(script, sizeof script, "%sscreenshot %s\n", FLOW, path_in("ticket.png"));
	write_file(path_in("flow.script"), script);
	kproc *kp = calloc(1, sizeof *kp);
	run_kiosk(kp,
	          (const char *const[]){"--script", path_in("flow.script"), "--spool",
	                                path_in("spool"), NULL},
	          30000);
	const char *line = kp_wait(kp, "state ticket ", 0);
	char id[32], code[VQ_CODE_MAX], tier[32], party[8];
	field(line, "id", id, sizeof id);
	field(line, "code", code, sizeof code);
	field(line, "tier", tier, sizeof tier);
	field(line, "party", party, sizeof party);
	CHECK(!strcmp(tier, "gold") && !strcmp(party, "2"), "ticket: %.200s", line);
	CHECK(strstr(kp->out, "state party attraction=coaster tier=gold member=1"),
	      "the tier did not come from vqd:\n%s", kp->out);

	/* the QR a person sees is exactly the code vqd issued and recorded */
	char *seen = zbar(path_in("ticket.png"));
	CHECK(!strcmp(seen, code), "QR says %s, trace says %s", seen, code);
	char *recorded = db_issue_code();
	CHECK(recorded && !strcmp(recorded, code), "vqd recorded %s, kiosk shows %s",
	      recorded ? recorded : "(none)", code);
	int64_t n = 0;
	CHECK(vqs_db_int(site, "SELECT count(*) FROM tickets", &n) == VQ_OK && n == 1,
	      "%lld tickets in the db", (long long)n);

	/* the printable copies, named by the ticket id */
	char png[1100], txt[1100];
	snprintf(png, sizeof png, "%s/ticket-%s.png", path_in("spool"), id);
	snprintf(txt, sizeof txt, "%s/ticket-%s.txt", path_in("spool"), id);
	char *printed = zbar(png);
	CHECK(!strcmp(printed, code), "printed QR says %s", printed);
	char *text = tu_read_file(txt, NULL);
	CHECK(text && strstr(text, code) && strstr(text, "Return between"), "ticket text:\n%s",
	      text ? text : "(none)");
	free(text);
	free(printed);

	/* the code a person carries from this kiosk, scanned at the fast lane's gate: it admits
	 * once, is refused as used the second time, and one character changed is a forgery */
	char forged[VQ_CODE_MAX];
	snprintf(forged, sizeof forged, "%s", seen);
	size_t last = strlen(forged) - 1;
	forged[last] = forged[last] == 'A' ? 'B' : 'A';
	char gscript[1024];
	snprintf(gscript, sizeof gscript, "scan %s\nwait 3000\nscan %s\nwait 3000\nscan %s\n", seen,
	         seen, forged);
	write_file(path_in("gate.script"), gscript);
	kproc *gp = calloc(1, sizeof *gp);
	proc_start(gp, "gate/vq-gate", "gate-1",
	           (const char *const[]){"--attraction", "coaster", "--script",
	                                 path_in("gate.script"), "--virtual-clock", "--journal",
	                                 path_in("gate.journal"), "--mute", NULL});
	int gst = kp_finish(gp, 30000);
	CHECK(gst == 0, "vq-gate exited with %d; it said:\n%s", gst, gp->out);
	const char *admit = strstr(gp->out, "verdict admit ");
	const char *used = strstr(gp->out, "verdict refuse reason=already_used");
	const char *fake = strstr(gp->out, "verdict refuse reason=forged");
	CHECK(admit && used && fake && admit < used && used < fake && strstr(admit, "offline=0"),
	      "the gate should admit, then refuse as used, then as forged:\n%s", gp->out);
	CHECK(vqs_db_int(site, "SELECT count(*) FROM redemptions", &n) == VQ_OK && n == 1,
	      "%lld redemptions", (long long)n);
	free(gp);
	free(recorded);
	free(seen);
	free(kp);
}
END_TEST

/* With a phone page, the ticket on screen and on paper carries a second QR: that page with
 * the code after '#'; the first QR is still the code alone, for the gate. */
START_TEST(test_it_phone_link)
{
	up(NULL);
	import_member(CARD, "gold");
	char script[4096];
	snprintf(script, sizeof script, "%sscreenshot %s\n", FLOW, path_in("ticket.png"));
	write_file(path_in("flow.script"), script);
	kproc *kp = calloc(1, sizeof *kp);
	run_kiosk(kp,
	          (const char *const[]){"--script", path_in("flow.script"), "--spool",
	                                path_in("spool"), "--phone-url",
	                                "https://park.example/phone/", NULL},
	          30000);
	const char *line = kp_wait(kp, "state ticket ", 0);
	char id[32], code[VQ_CODE_MAX], link[512];
	field(line, "id", id, sizeof id);
	field(line, "code", code, sizeof code);
	snprintf(link, sizeof link, "https://park.example/phone/#%s", code);

	char png[1100], txt[1100];
	snprintf(png, sizeof png, "%s/ticket-%s.png", path_in("spool"), id);
	snprintf(txt, sizeof txt, "%s/ticket-%s.txt", path_in("spool"), id);
	const char *const pictures[] = {path_in("ticket.png"), png};
	for (int i = 0; i < 2; i++) {
		char *seen = zbar(pictures[i]);
		int gate = 0, phone = 0;
		for (char *l = strtok(seen, "\n"); l; l = strtok(NULL, "\n")) {
			gate += !strcmp(l, code);
			phone += !strcmp(l, link);
		}
		CHECK(gate == 1 && phone == 1, "%s: want the code and %s", pictures[i], link);
		free(seen);
	}
	char *text = tu_read_file(txt, NULL);
	CHECK(text && strstr(text, link) && strstr(text, "on your phone"), "ticket text:\n%s",
	      text ? text : "(none)");
	free(text);
	free(kp);

	/* an address a phone could not open is refused at start */
	kp = calloc(1, sizeof *kp);
	kp_start(kp, (const char *const[]){"--phone-url", "park.example/phone#x", NULL});
	CHECK(kp_finish(kp, 10000) == 2, "bad --phone-url: exit %d", kp->status);
	free(kp);
}
END_TEST

/* A site whose names are in the three languages. */
static const char LANG_CONFIG[] =
    "{\"version\":1,\"id\":\"" VQS_SITE "\",\"name\":\"Test Park\",\"timezone\":\"UTC\","
    "\"languages\":[\"en\",\"ru\",\"ro\"],\"min_lead_min\":0,\"unknown_cards\":\"standard\","
    "\"tiers\":[{\"id\":\"standard\",\"names\":{\"en\":\"Standard\",\"ru\":\"Стандарт\","
    "\"ro\":\"Standard\"},\"protect_pct\":0,\"release_min\":60,\"max_passes\":2,"
    "\"horizon_min\":720,\"late_grace_min\":0},{\"id\":\"gold\",\"names\":{\"en\":\"Gold\","
    "\"ru\":\"Золото\",\"ro\":\"Aur\"},\"protect_pct\":20,\"release_min\":30,"
    "\"max_passes\":3,\"horizon_min\":720,\"late_grace_min\":10}],"
    "\"attractions\":[{\"id\":\"coaster\",\"prefix\":\"C\",\"kind\":\"ride\",\"names\":"
    "{\"en\":\"Thunder Coaster\",\"ru\":\"Громовые горки\",\"ro\":\"Montagne rusești\"},"
    "\"throughput_per_hour\":1200,\"fast_share_pct\":40,\"slot_min\":15,\"window_min\":60,"
    "\"open\":\"09:00\",\"close\":\"21:00\",\"max_party\":8},{\"id\":\"flume\",\"prefix\":"
    "\"L\",\"kind\":\"ride\",\"names\":{\"en\":\"Log Flume\",\"ru\":\"Сплав на брёвнах\","
    "\"ro\":\"Râul cu bușteni\"},\"throughput_per_hour\":900,\"fast_share_pct\":30,"
    "\"slot_min\":10,\"window_min\":45,\"open\":\"09:00\",\"close\":\"19:00\","
    "\"max_party\":6}]}";

START_TEST(test_it_languages)
{
	up(LANG_CONFIG);
	static const char *const langs[] = {"en", "ru", "ro"};
	const char *shots[3];
	for (int i = 0; i < 3; i++) {
		char name[32];
		snprintf(name, sizeof name, "welcome-%s.png", langs[i]);
		shots[i] = path_in(name);
		kproc *kp = calloc(1, sizeof *kp);
		run_kiosk(kp,
		          (const char *const[]){"--lang", langs[i], "--frames", "2", "--screenshot",
		                                shots[i], NULL},
		          30000);
		kp_wait(kp, "ready attractions=2 vqd=online", 0);
		free(kp);
	}
	CHECK(!same_file(shots[0], shots[1]), "the Russian welcome looks like the English one");
	CHECK(!same_file(shots[0], shots[2]), "the Romanian welcome looks like the English one");
	CHECK(!same_file(shots[1], shots[2]), "Russian and Romanian look the same");

	/* Every kiosk string and every name these screens show has its glyphs in both
	 * faces: nothing is drawn as boxes. */
	vq_ui *ui = NULL;
	char err[256] = "";
	vq_ui_opts o = {.width = 320, .height = 200};
	CHECK(vq_ui_new(&o, &ui, err, sizeof err) == VQ_OK, "vq_ui_new: %s", err);
	vq_i18n *t = NULL;
	CHECK(vq_i18n_load(tu_src("assets/i18n"), &t, err, sizeof err) == VQ_OK, "i18n: %s", err);
	CHECK(vq_i18n_check(t, err, sizeof err) == VQ_OK, "translations: %s", err);
	static const char *const names[] = {"Громовые горки",   "Сплав на брёвнах",
	                                    "Золото",           "Стандарт",
	                                    "Montagne rusești", "Râul cu bușteni"};
	for (int l = 1; l < 3; l++) {
		for (size_t i = 0; i < vq_i18n_key_count(t, langs[l]); i++) {
			const char *key = vq_i18n_key_at(t, langs[l], i);
			const char *s = vq_i18n_get(t, langs[l], key);
			for (int bold = 0; bold < 2; bold++) {
				int missing = -1;
				if (vq_ui_text_missing_glyphs(ui, bold, s, &missing) != VQ_OK ||
				    missing != 0)
					ck_abort_msg("%s %s: %d glyphs missing in '%s'", langs[l],
					             key, missing, s);
			}
		}
	}
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		int missing = -1;
		if (vq_ui_text_missing_glyphs(ui, 1, names[i], &missing) != VQ_OK || missing)
			ck_abort_msg("glyphs missing in '%s'", names[i]);
	}
	/* Romanian is written with comma-below ș ț, never the cedilla forms */
	for (size_t i = 0; i < vq_i18n_key_count(t, "ro"); i++) {
		const char *s = vq_i18n_get(t, "ro", vq_i18n_key_at(t, "ro", i));
		if (strstr(s, "ş") || strstr(s, "ţ") || strstr(s, "Ş") || strstr(s, "Ţ"))
			ck_abort_msg("ro %s has a cedilla: %s", vq_i18n_key_at(t, "ro", i), s);
	}
	vq_i18n_free(t);
	vq_ui_free(ui);
}
END_TEST

START_TEST(test_it_idle)
{
	up(NULL);
	char script[4096];
	snprintf(script, sizeof script,
	         "screenshot %s\n"
	         "tap_id attr-coaster\n"
	         "tap_id key-1\n"
	         "tap_id key-2\n"
	         "screenshot %s\n"
	         "wait 44000\n"
	         "screenshot %s\n"
	         "wait 2000\n"
	         "screenshot %s\n",
	         path_in("fresh.png"), path_in("typing.png"), path_in("warned.png"),
	         path_in("after.png"));
	write_file(path_in("idle.script"), script);
	kproc *kp = calloc(1, sizeof *kp);
	run_kiosk(kp,
	          (const char *const[]){"--script", path_in("idle.script"), "--virtual-clock",
	                                "--idle-seconds", "45", NULL},
	          30000);
	kp_wait(kp, "idle warning", 0);
	kp_wait(kp, "guest forgotten", 0);
	kp_wait(kp, "state welcome reason=idle", 0);
	CHECK(!same_file(path_in("fresh.png"), path_in("typing.png")), "typing showed nothing");
	CHECK(!same_file(path_in("typing.png"), path_in("warned.png")), "no idle warning shown");
	CHECK(same_file(path_in("fresh.png"), path_in("after.png")),
	      "after the idle timeout the screen is not a fresh welcome screen");
	free(kp);
}
END_TEST

START_TEST(test_it_vqd_down)
{
	up(NULL);
	import_member(CARD, "gold");
	char script[4096];
	snprintf(script, sizeof script,
	         "tap_id attr-coaster\nscan " CARD "\ntap_id party-2\n"
	         "wait 4000\ntap_id confirm\nwait 20000\n");
	write_file(path_in("down.script"), script);
	kproc *kp = calloc(1, sizeof *kp);
	kp_start(kp, (const char *const[]){"--script", path_in("down.script"), "--retry-ms", "500",
	                                   NULL});
	kp_wait(kp, "state confirm", 15000);
	/* vqd stops cleanly: its presence says offline at once */
	CHECK(vqs_vqd_stop(site, NULL) == VQ_OK, "vqd did not stop");
	kp_wait(kp, "link down", 5000);
	/* the confirm tap finds nobody to ask: the standby line, and the request waits */
	kp_wait(kp, "state offline", 10000);
	kp_wait(kp, "standby on", 1000);
	kp_wait(kp, "defer issue rid=", 1000);
	CHECK(!strstr(kp->out, "request issue"), "an issue went out while vqd was down:\n%s",
	      kp->out);
	CHECK(vqs_vqd_start(site) == VQ_OK, "vqd did not restart");
	/* back by itself: the same request goes out and the ticket comes */
	const char *line = kp_wait(kp, "state ticket ", 15000);
	kp_wait(kp, "standby off", 1000);
	char code[VQ_CODE_MAX];
	field(line, "code", code, sizeof code);
	kill(kp->pid, SIGTERM);
	int st = kp_finish(kp, 10000);
	CHECK(st == 0, "vq-kiosk exited with %d after SIGTERM:\n%s", st, kp->out);
	kp_wait(kp, "quit signal", 0);
	int64_t n = 0;
	CHECK(vqs_db_int(site, "SELECT count(*) FROM tickets", &n) == VQ_OK && n == 1,
	      "%lld tickets", (long long)n);
	free(kp);
}
END_TEST

START_TEST(test_it_no_reply)
{
	up(NULL);
	import_member(CARD, "gold");
	char script[4096];
	snprintf(script, sizeof script,
	         "tap_id attr-coaster\nscan " CARD "\ntap_id party-2\n"
	         "wait 2000\ntap_id confirm\nwait 20000\n");
	write_file(path_in("stall.script"), script);
	kproc *kp = calloc(1, sizeof *kp);
	kp_start(kp, (const char *const[]){"--script", path_in("stall.script"),
	                                   "--reply-timeout-ms", "700", "--retry-ms", "500", NULL});
	kp_wait(kp, "state confirm", 15000);
	/* vqd hangs: still connected (presence online), answering nothing */
	pid_t vqd = vqs_vqd_pid(site);
	CHECK(vqd > 0 && kill(vqd, SIGSTOP) == 0, "cannot stop vqd");
	const char *first = kp_wait(kp, "request issue rid=", 10000);
	char rid[KIOSK_RID_MAX];
	field(first, "rid", rid, sizeof rid);
	kp_wait(kp, "timeout issue", 5000);
	kp_wait(kp, "state offline", 5000);
	char again[128];
	snprintf(again, sizeof again, "request issue rid=%s attempt=3", rid);
	kp_wait(kp, again, 5000);
	CHECK(kill(vqd, SIGCONT) == 0, "cannot resume vqd");
	/* every try reaches vqd, which answers each with the first ticket */
	kp_wait(kp, "state ticket ", 15000);
	kill(kp->pid, SIGTERM);
	CHECK(kp_finish(kp, 10000) == 0, "vq-kiosk failed:\n%s", kp->out);
	/* one rid for every try, one ticket */
	const char *p = kp->out;
	int tries = 0;
	while ((p = strstr(p, "request issue rid=")) != NULL) {
		char r[KIOSK_RID_MAX];
		field(p, "rid", r, sizeof r);
		CHECK(!strcmp(r, rid), "a retry with another rid: %s vs %s", r, rid);
		tries++;
		p++;
	}
	CHECK(tries >= 3, "only %d tries", tries);
	int64_t n = 0;
	CHECK(vqs_db_int(site, "SELECT count(*) FROM tickets", &n) == VQ_OK && n == 1,
	      "%lld tickets after %d tries", (long long)n, tries);
	CHECK(vqs_db_int(site, "SELECT count(*) FROM requests WHERE kind='issue'", &n) == VQ_OK &&
	          n == 1,
	      "%lld issue requests recorded", (long long)n);
	free(kp);
}
END_TEST

START_TEST(test_it_usage)
{
	up(NULL);
	kproc *kp = calloc(1, sizeof *kp);
	kp_start(kp, (const char *const[]){"--lang", "xx", NULL});
	CHECK(kp_finish(kp, 10000) == 2, "--lang xx: exit %d", kp->status);
	kp_start(kp, (const char *const[]){"--staff-combo", "q", NULL});
	CHECK(kp_finish(kp, 10000) == 2, "--staff-combo q: exit %d", kp->status);
	kp_start(kp, (const char *const[]){"--idle-seconds", "soon", NULL});
	CHECK(kp_finish(kp, 10000) == 2, "--idle-seconds soon: exit %d", kp->status);
	free(kp);
}
END_TEST

/* Audio mode from the keypad alone, against vqd: F1, Enter on the first ride, the card
 * number in digits, Enter, the party as a digit, Enter to confirm, '*' to hear the ticket
 * again. The program says each screen (its trace's "say" lines, the same text it hands the
 * speech engine) and the engine's WAV holds that much speech. */
START_TEST(test_it_audio)
{
	up(NULL);
	import_member(CARD, "gold");
	write_file(path_in("audio.script"), "key F1\n"
	                                    "key Return\n"
	                                    "text " CARD "\n"
	                                    "key Return\n"
	                                    "text 2\n"
	                                    "key Return\n"
	                                    "text *\n"
	                                    "wait 300\n");
	kproc *kp = calloc(1, sizeof *kp);
	run_kiosk(kp,
	          (const char *const[]){"--script", path_in("audio.script"), "--voice-wav",
	                                path_in("voice.wav"), NULL},
	          30000);
	const char *line = kp_wait(kp, "state ticket ", 0);
	char number[16];
	field(line, "number", number, sizeof number);
	kp_wait(kp, "say lang=en text=Welcome!", 0);
	kp_wait(kp, "say lang=en text=Coaster", 0);
	/* the ticket, and again on '*': its number and window */
	const char *said = strstr(line, "\n");
	CHECK(said && strstr(said, number), "the ticket's number was not said:\n%s", kp->out);
	CHECK(strstr(strstr(said, number) + 1, number), "the ticket was not said again:\n%s",
	      kp->out);
	size_t len = 0;
	char *wav = tu_read_file(path_in("voice.wav"), &len);
	CHECK(wav && len > 44 && !memcmp(wav, "RIFF", 4), "no WAV from the speech engine");
	const int16_t *s16 = (const int16_t *)(wav + 44);
	size_t loud = 0;
	for (size_t i = 0; i < (len - 44) / 2; i++)
		loud += s16[i] > 2000 || s16[i] < -2000;
	CHECK(loud > 22050 / 4, "the speech is silent (%zu loud samples)", loud);
	free(wav);
	free(kp);
}
END_TEST

/* A guest who turned audio mode on and walked away: the next guest gets the kiosk as it
 * was set up, silent, not the last one's audio mode. */
START_TEST(test_it_audio_idle)
{
	up(NULL);
	write_file(path_in("idle.script"), "key F1\n"
	                                   "wait 500\n"
	                                   "key Down\n"
	                                   "wait 7000\n"
	                                   "key Down\n"
	                                   "key Down\n"
	                                   "wait 500\n");
	kproc *kp = calloc(1, sizeof *kp);
	run_kiosk(kp,
	          (const char *const[]){"--script", path_in("idle.script"), "--virtual-clock",
	                                "--idle-seconds", "5", "--voice-wav", path_in("idle.wav"),
	                                NULL},
	          30000);
	kp_wait(kp, "say lang=en", 0);
	const char *reset = kp_wait(kp, "modes reset (idle)", 0);
	/* it says it went off (to anyone still there), then the arrows are silent */
	const char *after = strstr(reset, "say ");
	CHECK(after && strstr(after, "Audio off") && !strstr(after + 4, "say "),
	      "audio mode outlived the guest who turned it on:\n%s", kp->out);
	free(kp);
}
END_TEST

static Suite *kiosk_suite(void)
{
	Suite *s = suite_create("kiosk");
	TCase *tc = tcase_create("state");
	tcase_add_checked_fixture(tc, unit_setup, unit_teardown);
	tcase_add_test(tc, test_welcome);
	tcase_add_test(tc, test_give_back);
	tcase_add_test(tc, test_give_back_at_limit);
	tcase_add_test(tc, test_served_subset);
	tcase_add_test(tc, test_unreachable_at_start);
	tcase_add_test(tc, test_full_flow);
	tcase_add_test(tc, test_local_times);
	tcase_add_test(tc, test_scan_first);
	tcase_add_test(tc, test_idle_forgets);
	tcase_add_test(tc, test_idle_language_resets);
	tcase_add_test(tc, test_retry_same_rid);
	tcase_add_test(tc, test_offline_before_asking);
	tcase_add_test(tc, test_error_sold_out);
	tcase_add_test(tc, test_error_quote_sold_out);
	tcase_add_test(tc, test_error_limit);
	tcase_add_test(tc, test_error_party_size);
	tcase_add_test(tc, test_error_codes);
	tcase_add_test(tc, test_language_switch);
	tcase_add_test(tc, test_targets);
	tcase_add_test(tc, test_staff_combo);
	tcase_add_test(tc, test_compare_next_tier);
	tcase_add_test(tc, test_keyboard_letters);
	tcase_add_test(tc, test_rids_unique);
	suite_add_tcase(s, tc);

	/* every screen in three languages at three sizes: seconds, not the default 4 */
	TCase *render = tcase_create("render");
	tcase_add_checked_fixture(render, unit_setup, unit_teardown);
	tcase_set_timeout(render, 120);
	tcase_add_test(render, test_render_fits);
	suite_add_tcase(s, render);

	TCase *it = tcase_create("program");
	tcase_add_unchecked_fixture(it, suite_setup, suite_teardown);
	tcase_add_checked_fixture(it, it_setup, it_teardown);
	tcase_set_timeout(it, 60);
	tcase_add_test(it, test_it_ticket);
	tcase_add_test(it, test_it_give_back);
	tcase_add_test(it, test_it_phone_link);
	tcase_add_test(it, test_it_audio_idle);
	tcase_add_test(it, test_it_languages);
	tcase_add_test(it, test_it_idle);
	tcase_add_test(it, test_it_vqd_down);
	tcase_add_test(it, test_it_no_reply);
	tcase_add_test(it, test_it_usage);
	tcase_add_test(it, test_it_audio);
	suite_add_tcase(s, it);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(kiosk_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
