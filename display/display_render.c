/* display/display_render.c — a board view as a display list (see display_render.h).
 *
 * Owns nothing between calls: every list is made whole from (layout, view, translations),
 * and ui/view.c draws it (from ui/text.c's caches, so a redraw with one row changed
 * renders that row's new strings only). Texts never shrink below the layout's smallest
 * size: what would have to is clipped and counted, for tests to catch, rather than drawn
 * illegibly small. Every text names its role; rows of one role share one size.
 */
#include "display/display_render.h"

#include "ui/text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CELL_TEXT_MAX 256
/* Roughly how wide one number of "just admitted" is, in em of its size, with the space
 * after it: "C-042" in DejaVu Sans Bold is 3.3 em. A desk's "H-002 → desk 2", 8.4. */
#define NUMBER_EM 4.0
#define DESK_EM   9.2

struct ctx {
	vq_view *out;
	const vq_board_layout *l;
	const vq_board_view *v;
	const vq_i18n *t;
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

/* A text of role at px, shrinking as far as the layout's smallest size; wrap: break
 * lines at spaces (sentences), else one line (names, times, numbers). */
static vq_el *text(struct ctx *c, vq_rect box, const char *role, int px, int bold, int wrap,
                   vq_color col, int align, const char *s)
{
	if (box.w <= 0 || box.h <= 0 || !s || !*s)
		return NULL;
	vq_el *e = vq_view_text(c->out, box, role, s, px, bold, col, align);
	e->wrap = wrap;
	e->min_px = c->l->px_small < px ? c->l->px_small : px;
	return e;
}

static void fill(struct ctx *c, vq_rect r, int radius, vq_color col)
{
	vq_view_fill(c->out, r, col, radius);
}

static vq_rect inset(vq_rect r, int dx, int dy)
{
	return (vq_rect){r.x + dx, r.y + dy, r.w - 2 * dx, r.h - 2 * dy};
}

static void header(struct ctx *c)
{
	const vq_board_layout *l = c->l;
	fill(c, l->header, 0, VQ_BOARD_COL_BAND);
	int split = l->w * 45 / 100, clock_x = l->w * 80 / 100;
	text(c, (vq_rect){l->pad, 0, split - 2 * l->pad, l->header.h}, "title", l->px_title, 1, 0,
	     VQ_BOARD_COL_TEXT, VQ_ALIGN_LEFT, tr(c, "board_fast_lane"));
	text(c, (vq_rect){split, 0, clock_x - split - l->pad, l->header.h}, "site", l->px_body, 0,
	     0, VQ_BOARD_COL_LABEL, VQ_ALIGN_RIGHT, c->v->site_name);
	if (c->v->clock_min) {
		char clock[VQ_BOARD_TIME_MAX];
		vq_board_hhmm(c->v->zone, c->v->clock_min * 60, clock);
		text(c, (vq_rect){clock_x, 0, l->w - clock_x - l->pad, l->header.h}, "clock",
		     l->px_title, 1, 0, VQ_BOARD_COL_TEXT, VQ_ALIGN_RIGHT, clock);
	}
}

static void column_titles(struct ctx *c)
{
	const vq_board_layout *l = c->l;
	int px = l->px_small;
	vq_color col = VQ_BOARD_COL_LABEL;
	fill(c, l->colhead, 0, VQ_BOARD_COL_BAND);
	text(c, l->h_name, "col", px, 1, 1, col, VQ_ALIGN_LEFT, tr(c, "board_attraction"));
	text(c, l->h_now, "col", px, 1, 1, col, VQ_ALIGN_LEFT, tr(c, "board_now_admitting"));
	text(c, l->h_next, "col", px, 1, 1, col, VQ_ALIGN_LEFT, tr(c, "board_next_return"));
	text(c, l->h_standby, "col", px, 1, 1, col, l->portrait ? VQ_ALIGN_LEFT : VQ_ALIGN_CENTER,
	     tr(c, "board_standby"));
	text(c, l->h_called, "col", px, 1, 1, col, VQ_ALIGN_LEFT, tr(c, "board_just_admitted"));
}

/* A coloured label filling box, its text centred: a status that must stand out. */
static void badge(struct ctx *c, vq_rect box, vq_color bg, const char *role, int px, const char *s)
{
	const vq_board_layout *l = c->l;
	fill(c, box, l->pad / 2, bg);
	text(c, inset(box, l->pad / 2, 0), role, px, 1, 0, VQ_COL_WHITE, VQ_ALIGN_CENTER, s);
}

/* The numbers just admitted that fit the cell at the row's size, as one line: the newest
 * of them, in number order (the row lists them in number order). */
static void called_text(const struct ctx *c, const vq_board_row *r, int cell_w, char *out,
                        size_t outlen)
{
	double em = (r->service ? DESK_EM : NUMBER_EM) * c->l->px_row;
	int max = (int)(cell_w / em);
	if (max < 1)
		max = 1;
	size_t len = 0;
	int shown = 0;
	out[0] = '\0';
	for (int i = 0; i < r->ncalled && shown < max; i++) {
		if (r->called[i].newness >= max)
			continue;
		char item[96];
		if (r->service)
			tr2(c, "board_called_desk", "number", r->called[i].number, "desk",
			    r->called[i].desk, item, sizeof item);
		else
			snprintf(item, sizeof item, "%s", r->called[i].number);
		int n = snprintf(out + len, outlen - len, "%s%s", shown ? "   " : "", item);
		if (n < 0 || (size_t)n >= outlen - len)
			break;
		len += (size_t)n;
		shown++;
	}
}

/* Code points of UTF-8 s. */
static int cps(const char *s)
{
	int n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

/* "Gold: 10:20": the tiers that get something different from the tier below, as many as
 * fit the cell (a character is about 0.6 em), and at least one. */
static void marks_text(const struct ctx *c, const vq_board_row *r, int cell_w, int px, char *out,
                       size_t outlen)
{
	int tiers[VQ_MAX_TIERS];
	int n = vq_board_row_marks(r, c->v->ntiers, tiers);
	size_t len = 0;
	out[0] = '\0';
	for (int i = 0; i < n; i++) {
		char t[VQ_BOARD_TIME_MAX], item[128];
		vq_board_hhmm(c->v->zone, r->next[tiers[i]].start, t);
		tr2(c, "tier_earlier", "tier", c->v->tier_names[tiers[i]], "time", t, item,
		    sizeof item);
		if (i && (cps(out) + 3 + cps(item)) * 0.6 * px > cell_w)
			break;
		int k = snprintf(out + len, outlen - len, "%s%s", i ? "\u00a0· " : "", item);
		if (k < 0 || (size_t)k >= outlen - len)
			break;
		len += (size_t)k;
	}
}

static void row(struct ctx *c, int i)
{
	const vq_board_layout *l = c->l;
	const vq_board_row *r = &c->v->rows[i];
	if (i % 2)
		fill(c, (vq_rect){0, l->table.y + i * l->row_h, l->w, l->row_h}, 0,
		     VQ_BOARD_COL_ALT);
	vq_color data = r->stale ? VQ_BOARD_COL_STALE : VQ_BOARD_COL_TEXT;
	vq_color hi = r->stale ? VQ_BOARD_COL_STALE : VQ_BOARD_COL_TIME;
	char s[CELL_TEXT_MAX], t[VQ_BOARD_TIME_MAX];
	int px = l->px_row, px_mark = l->px_row * 85 / 100;
	if (px_mark < l->px_small)
		px_mark = l->px_small;

	text(c, vq_board_layout_cell(l, l->name, i), "row.name", px, 1, 0, VQ_BOARD_COL_TEXT,
	     VQ_ALIGN_LEFT, r->name);

	if (r->status == VQ_BOARD_CLOSED) {
		vq_board_hhmm(c->v->zone, r->since, t);
		tr1(c, "board_closed_row", "time", t, s, sizeof s);
		badge(c, inset(vq_board_layout_cell(l, l->closed, i), 0, 1), VQ_BOARD_COL_CLOSED,
		      "row.closed", px_mark, s);
		return;
	}

	vq_rect now = vq_board_layout_cell(l, l->now, i);
	vq_rect hours = vq_board_layout_cell(l, l->hours, i);
	if (r->status == VQ_BOARD_WAITING) {
		text(c, hours, "row.hours", px_mark, 0, 0, VQ_BOARD_COL_LABEL, VQ_ALIGN_LEFT,
		     tr(c, "board_waiting"));
	} else if (r->hours == VQ_BOARD_BEFORE_HOURS) {
		vq_board_hhmm(c->v->zone, r->opens, t);
		tr1(c, "board_opens", "time", t, s, sizeof s);
		text(c, now, "row.opens", px, 1, 0, data, VQ_ALIGN_LEFT, s);
	} else if (r->hours == VQ_BOARD_AFTER_HOURS) {
		text(c, hours, "row.hours", px_mark, 1, 0, VQ_BOARD_COL_LABEL, VQ_ALIGN_LEFT,
		     tr(c, "board_closed_today"));
	} else if (r->admits_upto) {
		vq_board_hhmm(c->v->zone, r->admits_upto, t);
		tr1(c, "board_admits_upto", "time", t, s, sizeof s);
		text(c, now, "row.now", px, 1, 0, hi, VQ_ALIGN_LEFT, s);
	} else {
		text(c, now, "row.now", px, 0, 0, VQ_BOARD_COL_LABEL, VQ_ALIGN_LEFT, "—");
	}

	if (r->status != VQ_BOARD_WAITING && r->hours != VQ_BOARD_AFTER_HOURS) {
		vq_rect nx = vq_board_layout_cell(l, l->next, i);
		if (r->next[0].start) {
			vq_board_hhmm(c->v->zone, r->next[0].start, t);
			text(c, nx, "row.next", px, 1, 0, data, VQ_ALIGN_LEFT, t);
		} else {
			text(c, nx, "row.full", px_mark, 0, 0,
			     r->stale ? VQ_BOARD_COL_STALE : VQ_BOARD_COL_FULL, VQ_ALIGN_LEFT,
			     tr(c, "board_full"));
		}
		vq_rect mk = vq_board_layout_cell(l, l->mark, i);
		marks_text(c, r, mk.w, px_mark, s, sizeof s);
		text(c, mk, "row.mark", px_mark, 0, 0, data, VQ_ALIGN_LEFT, s);
	}

	vq_rect sb = vq_board_layout_cell(l, l->standby, i);
	int sb_align = l->portrait ? VQ_ALIGN_LEFT : VQ_ALIGN_CENTER;
	if (r->standby_min >= 0 && r->hours != VQ_BOARD_AFTER_HOURS) {
		char n[16];
		snprintf(n, sizeof n, "%d", r->standby_min);
		tr1(c, "minutes_short", "n", n, s, sizeof s);
		text(c, sb, "row.standby", px, 0, 0, data, sb_align, s);
	} else if (!l->portrait) {
		text(c, sb, "row.standby", px, 0, 0, VQ_BOARD_COL_LABEL, sb_align, "—");
	}

	vq_rect cb = vq_board_layout_cell(l, l->called, i);
	if (r->status == VQ_BOARD_REOPENED) {
		/* for its first half hour, a reopening says so where the numbers go */
		vq_board_hhmm(c->v->zone, r->since, t);
		tr1(c, "board_reopened_at", "time", t, s, sizeof s);
		badge(c, inset(cb, 0, 1), VQ_BOARD_COL_REOPEN, "row.status", px_mark, s);
	} else if (r->ncalled) {
		called_text(c, r, cb.w, s, sizeof s);
		text(c, cb, "row.called", px, 1, 0,
		     r->stale ? VQ_BOARD_COL_STALE : VQ_BOARD_COL_ADMITTED, VQ_ALIGN_LEFT, s);
	}
}

static void footer(struct ctx *c)
{
	const vq_board_layout *l = c->l;
	const vq_board_view *v = c->v;
	/* the footer's text sits a margin clear of the screen's sides, centred in its band */
	vq_rect box = inset(l->footer, l->pad, 1);
	int pw = v->npages > 1 ? l->w * (l->portrait ? 32 : 18) / 100 : 0;
	vq_rect msg = {box.x, box.y, box.w - (pw ? pw + l->pad : 0), box.h};
	if (v->stale) {
		fill(c, l->footer, 0, VQ_BOARD_COL_BANNER);
		char s[512], when[160], t[VQ_BOARD_TIME_MAX];
		const char *what = v->stale == VQ_BOARD_NO_SITE   ? tr(c, "board_waiting")
		                   : v->stale == VQ_BOARD_OFFLINE ? tr(c, "board_stale_offline")
		                                                  : tr(c, "board_stale_times");
		when[0] = '\0';
		if (v->last_update) {
			vq_board_hhmm(c->v->zone, v->last_update, t);
			tr1(c, "board_updated_at", "time", t, when, sizeof when);
		}
		snprintf(s, sizeof s, "%s%s%s", what, when[0] ? "\u00a0· " : "", when);
		text(c, msg, "footer.stale", l->px_body, 1, 1, VQ_COL_INK, VQ_ALIGN_LEFT, s);
	} else if (v->clock_skew_min) {
		/* staff must fix this board's clock: everything else it shows is vqd's */
		fill(c, l->footer, 0, VQ_BOARD_COL_BANNER);
		char s[256], n[16];
		snprintf(n, sizeof n, "%+d", v->clock_skew_min);
		tr1(c, "clock_differs", "minutes", n, s, sizeof s);
		text(c, msg, "footer.clock", l->px_body, 1, 1, VQ_COL_INK, VQ_ALIGN_LEFT, s);
	} else {
		fill(c, l->footer, 0, VQ_BOARD_COL_BAND);
		text(c, msg, "footer.hint", l->px_small, 0, 1, VQ_BOARD_COL_LABEL, VQ_ALIGN_LEFT,
		     tr(c, "board_hint"));
	}
	if (pw) {
		char n[16], total[16], page[64];
		snprintf(n, sizeof n, "%d", v->page + 1);
		snprintf(total, sizeof total, "%d", v->npages);
		tr2(c, "board_page", "n", n, "total", total, page, sizeof page);
		vq_rect pill = {box.x + box.w - pw, box.y, pw, box.h};
		fill(c, pill, pill.h / 2, VQ_BOARD_COL_PAGE);
		text(c, inset(pill, l->pad, 0), "footer.page", l->px_body, 1, 0, VQ_COL_WHITE,
		     VQ_ALIGN_CENTER, page);
	}
}

void vq_board_view_build(const vq_board_layout *l, const vq_board_view *v, const vq_i18n *t,
                         vq_view *out)
{
	struct ctx c = {out, l, v, t};
	vq_view_reset(out, l->w, l->h);
	fill(&c, (vq_rect){0, 0, l->w, l->h}, 0, VQ_BOARD_COL_BG);
	header(&c);
	column_titles(&c);
	for (int i = 0; i < v->nrows && i < l->rows; i++)
		row(&c, i);
	footer(&c);
}

static void stats_from(const vq_view_stats *vs, vq_board_render_stats *st)
{
	st->texts = vs->texts;
	st->clipped = vs->clipped;
	st->midword = vs->midword;
	st->min_px = vs->min_px;
	st->errors = vs->errors;
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
	vq_view *list = malloc(sizeof *list);
	if (!list)
		return VQ_ENOMEM;
	vq_board_view_build(l, v, t, list);
	vq_view_stats vs;
	vq_view_draw(ui, list, 0, 0, &vs);
	free(list);
	stats_from(&vs, st);
	return VQ_OK;
}

struct vq_board_screen {
	vq_view lists[2];
	int shown; /* index of the list on screen; -1: none */
};

int vq_board_screen_new(vq_board_screen **out)
{
	vq_board_screen *s = calloc(1, sizeof *s);
	if (!s)
		return VQ_ENOMEM;
	s->shown = -1;
	*out = s;
	return VQ_OK;
}

void vq_board_screen_free(vq_board_screen *s)
{
	free(s);
}

void vq_board_screen_forget(vq_board_screen *s)
{
	s->shown = -1;
}

int vq_board_screen_draw(vq_board_screen *s, vq_ui *ui, const vq_board_layout *l,
                         const vq_board_view *v, const vq_i18n *t, vq_board_render_stats *st)
{
	vq_board_render_stats local;
	if (!st)
		st = &local;
	memset(st, 0, sizeof *st);
	if (!s || !ui || !l || !v || !t || vq_ui_width(ui) != l->w || vq_ui_height(ui) != l->h)
		return VQ_EINVAL;
	int next = s->shown == 0 ? 1 : 0;
	vq_board_view_build(l, v, t, &s->lists[next]);
	vq_view_stats vs;
	vq_view_draw_diff(ui, s->shown >= 0 ? &s->lists[s->shown] : NULL, &s->lists[next], &vs);
	s->shown = next;
	stats_from(&vs, st);
	return VQ_OK;
}
