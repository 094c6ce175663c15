/* kiosk/kiosk_layout.c — what each kiosk screen shows, as a display list (kiosk_view.h).
 *
 * Owns the geometry: every size is a share of the frame's height (so the screens scale
 * with the logical size), and every touch target is grown to at least the configured
 * target size (15 mm on the glass). Colours are the ui palette's contrast pairs only:
 * ink on paper or light, white on the strong colours. Every string comes from the
 * translations; nothing here is in a language.
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
	struct kiosk_view *v;
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

/* --- the display list ------------------------------------------------------------ */

const char *kiosk_el_text(const struct kiosk_view *v, const kiosk_el *e)
{
	return e->text < v->used ? v->arena + e->text : "";
}

const kiosk_el *kiosk_view_hit(const struct kiosk_view *v, int x, int y)
{
	for (int i = v->n; i-- > 0;) {
		const kiosk_el *e = &v->el[i];
		if (e->kind == KEL_BUTTON && !e->disabled && vq_rect_contains(e->r, x, y))
			return e;
	}
	return NULL;
}

const kiosk_el *kiosk_view_button(const struct kiosk_view *v, const char *id)
{
	for (int i = 0; i < v->n; i++)
		if (v->el[i].kind == KEL_BUTTON && strcmp(v->el[i].id, id) == 0)
			return &v->el[i];
	return NULL;
}

int kiosk_view_has_text(const struct kiosk_view *v, const char *needle)
{
	for (int i = 0; i < v->n; i++)
		if ((v->el[i].kind == KEL_TEXT || v->el[i].kind == KEL_BUTTON) &&
		    strstr(kiosk_el_text(v, &v->el[i]), needle))
			return 1;
	return 0;
}

static size_t put(struct kiosk_view *v, const char *s)
{
	size_t n = strlen(s) + 1;
	if (v->used + n > sizeof v->arena) {
		v->overflow = 1;
		return 0; /* arena[0] is always "" */
	}
	memcpy(v->arena + v->used, s, n);
	v->used += n;
	return v->used - n;
}

static kiosk_el *add(struct lay *L, int kind, vq_rect r)
{
	static kiosk_el spare; /* where elements past the end go: drawn nowhere */
	struct kiosk_view *v = L->v;
	if (v->n >= KIOSK_VIEW_MAX) {
		v->overflow = 1;
		memset(&spare, 0, sizeof spare);
		return &spare;
	}
	kiosk_el *e = &v->el[v->n++];
	memset(e, 0, sizeof *e);
	e->kind = kind;
	e->r = r;
	return e;
}

static void fill(struct lay *L, vq_rect r, vq_color c, int radius)
{
	kiosk_el *e = add(L, KEL_FILL, r);
	e->bg = c;
	e->radius = radius;
}

static kiosk_el *text(struct lay *L, vq_rect r, const char *s, int px, int bold, vq_color c,
                      int align)
{
	kiosk_el *e = add(L, KEL_TEXT, r);
	e->text = put(L->v, s);
	e->px = imin(imax(px, VQ_TEXT_PX_MIN), VQ_TEXT_PX_MAX);
	e->min_px = imax(e->px / 2, VQ_TEXT_PX_MIN);
	e->bold = bold;
	e->fg = c;
	e->align = align;
	e->valign = VQ_VALIGN_MIDDLE;
	e->wrap = 1;
	return e;
}

static kiosk_el *button(struct lay *L, vq_rect r, const char *id, const char *label, vq_color bg,
                        vq_color fg, int action, int arg)
{
	/* Never smaller than a fingertip, whatever the caller computed. */
	r.w = imax(r.w, L->T);
	r.h = imax(r.h, L->T);
	kiosk_el *e = add(L, KEL_BUTTON, r);
	snprintf(e->id, sizeof e->id, "%s", id);
	e->text = put(L->v, label);
	e->bg = bg;
	e->fg = fg;
	e->action = action;
	e->arg = arg;
	e->pressed = id[0] && strcmp(id, L->k->pressed) == 0;
	return e;
}

static void qr(struct lay *L, vq_rect r, const char *s)
{
	kiosk_el *e = add(L, KEL_QR, r);
	e->text = put(L->v, s);
}

static const char *tr(const struct lay *L, const char *key)
{
	return kiosk_tr(L->k, key);
}

static void window_text(const kiosk *k, int64_t start, int64_t end, char *out, size_t n)
{
	char s[16], e[16];
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

/* The navy band: a title, and the language switch on every screen, so a visitor can
 * change language at any step. Returns its height. */
static int header(struct lay *L, const char *title)
{
	int hh = imax(L->T + 2 * L->pad, hpm(L, 130));
	fill(L, (vq_rect){0, 0, L->W, hh}, VQ_COL_PRIMARY, 0);
	size_t n = vq_i18n_lang_count(L->k->i18n);
	int bw = imax(L->T, L->W / 9), bh = hh - 2 * L->pad;
	int x = L->W - L->pad - (int)n * bw - ((int)n - 1) * L->gap;
	for (size_t i = 0; i < n; i++) {
		const char *code = vq_i18n_lang_at(L->k->i18n, i);
		char id[VQ_ID_MAX];
		snprintf(id, sizeof id, "lang-%s", code);
		int current = strcmp(code, L->k->lang) == 0;
		kiosk_el *b = button(
		    L, (vq_rect){x, L->pad, bw, bh}, id, vq_i18n_get(L->k->i18n, code, "lang_name"),
		    current ? VQ_COL_WARN : VQ_COL_LIGHT, VQ_COL_INK, KA_LANG, (int)i);
		b->px = imin(bh / 3, hpm(L, 32));
		x += bw + L->gap;
	}
	int tw = L->W - (int)n * (bw + L->gap) - 3 * L->pad;
	text(L, (vq_rect){L->pad, 0, tw, hh}, title, hpm(L, 55), 1, VQ_COL_WHITE, VQ_ALIGN_LEFT);
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
		button(L, (vq_rect){x, y, bw, bh}, "back", tr(L, "back"), VQ_COL_LIGHT, VQ_COL_INK,
		       KA_BACK, 0);
		x += bw + L->gap;
	}
	if (with_start_over)
		button(L, (vq_rect){x, y, bw, bh}, "start-over", tr(L, "start_over"), VQ_COL_LIGHT,
		       VQ_COL_INK, KA_START_OVER, 0);
}

/* The main action, bottom right. */
static void footer_action(struct lay *L, const char *id, const char *label, int action)
{
	int fh = footer_h(L), bw = imax(L->T, L->W * 3 / 10), bh = fh - 2 * L->pad;
	button(L, (vq_rect){L->W - L->pad - bw, L->H - fh + L->pad, bw, bh}, id, label, VQ_COL_OK,
	       VQ_COL_WHITE, action, 0);
}

static const char *title_for(const struct lay *L)
{
	const kiosk *k = L->k;
	return k->attr[0] ? kiosk_attr_name(k, k->attr) : tr(L, "kiosk_welcome");
}

/* --- welcome ----------------------------------------------------------------------- */

static void standby_panel(struct lay *L, vq_rect r)
{
	fill(L, r, VQ_COL_WARN, hpm(L, 20));
	vq_rect top = {r.x + L->pad, r.y + L->pad, r.w - 2 * L->pad, r.h * 6 / 10 - L->pad};
	vq_rect bot = {r.x + L->pad, r.y + r.h * 6 / 10, r.w - 2 * L->pad, r.h * 3 / 10};
	text(L, top, tr(L, "service_unavailable"), hpm(L, 62), 1, VQ_COL_INK, VQ_ALIGN_CENTER);
	text(L, bot, tr(L, "retrying"), hpm(L, 38), 0, VQ_COL_INK, VQ_ALIGN_CENTER);
}

static void attraction_row(struct lay *L, vq_rect r, int i, int ntiers, int guest_tier)
{
	const kiosk *k = L->k;
	const char *id = kiosk_served_id(k, i);
	const vq_attr_view *a = kiosk_served_view(k, i);
	char bid[VQ_ID_MAX];
	attr_button_id(bid, sizeof bid, "attr-", id, i);
	kiosk_el *b = button(L, r, bid, "", VQ_COL_LIGHT, VQ_COL_INK, KA_ATTR, i);
	b->disabled = !a || !a->open;
	int name_w = ntiers > 0 ? r.w * 36 / 100 : r.w - 2 * L->pad;
	int name_px = imin(r.h * 40 / 100, hpm(L, 38));
	text(L, (vq_rect){r.x + L->pad, r.y, name_w - L->pad, r.h}, kiosk_attr_name(k, id), name_px,
	     1, VQ_COL_INK, VQ_ALIGN_LEFT);
	if (ntiers <= 0)
		return;
	vq_rect cells = {r.x + name_w + L->pad, r.y, r.w - name_w - 2 * L->pad, r.h};
	int cell_px = imin(r.h * 34 / 100, hpm(L, 32));
	if (!a || !a->open) {
		text(L, cells, tr(L, a ? "closed" : "please_wait"), cell_px, 1, VQ_COL_INK,
		     VQ_ALIGN_CENTER);
		return;
	}
	int cw = cells.w / ntiers;
	for (int t = 0; t < ntiers; t++) {
		char buf[64];
		if (a->next[t].start > 0)
			window_text(k, a->next[t].start, a->next[t].end, buf, sizeof buf);
		else
			snprintf(buf, sizeof buf, "%s", tr(L, "kiosk_none_left"));
		/* the guest's own tier stands out by weight: grey on the light row would
		 * fall under 7:1 */
		text(L, (vq_rect){cells.x + t * cw, r.y, cw, r.h}, buf, cell_px, t == guest_tier,
		     VQ_COL_INK, VQ_ALIGN_CENTER);
	}
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
		text(L, (vq_rect){2 * L->pad, y, w - bw - 3 * L->pad, rh}, buf, hpm(L, 36), 1,
		     VQ_COL_INK, VQ_ALIGN_LEFT);
		snprintf(bid, sizeof bid, "give-back-%d", i);
		button(L, (vq_rect){L->pad + w - bw, y, bw, rh}, bid, tr(L, "kiosk_give_back"),
		       VQ_COL_PRIMARY, VQ_COL_WHITE, KA_GIVE_BACK, i)
		    ->px = imin(rh * 36 / 100, hpm(L, 32));
		y += rh + L->gap;
	}
	return y;
}

static void welcome(struct lay *L)
{
	kiosk *k = L->k;
	const vq_site_view *site = vq_sitestate_site(k->site);
	int hh = header(L, tr(L, "kiosk_welcome"));
	int fh = footer_h(L);
	int y = hh + L->pad, y1 = L->H - fh - L->pad;
	vq_rect content = {L->pad, y, L->W - 2 * L->pad, y1 - y};
	if (kiosk_shows_standby(k)) {
		standby_panel(L, content);
		return;
	}
	if (!site->known) {
		text(L, content, tr(L, "please_wait"), hpm(L, 50), 1, VQ_COL_INK, VQ_ALIGN_CENTER);
		return;
	}
	int guest_tier = k->guest_known ? vq_sitestate_tier(k->site, k->tier) : -1;
	/* An identified guest sees the passes they hold under the attractions (at most
	 * three rows, so the attractions keep most of the screen). */
	int held_y = y1, nrows = k->guest_known ? imin(k->nheld, 3) : 0;
	int nh = k->guest_known && k->notice[0] ? hpm(L, 60) : 0;
	if (nrows > 0 || nh > 0) {
		y1 -= nh + (nrows > 0 ? hpm(L, 60) : 0) + nrows * (imax(L->T, hpm(L, 75)) + L->gap);
		held_y = y1 + L->gap;
	}

	int sh = hpm(L, 70);
	text(L, (vq_rect){L->pad, y, L->W / 2, sh}, tr(L, "kiosk_choose_attraction"), hpm(L, 44), 1,
	     VQ_COL_INK, VQ_ALIGN_LEFT);
	if (k->guest_known) {
		char buf[128];
		kiosk_format(k, "tier", buf, sizeof buf, "tier", kiosk_tier_name(k, k->tier), NULL);
		text(L, (vq_rect){L->W / 2, y, L->W / 2 - L->pad, sh}, buf, hpm(L, 40), 1,
		     VQ_COL_PRIMARY, VQ_ALIGN_RIGHT);
	}
	y += sh;

	int n = kiosk_served_count(k), ntiers = site->ntiers;
	int ch = hpm(L, 45);
	int avail = y1 - y - ch;
	int cols = 1, rows = n > 0 ? n : 1;
	int rowh = imin(hpm(L, 120), (avail - (rows - 1) * L->gap) / rows);
	if (rowh < L->T) {
		cols = 2;
		rows = (n + 1) / 2;
		rowh = imin(hpm(L, 120), (avail - (rows - 1) * L->gap) / imax(rows, 1));
	}
	if (rowh < L->T) {
		/* More attractions than fit at a touchable size: show those that fit. */
		rowh = L->T;
		rows = imax(1, (avail + L->gap) / (L->T + L->gap));
		n = imin(n, rows * cols);
	}
	int colw = (L->W - 2 * L->pad - (cols - 1) * L->gap) / cols;
	for (int c = 0; c < cols && ntiers > 0; c++) {
		int cx = L->pad + c * (colw + L->gap);
		int name_w = colw * 36 / 100;
		int cw = (colw - name_w - 2 * L->pad) / ntiers;
		for (int t = 0; t < ntiers; t++)
			text(L, (vq_rect){cx + name_w + L->pad + t * cw, y, cw, ch},
			     kiosk_tier_name(k, site->tiers[t]), hpm(L, 28), 1,
			     guest_tier < 0 || t == guest_tier ? VQ_COL_INK : VQ_COL_MUTED,
			     VQ_ALIGN_CENTER);
	}
	y += ch;
	for (int i = 0; i < n; i++) {
		int c = i / rows, r = i % rows;
		vq_rect rr = {L->pad + c * (colw + L->gap), y + r * (rowh + L->gap), colw, rowh};
		attraction_row(L, rr, i, ntiers, guest_tier);
	}
	if (nh > 0) {
		text(L, (vq_rect){L->pad, held_y, L->W - 2 * L->pad, nh}, tr(L, k->notice),
		     hpm(L, 38), 1, VQ_COL_PRIMARY, VQ_ALIGN_LEFT);
		held_y += nh;
	}
	if (nrows > 0) {
		text(L, (vq_rect){L->pad, held_y, L->W - 2 * L->pad, hpm(L, 60)},
		     tr(L, "kiosk_your_passes"), hpm(L, 40), 1, VQ_COL_INK, VQ_ALIGN_LEFT);
		held_list(L, held_y + hpm(L, 60), L->H - fh);
	}

	if (k->guest_known)
		footer(L, 0, 1);
	else
		text(L, (vq_rect){L->pad, L->H - fh, L->W - 2 * L->pad, fh},
		     tr(L, "kiosk_scan_ticket_or_card"), hpm(L, 34), 0, VQ_COL_MUTED,
		     VQ_ALIGN_CENTER);
}

/* --- identify ----------------------------------------------------------------------- */

static void identify(struct lay *L)
{
	kiosk *k = L->k;
	int hh = header(L, title_for(L));
	int y0 = hh + L->pad, y1 = L->H - footer_h(L) - L->pad;
	int lw = L->W * 46 / 100;
	int y = y0;
	text(L, (vq_rect){L->pad, y, lw, hpm(L, 160)}, tr(L, "kiosk_scan_ticket_or_card"),
	     hpm(L, 50), 1, VQ_COL_INK, VQ_ALIGN_LEFT);
	y += hpm(L, 160);
	text(L, (vq_rect){L->pad, y, lw, hpm(L, 60)}, tr(L, "kiosk_or_type_number"), hpm(L, 36), 0,
	     VQ_COL_MUTED, VQ_ALIGN_LEFT);
	y += hpm(L, 60) + L->gap;
	int fh = imax(L->T, hpm(L, 110));
	vq_rect field = {L->pad, y, lw, fh};
	fill(L, field, VQ_COL_LIGHT, fh / 8);
	vq_rect in = {field.x + L->pad, field.y, field.w - 2 * L->pad, field.h};
	if (k->typed[0])
		text(L, in, k->typed, hpm(L, 58), 1, VQ_COL_INK, VQ_ALIGN_LEFT)->wrap = 0;
	else
		text(L, in, tr(L, "kiosk_type_number"), hpm(L, 30), 0, VQ_COL_INK, VQ_ALIGN_LEFT);
	y += fh + L->gap;
	if (k->notice[0])
		text(L, (vq_rect){L->pad, y, lw, hpm(L, 90)}, tr(L, k->notice), hpm(L, 38), 1,
		     VQ_COL_ERROR, VQ_ALIGN_LEFT);

	/* The keypad: 1-9, then Delete 0 OK, as on a phone. */
	int kx = L->W * 52 / 100, kw = L->W - kx - L->pad, kh = y1 - y0;
	int s = imin((kh - 3 * L->gap) / 4, (kw - 2 * L->gap) / 3);
	s = imax(s, L->T);
	int gx = kx + (kw - (3 * s + 2 * L->gap)) / 2;
	for (int i = 0; i < 12; i++) {
		vq_rect r = {gx + (i % 3) * (s + L->gap), y0 + (i / 3) * (s + L->gap), s, s};
		char id[VQ_ID_MAX], label[4];
		kiosk_el *b;
		if (i < 9 || i == 10) {
			int d = i < 9 ? i + 1 : 0;
			snprintf(id, sizeof id, "key-%d", d);
			snprintf(label, sizeof label, "%d", d);
			b = button(L, r, id, label, VQ_COL_PRIMARY, VQ_COL_WHITE, KA_DIGIT, d);
			b->px = s * 45 / 100;
		} else if (i == 9) {
			b = button(L, r, "key-del", tr(L, "kiosk_key_delete"), VQ_COL_LIGHT,
			           VQ_COL_INK, KA_DELETE, 0);
			b->px = s * 22 / 100;
		} else {
			b = button(L, r, "key-ok", tr(L, "ok"), VQ_COL_OK, VQ_COL_WHITE, KA_SUBMIT,
			           0);
			b->px = s * 30 / 100;
			b->disabled = !k->typed[0];
		}
	}
	footer(L, 1, 0);
}

/* --- party -------------------------------------------------------------------------- */

static void tier_line(struct lay *L, vq_rect r)
{
	char buf[128];
	kiosk_format(L->k, "tier", buf, sizeof buf, "tier", kiosk_tier_name(L->k, L->k->tier),
	             NULL);
	text(L, r, buf, hpm(L, 38), 1, VQ_COL_PRIMARY, VQ_ALIGN_LEFT);
}

static void party(struct lay *L)
{
	kiosk *k = L->k;
	int hh = header(L, title_for(L));
	int y = hh + L->pad, y1 = L->H - footer_h(L) - L->pad;
	tier_line(L, (vq_rect){L->pad, y, L->W - 2 * L->pad, hpm(L, 60)});
	y += hpm(L, 60);
	text(L, (vq_rect){L->pad, y, L->W - 2 * L->pad, hpm(L, 100)}, tr(L, "kiosk_party_size"),
	     hpm(L, 60), 1, VQ_COL_INK, VQ_ALIGN_LEFT);
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
		kiosk_el *b = button(L, r, id, label, VQ_COL_PRIMARY, VQ_COL_WHITE, KA_PARTY, n);
		b->px = s * 45 / 100;
		b->disabled = max > 0 && n > max;
	}
	footer(L, 1, 1);
}

/* --- confirm ------------------------------------------------------------------------ */

static void confirm(struct lay *L)
{
	kiosk *k = L->k;
	char buf[256], win[64], s[16], e[16];
	int hh = header(L, title_for(L));
	int y = hh + L->pad;
	int w = L->W - 2 * L->pad;
	kiosk_format(k, "kiosk_confirm_booking", buf, sizeof buf, "attraction",
	             kiosk_attr_name(k, k->attr), NULL);
	text(L, (vq_rect){L->pad, y, w, hpm(L, 120)}, buf, hpm(L, 48), 1, VQ_COL_INK,
	     VQ_ALIGN_LEFT);
	y += hpm(L, 120) + L->gap;

	vq_rect panel = {L->pad, y, w, hpm(L, 300)};
	fill(L, panel, VQ_COL_LIGHT, hpm(L, 20));
	kiosk_hhmm(k, k->q_start, s);
	kiosk_hhmm(k, k->q_end, e);
	kiosk_format(k, "kiosk_tier_return", buf, sizeof buf, "tier", kiosk_tier_name(k, k->tier),
	             "start", s, "end", e, NULL);
	text(L, (vq_rect){panel.x + L->pad, panel.y, panel.w - 2 * L->pad, panel.h * 62 / 100}, buf,
	     hpm(L, 80), 1, VQ_COL_INK, VQ_ALIGN_CENTER);
	snprintf(win, sizeof win, "%d", k->party);
	kiosk_format(k, "kiosk_party_size_n", buf, sizeof buf, "n", win, NULL);
	text(L,
	     (vq_rect){panel.x + L->pad, panel.y + panel.h * 62 / 100, panel.w - 2 * L->pad,
	               panel.h * 30 / 100},
	     buf, hpm(L, 42), 0, VQ_COL_INK, VQ_ALIGN_CENTER);
	y += panel.h + L->gap;

	/* What the lowest tier would get now, so the benefit of the guest's tier shows. */
	const vq_site_view *site = vq_sitestate_site(k->site);
	int t = vq_sitestate_tier(k->site, k->tier);
	int ai = kiosk_served_index(k, k->attr);
	const vq_attr_view *a = ai >= 0 ? kiosk_served_view(k, ai) : NULL;
	if (t > 0 && a && site->ntiers > 0 && a->next[0].start > 0 &&
	    a->next[0].start != k->q_start) {
		window_text(k, a->next[0].start, a->next[0].end, win, sizeof win);
		kiosk_format(k, "kiosk_tier_window", buf, sizeof buf, "tier",
		             kiosk_tier_name(k, site->tiers[0]), "window", win, NULL);
		text(L, (vq_rect){L->pad, y, w, hpm(L, 60)}, buf, hpm(L, 34), 0, VQ_COL_MUTED,
		     VQ_ALIGN_CENTER);
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

	text(L, (vq_rect){L->pad, y, lw, hpm(L, 80)}, kiosk_attr_name(k, t->attraction), hpm(L, 52),
	     1, VQ_COL_INK, VQ_ALIGN_LEFT);
	y += hpm(L, 80);
	window_text(k, t->start, t->end, win, sizeof win);
	text(L, (vq_rect){L->pad, y, lw, hpm(L, 190)}, win, hpm(L, 160), 1, VQ_COL_INK,
	     VQ_ALIGN_LEFT)
	    ->wrap = 0;
	y += hpm(L, 190);
	kiosk_format(k, "kiosk_ticket_number", buf, sizeof buf, "number", t->number, NULL);
	text(L, (vq_rect){L->pad, y, lw, hpm(L, 100)}, buf, hpm(L, 75), 1, VQ_COL_PRIMARY,
	     VQ_ALIGN_LEFT);
	y += hpm(L, 100);
	kiosk_format(k, "tier", buf, sizeof buf, "tier", kiosk_tier_name(k, t->tier), NULL);
	text(L, (vq_rect){L->pad, y, lw / 2, hpm(L, 60)}, buf, hpm(L, 38), 1, VQ_COL_INK,
	     VQ_ALIGN_LEFT);
	snprintf(n, sizeof n, "%d", t->party);
	kiosk_format(k, "kiosk_party_size_n", buf, sizeof buf, "n", n, NULL);
	text(L, (vq_rect){L->pad + lw / 2, y, lw / 2, hpm(L, 60)}, buf, hpm(L, 38), 1, VQ_COL_INK,
	     VQ_ALIGN_LEFT);
	y += hpm(L, 60) + L->gap;
	text(L, (vq_rect){L->pad, y, lw, hpm(L, 90)}, tr(L, "kiosk_show_code"), hpm(L, 36), 0,
	     VQ_COL_INK, VQ_ALIGN_LEFT);
	y += hpm(L, 90);
	if (y1 - y >= hpm(L, 40))
		text(L, (vq_rect){L->pad, y, lw, imin(hpm(L, 90), y1 - y)},
		     tr(L, "kiosk_photo_hint"), hpm(L, 32), 0, VQ_COL_MUTED, VQ_ALIGN_LEFT);

	int qx = L->pad + lw + L->pad, qw = L->W - qx - L->pad;
	char link[KIOSK_PHONE_URL_MAX + VQ_CODE_MAX + 2];
	int phone = kiosk_phone_link(k, t->code, link, sizeof link);
	/* the phone's QR, a third the size, under the gate's: the gate's stays the one to
	 * scan at the fast lane */
	int pside = phone ? (y1 - y0) * 30 / 100 : 0;
	int side = imin(qw, y1 - y0 - (phone ? pside + L->gap : 0));
	qr(L, (vq_rect){qx + (qw - side) / 2, y0, side, side}, t->code);
	if (phone) {
		int py = y0 + side + L->gap;
		qr(L, (vq_rect){qx, py, pside, pside}, link);
		text(L, (vq_rect){qx + pside + L->gap, py, qw - pside - L->gap, pside},
		     tr(L, "kiosk_phone_hint"), hpm(L, 32), 0, VQ_COL_INK, VQ_ALIGN_LEFT);
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
	text(L, (vq_rect){panel.x + L->pad, panel.y, panel.w - 2 * L->pad, panel.h}, buf,
	     hpm(L, 56), 1, VQ_COL_WHITE, VQ_ALIGN_CENTER);
	y += panel.h + L->gap;
	int big_w = imax(L->T, L->W * 4 / 10), big_h = imax(L->T, hpm(L, 130));

	if (offers_alternatives(k->err)) {
		text(L, (vq_rect){L->pad, y, w, hpm(L, 60)},
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
			button(L, r, bid, buf, VQ_COL_LIGHT, VQ_COL_INK, KA_ALT, a->served)->px =
			    imin(rh * 36 / 100, hpm(L, 36));
		}
		footer(L, k->guest_known, 1);
	} else if (!strcmp(k->err, "limit_reached")) {
		text(L, (vq_rect){L->pad, y, w, hpm(L, 60)}, tr(L, "kiosk_your_passes"), hpm(L, 40),
		     1, VQ_COL_INK, VQ_ALIGN_LEFT);
		y += hpm(L, 60) + L->gap;
		held_list(L, y, y1);
		footer(L, 0, 1);
	} else if (!strcmp(k->err, "party_size")) {
		button(L, (vq_rect){(L->W - big_w) / 2, y + L->gap, big_w, big_h}, "choose-again",
		       tr(L, "kiosk_choose_again"), VQ_COL_PRIMARY, VQ_COL_WHITE, KA_CHOOSE_AGAIN,
		       0);
		footer(L, 0, 1);
	} else if (!strcmp(k->err, "unknown_card")) {
		button(L, (vq_rect){(L->W - big_w) / 2, y + L->gap, big_w, big_h}, "try-again",
		       tr(L, "try_again"), VQ_COL_PRIMARY, VQ_COL_WHITE, KA_TRY_AGAIN, 0);
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

static void overlays(struct lay *L)
{
	kiosk *k = L->k;
	if (k->rq_state != RQ_IDLE && k->screen != KS_OFFLINE) {
		int w = L->W * 44 / 100, h = hpm(L, 150);
		vq_rect r = {(L->W - w) / 2, (L->H - h) / 2, w, h};
		fill(L, r, VQ_COL_PRIMARY, h / 8);
		text(L, (vq_rect){r.x + L->pad, r.y, r.w - 2 * L->pad, r.h},
		     tr(L, k->unanswered > 0 ? "retrying" : "please_wait"), hpm(L, 50), 1,
		     VQ_COL_WHITE, VQ_ALIGN_CENTER);
	}
	if (kiosk_give_back_pending(k)) {
		const struct kiosk_held *h = NULL;
		for (int i = 0; i < k->nheld; i++)
			if (k->held[i].id == k->give_back)
				h = &k->held[i];
		char buf[256];
		kiosk_format(k, "kiosk_give_back_confirm", buf, sizeof buf, "number",
		             h ? h->number : "", NULL);
		/* The whole screen answers "keep it", so no tap reaches a button underneath. */
		button(L, (vq_rect){0, 0, L->W, L->H}, "give-back-dismiss", "", VQ_COL_MUTED,
		       VQ_COL_INK, KA_GIVE_BACK_NO, 0);
		int w = L->W * 70 / 100, h2 = imax(2 * L->T + 3 * L->pad, hpm(L, 360));
		vq_rect r = {(L->W - w) / 2, (L->H - h2) / 2, w, h2};
		fill(L, r, VQ_COL_WHITE, hpm(L, 20));
		text(L, (vq_rect){r.x + L->pad, r.y + L->pad, r.w - 2 * L->pad, h2 / 2 - L->pad},
		     buf, hpm(L, 44), 1, VQ_COL_INK, VQ_ALIGN_CENTER);
		int bw = (r.w - 3 * L->pad) / 2, bh = imax(L->T, h2 / 2 - 2 * L->pad);
		int by = r.y + h2 / 2 + L->pad;
		button(L, (vq_rect){r.x + L->pad, by, bw, bh}, "give-back-no",
		       tr(L, "kiosk_give_back_keep"), VQ_COL_LIGHT, VQ_COL_INK, KA_GIVE_BACK_NO, 0);
		button(L, (vq_rect){r.x + 2 * L->pad + bw, by, bw, bh}, "give-back-yes",
		       tr(L, "kiosk_give_back_yes"), VQ_COL_ERROR, VQ_COL_WHITE, KA_GIVE_BACK_YES,
		       0);
	}
	if (k->idle_warning) {
		char buf[256];
		snprintf(buf, sizeof buf, "%s %s", tr(L, "kiosk_still_there"),
		         tr(L, "kiosk_touch_to_continue"));
		int hh = imax(L->T + 2 * L->pad, hpm(L, 130));
		button(L,
		       (vq_rect){L->pad, hh + L->pad, L->W - 2 * L->pad, imax(L->T, hpm(L, 140))},
		       "continue", buf, VQ_COL_WARN, VQ_COL_INK, KA_CONTINUE, 0)
		    ->px = hpm(L, 48);
	}
}

void kiosk_layout(kiosk *k, struct kiosk_view *v)
{
	memset(v, 0, offsetof(struct kiosk_view, arena));
	v->arena[0] = '\0';
	v->used = 1;
	v->w = k->w;
	v->h = k->h;
	struct lay L = {k, v, k->w, k->h, k->target, imax(8, k->h / 80), imax(8, k->h / 80)};
	add(&L, KEL_FILL, (vq_rect){0, 0, k->w, k->h})->bg = VQ_COL_PAPER;
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
void kiosk_layout_print(kiosk *k, int w, int h, struct kiosk_view *v)
{
	memset(v, 0, offsetof(struct kiosk_view, arena));
	v->arena[0] = '\0';
	v->used = 1;
	v->w = w;
	v->h = h;
	struct lay L = {k, v, w, h, 1, imax(4, w / 24), imax(4, h / 100)};
	const kiosk_ticket *t = &k->ticket;
	char buf[256], win[64], n[16];
	int x = L.pad, cw = w - 2 * L.pad, y = L.pad;
	add(&L, KEL_FILL, (vq_rect){0, 0, w, h})->bg = VQ_COL_WHITE;
	const vq_site_view *site = vq_sitestate_site(k->site);
	text(&L, (vq_rect){x, y, cw, hpm(&L, 50)}, site->name[0] ? site->name : site->site,
	     hpm(&L, 36), 1, VQ_COL_BLACK, VQ_ALIGN_CENTER);
	y += hpm(&L, 50);
	text(&L, (vq_rect){x, y, cw, hpm(&L, 70)}, kiosk_attr_name(k, t->attraction), hpm(&L, 50),
	     1, VQ_COL_BLACK, VQ_ALIGN_CENTER);
	y += hpm(&L, 70) + L.gap;
	fill(&L, (vq_rect){x, y, cw, imax(2, h / 300)}, VQ_COL_BLACK, 0);
	y += L.gap * 2;
	window_text(k, t->start, t->end, win, sizeof win);
	text(&L, (vq_rect){x, y, cw, hpm(&L, 110)}, win, hpm(&L, 95), 1, VQ_COL_BLACK,
	     VQ_ALIGN_CENTER)
	    ->wrap = 0;
	y += hpm(&L, 110);
	kiosk_format(k, "kiosk_ticket_number", buf, sizeof buf, "number", t->number, NULL);
	text(&L, (vq_rect){x, y, cw, hpm(&L, 70)}, buf, hpm(&L, 55), 1, VQ_COL_BLACK,
	     VQ_ALIGN_CENTER);
	y += hpm(&L, 70);
	kiosk_format(k, "tier", buf, sizeof buf, "tier", kiosk_tier_name(k, t->tier), NULL);
	snprintf(n, sizeof n, "%d", t->party);
	char party_s[128];
	kiosk_format(k, "kiosk_party_size_n", party_s, sizeof party_s, "n", n, NULL);
	text(&L, (vq_rect){x, y, cw / 2, hpm(&L, 50)}, buf, hpm(&L, 32), 0, VQ_COL_BLACK,
	     VQ_ALIGN_CENTER);
	text(&L, (vq_rect){x + cw / 2, y, cw / 2, hpm(&L, 50)}, party_s, hpm(&L, 32), 0,
	     VQ_COL_BLACK, VQ_ALIGN_CENTER);
	y += hpm(&L, 50) + L.gap;
	char link[KIOSK_PHONE_URL_MAX + VQ_CODE_MAX + 2];
	int phone = kiosk_phone_link(k, t->code, link, sizeof link);
	int bottom = hpm(&L, 110) + (phone ? hpm(&L, 260) : 0);
	int side = imin(cw, h - y - bottom - L.pad);
	qr(&L, (vq_rect){(w - side) / 2, y, side, side}, t->code);
	y += side + L.gap;
	text(&L, (vq_rect){x, y, cw, hpm(&L, 100)}, tr(&L, "kiosk_show_code"), hpm(&L, 30), 0,
	     VQ_COL_BLACK, VQ_ALIGN_CENTER);
	y += hpm(&L, 100);
	if (phone) {
		/* the same ticket on the phone: a smaller code beside its explanation */
		int pside = imin(cw / 2, h - y - L.pad);
		qr(&L, (vq_rect){x, y, pside, pside}, link);
		text(&L, (vq_rect){x + pside + L.gap, y, cw - pside - L.gap, pside},
		     tr(&L, "kiosk_phone_hint"), hpm(&L, 28), 0, VQ_COL_BLACK, VQ_ALIGN_LEFT);
	}
}
