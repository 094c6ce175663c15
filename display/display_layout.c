/* display/display_layout.c — the board's geometry (see display_layout.h).
 *
 * Invariants of a layout made here: every band and cell lies inside the frame; header,
 * column titles, table and footer follow each other without overlap, the footer ending a
 * margin's worth of its own height above the bottom edge's text; rows * row_h fits the
 * table; cells of one row do not overlap; s/36 <= px_small <= px_row <= px_title.
 */
#include "display/display_layout.h"

#include "display/display_model.h"

#include <string.h>

/* Landscape columns, as shares of the inner width (they add up to 1). */
#define COL_NAME    0.32
#define COL_NOW     0.16
#define COL_NEXT    0.23
#define COL_STANDBY 0.10
/* just admitted: the rest */
#define NEXT_TIME 0.38 /* of the next column: the time; the rest is for tier marks */

/* Portrait: line 1 splits at P_SPLIT (name | next), line 2 at P_NOW and P_SPLIT
 * (now | standby | just admitted). */
#define P_SPLIT 0.56
#define P_NOW   0.36
#define P_TIME  0.15 /* the next return's time, after the split; marks take the rest */

static int rnd(double v)
{
	return (int)(v + 0.5);
}

static int imax(int a, int b)
{
	return a > b ? a : b;
}

static int imin(int a, int b)
{
	return a < b ? a : b;
}

static vq_rect rect(int x, int y, int w, int h)
{
	return (vq_rect){x, y, w > 0 ? w : 0, h > 0 ? h : 0};
}

static void landscape(vq_board_layout *l)
{
	int gap = l->pad, x0 = l->pad, iw = l->w - 2 * l->pad;
	const double share[4] = {COL_NAME, COL_NOW, COL_NEXT, COL_STANDBY};
	int xs[6];
	xs[0] = x0;
	double acc = 0;
	for (int i = 0; i < 4; i++) {
		acc += share[i];
		xs[i + 1] = x0 + rnd(iw * acc);
	}
	xs[5] = x0 + iw + gap; /* just admitted ends at the margin */
	int cw[5];
	for (int i = 0; i < 5; i++)
		cw[i] = xs[i + 1] - xs[i] - gap;

	/* one line a row, a pixel clear of the row's edges */
	int y = l->table.y + 1, ih = l->row_h - 2;
	l->name = rect(xs[0], y, cw[0], ih);
	l->now = rect(xs[1], y, cw[1], ih);
	int tw = rnd(cw[2] * NEXT_TIME);
	l->next = rect(xs[2], y, tw, ih);
	l->mark = rect(xs[2] + tw + gap / 2, y, cw[2] - tw - gap / 2, ih);
	l->standby = rect(xs[3], y, cw[3], ih);
	l->called = rect(xs[4], y, cw[4], ih);
	l->closed = rect(xs[1], y, xs[5] - gap - xs[1], ih);
	l->hours = rect(xs[1], y, xs[3] - gap - xs[1], ih);

	int hy = l->colhead.y + l->pad / 4, hh = l->colhead.h - l->pad / 2;
	l->h_name = rect(xs[0], hy, cw[0], hh);
	l->h_now = rect(xs[1], hy, cw[1], hh);
	l->h_next = rect(xs[2], hy, cw[2], hh);
	l->h_standby = rect(xs[3], hy, cw[3], hh);
	l->h_called = rect(xs[4], hy, cw[4], hh);
}

static void portrait(vq_board_layout *l)
{
	int gap = l->pad, x0 = l->pad, iw = l->w - 2 * l->pad, xe = x0 + iw;
	int y = l->table.y + l->pad / 4, ih = l->row_h - l->pad / 2;
	int h1 = ih / 2, h2 = ih - h1;
	int xs = x0 + rnd(iw * P_SPLIT), xn = x0 + rnd(iw * P_NOW);
	int xt = xs + rnd(iw * P_TIME);
	l->name = rect(x0, y, xs - x0 - gap, h1);
	l->next = rect(xs, y, xt - xs - gap / 2, h1);
	l->mark = rect(xt, y, xe - xt, h1);
	l->now = rect(x0, y + h1, xn - x0 - gap, h2);
	l->standby = rect(xn, y + h1, xs - xn - gap, h2);
	l->called = rect(xs, y + h1, xe - xs, h2);
	l->closed = rect(x0, y + h1, iw, h2);
	l->hours = rect(x0, y + h1, xs - x0 - gap, h2);

	int hy = l->colhead.y + l->pad / 4, hh = l->colhead.h - l->pad / 2;
	int k1 = hh / 3, k2 = hh - k1;
	l->h_name = rect(x0, hy, xs - x0 - gap, k1);
	l->h_next = rect(xs, hy, xe - xs, k1);
	l->h_now = rect(x0, hy + k1, xn - x0 - gap, k2);
	l->h_standby = rect(xn, hy + k1, xs - xn - gap, k2);
	l->h_called = rect(xs, hy + k1, xe - xs, k2);
}

int vq_board_layout_make(int w, int h, int want, vq_board_layout *out)
{
	if (!out || w < VQ_BOARD_MIN_W || h < VQ_BOARD_MIN_H || w > 8192 || h > 8192 || want < 1)
		return VQ_EINVAL;
	vq_board_layout l;
	memset(&l, 0, sizeof l);
	l.w = w;
	l.h = h;
	l.portrait = h > w;
	int s = imin(w, h);
	int floor_px = rnd(s / 36.0), crisp = imin(34, rnd(s / 32.0));
	l.px_row = imax(floor_px, crisp);
	l.px_small = imax(floor_px, rnd(crisp * 0.9));
	l.px_body = l.px_row;
	l.px_title = rnd(l.px_row * 1.4);
	l.pad = imax(4, rnd(s / 80.0));

	l.header = rect(0, 0, w, rnd(l.px_title * 1.4));
	/* column titles: two lines (three in portrait, whose row has two) */
	int ch = rnd((l.portrait ? 3 : 2) * 1.25 * l.px_small);
	l.colhead = rect(0, l.header.h, w, ch + l.pad / 2);
	/* the footer: two lines (three on a narrow portrait one) for the out-of-date
	 * banner's whole sentence */
	int fh = rnd((l.portrait ? 3 : 2) * 1.25 * l.px_small) + l.pad / 2;
	l.footer = rect(0, h - fh, w, fh);
	int ty = l.colhead.y + l.colhead.h;
	l.table = rect(0, ty, w, l.footer.y - ty);

	/* a row is its line (two in portrait) of text, at 1.2 em a line */
	int row_min = l.portrait ? (int)(2 * 1.2 * l.px_row + 0.999) + l.pad / 2
	                         : (int)(1.2 * l.px_row + 0.999) + 1;
	int fit = l.table.h / row_min;
	if (fit < 1)
		return VQ_EINVAL;
	l.rows = imin(imin(fit, want), VQ_BOARD_PAGE_MAX);
	l.row_h = imin(l.table.h / l.rows, row_min * 3 / 2);
	/* few rows: they grow, and their text with them */
	l.px_row = imax(l.px_row, l.px_row * l.row_h / row_min);
	if (l.portrait)
		portrait(&l);
	else
		landscape(&l);
	*out = l;
	return VQ_OK;
}

vq_rect vq_board_layout_cell(const vq_board_layout *l, vq_rect cell, int r)
{
	cell.y += r * l->row_h;
	return cell;
}

int vq_board_layout_min_px(const vq_board_layout *l)
{
	return l->px_small;
}
