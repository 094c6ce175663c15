/* kiosk/kiosk_voice.c — the kiosk's audio mode, keypad and low-vision views (see
 * kiosk_voice.h).
 *
 * Owns the focus (remembered by the button's id, so a redraw of the same screen keeps it),
 * what was last spoken of (a signature of the screen: its title and its buttons' ids, so
 * times that change on a screen do not make it speak again), and the switches. Invariants:
 * a keypad choice is a tap at the centre of an enabled button of the current view, the same
 * the kiosk would get from a finger; nothing is spoken while audio mode is off; every
 * screen yields a non-empty text (at least its title or its first text).
 */
#include "kiosk/kiosk_voice.h"

#include <SDL_keycode.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kiosk/kiosk_state.h"

#define RING_COLOR    ((vq_color){0x00, 0xE5, 0xFF, 255}) /* cyan: seen on black and yellow */
#define HC_BUTTON     ((vq_color){0xFF, 0xD5, 0x00, 255})
#define HC_BUTTON_OFF ((vq_color){0x3A, 0x3A, 0x3A, 255})
#define HC_BLACK      ((vq_color){0x00, 0x00, 0x00, 255})
#define HC_WHITE      ((vq_color){0xFF, 0xFF, 0xFF, 255})

struct kiosk_voice {
	const vq_i18n *i18n;
	int on, contrast, large;
	char focus_id[VQ_ID_MAX];
	int focus_auto; /* the focus is the screen's first choice, not one the guest moved to */
	uint64_t sig;
	int want_screen, want_focus, want_repeat, want_off;
	char typed[32];
	int64_t press_ms;
	int pressed;
};

int kiosk_voice_new(const vq_i18n *i18n, kiosk_voice **out)
{
	if (!i18n || !out)
		return VQ_EINVAL;
	kiosk_voice *v = calloc(1, sizeof *v);
	if (!v)
		return VQ_ENOMEM;
	v->i18n = i18n;
	*out = v;
	return VQ_OK;
}

void kiosk_voice_free(kiosk_voice *v)
{
	free(v);
}

int kiosk_voice_on(const kiosk_voice *v)
{
	return v->on;
}

void kiosk_voice_set(kiosk_voice *v, int on)
{
	on = on ? 1 : 0;
	if (on == v->on)
		return;
	v->on = on;
	v->want_screen = on;
	v->want_off = !on;
	v->typed[0] = '\0';
}

void kiosk_voice_set_look(kiosk_voice *v, int contrast, int large)
{
	v->contrast = contrast ? 1 : 0;
	v->large = large ? 1 : 0;
}

int kiosk_voice_contrast(const kiosk_voice *v)
{
	return v->contrast;
}

int kiosk_voice_large(const kiosk_voice *v)
{
	return v->large;
}

/* --- reading a view ------------------------------------------------------------------ */

static int covers_frame(const vq_view *view, const vq_el *e)
{
	return e->r.x <= 0 && e->r.y <= 0 && e->r.x + e->r.w >= view->w &&
	       e->r.y + e->r.h >= view->h;
}

/* Where the top layer starts: after the last element but the background that covers the
 * whole frame (a dialog's dimming and its "tap anywhere" catcher). */
static int top_layer(const vq_view *view)
{
	int start = 0;
	for (int i = 1; i < view->n; i++)
		if ((view->el[i].kind == VQ_EL_FILL || view->el[i].kind == VQ_EL_BUTTON) &&
		    covers_frame(view, &view->el[i]))
			start = i + 1;
	return start;
}

static int inside(vq_rect outer, vq_rect r)
{
	int cx = r.x + r.w / 2, cy = r.y + r.h / 2;
	return cx >= outer.x && cx < outer.x + outer.w && cy >= outer.y && cy < outer.y + outer.h;
}

/* Words, not a mark: some letter or digit (Latin, Cyrillic and the like are two bytes in
 * UTF-8; an arrow or a bullet is three). */
static int says_something(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p >= '0' && *p <= '9') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= 'a' && *p <= 'z') || (*p >= 0xC3 && *p <= 0xDF))
			return 1;
	return 0;
}

/* Appends s as a sentence of out. */
static void add(char *out, size_t outlen, const char *s)
{
	size_t n = strlen(out);
	if (!s || !*s || n + 1 >= outlen)
		return;
	if (n > 0) {
		char last = out[n - 1];
		snprintf(out + n, outlen - n, "%s",
		         last == '.' || last == '!' || last == '?' || last == ':' ? " " : ". ");
		n = strlen(out);
	}
	snprintf(out + n, outlen - n, "%s", s);
}

void kiosk_voice_label(const vq_view *view, int el, char *out, size_t outlen)
{
	out[0] = '\0';
	if (el < 0 || el >= view->n)
		return;
	const vq_el *b = &view->el[el];
	const char *label = vq_el_text(view, b);
	if (says_something(label)) {
		snprintf(out, outlen, "%s", label);
		return;
	}
	for (int i = el + 1; i < view->n; i++) {
		const vq_el *t = &view->el[i];
		if (t->kind == VQ_EL_BUTTON && inside(b->r, t->r))
			break; /* the next button's own texts */
		if (t->kind == VQ_EL_TEXT && inside(b->r, t->r) &&
		    says_something(vq_el_text(view, t))) {
			size_t n = strlen(out);
			snprintf(out + n, outlen - n, "%s%s", n ? ", " : "", vq_el_text(view, t));
		}
	}
}

static int is_choice(const vq_view *view, const vq_el *e)
{
	if (e->kind != VQ_EL_BUTTON || e->disabled || e->action == KA_NONE || e->action == KA_KEY ||
	    e->action == KA_DELETE || covers_frame(view, e))
		return 0;
	char label[256];
	kiosk_voice_label(view, (int)(e - view->el), label, sizeof label);
	return label[0] != '\0';
}

/* Reading order: a row is what lies beside each other (centres within half a height). */
static int before(const vq_el *a, const vq_el *b)
{
	int ay = a->r.y + a->r.h / 2, by = b->r.y + b->r.h / 2;
	int tol = (a->r.h < b->r.h ? a->r.h : b->r.h) / 2;
	if (abs(ay - by) > tol)
		return ay < by;
	return a->r.x < b->r.x;
}

int kiosk_voice_items(const vq_view *view, int *els, int max)
{
	int n = 0;
	for (int i = top_layer(view); i < view->n && n < max; i++) {
		if (!is_choice(view, &view->el[i]))
			continue;
		int k = n++;
		while (k > 0 && before(&view->el[i], &view->el[els[k - 1]])) {
			els[k] = els[k - 1];
			k--;
		}
		els[k] = i;
	}
	return n;
}

void kiosk_voice_screen(const vq_view *view, const vq_i18n *i18n, const char *lang, char *out,
                        size_t outlen)
{
	out[0] = '\0';
	int top = top_layer(view);
	const vq_el *title = vq_view_role(view, "title", 0);
	if (title && (int)(title - view->el) >= top)
		add(out, outlen, vq_el_text(view, title));
	for (int i = top; i < view->n; i++) {
		const vq_el *e = &view->el[i];
		if (e == title)
			continue;
		if (e->kind == VQ_EL_BUTTON && e->disabled) {
			/* what cannot be chosen is still said: "Tiny, Closed" */
			char label[256];
			kiosk_voice_label(view, i, label, sizeof label);
			add(out, outlen, label);
			continue;
		}
		if (e->kind != VQ_EL_TEXT || !says_something(vq_el_text(view, e)))
			continue;
		int in_button = 0;
		for (int b = top; b < i && !in_button; b++)
			in_button = view->el[b].kind == VQ_EL_BUTTON &&
			            !covers_frame(view, &view->el[b]) &&
			            inside(view->el[b].r, e->r);
		if (!in_button)
			add(out, outlen, vq_el_text(view, e));
	}
	int items[KIOSK_VOICE_ITEMS_MAX];
	if (kiosk_voice_items(view, items, KIOSK_VOICE_ITEMS_MAX) > 0)
		add(out, outlen, vq_i18n_get(i18n, lang, "voice_kiosk_keys"));
}

/* --- focus --------------------------------------------------------------------------- */

static uint64_t signature(const vq_view *view)
{
	uint64_t h = 1469598103934665603ull;
	int top = top_layer(view);
	const vq_el *title = vq_view_role(view, "title", 0);
	const char *parts[2] = {title ? vq_el_text(view, title) : "", ""};
	for (const char *p = parts[0]; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	for (int i = top; i < view->n; i++) {
		if (view->el[i].kind != VQ_EL_BUTTON)
			continue;
		for (const char *p = view->el[i].id; *p; p++)
			h = (h ^ (unsigned char)*p) * 1099511628211ull;
		h = (h ^ '|') * 1099511628211ull;
	}
	h = (h ^ (uint64_t)top) * 1099511628211ull;
	return h;
}

/* The choice a screen starts on: what a guest most likely wants next. */
static int primary(const vq_view *view, const int *items, int n)
{
	static const int order[] = {KA_CONTINUE,  KA_GIVE_BACK_NO, KA_CONFIRM,   KA_DONE,
	                            KA_SUBMIT,    KA_ATTR,         KA_PARTY,     KA_ALT,
	                            KA_TRY_AGAIN, KA_CHOOSE_AGAIN, KA_GIVE_BACK, KA_START_OVER,
	                            KA_BACK};
	for (size_t o = 0; o < sizeof order / sizeof order[0]; o++)
		for (int i = 0; i < n; i++)
			if (view->el[items[i]].action == order[o])
				return i;
	return 0;
}

/* The index in items of the focus, setting it to the screen's first choice if it is not
 * among them; -1 when there are none. */
static int focus_index(kiosk_voice *v, const vq_view *view, const int *items, int n)
{
	if (n == 0)
		return -1;
	/* a first choice is chosen again as buttons turn on (OK once a number is typed) */
	for (int i = 0; i < n && !v->focus_auto; i++)
		if (v->focus_id[0] && strcmp(view->el[items[i]].id, v->focus_id) == 0)
			return i;
	int p = primary(view, items, n);
	snprintf(v->focus_id, sizeof v->focus_id, "%s", view->el[items[p]].id);
	v->focus_auto = 1;
	return p;
}

int kiosk_voice_focus(kiosk_voice *v, const vq_view *view)
{
	int items[KIOSK_VOICE_ITEMS_MAX];
	int n = kiosk_voice_items(view, items, KIOSK_VOICE_ITEMS_MAX);
	int f = focus_index(v, view, items, n);
	return f < 0 ? -1 : items[f];
}

/* A new screen starts on its first choice; the same screen keeps its focus. */
static void follow(kiosk_voice *v, const vq_view *view)
{
	uint64_t sig = signature(view);
	if (sig != v->sig) {
		v->sig = sig;
		v->focus_id[0] = '\0';
		v->focus_auto = 1;
		v->want_screen = v->on;
	}
}

/* --- input --------------------------------------------------------------------------- */

static void move(kiosk_voice *v, const vq_view *view, int step)
{
	int items[KIOSK_VOICE_ITEMS_MAX];
	int n = kiosk_voice_items(view, items, KIOSK_VOICE_ITEMS_MAX);
	int f = focus_index(v, view, items, n);
	if (f < 0)
		return;
	f = (f + step + n) % n;
	snprintf(v->focus_id, sizeof v->focus_id, "%s", view->el[items[f]].id);
	v->focus_auto = 0;
	v->want_focus = 1;
}

int kiosk_voice_filter(kiosk_voice *v, const vq_view *view, const vq_input *in, int64_t now_ms,
                       vq_input *fwd)
{
	follow(v, view);
	switch (in->kind) {
	case VQ_IN_PRESS:
		v->press_ms = now_ms;
		v->pressed = 1;
		return KV_PASS;
	case VQ_IN_TAP: {
		const vq_el *b = vq_view_hit(view, in->x, in->y);
		if (b && (b->action == KA_CONTRAST || b->action == KA_LARGE_TEXT)) {
			v->pressed = 0;
			if (b->action == KA_CONTRAST)
				v->contrast = !v->contrast;
			else
				v->large = !v->large;
			memset(fwd, 0, sizeof *fwd);
			fwd->kind = VQ_IN_TAP;
			fwd->x = fwd->y = -1; /* the kiosk lets go of the pressed button */
			return KV_TAP;
		}
		if (v->pressed && now_ms - v->press_ms >= KIOSK_VOICE_LONG_MS) {
			v->pressed = 0;
			kiosk_voice_set(v, !v->on);
			/* a tap where no button is: the kiosk lets go of the pressed one, no more
			 */
			memset(fwd, 0, sizeof *fwd);
			fwd->kind = VQ_IN_TAP;
			fwd->x = fwd->y = -1;
			return KV_TAP;
		}
		v->pressed = 0;
		return KV_PASS;
	}
	case VQ_IN_KEY:
		break;
	case VQ_IN_TEXT:
		if (v->on && strcmp(in->text, "*") == 0) {
			v->want_repeat = 1;
			return KV_EATEN;
		}
		if (v->on) {
			size_t n = strlen(v->typed);
			snprintf(v->typed + n, sizeof v->typed - n, "%s%s", n ? " " : "", in->text);
		}
		return KV_PASS;
	default:
		return KV_PASS;
	}
	switch (in->key) {
	case SDLK_F1:
		kiosk_voice_set(v, !v->on);
		return KV_EATEN;
	case SDLK_F3:
		v->contrast = !v->contrast;
		return KV_EATEN;
	case SDLK_F4:
		v->large = !v->large;
		return KV_EATEN;
	default:
		break;
	}
	if (!v->on)
		return KV_PASS;
	switch (in->key) {
	case SDLK_DOWN:
	case SDLK_RIGHT:
	case SDLK_TAB:
		move(v, view, (in->mod & KMOD_SHIFT) && in->key == SDLK_TAB ? -1 : 1);
		return KV_EATEN;
	case SDLK_UP:
	case SDLK_LEFT:
		move(v, view, -1);
		return KV_EATEN;
	case SDLK_F2:
	case SDLK_KP_MULTIPLY:
		v->want_repeat = 1;
		return KV_EATEN;
	case SDLK_RETURN:
	case SDLK_KP_ENTER: {
		int f = kiosk_voice_focus(v, view);
		if (f < 0)
			return KV_EATEN;
		const vq_el *b = &view->el[f];
		memset(fwd, 0, sizeof *fwd);
		fwd->kind = VQ_IN_TAP;
		fwd->x = b->r.x + b->r.w / 2;
		fwd->y = b->r.y + b->r.h / 2;
		return KV_TAP;
	}
	default:
		return KV_PASS;
	}
}

int kiosk_voice_speech(kiosk_voice *v, const vq_view *view, const char *lang, char *out,
                       size_t outlen)
{
	out[0] = '\0';
	if (v->want_off) {
		v->want_off = 0;
		snprintf(out, outlen, "%s", vq_i18n_get(v->i18n, lang, "voice_kiosk_off"));
		return 1;
	}
	follow(v, view);
	if (!v->on) {
		v->want_screen = v->want_focus = v->want_repeat = 0;
		v->typed[0] = '\0';
		return 0;
	}
	char label[256] = "";
	int f = kiosk_voice_focus(v, view);
	if (f >= 0)
		kiosk_voice_label(view, f, label, sizeof label);
	if (v->want_screen || v->want_repeat) {
		kiosk_voice_screen(view, v->i18n, lang, out, outlen);
		add(out, outlen, label);
	} else if (v->want_focus) {
		add(out, outlen, label);
	} else if (v->typed[0]) {
		add(out, outlen, v->typed);
	}
	v->want_screen = v->want_focus = v->want_repeat = 0;
	v->typed[0] = '\0';
	return out[0] != '\0';
}

/* --- how it looks -------------------------------------------------------------------- */

/* What lies under e's centre: the topmost fill or button drawn before it. */
static const vq_el *under(const vq_view *view, int e)
{
	for (int i = e - 1; i >= 0; i--) {
		const vq_el *u = &view->el[i];
		if ((u->kind == VQ_EL_FILL || u->kind == VQ_EL_BUTTON) && u->bg.a == 255 &&
		    inside(u->r, view->el[e].r))
			return u;
	}
	return NULL;
}

void kiosk_voice_adapt(vq_view *view, int contrast, int large, int focus)
{
	if (contrast) {
		/* buttons and fills first, then texts by what now lies under them */
		for (int i = 0; i < view->n; i++) {
			vq_el *e = &view->el[i];
			if (e->kind == VQ_EL_FILL && e->bg.a == 255) {
				e->bg = HC_BLACK;
			} else if (e->kind == VQ_EL_BUTTON && e->bg.a == 255) {
				/* a disabled one is drawn light grey whatever its colour */
				e->bg = HC_BUTTON;
				e->fg = HC_BLACK;
			}
		}
		for (int i = 0; i < view->n; i++) {
			vq_el *e = &view->el[i];
			if (e->kind != VQ_EL_TEXT)
				continue;
			const vq_el *u = under(view, i);
			e->fg = u && u->kind == VQ_EL_BUTTON ? HC_BLACK : HC_WHITE;
		}
	}
	if (large) {
		for (int i = 0; i < view->n; i++) {
			vq_el *e = &view->el[i];
			if (e->kind == VQ_EL_TEXT && e->px > 0)
				e->px = e->px * 3 / 2;
			else if (e->kind == VQ_EL_BUTTON)
				e->px = e->px > 0 ? e->px * 3 / 2 : e->r.h / 2;
		}
	}
	if (focus >= 0 && focus < view->n) {
		vq_rect r = view->el[focus].r;
		int t = view->h / 120 > 4 ? view->h / 120 : 4;
		int x0 = r.x - t > 0 ? r.x - t : 0, y0 = r.y - t > 0 ? r.y - t : 0;
		int x1 = r.x + r.w + t < view->w ? r.x + r.w + t : view->w;
		int y1 = r.y + r.h + t < view->h ? r.y + r.h + t : view->h;
		vq_view_fill(view, (vq_rect){x0, y0, x1 - x0, r.y - y0 > 0 ? r.y - y0 : t},
		             RING_COLOR, 0);
		vq_view_fill(view, (vq_rect){x0, y1 - t, x1 - x0, t}, RING_COLOR, 0);
		vq_view_fill(view, (vq_rect){x0, y0, t, y1 - y0}, RING_COLOR, 0);
		vq_view_fill(view, (vq_rect){x1 - t, y0, t, y1 - y0}, RING_COLOR, 0);
	}
}
