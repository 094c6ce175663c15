/* tests/test_kiosk_voice.c — the kiosk without sight (kiosk/kiosk_voice.h): the whole
 * flow — choose, party, confirm, ticket, give back — from a keypad alone, in en, ru and
 * ro, with what each step says; every state the kiosk can show has a spoken text and every
 * choice a label; the long press; and the high-contrast, large-text views still fit and
 * keep 4.5:1 contrast on every screen (vq_view_check). The kiosk is the real state machine
 * with hand-made replies, as in test_kiosk.c. */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <SDL_keycode.h>

#include "client/sitestate.h"
#include "kiosk/kiosk_state.h"
#include "kiosk/kiosk_voice.h"
#include "support/tutil.h"
#include "ui/i18n.h"
#include "ui/input.h"
#include "ui/ui.h"
#include "ui/view.h"
#include "ui/widgets.h"

#define W      1280
#define H      800
#define TARGET 57
#define T0     INT64_C(1798797660000) /* 2027-01-01 10:01 UTC */
#define START  1798798500             /* 10:15 */
#define END    1798802100             /* 11:15 */
#define CARD   "4000123412341234"

static vq_i18n *i18n;
static vq_sitestate *ss;
static kiosk *k;
static kiosk_voice *kv;
static int64_t now;
static char said[KIOSK_VOICE_TEXT_MAX];

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
	ck_assert_msg(rc >= 0, "sitestate refused %s", suffix);
	if (k && rc == 1)
		kiosk_site_changed(k, now);
}

static void feed_attr(const char *id, const char *status)
{
	char buf[1024], suffix[64];
	snprintf(buf, sizeof buf,
	         "{\"v\":1,\"attraction\":\"%s\",\"kind\":\"ride\",\"names\":{\"en\":\"%s-en\","
	         "\"ru\":\"%s-ru\",\"ro\":\"%s-ro\"},\"status\":\"%s\",\"next\":{\"standard\":"
	         "{\"start\":%d,\"end\":%d},\"gold\":{\"start\":%d,\"end\":%d}},\"updated\":1}",
	         id, id, id, id, status, START, END, START, END);
	snprintf(suffix, sizeof suffix, "state/%s", id);
	feed(suffix, buf);
}

static void setup(void)
{
	char err[256] = "";
	ck_assert_msg(vq_i18n_load(tu_src("assets/i18n"), &i18n, err, sizeof err) == VQ_OK, "%s",
	              err);
	ck_assert_int_eq(vq_sitestate_new(&ss), VQ_OK);
	now = T0;
	k = NULL;
	feed("state/_site",
	     "{\"v\":1,\"site\":\"test\",\"name\":\"Test Park\",\"timezone\":\"UTC\","
	     "\"languages\":[\"en\",\"ru\",\"ro\"],\"tiers\":[{\"id\":\"standard\",\"names\":"
	     "{\"en\":\"Standard\",\"ru\":\"Стандарт\"}},{\"id\":\"gold\",\"names\":{\"en\":"
	     "\"Gold\",\"ru\":\"Золото\",\"ro\":\"Aur\"}}],\"attractions\":[\"coaster\","
	     "\"flume\",\"tiny\"],\"keys\":[],\"updated\":1}");
	feed_attr("coaster", "open");
	feed_attr("flume", "open");
	feed_attr("tiny", "closed");
	feed("presence/vqd", "{\"v\":1,\"id\":\"vqd\",\"role\":\"coordinator\",\"online\":true}");
	kiosk_cfg cfg = {.i18n = i18n,
	                 .site = ss,
	                 .width = W,
	                 .height = H,
	                 .target_px = TARGET,
	                 .rid_prefix = "kiosk-1-voice",
	                 .idle_ms = 45000};
	ck_assert_int_eq(kiosk_new(&cfg, now, &k), VQ_OK);
	kiosk_link(k, 1, now);
	ck_assert_int_eq(kiosk_voice_new(i18n, &kv), VQ_OK);
}

static void teardown(void)
{
	kiosk_voice_free(kv);
	kiosk_free(k);
	vq_sitestate_free(ss);
	vq_i18n_free(i18n);
}

/* One input as vq-kiosk handles it: the voice layer first, then the kiosk, then what is
 * to be said (left in `said`, "" for nothing). */
/* VQ_VOICE_SHOW=1 prints what would be said, for a person to read. */
static void show(void)
{
	if (said[0] && getenv("VQ_VOICE_SHOW"))
		fprintf(stderr, "[%s %s] %s\n", kiosk_lang(k), kiosk_screen_name(kiosk_screen(k)),
		        said);
}

static void give(const vq_input *in)
{
	vq_input fwd;
	int pass = kiosk_voice_filter(kv, kiosk_view_get(k), in, now, &fwd);
	if (pass == KV_PASS)
		kiosk_update(k, in, now);
	else if (pass == KV_TAP)
		kiosk_update(k, &fwd, now);
	if (!kiosk_voice_speech(kv, kiosk_view_get(k), kiosk_lang(k), said, sizeof said))
		said[0] = '\0';
	show();
}

static void key(int32_t code)
{
	vq_input in;
	memset(&in, 0, sizeof in);
	in.kind = VQ_IN_KEY;
	in.key = code;
	give(&in);
}

static void typed(int kind, const char *s)
{
	vq_input in;
	memset(&in, 0, sizeof in);
	in.kind = kind;
	snprintf(in.text, sizeof in.text, "%s", s);
	give(&in);
}

/* After the kiosk's own doing (a reply): what it says now. */
static void settle(void)
{
	if (!kiosk_voice_speech(kv, kiosk_view_get(k), kiosk_lang(k), said, sizeof said))
		said[0] = '\0';
	show();
}

static kiosk_request send_ok(int kind)
{
	kiosk_request rq;
	ck_assert_msg(kiosk_outgoing(k, &rq), "no request on %s",
	              kiosk_screen_name(kiosk_screen(k)));
	ck_assert_int_eq(rq.kind, kind);
	kiosk_sent(k, VQ_OK, now);
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
	settle();
}

static void expect_screen(int screen)
{
	ck_assert_msg(kiosk_screen(k) == screen, "on %s, expected %s",
	              kiosk_screen_name(kiosk_screen(k)), kiosk_screen_name(screen));
}

static void expect_said(const char *needle, const char *what)
{
	ck_assert_msg(strstr(said, needle), "%s (%s): '%s' not in \"%s\"", what, kiosk_lang(k),
	              needle, said);
}

/* The i18n text of key in the kiosk's language, up to its first placeholder. */
static const char *tr_head(const char *key)
{
	static char buf[256];
	snprintf(buf, sizeof buf, "%s", vq_i18n_get(i18n, kiosk_lang(k), key));
	char *brace = strchr(buf, '{');
	if (brace)
		*brace = '\0';
	return buf;
}

/* Moves the focus with the arrows until what is said contains needle. */
static void arrow_to(const char *needle)
{
	for (int i = 0; i < 40; i++) {
		key(SDLK_DOWN);
		if (strstr(said, needle))
			return;
	}
	ck_abort_msg("no choice saying '%s' on %s", needle, kiosk_screen_name(kiosk_screen(k)));
}

static const char QUOTES[] =
    "\"ok\":true,\"tier\":\"gold\",\"held\":0,\"max_passes\":3,\"quotes\":["
    "{\"attraction\":\"coaster\",\"ok\":true,\"start\":1798798500,\"end\":1798802100,"
    "\"seats_left\":14},{\"attraction\":\"flume\",\"ok\":true,\"start\":1798799100,"
    "\"end\":1798801800,\"seats_left\":3},{\"attraction\":\"tiny\",\"ok\":false,"
    "\"error\":\"closed\"}]";

static const char TICKET[] =
    "\"ok\":true,\"ticket\":{\"id\":5,\"number\":\"C-005\",\"attraction\":\"coaster\","
    "\"tier\":\"gold\",\"party\":2,\"start\":1798798500,\"end\":1798802100,\"state\":"
    "\"issued\",\"code\":\"VQ1:ABCDEFGH234567\"}";

static const char *const LANGS[] = {"en", "ru", "ro"};

/* Choose, party, confirm, ticket, give back: no tap, no pointing, in each language. */
START_TEST(test_keypad_flow)
{
	const char *lang = LANGS[_i];
	key(SDLK_F1);
	ck_assert(kiosk_voice_on(kv));
	expect_said(tr_head("kiosk_welcome"), "audio mode on");
	/* the language is a choice like any other, on every screen */
	if (strcmp(lang, "en") != 0) {
		arrow_to(vq_i18n_get(i18n, lang, "lang_name"));
		key(SDLK_RETURN);
		ck_assert_str_eq(kiosk_lang(k), lang);
		expect_said(tr_head("kiosk_welcome"), "the welcome screen in its language");
	}
	/* the rides are said with their times; the closed one too, as closed */
	key(SDLK_F2);
	expect_said("coaster-", "the welcome screen");
	expect_said("tiny-", "a closed ride is still said");
	expect_said(tr_head("voice_kiosk_keys"), "how to move");
	arrow_to("coaster-");
	key(SDLK_RETURN);
	expect_screen(KS_IDENTIFY);
	expect_said(tr_head("kiosk_type_number"), "identify");
	/* the card number from the keypad's digits, echoed */
	typed(VQ_IN_TEXT, "4");
	ck_assert_str_eq(said, "4");
	typed(VQ_IN_TEXT, "000123412341234");
	key(SDLK_RETURN); /* the focus starts on OK */
	kiosk_request rq = send_ok(KR_IDENTIFY);
	ck_assert_ptr_nonnull(strstr(rq.body, "\"card\":\"" CARD "\""));
	reply(&rq, "\"ok\":true,\"tier\":\"gold\",\"member\":true,\"max_passes\":3,\"held\":[]");
	expect_screen(KS_PARTY);
	expect_said(tr_head("kiosk_party_size"), "party");
	/* the party from a digit */
	typed(VQ_IN_TEXT, "2");
	rq = send_ok(KR_QUOTE);
	reply(&rq, "%s", QUOTES);
	expect_screen(KS_CONFIRM);
	expect_said("10:15", "confirm says the window");
	key(SDLK_RETURN); /* the focus starts on Confirm */
	rq = send_ok(KR_ISSUE);
	reply(&rq, "%s", TICKET);
	expect_screen(KS_TICKET);
	expect_said("C-005", "the ticket's number");
	expect_said("10:15", "the ticket's window");
	/* said again on demand, from '*' or F2 */
	said[0] = '\0';
	typed(VQ_IN_TEXT, "*");
	expect_said("C-005", "the ticket repeated");
	expect_said("11:15", "the ticket repeated");
	key(SDLK_RETURN); /* Done */
	expect_screen(KS_WELCOME);

	/* the guest comes back with their card and gives the pass back */
	typed(VQ_IN_SCAN, CARD);
	rq = send_ok(KR_IDENTIFY);
	reply(&rq, "\"ok\":true,\"tier\":\"gold\",\"member\":true,\"max_passes\":3,\"held\":["
	           "{\"id\":5,\"number\":\"C-005\",\"attraction\":\"coaster\",\"start\":1798798500,"
	           "\"end\":1798802100,\"state\":\"issued\"}]");
	expect_screen(KS_WELCOME);
	expect_said("C-005", "the pass held is said");
	arrow_to(tr_head("kiosk_give_back"));
	key(SDLK_RETURN);
	ck_assert_uint_eq(kiosk_give_back_pending(k), 5);
	expect_said("C-005", "the question names the pass");
	/* the focus starts on "keep it": the safe answer */
	expect_said(tr_head("kiosk_give_back_keep"), "keep it first");
	key(SDLK_RIGHT);
	expect_said(tr_head("kiosk_give_back_yes"), "then yes");
	key(SDLK_RETURN);
	rq = send_ok(KR_CANCEL);
	ck_assert_ptr_nonnull(strstr(rq.body, "\"ticket\":5"));
	reply(&rq, "\"ok\":true,\"ticket\":{\"id\":5,\"number\":\"C-005\",\"attraction\":"
	           "\"coaster\",\"state\":\"cancelled\"}");
	ck_assert_int_eq(kiosk_held_count(k), 0);
	expect_said(tr_head("kiosk_given_back"), "given back");
	/* Escape is Back (the known guest goes straight to the party size) */
	arrow_to("coaster-");
	key(SDLK_RETURN);
	expect_screen(KS_PARTY);
	key(SDLK_ESCAPE);
	ck_assert_int_ne(kiosk_screen(k), KS_PARTY);
	expect_said(tr_head("kiosk_welcome"), "back");
	/* and audio mode goes off again */
	key(SDLK_F1);
	ck_assert(!kiosk_voice_on(kv));
	expect_said(tr_head("voice_kiosk_off"), "off");
	key(SDLK_DOWN);
	ck_assert_str_eq(said, "");
}
END_TEST

/* Every screen has words, every choice a label, in each language. */
static void spoken(const char *what)
{
	const vq_view *v = kiosk_view_get(k);
	char text[KIOSK_VOICE_TEXT_MAX];
	kiosk_voice_screen(v, i18n, kiosk_lang(k), text, sizeof text);
	ck_assert_msg(strlen(text) > 3, "%s (%s): nothing to say", what, kiosk_lang(k));
	const vq_el *title = vq_view_role(v, "title", 0);
	if (title && !kiosk_give_back_pending(k))
		ck_assert_msg(strstr(text, vq_el_text(v, title)), "%s: no title in \"%s\"", what,
		              text);
	int items[KIOSK_VOICE_ITEMS_MAX];
	int n = kiosk_voice_items(v, items, KIOSK_VOICE_ITEMS_MAX);
	ck_assert_msg(n > 0, "%s (%s): nothing to choose", what, kiosk_lang(k));
	for (int i = 0; i < n; i++) {
		char label[256];
		kiosk_voice_label(v, items[i], label, sizeof label);
		ck_assert_msg(label[0], "%s: choice %s says nothing", what, v->el[items[i]].id);
		ck_assert(!v->el[items[i]].disabled);
	}
}

static void tap(const char *id)
{
	const vq_el *b = vq_view_find(kiosk_view_get(k), id);
	ck_assert_msg(b && !b->disabled, "no button %s", id);
	vq_input in;
	memset(&in, 0, sizeof in);
	in.kind = VQ_IN_TAP;
	in.x = b->r.x + b->r.w / 2;
	in.y = b->r.y + b->r.h / 2;
	kiosk_update(k, &in, now);
}

START_TEST(test_every_state_spoken)
{
	char id[16];
	snprintf(id, sizeof id, "lang-%s", LANGS[_i]);
	tap(id);
	spoken("welcome");
	tap("attr-coaster");
	spoken("identify");
	typed(VQ_IN_SCAN, "bad card");
	spoken("identify-notice");
	typed(VQ_IN_SCAN, CARD);
	kiosk_request rq = send_ok(KR_IDENTIFY);
	reply(&rq, "\"ok\":true,\"tier\":\"gold\",\"member\":true,\"max_passes\":3,"
	           "\"held\":[{\"id\":3,\"number\":\"L-003\",\"attraction\":\"flume\","
	           "\"start\":1798799100,\"end\":1798801800,\"state\":\"issued\"}]");
	spoken("party");
	tap("party-2");
	rq = send_ok(KR_QUOTE);
	reply(&rq, "%s", QUOTES);
	spoken("confirm");
	now += 36000;
	typed(VQ_IN_NONE, "");
	spoken("idle-warning");
	tap("confirm");
	rq = send_ok(KR_ISSUE);
	now += 4000;
	typed(VQ_IN_NONE, "");
	ck_assert(kiosk_outgoing(k, &rq));
	kiosk_sent(k, VQ_OK, now);
	now += 4000;
	typed(VQ_IN_NONE, "");
	spoken("offline");
	now += 3000;
	typed(VQ_IN_NONE, "");
	ck_assert(kiosk_outgoing(k, &rq));
	kiosk_sent(k, VQ_OK, now);
	reply(&rq, "\"ok\":false,\"error\":{\"code\":\"sold_out\",\"alternatives\":["
	           "{\"attraction\":\"flume\",\"start\":1798799100,\"end\":1798801800}]}");
	spoken("sold-out");
	tap("alt-flume");
	rq = send_ok(KR_QUOTE);
	reply(&rq, "%s", QUOTES);
	tap("confirm");
	rq = send_ok(KR_ISSUE);
	reply(&rq, "\"ok\":false,\"error\":{\"code\":\"limit_reached\",\"held\":[{\"id\":3,"
	           "\"number\":\"L-003\",\"attraction\":\"flume\",\"start\":1798799100,"
	           "\"end\":1798801800,\"state\":\"issued\"}]}");
	spoken("limit");
	tap("give-back-0");
	spoken("give-back");
	tap("give-back-no");
	tap("start-over");
	tap("attr-coaster");
	typed(VQ_IN_SCAN, CARD);
	rq = send_ok(KR_IDENTIFY);
	reply(&rq, "\"ok\":true,\"tier\":\"gold\",\"member\":true,\"max_passes\":3,\"held\":[]");
	tap("party-1");
	rq = send_ok(KR_QUOTE);
	reply(&rq, "%s", QUOTES);
	tap("confirm");
	rq = send_ok(KR_ISSUE);
	reply(&rq, "%s", TICKET);
	spoken("ticket");
	tap("done");
	tap("attr-coaster");
	typed(VQ_IN_SCAN, "nobody");
	rq = send_ok(KR_IDENTIFY);
	reply(&rq, "\"ok\":false,\"error\":{\"code\":\"unknown_card\"}");
	spoken("unknown-card");
	tap("start-over");
	kiosk_link(k, 0, now);
	spoken("standby");
}
END_TEST

/* A press held 2 s toggles audio mode and acts on nothing; a short one is a tap. */
START_TEST(test_long_press)
{
	const vq_el *b = vq_view_find(kiosk_view_get(k), "attr-coaster");
	ck_assert_ptr_nonnull(b);
	vq_input in;
	memset(&in, 0, sizeof in);
	in.x = b->r.x + b->r.w / 2;
	in.y = b->r.y + b->r.h / 2;
	in.kind = VQ_IN_PRESS;
	give(&in);
	now += KIOSK_VOICE_LONG_MS;
	in.kind = VQ_IN_TAP;
	give(&in);
	ck_assert(kiosk_voice_on(kv));
	expect_screen(KS_WELCOME);
	expect_said(tr_head("kiosk_welcome"), "on by a long press");
	in.kind = VQ_IN_PRESS;
	give(&in);
	now += 300;
	in.kind = VQ_IN_TAP;
	give(&in);
	expect_screen(KS_IDENTIFY);
	ck_assert(kiosk_voice_on(kv));
}
END_TEST

/* High contrast and large text: every screen still fits, breaks no word and keeps 4.5:1;
 * buttons are yellow, texts black or white, and the focus has its ring. */
static vq_ui *ui;

static void check_adapted(const char *what)
{
	static vq_view v;
	v = *kiosk_view_get(k);
	kiosk_voice_adapt(&v, 1, 1, -1);
	vq_flaw flaws[4];
	int n = vq_view_check(ui, &v, 4.5, flaws, 4);
	if (n != 0) {
		char line[512] = "";
		if (n > 0)
			vq_flaw_describe(&v, &flaws[0], 4.5, line, sizeof line);
		ck_abort_msg("%s (%s): %d flaws; first: %s", what, kiosk_lang(k), n, line);
	}
	for (int i = 0; i < v.n; i++) {
		const vq_el *e = &v.el[i];
		if (e->kind == VQ_EL_TEXT)
			ck_assert(e->fg.r == e->fg.g && e->fg.g == e->fg.b &&
			          (e->fg.r == 0 || e->fg.r == 255));
		if (e->kind == VQ_EL_BUTTON && e->bg.a == 255 && !e->disabled)
			ck_assert(e->bg.r == 0xFF && e->bg.g == 0xD5 && e->bg.b == 0);
	}
	v = *kiosk_view_get(k);
	int before = v.n, focus = kiosk_voice_focus(kv, &v);
	kiosk_voice_adapt(&v, 1, 0, focus);
	ck_assert_int_eq(v.n, before + (focus >= 0 ? 4 : 0));
}

START_TEST(test_contrast_and_large_text)
{
	char err[256] = "";
	vq_ui_opts o = {.width = W, .height = H};
	ck_assert_msg(vq_ui_new(&o, &ui, err, sizeof err) == VQ_OK, "%s", err);
	for (int l = 0; l < 3; l++) {
		char id[16];
		snprintf(id, sizeof id, "lang-%s", LANGS[l]);
		tap(id);
		check_adapted("welcome");
		tap("attr-coaster");
		check_adapted("identify");
		typed(VQ_IN_SCAN, CARD);
		kiosk_request rq = send_ok(KR_IDENTIFY);
		reply(&rq, "\"ok\":true,\"tier\":\"gold\",\"member\":true,\"max_passes\":3,"
		           "\"held\":[{\"id\":3,\"number\":\"L-003\",\"attraction\":\"flume\","
		           "\"start\":1798799100,\"end\":1798801800,\"state\":\"issued\"}]");
		check_adapted("party");
		tap("party-2");
		rq = send_ok(KR_QUOTE);
		reply(&rq, "%s", QUOTES);
		check_adapted("confirm");
		tap("confirm");
		rq = send_ok(KR_ISSUE);
		reply(&rq, "%s", TICKET);
		check_adapted("ticket");
		tap("done");
		typed(VQ_IN_SCAN, CARD);
		rq = send_ok(KR_IDENTIFY);
		reply(&rq, "\"ok\":true,\"tier\":\"gold\",\"member\":true,\"max_passes\":3,"
		           "\"held\":[{\"id\":3,\"number\":\"L-003\",\"attraction\":\"flume\","
		           "\"start\":1798799100,\"end\":1798801800,\"state\":\"issued\"}]");
		check_adapted("welcome-guest");
		tap("give-back-0");
		check_adapted("give-back");
		tap("give-back-no");
		tap("start-over");
	}
	/* the keys switch them, in audio mode or not, and so do the header's buttons, on
	 * every screen, without the kiosk acting on the tap */
	ck_assert(!kiosk_voice_contrast(kv) && !kiosk_voice_large(kv));
	key(SDLK_F3);
	key(SDLK_F4);
	ck_assert(kiosk_voice_contrast(kv) && kiosk_voice_large(kv));
	tap("attr-coaster");
	expect_screen(KS_IDENTIFY);
	static const char *const ids[] = {"contrast", "large-text"};
	for (int i = 0; i < 2; i++) {
		const vq_el *b = vq_view_find(kiosk_view_get(k), ids[i]);
		ck_assert_ptr_nonnull(b);
		vq_input in;
		memset(&in, 0, sizeof in);
		in.kind = VQ_IN_TAP;
		in.x = b->r.x + b->r.w / 2;
		in.y = b->r.y + b->r.h / 2;
		give(&in);
	}
	ck_assert(!kiosk_voice_contrast(kv) && !kiosk_voice_large(kv));
	expect_screen(KS_IDENTIFY);
	vq_ui_free(ui);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("kiosk_voice");
	TCase *tc = tcase_create("voice");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_keypad_flow, 0, 3);
	tcase_add_loop_test(tc, test_every_state_spoken, 0, 3);
	tcase_add_test(tc, test_long_press);
	tcase_add_test(tc, test_contrast_and_large_text);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
