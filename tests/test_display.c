/* tests/test_display.c — vq-display, the fast-lane board: the board model (staleness,
 * numbers just admitted, languages, status, pages), the layout at 720p, 1080p, 4K and
 * portrait, the display list (offscreen: every text fits without a broken word and stands
 * out 4.5:1 in every language, the colours mean what they should), and the real program
 * against the real broker and vqd.
 *
 * Model tests feed protocol JSON through vq_sitestate and vq_board exactly as the bus
 * would (display/display_synth.h), with the board's clock given, so time is free. The
 * end-to-end test runs the vq-display binary under SDL's offscreen driver with --trace
 * and reads what it says it shows, while a kiosk, a gate and an operator act through the
 * broker; SIGUSR1 makes it write the frame, which must change at every step.
 */
#include "display/display_layout.h"
#include "display/display_model.h"
#include "display/display_render.h"
#include "display/display_synth.h"
#include "speech/speech.h"
#include "support/tutil.h"
#include "support/vqsite.h"
#include "ui/i18n.h"
#include "ui/ui.h"
#include "ui/view.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#define T0   1798797600LL /* 2027-01-01 10:00 UTC */
#define NOW0 3000000LL    /* the board's clock at the start: a whole multiple of 30 s */

static const char *const LANGS[] = {"en", "ro", "ru"}; /* as vq_i18n lists them */

static void utc(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
}

/* --- feeding a board ------------------------------------------------------------------- */

static void feed(vq_sitestate *ss, vq_board *b, const char *suffix, int64_t now_ms, const char *fmt,
                 ...) __attribute__((format(printf, 5, 6)));

static void feed(vq_sitestate *ss, vq_board *b, const char *suffix, int64_t now_ms, const char *fmt,
                 ...)
{
	char json[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(json, sizeof json, fmt, ap);
	va_end(ap);
	int rc = vq_board_synth_msg(ss, b, suffix, json, now_ms);
	if (rc < 0)
		ck_abort_msg("%s refused: %s", suffix, json);
}

static void presence(vq_sitestate *ss, int online, int64_t now_ms)
{
	feed(ss, NULL, "presence/vqd", now_ms, "{\"v\":1,\"id\":\"vqd\",\"online\":%s}",
	     online ? "true" : "false");
}

/* The test park: coaster (ride), flume (ride), desk (service); tiers standard and gold. */
static void site(vq_sitestate *ss, const char *langs, int64_t now_ms)
{
	feed(ss, NULL, "state/_site", now_ms,
	     "{\"v\":1,\"site\":\"t\",\"name\":\"Test Park\",\"timezone\":\"UTC\","
	     "\"languages\":%s,\"tiers\":["
	     "{\"id\":\"standard\",\"names\":{\"en\":\"Standard\",\"ru\":\"Стандарт\",\"ro\":"
	     "\"Standard\"}},"
	     "{\"id\":\"gold\",\"names\":{\"en\":\"Gold\",\"ru\":\"Золото\",\"ro\":\"Aur\"}}],"
	     "\"attractions\":[\"coaster\",\"flume\",\"desk\"],\"keys\":[],\"updated\":%lld}",
	     langs, T0);
}

/* state/<id>: open unless closed_at is set; next standard at std (0: none), gold at +0. */
static void attr(vq_sitestate *ss, const char *id, const char *kind, int64_t closed_at,
                 int64_t reopened_at, int64_t std, int64_t updated, int64_t now_ms)
{
	char next_std[96] = "null";
	if (std)
		snprintf(next_std, sizeof next_std, "{\"start\":%lld,\"end\":%lld}", (long long)std,
		         (long long)std + 3600);
	char suffix[64];
	snprintf(suffix, sizeof suffix, "state/%s", id);
	feed(ss, NULL, suffix, now_ms,
	     "{\"v\":1,\"attraction\":\"%s\",\"kind\":\"%s\",\"names\":{\"en\":\"Coaster %s\","
	     "\"ru\":\"Горки %s\",\"ro\":\"Montagne %s\"},\"status\":\"%s\",\"closed_at\":%lld,"
	     "\"reopened_at\":%lld,\"admitting\":%s,\"next\":{\"standard\":%s,\"gold\":"
	     "{\"start\":%lld,\"end\":%lld}},\"capacity\":{\"today\":100,\"taken\":1},"
	     "\"throughput_per_hour\":600,\"fast_share_pct\":50,\"overbook_pct\":0,"
	     "\"standby_min\":35,\"merge\":null,\"updated\":%lld}",
	     id, kind, id, id, id, closed_at ? "closed" : "open", (long long)closed_at,
	     (long long)reopened_at,
	     closed_at ? "null" : "{\"from\":1798797600,\"until\":1798801200}", next_std,
	     (long long)T0 + 900, (long long)T0 + 4500, (long long)updated);
}

static void admission(vq_board *b, const char *id, const char *number, int ticket, const char *gate,
                      int64_t at, int expect)
{
	char json[512];
	snprintf(json, sizeof json,
	         "{\"v\":1,\"attraction\":\"%s\",\"number\":\"%s\",\"ticket\":%d,\"party\":2,"
	         "\"tier\":\"standard\",\"gate\":\"%s\",\"at\":%lld,\"offline\":false}",
	         id, number, ticket, gate, (long long)at);
	int rc = vq_board_synth_msg(NULL, b, "events/admission", json, NOW0);
	ck_assert_msg(rc == expect, "admission %s: got %d, want %d", number, rc, expect);
}

static vq_board *board(const char *filter, const char *lang, int rotate_s, int called)
{
	vq_board_opts o = {.attractions = filter,
	                   .stale_s = 90,
	                   .called = called,
	                   .lang = lang,
	                   .lang_rotate_s = rotate_s,
	                   .langs = LANGS,
	                   .nlangs = 3};
	vq_board *b = NULL;
	char err[256] = "";
	int rc = vq_board_new(&o, &b, err, sizeof err);
	ck_assert_msg(rc == VQ_OK, "board: %s", err);
	return b;
}

static vq_sitestate *sitestate(void)
{
	vq_sitestate *ss = NULL;
	ck_assert_int_eq(vq_sitestate_new(&ss), VQ_OK);
	return ss;
}

static vq_board_view *view(const vq_board *b, const vq_sitestate *ss, int per_page, int64_t now_ms)
{
	static vq_board_view views[4];
	static int next;
	vq_board_view *v = &views[next++ % 4];
	ck_assert_int_eq(vq_board_view_make(b, ss, per_page, now_ms, v), VQ_OK);
	return v;
}

static const char *describe(const vq_sitestate *ss, const vq_board_view *v, int row)
{
	static char line[1024];
	vq_board_row_describe(&v->rows[row], v->zone, vq_sitestate_site(ss)->tiers, v->ntiers, line,
	                      sizeof line);
	return line;
}

/* --- the model ------------------------------------------------------------------------- */

START_TEST(test_options)
{
	vq_board *b = NULL;
	char err[256];
	vq_board_opts o = {.langs = LANGS, .nlangs = 3, .attractions = "coaster,Bad"};
	ck_assert_int_eq(vq_board_new(&o, &b, err, sizeof err), VQ_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "Bad"));
	o.attractions = "coaster,";
	ck_assert_int_eq(vq_board_new(&o, &b, err, sizeof err), VQ_EINVAL);
	o.attractions = "coaster,coaster,flume";
	o.called = 9;
	ck_assert_int_eq(vq_board_new(&o, &b, err, sizeof err), VQ_EINVAL);
	o.called = 0;
	o.nlangs = 0;
	ck_assert_int_eq(vq_board_new(&o, &b, err, sizeof err), VQ_EINVAL);
	o.nlangs = 3;
	o.lang = "r u";
	ck_assert_int_eq(vq_board_new(&o, &b, err, sizeof err), VQ_EINVAL);
	ck_assert_ptr_null(b);
	o.lang = NULL;
	ck_assert_int_eq(vq_board_new(&o, &b, err, sizeof err), VQ_OK);
	vq_board_free(b);
	vq_board_free(NULL);
}
END_TEST

START_TEST(test_staleness)
{
	utc();
	vq_board *b = board(NULL, "en", 0, 0);
	vq_sitestate *ss = sitestate();
	const vq_board_view *v = view(b, ss, 8, NOW0);
	ck_assert_int_eq(v->stale, VQ_BOARD_NO_SITE);
	ck_assert_int_eq(v->nrows, 0);

	/* Presence and site, but only coaster's state so far: fresh (the others wait). */
	presence(ss, 1, NOW0);
	site(ss, "[\"en\"]", NOW0);
	attr(ss, "coaster", "ride", 0, 0, T0 + 900, T0 + 60, NOW0);
	v = view(b, ss, 8, NOW0);
	ck_assert_int_eq(v->stale, VQ_BOARD_FRESH);
	ck_assert_int_eq(v->nrows, 3);
	ck_assert_int_eq(v->rows[0].status, VQ_BOARD_OPEN);
	ck_assert_int_eq(v->rows[1].status, VQ_BOARD_WAITING);
	ck_assert_int_eq(v->last_update, 0); /* only shown with the banner */

	/* Exactly stale_s old is still current; a millisecond more is not. */
	v = view(b, ss, 8, NOW0 + 90000);
	ck_assert_int_eq(v->stale, VQ_BOARD_FRESH);
	ck_assert_int_eq(v->rows[0].stale, 0);
	v = view(b, ss, 8, NOW0 + 90001);
	ck_assert_int_eq(v->stale, VQ_BOARD_OLD);
	ck_assert_int_eq(v->rows[0].stale, 1);
	ck_assert_int_eq(v->rows[1].stale, 0); /* nothing shown there to be old */
	ck_assert_int_eq(v->last_update, T0 + 60);
	ck_assert_ptr_nonnull(strstr(describe(ss, v, 0), "stale=1"));

	/* The loop wakes for it: the next change is due no later than that. */
	int64_t due = vq_board_next_change(b, ss, 8, NOW0 + 1000);
	ck_assert(due > NOW0 + 1000 && due <= NOW0 + 90001);

	/* vqd's periodic republish makes it current again. */
	attr(ss, "coaster", "ride", 0, 0, T0 + 900, T0 + 150, NOW0 + 95000);
	v = view(b, ss, 8, NOW0 + 95000);
	ck_assert_int_eq(v->stale, VQ_BOARD_FRESH);

	/* vqd goes away: everything is suspect at once, and says since when. */
	presence(ss, 0, NOW0 + 96000);
	v = view(b, ss, 8, NOW0 + 96000);
	ck_assert_int_eq(v->stale, VQ_BOARD_OFFLINE);
	ck_assert_int_eq(v->rows[0].stale, 1);
	ck_assert_int_eq(v->rows[2].stale, 1);
	ck_assert_int_eq(v->last_update, T0 + 150);
	presence(ss, 1, NOW0 + 97000);
	ck_assert_int_eq(view(b, ss, 8, NOW0 + 97000)->stale, VQ_BOARD_FRESH);

	/* Losing the broker is losing vqd. */
	vq_bus_msg lost = {.kind = VQ_BUS_DISCONNECTED, .topic = "", .suffix = "", .payload = ""};
	vq_sitestate_feed(ss, &lost, NOW0 + 98000);
	ck_assert_int_eq(view(b, ss, 8, NOW0 + 98000)->stale, VQ_BOARD_OFFLINE);
	vq_sitestate_free(ss);
	vq_board_free(b);
}
END_TEST

/* A board with nothing new to show makes the same view: no redraw. */
START_TEST(test_idle_view_is_equal)
{
	utc();
	vq_board *b = board(NULL, "en", 0, 0);
	vq_sitestate *ss = sitestate();
	presence(ss, 1, NOW0);
	site(ss, "[\"en\"]", NOW0);
	attr(ss, "coaster", "ride", 0, 0, T0 + 900, T0 + 60, NOW0);
	vq_board_view a, c;
	ck_assert_int_eq(vq_board_view_make(b, ss, 8, NOW0 + 1000, &a), VQ_OK);
	/* vqd republishes the same state 30 s later */
	attr(ss, "coaster", "ride", 0, 0, T0 + 900, T0 + 90, NOW0 + 30000);
	ck_assert_int_eq(vq_board_view_make(b, ss, 8, NOW0 + 30500, &c), VQ_OK);
	ck_assert_msg(memcmp(&a, &c, sizeof a) == 0, "the same board drew differently");
	/* the park clock's minute turns (10:01 -> 10:02): that shows */
	ck_assert_int_eq(vq_board_view_make(b, ss, 8, NOW0 + 60000, &c), VQ_OK);
	ck_assert_int_eq(c.clock_min, (T0 + 120) / 60);
	ck_assert(memcmp(&a, &c, sizeof a) != 0);
	/* and the loop's timer is set for exactly that minute */
	ck_assert_int_eq(vq_board_next_change(b, ss, 8, NOW0 + 30500), NOW0 + 60000);
	vq_sitestate_free(ss);
	vq_board_free(b);
}
END_TEST

START_TEST(test_called_numbers)
{
	utc();
	vq_board *b = board("desk,coaster", "en", 0, 3);
	vq_sitestate *ss = sitestate();
	presence(ss, 1, NOW0);
	site(ss, "[\"en\"]", NOW0);
	attr(ss, "coaster", "ride", 0, 0, T0 + 900, T0 + 60, NOW0);
	attr(ss, "desk", "service", 0, 0, T0 + 900, T0 + 60, NOW0);

	admission(b, "coaster", "C-001", 1, "gate-1", T0 + 10, 1);
	admission(b, "coaster", "C-002", 2, "gate-1", T0 + 20, 1);
	admission(b, "coaster", "C-003", 3, "gate-2", T0 + 15, 1); /* an offline gate's sync */
	admission(b, "coaster", "C-002", 2, "gate-1", T0 + 20, 0); /* QoS 1 delivers twice */
	admission(b, "coaster", "C-004", 4, "gate-1", T0 + 20, 1); /* same second, later */
	admission(b, "coaster", "C-000", 9, "gate-1", T0 + 1, 0);  /* older than all kept */
	admission(b, "flume", "L-001", 5, "gate-1", T0 + 30, 0);   /* not on this board */
	admission(b, "desk", "D-001", 6, "gate-3", T0 + 30, 1);
	admission(b, "desk", "D-002", 7, "frontdesk", T0 + 40, 1);
	vq_bus_msg bad = {.kind = VQ_BUS_MESSAGE,
	                  .topic = "vq/v1/t/events/admission",
	                  .suffix = "events/admission",
	                  .payload = "{\"v\":1,\"attraction\":\"coaster\"}",
	                  .len = 31};
	ck_assert_int_eq(vq_board_feed(b, &bad, NOW0), -VQ_EBADREQ);
	bad.payload = "not json";
	bad.len = 8;
	ck_assert_int_eq(vq_board_feed(b, &bad, NOW0), -VQ_EBADREQ);
	/* strict: numbers as written and range-checked before any cast (1e300 once tripped
	 * UBSan), no NUL or bidi control in what the board shows, nothing after the object */
	static const char *const strict[] = {
	    "{\"v\":1,\"attraction\":\"coaster\",\"number\":\"C-009\",\"ticket\":1e300,"
	    "\"gate\":\"gate-1\",\"at\":1}",
	    "{\"v\":1,\"attraction\":\"coaster\",\"number\":\"C-009\",\"ticket\":9,"
	    "\"gate\":\"gate-1\",\"at\":1.0}",
	    "{\"v\":1,\"attraction\":\"coaster\",\"number\":\"C-0\\u0000X\",\"ticket\":9,"
	    "\"gate\":\"gate-1\",\"at\":1}",
	    "{\"v\":1,\"attraction\":\"coaster\",\"number\":\"C-009\\u202e\",\"ticket\":9,"
	    "\"gate\":\"gate-1\",\"at\":1}",
	    "{\"v\":1,\"attraction\":\"coaster\",\"number\":\"C-009\",\"ticket\":9,"
	    "\"gate\":\"gate-1\",\"at\":1} {}",
	};
	for (size_t i = 0; i < sizeof strict / sizeof strict[0]; i++) {
		bad.payload = strict[i];
		bad.len = strlen(strict[i]);
		ck_assert_msg(vq_board_feed(b, &bad, NOW0) == -VQ_EBADREQ, "case %zu", i);
	}

	const vq_board_view *v = view(b, ss, 8, NOW0);
	ck_assert_int_eq(v->total, 2);
	ck_assert_str_eq(v->rows[0].id, "desk"); /* the order --attractions gives */
	ck_assert_str_eq(v->rows[1].id, "coaster");
	const vq_board_row *c = &v->rows[1];
	/* the three newest, shown in number order so a guest finds theirs at a glance */
	ck_assert_int_eq(c->ncalled, 3);
	ck_assert_str_eq(c->called[0].number, "C-002");
	ck_assert_str_eq(c->called[1].number, "C-003");
	ck_assert_str_eq(c->called[2].number, "C-004");
	ck_assert_ptr_nonnull(strstr(describe(ss, v, 1), " called=C-002,C-003,C-004 "));
	ck_assert_ptr_nonnull(strstr(describe(ss, v, 0), " called=D-001>3,D-002>frontdesk "));
	/* by number, not by letters: C-9 before C-10 */
	admission(b, "coaster", "C-10", 10, "gate-1", T0 + 50, 1);
	admission(b, "coaster", "C-9", 11, "gate-1", T0 + 51, 1);
	v = view(b, ss, 8, NOW0);
	ck_assert_ptr_nonnull(strstr(describe(ss, v, 1), " called=C-004,C-9,C-10 "));

	/* After an hour of park time they are old news. */
	v = view(b, ss, 8, NOW0 + 3000000);
	ck_assert_int_eq(v->rows[1].ncalled, 3);
	v = view(b, ss, 8, NOW0 + 3800000);
	ck_assert_int_eq(v->rows[1].ncalled, 0);
	ck_assert_int_eq(v->rows[0].ncalled, 0);
	vq_sitestate_free(ss);
	vq_board_free(b);
}
END_TEST

START_TEST(test_languages)
{
	utc();
	ck_assert_int_eq(vq_board_lang_index(3, 10, 0), 0);
	ck_assert_int_eq(vq_board_lang_index(3, 10, 9999), 0);
	ck_assert_int_eq(vq_board_lang_index(3, 10, 10000), 1);
	ck_assert_int_eq(vq_board_lang_index(3, 10, 29999), 2);
	ck_assert_int_eq(vq_board_lang_index(3, 10, 30000), 0);
	ck_assert_int_eq(vq_board_lang_index(3, 0, 12345), 0);
	ck_assert_int_eq(vq_board_lang_index(1, 10, 12345), 0);

	vq_board *b = board(NULL, NULL, 10, 0);
	vq_sitestate *ss = sitestate();
	/* before the site says which it speaks: the board's own, in its order */
	ck_assert_str_eq(view(b, ss, 8, NOW0)->lang, "en");
	ck_assert_str_eq(view(b, ss, 8, NOW0 + 10000)->lang, "ro");

	presence(ss, 1, NOW0);
	site(ss, "[\"en\",\"ru\",\"ro\"]", NOW0);
	attr(ss, "coaster", "ride", 0, 0, T0 + 900, T0, NOW0);
	static const char *const want[][3] = {{"en", "Coaster coaster", "Gold"},
	                                      {"ru", "Горки coaster", "Золото"},
	                                      {"ro", "Montagne coaster", "Aur"},
	                                      {"en", "Coaster coaster", "Gold"}};
	for (int i = 0; i < 4; i++) {
		const vq_board_view *v = view(b, ss, 8, NOW0 + i * 10000 + 1);
		if (strcmp(v->lang, want[i][0]) || strcmp(v->rows[0].name, want[i][1]) ||
		    strcmp(v->tier_names[1], want[i][2]))
			ck_abort_msg("at +%d s: %s %s %s, want %s %s %s", i * 10, v->lang,
			             v->rows[0].name, v->tier_names[1], want[i][0], want[i][1],
			             want[i][2]);
	}
	/* the loop wakes for the turn (the park minute turns later) */
	ck_assert_int_eq(vq_board_next_change(b, ss, 8, NOW0 + 1234), NOW0 + 10000);
	vq_board_free(b);

	/* a board fixed to Russian stays Russian */
	b = board(NULL, "ru", 10, 0);
	for (int i = 0; i < 3; i++)
		ck_assert_str_eq(view(b, ss, 8, NOW0 + i * 10000)->lang, "ru");
	vq_board_free(b);

	/* a site that speaks only English: no rotation, and no wake-ups for one */
	b = board(NULL, NULL, 10, 0);
	site(ss, "[\"en\"]", NOW0);
	for (int i = 0; i < 3; i++)
		ck_assert_str_eq(view(b, ss, 8, NOW0 + i * 10000)->lang, "en");
	ck_assert_int_eq(vq_board_next_change(b, ss, 8, NOW0 + 1234), NOW0 + 60000);
	vq_board_free(b);
	vq_sitestate_free(ss);
}
END_TEST

START_TEST(test_status)
{
	utc();
	vq_board *b = board(NULL, "en", 0, 0);
	vq_sitestate *ss = sitestate();
	presence(ss, 1, NOW0);
	site(ss, "[\"en\"]", NOW0);
	attr(ss, "coaster", "ride", T0 + 30, 0, T0 + 900, T0 + 60, NOW0);
	attr(ss, "flume", "ride", 0, T0 + 40, 0, T0 + 60, NOW0);
	attr(ss, "desk", "service", 0, 0, T0 + 900, T0 + 60, NOW0);
	const vq_board_view *v = view(b, ss, 8, NOW0);
	ck_assert_int_eq(v->rows[0].status, VQ_BOARD_CLOSED);
	ck_assert_int_eq(v->rows[0].since, T0 + 30);
	ck_assert_int_eq(v->rows[0].admitting.start, 0);
	ck_assert_ptr_nonnull(strstr(describe(ss, v, 0), "coaster closed@10:00 admitting=none"));
	ck_assert_int_eq(v->rows[1].status, VQ_BOARD_REOPENED);
	ck_assert_int_eq(v->rows[1].since, T0 + 40);
	ck_assert_int_eq(v->rows[1].next[0].start, 0); /* standard: none left */
	ck_assert_int_eq(v->rows[1].next[1].start, T0 + 900);
	ck_assert_str_eq(describe(ss, v, 1),
	                 "flume reopened@10:00 admitting=10:00-11:00 upto=10:01 "
	                 "next=standard@none,gold@10:15-11:15 standby=35 called=none stale=0");
	/* one next return on the board, and a mark where a tier gets something different */
	int tiers[VQ_MAX_TIERS];
	ck_assert_int_eq(vq_board_row_marks(&v->rows[1], v->ntiers, tiers), 1);
	ck_assert_int_eq(tiers[0], 1);
	ck_assert_int_eq(vq_board_row_marks(&v->rows[2], v->ntiers, tiers), 0);
	ck_assert_int_eq(v->rows[2].standby_min, -1); /* a desk has no standby line */
	ck_assert_int_eq(v->rows[2].service, 1);
	/* "reopened" shows for half an hour of park time, then it is just open */
	v = view(b, ss, 8, NOW0 + 1000 * (1800 - 21));
	ck_assert_int_eq(v->rows[1].status, VQ_BOARD_REOPENED);
	v = view(b, ss, 8, NOW0 + 1000 * (1800 - 19));
	ck_assert_int_eq(v->rows[1].status, VQ_BOARD_OPEN);
	vq_sitestate_free(ss);
	vq_board_free(b);
}
END_TEST

START_TEST(test_pages)
{
	utc();
	vq_board_opts o = {.lang = "en", .page_s = 12, .langs = LANGS, .nlangs = 3};
	vq_board *b = NULL;
	char err[256];
	ck_assert_int_eq(vq_board_new(&o, &b, err, sizeof err), VQ_OK);
	vq_sitestate *ss = sitestate();
	vq_board_synth_opts so = {10, 4, T0 + 3600, NOW0, 1};
	ck_assert_int_eq(vq_board_synth(ss, b, &so), VQ_OK);
	ck_assert_int_eq(vq_board_count(b, ss), 10);
	int seen[10] = {0};
	for (int p = 0; p < 3; p++) {
		const vq_board_view *v = view(b, ss, 4, NOW0 + p * 12000);
		ck_assert_int_eq(v->npages, 3);
		ck_assert_int_eq(v->page, (int)((NOW0 / 12000 + p) % 3));
		ck_assert_int_eq(v->nrows, v->page == 2 ? 2 : 4);
		for (int r = 0; r < v->nrows; r++)
			seen[atoi(v->rows[r].id + 1)]++;
	}
	for (int i = 0; i < 10; i++)
		ck_assert_msg(seen[i] == 1, "attraction %d shown %d times over the pages", i,
		              seen[i]);
	ck_assert_int_eq(view(b, ss, 4, NOW0)->rows[0].ncalled, VQ_BOARD_DEFAULT_CALLED);
	/* wakes up for the page turn */
	int64_t due = vq_board_next_change(b, ss, 4, NOW0 + 100);
	ck_assert_int_eq(due, NOW0 + 12000);
	ck_assert_int_eq(vq_board_view_make(b, ss, 0, NOW0, (vq_board_view *)view(b, ss, 4, 0)),
	                 VQ_EINVAL);
	vq_sitestate_free(ss);
	vq_board_free(b);
}
END_TEST

/* --- the layout ------------------------------------------------------------------------ */

static int inside(vq_rect in, vq_rect out)
{
	return in.w >= 0 && in.h >= 0 && in.x >= out.x && in.y >= out.y &&
	       in.x + in.w <= out.x + out.w && in.y + in.h <= out.y + out.h;
}

static int overlap(vq_rect a, vq_rect b)
{
	return a.w > 0 && a.h > 0 && b.w > 0 && b.h > 0 && a.x < b.x + b.w && b.x < a.x + a.w &&
	       a.y < b.y + b.h && b.y < a.y + a.h;
}

START_TEST(test_layout)
{
	static const struct {
		int w, h;
	} screens[] = {{1280, 720}, {1920, 1080}, {3840, 2160}, {1080, 1920}, {720, 1280}};
	for (size_t s = 0; s < sizeof screens / sizeof screens[0]; s++) {
		int w = screens[s].w, h = screens[s].h, short_side = w < h ? w : h;
		vq_board_layout l;
		if (vq_board_layout_make(w, h, 40, &l) != VQ_OK)
			ck_abort_msg("no layout for %dx%d", w, h);
		vq_rect frame = {0, 0, w, h};
		if (l.portrait != (h > w))
			ck_abort_msg("%dx%d: portrait %d", w, h, l.portrait);
		/* text for reading from a distance: never under 1/36 of the shorter side */
		int minpx = vq_board_layout_min_px(&l);
		if (minpx * 36 < short_side - 18 ||
		    !(l.px_small <= l.px_row && l.px_row <= l.px_title && l.px_small <= l.px_body))
			ck_abort_msg("%dx%d: sizes %d %d %d %d", w, h, l.px_small, l.px_row,
			             l.px_body, l.px_title);
		/* bands follow each other down the frame */
		if (l.header.y != 0 || l.colhead.y != l.header.h ||
		    l.table.y != l.colhead.y + l.colhead.h || l.footer.y != l.table.y + l.table.h ||
		    l.footer.y + l.footer.h != h)
			ck_abort_msg("%dx%d: bands do not tile the frame", w, h);
		if (l.rows * l.row_h > l.table.h)
			ck_abort_msg("%dx%d: %d rows of %d px overflow %d", w, h, l.rows, l.row_h,
			             l.table.h);
		/* a row holds its line of text (two in portrait) */
		if (l.row_h < (l.portrait ? 2 : 1) * l.px_row * 6 / 5)
			ck_abort_msg("%dx%d: rows of %d px for %d px text", w, h, l.row_h,
			             l.px_row);
		vq_rect cells[] = {l.name, l.now, l.next, l.mark, l.standby, l.called};
		int n = (int)(sizeof cells / sizeof cells[0]);
		for (int r = 0; r < l.rows; r++) {
			vq_rect band = {0, l.table.y + r * l.row_h, w, l.row_h};
			for (int i = 0; i < n; i++) {
				vq_rect c = vq_board_layout_cell(&l, cells[i], r);
				if (!inside(c, band) || !inside(c, frame) || c.w <= 0 || c.h <= 0)
					ck_abort_msg("%dx%d row %d: cell %d outside its row", w, h,
					             r, i);
				for (int k = 0; k < i; k++)
					if (overlap(c, vq_board_layout_cell(&l, cells[k], r)))
						ck_abort_msg("%dx%d: cells %d and %d overlap", w, h,
						             k, i);
			}
			vq_rect closed = vq_board_layout_cell(&l, l.closed, r);
			if (!inside(closed, band) ||
			    overlap(closed, vq_board_layout_cell(&l, l.name, r)))
				ck_abort_msg("%dx%d: closure notice outside its row or on the name",
				             w, h);
		}
		vq_rect heads[] = {l.h_name, l.h_now, l.h_next, l.h_standby, l.h_called};
		for (int i = 0; i < 5; i++)
			if (!inside(heads[i], l.colhead) || heads[i].w <= 0)
				ck_abort_msg("%dx%d: column title %d outside", w, h, i);
	}
	/* 40 attractions on two pages at 1080p; a 4K board shows more of them a page */
	vq_board_layout a, b;
	ck_assert_int_eq(vq_board_layout_make(1920, 1080, 40, &a), VQ_OK);
	ck_assert_int_ge(a.rows, 20);
	ck_assert_int_le((40 + a.rows - 1) / a.rows, 2);
	ck_assert_int_ge(a.px_small * 36, 1080);
	ck_assert_int_eq(vq_board_layout_make(3840, 2160, 40, &b), VQ_OK);
	ck_assert_int_gt(b.rows, a.rows);
	ck_assert_int_ge(b.px_small * 36, 2160);
	/* few attractions: rows grow, and their text, but not without end */
	ck_assert_int_eq(vq_board_layout_make(1920, 1080, 3, &b), VQ_OK);
	ck_assert_int_eq(b.rows, 3);
	ck_assert(b.row_h * 3 <= b.table.h);
	ck_assert_int_gt(b.px_row, a.px_row);
	ck_assert_int_le(b.px_row, a.px_row * 3 / 2);
	ck_assert_int_eq(vq_board_layout_make(639, 720, 3, &a), VQ_EINVAL);
	ck_assert_int_eq(vq_board_layout_make(1280, 720, 0, &a), VQ_EINVAL);
}
END_TEST

/* --- the renderer ---------------------------------------------------------------------- */

static vq_ui *open_ui(int w, int h)
{
	vq_ui_opts o = {.title = "test", .width = w, .height = h};
	vq_ui *ui = NULL;
	char err[256] = "";
	int rc = vq_ui_new(&o, &ui, err, sizeof err);
	ck_assert_msg(rc == VQ_OK, "vq_ui_new: %s", err);
	return ui;
}

static vq_i18n *translations(void)
{
	vq_i18n *t = NULL;
	char err[256] = "";
	int rc = vq_i18n_load(tu_src("assets/i18n"), &t, err, sizeof err);
	ck_assert_msg(rc == VQ_OK, "i18n: %s", err);
	rc = vq_i18n_check(t, err, sizeof err);
	ck_assert_msg(rc == VQ_OK, "i18n: %s", err);
	return t;
}

/* Pixels in r within 40 of c in every channel. */
static int pixels_like(vq_ui *ui, vq_rect r, vq_color c)
{
	uint8_t *rgb = malloc((size_t)r.w * (size_t)r.h * 3);
	ck_assert_ptr_nonnull(rgb);
	ck_assert_int_eq(vq_ui_read_rgb(ui, r, rgb), VQ_OK);
	int n = 0;
	for (int i = 0; i < r.w * r.h; i++)
		if (abs(rgb[i * 3] - c.r) < 40 && abs(rgb[i * 3 + 1] - c.g) < 40 &&
		    abs(rgb[i * 3 + 2] - c.b) < 40)
			n++;
	free(rgb);
	return n;
}

/* Checks a board's display list (every text fits without a broken word, inside the
 * frame, no smaller than s/36, at 4.5:1 or more against what lies under it) and draws
 * it. VQ_DISPLAY_SHOTS=DIR keeps a PNG of each for a look. */
static void check_board(vq_ui *ui, const vq_board_layout *l, const vq_board_view *v,
                        const vq_i18n *t, const char *what)
{
	vq_view *list = malloc(sizeof *list);
	ck_assert_ptr_nonnull(list);
	vq_board_view_build(l, v, t, list);
	vq_flaw flaws[4];
	int n = vq_view_check(ui, list, 4.5, flaws, 4);
	if (n != 0) {
		char lines[2048] = "", line[512];
		for (int i = 0; i < n && i < 4; i++) {
			vq_flaw_describe(list, &flaws[i], 4.5, line, sizeof line);
			snprintf(lines + strlen(lines), sizeof lines - strlen(lines), "\n  %s",
			         line);
		}
		ck_abort_msg("%dx%d %s %s: %d flaws:%s", l->w, l->h, v->lang, what, n, lines);
	}
	free(list);
	vq_board_render_stats st;
	ck_assert_int_eq(vq_board_render(ui, l, v, t, &st), VQ_OK);
	int floor_px = ((l->w < l->h ? l->w : l->h) * 10 / 36 + 5) / 10;
	if (st.clipped || st.midword || st.errors || st.min_px < floor_px ||
	    st.texts < 5 * v->nrows)
		ck_abort_msg("%dx%d %s %s: %d of %d texts clipped, %d broken, %d errors, "
		             "smallest %d px",
		             l->w, l->h, v->lang, what, st.clipped, st.texts, st.midword, st.errors,
		             st.min_px);
	const char *dir = getenv("VQ_DISPLAY_SHOTS");
	if (dir) {
		char path[1024];
		snprintf(path, sizeof path, "%s/%dx%d-%s-%s.png", dir, l->w, l->h, v->lang, what);
		vq_ui_screenshot(ui, path);
	}
}

/* Every page of a 40-attraction board (closures, reopenings, desks, full tiers, marks),
 * online and not, in every language, at every size, passes the check. */
START_TEST(test_render_fits)
{
	utc();
	static const int sizes[][2] = {{1280, 720}, {1920, 1080}, {3840, 2160}, {1080, 1920}};
	vq_i18n *t = translations();
	for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
		vq_ui *ui = open_ui(sizes[s][0], sizes[s][1]);
		for (int li = 0; li < 3; li++) {
			vq_board_opts o = {
			    .lang = LANGS[li], .page_s = 1, .langs = LANGS, .nlangs = 3};
			vq_board *b = NULL;
			char err[256];
			ck_assert_int_eq(vq_board_new(&o, &b, err, sizeof err), VQ_OK);
			vq_sitestate *ss = sitestate();
			vq_board_synth_opts so = {40, 4, T0 + 3600, NOW0, li != 1};
			ck_assert_int_eq(vq_board_synth(ss, b, &so), VQ_OK);
			vq_board_layout l;
			ck_assert_int_eq(vq_board_layout_make(sizes[s][0], sizes[s][1], 40, &l),
			                 VQ_OK);
			const vq_board_view *v = view(b, ss, l.rows, NOW0);
			for (int p = 0; p < v->npages; p++) {
				char what[32];
				v = view(b, ss, l.rows, NOW0 + 1000LL * p);
				snprintf(what, sizeof what, "page-%d%s", p + 1,
				         so.online ? "" : "-offline");
				check_board(ui, &l, v, t, what);
			}
			vq_sitestate_free(ss);
			vq_board_free(b);
			/* before vqd is heard of: waiting, and saying so */
			ss = sitestate();
			b = board(NULL, LANGS[li], 0, 0);
			check_board(ui, &l, view(b, ss, l.rows, NOW0), t, "no-site");
			vq_sitestate_free(ss);
			vq_board_free(b);
		}
		vq_ui_free(ui);
	}
	vq_i18n_free(t);
}
END_TEST

/* What the colours say: yellow for the return times admitted now, light blue for the
 * numbers just admitted (not the same yellow), grey under an amber banner when not
 * current, red for a closure, amber for a tier with nothing left. */
START_TEST(test_render_colours)
{
	utc();
	vq_i18n *t = translations();
	vq_ui *ui = open_ui(1280, 720);
	vq_board *b = board(NULL, "en", 0, 0);
	vq_sitestate *ss = sitestate();
	presence(ss, 1, NOW0);
	site(ss, "[\"en\",\"ru\",\"ro\"]", NOW0);
	attr(ss, "coaster", "ride", 0, 0, T0 + 900, T0 + 60, NOW0);
	attr(ss, "flume", "ride", T0 + 30, 0, T0 + 900, T0 + 60, NOW0);
	attr(ss, "desk", "service", 0, 0, 0, T0 + 60, NOW0);
	admission(b, "coaster", "C-001", 1, "gate-1", T0 + 10, 1);
	vq_board_layout l;
	ck_assert_int_eq(vq_board_layout_make(1280, 720, 3, &l), VQ_OK);
	vq_rect now = vq_board_layout_cell(&l, l.now, 0);
	vq_rect called = vq_board_layout_cell(&l, l.called, 0);
	vq_rect closed = vq_board_layout_cell(&l, l.closed, 1);
	vq_rect full = vq_board_layout_cell(&l, l.next, 2);

	const vq_board_view *v = view(b, ss, l.rows, NOW0);
	ck_assert_int_eq(vq_board_render(ui, &l, v, t, NULL), VQ_OK);
	ck_assert_int_gt(pixels_like(ui, now, VQ_BOARD_COL_TIME), 50);
	ck_assert_int_gt(pixels_like(ui, called, VQ_BOARD_COL_ADMITTED), 50);
	ck_assert_int_eq(pixels_like(ui, called, VQ_BOARD_COL_TIME), 0);
	ck_assert_int_gt(pixels_like(ui, closed, VQ_BOARD_COL_CLOSED), closed.w * closed.h / 2);
	ck_assert_int_gt(pixels_like(ui, full, VQ_BOARD_COL_FULL), 50);
	ck_assert_int_eq(pixels_like(ui, l.footer, VQ_BOARD_COL_BANNER), 0);

	presence(ss, 0, NOW0 + 1000);
	v = view(b, ss, l.rows, NOW0 + 1000);
	ck_assert_int_eq(vq_board_render(ui, &l, v, t, NULL), VQ_OK);
	ck_assert_int_gt(pixels_like(ui, l.footer, VQ_BOARD_COL_BANNER),
	                 l.footer.w * l.footer.h / 2);
	ck_assert_int_eq(pixels_like(ui, now, VQ_BOARD_COL_TIME), 0);
	ck_assert_int_gt(pixels_like(ui, now, VQ_BOARD_COL_STALE), 50);
	ck_assert_int_eq(pixels_like(ui, called, VQ_BOARD_COL_ADMITTED), 0);

	/* the renderer refuses a layout for another size */
	vq_board_layout other;
	ck_assert_int_eq(vq_board_layout_make(1920, 1080, 3, &other), VQ_OK);
	ck_assert_int_eq(vq_board_render(ui, &other, v, t, NULL), VQ_EINVAL);
	vq_sitestate_free(ss);
	vq_board_free(b);
	vq_ui_free(ui);
	vq_i18n_free(t);
}
END_TEST

/* When fewer numbers fit than were just admitted, the newest are shown, in number order. */
START_TEST(test_render_newest_numbers)
{
	utc();
	vq_i18n *t = translations();
	vq_board *b = board("coaster", "en", 0, 8);
	vq_sitestate *ss = sitestate();
	presence(ss, 1, NOW0);
	site(ss, "[\"en\"]", NOW0);
	attr(ss, "coaster", "ride", 0, 0, T0 + 900, T0 + 60, NOW0);
	admission(b, "coaster", "C-007", 7, "gate-1", T0 + 40, 1);
	admission(b, "coaster", "C-002", 2, "gate-1", T0 + 10, 1);
	admission(b, "coaster", "C-005", 5, "gate-1", T0 + 50, 1);
	admission(b, "coaster", "C-001", 1, "gate-1", T0 + 5, 1);
	admission(b, "coaster", "C-003", 3, "gate-1", T0 + 20, 1);
	/* two in the same second: the later to arrive is the newer */
	admission(b, "coaster", "C-006", 6, "gate-1", T0 + 50, 1);
	vq_board_layout l;
	ck_assert_int_eq(vq_board_layout_make(1920, 1080, 1, &l), VQ_OK);
	vq_view *list = malloc(sizeof *list);
	ck_assert_ptr_nonnull(list);
	vq_board_view_build(&l, view(b, ss, l.rows, NOW0), t, list);
	const vq_el *e = vq_view_role(list, "row.called", 0);
	ck_assert_ptr_nonnull(e);
	const char *s = vq_el_text(list, e);
	ck_assert_msg(strstr(s, "C-006") && !strstr(s, "C-001") && !strstr(s, "C-002"), "%s", s);
	if (strstr(s, "C-005"))
		ck_assert_msg(strstr(s, "C-005") < strstr(s, "C-006"), "%s", s);
	free(list);
	vq_sitestate_free(ss);
	vq_board_free(b);
	vq_i18n_free(t);
}
END_TEST

/* --- the program ----------------------------------------------------------------------- */

typedef struct proc {
	pid_t pid;
	int out; /* its stdout */
	char buf[1 << 16];
	size_t len; /* bytes in buf not yet split into lines */
	char *log;  /* every line so far, for messages */
	size_t loglen;
	char errpath[512]; /* its stderr */
} proc;

static vqs_site *site_;
static char *root;

static const char *display_exe(void)
{
	static char path[1024];
	const char *bin = getenv("VQ_BINARY_DIR");
	snprintf(path, sizeof path, "%s/display/vq-display", bin && *bin ? bin : ".");
	return path;
}

static void proc_start(proc *p, char *const argv[], const char *errpath)
{
	memset(p, 0, sizeof *p);
	snprintf(p->errpath, sizeof p->errpath, "%s", errpath);
	int fds[2];
	ck_assert_int_eq(pipe(fds), 0);
	int errfd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ck_assert_int_ge(errfd, 0);
	pid_t parent = getpid();
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
#ifdef __linux__
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
#endif
		dup2(fds[1], 1);
		dup2(errfd, 2);
		close(fds[0]);
		close(fds[1]);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		execv(argv[0], argv);
		_exit(127);
	}
	close(fds[1]);
	close(errfd);
	p->pid = pid;
	p->out = fds[0];
}

static void proc_fail(proc *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void proc_fail(proc *p, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	char *err = tu_read_file(p->errpath, NULL);
	fprintf(stderr, "----- vq-display stdout -----\n%s----- vq-display stderr -----\n%s\n",
	        p->log ? p->log : "", err ? err : "");
	free(err);
	vqs_dump_log(site_, false);
	ck_abort_msg("%s", msg);
}

/* Does line hold every one of the NULL-terminated words? */
static int has_all(const char *line, const char *const *words)
{
	for (; *words; words++)
		if (!strstr(line, *words))
			return 0;
	return 1;
}

/* Reads lines until one holds all the words; returns how long it took (ms). */
static long long proc_wait(proc *p, int timeout_ms, const char *const *words)
{
	long long start = tu_mono_ms(), deadline = start + timeout_ms;
	for (;;) {
		char *nl;
		while ((nl = memchr(p->buf, '\n', p->len))) {
			*nl = '\0';
			size_t n = (size_t)(nl - p->buf) + 1;
			char *grown = realloc(p->log, p->loglen + n + 1);
			ck_assert_ptr_nonnull(grown);
			p->log = grown;
			memcpy(p->log + p->loglen, p->buf, n - 1);
			p->log[p->loglen + n - 1] = '\n';
			p->loglen += n;
			p->log[p->loglen] = '\0';
			int hit = has_all(p->buf, words);
			memmove(p->buf, p->buf + n, p->len - n);
			p->len -= n;
			if (hit)
				return tu_mono_ms() - start;
		}
		long long left = deadline - tu_mono_ms();
		if (left <= 0)
			break;
		struct pollfd pf = {p->out, POLLIN, 0};
		if (poll(&pf, 1, (int)left) <= 0)
			continue;
		ssize_t r = read(p->out, p->buf + p->len, sizeof p->buf - 1 - p->len);
		if (r <= 0)
			break;
		p->len += (size_t)r;
	}
	char want[512] = "";
	for (const char *const *w = words; *w; w++)
		strncat(want, *w, sizeof want - strlen(want) - 2), strcat(want, " ");
	proc_fail(p, "vq-display never said: %s", want);
	return -1;
}

/* Asks for a screenshot (SIGUSR1) and returns its bytes. */
static char *proc_shot(proc *p, const char *path, size_t *len)
{
	unlink(path);
	kill(p->pid, SIGUSR1);
	proc_wait(p, 5000, (const char *const[]){"screenshot ", path, NULL});
	char *png = tu_read_file(path, len);
	if (!png || *len < 100 || memcmp(png, "\x89PNG", 4) != 0)
		proc_fail(p, "no PNG at %s", path);
	return png;
}

static int proc_stop(proc *p)
{
	kill(p->pid, SIGTERM);
	int st = -1;
	long long deadline = tu_mono_ms() + 10000;
	while (tu_mono_ms() < deadline) {
		pid_t r = waitpid(p->pid, &st, WNOHANG);
		if (r == p->pid)
			break;
		struct timespec ts = {0, 10000000};
		nanosleep(&ts, NULL);
	}
	if (waitpid(p->pid, &st, WNOHANG) == 0) {
		kill(p->pid, SIGKILL);
		waitpid(p->pid, &st, 0);
		proc_fail(p, "vq-display ignored SIGTERM");
	}
	close(p->out);
	free(p->log);
	p->log = NULL;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static cJSON *call(vq_bus *b, const char *svc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static cJSON *call(vq_bus *b, const char *svc, const char *fmt, ...)
{
	char body[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(body, sizeof body, fmt, ap);
	va_end(ap);
	cJSON *r = vqs_callf(b, svc, "%s", body);
	if (!vqs_ok(r)) {
		char *t = r ? cJSON_PrintUnformatted(r) : NULL;
		vqs_dump_log(site_, false);
		ck_abort_msg("%s %s -> %s", svc, body, t ? t : "(no reply)");
	}
	return r;
}

static void suite_setup(void)
{
	root = tu_tempdir("display-tests");
	ck_assert_ptr_nonnull(root);
	setenv("TMPDIR", root, 1);
}

static void suite_teardown(void)
{
	if (root && !getenv("VQ_KEEP_BROKER_DIR"))
		tu_rmtree(root);
	free(root);
	root = NULL;
}

/* The real thing: a board on the test site follows an issue, an admission at a gate, a
 * desk's override, a closure and vqd's exit, each within a second or so. */
START_TEST(test_live_board)
{
	utc();
	ck_assert_int_eq(vqs_start(NULL, &site_), VQ_OK);
	char broker[64], shot[1024], errpath[1024];
	snprintf(broker, sizeof broker, "127.0.0.1:%d", vqs_port(site_));
	snprintf(shot, sizeof shot, "%s/board.png", vqs_dir(site_));
	snprintf(errpath, sizeof errpath, "%s/display.err", vqs_dir(site_));
	char *argv[] = {(char *)display_exe(),
	                "--broker",
	                broker,
	                "--site",
	                VQS_SITE,
	                "--user",
	                "board-1",
	                "--credentials",
	                (char *)vqs_credentials(site_),
	                "--width",
	                "1280",
	                "--height",
	                "720",
	                "--lang",
	                "en",
	                "--trace",
	                "--screenshot",
	                shot,
	                NULL};
	proc p;
	proc_start(&p, argv, errpath);

	/* At 10:01 flume's next slot is 10:10 (45 seats a 10-minute slot, window 45). */
	proc_wait(&p, 10000,
	          (const char *const[]){"row flume open", "next=standard@10:10-10:55", NULL});
	proc_wait(&p, 5000, (const char *const[]){"frame ", NULL});
	size_t len0, len1, len2, len3;
	char *png0 = proc_shot(&p, shot, &len0);

	/* Fill the 10:10 slot: 7 parties of 6 and one of 3 (protection has lapsed). */
	vq_bus *kiosk = vqs_bus(site_, "kiosk-1", NULL);
	vq_bus *gate = vqs_bus(site_, "gate-1", NULL);
	vq_bus *ops = vqs_bus(site_, "ops-1", NULL);
	ck_assert(kiosk && gate && ops);
	cJSON *first = NULL;
	for (int i = 0; i < 8; i++) {
		cJSON *r = call(kiosk, "svc/issue",
		                "{\"v\":1,\"rid\":\"b-%d\",\"card\":\"card-%d\","
		                "\"attraction\":\"flume\",\"party\":%d}",
		                i, i, i < 7 ? 6 : 3);
		int64_t start = 0;
		vqs_int(r, "ticket.start", &start);
		if (start != VQS_TEN_AM + 600)
			ck_abort_msg("ticket %d is for %lld, not 10:10", i, (long long)start);
		if (i == 0)
			first = r;
		else
			cJSON_Delete(r);
	}
	long long took = proc_wait(
	    &p, 5000, (const char *const[]){"row flume open", "next=standard@10:20-11:05", NULL});
	fprintf(stderr,
	        "test_live_board: the board showed the new return time %lld ms after "
	        "the issue\n",
	        took);

	/* Admit the first at the gate: its number shows. */
	char number[16];
	snprintf(number, sizeof number, "%s", vqs_str(first, "ticket.number"));
	cJSON *r = call(gate, "svc/redeem",
	                "{\"v\":1,\"rid\":\"g-1\",\"code\":\"%s\",\"attraction\":"
	                "\"flume\"}",
	                vqs_str(first, "ticket.code"));
	cJSON_Delete(r);
	char called[64];
	snprintf(called, sizeof called, "called=%s ", number);
	took = proc_wait(&p, 5000, (const char *const[]){"row flume open", called, NULL});
	fprintf(stderr, "test_live_board: the board showed %s %lld ms after the admission\n",
	        number, took);
	if (took > 2000)
		proc_fail(&p, "the admission took %lld ms to show", took);
	char *png1 = proc_shot(&p, shot, &len1);
	ck_assert_msg(len1 != len0 || memcmp(png0, png1, len0) != 0, "the frame did not change");

	/* A service desk: numbers show with the desk (gate-1: desk 1). */
	r = call(kiosk, "svc/issue",
	         "{\"v\":1,\"rid\":\"b-desk\",\"card\":\"card-desk\",\"attraction\":\"tiny\","
	         "\"party\":1}");
	char desk[64];
	snprintf(desk, sizeof desk, "called=%s>1 ", vqs_str(r, "ticket.number"));
	cJSON *o = call(gate, "svc/override",
	                "{\"v\":1,\"rid\":\"g-2\",\"attraction\":\"tiny\",\"reason\":\"test\","
	                "\"code\":\"%s\"}",
	                vqs_str(r, "ticket.code"));
	cJSON_Delete(o);
	cJSON_Delete(r);
	proc_wait(&p, 5000, (const char *const[]){"row tiny ", desk, NULL});

	/* A closure. */
	r = call(ops, "svc/ops",
	         "{\"v\":1,\"rid\":\"o-1\",\"cmd\":\"close\",\"attraction\":"
	         "\"flume\"}");
	cJSON_Delete(r);
	proc_wait(&p, 5000, (const char *const[]){"row flume closed@10:0", "admitting=none", NULL});
	char *png2 = proc_shot(&p, shot, &len2);
	ck_assert_msg(len2 != len1 || memcmp(png1, png2, len1) != 0, "the closure did not show");

	/* vqd stops: the board says its times may be out of date. */
	vq_bus_free(kiosk);
	vq_bus_free(gate);
	vq_bus_free(ops);
	int status = -1;
	ck_assert_int_eq(vqs_vqd_stop(site_, &status), VQ_OK);
	proc_wait(&p, 5000, (const char *const[]){"board ", "stale=offline", NULL});
	proc_wait(&p, 5000, (const char *const[]){"row coaster", "stale=1", NULL});
	char *png3 = proc_shot(&p, shot, &len3);
	ck_assert_msg(len3 != len2 || memcmp(png2, png3, len2) != 0, "the warning did not show");

	/* SIGTERM: a clean exit that leaves the last frame. */
	unlink(shot);
	ck_assert_int_eq(proc_stop(&p), 0);
	ck_assert_int_eq(access(shot, R_OK), 0);
	free(png0);
	free(png1);
	free(png2);
	free(png3);
	cJSON_Delete(first);
	vqs_free(site_);
	site_ = NULL;
}
END_TEST

/* A board that speaks (--voice on, into a WAV file): the window that opens at 10:15 (the
 * coaster's 10:45 slot, with 30 minutes of early grace), a closure, the
 * reopening and a desk's call, each said once, though vqd restarts and republishes every
 * state; the WAV holds one chime an announcement and speech after each. */
static int count_lines(const char *log, const char *needle)
{
	int n = 0;
	for (const char *p = log; p && (p = strstr(p, needle)); p++)
		n++;
	return n;
}

START_TEST(test_live_voice)
{
	utc();
	char t0[32];
	snprintf(t0, sizeof t0, "%lld", VQS_TEN_AM + 14 * 60 + 50);
	vqs_opts so = {.clock_start = t0};
	ck_assert_int_eq(vqs_start(&so, &site_), VQ_OK);
	char broker[64], wav[1024], errpath[1024];
	snprintf(broker, sizeof broker, "127.0.0.1:%d", vqs_port(site_));
	snprintf(wav, sizeof wav, "%s/board.wav", vqs_dir(site_));
	snprintf(errpath, sizeof errpath, "%s/voice.err", vqs_dir(site_));
	char *argv[] = {(char *)display_exe(),
	                "--broker",
	                broker,
	                "--site",
	                VQS_SITE,
	                "--user",
	                "board-1",
	                "--credentials",
	                (char *)vqs_credentials(site_),
	                "--width",
	                "1280",
	                "--height",
	                "720",
	                "--voice",
	                "on",
	                "--voice-wav",
	                wav,
	                "--trace",
	                NULL};
	proc p;
	proc_start(&p, argv, errpath);
	proc_wait(&p, 10000, (const char *const[]){"row flume open", NULL});
	proc_wait(&p, 20000,
	          (const char *const[]){"say kind=admitting attr=coaster",
	                                "Coaster: return times up to 10:45 are welcome.", NULL});
	vq_bus *kiosk = vqs_bus(site_, "kiosk-1", NULL);
	vq_bus *gate = vqs_bus(site_, "gate-1", NULL);
	vq_bus *ops = vqs_bus(site_, "ops-1", NULL);
	ck_assert(kiosk && gate && ops);
	cJSON *r = call(ops, "svc/ops",
	                "{\"v\":1,\"rid\":\"v-1\",\"cmd\":\"close\",\"attraction\":\"flume\"}");
	cJSON_Delete(r);
	proc_wait(&p, 5000,
	          (const char *const[]){"say kind=closed attr=flume", "Flume is closed", NULL});
	r = call(ops, "svc/ops",
	         "{\"v\":1,\"rid\":\"v-2\",\"cmd\":\"reopen\",\"attraction\":\"flume\"}");
	cJSON_Delete(r);
	proc_wait(&p, 5000, (const char *const[]){"say kind=reopened attr=flume", NULL});
	r = call(kiosk, "svc/issue",
	         "{\"v\":1,\"rid\":\"v-3\",\"card\":\"card-v\",\"attraction\":\"tiny\","
	         "\"party\":1}");
	char number[16], want[64];
	snprintf(number, sizeof number, "%s", vqs_str(r, "ticket.number"));
	cJSON *o = call(gate, "svc/override",
	                "{\"v\":1,\"rid\":\"v-4\",\"attraction\":\"tiny\",\"reason\":\"test\","
	                "\"code\":\"%s\"}",
	                vqs_str(r, "ticket.code"));
	cJSON_Delete(o);
	cJSON_Delete(r);
	snprintf(want, sizeof want, ", desk 1.");
	proc_wait(&p, 5000, (const char *const[]){"say kind=called attr=tiny", want, NULL});
	vq_bus_free(kiosk);
	vq_bus_free(gate);
	vq_bus_free(ops);
	/* vqd restarts and publishes every state again: the board says nothing more */
	ck_assert_int_eq(vqs_vqd_restart(site_), VQ_OK);
	proc_wait(&p, 5000, (const char *const[]){"board ", "stale=offline", NULL});
	proc_wait(&p, 5000, (const char *const[]){"board ", "stale=ok", NULL});
	struct timespec nap = {1, 500000000L};
	nanosleep(&nap, NULL);
	proc_wait(&p, 5000, (const char *const[]){"frame", NULL});
	char *log = p.log ? strdup(p.log) : NULL;
	ck_assert_int_eq(proc_stop(&p), 0);
	ck_assert_int_eq(count_lines(log, "say kind="), 4);
	ck_assert_int_eq(count_lines(log, "say kind=admitting"), 1);
	free(log);

	/* the WAV: four chimes, each followed by speech */
	size_t len = 0;
	char *bytes = tu_read_file(wav, &len);
	ck_assert_msg(bytes && len > 44 && !memcmp(bytes, "RIFF", 4), "no WAV");
	const int16_t *s16 = (const int16_t *)(bytes + 44);
	size_t n = (len - 44) / 2, win = 220;
	int chimes = 0, in = 0;
	for (size_t at = 0; at + win <= n; at += win) {
		double k = 2 * cos(2 * M_PI * VQ_SPEECH_CHIME_HZ1 / 22050.0), s1 = 0, s2 = 0, e = 0;
		for (size_t i = at; i < at + win; i++) {
			double s0 = s16[i] + k * s1 - s2;
			s2 = s1;
			s1 = s0;
			e += (double)s16[i] * s16[i];
		}
		double share =
		    e > 0 ? 2 * (s1 * s1 + s2 * s2 - k * s1 * s2) / ((double)win * e) : 0;
		int chime = e / (double)win > 1000.0 * 1000.0 && share > 0.8;
		chimes += chime && !in;
		in = chime;
	}
	ck_assert_int_eq(chimes, 4);
	size_t loud = 0;
	for (size_t i = 0; i < n; i++)
		loud += s16[i] > 2000 || s16[i] < -2000;
	ck_assert_msg(loud > 22050, "too little speech: %zu loud samples", loud);
	free(bytes);
	vqs_free(site_);
	site_ = NULL;
}
END_TEST

/* Without a broker the board says it is waiting, and --frames ends it, though nothing
 * changes after the first frame: an unchanged frame is shown again and counts. */
START_TEST(test_frames_no_broker)
{
	char shot[1024], errpath[1024];
	snprintf(shot, sizeof shot, "%s/alone.png", root);
	snprintf(errpath, sizeof errpath, "%s/alone.err", root);
	char *argv[] = {(char *)display_exe(),
	                "--broker",
	                "127.0.0.1:1",
	                "--site",
	                "nowhere",
	                "--user",
	                "board-1",
	                "--password",
	                "x",
	                "--width",
	                "720",
	                "--height",
	                "1280",
	                "--trace",
	                "--frames",
	                "5",
	                "--screenshot",
	                shot,
	                NULL};
	proc p;
	proc_start(&p, argv, errpath);
	proc_wait(&p, 10000, (const char *const[]){"board ", "stale=no_site", NULL});
	proc_wait(&p, 5000, (const char *const[]){"frame 1", NULL});
	proc_wait(&p, 5000, (const char *const[]){"frame 5", NULL});
	proc_wait(&p, 5000, (const char *const[]){"screenshot ", shot, NULL});
	int st = -1;
	waitpid(p.pid, &st, 0);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(p.out);
	free(p.log);
	ck_assert_int_eq(access(shot, R_OK), 0);

	/* a bad option is a usage error */
	char *bad[] = {(char *)display_exe(), "--called", "99", NULL};
	proc_start(&p, bad, errpath);
	waitpid(p.pid, &st, 0);
	close(p.out);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 2);
}
END_TEST

/* state/<id> with opening hours: an open ride with nothing to admit, updated at T0. */
static void hours(vq_sitestate *ss, int64_t opens, int64_t closes, int64_t now_ms)
{
	feed(ss, NULL, "state/flume", now_ms,
	     "{\"v\":1,\"attraction\":\"flume\",\"kind\":\"ride\",\"names\":{\"en\":"
	     "\"Flume\"},\"status\":\"open\",\"closed_at\":0,\"reopened_at\":0,"
	     "\"admitting\":null,\"next\":{\"standard\":null,\"gold\":null},"
	     "\"capacity\":{\"today\":100,\"taken\":0},\"standby_min\":0,\"merge\":null,"
	     "\"prefix\":\"F\",\"early_grace_min\":5,\"late_grace_min\":15,"
	     "\"opens\":%lld,\"closes\":%lld,\"updated\":%lld}",
	     (long long)opens, (long long)closes, (long long)T0);
}

/* On the night Bucharest's clocks go back, times the clocks show twice carry their offset;
 * the park clock is vqd's as its live state/_site gave it, and a board whose own clock is
 * off by more than a minute says by how much. */
START_TEST(test_clock_changes_and_skew)
{
	vq_board *b = board("flume", "en", 0, 0);
	vq_sitestate *ss = sitestate();
	presence(ss, 1, NOW0);
	feed(ss, NULL, "state/_site", NOW0,
	     "{\"v\":1,\"site\":\"t\",\"name\":\"Test Park\",\"timezone\":\"Europe/Bucharest\","
	     "\"languages\":[\"en\"],\"tiers\":[{\"id\":\"standard\",\"names\":{\"en\":"
	     "\"Standard\"}},{\"id\":\"gold\",\"names\":{\"en\":\"Gold\"}}],"
	     "\"attractions\":[\"flume\"],\"keys\":[],\"updated\":1}");
	/* 03:30 at UTC+3 to 03:00 at UTC+2: the first pass of the hour to the second */
	const int64_t s0 = 1824942600, e0 = 1824944400;
	feed(ss, NULL, "state/flume", NOW0,
	     "{\"v\":1,\"attraction\":\"flume\",\"kind\":\"ride\",\"names\":{\"en\":\"Flume\"},"
	     "\"status\":\"open\",\"closed_at\":0,\"reopened_at\":0,\"admitting\":null,"
	     "\"next\":{\"standard\":{\"start\":%lld,\"end\":%lld},\"gold\":null},"
	     "\"capacity\":{\"today\":100,\"taken\":0},\"standby_min\":0,\"merge\":null,"
	     "\"updated\":%lld}",
	     (long long)s0, (long long)e0, (long long)s0 - 600);
	const vq_board_view *v = view(b, ss, 8, NOW0);
	ck_assert_str_eq(v->zone, "Europe/Bucharest");
	ck_assert_msg(strstr(describe(ss, v, 0), "next=standard@03:30 UTC+3-03:00 UTC+2,"), "%s",
	              describe(ss, v, 0));
	ck_assert_int_eq(v->clock_skew_min, 0); /* nothing heard live yet */

	/* vqd, live, three minutes ahead of this board: its clock is the park's */
	char live[512];
	snprintf(live, sizeof live,
	         "{\"v\":1,\"site\":\"t\",\"name\":\"Test Park\",\"timezone\":\"Europe/Bucharest\","
	         "\"languages\":[\"en\"],\"tiers\":[{\"id\":\"standard\",\"names\":{\"en\":"
	         "\"Standard\"}},{\"id\":\"gold\",\"names\":{\"en\":\"Gold\"}}],"
	         "\"attractions\":[\"flume\"],\"keys\":[],\"clock\":{\"now_ms\":%lld,\"speed\":1,"
	         "\"demo\":true},\"updated\":2}",
	         (long long)(s0 - 600) * 1000);
	vq_bus_msg m = {.kind = VQ_BUS_MESSAGE,
	                .topic = "vq/v1/t/state/_site",
	                .suffix = "state/_site",
	                .payload = live,
	                .len = strlen(live)};
	ck_assert_int_ge(vq_sitestate_feed(ss, &m, (s0 - 600) * 1000 - 180000), 0);
	v = view(b, ss, 8, (s0 - 600) * 1000 - 180000);
	ck_assert_int_eq(v->clock_skew_min, -3);
	ck_assert_int_eq(v->clock_min, (s0 - 600) / 60);
	char hm[VQ_BOARD_TIME_MAX];
	vq_board_hhmm(v->zone, v->clock_min * 60, hm);
	ck_assert_str_eq(hm, "03:20 UTC+3");
	vq_sitestate_free(ss);
	vq_board_free(b);
}
END_TEST

START_TEST(test_opening_hours)
{
	utc();
	vq_board *b = board("flume", "en", 0, 0);
	vq_sitestate *ss = sitestate();
	presence(ss, 1, NOW0);
	site(ss, "[\"en\"]", NOW0);

	/* Before opening (park time T0 = 10:00, opens 10:30): says when, not an empty "now". */
	hours(ss, T0 + 1800, T0 + 8 * 3600, NOW0);
	const vq_board_view *v = view(b, ss, 8, NOW0);
	ck_assert_int_eq(v->rows[0].status, VQ_BOARD_OPEN);
	ck_assert_int_eq(v->rows[0].hours, VQ_BOARD_BEFORE_HOURS);
	ck_assert_int_eq(v->rows[0].opens, T0 + 1800);
	ck_assert_ptr_nonnull(strstr(describe(ss, v, 0), "flume open hours=before@10:30 "));
	/* The board wakes for the opening itself, with no message arriving. */
	ck_assert(vq_board_next_change(b, ss, 8, NOW0) <= NOW0 + 1800 * 1000);
	/* By the park's clock, which moves on: at 10:30 it is simply open. */
	v = view(b, ss, 8, NOW0 + 1800 * 1000);
	ck_assert_int_eq(v->rows[0].hours, VQ_BOARD_IN_HOURS);
	ck_assert_ptr_null(strstr(describe(ss, v, 0), "hours="));

	/* In hours. */
	hours(ss, T0 - 3600, T0 + 3600, NOW0);
	v = view(b, ss, 8, NOW0);
	ck_assert_int_eq(v->rows[0].hours, VQ_BOARD_IN_HOURS);
	ck_assert_int_eq(v->rows[0].admits_upto, 0); /* nothing admitted now: no promise */

	/* Admitting: in the gate's own terms. At 10:05 with 5 minutes' early grace, every
	 * return time up to 10:10 is welcome, whatever the slots under way run to. */
	feed(ss, NULL, "state/flume", NOW0,
	     "{\"v\":1,\"attraction\":\"flume\",\"kind\":\"ride\",\"names\":{\"en\":"
	     "\"Flume\"},\"status\":\"open\",\"admitting\":{\"from\":%lld,\"until\":%lld},"
	     "\"next\":{\"standard\":null,\"gold\":null},\"prefix\":\"F\","
	     "\"early_grace_min\":5,\"late_grace_min\":15,\"opens\":%lld,\"closes\":%lld,"
	     "\"updated\":%lld}",
	     (long long)T0 - 3600, (long long)T0 + 3600, (long long)T0 - 3600,
	     (long long)T0 + 8 * 3600, (long long)T0 + 300);
	v = view(b, ss, 8, NOW0);
	ck_assert_int_eq(v->rows[0].admits_upto, T0 + 600);
	ck_assert_ptr_nonnull(strstr(describe(ss, v, 0), " upto=10:10 "));
	v = view(b, ss, 8, NOW0 + 59000);
	ck_assert_int_eq(v->rows[0].admits_upto, T0 + 600);
	v = view(b, ss, 8, NOW0 + 60000);
	ck_assert_int_eq(v->rows[0].admits_upto, T0 + 660);

	/* Closing time is already closed. */
	hours(ss, T0 - 8 * 3600, T0, NOW0);
	v = view(b, ss, 8, NOW0);
	ck_assert_int_eq(v->rows[0].hours, VQ_BOARD_AFTER_HOURS);
	ck_assert_int_eq(v->rows[0].opens, 0);
	ck_assert_ptr_nonnull(strstr(describe(ss, v, 0), "flume open hours=after "));

	/* Hours unknown (an older vqd): never claimed closed. */
	hours(ss, 0, 0, NOW0);
	v = view(b, ss, 8, NOW0);
	ck_assert_int_eq(v->rows[0].hours, VQ_BOARD_IN_HOURS);

	vq_sitestate_free(ss);
	vq_board_free(b);
}
END_TEST

static Suite *display_suite(void)
{
	Suite *s = suite_create("display");
	TCase *tc = tcase_create("model");
	tcase_add_test(tc, test_options);
	tcase_add_test(tc, test_staleness);
	tcase_add_test(tc, test_idle_view_is_equal);
	tcase_add_test(tc, test_called_numbers);
	tcase_add_test(tc, test_languages);
	tcase_add_test(tc, test_status);
	tcase_add_test(tc, test_opening_hours);
	tcase_add_test(tc, test_clock_changes_and_skew);
	tcase_add_test(tc, test_pages);
	tcase_add_test(tc, test_layout);
	suite_add_tcase(s, tc);

	tc = tcase_create("render");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_render_fits);
	tcase_add_test(tc, test_render_colours);
	tcase_add_test(tc, test_render_newest_numbers);
	suite_add_tcase(s, tc);

	tc = tcase_create("program");
	tcase_add_unchecked_fixture(tc, suite_setup, suite_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_live_board);
	tcase_add_test(tc, test_frames_no_broker);
	tcase_add_test(tc, test_live_voice);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(display_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
