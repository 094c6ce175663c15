/* kiosk/kiosk_main.c — vq-kiosk, the visitors' program: the window, the bus and the clock
 * around the pure state machine (kiosk_state.h).
 *
 * Owns the process: one vq_ui, one vq_bus, the site's retained state, the correlation
 * ids of the request in flight, signals, and the options. Every decision is the state
 * machine's; this file moves events in and requests, frames and printouts out:
 *
 *	input (ui, script, bus) -> kiosk_update / kiosk_reply / kiosk_link
 *	-> publish kiosk_outgoing -> spool a new ticket -> render if dirty
 *
 * It never blocks on vqd: requests go out with vq_bus_request and their replies come
 * back through vq_bus_poll, matched by correlation data. The one exception is a replayed
 * script: its next step waits (up to --script-hold ms) for the answer to a request in
 * flight, because a script describes what a visitor does after seeing the answer.
 *
 * Quitting: only SIGTERM/SIGINT, the staff combination, --frames, or the end of a
 * replayed script. Closing the window (Alt+F4) is ignored: a kiosk is not a desktop.
 */
#include <SDL.h>
#include <errno.h>
#include <signal.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "bus/busopt.h"
#include "client/sitestate.h"
#include "clock/clock.h"
#include "kiosk/kiosk_spool.h"
#include "kiosk/kiosk_state.h"
#include "kiosk/kiosk_voice.h"
#include "speech/speech.h"
#include "ui/i18n.h"
#include "ui/input.h"
#include "ui/script.h"
#include "ui/ui.h"

#ifndef VQ_KIOSK_I18N_DIR
#define VQ_KIOSK_I18N_DIR "assets/i18n"
#endif

#define MAX_CORRS       8    /* tries of one request whose replies are still accepted */
#define SETTLE_MS       8000 /* longest wait for the park's state before a script starts */
#define POLL_MS         200  /* longest sleep: signals and the link are checked this often */
#define BUS_BATCH       32
#define DEFAULT_HOLD_MS 5000

static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
	(void)sig;
	g_stop = 1;
}

struct opts {
	vq_busopt bus;
	vq_clockopt clock;
	const char *attractions;
	const char *lang;
	const char *i18n_dir;
	const char *spool;
	const char *phone_url;
	const char *script;
	const char *screenshot;
	const char *staff_combo;
	int fullscreen;
	int width, height, win_w, win_h;
	int placed, win_x, win_y;
	double screen_mm;
	int idle_s;
	long frames;
	int virtual_clock;
	int trace;
	int timeout_ms, retry_ms, hold_ms;
	int audio, contrast, large; /* start with these on (kiosk_voice.h: F1, F3, F4) */
	int volume;
	const char *voice_wav;
};

struct app {
	struct opts o;
	vq_clock clock; /* the site's clock (clock/clock.h) */
	vq_ui *ui;
	vq_bus *bus;
	vq_sitestate *site;
	vq_i18n *i18n;
	kiosk *k;
	vq_script *script; /* until replay starts */
	unsigned corr_serial;
	char corrs[MAX_CORRS][VQ_BUS_CORR_MAX];
	int ncorrs;
	int settled;
	long frames;
	int64_t start_mono;
	int64_t hold_until;
	unsigned hold_serial;
	kiosk_voice *kv;
	unsigned idle_wipes; /* kiosk_idle_wipes when the modes were last put back */
	vq_speech *sp;
	int look[4]; /* how the frame on screen was adapted: contrast, large, audio, focus */
};

static void trace_out(void *ctx, const char *line)
{
	(void)ctx;
	fprintf(stdout, "%s\n", line);
	fflush(stdout);
}

static void app_trace(struct app *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void app_trace(struct app *a, const char *fmt, ...)
{
	if (!a->o.trace)
		return;
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* --- options ---------------------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: vq-kiosk [options]\n"
	        "  --attractions A,B,C   attractions this kiosk offers (default: all)\n"
	        "  --lang CODE           first language (en; ru, ro...)\n"
	        "  --fullscreen          full screen, no cursor\n"
	        "  --size WxH            logical size the screens are laid out in (1280x800)\n"
	        "  --window WxH          window size when not full screen (default: --size)\n"
	        "  --window-at X,Y       the window's top-left corner on the desktop (centred)\n"
	        "  --screen-mm WIDTH     visible width of the screen in mm (touch targets are\n"
	        "                        15 mm; default: assume 96 dpi)\n"
	        "  --idle-seconds N      back to the welcome screen after N s untouched (45)\n"
	        "  --staff-combo KEYS    the only keys that quit (ctrl+alt+shift+q)\n"
	        "  --spool DIR           write ticket-<id>.png and .txt here for printing\n"
	        "  --phone-url URL       the guests' phone page (https://park.example/phone/):\n"
	        "                        tickets carry a second QR, URL#<code>\n"
	        "  --i18n DIR            translations (%s)\n"
	        "  --script FILE         replay input from FILE (ui/script.h)\n"
	        "  --virtual-clock       the script's `wait` moves a virtual clock\n"
	        "  --script-hold MS      a script step waits this long for a reply (%d; 0: no)\n"
	        "  --frames N            quit after N frames once the park's state is in\n"
	        "  --screenshot FILE     write the last frame as PNG at exit\n"
	        "  --trace               one line per state change and request on stdout\n"
	        "  --reply-timeout-ms N  ask again (same request id) after N ms (4000)\n"
	        "  --retry-ms N          retry period while vqd is unreachable (3000)\n"
	        "  --audio               start in audio mode (F1 or a 2 s press turns it on and\n"
	        "                        off): screens and choices spoken, keypad operation\n"
	        "  --high-contrast       start with high contrast (F3 switches)\n"
	        "  --large-text          start with large text (F4 switches)\n"
	        "  --volume N            speech volume, 0..100 (80)\n"
	        "  --voice-wav FILE      speech into FILE instead of the sound device (tests)\n"
	        "%s%s",
	        VQ_KIOSK_I18N_DIR, DEFAULT_HOLD_MS, vq_clockopt_usage(), vq_busopt_usage());
}

static int parse_size(const char *s, int *w, int *h)
{
	char x;
	return sscanf(s, "%d%c%d", w, &x, h) == 3 && (x == 'x' || x == 'X') && *w >= 64 &&
	       *h >= 64 && *w <= 8192 && *h <= 8192;
}

static int parse_long(const char *s, long lo, long hi, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return 0;
	*out = v;
	return 1;
}

/* 0: go on; 1: exit 0 (help); 2: usage error. */
static int parse_args(struct opts *o, int argc, char **argv)
{
	vq_busopt_init(&o->bus, "kiosk");
	vq_clockopt_init(&o->clock);
	o->i18n_dir = getenv("VQ_I18N_DIR") ? getenv("VQ_I18N_DIR") : VQ_KIOSK_I18N_DIR;
	o->width = 1280;
	o->height = 800;
	o->idle_s = 45;
	o->hold_ms = DEFAULT_HOLD_MS;
	o->volume = 80;
	for (int i = 1; i < argc;) {
		char err[256];
		int r = vq_busopt_parse(&o->bus, argc, argv, &i, err, sizeof err);
		if (r == 0)
			r = vq_clockopt_parse(&o->clock, argc, argv, &i, err, sizeof err);
		if (r < 0) {
			fprintf(stderr, "vq-kiosk: %s\n", err);
			return 2;
		}
		if (r > 0)
			continue;
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		long n = 0;
		int used = 2;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 1;
		} else if (!strcmp(a, "--fullscreen")) {
			o->fullscreen = 1;
			used = 1;
		} else if (!strcmp(a, "--virtual-clock")) {
			o->virtual_clock = 1;
			used = 1;
		} else if (!strcmp(a, "--trace")) {
			o->trace = 1;
			used = 1;
		} else if (!strcmp(a, "--audio")) {
			o->audio = 1;
			used = 1;
		} else if (!strcmp(a, "--high-contrast")) {
			o->contrast = 1;
			used = 1;
		} else if (!strcmp(a, "--large-text")) {
			o->large = 1;
			used = 1;
		} else if (!v) {
			fprintf(stderr, "vq-kiosk: %s needs a value (or is unknown; see --help)\n",
			        a);
			return 2;
		} else if (!strcmp(a, "--attractions")) {
			o->attractions = v;
		} else if (!strcmp(a, "--lang")) {
			o->lang = v;
		} else if (!strcmp(a, "--i18n")) {
			o->i18n_dir = v;
		} else if (!strcmp(a, "--spool")) {
			o->spool = v;
		} else if (!strcmp(a, "--phone-url")) {
			o->phone_url = v;
		} else if (!strcmp(a, "--script")) {
			o->script = v;
		} else if (!strcmp(a, "--screenshot")) {
			o->screenshot = v;
		} else if (!strcmp(a, "--staff-combo")) {
			o->staff_combo = v;
		} else if (!strcmp(a, "--size") && parse_size(v, &o->width, &o->height)) {
		} else if (!strcmp(a, "--window") && parse_size(v, &o->win_w, &o->win_h)) {
		} else if (!strcmp(a, "--window-at") &&
		           vq_ui_parse_point(v, &o->win_x, &o->win_y) == 0) {
			o->placed = 1;
		} else if (!strcmp(a, "--screen-mm") && parse_long(v, 1, 100000, &n)) {
			o->screen_mm = (double)n;
		} else if (!strcmp(a, "--idle-seconds") && parse_long(v, 5, 86400, &n)) {
			o->idle_s = (int)n;
		} else if (!strcmp(a, "--frames") && parse_long(v, 1, 1000000, &n)) {
			o->frames = n;
		} else if (!strcmp(a, "--reply-timeout-ms") && parse_long(v, 100, 600000, &n)) {
			o->timeout_ms = (int)n;
		} else if (!strcmp(a, "--retry-ms") && parse_long(v, 100, 600000, &n)) {
			o->retry_ms = (int)n;
		} else if (!strcmp(a, "--script-hold") && parse_long(v, 0, 600000, &n)) {
			o->hold_ms = (int)n;
		} else if (!strcmp(a, "--volume") && parse_long(v, 0, 100, &n)) {
			o->volume = (int)n;
		} else if (!strcmp(a, "--voice-wav")) {
			o->voice_wav = v;
		} else {
			fprintf(stderr, "vq-kiosk: bad option or value: %s %s (see --help)\n", a,
			        v);
			return 2;
		}
		i += used;
	}
	char err[256];
	if (vq_busopt_finish(&o->bus, err, sizeof err) != VQ_OK) {
		fprintf(stderr, "vq-kiosk: %s\n", err);
		return 2;
	}
	o->bus.opts.state_messages = true;
	/* A kiosk should find a restarted broker quickly: guests are waiting. */
	o->bus.opts.reconnect_max_ms = 5000;
	return 0;
}

/* --- the bus ------------------------------------------------------------------------ */

static int corr_known(const struct app *a, const vq_bus_msg *m)
{
	for (int i = 0; i < a->ncorrs; i++)
		if (vq_bus_msg_corr_is(m, a->corrs[i]))
			return 1;
	return 0;
}

static void update_link(struct app *a, int64_t now)
{
	const vq_site_view *sv = vq_sitestate_site(a->site);
	kiosk_link(a->k, vq_bus_connected(a->bus) && sv->vqd_online, now);
}

static void take_message(struct app *a, const vq_bus_msg *m, int64_t now)
{
	if (m->kind == VQ_BUS_MESSAGE && strncmp(m->suffix, "reply/", 6) == 0) {
		/* Only replies to the request in flight count; whatever answers an abandoned
		 * request is dropped (vqd keeps any ticket it made: the guest's "held"). */
		if (kiosk_request_serial(a->k) == a->corr_serial && corr_known(a, m))
			kiosk_reply(a->k, m->payload, m->len, now);
		return;
	}
	int r = vq_sitestate_feed(a->site, m, now);
	if (r == 1)
		kiosk_site_changed(a->k, now);
}

static void drain_bus(struct app *a, int timeout_ms)
{
	vq_bus_msg *msgs[BUS_BATCH];
	size_t n = 0;
	for (;;) {
		if (vq_bus_poll(a->bus, msgs, BUS_BATCH, &n, timeout_ms) != VQ_OK || n == 0)
			break;
		int64_t now = vq_ui_now_ms(a->ui);
		for (size_t i = 0; i < n; i++) {
			take_message(a, msgs[i], now);
			vq_bus_msg_free(msgs[i]);
		}
		if (n < BUS_BATCH)
			break;
		timeout_ms = 0;
	}
	update_link(a, vq_ui_now_ms(a->ui));
}

static void send_outgoing(struct app *a)
{
	kiosk_request rq;
	while (kiosk_outgoing(a->k, &rq)) {
		char corr[VQ_BUS_CORR_MAX] = "";
		int rc = vq_bus_request(a->bus, rq.suffix, rq.body, rq.len, corr);
		if (rc == VQ_OK) {
			if (rq.serial != a->corr_serial) {
				a->corr_serial = rq.serial;
				a->ncorrs = 0;
			}
			/* The oldest try's reply is the least likely to still come. */
			if (a->ncorrs == MAX_CORRS) {
				memmove(a->corrs[0], a->corrs[1],
				        sizeof a->corrs[0] * (MAX_CORRS - 1));
				a->ncorrs--;
			}
			snprintf(a->corrs[a->ncorrs++], VQ_BUS_CORR_MAX, "%s", corr);
			if (a->hold_serial != rq.serial) {
				a->hold_serial = rq.serial;
				a->hold_until = mono_ms() + a->o.hold_ms;
			}
		}
		kiosk_sent(a->k, rc, vq_ui_now_ms(a->ui));
	}
}

/* --- the loop --------------------------------------------------------------------- */

static int park_heard(const struct app *a)
{
	const vq_site_view *sv = vq_sitestate_site(a->site);
	if (!sv->known || !sv->vqd_online)
		return 0;
	for (int i = 0; i < kiosk_served_count(a->k); i++) {
		const vq_attr_view *v = vq_sitestate_find(a->site, kiosk_served_id(a->k, i));
		if (!v || !v->known)
			return 0;
	}
	return 1;
}

/* Settled: the welcome screen shows the park as it is (or we gave up waiting). Scripts
 * and --frames start counting from here, so what they capture does not depend on how
 * fast the retained state arrived. */
static int settle(struct app *a)
{
	if (a->settled)
		return VQ_OK;
	if (!park_heard(a) && mono_ms() - a->start_mono < SETTLE_MS)
		return VQ_OK;
	a->settled = 1;
	char hm[VQ_TIME_HHMM_MAX];
	kiosk_hhmm(a->k, vq_clock_now(&a->clock), hm);
	app_trace(a, "ready attractions=%d vqd=%s clock=%s", kiosk_served_count(a->k),
	          vq_sitestate_site(a->site)->vqd_online ? "online" : "offline", hm);
	kiosk_touch_view(a->k);
	if (a->script) {
		vq_script *s = a->script;
		a->script = NULL;
		/* a virtual clock starts where the site's clock is now */
		int rc = vq_ui_replay(a->ui, s, a->o.virtual_clock, vq_clock_now_ms(&a->clock));
		if (rc != VQ_OK) {
			fprintf(stderr, "vq-kiosk: %s\n", vq_ui_error(a->ui));
			return rc;
		}
	}
	return VQ_OK;
}

static void spool(struct app *a)
{
	uint64_t id = kiosk_spool_pending(a->k);
	if (!id)
		return;
	kiosk_spool_done(a->k, id);
	if (!a->o.spool)
		return;
	char png[1024], txt[1024];
	int rc = kiosk_spool_write(a->ui, a->k, a->o.spool, png, txt, sizeof png);
	if (rc == VQ_OK) {
		app_trace(a, "spool id=%llu png=%s txt=%s", (unsigned long long)id, png, txt);
	} else {
		/* The screen still shows the ticket and its QR: a missing printout is not a
		 * lost ticket. */
		fprintf(stderr, "vq-kiosk: cannot spool ticket %llu to %s: %s\n",
		        (unsigned long long)id, a->o.spool, vq_strerror(rc));
		app_trace(a, "spool id=%llu failed=%s", (unsigned long long)id, vq_errname(rc));
	}
}

/* What the guest asked for: high contrast, large text, the focus ringed in audio mode. */
static const vq_view *adapted(struct app *a, int *changed)
{
	static vq_view copy;
	const vq_view *v = kiosk_view_get(a->k);
	int on = kiosk_voice_on(a->kv);
	int look[4] = {kiosk_voice_contrast(a->kv), kiosk_voice_large(a->kv), on,
	               on ? kiosk_voice_focus(a->kv, v) : -1};
	*changed = memcmp(look, a->look, sizeof look) != 0;
	memcpy(a->look, look, sizeof look);
	if (!look[0] && !look[1] && look[3] < 0)
		return v;
	copy = *v;
	kiosk_voice_adapt(&copy, look[0], look[1], look[3]);
	return &copy;
}

static int render(struct app *a, int force)
{
	int changed;
	const vq_view *v = adapted(a, &changed);
	if (!force && !changed && !kiosk_dirty(a->k))
		return 0;
	int rc = vq_view_draw(a->ui, v, 0, 0, NULL);
	if (rc != VQ_OK)
		fprintf(stderr, "vq-kiosk: drawing: %s\n", vq_ui_error(a->ui));
	vq_ui_present(a->ui);
	kiosk_clean(a->k);
	return 1;
}

static void speak(struct app *a)
{
	char text[KIOSK_VOICE_TEXT_MAX];
	if (!kiosk_voice_speech(a->kv, kiosk_view_get(a->k), kiosk_lang(a->k), text, sizeof text))
		return;
	app_trace(a, "say lang=%s text=%s", kiosk_lang(a->k), text);
	if (vq_speech_say_now(a->sp, kiosk_lang(a->k), text) != VQ_OK)
		fprintf(stderr, "vq-kiosk: cannot say: %s\n", text);
}

static void speech_log(void *ctx, const char *line)
{
	(void)ctx;
	fprintf(stderr, "vq-kiosk: %s\n", line);
}

static int poll_timeout(const struct app *a)
{
	int64_t now = vq_ui_now_ms(a->ui);
	int64_t d = kiosk_deadline(a->k);
	int64_t t = d == INT64_MAX ? POLL_MS : d - now;
	if (t < 0)
		t = 0;
	if (t > POLL_MS)
		t = POLL_MS;
	if (a->o.frames && a->settled)
		t = t > 16 ? 16 : t;
	return (int)t;
}

/* A replayed script waits while vqd is being asked: served from the bus directly. */
static int holding(const struct app *a)
{
	return a->settled && a->o.script && a->o.hold_ms > 0 && kiosk_busy(a->k) &&
	       kiosk_request_serial(a->k) == a->hold_serial && mono_ms() < a->hold_until;
}

static int run(struct app *a)
{
	for (;;) {
		if (g_stop) {
			app_trace(a, "quit signal");
			return 0;
		}
		vq_input in;
		memset(&in, 0, sizeof in);
		if (holding(a)) {
			drain_bus(a, 20);
		} else {
			int rc = vq_ui_poll(a->ui, &in, poll_timeout(a));
			if (rc != VQ_OK) {
				fprintf(stderr, "vq-kiosk: %s\n", vq_ui_error(a->ui));
				return 1;
			}
		}
		int64_t now = vq_ui_now_ms(a->ui);
		if (in.kind == VQ_IN_BUS) {
			drain_bus(a, 0);
		} else if (in.kind == VQ_IN_QUIT) {
			if (a->settled && a->o.script) {
				app_trace(a, "quit script");
				return 0;
			}
			if (g_stop)
				continue;
			app_trace(a, "quit ignored");
		}
		update_link(a, now);
		/* the audio mode and the keypad see the input first (kiosk_voice.h) */
		vq_input fwd;
		int pass = kiosk_voice_filter(a->kv, kiosk_view_get(a->k), &in, now, &fwd);
		if (pass == KV_EATEN) {
			memset(&fwd, 0, sizeof fwd); /* only time passes, but someone is there */
			kiosk_touched(a->k, now);
		}
		kiosk_update(a->k, pass == KV_PASS ? &in : &fwd, now); /* bus, quit: time passes */
		if (kiosk_idle_wipes(a->k) != a->idle_wipes) {
			/* the next guest starts as the kiosk was set up, not in the last one's
			 * modes */
			a->idle_wipes = kiosk_idle_wipes(a->k);
			kiosk_voice_set(a->kv, a->o.audio);
			kiosk_voice_set_look(a->kv, a->o.contrast, a->o.large);
			app_trace(a, "modes reset (idle)");
		}
		speak(a);
		send_outgoing(a);
		spool(a);
		if (kiosk_quit(a->k))
			return 0;
		if (settle(a) != VQ_OK)
			return 1;
		if (render(a, a->o.frames && a->settled) && a->settled && a->o.frames &&
		    ++a->frames >= a->o.frames) {
			app_trace(a, "quit frames=%ld", a->frames);
			return 0;
		}
	}
}

static void make_rid_prefix(const char *user, char *out, size_t n)
{
	static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
	char t[16], r[8];
	uint64_t v = (uint64_t)time(NULL);
	int i = 0;
	do {
		t[i++] = digits[v % 36];
		v /= 36;
	} while (v && i < 15);
	t[i] = '\0';
	for (int j = 0; j < i / 2; j++) {
		char c = t[j];
		t[j] = t[i - 1 - j];
		t[i - 1 - j] = c;
	}
	/* Two runs in the same second still differ: vqd remembers every rid for ever. */
	uint32_t rnd = randombytes_uniform(36 * 36 * 36 * 36);
	for (int j = 3; j >= 0; j--) {
		r[j] = digits[rnd % 36];
		rnd /= 36;
	}
	r[4] = '\0';
	snprintf(out, n, "%.24s-%s%s", user, t, r);
}

int main(int argc, char **argv)
{
	struct app a;
	memset(&a, 0, sizeof a);
	int rc = parse_args(&a.o, argc, argv);
	if (rc)
		return rc == 1 ? 0 : 2;
	int status = 1;
	char err[512] = "";
	if (sodium_init() < 0) {
		fprintf(stderr, "vq-kiosk: libsodium failed to start\n");
		return 1;
	}

	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* Ours, not SDL's: SDL would turn them into a quit event indistinguishable from a
	 * closed window, which a kiosk ignores. */
	SDL_SetHint(SDL_HINT_NO_SIGNAL_HANDLERS, "1");

	if (vq_i18n_load(a.o.i18n_dir, &a.i18n, err, sizeof err) != VQ_OK) {
		fprintf(stderr, "vq-kiosk: translations: %s\n", err);
		goto cleanup;
	}
	if (a.o.lang && !vq_i18n_has_lang(a.i18n, a.o.lang)) {
		fprintf(stderr, "vq-kiosk: --lang %s: no such translation in %s\n", a.o.lang,
		        a.o.i18n_dir);
		status = 2;
		goto cleanup;
	}
	if (a.o.script && vq_script_load(a.o.script, &a.script, err, sizeof err) != VQ_OK) {
		fprintf(stderr, "vq-kiosk: %s\n", err);
		status = 2;
		goto cleanup;
	}
	if (a.o.phone_url && !kiosk_phone_url_ok(a.o.phone_url)) {
		fprintf(stderr,
		        "vq-kiosk: --phone-url %s: expected http:// or https://, no '#', "
		        "under 200 characters\n",
		        a.o.phone_url);
		status = 2;
		goto cleanup;
	}
	/* the kiosk learns the site's zone from vqd, later: a demo start is absolute */
	if (vq_clock_init(&a.clock, &a.o.clock, NULL, err, sizeof err) != VQ_OK) {
		fprintf(stderr, "vq-kiosk: %s\n", err);
		status = 2;
		goto cleanup;
	}
	if (a.o.spool && mkdir(a.o.spool, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "vq-kiosk: --spool %s: %s\n", a.o.spool, strerror(errno));
		goto cleanup;
	}
	vq_ui_opts uo = {.title = "vq-kiosk · guests take tickets here",
	                 .window_placed = a.o.placed,
	                 .window_x = a.o.win_x,
	                 .window_y = a.o.win_y,
	                 .width = a.o.width,
	                 .height = a.o.height,
	                 .fullscreen = a.o.fullscreen,
	                 .window_width = a.o.win_w,
	                 .window_height = a.o.win_h,
	                 .screen_width_mm = a.o.screen_mm,
	                 .clock = &a.clock};
	rc = vq_ui_new(&uo, &a.ui, err, sizeof err);
	if (rc != VQ_OK) {
		fprintf(stderr, "vq-kiosk: window: %s\n", err);
		goto cleanup;
	}
	if (vq_sitestate_new(&a.site) != VQ_OK || vq_bus_new(&a.o.bus.opts, &a.bus) != VQ_OK ||
	    vq_sitestate_subscribe(a.bus) != VQ_OK || vq_bus_start(a.bus) != VQ_OK) {
		fprintf(stderr,
		        "vq-kiosk: cannot set up the bus (check --broker, --site, --user)\n");
		goto cleanup;
	}
	vq_sitestate_set_log(a.site, vq_sitestate_log_stderr, (void *)"vq-kiosk");
	vq_ui_watch_fd(a.ui, vq_bus_fd(a.bus));

	char prefix[64];
	make_rid_prefix(a.o.bus.user, prefix, sizeof prefix);
	kiosk_cfg kc = {.i18n = a.i18n,
	                .site = a.site,
	                .width = a.o.width,
	                .height = a.o.height,
	                .target_px = vq_ui_mm(a.ui, 15),
	                .lang = a.o.lang,
	                .attractions = a.o.attractions,
	                .rid_prefix = prefix,
	                .staff_combo = a.o.staff_combo,
	                .phone_url = a.o.phone_url,
	                .idle_ms = (int64_t)a.o.idle_s * 1000,
	                .reply_timeout_ms = a.o.timeout_ms,
	                .retry_ms = a.o.retry_ms,
	                .trace = a.o.trace ? trace_out : NULL};
	rc = kiosk_new(&kc, vq_ui_now_ms(a.ui), &a.k);
	if (rc != VQ_OK) {
		fprintf(stderr, "vq-kiosk: %s (--attractions or --staff-combo?)\n",
		        vq_strerror(rc));
		status = 2;
		goto cleanup;
	}
	vq_speech_opts so = {.wav_path = a.o.voice_wav, .volume = a.o.volume, .log = speech_log};
	if (kiosk_voice_new(a.i18n, &a.kv) != VQ_OK || vq_speech_new(&so, &a.sp) != VQ_OK) {
		fprintf(stderr, "vq-kiosk: cannot start speech (espeak-ng-data installed?)\n");
		goto cleanup;
	}
	kiosk_voice_set(a.kv, a.o.audio);
	kiosk_voice_set_look(a.kv, a.o.contrast, a.o.large);
	app_trace(&a, "start user=%s site=%s rid_prefix=%s target_px=%d", a.o.bus.user,
	          a.o.bus.site, prefix, kc.target_px);
	a.start_mono = mono_ms();
	status = run(&a);
	if (a.o.screenshot) {
		render(&a, 1);
		if (vq_ui_screenshot(a.ui, a.o.screenshot) != VQ_OK) {
			fprintf(stderr, "vq-kiosk: %s\n", vq_ui_error(a.ui));
			status = 1;
		} else {
			app_trace(&a, "screenshot %s", a.o.screenshot);
		}
	}
cleanup:
	vq_speech_free(a.sp);
	kiosk_voice_free(a.kv);
	kiosk_free(a.k);
	vq_bus_free(a.bus);
	vq_sitestate_free(a.site);
	vq_script_free(a.script);
	vq_ui_free(a.ui);
	vq_i18n_free(a.i18n);
	return status;
}
