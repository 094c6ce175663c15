/* display/display_main.c — vq-display, the fast-lane board: the program.
 *
 * Owns the process: options, the window, the bus, the clock and the loop. The loop
 * sleeps until a message arrives or the model's next clock-driven change is due
 * (wait_input), makes the view, and draws only if it differs from the one on screen:
 * an idle board does no drawing at all, and wakes about once a second. SIGINT/SIGTERM
 * end it (status 0), writing --screenshot first; SIGUSR1 writes --screenshot at once,
 * for tests and operators.
 *
 *   vq-display --site demo --user board-1 --credentials run/broker/credentials
 *   vq-display --bench-render 200          (no broker: a synthetic 40-attraction board;
 *                                          --width 3840 --height 2160 for a 4K one)
 */
#include "bus/busopt.h"
#include "client/sitestate.h"
#include "clock/clock.h"
#include "clock/zone.h"
#include "display/display_layout.h"
#include "display/display_model.h"
#include "display/display_render.h"
#include "display/display_synth.h"
#include "display/display_voice.h"
#include "ui/i18n.h"
#include "ui/input.h"
#include "ui/script.h"
#include "ui/ui.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef VQ_DISPLAY_ASSETS
#define VQ_DISPLAY_ASSETS "assets"
#endif

#define POLL_CAP_MS    1000 /* longest sleep: window events (a redraw) wait at most this */
#define FRAMES_TICK_MS 100  /* with --frames: an unchanged frame is shown again this often */
#define DRAIN_MAX      64
#define TRACE_MAX      1024

typedef struct options {
	vq_busopt bo;
	vq_clockopt clk;
	const char *attractions, *lang, *i18n, *font, *font_bold, *screenshot, *script;
	int win_w, win_h, placed, win_x, win_y;
	long stale_s, rotate_s, page_s, called; /* 0: the model's default */
	long width, height;
	int fullscreen, trace;
	long frames;        /* 0: no limit */
	long exit_after_ms; /* 0: never */
	long bench;         /* frames to render; 0: no benchmark */
	long bench_attrs;
	int voice; /* --voice on */
	int quiet_from, quiet_until;
	long volume;
	const char *voice_wav;
} options;

/* The options that take a number, and the range each accepts. */
static const struct num_opt {
	const char *name;
	size_t off;
	long lo, hi;
} NUM_OPTS[] = {
    {"--stale-seconds", offsetof(options, stale_s), 1, 86400},
    {"--lang-rotate", offsetof(options, rotate_s), 0, 3600},
    {"--page-seconds", offsetof(options, page_s), 1, 3600},
    {"--called", offsetof(options, called), 1, VQ_BOARD_CALLED_MAX},
    {"--width", offsetof(options, width), VQ_BOARD_MIN_W, 8192},
    {"--height", offsetof(options, height), VQ_BOARD_MIN_H, 8192},
    {"--frames", offsetof(options, frames), 1, LONG_MAX},
    {"--exit-after-ms", offsetof(options, exit_after_ms), 1, 86400000L},
    {"--bench-render", offsetof(options, bench), 1, 1000000},
    {"--bench-attractions", offsetof(options, bench_attrs), 1, VQ_BOARD_MAX_ATTRS},
    {"--volume", offsetof(options, volume), 0, 100},
};

static volatile sig_atomic_t shot_requested;

static void on_usr1(int sig)
{
	(void)sig;
	shot_requested = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: vq-display [broker options] [clock options] [board options]\n"
	        "%s%s"
	        "board:\n"
	        "  --attractions A,B      the attractions shown, in this order (default: all)\n"
	        "  --stale-seconds S      state older than this is shown as out of date (90)\n"
	        "  --lang L               always this language\n"
	        "  --lang-rotate S        turn through the site's languages every S s (10)\n"
	        "  --page-seconds S       turn pages every S s when rows do not fit (12)\n"
	        "  --called N             numbers kept per attraction, 1..8 (4)\n"
	        "  --width W --height H   logical size (1920x1080); portrait if H > W\n"
	        "  --fullscreen           desktop fullscreen, no cursor\n"
	        "  --window WxH           window size when not full screen (default: the logical\n"
	        "                         size)\n"
	        "  --window-at X,Y        the window's top-left corner on the desktop (centred)\n"
	        "  --i18n DIR             translations (default %s/i18n)\n"
	        "  --font FILE --font-bold FILE\n"
	        "voice (announcements in each of the board's languages, a chime first):\n"
	        "  --voice on|off         speak (off)\n"
	        "  --quiet-hours HH:MM-HH:MM  say nothing in these local hours (none)\n"
	        "  --volume N             0..100 (80)\n"
	        "  --voice-wav FILE       speech into FILE instead of the sound device\n"
	        "testing:\n"
	        "  --frames N             exit after N frames shown (an unchanged frame is shown\n"
	        "                         again every 100 ms, so this ends while nothing changes)\n"
	        "  --exit-after-ms MS     exit after MS ms\n"
	        "  --screenshot FILE      write the frame as PNG on exit and on SIGUSR1\n"
	        "  --script FILE          replay input (ui/script.h)\n"
	        "  --trace                print a line on stdout whenever what is shown changes\n"
	        "  --bench-render N       a synthetic board: N state changes, N page turns, print\n"
	        "                         what each takes to reach the screen (p50/p99/max)\n"
	        "  --bench-attractions N  its size (40)\n",
	        vq_busopt_usage(), vq_clockopt_usage(), VQ_DISPLAY_ASSETS);
}

static int int_arg(const char *s, long lo, long hi, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static int parse_args(int argc, char **argv, options *o)
{
	memset(o, 0, sizeof *o);
	vq_busopt_init(&o->bo, "display");
	vq_clockopt_init(&o->clk);
	o->width = 1920;
	o->height = 1080;
	o->rotate_s = 10;
	o->bench_attrs = 40;
	o->volume = 80;
	char err[256];
	for (int i = 1; i < argc; i++) {
		int r = vq_busopt_parse(&o->bo, argc, argv, &i, err, sizeof err);
		if (r == 0)
			r = vq_clockopt_parse(&o->clk, argc, argv, &i, err, sizeof err);
		if (r < 0) {
			fprintf(stderr, "vq-display: %s\n", err);
			return -1;
		}
		if (r > 0) {
			i--; /* the parser moved past the option; the loop moves once more */
			continue;
		}
		const char *a = argv[i];
		if (!strcmp(a, "--fullscreen")) {
			o->fullscreen = 1;
			continue;
		}
		if (!strcmp(a, "--trace")) {
			o->trace = 1;
			continue;
		}
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			exit(0);
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "vq-display: %s: unknown, or its value is missing\n", a);
			return -1;
		}
		const char *v = argv[++i];
		int bad = 0, known = 1;
		const struct num_opt *num = NULL;
		for (size_t k = 0; k < sizeof NUM_OPTS / sizeof NUM_OPTS[0]; k++)
			if (!strcmp(a, NUM_OPTS[k].name))
				num = &NUM_OPTS[k];
		if (num)
			bad = int_arg(v, num->lo, num->hi, (long *)(void *)((char *)o + num->off));
		else if (!strcmp(a, "--attractions"))
			o->attractions = v;
		else if (!strcmp(a, "--lang"))
			o->lang = v;
		else if (!strcmp(a, "--i18n"))
			o->i18n = v;
		else if (!strcmp(a, "--font"))
			o->font = v;
		else if (!strcmp(a, "--font-bold"))
			o->font_bold = v;
		else if (!strcmp(a, "--screenshot"))
			o->screenshot = v;
		else if (!strcmp(a, "--script"))
			o->script = v;
		else if (!strcmp(a, "--voice"))
			bad = !((o->voice = !strcmp(v, "on")) || !strcmp(v, "off"));
		else if (!strcmp(a, "--quiet-hours"))
			bad = board_voice_parse_quiet(v, &o->quiet_from, &o->quiet_until) != VQ_OK;
		else if (!strcmp(a, "--voice-wav"))
			o->voice_wav = v;
		else if (!strcmp(a, "--window"))
			bad = vq_ui_parse_size(v, &o->win_w, &o->win_h) != 0;
		else if (!strcmp(a, "--window-at"))
			bad = !(o->placed = vq_ui_parse_point(v, &o->win_x, &o->win_y) == 0);
		else
			known = 0;
		if (!known) {
			fprintf(stderr, "vq-display: unknown option %s\n", a);
			return -1;
		}
		if (bad) {
			fprintf(stderr, "vq-display: %s: bad value '%s'\n", a, v);
			return -1;
		}
	}
	return 0;
}

static long long mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static double mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Times show in the site's zone (the view's); one this machine does not have shows as
 * UTC, and the log says why, once a zone. */
static void check_zone(const char *z, char *checked, size_t n)
{
	if (!z[0] || strcmp(z, checked) == 0)
		return;
	snprintf(checked, n, "%s", z);
	char err[256];
	if (vq_zone_check(z, err, sizeof err) != VQ_OK)
		fprintf(stderr, "vq-display: %s; times are shown in UTC\n", err);
}

/* --trace: what changed between the view on screen (NULL: none yet) and the next. */
static void trace_view(const vq_sitestate *ss, const vq_board_view *old, const vq_board_view *v,
                       long frame)
{
	const vq_site_view *site = vq_sitestate_site(ss);
	char clock[VQ_BOARD_TIME_MAX], last[VQ_BOARD_TIME_MAX];
	vq_board_hhmm(v->zone, v->clock_min * 60, clock);
	vq_board_hhmm(v->zone, v->last_update, last);
	if (!old || strcmp(old->lang, v->lang) || old->stale != v->stale || old->page != v->page ||
	    old->npages != v->npages || old->clock_min != v->clock_min ||
	    old->last_update != v->last_update || old->total != v->total ||
	    old->clock_skew_min != v->clock_skew_min)
		printf("board lang=%s stale=%s page=%d/%d clock=%s last_update=%s total=%d "
		       "clock_skew_min=%d\n",
		       v->lang, vq_board_stale_name(v->stale), v->page + 1, v->npages, clock,
		       v->last_update ? last : "none", v->total, v->clock_skew_min);
	for (int i = 0; i < v->nrows; i++) {
		const vq_board_row *r = &v->rows[i], *was = NULL;
		for (int k = 0; old && k < old->nrows && !was; k++)
			if (!strcmp(old->rows[k].id, r->id))
				was = &old->rows[k];
		if (was && !memcmp(was, r, sizeof *r))
			continue;
		char line[TRACE_MAX];
		vq_board_row_describe(r, v->zone, site->tiers, v->ntiers, line, sizeof line);
		printf("row %s\n", line);
	}
	printf("frame %ld\n", frame);
	fflush(stdout);
}

static void screenshot(vq_ui *ui, const char *path, int trace)
{
	if (!path)
		return;
	if (vq_ui_screenshot(ui, path) != VQ_OK)
		fprintf(stderr, "vq-display: screenshot %s: %s\n", path, vq_ui_error(ui));
	else if (trace) {
		printf("screenshot %s\n", path);
		fflush(stdout);
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* "p50 1.2 ms, p99 3.4 ms, max 5.6 ms" of n samples (sorted in place). */
static void percentiles(double *ms, long n, char *out, size_t outlen)
{
	qsort(ms, (size_t)n, sizeof *ms, cmp_double);
	long p99 = (n * 99 + 99) / 100 - 1;
	snprintf(out, outlen, "p50 %.1f ms, p99 %.1f ms, max %.1f ms", ms[n / 2],
	         ms[p99 < 0 ? 0 : p99], ms[n - 1]);
}

/* --bench-render: a synthetic board of --bench-attractions attractions at the window's
 * size. Measures, N times each, what a guest waits for, from the change to the frame
 * shown: a state change (one attraction's times and wait, on the page shown: made into a
 * view, drawn, presented), a page or language turn (every text different), and next to
 * them the bare cost of showing an unchanged frame again. */
static int bench(vq_ui *ui, const vq_i18n *t, const vq_board_opts *bopts, const options *o)
{
	vq_sitestate *ss = NULL;
	vq_board *b = NULL;
	vq_board_screen *scr = NULL;
	vq_board_view *v = calloc(1, sizeof *v);
	double *ms = calloc((size_t)o->bench, sizeof *ms);
	int status = 1;
	char err[256], a[96], c[96], d[96];
	vq_board_opts bo = *bopts;
	bo.lang = NULL;
	bo.lang_rotate_s = 1;
	bo.page_s = 1;
	bo.stale_s = 86400; /* the benchmark's clock runs on; its times stay current */
	const int64_t park_s = 1798801200; /* 2027-01-01 11:00 UTC */
	int64_t now_ms = 1798801200000LL;
	if (!v || !ms || vq_sitestate_new(&ss) != VQ_OK ||
	    vq_board_new(&bo, &b, err, sizeof err) != VQ_OK)
		goto cleanup;
	vq_board_synth_opts so = {(int)o->bench_attrs, 4, park_s, now_ms, 1};
	if (vq_board_synth(ss, b, &so) != VQ_OK) {
		fprintf(stderr, "vq-display: the synthetic board did not load\n");
		goto cleanup;
	}
	vq_board_layout l;
	if (vq_board_layout_make((int)o->width, (int)o->height, (int)o->bench_attrs, &l) != VQ_OK)
		goto cleanup;

	vq_board_render_stats st;
	int clipped = 0, min_px = INT_MAX;
	if (vq_board_screen_new(&scr) != VQ_OK)
		goto cleanup;
	double t0 = mono_s();
	vq_board_view_make(b, ss, l.rows, now_ms, v);
	vq_board_screen_draw(scr, ui, &l, v, t, &st);
	vq_ui_present(ui);
	double first = (mono_s() - t0) * 1000;

	/* page and language turns: each frame another page or language (caches warm after
	 * the first round of them) */
	for (long i = 0; i < o->bench; i++) {
		double s0 = mono_s();
		vq_board_view_make(b, ss, l.rows, now_ms + (i + 1) * 1000, v);
		vq_board_screen_draw(scr, ui, &l, v, t, &st);
		vq_ui_present(ui);
		ms[i] = (mono_s() - s0) * 1000;
		clipped += st.clipped + st.midword;
		if (st.min_px < min_px)
			min_px = st.min_px;
	}
	percentiles(ms, o->bench, a, sizeof a);

	/* state changes: the page and language stay; one attraction on it changes */
	int64_t fixed = now_ms + 1000LL * (o->bench + 1);
	so.now_ms = fixed;
	vq_board_view_make(b, ss, l.rows, fixed, v);
	vq_board_screen_draw(scr, ui, &l, v, t, &st);
	vq_ui_present(ui);
	for (long i = 0; i < o->bench; i++) {
		double s0 = mono_s();
		vq_board_synth_change(ss, &so, v->page * l.rows, (int)i + 1);
		vq_board_view_make(b, ss, l.rows, fixed, v);
		vq_board_screen_draw(scr, ui, &l, v, t, &st);
		vq_ui_present(ui);
		ms[i] = (mono_s() - s0) * 1000;
		clipped += st.clipped + st.midword;
	}
	percentiles(ms, o->bench, c, sizeof c);

	/* the bare cost: the whole frame copied to the window again */
	for (long i = 0; i < o->bench; i++) {
		double s0 = mono_s();
		vq_ui_repaint(ui);
		ms[i] = (mono_s() - s0) * 1000;
	}
	percentiles(ms, o->bench, d, sizeof d);

	printf("bench-render: %d attractions, %dx%d, %d rows a page, %d pages, %ld frames each\n"
	       "  state change to screen: %s\n"
	       "  page or language turn:  %s (first frame, cold: %.1f ms)\n"
	       "  bare whole-frame copy:  %s\n"
	       "  clipped or broken texts %d; smallest text %d px (1/36 of the shorter side: "
	       "%d px)\n",
	       (int)o->bench_attrs, (int)o->width, (int)o->height, l.rows, v->npages, o->bench, c,
	       a, first, d, clipped, min_px,
	       (int)((o->width < o->height ? o->width : o->height) / 36.0 + 0.5));
	screenshot(ui, o->screenshot, 0);
	status = 0;
cleanup:
	vq_board_screen_free(scr);
	free(ms);
	free(v);
	vq_board_free(b);
	vq_sitestate_free(ss);
	return status;
}

/* The board's voice (--voice on): what it says, and to whom it says it. */
typedef struct voice {
	const options *o;
	const vq_i18n *t;
	vq_speech *sp;
	board_voice *bv; /* made once the site's languages are known */
	char attrs[VQ_BOARD_MAX_ATTRS][VQ_ID_MAX];
	const char *attr_ptrs[VQ_BOARD_MAX_ATTRS];
	int nattrs;
} voice;

static void speech_log(void *ctx, const char *line)
{
	(void)ctx;
	fprintf(stderr, "vq-display: %s\n", line);
}

static int local_minute(void)
{
	time_t now = time(NULL);
	struct tm tm;
	return localtime_r(&now, &tm) ? tm.tm_hour * 60 + tm.tm_min : 0;
}

static int voice_ready(voice *vc, const vq_sitestate *ss)
{
	if (vc->bv)
		return 1;
	const vq_site_view *site = vq_sitestate_site(ss);
	if (!site->known)
		return 0;
	board_voice_opts bo = {.i18n = vc->t,
	                       .attrs = vc->attr_ptrs,
	                       .nattrs = vc->nattrs,
	                       .quiet_from = vc->o->quiet_from,
	                       .quiet_until = vc->o->quiet_until};
	if (vc->o->lang)
		bo.langs[bo.nlangs++] = vc->o->lang;
	for (int i = 0; !vc->o->lang && i < site->nlangs && bo.nlangs < VQ_SPEECH_PARTS_MAX; i++)
		bo.langs[bo.nlangs++] = site->langs[i];
	return board_voice_new(&bo, &vc->bv) == VQ_OK;
}

static void say(voice *vc, const board_announcement *a)
{
	vq_speech_part parts[VQ_SPEECH_PARTS_MAX];
	int n = board_voice_parts(a, parts);
	if (vc->o->trace)
		printf("say kind=%s attr=%s parts=%d text=%s\n", a->kind, a->attr, n, a->text[0]);
	if (vq_speech_say_parts(vc->sp, parts, n) != VQ_OK)
		fprintf(stderr, "vq-display: speech queue full: dropped %s %s\n", a->kind, a->attr);
}

/* A new events/admission (the board took it): a number a desk calls, perhaps. */
static void voice_admission(voice *vc, const vq_sitestate *ss, const vq_bus_msg *m)
{
	vq_board_admission ad;
	board_announcement a;
	if (vq_board_admission_parse(m, &ad) == 1 && ad.ticket > 0 &&
	    board_voice_admission(vc->bv, ss, ad.attr, ad.number, ad.gate, (uint64_t)ad.ticket,
	                          local_minute(), &a))
		say(vc, &a);
}

static void drain(vq_bus *bus, vq_sitestate *ss, vq_board *b, int64_t now_ms, voice *vc)
{
	vq_bus_msg *msgs[DRAIN_MAX];
	size_t n;
	int changed = 0;
	do {
		n = 0;
		if (vq_bus_poll(bus, msgs, DRAIN_MAX, &n, 0) != VQ_OK)
			return;
		for (size_t i = 0; i < n; i++) {
			const vq_bus_msg *m = msgs[i];
			int rs = vq_sitestate_feed(ss, m, now_ms);
			int rb = vq_board_feed(b, m, now_ms);
			if (rs < 0 || rb < 0)
				fprintf(stderr, "vq-display: ignored a bad message on %s\n",
				        m->suffix);
			changed |= rs == 1;
			if (vc && rb == 1 && voice_ready(vc, ss))
				voice_admission(vc, ss, m);
			vq_bus_msg_free(msgs[i]);
		}
	} while (n == DRAIN_MAX);
	board_announcement a[8];
	int k = vc && changed && voice_ready(vc, ss)
	            ? board_voice_state(vc->bv, ss, local_minute(), a, 8)
	            : 0;
	for (int i = 0; i < k; i++)
		say(vc, &a[i]);
}

/* Waits up to wait_ms for the next thing to do. vq_ui_poll looks at SDL's queue every
 * 10 ms slice while it waits on the bus fd; a board has almost no input, so it takes
 * SDL's events without waiting and sleeps in poll() on the bus fd for as long as it can; a signal
 * (SIGTERM becomes SDL's quit, SIGUSR1 a screenshot) interrupts that sleep. A replayed script needs
 * vq_ui_poll's own clock, so it keeps it. */
static int wait_input(vq_ui *ui, vq_bus *bus, int script, int wait_ms, vq_input *in)
{
	if (script)
		return vq_ui_poll(ui, in, wait_ms);
	int rc = vq_ui_poll(ui, in, 0);
	if (rc != VQ_OK || in->kind != VQ_IN_NONE || wait_ms <= 0)
		return rc;
	struct pollfd pf = {vq_bus_fd(bus), POLLIN, 0};
	if (poll(&pf, 1, wait_ms) > 0)
		in->kind = VQ_IN_BUS;
	return VQ_OK;
}

/* The live board: follows the bus until told to stop. */
static int live(vq_ui *ui, const vq_i18n *t, vq_board *b, const options *o)
{
	vq_sitestate *ss = NULL;
	vq_bus *bus = NULL;
	vq_board_screen *scr = NULL;
	vq_board_view *shown = calloc(1, sizeof *shown), *next = calloc(1, sizeof *next);
	int status = 1;
	char err[256];
	voice vc = {.o = o, .t = t};
	if (!shown || !next || vq_sitestate_new(&ss) != VQ_OK || vq_board_screen_new(&scr) != VQ_OK)
		goto cleanup;
	vq_sitestate_set_log(ss, vq_sitestate_log_stderr, (void *)"vq-display");
	vq_busopt bo = o->bo;
	if (vq_busopt_finish(&bo, err, sizeof err) != VQ_OK) {
		fprintf(stderr, "vq-display: %s\n", err);
		goto cleanup;
	}
	bo.opts.state_messages = true;
	int rc = vq_bus_new(&bo.opts, &bus);
	if (rc == VQ_OK)
		rc = vq_sitestate_subscribe(bus);
	if (rc == VQ_OK)
		rc = vq_board_subscribe(bus);
	if (rc == VQ_OK)
		rc = vq_bus_start(bus);
	if (rc != VQ_OK) {
		fprintf(stderr, "vq-display: bus: %s\n", vq_strerror(rc));
		goto cleanup;
	}
	vq_ui_watch_fd(ui, vq_bus_fd(bus));
	if (o->voice) {
		vq_speech_opts so = {
		    .wav_path = o->voice_wav, .volume = (int)o->volume, .log = speech_log};
		if (vq_speech_new(&so, &vc.sp) != VQ_OK) {
			fprintf(stderr, "vq-display: --voice on: espeak-ng cannot start\n");
			goto cleanup;
		}
		for (const char *p = o->attractions; p && *p && vc.nattrs < VQ_BOARD_MAX_ATTRS;) {
			size_t len = strcspn(p, ",");
			snprintf(vc.attrs[vc.nattrs], VQ_ID_MAX, "%.*s", (int)len, p);
			vc.attr_ptrs[vc.nattrs] = vc.attrs[vc.nattrs];
			vc.nattrs++;
			p += len + (p[len] == ',');
		}
	}
	if (o->script) {
		vq_script *s = NULL;
		if (vq_script_load(o->script, &s, err, sizeof err) != VQ_OK ||
		    vq_ui_replay(ui, s, 0, 0) != VQ_OK) {
			fprintf(stderr, "vq-display: script: %s\n", err);
			goto cleanup;
		}
	}

	char tz[64] = "";
	vq_board_layout l;
	int lay_count = -1, have = 0, redraw = 0;
	long frames = 0;
	long long deadline = o->exit_after_ms ? mono_ms() + o->exit_after_ms : 0, shown_at = 0;
	for (;;) {
		int64_t now = vq_ui_now_ms(ui);
		const vq_site_view *site = vq_sitestate_site(ss);
		if (site->known)
			check_zone(site->timezone, tz, sizeof tz);
		int count = vq_board_count(b, ss);
		if (count != lay_count) {
			if (vq_board_layout_make((int)o->width, (int)o->height,
			                         count > 0 ? count : 1, &l) != VQ_OK) {
				fprintf(stderr, "vq-display: no layout for %ldx%ld\n", o->width,
				        o->height);
				goto cleanup;
			}
			lay_count = count;
			redraw = 1;
		}
		vq_board_view_make(b, ss, l.rows, now, next);
		if (!have || redraw || memcmp(shown, next, sizeof *next) != 0) {
			vq_board_render_stats st;
			if (redraw)
				vq_board_screen_forget(scr);
			vq_board_screen_draw(scr, ui, &l, next, t, &st);
			vq_ui_present(ui);
			if (st.errors)
				fprintf(stderr, "vq-display: drawing: %s\n", vq_ui_error(ui));
			frames++;
			if (o->trace)
				trace_view(ss, have ? shown : NULL, next, frames);
			vq_board_view *tmp = shown;
			shown = next;
			next = tmp;
			have = 1;
			redraw = 0;
			shown_at = mono_ms();
		} else if (o->frames && mono_ms() - shown_at >= FRAMES_TICK_MS) {
			/* --frames counts frames shown: an unchanged one is shown again every
			 * FRAMES_TICK_MS, so the count is reached even while nothing changes */
			vq_ui_present(ui);
			frames++;
			shown_at = mono_ms();
			if (o->trace)
				printf("frame %ld\n", frames);
		}
		if (o->frames && frames >= o->frames)
			break;
		if (shot_requested) {
			shot_requested = 0;
			screenshot(ui, o->screenshot, o->trace);
		}
		long long mono = mono_ms();
		if (deadline && mono >= deadline)
			break;

		int64_t due = vq_board_next_change(b, ss, l.rows, now);
		int64_t wait = due == INT64_MAX ? POLL_CAP_MS : due - now;
		if (o->frames && wait > shown_at + FRAMES_TICK_MS - mono)
			wait = shown_at + FRAMES_TICK_MS - mono;
		if (deadline && deadline - mono < wait)
			wait = deadline - mono;
		wait = wait < 0 ? 0 : wait > POLL_CAP_MS ? POLL_CAP_MS : wait;
		vq_input in;
		if (wait_input(ui, bus, o->script != NULL, (int)wait, &in) != VQ_OK) {
			fprintf(stderr, "vq-display: %s\n", vq_ui_error(ui));
			goto cleanup;
		}
		if (in.kind == VQ_IN_QUIT)
			break;
		if (in.kind == VQ_IN_BUS)
			drain(bus, ss, b, vq_ui_now_ms(ui), vc.sp ? &vc : NULL);
		else if (in.kind == VQ_IN_REDRAW)
			redraw = 1;
	}
	screenshot(ui, o->screenshot, o->trace);
	status = 0;
cleanup:
	board_voice_free(vc.bv);
	vq_speech_free(vc.sp);
	vq_ui_watch_fd(ui, -1);
	vq_board_screen_free(scr);
	vq_bus_free(bus);
	vq_sitestate_free(ss);
	free(shown);
	free(next);
	return status;
}

int main(int argc, char **argv)
{
	options o;
	if (parse_args(argc, argv, &o) != 0) {
		usage(stderr);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	/* SDL makes SIGINT and SIGTERM a quit, but takes them only from the default handler,
	 * and a background job of a shell starts with SIGINT ignored: a SIGINT to the whole
	 * group (Ctrl-C, timeout -s INT) would leave the board running. */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_usr1;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);

	int status = 1;
	char err[512];
	vq_i18n *t = NULL;
	vq_ui *ui = NULL;
	vq_board *b = NULL;
	vq_clock clock;
	char dir[1024];
	const char *env = getenv("VQ_I18N_DIR");
	snprintf(dir, sizeof dir, "%s",
	         o.i18n        ? o.i18n
	         : env && *env ? env
	                       : VQ_DISPLAY_ASSETS "/i18n");
	if (vq_i18n_load(dir, &t, err, sizeof err) != VQ_OK) {
		fprintf(stderr, "vq-display: translations: %s\n", err);
		goto cleanup;
	}
	/* the site's clock, as every program of the site takes it (the zone comes later) */
	if (vq_clock_init(&clock, &o.clk, NULL, err, sizeof err) != VQ_OK) {
		fprintf(stderr, "vq-display: %s\n", err);
		status = 2;
		goto cleanup;
	}
	if (o.lang && !vq_i18n_has_lang(t, o.lang)) {
		fprintf(stderr, "vq-display: --lang %s: no translation in %s\n", o.lang, dir);
		goto cleanup;
	}
	const char *langs[VQ_MAX_LANGS];
	int nlangs = 0;
	for (size_t i = 0; i < vq_i18n_lang_count(t) && nlangs < VQ_MAX_LANGS; i++)
		langs[nlangs++] = vq_i18n_lang_at(t, i);
	vq_board_opts bo = {.attractions = o.attractions,
	                    .stale_s = (int)o.stale_s,
	                    .called = (int)o.called,
	                    .page_s = (int)o.page_s,
	                    .lang = o.lang,
	                    .lang_rotate_s = (int)o.rotate_s,
	                    .langs = langs,
	                    .nlangs = nlangs};
	if (vq_board_new(&bo, &b, err, sizeof err) != VQ_OK) {
		fprintf(stderr, "vq-display: %s\n", err);
		status = 2;
		goto cleanup;
	}
	vq_ui_opts uo = {.title = "vq-display · fast-lane board",
	                 .width = (int)o.width,
	                 .height = (int)o.height,
	                 .window_width = o.win_w,
	                 .window_height = o.win_h,
	                 .window_placed = o.placed,
	                 .window_x = o.win_x,
	                 .window_y = o.win_y,
	                 .fullscreen = o.fullscreen,
	                 .font_regular = o.font,
	                 .font_bold = o.font_bold,
	                 .clock = &clock};
	if (vq_ui_new(&uo, &ui, err, sizeof err) != VQ_OK) {
		fprintf(stderr, "vq-display: window: %s\n", err);
		goto cleanup;
	}
	status = o.bench ? bench(ui, t, &bo, &o) : live(ui, t, b, &o);
cleanup:
	vq_board_free(b);
	vq_ui_free(ui);
	vq_i18n_free(t);
	return status;
}
