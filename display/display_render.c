/* display/display_render.c — a board view in pixels (see display_render.h).
 *
 * Owns nothing between calls: every frame is drawn whole from (layout, view,
 * translations). Text never shrinks below the layout's smallest size, so what does not
 * fit is clipped and counted, for tests to catch, rather than drawn illegibly small.
 */
#include "display/display_render.h"

#include "ui/text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CALLED_TEXT_MAX 256

struct ctx {
	vq_ui *ui;
	const vq_board_layout *l;
	const vq_board_view *v;
	const vq_i18n *t;
	vq_board_render_stats *st;
};

static const char *tr(const struct ctx *c, const char *key)
{
	return vq_i18n_get(c->t, c->v->lang, key);
}

/* A translation with one {name} filled. */
static void tr1(const struct ctx *c, const char *key, const char *name, const char *value,
                char *out, size_t outlen)
{
	vq_i18n_arg a = {name, value};
	vq_i18n_format(c->t, c->v->lang, key, &a, 1, out, outlen);
}

static void tr2(const struct ctx *c, const char *key, const char *n1, const char *v1,
                const char *n2, const char *v2, char *out, size_t outlen)
{
	vq_i18n_arg a[2] = {{n1, v1}, {n2, v2}};
	vq_i18n_format(c->t, c->v->lang, key, a, 2, out, outlen);
}

/* Draws s in box at px, shrunk as far as px_small if need be. wrap: break lines (names,
 * sentences); times and numbers are never broken, only shrunk. */
static void draw_text(struct ctx *c, vq_rect box, int px, int bold, int wrap, vq_color col,
                      int align, const char *s)
{
	if (box.w <= 0 || box.h <= 0 || !s || !*s)
		return;
	vq_text_style st = {.px = px,
	                    .bold = bold,
	                    .color = col,
	                    .align = align,
	                    .valign = VQ_VALIGN_MIDDLE,
	                    .wrap = wrap,
	                    .min_px = c->l->px_small < px ? c->l->px_small : 0};
	vq_text_info info;
	if (vq_ui_text(c->ui, box, &st, s, &info) != VQ_OK) {
		c->st->errors++;
		return;
	}
	c->st->texts++;
	if (!info.fits) {
		c->st->clipped++;
		/* which string a translation made too long, for whoever tunes the layout */
		if (getenv("VQ_DISPLAY_DEBUG"))
			fprintf(stderr, "clipped %s [%d,%d %dx%d] px %d: %s\n", c->v->lang, box.x,
			        box.y, box.w, box.h, info.px, s);
	}
	if (!c->st->min_px || info.px < c->st->min_px)
		c->st->min_px = info.px;
}

/* Words: names, titles, sentences. */
static void text(struct ctx *c, vq_rect box, int px, int bold, vq_color col, int align,
                 const char *s)
{
	draw_text(c, box, px, bold, 1, col, align, s);
}

/* Times and numbers: one piece each line, shrunk rather than broken. */
static void tight(struct ctx *c, vq_rect box, int px, int bold, vq_color col, int align,
                  const char *s)
{
	draw_text(c, box, px, bold, 0, col, align, s);
}

static vq_rect inset(vq_rect r, int dx, int dy)
{
	return (vq_rect){r.x + dx, r.y + dy, r.w - 2 * dx, r.h - 2 * dy};
}

static void header(struct ctx *c)
{
	const vq_board_layout *l = c->l;
	vq_ui_fill(c->ui, l->header, 0, VQ_BOARD_COL_BAND);
	int right = l->w * 3 / 4;
	vq_rect tbox = {l->pad, 0, right - 2 * l->pad, l->header.h};
	const char *title = tr(c, "board_fast_lane");
	int tw = 0, th = 0;
	vq_ui_text_size(c->ui, l->px_title, 1, title, &tw, &th);
	if (tw > tbox.w)
		tw = tbox.w;
	tight(c, (vq_rect){tbox.x, tbox.y, tw, tbox.h}, l->px_title, 1, VQ_BOARD_COL_TEXT,
	      VQ_ALIGN_LEFT, title);
	vq_rect sbox = {tbox.x + tw + 2 * l->pad, 0, tbox.w - tw - 2 * l->pad, l->header.h};
	if (sbox.w > l->px_body * 3)
		text(c, sbox, l->px_body, 0, VQ_BOARD_COL_LABEL, VQ_ALIGN_LEFT, c->v->site_name);
	if (c->v->clock_min) {
		char clock[VQ_BOARD_TIME_MAX];
		vq_board_hhmm(c->v->clock_min * 60, clock);
		tight(c, (vq_rect){right, 0, l->w - right - l->pad, l->header.h}, l->px_title, 1,
		      VQ_BOARD_COL_TEXT, VQ_ALIGN_RIGHT, clock);
	}
}

static void column_titles(struct ctx *c)
{
	const vq_board_layout *l = c->l;
	int px = l->px_small;
	vq_color col = VQ_BOARD_COL_LABEL;
	vq_ui_fill(c->ui, l->colhead, 0, VQ_BOARD_COL_BAND);
	text(c, l->h_name, px, 1, col, VQ_ALIGN_LEFT, tr(c, "board_attraction"));
	text(c, l->h_admitting, px, 1, col, VQ_ALIGN_CENTER, tr(c, "board_now_admitting"));
	text(c, l->h_next, px, 1, col, VQ_ALIGN_CENTER, tr(c, "board_next_return"));
	for (int t = 0; t < c->v->ntiers && t < l->ntiers; t++)
		text(c, l->h_tier[t], px, 1, col, VQ_ALIGN_CENTER, c->v->tier_names[t]);
	text(c, l->h_standby, px, 1, col, l->portrait ? VQ_ALIGN_RIGHT : VQ_ALIGN_CENTER,
	     tr(c, "board_standby"));
	text(c, l->h_called, px, 1, col, VQ_ALIGN_CENTER, tr(c, "board_called_numbers"));
}

/* A coloured label as high as box and as wide as its text, at box's left. */
static void badge(struct ctx *c, vq_rect box, vq_color bg, const char *s)
{
	const vq_board_layout *l = c->l;
	int tw = 0, th = 0, px = l->px_small;
	vq_ui_text_size(c->ui, px, 1, s, &tw, &th);
	vq_rect b = {box.x, box.y, tw + px < box.w ? tw + px : box.w, box.h};
	vq_ui_fill(c->ui, b, box.h / 4, bg);
	tight(c, inset(b, px / 2 < b.w / 4 ? px / 2 : 0, 0), px, 1, VQ_COL_WHITE, VQ_ALIGN_CENTER,
	      s);
}

static void status(struct ctx *c, const vq_board_row *r, vq_rect box)
{
	char t[VQ_BOARD_TIME_MAX], s[160];
	vq_board_hhmm(r->since, t);
	switch (r->status) {
	case VQ_BOARD_CLOSED:
		tr1(c, "board_closed_since", "time", t, s, sizeof s);
		badge(c, box, VQ_BOARD_COL_CLOSED, s);
		break;
	case VQ_BOARD_REOPENED:
		tr1(c, "board_reopened_at", "time", t, s, sizeof s);
		badge(c, box, VQ_BOARD_COL_REOPEN, s);
		break;
	case VQ_BOARD_WAITING:
		text(c, box, c->l->px_small, 0, VQ_BOARD_COL_LABEL, VQ_ALIGN_LEFT,
		     tr(c, "board_waiting"));
		break;
	default:
		break;
	}
}

/* The called numbers as one text: landscape two a line (desks one a line) over two
 * lines; portrait all on one line, half as many when the line is shared with a status. */
static void called_text(const struct ctx *c, const vq_board_row *r, int narrow, char *out,
                        size_t outlen)
{
	const int portrait = c->l->portrait;
	int max = r->service ? 2 : 4;
	if (narrow)
		max /= 2;
	size_t len = 0;
	out[0] = '\0';
	for (int i = 0; i < r->ncalled && i < max; i++) {
		char item[96];
		if (r->service)
			tr2(c, "board_called_desk", "number", r->called[i].number, "desk",
			    r->called[i].desk, item, sizeof item);
		else
			snprintf(item, sizeof item, "%s", r->called[i].number);
		const char *sep = "";
		if (i > 0 && portrait)
			sep = r->service ? "  ·  " : "   ";
		else if (i > 0)
			sep = r->service || i % 2 == 0 ? "\n" : "   ";
		int n = snprintf(out + len, outlen - len, "%s%s", sep, item);
		if (n < 0 || (size_t)n >= outlen - len)
			break;
		len += (size_t)n;
	}
}

static void row(struct ctx *c, int i)
{
	const vq_board_layout *l = c->l;
	const vq_board_row *r = &c->v->rows[i];
	if (i % 2)
		vq_ui_fill(c->ui, (vq_rect){0, l->table.y + i * l->row_h, l->w, l->row_h}, 0,
		           VQ_BOARD_COL_ALT);
	vq_color data = r->stale ? VQ_BOARD_COL_STALE : VQ_BOARD_COL_TEXT;
	vq_color hi = r->stale ? VQ_BOARD_COL_STALE : VQ_BOARD_COL_TIME;
	char s[CALLED_TEXT_MAX], a[VQ_BOARD_TIME_MAX], b[VQ_BOARD_TIME_MAX];

	vq_rect name = vq_board_layout_cell(l, l->name, i);
	vq_rect st = vq_board_layout_cell(l, l->status, i);
	if (r->status == VQ_BOARD_OPEN && !l->portrait)
		name.h += st.h; /* nothing to say under the name: let it use two lines */
	text(c, name, l->px_body, 1, VQ_BOARD_COL_TEXT, VQ_ALIGN_LEFT, r->name);
	status(c, r, st);

	if (r->status == VQ_BOARD_CLOSED) {
		vq_rect box = vq_board_layout_cell(l, l->closed, i);
		vq_ui_fill(c->ui, box, l->pad / 2, VQ_BOARD_COL_CLOSED);
		text(c, inset(box, l->pad, 0), l->px_body, 1, VQ_COL_WHITE, VQ_ALIGN_CENTER,
		     tr(c, "board_closed_anytime"));
	} else if (r->status != VQ_BOARD_WAITING) {
		vq_rect box = vq_board_layout_cell(l, l->admitting, i);
		if (r->hours == VQ_BOARD_BEFORE_HOURS) {
			vq_board_hhmm(r->opens, a);
			tr1(c, "opens_at", "time", a, s, sizeof s);
			text(c, box, l->px_body, 1, data, VQ_ALIGN_CENTER, s);
		} else if (r->hours == VQ_BOARD_AFTER_HOURS) {
			text(c, box, l->px_body, 1, VQ_BOARD_COL_LABEL, VQ_ALIGN_CENTER,
			     tr(c, "board_closed_today"));
		} else if (r->admitting.start) {
			vq_board_hhmm(r->admitting.start, a);
			vq_board_hhmm(r->admitting.end, b);
			tr2(c, "time_window", "start", a, "end", b, s, sizeof s);
			tight(c, box, l->px_big, 1, hi, VQ_ALIGN_CENTER, s);
		} else {
			text(c, box, l->px_body, 0, VQ_BOARD_COL_LABEL, VQ_ALIGN_CENTER, "—");
		}
		for (int t = 0; t < c->v->ntiers && t < l->ntiers; t++) {
			box = vq_board_layout_cell(l, l->tier[t], i);
			if (r->next[t].start) {
				vq_board_hhmm(r->next[t].start, a);
				tight(c, box, l->px_big, 1, data, VQ_ALIGN_CENTER, a);
			} else {
				text(c, box, l->px_small, 0, VQ_BOARD_COL_LABEL, VQ_ALIGN_CENTER,
				     tr(c, "board_full"));
			}
		}
	}

	vq_rect sb = vq_board_layout_cell(l, l->standby, i);
	if (r->standby_min >= 0 && r->status != VQ_BOARD_CLOSED) {
		char n[16];
		snprintf(n, sizeof n, "%d", r->standby_min);
		tr1(c, "minutes_short", "n", n, s, sizeof s);
		tight(c, sb, l->px_body, 0, data, l->portrait ? VQ_ALIGN_RIGHT : VQ_ALIGN_CENTER,
		      s);
	} else if (!l->portrait) {
		text(c, sb, l->px_body, 0, VQ_BOARD_COL_LABEL, VQ_ALIGN_CENTER, "—");
	}

	vq_rect cb = vq_board_layout_cell(l, l->called, i);
	int narrow = l->portrait;
	if (l->portrait && (r->status == VQ_BOARD_OPEN || r->status == VQ_BOARD_WAITING)) {
		narrow = 0;
		/* no status to show on the third line: the numbers may use all of it */
		cb.w += cb.x - st.x;
		cb.x = st.x;
	}
	if (r->ncalled) {
		if (l->portrait) {
			/* no column title in portrait: the cell says what the numbers are */
			const char *label = tr(c, "board_called_numbers");
			int lw = 0, lh = 0;
			vq_ui_text_size(c->ui, l->px_small, 0, label, &lw, &lh);
			if (lw > cb.w / 2)
				lw = cb.w / 2;
			text(c, (vq_rect){cb.x, cb.y, lw, cb.h}, l->px_small, 0, VQ_BOARD_COL_LABEL,
			     VQ_ALIGN_LEFT, label);
			cb.x += lw + l->pad;
			cb.w -= lw + l->pad;
		}
		called_text(c, r, narrow, s, sizeof s);
		tight(c, cb, l->px_body, 1, hi, l->portrait ? VQ_ALIGN_LEFT : VQ_ALIGN_CENTER, s);
	}
}

static void footer(struct ctx *c)
{
	const vq_board_layout *l = c->l;
	const vq_board_view *v = c->v;
	vq_rect box = inset(l->footer, l->pad, 0);
	char page[32] = "";
	if (v->npages > 1)
		snprintf(page, sizeof page, "%d/%d", v->page + 1, v->npages);
	int pw = 0, ph = 0;
	if (page[0])
		vq_ui_text_size(c->ui, l->px_body, 1, page, &pw, &ph);
	vq_rect msg = {box.x, box.y, box.w - (pw ? pw + 2 * l->pad : 0), box.h};
	vq_color fg = VQ_BOARD_COL_LABEL;
	if (v->stale) {
		vq_ui_fill(c->ui, l->footer, 0, VQ_BOARD_COL_BANNER);
		fg = VQ_COL_INK;
		char s[512], when[160], t[VQ_BOARD_TIME_MAX];
		const char *what = v->stale == VQ_BOARD_NO_SITE   ? tr(c, "board_waiting")
		                   : v->stale == VQ_BOARD_OFFLINE ? tr(c, "board_stale_offline")
		                                                  : tr(c, "board_stale_times");
		when[0] = '\0';
		if (v->last_update) {
			vq_board_hhmm(v->last_update, t);
			tr1(c, "board_updated_at", "time", t, when, sizeof when);
		}
		snprintf(s, sizeof s, "%s%s%s", what, when[0] ? "  ·  " : "", when);
		text(c, msg, l->px_body, 1, fg, VQ_ALIGN_LEFT, s);
	} else {
		vq_ui_fill(c->ui, l->footer, 0, VQ_BOARD_COL_BAND);
		text(c, msg, l->px_small, 0, fg, VQ_ALIGN_LEFT, tr(c, "board_hint"));
	}
	if (page[0])
		tight(c, (vq_rect){box.x + box.w - pw, box.y, pw, box.h}, l->px_body, 1,
		      v->stale ? VQ_COL_INK : VQ_BOARD_COL_TEXT, VQ_ALIGN_RIGHT, page);
}

int vq_board_render(vq_ui *ui, const vq_board_layout *l, const vq_board_view *v, const vq_i18n *t,
                    vq_board_render_stats *st)
{
	vq_board_render_stats local;
	if (!st)
		st = &local;
	memset(st, 0, sizeof *st);
	if (!ui || !l || !v || !t || vq_ui_width(ui) != l->w || vq_ui_height(ui) != l->h)
		return VQ_EINVAL;
	struct ctx c = {ui, l, v, t, st};
	vq_ui_clear(ui, VQ_BOARD_COL_BG);
	header(&c);
	column_titles(&c);
	for (int i = 0; i < v->nrows && i < l->rows; i++)
		row(&c, i);
	footer(&c);
	return VQ_OK;
}
