/* display/display_layout.h — where everything on a board goes, for any screen.
 *
 * Pure arithmetic from the logical size (720p to 4K, landscape or portrait) and the number
 * of tiers: text sizes, the bands (header, column titles, rows, footer), how many rows a
 * page holds, and each cell of a row. Everything scales with the shorter side s of the
 * screen, so a 4K board looks like a 1080p one, only sharper.
 *
 * Text sized for reading from a distance: the smallest text is s/40 (27 px on a 1080p
 * screen; on a 55-inch one that is a cap height of about 13 mm, legible from 6 m), and
 * never under VQ_BOARD_MIN_PX; times and numbers are larger.
 *
 * Landscape: one row an attraction, in columns
 *     name + status | now admitting | next return, one column a tier | standby | called
 * Portrait: one row an attraction, in three lines
 *     name | standby;  now admitting | next return per tier;  status | called
 */
#ifndef VQ_DISPLAY_LAYOUT_H
#define VQ_DISPLAY_LAYOUT_H

#include "core/vq.h"
#include "ui/ui.h"

#define VQ_BOARD_MIN_PX 18 /* the smallest text on any board */
#define VQ_BOARD_MIN_W  640
#define VQ_BOARD_MIN_H  360

typedef struct vq_board_layout {
	int w, h;     /* logical size */
	int portrait; /* h > w */
	int ntiers;
	int pad; /* the margin around and between things */
	/* text sizes (em, logical px) */
	int px_title; /* header: title and clock */
	int px_big;   /* times, numbers */
	int px_body;  /* names, standby */
	int px_small; /* column titles, statuses, the footer; the smallest */
	/* bands, top to bottom */
	vq_rect header, colhead, table, footer;
	int rows;  /* rows a page holds */
	int row_h; /* each row's height; row r starts at table.y + r * row_h */
	/* the cells of row 0 (vq_board_layout_cell moves them to row r) */
	vq_rect name, status, admitting, tier[VQ_MAX_TIERS], standby, called;
	vq_rect closed; /* a closed attraction's notice: over admitting and the tiers */
	/* the column titles, inside colhead */
	vq_rect h_name, h_admitting, h_next, h_tier[VQ_MAX_TIERS], h_standby, h_called;
} vq_board_layout;

/* Lays out a w x h board (VQ_BOARD_MIN_W x VQ_BOARD_MIN_H up to 8192 each) with ntiers
 * tier columns (1..VQ_MAX_TIERS) for up to want attractions (>= 1; a page holds fewer if
 * they do not fit, and rows are not stretched past half again their height when there
 * are few). VQ_EINVAL otherwise, *out untouched. */
int vq_board_layout_make(int w, int h, int ntiers, int want, vq_board_layout *out);

/* cell (a row-0 rect of l) moved to row r. */
vq_rect vq_board_layout_cell(const vq_board_layout *l, vq_rect cell, int r);

/* The smallest text size the layout uses. */
int vq_board_layout_min_px(const vq_board_layout *l);

#endif
