/* ui/widgets.h — the kiosk palette, filled shapes, and buttons with hit-testing.
 *
 * The palette pairs text and background colours at a contrast of at least 7:1 (WCAG AAA),
 * because kiosks stand in sunlight and are read by people of every eyesight. Buttons are
 * values the screen keeps in its state: it draws them with vq_ui_button and tests taps
 * against the same values, so what is seen is what is hit.
 */
#ifndef VQ_UI_WIDGETS_H
#define VQ_UI_WIDGETS_H

#include "ui/ui.h"

struct vq_text_style; /* ui/text.h */

#define VQ_RGB(r, g, b) ((vq_color){(r), (g), (b), 255})

/* Light screens (kiosk, gate): text on paper, white text on the strong colours. */
#define VQ_COL_PAPER   VQ_RGB(0xFF, 0xFF, 0xFF) /* background */
#define VQ_COL_INK     VQ_RGB(0x11, 0x11, 0x11) /* text on paper, amber, light */
#define VQ_COL_MUTED   VQ_RGB(0x4D, 0x4D, 0x4D) /* secondary text on paper */
#define VQ_COL_LIGHT   VQ_RGB(0xE8, 0xE8, 0xE8) /* panels on paper; ink text */
#define VQ_COL_PRIMARY VQ_RGB(0x0B, 0x2E, 0x6B) /* navy: main actions; white text */
#define VQ_COL_OK      VQ_RGB(0x0A, 0x5C, 0x2E) /* green: admit, done; white text */
#define VQ_COL_ERROR   VQ_RGB(0xA3, 0x00, 0x1B) /* red: refusal, failure; white text */
#define VQ_COL_WARN    VQ_RGB(0xFF, 0xC1, 0x07) /* amber: caution, offline; ink text */
#define VQ_COL_WHITE   VQ_RGB(0xFF, 0xFF, 0xFF)
#define VQ_COL_BLACK   VQ_RGB(0x00, 0x00, 0x00)
/* Disabled buttons: readable, but plainly not the thing to press. */
#define VQ_COL_DISABLED_BG VQ_RGB(0xD6, 0xD6, 0xD6)
#define VQ_COL_DISABLED_FG VQ_RGB(0x4D, 0x4D, 0x4D)
/* Dark screens (boards): light text on night. */
#define VQ_COL_NIGHT     VQ_RGB(0x0E, 0x11, 0x18) /* background */
#define VQ_COL_HIGHLIGHT VQ_RGB(0xFF, 0xD6, 0x00) /* yellow: numbers called, now admitting */

/* The WCAG contrast ratio of two opaque colours, 1..21. */
double vq_color_contrast(vq_color a, vq_color b);

/* Is (x, y) inside r? */
int vq_rect_contains(vq_rect r, int x, int y);

/* Fills r with c; corners rounded with radius (0: square; clamped to half the shorter
 * side). Blends if c.a < 255. */
void vq_ui_fill(vq_ui *ui, vq_rect r, int radius, vq_color c);

typedef struct vq_button {
	const char *id;    /* [a-z0-9_-]{1,31}, what a script's `tap_id` names; NULL: none */
	vq_rect r;         /* its place; keep it >= vq_ui_mm(ui, 15) each side for touch */
	const char *label; /* UTF-8; wraps, and shrinks down to half size to fit */
	vq_color bg, fg;
	int px;       /* label size; 0: a third of the height */
	int pressed;  /* drawn darker: a finger is on it (from VQ_IN_PRESS) */
	int disabled; /* drawn greyed; never hit */
} vq_button;

/* Draws b, and registers its id (if any) for `tap_id`. VQ_EINVAL for a bad id or rect. */
int vq_ui_button(vq_ui *ui, const vq_button *b);
/* vq_ui_button in two halves, for display lists that size labels themselves (ui/view.h):
 * the face (and the id), and where and how the label goes (0 if there is no room). */
int vq_ui_button_face(vq_ui *ui, const vq_button *b);
int vq_button_label(const vq_button *b, vq_rect *box, struct vq_text_style *st);
/* The colour of b's face as drawn (pressed darker, disabled grey). */
vq_color vq_button_face_color(const vq_button *b);

/* Does a tap at (x, y) hit b? Never a disabled one. */
int vq_button_hit(const vq_button *b, int x, int y);

/* The index of the button in bs[0..n) that a tap at (x, y) hits, or -1. If buttons
 * overlap, the last one (drawn on top) wins. */
int vq_button_find(const vq_button *bs, size_t n, int x, int y);

#endif
