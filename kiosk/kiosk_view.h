/* kiosk/kiosk_view.h — a screen as a display list: what kiosk_render draws and what a tap
 * is tested against.
 *
 * The layout (kiosk_layout.c) turns the kiosk's state into this list without a window;
 * the renderer (kiosk_render.c) only walks it. Because buttons are hit-tested against the
 * very rectangles that are drawn, what is seen is what is hit, and the unit tests can
 * check a screen's content (texts, buttons, their sizes) without drawing a pixel.
 *
 * Invariants: texts live in the view's own arena, referenced by offset (a view may be
 * copied); every button is at least the configured target size on each side; elements
 * are drawn in order, so a later one lies on top.
 */
#ifndef VQ_KIOSK_VIEW_H
#define VQ_KIOSK_VIEW_H

#include <stddef.h>

#include "core/vq.h"
#include "ui/ui.h"

#define KIOSK_VIEW_MAX  192
#define KIOSK_VIEW_TEXT 24576

enum kiosk_el_kind {
	KEL_FILL = 0, /* a filled (rounded) rectangle */
	KEL_TEXT,     /* text in a box */
	KEL_BUTTON,   /* a button: fill, label, hit target */
	KEL_QR        /* a QR code of the text */
};

/* What a button does when tapped. */
enum kiosk_action {
	KA_NONE = 0,
	KA_LANG,          /* arg: i18n language index */
	KA_ATTR,          /* arg: served attraction index */
	KA_DIGIT,         /* arg: 0..9 */
	KA_DELETE,        /* remove the last character typed */
	KA_SUBMIT,        /* the typed number */
	KA_BACK,          /* one screen back */
	KA_START_OVER,    /* forget the guest, welcome screen */
	KA_PARTY,         /* arg: party size */
	KA_CONFIRM,       /* take the ticket quoted */
	KA_DONE,          /* ticket taken: welcome screen */
	KA_ALT,           /* arg: served attraction index of an alternative */
	KA_CHOOSE_AGAIN,  /* back to the party size */
	KA_TRY_AGAIN,     /* back to identify */
	KA_CONTINUE,      /* still here: dismisses the idle warning */
	KA_GIVE_BACK,     /* arg: index of a held pass; asks for confirmation */
	KA_GIVE_BACK_YES, /* the pass asked about is cancelled (svc/cancel) */
	KA_GIVE_BACK_NO   /* keep it after all */
};

typedef struct kiosk_el {
	int kind; /* enum kiosk_el_kind */
	vq_rect r;
	vq_color bg, fg;
	int radius;            /* FILL */
	int px, min_px, bold;  /* TEXT, BUTTON: em size (BUTTON 0: automatic) */
	int align, valign;     /* TEXT: enum vq_align, vq_valign */
	int wrap;              /* TEXT */
	int action, arg;       /* BUTTON: enum kiosk_action */
	int pressed, disabled; /* BUTTON */
	char id[VQ_ID_MAX];    /* BUTTON: what a script's tap_id names; "" none */
	size_t text;           /* offset of the NUL-terminated text in the arena */
} kiosk_el;

typedef struct kiosk_view kiosk_view;

struct kiosk_view {
	int w, h;
	int n;
	kiosk_el el[KIOSK_VIEW_MAX];
	size_t used;
	char arena[KIOSK_VIEW_TEXT];
	int overflow; /* an element or text did not fit: a bug the tests catch */
};

/* The text of an element ("" for none). */
const char *kiosk_el_text(const struct kiosk_view *v, const kiosk_el *e);
/* The last button (topmost) that a tap at (x, y) hits, or NULL. Disabled ones never. */
const kiosk_el *kiosk_view_hit(const struct kiosk_view *v, int x, int y);
/* The button with this id, or NULL. */
const kiosk_el *kiosk_view_button(const struct kiosk_view *v, const char *id);
/* 1 if some text element or button label contains needle. */
int kiosk_view_has_text(const struct kiosk_view *v, const char *needle);

#endif
