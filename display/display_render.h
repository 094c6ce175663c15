/* display/display_render.h — draws a board view into the frame.
 *
 * Night palette (light on dark, for screens seen across a plaza): names in white, times
 * and called numbers in the board yellow, a closure in red, "reopened" in green. When
 * the view is stale, every time and number is drawn in grey and the footer turns into
 * an amber banner saying the times may be out of date, with the time of the last update.
 * What is drawn depends only on (layout, view, translations): equal inputs, equal pixels.
 */
#ifndef VQ_DISPLAY_RENDER_H
#define VQ_DISPLAY_RENDER_H

#include "display/display_layout.h"
#include "display/display_model.h"
#include "ui/i18n.h"
#include "ui/ui.h"
#include "ui/widgets.h"

/* Colours of the board, exposed so tests can look for them. */
#define VQ_BOARD_COL_BG     VQ_COL_NIGHT
#define VQ_BOARD_COL_BAND   VQ_RGB(0x1B, 0x22, 0x30) /* header, column titles, footer */
#define VQ_BOARD_COL_ALT    VQ_RGB(0x15, 0x1A, 0x24) /* every other row */
#define VQ_BOARD_COL_TEXT   VQ_COL_WHITE
#define VQ_BOARD_COL_LABEL  VQ_RGB(0xC3, 0xC9, 0xD3) /* titles, "full", hints */
#define VQ_BOARD_COL_TIME   VQ_COL_HIGHLIGHT         /* now admitting, called numbers */
#define VQ_BOARD_COL_STALE  VQ_RGB(0x8A, 0x90, 0x9A) /* data that may be out of date */
#define VQ_BOARD_COL_CLOSED VQ_COL_ERROR
#define VQ_BOARD_COL_REOPEN VQ_COL_OK
#define VQ_BOARD_COL_BANNER VQ_COL_WARN

typedef struct vq_board_render_stats {
	int texts;   /* text boxes drawn */
	int clipped; /* of them, ones that did not fit even at the smallest size */
	int min_px;  /* the smallest text size drawn */
	int errors;  /* drawing calls that failed (vq_ui_error says why) */
} vq_board_render_stats;

/* Draws v laid out by l into ui's frame, in v->lang from t. Does not present. st may
 * be NULL. VQ_EINVAL if l does not match the frame's size; otherwise VQ_OK even if a
 * drawing call failed (counted in st). */
int vq_board_render(vq_ui *ui, const vq_board_layout *l, const vq_board_view *v, const vq_i18n *t,
                    vq_board_render_stats *st);

#endif
