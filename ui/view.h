/* ui/view.h — a screen as a display list: what is drawn, where, in which colours, and what
 * each thing is.
 *
 * Every screen (vq-kiosk, vq-gate, vq-display) turns its state into a vq_view without a
 * window (its layout), and the renderer here only walks the list. So:
 *   - taps are tested against the very rectangles that are drawn (vq_view_hit);
 *   - a test reads a screen's content without drawing a pixel, and vq_view_check proves
 *     every label fits its box without a broken word and stands out from what lies under
 *     it (WCAG AA contrast), from the list alone;
 *   - each element says what it is (role: "title", "row.name", "key"...), for tests and
 *     for whatever speaks the screen aloud.
 *
 * The layout rule (ui/text.h): words are never broken; a label that does not fit shrinks
 * down to its min_px, and wraps only at spaces. Labels of one kind are one size: texts
 * (and button labels) with the same role, size and face are drawn at the largest size
 * every one of them fits at, so a column of names or a row of keys never mixes sizes.
 *
 * Invariants: texts live in the view's own arena, referenced by offset (a view may be
 * copied with memcpy); elements are drawn in order, so a later one lies on top; a view
 * that ran out of room says so (overflow), and what did not fit is not drawn.
 */
#ifndef VQ_UI_VIEW_H
#define VQ_UI_VIEW_H

#include <stddef.h>

#include "core/vq.h"
#include "ui/ui.h"

#define VQ_VIEW_MAX  512
#define VQ_VIEW_TEXT 32768
#define VQ_ROLE_MAX  24

enum vq_el_kind {
	VQ_EL_FILL = 0, /* a filled (rounded) rectangle; translucent if bg.a < 255 */
	VQ_EL_TEXT,     /* text in a box */
	VQ_EL_BUTTON,   /* a button: face, label, hit target */
	VQ_EL_QR        /* a QR code of the text, on white */
};

typedef struct vq_el {
	int kind; /* enum vq_el_kind */
	vq_rect r;
	vq_color bg, fg;        /* FILL, BUTTON: bg; TEXT, BUTTON: fg */
	int radius;             /* FILL: corner radius */
	int px, min_px, bold;   /* TEXT, BUTTON: em size (BUTTON 0: a third of its height), the
	                           smallest it may shrink to, the face (a BUTTON label is bold) */
	int align, valign;      /* TEXT: enum vq_align, vq_valign (a BUTTON label is centred) */
	int wrap;               /* TEXT: 1: wrap at spaces (a BUTTON label always may) */
	int action, arg;        /* BUTTON: what it does, in the screen's own numbers */
	int pressed, disabled;  /* BUTTON */
	char id[VQ_ID_MAX];     /* BUTTON: what a script's tap_id names; "" none */
	char role[VQ_ROLE_MAX]; /* what it is ("title", "row.name"...): also its size group */
	size_t text;            /* offset of the NUL-terminated text in the arena */
} vq_el;

typedef struct vq_view {
	int w, h; /* the frame it is laid out for */
	int n;
	vq_el el[VQ_VIEW_MAX];
	size_t used;
	char arena[VQ_VIEW_TEXT];
	int overflow; /* an element or a text did not fit the view: a bug the tests catch */
} vq_view;

/* --- building ------------------------------------------------------------------------ */

/* Empties v for a w x h frame. */
void vq_view_reset(vq_view *v, int w, int h);

/* Appends an element (zeroed but for kind and r); on overflow a scratch one that is never
 * drawn. The helpers below fill the usual fields; change others on the result. */
vq_el *vq_view_add(vq_view *v, int kind, vq_rect r);
vq_el *vq_view_fill(vq_view *v, vq_rect r, vq_color c, int radius);
/* Text: middle of the box vertically, wrapping at spaces, shrinking to half size. */
vq_el *vq_view_text(vq_view *v, vq_rect r, const char *role, const char *s, int px, int bold,
                    vq_color fg, int align);
vq_el *vq_view_button(vq_view *v, vq_rect r, const char *id, const char *role, const char *label,
                      vq_color bg, vq_color fg);
vq_el *vq_view_qr(vq_view *v, vq_rect r, const char *role, const char *s);
/* Replaces the text of e (an element of v). */
void vq_el_set_text(vq_view *v, vq_el *e, const char *s);

/* --- reading ------------------------------------------------------------------------- */

const char *vq_el_text(const vq_view *v, const vq_el *e); /* "" for none */
/* The topmost enabled button that a tap at (x, y) hits, or NULL. */
const vq_el *vq_view_hit(const vq_view *v, int x, int y);
/* The button with this id, or NULL. */
const vq_el *vq_view_find(const vq_view *v, const char *id);
/* 1 if some text or button label contains needle. */
int vq_view_has_text(const vq_view *v, const char *needle);
/* The first element with this role (from index from on), or NULL. */
const vq_el *vq_view_role(const vq_view *v, const char *role, int from);

/* --- drawing ------------------------------------------------------------------------- */

typedef struct vq_view_stats {
	int texts;   /* texts and labels drawn */
	int clipped; /* of them, ones that did not fit even at their smallest size */
	int midword; /* line breaks inside a word (none, by the rule) */
	int min_px;  /* the smallest size drawn (0: no text) */
	int errors;  /* drawing calls that failed (vq_ui_error says why) */
} vq_view_stats;

/* The size each element's text is drawn at (0: none), after shrinking and size groups,
 * into px[v->n]. VQ_ENOMEM, or a font error. */
int vq_view_sizes(vq_ui *ui, const vq_view *v, int *px);

/* Paints v into the frame at (x, y) (0, 0 for a screen), registering buttons for
 * tap_id. st may be NULL. VQ_OK, or the first error (the rest is still drawn). Does not
 * present. */
int vq_view_draw(vq_ui *ui, const vq_view *v, int x, int y, vq_view_stats *st);

/* Draws after where the frame shows before (drawn by these functions): only the
 * regions where their elements differ (in place, look or size), which on a board is a
 * row, not the screen. before NULL, or of another size: draws all. Buttons all answer
 * tap_id as after has them. st counts what was drawn again. VQ_OK or the first error. */
int vq_view_draw_diff(vq_ui *ui, const vq_view *before, const vq_view *after, vq_view_stats *st);

/* --- checking ------------------------------------------------------------------------ */

enum vq_flaw_kind {
	VQ_FLAW_CLIPPED = 1, /* a text does not fit its box even at its smallest size */
	VQ_FLAW_MIDWORD,     /* a line breaks inside a word */
	VQ_FLAW_CONTRAST,    /* text and what lies under it are below the contrast asked */
	VQ_FLAW_OUTSIDE,     /* a text or button is not wholly inside the frame */
	VQ_FLAW_OVERFLOW     /* the view ran out of room (el -1) */
};

typedef struct vq_flaw {
	int kind; /* enum vq_flaw_kind */
	int el;   /* index into v->el */
	int px;   /* the size it is drawn at */
	double contrast;
} vq_flaw;

/* Checks every text and button label of v as vq_view_draw would draw it: that it fits,
 * breaks no word, lies inside the frame, and has a contrast ratio of at least
 * min_contrast (4.5: WCAG AA) against the colour under it (every element drawn before it
 * there, translucent ones blended), at its ink's corners and centre. Writes up to max
 * flaws to out (may be NULL with max 0) and returns how many there are in all, or a
 * negative vq_err. */
int vq_view_check(vq_ui *ui, const vq_view *v, double min_contrast, vq_flaw *out, int max);

/* One line saying what is wrong, for a test's message:
 *   contrast 3.2 < 4.5: text "row.name" 'Thunder Coaster' #8A909A at 412,230 300x40 */
void vq_flaw_describe(const vq_view *v, const vq_flaw *f, double min_contrast, char *out,
                      size_t outlen);

#endif
