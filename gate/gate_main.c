/* gate/gate_main.c — vq-gate: the program staff run at a fast-lane entrance.
 *
 * Owns the process: options, the files (journal, site cache, site config), the bus, the
 * window, the sound, and the loop  input -> gate_update -> gate_render (only when dirty).
 * Everything the gate decides is in gate/gate_state.c; this file only wires it up.
 *
 * Replaying a script (--script), the loop lets the network settle before each step: it
 * waits (boundedly) for the bus to connect and the site's state to arrive at start, and
 * for every request in flight to be answered, so a script's `screenshot` after a `scan`
 * shows vqd's verdict whatever the machine's speed. Live, nothing ever waits: the bus is
 * one more input.
 */
#include <SDL.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus/busopt.h"
#include "client/sitestate.h"
#include "clock/clock.h"
#include "gate/gate_audio.h"
#include "gate/gate_journal.h"
#include "gate/gate_render.h"
#include "gate/gate_state.h"
#include "ui/i18n.h"
#include "ui/input.h"
#include "ui/script.h"
#include "ui/ui.h"

#ifndef VQ_ASSETS_DIR
#define VQ_ASSETS_DIR "assets"
#endif

#define LOGICAL_W      1280
#define LOGICAL_H      800
#define STARTUP_SETTLE 4000 /* ms a script waits at most for the broker and the site */
#define QUIET_MS       200  /* after that, until the retained state stops arriving */
#define MAX_IDLE_WAIT  1000
#define FRAMES_TICK_MS 100 /* with --frames: an unchanged frame is shown again this often */
#define CONFIG_MAX     (4L << 20)

struct args {
	const char *attraction, *lang, *combo, *journal, *site_cache, *site_config, *assets;
	const char *screenshot, *script, *window, *window_at;
	gate_combo quit;
	double screen_mm;
	int fullscreen, frames, virtual_clock, trace, mute, timeout_ms, verdict_ms;
	vq_busopt bo;
	vq_clockopt clk;
};

struct app {
	struct args a;
	vq_i18n *i18n;
	vq_site *config;
	vq_sitestate *ss;
	gate_journal *j;
	vq_bus *bus;
	vq_ui *ui;
	gate_audio *audio;
	gate *g;
	vq_clock clock; /* the site's clock: verdicts, the journal and the screen use it */
	char journal_path[512], cache_path[512];
	/* journal/<self> as last published: its count, and the connection it went out on */
	int journal_told;
	uint64_t journal_connects;
};

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: vq-gate --attraction ID --user NAME [options]\n"
	        "  --attraction ID       the attraction this gate admits to (required)\n"
	        "  --lang L              language of the screen (default en)\n"
	        "  --fullscreen          fill the screen, no cursor\n"
	        "  --window WxH          window size when not full screen (1280x800)\n"
	        "  --window-at X,Y       the window's top-left corner on the desktop (centred)\n"
	        "  --screen-mm MM        visible width of the screen in mm (touch sizes)\n"
	        "  --staff-combo KEYS    quit (default ctrl+alt+shift+q)\n"
	        "  --timeout-ms N        a redeem without reply this long: offline (default 1500)\n"
	        "  --verdict-ms N        how long a verdict stays up (default 6000)\n"
	        "  --journal FILE        offline journal (default vq-gate-<user>.journal)\n"
	        "  --site-cache FILE     state/_site kept for offline starts\n"
	        "                        (default vq-gate-<user>.site.json)\n"
	        "  --site-config FILE    the site config vqd runs: exact offline rules\n"
	        "  --assets DIR          folder with i18n/ (default %s)\n"
	        "  --mute                no sound\n"
	        "  --trace               one line per verdict and sync result on stdout\n"
	        "  --script FILE         replay input (ui/script.h) instead of real input\n"
	        "  --virtual-clock       the script's time is virtual (wait/clock steps),\n"
	        "                        starting at --clock-start\n"
	        "  --frames N            quit after N frames shown (an unchanged frame is shown\n"
	        "                        again every 100 ms once the park's state is in)\n"
	        "  --screenshot FILE     write the last frame there at exit\n"
	        "%s%s",
	        VQ_ASSETS_DIR, vq_clockopt_usage(), vq_busopt_usage());
}

static int parse_int(const char *s, int lo, int hi, int *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < lo || v > hi)
		return -1;
	*out = (int)v;
	return 0;
}

/* 0 ok, 1 help printed, 2 usage error. */
static int parse_args(int argc, char **argv, struct args *a)
{
	char err[256];
	memset(a, 0, sizeof *a);
	a->combo = "ctrl+alt+shift+q";
	a->lang = "en";
	a->assets = getenv("VQ_ASSETS") ? getenv("VQ_ASSETS") : VQ_ASSETS_DIR;
	vq_busopt_init(&a->bo, "gate");
	vq_clockopt_init(&a->clk);
	for (int i = 1; i < argc; i++) {
		int r = vq_busopt_parse(&a->bo, argc, argv, &i, err, sizeof err);
		if (r == 0)
			r = vq_clockopt_parse(&a->clk, argc, argv, &i, err, sizeof err);
		if (r < 0) {
			fprintf(stderr, "vq-gate: %s\n", err);
			return 2;
		}
		if (r > 0) {
			i--; /* it moved past its value; the loop's i++ does the rest */
			continue;
		}
		const char *o = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		const char **sp = NULL;
		if (!strcmp(o, "--help") || !strcmp(o, "-h")) {
			usage(stdout);
			return 1;
		} else if (!strcmp(o, "--fullscreen")) {
			a->fullscreen = 1;
			continue;
		} else if (!strcmp(o, "--virtual-clock")) {
			a->virtual_clock = 1;
			continue;
		} else if (!strcmp(o, "--trace")) {
			a->trace = 1;
			continue;
		} else if (!strcmp(o, "--mute")) {
			a->mute = 1;
			continue;
		}
		if (!v) {
			fprintf(stderr, "vq-gate: %s: missing value (or unknown option)\n", o);
			return 2;
		}
		i++;
		if (!strcmp(o, "--attraction"))
			sp = &a->attraction;
		else if (!strcmp(o, "--lang"))
			sp = &a->lang;
		else if (!strcmp(o, "--staff-combo"))
			sp = &a->combo;
		else if (!strcmp(o, "--journal"))
			sp = &a->journal;
		else if (!strcmp(o, "--site-cache"))
			sp = &a->site_cache;
		else if (!strcmp(o, "--site-config"))
			sp = &a->site_config;
		else if (!strcmp(o, "--assets"))
			sp = &a->assets;
		else if (!strcmp(o, "--screenshot"))
			sp = &a->screenshot;
		else if (!strcmp(o, "--script"))
			sp = &a->script;
		else if (!strcmp(o, "--window"))
			sp = &a->window;
		else if (!strcmp(o, "--window-at"))
			sp = &a->window_at;
		if (sp) {
			*sp = v;
			continue;
		}
		int bad = 0;
		if (!strcmp(o, "--frames"))
			bad = parse_int(v, 1, 1000000, &a->frames);
		else if (!strcmp(o, "--timeout-ms"))
			bad = parse_int(v, 50, 600000, &a->timeout_ms);
		else if (!strcmp(o, "--verdict-ms"))
			bad = parse_int(v, 500, 600000, &a->verdict_ms);
		else if (!strcmp(o, "--screen-mm")) {
			char *end;
			a->screen_mm = strtod(v, &end);
			bad = *end || a->screen_mm <= 0 || a->screen_mm > 10000;
		} else {
			fprintf(stderr, "vq-gate: unknown option %s\n", o);
			return 2;
		}
		if (bad) {
			fprintf(stderr, "vq-gate: %s: bad value '%s'\n", o, v);
			return 2;
		}
	}
	if (!a->attraction) {
		fprintf(stderr, "vq-gate: --attraction is required\n");
		return 2;
	}
	int n1, n2;
	if ((a->window && vq_ui_parse_size(a->window, &n1, &n2)) ||
	    (a->window_at && vq_ui_parse_point(a->window_at, &n1, &n2))) {
		fprintf(stderr, "vq-gate: --window wants WxH, --window-at X,Y\n");
		return 2;
	}
	if (gate_combo_parse(a->combo, &a->quit) != VQ_OK) {
		fprintf(stderr, "vq-gate: --staff-combo %s: expected e.g. ctrl+alt+shift+q\n",
		        a->combo);
		return 2;
	}
	if (a->virtual_clock && !a->script) {
		fprintf(stderr, "vq-gate: --virtual-clock needs --script\n");
		return 2;
	}
	if (vq_busopt_finish(&a->bo, err, sizeof err) != VQ_OK) {
		fprintf(stderr, "vq-gate: %s\n", err);
		return 2;
	}
	return 0;
}

/* --- gate_io on the real bus --------------------------------------------------------- */

static int io_request(void *ctx, const char *svc, const char *body, size_t len,
                      char corr[VQ_BUS_CORR_MAX])
{
	struct app *app = ctx;
	return vq_bus_request(app->bus, svc, body, len, corr);
}

static int io_poll(void *ctx, vq_bus_msg **out, size_t max, size_t *n)
{
	struct app *app = ctx;
	return vq_bus_poll(app->bus, out, max, n, 0);
}

static void io_trace(void *ctx, const char *line)
{
	struct app *app = ctx;
	if (!app->a.trace)
		return;
	fprintf(stdout, "%s\n", line);
	fflush(stdout);
}

static void io_cue(void *ctx, int cue)
{
	struct app *app = ctx;
	gate_audio_cue(app->audio, cue);
}

static void io_site_changed(void *ctx)
{
	struct app *app = ctx;
	if (vq_sitestate_save(app->ss, app->cache_path) != VQ_OK)
		fprintf(stderr, "vq-gate: cannot write the site cache %s\n", app->cache_path);
}

/* --- setup --------------------------------------------------------------------------- */

static int load_config(struct app *app)
{
	FILE *f = fopen(app->a.site_config, "rb");
	if (!f) {
		fprintf(stderr, "vq-gate: --site-config %s: %s\n", app->a.site_config,
		        strerror(errno));
		return VQ_ENOTFOUND;
	}
	int rc = VQ_ECONFIG;
	char *buf = malloc(CONFIG_MAX);
	size_t n = buf ? fread(buf, 1, CONFIG_MAX, f) : 0;
	char err[256];
	if (buf && n > 0 && n < CONFIG_MAX)
		rc = vq_site_parse(buf, n, &app->config, err, sizeof err);
	else
		snprintf(err, sizeof err, "unreadable or too large");
	if (rc != VQ_OK)
		fprintf(stderr, "vq-gate: --site-config %s: %s\n", app->a.site_config, err);
	free(buf);
	fclose(f);
	return rc;
}

static int64_t clock_now(const struct app *app)
{
	return vq_ui_now_ms(app->ui);
}

static void drain(struct app *app, int timeout_ms, size_t *got)
{
	vq_bus_msg *msgs[32];
	size_t n = 0;
	*got = 0;
	if (vq_bus_poll(app->bus, msgs, 32, &n, timeout_ms) != VQ_OK)
		return;
	for (size_t i = 0; i < n; i++) {
		gate_on_msg(app->g, msgs[i], clock_now(app));
		vq_bus_msg_free(msgs[i]);
	}
	*got = n;
}

/* journal/<self>, retained: how many of this gate's journal entries (offline admissions,
 * overrides) vqd has not confirmed yet, and since when, for the operators' console. Sent
 * when the count changes and after every (re)connect (the broker keeps no retained
 * message across its restart); it stays when the gate goes, which is when it matters. */
static void publish_journal(struct app *app)
{
	vq_bus_stats st;
	vq_bus_get_stats(app->bus, &st);
	int pending = gate_journal_pending(app->j);
	if (!vq_bus_connected(app->bus) ||
	    (pending == app->journal_told && st.connects == app->journal_connects))
		return;
	/* entries are made and mostly confirmed in order: the first not done is the oldest */
	const gate_jentry *oldest = NULL;
	for (int n = 1; pending > 0 && n <= gate_journal_count(app->j) && !oldest; n++) {
		const gate_jentry *e = gate_journal_entry(app->j, n);
		if (e && e->state != GATE_J_DONE)
			oldest = e;
	}
	char oldest_at[24] = "null", js[512];
	if (oldest)
		snprintf(oldest_at, sizeof oldest_at, "%lld", (long long)oldest->at);
	int n = snprintf(js, sizeof js,
	                 "{\"v\":1,\"gate\":\"%s\",\"attraction\":\"%s\",\"unsynced\":%d,"
	                 "\"oldest\":%s,\"updated\":%lld}",
	                 app->a.bo.user, app->a.attraction, pending, oldest_at,
	                 (long long)(clock_now(app) / 1000));
	char suffix[VQ_BUS_TOPIC_MAX];
	snprintf(suffix, sizeof suffix, "journal/%s", app->a.bo.user);
	if (n > 0 && (size_t)n < sizeof js &&
	    vq_bus_publish(app->bus, suffix, js, (size_t)n, 1, true) == VQ_OK) {
		app->journal_told = pending;
		app->journal_connects = st.connects;
	}
}

/* Replaying: lets the network catch up before the next step (see the top of the file). */
static void settle(struct app *app, int startup)
{
	Uint64 start = SDL_GetTicks64(), quiet_since = 0;
	int timeout = app->a.timeout_ms ? app->a.timeout_ms : 1500;
	Uint64 cap = startup ? STARTUP_SETTLE : (Uint64)timeout + 3000;
	for (;;) {
		int64_t now = clock_now(app);
		gate_tick(app->g, now);
		Uint64 t = SDL_GetTicks64();
		int busy = gate_busy(app->g, now);
		int waiting = busy;
		if (startup && !busy) {
			if (!gate_view_get(app->g)->heard)
				waiting = 1;
			else if (!quiet_since)
				quiet_since = t, waiting = 1;
			else
				waiting = t - quiet_since < QUIET_MS;
		}
		if (!waiting || t - start >= cap)
			return;
		size_t got;
		drain(app, 20, &got);
		if (got)
			quiet_since = 0;
	}
}

static int run(struct app *app)
{
	int frames = 0, rc = 0, first = 1;
	int replaying = app->a.script != NULL;
	Uint64 shown_at = 0;
	for (;;) {
		if (replaying) {
			settle(app, first);
			first = 0;
		}
		int64_t now = clock_now(app);
		gate_tick(app->g, now);
		publish_journal(app);
		if (gate_quit(app->g))
			break;
		if (gate_dirty(app->g)) {
			int clipped = 0;
			gate_render(app->g, app->ui, &clipped);
			vq_ui_present(app->ui);
			gate_clean(app->g);
			shown_at = SDL_GetTicks64();
			if (app->a.frames && ++frames >= app->a.frames)
				break;
		} else if (app->a.frames && SDL_GetTicks64() - shown_at >= FRAMES_TICK_MS &&
		           (gate_view_get(app->g)->heard || SDL_GetTicks64() >= STARTUP_SETTLE)) {
			/* --frames counts frames shown, as the board's does: an unchanged one is
			 * shown again every FRAMES_TICK_MS, so the count is reached even when
			 * nothing changes for a minute; not before the park's state is in (or
			 * the broker had its time), so a capture shows the gate as staff see it */
			vq_ui_present(app->ui);
			shown_at = SDL_GetTicks64();
			if (++frames >= app->a.frames)
				break;
		}
		vq_input in;
		int wait =
		    gate_wait_ms(app->g, now, app->a.frames ? FRAMES_TICK_MS : MAX_IDLE_WAIT);
		int prc = vq_ui_poll(app->ui, &in, wait);
		if (prc != VQ_OK) {
			fprintf(stderr, "vq-gate: %s\n", vq_ui_error(app->ui));
			rc = 1;
			break;
		}
		gate_update(app->g, &in, clock_now(app));
		if (gate_quit(app->g)) {
			if (replaying)
				settle(app, 0); /* what the last step started gets its answer */
			if (gate_dirty(app->g)) {
				gate_render(app->g, app->ui, NULL);
				vq_ui_present(app->ui);
			}
			break;
		}
	}
	publish_journal(app); /* the count as the gate leaves it */
	if (app->a.screenshot && vq_ui_screenshot(app->ui, app->a.screenshot) != VQ_OK) {
		fprintf(stderr, "vq-gate: screenshot: %s\n", vq_ui_error(app->ui));
		rc = 1;
	}
	return rc;
}

static int setup(struct app *app)
{
	char err[256];
	const struct args *a = &app->a;
	const char *user = a->bo.user;
	if (a->journal)
		snprintf(app->journal_path, sizeof app->journal_path, "%s", a->journal);
	else
		snprintf(app->journal_path, sizeof app->journal_path, "vq-gate-%s.journal", user);
	if (a->site_cache)
		snprintf(app->cache_path, sizeof app->cache_path, "%s", a->site_cache);
	else
		snprintf(app->cache_path, sizeof app->cache_path, "vq-gate-%s.site.json", user);

	char dir[600];
	snprintf(dir, sizeof dir, "%s/i18n", a->assets);
	if (vq_i18n_load(dir, &app->i18n, err, sizeof err) != VQ_OK) {
		fprintf(stderr, "vq-gate: translations: %s\n", err);
		return VQ_ENOTFOUND;
	}
	if (a->site_config && load_config(app) != VQ_OK)
		return VQ_ECONFIG;
	if (vq_sitestate_new(&app->ss) != VQ_OK)
		return VQ_ENOMEM;
	vq_sitestate_set_log(app->ss, vq_sitestate_log_stderr, (void *)"vq-gate");
	/* A gate started while vqd is away still has the keys it saw last. */
	FILE *cf = fopen(app->cache_path, "rb");
	int cached = 0;
	if (cf) {
		fclose(cf);
		cached = vq_sitestate_load(app->ss, app->cache_path, 0) == VQ_OK;
		if (!cached)
			fprintf(stderr, "vq-gate: site cache %s unreadable; ignored\n",
			        app->cache_path);
	}
	/* the site's clock; an HH:MM start is in the site's zone, if the gate knows it */
	const char *zone = app->config ? vq_site_timezone(app->config)
	                   : cached    ? vq_sitestate_site(app->ss)->timezone
	                               : NULL;
	if (vq_clock_init(&app->clock, &a->clk, zone, err, sizeof err) != VQ_OK) {
		fprintf(stderr, "vq-gate: %s\n", err);
		return VQ_EINVAL;
	}
	int64_t now_ms = vq_clock_now_ms(&app->clock);
	int rc =
	    gate_journal_open(app->journal_path, user, now_ms / 1000, &app->j, err, sizeof err);
	if (rc != VQ_OK) {
		fprintf(stderr, "vq-gate: %s\n", err[0] ? err : vq_strerror(rc));
		return rc;
	}
	if (gate_journal_skipped(app->j) || gate_journal_torn(app->j))
		fprintf(stderr, "vq-gate: journal %s: %d bad lines skipped, %ld torn bytes cut\n",
		        app->journal_path, gate_journal_skipped(app->j), gate_journal_torn(app->j));
	if (gate_journal_gaps(app->j))
		fprintf(stderr,
		        "vq-gate: journal %s: %d entry numbers missing (lost by an earlier "
		        "failed write); every entry after them is kept\n",
		        app->journal_path, gate_journal_gaps(app->j));

	vq_bus_opts bo = a->bo.opts;
	bo.state_messages = true;
	bo.reconnect_min_ms = 250;
	bo.reconnect_max_ms = 5000;
	if ((rc = vq_bus_new(&bo, &app->bus)) != VQ_OK ||
	    (rc = vq_sitestate_subscribe(app->bus)) != VQ_OK ||
	    (rc = vq_bus_subscribe(app->bus, "events/conflict", 1)) != VQ_OK ||
	    (rc = vq_bus_start(app->bus)) != VQ_OK) {
		fprintf(stderr, "vq-gate: bus: %s\n", vq_strerror(rc));
		return rc;
	}

	char title[128];
	snprintf(title, sizeof title, "vq-gate · fast-lane entrance of %s", a->attraction);
	vq_ui_opts uo = {.title = title,
	                 .width = LOGICAL_W,
	                 .height = LOGICAL_H,
	                 .fullscreen = a->fullscreen,
	                 .screen_width_mm = a->screen_mm,
	                 .clock = &app->clock};
	if (a->window)
		vq_ui_parse_size(a->window, &uo.window_width, &uo.window_height);
	if (a->window_at)
		uo.window_placed = vq_ui_parse_point(a->window_at, &uo.window_x, &uo.window_y) == 0;
	if ((rc = vq_ui_new(&uo, &app->ui, err, sizeof err)) != VQ_OK) {
		fprintf(stderr, "vq-gate: window: %s\n", err);
		return rc;
	}
	vq_ui_watch_fd(app->ui, vq_bus_fd(app->bus));
	/* a virtual clock starts where the site's clock is now (--clock-start) */
	int64_t start_ms = a->clk.start[0] ? vq_clock_now_ms(&app->clock) : 0;
	if (a->script) {
		vq_script *s = NULL;
		if ((rc = vq_script_load(a->script, &s, err, sizeof err)) != VQ_OK) {
			fprintf(stderr, "vq-gate: %s\n", err);
			return rc;
		}
		if ((rc = vq_ui_replay(app->ui, s, a->virtual_clock, start_ms)) != VQ_OK) {
			fprintf(stderr, "vq-gate: %s\n", vq_ui_error(app->ui));
			return rc;
		}
	}
	if (!a->mute && gate_audio_new(&app->audio) != VQ_OK)
		app->audio = NULL; /* no sound device: the gate works silently */

	gate_opts go = {.attraction = a->attraction,
	                .gate_id = user,
	                .lang = a->lang,
	                .i18n = app->i18n,
	                .config = app->config,
	                .timeout_ms = a->timeout_ms,
	                .verdict_ms = a->verdict_ms,
	                .quit = a->quit,
	                .width = LOGICAL_W,
	                .height = LOGICAL_H};
	if (!vq_i18n_has_lang(app->i18n, a->lang))
		fprintf(stderr, "vq-gate: no translation for %s; English shown\n", a->lang);
	gate_io io = {.ctx = app,
	              .request = io_request,
	              .poll = io_poll,
	              .trace = io_trace,
	              .cue = io_cue,
	              .site_changed = io_site_changed};
	if ((rc = gate_new(&go, app->ss, app->j, &io, &app->g)) != VQ_OK) {
		fprintf(stderr, "vq-gate: %s\n", vq_strerror(rc));
		return rc;
	}
	return VQ_OK;
}

static void teardown(struct app *app)
{
	gate_free(app->g);
	gate_audio_free(app->audio);
	vq_ui_free(app->ui);
	vq_bus_free(app->bus);
	gate_journal_free(app->j);
	vq_sitestate_free(app->ss);
	vq_site_free(app->config);
	vq_i18n_free(app->i18n);
}

int main(int argc, char **argv)
{
	static struct app app;
	int r = parse_args(argc, argv, &app.a);
	if (r == 1)
		return 0;
	if (r != 0) {
		usage(stderr);
		return 2;
	}
	/* SIGINT and SIGTERM end the gate (SDL makes them a quit). SDL takes them only from
	 * the default handler, and a background job of a shell starts with SIGINT ignored:
	 * so a SIGINT to the whole group (Ctrl-C, timeout -s INT) would leave us running. */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	int rc = setup(&app) == VQ_OK ? run(&app) : 1;
	teardown(&app);
	return rc;
}
