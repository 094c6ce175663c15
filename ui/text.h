/* ui/text.h — UTF-8 text in a box: measuring, alignment, wrapping, shrink-to-fit.
 *
 * Two faces, regular and bold (vq_ui_opts names the files; DejaVu Sans by default, which
 * covers Latin with Romanian ș ț, and Cyrillic). Sizes are em sizes in logical pixels;
 * lines are at least 1.25 em apart, so diacritics below one line never touch the next.
 *
 * The layout rule of every screen: a word is never broken. Text wraps only at spaces
 * (U+0020; a no-break space U+00A0 holds "10 min" together), and what does not fit is
 * shrunk (min_px). Text is never drawn outside its box: what does not fit even shrunk
 * is clipped, and the result says so, so a test can catch it.
 *
 * Layouts and rendered lines are cached in the vq_ui (text.c), so drawing the same
 * strings again costs texture copies only.
 */
#ifndef VQ_UI_TEXT_H
#define VQ_UI_TEXT_H

#include "ui/ui.h"

enum vq_align { VQ_ALIGN_LEFT = 0, VQ_ALIGN_CENTER, VQ_ALIGN_RIGHT };
enum vq_valign { VQ_VALIGN_TOP = 0, VQ_VALIGN_MIDDLE, VQ_VALIGN_BOTTOM };

#define VQ_TEXT_PX_MIN 4
#define VQ_TEXT_PX_MAX 512

typedef struct vq_text_style {
	int px;   /* em size, VQ_TEXT_PX_MIN..VQ_TEXT_PX_MAX */
	int bold; /* 1: the bold face */
	vq_color color;
	int align;  /* enum vq_align: where each line sits across the box */
	int valign; /* enum vq_valign: where the block of lines sits down the box */
	int wrap;   /* 1: break lines at spaces to fit the box's width (a word wider than
	               the box does not fit: shrink it); '\n' always breaks a line */
	int min_px; /* > 0: if the text does not fit at px, use the largest size down to
	               min_px at which it does (min_px if none) */
} vq_text_style;

typedef struct vq_text_info {
	int px;      /* the size used (after shrinking) */
	int lines;   /* lines laid out */
	vq_rect ink; /* where the block of lines lies (may extend past the box if !fits) */
	int fits;    /* 1 if every line fits the box at px */
	int midword; /* line breaks inside a word: 0 by the rule above (tests check it) */
} vq_text_info;

/* Lays out utf8 in box with style st and draws it. info may be NULL. VQ_EINVAL for a bad
 * style or an empty box; invalid UTF-8 is drawn as the font's replacement boxes. */
int vq_ui_text(vq_ui *ui, vq_rect box, const vq_text_style *st, const char *utf8,
               vq_text_info *info);

/* The same layout without drawing: what vq_ui_text would do. */
int vq_ui_text_layout(vq_ui *ui, vq_rect box, const vq_text_style *st, const char *utf8,
                      vq_text_info *info);

/* The size of utf8 as one line ('\n' is not special) at em size px. */
int vq_ui_text_size(vq_ui *ui, int px, int bold, const char *utf8, int *w, int *h);

/* How many code points of utf8 the face (bold or regular) has no glyph for; each invalid
 * UTF-8 byte counts as one. Spaces and control characters are not counted. */
int vq_ui_text_missing_glyphs(vq_ui *ui, int bold, const char *utf8, int *missing);

#endif
