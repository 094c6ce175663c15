/* display/display_render.h — a board view as a display list, and drawn.
 *
 * Night palette (light on dark, for screens seen across a plaza): names and next return
 * times in white, the return times admitted now in the board yellow, the numbers just
 * admitted in their own light blue (they are not a time), "full" in amber, a closure in
 * red, "reopened" in green. When the view is stale, every time and number is drawn in
 * grey and the footer turns into an amber banner saying the times may be out of date,
 * with the time of the last update. What is drawn depends only on (layout, view,
 * translations): equal inputs, an equal list, equal pixels.
 */
#ifndef VQ_DISPLAY_RENDER_H
#define VQ_DISPLAY_RENDER_H

#include "display/display_layout.h"
#include "display/display_model.h"
#include "ui/i18n.h"
#include "ui/ui.h"
#include "ui/view.h"
#include "ui/widgets.h"

/* Colours of the board, exposed so tests can look for them. */
#define VQ_BOARD_COL_BG       VQ_COL_NIGHT
#define VQ_BOARD_COL_BAND     VQ_RGB(0x1B, 0x22, 0x30) /* header, column titles, footer */
#define VQ_BOARD_COL_ALT      VQ_RGB(0x15, 0x1A, 0x24) /* every other row */
#define VQ_BOARD_COL_TEXT     VQ_COL_WHITE
#define VQ_BOARD_COL_LABEL    VQ_RGB(0xC3, 0xC9, 0xD3) /* titles, hints */
#define VQ_BOARD_COL_TIME     VQ_COL_HIGHLIGHT         /* return times admitted now */
#define VQ_BOARD_COL_ADMITTED VQ_RGB(0x7F, 0xD8, 0xFF) /* numbers just admitted */
#define VQ_BOARD_COL_FULL     VQ_COL_WARN              /* no return time left today */
#define VQ_BOARD_COL_STALE    VQ_RGB(0x8A, 0x90, 0x9A) /* data that may be out of date */
#define VQ_BOARD_COL_CLOSED   VQ_COL_ERROR
#define VQ_BOARD_COL_REOPEN   VQ_COL_OK
#define VQ_BOARD_COL_BANNER   VQ_COL_WARN
#define VQ_BOARD_COL_PAGE     VQ_COL_PRIMARY /* the page marker's pill */

typedef struct vq_board_render_stats {
	int texts;   /* texts drawn */
	int clipped; /* of them, ones that did not fit even at their smallest size */
	int midword; /* line breaks inside a word (none, by the layout rule) */
	int min_px;  /* the smallest text size drawn */
	int errors;  /* drawing calls that failed (vq_ui_error says why) */
} vq_board_render_stats;

/* v laid out by l, in v->lang from t, as a display list for l's frame. Pure. */
void vq_board_view_build(const vq_board_layout *l, const vq_board_view *v, const vq_i18n *t,
                         vq_view *out);

/* Draws v laid out by l into ui's frame, whole. Does not present. st may be NULL.
 * VQ_EINVAL if l does not match the frame's size, VQ_ENOMEM; otherwise VQ_OK even if a
 * drawing call failed (counted in st). */
int vq_board_render(vq_ui *ui, const vq_board_layout *l, const vq_board_view *v, const vq_i18n *t,
                    vq_board_render_stats *st);

/* What a running board keeps between frames: the list on screen, so a new view redraws
 * only what changed (a state change: its row). */
typedef struct vq_board_screen vq_board_screen;
int vq_board_screen_new(vq_board_screen **out);
void vq_board_screen_free(vq_board_screen *s); /* NULL is fine */
/* The next frame draws whole (the frame was lost, or its layout changed). */
void vq_board_screen_forget(vq_board_screen *s);
/* Draws v as vq_board_render does, but only where it differs from the last one drawn. */
int vq_board_screen_draw(vq_board_screen *s, vq_ui *ui, const vq_board_layout *l,
                         const vq_board_view *v, const vq_i18n *t, vq_board_render_stats *st);

#endif
