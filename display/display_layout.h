/* display/display_layout.h — where everything on a board goes, for any screen.
 *
 * Pure arithmetic from the logical size (720p to 4K, landscape or portrait) and the number
 * of attractions: text sizes, the bands (header, column titles, rows, footer), how many
 * rows a page holds, and each cell of a row.
 *
 * Text for reading from a distance, and as many rows as that allows. No text is ever
 * under 1/36 of the shorter side s. Where pixels are few (up to 1080p) the rows' text is
 * 1/32 of s, since strokes need pixels to stay crisp from afar: 34 px on a 1080p board,
 * whose rows then hold 20 attractions (40 on two pages). A 4K board has the pixels to
 * draw 1/36 crisply, so it shows more rows rather than the same rows twice as large.
 *
 * Landscape: one line an attraction, in columns
 *     name | now admitting (return times up to) | next return (and tier marks) |
 *     standby | just admitted
 * Portrait: two lines an attraction:
 *     name | next return (and tier marks);  now admitting | standby | just admitted
 */
#ifndef VQ_DISPLAY_LAYOUT_H
#define VQ_DISPLAY_LAYOUT_H

#include "core/vq.h"
#include "ui/ui.h"

#define VQ_BOARD_MIN_W 640
#define VQ_BOARD_MIN_H 360

typedef struct vq_board_layout {
	int w, h;     /* logical size */
	int portrait; /* h > w */
	int pad;      /* the margin around and between things */
	/* text sizes (em, logical px) */
	int px_title; /* header: title and clock */
	int px_body;  /* the footer's page marker and out-of-date banner */
	int px_row;   /* an attraction's name, times, numbers */
	int px_small; /* column titles, tier marks, badges, the footer's hint; the smallest */
	/* bands, top to bottom */
	vq_rect header, colhead, table, footer;
	int rows;  /* rows a page holds */
	int row_h; /* each row's height; row r starts at table.y + r * row_h */
	/* the cells of row 0 (vq_board_layout_cell moves them to row r) */
	vq_rect name, now, next, mark, standby, called;
	vq_rect closed; /* a closed attraction's notice: over everything but the name */
	vq_rect hours;  /* "closed for today", "waiting for data": now and next together */
	/* the column titles, inside colhead */
	vq_rect h_name, h_now, h_next, h_standby, h_called;
} vq_board_layout;

/* Lays out a w x h board (VQ_BOARD_MIN_W x VQ_BOARD_MIN_H up to 8192 each) for up to want
 * attractions (>= 1; a page holds fewer if they do not fit; few rows grow, with their
 * text, up to half again). VQ_EINVAL otherwise, *out untouched. */
int vq_board_layout_make(int w, int h, int want, vq_board_layout *out);

/* cell (a row-0 rect of l) moved to row r. */
vq_rect vq_board_layout_cell(const vq_board_layout *l, vq_rect cell, int r);

/* The smallest text size the layout uses. */
int vq_board_layout_min_px(const vq_board_layout *l);

#endif
