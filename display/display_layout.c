/* display/display_layout.c — the board's geometry (see display_layout.h).
 *
 * Invariants of a layout made here: every band and cell lies inside the frame; header,
 * column titles, table and footer follow each other without overlap; rows * row_h fits
 * the table; cells of one row do not overlap; px_small <= px_body <= px_big <= px_title
 * and px_small >= VQ_BOARD_MIN_PX.
 */
#include "display/display_layout.h"

#include "display/display_model.h"

#include <string.h>

/* Landscape columns, as shares of the width (they add up to 1). The tiers' share is
 * split evenly among them: four times ("10:15") still fit a 1280 px board. */
#define COL_NAME      0.23
#define COL_ADMITTING 0.17
#define COL_TIERS     0.34
#define COL_STANDBY   0.09
/* called: the rest */

/* Portrait lines, as shares of the width. */
#define P_NAME      0.64 /* line 1: name | standby */
#define P_ADMITTING 0.34 /* line 2: admitting | tiers */
#define P_STATUS    0.40 /* line 3: status | called */

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

/* Splits [x, x + w) into n equal parts with gap between them; part i. */
static vq_rect split(int x, int y, int w, int h, int n, int gap, int i)
{
	int each = (w - (n - 1) * gap) / n;
	return rect(x + i * (each + gap), y, each, h);
}

static void landscape(vq_board_layout *l)
{
	int gap = l->pad, x0 = l->pad, iw = l->w - 2 * l->pad;
	int xs[6];
	const double share[5] = {COL_NAME, COL_ADMITTING, COL_TIERS, COL_STANDBY, 0};
	xs[0] = x0;
	double acc = 0;
	for (int i = 0; i < 4; i++) {
		acc += share[i];
		xs[i + 1] = x0 + rnd(iw * acc);
	}
	xs[5] = x0 + iw + gap; /* called ends at the margin */
	int cw[5];
	for (int i = 0; i < 5; i++)
		cw[i] = xs[i + 1] - xs[i] - gap;

	/* a name with a status under it may need two lines: thin margins inside the row */
	int y = l->table.y + l->pad / 4, ih = l->row_h - l->pad / 2;
	int sh = imin(rnd(l->px_small * 1.3), ih / 2);
	l->name = rect(xs[0], y, cw[0], ih - sh);
	l->status = rect(xs[0], y + ih - sh, cw[0], sh);
	l->admitting = rect(xs[1], y, cw[1], ih);
	for (int t = 0; t < l->ntiers; t++)
		l->tier[t] = split(xs[2], y, cw[2], ih, l->ntiers, gap / 2, t);
	l->closed = rect(xs[1], y, xs[3] - gap - xs[1], ih);
	l->standby = rect(xs[3], y, cw[3], ih);
	l->called = rect(xs[4], y, cw[4], ih);

	int hy = l->colhead.y + l->pad / 2, hh = l->colhead.h - l->pad, h1 = hh / 2;
	l->h_name = rect(xs[0], hy, cw[0], hh);
	l->h_admitting = rect(xs[1], hy, cw[1], hh);
	l->h_next = rect(xs[2], hy, cw[2], h1);
	for (int t = 0; t < l->ntiers; t++)
		l->h_tier[t] = split(xs[2], hy + h1, cw[2], hh - h1, l->ntiers, gap / 2, t);
	l->h_standby = rect(xs[3], hy, cw[3], hh);
	l->h_called = rect(xs[4], hy, cw[4], hh);
}

static void portrait(vq_board_layout *l)
{
	int gap = l->pad, x0 = l->pad, iw = l->w - 2 * l->pad;
	int y = l->table.y + l->pad / 2, ih = l->row_h - l->pad;
	/* three lines, sized for their text and stretched alike to the row */
	int n1 = rnd(1.25 * l->px_body), n2 = rnd(1.25 * l->px_big), n3 = rnd(1.25 * l->px_body);
	double f = (double)ih / (n1 + n2 + n3);
	int h1 = (int)(n1 * f), h2 = (int)(n2 * f), h3 = ih - h1 - h2;
	int xa = x0 + rnd(iw * P_NAME), xb = x0 + rnd(iw * P_ADMITTING),
	    xc = x0 + rnd(iw * P_STATUS), xe = x0 + iw;
	l->name = rect(x0, y, xa - x0 - gap, h1);
	l->standby = rect(xa, y, xe - xa, h1);
	l->admitting = rect(x0, y + h1, xb - x0 - gap, h2);
	for (int t = 0; t < l->ntiers; t++)
		l->tier[t] = split(xb, y + h1, xe - xb, h2, l->ntiers, gap / 2, t);
	l->closed = rect(x0, y + h1, iw, h2);
	l->status = rect(x0, y + h1 + h2, xc - x0 - gap, h3);
	l->called = rect(xc, y + h1 + h2, xe - xc, h3);

	int hy = l->colhead.y + l->pad / 2, hh = l->colhead.h - l->pad;
	int k1 = hh / 3, k2 = hh / 3, k3 = hh - k1 - k2;
	l->h_name = rect(x0, hy, xa - x0 - gap, k1);
	l->h_standby = rect(xa, hy, xe - xa, k1);
	l->h_admitting = rect(x0, hy + k1, xb - x0 - gap, k2 + k3);
	l->h_next = rect(xb, hy + k1, xe - xb, k2);
	for (int t = 0; t < l->ntiers; t++)
		l->h_tier[t] = split(xb, hy + k1 + k2, xe - xb, k3, l->ntiers, gap / 2, t);
	l->h_called = rect(0, 0, 0, 0); /* labelled in the cell itself */
}

int vq_board_layout_make(int w, int h, int ntiers, int want, vq_board_layout *out)
{
	if (!out || w < VQ_BOARD_MIN_W || h < VQ_BOARD_MIN_H || w > 8192 || h > 8192 ||
	    ntiers < 1 || ntiers > VQ_MAX_TIERS || want < 1)
		return VQ_EINVAL;
	vq_board_layout l;
	memset(&l, 0, sizeof l);
	l.w = w;
	l.h = h;
	l.portrait = h > w;
	l.ntiers = ntiers;
	int s = imin(w, h);
	l.px_small = imax(VQ_BOARD_MIN_PX, rnd(s / 40.0));
	l.px_body = imax(l.px_small, rnd(s / 28.0));
	l.px_big = imax(l.px_body, rnd(s / 23.0));
	l.px_title = imax(l.px_big, rnd(s / 16.0));
	l.pad = imax(4, rnd(s / 60.0));

	int head_lines = l.portrait ? 3 : 2;
	l.header = rect(0, 0, w, rnd(l.px_title * 1.45));
	l.colhead = rect(0, l.header.h, w, rnd(head_lines * 1.25 * l.px_small) + l.pad);
	int fh = rnd(l.px_body * 1.9);
	l.footer = rect(0, h - fh, w, fh);
	int ty = l.colhead.y + l.colhead.h;
	l.table = rect(0, ty, w, l.footer.y - ty);

	int row_min = l.portrait ? rnd(1.25 * (2 * l.px_body + l.px_big) + 1.5 * l.pad)
	                         : rnd(2.4 * l.px_body) + l.pad;
	int fit = l.table.h / row_min;
	if (fit < 1)
		return VQ_EINVAL;
	l.rows = imin(imin(fit, want), VQ_BOARD_PAGE_MAX);
	l.row_h = imin(l.table.h / l.rows, row_min * 3 / 2);
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
