/* ui/ui.h — the window every vq screen (vq-kiosk, vq-gate, vq-display) draws in.
 *
 * Owns one SDL window, its renderer, and the frame: a texture of the logical size that
 * every drawing call (ui/text.h, ui/widgets.h, ui/qr.h) paints into. vq_ui_present copies
 * the frame to the window, scaled to fit and letterboxed; input (ui/input.h) is mapped
 * back into logical pixels. So a screen draws in one coordinate system whatever the
 * monitor, and a screenshot is the frame itself, pixel for pixel, at any time.
 *
 * A screen is state, update, render:
 *
 *	for (;;) {
 *		vq_input in;
 *		if (vq_ui_poll(ui, &in, 1000) != VQ_OK) break;    // ui/input.h
 *		screen_update(&st, &in, vq_ui_now_ms(ui));        // VQ_IN_BUS: vq_bus_poll(.., 0)
 *		if (st.quit) break;
 *		if (st.dirty) { screen_render(&st, ui); vq_ui_present(ui); }
 *	}
 *
 * The layer, one concept a header:
 *	ui/ui.h       this: the window, the frame, mm, screenshots, the clock
 *	ui/text.h     UTF-8 text in a box: align, wrap at spaces, shrink-to-fit, glyph coverage
 *	ui/widgets.h  the high-contrast palette, filled shapes, buttons and hit-testing
 *	ui/view.h     a screen as a display list: drawn, redrawn where it changed, checked
 *	ui/qr.h       QR codes with a quiet zone and whole-pixel modules
 *	ui/input.h    vq_input events, vq_ui_poll (SDL + the bus fd), the scanner detector
 *	ui/script.h   replaying input from a script file, with a virtual clock
 *	ui/i18n.h     translations from assets/i18n/<lang>.json (needs no window)
 *
 * Works under SDL_VIDEODRIVER=offscreen (the tests) with the software renderer; audio is
 * never opened. One vq_ui per process: SDL's video subsystem and SDL_ttf are process-wide.
 * Not thread-safe: call everything from the thread that made the vq_ui.
 */
#ifndef VQ_UI_H
#define VQ_UI_H

#include <stddef.h>
#include <stdint.h>

#include "core/vq.h"

struct vq_clock;
typedef struct vq_ui vq_ui;

/* A colour, 8 bits a channel; a = 255 is opaque. Named colours: ui/widgets.h. */
typedef struct vq_color {
	uint8_t r, g, b, a;
} vq_color;

/* A rectangle in logical pixels: [x, x + w) x [y, y + h). */
typedef struct vq_rect {
	int x, y, w, h;
} vq_rect;

typedef struct vq_ui_opts {
	const char *title; /* window title; NULL: "vq" */
	int width;         /* logical size, the coordinates every call takes; required, */
	int height;        /* 64..8192 each */
	int fullscreen;    /* desktop fullscreen, mouse cursor hidden (a kiosk) */
	int window_width;  /* windowed only: the window's size; 0: the logical size */
	int window_height;
	int window_placed; /* windowed only: 1: its top-left corner at window_x, window_y
	                      (screen coordinates); 0: centred */
	int window_x, window_y;
	/* Physical width in mm of what the window shows (a fullscreen kiosk: the screen's
	 * visible width), for vq_ui_mm. 0: assume 96 pixels per inch on the output. */
	double screen_width_mm;
	const char *font_regular; /* TTF files; NULL: DejaVu Sans from fonts-dejavu-core */
	const char *font_bold;
	int software;     /* 1: always the software renderer (always so offscreen/dummy) */
	int scan_gap_ms;  /* barcode-scanner detection (ui/input.h); 0: 40 ms; < 0: off */
	int scan_min_len; /* 0: 4 characters */
	/* The program's clock (clock/clock.h: the site's demo or wall clock), which must
	 * outlive the ui; NULL: the wall clock, followed smoothly as that clock does. */
	struct vq_clock *clock;
} vq_ui_opts;

/* Command-line helpers every screen shares: "1280x800" (64..16384 each) and "40,20"
 * (each -16384..16384). 0, or -1 for anything else. */
int vq_ui_parse_size(const char *s, int *w, int *h);
int vq_ui_parse_point(const char *s, int *x, int *y);

/* Opens the window. On failure *out is left alone and err holds a message: VQ_EINVAL (bad
 * opts), VQ_ENOTFOUND (a font file unreadable, or SDL found no usable display or
 * renderer), VQ_ENOMEM. */
int vq_ui_new(const vq_ui_opts *opts, vq_ui **out, char *err, size_t errlen);
void vq_ui_free(vq_ui *ui); /* NULL is fine */

/* The logical size given at vq_ui_new. */
int vq_ui_width(const vq_ui *ui);
int vq_ui_height(const vq_ui *ui);

/* Logical pixels per physical millimetre, as the window is now (it changes if the window
 * is resized), and mm converted to logical pixels rounded up — so a button of
 * vq_ui_mm(ui, 15) is at least 15 mm on the glass. */
double vq_ui_px_per_mm(const vq_ui *ui);
int vq_ui_mm(const vq_ui *ui, double mm);

/* Fills the whole frame with c. A render usually starts here. */
void vq_ui_clear(vq_ui *ui, vq_color c);

/* Shows the frame in the window, and makes the buttons drawn since the previous present
 * the ones a script's `tap_id` can find (ui/script.h). */
void vq_ui_present(vq_ui *ui);

/* Shows the whole frame again, as drawn (after something covered the window). Presenting
 * otherwise copies only what was drawn since the last present where the window keeps its
 * pixels (the software renderer), so an unchanged frame costs nothing to show. */
void vq_ui_repaint(vq_ui *ui);

/* Reads the frame's pixels in r (clipped to the frame: VQ_EINVAL if r is not inside it)
 * into rgb, 3 bytes a pixel, rows of r.w * 3 bytes, top first. */
int vq_ui_read_rgb(vq_ui *ui, vq_rect r, uint8_t *rgb);

/* Writes the frame, exactly as drawn, as an 8-bit RGB PNG at path (via a temporary file
 * and rename, so a reader never sees half of it). VQ_ESTORE if it cannot be written. */
int vq_ui_screenshot(vq_ui *ui, const char *path);

/* The time a screen's update should use, in ms since the Unix epoch: the program's clock
 * (vq_ui_opts.clock), or while a script replays with a virtual clock, that clock
 * (ui/input.h, vq_ui_replay). It never goes back. */
int64_t vq_ui_now_ms(const vq_ui *ui);

/* The message of the last failure of vq_ui_poll, vq_ui_screenshot or a drawing call
 * ("" if none). Valid until the next call on ui. */
const char *vq_ui_error(const vq_ui *ui);

/* Escape hatch for drawing the layer does not offer: the SDL_Renderer, with the frame
 * made its render target. Ask again for every frame you draw (presenting switches the
 * target to the window), and leave the target, clip and blend mode as found. */
struct SDL_Renderer *vq_ui_renderer(vq_ui *ui);

#endif
