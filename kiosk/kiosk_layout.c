/* kiosk/kiosk_layout.c — what each kiosk screen shows, as a display list (ui/view.h).
 *
 * Owns the geometry: every size is a share of the frame's height (so the screens scale
 * with the logical size), and every touch target is grown to at least the configured
 * target size (15 mm on the glass). Colours are the ui palette's contrast pairs only:
 * ink on paper or light, white on the strong colours. Every string comes from the
 * translations; nothing here is in a language. Every element names its role, which is
 * also its size group: labels of one kind are drawn at one size (ui/view.h).
 *
 * What a guest is told, and how:
 *   - the way in ("Scan your park ticket or member card") is the first and largest thing
 *     on the welcome screen;
 *   - a ride's row shows one return time: the guest's tier's once they are known, else
 *     what anyone gets, with a mark only where a higher tier gets an earlier one;
 *   - the confirm screen compares with at most one thing: the next tier up, quoted for
 *     the same party by vqd itself (KR_COMPARE), and only when it is better.
 */
#include "kiosk/kiosk_priv.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "ui/text.h"
#include "ui/widgets.h"

struct lay {
	kiosk *k;
	vq_view *v;
	int W, H, T, pad, gap;
};

/* Per mille of the frame's height. */
static int hpm(const struct lay *L, int permille)
{
	return L->H * permille / 1000;
}

static int imax(int a, int b)
{
	return a > b ? a : b;
}

static int imin(int a, int b)
{
	return a < b ? a : b;
}

/* Dims what lies under a dialog, which stays visible: the guest sees where they are. */
#define DIM VQ_RGB(0, 0, 0)

static void fill(struct lay *L, vq_rect r, vq_color c, int radius)
{
	vq_view_fill(L->v, r, c, radius);
}

static vq_el *text(struct lay *L, vq_rect r, const char *role, const char *s, int px, int bold,
                   vq_color c, int align)
{
	return vq_view_text(L->v, r, role, s, px, bold, c, align);
}

static vq_el *button(struct lay *L, vq_rect r, const char *id, const char *role, const char *label,
                     vq_color bg, vq_color fg, int action, int arg)
{
	/* Never smaller than a fingertip, whatever the caller computed. */
	r.w = imax(r.w, L->T);
	r.h = imax(r.h, L->T);
	vq_el *e = vq_view_button(L->v, r, id, role, label, bg, fg);
	e->action = action;
	e->arg = arg;
	e->pressed = id[0] && strcmp(id, L->k->pressed) == 0;
	return e;
}

static const char *tr(const struct lay *L, const char *key)
{
	return kiosk_tr(L->k, key);
}

static void window_text(const kiosk *k, int64_t start, int64_t end, char *out, size_t n)
{
	char s[VQ_TIME_HHMM_MAX], e[VQ_TIME_HHMM_MAX];
	kiosk_hhmm(k, start, s);
	kiosk_hhmm(k, end, e);
	kiosk_format(k, "time_window", out, n, "start", s, "end", e, NULL);
}

/* An id for a script's tap_id: prefix and the attraction id, or its index when that
 * would be too long for an id. */
static void attr_button_id(char *out, size_t n, const char *prefix, const char *attr, int i)
{
	if (strlen(prefix) + strlen(attr) < VQ_ID_MAX)
		snprintf(out, n, "%s%s", prefix, attr);
	else
		snprintf(out, n, "%s%d", prefix, i);
}

/* --- common parts ----------------------------------------------------------------- */

static int header_h(const struct lay *L)
{
	return imax(L->T + 2 * L->pad, hpm(L, 130));
}

/* The navy band: a title, the switches for high contrast and large text, and the language
 * switch, on every screen, so a visitor can change them at any step. Returns its height. */
static int header(struct lay *L, const char *title)
{
	int hh = header_h(L);
	fill(L, (vq_rect){0, 0, L->W, hh}, VQ_COL_PRIMARY, 0);
	size_t n = vq_i18n_lang_count(L->k->i18n);
	int bw = imax(L->T, L->W / 9), bh = hh - 2 * L->pad;
	int x = L->W - L->pad - (int)n * bw - ((int)n - 1) * L->gap;
	for (size_t i = 0; i < n; i++) {
		const char *code = vq_i18n_lang_at(L->k->i18n, i);
		char id[VQ_ID_MAX];
		snprintf(id, sizeof id, "lang-%s", code);
		int current = strcmp(code, L->k->lang) == 0;
		button(L, (vq_rect){x, L->pad, bw, bh}, id, "lang",
		       vq_i18n_get(L->k->i18n, code, "lang_name"),
		       current ? VQ_COL_WARN : VQ_COL_LIGHT, VQ_COL_INK, KA_LANG, (int)i)
		    ->px = imin(bh / 3, hpm(L, 32));
		x += bw + L->gap;
	}
	/* the low-vision switches, left of the languages (kiosk_voice.h acts on them) */
	static const struct {
		const char *id, *key;
		int action;
	} sw[] = {{"large-text", "kiosk_large_text", KA_LARGE_TEXT},
	          {"contrast", "kiosk_contrast", KA_CONTRAST}};
	int sx = L->W - L->pad - (int)n * (bw + L->gap);
	for (size_t i = 0; i < sizeof sw / sizeof sw[0]; i++) {
		sx -= bw + L->gap;
		button(L, (vq_rect){sx, L->pad, bw, bh}, sw[i].id, "switch", tr(L, sw[i].key),
		       VQ_COL_LIGHT, VQ_COL_INK, sw[i].action, 0)
		    ->px = imin(bh / 3, hpm(L, 28));
	}
	int tw = sx - 2 * L->pad;
	text(L, (vq_rect){L->pad, 0, tw, hh}, "title", title, hpm(L, 55), 1, VQ_COL_WHITE,
	     VQ_ALIGN_LEFT);
	return hh;
}

static int footer_h(const struct lay *L)
{
	return imax(L->T + 2 * L->pad, hpm(L, 120));
}

/* Navigation at the bottom: Back on the left, then Start over. */
static void footer(struct lay *L, int with_back, int with_start_over)
{
	int fh = footer_h(L), bw = imax(L->T, L->W / 5), bh = fh - 2 * L->pad;
	int x = L->pad, y = L->H - fh + L->pad;
	if (with_back) {
		button(L, (vq_rect){x, y, bw, bh}, "back", "nav", tr(L, "back"), VQ_COL_LIGHT,
		       VQ_COL_INK, KA_BACK, 0);
		x += bw + L->gap;
	}
	if (with_start_over)
		button(L, (vq_rect){x, y, bw, bh}, "start-over", "nav", tr(L, "start_over"),
		       VQ_COL_LIGHT, VQ_COL_INK, KA_START_OVER, 0);
}

/* The main action, bottom right. */
static void footer_action(struct lay *L, const char *id, const char *label, int action)
{
	int fh = footer_h(L), bw = imax(L->T, L->W * 3 / 10), bh = fh - 2 * L->pad;
	button(L, (vq_rect){L->W - L->pad - bw, L->H - fh + L->pad, bw, bh}, id, "action", label,
	       VQ_COL_OK, VQ_COL_WHITE, action, 0);
}

static const char *title_for(const struct lay *L)
{
	const kiosk *k = L->k;
	return k->attr[0] ? kiosk_attr_name(k, k->attr) : tr(L, "kiosk_welcome");
}

static void tier_text(const kiosk *k, const char *tier, char *out, size_t n)
{
	kiosk_format(k, "tier", out, n, "tier", kiosk_tier_name(k, tier), NULL);
}

/* --- welcome ----------------------------------------------------------------------- */

static void standby_panel(struct lay *L, vq_rect r)
{
	fill(L, r, VQ_COL_WARN, hpm(L, 20));
	vq_rect top = {r.x + L->pad, r.y + L->pad, r.w - 2 * L->pad, r.h * 6 / 10 - L->pad};
	vq_rect bot = {r.x + L->pad, r.y + r.h * 6 / 10, r.w - 2 * L->pad, r.h * 3 / 10};
	text(L, top, "standby", tr(L, "service_unavailable"), hpm(L, 62), 1, VQ_COL_INK,
	     VQ_ALIGN_CENTER);
	text(L, bot, "standby.sub", tr(L, "retrying"), hpm(L, 38), 0, VQ_COL_INK, VQ_ALIGN_CENTER);
}

/* The tier a row's time is for: the guest's once known, else the lowest (anyone's). */
static int row_tier(const kiosk *k)
{
	int t = k->guest_known ? vq_sitestate_tier(k->site, k->tier) : 0;
	return t < 0 ? 0 : t;
}

/* The first tier above t whose return time is earlier than t's: "Gold: 10:05". Only
 * for a guest not yet known (a known one sees their own time). */
static int earlier_tier(const kiosk *k, const vq_attr_view *a, int t, char *out, size_t n)
{
	const vq_site_view *site = vq_sitestate_site(k->site);
	for (int u = t + 1; u < site->ntiers; u++) {
		if (a->next[u].start <= 0 ||
		    (a->next[t].start > 0 && a->next[u].start >= a->next[t].start))
			continue;
		char hhmm[VQ_TIME_HHMM_MAX];
		kiosk_hhmm(k, a->next[u].start, hhmm);
		kiosk_format(k, "tier_earlier", out, n, "tier", kiosk_tier_name(k, site->tiers[u]),
		             "time", hhmm, NULL);
		return 1;
	}
	return 0;
}

/* One ride: a white button (a pale grey one would look disabled) with the name, the
 * next return time, and an arrow saying "touch me"; closed rides are greyed and say so. */
static void attraction_row(struct lay *L, vq_rect r, int i)
{
	const kiosk *k = L->k;
	const char *id = kiosk_served_id(k, i);
	const vq_attr_view *a = kiosk_served_view(k, i);
	char bid[VQ_ID_MAX], buf[96], mark[96];
	attr_button_id(bid, sizeof bid, "attr-", id, i);
	vq_el *b = button(L, r, bid, "attr", "", VQ_COL_WHITE, VQ_COL_INK, KA_ATTR, i);
	b->disabled = !a || !a->open;
	r = b->r;
	int in = imax(L->pad, r.h / 8);
	int name_w = r.w * 44 / 100, go_w = imax(r.h / 2, r.w * 6 / 100);
	vq_rect cell = {r.x + in + name_w, r.y + in / 2, r.w - name_w - go_w - 2 * in, r.h - in};
	text(L, (vq_rect){r.x + in, r.y + in / 2, name_w - in, r.h - in}, "attr.name",
	     kiosk_attr_name(k, id), imin(r.h * 40 / 100, hpm(L, 40)), 1, VQ_COL_INK,
	     VQ_ALIGN_LEFT);
	int time_px = imin(r.h * 42 / 100, hpm(L, 42));
	if (!a) {
		text(L, cell, "attr.wait", tr(L, "please_wait"), time_px, 0, VQ_COL_INK,
		     VQ_ALIGN_LEFT);
		return;
	}
	if (!a->open) {
		/* a red badge: plainly closed, not merely pale */
		vq_rect badge = {cell.x, cell.y + cell.h / 6, cell.w * 60 / 100, cell.h * 2 / 3};
		fill(L, badge, VQ_COL_ERROR, badge.h / 4);
		text(L, (vq_rect){badge.x + in, badge.y, badge.w - 2 * in, badge.h}, "attr.closed",
		     tr(L, "closed"), imin(time_px, badge.h * 60 / 100), 1, VQ_COL_WHITE,
		     VQ_ALIGN_CENTER);
		return;
	}
	int t = row_tier(k);
	const vq_window *w = &a->next[t];
	int has_mark = !k->guest_known && earlier_tier(k, a, t, mark, sizeof mark);
	vq_rect top = cell;
	if (has_mark) {
		top.h = cell.h * 58 / 100;
		text(L, (vq_rect){cell.x, cell.y + top.h, cell.w, cell.h - top.h}, "attr.mark",
		     mark, imin(cell.h * 34 / 100, hpm(L, 30)), 1, VQ_COL_PRIMARY, VQ_ALIGN_LEFT);
	}
	if (w->start > 0) {
		window_text(k, w->start, w->end, buf, sizeof buf);
		text(L, top, "attr.next", buf, time_px, 1, VQ_COL_INK, VQ_ALIGN_LEFT)->wrap = 0;
	} else {
		text(L, top, "attr.none", tr(L, "kiosk_none_left"), time_px, 1, VQ_COL_INK,
		     VQ_ALIGN_LEFT);
	}
	text(L, (vq_rect){r.x + r.w - go_w - in / 2, r.y, go_w, r.h}, "attr.go", "❯",
	     imin(r.h * 50 / 100, hpm(L, 50)), 1, VQ_COL_PRIMARY, VQ_ALIGN_CENTER);
}

/* The guest's passes, each with its "give back" button: giving one back is how a guest
 * at the limit makes room for another. Rows that do not fit are left out. Returns the
 * y under the last row. */
static int held_list(struct lay *L, int y, int y1)
{
	kiosk *k = L->k;
	char buf[256], win[64], bid[32];
	int w = L->W - 2 * L->pad, rh = imax(L->T, hpm(L, 75)), bw = imax(L->T, L->W * 30 / 100);
	for (int i = 0; i < k->nheld && y + rh <= y1; i++) {
		const struct kiosk_held *h = &k->held[i];
		window_text(k, h->start, h->end, win, sizeof win);
		snprintf(buf, sizeof buf, "%s   %s   %s", h->number, kiosk_attr_name(k, h->attr),
		         h->anytime ? tr(L, "anytime_pass") : win);
		fill(L, (vq_rect){L->pad, y, w, rh}, VQ_COL_LIGHT, rh / 8);
		text(L, (vq_rect){2 * L->pad, y, w - bw - 3 * L->pad, rh}, "held", buf, hpm(L, 36),
		     1, VQ_COL_INK, VQ_ALIGN_LEFT);
		snprintf(bid, sizeof bid, "give-back-%d", i);
		button(L, (vq_rect){L->pad + w - bw, y, bw, rh}, bid, "held.give",
		       tr(L, "kiosk_give_back"), VQ_COL_PRIMARY, VQ_COL_WHITE, KA_GIVE_BACK, i)
		    ->px = imin(rh * 36 / 100, hpm(L, 32));
		y += rh + L->gap;
	}
	return y;
}

/* How the welcome screen's rides are arranged: one column while rows can be touched,
 * else two, else as many as fit. */
struct grid {
	int n, cols, rows, rowh, colw;
};

static struct grid grid_for(const struct lay *L, int n, int avail)
{
	struct grid g = {n, 1, n > 0 ? n : 1, 0, 0};
	g.rowh = imin(hpm(L, 120), (avail - (g.rows - 1) * L->gap) / g.rows);
	if (g.rowh < L->T) {
		g.cols = 2;
		g.rows = (n + 1) / 2;
		g.rowh = imin(hpm(L, 120), (avail - (g.rows - 1) * L->gap) / imax(g.rows, 1));
	}
	if (g.rowh < L->T) {
		/* More attractions than fit at a touchable size: show those that fit. */
		g.rowh = L->T;
		g.rows = imax(1, (avail + L->gap) / (L->T + L->gap));
		g.n = imin(n, g.rows * g.cols);
	}
	g.colw = (L->W - 2 * L->pad - (g.cols - 1) * L->gap) / g.cols;
	return g;
}

static void welcome(struct lay *L)
{
	kiosk *k = L->k;
	const vq_site_view *site = vq_sitestate_site(k->site);
	int hh = header(L, tr(L, "kiosk_welcome"));
	/* a known guest has buttons at the bottom; a new one has the whole screen */
	int fh = k->guest_known ? footer_h(L) : 0;
	int y = hh + L->pad, y1 = L->H - fh - L->pad;
	if (k->clock_skew_min) {
		/* for staff: this kiosk's clock is not the park's */
		char n[16], buf[256];
		snprintf(n, sizeof n, "%+d", k->clock_skew_min);
		kiosk_format(k, "clock_differs", buf, sizeof buf, "minutes", n, NULL);
		int wh = hpm(L, 50);
		fill(L, (vq_rect){L->pad, y, L->W - 2 * L->pad, wh}, VQ_COL_WARN, wh / 4);
		text(L, (vq_rect){2 * L->pad, y, L->W - 4 * L->pad, wh}, "welcome.clock", buf,
		     hpm(L, 30), 1, VQ_COL_INK, VQ_ALIGN_LEFT);
		y += wh + L->gap;
	}
	vq_rect content = {L->pad, y, L->W - 2 * L->pad, y1 - y};
	if (kiosk_shows_standby(k)) {
		standby_panel(L, content);
		return;
	}
	if (!site->known) {
		text(L, content, "wait", tr(L, "please_wait"), hpm(L, 50), 1, VQ_COL_INK,
		     VQ_ALIGN_CENTER);
		return;
	}
	char buf[160];
	if (!k->guest_known) {
		/* the way in comes first, largest */
		text(L, (vq_rect){L->pad, y, content.w, hpm(L, 85)}, "instruction",
		     tr(L, "kiosk_scan_ticket_or_card"), hpm(L, 56), 1, VQ_COL_INK, VQ_ALIGN_LEFT);
		y += hpm(L, 85);
		text(L, (vq_rect){L->pad, y, content.w, hpm(L, 55)}, "instruction.sub",
		     tr(L, "kiosk_or_touch_ride"), hpm(L, 38), 0, VQ_COL_INK, VQ_ALIGN_LEFT);
		y += hpm(L, 55) + L->gap;
	} else {
		int sh = hpm(L, 70);
		text(L, (vq_rect){L->pad, y, L->W / 2, sh}, "heading",
		     tr(L, "kiosk_choose_attraction"), hpm(L, 44), 1, VQ_COL_INK, VQ_ALIGN_LEFT);
		tier_text(k, k->tier, buf, sizeof buf);
		text(L, (vq_rect){L->W / 2, y, L->W / 2 - L->pad, sh}, "tier", buf, hpm(L, 40), 1,
		     VQ_COL_PRIMARY, VQ_ALIGN_RIGHT);
		y += sh;
	}

	/* An identified guest sees the passes they hold under the attractions (at most
	 * three rows, so the attractions keep most of the screen). */
	int held_y = y1, nrows = k->guest_known ? imin(k->nheld, 3) : 0;
	int nh = k->guest_known && k->notice[0] ? hpm(L, 60) : 0;
	if (nrows > 0 || nh > 0) {
		y1 -= nh + (nrows > 0 ? hpm(L, 60) : 0) + nrows * (imax(L->T, hpm(L, 75)) + L->gap);
		held_y = y1 + L->gap;
	}

	int ch = hpm(L, 45);
	struct grid g = grid_for(L, kiosk_served_count(k), y1 - y - ch);
	int t = row_tier(k);
	if (k->guest_known)
		kiosk_format(k, "kiosk_col_next_tier", buf, sizeof buf, "tier",
		             kiosk_tier_name(k, site->tiers[t]), NULL);
	else
		snprintf(buf, sizeof buf, "%s", tr(L, "kiosk_col_next"));
	for (int c = 0; c < g.cols; c++) {
		int cx = L->pad + c * (g.colw + L->gap), in = imax(L->pad, g.rowh / 8);
		text(L, (vq_rect){cx + in + g.colw * 44 / 100, y, g.colw * 50 / 100 - in, ch},
		     "col", buf, hpm(L, 30), 1, VQ_COL_INK, VQ_ALIGN_LEFT);
	}
	y += ch;
	for (int i = 0; i < g.n; i++) {
		int c = i / g.rows, r = i % g.rows;
		attraction_row(L,
		               (vq_rect){L->pad + c * (g.colw + L->gap), y + r * (g.rowh + L->gap),
		                         g.colw, g.rowh},
		               i);
	}
	if (nh > 0) {
		text(L, (vq_rect){L->pad, held_y, L->W - 2 * L->pad, nh}, "notice",
		     tr(L, k->notice), hpm(L, 38), 1, VQ_COL_PRIMARY, VQ_ALIGN_LEFT);
		held_y += nh;
	}
	if (nrows > 0) {
		text(L, (vq_rect){L->pad, held_y, L->W - 2 * L->pad, hpm(L, 60)}, "heading.held",
		     tr(L, "kiosk_your_passes"), hpm(L, 40), 1, VQ_COL_INK, VQ_ALIGN_LEFT);
		held_list(L, held_y + hpm(L, 60), L->H - fh);
	}
	if (k->guest_known)
		footer(L, 0, 1);
}

/* --- identify ----------------------------------------------------------------------- */

/* The keyboard: digits, letters and the dash, as card numbers and the demo cards
 * ("demo-gold-1") are written; keys are labelled as they type, in lower case. */
static const char *const KEY_ROWS[] = {"1234567890", "qwertyuiop", "asdfghjkl-", "zxcvbnm"};

static void keyboard(struct lay *L, vq_rect area)
{
	int cols = 10, rows = 4;
	int kw = (area.w - (cols - 1) * L->gap) / cols;
	int kh = imax(L->T, imin(kw, (area.h - (rows - 1) * L->gap) / rows));
	kw = imax(kw, L->T);
	int px = imin(kh * 45 / 100, kw * 45 / 100);
	for (int r = 0; r < rows; r++) {
		const char *keys = KEY_ROWS[r];
		int n = (int)strlen(keys);
		int y = area.y + r * (kh + L->gap);
		for (int i = 0; i < n; i++) {
			char id[VQ_ID_MAX], label[2] = {keys[i], '\0'};
			snprintf(id, sizeof id, "key-%s", keys[i] == '-' ? "dash" : label);
			button(L, (vq_rect){area.x + i * (kw + L->gap), y, kw, kh}, id, "key",
			       label, VQ_COL_PRIMARY, VQ_COL_WHITE, KA_KEY, keys[i])
			    ->px = px;
		}
		if (r == rows - 1) {
			int x = area.x + n * (kw + L->gap);
			button(L, (vq_rect){x, y, area.x + area.w - x, kh}, "key-del", "key.delete",
			       tr(L, "kiosk_key_delete"), VQ_COL_LIGHT, VQ_COL_INK, KA_DELETE, 0)
			    ->px = px;
		}
	}
}

static void identify(struct lay *L)
{
	kiosk *k = L->k;
	int hh = header(L, title_for(L));
	int y = hh + L->pad, y1 = L->H - footer_h(L) - L->pad, w = L->W - 2 * L->pad;
	text(L, (vq_rect){L->pad, y, w, hpm(L, 85)}, "instruction",
	     tr(L, "kiosk_scan_ticket_or_card"), hpm(L, 56), 1, VQ_COL_INK, VQ_ALIGN_LEFT);
	y += hpm(L, 85);
	if (k->notice[0])
		text(L, (vq_rect){L->pad, y, w, hpm(L, 55)}, "notice", tr(L, k->notice), hpm(L, 38),
		     1, VQ_COL_ERROR, VQ_ALIGN_LEFT);
	else
		text(L, (vq_rect){L->pad, y, w, hpm(L, 55)}, "instruction.sub",
		     tr(L, "kiosk_or_type_number"), hpm(L, 38), 0, VQ_COL_INK, VQ_ALIGN_LEFT);
	y += hpm(L, 55) + L->gap;

	int fh = imax(L->T, hpm(L, 100)), okw = imax(L->T, L->W * 22 / 100);
	vq_rect field = {L->pad, y, w - okw - L->gap, fh};
	fill(L, field, VQ_COL_LIGHT, fh / 8);
	vq_rect in = {field.x + L->pad, field.y, field.w - 2 * L->pad, field.h};
	if (k->typed[0])
		text(L, in, "typed", k->typed, hpm(L, 58), 1, VQ_COL_INK, VQ_ALIGN_LEFT)->wrap = 0;
	else
		text(L, in, "typed.hint", tr(L, "kiosk_type_number"), hpm(L, 34), 0, VQ_COL_INK,
		     VQ_ALIGN_LEFT);
	button(L, (vq_rect){L->pad + w - okw, y, okw, fh}, "key-ok", "key.ok", tr(L, "ok"),
	       VQ_COL_OK, VQ_COL_WHITE, KA_SUBMIT, 0)
	    ->disabled = !k->typed[0];
	y += fh + 2 * L->gap;
	keyboard(L, (vq_rect){L->pad, y, w, y1 - y});
	footer(L, 1, 0);
}

/* --- party -------------------------------------------------------------------------- */

static void party(struct lay *L)
{
	kiosk *k = L->k;
	char buf[128];
	int hh = header(L, title_for(L));
	int y = hh + L->pad, y1 = L->H - footer_h(L) - L->pad;
	tier_text(k, k->tier, buf, sizeof buf);
	text(L, (vq_rect){L->pad, y, L->W - 2 * L->pad, hpm(L, 60)}, "tier", buf, hpm(L, 38), 1,
	     VQ_COL_PRIMARY, VQ_ALIGN_LEFT);
	y += hpm(L, 60);
	text(L, (vq_rect){L->pad, y, L->W - 2 * L->pad, hpm(L, 100)}, "heading",
	     tr(L, "kiosk_party_size"), hpm(L, 60), 1, VQ_COL_INK, VQ_ALIGN_LEFT);
	y += hpm(L, 100) + L->gap;
	int max = kiosk_known_max_party(k, k->attr);
	int per_row = KIOSK_PARTY_MAX / 2;
	int s = imin((L->W - 2 * L->pad - (per_row - 1) * L->gap) / per_row, (y1 - y - L->gap) / 2);
	s = imax(imin(s, hpm(L, 220)), L->T);
	int gx = (L->W - (per_row * s + (per_row - 1) * L->gap)) / 2;
	for (int n = 1; n <= KIOSK_PARTY_MAX; n++) {
		int i = n - 1;
		vq_rect r = {gx + (i % per_row) * (s + L->gap), y + (i / per_row) * (s + L->gap), s,
		             s};
		char id[VQ_ID_MAX], label[4];
		snprintf(id, sizeof id, "party-%d", n);
		snprintf(label, sizeof label, "%d", n);
		vq_el *b =
		    button(L, r, id, "party", label, VQ_COL_PRIMARY, VQ_COL_WHITE, KA_PARTY, n);
		b->px = s * 45 / 100;
		b->disabled = max > 0 && n > max;
	}
	footer(L, 1, 1);
}

/* --- confirm ------------------------------------------------------------------------ */

static void confirm(struct lay *L)
{
	kiosk *k = L->k;
	char buf[256], win[64], s[VQ_TIME_HHMM_MAX], e[VQ_TIME_HHMM_MAX], date[64], n[16];
	int hh = header(L, title_for(L));
	int y = hh + L->pad;
	int w = L->W - 2 * L->pad;
	kiosk_format(k, "kiosk_confirm_booking", buf, sizeof buf, "attraction",
	             kiosk_attr_name(k, k->attr), NULL);
	text(L, (vq_rect){L->pad, y, w, hpm(L, 120)}, "heading", buf, hpm(L, 48), 1, VQ_COL_INK,
	     VQ_ALIGN_LEFT);
	y += hpm(L, 120) + L->gap;

	vq_rect panel = {L->pad, y, w, hpm(L, 300)};
	fill(L, panel, VQ_COL_LIGHT, hpm(L, 20));
	kiosk_hhmm(k, k->q_start, s);
	kiosk_hhmm(k, k->q_end, e);
	kiosk_format(k, "kiosk_tier_return", buf, sizeof buf, "tier", kiosk_tier_name(k, k->tier),
	             "start", s, "end", e, NULL);
	text(L, (vq_rect){panel.x + L->pad, panel.y, panel.w - 2 * L->pad, panel.h * 62 / 100},
	     "quote", buf, hpm(L, 80), 1, VQ_COL_INK, VQ_ALIGN_CENTER);
	kiosk_date(k, k->q_start, date, sizeof date);
	snprintf(n, sizeof n, "%d", k->party);
	kiosk_format(k, "kiosk_party_size_n", win, sizeof win, "n", n, NULL);
	snprintf(buf, sizeof buf, "%s\u00a0· %s", date, win);
	text(L,
	     (vq_rect){panel.x + L->pad, panel.y + panel.h * 62 / 100, panel.w - 2 * L->pad,
	               panel.h * 30 / 100},
	     "quote.detail", buf, hpm(L, 42), 0, VQ_COL_INK, VQ_ALIGN_CENTER);
	y += panel.h + L->gap;

	/* what the next tier up would get, for this same party, by vqd's own quote */
	if (k->cmp_tier[0] && k->cmp_start > 0) {
		window_text(k, k->cmp_start, k->cmp_end, win, sizeof win);
		kiosk_format(k, "kiosk_next_tier_same_party", buf, sizeof buf, "tier",
		             kiosk_tier_name(k, k->cmp_tier), "window", win, NULL);
		text(L, (vq_rect){L->pad, y, w, hpm(L, 70)}, "compare", buf, hpm(L, 36), 0,
		     VQ_COL_INK, VQ_ALIGN_CENTER);
	}
	footer(L, 1, 1);
	footer_action(L, "confirm", tr(L, "confirm"), KA_CONFIRM);
}

/* --- ticket ------------------------------------------------------------------------- */

static void ticket(struct lay *L)
{
	kiosk *k = L->k;
	const kiosk_ticket *t = &k->ticket;
	char buf[256], win[64], n[16];
	int hh = header(L, tr(L, "kiosk_your_ticket"));
	int y0 = hh + L->pad, y1 = L->H - footer_h(L) - L->pad;
	int lw = L->W * 56 / 100, y = y0;

	text(L, (vq_rect){L->pad, y, lw, hpm(L, 80)}, "ticket.attraction",
	     kiosk_attr_name(k, t->attraction), hpm(L, 52), 1, VQ_COL_INK, VQ_ALIGN_LEFT);
	y += hpm(L, 80);
	window_text(k, t->start, t->end, win, sizeof win);
	text(L, (vq_rect){L->pad, y, lw, hpm(L, 170)}, "ticket.window", win, hpm(L, 150), 1,
	     VQ_COL_INK, VQ_ALIGN_LEFT)
	    ->wrap = 0;
	y += hpm(L, 170);
	kiosk_date(k, t->start, buf, sizeof buf);
	text(L, (vq_rect){L->pad, y, lw, hpm(L, 60)}, "ticket.date", buf, hpm(L, 42), 1, VQ_COL_INK,
	     VQ_ALIGN_LEFT);
	y += hpm(L, 60);
	kiosk_format(k, "kiosk_ticket_number", buf, sizeof buf, "number", t->number, NULL);
	text(L, (vq_rect){L->pad, y, lw, hpm(L, 100)}, "ticket.number", buf, hpm(L, 75), 1,
	     VQ_COL_PRIMARY, VQ_ALIGN_LEFT);
	y += hpm(L, 100);
	tier_text(k, t->tier, buf, sizeof buf);
	text(L, (vq_rect){L->pad, y, lw / 2, hpm(L, 60)}, "ticket.detail", buf, hpm(L, 38), 1,
	     VQ_COL_INK, VQ_ALIGN_LEFT);
	snprintf(n, sizeof n, "%d", t->party);
	kiosk_format(k, "kiosk_party_size_n", buf, sizeof buf, "n", n, NULL);
	text(L, (vq_rect){L->pad + lw / 2, y, lw / 2, hpm(L, 60)}, "ticket.detail", buf, hpm(L, 38),
	     1, VQ_COL_INK, VQ_ALIGN_LEFT);
	y += hpm(L, 60) + L->gap;
	text(L, (vq_rect){L->pad, y, lw, imin(hpm(L, 80), y1 - y)}, "ticket.show",
	     tr(L, "kiosk_show_code"), hpm(L, 36), 0, VQ_COL_INK, VQ_ALIGN_LEFT);
	y += hpm(L, 80);
	if (y1 - y >= hpm(L, 40))
		text(L, (vq_rect){L->pad, y, lw, imin(hpm(L, 70), y1 - y)}, "ticket.hint",
		     tr(L, "kiosk_photo_hint"), hpm(L, 32), 0, VQ_COL_MUTED, VQ_ALIGN_LEFT);

	int qx = L->pad + lw + L->pad, qw = L->W - qx - L->pad;
	char link[KIOSK_PHONE_URL_MAX + VQ_CODE_MAX + 2];
	int phone = kiosk_phone_link(k, t->code, link, sizeof link);
	/* the phone's QR, a third the size, under the gate's: the gate's stays the one to
	 * scan at the fast lane */
	int pside = phone ? (y1 - y0) * 30 / 100 : 0;
	int side = imin(qw, y1 - y0 - (phone ? pside + L->gap : 0));
	vq_view_qr(L->v, (vq_rect){qx + (qw - side) / 2, y0, side, side}, "ticket.qr", t->code);
	if (phone) {
		int py = y0 + side + L->gap;
		vq_view_qr(L->v, (vq_rect){qx, py, pside, pside}, "ticket.phone_qr", link);
		text(L, (vq_rect){qx + pside + L->gap, py, qw - pside - L->gap, pside},
		     "ticket.phone_hint", tr(L, "kiosk_phone_hint"), hpm(L, 32), 0, VQ_COL_INK,
		     VQ_ALIGN_LEFT);
	}
	footer_action(L, "done", tr(L, "done"), KA_DONE);
}

/* --- errors and the standby screen ------------------------------------------------ */

static int offers_alternatives(const char *code)
{
	return !strcmp(code, "sold_out") || !strcmp(code, "closed") ||
	       !strcmp(code, "not_operating");
}

static void error_message(const struct lay *L, char *buf, size_t n)
{
	const kiosk *k = L->k;
	const char *c = k->err;
	char num[16];
	if (!strcmp(c, "sold_out")) {
		snprintf(buf, n, "%s", tr(L, "kiosk_sold_out"));
	} else if (!strcmp(c, "limit_reached")) {
		snprintf(num, sizeof num, "%d", k->max_passes > 0 ? k->max_passes : k->nheld);
		kiosk_format(k, "kiosk_limit_reached", buf, n, "n", num, NULL);
	} else if (!strcmp(c, "party_size")) {
		if (k->err_max_party > 0) {
			snprintf(num, sizeof num, "%d", k->err_max_party);
			kiosk_format(k, "kiosk_party_too_large", buf, n, "n", num, NULL);
		} else {
			snprintf(buf, n, "%s", tr(L, "kiosk_party_too_large_any"));
		}
	} else if (!strcmp(c, "closed")) {
		snprintf(buf, n, "%s", tr(L, "attraction_closed"));
	} else if (!strcmp(c, "not_operating")) {
		snprintf(buf, n, "%s", tr(L, "not_operating"));
	} else if (!strcmp(c, "unknown_ticket") || !strcmp(c, "bad_state")) {
		snprintf(buf, n, "%s", tr(L, "kiosk_give_back_failed"));
	} else if (!strcmp(c, "unknown_card")) {
		snprintf(buf, n, "%s", tr(L, "kiosk_unknown_card"));
	} else {
		snprintf(buf, n, "%s", tr(L, "error_generic"));
	}
}

static void error_screen(struct lay *L)
{
	kiosk *k = L->k;
	char buf[256], win[64];
	int hh = header(L, title_for(L));
	int y = hh + L->pad, y1 = L->H - footer_h(L) - L->pad, w = L->W - 2 * L->pad;
	vq_rect panel = {L->pad, y, w, hpm(L, 170)};
	fill(L, panel, VQ_COL_ERROR, hpm(L, 20));
	error_message(L, buf, sizeof buf);
	text(L, (vq_rect){panel.x + L->pad, panel.y, panel.w - 2 * L->pad, panel.h}, "error", buf,
	     hpm(L, 56), 1, VQ_COL_WHITE, VQ_ALIGN_CENTER);
	y += panel.h + L->gap;
	int big_w = imax(L->T, L->W * 4 / 10), big_h = imax(L->T, hpm(L, 130));

	if (offers_alternatives(k->err)) {
		text(L, (vq_rect){L->pad, y, w, hpm(L, 60)}, "heading",
		     tr(L, k->nalts ? "kiosk_try_instead" : "kiosk_no_alternatives"), hpm(L, 40), 1,
		     VQ_COL_INK, VQ_ALIGN_LEFT);
		y += hpm(L, 60) + L->gap;
		int rh = imax(L->T, hpm(L, 90));
		int cols = 2, colw = (w - L->gap) / cols;
		int rows = imax(1, (y1 - y + L->gap) / (rh + L->gap));
		for (int i = 0; i < k->nalts && i < rows * cols; i++) {
			const struct kiosk_alt *a = &k->alts[i];
			const char *id = kiosk_served_id(k, a->served);
			if (!id)
				continue;
			window_text(k, a->start, a->end, win, sizeof win);
			snprintf(buf, sizeof buf, "%s   %s", kiosk_attr_name(k, id), win);
			char bid[VQ_ID_MAX];
			attr_button_id(bid, sizeof bid, "alt-", id, a->served);
			vq_rect r = {L->pad + (i / rows) * (colw + L->gap),
			             y + (i % rows) * (rh + L->gap), colw, rh};
			button(L, r, bid, "alt", buf, VQ_COL_WHITE, VQ_COL_INK, KA_ALT, a->served)
			    ->px = imin(rh * 36 / 100, hpm(L, 36));
		}
		footer(L, k->guest_known, 1);
	} else if (!strcmp(k->err, "limit_reached")) {
		text(L, (vq_rect){L->pad, y, w, hpm(L, 60)}, "heading.held",
		     tr(L, "kiosk_your_passes"), hpm(L, 40), 1, VQ_COL_INK, VQ_ALIGN_LEFT);
		y += hpm(L, 60) + L->gap;
		held_list(L, y, y1);
		footer(L, 0, 1);
	} else if (!strcmp(k->err, "party_size")) {
		button(L, (vq_rect){(L->W - big_w) / 2, y + L->gap, big_w, big_h}, "choose-again",
		       "action.big", tr(L, "kiosk_choose_again"), VQ_COL_PRIMARY, VQ_COL_WHITE,
		       KA_CHOOSE_AGAIN, 0);
		footer(L, 0, 1);
	} else if (!strcmp(k->err, "unknown_card")) {
		button(L, (vq_rect){(L->W - big_w) / 2, y + L->gap, big_w, big_h}, "try-again",
		       "action.big", tr(L, "try_again"), VQ_COL_PRIMARY, VQ_COL_WHITE, KA_TRY_AGAIN,
		       0);
		footer(L, 0, 1);
	} else if (!strcmp(k->err, "unknown_ticket") || !strcmp(k->err, "bad_state")) {
		/* A pass that could not be given back: the guest's other passes and the
		 * attractions are one step back. */
		footer(L, k->guest_known, 1);
	} else {
		footer(L, 0, 1);
	}
}

static void offline(struct lay *L)
{
	int hh = header(L, title_for(L));
	int y = hh + L->pad, y1 = L->H - footer_h(L) - L->pad;
	standby_panel(L, (vq_rect){L->pad, y, L->W - 2 * L->pad, y1 - y});
	footer(L, 0, 1);
}

/* --- overlays ------------------------------------------------------------------------ */

static void give_back_dialog(struct lay *L)
{
	kiosk *k = L->k;
	const struct kiosk_held *h = NULL;
	for (int i = 0; i < k->nheld; i++)
		if (k->held[i].id == k->give_back)
			h = &k->held[i];
	char buf[256];
	kiosk_format(k, "kiosk_give_back_confirm", buf, sizeof buf, "number", h ? h->number : "",
	             NULL);
	/* The screen underneath stays in sight, dimmed; a tap anywhere on it answers "keep
	 * it", so no tap reaches a button underneath. */
	vq_color dim = DIM;
	dim.a = 150;
	fill(L, (vq_rect){0, 0, L->W, L->H}, dim, 0);
	button(L, (vq_rect){0, 0, L->W, L->H}, "give-back-dismiss", "dismiss", "",
	       (vq_color){0, 0, 0, 0}, VQ_COL_INK, KA_GIVE_BACK_NO, 0);
	int w = L->W * 70 / 100, h2 = imax(2 * L->T + 3 * L->pad, hpm(L, 360));
	vq_rect r = {(L->W - w) / 2, (L->H - h2) / 2, w, h2};
	fill(L, r, VQ_COL_WHITE, hpm(L, 20));
	text(L, (vq_rect){r.x + L->pad, r.y + L->pad, r.w - 2 * L->pad, h2 / 2 - L->pad}, "dialog",
	     buf, hpm(L, 44), 1, VQ_COL_INK, VQ_ALIGN_CENTER);
	int bw = (r.w - 3 * L->pad) / 2, bh = imax(L->T, h2 / 2 - 2 * L->pad);
	int by = r.y + h2 / 2 + L->pad;
	button(L, (vq_rect){r.x + L->pad, by, bw, bh}, "give-back-no", "dialog.answer",
	       tr(L, "kiosk_give_back_keep"), VQ_COL_LIGHT, VQ_COL_INK, KA_GIVE_BACK_NO, 0);
	button(L, (vq_rect){r.x + 2 * L->pad + bw, by, bw, bh}, "give-back-yes", "dialog.answer",
	       tr(L, "kiosk_give_back_yes"), VQ_COL_ERROR, VQ_COL_WHITE, KA_GIVE_BACK_YES, 0);
}

static void overlays(struct lay *L)
{
	kiosk *k = L->k;
	if (k->rq_state != RQ_IDLE && k->screen != KS_OFFLINE) {
		int w = L->W * 44 / 100, h = hpm(L, 150);
		vq_rect r = {(L->W - w) / 2, (L->H - h) / 2, w, h};
		fill(L, r, VQ_COL_PRIMARY, h / 8);
		text(L, (vq_rect){r.x + L->pad, r.y, r.w - 2 * L->pad, r.h}, "busy",
		     tr(L, k->unanswered > 0 ? "retrying" : "please_wait"), hpm(L, 50), 1,
		     VQ_COL_WHITE, VQ_ALIGN_CENTER);
	}
	if (kiosk_give_back_pending(k))
		give_back_dialog(L);
	if (k->idle_warning) {
		char buf[256];
		snprintf(buf, sizeof buf, "%s %s", tr(L, "kiosk_still_there"),
		         tr(L, "kiosk_touch_to_continue"));
		button(L,
		       (vq_rect){L->pad, header_h(L) + L->pad, L->W - 2 * L->pad,
		                 imax(L->T, hpm(L, 140))},
		       "continue", "idle", buf, VQ_COL_WARN, VQ_COL_INK, KA_CONTINUE, 0)
		    ->px = hpm(L, 48);
	}
}

void kiosk_layout(kiosk *k, vq_view *v)
{
	vq_view_reset(v, k->w, k->h);
	struct lay L = {k, v, k->w, k->h, k->target, imax(8, k->h / 80), imax(8, k->h / 80)};
	fill(&L, (vq_rect){0, 0, k->w, k->h}, VQ_COL_PAPER, 0);
	switch (k->screen) {
	case KS_WELCOME:
		welcome(&L);
		break;
	case KS_IDENTIFY:
		identify(&L);
		break;
	case KS_PARTY:
		party(&L);
		break;
	case KS_CONFIRM:
		confirm(&L);
		break;
	case KS_TICKET:
		ticket(&L);
		break;
	case KS_ERROR:
		error_screen(&L);
		break;
	case KS_OFFLINE:
		offline(&L);
		break;
	default:
		break;
	}
	overlays(&L);
}

/* --- the printed ticket ------------------------------------------------------------ */

/* A receipt: black on white, one column, the QR as wide as the paper allows. */
void kiosk_layout_print(kiosk *k, int w, int h, vq_view *v)
{
	vq_view_reset(v, w, h);
	struct lay L = {k, v, w, h, 1, imax(4, w / 24), imax(4, h / 100)};
	const kiosk_ticket *t = &k->ticket;
	char buf[256], win[64], n[16];
	int x = L.pad, cw = w - 2 * L.pad, y = L.pad;
	fill(&L, (vq_rect){0, 0, w, h}, VQ_COL_WHITE, 0);
	const vq_site_view *site = vq_sitestate_site(k->site);
	text(&L, (vq_rect){x, y, cw, hpm(&L, 50)}, "print.site",
	     site->name[0] ? site->name : site->site, hpm(&L, 36), 1, VQ_COL_BLACK,
	     VQ_ALIGN_CENTER);
	y += hpm(&L, 50);
	text(&L, (vq_rect){x, y, cw, hpm(&L, 70)}, "print.attraction",
	     kiosk_attr_name(k, t->attraction), hpm(&L, 50), 1, VQ_COL_BLACK, VQ_ALIGN_CENTER);
	y += hpm(&L, 70) + L.gap;
	fill(&L, (vq_rect){x, y, cw, imax(2, h / 300)}, VQ_COL_BLACK, 0);
	y += L.gap * 2;
	window_text(k, t->start, t->end, win, sizeof win);
	text(&L, (vq_rect){x, y, cw, hpm(&L, 110)}, "print.window", win, hpm(&L, 95), 1,
	     VQ_COL_BLACK, VQ_ALIGN_CENTER)
	    ->wrap = 0;
	y += hpm(&L, 110);
	kiosk_date(k, t->start, buf, sizeof buf);
	text(&L, (vq_rect){x, y, cw, hpm(&L, 50)}, "print.date", buf, hpm(&L, 36), 1, VQ_COL_BLACK,
	     VQ_ALIGN_CENTER);
	y += hpm(&L, 50);
	kiosk_format(k, "kiosk_ticket_number", buf, sizeof buf, "number", t->number, NULL);
	text(&L, (vq_rect){x, y, cw, hpm(&L, 70)}, "print.number", buf, hpm(&L, 55), 1,
	     VQ_COL_BLACK, VQ_ALIGN_CENTER);
	y += hpm(&L, 70);
	tier_text(k, t->tier, buf, sizeof buf);
	snprintf(n, sizeof n, "%d", t->party);
	char party_s[128];
	kiosk_format(k, "kiosk_party_size_n", party_s, sizeof party_s, "n", n, NULL);
	text(&L, (vq_rect){x, y, cw / 2, hpm(&L, 50)}, "print.detail", buf, hpm(&L, 32), 0,
	     VQ_COL_BLACK, VQ_ALIGN_CENTER);
	text(&L, (vq_rect){x + cw / 2, y, cw / 2, hpm(&L, 50)}, "print.detail", party_s,
	     hpm(&L, 32), 0, VQ_COL_BLACK, VQ_ALIGN_CENTER);
	y += hpm(&L, 50) + L.gap;
	char link[KIOSK_PHONE_URL_MAX + VQ_CODE_MAX + 2];
	int phone = kiosk_phone_link(k, t->code, link, sizeof link);
	int bottom = hpm(&L, 110) + (phone ? hpm(&L, 260) : 0);
	int side = imin(cw, h - y - bottom - L.pad);
	vq_view_qr(v, (vq_rect){(w - side) / 2, y, side, side}, "print.qr", t->code);
	y += side + L.gap;
	text(&L, (vq_rect){x, y, cw, hpm(&L, 100)}, "print.show", tr(&L, "kiosk_show_code"),
	     hpm(&L, 30), 0, VQ_COL_BLACK, VQ_ALIGN_CENTER);
	y += hpm(&L, 100);
	if (phone) {
		/* the same ticket on the phone: a smaller code beside its explanation */
		int pside = imin(cw / 2, h - y - L.pad);
		vq_view_qr(v, (vq_rect){x, y, pside, pside}, "print.phone_qr", link);
		text(&L, (vq_rect){x + pside + L.gap, y, cw - pside - L.gap, pside},
		     "print.phone_hint", tr(&L, "kiosk_phone_hint"), hpm(&L, 28), 0, VQ_COL_BLACK,
		     VQ_ALIGN_LEFT);
	}
}
